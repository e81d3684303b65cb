"""The compiled tile kernel of the raster engine (numba): :func:`tile_kernel`.

The fast path of :func:`phusong.raster.kernel.compute_tile`; the numpy
reference path (:mod:`phusong.raster.reference`) computes the same figures
and the tests hold the two equal (RSRP within 0.01 dB, for every path-loss
model). What makes it fast:

* **Everything in one compiled pass per tile**, cells in their global order:
  no per-cell Python overhead; the GIL is released (tiles run in threads).
* **Shared work per site location**: per location and path-loss key
  (model, frequency, height, calibration, terrain window) the path loss and
  the depression angle are tabulated once along the radius (0.25 m steps to
  100 m, then 1 m) and the location's reach disc is filled once with the
  interpolated path loss (+ terrain), depression angle and bearing (float32
  buffers the size of the tile); its sectors reuse them.
* **One log10 per table node, none per pixel**; bearings and angles by a
  polynomial arctangent, powers by 2^n · 2^f: no libm call in the pixel loops.
* **Each cell's window cut to its reach and antenna lobe**: the suffix
  minimum g(d) of path loss + vertical pattern bounds the loss beyond d, so
  the cell's radius is where g exceeds its budget (base − floor), and on a
  row at offset dy the horizontal pattern may cost at most base − floor −
  g(|dy|): the pixels where 12 (φ/φ3dB)² stays below that lie in a cone of
  half-angle φmax = φ3dB sqrt(allowed / 12) about the boresight, whose
  intersection with the row is an interval found analytically (two linear
  inequalities in dx), widened by one pixel.
* **Branch-free float32 row loops** for the RSRP and the power sum (per
  carrier, in linear units: interference summed in bulk); the best-server,
  server-count, date and indoor bookkeeping runs only on rows and pixels
  where the cell reaches the threshold.
* **Server counts without masks**: a pixel remembers the last site that
  counted there (cells of a site are contiguous in the global order), so a
  site counts once per pixel however many of its cells serve it.

Importing this module imports numba (about 0.8 s) and the first call of a
new installation compiles the kernel (tens of seconds; cached on disk with
``cache=True`` in the package's ``__pycache__`` — or ``NUMBA_CACHE_DIR`` —
so later processes load it in about a second).
"""

from __future__ import annotations

import math

import numpy as np

from phusong.raster.jit import njit

# The kernels below take many flat arrays; one argument per line would hide the code.
# fmt: off

_F = np.float32
_LN10_10 = _F(math.log(10.0) / 10.0)
_DEG = _F(180.0 / math.pi)
_TEN = _F(10.0)


_HALF_PI = _F(math.pi / 2.0)
_PI = _F(math.pi)
_LOG2_10_10 = _F(math.log2(10.0) / 10.0)
_LN2 = _F(math.log(2.0))


@njit(cache=True, nogil=True)
def dbm_to_mw_f32(v: np.float32) -> np.float32:  # pragma: no cover - compiled
    """10^(v/10) [mW] for v [dBm], float32, relative error below 2e-6; branch-free.

    2^y with y = v log2(10)/10 = n + f, n = round(y) (y clamped to
    [−64, 63]: v within −192…+189 dBm), |f| ≤ ½: 2^f from its Taylor
    series in f ln 2 to the 6th power (remainder below 1e-6), 2^n as the
    product of the powers of two of its bits (selects: no table, no libm
    call, so that the row loops vectorise).
    """
    y = min(max(v * _LOG2_10_10, _F(-64.0)), _F(63.0))
    k = np.int32(y + _F(64.5))  # n + 64 ≥ 0: truncation is the floor
    f = (y - _F(k - np.int32(64))) * _LN2
    p = _F(1.0) + f * (_F(1.0) + f * (_F(0.5) + f * (_F(1.0 / 6.0) + f * (_F(1.0 / 24.0) + f * (
        _F(1.0 / 120.0) + f * _F(1.0 / 720.0))))))
    s = _F(2.0**-64)
    s *= _F(2.0) if (k & 1) else _F(1.0)
    s *= _F(4.0) if (k & 2) else _F(1.0)
    s *= _F(16.0) if (k & 4) else _F(1.0)
    s *= _F(256.0) if (k & 8) else _F(1.0)
    s *= _F(65536.0) if (k & 16) else _F(1.0)
    s *= _F(2.0**32) if (k & 32) else _F(1.0)
    s *= _F(2.0**64) if (k & 64) else _F(1.0)
    return p * s


@njit(cache=True, nogil=True)
def atan2_f32(y: np.float32, x: np.float32) -> np.float32:  # pragma: no cover - compiled
    """atan2(y, x) [rad], float32, |error| ≤ 1e-6 rad, branch-free (vectorisable, no libm call).

    Abramowitz & Stegun 4.4.49 on [0, 1] (|ε| ≤ 2e-8), then the octant
    folds as selects. Used for bearings and depression angles: 1e-6 rad
    moves the antenna pattern by less than 1e-4 dB. atan2(0, 0) = 0.
    """
    ax, ay = abs(x), abs(y)
    a = min(ax, ay) / max(max(ax, ay), _F(1e-30))
    s = a * a
    r = a * (_F(1.0) + s * (_F(-0.3333314528) + s * (_F(0.1999355085) + s * (
        _F(-0.1420889944) + s * (_F(0.1065626393) + s * (_F(-0.0752896400) + s * (
            _F(0.0429096138) + s * (_F(-0.0161657367) + s * _F(0.0028662257)))))))))
    r = _HALF_PI - r if ay > ax else r
    r = _PI - r if x < _F(0.0) else r
    return -r if y < _F(0.0) else r


@njit(cache=True, nogil=True)
def _los_probability(code: int, d2: float, c8: float) -> float:  # pragma: no cover - compiled
    """TR 38.901 LOS probability of the mixed models at 2D distance ``d2`` (clamped to 10 m)."""
    d = max(d2, 10.0)
    if code == 9:  # rma_mixed
        return math.exp(-max(d - 10.0, 0.0) / 1000.0)
    if d <= 18.0:
        return 1.0
    if code == 7:  # uma_mixed
        base = 18.0 / d + math.exp(-d / 63.0) * (1.0 - 18.0 / d)
        p = base * (1.0 + c8 * 1.25 * (d / 100.0) ** 3 * math.exp(-d / 150.0))
        return min(max(p, 0.0), 1.0)
    return 18.0 / d + math.exp(-d / 36.0) * (1.0 - 18.0 / d)  # umi_mixed


@njit(cache=True, nogil=True)
def path_loss_scalar(
    code: int, d2: float, dh: float, co: tuple, off: float, slope: float
) -> float:  # pragma: no cover - compiled
    """Calibrated path loss of one cell at 2D distance ``d2`` [dB] (float64).

    ``co`` is the cell's row of :func:`phusong.raster.cellmodel.model_coefficients`
    as a tuple (see :func:`_coefficients`; a tuple, not an array view, so that
    no reference count is touched per call).
    """
    d2c = max(d2, 10.0)
    d3sq = d2c * d2c + dh * dh
    lg = 0.5 * math.log10(d3sq)
    if code == 0:  # fspl: unclamped 3D distance, floored at 1 m
        pl = co[0] + 20.0 * math.log10(max(math.sqrt(d2 * d2 + dh * dh), 1.0))
    elif code == 10:  # cost231_hata: log10 of the clamped 2D distance
        pl = co[0] + co[1] * math.log10(d2c)
    else:
        if d2c <= co[4]:
            los = co[0] + co[1] * lg + co[7] * math.sqrt(d3sq)
        else:
            los = co[2] + co[3] * lg
        pl = los
        if not math.isnan(co[5]):
            nlos = max(los, co[5] + co[6] * lg)
            if code >= 7:  # mixed: LOS-probability weighted in dB
                p = _los_probability(code, d2, co[8])
                pl = p * los + (1.0 - p) * nlos
            else:
                pl = nlos
    return pl + off + slope * (lg - 3.0)


@njit(cache=True, nogil=True)
def _coefficients(coef: np.ndarray, k: int) -> tuple:  # pragma: no cover - compiled
    """Row ``k`` of the coefficient table as a tuple."""
    return (
        coef[k, 0], coef[k, 1], coef[k, 2], coef[k, 3], coef[k, 4], coef[k, 5], coef[k, 6],
        coef[k, 7], coef[k, 8],
    )


# --------------------------------------------------------------------------- radial tables

#: Radial table nodes: every 0.25 m up to 100 m, then every metre. Kinks of
#: the models (the 10 m clamp, the 18 m LOS-probability knee) fall on nodes;
#: linear interpolation between nodes stays within about 0.005 dB of the
#: formulas (curvature ≤ 0.17 dB/m² at 10 m, ≤ 0.002 dB/m² beyond 100 m).
_FINE_M = 100.0
_FINE_PER_M = 4.0
_N_FINE = 400


@njit(cache=True, nogil=True)
def _node_position(d: float) -> float:  # pragma: no cover - compiled
    """Fractional table index of distance ``d`` [m]."""
    return _FINE_PER_M * min(d, _FINE_M) + max(d - _FINE_M, 0.0)


@njit(cache=True, nogil=True)
def _node_distance(i: int) -> float:  # pragma: no cover - compiled
    """Distance of table node ``i`` [m]."""
    if i <= _N_FINE:
        return i / _FINE_PER_M
    return _FINE_M + (i - _N_FINE)


@njit(cache=True, nogil=True)
def _build_tables(
    n: int, code: int, co: tuple, dh: float, off: float, slope: float, pl_lut, th_lut
):  # pragma: no cover - compiled
    """Path loss [dB] and depression angle [degrees] at the first ``n`` nodes."""
    for i in range(n):
        d = _node_distance(i)
        pl_lut[i] = path_loss_scalar(code, d, dh, co, off, slope)
        th_lut[i] = math.degrees(math.atan2(dh, d))


@njit(cache=True, nogil=True)
def _cell_bound(
    n: int, sectored: bool, tilt: float, vbw: float, budget: float, pl_lut, th_lut, g
) -> float:  # pragma: no cover - compiled
    """Fill ``g`` with the suffix minimum of path loss + vertical loss; return the cell's radius.

    g[i] = min over nodes j ≥ i of PL[j] + A_V(θ[j]) (A_V = 0 for omni cells)
    is a lower bound of the loss at any distance beyond node i (the pixel
    values are interpolated between nodes). The radius is the first node
    where g exceeds ``budget`` = base − floor (the table's end if none).
    """
    best = 1e30
    for i in range(n - 1, -1, -1):
        f = pl_lut[i]
        if sectored:
            e = (th_lut[i] - tilt) / vbw
            f += min(12.0 * e * e, 30.0)
        best = min(best, f)
        g[i] = best
    for i in range(n):
        if g[i] > budget:
            return _node_distance(i)
    return _node_distance(n - 1)


# --------------------------------------------------------------------------- spans


@njit(cache=True, nogil=True)
def _row_span(
    xs0: float, res: float, cx: float, dy: float, radius: float, c_lo: int, c_hi: int
) -> tuple[int, int]:  # pragma: no cover - compiled
    """Inclusive columns ``[a, b]`` of a row whose centres lie within ``radius`` of ``cx``."""
    rem = radius * radius - dy * dy
    if rem < 0.0:
        return 1, 0
    half = math.sqrt(rem)
    a = max(c_lo, math.ceil((cx - half - xs0) / res - 1e-9))
    b = min(c_hi, math.floor((cx + half - xs0) / res + 1e-9))
    return a, b


@njit(cache=True, nogil=True)
def _lobe_span(
    dy: float, az_rad: float, phi_max_deg: float, xs0: float, res: float, cx: float,
    a: int, b: int,
) -> tuple[int, int]:  # pragma: no cover - compiled
    """Narrow ``[a, b]`` to the columns within ``phi_max_deg`` of the boresight (plus one pixel).

    In the antenna frame along = dy cos az + dx sin az, across = dx cos az −
    dy sin az; |across| ≤ tan(φmax) · along is two linear inequalities in dx.
    """
    if phi_max_deg >= 89.0:
        return a, b
    k = math.tan(math.radians(phi_max_deg))
    s, c = math.sin(az_rad), math.cos(az_rad)
    lo, hi = -1e300, 1e300
    for sign in (1.0, -1.0):
        coef = sign * c - k * s
        rhs = dy * (sign * s + k * c)
        if coef > 0.0:
            hi = min(hi, rhs / coef)
        elif coef < 0.0:
            lo = max(lo, rhs / coef)
        elif rhs < 0.0:
            return 1, 0
    if lo > hi:
        return 1, 0
    if lo > -1e299:
        a = max(a, math.floor((cx + lo - xs0) / res) - 1)
    if hi < 1e299:
        b = min(b, math.ceil((cx + hi - xs0) / res) + 1)
    return a, b


# --------------------------------------------------------------------------- location buffers


@njit(cache=True, nogil=True)
def _geometry_row(xs, cx, dyf, d_row, br_row):  # pragma: no cover - compiled
    """2D distance [m] and bearing [degrees] of the pixel centres ``xs`` seen from ``cx``, one row."""
    for c in range(xs.size):
        dxf = _F(xs[c] - cx)
        d_row[c] = math.sqrt(dxf * dxf + dyf * dyf)
        br_row[c] = atan2_f32(dxf, dyf) * _DEG


@njit(cache=True, nogil=True)
def _table_row(d_row, pl_lut, th_lut, pl_row, th_row):  # pragma: no cover - compiled
    """Path loss and depression angle at distances ``d_row``, interpolated in the radial tables."""
    fine = _F(_FINE_PER_M)
    fine_m = _F(_FINE_M)
    for c in range(d_row.size):
        d = d_row[c]
        t = fine * min(d, fine_m) + max(d - fine_m, _F(0.0))
        i = np.uint32(t)
        fr = t - _F(i)
        pl_row[c] = pl_lut[i] + fr * (pl_lut[i + np.uint32(1)] - pl_lut[i])
        th_row[c] = th_lut[i] + fr * (th_lut[i + np.uint32(1)] - th_lut[i])


@njit(cache=True, nogil=True)
def _terrain_row(terr, start, a, b, pl_row, unknown_row):  # pragma: no cover - compiled
    """Add the terrain loss of columns ``a..b`` (``terr[start + c]``); mark unknown pixels."""
    for c in range(a, b + 1):
        v = terr[start + c]
        unknown_row[c] = 1 if math.isnan(v) else 0
        if v > 0.0:
            pl_row[c] += v


@njit(cache=True, nogil=True)
def _fill_location(
    r0, r1, c_lo, c_hi, radius, xs, ys, res, cx, cy, pl_lut, th_lut, terr, toff, tr0, tc0, tw,
    pl_buf, th_buf, br_buf, u_buf, d_buf,
):  # pragma: no cover - compiled
    """Fill path loss (+ terrain), depression angle and bearing on a location's disc."""
    for r in range(r0, r1):
        dy = ys[r] - cy
        a, b = _row_span(xs[0], res, cx, dy, radius, c_lo, c_hi - 1)
        if a > b:
            continue
        d_row = d_buf[a : b + 1]
        _geometry_row(xs[a : b + 1], cx, _F(dy), d_row, br_buf[r, a : b + 1])
        _table_row(d_row, pl_lut, th_lut, pl_buf[r, a : b + 1], th_buf[r, a : b + 1])
        if toff >= 0:
            _terrain_row(terr, toff + (r - tr0) * tw - tc0, a, b, pl_buf[r], u_buf[r])


# --------------------------------------------------------------------------- kernel


@njit(cache=True, nogil=True)
def tile_kernel(
    xs, ys, res, site, loc, op, car, gidx, cx, cy, lreach, reach, box, lbox, dh, az, bw, tilt,
    base, code, coef, off, slope, o2i, day, terr, toff, tr0, tc0, tw, thr, floor, vbw,
    indoor, dated, best, best_cell, best_mw, total, n_serv, last_site, op_best, op_best_cell,
    op_n, op_last, in_best, in_n, in_last, earliest, t_unknown, pl_buf, th_buf, br_buf, u_buf,
):  # pragma: no cover - compiled
    """Evaluate the candidate cells of one tile, in order, into the accumulators.

    Parameters are flat per-cell arrays (one entry per candidate cell, in the
    global cell order) and the tile's accumulators (see
    :class:`phusong.raster.tile.TileResult`), all updated in place; ``box``
    / ``lbox`` are tile-local exclusive ``(r0, r1, c0, c1)`` boxes of each
    cell and of its location. Returns the number of cell-pixel evaluations.

    Best server, per-operator best, server counts, dates and the indoor
    layer are only updated where a cell reaches the threshold (elsewhere
    they change no output); every cell adds its power to its carrier's total
    wherever it reaches the evaluation floor.
    """
    m = site.size
    n_max = 2
    for k in range(m):
        n_max = max(n_max, int(_node_position(lreach[k])) + 3)
    pl_lut = np.empty(n_max, dtype=np.float32)
    th_lut = np.empty(n_max, dtype=np.float32)
    g = np.empty(n_max, dtype=np.float64)
    vrow = np.empty(xs.size, dtype=np.float32)
    mwrow = np.empty(xs.size, dtype=np.float32)
    n_eval = 0
    cur_loc = -1
    pl_k = -1
    n_nodes = 0
    for k in range(m):
        if box[k, 0] >= box[k, 1] or box[k, 2] >= box[k, 3]:
            continue
        if loc[k] != cur_loc or not _same_path_loss(k, pl_k, code, coef, dh, off, slope, toff):
            n_nodes = int(_node_position(lreach[k])) + 3
            _build_tables(
                n_nodes, code[k], _coefficients(coef, k), float(dh[k]), float(off[k]),
                float(slope[k]), pl_lut, th_lut,
            )
            radius = _shared_radius(
                k, m, n_nodes, loc, code, coef, dh, off, slope, toff, az, tilt, base, reach,
                float(floor), float(vbw), pl_lut, th_lut, g,
            )  # fmt: skip
            _fill_location(
                lbox[k, 0], lbox[k, 1], lbox[k, 2], lbox[k, 3], radius, xs, ys, res, cx[k],
                cy[k], pl_lut, th_lut, terr, toff[k], tr0[k], tc0[k], tw[k], pl_buf, th_buf,
                br_buf, u_buf, mwrow,
            )
            cur_loc = loc[k]
            pl_k = k
        sectored = not math.isnan(az[k])
        budget = float(base[k]) - float(floor)
        radius = _cell_bound(
            n_nodes, sectored, float(tilt[k]), float(vbw), budget, pl_lut, th_lut, g
        )
        n_eval += _add_cell(
            k, min(radius, reach[k]), res, xs, ys, box, site, op, car, gidx, cx, cy, az, bw,
            tilt, base, o2i, day, thr, floor, vbw, sectored, indoor, dated, pl_lut, g, vrow,
            mwrow, best, best_cell, best_mw, total, n_serv, last_site, op_best, op_best_cell,
            op_n, op_last, in_best, in_n, in_last, earliest, pl_buf, th_buf, br_buf,
            toff[k] >= 0, u_buf, t_unknown,
        )  # fmt: skip
    return n_eval


@njit(cache=True, nogil=True)
def _shared_radius(
    k, m, n_nodes, loc, code, coef, dh, off, slope, toff, az, tilt, base, reach, floor, vbw,
    pl_lut, th_lut, g,
) -> float:  # pragma: no cover - compiled
    """Largest radius among cell ``k`` and the following cells that share its tables."""
    radius = 0.0
    j = k
    while j < m and loc[j] == loc[k] and (j == k or _same_path_loss(
        j, k, code, coef, dh, off, slope, toff
    )):  # fmt: skip
        r = _cell_bound(
            n_nodes, not math.isnan(az[j]), float(tilt[j]), vbw, float(base[j]) - floor, pl_lut,
            th_lut, g,
        )
        radius = max(radius, min(r, reach[j]))
        j += 1
    return radius


@njit(cache=True, nogil=True)
def _same_path_loss(
    k: int, j: int, code, coef, dh, off, slope, toff
) -> bool:  # pragma: no cover - compiled
    """Whether cells ``k`` and ``j`` of one location share their path-loss tables and buffer."""
    if code[k] != code[j] or dh[k] != dh[j] or off[k] != off[j] or slope[k] != slope[j]:
        return False
    if toff[k] != toff[j]:
        return False
    for i in range(coef.shape[1]):
        a, b = coef[k, i], coef[j, i]
        if a != b and not (math.isnan(a) and math.isnan(b)):
            return False
    return True


@njit(cache=True, nogil=True)
def _row_window(
    k, r, radius, res, xs, ys, box, cx, cy, az, bw, sectored, budget, pl_lut, g
) -> tuple[int, int]:  # pragma: no cover - compiled
    """Columns of row ``r`` where cell ``k`` can reach the floor: reach disc ∩ antenna lobe."""
    dy = ys[r] - cy[k]
    a, b = _row_span(xs[0], res, cx[k], dy, radius, box[k, 2], box[k, 3] - 1)
    if a > b or not sectored:
        return a, b
    i = int(_node_position(abs(dy)))
    if budget - g[i] < 0.0:
        return 1, 0
    if budget - pl_lut[i] >= 30.0:
        return a, b
    phi_max = float(bw[k]) * math.sqrt((budget - g[i]) / 12.0)
    return _lobe_span(dy, math.radians(float(az[k])), phi_max, xs[0], res, cx[k], a, b)


@njit(cache=True, nogil=True)
def _rsrp_row(
    bk, azk, tk, kh, kv, sectored, floor, t_book, pl_row, th_row, br_row, v_row, mw_row, tot_row
) -> int:  # pragma: no cover - compiled
    """RSRP of one cell over a row window, its power added to the carrier total.

    Branch-free over row views, in strict IEEE arithmetic (no fast-math: a
    pixel gets the same value whether the loop handles it in a vector lane
    or in the scalar remainder, so results do not depend on the tiling):
    ``v_row`` gets the RSRP [dBm], ``mw_row`` the power [mW] (0 below the
    floor), ``tot_row`` the power added. Returns how many pixels reach
    ``t_book``.
    """
    amax = _F(30.0)
    n_book = 0
    for c in range(pl_row.size):
        v = bk - pl_row[c]
        if sectored:
            phi = br_row[c] - azk
            phi = phi - _F(360.0) if phi > _F(180.0) else phi
            phi = phi + _F(360.0) if phi < _F(-180.0) else phi
            e = th_row[c] - tk
            v -= min(min(kh * phi * phi, amax) + min(kv * e * e, amax), amax)
        mw = dbm_to_mw_f32(v)
        mw = mw if v >= floor else _F(0.0)
        v_row[c] = v
        mw_row[c] = mw
        tot_row[c] += mw
        n_book += 1 if v >= t_book else 0
    return n_book


@njit(cache=True, nogil=True)
def _add_cell(
    k, radius, res, xs, ys, box, site, op, car, gidx, cx, cy, az, bw, tilt, base, o2i, day,
    thr, floor, vbw, sectored, indoor, dated, pl_lut, g, v_row, mw_row, best, best_cell,
    best_mw, total, n_serv, last_site, op_best, op_best_cell, op_n, op_last, in_best, in_n,
    in_last, earliest, pl_buf, th_buf, br_buf, has_terrain, u_buf, t_unknown,
):  # pragma: no cover - compiled
    """Evaluate cell ``k`` on its lobe-cut window; returns its number of evaluations.

    A pixel is flagged "terrain unknown" where the cell reaches the floor
    there (computed without terrain) and its terrain loss was unknown.
    """
    bk, azk, tk = base[k], az[k], tilt[k]
    kh = _F(12.0) / (bw[k] * bw[k]) if sectored else _F(0.0)
    kv = _F(12.0) / (vbw * vbw)
    budget = float(bk) - float(floor)
    # Bookkeeping threshold: a negative O2I loss lifts the indoor layer above the outdoor one.
    t_book = min(thr, thr + o2i[k]) if indoor else thr
    n = 0
    for r in range(box[k, 0], box[k, 1]):
        a, b = _row_window(k, r, radius, res, xs, ys, box, cx, cy, az, bw, sectored, budget,
                           pl_lut, g)  # fmt: skip
        if a > b:
            continue
        n += b - a + 1
        e = b + 1
        n_book = _rsrp_row(
            bk, azk, tk, kh, kv, sectored, floor, t_book, pl_buf[r, a:e], th_buf[r, a:e],
            br_buf[r, a:e], v_row[a:e], mw_row[a:e], total[car[k], r, a:e],
        )
        if has_terrain:
            for c in range(a, e):
                if u_buf[r, c] and v_row[c] >= floor:
                    t_unknown[r, c] = 1
        if n_book:
            _book_row(
                k, r, a, b, thr, t_book, site, op, gidx, o2i, day, indoor, dated, v_row, mw_row,
                best, best_cell, best_mw, n_serv, last_site, op_best, op_best_cell, op_n,
                op_last, in_best, in_n, in_last, earliest,
            )  # fmt: skip
    return n


@njit(cache=True, nogil=True)
def _book_row(
    k, r, a, b, thr, t_book, site, op, gidx, o2i, day, indoor, dated, v_row, mw_row, best,
    best_cell, best_mw, n_serv, last_site, op_best, op_best_cell, op_n, op_last, in_best, in_n,
    in_last, earliest,
):  # pragma: no cover - compiled
    """Best server, servers, dates and indoor layer where cell ``k`` reaches the threshold."""
    s, o, gk, o2ik, dayk = site[k], op[k], gidx[k], o2i[k], day[k]
    for c in range(a, b + 1):
        v = v_row[c]
        if v < t_book:
            continue
        if v >= thr:
            if v > best[r, c]:
                best[r, c] = v
                best_cell[r, c] = gk
                best_mw[r, c] = mw_row[c]
            if last_site[r, c] != s:
                last_site[r, c] = s
                n_serv[r, c] += 1
            if o >= 0:
                if v > op_best[o, r, c]:
                    op_best[o, r, c] = v
                    op_best_cell[o, r, c] = gk
                if op_last[o, r, c] != s:
                    op_last[o, r, c] = s
                    op_n[o, r, c] += 1
            if dated and dayk < earliest[r, c]:
                earliest[r, c] = dayk
        if indoor:
            vi = v - o2ik
            if vi > in_best[r, c]:
                in_best[r, c] = vi
            if vi >= thr and in_last[r, c] != s:
                in_last[r, c] = s
                in_n[r, c] += 1


# --------------------------------------------------------------------------- placing


@njit(cache=True, nogil=True)
def place_tile(
    r0, c0, thr, noise_mw, cell_site, cell_carrier, indoor, dated, has_terrain,
    best, best_cell, best_mw, total, n_serv, op_best, op_n, in_best, in_n, earliest, unknown,
    rsrp_out, sinr_out, cell_out, site_out, n_out, op_rsrp_out, op_n_out, in_rsrp_out,
    in_n_out, earliest_out, unknown_out,
):  # pragma: no cover - compiled
    """Threshold a tile's accumulators and write every layer of its window, in one pass.

    The compiled twin of :meth:`phusong.raster.grid.GridResult.place` for
    path-loss models without the SINR criterion (same arithmetic, float32):
    a pixel is served where its best cell reaches ``thr``; there it gets the
    best RSRP, the serving cell and site and the best server's SINR
    S / (I + N) (I = the rest of its carrier's total power); elsewhere NaN
    and −1. Per-operator RSRP is kept where the operator reaches ``thr``
    with a server. ``*_out`` are the whole grid's layers, written at
    ``(r0, c0)`` onwards.
    """
    h, w = best.shape
    n_ops = op_best.shape[0]
    nan = _F(np.nan)
    for r in range(h):
        rr = r0 + r
        for c in range(w):
            cc = c0 + c
            v = best[r, c]
            k = best_cell[r, c]
            if k >= 0 and v >= thr:
                b = best_mw[r, c]
                interference = max(total[cell_carrier[k], r, c] - b, _F(0.0))
                rsrp_out[rr, cc] = v
                sinr_out[rr, cc] = _TEN * _F(math.log10(_F(b / (interference + noise_mw))))
                cell_out[rr, cc] = k
                site_out[rr, cc] = cell_site[k]
            else:
                rsrp_out[rr, cc] = nan
                sinr_out[rr, cc] = nan
                cell_out[rr, cc] = -1
                site_out[rr, cc] = -1
            n_out[rr, cc] = n_serv[r, c]
            for o in range(n_ops):
                ov = op_best[o, r, c]
                on = op_n[o, r, c]
                op_rsrp_out[o, rr, cc] = ov if (ov >= thr and on > 0) else nan
                op_n_out[o, rr, cc] = on
            if indoor:
                iv = in_best[r, c]
                in_rsrp_out[rr, cc] = iv if iv >= thr else nan
                in_n_out[rr, cc] = in_n[r, c]
            if dated:
                earliest_out[rr, cc] = earliest[r, c]
            if has_terrain:
                unknown_out[rr, cc] = unknown[r, c] != 0


__all__ = ["atan2_f32", "dbm_to_mw_f32", "path_loss_scalar", "place_tile", "tile_kernel"]
# fmt: on
