"""Data: upload sites, ward boundaries and a population raster; see what was accepted."""

from __future__ import annotations

import services
import streamlit as st
from strings import t

SITE_TYPES = ["csv", "gz", "xlsx", "geojson", "json", "gpkg", "zip", "parquet"]
WARD_TYPES = ["geojson", "json", "gpkg", "zip", "parquet"]

st.title(t("data_title"))
st.markdown(t("data_intro"))


def remember(key: str, widget_key: str) -> None:
    """Keep an upload in session state (widget state is dropped when the page changes)."""
    up = st.session_state.get(widget_key)
    if up is not None:
        st.session_state[key] = services.InputFile.from_upload(up)


# ---- sites
st.file_uploader(
    t("up_sites"),
    type=SITE_TYPES,
    key="data_sites_upload",
    help=t("up_sites_help"),
    on_change=remember,
    args=(services.K_SITES, "data_sites_upload"),
)
sites = services.current_sites()
if sites is None:
    st.info(t("sidebar_sites_sample"))
else:
    st.caption(t("sites_in_use", name=sites.name))
    if st.button(t("use_sample"), key="data_use_sample"):
        st.session_state.pop(services.K_SITES, None)
        st.rerun()

    st.subheader(t("validation"))
    settings = services.current_settings()
    read = services.guarded(services.read_sites, sites, services.current_wards(), settings.radio)
    if read is not None:
        _, report = read
        c1, c2, c3 = st.columns(3)
        c1.metric(t("rows_read"), f"{report.rows_read:,}")
        c2.metric(t("rows_accepted"), f"{report.rows_accepted:,}")
        c3.metric(t("rows_rejected"), f"{report.rows_rejected:,}")
        st.text(report.summary())
        rejected = report.rejected
        st.markdown(f"**{t('rejected_rows')}**")
        if len(rejected):
            st.dataframe(rejected, hide_index=True, width="stretch")
        else:
            st.success(t("no_rejected"))
        notes = getattr(report, "notes", None)
        if notes is not None and len(notes):
            st.markdown(f"**{t('notes')}**")
            st.dataframe(notes, hide_index=True, width="stretch")
        st.download_button(
            t("download_report"),
            data=report.to_csv(),
            file_name=f"validation_{sites.name.split('.')[0]}.csv",
            mime="text/csv",
            key="data_dl_report",
        )

st.divider()

# ---- wards
st.file_uploader(
    t("up_wards"),
    type=WARD_TYPES,
    key="data_wards_upload",
    on_change=remember,
    args=(services.K_WARDS, "data_wards_upload"),
)
wards = services.current_wards()
if wards is not None:
    table = services.guarded(services.wards_table, wards)
    if table is None:
        st.session_state.pop(services.K_WARDS, None)
    else:
        st.success(t("wards_loaded", n=len(table), name=wards.name))
    if st.button(t("use_default_wards"), key="data_default_wards"):
        st.session_state.pop(services.K_WARDS, None)
        st.rerun()
else:
    st.caption(t("sidebar_wards_default"))

st.divider()

# ---- population raster
st.file_uploader(
    t("up_raster"),
    type=["tif", "tiff"],
    key="data_raster_upload",
    on_change=remember,
    args=(services.K_RASTER, "data_raster_upload"),
)
raster = services.current_raster()
if raster is not None:
    st.success(t("raster_loaded", name=raster.name))
    if st.button(t("drop_raster"), key="data_drop_raster"):
        st.session_state.pop(services.K_RASTER, None)
        st.rerun()
