"""Words and numbers for people: the verdict and the terminal summaries, in Vietnamese or English.

Every sentence comes from the message catalogue (:func:`phusong.i18n.t`) and
every figure from its formatters (:mod:`phusong.i18n.formats`); ``lang``
(``"vi"`` or ``"en"``, default :func:`phusong.i18n.current_language`) picks
the language. The pieces here (:func:`verdict`, :func:`goal_words`,
:func:`model_words` …) are shared by the terminal text, ``report.html``, the
maps and the app. Coverage percentages are rounded *down*, so that a report
never says "99.00%" for 98.996 %.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from phusong.i18n import (
    catalogue,
    current_language,
    fmt_int,
    fmt_km2,
    fmt_pct,
    fmt_people,
    fmt_points,
    fmt_unit,
    t,
)
from phusong.output.tables import VALIDATION_COLUMNS, rejected_rows, validation_table, worst_first

#: Number of wards listed in the terminal summary of an audit.
SUMMARY_WORST_WARDS = 5
#: Number of new sites listed in the terminal summary of a plan.
SUMMARY_NEW_SITES = 10
#: Number of validation notes listed by :func:`format_validation`.
VALIDATION_NOTES_SHOWN = 20

#: Shipped ward file name: the study area is Hà Nội when it is used.
HANOI_WARDS_FILE = "hanoi_wards_2025.geojson"
#: The goal's source as :class:`phusong.goals.Goal` writes it -> catalogue key of its words.
GOAL_SOURCES = {
    "Hà Nội plan 58/KH-UBND (2025)": "goal.source.hanoi_58",
    "custom target": "goal.source.custom",  # i18n: identifier
    # i18n: identifier (as phusong.options and phusong.targets write them)
    "custom target; Hà Nội plan 58/KH-UBND sets 99% of the population": "goal.source.custom_58",
    "plan 58/KH-UBND": "goal.source.plan_58",
    "plan 310/KH-UBND": "goal.source.plan_310",
    # i18n: identifier
    "plans 58/KH-UBND and 310/KH-UBND": "goal.source.plans_58_310",
}


# --------------------------------------------------------------------------
# Numbers (the historical names; the formatters live in phusong.i18n)
# --------------------------------------------------------------------------
def format_pct(value: Any, decimals: int = 2, lang: str | None = None) -> str:
    """Format a coverage percentage, rounded *down* so that it never overstates coverage.

    Parameters
    ----------
    value : float or None
        Percentage [%].
    decimals : int
        Decimals shown.
    lang : str, optional
        ``"vi"`` or ``"en"`` (:func:`phusong.i18n.fmt_pct`).

    Returns
    -------
    str
        ``"98.99%"`` (en), ``"98,99 %"`` (vi); ``"n/a"`` for ``None``, NaN or inf.
    """
    return fmt_pct(value, lang, decimals)


def format_people(value: Any, lang: str | None = None) -> str:
    """Format whole people with grouped thousands (``"1,315,542"``, vi ``"1.315.542"``)."""
    return fmt_int(value, lang)


def format_count(value: Any, lang: str | None = None) -> str:
    """Format an integer count with grouped thousands; ``"n/a"`` for anything else."""
    return fmt_int(value if isinstance(value, int) else None, lang)


def format_km2(value: Any, lang: str | None = None) -> str:
    """Format an area [km²] to one decimal (``"3,358.6 km²"``, vi ``"3.358,6 km²"``)."""
    return fmt_km2(value, lang)


def target_text(target_pct: Any, lang: str | None = None) -> str:
    """Write a goal's target as in a sentence: ``"99%"`` / ``"99 %"``, ``"99.5%"``."""
    return fmt_pct(float(target_pct), lang, None)


# --------------------------------------------------------------------------
# Words
# --------------------------------------------------------------------------
def population_words(source: Any, lang: str | None = None) -> str:
    """Plain words for a ``population_source`` code (``uniform:official``, ``raster:<file>``)."""
    text = str(source or "")
    if text == "uniform:official":  # i18n: identifier
        return t("population.uniform", lang)
    if text.startswith("raster:"):
        return t("population.raster", lang, file=text.split(":", 1)[1])
    if text.startswith("dasymetric:"):  # physics (issue #12): raster weights, official totals
        from phusong.io.population import WORLDPOP_CREDIT, WORLDPOP_FILE

        name = text.split(":", 1)[1]
        if name == WORLDPOP_FILE:
            return t("population.worldpop", lang, credit=WORLDPOP_CREDIT)
        return t("population.dasymetric", lang, file=name)
    return text or t("common.unknown", lang)


def place_name(summary: Mapping[str, Any], lang: str | None = None) -> str:
    """``"Hà Nội"`` for the shipped wards, otherwise "the study area" (vi "khu vực khảo sát")."""
    wards = (summary.get("inputs") or {}).get("wards") or {}
    return "Hà Nội" if wards.get("name") == HANOI_WARDS_FILE else t("place.study_area", lang)


def goal_words(summary: Mapping[str, Any], lang: str | None = None) -> tuple[str, str, str]:
    """Words for the goal's metric.

    Returns
    -------
    tuple of str
        ``(metric, weighting label, what)``: ``("population",
        "population-weighted", "the population")`` or ``("area",
        "area-weighted", "the area")`` in English; ``("population", "tính theo
        dân số", "dân số")`` in Vietnamese.
    """
    metric = (summary.get("goal") or {}).get("metric", "population")
    metric = "area" if metric == "area" else "population"
    return metric, t(f"weighting.{metric}", lang), t(f"what.{metric}", lang)


def goal_source_words(source: Any, lang: str | None = None) -> str:
    """Return the goal's source in words (the plan's name), or the source as given."""
    key = GOAL_SOURCES.get(str(source))
    return t(key, lang) if key else str(source or "")


def goal_description(goal: Mapping[str, Any], lang: str | None = None) -> str:
    """One line: ``"99% of the population by 2030 (Hà Nội plan 58/KH-UBND (2025))"``."""
    metric = "area" if goal.get("metric") == "area" else "population"
    return t(
        "goal.description",
        lang,
        target=target_text(goal.get("target_pct", 99.0), lang),
        what=t(f"what.{metric}", lang),
        year=goal.get("year", 2030),
        source=goal_source_words(goal.get("source"), lang),
    )


def model_words(summary: Mapping[str, Any], lang: str | None = None) -> str:
    """Which model and threshold produced the figures, in words.

    English is the audit's own label (``summary["model_label"]``); other
    languages build it from the parameters: the model's name, then the radius
    (footprint models) or the SS-RSRP threshold and the grid (path-loss models).
    """
    code = current_language(lang)
    label = str(summary.get("model_label") or "")
    if code == "en":
        return label
    p = summary.get("parameters") or {}
    model = str(summary.get("model") or p.get("model") or "")
    known = f"model.name.{model}" in catalogue(code)
    model = t(f"model.name.{model}", code) if known else t("model.name.other", code, code=model)
    if str(summary.get("route", p.get("route"))) == "vector":
        radius = p.get("radius_m")
        r = (
            t("model.radius_fixed", code, radius=fmt_unit(radius, "m", code))
            if radius
            else t("model.radius_range", code)
        )
        return t("model.footprint", code, model=model, radius=r)
    return t(
        "model.path_loss",
        code,
        model=model,
        threshold=fmt_unit(summary.get("threshold_dbm", p.get("threshold_dbm")), "dBm", code),
        resolution=fmt_unit(p.get("resolution_m"), "m", code),
    )


def verdict(summary: Mapping[str, Any], lang: str | None = None) -> str:
    """One sentence answering "does the city meet its goal?" (and what is still missing)."""
    code = current_language(lang)
    goal = summary.get("goal") or {}
    metric, weighting, what = goal_words(summary, code)
    words = {
        "place": place_name(summary, code),
        "value": format_pct(summary.get(f"{metric}_coverage_pct"), 2, code),
        "what": what,
        "weighting": weighting,
        "target": target_text(goal.get("target_pct", 99.0), code),
        "year": goal.get("year", 2030),
    }
    if summary.get("meets_goal"):
        return t("verdict.yes", code, **words)
    gap = summary.get("goal_gap_points")
    if not isinstance(gap, (int, float)):
        return t("verdict.no_gap_unknown", code, **words)
    return t(
        "verdict.no", code, gap=fmt_points(gap, code, 2), need=_still_needed(summary, code), **words
    )


def _still_needed(summary: Mapping[str, Any], lang: str) -> str:
    """``"; about N more people need service"`` (or km² for an area goal); ``""`` when none."""
    goal = summary.get("goal") or {}
    share = float(goal.get("target_pct", 99.0)) / 100.0
    try:
        if goal.get("metric", "population") == "area":
            need = share * float(summary["area_km2"]) - float(summary["covered_area_km2"])
            return t("verdict.need_area", lang, area=fmt_km2(need, lang)) if need > 0 else ""
        need = share * float(summary["population"]) - float(summary["covered_population"])
    except (KeyError, TypeError, ValueError):
        return ""
    return t("verdict.need_people", lang, n=fmt_int(need, lang)) if need > 0 else ""


def synthetic_warning(summary: Mapping[str, Any], lang: str | None = None) -> str | None:
    """Return the SYNTHETIC warning when the site data is synthetic, else ``None``."""
    if not summary.get("synthetic"):
        return None
    return t("synthetic.warning", lang)


def _with_warning(lines: list[str], warn: str | None) -> list[str]:
    """``lines`` between two ``!! warning`` lines when there is a warning."""
    return [f"!! {warn}", "", *lines, "", f"!! {warn}"] if warn else lines


def _files_lines(paths: Mapping[str, Path], lang: str) -> list[str]:
    """``["", "Files in <folder>/: a, b, c"]`` for the written files."""
    folder = Path(next(iter(paths.values()))).parent
    names = ", ".join(sorted(p.name for p in paths.values()))
    return ["", t("summary.files", lang, folder=f"{folder}{os.sep}", names=names)]


def progress_words(step: str, lang: str | None = None) -> str:
    """Translate a progress step part by part (``"round 2: re-auditing: computing coverage"``).

    Parts with no message (``progress.<part>``) are shown as they are.
    """
    code = current_language(lang)
    known = catalogue(code)
    out = []
    for part in step.split(": "):
        m = re.fullmatch(r"round (\d+)", part)
        if m:
            out.append(t("progress.round", code, n=m.group(1)))
        else:
            out.append(t(f"progress.{part}", code) if f"progress.{part}" in known else part)
    return ": ".join(out)


# --------------------------------------------------------------------------
# Terminal summary of an audit
# --------------------------------------------------------------------------
def _figure_lines(s: Mapping[str, Any], lang: str) -> list[str]:
    """List the city-wide figures, model, population source and site rows."""
    lines = [
        t(
            "summary.population",
            lang,
            pct=format_pct(s.get("population_coverage_pct"), 2, lang),
            uncovered=fmt_int(s.get("uncovered_population"), lang),
            population=fmt_int(s.get("population"), lang),
        ),
        t(
            "summary.area",
            lang,
            pct=format_pct(s.get("area_coverage_pct"), 2, lang),
            area=fmt_km2(s.get("area_km2"), lang),
        ),
        *layer_lines(s, lang),  # physics (issue #12): outdoor and indoor, each labelled
        t(
            "summary.wards",
            lang,
            n=s.get("wards_meeting_goal"),
            total=s.get("n_wards"),
        ),
        t("summary.model", lang, model=model_words(s, lang)),
        t(
            "summary.where_people_live",
            lang,
            source=population_words(s.get("population_source"), lang),
        ),
    ]
    sites = s.get("sites") or {}
    if sites.get("rows_read") is not None:
        lines.append(
            t(
                "summary.site_rows",
                lang,
                read=fmt_int(sites.get("rows_read"), lang),
                accepted=fmt_int(sites.get("rows_accepted"), lang),
                rejected=fmt_int(sites.get("rows_rejected"), lang),
                see=t("summary.see_validation", lang) if sites.get("rows_rejected") else "",
            )
        )
    return lines


def layer_lines(s: Mapping[str, Any], lang: str | None = None) -> list[str]:
    """Outdoor and indoor population coverage, each labelled (physics, issue #12)."""
    if s.get("footprint_estimate"):
        why = t("layers.why_footprint", lang)
        return [
            t("summary.footprint_estimate", lang),
            t("summary.layer_indoor_missing", lang, why=why),
        ]
    if "outdoor" not in s:
        return []
    judged = s.get("coverage_layer", "outdoor")
    lines = []
    for name in ("outdoor", "indoor"):
        layer = s.get(name) or None
        mark = t("summary.layer_judged", lang) if judged == name else ""
        if layer is None:
            tiled = str(s.get("route")) == "tiled"
            why = t("layers.why_tiled" if tiled else "layers.why_other", lang)
            lines.append(t("summary.layer_indoor_missing", lang, why=why))
            continue
        pct = format_pct(layer.get("population_coverage_pct"), 2, lang)
        if name == "outdoor":
            lines.append(t("summary.layer_outdoor", lang, pct=pct, judged=mark))
        else:
            o2i = str((s.get("parameters") or {}).get("o2i_model") or "low-loss")
            lines.append(
                t(
                    "summary.layer_indoor",
                    lang,
                    pct=pct,
                    o2i=t(f"layers.o2i.{o2i}", lang),
                    judged=mark,
                )
            )
    return lines


def _worst_ward_lines(result: Any, lang: str) -> list[str]:
    """List the wards that hold the city back most, numbered (none when all meet the goal)."""
    wards = worst_first(result.wards)
    worst = wards[wards["meets_goal"] == False].head(SUMMARY_WORST_WARDS)  # noqa: E712
    if not len(worst):
        return []
    metric, _, _ = goal_words(result.summary, lang)
    lines = ["", t("summary.worst_heading", lang)]
    width = max(len(str(n)) for n in worst["name"])
    for i, r in enumerate(worst.itertuples(), start=1):
        figures = t(
            "summary.worst_row",
            lang,
            pct=format_pct(getattr(r, f"{metric}_coverage_pct"), 2, lang),
            uncovered=fmt_int(r.uncovered_population, lang),
            gain=fmt_points(r.city_gain_pct, lang, 2, sign=True),
        )
        lines.append(f"  {i}. {r.name!s:<{width}}  {figures}")
    return lines


def format_summary(
    result: Any, paths: Mapping[str, Path] | None = None, lang: str | None = None
) -> str:
    """Short human summary of an audit for the terminal (read in under a minute).

    Parameters
    ----------
    result : AuditResult
        From :func:`phusong.audit.run_audit`.
    paths : mapping of str to Path, optional
        The files written (:func:`phusong.io.outputs.write_outputs`), listed at the end.
    lang : str, optional
        ``"vi"`` or ``"en"``; default :func:`phusong.i18n.current_language`.
    """
    code = current_language(lang)
    s = result.summary
    from phusong.output.progress import checks_lines  # progress (issue #15)

    lines = [verdict(s, code), *_figure_lines(s, code), *checks_lines(s, code)]  # issue #15
    lines += _worst_ward_lines(result, code)
    if paths:
        lines += _files_lines(paths, code)
        if "report.html" in paths:
            lines.append(t("summary.open_report", code, path=paths["report.html"]))
    return "\n".join(_with_warning(lines, synthetic_warning(s, code)))


# --------------------------------------------------------------------------
# Validation report
# --------------------------------------------------------------------------
def _note_line(r: Any, lang: str) -> str:
    where = (
        t("validation.whole_file", lang) if pd.isna(r.row) else t("validation.row", lang, row=r.row)
    )
    column = "" if pd.isna(r.column) else t("validation.column", lang, column=r.column)
    return f"  - {where}{column}: {r.reason}"


def format_validation(validation: Any, lang: str | None = None) -> str:
    """Text report of reading a site file: counts, then every rejected row.

    Each rejected row is printed as ``file,row,column,reason`` (CSV-quoted),
    followed by the number of non-fatal notes and the first
    :data:`VALIDATION_NOTES_SHOWN` of them.
    """
    code = current_language(lang)
    filtered = getattr(validation, "rows_filtered", 0)
    lines = [
        t(
            "validation.counts",
            code,
            file=validation.file,
            read=fmt_int(validation.rows_read, code),
            accepted=fmt_int(validation.rows_accepted, code),
            rejected=fmt_int(validation.rows_rejected, code),
            filtered=t("validation.filtered", code, n=fmt_int(filtered, code)) if filtered else "",
        )
    ]
    table = validation_table(validation)
    rejected = rejected_rows(table)
    if len(rejected):
        lines += ["", t("validation.rejected_heading", code, n=fmt_int(len(rejected), code))]
        body = rejected[list(VALIDATION_COLUMNS)].to_csv(index=False, lineterminator="\n")
        lines += body.rstrip("\n").split("\n")
    notes = table[table["kind"] == "note"]
    if len(notes):
        lines += ["", t("validation.notes_heading", code, n=fmt_int(len(notes), code))]
        shown = notes.head(VALIDATION_NOTES_SHOWN).itertuples(index=False)
        lines += [_note_line(r, code) for r in shown]
        if len(notes) > VALIDATION_NOTES_SHOWN:
            more = len(notes) - VALIDATION_NOTES_SHOWN
            lines.append(t("validation.more_notes", code, n=fmt_int(more, code)))
    return "\n".join(lines)


# --------------------------------------------------------------------------
# Terminal summary of a plan
# --------------------------------------------------------------------------
def _plan_goal_line(s: Mapping[str, Any], lang: str) -> str:
    """Say what the plan aims at: ``New-site plan for <place>: <aim>.``."""
    target = float(s["target_pct"])
    goal = s.get("goal") or {}
    if s.get("mode") == "budget":
        aim = t("plan.aim_budget", lang, budget=fmt_int(s["budget"], lang))
    else:
        by_year = goal.get("target_pct") == target
        year = t("plan.aim_by_year", lang, year=goal.get("year")) if by_year else ""
        aim = t("plan.aim_target", lang, target=target_text(target, lang), by_year=year)
    return t("plan.heading", lang, place=place_name(s, lang), aim=aim)


def _plan_coverage_lines(s: Mapping[str, Any], lang: str) -> list[str]:
    """List coverage before → after (audited, or the planner's estimate)."""
    after = s.get("population_coverage_pct_after")
    before = format_pct(s.get("population_coverage_pct_before"), 2, lang)
    if after is None:
        estimate = format_pct(s.get("estimated_population_coverage_pct_after"), 2, lang)
        return [t("plan.population_estimate", lang, before=before, after=estimate)]
    return [
        t("plan.population_audited", lang, before=before, after=format_pct(after, 2, lang)),
        t(
            "plan.area_audited",
            lang,
            before=format_pct(s.get("area_coverage_pct_before"), 2, lang),
            after=format_pct(s.get("area_coverage_pct_after"), 2, lang),
        ),
    ]


def _plan_sites_lines(s: Mapping[str, Any], lang: str) -> list[str]:
    """List new sites and cells, operator, solver, rounds (and each round when several)."""
    lines = [
        t(
            "plan.new_sites",
            lang,
            sites=fmt_int(s["n_new_sites"], lang),
            cells=fmt_int(s["n_new_cells"], lang),
            operator=s.get("operator"),
            solver=s.get("method_used"),
            rounds=t("plan.rounds", lang, n=fmt_int(s["rounds"], lang), count=int(s["rounds"])),
        )
    ]
    history = s.get("history") or []
    if len(history) > 1:
        steps = "; ".join(
            t(
                "plan.round_step",
                lang,
                round=h["round"],
                sites=fmt_int(h["n_new_sites"], lang),
                pct=format_pct(h.get("population_coverage_pct_after"), 2, lang),
            )
            for h in history
        )
        lines.append(t("plan.rounds_detail", lang, steps=steps))
    return lines


def _plan_target_lines(s: Mapping[str, Any], lang: str) -> list[str]:
    """Say whether the re-audit meets the target (and why not)."""
    target = target_text(s["target_pct"], lang)
    met = s.get("meets_target_after")
    if met is None:
        return [t("plan.target_unchecked", lang, target=target)]
    if met:
        return [t("plan.target_met", lang, target=target)]
    return [t("plan.target_not_met", lang, target=target), f"    {s.get('note', '')}"]


def _plan_targets_lines(s: Mapping[str, Any], lang: str) -> list[str]:
    """Issue #15: target places covered before → after, sites placed for them, any left."""
    n = s.get("n_target_places")
    if n is None:
        return []
    before, after = fmt_int(s["targets_covered_before"], lang), s.get("targets_covered_after")
    if after is None:
        return [t("plan.targets_unchecked", lang, before=before, n=fmt_int(n, lang))]
    lines = [t("plan.targets", lang, before=before, n=fmt_int(n, lang), after=fmt_int(after, lang))]
    placed = s.get("target_sites") or []
    if placed:
        places = ", ".join(dict.fromkeys(str(p["place_id"]) for p in placed))
        k = len(placed)
        lines.append(t("plan.targets_sites", lang, n=fmt_int(k, lang), count=k, places=places))
        relaxed = sum(bool(p.get("spacing_relaxed")) for p in placed)
        if relaxed:
            lines.append(t("plan.targets_spacing", lang, n=fmt_int(relaxed, lang)))
    if not s.get("cover_targets") and int(after) < int(n):
        lines.append(t("plan.targets_not_asked", lang))
    for u in (s.get("targets_uncovered_after") or []) if s.get("cover_targets") else []:
        name = f"{u['place_id']} {u['name']}".strip()
        why = t(f"plan.targets_reason.{u['reason']}", lang)
        share = format_pct(u.get("served_share_pct"), 1, lang)
        lines.append(t("plan.targets_uncovered", lang, place=name, share=share, why=why))
    return lines


def _new_site_lines(run: Any, lang: str) -> list[str]:
    """List the first :data:`SUMMARY_NEW_SITES` new sites in the order added."""
    from phusong.planning.required import TARGET_REASON_PREFIX

    new = run.new_sites().head(SUMMARY_NEW_SITES)
    if not len(new):
        return []
    lines = ["", t("plan.first_sites", lang, n=len(new))]
    width = max(len(str(w or "—")) for w in new["ward"])
    for r in new.itertuples(index=False):
        gain = t("plan.site_gain", lang, people=fmt_people(r.covered_people_gain, lang))
        if str(getattr(r, "reason", "")).startswith(TARGET_REASON_PREFIX):  # issue #15
            place = str(r.reason).removeprefix(TARGET_REASON_PREFIX)
            gain = t("plan.site_for_place", lang, place=place)
        lines.append(
            f"  {r.order:>3}. {r.site_id}  {r.ward or '—'!s:<{width}}  "
            f"{r.lat_deg:.5f}, {r.lon_deg:.5f}  {gain}"
        )
    return lines


def format_plan_summary(
    run: Any, paths: Mapping[str, Path] | None = None, lang: str | None = None
) -> str:
    """Short human summary of a plan for the terminal.

    Parameters
    ----------
    run : PlanRun
        From :func:`phusong.plan.run_plan`.
    paths : mapping of str to Path, optional
        The files written (:func:`phusong.io.outputs.write_plan_outputs`), listed at the end.
    lang : str, optional
        ``"vi"`` or ``"en"``; default :func:`phusong.i18n.current_language`.
    """
    code = current_language(lang)
    s = run.summary
    lines = [
        _plan_goal_line(s, code),
        *_plan_coverage_lines(s, code),
        *_plan_sites_lines(s, code),
        *_plan_target_lines(s, code),
        *_plan_targets_lines(s, code),  # issue #15: target places
        t("summary.model", code, model=model_words(s, code)),
        *_new_site_lines(run, code),
    ]
    if paths:
        lines += [*_files_lines(paths, code), t("plan.check_sheet", code)]
    return "\n".join(_with_warning(lines, synthetic_warning(s, code)))


__all__ = [
    "GOAL_SOURCES",
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
    "goal_description",
    "goal_source_words",
    "goal_words",
    "layer_lines",
    "model_words",
    "place_name",
    "population_words",
    "progress_words",
    "synthetic_warning",
    "target_text",
    "verdict",
]
