"""Compare: the network in use (baseline) against an alternative, ward by ward.

The alternative is an uploaded network, or whatever another page (the Plan
page) puts in ``st.session_state["compare_candidate_sites"]``:
``{"label": str, "sites": InputFile | DataFrame, "key": str}``. Both sides
are named. Sections, in order: the alternative, the two sides side by side,
the change map, the per-ward table.
"""

from __future__ import annotations

from typing import Any

import fmt
import pandas as pd
import services
import streamlit as st
from strings import t


def remember_candidate() -> None:
    up = st.session_state.get("cmp_upload")
    if up is not None:
        f = services.InputFile.from_upload(up)
        st.session_state[services.K_CANDIDATE] = {"label": f.name, "sites": f, "key": f.digest}


def alternative_section() -> dict[str, Any] | None:
    """Upload an alternative (or keep the one the Plan page sent)."""
    st.file_uploader(
        t("cmp_upload"),
        type=["csv", "gz", "xlsx", "geojson", "json", "gpkg", "zip", "parquet"],
        key="cmp_upload",
        on_change=remember_candidate,
    )
    candidate = st.session_state.get(services.K_CANDIDATE)
    if not candidate:
        st.info(t("cmp_none"))
        return None
    if st.button(t("cmp_clear"), key="cmp_clear"):
        st.session_state.pop(services.K_CANDIDATE, None)
        st.rerun()
    return dict(candidate)


def sides_section(base: Any, other: Any, baseline: str, alternative: str, goal: Any) -> None:
    """The two sides, each named, with their coverage and wards meeting the goal."""
    col = goal.column
    a, b = base.summary, other.summary
    left, right = st.columns(2, gap="medium")
    with left, st.container(border=True):
        st.markdown(f"**{t('cmp_baseline')}:** {baseline}")
        c1, c2 = st.columns(2)
        c1.metric(t(f"m_{'pop' if goal.metric == 'population' else 'area'}"), fmt.pct(a.get(col)))
        c2.metric(
            t("m_wards"),
            t("n_of_m", n=fmt.count(a["wards_meeting_goal"]), m=fmt.count(a["n_wards"])),
        )
    with right, st.container(border=True):
        st.markdown(f"**{t('cmp_alternative')}:** {alternative}")
        c1, c2 = st.columns(2)
        change = (
            other.summary[col] - base.summary[col]
            if a.get(col) is not None and b.get(col) is not None
            else None
        )
        c1.metric(
            t(f"m_{'pop' if goal.metric == 'population' else 'area'}"),
            fmt.pct(b.get(col)),
            delta=fmt.points(change, 2) if change is not None else None,
        )
        delta_wards = int(b["wards_meeting_goal"]) - int(a["wards_meeting_goal"])
        c2.metric(
            t("m_wards"),
            t("n_of_m", n=fmt.count(b["wards_meeting_goal"]), m=fmt.count(b["n_wards"])),
            delta=fmt.count(delta_wards) if delta_wards else None,
        )
    st.caption(t("cmp_goal", goal=services.goal_text(goal)))


def change_table(base: Any, other: Any, goal: Any) -> None:
    """Per ward: the baseline, the alternative and the change [percentage points]."""
    st.subheader(t("cmp_table"))
    change = services.ward_change(base, other)
    col = goal.column
    st.dataframe(
        pd.DataFrame(
            {
                t("col_ward"): change["name"].astype(str),
                t("col_before"): [fmt.pct(x) for x in change[f"{col}_base"]],
                t("col_after"): [fmt.pct(x) for x in change[f"{col}_other"]],
                t("col_change"): [fmt.points(x, 2) for x in change["change"]],
                t("col_meets_after"): [t("yes") if m else t("no") for m in change["meets_goal"]],
            }
        ),
        hide_index=True,
        width="stretch",
        height=400,
        column_config={t("col_ward"): st.column_config.TextColumn(pinned=True)},
    )


st.title(t("compare_title"))
st.markdown(t("compare_intro"))
goal = services.current_goal()
inputs = services.current_inputs()
candidate = alternative_section()
if candidate is None:
    st.stop()

with st.spinner(t("computing"), show_time=True):
    base = services.guarded(services.judged, *inputs, goal)
    other = services.alternative_audit(candidate, inputs, goal)
if base is None or other is None:
    st.stop()
if services.is_synthetic(base) or services.is_synthetic(other):
    st.warning(t("synthetic_banner"), icon="⚠️")

baseline = services.side_label(services.data_label(inputs[0]), base)
alternative = services.side_label(str(candidate.get("label", "")), other)
sides_section(base, other, baseline, alternative, goal)
services.guarded(services.show_compare_map, base, other, str(candidate.get("key", "")))
st.caption(t("cmp_map_help"))
change_table(base, other, goal)
