"""Per-cell link-budget terms of a scenario-aware model: margins, O2I, receiver.

The raster engine takes, per cell, a path-loss function and a few extra
losses [dB]. :func:`cell_losses` computes them from each cell's frequency
and scenario (UMa / UMi / RMa, see :mod:`phusong.scenario`) and the run's
options; everything here is a pure function of arrays.

For a cell ``c`` of scenario ``s`` at frequency ``f`` and a reliability ``r``:

* outdoor: RSRP_out = EIRP − 10 log10(12 N_RB) − PL_s(d) + A(φ, θ)
  − M_out − L_rx, with M_out = σ_SF(s) Φ⁻¹(r) the shadowing margin and
  L_rx = body loss − UE antenna gain;
* indoor: RSRP_in = RSRP_out − L_O2I(f, s) − M_in, with L_O2I the median O2I
  loss of :func:`phusong.propagation.o2i.o2i_loss_db` and
  M_in = (√(σ_SF² + σ_P²) − σ_SF) Φ⁻¹(r) the extra margin of the O2I spread
  (:func:`phusong.propagation.fading.indoor_margin_db`).

References
----------
.. [1] 3GPP TR 38.901 V16.1.0, Table 7.4.1-1 (σ_SF), §7.4.3 (O2I).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from phusong.errors import ConfigError
from phusong.propagation.fading import (
    indoor_margin_db,
    shadow_fading_sigma_db,
    shadow_margin_db,
)
from phusong.propagation.o2i import O2iModel, o2i_loss_db, o2i_sigma_db

__all__ = ["CellLosses", "cell_losses"]

#: Scenario -> path-loss function stem (``<stem>_nlos`` / ``<stem>_mixed``).
_SCENARIOS = ("uma", "umi", "rma")


@dataclass(frozen=True)
class CellLosses:
    """Per-cell terms of the link budget [dB], one entry per cell.

    Attributes
    ----------
    path_loss_model : ndarray of str
        Path-loss function of each cell (``uma_nlos``, ``rma_mixed``, …).
    sigma_sf_db : ndarray
        Shadow-fading σ of the cell's path loss [dB].
    shadow_margin_db : ndarray
        σ_SF Φ⁻¹(reliability) [dB] (0 at reliability 0.5).
    receiver_loss_db : ndarray
        Body loss minus UE antenna gain [dB] (may be negative).
    o2i_loss_db : ndarray
        Median O2I building penetration loss [dB].
    indoor_margin_db : ndarray
        Extra margin of indoor locations [dB] (0 at reliability 0.5).
    """

    path_loss_model: NDArray[np.object_]
    sigma_sf_db: NDArray[np.float64]
    shadow_margin_db: NDArray[np.float64]
    receiver_loss_db: NDArray[np.float64]
    o2i_loss_db: NDArray[np.float64]
    indoor_margin_db: NDArray[np.float64]

    @property
    def extra_loss_db(self) -> NDArray[np.float64]:
        """Outdoor loss beyond path loss and antenna: margin + receiver loss [dB]."""
        return self.shadow_margin_db + self.receiver_loss_db

    @property
    def indoor_loss_db(self) -> NDArray[np.float64]:
        """Indoor loss on top of the outdoor RSRP: O2I + indoor margin [dB]."""
        return self.o2i_loss_db + self.indoor_margin_db


def cell_losses(
    frequency_ghz: ArrayLike,
    scenario: ArrayLike,
    *,
    reliability: float = 0.5,
    o2i_model: O2iModel | str = "low-loss",
    los_probability: bool = False,
    ue_gain_dbi: float = 0.0,
    body_loss_db: float = 0.0,
) -> CellLosses:
    """Per-cell margins, O2I loss and receiver loss (see the module docstring).

    Parameters
    ----------
    frequency_ghz : array_like
        Carrier frequency of each cell [GHz].
    scenario : array_like of str
        ``"uma"``, ``"umi"`` or ``"rma"`` per cell.
    reliability : float, default 0.5
        Cell-edge reliability in (0, 1); 0.5 = the median prediction.
    o2i_model : {"low-loss", "high-loss"}
        TR 38.901 O2I model (RMa cells always take the low-loss one).
    los_probability : bool, default False
        Use the LOS-probability-weighted path loss instead of NLOS.
    ue_gain_dbi, body_loss_db : float
        UE antenna gain [dBi] and body loss [dB].

    Returns
    -------
    CellLosses

    Raises
    ------
    ConfigError
        An unknown scenario or O2I model, or a reliability outside (0, 1).
    """
    f = np.atleast_1d(np.asarray(frequency_ghz, dtype="float64"))
    scen = np.broadcast_to(np.asarray(scenario, dtype=object), f.shape)
    bad = sorted({str(s) for s in scen if str(s) not in _SCENARIOS})
    if bad:
        raise ConfigError(
            f"scenario: unknown {', '.join(bad)}; choose one of {', '.join(_SCENARIOS)}."
        )
    kind = "mixed" if los_probability else "nlos"
    models = np.array([f"{s}_{kind}" for s in scen], dtype=object)
    sigma = np.array([shadow_fading_sigma_db(m) for m in models], dtype="float64")
    o2i = np.zeros(f.shape)
    sigma_p = np.zeros(f.shape)
    for s in _SCENARIOS:
        sel = scen == s
        if sel.any():
            o2i[sel] = o2i_loss_db(f[sel], s, o2i_model)
            sigma_p[sel] = o2i_sigma_db(s, o2i_model)
    return CellLosses(
        path_loss_model=models,
        sigma_sf_db=sigma,
        shadow_margin_db=np.asarray(shadow_margin_db(sigma, reliability), dtype="float64"),
        receiver_loss_db=np.full(f.shape, float(body_loss_db) - float(ue_gain_dbi)),
        o2i_loss_db=o2i,
        indoor_margin_db=np.asarray(indoor_margin_db(sigma, sigma_p, reliability), dtype="float64"),
    )
