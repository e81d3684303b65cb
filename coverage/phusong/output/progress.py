"""Words, tables and the chart of the dated targets: the goal set, throughput, places, progress.

Rendered in memory (nothing here touches a file; :mod:`phusong.io.progress`
writes):

- :func:`goal_set_lines`, :func:`throughput_lines`, :func:`places_lines`:
  the lines an audit's terminal summary adds (every target with its
  deadline and status);
- :func:`goals_section_html`: the report section of the same;
- :func:`targets_table`: ``targets.csv``;
- :func:`places_layer`: the places on the audit's map.

``phusong progress``'s chart, report and folder are rendered by
:mod:`phusong.output.progress_report`.

User-visible words: :data:`STRINGS` (English and Vietnamese, one dict for
this module); numbers and dates through :mod:`phusong.i18n`'s formatters.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import markupsafe
import pandas as pd

from phusong.i18n import current_language, fmt_date, fmt_decimal, fmt_int, fmt_pct, fmt_unit
from phusong.output.tables import clean_table

__all__ = [
    "PLACE_COLOURS",
    "STATUS_MARKS",
    "STRINGS",
    "assumptions_text",
    "checks_lines",
    "goal_line",
    "goal_set_lines",
    "goals_section_html",
    "not_met_text",
    "places_layer",
    "places_lines",
    "rollout_lines",
    "status_word",
    "targets_table",
    "text",
    "throughput_lines",
]

#: Every user-visible string of this module, in English and Vietnamese (issue #15).
STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "status.met": "met",
        "status.on track": "on track",
        "status.behind": "behind",
        "status.overdue": "overdue",
        "status.pending": "pace unknown",
        "status.due": "not yet, deadline ahead",
        "label.coverage.population": "5G population coverage",
        "label.coverage.area": "5G area coverage",
        "label.speed": "mean 5G download",
        "label.places": "target places with 5G ({kinds})",
        "goal.line": "{description} by {deadline} ({source}): now {value} — {status}{note}",
        "goals.heading": "Targets, judged on {date}:",
        "note.on_track": "; this year's pace reaches it on {date}",
        "note.behind": "; this year's pace reaches it only on {date}; needs {needed} a year",
        "note.behind_never": "; this year's pace never reaches it; needs {needed} a year",
        "note.overdue": "; the deadline passed",
        "note.pending": "; no trajectory here — 'phusong progress' judges the pace",
        "note.pending_no_series": "; no series for this target",
        "speed.line": "Modelled 5G download (population-weighted over the people served): mean "
        "{mean}, 10th percentile {p10}; {above} of residents get at least {target}.",
        "speed.assumptions": "  Throughput assumptions: {assumptions}.",
        "speed.params": "attenuated Shannon bound (TR 36.942 A.2): α {alpha}, SINR_min {sinr_min}, "
        "at most {se_max} bit/s/Hz per layer; {tdd_layers} MIMO layers on TDD, {fdd_layers} on "
        "FDD carriers; TDD downlink share {dl_share}; overhead {overhead} (TS 38.306); cell load "
        "{load}; every layer at the best server's SINR (an upper bound)",
        "speed.context": "  For context: VNNIC i-Speed measured a mean 5G download of 156.7 Mbit/s "
        "in Hà Nội in April 2025 (real networks; not directly comparable with the model).",
        "speed.none_model": "Throughput: not computed — the {model} model has no signal level or "
        "SINR (use a path-loss model, e.g. --model planning).",
        "speed.none_route": "Throughput: not computed — this route keeps no SINR per pixel "
        "(use --route raster).",
        "places.line": "Target places: {covered} of {n} covered, {overdue} overdue "
        "(each place in targets.csv).",
        "fail.names": "not met: {names}",
        "rollout.as_of": "The network as of {date}: {cells} cells on air; {later} dated later and "
        "{undated} without a date left out.",
        "rollout.proxy": "On-air dates: OpenCelliD 'created' used as a proxy (when a phone first "
        "observed the cell, so on air at the latest then).",
        "progress.head": "Progress of {what} ({first} → {last}): {v0} → {v1}.",
        "progress.pace": "This year's pace: {pace} a year (since {since}); needed to reach "
        "{target} by {deadline}: {needed} a year.",
        "progress.reached": "At this year's pace the goal is reached in {year}.",
        "progress.never": "At this year's pace the goal is never reached.",
        "progress.sites": "Sites still needed (planner's estimate, not re-audited): {n}, "
        "about {per_year} a year until {deadline}.",
        "progress.method": "Computed: {method}.",
        "progress.open": "Open {path} for the chart and the table.",
        "unit.points_year": "{value} points",
        "chart.title": "5G coverage of {place} over time",
        "chart.y": "covered [%]",
        "chart.population": "population covered (population-weighted)",
        "chart.area": "area covered (area-weighted)",
        "chart.needed": "needed: straight line to {target} by {deadline}",
        "chart.pace": "this year's pace continued (reaches it in {year})",
        "chart.pace_never": "this year's pace continued (never reaches it)",
        "chart.goal": "goal {target}",
        "chart.sites": "sites still needed: {n} (≈ {per_year} a year)",
        "chart.synthetic": "SYNTHETIC sample data",
        "report.title": "5G rollout progress: {place}",
        "report.table_heading": "Coverage at each date",
        "report.targets_heading": "Targets and their status",
        "col.date": "date",
        "col.population": "population covered",
        "col.area": "area covered",
        "col.sites": "sites on air",
        "col.wards": "wards meeting the goal",
        "col.target": "target",
        "col.deadline": "deadline",
        "col.value": "now",
        "col.status": "status",
        "col.source": "source",
        "section.heading": "Targets of the plans",
        "section.intro": "Every dated target of the city's plans, judged on {date}. "
        "\"Pace unknown\": an audit is one date; 'phusong progress' follows the rollout "
        "over time and says whether the pace is on track.",
        "section.speed": "Modelled download speed",
        "section.places": "Target places",
    },
    "vi": {
        "status.met": "đã đạt",
        "status.on track": "đúng tiến độ",
        "status.behind": "chậm tiến độ",
        "status.overdue": "quá hạn",
        "status.pending": "chưa rõ tốc độ",
        "status.due": "chưa đạt, chưa đến hạn",
        "label.coverage.population": "Phủ sóng 5G theo dân số",
        "label.coverage.area": "Phủ sóng 5G theo diện tích",
        "label.speed": "Tốc độ tải xuống 5G trung bình",
        "label.places": "Địa điểm mục tiêu có 5G ({kinds})",
        "goal.line": "{description} trước {deadline} ({source}): hiện {value} — {status}{note}",
        "goals.heading": "Các chỉ tiêu, đánh giá {date}:",
        "note.on_track": "; với tốc độ năm nay sẽ đạt {date}",
        "note.behind": "; với tốc độ năm nay chỉ đạt {date}; cần {needed} mỗi năm",
        "note.behind_never": "; với tốc độ năm nay sẽ không bao giờ đạt; cần {needed} mỗi năm",
        "note.overdue": "; đã quá hạn",
        "note.pending": "; một lần kiểm tra chưa cho biết tốc độ — 'phusong progress' đánh giá tiến độ",
        "note.pending_no_series": "; chỉ tiêu này chưa có chuỗi số liệu theo thời gian",
        "speed.line": "Tốc độ tải xuống 5G theo mô hình (bình quân theo dân số được phủ sóng): "
        "trung bình {mean}, bách phân vị thứ 10 là {p10}; {above} dân số có ít nhất {target}.",
        "speed.assumptions": "  Giả định về thông lượng: {assumptions}.",
        "speed.params": "giới hạn Shannon suy giảm (TR 36.942 A.2): α {alpha}, SINR tối thiểu "
        "{sinr_min}, tối đa {se_max} bit/s/Hz mỗi lớp; {tdd_layers} lớp MIMO trên sóng mang TDD, "
        "{fdd_layers} trên FDD; tỷ lệ thời gian đường xuống TDD {dl_share}; phần mào đầu "
        "{overhead} (TS 38.306); tải ô {load}; mọi lớp đều lấy SINR của trạm phục vụ tốt nhất "
        "(cận trên)",
        "speed.context": "  Để tham khảo: VNNIC i-Speed đo tốc độ tải xuống 5G trung bình ở Hà Nội "
        "là 156,7 Mbit/s (tháng 4/2025; mạng thật, không so sánh trực tiếp được với mô hình).",
        "speed.none_model": "Thông lượng: không tính được — mô hình {model} không có mức tín hiệu "
        "hay SINR (dùng mô hình suy hao đường truyền, ví dụ --model planning).",
        "speed.none_route": "Thông lượng: không tính được — cách tính này không giữ SINR từng điểm "
        "ảnh (dùng --route raster).",
        "places.line": "Địa điểm mục tiêu: {covered}/{n} đã có 5G, {overdue} quá hạn "
        "(từng địa điểm trong targets.csv).",
        "fail.names": "chưa đạt: {names}",
        "rollout.as_of": "Mạng lưới tính đến {date}: {cells} ô đang phát sóng; {later} ô phát sóng "
        "sau ngày đó và {undated} ô không có ngày bị loại ra.",
        "rollout.proxy": "Ngày phát sóng: dùng trường 'created' của OpenCelliD thay thế (lúc điện "
        "thoại thấy ô lần đầu, nên ô đã phát sóng muộn nhất là khi đó).",
        "progress.head": "Tiến độ {what} ({first} → {last}): {v0} → {v1}.",
        "progress.pace": "Tốc độ năm nay: {pace} mỗi năm (từ {since}); cần để đạt {target} "
        "trước {deadline}: {needed} mỗi năm.",
        "progress.reached": "Với tốc độ năm nay, mục tiêu đạt được vào năm {year}.",
        "progress.never": "Với tốc độ năm nay, mục tiêu sẽ không bao giờ đạt.",
        "progress.sites": "Số trạm còn cần (ước tính của bộ lập kế hoạch, chưa kiểm tra lại): "
        "{n}, khoảng {per_year} trạm mỗi năm đến {deadline}.",
        "progress.method": "Cách tính: {method}.",
        "progress.open": "Mở {path} để xem biểu đồ và bảng số liệu.",
        "unit.points_year": "{value} điểm phần trăm",
        "chart.title": "Phủ sóng 5G của {place} theo thời gian",
        "chart.y": "tỷ lệ phủ sóng [%]",
        "chart.population": "dân số được phủ sóng (theo dân số)",
        "chart.area": "diện tích được phủ sóng (theo diện tích)",
        "chart.needed": "cần: đường thẳng đến {target} trước {deadline}",
        "chart.pace": "giữ tốc độ năm nay (đạt vào năm {year})",
        "chart.pace_never": "giữ tốc độ năm nay (không bao giờ đạt)",
        "chart.goal": "mục tiêu {target}",
        "chart.sites": "số trạm còn cần: {n} (≈ {per_year} mỗi năm)",
        "chart.synthetic": "DỮ LIỆU MẪU TỔNG HỢP (SYNTHETIC)",
        "report.title": "Tiến độ triển khai 5G: {place}",
        "report.table_heading": "Phủ sóng tại từng thời điểm",
        "report.targets_heading": "Các chỉ tiêu và tình trạng",
        "col.date": "ngày",
        "col.population": "dân số được phủ sóng",
        "col.area": "diện tích được phủ sóng",
        "col.sites": "số trạm đang phát sóng",
        "col.wards": "số phường/xã đạt mục tiêu",
        "col.target": "chỉ tiêu",
        "col.deadline": "thời hạn",
        "col.value": "hiện tại",
        "col.status": "tình trạng",
        "col.source": "nguồn",
        "section.heading": "Các chỉ tiêu của kế hoạch",
        "section.intro": "Mọi chỉ tiêu có thời hạn trong các kế hoạch của thành phố, đánh giá "
        "{date}. \"Chưa rõ tốc độ\": một lần kiểm tra chỉ là một thời điểm; 'phusong progress' "
        "theo dõi quá trình triển khai và cho biết có đúng tiến độ không.",
        "section.speed": "Tốc độ tải xuống theo mô hình",
        "section.places": "Địa điểm mục tiêu",
    },
}

#: Marks before a status in the terminal.
STATUS_MARKS = {"met": "✓", "on track": "✓", "behind": "✗", "overdue": "✗", "pending": "…"}


def text(key: str, lang: str | None = None, **kw: Any) -> str:
    """Return a string of :data:`STRINGS` in ``lang``, with its placeholders filled."""
    return STRINGS[current_language(lang)][key].format(**kw)


def status_word(status: str, lang: str | None = None) -> str:
    """Say the status in words (``on track`` / ``đúng tiến độ``)."""
    return text(f"status.{status}", lang)


def _value(value: Any, unit: str, lang: str) -> str:
    if unit == "%":
        return fmt_pct(value, lang, 2)
    return fmt_unit(value, unit, lang, 1)


def _label(goal: Mapping[str, Any], lang: str) -> str:
    """Return the target's label in ``lang`` (the keys of :mod:`phusong.goals`)."""
    key = str(goal.get("key", ""))
    if key == "coverage":
        metric = "area" if "area" in str(goal.get("metric")) else "population"
        return text(f"label.coverage.{metric}", lang)
    if key == "speed":
        return text("label.speed", lang)
    if key.startswith("places:"):
        label = str(goal.get("label", ""))
        kinds = label[label.find("(") + 1 : label.rfind(")")] if "(" in label else ""
        return text("label.places", lang, kinds=kinds)
    return str(goal.get("label", key))


def _note(goal: Mapping[str, Any], lang: str) -> str:
    status = goal.get("status")
    unit = str(goal.get("unit", ""))
    needed = goal.get("needed_per_year")
    needed_text = (
        text("unit.points_year", lang, value=fmt_decimal(needed, lang, 2))
        if unit == "%"
        else fmt_unit(needed, unit, lang, 1)
    )
    reached = goal.get("reached_on")
    if status == "on track" and reached:
        return text("note.on_track", lang, date=fmt_date(reached, lang, style="short"))
    if status == "behind":
        if reached:
            date = fmt_date(reached, lang, style="short")
            return text("note.behind", lang, date=date, needed=needed_text)
        return text("note.behind_never", lang, needed=needed_text)
    if status == "overdue":
        return text("note.overdue", lang)
    if status == "pending":
        series = "no series" in str(goal.get("note", ""))
        return text("note.pending_no_series" if series else "note.pending", lang)
    return ""


def goal_line(goal: Mapping[str, Any], lang: str | None = None) -> str:
    """One target of ``summary["goals"]`` in words: what, deadline, value, status, why."""
    code = current_language(lang)
    unit = str(goal.get("unit", ""))
    target = (
        fmt_pct(goal.get("target"), code, None)
        if unit == "%"
        else _value(goal.get("target"), unit, code)
    )
    return text(
        "goal.line",
        code,
        description=f"{_label(goal, code)} ≥ {target}",
        deadline=fmt_date(str(goal.get("deadline")), code, style="short"),
        source=goal.get("source", ""),
        value=_value(goal.get("value"), str(goal.get("unit", "")), code),
        status=status_word(str(goal.get("status")), code),
        note=_note(goal, code),
    )


def goal_set_lines(summary: Mapping[str, Any], lang: str | None = None) -> list[str]:
    """List the targets of ``summary["goals"]``, one line each with a ✓/✗ mark ([] without any)."""
    goals = summary.get("goals") or []
    if not goals:
        return []
    code = current_language(lang)
    date = fmt_date(str(summary.get("as_of")), code, style="short")
    lines = ["", text("goals.heading", code, date=date)]
    lines += [
        f"  {STATUS_MARKS.get(str(g.get('status')), '-')} {goal_line(g, code)}" for g in goals
    ]
    return lines


def throughput_lines(summary: Mapping[str, Any], lang: str | None = None) -> list[str]:
    """Give the modelled throughput, its assumptions and the measured context (or why not computed)."""
    thr = summary.get("throughput")
    if not thr:
        return []
    code = current_language(lang)
    if not thr.get("computed"):
        key = "speed.none_route" if "route" in str(thr.get("note", "")) else "speed.none_model"
        return [text(key, code, model=summary.get("model", ""))]
    target = fmt_unit(thr.get("speed_target_mbps"), "Mbit/s", code, 0)
    return [
        text(
            "speed.line",
            code,
            mean=fmt_unit(thr.get("mean_mbps"), "Mbit/s", code, 1),
            p10=fmt_unit(thr.get("p10_mbps"), "Mbit/s", code, 1),
            above=fmt_pct(thr.get("above_speed_pct"), code, 1),
            target=target,
        ),
        text(
            "speed.assumptions", code, assumptions=assumptions_text(thr.get("params") or {}, code)
        ),
        text("speed.context", code),
    ]


def assumptions_text(params: Mapping[str, Any], lang: str | None = None) -> str:
    """Say every throughput assumption (:class:`~phusong.propagation.throughput.ThroughputParams`)."""
    code = current_language(lang)
    if not params:
        return ""
    num = lambda v, d=2: fmt_decimal(v, code, d)  # noqa: E731
    return text(
        "speed.params", code, alpha=num(params["alpha"]),
        sinr_min=fmt_unit(params["sinr_min_db"], "dB", code, 0), se_max=num(params["se_max"], 1),
        tdd_layers=fmt_int(params["tdd_layers"], code), fdd_layers=fmt_int(params["fdd_layers"], code),
        dl_share=num(params["tdd_dl_share"], 3), overhead=num(params["overhead"]),
        load=num(params["cell_load"]),
    )  # fmt: skip


def places_lines(summary: Mapping[str, Any], lang: str | None = None) -> list[str]:
    """How many target places are covered and overdue ([] without a places file)."""
    places = summary.get("targets")
    if not places:
        return []
    code = current_language(lang)
    return [
        text(
            "places.line",
            code,
            covered=fmt_int(places.get("n_covered"), code),
            n=fmt_int(places.get("n_places"), code),
            overdue=fmt_int(places.get("n_overdue"), code),
        )
    ]


def rollout_lines(summary: Mapping[str, Any], lang: str | None = None) -> list[str]:
    """Say which cells an "as of" audit kept, and when the dates are OpenCelliD's proxy."""
    rec = summary.get("rollout")
    if not rec:
        return []
    code = current_language(lang)
    lines = [
        text("rollout.as_of", code, date=fmt_date(str(rec["as_of"]), code, style="short"),
             cells=fmt_int(rec["cells_on_air"], code), later=fmt_int(rec["cells_later"], code),
             undated=fmt_int(rec["cells_undated"], code))
    ]  # fmt: skip
    if rec.get("proxy"):
        lines.append(text("rollout.proxy", code))
    return lines


def checks_lines(summary: Mapping[str, Any], lang: str | None = None) -> list[str]:
    """Everything an audit's terminal summary adds for issue #15 (targets, speed, places)."""
    return [
        *rollout_lines(summary, lang),
        *goal_set_lines(summary, lang),
        *throughput_lines(summary, lang),
        *places_lines(summary, lang),
    ]


def not_met_text(summary: Mapping[str, Any], lang: str | None = None) -> str:
    """``"not met: <target> (<status>), …"`` for the ``--fail-under`` message."""
    code = current_language(lang)
    names = [
        f"{_label(g, code)} ({status_word(str(g.get('status')), code)})"
        for g in summary.get("goals") or []
        if g.get("status") != "met"
    ]
    return text("fail.names", code, names="; ".join(names))


# --------------------------------------------------------------------------
# targets.csv
# --------------------------------------------------------------------------
def targets_table(places: Any) -> pd.DataFrame:
    """``targets.csv``: every target place judged (:data:`phusong.targets.PLACE_RESULT_COLUMNS`)."""
    from phusong.targets import PLACE_RESULT_COLUMNS

    frame = pd.DataFrame(places.table).drop(columns="geometry")
    frame["deadline"] = pd.to_datetime(frame["deadline"]).dt.strftime("%Y-%m-%d")
    return clean_table(frame, PLACE_RESULT_COLUMNS)


# --------------------------------------------------------------------------
# report section of an audit
# --------------------------------------------------------------------------
def goals_section_html(
    summary: Mapping[str, Any], env: Any, lang: str | None = None
) -> markupsafe.Markup | None:
    """Render the "Targets of the plans" section of a report (``None`` without targets).

    Parameters
    ----------
    summary : dict
        An audit's (or a progress run's) summary, with ``goals``.
    env : jinja2.Environment
        phusong's template environment
        (:func:`phusong.output.report.template_environment`).
    lang : str, optional
        ``"vi"`` or ``"en"``.
    """
    goals = summary.get("goals") or []
    if not goals:
        return None
    code = current_language(lang)
    template = env.get_template("goals_section.html.j2")
    rows = [
        [
            _label(g, code),
            fmt_pct(g.get("target"), code, None)
            if g.get("unit") == "%"
            else _value(g.get("target"), str(g.get("unit", "")), code),
            fmt_date(str(g.get("deadline")), code, style="short"),
            _value(g.get("value"), str(g.get("unit", "")), code),
            status_word(str(g.get("status")), code) + _note(g, code),
            str(g.get("source", "")),
        ]
        for g in goals
    ]
    context = {
        "heading": text("section.heading", code),
        "intro": text(
            "section.intro", code, date=fmt_date(str(summary.get("as_of")), code, style="short")
        ),
        "headers": [
            "",
            *(text(f"col.{k}", code) for k in ("target", "deadline", "value", "status", "source")),
        ],
        "rows": rows,
        "speed_heading": text("section.speed", code),
        "speed": throughput_lines(summary, code),
        "places_heading": text("section.places", code),
        "places": places_lines(summary, code),
    }
    return markupsafe.Markup(template.render(context))


# --------------------------------------------------------------------------
# map layer of the target places (used by phusong.output.maps.audit_map)
# --------------------------------------------------------------------------
#: Colour of a place by status on the map.
PLACE_COLOURS = {"met": "#1a9850", "due": "#fdae61", "overdue": "#d73027"}


def places_layer(result: Any, lang: str | None = None) -> Any:
    """Make a map layer of the target places, coloured by status, with a tooltip (``None`` without)."""
    places = getattr(getattr(result, "checks", None), "places", None)
    if places is None or not len(places.table):
        return None
    import folium

    code = current_language(lang)
    frame = places.table.to_crs("EPSG:4326")
    group = folium.FeatureGroup(name=text("section.places", code), show=True)
    for r in frame.itertuples():
        colour = PLACE_COLOURS.get(str(r.status), "#777777")
        status = status_word("due" if r.status == "due" else str(r.status), code)
        tip = (
            f"{r.name} ({str(r.kind).replace('_', ' ')}): {status}; "
            f"{fmt_pct(r.served_share_pct, code, 1)} · "
            f"{text('col.deadline', code)} {fmt_date(pd.Timestamp(r.deadline).date(), code, style='short')}"
        )
        if r.geometry_type == "point":
            folium.CircleMarker(
                [r.centre_lat, r.centre_lon], radius=7, color=colour, fill=True,
                fill_opacity=0.9, weight=2, tooltip=tip,
            ).add_to(group)  # fmt: skip
        else:
            folium.GeoJson(
                r.geometry.__geo_interface__, tooltip=tip,
                style_function=lambda f, c=colour: {"color": c, "weight": 2, "fillOpacity": 0.25},
            ).add_to(group)  # fmt: skip
    return group
