"""The files of a calibration, rendered in memory: plots, report, tables, text.

* :func:`residual_distance_png` and :func:`residual_map_png` — the two plots
  (matplotlib, Agg backend, PNG bytes with no timestamp);
* :func:`calibration_report_html` — ``calibration_report.html``, one
  self-contained page (plots embedded) from the template
  ``templates/calibration.html.j2``;
* :func:`points_csv`, :func:`format_calibration_summary` — the per-point table
  and the command line's summary;
* the "calibration" section of an audit's ``report.html`` is
  :mod:`phusong.output.calibration_section`;
* :func:`render_calibration_folder` — every file of ``phusong calibrate --out``
  (written by :func:`phusong.io.calibration.write_calibration_outputs`).
"""

from __future__ import annotations

import base64
import io
import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from phusong.calibration.text import caveat_text, db, text
from phusong.i18n import current_language, fmt_int
from phusong.output.calibration_section import table_number

#: Points drawn in a scatter plot at most (a fixed random sample beyond).
PLOT_POINTS = 20_000
#: Colour scale of the residual map: ± this many dB.
MAP_RANGE_DB = 20.0
#: Files of a calibration folder besides ``calibration.json``.
CALIBRATION_FILES = (
    "calibration_report.html",
    "residuals_vs_distance.png",
    "residual_map.png",
    "calibration_points.csv",
    "calibration_summary.json",
    "measurement_validation.csv",
)


def _pyplot() -> Any:
    """Matplotlib's pyplot on the Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(fig: Any) -> bytes:
    """PNG bytes of a figure, without the software and date metadata (same input, same bytes)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, metadata={"Software": None})
    _pyplot().close(fig)
    return buf.getvalue()


def _sample(n: int, k: int = PLOT_POINTS, seed: int = 0) -> np.ndarray:
    """Pick at most ``k`` of ``n`` point indices, sorted (fixed seed)."""
    if n <= k:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, k, replace=False))


def _binned(distance: np.ndarray, error: np.ndarray, edges: np.ndarray) -> tuple[np.ndarray, ...]:
    """Mean and standard deviation of ``error`` per distance bin (NaN when empty)."""
    which = np.digitize(distance, edges) - 1
    k = edges.size - 1
    ok = (which >= 0) & (which < k) & np.isfinite(error)
    count = np.bincount(which[ok], minlength=k).astype(float)
    total = np.bincount(which[ok], weights=error[ok], minlength=k)
    square = np.bincount(which[ok], weights=error[ok] ** 2, minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / count
        std = np.sqrt(np.maximum(square / count - mean**2, 0.0))
    centre = np.sqrt(edges[:-1] * edges[1:])
    return centre, np.where(count > 0, mean, np.nan), np.where(count > 0, std, np.nan)


def _used(points: pd.DataFrame) -> pd.DataFrame:
    """Points that a fitted group used (with a held-out error)."""
    return points[points["error_cv_db"].notna()]


def residual_distance_png(points: pd.DataFrame, lang: str = "en", synthetic: bool = False) -> bytes:
    """Plot of measured − predicted against distance, before and after calibration (PNG)."""
    plt = _pyplot()
    used = _used(points)
    d = used["distance_m"].to_numpy(dtype="float64")
    before = used["error_before_db"].to_numpy(dtype="float64")
    after = used["error_cv_db"].to_numpy(dtype="float64")
    fig, ax = plt.subplots(figsize=(8, 4.5))
    pick = _sample(d.size)
    ax.scatter(
        d[pick], before[pick], s=2, c="#bbbbbb", alpha=0.4, lw=0, label=text("plot_before", lang)
    )
    ax.scatter(
        d[pick], after[pick], s=2, c="#2166ac", alpha=0.3, lw=0, label=text("plot_after", lang)
    )
    if d.size:
        lo, hi = max(np.nanmin(d), 10.0), max(np.nanmax(d), 20.0)
        edges = np.geomspace(lo, hi * 1.0001, 13)
        for err, colour, key in (
            (before, "#555555", "plot_before"),
            (after, "#b2182b", "plot_after"),
        ):
            centre, mean, std = _binned(d, err, edges)
            label = text("plot_bin_mean", lang, what=text(key, lang))
            ax.errorbar(
                centre, mean, yerr=std, color=colour, marker="o", ms=4, capsize=3, label=label
            )
    ax.axhline(0.0, color="black", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlabel(text("plot_distance_x", lang))
    ax.set_ylabel(text("plot_error_y", lang))
    ax.set_title(text("plot_distance_title", lang))
    ax.legend(loc="lower left", fontsize=8, markerscale=3)
    if synthetic:
        _stamp(fig, lang)
    fig.tight_layout()
    return _png(fig)


def _stamp(fig: Any, lang: str) -> None:
    """Write SYNTHETIC across a figure."""
    fig.text(0.5, 0.5, text("plot_synthetic", lang), ha="center", va="center", fontsize=28,
             color="#e0a800", alpha=0.35, rotation=20)  # fmt: skip


def residual_map_png(
    points: pd.DataFrame, wards: Any = None, lang: str = "en", synthetic: bool = False
) -> bytes:
    """Map of the held-out error after calibration at each measurement (PNG), ward outlines."""
    plt = _pyplot()
    used = _used(points)
    fig, ax = plt.subplots(figsize=(7, 7))
    if wards is not None:
        wards.to_crs("EPSG:4326").boundary.plot(ax=ax, color="#cccccc", linewidth=0.4)
    pick = _sample(len(used))
    part = used.iloc[pick]
    art = ax.scatter(
        part["lon_deg"], part["lat_deg"], c=part["error_cv_db"], s=3, lw=0,
        cmap="RdBu", vmin=-MAP_RANGE_DB, vmax=MAP_RANGE_DB,
    )  # fmt: skip
    fig.colorbar(art, ax=ax, shrink=0.7, label=text("plot_map_colorbar", lang))
    if len(used):
        pad = 0.02
        ax.set_xlim(used["lon_deg"].min() - pad, used["lon_deg"].max() + pad)
        ax.set_ylim(used["lat_deg"].min() - pad, used["lat_deg"].max() + pad)
    ax.set_aspect(1.0 / math.cos(math.radians(21.0)))
    ax.set_title(text("plot_map_title", lang), fontsize=10)
    ax.set_xlabel("lon [°]")
    ax.set_ylabel("lat [°]")
    fig.text(0.01, 0.01, text("plot_credit", lang), fontsize=7, color="#555555")
    if synthetic:
        _stamp(fig, lang)
    fig.tight_layout()
    return _png(fig)


def points_csv(points: pd.DataFrame) -> bytes:
    """``calibration_points.csv``: one row per measurement (UTF-8 with BOM, for Excel)."""
    cols = [
        "lon_deg", "lat_deg", "measured_dbm", "cell_id", "association", "serving_cell",
        "operator", "band", "scenario", "distance_m", "predicted_dbm", "fitted_db",
        "error_before_db", "error_after_db", "error_cv_db", "fold", "drop",
    ]  # fmt: skip
    frame = points.loc[:, [c for c in cols if c in points.columns]]
    return frame.to_csv(index=False, float_format="%.6g", lineterminator="\n").encode("utf-8-sig")


def group_rows(summary: Mapping[str, Any], lang: str = "en") -> list[list[str]]:
    """Rows of the fitted-groups table: one per group, then all groups together."""
    rows = []
    for g in summary.get("groups", []):
        b, a = g.get("before", {}), g.get("after", {})
        rows.append([
            f"{g['operator']} {g['band']} ({g['scenario']})", fmt_int(g["n_points"], lang),
            table_number(g["pl_offset_db"], lang, 2), table_number(g["pl_slope_db_per_decade"], lang, 2),
            table_number(g.get("sigma_db"), lang), table_number(b.get("mean_db"), lang), table_number(a.get("mean_db"), lang),
            table_number(b.get("rmse_db"), lang), table_number(a.get("rmse_db"), lang),
        ])  # fmt: skip
    q = summary.get("quality") or {}
    if rows:
        b, a = q.get("before", {}), q.get("after", {})
        rows.append([
            text("row_all", lang), fmt_int(b.get("n", 0), lang), "", "", table_number(a.get("std_db"), lang),
            table_number(b.get("mean_db"), lang), table_number(a.get("mean_db"), lang),
            table_number(b.get("rmse_db"), lang), table_number(a.get("rmse_db"), lang),
        ])  # fmt: skip
    return rows


def _point_rows(summary: Mapping[str, Any], lang: str) -> list[list[str]]:
    """Rows of the measurements table: read, accepted, rejected, used, by association."""
    m = summary.get("measurements", {})
    assoc = summary.get("association", {})
    rows = [
        [text("row_read", lang), fmt_int(m.get("rows_read", 0), lang)],
        [text("row_accepted", lang), fmt_int(m.get("rows_accepted", 0), lang)],
        [text("row_rejected", lang), fmt_int(m.get("rows_rejected", 0), lang)],
        [text("row_filtered", lang), fmt_int(m.get("rows_filtered", 0), lang)],
        [text("row_assoc_cell_id", lang), fmt_int(assoc.get("cell_id", 0), lang)],
        [text("row_assoc_best_server", lang), fmt_int(assoc.get("best_server", 0), lang)],
        [text("row_used", lang), fmt_int(m.get("points_used", 0), lang)],
    ]
    key = "text" if lang == "en" else "text_vi"
    rows += [
        [str(d.get(key, d["reason"])), fmt_int(d["points"], lang)]
        for d in summary.get("dropped", [])
    ]
    return rows


def report_context(result: Any, lang: str, images: Mapping[str, bytes]) -> dict[str, Any]:
    """Everything ``calibration.html.j2`` shows, as formatted text."""
    s = result.summary
    p = s["parameters"]
    cal = result.calibration
    key = "reason" if lang == "en" else "reason_vi"
    return {
        "lang": lang,
        "L": {k: text(k, lang) for k in _LABELS},
        "title": text("report_title", lang, model=s["model"]),
        "warning": text("synthetic", lang) if s.get("synthetic") else "",
        "sentence": cal.sentence(lang),
        "what": text(
            "report_what",
            lang,
            points=fmt_int(s["measurements"]["points_used"], lang),
            min=p["min_points"],
            folds=p["folds"],
            slope=text("report_slope", lang) if p["fit_slope"] else "",
            blocked=text("report_blocked", lang) if s["quality"].get("blocked") else "",
        ),
        "caveats": [caveat_text(c, lang) for c in cal.caveats]
        + [caveat_text(n, lang) for g in cal.groups for n in g.notes],
        "groups": group_rows(s, lang),
        "skipped": [
            [
                f"{k['operator']} {k['band']} ({k['scenario']})",
                fmt_int(k["n_points"], lang),
                k.get(key, ""),
            ]
            for k in s.get("skipped_groups", [])
        ],
        "points": _point_rows(s, lang),
        "images": {k: base64.b64encode(v).decode("ascii") for k, v in images.items()},
        "command": f"phusong audit --model {p['model']} --calibration calibration.json",
        "inputs": [
            [k, v.get("name", ""), v.get("sha256", "")] for k, v in sorted(s["inputs"].items()) if v
        ],
        "version": s.get("version"),
    }


_LABELS = (
    "report_caveats", "report_groups", "report_skipped", "report_points", "report_figures",
    "report_apply", "report_apply_text", "report_method", "report_method_text", "report_inputs",
    "col_group", "col_points", "col_offset", "col_slope", "col_sigma", "col_mean_before",
    "col_mean_after", "col_rmse_before", "col_rmse_after", "col_reason", "col_what", "col_count",
    "col_input", "col_file",
)  # fmt: skip


def calibration_report_html(
    result: Any, images: Mapping[str, bytes], lang: str | None = None
) -> bytes:
    """``calibration_report.html``: the calibration for a non-programmer (UTF-8, self-contained)."""
    from phusong.output.report import template_environment

    code = current_language(lang)
    template = template_environment().get_template("calibration.html.j2")
    return template.render(report_context(result, code, images)).encode("utf-8")


def format_calibration_summary(
    result: Any, paths: Mapping[str, Any], lang: str | None = None
) -> str:
    """Write the command line's summary: the sentence, the groups, the caveats and the files."""
    code = current_language(lang)
    s = result.summary
    lines = []
    if s.get("synthetic"):
        lines.append("⚠ " + text("synthetic", code))
    lines.append(result.calibration.sentence(code))
    for g in result.calibration.groups:
        lines.append(
            f"  {g.label}: offset {db(g.pl_offset_db, code)}"
            + (
                f", slope {db(g.pl_slope_db_per_decade, code)}/decade"
                if result.params.fit_slope
                else ""
            )
            + f", {fmt_int(g.n_points, code)} points, RMSE {db(g.before.get('rmse_db'), code)}"
            f" → {db(g.after.get('rmse_db'), code)}"
        )
    for k in s.get("skipped_groups", []):
        lines.append(
            f"  {k['operator']} {k['band']} ({k['scenario']}): {k['reason' if code == 'en' else 'reason_vi']}"
        )
    for c in s.get("caveats" if code == "en" else "caveats_vi", []):
        lines.append(f"  ! {c}")
    if paths:
        folder = next(iter(paths.values())).parent
        lines.append(f"Written to {folder}: {', '.join(sorted(paths))}")
        lines.append(f"Apply it: phusong audit --model {result.params.model} --calibration "
                     f"{folder / 'calibration.json'}")  # fmt: skip
    return "\n".join(lines)


def render_calibration_folder(result: Any, lang: str | None = None) -> dict[str, bytes]:
    """Every file of a calibration folder but ``calibration.json``, in memory (:data:`CALIBRATION_FILES`)."""
    from phusong.output.tables import csv_bytes, validation_table

    code = current_language(lang)
    synthetic = bool(result.summary.get("synthetic"))
    images = {
        "residuals_vs_distance.png": residual_distance_png(result.points, code, synthetic),
        "residual_map.png": residual_map_png(result.points, result.wards, code, synthetic),
    }
    summary = json.dumps(result.summary, ensure_ascii=False, indent=2) + "\n"
    return {
        **images,
        "calibration_report.html": calibration_report_html(result, images, code),
        "calibration_points.csv": points_csv(result.points),
        "calibration_summary.json": summary.encode("utf-8"),
        "measurement_validation.csv": csv_bytes(validation_table(result.measurement_report)),
    }


__all__ = [
    "CALIBRATION_FILES",
    "MAP_RANGE_DB",
    "PLOT_POINTS",
    "calibration_report_html",
    "format_calibration_summary",
    "group_rows",
    "points_csv",
    "render_calibration_folder",
    "report_context",
    "residual_distance_png",
    "residual_map_png",
]
