"""Write raster layers as Cloud-Optimised GeoTIFFs.

The file is built in a temporary folder beside the destination and then
handed to :func:`phusong.io.files.atomic_write_bytes`, so readers never see
half a file and an existing file is replaced in one step.
"""

from __future__ import annotations

import functools
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import rasterio
import rasterio.shutil
from affine import Affine
from pyproj import CRS
from rasterio.enums import Resampling

from phusong.io.files import atomic_write_bytes

#: Edge of the internal tiles and of the coarsest overview [pixels].
COG_BLOCK_PX = 512
#: Compression of written rasters: ZSTD at level 1 (fast, lossless; read by
#: GDAL ≥ 2.3, QGIS and rasterio), DEFLATE when the bundled GDAL lacks ZSTD.
COG_COMPRESSION = "zstd"
#: ZSTD level (1: the fastest; ``benchmarks/bench_grid.py`` times the
#: whole-city coverage.tif against DEFLATE).
COG_ZSTD_LEVEL = 1


class GridLike(Protocol):
    """What the raster readers and writers need of a grid.

    :class:`phusong.raster.spec.GridSpec` has it; the DEM and population
    readers resample onto it, the COG writer georeferences with it.
    """

    @property
    def crs(self) -> CRS:
        """Projected CRS of the grid [m]."""

    @property
    def transform(self) -> Affine:
        """Affine transform of the upper-left pixel corner [m]."""

    @property
    def resolution_m(self) -> float:
        """Pixel size [m]."""

    @property
    def width(self) -> int:
        """Number of columns [pixels]."""

    @property
    def height(self) -> int:
        """Number of rows [pixels]."""

    @property
    def shape(self) -> tuple[int, int]:
        """``(height, width)`` [pixels]."""

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(left, bottom, right, top)`` [m]."""

    @property
    def pixel_area_m2(self) -> float:
        """Ground area of one pixel [m²]."""


def cog_driver_available() -> bool:
    """Whether the bundled GDAL has the ``COG`` driver."""
    with rasterio.Env() as env:
        return "COG" in env.drivers()


def compression_options(driver: str = "COG", compress: str | None = None) -> dict[str, Any]:
    """Creation options of the compression: ZSTD level 1 on all CPUs, or DEFLATE.

    Parameters
    ----------
    driver : {"COG", "GTiff"}
        The GDAL driver (they name the ZSTD level differently).
    compress : {"zstd", "deflate"}, optional
        Force a compression (benchmarks); default ZSTD when GDAL has it.

    Returns
    -------
    dict
        ``compress``, the ZSTD level (``level`` for COG, ``zstd_level`` for
        GTiff) and ``num_threads="ALL_CPUS"`` (GDAL compresses the blocks in
        threads).
    """
    method = compress or (COG_COMPRESSION if _gdal_has_zstd() else "deflate")
    out: dict[str, Any] = {"compress": method, "num_threads": "ALL_CPUS"}
    if method == "zstd":
        out["level" if driver == "COG" else "zstd_level"] = COG_ZSTD_LEVEL
    return out


@functools.cache
def _gdal_has_zstd() -> bool:
    """Whether the bundled GDAL writes ZSTD-compressed GeoTIFFs (tried once, in memory)."""
    import warnings

    from rasterio.io import MemoryFile

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # not georeferenced: only a probe
            with MemoryFile() as mem, mem.open(driver="GTiff", width=1, height=1, count=1,
                                               dtype="uint8", compress="zstd") as dst:  # fmt: skip
                dst.write(np.zeros((1, 1, 1), dtype="uint8"))
        return True
    except Exception:  # pragma: no cover - GDAL built without ZSTD
        return False


def write_cog(
    path: str | os.PathLike,
    array: np.ndarray,
    grid: GridLike,
    nodata: float | int | None = None,
    tags: dict[str, Any] | None = None,
    *,
    descriptions: Sequence[str] | None = None,
    units: Sequence[str] | None = None,
    resampling: str = "nearest",
    _driver: str | None = None,
    _compress: str | None = None,
) -> Path:
    """Write ``array`` as a Cloud-Optimised GeoTIFF, atomically.

    Parameters
    ----------
    path : path
        Output file; replaced atomically (built in a temporary folder beside
        it, then written with :func:`phusong.io.files.atomic_write_bytes`), so
        readers never see half a file. An existing file is replaced.
    array : ndarray
        ``(height, width)`` or ``(bands, height, width)`` on ``grid``.
    grid : GridSpec
        Gives the CRS and transform (:class:`phusong.raster.grid.GridSpec`).
    nodata : number, optional
        Nodata value (NaN for float layers, −1 for indices, None for counts).
    tags : dict, optional
        Dataset tags (model, threshold, units, …); values are stored as text.
    descriptions, units : sequence of str, optional
        One per band.
    resampling : str
        Overview resampling (``"nearest"`` keeps values and indices honest).

    Returns
    -------
    pathlib.Path
        The written file.

    Raises
    ------
    ValueError
        ``array`` is not the shape of ``grid``.

    Notes
    -----
    Uses GDAL's ``COG`` driver (ZSTD level 1 compressed in threads, or
    DEFLATE: :func:`compression_options`; 512-pixel tiles, overviews) when the
    bundled GDAL has it; otherwise writes a tiled GTiff, builds its overviews
    and copies it with ``copy_src_overviews=True``, which gives the same layout.
    """
    arr = _band_stack(array, grid)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    profile = {
        "width": grid.width,
        "height": grid.height,
        "count": arr.shape[0],
        "dtype": arr.dtype.name,
        "crs": grid.crs.to_wkt(),
        "transform": grid.transform,
        "nodata": nodata,
    }
    driver = _driver or ("COG" if cog_driver_available() else "GTiff")
    with tempfile.TemporaryDirectory(prefix=f".{path.stem}.", dir=path.parent) as tmp_dir:
        tmp = Path(tmp_dir) / path.name
        if driver == "COG":
            with rasterio.open(tmp, "w", driver="COG", blocksize=COG_BLOCK_PX,
                               overview_resampling=resampling,
                               **compression_options("COG", _compress), **profile) as dst:  # fmt: skip
                _fill(dst, arr, tags, descriptions, units)
        else:
            _write_gtiff_cog(tmp, arr, grid, profile, tags, descriptions, units, resampling,
                             _compress)  # fmt: skip
        return atomic_write_bytes(path, tmp.read_bytes(), overwrite=True)


def _band_stack(array: np.ndarray, grid: GridLike) -> np.ndarray:
    """``array`` as ``(bands, height, width)``, booleans as uint8; checks the shape."""
    arr = np.asarray(array)
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim != 3 or arr.shape[1:] != grid.shape:
        raise ValueError(f"array shape {array.shape} does not match the grid {grid.shape}.")
    if arr.dtype == bool:
        arr = arr.astype("uint8")
    return arr


def overview_factors(width: int, height: int, block_px: int = COG_BLOCK_PX) -> list[int]:
    """Overview decimation factors, halving until the coarsest fits one block.

    Parameters
    ----------
    width, height : int
        Raster size [pixels].
    block_px : int
        Block edge [pixels].

    Returns
    -------
    list of int
        ``[2, 4, …]``, empty when the raster already fits one block.
    """
    factors = []
    f = 2
    while max(width, height) / (f // 2) > block_px:
        factors.append(f)
        f *= 2
    return factors


def _write_gtiff_cog(
    tmp: Path,
    arr: np.ndarray,
    grid: GridLike,
    profile: dict[str, Any],
    tags: dict[str, Any] | None,
    descriptions: Sequence[str] | None,
    units: Sequence[str] | None,
    resampling: str,
    compress: str | None = None,
) -> None:
    """COG layout without the COG driver: tiled GTiff + overviews, then a copy."""
    helper = tmp.with_suffix(".src.tif")
    block = {"tiled": True, "blockxsize": COG_BLOCK_PX, "blockysize": COG_BLOCK_PX}
    comp = compression_options("GTiff", compress)
    with rasterio.open(helper, "w", driver="GTiff", **comp, **block, **profile) as dst:
        _fill(dst, arr, tags, descriptions, units)
        factors = overview_factors(grid.width, grid.height)
        if factors:
            dst.build_overviews(factors, Resampling[resampling])
    rasterio.shutil.copy(helper, tmp, driver="GTiff", copy_src_overviews=True, **comp,
                         **block)  # fmt: skip


def _fill(
    dst: Any,
    arr: np.ndarray,
    tags: dict | None,
    descriptions: Sequence[str] | None,
    units: Sequence[str] | None,
) -> None:
    """Write the bands, dataset tags, band descriptions and units."""
    dst.write(arr)
    if tags:
        dst.update_tags(**{str(k): str(v) for k, v in tags.items()})
    for i in range(arr.shape[0]):
        if descriptions is not None and i < len(descriptions):
            dst.set_band_description(i + 1, str(descriptions[i]))
        if units is not None and i < len(units):
            dst.set_band_unit(i + 1, str(units[i]))
            dst.update_tags(i + 1, units=str(units[i]))


__all__ = [
    "COG_BLOCK_PX",
    "COG_COMPRESSION",
    "COG_ZSTD_LEVEL",
    "GridLike",
    "cog_driver_available",
    "compression_options",
    "overview_factors",
    "write_cog",
]
