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
        "nav_plan": "Plan",
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
        "grid_note": "Path-loss models compute the signal on a grid over the whole area: for "
        "the sample network on a 2-core machine about 7 s at 20 m and 2 s at 100 m. Time grows "
        "with the number of cells and with finer grids.",
        "vector_note": "Threshold and resolution apply only to the path-loss models.",
        "models_table": "The models",
        # plan
        "plan_title": "Plan new sites",
        "plan_intro": "Where should new 5G sites go? The planner proposes positions for new "
        "sites that close the coverage gaps of the current network (the data, model and "
        "settings in use), then re-audits the network with the proposed sites to check the "
        "result. Planning aims at **population** coverage (the share of people served).",
        "plan_goal": "What to aim for",
        "plan_goal_target": "Reach a coverage target",
        "plan_goal_budget": "Best coverage with a budget of N sites",
        "plan_target": "Target population coverage [%]",
        "plan_target_help": "Share of the residents that should have 5G. Starts at the goal in "
        "the sidebar. The planner adds the fewest sites it can find to reach it.",
        "plan_budget": "Budget [new sites]",
        "plan_budget_help": "The planner places at most this many new sites where they serve "
        "the most people. The target is then only shown for comparison.",
        "plan_method": "Method",
        "plan_method_help": "Greedy adds the site serving the most new people, one at a time: "
        "fast and usually within a few percent of the best. MILP solves the exact "
        "optimisation problem: it can save sites but is slower, so it stops at the time limit.",
        "method_greedy": "Greedy — fast",
        "method_milp": "MILP — exact, slower",
        "plan_time_limit": "Time limit for MILP [s]",
        "plan_time_limit_help": "The MILP returns the best plan found when the time is up.",
        "plan_spacing": "Minimum spacing between sites [m]",
        "plan_spacing_help": "No two new sites closer than this, and no new site this close to "
        "an existing site of the same operator. 0 = no limit.",
        "plan_operator": "Operator of the new sites",
        "plan_operator_help": "The band, power and range of a new site follow this operator's 5G "
        "spectrum. Automatic: the operator filtered on the Model page, else the one with most "
        "cells.",
        "plan_operator_auto": "automatic",
        "plan_candidates": "Allowed positions (optional; CSV with lat/lon, GeoJSON, GeoPackage, "
        "zipped Shapefile)",
        "plan_candidates_help": "Rooftops, poles or plots where a site may go, as points (or "
        "polygons: a point inside each is used). Without a file the planner tries positions "
        "on a regular grid in and around the gaps.",
        "plan_candidates_in_use": "Allowed positions: {name}",
        "plan_candidates_grid": "Allowed positions: a regular grid in and around the gaps.",
        "plan_candidates_clear": "Use the grid instead",
        "plan_excluded": "Excluded zones (optional; polygons: GeoJSON, GeoPackage, zipped "
        "Shapefile, GeoParquet)",
        "plan_excluded_help": "Areas where no new site may go (parks, heritage zones, the "
        "airport…). Proposed sites stay outside every polygon.",
        "plan_excluded_in_use": "Excluded zones: {name}",
        "plan_excluded_none": "No excluded zone.",
        "plan_excluded_clear": "Remove the excluded zones",
        "plan_area_note": "The goal in the sidebar is judged by area; planning always aims at "
        "population coverage. Both are shown below.",
        "plan_run": "Propose sites",
        "plan_running": "Proposing sites and re-auditing the network… (this can take a while)",
        "plan_prompt": "Choose the options and press **Propose sites**.",
        "plan_stale": "The figures below are for the options or data used at the last press "
        "of **Propose sites**; press it again to update them.",
        "plan_results": "Result",
        "m_pop_after": "Population coverage after",
        "m_pop_after_help": "Population-weighted: share of the residents with 5G, from a full "
        "re-audit with the existing and the proposed sites. The change is against the "
        "current network.",
        "m_area_after": "Area coverage after",
        "m_area_after_help": "Area-weighted: share of the land with 5G, from the re-audit.",
        "m_new_sites": "New sites",
        "m_new_sites_help": "Proposed sites (a 3-sector site counts once).",
        "m_target_met": "Re-audit meets the target",
        "m_target_met_help": "Whether the re-audit's population coverage reaches the target.",
        "plan_before_after": "Population coverage {before} → {after}; area coverage "
        "{area_before} → {area_after}. Target {target}. {cells} new cells, operator {operator}, "
        "method {method}, {rounds} planning round(s).",
        "plan_estimate": "How the planner estimates: {note}",
        "plan_curve": "Sites added → population coverage",
        "plan_curve_help": "Line: the planner's estimate as sites are added (in the order "
        "proposed). Dots: audited figures (0 sites = the current network). Dashed: the target.",
        "curve_sites": "New sites added",
        "curve_pct": "Population coverage [%]",
        "curve_series": "Figure",
        "curve_estimate": "planner's estimate",
        "curve_milp": "MILP optimum (estimate)",
        "curve_audit": "audited",
        "curve_target": "target",
        "plan_map": "Proposed sites",
        "plan_map_help": "Orange circles: proposed new sites (hover for their order and the "
        "people they add). Wards are coloured by their coverage after the proposal. Map data "
        "© OpenStreetMap contributors.",
        "plan_wards": "Per-ward improvement",
        "plan_wards_help": "Audited coverage before and after, wards with most new sites first.",
        "col_pop_before": "Population before [%]",
        "col_pop_after": "Population after [%]",
        "col_area_before": "Area before [%]",
        "col_area_after": "Area after [%]",
        "col_newly_covered": "Newly covered [people]",
        "col_new_sites": "New sites",
        "col_meets_after": "Meets target after",
        "plan_downloads": "Downloads",
        "dl_proposed": "Proposed sites (proposed_sites.csv)",
        "dl_proposed_help": "A site/sector sheet in the format the Data page reads (the columns "
        "of the shipped sample, plus the order in which sites were added).",
        "dl_plan_wards": "Per-ward before/after (CSV)",
        "dl_plan_curve": "Coverage curve (CSV)",
        "dl_plan_summary": "Plan summary (JSON)",
        "plan_to_compare": "Send to Compare",
        "plan_to_compare_help": "Open the Compare page with the existing plus the proposed sites "
        "as the alternative network.",
        "plan_compare_label": "existing + {n} proposed sites ({what})",
        "plan_label_target": "target {target:g} %",
        "plan_label_budget": "budget of {n} sites",
        "plan_no_sites": "No new site was proposed: nothing to compare.",
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
