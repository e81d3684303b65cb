"""Read cell-site files into the canonical site table.

Formats (detected from the content, then the name):

- OpenCelliD / Mozilla Location Service CSV, plain or ``.csv.gz``, with or
  without its header (``radio,mcc,net,area,cell,unit,lon,lat,range,…``);
- operator site/sector sheets: CSV (``,`` ``;`` tab or ``|`` delimited, UTF-8
  with or without BOM, UTF-16, or Windows-1258) or XLSX;
- GeoJSON, GeoPackage, GeoParquet and (zipped) Shapefiles of points, in any
  CRS (reprojected to EPSG:4326);
- a zip archive holding one of the above.

The rows are then checked and normalised by :func:`phusong.io.validation.validate_sites`.
CSV is parsed with pyarrow (multi-threaded, typed) and falls back to Python's
``csv`` module only for files pyarrow cannot map back to spreadsheet rows
(quoted line breaks, rows with the wrong number of fields).
"""

from __future__ import annotations

import csv
import io
import logging
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from phusong.errors import DataError
from phusong.io.crs import looks_projected, projected_guess, user_crs
from phusong.io.files import (
    MAX_UPLOAD_BYTES,
    RawInput,
    Source,
    check_zip_sizes,
    extracted_member,
    gunzip_safely,
    load_input,
    materialise,
    safe_zip_members,
)
from phusong.io.shipped import data_path
from phusong.io.text_tables import decode_text_table, read_delimited, sniff_delimiter
from phusong.io.validation import (
    KNOWN_NAMES,
    MAX_DISTANCE_KM,
    OPENCELLID_COLUMNS,
    ValidationReport,
    check_on_invalid,
    map_columns,
    normalise_radio,
    radio_selection,
    validate_sites,
)
from phusong.io.validation import normalise_column_name as _norm
from phusong.io.workbooks import Parsed as _Parsed
from phusong.io.workbooks import combine_parts, read_workbook, unique_names
from phusong.schema import WGS84

log = logging.getLogger(__name__)

#: Shipped synthetic sample files, by kind.
SAMPLE_FILES = {
    "sheet": "hanoi_5g_sites_SYNTHETIC.csv",
    "opencellid": "hanoi_5g_opencellid_SYNTHETIC.csv.gz",
}

_VECTOR_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".fgb", ".parquet", ".geoparquet")
_TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm")


def sample_sites_path(kind: Literal["sheet", "opencellid"] = "sheet") -> Path:
    """Path of a shipped SYNTHETIC sample network file.

    Parameters
    ----------
    kind : {"sheet", "opencellid"}
        ``"sheet"``: the operator site/sector sheet (CSV); ``"opencellid"``:
        the same network in OpenCelliD format (``.csv.gz``, NR rows).
    """
    if kind not in SAMPLE_FILES:
        from phusong.errors import ConfigError

        raise ConfigError(f"kind={kind!r}; use one of {', '.join(SAMPLE_FILES)}.")
    return data_path("sample", SAMPLE_FILES[kind])


def read_sites(
    source: Source,
    *,
    radio: str | list[str] | None = "NR",
    study_area: Any = None,
    max_bytes: int = MAX_UPLOAD_BYTES,
    on_invalid: Literal["report", "raise"] = "report",
    max_distance_km: float = MAX_DISTANCE_KM,
    name: str | None = None,
    crs: Any = None,
) -> tuple[gpd.GeoDataFrame, ValidationReport]:
    """Read a cell-site file into the canonical site table, with a validation report.

    Parameters
    ----------
    source : path, bytes or file-like
        OpenCelliD CSV (``.csv`` / ``.csv.gz``, header optional), an operator
        sheet (CSV or XLSX), GeoJSON / GeoPackage / GeoParquet / zipped
        Shapefile of points, or a zip holding one of them. Uploaded file
        objects (Streamlit's ``UploadedFile``) and raw bytes are accepted.
    radio : str, list of str or None
        Radio technologies to keep: ``"NR"`` (default), e.g. ``["NR", "LTE"]``,
        or ``None`` for all. Rows of other radios are counted in the report as
        filtered.
    study_area : GeoDataFrame, polygon, (min_lon, min_lat, max_lon, max_lat) or None
        Where the sites should be; default the shipped Hà Nội wards. Used to
        fix swapped latitude/longitude and to reject far-away points.
    max_bytes : int
        Largest accepted file [bytes] (default 200 MB).
    on_invalid : {"report", "raise"}
        ``"report"``: rejected rows go to the report and the rest are returned;
        ``"raise"``: any rejected row raises :class:`DataError` listing all.
    max_distance_km : float
        Rows more than this outside the study area's bounds are rejected [km].
    name : str, optional
        File name to show in messages (default: the source's own).
    crs : CRS-like, optional
        Coordinate system of positions given in projected metres: eastings
        and northings in the latitude/longitude columns, or a vector file
        without a CRS (or a GeoJSON whose coordinates are metres), e.g.
        ``"EPSG:3405"`` (VN-2000 / UTM zone 48N). Without it such positions
        are refused with the systems that would put them in the study area.

    Returns
    -------
    sites : GeoDataFrame
        Columns exactly :data:`phusong.schema.SITE_COLUMNS`, EPSG:4326 points.
    report : ValidationReport
        Rows read / accepted / rejected / filtered, rejected rows and notes.
        Every sheet of a workbook and every table of a zip is read: a row's
        problems name its sheet or member (``"book.xlsx [Viettel]"``).

    Raises
    ------
    DataError
        File-level problems (empty file, not a table, no coordinate columns,
        vector file without CRS, every row rejected, too large), each with how
        to fix it.
    ConfigError
        Invalid ``radio`` or ``on_invalid``.
    """
    check_on_invalid(on_invalid)
    radio_selection(radio)
    crs = user_crs(crs)
    raw = load_input(source, max_bytes=max_bytes, name=name)
    parsed = _parse(raw, depth=0, crs=crs)
    return validate_sites(
        parsed.frame,
        source=raw.name,
        rows=parsed.rows,
        coords=parsed.coords,
        radio=radio,
        study_area=study_area,
        max_distance_km=max_distance_km,
        on_invalid=on_invalid,
        file_notes=parsed.notes,
        pre_rejected=parsed.pre_rejected,
        row_files=parsed.row_files,
        column_names=parsed.column_names,
        crs=crs,
    )


def sites_from_frame(
    df: pd.DataFrame,
    source: str = "<table>",
    *,
    radio: str | list[str] | None = "NR",
    study_area: Any = None,
    on_invalid: Literal["report", "raise"] = "report",
    max_distance_km: float = MAX_DISTANCE_KM,
    crs: Any = None,
) -> tuple[gpd.GeoDataFrame, ValidationReport]:
    """Validate an in-memory table of sites (same rules as :func:`read_sites`).

    Parameters
    ----------
    df : DataFrame or GeoDataFrame
        Columns as in an operator sheet (``lat``/``lon`` or the canonical
        ``lat_deg``/``lon_deg``…), or a GeoDataFrame of points with a CRS (its
        geometry gives the positions). Row ``i`` (0-based) is reported as row
        ``i + 2``, as if the table were a spreadsheet with a header row.
    source : str
        Name used in messages.

    Other parameters are as for :func:`read_sites`.
    """
    coords = None
    frame = pd.DataFrame(df)
    notes: list[str] = []
    crs = user_crs(crs)
    if isinstance(df, gpd.GeoDataFrame) and df.geometry.name in df.columns:
        if df.crs is None and crs is None and not _metre_points(df.geometry):
            raise DataError(
                "the GeoDataFrame has no CRS; set one (gdf.set_crs('EPSG:4326')) and try again.",
                file=source,
            )
        df, notes = _with_crs(df, source, crs)
        coords = _point_coords(df.geometry)
        frame = pd.DataFrame(df.drop(columns=df.geometry.name))
        if df.crs.to_epsg() != 4326:
            notes.append(f"positions reprojected from {df.crs.to_string()} to EPSG:4326.")
    return validate_sites(
        frame,
        source=source,
        rows=np.arange(2, len(frame) + 2, dtype=np.int64),
        coords=coords,
        radio=radio,
        study_area=study_area,
        max_distance_km=max_distance_km,
        on_invalid=on_invalid,
        file_notes=notes,
        crs=crs,
    )


# --------------------------------------------------------------------------- formats


def _parse(raw: RawInput, depth: int, crs: Any = None) -> _Parsed:
    data = raw.data
    if not data.strip(b" \t\r\n\x00\xef\xbb\xbf"):
        raise DataError(
            "the file is empty. Export the site list again (with a header row and data rows).",
            file=raw.name,
        )
    if data[:2] == b"\x1f\x8b":
        inner = raw.name[:-3] if raw.name.lower().endswith(".gz") else raw.name + ".csv"
        return _parse(RawInput(inner, gunzip_safely(raw), None), depth, crs)
    suffix = raw.suffix
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        if (
            suffix in (".xlsx", ".xlsm")
            or b"xl/workbook" in data[:65536]
            or b"[Content_Types]" in data[:2048]
        ):
            return _read_excel(raw)
        if depth > 0:
            raise DataError(
                "a zip inside a zip is not read; unzip the outer archive.", file=raw.name
            )
        return _read_zip(raw, crs)
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise DataError(
            "this is an old Excel .xls (or another OLE) file; save it as .xlsx or CSV.",
            file=raw.name,
        )
    if data[:16] == b"SQLite format 3\x00":
        return _read_vector(raw, ".gpkg", crs)
    if data[:4] == b"PAR1":
        return _read_parquet(raw, crs)
    if suffix in (".shp", ".shx", ".dbf"):
        raise DataError(
            "a Shapefile needs its .shp, .shx, .dbf and .prj together: zip them and give the zip.",
            file=raw.name,
        )
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if suffix in (".geojson", ".json", ".fgb") or head[:1] in (b"{", b"["):
        kind = suffix if suffix in (".geojson", ".json", ".fgb") else ".geojson"
        return _read_vector(raw, kind, crs)
    return _read_csv(raw)


def _zip_site_files(names: list[str]) -> tuple[list[str], list[str]]:
    """Split a zip's members into point files (Shapefiles first) and tables."""
    shp = [m for m in names if m.lower().endswith(".shp")]
    vec = [
        m for m in names if m.lower().endswith((".geojson", ".json", ".gpkg", ".parquet", ".fgb"))
    ]
    tab = [m for m in names if m.lower().endswith((".csv", ".csv.gz", ".tsv", ".txt", ".xlsx"))]
    return shp + vec, tab


def _read_zip(raw: RawInput, crs: Any = None) -> _Parsed:
    """Every site file of a zip, joined; each row's problems name its member."""
    members = safe_zip_members(raw)
    names = [m for m in members if not Path(m).name.startswith((".", "__MACOSX"))]
    names = [m for m in names if not m.startswith("__MACOSX/")]
    vectors, tables = _zip_site_files(names)
    chosen = vectors or tables
    skipped = (
        [
            f"the zip also holds tables ({', '.join(tables[:10])}); they were not read, as "
            "point files and tables cannot be joined: zip them separately."
        ]
        if vectors and tables
        else []
    )
    if not chosen:
        raise DataError(
            "the zip holds no site file (.shp with .shx/.dbf/.prj, .geojson, .gpkg, .parquet, "
            f".csv or .xlsx); it holds: {', '.join(names[:20]) or 'nothing'}.",
            file=raw.name,
        )
    parts = []
    for member in chosen:
        if member.lower().endswith(".shp"):
            parts.append(_read_zipped_shapefile(raw, members, member, crs))
        else:
            inner = RawInput(f"{raw.name}/{member}", members[member], None)
            parts.append(_parse(inner, depth=1, crs=crs))
    if len(parts) == 1:
        parts[0].notes[:0] = [f"read '{chosen[0]}' from the zip.", *skipped]
        return parts[0]
    combined = combine_parts(parts, raw.name, what="file")
    combined.notes += skipped
    return combined


def _read_zipped_shapefile(raw: RawInput, members: dict[str, bytes], shp: str, crs: Any) -> _Parsed:
    """One Shapefile of a zip (its .shx, .dbf and .prj beside it)."""
    with extracted_member(members, shp) as path:
        gdf = _read_vector_path(path, raw.name)
    return _from_geoframe(gdf, f"{raw.name}/{shp}", crs)


def _read_vector_path(path: Path, shown: str) -> gpd.GeoDataFrame:
    try:
        if path.suffix.lower() in (".parquet", ".geoparquet"):
            return gpd.read_parquet(path)
        return pyogrio.read_dataframe(path)
    except Exception as exc:
        raise DataError(
            f"could not read the vector file ({type(exc).__name__}: {exc}). Give a GeoJSON, "
            "GeoPackage, GeoParquet or zipped Shapefile of points.",
            file=shown,
        ) from exc


def _read_vector(raw: RawInput, suffix: str, crs: Any = None) -> _Parsed:
    with materialise(raw, suffix) as path:
        gdf = _read_vector_path(path, raw.name)
    return _from_geoframe(gdf, raw.name, crs)


def _read_parquet(raw: RawInput, crs: Any = None) -> _Parsed:
    with materialise(raw, ".parquet") as path:
        try:
            gdf = gpd.read_parquet(path)
        except ValueError:  # plain Parquet without geo metadata: a table
            try:
                frame = pd.read_parquet(path)
            except Exception as exc:
                raise DataError(f"could not read the Parquet file ({exc}).", file=raw.name) from exc
            return _Parsed(frame, np.arange(2, len(frame) + 2, dtype=np.int64), name=raw.name)
        except Exception as exc:
            raise DataError(f"could not read the GeoParquet file ({exc}).", file=raw.name) from exc
    return _from_geoframe(gdf, raw.name, crs)


def _point_coords(geom: gpd.GeoSeries) -> tuple[np.ndarray, np.ndarray]:
    """Lon/lat of point geometries in EPSG:4326; NaN for empty / non-point ones."""
    geom = geom.to_crs(WGS84)
    arr = geom.to_numpy()
    kinds = shapely.get_type_id(arr)
    # single-point MultiPoints count as points
    multi1 = (kinds == 4) & (shapely.get_num_geometries(arr) == 1)
    arr = np.where(multi1, shapely.get_geometry(arr, 0), arr)
    point = (shapely.get_type_id(arr) == 0) & ~shapely.is_empty(arr)
    x = np.where(point, shapely.get_x(np.where(point, arr, None)), np.nan)
    y = np.where(point, shapely.get_y(np.where(point, arr, None)), np.nan)
    return x.astype("float64"), y.astype("float64")


def _metre_points(geom: gpd.GeoSeries) -> bool:
    """Whether the geometries' coordinates look like projected metres, not degrees."""
    xy = shapely.get_coordinates(np.asarray(geom.to_numpy(), dtype=object))
    if len(xy) == 0:
        return False
    return looks_projected(xy[:, 0], xy[:, 1])


def _with_crs(gdf: gpd.GeoDataFrame, shown: str, crs: Any) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Give the frame the CRS its coordinates are in (``crs`` when it has none or is wrong).

    A frame in degrees (or without a CRS) whose coordinates are projected
    metres is given ``crs``; without one it is refused with the systems that
    would put it in Vietnam.
    """
    declared_degrees = gdf.crs is None or gdf.crs.is_geographic
    if not (declared_degrees and _metre_points(gdf.geometry)):
        if gdf.crs is None and crs is not None:
            return gdf.set_crs(crs), [f"no CRS in the file: {crs.to_string()} ([[crs]]) used."]
        return gdf, []
    if crs is None or crs.is_geographic:
        xy = shapely.get_coordinates(np.asarray(gdf.geometry.to_numpy(), dtype=object))
        raise DataError(
            "the coordinates are metres but the file says degrees (or has no CRS): "
            + projected_guess(xy[:, 0], xy[:, 1]).hint(),
            file=shown,
            option="crs",
        )
    return gdf.set_crs(crs, allow_override=True), [
        f"coordinates are projected metres: read in {crs.to_string()} ([[crs]])."
    ]


def _from_geoframe(gdf: gpd.GeoDataFrame, shown: str, crs: Any = None) -> _Parsed:
    if gdf.crs is None and crs is None and not _metre_points(gdf.geometry):
        raise DataError(
            "the vector file has no coordinate reference system. Save it with one (EPSG:4326 "
            "for GPS positions), or include the Shapefile's .prj, and try again.",
            file=shown,
        )
    if len(gdf) == 0:
        raise DataError("the vector file has no features.", file=shown)
    gdf, notes = _with_crs(gdf, shown, crs)
    if gdf.crs.to_epsg() != 4326:
        notes.append(f"positions reprojected from {gdf.crs.to_string()} to EPSG:4326.")
    lon, lat = _point_coords(gdf.geometry)
    types = set(gdf.geometry.geom_type.dropna().unique()) - {"Point", "MultiPoint"}
    if types and np.isnan(lon).all():
        raise DataError(
            f"the vector file holds {', '.join(sorted(types))} geometries, not points; sites must "
            "be points (take centroids first if they are site polygons).",
            file=shown,
        )
    frame = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    # Attribute coordinates would conflict with the geometry; the geometry wins.
    cols = map_columns(frame.columns)
    drop = [cols[k] for k in ("lat", "lon") if k in cols]
    frame = frame.drop(columns=drop)
    return _Parsed(
        frame,
        np.arange(2, len(frame) + 2, dtype=np.int64),
        notes=notes,
        coords=(lon, lat),
        name=shown,
    )


def _read_excel(raw: RawInput) -> _Parsed:
    """Every sheet of a workbook that holds a site table (see :mod:`phusong.io.workbooks`)."""
    check_zip_sizes(raw)
    parts, skipped = read_workbook(raw)
    if len(parts) == 1:
        part = parts[0]
        part.notes += skipped
        part.name = raw.name
        return part
    combined = combine_parts(parts, raw.name, what="sheet")
    combined.notes += skipped
    return combined


# --------------------------------------------------------------------------- CSV


def _looks_like_header(fields: list[str]) -> bool:
    normed = [_norm(f) for f in fields]
    if any(n in KNOWN_NAMES for n in normed):
        return True
    numeric = 0
    for f in fields:
        try:
            float(f.strip().replace(",", "."))
            numeric += 1
        except ValueError:
            pass
    return numeric == 0


def _read_csv(raw: RawInput) -> _Parsed:
    data, notes = decode_text_table(raw)
    text_head = data[:65536].decode("utf-8", errors="ignore")
    lines = [ln for ln in text_head.splitlines()[:50] if ln.strip()]
    if len(data) > 65536 and len(lines) > 1:
        lines = lines[:-1]  # the last line of the sample may be cut
    if not lines:
        raise DataError("the file is empty.", file=raw.name)
    delim = sniff_delimiter(lines)
    first = next(csv.reader([lines[0]], delimiter=delim))
    if _looks_like_header(first):
        header = [f.strip() for f in first]
        has_header = True
    elif normalise_radio(first[0]) is not None and len(first) in (13, 14):
        header = list(OPENCELLID_COLUMNS[: len(first)])
        has_header = False
        notes.append("no header row: read as an OpenCelliD export (radio,mcc,net,area,cell,…).")
    else:
        raise DataError(
            "the first row looks like data, not a header, and is not an OpenCelliD row. Add a "
            "header row naming the columns (at least lat and lon).",
            file=raw.name,
        )
    if len(header) < 2:
        raise DataError(
            f"only one column found (delimiter not recognised; first row: {lines[0][:80]!r}). "
            "Separate the columns with ',' ';' or tab, and include lat and lon columns.",
            file=raw.name,
        )
    if delim != ",":
        notes.append(f"columns separated by {'tab' if delim == chr(9) else repr(delim)}.")
    names = unique_names(header)
    arrow = read_delimited(data, delim, names, header=has_header, shown=raw.name)
    if arrow is not None:
        parsed = _Parsed(arrow[0], arrow[1], name=raw.name)
    else:
        parsed = _read_csv_python(data, delim, names, has_header, raw.name)
    parsed.notes[:0] = notes
    return parsed


def _read_csv_python(
    data: bytes, delim: str, names: list[str], has_header: bool, shown: str
) -> _Parsed:
    text = data.decode("utf-8", errors="replace")
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delim))
    except csv.Error as exc:
        raise DataError(f"the CSV cannot be parsed ({exc}); check its quotes.", file=shown) from exc
    start = 1 if has_header else 0
    width = len(names)
    kept: list[list[str]] = []
    rows: list[int] = []
    pre: list[tuple[int, str | None, str, str | None]] = []
    for i, rec in enumerate(records[start:], start=start + 1):
        if not rec or all(not f.strip() for f in rec):
            continue
        if len(rec) > width and any(f.strip() for f in rec[width:]):
            pre.append(
                (
                    i,
                    None,
                    f"row has {len(rec)} fields but the header has {width}; quote fields that "
                    f"contain '{delim}' (e.g. decimal commas) or fix the delimiter.",
                    delim.join(rec)[:200],
                )
            )
            continue
        kept.append((rec + [""] * width)[:width])
        rows.append(i)
    frame = (
        pd.DataFrame(kept, columns=names, dtype="string") if kept else pd.DataFrame(columns=names)
    )
    frame = frame.mask(frame == "")
    return _Parsed(frame, np.asarray(rows, dtype=np.int64), pre_rejected=pre, name=shown)


__all__ = ["SAMPLE_FILES", "read_sites", "sample_sites_path", "sites_from_frame"]
