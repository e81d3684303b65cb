"""The per-tile kernel of the raster engine: :func:`compute_tile` and :class:`TileResult`.

See :mod:`phusong.raster.grid` for how the work is organised. A tile is
evaluated cell by cell, each cell only on its own pixel box clipped to the
tile, in the global cell order (the cells of a site are contiguous), and the
tile keeps per pixel:

* the best server, its RSRP and power, and the received power per carrier
  (for the co-channel SINR);
* the number of *sites* with a cell above the threshold (the sectors of a
  mast share power and backhaul), for "any" operator and per operator;
* when asked: the indoor best RSRP (RSRP − O2I loss − indoor margin) and
  indoor server count, the earliest on-air date of the cells serving the
  pixel, and whether some cell's terrain loss was unknown there.

Two engines compute the same figures (:attr:`TileParams.engine`):

``"fast"``
    The compiled kernel of :mod:`phusong.raster.compiled` (path-loss models).
``"reference"``
    Plain numpy on :mod:`phusong.propagation` in :mod:`phusong.raster.reference`:
    what the fast kernel is tested against, and the engine of the footprint
    models.

Terrain enters as a per-site window of extra loss (:class:`TerrainLoss`),
fetched here for both engines.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
from rasterio.windows import Window

from phusong.raster.cells import CellArrays
from phusong.raster.reference import evaluate_tile
from phusong.raster.spec import GridSpec, TileParams
from phusong.raster.tile import (
    ANTENNA_MAX_ATTENUATION_DB,
    TerrainLoss,
    TerrainWindows,
    TileResult,
    local_boxes,
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
        Run constants; ``params.engine`` picks the compiled or the reference path.
    out : TileResult, optional
        Buffers to reuse (see :meth:`TileResult.reset`); by default new ones.

    Returns
    -------
    TileResult
        Raw accumulators; :meth:`GridResult.place` thresholds and stores them.

    Notes
    -----
    Per cell and pixel of the cell's box (``d`` = 2D distance from the cell to
    the pixel centre, ``φ`` = bearing off boresight, ``θ`` = depression angle):

    .. math:: \mathrm{RSRP} = \mathrm{EIRP} - 10\log_{10}(12 N_{RB})
              - PL_c(d) - \Delta_c(d) - T(p) - \min(A_H(φ) + A_V(θ), A_m)
              - M_c - L_c

    with PL_c the cell's model, Δ_c = offset + slope · log10(d3D / 1 km) its
    calibration, T the terrain loss, A the antenna pattern of
    :func:`phusong.propagation.sector_attenuation_db`, M_c the shadow margin
    and L_c the other losses. A cell adds its power to its carrier's total
    where its RSRP is at least the evaluation floor (the noise floor or
    lower). Cells are processed in their global order and pixels only see
    cells whose box contains them, so results do not depend on the tiling.
    """
    out = (out.reset(window) if out is not None else None) or TileResult.empty(window, params)
    idx = cells.query(window)
    if idx.size == 0:
        return out
    windows = terrain_windows(window, cells, idx, params)
    if params.compiled:
        out.n_evaluations = _compute_compiled(window, cells, grid, params, idx, out, windows)
    else:
        out.n_evaluations = evaluate_tile(window, cells, grid, params, idx, out, windows)
    return out


# --------------------------------------------------------------------------- terrain


# --------------------------------------------------------------------------- terrain


def terrain_windows(
    window: Window, cells: CellArrays, idx: np.ndarray, params: TileParams
) -> TerrainWindows:
    """Fetch the terrain window of each candidate cell (one per location, height, frequency).

    Each window covers the cell's location box clipped to the tile; negative
    losses are set to 0 (see :class:`TerrainLoss`).
    """
    if params.terrain is None:
        return TerrainWindows.none(idx.size)
    lbox = local_boxes(window, cells.loc_box[cells.loc_index[idx]])
    r0, c0 = int(window.row_off), int(window.col_off)
    # a terrain that keeps its windows for the next audit (TerrainModel.kept), else the call
    sweep = getattr(params.terrain, "kept", params.terrain)
    chunks: list[np.ndarray] = []
    seen: dict[tuple, int] = {}
    out = TerrainWindows.none(idx.size)
    size = 0
    for k, ci in enumerate(idx.tolist()):
        br0, br1, bc0, bc1 = lbox[k].tolist()
        if br0 >= br1 or bc0 >= bc1:
            continue
        key = (int(cells.loc_index[ci]), float(cells.h_bs_m[ci]), float(cells.frequency_ghz[ci]))
        if key not in seen:
            win = Window(c0 + bc0, r0 + br0, bc1 - bc0, br1 - br0)
            values = sweep(
                float(cells.x_m[ci]), float(cells.y_m[ci]), key[1], params.h_ut_m, key[2], win
            )
            if values is None:
                seen[key] = -1
            else:
                arr = np.asarray(values, dtype="float32").reshape(br1 - br0, bc1 - bc0)
                arr = np.where(arr < 0, np.float32(0.0), arr)
                chunks.append(arr.ravel())
                seen[key] = size
                size += arr.size
        out.offset[k] = seen[key]
        out.row0[k], out.col0[k], out.width[k] = br0, bc0, bc1 - bc0
    if chunks:
        out.values = np.concatenate(chunks)
    return out


# --------------------------------------------------------------------------- compiled path

_scratch = threading.local()


def _scratch_buffers(h: int, w: int, n_ops: int, indoor: bool) -> dict[str, np.ndarray]:
    """Per-thread scratch of the compiled kernel (location buffers, last-site marks)."""
    key = (h, w, n_ops, indoor)
    cache = getattr(_scratch, "buffers", None)
    if cache is None or cache[0] != key:
        cache = (
            key,
            {
                "pl": np.zeros((h, w), dtype="float32"),
                "th": np.zeros((h, w), dtype="float32"),
                "br": np.zeros((h, w), dtype="float32"),
                "unk": np.zeros((h, w), dtype="uint8"),
                "last": np.empty((h, w), dtype="int32"),
                "op_last": np.empty((n_ops, h, w), dtype="int32"),
                "in_last": np.empty((h, w) if indoor else (1, 1), dtype="int32"),
            },
        )
        _scratch.buffers = cache
    bufs = cache[1]
    for name in ("last", "op_last", "in_last"):
        bufs[name].fill(-1)
    return bufs


def warm_up_compiled() -> float:
    """Compile (or load from the on-disk cache) the compiled kernel; return the seconds taken.

    Runs :func:`phusong.raster.compiled.tile_kernel` once on an empty 1×1 tile
    with the argument types of a real call, so that threads computing tiles
    start with the machine code ready.
    """
    import time

    t0 = time.perf_counter()
    from phusong.raster.compiled import tile_kernel

    f32, i32, i64, f64 = (np.zeros(0, dtype=t) for t in ("float32", "int32", "int64", "float64"))
    one = np.zeros(1)
    acc32 = np.zeros((1, 1), dtype="float32")
    tile_kernel(
        one, one, 1.0, i32, i64, i32, i32, i32, f64, f64, f64, f64,
        np.zeros((0, 4), dtype="int64"), np.zeros((0, 4), dtype="int64"), f32, f32, f32, f32,
        f32, i32, np.zeros((0, 10)), f32, f32, f32, f32, np.zeros(1, dtype="float32"), i64, i64,
        i64, i64, np.float32(0), np.float32(0), np.float32(10), False, False,
        acc32, np.zeros((1, 1), dtype="int32"), acc32.copy(), np.zeros((1, 1, 1), dtype="float32"),
        np.zeros((1, 1), dtype="uint16"), np.zeros((1, 1), dtype="int32"),
        np.zeros((1, 1, 1), dtype="float32"), np.zeros((1, 1, 1), dtype="int32"),
        np.zeros((1, 1, 1), dtype="uint16"), np.zeros((1, 1, 1), dtype="int32"), acc32.copy(),
        np.zeros((1, 1), dtype="uint16"), np.zeros((1, 1), dtype="int32"), acc32.copy(),
        np.zeros((1, 1), dtype="uint8"), acc32.copy(), acc32.copy(), acc32.copy(),
        np.zeros((1, 1), dtype="uint8"),
    )  # fmt: skip
    _warm_up_place()
    return time.perf_counter() - t0


def _warm_up_place() -> None:
    """Compile (or load) :func:`phusong.raster.compiled.place_tile` with a real call's types."""
    from phusong.raster.compiled import place_tile

    def z(dtype: str, ndim: int = 2) -> np.ndarray:
        return np.zeros((1,) * ndim, dtype=dtype)

    i32 = np.zeros(1, dtype="int32")
    place_tile(
        0, 0, np.float32(0), np.float32(1), i32, i32, False, False, False,
        z("float32"), z("int32"), z("float32"), z("float32", 3), z("uint16"), z("float32", 3),
        z("uint16", 3), z("float32"), z("uint16"), z("float32"), z("uint8"),
        z("float32"), z("float32"), z("int32"), z("int32"), z("uint16"), z("float32", 3),
        z("uint16", 3), z("float32"), z("uint16"), z("float32"), z("bool"),
    )  # fmt: skip


def place_compiled(tile: TileResult, params: TileParams, layers: Any) -> None:
    """Write ``tile`` into the grid's ``layers`` with :func:`phusong.raster.compiled.place_tile`.

    For path-loss models without the SINR criterion; ``layers`` is the
    :class:`phusong.raster.grid.GridResult` being filled (the same figures as
    its numpy ``place``, tested equal through the reference engine).
    """
    from phusong import propagation as prop
    from phusong.raster.compiled import place_tile

    f32 = np.float32
    place_tile(
        int(tile.window.row_off), int(tile.window.col_off), f32(params.threshold_dbm),
        f32(prop.dbm_to_mw(params.noise_dbm)), layers.cell_site.astype("int32", copy=False),
        layers.cell_carrier.astype("int32", copy=False), bool(params.indoor), bool(params.dated),
        layers.terrain_unknown is not None,
        tile.best, tile.best_cell, tile.best_mw, tile.total_mw, tile.n_servers, tile.op_best,
        tile.op_n_servers, _dummy(tile.indoor_best, "float32", -np.inf),
        _dummy(tile.indoor_n_servers, "uint16", 0), _dummy(tile.earliest_day, "float32", np.inf),
        _dummy(tile.terrain_unknown, "uint8", 0),
        layers.rsrp_dbm, layers.sinr_db, layers.serving_cell, layers.serving_site,
        layers.n_servers, layers.operator_rsrp_dbm, layers.operator_n_servers,
        _layer(layers.indoor_rsrp_dbm, "float32"), _layer(layers.indoor_n_servers, "uint16"),
        _layer(layers.earliest_on_air_day, "float32"), _layer(layers.terrain_unknown, "bool"),
    )  # fmt: skip


def _layer(arr: np.ndarray | None, dtype: str) -> np.ndarray:
    """Return the grid layer, or a 1×1 stand-in when it is off (never written then)."""
    return arr if arr is not None else np.zeros((1, 1), dtype=dtype)


def _dummy(arr: np.ndarray, dtype: str, value: float) -> np.ndarray:
    """``arr``, or a 1×1 stand-in when the layer is off (the kernel never reads it then)."""
    return arr if arr.size else np.full((1, 1), value, dtype=dtype)


def _compute_compiled(
    window: Window,
    cells: CellArrays,
    grid: GridSpec,
    params: TileParams,
    idx: np.ndarray,
    out: TileResult,
    terrain: TerrainWindows,
) -> int:
    """Run :func:`phusong.raster.compiled.tile_kernel` on the candidates ``idx``."""
    from phusong.raster.cellmodel import model_coefficients
    from phusong.raster.compiled import tile_kernel

    h, w = int(window.height), int(window.width)
    c0, r0 = int(window.col_off), int(window.row_off)
    f32 = np.float32
    loc = cells.loc_index[idx]
    reach = cells.reach_m[idx]
    # The largest reach among the candidates of each location (its buffers' disc).
    uniq, inv = np.unique(loc, return_inverse=True)
    lreach = np.zeros(uniq.size)
    np.maximum.at(lreach, inv, reach)
    az = cells.azimuth_deg[idx]
    az = np.where(np.isfinite(az), (az + 180.0) % 360.0 - 180.0, np.nan)
    s = _scratch_buffers(h, w, params.n_operators, params.indoor)
    return int(
        tile_kernel(
            grid.x_centres(c0, c0 + w), grid.y_centres(r0, r0 + h), float(grid.resolution_m),
            cells.site_index[idx].astype("int32"), loc.astype("int64"),
            cells.operator_index[idx].astype("int32"), cells.carrier_index[idx].astype("int32"),
            cells.cell_index[idx].astype("int32"), cells.x_m[idx], cells.y_m[idx],
            lreach[inv], reach, local_boxes(window, cells.box[idx]),
            local_boxes(window, cells.loc_box[loc]),
            (cells.h_bs_m[idx] - params.h_ut_m).astype(f32), az.astype(f32),
            cells.beamwidth_deg[idx].astype(f32), cells.tilt_deg[idx].astype(f32),
            cells.base_dbm[idx].astype(f32), cells.model_code[idx].astype("int32"),
            model_coefficients(cells.model_code[idx], cells.frequency_ghz[idx],
                               cells.h_bs_m[idx], params.h_ut_m),
            cells.pl_offset_db[idx].astype(f32), cells.pl_slope_db_per_decade[idx].astype(f32),
            cells.indoor_loss_db[idx].astype(f32), cells.on_air_day[idx].astype(f32),
            terrain.values, terrain.offset, terrain.row0, terrain.col0, terrain.width,
            f32(params.threshold_dbm), f32(params.floor_dbm), f32(params.vertical_beamwidth_deg),
            bool(params.indoor), bool(params.dated),
            out.best, out.best_cell, out.best_mw, out.total_mw, out.n_servers, s["last"],
            out.op_best, out.op_best_cell, out.op_n_servers, s["op_last"],
            _dummy(out.indoor_best, "float32", -np.inf),
            _dummy(out.indoor_n_servers, "uint16", 0), s["in_last"],
            _dummy(out.earliest_day, "float32", np.inf),
            _dummy(out.terrain_unknown, "uint8", 0), s["pl"], s["th"], s["br"], s["unk"],
        )
    )  # fmt: skip


__all__ = [
    "ANTENNA_MAX_ATTENUATION_DB",
    "TerrainLoss",
    "TerrainWindows",
    "TileResult",
    "compute_tile",
    "local_boxes",
    "place_compiled",
    "terrain_windows",
    "warm_up_compiled",
]
