"""Link parameters of every row: height, azimuth, beamwidth, tilt, EIRP, range.

Each value is checked against its plausible range (:data:`LIMITS`); a missing
column or value gets the default of :mod:`phusong.operators` (noted). EIRP is
computed from transmit power, antenna gain and cable loss when only those are
given; the footprint range defaults per radio and band.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from phusong import operators as ops
from phusong.io.validation.columns import CANONICAL, LIMITS
from phusong.io.validation.frequency import Carriers
from phusong.io.validation.rows import RowState
from phusong.io.validation.units import watts_like
from phusong.io.validation.values import as_text, is_none, string_array, take_strings


@dataclass
class Link:
    """Antenna and power of every row.

    Attributes
    ----------
    height_m : numpy.ndarray
        Antenna height above ground [m].
    azimuth_deg : numpy.ndarray
        Bearing [degrees clockwise from north, 0–360); NaN = omni-directional.
    beamwidth_deg : numpy.ndarray
        Horizontal half-power beamwidth [degrees].
    tilt_deg : numpy.ndarray
        Downtilt [degrees, positive down].
    eirp_dbm : numpy.ndarray
        EIRP per carrier [dBm].
    """

    height_m: np.ndarray
    azimuth_deg: np.ndarray
    beamwidth_deg: np.ndarray
    tilt_deg: np.ndarray
    eirp_dbm: np.ndarray


@dataclass
class Ranges:
    """Footprint radius of every row.

    Attributes
    ----------
    range_m : numpy.ndarray
        Radius [m].
    source : numpy.ndarray
        ``"file"`` or the default's label (``"default:n78"`` …), per row.
    codes : numpy.ndarray
        Index into ``labels`` of each row (``len(labels)`` = ``"file"``).
    labels : numpy.ndarray
        Default's label of each carrier group.
    """

    range_m: np.ndarray
    source: np.ndarray
    codes: np.ndarray
    labels: np.ndarray

    def source_column(self, idx: np.ndarray, given: bool) -> pd.api.extensions.ExtensionArray:
        """``range_source`` of the rows at ``idx`` (``given``: the file has the column)."""
        if given:
            return string_array(self.source[idx])
        return take_strings([*self.labels, "file"], self.codes[idx])


def check_limits(
    state: RowState,
    key: str,
    values: np.ndarray | None,
    default: np.ndarray | float,
    note: str,
    column_key: str | None = None,
    advice: str = "",
) -> np.ndarray:
    """Reject values outside :data:`LIMITS` ``[key]``; fill missing ones with the default.

    Parameters
    ----------
    state : RowState
        Rows being checked.
    key : str
        Field (a key of :data:`LIMITS`).
    values : numpy.ndarray or None
        Parsed values; ``None`` when the file has no such column.
    default : array or float
        Default value (per row, or one for all).
    note : str
        Whole-file note when the column is missing (``""``: none); its text
        after ``": "`` is also the note for each missing value.
    column_key : str, optional
        Field whose input column the values came from (default ``key``).
    advice : str
        Added to the reason of out-of-range rows (how to fix them).

    Returns
    -------
    numpy.ndarray
        Values, defaults where missing.
    """
    n = state.n
    if values is None:
        if note:
            state.notes.add(None, CANONICAL[key], note)
        return np.broadcast_to(np.asarray(default, dtype=float), (n,)).copy()
    lo, hi, unit, hint = LIMITS[key]
    column_key = column_key or key
    name = state.col_name(column_key)
    bad = state.ok & np.isfinite(values) & ((values < lo) | (values > hi))
    state.reject(bad, name, f"{hint}: must be {lo:g}–{hi:g} {unit}.{advice}", state.raw(column_key))
    miss = state.ok & np.isnan(values)
    if not miss.any():
        return values
    out = values.copy()
    out[miss] = np.broadcast_to(np.asarray(default, dtype=float), (n,))[miss]
    if note:
        state.notes.add(miss, name, f"missing value: {note.split(': ', 1)[-1]}")
    return out


def check_link(state: RowState, carriers: Carriers) -> Link:
    """Check and fill height, azimuth, beamwidth, tilt and EIRP of every row."""
    height = check_limits(
        state,
        "height",
        state.optional_numbers("height"),
        ops.DEFAULT_HEIGHT_M,
        f"no antenna height: default {ops.DEFAULT_HEIGHT_M:g} m (urban macro) used.",
    )
    azimuth = _check_azimuth(state)
    omni = np.isnan(azimuth)
    beamwidth = check_limits(
        state,
        "beamwidth",
        state.optional_numbers("beamwidth"),
        np.where(omni, 360.0, ops.DEFAULT_BEAMWIDTH_DEG),
        f"no beamwidth: {ops.DEFAULT_BEAMWIDTH_DEG:g}° for sectors (360° for omni cells) used."
        if not omni.all()
        else "",
    )
    tilt = check_limits(
        state,
        "tilt",
        state.optional_numbers("tilt"),
        ops.DEFAULT_TILT_DEG,
        f"no tilt: default downtilt {ops.DEFAULT_TILT_DEG:g}° used.",
    )
    eirp = _check_eirp(state, carriers)
    return Link(height, azimuth, beamwidth, tilt, eirp)


def _check_azimuth(state: RowState) -> np.ndarray:
    """Azimuth of every row [degrees, 360 read as 0]; NaN (omni-directional) where missing."""
    azimuth = check_limits(state, "azimuth", state.optional_numbers("azimuth"), np.nan, "")
    if "azimuth" not in state.cols:
        state.notes.add(
            None, "azimuth_deg", "no azimuth column: cells are treated as omni-directional."
        )
    else:
        state.notes.add(
            state.ok & np.isnan(azimuth),
            state.col_name("azimuth"),
            "missing azimuth: cell treated as omni-directional.",
        )
    return np.where(azimuth == 360.0, 0.0, azimuth)


def _check_eirp(state: RowState, carriers: Carriers) -> np.ndarray:
    """EIRP of every row [dBm]: given, computed from transmit power, or the band's default."""
    groups = carriers.groups
    band_default = np.array([ops.default_eirp_dbm(b) for b in groups.band], dtype=float)[
        groups.codes
    ]
    note = (
        f"no EIRP: default {ops.DEFAULT_EIRP_DBM:g} dBm per carrier "
        "(46 dBm + 20 dBi − 3 dB; 60 dBm for n28) used."
    )
    eirp = state.optional_numbers("eirp")
    power_key = next((k for k in ("tx_power", "tx_power_w") if k in state.cols), None)
    if eirp is not None or power_key is None:
        return check_limits(
            state, "eirp", eirp, band_default, note, advice=_watts_advice(state, eirp)
        )
    eirp = _eirp_from_power(state, power_key)
    return check_limits(state, "eirp", eirp, band_default, note, column_key=power_key)


def _watts_advice(state: RowState, eirp: np.ndarray | None) -> str:
    """Advice for EIRP values that look like watts in a column without a unit (noted)."""
    if eirp is None or "eirp" in state.units or not watts_like(eirp[state.ok], LIMITS["eirp"][1]):
        return ""
    name = state.col_name("eirp")
    state.notes.add(
        None,
        name,
        f"most values of '{name}' are above {LIMITS['eirp'][1]:g} dBm: they look like watts. "
        "If they are, name the column 'EIRP (W)' and they are converted to dBm.",
    )
    return " These look like watts: name the column 'EIRP (W)' to convert them to dBm."


def _eirp_from_power(state: RowState, power_key: str) -> np.ndarray:
    """EIRP [dBm] = transmit power [dBm] + antenna gain [dBi] − cable loss [dB].

    Power in W is converted to dBm (non-positive values rejected); missing
    gain and loss get the defaults (noted).
    """
    if power_key == "tx_power":
        power = state.numbers("tx_power")
    else:
        watts = state.numbers("tx_power_w")
        state.reject(
            state.ok & (watts <= 0),
            state.col_name("tx_power_w"),
            "transmit power in W must be positive.",
            state.raw("tx_power_w"),
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            power = 10 * np.log10(watts * 1000.0)
    gain = state.optional_numbers("gain")
    if gain is None:
        gain = np.full(state.n, ops.DEFAULT_ANTENNA_GAIN_DBI)
        state.notes.add(
            None,
            "antenna_gain_dbi",
            f"no antenna gain: {ops.DEFAULT_ANTENNA_GAIN_DBI:g} dBi assumed for EIRP.",
        )
    loss = state.optional_numbers("cable_loss")
    if loss is None:
        loss = np.full(state.n, ops.DEFAULT_CABLE_LOSS_DB)
        state.notes.add(
            None,
            "cable_loss_db",
            f"no cable loss: {ops.DEFAULT_CABLE_LOSS_DB:g} dB assumed for EIRP.",
        )
    eirp = (
        power
        + np.where(np.isnan(gain), ops.DEFAULT_ANTENNA_GAIN_DBI, gain)
        - np.where(np.isnan(loss), ops.DEFAULT_CABLE_LOSS_DB, loss)
    )
    state.notes.add(
        None, "eirp_dbm", "EIRP computed as transmit power + antenna gain − cable loss."
    )
    return np.asarray(eirp, dtype=float)


def check_range(state: RowState, carriers: Carriers) -> Ranges:
    """Footprint radius of every row [m]: given, else the radio and band's default.

    Negative and above-100-km ranges are rejected; 0 means unknown.
    """
    groups = carriers.groups
    default_range = np.array(
        [
            ops.default_range_m(b, r) if r else np.nan
            for r, b in zip(groups.radio, groups.band, strict=True)
        ],
        dtype=float,
    )
    labels = np.array(
        [
            "default:" + (str(b) if r == "NR" and b is not None else str(r))
            for r, b in zip(groups.radio, groups.band, strict=True)
        ],
        dtype=object,
    )
    codes = groups.codes
    given = state.optional_numbers("range")
    if given is None:
        used = np.unique(codes[state.ok])
        defaults = sorted({f"{labels[k]} {default_range[k]:g} m" for k in used})
        state.notes.add(
            None,
            "range_m",
            "no range column: per-band default radius used ("
            + ", ".join(u.removeprefix("default:") for u in defaults)
            + ").",
        )
        ranges = Ranges(default_range[codes], labels[codes], codes.copy(), labels)
    else:
        ranges = _fill_given_range(state, given, default_range, labels, codes)
    if "range_source" in state.cols:
        source = as_text(state.raw("range_source")).to_numpy(dtype=object, na_value=None)
        use = ~is_none(source) & (ranges.source == "file")
        ranges.source[use] = source[use]
    return ranges


def _fill_given_range(
    state: RowState,
    rng: np.ndarray,
    default_range: np.ndarray,
    labels: np.ndarray,
    codes: np.ndarray,
) -> Ranges:
    """Check the range column; fill 0 and missing values with the default (noted)."""
    name, raw = state.col_name("range"), state.raw("range")
    state.reject(state.ok & (rng < 0), name, "range must be ≥ 0 m (0 = unknown).", raw)
    state.reject(
        state.ok & (rng > LIMITS["range"][1]),
        name,
        "range above 100 km is not a cell footprint; check the unit (metres).",
        raw,
    )
    fill = ~(rng > 0)
    ranges = Ranges(
        np.where(fill, default_range[codes], rng),
        np.where(fill, labels[codes], "file").astype(object),
        np.where(fill, codes, len(labels)),
        labels,
    )
    if fill[state.ok].any():
        reasons = np.array(
            [
                f"range 0 or missing: default radius {default_range[k]:g} m ({labels[k]}) used."
                for k in range(len(labels))
            ],
            dtype=object,
        )
        pos = np.flatnonzero(state.ok & fill)
        state.notes.add(pos, name, reasons[codes[pos]], raw.iloc[pos])
    return ranges
