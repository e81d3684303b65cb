"""Downloads: the ward table, gaps, raster, report and map of the current audit."""

from __future__ import annotations

import services
import streamlit as st
from strings import t

st.title(t("downloads_title"))
st.markdown(t("downloads_intro"))

goal = services.current_goal()
inputs = (
    services.current_sites(),
    services.current_wards(),
    services.current_raster(),
    services.current_settings(),
)
with st.spinner(t("computing")):
    result = services.guarded(services.judged, *inputs, goal)
if result is None:
    st.stop()
if result.summary.get("synthetic"):
    st.warning(t("synthetic_banner"), icon="⚠️")

key = "|".join(
    [services.HASH_FUNCS[services.InputFile](f) for f in inputs[:3]] + [repr(inputs[3]), repr(goal)]
)
files = services.guarded(services.outputs, result, key)
if files is None:
    st.stop()

c1, c2 = st.columns(2)
with c1:
    st.download_button(
        t("dl_wards_csv"), files["wards.csv"], "wards.csv", "text/csv", key="dl_wards_csv"
    )
    st.download_button(
        t("dl_wards_geojson"),
        files["wards.geojson"],
        "wards.geojson",
        "application/geo+json",
        key="dl_wards_geojson",
    )
    st.download_button(
        t("dl_gaps"), files["gaps.geojson"], "gaps.geojson", "application/geo+json", key="dl_gaps"
    )
    st.download_button(
        t("dl_summary"), files["summary.json"], "summary.json", "application/json", key="dl_summary"
    )
with c2:
    if "report.html" in files:
        st.download_button(
            t("dl_report"), files["report.html"], "report.html", "text/html", key="dl_report"
        )
    else:
        st.caption(t("dl_report_na"))
    st.download_button(
        t("dl_map"),
        data=lambda: services.map_html(services.standalone_map(result)),
        file_name="map.html",
        mime="text/html",
        key="dl_map",
    )
    if result.grid is not None:
        st.download_button(
            t("dl_geotiff"),
            data=lambda: services.geotiff(result) or b"",
            file_name="coverage.tif",
            mime="image/tiff",
            key="dl_geotiff",
        )
    else:
        st.caption(t("dl_geotiff_na"))
