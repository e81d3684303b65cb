"""Phủ Sóng app shell: page setup, navigation and the goal controls in the sidebar.

Run with ``streamlit run app/streamlit_app.py``. Pages live in ``app_pages/``;
every call into phusong goes through ``services``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # pages import services and strings from here
    sys.path.insert(0, str(HERE))

import services  # noqa: E402
from strings import t  # noqa: E402

st.set_page_config(page_title="Phủ Sóng", page_icon="📶", layout="wide")

PAGES = [
    st.Page(
        str(HERE / "app_pages/overview.py"),
        title=t("nav_overview"),
        icon=":material/map:",
        default=True,
    ),
    st.Page(
        str(HERE / "app_pages/data.py"),
        title=t("nav_data"),
        icon=":material/upload_file:",
        url_path="data",
    ),
    st.Page(
        str(HERE / "app_pages/model.py"),
        title=t("nav_model"),
        icon=":material/tune:",
        url_path="model",
    ),
    st.Page(
        str(HERE / "app_pages/plan.py"),
        title=t("nav_plan"),
        icon=":material/add_location_alt:",
        url_path="plan",
    ),
    st.Page(
        str(HERE / "app_pages/compare.py"),
        title=t("nav_compare"),
        icon=":material/compare_arrows:",
        url_path="compare",
    ),
    st.Page(
        str(HERE / "app_pages/downloads.py"),
        title=t("nav_downloads"),
        icon=":material/download:",
        url_path="downloads",
    ),
]
page = st.navigation(PAGES)

with st.sidebar:
    st.subheader(t("sidebar_goal"))
    default = services.DEFAULT_GOAL
    st.session_state.setdefault(services.K_GOAL_TARGET, float(default.target_pct))
    st.session_state.setdefault(services.K_GOAL_METRIC, default.metric)
    st.slider(
        t("goal_target"),
        min_value=50.0,
        max_value=100.0,
        step=0.5,
        key=services.K_GOAL_TARGET,
        help=t("goal_target_help"),
    )
    st.radio(
        t("goal_metric"),
        options=["population", "area"],
        format_func=lambda m: t(f"metric_{m}"),
        key=services.K_GOAL_METRIC,
        help=t("goal_metric_help"),
    )

page.run()

with st.sidebar:
    st.subheader(t("sidebar_data"))
    sites = services.current_sites()
    wards = services.current_wards()
    raster = services.current_raster()
    st.caption(t("sidebar_sites_upload", name=sites.name) if sites else t("sidebar_sites_sample"))
    st.caption(t("sidebar_wards_upload", name=wards.name) if wards else t("sidebar_wards_default"))
    if raster:
        st.caption(t("sidebar_raster", name=raster.name))
    settings = services.current_settings()
    st.caption(t("sidebar_model", label=services.settings_label(settings)))
