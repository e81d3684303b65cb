"""Phủ Sóng app shell: page setup, language switch, navigation and the data in use.

Run with ``streamlit run app/server.py`` (computes the default audit when the
server starts) or ``streamlit run app/streamlit_app.py``. Pages live in
``app_pages/``; every call into phusong goes through ``services``. The
navigation sits at the top (no sidebar to close on a phone); the sidebar
holds the language switch and what data is in use.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # pages import services and strings from here
    sys.path.insert(0, str(HERE))

import services  # noqa: E402
import wardmap  # noqa: E402
from strings import LANG_KEY, LAST_LANG_KEY, begin_run, default_language, language_names, t  # noqa: E402

st.set_page_config(
    page_title="Phủ Sóng", page_icon="📶", layout="wide", initial_sidebar_state="collapsed"
)


def keep_a_language() -> None:
    """Clicking the chosen language again empties the switch: keep the last one instead."""
    if st.session_state.get(LANG_KEY) is None:
        st.session_state[LANG_KEY] = st.session_state.get(LAST_LANG_KEY) or default_language()


services.log.info("run: start")  # with the sections' timings (server.py shows them)

# The language comes first: the page titles below are in it.
st.session_state.setdefault(LANG_KEY, default_language())
begin_run()
with st.sidebar:
    names = language_names()
    st.segmented_control(
        "🌐",
        options=list(names),
        format_func=names.__getitem__,
        key=LANG_KEY,
        label_visibility="collapsed",
        width="stretch",
        on_change=keep_a_language,
    )

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
page = st.navigation(PAGES, position="top")
wardmap.new_page(page.url_path)  # the maps of another page hold no geometry yet

st.html(
    """<style>
    /* Tighter top of the page: the verdict must fit above the fold. */
    .block-container {padding-top: 3.2rem; padding-bottom: 2rem;}
    h1 {font-size: 2.1rem !important; padding-top: 0.4rem !important;}
    @media (max-width: 640px) {
      .block-container {padding-left: 0.8rem; padding-right: 0.8rem; padding-top: 3rem;}
      h1 {font-size: 1.55rem !important;}
    }
    </style>"""
)

page.run()
services.log.info("run: page done")

with st.sidebar:
    st.subheader(t("sidebar_data"))
    sites, wards, raster, settings = services.current_inputs()
    st.caption(t("sidebar_sites_upload", name=sites.name) if sites else t("sidebar_sites_sample"))
    st.caption(t("sidebar_wards_upload", name=wards.name) if wards else t("sidebar_wards_default"))
    if raster:
        st.caption(t("sidebar_raster", name=raster.name))
    st.caption(t("sidebar_model", label=services.model_label(settings)))
    goal = services.current_goal()
    st.caption(t("sidebar_goal", goal=services.goal_text(goal)))
