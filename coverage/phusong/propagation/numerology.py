"""NR numerology per band: duplex mode, subcarrier spacing and resource blocks.

SS-RSRP is a power per resource element (TS 38.215 §5.1.1), so the number of
resource elements a carrier spreads its power over matters: a 10 MHz n28
carrier at 15 kHz has 52 resource blocks (TS 38.101-1 Table 5.3.2-1), not the
24 it would have at 30 kHz, which puts its RSRP 10 log10(52/24) = 3.36 dB
lower. The subcarrier spacing of each band is that of its SS/PBCH block
(TS 38.101-1 Table 5.4.3.3-1), the block SS-RSRP is measured on:

======  ======  ========  ==========================================
band    duplex  SCS       note
======  ======  ========  ==========================================
n1      FDD     15 kHz    2100 MHz
n3      FDD     15 kHz    1800 MHz
n8      FDD     15 kHz    900 MHz
n28     FDD     15 kHz    700 MHz (Viettel, 2×10 MHz)
n40     TDD     30 kHz    2300 MHz
n41     TDD     30 kHz    2.5 GHz (Viettel); SSB 15 or 30 kHz, 30 kHz
                          is the deployed numerology with 100 MHz
n77     TDD     30 kHz    3.3–4.2 GHz (MobiFone)
n78     TDD     30 kHz    3.3–3.8 GHz (VinaPhone)
n79     TDD     30 kHz    4.4–5.0 GHz
======  ======  ========  ==========================================

References
----------
.. [1] 3GPP TS 38.101-1, "NR; UE radio transmission and reception; Part 1:
   Range 1 Standalone", Table 5.2-1 (NR operating bands and duplex mode),
   Table 5.3.2-1 (maximum transmission bandwidth N_RB), Table 5.4.3.3-1
   (SS/PBCH block SCS per band).
.. [2] 3GPP TS 38.215, "NR; Physical layer measurements", §5.1.1 (SS-RSRP).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from phusong.propagation.linkbudget import N_RB_TABLE, n_rb_for

log = logging.getLogger(__name__)

__all__ = [
    "BAND_NUMEROLOGY",
    "DEFAULT_SCS_KHZ",
    "Numerology",
    "band_numerology",
    "n_rb_per_cell",
    "scs_khz_per_cell",
    "tabulated_bandwidths_mhz",
]


@dataclass(frozen=True)
class Numerology:
    """Duplex mode and subcarrier spacing of an NR band.

    Parameters
    ----------
    duplex : {"FDD", "TDD"}
        Duplex mode (TS 38.101-1 Table 5.2-1).
    scs_khz : int
        Subcarrier spacing of the carrier and its SS/PBCH block [kHz].
    """

    duplex: str
    scs_khz: int


#: NR band -> numerology (see the module docstring for the sources).
BAND_NUMEROLOGY: dict[str, Numerology] = {
    "n1": Numerology("FDD", 15),
    "n3": Numerology("FDD", 15),
    "n8": Numerology("FDD", 15),
    "n28": Numerology("FDD", 15),
    "n40": Numerology("TDD", 30),
    "n41": Numerology("TDD", 30),
    "n77": Numerology("TDD", 30),
    "n78": Numerology("TDD", 30),
    "n79": Numerology("TDD", 30),
}

#: SCS of a cell whose band is unknown or not in :data:`BAND_NUMEROLOGY` [kHz]
#: (30 kHz: the FR1 TDD bands that carry most 5G in Việt Nam).
DEFAULT_SCS_KHZ = 30


def band_numerology(band: str | None) -> Numerology | None:
    """Numerology of an NR band, or ``None`` when the band is not tabulated.

    Parameters
    ----------
    band : str or None
        3GPP NR band, e.g. ``"n28"`` (case and spaces ignored).

    Returns
    -------
    Numerology or None
    """
    if band is None:
        return None
    return BAND_NUMEROLOGY.get(str(band).strip().lower())


def scs_khz_per_cell(bands: ArrayLike, default_khz: float = DEFAULT_SCS_KHZ) -> NDArray[np.float64]:
    """Subcarrier spacing of each cell from its band [kHz].

    Parameters
    ----------
    bands : array_like of str
        Band of each cell (``"n28"``, …; missing or unknown → ``default_khz``).
    default_khz : float, default 30
        SCS of cells whose band is not in :data:`BAND_NUMEROLOGY` [kHz].

    Returns
    -------
    ndarray
        float64 SCS per cell [kHz].
    """
    values = np.asarray(bands, dtype=object).ravel()
    out = np.full(values.size, float(default_khz))
    for i, band in enumerate(values):
        num = band_numerology(band) if isinstance(band, str) else None
        if num is not None:
            out[i] = float(num.scs_khz)
    return out


def n_rb_per_cell(bandwidth_mhz: ArrayLike, scs_khz: ArrayLike) -> NDArray[np.int64]:
    """Resource blocks of each cell's carrier (TS 38.101-1 Table 5.3.2-1).

    Parameters
    ----------
    bandwidth_mhz : array_like
        Channel bandwidth of each cell [MHz].
    scs_khz : array_like
        Subcarrier spacing of each cell [kHz] (15 or 30).

    Returns
    -------
    ndarray of int
        N_RB per cell.

    Raises
    ------
    ConfigError
        A bandwidth the table does not hold at that SCS (the message lists the
        valid ones).
    """
    bw = np.atleast_1d(np.asarray(bandwidth_mhz, dtype=np.float64))
    scs = np.broadcast_to(np.asarray(scs_khz, dtype=np.float64), bw.shape)
    out = np.zeros(bw.shape, dtype=np.int64)
    for value in np.unique(scs):
        sel = scs == value
        out[sel] = np.atleast_1d(n_rb_for(bw[sel], scs_khz=float(value)))
    return out


def tabulated_bandwidths_mhz(scs_khz: float) -> tuple[int, ...]:
    """Channel bandwidths TS 38.101-1 Table 5.3.2-1 lists at ``scs_khz`` [MHz]."""
    return tuple(N_RB_TABLE.get(int(scs_khz), {}))
