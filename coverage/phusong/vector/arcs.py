"""Exact areas of disc coverage depth inside polygons, by Green's theorem on arcs.

For discs ``(cx, cy, r)`` and polygons ``W`` (wards) in one metric
equal-area CRS, :func:`disc_level_areas` returns, for every polygon and
``k = 1 … max_level``, the area of ``L_k ∩ W`` where ``L_k`` is the set of
points inside at least ``k`` discs. Nothing is polygonised or sampled: the
areas are those of true circles, exact up to floating-point rounding.

Method
------
The boundary of ``L_k ∩ W`` is made of

(a) arcs of circle ``i`` (counter-clockwise) at points strictly inside ``W``
    where the number of *other* discs containing the point is ``k − 1``
    (inside the arc the depth is ``k``, outside ``k − 1``);
(b) pieces of ``W``'s boundary (exteriors counter-clockwise, holes
    clockwise) where the depth is at least ``k``.

and its area is ``½ ∮ (x dy − y dx)`` over that boundary. Everything is
vectorised with numpy:

0. Pruning: a grid (cell ≈ median radius / 6) counts, per cell, the discs that
   contain the whole cell, a lower bound of the depth there; after a 3 × 3
   minimum filter, sampling each circle and each edge every cell width gives
   a lower bound of the depth along it. Circles whose bound (excluding
   themselves: a circle never contains a cell it passes through) reaches
   ``max_level`` contribute nothing and get no events; such edges lie wholly
   in ``L_max_level``. In a dense city most circles are pruned here. They all
   still count as discs for the others. Where the survivors still meet many
   discs (a crowded core: the depth climbs from 5 to hundreds within a
   cell), the bound is computed again on a grid of 48 cells per radius over
   them, which leaves only the circles that really reach a shallow region;
   steps 1 and 3 then run in batches of about :data:`PAIR_BUDGET` circle
   pairs, so memory stays linear in the discs whatever the overlap depth.
1. Circle pairs (live circle, any circle) closer than ``r_live + r_max`` come
   from :meth:`scipy.spatial.cKDTree.sparse_distance_matrix`; pairs with
   ``d < ri + rj`` either *contain* one another (the container adds +1 to the
   whole of the contained circle; containing has no effect on the container)
   or *cross* (on circle ``i`` the part inside ``j`` is the interval
   ``φ ± δ``, ``φ`` the direction of ``j``, ``cos δ = (ri² + d² − rj²) /
   (2 ri d)``).
2. Circle/edge candidates come from a :class:`shapely.STRtree` of edge
   envelopes; the quadratic ``|P0 + t (P1 − P0) − C|² = r²`` gives the part of
   the edge inside the disc and the points where the circle crosses the edge.
3. On every live circle, interval ends (±1) and edge crossings (0, "splits")
   are sorted by (circle, angle); the depth of each arc is the start depth at
   angle 0 (containers plus intervals wrapping through 0) plus the running
   sum. Arcs with depth ≥ ``max_level`` are dropped. The pieces of a circle
   between consecutive splits lie in one polygon or outside all; one
   point-in-polygon test per piece (its midpoint) assigns it.
4. On every edge, interval ends are sorted by (edge, t) the same way and the
   length of ``t`` at depth ≥ ``k`` is accumulated.
5. Contributions are summed per polygon and level.

Coincident circles are told apart deterministically: of two discs with the
same centre and radius (within ``1e-9 r_max``) the one with the lower index
counts as containing the other, so ``n`` identical discs give depth ``n``
inside and their common circle is counted once per level.

Notes
-----
Arc from ``θ1`` to ``θ2`` (counter-clockwise) of the circle ``(cx, cy, r)``:
``½ [r² (θ2 − θ1) + cx r (sin θ2 − sin θ1) − cy r (cos θ2 − cos θ1)]``.
Straight piece ``P(ta) → P(tb)`` of the edge ``P(t) = P0 + t d``:
``½ (P(ta) × P(tb)) = ½ (tb − ta) (P0 × d)``. Coordinates are taken
relative to each polygon's bounding-box centre for precision.

References
----------
Green's theorem, area form ``A = ½ ∮ (x dy − y dx)``: e.g. J. Stewart,
*Calculus*, section "Green's Theorem".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from scipy.spatial import cKDTree

TWO_PI = 2.0 * np.pi

#: Default number of depth levels computed (the "5+" class).
DEFAULT_MAX_LEVEL = 5

#: Most circle pairs swept at once (about 150 bytes each while they are swept).
PAIR_BUDGET = 2_000_000
#: A live circle that meets more discs than this is pruned again on a finer grid.
HOT_PAIRS = 64
#: Cells per (median) radius of the finer pruning grid.
FINE_CELLS_PER_RADIUS = 48.0
#: Most cells of the finer pruning grid (int32, with its filters about 16 bytes each).
MAX_FINE_CELLS = 16_000_000


def collapse_sites(
    x: np.ndarray, y: np.ndarray, r: np.ndarray, site: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One disc per site and location: cells of one site at one point become one disc.

    Parameters
    ----------
    x, y : ndarray
        Cell positions in a metric CRS [m].
    r : ndarray
        Footprint radius of each cell [m].
    site : ndarray
        Site key of each cell (any hashable dtype numpy can sort).

    Returns
    -------
    (ndarray, ndarray, ndarray)
        ``x``, ``y`` [m] and radius [m] (the largest of the group's cells).

    Notes
    -----
    The sectors of one mast fail together (power, backhaul), so they are one
    server. Cells of one site at *different* positions stay separate discs
    and therefore count as separate servers where they overlap.
    """
    x, y, r = (np.asarray(a, dtype="float64") for a in (x, y, r))
    if len(x) == 0:
        return x, y, r
    site_code = np.unique(np.asarray(site), return_inverse=True)[1].ravel()
    order = np.lexsort((y, x, site_code))
    sc, xs, ys, rs = site_code[order], x[order], y[order], r[order]
    first = np.ones(len(sc), dtype=bool)
    first[1:] = (sc[1:] != sc[:-1]) | (xs[1:] != xs[:-1]) | (ys[1:] != ys[:-1])
    group = np.cumsum(first) - 1
    r_max = np.full(int(group[-1]) + 1, -np.inf)
    np.maximum.at(r_max, group, rs)
    return xs[first], ys[first], r_max


def polygon_edges(polygons: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Oriented edges (exteriors CCW, holes CW) of each polygon.

    Shared with :mod:`phusong.vector.wedges` (Green's theorem on the ward
    boundaries). Zero-length edges are dropped; collections (e.g. from
    ``make_valid``) are searched for their polygons.

    Parameters
    ----------
    polygons : ndarray of shapely geometries
        (Multi)Polygons in a metric CRS [m].

    Returns
    -------
    (ndarray, ndarray, ndarray)
        Start points (n, 2), end points (n, 2) [m] and polygon index of each edge.
    """
    oriented = shapely.orient_polygons(polygons, exterior_cw=False)
    parts, part_of = shapely.get_parts(oriented, return_index=True)
    # Collections (e.g. from make_valid) may hold multipolygons: one more level.
    parts, sub = shapely.get_parts(parts, return_index=True)
    part_of = part_of[sub]
    polygonal = shapely.get_type_id(parts) == 3
    parts, part_of = parts[polygonal], part_of[polygonal]
    rings, ring_of = shapely.get_rings(parts, return_index=True)
    coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
    same = coord_ring[1:] == coord_ring[:-1]
    p0, p1 = coords[:-1][same], coords[1:][same]
    poly = part_of[ring_of[coord_ring[:-1][same]]]
    keep = (p0 != p1).any(axis=1)
    return p0[keep], p1[keep], poly[keep].astype("int64")


def local_frame(
    polygons: np.ndarray, ok: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Move the usable polygons to a local origin, for precision.

    Shared with :mod:`phusong.vector.wedges`.

    Parameters
    ----------
    polygons : ndarray of shapely geometries
        Polygons in a metric CRS [m].
    ok : ndarray of bool
        Which polygons are usable (others become ``None``); at least one.

    Returns
    -------
    polys : ndarray
        The polygons translated by ``-g0``.
    g0 : ndarray, shape (2,)
        Global local origin: the mean of the polygons' bounding-box centres [m].
    origin : ndarray, shape (n, 2)
        Each polygon's bounding-box centre relative to ``g0`` [m] (0 if unusable).
    extent : ndarray, shape (4,)
        Bounds of all usable polygons relative to ``g0`` [m].
    """
    polys = np.where(ok, polygons, np.array(None, dtype=object))
    bounds = np.where(ok[:, None], shapely.bounds(polys), np.nan)
    g0 = np.array([np.nanmean(bounds[:, [0, 2]]), np.nanmean(bounds[:, [1, 3]])])
    origin = np.nan_to_num(
        np.column_stack([bounds[:, 0] + bounds[:, 2], bounds[:, 1] + bounds[:, 3]]) / 2 - g0
    )
    polys = shapely.transform(polys, lambda c: c - g0)
    lo, hi = np.nanmin(bounds[:, :2], axis=0), np.nanmax(bounds[:, 2:], axis=0)
    extent = np.concatenate([lo - g0, hi - g0])
    return polys, g0, origin, extent


def _group_starts(keys: np.ndarray, n: int) -> np.ndarray:
    """Index of the first element of each key 0..n-1 in sorted ``keys`` (length n + 1)."""
    return np.searchsorted(keys, np.arange(n + 1))


def _sorted_sweep(
    owner: np.ndarray, pos: np.ndarray, delta: np.ndarray, span: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sort events by (owner, position) and return the order and running depth.

    ``pos`` must lie in ``[0, span]``. Returns the sort order, the sorted
    owners and the running sum of ``delta`` *within each owner* after each
    event (inclusive).
    """
    key = owner.astype("float64") * (span * 1.25) + pos
    order = np.argsort(key, kind="quicksort")
    own, dl = owner[order], delta[order]
    run = np.cumsum(dl, dtype="int64")
    first = np.ones(len(own), dtype=bool)
    first[1:] = own[1:] != own[:-1]
    base = np.maximum.accumulate(np.where(first, np.arange(len(own)), 0))
    # Running sum restarted at each owner: subtract the total before its first event.
    before = np.where(first, run - dl, 0)
    run = run - before[base]
    return order, own, run


def _depth_lower_bound(
    x: np.ndarray, y: np.ndarray, r: np.ndarray, extent: np.ndarray, cell: float
) -> tuple[np.ndarray, np.ndarray]:
    """Lower bound of the depth on a square grid, min-filtered over 3 × 3 cells.

    A grid cell counts a disc only when the disc contains the whole cell
    (strictly), so every point of the cell is inside at least that many
    discs; the 3 × 3 minimum makes the bound valid for any point within one
    cell width of the cell's centre region (see :func:`min_bound_along`).

    Returns
    -------
    (ndarray, ndarray)
        The min-filtered bound (rows = y, columns = x) and the grid origin [m].
    """
    from scipy.ndimage import minimum_filter

    x0, y0 = extent[0] - cell, extent[1] - cell
    n_col = int(np.ceil((extent[2] - x0) / cell)) + 2
    n_row = int(np.ceil((extent[3] - y0) / cell)) + 2
    # Row bands each disc spans, and the x-range fully inside the disc over the band.
    r_in = r * (1.0 - 1e-9) - 1e-6 * cell
    row_lo = np.maximum(np.floor((y - r_in - y0) / cell), 0).astype("int64")
    row_hi = np.minimum(np.floor((y + r_in - y0) / cell), n_row - 1).astype("int64")
    n_rows = np.maximum(row_hi - row_lo + 1, 0)
    disc = np.repeat(np.arange(len(x)), n_rows)
    row = np.repeat(row_lo, n_rows) + (
        np.arange(n_rows.sum()) - np.repeat(np.cumsum(n_rows) - n_rows, n_rows)
    )
    band_lo, band_hi = y0 + row * cell - y[disc], y0 + (row + 1) * cell - y[disc]
    far = np.maximum(np.abs(band_lo), np.abs(band_hi))
    half2 = r_in[disc] ** 2 - far**2
    ok = half2 > 0
    disc, row, half = disc[ok], row[ok], np.sqrt(half2[ok])
    col_lo = np.clip(np.ceil((x[disc] - half - x0) / cell), 0, n_col).astype("int64")
    col_hi = np.clip(np.floor((x[disc] + half - x0) / cell), 0, n_col).astype("int64")
    ok = col_hi > col_lo
    row, col_lo, col_hi = row[ok], col_lo[ok], col_hi[ok]
    width = n_col + 1
    diff = np.bincount(row * width + col_lo, minlength=n_row * width) - np.bincount(
        row * width + col_hi, minlength=n_row * width
    )
    lb = np.cumsum(diff.reshape(n_row, width), axis=1)[:, :n_col].astype("int32")
    return minimum_filter(lb, size=3, mode="constant", cval=0), np.array([x0, y0])


def min_bound_along(
    lb: np.ndarray, grid0: np.ndarray, cell: float, px: np.ndarray, py: np.ndarray, counts
) -> np.ndarray:
    """Minimum of the min-filtered depth bound over consecutive groups of sample points.

    Shared with :mod:`phusong.vector.wedges`, which prunes wedge boundaries
    the same way.

    Parameters
    ----------
    lb : ndarray
        Min-filtered lower bound of the depth on a square grid (rows = y,
        columns = x), as made by the depth-bound step of :func:`disc_level_areas`.
    grid0 : ndarray, shape (2,)
        Lower-left corner of that grid [m].
    cell : float
        Grid cell width [m].
    px, py : ndarray
        Sample points [m]; the samples of one owner are consecutive.
    counts : array-like of int
        Number of samples of each owner (all ≥ 1).

    Returns
    -------
    ndarray
        int64 lower bound of the depth along each owner.
    """
    if len(counts) == 0:
        return np.empty(0, dtype="int64")
    col = np.clip(np.floor((px - grid0[0]) / cell).astype("int64"), 0, lb.shape[1] - 1)
    row = np.clip(np.floor((py - grid0[1]) / cell).astype("int64"), 0, lb.shape[0] - 1)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    return np.minimum.reduceat(lb[row, col].astype("int64"), starts)


@dataclass
class _Discs:
    """The discs and polygons of one :func:`disc_level_areas` call, in the local frame.

    Attributes
    ----------
    x, y, r : ndarray
        Centres relative to the local origin and radii [m].
    polys : ndarray
        Polygons in the local frame; ``poly_tree`` their STRtree.
    origin : ndarray
        Each polygon's bounding-box centre [m] (coordinates of the integrals).
    extent : ndarray
        Bounds of all polygons [m].
    p0, p1, edge_poly : ndarray
        Oriented polygon edges and their polygon.
    disc_box : ndarray
        Each disc's bounding box (shapely boxes).
    near : ndarray of bool
        Discs whose box meets a polygon's box.
    max_level : int
        Highest depth told apart.
    """

    x: np.ndarray
    y: np.ndarray
    r: np.ndarray
    polys: np.ndarray
    poly_tree: shapely.STRtree
    origin: np.ndarray
    extent: np.ndarray
    p0: np.ndarray
    p1: np.ndarray
    edge_poly: np.ndarray
    disc_box: np.ndarray
    near: np.ndarray
    max_level: int

    @property
    def n(self) -> int:
        """Number of discs."""
        return len(self.x)


def _circle_bounds(
    d: _Discs, idx: np.ndarray, lb: np.ndarray, grid0: np.ndarray, cell: float
) -> np.ndarray:
    """Lower bound of the depth (other discs) along the circles ``idx``, sampled every cell."""
    n_s = np.ceil(TWO_PI * d.r[idx] / (0.99 * cell)).astype("int64") + 1
    step = np.arange(n_s.sum()) - np.repeat(np.cumsum(n_s) - n_s, n_s)
    theta = step * np.repeat(TWO_PI / n_s, n_s)
    rc = np.repeat(d.r[idx], n_s)
    return min_bound_along(
        lb, grid0, cell, np.repeat(d.x[idx], n_s) + rc * np.cos(theta),
        np.repeat(d.y[idx], n_s) + rc * np.sin(theta), n_s,
    )  # fmt: skip


def _edge_bounds(
    d: _Discs, edges: np.ndarray, lb: np.ndarray, grid0: np.ndarray, cell: float
) -> np.ndarray:
    """Lower bound of the depth along the polygon edges ``edges``, sampled every cell."""
    p0, p1 = d.p0[edges], d.p1[edges]
    n_s = np.ceil(np.hypot(*(p1 - p0).T) / (0.99 * cell)).astype("int64") + 1
    frac = (np.arange(n_s.sum()) - np.repeat(np.cumsum(n_s) - n_s, n_s)) / np.repeat(
        np.maximum(n_s - 1, 1), n_s
    )
    e_rep = np.repeat(np.arange(len(edges)), n_s)
    sx = p0[e_rep, 0] + frac * (p1[e_rep, 0] - p0[e_rep, 0])
    sy = p0[e_rep, 1] + frac * (p1[e_rep, 1] - p0[e_rep, 1])
    return min_bound_along(lb, grid0, cell, sx, sy, n_s)


def _prune(d: _Discs) -> tuple[np.ndarray, np.ndarray]:
    """Step 0: circles and edges surely at depth ≥ ``max_level`` everywhere (coarse grid).

    Returns
    -------
    (ndarray, ndarray)
        ``live`` (circles that may bound a shallower region) and
        ``edge_live`` (edges that may lie outside ``L_max_level``).
    """
    span = max(d.extent[2] - d.extent[0], d.extent[3] - d.extent[1], 1e-9)
    cell = max(float(np.median(d.r)) / 6.0, span / 2000.0)
    lb, grid0 = _depth_lower_bound(d.x, d.y, d.r, d.extent, cell)
    cand = np.flatnonzero(d.near)
    live = np.zeros(d.n, dtype=bool)
    live[cand[_circle_bounds(d, cand, lb, grid0, cell) < d.max_level]] = True
    edge_live = _edge_bounds(d, np.arange(len(d.p0)), lb, grid0, cell) < d.max_level
    return live, edge_live


def _pair_counts(d: _Discs, idx: np.ndarray) -> np.ndarray:
    """Upper bound of the crossing or containing discs of each circle ``idx`` (its pairs)."""
    if idx.size == 0:
        return np.zeros(0, dtype=np.int64)
    tree = cKDTree(np.column_stack([d.x, d.y]))
    reach = float(d.r[idx].max() + d.r.max())
    pts = np.column_stack([d.x[idx], d.y[idx]])
    return np.asarray(tree.query_ball_point(pts, reach, return_length=True), dtype=np.int64)


def _refine_dense(d: _Discs, live: np.ndarray, edge_live: np.ndarray, counts: np.ndarray) -> None:
    """Prune again, on a finer grid, where circles meet many others (in place).

    In a dense cluster the coarse bound (cells of a sixth of a radius) is
    loose exactly where the depth climbs fast, so many circles survive and
    each meets every disc of the cluster: the pairs, and the memory, grow with
    the overlap depth. A grid of :data:`FINE_CELLS_PER_RADIUS` cells per
    radius over the busy circles (at most :data:`MAX_FINE_CELLS` cells) bounds
    the depth within a few metres of the true one, and prunes all but the
    circles that really reach a shallow region.
    """
    idx = np.flatnonzero(live)
    hot = idx[counts > HOT_PAIRS]
    if hot.size == 0:
        return
    reach = float(d.r.max())
    box = np.array(
        [
            (d.x[hot] - d.r[hot]).min() - reach,
            (d.y[hot] - d.r[hot]).min() - reach,
            (d.x[hot] + d.r[hot]).max() + reach,
            (d.y[hot] + d.r[hot]).max() + reach,
        ]
    )
    area = (box[2] - box[0]) * (box[3] - box[1])
    cell = max(float(np.median(d.r[hot])) / FINE_CELLS_PER_RADIUS, np.sqrt(area / MAX_FINE_CELLS))
    inside = (
        (d.x + d.r > box[0]) & (d.x - d.r < box[2]) & (d.y + d.r > box[1]) & (d.y - d.r < box[3])
    )
    sub = np.flatnonzero(inside)
    lb, grid0 = _depth_lower_bound(d.x[sub], d.y[sub], d.r[sub], box, cell)
    live[hot[_circle_bounds(d, hot, lb, grid0, cell) >= d.max_level]] = False
    lo, hi = np.minimum(d.p0, d.p1), np.maximum(d.p0, d.p1)
    in_box = (lo[:, 0] > box[0]) & (lo[:, 1] > box[1]) & (hi[:, 0] < box[2]) & (hi[:, 1] < box[3])
    edges = np.flatnonzero(edge_live & in_box)
    if edges.size:
        edge_live[edges[_edge_bounds(d, edges, lb, grid0, cell) >= d.max_level]] = False


def _circle_edge_pairs(d: _Discs, live: np.ndarray, edge_live: np.ndarray) -> dict[str, np.ndarray]:
    """Step 2: where circles cross polygon edges (live circles × edges, other discs × live edges).

    Returns
    -------
    dict
        ``c_of``, ``e_of`` (circle and edge of each pair that crosses), ``fx``,
        ``fy`` (edge start relative to the centre), ``ev`` (edge vector),
        ``t1 ≤ t2`` (edge parameters where the circle crosses the edge's line)
        and ``lo``, ``hi`` (the part of the edge inside the disc, clipped to 0–1).
    """
    x, y, r, p0, p1 = d.x, d.y, d.r, d.p0, d.p1
    # Candidates by envelopes only; the quadratic below is the exact test.
    seg = shapely.box(
        np.minimum(p0[:, 0], p1[:, 0]), np.minimum(p0[:, 1], p1[:, 1]),
        np.maximum(p0[:, 0], p1[:, 0]), np.maximum(p0[:, 1], p1[:, 1]),
    )  # fmt: skip
    la = np.flatnonzero(live)
    ca, ea = shapely.STRtree(seg).query(d.disc_box[la])
    ca = la[ca]
    le = np.flatnonzero(edge_live)
    dead = np.flatnonzero(~live & d.near)
    cb, eb = shapely.STRtree(seg[le]).query(d.disc_box[dead])
    c_of = np.concatenate([ca, dead[cb]])
    e_of = np.concatenate([ea, le[eb]])
    ev = p1[e_of] - p0[e_of]
    fx, fy = p0[e_of, 0] - x[c_of], p0[e_of, 1] - y[c_of]
    qa = ev[:, 0] ** 2 + ev[:, 1] ** 2
    qb = 2.0 * (fx * ev[:, 0] + fy * ev[:, 1])
    qc = fx * fx + fy * fy - r[c_of] ** 2
    disc = qb * qb - 4.0 * qa * qc
    hit = disc > 0
    c_of, e_of, ev, fx, fy, qa, qb, qc, disc = (
        v[hit] for v in (c_of, e_of, ev, fx, fy, qa, qb, qc, disc)
    )
    sq = np.sqrt(disc)
    q = -0.5 * (qb + np.where(qb >= 0, sq, -sq))
    ta, tb = q / qa, qc / q
    t1, t2 = np.minimum(ta, tb), np.maximum(ta, tb)
    return {
        "c_of": c_of, "e_of": e_of, "fx": fx, "fy": fy, "ev": ev, "t1": t1, "t2": t2,
        "lo": np.maximum(t1, 0.0), "hi": np.minimum(t2, 1.0),
    }  # fmt: skip


def _edge_levels(
    d: _Discs, edge_live: np.ndarray, ce: dict[str, np.ndarray], n_poly: int
) -> np.ndarray:
    """Step 4: the polygon-boundary part of each level's area, ``(n_poly, max_level)`` [m²]."""
    max_level, n_edge = d.max_level, len(d.p0)
    e_of, lo, hi = ce["e_of"], ce["lo"], ce["hi"]
    inside_part = (lo < hi) & edge_live[e_of]
    whole = inside_part & (lo == 0.0) & (hi == 1.0)
    edge_base = np.bincount(e_of[whole], minlength=n_edge)
    edge_base[~edge_live] = max_level
    partial = inside_part & ~whole
    pe = e_of[partial]
    ev_owner = np.concatenate([pe, pe, np.arange(n_edge), np.arange(n_edge)])
    ev_t = np.concatenate([lo[partial], hi[partial], np.zeros(n_edge), np.ones(n_edge)])
    ev_d = np.concatenate(
        [np.ones(len(pe), "int64"), -np.ones(len(pe), "int64"), np.zeros(2 * n_edge, "int64")]
    )
    order, own, run = _sorted_sweep(ev_owner, ev_t, ev_d, 1.0)
    ts = ev_t[order]
    nxt = np.flatnonzero(own[1:] == own[:-1])
    e_idx = own[nxt]
    depth = np.minimum(edge_base[e_idx] + run[nxt], max_level)
    w_idx = d.edge_poly[e_idx]
    rel = d.p0[e_idx] - d.origin[w_idx]
    dvec = d.p1[e_idx] - d.p0[e_idx]
    weight = (ts[nxt + 1] - ts[nxt]) * (rel[:, 0] * dvec[:, 1] - rel[:, 1] * dvec[:, 0])
    per_depth = np.bincount(
        w_idx * (max_level + 1) + depth, weights=weight, minlength=n_poly * (max_level + 1)
    ).reshape(n_poly, max_level + 1)
    # Area of L_k gets every piece of depth >= k: reversed cumulative sum over depth.
    return 0.5 * np.cumsum(per_depth[:, ::-1], axis=1)[:, ::-1][:, 1:]


def _split_points(live: np.ndarray, ce: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Circle and angle [rad, 0–2π) of every point where a live circle crosses an edge."""
    # A crossing at a vertex may be rounded just outside both edges, so accept a small
    # margin: extra splits only cut a piece in two, a missing one would put a piece in
    # the wrong polygon.
    c_of, ev, fx, fy = ce["c_of"], ce["ev"], ce["fx"], ce["fy"]
    split_c, split_a = [], []
    for t in (ce["t1"], ce["t2"]):
        on = (t >= -1e-9) & (t <= 1.0 + 1e-9) & live[c_of]
        split_c.append(c_of[on])
        split_a.append(np.arctan2(fy[on] + t[on] * ev[on, 1], fx[on] + t[on] * ev[on, 0]))
    sc = np.concatenate(split_c)
    sa = np.mod(np.concatenate(split_a), TWO_PI)
    return sc, np.where(sa >= TWO_PI, 0.0, sa)


def batches_of(items: np.ndarray, counts: np.ndarray, budget: int) -> list[np.ndarray]:
    """Split ``items`` into consecutive groups whose ``counts`` add up to about ``budget`` each.

    Shared with :mod:`phusong.vector.wedges` (batches of boundary pieces).
    """
    if items.size == 0:
        return []
    group = np.cumsum(counts) // max(int(budget), 1)
    cuts = np.flatnonzero(np.diff(group)) + 1
    return [b for b in np.split(items, cuts) if b.size]


def _circle_pairs(d: _Discs, batch: np.ndarray, live: np.ndarray) -> tuple[np.ndarray, ...]:
    """Step 1 for the circles ``batch``: containers and the arcs other discs cover.

    Returns
    -------
    tuple
        ``(a, start, end, depth0, keep)``: for each crossing pair the circle
        ``a`` and the covered interval ``[start, end]`` [rad]; per circle the
        depth at angle 0 (containers plus intervals through 0); and which
        circles of ``batch`` can still bound a shallower region (fewer than
        ``max_level`` containers).
    """
    x, y, r, n = d.x, d.y, d.r, d.n
    eps = 1e-9 * float(r.max())
    tree_all = cKDTree(np.column_stack([x, y]))
    tree_b = cKDTree(np.column_stack([x[batch], y[batch]]))
    sdm = tree_b.sparse_distance_matrix(
        tree_all, float(r[batch].max() + r.max()), output_type="ndarray"
    )
    a, b, dist = batch[sdm["i"]], sdm["j"].astype("int64"), sdm["v"]
    del sdm
    ra, rb = r[a], r[b]
    meet = (a != b) & (dist < ra + rb)
    a, b, dist, ra, rb = a[meet], b[meet], dist[meet], ra[meet], rb[meet]
    b_has_a = dist + ra <= rb + eps
    a_has_b = dist + rb <= ra + eps
    coincident = b_has_a & a_has_b
    # Coincident discs: the lower index contains the other.
    b_has_a &= ~(coincident & (b > a))
    a_has_b &= ~(coincident & (a > b))
    n_cont = np.bincount(a[b_has_a], minlength=n)
    keep = live.copy()
    keep &= n_cont < d.max_level
    cross = ~(b_has_a | a_has_b) & keep[a]
    a, b, dist, ra, rb = a[cross], b[cross], dist[cross], ra[cross], rb[cross]
    phi = np.arctan2(y[b] - y[a], x[b] - x[a])
    half = np.arccos(np.clip((ra * ra + dist * dist - rb * rb) / (2.0 * ra * dist), -1.0, 1.0))
    start = np.mod(phi - half, TWO_PI)
    end = np.mod(phi + half, TWO_PI)
    start = np.where(start >= TWO_PI, 0.0, start)
    end = np.where(end >= TWO_PI, 0.0, end)
    wraps = (start > end) | ((start == end) & (half > np.pi / 2))
    depth0 = n_cont + np.bincount(a[wraps], minlength=n)
    return a, start, end, depth0, keep


def _circle_levels(
    d: _Discs,
    batch: np.ndarray,
    live: np.ndarray,
    splits: tuple[np.ndarray, np.ndarray],
    out: np.ndarray,
) -> None:
    """Run steps 1 and 3 for the circles ``batch``: add their arcs to ``out`` (in place)."""
    # A numerical kernel of the arc sweep (step 3 of the module docstring): its
    # index-aligned arrays are read in one place against the formulas.
    max_level, x, y, r, n = d.max_level, d.x, d.y, d.r, d.n
    a, start, end, depth0, keep = _circle_pairs(d, batch, live)
    in_batch = np.zeros(n, dtype=bool)
    in_batch[batch] = True
    keep &= in_batch
    sc_all, sa_all = splits
    mine = keep[sc_all]
    sc, sa = sc_all[mine], sa_all[mine]
    lc = np.flatnonzero(keep)
    m_i, m_s, m_l = len(a), len(sc), len(lc)
    owner = np.concatenate([a, a, sc, lc, lc])
    angle = np.concatenate([start, end, sa, np.zeros(m_l), np.full(m_l, TWO_PI)])
    delta = np.concatenate(
        [np.ones(m_i, "int64"), -np.ones(m_i, "int64"), np.zeros(m_s + 2 * m_l, "int64")]
    )
    is_split = np.zeros(len(owner), dtype=bool)
    is_split[2 * m_i : 2 * m_i + m_s] = True
    del a, start, end
    order, own, run = _sorted_sweep(owner, angle, delta, TWO_PI)
    ang = angle[order]
    split_sorted = is_split[order]
    # Split rank: number of splits of the circle up to and including each event.
    srank = np.cumsum(split_sorted)
    first = np.ones(len(own), dtype=bool)
    first[1:] = own[1:] != own[:-1]
    head = np.maximum.accumulate(np.where(first, np.arange(len(own)), 0))
    srank = srank - np.where(first, srank - split_sorted, 0)[head]
    n_split = np.bincount(sc, minlength=n)

    # Arcs: event k to k + 1 of the same circle; keep the shallow ones.
    k_arc = np.flatnonzero(own[1:] == own[:-1])
    a_c = own[k_arc]
    a_depth = depth0[a_c] + run[k_arc]
    a_t1, a_t2 = ang[k_arc], ang[k_arc + 1]
    shallow = (a_depth < max_level) & (a_t2 > a_t1)
    k_arc, a_c, a_depth, a_t1, a_t2 = (v[shallow] for v in (k_arc, a_c, a_depth, a_t1, a_t2))
    # Piece of each arc: its split rank; the wrapping piece (rank 0) is the last one.
    a_rank = srank[k_arc]
    a_rank = np.where((a_rank == 0) & (n_split[a_c] > 0), n_split[a_c], a_rank)
    piece_off = np.concatenate([[0], np.cumsum(np.maximum(n_split, 1))])
    a_piece = piece_off[a_c] + np.maximum(a_rank, 1) - 1
    pieces, a_piece = np.unique(a_piece, return_inverse=True)
    a_piece = a_piece.ravel()
    # Midpoint of each needed piece, between its two splits (or anywhere: no split).
    p_c = np.searchsorted(piece_off, pieces, side="right") - 1
    p_rank = pieces - piece_off[p_c] + 1
    split_ang = np.append(ang[split_sorted], 0.0)  # padded for circles without splits
    s_first = _group_starts(own[split_sorted], n)
    has = n_split[p_c] > 0
    last = p_rank >= n_split[p_c]
    i_from = np.where(has, s_first[p_c] + p_rank - 1, len(split_ang) - 1)
    i_to = np.where(has, s_first[p_c] + np.where(last, 0, p_rank), len(split_ang) - 1)
    a_from = np.where(has, split_ang[i_from], 0.0)
    a_to = np.where(has, split_ang[i_to] + np.where(last, TWO_PI, 0.0), TWO_PI)
    mid = 0.5 * (a_from + a_to)
    mx = x[p_c] + r[p_c] * np.cos(mid)
    my = y[p_c] + r[p_c] * np.sin(mid)
    pt_idx, pw_idx = d.poly_tree.query(shapely.points(mx, my), predicate="within")

    # Per (piece, depth): sums of r²Δθ, r Δsin θ, r Δcos θ (the centre enters linearly).
    rr = r[a_c]
    key = a_piece * max_level + a_depth
    size = len(pieces) * max_level
    s0 = np.bincount(key, weights=rr * rr * (a_t2 - a_t1), minlength=size)
    s_sin = np.bincount(key, weights=rr * (np.sin(a_t2) - np.sin(a_t1)), minlength=size)
    s_cos = np.bincount(key, weights=rr * (np.cos(a_t2) - np.cos(a_t1)), minlength=size)
    s0, s_sin, s_cos = (v.reshape(-1, max_level) for v in (s0, s_sin, s_cos))
    pc = p_c[pt_idx]
    ox = x[pc] - d.origin[pw_idx, 0]
    oy = y[pc] - d.origin[pw_idx, 1]
    # An arc where m other discs contain the circle bounds L_{m+1}: column m.
    contrib = 0.5 * (s0[pt_idx] + ox[:, None] * s_sin[pt_idx] - oy[:, None] * s_cos[pt_idx])
    np.add.at(out, pw_idx, contrib)


def disc_level_areas(
    cx: np.ndarray,
    cy: np.ndarray,
    r: np.ndarray,
    polygons: np.ndarray,
    *,
    max_level: int = DEFAULT_MAX_LEVEL,
    pair_budget: int = PAIR_BUDGET,
) -> np.ndarray:
    """Exact area of each polygon covered by at least k discs, k = 1 … ``max_level``.

    Parameters
    ----------
    cx, cy : ndarray
        Disc centres in a metric equal-area CRS [m].
    r : ndarray
        Disc radii [m]; discs with a radius ≤ 0 or a non-finite value are ignored.
    polygons : ndarray of shapely (Multi)Polygon
        Polygons in the same CRS (e.g. wards). Overlapping polygons are each
        measured on their own.
    max_level : int, default 5
        Highest depth told apart.
    pair_budget : int
        Most circle pairs held in memory at once (:data:`PAIR_BUDGET`); the
        circles are processed in batches of about this many pairs.

    Returns
    -------
    ndarray, shape (n_polygons, max_level)
        ``out[w, k - 1]`` = area of ``{p ∈ W_w : depth(p) ≥ k}`` [m²], where
        ``depth(p)`` is the number of discs containing ``p``. Non-increasing in
        ``k`` and at most the polygon's area (up to rounding).

    Notes
    -----
    See the module docstring for the method and the formulas. Cost grows with
    the number of crossing circle pairs and circle/edge pairs; arcs deeper
    than ``max_level`` are dropped as soon as their depth is known. Memory
    stays linear in the discs and edges whatever the overlap depth: circles
    that meet many others are pruned again on a finer grid, and the rest are
    swept in batches of at most about ``pair_budget`` pairs.
    """
    polygons = np.asarray(polygons, dtype=object)
    n_poly = len(polygons)
    out = np.zeros((n_poly, max_level))
    cx, cy, r = (np.asarray(a, dtype="float64").ravel() for a in (cx, cy, r))
    good = np.isfinite(cx) & np.isfinite(cy) & np.isfinite(r) & (r > 0)
    cx, cy, r = cx[good], cy[good], r[good]
    ok = ~(shapely.is_missing(polygons) | shapely.is_empty(polygons))
    if len(cx) == 0 or not ok.any():
        return out
    polys, g0, origin, extent = local_frame(polygons, ok)
    x, y = cx - g0[0], cy - g0[1]
    poly_tree = shapely.STRtree(polys)
    disc_box = shapely.box(x - r, y - r, x + r, y + r)
    near = np.zeros(len(x), dtype=bool)
    near[np.unique(poly_tree.query(disc_box)[0])] = True
    p0, p1, edge_poly = polygon_edges(polys)
    d = _Discs(
        x, y, r, polys, poly_tree, origin, extent, p0, p1, edge_poly, disc_box, near, max_level
    )
    live, edge_live = _prune(d)
    counts = _pair_counts(d, np.flatnonzero(live))
    if counts.sum() > pair_budget:
        _refine_dense(d, live, edge_live, counts)
        counts = _pair_counts(d, np.flatnonzero(live))
    ce = _circle_edge_pairs(d, live, edge_live)
    out += _edge_levels(d, edge_live, ce, n_poly)
    splits = _split_points(live, ce)
    del ce
    for batch in batches_of(np.flatnonzero(live), counts, pair_budget):
        _circle_levels(d, batch, live, splits, out)
    return out


__all__ = ["DEFAULT_MAX_LEVEL", "PAIR_BUDGET", "batches_of", "collapse_sites", "disc_level_areas"]
