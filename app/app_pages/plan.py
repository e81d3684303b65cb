"""Plan: propose new sites that reach the goal, check them by re-auditing, send them to Compare.

Everything is computed by ``phusong.plan.run_plan`` through ``services.plan``
in a background job (``services.plan_job``): the page shows its progress and
a cancel button, and the result stays available when the page is left and
revisited. Sections, in order: the options, the run (progress and cancel),
the headline, the curve, the map, the proposed sites, the wards, the
downloads and the link to Compare.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import fmt
import pandas as pd
import services
import streamlit as st
from strings import labels, step_text, t

CANDIDATE_TYPES = ["csv", "gz", "xlsx", "geojson", "json", "gpkg", "zip", "parquet"]
ZONE_TYPES = ["geojson", "json", "gpkg", "zip", "parquet"]
TARGET_TYPES = ["geojson", "json", "gpkg", "zip", "parquet", "fgb", "csv", "xlsx"]  # issue #15
DEFAULT_BUDGET = 10
MODES = ("target", "floor", "budget")
K_CANCELLED = "plan_cancelled_note"  # set by the cancel button, shown once


def optional_file(
    name: str, state_key: str, types: list[str], none_caption: str
) -> services.InputFile | None:
    """An optional upload kept in session state (widget state is lost between pages).

    ``name`` is the prefix of its strings (``name``, ``name_help``,
    ``name_in_use``, ``name_clear``) and of its widget keys.
    """

    def remember() -> None:
        up = st.session_state.get(f"{name}_upload")
        if up is not None:
            st.session_state[state_key] = services.InputFile.from_upload(up)

    st.file_uploader(
        t(name), type=types, key=f"{name}_upload", help=t(f"{name}_help"), on_change=remember
    )
    held: services.InputFile | None = st.session_state.get(state_key)
    if held is None:
        st.caption(t(none_caption))
    else:
        st.caption(t(f"{name}_in_use", name=held.name))
        if st.button(t(f"{name}_clear"), key=f"{name}_clear"):
            st.session_state.pop(state_key, None)
            st.rerun()
    return held


def remembered_widgets(last: services.PlanOptions | None, goal: Any) -> None:
    """Start the widgets from the last request (widget state is dropped between pages)."""
    mode = "target"
    if last is not None:
        mode = (
            "budget"
            if last.budget is not None
            else ("floor" if last.ward_floor_pct is not None else "target")
        )
    defaults = {
        "plan_w_mode": mode,
        "plan_w_target": float(last.target_pct) if last is not None else float(goal.target_pct),
        "plan_w_floor": float(last.ward_floor_pct)
        if last is not None and last.ward_floor_pct is not None
        else 90.0,
        "plan_w_budget": int(last.budget) if last is not None and last.budget else DEFAULT_BUDGET,
        "plan_w_method": last.method if last is not None else "greedy",
        "plan_w_time": float(last.time_limit_s) if last is not None else 60.0,
        "plan_w_spacing": float(last.min_spacing_m) if last is not None else 0.0,
        "plan_w_operator": (last.operator or "auto") if last is not None else "auto",
        "plan_w_cover": bool(last.cover_targets) if last is not None else False,  # issue #15
    }
    for key, value in defaults.items():
        st.session_state.setdefault(key, value)


def goal_options(goal: Any) -> tuple[float, int | None, float | None]:
    """What to aim for: (target [%], budget or None, every-ward floor [%] or None)."""
    mode = st.radio(
        t("plan_goal"),
        list(MODES),
        format_func=labels("plan_goal_"),
        key="plan_w_mode",
        help=t("plan_goal_help"),
    )
    budget = floor = None
    if mode == "budget":
        budget = int(
            st.number_input(
                t("plan_budget"),
                min_value=1,
                max_value=5000,
                step=1,
                key="plan_w_budget",
                help=t("plan_budget_help"),
            )
        )
        target = float(st.session_state.get("plan_w_target", goal.target_pct))
    else:
        target = float(
            st.number_input(
                t("plan_target"),
                min_value=1.0,
                max_value=100.0,
                step=0.5,
                format="%.1f",
                key="plan_w_target",
                help=t("plan_target_help"),
            )
        )
    if mode == "floor":
        floor = float(
            st.number_input(
                t("plan_floor"),
                min_value=1.0,
                max_value=100.0,
                step=0.5,
                format="%.1f",
                key="plan_w_floor",
                help=t("plan_floor_help"),
            )
        )
    if goal.metric != "population":
        st.caption(t("plan_area_note"))
    return target, budget, floor


def solver_options() -> tuple[str, float]:
    """Method and MILP time limit [s]."""
    method = st.radio(
        t("plan_method"),
        ["greedy", "milp"],
        format_func=labels("method_"),
        key="plan_w_method",
        help=t("plan_method_help"),
        horizontal=True,
    )
    time_limit = float(st.session_state.get("plan_w_time", 60.0))
    if method == "milp":
        time_limit = float(
            st.number_input(
                t("plan_time_limit"),
                min_value=5.0,
                max_value=1800.0,
                step=5.0,
                format="%.0f",
                key="plan_w_time",
                help=t("plan_time_limit_help"),
            )
        )
    return str(method), time_limit


def options_section(goal: Any, last: services.PlanOptions | None) -> tuple[Any, ...]:
    """Every option of the plan; returns (options, candidates, excluded, target places)."""
    remembered_widgets(last, goal)
    left, right = st.columns(2, gap="large")
    with left:
        target, budget, floor = goal_options(goal)
        method, time_limit = solver_options()
    with right:
        spacing = st.number_input(
            t("plan_spacing"),
            min_value=0.0,
            max_value=5000.0,
            step=50.0,
            format="%.0f",
            key="plan_w_spacing",
            help=t("plan_spacing_help"),
        )
        operators = {"auto": t("plan_operator_auto")} | {o: o for o in services.plan_operators()}
        operator = st.selectbox(
            t("plan_operator"),
            list(operators),
            format_func=operators.__getitem__,
            key="plan_w_operator",
            help=t("plan_operator_help"),
        )
        candidates = optional_file(
            "plan_candidates", services.K_PLAN_CANDIDATES, CANDIDATE_TYPES, "plan_candidates_grid"
        )
        excluded = optional_file(
            "plan_excluded", services.K_PLAN_EXCLUDED, ZONE_TYPES, "plan_excluded_none"
        )
        targets = optional_file(  # issue #15: target places, and covering every one
            "plan_targets", services.K_PLAN_TARGETS, TARGET_TYPES, "plan_targets_none"
        )
        cover = st.checkbox(
            t("plan_cover_targets"),
            key="plan_w_cover",
            disabled=targets is None,
            help=t("plan_cover_targets_help"),
        )
    options = services.PlanOptions(
        target_pct=target,
        budget=budget,
        method=method,
        min_spacing_m=float(spacing),
        operator=None if operator == "auto" else str(operator),
        time_limit_s=time_limit,
        ward_floor_pct=floor,
        cover_targets=bool(cover) and targets is not None,
    )
    return options, candidates, excluded, targets


@st.fragment(run_every=0.5)
def progress_panel(request: services.PlanRequest) -> None:
    """Progress of the running plan and a cancel button; reruns the page when it is done.

    A fragment that refreshes itself twice a second: the rest of the page is
    not rerun while the plan computes.
    """
    # the job as it is (never a new start: a failed job is shown by ``run_section``, once)
    job = services.plan_job_if_any(request)
    if job is None or not job.running:
        st.rerun()
    with st.container(border=True):
        st.progress(
            job.fraction,
            text=t(
                "plan_progress",
                step=step_text(job.step) if job.step else t("plan_running"),
                pct=fmt.pct(100 * job.fraction, 0),
                s=fmt.count(job.elapsed_s),
            ),
        )
        if st.button(t("plan_cancel"), key="plan_cancel", icon=":material/cancel:"):
            job.cancel()
            services.forget_plan_job(request)
            st.session_state.pop(services.K_PLAN_REQUEST, None)
            st.session_state[K_CANCELLED] = True
            st.rerun()


def run_section(request: services.PlanRequest) -> Any:
    """The plan's result; while its job runs, the progress panel (and nothing below)."""
    job = services.plan_job_if_any(request)
    if job is None or job.cancelled:
        job = services.plan_job(request)
    if job.running:
        progress_panel(request)
        return None
    if job.error is not None:
        services.show_error(job.error)
        # A failed plan is not cached: forget it, or every rerun would show it again.
        services.forget_plan_job(request)
        st.session_state.pop(services.K_PLAN_REQUEST, None)
        return None
    return job.result


def headline(run: Any) -> None:
    """The outcome in one sentence and four figures."""
    s = run.summary
    before, after = s.get("population_coverage_pct_before"), s.get("population_coverage_pct_after")
    met = s.get("meets_target_after")
    w_before, w_after, n_wards = services.wards_meeting_after(run)
    worst = services.worst_ward_after(run)
    floor = run.summary.get("ward_floor_pct")
    target = fmt.target(s["target_pct"])
    key = "plan_headline_met" if met else "plan_headline_short"
    if s.get("mode") == "budget":
        key = "plan_headline_budget"
    text = t(
        key,
        n=fmt.count(s["n_new_sites"]),
        after=fmt.pct(after),
        before=fmt.pct(before),
        target=target,
        budget=fmt.count(s.get("budget") or 0),
    )
    wards = t(
        "plan_headline_wards",
        after=fmt.count(w_after),
        before=fmt.count(w_before),
        m=fmt.count(n_wards),
        target=target,
    )
    lowest = (
        t("plan_headline_lowest", name=worst[0], pct=fmt.pct(worst[1])) if worst is not None else ""
    )
    floor_text = (
        t(
            "plan_headline_floor",
            floor=fmt.target(floor),
            ok=t("yes") if s.get("meets_ward_floor_after") else t("no"),
        )
        if floor is not None
        else ""
    )
    places = targets_text(s)  # issue #15
    (st.success if met else st.warning)(
        " ".join(x for x in (text, wards, lowest, floor_text, places) if x)
    )
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(
        t("m_pop_after"),
        fmt.pct(after),
        delta=fmt.points(after - before) if after is not None and before is not None else None,
        help=t("m_pop_after_help"),
    )
    area_b, area_a = s.get("area_coverage_pct_before"), s.get("area_coverage_pct_after")
    c2.metric(
        t("m_area_after"),
        fmt.pct(area_a),
        delta=fmt.points(area_a - area_b) if area_a is not None and area_b is not None else None,
        help=t("m_area_after_help"),
    )
    c3.metric(t("m_new_sites"), fmt.count(s["n_new_sites"]), help=t("m_new_sites_help"))
    c4.metric(
        t("m_wards_after"),
        t("n_of_m", n=fmt.count(w_after), m=fmt.count(n_wards)),
        delta=fmt.count(w_after - w_before) if w_after != w_before else None,
        help=t("m_wards_after_help"),
    )
    st.caption(
        t(
            "plan_details",
            cells=fmt.count(s["n_new_cells"]),
            operator=s.get("operator", ""),
            method=t(f"method_{s.get('method_used', 'greedy')}"),
            rounds=fmt.count(s.get("rounds", 1)),
            model=services.model_label_of(run.before),
        )
    )
    st.caption(t("plan_estimate_note"))


def targets_text(s: dict[str, Any]) -> str:
    """Issue #15: target places with 5G before → after, and the sites placed for them."""
    if s.get("n_target_places") is None or s.get("targets_covered_after") is None:
        return ""
    return t(
        "plan_headline_targets" if s.get("cover_targets") else "plan_headline_targets_ignored",
        after=fmt.count(s["targets_covered_after"]),
        n=fmt.count(s["n_target_places"]),
        before=fmt.count(s["targets_covered_before"]),
        sites=fmt.count(s.get("n_target_sites", 0)),
    )


def targets_section(run: Any) -> None:
    """Issue #15: the target places still without 5G after the plan, and why."""
    left = run.summary.get("targets_uncovered_after") or []
    if not left:
        return
    st.subheader(t("plan_targets_left"))
    st.dataframe(
        pd.DataFrame(
            {
                t("col_place"): [f"{u['place_id']} {u['name']}".strip() for u in left],
                t("col_served_share"): [fmt.pct(u["served_share_pct"]) for u in left],
                t("col_reason"): [t(f"plan_targets_reason_{u['reason']}") for u in left],
            }
        ),
        hide_index=True,
        width="stretch",
    )


def reason_text(reason: str) -> str:
    """Issue #15: why a site is proposed, in the user's language."""
    place = services.place_of_reason(reason)
    if place is not None:
        return t("plan_reason_place", place=place)
    return t("plan_reason_coverage")


def curve_section(run: Any) -> None:
    """Sites added → population coverage: the planner's estimate and the audited points."""
    st.subheader(t("plan_curve"))
    curve = services.plan_curve(run)
    names = {"greedy": t("curve_estimate"), "milp": t("curve_milp"), "audit": t("curve_audit")}
    data = pd.DataFrame(
        {
            "sites": curve["n_sites"].astype(int),
            "pct": curve["population_coverage_pct"].astype(float),
            "series": curve["method"].map(names).fillna(curve["method"].astype(str)),
            "round": curve["round"].astype(int),
        }
    )
    legend = [t("curve_estimate"), t("curve_milp"), t("curve_audit"), t("curve_target")]
    colours = alt.Scale(domain=legend, range=["#08519c", "#6a51a3", "#e66101", "black"])
    x = alt.X("sites:Q", title=t("curve_sites"), axis=alt.Axis(format="d", tickMinStep=1))
    y = alt.Y("pct:Q", title=t("curve_pct"), scale=alt.Scale(zero=False))
    colour = alt.Color("series:N", scale=colours, title=None, legend=alt.Legend(orient="bottom"))
    tooltip = [
        alt.Tooltip("series:N", title=t("curve_series")),
        alt.Tooltip("sites:Q", title=t("curve_sites"), format=",d"),
        alt.Tooltip("pct:Q", title=t("curve_pct"), format=",.2f"),
    ]
    line = (
        alt.Chart(data[data["series"] == t("curve_estimate")])
        .mark_line(interpolate="step-after")
        .encode(x=x, y=y, color=colour, detail="round:N", tooltip=tooltip)
    )
    dots = (
        alt.Chart(data[data["series"] != t("curve_estimate")])
        .mark_point(filled=True, size=70)
        .encode(x=x, y=y, color=colour, shape=alt.Shape("series:N", legend=None), tooltip=tooltip)
    )
    target = pd.DataFrame({"pct": [float(run.summary["target_pct"])], "series": [legend[3]]})
    rule = alt.Chart(target).mark_rule(strokeDash=[4, 3]).encode(y="pct:Q", color=colour)
    st.altair_chart(
        (line + dots + rule).properties(height=280).configure(locale=services.vega_locale()),
        width="stretch",
    )
    st.caption(t("plan_curve_help"))


def map_section(run: Any, key: str) -> None:
    """The re-audit's wards and the proposed sites (white dots)."""
    st.subheader(t("plan_map"))
    services.guarded(services.show_plan_map, run, key)
    st.caption(t("plan_map_help"))


def sites_section(run: Any) -> None:
    """One row per proposed site: order, ward and the people it adds."""
    st.subheader(t("plan_sites"))
    st.caption(t("plan_sites_help"))
    new = services.plan_new_sites(run)
    st.dataframe(
        pd.DataFrame(
            {
                t("col_order"): new["order"].astype(int),
                t("col_site"): new["site_id"].astype(str),
                t("col_ward"): new["ward"].astype(str),
                t("col_people_added"): [fmt.count(x) for x in new["covered_people_gain"]],
                t("col_reason"): [reason_text(str(r)) for r in new["reason"]],  # issue #15
                t("col_lat"): new["lat_deg"].round(5),
                t("col_lon"): new["lon_deg"].round(5),
            }
        ),
        hide_index=True,
        width="stretch",
        height=300,
        column_config={t("col_ward"): st.column_config.TextColumn(pinned=True)},
    )


def wards_section(run: Any) -> None:
    """Per ward: audited coverage before and after, new sites; wards with most new sites first."""
    st.subheader(t("plan_wards"))
    st.caption(t("plan_wards_help"))
    wt = services.plan_wards(run)
    st.dataframe(
        pd.DataFrame(
            {
                t("col_ward"): wt["name"].astype(str),
                t("col_new_sites"): wt["new_sites"].astype(int),
                t("col_pop_before"): [fmt.pct(x) for x in wt["population_coverage_pct_before"]],
                t("col_pop_after"): [fmt.pct(x) for x in wt["population_coverage_pct_after"]],
                t("col_meets_after"): [
                    t("yes") if m else t("no") for m in wt["meets_target_after"]
                ],
                t("col_newly_covered"): [fmt.count(x) for x in wt["newly_covered_population"]],
                t("col_area_before"): [fmt.pct(x) for x in wt["area_coverage_pct_before"]],
                t("col_area_after"): [fmt.pct(x) for x in wt["area_coverage_pct_after"]],
            }
        ),
        hide_index=True,
        width="stretch",
        height=360,
        column_config={t("col_ward"): st.column_config.TextColumn(pinned=True)},
    )


def downloads_section(run: Any, request: services.PlanRequest) -> None:
    """The plan's files, each named (and flagged inside) as synthetic when it is."""
    st.subheader(t("plan_downloads"))
    files = services.guarded(services.plan_file_set, run, request) or {}
    synthetic = services.is_synthetic(run)
    labels = {
        "proposed_sites.csv": "dl_proposed",
        "proposed_sites_by_site.csv": "dl_proposed_by_site",
        "wards_plan.csv": "dl_plan_wards",
        "curve.csv": "dl_plan_curve",
        "plan_summary.json": "dl_plan_summary",
    }
    cols = st.columns(3)
    for i, (name, label) in enumerate(labels.items()):
        if name in files:
            cols[i % 3].download_button(
                t(label),
                data=files[name],
                file_name=services.download_name(name, synthetic),
                mime="application/json" if name.endswith(".json") else "text/csv",
                key=f"plan_dl_{name}",
                on_click="ignore",  # no rerun: the other downloads stay valid
                icon=":material/download:",
            )
    if files:
        name, data = services.bundle(
            files, run.summary, "plan", services.scenario_name(request.sites, request.settings)
        )
        st.download_button(
            t("dl_plan_bundle"),
            data=data,
            file_name=name,
            mime="application/zip",
            key="plan_dl_bundle",
            on_click="ignore",  # no rerun: the other downloads stay valid
            type="primary",
            icon=":material/folder_zip:",
        )


def compare_section(run: Any, request: services.PlanRequest) -> None:
    """Send the existing plus the proposed sites to the Compare page."""
    n_new = int(run.summary["n_new_sites"])
    if n_new == 0:
        st.caption(t("plan_no_sites"))
    if st.button(
        t("plan_to_compare"),
        key="plan_to_compare",
        disabled=n_new == 0,
        help=t("plan_to_compare_help"),
        icon=":material/compare_arrows:",
    ):
        options = request.options
        if options.budget is not None:
            what = t("plan_label_budget", n=fmt.count(options.budget))
        elif options.ward_floor_pct is not None:
            what = t("plan_label_floor", floor=fmt.target(options.ward_floor_pct))
        else:
            what = t("plan_label_target", target=fmt.target(options.target_pct))
        st.session_state[services.K_CANDIDATE] = {
            "label": t("plan_compare_label", n=fmt.count(n_new), what=what),
            "sites": services.plan_sites_for_compare(run),
            "key": request.key,
        }
        st.switch_page("app_pages/compare.py")


# --------------------------------------------------------------------------- the page

st.title(t("plan_title"))
st.markdown(t("plan_intro"))
goal = services.current_goal()
sites, wards, raster, settings = services.current_inputs()
request: services.PlanRequest | None = st.session_state.get(services.K_PLAN_REQUEST)
if sites is None:
    st.warning(t("synthetic_banner"), icon="⚠️")

options, candidates, excluded, targets = options_section(goal, request.options if request else None)
current = services.PlanRequest(
    sites, wards, raster, settings, options, candidates, excluded, targets
)
st.caption(t("sidebar_model", label=services.model_label(settings)))
if st.button(t("plan_run"), type="primary", key="plan_run", icon=":material/add_location_alt:"):
    st.session_state[services.K_PLAN_REQUEST] = current
    request = current
if request is None:
    st.info(t("plan_cancelled") if st.session_state.pop(K_CANCELLED, False) else t("plan_prompt"))
    st.stop()
if request.key != current.key:
    st.info(t("plan_stale"))

run = run_section(request)
if run is None:
    st.stop()
st.divider()
st.subheader(t("plan_results"))
if services.is_synthetic(run) and sites is not None:  # (the sample's banner is at the top)
    st.warning(t("synthetic_banner"), icon="⚠️")
headline(run)
curve_section(run)
map_section(run, request.key)
sites_section(run)
targets_section(run)  # issue #15
wards_section(run)
downloads_section(run, request)
compare_section(run, request)
