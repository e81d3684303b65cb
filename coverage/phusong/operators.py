"""Vietnam's mobile operators, their 5G spectrum and default link parameters.

Provenance
----------
- The MCC-MNC table (MCC 452) is taken from the MIT-licensed ``mcc-mnc-list``
  package (facts from Wikipedia), as copied into the project brief
  (``shared/data/operators/vn_mcc452_mnc.csv``): 01 MobiFone, 02 VinaPhone,
  04 Viettel, 05 Vietnamobile, 07 Gmobile, 08 I-Telecom, 09 REDDI (an MVNO on
  VinaPhone); 03 (S-Fone) and 06 (EVNTelecom) are withdrawn. The package's
  ``bands`` column is outdated (no 5G) and is not used.
- The 5G spectrum is from docs/sources.md (auction results reported in
  2024-2025): Viettel 2500-2600 MHz (n41, 8 Mar 2024) and 700 MHz (n28, May
  2025); VinaPhone 3700-3800 MHz (n78, 19 Mar 2024); MobiFone 3800-3900 MHz
  (n77 only, above n78's 3800 MHz edge, 9 Jul 2024). The sources do not give
  Viettel's exact 700 MHz block: the 2×10 MHz FDD block 703-713 / 758-768 MHz
  is assumed (downlink centre 763 MHz).
- Default link parameters follow the typical FR1 macro link budget of docs/sources.md:
  46 dBm per carrier, 20 dBi antenna, 3 dB cable loss → 63 dBm EIRP per
  carrier (docs/sources.md range 60-68 dBm); 17 dBi for the 700 MHz panels → 60 dBm.
  Antenna height 25 m (3GPP TR 38.901 UMa h_BS), 65° horizontal beamwidth
  (38.901 Table 7.3-1 element), 6° electrical downtilt.

Default ranges
--------------
:data:`DEFAULT_RANGE_M` is the distance at which the outdoor SS-RSRP of a
default cell falls to the −110 dBm cell-edge planning value, with the 3GPP TR
38.901 UMa NLOS path loss (h_BS = 25 m, h_UT = 1.5 m, no shadowing margin)::

    RSRP = EIRP − 10 log10(12 N_RB) − PL(d)
    PL(d) = 13.54 + 39.08 log10(d_3D) + 20 log10(f_c / GHz)

with N_RB = 273 for 100 MHz at 30 kHz SCS and 52 for 10 MHz at 15 kHz SCS.
The disc and sector footprint models use it only when the input gives no range.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

#: Mobile country code of Vietnam.
MCC_VIETNAM = 452


@dataclass(frozen=True)
class Operator:
    """One mobile network code of MCC 452.

    Parameters
    ----------
    mnc : int
        Mobile network code.
    brand : str
        Brand shown to users (the ``operator`` column of the site table).
    company : str
        Company operating it.
    operational : bool
        ``False`` for withdrawn codes.
    notes : str
        Remarks from the source table.
    """

    mnc: int
    brand: str
    company: str
    operational: bool
    notes: str = ""


#: MCC 452 network codes (mcc-mnc-list, MIT licence).
MNC_TABLE: dict[int, Operator] = {
    1: Operator(1, "MobiFone", "Vietnam Mobile Telecom Services Company", True),
    2: Operator(2, "VinaPhone", "Vietnam Telecom Services Company (VNPT)", True),
    3: Operator(3, "S-Fone", "S-Telecom", False, "licence revoked; MNC withdrawn"),
    4: Operator(4, "Viettel", "Viettel Telecom", True),
    5: Operator(5, "Vietnamobile", "Hanoi Telecom", True),
    6: Operator(6, "EVNTelecom", "EVN Telecom", False, "licence revoked; MNC withdrawn"),
    7: Operator(7, "Gmobile", "GTEL Mobile JSC", True, "former Beeline"),
    8: Operator(8, "I-Telecom", "Indochina Telecom", True, "former EVNTelecom"),
    9: Operator(9, "REDDI", "MOBICAST JSC", True, "MVNO on VinaPhone"),
}

#: Operational MNCs (the codes a row may carry).
KNOWN_MNCS: tuple[int, ...] = tuple(m for m, op in MNC_TABLE.items() if op.operational)

#: Brand -> MNC for the operational codes.
OPERATOR_MNC: dict[str, int] = {op.brand: m for m, op in MNC_TABLE.items() if op.operational}

# Spellings met in operator sheets, normalised with :func:`_key` -> brand.
_ALIASES: dict[str, str] = {
    "viettel": "Viettel",
    "viettelmobile": "Viettel",
    "vietteltelecom": "Viettel",
    "vtl": "Viettel",
    "vt": "Viettel",
    "vinaphone": "VinaPhone",
    "vnpt": "VinaPhone",
    "vnptvinaphone": "VinaPhone",
    "vina": "VinaPhone",
    "vnp": "VinaPhone",
    "mobifone": "MobiFone",
    "mobi": "MobiFone",
    "mbf": "MobiFone",
    "vms": "MobiFone",
    "vietnamobile": "Vietnamobile",
    "vnmobile": "Vietnamobile",
    "hanoitelecom": "Vietnamobile",
    "gmobile": "Gmobile",
    "beeline": "Gmobile",
    "gtel": "Gmobile",
    "itelecom": "I-Telecom",
    "itel": "I-Telecom",
    "reddi": "REDDI",
    "mobicast": "REDDI",
}


def _key(text: object) -> str:
    norm = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", norm.lower())


def operator_brand(name: object) -> str | None:
    """Brand for an operator name as written in a sheet, or ``None`` if unknown.

    Case, accents, spaces and punctuation are ignored (``"VNPT-VinaPhone"`` and
    ``"vinaphone"`` both give ``"VinaPhone"``).
    """
    key = _key(name)
    if key in _ALIASES:
        return _ALIASES[key]
    for brand in OPERATOR_MNC:
        if _key(brand) == key:
            return brand
    return None


@dataclass(frozen=True)
class Carrier:
    """One operator's 5G carrier.

    Parameters
    ----------
    operator : str
        Brand.
    band : str
        3GPP NR band.
    low_mhz, high_mhz : float
        Edges of the licensed (downlink) block [MHz].
    bandwidth_mhz : float
        Carrier bandwidth [MHz].
    duplex : str
        ``"TDD"`` or ``"FDD"``.
    """

    operator: str
    band: str
    low_mhz: float
    high_mhz: float
    bandwidth_mhz: float
    duplex: str

    @property
    def centre_mhz(self) -> float:
        """Carrier centre frequency [MHz]."""
        return (self.low_mhz + self.high_mhz) / 2


#: Each operator's 5G carriers, primary (inferred when a row gives none) first.
SPECTRUM_5G: dict[str, tuple[Carrier, ...]] = {
    "Viettel": (
        Carrier("Viettel", "n41", 2500.0, 2600.0, 100.0, "TDD"),
        Carrier("Viettel", "n28", 758.0, 768.0, 10.0, "FDD"),
    ),
    "VinaPhone": (Carrier("VinaPhone", "n78", 3700.0, 3800.0, 100.0, "TDD"),),
    "MobiFone": (Carrier("MobiFone", "n77", 3800.0, 3900.0, 100.0, "TDD"),),
}

#: 3GPP TS 38.101-1 NR bands used here: band -> (DL low, DL high) [MHz].
NR_BANDS: dict[str, tuple[float, float]] = {
    "n28": (758.0, 803.0),
    "n41": (2496.0, 2690.0),
    "n78": (3300.0, 3800.0),
    "n77": (3300.0, 4200.0),
    "n1": (2110.0, 2170.0),
    "n3": (1805.0, 1880.0),
    "n8": (925.0, 960.0),
    "n40": (2300.0, 2400.0),
    "n79": (4400.0, 5000.0),
    "n257": (26500.0, 29500.0),
    "n258": (24250.0, 27500.0),
}

#: Band assumed for an NR row with no frequency, no band and no operator with
#: known 5G spectrum (n78, the most deployed FR1 band); the row gets a note.
FALLBACK_BAND = "n78"

#: Default carrier bandwidth by band when a row gives none [MHz].
DEFAULT_BANDWIDTH_MHZ: dict[str, float] = {"n28": 10.0, "n8": 10.0, "n1": 20.0, "n3": 20.0}
#: Default bandwidth for bands not listed above [MHz].
DEFAULT_BANDWIDTH_OTHER_MHZ = 100.0

#: Default footprint radius by band [m] (see the module docstring: −110 dBm
#: SS-RSRP, 38.901 UMa NLOS, default EIRP, h_BS 25 m, h_UT 1.5 m).
DEFAULT_RANGE_M: dict[str, float] = {"n28": 2230.0, "n41": 940.0, "n78": 770.0, "n77": 760.0}
#: Default radius for NR bands without an entry above [m] (the n78 value).
DEFAULT_RANGE_NR_OTHER_M = 770.0

#: Defaults for other radio technologies when read for comparison:
#: radio -> (band label, centre frequency [MHz], bandwidth [MHz], range [m]).
#: Rules of thumb for macro cells (GSM 900, UMTS 2100, LTE 1800, CDMA 850),
#: not derived from a link budget.
RADIO_DEFAULTS: dict[str, tuple[str, float, float, float]] = {
    "LTE": ("B3", 1842.5, 20.0, 1500.0),
    "UMTS": ("B1", 2140.0, 5.0, 1500.0),
    "GSM": ("GSM900", 947.5, 0.2, 3000.0),
    "CDMA": ("BC0", 881.5, 1.25, 3000.0),
}

#: Radio technologies the readers know.
RADIOS: tuple[str, ...] = ("NR", "LTE", "UMTS", "GSM", "CDMA")

#: Default antenna height above ground, urban macro [m] (38.901 UMa h_BS).
DEFAULT_HEIGHT_M = 25.0
#: Default transmit power per carrier at the radio [dBm].
DEFAULT_TX_POWER_DBM = 46.0
#: Default antenna gain [dBi].
DEFAULT_ANTENNA_GAIN_DBI = 20.0
#: Default cable (feeder) loss [dB].
DEFAULT_CABLE_LOSS_DB = 3.0
#: Default EIRP per carrier [dBm] = 46 dBm + 20 dBi − 3 dB.
DEFAULT_EIRP_DBM = DEFAULT_TX_POWER_DBM + DEFAULT_ANTENNA_GAIN_DBI - DEFAULT_CABLE_LOSS_DB
#: Default EIRP per band where it differs [dBm] (700 MHz: 46 + 17 − 3).
DEFAULT_EIRP_BY_BAND_DBM: dict[str, float] = {"n28": 60.0}
#: Default horizontal half-power beamwidth [degrees].
DEFAULT_BEAMWIDTH_DEG = 65.0
#: Default electrical downtilt [degrees].
DEFAULT_TILT_DEG = 6.0


def default_range_m(band: str | None, radio: str = "NR") -> float:
    """Default footprint radius for a band (NR) or a radio technology [m]."""
    if radio != "NR" and radio in RADIO_DEFAULTS:
        return RADIO_DEFAULTS[radio][3]
    return DEFAULT_RANGE_M.get(str(band), DEFAULT_RANGE_NR_OTHER_M)


def default_eirp_dbm(band: str | None) -> float:
    """Default EIRP per carrier for a band [dBm]."""
    return DEFAULT_EIRP_BY_BAND_DBM.get(str(band), DEFAULT_EIRP_DBM)


def default_bandwidth_mhz(band: str | None) -> float:
    """Default carrier bandwidth for a band [MHz]."""
    return DEFAULT_BANDWIDTH_MHZ.get(str(band), DEFAULT_BANDWIDTH_OTHER_MHZ)


def band_for_frequency(frequency_mhz: float) -> str | None:
    """NR band holding a downlink frequency, preferring the narrowest band.

    3300-3800 MHz is in both n77 and n78; n78 (narrower) is returned, as
    3GPP terminals report it. Returns ``None`` outside the listed bands.
    """
    best: tuple[float, str] | None = None
    for band, (lo, hi) in NR_BANDS.items():
        if lo <= frequency_mhz <= hi and (best is None or hi - lo < best[0]):
            best = (hi - lo, band)
    return None if best is None else best[1]


def carrier_for(operator: str, band: str | None = None) -> Carrier | None:
    """Return the operator's carrier in ``band`` (its primary one when ``band`` is None)."""
    carriers = SPECTRUM_5G.get(operator, ())
    if band is None:
        return carriers[0] if carriers else None
    for carrier in carriers:
        if carrier.band == band:
            return carrier
    return None


def known_mnc_text() -> str:
    """Human list of the operational MNCs, e.g. ``"01 MobiFone, 02 VinaPhone, …"``."""
    return ", ".join(f"{m:02d} {MNC_TABLE[m].brand}" for m in KNOWN_MNCS)


__all__ = [
    "DEFAULT_BEAMWIDTH_DEG",
    "DEFAULT_EIRP_DBM",
    "DEFAULT_HEIGHT_M",
    "DEFAULT_RANGE_M",
    "DEFAULT_TILT_DEG",
    "KNOWN_MNCS",
    "MCC_VIETNAM",
    "MNC_TABLE",
    "NR_BANDS",
    "OPERATOR_MNC",
    "RADIOS",
    "RADIO_DEFAULTS",
    "SPECTRUM_5G",
    "Carrier",
    "Operator",
    "band_for_frequency",
    "carrier_for",
    "default_bandwidth_mhz",
    "default_eirp_dbm",
    "default_range_m",
    "known_mnc_text",
    "operator_brand",
]
