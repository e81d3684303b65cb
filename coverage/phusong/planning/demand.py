"""Demand points: the people in the coverage gaps, on a regular grid.

The gap polygons of an audit are cut by a square grid aligned on multiples of
the cell size in a metric CRS; each piece becomes one point carrying the
people of that piece (people spread evenly over each gap). See
:mod:`phusong.planning` for the approximation this makes.
"""

from __future__ import annotations

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


__all__ = ["demand_points", "metric_crs"]
