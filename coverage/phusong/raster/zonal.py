"""Per-ward coverage from the grid: exact partial-pixel zonal statistics.

The raster route's aggregation step. A ward boundary rarely follows pixel
edges; counting whole pixels by their centres would give a 20 m grid an error
of up to half a pixel row along every boundary. exactextract computes, for
each pixel, the exact fraction of it that lies inside the ward polygon and
weights the pixel by that fraction, so areas are exact for the rasterised
coverage.

Areas come from the equal-area grid (every pixel has the same ground area).
Population is counted in one of two ways, named in
``RasterCoverage.population_source``:

``uniform:official``
    The ward's official population spread evenly over its area: covered
    people = population × covered area / ward area.
``raster:<name>``
    A population raster (people per pixel, e.g. WorldPop), in any CRS and at
    any resolution. It is converted to a density (people / m², using each
    source pixel's geodesic area when the raster is in degrees), resampled
    onto the coverage grid (nearest neighbour when the source is coarser than
    the grid, so each grid pixel takes the density of the source pixel holding
    its centre; average when it is finer) and multiplied by the grid pixel
    area. Totals are conserved up to the pixels cut by source pixel edges
    (the resampled total is logged against the source total). People are
    then counted with the same partial-pixel weights as the areas.
"""

from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import exactextract
import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import rasterio.errors
import rasterio.features
import rasterio.warp
import rasterio.windows
import shapely
from exactextract.raster import NumPyRasterSource
from pyproj import CRS, Geod

from phusong.errors import ConfigError, DataError
from phusong.raster.grid import GridResult, GridSpec
from phusong.schema import ANY_OPERATOR, REDUNDANCY_CLASSES, WARD_COVERAGE_COLUMNS, WGS84

log = logging.getLogger(__name__)

_GEOD = Geod(ellps="WGS84")
#: Redundancy class labels in the order of the class codes 0..3.
_CLASSES = tuple(REDUNDANCY_CLASSES)


@dataclass
class RasterCoverage:
    """Per-ward coverage from the grid route.

    Attributes
    ----------
    table : DataFrame
        One row per ward × operator (``"any"`` first), columns exactly
        :data:`phusong.schema.WARD_COVERAGE_COLUMNS`. Area figures are
        area-weighted [km²], population figures population-weighted [people].
    gaps : GeoDataFrame
        EPSG:4326; ``ward_id``, ``name``, ``area_km2``, ``population``,
        ``geometry``: the parts of each ward with no server of any operator,
        polygonised from the grid and clipped to the ward (parts smaller than
        ``min_gap_area_m2`` dropped). Wards without gaps have no row.
    population_source : str
        ``"raster:<name>"`` or ``"uniform:official"``.
    """

    table: pd.DataFrame
    gaps: gpd.GeoDataFrame
    population_source: str


def ward_coverage_raster(
    wards: gpd.GeoDataFrame,
    grid_result: GridResult,
    *,
    threshold_dbm: float | None = None,
    population_raster: str | os.PathLike | Any | None = None,
    min_gap_area_m2: float = 10_000,
) -> RasterCoverage:
    """Area and population coverage of every ward from a computed grid.

    Parameters
    ----------
    wards : GeoDataFrame
        Canonical ward table (``ward_id``, ``name``, ``population``), any CRS;
        reprojected to the grid CRS for the statistics.
    grid_result : GridResult
        Output of :func:`phusong.raster.grid.compute_grid`.
    threshold_dbm : float, optional
        Service threshold [dBm]. Server counts are fixed when the grid is
        computed, so this must equal the grid's threshold (checked, so that a
        report never mixes two thresholds); None takes the grid's.
    population_raster : path or rasterio dataset, optional
        People per pixel, any CRS and resolution (see the module docstring).
        Without it the official ward populations are spread evenly.
    min_gap_area_m2 : float
        Gap polygons smaller than this are dropped from ``gaps`` [m²].

    Returns
    -------
    RasterCoverage
        The long table, the gap polygons and the population source.

    Raises
    ------
    ConfigError
        ``threshold_dbm`` differs from the grid's.
    DataError
        An unreadable or negative population raster.

    Notes
    -----
    For ward W and pixel p with coverage fraction c_p = |p ∩ W| / |p| (exact,
    from exactextract) and pixel area A: area of class k = A Σ_p c_p [n_p ∈ k],
    population of class k = Σ_p c_p P_p [n_p ∈ k], with n_p the number of
    serving sites and P_p the people in p. The ward area is that of the
    polygon in the grid CRS; a part of a ward outside the grid counts as
    unserved.
    """
    grid = grid_result.grid
    _check_threshold(threshold_dbm, grid_result)
    if not min_gap_area_m2 >= 0:
        raise ConfigError(f"min_gap_area_m2 must be ≥ 0, not {min_gap_area_m2!r}.")
    projected = wards.to_crs(grid.crs)
    geoms = projected.geometry.to_numpy()
    ward_ids = wards["ward_id"].astype("string").to_numpy() if "ward_id" in wards else None
    if ward_ids is None:
        ward_ids = np.array([str(i + 1) for i in range(len(wards))], dtype=object)
    names = wards["name"].astype("string").to_numpy() if "name" in wards else ward_ids
    area_m2 = shapely.area(geoms)

    layers = {ANY_OPERATOR: grid_result.n_servers}
    for i, op in enumerate(grid_result.operators):
        layers[op] = grid_result.operator_n_servers[i]
    sources = [_source(_classes(arr), grid, f"L{j}") for j, arr in enumerate(layers.values())]
    features = gpd.GeoDataFrame({"_i": np.arange(len(geoms))}, geometry=geoms, crs=grid.crs)

    people = None
    if population_raster is not None:
        people, population_source = population_on_grid(population_raster, grid)
        weights = _source(people, grid, "pop")
        stats = exactextract.exact_extract(
            sources, features, ["count", "unique", "frac", "weighted_frac"],
            weights=weights, output="pandas", include_cols=["_i"],
        )  # fmt: skip
        totals = exactextract.exact_extract(
            weights, features, ["sum"], output="pandas", include_cols=["_i"]
        )
        ward_pop = _by_feature(totals, "sum", len(geoms))
    else:
        population_source = "uniform:official"
        stats = exactextract.exact_extract(
            sources, features, ["count", "unique", "frac"], output="pandas", include_cols=["_i"]
        )
        ward_pop = (
            pd.to_numeric(wards["population"], errors="coerce").to_numpy(dtype="float64")
            if "population" in wards
            else np.full(len(geoms), np.nan)
        )
    stats = stats.set_index("_i").reindex(np.arange(len(geoms)))

    def col(j: int, op_name: str) -> str:
        # exactextract prefixes columns with the raster name only for several rasters.
        return f"L{j}_{op_name}" if len(sources) > 1 else op_name

    rows = []
    pixel = grid.pixel_area_m2
    for j, op in enumerate(layers):
        count = stats[col(j, "count")].to_numpy(dtype="float64", na_value=0.0)
        inside_m2 = count * pixel
        outside_m2 = np.maximum(area_m2 - inside_m2, 0.0)
        fracs = _class_fractions(stats[col(j, "unique")], stats[col(j, "frac")], len(geoms))
        class_m2 = fracs * inside_m2[:, None]
        class_m2[:, 0] += outside_m2
        if people is not None:
            wname = col(j, "pop_weighted_frac") if len(sources) > 1 else "weighted_frac"
            wfr = _class_fractions(stats[col(j, "unique")], stats[wname], len(geoms))
            class_pop = wfr * np.nan_to_num(ward_pop)[:, None]
        else:
            with np.errstate(invalid="ignore", divide="ignore"):
                class_pop = class_m2 / area_m2[:, None] * ward_pop[:, None]
        rows.append(_rows(ward_ids, op, area_m2, class_m2, ward_pop, class_pop))
    table = pd.concat(rows, ignore_index=True)
    order = {op: k for k, op in enumerate(layers)}
    table["_w"] = np.tile(np.arange(len(geoms)), len(layers))
    table["_o"] = table["operator"].map(order)
    table = table.sort_values(["_w", "_o"], kind="mergesort").drop(columns=["_w", "_o"])
    table = table.reset_index(drop=True)[list(WARD_COVERAGE_COLUMNS)]

    gaps = _gaps(
        projected, ward_ids, names, area_m2, ward_pop, grid_result, people, min_gap_area_m2
    )
    if ward_pop is not None and people is not None:
        log.info("population raster: %.0f people in the wards", float(np.nansum(ward_pop)))
    return RasterCoverage(table=table, gaps=gaps, population_source=population_source)


def _check_threshold(threshold_dbm: float | None, grid_result: GridResult) -> None:
    grid_thr = grid_result.threshold_dbm
    if threshold_dbm is None or not np.isfinite(grid_thr):
        return
    if not math.isclose(float(threshold_dbm), float(grid_thr), abs_tol=1e-9):
        raise ConfigError(
            f"threshold_dbm: the grid was computed at {grid_thr:g} dBm, not {threshold_dbm:g} dBm; "
            "server counts depend on it, so recompute the grid with the new threshold."
        )


def _classes(n_servers: np.ndarray) -> np.ndarray:
    """Redundancy class code per pixel: 0 none, 1 one, 2 two–four, 3 five or more."""
    codes = np.zeros(n_servers.shape, dtype="uint8")
    for code, (lo, _hi) in enumerate(REDUNDANCY_CLASSES.values()):
        if code:
            codes[n_servers >= lo] = code
    return codes


def _source(array: np.ndarray, grid: GridSpec, name: str) -> NumPyRasterSource:
    left, bottom, right, top = grid.bounds
    return NumPyRasterSource(array, left, bottom, right, top, name=name, srs_wkt=grid.crs.to_wkt())


def _by_feature(frame: pd.DataFrame, column: str, n: int) -> np.ndarray:
    return (
        frame.set_index("_i")[column].reindex(np.arange(n)).to_numpy(dtype="float64", na_value=0.0)
    )


def _class_fractions(uniques: pd.Series, fracs: pd.Series, n: int) -> np.ndarray:
    """(n, 4) fraction per redundancy class from exactextract's unique/frac lists."""
    out = np.zeros((n, len(_CLASSES)))
    for i, (u, f) in enumerate(zip(uniques.to_numpy(), fracs.to_numpy(), strict=True)):
        if u is None or (isinstance(u, float) and math.isnan(u)):
            continue
        codes = np.asarray(u, dtype="int64")
        vals = np.asarray(f, dtype="float64")
        ok = np.isfinite(vals)
        np.add.at(out[i], codes[ok], vals[ok])
    return out


def _rows(
    ward_ids: np.ndarray,
    operator: str,
    area_m2: np.ndarray,
    class_m2: np.ndarray,
    ward_pop: np.ndarray,
    class_pop: np.ndarray,
) -> pd.DataFrame:
    covered_m2 = class_m2[:, 1:].sum(axis=1)
    covered_pop = class_pop[:, 1:].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        area_pct = np.where(area_m2 > 0, covered_m2 / area_m2 * 100.0, np.nan)
        pop_pct = np.where(ward_pop > 0, covered_pop / ward_pop * 100.0, np.nan)
    data: dict[str, Any] = {
        "ward_id": pd.array(ward_ids, dtype="string"),
        "operator": pd.array([operator] * len(ward_ids), dtype="string"),
        "area_km2": area_m2 / 1e6,
        "covered_area_km2": covered_m2 / 1e6,
        "area_coverage_pct": np.clip(area_pct, 0.0, 100.0),
        "population": ward_pop,
        "covered_population": covered_pop,
        "population_coverage_pct": np.clip(pop_pct, 0.0, 100.0),
    }
    for k, label in enumerate(_CLASSES):
        data[f"area_km2_servers_{label}"] = class_m2[:, k] / 1e6
    for k, label in enumerate(_CLASSES):
        data[f"population_servers_{label}"] = class_pop[:, k]
    frame = pd.DataFrame(data)
    for col, (dtype, _meaning) in WARD_COVERAGE_COLUMNS.items():
        if dtype == "float64":
            frame[col] = frame[col].astype("float64")
    return frame


# --------------------------------------------------------------------------- gaps


def _gaps(
    projected: gpd.GeoDataFrame,
    ward_ids: np.ndarray,
    names: np.ndarray,
    area_m2: np.ndarray,
    ward_pop: np.ndarray,
    grid_result: GridResult,
    people: np.ndarray | None,
    min_gap_area_m2: float,
) -> gpd.GeoDataFrame:
    """Unserved ("any") parts of each ward as polygons, clipped to the ward."""
    grid = grid_result.grid
    unserved = grid_result.n_servers == 0
    keep_ids, keep_names, keep_geoms, keep_area, keep_pop = [], [], [], [], []
    for i, ward in enumerate(projected.geometry.to_numpy()):
        if ward is None or ward.is_empty:
            continue
        win = _window(ward.bounds, grid)
        parts: list[shapely.Geometry] = []
        if win is not None:
            block = unserved[win.toslices()].astype("uint8")
            if block.any():
                transform = rasterio.windows.transform(win, grid.transform)
                for geom, _value in rasterio.features.shapes(
                    block, mask=block.astype(bool), transform=transform, connectivity=4
                ):
                    parts.append(shapely.geometry.shape(geom))
        # The part of a ward outside the grid has no coverage information: unserved.
        left, bottom, right, top = grid.bounds
        outside = shapely.difference(ward, shapely.box(left, bottom, right, top))
        if not outside.is_empty:
            parts.append(outside)
        if not parts:
            continue
        pieces = shapely.intersection(np.array(parts, dtype=object), ward)
        pieces = shapely.get_parts(shapely.get_parts(pieces))
        pieces = pieces[shapely.get_type_id(pieces) == 3]  # polygons
        pieces = pieces[shapely.area(pieces) >= min_gap_area_m2]
        if pieces.size == 0:
            continue
        gap = shapely.union_all(pieces)
        keep_ids.append(ward_ids[i])
        keep_names.append(names[i])
        keep_geoms.append(gap)
        keep_area.append(gap.area)
        if people is None:
            keep_pop.append(ward_pop[i] * gap.area / area_m2[i] if area_m2[i] > 0 else np.nan)
        else:
            keep_pop.append(np.nan)  # filled below in one exactextract pass
    gaps = gpd.GeoDataFrame(
        {
            "ward_id": pd.array(keep_ids, dtype="string"),
            "name": pd.array(keep_names, dtype="string"),
            "area_km2": np.asarray(keep_area, dtype="float64") / 1e6,
            "population": np.asarray(keep_pop, dtype="float64"),
        },
        geometry=gpd.GeoSeries(keep_geoms, crs=grid.crs),
        crs=grid.crs,
    )
    if people is not None and len(gaps):
        feats = gpd.GeoDataFrame(
            {"_i": np.arange(len(gaps))}, geometry=gaps.geometry.to_numpy(), crs=grid.crs
        )
        sums = exactextract.exact_extract(
            _source(people, grid, "pop"), feats, ["sum"], output="pandas", include_cols=["_i"]
        )
        gaps["population"] = _by_feature(sums, "sum", len(gaps))
    return gaps.to_crs(WGS84)


def _window(
    bounds: tuple[float, float, float, float], grid: GridSpec
) -> rasterio.windows.Window | None:
    """Pixel window of ``grid`` covering ``bounds``, clipped; None if disjoint."""
    res = grid.resolution_m
    left, _bottom, _right, top = grid.bounds
    minx, miny, maxx, maxy = bounds
    c0 = max(math.floor((minx - left) / res), 0)
    c1 = min(math.ceil((maxx - left) / res), grid.width)
    r0 = max(math.floor((top - maxy) / res), 0)
    r1 = min(math.ceil((top - miny) / res), grid.height)
    if c0 >= c1 or r0 >= r1:
        return None
    return rasterio.windows.Window(c0, r0, c1 - c0, r1 - r0)


# --------------------------------------------------------------------------- population


def population_on_grid(raster: str | os.PathLike | Any, grid: GridSpec) -> tuple[np.ndarray, str]:
    """Resample a people-per-pixel raster onto ``grid`` (people per grid pixel).

    Parameters
    ----------
    raster : path or open rasterio dataset
        Band 1 = people per pixel; nodata and NaN count as 0; any CRS.
    grid : GridSpec
        Target grid.

    Returns
    -------
    people : ndarray
        float32 ``(height, width)`` people per grid pixel.
    source : str
        ``"raster:<file name>"``.

    Raises
    ------
    DataError
        Unreadable raster, no CRS, or negative counts.

    Notes
    -----
    density = people / (geodesic pixel area) on the source grid, resampled to
    the target grid (nearest when the source pixels are larger than the grid's,
    average otherwise), people = density × grid pixel area. Only the part of
    the source that covers the grid is read.
    """
    if isinstance(raster, (str, os.PathLike)):
        name = Path(raster).name
        try:
            with rasterio.open(raster) as src:
                return _resample_population(src, grid), f"raster:{name}"
        except rasterio.errors.RasterioIOError as exc:
            raise DataError(f"could not read the population raster ({exc}).", file=name) from exc
    name = Path(getattr(raster, "name", "<raster>")).name
    return _resample_population(raster, grid), f"raster:{name}"


def _resample_population(src: Any, grid: GridSpec) -> np.ndarray:
    name = Path(getattr(src, "name", "<raster>")).name
    if src.crs is None:
        raise DataError(
            "the population raster has no CRS; give it one (e.g. EPSG:4326).", file=name
        )
    src_crs = CRS.from_user_input(src.crs)
    # Read only the source window that covers the grid (plus one pixel).
    bounds = rasterio.warp.transform_bounds(grid.crs, src_crs, *grid.bounds, densify_pts=21)
    win = rasterio.windows.from_bounds(*bounds, transform=src.transform)
    c0, r0 = math.floor(win.col_off) - 1, math.floor(win.row_off) - 1
    c1 = math.ceil(win.col_off + win.width) + 1
    r1 = math.ceil(win.row_off + win.height) + 1
    win = rasterio.windows.Window(c0, r0, c1 - c0, r1 - r0)
    win = win.intersection(rasterio.windows.Window(0, 0, src.width, src.height))
    data = src.read(1, window=win, masked=True).astype("float64").filled(0.0)
    data[~np.isfinite(data)] = 0.0
    if np.any(data < 0):
        raise DataError("the population raster has negative people counts.", file=name)
    transform = rasterio.windows.transform(win, src.transform)
    src_area = _pixel_areas_m2(transform, data.shape, src_crs)
    density = data / src_area
    # Compare pixel sizes in metres to choose the resampling.
    src_res_m = float(np.sqrt(np.median(src_area)))
    resampling = (
        rasterio.warp.Resampling.nearest
        if src_res_m >= grid.resolution_m
        else rasterio.warp.Resampling.average
    )
    out = np.zeros(grid.shape, dtype="float64")
    rasterio.warp.reproject(
        density,
        out,
        src_transform=transform,
        src_crs=src_crs,
        dst_transform=grid.transform,
        dst_crs=grid.crs,
        resampling=resampling,
        src_nodata=None,
        dst_nodata=0.0,
    )
    people = (out * grid.pixel_area_m2).astype("float32")
    log.info(
        "population raster %s: %.0f people in the source window, %.0f on the grid (%s)",
        name, float(data.sum()), float(people.sum(dtype="float64")), resampling.name,
    )  # fmt: skip
    return people


def _pixel_areas_m2(transform: Any, shape: tuple[int, int], crs: CRS) -> np.ndarray:
    """Ground area of each source pixel [m²], shape ``shape``.

    In a geographic CRS every pixel of a row has the same geodesic area
    (Karney's algorithm on the WGS84 ellipsoid); in a projected CRS the area
    is the pixel size in map units (metres assumed).
    """
    h, w = shape
    if crs.is_geographic:
        dlon = abs(transform.a)
        top = transform.f + np.arange(h) * transform.e
        bottom = top + transform.e
        areas = np.empty(h)
        for r in range(h):
            lats = [top[r], top[r], bottom[r], bottom[r]]
            a, _ = _GEOD.polygon_area_perimeter([0.0, dlon, dlon, 0.0], lats)
            areas[r] = abs(a)
        return np.repeat(areas[:, None], w, axis=1)
    return np.full((h, w), abs(transform.a * transform.e - transform.b * transform.d))


__all__ = ["RasterCoverage", "population_on_grid", "ward_coverage_raster"]
