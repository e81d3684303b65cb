"""Path-loss models, one small function each, and the dispatcher that picks one by name.

Free space (Friis), the 3GPP TR 38.901 urban macro (UMa), urban micro street
canyon (UMi) and rural macro (RMa) models in line of sight (LOS), non line of
sight (NLOS) and weighted by the LOS probability ("mixed"), and COST-231 Hata.
:func:`path_loss_db` selects a model by name (:data:`PATH_LOSS_MODELS`, or a
short name of :data:`MODEL_ALIASES`).

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
tested with hypothesis); :func:`phusong.propagation.linkbudget.max_range_m`
relies on it.

References
----------
.. [1] 3GPP TR 38.901 V16.1.0 (2019-12), "Study on channel model for frequencies
   from 0.5 to 100 GHz", Table 7.4.1-1 (path loss), Table 7.4.2-1 (LOS probability).
.. [2] COST Action 231, "Digital mobile radio towards future generation
   systems", Final Report, EUR 18957, 1999, ch. 4 (COST-231 Hata).
.. [3] H. T. Friis, "A note on a simple transmission formula", Proc. IRE 34(5),
   pp. 254-256, 1946.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Literal, get_args

import numpy as np
from numpy.typing import ArrayLike

from phusong.errors import ConfigError

# ``_f``: any input as a float64 array; ``_out``: a numpy scalar for 0-d results.
from phusong.propagation.arrays import Array
from phusong.propagation.arrays import as_float_array as _f
from phusong.propagation.arrays import unwrap_0d as _out
from phusong.propagation.los import (
    los_probability_rma,
    los_probability_uma,
    los_probability_umi,
)

__all__ = [
    "COST231_VALID_MHZ",
    "MIN_DISTANCE_M",
    "MODEL_ALIASES",
    "PATH_LOSS_MODELS",
    "ExtrapolationWarning",
    "breakpoint_distance_m",
    "cost231_hata_db",
    "distance_3d_m",
    "fspl_db",
    "model_function",
    "path_loss_db",
    "resolve_model",
    "rma_breakpoint_distance_m",
    "rma_los_db",
    "rma_mixed_db",
    "rma_nlos_db",
    "uma_los_db",
    "uma_mixed_db",
    "uma_nlos_db",
    "umi_los_db",
    "umi_mixed_db",
    "umi_nlos_db",
]

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
#: Frequency range [MHz] in which COST-231 Hata is valid (COST 231 final report, ch. 4).
COST231_VALID_MHZ: tuple[float, float] = (1500.0, 2000.0)

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


class ExtrapolationWarning(UserWarning):
    """A model was evaluated outside the range its authors fitted it on."""


# --------------------------------------------------------------------------- geometry


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


def model_function(
    model: ModelName | ModelAlias, frequency_ghz: ArrayLike, stacklevel: int = 2
) -> Callable[..., Array]:
    """Return the function of a path-loss model, for callers that evaluate it often.

    Resolves the name and checks the frequencies once, so that a caller
    evaluating the model repeatedly (a bisection, a grid) warns at most once.

    Parameters
    ----------
    model : str
        A name of :data:`PATH_LOSS_MODELS` or a key of :data:`MODEL_ALIASES`.
    frequency_ghz : array_like
        Carrier frequencies the function will be called with [GHz].
    stacklevel : int, default 2
        Stack level of the :class:`ExtrapolationWarning`, counted from this
        function (2: its caller).

    Returns
    -------
    callable
        ``fn(distance_m, frequency_ghz, h_bs_m, h_ut_m)`` -> path loss [dB],
        with the defaults of :func:`path_loss_db` for the model's other
        parameters (mixed models weight in dB; RMa h = 5 m, W = 20 m; COST-231
        metropolitan); it never warns.

    Raises
    ------
    ConfigError
        Unknown model (a ``ValueError``); the message lists the valid names.

    Warns
    -----
    ExtrapolationWarning
        COST-231 with a frequency outside 1500–2000 MHz.
    """
    full = resolve_model(model)
    if full == "cost231_hata":
        _warn_cost231_frequency(frequency_ghz, stacklevel=stacklevel + 1)
    return _MODELS[full]


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
    fn = model_function(model, frequency_ghz, stacklevel=3)
    return _out(np.asarray(fn(distance_m, frequency_ghz, h_bs_m, h_ut_m), np.float64))
