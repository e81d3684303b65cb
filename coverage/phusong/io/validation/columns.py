"""Column recognition: which input column holds which canonical field.

Input tables name their columns in many ways (English, Vietnamese with or
without accents, OpenCelliD's short names), often with the unit in brackets
(``"Độ cao (m)"``, ``"Công suất phát (W)"``, ``"EIRP [dBm]"``).
:func:`recognise_columns` matches them to the canonical fields of
:data:`CANDIDATES`, reads the unit each header declares (:data:`UNITS`) and
lists the columns it does not use; :func:`map_columns` gives only the match.
The per-field plausible ranges, canonical units and the hints used in
messages live here too, one owner for each.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

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
    "operator": (
        "operator",
        "nha_mang",
        "brand",
        "carrier",
        "nha_cung_cap",
        "network",
        "nmang",
        "doanh_nghiep",
        "nha_khai_thac",
    ),
    "area": ("area", "tac", "lac"),
    "cell": ("cell_id", "cell", "cellid", "ci", "nci", "eci", "ma_cell", "cell_name", "ten_cell"),
    "site": ("site_id", "site", "siteid", "site_name", "ma_tram", "tram", "ten_tram", "gnb_id"),
    "sector": ("sector", "sector_id", "sec", "sector_no", "sector_number"),
    "azimuth": (
        "azimuth_deg",
        "azimuth",
        "az",
        "azi",
        "huong",
        "huong_anten",
        "bearing",
        "goc_phuong_vi",
        "phuong_vi",
        "goc_huong",
    ),
    "height": (
        "height_m",
        "height",
        "antenna_height",
        "antenna_height_m",
        "chieu_cao",
        "do_cao",
        "ant_height",
        "agl",
        "do_cao_anten",
        "chieu_cao_anten",
        "do_cao_treo_anten",
        "do_cao_cot",
    ),
    "eirp": ("eirp_dbm", "eirp", "cong_suat_buc_xa", "cong_suat_buc_xa_dang_huong"),
    "tx_power": (
        "tx_power_dbm",
        "tx_power",
        "power_dbm",
        "txpower",
        "p_tx",
        "pout",
        "cong_suat",
        "cong_suat_phat",
        "transmit_power",
        "power",
    ),
    "tx_power_w": ("tx_power_w", "power_w", "cong_suat_w"),
    "gain": (
        "antenna_gain_dbi",
        "antenna_gain",
        "gain_dbi",
        "gain",
        "tang_ich",
        "do_loi",
        "do_loi_anten",
        "tang_ich_anten",
    ),
    "cable_loss": (
        "cable_loss_db",
        "cable_loss",
        "feeder_loss",
        "feeder_loss_db",
        "suy_hao",
        "suy_hao_cap",
        "suy_hao_feeder",
    ),
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
        "do_rong_bup",
        "goc_mo",
        "goc_mo_ngang",
    ),
    "tilt": (
        "tilt_deg",
        "tilt",
        "downtilt",
        "etilt",
        "electrical_tilt",
        "do_nghieng",
        "goc_nghieng",
        "goc_ngang",
    ),
    "range": (
        "range_m",
        "range",
        "radius",
        "radius_m",
        "ban_kinh",
        "ban_kinh_m",
        "ban_kinh_phu_song",
        "cell_range",
    ),
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


#: Canonical unit of each field that has one (the unit of the output column).
CANONICAL_UNITS: dict[str, str] = {
    "height": "m",
    "range": "m",
    "azimuth": "deg",
    "beamwidth": "deg",
    "tilt": "deg",
    "eirp": "dBm",
    "tx_power": "dBm",
    "tx_power_w": "W",
    "gain": "dBi",
    "cable_loss": "dB",
    "frequency": "MHz",
    "bandwidth": "MHz",
}

#: Unit spellings (normalised: lower case, no accents, no spaces) -> unit.
UNITS: dict[str, str] = {
    "m": "m",
    "met": "m",
    "metre": "m",
    "meter": "m",
    "metres": "m",
    "meters": "m",
    "km": "km",
    "ft": "ft",
    "feet": "ft",
    "dbm": "dBm",
    "dbw": "dBW",
    "w": "W",
    "watt": "W",
    "watts": "W",
    "kw": "kW",
    "mw": "mW",
    "dbi": "dBi",
    "dbd": "dBd",
    "db": "dB",
    "mhz": "MHz",
    "ghz": "GHz",
    "khz": "kHz",
    "hz": "Hz",
    "deg": "deg",
    "degree": "deg",
    "degrees": "deg",
    "do": "deg",
    "°": "deg",
    "rad": "rad",
}

#: Units each field can be converted from, into its canonical unit.
CONVERTIBLE: dict[str, tuple[str, ...]] = {
    "height": ("m", "km", "ft"),
    "range": ("m", "km", "ft"),
    "azimuth": ("deg", "rad"),
    "beamwidth": ("deg", "rad"),
    "tilt": ("deg", "rad"),
    "eirp": ("dBm", "dBW", "W", "kW", "mW"),
    "tx_power": ("dBm", "dBW", "W", "kW", "mW"),
    "tx_power_w": ("W", "kW", "mW"),
    "gain": ("dBi", "dBd"),
    "cable_loss": ("dB",),
    "frequency": ("MHz", "GHz", "kHz", "Hz"),
    "bandwidth": ("MHz", "GHz", "kHz", "Hz"),
}


@dataclass
class ColumnMatch:
    """Which input column holds which field, in which unit, and what is left over.

    Attributes
    ----------
    cols : dict
        Canonical field (keys of :data:`CANDIDATES`) -> input column.
    units : dict
        Field -> unit its header declares (a value of :data:`UNITS`), only
        for headers that declare one (``"Độ cao (m)"``, ``"eirp_dbm"``).
    unknown_units : dict
        Field -> unit text in its header that is not a known unit.
    unused : list
        Input columns matched to no field, in input order.
    """

    cols: dict[str, object] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    unknown_units: dict[str, str] = field(default_factory=dict)
    unused: list[object] = field(default_factory=list)


_BRACKETED = re.compile(r"^(.*?)[\s_]*[(\[]\s*([^()\[\]]*?)\s*[)\]]\s*$")


def split_unit(col: object) -> tuple[str, str | None]:
    """Normalised name and unit text of a header such as ``"Độ cao (m)"``.

    Returns
    -------
    (str, str or None)
        The name without the bracketed part, normalised like
        :func:`normalise_column_name` (``"do_cao"``), and the text in the
        last pair of brackets, normalised (``"m"``), or ``None`` when the
        header has no brackets.
    """
    match = _BRACKETED.match(str(col).strip())
    if match is None or not match.group(1).strip():
        return normalise_column_name(col), None
    unit = normalise_column_name(match.group(2)).replace("_", "") or str(match.group(2)).strip()
    return normalise_column_name(match.group(1)), unit


def normalise_column_name(col: object) -> str:
    """Column label as compared with :data:`CANDIDATES`.

    Lower case, accents removed (``đ`` -> ``d``), runs of spaces, dashes,
    colons, dots, slashes and brackets as one underscore, none at the ends:
    ``"Vĩ độ"`` -> ``"vi_do"``, ``"EIRP (dBm)"`` -> ``"eirp_dbm"``.
    """
    text = str(col).replace("đ", "d").replace("Đ", "D")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[\s\-:./()\[\]]+", "_", text.strip().lower()).strip("_")


def _implied_unit(fieldname: str, candidate: str) -> str | None:
    """Return the unit a candidate name itself spells (``eirp_dbm`` -> dBm, ``radius_m`` -> m)."""
    tail = candidate.rsplit("_", 1)[-1] if "_" in candidate else ""
    unit = UNITS.get(tail)
    return unit if unit in CONVERTIBLE.get(fieldname, ()) else None


def _name_variants(col: object) -> list[tuple[str, str | None]]:
    """(normalised name, unit text) ways to read one header, most literal first.

    ``"EIRP (dBm)"`` is tried as ``eirp_dbm`` (no separate unit), then as
    ``eirp`` in dBm; ``"Độ cao_m"`` as ``do_cao_m``, then ``do_cao`` in m.
    """
    full = normalise_column_name(col)
    out: list[tuple[str, str | None]] = [(full, None)]
    base, unit = split_unit(col)
    if unit is not None:
        out.append((base, unit))
    elif "_" in full and full.rsplit("_", 1)[1] in UNITS:
        stem, tail = full.rsplit("_", 1)
        out.append((stem, tail))
    return out


def recognise_columns(columns: Iterable[object]) -> ColumnMatch:
    """Match input column names to canonical fields, with their declared units.

    Parameters
    ----------
    columns : iterable
        Column labels of the input table.

    Returns
    -------
    ColumnMatch
        Matching ignores case, accents, spaces, dashes and a unit in
        brackets (``"Công suất phát (W)"`` is ``tx_power`` in W); for each
        field the first candidate found wins; a column is used for one field
        only. A unit spelled by the candidate itself (``eirp_dbm``) counts as
        declared.
    """
    columns = list(columns)
    match = ColumnMatch()
    used: set[int] = set()
    for rank in (0, 1):  # literal names for every field first, then names without a unit
        lookup: dict[str, tuple[object, str | None]] = {}
        for c in columns:
            variants = _name_variants(c)
            if rank < len(variants):
                lookup.setdefault(variants[rank][0], (c, variants[rank][1]))
        for fieldname, cands in CANDIDATES.items():
            if fieldname not in match.cols:
                _match_field(match, used, fieldname, cands, lookup)
    match.unused = [c for c in columns if id(c) not in used]
    return match


def _match_field(
    match: ColumnMatch,
    used: set[int],
    fieldname: str,
    cands: tuple[str, ...],
    lookup: dict[str, tuple[object, str | None]],
) -> None:
    """Give ``fieldname`` the first free column named by one of ``cands``, with its unit."""
    for cand in cands:
        found = lookup.get(cand)
        if found is None or id(found[0]) in used:
            continue
        col, unit_text = found
        match.cols[fieldname] = col
        used.add(id(col))
        unit = UNITS.get(unit_text) if unit_text else _implied_unit(fieldname, cand)
        if unit is not None:
            match.units[fieldname] = unit
        elif unit_text:
            match.unknown_units[fieldname] = unit_text
        return


def map_columns(columns: Iterable[object]) -> dict[str, object]:
    """Match input column names to canonical fields.

    Parameters
    ----------
    columns : iterable
        Column labels of the input table.

    Returns
    -------
    dict
        Canonical field (keys of :data:`CANDIDATES`) -> the input column used
        (see :func:`recognise_columns`, which also gives the units).
    """
    return recognise_columns(columns).cols
