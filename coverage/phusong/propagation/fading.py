"""Log-normal shadow fading: σ per path-loss model and the reliability margin.

A path-loss model gives the median loss; locations scatter around it with a
log-normal shadow fading of standard deviation σ [dB]. A planner who wants a
cell-edge location served with probability ``reliability`` adds the margin
σ Φ⁻¹(reliability) to the loss.

References
----------
.. [1] 3GPP TR 38.901 V16.1.0 (2019-12), "Study on channel model for frequencies
   from 0.5 to 100 GHz", Table 7.4.1-1 (shadow fading σSF).
.. [2] COST Action 231, "Digital mobile radio towards future generation
   systems", Final Report, EUR 18957, 1999, ch. 4.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from phusong.errors import ConfigError

# ``_f``: any input as a float64 array; ``_out``: a numpy scalar for 0-d results.
from phusong.propagation.arrays import Array
from phusong.propagation.arrays import as_float_array as _f
from phusong.propagation.arrays import unwrap_0d as _out
from phusong.propagation.pathloss import resolve_model

__all__ = [
    "PLANNING_RELIABILITY",
    "SHADOW_FADING_SIGMA_DB",
    "combined_sigma_db",
    "indoor_margin_db",
    "shadow_fading_sigma_db",
    "shadow_margin_db",
]

#: Cell-edge reliability a planner designs for (90 % of edge locations served;
#: with σ ≈ 6–8 dB this gives roughly 95–97 % area reliability).
PLANNING_RELIABILITY = 0.9

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


def shadow_fading_sigma_db(model: str) -> float:
    """Shadow-fading standard deviation of a model.

    Parameters
    ----------
    model : str
        A name of :data:`~phusong.propagation.pathloss.PATH_LOSS_MODELS` or
        :data:`~phusong.propagation.pathloss.MODEL_ALIASES`.

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
    # scipy.special, not scipy.stats (whose import takes about a second);
    # ndtri is what norm.ppf evaluates.
    from scipy.special import ndtri

    return _out(_f(sigma_db) * ndtri(r))


def combined_sigma_db(sigma_sf_db: ArrayLike, sigma_p_db: ArrayLike) -> Array:
    """σ of outdoor shadow fading and building penetration together [dB].

    Parameters
    ----------
    sigma_sf_db : array_like
        Outdoor shadow-fading σ_SF [dB] (:func:`shadow_fading_sigma_db`).
    sigma_p_db : array_like
        Building-to-building spread of the O2I loss σ_P [dB]
        (:data:`phusong.propagation.o2i.O2I_SIGMA_DB`).

    Returns
    -------
    ndarray
        √(σ_SF² + σ_P²) [dB]: 7.45 dB for UMa NLOS (6 dB) indoors behind the
        low-loss model (4.4 dB).

    Notes
    -----
    The two are independent log-normal terms (TR 38.901 §7.4.1 and §7.4.3
    draw them separately), so their dB values add as independent Gaussians.
    """
    return _out(np.hypot(_f(sigma_sf_db), _f(sigma_p_db)))


def indoor_margin_db(
    sigma_sf_db: ArrayLike, sigma_p_db: ArrayLike, reliability: ArrayLike
) -> Array:
    """Extra margin an indoor location needs beyond the outdoor one [dB].

    Parameters
    ----------
    sigma_sf_db : array_like
        Outdoor shadow-fading σ_SF [dB].
    sigma_p_db : array_like
        O2I spread σ_P [dB].
    reliability : array_like
        Cell-edge reliability in (0, 1); 0.5 gives 0 dB.

    Returns
    -------
    ndarray
        (√(σ_SF² + σ_P²) − σ_SF) Φ⁻¹(reliability) [dB], to add on top of the
        outdoor margin σ_SF Φ⁻¹(reliability), so that indoor coverage is
        judged with the margin of the combined σ.
    """
    total = combined_sigma_db(sigma_sf_db, sigma_p_db)
    return _out(
        _f(shadow_margin_db(total, reliability)) - _f(shadow_margin_db(sigma_sf_db, reliability))
    )
