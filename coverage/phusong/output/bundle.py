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

Nothing here touches a file. ``coverage.tif`` is prepared as bands
(:func:`coverage_raster`) and written by :mod:`phusong.io.outputs`.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

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


def map_html(m: Any) -> bytes:
    """Render a folium map as one self-contained HTML page (Leaflet embedded), UTF-8."""
    from phusong.output.maps import embed_assets

    return embed_assets(m).get_root().render().encode("utf-8")


def render_outputs(result: Any) -> dict[str, bytes]:
    """Every text output of an audit's folder as bytes (no map, no raster).

    Parameters
    ----------
    result : AuditResult
        From :func:`phusong.audit.run_audit`.

    Returns
    -------
    dict
        File name -> bytes: ``summary.json``, ``wards.csv``,
        ``by_operator.csv``, ``validation.csv``, ``wards.geojson``,
        ``gaps.geojson`` and ``report.html``.
    """
    validation = validation_table(result.validation)
    return {
        "summary.json": summary_json(result.summary),
        "wards.csv": csv_bytes(ward_table(result)),
        "by_operator.csv": csv_bytes(operator_table(result)),
        "validation.csv": csv_bytes(validation),
        "wards.geojson": geojson_bytes(worst_first(result.wards), WARD_CSV_COLUMNS),
        "gaps.geojson": geojson_bytes(result.gaps, ("ward_id",)),
        "report.html": report_html(result, rejected_rows(validation)),
    }


def render_audit_folder(result: Any) -> dict[str, bytes]:
    """:func:`render_outputs` plus ``map.html`` (everything but ``coverage.tif``)."""
    from phusong.output.maps import audit_map

    return {**render_outputs(result), "map.html": map_html(audit_map(result))}


def render_plan_outputs(run: Any) -> dict[str, bytes]:
    """Every text output of a plan's folder as bytes (no map).

    Parameters
    ----------
    run : PlanRun
        From :func:`phusong.audit.run_plan`.

    Returns
    -------
    dict
        File name -> bytes: ``proposed_sites.csv``, ``curve.csv``,
        ``wards_plan.csv`` and ``plan_summary.json``.
    """
    return {
        "proposed_sites.csv": csv_bytes(plan_sites_sheet(run.plan.sites)),
        "curve.csv": csv_bytes(plan_curve_table(run)),
        "wards_plan.csv": csv_bytes(plan_ward_table(run)),
        "plan_summary.json": summary_json(run.summary),
    }


def render_plan_folder(run: Any) -> dict[str, bytes]:
    """:func:`render_plan_outputs` plus ``plan_map.html``: every file of :data:`PLAN_OUTPUT_FILES`."""
    return {**render_plan_outputs(run), "plan_map.html": map_html(plan_map(run))}


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
        bands.append((grid.rsrp_dbm, "best-server SS-RSRP", "dBm"))
        bands.append((grid.sinr_db, "best-server SINR (co-channel)", "dB"))
    bands.append((grid.n_servers, "distinct serving sites above threshold", "sites"))
    s = result.summary
    return CoverageRaster(
        array=np.stack([np.asarray(a, dtype="float32") for a, _, _ in bands]),
        grid=grid.grid,
        nodata=np.nan,
        tags={
            "model": str(s.get("model_label", "")),
            "threshold_dbm": str(s.get("threshold_dbm")),
            "synthetic": "SYNTHETIC sample data" if s.get("synthetic") else "false",
            "tool": f"phusong {s.get('version', '')}",
        },
        descriptions=[d for _, d, _ in bands],
        units=[u for _, _, u in bands],
    )


__all__ = [
    "COVERAGE_RASTER_FILE",
    "OUTPUT_FILES",
    "PLAN_OUTPUT_FILES",
    "CoverageRaster",
    "coverage_raster",
    "map_html",
    "render_audit_folder",
    "render_outputs",
    "render_plan_folder",
    "render_plan_outputs",
]
