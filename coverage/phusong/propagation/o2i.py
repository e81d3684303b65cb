"""Outdoor-to-indoor (O2I) building penetration loss, 3GPP TR 38.901 §7.4.3.

A user inside a building receives the outdoor signal attenuated by the
external wall (PL_tw, frequency dependent), by the distance walked indoors
(PL_in) and by a building-to-building spread (σ_P). TR 38.901 gives two
models: *low-loss* (standard multi-pane glass and concrete: older and
residential buildings) and *high-loss* (infrared-reflective glass and
concrete: modern energy-efficient buildings); in RMa only the low-loss model
applies (§7.4.3.1). All functions are pure and vectorised; frequencies in GHz.

Table 7.4.3-1, material penetration loss [dB] (f in GHz):

==============================  ==================
material                        loss
==============================  ==================
standard multi-pane glass       2 + 0.2 f
IRR glass                       23 + 0.3 f
concrete                        5 + 4 f
wood                            4.85 + 0.12 f
==============================  ==================

Table 7.4.3-2, O2I building penetration loss:

* low-loss: PL_tw = 5 − 10 log10(0.3·10^(−L_glass/10) + 0.7·10^(−L_concrete/10)),
  PL_in = 0.5 d_2D-in, σ_P = 4.4 dB;
* high-loss: PL_tw = 5 − 10 log10(0.7·10^(−L_IRRglass/10) + 0.3·10^(−L_concrete/10)),
  PL_in = 0.5 d_2D-in, σ_P = 6.5 dB;

d_2D-in is the minimum of two independent uniform draws on [0, 25 m] (UMa,
UMi street canyon) or [0, 10 m] (RMa). A coverage map has no individual
users, so the indoor distance is taken at its median (:func:`median_indoor_distance_m`)
and the spread σ_P enters the reliability margin
(:func:`phusong.propagation.fading.indoor_margin_db`).

References
----------
.. [1] 3GPP TR 38.901 V16.1.0 (2019-12), "Study on channel model for frequencies
   from 0.5 to 100 GHz", §7.4.3.1, Table 7.4.3-1 (material penetration losses)
   and Table 7.4.3-2 (O2I building penetration loss model).
.. [2] ns-3 ``ThreeGppPropagationLossModel::GetO2iLowPenetrationLoss`` /
   ``GetO2iHighPenetrationLoss`` (the same formulas, for cross-checking).
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from phusong.errors import ConfigError

# ``_f``: any input as a float64 array; ``_out``: a numpy scalar for 0-d results.
from phusong.propagation.arrays import Array
from phusong.propagation.arrays import as_float_array as _f
from phusong.propagation.arrays import unwrap_0d as _out

__all__ = [
    "INDOOR_DISTANCE_MAX_M",
    "O2I_MODELS",
    "O2I_SIGMA_DB",
    "O2iModel",
    "material_loss_db",
    "median_indoor_distance_m",
    "o2i_loss_db",
    "o2i_model_for",
    "o2i_sigma_db",
    "through_wall_loss_db",
]

O2iModel = Literal["low-loss", "high-loss"]
#: The O2I models of TR 38.901 Table 7.4.3-2.
O2I_MODELS: tuple[str, ...] = ("low-loss", "high-loss")
#: σ_P of each O2I model [dB] (Table 7.4.3-2).
O2I_SIGMA_DB: dict[str, float] = {"low-loss": 4.4, "high-loss": 6.5}
#: Upper end of the uniform draws of d_2D-in per scenario [m] (Table 7.4.3-2).
INDOOR_DISTANCE_MAX_M: dict[str, float] = {"uma": 25.0, "umi": 25.0, "rma": 10.0}

#: Table 7.4.3-1: material -> (a, b) with loss = a + b f [dB, f in GHz].
_MATERIALS: dict[str, tuple[float, float]] = {
    "glass": (2.0, 0.2),
    "irr_glass": (23.0, 0.3),
    "concrete": (5.0, 4.0),
    "wood": (4.85, 0.12),
}


def material_loss_db(material: str, frequency_ghz: ArrayLike) -> Array:
    """Penetration loss of one material, TR 38.901 Table 7.4.3-1.

    Parameters
    ----------
    material : {"glass", "irr_glass", "concrete", "wood"}
        Standard multi-pane glass, infrared-reflective glass, concrete or wood.
    frequency_ghz : array_like
        Carrier frequency [GHz].

    Returns
    -------
    ndarray
        Loss [dB].

    Raises
    ------
    ConfigError
        Unknown material (the message lists the valid ones).
    """
    if material not in _MATERIALS:
        raise ConfigError(f"material: unknown {material!r}; choose one of {', '.join(_MATERIALS)}.")
    a, b = _MATERIALS[material]
    return _out(a + b * _f(frequency_ghz))


def _check_model(model: str) -> str:
    if model not in O2I_MODELS:
        raise ConfigError(f"o2i_model: unknown {model!r}; choose one of {', '.join(O2I_MODELS)}.")
    return model


def through_wall_loss_db(frequency_ghz: ArrayLike, model: O2iModel | str = "low-loss") -> Array:
    """Loss through the external wall PL_tw, TR 38.901 Table 7.4.3-2.

    Parameters
    ----------
    frequency_ghz : array_like
        Carrier frequency [GHz].
    model : {"low-loss", "high-loss"}
        O2I model.

    Returns
    -------
    ndarray
        PL_tw [dB]: 10.2 dB at 0.7 GHz, 12.3 dB at 2.6 GHz and 12.7 dB at
        3.5 GHz for the low-loss model; 17.7, 24.4 and 26.8 dB for the
        high-loss model.

    Notes
    -----
    Low-loss: PL_tw = 5 − 10 log10(0.3·10^(−L_glass/10) + 0.7·10^(−L_concrete/10));
    high-loss: PL_tw = 5 − 10 log10(0.7·10^(−L_IRRglass/10) + 0.3·10^(−L_concrete/10)).
    """
    f = _f(frequency_ghz)
    concrete = material_loss_db("concrete", f)
    if _check_model(model) == "low-loss":
        share, window = 0.3, material_loss_db("glass", f)
    else:
        share, window = 0.7, material_loss_db("irr_glass", f)
    mix = share * 10.0 ** (-window / 10.0) + (1.0 - share) * 10.0 ** (-concrete / 10.0)
    return _out(5.0 - 10.0 * np.log10(mix))


def median_indoor_distance_m(scenario: str) -> float:
    """Median of d_2D-in = min(U₁, U₂), U ~ uniform on [0, d_max] [m].

    Parameters
    ----------
    scenario : {"uma", "umi", "rma"}
        d_max = 25 m for UMa and UMi, 10 m for RMa (Table 7.4.3-2).

    Returns
    -------
    float
        d_max (1 − 1/√2): 7.32 m (UMa, UMi) or 2.93 m (RMa).

    Notes
    -----
    P(min(U₁, U₂) ≤ m) = 1 − (1 − m/d_max)², which is ½ at m = d_max (1 − 1/√2).
    """
    key = str(scenario).lower()
    if key not in INDOOR_DISTANCE_MAX_M:
        raise ConfigError(
            f"scenario: unknown {scenario!r}; choose one of {', '.join(INDOOR_DISTANCE_MAX_M)}."
        )
    return INDOOR_DISTANCE_MAX_M[key] * (1.0 - 1.0 / math.sqrt(2.0))


def o2i_model_for(scenario: str, model: O2iModel | str) -> str:
    """O2I model applied in a scenario: RMa always uses the low-loss model (§7.4.3.1)."""
    _check_model(model)
    return "low-loss" if str(scenario).lower() == "rma" else model


def o2i_loss_db(
    frequency_ghz: ArrayLike, scenario: str = "uma", model: O2iModel | str = "low-loss"
) -> Array:
    """Median O2I building penetration loss PL_tw + PL_in [dB].

    Parameters
    ----------
    frequency_ghz : array_like
        Carrier frequency [GHz].
    scenario : {"uma", "umi", "rma"}
        Scenario (sets the indoor distance; RMa forces the low-loss model).
    model : {"low-loss", "high-loss"}
        O2I model.

    Returns
    -------
    ndarray
        Loss [dB] (the spread σ_P is not included: it goes into the margin).

    Notes
    -----
    PL_tw(f) of :func:`through_wall_loss_db` plus PL_in = 0.5 dB/m × the
    median indoor distance (3.66 dB in UMa/UMi, 1.46 dB in RMa).
    """
    used = o2i_model_for(scenario, model)
    indoor = 0.5 * median_indoor_distance_m(scenario)
    return _out(_f(through_wall_loss_db(frequency_ghz, used)) + indoor)


def o2i_sigma_db(scenario: str, model: O2iModel | str) -> float:
    """σ_P of the O2I model used in ``scenario`` [dB] (4.4 low-loss, 6.5 high-loss)."""
    return O2I_SIGMA_DB[o2i_model_for(scenario, model)]
