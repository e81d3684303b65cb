"""Pure, vectorised path-loss, antenna and link-budget functions.

One small function per physical model (the pvlib layout): every function takes
numpy arrays (or scalars) that broadcast against each other and returns an
array of the broadcast shape (a numpy scalar for scalar input). Nothing here
reads files, logs or keeps state.

Conventions
-----------
* ``distance_m`` is always the **2D ground distance** [m] between the base
  station (BS) and the user terminal (UT). Models that need the 3D distance
  compute it inside from ``h_bs_m`` and ``h_ut_m``.
* ``frequency_ghz`` is the carrier centre frequency [GHz].
* Path losses are positive numbers [dB]; antenna *attenuations* are ≤ 0 [dB].

Distance limits
---------------
* **Below the model minimum** (10 m for TR 38.901, :data:`MIN_DISTANCE_M`) the
  2D distance is clamped to the minimum, so the loss is flat from the mast to
  10 m. This keeps the grid cell that holds the mast finite.
* **Beyond the validity maximum** (5 km UMa/UMi and RMa NLOS, 10 km RMa LOS,
  20 km COST-231) the formulas are simply extended: the grid engine needs
  numbers, not NaN, and every formula keeps increasing with distance. Such
  values are extrapolations.

Every model is non-decreasing in distance (argued per model under Notes and
tested with hypothesis); :func:`max_range_m` relies on it.

References
----------
.. [1] 3GPP TR 38.901 V16.1.0 (2019-12), "Study on channel model for frequencies
   from 0.5 to 100 GHz", Table 7.3-1 (antenna element pattern), Table 7.4.1-1
   (path loss), Table 7.4.2-1 (LOS probability).
.. [2] COST Action 231, "Digital mobile radio towards future generation
   systems", Final Report, EUR 18957, 1999, ch. 4 (COST-231 Hata).
.. [3] H. T. Friis, "A note on a simple transmission formula", Proc. IRE 34(5),
   pp. 254-256, 1946.
.. [4] 3GPP TS 38.101-1, "NR; UE radio transmission and reception; Part 1:
   Range 1 Standalone", Table 5.3.2-1 (maximum transmission bandwidth N_RB).
.. [5] 3GPP TS 38.215, "NR; Physical layer measurements", §5.1.1 (SS-RSRP is
   the average power of one resource element).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import norm

from phusong.errors import ConfigError

__all__ = [
    "COST231_VALID_MHZ",
    "MAX_RANGE_CAP_M",
    "MIN_DISTANCE_M",
    "MODEL_ALIASES",
    "N_RB_TABLE",
    "O2I_PLANNING_LOSS_DB",
    "PATH_LOSS_MODELS",
    "PLANNING_RELIABILITY",
    "SHADOW_FADING_SIGMA_DB",
    "ExtrapolationWarning",
    "LinkBudget",
    "antenna_gain_db",
    "breakpoint_distance_m",
    "cost231_hata_db",
    "dbm_to_mw",
    "distance_3d_m",
    "fspl_db",
    "los_probability_rma",
    "los_probability_uma",
    "los_probability_umi",
    "max_range_m",
    "mw_to_dbm",
    "n_rb_for",
    "noise_per_re_dbm",
    "path_loss_db",
    "resolve_model",
    "rma_breakpoint_distance_m",
    "rma_los_db",
    "rma_mixed_db",
    "rma_nlos_db",
    "rsrp_dbm",
    "sector_attenuation_db",
    "shadow_fading_sigma_db",
    "shadow_margin_db",
    "sinr_db",
    "uma_los_db",
    "uma_mixed_db",
    "uma_nlos_db",
    "umi_los_db",
    "umi_mixed_db",
    "umi_nlos_db",
]

Array = NDArray[np.float64]

#: Speed of light in vacuum [m/s] (exact, SI), used for free-space loss.
SPEED_OF_LIGHT_M_S = 299_792_458.0
#: Speed of light as TR 38.901 Table 7.4.1-1 note 1 fixes it, 3.0e8 [m/s]
#: (used for the breakpoint distances, so that values match the standard).
C_38901_M_S = 3.0e8
#: Effective environment height hE of TR 38.901 [m]; random for UMa with
#: hUT > 13 m in the standard, 1 m is the usual deterministic choice.
H_E_M = 1.0
#: Minimum 2D distance of the TR 38.901 models [m]; shorter distances are clamped.
MIN_DISTANCE_M = 10.0
#: Largest range :func:`max_range_m` returns [m].
MAX_RANGE_CAP_M = 30_000.0
#: Frequency range [MHz] in which COST-231 Hata is valid (COST 231 final report, ch. 4).
COST231_VALID_MHZ: tuple[float, float] = (1500.0, 2000.0)
#: Common sub-6 GHz outdoor-to-indoor planning loss [dB] (cf. TR 38.901 §7.4.3).
O2I_PLANNING_LOSS_DB = 20.0
#: Cell-edge reliability a planner designs for (90 % of edge locations served;
#: with σ ≈ 6–8 dB this gives roughly 95–97 % area reliability).
PLANNING_RELIABILITY = 0.9

ModelName = Literal[
    "fspl",
    "uma_los",
    "uma_nlos",
    "umi_los",
    "umi_nlos",
    "rma_los",
    "rma_nlos",
    "uma_mixed",
    "umi_mixed",
    "rma_mixed",
    "cost231_hata",
]
ModelAlias = Literal["uma", "umi", "rma", "hata"]

#: Valid names for :func:`path_loss_db`.
PATH_LOSS_MODELS: tuple[str, ...] = get_args(ModelName)

#: Short names (CLI) -> full model names.
MODEL_ALIASES: dict[str, str] = {
    "uma": "uma_nlos",
    "umi": "umi_nlos",
    "rma": "rma_nlos",
    "hata": "cost231_hata",
    "fspl": "fspl",
}

#: Shadow-fading standard deviation per model [dB]. TR 38.901 Table 7.4.1-1
#: for the 3GPP models (RMa LOS: the 6 dB after the breakpoint, see
#: :func:`shadow_fading_sigma_db`); mixed models take their NLOS value; 8 dB is
#: the usual planning value for COST-231 Hata; free space has none.
SHADOW_FADING_SIGMA_DB: dict[str, float] = {
    "fspl": 0.0,
    "uma_los": 4.0,
    "uma_nlos": 6.0,
    "umi_los": 4.0,
    "umi_nlos": 7.82,
    "rma_los": 6.0,
    "rma_nlos": 8.0,
    "uma_mixed": 6.0,
    "umi_mixed": 7.82,
    "rma_mixed": 8.0,
    "cost231_hata": 8.0,
}

#: TS 38.101-1 Table 5.3.2-1 (FR1): {SCS [kHz]: {channel bandwidth [MHz]: N_RB}}.
N_RB_TABLE: dict[int, dict[int, int]] = {
    15: {5: 25, 10: 52, 15: 79, 20: 106, 25: 133, 30: 160, 35: 188, 40: 216, 45: 242, 50: 270},
    30: {
        5: 11,
        10: 24,
        15: 38,
        20: 51,
        25: 65,
        30: 78,
        35: 92,
        40: 106,
        45: 119,
        50: 133,
        60: 162,
        70: 189,
        80: 217,
        90: 245,
        100: 273,
    },
}


class ExtrapolationWarning(UserWarning):
    """A model was evaluated outside the range its authors fitted it on."""


# --------------------------------------------------------------------------- helpers


def _f(x: ArrayLike) -> Array:
    return np.asarray(x, dtype=np.float64)


def _out(x: Array) -> Array:
    # a numpy scalar for 0-d results, the array itself otherwise
    return x[()]


def distance_3d_m(
    distance_m: ArrayLike,
    h_bs_m: ArrayLike = 25.0,
    h_ut_m: ArrayLike = 1.5,
    min_distance_m: float = 0.0,
) -> Array:
    """3D BS–UT distance from the 2D ground distance.

    Parameters
    ----------
    distance_m : array_like
        2D ground distance [m].
    h_bs_m, h_ut_m : array_like
        Antenna heights of the base station and the user terminal above ground [m].
    min_distance_m : float, default 0
        The 2D distance is clamped to at least this value first [m].

    Returns
    -------
    ndarray
        3D distance [m].

    Notes
    -----
    d3D = sqrt(max(d2D, dmin)² + (hBS − hUT)²).
    """
    d2 = np.maximum(_f(distance_m), min_distance_m)
    return _out(np.hypot(d2, _f(h_bs_m) - _f(h_ut_m)))


def breakpoint_distance_m(
    frequency_ghz: ArrayLike,
    h_bs_m: ArrayLike = 25.0,
    h_ut_m: ArrayLike = 1.5,
    h_e_m: float = H_E_M,
) -> Array:
    """UMa/UMi breakpoint distance d'BP [m].

    Parameters
    ----------
    frequency_ghz : array_like
        Carrier frequency [GHz].
    h_bs_m, h_ut_m : array_like
        BS and UT antenna heights [m].
    h_e_m : float, default 1
        Effective environment height hE [m].

    Returns
    -------
    ndarray
        d'BP [m], never negative (antennas at or below hE give 0).

    Notes
    -----
    d'BP = 4 (hBS − hE)(hUT − hE) fc / c, fc in Hz, c = 3.0e8 m/s.

    References
    ----------
    3GPP TR 38.901 V16.1.0, Table 7.4.1-1, note 1.
    """
    h_bs = np.maximum(_f(h_bs_m) - h_e_m, 0.0)
    h_ut = np.maximum(_f(h_ut_m) - h_e_m, 0.0)
    return _out(4.0 * h_bs * h_ut * _f(frequency_ghz) * 1e9 / C_38901_M_S)


def rma_breakpoint_distance_m(
    frequency_ghz: ArrayLike, h_bs_m: ArrayLike = 35.0, h_ut_m: ArrayLike = 1.5
) -> Array:
    """RMa breakpoint distance dBP [m].

    Parameters
    ----------
    frequency_ghz : array_like
        Carrier frequency [GHz].
    h_bs_m, h_ut_m : array_like
        BS and UT antenna heights [m].

    Returns
    -------
    ndarray
        dBP [m].

    Notes
    -----
    dBP = 2π hBS hUT fc / c, fc in Hz, c = 3.0e8 m/s.

    References
    ----------
    3GPP TR 38.901 V16.1.0, Table 7.4.1-1, note 5.
    """
    return _out(2.0 * np.pi * _f(h_bs_m) * _f(h_ut_m) * _f(frequency_ghz) * 1e9 / C_38901_M_S)


# --------------------------------------------------------------------------- free space


def fspl_db(
    distance_m: ArrayLike,
    frequency_ghz: ArrayLike,
    h_bs_m: ArrayLike = 25.0,
    h_ut_m: ArrayLike = 1.5,
) -> Array:
    """Free-space path loss (Friis).

    Parameters
    ----------
    distance_m : array_like
        2D ground distance [m].
    frequency_ghz : array_like
        Carrier frequency [GHz].
    h_bs_m, h_ut_m : array_like
        BS and UT antenna heights [m]; pass equal heights to use the 2D distance.

    Returns
    -------
    ndarray
        Path loss [dB].

    Notes
    -----
    FSPL = 20 log10(4π d3D f / c), c = 299 792 458 m/s; in practical units
    FSPL = 32.45 + 20 log10(f [MHz]) + 20 log10(d [km]). The 3D distance is
    floored at 1 m (the far field of any cellular antenna starts further out),
    so the loss stays finite when the heights are equal and d = 0.

    References
    ----------
    H. T. Friis, "A note on a simple transmission formula", Proc. IRE 34(5), 1946.
    """
    d3 = np.maximum(distance_3d_m(distance_m, h_bs_m, h_ut_m), 1.0)
    return _out(20.0 * np.log10(4.0 * np.pi * d3 * _f(frequency_ghz) * 1e9 / SPEED_OF_LIGHT_M_S))


# --------------------------------------------------------------------------- 38.901 UMa / UMi


def _two_slope_los(
    distance_m: ArrayLike,
    frequency_ghz: ArrayLike,
    h_bs_m: ArrayLike,
    h_ut_m: ArrayLike,
    a: float,
    b1: float,
    b2: float,
    c_bp: float,
) -> Array:
    """UMa/UMi LOS: ``a + b log10 d3D + 20 log10 fc`` with the breakpoint term."""
    d2 = np.maximum(_f(distance_m), MIN_DISTANCE_M)
    dh = _f(h_bs_m) - _f(h_ut_m)
    d3 = np.hypot(d2, dh)
    dbp = breakpoint_distance_m(frequency_ghz, h_bs_m, h_ut_m)
    lf = 20.0 * np.log10(_f(frequency_ghz))
    pl1 = a + b1 * np.log10(d3) + lf
    # (d'BP² + Δh²) is d3D² at the breakpoint; floored at 1 m² so that it
    # stays finite when both vanish (then the breakpoint lies in the clamped zone).
    pl2 = a + b2 * np.log10(d3) + lf - c_bp * np.log10(np.maximum(dbp**2 + dh**2, 1.0))
    return np.where(d2 <= dbp, pl1, pl2)


def uma_los_db(
    distance_m: ArrayLike,
    frequency_ghz: ArrayLike,
    h_bs_m: ArrayLike = 25.0,
    h_ut_m: ArrayLike = 1.5,
) -> Array:
    """3GPP TR 38.901 urban macro (UMa), line of sight.

    Parameters
    ----------
    distance_m : array_like
        2D ground distance [m]; clamped to 10 m below 10 m, extrapolated beyond 5 km.
    frequency_ghz : array_like
        Carrier frequency [GHz] (0.5–100 GHz).
    h_bs_m : array_like, default 25
        BS antenna height [m].
    h_ut_m : array_like, default 1.5
        UT antenna height [m] (1.5–22.5 m).

    Returns
    -------
    ndarray
        Path loss [dB], without shadow fading (σSF = 4 dB).

    Notes
    -----
    PL1 = 28 + 22 log10(d3D) + 20 log10(fc) for 10 m ≤ d2D ≤ d'BP;
    PL2 = 28 + 40 log10(d3D) + 20 log10(fc) − 9 log10(d'BP² + (hBS − hUT)²)
    beyond, with d'BP = 4 (hBS − hE)(hUT − hE) fc/c and hE = 1 m. At d2D = d'BP,
    d3D² = d'BP² + (hBS − hUT)², so PL2 = PL1 there: the curve is continuous
    and, both slopes being positive, non-decreasing.

    References
    ----------
    3GPP TR 38.901 V16.1.0, Table 7.4.1-1 (UMa).
    """
    return _out(_two_slope_los(distance_m, frequency_ghz, h_bs_m, h_ut_m, 28.0, 22.0, 40.0, 9.0))


def uma_nlos_db(
    distance_m: ArrayLike,
    frequency_ghz: ArrayLike,
    h_bs_m: ArrayLike = 25.0,
    h_ut_m: ArrayLike = 1.5,
) -> Array:
    """3GPP TR 38.901 urban macro (UMa), non line of sight.

    Parameters
    ----------
    distance_m : array_like
        2D ground distance [m]; clamped to 10 m below 10 m, extrapolated beyond 5 km.
    frequency_ghz : array_like
        Carrier frequency [GHz] (0.5–100 GHz).
    h_bs_m : array_like, default 25
        BS antenna height [m].
    h_ut_m : array_like, default 1.5
        UT antenna height [m] (1.5–22.5 m).

    Returns
    -------
    ndarray
        Path loss [dB], without shadow fading (σSF = 6 dB).

    Notes
    -----
    PL = max(PL_UMa-LOS, PL'), PL' = 13.54 + 39.08 log10(d3D) + 20 log10(fc)
    − 0.6 (hUT − 1.5). The maximum of two non-decreasing curves is non-decreasing,
    and NLOS ≥ LOS by construction.

    References
    ----------
    3GPP TR 38.901 V16.1.0, Table 7.4.1-1 (UMa).
    """
    los = _two_slope_los(distance_m, frequency_ghz, h_bs_m, h_ut_m, 28.0, 22.0, 40.0, 9.0)
    d3 = distance_3d_m(distance_m, h_bs_m, h_ut_m, MIN_DISTANCE_M)
    nlos = (
        13.54 + 39.08 * np.log10(d3) + 20.0 * np.log10(_f(frequency_ghz)) - 0.6 * (_f(h_ut_m) - 1.5)
    )
    return _out(np.maximum(los, nlos))


def umi_los_db(
    distance_m: ArrayLike,
    frequency_ghz: ArrayLike,
    h_bs_m: ArrayLike = 10.0,
    h_ut_m: ArrayLike = 1.5,
) -> Array:
    """3GPP TR 38.901 urban micro street canyon (UMi), line of sight.

    Parameters
    ----------
    distance_m : array_like
        2D ground distance [m]; clamped to 10 m below 10 m, extrapolated beyond 5 km.
    frequency_ghz : array_like
        Carrier frequency [GHz] (0.5–100 GHz).
    h_bs_m : array_like, default 10
        BS antenna height [m].
    h_ut_m : array_like, default 1.5
        UT antenna height [m] (1.5–22.5 m).

    Returns
    -------
    ndarray
        Path loss [dB], without shadow fading (σSF = 4 dB).

    Notes
    -----
    PL1 = 32.4 + 21 log10(d3D) + 20 log10(fc) for 10 m ≤ d2D ≤ d'BP;
    PL2 = 32.4 + 40 log10(d3D) + 20 log10(fc) − 9.5 log10(d'BP² + (hBS − hUT)²)
    beyond (continuous at d'BP, as for UMa; hE = 1 m).

    References
    ----------
    3GPP TR 38.901 V16.1.0, Table 7.4.1-1 (UMi – Street Canyon).
    """
    return _out(_two_slope_los(distance_m, frequency_ghz, h_bs_m, h_ut_m, 32.4, 21.0, 40.0, 9.5))


def umi_nlos_db(
    distance_m: ArrayLike,
    frequency_ghz: ArrayLike,
    h_bs_m: ArrayLike = 10.0,
    h_ut_m: ArrayLike = 1.5,
) -> Array:
    """3GPP TR 38.901 urban micro street canyon (UMi), non line of sight.

    Parameters
    ----------
    distance_m : array_like
        2D ground distance [m]; clamped to 10 m below 10 m, extrapolated beyond 5 km.
    frequency_ghz : array_like
        Carrier frequency [GHz] (0.5–100 GHz).
    h_bs_m : array_like, default 10
        BS antenna height [m].
    h_ut_m : array_like, default 1.5
        UT antenna height [m] (1.5–22.5 m).

    Returns
    -------
    ndarray
        Path loss [dB], without shadow fading (σSF = 7.82 dB).

    Notes
    -----
    PL = max(PL_UMi-LOS, PL'), PL' = 35.3 log10(d3D) + 22.4 + 21.3 log10(fc)
    − 0.3 (hUT − 1.5).

    References
    ----------
    3GPP TR 38.901 V16.1.0, Table 7.4.1-1 (UMi – Street Canyon).
    """
    los = _two_slope_los(distance_m, frequency_ghz, h_bs_m, h_ut_m, 32.4, 21.0, 40.0, 9.5)
    d3 = distance_3d_m(distance_m, h_bs_m, h_ut_m, MIN_DISTANCE_M)
    nlos = (
        22.4 + 35.3 * np.log10(d3) + 21.3 * np.log10(_f(frequency_ghz)) - 0.3 * (_f(h_ut_m) - 1.5)
    )
    return _out(np.maximum(los, nlos))


# --------------------------------------------------------------------------- 38.901 RMa


def _check_rma_geometry(building_height_m: ArrayLike, street_width_m: ArrayLike) -> None:
    h, w = _f(building_height_m), _f(street_width_m)
    bad = []
    if np.any((h < 5.0) | (h > 50.0)):
        bad.append("building_height_m must be within 5–50 m")
    if np.any((w < 5.0) | (w > 50.0)):
        bad.append("street_width_m must be within 5–50 m")
    if bad:
        raise ConfigError(
            "RMa model (TR 38.901 Table 7.4.1-1 applicability): " + "; ".join(bad) + "."
        )


def _rma_pl1(d3: Array, fc: Array, h: Array) -> Array:
    h172 = h**1.72
    return (
        20.0 * np.log10(40.0 * np.pi * d3 * fc / 3.0)
        + np.minimum(0.03 * h172, 10.0) * np.log10(d3)
        - np.minimum(0.044 * h172, 14.77)
        + 0.002 * np.log10(h) * d3
    )


def _rma_los(
    distance_m: ArrayLike,
    frequency_ghz: ArrayLike,
    h_bs_m: ArrayLike,
    h_ut_m: ArrayLike,
    building_height_m: ArrayLike,
) -> Array:
    d2 = np.maximum(_f(distance_m), MIN_DISTANCE_M)
    dh = _f(h_bs_m) - _f(h_ut_m)
    d3 = np.hypot(d2, dh)
    fc, h = _f(frequency_ghz), _f(building_height_m)
    dbp = rma_breakpoint_distance_m(fc, h_bs_m, h_ut_m)
    d3_bp = np.hypot(dbp, dh)  # the 3D distance at d2D = dBP
    pl1 = _rma_pl1(d3, fc, h)
    pl2 = _rma_pl1(d3_bp, fc, h) + 40.0 * np.log10(d3 / d3_bp)
    return np.where(d2 <= dbp, pl1, pl2)


def rma_los_db(
    distance_m: ArrayLike,
    frequency_ghz: ArrayLike,
    h_bs_m: ArrayLike = 35.0,
    h_ut_m: ArrayLike = 1.5,
    building_height_m: ArrayLike = 5.0,
) -> Array:
    """3GPP TR 38.901 rural macro (RMa), line of sight.

    Parameters
    ----------
    distance_m : array_like
        2D ground distance [m]; clamped to 10 m below 10 m, extrapolated beyond 10 km.
    frequency_ghz : array_like
        Carrier frequency [GHz] (0.5–30 GHz for RMa).
    h_bs_m : array_like, default 35
        BS antenna height [m] (10–150 m).
    h_ut_m : array_like, default 1.5
        UT antenna height [m] (1–10 m).
    building_height_m : array_like, default 5
        Average building height h [m] (5–50 m).

    Returns
    -------
    ndarray
        Path loss [dB], without shadow fading (σSF = 4 dB before, 6 dB after dBP).

    Raises
    ------
    ConfigError
        ``building_height_m`` outside 5–50 m.

    Notes
    -----
    PL1(d) = 20 log10(40π d fc / 3) + min(0.03 h^1.72, 10) log10(d)
    − min(0.044 h^1.72, 14.77) + 0.002 log10(h) d, for 10 m ≤ d2D ≤ dBP;
    PL2 = PL1(dBP) + 40 log10(d3D / dBP) beyond, dBP = 2π hBS hUT fc / c.

    "PL1(dBP)" is evaluated at the *3D* distance of the breakpoint,
    sqrt(dBP² + (hBS − hUT)²), and the ratio uses the same value. This makes the
    curve exactly continuous at dBP (hence non-decreasing, every term growing
    with d for h ≥ 1 m). ns-3 inserts the 2D dBP instead, which leaves a step of
    about 0.001 dB at the breakpoint for the default heights.

    References
    ----------
    3GPP TR 38.901 V16.1.0, Table 7.4.1-1 (RMa).
    """
    _check_rma_geometry(building_height_m, 20.0)
    return _out(_rma_los(distance_m, frequency_ghz, h_bs_m, h_ut_m, building_height_m))


def rma_nlos_db(
    distance_m: ArrayLike,
    frequency_ghz: ArrayLike,
    h_bs_m: ArrayLike = 35.0,
    h_ut_m: ArrayLike = 1.5,
    building_height_m: ArrayLike = 5.0,
    street_width_m: ArrayLike = 20.0,
) -> Array:
    """3GPP TR 38.901 rural macro (RMa), non line of sight.

    Parameters
    ----------
    distance_m : array_like
        2D ground distance [m]; clamped to 10 m below 10 m, extrapolated beyond 5 km.
    frequency_ghz : array_like
        Carrier frequency [GHz] (0.5–30 GHz for RMa).
    h_bs_m : array_like, default 35
        BS antenna height [m] (10–150 m).
    h_ut_m : array_like, default 1.5
        UT antenna height [m] (1–10 m).
    building_height_m : array_like, default 5
        Average building height h [m] (5–50 m).
    street_width_m : array_like, default 20
        Average street width W [m] (5–50 m).

    Returns
    -------
    ndarray
        Path loss [dB], without shadow fading (σSF = 8 dB).

    Raises
    ------
    ConfigError
        ``building_height_m`` or ``street_width_m`` outside 5–50 m.

    Notes
    -----
    PL = max(PL_RMa-LOS, PL'), with
    PL' = 161.04 − 7.1 log10(W) + 7.5 log10(h)
    − (24.37 − 3.7 (h/hBS)²) log10(hBS)
    + (43.42 − 3.1 log10(hBS)) (log10(d3D) − 3) + 20 log10(fc)
    − (3.2 (log10(11.75 hUT))² − 4.97).
    The slope 43.42 − 3.1 log10(hBS) is positive for any real mast.

    References
    ----------
    3GPP TR 38.901 V16.1.0, Table 7.4.1-1 (RMa).
    """
    _check_rma_geometry(building_height_m, street_width_m)
    los = _rma_los(distance_m, frequency_ghz, h_bs_m, h_ut_m, building_height_m)
    d3 = distance_3d_m(distance_m, h_bs_m, h_ut_m, MIN_DISTANCE_M)
    h, w, hbs, hut = (_f(v) for v in (building_height_m, street_width_m, h_bs_m, h_ut_m))
    nlos = (
        161.04
        - 7.1 * np.log10(w)
        + 7.5 * np.log10(h)
        - (24.37 - 3.7 * (h / hbs) ** 2) * np.log10(hbs)
        + (43.42 - 3.1 * np.log10(hbs)) * (np.log10(d3) - 3.0)
        + 20.0 * np.log10(_f(frequency_ghz))
        - (3.2 * np.log10(11.75 * hut) ** 2 - 4.97)
    )
    return _out(np.maximum(los, nlos))


# --------------------------------------------------------------------------- LOS probability


def los_probability_uma(distance_m: ArrayLike, h_ut_m: ArrayLike = 1.5) -> Array:
    """LOS probability, TR 38.901 UMa.

    Parameters
    ----------
    distance_m : array_like
        2D ground distance [m].
    h_ut_m : array_like, default 1.5
        UT height [m]; C'(hUT) is held at its 23 m value above 23 m.

    Returns
    -------
    ndarray
        Probability of line of sight in [0, 1].

    Notes
    -----
    P = 1 for d2D ≤ 18 m, otherwise
    P = [18/d2D + exp(−d2D/63)(1 − 18/d2D)] (1 + C'(hUT) 5/4 (d2D/100)³ exp(−d2D/150)),
    C'(hUT) = 0 for hUT ≤ 13 m and ((hUT − 13)/10)^1.5 for 13 m < hUT ≤ 23 m.
    For hUT > 13 m the second factor pushes P slightly above 1 just past 18 m
    (up to 1.0065 at 23 m), a jump up from P = 1; P is clipped to 1, which also
    keeps P non-increasing in distance.

    References
    ----------
    3GPP TR 38.901 V16.1.0, Table 7.4.2-1 (UMa).
    """
    d = _f(distance_m)
    ds = np.maximum(d, 18.0)
    base = 18.0 / ds + np.exp(-ds / 63.0) * (1.0 - 18.0 / ds)
    hut = np.minimum(_f(h_ut_m), 23.0)
    c = np.where(hut <= 13.0, 0.0, (np.maximum(hut - 13.0, 0.0) / 10.0) ** 1.5)
    p = base * (1.0 + c * 1.25 * (ds / 100.0) ** 3 * np.exp(-ds / 150.0))
    return _out(np.clip(np.where(d <= 18.0, 1.0, p), 0.0, 1.0))


def los_probability_umi(distance_m: ArrayLike) -> Array:
    """LOS probability, TR 38.901 UMi street canyon.

    Parameters
    ----------
    distance_m : array_like
        2D ground distance [m].

    Returns
    -------
    ndarray
        Probability of line of sight in [0, 1].

    Notes
    -----
    P = 1 for d2D ≤ 18 m, otherwise P = 18/d2D + exp(−d2D/36)(1 − 18/d2D).

    References
    ----------
    3GPP TR 38.901 V16.1.0, Table 7.4.2-1 (UMi – Street canyon).
    """
    d = _f(distance_m)
    ds = np.maximum(d, 18.0)
    p = 18.0 / ds + np.exp(-ds / 36.0) * (1.0 - 18.0 / ds)
    return _out(np.where(d <= 18.0, 1.0, p))


def los_probability_rma(distance_m: ArrayLike) -> Array:
    """LOS probability, TR 38.901 RMa.

    Parameters
    ----------
    distance_m : array_like
        2D ground distance [m].

    Returns
    -------
    ndarray
        Probability of line of sight in [0, 1].

    Notes
    -----
    P = 1 for d2D ≤ 10 m, otherwise P = exp(−(d2D − 10)/1000).

    References
    ----------
    3GPP TR 38.901 V16.1.0, Table 7.4.2-1 (RMa).
    """
    d = _f(distance_m)
    return _out(np.exp(-np.maximum(d - 10.0, 0.0) / 1000.0))


# --------------------------------------------------------------------------- mixed (expected) models

Weighting = Literal["db", "linear"]


def _mix(p: Array, los: Array, nlos: Array, weighting: str) -> Array:
    if weighting == "db":
        return p * los + (1.0 - p) * nlos
    if weighting == "linear":
        # −10 log10(p 10^(−L/10) + (1 − p) 10^(−N/10)), computed without underflow
        k = np.log(10.0) / 10.0
        with np.errstate(divide="ignore"):
            return -np.logaddexp(np.log(p) - k * los, np.log1p(-p) - k * nlos) / k
    raise ConfigError(f"weighting: unknown value {weighting!r}; choose 'db' or 'linear'.")


def uma_mixed_db(
    distance_m: ArrayLike,
    frequency_ghz: ArrayLike,
    h_bs_m: ArrayLike = 25.0,
    h_ut_m: ArrayLike = 1.5,
    weighting: Weighting = "db",
) -> Array:
    """UMa path loss weighted by the UMa LOS probability.

    Parameters
    ----------
    distance_m : array_like
        2D ground distance [m].
    frequency_ghz : array_like
        Carrier frequency [GHz].
    h_bs_m, h_ut_m : array_like
        BS and UT antenna heights [m].
    weighting : {"db", "linear"}, default "db"
        Average the losses in dB, or the received powers (see Notes).

    Returns
    -------
    ndarray
        Expected path loss [dB].

    Notes
    -----
    The LOS and NLOS losses are weighted by the LOS probability P(d2D) **in dB**
    by default: PL = P·PL_LOS + (1 − P)·PL_NLOS, the expected path loss in dB.
    Reasons: shadow fading is log-normal, so the reliability margin and the
    threshold act on dB quantities, and the dB average is the central value
    they are meant to be applied to. The alternative, averaging received
    *power* (``weighting="linear"``: PL = −10 log10(P 10^(−PL_LOS/10)
    + (1 − P) 10^(−PL_NLOS/10))), is dominated by the LOS term even when P is a
    few per cent: at P = 0.05 and a 20 dB LOS/NLOS gap it lies 7.7 dB below
    NLOS, against 1 dB for the dB average, which would overstate coverage in
    an audit.
    Both are non-decreasing in distance: P is non-increasing, PL_NLOS ≥ PL_LOS
    and both losses are non-decreasing.
    See :func:`uma_los_db`, :func:`uma_nlos_db`, :func:`los_probability_uma`.
    """
    p = los_probability_uma(np.maximum(_f(distance_m), MIN_DISTANCE_M), h_ut_m)
    los = uma_los_db(distance_m, frequency_ghz, h_bs_m, h_ut_m)
    nlos = uma_nlos_db(distance_m, frequency_ghz, h_bs_m, h_ut_m)
    return _out(np.asarray(_mix(_f(p), _f(los), _f(nlos), weighting)))


def umi_mixed_db(
    distance_m: ArrayLike,
    frequency_ghz: ArrayLike,
    h_bs_m: ArrayLike = 10.0,
    h_ut_m: ArrayLike = 1.5,
    weighting: Weighting = "db",
) -> Array:
    """UMi street-canyon path loss weighted by the UMi LOS probability.

    Parameters
    ----------
    distance_m : array_like
        2D ground distance [m].
    frequency_ghz : array_like
        Carrier frequency [GHz].
    h_bs_m, h_ut_m : array_like
        BS and UT antenna heights [m].
    weighting : {"db", "linear"}, default "db"
        Average the losses in dB, or the received powers (see Notes).

    Returns
    -------
    ndarray
        Expected path loss [dB].

    Notes
    -----
    PL = P·PL_LOS + (1 − P)·PL_NLOS in dB by default; see :func:`uma_mixed_db`
    for why. See :func:`umi_los_db`, :func:`umi_nlos_db`, :func:`los_probability_umi`.
    """
    p = los_probability_umi(np.maximum(_f(distance_m), MIN_DISTANCE_M))
    los = umi_los_db(distance_m, frequency_ghz, h_bs_m, h_ut_m)
    nlos = umi_nlos_db(distance_m, frequency_ghz, h_bs_m, h_ut_m)
    return _out(np.asarray(_mix(_f(p), _f(los), _f(nlos), weighting)))


def rma_mixed_db(
    distance_m: ArrayLike,
    frequency_ghz: ArrayLike,
    h_bs_m: ArrayLike = 35.0,
    h_ut_m: ArrayLike = 1.5,
    weighting: Weighting = "db",
) -> Array:
    """RMa path loss weighted by the RMa LOS probability (h = 5 m, W = 20 m).

    Parameters
    ----------
    distance_m : array_like
        2D ground distance [m].
    frequency_ghz : array_like
        Carrier frequency [GHz].
    h_bs_m, h_ut_m : array_like
        BS and UT antenna heights [m].
    weighting : {"db", "linear"}, default "db"
        Average the losses in dB, or the received powers (see Notes).

    Returns
    -------
    ndarray
        Expected path loss [dB].

    Notes
    -----
    PL = P·PL_LOS + (1 − P)·PL_NLOS in dB by default; see :func:`uma_mixed_db`
    for why. See :func:`rma_los_db`, :func:`rma_nlos_db`, :func:`los_probability_rma`.
    """
    p = los_probability_rma(np.maximum(_f(distance_m), MIN_DISTANCE_M))
    los = rma_los_db(distance_m, frequency_ghz, h_bs_m, h_ut_m)
    nlos = rma_nlos_db(distance_m, frequency_ghz, h_bs_m, h_ut_m)
    return _out(np.asarray(_mix(_f(p), _f(los), _f(nlos), weighting)))


# --------------------------------------------------------------------------- COST-231 Hata

HataArea = Literal["metropolitan", "medium_city"]


def _cost231(
    distance_m: ArrayLike,
    frequency_ghz: ArrayLike,
    h_bs_m: ArrayLike,
    h_ut_m: ArrayLike,
    area: str,
) -> Array:
    f_mhz = _f(frequency_ghz) * 1000.0
    hb, hm = _f(h_bs_m), _f(h_ut_m)
    d_km = np.maximum(_f(distance_m), MIN_DISTANCE_M) / 1000.0
    lf = np.log10(f_mhz)
    if area == "metropolitan":
        a_hm = 3.2 * np.log10(11.75 * hm) ** 2 - 4.97  # large city, f ≥ 300 MHz
        cm = 3.0
    elif area == "medium_city":
        a_hm = (1.1 * lf - 0.7) * hm - (1.56 * lf - 0.8)
        cm = 0.0
    else:
        raise ConfigError(f"area: unknown value {area!r}; choose 'metropolitan' or 'medium_city'.")
    return (
        46.3
        + 33.9 * lf
        - 13.82 * np.log10(hb)
        - a_hm
        + (44.9 - 6.55 * np.log10(hb)) * np.log10(d_km)
        + cm
    )


def _warn_cost231_frequency(frequency_ghz: ArrayLike, stacklevel: int) -> None:
    f_mhz = _f(frequency_ghz) * 1000.0
    lo, hi = COST231_VALID_MHZ
    outside = (f_mhz < lo) | (f_mhz > hi)
    if np.any(outside):
        bad = np.unique(f_mhz[np.broadcast_to(outside, f_mhz.shape)])
        shown = ", ".join(f"{v:g}" for v in bad[:5]) + (" …" if bad.size > 5 else "")
        warnings.warn(
            f"COST-231 Hata is valid for {lo:g}–{hi:g} MHz; evaluated at {shown} MHz: "
            "the path loss is an extrapolation.",
            ExtrapolationWarning,
            stacklevel=stacklevel,
        )


def cost231_hata_db(
    distance_m: ArrayLike,
    frequency_ghz: ArrayLike,
    h_bs_m: ArrayLike = 30.0,
    h_ut_m: ArrayLike = 1.5,
    area: HataArea = "metropolitan",
) -> Array:
    """COST-231 Hata urban path loss.

    Parameters
    ----------
    distance_m : array_like
        2D ground distance [m] (valid 1–20 km; clamped to 10 m below 10 m,
        extended outside the valid range).
    frequency_ghz : array_like
        Carrier frequency [GHz] (valid 1.5–2 GHz, see :data:`COST231_VALID_MHZ`).
    h_bs_m : array_like, default 30
        Effective BS antenna height hb [m] (valid 30–200 m).
    h_ut_m : array_like, default 1.5
        Mobile antenna height hm [m] (valid 1–10 m).
    area : {"metropolitan", "medium_city"}, default "metropolitan"
        ``"metropolitan"``: large-city a(hm) and Cm = 3 dB (Hà Nội's urban
        districts); ``"medium_city"``: medium/small-city a(hm) and Cm = 0 dB.

    Returns
    -------
    ndarray
        Median path loss [dB].

    Warns
    -----
    ExtrapolationWarning
        Once per call when any frequency lies outside 1500–2000 MHz (Python's
        warning filters may further collapse repeats from the same caller).

    Notes
    -----
    L = 46.3 + 33.9 log10(f) − 13.82 log10(hb) − a(hm)
    + (44.9 − 6.55 log10(hb)) log10(d) + Cm, f in MHz, d in km;
    large city: a(hm) = 3.2 (log10(11.75 hm))² − 4.97;
    medium city: a(hm) = (1.1 log10 f − 0.7) hm − (1.56 log10 f − 0.8).
    At hm = 1.5 m both a(hm) are ≈ 0 dB. Distances below 1 km and masts below
    30 m (typical in Hà Nội) are outside the fitted range and not flagged: the
    grid engine evaluates every short distance by design.

    References
    ----------
    COST Action 231, Final Report (EUR 18957), 1999, ch. 4;
    M. Hata, IEEE Trans. Veh. Technol. VT-29(3), pp. 317-325, 1980.
    """
    _warn_cost231_frequency(frequency_ghz, stacklevel=3)
    return _out(_cost231(distance_m, frequency_ghz, h_bs_m, h_ut_m, area))


# --------------------------------------------------------------------------- dispatcher

_MODELS: dict[str, Callable[..., Array]] = {
    "fspl": fspl_db,
    "uma_los": uma_los_db,
    "uma_nlos": uma_nlos_db,
    "umi_los": umi_los_db,
    "umi_nlos": umi_nlos_db,
    "rma_los": rma_los_db,
    "rma_nlos": rma_nlos_db,
    "uma_mixed": uma_mixed_db,
    "umi_mixed": umi_mixed_db,
    "rma_mixed": rma_mixed_db,
    "cost231_hata": lambda d, f, hb, hm: _cost231(d, f, hb, hm, "metropolitan"),
}
assert tuple(_MODELS) == PATH_LOSS_MODELS


def resolve_model(name: str) -> str:
    """Full model name for a full or short name (``"uma"`` -> ``"uma_nlos"``).

    Parameters
    ----------
    name : str
        A name of :data:`PATH_LOSS_MODELS` or a key of :data:`MODEL_ALIASES`.

    Returns
    -------
    str
        A name of :data:`PATH_LOSS_MODELS`.

    Raises
    ------
    ConfigError
        Unknown name (a ``ValueError``); the message lists the valid names.
    """
    full = MODEL_ALIASES.get(name, name)
    if full not in _MODELS:
        aliases = ", ".join(f"{k} ({v})" for k, v in MODEL_ALIASES.items() if k != v)
        raise ConfigError(
            f"model: unknown path-loss model {name!r}; choose one of "
            f"{', '.join(PATH_LOSS_MODELS)} (short names: {aliases})."
        )
    return full


def path_loss_db(
    distance_m: ArrayLike,
    frequency_ghz: ArrayLike,
    model: ModelName | ModelAlias = "uma_nlos",
    h_bs_m: ArrayLike = 25.0,
    h_ut_m: ArrayLike = 1.5,
) -> Array:
    """Path loss from a model chosen by name.

    Parameters
    ----------
    distance_m : array_like
        2D ground distance [m].
    frequency_ghz : array_like
        Carrier frequency [GHz].
    model : str, default "uma_nlos"
        One of :data:`PATH_LOSS_MODELS` (``fspl``, ``uma_los``, ``uma_nlos``,
        ``umi_los``, ``umi_nlos``, ``rma_los``, ``rma_nlos``, ``uma_mixed``,
        ``umi_mixed``, ``rma_mixed``, ``cost231_hata``) or a short name of
        :data:`MODEL_ALIASES`. Mixed models weight in dB; RMa uses h = 5 m,
        W = 20 m; COST-231 is the metropolitan variant.
    h_bs_m : array_like, default 25
        BS antenna height [m].
    h_ut_m : array_like, default 1.5
        UT antenna height [m].

    Returns
    -------
    ndarray
        Path loss [dB], broadcast over the inputs.

    Raises
    ------
    ConfigError
        Unknown model (a ``ValueError``); the message lists the valid names.

    Warns
    -----
    ExtrapolationWarning
        COST-231 outside 1500–2000 MHz.
    """
    full = resolve_model(model)
    if full == "cost231_hata":
        _warn_cost231_frequency(frequency_ghz, stacklevel=3)
    return _out(np.asarray(_MODELS[full](distance_m, frequency_ghz, h_bs_m, h_ut_m), np.float64))


# --------------------------------------------------------------------------- shadowing


def shadow_fading_sigma_db(model: str) -> float:
    """Shadow-fading standard deviation of a model.

    Parameters
    ----------
    model : str
        A name of :data:`PATH_LOSS_MODELS` or :data:`MODEL_ALIASES`.

    Returns
    -------
    float
        σSF [dB].

    Notes
    -----
    TR 38.901 Table 7.4.1-1: UMa LOS 4, UMa NLOS 6, UMi LOS 4, UMi NLOS 7.82,
    RMa LOS 4 before / 6 after the breakpoint, RMa NLOS 8 dB. RMa LOS returns
    6 dB: the margin matters at the cell edge, which for rural masts lies
    beyond dBP (dBP ≈ 0.8 km at 700 MHz, 2.9 km at 2.6 GHz for 35 m / 1.5 m).
    LOS-probability-weighted models return their NLOS σ (the state that
    dominates beyond ~100 m; conservative). COST-231 Hata: 8 dB, the usual
    macro-cell planning value for location variability (the same order as
    the 6–8 dB of the 3GPP NLOS models); Hata's formula itself gives only the
    median. Free space: 0 dB.

    References
    ----------
    3GPP TR 38.901 V16.1.0, Table 7.4.1-1; COST 231 Final Report, ch. 4.
    """
    return SHADOW_FADING_SIGMA_DB[resolve_model(model)]


def shadow_margin_db(sigma_db: ArrayLike, reliability: ArrayLike) -> Array:
    """Log-normal shadowing margin for a cell-edge reliability.

    Parameters
    ----------
    sigma_db : array_like
        Shadow-fading standard deviation [dB].
    reliability : array_like
        Probability that a location at the cell edge is served, in (0, 1);
        0.5 gives 0 dB (the median prediction).

    Returns
    -------
    ndarray
        Margin [dB] to add to the path loss (negative below 0.5).

    Raises
    ------
    ConfigError
        ``reliability`` outside the open interval (0, 1).

    Notes
    -----
    M = σ Φ⁻¹(reliability), Φ⁻¹ the standard normal quantile
    (0.9 → 1.2816 σ, 0.95 → 1.6449 σ).
    """
    r = _f(reliability)
    if np.any(~((r > 0.0) & (r < 1.0))):
        raise ConfigError(f"reliability: must lie strictly between 0 and 1, got {reliability!r}.")
    return _out(_f(sigma_db) * norm.ppf(r))


# --------------------------------------------------------------------------- antenna


def _wrap_deg(angle_deg: Array) -> Array:
    """Wrap an angle to [−180, 180) [degrees]."""
    return np.mod(angle_deg + 180.0, 360.0) - 180.0


def antenna_gain_db(
    azimuth_offset_deg: ArrayLike,
    zenith_deg: ArrayLike = 90.0,
    beamwidth_deg: ArrayLike = 65.0,
    vertical_beamwidth_deg: ArrayLike = 65.0,
    tilt_deg: ArrayLike = 0.0,
    max_gain_dbi: ArrayLike = 8.0,
    sla_v_db: float = 30.0,
    a_max_db: float = 30.0,
) -> Array:
    """Sector antenna gain, TR 38.901 Table 7.3-1 pattern with a free beamwidth.

    Parameters
    ----------
    azimuth_offset_deg : array_like
        Horizontal angle between the boresight and the UT [degrees]; any value,
        wrapped to [−180, 180).
    zenith_deg : array_like, default 90
        Zenith angle of the UT seen from the antenna [degrees]: 0 straight up,
        90 horizon, 180 straight down.
    beamwidth_deg : array_like, default 65
        Horizontal half-power beamwidth φ3dB [degrees].
    vertical_beamwidth_deg : array_like, default 65
        Vertical half-power beamwidth θ3dB [degrees] (65° is the single 38.901
        element; see :func:`sector_attenuation_db` for a macro panel).
    tilt_deg : array_like, default 0
        Downtilt of the beam, positive below the horizon [degrees].
    max_gain_dbi : array_like, default 8
        Gain on boresight [dBi] (8 dBi: the 38.901 element).
    sla_v_db : float, default 30
        Vertical side-lobe attenuation limit SLA_V [dB].
    a_max_db : float, default 30
        Front-to-back ratio A_m [dB].

    Returns
    -------
    ndarray
        Gain [dBi], between ``max_gain_dbi − a_max_db`` and ``max_gain_dbi``.

    Notes
    -----
    A_H(φ) = −min(12 (φ/φ3dB)², A_m);
    A_V(θ) = −min(12 ((θ − 90° − tilt)/θ3dB)², SLA_V);
    G = G_max − min(−(A_V + A_H), A_m).
    With a downtilt the beam points at zenith 90° + tilt (below the horizon).

    References
    ----------
    3GPP TR 38.901 V16.1.0, Table 7.3-1.
    """
    phi = _wrap_deg(_f(azimuth_offset_deg))
    a_h = -np.minimum(12.0 * (phi / _f(beamwidth_deg)) ** 2, a_max_db)
    theta_off = _f(zenith_deg) - 90.0 - _f(tilt_deg)
    a_v = -np.minimum(12.0 * (theta_off / _f(vertical_beamwidth_deg)) ** 2, sla_v_db)
    return _out(_f(max_gain_dbi) - np.minimum(-(a_v + a_h), a_max_db))


def sector_attenuation_db(
    bearing_to_ue_deg: ArrayLike,
    azimuth_deg: ArrayLike,
    distance_m: ArrayLike,
    h_bs_m: ArrayLike = 25.0,
    h_ut_m: ArrayLike = 1.5,
    tilt_deg: ArrayLike = 0.0,
    beamwidth_deg: ArrayLike = 65.0,
    vertical_beamwidth_deg: ArrayLike = 10.0,
    sla_v_db: float = 30.0,
    a_max_db: float = 30.0,
) -> Array:
    """Antenna attenuation relative to boresight, for a cell and UT positions.

    The EIRP of a cell already contains the antenna's maximum gain, so the grid
    engine adds this *relative* attenuation (≤ 0 dB) to the received power.

    Parameters
    ----------
    bearing_to_ue_deg : array_like
        Bearing from the cell to the UT, clockwise from north [degrees].
    azimuth_deg : array_like
        Antenna azimuth, clockwise from north [degrees]; NaN = omni cell (0 dB).
    distance_m : array_like
        2D ground distance [m] (not clamped: at 0 m the UT is straight below).
    h_bs_m, h_ut_m : array_like
        BS and UT antenna heights [m].
    tilt_deg : array_like, default 0
        Downtilt, positive down [degrees]; NaN is taken as 0.
    beamwidth_deg : array_like, default 65
        Horizontal half-power beamwidth [degrees]; NaN is taken as 65;
        360 or more is an omni cell (0 dB).
    vertical_beamwidth_deg : array_like, default 10
        Vertical half-power beamwidth [degrees]. 10° is a typical FR1 macro
        panel: a 65° × 10° beam has a directivity of about 18 dBi, consistent
        with the 17–25 dBi panels assumed in the EIRP (the 65° of the single
        38.901 element would be consistent only with 8 dBi).
    sla_v_db : float, default 30
        Vertical side-lobe attenuation limit [dB].
    a_max_db : float, default 30
        Front-to-back ratio [dB].

    Returns
    -------
    ndarray
        Attenuation [dB], in [−a_max_db, 0].

    Notes
    -----
    φ = wrap(bearing − azimuth) to [−180°, 180°) (azimuth 350°, bearing 10° is
    20° off axis); zenith θ = 90° + atan2(hBS − hUT, d2D); then the pattern of
    :func:`antenna_gain_db` with G_max = 0.

    References
    ----------
    3GPP TR 38.901 V16.1.0, Table 7.3-1.
    """
    az = _f(azimuth_deg)
    bw = _f(beamwidth_deg)
    bw = np.where(np.isnan(bw), 65.0, bw)
    tilt = _f(tilt_deg)
    tilt = np.where(np.isnan(tilt), 0.0, tilt)
    zenith = 90.0 + np.degrees(np.arctan2(_f(h_bs_m) - _f(h_ut_m), _f(distance_m)))
    phi = _f(bearing_to_ue_deg) - az
    with np.errstate(invalid="ignore"):
        att = antenna_gain_db(
            phi, zenith, bw, vertical_beamwidth_deg, tilt, 0.0, sla_v_db, a_max_db
        )
    omni = np.isnan(az) | (bw >= 360.0)
    return _out(np.where(omni, 0.0, att))


# --------------------------------------------------------------------------- link budget


def n_rb_for(bandwidth_mhz: ArrayLike, scs_khz: float = 30) -> Array:
    """Maximum transmission bandwidth N_RB for an FR1 channel.

    Parameters
    ----------
    bandwidth_mhz : array_like
        Channel bandwidth [MHz], one of the values of the table.
    scs_khz : {15, 30}, default 30
        Subcarrier spacing [kHz].

    Returns
    -------
    ndarray of int
        Number of resource blocks (12 subcarriers each).

    Raises
    ------
    ConfigError
        A bandwidth or SCS that the table does not hold; the message lists the
        valid ones.

    Notes
    -----
    30 kHz: 5→11, 10→24, 15→38, 20→51, 25→65, 30→78, 35→92, 40→106, 45→119,
    50→133, 60→162, 70→189, 80→217, 90→245, 100→273;
    15 kHz: 5→25, 10→52, 15→79, 20→106, 25→133, 30→160, 35→188, 40→216,
    45→242, 50→270.

    References
    ----------
    3GPP TS 38.101-1, Table 5.3.2-1.
    """
    key = int(scs_khz) if float(scs_khz).is_integer() else None
    if key not in N_RB_TABLE:
        raise ConfigError(
            f"scs_khz: {scs_khz!r} kHz is not tabulated; choose one of "
            f"{', '.join(str(k) for k in N_RB_TABLE)}."
        )
    table = N_RB_TABLE[key]
    bw = _f(bandwidth_mhz)
    keys = np.array(sorted(table), dtype=np.float64)
    idx = np.clip(np.searchsorted(keys, bw), 0, keys.size - 1)
    ok = keys[idx] == bw
    if not np.all(ok):
        bad = ", ".join(f"{v:g}" for v in np.unique(bw[~ok]))
        raise ConfigError(
            f"bandwidth_mhz: no N_RB for {bad} MHz at {key} kHz SCS; valid bandwidths: "
            f"{', '.join(str(k) for k in table)} MHz."
        )
    values = np.array([table[int(k)] for k in keys], dtype=np.int64)
    return _out(values[idx])


def noise_per_re_dbm(
    scs_khz: ArrayLike = 30.0,
    nf_db: ArrayLike = 7.0,
    thermal_noise_dbm_hz: float = -174.0,
) -> Array:
    """Receiver noise power in one resource element.

    Parameters
    ----------
    scs_khz : array_like, default 30
        Subcarrier spacing (the RE bandwidth) [kHz].
    nf_db : array_like, default 7
        UE noise figure [dB].
    thermal_noise_dbm_hz : float, default -174
        Thermal noise density kT at 290 K [dBm/Hz].

    Returns
    -------
    ndarray
        Noise power [dBm] (−122.2 dBm for 30 kHz and NF 7 dB).

    Notes
    -----
    N = kT + 10 log10(SCS [Hz]) + NF. Comparable with RSRP, which is a
    per-RE power too.
    """
    return _out(thermal_noise_dbm_hz + 10.0 * np.log10(_f(scs_khz) * 1e3) + _f(nf_db))


def rsrp_dbm(
    eirp_dbm: ArrayLike,
    path_loss_db: ArrayLike,
    n_rb: ArrayLike,
    extra_loss_db: ArrayLike = 0.0,
) -> Array:
    """SS-RSRP (per resource element) from the carrier EIRP.

    Parameters
    ----------
    eirp_dbm : array_like
        EIRP over the whole carrier [dBm].
    path_loss_db : array_like
        Path loss [dB].
    n_rb : array_like
        Resource blocks of the carrier (see :func:`n_rb_for`).
    extra_loss_db : array_like, default 0
        Further losses [dB]: indoor, body, shadowing margin, antenna
        attenuation (as a positive loss).

    Returns
    -------
    ndarray
        RSRP [dBm].

    Notes
    -----
    RSRP = EIRP − 10 log10(12 N_RB) − PL − L_extra: the EIRP spread evenly over
    the 12 N_RB subcarriers (resource elements) of the carrier.

    References
    ----------
    3GPP TS 38.215, §5.1.1 (SS-RSRP).
    """
    per_re = _f(eirp_dbm) - 10.0 * np.log10(12.0 * _f(n_rb))
    return _out(per_re - _f(path_loss_db) - _f(extra_loss_db))


def dbm_to_mw(power_dbm: ArrayLike) -> Array:
    """Convert [dBm] to [mW]: P = 10^(dBm/10)."""
    return _out(np.power(10.0, _f(power_dbm) / 10.0))


def mw_to_dbm(power_mw: ArrayLike) -> Array:
    """Convert [mW] to [dBm]: 10 log10(P); 0 mW gives −inf."""
    with np.errstate(divide="ignore"):
        return _out(10.0 * np.log10(_f(power_mw)))


def sinr_db(best_mw: ArrayLike, total_mw: ArrayLike, noise_mw: ArrayLike) -> Array:
    """SINR of the best server against all other servers plus noise.

    Parameters
    ----------
    best_mw : array_like
        Received power of the serving (best) cell [mW].
    total_mw : array_like
        Sum of the received powers of *all* cells, the best included [mW].
    noise_mw : array_like
        Noise power in the same bandwidth [mW] (e.g. ``dbm_to_mw(noise_per_re_dbm())``).

    Returns
    -------
    ndarray
        SINR [dB]; −inf where nothing is received.

    Notes
    -----
    SINR = S / (max(Σ − S, 0) + N), all linear (full-load interference: every
    neighbour transmits on every RE). The max() absorbs rounding when Σ ≈ S.
    """
    s = _f(best_mw)
    interference = np.maximum(_f(total_mw) - s, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return _out(10.0 * np.log10(s / (interference + _f(noise_mw))))


def max_range_m(
    eirp_dbm: ArrayLike,
    frequency_ghz: ArrayLike,
    model: ModelName | ModelAlias = "uma_nlos",
    h_bs_m: ArrayLike = 25.0,
    h_ut_m: ArrayLike = 1.5,
    n_rb: ArrayLike = 273,
    threshold_dbm: ArrayLike = -110.0,
    extra_loss_db: ArrayLike = 0.0,
    cap_m: float = MAX_RANGE_CAP_M,
) -> Array:
    """Largest 2D distance at which the RSRP still reaches the threshold.

    Vectorised over sites: every array argument broadcasts.

    Parameters
    ----------
    eirp_dbm : array_like
        Carrier EIRP [dBm] (on boresight; antenna attenuation only lowers RSRP,
        so the result bounds the coverage of a sector in every direction).
    frequency_ghz : array_like
        Carrier frequency [GHz].
    model : str, default "uma_nlos"
        Path-loss model, as for :func:`path_loss_db`.
    h_bs_m, h_ut_m : array_like
        BS and UT antenna heights [m].
    n_rb : array_like, default 273
        Resource blocks of the carrier.
    threshold_dbm : array_like, default -110
        RSRP threshold [dBm].
    extra_loss_db : array_like, default 0
        Further losses [dB] (indoor, body, shadowing margin).
    cap_m : float, default 30 000
        Largest range returned [m].

    Returns
    -------
    ndarray
        Range [m]: 0 where even the mast's own position misses the threshold,
        ``cap_m`` where the threshold is met at ``cap_m``; NaN for NaN input.

    Notes
    -----
    The allowed loss is PL_max = EIRP − 10 log10(12 N_RB) − L_extra − threshold,
    and the range is sup{d ∈ [0, cap] : PL(d) ≤ PL_max}, found by bisection with
    the invariant PL(lo) ≤ PL_max < PL(hi) (64 halvings of [0, cap], far below
    a millimetre). This is exact because every model is non-decreasing in
    distance (see each model's Notes; checked by property tests).
    """
    full = resolve_model(model)
    if full == "cost231_hata":
        _warn_cost231_frequency(frequency_ghz, stacklevel=3)
    fn = _MODELS[full]
    allowed = _f(eirp_dbm) - 10.0 * np.log10(12.0 * _f(n_rb)) - _f(extra_loss_db)
    allowed = allowed - _f(threshold_dbm)
    freq, hb, hu = _f(frequency_ghz), _f(h_bs_m), _f(h_ut_m)
    shape = np.broadcast_shapes(allowed.shape, freq.shape, hb.shape, hu.shape)
    allowed, freq, hb, hu = (np.broadcast_to(a, shape) for a in (allowed, freq, hb, hu))

    def pl(d: Array) -> Array:
        return np.asarray(fn(d, freq, hb, hu), dtype=np.float64)

    lo = np.zeros(shape)
    hi = np.full(shape, float(cap_m))
    at_lo, at_hi = pl(lo), pl(hi)
    undefined = np.isnan(allowed) | np.isnan(at_lo) | np.isnan(at_hi)
    for _ in range(64):
        mid = 0.5 * (lo + hi)
        ok = pl(mid) <= allowed
        lo = np.where(ok, mid, lo)
        hi = np.where(ok, hi, mid)
    out = np.where(at_hi <= allowed, float(cap_m), lo)
    out = np.where(at_lo > allowed, 0.0, out)
    return _out(np.where(undefined, np.nan, out))


# --------------------------------------------------------------------------- LinkBudget


@dataclass(frozen=True)
class LinkBudget:
    """Downlink link-budget assumptions shared by every cell of an audit.

    The cell side (EIRP, frequency, bandwidth, height) comes from the site
    table; this object holds the receiver and planning assumptions.

    Parameters
    ----------
    threshold_dbm : float, default -110
        SS-RSRP a location needs to count as covered [dBm] (a common 5G
        cell-edge planning value; −105 dBm is the FCC's LTE reference value).
    bandwidth_mhz : float, default 100
        Carrier bandwidth used when a cell gives none [MHz] (n78/n41 carriers in
        Việt Nam are 100 MHz).
    scs_khz : float, default 30
        Subcarrier spacing [kHz] (30 kHz: the FR1 TDD bands).
    indoor_loss_db : float, default 0
        Outdoor-to-indoor building penetration loss [dB]. 0 reports *outdoor*
        coverage; :data:`O2I_PLANNING_LOSS_DB` (20 dB) is the common sub-6 GHz
        planning value for indoor users (TR 38.901 §7.4.3 at 3.5 GHz: the
        low-loss model gives 12.7 dB through the wall plus 0.5 dB/m indoors,
        about 19 dB on average; the high-loss model about 27 dB plus indoors).
    other_loss_db : float, default 0
        Other receive-side losses, e.g. body loss [dB].
    reliability : float, default 0.5
        Cell-edge location reliability in (0, 1). 0.5 (no margin) reports the
        median prediction of the model, which is what "the model says it is
        covered" means; a planner dimensioning a network uses
        :data:`PLANNING_RELIABILITY` (0.9 → 1.28 σ, 7.7 dB for UMa NLOS).
    shadow_sigma_db : float or None, default None
        Shadow-fading σ [dB]; None takes the model's
        (:func:`shadow_fading_sigma_db`).
    h_ut_m : float, default 1.5
        UT antenna height [m] (TR 38.901 default).
    ue_noise_figure_db : float, default 7
        UE noise figure [dB] (typical FR1 UE).
    thermal_noise_dbm_hz : float, default -174
        Thermal noise density kT at 290 K [dBm/Hz].

    Raises
    ------
    ConfigError
        A value outside its range; the message names the field.
    """

    threshold_dbm: float = -110.0
    bandwidth_mhz: float = 100.0
    scs_khz: float = 30.0
    indoor_loss_db: float = 0.0
    other_loss_db: float = 0.0
    reliability: float = 0.5
    shadow_sigma_db: float | None = None
    h_ut_m: float = 1.5
    ue_noise_figure_db: float = 7.0
    thermal_noise_dbm_hz: float = -174.0

    def __post_init__(self) -> None:
        problems = []
        for name in (
            "threshold_dbm",
            "bandwidth_mhz",
            "scs_khz",
            "indoor_loss_db",
            "other_loss_db",
            "reliability",
            "h_ut_m",
            "ue_noise_figure_db",
            "thermal_noise_dbm_hz",
        ):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not math.isfinite(value):
                problems.append(f"{name}: must be a finite number, got {value!r}")
        if not problems:
            if not 0.0 < self.reliability < 1.0:
                problems.append(
                    f"reliability: must lie strictly between 0 and 1, got {self.reliability!r}"
                )
            if self.h_ut_m <= 0.0:
                problems.append(f"h_ut_m: must be positive, got {self.h_ut_m!r}")
            if self.indoor_loss_db < 0.0 or self.other_loss_db < 0.0:
                problems.append("indoor_loss_db / other_loss_db: losses cannot be negative")
            if self.shadow_sigma_db is not None and not self.shadow_sigma_db >= 0.0:
                problems.append(
                    f"shadow_sigma_db: must be ≥ 0 or None, got {self.shadow_sigma_db!r}"
                )
        if problems:
            raise ConfigError("link budget: " + "; ".join(problems) + ".")
        n_rb_for(self.bandwidth_mhz, self.scs_khz)  # raises ConfigError if not tabulated

    @property
    def n_rb(self) -> int:
        """Resource blocks of a ``bandwidth_mhz`` carrier at ``scs_khz`` (TS 38.101-1)."""
        return int(n_rb_for(self.bandwidth_mhz, self.scs_khz))

    @property
    def noise_per_re_dbm(self) -> float:
        """UE noise power in one resource element [dBm]."""
        return float(
            noise_per_re_dbm(self.scs_khz, self.ue_noise_figure_db, self.thermal_noise_dbm_hz)
        )

    def sigma_db(self, model: str) -> float:
        """Shadow-fading σ used with ``model`` [dB]."""
        if self.shadow_sigma_db is not None:
            return float(self.shadow_sigma_db)
        return shadow_fading_sigma_db(model)

    def margin_db(self, model: str) -> float:
        """Shadowing margin σ Φ⁻¹(reliability) for ``model`` [dB] (0 at 0.5)."""
        return float(shadow_margin_db(self.sigma_db(model), self.reliability))

    def extra_loss_db(self, model: str) -> float:
        """Indoor + other losses + shadowing margin for ``model`` [dB]."""
        return self.indoor_loss_db + self.other_loss_db + self.margin_db(model)
