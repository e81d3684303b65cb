"""The numpy reference path of the tile kernel: :func:`evaluate_tile`.

Plain numpy on :mod:`phusong.propagation` (path loss in float64 from
:func:`phusong.raster.cellmodel.cell_path_loss_db`), cell by cell on each
cell's whole pixel box: what the compiled kernel
(:mod:`phusong.raster.compiled`) is tested against, and the engine of the
footprint models. It fills the same :class:`phusong.raster.kernel.TileResult`.

Distances are computed once per site location and shared by its sectors,
path loss once per (location, model, frequency, height, calibration, box)
and the vertical antenna loss once per (location, tilt, box). A pixel counts
one *server* per site with at least one cell above the threshold.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
from rasterio.windows import Window

from phusong.raster.cellmodel import cell_path_loss_db
from phusong.raster.cells import CellArrays
from phusong.raster.spec import GridSpec, TileParams
from phusong.raster.tile import (
    ANTENNA_MAX_ATTENUATION_DB,
    TerrainWindows,
    TileResult,
    local_boxes,
)

_LN10_10 = np.float32(math.log(10.0) / 10.0)

#: A tile-local exclusive pixel box ``(r0, r1, c0, c1)``.
_Box = tuple[int, int, int, int]


def off_boresight_rad(dx: np.ndarray, dy: np.ndarray, azimuth_deg: float) -> np.ndarray:
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


def horizontal_attenuation_db(phi_rad: np.ndarray, beamwidth_deg: float) -> np.ndarray:
    """Horizontal pattern loss min(12 (φ/φ3dB)², A_m) [dB, positive], float32 (new array)."""
    k = np.float32(12.0 * (180.0 / math.pi / beamwidth_deg) ** 2)
    out = np.square(phi_rad)
    out *= k
    return np.minimum(out, np.float32(ANTENNA_MAX_ATTENUATION_DB), out=out)


def vertical_attenuation_db(
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


def evaluate_tile(
    window: Window,
    cells: CellArrays,
    grid: GridSpec,
    params: TileParams,
    idx: np.ndarray,
    out: TileResult,
    terrain: TerrainWindows,
) -> int:
    """Evaluate the candidate cells ``idx`` of ``window`` into ``out``; return the evaluations."""
    tile = _Tile.of(window, cells, grid, params, idx, out, terrain)
    site = cells.site_index[idx]
    starts = np.flatnonzero(np.r_[True, site[1:] != site[:-1]]).tolist()
    starts.append(idx.size)
    return sum(_add_site(tile, k0, k1) for k0, k1 in itertools.pairwise(starts))


@dataclass
class _Tile:
    """What the cells evaluated on one tile share (tile-local exclusive boxes per candidate)."""

    out: TileResult
    cells: CellArrays
    params: TileParams
    idx: np.ndarray
    xs: np.ndarray
    ys: np.ndarray
    cell_box: list[_Box]
    loc_box: list[_Box]
    site_box: list[_Box]
    terrain: TerrainWindows
    #: Where terrain was unknown, per (terrain window, box); flagged once the RSRP is known.
    unknown: dict[tuple, np.ndarray]

    @classmethod
    def of(
        cls,
        window: Window,
        cells: CellArrays,
        grid: GridSpec,
        params: TileParams,
        idx: np.ndarray,
        out: TileResult,
        terrain: TerrainWindows,
    ) -> _Tile:
        """Pixel centres of ``window`` and the local boxes of the candidate cells ``idx``."""
        r0, c0 = int(window.row_off), int(window.col_off)
        h, w = int(window.height), int(window.width)
        return cls(
            out=out,
            cells=cells,
            params=params,
            idx=idx,
            xs=grid.x_centres(c0, c0 + w),
            ys=grid.y_centres(r0, r0 + h),
            cell_box=local_boxes(window, cells.box[idx]).tolist(),
            loc_box=local_boxes(window, cells.loc_box[cells.loc_index[idx]]).tolist(),
            site_box=local_boxes(window, cells.site_box[cells.site_index[idx]]).tolist(),
            terrain=terrain,
            unknown={},
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


@dataclass
class _SiteMasks:
    """Where one site serves, outdoors (any and per operator) and indoors, on its site box."""

    box: _Box
    any: np.ndarray
    ops: dict[int, np.ndarray]
    indoor: np.ndarray | None


def _add_site(tile: _Tile, k0: int, k1: int) -> int:
    """Evaluate the cells ``k0:k1`` of one site; count the site once where it serves.

    Returns the number of cell-pixel evaluations.
    """
    cells, params = tile.cells, tile.params
    sr0, sr1, sc0, sc1 = tile.site_box[k0]
    shape = (sr1 - sr0, sc1 - sc0)
    masks = _SiteMasks(
        tile.site_box[k0], np.zeros(shape, dtype=bool), {},
        np.zeros(shape, dtype=bool) if params.indoor else None,
    )  # fmt: skip
    location: _Location | None = None
    n_eval = 0
    for k in range(k0, k1):
        ci = int(tile.idx[k])
        cr0, cr1, cc0, cc1 = tile.cell_box[k]
        if cr0 >= cr1 or cc0 >= cc1:
            continue
        if location is None or location.loc != int(cells.loc_index[ci]):
            location = _Location.of(tile, k, ci)
        v, cov = _evaluate_cell(tile, location, k, ci, tile.cell_box[k])
        n_eval += v.size
        tr, tc = slice(cr0, cr1), slice(cc0, cc1)
        _keep_best(tile, ci, v, tr, tc)
        ssub = (slice(cr0 - sr0, cr1 - sr0), slice(cc0 - sc0, cc1 - sc0))
        _mark(masks.any, ssub, cov)
        o = int(cells.operator_index[ci])
        if o >= 0:
            _mark(masks.ops.setdefault(o, np.zeros(shape, dtype=bool)), ssub, cov)
        if params.dated:
            ed = tile.out.earliest_day[tr, tc]
            np.minimum(ed, np.where(cov, np.float32(cells.on_air_day[ci]), np.inf), out=ed)
        if masks.indoor is not None:
            vi = v - np.float32(cells.indoor_loss_db[ci])
            ib = tile.out.indoor_best[tr, tc]
            np.maximum(ib, vi, out=ib)
            _mark(masks.indoor, ssub, vi >= np.float32(params.threshold_dbm))
    _count_servers(tile.out, masks)
    return n_eval


def _mark(mask: np.ndarray, sub: tuple[slice, slice], cov: np.ndarray) -> None:
    view = mask[sub]
    np.logical_or(view, cov, out=view)


def _evaluate_cell(
    tile: _Tile, location: _Location, k: int, ci: int, box: _Box
) -> tuple[np.ndarray, np.ndarray]:
    """Score and served mask of cell ``ci`` (the ``k``-th candidate) on its box.

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
        phi = off_boresight_rad(location.dx[sub[1]], location.dy[sub[0]], az)
    if params.footprint:
        inside = d <= np.float32(cells.range_m[ci])
        if phi is not None:
            half = np.float32(math.radians(cells.beamwidth_deg[ci] / 2.0))
            inside &= np.abs(phi) <= half
        return np.where(inside, -d, np.float32(-np.inf)), inside
    v = _rsrp_dbm(tile, location, k, ci, d, phi, box)
    return v, v >= np.float32(params.threshold_dbm)


def _terrain_db(tile: _Tile, k: int, ci: int, d: np.ndarray, box: _Box) -> np.ndarray | None:
    """Return the cell's terrain loss on its box (NaN → 0; unknown kept in ``tile.unknown``)."""
    t = tile.terrain
    if t.offset[k] < 0:
        return None
    lr0, lr1, lc0, lc1 = tile.loc_box[k]
    full = t.window(k, (lr1 - lr0, lc1 - lc0))
    assert full is not None
    cr0, cr1, cc0, cc1 = box
    win = full[cr0 - lr0 : cr1 - lr0, cc0 - lc0 : cc1 - lc0]
    unknown = np.isnan(win)
    if unknown.any():
        tile.unknown[(int(t.offset[k]), *box)] = unknown
    return np.where(unknown, np.float32(0.0), win)


def _rsrp_dbm(
    tile: _Tile,
    location: _Location,
    k: int,
    ci: int,
    d: np.ndarray,
    phi: np.ndarray | None,
    box: _Box,
) -> np.ndarray:
    """RSRP of cell ``ci`` at distances ``d`` [dBm], float32; antenna loss where sectorised."""
    cells, params = tile.cells, tile.params
    cache = location.cache
    h_bs = float(cells.h_bs_m[ci])
    key = (
        "pl", int(cells.model_code[ci]), float(cells.frequency_ghz[ci]), h_bs,
        float(cells.pl_offset_db[ci]), float(cells.pl_slope_db_per_decade[ci]),
        int(tile.terrain.offset[k]), *box,
    )  # fmt: skip
    pl = cache.get(key)
    if pl is None:
        pl = cell_path_loss_db(
            d.astype("float64"), cells.model_code[ci], key[2], h_bs, params.h_ut_m, key[4], key[5]
        ).astype("float32")
        terrain = _terrain_db(tile, k, ci, d, box)
        if terrain is not None:
            pl += terrain
        cache[key] = pl
    v = np.float32(cells.base_dbm[ci]) - pl
    unknown = tile.unknown.get((int(tile.terrain.offset[k]), *box))
    if phi is not None:
        tilt = float(cells.tilt_deg[ci])
        vkey = ("av", tilt, h_bs, *box)
        a_v = cache.get(vkey)
        if a_v is None:
            a_v = cache[vkey] = vertical_attenuation_db(
                d, h_bs - params.h_ut_m, tilt, params.vertical_beamwidth_deg
            )
        att = horizontal_attenuation_db(phi, float(cells.beamwidth_deg[ci]))
        att += a_v
        np.minimum(att, np.float32(ANTENNA_MAX_ATTENUATION_DB), out=att)
        v -= att
    if unknown is not None:
        # Terrain unknown: flagged where the cell reaches the floor (computed without terrain).
        mark = tile.out.terrain_unknown[box[0] : box[1], box[2] : box[3]]
        mark |= (unknown & (v >= np.float32(params.floor_dbm))).astype("uint8")
    return v


def _keep_best(tile: _Tile, ci: int, v: np.ndarray, tr: slice, tc: slice) -> None:
    """Keep cell ``ci`` where it beats the best so far; add its power to its carrier's total."""
    cells, out = tile.cells, tile.out
    gi = np.int32(cells.cell_index[ci])
    bv = out.best[tr, tc]
    better = v > bv
    np.copyto(bv, v, where=better)
    np.copyto(out.best_cell[tr, tc], gi, where=better)
    if tile.params.footprint:
        o = int(cells.operator_index[ci])
        if o >= 0:
            ob = out.op_best[o, tr, tc]
            np.maximum(ob, v, out=ob)
        return
    lin = np.multiply(v, _LN10_10)
    np.exp(lin, out=lin)
    np.putmask(lin, v < np.float32(tile.params.floor_dbm), np.float32(0.0))
    np.copyto(out.best_mw[tr, tc], lin, where=better)
    tot = out.total_mw[cells.carrier_index[ci], tr, tc]
    np.add(tot, lin, out=tot)
    o = int(cells.operator_index[ci])
    if o >= 0:
        ob = out.op_best[o, tr, tc]
        obetter = v > ob
        np.copyto(ob, v, where=obetter)
        np.copyto(out.op_best_cell[o, tr, tc], gi, where=obetter)


def _count_servers(out: TileResult, masks: _SiteMasks) -> None:
    """Add one server where the site serves: "any", each of its operators, indoors."""
    sr0, sr1, sc0, sc1 = masks.box
    if sr0 < sr1 and sc0 < sc1:
        tgt = out.n_servers[sr0:sr1, sc0:sc1]
        np.add(tgt, masks.any, out=tgt, casting="unsafe")
        for o, mask in masks.ops.items():
            tgt = out.op_n_servers[o, sr0:sr1, sc0:sc1]
            np.add(tgt, mask, out=tgt, casting="unsafe")
        if masks.indoor is not None:
            tgt = out.indoor_n_servers[sr0:sr1, sc0:sc1]
            np.add(tgt, masks.indoor, out=tgt, casting="unsafe")


__all__ = [
    "evaluate_tile",
    "horizontal_attenuation_db",
    "off_boresight_rad",
    "vertical_attenuation_db",
]
