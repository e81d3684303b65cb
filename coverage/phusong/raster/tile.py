"""What one tile of the raster engine produces and shares: :class:`TileResult` and friends.

The data of the per-tile kernel (:mod:`phusong.raster.kernel`), used by both
of its engines (:mod:`phusong.raster.compiled`, :mod:`phusong.raster.reference`):
the raw per-pixel accumulators of a tile (:class:`TileResult`), the terrain
windows of its cells (:class:`TerrainWindows`, from a :class:`TerrainLoss`)
and tile-local pixel boxes (:func:`local_boxes`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from rasterio.windows import Window

from phusong.raster.spec import TileParams

#: Largest antenna attenuation A_m = SLA_V [dB] (TR 38.901 Table 7.3-1; the
#: defaults of :func:`phusong.propagation.sector_attenuation_db`).
ANTENNA_MAX_ATTENUATION_DB = 30.0


class TerrainLoss(Protocol):
    """Extra loss of one site over a window of the grid: the terrain model's call shape.

    Called once per site location, antenna height and frequency, and tile,
    with the window (global pixel offsets of the engine's grid) of the
    location's reach clipped to the tile.

    Returns
    -------
    ndarray or None
        float32 ``(window.height, window.width)`` extra loss [dB] added to the
        path loss (negative values count as 0: the lobe cut and the reach
        assume the loss never falls below the model's); NaN where the terrain
        is unknown (computed without terrain there and counted as "terrain
        unknown"); None when the site has no terrain at all.
    """

    def __call__(
        self,
        x_m: float,
        y_m: float,
        h_bs_m: float,
        h_ut_m: float,
        frequency_ghz: float,
        window: Window,
    ) -> np.ndarray | None:
        """Extra loss [dB] of the antenna at ``(x_m, y_m)`` over ``window`` (see the class)."""
        ...


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
        float32 ``(n_carriers, h, w)`` summed received power per carrier [mW].
    n_servers : ndarray
        uint16 distinct sites above the threshold.
    op_best : ndarray
        float32 ``(n_operators, h, w)`` best score per operator.
    op_best_cell : ndarray
        int32 ``(n_operators, h, w)`` global cell index of ``op_best`` (path-loss models).
    op_n_servers : ndarray
        uint16 ``(n_operators, h, w)`` distinct sites above threshold per operator.
    indoor_best, indoor_n_servers : ndarray
        float32 best indoor RSRP [dBm] and uint16 indoor servers (``(0, 0)``
        without the indoor layer).
    earliest_day : ndarray
        float32 earliest on-air date [days since 1970-01-01] among the cells
        above the threshold, +inf none (``(0, 0)`` without dates).
    terrain_unknown : ndarray
        uint8, 1 where some cell's terrain loss was unknown (``(0, 0)``
        without terrain).
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
    op_best_cell: np.ndarray
    op_n_servers: np.ndarray
    indoor_best: np.ndarray
    indoor_n_servers: np.ndarray
    earliest_day: np.ndarray
    terrain_unknown: np.ndarray
    n_evaluations: int = 0

    @classmethod
    def empty(cls, window: Window, params: TileParams) -> TileResult:
        """Accumulators of a tile where no cell has been evaluated yet."""
        h, w = int(window.height), int(window.width)
        n_car = 0 if params.footprint else params.n_carriers
        n_op = params.n_operators
        shape_in = (h, w) if params.indoor else (0, 0)
        return cls(
            window=window,
            best=np.full((h, w), -np.inf, dtype="float32"),
            best_cell=np.full((h, w), -1, dtype="int32"),
            best_mw=np.zeros((0, 0) if params.footprint else (h, w), dtype="float32"),
            total_mw=np.zeros((n_car, h, w), dtype="float32"),
            n_servers=np.zeros((h, w), dtype="uint16"),
            op_best=np.full((n_op, h, w), -np.inf, dtype="float32"),
            op_best_cell=np.full((0 if params.footprint else n_op, h, w), -1, dtype="int32"),
            op_n_servers=np.zeros((n_op, h, w), dtype="uint16"),
            indoor_best=np.full(shape_in, -np.inf, dtype="float32"),
            indoor_n_servers=np.zeros(shape_in, dtype="uint16"),
            earliest_day=np.full((h, w) if params.dated else (0, 0), np.inf, dtype="float32"),
            terrain_unknown=np.zeros(
                (h, w) if params.terrain is not None else (0, 0), dtype="uint8"
            ),
        )

    def reset(self, window: Window) -> TileResult | None:
        """Reuse these buffers for ``window`` (same size): cleared, or None if the size differs.

        Saves the page faults of fresh tile buffers when tiles are computed in
        a loop; a reused result must no longer be referenced elsewhere.
        """
        if (int(window.height), int(window.width)) != self.best.shape:
            return None
        self.window = window
        for arr, value in (
            (self.best, -np.inf), (self.best_cell, -1), (self.best_mw, 0.0), (self.total_mw, 0.0),
            (self.n_servers, 0), (self.op_best, -np.inf), (self.op_best_cell, -1),
            (self.op_n_servers, 0), (self.indoor_best, -np.inf), (self.indoor_n_servers, 0),
            (self.earliest_day, np.inf), (self.terrain_unknown, 0),
        ):  # fmt: skip
            arr.fill(value)
        self.n_evaluations = 0
        return self

    def merge(self, other: TileResult) -> TileResult:
        """Combine two results of the same window over disjoint sets of *sites*.

        Best score = max (ties to the lower cell index), powers and counts =
        sum, earliest date = min, terrain unknown = or. Exact as long as no
        site has cells in both parts (counts are of distinct sites).
        """
        if (self.window.col_off, self.window.row_off, self.window.width, self.window.height) != (
            other.window.col_off, other.window.row_off, other.window.width, other.window.height,
        ):  # fmt: skip
            raise ValueError("can only merge results of the same window.")
        take = _takes(self.best, self.best_cell, other.best, other.best_cell)
        op_take = (
            _takes(self.op_best, self.op_best_cell, other.op_best, other.op_best_cell)
            if self.op_best_cell.size
            else other.op_best > self.op_best
        )
        return TileResult(
            window=self.window,
            best=np.where(take, other.best, self.best),
            best_cell=np.where(take, other.best_cell, self.best_cell),
            best_mw=np.where(take, other.best_mw, self.best_mw)
            if self.best_mw.size
            else self.best_mw,
            total_mw=self.total_mw + other.total_mw,
            n_servers=self.n_servers + other.n_servers,
            op_best=np.where(op_take, other.op_best, self.op_best),
            op_best_cell=np.where(op_take, other.op_best_cell, self.op_best_cell)
            if self.op_best_cell.size
            else self.op_best_cell,
            op_n_servers=self.op_n_servers + other.op_n_servers,
            indoor_best=np.maximum(self.indoor_best, other.indoor_best),
            indoor_n_servers=self.indoor_n_servers + other.indoor_n_servers,
            earliest_day=np.minimum(self.earliest_day, other.earliest_day),
            terrain_unknown=self.terrain_unknown | other.terrain_unknown,
            n_evaluations=self.n_evaluations + other.n_evaluations,
        )


def _takes(best: np.ndarray, cell: np.ndarray, o_best: np.ndarray, o_cell: np.ndarray) -> Any:
    """Where ``o_best`` wins: higher, or equal from a lower cell index."""
    return (o_best > best) | ((o_best == best) & (o_cell >= 0) & ((cell < 0) | (o_cell < cell)))


@dataclass
class TerrainWindows:
    """Terrain windows of a tile's candidate cells, flat.

    Attributes
    ----------
    values : ndarray
        float32 concatenated windows [dB] (NaN unknown).
    offset : ndarray
        int64 per candidate cell: start of its window in ``values``, −1 none.
    row0, col0, width : ndarray
        int64 per candidate cell: tile-local first row and column of its
        window and the window's width [pixels].
    """

    values: np.ndarray
    offset: np.ndarray
    row0: np.ndarray
    col0: np.ndarray
    width: np.ndarray

    @classmethod
    def none(cls, n: int) -> TerrainWindows:
        """No terrain for ``n`` cells."""
        neg = np.full(n, -1, dtype="int64")
        return cls(np.zeros(1, dtype="float32"), neg, neg.copy(), neg.copy(), neg.copy())

    def window(self, k: int, shape: tuple[int, int]) -> np.ndarray | None:
        """Window of the ``k``-th candidate as a 2D array, or None."""
        if self.offset[k] < 0:
            return None
        start = int(self.offset[k])
        return self.values[start : start + shape[0] * shape[1]].reshape(shape)


def local_boxes(window: Window, boxes: np.ndarray) -> np.ndarray:
    """Global inclusive ``(col_lo, col_hi, row_lo, row_hi)`` → tile-local exclusive ``(r0, r1, c0, c1)``."""
    r0, c0 = int(window.row_off), int(window.col_off)
    h, w = int(window.height), int(window.width)
    return np.stack(
        [
            np.clip(boxes[..., 2] - r0, 0, h),
            np.clip(boxes[..., 3] + 1 - r0, 0, h),
            np.clip(boxes[..., 0] - c0, 0, w),
            np.clip(boxes[..., 1] + 1 - c0, 0, w),
        ],
        axis=-1,
    ).astype("int64")


__all__ = [
    "ANTENNA_MAX_ATTENUATION_DB",
    "TerrainLoss",
    "TerrainWindows",
    "TileResult",
    "local_boxes",
]
