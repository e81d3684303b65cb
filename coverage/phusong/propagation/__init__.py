"""Pure, vectorised path-loss, antenna and link-budget functions.

One small function per physical model (the pvlib layout), grouped by family:

* :mod:`~phusong.propagation.pathloss`: free space, 3GPP TR 38.901 UMa / UMi /
  RMa (LOS, NLOS, mixed), COST-231 Hata, and :func:`path_loss_db`, which picks
  a model by name;
* :mod:`~phusong.propagation.los`: TR 38.901 line-of-sight probabilities;
* :mod:`~phusong.propagation.antenna`: the sector antenna pattern;
* :mod:`~phusong.propagation.fading`: shadow-fading σ and reliability margin;
* :mod:`~phusong.propagation.linkbudget`: :class:`LinkBudget`, resource
  blocks, noise, RSRP, SINR and the range of a cell (:func:`max_range_m`);
* :mod:`~phusong.propagation.numerology`: duplex mode and subcarrier spacing
  per NR band, resource blocks per cell;
* :mod:`~phusong.propagation.o2i`: TR 38.901 §7.4.3 outdoor-to-indoor
  building penetration loss (low-loss and high-loss models);
* :mod:`~phusong.propagation.celllosses`: the per-cell margins, O2I and
  receiver losses of a scenario-aware model (:func:`cell_losses`).

Every public name is re-exported here: ``from phusong.propagation import
path_loss_db`` and ``phusong.propagation.LinkBudget`` work as before the split.

Conventions
-----------
Every function takes numpy arrays (or scalars) that broadcast against each
other and returns an array of the broadcast shape (a numpy scalar for scalar
input). Nothing here reads files, logs or keeps state.

* ``distance_m`` is always the **2D ground distance** [m] between the base
  station (BS) and the user terminal (UT). Models that need the 3D distance
  compute it inside from ``h_bs_m`` and ``h_ut_m``.
* ``frequency_ghz`` is the carrier centre frequency [GHz].
* Path losses are positive numbers [dB]; antenna *attenuations* are ≤ 0 [dB].

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

from phusong.propagation.antenna import antenna_gain_db, sector_attenuation_db
from phusong.propagation.celllosses import CellLosses, cell_losses
from phusong.propagation.fading import (
    PLANNING_RELIABILITY,
    SHADOW_FADING_SIGMA_DB,
    combined_sigma_db,
    indoor_margin_db,
    shadow_fading_sigma_db,
    shadow_margin_db,
)
from phusong.propagation.linkbudget import (
    MAX_RANGE_CAP_M,
    N_RB_TABLE,
    O2I_PLANNING_LOSS_DB,
    LinkBudget,
    dbm_to_mw,
    max_range_m,
    mw_to_dbm,
    n_rb_for,
    noise_per_re_dbm,
    range_within,
    rsrp_dbm,
    sinr_db,
)
from phusong.propagation.los import los_probability_rma, los_probability_uma, los_probability_umi
from phusong.propagation.numerology import (
    BAND_NUMEROLOGY,
    DEFAULT_SCS_KHZ,
    Numerology,
    band_numerology,
    n_rb_per_cell,
    scs_khz_per_cell,
)
from phusong.propagation.o2i import (
    O2I_MODELS,
    O2I_SIGMA_DB,
    material_loss_db,
    median_indoor_distance_m,
    o2i_loss_db,
    through_wall_loss_db,
)
from phusong.propagation.pathloss import (
    C_38901_M_S,
    COST231_VALID_MHZ,
    H_E_M,
    MIN_DISTANCE_M,
    MODEL_ALIASES,
    PATH_LOSS_MODELS,
    SPEED_OF_LIGHT_M_S,
    ExtrapolationWarning,
    ModelAlias,
    ModelName,
    breakpoint_distance_m,
    cost231_hata_db,
    distance_3d_m,
    fspl_db,
    model_function,
    path_loss_db,
    resolve_model,
    rma_breakpoint_distance_m,
    rma_los_db,
    rma_mixed_db,
    rma_nlos_db,
    uma_los_db,
    uma_mixed_db,
    uma_nlos_db,
    umi_los_db,
    umi_mixed_db,
    umi_nlos_db,
)

__all__ = [
    "BAND_NUMEROLOGY",
    "COST231_VALID_MHZ",
    "C_38901_M_S",
    "DEFAULT_SCS_KHZ",
    "H_E_M",
    "MAX_RANGE_CAP_M",
    "MIN_DISTANCE_M",
    "MODEL_ALIASES",
    "N_RB_TABLE",
    "O2I_MODELS",
    "O2I_PLANNING_LOSS_DB",
    "O2I_SIGMA_DB",
    "PATH_LOSS_MODELS",
    "PLANNING_RELIABILITY",
    "SHADOW_FADING_SIGMA_DB",
    "SPEED_OF_LIGHT_M_S",
    "CellLosses",
    "ExtrapolationWarning",
    "LinkBudget",
    "ModelAlias",
    "ModelName",
    "Numerology",
    "antenna_gain_db",
    "band_numerology",
    "breakpoint_distance_m",
    "cell_losses",
    "combined_sigma_db",
    "cost231_hata_db",
    "dbm_to_mw",
    "distance_3d_m",
    "fspl_db",
    "indoor_margin_db",
    "los_probability_rma",
    "los_probability_uma",
    "los_probability_umi",
    "material_loss_db",
    "max_range_m",
    "median_indoor_distance_m",
    "model_function",
    "mw_to_dbm",
    "n_rb_for",
    "n_rb_per_cell",
    "noise_per_re_dbm",
    "o2i_loss_db",
    "path_loss_db",
    "range_within",
    "resolve_model",
    "rma_breakpoint_distance_m",
    "rma_los_db",
    "rma_mixed_db",
    "rma_nlos_db",
    "rsrp_dbm",
    "scs_khz_per_cell",
    "sector_attenuation_db",
    "shadow_fading_sigma_db",
    "shadow_margin_db",
    "sinr_db",
    "through_wall_loss_db",
    "uma_los_db",
    "uma_mixed_db",
    "uma_nlos_db",
    "umi_los_db",
    "umi_mixed_db",
    "umi_nlos_db",
]
