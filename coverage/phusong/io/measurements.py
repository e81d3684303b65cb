"""Read signal measurements (drive tests, crowdsourced exports) into a canonical table.

A measurement is a point where a phone or a scanner measured the signal of
the cell serving it: position, SS-RSRP (or RSRP) [dBm], and optionally the
time, the operator (name, MNC or ``MCC-MNC``), the serving cell (cell id /
NCI / ECI / CGI / cell name, PCI), the channel (NR-ARFCN or EARFCN, band or
frequency) and the network mode (NR, LTE).

Formats: CSV / TSV (``,`` ``;`` tab or ``|``; UTF-8, UTF-16 or
Windows-1258; leading ``#`` comment lines skipped), plain or gzipped, XLSX,
GeoJSON / GeoPackage / GeoParquet of points, plain Parquet, or a zip holding
one of them. Columns are recognised by name, case, accents, spaces and units
in brackets ignored (:data:`MEASUREMENT_CANDIDATES`): the layouts of common
exports (G-NetTrack-style ``Longitude / Latitude / Operatorname / CellID /
NetworkTech / Level / ARFCN``, Network Survey ``latitude / longitude / mcc /
mnc / nci / narfcn / pci / ssRsrp``, CellMapper ``latitude / longitude / MCC
/ MNC / CID / signal / type / ARFCN / PSC``, scanner exports such as
``Latitude / Longitude / NR_SS_RSRP``, OpenCelliD's ``averageSignal``) and
Vietnamese headers (``Vĩ độ``, ``Kinh độ``, ``Nhà mạng``, ``Cường độ tín hiệu``).

The rows are checked with the site reader's checkers
(:mod:`phusong.io.validation`: positions, swapped coordinates, MCC / MNC /
operator, network mode) plus the measurement checks of this module (RSRP
unit and range, channel). Every rejected row is listed with file, row,
column, reason and value in a
:class:`~phusong.io.validation.ValidationReport`, exactly as for sites.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
import shapely

from phusong import operators as ops
from phusong.errors import DataError, Problem
from phusong.io.files import (
    MAX_UPLOAD_BYTES,
    RawInput,
    Source,
    check_zip_sizes,
    gunzip_safely,
    load_input,
    materialise,
    safe_zip_members,
)
from phusong.io.shipped import data_path
from phusong.io.text_tables import decode_text_table, read_delimited, sniff_delimiter
from phusong.io.validation import (
    CANDIDATES,
    MAX_DISTANCE_KM,
    ValidationReport,
    check_on_invalid,
    normalise_column_name,
    radio_selection,
    study_bounds,
)
from phusong.io.validation.assemble import report_validation
from phusong.io.validation.coordinates import check_coordinates
from phusong.io.validation.operators import check_network
from phusong.io.validation.radio import check_radio, select_radios
from phusong.io.validation.rows import RowState
from phusong.io.validation.values import as_text, parse_numbers, string_array
from phusong.io.workbooks import unique_names
from phusong.schema import WGS84

log = logging.getLogger(__name__)

#: Shipped SYNTHETIC sample measurement file (``data/sample``).
SAMPLE_MEASUREMENTS_FILE = "hanoi_drive_test_SYNTHETIC.csv"

#: Canonical field -> accepted column names (after
#: :func:`~phusong.io.validation.normalise_column_name`), most specific first.
#: Positions, operator and network identity extend the site reader's names.
MEASUREMENT_CANDIDATES: dict[str, tuple[str, ...]] = {
    "lat": (*CANDIDATES["lat"], "gps_lat", "gps_latitude", "lat_wgs84", "latitude_deg"),
    "lon": (*CANDIDATES["lon"], "gps_lon", "gps_longitude", "lon_wgs84", "longitude_deg"),
    "rsrp": (
        "ss_rsrp_dbm", "ss_rsrp", "ssrsrp", "nr_ss_rsrp", "nr_ss_rsrp_dbm", "nr_ssrsrp",
        "nr_rsrp", "nr_rsrp_dbm", "rsrp_nr", "5g_rsrp", "rsrp_dbm", "rsrp", "lte_rsrp",
        "averagesignal", "average_signal", "signal_dbm", "signal_strength_dbm", "nrlevel",
        "level", "level_dbm", "signal", "cuong_do_tin_hieu", "cuong_do_tin_hieu_dbm",
        "cuong_do_song", "muc_tin_hieu", "muc_thu",
    ),
    "time": (
        "time", "timestamp", "datetime", "date_time", "devicetime", "device_time", "time_utc",
        "utc", "thoi_gian", "ngay_gio", "thoi_diem",
    ),
    "operator": (
        *CANDIDATES["operator"], "operatorname", "operator_name", "provider", "network_operator",
        "ten_nha_mang",
    ),
    "mcc": ("mcc",),
    "mnc": ("mnc", "net"),
    "mcc_mnc": ("mcc_mnc", "mccmnc", "plmn", "plmn_id", "mcc_mnc_code"),
    "radio": (
        "radio", "rat", "technology", "tech", "networktech", "network_tech", "networkmode",
        "network_mode", "network_type", "networktype", "type", "cong_nghe", "che_do_mang",
    ),
    "cell": (
        "cell_id", "cellid", "cell", "nci", "nr_nci", "nr_cell_id", "eci", "cid", "ci", "cgi",
        "ncgi", "ecgi", "cellname", "cell_name", "ma_cell", "ten_cell",
    ),
    "pci": ("pci", "nr_pci", "physical_cell_id", "unit", "psc"),
    "arfcn": (
        "nr_arfcn", "nrarfcn", "narfcn", "ssb_arfcn", "arfcn", "dl_arfcn", "earfcn", "dl_earfcn",
        "kenh",
    ),
    "band": ("band", "nr_band", "bang_tan", "bang_tan_so"),
    "frequency": ("frequency_mhz", "frequency", "freq", "freq_mhz", "tan_so", "tan_so_mhz"),
}  # fmt: skip

#: Columns of the canonical measurement table: name -> (dtype, meaning).
MEASUREMENT_COLUMNS: dict[str, tuple[str, str]] = {
    "lon_deg": ("float64", "longitude, WGS84 [degrees]"),
    "lat_deg": ("float64", "latitude, WGS84 [degrees]"),
    "rsrp_dbm": ("float64", "measured SS-RSRP (or RSRP) [dBm]"),
    "time": ("datetime64[ns, UTC]", "time of the measurement (NaT when not given)"),
    "operator": ("string", "operator brand, or 'unknown'"),
    "mnc": ("Int64", "mobile network code"),
    "radio": ("string", "network mode: NR, LTE, …"),
    "cell_id": ("string", "serving cell as given (cell id, NCI, CGI or name); <NA> if none"),
    "pci": ("Int64", "physical cell id; <NA> if none"),
    "arfcn": ("Int64", "NR-ARFCN (NR rows) or EARFCN (LTE rows); <NA> if none"),
    "frequency_mhz": (
        "float64",
        "downlink frequency [MHz] from the ARFCN or the file; NaN if none",
    ),
    "band": ("string", "3GPP band (n41, n78, …) from the file or the frequency; <NA> if none"),
    "source_row": ("Int64", "row in the source file (header = row 1)"),
}

#: Plausible SS-RSRP [dBm]: a little wider than the TS 38.133 §10.1.6
#: reporting range (−156 … −31 dBm), to keep strong readings next to a mast.
RSRP_RANGE_DBM: tuple[float, float] = (-160.0, -20.0)

#: TS 38.104 §5.4.2.1 global frequency raster: (N_low, N_high, ΔF_Global [kHz],
#: F_REF-Offs [MHz], N_REF-Offs).
NR_ARFCN_RASTER: tuple[tuple[int, int, float, float, int], ...] = (
    (0, 599_999, 5.0, 0.0, 0),
    (600_000, 2_016_666, 15.0, 3000.0, 600_000),
    (2_016_667, 3_279_165, 60.0, 24250.08, 2_016_667),
)

#: TS 36.101 Table 5.7.3-1 (LTE bands used in Việt Nam and neighbours):
#: band -> (F_DL_low [MHz], N_Offs-DL, N_DL range low, high).
EARFCN_BANDS: dict[str, tuple[float, int, int, int]] = {
    "B1": (2110.0, 0, 0, 599),
    "B3": (1805.0, 1200, 1200, 1949),
    "B7": (2620.0, 2750, 2750, 3449),
    "B8": (925.0, 3450, 3450, 3799),
    "B28": (758.0, 9210, 9210, 9659),
    "B40": (2300.0, 38650, 38650, 39649),
    "B41": (2496.0, 39650, 39650, 41589),
}


def sample_measurements_path() -> Any:
    """Path of the shipped SYNTHETIC drive-test sample (``data/sample``)."""
    return data_path("sample", SAMPLE_MEASUREMENTS_FILE)


# --------------------------------------------------------------------------- reading


def read_measurements(
    source: Source,
    *,
    radio: str | Sequence[str] | None = "NR",
    study_area: Any = None,
    max_bytes: int = MAX_UPLOAD_BYTES,
    on_invalid: Literal["report", "raise"] = "report",
    max_distance_km: float = MAX_DISTANCE_KM,
    name: str | None = None,
) -> tuple[pd.DataFrame, ValidationReport]:
    """Read a measurement file into the canonical measurement table, with a report.

    Parameters
    ----------
    source : path, bytes, file-like or DataFrame
        CSV / TSV (plain or ``.gz``), XLSX, GeoJSON / GeoPackage / GeoParquet
        of points, Parquet, or a zip holding one; or a table already in memory
        (row ``i`` is reported as row ``i + 2``).
    radio : str, list of str or None
        Network modes to keep (default ``"NR"``); rows of other modes are
        counted in the report as filtered. ``None`` keeps all.
    study_area : GeoDataFrame, polygon, bounds or None
        Where the measurements should be (default: the shipped Hà Nội wards);
        used to put back swapped latitude/longitude and reject far points.
    max_bytes : int
        Largest accepted file [bytes].
    on_invalid : {"report", "raise"}
        ``"raise"``: any rejected row raises :class:`~phusong.errors.DataError`
        listing them all.
    max_distance_km : float
        Rows farther than this outside the study area's bounds are rejected [km].
    name : str, optional
        File name shown in messages.

    Returns
    -------
    measurements : DataFrame
        Columns of :data:`MEASUREMENT_COLUMNS`; ``attrs["source"]`` is the file
        name, ``attrs["synthetic"]`` whether it says SYNTHETIC (name or content),
        ``attrs["rsrp_column"]`` the input column read as RSRP.
    report : ValidationReport
        Rows read / accepted / rejected / filtered, rejected rows and notes.

    Raises
    ------
    DataError
        File-level problems (not a table, no position or RSRP column, every
        row rejected), or any rejected row with ``on_invalid="raise"``.
    ConfigError
        Invalid ``radio`` or ``on_invalid``.
    """
    check_on_invalid(on_invalid)
    selection = radio_selection(radio)
    if isinstance(source, pd.DataFrame):
        parsed = _frame_input(source, name or "<table>")
    else:
        raw = load_input(source, max_bytes=max_bytes, name=name)
        parsed = _parse(raw, depth=0)
    return validate_measurements(
        parsed, selection, study_area=study_area, max_distance_km=max_distance_km,
        on_invalid=on_invalid,
    )  # fmt: skip


@dataclass
class ParsedTable:
    """A measurement table as parsed from a file, before validation.

    Attributes
    ----------
    name : str
        File name shown in messages.
    frame : DataFrame
        Raw columns.
    rows : numpy.ndarray
        1-based source row of each table row.
    notes : list of str
        Whole-file notes of the reader.
    coords : (lon, lat) arrays or None
        Positions from point geometries [degrees].
    synthetic : bool
        Whether the file says SYNTHETIC (name or a leading comment).
    """

    name: str
    frame: pd.DataFrame
    rows: np.ndarray
    notes: list[str] = field(default_factory=list)
    coords: tuple[np.ndarray, np.ndarray] | None = None
    synthetic: bool = False


def _frame_input(frame: pd.DataFrame, name: str) -> ParsedTable:
    """Take a table given in memory (a GeoDataFrame's point geometry gives the positions)."""
    coords = None
    notes: list[str] = []
    if hasattr(frame, "geometry") and getattr(frame, "crs", None) is not None:
        geom = frame.geometry.to_crs(WGS84)
        if (geom.geom_type == "Point").all():
            coords = (geom.x.to_numpy(dtype="float64"), geom.y.to_numpy(dtype="float64"))
        frame = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    frame = frame.reset_index(drop=True)
    rows = np.arange(2, len(frame) + 2, dtype=np.int64)
    return ParsedTable(name, frame, rows, notes, coords, "SYNTHETIC" in name.upper())


# --------------------------------------------------------------------------- formats


def _parse(raw: RawInput, depth: int) -> ParsedTable:
    """Parse the bytes of one input by content (gzip, zip/XLSX, Parquet, vector, text)."""
    data = raw.data
    blank = b" \t\r\n\x00\xef\xbb\xbf"
    if not data[:65536].strip(blank) and not data.strip(blank):
        raise DataError("the file is empty; export the measurements again.", file=raw.name)
    if data[:2] == b"\x1f\x8b":
        inner = raw.name[:-3] if raw.name.lower().endswith(".gz") else raw.name + ".csv"
        return _parse(RawInput(inner, gunzip_safely(raw), None), depth)
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        if raw.suffix in (".xlsx", ".xlsm") or b"xl/workbook" in data[:65536]:
            return _read_excel(raw)
        if depth > 0:
            raise DataError("a zip inside a zip is not read; unzip the outer one.", file=raw.name)
        return _read_zip(raw)
    if data[:4] == b"PAR1":
        return _read_parquet(raw)
    if data[:16] == b"SQLite format 3\x00":
        return _read_vector(raw, ".gpkg")
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if raw.suffix in (".geojson", ".json") or head[:1] in (b"{", b"["):
        return _read_vector(raw, ".geojson")
    return _read_text(raw)


def _read_zip(raw: RawInput) -> ParsedTable:
    """Parse the first measurement table (CSV, XLSX, GeoJSON, GPKG, Parquet) of a zip."""
    members = safe_zip_members(raw)
    names = [m for m in members if not m.split("/")[-1].startswith(".") and "__MACOSX" not in m]
    usable = (".csv", ".csv.gz", ".tsv", ".txt", ".xlsx", ".geojson", ".json", ".gpkg", ".parquet")
    chosen = [m for m in names if m.lower().endswith(usable)]
    if not chosen:
        raise DataError(
            "the zip holds no measurement file (.csv, .txt, .xlsx, .geojson, .gpkg, .parquet); "
            f"it holds: {', '.join(names[:20]) or 'nothing'}.",
            file=raw.name,
        )
    parsed = _parse(RawInput(f"{raw.name}/{chosen[0]}", members[chosen[0]], None), depth=1)
    parsed.notes.insert(0, f"read '{chosen[0]}' from the zip.")
    if len(chosen) > 1:
        parsed.notes.insert(1, f"the zip holds {len(chosen)} files; only '{chosen[0]}' was read.")
    return parsed


def _read_vector(raw: RawInput, suffix: str) -> ParsedTable:
    """Points of a GeoJSON / GeoPackage: attributes and WGS84 positions."""
    import pyogrio

    with materialise(raw, suffix) as path:
        try:
            gdf = pyogrio.read_dataframe(path)
        except Exception as exc:
            raise DataError(
                f"could not read the vector file ({type(exc).__name__}: {exc}).", file=raw.name
            ) from exc
    return _from_geoframe(gdf, raw.name)


def _read_parquet(raw: RawInput) -> ParsedTable:
    """Parse a GeoParquet of points, or a plain Parquet table."""
    import geopandas as gpd

    with materialise(raw, ".parquet") as path:
        try:
            return _from_geoframe(gpd.read_parquet(path), raw.name)
        except ValueError:  # no geo metadata: a plain table
            try:
                frame = pd.read_parquet(path)
            except Exception as exc:
                raise DataError(f"could not read the Parquet file ({exc}).", file=raw.name) from exc
        except Exception as exc:
            raise DataError(f"could not read the GeoParquet file ({exc}).", file=raw.name) from exc
    rows = np.arange(2, len(frame) + 2, dtype=np.int64)
    return ParsedTable(raw.name, frame, rows, synthetic="SYNTHETIC" in raw.name.upper())


def _from_geoframe(gdf: Any, shown: str) -> ParsedTable:
    """Attributes and point positions of a GeoDataFrame (attribute lat/lon dropped)."""
    if gdf.crs is None:
        raise DataError(
            "the vector file has no coordinate reference system; save it with one "
            "(EPSG:4326 for GPS positions).",
            file=shown,
        )
    if len(gdf) == 0:
        raise DataError("the vector file has no features.", file=shown)
    arr = gdf.geometry.to_crs(WGS84).to_numpy()
    point = (shapely.get_type_id(arr) == 0) & ~shapely.is_empty(arr)
    lon = np.where(point, shapely.get_x(np.where(point, arr, None)), np.nan).astype("float64")
    lat = np.where(point, shapely.get_y(np.where(point, arr, None)), np.nan).astype("float64")
    frame = pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).reset_index(drop=True)
    cols = map_measurement_columns(frame.columns)
    frame = frame.drop(columns=[cols[k] for k in ("lat", "lon") if k in cols])
    notes = []
    if gdf.crs.to_epsg() != 4326:
        notes.append(f"positions reprojected from {gdf.crs.to_string()} to EPSG:4326.")
    rows = np.arange(2, len(frame) + 2, dtype=np.int64)
    return ParsedTable(shown, frame, rows, notes, (lon, lat), "SYNTHETIC" in shown.upper())


def _read_excel(raw: RawInput) -> ParsedTable:
    """Parse the first sheet whose first 20 rows hold a header naming latitude and longitude."""
    check_zip_sizes(raw)  # a workbook is a zip: refuse a bomb before inflating it
    try:
        sheets = pd.read_excel(io.BytesIO(raw.data), sheet_name=None, header=None, dtype=object)
    except Exception as exc:
        raise DataError(
            f"could not read the Excel file ({type(exc).__name__}: {exc}); save it as .xlsx or CSV.",
            file=raw.name,
        ) from exc
    for sheet, grid in sheets.items():
        grid = grid.dropna(how="all", axis=1)
        for i in range(min(20, len(grid))):
            header = [str(v).strip() if not pd.isna(v) else f"column_{j + 1}"
                      for j, v in enumerate(grid.iloc[i])]  # fmt: skip
            cols = map_measurement_columns(header)
            if "lat" in cols and "lon" in cols:
                frame = grid.iloc[i + 1 :].copy()
                frame.columns = unique_names(header)
                rows = np.asarray(frame.index, dtype=np.int64) + 1
                blank = frame.isna().all(axis=1).to_numpy()
                frame = frame.loc[~blank].reset_index(drop=True)
                notes = (
                    [f"read sheet '{sheet}' (header on row {i + 1})."] if len(sheets) > 1 else []
                )
                synthetic = "SYNTHETIC" in raw.name.upper()
                return ParsedTable(raw.name, frame, rows[~blank], notes, None, synthetic)
    raise DataError(
        "no sheet has a header row naming a latitude and a longitude column in its first 20 "
        "rows; add one (e.g. Latitude, Longitude, RSRP).",
        file=raw.name,
    )


# --------------------------------------------------------------------------- text


def _skip_comments(data: bytes) -> tuple[bytes, int, bool]:
    """Drop leading blank and ``#`` comment lines.

    Returns the rest, the number of lines dropped and whether a comment says
    SYNTHETIC.
    """
    dropped, synthetic, pos = 0, False, 0
    while pos < len(data):
        end = data.find(b"\n", pos)
        end = len(data) if end < 0 else end
        line = data[pos:end].strip()
        if line and not line.startswith(b"#"):
            break
        synthetic |= b"SYNTHETIC" in line.upper()
        dropped += 1
        pos = end + 1
    return data[pos:], dropped, synthetic


#: The formats this reader accepts, named when a file is not a table.
MEASUREMENT_FORMATS = "a CSV, XLSX, GeoJSON, GeoPackage or Parquet file"


def _read_text(raw: RawInput) -> ParsedTable:
    """Parse a delimited text table: header row, then one measurement per line."""
    decoded, notes = decode_text_table(raw, MEASUREMENT_FORMATS)
    data, skipped, synthetic = _skip_comments(decoded)
    lines = [ln for ln in data[:65536].decode("utf-8", errors="ignore").splitlines()[:50] if ln]
    if len(data) > 65536 and len(lines) > 1:
        lines = lines[:-1]
    if not lines:
        raise DataError("the file has no header row and no data.", file=raw.name)
    delim = sniff_delimiter(lines)
    header = [h.strip() for h in next(csv.reader([lines[0]], delimiter=delim))]
    if len(header) < 2:
        raise DataError(
            f"only one column found (first row: {lines[0][:80]!r}); separate the columns with "
            "',' ';' or tab and include latitude, longitude and RSRP columns.",
            file=raw.name,
        )
    if skipped:
        notes.append(f"{skipped} comment line(s) before the header skipped.")
    names = unique_names(header)
    arrow = read_delimited(data, delim, names, header=True, shown=raw.name, line_offset=skipped)
    frame, rows = arrow if arrow is not None else _csv_python(data, delim, names, skipped)
    synthetic |= "SYNTHETIC" in raw.name.upper()
    return ParsedTable(raw.name, frame, rows, notes, None, synthetic)


def _csv_python(
    data: bytes, delim: str, names: list[str], offset: int
) -> tuple[pd.DataFrame, np.ndarray]:
    """Parse with Python's csv module (quoted line breaks, ragged rows)."""
    records = list(csv.reader(io.StringIO(data.decode("utf-8", errors="replace"), newline=""),
                              delimiter=delim))  # fmt: skip
    width = len(names)
    kept, rows = [], []
    for i, rec in enumerate(records[1:], start=2 + offset):
        if rec and any(f.strip() for f in rec):
            kept.append((rec + [""] * width)[:width])
            rows.append(i)
    frame = (
        pd.DataFrame(kept, columns=names, dtype="string") if kept else pd.DataFrame(columns=names)
    )
    return frame.mask(frame == ""), np.asarray(rows, dtype=np.int64)


# --------------------------------------------------------------------------- columns


def map_measurement_columns(columns: Iterable[object]) -> dict[str, object]:
    """Match input column names to the fields of :data:`MEASUREMENT_CANDIDATES`.

    Matching ignores case, accents, spaces, dashes and units in brackets
    (``"NR_SS_RSRP (dBm)"`` is ``nr_ss_rsrp_dbm``); the first candidate found
    wins and a column serves one field only.
    """
    normalised: dict[str, object] = {}
    for c in columns:
        normalised.setdefault(normalise_column_name(c), c)
    out: dict[str, object] = {}
    used: set[str] = set()
    for fieldname, cands in MEASUREMENT_CANDIDATES.items():
        for cand in cands:
            col = normalised.get(cand)
            if col is not None and str(col) not in used:
                out[fieldname] = col
                used.add(str(col))
                break
    return out


def _split_mcc_mnc(frame: pd.DataFrame, cols: dict[str, object]) -> pd.DataFrame:
    """Split a combined ``MCC-MNC`` column (``452-04``, ``45204``) into mcc and mnc.

    An operator column holding such codes (G-NetTrack's ``Operator``) counts
    as one; the operator name then comes from the next name column, if any.
    """
    if "operator" in cols and "mcc_mnc" not in cols:
        values = pd.Series(pd.unique(frame[cols["operator"]].dropna()))
        text = as_text(values).dropna()
        if len(text) and text.str.fullmatch(r"452[-\s]?\d{1,3}").mean() > 0.9:
            cols["mcc_mnc"] = cols.pop("operator")
            rest = map_measurement_columns(c for c in frame.columns if c != cols["mcc_mnc"])
            if "operator" in rest:
                cols["operator"] = rest["operator"]
    if "mcc_mnc" not in cols or "mnc" in cols:
        return frame
    codes, uniques = pd.factorize(frame[cols["mcc_mnc"]].reset_index(drop=True))
    digits = as_text(pd.Series(uniques)).str.replace(r"[^0-9]", "", regex=True)
    mcc = np.append(pd.to_numeric(digits.str[:3], errors="coerce").to_numpy("float64"), np.nan)
    mnc = np.append(pd.to_numeric(digits.str[3:], errors="coerce").to_numpy("float64"), np.nan)
    frame = frame.copy()
    frame["mcc (from MCC-MNC)"] = mcc[codes]
    frame["mnc (from MCC-MNC)"] = mnc[codes]
    cols.setdefault("mcc", "mcc (from MCC-MNC)")
    cols["mnc"] = "mnc (from MCC-MNC)"
    return frame


def _check_file(parsed: ParsedTable, cols: dict[str, object]) -> None:
    """Raise a DataError for a table without positions, without RSRP or without rows."""
    shown = ", ".join(map(str, parsed.frame.columns[:30])) or "(none)"
    problems = []
    if parsed.coords is None and ("lat" not in cols or "lon" not in cols):
        problems.append(
            "no position columns: need a latitude column (Latitude, lat, Vĩ độ) and a "
            f"longitude column (Longitude, lon, Kinh độ); the columns are: {shown}."
        )
    if "rsrp" not in cols:
        problems.append(
            "no signal column: need the measured SS-RSRP / RSRP in dBm (e.g. SS_RSRP, "
            f"NR_SS_RSRP, RSRP, Level, Cường độ tín hiệu); the columns are: {shown}."
        )
    if not problems and len(parsed.frame) == 0:
        problems.append("the table has a header but no data rows.")
    if problems:
        raise DataError([Problem(parsed.name, None, None, p) for p in problems])


# --------------------------------------------------------------------------- checks


def validate_measurements(
    parsed: ParsedTable,
    selection: tuple[str, ...] | None,
    *,
    study_area: Any = None,
    max_distance_km: float = MAX_DISTANCE_KM,
    on_invalid: Literal["report", "raise"] = "report",
) -> tuple[pd.DataFrame, ValidationReport]:
    """Check every row of a parsed measurement table; build the table and the report.

    The checkers run in order on the rows still accepted, each recording its
    problems, and the report is built once: network mode (then the filter),
    positions (missing, swapped, outside the area), operator (MCC, MNC,
    name), RSRP (unit and range), channel (ARFCN, band, frequency), cell and
    time.
    """
    cols = map_measurement_columns(parsed.frame.columns)
    _check_file(parsed, cols)
    frame = _split_mcc_mnc(parsed.frame, cols)
    state = RowState.start(frame, cols, parsed.rows, parsed.name, parsed.notes)
    radios = check_radio(state)
    select_radios(state, radios, selection)
    _reject_missing_positions(state, parsed.coords)
    positions = check_coordinates(state, parsed.coords, study_bounds(study_area), max_distance_km)
    network = check_network(state)
    rsrp = check_rsrp(state)
    channel = check_channel(state, radios.names)
    time = _parse_time(state)
    report = report_validation(state, selection, [])
    table = _measurement_table(state, positions, network, radios.names, rsrp, channel, time)
    table.attrs["synthetic"] = parsed.synthetic
    table.attrs["rsrp_column"] = state.col_name("rsrp")
    _raise_or_log(report, on_invalid)
    return table, report


def _reject_missing_positions(
    state: RowState, coords: tuple[np.ndarray, np.ndarray] | None
) -> None:
    """Reject rows without a latitude or a longitude (measurement wording)."""
    if coords is not None:
        return
    for key, what in (("lat", "latitude"), ("lon", "longitude")):
        raw = state.raw(key)
        missing = raw.isna().to_numpy(dtype=bool, copy=True)
        if not pd.api.types.is_numeric_dtype(raw.dtype):  # text: blank counts as missing
            missing |= (raw.astype("string").str.strip().fillna("") == "").to_numpy(dtype=bool)
        state.reject(
            state.ok & missing,
            state.col_name(key),
            f"missing {what}; every measurement needs a GPS position.",
        )


def check_rsrp(state: RowState) -> np.ndarray:
    """Read the RSRP column [dBm]; reject missing, positive (wrong unit) and implausible values.

    A value in (0, 1) looks like a power in mW or W, a value ≥ 0 is not a
    dBm reading of a phone (RSRP is far below 1 mW = 0 dBm); values outside
    :data:`RSRP_RANGE_DBM` are rejected as implausible.
    """
    name = state.col_name("rsrp")
    values = state.numbers("rsrp")
    raw = state.raw("rsrp")
    if normalise_column_name(name) in ("level", "signal", "nrlevel", "averagesignal"):
        state.notes.add(None, name, f"column '{name}' taken as the measured RSRP in dBm.")
    ok = state.ok
    missing = ok & np.isnan(values)
    tiny = ok & (values > 0) & (values < 1)
    positive = ok & (values >= 1)
    zero = ok & (values == 0)
    low, high = RSRP_RANGE_DBM
    implausible = ok & (values < 0) & ((values < low) | (values > high))
    state.reject(missing, name, "missing RSRP; every measurement needs the signal in dBm.")
    state.reject(
        tiny, name,
        "looks like a power in mW or W, not dBm; convert with 10·log10(P / 1 mW) "
        "(e.g. 1e-12 mW = −120 dBm).",
        raw,
    )  # fmt: skip
    state.reject(
        positive, name,
        "positive, so not an RSRP in dBm (RSRP is negative, about −140 to −40 dBm); if it is "
        "an ASU or a quality index, export the RSRP in dBm instead.",
        raw,
    )  # fmt: skip
    state.reject(
        zero, name,
        "0 dBm is not a measurement (OpenCelliD and some loggers write 0 for 'unknown'); "
        "leave the row out or fill in the RSRP.",
        raw,
    )  # fmt: skip
    state.reject(
        implausible, name,
        f"outside the plausible RSRP range {low:g} … {high:g} dBm (the TS 38.133 reporting "
        "range is −156 … −31 dBm); check the unit and the column.",
        raw,
    )  # fmt: skip
    return values


@dataclass
class Channel:
    """Cell and channel of every measurement row.

    Attributes
    ----------
    cell_id : Series
        Serving cell as given (string, <NA> when none).
    pci, arfcn : numpy.ndarray
        PCI and (E/NR-)ARFCN as float (NaN when none).
    frequency_mhz : numpy.ndarray
        Downlink frequency [MHz] (NaN when unknown).
    band : numpy.ndarray
        Object array of band names (None when unknown).
    """

    cell_id: pd.Series
    pci: np.ndarray
    arfcn: np.ndarray
    frequency_mhz: np.ndarray
    band: np.ndarray


def nr_arfcn_to_mhz(arfcn: np.ndarray) -> np.ndarray:
    """Frequency of an NR-ARFCN on the global raster [MHz] (NaN outside 0 … 3,279,165).

    Notes
    -----
    F_REF = F_REF-Offs + ΔF_Global (N_REF − N_REF-Offs), TS 38.104 §5.4.2.1
    (:data:`NR_ARFCN_RASTER`); e.g. 630000 → 3450 MHz, 520110 → 2600.55 MHz.
    """
    n = np.asarray(arfcn, dtype="float64")
    out = np.full(n.shape, np.nan)
    for lo, hi, df_khz, f_offs, n_offs in NR_ARFCN_RASTER:
        inside = (n >= lo) & (n <= hi)
        out = np.where(inside, f_offs + df_khz / 1000.0 * (n - n_offs), out)
    return out


def earfcn_to_mhz(earfcn: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Downlink frequency [MHz] and band of an EARFCN (TS 36.101 Table 5.7.3-1).

    F_DL = F_DL_low + 0.1 (N_DL − N_Offs-DL) for the bands of
    :data:`EARFCN_BANDS` (e.g. 1300 → 1815 MHz in B3); NaN / None otherwise.
    """
    n = np.asarray(earfcn, dtype="float64")
    freq = np.full(n.shape, np.nan)
    band = np.full(n.shape, None, dtype=object)
    for name, (f_low, n_offs, lo, hi) in EARFCN_BANDS.items():
        inside = (n >= lo) & (n <= hi)
        freq = np.where(inside, f_low + 0.1 * (n - n_offs), freq)
        band[inside] = name
    return freq, band


def _band_names(state: RowState) -> np.ndarray:
    """Band column normalised (``78`` / ``N78`` → ``n78``, ``b3`` → ``B3``), None where absent."""
    if "band" not in state.cols:
        return np.full(state.n, None, dtype=object)
    text = as_text(state.raw("band")).str.strip()
    text = text.str.replace(r"^[nN]?(\d+)$", r"n\1", regex=True)
    text = text.str.replace(r"^[bB](\d+)$", r"B\1", regex=True)
    return np.asarray(text.astype(object).where(text.notna(), None), dtype=object)


def check_channel(state: RowState, radio: np.ndarray) -> Channel:
    """Read cell, PCI, ARFCN, band and frequency; note what cannot be used.

    NR rows take their frequency from the NR-ARFCN, LTE rows from the
    EARFCN; a band column wins over the band of the frequency. Unknown
    channels are noted, never rejected (the cell or the best server still
    gives the carrier).
    """
    n = state.n
    cell = (as_text(state.raw("cell")) if "cell" in state.cols
            else pd.Series(pd.array([pd.NA] * n, dtype="string")))  # fmt: skip
    pci = state.numbers("pci") if "pci" in state.cols else np.full(n, np.nan)
    arfcn = state.numbers("arfcn") if "arfcn" in state.cols else np.full(n, np.nan)
    freq = state.numbers("frequency") if "frequency" in state.cols else np.full(n, np.nan)
    band = _band_names(state)
    lte = radio == "LTE"
    f_lte, b_lte = earfcn_to_mhz(np.where(lte, arfcn, np.nan))
    f_nr = nr_arfcn_to_mhz(np.where(lte, np.nan, arfcn))
    freq = np.where(np.isfinite(freq), freq, np.where(lte, f_lte, f_nr))
    unknown_arfcn = state.ok & np.isfinite(arfcn) & ~np.isfinite(freq)
    if unknown_arfcn.any():
        state.notes.add(
            unknown_arfcn, state.col_name("arfcn"),
            "ARFCN outside the known rasters/bands; the channel is taken from the cell.",
            state.raw("arfcn"),
        )  # fmt: skip
    need = (band == None) & np.isfinite(freq)  # noqa: E711 - elementwise on an object array
    if need.any():
        uniq, inv = np.unique(np.round(freq[need], 3), return_inverse=True)
        looked = np.array([ops.band_for_frequency(f) for f in uniq], dtype=object)
        band[need] = np.where(lte[need], b_lte[need], looked[inv])
    return Channel(cell, pci, arfcn, freq, band)


#: Time zone of times written without one (Việt Nam, UTC+7).
LOCAL_TIME_ZONE = "Asia/Ho_Chi_Minh"


def _parse_time(state: RowState) -> pd.Series:
    """Time column as UTC datetimes; NaT if absent or unreadable.

    Unix seconds or milliseconds, ISO 8601 text, or ``2025.06.01_08.30.00``
    (G-NetTrack logs); times without a zone are taken as Việt Nam time
    (UTC+7, noted). The time is kept for the record; the fit does not use it.
    """
    empty = pd.Series(pd.array([pd.NaT] * state.n, dtype="datetime64[ns, UTC]"))
    if "time" not in state.cols:
        return empty
    raw = state.raw("time").reset_index(drop=True)
    present = raw.notna().to_numpy(dtype=bool)
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):  # typed by the reader already
        if getattr(raw.dt, "tz", None) is None:
            state.notes.add(
                None,
                state.col_name("time"),
                "times without a time zone taken as Việt Nam time (UTC+7).",
            )
            raw = raw.dt.tz_localize(LOCAL_TIME_ZONE, ambiguous="NaT", nonexistent="NaT")
        return raw.dt.tz_convert("UTC").astype("datetime64[ns, UTC]")
    values, _, _ = parse_numbers(raw)
    if np.isfinite(values).sum() > 0.5 * present.sum():
        unit = "ms" if np.nanmedian(values) > 1e11 else "s"
        out = pd.to_datetime(pd.Series(values), unit=unit, utc=True, errors="coerce")
    else:
        out = _parse_time_text(raw.astype("string"), state)
    unread = state.ok & present & out.isna().to_numpy(dtype=bool)
    if unread.any():
        state.notes.add(
            None, state.col_name("time"),
            f"{int(unread.sum())} time value(s) could not be read and were left empty "
            "(use ISO 8601, e.g. 2025-06-01T08:30:00+07:00, or Unix seconds).",
        )  # fmt: skip
    return out.astype("datetime64[ns, UTC]")


def _parse_time_text(text: pd.Series, state: RowState) -> pd.Series:
    """Parse times written as text (ISO 8601 or G-NetTrack's ``%Y.%m.%d_%H.%M.%S``) to UTC."""
    for fmt in ("ISO8601", "%Y.%m.%d_%H.%M.%S"):
        try:
            out = pd.to_datetime(text, errors="coerce", format=fmt)
        except (ValueError, TypeError):  # mixed time zones
            out = pd.to_datetime(text, errors="coerce", format=fmt, utc=True)
        if out.notna().sum() >= 0.5 * text.notna().sum():
            break
    if getattr(out.dt, "tz", None) is None:
        state.notes.add(
            None, state.col_name("time"),
            "times without a time zone taken as Việt Nam time (UTC+7).",
        )  # fmt: skip
        out = out.dt.tz_localize(LOCAL_TIME_ZONE, ambiguous="NaT", nonexistent="NaT")
    return out.dt.tz_convert("UTC")


def _measurement_table(
    state: RowState,
    positions: Any,
    network: Any,
    radio: np.ndarray,
    rsrp: np.ndarray,
    channel: Channel,
    time: pd.Series,
) -> pd.DataFrame:
    """Build the canonical measurement table of the accepted rows (:data:`MEASUREMENT_COLUMNS`)."""
    idx = np.flatnonzero(state.ok)
    out = pd.DataFrame(
        {
            "lon_deg": positions.lon[idx],
            "lat_deg": positions.lat[idx],
            "rsrp_dbm": rsrp[idx],
            "time": time.iloc[idx].reset_index(drop=True),
            "operator": string_array(network.brand[idx]),
            "mnc": pd.array(network.mnc[idx], dtype="Float64").astype("Int64"),
            "radio": string_array(radio[idx]),
            "cell_id": channel.cell_id.iloc[idx].reset_index(drop=True),
            "pci": pd.array(channel.pci[idx], dtype="Float64").round().astype("Int64"),
            "arfcn": pd.array(channel.arfcn[idx], dtype="Float64").round().astype("Int64"),
            "frequency_mhz": channel.frequency_mhz[idx],
            "band": string_array(channel.band[idx]),
            "source_row": pd.array(state.rows[idx], dtype="Int64"),
        }
    )
    assert list(out.columns) == list(MEASUREMENT_COLUMNS)
    out.attrs["source"] = state.source
    return out


def _raise_or_log(report: ValidationReport, on_invalid: str) -> None:
    """Raise when no row is left, or on any rejection with ``on_invalid="raise"``."""
    if report.rows_accepted == 0:
        summary = Problem(
            report.file, None, None,
            f"every row was rejected ({report.rows_rejected}) or filtered by network mode "
            f"({report.rows_filtered}); no measurement is left. Fix the rows listed below"
            + ("; or read other network modes (radio)." if report.filtered else "."),
        )  # fmt: skip
        raise DataError([summary, *report.problems()])
    if on_invalid == "raise" and report.rows_rejected:
        raise DataError(report.problems())
    if report.rows_rejected:
        log.warning(
            "%s: %d of %d measurement rows rejected",
            report.file,
            report.rows_rejected,
            report.rows_read,
        )


__all__ = [
    "EARFCN_BANDS",
    "MEASUREMENT_CANDIDATES",
    "MEASUREMENT_COLUMNS",
    "NR_ARFCN_RASTER",
    "RSRP_RANGE_DBM",
    "SAMPLE_MEASUREMENTS_FILE",
    "Channel",
    "ParsedTable",
    "check_channel",
    "check_rsrp",
    "earfcn_to_mhz",
    "map_measurement_columns",
    "nr_arfcn_to_mhz",
    "read_measurements",
    "sample_measurements_path",
    "validate_measurements",
]
