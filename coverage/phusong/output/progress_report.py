"""``phusong progress``'s outputs: the chart, the terminal summary, the report, the folder.

Rendered in memory (:mod:`phusong.io.progress` writes them):

- :func:`progress_chart_png`: the trajectory, the straight line needed to
  reach the goal by its deadline, this year's pace continued, the year it
  reaches the goal and the sites still needed per year;
- :func:`format_progress`: the terminal summary;
- :func:`progress_report_html`: ``progress_report.html`` (chart embedded);
- :func:`render_progress_folder`: every file of :data:`PROGRESS_FILES`.

Words: :data:`phusong.output.progress.STRINGS`.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from phusong.i18n import current_language, fmt_date, fmt_decimal, fmt_int, fmt_pct
from phusong.output.progress import (
    goal_set_lines,
    goals_section_html,
    places_lines,
    rollout_lines,
    targets_table,
    text,
)
from phusong.output.report import template_environment
from phusong.output.tables import clean_table, csv_bytes, summary_json, with_synthetic_flag
from phusong.output.text import place_name, synthetic_warning

__all__ = [
    "METHOD_VI",
    "PROGRESS_FILES",
    "format_progress",
    "method_words",
    "progress_chart_png",
    "progress_csv",
    "progress_lines",
    "progress_overview",
    "progress_report_html",
    "render_progress_folder",
]

#: Files of ``phusong progress``'s output folder (``targets.csv`` only with a places file).
PROGRESS_FILES = (
    "progress.csv",
    "progress.png",
    "progress_summary.json",
    "progress_report.html",
    "targets.csv",
)


def _place(summary: Mapping[str, Any]) -> str:
    return place_name(summary)


def progress_chart_png(run: Any, lang: str | None = None) -> bytes:
    """Draw the progress chart (PNG): trajectory, needed line, pace, sites still needed.

    Parameters
    ----------
    run : ProgressRun
        From :func:`phusong.progress.run.run_progress`.
    lang : str, optional
        ``"vi"`` or ``"en"``.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    code = current_language(lang)
    s, pace = run.summary, run.pace
    chart = run.chart_table()
    dates = pd.to_datetime(chart["date"])
    fig = Figure(figsize=(8.0, 4.6), dpi=100)
    ax = fig.add_subplot()
    past = chart["population_coverage_pct"].notna()
    ax.plot(dates[past], chart.loc[past, "population_coverage_pct"], "o-", color="#1a73e8",
            label=text("chart.population", code))  # fmt: skip
    ax.plot(pd.to_datetime(run.table["date"]), run.table["area_coverage_pct"], "-", color="#9aa0a6",
            lw=1, label=text("chart.area", code))  # fmt: skip
    target = fmt_pct(pace["target"], code, None)
    deadline = fmt_date(pace["deadline"], code, style="short")
    ahead = chart["needed_pct"].notna()
    ax.plot(dates[ahead], chart.loc[ahead, "needed_pct"], "--", color="#d93025",
            label=text("chart.needed", code, target=target, deadline=deadline))  # fmt: skip
    if chart.loc[ahead, "pace_pct"].notna().any():
        label = (
            text("chart.pace", code, year=pace["reached_year"])
            if pace.get("reached_year")
            else text("chart.pace_never", code)
        )
        ax.plot(dates[ahead], chart.loc[ahead, "pace_pct"], ":", color="#188038", lw=2, label=label)
    ax.axhline(
        pace["target"], color="#5f6368", lw=0.8, label=text("chart.goal", code, target=target)
    )
    needed = s.get("required_sites")
    if needed:
        ax.text(0.01, 0.02, text("chart.sites", code, n=fmt_int(needed["n_new_sites"], code),
                                 per_year=fmt_decimal(needed["per_year"], code, 0)),
                transform=ax.transAxes, fontsize=8)  # fmt: skip
    if s.get("synthetic"):
        ax.text(0.5, 0.5, text("chart.synthetic", code), transform=ax.transAxes, fontsize=22,
                color="#e0a800", alpha=0.35, ha="center", va="center", rotation=20)  # fmt: skip
    ax.set_ylim(0, 100)
    ax.set_ylabel(text("chart.y", code))
    ax.set_title(text("chart.title", code, place=_place(s)))
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=7)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def progress_csv(run: Any) -> bytes:
    """``progress.csv``: one row per date (:data:`phusong.progress.run.PROGRESS_COLUMNS`)."""
    from phusong.progress.run import PROGRESS_COLUMNS

    return csv_bytes(clean_table(run.table, PROGRESS_COLUMNS))


#: How a series was computed (:mod:`phusong.progress.series` records it in English), in Vietnamese.
METHOD_VI = {
    "raster: earliest on-air date per pixel, one grid for every date": "lưới điểm ảnh: ngày phát "
    "sóng sớm nhất của các ô phủ mỗi điểm ảnh, một lưới cho mọi thời điểm",
    "exact arc integrals of the footprints on air, one per date": "tích phân cung chính xác của "
    "vùng phủ các ô đang phát sóng, mỗi thời điểm một lần",
    ", over the wards cut along the population raster's pixels": ", trên các phường/xã cắt theo "
    "điểm ảnh của lớp dân số",
    "one audit per date": "mỗi thời điểm một lần kiểm tra đầy đủ",
}


def method_words(method: Any, lang: str | None = None) -> str:
    """Say how a series was computed, in ``lang`` (the summary records it in English)."""
    out = str(method or "")
    if current_language(lang) == "vi":
        for en, vi in METHOD_VI.items():
            out = out.replace(en, vi)
    return out


def progress_lines(run: Any, lang: str | None = None) -> list[str]:
    """Say the trajectory and the pace in words."""
    code = current_language(lang)
    pace, table = run.pace, run.table
    metric = "area" if "area" in pace["metric"] else "population"
    pts = lambda v: text("unit.points_year", code, value=fmt_decimal(v, code, 2))  # noqa: E731
    lines = [
        text("progress.head", code, what=text(f"label.coverage.{metric}", code),
             first=fmt_date(table["date"].iloc[0], code, style="short"),
             last=fmt_date(table["date"].iloc[-1], code, style="short"),
             v0=fmt_pct(table[pace["metric"]].iloc[0], code, 2), v1=fmt_pct(pace["value"], code, 2)),
        text("progress.pace", code, pace=pts(pace["pace_per_year"]),
             since=fmt_date(pace["pace_since"], code, style="short") if pace["pace_since"] else "—",
             target=fmt_pct(pace["target"], code, None),
             deadline=fmt_date(pace["deadline"], code, style="short"),
             needed=pts(pace["needed_per_year"])),
        text("progress.reached", code, year=pace["reached_year"]) if pace.get("reached_year")
        else text("progress.never", code),
    ]  # fmt: skip
    needed = run.summary.get("required_sites")
    if needed:
        lines.append(text("progress.sites", code, n=fmt_int(needed["n_new_sites"], code),
                          per_year=fmt_decimal(needed["per_year"], code, 0),
                          deadline=fmt_date(pace["deadline"], code, style="short")))  # fmt: skip
    lines += rollout_lines(run.summary, code)
    lines.append(
        text("progress.method", code, method=method_words(run.summary.get("method"), code))
    )
    return lines


def format_progress(
    run: Any, paths: Mapping[str, Path] | None = None, lang: str | None = None
) -> str:
    """Terminal summary of ``phusong progress``: trajectory, pace, every target's status."""
    code = current_language(lang)
    s = run.summary
    lines = [*progress_lines(run, code), *goal_set_lines(s, code), *places_lines(s, code)]
    if paths:
        lines += ["", ", ".join(sorted(Path(p).name for p in paths.values()))]
        if "progress_report.html" in paths:
            lines.append(text("progress.open", code, path=paths["progress_report.html"]))
    warn = synthetic_warning(s, code)
    return "\n".join([f"!! {warn}", "", *lines, "", f"!! {warn}"] if warn else lines)


def progress_report_html(run: Any, png: bytes, lang: str | None = None) -> bytes:
    """``progress_report.html``: the chart (embedded), the table and the targets, one page."""
    import base64

    code = current_language(lang)
    s, table = run.summary, run.table
    rows = [
        [
            fmt_date(r.date, code, style="short"),
            fmt_pct(r.population_coverage_pct, code, 2),
            fmt_pct(r.area_coverage_pct, code, 2),
            fmt_int(r.sites_on_air, code),
            f"{fmt_int(r.wards_meeting_goal, code)} / {fmt_int(r.n_wards, code)}",
        ]
        for r in table.itertuples()
    ]
    context = {
        "lang": code,
        "title": text("report.title", code, place=_place(s)),
        "warning": synthetic_warning(s, code),
        "chart": "data:image/png;base64," + base64.b64encode(png).decode("ascii"),
        "lines": progress_lines(run, code),
        "table_heading": text("report.table_heading", code),
        "headers": [
            text(f"col.{k}", code) for k in ("date", "population", "area", "sites", "wards")
        ],
        "rows": rows,
        "goals": goals_section_html(s, template_environment(), code),
    }
    return template_environment().get_template("progress.html.j2").render(context).encode("utf-8")


def render_progress_folder(run: Any, lang: str | None = None) -> dict[str, bytes]:
    """Every file of ``phusong progress``'s folder (:data:`PROGRESS_FILES`) as bytes."""
    png = progress_chart_png(run, lang)
    files = {
        "progress.csv": progress_csv(run),
        "progress.png": png,
        "progress_summary.json": summary_json(run.summary),
        "progress_report.html": progress_report_html(run, png, lang),
    }
    places = getattr(run.audit.checks, "places", None)
    if places is not None:
        synthetic = bool(run.summary.get("synthetic"))
        files["targets.csv"] = csv_bytes(with_synthetic_flag(targets_table(places), synthetic))
    return files


def progress_overview(run: Any, lang: str | None = None) -> dict[str, Any]:
    """Everything an app's "Progress" panel shows, ready to draw (no file, no widget).

    Parameters
    ----------
    run : ProgressRun
        From :func:`phusong.progress.run.run_progress`.
    lang : str, optional
        ``"vi"`` or ``"en"``.

    Returns
    -------
    dict
        ``lines`` (trajectory, pace, year reached, sites needed, in words),
        ``goals`` (DataFrame: target, deadline, now, status, mark, note — one
        row per target of the goal set), ``chart`` (the chart-ready table of
        :meth:`phusong.progress.run.ProgressRun.chart_table`: ``date``,
        ``population_coverage_pct``, ``needed_pct``, ``pace_pct``,
        ``target_pct``), ``table`` (``progress.csv``'s rows) and ``synthetic``.
    """
    from phusong.output.progress import STATUS_MARKS, goal_line, status_word

    code = current_language(lang)
    goals = run.summary.get("goals") or []
    rows = pd.DataFrame(
        {
            "target": [goal_line(g, code).split(":")[0] for g in goals],
            "deadline": [fmt_date(str(g["deadline"]), code, style="short") for g in goals],
            "now": [g.get("value") for g in goals],
            "status": [status_word(str(g["status"]), code) for g in goals],
            "mark": [STATUS_MARKS.get(str(g["status"]), "") for g in goals],
            "line": [goal_line(g, code) for g in goals],
        }
    )
    return {
        "lines": progress_lines(run, code),
        "goals": rows,
        "chart": run.chart_table(),
        "table": run.table,
        "synthetic": bool(run.summary.get("synthetic")),
    }
