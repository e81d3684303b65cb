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
from typing import Any, Protocol

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

log = logging.getLogger(__name__)

_GEOD = Geod(ellps="WGS84")

#: What :func:`open_population` accepts: a path or an open rasterio dataset.
PopulationLike = str | os.PathLike[str] | Any


class TargetGrid(Protocol):
    """What resampling needs of a grid (:class:`phusong.raster.grid.GridSpec` has it)."""

    @property
    def crs(self) -> CRS:
        """Projected CRS of the grid, in metres."""

    @property
    def transform(self) -> Affine:
        """Affine transform of the upper-left pixel corner [m]."""

    @property
    def resolution_m(self) -> float:
        """Pixel size [m]."""

    @property
    def shape(self) -> tuple[int, int]:
        """``(height, width)`` [pixels]."""

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(left, bottom, right, top)`` [m]."""

    @property
    def pixel_area_m2(self) -> float:
        """Ground area of one pixel [m²]."""


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

    def on_grid(self, grid: TargetGrid) -> np.ndarray:
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

    def _read_under(self, grid: TargetGrid) -> tuple[CRS, np.ndarray, Affine]:
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
        win = win.intersection(rasterio.windows.Window(0, 0, src.width, src.height))
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


def population_on_grid(raster: PopulationLike, grid: TargetGrid) -> tuple[np.ndarray, str]:
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


__all__ = [
    "PopulationLike",
    "PopulationRaster",
    "TargetGrid",
    "open_population",
    "population_on_grid",
]
