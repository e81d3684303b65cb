"""Plan: propose new sites that reach the goal, check them by re-auditing, send them to Compare.

Everything is computed by ``phusong.plan.run_plan`` through ``services.plan``
(cached); planning is heavier than an audit, so it runs only when the
"Propose sites" button is pressed. The request (inputs, settings, options) is
kept in session state so that the result stays on screen across reruns.
"""

from __future__ import annotations

import math

import altair as alt
import pandas as pd
import services
import streamlit as st
from strings import t

CANDIDATE_TYPES = ["csv", "gz", "xlsx", "geojson", "json", "gpkg", "zip", "parquet"]
ZONE_TYPES = ["geojson", "json", "gpkg", "zip", "parquet"]
DEFAULT_BUDGET = 10


def pct(value: float | None) -> str:
    """A plan figure [%], with two decimals (plans are judged near the target)."""
    return "–" if value is None or not math.isfinite(value) else f"{value:.2f} %"


def points(after: float | None, before: float | None) -> str | None:
    if after is None or before is None:
        return None
    return f"{after - before:+.2f} points"


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


st.title(t("plan_title"))
st.markdown(t("plan_intro"))

goal = services.current_goal()
sites, wards, raster = services.current_sites(), services.current_wards(), services.current_raster()
settings = services.current_settings()
request: services.PlanRequest | None = st.session_state.get(services.K_PLAN_REQUEST)
if sites is None:
    st.warning(t("synthetic_banner"), icon="⚠️")

# ---- options (widget state is dropped when the page changes: start from the last request)
last = request.options if request is not None else None
st.session_state.setdefault(
    "plan_w_mode", "budget" if last is not None and last.budget is not None else "target"
)
st.session_state.setdefault(
    "plan_w_target", float(last.target_pct) if last is not None else float(goal.target_pct)
)
st.session_state.setdefault(
    "plan_w_budget", int(last.budget) if last is not None and last.budget else DEFAULT_BUDGET
)
st.session_state.setdefault("plan_w_method", last.method if last is not None else "greedy")
st.session_state.setdefault("plan_w_time", float(last.time_limit_s) if last is not None else 60.0)
st.session_state.setdefault(
    "plan_w_spacing", float(last.min_spacing_m) if last is not None else 0.0
)
st.session_state.setdefault(
    "plan_w_operator", (last.operator or "auto") if last is not None else "auto"
)

left, right = st.columns(2, gap="large")
with left:
    mode = st.radio(
        t("plan_goal"),
        ["target", "budget"],
        format_func=lambda m: t(f"plan_goal_{m}"),
        key="plan_w_mode",
        horizontal=True,
    )
    if mode == "target":
        target = st.number_input(
            t("plan_target"),
            min_value=1.0,
            max_value=100.0,
            step=0.5,
            format="%.1f",
            key="plan_w_target",
            help=t("plan_target_help"),
        )
        budget = None
    else:
        budget = st.number_input(
            t("plan_budget"),
            min_value=1,
            max_value=5000,
            step=1,
            key="plan_w_budget",
            help=t("plan_budget_help"),
        )
        target = float(st.session_state.get("plan_w_target", goal.target_pct))
    if goal.metric != "population":
        st.caption(t("plan_area_note"))
    method = st.radio(
        t("plan_method"),
        ["greedy", "milp"],
        format_func=lambda m: t(f"method_{m}"),
        key="plan_w_method",
        help=t("plan_method_help"),
        horizontal=True,
    )
    if method == "milp":
        time_limit = st.number_input(
            t("plan_time_limit"),
            min_value=5.0,
            max_value=1800.0,
            step=5.0,
            format="%.0f",
            key="plan_w_time",
            help=t("plan_time_limit_help"),
        )
    else:
        time_limit = float(st.session_state.get("plan_w_time", 60.0))

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
    operator = st.selectbox(
        t("plan_operator"),
        ["auto", *services.plan_operators()],
        format_func=lambda o: t("plan_operator_auto") if o == "auto" else o,
        key="plan_w_operator",
        help=t("plan_operator_help"),
    )

    candidates = optional_file(
        "plan_candidates", services.K_PLAN_CANDIDATES, CANDIDATE_TYPES, "plan_candidates_grid"
    )
    excluded = optional_file(
        "plan_excluded", services.K_PLAN_EXCLUDED, ZONE_TYPES, "plan_excluded_none"
    )

options = services.PlanOptions(
    target_pct=float(target),
    budget=int(budget) if budget is not None else None,
    method=str(method),
    min_spacing_m=float(spacing),
    operator=None if operator == "auto" else str(operator),
    time_limit_s=float(time_limit),
)
current = services.PlanRequest(sites, wards, raster, settings, options, candidates, excluded)
st.caption(t("sidebar_model", label=services.settings_label(settings)))

if st.button(t("plan_run"), type="primary", key="plan_run", icon=":material/add_location_alt:"):
    st.session_state[services.K_PLAN_REQUEST] = current
    request = current
if request is None:
    st.info(t("plan_prompt"))
    st.stop()
if request.key != current.key:
    st.info(t("plan_stale"))

with st.spinner(t("plan_running"), show_time=True):
    run = services.guarded(services.plan, *request.args())
if run is None:
    # A failed plan is not cached: forget it, or every rerun would compute it again.
    st.session_state.pop(services.K_PLAN_REQUEST, None)
    st.stop()

# ---- headline figures
st.divider()
st.subheader(t("plan_results"))
s = run.summary
if s.get("synthetic") and sites is not None:  # (the sample's banner is already at the top)
    st.warning(t("synthetic_banner"), icon="⚠️")
pop_before, pop_after = (
    s.get("population_coverage_pct_before"),
    s.get("population_coverage_pct_after"),
)
area_before, area_after = s.get("area_coverage_pct_before"), s.get("area_coverage_pct_after")
met = s.get("meets_target_after")
c1, c2, c3, c4 = st.columns(4)
c1.metric(
    t("m_pop_after"),
    pct(pop_after),
    delta=points(pop_after, pop_before),
    help=t("m_pop_after_help"),
)
c2.metric(
    t("m_area_after"),
    pct(area_after),
    delta=points(area_after, area_before),
    help=t("m_area_after_help"),
)
c3.metric(t("m_new_sites"), f"{s['n_new_sites']:,}", help=t("m_new_sites_help"))
c4.metric(
    t("m_target_met"),
    "–" if met is None else (t("yes") if met else t("no")),
    help=t("m_target_met_help"),
)
st.caption(
    t(
        "plan_before_after",
        before=pct(pop_before),
        after=pct(pop_after),
        area_before=pct(area_before),
        area_after=pct(area_after),
        target=pct(s.get("target_pct")),
        cells=f"{s['n_new_cells']:,}",
        operator=s.get("operator", ""),
        method=s.get("method_used", ""),
        rounds=s.get("rounds", 1),
    )
)
(st.success if met else st.warning)(s.get("note", ""))
st.caption(t("plan_estimate", note=s.get("approximation", "")))

# ---- the curve: sites added -> population coverage
st.subheader(t("plan_curve"))
curve = services.plan_curve(run)
series = curve["method"].map(
    {"greedy": t("curve_estimate"), "milp": t("curve_milp"), "audit": t("curve_audit")}
)
chart_data = pd.DataFrame(
    {
        "sites": curve["n_sites"].astype(int),
        "pct": curve["population_coverage_pct"].astype(float),
        "series": series.fillna(curve["method"].astype(str)),
        "round": curve["round"].astype(int),
    }
)
names = [t("curve_estimate"), t("curve_milp"), t("curve_audit"), t("curve_target")]
colours = alt.Scale(domain=names, range=["#08519c", "#6a51a3", "#ff7f00", "black"])
x = alt.X("sites:Q", title=t("curve_sites"), axis=alt.Axis(format="d", tickMinStep=1))
y = alt.Y("pct:Q", title=t("curve_pct"), scale=alt.Scale(zero=False))
colour = alt.Color("series:N", scale=colours, title=t("curve_series"))
tooltip = [
    alt.Tooltip("series:N", title=t("curve_series")),
    alt.Tooltip("sites:Q", title=t("curve_sites")),
    alt.Tooltip("pct:Q", title=t("curve_pct"), format=".2f"),
]
line = (
    alt.Chart(chart_data[chart_data["series"] == t("curve_estimate")])
    .mark_line(interpolate="step-after")
    .encode(x=x, y=y, color=colour, detail="round:N", tooltip=tooltip)
)
dots = (
    alt.Chart(chart_data[chart_data["series"] != t("curve_estimate")])
    .mark_point(filled=True, size=70)
    .encode(x=x, y=y, color=colour, shape=alt.Shape("series:N", legend=None), tooltip=tooltip)
)
target_line = (
    alt.Chart(pd.DataFrame({"pct": [float(s["target_pct"])], "series": [t("curve_target")]}))
    .mark_rule(strokeDash=[4, 3])
    .encode(y="pct:Q", color=colour)
)
st.altair_chart((line + dots + target_line).properties(height=300), width="stretch")
st.caption(t("plan_curve_help"))

# ---- the map
st.subheader(t("plan_map"))
pmap = services.guarded(services.plan_map, run)
if pmap is not None:
    services.show_map(pmap, key="plan_map", height=560, returned_objects=[])
st.caption(t("plan_map_help"))

# ---- per-ward improvement
st.subheader(t("plan_wards"))
st.caption(t("plan_wards_help"))
wt = services.plan_wards(run)
st.dataframe(
    pd.DataFrame(
        {
            t("col_ward"): wt["name"].astype(str),
            t("col_new_sites"): wt["new_sites"].astype(int),
            t("col_pop_before"): wt["population_coverage_pct_before"].round(2),
            t("col_pop_after"): wt["population_coverage_pct_after"].round(2),
            t("col_area_before"): wt["area_coverage_pct_before"].round(2),
            t("col_area_after"): wt["area_coverage_pct_after"].round(2),
            t("col_newly_covered"): wt["newly_covered_population"].round(0),
            t("col_meets_after"): wt["meets_target_after"].map({True: t("yes"), False: t("no")}),
        }
    ),
    hide_index=True,
    width="stretch",
    height=360,
)

# ---- downloads and Compare
st.subheader(t("plan_downloads"))
files = services.guarded(services.plan_files, run, request.key) or {}
d1, d2, d3, d4 = st.columns(4)
if "proposed_sites.csv" in files:
    d1.download_button(
        t("dl_proposed"),
        data=files["proposed_sites.csv"],
        file_name="proposed_sites.csv",
        mime="text/csv",
        key="plan_dl_sites",
        help=t("dl_proposed_help"),
        icon=":material/download:",
    )
for col, name, label, mime in (
    (d2, "wards_plan.csv", "dl_plan_wards", "text/csv"),
    (d3, "curve.csv", "dl_plan_curve", "text/csv"),
    (d4, "plan_summary.json", "dl_plan_summary", "application/json"),
):
    if name in files:
        col.download_button(
            t(label), data=files[name], file_name=name, mime=mime, key=f"plan_dl_{name}"
        )

n_new = int(s["n_new_sites"])
if n_new == 0:
    st.caption(t("plan_no_sites"))
if st.button(
    t("plan_to_compare"),
    key="plan_to_compare",
    disabled=n_new == 0,
    help=t("plan_to_compare_help"),
    icon=":material/compare_arrows:",
):
    what = (
        t("plan_label_budget", n=request.options.budget)
        if request.options.budget is not None
        else t("plan_label_target", target=request.options.target_pct)
    )
    st.session_state[services.K_CANDIDATE] = {
        "label": t("plan_compare_label", n=n_new, what=what),
        "sites": services.plan_sites_for_compare(run),
        "key": request.key,
    }
    st.switch_page("app_pages/compare.py")
