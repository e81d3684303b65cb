"""Raster coverage engine: best server, server counts and SINR on an equal-area grid.

The grid route of phusong. A :class:`GridSpec` lays square pixels over the
study area in a metric equal-area CRS (by default the LAEA of
:func:`phusong.geo.equal_area_crs`), so every pixel has the same ground area.
:func:`compute_grid` evaluates every cell (sector) of the site table at the
centre of every pixel within the cell's useful range and keeps, per pixel:

========================  =========  ==============================================
layer                     dtype      meaning
========================  =========  ==============================================
``rsrp_dbm``              float32    SS-RSRP of the best server [dBm]; NaN where no
                                     cell reaches the threshold (and always NaN for
                                     the footprint models ``disc`` / ``sector``)
``serving_cell``          int32      index into ``cell_ids`` of the best server, −1
``serving_site``          int32      index into ``site_ids`` of its site, −1
``n_servers``             uint16     number of distinct *sites* (not cells) with at
                                     least one cell above the threshold
``sinr_db``               float32    SINR of the best server [dB] against co-channel
                                     interference plus noise; NaN where unserved
``operator_rsrp_dbm``     float32    per operator: best RSRP [dBm], NaN below threshold
``operator_n_servers``    uint16     per operator: distinct sites above threshold
========================  =========  ==============================================

Servers are counted by site because the sectors of one mast share power,
backhaul and a site outage: three sectors of one site are one server, not three.

How the work is organised (and why it is fast)
----------------------------------------------
* Every cell gets, once, its *reach*: the distance at which its boresight RSRP
  falls to the evaluation floor (``threshold − interference_margin_db``), from
  :func:`phusong.propagation.max_range_m`. Because path loss grows with
  distance and the antenna pattern only attenuates, no pixel beyond the reach
  can be served by the cell or add interference above the floor.
* The reach is turned into a box of pixel indices on the *global* grid, and
  an STRtree over those boxes answers "which cells touch this tile".
* The grid is processed tile by tile (:meth:`GridSpec.tiles`), by the pure
  function :func:`compute_tile`. Inside a tile every candidate cell is
  evaluated only on its own pixel box (never cells × tile), distances are
  computed once per site location and shared by its sectors, path loss (from
  :func:`phusong.propagation.path_loss_db`) once per (location, frequency,
  height, box) and the vertical antenna loss once per (location, tilt, box).
  The antenna pattern is that of
  :func:`phusong.propagation.sector_attenuation_db`, evaluated in float32 with
  the off-boresight angle taken in the antenna's frame (no angle wrapping);
  the tests check it against that function. Memory per tile is a few arrays
  of ``tile_px²`` plus a few float32 arrays of one cell box.
* Distances and bearings are measured in the grid CRS (LAEA: distance error
  ≈ 0.02 % at 100 km from its centre); antenna azimuths (clockwise from true
  north) are turned into grid bearings per cell, which absorbs the meridian
  convergence.
* Each pixel's result depends only on the pixel and the cells whose boxes
  contain it, processed in one global order, so the result does not depend on
  the tile size, and tiles can be computed anywhere (threads here, Dask
  workers later) and placed into the mosaic exactly (:meth:`GridResult.place`).
  Partial results of the same tile over disjoint sets of *sites* combine
  exactly with :meth:`TileResult.merge` (best = max, counts and powers = sum).

Interference (SINR) is co-channel: cells on the same carrier frequency as the
best server, each counted where its own RSRP is at least the evaluation floor.
Weaker contributions are ignored, so the SINR is slightly optimistic where
many cells sit just below the floor.
"""

from __future__ import annotations

import logging
import math
import os
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import rasterio.shutil
import shapely
from affine import Affine
from pyproj import CRS, Geod, Transformer
from rasterio.enums import Resampling
from rasterio.windows import Window

from phusong import propagation as prop
from phusong.errors import ConfigError, DataError, Problem
from phusong.geo import equal_area_crs
from phusong.schema import ANY_OPERATOR, WGS84
from phusong.vector.footprints import DEFAULT_SECTOR_WIDTH_DEG

log = logging.getLogger(__name__)

#: Footprint models: a pixel is served when its centre lies in the disc / wedge.
FOOTPRINT_MODELS = ("disc", "sector")

#: Antenna height used when a cell has none [m] (the 38.901 UMa default).
DEFAULT_HEIGHT_M = 25.0
#: Horizontal half-power beamwidth used for a sectorised cell without one, in
#: the path-loss models [degrees] (the 38.901 element pattern's 65°).
DEFAULT_ANTENNA_BEAMWIDTH_DEG = 65.0
#: Vertical half-power beamwidth when the link budget gives none [degrees].
DEFAULT_VERTICAL_BEAMWIDTH_DEG = 10.0
#: Default evaluation depth below the threshold for interference [dB].
DEFAULT_INTERFERENCE_MARGIN_DB = 10.0

_LN10_10 = np.float32(math.log(10.0) / 10.0)
_GEOD = Geod(ellps="WGS84")


# --------------------------------------------------------------------------- grid


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
        tile_px = _positive_int(tile_px, "tile_px")
        for r in range(0, self.height, tile_px):
            for c in range(0, self.width, tile_px):
                yield Window(c, r, min(tile_px, self.width - c), min(tile_px, self.height - r))

    def n_tiles(self, tile_px: int = 1024) -> int:
        """Return the number of tiles :meth:`tiles` yields."""
        tile_px = _positive_int(tile_px, "tile_px")
        return math.ceil(self.height / tile_px) * math.ceil(self.width / tile_px)


def _positive_int(value: Any, name: str) -> int:
    try:
        out = int(value)
    except (TypeError, ValueError):
        out = 0
    if out < 1 or out != value:
        raise ConfigError(f"{name} must be a positive integer, not {value!r}.")
    return out


# --------------------------------------------------------------------------- cells


@dataclass(frozen=True)
class TileParams:
    """Per-run constants for :func:`compute_tile`.

    Parameters
    ----------
    model : str
        Path-loss model name, or ``"disc"`` / ``"sector"``.
    threshold_dbm : float
        Service threshold on SS-RSRP [dBm] (ignored by footprint models).
    floor_dbm : float
        Evaluation floor [dBm]: cells are evaluated, and add interference, where
        their RSRP is at least this (``threshold − interference margin``).
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
    """

    model: str
    threshold_dbm: float
    floor_dbm: float
    h_ut_m: float
    noise_dbm: float
    vertical_beamwidth_deg: float
    n_operators: int
    n_carriers: int

    @property
    def footprint(self) -> bool:
        """True for the footprint models (no RSRP, no SINR)."""
        return self.model in FOOTPRINT_MODELS


@dataclass(frozen=True)
class CellArrays:
    """Cells as flat arrays in the grid CRS, in a canonical order.

    Cells are sorted by ``(site_id, cell_id)`` (then position, frequency and
    azimuth), so results do not depend on the row order of the site table and
    the cells of a site are contiguous. All arrays have one entry per cell.

    Attributes
    ----------
    x_m, y_m : ndarray
        Position in the grid CRS [m].
    h_bs_m : ndarray
        Antenna height [m].
    azimuth_deg : ndarray
        Antenna bearing relative to *grid* north [degrees], NaN for omni cells
        (the table's true-north azimuth corrected for the meridian convergence).
    beamwidth_deg, tilt_deg : ndarray
        Horizontal beamwidth / wedge width and downtilt [degrees].
    frequency_ghz : ndarray
        Carrier frequency [GHz] (NaN for footprints).
    base_dbm : ndarray
        ``EIRP − 10 log10(12 N_RB) − indoor loss − shadow margin`` [dBm]:
        RSRP before path loss and antenna attenuation (NaN for footprints).
    range_m : ndarray
        Footprint radius [m] (footprint models) or coverage range at the
        threshold on boresight [m] (path-loss models).
    reach_m : ndarray
        Evaluation radius [m].
    box : ndarray
        ``(n, 4)`` int64 global pixel box ``col_lo, col_hi, row_lo, row_hi``
        (inclusive) of the pixel centres within ``reach_m`` along x and y.
    cell_index : ndarray
        Global index of each cell (into ``cell_ids``); kept by :meth:`subset`.
    site_index, operator_index, carrier_index, loc_index : ndarray
        Site (into ``site_ids``), operator layer (−1: no layer), carrier
        (into ``carriers_mhz``) and site-location group of each cell.
    loc_box, site_box : ndarray
        ``(n_locations, 4)`` / ``(n_sites, 4)`` union of the pixel boxes of
        the cells at one site location / of one site (indexed by
        ``loc_index`` / ``site_index``).
    cell_ids, site_ids, cell_operator : ndarray
        Identifiers and operator names (object arrays); ``site_ids`` lists
        every site once.
    operators : tuple of str
        Operator layers.
    carriers_mhz : ndarray
        Distinct carrier frequencies [MHz].
    """

    x_m: np.ndarray
    y_m: np.ndarray
    h_bs_m: np.ndarray
    azimuth_deg: np.ndarray
    beamwidth_deg: np.ndarray
    tilt_deg: np.ndarray
    frequency_ghz: np.ndarray
    base_dbm: np.ndarray
    range_m: np.ndarray
    reach_m: np.ndarray
    box: np.ndarray
    cell_index: np.ndarray
    site_index: np.ndarray
    operator_index: np.ndarray
    carrier_index: np.ndarray
    loc_index: np.ndarray
    loc_box: np.ndarray
    site_box: np.ndarray
    cell_ids: np.ndarray
    site_ids: np.ndarray
    cell_operator: np.ndarray
    operators: tuple[str, ...]
    carriers_mhz: np.ndarray
    _tree: list = field(default_factory=list, repr=False, compare=False)

    def __len__(self) -> int:
        return int(self.x_m.size)

    @classmethod
    def from_sites(
        cls,
        sites: pd.DataFrame,
        grid: GridSpec,
        params: TileParams,
        *,
        link_budget: Any = None,
        operators: Sequence[str] | None = None,
    ) -> CellArrays:
        """Build the cell arrays of a canonical site table for ``grid``.

        Parameters
        ----------
        sites : DataFrame
            Canonical site table (:data:`phusong.schema.SITE_COLUMNS`), one row
            per cell. Needs ``lon_deg``, ``lat_deg``; ``range_m`` for the
            footprint models; ``eirp_dbm``, ``frequency_mhz``,
            ``bandwidth_mhz`` for path-loss models. ``height_m`` (NaN → 25 m),
            ``azimuth_deg`` (NaN → omni), ``beamwidth_deg``, ``tilt_deg``
            (NaN → 0°), ``site_id``, ``cell_id``, ``operator`` are optional.
        grid : GridSpec
            Target grid.
        params : TileParams
            Run constants (model, threshold, floor, UE height).
        link_budget : LinkBudget, optional
            For the indoor loss and the shadow margin.
        operators : sequence of str, optional
            Operator layers; by default every operator in the table, sorted.

        Raises
        ------
        DataError
            Missing columns or unusable values, all listed at once.
        """
        footprint = params.footprint
        n = len(sites)
        need = ["lon_deg", "lat_deg"] + (
            ["range_m"] if footprint else ["eirp_dbm", "frequency_mhz"]
        )
        missing = [c for c in need if c not in sites.columns]
        if missing:
            raise DataError(
                f"the site table lacks column(s) {', '.join(missing)} needed by the "
                f"{params.model!r} model; read sites with phusong.read_sites().",
                file="<sites>",
            )

        def num(col: str, default: float = np.nan) -> np.ndarray:
            if col not in sites.columns:
                return np.full(n, default, dtype="float64")
            return pd.to_numeric(sites[col], errors="coerce").to_numpy(
                dtype="float64", na_value=np.nan
            )

        def text(col: str, fill: str) -> np.ndarray:
            if col not in sites.columns:
                return np.full(n, fill, dtype=object)
            s = sites[col].astype("string")
            return s.fillna(fill).to_numpy(dtype=object)

        rows = (
            pd.to_numeric(sites["source_row"], errors="coerce").to_numpy(
                dtype="float64", na_value=np.nan
            )
            if "source_row" in sites.columns
            else np.arange(n, dtype="float64") + 2
        )
        lon, lat = num("lon_deg"), num("lat_deg")
        az = num("azimuth_deg")
        bw = num("beamwidth_deg")
        tilt = np.nan_to_num(num("tilt_deg"), nan=0.0)
        height = num("height_m")
        problems: list[Problem] = []

        def check(values: np.ndarray, col: str, ok: np.ndarray, reason: str) -> None:
            for i in np.flatnonzero(~ok):
                row = int(rows[i]) if np.isfinite(rows[i]) else None
                problems.append(Problem("<sites>", row, col, f"{reason} (got {values[i]!r})."))

        check(
            lon,
            "lon_deg",
            np.isfinite(lon) & (np.abs(lon) <= 180),
            "longitude must be in −180…180°",
        )
        check(lat, "lat_deg", np.isfinite(lat) & (np.abs(lat) <= 90), "latitude must be in −90…90°")
        sectored = np.isfinite(az)
        if footprint:
            rng = num("range_m")
            check(
                rng,
                "range_m",
                np.isfinite(rng) & (rng > 0),
                "range must be a positive number of metres",
            )
            bw_fill = DEFAULT_SECTOR_WIDTH_DEG
        else:
            eirp, f_mhz = num("eirp_dbm"), num("frequency_mhz")
            bw_mhz = num("bandwidth_mhz", float(link_budget.bandwidth_mhz))
            bw_mhz = np.where(np.isfinite(bw_mhz), bw_mhz, float(link_budget.bandwidth_mhz))
            check(eirp, "eirp_dbm", np.isfinite(eirp), "EIRP must be a number of dBm")
            check(
                f_mhz,
                "frequency_mhz",
                np.isfinite(f_mhz) & (f_mhz > 0),
                "frequency must be positive MHz",
            )
            table = prop.N_RB_TABLE.get(int(_scs_khz(link_budget)), {})
            check(
                bw_mhz,
                "bandwidth_mhz",
                np.isin(bw_mhz, list(table)),
                f"bandwidth must be an NR channel bandwidth at {_scs_khz(link_budget):g} kHz SCS "
                f"({', '.join(map(str, table))} MHz)",
            )
            bw_fill = DEFAULT_ANTENNA_BEAMWIDTH_DEG
        check(
            bw,
            "beamwidth_deg",
            ~(sectored & np.isfinite(bw) & (bw <= 0)),
            "beamwidth must be positive",
        )
        if problems:
            raise DataError(problems)
        if np.any(sectored & ~np.isfinite(bw)):
            log.info(
                "%d sectorised cells have no beamwidth; using %g°",
                int(np.sum(sectored & ~np.isfinite(bw))),
                bw_fill,
            )
        bw = np.where(np.isfinite(bw), bw, bw_fill)
        # A wedge of 360° or more is a disc.
        az = np.where(sectored & (bw < 360.0), az, np.nan)
        if np.any(~np.isfinite(height)):
            log.info(
                "%d cells have no antenna height; using %g m",
                int(np.sum(~np.isfinite(height))),
                DEFAULT_HEIGHT_M,
            )
        height = np.where(np.isfinite(height) & (height > 0), height, DEFAULT_HEIGHT_M)

        cell_ids = text("cell_id", "")
        cell_ids = np.array(
            [c if c else f"row{i + 2}" for i, c in enumerate(cell_ids)], dtype=object
        )
        site_raw = text("site_id", "")
        site_key = np.array(
            [s if s else f"cell:{c}" for s, c in zip(site_raw, cell_ids, strict=True)], dtype=object
        )
        ops_raw = text("operator", "unknown")

        # Canonical order: independent of the table's row order.
        freq_sort = np.zeros(n) if footprint else f_mhz
        order = (
            pd.DataFrame(
                {
                    "site": site_key,
                    "cell": cell_ids,
                    "lon": lon,
                    "lat": lat,
                    "f": freq_sort,
                    "az": np.nan_to_num(az, nan=-1.0),
                    "op": ops_raw,
                }
            )
            .sort_values(["site", "cell", "lon", "lat", "f", "az", "op"], kind="mergesort")
            .index.to_numpy()
        )

        def take(a: np.ndarray) -> np.ndarray:
            return a[order]

        lon, lat, az, bw, tilt, height = map(take, (lon, lat, az, bw, tilt, height))
        cell_ids, site_key, ops_raw = map(take, (cell_ids, site_key, ops_raw))

        to_grid = Transformer.from_crs(WGS84, grid.crs, always_xy=True)
        x, y = to_grid.transform(lon, lat)
        x, y = np.asarray(x, dtype="float64"), np.asarray(y, dtype="float64")
        az_grid = _grid_azimuth(lon, lat, az, x, y, to_grid)

        site_ids, site_index = np.unique(site_key, return_inverse=True)
        if operators is None:
            operators = tuple(sorted({str(o) for o in ops_raw}))
        else:
            operators = tuple(str(o) for o in operators)
        op_pos = {o: i for i, o in enumerate(operators)}
        operator_index = np.array([op_pos.get(str(o), -1) for o in ops_raw], dtype="int32")

        if footprint:
            rng = take(rng)
            base = np.full(n, np.nan)
            f_ghz = np.full(n, np.nan)
            reach = rng.copy()
            carriers = np.array([0.0])
            carrier_index = np.zeros(n, dtype="int32")
        else:
            eirp, f_mhz, bw_mhz = map(take, (eirp, f_mhz, bw_mhz))
            f_ghz = f_mhz / 1000.0
            n_rb = np.asarray(prop.n_rb_for(bw_mhz, scs_khz=_scs_khz(link_budget)), dtype="float64")
            extra = float(link_budget.extra_loss_db(params.model))
            base = np.asarray(prop.rsrp_dbm(eirp, 0.0, n_rb, extra_loss_db=extra), dtype="float64")
            common = {
                "model": params.model,
                "h_bs_m": height,
                "h_ut_m": params.h_ut_m,
                "n_rb": n_rb,
            }
            rng = np.asarray(
                prop.max_range_m(
                    eirp, f_ghz, threshold_dbm=params.threshold_dbm, extra_loss_db=extra, **common
                ),
                dtype="float64",
            )
            reach = np.asarray(
                prop.max_range_m(
                    eirp, f_ghz, threshold_dbm=params.floor_dbm, extra_loss_db=extra, **common
                ),
                dtype="float64",
            )
            # A margin against the inversion's tolerance: beyond the reach the
            # RSRP is below the floor, so a larger box changes nothing.
            reach = np.where(np.isfinite(reach), reach * 1.001 + 1.0, 0.0)
            carriers, carrier_index = np.unique(np.round(f_mhz, 6), return_inverse=True)
            carrier_index = carrier_index.astype("int32")

        box = _pixel_box(grid, x, y, reach)
        loc_key = pd.MultiIndex.from_arrays([site_index, x, y])
        loc_index = pd.factorize(loc_key)[0].astype("int64")
        loc_box = _union_boxes(box, loc_index)
        site_box = _union_boxes(box, site_index)
        return cls(
            x_m=x,
            y_m=y,
            h_bs_m=height,
            azimuth_deg=az_grid,
            beamwidth_deg=bw,
            tilt_deg=tilt,
            frequency_ghz=f_ghz,
            base_dbm=base,
            range_m=rng,
            reach_m=reach,
            box=box,
            cell_index=np.arange(n, dtype="int32"),
            site_index=site_index.astype("int32"),
            operator_index=operator_index,
            carrier_index=carrier_index,
            loc_index=loc_index,
            loc_box=loc_box,
            site_box=site_box,
            cell_ids=cell_ids,
            site_ids=site_ids.astype(object),
            cell_operator=ops_raw,
            operators=operators,
            carriers_mhz=np.asarray(carriers, dtype="float64"),
        )

    def query(self, window: Window) -> np.ndarray:
        """Positions (sorted) of the cells whose pixel box intersects ``window``.

        Uses an STRtree over the pixel boxes (built on first use).
        """
        if not self._tree:
            valid = (self.box[:, 0] <= self.box[:, 1]) & (self.box[:, 2] <= self.box[:, 3])
            pos = np.flatnonzero(valid)
            b = self.box[pos].astype("float64")
            boxes = shapely.box(b[:, 0] - 0.25, b[:, 2] - 0.25, b[:, 1] + 0.25, b[:, 3] + 0.25)
            self._tree.append((shapely.STRtree(boxes), pos))
        tree, pos = self._tree[0]
        if pos.size == 0:
            return pos
        c0, r0 = int(window.col_off), int(window.row_off)
        c1, r1 = c0 + int(window.width) - 1, r0 + int(window.height) - 1
        hit = pos[tree.query(shapely.box(c0 - 0.25, r0 - 0.25, c1 + 0.25, r1 + 0.25))]
        b = self.box[hit]
        keep = (b[:, 0] <= c1) & (b[:, 1] >= c0) & (b[:, 2] <= r1) & (b[:, 3] >= r0)
        return np.sort(hit[keep])

    def subset(self, positions: np.ndarray) -> CellArrays:
        """Select the cells at ``positions`` (sorted), keeping their global indices.

        For shipping only a tile's candidate cells to a worker.
        """
        positions = np.sort(np.asarray(positions, dtype="int64"))
        per_cell = {
            name: getattr(self, name)[positions]
            for name in (
                "x_m", "y_m", "h_bs_m", "azimuth_deg", "beamwidth_deg", "tilt_deg", "frequency_ghz",
                "base_dbm", "range_m", "reach_m", "box", "cell_index", "site_index", "operator_index",
                "carrier_index", "loc_index", "cell_ids", "cell_operator",
            )
        }  # fmt: skip
        return CellArrays(
            **per_cell,
            loc_box=self.loc_box,
            site_box=self.site_box,
            site_ids=self.site_ids,
            operators=self.operators,
            carriers_mhz=self.carriers_mhz,
        )


def _scs_khz(link_budget: Any) -> float:
    return float(getattr(link_budget, "scs_khz", 30.0))


def _grid_azimuth(
    lon: np.ndarray,
    lat: np.ndarray,
    az: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    to_grid: Transformer,
) -> np.ndarray:
    """Bearing in the grid of a true-north azimuth, per cell [degrees].

    Moves 100 m along the geodesic at ``az`` and measures the grid bearing of
    that step: this absorbs the meridian convergence of the projection.
    """
    out = np.full(az.shape, np.nan)
    ok = np.isfinite(az)
    if ok.any():
        lon2, lat2, _ = _GEOD.fwd(lon[ok], lat[ok], az[ok], np.full(int(ok.sum()), 100.0))
        x2, y2 = to_grid.transform(lon2, lat2)
        out[ok] = np.degrees(np.arctan2(np.asarray(x2) - x[ok], np.asarray(y2) - y[ok])) % 360.0
    return out


def _pixel_box(grid: GridSpec, x: np.ndarray, y: np.ndarray, reach: np.ndarray) -> np.ndarray:
    """Inclusive global pixel box of the centres within ``reach`` along x and y."""
    res = grid.resolution_m
    left, top = grid.transform.c, grid.transform.f
    with np.errstate(invalid="ignore"):
        col_lo = np.ceil((x - reach - left) / res - 0.5)
        col_hi = np.floor((x + reach - left) / res - 0.5)
        row_lo = np.ceil((top - y - reach) / res - 0.5)
        row_hi = np.floor((top - y + reach) / res - 0.5)
    box = np.stack([col_lo, col_hi, row_lo, row_hi], axis=1)
    box = np.where(np.isfinite(box), box, np.array([1, 0, 1, 0]))  # NaN → empty box
    lim = 2**40
    return np.clip(box, -lim, lim).astype("int64")


def _union_boxes(box: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Union (bounding box) of the pixel boxes per group id."""
    n = int(group.max()) + 1 if group.size else 0
    out = np.empty((n, 4), dtype="int64")
    out[:, [0, 2]] = np.iinfo("int64").max
    out[:, [1, 3]] = np.iinfo("int64").min
    np.minimum.at(out[:, 0], group, box[:, 0])
    np.maximum.at(out[:, 1], group, box[:, 1])
    np.minimum.at(out[:, 2], group, box[:, 2])
    np.maximum.at(out[:, 3], group, box[:, 3])
    return out


#: Largest antenna attenuation A_m = SLA_V [dB] (TR 38.901 Table 7.3-1; the
#: defaults of :func:`phusong.propagation.sector_attenuation_db`).
ANTENNA_MAX_ATTENUATION_DB = 30.0


def _off_boresight_rad(dx: np.ndarray, dy: np.ndarray, azimuth_deg: float) -> np.ndarray:
    """Signed horizontal angle between a boresight and each pixel [rad], float32.

    ``dx`` (columns) and ``dy`` (rows) are the 1D offsets of the pixel
    centres from the cell [m]. Rotating them into the antenna frame (``along``
    the boresight, ``across`` clockwise of it) gives the angle in (−π, π]
    directly, with no wrapping: φ = atan2(across, along).
    """
    a = math.radians(azimuth_deg)
    sin_a, cos_a = np.float32(math.sin(a)), np.float32(math.cos(a))
    along = np.add.outer(dy * cos_a, dx * sin_a)
    across = np.add.outer(-dy * sin_a, dx * cos_a)
    return np.arctan2(across, along, out=across)


def _horizontal_attenuation_db(phi_rad: np.ndarray, beamwidth_deg: float) -> np.ndarray:
    """Horizontal pattern loss min(12 (φ/φ3dB)², A_m) [dB, positive], float32 (new array)."""
    k = np.float32(12.0 * (180.0 / math.pi / beamwidth_deg) ** 2)
    out = np.square(phi_rad)
    out *= k
    return np.minimum(out, np.float32(ANTENNA_MAX_ATTENUATION_DB), out=out)


def _vertical_attenuation_db(
    distance_m: np.ndarray, dh_m: float, tilt_deg: float, vertical_beamwidth_deg: float
) -> np.ndarray:
    """Vertical pattern loss min(12 ((θ − 90° − tilt)/θ3dB)², SLA_V) [dB, positive], float32.

    θ − 90° = atan2(hBS − hUT, d) is the depression angle of the pixel seen
    from the antenna.
    """
    elev = np.arctan2(np.float32(dh_m), distance_m)
    elev *= np.float32(180.0 / math.pi)
    elev -= np.float32(tilt_deg)
    np.square(elev, out=elev)
    elev *= np.float32(12.0 / vertical_beamwidth_deg**2)
    return np.minimum(elev, np.float32(ANTENNA_MAX_ATTENUATION_DB), out=elev)


# --------------------------------------------------------------------------- tiles


@dataclass
class TileResult:
    """Raw accumulators of one tile (before thresholding).

    Attributes
    ----------
    window : rasterio.windows.Window
        Where the tile sits in the grid.
    best : ndarray
        float32 best score: RSRP [dBm] for path-loss models, minus the distance
        [m] for footprint models; −inf where no cell was evaluated.
    best_cell : ndarray
        int32 global cell index of the best score, −1 none.
    best_mw : ndarray
        float32 received power of the best cell [mW] (counted in ``total_mw``).
    total_mw : ndarray
        float64 ``(n_carriers, h, w)`` summed received power per carrier [mW].
    n_servers : ndarray
        uint16 distinct sites above the threshold.
    op_best : ndarray
        float32 ``(n_operators, h, w)`` best score per operator.
    op_n_servers : ndarray
        uint16 ``(n_operators, h, w)`` distinct sites above threshold per operator.
    n_evaluations : int
        Cell-pixel evaluations performed.
    """

    window: Window
    best: np.ndarray
    best_cell: np.ndarray
    best_mw: np.ndarray
    total_mw: np.ndarray
    n_servers: np.ndarray
    op_best: np.ndarray
    op_n_servers: np.ndarray
    n_evaluations: int = 0

    @classmethod
    def empty(cls, window: Window, params: TileParams) -> TileResult:
        """Accumulators of a tile where no cell has been evaluated yet."""
        h, w = int(window.height), int(window.width)
        n_car = 0 if params.footprint else params.n_carriers
        return cls(
            window=window,
            best=np.full((h, w), -np.inf, dtype="float32"),
            best_cell=np.full((h, w), -1, dtype="int32"),
            best_mw=np.zeros((0, 0) if params.footprint else (h, w), dtype="float32"),
            total_mw=np.zeros((n_car, h, w), dtype="float64"),
            n_servers=np.zeros((h, w), dtype="uint16"),
            op_best=np.full((params.n_operators, h, w), -np.inf, dtype="float32"),
            op_n_servers=np.zeros((params.n_operators, h, w), dtype="uint16"),
        )

    def reset(self, window: Window) -> TileResult | None:
        """Reuse these buffers for ``window`` (same size): cleared, or None if the size differs.

        Saves the page faults of fresh tile buffers when tiles are computed in
        a loop; a reused result must no longer be referenced elsewhere.
        """
        if (int(window.height), int(window.width)) != self.best.shape:
            return None
        self.window = window
        self.best.fill(-np.inf)
        self.best_cell.fill(-1)
        self.best_mw.fill(0.0)
        self.total_mw.fill(0.0)
        self.n_servers.fill(0)
        self.op_best.fill(-np.inf)
        self.op_n_servers.fill(0)
        self.n_evaluations = 0
        return self

    def merge(self, other: TileResult) -> TileResult:
        """Combine two results of the same window over disjoint sets of *sites*.

        Best score = max (ties to the lower cell index), powers and counts =
        sum. Exact as long as no site has cells in both parts (counts are of
        distinct sites).
        """
        if (self.window.col_off, self.window.row_off, self.window.width, self.window.height) != (
            other.window.col_off, other.window.row_off, other.window.width, other.window.height,
        ):  # fmt: skip
            raise ValueError("can only merge results of the same window.")
        take = (other.best > self.best) | ((other.best == self.best) & (other.best_cell >= 0) & (
            (self.best_cell < 0) | (other.best_cell < self.best_cell)
        ))  # fmt: skip
        return TileResult(
            window=self.window,
            best=np.where(take, other.best, self.best),
            best_cell=np.where(take, other.best_cell, self.best_cell),
            best_mw=np.where(take, other.best_mw, self.best_mw)
            if self.best_mw.size
            else self.best_mw,
            total_mw=self.total_mw + other.total_mw,
            n_servers=self.n_servers + other.n_servers,
            op_best=np.maximum(self.op_best, other.op_best),
            op_n_servers=self.op_n_servers + other.op_n_servers,
            n_evaluations=self.n_evaluations + other.n_evaluations,
        )


def compute_tile(
    window: Window,
    cells: CellArrays,
    grid: GridSpec,
    params: TileParams,
    *,
    out: TileResult | None = None,
) -> TileResult:
    r"""Evaluate every cell that reaches ``window`` on the pixels of that window.

    A pure function of its arguments (it reads ``cells`` and ``grid`` and
    returns new arrays), so tiles can run in threads or on Dask workers.

    Parameters
    ----------
    window : rasterio.windows.Window
        Tile of ``grid``.
    cells : CellArrays
        All cells, or any subset holding at least the cells that reach the
        window (:meth:`CellArrays.subset`).
    grid : GridSpec
        The grid.
    params : TileParams
        Run constants.
    out : TileResult, optional
        Buffers to reuse (see :meth:`TileResult.reset`); by default new ones.

    Returns
    -------
    TileResult
        Raw accumulators; :meth:`GridResult.place` thresholds and stores them.

    Notes
    -----
    Per cell and pixel of the cell's box (``d`` = 2D distance from the cell to
    the pixel centre, ``φ`` = bearing):

    .. math:: \mathrm{RSRP} = \mathrm{EIRP} - 10\log_{10}(12 N_{RB})
              - PL(d, f, h_{BS}, h_{UT}) + A(φ, d) - L_{indoor} - M_{shadow}

    Cells are processed in their global order and pixels only see cells whose
    box contains them, so results do not depend on the tiling. Memory: the
    tile's accumulators plus, per site location, a few float32 arrays of its
    box clipped to the tile.
    """
    r0, c0 = int(window.row_off), int(window.col_off)
    h, w = int(window.height), int(window.width)
    out = (out.reset(window) if out is not None else None) or TileResult.empty(window, params)
    idx = cells.query(window)
    if idx.size == 0:
        return out
    xs = grid.x_centres(c0, c0 + w)
    ys = grid.y_centres(r0, r0 + h)
    footprint = params.footprint
    sinr = not footprint
    thr = np.float32(params.threshold_dbm)
    floor = np.float32(params.floor_dbm)

    def local(b: np.ndarray) -> np.ndarray:
        # global inclusive (col_lo, col_hi, row_lo, row_hi) -> tile-local exclusive (r0, r1, c0, c1)
        return np.stack(
            [
                np.clip(b[..., 2] - r0, 0, h),
                np.clip(b[..., 3] + 1 - r0, 0, h),
                np.clip(b[..., 0] - c0, 0, w),
                np.clip(b[..., 1] + 1 - c0, 0, w),
            ],
            axis=-1,
        ).tolist()

    cbox = local(cells.box[idx])
    lbox = local(cells.loc_box[cells.loc_index[idx]])
    sbox = local(cells.site_box[cells.site_index[idx]])
    site = cells.site_index[idx]
    starts = np.flatnonzero(np.r_[True, site[1:] != site[:-1]]).tolist()
    starts.append(idx.size)
    n_eval = 0
    for run in range(len(starts) - 1):
        k0, k1 = starts[run], starts[run + 1]
        sr0, sr1, sc0, sc1 = sbox[k0]
        site_cov = np.zeros((sr1 - sr0, sc1 - sc0), dtype=bool)
        op_cov: dict[int, np.ndarray] = {}
        run_ops = cells.operator_index[idx[k0:k1]]
        single_op = int(run_ops[0]) if bool(np.all(run_ops == run_ops[0])) else None
        cached_loc = -1
        for k in range(k0, k1):
            ci = int(idx[k])
            cr0, cr1, cc0, cc1 = cbox[k]
            if cr0 >= cr1 or cc0 >= cc1:
                continue
            loc = int(cells.loc_index[ci])
            if loc != cached_loc:
                cached_loc = loc
                lr0, lr1, lc0, lc1 = lbox[k]
                dx = (xs[lc0:lc1] - cells.x_m[ci]).astype("float32")
                dy = (ys[lr0:lr1] - cells.y_m[ci]).astype("float32")
                dist = np.sqrt(np.add.outer(np.square(dy), np.square(dx)))
                cache: dict[tuple, np.ndarray] = {}
            sub = (slice(cr0 - lr0, cr1 - lr0), slice(cc0 - lc0, cc1 - lc0))
            d = dist[sub]
            az = float(cells.azimuth_deg[ci])
            sectored = not math.isnan(az)
            n_eval += d.size
            if sectored and (not footprint or params.model == "sector"):
                phi = _off_boresight_rad(dx[sub[1]], dy[sub[0]], az)
            if footprint:
                inside = d <= np.float32(cells.range_m[ci])
                if sectored and params.model == "sector":
                    half = np.float32(math.radians(cells.beamwidth_deg[ci] / 2.0))
                    inside &= np.abs(phi) <= half
                v = np.where(inside, -d, np.float32(-np.inf))
                cov = inside
            else:
                h_bs = float(cells.h_bs_m[ci])
                key = ("pl", float(cells.frequency_ghz[ci]), h_bs, cr0, cr1, cc0, cc1)
                pl = cache.get(key)
                if pl is None:
                    pl = prop.path_loss_db(
                        d, key[1], model=params.model, h_bs_m=h_bs, h_ut_m=params.h_ut_m
                    )
                    pl = cache[key] = np.asarray(pl, dtype="float32")
                v = np.float32(cells.base_dbm[ci]) - pl
                if sectored:
                    tilt = float(cells.tilt_deg[ci])
                    vkey = ("av", tilt, h_bs, cr0, cr1, cc0, cc1)
                    a_v = cache.get(vkey)
                    if a_v is None:
                        a_v = cache[vkey] = _vertical_attenuation_db(
                            d, h_bs - params.h_ut_m, tilt, params.vertical_beamwidth_deg
                        )
                    att = _horizontal_attenuation_db(phi, float(cells.beamwidth_deg[ci]))
                    att += a_v
                    np.minimum(att, np.float32(ANTENNA_MAX_ATTENUATION_DB), out=att)
                    v -= att
                cov = v >= thr
            tr, tc = slice(cr0, cr1), slice(cc0, cc1)
            bv = out.best[tr, tc]
            better = v > bv
            np.copyto(bv, v, where=better)
            np.copyto(out.best_cell[tr, tc], np.int32(cells.cell_index[ci]), where=better)
            if sinr:
                lin = np.multiply(v, _LN10_10)
                np.exp(lin, out=lin)
                np.putmask(lin, v < floor, np.float32(0.0))
                np.copyto(out.best_mw[tr, tc], lin, where=better)
                tot = out.total_mw[cells.carrier_index[ci], tr, tc]
                np.add(tot, lin, out=tot)
            ssub = (slice(cr0 - sr0, cr1 - sr0), slice(cc0 - sc0, cc1 - sc0))
            sv = site_cov[ssub]
            np.logical_or(sv, cov, out=sv)
            o = int(cells.operator_index[ci])
            if o >= 0:
                if not footprint:
                    ob = out.op_best[o, tr, tc]
                    np.maximum(ob, v, out=ob)
                if single_op is None:
                    mask = op_cov.get(o)
                    if mask is None:
                        mask = op_cov[o] = np.zeros_like(site_cov)
                    mv = mask[ssub]
                    np.logical_or(mv, cov, out=mv)
        if single_op is not None and single_op >= 0:
            op_cov[single_op] = site_cov
        if sr0 < sr1 and sc0 < sc1:
            tgt = out.n_servers[sr0:sr1, sc0:sc1]
            np.add(tgt, site_cov, out=tgt, casting="unsafe")
            for o, mask in op_cov.items():
                tgt = out.op_n_servers[o, sr0:sr1, sc0:sc1]
                np.add(tgt, mask, out=tgt, casting="unsafe")
    out.n_evaluations = n_eval
    return out


# --------------------------------------------------------------------------- result


@dataclass
class GridResult:
    """Per-pixel coverage layers of a whole grid (see the module docstring).

    Attributes
    ----------
    grid : GridSpec
        The grid.
    model : str
        Model name.
    threshold_dbm : float
        Service threshold [dBm] (NaN for footprint models).
    rsrp_dbm, serving_cell, serving_site, n_servers, sinr_db : ndarray
        ``(height, width)`` layers.
    operators : tuple of str
        Names of the per-operator layers.
    operator_rsrp_dbm, operator_n_servers : ndarray
        ``(n_operators, height, width)`` layers.
    cell_ids, site_ids, cell_site, cell_operator : ndarray
        Identifiers for the indices in ``serving_cell`` / ``serving_site``.
    range_m : ndarray
        Per cell: footprint radius, or boresight coverage range at the
        threshold [m].
    noise_dbm : float
        Noise per resource element used for the SINR [dBm].
    stats : dict
        ``seconds``, ``tiles``, ``cells``, ``evaluations`` (cell-pixel
        evaluations), ``workers``.
    """

    grid: GridSpec
    model: str
    threshold_dbm: float
    rsrp_dbm: np.ndarray
    serving_cell: np.ndarray
    serving_site: np.ndarray
    n_servers: np.ndarray
    sinr_db: np.ndarray
    operators: tuple[str, ...]
    operator_rsrp_dbm: np.ndarray
    operator_n_servers: np.ndarray
    cell_ids: np.ndarray
    site_ids: np.ndarray
    cell_site: np.ndarray
    cell_operator: np.ndarray
    cell_carrier: np.ndarray
    range_m: np.ndarray
    noise_dbm: float
    stats: dict = field(default_factory=dict)

    @classmethod
    def allocate(cls, grid: GridSpec, cells: CellArrays, params: TileParams) -> GridResult:
        """Empty (all unserved) layers for ``grid``, ready for :meth:`place`."""
        shape = grid.shape
        n_ops = len(cells.operators)
        return cls(
            grid=grid,
            model=params.model,
            threshold_dbm=np.nan if params.footprint else float(params.threshold_dbm),
            rsrp_dbm=np.full(shape, np.nan, dtype="float32"),
            serving_cell=np.full(shape, -1, dtype="int32"),
            serving_site=np.full(shape, -1, dtype="int32"),
            n_servers=np.zeros(shape, dtype="uint16"),
            sinr_db=np.full(shape, np.nan, dtype="float32"),
            operators=cells.operators,
            operator_rsrp_dbm=np.full((n_ops, *shape), np.nan, dtype="float32"),
            operator_n_servers=np.zeros((n_ops, *shape), dtype="uint16"),
            cell_ids=cells.cell_ids,
            site_ids=cells.site_ids,
            cell_site=cells.site_index,
            cell_operator=cells.cell_operator,
            cell_carrier=cells.carrier_index,
            range_m=cells.range_m,
            noise_dbm=float(params.noise_dbm),
        )

    def place(self, tile: TileResult, params: TileParams) -> None:
        """Threshold the raw accumulators of ``tile`` and write them in place."""
        r0, c0 = int(tile.window.row_off), int(tile.window.col_off)
        win = (slice(r0, r0 + int(tile.window.height)), slice(c0, c0 + int(tile.window.width)))
        best, cell = tile.best, tile.best_cell
        if params.footprint:
            served = cell >= 0
        else:
            thr = np.float32(params.threshold_dbm)
            served = best >= thr
            served &= cell >= 0
            ops = tile.op_best
            self.operator_rsrp_dbm[(slice(None), *win)] = np.where(
                ops >= thr, ops, np.float32(np.nan)
            )
        rows, cols = np.nonzero(served)
        cells = cell[rows, cols]
        if not params.footprint:
            rsrp = self.rsrp_dbm[win]
            rsrp[...] = np.nan
            rsrp[rows, cols] = best[rows, cols]
            total = tile.total_mw[self.cell_carrier[cells], rows, cols]
            sinr = prop.sinr_db(tile.best_mw[rows, cols], total, prop.dbm_to_mw(params.noise_dbm))
            view = self.sinr_db[win]
            view[...] = np.nan
            view[rows, cols] = sinr
        for layer, values in (
            (self.serving_cell, cells),
            (self.serving_site, self.cell_site[cells]),
        ):
            view = layer[win]
            view[...] = -1
            view[rows, cols] = values
        self.n_servers[win] = tile.n_servers
        self.operator_n_servers[(slice(None), *win)] = tile.op_n_servers

    def covered(self, operator: str = ANY_OPERATOR) -> np.ndarray:
        """Boolean served mask for ``operator`` (``"any"`` for any operator)."""
        return self.servers(operator) > 0

    def servers(self, operator: str = ANY_OPERATOR) -> np.ndarray:
        """Distinct serving sites per pixel for ``operator`` (uint16)."""
        if operator == ANY_OPERATOR:
            return self.n_servers
        try:
            return self.operator_n_servers[self.operators.index(operator)]
        except ValueError:
            raise ConfigError(
                f"no layer for operator {operator!r}; layers: {', '.join(self.operators) or 'none'}."
            ) from None

    def layers(self) -> dict[str, tuple[np.ndarray, Any, str, str]]:
        """Layers to write: name -> (array, nodata, description, units)."""
        out: dict[str, tuple[np.ndarray, Any, str, str]] = {
            "n_servers": (self.n_servers, None, "distinct serving sites above threshold", "sites"),
            "serving_site": (
                self.serving_site,
                -1,
                "index of the serving site (see site list)",
                "index",
            ),
            "serving_cell": (
                self.serving_cell,
                -1,
                "index of the serving cell (see cell list)",
                "index",
            ),
        }
        if self.model not in FOOTPRINT_MODELS:
            out["rsrp_dbm"] = (self.rsrp_dbm, np.nan, "best-server SS-RSRP", "dBm")
            out["sinr_db"] = (self.sinr_db, np.nan, "best-server SINR (co-channel)", "dB")
        for i, op in enumerate(self.operators):
            out[f"n_servers_{_slug(op)}"] = (
                self.operator_n_servers[i],
                None,
                f"{op}: serving sites",
                "sites",
            )
        return out

    def write_cogs(
        self, folder: str | os.PathLike, *, tags: dict[str, Any] | None = None
    ) -> list[Path]:
        """Write every layer of :meth:`layers` as a COG into ``folder``.

        Returns the written paths. Tags name the model, threshold and units.
        """
        folder = Path(folder)
        base = {"model": self.model, "threshold_dbm": self.threshold_dbm, **(tags or {})}
        paths = []
        for name, (arr, nodata, desc, units) in self.layers().items():
            path = folder / f"{name}.tif"
            write_cog(path, arr, self.grid, nodata, {**base, "layer": name, "units": units},
                      descriptions=[desc], units=[units])  # fmt: skip
            paths.append(path)
        return paths


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in str(text).lower()).strip("_") or "unknown"


# --------------------------------------------------------------------------- driver


def _link_params(
    model: str, link_budget: Any, n_operators: int, n_carriers: int, margin_db: float
) -> TileParams:
    threshold = float(getattr(link_budget, "threshold_dbm", -110.0))
    noise = float(link_budget.noise_per_re_dbm)
    return TileParams(
        model=model,
        threshold_dbm=threshold,
        floor_dbm=threshold - float(margin_db),
        h_ut_m=float(getattr(link_budget, "h_ut_m", 1.5)),
        noise_dbm=noise,
        vertical_beamwidth_deg=float(
            getattr(link_budget, "vertical_beamwidth_deg", DEFAULT_VERTICAL_BEAMWIDTH_DEG)
        ),
        n_operators=n_operators,
        n_carriers=n_carriers,
    )


def _resolve_model(model: str) -> str:
    """Full model name; footprint names pass through."""
    if model in FOOTPRINT_MODELS:
        return model
    try:
        return prop.resolve_model(model)
    except ConfigError as exc:
        raise ConfigError(f"{exc} Footprint models: {', '.join(FOOTPRINT_MODELS)}.") from exc


def prepare_cells(
    sites: pd.DataFrame,
    grid: GridSpec,
    *,
    model: str,
    link_budget: Any = None,
    operators: Sequence[str] | None = None,
    interference_margin_db: float = DEFAULT_INTERFERENCE_MARGIN_DB,
) -> tuple[CellArrays, TileParams]:
    """Cell arrays and run constants of a run, as :func:`compute_grid` builds them.

    For backends that schedule :func:`compute_tile` themselves (Dask).

    Parameters
    ----------
    sites, grid, model, link_budget, operators, interference_margin_db
        As for :func:`compute_grid`.

    Returns
    -------
    (CellArrays, TileParams)
    """
    model = _resolve_model(model)
    if link_budget is None:
        link_budget = prop.LinkBudget()
    if not (interference_margin_db >= 0):
        raise ConfigError(f"interference_margin_db must be ≥ 0, not {interference_margin_db!r}.")
    margin = 0.0 if model in FOOTPRINT_MODELS else float(interference_margin_db)
    pre = _link_params(model, link_budget, 0, 1, margin)
    cells = CellArrays.from_sites(sites, grid, pre, link_budget=link_budget, operators=operators)
    n_carriers = max(len(cells.carriers_mhz), 1)
    return cells, _link_params(model, link_budget, len(cells.operators), n_carriers, margin)


def compute_grid(
    sites: pd.DataFrame,
    grid: GridSpec,
    *,
    model: str,
    link_budget: Any = None,
    operators: Sequence[str] | None = None,
    tile_px: int = 1024,
    progress: Callable[[float], Any] | None = None,
    interference_margin_db: float = DEFAULT_INTERFERENCE_MARGIN_DB,
    workers: int | None = None,
) -> GridResult:
    """Best server, server count, SINR and per-operator layers over ``grid``.

    Parameters
    ----------
    sites : DataFrame
        Canonical site table, one row per cell (:data:`phusong.schema.SITE_COLUMNS`).
    grid : GridSpec
        Grid to fill (:meth:`GridSpec.for_area`).
    model : str
        A path-loss model of :func:`phusong.propagation.path_loss_db` (e.g.
        ``"uma_nlos"``, ``"fspl"``), or ``"disc"`` / ``"sector"`` (a pixel is
        served when its centre lies within ``range_m`` of the cell, and inside
        the wedge ``azimuth ± beamwidth/2`` for ``"sector"``; no RSRP).
    link_budget : phusong.propagation.LinkBudget, optional
        Threshold, UE height, indoor loss, reliability (shadow margin); default
        ``LinkBudget()``.
    operators : sequence of str, optional
        Operators that get their own layer (default: all in the table). Every
        cell counts for the "any" layers.
    tile_px : int
        Tile edge [pixels]; results do not depend on it, memory does.
    progress : callable, optional
        Called with the fraction of tiles done (0…1).
    interference_margin_db : float
        Cells are evaluated (and add co-channel interference) down to
        ``threshold − interference_margin_db`` [dB].
    workers : int, optional
        Threads computing tiles (numpy releases the GIL); default: CPU count,
        at most 4.

    Returns
    -------
    GridResult
        All layers; ``stats`` holds the timing and number of evaluations.

    Raises
    ------
    DataError
        Unusable site rows (all listed).
    ConfigError
        Unknown model or bad options.
    """
    t0 = time.perf_counter()
    tile_px = _positive_int(tile_px, "tile_px")
    cells, params = prepare_cells(
        sites, grid, model=model, link_budget=link_budget, operators=operators,
        interference_margin_db=interference_margin_db,
    )  # fmt: skip
    result = GridResult.allocate(grid, cells, params)
    windows = list(grid.tiles(tile_px))
    if workers is None:
        workers = min(os.cpu_count() or 1, 4)
    workers = _positive_int(workers, "workers")
    n_eval = 0
    done = 0

    spare: list[TileResult] = []  # placed tiles whose buffers can be reused

    def finished(tile: TileResult) -> None:
        nonlocal n_eval, done
        result.place(tile, params)
        n_eval += tile.n_evaluations
        done += 1
        spare.append(tile)
        if progress is not None:
            progress(done / len(windows))

    def task(win: Window, buffers: TileResult | None) -> TileResult:
        return compute_tile(win, cells, grid, params, out=buffers)

    if workers == 1 or len(windows) == 1:
        for win in windows:
            finished(task(win, spare.pop() if spare else None))
    else:
        cells.query(windows[0])  # build the index before the threads share it
        with ThreadPoolExecutor(max_workers=workers) as pool:
            pending: deque[Future] = deque()
            for win in windows:
                pending.append(pool.submit(task, win, spare.pop() if spare else None))
                if len(pending) >= 2 * workers:
                    finished(pending.popleft().result())
            while pending:
                finished(pending.popleft().result())
    result.stats = {
        "seconds": time.perf_counter() - t0,
        "tiles": len(windows),
        "cells": len(cells),
        "evaluations": int(n_eval),
        "workers": workers,
    }
    log.info(
        "grid %d×%d at %g m: %d cells, %d tiles, %.3g cell-pixel evaluations in %.1f s",
        grid.width, grid.height, grid.resolution_m, len(cells), len(windows), n_eval, result.stats["seconds"],
    )  # fmt: skip
    return result


# --------------------------------------------------------------------------- writing


def _cog_driver_available() -> bool:
    with rasterio.Env() as env:
        return "COG" in env.drivers()


def write_cog(
    path: str | os.PathLike,
    array: np.ndarray,
    grid: GridSpec,
    nodata: float | int | None = None,
    tags: dict[str, Any] | None = None,
    *,
    descriptions: Sequence[str] | None = None,
    units: Sequence[str] | None = None,
    resampling: str = "nearest",
    _driver: str | None = None,
) -> Path:
    """Write ``array`` as a Cloud-Optimised GeoTIFF, atomically.

    Parameters
    ----------
    path : path
        Output file; replaced atomically (written to a temporary file in the
        same folder, then ``os.replace``), so readers never see half a file.
    array : ndarray
        ``(height, width)`` or ``(bands, height, width)`` on ``grid``.
    grid : GridSpec
        Gives the CRS and transform.
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

    Notes
    -----
    Uses GDAL's ``COG`` driver (deflate, 512-pixel tiles, overviews) when the
    bundled GDAL has it; otherwise writes a tiled GTiff, builds its overviews
    and copies it with ``copy_src_overviews=True``, which gives the same layout.
    """
    arr = np.asarray(array)
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim != 3 or arr.shape[1:] != grid.shape:
        raise ValueError(f"array shape {array.shape} does not match the grid {grid.shape}.")
    if arr.dtype == bool:
        arr = arr.astype("uint8")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp.tif", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    profile = {
        "width": grid.width,
        "height": grid.height,
        "count": arr.shape[0],
        "dtype": arr.dtype.name,
        "crs": grid.crs.to_wkt(),
        "transform": grid.transform,
        "nodata": nodata,
    }
    driver = _driver or ("COG" if _cog_driver_available() else "GTiff")
    helper = None
    try:
        if driver == "COG":
            with rasterio.open(tmp, "w", driver="COG", compress="deflate", blocksize=512,
                               overview_resampling=resampling, **profile) as dst:  # fmt: skip
                _fill(dst, arr, tags, descriptions, units)
        else:
            helper = tmp.with_suffix(".src.tif")
            with rasterio.open(helper, "w", driver="GTiff", tiled=True, blockxsize=512, blockysize=512,
                               compress="deflate", **profile) as dst:  # fmt: skip
                _fill(dst, arr, tags, descriptions, units)
                # Halve until the coarsest level fits in one 512-pixel block (as COG does).
                factors = []
                f = 2
                while max(grid.width, grid.height) / (f // 2) > 512:
                    factors.append(f)
                    f *= 2
                if factors:
                    dst.build_overviews(factors, Resampling[resampling])
            rasterio.shutil.copy(helper, tmp, driver="GTiff", tiled=True, blockxsize=512, blockysize=512,
                                 compress="deflate", copy_src_overviews=True)  # fmt: skip
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        if helper is not None:
            helper.unlink(missing_ok=True)
    return path


def _fill(dst: Any, arr: np.ndarray, tags: dict | None, descriptions: Sequence[str] | None,
          units: Sequence[str] | None) -> None:  # fmt: skip
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
    "FOOTPRINT_MODELS",
    "CellArrays",
    "GridResult",
    "GridSpec",
    "TileParams",
    "TileResult",
    "compute_grid",
    "compute_tile",
    "prepare_cells",
    "write_cog",
]
