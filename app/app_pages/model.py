"""Model: how coverage is estimated, each setting explained in plain words."""

from __future__ import annotations

import pandas as pd
import services
import streamlit as st
from strings import t

st.title(t("model_title"))
st.markdown(t("model_intro"))

current = services.current_settings()
choices = services.model_choices()
models = list(choices)

model = st.selectbox(
    t("model_pick"),
    models,
    index=models.index(current.model) if current.model in models else 0,
    format_func=lambda m: f"{m} — {choices[m]}",
    key="model_w_model",
    help=t("model_help"),
)
st.caption(t("model_desc", desc=choices[model]))
vector = model in services.VECTOR_MODELS
if vector:
    st.info(t("vector_note"))
else:
    st.info(t("grid_note"), icon="⏱️")

c1, c2 = st.columns(2)
threshold = c1.number_input(
    t("threshold"),
    min_value=-140.0,
    max_value=-60.0,
    value=float(current.threshold_dbm),
    step=1.0,
    key="model_w_threshold",
    help=t("threshold_help"),
    disabled=vector,
)
resolution = c2.number_input(
    t("resolution"),
    min_value=5.0,
    max_value=1000.0,
    value=float(current.resolution_m),
    step=5.0,
    key="model_w_resolution",
    help=t("resolution_help"),
    disabled=vector,
)

present = (
    services.guarded(services.operators_present, services.current_sites(), services.current_wards())
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

services.set_settings(
    services.Settings(
        model=model,
        threshold_dbm=float(threshold),
        resolution_m=float(resolution),
        operators=tuple(operators) or None,
        radio=tuple(radio) or None,
    )
)
st.caption(t("sidebar_model", label=services.settings_label(services.current_settings())))

st.subheader(t("models_table"))
st.dataframe(
    pd.DataFrame({"model": models, "what it does": [choices[m] for m in models]}),
    hide_index=True,
    width="stretch",
)
