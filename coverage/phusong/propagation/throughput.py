r"""Downlink throughput from SINR: the attenuated, truncated Shannon bound.

A planner's link budget gives an SINR per location; what a user feels is a
data rate. The standard system-level shortcut (3GPP TR 36.942 Annex A.2,
used for NR studies too) maps SINR to spectral efficiency with a Shannon bound
attenuated by α (implementation losses) and truncated where the modulation
and coding set ends:

.. math::

    SE(\mathrm{SINR}) =
    \begin{cases}
        0 & \mathrm{SINR} < \mathrm{SINR}_{min} \\
        \min(\alpha \log_2(1 + \mathrm{SINR}),\ SE_{max})
          & \mathrm{SINR} \ge \mathrm{SINR}_{min}
    \end{cases}

(SINR linear) [bit/s/Hz per layer], and the user's downlink rate is

.. math::

    R = B \cdot SE \cdot L \cdot \eta_{DL} \cdot (1 - OH) \cdot (1 - \rho)

with B the carrier bandwidth [Hz], L the MIMO layers, η_DL the share of
time the carrier transmits downlink (1 for FDD, the TDD pattern's share for
TDD), OH the physical-layer overhead and ρ the cell load (the share of the
carrier's resources other users take). Every factor is an option of
:class:`ThroughputParams`; the defaults and their sources:

=================  =======  ====================================================
parameter          default  source / meaning
=================  =======  ====================================================
``alpha``          0.6      TR 36.942 Annex A.2, downlink attenuation factor
``sinr_min_db``    −10 dB   TR 36.942 Annex A.2, downlink SINR_MIN
``se_max``         4.4      TR 36.942 Annex A.2, downlink Thr_MAX [bit/s/Hz]
``tdd_layers``     4        4×4 MIMO, the usual FR1 TDD configuration (n41/n77/n78)
``fdd_layers``     2        2×2 MIMO, usual on 700 MHz (n28) FDD carriers
``tdd_dl_share``   0.743    "DDDSU" pattern, special slot 10:2:2 symbols:
                            (3 + 10/14) / 5 of the time downlink
``overhead``       0.14     TS 38.306 §4.1.2, FR1 downlink overhead OH
``cell_load``      0.5      half the carrier's resources used by other users
=================  =======  ====================================================

Assumptions (stated with every figure made from it): every MIMO layer gets
the best server's SINR (an upper bound; layers share the power and see more
interference in reality); the SINR is that of the grid (co-channel
interference at full load); throughput is the *user's* rate when the cell is
loaded by ρ, not a cell capacity.

References
----------
.. [1] 3GPP TR 36.942, "E-UTRA; Radio Frequency (RF) system scenarios",
   Annex A.2 (modelling of link adaptation: attenuated and truncated Shannon
   bound, downlink α = 0.6, SINR_MIN = −10 dB, Thr_MAX = 4.4 bit/s/Hz).
.. [2] 3GPP TS 38.306, "NR; User Equipment radio access capabilities",
   §4.1.2 (maximum data rate; overhead OH = 0.14 for FR1 downlink).
.. [3] 3GPP TS 38.101-1, Table 5.2-1 (duplex mode of each NR band).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from phusong.options import THROUGHPUT, check

__all__ = [
    "PLAN_58_SPEED_MBPS",
    "ThroughputParams",
    "downlink_throughput_mbps",
    "sinr_max_db",
    "spectral_efficiency",
]

#: Plan 58/KH-UBND's speed target: mean 5G download of at least 100 Mbit/s
#: (docs/sources.md, "Goals").
PLAN_58_SPEED_MBPS = 100.0


@dataclass(frozen=True)
class ThroughputParams:
    """Every assumption of the SINR → downlink throughput mapping.

    Defaults and bounds are those of :data:`phusong.options.THROUGHPUT`
    (``throughput_<name>``); a value out of bounds raises
    :class:`~phusong.errors.ConfigError` naming it.

    Parameters
    ----------
    alpha : float
        Attenuation of the Shannon bound (0–1].
    sinr_min_db : float
        SINR below which nothing gets through [dB].
    se_max : float
        Highest spectral efficiency per layer [bit/s/Hz].
    tdd_layers, fdd_layers : int
        MIMO layers on TDD and on FDD carriers.
    tdd_dl_share : float
        Share of the time a TDD carrier transmits downlink (0–1].
    overhead : float
        Physical-layer overhead (reference signals, control) [0–1).
    cell_load : float
        Share of the carrier's resources used by other users [0–1).
    """

    alpha: float = THROUGHPUT["throughput_alpha"].default
    sinr_min_db: float = THROUGHPUT["throughput_sinr_min_db"].default
    se_max: float = THROUGHPUT["throughput_se_max"].default
    tdd_layers: int = THROUGHPUT["throughput_tdd_layers"].default
    fdd_layers: int = THROUGHPUT["throughput_fdd_layers"].default
    tdd_dl_share: float = THROUGHPUT["throughput_tdd_dl_share"].default
    overhead: float = THROUGHPUT["throughput_overhead"].default
    cell_load: float = THROUGHPUT["throughput_cell_load"].default

    def __post_init__(self) -> None:
        # Bounds come from phusong.options.THROUGHPUT (one owner); messages name the option.
        for name in self.__dataclass_fields__:
            value = check(f"throughput_{name}", getattr(self, name), THROUGHPUT)
            object.__setattr__(self, name, value)

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form (recorded next to every throughput figure)."""
        return asdict(self)

    def describe(self) -> str:
        """One line stating every assumption."""
        return (
            f"attenuated Shannon (TR 36.942 A.2): α {self.alpha:g}, SINR_min "
            f"{self.sinr_min_db:g} dB, max {self.se_max:g} bit/s/Hz per layer; "
            f"{self.tdd_layers} layers TDD / {self.fdd_layers} FDD; TDD downlink share "
            f"{self.tdd_dl_share:.3f}; overhead {self.overhead:g} (TS 38.306); cell load "
            f"{self.cell_load:g}; every layer at the best server's SINR (an upper bound)"
        )


def sinr_max_db(params: ThroughputParams) -> float:
    """SINR at which the bound reaches ``se_max``: 10 log10(2^(se_max/α) − 1) [dB]."""
    return float(10.0 * np.log10(2.0 ** (params.se_max / params.alpha) - 1.0))


def spectral_efficiency(
    sinr_db: ArrayLike,
    *,
    alpha: float = 0.6,
    sinr_min_db: float = -10.0,
    se_max: float = 4.4,
) -> NDArray[np.float64]:
    """Spectral efficiency per layer from SINR: the attenuated, truncated Shannon bound.

    Parameters
    ----------
    sinr_db : array_like
        SINR [dB]; NaN (no server) gives NaN.
    alpha : float
        Attenuation factor.
    sinr_min_db : float
        Below this SINR the efficiency is 0 [dB].
    se_max : float
        Maximum efficiency [bit/s/Hz].

    Returns
    -------
    ndarray
        float64 [bit/s/Hz]: 0 below ``sinr_min_db``, else
        ``min(alpha * log2(1 + 10^(sinr_db/10)), se_max)``.

    References
    ----------
    3GPP TR 36.942, Annex A.2.
    """
    s = np.asarray(sinr_db, dtype="float64")
    se = np.minimum(alpha * np.log2(1.0 + 10.0 ** (s / 10.0)), se_max)
    return np.where(s < sinr_min_db, 0.0, se)


def downlink_throughput_mbps(
    sinr_db: ArrayLike,
    bandwidth_mhz: ArrayLike,
    tdd: ArrayLike,
    params: ThroughputParams | None = None,
) -> NDArray[np.float64]:
    """Compute a user's downlink throughput from the best server's SINR [Mbit/s].

    Parameters
    ----------
    sinr_db : array_like
        SINR of the best server [dB] (NaN where unserved → NaN).
    bandwidth_mhz : array_like
        Carrier bandwidth of the serving cell [MHz].
    tdd : array_like of bool
        Whether the serving carrier is TDD (else FDD), broadcast with ``sinr_db``.
    params : ThroughputParams, optional
        Every assumption (default :class:`ThroughputParams`).

    Returns
    -------
    ndarray
        float64 [Mbit/s]: ``B · SE · L · η_DL · (1 − OH) · (1 − ρ)`` with B in MHz
        (see the module docstring).
    """
    p = params or ThroughputParams()
    se = spectral_efficiency(sinr_db, alpha=p.alpha, sinr_min_db=p.sinr_min_db, se_max=p.se_max)
    is_tdd = np.asarray(tdd, dtype=bool)
    layers = np.where(is_tdd, p.tdd_layers, p.fdd_layers)
    share = np.where(is_tdd, p.tdd_dl_share, 1.0)
    bw = np.asarray(bandwidth_mhz, dtype="float64")
    return bw * se * layers * share * (1.0 - p.overhead) * (1.0 - p.cell_load)
