"""Line-of-sight probabilities of 3GPP TR 38.901 (UMa, UMi street canyon, RMa).

Each function gives the probability that a user terminal at a 2D ground
distance [m] from the base station has line of sight to it; the mixed
path-loss models of :mod:`phusong.propagation.pathloss` weight their LOS and
NLOS losses with it.

References
----------
.. [1] 3GPP TR 38.901 V16.1.0 (2019-12), "Study on channel model for frequencies
   from 0.5 to 100 GHz", Table 7.4.2-1 (LOS probability).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

# ``_f``: any input as a float64 array; ``_out``: a numpy scalar for 0-d results.
from phusong.propagation.arrays import Array
from phusong.propagation.arrays import as_float_array as _f
from phusong.propagation.arrays import unwrap_0d as _out

__all__ = ["los_probability_rma", "los_probability_uma", "los_probability_umi"]


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
