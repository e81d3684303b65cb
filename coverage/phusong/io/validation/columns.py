"""Column recognition: which input column holds which canonical field.

Input tables name their columns in many ways (English, Vietnamese with or
without accents, OpenCelliD's short names). :func:`map_columns` matches them
to the canonical fields of :data:`CANDIDATES`; the per-field plausible ranges
and the hints used in messages live here too, one owner for each.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

#: Header of an OpenCelliD / Mozilla Location Service export.
OPENCELLID_COLUMNS = (
    "radio",
    "mcc",
    "net",
    "area",
    "cell",
    "unit",
    "lon",
    "lat",
    "range",
    "samples",
    "changeable",
    "created",
    "updated",
    "averageSignal",
)

#: Canonical field -> accepted column names (after
#: :func:`normalise_column_name`), most specific first.
CANDIDATES: dict[str, tuple[str, ...]] = {
    "lat": ("lat_deg", "lat", "latitude", "vi_do", "vido", "lat_dd", "y"),
    "lon": ("lon_deg", "lon", "lng", "long", "longitude", "kinh_do", "kinhdo", "lon_dd", "x"),
    "radio": ("radio", "rat", "technology", "tech", "cong_nghe", "generation", "radio_type"),
    "mcc": ("mcc",),
    "mnc": ("mnc", "net"),
    "operator": ("operator", "nha_mang", "brand", "carrier", "nha_cung_cap", "network", "nmang"),
    "area": ("area", "tac", "lac"),
    "cell": ("cell_id", "cell", "cellid", "ci", "nci", "eci", "ma_cell", "cell_name", "ten_cell"),
    "site": ("site_id", "site", "siteid", "site_name", "ma_tram", "tram", "ten_tram", "gnb_id"),
    "sector": ("sector", "sector_id", "sec", "sector_no", "sector_number"),
    "azimuth": ("azimuth_deg", "azimuth", "az", "azi", "huong", "huong_anten", "bearing"),
    "height": (
        "height_m",
        "height",
        "antenna_height",
        "antenna_height_m",
        "chieu_cao",
        "do_cao",
        "ant_height",
        "agl",
    ),
    "eirp": ("eirp_dbm", "eirp"),
    "tx_power": ("tx_power_dbm", "tx_power", "power_dbm", "txpower", "p_tx", "pout", "cong_suat"),
    "tx_power_w": ("tx_power_w", "power_w", "cong_suat_w"),
    "gain": ("antenna_gain_dbi", "antenna_gain", "gain_dbi", "gain", "tang_ich"),
    "cable_loss": ("cable_loss_db", "cable_loss", "feeder_loss", "feeder_loss_db", "suy_hao"),
    "frequency": ("frequency_mhz", "frequency", "freq", "freq_mhz", "tan_so", "tan_so_mhz"),
    "band": ("band", "nr_band", "bang_tan", "bang_tan_so"),
    "bandwidth": ("bandwidth_mhz", "bandwidth", "bw", "bw_mhz", "bang_thong"),
    "beamwidth": (
        "beamwidth_deg",
        "beamwidth",
        "beam_width",
        "hbw",
        "horizontal_beamwidth",
        "do_rong_bup_song",
    ),
    "tilt": ("tilt_deg", "tilt", "downtilt", "etilt", "electrical_tilt", "do_nghieng"),
    "range": ("range_m", "range", "radius", "radius_m", "ban_kinh", "ban_kinh_m"),
    "range_source": ("range_source",),
    "frequency_source": ("frequency_source",),
}

#: Every recognised column name, for header detection.
KNOWN_NAMES = frozenset(n for names in CANDIDATES.values() for n in names) | frozenset(
    c.lower() for c in OPENCELLID_COLUMNS
)

#: Plausible range of a field: name -> (low, high, unit, hint).
LIMITS: dict[str, tuple[float, float, str, str]] = {
    "height": (0.5, 500.0, "m", "antenna height above ground in metres"),
    "azimuth": (0.0, 360.0, "°", "bearing in degrees clockwise from north, 0–360"),
    "beamwidth": (1.0, 360.0, "°", "horizontal half-power beamwidth in degrees"),
    "tilt": (-30.0, 90.0, "°", "downtilt in degrees, positive down"),
    "eirp": (0.0, 90.0, "dBm", "EIRP per carrier in dBm (typical macro 60–68)"),
    "frequency": (400.0, 71_000.0, "MHz", "carrier frequency in MHz"),
    "bandwidth": (0.1, 2000.0, "MHz", "carrier bandwidth in MHz"),
    "range": (0.0, 100_000.0, "m", "footprint radius in metres"),
}

#: What a field holds, by field, as said in messages about it.
HINTS = {
    "lat": "latitude in decimal degrees, e.g. 21.0285",
    "lon": "longitude in decimal degrees, e.g. 105.8542",
    "mcc": "mobile country code, 452 for Vietnam",
    "mnc": "mobile network code, e.g. 4 for Viettel",
    "area": "LAC/TAC, a whole number",
    "cell": "cell id, a whole number",
    "tx_power": "transmit power in dBm",
    "tx_power_w": "transmit power in W",
    "gain": "antenna gain in dBi",
    "cable_loss": "cable loss in dB",
    **{k: v[3] for k, v in LIMITS.items()},
}

#: Canonical output column named in whole-file notes, by field.
CANONICAL = {
    "height": "height_m",
    "azimuth": "azimuth_deg",
    "beamwidth": "beamwidth_deg",
    "tilt": "tilt_deg",
    "eirp": "eirp_dbm",
    "frequency": "frequency_mhz",
    "bandwidth": "bandwidth_mhz",
    "range": "range_m",
}


def normalise_column_name(col: object) -> str:
    """Column label as compared with :data:`CANDIDATES`.

    Lower case, accents removed (``đ`` -> ``d``), runs of spaces, dashes,
    colons, dots, slashes and brackets as one underscore, none at the ends:
    ``"Vĩ độ"`` -> ``"vi_do"``, ``"EIRP (dBm)"`` -> ``"eirp_dbm"``.
    """
    text = str(col).replace("đ", "d").replace("Đ", "D")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[\s\-:./()\[\]]+", "_", text.strip().lower()).strip("_")


def map_columns(columns: Iterable[object]) -> dict[str, object]:
    """Match input column names to canonical fields.

    Parameters
    ----------
    columns : iterable
        Column labels of the input table.

    Returns
    -------
    dict
        Canonical field (keys of :data:`CANDIDATES`) -> the input column used.
        Matching ignores case, accents, spaces and dashes; the first candidate
        found wins; a column is used for one field only.
    """
    normalised: dict[str, object] = {}
    for c in columns:
        normalised.setdefault(normalise_column_name(c), c)
    out: dict[str, object] = {}
    used: set[int] = set()
    for fieldname, cands in CANDIDATES.items():
        for cand in cands:
            col = normalised.get(cand)
            if col is not None and id(col) not in used:
                out[fieldname] = col
                used.add(id(col))
                break
    return out
