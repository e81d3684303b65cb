"""Every output of an audit or a plan, rendered in memory: ``{file name: bytes}``.

An audit's folder (written by :func:`phusong.io.outputs.write_outputs`):

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

A plan's folder (:func:`phusong.io.outputs.write_plan_outputs`) holds
:data:`PLAN_OUTPUT_FILES` (see :mod:`phusong.output.plan`).

Every text output is rendered in one language (``lang``: ``"vi"`` or ``"en"``,
default :func:`phusong.i18n.current_language`); CSV column names and JSON
keys are stable English identifiers in both (``docs/columns.md``).

Synthetic data. Every file made from a SYNTHETIC site file says so inside
(CSV: a ``synthetic`` column; GeoJSON: a ``synthetic`` member and property;
JSON: ``"synthetic": true``; HTML: a banner; GeoTIFF: a tag). In the folder
the names stay the documented ones (scripts rely on them); a download or a
bundle carries the flag in its name too (:func:`download_name`:
``wards_SYNTHETIC.csv``).

Bundle. :func:`bundle_zip` packs every output into one ZIP named with the
scenario and the date (:func:`bundle_name`:
``phusong_audit_disc_2025-03-12_SYNTHETIC.zip``), byte-identical for the same
files (sorted entries, fixed timestamps).

Nothing here touches a file. ``coverage.tif`` is prepared as bands
(:func:`coverage_raster`) and written by :mod:`phusong.io.outputs`.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
import zipfile
from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from phusong.i18n import current_language
from phusong.output.plan import plan_curve_table, plan_map, plan_sites_sheet, plan_ward_table
from phusong.output.report import report_html
from phusong.output.tables import (
    WARD_CSV_COLUMNS,
    csv_bytes,
    geojson_bytes,
    operator_table,
    rejected_rows,
    summary_json,
    validation_table,
    ward_table,
    with_synthetic_flag,
    worst_first,
)

#: Every file name :func:`phusong.io.outputs.write_outputs` may write (and,
#: with overwrite, replace).
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
    "targets.csv",  # progress (issue #15): with a places file (--targets)
)

#: Every file name :func:`phusong.io.outputs.write_plan_outputs` writes (and,
#: with overwrite, replaces).
PLAN_OUTPUT_FILES = (
    "proposed_sites.csv",
    "curve.csv",
    "wards_plan.csv",
    "plan_summary.json",
    "plan_map.html",
)

#: File name of the coverage raster of a raster-route audit.
COVERAGE_RASTER_FILE = "coverage.tif"

#: Band descriptions of ``coverage.tif``: GeoTIFF metadata that GIS tools show
#: as they are, so stable English identifiers in every language (docs/columns.md).
RASTER_BANDS = {
    # i18n: identifier
    "rsrp": "best-server SS-RSRP",
    # i18n: identifier
    "sinr": "best-server SINR (co-channel)",
    # i18n: identifier
    "servers": "distinct serving sites above threshold",
}
#: Value of the ``synthetic`` tag of ``coverage.tif`` for synthetic data. i18n: identifier
RASTER_SYNTHETIC_TAG = "SYNTHETIC sample data"


#: Marker of synthetic data in a file name (``wards_SYNTHETIC.csv``).
SYNTHETIC_TAG = "SYNTHETIC"
#: Timestamp of every ZIP entry (the earliest a ZIP can hold): no clock in the bytes.
ZIP_ENTRY_TIME = (1980, 1, 1, 0, 0, 0)


def map_html(m: Any) -> bytes:
    """Render a folium map as one self-contained HTML page (Leaflet embedded), UTF-8.

    Elements are named by their place in the map (:func:`phusong.output.maps.stable_ids`),
    so the same map gives the same bytes.
    """
    from phusong.output.maps import embed_assets, stable_ids

    return stable_ids(embed_assets(m)).get_root().render().encode("utf-8")


def render_outputs(result: Any, lang: str | None = None) -> dict[str, bytes]:
    """Every text output of an audit's folder as bytes (no map, no raster).

    Parameters
    ----------
    result : AuditResult
        From :func:`phusong.audit.run_audit`.
    lang : str, optional
        Language of ``report.html``: ``"vi"`` or ``"en"``; default
        :func:`phusong.i18n.current_language`.

    Returns
    -------
    dict
        File name -> bytes: ``summary.json``, ``wards.csv``,
        ``by_operator.csv``, ``validation.csv``, ``wards.geojson``,
        ``gaps.geojson`` and ``report.html``. Tables carry the ``synthetic``
        flag (:mod:`phusong.output.tables`).
    """
    synthetic = bool(result.summary.get("synthetic"))
    validation = validation_table(result.validation)

    def table(frame: Any) -> bytes:
        return csv_bytes(with_synthetic_flag(frame, synthetic))

    files = {
        "summary.json": summary_json(result.summary),
        "wards.csv": table(ward_table(result)),
        "by_operator.csv": table(operator_table(result)),
        "validation.csv": table(validation),
        "wards.geojson": geojson_bytes(
            worst_first(result.wards), WARD_CSV_COLUMNS, synthetic=synthetic
        ),
        "gaps.geojson": geojson_bytes(result.gaps, ("ward_id",), synthetic=synthetic),
        "report.html": report_html(result, rejected_rows(validation), lang),
    }
    places = getattr(getattr(result, "checks", None), "places", None)  # progress (issue #15)
    if places is not None:
        from phusong.output.progress import targets_table

        files["targets.csv"] = table(targets_table(places))
    return files


def render_audit_folder(result: Any, lang: str | None = None) -> dict[str, bytes]:
    """:func:`render_outputs` plus ``map.html`` (everything but ``coverage.tif``)."""
    from phusong.output.maps import audit_map

    code = current_language(lang)
    return {**render_outputs(result, code), "map.html": map_html(audit_map(result, lang=code))}


def render_plan_outputs(run: Any) -> dict[str, bytes]:
    """Every text output of a plan's folder as bytes (no map).

    Parameters
    ----------
    run : PlanRun
        From :func:`phusong.plan.run_plan`.

    Returns
    -------
    dict
        File name -> bytes: ``proposed_sites.csv``, ``curve.csv``,
        ``wards_plan.csv`` and ``plan_summary.json``; the tables carry the
        ``synthetic`` flag.
    """
    synthetic = bool(run.summary.get("synthetic"))
    return {
        "proposed_sites.csv": csv_bytes(plan_sites_sheet(run.plan.sites, synthetic)),
        "curve.csv": csv_bytes(with_synthetic_flag(plan_curve_table(run), synthetic)),
        "wards_plan.csv": csv_bytes(with_synthetic_flag(plan_ward_table(run), synthetic)),
        "plan_summary.json": summary_json(run.summary),
    }


def render_plan_folder(run: Any, lang: str | None = None) -> dict[str, bytes]:
    """:func:`render_plan_outputs` plus ``plan_map.html``: every file of :data:`PLAN_OUTPUT_FILES`."""
    return {**render_plan_outputs(run), "plan_map.html": map_html(plan_map(run, lang))}


# --------------------------------------------------------------------------
# Names of downloads, and the ZIP bundle
# --------------------------------------------------------------------------
def download_name(name: str, synthetic: bool) -> str:
    """File name for a download: ``wards.csv`` -> ``wards_SYNTHETIC.csv`` when synthetic.

    The tag goes before the first dot (``coverage.tif`` -> ``coverage_SYNTHETIC.tif``);
    a name that already says SYNTHETIC, or real data, is left as it is.
    """
    if not synthetic or SYNTHETIC_TAG in name.upper():
        return name
    stem, dot, ext = name.partition(".")
    return f"{stem}_{SYNTHETIC_TAG}{dot}{ext}"


def slug(text: str) -> str:
    """ASCII file-name part of a free text: ``"Mô hình UMa, 3.5 GHz"`` -> ``"mo-hinh-uma-3-5-ghz"``."""
    plain = unicodedata.normalize("NFKD", str(text).replace("đ", "d").replace("Đ", "D"))
    ascii_text = plain.encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-") or "run"


def scenario_words(summary: Mapping[str, Any]) -> str:
    """Return the default scenario of a run: its model, then the operators it was limited to.

    ``"disc"``, ``"uma_nlos-viettel"``; a plan adds its number of new sites
    (``"disc-12-new-sites"``).
    """
    params = summary.get("parameters") or {}
    parts = [str(summary.get("model") or params.get("model") or "run")]
    operators = params.get("operators") or []
    parts += [str(op) for op in operators]
    if summary.get("n_new_sites") is not None:
        parts.append(f"{summary['n_new_sites']}-new-sites")
    return "-".join(parts)


def bundle_name(
    summary: Mapping[str, Any],
    *,
    kind: str = "audit",
    scenario: str | None = None,
    day: dt.date | None = None,
) -> str:
    """Name of the ZIP bundle: ``phusong_<kind>_<scenario>_<YYYY-MM-DD>[_SYNTHETIC].zip``.

    Parameters
    ----------
    summary : mapping
        The run's summary (``synthetic``, ``model``, ``parameters``).
    kind : str
        ``"audit"`` or ``"plan"``.
    scenario : str, optional
        Free words naming the scenario (the app's name for it); default
        :func:`scenario_words`. Made ASCII by :func:`slug`.
    day : datetime.date, optional
        Date in the name; default today.
    """
    when = (day or dt.date.today()).isoformat()
    tag = f"_{SYNTHETIC_TAG}" if summary.get("synthetic") else ""
    return f"phusong_{slug(kind)}_{slug(scenario or scenario_words(summary))}_{when}{tag}.zip"


def zip_bytes(files: Mapping[str, bytes]) -> bytes:
    """ZIP archive of ``files`` (name -> bytes): sorted, deflated, fixed timestamps.

    The same files give the same bytes (no clock, no file-system metadata).
    """
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=ZIP_ENTRY_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name])
    return buf.getvalue()


def bundle_zip(
    files: Mapping[str, bytes],
    summary: Mapping[str, Any],
    *,
    kind: str = "audit",
    scenario: str | None = None,
    day: dt.date | None = None,
) -> tuple[str, bytes]:
    """One ZIP of every output: ``(name, bytes)``.

    Parameters
    ----------
    files : mapping of str to bytes
        The outputs (:func:`render_audit_folder`, :func:`render_plan_folder`,
        plus ``coverage.tif`` when there is one).
    summary : mapping
        The run's summary: SYNTHETIC data tags every entry's name
        (:func:`download_name`) and the bundle's.
    kind, scenario, day
        As :func:`bundle_name`.

    Returns
    -------
    tuple of (str, bytes)
        The bundle's file name and content.
    """
    synthetic = bool(summary.get("synthetic"))
    entries = {download_name(n, synthetic): data for n, data in files.items()}
    name = bundle_name(summary, kind=kind, scenario=scenario, day=day)
    return name, zip_bytes(entries)


class CoverageRaster(NamedTuple):
    """The bands of ``coverage.tif`` and what :func:`phusong.io.rasters.write_cog` needs.

    Attributes
    ----------
    array : ndarray
        ``(bands, height, width)`` float32, NaN where there is no value.
    grid : GridSpec
        The raster grid (CRS and transform).
    nodata : float
        NaN.
    tags : dict of str to str
        Model, threshold [dBm], SYNTHETIC flag and tool version.
    descriptions, units : list of str
        One per band.
    """

    array: np.ndarray
    grid: Any
    nodata: float
    tags: dict[str, str]
    descriptions: list[str]
    units: list[str]


def coverage_raster(result: Any) -> CoverageRaster | None:
    """Bands of ``coverage.tif`` for a raster-route audit (``None`` otherwise).

    Bands (float32, nodata NaN): best-server SS-RSRP [dBm] and best-server
    SINR [dB] (path-loss models only; NaN where unserved), then the number of
    distinct serving sites above the threshold [sites] (0 = no service).
    """
    grid = getattr(result, "grid", None)
    if grid is None:
        return None
    from phusong.raster.grid import FOOTPRINT_MODELS

    bands: list[tuple[np.ndarray, str, str]] = []
    if grid.model not in FOOTPRINT_MODELS:
        bands.append((grid.rsrp_dbm, RASTER_BANDS["rsrp"], "dBm"))
        bands.append((grid.sinr_db, RASTER_BANDS["sinr"], "dB"))
    bands.append((grid.n_servers, RASTER_BANDS["servers"], "sites"))
    s = result.summary
    return CoverageRaster(
        array=np.stack([np.asarray(a, dtype="float32") for a, _, _ in bands]),
        grid=grid.grid,
        nodata=np.nan,
        tags={
            "model": str(s.get("model_label", "")),
            "threshold_dbm": str(s.get("threshold_dbm")),
            "synthetic": RASTER_SYNTHETIC_TAG if s.get("synthetic") else "false",
            "tool": f"phusong {s.get('version', '')}",
        },
        descriptions=[d for _, d, _ in bands],
        units=[u for _, _, u in bands],
    )


__all__ = [
    "COVERAGE_RASTER_FILE",
    "OUTPUT_FILES",
    "PLAN_OUTPUT_FILES",
    "SYNTHETIC_TAG",
    "CoverageRaster",
    "bundle_name",
    "bundle_zip",
    "coverage_raster",
    "download_name",
    "map_html",
    "render_audit_folder",
    "render_outputs",
    "render_plan_folder",
    "render_plan_outputs",
    "scenario_words",
    "slug",
    "zip_bytes",
]
