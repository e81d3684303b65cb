"""Every text of the app, in Vietnamese and English.

Pages call ``t("key")`` (or ``t("key", n=3)`` for templates with ``{n}``);
numbers are formatted before they go in (:mod:`fmt`). The language is the
session's choice (the sidebar switch), else ``PHUSONG_LANG``, else
Vietnamese. ``tests/test_app.py`` fails when a key lacks a text in either
language, when the two texts of a key have different placeholders, and when a
page shows English text in the Vietnamese interface.

Vietnamese is written for city officials, not radio engineers: "tỷ lệ dân
số có sóng 5G" rather than "population-weighted coverage"; the technical
term goes in the tooltip ("(SS-RSRP)").
"""

from __future__ import annotations

import re
import string
import threading
from collections.abc import Callable, Mapping

import streamlit as st

#: Session-state key of the language switch, and of the last language chosen (the
#: switch can be emptied by clicking the chosen language again).
LANG_KEY = "ui_lang"
LAST_LANG_KEY = "ui_lang_last"

EN: dict[str, str] = {
    # shell
    "nav_overview": "Overview",
    "nav_data": "Data",
    "nav_model": "Model",
    "nav_plan": "Plan",
    "nav_compare": "Compare",
    "nav_downloads": "Downloads",
    "sidebar_data": "Data in use",
    "sidebar_sites_sample": "Sites: the shipped SYNTHETIC sample network",
    "sidebar_sites_upload": "Sites: {name}",
    "sidebar_wards_default": "Wards: the 126 wards and communes of Hà Nội "
    "(© OpenStreetMap contributors)",
    "sidebar_wards_upload": "Wards: {name}",
    "sidebar_raster": "Population raster: {name}",
    "sidebar_model": "Model: {label}",
    "sidebar_goal": "Goal: {goal}",
    "sample_name": "the synthetic sample network",
    "goal_text_plan": "{target} of {what} by {year} (Hà Nội plan 58/KH-UBND)",
    "goal_text_custom": "{target} of {what} (a target you chose)",
    "yes": "yes",
    "no": "no",
    "n_of_m": "{n} of {m}",
    "operator_any": "all operators",
    # synthetic data
    "synthetic_banner": "**SYNTHETIC DATA.** The sites are the shipped synthetic sample network, "
    "made up for demonstration — not real operator data. Upload real sites on the Data page.",
    "synthetic_short": "SYNTHETIC sample data — not real operator sites",
    "synthetic_banner_files": "**SYNTHETIC DATA.** Every file below is made from the synthetic "
    "sample network: its name ends in _SYNTHETIC and the file says so inside.",
    "map_synthetic": "SYNTHETIC sample data — not real operator sites",
    # goal controls
    "goal_target": "Target",
    "goal_target_help": "Hà Nội's plan 58/KH-UBND (2025): 5G for 99 % of the population by "
    "2030. Changing the target only re-judges the wards; coverage is not recomputed.",
    "goal_metric": "Count by",
    "goal_metric_help": "People: the share of residents who live where there is 5G "
    "(population-weighted). Land: the share of the area with 5G (area-weighted). The two can "
    "differ by 20 points.",
    "metric_population": "people",
    "metric_area": "land",
    "metric_short_population": "share of people",
    "metric_short_area": "share of land",
    # overview: verdict
    "overview_title": "5G in Hà Nội's wards and communes",
    "computing": "Computing coverage…",
    "verdict_what_population": "the population",
    "verdict_what_area": "the land",
    "verdict_met": ":blue[:material/check_circle:] Met: {value} of {what} has 5G — the goal is {target} by {year}.",
    "verdict_not_met": ":orange[:material/cancel:] Not met: {value} of {what} has 5G; the goal is {target} by {year}. "
    "{missing}{sites}",
    "verdict_missing_people": "**{people} people** still without 5G",
    "verdict_missing_area": "**{area}** still without 5G",
    "verdict_sites": " ≈ **{n} new sites**.",
    "verdict_sites_pending": " (estimating the new sites needed…)",
    "verdict_sites_unreachable": "; the candidate positions tried cannot reach the goal.",
    "verdict_model": "Model: {label}.",
    "verdict_estimate_note": "New sites: a quick estimate (the planner on a {cell} grid of "
    "people, new {operator} sites, not yet checked by a full re-audit); the Plan page gives "
    "the checked figure.",
    "verdict_area_note": "The estimate of new sites is made for a goal counted in people.",
    "verdict_estimate_failed": "The quick estimate of new sites failed; the Plan page can still "
    "plan.",
    "vs_goal": "{delta} against the goal",
    "m_pop": "People with 5G",
    "m_pop_help": "Population coverage (population-weighted): the share of residents living "
    "where the model says there is 5G service.",
    "m_area": "Land with 5G",
    "m_area_help": "Area coverage (area-weighted): the share of the land with 5G service.",
    "m_wards": "Wards meeting the goal",
    "m_wards_help": "Wards and communes whose own coverage reaches the target.",
    "m_uncovered": "People without 5G",
    "m_uncovered_help": "Residents without 5G service according to the model.",
    "needs_title": "The {n} wards that need most",
    "needs_help": "Ranked by what closing their gap adds to the city's figure. The sites are a "
    "quick estimate for each ward on its own (its own residents only).",
    "needs_none": "Every ward meets the goal.",
    "needs_short": "Short of {target}",
    "needs_sites_col": "≈ New sites",
    "needs_sites_help": "Quick estimate of the new sites this ward needs on its own "
    "(… while it is being estimated).",
    "needs_caption": "Click a row to see the ward on the map and its figures below.",
    "map_help": "Click a ward to see its figures below. Dashed outlines: places without 5G. "
    "Layers and the legend can be switched at the corners of the map.",
    "layer_wards": "Wards",
    "layer_gaps": "Places without 5G",
    "layer_sites": "Existing sites",
    "layer_proposed": "Proposed new sites",
    "layer_accepted": "Accepted sites",
    "layer_fixed": "Sites accepted after a fix",
    "leg_title": "Ward coverage ({metric})",
    "leg_title_after": "Ward coverage after the plan",
    "leg_unknown": "unknown (no population figure)",
    "leg_gaps": "places without 5G",
    "leg_sites": "existing sites",
    "leg_proposed": "proposed new sites ({n})",
    "leg_note": "Ward names appear when you zoom in.",
    "leg_change_title": "Change ({metric}, points)",
    "leg_preview_title": "Sites in the file",
    "leg_accepted": "accepted ({n})",
    "leg_fixed": "accepted after a fix ({n})",
    "leg_rejected": "{n} rows rejected: listed below the map.",
    "tip_ward": "<b>{name}</b><br>People with 5G: {pop}<br>Land with 5G: {area}<br>"
    "Without 5G: {uncovered}<br>{status}",
    "tip_meets": "Meets the goal",
    "tip_misses": "Below the goal: {short} short",
    "tip_change": "<b>{name}</b><br>Baseline: {before}<br>Alternative: {after}<br>Change: {change}",
    "tip_proposed": "<b>#{order} · {site}</b><br>{ward}<br>≈ {people} newly served (estimate)",
    "tip_proposed_place": "Placed to cover the target place <b>{place}</b>",
    # overview: details
    "ward_pick": "Ward or commune",
    "ward_pick_help": "Click a ward on the map, or type a name here.",
    "d_meets": "Meets the goal",
    "d_misses": "Below the goal",
    "d_pop": "People with 5G",
    "d_area": "Land with 5G",
    "d_uncovered": "People without 5G",
    "d_gap_area": "Land without 5G",
    "d_gap_area_help": "Area of the ward without 5G service [km²].",
    "d_by_operator": "By operator",
    "d_redundancy": "People by number of serving sites",
    "d_redundancy_help": "Served by one site only is fragile: one site outage removes the service.",
    "red_0": "none (no 5G)",
    "red_1": "1 site",
    "red_2_4": "2–4 sites",
    "red_5plus": "5 or more",
    "ward_table": "Every ward",
    "ward_table_help": "Wards holding the city back most come first.",
    "distribution": "How many wards at each coverage level",
    "cal_title": "Calibrate the model with measured signal",
    "cal_intro": "Upload a drive test or a crowdsourced export (latitude, longitude, SS-RSRP or "
    "RSRP in dBm; operator, cell and channel if the file has them). The model is fitted to it "
    "per operator, band and scenario, and the error before and after is measured on points "
    "held out of the fit.",
    "cal_needs_pathloss": "Calibration tunes a path-loss model; the quick footprint models "
    "(disc, sector) have nothing to tune. Choose a path-loss model above to calibrate.",
    "cal_upload": "Measurements (CSV, XLSX, GeoJSON, GeoPackage, Parquet)",
    "cal_upload_help": "G-NetTrack-style logs, Network Survey, CellMapper and Vietnamese headers "
    "are recognised; rows that cannot be used are listed with the reason.",
    "cal_use_sample": "Use the SYNTHETIC sample drive test",
    "cal_file": "Measurements: {name}",
    "cal_distance": "Error against distance from the serving site, before and after",
    "cal_map": "Where the model is too high or too low",
    "cal_download": "Download calibration.json",
    "cal_apply": "Apply this calibration to the audit",
    "cal_apply_help": "Every page then uses the calibrated model; the model label says which "
    "calibration is applied.",
    "progress_title": "Progress over time: on track for 2030?",
    "progress_help": "The network audited at the end of every quarter since its first site went on "
    "air (each site's on-air date), the pace of the last year against the pace the city's "
    "targets need, with the same model and settings as above.",
    "progress_run": "Show progress over time",
    "progress_synthetic": "The on-air dates of the SYNTHETIC sample are made up like its sites.",
    "progress_series_now": "People with 5G",
    "progress_series_needed": "Needed to reach the target on time",
    "progress_series_pace": "At this year's pace",
    "progress_series_target": "Target",
    "progress_date": "Date",
    "progress_goals": "The city's dated targets",
    "col_rank": "Rank",
    "col_rank_help": "1 = closing this ward's gap adds most to the city's figure.",
    "col_ward": "Ward / commune",
    "col_pop_pct": "People with 5G",
    "col_area_pct": "Land with 5G",
    "col_meets": "Meets goal",
    "col_short_pop": "Short of the goal (people)",
    "col_short_area": "Short of the goal (km²)",
    "col_short_help": "How many more people (or km²) need 5G for the ward to reach the target.",
    "col_uncovered": "Without 5G (people)",
    "col_gain": "City gain (points)",
    "col_gain_help": "How many percentage points the city's figure would gain if this ward's "
    "whole gap were closed.",
    "col_operator": "Operator",
    "col_count": "Wards",
    "col_coverage": "Coverage (%)",
    "col_people": "People",
    "col_servers": "Serving sites",
    "col_before": "Baseline",
    "col_after": "Alternative",
    "col_change": "Change",
    "col_file": "File",
    "col_row": "Row",
    "col_column": "Column",
    "col_problem": "Problem",
    "col_value": "Value",
    # data
    "data_title": "Data",
    "data_intro": "Upload your own network (sites or cells) and, if you wish, other ward "
    "boundaries and a population raster. Every row is checked; a file that cannot be used "
    "never replaces the data in use.",
    "sites_title": "Sites",
    "wards_title": "Ward boundaries",
    "raster_title": "Population raster",
    "up_sites": "Sites file (CSV, CSV.GZ, XLSX, GeoJSON, GeoPackage, zipped Shapefile, Parquet)",
    "up_sites_help": "An OpenCelliD export, an operator site/sector sheet, or points.",
    "up_wards": "Ward boundaries (optional; GeoJSON, GeoPackage, zipped Shapefile, Parquet)",
    "up_raster": "Population raster (optional; GeoTIFF)",
    "up_raster_help": "People per pixel, e.g. WorldPop.",
    "upload_failed": "**{name}** could not be used. Still in use: **{in_use}**.",
    "upload_failed_why": "Why the file could not be used",
    "checking_upload": "Checking the file…",
    "err_no_usable_sites": "{name}: no row could be used as a site.",
    "sites_sample_in_use": "In use: the shipped synthetic sample network.",
    "sites_in_use": "In use: {name}",
    "wards_shipped": "the shipped Hà Nội wards",
    "raster_none": "No population raster: each ward's official population is spread evenly.",
    "use_sample": "Go back to the synthetic sample",
    "use_default_wards": "Go back to the shipped Hà Nội wards",
    "drop_raster": "Spread each ward's official population evenly instead",
    "validation": "What was read",
    "rows_read": "Rows read",
    "rows_accepted": "Accepted",
    "rows_fixed": "Fixed",
    "rows_fixed_help": "Rows accepted after an automatic fix (listed under Notes).",
    "rows_rejected": "Rejected",
    "rows_filtered": "{n} rows of other radio technologies were left out (see the Model page).",
    "rejected_rows": "Rejected rows",
    "no_rejected": "No row was rejected.",
    "notes": "Notes",
    "notes_help": "Fixes made while reading (e.g. swapped latitude and longitude).",
    "download_report": "Download the validation report (CSV)",
    "wards_loaded": "{n} wards read from {name}.",
    "raster_loaded": "The population raster {name} is used.",
    # errors
    "err_data": "The file could not be used. Problems found:",
    "err_config": "A setting is not valid:",
    "err_other": "Something went wrong. Your data was not changed. Try another file or other "
    "settings; the technical details are below.",
    "err_details": "Technical details",
    # model
    "model_title": "Model",
    "model_intro": "How coverage is estimated. The defaults are a common 5G planning setup.",
    "model_pick": "Coverage model",
    "model_help": "Footprint models (disc, sector) draw each cell's reach exactly and fast. "
    "Path-loss models compute the signal on a grid (slower, closer to the physics).",
    "model_label_disc": "disc: quick footprint estimate (each cell's range as a disc; no "
    "propagation, outdoors: an upper bound)",
    "model_label_sector": "sector: quick footprint estimate (each cell's sector; no "
    "propagation, outdoors: an upper bound)",
    "model_label_pathloss": "{name}: signal computed on a {resolution} grid, served from "
    "{threshold} (SS-RSRP)",
    "model_label_planning": "planning (3GPP TR 38.901 per ward, terrain): signal computed on a "
    "{resolution} grid, served from {threshold} (SS-RSRP), outdoors",
    "model_desc_planning": "the default: 3GPP TR 38.901 path loss with the scenario chosen per "
    "ward and cell (UMa in urban wards, RMa in rural communes, UMi for small cells), terrain, "
    "and an indoor layer; link budget to SS-RSRP",
    "model_desc_disc": "each cell's range as a disc (OpenCelliD range or a default per band): a "
    "quick footprint estimate (no propagation, outdoors: an upper bound)",
    "model_desc_sector": "each cell's sector: direction, beam width and range: a quick "
    "footprint estimate (no propagation, outdoors: an upper bound)",
    "model_desc_uma": "3GPP urban macro (UMa, NLOS): path loss and link budget to SS-RSRP",
    "model_desc_umi": "3GPP urban micro street canyon (UMi, NLOS): path loss and link budget",
    "model_desc_rma": "3GPP rural macro (RMa, NLOS): path loss and link budget",
    "model_desc_hata": "COST-231 Hata (extrapolated above 2 GHz): path loss and link budget",
    "model_desc_fspl": "free-space path loss (an optimistic bound)",
    "vector_note": "The signal threshold and the grid apply only to the path-loss models.",
    "grid_note": "Path-loss models compute the signal on a grid over the whole area, so they "
    "take longer than the quick footprint models: the time grows with the number of cells and "
    "with finer grids (the README's benchmarks give measured times).",
    "threshold": "Signal threshold, SS-RSRP (dBm)",
    "threshold_help": "A place counts as served when the strongest cell's reference signal "
    "(SS-RSRP) reaches this level. −110 dBm is a common 5G planning value.",
    "resolution": "Grid size (m)",
    "resolution_help": "Side of one grid square of the path-loss models. Finer is more detailed "
    "and slower.",
    "operators": "Operators",
    "operators_help": "Keep only these operators; none selected keeps all.",
    "radio": "Radio technologies",
    "radio_help": "NR is 5G. Add LTE to see 4G coverage for comparison.",
    "models_table": "The models",
    "col_model": "Model",
    "col_model_what": "What it does",
    # plan
    "plan_title": "Plan new sites",
    "plan_intro": "Where should new 5G sites go? The planner proposes positions that close the "
    "gaps of the network in use (data, model and settings), then audits the network again with "
    "the proposed sites to check the result. It aims at the share of **people** served.",
    "plan_goal": "What to aim for",
    "plan_goal_help": "A city target: the fewest sites for the city's figure. Every ward: also "
    "bring each ward and commune to a floor. A number of sites: the best coverage with that many.",
    "plan_goal_target": "A target for the whole city",
    "plan_goal_floor": "Every ward at least X %",
    "plan_goal_budget": "The best with N new sites",
    "plan_target": "City target: people with 5G (%)",
    "plan_target_help": "Share of residents who should have 5G. Starts at the goal of the "
    "Overview. The planner adds the fewest sites it can find.",
    "plan_floor": "Every ward at least (%)",
    "plan_floor_help": "Each ward and commune must reach this share of its own residents, as "
    "well as the city target.",
    "plan_budget": "New sites (at most)",
    "plan_budget_help": "The planner places at most this many new sites where they serve most "
    "people. The target is then only a yardstick.",
    "plan_method": "Method",
    "plan_method_help": "Fast adds, one by one, the site serving most new people: usually "
    "within a few percent of the best. Exact (MILP) solves the optimisation problem: it can save "
    "sites but is slower, so it stops at the time limit.",
    "method_greedy": "Fast",
    "method_milp": "Exact (MILP), slower",
    "method_both": "Both",
    "plan_time_limit": "Time limit of the exact method (s)",
    "plan_time_limit_help": "The exact method returns the best plan found when time is up.",
    "plan_spacing": "Minimum distance between sites (m)",
    "plan_spacing_help": "No two new sites closer than this, and no new site this close to an "
    "existing site of the same operator. 0 = no limit.",
    "plan_operator": "Operator of the new sites",
    "plan_operator_help": "A new site's band, power and reach follow this operator's 5G "
    "spectrum. Automatic: the operator chosen on the Model page, else the one with most cells.",
    "plan_operator_auto": "automatic",
    "plan_candidates": "Allowed positions (optional; CSV with lat/lon, GeoJSON, GeoPackage, "
    "zipped Shapefile)",
    "plan_candidates_help": "Rooftops, poles or plots where a site may go, as points (or "
    "polygons: a point inside each is used). Without a file the planner tries positions on a "
    "regular grid in and around the gaps.",
    "plan_candidates_in_use": "Allowed positions: {name}",
    "plan_candidates_grid": "Allowed positions: a regular grid in and around the gaps.",
    "plan_candidates_clear": "Use the grid instead",
    "plan_excluded": "No-build zones (optional; polygons: GeoJSON, GeoPackage, zipped Shapefile, "
    "GeoParquet)",
    "plan_excluded_help": "Areas where no new site may go (parks, heritage areas, the airport…).",
    "plan_excluded_in_use": "No-build zones: {name}",
    "plan_excluded_none": "No no-build zone.",
    "plan_excluded_clear": "Remove the no-build zones",
    # issue #15: target places the plan must cover
    "plan_targets": "Target places (optional; points or polygons with deadline and kind: "
    "GeoJSON, GeoPackage, zipped Shapefile, or CSV/XLSX with lat/lon)",
    "plan_targets_help": "Industrial parks, stations, the airport… that must have 5G. Each is "
    "judged by its rule: served (the place has 5G) or site (a 5G site stands in it).",
    "plan_targets_in_use": "Target places: {name}",
    "plan_targets_none": "No target places.",
    "plan_targets_clear": "Remove the target places",
    "plan_cover_targets": "Cover every target place",
    "plan_cover_targets_help": "Place new sites for the target places not covered, so that "
    "every one is covered after the plan (each by its own rule). These sites count against "
    "the budget. Needs a target places file.",
    "plan_area_note": "The goal of the Overview counts land; planning always counts people. "
    "Both are shown below.",
    "plan_run": "Propose sites",
    "plan_running": "Proposing sites and checking them…",
    "plan_progress": "{step} — {pct} · {s} s",
    "plan_cancel": "Cancel",
    "plan_cancelled": "The plan was cancelled. Change the options and press Propose sites again.",
    "plan_prompt": "Choose the options and press **Propose sites**.",
    "plan_stale": "The results below are for the options or data of the last press of "
    "**Propose sites**; press it again to update them.",
    "plan_results": "Result",
    "plan_headline_met": "With {n} new sites, {after} of the population has 5G (now {before}): "
    "the target of {target} is met.",
    "plan_headline_short": "With {n} new sites, {after} of the population has 5G (now "
    "{before}): still short of the target of {target}.",
    "plan_headline_budget": "With {budget} new sites at most ({n} placed), {after} of the "
    "population has 5G (now {before}); target {target}.",
    "plan_headline_wards": "{after} of {m} wards reach {target} (now {before}).",
    "plan_headline_lowest": "Lowest ward: {name}, {pct}.",
    "plan_headline_floor": "Every ward at least {floor}: {ok}.",
    "m_pop_after": "People with 5G after",
    "m_pop_after_help": "Population coverage (population-weighted) from a full audit with the "
    "existing and the proposed sites; the change is against the network in use.",
    "m_area_after": "Land with 5G after",
    "m_area_after_help": "Area coverage (area-weighted) from the same audit.",
    "m_new_sites": "New sites",
    "m_new_sites_help": "Proposed sites (a 3-sector site counts once).",
    "m_wards_after": "Wards reaching the target",
    "m_wards_after_help": "Wards and communes whose own population coverage reaches the target "
    "after the plan (audited).",
    "plan_details": "{cells} new cells, operator {operator}, method: {method}, {rounds} planning "
    "round(s). Model: {model}.",
    "plan_estimate_note": "Figures after the plan come from a full audit with the proposed "
    "sites; the people each site adds are the planner's estimate on its demand grid.",
    "plan_curve": "Sites added → people with 5G",
    "plan_curve_help": "Line: the planner's estimate as sites are added, in the order proposed. "
    "Dots: audited figures (0 sites = the network in use). Dashed: the target.",
    "curve_sites": "New sites added",
    "curve_pct": "People with 5G (%)",
    "curve_series": "Figure",
    "curve_estimate": "planner's estimate",
    "curve_milp": "exact method (estimate)",
    "curve_audit": "audited",
    "curve_target": "target",
    "plan_map": "Proposed sites",
    "plan_map_help": "White dots: proposed new sites (hover for their order, ward and the people "
    "they add). Wards are coloured by their coverage after the plan.",
    "plan_sites": "Each proposed site",
    "plan_sites_help": "In the order the planner added them; people added are its estimate.",
    "col_order": "Order",
    "col_site": "Site",
    "col_people_added": "People added (estimate)",
    "col_reason": "Why",
    "plan_reason_coverage": "coverage target",
    "plan_reason_place": "target place {place}",
    "plan_headline_targets": "Target places with 5G: {after} of {n} (before: {before}); "
    "{sites} new sites placed for them.",
    "plan_headline_targets_ignored": "Target places with 5G: {after} of {n} (before: {before}); "
    "covering them was not asked for.",
    "plan_targets_left": "Target places still without 5G",
    "col_place": "Place",
    "col_served_share": "Share served",
    "plan_targets_reason_excluded": "no allowed position: it lies in no-build zones",
    "plan_targets_reason_not_served": "the site placed for it did not cover it under the model",
    "plan_targets_reason_no_gain": "its served share stopped growing",
    "plan_targets_reason_rounds": "the planning rounds ran out",
    "plan_targets_reason_budget": "a budget plan has one round; raise the budget",
    "plan_targets_reason_not_asked": "covering target places was not asked for",
    "col_lat": "Latitude",
    "col_lon": "Longitude",
    "plan_wards": "Each ward before and after",
    "plan_wards_help": "Audited coverage before and after; wards with most new sites first.",
    "col_pop_before": "People with 5G before",
    "col_pop_after": "People with 5G after",
    "col_area_before": "Land with 5G before",
    "col_area_after": "Land with 5G after",
    "col_newly_covered": "Newly served (people)",
    "col_new_sites": "New sites",
    "col_meets_after": "Meets the target after",
    "plan_downloads": "Downloads",
    "dl_proposed": "Proposed sites, as a site sheet (CSV)",
    "dl_proposed_by_site": "Proposed sites with ward and people added (CSV)",
    "dl_plan_wards": "Each ward before and after (CSV)",
    "dl_plan_curve": "Coverage curve (CSV)",
    "dl_plan_summary": "Plan summary (JSON)",
    "dl_plan_bundle": "Everything in one ZIP",
    "plan_to_compare": "Compare with the network in use",
    "plan_to_compare_help": "Open the Compare page with the existing plus the proposed sites "
    "as the alternative.",
    "plan_compare_label": "existing + {n} proposed sites ({what})",
    "plan_label_target": "city target {target}",
    "plan_label_floor": "every ward at least {floor}",
    "plan_label_budget": "at most {n} new sites",
    "plan_no_sites": "No new site was proposed: nothing to compare.",
    # compare
    "compare_title": "Compare",
    "compare_intro": "Compare the network in use (baseline) with another one: an uploaded "
    "network, or the sites proposed on the Plan page.",
    "cmp_upload": "Alternative network (same formats as on the Data page)",
    "cmp_none": "Upload an alternative network, or send a plan here from the Plan page.",
    "cmp_clear": "Remove the alternative",
    "cmp_baseline": "Baseline",
    "cmp_alternative": "Alternative",
    "cmp_side": "{name} — {sites} sites; {model}",
    "cmp_goal": "Judged against the goal: {goal}.",
    "cmp_map_help": "Wards coloured by the change from the baseline to the alternative.",
    "cmp_table": "Each ward",
    # downloads
    "downloads_title": "Downloads",
    "downloads_intro": "Every result of the data, model and goal in use, as the command line "
    "writes them.",
    "downloads_for": "Goal: {goal}. Model: {model}.",
    "dl_bundle_title": "Everything in one file",
    "dl_bundle_help": "{name}: {n} files (report, map, tables, summary).",
    "dl_bundle": "Download the ZIP",
    "dl_report": "Report (HTML)",
    "dl_map": "Map (HTML)",
    "dl_wards_csv": "Ward table (CSV)",
    "dl_by_operator": "Ward table by operator (CSV)",
    "dl_wards_geojson": "Ward table with boundaries (GeoJSON)",
    "dl_gaps": "Places without 5G (GeoJSON)",
    "dl_summary": "City summary (JSON)",
    "dl_validation": "Rejected rows of the sites file (CSV)",
    "dl_geotiff": "Signal strength raster (GeoTIFF)",
    "dl_geotiff_na": "A signal raster (GeoTIFF) exists only for the path-loss models; choose one "
    "on the Model page.",
}

VI: dict[str, str] = {
    # shell
    "nav_overview": "Tổng quan",
    "nav_data": "Dữ liệu",
    "nav_model": "Mô hình",
    "nav_plan": "Quy hoạch trạm",
    "nav_compare": "So sánh",
    "nav_downloads": "Tải về",
    "sidebar_data": "Dữ liệu đang dùng",
    "sidebar_sites_sample": "Trạm: bộ dữ liệu mẫu GIẢ LẬP đi kèm phần mềm",
    "sidebar_sites_upload": "Trạm: {name}",
    "sidebar_wards_default": "Ranh giới: 126 phường, xã của Hà Nội (© OpenStreetMap contributors)",
    "sidebar_wards_upload": "Ranh giới: {name}",
    "sidebar_raster": "Bản đồ dân số: {name}",
    "sidebar_model": "Mô hình: {label}",
    "sidebar_goal": "Mục tiêu: {goal}",
    "sample_name": "bộ dữ liệu mẫu giả lập",
    "goal_text_plan": "{target} {what} vào năm {year} (Kế hoạch 58/KH-UBND của Hà Nội)",
    "goal_text_custom": "{target} {what} (mục tiêu tự chọn)",
    "yes": "có",
    "no": "không",
    "n_of_m": "{n}/{m}",
    "operator_any": "mọi nhà mạng",
    # synthetic data
    "synthetic_banner": "**DỮ LIỆU GIẢ LẬP.** Các trạm đang hiển thị là bộ dữ liệu mẫu giả lập, "
    "dựng lên để minh hoạ — không phải số liệu thật của nhà mạng. Hãy tải dữ liệu trạm thật "
    "lên ở trang Dữ liệu.",
    "synthetic_short": "DỮ LIỆU GIẢ LẬP — không phải trạm thật của nhà mạng",
    "synthetic_banner_files": "**DỮ LIỆU GIẢ LẬP.** Mọi tệp dưới đây được tạo từ bộ dữ liệu mẫu "
    "giả lập: tên tệp có đuôi _SYNTHETIC và nội dung tệp cũng ghi rõ điều đó.",
    "map_synthetic": "DỮ LIỆU GIẢ LẬP — không phải trạm thật",
    # goal controls
    "goal_target": "Mục tiêu",
    "goal_target_help": "Kế hoạch 58/KH-UBND (2025) của Hà Nội: 99 % dân số có sóng 5G vào năm "
    "2030. Đổi mục tiêu chỉ đánh giá lại các phường, xã; vùng phủ sóng không phải tính lại.",
    "goal_metric": "Tính theo",
    "goal_metric_help": "Dân số: tỷ lệ người dân sống ở nơi có sóng 5G (tính theo dân số). "
    "Diện tích: tỷ lệ diện tích đất có sóng 5G (tính theo diện tích). Hai con số có thể chênh "
    "nhau tới 20 điểm phần trăm.",
    "metric_population": "dân số",
    "metric_area": "diện tích",
    "metric_short_population": "tỷ lệ dân số",
    "metric_short_area": "tỷ lệ diện tích",
    # overview: verdict
    "overview_title": "Sóng 5G ở các phường, xã Hà Nội",
    "computing": "Đang tính vùng phủ sóng…",
    "verdict_what_population": "dân số",
    "verdict_what_area": "diện tích",
    "verdict_met": ":blue[:material/check_circle:] Đạt: {value} {what} đã có sóng 5G — mục tiêu {target} vào năm {year}.",
    "verdict_not_met": ":orange[:material/cancel:] Chưa đạt: {value} {what} có sóng 5G; mục tiêu {target} vào năm "
    "{year}. {missing}{sites}",
    "verdict_missing_people": "Còn thiếu **{people} người**",
    "verdict_missing_area": "Còn thiếu **{area}**",
    "verdict_sites": " ≈ **{n} trạm mới**.",
    "verdict_sites_pending": " (đang ước tính số trạm mới cần có…)",
    "verdict_sites_unreachable": "; các vị trí đặt trạm đã thử không đủ để đạt mục tiêu.",
    "verdict_model": "Mô hình: {label}.",
    "verdict_estimate_note": "Số trạm mới là ước tính nhanh (bộ quy hoạch đếm dân số trên lưới "
    "{cell}, trạm mới của {operator}, chưa kiểm tra lại bằng một lần đánh giá đầy đủ); trang "
    "Quy hoạch trạm cho con số đã kiểm tra.",
    "verdict_area_note": "Số trạm mới chỉ được ước tính khi mục tiêu tính theo dân số.",
    "verdict_estimate_failed": "Không ước tính nhanh được số trạm mới; trang Quy hoạch trạm vẫn "
    "lập được phương án.",
    "vs_goal": "{delta} so với mục tiêu",
    "m_pop": "Dân số có 5G",
    "m_pop_help": "Tỷ lệ dân số có sóng 5G (tính theo dân số): phần người dân sống ở nơi mô hình "
    "cho là có sóng 5G.",
    "m_area": "Diện tích có 5G",
    "m_area_help": "Tỷ lệ diện tích có sóng 5G (tính theo diện tích): phần đất có sóng 5G.",
    "m_wards": "Phường, xã đạt mục tiêu",
    "m_wards_help": "Số phường, xã mà tỷ lệ phủ sóng của chính mình đạt mục tiêu.",
    "m_uncovered": "Người chưa có 5G",
    "m_uncovered_help": "Số người dân chưa có sóng 5G theo mô hình.",
    "needs_title": "{n} phường, xã cần nhất",
    "needs_help": "Xếp theo mức đóng góp cho cả thành phố nếu lấp kín vùng lõm sóng. Số trạm là "
    "ước tính nhanh cho riêng từng phường, xã (chỉ tính người dân của nơi đó).",
    "needs_none": "Mọi phường, xã đều đạt mục tiêu.",
    "needs_short": "Còn thiếu để đạt {target}",
    "needs_sites_col": "≈ Trạm mới",
    "needs_sites_help": "Ước tính nhanh số trạm mới mà riêng phường, xã này cần (… là đang "
    "ước tính).",
    "needs_caption": "Bấm vào một dòng để xem phường, xã đó trên bản đồ và số liệu bên dưới.",
    "map_help": "Bấm vào một phường, xã để xem số liệu ở bên dưới. Viền nét đứt: vùng lõm sóng "
    "(chưa có 5G). Các lớp bản đồ và chú giải bật/tắt ở góc bản đồ.",
    "layer_wards": "Phường, xã",
    "layer_gaps": "Vùng lõm sóng",
    "layer_sites": "Trạm hiện có",
    "layer_proposed": "Trạm mới đề xuất",
    "layer_accepted": "Trạm hợp lệ",
    "layer_fixed": "Trạm đã được sửa tự động",
    "leg_title": "Mức phủ sóng ({metric})",
    "leg_title_after": "Mức phủ sóng sau quy hoạch",
    "leg_unknown": "không rõ (thiếu số dân)",
    "leg_gaps": "vùng lõm sóng",
    "leg_sites": "trạm hiện có",
    "leg_proposed": "trạm mới đề xuất ({n})",
    "leg_note": "Phóng to bản đồ để thấy tên phường, xã.",
    "leg_change_title": "Thay đổi ({metric}, điểm %)",
    "leg_preview_title": "Trạm trong tệp",
    "leg_accepted": "hợp lệ ({n})",
    "leg_fixed": "hợp lệ sau khi sửa tự động ({n})",
    "leg_rejected": "{n} dòng bị loại: xem danh sách dưới bản đồ.",
    "tip_ward": "<b>{name}</b><br>Dân số có 5G: {pop}<br>Diện tích có 5G: {area}<br>"
    "Chưa có 5G: {uncovered}<br>{status}",
    "tip_meets": "Đạt mục tiêu",
    "tip_misses": "Chưa đạt: thiếu {short}",
    "tip_change": "<b>{name}</b><br>Hiện trạng: {before}<br>Phương án: {after}<br>"
    "Thay đổi: {change}",
    "tip_proposed": "<b>#{order} · {site}</b><br>{ward}<br>≈ {people} có thêm sóng (ước tính)",
    "tip_proposed_place": "Đặt để phủ sóng địa điểm mục tiêu <b>{place}</b>",
    # overview: details
    "ward_pick": "Phường, xã",
    "ward_pick_help": "Bấm vào bản đồ, hoặc gõ tên phường, xã ở đây.",
    "d_meets": "Đạt mục tiêu",
    "d_misses": "Chưa đạt mục tiêu",
    "d_pop": "Dân số có 5G",
    "d_area": "Diện tích có 5G",
    "d_uncovered": "Người chưa có 5G",
    "d_gap_area": "Diện tích chưa có 5G",
    "d_gap_area_help": "Diện tích trong phường, xã chưa có sóng 5G (km²).",
    "d_by_operator": "Theo từng nhà mạng",
    "d_redundancy": "Số người theo số trạm phục vụ",
    "d_redundancy_help": "Chỉ có một trạm phục vụ là dễ mất sóng: một trạm gặp sự cố là cả khu "
    "vực mất 5G.",
    "red_0": "không có (chưa có 5G)",
    "red_1": "1 trạm",
    "red_2_4": "2–4 trạm",
    "red_5plus": "từ 5 trạm",
    "ward_table": "Tất cả phường, xã",
    "ward_table_help": "Phường, xã kéo tỷ lệ chung của thành phố xuống nhiều nhất đứng đầu.",
    "distribution": "Số phường, xã theo mức phủ sóng",
    "cal_title": "Hiệu chỉnh mô hình bằng số đo thực tế",
    "cal_intro": "Tải lên kết quả đo kiểm (drive test) hoặc dữ liệu đo từ người dùng (vĩ độ, "
    "kinh độ, SS-RSRP hoặc RSRP tính bằng dBm; nhà mạng, cell và kênh tần số nếu có). Mô hình "
    "được hiệu chỉnh theo từng nhà mạng, băng tần và loại khu vực; sai số trước và sau hiệu "
    "chỉnh được đo trên những điểm không dùng để hiệu chỉnh.",
    "cal_needs_pathloss": "Hiệu chỉnh chỉ áp dụng cho mô hình suy hao đường truyền; các mô hình "
    "ước tính nhanh theo vùng phủ (hình tròn, hình quạt) không có gì để hiệu chỉnh. Hãy chọn "
    "một mô hình suy hao ở trên.",
    "cal_upload": "Số đo (CSV, XLSX, GeoJSON, GeoPackage, Parquet)",
    "cal_upload_help": "Nhận được tệp theo kiểu G-NetTrack, Network Survey, CellMapper và tên "
    "cột tiếng Việt; các dòng không dùng được sẽ được liệt kê kèm lý do.",
    "cal_use_sample": "Dùng bộ số đo mẫu GIẢ LẬP",
    "cal_file": "Số đo: {name}",
    "cal_distance": "Sai số theo khoảng cách tới trạm phục vụ, trước và sau hiệu chỉnh",
    "cal_map": "Nơi mô hình tính cao hơn hoặc thấp hơn số đo",
    "cal_download": "Tải calibration.json",
    "cal_apply": "Dùng kết quả hiệu chỉnh này cho việc đánh giá",
    "cal_apply_help": "Mọi trang sẽ dùng mô hình đã hiệu chỉnh; nhãn mô hình ghi rõ kết quả "
    "hiệu chỉnh nào đang được dùng.",
    "progress_title": "Tiến độ theo thời gian: có kịp mục tiêu năm 2030 không?",
    "progress_help": "Mạng lưới được đánh giá vào cuối mỗi quý, kể từ khi trạm đầu tiên phát sóng "
    "(theo ngày phát sóng của từng trạm); so sánh tốc độ tăng trong năm qua với tốc độ cần có để "
    "đạt các mục tiêu của thành phố, dùng cùng mô hình và thiết lập như ở trên.",
    "progress_run": "Xem tiến độ theo thời gian",
    "progress_synthetic": "Ngày phát sóng của mạng mẫu GIẢ LẬP cũng là tự tạo, như các trạm của nó.",
    "progress_series_now": "Dân số có sóng 5G",
    "progress_series_needed": "Mức cần có để đạt mục tiêu đúng hạn",
    "progress_series_pace": "Nếu giữ tốc độ năm nay",
    "progress_series_target": "Mục tiêu",
    "progress_date": "Thời điểm",
    "progress_goals": "Các mục tiêu có thời hạn của thành phố",
    "col_rank": "Hạng",
    "col_rank_help": "1 = lấp kín vùng lõm ở đây làm tỷ lệ chung của thành phố tăng nhiều nhất.",
    "col_ward": "Phường, xã",
    "col_pop_pct": "Dân số có 5G",
    "col_area_pct": "Diện tích có 5G",
    "col_meets": "Đạt mục tiêu",
    "col_short_pop": "Còn thiếu (người)",
    "col_short_area": "Còn thiếu (km²)",
    "col_short_help": "Số người (hoặc km²) cần có thêm sóng 5G để phường, xã đạt mục tiêu.",
    "col_uncovered": "Chưa có 5G (người)",
    "col_gain": "Đóng góp cho thành phố (điểm %)",
    "col_gain_help": "Tỷ lệ chung của thành phố tăng thêm bao nhiêu điểm phần trăm nếu lấp kín "
    "toàn bộ vùng lõm sóng của phường, xã này.",
    "col_operator": "Nhà mạng",
    "col_count": "Số phường, xã",
    "col_coverage": "Mức phủ sóng (%)",
    "col_people": "Số người",
    "col_servers": "Số trạm phục vụ",
    "col_before": "Hiện trạng",
    "col_after": "Phương án",
    "col_change": "Thay đổi",
    "col_file": "Tệp",
    "col_row": "Dòng",
    "col_column": "Cột",
    "col_problem": "Lỗi",
    "col_value": "Giá trị",
    # data
    "data_title": "Dữ liệu",
    "data_intro": "Tải lên dữ liệu mạng của bạn (trạm hoặc ô phủ sóng) và, nếu cần, ranh giới "
    "phường, xã khác và bản đồ dân số. Mỗi dòng đều được kiểm tra; tệp không dùng được sẽ không "
    "bao giờ thay thế dữ liệu đang dùng.",
    "sites_title": "Trạm phát sóng",
    "wards_title": "Ranh giới phường, xã",
    "raster_title": "Bản đồ dân số",
    "up_sites": "Tệp trạm (CSV, CSV.GZ, XLSX, GeoJSON, GeoPackage, Shapefile nén zip, Parquet)",
    "up_sites_help": "Tệp xuất từ OpenCelliD, bảng trạm/sector của nhà mạng, hoặc tệp điểm.",
    "up_wards": "Ranh giới phường, xã (không bắt buộc; GeoJSON, GeoPackage, Shapefile nén zip, "
    "Parquet)",
    "up_raster": "Bản đồ dân số (không bắt buộc; GeoTIFF)",
    "up_raster_help": "Số người trên mỗi ô ảnh, ví dụ WorldPop.",
    "upload_failed": "Không dùng được tệp **{name}**. Vẫn đang dùng: **{in_use}**.",
    "upload_failed_why": "Vì sao tệp không dùng được",
    "checking_upload": "Đang kiểm tra tệp…",
    "err_no_usable_sites": "{name}: không có dòng nào dùng được làm trạm.",
    "sites_sample_in_use": "Đang dùng: bộ dữ liệu mẫu giả lập đi kèm phần mềm.",
    "sites_in_use": "Đang dùng: {name}",
    "wards_shipped": "ranh giới phường, xã Hà Nội đi kèm phần mềm",
    "raster_none": "Không có bản đồ dân số: dân số chính thức của mỗi phường, xã được chia đều "
    "trên diện tích.",
    "use_sample": "Quay lại bộ dữ liệu mẫu giả lập",
    "use_default_wards": "Quay lại ranh giới phường, xã Hà Nội đi kèm",
    "drop_raster": "Bỏ bản đồ dân số, chia đều dân số chính thức",
    "validation": "Kết quả đọc tệp",
    "rows_read": "Số dòng đọc được",
    "rows_accepted": "Hợp lệ",
    "rows_fixed": "Đã sửa",
    "rows_fixed_help": "Các dòng được nhận sau khi tự động sửa (xem phần Ghi chú).",
    "rows_rejected": "Bị loại",
    "rows_filtered": "Đã bỏ qua {n} dòng thuộc công nghệ vô tuyến khác (xem trang Mô hình).",
    "rejected_rows": "Các dòng bị loại",
    "no_rejected": "Không có dòng nào bị loại.",
    "notes": "Ghi chú",
    "notes_help": "Những chỗ đã tự động sửa khi đọc tệp (ví dụ vĩ độ và kinh độ bị đảo).",
    "download_report": "Tải báo cáo kiểm tra tệp (CSV)",
    "wards_loaded": "Đã đọc {n} phường, xã từ {name}.",
    "raster_loaded": "Đang dùng bản đồ dân số {name}.",
    # errors
    "err_data": "Không dùng được tệp. Các lỗi tìm thấy:",
    "err_config": "Một thiết lập không hợp lệ:",
    "err_other": "Đã có lỗi xảy ra. Dữ liệu của bạn không bị thay đổi. Hãy thử tệp khác hoặc "
    "thiết lập khác; chi tiết kỹ thuật ở bên dưới.",
    "err_details": "Chi tiết kỹ thuật",
    # model
    "model_title": "Mô hình tính",
    "model_intro": "Cách ước tính vùng phủ sóng. Các giá trị mặc định là thiết lập quy hoạch 5G "
    "thông dụng.",
    "model_pick": "Mô hình tính vùng phủ",
    "model_help": "Mô hình vùng phủ (disc, sector) vẽ chính xác tầm phủ của từng ô, tính nhanh. "
    "Mô hình suy hao đường truyền tính cường độ tín hiệu trên lưới ô vuông (chậm hơn, sát vật lý "
    "hơn).",
    "model_label_disc": "disc: ước tính nhanh theo vùng phủ (mỗi ô phủ một hình tròn theo tầm "
    "phủ; không tính lan truyền sóng, ngoài trời: là mức cao nhất có thể)",
    "model_label_sector": "sector: ước tính nhanh theo vùng phủ (mỗi ô phủ một hình quạt; không "
    "tính lan truyền sóng, ngoài trời: là mức cao nhất có thể)",
    "model_label_pathloss": "{name}: cường độ tín hiệu tính trên lưới {resolution}, có sóng khi "
    "từ {threshold} trở lên (SS-RSRP)",
    "model_label_planning": "planning (3GPP TR 38.901 theo từng phường, xã, có địa hình): cường "
    "độ tín hiệu tính trên lưới {resolution}, có sóng khi từ {threshold} trở lên (SS-RSRP), "
    "ngoài trời",
    "model_desc_planning": "mặc định: suy hao đường truyền theo 3GPP TR 38.901, kịch bản chọn "
    "theo từng phường, xã và từng trạm (UMa ở phường đô thị, RMa ở xã nông thôn, UMi cho trạm "
    "nhỏ), có tính địa hình và lớp phủ sóng trong nhà; quỹ đường truyền ra SS-RSRP",
    "model_desc_disc": "mỗi ô phủ một hình tròn theo tầm phủ (tầm phủ của OpenCelliD hoặc giá "
    "trị mặc định theo băng tần): ước tính nhanh (không tính lan truyền sóng, ngoài trời: là mức "
    "cao nhất có thể)",
    "model_desc_sector": "mỗi ô phủ một hình quạt: hướng, độ rộng búp sóng và tầm phủ: ước tính "
    "nhanh (không tính lan truyền sóng, ngoài trời: là mức cao nhất có thể)",
    "model_desc_uma": "3GPP đô thị, trạm macro (UMa, không nhìn thẳng): suy hao và quỹ đường "
    "truyền ra SS-RSRP",
    "model_desc_umi": "3GPP đô thị, trạm nhỏ trong phố (UMi, không nhìn thẳng): suy hao và quỹ "
    "đường truyền",
    "model_desc_rma": "3GPP nông thôn, trạm macro (RMa, không nhìn thẳng): suy hao và quỹ đường "
    "truyền",
    "model_desc_hata": "COST-231 Hata (ngoại suy trên 2 GHz): suy hao và quỹ đường truyền",
    "model_desc_fspl": "suy hao không gian tự do (mức lạc quan nhất)",
    "vector_note": "Ngưỡng tín hiệu và kích thước lưới chỉ áp dụng cho các mô hình suy hao đường "
    "truyền.",
    "grid_note": "Mô hình suy hao tính tín hiệu trên lưới phủ toàn vùng nên chạy lâu hơn các mô "
    "hình ước tính nhanh theo vùng phủ: thời gian tăng theo số ô phủ sóng và khi lưới mịn hơn "
    "(thời gian đo thực tế có trong phần đo tốc độ của README).",
    "threshold": "Ngưỡng tín hiệu, SS-RSRP (dBm)",
    "threshold_help": "Một nơi được coi là có sóng khi tín hiệu tham chiếu của ô mạnh nhất "
    "(SS-RSRP) đạt mức này. −110 dBm là giá trị quy hoạch 5G thông dụng.",
    "resolution": "Kích thước lưới (m)",
    "resolution_help": "Cạnh của một ô lưới trong mô hình suy hao. Lưới càng mịn càng chi tiết "
    "và càng chậm.",
    "operators": "Nhà mạng",
    "operators_help": "Chỉ giữ các nhà mạng này; không chọn nhà mạng nào là giữ tất cả.",
    "radio": "Công nghệ vô tuyến",
    "radio_help": "NR là 5G. Thêm LTE để so sánh với vùng phủ 4G.",
    "models_table": "Các mô hình",
    "col_model": "Mô hình",
    "col_model_what": "Cách tính",
    # plan
    "plan_title": "Quy hoạch trạm mới",
    "plan_intro": "Nên đặt trạm 5G mới ở đâu? Bộ quy hoạch đề xuất vị trí để lấp các vùng lõm "
    "sóng của mạng đang dùng (dữ liệu, mô hình và thiết lập hiện tại), rồi đánh giá lại toàn "
    "mạng có thêm các trạm đề xuất để kiểm tra kết quả. Mục tiêu tính theo **dân số** có sóng.",
    "plan_goal": "Mục tiêu quy hoạch",
    "plan_goal_help": "Mục tiêu chung: ít trạm nhất để cả thành phố đạt tỷ lệ. Mọi phường, xã: "
    "thêm yêu cầu mỗi phường, xã đạt một mức tối thiểu. Theo số trạm: phủ tốt nhất với số trạm "
    "đó.",
    "plan_goal_target": "Tỷ lệ chung cho cả thành phố",
    "plan_goal_floor": "Mọi phường, xã đạt ít nhất X %",
    "plan_goal_budget": "Tốt nhất với N trạm mới",
    "plan_target": "Mục tiêu chung: dân số có 5G (%)",
    "plan_target_help": "Tỷ lệ người dân cần có sóng 5G. Mặc định là mục tiêu ở trang Tổng quan. "
    "Bộ quy hoạch tìm số trạm mới ít nhất có thể.",
    "plan_floor": "Mỗi phường, xã đạt ít nhất (%)",
    "plan_floor_help": "Mỗi phường, xã phải đạt tỷ lệ này trên chính dân số của mình, cùng với "
    "mục tiêu chung của thành phố.",
    "plan_budget": "Số trạm mới (tối đa)",
    "plan_budget_help": "Bộ quy hoạch đặt tối đa chừng này trạm mới ở nơi phục vụ được nhiều "
    "người nhất. Khi đó mục tiêu chỉ để so sánh.",
    "plan_method": "Cách tính",
    "plan_method_help": "Nhanh: lần lượt thêm trạm phục vụ thêm được nhiều người nhất; thường "
    "chỉ kém phương án tốt nhất vài phần trăm. Tối ưu chính xác (MILP): giải bài toán tối ưu, có "
    "thể bớt được trạm nhưng chậm hơn, nên dừng khi hết thời gian cho phép.",
    "method_greedy": "Nhanh",
    "method_milp": "Tối ưu chính xác (MILP), chậm hơn",
    "method_both": "Cả hai",
    "plan_time_limit": "Thời gian tối đa cho cách tính chính xác (giây)",
    "plan_time_limit_help": "Hết thời gian, cách tính chính xác trả về phương án tốt nhất đã tìm "
    "được.",
    "plan_spacing": "Khoảng cách tối thiểu giữa các trạm (m)",
    "plan_spacing_help": "Hai trạm mới không gần nhau hơn mức này, và trạm mới không gần trạm "
    "hiện có cùng nhà mạng hơn mức này. 0 = không giới hạn.",
    "plan_operator": "Nhà mạng của trạm mới",
    "plan_operator_help": "Băng tần, công suất và tầm phủ của trạm mới theo phổ tần 5G của nhà "
    "mạng này. Tự động: nhà mạng đã chọn ở trang Mô hình, nếu không thì nhà mạng có nhiều ô "
    "nhất.",
    "plan_operator_auto": "tự động",
    "plan_candidates": "Các vị trí được phép đặt trạm (không bắt buộc; CSV có lat/lon, GeoJSON, "
    "GeoPackage, Shapefile nén zip)",
    "plan_candidates_help": "Mái nhà, cột hoặc khu đất có thể đặt trạm, dạng điểm (hoặc đa giác: "
    "dùng một điểm bên trong mỗi đa giác). Không có tệp thì bộ quy hoạch thử các vị trí trên "
    "lưới đều trong và quanh vùng lõm sóng.",
    "plan_candidates_in_use": "Vị trí được phép: {name}",
    "plan_candidates_grid": "Vị trí được phép: lưới đều trong và quanh vùng lõm sóng.",
    "plan_candidates_clear": "Dùng lưới đều",
    "plan_excluded": "Vùng cấm đặt trạm (không bắt buộc; đa giác: GeoJSON, GeoPackage, Shapefile "
    "nén zip, GeoParquet)",
    "plan_excluded_help": "Nơi không được đặt trạm mới (công viên, khu di tích, sân bay…).",
    "plan_excluded_in_use": "Vùng cấm đặt trạm: {name}",
    "plan_excluded_none": "Không có vùng cấm đặt trạm.",
    "plan_excluded_clear": "Bỏ các vùng cấm đặt trạm",
    # issue #15: địa điểm mục tiêu kế hoạch phải phủ sóng
    "plan_targets": "Địa điểm mục tiêu (không bắt buộc; điểm hoặc đa giác có thời hạn và loại: "
    "GeoJSON, GeoPackage, Shapefile nén zip, hoặc CSV/XLSX có lat/lon)",
    "plan_targets_help": "Khu công nghiệp, nhà ga, sân bay… phải có 5G. Mỗi địa điểm được đánh "
    "giá theo tiêu chí riêng: có sóng (địa điểm có 5G) hoặc có trạm (có trạm 5G đặt bên trong).",
    "plan_targets_in_use": "Địa điểm mục tiêu: {name}",
    "plan_targets_none": "Không có địa điểm mục tiêu.",
    "plan_targets_clear": "Bỏ các địa điểm mục tiêu",
    "plan_cover_targets": "Phủ sóng mọi địa điểm mục tiêu",
    "plan_cover_targets_help": "Đặt trạm mới cho các địa điểm mục tiêu chưa có 5G, để sau kế "
    "hoạch địa điểm nào cũng có 5G (theo tiêu chí riêng của từng nơi). Các trạm này được tính "
    "vào ngân sách. Cần tệp địa điểm mục tiêu.",
    "plan_area_note": "Mục tiêu ở trang Tổng quan đang tính theo diện tích; quy hoạch luôn tính "
    "theo dân số. Cả hai con số đều có ở bên dưới.",
    "plan_run": "Đề xuất trạm mới",
    "plan_running": "Đang đề xuất trạm mới và kiểm tra lại…",
    "plan_progress": "{step} — {pct} · {s} giây",
    "plan_cancel": "Huỷ",
    "plan_cancelled": "Đã huỷ phương án. Hãy đổi lựa chọn rồi bấm Đề xuất trạm mới.",
    "plan_prompt": "Chọn các mục rồi bấm **Đề xuất trạm mới**.",
    "plan_stale": "Kết quả bên dưới ứng với lựa chọn và dữ liệu của lần bấm **Đề xuất trạm mới** "
    "gần nhất; bấm lại để cập nhật.",
    "plan_results": "Kết quả",
    "plan_headline_met": "Với {n} trạm mới, {after} dân số có sóng 5G (hiện nay {before}): đạt "
    "mục tiêu {target}.",
    "plan_headline_short": "Với {n} trạm mới, {after} dân số có sóng 5G (hiện nay {before}): vẫn "
    "chưa đạt mục tiêu {target}.",
    "plan_headline_budget": "Với tối đa {budget} trạm mới (đã đặt {n}), {after} dân số có sóng "
    "5G (hiện nay {before}); mục tiêu {target}.",
    "plan_headline_wards": "{after}/{m} phường, xã đạt {target} (hiện nay {before}).",
    "plan_headline_lowest": "Thấp nhất: {name}, {pct}.",
    "plan_headline_floor": "Mọi phường, xã đạt ít nhất {floor}: {ok}.",
    "m_pop_after": "Dân số có 5G sau quy hoạch",
    "m_pop_after_help": "Tỷ lệ dân số có sóng 5G (tính theo dân số) từ một lần đánh giá đầy đủ "
    "với trạm hiện có và trạm đề xuất; phần thay đổi so với mạng đang dùng.",
    "m_area_after": "Diện tích có 5G sau quy hoạch",
    "m_area_after_help": "Tỷ lệ diện tích có sóng 5G (tính theo diện tích) từ cùng lần đánh "
    "giá đó.",
    "m_new_sites": "Trạm mới",
    "m_new_sites_help": "Số trạm đề xuất (một trạm 3 sector tính là một).",
    "m_wards_after": "Phường, xã đạt mục tiêu",
    "m_wards_after_help": "Số phường, xã có tỷ lệ dân số có sóng đạt mục tiêu sau quy hoạch "
    "(đã đánh giá lại).",
    "plan_details": "{cells} ô phủ sóng mới, nhà mạng {operator}, cách tính: {method}, {rounds} "
    "vòng quy hoạch. Mô hình: {model}.",
    "plan_estimate_note": "Số liệu sau quy hoạch lấy từ một lần đánh giá đầy đủ có các trạm đề "
    "xuất; số người mỗi trạm phục vụ thêm là ước tính của bộ quy hoạch trên lưới dân số của nó.",
    "plan_curve": "Số trạm thêm → dân số có 5G",
    "plan_curve_help": "Đường: ước tính của bộ quy hoạch khi lần lượt thêm trạm theo thứ tự đề "
    "xuất. Chấm: số liệu đã đánh giá (0 trạm = mạng đang dùng). Nét đứt: mục tiêu.",
    "curve_sites": "Số trạm mới thêm vào",
    "curve_pct": "Dân số có 5G (%)",
    "curve_series": "Số liệu",
    "curve_estimate": "ước tính của bộ quy hoạch",
    "curve_milp": "cách tính chính xác (ước tính)",
    "curve_audit": "đã đánh giá",
    "curve_target": "mục tiêu",
    "plan_map": "Các trạm đề xuất",
    "plan_map_help": "Chấm trắng: trạm mới đề xuất (rê chuột để xem thứ tự, phường, xã và số "
    "người được phục vụ thêm). Màu phường, xã theo mức phủ sóng sau quy hoạch.",
    "plan_sites": "Từng trạm đề xuất",
    "plan_sites_help": "Theo thứ tự bộ quy hoạch thêm vào; số người phục vụ thêm là ước tính của "
    "bộ quy hoạch.",
    "col_order": "Thứ tự",
    "col_site": "Trạm",
    "col_people_added": "Số người có thêm sóng (ước tính)",
    "col_reason": "Lý do",
    "plan_reason_coverage": "mục tiêu phủ sóng",
    "plan_reason_place": "địa điểm mục tiêu {place}",
    "plan_headline_targets": "Địa điểm mục tiêu có 5G: {after}/{n} (trước đó: {before}); "
    "đặt {sites} trạm mới cho các địa điểm này.",
    "plan_headline_targets_ignored": "Địa điểm mục tiêu có 5G: {after}/{n} (trước đó: {before}); "
    "kế hoạch không yêu cầu phủ sóng các địa điểm này.",
    "plan_targets_left": "Địa điểm mục tiêu vẫn chưa có 5G",
    "col_place": "Địa điểm",
    "col_served_share": "Tỷ lệ được phủ",
    "plan_targets_reason_excluded": "không có vị trí được phép: địa điểm nằm trong vùng cấm đặt trạm",
    "plan_targets_reason_not_served": "trạm đặt cho địa điểm vẫn chưa phủ được theo mô hình",
    "plan_targets_reason_no_gain": "tỷ lệ diện tích được phủ không tăng thêm",
    "plan_targets_reason_rounds": "đã hết số vòng quy hoạch",
    "plan_targets_reason_budget": "kế hoạch theo ngân sách chỉ chạy một vòng; hãy tăng ngân sách",
    "plan_targets_reason_not_asked": "không yêu cầu phủ sóng các địa điểm mục tiêu",
    "col_lat": "Vĩ độ",
    "col_lon": "Kinh độ",
    "plan_wards": "Từng phường, xã trước và sau",
    "plan_wards_help": "Tỷ lệ phủ sóng đã đánh giá, trước và sau; phường, xã có nhiều trạm mới "
    "nhất đứng đầu.",
    "col_pop_before": "Dân số có 5G trước",
    "col_pop_after": "Dân số có 5G sau",
    "col_area_before": "Diện tích có 5G trước",
    "col_area_after": "Diện tích có 5G sau",
    "col_newly_covered": "Có thêm sóng (người)",
    "col_new_sites": "Trạm mới",
    "col_meets_after": "Đạt mục tiêu sau",
    "plan_downloads": "Tải về",
    "dl_proposed": "Trạm đề xuất, dạng bảng trạm (CSV)",
    "dl_proposed_by_site": "Trạm đề xuất kèm phường, xã và số người có thêm sóng (CSV)",
    "dl_plan_wards": "Từng phường, xã trước và sau (CSV)",
    "dl_plan_curve": "Đường cong phủ sóng (CSV)",
    "dl_plan_summary": "Tóm tắt phương án (JSON)",
    "dl_plan_bundle": "Tất cả trong một tệp ZIP",
    "plan_to_compare": "So sánh với mạng đang dùng",
    "plan_to_compare_help": "Mở trang So sánh với phương án là trạm hiện có cộng trạm đề xuất.",
    "plan_compare_label": "trạm hiện có + {n} trạm đề xuất ({what})",
    "plan_label_target": "mục tiêu chung {target}",
    "plan_label_floor": "mọi phường, xã ít nhất {floor}",
    "plan_label_budget": "tối đa {n} trạm mới",
    "plan_no_sites": "Không có trạm mới nào được đề xuất: không có gì để so sánh.",
    # compare
    "compare_title": "So sánh",
    "compare_intro": "So sánh mạng đang dùng (hiện trạng) với một mạng khác: một tệp tải lên, "
    "hoặc các trạm đề xuất từ trang Quy hoạch trạm.",
    "cmp_upload": "Mạng phương án (cùng định dạng như ở trang Dữ liệu)",
    "cmp_none": "Hãy tải lên một mạng phương án, hoặc gửi một phương án quy hoạch từ trang Quy "
    "hoạch trạm.",
    "cmp_clear": "Bỏ phương án",
    "cmp_baseline": "Hiện trạng",
    "cmp_alternative": "Phương án",
    "cmp_side": "{name} — {sites} trạm; {model}",
    "cmp_goal": "Đánh giá theo mục tiêu: {goal}.",
    "cmp_map_help": "Màu phường, xã theo mức thay đổi từ hiện trạng sang phương án.",
    "cmp_table": "Từng phường, xã",
    # downloads
    "downloads_title": "Tải về",
    "downloads_intro": "Mọi kết quả của dữ liệu, mô hình và mục tiêu đang dùng, giống như bản "
    "dòng lệnh ghi ra.",
    "downloads_for": "Mục tiêu: {goal}. Mô hình: {model}.",
    "dl_bundle_title": "Tất cả trong một tệp",
    "dl_bundle_help": "{name}: {n} tệp (báo cáo, bản đồ, các bảng, tóm tắt).",
    "dl_bundle": "Tải tệp ZIP",
    "dl_report": "Báo cáo (HTML)",
    "dl_map": "Bản đồ (HTML)",
    "dl_wards_csv": "Bảng phường, xã (CSV)",
    "dl_by_operator": "Bảng phường, xã theo nhà mạng (CSV)",
    "dl_wards_geojson": "Bảng phường, xã kèm ranh giới (GeoJSON)",
    "dl_gaps": "Vùng lõm sóng (GeoJSON)",
    "dl_summary": "Tóm tắt toàn thành phố (JSON)",
    "dl_validation": "Các dòng bị loại của tệp trạm (CSV)",
    "dl_geotiff": "Bản đồ cường độ tín hiệu (GeoTIFF)",
    "dl_geotiff_na": "Bản đồ cường độ tín hiệu (GeoTIFF) chỉ có với mô hình suy hao đường "
    "truyền; hãy chọn ở trang Mô hình.",
}

STRINGS: dict[str, dict[str, str]] = {"vi": VI, "en": EN}

#: Progress messages of the library (``run_audit``, ``run_plan``), word for word,
#: with their Vietnamese text; anything else is shown as the library says it.
STEPS_VI: dict[str, str] = {
    "auditing the existing network": "đánh giá mạng hiện có",
    "proposing new sites": "chọn vị trí trạm mới",
    "re-auditing": "đánh giá lại",
    "reading wards": "đọc ranh giới",
    "reading sites": "đọc dữ liệu trạm",
    "computing coverage": "tính vùng phủ sóng",
    "aggregating per ward": "tổng hợp theo phường, xã",
    "judging against the goal": "so với mục tiêu",
    "done": "xong",
}


def language_names() -> dict[str, str]:
    """Each language's name in itself, in the order of the switch."""
    from phusong.i18n import LANGUAGE_NAMES, LANGUAGES

    return {code: LANGUAGE_NAMES[code] for code in LANGUAGES if code in STRINGS}


def default_language() -> str:
    """``PHUSONG_LANG`` if set to a known language, else Vietnamese (the app's default)."""
    from phusong.errors import ConfigError
    from phusong.i18n import APP_DEFAULT_LANGUAGE, current_language

    try:
        code = current_language(None, default=APP_DEFAULT_LANGUAGE)
    except ConfigError:
        code = APP_DEFAULT_LANGUAGE
    return code if code in STRINGS else APP_DEFAULT_LANGUAGE


_RUN = threading.local()


def begin_run() -> str:
    """Fix the language of this script run (the shell calls it first); return it.

    The sidebar switch's value, else :func:`default_language`. Reading the
    session state once per run keeps :func:`lang` cheap (it is called for
    every figure shown).
    """
    code = st.session_state.get(LANG_KEY)
    if code not in STRINGS:
        code = st.session_state.get(LAST_LANG_KEY) or default_language()
    _RUN.code = str(code)
    st.session_state[LAST_LANG_KEY] = _RUN.code
    return _RUN.code


def lang() -> str:
    """The language of the current script run (:func:`begin_run`), else the session's."""
    code = getattr(_RUN, "code", None)
    if code is not None:
        return str(code)
    try:
        code = st.session_state.get(LANG_KEY)
    except Exception:  # outside a script run (a background job)
        code = None
    return str(code) if code in STRINGS else default_language()


def has_text(key: str) -> bool:
    """Whether ``key`` has a text (in English, hence in every language: a test checks)."""
    return key in EN


def t(key: str, language: str | None = None, **values: object) -> str:
    """The text of ``key`` in ``language`` (default: the session's), filled with ``values``."""
    texts = STRINGS.get(language or lang(), EN)
    return texts[key].format(**values) if values else texts[key]


def labels(prefix: str) -> Callable[[object], str]:
    """``format_func`` of a widget: the text of ``prefix + value`` in this run's language.

    The language is fixed when the widget is made (Streamlit may call the
    function later, outside the script run).
    """
    language = lang()
    return lambda value: t(f"{prefix}{value}", language)


def placeholders(text: str) -> set[str]:
    """Names of the ``{placeholders}`` in a text."""
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def step_text(step: str, language: str | None = None) -> str:
    """A library progress message in the interface language ("round 2: re-auditing: …")."""
    if (language or lang()) != "vi":
        return step
    parts = []
    for part in str(step).split(": "):
        m = re.fullmatch(r"round (\d+)", part)
        parts.append(f"vòng {m.group(1)}" if m else STEPS_VI.get(part, part))
    return ": ".join(parts)


def missing_texts(strings: Mapping[str, Mapping[str, str]] = STRINGS) -> list[str]:
    """Keys without a non-empty text in some language, or with other placeholders than English."""
    problems = []
    for code, texts in strings.items():
        for key, text in strings["en"].items():
            other = texts.get(key)
            if not other or not other.strip():
                problems.append(f"{code}: {key} has no text")
            elif placeholders(other) != placeholders(text):
                problems.append(f"{code}: {key} has placeholders {sorted(placeholders(other))}")
        problems += [
            f"{code}: {key} is not in English" for key in texts if key not in strings["en"]
        ]
    return problems


__all__ = [
    "LANG_KEY",
    "STRINGS",
    "begin_run",
    "has_text",
    "labels",
    "lang",
    "language_names",
    "missing_texts",
    "step_text",
    "t",
]
