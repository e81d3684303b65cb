"""Overview: the verdict, what it would take, the worst wards and the map — then the details.

The page is a list of sections, each a small function, called in order at
the bottom. Above the fold (1440×900): the goal controls, the verdict card,
the headline figures, the five wards that need most and the map. Below: the
chosen ward's details, the table of every ward and the distribution. A new
panel (e.g. progress over time) is one more section function added to the
list at the bottom.
"""

from __future__ import annotations

from typing import Any

import fmt
import pandas as pd
import services
import streamlit as st
import wardmap
from strings import labels, lang, t

K_WARD = "ov_ward"  # the ward shown in the details (a map click or the picker sets it)
GOAL_KEY = "ov_goal"  # the goal slider: its value is the last target chosen in the browser
K_LAST_CLICK = "ov_last_click"
MAP_KEY = "ov_map"  # the map component's key: its value is the last click


def goal_controls() -> Any:
    """The goal: target slider and metric (kept in session state across pages)."""
    st.session_state.setdefault(services.K_GOAL_TARGET, float(services.DEFAULT_GOAL.target_pct))
    st.session_state.setdefault(services.K_GOAL_METRIC, services.DEFAULT_GOAL.metric)

    def keep(src: str, dst: str) -> None:
        st.session_state[dst] = st.session_state[src]

    steps = services.goal_steps()
    current = float(st.session_state[services.K_GOAL_TARGET])
    wardmap.goal_slider(  # recolours the map in the browser while it moves
        label=t("goal_target"),
        help=t("goal_target_help"),
        options=steps,
        labels=[fmt.target(x) for x in steps],
        value=current if current in steps else services.DEFAULT_GOAL.target_pct,
        key=GOAL_KEY,
    )
    st.radio(
        t("goal_metric"),
        options=["population", "area"],
        index=0 if st.session_state[services.K_GOAL_METRIC] == "population" else 1,
        format_func=labels("metric_"),
        key="ov_w_metric",
        help=t("goal_metric_help"),
        horizontal=True,
        on_change=keep,
        args=("ov_w_metric", services.K_GOAL_METRIC),
    )
    return services.current_goal()


def take_goal_input() -> None:
    """Use the target last chosen with the goal slider (read before anything is judged)."""
    chosen = st.session_state.get(GOAL_KEY)
    if isinstance(chosen, (int, float)) and float(chosen) in services.goal_steps():
        st.session_state[services.K_GOAL_TARGET] = float(chosen)


def verdict_text(v: services.Verdict, pending: bool) -> str:
    """The verdict in one sentence (Markdown)."""
    value, target = fmt.pct(v.value_pct), fmt.target(v.target_pct)
    what = t(f"verdict_what_{v.metric}")
    if v.met:
        return t("verdict_met", value=value, what=what, target=target, year=v.year)
    if v.metric == "population":
        missing = t("verdict_missing_people", people=fmt.compact(v.shortfall))
    else:
        missing = t("verdict_missing_area", area=fmt.km2(v.shortfall, 1))
    if v.metric != "population":
        sites = ""
    elif pending:
        sites = t("verdict_sites_pending")
    elif v.sites is None:
        sites = t("verdict_sites_unreachable")
    else:
        sites = t("verdict_sites", n=fmt.count(v.sites))
    return t(
        "verdict_not_met",
        value=value,
        what=what,
        target=target,
        year=v.year,
        missing=missing,
        sites=sites,
    )


def verdict_card(result: Any, goal: Any, inputs: tuple[Any, ...]) -> services.Verdict:
    """The verdict card: one sentence, with the goal controls beside it."""
    job = services.estimate_job(inputs)
    job.wait(1.5)  # usually ready (start-up computed it); else the card says so
    estimates = job.result if job.ok else None
    v = services.verdict(result, goal, estimates)
    with st.container(border=True, key="verdict"):
        left, right = st.columns([3, 1.25], gap="medium")
        with left:
            st.markdown(f"### {verdict_text(v, pending=job.running)}")
            notes = [t("verdict_model", label=services.model_label_of(result))]
            if goal.metric == "population" and estimates is not None:
                notes.append(
                    t(
                        "verdict_estimate_note",
                        cell=fmt.unit(estimates.city.demand_cell_m, "m"),
                        operator=estimates.city.operator,
                    )
                )
            elif goal.metric == "area":
                notes.append(t("verdict_area_note"))
            if job.error is not None and not job.cancelled:
                notes.append(t("verdict_estimate_failed"))
            st.caption(" ".join(notes))
        with right:
            goal_controls()
    if job.running:
        st.session_state["ov_estimate_pending"] = True
    return v


def headline_metrics(result: Any, goal: Any) -> None:
    """Four figures: people and land with 5G, wards meeting the goal, people without 5G."""
    s = result.summary
    c1, c2, c3, c4 = st.columns(4)
    pop, area = s.get("population_coverage_pct"), s.get("area_coverage_pct")
    c1.metric(
        t("m_pop"),
        fmt.pct(pop),
        delta=t("vs_goal", delta=fmt.points(pop - goal.target_pct))
        if goal.metric == "population" and pop is not None
        else None,
        help=t("m_pop_help"),
    )
    c2.metric(
        t("m_area"),
        fmt.pct(area),
        delta=t("vs_goal", delta=fmt.points(area - goal.target_pct))
        if goal.metric == "area" and area is not None
        else None,
        help=t("m_area_help"),
    )
    c3.metric(
        t("m_wards"),
        t("n_of_m", n=fmt.count(s["wards_meeting_goal"]), m=fmt.count(s["n_wards"])),
        help=t("m_wards_help"),
    )
    c4.metric(
        t("m_uncovered"), fmt.people(s.get("uncovered_population")), help=t("m_uncovered_help")
    )


def worst_wards(v: services.Verdict, goal: Any) -> None:
    """The wards that need most, each with its shortfall and the sites it needs (click = select)."""
    st.markdown(f"**{t('needs_title', n=len(v.needs))}**", help=t("needs_help"))
    if not v.needs:
        st.success(t("needs_none"))
        return
    population = goal.metric == "population"
    table = pd.DataFrame(
        {
            "ward": [n.name for n in v.needs],
            "pct": [fmt.pct(n.coverage_pct) for n in v.needs],
            "short": [
                fmt.people(n.shortfall) if population else fmt.km2(n.shortfall, 2) for n in v.needs
            ],
            "sites": [
                fmt.count(n.sites) if n.sites is not None else ("…" if population else "–")
                for n in v.needs
            ],
        }
    )
    col = st.column_config.TextColumn
    event = st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        key="ov_needs",
        on_select="rerun",
        selection_mode="single-row",
        column_config={
            "ward": col(t("col_ward"), pinned=True),
            "pct": col(t(f"col_{'pop' if population else 'area'}_pct")),
            "short": col(t("needs_short", target=fmt.target(goal.target_pct))),
            "sites": col(t("needs_sites_col"), help=t("needs_sites_help")),
        },
    )
    rows = list(getattr(getattr(event, "selection", None), "rows", []) or [])
    if rows and rows != st.session_state.get("ov_needs_last"):
        st.session_state[K_WARD] = v.needs[rows[0]].ward_id
    st.session_state["ov_needs_last"] = rows
    st.caption(t("needs_caption"))


def take_map_click(names: dict[str, str]) -> None:
    """Select the ward of a new map click (read before anything shows the selection)."""
    click = st.session_state.get(MAP_KEY)
    if not isinstance(click, dict) or str(click.get("ward_id")) not in names:
        return
    if click != st.session_state.get(K_LAST_CLICK):
        st.session_state[K_LAST_CLICK] = dict(click)
        st.session_state[K_WARD] = str(click["ward_id"])


def ward_map(inputs: tuple[Any, ...], result: Any, goal: Any) -> None:
    """The map: wards coloured against the goal; a click selects a ward."""
    services.guarded(services.show_ward_map, inputs, result, goal, st.session_state.get(K_WARD))
    st.caption(t("map_help"))


def ward_detail(result: Any, names: dict[str, str]) -> None:
    """The chosen ward's figures, by operator and by number of serving sites."""
    wards = result.wards
    order = list(wards["ward_id"].astype(str))  # ranked: the ward holding the city back first
    if st.session_state.get(K_WARD) not in names:
        st.session_state[K_WARD] = order[0]
    ward_id = st.selectbox(
        t("ward_pick"), order, format_func=names.__getitem__, key=K_WARD, help=t("ward_pick_help")
    )
    row = wards[wards["ward_id"].astype(str) == ward_id].iloc[0]
    st.markdown(f"### {row['name']}")
    st.markdown(
        f":blue[:material/check_circle: {t('d_meets')}]"
        if bool(row["meets_goal"])
        else f":orange[:material/cancel: {t('d_misses')}]"
    )
    d1, d2, d3, d4 = st.columns(4)
    d1.metric(t("d_pop"), fmt.pct(row["population_coverage_pct"]), help=t("m_pop_help"))
    d2.metric(t("d_area"), fmt.pct(row["area_coverage_pct"]), help=t("m_area_help"))
    d3.metric(t("d_uncovered"), fmt.people(row["uncovered_population"]))
    d4.metric(t("d_gap_area"), fmt.km2(row["uncovered_area_km2"], 2), help=t("d_gap_area_help"))
    left, right = st.columns(2, gap="large")
    with left:
        st.markdown(f"**{t('d_by_operator')}**")
        ops = result.by_operator[result.by_operator["ward_id"].astype(str) == ward_id]
        st.table(  # a plain table: lighter for the browser than an interactive grid
            pd.DataFrame(
                {
                    t("col_operator"): [services.operator_name(o) for o in ops["operator"]],
                    t("col_pop_pct"): [fmt.pct(x) for x in ops["population_coverage_pct"]],
                    t("col_area_pct"): [fmt.pct(x) for x in ops["area_coverage_pct"]],
                    t("col_meets"): [t("yes") if m else t("no") for m in ops["meets_goal"]],
                }
            ).set_index(t("col_operator"))
        )
    with right:
        st.markdown(f"**{t('d_redundancy')}**", help=t("d_redundancy_help"))
        classes = ("0", "1", "2_4", "5plus")
        st.dataframe(
            pd.DataFrame(
                {
                    t("col_servers"): [t(f"red_{k}") for k in classes],
                    t("col_people"): [
                        fmt.count(row.get(f"population_servers_{k}")) for k in classes
                    ],
                }
            ),
            hide_index=True,
            width="stretch",
        )


def ward_table(inputs: tuple[Any, ...], result: Any, goal: Any) -> None:
    """Every ward, those holding the city back first (the ward's name pinned on a phone)."""
    st.subheader(t("ward_table"))
    st.caption(t("ward_table_help"))
    shown = services.ward_table_texts(inputs, result)
    population = goal.metric == "population"
    col = st.column_config.TextColumn
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        height=360,
        column_config={
            "rank": st.column_config.NumberColumn(t("col_rank"), help=t("col_rank_help")),
            "ward": col(t("col_ward"), pinned=True),
            "pop": col(t("col_pop_pct"), help=t("m_pop_help")),
            "area": col(t("col_area_pct"), help=t("m_area_help")),
            "meets": col(t("col_meets")),
            "short": col(
                t("col_short_pop") if population else t("col_short_area"),
                help=t("col_short_help"),
            ),
            "uncovered": col(t("col_uncovered")),
            "gain": col(t("col_gain"), help=t("col_gain_help")),
        },
    )


def distribution(result: Any, goal: Any) -> None:
    """How many wards at each coverage level, against the goal."""
    st.subheader(t("distribution"))
    wards = result.wards
    values = [
        {"coverage": float(c), "meets": t("d_meets") if m else t("d_misses")}
        for c, m in zip(wards[goal.column], wards["meets_goal"], strict=True)
        if c == c
    ]
    spec = {
        "height": 240,
        "config": {"locale": services.vega_locale()},
        "layer": [
            {
                "data": {"values": values},
                "mark": "bar",
                "encoding": {
                    "x": {
                        "field": "coverage",
                        "type": "quantitative",
                        "bin": {"extent": [0, 100], "step": 5},
                        "title": t("col_coverage"),
                    },
                    "y": {"aggregate": "count", "type": "quantitative", "title": t("col_count")},
                    "color": {
                        "field": "meets",
                        "type": "nominal",
                        "title": None,
                        "scale": {
                            "domain": [t("d_misses"), t("d_meets")],
                            "range": ["#d94801", "#2171b5"],
                        },
                    },
                },
            },
            {
                "data": {"values": [{"goal": float(goal.target_pct)}]},
                "mark": {"type": "rule", "color": "black", "strokeDash": [4, 3]},
                "encoding": {"x": {"field": "goal", "type": "quantitative"}},
            },
        ],
    }
    st.vega_lite_chart(spec, width="stretch")


K_PROGRESS = "ov_progress"  # the Progress panel was asked for in this session


def progress_panel(inputs: tuple[Any, ...]) -> None:
    """Coverage over time and the pace to the city's dated targets (computed when asked)."""
    st.subheader(t("progress_title"))
    st.caption(t("progress_help"))
    if not st.session_state.get(K_PROGRESS):
        if not st.button(t("progress_run"), key="ov_progress_run", icon=":material/timeline:"):
            return
        st.session_state[K_PROGRESS] = True
    with st.spinner(t("computing"), show_time=True), services.timed("overview: progress"):
        run = services.guarded(services.progress_run, *inputs)
    if run is None:
        return
    view = services.progress_view(run, lang())
    if view["synthetic"]:
        st.caption(t("progress_synthetic"))
    for line in view["lines"]:
        st.markdown(line)
    chart = view["chart"]
    series = {
        "population_coverage_pct": t("progress_series_now"),
        "needed_pct": t("progress_series_needed"),
        "pace_pct": t("progress_series_pace"),
        "target_pct": t("progress_series_target"),
    }
    shown = [c for c in series if c in chart.columns]
    st.line_chart(
        chart.set_index("date")[shown].rename(columns=series),
        y_label=t("col_pop_pct"),
        x_label=t("progress_date"),
    )
    st.markdown(f"**{t('progress_goals')}**")
    for mark, line in zip(view["goals"]["mark"], view["goals"]["line"], strict=True):
        st.markdown(f"{mark} {line}")


# --------------------------------------------------------------------------- the page

K_LOWER_GOAL = "ov_lower_goal"  # the goal the sections below the first screen show
K_LOWER_WARD = "ov_lower_ward"  # the ward the details below the first screen show
K_IN_PAGE = "ov_in_page"  # True while the whole page runs (False: the first screen reruns alone)


@st.fragment
def first_screen(inputs: tuple[Any, ...], title_badge: Any) -> Any:
    """Verdict and goal controls, headline figures, the wards that need most, the map.

    A fragment: moving the goal reruns this part alone, so what the user looks
    at answers first; then, once, the whole page (the sections below the first
    screen follow the goal a moment later).
    """
    take_goal_input()
    goal = services.current_goal()
    with st.spinner(t("computing"), show_time=True), services.timed("overview: audit"):
        result = services.guarded(services.judged, *inputs, goal)
    if result is None:
        return None
    if services.is_synthetic(result):
        title_badge.warning(t("synthetic_short"), icon="⚠️")
    with services.timed("overview: verdict"):
        v = verdict_card(result, goal, inputs)
    headline_metrics(result, goal)
    names = dict(
        zip(result.wards["ward_id"].astype(str), result.wards["name"].astype(str), strict=True)
    )
    if st.session_state.get(K_WARD) not in names:  # the ward holding the city back most
        st.session_state[K_WARD] = str(result.wards["ward_id"].iloc[0])
    take_map_click(names)
    left, right = st.columns([2, 3], gap="medium")
    with left:
        worst_wards(v, goal)
    with right, services.timed("overview: map"):
        ward_map(inputs, result, goal)
    moved = st.session_state.get(K_LOWER_GOAL) != goal  # the goal moved in this fragment's run,
    picked = st.session_state.get(K_LOWER_WARD) != st.session_state.get(K_WARD)  # or a ward:
    if (moved or picked) and not st.session_state.get(K_IN_PAGE):
        st.rerun(scope="app")  # now the sections below follow
    return result


inputs = services.current_inputs()
take_goal_input()
goal = services.current_goal()
st.session_state[K_LOWER_GOAL] = goal
title, badge = st.columns([4, 1.3], vertical_alignment="center")
title.title(t("overview_title"))
st.session_state.pop("ov_estimate_pending", None)
st.session_state[K_IN_PAGE] = True
try:
    result = first_screen(inputs, badge)
finally:
    st.session_state[K_IN_PAGE] = False
st.session_state[K_LOWER_WARD] = st.session_state.get(K_WARD)  # the ward the details show
if result is None:
    st.stop()
names = dict(
    zip(result.wards["ward_id"].astype(str), result.wards["name"].astype(str), strict=True)
)
st.divider()
with services.timed("overview: details"):
    ward_detail(result, names)
st.divider()
with services.timed("overview: table"):
    ward_table(inputs, result, goal)
distribution(result, goal)
st.divider()
progress_panel(inputs)


@st.fragment(run_every=1.0)
def _poll_estimate() -> None:
    """While the estimate runs, rerun the page once it is ready (then stop polling)."""
    if not services.estimate_job(inputs).running:
        st.rerun()


if st.session_state.get("ov_estimate_pending"):
    _poll_estimate()
services.prefetch_goals(inputs, goal, lang())  # every slider value ready ahead (on a server)
