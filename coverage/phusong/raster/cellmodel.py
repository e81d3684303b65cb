"""The radio model of one cell, as the raster engine evaluates it (reference, float64).

Every cell of a run carries its own path-loss model (a code into
:data:`phusong.propagation.PATH_LOSS_MODELS`), a calibration adjustment and
extra losses. This module holds, in plain numpy float64 built on
:mod:`phusong.propagation`:

* :func:`cell_path_loss_db` — path loss of cells at 2D distances, each with
  its own model, plus the calibration term
  ``pl_offset_db + pl_slope_db_per_decade · log10(d3D / 1000 m)``;
* :func:`cell_reach_m` — the 2D distance at which a cell's boresight RSRP
  falls to a level (bisection; every model is non-decreasing in distance);
* :func:`model_coefficients` — per-cell constants that let the compiled
  kernel (:mod:`phusong.raster.compiled`) evaluate every model with one
  ``log10`` of the 3D distance per pixel.

The reference kernel and the point prediction use :func:`cell_path_loss_db`;
the compiled kernel uses :func:`model_coefficients`, and the tests hold the two
equal within 0.01 dB for every model.

Notes
-----
The calibration term uses d3D = sqrt(max(d2D, 10 m)² + (hBS − hUT)²), the 3D
distance of TR 38.901 with its 10 m minimum (for every model, FSPL and Hata
included), so that it is finite at the mast.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, cast

import numpy as np

from phusong import propagation as prop

#: Model code of each path-loss model: its position in ``PATH_LOSS_MODELS``.
MODEL_CODES: dict[str, int] = {name: i for i, name in enumerate(prop.PATH_LOSS_MODELS)}
#: Model code of the footprint models (no path loss).
FOOTPRINT_CODE = -1
#: Number of per-cell model coefficients (columns of :func:`model_coefficients`).
N_COEFFICIENTS = 10
#: The steepest negative calibration slope accepted [dB/decade]: every model
#: rises by at least 20 dB per decade of distance, so the calibrated loss stays
#: non-decreasing (the reach and the antenna-lobe cut rely on it).
MIN_PL_SLOPE_DB_PER_DECADE = -19.0

_C = prop.C_38901_M_S


def model_code(name: str) -> int:
    """Code of a path-loss model name or alias (``"uma"`` → code of ``uma_nlos``)."""
    return MODEL_CODES[prop.resolve_model(name)]


def calibration_db(
    distance_m: np.ndarray,
    h_bs_m: np.ndarray,
    h_ut_m: float,
    offset_db: np.ndarray,
    slope_db_per_decade: np.ndarray,
) -> np.ndarray:
    """Calibration adjustment ``offset + slope · log10(d3D / 1000 m)`` [dB].

    Parameters
    ----------
    distance_m : ndarray
        2D distance [m] (clamped to 10 m for d3D).
    h_bs_m : ndarray
        Antenna height [m].
    h_ut_m : float
        UE height [m].
    offset_db, slope_db_per_decade : ndarray
        The calibration's offset [dB] and slope [dB/decade].
    """
    d3 = np.hypot(np.maximum(distance_m, prop.MIN_DISTANCE_M), h_bs_m - h_ut_m)
    return offset_db + slope_db_per_decade * (np.log10(d3) - 3.0)


def cell_path_loss_db(
    distance_m: np.ndarray,
    code: np.ndarray | int,
    frequency_ghz: np.ndarray | float,
    h_bs_m: np.ndarray | float,
    h_ut_m: float,
    offset_db: np.ndarray | float = 0.0,
    slope_db_per_decade: np.ndarray | float = 0.0,
) -> np.ndarray:
    """Path loss of cells with per-cell models, calibrated [dB], float64.

    Parameters
    ----------
    distance_m : ndarray
        2D distances [m]; every other array broadcasts against it.
    code : ndarray
        Model code per cell (:data:`MODEL_CODES`).
    frequency_ghz, h_bs_m : ndarray
        Carrier frequency [GHz] and antenna height [m].
    h_ut_m : float
        UE height [m].
    offset_db, slope_db_per_decade : ndarray or float
        Calibration (:func:`calibration_db`).

    Returns
    -------
    ndarray
        ``PL_model(d) + offset + slope · log10(d3D / 1 km)`` [dB], from
        :func:`phusong.propagation.path_loss_db` for each model.
    """
    arrays = np.broadcast_arrays(
        np.asarray(distance_m, dtype="float64"), np.asarray(code), frequency_ghz, h_bs_m,
        offset_db, slope_db_per_decade,
    )  # fmt: skip
    d, c, f, hb, off, slope = (np.asarray(a) for a in arrays)
    out = np.full(d.shape, np.nan)
    for value in np.unique(c):
        sel = c == value
        name = prop.PATH_LOSS_MODELS[int(value)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", prop.ExtrapolationWarning)
            fn = prop.model_function(cast("prop.ModelName", name), f[sel])
            out[sel] = np.asarray(fn(d[sel], f[sel], hb[sel], h_ut_m), dtype="float64")
    return out + calibration_db(d, hb, h_ut_m, off.astype("float64"), slope.astype("float64"))


def cell_reach_m(
    allowed_db: np.ndarray,
    code: np.ndarray,
    frequency_ghz: np.ndarray,
    h_bs_m: np.ndarray,
    h_ut_m: float,
    offset_db: np.ndarray,
    slope_db_per_decade: np.ndarray,
    cap_m: float = prop.MAX_RANGE_CAP_M,
) -> np.ndarray:
    """Largest 2D distance at which the calibrated path loss is at most ``allowed_db`` [m].

    Parameters
    ----------
    allowed_db : ndarray
        Allowed path loss per cell [dB] (``base − level``).
    code, frequency_ghz, h_bs_m, offset_db, slope_db_per_decade : ndarray
        As for :func:`cell_path_loss_db`, one per cell.
    h_ut_m : float
        UE height [m].
    cap_m : float
        Largest range returned [m].

    Returns
    -------
    ndarray
        Range [m]; 0 where even the mast misses the level, NaN for NaN input.

    Notes
    -----
    Bisection (:func:`phusong.propagation.linkbudget.range_within`); exact
    because the calibrated loss is non-decreasing in distance (slope ≥
    :data:`MIN_PL_SLOPE_DB_PER_DECADE`). Cells sharing every term (one site
    design across a network) are bisected once.
    """
    allowed = np.asarray(allowed_db, dtype="float64")
    # Cells of one design share every term: bisect each distinct row once.
    rows = np.column_stack(np.broadcast_arrays(
        allowed, np.asarray(code, dtype="float64"), np.asarray(frequency_ghz, dtype="float64"),
        np.asarray(h_bs_m, dtype="float64"), np.asarray(offset_db, dtype="float64"),
        np.asarray(slope_db_per_decade, dtype="float64"),
    )) if allowed.ndim == 1 else None  # fmt: skip
    if rows is not None and len(rows) > 1:
        uniq, inverse = np.unique(rows, axis=0, return_inverse=True)
        if len(uniq) < len(rows):
            reach = _reach_of_rows(uniq, code, h_ut_m, cap_m)
            return reach[inverse.ravel()]

    def pl(d: np.ndarray) -> np.ndarray:
        return cell_path_loss_db(
            d, code, frequency_ghz, h_bs_m, h_ut_m, offset_db, slope_db_per_decade
        )

    return prop.range_within(pl, allowed, cap_m)


def _reach_of_rows(rows: np.ndarray, code: Any, h_ut_m: float, cap_m: float) -> np.ndarray:
    """:func:`cell_reach_m` of distinct rows ``(allowed, code, f, h_bs, offset, slope)``."""
    codes = rows[:, 1].astype(np.asarray(code).dtype)
    return cell_reach_m(
        rows[:, 0], codes, rows[:, 2], rows[:, 3], h_ut_m, rows[:, 4], rows[:, 5], cap_m
    )


# --------------------------------------------------------------------------- coefficients


def _two_slope(
    f: np.ndarray, hb: np.ndarray, hu: float, a: float, b1: float, b2: float, c_bp: float
) -> tuple[np.ndarray, ...]:
    """UMa/UMi LOS as ``d2 ≤ dbp ? c0 + c1 L : c2 + c3 L`` (L = log10 d3D)."""
    dh = hb - hu
    dbp = np.asarray(prop.breakpoint_distance_m(f, hb, hu), dtype="float64")
    lf = 20.0 * np.log10(f)
    c2 = a + lf - c_bp * np.log10(np.maximum(dbp**2 + dh**2, 1.0))
    return a + lf, np.full(f.shape, b1), c2, np.full(f.shape, b2), dbp


def _rma_los(f: np.ndarray, hb: np.ndarray, hu: float) -> tuple[Any, ...]:
    """RMa LOS (h = 5 m) as ``d2 ≤ dbp ? c0 + c1 L + c7 d3 : c2 + 40 L``."""
    h = 5.0
    h172 = h**1.72
    dh = hb - hu
    dbp = np.asarray(prop.rma_breakpoint_distance_m(f, hb, hu), dtype="float64")
    k = min(0.03 * h172, 10.0)
    c0 = 20.0 * np.log10(40.0 * np.pi * f / 3.0) - min(0.044 * h172, 14.77)
    c7 = 0.002 * math.log10(h)
    d3bp = np.hypot(dbp, dh)
    pl_bp = c0 + (20.0 + k) * np.log10(d3bp) + c7 * d3bp
    return (
        c0,
        np.full(f.shape, 20.0 + k),
        pl_bp - 40.0 * np.log10(d3bp),
        np.full(f.shape, 40.0),
        dbp,
        c7,
    )


def model_coefficients(
    code: np.ndarray, frequency_ghz: np.ndarray, h_bs_m: np.ndarray, h_ut_m: float
) -> np.ndarray:
    """Per-cell constants of the compiled path-loss evaluation, ``(n, N_COEFFICIENTS)`` float64.

    Columns: ``c0, c1`` (LOS before the breakpoint: ``c0 + c1 L + c7 d3D``),
    ``c2, c3`` (LOS after it: ``c2 + c3 L``), ``c4`` (breakpoint d'BP [m]),
    ``c5, c6`` (NLOS: ``c5 + c6 L``, NaN for LOS-only models), ``c7``,
    ``c8`` (LOS-probability parameter: UMa's C'(hUT)), ``c9`` unused.
    FSPL: ``c0 + 20 log10 max(d3D', 1 m)`` with the unclamped 3D distance;
    COST-231 Hata: ``c0 + c1 log10 max(d2D, 10 m)``. L = log10 d3D with
    d3D = sqrt(max(d2D, 10 m)² + Δh²). Derived term by term from the
    formulas of :mod:`phusong.propagation.pathloss` (see there).
    """
    n = code.size
    out = np.full((n, N_COEFFICIENTS), np.nan)
    out[:, 7] = 0.0
    out[:, 8] = 0.0
    f = np.asarray(frequency_ghz, dtype="float64")
    hb = np.asarray(h_bs_m, dtype="float64")
    hu = float(h_ut_m)
    names = prop.PATH_LOSS_MODELS
    for value in np.unique(code):
        sel = code == value
        name = names[int(value)]
        fs, hs = f[sel], hb[sel]
        if name == "fspl":
            out[sel, 0] = 20.0 * np.log10(4.0 * np.pi * fs * 1e9 / prop.SPEED_OF_LIGHT_M_S)
            continue
        if name == "cost231_hata":
            lf = np.log10(fs * 1000.0)
            a_hm = 3.2 * np.log10(11.75 * hu) ** 2 - 4.97
            slope = 44.9 - 6.55 * np.log10(hs)
            out[sel, 0] = 46.3 + 33.9 * lf - 13.82 * np.log10(hs) - a_hm + 3.0 - 3.0 * slope
            out[sel, 1] = slope
            continue
        family = name.split("_")[0]
        if family == "rma":
            cols = _rma_los(fs, hs, hu)
            out[sel, 0], out[sel, 1], out[sel, 2], out[sel, 3], out[sel, 4] = cols[:5]
            out[sel, 7] = cols[5]
            if not name.endswith("_los"):
                w, h = 20.0, 5.0
                slope = 43.42 - 3.1 * np.log10(hs)
                const = (
                    161.04 - 7.1 * math.log10(w) + 7.5 * math.log10(h)
                    - (24.37 - 3.7 * (h / hs) ** 2) * np.log10(hs)
                    + 20.0 * np.log10(fs) - (3.2 * math.log10(11.75 * hu) ** 2 - 4.97)
                )  # fmt: skip
                out[sel, 5], out[sel, 6] = const - 3.0 * slope, slope
            continue
        if family == "uma":
            cols = _two_slope(fs, hs, hu, 28.0, 22.0, 40.0, 9.0)
            nlos = (13.54 + 20.0 * np.log10(fs) - 0.6 * (hu - 1.5), 39.08)
        else:
            cols = _two_slope(fs, hs, hu, 32.4, 21.0, 40.0, 9.5)
            nlos = (22.4 + 21.3 * np.log10(fs) - 0.3 * (hu - 1.5), 35.3)
        out[sel, 0], out[sel, 1], out[sel, 2], out[sel, 3], out[sel, 4] = cols
        if not name.endswith("_los"):
            out[sel, 5], out[sel, 6] = nlos
        hut = min(hu, 23.0)
        out[sel, 8] = 0.0 if hut <= 13.0 else (max(hut - 13.0, 0.0) / 10.0) ** 1.5
    return out


__all__ = [
    "FOOTPRINT_CODE",
    "MIN_PL_SLOPE_DB_PER_DECADE",
    "MODEL_CODES",
    "N_COEFFICIENTS",
    "calibration_db",
    "cell_path_loss_db",
    "cell_reach_m",
    "model_code",
    "model_coefficients",
]
