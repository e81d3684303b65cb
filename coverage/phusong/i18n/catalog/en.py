"""English messages of phusong, by the module that shows them.

Same keys and placeholders as :mod:`phusong.i18n.catalog.vi` (checked by
``tests/test_i18n.py``). Numbers arrive already formatted.

The help of every command-line option (``option.*``) is not copied here: it is
the ``help=`` text of the option tables of :mod:`phusong.options`, added to
:data:`MESSAGES` under the key :func:`option_help_key` gives it. Only the
Vietnamese catalogue writes those texts out.
"""

from __future__ import annotations

from collections.abc import Mapping

from phusong.options import AUDIT, CALIBRATE, PLAN, PLANNER, PROGRESS, THROUGHPUT, Option

MESSAGES: dict[str, str | dict[str, str]] = {
    # ------------------------------------------------------------------
    # common words and units (phusong.i18n.formats)
    # ------------------------------------------------------------------
    "common.unknown": "n/a",
    "common.yes": "yes",
    "common.no": "no",
    "unit.points": "{value} points",
    "unit.people": {"one": "{value} person", "other": "{value} people"},
    "language.name": "English",
    # ------------------------------------------------------------------
    # the goal, the place, the weighting (phusong.output.text)
    # ------------------------------------------------------------------
    "place.study_area": "the study area",
    "what.population": "the population",
    "what.area": "the area",
    "weighting.population": "population-weighted",
    "weighting.area": "area-weighted",
    "goal.description": "{target} of {what} by {year} ({source})",
    "goal.source.hanoi_58": "Hà Nội plan 58/KH-UBND (2025)",
    "goal.source.custom": "custom target",
    "goal.source.custom_58": "custom target; Hà Nội plan 58/KH-UBND sets 99% of the population",
    "goal.source.plan_58": "plan 58/KH-UBND",
    "goal.source.plan_310": "plan 310/KH-UBND",
    "goal.source.plans_58_310": "plans 58/KH-UBND and 310/KH-UBND",
    "population.uniform": "each ward's official population, spread evenly over the ward's area "
    "(no population raster given)",
    "population.raster": "population raster {file} (people per pixel)",
    "model.name.disc": "disc",
    "model.name.sector": "sector",
    "model.name.uma_nlos": "uma_nlos",
    "model.name.umi_nlos": "umi_nlos",
    "model.name.rma_nlos": "rma_nlos",
    "model.name.cost231_hata": "cost231_hata",
    "model.name.fspl": "fspl",
    "model.name.other": "{code}",
    "model.footprint": "{model} model, {radius}",
    "model.radius_fixed": "radius {radius}",
    "model.radius_range": "radius from each cell's range",
    "model.path_loss": "{model} path loss, SS-RSRP ≥ {threshold}, {resolution} grid",
    # ------------------------------------------------------------------
    # physics (issue #12): outdoor and indoor layers, the planning model,
    # people placed with WorldPop weights (phusong.output.text)
    # ------------------------------------------------------------------
    "model.name.planning": "planning (3GPP TR 38.901, UMa/UMi/RMa by ward)",
    "population.dasymetric": "{file} weights (where people live inside each ward), rescaled "
    "to each ward's official population",
    "population.worldpop": "WorldPop 2020 (1 km) weights (where people live inside each ward), "
    "rescaled to each ward's official population; {credit}",
    "summary.layer_outdoor": "  Outdoor population coverage: {pct}{judged}",
    "summary.layer_indoor": "  Indoor population coverage:  {pct} (3GPP TR 38.901 building "
    "entry loss, {o2i}){judged}",
    "summary.layer_judged": " (the goal is judged on this figure)",
    "summary.layer_indoor_missing": "  Indoor population coverage:  not computed ({why})",
    "summary.footprint_estimate": "  Quick footprint estimate: no propagation, outdoor, median "
    "(an upper bound of coverage)",
    "layers.o2i.low-loss": "low-loss buildings: standard glass and concrete",
    "layers.o2i.high-loss": "high-loss buildings: IRR glass and concrete",
    "layers.why_footprint": "a footprint model has no indoor layer",
    "layers.why_tiled": "the tiled route sums no indoor layer",
    "layers.why_other": "not available for this run",
    # ------------------------------------------------------------------
    # the verdict (phusong.output.text.verdict)
    # ------------------------------------------------------------------
    "verdict.label.yes": "YES",
    "verdict.label.no": "NOT YET",
    "verdict.yes": "YES: {place} already meets the goal of {target} of {what} by {year}: "
    "5G covers {value} of {what} ({weighting}).",
    "verdict.no": "NOT YET: 5G covers {value} of {what} of {place} ({weighting}); "
    "the goal is {target} by {year}, {gap} away{need}.",
    "verdict.no_gap_unknown": "NOT YET: 5G covers {value} of {what} of {place} ({weighting}); "
    "the goal is {target} by {year}.",
    "verdict.need_people": "; about {n} more people need service",
    "verdict.need_area": "; about {area} more need service",
    "synthetic.warning": "SYNTHETIC sample data: these figures describe a made-up network, "
    "not any operator's real sites.",
    "synthetic.short": "SYNTHETIC sample network — not real operator data",
    # ------------------------------------------------------------------
    # terminal summary of an audit (phusong.output.text.format_summary)
    # ------------------------------------------------------------------
    "summary.population": "  Population covered: {pct} (population-weighted); "
    "{uncovered} of {population} people uncovered",
    "summary.area": "  Area covered:       {pct} (area-weighted) of {area}",
    "summary.wards": "  Wards meeting the goal: {n} of {total}",
    "summary.model": "  Model: {model}",
    "summary.where_people_live": "  Where people live: {source}",
    "summary.site_rows": "  Site rows: {read} read, {accepted} accepted, {rejected} rejected{see}",
    "summary.see_validation": " (see validation.csv)",
    "summary.worst_heading": "Wards holding the city back most "
    "(closing the gap adds to the city figure):",
    "summary.worst_row": "{pct} covered, {uncovered} people uncovered, {gain}",
    "summary.files": "Files in {folder}: {names}",
    "summary.open_report": "Open {path} for the full report.",
    # ------------------------------------------------------------------
    # progress steps of run_audit / run_plan (phusong.output.text.progress_words)
    # ------------------------------------------------------------------
    "progress.round": "round {n}",
    "progress.reading wards": "reading wards",
    "progress.reading sites": "reading sites",
    "progress.computing coverage": "computing coverage",
    "progress.aggregating per ward": "aggregating per ward",
    "progress.auditing the existing network": "auditing the existing network",
    "progress.proposing new sites": "proposing new sites",
    "progress.re-auditing": "re-auditing",
    "progress.done": "done",
    # ------------------------------------------------------------------
    # reading a site file (phusong.output.text.format_validation)
    # ------------------------------------------------------------------
    "validation.counts": "{file}: {read} rows read, {accepted} accepted, "
    "{rejected} rejected{filtered}.",
    "validation.filtered": ", {n} left out by the radio filter",
    "validation.rejected_heading": "Rejected ({n} problems):",
    "validation.notes_heading": "{n} notes (fixes applied, rows kept):",
    "validation.whole_file": "whole file",
    "validation.row": "row {row}",
    "validation.column": ", column '{column}'",
    "validation.more_notes": "  … and {n} more (see the CSV report, --out).",
    # ------------------------------------------------------------------
    # terminal summary of a plan (phusong.output.text.format_plan_summary)
    # ------------------------------------------------------------------
    "plan.heading": "New-site plan for {place}: {aim}.",
    "plan.aim_budget": "the best coverage with at most {budget} new sites",
    "plan.aim_target": "{target} of the population{by_year}",
    "plan.aim_by_year": " by {year}",
    "plan.population_estimate": "  Population covered: {before} → ≈ {after} "
    "(population-weighted; planner's estimate, not re-audited)",
    "plan.population_audited": "  Population covered: {before} → {after} "
    "(population-weighted; re-audited with the new sites)",
    "plan.area_audited": "  Area covered:       {before} → {after} (area-weighted)",
    "plan.new_sites": "  New sites: {sites} ({cells} cells), operator {operator}; "
    "solver {solver}, {rounds}",
    "plan.rounds": {"one": "{n} round", "other": "{n} rounds"},
    "plan.round_step": "round {round}: +{sites} sites → {pct}",
    "plan.rounds_detail": "    ({steps}, re-audited)",
    "plan.target_unchecked": "  Target {target}: not checked (no re-audit).",
    "plan.target_met": "  Target {target} after re-audit: MET.",
    "plan.target_not_met": "  Target {target} after re-audit: NOT MET.",
    "plan.first_sites": "First {n} new sites, in the order added "
    "(people gained: the planner's estimate):",
    "plan.site_gain": "+{people}",
    "plan.check_sheet": "proposed_sites.csv is a site sheet: check it with "
    "'phusong audit --sites' together with the existing sites.",
    # --- issue #15: target places the plan must cover (--targets, --cover-targets) ---
    "plan.targets": "  Target places covered: {before} of {n} before → {after} after "
    "(each by its own rule, re-audited).",
    "plan.targets_unchecked": "  Target places covered: {before} of {n} before (not re-audited).",
    "plan.targets_sites": {
        "one": "    {n} new site placed for target places not covered ({places}).",
        "other": "    {n} new sites placed for target places not covered ({places}).",
    },
    "plan.targets_not_asked": "    Covering them was not required (add --cover-targets).",
    "plan.targets_spacing": "    Minimum spacing relaxed for {n} of them (no room inside the place).",
    "plan.targets_uncovered": "    Still not covered: {place} ({share} served) — {why}",
    "plan.targets_reason.excluded": "no allowed position: it lies in excluded zones",
    "plan.targets_reason.not_served": "the site placed for it did not cover it under the model",
    "plan.targets_reason.no_gain": "its served share stopped growing",
    "plan.targets_reason.rounds": "the rounds ran out; allow more rounds",
    "plan.targets_reason.budget": "a budget plan has one round; raise the budget",
    "plan.targets_reason.not_asked": "covering target places was not asked for",
    "plan.site_for_place": "for target place {place}",
    # ------------------------------------------------------------------
    # report.html (phusong.output.report, templates/report.html.j2)
    # ------------------------------------------------------------------
    "report.title": "5G coverage audit: {place}",
    "report.goal_question": "Goal: {goal}. Where does {place} stand?",
    "report.fig.population": "Population covered",
    "report.fig.population_note_goal": "population-weighted, goal {target} (by people)",
    "report.fig.population_note": "population-weighted",
    "report.fig.area": "Area covered",
    "report.fig.area_note": "area-weighted, of {area}",
    "report.fig.wards": "Wards meeting the goal",
    "report.fig.wards_value": "{n} of {total}",
    "report.fig.wards_note": "wards and communes",
    "report.fig.uncovered": "People without 5G",
    "report.fig.uncovered_note": "of {population} residents",
    "report.two_ways.heading": "Two ways to count coverage",
    "report.two_ways_html": "<b>Area-weighted</b> coverage is the share of the <i>land</i> that "
    "has a 5G signal. <b>Population-weighted</b> coverage is the share of the <i>people</i> who "
    "live where there is a signal. Where wards differ in how densely they are settled, the two "
    "figures can differ a lot: in this audit 5G reaches {area_pct} of the area and "
    "{population_pct} of the people. The goal counts <b>{what}</b>, so the {weighting} figure "
    "is the one that decides whether it is met.",
    "report.method.heading": "How this was computed",
    "report.method.model": "Coverage model: {model}",
    "report.method.threshold": " (a place counts as covered when the strongest signal is at "
    "least {threshold})",
    "report.method.population": "Where people live: {source}",
    "report.method.tool_html": "Tool: phusong {version}; every parameter is in "
    "<code>summary.json</code>.",
    "report.method.goal_source_html": "The goal of 99% of the population by 2030 is set by "
    "Hà Nội's plan 58/KH-UBND of 26 February 2025 (and nationally by Decision 1132/QĐ-TTg of "
    "9 October 2024); sources are listed in <code>docs/sources.md</code> of Phủ Sóng.",
    "report.inputs.input": "input",
    "report.inputs.file": "file",
    "report.inputs.wards": "wards",
    "report.inputs.sites": "sites",
    "report.inputs.population": "population",
    "report.worst.heading": "The {n} wards that hold the city back most",
    "report.worst.intro": "Ranked by how much closing the ward's whole gap would add to the "
    "city's {weighting} figure (in percentage points). Big, populous wards with low coverage "
    "come first.",
    "report.worst.files_html": "All wards: <code>wards.csv</code> (opens in Excel), map: "
    "<code>map.html</code>, gaps: <code>gaps.geojson</code>.",
    "report.col.ward": "ward",
    "report.col.population_covered": "population covered",
    "report.col.area_covered": "area covered",
    "report.col.people_uncovered": "people uncovered",
    "report.col.city_gain": "city figure gains (points)",
    "report.col.meets_goal": "meets goal",
    "report.col.operator": "operator",
    "report.col.cells": "cells",
    "report.col.wards_meeting_goal": "wards meeting goal",
    "report.col.served_by": "people served by",
    "report.col.people": "people",
    "report.col.population_share": "share of population",
    "report.col.area": "area",
    "report.col.column": "column",
    "report.col.reason": "reason",
    "report.col.rows": "rows",
    "report.meets.yes": "yes",
    "report.meets.no": "no",
    "report.any_operator": "Any operator",
    "report.whole_row": "(whole row)",
    "report.operators.heading": "Per operator",
    "report.operators.note_html": '"Any operator" counts a place as covered when at least '
    "one operator serves it. Details per ward: <code>by_operator.csv</code>.",
    "report.robust.heading": "How robust is the coverage?",
    "report.redundancy.0": "no 5G site",
    "report.redundancy.1": "exactly one site",
    "report.redundancy.2_4": "2 to 4 sites",
    "report.redundancy.5plus": "5 or more sites",
    "report.robust.note_html": "People served by <b>exactly one</b> site are one outage away "
    "from no service: a power cut, a fibre break or maintenance at that one site leaves them "
    "without 5G. With two or more sites another one can take over.",
    "report.input_check.heading": "Input check",
    "report.input_check.counts_html": "Site file rows: {read} read, {accepted} accepted, "
    "{rejected} rejected; {cells} cells on {sites} sites used. Rejected rows are listed with "
    "the reason in <code>validation.csv</code>.",
    "report.footer_html": "CSV files are UTF-8 with a byte-order mark so that Excel shows "
    "Vietnamese names correctly. Ward boundaries © "
    '<a href="https://www.openstreetmap.org/copyright">OpenStreetMap contributors</a> (ODbL).',
    # ------------------------------------------------------------------
    # maps (phusong.output.maps)
    # ------------------------------------------------------------------
    "map.title": "5G coverage by ward, {weighting}: city {city} against the goal {target}",
    "map.legend.title": "Ward coverage ({weighting})",
    "map.class.full": "100 % (or within 0.05 points)",
    "map.class.meets": "meets the goal: ≥ {target} %",
    "map.goal_line": "goal {target} %",
    "map.class.below_50": "more than 50 points below",
    "map.class.below_20": "20–50 points below",
    "map.class.below_10": "10–20 points below",
    "map.class.below_5": "5–10 points below",
    "map.class.below_0": "less than 5 points below",
    "map.class.unknown": "unknown (no population figure)",
    "map.legend.gaps": "dashed outline: coverage gaps",
    "map.legend.sites": "grey dot: a 5G site",
    "map.legend.zoom": "Zoom in for ward names (from zoom {labels}) and the direction of each "
    "cell's antenna (from zoom {wedges}). Click a ward to outline it.",
    "map.legend.zoom_labels": "Zoom in for ward names (from zoom {labels}). "
    "Click a ward to outline it.",
    "map.layer.background": "OpenStreetMap",
    "map.layer.wards": "Ward coverage",
    "map.layer.gaps": "Coverage gaps",
    "map.layer.sites": "Sites ({n})",
    "map.layer.wedges": "Antenna directions (sectors)",
    "map.layer.labels": "Ward names",
    "map.layer.change": "Change in ward coverage",
    "map.tooltip.ward": "Ward",
    "map.tooltip.population": "Coverage, population-weighted",
    "map.tooltip.area": "Coverage, area-weighted",
    "map.tooltip.uncovered": "People uncovered",
    "map.tooltip.goal": "Goal",
    "map.tooltip.before": "Baseline",
    "map.tooltip.after": "Alternative",
    "map.tooltip.change": "Change",
    "map.goal.meets": "meets the goal",
    "map.goal.below": "below the goal",
    "map.search": "Find a ward…",
    "map.tiles_offline": "Background map could not load: wards shown on a plain background.",
    "map.compare.title": "Change in 5G coverage by ward ({weighting})",
    "map.compare.legend": "Change, {weighting} [points]",
    "map.change.down_5": "down by more than 5 points",
    "map.change.down_0": "down by up to 5 points",
    "map.change.none": "no change (within 0.05 points)",
    "map.change.up_0": "up by up to 5 points",
    "map.change.up_5": "up by more than 5 points",
    # ------------------------------------------------------------------
    # plan map (phusong.output.plan)
    # ------------------------------------------------------------------
    "planmap.layer": "Proposed new sites ({n})",
    "planmap.layer_name": "Proposed new sites",
    "planmap.site": "{site} · #{order} (round {round}) · {ward} · ≈ {people} gained (estimate)",
    "planmap.note_html": '<b style="color:{colour}">●</b> {n} proposed new sites '
    "({operator}). Population covered {before} → {after} (population-weighted); target {target}.",
    "planmap.after_audit": "{pct} after the re-audit",
    "planmap.after_estimate": "≈ {pct} (estimate)",
    "planmap.for_place": "placed for target place {place}",
    "planmap.targets_html": "<br>Target places covered: {before} of {n} → {after}; "
    "{sites} new sites placed for them.",
    # ------------------------------------------------------------------
    # command line (phusong.cli); no "%" in help texts (argparse formats them)
    # ------------------------------------------------------------------
    "cli.description": "Phủ Sóng: ward-by-ward 5G coverage audits for Hà Nội "
    "(goal: 99% of the population by 2030).",
    "cli.command.audit.help": "audit 5G coverage of every ward against the goal and write a "
    "report folder",
    "cli.command.audit.description": "Compute area- and population-weighted 5G coverage of "
    "every ward, judge it against the goal (default: 99% of the population by 2030, Hà Nội "
    "plan 58/KH-UBND) and write report.html, map.html, CSV, GeoJSON and summary.json.",
    "cli.command.plan.help": "propose the fewest new sites that reach the goal, and check them "
    "by re-auditing",
    "cli.command.plan.description": "Audit the existing network, propose new sites that bring "
    "population coverage to the target (default 99%, population-weighted) or the best coverage "
    "for a --budget of sites, re-audit with the proposed sites and top up if the re-audit falls "
    "short. Writes proposed_sites.csv (readable by 'phusong audit --sites'), curve.csv, "
    "wards_plan.csv, plan_summary.json and plan_map.html.",
    "cli.command.validate.help": "check a site file and list every rejected row",
    "cli.command.validate.description": "Read a site/cell file the way 'audit' does and print "
    "rows read, accepted and rejected, then each rejected row with file, row, column and reason.",
    "cli.command.sample.help": "write the SYNTHETIC sample network to a folder",
    "cli.command.sample.description": "Write the shipped SYNTHETIC 5G sample network (made-up "
    "sites) for trying phusong out.",
    "cli.command.progress.help": "audit the network at every quarter's end since its first "
    "on-air date and judge the pace towards every dated target",
    "cli.command.progress.description": "Audit the network as it stood at the end of every "
    "quarter (or year, month) from the first on-air date to --as-of (default today), then judge "
    "each target of the city's plans (99% of the population by 2030, mean download speed, "
    "target places by their deadlines): met, on track, behind or overdue, with this year's "
    "pace, the straight-line pace needed and the year this pace reaches the goal. Writes "
    "progress.csv, progress.png, progress_report.html and progress_summary.json.",
    "cli.command.calibrate.help": "fit the path-loss model to measured signal (drive test, "
    "crowdsourced) and report the error before and after",
    "cli.command.calibrate.description": "Match each measurement with its serving cell (its "
    "cell id, else the model's best server), fit a path-loss offset (and optionally a distance "
    "slope) per operator × band × scenario by robust least squares, check it by k-fold "
    "cross-validation, and write calibration.json (for 'audit --calibration'), "
    "calibration_report.html with plots, calibration_points.csv and calibration_summary.json.",
    "cli.help.measurements": "also (or only) check a signal-measurement file the way "
    "'calibrate' reads it",
    "cli.validate.nothing": "validate: give a site FILE, --measurements FILE, or both.",
    "cli.no_file": "{key}: no file given; pass {option} FILE.",
    "cli.help.default": "{text} (default {default})",
    "cli.help.debug": "show the full traceback of unexpected errors and debug logs",
    "cli.help.lang": "language of the output: {choices} (default: $PHUSONG_LANG, else en)",
    "cli.help.json": "print {what} to stdout (and nothing else on stdout)",
    "cli.help.quiet": "print nothing but errors (no summary, no progress bar)",
    "cli.help.zip": "also write one ZIP of every output into the output folder, named with "
    "the scenario and the date",
    "cli.help.config": "TOML file with the same keys as these options (threshold_dbm = -105 …); "
    "options given here override it",
    "cli.help.validate_file": "site/cell file to check",
    "cli.help.radio": "radio technologies to keep (default NR; 'all' keeps every one)",
    "cli.help.wards": "study area for the in-area check (default: the shipped Hà Nội wards)",
    "cli.help.validate_out": "also write the rejected rows to this CSV",
    "cli.help.validate_overwrite": "replace --out if it exists",
    "cli.help.sample_out": "folder to write the sample into (default ./phusong-sample)",
    "cli.help.sample_overwrite": "replace the files of a non-empty folder",
    "cli.error.data": "bad input data",
    "cli.error.usage": "usage error",
    "cli.error.goal_not_met": "goal not met",
    "cli.error.unexpected": "unexpected error: {kind}: {message} "
    "(rerun with --debug for the full traceback)",
    "cli.plan.no_sites": "sites: no site file given; pass --sites FILE.",
    "cli.interrupted": "interrupted",
    "cli.fail_under.audit": "--fail-under: the goal ({goal}) is not met.",
    "cli.fail_under.plan": "--fail-under: the re-audit with the proposed sites reaches "
    "{reached} of the population, short of the target {target}.",
    "cli.validate.exists": "{path} exists; pass --overwrite to replace it.",
    "cli.validate.written": "Validation report written to {path}",
    "cli.sample.written": "SYNTHETIC sample network written to {path}: {names}",
    "cli.sample.made_up": "It is made-up data for trying phusong out, not any operator's "
    "real sites.",
}


# ------------------------------------------------------------------
# option help (phusong.cli --help): the English is the help= text of phusong.options
# ------------------------------------------------------------------
#: The option tables whose help is a message, in the order they claim a key.
OPTION_TABLES: dict[str, Mapping[str, Option]] = {
    "audit": AUDIT,
    "plan": PLAN,
    "planner": PLANNER,
    "calibrate": CALIBRATE,
    "throughput": THROUGHPUT,
    "progress": PROGRESS,
}


def _option_help_keys() -> dict[tuple[str, str], str]:
    """Message key of each (option key, English help): one message per distinct help."""
    keys: dict[tuple[str, str], str] = {}
    for table, options in OPTION_TABLES.items():
        for key, opt in options.items():
            if (key, opt.help) in keys:
                continue  # the same option (or the same words) in another table
            plain = f"option.{key}"
            keys[key, opt.help] = f"option.{table}.{key}" if plain in keys.values() else plain
    return keys


#: (option key, English help) -> message key.
OPTION_HELP_KEYS: dict[tuple[str, str], str] = _option_help_keys()


def option_help_key(key: str, opt: Option) -> str:
    """Message key of an option's help: ``option.<key>``, or ``option.<table>.<key>``.

    ``option.<key>`` belongs to the first table of :data:`OPTION_TABLES` that
    has the key (``option.sites``: the audit's); a later table whose option of
    the same key says something else gets ``option.<table>.<key>``
    (``option.plan.sites``, ``option.calibrate.model``).

    Raises
    ------
    KeyError
        The option is in none of :data:`OPTION_TABLES`.
    """
    return OPTION_HELP_KEYS[key, opt.help]


MESSAGES.update({message: help for (_, help), message in OPTION_HELP_KEYS.items()})
