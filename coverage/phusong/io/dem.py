"""Read a digital elevation model (DEM) and resample it onto the engine's grid.

:func:`read_dem` opens one or several elevation rasters (SRTM ``.hgt`` tiles
through GDAL's SRTMHGT driver, GeoTIFFs, a ``.vrt`` mosaic, any format GDAL
reads), checks them, mosaics them (:func:`rasterio.merge.merge`, first file
wins where they overlap) and resamples the heights onto a metric grid such as
:class:`phusong.raster.spec.GridSpec` (:func:`heights_on_grid`).

Unknown is unknown: void pixels (the file's nodata, e.g. SRTM's −32768) and
everything outside the DEM are NaN, never 0 m. A grid pixel gets the bilinear
interpolation of the four DEM pixels around its centre when all four are
known, and NaN otherwise (no void filling). Callers compute such pixels
without terrain and report them as "terrain unknown".

The shipped tile (``data/dem/N21E105.hgt``, NASA/USGS SRTM 3″, public domain)
covers Hà Nội north of 21°N and west of 106°E: :func:`shipped_dem_paths`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
import rasterio.errors
import rasterio.merge
import rasterio.warp
from affine import Affine
from pyproj import CRS, Transformer

from phusong.errors import DataError, Problem
from phusong.io.files import input_record
from phusong.io.rasters import GridLike
from phusong.io.shipped import data_path

log = logging.getLogger(__name__)

__all__ = [
    "DEM_CREDIT",
    "DEM_CREDITS",
    "DEM_HEIGHT_RANGE_M",
    "SHIPPED_DEM_FILES",
    "DemOnGrid",
    "DemRaster",
    "heights_on_grid",
    "open_dem",
    "read_dem",
    "shipped_dem_paths",
    "source_key",
]

#: Files of the shipped DEM (``data/dem/``).
SHIPPED_DEM_FILES = ("N21E105.hgt",)
#: User-visible strings of this module, by language (terrain, issue #12): the
#: credit line of the shipped DEM, shown with every result that used it.
DEM_CREDITS = {
    "en": "Elevation: NASA/USGS SRTM (public domain)",
    "vi": "Dữ liệu độ cao: NASA/USGS SRTM (thuộc phạm vi công cộng)",
}
#: The credit line in English (:data:`DEM_CREDITS`).
DEM_CREDIT = DEM_CREDITS["en"]
#: Plausible terrain heights [m]: a known value outside this range means wrong
#: units or an undeclared nodata value (Dead Sea shore −430 m, Everest 8 849 m).
DEM_HEIGHT_RANGE_M = (-500.0, 9000.0)
#: Unit names accepted for the heights (GDAL band unit type; empty = unstated).
_METRE_UNITS = {"", "m", "metre", "metres", "meter", "meters"}
#: Distance between exact coordinate transforms when resampling [m] (the rest
#: are interpolated linearly: the grid→DEM map is smooth, so the position error
#: is a few millimetres; see :func:`_dem_pixel_coords`).
_LATTICE_M = 400.0
#: Grid rows resampled at a time (bounds the temporary memory).
_ROWS_PER_BLOCK = 512

#: What :func:`read_dem` accepts: ``None`` (the shipped tile), a path, or several.
DemSource = str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None


@dataclass(frozen=True)
class DemRaster:
    """Heights of a DEM (or a mosaic of several) as read, in the DEM's own CRS.

    Attributes
    ----------
    heights_m : ndarray
        float32 ``(rows, columns)`` heights [m]; NaN where void or outside.
    transform : affine.Affine
        Pixel-corner transform of ``heights_m`` in ``crs``.
    crs : pyproj.CRS
        CRS of the DEM.
    names : tuple of str
        The files read.
    records : tuple of dict
        Name and SHA-256 of each file (for ``summary.json``).
    """

    heights_m: np.ndarray
    transform: Affine
    crs: CRS
    names: tuple[str, ...]
    records: tuple[dict[str, Any], ...]

    @property
    def label(self) -> str:
        """The file names, comma-separated (for messages and reports)."""
        return ", ".join(self.names)


@dataclass(frozen=True)
class DemOnGrid:
    """Heights resampled onto a grid (with an optional margin around it).

    Attributes
    ----------
    heights_m : ndarray
        float32 ``(height + 2 margin, width + 2 margin)`` terrain heights
        above sea level at the pixel centres [m]; NaN = unknown.
    margin_px : int
        Pixels of margin on every side: ``heights_m[margin + r, margin + c]``
        is grid pixel ``(r, c)``.
    source : DemRaster
        What was resampled.
    """

    heights_m: np.ndarray
    margin_px: int
    source: DemRaster

    @property
    def known_fraction(self) -> float:
        """Fraction of the pixels (margin included) with a known height."""
        return float(np.isfinite(self.heights_m).mean()) if self.heights_m.size else 0.0


def shipped_dem_paths() -> list[Path]:
    """Paths of the shipped DEM tiles (``data/dem/``)."""
    return [data_path("dem", name) for name in SHIPPED_DEM_FILES]


def _source_paths(dem: DemSource) -> list[Path]:
    """Return the DEM files named by ``dem`` (``None``: the shipped tile), each checked to exist."""
    if dem is None:
        return shipped_dem_paths()
    paths = [Path(dem)] if isinstance(dem, (str, os.PathLike)) else [Path(p) for p in dem]
    if not paths:
        raise DataError(
            "no DEM file given; pass a GeoTIFF or SRTM .hgt path, or leave it out for the "
            "shipped tile.",
            file="<dem>",
        )
    missing = [p for p in paths if not p.is_file()]
    if missing:
        raise DataError(
            [
                Problem(p.name, None, None, f"DEM file not found ({p}); check the path, or "
                        "leave --dem out to use the shipped tile.")
                for p in missing
            ]
        )  # fmt: skip
    return paths


def source_key(dem: DemSource) -> tuple[tuple[str, int, int], ...]:
    """(path, modification time [ns], size [bytes]) of each DEM file: a key for caching what was read.

    Raises
    ------
    DataError
        A file is missing (as :func:`read_dem`).
    """
    out = []
    for p in _source_paths(dem):
        st = p.stat()
        out.append((str(p.resolve()), int(st.st_mtime_ns), int(st.st_size)))
    return tuple(out)


def _check_dataset(src: Any, name: str) -> None:
    """Raise a DataError naming ``name`` if the dataset is not a usable DEM (CRS, bands, units)."""
    if src.crs is None:
        raise DataError(
            f"the DEM has no coordinate reference system; assign one, e.g. "
            f"`gdal_edit.py -a_srs EPSG:4326 {name}` for longitude/latitude.",
            file=name,
        )
    if src.count < 1:
        raise DataError("the DEM has no raster band.", file=name)
    unit = (src.units[0] or "").strip().lower() if src.units else ""
    if unit not in _METRE_UNITS:
        raise DataError(
            f"the DEM's heights are in {src.units[0]!r}, not metres; convert them, e.g. "
            f'`gdal_calc.py -A {name} --calc="A*0.3048" --outfile dem_m.tif` for feet.',
            file=name,
        )
    if src.transform.b != 0 or src.transform.d != 0:
        raise DataError(
            "the DEM is rotated; warp it north-up first, e.g. `gdalwarp in.tif north_up.tif`.",
            file=name,
        )


def _check_heights(heights: np.ndarray, name: str) -> None:
    """Raise a DataError if a known height is implausible (wrong units or undeclared nodata)."""
    known = heights[np.isfinite(heights)]
    if known.size == 0:
        return
    lo, hi = float(known.min()), float(known.max())
    low, high = DEM_HEIGHT_RANGE_M
    if lo < low or hi > high:
        raise DataError(
            f"heights from {lo:g} to {hi:g} m: outside {low:g}…{high:g} m, so the heights are "
            f"not in metres or a nodata value is not declared; declare it, e.g. "
            f"`gdal_edit.py -a_nodata -32768 {name}`, or convert the heights to metres.",
            file=name,
        )


def open_dem(dem: DemSource = None, *, bounds: Any = None) -> DemRaster:
    """Read one DEM, or a mosaic of several, into memory (voids as NaN).

    Parameters
    ----------
    dem : path, sequence of paths or None
        SRTM ``.hgt`` tiles, GeoTIFFs, a ``.vrt``: anything GDAL reads with
        one band of heights in metres and a CRS. Several files must share a
        CRS (mosaic them into a VRT first otherwise); where they overlap the
        first one wins. ``None``: the shipped SRTM tile.
    bounds : (left, bottom, right, top), optional
        Read only this part, in the DEM's CRS (the study area plus a margin).

    Returns
    -------
    DemRaster

    Raises
    ------
    DataError
        A file is missing or unreadable, has no CRS, heights not in metres,
        implausible heights, or the files' CRSs differ (each message names
        the file and the fix).
    """
    paths = _source_paths(dem)
    names = tuple(p.name for p in paths)
    datasets = []
    try:
        for p in paths:
            try:
                datasets.append(rasterio.open(p))
            except rasterio.errors.RasterioIOError as exc:
                raise DataError(
                    f"cannot read the DEM ({exc}); pass a GeoTIFF or an SRTM .hgt file.",
                    file=p.name,
                ) from None
        for src, name in zip(datasets, names, strict=True):
            _check_dataset(src, name)
        crs = CRS.from_user_input(datasets[0].crs)
        for src, name in zip(datasets[1:], names[1:], strict=True):
            if CRS.from_user_input(src.crs) != crs:
                raise DataError(
                    f"this DEM's CRS ({src.crs}) differs from {names[0]}'s ({datasets[0].crs}); "
                    f"mosaic the files first, e.g. `gdalbuildvrt -resolution highest dem.vrt …`.",
                    file=name,
                )
        arr, transform = rasterio.merge.merge(
            datasets, bounds=bounds, indexes=[1], masked=True, dtype="float32"
        )
    finally:
        for src in datasets:
            src.close()
    heights = np.ma.filled(arr[0].astype("float32"), np.nan)
    _check_heights(heights, ", ".join(names))
    records = tuple(r for r in (input_record(p) for p in paths) if r is not None)
    return DemRaster(heights, transform, crs, names, records)


def _grid_transform(grid: GridLike, margin_px: int) -> Affine:
    """Transform of ``grid`` grown by ``margin_px`` pixels on every side."""
    return grid.transform * Affine.translation(-margin_px, -margin_px)


def _dem_bounds(grid: GridLike, margin_px: int, dem_crs: CRS) -> tuple[float, float, float, float]:
    """Bounds of the (grown) grid in the DEM's CRS, densified, for reading only what is needed."""
    t = _grid_transform(grid, margin_px)
    w, h = grid.width + 2 * margin_px, grid.height + 2 * margin_px
    left, top = t.c, t.f
    right, bottom = left + w * t.a, top + h * t.e
    return rasterio.warp.transform_bounds(
        grid.crs, dem_crs, left, bottom, right, top, densify_pts=21
    )


def _lattice(n: int, step: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lattice indices ``0, step, …, n−1``, and for each of ``0…n−1`` its lattice interval and fraction."""
    lattice = np.unique(np.r_[np.arange(0, n, step), n - 1])
    idx = np.arange(n)
    if lattice.size == 1:
        return lattice, np.zeros(n, dtype=np.intp), np.zeros(n)
    k = np.clip(np.searchsorted(lattice, idx, side="right") - 1, 0, lattice.size - 2)
    frac = (idx - lattice[k]) / (lattice[k + 1] - lattice[k])
    return lattice, k, frac


def _between(values: np.ndarray, k: np.ndarray, frac: np.ndarray, axis: int) -> np.ndarray:
    """Linear interpolation of lattice ``values`` along ``axis`` (interval ``k``, fraction ``frac``)."""
    lo = np.take(values, k, axis=axis)
    hi = np.take(values, np.minimum(k + 1, values.shape[axis] - 1), axis=axis)
    f = frac[:, None] if axis == 0 else frac[None, :]
    return lo + (hi - lo) * f


def _dem_pixel_coords(
    grid: GridLike, margin_px: int, dem: DemRaster, to_dem: Transformer, rows: slice
) -> tuple[np.ndarray, np.ndarray]:
    """Fractional DEM (row, column) of the centres of grid ``rows`` (0 = first pixel centre).

    Transforms a lattice of pixel centres about :data:`_LATTICE_M` apart
    exactly (pyproj) and interpolates linearly in between: the map from a
    metric grid to the DEM's CRS is smooth, so the position error is a few
    millimetres (the heights are tested against the raw file to 1 cm).
    """
    t = _grid_transform(grid, margin_px)
    w = grid.width + 2 * margin_px
    step = max(1, round(_LATTICE_M / grid.resolution_m))
    lat_r, k_r, f_r = _lattice(rows.stop - rows.start, step)
    lat_c, k_c, f_c = _lattice(w, step)
    xx, yy = np.meshgrid(t.c + (lat_c + 0.5) * t.a, t.f + (rows.start + lat_r + 0.5) * t.e)
    ex, ey = to_dem.transform(xx, yy)
    inv = ~dem.transform
    col = inv.a * np.asarray(ex) + inv.b * np.asarray(ey) + inv.c - 0.5
    row = inv.d * np.asarray(ex) + inv.e * np.asarray(ey) + inv.f - 0.5
    out = []
    for lattice_values in (row, col):
        along = _between(lattice_values, k_c, f_c, axis=1)  # lattice rows, every column
        out.append(_between(along, k_r, f_r, axis=0))  # every row
    return out[0], out[1]


def _bilinear_known(heights: np.ndarray, row: np.ndarray, col: np.ndarray) -> np.ndarray:
    """Bilinear heights at fractional (row, col); NaN unless all four neighbours are known."""
    h, w = heights.shape
    if h < 2 or w < 2:
        return np.full(row.shape, np.nan, dtype="float32")
    r0 = np.clip(np.floor(row), 0, h - 2).astype(np.intp)
    c0 = np.clip(np.floor(col), 0, w - 2).astype(np.intp)
    fr = row - r0
    fc = col - c0
    flat = heights.ravel()
    i00 = r0 * w + c0
    z00, z01 = flat.take(i00), flat.take(i00 + 1)
    z10, z11 = flat.take(i00 + w), flat.take(i00 + w + 1)
    # NaN in any neighbour propagates (0 × NaN is NaN): unknown stays unknown.
    top = z00 + (z01 - z00) * fc
    bottom = z10 + (z11 - z10) * fc
    out = (top + (bottom - top) * fr).astype("float32")
    outside = (row < 0) | (row > h - 1) | (col < 0) | (col > w - 1)
    out[outside] = np.nan
    return out


def heights_on_grid(dem: DemRaster, grid: GridLike, *, margin_px: int = 0) -> DemOnGrid:
    """Resample DEM heights onto the pixel centres of ``grid`` (and a margin around it).

    Parameters
    ----------
    dem : DemRaster
        Heights as read (:func:`open_dem`).
    grid : GridSpec or similar
        Target grid: projected CRS in metres, north-up transform.
    margin_px : int
        Extra pixels on every side (for sites just outside the grid).

    Returns
    -------
    DemOnGrid
        Bilinear interpolation of the four DEM pixels around each centre,
        NaN where any of them is void or outside the DEM.
    """
    margin_px = int(margin_px)
    h, w = grid.height + 2 * margin_px, grid.width + 2 * margin_px
    out = np.empty((h, w), dtype="float32")
    to_dem = Transformer.from_crs(grid.crs, dem.crs, always_xy=True)
    for start in range(0, h, _ROWS_PER_BLOCK):
        rows = slice(start, min(start + _ROWS_PER_BLOCK, h))
        row, col = _dem_pixel_coords(grid, margin_px, dem, to_dem, rows)
        out[rows] = _bilinear_known(dem.heights_m, row, col)
    return DemOnGrid(out, margin_px, dem)


def _extent(paths: list[Path]) -> tuple[CRS, Affine, tuple[float, float, float, float]]:
    """CRS and transform of the first file and the union of the files' bounds (in that CRS)."""
    boxes: list[tuple[float, ...]] = []
    for p in paths:
        try:
            with rasterio.open(p) as src:
                _check_dataset(src, p.name)
                if not boxes:
                    crs, transform = CRS.from_user_input(src.crs), src.transform
                boxes.append(tuple(src.bounds))
        except rasterio.errors.RasterioIOError as exc:
            raise DataError(
                f"cannot read the DEM ({exc}); pass a GeoTIFF or an SRTM .hgt file.", file=p.name
            ) from None
    b = np.asarray(boxes)
    return crs, transform, (b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max())


def _aligned_window(
    want: tuple[float, float, float, float],
    have: tuple[float, float, float, float],
    transform: Affine,
) -> tuple[float, float, float, float] | None:
    """Part of ``want`` inside ``have``, grown by two DEM pixels and snapped to the DEM's pixel edges.

    Snapping keeps the mosaic on the first file's own pixels (no resampling);
    ``None`` when the two do not overlap.
    """
    left, bottom = max(want[0], have[0]), max(want[1], have[1])
    right, top = min(want[2], have[2]), min(want[3], have[3])
    if left >= right or bottom >= top:
        return None
    px, py = abs(transform.a), abs(transform.e)
    x0, y0 = transform.c, transform.f
    left = x0 + (np.floor((left - x0) / px) - 2) * px
    right = x0 + (np.ceil((right - x0) / px) + 2) * px
    top = y0 - (np.floor((y0 - top) / py) - 2) * py
    bottom = y0 - (np.ceil((y0 - bottom) / py) + 2) * py
    return (float(left), float(bottom), float(right), float(top))


def read_dem(dem: DemSource, grid: GridLike, *, margin_px: int = 0) -> DemOnGrid:
    """Read a DEM and resample it onto ``grid``: :func:`open_dem` then :func:`heights_on_grid`.

    Only the part of the DEM under the grid (and its margin) is read.

    Parameters
    ----------
    dem : path, sequence of paths or None
        The DEM file(s); ``None`` for the shipped SRTM tile.
    grid : GridSpec or similar
        Target grid.
    margin_px : int
        Extra pixels on every side.

    Returns
    -------
    DemOnGrid
        NaN wherever the height is unknown (voids, outside the DEM); a DEM
        that overlaps the grid but is void there gives NaN everywhere.

    Raises
    ------
    DataError
        As :func:`open_dem`, or the DEM lies wholly outside the grid (names
        the files, their extent and the fix).
    """
    paths = _source_paths(dem)
    crs, transform, extent = _extent(paths)
    want = _dem_bounds(grid, margin_px, crs)
    window = _aligned_window(want, extent, transform)
    if window is None:
        raise DataError(
            f"the DEM covers {_fmt_bounds(extent)} and the study area lies wholly outside it "
            f"({_fmt_bounds(want)}, in the DEM's CRS); pass a DEM of the study area (e.g. the "
            f"SRTM tiles of its longitudes and latitudes).",
            file=", ".join(p.name for p in paths),
        )
    raster = open_dem(paths, bounds=window)
    on_grid = heights_on_grid(raster, grid, margin_px=margin_px)
    log.info(
        "DEM %s on the %d×%d grid: %.1f %% of the pixels have a known height",
        raster.label, grid.width, grid.height, 100.0 * on_grid.known_fraction,
    )  # fmt: skip
    return on_grid


def _fmt_bounds(b: tuple[float, float, float, float]) -> str:
    """``x left…right, y bottom…top`` with a few decimals."""
    return f"x {b[0]:.4g}…{b[2]:.4g}, y {b[1]:.4g}…{b[3]:.4g}"
