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
best server, each counted where its own RSRP is at least the evaluation floor.
Weaker contributions are ignored, so the SINR is slightly optimistic where
many cells sit just below the floor.
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
from phusong.raster.kernel import TileResult, compute_tile
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
    tile_px = positive_int(tile_px, "tile_px")
    cells, params = prepare_cells(
        sites, grid, model=model, link_budget=link_budget, operators=operators,
        interference_margin_db=interference_margin_db,
    )  # fmt: skip
    result = GridResult.allocate(grid, cells, params)
    windows = list(grid.tiles(tile_px))
    if workers is None:
        workers = min(os.cpu_count() or 1, 4)
    workers = positive_int(workers, "workers")
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
]
