"""Words and numbers for people: the verdict and the terminal summaries.

Figures are formatted here once (:func:`format_pct`, :func:`format_people`,
:func:`format_km2`, :func:`format_count`) and shared by the terminal text and
``report.html``. Coverage percentages are rounded *down*, so that a report
never says "99.00%" for 98.996 %.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from phusong.output.tables import VALIDATION_COLUMNS, rejected_rows, validation_table, worst_first

#: Number of wards listed in the terminal summary of an audit.
SUMMARY_WORST_WARDS = 5
#: Number of new sites listed in the terminal summary of a plan.
SUMMARY_NEW_SITES = 10
#: Number of validation notes listed by :func:`format_validation`.
VALIDATION_NOTES_SHOWN = 20

#: Shipped ward file name: the study area is Hà Nội when it is used.
HANOI_WARDS_FILE = "hanoi_wards_2025.geojson"


# --------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------
def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def format_pct(value: Any, decimals: int = 2) -> str:
    """Format a coverage percentage, rounded *down* so that it never overstates coverage.

    Parameters
    ----------
    value : float or None
        Percentage [%].
    decimals : int
        Decimals shown.

    Returns
    -------
    str
        ``"98.99%"``; ``"n/a"`` for ``None``, NaN or inf.
    """
    if _missing(value):
        return "n/a"
    q = 10**decimals
    return f"{math.floor(float(value) * q + 1e-6) / q:.{decimals}f}%"


def format_people(value: Any) -> str:
    """Format whole people with thousands separators (``"1,315,542"``); ``"n/a"`` when missing."""
    if _missing(value):
        return "n/a"
    return f"{round(float(value)):,}"


def format_count(value: Any) -> str:
    """Format an integer count with thousands separators; ``"n/a"`` for anything else."""
    return f"{value:,}" if isinstance(value, int) else "n/a"


def format_km2(value: Any) -> str:
    """Format an area [km²] to one decimal (``"3,358.6 km²"``); ``"n/a"`` when missing."""
    if _missing(value):
        return "n/a"
    return f"{float(value):,.1f} km²"


# --------------------------------------------------------------------------
# Words
# --------------------------------------------------------------------------
def population_words(source: Any) -> str:
    """Plain words for a ``population_source`` code (``uniform:official``, ``raster:<file>``)."""
    text = str(source or "")
    if text == "uniform:official":
        return (
            "each ward's official population, spread evenly over the ward's area "
            "(no population raster given)"
        )
    if text.startswith("raster:"):
        return f"population raster {text.split(':', 1)[1]} (people per pixel)"
    return text or "unknown"


def place_name(summary: Mapping[str, Any]) -> str:
    """``"Hà Nội"`` for the shipped wards, otherwise ``"the study area"``."""
    wards = (summary.get("inputs") or {}).get("wards") or {}
    return "Hà Nội" if wards.get("name") == HANOI_WARDS_FILE else "the study area"


def goal_words(summary: Mapping[str, Any]) -> tuple[str, str, str]:
    """Words for the goal's metric.

    Returns
    -------
    tuple of str
        ``(metric, weighting label, what)``: ``("population",
        "population-weighted", "the population")`` or ``("area",
        "area-weighted", "the area")``.
    """
    metric = (summary.get("goal") or {}).get("metric", "population")
    if metric == "area":
        return "area", "area-weighted", "the area"
    return "population", "population-weighted", "the population"


def verdict(summary: Mapping[str, Any]) -> str:
    """One sentence answering "does the city meet its goal?"."""
    goal = summary.get("goal") or {}
    metric, weighting, what = goal_words(summary)
    value = summary.get(f"{metric}_coverage_pct")
    target = float(goal.get("target_pct", 99.0))
    year = goal.get("year", 2030)
    place = place_name(summary)
    if summary.get("meets_goal"):
        return (
            f"YES: {place} already meets the goal of {target:g}% of {what} by {year}: "
            f"5G covers {format_pct(value)} of {what} ({weighting})."
        )
    gap = summary.get("goal_gap_points")
    need = _still_needed(summary)
    return (
        f"NOT YET: 5G covers {format_pct(value)} of {what} of {place} ({weighting}); "
        f"the goal is {target:g}% by {year}, {gap:.2f} points away{need}."
        if isinstance(gap, (int, float))
        else f"NOT YET: 5G covers {format_pct(value)} of {what} of {place} ({weighting}); "
        f"the goal is {target:g}% by {year}."
    )


def _still_needed(summary: Mapping[str, Any]) -> str:
    """``"; about N more people need service"`` (or km² for an area goal)."""
    goal = summary.get("goal") or {}
    t = float(goal.get("target_pct", 99.0)) / 100.0
    try:
        if goal.get("metric", "population") == "area":
            need = t * float(summary["area_km2"]) - float(summary["covered_area_km2"])
            return f"; about {format_km2(need)} more need service" if need > 0 else ""
        need = t * float(summary["population"]) - float(summary["covered_population"])
    except (KeyError, TypeError, ValueError):
        return ""
    return f"; about {format_people(need)} more people need service" if need > 0 else ""


def synthetic_warning(summary: Mapping[str, Any]) -> str | None:
    """Return the SYNTHETIC warning when the site data is synthetic, else ``None``."""
    if not summary.get("synthetic"):
        return None
    return (
        "SYNTHETIC sample data: these figures describe a made-up network, "
        "not any operator's real sites."
    )


def _with_warning(lines: list[str], warn: str | None) -> list[str]:
    """``lines`` between two ``!! warning`` lines when there is a warning."""
    return [f"!! {warn}", "", *lines, "", f"!! {warn}"] if warn else lines


def _files_lines(paths: Mapping[str, Path]) -> list[str]:
    """``["", "Files in <folder>/: a, b, c"]`` for the written files."""
    folder = Path(next(iter(paths.values()))).parent
    names = ", ".join(sorted(p.name for p in paths.values()))
    return ["", f"Files in {folder}{os.sep}: {names}"]


# --------------------------------------------------------------------------
# Terminal summary of an audit
# --------------------------------------------------------------------------
def _figure_lines(s: Mapping[str, Any]) -> list[str]:
    """List the city-wide figures, model, population source and site rows."""
    lines = [
        f"  Population covered: {format_pct(s.get('population_coverage_pct'))} "
        f"(population-weighted); {format_people(s.get('uncovered_population'))} of "
        f"{format_people(s.get('population'))} people uncovered",
        f"  Area covered:       {format_pct(s.get('area_coverage_pct'))} (area-weighted) of "
        f"{format_km2(s.get('area_km2'))}",
        f"  Wards meeting the goal: {s.get('wards_meeting_goal')} of {s.get('n_wards')}",
        f"  Model: {s.get('model_label')}",
        f"  Where people live: {population_words(s.get('population_source'))}",
    ]
    sites = s.get("sites") or {}
    if sites.get("rows_read") is not None:
        lines.append(
            f"  Site rows: {sites.get('rows_read'):,} read, {sites.get('rows_accepted'):,} accepted, "
            f"{sites.get('rows_rejected'):,} rejected"
            + (" (see validation.csv)" if sites.get("rows_rejected") else "")
        )
    return lines


def _worst_ward_lines(result: Any) -> list[str]:
    """List the wards that hold the city back most, numbered (none when all meet the goal)."""
    wards = worst_first(result.wards)
    worst = wards[wards["meets_goal"] == False].head(SUMMARY_WORST_WARDS)  # noqa: E712
    if not len(worst):
        return []
    metric, _, _ = goal_words(result.summary)
    lines = ["", "Wards holding the city back most (closing the gap adds to the city figure):"]
    width = max(len(str(n)) for n in worst["name"])
    for i, r in enumerate(worst.itertuples(), start=1):
        lines.append(
            f"  {i}. {r.name!s:<{width}}  "
            f"{format_pct(getattr(r, f'{metric}_coverage_pct'))} covered, "
            f"{format_people(r.uncovered_population)} people uncovered, "
            f"+{r.city_gain_pct:.2f} points"
        )
    return lines


def format_summary(result: Any, paths: Mapping[str, Path] | None = None) -> str:
    """Short human summary of an audit for the terminal (read in under a minute).

    Parameters
    ----------
    result : AuditResult
        From :func:`phusong.audit.run_audit`.
    paths : mapping of str to Path, optional
        The files written (:func:`phusong.io.outputs.write_outputs`), listed at the end.
    """
    s = result.summary
    lines = [verdict(s), *_figure_lines(s), *_worst_ward_lines(result)]
    if paths:
        lines += _files_lines(paths)
        if "report.html" in paths:
            lines.append(f"Open {paths['report.html']} for the full report.")
    return "\n".join(_with_warning(lines, synthetic_warning(s)))


# --------------------------------------------------------------------------
# Validation report
# --------------------------------------------------------------------------
def _note_line(r: Any) -> str:
    where = "whole file" if pd.isna(r.row) else f"row {r.row}"
    column = "" if pd.isna(r.column) else f", column {r.column!r}"
    return f"  - {where}{column}: {r.reason}"


def format_validation(validation: Any) -> str:
    """Text report of reading a site file: counts, then every rejected row.

    Each rejected row is printed as ``file,row,column,reason`` (CSV-quoted),
    followed by the number of non-fatal notes and the first
    :data:`VALIDATION_NOTES_SHOWN` of them.
    """
    filtered = getattr(validation, "rows_filtered", 0)
    lines = [
        f"{validation.file}: {validation.rows_read:,} rows read, "
        f"{validation.rows_accepted:,} accepted, {validation.rows_rejected:,} rejected"
        + (f", {validation.rows_filtered:,} left out by the radio filter" if filtered else "")
        + "."
    ]
    table = validation_table(validation)
    rejected = rejected_rows(table)
    if len(rejected):
        lines += ["", f"Rejected ({len(rejected):,} problems):"]
        body = rejected[list(VALIDATION_COLUMNS)].to_csv(index=False, lineterminator="\n")
        lines += body.rstrip("\n").split("\n")
    notes = table[table["kind"] == "note"]
    if len(notes):
        lines += ["", f"{len(notes):,} notes (fixes applied, rows kept):"]
        shown = notes.head(VALIDATION_NOTES_SHOWN).itertuples(index=False)
        lines += [_note_line(r) for r in shown]
        if len(notes) > VALIDATION_NOTES_SHOWN:
            more = len(notes) - VALIDATION_NOTES_SHOWN
            lines.append(f"  … and {more:,} more (see the CSV report, --out).")
    return "\n".join(lines)


# --------------------------------------------------------------------------
# Terminal summary of a plan
# --------------------------------------------------------------------------
def _plan_goal_line(s: Mapping[str, Any]) -> str:
    """Say what the plan aims at: ``New-site plan for <place>: <aim>.``."""
    target = float(s["target_pct"])
    goal = s.get("goal") or {}
    mode = (
        f"the best coverage with at most {s['budget']} new sites"
        if s.get("mode") == "budget"
        else f"{target:g}% of the population"
        + (f" by {goal.get('year')}" if goal.get("target_pct") == target else "")
    )
    return f"New-site plan for {place_name(s)}: {mode}."


def _plan_coverage_lines(s: Mapping[str, Any]) -> list[str]:
    """List coverage before → after (audited, or the planner's estimate)."""
    after = s.get("population_coverage_pct_after")
    before = format_pct(s.get("population_coverage_pct_before"))
    if after is None:
        estimate = format_pct(s.get("estimated_population_coverage_pct_after"))
        return [
            f"  Population covered: {before} → ≈ {estimate} "
            "(population-weighted; planner's estimate, not re-audited)"
        ]
    return [
        f"  Population covered: {before} → {format_pct(after)} "
        "(population-weighted; re-audited with the new sites)",
        f"  Area covered:       {format_pct(s.get('area_coverage_pct_before'))} → "
        f"{format_pct(s.get('area_coverage_pct_after'))} (area-weighted)",
    ]


def _plan_sites_lines(s: Mapping[str, Any]) -> list[str]:
    """List new sites and cells, operator, solver, rounds (and each round when several)."""
    lines = [
        f"  New sites: {s['n_new_sites']:,} ({s['n_new_cells']:,} cells), operator "
        f"{s.get('operator')}; solver {s.get('method_used')}, {s['rounds']} round"
        + ("s" if s["rounds"] != 1 else "")
    ]
    history = s.get("history") or []
    if len(history) > 1:
        steps = "; ".join(
            f"round {h['round']}: +{h['n_new_sites']} sites → "
            f"{format_pct(h.get('population_coverage_pct_after'))}"
            for h in history
        )
        lines.append(f"    ({steps}, re-audited)")
    return lines


def _plan_target_lines(s: Mapping[str, Any]) -> list[str]:
    """Say whether the re-audit meets the target (and why not)."""
    target = float(s["target_pct"])
    met = s.get("meets_target_after")
    if met is None:
        return [f"  Target {target:g}%: not checked (no re-audit)."]
    if met:
        return [f"  Target {target:g}% after re-audit: MET."]
    return [f"  Target {target:g}% after re-audit: NOT MET.", f"    {s.get('note', '')}"]


def _new_site_lines(run: Any) -> list[str]:
    """List the first :data:`SUMMARY_NEW_SITES` new sites in the order added."""
    new = run.new_sites().head(SUMMARY_NEW_SITES)
    if not len(new):
        return []
    lines = [
        "",
        f"First {len(new)} new sites, in the order added (people gained: the planner's estimate):",
    ]
    width = max(len(str(w or "—")) for w in new["ward"])
    for r in new.itertuples(index=False):
        lines.append(
            f"  {r.order:>3}. {r.site_id}  {r.ward or '—'!s:<{width}}  "
            f"{r.lat_deg:.5f}, {r.lon_deg:.5f}  +{format_people(r.covered_people_gain)} people"
        )
    return lines


def format_plan_summary(run: Any, paths: Mapping[str, Path] | None = None) -> str:
    """Short human summary of a plan for the terminal.

    Parameters
    ----------
    run : PlanRun
        From :func:`phusong.audit.run_plan`.
    paths : mapping of str to Path, optional
        The files written (:func:`phusong.io.outputs.write_plan_outputs`), listed at the end.
    """
    s = run.summary
    lines = [
        _plan_goal_line(s),
        *_plan_coverage_lines(s),
        *_plan_sites_lines(s),
        *_plan_target_lines(s),
        f"  Model: {s.get('model_label')}",
        *_new_site_lines(run),
    ]
    if paths:
        lines += [
            *_files_lines(paths),
            "proposed_sites.csv is a site sheet: check it with 'phusong audit --sites' "
            "together with the existing sites.",
        ]
    return "\n".join(_with_warning(lines, synthetic_warning(s)))


__all__ = [
    "HANOI_WARDS_FILE",
    "SUMMARY_NEW_SITES",
    "SUMMARY_WORST_WARDS",
    "format_count",
    "format_km2",
    "format_pct",
    "format_people",
    "format_plan_summary",
    "format_summary",
    "format_validation",
    "goal_words",
    "place_name",
    "population_words",
    "synthetic_warning",
    "verdict",
]
