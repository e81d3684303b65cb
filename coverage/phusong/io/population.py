"""Read a people-per-pixel raster (e.g. WorldPop): onto a grid, or summed over polygons.

One reader for every route: :func:`open_population` opens the raster once
and gives a :class:`PopulationRaster`, which

* resamples the part of the raster under a grid onto that grid
  (:meth:`PopulationRaster.on_grid`; the raster routes, whole grid or one
  tile), and
* sums the people inside polygons with exact partial-pixel weights
  (:meth:`PopulationRaster.sums`; the vector route).

Resampling onto a grid
----------------------
The raster may be in any CRS and at any resolution. Its counts are turned
into a density (people / m², using each source pixel's geodesic area when the
raster is in degrees), resampled onto the grid (nearest neighbour when the
source pixels are larger than the grid's, so each grid pixel takes the density
of the source pixel holding its centre; average when they are smaller) and
multiplied by the grid pixel area. Totals are conserved up to the pixels cut
by source pixel edges (the resampled total is logged against the source
total). Nodata and NaN count as 0 people.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import exactextract
import geopandas as gpd
import numpy as np
import rasterio
import rasterio.errors
import rasterio.warp
import rasterio.windows
import shapely
from affine import Affine
from pyproj import CRS, Geod

from phusong.errors import DataError
from phusong.io.rasters import GridLike

log = logging.getLogger(__name__)

_GEOD = Geod(ellps="WGS84")

#: What :func:`open_population` accepts: a path or an open rasterio dataset.
PopulationLike = str | os.PathLike[str] | Any


class PopulationRaster:
    """An open people-per-pixel raster (band 1).

    Made by :func:`open_population`; valid inside its ``with`` block.

    Parameters
    ----------
    dataset : rasterio dataset
        The open raster.
    name : str
        File name shown in messages and in :attr:`label`.
    path : pathlib.Path or None
        The file, when the raster was opened from a path.
    """

    def __init__(self, dataset: Any, name: str, path: Path | None = None) -> None:
        self.dataset = dataset
        self.name = name
        self.path = path

    @property
    def label(self) -> str:
        """Population source as the coverage tables name it: ``"raster:<file name>"``."""
        return f"raster:{self.name}"

    @property
    def crs(self) -> Any:
        """CRS of the raster (a rasterio CRS), or None."""
        return self.dataset.crs

    def on_grid(self, grid: GridLike) -> np.ndarray:
        """People per pixel of ``grid`` [people], float32 ``(height, width)``.

        Only the source window under the grid (plus one pixel) is read. A
        tile of a larger grid (same CRS, resolution and pixel edges) gets
        the values the whole-grid resampling gives its pixels, up to GDAL's
        approximate reprojection (about 1e-4 relative).

        Raises
        ------
        DataError
            No CRS, an unreadable window, or negative counts.
        """
        src_crs, data, transform = self._read_under(grid)
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
            self.name, float(data.sum()), float(people.sum(dtype="float64")), resampling.name,
        )  # fmt: skip
        return people

    def _read_under(self, grid: GridLike) -> tuple[CRS, np.ndarray, Affine]:
        """CRS, counts (float64, nodata → 0) and transform of the source window under ``grid``."""
        src = self.dataset
        if src.crs is None:
            raise DataError(
                "the population raster has no CRS; give it one (e.g. EPSG:4326).", file=self.name
            )
        src_crs = CRS.from_user_input(src.crs)
        bounds = rasterio.warp.transform_bounds(grid.crs, src_crs, *grid.bounds, densify_pts=21)
        win = rasterio.windows.from_bounds(*bounds, transform=src.transform)
        c0, r0 = math.floor(win.col_off) - 1, math.floor(win.row_off) - 1
        c1 = math.ceil(win.col_off + win.width) + 1
        r1 = math.ceil(win.row_off + win.height) + 1
        win = rasterio.windows.Window(c0, r0, c1 - c0, r1 - r0)
        try:
            win = win.intersection(rasterio.windows.Window(0, 0, src.width, src.height))
        except rasterio.errors.WindowError:  # the grid lies outside the raster: nobody there
            return src_crs, np.zeros((1, 1)), src.transform * Affine.translation(-2, -2)
        try:
            data = src.read(1, window=win, masked=True).astype("float64").filled(0.0)
        except rasterio.errors.RasterioIOError as exc:
            raise DataError(
                f"could not read the population raster ({exc}).", file=self.name
            ) from exc
        data[~np.isfinite(data)] = 0.0
        if np.any(data < 0):
            raise DataError("the population raster has negative people counts.", file=self.name)
        return src_crs, data, rasterio.windows.transform(win, src.transform)

    def sums(self, geoms: np.ndarray, crs: Any) -> np.ndarray:
        """People inside each geometry: exactextract ``sum`` of the raster [people].

        Parameters
        ----------
        geoms : ndarray of shapely geometries
            Polygons; empty or missing ones get 0.
        crs : CRS-like
            CRS of ``geoms``; they are reprojected to the raster's CRS.

        Returns
        -------
        ndarray
            float64 people per geometry (pixels weighted by their covered
            fraction; nodata counts as 0).
        """
        out = np.zeros(len(geoms))
        ok = ~(shapely.is_empty(geoms) | shapely.is_missing(geoms))
        if not ok.any():
            return out
        frame = gpd.GeoDataFrame({"i": np.flatnonzero(ok)}, geometry=geoms[ok], crs=crs)
        if self.crs is not None:
            frame = frame.to_crs(self.crs)
        # By path, exactextract reads with GDAL directly (as it always has here).
        source = str(self.path) if self.path is not None else self.dataset
        res = exactextract.exact_extract(source, frame, "sum", include_cols=["i"], output="pandas")
        out[res["i"].to_numpy()] = np.nan_to_num(res["sum"].to_numpy(dtype="float64"))
        return out


@contextmanager
def open_population(raster: PopulationLike) -> Iterator[PopulationRaster]:
    """Open a people-per-pixel raster for the ``with`` block.

    Parameters
    ----------
    raster : path, open rasterio dataset or PopulationRaster
        A path is opened here and closed on exit; a dataset (or an already
        open :class:`PopulationRaster`) is used as it is and left open.

    Yields
    ------
    PopulationRaster

    Raises
    ------
    DataError
        The file cannot be opened as a raster.
    """
    if isinstance(raster, PopulationRaster):
        yield raster
        return
    if not isinstance(raster, (str, os.PathLike)):
        yield PopulationRaster(raster, Path(getattr(raster, "name", "<raster>")).name)
        return
    path = Path(raster)
    try:
        src = rasterio.open(path)
    except rasterio.errors.RasterioIOError as exc:
        raise DataError(f"could not read the population raster ({exc}).", file=path.name) from exc
    with src:
        yield PopulationRaster(src, path.name, path)


# --------------------------------------------------------------------------
# Checks before any route reads the raster (issue #13)
# --------------------------------------------------------------------------
#: Highest believable people per km² of one pixel: far above Hà Nội's densest
#: wards (about 40,000 / km²) and the densest city districts on Earth (about
#: 100,000 / km²). Higher values mean the raster holds a density, not counts.
MAX_PEOPLE_PER_KM2 = 200_000.0


def _window_under(src: Any, crs: CRS, bounds: tuple[float, float, float, float]) -> Any:
    """Window of ``src`` under ``bounds`` (in ``crs``), or ``None`` when they do not overlap."""
    left, bottom, right, top = rasterio.warp.transform_bounds(crs, src.crs, *bounds, densify_pts=21)
    sl, sb, sr, st = src.bounds
    if right <= sl or left >= sr or top <= sb or bottom >= st:
        return None
    win = rasterio.windows.from_bounds(
        max(left, sl), max(bottom, sb), min(right, sr), min(top, st), transform=src.transform
    )
    win = win.round_offsets(op="floor").round_lengths(op="ceil")
    return win.intersection(rasterio.windows.Window(0, 0, src.width, src.height))


def check_population_raster(raster: PopulationLike, wards: gpd.GeoDataFrame) -> None:
    """Refuse a population raster that cannot give the wards' people, before any route reads it.

    Checks, each with a :class:`~phusong.errors.DataError` naming the file
    and the fix: the file opens as a raster; it has a CRS; it overlaps the
    wards; its pixels under the wards are not all nodata or 0; no count is
    negative; no pixel holds more than :data:`MAX_PEOPLE_PER_KM2` people per
    km² of its area (a density raster given as counts).

    Parameters
    ----------
    raster : path, open rasterio dataset or PopulationRaster
        People per pixel (band 1).
    wards : GeoDataFrame
        The study area, with a CRS.
    """
    with open_population(raster) as pop:
        src, name = pop.dataset, pop.name
        if src.crs is None:
            raise DataError(
                "the population raster has no coordinate reference system, so it cannot be "
                "placed on the wards; give it one (e.g. gdal_edit.py -a_srs EPSG:4326 FILE, for "
                "WorldPop) and try again.",
                file=name,
            )
        bounds = tuple(float(v) for v in wards.total_bounds)
        win = _window_under(src, CRS.from_user_input(wards.crs), bounds)  # type: ignore[arg-type]
        if win is None or win.width < 1 or win.height < 1:
            raise DataError(
                f"the population raster (bounds {tuple(round(v, 4) for v in src.bounds)} in "
                f"{src.crs}) does not overlap the wards; give a raster of the study area (e.g. "
                "WorldPop's for Vietnam).",
                file=name,
            )
        try:
            data = src.read(1, window=win, masked=True).astype("float64")
        except (rasterio.errors.RasterioIOError, ValueError) as exc:
            raise DataError(f"could not read the population raster ({exc}).", file=name) from exc
        _check_counts(data, rasterio.windows.transform(win, src.transform), src.crs, name)


def _check_counts(data: np.ma.MaskedArray, transform: Affine, crs: Any, name: str) -> None:
    """Refuse all-nodata, negative and density-like values under the wards."""
    values = data.filled(np.nan)
    finite = np.isfinite(values)
    if not finite.any() or not np.nansum(np.where(finite, values, 0.0)) > 0:
        raise DataError(
            "the population raster holds no people over the wards (every pixel there is "
            "nodata or 0); check its nodata value, or give the raster of the right area.",
            file=name,
        )
    if np.nanmin(values) < 0:
        raise DataError(
            "the population raster has negative people counts; give counts per pixel (≥ 0).",
            file=name,
        )
    area_km2 = _pixel_areas_m2(transform, values.shape, CRS.from_user_input(crs)) / 1e6
    density = np.where(finite, values, 0.0) / area_km2
    if float(density.max()) > MAX_PEOPLE_PER_KM2:
        raise DataError(
            f"a pixel holds {float(density.max()):,.0f} people per km² of its area; this raster "
            "looks like a density (people per km²), not people per pixel. Give a people-per-"
            "pixel raster (WorldPop 'ppp'), or multiply the density by each pixel's area.",
            file=name,
        )


def population_on_grid(raster: PopulationLike, grid: GridLike) -> tuple[np.ndarray, str]:
    """Resample a people-per-pixel raster onto ``grid`` (people per grid pixel).

    Parameters
    ----------
    raster : path or open rasterio dataset
        Band 1 = people per pixel; nodata and NaN count as 0; any CRS.
    grid : GridSpec
        Target grid (:class:`phusong.raster.grid.GridSpec`, or one tile of it).

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
    with open_population(raster) as pop:
        return pop.on_grid(grid), pop.label


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


# --------------------------------------------------------------------------
# The shipped WorldPop raster and a raster's pixels as polygons (issue #12)
# --------------------------------------------------------------------------
#: File name of the shipped WorldPop 2020 1 km raster (``data/population/``).
WORLDPOP_FILE = "hanoi_worldpop_2020_1km.tif"
#: Credit line WorldPop's CC BY 4.0 licence asks for, wherever its people are used.
WORLDPOP_CREDIT = (
    "WorldPop (www.worldpop.org), University of Southampton; DOI 10.5258/SOTON/WP00671 (CC BY 4.0)"
)


def worldpop_path() -> Path:
    """Path of the shipped WorldPop 2020 1 km raster of Hà Nội (see ``data/population/README.md``)."""
    from phusong.io.shipped import data_path

    return data_path("population", WORLDPOP_FILE)


def _pixels_under(src: Any, crs: CRS, bounds: tuple[float, ...]) -> Any:
    """Whole-pixel window of ``src`` holding ``bounds`` (in ``crs``) plus one pixel; None if disjoint."""
    left, bottom, right, top = rasterio.warp.transform_bounds(crs, src.crs, *bounds, densify_pts=21)
    win = rasterio.windows.from_bounds(left, bottom, right, top, transform=src.transform)
    c0, r0 = math.floor(win.col_off) - 1, math.floor(win.row_off) - 1
    c1 = math.ceil(win.col_off + win.width) + 1
    r1 = math.ceil(win.row_off + win.height) + 1
    c0, r0, c1, r1 = max(c0, 0), max(r0, 0), min(c1, src.width), min(r1, src.height)
    if c1 <= c0 or r1 <= r0:
        return None
    return rasterio.windows.Window(c0, r0, c1 - c0, r1 - r0)


def raster_pixels(
    raster: PopulationLike, wards: gpd.GeoDataFrame
) -> tuple[np.ndarray, np.ndarray, CRS, str]:
    """Return the pixels of a people-per-pixel raster under the wards, as polygons.

    Parameters
    ----------
    raster : path, open rasterio dataset or PopulationRaster
        People per pixel (band 1); nodata and NaN count as 0.
    wards : GeoDataFrame
        The study area (any CRS).

    Returns
    -------
    boxes : ndarray of shapely Polygons
        One square per pixel of the window under the wards (plus one pixel),
        in the raster's CRS.
    people : ndarray
        float64 people of each pixel [people] (≥ 0).
    crs : pyproj.CRS
        The raster's CRS.
    label : str
        ``"raster:<file name>"``.

    Raises
    ------
    DataError
        No CRS, an unreadable window, or negative counts.
    """
    with open_population(raster) as pop:
        src = pop.dataset
        if src.crs is None:
            raise DataError(
                "the population raster has no CRS; give it one (e.g. EPSG:4326).", file=pop.name
            )
        crs = CRS.from_user_input(src.crs)
        win = _pixels_under(src, CRS.from_user_input(wards.crs), tuple(wards.total_bounds))
        if win is None:
            return np.empty(0, dtype=object), np.zeros(0), crs, pop.label
        data = src.read(1, window=win, masked=True).astype("float64").filled(0.0)
        data[~np.isfinite(data)] = 0.0
        if np.any(data < 0):
            raise DataError("the population raster has negative people counts.", file=pop.name)
        t = rasterio.windows.transform(win, src.transform)
        rows, cols = np.indices(data.shape)
        x0, y0 = t.c + cols * t.a, t.f + rows * t.e
        boxes = shapely.box(
            np.minimum(x0, x0 + t.a).ravel(), np.minimum(y0, y0 + t.e).ravel(),
            np.maximum(x0, x0 + t.a).ravel(), np.maximum(y0, y0 + t.e).ravel(),
        )  # fmt: skip
        return boxes, data.ravel(), crs, pop.label


__all__ = [
    "MAX_PEOPLE_PER_KM2",
    "WORLDPOP_CREDIT",
    "WORLDPOP_FILE",
    "PopulationLike",
    "PopulationRaster",
    "check_population_raster",
    "open_population",
    "population_on_grid",
    "raster_pixels",
    "worldpop_path",
]
