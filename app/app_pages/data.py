"""Data: upload sites, ward boundaries and a population raster; see what was accepted.

A file that cannot be used never replaces the data in use: the page says
which file failed, why, and which data is still in use (``services.accept_upload``).
Sections, in order: the sites (upload, validation report, map preview), the
ward boundaries, the population raster.
"""

from __future__ import annotations

from typing import Any

import fmt
import pandas as pd
import services
import streamlit as st
from strings import t

SITE_TYPES = ["csv", "gz", "xlsx", "geojson", "json", "gpkg", "zip", "parquet"]
WARD_TYPES = ["geojson", "json", "gpkg", "zip", "parquet"]


def failed_notice(kind: str, in_use: str) -> None:
    """Say that the last upload of ``kind`` failed and which data is still in use."""
    failed = services.failed_upload(kind)
    if not failed:
        return
    st.error(t("upload_failed", name=failed["name"], in_use=in_use), icon=":material/block:")
    with st.expander(t("upload_failed_why")):
        services.show_error(failed["error"])


def uploader(kind: str, label: str, types: list[str], help_text: str | None = None) -> None:
    """A file uploader whose file is used only if it can be read."""
    st.file_uploader(
        label,
        type=types,
        key=f"data_{kind}_upload",
        help=help_text,
        on_change=services.receive_upload,
        args=(kind, f"data_{kind}_upload"),
    )


def validation_report(sites: services.InputFile) -> None:
    """Rows read, accepted and rejected; the rejected rows; the notes; a preview map."""
    st.subheader(t("validation"))
    settings = services.current_settings()
    read = services.guarded(services.read_sites, sites, services.current_wards(), settings.radio)
    if read is None:
        return
    table, report = read
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(t("rows_read"), fmt.count(report.rows_read))
    c2.metric(t("rows_accepted"), fmt.count(report.rows_accepted))
    c3.metric(t("rows_fixed"), fmt.count(notes_rows(report)), help=t("rows_fixed_help"))
    c4.metric(t("rows_rejected"), fmt.count(report.rows_rejected))
    if report.rows_filtered:
        st.caption(t("rows_filtered", n=fmt.count(report.rows_filtered)))
    services.guarded(services.show_sites_preview, sites, report, table)
    st.markdown(f"**{t('rejected_rows')}**")
    if len(report.rejected):
        st.dataframe(issue_table(report.rejected), hide_index=True, width="stretch")
    else:
        st.success(t("no_rejected"))
    if len(report.notes):
        st.markdown(f"**{t('notes')}**", help=t("notes_help"))
        st.dataframe(issue_table(report.notes), hide_index=True, width="stretch")
    synthetic = bool(table.attrs.get("synthetic")) or "synthetic" in sites.name.lower()
    st.download_button(
        t("download_report"),
        data=services.validation_csv(report, synthetic),
        file_name=services.download_name(f"validation_{sites.stem}.csv", synthetic),
        mime="text/csv",
        key="data_dl_report",
        on_click="ignore",  # no rerun: the other downloads stay valid
        icon=":material/download:",
    )


def notes_rows(report: Any) -> int:
    """Rows accepted with a fix (rows named in the notes)."""
    return int(report.notes["row"].dropna().nunique()) if len(report.notes) else 0


def issue_table(frame: pd.DataFrame) -> pd.DataFrame:
    """An issues table (file, row, column, reason, value) with headers in the interface language."""
    return pd.DataFrame(
        {
            t("col_row"): frame["row"],
            t("col_column"): frame["column"],
            t("col_problem"): frame["reason"],
            t("col_value"): frame["value"],
        }
    )


def sites_section() -> None:
    """The site upload, what is in use, and the validation report of an upload."""
    st.subheader(t("sites_title"))
    sites = services.current_sites()
    in_use = services.data_label(sites)
    failed_notice("sites", in_use)
    uploader("sites", t("up_sites"), SITE_TYPES, t("up_sites_help"))
    if sites is None:
        st.info(t("sites_sample_in_use"), icon="ℹ️")
        return
    st.success(t("sites_in_use", name=sites.name), icon=":material/check_circle:")
    if st.button(t("use_sample"), key="data_use_sample"):
        services.reset_upload("sites")
        st.rerun()
    validation_report(sites)


def wards_section() -> None:
    """The ward-boundary upload."""
    st.subheader(t("wards_title"))
    wards = services.current_wards()
    failed_notice("wards", wards.name if wards else t("wards_shipped"))
    uploader("wards", t("up_wards"), WARD_TYPES)
    if wards is None:
        st.caption(t("sidebar_wards_default"))
        return
    table = services.guarded(services.wards_table, wards)
    if table is not None:
        st.success(
            t("wards_loaded", n=fmt.count(len(table)), name=wards.name),
            icon=":material/check_circle:",
        )
    if st.button(t("use_default_wards"), key="data_default_wards"):
        services.reset_upload("wards")
        st.rerun()


def raster_section() -> None:
    """The population-raster upload."""
    st.subheader(t("raster_title"))
    raster = services.current_raster()
    failed_notice("raster", raster.name if raster else t("raster_none"))
    uploader("raster", t("up_raster"), ["tif", "tiff"], t("up_raster_help"))
    if raster is None:
        st.caption(t("raster_none"))
        return
    st.success(t("raster_loaded", name=raster.name), icon=":material/check_circle:")
    if st.button(t("drop_raster"), key="data_drop_raster"):
        services.reset_upload("raster")
        st.rerun()


st.title(t("data_title"))
st.markdown(t("data_intro"))
with st.spinner(t("checking_upload")):
    services.accept_pending()
sites_section()
st.divider()
wards_section()
st.divider()
raster_section()
