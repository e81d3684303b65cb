"""Terrain diffraction loss on the engine's grid: a radial sweep per site (numba).

The raster engine adds, per site location, antenna height and frequency, a
window of extra loss [dB] to the path loss (the call shape
:class:`phusong.raster.tile.TerrainLoss`). :class:`TerrainModel` gives it,
over the DEM resampled onto the grid (:func:`phusong.io.dem.read_dem`): the
Bullington diffraction loss of ITU-R P.526-15 §4.5.1 of the terrain profile
from the antenna to each pixel centre, minus that of smooth ground between
the same two points (:func:`phusong.propagation.diffraction.terrain_excess_loss_db`:
the path-loss models already hold smooth-earth propagation), with the
effective earth radius k = 4/3.

How the sweep works (and why it is fast)
----------------------------------------
A straightforward implementation samples one profile per pixel: O(r) height
look-ups and O(r) arithmetic per pixel of a site's window of radius r.
:func:`terrain_loss_window` instead casts rays from the antenna and walks
each ray once, so the profile samples (height look-ups, distances, earth
curvature) are shared by every pixel the ray serves, and reuses each ray's
horizon:

* **Rays.** The pixels at Chebyshev distance ρ from the antenna's pixel,
  R/2 < ρ ≤ R (R = 16, 32, 64, …), are served by the 8R rays from the
  antenna towards the centres of the perimeter pixels of the radius-R
  square. Each ray is stepped one pixel at a time along its major axis; its
  height at a step is the linear interpolation between the two pixel
  centres around it on the minor axis (a bilinear sample of the DEM, since
  the step lies on a pixel-centre line).
* **Which ray serves a pixel.** The ray of its ring that passes closest to
  its centre (the first on ties). Adjacent rays are at most one pixel apart
  within the square (the R2 viewshed argument), so that ray passes within
  half a pixel of the centre. The choice depends only on the pixel's
  position relative to the antenna: the loss does not depend on the window
  asked for, and tiles agree at their edges.
* **Loss at a pixel.** The receiver is the pixel centre (its own height and
  exact distance); the intermediate points are the ray's samples before it.
  With heights reduced by the earth bulge (g = h − x²/(2kR)) the Bullington
  construction is planar, and the ray's horizon is reused: S_tim (steepest
  line from the antenna) is the ray's running maximum, O(1) per pixel, and
  S_rim (steepest line back from the receiver) is the tangent from the
  receiver to the upper convex hull of the ray's samples, kept as the ray
  is walked and queried by bisection, O(log n). A trans-horizon path's ν
  (the Bullington point, where the two lines meet) is then exact; a
  line-of-sight path has ν ≤ −√(2 d a b/λ) at every point (a, b: the two
  slopes relative to the Tx–Rx chord), so where that is ≤ −0.78 its loss is
  0; the remaining grazing paths scan every sample. Smooth ground's loss is
  analytic (a bisection on the derivative of a unimodal ν(x)). Then
  L = J(ν) + (1 − e^(−J/6))(10 + 0.02 d[km]) for each, and the excess.

Unknown terrain stays unknown: the window is NaN at pixels whose own height
is unknown, behind the first unknown sample of their ray, and everywhere when
the ground under the antenna is unknown. The engine computes those pixels
without terrain and counts them as "terrain unknown".

The only difference from the per-profile reference
(:func:`terrain_loss_reference`, one straight profile per pixel sampled at
the grid's resolution) is where the profile is sampled: the ray passes
within half a pixel of the centre and samples at pixel-centre lines. Along
the rows, columns and diagonals through the antenna they sample the same
points and agree to float32 rounding; elsewhere they agree on average, and
single pixels near a shadow edge can differ by a few dB (tests:
``tests/test_terrain.py``, which state the tolerance).

Importing this module imports numba; kernels are compiled on first use and
cached on disk (``cache=True``).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from rasterio.windows import Window

from phusong.io.dem import (
    DEM_CREDITS,
    SHIPPED_DEM_FILES,
    DemOnGrid,
    DemSource,
    read_dem,
    source_key,
)
from phusong.propagation.diffraction import (
    EFFECTIVE_EARTH_K,
    effective_earth_radius_m,
    terrain_excess_loss_db,
    wavelength_m,
)
from phusong.raster.jit import njit
from phusong.raster.spec import GridSpec

log = logging.getLogger(__name__)

__all__ = [
    "RAY_BASE_RADIUS_PX",
    "RAY_OVERSAMPLING",
    "TERRAIN_CACHE_SIZE",
    "TERRAIN_MARGIN_M",
    "TERRAIN_WINDOW_CACHE_BYTES",
    "TerrainGrid",
    "TerrainModel",
    "WindowCache",
    "forget_terrain",
    "terrain_loss_reference",
    "terrain_loss_window",
    "terrain_loss_windows",
    "terrain_model",
]

#: Outer radius of the first ring of pixels served by one set of rays
#: [pixels]; the next rings end at 2×, 4×, … this.
RAY_BASE_RADIUS_PX = 16
#: Rays per perimeter pixel of a ring (an integer): with 2, the rays of the
#: ring of radius R go to the perimeter of the square of radius 2R and pass
#: within a quarter of a pixel of the centres they serve. 1 (half a pixel)
#: is twice as fast, and on the shipped DEM at 50 m as close to the
#: per-profile reference (90th percentile of |Δ| 0.58 dB instead of 0.46 dB).
RAY_OVERSAMPLING = 1


_NAN = math.nan


# --------------------------------------------------------------------------- the grid


#: Most bytes of loss windows an engine's terrain keeps for the next audit on the
#: same grid (a plan's re-audits sweep again only the new sites).
TERRAIN_WINDOW_CACHE_BYTES = 128 * 2**20


class WindowCache:
    """Loss windows by antenna and window, least recently used dropped past a byte budget.

    Thread-safe; values are read-only arrays. ``hits`` and ``misses`` count
    the look-ups.
    """

    def __init__(self, max_bytes: int = TERRAIN_WINDOW_CACHE_BYTES) -> None:
        from collections import OrderedDict

        self.max_bytes = int(max_bytes)
        self.bytes = 0
        self.hits = 0
        self.misses = 0
        self._items: OrderedDict[tuple[Any, ...], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> np.ndarray | None:
        """Return the window kept under ``key``, or ``None``."""
        with self._lock:
            got = self._items.get(key)
            if got is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return got

    def put(self, key: tuple[Any, ...], window: np.ndarray) -> np.ndarray:
        """Keep ``window`` (read-only from now on) under ``key``; return it."""
        window.flags.writeable = False
        if window.nbytes > self.max_bytes:
            return window
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.bytes -= old.nbytes
            self._items[key] = window
            self.bytes += window.nbytes
            while self.bytes > self.max_bytes:
                _, dropped = self._items.popitem(last=False)
                self.bytes -= dropped.nbytes
        return window

    def __len__(self) -> int:
        return len(self._items)

    def __getstate__(self) -> dict[str, Any]:
        """Pickle empty (a copy sent to a Dask worker starts its own)."""
        return {"max_bytes": self.max_bytes}

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Restore an empty cache with the same budget."""
        self.__init__(state["max_bytes"])  # type: ignore[misc]


@dataclass(frozen=True)
class TerrainGrid:
    """Terrain heights at the pixel centres of the engine's grid (plus a margin).

    Attributes
    ----------
    grid : GridSpec
        The engine's grid.
    heights_m : ndarray
        float32, C-contiguous ``(height + 2 margin, width + 2 margin)``
        terrain heights above sea level [m]; NaN = unknown.
    margin_px : int
        Pixels of margin on every side (sites just outside the grid).
    k : float
        Effective earth-radius factor (4/3).
    label : str
        Where the heights come from (file names).
    records : tuple of dict
        Name and SHA-256 of each DEM file.
    heights_t : ndarray
        ``heights_m`` transposed, C-contiguous (the sweep walks x-major rays
        along its rows).
    windows : WindowCache
        Loss windows the engine swept on this terrain, kept for the next
        audit on it (:meth:`TerrainModel.kept`).
    """

    grid: GridSpec
    heights_m: np.ndarray
    margin_px: int = 0
    k: float = EFFECTIVE_EARTH_K
    label: str = "synthetic"
    records: tuple[dict[str, Any], ...] = ()
    heights_t: np.ndarray = field(init=False, repr=False, compare=False)
    windows: WindowCache = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        h = np.ascontiguousarray(self.heights_m, dtype="float32")
        object.__setattr__(self, "heights_m", h)
        object.__setattr__(self, "heights_t", np.ascontiguousarray(h.T))
        object.__setattr__(self, "windows", WindowCache())
        want = (self.grid.height + 2 * self.margin_px, self.grid.width + 2 * self.margin_px)
        if h.shape != want:
            raise ValueError(f"heights_m has shape {h.shape}, expected {want} for the grid.")

    @classmethod
    def from_dem(cls, dem: DemOnGrid, grid: GridSpec) -> TerrainGrid:
        """Terrain of a DEM resampled onto ``grid`` (:func:`phusong.io.dem.read_dem`)."""
        return cls(
            grid, dem.heights_m, dem.margin_px, label=dem.source.label, records=dem.source.records
        )

    def pixel_of(self, x_m: float, y_m: float) -> tuple[float, float]:
        """Fractional ``(row, col)`` of a point in ``heights_m`` (0 = centre of the first pixel)."""
        t = self.grid.transform
        col = (x_m - t.c) / self.grid.resolution_m - 0.5 + self.margin_px
        row = (t.f - y_m) / self.grid.resolution_m - 0.5 + self.margin_px
        return row, col

    def known_fraction(self) -> float:
        """Fraction of the grid's pixels (margin excluded) with a known height."""
        m = self.margin_px
        inner = self.heights_m[m : self.heights_m.shape[0] - m, m : self.heights_m.shape[1] - m]
        return float(np.isfinite(inner).mean()) if inner.size else 0.0


# --------------------------------------------------------------------------- compiled kernels


#: Options of every compiled kernel: cached on disk, GIL released, numpy's
#: division semantics (no zero-division checks in the loops).
_JIT = {"cache": True, "nogil": True, "error_model": "numpy"}
#: fastmath flags of the profile scan: no NaN or infinity, but no reassociation.
_FAST_NO_REASSOC = {"nnan", "ninf", "nsz", "arcp", "contract", "afn"}


@njit(**_JIT)
def _bilinear_known(heights, r, c):  # pragma: no cover - compiled
    """Bilinear height at fractional (r, c); NaN unless all four neighbours are known."""
    h, w = heights.shape
    if r < 0.0 or r > h - 1 or c < 0.0 or c > w - 1 or h < 2 or w < 2:
        return _NAN
    r0 = math.floor(r)
    c0 = math.floor(c)
    if r0 > h - 2:
        r0 = h - 2
    if c0 > w - 2:
        c0 = w - 2
    fr = r - r0
    fc = c - c0
    a, b = heights[r0, c0], heights[r0, c0 + 1]
    e, f = heights[r0 + 1, c0], heights[r0 + 1, c0 + 1]
    top = a + (b - a) * fc
    bottom = e + (f - e) * fc
    return top + (bottom - top) * fr


@njit(**_JIT)
def _loss_db(nu0, inv_sqrt_lambda, d):  # pragma: no cover - compiled
    """Bullington loss [dB] from ν·√λ [√m] and the path length d [m].

    J(ν) of ITU-R P.526-15 eq. (31) (0 for ν ≤ −0.78), then the §4.5.1
    correction L = J + (1 − exp(−J/6))(10 + 0.02 d[km]).
    """
    v = nu0 * inv_sqrt_lambda
    if not v > -0.78:
        return 0.0
    w = v - 0.1
    j = 6.9 + 20.0 * math.log10(math.sqrt(w * w + 1.0) + w)
    return j + (1.0 - math.exp(-j / 6.0)) * (10.0 + 0.00002 * d)


@njit(**_JIT)
def _ray(j, big_r, sr, sc, site_r, site_c):  # pragma: no cover - compiled
    """Ray ``j`` of the radius-``big_r`` square: (x-major?, step sign, minor per major step).

    Rays 0…4R+1 end on the right and left columns (x-major, corners
    included), rays 4R+2…8R−1 on the bottom and top rows (y-major).
    """
    side = 2 * big_r + 1
    if j < 2 * side:
        sign = 1 if j < side else -1
        tr = sr - big_r + (j % side)
        tc = sc + sign * big_r
        return True, sign, (tr - site_r) / (tc - site_c)
    k = j - 2 * side
    inner = 2 * big_r - 1
    sign = 1 if k < inner else -1
    tc = sc - big_r + 1 + (k % inner)
    tr = sr + sign * big_r
    return False, sign, (tc - site_c) / (tr - site_r)


@njit(**_JIT)
def _claim(geo, box, rad, t_max, best, owner, t_last):  # pragma: no cover - compiled
    """First pass for one ring: each window pixel with prev_r < ρ ≤ ring_r takes its closest ray.

    ``rad`` = (ray_r, prev_r, ring_r): the rays are those of the radius-ray_r
    square. ``geo`` = (site row, site column, exact row, exact column, largest
    distance [pixels], 0 = none); ``box`` = (first row, stop row, first
    column, stop column) of the window.
    """
    sr, sc, site_r, site_c, far = int(geo[0]), int(geo[1]), geo[2], geo[3], geo[4]
    wr0, wr1, wc0, wc1 = box
    ray_r, prev_r, ring_r = rad
    wid = wc1 - wc0
    for j in range(8 * ray_r):
        xmajor, sign, slope = _ray(j, ray_r, sr, sc, site_r, site_c)
        t_last[j] = 0
        a0, b0, s0, m0 = (sc, sr, site_c, site_r) if xmajor else (sr, sc, site_r, site_c)
        for t in range(max(prev_r, 1), t_max + 1):
            major = a0 + sign * t
            minor = m0 + (major - s0) * slope
            mi = math.floor(minor + 0.5)
            rho = max(t, abs(mi - b0))
            if rho <= prev_r or rho > ring_r:
                continue
            row, col = (mi, major) if xmajor else (major, mi)
            if row < wr0 or row >= wr1 or col < wc0 or col >= wc1:
                continue
            if far > 0.0 and (row - site_r) ** 2 + (col - site_c) ** 2 > far * far:
                continue
            off = np.float32(abs(minor - mi))
            k = (row - wr0) * wid + (col - wc0)
            if off < best[k]:
                best[k] = off
                owner[k] = j
                t_last[j] = t


@njit(**_JIT)
def _chord_nu(a, b, q, d):  # pragma: no cover - compiled
    """ν·√λ of a path [√m] from maxima over its points in the frame of the Tx–Rx chord.

    ``a`` = max c/x and ``b`` = max c/(d − x) (slopes seen from the two ends,
    c = clearance above the chord, x = distance from the transmitter), ``q`` =
    max c|c| / (x (d − x)). Line of sight (a < 0): the largest ν of a point;
    otherwise ν of the Bullington point, where the two steepest lines meet
    (P.526-15 §4.5.1 in chord coordinates).
    """
    if a < 0.0:
        return math.copysign(math.sqrt(2.0 * d * abs(q)), q)
    if a == 0.0 or a + b <= 0.0:
        return 0.0  # a point lies exactly on the chord: grazing
    d_b = b * d / (a + b)
    return a * d_b * math.sqrt(2.0 * d / (d_b * (d - d_b)))


@njit(fastmath=_FAST_NO_REASSOC, **_JIT)
def _chord_maxima(xs, ixs, hs, n, d, h_tx, h_rx, inv_2kr, g0, sg):  # pragma: no cover - compiled
    """Return max c/x, max c/(d − x) and max c|c|/(x (d − x)) over the points of a path.

    c is the clearance above the Tx–Rx chord: that of smooth ground (the
    earth bulge minus the antenna line) plus the terrain above the straight
    ground line, ``hs − g0 − sg x`` (pass ``hs = xs``, ``g0 = 0``, ``sg = 1``
    for smooth ground, where that term is exactly 0). Compiled with fastmath
    without reassociation (the inputs must be finite; flat ground must give
    the smooth profile's clearances exactly).
    """
    f32 = np.float32
    df, k2, htx, hrx, inv_d = f32(d), f32(inv_2kr), f32(h_tx), f32(h_rx), f32(1.0 / d)
    a = b = q = f32(-3.0e38)
    for i in range(n):
        x = xs[i]
        dx = df - x
        idx = f32(1.0) / dx
        c = x * dx * k2 - (htx * dx + hrx * x) * inv_d + (hs[i] - g0 - sg * x)
        a = max(a, c * ixs[i])
        b = max(b, c * idx)
        q = max(q, c * abs(c) * ixs[i] * idx)
    return float(a), float(b), float(q)


@njit(**_JIT)
def _smooth_clearance(x, d, h_tx, h_rx, inv_2kr):  # pragma: no cover - compiled
    """Clearance of smooth ground above the Tx–Rx chord at distance x [m] (negative below)."""
    return x * (d - x) * inv_2kr - (h_tx * (d - x) + h_rx * x) / d


@njit(**_JIT)
def _smooth_loss_db(
    x0, step, n, d, h_tx, h_rx, inv_2kr, inv_sqrt_lambda
):  # pragma: no cover - compiled
    """Bullington loss [dB] of smooth ground sampled at x0, x0 + step, …, x0 + (n − 1) step [m].

    Smooth ground's clearance c(x) = x (d − x)/(2kR) − (h_tx (d − x) + h_rx x)/d
    is a concave parabola. Below the chord everywhere (line of sight), ν(x)
    = c(x) √(2d / (λ x (d − x))) is unimodal, rising where
    g(x) = ½ (d − 2x) u / (2kR) − u L' + ½ L (d − 2x) > 0 (u = x (d − x),
    L = the antenna line, L' its slope): the best sample is found by
    bisection on the sign of g, in O(log n). −1 when the parabola reaches
    the chord (beyond the radio horizon: the caller scans instead). First an
    O(1) test: with s = d − x, c ≤ −(h_rx + γ s), γ = (h_tx − h_rx)/d − d/(2kR),
    so where γ > 0, ν ≤ −(h_rx + γ s) √(2/(λ s)) ≤ −2 √(2 h_rx γ / λ) at every
    point, and the loss is 0 when that is ≤ −0.78.
    """
    g = (h_tx - h_rx) / d - d * inv_2kr
    if g > 0.0 and 2.0 * math.sqrt(2.0 * h_rx * g) * inv_sqrt_lambda >= 0.78:
        # Below the chord by at least h_rx + g (d − x): ν ≤ −2 √(2 h_rx g / λ) ≤ −0.78.
        return 0.0
    x_last = x0 + (n - 1) * step
    x_top = min(max(0.5 * d - (h_rx - h_tx) / (2.0 * d * inv_2kr), x0), x_last)
    if _smooth_clearance(x_top, d, h_tx, h_rx, inv_2kr) >= 0.0:
        return -1.0
    slope_l = (h_rx - h_tx) / d
    lo, hi = 0, n - 1  # find the last sample where ν still rises
    while lo < hi:
        mid = (lo + hi + 1) // 2
        x = x0 + mid * step
        u = x * (d - x)
        line = (h_tx * (d - x) + h_rx * x) / d
        rising = 0.5 * (d - 2.0 * x) * u * inv_2kr - u * slope_l + 0.5 * line * (d - 2.0 * x)
        if rising > 0.0:
            lo = mid
        else:
            hi = mid - 1
    best = -math.inf
    for i in range(max(lo - 1, 0), min(lo + 2, n)):
        x = x0 + i * step
        c = _smooth_clearance(x, d, h_tx, h_rx, inv_2kr)
        best = max(best, c * math.sqrt(2.0 * d / (x * (d - x))))
    return _loss_db(best, inv_sqrt_lambda, d)


@njit(**_JIT)
def _scan_loss_db(
    xs, ixs, hs, n, ground_t, ground_r, d, phys, smooth
):  # pragma: no cover - compiled
    """Bullington loss [dB] of the terrain profile ``hs`` (or of smooth ground), visiting every sample.

    The O(n) path (:func:`_chord_maxima`), for grazing paths and smooth
    ground beyond its radio horizon.
    """
    h_tx, h_rx, inv_2kr, inv_sqrt_lambda = phys[2], phys[3], phys[4], phys[5]
    if smooth:
        g0, sg = np.float32(0.0), np.float32(1.0)
        a, b, q = _chord_maxima(xs, ixs, xs, n, d, h_tx, h_rx, inv_2kr, g0, sg)
    else:
        g0, sg = np.float32(ground_t), np.float32((ground_r - ground_t) / d)
        a, b, q = _chord_maxima(xs, ixs, hs, n, d, h_tx, h_rx, inv_2kr, g0, sg)
    return _loss_db(_chord_nu(a, b, q, d), inv_sqrt_lambda, d)


@njit(**_JIT)
def _hull_push(hx, hg, hn, x, g):  # pragma: no cover - compiled
    """Add point (x, g), right of every vertex, to the upper convex hull ``hx[:hn], hg[:hn]``.

    Returns the new number of vertices (monotone chain: vertices on or below
    the new edge are dropped; amortised O(1)).
    """
    while hn >= 2:
        ax, ag = hx[hn - 2], hg[hn - 2]
        if (hx[hn - 1] - ax) * (g - ag) - (hg[hn - 1] - ag) * (x - ax) < 0.0:
            break
        hn -= 1
    hx[hn] = x
    hg[hn] = g
    return hn + 1


#: Excess losses below this are float rounding (the terrain and smooth-ground
#: losses are computed by different routes) and count as 0 [dB].
_ROUNDING_DB = 1.0e-4


@njit(**_JIT)
def _walk(z, ray, wgeo, rad, phys, owner, out, prof):  # pragma: no cover - compiled
    """Second pass for one ray: walk it and fill the window pixels it owns.

    ``z`` holds the heights major axis first (the transposed heights for an
    x-major ray), so a step's two neighbours are adjacent in memory.
    ``ray`` = (j, sign, site pixel major, site pixel minor, exact major,
    exact minor, minor per major step, last step); ``wgeo`` = (window first
    major, stop major, first minor, stop minor, stride of major, stride of
    minor) in ``out``; ``rad`` = (ray square's R, the ring's inner and outer
    radius); ``phys`` = (resolution [m], ground under the antenna [m],
    antenna height [m], UE height [m], 1/(2kR) [1/m], 1/√λ [1/√m]);
    ``prof`` = scratch arrays (xs, ixs, hs, hull x, hull g).

    The loss at an owned pixel is the Bullington loss of the terrain minus
    that of smooth ground (:func:`phusong.propagation.diffraction.terrain_excess_loss_db`).
    For the terrain, a = S_tim − S_tr comes from the running maximum (O(1))
    and b = S_rim + S_tr from the tangent from the receiver to the upper
    hull of the samples (O(log n)): a trans-horizon path's ν is then exact,
    and a line-of-sight path has ν ≤ −√(2 d a b / λ) at every point, so its
    loss is 0 when that is ≤ −0.78; only the remaining (grazing) paths scan
    every sample. Smooth ground is analytic (:func:`_smooth_loss_db`).
    """
    nz_major, nz_minor = z.shape
    j, sign, a0, b0 = int(ray[0]), int(ray[1]), int(ray[2]), int(ray[3])
    s0, m0, slope, t_end = ray[4], ray[5], ray[6], int(ray[7])
    lo_a, hi_a, lo_b, hi_b, st_a, st_b = wgeo
    prev_r, ring_r = rad[1], rad[2]
    res, ground_t, h_tx, h_rx, inv_2kr, inv_sqrt_lambda = phys
    xs, ixs, hs, hx, hg = prof
    g_t = ground_t + h_tx
    scale = res * math.sqrt(1.0 + slope * slope)
    n = 0  # intermediate samples so far: xs[:n], hs[:n], evenly spaced by `scale`
    hn = 0  # vertices of their upper hull (x, g = h − x²/(2kR))
    s_tim = -math.inf
    # Before step t_own no pixel of the ring can be reached (ρ ≤ t |slope| + 1 there).
    t_own = int((prev_r - 1) / max(abs(slope), 1.0))
    for t in range(1, t_end + 1):
        major = a0 + sign * t
        minor = m0 + (major - s0) * slope
        mi = math.floor(minor + 0.5)
        rho = max(t, abs(mi - b0))
        if t >= t_own and prev_r < rho <= ring_r and lo_a <= major < hi_a and lo_b <= mi < hi_b:
            k = (major - lo_a) * st_a + (mi - lo_b) * st_b
            if owner[k] == j and 0 <= major < nz_major and 0 <= mi < nz_minor:
                hr = float(z[major, mi])
                if hr == hr and n == 0:  # known (not NaN), nothing in between
                    out[k] = 0.0
                elif hr == hr:
                    da, db = major - s0, mi - m0
                    d = res * math.sqrt(da * da + db * db)
                    m = n
                    while m > 0 and xs[m - 1] >= d:
                        m -= 1  # (safety: the samples all lie before the pixel centre)
                    loss = -1.0
                    if m == n:
                        g_r = hr + h_rx - d * d * inv_2kr
                        s_tr = (g_r - g_t) / d
                        lo, hi = 0, hn - 1  # tangent vertex: the slope towards the
                        while lo < hi:  # receiver falls while the next edge is steeper
                            mid = (lo + hi) // 2
                            rise = (hg[mid + 1] - hg[mid]) * (d - hx[mid])
                            if rise > (g_r - hg[mid]) * (hx[mid + 1] - hx[mid]):
                                lo = mid + 1
                            else:
                                hi = mid
                        a = s_tim - s_tr
                        b = (hg[lo] - g_r) / (d - hx[lo]) + s_tr
                        if a >= 0.0:  # trans-horizon: ν of the Bullington point, exact
                            loss = _loss_db(_chord_nu(a, b, 0.0, d), inv_sqrt_lambda, d)
                        elif math.sqrt(2.0 * d * a * b) * inv_sqrt_lambda >= 0.78:
                            loss = 0.0  # line of sight, ν ≤ −√(2 d a b / λ) ≤ −0.78
                    if loss < 0.0:  # grazing (or a sample past the pixel): scan
                        loss = _scan_loss_db(xs, ixs, hs, m, ground_t, hr, d, phys, False)
                    if loss > 0.0 and m > 0:
                        smooth = _smooth_loss_db(
                            float(xs[0]), scale, m, d, h_tx, h_rx, inv_2kr, inv_sqrt_lambda
                        )
                        if smooth < 0.0:  # smooth ground beyond its radio horizon: scan
                            smooth = _scan_loss_db(xs, ixs, hs, m, ground_t, hr, d, phys, True)
                        loss = loss - smooth
                    out[k] = loss if loss > _ROUNDING_DB else 0.0
        # this step is an intermediate point of the steps after it
        if major < 0 or major >= nz_major or minor < 0.0 or minor > nz_minor - 1:
            return  # outside the terrain: every later pixel of the ray stays NaN
        m_lo = min(math.floor(minor), nz_minor - 2)
        f = minor - m_lo
        h = z[major, m_lo] + (z[major, m_lo + 1] - z[major, m_lo]) * f
        if not h == h:
            return  # unknown terrain: every later pixel of the ray stays NaN
        x = abs(major - s0) * scale
        ix = 1.0 / x
        xs[n] = x
        ixs[n] = ix
        hs[n] = h
        n += 1
        g = h - x * x * inv_2kr
        hn = _hull_push(hx, hg, hn, x, g)
        s_tim = max(s_tim, (g - g_t) * ix)


@njit(**_JIT)
def _sweep(
    heights, heights_t, geo, phys, base_r, oversampling, box, out
):  # pragma: no cover - compiled
    """Fill ``out`` (flat, the window's pixels row-major) with the terrain loss [dB] of one site.

    ``geo`` = (exact row, exact column, antenna height [m], largest distance
    [pixels], 0 = none) of the site in ``heights``; ``phys`` = (resolution
    [m], UE height [m], 1/√λ, 1/(2kR)).
    """
    out[:] = _NAN
    site_r, site_c, h_tx, far = geo
    res, h_rx, inv_sqrt_lambda, inv_2kr = phys
    ground = _bilinear_known(heights, site_r, site_c)
    if not ground == ground:
        return
    sr = math.floor(site_r + 0.5)
    sc = math.floor(site_c + 0.5)
    wr0, wr1, wc0, wc1 = box
    wid = wc1 - wc0
    h, w = heights.shape
    if wr0 <= sr < wr1 and wc0 <= sc < wc1 and 0 <= sr < h and 0 <= sc < w:
        if heights[sr, sc] == heights[sr, sc]:
            out[(sr - wr0) * wid + (sc - wc0)] = 0.0
    rho_max = max(abs(wr0 - sr), abs(wr1 - 1 - sr), abs(wc0 - sc), abs(wc1 - 1 - sc))
    if far > 0.0:
        rho_max = min(rho_max, math.ceil(far) + 1)
    rho_min = max(wr0 - sr, sr - (wr1 - 1), wc0 - sc, sc - (wc1 - 1), 0)
    best = np.full(out.size, np.inf, dtype=np.float32)
    owner = np.full(out.size, -1, dtype=np.int32)
    one = np.int64(1)  # (not a literal 1: one compiled signature of _walk)
    wx = (wc0, wc1, wr0, wr1, one, wid)  # x-major rays: major = column, minor = row
    wy = (wr0, wr1, wc0, wc1, wid, one)  # y-major rays: major = row, minor = column
    phys_walk = (res, ground, h_tx, h_rx, inv_2kr, inv_sqrt_lambda)
    cgeo = (float(sr), float(sc), site_r, site_c, far)
    ring_r, prev_r = np.int64(base_r), np.int64(0)
    while prev_r < rho_max:
        if ring_r >= rho_min:
            ray_r = oversampling * ring_r
            rad = (ray_r, prev_r, ring_r)
            t_last = np.zeros(8 * ray_r, dtype=np.int64)
            _claim(cgeo, box, rad, min(ring_r, rho_max), best, owner, t_last)
            size = ring_r + 2
            prof = (
                np.empty(size, dtype=np.float32), np.empty(size, dtype=np.float32),
                np.empty(size, dtype=np.float32), np.empty(size), np.empty(size),
            )  # fmt: skip
            for j in range(8 * ray_r):
                if t_last[j] == 0:
                    continue
                xmajor, sign, slope = _ray(j, ray_r, sr, sc, site_r, site_c)
                if xmajor:
                    ray = (j, sign, sc, sr, site_c, site_r, slope, t_last[j])
                    _walk(heights_t, ray, wx, rad, phys_walk, owner, out, prof)
                else:
                    ray = (j, sign, sr, sc, site_r, site_c, slope, t_last[j])
                    _walk(heights, ray, wy, rad, phys_walk, owner, out, prof)
        prev_r = ring_r
        ring_r *= 2


# --------------------------------------------------------------------------- API


def _window_box(window: Window | tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    """``(row_start, row_stop, col_start, col_stop)`` of a rasterio Window or such a tuple."""
    if isinstance(window, Window):
        r0, c0 = int(window.row_off), int(window.col_off)
        return r0, r0 + int(window.height), c0, c0 + int(window.width)
    r0, r1, c0, c1 = (int(v) for v in window)
    return r0, r1, c0, c1


def terrain_loss_window(
    terrain: TerrainGrid,
    x_m: float,
    y_m: float,
    h_bs_m: float,
    h_ut_m: float,
    frequency_ghz: float,
    window: Window | tuple[int, int, int, int],
    *,
    radius_m: float | None = None,
) -> np.ndarray:
    """Terrain diffraction loss of one antenna over a window of the grid [dB], float32.

    Parameters
    ----------
    terrain : TerrainGrid
        Heights on the engine's grid.
    x_m, y_m : float
        Antenna position in the grid's CRS [m].
    h_bs_m, h_ut_m : float
        Antenna and user-terminal heights above the ground [m].
    frequency_ghz : float
        Carrier frequency [GHz].
    window : rasterio Window or (row_start, row_stop, col_start, col_stop)
        Pixels of the grid to fill (global indices; may extend past the grid).
    radius_m : float, optional
        Only pixels whose centre lies within this distance of the antenna
        are computed (the others are NaN): pass the site's reach when only
        its disc will be read.

    Returns
    -------
    ndarray
        float32 ``(rows, columns)`` of the window: the Bullington loss
        (ITU-R P.526-15 §4.5.1) ≥ 0 [dB]; NaN where the terrain is unknown
        (the pixel, a sample of its ray before it, or the ground under the
        antenna). See the module docstring for the sweep.
    """
    r0, r1, c0, c1 = _window_box(window)
    if r1 <= r0 or c1 <= c0:
        return np.zeros((max(r1 - r0, 0), max(c1 - c0, 0)), dtype="float32")
    site_r, site_c = terrain.pixel_of(x_m, y_m)
    m = terrain.margin_px
    out = np.empty((r1 - r0) * (c1 - c0), dtype="float32")
    inv_2kr = 1.0 / (2.0 * effective_earth_radius_m(terrain.k))
    inv_sqrt_lambda = 1.0 / math.sqrt(float(wavelength_m(frequency_ghz)))
    far_px = 0.0 if radius_m is None else max(float(radius_m) / terrain.grid.resolution_m, 1e-9)
    _sweep(
        terrain.heights_m, terrain.heights_t, (site_r, site_c, float(h_bs_m), far_px),
        (float(terrain.grid.resolution_m), float(h_ut_m), inv_sqrt_lambda, inv_2kr),
        RAY_BASE_RADIUS_PX, RAY_OVERSAMPLING, (r0 + m, r1 + m, c0 + m, c1 + m), out,
    )  # fmt: skip
    return out.reshape(r1 - r0, c1 - c0)


def terrain_loss_windows(
    terrain: TerrainGrid,
    x_m: Sequence[float] | np.ndarray,
    y_m: Sequence[float] | np.ndarray,
    h_bs_m: Sequence[float] | np.ndarray,
    h_ut_m: float,
    frequency_ghz: Sequence[float] | np.ndarray,
    windows: Sequence[Window | tuple[int, int, int, int]],
    *,
    workers: int = 1,
) -> list[np.ndarray]:
    """Terrain loss windows of many antennas (:func:`terrain_loss_window` for each).

    Parameters
    ----------
    terrain : TerrainGrid
        Heights on the engine's grid.
    x_m, y_m, h_bs_m, frequency_ghz : sequences
        Per antenna: position [m], height [m] and frequency [GHz].
    h_ut_m : float
        User-terminal height [m].
    windows : sequence
        Per antenna: the window to fill.
    workers : int
        Threads (the compiled sweep releases the GIL).

    Returns
    -------
    list of ndarray
        One float32 window per antenna, in order.
    """

    def one(i: int) -> np.ndarray:
        return terrain_loss_window(
            terrain, float(x_m[i]), float(y_m[i]), float(h_bs_m[i]), h_ut_m,
            float(frequency_ghz[i]), windows[i],
        )  # fmt: skip

    n = len(windows)
    if workers <= 1 or n < 2:
        return [one(i) for i in range(n)]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, range(n)))


# --------------------------------------------------------------------------- reference


def terrain_loss_reference(
    terrain: TerrainGrid,
    x_m: float,
    y_m: float,
    h_bs_m: float,
    h_ut_m: float,
    frequency_ghz: float,
    window: Window | tuple[int, int, int, int],
    *,
    step_m: float | None = None,
) -> np.ndarray:
    """Compute the same window with one straight profile per pixel: the reference and baseline.

    For each pixel centre, the profile from the antenna is sampled every
    ``step_m`` (the grid's resolution by default: the resampled DEM's own
    resolution) by bilinear interpolation, and
    :func:`phusong.propagation.diffraction.bullington_loss_db` evaluates it.
    Plain numpy, one profile per pixel.

    Parameters
    ----------
    terrain, x_m, y_m, h_bs_m, h_ut_m, frequency_ghz, window
        As :func:`terrain_loss_window`.
    step_m : float, optional
        Profile sampling step [m].

    Returns
    -------
    ndarray
        float32 window [dB]; NaN where the pixel, a profile sample or the
        ground under the antenna is unknown.
    """
    r0, r1, c0, c1 = _window_box(window)
    out = np.full((max(r1 - r0, 0), max(c1 - c0, 0)), np.nan, dtype="float32")
    site_r, site_c = terrain.pixel_of(x_m, y_m)
    heights = terrain.heights_m
    m = terrain.margin_px
    step_px = (step_m or terrain.grid.resolution_m) / terrain.grid.resolution_m
    ground = _bilinear_numpy(heights, np.array([site_r]), np.array([site_c]))[0]
    if not np.isfinite(ground):
        return out
    for r in range(r0, r1):
        for c in range(c0, c1):
            out[r - r0, c - c0] = _profile_loss(
                heights, site_r, site_c, r + m, c + m, ground, step_px,
                terrain.grid.resolution_m, h_bs_m, h_ut_m, frequency_ghz, terrain.k,
            )  # fmt: skip
    return out


def _profile_loss(
    heights: np.ndarray,
    site_r: float,
    site_c: float,
    row: int,
    col: int,
    ground: float,
    step_px: float,
    res: float,
    h_bs_m: float,
    h_ut_m: float,
    frequency_ghz: float,
    k: float,
) -> float:
    """Bullington loss of the straight profile from the antenna to pixel ``(row, col)`` [dB]."""
    hr = (
        heights[row, col]
        if (0 <= row < heights.shape[0] and 0 <= col < heights.shape[1])
        else np.nan
    )
    if not np.isfinite(hr):
        return math.nan
    if row == math.floor(site_r + 0.5) and col == math.floor(site_c + 0.5):
        return 0.0  # the antenna's own pixel
    length_px = math.hypot(row - site_r, col - site_c)
    n = max(math.ceil(length_px / step_px), 1)
    f = np.linspace(0.0, 1.0, n + 1)
    terrain = _bilinear_numpy(heights, site_r + f * (row - site_r), site_c + f * (col - site_c))
    terrain[0], terrain[-1] = ground, hr
    if not np.all(np.isfinite(terrain)):
        return math.nan
    return terrain_excess_loss_db(f * length_px * res, terrain, h_bs_m, h_ut_m, frequency_ghz, k)


def _bilinear_numpy(heights: np.ndarray, r: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Bilinear heights at fractional (r, c), NaN unless all four neighbours are known."""
    h, w = heights.shape
    out = np.full(r.shape, np.nan)
    ok = (r >= 0) & (r <= h - 1) & (c >= 0) & (c <= w - 1)
    r0 = np.clip(np.floor(r), 0, max(h - 2, 0)).astype(np.intp)
    c0 = np.clip(np.floor(c), 0, max(w - 2, 0)).astype(np.intp)
    r1, c1 = np.minimum(r0 + 1, h - 1), np.minimum(c0 + 1, w - 1)
    fr, fc = r - r0, c - c0
    top = heights[r0, c0] * (1 - fc) + heights[r0, c1] * fc
    bottom = heights[r1, c0] * (1 - fc) + heights[r1, c1] * fc
    out[ok] = (top * (1 - fr) + bottom * fr)[ok]
    return out


# --------------------------------------------------------------------------- the engine's model


@dataclass
class TerrainModel:
    """The terrain loss as the engine calls it (:class:`phusong.raster.tile.TerrainLoss`).

    Attributes
    ----------
    terrain : TerrainGrid
        Heights on the engine's grid.
    stats : dict
        ``calls``, ``pixels`` (site-pixel pairs filled), ``seconds`` (wall
        clock, summed over threads) and ``cpu_seconds`` (CPU time of the
        calling threads) spent in the sweep.
    """

    terrain: TerrainGrid
    stats: dict[str, float] = field(
        default_factory=lambda: {"calls": 0, "pixels": 0, "seconds": 0.0, "cpu_seconds": 0.0}
    )
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def __call__(
        self,
        x_m: float,
        y_m: float,
        h_bs_m: float,
        h_ut_m: float,
        frequency_ghz: float,
        window: Window,
        radius_m: float | None = None,
    ) -> np.ndarray:
        """Loss window of one antenna [dB] (:func:`terrain_loss_window`)."""
        t0, c0 = time.perf_counter(), time.thread_time()
        out = terrain_loss_window(
            self.terrain, x_m, y_m, h_bs_m, h_ut_m, frequency_ghz, window, radius_m=radius_m
        )
        with self._lock:
            self.stats["calls"] += 1
            self.stats["pixels"] += out.size
            self.stats["seconds"] += time.perf_counter() - t0
            self.stats["cpu_seconds"] += time.thread_time() - c0
        return out

    def kept(
        self,
        x_m: float,
        y_m: float,
        h_bs_m: float,
        h_ut_m: float,
        frequency_ghz: float,
        window: Window,
        radius_m: float | None = None,
    ) -> np.ndarray:
        """Loss window of one antenna [dB], kept on the terrain for the next audit (read-only).

        The engine's call (:func:`phusong.raster.kernel.terrain_windows`): a
        plan re-audits the same sites on the same grid, and their windows
        come back from :attr:`TerrainGrid.windows` instead of being swept
        again. Same values as :meth:`__call__`.
        """
        r0, r1, c0, c1 = _window_box(window)
        key = (float(x_m), float(y_m), float(h_bs_m), float(h_ut_m), float(frequency_ghz),
               r0, r1, c0, c1, None if radius_m is None else float(radius_m))  # fmt: skip
        got = self.terrain.windows.get(key)
        if got is not None:
            return got
        out = self(x_m, y_m, h_bs_m, h_ut_m, frequency_ghz, window, radius_m)
        return self.terrain.windows.put(key, out)

    def __getstate__(self) -> dict[str, Any]:
        """Pickle without the lock (e.g. to send the model to Dask workers)."""
        state = dict(self.__dict__)
        state.pop("_lock", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Restore a pickled model with a new lock."""
        self.__dict__.update(state)
        self._lock = threading.Lock()

    @property
    def shipped(self) -> bool:
        """Whether the terrain is the shipped SRTM tile."""
        return self.terrain.label == ", ".join(SHIPPED_DEM_FILES)

    @property
    def credit(self) -> str:
        """Credit line of the DEM in English (the shipped SRTM tile's, or the file names)."""
        return self.credits["en"]

    @property
    def credits(self) -> dict[str, str]:
        """Credit line of the DEM by language (``"en"``, ``"vi"``)."""
        if self.shipped:
            return dict(DEM_CREDITS)
        label = self.terrain.label
        return {"en": f"Elevation: {label}", "vi": f"Dữ liệu độ cao: {label}"}

    @property
    def records(self) -> tuple[dict[str, Any], ...]:
        """Name and SHA-256 of each DEM file (for ``summary.json``'s inputs)."""
        return self.terrain.records


#: Terrain grids read lately, by DEM files and grid (an app re-audits often).
_CACHE: dict[tuple[Any, ...], TerrainGrid] = {}
_CACHE_LOCK = threading.Lock()
#: How many terrain grids are kept (each is two float32 copies of the grid).
TERRAIN_CACHE_SIZE = 2
#: Default margin of terrain read around the grid [m] (antennas just outside it).
TERRAIN_MARGIN_M = 2000.0


def forget_terrain() -> None:
    """Forget the terrain grids read lately, and the loss windows kept on them."""
    with _CACHE_LOCK:
        _CACHE.clear()


def terrain_model(
    dem: DemSource, grid: GridSpec, *, margin_m: float = TERRAIN_MARGIN_M
) -> TerrainModel:
    """Read a DEM onto ``grid`` and wrap it for the engine.

    Parameters
    ----------
    dem : path, sequence of paths or None
        DEM file(s) (:func:`phusong.io.dem.read_dem`); ``None``: the shipped
        SRTM tile.
    grid : GridSpec
        The engine's grid.
    margin_m : float
        Terrain read around the grid [m], for antennas outside it whose
        reach enters it (farther out, their ground is unknown: their pixels
        are computed without terrain and reported).

    Returns
    -------
    TerrainModel
        A fresh model (its own ``stats``) over a terrain grid that is reused
        while the DEM files and the grid are unchanged.
    """
    margin_px = math.ceil(max(float(margin_m), 0.0) / grid.resolution_m)
    key = (
        source_key(dem),
        grid.crs.to_wkt(),
        tuple(grid.transform),
        grid.width,
        grid.height,
        margin_px,
    )
    with _CACHE_LOCK:
        cached = _CACHE.get(key)
    if cached is None:
        cached = TerrainGrid.from_dem(read_dem(dem, grid, margin_px=margin_px), grid)
        with _CACHE_LOCK:
            _CACHE[key] = cached
            while len(_CACHE) > TERRAIN_CACHE_SIZE:
                _CACHE.pop(next(iter(_CACHE)))
    return TerrainModel(cached)
