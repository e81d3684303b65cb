"""Network identity: MCC, MNC and operator name of every row."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from phusong import operators as ops
from phusong.io.validation.rows import RowState
from phusong.io.validation.values import factor_codes, factor_map, is_none


@dataclass
class Network:
    """Operator of every row.

    Attributes
    ----------
    mcc : numpy.ndarray
        Mobile country code (float; 452 where assumed).
    mnc : numpy.ndarray
        Mobile network code (float; from the operator where not given, NaN
        when unknown).
    brand : numpy.ndarray
        Operator brand (``"unknown"`` when neither MNC nor name tells).
    brand_codes : numpy.ndarray
        Code of each row's (MNC, operator name) pair as given, for grouping.
    """

    mcc: np.ndarray
    mnc: np.ndarray
    brand: np.ndarray
    brand_codes: np.ndarray


def check_network(state: RowState) -> Network:
    """Read and check MCC, MNC and operator name; settle each row's operator.

    The MNC decides the operator; a name that does not match it is rejected,
    a name alone is used when there is no MNC.
    """
    mcc = _check_mcc(state)
    mnc, brand_from_mnc, mnc_codes = _check_mnc(state)
    if "operator" in state.cols:
        brand, op_codes = _check_operator_names(state, brand_from_mnc)
    else:
        brand, op_codes = brand_from_mnc.copy(), np.zeros(state.n, dtype=np.int64)
        if mnc is None:
            state.notes.add(None, None, "no operator or MNC column: operator set to 'unknown'.")
    brand[is_none(brand)] = "unknown"
    mnc_lut = {b: float(m) for b, m in ops.OPERATOR_MNC.items()}
    mnc_final = factor_map(brand, lambda b: mnc_lut.get(b, np.nan)).astype("float64")
    if mnc is not None:
        mnc_final = np.where(np.isnan(mnc), mnc_final, mnc)
    # brand is a function of (MNC value, operator value): their codes group it cheaply
    brand_codes = (mnc_codes + 1) * (int(op_codes.max(initial=0)) + 2) + op_codes + 1
    return Network(mcc, mnc_final, brand, brand_codes)


def _check_mcc(state: RowState) -> np.ndarray:
    """MCC of every row: 452 where missing; reject other countries."""
    if "mcc" not in state.cols:
        state.notes.add(None, None, "no mcc column: MCC 452 (Vietnam) assumed.")
        return np.full(state.n, float(ops.MCC_VIETNAM))
    mcc = state.numbers("mcc")
    miss = np.isnan(mcc) & state.ok
    mcc[miss] = ops.MCC_VIETNAM
    state.notes.add(miss, state.col_name("mcc"), "missing MCC: 452 (Vietnam) assumed.")
    state.reject(
        state.ok & (mcc != ops.MCC_VIETNAM),
        state.col_name("mcc"),
        "MCC is not Vietnam's (452); only Vietnamese networks are audited.",
        state.raw("mcc"),
    )
    return mcc


def _check_mnc(state: RowState) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """MNC of every row; reject withdrawn and unknown codes.

    Returns
    -------
    mnc : numpy.ndarray or None
        MNC as given (float, NaN where missing); ``None`` without a column.
    brand : numpy.ndarray
        Operator of the MNC (None where unknown or missing).
    codes : numpy.ndarray
        Code of each row's distinct MNC (all 0 without a column).
    """
    if "mnc" not in state.cols:
        return None, np.full(state.n, None, dtype=object), np.zeros(state.n, dtype=np.int64)
    mnc = state.numbers("mnc")
    name, raw = state.col_name("mnc"), state.raw("mnc")
    known = np.isin(mnc, np.array(ops.KNOWN_MNCS, dtype=float))
    withdrawn = np.isin(
        mnc, np.array([m for m, o in ops.MNC_TABLE.items() if not o.operational], dtype=float)
    )
    present = ~np.isnan(mnc)
    unknown = present & ~known & ~withdrawn
    state.reject(
        state.ok & withdrawn,
        name,
        "MNC is withdrawn (03 S-Fone, 06 EVNTelecom: licences revoked); "
        f"known codes: {ops.known_mnc_text()}.",
        raw,
    )
    state.reject(
        state.ok & unknown,
        name,
        f"unknown MNC for MCC 452; known codes: {ops.known_mnc_text()}.",
        raw,
    )
    lut = {float(m): ops.MNC_TABLE[m].brand for m in ops.KNOWN_MNCS}
    brand, codes = factor_codes(mnc, lambda m: None if m is None else lut.get(float(m)))
    return mnc, brand, codes


def _check_operator_names(
    state: RowState, brand_from_mnc: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Operator name of every row, checked against the MNC's operator.

    Returns
    -------
    brand : numpy.ndarray
        The MNC's operator, else the named one (None where neither).
    codes : numpy.ndarray
        Code of each row's distinct operator name.
    """
    name, raw = state.col_name("operator"), state.raw("operator")
    text = raw.astype("string")
    named, codes = factor_codes(
        text, lambda v: None if v is None or v is pd.NA else ops.operator_brand(v)
    )
    has_name = raw.notna().to_numpy(dtype=bool) & (text.str.strip().fillna("") != "").to_numpy(
        dtype=bool
    )
    unknown_name = state.ok & has_name & is_none(named)
    has_mnc = ~is_none(brand_from_mnc)
    state.rejected.add(
        unknown_name & ~has_mnc,
        name,
        "unknown operator; use one of "
        + ", ".join(ops.OPERATOR_MNC)
        + f" or give the MNC ({ops.known_mnc_text()}).",
        raw,
    )
    state.notes.add(
        unknown_name & has_mnc,
        name,
        "operator name not recognised; the operator of the MNC is used.",
        raw,
    )
    state.ok &= ~(unknown_name & ~has_mnc)
    _reject_conflicts(state, named, brand_from_mnc)
    brand = brand_from_mnc.copy()
    fill = ~has_mnc & ~is_none(named)
    brand[fill] = named[fill]
    return brand, codes


def _reject_conflicts(state: RowState, named: np.ndarray, brand_from_mnc: np.ndarray) -> None:
    """Reject rows whose operator name names another operator than their MNC."""
    conflict = state.ok & ~is_none(brand_from_mnc) & ~is_none(named)
    conflict[conflict] = named[conflict] != brand_from_mnc[conflict]
    if not conflict.any():
        return
    reasons = np.array(
        [
            f"operator '{a}' does not match MNC (operator {b}); fix one of them."
            for a, b in zip(named[conflict], brand_from_mnc[conflict], strict=True)
        ],
        dtype=object,
    )
    state.reject(
        np.flatnonzero(conflict),
        state.col_name("operator"),
        reasons,
        state.raw("operator").to_numpy(dtype=object)[conflict],
    )
