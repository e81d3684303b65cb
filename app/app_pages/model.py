"""Model: how coverage is estimated, each setting explained in plain words.

Sections, in order: the model picker, its settings (bounds and defaults from
``phusong.options``), the filters (operators, radio technologies), the table
of models. A new section (e.g. a measurements upload) is one more function
added to the list at the bottom.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import services
import streamlit as st
from strings import lang, t

from phusong.options import AUDIT


def model_picker(current: services.Settings) -> str:
    """The coverage model (the library's registry), described in words."""
    choices = services.model_choices()
    models = list(choices)
    model = st.selectbox(
        t("model_pick"),
        models,
        index=models.index(current.model) if current.model in models else 0,
        format_func={m: f"{m} — {services.model_description(m)}" for m in models}.__getitem__,
        key="model_w_model",
        help=t("model_help"),
    )
    if model in services.VECTOR_MODELS:
        st.info(t("vector_note"), icon="ℹ️")
    else:
        st.info(t("grid_note"), icon=":material/timer:")
    return str(model)


def model_settings(current: services.Settings, vector: bool) -> tuple[float, float]:
    """Threshold [dBm] and grid resolution [m] (path-loss models only)."""
    c1, c2 = st.columns(2)
    thr, res = AUDIT["threshold_dbm"], AUDIT["resolution_m"]
    thr_low, thr_high = float(thr.low or -160.0), float(thr.high or -30.0)
    res_high = float(res.high or 5000.0)
    threshold = c1.number_input(
        t("threshold"),
        min_value=thr_low,
        max_value=thr_high,
        value=float(current.threshold_dbm),
        step=1.0,
        key="model_w_threshold",
        help=t("threshold_help"),
        disabled=vector,
    )
    resolution = c2.number_input(
        t("resolution"),
        min_value=5.0,
        max_value=res_high,
        value=float(current.resolution_m),
        step=5.0,
        key="model_w_resolution",
        help=t("resolution_help"),
        disabled=vector,
    )
    return float(threshold), float(resolution)


def filters(current: services.Settings) -> tuple[Any, Any]:
    """Operators and radio technologies kept."""
    present = (
        services.guarded(
            services.operators_present, services.current_sites(), services.current_wards()
        )
        or []
    )
    operators = st.multiselect(
        t("operators"),
        present,
        default=[o for o in (current.operators or ()) if o in present],
        key="model_w_operators",
        help=t("operators_help"),
    )
    radio = st.multiselect(
        t("radio"),
        list(services.RADIOS),
        default=list(current.radio or ()),
        key="model_w_radio",
        help=t("radio_help"),
    )
    return operators, radio


K_MEASUREMENTS = "model_measurements"  # the measurements file chosen on this page


def calibration_section(current: services.Settings, model: str) -> str | None:
    """Fit the model to measured signal; return the calibration to apply (or ``None``)."""
    st.subheader(t("cal_title"))
    st.caption(t("cal_intro"))
    if model in services.VECTOR_MODELS:
        st.info(t("cal_needs_pathloss"), icon="ℹ️")
        return None
    upload = st.file_uploader(
        t("cal_upload"), key="model_w_measurements", help=t("cal_upload_help")
    )
    if upload is not None:
        st.session_state[K_MEASUREMENTS] = services.InputFile.from_upload(upload)
    if st.button(t("cal_use_sample"), key="model_cal_sample"):
        st.session_state[K_MEASUREMENTS] = services.sample_measurements()
    measurements = st.session_state.get(K_MEASUREMENTS)
    if measurements is None:
        return None
    st.caption(t("cal_file", name=measurements.name))
    with st.spinner(t("computing"), show_time=True), services.timed("model: calibration"):
        view = services.guarded(
            services.calibration,
            services.current_sites(),
            services.current_wards(),
            measurements,
            model,
            lang(),
        )
    if view is None:
        return None
    st.markdown(f"**{view.sentence}**")
    for caveat in view.caveats:
        st.warning(caveat, icon="⚠️")
    st.dataframe(view.groups, hide_index=True, width="stretch")
    left, right = st.columns(2)
    left.image(view.distance_png, caption=t("cal_distance"))
    right.image(view.map_png, caption=t("cal_map"))
    st.download_button(
        t("cal_download"),
        view.calibration_json,
        file_name=("calibration_SYNTHETIC.json" if "SYNTHETIC" in measurements.name.upper()
                   else "calibration.json"),
        mime="application/json",
        key="model_cal_download",
    )  # fmt: skip
    applied = st.toggle(
        t("cal_apply"),
        value=current.calibration is not None,
        key="model_w_apply_calibration",
        help=t("cal_apply_help"),
    )
    return view.calibration_json.decode("utf-8") if applied else None


def models_table() -> None:
    """Every model the library offers, in words."""
    st.subheader(t("models_table"))
    models = list(services.model_choices())
    st.dataframe(
        pd.DataFrame(
            {
                t("col_model"): models,
                t("col_model_what"): [services.model_description(m) for m in models],
            }
        ),
        hide_index=True,
        width="stretch",
    )


st.title(t("model_title"))
st.markdown(t("model_intro"))
current = services.current_settings()
model = model_picker(current)
threshold, resolution = model_settings(current, model in services.VECTOR_MODELS)
operators, radio = filters(current)
calibration = calibration_section(current, model)
services.set_settings(
    services.Settings(
        model=model,
        threshold_dbm=threshold,
        resolution_m=resolution,
        operators=tuple(operators) or None,
        radio=tuple(radio) or None,
        calibration=calibration,
    )
)
st.caption(t("sidebar_model", label=services.model_label(services.current_settings())))
models_table()
