r"""Tables and their bytes: the CSV, GeoJSON and JSON outputs of an audit.

Reproducibility: the same inputs give byte-identical CSV, JSON and GeoJSON:
columns in a fixed order, JSON keys sorted, floats rounded to :data:`DECIMALS`
decimals (coordinates to :data:`COORD_DECIMALS`, ~1 cm), ``\\n`` line ends,
and no timestamps anywhere.

CSV encoding: **UTF-8 with a byte-order mark** (``utf-8-sig``). Excel, which
most planners open CSV files with, needs the BOM to show Vietnamese names
(``Phường Ba Đình``) correctly instead of mojibake; pandas and LibreOffice read
it transparently (in plain Python use ``open(path, encoding="utf-8-sig")``).

Synthetic data: every table made from a SYNTHETIC site file says so inside
the file. CSV tables end with a ``synthetic`` column (``True`` on every row;
``False`` for real data, so the columns are the same either way and the file
stays a plain table any CSV reader takes: :func:`with_synthetic_flag`);
GeoJSON carries ``"synthetic": true`` at the top of the FeatureCollection and
in every feature's properties (:func:`geojson_bytes`). File names say it too
in downloads and bundles (:func:`phusong.output.bundle.download_name`).

Nothing here touches a file: :mod:`phusong.io.outputs` writes the bytes.
"""

from __future__ import annotations

import io
import json
import math
import os
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
import shapely

#: Decimals kept for every float in the CSV / JSON outputs.
DECIMALS = 6
#: Decimals kept for coordinates in the GeoJSON outputs [degrees] (~1 cm).
COORD_DECIMALS = 7
#: Encoding of the CSV outputs (UTF-8 with BOM, for Excel; see module docstring).
CSV_ENCODING = "utf-8-sig"

#: The columns that open ``wards.csv`` (and ``by_operator.csv`` after ``operator``).
WARD_LEAD_COLUMNS = (
    "ward_id",
    "name",
    "kind",
    "area_km2",
    "covered_area_km2",
    "area_coverage_pct",
    "population",
    "covered_population",
    "population_coverage_pct",
    "meets_goal",
    "shortfall_population",
)

#: Known columns of ``wards.csv`` in order (any other columns follow them).
WARD_CSV_COLUMNS = (
    *WARD_LEAD_COLUMNS,
    "rank",
    "city_gain_pct",
    "city_gain_to_target_pct",
    "uncovered_population",
    "uncovered_area_km2",
    "shortfall_area_km2",
)

#: Columns of ``validation.csv`` after ``kind`` (and before ``value``).
VALIDATION_COLUMNS = ("file", "row", "column", "reason")

#: Rows of the rejection-count table in ``report.html``.
REJECTION_COUNT_ROWS = 20

#: Last column of every CSV table and property of every GeoJSON feature:
#: whether the table was made from SYNTHETIC site data.
SYNTHETIC_COLUMN = "synthetic"


# --------------------------------------------------------------------------
# Deterministic serialisation
# --------------------------------------------------------------------------
def round_floats(obj: Any, decimals: int = DECIMALS) -> Any:
    """Round every float in a JSON-able structure; NaN and inf become ``None``.

    Parameters
    ----------
    obj : Any
        Mappings, lists, tuples, numbers, strings and paths, nested.
    decimals : int
        Decimals kept.

    Returns
    -------
    Any
        The same structure with plain Python types (mappings with ``str``
        keys, lists, ``bool``/``int``/``float``, paths as ``str``), no ``-0.0``.
    """
    if isinstance(obj, Mapping):
        return {str(k): round_floats(v, decimals) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [round_floats(v, decimals) for v in obj]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        if not math.isfinite(f):
            return None
        r = round(f, decimals)
        return 0.0 if r == 0 else r  # no "-0.0"
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    return obj


def summary_json(summary: Mapping[str, Any]) -> bytes:
    """``summary.json`` bytes: sorted keys, floats rounded, 2-space indent, UTF-8."""
    text = json.dumps(round_floats(summary), sort_keys=True, indent=2, ensure_ascii=False)
    return (text + "\n").encode("utf-8")


def _ordered_columns(frame: pd.DataFrame, lead: Iterable[str]) -> list[str]:
    lead = [c for c in lead if c in frame.columns]
    return [*lead, *[c for c in frame.columns if c not in lead and c != "geometry"]]


def clean_table(frame: pd.DataFrame, lead: Iterable[str]) -> pd.DataFrame:
    """Drop geometry, put ``lead`` columns first, round floats, fix dtypes.

    Parameters
    ----------
    frame : DataFrame
        Any table (a ``geometry`` column is left out).
    lead : iterable of str
        Columns that open the table, in this order, when present.

    Returns
    -------
    DataFrame
        A copy with a fresh index; floats rounded to :data:`DECIMALS` decimals
        (no ``-0.0``), booleans as ``bool``.
    """
    out = pd.DataFrame(frame[_ordered_columns(frame, lead)]).copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_bool_dtype(s):
            out[col] = s.astype(bool)
        elif pd.api.types.is_float_dtype(s):
            out[col] = s.astype("float64").round(DECIMALS).replace(-0.0, 0.0)
    return out.reset_index(drop=True)


def with_synthetic_flag(frame: pd.DataFrame, synthetic: bool) -> pd.DataFrame:
    """Copy of ``frame`` with the :data:`SYNTHETIC_COLUMN` last (``synthetic`` on every row).

    Parameters
    ----------
    frame : DataFrame
        Any output table (an existing ``synthetic`` column is replaced).
    synthetic : bool
        Whether the site data behind the table is synthetic.
    """
    out = frame.drop(columns=[SYNTHETIC_COLUMN], errors="ignore").copy()
    out[SYNTHETIC_COLUMN] = bool(synthetic)
    return out


def csv_bytes(frame: pd.DataFrame) -> bytes:
    r"""CSV bytes: UTF-8 with BOM, ``\\n`` line ends, floats as rounded above."""
    buf = io.StringIO()
    frame.to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue().encode(CSV_ENCODING)


# --------------------------------------------------------------------------
# Tables of an audit
# --------------------------------------------------------------------------
def worst_first(wards: pd.DataFrame) -> pd.DataFrame:
    """Sort the ward table by ``rank`` (worst ward first; stable); as is without ``rank``."""
    return wards.sort_values("rank", kind="mergesort") if "rank" in wards else wards


def ward_table(result: Any) -> pd.DataFrame:
    """Build the ``wards.csv`` table: lead columns, then ``rank`` and the rest; worst first."""
    return clean_table(worst_first(result.wards), WARD_CSV_COLUMNS)


def operator_table(result: Any) -> pd.DataFrame:
    """Build the ``by_operator.csv`` table: one row per ward × operator."""
    lead = (*WARD_LEAD_COLUMNS[:2], "operator", *WARD_LEAD_COLUMNS[2:])
    frame = result.by_operator.sort_values(["ward_id", "operator"], kind="mergesort")
    return clean_table(frame, lead)


def validation_table(validation: Any) -> pd.DataFrame:
    """Build the ``validation.csv`` table.

    One row per issue: ``kind`` (``rejected``: the row was left out;
    ``note``: a non-fatal fix; ``filtered``: rows left out by the radio
    filter), then ``file, row, column, reason, value``. Built from
    :meth:`phusong.io.validation.ValidationReport.to_frame`; an empty table (with
    the header) when there is no report.
    """
    if validation is None:
        return pd.DataFrame(columns=["kind", *VALIDATION_COLUMNS, "value"])
    if hasattr(validation, "to_frame"):
        frame = validation.to_frame()
    else:
        frame = pd.DataFrame(getattr(validation, "rejected", None))
        frame.insert(0, "kind", "rejected")
    for col in ("kind", *VALIDATION_COLUMNS):
        if col not in frame.columns:
            frame[col] = pd.Series(pd.NA, index=frame.index, dtype="object")
    return clean_table(frame, ("kind", *VALIDATION_COLUMNS))


def rejected_rows(validation_rows: pd.DataFrame) -> pd.DataFrame:
    """Only the ``rejected`` issues of :func:`validation_table`."""
    return validation_rows[validation_rows["kind"] == "rejected"].reset_index(drop=True)


def rejection_counts(rejected: pd.DataFrame, top: int = REJECTION_COUNT_ROWS) -> pd.DataFrame:
    """Count rejected rows by column and reason, most frequent first.

    Parameters
    ----------
    rejected : DataFrame
        :func:`rejected_rows` (columns ``column`` and ``reason``).
    top : int
        Number of (column, reason) pairs kept.

    Returns
    -------
    DataFrame
        Columns ``column`` (``"(whole row)"`` when the problem has none),
        ``reason``, ``rows`` [rows]; ties by column, then reason.
    """
    return (
        rejected.assign(column=rejected["column"].fillna("(whole row)"))  # i18n: identifier
        .groupby(["column", "reason"], dropna=False, sort=True)
        .size()
        .reset_index(name="rows")
        .sort_values(["rows", "column", "reason"], ascending=[False, True, True], kind="mergesort")
        .head(top)
    )


# --------------------------------------------------------------------------
# GeoJSON
# --------------------------------------------------------------------------
def _round_coords(geoms: np.ndarray) -> np.ndarray:
    return shapely.transform(geoms, lambda xy: np.round(xy, COORD_DECIMALS))


def _json_value(v: Any) -> Any:
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        f = float(v)
        return round(f, DECIMALS) if math.isfinite(f) else None
    return v if isinstance(v, (int, str)) else str(v)


def geojson_bytes(frame: Any, lead: Iterable[str] = (), *, synthetic: bool | None = None) -> bytes:
    """GeoJSON FeatureCollection bytes in EPSG:4326, one feature per row.

    Properties keep the column order (``lead`` first); coordinates are
    rounded to :data:`COORD_DECIMALS` decimals [degrees]. With ``synthetic``
    given, the collection has a top-level ``"synthetic"`` member and every
    feature a ``synthetic`` property (last).
    """
    if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
        frame = frame.to_crs("EPSG:4326")
    table = pd.DataFrame(frame)
    if synthetic is not None:
        table = with_synthetic_flag(table, synthetic)
    props = clean_table(table, lead)
    geoms = _round_coords(np.asarray(frame.geometry.values, dtype=object))
    cols = list(props.columns)
    features = []
    for row, geom in zip(props.itertuples(index=False, name=None), geoms, strict=True):
        features.append(
            {
                "type": "Feature",
                "properties": {c: _json_value(v) for c, v in zip(cols, row, strict=True)},
                "geometry": None
                if geom is None or geom.is_empty
                else shapely.geometry.mapping(geom),
            }
        )
    doc: dict[str, Any] = {"type": "FeatureCollection"}
    if synthetic is not None:
        doc[SYNTHETIC_COLUMN] = bool(synthetic)
    doc["features"] = features
    return (json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


__all__ = [
    "COORD_DECIMALS",
    "CSV_ENCODING",
    "DECIMALS",
    "SYNTHETIC_COLUMN",
    "VALIDATION_COLUMNS",
    "WARD_CSV_COLUMNS",
    "WARD_LEAD_COLUMNS",
    "clean_table",
    "csv_bytes",
    "geojson_bytes",
    "operator_table",
    "rejected_rows",
    "rejection_counts",
    "round_floats",
    "summary_json",
    "validation_table",
    "ward_table",
    "with_synthetic_flag",
    "worst_first",
]
