"""Demand points: the people in the coverage gaps, on a regular grid.

Two ways, one result (points with ``ward_id``, ``weight`` [people], ``x_m``,
``y_m``):

:func:`grid_demand_points` (audits on the raster route)
    The audit's own unserved pixels and the people it counted in each (its
    ward × pixel pieces, :class:`phusong.raster.ward_pixels.WardPixels`),
    summed into square blocks of pixels of about the demand cell size, one
    point per ward and block at the unserved pixel nearest to the block's
    people-weighted centre. No polygon is cut, and people stay where the
    audit put them (WorldPop-weighted when the audit was).
:func:`demand_points` (footprint audits, or gap polygons alone)
    The gap polygons are cut by a square grid aligned on multiples of the
    cell size in a metric CRS; each piece becomes one point carrying the
    people of that piece (people spread evenly over each gap).

See :mod:`phusong.planning` for the approximation these make.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from phusong.errors import ConfigError, DataError
from phusong.geo import equal_area_crs
from phusong.options import PLANNER


def metric_crs(frame: gpd.GeoDataFrame | gpd.GeoSeries, crs: CRS | str | None = None) -> CRS:
    """Return the metric CRS the planner works in.

    Parameters
    ----------
    frame : GeoDataFrame or GeoSeries
        Geometries that must carry a CRS.
    crs : pyproj.CRS or str, optional
        A given metric CRS; default :func:`phusong.geo.equal_area_crs` of ``frame``.

    Raises
    ------
    DataError
        ``frame`` has no CRS.
    """
    if frame.crs is None:
        raise DataError("the geometries have no CRS; set one (e.g. frame.set_crs('EPSG:4326')).")
    return CRS.from_user_input(crs) if crs is not None else equal_area_crs(frame)


def _grid_pieces(
    geoms: np.ndarray, cell: float, tile_cells: int = 16
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cut polygons by a grid aligned on multiples of ``cell``.

    Returns (polygon index, cell column, cell row, piece geometry) for every
    non-empty intersection of a polygon with a grid cell. Done in two levels
    (tiles of ``tile_cells × tile_cells`` cells, then cells), so that each
    intersection handles few vertices.
    """

    def split(gi: np.ndarray, g: np.ndarray, size: float):
        b = shapely.bounds(g)
        ix0 = np.floor(b[:, 0] / size).astype(np.int64)
        iy0 = np.floor(b[:, 1] / size).astype(np.int64)
        nx = np.maximum(np.ceil(b[:, 2] / size).astype(np.int64) - ix0, 1)
        ny = np.maximum(np.ceil(b[:, 3] / size).astype(np.int64) - iy0, 1)
        counts = nx * ny
        rep = np.repeat(np.arange(len(g)), counts)
        local = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        ix = ix0[rep] + local % nx[rep]
        iy = iy0[rep] + local // nx[rep]
        x0, y0 = ix * size, iy * size
        pieces = shapely.intersection(g[rep], shapely.box(x0, y0, x0 + size, y0 + size))
        keep = ~shapely.is_empty(pieces) & (shapely.area(pieces) > 0)
        return gi[rep][keep], ix[keep], iy[keep], pieces[keep]

    gi = np.arange(len(geoms))
    gi, _, _, tiles = split(gi, geoms, cell * tile_cells)
    return split(gi, tiles, cell)


def demand_points(
    gaps: gpd.GeoDataFrame,
    cell_size_m: float = PLANNER["demand_cell_m"].default,
    crs: CRS | str | None = None,
    *,
    population_column: str = "population",
) -> gpd.GeoDataFrame:
    """Population-weighted demand points inside coverage gaps.

    Parameters
    ----------
    gaps : GeoDataFrame
        Uncovered (Multi)Polygons with ``ward_id`` and the people living in
        each (``population``) [people]; any CRS.
    cell_size_m : float
        Side of the square grid cells [m].
    crs : pyproj.CRS or str, optional
        Metric CRS of the output; default the LAEA of
        :func:`phusong.geo.equal_area_crs`.
    population_column : str
        Column with each gap's people.

    Returns
    -------
    GeoDataFrame
        One point per (gap, grid cell) intersection, in ``crs``, with
        ``ward_id``, ``gap`` (row position in ``gaps``), ``weight`` [people],
        ``area_m2`` (area of the piece) [m²], ``x_m``, ``y_m``. Deterministic:
        the grid is aligned on multiples of ``cell_size_m`` in ``crs``.

    Notes
    -----
    ``weight = population_gap × area(gap ∩ cell) / area(gap)``: people are
    spread evenly over each gap, and the weights of a gap add up to its
    population exactly. A point sits at the cell centre when the centre lies
    in the gap, otherwise on the piece (``point_on_surface``), so every point
    is inside its gap and slivers narrower than a cell are not lost.
    """
    if cell_size_m <= 0:
        raise ConfigError(f"demand_cell_m: must be positive, got {cell_size_m!r}.")
    missing = [c for c in ("ward_id", population_column) if c not in gaps.columns]
    if missing:
        raise DataError(
            f"the gap table lacks column(s) {', '.join(missing)}; use AuditResult.gaps."
        )
    crs = metric_crs(gaps, crs)
    cols = ["ward_id", "gap", "weight", "area_m2", "x_m", "y_m"]
    if len(gaps) == 0:
        return gpd.GeoDataFrame({c: [] for c in cols}, geometry=[], crs=crs)
    g = gaps.to_crs(crs)
    geoms = shapely.make_valid(g.geometry.to_numpy())
    pop = pd.to_numeric(g[population_column], errors="coerce").fillna(0.0).to_numpy("float64")
    area = shapely.area(geoms)
    ok = (area > 0) & (pop > 0)
    sel = np.flatnonzero(ok)
    gi, ix, iy, pieces = _grid_pieces(geoms[sel], float(cell_size_m))
    gi = sel[gi]
    piece_area = shapely.area(pieces)
    weight = pop[gi] * piece_area / area[gi]
    cx, cy = (ix + 0.5) * cell_size_m, (iy + 0.5) * cell_size_m
    centre = shapely.points(cx, cy)
    inside = shapely.intersects(pieces, centre)
    on = shapely.point_on_surface(pieces[~inside])
    px, py = cx.copy(), cy.copy()
    px[~inside], py[~inside] = shapely.get_x(on), shapely.get_y(on)
    order = np.lexsort((iy, ix, gi))
    out = gpd.GeoDataFrame(
        {
            "ward_id": g["ward_id"].astype("string").to_numpy()[gi][order],
            "gap": gi[order],
            "weight": weight[order],
            "area_m2": piece_area[order],
            "x_m": px[order],
            "y_m": py[order],
        },
        geometry=shapely.points(px[order], py[order]),
        crs=crs,
    )
    return out


def grid_demand_points(
    pieces: Any,
    unserved: np.ndarray,
    grid: Any,
    ward_ids: np.ndarray,
    cell_size_m: float = PLANNER["demand_cell_m"].default,
    crs: CRS | str | None = None,
) -> gpd.GeoDataFrame:
    """Demand points from an audit's unserved pixels and the people it counted in them.

    Parameters
    ----------
    pieces : WardPixels
        The audit's ward × pixel pieces with their people
        (:func:`phusong.raster.ward_pixels.ward_pixels_for`).
    unserved : ndarray of bool
        ``(height, width)``: pixels without service on the layer planned for.
    grid : GridSpec
        The audit's grid (metric).
    ward_ids : ndarray
        Ward id of each ward position of ``pieces``.
    cell_size_m : float
        Side of the demand blocks [m], rounded to a whole number of pixels (≥ 1).
    crs : pyproj.CRS or str, optional
        CRS of the output points; default the grid's.

    Returns
    -------
    GeoDataFrame
        One point per (ward, block) with unserved people, columns as
        :func:`demand_points` (``gap`` is −1: no gap polygon is used) and,
        when ``crs`` is the grid's, ``pixel`` (flat index of the pixel whose
        centre the point is); ordered by ward, block column, block row.

    Notes
    -----
    ``weight`` = Σ people of the ward's unserved pieces in the block and
    ``area_m2`` = Σ fraction × pixel area, so the weights add up to the
    audit's unserved people exactly. The point is the centre of the unserved
    pixel of the ward in the block nearest to the people-weighted centre of
    those pixels: it lies in the gap and where the people are.
    """
    if cell_size_m <= 0:
        raise ConfigError(f"demand_cell_m: must be positive, got {cell_size_m!r}.")
    out_crs = CRS.from_user_input(crs) if crs is not None else CRS.from_user_input(grid.crs)
    flat = np.asarray(unserved, dtype=bool).ravel()
    sel = np.flatnonzero(flat[pieces.pixel] & (pieces.people > 0))
    ward, pix = pieces.ward[sel], pieces.pixel[sel]
    people, frac = pieces.people[sel], pieces.fraction[sel]
    row, col = np.divmod(pix, grid.width)
    k = max(1, round(float(cell_size_m) / float(grid.resolution_m)))
    brow, bcol = row // k, col // k
    n_bcol = (grid.width + k - 1) // k
    n_brow = (grid.height + k - 1) // k
    key = (ward * n_bcol + bcol) * n_brow + brow
    uniq, group = np.unique(key, return_inverse=True)
    n = len(uniq)
    weight = np.bincount(group, weights=people, minlength=n)
    area = np.bincount(group, weights=frac, minlength=n) * float(grid.pixel_area_m2)
    mean_r = np.bincount(group, weights=people * row, minlength=n) / weight
    mean_c = np.bincount(group, weights=people * col, minlength=n) / weight
    # the group's pixel nearest to its people-weighted centre
    dist = (row - mean_r[group]) ** 2 + (col - mean_c[group]) ** 2
    order = np.lexsort((dist, group))
    first = order[np.searchsorted(group[order], np.arange(n), side="left")]
    x, y = grid.transform * (col[first] + 0.5, row[first] + 0.5)
    x, y = np.asarray(x, dtype="float64"), np.asarray(y, dtype="float64")
    on_grid = out_crs.equals(CRS.from_user_input(grid.crs))
    if not on_grid:
        from pyproj import Transformer

        x, y = Transformer.from_crs(grid.crs, out_crs, always_xy=True).transform(x, y)
    g_ward = ward[first]
    order = np.lexsort((brow[first], bcol[first], g_ward))
    x, y = np.asarray(x)[order], np.asarray(y)[order]
    columns: dict[str, Any] = {
        "ward_id": pd.array(np.asarray(ward_ids).astype(str)[g_ward[order]], dtype="string"),
        "gap": np.full(n, -1, dtype="int64"),
        "weight": weight[order],
        "area_m2": area[order],
        "x_m": x,
        "y_m": y,
    }
    if on_grid:  # each point is the centre of this pixel of the grid
        columns["pixel"] = pix[first][order]
    return gpd.GeoDataFrame(columns, geometry=shapely.points(x, y), crs=out_crs)


__all__ = ["demand_points", "grid_demand_points", "metric_crs"]
