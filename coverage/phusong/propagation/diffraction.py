"""Diffraction over terrain: ITU-R P.526 knife edge and the Bullington method.

Pure functions, one per formula (the pvlib layout), vectorised where the
formula is elementwise. :func:`bullington_loss_db` evaluates one terrain
profile exactly as P.526-15 §4.5.1 writes it; it is the reference that the
fast radial sweep of :mod:`phusong.raster.terrain` is tested against, and,
called once per pixel, the per-profile baseline of ``benchmarks/bench_terrain.py``.

Conventions
-----------
* Distances along a profile are measured from the transmitter [m]; terrain
  heights are above mean sea level [m]; antenna heights are above the
  ground under the antenna [m].
* Earth curvature enters through the effective earth radius
  ``k · 6 371 km`` with ``k = 4/3`` (median refractivity gradient, ITU-R
  P.834 and P.526 §1) as the parabolic bulge ``d₁ d₂ / (2 k R)``.
* The formulas are written in metres; P.526 writes them with distances in
  km (``500 C_e d_i (d − d_i)`` [m] with ``C_e = 1/(k R)`` [1/km]), which is
  the same bulge, and ``sqrt(0.002 d / (λ d_i (d − d_i)))`` with d in km,
  which equals ``sqrt(2 d / (λ d_i (d − d_i)))`` with d in m.

References
----------
.. [1] Recommendation ITU-R P.526-15 (10/2019), "Propagation by diffraction",
   §4.1 eq. (31) (the approximation J(ν) of the single knife-edge loss, for
   ν > −0.78), §4.1 eq. (26) (the Fresnel–Kirchhoff parameter ν) and §4.5.1
   (the Bullington method for a general terrain path).
.. [2] Recommendation ITU-R P.452-16 (07/2015), §4.2.1, the same Bullington
   construction (eqs. 14–22), and P.834 for the effective earth radius.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from phusong.propagation.arrays import Array
from phusong.propagation.arrays import as_float_array as _f
from phusong.propagation.arrays import unwrap_0d as _out
from phusong.propagation.pathloss import SPEED_OF_LIGHT_M_S

__all__ = [
    "EARTH_RADIUS_M",
    "EFFECTIVE_EARTH_K",
    "KNIFE_EDGE_MIN_V",
    "bullington_correction_db",
    "bullington_loss_db",
    "bullington_parameter",
    "earth_bulge_m",
    "effective_earth_radius_m",
    "fresnel_parameter",
    "knife_edge_loss_db",
    "terrain_excess_loss_db",
    "wavelength_m",
]

#: Mean earth radius [m] (ITU-R P.834: 6 371 km).
EARTH_RADIUS_M = 6_371_000.0
#: Effective earth-radius factor k for median refraction (ITU-R P.834, P.526 §1).
EFFECTIVE_EARTH_K = 4.0 / 3.0
#: Below this Fresnel–Kirchhoff parameter the knife-edge loss is taken as 0 dB
#: (ITU-R P.526-15 §4.1: eq. (31) holds for ν > −0.78).
KNIFE_EDGE_MIN_V = -0.78


def wavelength_m(frequency_ghz: ArrayLike) -> Array:
    """Free-space wavelength λ = c / f [m].

    Parameters
    ----------
    frequency_ghz : array_like
        Carrier frequency [GHz].
    """
    return _out(SPEED_OF_LIGHT_M_S / (_f(frequency_ghz) * 1e9))


def effective_earth_radius_m(k: float = EFFECTIVE_EARTH_K) -> float:
    """Effective earth radius ``k · 6 371 km`` [m]."""
    return float(k) * EARTH_RADIUS_M


def earth_bulge_m(d1_m: ArrayLike, d2_m: ArrayLike, k: float = EFFECTIVE_EARTH_K) -> Array:
    """Height of the effective earth above the chord between two ground points [m].

    Parameters
    ----------
    d1_m, d2_m : array_like
        Distances of the point from the two ends of the path [m].
    k : float
        Effective earth-radius factor (4/3 by default).

    Notes
    -----
    The parabolic approximation ``d₁ d₂ / (2 k R)`` (ITU-R P.526-15 §4.5.1
    writes it ``500 C_e d_i (d − d_i)`` with distances in km and
    ``C_e = 1/(k R)`` in 1/km).
    """
    return _out(_f(d1_m) * _f(d2_m) / (2.0 * effective_earth_radius_m(k)))


def fresnel_parameter(
    clearance_m: ArrayLike, d1_m: ArrayLike, d2_m: ArrayLike, wavelength: ArrayLike
) -> Array:
    """Fresnel–Kirchhoff diffraction parameter ν of an edge [dimensionless].

    Parameters
    ----------
    clearance_m : array_like
        Height of the edge above the straight line between the ends [m]
        (negative below it).
    d1_m, d2_m : array_like
        Distances of the edge from the two ends [m], > 0.
    wavelength : array_like
        Wavelength [m].

    Notes
    -----
    ν = h √(2/λ · (1/d₁ + 1/d₂)) (ITU-R P.526-15 §4.1 eq. (26)); the
    Bullington method writes the same as h √(2 d / (λ d₁ d₂)) with d = d₁ + d₂.
    """
    d1, d2 = _f(d1_m), _f(d2_m)
    return _out(_f(clearance_m) * np.sqrt(2.0 / _f(wavelength) * (1.0 / d1 + 1.0 / d2)))


def knife_edge_loss_db(v: ArrayLike) -> Array:
    """Single knife-edge diffraction loss J(ν) [dB, positive].

    Parameters
    ----------
    v : array_like
        Fresnel–Kirchhoff parameter ν (:func:`fresnel_parameter`).

    Notes
    -----
    J(ν) = 6.9 + 20 log10(√((ν − 0.1)² + 1) + ν − 0.1) for ν > −0.78, else 0
    (ITU-R P.526-15 §4.1 eq. (31), an approximation of the Fresnel-integral
    loss within about 0.5 dB). J(0) ≈ 6.0 dB: a grazing edge halves the field.

    References
    ----------
    ITU-R P.526-15, §4.1, eq. (31).
    """
    v = _f(v)
    w = v - 0.1
    with np.errstate(invalid="ignore"):
        j = 6.9 + 20.0 * np.log10(np.sqrt(w * w + 1.0) + w)
    return _out(np.where(v > KNIFE_EDGE_MIN_V, j, 0.0))


def bullington_correction_db(knife_edge_db: ArrayLike, distance_m: ArrayLike) -> Array:
    """Bullington loss of a path from its knife-edge loss L_uc [dB, positive].

    Parameters
    ----------
    knife_edge_db : array_like
        J(ν) at the Bullington point (or at the highest-ν point of a line-of-sight
        path), L_uc [dB].
    distance_m : array_like
        Path length d [m].

    Notes
    -----
    L_b = L_uc + (1 − exp(−L_uc/6)) (10 + 0.02 d) with d in km (ITU-R
    P.526-15 §4.5.1): the single knife edge plus an empirical term for the
    extra loss of real terrain, 0 when L_uc is 0.
    """
    luc = _f(knife_edge_db)
    d_km = _f(distance_m) / 1000.0
    return _out(luc + (1.0 - np.exp(-luc / 6.0)) * (10.0 + 0.02 * d_km))


def bullington_parameter(
    distance_m: ArrayLike,
    terrain_m: ArrayLike,
    h_tx_m: float,
    h_rx_m: float,
    wavelength: float,
    k: float = EFFECTIVE_EARTH_K,
) -> tuple[float, bool]:
    """Diffraction parameter ν of one terrain profile by the Bullington construction.

    Parameters
    ----------
    distance_m : array_like
        Distances of the profile points from the transmitter [m], increasing,
        from 0 (the transmitter) to d (the receiver); at least two points.
    terrain_m : array_like
        Terrain height of each point above sea level [m] (no NaN).
    h_tx_m, h_rx_m : float
        Antenna heights above the ground at the two ends [m].
    wavelength : float
        Wavelength [m].
    k : float
        Effective earth-radius factor.

    Returns
    -------
    (float, bool)
        ν, and whether the path is line of sight (every intermediate point
        below the straight line between the antennas). ``-inf`` and ``True``
        for a path without intermediate points.

    Notes
    -----
    ITU-R P.526-15 §4.5.1, with ``h_ts``/``h_rs`` the antenna heights above sea
    level and the bulge ``b_i = d_i (d − d_i) / (2 k R)``:

    * S_tim = max (h_i + b_i − h_ts) / d_i, S_tr = (h_rs − h_ts) / d;
    * line of sight (S_tim < S_tr): ν = max_i (h_i + b_i − (h_ts (d − d_i) + h_rs d_i)/d)
      · √(2 d / (λ d_i (d − d_i)));
    * otherwise: S_rim = max (h_i + b_i − h_rs) / (d − d_i), the Bullington point at
      d_b = (h_rs − h_ts + S_rim d) / (S_tim + S_rim), and
      ν = (h_ts + S_tim d_b − (h_ts (d − d_b) + h_rs d_b)/d) · √(2 d / (λ d_b (d − d_b))).
    """
    x = _f(distance_m)
    h = _f(terrain_m)
    d = float(x[-1])
    hts = float(h[0]) + float(h_tx_m)
    hrs = float(h[-1]) + float(h_rx_m)
    xi, hi = x[1:-1], h[1:-1]
    if xi.size == 0:
        return -math.inf, True
    hb = hi + earth_bulge_m(xi, d - xi, k)
    s_tim = float(np.max((hb - hts) / xi))
    s_tr = (hrs - hts) / d
    if s_tim < s_tr:
        clearance = hb - (hts * (d - xi) + hrs * xi) / d
        v = clearance * np.sqrt(2.0 * d / (wavelength * xi * (d - xi)))
        return float(np.max(v)), True
    s_rim = float(np.max((hb - hrs) / (d - xi)))
    if s_tim == s_tr or s_tim + s_rim <= 0.0:
        return 0.0, False  # a point lies exactly on the line (grazing): ν = 0
    d_b = (hrs - hts + s_rim * d) / (s_tim + s_rim)
    clearance_b = hts + s_tim * d_b - (hts * (d - d_b) + hrs * d_b) / d
    return clearance_b * math.sqrt(2.0 * d / (wavelength * d_b * (d - d_b))), False


def bullington_loss_db(
    distance_m: ArrayLike,
    terrain_m: ArrayLike,
    h_tx_m: float,
    h_rx_m: float,
    frequency_ghz: float,
    k: float = EFFECTIVE_EARTH_K,
) -> float:
    """Diffraction loss of one terrain profile by the Bullington method of ITU-R P.526-15 [dB].

    Parameters
    ----------
    distance_m : array_like
        Distances of the profile points from the transmitter [m], from 0 to
        the path length, increasing (sampled at the DEM's resolution).
    terrain_m : array_like
        Terrain height of each point above sea level [m] (no NaN: a profile
        with unknown terrain has no terrain loss to compute).
    h_tx_m, h_rx_m : float
        Antenna heights above the ground at the transmitter and the receiver [m].
    frequency_ghz : float
        Carrier frequency [GHz].
    k : float
        Effective earth-radius factor (4/3).

    Returns
    -------
    float
        L_b ≥ 0 [dB]: 0 for a path that clears its first Fresnel zone enough
        (ν ≤ −0.78 at every point).

    Notes
    -----
    ν from :func:`bullington_parameter`, L_uc = J(ν) (:func:`knife_edge_loss_db`),
    then L_b = L_uc + (1 − exp(−L_uc/6)) (10 + 0.02 d[km])
    (:func:`bullington_correction_db`). The spherical-earth correction of the
    "delta-Bullington" method (P.526-15 §4.5.2) is not applied.

    References
    ----------
    ITU-R P.526-15, §4.1 eq. (31) and §4.5.1.
    """
    x = _f(distance_m)
    v, _los = bullington_parameter(
        x, terrain_m, h_tx_m, h_rx_m, float(wavelength_m(frequency_ghz)), k
    )
    luc = float(knife_edge_loss_db(v))
    return float(bullington_correction_db(luc, float(x[-1])))


def terrain_excess_loss_db(
    distance_m: ArrayLike,
    terrain_m: ArrayLike,
    h_tx_m: float,
    h_rx_m: float,
    frequency_ghz: float,
    k: float = EFFECTIVE_EARTH_K,
) -> float:
    """Diffraction loss that the terrain of a profile adds to smooth ground [dB].

    Parameters
    ----------
    distance_m, terrain_m, h_tx_m, h_rx_m, frequency_ghz, k
        As :func:`bullington_loss_db`.

    Returns
    -------
    float
        max(L_b(terrain) − L_b(smooth), 0) ≥ 0 [dB]: 0 over flat or evenly
        sloping ground at any frequency, the ridge's loss behind a ridge.

    Notes
    -----
    The smooth profile is the straight ground line between the two ends
    (antennas at the same heights above it, the same earth bulge, the same
    sample positions). This is the "delta" structure of ITU-R P.526-15
    §4.5.2: the Bullington loss of the actual profile minus that of a smooth
    one, to which P.526 adds a spherical-earth loss. Here the path-loss model
    the terrain loss is added to (TR 38.901, fitted to measurements over
    ordinary ground) plays that part, so only the excess due to the terrain is
    added. Plain §4.5.1 over flat ground would charge a receiver 1.5 m above
    the ground several dB at 700 MHz for the ground in its Fresnel zone, a
    loss the empirical models already contain.

    References
    ----------
    ITU-R P.526-15, §4.5.1 and §4.5.2.
    """
    x = _f(distance_m)
    h = _f(terrain_m)
    smooth = h[0] + (h[-1] - h[0]) * x / x[-1]
    actual = bullington_loss_db(x, h, h_tx_m, h_rx_m, frequency_ghz, k)
    flat = bullington_loss_db(x, smooth, h_tx_m, h_rx_m, frequency_ghz, k)
    return max(actual - flat, 0.0)
