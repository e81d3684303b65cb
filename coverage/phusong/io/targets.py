"""Read a file of target places: the industrial parks, stations, airport… a plan says must have 5G.

A places file holds points or polygons, one per place, with at least a
``deadline`` column (the date by which the place must have 5G) and a
``kind`` column (industrial park, hi-tech park, station, airport, hospital,
school…), optionally ``name`` and ``rule``:

- any vector format GDAL reads (GeoJSON, GeoPackage, zipped Shapefile,
  FlatGeobuf) or GeoParquet, with a CRS;
- or a table (CSV, XLSX) with latitude/longitude columns (WGS84 degrees),
  one point per row.

Column names are matched like the site sheets' (case, accents, spaces
ignored; English or Vietnamese: ``deadline``/``han``/``thoi_han``,
``kind``/``loai``, ``name``/``ten``). ``rule`` says what "covered" means
for the place: ``served`` (default: the place has 5G service, see
:mod:`phusong.targets`) or ``site`` (at least one 5G site stands in it, plan
310/KH-UBND's wording). Kinds are normalised (:data:`KINDS`); an unknown kind
is kept as written.

Rows with a missing or unreadable deadline or kind, or a geometry that is
not a point or a polygon, are rejected and listed (file, row, column,
reason, fix); the other rows go on. A file with no usable row raises
:class:`~phusong.errors.DataError` listing every problem.

See ``docs/targets.md`` for building such a file from OpenStreetMap.
"""

from __future__ import annotations

import io
import logging
import os
import re
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from phusong.errors import DataError, Problem
from phusong.io.files import (
    MAX_UPLOAD_BYTES,
    RawInput,
    Source,
    extracted_member,
    first_vector_member,
    load_input,
    materialise,
    safe_zip_members,
)
from phusong.io.validation.columns import CANDIDATES, normalise_column_name
from phusong.io.validation.dates import DATE_HINT, parse_dates
from phusong.schema import WGS84

log = logging.getLogger(__name__)

__all__ = [
    "KINDS",
    "PLACE_COLUMNS",
    "RULES",
    "PlacesRead",
    "normalise_kind",
    "places_from_frame",
    "read_places",
]

#: Canonical kinds of place -> spellings (normalised: lower case, no accents, ``_``).
KINDS: dict[str, tuple[str, ...]] = {
    "industrial_park": ("industrial_park", "industrial_zone", "khu_cong_nghiep", "kcn"),
    "hi_tech_park": ("hi_tech_park", "hitech_park", "high_tech_park", "khu_cong_nghe_cao"),
    "it_park": ("it_park", "khu_cntt", "khu_cong_nghe_thong_tin", "khu_cntt_tap_trung"),
    "industrial_cluster": ("industrial_cluster", "cum_cong_nghiep", "ccn"),
    "station": ("station", "railway_station", "train_station", "ga", "nha_ga", "ga_tau"),
    "airport": ("airport", "aerodrome", "san_bay", "cang_hang_khong"),
    "hospital": ("hospital", "benh_vien"),
    "school": ("school", "university", "college", "truong", "truong_hoc", "dai_hoc"),
}

#: What "covered" means for a place (the ``rule`` column).
RULES = ("served", "site")

#: Accepted column names (normalised) per field.
FIELDS: dict[str, tuple[str, ...]] = {
    "name": ("name", "ten", "ten_khu", "ten_dia_diem", "place", "dia_diem"),
    "kind": ("kind", "loai", "type", "category", "loai_hinh", "phan_loai"),
    "deadline": ("deadline", "han", "thoi_han", "han_chot", "due", "due_date", "by"),
    "rule": ("rule", "tieu_chi", "criterion"),
}

#: Columns of the places table returned.
PLACE_COLUMNS = ("place_id", "name", "kind", "deadline", "rule", "source_row", "geometry")

#: Fix offered for a row without a usable kind.
KIND_HINT = "give the kind of place, e.g. industrial_park, hi_tech_park, station, airport"

_SPACES = re.compile(r"[^a-z0-9]+")


def normalise_kind(value: object) -> str | None:
    """Canonical kind of a place (``"Khu công nghiệp"`` → ``"industrial_park"``).

    Returns the text as written (stripped) when it matches no known kind,
    ``None`` when empty.
    """
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    text = str(value).strip()
    if not text:
        return None
    key = _SPACES.sub("_", normalise_column_name(text)).strip("_")
    for kind, spellings in KINDS.items():
        if key in spellings:
            return kind
    return text


@dataclass(frozen=True)
class PlacesRead:
    """What reading a places file gave.

    Attributes
    ----------
    places : GeoDataFrame
        :data:`PLACE_COLUMNS`, EPSG:4326: ``place_id`` (``P001``…), ``name``,
        ``kind`` (normalised), ``deadline`` (``datetime64[ns]``), ``rule``
        (``served`` or ``site``), ``source_row`` and a Point or (Multi)Polygon.
    rejected : list of Problem
        The rows left out and why.
    file : str
        The file's name.
    """

    places: gpd.GeoDataFrame
    rejected: list[Problem]
    file: str


def _field_columns(columns: pd.Index) -> dict[str, object]:
    """Field -> input column, by normalised name."""
    by_name: dict[str, object] = {}
    for c in columns:
        by_name.setdefault(normalise_column_name(c), c)
    out: dict[str, object] = {}
    for field, names in FIELDS.items():
        for n in names:
            if n in by_name:
                out[field] = by_name[n]
                break
    return out


def _geometry_problems(geoms: np.ndarray) -> np.ndarray:
    """Reason per row for a geometry that is not a usable point or polygon ('' when fine)."""
    kind = shapely.get_type_id(geoms)  # 0 point, 3 polygon, 6 multipolygon, -1 missing
    ok = np.isin(kind, (0, 3, 6)) & ~shapely.is_empty(geoms)
    reasons = np.full(len(geoms), "", dtype=object)
    reasons[~ok] = (
        "the geometry is missing or not a point or polygon; give each place as a point or "
        "a polygon (a line or a collection of points is not a place)."
    )
    return reasons


def places_from_frame(frame: gpd.GeoDataFrame, file: str = "<table>") -> PlacesRead:
    """Check and normalise a table of places (a GeoDataFrame with a CRS).

    Parameters
    ----------
    frame : GeoDataFrame
        One row per place, any CRS; row ``i`` is reported as row ``i + 2``
        (a header in row 1).
    file : str
        Name used in messages.

    Returns
    -------
    PlacesRead

    Raises
    ------
    DataError
        No CRS, no ``deadline`` or ``kind`` column, or no usable row.
    """
    if frame.crs is None:
        raise DataError("the places have no CRS; give a file with one (e.g. EPSG:4326).", file=file)
    cols = _field_columns(frame.columns.drop(frame.geometry.name, errors="ignore"))
    missing = [f for f in ("deadline", "kind") if f not in cols]
    if missing:
        shown = ", ".join(map(str, frame.columns)) or "(none)"
        raise DataError(
            f"the places file needs a 'deadline' and a 'kind' column (missing: "
            f"{', '.join(missing)}); the columns are: {shown}. Add them: deadline as "
            "2025-12-31, kind as industrial_park, hi_tech_park, station, airport…",
            file=file,
        )
    frame = frame.to_crs(WGS84).reset_index(drop=True)
    rows = np.arange(2, len(frame) + 2)
    geoms = shapely.make_valid(np.asarray(frame.geometry.to_numpy(), dtype=object))
    reasons = {"geometry": _geometry_problems(geoms)}
    dates = parse_dates(frame[cols["deadline"]])
    bad_date = np.where(dates.bad | np.isnat(dates.dates),
                        f"deadline missing or not a date; {DATE_HINT}.", "")  # fmt: skip
    reasons[str(cols["deadline"])] = bad_date.astype(object)
    kinds = frame[cols["kind"]].map(normalise_kind)
    reasons[str(cols["kind"])] = np.where(kinds.isna(), f"kind missing; {KIND_HINT}.", "").astype(
        object
    )
    rule = (
        frame[cols["rule"]].astype("string").str.strip().str.lower().fillna("served")
        if "rule" in cols
        else pd.Series(["served"] * len(frame), dtype="string")
    )
    rule = rule.mask(rule == "", "served")
    rule_bad = ~rule.isin(RULES).to_numpy()
    reasons[str(cols.get("rule", "rule"))] = np.where(
        rule_bad,
        "rule must be 'served' (the place has 5G service) or 'site' (a 5G site stands in it).",
        "",
    ).astype(object)
    problems = [
        Problem(file, int(rows[i]), None if col == "geometry" else col, str(reason[i]))
        for col, reason in reasons.items()
        for i in np.flatnonzero(reason != "")
    ]
    ok = np.all([r == "" for r in reasons.values()], axis=0)
    if not ok.any():
        raise DataError([Problem(file, None, None, "no usable place in the file."), *problems])
    names = (
        frame[cols["name"]].astype("string")
        if "name" in cols
        else pd.Series([pd.NA] * len(frame), dtype="string")
    )
    idx = np.flatnonzero(ok)
    places = gpd.GeoDataFrame(
        {
            "place_id": pd.array([f"P{i + 1:03d}" for i in range(len(idx))], dtype="string"),
            "name": pd.array(names.to_numpy()[idx], dtype="string"),
            "kind": pd.array(kinds.to_numpy()[idx], dtype="string"),
            "deadline": dates.dates[idx],
            "rule": pd.array(rule.to_numpy()[idx], dtype="string"),
            "source_row": pd.array(rows[idx], dtype="Int64"),
        },
        geometry=geoms[idx],
        crs=WGS84,
    )
    places["name"] = places["name"].fillna(places["place_id"])
    if problems:
        log.warning(
            "%s: %d problems, %d of %d places kept", file, len(problems), len(idx), len(frame)
        )
    return PlacesRead(places, sorted(problems, key=lambda p: p.row or 0), file)


def _table_points(table: pd.DataFrame, file: str) -> gpd.GeoDataFrame:
    """Points from a table's latitude/longitude columns (WGS84 degrees)."""
    by_name: dict[str, object] = {}
    for c in table.columns:
        by_name.setdefault(normalise_column_name(c), c)
    lat = next((by_name[n] for n in CANDIDATES["lat"] if n in by_name), None)
    lon = next((by_name[n] for n in CANDIDATES["lon"] if n in by_name), None)
    if lat is None or lon is None:
        raise DataError(
            "a places table needs latitude and longitude columns (lat, lon, vi_do, kinh_do) "
            "in WGS84 degrees, or give a vector file (GeoJSON, GeoPackage) of points/polygons.",
            file=file,
        )
    y = pd.to_numeric(table[lat], errors="coerce").to_numpy(dtype="float64")
    x = pd.to_numeric(table[lon], errors="coerce").to_numpy(dtype="float64")
    good = np.isfinite(x) & np.isfinite(y) & (np.abs(y) <= 90) & (np.abs(x) <= 180)
    geoms = np.where(good, shapely.points(np.where(good, x, 0.0), np.where(good, y, 0.0)), None)
    return gpd.GeoDataFrame(table.drop(columns=[lat, lon]), geometry=list(geoms), crs=WGS84)


def _read_vector(raw: RawInput) -> gpd.GeoDataFrame:
    """Features of a vector file (or of the first vector file in a zip)."""
    if raw.suffix == ".zip":
        members = safe_zip_members(raw)
        first = first_vector_member(members)
        if first is None:
            raise DataError(
                "the zip holds no .shp, .geojson, .gpkg, .parquet or .fgb file.", file=raw.name
            )
        with extracted_member(members, first) as path:
            return gpd.read_file(path)
    with materialise(raw) as path:
        if path.suffix.lower() in (".parquet", ".geoparquet"):
            return gpd.read_parquet(path)
        return gpd.read_file(path)


def read_places(source: Source, *, max_bytes: int = MAX_UPLOAD_BYTES) -> PlacesRead:
    """Read a places file (see the module docstring).

    Parameters
    ----------
    source : path, file object or bytes
        A vector file of points/polygons, or a CSV/XLSX table with
        latitude/longitude columns.
    max_bytes : int
        Largest accepted file [bytes].

    Returns
    -------
    PlacesRead

    Raises
    ------
    DataError
        Unreadable, missing columns, no CRS, or no usable row (every problem listed).
    """
    raw = load_input(source, max_bytes=max_bytes)
    shown = str(source) if isinstance(source, (str, os.PathLike)) else raw.name
    try:
        if raw.suffix in (".csv", ".txt", ".tsv"):
            frame = _table_points(pd.read_csv(io.BytesIO(raw.data), sep=None, engine="python",
                                              dtype=str, encoding="utf-8-sig"), shown)  # fmt: skip
        elif raw.suffix in (".xlsx", ".xls"):
            frame = _table_points(pd.read_excel(io.BytesIO(raw.data), dtype=object), shown)
        else:
            frame = _read_vector(raw)
    except DataError:
        raise
    except Exception as exc:  # any parser or GDAL failure is reported as an unreadable file
        raise DataError(
            f"cannot read the places file ({type(exc).__name__}: {exc}). Give a GeoJSON, "
            "GeoPackage, zipped Shapefile or GeoParquet of points/polygons, or a CSV/XLSX with "
            "lat/lon columns.",
            file=shown,
        ) from exc
    return places_from_frame(frame, shown)


def places_input(places: Any) -> PlacesRead | None:
    """Read places from a path/upload, a GeoDataFrame, a :class:`PlacesRead` or ``None``."""
    if places is None or isinstance(places, PlacesRead):
        return places
    if isinstance(places, gpd.GeoDataFrame):
        return places_from_frame(places)
    return read_places(places)
