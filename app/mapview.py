"""What the app's maps show: geometry once per result, colours and tooltips per run.

Geometry (:func:`audit_geometry`, :func:`plan_geometry`,
:func:`preview_geometry`) is built once per result and cached by the
services; colours and tooltips (:func:`goal_style`, :func:`change_style`) are
computed on every run from the judged tables, so a new goal recolours the
map in the browser without rebuilding it (:mod:`wardmap`).

Colours and legend classes are the library's (:mod:`phusong.output.maps`,
colour-blind safe), so the app's map and the downloaded ``map.html`` agree.
Display shapes are the library's too (:func:`phusong.output.maps.display_geometry`);
every figure comes from the audit tables, never from the simplified shapes.
"""

from __future__ import annotations

import html
import json
from typing import Any

import fmt
import numpy as np
import pandas as pd
import shapely
import wardmap
from strings import t

from phusong.i18n import t as library_text
from phusong.output import maps
from phusong.planning.required import TARGET_REASON_PREFIX  # issue #15

#: Height of the main maps [px].
MAP_HEIGHT = 540
#: Display simplification of ward and gap outlines [m] and coordinate decimals.
WARD_SIMPLIFY_M, WARD_DECIMALS = 20.0, 5
GAP_SIMPLIFY_M, GAP_DECIMALS = 40.0, 4

#: Colour of the proposed new sites: white dots with a dark outline, readable on
#: every ward colour.
PROPOSED = "#ffffff"
#: Accepted sites of an upload, and those accepted after an automatic fix.
ACCEPTED, FIXED = "#2166ac", "#d01c8b"


def goal_colours(values_pct: Any, target_pct: float) -> np.ndarray:
    """Fill colour of each coverage value [%] against a target [%] (the library's scale).

    :func:`phusong.output.maps.goal_colours`: oranges to browns below the
    target, blues at or above it, grey for unknown — the same colours as the
    downloaded ``map.html``.
    """
    return maps.goal_colours(values_pct, target_pct)


def change_colours(change: Any) -> np.ndarray:
    """Fill colour of each change [percentage points] (:data:`phusong.output.maps.CHANGE_CLASSES`)."""
    c = np.asarray(change, dtype="float64")
    out = np.full(c.shape, maps.UNKNOWN, dtype=object)
    assigned = ~np.isfinite(c)
    for upper, colour, _ in maps.CHANGE_CLASSES:
        sel = ~assigned & (c <= upper)
        out[sel] = colour
        assigned |= sel
    return out


def attribution(result: Any) -> str:
    """Attribution HTML: OpenStreetMap, and WorldPop when its population is used."""
    source = str(result.summary.get("population_source", ""))
    if "worldpop" in source.lower():
        return f"{maps.OSM_ATTRIBUTION} · {maps.WORLDPOP_ATTRIBUTION}"
    return maps.OSM_ATTRIBUTION


def layer_names(language: str) -> dict[str, str]:
    """Names of the layers in the map's layer control."""
    return {
        "wards": t("layer_wards", language=language),
        "gaps": t("layer_gaps", language=language),
        "sites": t("layer_sites", language=language),
        "proposed": t("layer_proposed", language=language),
        "accepted": t("layer_accepted", language=language),
        "fixed": t("layer_fixed", language=language),
    }


# --------------------------------------------------------------------------- geometry


def _display(frame: Any, tolerance_m: float, decimals: int) -> Any:
    from phusong.output.maps import display_geometry

    return display_geometry(frame, tolerance_m, decimals)


def _ward_features(wards: Any) -> str:
    disp = _display(wards[["ward_id", "name", "geometry"]], WARD_SIMPLIFY_M, WARD_DECIMALS)
    geoms = shapely.to_geojson(np.asarray(disp.geometry.values))
    features = [
        {
            "type": "Feature",
            "properties": {"id": str(i), "name": str(n)},
            "geometry": json.loads(g),
        }
        for i, n, g in zip(disp["ward_id"], disp["name"], geoms, strict=True)
        if g is not None
    ]
    return json.dumps({"type": "FeatureCollection", "features": features}, separators=(",", ":"))


def _labels(wards: Any) -> list[list[Any]]:
    """``[lat, lon, name, ward id]`` of a point inside each ward (where its name is written)."""
    pts = shapely.point_on_surface(np.asarray(wards.to_crs("EPSG:4326").geometry.values))
    return [
        [round(float(p.y), 5), round(float(p.x), 5), html.escape(str(n)), str(i)]
        for p, n, i in zip(pts, wards["name"], wards["ward_id"], strict=True)
    ]


def _gap_outlines(gaps: Any) -> str | None:
    if gaps is None or len(gaps) == 0:
        return None
    disp = _display(gaps[["geometry"]], GAP_SIMPLIFY_M, GAP_DECIMALS)
    disp = disp[~disp.geometry.is_empty & disp.geometry.notna()]
    geoms = shapely.to_geojson(np.asarray(disp.geometry.values))
    features = [
        {"type": "Feature", "properties": {}, "geometry": json.loads(g)}
        for g in geoms
        if g is not None
    ]
    return json.dumps({"type": "FeatureCollection", "features": features}, separators=(",", ":"))


def _bounds(frame: Any, pad_deg: float = 0.0) -> list[list[float]]:
    w, s, e, n = frame.to_crs("EPSG:4326").total_bounds
    return [[float(s) - pad_deg, float(w) - pad_deg], [float(n) + pad_deg, float(e) + pad_deg]]


def _site_rows(sites: Any) -> list[list[Any]]:
    """One ``[lat, lon]`` per site (its cells share the mast)."""
    if sites is None or len(sites) == 0:
        return []
    pts = sites.to_crs("EPSG:4326")
    if "site_id" in pts:
        pts = pts[~pts["site_id"].astype(str).duplicated().to_numpy()]
    return [
        [round(float(y), 5), round(float(x), 5)]
        for x, y in zip(pts.geometry.x, pts.geometry.y, strict=True)
    ]


def audit_geometry(result: Any, *, key: str, gaps: bool = True, sites: bool = True) -> Any:
    """Geometry of an audit map: wards, gap outlines and the sites as small points."""
    points = []
    if sites:
        rows = _site_rows(result.sites)
        points.append(
            {
                "id": "sites",
                "name": "sites",
                "colour": maps.SITE_COLOUR,
                "radius": 1.3,
                "opacity": 0.55,
                "outline": None,
                "interactive": False,
                "shown": True,
                "rows": rows,
            }
        )
    return wardmap.MapData(
        key=key,
        wards=_ward_features(result.wards),
        labels=_labels(result.wards),
        fit=_bounds(result.wards),
        gaps=_gap_outlines(result.gaps) if gaps else None,
        points=points,
    )


def proposed_tooltip(row: Any, language: str) -> str:
    """Tooltip of a proposed site: order, id, ward, the people it adds (estimate).

    A site placed for a target place (issue #15) names the place too.
    """
    text = t(
        "tip_proposed",
        language=language,
        order=fmt.count(row.order, language),
        site=html.escape(str(row.site_id)),
        ward=html.escape(str(row.ward) or "—"),
        people=fmt.people(row.covered_people_gain, language),
    )
    reason = str(getattr(row, "reason", ""))
    if reason.startswith(TARGET_REASON_PREFIX):
        place = html.escape(reason.removeprefix(TARGET_REASON_PREFIX))
        text += "<br>" + t("tip_proposed_place", language=language, place=place)
    return text


def plan_geometry(run: Any, *, key: str, lang: str) -> Any:
    """Geometry of a plan map: the re-audit's wards and gaps, existing and proposed sites.

    Proposed sites are white dots with a dark outline (readable on every ward
    colour, smaller when there are hundreds); the view fits the proposed sites.
    """
    after = run.after if run.after is not None else run.before
    new = run.new_sites()
    many = len(new) > 150
    base = audit_geometry(after, key=key, sites=False)
    existing = {
        "id": "sites",
        "name": "sites",
        "colour": maps.SITE_COLOUR,
        "radius": 1.6,
        "outline": None,
        "interactive": False,
        "shown": not many,
        "rows": _site_rows(run.before.sites),
    }
    proposed = {
        "id": "proposed",
        "name": "proposed",
        "colour": PROPOSED,
        "radius": 3.2 if many else 5.0,
        "outline": "#111111",
        "interactive": True,
        "shown": True,
        "rows": [
            [round(float(r.lat_deg), 6), round(float(r.lon_deg), 6), proposed_tooltip(r, lang)]
            for r in new.itertuples(index=False)
        ],
    }
    fit = base.fit
    if len(new):
        lat, lon = new["lat_deg"].astype(float), new["lon_deg"].astype(float)
        pad = 0.01
        fit = [[lat.min() - pad, lon.min() - pad], [lat.max() + pad, lon.max() + pad]]
    return wardmap.MapData(
        key=key,
        wards=base.wards,
        labels=base.labels,
        fit=fit,
        gaps=base.gaps,
        points=[existing, proposed],
    )


def preview_geometry(table: Any, report: Any, wards: Any, *, key: str, lang: str) -> Any:
    """Geometry of an upload preview: ward outlines, accepted sites, fixed sites."""
    fixed_rows = set()
    notes = getattr(report, "notes", None)
    if notes is not None and len(notes):
        fixed_rows = {int(r) for r in notes["row"].dropna()}
    pts = table.to_crs("EPSG:4326") if len(table) else table
    fixed = (
        pts["source_row"].isin(fixed_rows).to_numpy()
        if len(pts) and "source_row" in pts
        else np.zeros(len(pts), bool)
    )

    def rows(mask: np.ndarray) -> list[list[Any]]:
        sub = pts[mask]
        return [
            [round(float(y), 6), round(float(x), 6), html.escape(f"{c} · {o}")]
            for x, y, c, o in zip(
                sub.geometry.x,
                sub.geometry.y,
                sub["cell_id"].astype(str),
                sub["operator"].astype(str),
                strict=True,
            )
        ]

    layers = [
        {
            "id": "accepted",
            "name": "accepted",
            "colour": ACCEPTED,
            "radius": 3.0,
            "outline": None,
            "interactive": True,
            "shown": True,
            "rows": rows(~fixed),
        },
        {
            "id": "fixed",
            "name": "fixed",
            "colour": FIXED,
            "radius": 4.5,
            "outline": "#111111",
            "interactive": True,
            "shown": True,
            "rows": rows(fixed),
        },
    ]
    fit = _bounds(pts, 0.005) if len(pts) else _bounds(wards)
    return wardmap.MapData(
        key=key, wards=_ward_features(wards), labels=_labels(wards), fit=fit, points=layers
    )


# --------------------------------------------------------------------------- style


def ward_tooltip(row: Any, goal: Any, language: str) -> str:
    """Tooltip of one ward: its name, both coverage figures, people without 5G, the goal."""
    short = (
        fmt.people(row.shortfall_population, language)
        if goal.metric == "population"
        else fmt.km2(row.shortfall_area_km2, 2, language)
    )
    status = (
        t("tip_meets", language=language)
        if bool(row.meets_goal)
        else t("tip_misses", language=language, short=short)
    )
    return t(
        "tip_ward",
        language=language,
        name=html.escape(str(row.name)),
        pop=fmt.pct(row.population_coverage_pct, 1, language),
        area=fmt.pct(row.area_coverage_pct, 1, language),
        uncovered=fmt.people(row.uncovered_population, language),
        status=status,
    )


def goal_style(result: Any, goal: Any, language: str) -> tuple[dict[str, str], dict[str, str]]:
    """(fill colour, tooltip HTML) of each ward of a judged audit, by ward id."""
    wards = pd.DataFrame(result.wards.drop(columns="geometry"))
    ids = wards["ward_id"].astype(str).to_numpy()
    colours = goal_colours(wards[goal.column], goal.target_pct)
    style = dict(zip(ids, (str(c) for c in colours), strict=True))
    info = {
        i: ward_tooltip(r, goal, language)
        for i, r in zip(ids, wards.itertuples(index=False), strict=True)
    }
    return style, info


def ward_table_texts(result: Any, language: str) -> pd.DataFrame:
    """Every ward of a judged audit, figures as text, those holding the city back first.

    Columns ``rank``, ``ward``, ``pop``, ``area``, ``meets``, ``short`` (people
    or km² short of the goal, in the goal's metric), ``uncovered`` (people) and
    ``gain`` (points the city gains if the ward's gap is closed).
    """
    goal = result.params.goal
    population = goal.metric == "population"
    short = "shortfall_population" if population else "shortfall_area_km2"
    table = pd.DataFrame(result.wards.drop(columns="geometry"))
    table = table.sort_values([short, "ward_id"], ascending=[False, True], kind="mergesort")
    yes, no = t("yes", language=language), t("no", language=language)
    return pd.DataFrame(
        {
            "rank": table["rank"].astype(int).to_numpy(),
            "ward": table["name"].astype(str).to_numpy(),
            "pop": [fmt.pct(x, 1, language) for x in table["population_coverage_pct"]],
            "area": [fmt.pct(x, 1, language) for x in table["area_coverage_pct"]],
            "meets": [yes if m else no for m in table["meets_goal"]],
            "short": [
                fmt.count(x, language) if population else fmt.number(x, 2, language)
                for x in table[short]
            ],
            "uncovered": [fmt.count(x, language) for x in table["uncovered_population"]],
            "gain": [fmt.number(x, 2, language) for x in table["city_gain_pct"]],
        }
    )


def change_style(base: Any, other: Any, language: str) -> tuple[dict[str, str], dict[str, str]]:
    """(fill colour, tooltip HTML) of each ward by its change from ``base`` to ``other``."""
    col = base.params.goal.column
    a = pd.DataFrame(base.wards[["ward_id", "name", col]])
    b = pd.DataFrame(other.wards[["ward_id", col]])
    a["ward_id"], b["ward_id"] = a["ward_id"].astype(str), b["ward_id"].astype(str)
    merged = a.merge(b, on="ward_id", how="left", suffixes=("_base", "_other"))
    change = (merged[f"{col}_other"] - merged[f"{col}_base"]).to_numpy("float64")
    style = dict(zip(merged["ward_id"], (str(c) for c in change_colours(change)), strict=True))
    info = {
        str(r.ward_id): t(
            "tip_change",
            language=language,
            name=html.escape(str(r.name)),
            before=fmt.pct(getattr(r, f"{col}_base"), 1, language),
            after=fmt.pct(getattr(r, f"{col}_other"), 1, language),
            change=fmt.points(d, 2, language),
        )
        for r, d in zip(merged.itertuples(index=False), change, strict=True)
    }
    return style, info


def recolour_payload(
    result: Any, metric: str, targets: list[float], language: str
) -> dict[str, Any]:
    """What the browser needs to recolour the wards for any goal target by itself.

    The coverage of each ward in the goal's metric [%], the library's colour
    classes (the browser applies :func:`phusong.output.maps.goal_colours`'s
    rule to them), the targets the slider offers and the legend of each.
    """
    from phusong.goals import Goal

    column = f"{metric}_coverage_pct"
    values = {
        str(i): (float(v) if np.isfinite(v) else None)
        for i, v in zip(result.wards["ward_id"], result.wards[column].astype(float), strict=True)
    }
    return {
        "values": values,
        "scale": {
            "below": [[float(t), c] for t, c, _ in maps.BELOW_GOAL],
            "meets": maps.MEETS_GOAL,
            "full": maps.FULL_COVERAGE,
            "unknown": maps.UNKNOWN,
        },
        "targets": [float(x) for x in targets],
        "legends": [goal_legend(Goal.target(x, metric), language) for x in targets],  # type: ignore[arg-type]
    }


# --------------------------------------------------------------------------- legends


def goal_legend(goal: Any, language: str) -> dict[str, Any]:
    """Legend of the goal colours: the library's classes, then the gaps and the sites."""
    rows = [
        [colour, label, "fill" if colour else "text"]
        for colour, label in maps.legend_rows(goal.target_pct, language)
    ]
    rows.append([maps.GAP_OUTLINE, t("leg_gaps", language=language), "outline"])
    rows.append([maps.SITE_COLOUR, t("leg_sites", language=language), "dot"])
    metric = t(f"metric_short_{goal.metric}", language=language)
    return {
        "title": t("leg_title", language=language, metric=metric),
        "rows": rows,
        "note": t("leg_note", language=language),
    }


def plan_legend(goal: Any, n_new: int, language: str) -> dict[str, Any]:
    """Legend of the plan map: the goal colours after the plan and the proposed sites."""
    legend = goal_legend(goal, language)
    rows = [r for r in legend["rows"] if r[2] != "dot"]
    rows.append(
        [PROPOSED, t("leg_proposed", language=language, n=fmt.count(n_new, language)), "dot"]
    )
    rows.append([maps.SITE_COLOUR, t("leg_sites", language=language), "dot"])
    return {**legend, "rows": rows, "title": t("leg_title_after", language=language)}


def change_legend(goal: Any, language: str) -> dict[str, Any]:
    """Legend of the Compare map: the library's classes of change [percentage points]."""
    metric = t(f"metric_short_{goal.metric}", language=language)
    rows = [[colour, library_text(key, language), "fill"] for _, colour, key in maps.CHANGE_CLASSES]
    rows.append([maps.UNKNOWN, t("leg_unknown", language=language), "fill"])
    return {"title": t("leg_change_title", language=language, metric=metric), "rows": rows}


def preview_legend(table: Any, report: Any, language: str) -> dict[str, Any]:
    """Legend of the upload preview: accepted, fixed, and how many rows were rejected."""
    n_fixed = 0
    notes = getattr(report, "notes", None)
    if notes is not None and len(notes) and "source_row" in table:
        n_fixed = int(table["source_row"].isin({int(r) for r in notes["row"].dropna()}).sum())
    return {
        "title": t("leg_preview_title", language=language),
        "rows": [
            [
                ACCEPTED,
                t("leg_accepted", language=language, n=fmt.count(len(table) - n_fixed, language)),
                "dot",
            ],
            [FIXED, t("leg_fixed", language=language, n=fmt.count(n_fixed, language)), "dot"],
        ],
        "note": t("leg_rejected", language=language, n=fmt.count(report.rows_rejected, language)),
    }


__all__ = [
    "MAP_HEIGHT",
    "attribution",
    "audit_geometry",
    "change_colours",
    "change_style",
    "goal_colours",
    "goal_legend",
    "goal_style",
    "plan_geometry",
    "preview_geometry",
]
