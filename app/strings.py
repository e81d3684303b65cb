"""Every user-facing string of the app, one dict per language.

Pages call ``t("key")`` (or ``t("key", n=3)`` for templates with ``{n}``).
To translate, copy the ``"en"`` dict to ``"vi"`` and translate the values;
a key missing from a language falls back to English.
"""

from __future__ import annotations

import os

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        # shell
        "app_title": "Phủ Sóng — 5G coverage of Hà Nội's wards",
        "nav_overview": "Overview",
        "nav_data": "Data",
        "nav_model": "Model",
        "nav_compare": "Compare",
        "nav_downloads": "Downloads",
        "sidebar_goal": "Goal",
        "goal_target": "Target coverage [%]",
        "goal_target_help": "Hà Nội's plan 58/KH-UBND: 5G for 99% of the population by 2030. "
        "Changing the target only re-judges the wards; coverage is not recomputed.",
        "goal_metric": "Judge coverage by",
        "goal_metric_help": "Population-weighted: the share of people with service. "
        "Area-weighted: the share of land with service. The two can differ by 20 points.",
        "metric_population": "population (share of people)",
        "metric_area": "area (share of land)",
        "sidebar_data": "Data in use",
        "sidebar_sites_sample": "Sites: shipped SYNTHETIC sample network",
        "sidebar_sites_upload": "Sites: {name}",
        "sidebar_wards_default": "Wards: shipped Hà Nội wards (126, © OpenStreetMap contributors)",
        "sidebar_wards_upload": "Wards: {name}",
        "sidebar_raster": "Population raster: {name}",
        "sidebar_model": "Model: {label}",
        # synthetic
        "synthetic_banner": "**SYNTHETIC DATA.** The sites shown are the shipped synthetic sample "
        "network, made up for demonstration — not real operator data. Upload real sites on the "
        "Data page.",
        # overview
        "overview_title": "5G coverage of Hà Nội's wards",
        "overview_intro": "How much of each ward has 5G service, judged against the goal: {goal}.",
        "computing": "Computing coverage…",
        "m_pop": "Population coverage",
        "m_pop_help": "Population-weighted: share of residents living where the model says "
        "there is 5G service.",
        "m_area": "Area coverage",
        "m_area_help": "Area-weighted: share of the land area with 5G service.",
        "m_wards": "Wards meeting the goal",
        "m_wards_help": "Wards whose own coverage (in the goal's metric) reaches the target.",
        "m_uncovered": "People uncovered",
        "m_uncovered_help": "Residents without 5G service according to the model.",
        "vs_goal": "{delta:+.1f} points vs goal",
        "model_caption": "Model: {label}. Population: {pop_source}. {cells} cells on {sites} sites.",
        "map_title": "Map",
        "map_help": "Click a ward to see its details. Layers (gaps, sites, sector wedges) can be "
        "switched on and off at the top right of the map.",
        "ward_detail": "Ward details",
        "ward_click_hint": "Click a ward on the map, or pick one here.",
        "ward_pick": "Ward",
        "d_pop": "Population-weighted",
        "d_area": "Area-weighted",
        "d_gap_area": "Gap area [km²]",
        "d_uncovered": "People uncovered",
        "d_meets": "Meets the goal",
        "d_misses": "Below the goal",
        "d_by_operator": "Coverage by operator",
        "d_redundancy": "People by number of serving cells",
        "d_redundancy_help": "'1 server' is fragile coverage: one site outage removes it.",
        "red_0": "0 (no service)",
        "red_1": "1 server",
        "red_2_4": "2–4 servers",
        "red_5plus": "5+ servers",
        "ward_table": "Wards by shortfall",
        "ward_table_help": "Sorted by the people (or km²) still missing for each ward to reach "
        "the target.",
        "distribution": "Distribution of ward coverage",
        "col_rank": "Rank",
        "col_ward": "Ward",
        "col_pop_pct": "Population-weighted [%]",
        "col_area_pct": "Area-weighted [%]",
        "col_meets": "Meets goal",
        "col_short_pop": "Shortfall [people]",
        "col_short_area": "Shortfall [km²]",
        "col_uncovered": "Uncovered [people]",
        "col_gain": "City gain if closed [points]",
        "col_operator": "Operator",
        "col_count": "Wards",
        "col_coverage": "Coverage [%]",
        "col_people": "People",
        "col_servers": "Serving cells",
        "col_before": "Baseline [%]",
        "col_after": "Alternative [%]",
        "col_change": "Change [points]",
        # data
        "data_title": "Data",
        "data_intro": "Upload your own network (sites or cells) and, optionally, other ward "
        "boundaries and a population raster. Every row is checked; rejected rows are listed "
        "with the reason and can be downloaded.",
        "up_sites": "Sites (CSV, CSV.GZ, XLSX, GeoJSON, GeoPackage, zipped Shapefile, Parquet)",
        "up_sites_help": "An OpenCelliD export, an operator site/sector sheet, or vector points.",
        "up_wards": "Ward boundaries (optional; GeoJSON, GeoPackage, zipped Shapefile, Parquet)",
        "up_raster": "Population raster (optional; GeoTIFF, people per pixel, e.g. WorldPop)",
        "use_sample": "Use the shipped synthetic sample instead",
        "use_default_wards": "Use the shipped Hà Nội wards",
        "drop_raster": "Spread each ward's official population evenly instead",
        "validation": "Validation report",
        "rows_read": "Rows read",
        "rows_accepted": "Accepted",
        "rows_rejected": "Rejected",
        "rejected_rows": "Rejected rows",
        "no_rejected": "No row was rejected.",
        "download_report": "Download the validation report (CSV)",
        "notes": "Notes",
        "sites_in_use": "In use: {name}",
        "wards_loaded": "{n} wards read from {name}.",
        "raster_loaded": "Population raster {name} will be used.",
        # errors
        "err_data": "The file could not be used. Problems found:",
        "err_config": "A setting is not valid:",
        "err_other": "Something went wrong while processing your request. Your data was not "
        "changed. Try another file or other settings; the technical details are below.",
        "err_details": "Technical details",
        # model
        "model_title": "Model settings",
        "model_intro": "How coverage is estimated. The defaults are a common 5G planning setup: "
        "SS-RSRP of at least −110 dBm, a 20 m grid, judged on 99% of the population.",
        "model_pick": "Coverage model",
        "model_help": "Disc and sector models draw each cell's footprint exactly (fast). "
        "Path-loss models compute the signal on a grid (slower, more physical).",
        "model_desc": "What it does: {desc}",
        "threshold": "Coverage threshold, SS-RSRP [dBm]",
        "threshold_help": "A place counts as covered when the strongest cell's reference "
        "signal reaches this level. −110 dBm is a common 5G cell-edge planning value.",
        "resolution": "Grid resolution [m]",
        "resolution_help": "Side of one grid square for the path-loss models. Finer is more "
        "detailed and slower.",
        "operators": "Operators",
        "operators_help": "Keep only these operators; none selected keeps all.",
        "radio": "Radio technologies",
        "radio_help": "NR is 5G. Add LTE to see 4G coverage for comparison.",
        "slow_warning": "Path-loss models over all of Hà Nội at a fine grid take longer "
        "(minutes at 20 m). Try 50–100 m first.",
        "vector_note": "Threshold and resolution apply only to the path-loss models.",
        "models_table": "The models",
        # compare
        "compare_title": "Compare",
        "compare_intro": "Compare the current network (baseline) with another one: an uploaded "
        "network, or the sites proposed on the Plan page.",
        "cmp_upload": "Alternative network (same formats as on the Data page)",
        "cmp_candidate": "Alternative: {label}",
        "cmp_none": "Upload an alternative network to compare.",
        "cmp_baseline": "Baseline",
        "cmp_alternative": "Alternative",
        "cmp_table": "Per-ward change",
        "cmp_clear": "Clear the alternative",
        # downloads
        "downloads_title": "Downloads",
        "downloads_intro": "The results of the current audit and goal.",
        "dl_wards_csv": "Ward table (CSV)",
        "dl_wards_geojson": "Ward table with boundaries (GeoJSON)",
        "dl_gaps": "Coverage gaps (GeoJSON)",
        "dl_summary": "City summary (JSON)",
        "dl_geotiff": "Best-server RSRP raster (GeoTIFF)",
        "dl_geotiff_na": "A GeoTIFF exists only for path-loss models (raster route); "
        "choose one on the Model page.",
        "dl_report": "Report (HTML)",
        "dl_report_na": "The HTML report is not available in this version.",
        "dl_map": "Map (HTML)",
        "yes": "yes",
        "no": "no",
    },
}


def language() -> str:
    """Language of the interface: ``PHUSONG_LANG`` if set and known, else English."""
    lang = os.environ.get("PHUSONG_LANG", "en")
    return lang if lang in STRINGS else "en"


def t(key: str, **values: object) -> str:
    """The string ``key`` in the interface language, formatted with ``values``."""
    text = STRINGS.get(language(), {}).get(key) or STRINGS["en"][key]
    return text.format(**values) if values else text
