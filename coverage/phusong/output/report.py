"""``report.html``: the audit in plain words for a non-programmer, one self-contained page.

The page is the Jinja2 template ``templates/report.html.j2``; this module
gathers its context from an :class:`~phusong.audit.AuditResult`
(:func:`report_context`) and renders it (:func:`report_html`). Numbers are
formatted by :mod:`phusong.output.text`; the template only lays them out.

The same result gives the same bytes: no timestamps, rows in a fixed order.
Text is HTML-escaped by the template (``autoescape``) the way
:func:`html.escape` does it.
"""

from __future__ import annotations

import functools
import html
import math
from collections.abc import Mapping
from typing import Any

import jinja2
import markupsafe
import pandas as pd

from phusong.output.tables import rejection_counts, worst_first
from phusong.output.text import (
    format_count,
    format_km2,
    format_pct,
    format_people,
    goal_words,
    place_name,
    population_words,
    synthetic_warning,
    verdict,
)
from phusong.schema import ANY_OPERATOR

#: Number of wards listed in report.html.
REPORT_WORST_WARDS = 15

#: Template of report.html (in ``phusong/output/templates``).
REPORT_TEMPLATE = "report.html.j2"

#: Words for the redundancy classes of ``summary["redundancy"]``.
REDUNDANCY_LABELS = {
    "0": "no 5G site",
    "1": "exactly one site",
    "2_4": "2 to 4 sites",
    "5plus": "5 or more sites",
}


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
def _headline(s: Mapping[str, Any]) -> dict[str, Any]:
    """Place, goal, verdict and the four big figures."""
    goal = s.get("goal") or {}
    metric, weighting, what = goal_words(s)
    return {
        "warning": synthetic_warning(s),
        "place": place_name(s),
        "goal_description": goal.get("description", ""),
        "target": f"{float(goal.get('target_pct', 99.0)):g}",
        "year": goal.get("year", 2030),
        "metric": metric,
        "weighting": weighting,
        "what": what,
        "meets_goal": bool(s.get("meets_goal")),
        "verdict": verdict(s),
        "figures": {
            "population_pct": format_pct(s.get("population_coverage_pct")),
            "area_pct": format_pct(s.get("area_coverage_pct")),
            "area": format_km2(s.get("area_km2")),
            "wards_meeting_goal": s.get("wards_meeting_goal"),
            "n_wards": s.get("n_wards"),
            "uncovered": format_people(s.get("uncovered_population")),
            "population": format_people(s.get("population")),
        },
    }


def _method(s: Mapping[str, Any]) -> dict[str, Any]:
    """Model, threshold, population source, tool version and the inputs' SHA-256."""
    threshold = s.get("threshold_dbm")
    inputs = s.get("inputs") or {}
    return {
        "model_label": s.get("model_label"),
        "threshold": f"{threshold:g}" if isinstance(threshold, (int, float)) else None,
        "population_words": population_words(s.get("population_source")),
        "version": s.get("version"),
        "inputs": [
            [k, (v or {}).get("name", ""), (v or {}).get("sha256", "")]
            for k, v in sorted(inputs.items())
            if v
        ],
    }


def worst_ward_rows(result: Any, n: int = REPORT_WORST_WARDS) -> list[list[Any]]:
    """Rows of the "wards that hold the city back most" table, worst first.

    Columns: rank, ward, population covered, area covered, people uncovered,
    city figure gain [percentage points], meets goal (``yes``/``no``).
    """
    wards = worst_first(result.wards)
    return [
        [
            int(r.rank) if hasattr(r, "rank") else i,
            r.name,
            format_pct(r.population_coverage_pct),
            format_pct(r.area_coverage_pct),
            format_people(r.uncovered_population),
            f"+{r.city_gain_pct:.2f}" if math.isfinite(r.city_gain_pct) else "n/a",
            "yes" if r.meets_goal else "no",
        ]
        for i, r in enumerate(wards.head(n).itertuples(), start=1)
    ]


def operator_rows(s: Mapping[str, Any]) -> list[list[Any]]:
    """Rows of the per-operator table: operators A→Z, then "Any operator".

    Columns: operator, cells, population covered, area covered, wards meeting
    the goal, meets goal (``yes``/``no``).
    """
    ops = s.get("operators") or {}
    order = sorted((k for k in ops if k != ANY_OPERATOR), key=str.lower)
    if ANY_OPERATOR in ops:
        order.append(ANY_OPERATOR)
    return [
        [
            "Any operator" if op == ANY_OPERATOR else op,
            f"{ops[op].get('cells', 0):,}",
            format_pct(ops[op].get("population_coverage_pct")),
            format_pct(ops[op].get("area_coverage_pct")),
            ops[op].get("wards_meeting_goal"),
            "yes" if ops[op].get("meets_goal") else "no",
        ]
        for op in order
    ]


def redundancy_rows(s: Mapping[str, Any]) -> list[list[Any]]:
    """Rows of the robustness table: people and area by number of serving sites."""
    return [
        [
            REDUNDANCY_LABELS.get(k, k),
            format_people(v.get("population")),
            format_pct(v.get("population_pct"), 1),
            format_km2(v.get("area_km2")),
        ]
        for k, v in (s.get("redundancy") or {}).items()
    ]


def _input_check(s: Mapping[str, Any], rejected: pd.DataFrame | None) -> dict[str, Any]:
    """Site-row counts and the most frequent reasons for rejecting a row."""
    sites = s.get("sites") or {}
    keys = ("rows_read", "rows_accepted", "rows_rejected", "cells", "sites")
    rows = []
    if rejected is not None and len(rejected):
        counts = rejection_counts(rejected)
        rows = [[r.column, r.reason, f"{r.rows:,}"] for r in counts.itertuples()]
    return {"sites": {k: format_count(sites.get(k)) for k in keys}, "rejections": rows}


def report_context(result: Any, validation_rows: pd.DataFrame | None = None) -> dict[str, Any]:
    """Everything ``report.html.j2`` shows, as formatted text.

    Parameters
    ----------
    result : AuditResult
        From :func:`phusong.audit.run_audit`.
    validation_rows : DataFrame, optional
        The rejected rows (:func:`phusong.output.tables.rejected_rows`).

    Returns
    -------
    dict
        The template's variables (plain strings, numbers and lists of rows).
    """
    s = result.summary
    return {
        **_headline(s),
        **_method(s),
        "worst_wards_shown": REPORT_WORST_WARDS,
        "worst_wards": worst_ward_rows(result),
        "operators": operator_rows(s),
        "redundancy": redundancy_rows(s),
        **_input_check(s, validation_rows),
    }


def report_html(result: Any, validation_rows: pd.DataFrame | None = None) -> bytes:
    """``report.html``: the audit for a non-programmer, one self-contained page (UTF-8)."""
    template = template_environment().get_template(REPORT_TEMPLATE)
    return template.render(report_context(result, validation_rows)).encode("utf-8")


__all__ = [
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
