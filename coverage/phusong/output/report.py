r"""Report files from an :class:`~phusong.audit.AuditResult`.

:func:`write_outputs` writes one folder:

============== ==============================================================
file           content
============== ==============================================================
report.html    the audit in plain words for a non-programmer (self-contained)
map.html       interactive map (:func:`phusong.output.maps.audit_map`), self-contained
wards.csv      one row per ward (any operator), worst ward first
by_operator    one row per ward × operator (``by_operator.csv``)
wards.geojson  the ward table with boundaries (EPSG:4326)
gaps.geojson   uncovered parts of each ward (EPSG:4326)
summary.json   city-wide figures, goal, every parameter, input SHA-256
validation.csv site rows the reader rejected (file, row, column, reason)
coverage.tif   raster models only: best-server SS-RSRP [dBm] as a COG
============== ==============================================================

Reproducibility: the same inputs give byte-identical CSV, JSON, GeoJSON and
``report.html``: columns in a fixed order, JSON keys sorted, floats rounded to
:data:`DECIMALS` decimals (coordinates to :data:`COORD_DECIMALS`, ~1 cm), ``\\n``
line ends, and no timestamps anywhere.

CSV encoding: **UTF-8 with a byte-order mark** (``utf-8-sig``). Excel, which
most planners open CSV files with, needs the BOM to show Vietnamese names
(``Phường Ba Đình``) correctly instead of mojibake; pandas and LibreOffice read
it transparently (in plain Python use ``open(path, encoding="utf-8-sig")``).

Every file is written atomically (temporary file in the same folder, then
rename), and a non-empty output folder is left alone unless ``overwrite=True``.
"""

from __future__ import annotations

import html
import io
import json
import logging
import math
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from phusong.errors import OutputExistsError
from phusong.io.files import atomic_write_bytes
from phusong.sample import SHEET_COLUMNS
from phusong.schema import ANY_OPERATOR

log = logging.getLogger(__name__)

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

#: Every file name :func:`write_outputs` may write (and, with overwrite, replace).
OUTPUT_FILES = (
    "report.html",
    "map.html",
    "wards.csv",
    "by_operator.csv",
    "wards.geojson",
    "gaps.geojson",
    "summary.json",
    "validation.csv",
    "coverage.tif",
)

#: Columns of ``validation.csv``.
VALIDATION_COLUMNS = ("file", "row", "column", "reason")

#: Number of wards listed in report.html (and in the terminal summary).
REPORT_WORST_WARDS = 15
SUMMARY_WORST_WARDS = 5

#: Shipped ward file name: the study area is Hà Nội when it is used.
_HANOI_WARDS_FILE = "hanoi_wards_2025.geojson"


# --------------------------------------------------------------------------
# Deterministic serialisation
# --------------------------------------------------------------------------
def _round_floats(obj: Any, decimals: int = DECIMALS) -> Any:
    """Round every float in a JSON-able structure; NaN/inf become ``None``."""
    if isinstance(obj, Mapping):
        return {str(k): _round_floats(v, decimals) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_round_floats(v, decimals) for v in obj]
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
    text = json.dumps(_round_floats(summary), sort_keys=True, indent=2, ensure_ascii=False)
    return (text + "\n").encode("utf-8")


def _ordered_columns(frame: pd.DataFrame, lead: Iterable[str]) -> list[str]:
    lead = [c for c in lead if c in frame.columns]
    return [*lead, *[c for c in frame.columns if c not in lead and c != "geometry"]]


def _clean_table(frame: pd.DataFrame, lead: Iterable[str]) -> pd.DataFrame:
    """Drop geometry, put ``lead`` columns first, round floats, fix dtypes."""
    out = pd.DataFrame(frame[_ordered_columns(frame, lead)]).copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_bool_dtype(s):
            out[col] = s.astype(bool)
        elif pd.api.types.is_float_dtype(s):
            out[col] = s.astype("float64").round(DECIMALS).replace(-0.0, 0.0)
    return out.reset_index(drop=True)


def csv_bytes(frame: pd.DataFrame) -> bytes:
    r"""CSV bytes: UTF-8 with BOM, ``\\n`` line ends, floats as rounded above."""
    buf = io.StringIO()
    frame.to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue().encode(CSV_ENCODING)


def ward_table(result: Any) -> pd.DataFrame:
    """Build the ``wards.csv`` table: lead columns, then ``rank`` and the rest; worst first."""
    wards = (
        result.wards.sort_values("rank", kind="mergesort")
        if "rank" in result.wards
        else result.wards
    )
    return _clean_table(wards, WARD_CSV_COLUMNS)


def operator_table(result: Any) -> pd.DataFrame:
    """Build the ``by_operator.csv`` table: one row per ward × operator."""
    lead = (*WARD_LEAD_COLUMNS[:2], "operator", *WARD_LEAD_COLUMNS[2:])
    frame = result.by_operator.sort_values(["ward_id", "operator"], kind="mergesort")
    return _clean_table(frame, lead)


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
    return _clean_table(frame, ("kind", *VALIDATION_COLUMNS))


def rejected_rows(validation_rows: pd.DataFrame) -> pd.DataFrame:
    """Only the ``rejected`` issues of :func:`validation_table`."""
    return validation_rows[validation_rows["kind"] == "rejected"].reset_index(drop=True)


def format_validation(validation: Any) -> str:
    """Text report of reading a site file: counts, then every rejected row.

    Each rejected row is printed as ``file,row,column,reason`` (CSV-quoted),
    followed by the number of non-fatal notes.
    """
    lines = [
        f"{validation.file}: {validation.rows_read:,} rows read, "
        f"{validation.rows_accepted:,} accepted, {validation.rows_rejected:,} rejected"
        + (
            f", {validation.rows_filtered:,} left out by the radio filter"
            if getattr(validation, "rows_filtered", 0)
            else ""
        )
        + "."
    ]
    table = validation_table(validation)
    rejected = rejected_rows(table)
    if len(rejected):
        lines += ["", f"Rejected ({len(rejected):,} problems):"]
        body = rejected[list(VALIDATION_COLUMNS)].to_csv(index=False, lineterminator="\n")
        lines += body.rstrip("\n").split("\n")
    notes = table[table["kind"] == "note"]
    if len(notes):
        lines += ["", f"{len(notes):,} notes (fixes applied, rows kept):"]
        lines += [
            f"  - {'whole file' if pd.isna(r.row) else f'row {r.row}'}"
            f"{'' if pd.isna(r.column) else f', column {r.column!r}'}: {r.reason}"
            for r in notes.head(20).itertuples(index=False)
        ]
        if len(notes) > 20:
            lines.append(f"  … and {len(notes) - 20:,} more (see the CSV report, --out).")
    return "\n".join(lines)


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


def geojson_bytes(frame: Any, lead: Iterable[str] = ()) -> bytes:
    """GeoJSON FeatureCollection bytes in EPSG:4326, one feature per row.

    Properties keep the column order (``lead`` first); coordinates are
    rounded to :data:`COORD_DECIMALS` decimals [degrees].
    """
    if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
        frame = frame.to_crs("EPSG:4326")
    props = _clean_table(pd.DataFrame(frame), lead)
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
    doc = {"type": "FeatureCollection", "features": features}
    return (json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


# --------------------------------------------------------------------------
# Words and numbers for people
# --------------------------------------------------------------------------
def _pct(value: Any, decimals: int = 2) -> str:
    """Format a coverage percentage, rounded *down* so that it never overstates coverage."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    q = 10**decimals
    return f"{math.floor(float(value) * q + 1e-6) / q:.{decimals}f}%"


def _people(value: Any) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return f"{round(float(value)):,}"


def _count(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else "n/a"


def _km2(value: Any) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return f"{float(value):,.1f} km²"


def population_words(source: Any) -> str:
    """Plain words for a ``population_source`` code (``uniform:official``, ``raster:<file>``)."""
    text = str(source or "")
    if text == "uniform:official":
        return (
            "each ward's official population, spread evenly over the ward's area "
            "(no population raster given)"
        )
    if text.startswith("raster:"):
        return f"population raster {text.split(':', 1)[1]} (people per pixel)"
    return text or "unknown"


def place_name(summary: Mapping[str, Any]) -> str:
    """``"Hà Nội"`` for the shipped wards, otherwise ``"the study area"``."""
    wards = (summary.get("inputs") or {}).get("wards") or {}
    return "Hà Nội" if wards.get("name") == _HANOI_WARDS_FILE else "the study area"


def _goal_words(summary: Mapping[str, Any]) -> tuple[str, str, str]:
    """(metric, weighting label, what) for the goal's metric."""
    metric = (summary.get("goal") or {}).get("metric", "population")
    if metric == "area":
        return "area", "area-weighted", "the area"
    return "population", "population-weighted", "the population"


def verdict(summary: Mapping[str, Any]) -> str:
    """One sentence answering "does the city meet its goal?"."""
    goal = summary.get("goal") or {}
    metric, weighting, what = _goal_words(summary)
    value = summary.get(f"{metric}_coverage_pct")
    target = float(goal.get("target_pct", 99.0))
    year = goal.get("year", 2030)
    place = place_name(summary)
    if summary.get("meets_goal"):
        return (
            f"YES: {place} already meets the goal of {target:g}% of {what} by {year}: "
            f"5G covers {_pct(value)} of {what} ({weighting})."
        )
    gap = summary.get("goal_gap_points")
    need = _still_needed(summary)
    return (
        f"NOT YET: 5G covers {_pct(value)} of {what} of {place} ({weighting}); "
        f"the goal is {target:g}% by {year}, {gap:.2f} points away{need}."
        if isinstance(gap, (int, float))
        else f"NOT YET: 5G covers {_pct(value)} of {what} of {place} ({weighting}); "
        f"the goal is {target:g}% by {year}."
    )


def _still_needed(summary: Mapping[str, Any]) -> str:
    """``"; about N more people need service"`` (or km² for an area goal)."""
    goal = summary.get("goal") or {}
    t = float(goal.get("target_pct", 99.0)) / 100.0
    try:
        if goal.get("metric", "population") == "area":
            need = t * float(summary["area_km2"]) - float(summary["covered_area_km2"])
            return f"; about {_km2(need)} more need service" if need > 0 else ""
        need = t * float(summary["population"]) - float(summary["covered_population"])
    except (KeyError, TypeError, ValueError):
        return ""
    return f"; about {_people(need)} more people need service" if need > 0 else ""


def synthetic_warning(summary: Mapping[str, Any]) -> str | None:
    """Return the SYNTHETIC warning when the site data is synthetic, else ``None``."""
    if not summary.get("synthetic"):
        return None
    return (
        "SYNTHETIC sample data: these figures describe a made-up network, "
        "not any operator's real sites."
    )


def format_summary(result: Any, paths: Mapping[str, Path] | None = None) -> str:
    """Short human summary for the terminal (read in under a minute)."""
    s = result.summary
    lines: list[str] = []
    warn = synthetic_warning(s)
    if warn:
        lines += [f"!! {warn}", ""]
    lines.append(verdict(s))
    lines.append(
        f"  Population covered: {_pct(s.get('population_coverage_pct'))} (population-weighted); "
        f"{_people(s.get('uncovered_population'))} of {_people(s.get('population'))} people uncovered"
    )
    lines.append(
        f"  Area covered:       {_pct(s.get('area_coverage_pct'))} (area-weighted) of "
        f"{_km2(s.get('area_km2'))}"
    )
    lines.append(f"  Wards meeting the goal: {s.get('wards_meeting_goal')} of {s.get('n_wards')}")
    lines.append(f"  Model: {s.get('model_label')}")
    lines.append(f"  Where people live: {population_words(s.get('population_source'))}")
    sites = s.get("sites") or {}
    if sites.get("rows_read") is not None:
        lines.append(
            f"  Site rows: {sites.get('rows_read'):,} read, {sites.get('rows_accepted'):,} accepted, "
            f"{sites.get('rows_rejected'):,} rejected"
            + (" (see validation.csv)" if sites.get("rows_rejected") else "")
        )
    worst = result.wards
    if "rank" in worst:
        worst = worst.sort_values("rank", kind="mergesort")
    worst = worst[worst["meets_goal"] == False].head(SUMMARY_WORST_WARDS)  # noqa: E712
    if len(worst):
        metric, _, _ = _goal_words(s)
        lines += ["", "Wards holding the city back most (closing the gap adds to the city figure):"]
        width = max(len(str(n)) for n in worst["name"])
        for i, r in enumerate(worst.itertuples(), start=1):
            lines.append(
                f"  {i}. {r.name!s:<{width}}  {_pct(getattr(r, f'{metric}_coverage_pct'))} covered, "
                f"{_people(r.uncovered_population)} people uncovered, "
                f"+{r.city_gain_pct:.2f} points"
            )
    if paths:
        folder = Path(next(iter(paths.values()))).parent
        lines += [
            "",
            f"Files in {folder}{os.sep}: " + ", ".join(sorted(p.name for p in paths.values())),
        ]
        if "report.html" in paths:
            lines.append(f"Open {paths['report.html']} for the full report.")
    if warn:
        lines += ["", f"!! {warn}"]
    return "\n".join(lines)


# --------------------------------------------------------------------------
# report.html
# --------------------------------------------------------------------------
_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;
max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b;line-height:1.5}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{margin-top:2rem;border-bottom:1px solid #ddd}
.banner{background:#fff3cd;border:2px solid #e0a800;padding:.8rem 1rem;font-weight:bold}
.verdict{font-size:1.25rem;padding:1rem;border-radius:.4rem;margin:1rem 0}
.yes{background:#e6f4ea;border-left:6px solid #1e8e3e}.no{background:#fdecea;border-left:6px solid #d93025}
.figures{display:flex;flex-wrap:wrap;gap:1rem}.fig{flex:1 1 12rem;border:1px solid #ddd;
border-radius:.4rem;padding:.6rem 1rem}.fig b{display:block;font-size:1.5rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border-bottom:1px solid #e5e5e5;
padding:.3rem .5rem;text-align:left}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.muted{color:#555;font-size:.9rem}code{background:#f3f3f3;padding:0 .2rem}
"""


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _table(headers: list[tuple[str, bool]], rows: list[list[Any]]) -> str:
    """HTML table; ``headers`` are (label, numeric)."""
    head = "".join(f'<th class="n">{_e(h)}</th>' if n else f"<th>{_e(h)}</th>" for h, n in headers)
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="n">{_e(v)}</td>' if num else f"<td>{_e(v)}</td>"
            for v, (_, num) in zip(row, headers, strict=True)
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _operator_label(op: str) -> str:
    return "Any operator" if op == ANY_OPERATOR else op


def report_html(result: Any, validation_rows: pd.DataFrame | None = None) -> bytes:
    """``report.html``: the audit for a non-programmer, one self-contained page."""
    s = result.summary
    goal = s.get("goal") or {}
    metric, weighting, what = _goal_words(s)
    place = place_name(s)
    target = float(goal.get("target_pct", 99.0))
    year = goal.get("year", 2030)
    parts: list[str] = []
    warn = synthetic_warning(s)
    if warn:
        parts.append(f'<p class="banner">⚠ {_e(warn)}</p>')
    parts.append(f"<h1>5G coverage audit: {_e(place)}</h1>")
    parts.append(
        f'<p class="muted">Goal: {_e(goal.get("description", ""))}. '
        f"Is {_e(place)} on track for {target:g}% of {_e(what)} by {_e(year)}?</p>"
    )
    parts.append(
        f'<p class="verdict {"yes" if s.get("meets_goal") else "no"}">{_e(verdict(s))}</p>'
    )
    gap_people = s.get("uncovered_population")
    parts.append(
        '<div class="figures">'
        f'<div class="fig">Population covered <b>{_e(_pct(s.get("population_coverage_pct")))}</b>'
        f"population-weighted, goal {target:g}%{' (by people)' if metric == 'population' else ''}</div>"
        f'<div class="fig">Area covered <b>{_e(_pct(s.get("area_coverage_pct")))}</b>'
        f"area-weighted, of {_e(_km2(s.get('area_km2')))}</div>"
        f'<div class="fig">Wards meeting the goal <b>{_e(s.get("wards_meeting_goal"))} of '
        f"{_e(s.get('n_wards'))}</b>wards and communes</div>"
        f'<div class="fig">People without 5G <b>{_e(_people(gap_people))}</b>'
        f"of {_e(_people(s.get('population')))} residents</div>"
        "</div>"
    )

    parts.append("<h2>Two ways to count coverage</h2>")
    parts.append(
        "<p><b>Area-weighted</b> coverage is the share of the <i>land</i> that has a 5G "
        "signal. <b>Population-weighted</b> coverage is the share of the <i>people</i> who "
        "live where there is a signal. Operators build where people live, so the two figures "
        "can differ a lot: dense inner-city wards are small but hold many people, while large "
        "rural communes hold few. An open statewide study found 63.6% of the area but 85.5% "
        f"of the people covered on the same run. The goal counts <b>{_e(what)}</b>, so the "
        f"{_e(weighting)} figure is the one that decides whether it is met.</p>"
    )

    parts.append("<h2>How this was computed</h2>")
    inputs = s.get("inputs") or {}
    input_rows = [
        [k, (v or {}).get("name", ""), (v or {}).get("sha256", "")]
        for k, v in sorted(inputs.items())
        if v
    ]
    threshold = s.get("threshold_dbm")
    parts.append(
        "<ul>"
        f"<li>Coverage model: {_e(s.get('model_label'))}"
        + (
            f" (a place counts as covered when the strongest signal is at least {threshold:g} dBm)"
            if isinstance(threshold, (int, float))
            else ""
        )
        + "</li>"
        f"<li>Where people live: {_e(population_words(s.get('population_source')))}</li>"
        f"<li>Tool: phusong {_e(s.get('version'))}; every parameter is in <code>summary.json</code>.</li>"
        "</ul>"
    )
    if input_rows:
        parts.append(_table([("input", False), ("file", False), ("SHA-256", False)], input_rows))

    parts.append(f"<h2>The {REPORT_WORST_WARDS} wards that hold the city back most</h2>")
    parts.append(
        f"<p>Ranked by how much closing the ward's whole gap would add to the city's {_e(weighting)} "
        "figure (in percentage points). Big, populous wards with low coverage come first.</p>"
    )
    wards = (
        result.wards.sort_values("rank", kind="mergesort")
        if "rank" in result.wards
        else result.wards
    )
    rows = [
        [
            int(r.rank) if hasattr(r, "rank") else i,
            r.name,
            _pct(r.population_coverage_pct),
            _pct(r.area_coverage_pct),
            _people(r.uncovered_population),
            f"+{r.city_gain_pct:.2f}" if math.isfinite(r.city_gain_pct) else "n/a",
            "yes" if r.meets_goal else "no",
        ]
        for i, r in enumerate(wards.head(REPORT_WORST_WARDS).itertuples(), start=1)
    ]
    parts.append(
        _table(
            [
                ("#", True),
                ("ward", False),
                ("population covered", True),
                ("area covered", True),
                ("people uncovered", True),
                ("city figure gains (points)", True),
                ("meets goal", False),
            ],
            rows,
        )
    )
    parts.append(
        '<p class="muted">All wards: <code>wards.csv</code> (opens in Excel), map: '
        "<code>map.html</code>, gaps: <code>gaps.geojson</code>.</p>"
    )

    parts.append("<h2>Per operator</h2>")
    ops = s.get("operators") or {}
    order = sorted((k for k in ops if k != ANY_OPERATOR), key=str.lower) + (
        [ANY_OPERATOR] if ANY_OPERATOR in ops else []
    )
    parts.append(
        _table(
            [
                ("operator", False),
                ("cells", True),
                ("population covered", True),
                ("area covered", True),
                ("wards meeting goal", True),
                ("meets goal", False),
            ],
            [
                [
                    _operator_label(op),
                    f"{ops[op].get('cells', 0):,}",
                    _pct(ops[op].get("population_coverage_pct")),
                    _pct(ops[op].get("area_coverage_pct")),
                    ops[op].get("wards_meeting_goal"),
                    "yes" if ops[op].get("meets_goal") else "no",
                ]
                for op in order
            ],
        )
    )
    parts.append(
        '<p class="muted">"Any operator" counts a place as covered when at least one '
        "operator serves it. Details per ward: <code>by_operator.csv</code>.</p>"
    )

    parts.append("<h2>How robust is the coverage?</h2>")
    red = s.get("redundancy") or {}
    labels = {
        "0": "no 5G site",
        "1": "exactly one site",
        "2_4": "2 to 4 sites",
        "5plus": "5 or more sites",
    }
    parts.append(
        _table(
            [
                ("people served by", False),
                ("people", True),
                ("share of population", True),
                ("area", True),
            ],
            [
                [
                    labels.get(k, k),
                    _people(v.get("population")),
                    _pct(v.get("population_pct"), 1),
                    _km2(v.get("area_km2")),
                ]
                for k, v in red.items()
            ],
        )
    )
    parts.append(
        "<p>People served by <b>exactly one</b> site are one outage away from no service: a "
        "power cut, a fibre break or maintenance at that one site leaves them without 5G. "
        "With two or more sites another one can take over.</p>"
    )

    parts.append("<h2>Input check</h2>")
    sites = s.get("sites") or {}
    parts.append(
        f"<p>Site file rows: {_e(_count(sites.get('rows_read')))} read, "
        f"{_e(_count(sites.get('rows_accepted')))} accepted, "
        f"{_e(_count(sites.get('rows_rejected')))} rejected; {_e(_count(sites.get('cells')))} cells "
        f"on {_e(_count(sites.get('sites')))} sites used. Rejected rows are listed with the reason in "
        "<code>validation.csv</code>.</p>"
    )
    if validation_rows is not None and len(validation_rows):
        counts = (
            validation_rows.assign(column=validation_rows["column"].fillna("(whole row)"))
            .groupby(["column", "reason"], dropna=False, sort=True)
            .size()
            .reset_index(name="rows")
            .sort_values(
                ["rows", "column", "reason"], ascending=[False, True, True], kind="mergesort"
            )
            .head(20)
        )
        parts.append(
            _table(
                [("column", False), ("reason", False), ("rows", True)],
                [[r.column, r.reason, f"{r.rows:,}"] for r in counts.itertuples()],
            )
        )
    parts.append(
        '<p class="muted">CSV files are UTF-8 with a byte-order mark so that Excel shows '
        "Vietnamese names correctly. Ward boundaries © OpenStreetMap contributors (ODbL).</p>"
    )
    if warn:
        parts.append(f'<p class="banner">⚠ {_e(warn)}</p>')
    doc = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>5G coverage audit: {_e(place)}</title><style>{_CSS}</style></head>"
        "<body>\n" + "\n".join(parts) + "\n</body></html>\n"
    )
    return doc.encode("utf-8")


# --------------------------------------------------------------------------
# The output folder
# --------------------------------------------------------------------------
def check_output_dir(out_dir: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """Refuse a non-empty output folder unless ``overwrite``.

    Raises
    ------
    OutputExistsError
        ``out_dir`` is a file, or a non-empty folder and ``overwrite`` is false.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise OutputExistsError(f"output folder {out} exists and is a file; choose another --out.")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise OutputExistsError(
            f"output folder {out} is not empty; pass --overwrite to replace its files "
            "or choose another --out."
        )
    return out


def _write_raster(out: Path, result: Any) -> Path | None:
    """Write ``coverage.tif`` for raster-route results (``None`` otherwise).

    Bands (float32, nodata NaN): best-server SS-RSRP [dBm] and best-server
    SINR [dB] (path-loss models only; NaN where unserved), then the number of
    distinct serving sites above the threshold [sites] (0 = no service).
    """
    grid = getattr(result, "grid", None)
    if grid is None:
        return None
    from phusong.raster.grid import FOOTPRINT_MODELS, write_cog

    bands: list[tuple[np.ndarray, str, str]] = []
    if grid.model not in FOOTPRINT_MODELS:
        bands.append((grid.rsrp_dbm, "best-server SS-RSRP", "dBm"))
        bands.append((grid.sinr_db, "best-server SINR (co-channel)", "dB"))
    bands.append((grid.n_servers, "distinct serving sites above threshold", "sites"))
    stack = np.stack([np.asarray(a, dtype="float32") for a, _, _ in bands])
    s = result.summary
    return write_cog(
        out / "coverage.tif",
        stack,
        grid.grid,
        np.nan,
        {
            "model": str(s.get("model_label", "")),
            "threshold_dbm": str(s.get("threshold_dbm")),
            "synthetic": "SYNTHETIC sample data" if s.get("synthetic") else "false",
            "tool": f"phusong {s.get('version', '')}",
        },
        descriptions=[d for _, d, _ in bands],
        units=[u for _, _, u in bands],
    )


def render_outputs(result: Any) -> dict[str, bytes]:
    """Every text output of :func:`write_outputs` as bytes (no files touched)."""
    validation = validation_table(result.validation)
    files = {
        "summary.json": summary_json(result.summary),
        "wards.csv": csv_bytes(ward_table(result)),
        "by_operator.csv": csv_bytes(operator_table(result)),
        "validation.csv": csv_bytes(validation),
        "wards.geojson": geojson_bytes(
            result.wards.sort_values("rank", kind="mergesort")
            if "rank" in result.wards
            else result.wards,
            WARD_CSV_COLUMNS,
        ),
        "gaps.geojson": geojson_bytes(result.gaps, ("ward_id",)),
        "report.html": report_html(result, rejected_rows(validation)),
    }
    return files


def map_html(m: Any) -> bytes:
    """Render a folium map as one self-contained HTML page (Leaflet embedded), UTF-8."""
    from phusong.output.maps import embed_assets

    return embed_assets(m).get_root().render().encode("utf-8")


def _write_files(out: Path, files: Mapping[str, bytes]) -> dict[str, Path]:
    """Write each file atomically into ``out`` (created if needed); name -> path, sorted."""
    out.mkdir(parents=True, exist_ok=True)
    return {
        name: atomic_write_bytes(out / name, files[name], overwrite=True) for name in sorted(files)
    }


def write_outputs(
    result: Any, out_dir: str | os.PathLike[str], *, overwrite: bool = False
) -> dict[str, Path]:
    """Write the report folder of an audit.

    Parameters
    ----------
    result : AuditResult
        From :func:`phusong.audit.run_audit`.
    out_dir : path
        Output folder; created if missing.
    overwrite : bool
        Replace the files of an existing non-empty folder. Only phusong's own
        output names (:data:`OUTPUT_FILES`) are ever replaced or removed.

    Returns
    -------
    dict
        File name -> path of every file written.

    Raises
    ------
    OutputExistsError
        ``out_dir`` is not empty and ``overwrite`` is false (nothing is written).
    """
    out = check_output_dir(out_dir, overwrite=overwrite)
    files = render_outputs(result)
    from phusong.output.maps import audit_map

    files["map.html"] = map_html(audit_map(result))
    written = _write_files(out, files)
    tif = _write_raster(out, result)
    if tif is not None:
        written[tif.name] = tif
    for name in OUTPUT_FILES:  # a file left from an earlier, different run would mislead
        if name not in written and (out / name).is_file():
            (out / name).unlink()
    return dict(sorted(written.items()))


# --------------------------------------------------------------------------
# Plan outputs (phusong plan)
# --------------------------------------------------------------------------
#: Every file name :func:`write_plan_outputs` writes (and, with overwrite, replaces).
PLAN_OUTPUT_FILES = (
    "proposed_sites.csv",
    "curve.csv",
    "wards_plan.csv",
    "plan_summary.json",
    "plan_map.html",
)

#: Columns of ``proposed_sites.csv``: the operator site/sector sheet that
#: ``phusong audit --sites`` reads (as the shipped sample), plus ``order``.
PLAN_SHEET_COLUMNS = (*SHEET_COLUMNS, "order")

#: Number of new sites listed in the terminal summary.
SUMMARY_NEW_SITES = 10

_PROPOSED = "#ff7f00"


def plan_sites_sheet(sites: Any) -> pd.DataFrame:
    """Build ``proposed_sites.csv``: proposed cells as an operator site/sector sheet.

    Parameters
    ----------
    sites : GeoDataFrame
        ``PlanResult.sites`` (canonical site columns plus ``order``).

    Returns
    -------
    DataFrame
        Columns :data:`PLAN_SHEET_COLUMNS`, one row per cell, in the order the
        sites were added; floats rounded to :data:`DECIMALS` decimals
        (``lat``/``lon`` [degrees]: about 0.1 m).
    """
    frame = pd.DataFrame(sites).rename(columns={"lat_deg": "lat", "lon_deg": "lon"})
    frame = frame.sort_values(["order", "cell_id"], kind="mergesort")
    return _clean_table(frame[list(PLAN_SHEET_COLUMNS)], PLAN_SHEET_COLUMNS)


def plan_curve_table(run: Any) -> pd.DataFrame:
    """Build ``curve.csv``: sites added → population coverage.

    Rows ``method = greedy`` (or ``milp``) are the planner's estimates after
    1, 2, … new sites (``round`` says which planning round; a later round
    starts from the re-audit); rows ``method = audit`` are the audited figures
    (``round`` 0: the existing network; ``r``: after round ``r``).
    Columns ``round, method, n_sites, covered_population`` [people],
    ``population_coverage_pct`` [%] (population-weighted).
    """
    s = run.summary
    pop = float(s["population"])
    audits = [
        {
            "round": 0,
            "method": "audit",
            "n_sites": 0,
            "covered_population": s["covered_population_before"],
            "population_coverage_pct": s["population_coverage_pct_before"],
        }
    ]
    total = 0
    for h in s.get("history", []):
        total += int(h["n_new_sites"])
        pct = h.get("population_coverage_pct_after")
        if pct is not None:
            audits.append(
                {
                    "round": int(h["round"]),
                    "method": "audit",
                    "n_sites": total,
                    "covered_population": pct * pop / 100.0,
                    "population_coverage_pct": pct,
                }
            )
    curve = pd.DataFrame(run.plan.curve)
    cols = ["round", "method", "n_sites", "covered_population", "population_coverage_pct"]
    parts = [frame for frame in (curve, pd.DataFrame(audits)) if len(frame)]
    out = pd.concat([p[cols] for p in parts], ignore_index=True)
    out["n_sites"] = out["n_sites"].astype("int64")
    rank = out["method"].map({"audit": 1}).fillna(0)
    out = out.assign(_rank=rank).sort_values(["round", "_rank", "n_sites"], kind="mergesort")
    return _clean_table(out.drop(columns="_rank"), cols)


def plan_ward_table(run: Any) -> pd.DataFrame:
    """Build ``wards_plan.csv``: per-ward coverage before and after (see :meth:`PlanRun.ward_table`)."""
    return _clean_table(run.ward_table(), ())


def render_plan_outputs(run: Any) -> dict[str, bytes]:
    """Every text output of :func:`write_plan_outputs` as bytes (no files touched)."""
    return {
        "proposed_sites.csv": csv_bytes(plan_sites_sheet(run.plan.sites)),
        "curve.csv": csv_bytes(plan_curve_table(run)),
        "wards_plan.csv": csv_bytes(plan_ward_table(run)),
        "plan_summary.json": summary_json(run.summary),
    }


def plan_map(run: Any) -> Any:
    """Folium map of a plan: the audit map of the re-audit plus the proposed sites.

    :func:`phusong.output.maps.audit_map` of ``run.after`` (``run.before`` without a
    re-audit) with one extra layer, "Proposed new sites", drawing each new
    site as an orange circle whose tooltip gives its id, order, ward and the
    people it adds (the planner's estimate).
    """
    import folium

    from phusong.output.maps import audit_map

    new = run.new_sites()
    layer = folium.FeatureGroup(name=f"Proposed new sites ({len(new):,})", show=True)
    if len(new):
        features = [
            {
                "type": "Feature",
                "properties": {
                    "label": f"{r.site_id} · #{r.order} (round {r.round}) · {r.ward or '—'} · "
                    f"≈ {_people(r.covered_people_gain)} people gained (estimate)"
                },
                "geometry": {
                    "type": "Point",
                    "coordinates": [round(float(r.lon_deg), 6), round(float(r.lat_deg), 6)],
                },
            }
            for r in new.itertuples(index=False)
        ]
        folium.GeoJson(
            {"type": "FeatureCollection", "features": features},
            name="Proposed new sites",
            marker=folium.CircleMarker(
                radius=6, color="#000000", weight=1, fill=True, fill_color=_PROPOSED
            ),
            style_function=lambda f: {"fillColor": _PROPOSED, "fillOpacity": 0.95},
            tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
            zoom_on_click=False,
        ).add_to(layer)
    m = audit_map(run.after if run.after is not None else run.before, extra_layers=[layer])
    s = run.summary
    after = s.get("population_coverage_pct_after")
    note = (
        f"Orange: {len(new):,} proposed new sites ({_e(s.get('operator'))}). Population covered "
        f"{_e(_pct(s.get('population_coverage_pct_before')))} → "
        + (
            f"{_e(_pct(after))} after the re-audit"
            if after is not None
            else f"≈ {_e(_pct(s.get('estimated_population_coverage_pct_after')))} (estimate)"
        )
        + f" (population-weighted); target {s.get('target_pct'):g}%."
    )
    box = (
        '<div style="position:fixed;bottom:24px;right:10px;z-index:9999;background:#fff;'
        "padding:6px 10px;border:1px solid #999;border-radius:4px;font:12px sans-serif;"
        f'max-width:28rem">{note}</div>'
    )
    m.get_root().html.add_child(folium.Element(box))
    return m


def format_plan_summary(run: Any, paths: Mapping[str, Path] | None = None) -> str:
    """Short human summary of a plan for the terminal."""
    s = run.summary
    lines: list[str] = []
    warn = synthetic_warning(s)
    if warn:
        lines += [f"!! {warn}", ""]
    target = float(s["target_pct"])
    place = place_name(s)
    goal = s.get("goal") or {}
    mode = (
        f"the best coverage with at most {s['budget']} new sites"
        if s.get("mode") == "budget"
        else f"{target:g}% of the population"
        + (f" by {goal.get('year')}" if goal.get("target_pct") == target else "")
    )
    lines.append(f"New-site plan for {place}: {mode}.")
    after = s.get("population_coverage_pct_after")
    verified = after is not None
    lines.append(
        f"  Population covered: {_pct(s.get('population_coverage_pct_before'))} → "
        + (
            f"{_pct(after)} (population-weighted; re-audited with the new sites)"
            if verified
            else f"≈ {_pct(s.get('estimated_population_coverage_pct_after'))} "
            "(population-weighted; planner's estimate, not re-audited)"
        )
    )
    if verified:
        lines.append(
            f"  Area covered:       {_pct(s.get('area_coverage_pct_before'))} → "
            f"{_pct(s.get('area_coverage_pct_after'))} (area-weighted)"
        )
    lines.append(
        f"  New sites: {s['n_new_sites']:,} ({s['n_new_cells']:,} cells), operator "
        f"{s.get('operator')}; solver {s.get('method_used')}, {s['rounds']} round"
        + ("s" if s["rounds"] != 1 else "")
    )
    history = s.get("history") or []
    if len(history) > 1:
        steps = "; ".join(
            f"round {h['round']}: +{h['n_new_sites']} sites → "
            f"{_pct(h.get('population_coverage_pct_after'))}"
            for h in history
        )
        lines.append(f"    ({steps}, re-audited)")
    met = s.get("meets_target_after")
    if met is None:
        lines.append(f"  Target {target:g}%: not checked (no re-audit).")
    elif met:
        lines.append(f"  Target {target:g}% after re-audit: MET.")
    else:
        lines.append(f"  Target {target:g}% after re-audit: NOT MET.")
        lines.append(f"    {s.get('note', '')}")
    lines.append(f"  Model: {s.get('model_label')}")
    new = run.new_sites().head(SUMMARY_NEW_SITES)
    if len(new):
        lines += [
            "",
            f"First {len(new)} new sites, in the order added "
            "(people gained: the planner's estimate):",
        ]
        width = max(len(str(w or "—")) for w in new["ward"])
        for r in new.itertuples(index=False):
            lines.append(
                f"  {r.order:>3}. {r.site_id}  {r.ward or '—'!s:<{width}}  "
                f"{r.lat_deg:.5f}, {r.lon_deg:.5f}  +{_people(r.covered_people_gain)} people"
            )
    if paths:
        folder = Path(next(iter(paths.values()))).parent
        lines += [
            "",
            f"Files in {folder}{os.sep}: " + ", ".join(sorted(p.name for p in paths.values())),
            "proposed_sites.csv is a site sheet: check it with 'phusong audit --sites' "
            "together with the existing sites.",
        ]
    if warn:
        lines += ["", f"!! {warn}"]
    return "\n".join(lines)


def write_plan_outputs(
    run: Any, out_dir: str | os.PathLike[str], *, overwrite: bool = False
) -> dict[str, Path]:
    """Write the output folder of a plan.

    Parameters
    ----------
    run : PlanRun
        From :func:`phusong.audit.run_plan`.
    out_dir : path
        Output folder; created if missing.
    overwrite : bool
        Replace the files of an existing non-empty folder. Only the plan's own
        output names (:data:`PLAN_OUTPUT_FILES`) are ever replaced.

    Returns
    -------
    dict
        File name -> path of every file written (:data:`PLAN_OUTPUT_FILES`).

    Raises
    ------
    OutputExistsError
        ``out_dir`` is not empty and ``overwrite`` is false (nothing is written).
    """
    out = check_output_dir(out_dir, overwrite=overwrite)
    files = render_plan_outputs(run)
    files["plan_map.html"] = map_html(plan_map(run))
    return _write_files(out, files)


__all__ = [
    "CSV_ENCODING",
    "OUTPUT_FILES",
    "PLAN_OUTPUT_FILES",
    "PLAN_SHEET_COLUMNS",
    "WARD_LEAD_COLUMNS",
    "check_output_dir",
    "format_plan_summary",
    "format_summary",
    "format_validation",
    "plan_curve_table",
    "plan_map",
    "plan_sites_sheet",
    "plan_ward_table",
    "render_outputs",
    "render_plan_outputs",
    "report_html",
    "summary_json",
    "verdict",
    "write_outputs",
    "write_plan_outputs",
]
