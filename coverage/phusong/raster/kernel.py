"""The per-tile kernel of the raster engine: :func:`compute_tile` and :class:`TileResult`.

See :mod:`phusong.raster.grid` for how the work is organised. A tile is
evaluated cell by cell, each cell only on its own pixel box clipped to the
tile; cells are processed in their global order, grouped by site (the cells
of a site are contiguous), so that

* distances are computed once per site location and shared by its sectors,
  path loss once per (location, frequency, height, box) and the vertical
  antenna loss once per (location, tilt, box);
* the best server, its power and the co-channel power per carrier are kept
  per pixel; a pixel counts one *server* per site with at least one cell
  above the threshold (the sectors of a mast share power and backhaul).

The antenna pattern is that of
:func:`phusong.propagation.sector_attenuation_db`, evaluated in float32 with
the off-boresight angle taken in the antenna's frame (no angle wrapping); the
tests check it against that function.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import cast

import numpy as np
from rasterio.windows import Window

from phusong import propagation as prop
from phusong.raster.cells import CellArrays
from phusong.raster.spec import GridSpec, TileParams

_LN10_10 = np.float32(math.log(10.0) / 10.0)


# --------------------------------------------------------------------------- antenna


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
    out = (out.reset(window) if out is not None else None) or TileResult.empty(window, params)
    idx = cells.query(window)
    if idx.size == 0:
        return out
    tile = _Tile.of(window, cells, grid, params, idx, out)
    site = cells.site_index[idx]
    starts = np.flatnonzero(np.r_[True, site[1:] != site[:-1]]).tolist()
    starts.append(idx.size)
    out.n_evaluations = sum(_add_site(tile, k0, k1) for k0, k1 in itertools.pairwise(starts))
    return out


#: A tile-local exclusive pixel box ``(r0, r1, c0, c1)``.
_Box = tuple[int, int, int, int]


@dataclass
class _Tile:
    """What the cells evaluated on one tile share.

    The boxes are tile-local and exclusive, ``(r0, r1, c0, c1)``, one per
    candidate cell (``idx``): the cell's own box, its site location's and its
    site's.
    """

    out: TileResult
    cells: CellArrays
    params: TileParams
    idx: np.ndarray
    xs: np.ndarray
    ys: np.ndarray
    cell_box: list[_Box]
    loc_box: list[_Box]
    site_box: list[_Box]

    @classmethod
    def of(
        cls,
        window: Window,
        cells: CellArrays,
        grid: GridSpec,
        params: TileParams,
        idx: np.ndarray,
        out: TileResult,
    ) -> _Tile:
        """Pixel centres of ``window`` and the local boxes of the candidate cells ``idx``."""
        r0, c0 = int(window.row_off), int(window.col_off)
        h, w = int(window.height), int(window.width)

        def local(b: np.ndarray) -> list[_Box]:
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

        return cls(
            out=out,
            cells=cells,
            params=params,
            idx=idx,
            xs=grid.x_centres(c0, c0 + w),
            ys=grid.y_centres(r0, r0 + h),
            cell_box=local(cells.box[idx]),
            loc_box=local(cells.loc_box[cells.loc_index[idx]]),
            site_box=local(cells.site_box[cells.site_index[idx]]),
        )


@dataclass
class _Location:
    """One site location's distances to the pixels of its box, and per-box caches."""

    loc: int
    box: _Box
    dx: np.ndarray  # float32 x offsets of the box's pixel columns from the site [m]
    dy: np.ndarray  # float32 y offsets of the box's pixel rows from the site [m]
    dist: np.ndarray  # float32 2D distances [m], (rows, columns) of the box
    cache: dict[tuple, np.ndarray]  # path loss / vertical loss per (parameters, cell box)

    @classmethod
    def of(cls, tile: _Tile, k: int, ci: int) -> _Location:
        """Distances from cell ``ci`` (the ``k``-th candidate) to its location box's pixels."""
        cells = tile.cells
        lr0, lr1, lc0, lc1 = tile.loc_box[k]
        dx = (tile.xs[lc0:lc1] - cells.x_m[ci]).astype("float32")
        dy = (tile.ys[lr0:lr1] - cells.y_m[ci]).astype("float32")
        dist = np.sqrt(np.add.outer(np.square(dy), np.square(dx)))
        return cls(int(cells.loc_index[ci]), (lr0, lr1, lc0, lc1), dx, dy, dist, {})


def _add_site(tile: _Tile, k0: int, k1: int) -> int:
    """Evaluate the cells ``k0:k1`` of one site; count the site once where it serves.

    Returns the number of cell-pixel evaluations.
    """
    cells, out, params = tile.cells, tile.out, tile.params
    sr0, sr1, sc0, sc1 = tile.site_box[k0]
    site_cov = np.zeros((sr1 - sr0, sc1 - sc0), dtype=bool)
    op_cov: dict[int, np.ndarray] = {}
    run_ops = cells.operator_index[tile.idx[k0:k1]]
    single_op = int(run_ops[0]) if bool(np.all(run_ops == run_ops[0])) else None
    location: _Location | None = None
    n_eval = 0
    for k in range(k0, k1):
        ci = int(tile.idx[k])
        cr0, cr1, cc0, cc1 = tile.cell_box[k]
        if cr0 >= cr1 or cc0 >= cc1:
            continue
        if location is None or location.loc != int(cells.loc_index[ci]):
            location = _Location.of(tile, k, ci)
        v, cov = _evaluate_cell(tile, location, ci, tile.cell_box[k])
        n_eval += v.size
        tr, tc = slice(cr0, cr1), slice(cc0, cc1)
        _keep_best(tile, ci, v, tr, tc)
        ssub = (slice(cr0 - sr0, cr1 - sr0), slice(cc0 - sc0, cc1 - sc0))
        sv = site_cov[ssub]
        np.logical_or(sv, cov, out=sv)
        o = int(cells.operator_index[ci])
        if o >= 0:
            if not params.footprint:
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
    _count_servers(out, tile.site_box[k0], site_cov, op_cov)
    return n_eval


def _evaluate_cell(
    tile: _Tile, location: _Location, ci: int, box: _Box
) -> tuple[np.ndarray, np.ndarray]:
    """Score and served mask of cell ``ci`` on its box (tile-local ``box``).

    The score is the RSRP [dBm] for path-loss models, minus the distance [m]
    (−inf outside the footprint) for the footprint models.
    """
    cells, params = tile.cells, tile.params
    cr0, cr1, cc0, cc1 = box
    lr0, _lr1, lc0, _lc1 = location.box
    sub = (slice(cr0 - lr0, cr1 - lr0), slice(cc0 - lc0, cc1 - lc0))
    d = location.dist[sub]
    az = float(cells.azimuth_deg[ci])
    phi = None
    if not math.isnan(az) and (not params.footprint or params.model == "sector"):
        phi = _off_boresight_rad(location.dx[sub[1]], location.dy[sub[0]], az)
    if params.footprint:
        inside = d <= np.float32(cells.range_m[ci])
        if phi is not None:
            half = np.float32(math.radians(cells.beamwidth_deg[ci] / 2.0))
            inside &= np.abs(phi) <= half
        return np.where(inside, -d, np.float32(-np.inf)), inside
    v = _rsrp_dbm(tile, location, ci, d, phi, box)
    return v, v >= np.float32(params.threshold_dbm)


def _rsrp_dbm(
    tile: _Tile, location: _Location, ci: int, d: np.ndarray, phi: np.ndarray | None, box: _Box
) -> np.ndarray:
    """RSRP of cell ``ci`` at distances ``d`` [dBm], float32; antenna loss where sectorised."""
    cells, params = tile.cells, tile.params
    cache = location.cache
    h_bs = float(cells.h_bs_m[ci])
    key = ("pl", float(cells.frequency_ghz[ci]), h_bs, *box)
    pl = cache.get(key)
    if pl is None:
        model = cast("prop.ModelName", params.model)
        pl = prop.path_loss_db(d, key[1], model=model, h_bs_m=h_bs, h_ut_m=params.h_ut_m)
        pl = cache[key] = np.asarray(pl, dtype="float32")
    v = np.float32(cells.base_dbm[ci]) - pl
    if phi is not None:
        tilt = float(cells.tilt_deg[ci])
        vkey = ("av", tilt, h_bs, *box)
        a_v = cache.get(vkey)
        if a_v is None:
            a_v = cache[vkey] = _vertical_attenuation_db(
                d, h_bs - params.h_ut_m, tilt, params.vertical_beamwidth_deg
            )
        att = _horizontal_attenuation_db(phi, float(cells.beamwidth_deg[ci]))
        att += a_v
        np.minimum(att, np.float32(ANTENNA_MAX_ATTENUATION_DB), out=att)
        v -= att
    return v


def _keep_best(tile: _Tile, ci: int, v: np.ndarray, tr: slice, tc: slice) -> None:
    """Keep cell ``ci`` where it beats the best so far; add its power to its carrier's total."""
    cells, out = tile.cells, tile.out
    bv = out.best[tr, tc]
    better = v > bv
    np.copyto(bv, v, where=better)
    np.copyto(out.best_cell[tr, tc], np.int32(cells.cell_index[ci]), where=better)
    if tile.params.footprint:
        return
    lin = np.multiply(v, _LN10_10)
    np.exp(lin, out=lin)
    np.putmask(lin, v < np.float32(tile.params.floor_dbm), np.float32(0.0))
    np.copyto(out.best_mw[tr, tc], lin, where=better)
    tot = out.total_mw[cells.carrier_index[ci], tr, tc]
    np.add(tot, lin, out=tot)


def _count_servers(
    out: TileResult, site_box: _Box, site_cov: np.ndarray, op_cov: dict[int, np.ndarray]
) -> None:
    """Add one server where the site serves, for "any" and for each of its operators."""
    sr0, sr1, sc0, sc1 = site_box
    if sr0 < sr1 and sc0 < sc1:
        tgt = out.n_servers[sr0:sr1, sc0:sc1]
        np.add(tgt, site_cov, out=tgt, casting="unsafe")
        for o, mask in op_cov.items():
            tgt = out.op_n_servers[o, sr0:sr1, sc0:sc1]
            np.add(tgt, mask, out=tgt, casting="unsafe")


__all__ = ["ANTENNA_MAX_ATTENUATION_DB", "TileResult", "compute_tile"]
