"""Exact per-ward coverage from disc or sector footprints (the vector route).

:func:`ward_coverage_vector` answers, for every ward and operator, how much of
the ward's area and of its people lie inside at least one footprint, and how
many distinct *sites* serve each part (0, 1, 2–4, 5+), plus the uncovered
parts of each ward as polygons.

Two exact methods
-----------------
*Arcs* (``exact_method="arcs"``; the default for both models with the
uniform population when every site has its cells at one position). The
areas of ``L_k ∩ ward`` (``L_k`` = covered by at least ``k`` sites,
``k = 1, 2, 5``) are computed analytically for true circles by Green's
theorem on the footprints' boundaries and the ward edges, one call for "any"
and one per operator: for discs on circular arcs
(:func:`phusong.vector.arcs.disc_level_areas`, one disc per site and position, the
largest radius of its cells), for sectors on circular arcs and radial
segments (:func:`phusong.vector.wedges.sector_level_areas`, one footprint per site
and position, the union of its cells' true circular wedges). The gap
polygons are display geometry only: each ward minus the union of the
area-corrected ``4 quad_segs``-gons (discs, or wedges with the cells' real
azimuths and widths) that meet it, built only for wards whose uncovered area
can hold a reported gap; their areas differ from the table's exact figures
by the polygon error (~1e-7 to 1e-6 of a ward's area).

*Polygons* (``exact_method="polygons"``; always for population rasters, and
for sites with cells at several positions). Counting how many footprints
cover each point is an overlay (arrangement) problem whose cost explodes in
dense networks: where hundreds of discs overlap, the full arrangement has a
face for every combination. The redundancy classes only need the count
*capped at 5*, so the work is confined with an adaptive quadtree, all in
vectorised numpy:

1. Each (ward, operator) starts as one box, the ward's bounding box, with the
   footprints whose envelopes meet it (one :class:`shapely.STRtree` query).
2. For every (box, footprint) pair two conservative tests are made from the
   footprint's parameters alone, without building polygons: *misses* (the
   box lies outside the footprint's circumcircle or envelope) and *contains*
   (all four corners lie in the circular sector inscribed in the polygon, and
   the polygon is convex). Distinct sites that contain the box are counted
   (``c``), other sites that touch it are *partial* (``p``).
3. A box with ``c ≥ 5`` is all "5+"; a box with ``p = 0`` has exactly ``c``
   servers everywhere; a box with few partial sites (or a tiny box) is solved
   exactly with shapely; any other box is split in four and the children
   inherit only the partial pairs. Boxes outside the ward are dropped.
4. In a solved box the arrangement is built exactly: the boundaries of the
   partial footprints clipped to the box, the box outline and (on a ward
   edge) the ward boundary are noded together and polygonized into faces,
   one ``union_all``/``polygonize`` call for all boxes at once. Each face's
   count is the number of distinct sites containing its representative point
   plus the box's ``c``; faces outside the ward are dropped.
5. Areas of uniform boxes (clipped to the ward only on ward edges) and faces
   are summed per ward and count class in the equal-area CRS.

Nothing is sampled or rasterised: the result equals the overlay of the
footprint polygons up to floating-point rounding (tests compare it with
geopandas ``overlay`` and a brute-force arrangement). Footprint polygons are
area-corrected 128-gons (:mod:`phusong.vector.footprints`), built only for cells that
reach a solved box. The two methods agree to the polygon error (a few 1e-6 of
a ward's area with 128-gons, about 1e-7 with 512-gons).

Performance
-----------
``benchmarks/bench_disc_coverage.py`` (20,000 synthetic disc sites, 2-CPU
machine, load average about 1.5): the arcs give the "any" coverage of the
126 wards in about 0.1–0.2 s against 1.3 s for geopandas' buffer →
union_all → overlay → groupby at ``quad_segs=64`` (max difference 1.2e-6
points; 0.8 s and 4.3e-2 points at geopandas' default ``quad_segs=16``), and
the full table (any + 3 operators, redundancy, gaps) in about 1 s against
about 20 s for the polygon route. Sectors: ``run_audit(sample, model="sector")``
on the shipped synthetic sample (2,382 sites, 7,146 cells of 65°, 126 wards)
takes about 2.4 s with the arcs against 228 s with the polygon route (max
difference of the ward percentages 1.5e-4 points, which falls to 2e-6 points
with 512-gon polygons: it is the polygon error); the full table for 20,000
synthetic 3-sector sites takes about 16 s.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from phusong.coverage_table import ward_coverage_table
from phusong.errors import ConfigError, DataError
from phusong.geo import equal_area_crs
from phusong.io.wards import repair_polygons
from phusong.schema import ANY_OPERATOR, WGS84
from phusong.vector.arcs import collapse_sites, disc_level_areas
from phusong.vector.footprints import (
    DEFAULT_QUAD_SEGS,
    build_fans,
    fan_parameters,
    footprint_azimuth_width,
    footprint_radius,
    projected_xy,
)
from phusong.vector.wedges import sector_level_areas

log = logging.getLogger(__name__)

#: Highest server count that is told apart (the "5+" class).
MAX_LEVEL = 5

#: Absolute levels whose areas give the redundancy classes 0, 1, 2–4, 5+.
_LEVELS = (1, 2, 5)

#: A box is solved with shapely once it has at most this many partial sites
#: (8 was fastest of 8/16/32 on the 20,000-site benchmark).
_LEAF_SITES = 8

#: Boxes are not split below this width [m]; they are solved with shapely.
_MIN_BOX_M = 2.0

MODELS = ("disc", "sector")


@dataclass(frozen=True)
class VectorCoverage:
    """Result of :func:`ward_coverage_vector`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per ward × operator (``"any"`` first), columns
        :data:`phusong.schema.WARD_COVERAGE_COLUMNS`.
    gaps : geopandas.GeoDataFrame
        Uncovered parts ("any" operator), one row per polygon part, EPSG:4326:
        ``ward_id``, ``name``, ``area_km2`` [km²], ``population`` [people].
    population_source : str
        ``"raster:<file name>"`` or ``"uniform:official"``.
    model : str
        Footprint model used (``"disc"`` or ``"sector"``).
    crs : pyproj.CRS
        Equal-area CRS in which areas were measured.
    """

    table: pd.DataFrame
    gaps: gpd.GeoDataFrame
    population_source: str
    model: str
    crs: CRS


# --------------------------------------------------------------------------
# vectorised helpers
# --------------------------------------------------------------------------


def _segmented_reduce(
    keys: np.ndarray, values: np.ndarray, op: Callable[[np.ndarray, np.ndarray], np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Reduce ``values`` within runs of equal ``keys`` by a pairwise tree.

    ``keys`` must be sorted. Each round combines elements 0+1, 2+3, … of every
    run with one vectorised call of ``op`` (arrays of left and right operands),
    so a run of ``n`` elements takes ``ceil(log2 n)`` rounds.

    Returns
    -------
    (ndarray, ndarray)
        The distinct keys and one reduced value per key (``values``' trailing
        shape is kept).
    """
    keys = np.asarray(keys)
    while True:
        n = len(keys)
        if n == 0:
            return keys, values
        first = np.ones(n, dtype=bool)
        first[1:] = keys[1:] != keys[:-1]
        run_start = np.maximum.accumulate(np.where(first, np.arange(n), 0))
        rank = np.arange(n) - run_start
        has_next = np.zeros(n, dtype=bool)
        has_next[:-1] = keys[1:] == keys[:-1]
        left = np.flatnonzero((rank % 2 == 0) & has_next)
        if left.size == 0:
            return keys, values
        merged = op(values[left], values[left + 1])
        values = values.copy()
        values[left] = merged
        keep = rank % 2 == 0
        keys, values = keys[keep], values[keep]


def _union_by_key(keys: np.ndarray, geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Union geometries per key (vectorised pairwise tree)."""
    order = np.argsort(keys, kind="stable")
    return _segmented_reduce(keys[order], geoms[order], shapely.union)


# --------------------------------------------------------------------------
# inputs
# --------------------------------------------------------------------------


def _operator_labels(sites: gpd.GeoDataFrame) -> np.ndarray:
    if "operator" not in sites.columns:
        return np.full(len(sites), "unknown", dtype=object)
    ops = sites["operator"].astype("string").str.strip()
    ops = ops.mask(ops.isna() | (ops == ""), "unknown")
    return ops.to_numpy(dtype=object)


def _site_labels(sites: gpd.GeoDataFrame) -> np.ndarray:
    """Site key per cell: ``site_id``, or the cell's own id when it has none."""
    n = len(sites)
    own = (
        sites["cell_id"].astype("string").to_numpy(dtype=object, na_value=None)
        if "cell_id" in sites.columns
        else np.array([f"row{i}" for i in range(n)], dtype=object)
    )
    own = np.array([f"cell:{v}" if v is not None else f"row:{i}" for i, v in enumerate(own)])
    if "site_id" not in sites.columns:
        return own
    sid = sites["site_id"].astype("string")
    sid = sid.mask(sid.str.strip() == "")
    return np.where(sid.isna().to_numpy(), own, "site:" + sid.fillna("").to_numpy(dtype=object))


def _footprint_params(
    sites: gpd.GeoDataFrame, model: str, radius_m, crs: CRS, quad_segs: int
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    radius = footprint_radius(sites, radius_m)
    az, width = footprint_azimuth_width(sites, model)
    x, y, _ = projected_xy(sites, crs)
    params = fan_parameters(radius, az, width, quad_segs)
    return x, y, params


# --------------------------------------------------------------------------
# the quadtree
# --------------------------------------------------------------------------


def _corner_inside(
    px: np.ndarray, py: np.ndarray, cx: np.ndarray, cy: np.ndarray, r_in, start, width, full
) -> np.ndarray:
    """Whether points lie in the circular sector inscribed in each polygon."""
    dx, dy = px - cx, py - cy
    inside = dx * dx + dy * dy <= r_in * r_in
    bearing = np.mod(np.arctan2(dx, dy) - start, 2 * np.pi)
    return inside & (full | (bearing <= width))


def _classify(
    box: np.ndarray, cx: np.ndarray, cy: np.ndarray, p: dict[str, np.ndarray], env: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Conservative (touches, contains) tests for (box, footprint) pairs.

    ``touches`` is False only when the footprint surely misses the box;
    ``contains`` is True only when it surely contains the whole box.
    """
    x0, y0, x1, y1 = box.T
    touches = (env[:, 0] < x1) & (env[:, 2] > x0) & (env[:, 1] < y1) & (env[:, 3] > y0)
    nx = np.clip(cx, x0, x1) - cx
    ny = np.clip(cy, y0, y1) - cy
    touches &= nx * nx + ny * ny < p["r_out_m"] ** 2
    convex = p["full"] | (p["width_rad"] <= np.pi)
    contains = touches & convex
    for qx, qy in ((x0, y0), (x1, y0), (x0, y1), (x1, y1)):
        contains &= _corner_inside(
            qx, qy, cx, cy, p["r_in_m"], p["start_rad"], p["width_rad"], p["full"]
        )
    return touches, contains


@dataclass
class _Boxes:
    """Results of the quadtree: uniform boxes and boxes to solve exactly."""

    # uniform boxes: node id of the (ward, group), box bounds, inside flag, server count
    u_node: np.ndarray
    u_box: np.ndarray
    u_inside: np.ndarray
    u_count: np.ndarray
    # leaf boxes (solved exactly)
    l_node: np.ndarray
    l_box: np.ndarray
    l_inside: np.ndarray
    l_count: np.ndarray
    # partial (leaf, cell) pairs
    lp_leaf: np.ndarray
    lp_cell: np.ndarray


def _quadtree(
    ward_geoms: np.ndarray,
    node_ward: np.ndarray,
    pair_node: np.ndarray,
    pair_cell: np.ndarray,
    cx: np.ndarray,
    cy: np.ndarray,
    params: dict[str, np.ndarray],
    env: np.ndarray,
    site_code: np.ndarray,
) -> _Boxes:
    n_sites = int(site_code.max()) + 1 if site_code.size else 1
    bounds = shapely.bounds(ward_geoms)
    box = bounds[node_ward].copy()
    node = np.arange(len(node_ward))  # (ward, group) id of each box
    inside = np.zeros(len(node), dtype=bool)
    count = np.zeros(len(node), dtype="int64")
    pb, pc = pair_node.copy(), pair_cell.copy()  # pairs: box index, cell index
    out: dict[str, list[np.ndarray]] = {
        k: [] for k in ("u_node", "u_box", "u_inside", "u_count", "l_node", "l_box")
    }
    out.update({k: [] for k in ("l_inside", "l_count", "lp_leaf", "lp_cell")})
    n_leaves = 0
    while len(node):
        n_box = len(node)
        sp = {k: v[pc] for k, v in params.items()}
        touches, contains = _classify(box[pb], cx[pc], cy[pc], sp, env[pc])
        # Distinct container sites per box.
        ckey = np.unique(pb[contains] * n_sites + site_code[pc[contains]])
        count = count + np.bincount(ckey // n_sites, minlength=n_box)
        partial = touches & ~contains
        pkey = pb * n_sites + site_code[pc]
        partial &= ~np.isin(pkey, ckey)
        pb, pc, pkey = pb[partial], pc[partial], pkey[partial]
        n_partial = np.bincount(np.unique(pkey) // n_sites, minlength=n_box)
        width = np.minimum(box[:, 2] - box[:, 0], box[:, 3] - box[:, 1])
        uniform = (count >= MAX_LEVEL) | (n_partial == 0)
        leaf = ~uniform & ((n_partial <= _LEAF_SITES) | (width <= _MIN_BOX_M))
        split = ~uniform & ~leaf
        for key, arr in (("u_node", node), ("u_box", box), ("u_inside", inside)):
            out[key].append(arr[uniform])
        out["u_count"].append(np.minimum(count[uniform], MAX_LEVEL))
        leaf_id = np.full(n_box, -1)
        leaf_id[leaf] = n_leaves + np.arange(int(leaf.sum()))
        n_leaves += int(leaf.sum())
        for key, arr in (("l_node", node), ("l_box", box), ("l_inside", inside)):
            out[key].append(arr[leaf])
        out["l_count"].append(count[leaf])
        in_leaf = leaf[pb]
        out["lp_leaf"].append(leaf_id[pb[in_leaf]])
        out["lp_cell"].append(pc[in_leaf])
        # Split the rest into four children.
        parent = np.flatnonzero(split)
        if parent.size == 0:
            break
        x0, y0, x1, y1 = box[parent].T
        xm, ym = (x0 + x1) / 2, (y0 + y1) / 2
        child_box = np.concatenate(
            [
                np.column_stack([x0, y0, xm, ym]),
                np.column_stack([xm, y0, x1, ym]),
                np.column_stack([x0, ym, xm, y1]),
                np.column_stack([xm, ym, x1, y1]),
            ]
        )
        child_parent = np.tile(parent, 4)
        child_inside = inside[child_parent]
        keep = np.ones(len(child_parent), dtype=bool)
        edge = np.flatnonzero(~child_inside)
        if edge.size:
            wg = ward_geoms[node_ward[node[child_parent[edge]]]]
            rect = shapely.box(*child_box[edge].T)
            keep[edge] = shapely.intersects(wg, rect)
            child_inside[edge] = shapely.contains_properly(wg, rect)
        child_parent, child_box, child_inside = (
            child_parent[keep],
            child_box[keep],
            child_inside[keep],
        )
        # Pairs of each child: the parent's partial pairs.
        order = np.argsort(pb, kind="stable")
        pb, pc = pb[order], pc[order]
        starts = np.searchsorted(pb, np.arange(n_box))
        ends = np.searchsorted(pb, np.arange(n_box), side="right")
        lengths = (ends - starts)[child_parent]
        child_of_pair = np.repeat(np.arange(len(child_parent)), lengths)
        offs = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        src = np.repeat(starts[child_parent], lengths) + offs
        pb, pc = child_of_pair, pc[src]
        node, box, inside = node[child_parent], child_box, child_inside
        count = count[child_parent]
    cat = {k: (np.concatenate(v) if v else np.empty(0)) for k, v in out.items()}
    return _Boxes(
        u_node=cat["u_node"].astype("int64"),
        u_box=cat["u_box"].reshape(-1, 4),
        u_inside=cat["u_inside"].astype(bool),
        u_count=cat["u_count"].astype("int64"),
        l_node=cat["l_node"].astype("int64"),
        l_box=cat["l_box"].reshape(-1, 4),
        l_inside=cat["l_inside"].astype(bool),
        l_count=cat["l_count"].astype("int64"),
        lp_leaf=cat["lp_leaf"].astype("int64"),
        lp_cell=cat["lp_cell"].astype("int64"),
    )


def _solve_leaves(
    boxes: _Boxes,
    polys: np.ndarray,
    site_code: np.ndarray,
    ward_geoms: np.ndarray,
    node_ward: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Faces of the footprint arrangement inside every solved box, with their server count.

    In each box the boundaries of the partial footprints (clipped to the box),
    the box's outline and, for boxes on a ward edge, the ward's boundary are
    noded together (one ``union_all`` per box, vectorised over boxes) and
    polygonized into faces. A face's count is the number of distinct sites
    whose cells contain its representative point, plus the box's containers.

    Returns
    -------
    (ndarray, ndarray, ndarray)
        Leaf index, face polygon (inside the ward) and server count capped at
        :data:`MAX_LEVEL`, one entry per face.
    """
    n_leaf = len(boxes.l_node)
    if n_leaf == 0:
        return np.empty(0, "int64"), np.empty(0, object), np.empty(0, "int64")
    rects = shapely.box(*boxes.l_box.T)
    leaf, cell = boxes.lp_leaf, boxes.lp_cell
    lines = shapely.boundary(shapely.intersection(polys[cell], rects[leaf]))
    edge = np.flatnonzero(~boxes.l_inside)
    wards_of_edge = ward_geoms[node_ward[boxes.l_node[edge]]]
    ward_lines = shapely.intersection(shapely.boundary(wards_of_edge), rects[edge])
    keys = np.concatenate([leaf, np.arange(n_leaf), edge])
    geoms = np.concatenate([lines, shapely.boundary(rects), ward_lines])
    order = np.argsort(keys, kind="stable")
    keys, geoms = keys[order], geoms[order]
    # Pad to a 2-D array (one row per leaf) and node all lines of a row at once.
    starts = np.searchsorted(keys, np.arange(n_leaf))
    col = np.arange(len(keys)) - starts[keys]
    grid = np.full((n_leaf, int(col.max()) + 1), None, dtype=object)
    grid[keys, col] = geoms
    noded = shapely.union_all(grid, axis=1)
    faces, face_leaf = shapely.get_parts(shapely.polygonize(noded[:, None]), return_index=True)
    faces = np.asarray(faces, dtype=object)
    pts = shapely.point_on_surface(faces)
    px, py = shapely.get_x(pts), shapely.get_y(pts)
    # Keep faces inside the ward (only boxes on a ward edge can have others).
    keep = np.ones(len(faces), dtype=bool)
    out_edge = ~boxes.l_inside[face_leaf]
    if out_edge.any():
        sel = np.flatnonzero(out_edge)
        wg = ward_geoms[node_ward[boxes.l_node[face_leaf[sel]]]]
        keep[sel] = shapely.contains_xy(wg, px[sel], py[sel])
    faces, face_leaf, px, py = faces[keep], face_leaf[keep], px[keep], py[keep]
    # Count distinct sites containing each face's representative point.
    order = np.argsort(leaf, kind="stable")
    leaf_s, cell_s = leaf[order], cell[order]
    lo = np.searchsorted(leaf_s, face_leaf)
    hi = np.searchsorted(leaf_s, face_leaf, side="right")
    n_pairs = hi - lo
    pair_face = np.repeat(np.arange(len(faces)), n_pairs)
    offs = np.arange(n_pairs.sum()) - np.repeat(np.cumsum(n_pairs) - n_pairs, n_pairs)
    pair_cell = cell_s[np.repeat(lo, n_pairs) + offs]
    inside = shapely.contains_xy(polys[pair_cell], px[pair_face], py[pair_face])
    n_sites = int(site_code.max()) + 1
    uk = np.unique(pair_face[inside] * n_sites + site_code[pair_cell[inside]])
    count = np.bincount(uk // n_sites, minlength=len(faces)) + boxes.l_count[face_leaf]
    return face_leaf, faces, np.minimum(count, MAX_LEVEL)


# --------------------------------------------------------------------------
# the public function
# --------------------------------------------------------------------------


@dataclass
class _Levels:
    """Per (ward, group) level areas and people, plus the "any" gap parts."""

    level_area: dict[int, np.ndarray]
    level_pop: dict[int, np.ndarray]
    pop: np.ndarray
    source: str
    part_geom: np.ndarray
    part_ward: np.ndarray
    part_area: np.ndarray
    gap_pop: np.ndarray


def _uniform_population(
    wards: gpd.GeoDataFrame, ward_area: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Official population per ward (NaN -> 0, with a warning) and density [people/m²]."""
    official = pd.to_numeric(wards["population"], errors="coerce").to_numpy(dtype="float64")
    if np.isnan(official).any():
        log.warning(
            "%d wards have no population; counted as 0 people", int(np.isnan(official).sum())
        )
    pop = np.nan_to_num(official)
    density = np.divide(pop, ward_area, out=np.zeros(len(pop)), where=ward_area > 0)
    return pop, density


EXACT_METHODS = ("auto", "arcs", "polygons")


def _use_arcs(exact_method: str, model: str, population_raster, sites, radius_m, crs) -> bool:
    """Whether the analytic arc route applies (see ``exact_method``)."""
    if exact_method not in EXACT_METHODS:
        raise ConfigError(
            f"exact_method={exact_method!r} is not known; valid: {', '.join(EXACT_METHODS)}"
        )
    if exact_method == "polygons":
        return False
    fits = model in MODELS and population_raster is None
    if exact_method == "arcs":
        if not fits:
            raise ConfigError(
                "exact_method='arcs' needs the uniform population (no population_raster); "
                "use exact_method='polygons' (or 'auto') with a population raster."
            )
        return True
    if not fits or len(sites) == 0:
        return fits
    # One site at several positions: the arcs count its discs separately, the polygon
    # route counts the site once; keep the polygon route's meaning.
    x, y, _ = projected_xy(sites, crs)
    frame = pd.DataFrame({"site": _site_labels(sites), "x": x, "y": y})
    spread = frame.groupby("site", sort=False)[["x", "y"]].nunique().max(axis=1)
    if (spread > 1).any():
        log.info(
            "%d sites have cells at different positions; using the polygon route",
            int((spread > 1).sum()),
        )
        return False
    return True


def _levels_arcs(
    wards: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    ops: np.ndarray,
    groups: list[str],
    ward_geoms: np.ndarray,
    ward_area: np.ndarray,
    model: str,
    radius_m,
    crs: CRS,
    quad_segs: int,
    population_raster,
    min_gap_area_m2: float,
) -> _Levels:
    """Level areas by exact arc integrals (:mod:`phusong.vector.arcs`, :mod:`phusong.vector.wedges`).

    One call per group ("any", then each operator) on the group's cells: for
    discs :func:`phusong.vector.arcs.disc_level_areas` with one disc per site and
    position (largest radius), for sectors
    :func:`phusong.vector.wedges.sector_level_areas` with one footprint (the union of
    the cells' wedges) per site and position. Gaps are ``ward − ⋃ footprints``
    with the footprints drawn as area-corrected ``4 quad_segs``-gons (wedges
    with their real azimuths and widths), computed only for wards whose
    analytic uncovered area can hold a part of at least ``min_gap_area_m2``:
    they are display geometry, and their areas differ from the table's exact
    figures by the polygon error.
    """
    n_wards, n_groups = len(ward_geoms), len(groups)
    level_area = {k: np.zeros(n_wards * n_groups) for k in _LEVELS}
    if len(sites):
        radius = footprint_radius(sites, radius_m)
        az, width = footprint_azimuth_width(sites, model)
        x, y, _ = projected_xy(sites, crs)
        site = _site_labels(sites)
    for g, name in enumerate(groups):
        if not len(sites):
            break
        sel = np.ones(len(sites), dtype=bool) if name == ANY_OPERATOR else ops == name
        if not sel.any():
            continue
        if model == "disc":
            gx, gy, gr = collapse_sites(x[sel], y[sel], radius[sel], site[sel])
            areas = disc_level_areas(gx, gy, gr, ward_geoms, max_level=MAX_LEVEL)
        else:
            areas = sector_level_areas(
                site[sel], x[sel], y[sel], radius[sel], az[sel], width[sel], ward_geoms,
                max_level=MAX_LEVEL,
            )  # fmt: skip
        for k in _LEVELS:
            level_area[k][g::n_groups] = np.clip(areas[:, k - 1], 0.0, ward_area)
    pop, density = _uniform_population(wards, ward_area)
    node_ward = np.repeat(np.arange(n_wards), n_groups)
    level_pop = {k: level_area[k] * density[node_ward] for k in _LEVELS}

    # Gaps ("any"): only wards whose uncovered area can hold a reported part.
    uncovered = ward_area - level_area[1][::n_groups]
    need = np.flatnonzero((uncovered > max(min_gap_area_m2, 0.0)) | (
        (min_gap_area_m2 <= 0) & (uncovered > 1e-9 * ward_area)
    ))  # fmt: skip
    gaps = ward_geoms[need].copy()
    if need.size and len(sites):
        if model == "disc":
            gx, gy, gr = collapse_sites(x, y, radius, site)
            params = fan_parameters(
                gr, np.full(len(gr), np.nan), np.full(len(gr), 360.0), quad_segs
            )
        else:
            gx, gy = x, y
            params = fan_parameters(radius, az, width, quad_segs)
        gaps = _minus_footprints(gaps, gx, gy, params)
    part_geom, part_ward, part_area = _gap_parts(gaps, need, min_gap_area_m2)
    return _Levels(
        level_area, level_pop, pop, "uniform:official", part_geom, part_ward, part_area,
        part_area * density[part_ward],
    )  # fmt: skip


def _minus_footprints(
    gaps: np.ndarray, x: np.ndarray, y: np.ndarray, params: dict[str, np.ndarray]
) -> np.ndarray:
    """Each of ``gaps`` minus the footprint polygons (:func:`fan_parameters` at ``x, y``) it meets."""
    big = params["r_out_m"]
    envelopes = shapely.box(x - big, y - big, x + big, y + big)
    w_i, d_i = shapely.STRtree(envelopes).query(gaps)
    used = np.unique(d_i)
    fans = np.full(len(x), None, dtype=object)
    fans[used] = build_fans(x[used], y[used], {k: v[used] for k, v in params.items()})
    hit = shapely.intersects(gaps[w_i], fans[d_i])
    w_i, d_i = w_i[hit], d_i[hit]
    if w_i.size:
        keys, unions = _union_by_key(w_i, fans[d_i])
        gaps[keys] = shapely.difference(gaps[keys], unions)
    log.debug("gaps: %d wards, %d (ward, footprint) pairs", len(gaps), w_i.size)
    return gaps


def _gap_parts(
    gaps: np.ndarray, ward_of: np.ndarray, min_gap_area_m2: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split gap geometries into the reported parts: polygonal, of at least ``min_gap_area_m2``.

    Parameters
    ----------
    gaps : ndarray of shapely geometries
        Uncovered part of each ward in ``ward_of`` (any geometry type).
    ward_of : ndarray of int
        Ward position of each entry of ``gaps``.
    min_gap_area_m2 : float
        Smallest reported part [m²]; parts of zero area are never reported.

    Returns
    -------
    (ndarray, ndarray, ndarray)
        Part geometries, their ward positions (int64) and areas [m²].
    """
    part_geom, part_idx = shapely.get_parts(gaps, return_index=True)
    part_geom = np.asarray(part_geom, dtype=object)
    part_ward = ward_of[part_idx].astype("int64") if len(ward_of) else np.empty(0, dtype="int64")
    polygonal = np.isin(shapely.get_type_id(part_geom), (3, 6))
    part_area = shapely.area(part_geom)
    keep = polygonal & (part_area >= min_gap_area_m2) & (part_area > 0)
    return part_geom[keep], part_ward[keep], part_area[keep]


def _levels_polygons(
    wards: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    ops: np.ndarray,
    groups: list[str],
    ward_geoms: np.ndarray,
    ward_area: np.ndarray,
    model: str,
    radius_m,
    crs: CRS,
    quad_segs: int,
    population_raster,
    min_gap_area_m2: float,
) -> _Levels:
    """Level areas, people and gaps by the quadtree + polygon arrangement."""
    n_wards = len(ward_geoms)
    n_groups = len(groups)
    if len(sites):
        cx, cy, params = _footprint_params(sites, model, radius_m, crs, quad_segs)
        site_code = pd.factorize(_site_labels(sites))[0].astype("int64")
        r = params["r_out_m"]
        env = np.column_stack([cx - r, cy - r, cx + r, cy + r])
        tree = shapely.STRtree(shapely.box(*env.T))
        w_idx, c_idx = tree.query(shapely.box(*shapely.bounds(ward_geoms).T))
        op_code = np.searchsorted(np.asarray(groups[1:], dtype=object), ops) + 1
        # "any" pairs plus one copy per operator.
        pair_node = np.concatenate([w_idx * n_groups, w_idx * n_groups + op_code[c_idx]])
        pair_cell = np.concatenate([c_idx, c_idx])
    else:
        cx = cy = np.empty(0)
        params = fan_parameters(np.empty(0), np.empty(0), np.empty(0), quad_segs)
        site_code = np.zeros(0, dtype="int64")
        env = np.empty((0, 4))
        pair_node = pair_cell = np.empty(0, dtype="int64")
    node_ward = np.repeat(np.arange(n_wards), n_groups)
    node_group = np.tile(np.arange(n_groups), n_wards)

    boxes = _quadtree(ward_geoms, node_ward, pair_node, pair_cell, cx, cy, params, env, site_code)
    log.debug("quadtree: %d uniform boxes, %d solved boxes", len(boxes.u_node), len(boxes.l_node))

    # Footprint polygons only for the cells that reach a solved box.
    polys = np.full(len(cx), None, dtype=object)
    need = np.unique(boxes.lp_cell)
    if need.size:
        sub = {k: v[need] for k, v in params.items()}
        polys[need] = build_fans(cx[need], cy[need], sub)
    face_leaf, faces, face_count = _solve_leaves(boxes, polys, site_code, ward_geoms, node_ward)

    # Uniform boxes: their part of the ward (box ∩ ward, computed only on ward edges).
    u_piece = shapely.box(*boxes.u_box.T) if len(boxes.u_node) else np.empty(0, dtype=object)
    edge = np.flatnonzero(~boxes.u_inside)
    if edge.size:
        u_piece[edge] = shapely.intersection(
            ward_geoms[node_ward[boxes.u_node[edge]]], u_piece[edge]
        )
    # Every piece of every ward with its server count: uniform boxes and faces.
    piece_node = np.concatenate([boxes.u_node, boxes.l_node[face_leaf]]).astype("int64")
    piece_geom = np.concatenate([u_piece, faces])
    piece_count = np.concatenate([boxes.u_count, face_count]).astype("int64")
    piece_area = shapely.area(piece_geom)

    n_nodes = n_wards * n_groups
    level_area = {
        k: np.minimum(_sum_by(piece_node, piece_area * (piece_count >= k), n_nodes),
                      ward_area[node_ward])
        for k in _LEVELS
    }  # fmt: skip

    # Gaps ("any" only): pieces with no server, dissolved per ward, split into parts.
    gap = (piece_count == 0) & (node_group[piece_node] == 0) & (piece_area > 0)
    gkey, gunion = _union_by_key(node_ward[piece_node[gap]], piece_geom[gap])
    part_geom, part_ward, part_area = _gap_parts(gunion, gkey, min_gap_area_m2)

    if population_raster is None:
        pop, density = _uniform_population(wards, ward_area)
        level_pop = {k: level_area[k] * density[node_ward] for k in _LEVELS}
        return _Levels(
            level_area, level_pop, pop, "uniform:official", part_geom, part_ward, part_area,
            part_area * density[part_ward],
        )  # fmt: skip
    from phusong.io.population import open_population

    with open_population(population_raster) as raster:
        pop = raster.sums(ward_geoms, crs)
        covered = piece_count >= 1
        people = np.zeros(len(piece_geom))
        people[covered] = raster.sums(piece_geom[covered], crs)
        gap_pop = raster.sums(part_geom, crs)
        source = raster.label
    level_pop = {
        k: np.minimum(_sum_by(piece_node, people * (piece_count >= k), n_nodes), pop[node_ward])
        for k in _LEVELS
    }
    return _Levels(level_area, level_pop, pop, source, part_geom, part_ward, part_area, gap_pop)


def ward_coverage_vector(
    wards: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    *,
    model: Literal["disc", "sector"] = "disc",
    radius_m: float | np.ndarray | None = None,
    operators: Sequence[str] | None = None,
    population_raster: str | Path | None = None,
    min_gap_area_m2: float = 10_000,
    crs: CRS | str | None = None,
    quad_segs: int = DEFAULT_QUAD_SEGS,
    exact_method: Literal["auto", "arcs", "polygons"] = "auto",
) -> VectorCoverage:
    """Exact area and population coverage of every ward, per operator and for any.

    Parameters
    ----------
    wards : GeoDataFrame
        Ward table (:data:`phusong.schema.WARD_COLUMNS`), any CRS.
    sites : GeoDataFrame
        Cell table (:data:`phusong.schema.SITE_COLUMNS`), any CRS. Used:
        geometry, ``range_m`` (unless ``radius_m``), ``operator``,
        ``site_id`` (``cell_id`` when missing), and for ``model="sector"``
        ``azimuth_deg`` and ``beamwidth_deg``.
    model : {"disc", "sector"}
        Footprint model (:func:`phusong.vector.footprints.disc_footprints` or
        :func:`~phusong.vector.footprints.sector_footprints`).
    radius_m : float or ndarray, optional
        Footprint radius overriding ``range_m`` (scalar or per cell) [m].
    operators : sequence of str, optional
        Operators to include (others' cells are ignored, and "any" means any
        of these). Every listed operator gets rows, with zero coverage when it
        has no cell. Default: every operator present in ``sites``.
    population_raster : str or Path, optional
        GeoTIFF of people per pixel (e.g. WorldPop). Default: each ward's
        official ``population`` spread evenly over its area.
    min_gap_area_m2 : float, default 10,000
        Uncovered polygon parts smaller than this [m²] are left out of
        ``gaps`` (slivers between nearly touching footprints); the table's
        figures always include them.
    crs : pyproj.CRS or str, optional
        Equal-area CRS for all areas; default
        :func:`phusong.geo.equal_area_crs` of ``wards``.
    quad_segs : int, default 32
        Segments per quarter circle of the footprint polygons (the polygon
        route's footprints, and the gap polygons of the arc route).
    exact_method : {"auto", "arcs", "polygons"}, default "auto"
        ``"arcs"``: analytic areas of true circles and wedges
        (:mod:`phusong.vector.arcs` for discs, :mod:`phusong.vector.wedges` for sectors),
        for either model, only without ``population_raster``.
        ``"polygons"``: the quadtree + polygon arrangement of the footprint
        polygons. ``"auto"``: arcs when they apply and every site has all its
        cells at one position, else polygons. The two agree to the polygon
        error; pass both to cross-check.

    Returns
    -------
    VectorCoverage
        ``table`` (ward × operator, :data:`~phusong.schema.WARD_COVERAGE_COLUMNS`,
        rows in ward order with ``"any"`` first then operators alphabetically),
        ``gaps``, ``population_source``, ``model``, ``crs``.

    Raises
    ------
    ConfigError
        Unknown ``model`` or ``exact_method``, or ``exact_method="arcs"`` with
        a population raster.
    DataError
        Missing or invalid radii or beamwidths (every row listed), or tables
        without a CRS.

    Notes
    -----
    *Servers are sites, not cells.* The redundancy columns count distinct
    ``site_id`` values whose footprint (the union of the site's cells) covers
    a point: the three sectors of a mast fail together (power, backhaul), so
    they are one server for resilience. For "any", a mast shared by two
    operators under one ``site_id`` counts once; per operator, only that
    operator's cells count. The arc route merges the cells of one site at one
    position into one footprint (one disc of the largest radius, or the union
    of the site's wedges); cells of one site at *different* positions would
    be separate footprints there, counted as separate servers where they
    overlap, so ``"auto"`` then uses the polygon route
    (which counts the site once) and ``"arcs"`` counts them separately.

    Area figures are area-weighted, population figures population-weighted;
    areas are measured in the equal-area CRS. Classes are ``area_km2_servers_0
    = area − |L1|``, ``_1 = |L1| − |L2|``, ``_2_4 = |L2| − |L5|``,
    ``_5plus = |L5|`` with ``L_k`` the part of the ward covered by at least
    ``k`` sites, so the four classes add up to the ward's area.

    Population. Uniform (``"uniform:official"``): people in a region =
    ``population × region area / ward area``. Raster (``"raster:<name>"``):
    people in a region = exactextract ``sum`` of the raster over it (pixels
    weighted by the covered fraction), and the ``population`` column is the
    raster sum over the ward (not the official figure), so that covered
    people never exceed it. A missing (NaN) official population is taken as
    0 people with a warning. Every percentage is 0–100, or NaN where it is
    undefined: a ward of zero area, or with 0 people
    (:func:`phusong.coverage_table.coverage_pct`).
    """
    if model not in MODELS:
        raise ConfigError(f"model={model!r} is not known; valid models: {', '.join(MODELS)}")
    if wards.crs is None:
        raise DataError("the ward table has no CRS; set it (e.g. wards.set_crs('EPSG:4326')).")
    crs = CRS.from_user_input(crs) if crs is not None else equal_area_crs(wards)
    ward_geoms = np.asarray(wards.geometry.to_crs(crs).to_numpy(), dtype=object)
    ward_geoms = repair_polygons(ward_geoms)  # overlapping multipolygon parts merged
    shapely.prepare(ward_geoms)
    n_wards = len(wards)
    ward_area = shapely.area(ward_geoms)

    ops_all = _operator_labels(sites)
    if operators is None:
        op_names = sorted(set(ops_all.tolist()))
        use = np.ones(len(sites), dtype=bool)
    else:
        op_names = sorted(dict.fromkeys(str(o) for o in operators))
        use = np.isin(ops_all, op_names)
        missing = sorted(set(op_names) - set(ops_all[use].tolist()))
        if missing:
            log.info("no cells for operator(s) %s: their coverage is 0", ", ".join(missing))
    sites = sites.iloc[np.flatnonzero(use)]
    ops = ops_all[use]
    groups = [ANY_OPERATOR, *[o for o in op_names if o != ANY_OPERATOR]]
    n_groups = len(groups)

    use_arcs = _use_arcs(exact_method, model, population_raster, sites, radius_m, crs)
    levels = (_levels_arcs if use_arcs else _levels_polygons)(
        wards, sites, ops, groups, ward_geoms, ward_area, model, radius_m, crs, quad_segs,
        population_raster, min_gap_area_m2,
    )  # fmt: skip
    level_area, level_pop, pop = levels.level_area, levels.level_pop, levels.pop
    source = levels.source
    part_geom, part_ward, part_area = levels.part_geom, levels.part_ward, levels.part_area
    gap_pop = levels.gap_pop
    node_ward = np.repeat(np.arange(n_wards), n_groups)
    table = _table(wards, groups, node_ward, ward_area, pop, level_area, level_pop)
    gaps = gpd.GeoDataFrame(
        {
            "ward_id": pd.array(wards["ward_id"].to_numpy()[part_ward], dtype="string"),
            "name": pd.array(wards["name"].to_numpy()[part_ward], dtype="string")
            if "name" in wards.columns
            else pd.array([None] * len(part_ward), dtype="string"),
            "area_km2": part_area / 1e6,
            "population": gap_pop,
        },
        geometry=gpd.GeoSeries(part_geom, crs=crs).to_crs(WGS84).to_numpy(),
        crs=WGS84,
    )
    return VectorCoverage(table=table, gaps=gaps, population_source=source, model=model, crs=crs)


def _sum_by(keys: np.ndarray, weights: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros(n)
    np.add.at(out, keys.astype("int64"), np.asarray(weights, dtype="float64"))
    return out


def _classes_from_levels(total: np.ndarray, levels: dict[int, np.ndarray]) -> np.ndarray:
    """Amounts per redundancy class (0, 1, 2–4, 5+) from the level amounts |L1|, |L2|, |L5|.

    Parameters
    ----------
    total : ndarray
        Ward total per (ward, group) node [m² or people].
    levels : dict of int to ndarray
        Amount covered by at least 1, 2 and 5 sites per node, same unit.

    Returns
    -------
    ndarray, shape (n_nodes, 4)
        ``total − L1``, ``L1 − L2``, ``L2 − L5`` (each at least 0) and ``L5``.
    """
    l1, l2, l5 = (levels[k] for k in _LEVELS)
    return np.column_stack(
        [np.maximum(total - l1, 0.0), np.maximum(l1 - l2, 0.0), np.maximum(l2 - l5, 0.0), l5]
    )


def _table(
    wards: gpd.GeoDataFrame,
    groups: list[str],
    node_ward: np.ndarray,
    ward_area: np.ndarray,
    pop: np.ndarray,
    level_area: dict[int, np.ndarray],
    level_pop: dict[int, np.ndarray],
) -> pd.DataFrame:
    """Build the coverage table (:func:`phusong.coverage_table.ward_coverage_table`) from level sums."""
    return ward_coverage_table(
        wards["ward_id"].astype("string").to_numpy(),
        groups,
        area_m2=ward_area,
        population=pop,
        class_area_m2=_classes_from_levels(ward_area[node_ward], level_area),
        class_people=_classes_from_levels(pop[node_ward], level_pop),
        covered_area_m2=level_area[1],
        covered_people=level_pop[1],
    )


__all__ = ["MODELS", "VectorCoverage", "ward_coverage_vector"]
