"""The raster grid and the constants of a run: :class:`GridSpec`, :class:`TileParams`.

The lowest layer of the raster engine (see :mod:`phusong.raster.grid` for the
whole): a :class:`GridSpec` lays square pixels over the study area in a metric
equal-area CRS and cuts it into tiles; :class:`TileParams` holds what every
tile of one run shares (model, threshold, evaluation floor, UE height, noise).
Cell preparation (:mod:`phusong.raster.cells`) and the per-tile kernel
(:mod:`phusong.raster.kernel`) build on both.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
from affine import Affine
from pyproj import CRS
from rasterio.windows import Window

from phusong.errors import ConfigError
from phusong.geo import equal_area_crs

#: Footprint models: a pixel is served when its centre lies in the disc / wedge.
FOOTPRINT_MODELS = ("disc", "sector")
#: Tile engines: the compiled kernel and the numpy reference path.
ENGINES = ("fast", "reference")


@dataclass(frozen=True)
class GridSpec:
    """A north-up raster grid in a metric CRS.

    Parameters
    ----------
    crs : pyproj.CRS
        Projected CRS in metres; equal-area (LAEA) for area statistics.
    resolution_m : float
        Pixel size [m] (square pixels).
    transform : affine.Affine
        Pixel-to-CRS transform, ``Affine(res, 0, left, 0, -res, top)``.
    width, height : int
        Grid size [pixels].
    """

    crs: CRS
    resolution_m: float
    transform: Affine
    width: int
    height: int

    def __post_init__(self) -> None:
        crs = CRS.from_user_input(self.crs)
        object.__setattr__(self, "crs", crs)
        if not crs.is_projected or crs.axis_info[0].unit_name not in ("metre", "meter"):
            raise ConfigError(f"grid crs must be projected in metres, not {crs.name!r}.")
        res = float(self.resolution_m)
        if not res > 0:
            raise ConfigError(f"resolution_m must be positive, not {self.resolution_m!r}.")
        t = self.transform
        if t.b != 0 or t.d != 0 or not math.isclose(t.a, res) or not math.isclose(t.e, -res):
            raise ConfigError("transform must be north-up with square pixels of resolution_m.")
        if self.width < 1 or self.height < 1:
            raise ConfigError(f"grid size must be positive, not {self.width}×{self.height}.")

    @classmethod
    def for_area(
        cls,
        wards: gpd.GeoDataFrame | gpd.GeoSeries,
        resolution_m: float = 20.0,
        crs: Any = None,
        *,
        buffer_m: float = 0.0,
    ) -> GridSpec:
        """Grid covering the bounds of ``wards``, snapped to multiples of the resolution.

        Parameters
        ----------
        wards : GeoDataFrame or GeoSeries
            Areas to cover, any CRS.
        resolution_m : float
            Pixel size [m].
        crs : CRS-like, optional
            Metric CRS of the grid; by default :func:`phusong.geo.equal_area_crs`
            of ``wards`` (LAEA centred on them: pixels of equal area).
        buffer_m : float
            Extra margin around the bounds [m].

        Returns
        -------
        GridSpec
            Edges at integer multiples of ``resolution_m`` in the grid CRS, so
            that grids of equal inputs are identical and grids of different
            extents at one resolution align.
        """
        res = float(resolution_m)
        if not (res > 0 and math.isfinite(res)):
            raise ConfigError(
                f"resolution_m must be a positive number of metres, not {resolution_m!r}."
            )
        crs = equal_area_crs(wards) if crs is None else CRS.from_user_input(crs)
        minx, miny, maxx, maxy = wards.to_crs(crs).total_bounds
        if not np.all(np.isfinite([minx, miny, maxx, maxy])):
            raise ConfigError("the wards have no finite bounds in the grid CRS.")
        left = math.floor((minx - buffer_m) / res) * res
        bottom = math.floor((miny - buffer_m) / res) * res
        right = math.ceil((maxx + buffer_m) / res) * res
        top = math.ceil((maxy + buffer_m) / res) * res
        width = max(round((right - left) / res), 1)
        height = max(round((top - bottom) / res), 1)
        return cls(crs, res, Affine(res, 0.0, left, 0.0, -res, top), width, height)

    @property
    def shape(self) -> tuple[int, int]:
        """``(height, width)`` [pixels]."""
        return (self.height, self.width)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(left, bottom, right, top)`` in the grid CRS [m]."""
        left, top = self.transform.c, self.transform.f
        r = self.resolution_m
        return (left, top - self.height * r, left + self.width * r, top)

    @property
    def pixel_area_m2(self) -> float:
        """Ground area of one pixel [m²] (exact in an equal-area CRS)."""
        return float(self.resolution_m) ** 2

    def x_centres(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Return x of the pixel centres of columns ``start:stop`` [m] (float64)."""
        stop = self.width if stop is None else stop
        return (
            self.transform.c + (np.arange(start, stop, dtype="float64") + 0.5) * self.resolution_m
        )

    def y_centres(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Return y of the pixel centres of rows ``start:stop`` [m] (float64)."""
        stop = self.height if stop is None else stop
        return (
            self.transform.f - (np.arange(start, stop, dtype="float64") + 0.5) * self.resolution_m
        )

    def tiles(self, tile_px: int = 1024) -> Iterator[Window]:
        """Yield tile windows of at most ``tile_px × tile_px``, row-major.

        Parameters
        ----------
        tile_px : int
            Tile edge [pixels].

        Yields
        ------
        rasterio.windows.Window
            Disjoint windows that together cover the grid.
        """
        tile_px = positive_int(tile_px, "tile_px")
        for r in range(0, self.height, tile_px):
            for c in range(0, self.width, tile_px):
                yield Window(c, r, min(tile_px, self.width - c), min(tile_px, self.height - r))

    def n_tiles(self, tile_px: int = 1024) -> int:
        """Return the number of tiles :meth:`tiles` yields."""
        tile_px = positive_int(tile_px, "tile_px")
        return math.ceil(self.height / tile_px) * math.ceil(self.width / tile_px)

    def tile_grid(self, window: Window) -> GridSpec:
        """Return the grid of one tile: same CRS, resolution and pixel edges as this one.

        Parameters
        ----------
        window : rasterio.windows.Window
            Tile of this grid (:meth:`tiles`).

        Returns
        -------
        GridSpec
            A grid whose pixels are exactly the tile's pixels of this grid.
        """
        res = self.resolution_m
        left = self.transform.c + int(window.col_off) * res
        top = self.transform.f - int(window.row_off) * res
        return GridSpec(
            self.crs, res, Affine(res, 0.0, left, 0.0, -res, top), int(window.width),
            int(window.height),
        )  # fmt: skip


def positive_int(value: Any, name: str) -> int:
    """Return ``value`` as an int, checked to be a positive integer.

    Parameters
    ----------
    value : Any
        An option's value (e.g. ``tile_px``, ``workers``).
    name : str
        The option's name, for the message.

    Raises
    ------
    ConfigError
        ``value`` is not a positive integer (``2.5`` and ``"4"`` included).
    """
    try:
        out = int(value)
    except (TypeError, ValueError):
        out = 0
    if out < 1 or out != value:
        raise ConfigError(f"{name} must be a positive integer, not {value!r}.")
    return out


@dataclass(frozen=True)
class TileParams:
    """Per-run constants for :func:`phusong.raster.kernel.compute_tile`.

    Parameters
    ----------
    model : str
        Path-loss model name, or ``"disc"`` / ``"sector"``.
    threshold_dbm : float
        Service threshold on SS-RSRP [dBm] (ignored by footprint models).
    floor_dbm : float
        Evaluation floor [dBm]: cells are evaluated, and add interference, where
        their RSRP is at least this: the lower of ``threshold − interference
        margin`` and the noise power per resource element (every interferer
        down to the noise floor counts in the SINR).
    h_ut_m : float
        User-terminal height [m].
    noise_dbm : float
        Noise power per resource element [dBm].
    vertical_beamwidth_deg : float
        Vertical half-power beamwidth of sector antennas [degrees].
    n_operators : int
        Number of per-operator layers.
    n_carriers : int
        Number of distinct carrier frequencies (co-channel interference groups).
    engine : {"fast", "reference"}
        ``"fast"``: the compiled kernel (:mod:`phusong.raster.compiled`);
        ``"reference"``: the plain numpy path it is tested against (footprint
        models always take it).
    sinr_min_db : float or None
        Coverage also needs the best server's SINR ≥ this [dB]; None: no
        SINR criterion.
    indoor : bool
        Keep the indoor layers (best RSRP − O2I − indoor margin, indoor servers).
    dated : bool
        Keep the earliest on-air date of the cells serving each pixel.
    terrain : TerrainLoss or None
        Per-site extra loss windows (:class:`phusong.raster.kernel.TerrainLoss`).
    """

    model: str
    threshold_dbm: float
    floor_dbm: float
    h_ut_m: float
    noise_dbm: float
    vertical_beamwidth_deg: float
    n_operators: int
    n_carriers: int
    engine: str = "fast"
    sinr_min_db: float | None = None
    indoor: bool = False
    dated: bool = False
    terrain: Any = None

    @property
    def footprint(self) -> bool:
        """True for the footprint models (no RSRP, no SINR)."""
        return self.model in FOOTPRINT_MODELS

    @property
    def compiled(self) -> bool:
        """Whether tiles run on the compiled kernel (fast engine, path-loss model)."""
        return self.engine == "fast" and not self.footprint


__all__ = ["ENGINES", "FOOTPRINT_MODELS", "GridSpec", "TileParams", "positive_int"]
