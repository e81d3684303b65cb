"""Sites a plan must add so that every target place is covered (issue #15, ``cover_targets``).

A places file (:mod:`phusong.io.targets`) lists places that must have 5G,
each with a rule (:mod:`phusong.targets`): ``site`` — at least one 5G site
stands in the place (for a point: within
:data:`~phusong.targets.POINT_SITE_RADIUS_M`); ``served`` — the place has 5G
service (a point: its point is served; a polygon: at least ``min_share_pct``
of its area). :func:`phusong.plan.run_plan` with ``cover_targets=True``
calls :func:`required_sites` at the start of every round, on the places the
last audit judged not covered, and places one or more new sites for each:

``site`` rule
    One site at the place's centre (the point itself; for a polygon the point
    inside it that :func:`phusong.targets.judge_places` uses,
    :func:`shapely.point_on_surface`), or, when the centre lies in an excluded
    zone or too close to another site, at the nearest allowed point of the
    polygon (of the :data:`~phusong.targets.POINT_SITE_RADIUS_M` disc around a
    point), kept :data:`EDGE_MARGIN_M` inside it.
``served`` rule, point
    One site at the point, or at the nearest allowed point within
    :data:`SERVED_POINT_REACH_SHARE` of the new site's planning radius.
``served`` rule, polygon
    Sites on the part of the place without 5G (the audit's gaps inside the
    place, and any part outside the wards): one at a point inside the largest
    unserved piece (:func:`shapely.point_on_surface`), its planning disc taken
    off, and again until the unserved area left is at most
    ``100 − min_share_pct`` % of the place. The planning disc is exact for the
    disc and sector models (the new sites' wedges tile it); for the path-loss
    models it is the farthest reach of the model's own footprint
    (:func:`phusong.planning.propose.new_site_radius_m`), an upper bound: the
    re-audit judges, and later rounds add sites where it fell short.

Exclusion zones always hold. The minimum spacing to the operator's other
sites holds where the place leaves room; where it does not, the site goes
in anyway and the summary says the spacing was relaxed for it.

Whether a place ends up covered is never taken from this module: the
re-audit judges it. A place is given up, with a reason, when no allowed
position exists (``excluded``), when its site(s) did not make it covered
(``not_served``: a point or a ``site`` rule), or when its served share stopped
growing (``no_gain``); a place still not covered when the rounds run out is
reported as ``rounds`` (``budget`` in budget mode, one round).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.ops
from pyproj import CRS

from phusong.geo import equal_area_crs
from phusong.planning.candidates import existing_positions
from phusong.planning.newsite import (
    NewSite,
    audit_param,
    default_new_site,
    proposed_site_table,
)
from phusong.planning.propose import new_site_radius_m
from phusong.schema import WGS84
from phusong.targets import POINT_SITE_RADIUS_M

__all__ = [
    "COVERAGE_REASON",
    "EDGE_MARGIN_M",
    "MAX_SITES_PER_PLACE",
    "SERVED_POINT_REACH_SHARE",
    "TARGET_REASON_PREFIX",
    "UNCOVERED_REASONS",
    "RequiredSites",
    "TargetLedger",
    "place_table",
    "required_sites",
    "target_reason",
    "targets_summary",
    "with_required",
]

#: A forced site stays this far inside a polygon and outside an excluded zone [m].
EDGE_MARGIN_M = 1.0

#: A ``served`` point in an excluded zone: the site may move at most this share of its radius.
SERVED_POINT_REACH_SHARE = 0.5

#: Most sites placed for one place in one round (a guard, far above any real park).
MAX_SITES_PER_PLACE = 500

#: ``reason`` of a site the planner chose for population coverage.
COVERAGE_REASON = "coverage"

#: Start of the ``reason`` of a site placed for a target place (an identifier in
#: ``proposed_sites.csv``; the outputs translate it). i18n: identifier
TARGET_REASON_PREFIX = "target place "

#: Why a place is left uncovered (summary ``targets_uncovered_after[*].reason``).
UNCOVERED_REASONS = ("excluded", "not_served", "no_gain", "rounds", "budget", "not_asked")

#: Shares are compared with this slack [%].
_SHARE_EPS = 1e-6

#: Segments per quarter circle of the discs drawn around positions.
_QUAD_SEGS = 64


def target_reason(place_id: str, name: str) -> str:
    """Return the ``reason`` of a site placed for a target place: ``target place P001 (name)``."""
    name = str(name or "").strip()
    return f"{TARGET_REASON_PREFIX}{place_id}" + (f" ({name})" if name else "")


def place_table(result: Any) -> gpd.GeoDataFrame | None:
    """Return the judged target places of an audit (``targets.csv``'s table), or ``None``."""
    checks = getattr(result, "checks", None)
    places = getattr(checks, "places", None)
    return None if places is None else places.table


@dataclass
class TargetLedger:
    """What the rounds did for each target place.

    Attributes
    ----------
    attempts : dict
        ``place_id`` → ``{"round", "share_pct", "n_sites"}`` of its last attempt
        (served share [%] when the sites were placed).
    given_up : dict
        ``place_id`` → reason (:data:`UNCOVERED_REASONS`) and detail.
    sites : list of dict
        One entry per forced site: ``site_id`` (filled in at the end), ``order``
        within its round, ``round``, ``place_id``, ``name``, ``rule``,
        ``spacing_relaxed``.
    """

    attempts: dict[str, dict[str, Any]] = field(default_factory=dict)
    given_up: dict[str, dict[str, Any]] = field(default_factory=dict)
    sites: list[dict[str, Any]] = field(default_factory=list)

    def pending(self, result: Any) -> list[str]:
        """Return the places not covered in ``result`` and not given up."""
        table = place_table(result)
        if table is None:
            return []
        ids = table.loc[~table["covered"].astype(bool), "place_id"].astype(str)
        return [p for p in ids if p not in self.given_up]

    def review(self, result: Any, rnd: int) -> None:
        """Give up the places this round's sites did not help (see the module docstring)."""
        table = place_table(result)
        if table is None:
            return
        for r in table.itertuples(index=False):
            pid = str(r.place_id)
            tried = self.attempts.get(pid)
            if bool(r.covered) or tried is None or tried["round"] != rnd:
                continue
            share = float(r.served_share_pct)
            if r.rule == "site" or r.geometry_type == "point":
                self.given_up[pid] = {"reason": "not_served", "served_share_pct": share}
            elif share <= tried["share_pct"] + _SHARE_EPS:
                self.given_up[pid] = {"reason": "no_gain", "served_share_pct": share}


@dataclass(frozen=True)
class RequiredSites:
    """The sites one round places for target places.

    Attributes
    ----------
    sites : GeoDataFrame
        Cells as :func:`~phusong.planning.newsite.proposed_site_table` gives
        them (``NEW-0001``… in this round's order; ``covered_people_gain`` NaN:
        not estimated) plus ``reason`` (:func:`target_reason`), EPSG:4326.
    n_sites : int
        Sites placed.
    """

    sites: gpd.GeoDataFrame
    n_sites: int


@dataclass(frozen=True)
class _Geometry:
    """What constrains the positions, in the metric CRS."""

    crs: CRS
    zones: Any  # union of the excluded zones grown by EDGE_MARGIN_M, or None
    gaps: np.ndarray  # the audit's gap polygons
    wards: Any  # union of the wards
    radius_m: float
    min_spacing_m: float


def _zones_union(zones: gpd.GeoSeries | None, crs: CRS) -> Any:
    """Union of the excluded zones in ``crs``, grown by :data:`EDGE_MARGIN_M` (``None``: none)."""
    if zones is None or not len(zones):
        return None
    z = zones if zones.crs is not None else zones.set_crs(WGS84)
    return shapely.union_all(shapely.buffer(z.to_crs(crs).geometry.to_numpy(), EDGE_MARGIN_M))


def _minus(region: Any, other: Any) -> Any:
    """``region`` without ``other`` (``None``: nothing to take off)."""
    return region if other is None or other.is_empty else region.difference(other)


def _largest_piece(geom: Any) -> Any:
    """Return the largest polygon of a (multi)polygon or collection."""
    parts = [g for g in shapely.get_parts(geom) if shapely.get_type_id(g) in (3, 6)]
    return max(parts, key=lambda g: g.area) if parts else shapely.Polygon()


def _nearest_in(region: Any, centre: Any) -> Any:
    """Return ``centre`` if ``region`` holds it, else the point of ``region`` nearest to it."""
    if region.is_empty:
        return None
    if region.intersects(centre):
        return centre
    return shapely.ops.nearest_points(region, centre)[0]


def _spaced(taken: list[Any], spacing_m: float) -> Any:
    """Where a new site may not go: within the spacing (at least 1 m) of a taken position.

    The discs are polygons *around* the circles (vertices at ``r / cos(π/4q)``
    for ``q`` segments per quarter), so that every point outside them is at
    least the spacing away.
    """
    if not taken:
        return None
    radius = (max(spacing_m, 0.0) + EDGE_MARGIN_M) / math.cos(math.pi / (4 * _QUAD_SEGS))
    return shapely.union_all(
        shapely.buffer(np.asarray(taken, dtype=object), radius, quad_segs=_QUAD_SEGS)
    )


def _one_site(region: Any, centre: Any, geo: _Geometry, taken: list[Any]) -> tuple[Any, bool]:
    """One position in ``region`` near ``centre``: (point or None, spacing relaxed)."""
    free = _minus(region, geo.zones)
    if free.is_empty:
        return None, False
    pos = _nearest_in(_minus(free, _spaced(taken, geo.min_spacing_m)), centre)
    if pos is not None:
        return pos, False
    return _nearest_in(_minus(free, _spaced(taken, 0.0)), centre), True


def _unserved(geom: Any, geo: _Geometry) -> Any:
    """Return the part of a polygon place without 5G: the gaps in it and any part outside the wards."""
    hits = shapely.STRtree(geo.gaps).query(geom, predicate="intersects") if len(geo.gaps) else []
    inside = shapely.union_all(shapely.intersection(geo.gaps[hits], geom)) if len(hits) else None
    outside = _minus(geom, geo.wards)
    if inside is None or inside.is_empty:
        return outside
    return inside.union(outside)


def _served_polygon_sites(
    geom: Any, min_share_pct: float, geo: _Geometry, taken: list[Any]
) -> tuple[list[Any], bool]:
    """Positions on the unserved part of a polygon until at most ``100 − min_share`` % is left."""
    left = _unserved(geom, geo)
    allowed_m2 = (100.0 - min_share_pct) / 100.0 * geom.area
    free = _minus(geom, geo.zones)
    out: list[Any] = []
    relaxed = False
    while left.area > allowed_m2 * (1.0 - 1e-9) and len(out) < MAX_SITES_PER_PLACE:
        room = _minus(left.intersection(free), _spaced(taken + out, geo.min_spacing_m))
        if room.is_empty:
            room, relaxed = _minus(left.intersection(free), _spaced(taken + out, 0.0)), True
        if room.is_empty:  # the unserved part is excluded: the nearest allowed point of the place
            near = _minus(free, _spaced(taken + out, 0.0))
            pos = _nearest_in(near, shapely.point_on_surface(left)) if not near.is_empty else None
        else:
            pos = shapely.point_on_surface(_largest_piece(room))
        if pos is None or pos.is_empty:
            break
        smaller = _minus(left, pos.buffer(geo.radius_m, quad_segs=_QUAD_SEGS))
        if smaller.area >= left.area - 1.0:  # the site takes nothing off: stop
            break
        out.append(pos)
        left = smaller
    return out, relaxed


def _positions(
    place: Any, geom: Any, min_share_pct: float, geo: _Geometry, taken: list[Any]
) -> tuple[list[Any], bool]:
    """Positions for one place (see the module docstring): (points, spacing relaxed)."""
    point = shapely.get_type_id(geom) == 0
    centre = geom if point else shapely.point_on_surface(geom)
    if place.rule == "site":
        inner = geom.buffer(POINT_SITE_RADIUS_M - EDGE_MARGIN_M) if point else geom
        if not point and not geom.buffer(-EDGE_MARGIN_M).is_empty:
            inner = geom.buffer(-EDGE_MARGIN_M)
        pos, relaxed = _one_site(inner, centre, geo, taken)
        return ([pos] if pos is not None else []), relaxed
    if point:
        reach = geom.buffer(SERVED_POINT_REACH_SHARE * geo.radius_m)
        pos, relaxed = _one_site(reach, centre, geo, taken)
        return ([pos] if pos is not None else []), relaxed
    return _served_polygon_sites(geom, min_share_pct, geo, taken)


def _new_site(operator: str, new_site: NewSite | None) -> NewSite:
    """Return the configuration of the forced sites: the planner's (``new_site``) for ``operator``."""
    site = new_site or default_new_site(operator)
    return site if site.operator == operator else replace(site, operator=operator)


def _place_all(
    result: Any, ledger: TargetLedger, rnd: int, geo: _Geometry, taken: list[Any]
) -> tuple[list[tuple[float, float]], list[str]]:
    """Positions [m] and ``reason`` of every site this round places (updates ``ledger``)."""
    xy: list[tuple[float, float]] = []
    reasons: list[str] = []
    table = place_table(result)
    if table is None:
        return xy, reasons
    rows = table[table["place_id"].astype(str).isin(set(ledger.pending(result)))]
    if not len(rows):
        return xy, reasons
    min_share = float(result.checks.places.min_share_pct)
    geoms = gpd.GeoSeries(rows.geometry, crs=table.crs).to_crs(geo.crs)
    for place, geom in zip(rows.itertuples(index=False), geoms, strict=True):
        pid = str(place.place_id)
        positions, relaxed = _positions(place, geom, min_share, geo, taken)
        share = float(place.served_share_pct)
        if not positions:
            ledger.given_up[pid] = {"reason": "excluded", "served_share_pct": share}
            continue
        ledger.attempts[pid] = {"round": rnd, "share_pct": share, "n_sites": len(positions)}
        for p in positions:
            xy.append((p.x, p.y))
            reasons.append(target_reason(pid, place.name))
            ledger.sites.append({"round": rnd, "order": len(xy), "place_id": pid,
                                 "name": str(place.name), "rule": str(place.rule),
                                 "spacing_relaxed": bool(relaxed)})  # fmt: skip
        taken.extend(positions)
    return xy, reasons


def required_sites(
    result: Any,
    ledger: TargetLedger,
    rnd: int,
    *,
    operator: str,
    zones: gpd.GeoSeries | None,
    min_spacing_m: float,
    new_site: NewSite | None = None,
) -> RequiredSites:
    """Place new sites for the target places ``result`` judged not covered.

    Parameters
    ----------
    result : AuditResult
        The audit of the network so far (existing and already proposed
        sites), with target places (``run_audit(targets=…)``).
    ledger : TargetLedger
        What earlier rounds did (updated: attempts, given-up places, sites).
    rnd : int
        The round (1, 2, …).
    operator : str
        Operator of the new sites.
    zones : GeoSeries or None
        Excluded zones (no CRS: EPSG:4326).
    min_spacing_m : float
        Minimum distance to the operator's other sites [m] (relaxed where the
        place leaves no room; recorded).
    new_site : NewSite, optional
        Configuration of a new site (default
        :func:`~phusong.planning.newsite.default_new_site`).

    Returns
    -------
    RequiredSites
    """
    site = _new_site(operator, new_site)
    params = getattr(result, "params", None)
    model = str(audit_param(params, "model"))
    crs = equal_area_crs(result.ward_table)
    geo = _Geometry(
        crs=crs,
        zones=_zones_union(zones, crs),
        gaps=np.asarray(result.gaps.to_crs(crs).geometry.to_numpy(), dtype=object),
        wards=shapely.union_all(result.ward_table.to_crs(crs).geometry.to_numpy()),
        radius_m=new_site_radius_m(result, site),  # the planner's: the model's own reach
        min_spacing_m=float(min_spacing_m),
    )
    taken = list(shapely.points(existing_positions(getattr(result, "sites", None), operator, crs)))
    xy, reasons = _place_all(result, ledger, rnd, geo, taken)
    arr = np.asarray(xy, dtype="float64").reshape(-1, 2)
    sites = proposed_site_table(
        arr,
        np.arange(1, len(arr) + 1),
        np.full(len(arr), np.nan),
        site,
        geo.radius_m,
        crs,
        model,
        audit_param(params, "sector_edge_db"),
    )
    sites["reason"] = pd.array(
        np.asarray(reasons, dtype=object)[np.repeat(np.arange(len(arr)), max(site.sectors, 1))],
        dtype="string",
    )
    return RequiredSites(sites=sites, n_sites=len(arr))


def with_required(plan: Any, required: RequiredSites | None) -> Any:
    """One round's proposal: the sites for target places first, then the planner's.

    The planner's sites get ``reason`` :data:`COVERAGE_REASON` and follow the
    forced ones in ``order`` (renumbered ``NEW-…``), its curve is shifted by
    the forced sites, and ``summary["n_sites"]`` counts both
    (``summary["n_target_sites"]``: the forced ones).
    """
    sites = plan.sites.assign(reason=pd.array([COVERAGE_REASON] * len(plan.sites), "string"))
    k = 0 if required is None else required.n_sites
    summary = {**plan.summary, "n_target_sites": k}
    if required is None or k == 0:
        return replace(plan, sites=sites, summary=summary)
    order = sites["order"].to_numpy("int64") + k
    sector = sites["cell_id"].astype(str).str.rsplit("-", n=1).str[-1].to_numpy()
    site_id = np.array([f"NEW-{o:04d}" for o in order], dtype=object)
    sites["order"] = order
    sites["site_id"] = pd.array(site_id, dtype="string")
    sites["cell_id"] = pd.array(
        [f"{a}-{b}" for a, b in zip(site_id, sector, strict=True)], "string"
    )
    both = gpd.GeoDataFrame(
        pd.concat([required.sites[list(sites.columns)], sites], ignore_index=True),
        geometry="geometry",
        crs=sites.crs,
    )
    summary["n_sites"] = int(plan.summary["n_sites"]) + k
    curve = plan.curve.assign(n_sites=plan.curve["n_sites"] + k)
    return replace(plan, sites=both, curve=curve, summary=summary)


def _uncovered_entry(r: Any, reason: str) -> dict[str, Any]:
    """One place of ``targets_uncovered_after``."""
    return {
        "place_id": str(r.place_id),
        "name": str(r.name),
        "kind": str(r.kind),
        "rule": str(r.rule),
        "served_share_pct": float(r.served_share_pct),
        "reason": reason,
    }


def targets_summary(
    before: Any,
    after: Any,
    ledger: TargetLedger | None,
    *,
    mode: str,
    site_ids: list[str],
) -> dict[str, Any]:
    """Return the plan summary's figures on target places (JSON-able).

    Parameters
    ----------
    before, after : AuditResult or None
        The audit of the existing network and the last re-audit.
    ledger : TargetLedger or None
        What the rounds did for the places (``None``: ``cover_targets`` off).
    mode : {"target", "budget"}
        The plan's mode (a place left when the rounds ran out: ``rounds`` or
        ``budget``).
    site_ids : list of str
        Ids of the sites placed for target places, in the order placed.

    Returns
    -------
    dict
        ``cover_targets``, ``n_target_places``, ``targets_covered_before``,
        ``targets_covered_after`` (``None`` without places or re-audit),
        ``targets_uncovered_after`` (each place not covered after: ``place_id``,
        ``name``, ``kind``, ``rule``, ``served_share_pct`` [%] and ``reason``,
        one of :data:`UNCOVERED_REASONS`), ``n_target_sites`` and
        ``target_sites`` (``site_id``, ``round``, ``place_id``, ``name``,
        ``rule``, ``spacing_relaxed``).
    """
    b = place_table(before)
    a = place_table(after) if after is not None else None
    uncovered = []
    if a is not None:
        for r in a[~a["covered"].astype(bool)].itertuples(index=False):
            reason = "not_asked"
            if ledger is not None:
                given = ledger.given_up.get(str(r.place_id))
                reason = given["reason"] if given else ("budget" if mode == "budget" else "rounds")
            uncovered.append(_uncovered_entry(r, reason))
    placed = [] if ledger is None else ledger.sites
    return {
        "cover_targets": ledger is not None,
        "n_target_places": None if b is None else len(b),
        "targets_covered_before": None if b is None else int(b["covered"].sum()),
        "targets_covered_after": None if a is None else int(a["covered"].sum()),
        "targets_uncovered_after": None if a is None else uncovered,
        "n_target_sites": len(placed),
        "target_sites": [
            {"site_id": sid, **{k: v for k, v in entry.items() if k != "order"}}
            for sid, entry in zip(site_ids, placed, strict=True)
        ],
    }
