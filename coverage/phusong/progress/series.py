"""Coverage of every ward on many dates, reusing the per-site work between dates.

A progress series asks, for each date d, the area and the people of every
ward covered by the cells on air by d. Recomputing a whole audit per date
would cost one audit per date; instead each route reuses what does not
depend on the date:

Raster route (path-loss models)
    The grid engine keeps, per pixel, the earliest on-air date among the
    cells that cover it (``GridResult.earliest_on_air_day``). A pixel is
    covered on d when that date is ≤ d, so one grid (the network on the
    "as of" date) gives every date. The per-ward sums use the exact
    partial-pixel weights of :func:`phusong.raster.ward_pixels.ward_pixels`,
    computed once: each date is one :func:`numpy.bincount`
    (:func:`raster_series`). This is the RSRP-threshold coverage; a SINR
    criterion is not applied per date (the engine's layer ignores it), so a
    run with one is refused.
Vector route (disc, sector; official populations)
    The footprints (positions in the equal-area CRS, radii, azimuths,
    widths, site keys) are prepared once; each date is one exact arc
    integral of the union of the footprints on air
    (:func:`phusong.vector.arcs.disc_level_areas` or
    :func:`phusong.vector.wedges.sector_level_areas`) at depth 1 only, which
    is cheaper than the audit's five depths (:func:`vector_series`).
Anything else (a population raster on the vector route, sites with cells at
several positions, the tiled route, a grid without the date layer)
    One coverage computation per date (the caller's fallback).

Every figure equals the one an audit of the cells on air on that date gives:
the same engine, the same weights (tested at the last date).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from phusong.geo import equal_area_crs
from phusong.progress.rollout import on_air_mask
from phusong.raster.ward_pixels import WardPixels

log = logging.getLogger(__name__)

__all__ = [
    "CoverageSeries",
    "dasymetric_vector_series",
    "day_number",
    "raster_series",
    "series_from_tables",
    "vector_series",
]

#: Day 0 of the engine's on-air day numbers.
EPOCH = pd.Timestamp("1970-01-01")


def day_number(date: pd.Timestamp) -> float:
    """Days since 1970-01-01 of a date (the engine's on-air day numbers)."""
    return float((pd.Timestamp(date) - EPOCH).days)


@dataclass(frozen=True)
class CoverageSeries:
    """Covered area and people of every ward on every date.

    Attributes
    ----------
    dates : list of Timestamp
        Ascending dates.
    covered_area_m2, covered_people : numpy.ndarray
        ``(n_dates, n_wards)`` [m²], [people].
    ward_area_m2, ward_population : numpy.ndarray
        ``(n_wards,)`` [m²], [people] (NaN population = unknown).
    method : str
        How it was computed, in words (recorded in the summary).
    """

    dates: list[pd.Timestamp]
    covered_area_m2: np.ndarray
    covered_people: np.ndarray
    ward_area_m2: np.ndarray
    ward_population: np.ndarray
    method: str


def raster_series(
    pieces: WardPixels, earliest_on_air_day: np.ndarray, dates: Sequence[pd.Timestamp]
) -> CoverageSeries:
    """Per-ward coverage on each date from the grid's earliest on-air date per pixel.

    Parameters
    ----------
    pieces : WardPixels
        The wards' pixels and people (:func:`phusong.raster.ward_pixels.ward_pixels`).
    earliest_on_air_day : ndarray
        ``(height, width)`` earliest on-air date of a covering cell [days since
        1970-01-01]; +inf where no cell covers the pixel.
    dates : sequence of Timestamp
        The dates.

    Returns
    -------
    CoverageSeries

    Notes
    -----
    covered area of ward w on d = A Σ_{p ∈ w} c_p [e_p ≤ d], covered people
    = Σ_{p ∈ w} P_{w,p} [e_p ≤ d], with c_p the share of pixel p inside w,
    A the pixel area, e_p the earliest date and P the people of the piece.
    """
    first = pieces.at(earliest_on_air_day).astype("float64")
    area = np.empty((len(dates), pieces.n_wards))
    people = np.empty_like(area)
    for k, date in enumerate(dates):
        on = first <= day_number(date)
        area[k] = pieces.area_m2(on)
        people[k] = pieces.people_in(on)
    return CoverageSeries(
        list(dates), area, people, pieces.ward_area_m2, pieces.ward_population,
        "raster: earliest on-air date per pixel, one grid for every date",
    )  # fmt: skip


def _site_keys(sites: pd.DataFrame) -> np.ndarray:
    """Site key per cell (``site_id``, or the cell id when empty), as the vector route counts servers."""
    own = "cell:" + sites["cell_id"].astype("string").fillna("").to_numpy(dtype=object)
    sid = sites["site_id"].astype("string") if "site_id" in sites.columns else None
    if sid is None:
        return own.astype(str)
    sid = sid.mask(sid.str.strip() == "")
    return np.where(
        sid.isna().to_numpy(), own, "site:" + sid.fillna("").to_numpy(dtype=object)
    ).astype(str)


def _one_position_per_site(keys: np.ndarray, x: np.ndarray, y: np.ndarray) -> bool:
    """Whether every site has all its cells at one position (the arcs' condition)."""
    frame = pd.DataFrame({"k": keys, "x": x, "y": y})
    return bool((frame.groupby("k", sort=False)[["x", "y"]].nunique().max(axis=1) <= 1).all())


def vector_series(
    wards: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    *,
    model: str,
    radius_m: float | None,
    dates: Sequence[pd.Timestamp],
    crs: Any = None,
) -> CoverageSeries | None:
    """Per-ward coverage on each date by exact arc integrals (official populations).

    Parameters
    ----------
    wards : GeoDataFrame
        Canonical wards (``population``).
    sites : GeoDataFrame
        Dated cells (``on_air``), already filtered by radio and operator.
    model : {"disc", "sector"}
        Footprint model.
    radius_m : float, optional
        Footprint radius override [m].
    dates : sequence of Timestamp
        The dates.
    crs : CRS, optional
        Equal-area CRS of the areas (default that of ``wards``).

    Returns
    -------
    CoverageSeries or None
        ``None`` when the arcs do not apply (a site with cells at several
        positions): the caller then computes each date in full.

    Notes
    -----
    Covered people = covered area × official population / ward area, as the
    audit's vector route counts them (:mod:`phusong.vector.aggregate`).
    """
    from phusong.vector.arcs import collapse_sites, disc_level_areas
    from phusong.vector.footprints import footprint_azimuth_width, footprint_radius, projected_xy
    from phusong.vector.wedges import sector_level_areas

    crs = equal_area_crs(wards) if crs is None else crs
    geoms = shapely.make_valid(np.asarray(wards.geometry.to_crs(crs).to_numpy(), dtype=object))
    shapely.prepare(geoms)
    ward_area = shapely.area(geoms)
    pop = pd.to_numeric(wards["population"], errors="coerce").to_numpy(dtype="float64")
    density = np.divide(np.nan_to_num(pop), ward_area, out=np.zeros(len(pop)), where=ward_area > 0)
    area = np.zeros((len(dates), len(geoms)))
    if len(sites):
        keys = _site_keys(sites)
        x, y, _ = projected_xy(sites, crs)
        if not _one_position_per_site(keys, x, y):
            return None
        radius = footprint_radius(sites, radius_m)
        az, width = footprint_azimuth_width(sites, model)
        for k, date in enumerate(dates):
            on = on_air_mask(sites, date)
            if not on.any():
                continue
            if model == "disc":
                gx, gy, gr = collapse_sites(x[on], y[on], radius[on], keys[on])
                levels = disc_level_areas(gx, gy, gr, geoms, max_level=1)
            else:
                levels = sector_level_areas(
                    keys[on], x[on], y[on], radius[on], az[on], width[on], geoms, max_level=1
                )
            area[k] = np.clip(levels[:, 0], 0.0, ward_area)
    return CoverageSeries(
        list(dates), area, area * density, ward_area, np.nan_to_num(pop),
        f"{model}: exact arc integrals of the footprints on air, one per date",
    )  # fmt: skip


def dasymetric_vector_series(
    wards: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    raster: Any,
    *,
    model: str,
    radius_m: float | None,
    dates: Sequence[pd.Timestamp],
) -> CoverageSeries | None:
    """:func:`vector_series` with people placed by a raster rescaled to official totals.

    Every ward is cut along the raster's pixel edges
    (:func:`phusong.dasymetric.ward_pixel_pieces`, as the audit's vector route
    does); inside a piece the density is constant, so each piece's covered
    area times its density gives its people exactly, and the pieces add up
    per ward.

    Returns
    -------
    CoverageSeries or None
        ``None`` when the arcs do not apply (see :func:`vector_series`).
    """
    from phusong.dasymetric import ward_pixel_pieces

    pieces = ward_pixel_pieces(wards, raster)
    series = vector_series(pieces, sites, model=model, radius_m=radius_m, dates=dates,
                           crs=equal_area_crs(wards))  # fmt: skip
    if series is None:
        return None
    ward = pieces["ward"].to_numpy(dtype="int64")
    n = len(wards)

    def per_ward(values: np.ndarray) -> np.ndarray:
        return np.vstack([np.bincount(ward, weights=row, minlength=n) for row in values])

    official = pd.to_numeric(wards["population"], errors="coerce").to_numpy(dtype="float64")
    pop = np.bincount(ward, weights=series.ward_population, minlength=n)
    return CoverageSeries(
        series.dates, per_ward(series.covered_area_m2), per_ward(series.covered_people),
        np.bincount(ward, weights=series.ward_area_m2, minlength=n),
        np.where(np.isfinite(official), official, pop),
        f"{model}: exact arc integrals of the footprints on air, one per date, over the "
        "wards cut along the population raster's pixels",
    )  # fmt: skip


def series_from_tables(
    dates: Sequence[pd.Timestamp],
    tables: Sequence[pd.DataFrame],
    ward_ids: Sequence[str],
    method: str,
) -> CoverageSeries:
    """Build a series from one audit coverage table per date (the fallback: any route).

    Parameters
    ----------
    dates : sequence of Timestamp
        The dates.
    tables : sequence of DataFrame
        Per date, the long coverage table (:data:`phusong.schema.WARD_COVERAGE_COLUMNS`);
        its ``"any"`` rows are used.
    ward_ids : sequence of str
        The wards, in the order of the series' columns.
    method : str
        How the tables were made, in words.
    """
    order = pd.Index([str(w) for w in ward_ids])
    rows = [
        t[t["operator"] == "any"]
        .assign(ward_id=lambda f: f["ward_id"].astype(str))
        .set_index("ward_id")
        .reindex(order)
        for t in tables
    ]
    area = np.vstack([1e6 * r["covered_area_km2"].to_numpy(dtype="float64") for r in rows])
    people = np.vstack([r["covered_population"].to_numpy(dtype="float64") for r in rows])
    first = rows[0]
    return CoverageSeries(
        list(dates), area, people, 1e6 * first["area_km2"].to_numpy(dtype="float64"),
        first["population"].to_numpy(dtype="float64"), method,
    )  # fmt: skip
