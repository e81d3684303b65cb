"""Compare: the baseline network against an alternative, ward by ward.

The alternative is an uploaded network, or whatever another page (the Plan
page) puts in ``st.session_state["compare_candidate_sites"]``:
``{"label": str, "sites": InputFile | DataFrame, "key": str}``.
"""

from __future__ import annotations

import math

import pandas as pd
import services
import streamlit as st
from strings import t


def pct(value: float | None) -> str:
    return "–" if value is None or not math.isfinite(value) else f"{value:.1f} %"


st.title(t("compare_title"))
st.markdown(t("compare_intro"))

goal = services.current_goal()
sites, wards, raster = services.current_sites(), services.current_wards(), services.current_raster()
settings = services.current_settings()


def remember_candidate() -> None:
    up = st.session_state.get("cmp_upload")
    if up is not None:
        f = services.InputFile.from_upload(up)
        st.session_state[services.K_CANDIDATE] = {"label": f.name, "sites": f, "key": f.digest}


st.file_uploader(
    t("cmp_upload"),
    type=["csv", "gz", "xlsx", "geojson", "json", "gpkg", "zip", "parquet"],
    key="cmp_upload",
    on_change=remember_candidate,
)
candidate = st.session_state.get(services.K_CANDIDATE)
if not candidate:
    st.info(t("cmp_none"))
    st.stop()

st.caption(t("cmp_candidate", label=candidate.get("label", "")))
if st.button(t("cmp_clear"), key="cmp_clear"):
    st.session_state.pop(services.K_CANDIDATE, None)
    st.rerun()

with st.spinner(t("computing")):
    base = services.guarded(services.judged, sites, wards, raster, settings, goal)
    cand_sites = candidate.get("sites")
    if isinstance(cand_sites, services.InputFile):
        other = services.guarded(
            services.candidate_audit, cand_sites, wards, raster, settings, goal
        )
    else:
        other = services.guarded(
            services.candidate_frame_audit,
            str(candidate.get("key", "")),
            cand_sites,
            wards,
            raster,
            settings,
            goal,
        )
if base is None or other is None:
    st.stop()

if base.summary.get("synthetic") or other.summary.get("synthetic"):
    st.warning(t("synthetic_banner"), icon="⚠️")

col = goal.column
c1, c2, c3 = st.columns(3)
c1.metric(t("cmp_baseline"), pct(base.summary.get(col)))
c2.metric(
    t("cmp_alternative"),
    pct(other.summary.get(col)),
    delta=f"{other.summary[col] - base.summary[col]:+.2f} points"
    if base.summary.get(col) is not None and other.summary.get(col) is not None
    else None,
)
c3.metric(
    t("m_wards"),
    f"{other.summary['wards_meeting_goal']} / {other.summary['n_wards']}",
    delta=other.summary["wards_meeting_goal"] - base.summary["wards_meeting_goal"],
)

cmap = services.guarded(services.compare_map, base, other)
if cmap is not None:
    services.show_map(cmap, key="cmp_map", height=520, returned_objects=[])

st.subheader(t("cmp_table"))
change = services.ward_change(base, other)
st.dataframe(
    pd.DataFrame(
        {
            t("col_ward"): change["name"].astype(str),
            t("col_before"): change[f"{col}_base"].round(2),
            t("col_after"): change[f"{col}_other"].round(2),
            t("col_change"): change["change"].round(2),
        }
    ),
    hide_index=True,
    width="stretch",
    height=400,
)
