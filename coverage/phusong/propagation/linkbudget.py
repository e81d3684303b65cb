"""Downlink link budget: resource blocks, noise, RSRP, SINR and cell range.

:class:`LinkBudget` holds the receiver and planning assumptions an audit
shares across all cells; the functions turn a carrier EIRP and a path loss
into the per-resource-element quantities NR measures.

References
----------
.. [1] 3GPP TS 38.101-1, "NR; UE radio transmission and reception; Part 1:
   Range 1 Standalone", Table 5.3.2-1 (maximum transmission bandwidth N_RB).
.. [2] 3GPP TS 38.215, "NR; Physical layer measurements", §5.1.1 (SS-RSRP is
   the average power of one resource element).
.. [3] 3GPP TR 38.901 V16.1.0 (2019-12), §7.4.3 (outdoor-to-indoor penetration loss).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from phusong.errors import ConfigError

# ``_f``: any input as a float64 array; ``_out``: a numpy scalar for 0-d results.
from phusong.propagation.arrays import Array
from phusong.propagation.arrays import as_float_array as _f
from phusong.propagation.arrays import unwrap_0d as _out
from phusong.propagation.fading import shadow_fading_sigma_db, shadow_margin_db
from phusong.propagation.pathloss import ModelAlias, ModelName, model_function

__all__ = [
    "MAX_RANGE_CAP_M",
    "N_RB_TABLE",
    "O2I_PLANNING_LOSS_DB",
    "LinkBudget",
    "dbm_to_mw",
    "max_range_m",
    "mw_to_dbm",
    "n_rb_for",
    "noise_per_re_dbm",
    "range_within",
    "rsrp_dbm",
    "sinr_db",
]

#: Largest range :func:`max_range_m` returns [m].
MAX_RANGE_CAP_M = 30_000.0
#: Common sub-6 GHz outdoor-to-indoor planning loss [dB] (cf. TR 38.901 §7.4.3).
O2I_PLANNING_LOSS_DB = 20.0

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


def n_rb_for(bandwidth_mhz: ArrayLike, scs_khz: float = 30) -> NDArray[np.int64]:
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
        Path-loss model, as for :func:`~phusong.propagation.pathloss.path_loss_db`.
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
    fn = model_function(model, frequency_ghz, stacklevel=3)
    allowed = _f(eirp_dbm) - 10.0 * np.log10(12.0 * _f(n_rb)) - _f(extra_loss_db)
    allowed = allowed - _f(threshold_dbm)
    freq, hb, hu = _f(frequency_ghz), _f(h_bs_m), _f(h_ut_m)
    shape = np.broadcast_shapes(allowed.shape, freq.shape, hb.shape, hu.shape)
    allowed, freq, hb, hu = (np.broadcast_to(a, shape) for a in (allowed, freq, hb, hu))

    def pl(d: Array) -> Array:
        return np.asarray(fn(d, freq, hb, hu), dtype=np.float64)

    return _out(range_within(pl, allowed, cap_m))


def range_within(pl: Callable[[Array], Array], allowed_db: Array, cap_m: float) -> Array:
    """Largest distance in [0, ``cap_m``] at which the path loss ``pl(d)`` is at most ``allowed_db``.

    Parameters
    ----------
    pl : callable
        Path loss [dB] of an array of 2D distances [m] shaped like
        ``allowed_db``; non-decreasing in distance.
    allowed_db : ndarray
        Allowed path loss per element [dB].
    cap_m : float
        Largest range returned [m].

    Returns
    -------
    ndarray
        Range [m]: 0 where even ``pl(0)`` exceeds the allowance, ``cap_m``
        where ``pl(cap_m)`` does not; NaN where the allowance or the loss at 0
        or at ``cap_m`` is NaN.

    Notes
    -----
    Bisection with the invariant PL(lo) ≤ allowed < PL(hi): 64 halvings of
    [0, cap], far below a millimetre; exact for a non-decreasing loss.
    """
    allowed = np.asarray(allowed_db, dtype=np.float64)
    lo = np.zeros(allowed.shape)
    hi = np.full(allowed.shape, float(cap_m))
    at_lo, at_hi = pl(lo), pl(hi)
    undefined = np.isnan(allowed) | np.isnan(at_lo) | np.isnan(at_hi)
    for _ in range(64):
        mid = 0.5 * (lo + hi)
        ok = pl(mid) <= allowed
        lo = np.where(ok, mid, lo)
        hi = np.where(ok, hi, mid)
    out = np.where(at_hi <= allowed, float(cap_m), lo)
    out = np.where(at_lo > allowed, 0.0, out)
    return np.where(undefined, np.nan, out)


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
        Other receive-side losses [dB].
    ue_gain_dbi : float, default 0
        UE antenna gain [dBi] (0 dBi: the usual handset assumption; a gain
        lowers the loss).
    body_loss_db : float, default 0
        Body loss [dB] (0 dB: a phone held away from the body for data; about
        3 dB is used for a phone held to the head).
    reliability : float, default 0.5
        Cell-edge location reliability in (0, 1). 0.5 (no margin) reports the
        median prediction of the model, which is what "the model says it is
        covered" means; a planner dimensioning a network uses
        :data:`~phusong.propagation.fading.PLANNING_RELIABILITY` (0.9 → 1.28 σ,
        7.7 dB for UMa NLOS).
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
    ue_gain_dbi: float = 0.0
    body_loss_db: float = 0.0
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
            "ue_gain_dbi",
            "body_loss_db",
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
            if min(self.indoor_loss_db, self.other_loss_db, self.body_loss_db) < 0.0:
                problems.append(
                    "indoor_loss_db / other_loss_db / body_loss_db: losses cannot be negative"
                )
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

    @property
    def receiver_loss_db(self) -> float:
        """Other and body losses minus the UE antenna gain [dB] (may be negative)."""
        return self.other_loss_db + self.body_loss_db - self.ue_gain_dbi

    def extra_loss_db(self, model: str) -> float:
        """Indoor + receiver losses (:attr:`receiver_loss_db`) + shadowing margin for ``model`` [dB]."""
        return self.indoor_loss_db + self.receiver_loss_db + self.margin_db(model)
