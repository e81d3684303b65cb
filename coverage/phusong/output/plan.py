"""Tables and the map of a new-site plan (``phusong plan``).

=================== ==========================================================
file                content
=================== ==========================================================
proposed_sites.csv  the new cells as an operator site sheet (:func:`plan_sites_sheet`)
curve.csv           sites added → population coverage (:func:`plan_curve_table`)
wards_plan.csv      per-ward coverage before and after (:func:`plan_ward_table`)
plan_summary.json   every figure and parameter of the plan
plan_map.html       the re-audit's map with the proposed sites (:func:`plan_map`)
=================== ==========================================================

Nothing here touches a file: :mod:`phusong.io.outputs` writes the bytes.
"""

from __future__ import annotations

from typing import Any, cast

import pandas as pd
from branca.element import Figure

from phusong.i18n import current_language, fmt_int, fmt_people, t, t_html
from phusong.output.tables import SYNTHETIC_COLUMN, clean_table, with_synthetic_flag
from phusong.output.text import format_pct, target_text
from phusong.sample import SHEET_COLUMNS

#: Columns of ``proposed_sites.csv``: the operator site/sector sheet that
#: ``phusong audit --sites`` reads (as the shipped sample), plus ``order``,
#: ``reason`` (``coverage``, or ``target place P001 (name)`` for a site placed so
#: that a target place is covered, issue #15) and the ``synthetic`` flag
#: (:data:`phusong.output.tables.SYNTHETIC_COLUMN`).
PLAN_SHEET_COLUMNS = (*SHEET_COLUMNS, "order", "reason", SYNTHETIC_COLUMN)

#: Canonical site columns renamed to their site-sheet names.
_SHEET_NAMES = {"lat_deg": "lat", "lon_deg": "lon"}

#: Columns of ``curve.csv``.
CURVE_COLUMNS = ("round", "method", "n_sites", "covered_population", "population_coverage_pct")

#: Fill colour of the proposed sites on the plan map (magenta: apart from the
#: orange-to-blue ward scale and the grey site points).
PROPOSED_COLOUR = "#d01c8b"


def plan_sites_sheet(sites: Any, synthetic: bool = False) -> pd.DataFrame:
    """Build ``proposed_sites.csv``: proposed cells as an operator site/sector sheet.

    Parameters
    ----------
    sites : GeoDataFrame
        ``PlanResult.sites`` (canonical site columns plus ``order``).
    synthetic : bool
        The plan was made on SYNTHETIC site data (the ``synthetic`` column).

    Returns
    -------
    DataFrame
        Columns :data:`PLAN_SHEET_COLUMNS`, one row per cell, in the order the
        sites were added; floats rounded to :data:`~phusong.output.tables.DECIMALS`
        decimals (``lat``/``lon`` [degrees]: about 0.1 m).
    """
    frame = pd.DataFrame(sites)
    frame.columns = [_SHEET_NAMES.get(c, c) for c in frame.columns]
    if "reason" not in frame:  # a proposal straight from the planner: every site for coverage
        from phusong.planning.required import COVERAGE_REASON

        frame["reason"] = COVERAGE_REASON
    frame = with_synthetic_flag(
        frame.sort_values(["order", "cell_id"], kind="mergesort"), synthetic
    )
    return clean_table(frame[list(PLAN_SHEET_COLUMNS)], PLAN_SHEET_COLUMNS)


def _audited_points(summary: Any) -> list[dict[str, Any]]:
    """List the audited points of the curve: round 0 (before), then after each round."""
    pop = float(summary["population"])
    points = [
        {
            "round": 0,
            "method": "audit",
            "n_sites": 0,
            "covered_population": summary["covered_population_before"],
            "population_coverage_pct": summary["population_coverage_pct_before"],
        }
    ]
    total = 0
    for h in summary.get("history", []):
        total += int(h["n_new_sites"])
        pct = h.get("population_coverage_pct_after")
        if pct is not None:
            points.append(
                {
                    "round": int(h["round"]),
                    "method": "audit",
                    "n_sites": total,
                    "covered_population": pct * pop / 100.0,
                    "population_coverage_pct": pct,
                }
            )
    return points


def plan_curve_table(run: Any) -> pd.DataFrame:
    """Build ``curve.csv``: sites added → population coverage.

    Rows ``method = greedy`` (or ``milp``) are the planner's estimates after
    1, 2, … new sites (``round`` says which planning round; a later round
    starts from the re-audit); rows ``method = audit`` are the audited figures
    (``round`` 0: the existing network; ``r``: after round ``r``).
    Columns ``round, method, n_sites, covered_population`` [people],
    ``population_coverage_pct`` [%] (population-weighted).
    """
    cols = list(CURVE_COLUMNS)
    curve = pd.DataFrame(run.plan.curve)
    parts = [frame for frame in (curve, pd.DataFrame(_audited_points(run.summary))) if len(frame)]
    out = pd.concat([p[cols] for p in parts], ignore_index=True)
    out["n_sites"] = out["n_sites"].astype("int64")
    rank = out["method"].map({"audit": 1}).fillna(0)
    out = out.assign(_rank=rank).sort_values(["round", "_rank", "n_sites"], kind="mergesort")
    return clean_table(out.drop(columns="_rank"), cols)


def plan_ward_table(run: Any) -> pd.DataFrame:
    """Build ``wards_plan.csv``: per-ward coverage before and after (see :meth:`PlanRun.ward_table`)."""
    return clean_table(run.ward_table(), ())


# --------------------------------------------------------------------------
# plan_map.html
# --------------------------------------------------------------------------
def _site_label(r: Any, lang: str) -> str:
    """Tooltip of a new site: id, order, ward and people gained, or the place it is for."""
    from phusong.planning.required import COVERAGE_REASON, TARGET_REASON_PREFIX

    reason = str(getattr(r, "reason", COVERAGE_REASON))
    if reason.startswith(TARGET_REASON_PREFIX):  # issue #15: placed so that a place is covered
        place = reason.removeprefix(TARGET_REASON_PREFIX)
        return f"{r.site_id} · #{r.order} · {r.ward or '—'} · " + t(
            "planmap.for_place", lang, place=place
        )
    return t(
        "planmap.site",
        lang,
        site=r.site_id,
        order=r.order,
        round=r.round,
        ward=r.ward or "—",
        people=fmt_people(r.covered_people_gain, lang),
    )


def _proposed_features(new: pd.DataFrame, lang: str) -> list[dict[str, Any]]:
    """One GeoJSON point per new site, labelled with id, order, ward and people gained."""
    return [
        {
            "type": "Feature",
            "properties": {"label": _site_label(r, lang)},
            "geometry": {
                "type": "Point",
                "coordinates": [round(float(r.lon_deg), 6), round(float(r.lat_deg), 6)],
            },
        }
        for r in new.itertuples(index=False)
    ]


def _proposed_layer(new: pd.DataFrame, lang: str) -> Any:
    """Folium layer "Proposed new sites": a magenta circle per site, with a tooltip."""
    import folium

    name = t("planmap.layer", lang, n=fmt_int(len(new), lang))
    layer = folium.FeatureGroup(name=name, show=True)
    if len(new):
        folium.GeoJson(
            {"type": "FeatureCollection", "features": _proposed_features(new, lang)},
            name=t("planmap.layer_name", lang),
            marker=folium.CircleMarker(
                radius=6, color="#000000", weight=1.5, fill=True, fill_color=PROPOSED_COLOUR
            ),
            style_function=lambda f: {"fillColor": PROPOSED_COLOUR, "fillOpacity": 0.95},
            tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
            zoom_on_click=False,
        ).add_to(layer)
    return layer


def _plan_note(summary: Any, n_new: int, lang: str) -> str:
    """HTML box (bottom right) with the proposal and coverage before → after."""
    after = summary.get("population_coverage_pct_after")
    estimate = summary.get("estimated_population_coverage_pct_after")
    after_text = (
        t("planmap.after_audit", lang, pct=format_pct(after, 2, lang))
        if after is not None
        else t("planmap.after_estimate", lang, pct=format_pct(estimate, 2, lang))
    )
    note = t_html(
        "planmap.note_html",
        lang,
        colour=PROPOSED_COLOUR,
        n=fmt_int(n_new, lang),
        operator=str(summary.get("operator")),
        before=format_pct(summary.get("population_coverage_pct_before"), 2, lang),
        after=after_text,
        target=target_text(summary.get("target_pct"), lang),
    )
    if summary.get("cover_targets") and summary.get("targets_covered_after") is not None:
        note += t_html(  # issue #15: target places
            "planmap.targets_html",
            lang,
            before=fmt_int(summary["targets_covered_before"], lang),
            n=fmt_int(summary["n_target_places"], lang),
            after=fmt_int(summary["targets_covered_after"], lang),
            sites=fmt_int(summary.get("n_target_sites", 0), lang),
        )
    return (
        '<div class="phusong-plan-note" style="position:fixed;bottom:34px;right:10px;'
        "z-index:9999;background:#fff;padding:6px 10px;border:1px solid #999;border-radius:4px;"
        f'font:12px sans-serif;max-width:28rem">{note}</div>'
    )


def plan_map(run: Any, lang: str | None = None) -> Any:
    """Folium map of a plan: the audit map of the re-audit plus the proposed sites.

    :func:`phusong.output.maps.audit_map` of ``run.after`` (``run.before`` without a
    re-audit) with one extra layer, "Proposed new sites", drawing each new
    site as a magenta circle whose tooltip gives its id, order, ward and the
    people it adds (the planner's estimate). ``lang``: ``"vi"`` or ``"en"``;
    default :func:`phusong.i18n.current_language`.
    """
    import folium

    from phusong.output.maps import audit_map

    code = current_language(lang)
    new = run.new_sites()
    layer = _proposed_layer(new, code)
    audited = run.after if run.after is not None else run.before
    m = audit_map(audited, extra_layers=[layer], lang=code)
    root = cast(Figure, m.get_root())  # a folium map's root is always its Figure
    root.html.add_child(folium.Element(_plan_note(run.summary, len(new), code)))
    return m


__all__ = [
    "CURVE_COLUMNS",
    "PLAN_SHEET_COLUMNS",
    "PROPOSED_COLOUR",
    "plan_curve_table",
    "plan_map",
    "plan_sites_sheet",
    "plan_ward_table",
]
