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
``indoor_rsrp_dbm``       float32    best RSRP − O2I loss − indoor margin [dBm]
                                     (when the cells carry an O2I loss)
``indoor_n_servers``      uint16     distinct sites serving indoors (idem)
``earliest_on_air_day``   float32    earliest on-air date of a serving cell [days
                                     since 1970-01-01] (when the cells carry dates)
``terrain_unknown``       bool       a reaching cell had no terrain data (terrain on)
========================  =========  ==============================================

Every cell may carry its own path-loss model, calibration, losses, O2I loss
and on-air date (:data:`phusong.raster.cells.CELL_OPTION_COLUMNS`); terrain
enters as a per-site window of extra loss (:class:`phusong.raster.kernel.TerrainLoss`).

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

Modules
-------
The engine is layered; this module holds the whole-grid result and the
in-process driver, and re-exports the names callers use:

* :mod:`phusong.raster.spec` — :class:`GridSpec` (the grid, its tiles) and
  :class:`TileParams` (the constants of a run);
* :mod:`phusong.raster.cells` — :class:`CellArrays` and :func:`prepare_cells`
  (reading, checking and ordering the cells, their reach and pixel boxes);
* :mod:`phusong.raster.kernel` — :func:`compute_tile` and :class:`TileResult`
  (the per-tile kernel and the antenna attenuation);
* here — :class:`GridResult` (the mosaic, its layers, :meth:`GridResult.write_cogs`
  through :func:`phusong.io.rasters.write_cog`) and :func:`compute_grid`.

Interference (SINR) is co-channel: cells on the same carrier frequency as the
best server, each counted where its own RSRP is at least the evaluation
floor, which is never above the noise power per resource element (−122.2 dBm
at 30 kHz and 7 dB noise figure). Interferers below the noise floor are not
counted; each adds less than the noise itself.

Tiles run on the compiled kernel (:mod:`phusong.raster.compiled`, path-loss
models) or on the numpy reference path (:mod:`phusong.raster.reference`; the
footprint models, and ``engine="reference"``); the tests hold the two equal
within 0.01 dB.
"""

from __future__ import annotations

import logging
import os
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rasterio.windows import Window

from phusong import propagation as prop
from phusong.errors import ConfigError
from phusong.io.rasters import write_cog
from phusong.raster.cells import DEFAULT_INTERFERENCE_MARGIN_DB, CellArrays, prepare_cells
from phusong.raster.kernel import (
    TerrainLoss,
    TileResult,
    compute_tile,
    place_compiled,
    warm_up_compiled,
)
from phusong.raster.spec import FOOTPRINT_MODELS, GridSpec, TileParams, positive_int
from phusong.schema import ANY_OPERATOR

log = logging.getLogger(__name__)


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
        evaluations), ``workers``, ``engine``.
    sinr_min_db : float or None
        SINR criterion of coverage [dB] (None: RSRP threshold only). Where the
        best server's SINR is below it, the pixel has no server.
    indoor_rsrp_dbm, indoor_n_servers : ndarray or None
        Indoor layers (best RSRP − O2I loss − indoor margin, NaN below the
        threshold; distinct sites serving indoors), when the cells carry an
        O2I loss.
    earliest_on_air_day : ndarray or None
        float32 earliest on-air date [days since 1970-01-01] among the cells
        above the threshold outdoors (+inf: none; −inf: on air from the
        start), when the cells carry dates: a pixel is covered at date D when
        ``earliest_on_air_day ≤ D`` (RSRP threshold; the SINR criterion is
        not applied per date).
    terrain_unknown : ndarray or None
        bool, True where some cell within its reach had no terrain data (its
        loss was computed without terrain there), when terrain was used.
    overlap : Overlap or None
        The wards' pixel pieces on this grid
        (:func:`phusong.raster.ward_pixels.ward_overlap`), kept by the first
        per-ward step of an audit so that the later ones reuse them.
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
    sinr_min_db: float | None = None
    indoor_rsrp_dbm: np.ndarray | None = None
    indoor_n_servers: np.ndarray | None = None
    earliest_on_air_day: np.ndarray | None = None
    terrain_unknown: np.ndarray | None = None
    overlap: Any = field(default=None, repr=False)

    @classmethod
    def allocate(cls, grid: GridSpec, cells: CellArrays, params: TileParams) -> GridResult:
        """Layers for ``grid``, ready for :meth:`place`.

        :meth:`place` writes every pixel of every layer of its tile, and every
        tile of the grid is placed, so the layers are left uninitialised
        (``numpy.empty``: no pass over hundreds of megabytes before the
        work starts; the pages are touched by the threads placing the tiles).
        Footprint models place only the server layers, so for them the others
        (RSRP, SINR, the optional layers) start filled.
        """
        shape = grid.shape
        n_ops = len(cells.operators)
        empty = np.empty

        def unplaced(
            dims: tuple[int, ...], fill: Any = np.nan, dtype: str = "float32"
        ) -> np.ndarray:
            if params.footprint:
                return np.full(dims, fill, dtype=dtype)
            return empty(dims, dtype=dtype)

        return cls(
            grid=grid,
            model=params.model,
            threshold_dbm=np.nan if params.footprint else float(params.threshold_dbm),
            rsrp_dbm=unplaced(shape),
            serving_cell=empty(shape, dtype="int32"),
            serving_site=empty(shape, dtype="int32"),
            n_servers=empty(shape, dtype="uint16"),
            sinr_db=unplaced(shape),
            operators=cells.operators,
            operator_rsrp_dbm=unplaced((n_ops, *shape)),
            operator_n_servers=empty((n_ops, *shape), dtype="uint16"),
            cell_ids=cells.cell_ids,
            site_ids=cells.site_ids,
            cell_site=cells.site_index,
            cell_operator=cells.cell_operator,
            cell_carrier=cells.carrier_index,
            range_m=cells.range_m,
            noise_dbm=float(params.noise_dbm),
            sinr_min_db=params.sinr_min_db,
            indoor_rsrp_dbm=unplaced(shape) if params.indoor else None,
            indoor_n_servers=unplaced(shape, 0, "uint16") if params.indoor else None,
            earliest_on_air_day=unplaced(shape, np.inf) if params.dated else None,
            terrain_unknown=unplaced(shape, False, "bool") if params.terrain is not None else None,
        )

    def place(self, tile: TileResult, params: TileParams) -> None:
        """Threshold the raw accumulators of ``tile`` and write them in place.

        The fast engine writes path-loss tiles in one compiled pass
        (:func:`phusong.raster.kernel.place_compiled`); this numpy code is the
        reference it is tested against (and places footprint tiles and the
        SINR criterion).
        """
        if params.compiled and not params.footprint and params.sinr_min_db is None:
            place_compiled(tile, params, self)
            return
        r0, c0 = int(tile.window.row_off), int(tile.window.col_off)
        win = (slice(r0, r0 + int(tile.window.height)), slice(c0, c0 + int(tile.window.width)))
        best, cell = tile.best, tile.best_cell
        n_servers, op_n = tile.n_servers, tile.op_n_servers
        if params.footprint:
            rows, cols = np.nonzero(cell >= 0)
        else:
            rows, cols = np.nonzero((best >= np.float32(params.threshold_dbm)) & (cell >= 0))
            sinr = self._served_sinr(tile, params, rows, cols)
            if params.sinr_min_db is not None:
                weak = sinr < np.float32(params.sinr_min_db)
                n_servers = n_servers.copy()
                n_servers[rows[weak], cols[weak]] = 0
                op_n = self._operator_sinr_cut(tile, params, op_n)
                rows, cols, sinr = rows[~weak], cols[~weak], sinr[~weak]
            ops = tile.op_best
            self.operator_rsrp_dbm[(slice(None), *win)] = np.where(
                (ops >= np.float32(params.threshold_dbm)) & (op_n > 0), ops, np.float32(np.nan)
            )
            self._place_optional(tile, params, win)
            for layer, values in ((self.rsrp_dbm, best[rows, cols]), (self.sinr_db, sinr)):
                view = layer[win]
                view[...] = np.nan
                view[rows, cols] = values
        cells = cell[rows, cols]
        for layer, values in (
            (self.serving_cell, cells),
            (self.serving_site, self.cell_site[cells]),
        ):
            view = layer[win]
            view[...] = -1
            view[rows, cols] = values
        self.n_servers[win] = n_servers
        self.operator_n_servers[(slice(None), *win)] = op_n

    def _served_sinr(
        self, tile: TileResult, params: TileParams, rows: np.ndarray, cols: np.ndarray
    ) -> np.ndarray:
        """Best-server SINR at the served pixels ``(rows, cols)`` of the tile [dB], float32.

        S / (I + N): S the best server's power, I the rest of its carrier's
        total (every co-channel cell down to the evaluation floor), N the
        noise per resource element.
        """
        best_mw = tile.best_mw[rows, cols]
        carrier = self.cell_carrier[tile.best_cell[rows, cols]]
        total = tile.total_mw[carrier, rows, cols]
        noise = np.float32(prop.dbm_to_mw(params.noise_dbm))
        interference = np.maximum(total - best_mw, np.float32(0.0))
        return (np.float32(10.0) * np.log10(best_mw / (interference + noise))).astype("float32")

    def _operator_sinr_cut(
        self, tile: TileResult, params: TileParams, op_n: np.ndarray
    ) -> np.ndarray:
        """Per-operator server counts, zero where the operator's best server misses ``sinr_min_db``."""
        if not op_n.size or not self.cell_carrier.size:
            return op_n
        cell = tile.op_best_cell
        carrier = self.cell_carrier[np.maximum(cell, 0)]
        total = np.take_along_axis(tile.total_mw, carrier, axis=0)
        best_mw = np.power(np.float32(10.0), tile.op_best / np.float32(10.0))
        noise = np.float32(prop.dbm_to_mw(params.noise_dbm))
        interference = np.maximum(total - best_mw, np.float32(0.0))
        with np.errstate(divide="ignore", invalid="ignore"):
            sinr = np.float32(10.0) * np.log10(best_mw / (interference + noise))
        weak = (cell >= 0) & (sinr < np.float32(params.sinr_min_db))
        return np.where(weak, np.uint16(0), op_n)

    def _place_optional(
        self, tile: TileResult, params: TileParams, win: tuple[slice, slice]
    ) -> None:
        """Indoor layers, earliest on-air date and terrain-unknown flags of the tile."""
        thr = np.float32(params.threshold_dbm)
        if self.indoor_rsrp_dbm is not None and self.indoor_n_servers is not None:
            ib = tile.indoor_best
            self.indoor_rsrp_dbm[win] = np.where(ib >= thr, ib, np.float32(np.nan))
            self.indoor_n_servers[win] = tile.indoor_n_servers
        if self.earliest_on_air_day is not None:
            self.earliest_on_air_day[win] = tile.earliest_day
        if self.terrain_unknown is not None:
            self.terrain_unknown[win] = tile.terrain_unknown.astype(bool)

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
        if self.indoor_rsrp_dbm is not None and self.indoor_n_servers is not None:
            out["indoor_rsrp_dbm"] = (
                self.indoor_rsrp_dbm, np.nan, "best indoor SS-RSRP (after O2I loss)", "dBm",
            )  # fmt: skip
            out["indoor_n_servers"] = (
                self.indoor_n_servers, None, "distinct sites serving indoors", "sites",
            )  # fmt: skip
        if self.earliest_on_air_day is not None:
            out["earliest_on_air_day"] = (
                self.earliest_on_air_day, np.inf,
                "earliest on-air date of a serving cell (days since 1970-01-01)", "days",
            )  # fmt: skip
        if self.terrain_unknown is not None:
            out["terrain_unknown"] = (
                self.terrain_unknown, None, "1 where terrain data was missing", "flag",
            )  # fmt: skip
        return out

    def covered_on(self, day: float) -> np.ndarray:
        """Outdoor coverage (RSRP threshold) with only the cells on air by ``day``.

        Parameters
        ----------
        day : float
            Date [days since 1970-01-01].

        Raises
        ------
        ConfigError
            The grid was computed without on-air dates.
        """
        if self.earliest_on_air_day is None:
            raise ConfigError(
                "this grid has no on-air dates; give the site table an 'on_air' column."
            )
        return self.earliest_on_air_day <= np.float32(day)

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
    engine: str = "fast",
    sinr_min_db: float | None = None,
    terrain: TerrainLoss | None = None,
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
        ``threshold − interference_margin_db`` [dB] or the noise floor,
        whichever is lower.
    workers : int, optional
        Threads computing tiles (the kernels release the GIL); default: CPU
        count, at most 4.
    engine : {"fast", "reference"}
        The compiled kernel, or the numpy reference path it is tested against.
    sinr_min_db : float, optional
        Coverage also needs the best server's SINR ≥ this [dB].
    terrain : TerrainLoss, optional
        Per-site extra loss windows [dB] (:class:`phusong.raster.kernel.TerrainLoss`).

    Returns
    -------
    GridResult
        All layers; ``stats`` holds the timing and number of evaluations.
        Optional per-cell columns of the site table
        (:data:`phusong.raster.cells.CELL_OPTION_COLUMNS`) switch on the
        indoor and on-air-date layers.

    Raises
    ------
    DataError
        Unusable site rows (all listed).
    ConfigError
        Unknown model or bad options.
    """
    t0 = time.perf_counter()
    tile_px = positive_int(tile_px, "tile_px")
    cells, params = prepare_cells(
        sites, grid, model=model, link_budget=link_budget, operators=operators,
        interference_margin_db=interference_margin_db, engine=engine, sinr_min_db=sinr_min_db,
        terrain=terrain,
    )  # fmt: skip
    result = GridResult.allocate(grid, cells, params)
    windows = list(grid.tiles(tile_px))
    if workers is None:
        workers = min(os.cpu_count() or 1, 4)
    workers = positive_int(workers, "workers")
    n_eval = run_tiles(windows, cells, grid, params, result, workers, progress)
    result.stats = {
        "seconds": time.perf_counter() - t0,
        "tiles": len(windows),
        "cells": len(cells),
        "evaluations": int(n_eval),
        "workers": workers,
        "engine": "compiled" if params.compiled else "reference",
    }
    if result.terrain_unknown is not None:
        result.stats["terrain_unknown_km2"] = (
            float(result.terrain_unknown.sum()) * grid.pixel_area_m2 / 1e6
        )
    log.info(
        "grid %d×%d at %g m: %d cells, %d tiles, %.3g cell-pixel evaluations in %.1f s",
        grid.width, grid.height, grid.resolution_m, len(cells), len(windows), n_eval, result.stats["seconds"],
    )  # fmt: skip
    return result


def run_tiles(
    windows: Sequence[Window],
    cells: CellArrays,
    grid: GridSpec,
    params: TileParams,
    result: GridResult,
    workers: int,
    progress: Callable[[float], Any] | None = None,
) -> int:
    """Compute every tile in ``workers`` threads and place it into ``result``.

    Each thread places its own tile (tiles are disjoint windows of the
    mosaic); tile buffers are reused once placed. Returns the cell-pixel
    evaluations.
    """
    n_eval = 0
    done = 0
    spare: list[TileResult] = []  # placed tiles whose buffers can be reused

    def finished(tile: TileResult) -> None:
        nonlocal n_eval, done
        n_eval += tile.n_evaluations
        done += 1
        spare.append(tile)
        if progress is not None:
            progress(done / len(windows))

    def task(win: Window, buffers: TileResult | None) -> TileResult:
        # Tiles are disjoint windows of the mosaic: placing them in the threads is safe.
        tile = compute_tile(win, cells, grid, params, out=buffers)
        result.place(tile, params)
        return tile

    if workers == 1 or len(windows) <= 1:
        for win in windows:
            finished(task(win, spare.pop() if spare else None))
        return n_eval
    cells.query(windows[0])  # build the index before the threads share it
    if params.compiled:
        warm_up_compiled()  # compile (or load) once, not in every thread
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending: deque[Future] = deque()
        for win in windows:
            pending.append(pool.submit(task, win, spare.pop() if spare else None))
            if len(pending) >= 2 * workers:
                finished(pending.popleft().result())
        while pending:
            finished(pending.popleft().result())
    return n_eval


__all__ = [
    "DEFAULT_INTERFERENCE_MARGIN_DB",
    "FOOTPRINT_MODELS",
    "CellArrays",
    "GridResult",
    "GridSpec",
    "TileParams",
    "TileResult",
    "compute_grid",
    "compute_tile",
    "prepare_cells",
    "run_tiles",
]
