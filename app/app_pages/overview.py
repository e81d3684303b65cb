"""Overview: headline figures, the ward map, ward details, the ward table and a chart."""

from __future__ import annotations

import math

import altair as alt
import pandas as pd
import services
import streamlit as st
from strings import t


def pct(value: float | None) -> str:
    return "–" if value is None or not math.isfinite(value) else f"{value:.1f} %"


def people(value: float | None) -> str:
    return "–" if value is None or not math.isfinite(value) else f"{value:,.0f}"


goal = services.current_goal()
inputs = (
    services.current_sites(),
    services.current_wards(),
    services.current_raster(),
    services.current_settings(),
)

st.title(t("overview_title"))
with st.spinner(t("computing"), show_time=True):
    result = services.guarded(services.judged, *inputs, goal)
if result is None:
    st.stop()

s = result.summary
if s.get("synthetic"):
    st.warning(t("synthetic_banner"), icon="⚠️")
st.markdown(t("overview_intro", goal=goal.describe()))

# ---- headline figures
c1, c2, c3, c4 = st.columns(4)
pop_pct = s.get("population_coverage_pct")
area_pct = s.get("area_coverage_pct")
goal_value = s.get(goal.column)
c1.metric(
    t("m_pop"),
    pct(pop_pct),
    delta=t("vs_goal", delta=pop_pct - goal.target_pct)
    if goal.metric == "population" and pop_pct is not None
    else None,
    help=t("m_pop_help"),
)
c2.metric(
    t("m_area"),
    pct(area_pct),
    delta=t("vs_goal", delta=area_pct - goal.target_pct)
    if goal.metric == "area" and area_pct is not None
    else None,
    help=t("m_area_help"),
)
c3.metric(t("m_wards"), f"{s['wards_meeting_goal']} / {s['n_wards']}", help=t("m_wards_help"))
c4.metric(t("m_uncovered"), people(s.get("uncovered_population")), help=t("m_uncovered_help"))
sites_info = s.get("sites") or {}
st.caption(
    t(
        "model_caption",
        label=s.get("model_label", ""),
        pop_source=s.get("population_label", s.get("population_source", "")),
        cells=f"{sites_info.get('cells', 0):,}",
        sites=f"{sites_info.get('sites', 0):,}",
    )
)

# ---- map and ward details
wards = result.wards
names = dict(zip(wards["ward_id"].astype(str), wards["name"].astype(str), strict=True))
left, right = st.columns([5, 2], gap="medium")
with left:
    st.subheader(t("map_title"))
    fmap = services.guarded(services.ward_map, *inputs, goal)
    if fmap is not None:
        out = services.show_map(
            fmap, key="ov_map", height=600, returned_objects=["last_active_drawing"]
        )
        drawing = out.get("last_active_drawing") or {}
        clicked = str((drawing.get("properties") or {}).get("ward_id") or "")
        if clicked in names and clicked != st.session_state.get("ov_last_click"):
            st.session_state["ov_last_click"] = clicked
            st.session_state["ov_ward"] = clicked
    st.caption(t("map_help"))


@st.fragment
def ward_detail(result: services.AuditResult, names: dict[str, str]) -> None:
    """Show the chosen ward's figures.

    A fragment: picking another ward reruns only this part, not the page with
    its map (``st_folium`` renders the map anew on every page run, about 0.6 s).
    """
    wards = result.wards
    st.subheader(t("ward_detail"))
    order = list(wards["ward_id"].astype(str))  # ranked: the ward holding the city back first
    if st.session_state.get("ov_ward") not in names:
        st.session_state["ov_ward"] = order[0]
    ward_id = st.selectbox(
        t("ward_pick"),
        order,
        format_func=names.__getitem__,
        key="ov_ward",
        help=t("ward_click_hint"),
    )
    row = wards[wards["ward_id"].astype(str) == ward_id].iloc[0]
    st.markdown(f"### {row['name']}")
    st.markdown(
        f":green[:material/check_circle: {t('d_meets')}]"
        if bool(row["meets_goal"])
        else f":red[:material/cancel: {t('d_misses')}]"
    )
    d1, d2 = st.columns(2)
    d1.metric(t("d_pop"), pct(row["population_coverage_pct"]))
    d2.metric(t("d_area"), pct(row["area_coverage_pct"]))
    d3, d4 = st.columns(2)
    d3.metric(t("d_gap_area"), f"{row['uncovered_area_km2']:.1f}")
    d4.metric(t("d_uncovered"), people(row["uncovered_population"]))

    st.markdown(f"**{t('d_by_operator')}**")
    ops = result.by_operator[result.by_operator["ward_id"].astype(str) == ward_id]
    st.dataframe(
        pd.DataFrame(
            {
                t("col_operator"): ops["operator"].astype(str),
                t("col_pop_pct"): ops["population_coverage_pct"].round(1),
                t("col_area_pct"): ops["area_coverage_pct"].round(1),
                t("col_meets"): ops["meets_goal"].map({True: t("yes"), False: t("no")}),
            }
        ),
        hide_index=True,
        width="stretch",
    )

    st.markdown(f"**{t('d_redundancy')}**", help=t("d_redundancy_help"))
    red = pd.DataFrame(
        {
            t("col_servers"): [t(f"red_{k}") for k in ("0", "1", "2_4", "5plus")],
            t("col_people"): [
                float(row.get(f"population_servers_{k}", float("nan")))
                for k in ("0", "1", "2_4", "5plus")
            ],
        }
    )
    st.altair_chart(
        alt.Chart(red)
        .mark_bar()
        .encode(
            x=alt.X(f"{t('col_people')}:Q"),
            y=alt.Y(f"{t('col_servers')}:N", sort=None),
            tooltip=[t("col_servers"), alt.Tooltip(f"{t('col_people')}:Q", format=",.0f")],
        )
        .properties(height=150),
        width="stretch",
    )


with right:
    ward_detail(result, names)


# ---- ward table and distribution
st.subheader(t("ward_table"))
st.caption(t("ward_table_help"))
table = services.ward_table_frame(result)
short_col = "shortfall_population" if goal.metric == "population" else "shortfall_area_km2"
shown = pd.DataFrame(
    {
        t("col_rank"): table["rank"],
        t("col_ward"): table["name"].astype(str),
        t("col_pop_pct"): table["population_coverage_pct"].round(2),
        t("col_area_pct"): table["area_coverage_pct"].round(2),
        t("col_meets"): table["meets_goal"].map({True: t("yes"), False: t("no")}),
        t("col_short_pop") if goal.metric == "population" else t("col_short_area"): table[
            short_col
        ].round(2 if goal.metric == "area" else 0),
        t("col_uncovered"): table["uncovered_population"].round(0),
        t("col_gain"): table["city_gain_pct"].round(3),
    }
)
st.dataframe(shown, hide_index=True, width="stretch", height=320)

st.subheader(t("distribution"))
dist = pd.DataFrame(
    {
        "coverage": wards[goal.column].astype(float),
        "meets": wards["meets_goal"].map({True: t("d_meets"), False: t("d_misses")}),
    }
)
bars = (
    alt.Chart(dist)
    .mark_bar()
    .encode(
        x=alt.X("coverage:Q", bin=alt.Bin(extent=[0, 100], step=5), title=t("col_coverage")),
        y=alt.Y("count():Q", title=t("col_count")),
        color=alt.Color(
            "meets:N",
            scale=alt.Scale(domain=[t("d_misses"), t("d_meets")], range=["#ef3b2c", "#41ab5d"]),
            title=None,
        ),
    )
)
rule = (
    alt.Chart(pd.DataFrame({"goal": [goal.target_pct]}))
    .mark_rule(color="black", strokeDash=[4, 3])
    .encode(x="goal:Q")
)
st.altair_chart((bars + rule).properties(height=260), width="stretch")
