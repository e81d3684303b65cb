"""Radio technology: recognise it, reject unknown values, apply the radio filter."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from phusong import operators as ops
from phusong.errors import ConfigError
from phusong.io.validation.rows import RowState
from phusong.io.validation.values import is_none

#: Spellings of the radio technologies (upper case, letters and digits only).
RADIO_ALIASES = {
    "NR": "NR",
    "5G": "NR",
    "5GNR": "NR",
    "NR5G": "NR",
    "NRSA": "NR",
    "NRNSA": "NR",
    "5GSA": "NR",
    "5GNSA": "NR",
    "5GNRSA": "NR",
    "5GNRNSA": "NR",
    "NSA": "NR",
    "LTE": "LTE",
    "4G": "LTE",
    "LTEA": "LTE",
    "4GLTE": "LTE",
    "LTEADVANCED": "LTE",
    "LTEPRO": "LTE",
    "4GPLUS": "LTE",
    "UMTS": "UMTS",
    "3G": "UMTS",
    "WCDMA": "UMTS",
    "HSPA": "UMTS",
    "GSM": "GSM",
    "2G": "GSM",
    "CDMA": "CDMA",
    "CDMA2000": "CDMA",
}


def normalise_radio(value: object) -> str | None:
    """Canonical radio name for a value such as ``"5G"``, ``"nr"``, ``"LTE-A"``."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    return RADIO_ALIASES.get(re.sub(r"[^A-Z0-9]", "", str(value).upper()))


def radio_selection(radio: str | Iterable[str] | None) -> tuple[str, ...] | None:
    """Validate the ``radio`` option: ``None`` (all), one name or a list."""
    if radio is None:
        return None
    items = [radio] if isinstance(radio, str) else list(radio)
    out = []
    for item in items:
        norm = normalise_radio(item)
        if norm is None:
            raise ConfigError(
                f"[[radio]]: {item!r} is not a radio technology; use one of "
                f"{', '.join(ops.RADIOS)} (or 5G, 5G NSA, 4G…), several of them, or every one "
                "([[radio=all]]).",
                option="radio",
            )
        if norm not in out:
            out.append(norm)
    if not out:
        raise ConfigError(
            "[[radio]]: an empty list selects nothing; give e.g. NR, or NR and LTE, or every "
            "one ([[radio=all]]).",
            option="radio",
        )
    return tuple(out)


@dataclass
class Radios:
    """Radio technology of every row.

    Attributes
    ----------
    names : numpy.ndarray
        Canonical radio (:data:`phusong.operators.RADIOS`) of each row, ``""``
        where rejected.
    codes : numpy.ndarray
        Code of each row's raw value (for grouping; all 0 without a column).
    is_nr : numpy.ndarray
        Mask of the NR (5G) rows.
    """

    names: np.ndarray
    codes: np.ndarray
    is_nr: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.is_nr = np.asarray(self.names == "NR", dtype=bool)


def check_radio(state: RowState) -> Radios:
    """Read the radio column; reject unknown and missing values.

    Without a radio column every row is NR (noted once).
    """
    if "radio" not in state.cols:
        state.notes.add(None, None, "no radio column: every row is taken as NR (5G).")
        return Radios(np.full(state.n, "NR", dtype=object), np.zeros(state.n, dtype=np.int64))
    raw = state.raw("radio")
    codes, uniques = pd.factorize(raw.astype("string"), use_na_sentinel=True)
    names = np.array([normalise_radio(u) for u in uniques] + [None], dtype=object)[codes]
    unknown = is_none(names)
    missing = raw.isna().to_numpy(dtype=bool)
    radios = ", ".join(ops.RADIOS)
    state.reject(
        unknown & ~missing,
        state.col_name("radio"),
        f"unknown radio technology; use one of {radios} (or 5G/4G/3G/2G).",
        raw,
    )
    state.reject(
        unknown & missing,
        state.col_name("radio"),
        f"missing radio technology; fill in one of {radios}.",
    )
    return Radios(np.where(unknown, "", names).astype(object), codes)


def select_radios(state: RowState, radios: Radios, selection: tuple[str, ...] | None) -> None:
    """Apply the radio filter: rows of other radios are counted, not rejected.

    Afterwards ``state.ok`` holds only the accepted rows of the selected
    radios; ``state.selected`` keeps that starting mask and
    ``state.rejected_before_filter`` the rows rejected so far.
    """
    ok = state.ok
    if selection is not None:
        keep = np.zeros(state.n, dtype=bool)
        for sel in selection:
            keep |= radios.names == sel
        filt = ok & ~keep
        if filt.any():
            counted = pd.Series(radios.names[filt], dtype=object).value_counts().sort_index()
            state.filtered = {str(k): int(v) for k, v in counted.items()}
        active = ok & keep
    else:
        active = ok.copy()
    state.rejected_before_filter = int((~ok).sum())
    state.selected = active
    state.ok = active.copy()
