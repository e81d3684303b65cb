"""Sector antenna pattern: gain and attenuation relative to boresight.

The pattern is the antenna element of 3GPP TR 38.901 Table 7.3-1 with a free
horizontal and vertical beamwidth; angles are clockwise from north (azimuth)
and from the zenith (elevation), in degrees.

References
----------
.. [1] 3GPP TR 38.901 V16.1.0 (2019-12), "Study on channel model for frequencies
   from 0.5 to 100 GHz", Table 7.3-1 (antenna element pattern).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

# ``_f``: any input as a float64 array; ``_out``: a numpy scalar for 0-d results.
from phusong.propagation.arrays import Array
from phusong.propagation.arrays import as_float_array as _f
from phusong.propagation.arrays import unwrap_0d as _out

__all__ = ["antenna_gain_db", "sector_attenuation_db"]


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
