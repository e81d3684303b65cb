"""Downloads: every output of the current audit and goal, one by one or in one ZIP.

Every file made from synthetic data says so in its name (``…_SYNTHETIC…``)
and inside. The buttons do not rerun the page (``on_click="ignore"``), so one
download never invalidates another. Sections, in order: the bundle, the files.
"""

from __future__ import annotations

from typing import Any

import services
import streamlit as st
from strings import t

#: Each file of the audit folder: (file name, label key, MIME type).
FILES = (
    ("report.html", "dl_report", "text/html"),
    ("map.html", "dl_map", "text/html"),
    ("wards.csv", "dl_wards_csv", "text/csv"),
    ("by_operator.csv", "dl_by_operator", "text/csv"),
    ("wards.geojson", "dl_wards_geojson", "application/geo+json"),
    ("gaps.geojson", "dl_gaps", "application/geo+json"),
    ("summary.json", "dl_summary", "application/json"),
    ("validation.csv", "dl_validation", "text/csv"),
    ("coverage.tif", "dl_geotiff", "image/tiff"),
)


def bundle_section(files: dict[str, bytes], result: Any, scenario: str) -> None:
    """One ZIP with every file, named with the scenario and the date."""
    name, data = services.bundle(files, result.summary, "audit", scenario)
    with st.container(border=True):
        st.markdown(f"**{t('dl_bundle_title')}**")
        st.caption(t("dl_bundle_help", name=name, n=len(files)))
        st.download_button(
            t("dl_bundle"),
            data=data,
            file_name=name,
            mime="application/zip",
            key="dl_bundle",
            type="primary",
            icon=":material/folder_zip:",
            on_click="ignore",
        )


def files_section(files: dict[str, bytes], synthetic: bool, result: Any) -> None:
    """One button per file (two columns)."""
    cols = st.columns(2)
    shown = 0
    for name, label, mime in FILES:
        if name not in files:
            continue
        cols[shown % 2].download_button(
            t(label),
            data=files[name],
            file_name=services.download_name(name, synthetic),
            mime=mime,
            key=f"dl_{name}",
            icon=":material/download:",
            on_click="ignore",
        )
        shown += 1
    if result.grid is None:
        st.caption(t("dl_geotiff_na"))


st.title(t("downloads_title"))
st.markdown(t("downloads_intro"))
goal = services.current_goal()
inputs = services.current_inputs()
with st.spinner(t("computing"), show_time=True):
    result = services.guarded(services.judged, *inputs, goal)
    files = services.guarded(services.download_files, result, inputs, goal) if result else None
if result is None or files is None:
    st.stop()
synthetic = services.is_synthetic(result)
if synthetic:
    st.warning(t("synthetic_banner_files"), icon="⚠️")
st.caption(t("downloads_for", goal=services.goal_text(goal), model=services.model_label_of(result)))
bundle_section(files, result, services.scenario_name(inputs[0], inputs[3]))
files_section(files, synthetic, result)
