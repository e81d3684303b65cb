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
    area (:func:`phusong.io.population.population_on_grid`). Totals are
    conserved up to the pixels cut by source pixel edges (the resampled total
    is logged against the source total). People are then counted with the
    same partial-pixel weights as the areas.

The table itself is built by :func:`phusong.coverage_table.ward_coverage_table`,
as in the other routes: percentages are NaN where a ward has no area or no
(or unknown) people.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
from dataclasses import dataclass
from typing import Any

import exactextract
import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import rasterio.features
import rasterio.windows
import shapely
from exactextract.raster import NumPyRasterSource

from phusong.coverage_table import ward_coverage_table
from phusong.errors import ConfigError
from phusong.raster.grid import GridResult, GridSpec
from phusong.raster.ward_pixels import Overlap, overlap_key, ward_overlap
from phusong.schema import ANY_OPERATOR, REDUNDANCY_CLASSES, WGS84

log = logging.getLogger(__name__)

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
    overlap = grid_result.overlap
    if overlap is None or not overlap.serves(population_raster, overlap_key(geoms, grid)):
        overlap = ward_overlap(projected, grid, population_raster)
        grid_result.overlap = overlap  # the later per-ward steps reuse the pieces
    sums = _zonal_sums(wards, overlap, grid, list(layers.values()))
    class_m2, class_pop = _class_sums(sums, len(layers), area_m2, grid.pixel_area_m2)
    table = ward_coverage_table(
        ward_ids, list(layers), area_m2=area_m2, population=sums.ward_pop,
        class_area_m2=class_m2, class_people=class_pop,
    )  # fmt: skip
    gaps = _gaps(
        projected, ward_ids, names, area_m2, sums.ward_pop, grid_result, overlap,
        min_gap_area_m2,
    )  # fmt: skip
    if sums.people is not None:
        log.info("population raster: %.0f people in the wards", float(np.nansum(sums.ward_pop)))
    return RasterCoverage(table=table, gaps=gaps, population_source=sums.source)


@dataclass
class _ZonalSums:
    """Per-ward sums of the server-class layers inside the grid, and the people."""

    #: ``(n, n_layers, 4)`` area of each class inside the grid [m²].
    class_m2: np.ndarray
    #: ``(n, n_layers, 4)`` people of each class (population raster only).
    class_people: np.ndarray | None
    #: People per ward: the official figure, or the raster's sum over the ward.
    ward_pop: np.ndarray
    #: People per grid pixel (population raster only).
    people: np.ndarray | None
    #: ``"raster:<name>"`` or ``"uniform:official"``.
    source: str


def _zonal_sums(
    wards: gpd.GeoDataFrame, overlap: Overlap, grid: GridSpec, layers: list[np.ndarray]
) -> _ZonalSums:
    """Area (and people) of every ward in every redundancy class of every layer, inside the grid.

    The wards' pieces (:func:`phusong.raster.ward_pixels.ward_overlap`: each
    ward's pixels and their exact coverage fractions c_p, found once) give
    the class sums ``Σ c_p A`` (and ``Σ c_p P_p``) per class by
    :func:`numpy.bincount`, for every layer.
    """
    n, n_layers, n_cls = overlap.n_wards, len(layers), len(_CLASSES)
    ward, pix, cov = overlap.ward, overlap.pixel, overlap.fraction
    people = overlap.people
    w_area = cov * grid.pixel_area_m2
    w_people = None if people is None else cov * np.nan_to_num(people.ravel()[pix])
    class_m2 = np.zeros((n, n_layers, n_cls))
    class_people = np.zeros_like(class_m2) if w_people is not None else None
    size = n * n_cls
    base = ward * n_cls
    for j, arr in enumerate(layers):
        key = base + _classes(np.asarray(arr).ravel()[pix])  # the pieces' pixels only
        class_m2[:, j, :] = np.bincount(key, weights=w_area, minlength=size).reshape(n, n_cls)
        if class_people is not None:
            class_people[:, j, :] = np.bincount(key, weights=w_people, minlength=size).reshape(
                n, n_cls
            )
    if w_people is None:
        source = "uniform:official"
        ward_pop = (
            pd.to_numeric(wards["population"], errors="coerce").to_numpy(dtype="float64")
            if "population" in wards
            else np.full(n, np.nan)
        )
    else:
        source = str(overlap.people_label)
        ward_pop = np.bincount(ward, weights=w_people, minlength=n)
    return _ZonalSums(class_m2, class_people, ward_pop, people, source)


def _class_sums(
    sums: _ZonalSums, n_layers: int, area_m2: np.ndarray, pixel_area_m2: float
) -> tuple[np.ndarray, np.ndarray]:
    """Area [m²] and people per (ward, layer, redundancy class), shape ``(n, n_layers, 4)``.

    A part of a ward outside the grid counts as unserved (class 0). Without a
    population raster, people are spread evenly: class people = class area /
    ward area × ward population.
    """
    class_m2 = sums.class_m2.copy()
    inside_m2 = class_m2.sum(axis=2)
    class_m2[:, :, 0] += np.maximum(area_m2[:, None] - inside_m2, 0.0)
    if sums.class_people is not None:
        return class_m2, sums.class_people.copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        class_pop = class_m2 / area_m2[:, None, None] * sums.ward_pop[:, None, None]
    return class_m2, class_pop


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
    lows = [lo for lo, _hi in REDUNDANCY_CLASSES.values()]
    top = max(lows)
    lut = np.zeros(top + 1, dtype="uint8")  # code of each count 0 … top (top and above)
    for code, lo in enumerate(lows):
        lut[lo:] = code
    return lut[np.minimum(n_servers, top)]


def _source(array: np.ndarray, grid: GridSpec, name: str) -> NumPyRasterSource:
    left, bottom, right, top = grid.bounds
    return NumPyRasterSource(array, left, bottom, right, top, name=name, srs_wkt=grid.crs.to_wkt())


def _by_feature(frame: pd.DataFrame, column: str, n: int) -> np.ndarray:
    return (
        frame.set_index("_i")[column].reindex(np.arange(n)).to_numpy(dtype="float64", na_value=0.0)
    )


# --------------------------------------------------------------------------- gaps


def _gaps(
    projected: gpd.GeoDataFrame,
    ward_ids: np.ndarray,
    names: np.ndarray,
    area_m2: np.ndarray,
    ward_pop: np.ndarray,
    grid_result: GridResult,
    overlap: Overlap,
    min_gap_area_m2: float,
) -> gpd.GeoDataFrame:
    """Unserved ("any") parts of each ward as polygons, clipped to the ward.

    Only the unserved pixels that overlap the ward (its pieces in
    ``overlap``) are polygonised, then clipped to it. People in a gap: the
    unserved pixels clipped to the ward are exactly the ward's unserved
    pieces, so their people are the pieces' sum; the parts dropped as too
    small are then taken off (their people summed by exactextract, exact
    partial-pixel weights, as for any polygon).
    """
    grid = grid_result.grid
    unserved = (grid_result.n_servers == 0).ravel()
    people = overlap.people
    piece_unserved = unserved[overlap.pixel]
    starts = np.searchsorted(overlap.ward, np.arange(overlap.n_wards + 1), side="left")
    piece_people = (
        None if people is None
        else overlap.fraction * np.nan_to_num(people).ravel()[overlap.pixel] * piece_unserved
    )  # fmt: skip
    keep_i, keep_geoms, keep_pop, dropped, dropped_of = [], [], [], [], []
    for i, ward in enumerate(projected.geometry.to_numpy()):
        if ward is None or ward.is_empty:
            continue
        span = slice(starts[i], starts[i + 1])
        gap, small = _ward_gap(ward, i, overlap, span, piece_unserved[span], grid, min_gap_area_m2)
        if gap is None:
            continue
        keep_i.append(i)
        keep_geoms.append(gap)
        if piece_people is None:
            keep_pop.append(ward_pop[i] * gap.area / area_m2[i] if area_m2[i] > 0 else np.nan)
        else:
            keep_pop.append(float(piece_people[span].sum()))  # all unserved; less the dropped
            dropped.extend(small)
            dropped_of.extend([len(keep_i) - 1] * len(small))
    idx = np.asarray(keep_i, dtype="int64")
    pop = np.asarray(keep_pop, dtype="float64")
    if people is not None and dropped:
        pop = np.maximum(pop - _dropped_people(dropped, dropped_of, len(pop), people, grid), 0.0)
    gaps = gpd.GeoDataFrame(
        {
            "ward_id": pd.array(ward_ids[idx] if len(idx) else [], dtype="string"),
            "name": pd.array(names[idx] if len(idx) else [], dtype="string"),
            "area_km2": shapely.area(np.asarray(keep_geoms, dtype=object)) / 1e6
            if keep_geoms else np.empty(0),
            "population": pop,
        },
        geometry=gpd.GeoSeries(keep_geoms, crs=grid.crs),
        crs=grid.crs,
    )  # fmt: skip
    return gaps.to_crs(WGS84)


def _ward_gap(
    ward: shapely.Geometry,
    i: int,
    overlap: Overlap,
    span: slice,
    unserved: np.ndarray,
    grid: GridSpec,
    min_gap_area_m2: float,
) -> tuple[shapely.Geometry | None, list[shapely.Geometry]]:
    """One ward's gap polygon (``None``: none listed) and the parts dropped as too small.

    Remembered on the overlap (:attr:`Overlap.memo`) by the ward and which
    of its pieces are unserved (its polygons), and by the size limit too (the
    gap): the same ward with the same unserved pixels (a plan's re-audit,
    most wards) is not polygonised again, whatever the limit.
    """
    digest = hashlib.sha1(np.packbits(unserved).tobytes(), usedforsecurity=False).digest()
    key = ("gap", i, float(min_gap_area_m2), digest)
    got = overlap.memo.get(key)
    if got is not None:
        return got
    found = overlap.memo.get(("pieces", i, digest))  # any size limit: the same polygons
    if found is None:
        parts = _unserved_shapes(overlap.pixel[span][unserved], grid)
        # The part of a ward outside the grid has no coverage information: unserved.
        outside = shapely.difference(ward, shapely.box(*grid.bounds))
        if not outside.is_empty:
            parts.append(outside)
        pieces = np.empty(0, dtype=object)
        if parts:
            pieces = shapely.intersection(np.array(parts, dtype=object), ward)
            pieces = shapely.get_parts(shapely.get_parts(pieces))
            pieces = pieces[shapely.get_type_id(pieces) == 3]  # polygons
        found = (pieces, not outside.is_empty)
        _remember(overlap.memo, ("pieces", i, digest), found)
    pieces, with_outside = found
    got = (None, [])
    big = shapely.area(pieces) >= min_gap_area_m2
    if big.any():
        got = (_union_of_pieces(pieces[big], with_outside), list(pieces[~big]))
    _remember(overlap.memo, key, got)
    return got


def _union_of_pieces(pieces: np.ndarray, with_outside: bool) -> shapely.Geometry:
    """Return the union of a ward's gap pieces.

    The pieces of 4-connected unserved pixels clipped to the ward share no
    edge (two pixels sharing an edge are one piece), so their union is their
    multipolygon; checked valid, else (and with the part outside the grid,
    which may share edges with them) the full union.
    """
    if not with_outside:
        if len(pieces) == 1:
            return pieces[0]
        multi = shapely.multipolygons(pieces)
        if shapely.is_valid(multi):
            return multi
    return shapely.union_all(pieces)


def _remember(memo: dict[Any, Any], key: Any, value: Any) -> None:
    """Keep ``value`` in an overlap's memo (emptied when it grows past its size)."""
    if len(memo) > _GAP_MEMO_SIZE:
        memo.clear()
    memo[key] = value


#: Most ward gaps remembered on one overlap (a few audits' worth).
_GAP_MEMO_SIZE = 4096


def _dropped_people(
    parts: list[shapely.Geometry], owner: list[int], n: int, people: np.ndarray, grid: GridSpec
) -> np.ndarray:
    """People in the gap parts dropped as too small, summed per gap (``owner``: gap position)."""
    feats = gpd.GeoDataFrame(
        {"_i": np.arange(len(parts))}, geometry=np.asarray(parts, dtype=object), crs=grid.crs
    )
    sums = exactextract.exact_extract(
        _source(people, grid, "pop"), feats, ["sum"], output="pandas", include_cols=["_i"]
    )
    per_part = _by_feature(sums, "sum", len(parts))
    return np.bincount(np.asarray(owner, dtype="int64"), weights=per_part, minlength=n)


def _unserved_shapes(pixels: np.ndarray, grid: GridSpec) -> list[shapely.Geometry]:
    """Polygons (4-connected) of the unserved pixels ``pixels`` (flat indices) of ``grid``."""
    if not pixels.size:
        return []
    rows, cols = np.divmod(pixels, grid.width)
    r0, c0 = int(rows.min()), int(cols.min())
    block = np.zeros((int(rows.max()) - r0 + 1, int(cols.max()) - c0 + 1), dtype="uint8")
    block[rows - r0, cols - c0] = 1
    win = rasterio.windows.Window(c0, r0, block.shape[1], block.shape[0])
    transform = rasterio.windows.transform(win, grid.transform)
    return [
        shapely.geometry.shape(geom)
        for geom, _value in rasterio.features.shapes(
            block, mask=block.astype(bool), transform=transform, connectivity=4
        )
    ]


__all__ = ["RasterCoverage", "ward_coverage_raster"]
