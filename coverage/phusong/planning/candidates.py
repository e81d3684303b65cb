"""Candidate positions of new sites: a grid around the gaps, or the user's list.

Also the filters a candidate list goes through before the solvers see it:
excluded zones (:func:`outside_zones`) and minimum spacing to the existing
sites of the new sites' operator (:func:`far_from`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from scipy.spatial import cKDTree

from phusong.errors import ConfigError, DataError
from phusong.planning.demand import metric_crs
from phusong.schema import WGS84


def grid_candidates(
    gaps: gpd.GeoDataFrame,
    spacing_m: float,
    buffer_m: float = 0.0,
    crs: CRS | str | None = None,
    *,
    within: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
) -> gpd.GeoDataFrame:
    """Lay a regular grid of candidate positions in and around the gaps.

    Parameters
    ----------
    gaps : GeoDataFrame
        Gap polygons, any CRS.
    spacing_m : float
        Grid spacing [m]; points at ``((i + ½) s, (j + ½) s)`` in ``crs``.
    buffer_m : float
        Keep points within this distance of a gap [m] (0 = inside gaps only).
        A site up to one footprint radius away can still serve a gap.
    crs : pyproj.CRS or str, optional
        Metric CRS; default :func:`phusong.geo.equal_area_crs` of ``gaps``.
    within : GeoDataFrame or GeoSeries, optional
        Keep only points inside these polygons (e.g. the city's wards).

    Returns
    -------
    GeoDataFrame
        ``candidate_id`` ("C-000001", …), ``x_m``, ``y_m``, point geometry in
        ``crs``; ordered by (x, y).
    """
    if spacing_m <= 0:
        raise ConfigError(f"candidate_spacing_m: must be positive, got {spacing_m!r}.")
    crs = metric_crs(gaps, crs)
    g = gaps.to_crs(crs).geometry.to_numpy()
    g = g[~shapely.is_empty(g) & ~shapely.is_missing(g)]
    if len(g) == 0:
        return candidate_frame(np.zeros(0), np.zeros(0), crs)
    minx, miny, maxx, maxy = shapely.total_bounds(g)
    s = float(spacing_m)
    xs = (np.arange(np.floor((minx - buffer_m) / s), np.ceil((maxx + buffer_m) / s)) + 0.5) * s
    ys = (np.arange(np.floor((miny - buffer_m) / s), np.ceil((maxy + buffer_m) / s)) + 0.5) * s
    gx, gy = (a.ravel() for a in np.meshgrid(xs, ys, indexing="ij"))
    pts = shapely.points(gx, gy)
    # One tree entry per polygon part: a point's distance to a gap is that to its nearest
    # part, and small parts keep the exact distance tests few and short.
    tree = shapely.STRtree(shapely.get_parts(g))
    if buffer_m > 0:
        hit = tree.query(pts, predicate="dwithin", distance=float(buffer_m))[0]
    else:
        hit = tree.query(pts, predicate="intersects")[0]
    keep = np.zeros(len(pts), dtype=bool)
    keep[hit] = True
    if within is not None:
        w = within.to_crs(crs).geometry.to_numpy()
        inside = np.zeros(len(pts), dtype=bool)
        inside[shapely.STRtree(w).query(pts[keep], predicate="intersects")[0]] = True
        sub = np.flatnonzero(keep)
        keep[:] = False
        keep[sub[inside[: len(sub)]]] = True
    return candidate_frame(gx[keep], gy[keep], crs)


def candidate_frame(
    x: np.ndarray, y: np.ndarray, crs: CRS, ids: Sequence[str] | None = None
) -> gpd.GeoDataFrame:
    """Candidate table from metric coordinates.

    Parameters
    ----------
    x, y : ndarray
        Positions in ``crs`` [m].
    crs : pyproj.CRS
        Metric CRS.
    ids : sequence of str, optional
        Candidate ids; default ``C-000001``, ``C-000002``, ….

    Returns
    -------
    GeoDataFrame
        ``candidate_id``, ``x_m``, ``y_m`` and point geometry in ``crs``.
    """
    ids = ids if ids is not None else [f"C-{i + 1:06d}" for i in range(len(x))]
    return gpd.GeoDataFrame(
        {"candidate_id": pd.array(list(ids), dtype="string"), "x_m": x, "y_m": y},
        geometry=shapely.points(x, y) if len(x) else [],
        crs=crs,
    )


def candidates_from(
    candidates: gpd.GeoDataFrame | pd.DataFrame, crs: CRS | str
) -> gpd.GeoDataFrame:
    """Normalise a user list of candidate positions.

    Parameters
    ----------
    candidates : GeoDataFrame or DataFrame
        Points (any CRS; polygons are reduced to a point on their surface), or
        a canonical site table (one candidate per ``site_id``; ``lon_deg`` /
        ``lat_deg`` are used when there is no geometry).
    crs : pyproj.CRS or str
        Metric CRS of the output.

    Returns
    -------
    GeoDataFrame
        ``candidate_id`` (the ``site_id``/``candidate_id`` column if present),
        ``x_m``, ``y_m``, points in ``crs``.
    """
    frame = candidates
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name not in frame.columns:
        if {"lon_deg", "lat_deg"} <= set(frame.columns):
            frame = gpd.GeoDataFrame(
                frame.copy(),
                geometry=gpd.points_from_xy(frame["lon_deg"], frame["lat_deg"]),
                crs=WGS84,
            )
        else:
            raise DataError(
                "candidates: give a GeoDataFrame of points or a site table with lon_deg/lat_deg.",
                file="<candidates>",
            )
    if frame.crs is None:
        raise DataError("candidates: the table has no CRS; set it (e.g. .set_crs('EPSG:4326')).")
    frame = frame[~frame.geometry.is_empty & frame.geometry.notna()]
    id_col = next((c for c in ("candidate_id", "site_id") if c in frame.columns), None)
    if id_col is not None:
        frame = frame.drop_duplicates(subset=id_col, keep="first")
    geom = frame.to_crs(crs).geometry.to_numpy()
    pts = np.where(shapely.get_type_id(geom) == 0, geom, shapely.point_on_surface(geom))
    ids = frame[id_col].astype(str).tolist() if id_col else None
    return candidate_frame(shapely.get_x(pts), shapely.get_y(pts), CRS.from_user_input(crs), ids)


def outside_zones(cands: gpd.GeoDataFrame, excluded: Any, crs: CRS) -> np.ndarray:
    """Mask of candidates *outside* every excluded polygon.

    Parameters
    ----------
    cands : GeoDataFrame
        Candidates in ``crs`` (:func:`grid_candidates`, :func:`candidates_from`).
    excluded : GeoDataFrame, GeoSeries, shapely geometry, list or None
        Zones where no site may go (a geometry or list without a CRS is
        taken as EPSG:4326).
    crs : pyproj.CRS
        The candidates' metric CRS.

    Returns
    -------
    ndarray of bool
        ``True`` for candidates that may be used.

    Raises
    ------
    DataError
        The zones have no CRS.
    """
    if excluded is None:
        return np.ones(len(cands), dtype=bool)
    if isinstance(excluded, shapely.Geometry):
        excluded = gpd.GeoSeries([excluded], crs=WGS84)
    elif isinstance(excluded, (list, tuple)):
        excluded = gpd.GeoSeries(list(excluded), crs=WGS84)
    if excluded.crs is None:
        raise DataError("excluded: the zones have no CRS; set it (e.g. .set_crs('EPSG:4326')).")
    zones = excluded.to_crs(crs).geometry.to_numpy() if len(excluded) else np.array([])
    keep = np.ones(len(cands), dtype=bool)
    if len(zones):
        keep[shapely.STRtree(zones).query(cands.geometry.to_numpy(), predicate="intersects")[0]] = (
            False
        )
    return keep


def existing_positions(sites: gpd.GeoDataFrame | None, operator: str, crs: CRS) -> np.ndarray:
    """Distinct positions of the existing sites of one operator.

    Parameters
    ----------
    sites : GeoDataFrame or None
        Existing sites (canonical table); rows of other operators are
        ignored when there is an ``operator`` column.
    operator : str
        Operator of the new sites.
    crs : pyproj.CRS
        Metric CRS of the result.

    Returns
    -------
    ndarray, shape (k, 2)
        Unique ``(x, y)`` positions in ``crs`` [m]; empty without sites or CRS.
    """
    s = sites
    if s is None or len(s) == 0 or s.crs is None:
        return np.zeros((0, 2))
    if "operator" in s.columns:
        s = s[s["operator"] == operator]
    if len(s) == 0:
        return np.zeros((0, 2))
    pts = s.to_crs(crs).geometry.to_numpy()
    xy = np.unique(np.column_stack([shapely.get_x(pts), shapely.get_y(pts)]), axis=0)
    return xy


def far_from(xy: np.ndarray, others: np.ndarray, min_spacing_m: float) -> np.ndarray:
    """Mask of positions at least ``min_spacing_m`` from every one of ``others``.

    Parameters
    ----------
    xy : ndarray, shape (n, 2)
        Candidate positions in a metric CRS [m].
    others : ndarray, shape (k, 2)
        Positions to keep away from, same CRS [m].
    min_spacing_m : float
        Minimum distance [m]; 0 = no constraint.

    Returns
    -------
    ndarray of bool
        ``True`` where the nearest of ``others`` is not closer than the spacing.
    """
    keep = np.ones(len(xy), dtype=bool)
    if min_spacing_m > 0 and len(others) and len(xy):
        d, _ = cKDTree(others).query(xy, k=1)
        keep = ~(d < min_spacing_m)
    return keep


__all__ = [
    "candidate_frame",
    "candidates_from",
    "existing_positions",
    "far_from",
    "grid_candidates",
    "outside_zones",
]
