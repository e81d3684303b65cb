"""``report.html``: the audit in plain words for a non-programmer, one self-contained page.

The page is the Jinja2 template ``templates/report.html.j2``; this module
gathers its context from an :class:`~phusong.audit.AuditResult`
(:func:`report_context`) and renders it (:func:`report_html`), in Vietnamese or
English (``lang``). Words come from the message catalogue
(:func:`phusong.i18n.t`, given to the template as ``t`` and ``h``), numbers
from :mod:`phusong.i18n.formats`; the template only lays them out.

The same result gives the same bytes: no timestamps, rows in a fixed order.
Text is HTML-escaped by the template (``autoescape``) the way
:func:`html.escape` does it. The page has no script and loads nothing: it
opens offline.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Callable, Mapping
from typing import Any

import jinja2
import markupsafe
import pandas as pd

from phusong.i18n import (
    current_language,
    fmt_decimal,
    fmt_int,
    fmt_km2,
    fmt_unit,
    is_missing,
    t,
    t_html,
)
from phusong.output.calibration_section import calibration_section
from phusong.output.progress import goals_section_html  # progress (issue #15)
from phusong.output.tables import rejection_counts, worst_first
from phusong.output.text import (
    GOAL_SOURCES,
    format_pct,
    goal_description,
    goal_words,
    layer_lines,
    model_words,
    place_name,
    population_words,
    synthetic_warning,
    target_text,
    verdict,
)
from phusong.schema import ANY_OPERATOR

#: Number of wards listed in report.html.
REPORT_WORST_WARDS = 15

#: Template of report.html (in ``phusong/output/templates``).
REPORT_TEMPLATE = "report.html.j2"

#: Redundancy classes of ``summary["redundancy"]`` -> catalogue key of their words.
REDUNDANCY_LABELS = {
    "0": "report.redundancy.0",
    "1": "report.redundancy.1",
    "2_4": "report.redundancy.2_4",
    "5plus": "report.redundancy.5plus",
}

#: Inputs of ``summary["inputs"]`` -> catalogue key of their words.
INPUT_LABELS = {
    "wards": "report.inputs.wards",
    "sites": "report.inputs.sites",
    "population": "report.inputs.population",
}

#: The column label :func:`phusong.output.tables.rejection_counts` gives a row-wide problem.
WHOLE_ROW = "(whole row)"  # i18n: identifier


# --------------------------------------------------------------------------
# Templates
# --------------------------------------------------------------------------
def _escape(value: Any) -> Any:
    """Escape a template value as :func:`html.escape` does (``&quot;``, ``&#x27;``).

    Used as the environment's ``finalize``: autoescape then leaves the
    :class:`~markupsafe.Markup` alone, so the page keeps the entities it has
    always had (markupsafe would write ``&#34;`` and ``&#39;``).
    """
    if isinstance(value, markupsafe.Markup):
        return value
    return markupsafe.Markup(html.escape(str(value), quote=True))


@functools.cache
def template_environment() -> jinja2.Environment:
    """Return the Jinja2 environment of phusong's HTML templates (built once).

    Templates come from the package folder ``phusong/output/templates``;
    every ``{{ value }}`` is HTML-escaped; block tags leave no blank lines
    (``trim_blocks``, ``lstrip_blocks``) and the final newline is kept.
    """
    return jinja2.Environment(
        loader=jinja2.PackageLoader("phusong.output", "templates"),
        autoescape=True,
        finalize=_escape,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )


# --------------------------------------------------------------------------
# The context of report.html
# --------------------------------------------------------------------------
def _headline(s: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """Place, goal, verdict and the four big figures."""
    goal = s.get("goal") or {}
    metric, weighting, what = goal_words(s, lang)
    return {
        "warning": synthetic_warning(s, lang),
        "place": place_name(s, lang),
        "goal_description": goal_description(goal, lang),
        "goal_is_plan_58": GOAL_SOURCES.get(str(goal.get("source"))) == "goal.source.hanoi_58",
        "target": target_text(goal.get("target_pct", 99.0), lang),
        "year": goal.get("year", 2030),
        "metric": metric,
        "weighting": weighting,
        "what": what,
        "meets_goal": bool(s.get("meets_goal")),
        "verdict": verdict(s, lang),
        "figures": {
            "population_pct": format_pct(s.get("population_coverage_pct"), 2, lang),
            "area_pct": format_pct(s.get("area_coverage_pct"), 2, lang),
            "area": fmt_km2(s.get("area_km2"), lang),
            "wards_meeting_goal": s.get("wards_meeting_goal"),
            "n_wards": s.get("n_wards"),
            "uncovered": fmt_int(s.get("uncovered_population"), lang),
            "population": fmt_int(s.get("population"), lang),
        },
    }


def _method(s: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """Model, threshold, population source, tool version and the inputs' SHA-256."""
    threshold = s.get("threshold_dbm")
    inputs = s.get("inputs") or {}
    return {
        "model_label": model_words(s, lang),
        "threshold": fmt_unit(threshold, "dBm", lang, 0)
        if isinstance(threshold, (int, float))
        else None,
        "population_words": population_words(s.get("population_source"), lang),
        "version": s.get("version"),
        "inputs": [
            [
                t(INPUT_LABELS[k], lang) if k in INPUT_LABELS else k,
                v.get("name", ""),
                v.get("sha256", ""),
            ]
            for k, v in sorted(inputs.items())
            if v
        ],
    }


def _yes_no(meets: Any, lang: str) -> str:
    """``"yes"``/``"no"`` (vi ``"đạt"``/``"chưa đạt"``) for a meets-the-goal flag."""
    return t("report.meets.yes" if meets else "report.meets.no", lang)


def worst_ward_rows(
    result: Any, n: int = REPORT_WORST_WARDS, lang: str | None = None
) -> list[list[Any]]:
    """Rows of the "wards that hold the city back most" table, worst first.

    Columns: rank, ward, population covered, area covered, people uncovered,
    city figure gain [percentage points], meets goal (``yes``/``no``).
    """
    code = current_language(lang)
    wards = worst_first(result.wards)
    return [
        [
            int(r.rank) if hasattr(r, "rank") else i,
            r.name,
            format_pct(r.population_coverage_pct, 2, code),
            format_pct(r.area_coverage_pct, 2, code),
            fmt_int(r.uncovered_population, code),
            _signed_points(r.city_gain_pct, code),
            _yes_no(r.meets_goal, code),
        ]
        for i, r in enumerate(wards.head(n).itertuples(), start=1)
    ]


def _signed_points(points: Any, lang: str) -> str:
    """Format a gain in percentage points with its sign and two decimals, no unit (``"+0.52"``)."""
    if is_missing(points):
        return t("common.unknown", lang)
    text = fmt_decimal(points, lang, 2)
    return text if text.startswith(("-", "−")) else f"+{text}"


def operator_rows(s: Mapping[str, Any], lang: str | None = None) -> list[list[Any]]:
    """Rows of the per-operator table: operators A→Z, then "Any operator".

    Columns: operator, cells, population covered, area covered, wards meeting
    the goal, meets goal (``yes``/``no``).
    """
    code = current_language(lang)
    ops = s.get("operators") or {}
    order = sorted((k for k in ops if k != ANY_OPERATOR), key=str.lower)
    if ANY_OPERATOR in ops:
        order.append(ANY_OPERATOR)
    return [
        [
            t("report.any_operator", code) if op == ANY_OPERATOR else op,
            fmt_int(ops[op].get("cells", 0), code),
            format_pct(ops[op].get("population_coverage_pct"), 2, code),
            format_pct(ops[op].get("area_coverage_pct"), 2, code),
            ops[op].get("wards_meeting_goal"),
            _yes_no(ops[op].get("meets_goal"), code),
        ]
        for op in order
    ]


def redundancy_rows(s: Mapping[str, Any], lang: str | None = None) -> list[list[Any]]:
    """Rows of the robustness table: people and area by number of serving sites."""
    code = current_language(lang)
    return [
        [
            t(REDUNDANCY_LABELS[k], code) if k in REDUNDANCY_LABELS else k,
            fmt_int(v.get("population"), code),
            format_pct(v.get("population_pct"), 1, code),
            fmt_km2(v.get("area_km2"), code),
        ]
        for k, v in (s.get("redundancy") or {}).items()
    ]


def _input_check(s: Mapping[str, Any], rejected: pd.DataFrame | None, lang: str) -> dict[str, Any]:
    """Site-row counts and the most frequent reasons for rejecting a row."""
    sites = s.get("sites") or {}
    keys = ("rows_read", "rows_accepted", "rows_rejected", "cells", "sites")
    rows = []
    if rejected is not None and len(rejected):
        counts = rejection_counts(rejected)
        rows = [
            [
                t("report.whole_row", lang) if r.column == WHOLE_ROW else r.column,
                r.reason,
                fmt_int(r.rows, lang),
            ]
            for r in counts.itertuples()
        ]
    counts_text = {
        k: fmt_int(sites.get(k) if isinstance(sites.get(k), int) else None, lang) for k in keys
    }
    return {"sites": counts_text, "rejections": rows}


def _translators(lang: str) -> dict[str, Callable[..., Any]]:
    """``t`` and ``h`` for the template, bound to ``lang``."""
    return {
        "t": functools.partial(_t_in, lang),
        "h": functools.partial(_t_html_in, lang),
    }


def _t_in(lang: str, key: str, **kw: Any) -> str:
    """:func:`phusong.i18n.t` with the language first (for :func:`functools.partial`)."""
    return t(key, lang, **kw)


def _t_html_in(lang: str, key: str, **kw: Any) -> markupsafe.Markup:
    """:func:`phusong.i18n.t_html` with the language first (for :func:`functools.partial`)."""
    return t_html(key, lang, **kw)


def report_context(
    result: Any, validation_rows: pd.DataFrame | None = None, lang: str | None = None
) -> dict[str, Any]:
    """Everything ``report.html.j2`` shows, as formatted text.

    Parameters
    ----------
    result : AuditResult
        From :func:`phusong.audit.run_audit`.
    validation_rows : DataFrame, optional
        The rejected rows (:func:`phusong.output.tables.rejected_rows`).
    lang : str, optional
        ``"vi"`` or ``"en"``; default :func:`phusong.i18n.current_language`.

    Returns
    -------
    dict
        The template's variables (plain strings, numbers, lists of rows, and
        the translators ``t`` and ``h``).
    """
    code = current_language(lang)
    s = result.summary
    return {
        "lang": code,
        **_translators(code),
        **_headline(s, code),
        **_method(s, code),
        "worst_wards_shown": REPORT_WORST_WARDS,
        "worst_wards": worst_ward_rows(result, lang=code),
        "operators": operator_rows(s, code),
        "redundancy": redundancy_rows(s, code),
        **_input_check(s, validation_rows, code),
        "calibration": calibration_section(s, code),  # calibration (issue #14)
        "layers": [line.strip() for line in layer_lines(s, code)],  # physics (issue #12)
        "goals_section": goals_section_html(s, template_environment(), code),  # issue #15
    }


def report_html(
    result: Any, validation_rows: pd.DataFrame | None = None, lang: str | None = None
) -> bytes:
    """``report.html``: the audit for a non-programmer, one self-contained page (UTF-8).

    ``lang``: ``"vi"`` or ``"en"``; default :func:`phusong.i18n.current_language`.
    """
    template = template_environment().get_template(REPORT_TEMPLATE)
    return template.render(report_context(result, validation_rows, lang)).encode("utf-8")


__all__ = [
    "INPUT_LABELS",
    "REDUNDANCY_LABELS",
    "REPORT_TEMPLATE",
    "REPORT_WORST_WARDS",
    "operator_rows",
    "redundancy_rows",
    "report_context",
    "report_html",
    "template_environment",
    "worst_ward_rows",
]
