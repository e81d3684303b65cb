"""Carrier of every row: frequency, band and bandwidth.

What a file does not give is filled per group of rows with the same radio,
operator, band and "has a frequency": the operator's 5G carrier, the centre of
the band, or the radio's default (each fill noted). NR frequencies must lie in
their band.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

from phusong import operators as ops
from phusong.io.validation.operators import Network
from phusong.io.validation.radio import Radios
from phusong.io.validation.rows import RowState
from phusong.io.validation.values import (
    Groups,
    as_text,
    factor_codes,
    factor_map,
    is_none,
    string_array,
    take_strings,
)

#: Band value that is given but not understood (before it is rejected).
_NOT_A_BAND = ""


class CarrierDefault(NamedTuple):
    """What one group of rows gets where the file leaves the carrier out."""

    frequency_mhz: float = np.nan
    band: str | None = None
    bandwidth_mhz: float = np.nan
    source: str = "file"
    note: str | None = None
    error: str | None = None


@dataclass
class GroupDefaults:
    """:class:`CarrierDefault` fields as arrays, one value per input group."""

    frequency_mhz: np.ndarray
    band: np.ndarray
    bandwidth_mhz: np.ndarray
    source: np.ndarray
    note: np.ndarray
    error: np.ndarray


@dataclass
class CarrierGroups:
    """Rows grouped by their final radio, operator and band.

    Attributes
    ----------
    codes, first : numpy.ndarray
        As in :class:`Groups`.
    radio, operator, band : numpy.ndarray
        Value of each group.
    """

    codes: np.ndarray
    first: np.ndarray
    radio: np.ndarray
    operator: np.ndarray
    band: np.ndarray


@dataclass
class Carriers:
    """Carrier of every row.

    Attributes
    ----------
    frequency_mhz : numpy.ndarray
        Carrier frequency [MHz].
    band : numpy.ndarray
        Band (``"n78"`` … for NR; as given for other radios; None if unknown).
    bandwidth_mhz : numpy.ndarray
        Carrier bandwidth [MHz].
    source : numpy.ndarray
        Where each frequency came from (``"file"``, ``"inferred:…"``, ``"default:…"``).
    filled : numpy.ndarray
        Mask of the rows whose frequency was filled in.
    inputs : Groups
        Rows grouped by the values as given (radio, operator, band, has frequency).
    defaults : GroupDefaults
        What each input group got.
    groups : CarrierGroups
        Rows grouped by final radio, operator and band.
    """

    frequency_mhz: np.ndarray
    band: np.ndarray
    bandwidth_mhz: np.ndarray
    source: np.ndarray
    filled: np.ndarray
    inputs: Groups
    defaults: GroupDefaults
    groups: CarrierGroups

    def source_column(self, idx: np.ndarray, given: bool) -> pd.api.extensions.ExtensionArray:
        """``frequency_source`` of the rows at ``idx`` (``given``: the file has the column)."""
        if given:
            return string_array(self.source[idx])
        labels = [*self.defaults.source, "file"]
        codes = np.where(self.filled, self.inputs.codes, len(self.defaults.source))
        return take_strings(labels, codes[idx])


def check_carriers(state: RowState, radios: Radios, network: Network) -> Carriers:
    """Read, fill and check frequency, band and bandwidth of every row."""
    n = state.n
    given_freq = _read_frequency(state)
    band, band_codes = _read_band(state, radios.is_nr)
    given_bw = state.optional_numbers("bandwidth")
    bandwidth = np.full(n, np.nan) if given_bw is None else given_bw
    freq = np.full(n, np.nan) if given_freq is None else given_freq
    has_freq = ~np.isnan(freq)
    # Group by the codes of the raw values (a finer grouping than the normalised
    # values, so each group is uniform; integer codes hash much faster than text).
    inputs = Groups.of(radios.codes, network.brand_codes, band_codes, has_freq)
    defaults = _group_defaults(inputs, radios, network, band, has_freq)
    codes = inputs.codes
    error = defaults.error[codes]
    state.reject(state.ok & ~is_none(error), _frequency_column(state), error)
    filled = np.isnan(freq)
    freq = np.where(filled, defaults.frequency_mhz[codes], freq)
    source = np.where(filled, defaults.source[codes], "file").astype(object)
    band = np.where(~is_none(band), band, defaults.band[codes]).astype(object)
    _infer_nr_bands(state, band, freq, radios.is_nr)
    groups = _carrier_groups(radios, network, band)
    _check_in_band(state, freq, band, groups, radios.is_nr)
    bandwidth = _fill_bandwidth(state, bandwidth, defaults.bandwidth_mhz[codes])
    if "frequency_source" in state.cols:
        given = as_text(state.raw("frequency_source")).to_numpy(dtype=object, na_value=None)
        use = ~is_none(given) & (source == "file")
        source[use] = given[use]
    return Carriers(freq, band, bandwidth, source, filled, inputs, defaults, groups)


def _frequency_column(state: RowState) -> str:
    """Column named in messages about the frequency."""
    return state.col_name("frequency") if "frequency" in state.cols else "frequency_mhz"


def _read_frequency(state: RowState) -> np.ndarray | None:
    """Frequency column [MHz]; values below 100 are read as GHz (noted)."""
    freq = state.optional_numbers("frequency")
    if freq is None:
        return None
    ghz = state.ok & (freq > 0) & (freq < 100)
    if ghz.any():
        freq[ghz] *= 1000.0
        state.notes.add(
            ghz,
            state.col_name("frequency"),
            "frequency below 100 read as GHz.",
            state.raw("frequency"),
        )
    return freq


def _nr_band_name(value: object) -> str | None:
    """``"n78"`` for ``"78"``, ``"N78"``, ``"NR 78"``, ``"band 78"``…; "" if not understood."""
    if value is None or value is pd.NA:
        return None
    m = re.fullmatch(r"(?i)\s*(?:nr\s*)?(n|b|band\s*)?\s*(\d{1,3})\s*", str(value))
    if not m:
        return _NOT_A_BAND
    return f"n{int(m.group(2))}"


def _read_band(state: RowState, is_nr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Band of every row (None where not given); reject NR bands not understood.

    Returns
    -------
    band : numpy.ndarray
        ``"n78"`` … for NR rows, the text as given for other radios.
    codes : numpy.ndarray
        Code of each row's distinct band text (all 0 without a column).
    """
    if "band" not in state.cols:
        return np.full(state.n, None, dtype=object), np.zeros(state.n, dtype=np.int64)
    raw = as_text(state.raw("band"))
    nr_band, codes = factor_codes(raw, _nr_band_name)
    state.reject(
        state.ok & is_nr & (nr_band == _NOT_A_BAND),
        state.col_name("band"),
        "band not understood; write it as n78, n77, n41 or n28.",
        raw,
    )
    band = np.where(is_nr, nr_band, raw.to_numpy(dtype=object, na_value=None)).astype(object)
    band[band == _NOT_A_BAND] = None
    return band, codes


def _group_defaults(
    inputs: Groups, radios: Radios, network: Network, band: np.ndarray, has_freq: np.ndarray
) -> GroupDefaults:
    """:func:`_carrier_default` of each input group."""
    found = [
        _carrier_default(
            str(radios.names[k]),
            str(network.brand[k]),
            None if pd.isna(band[k]) else str(band[k]) or None,
            bool(has_freq[k]),
        )
        for k in inputs.first
    ]
    return GroupDefaults(
        frequency_mhz=np.array([d.frequency_mhz for d in found], dtype=float),
        band=np.array([d.band for d in found], dtype=object),
        bandwidth_mhz=np.array([d.bandwidth_mhz for d in found], dtype=float),
        source=np.array([d.source for d in found], dtype=object),
        note=np.array([d.note for d in found], dtype=object),
        error=np.array([d.error for d in found], dtype=object),
    )


def _carrier_default(radio: str, operator: str, band: str | None, has_freq: bool) -> CarrierDefault:
    """Choose the carrier a row of this radio, operator and band gets where not given.

    Parameters
    ----------
    radio : str
        Canonical radio.
    operator : str
        Operator brand.
    band : str or None
        Band as given.
    has_freq : bool
        Whether the row gives its frequency.

    Returns
    -------
    CarrierDefault
        Frequency [MHz], band, bandwidth [MHz], source and note where filled;
        ``error`` when an NR row's frequency cannot be filled.
    """
    if radio != "NR":
        label, centre, bw, _ = ops.RADIO_DEFAULTS.get(radio, ("", np.nan, np.nan, np.nan))
        if has_freq:
            return CarrierDefault(band=band, bandwidth_mhz=bw)
        note = f"no frequency: {radio} default {centre:g} MHz ({label}) used."
        return CarrierDefault(centre, band or label, bw, f"default:{radio}", note)
    carrier = ops.carrier_for(operator, band)
    if has_freq:
        bw = carrier.bandwidth_mhz if carrier else ops.default_bandwidth_mhz(band)
        return CarrierDefault(band=band, bandwidth_mhz=bw)
    if band is None:
        return _nr_default_without_band(operator, carrier)
    if carrier is not None:
        note = f"no frequency: centre of {operator}'s {band} carrier ({carrier.centre_mhz:g} MHz) used."
        return CarrierDefault(
            carrier.centre_mhz, band, carrier.bandwidth_mhz, f"inferred:{operator}", note
        )
    if band in ops.NR_BANDS:
        lo, hi = ops.NR_BANDS[band]
        note = f"no frequency: centre of band {band} ({(lo + hi) / 2:g} MHz) used."
        return CarrierDefault(
            (lo + hi) / 2, band, ops.default_bandwidth_mhz(band), f"inferred:{band}", note
        )
    return CarrierDefault(
        error=f"no frequency, and band {band} is not one phusong knows; add frequency_mhz."
    )


def _nr_default_without_band(operator: str, carrier: ops.Carrier | None) -> CarrierDefault:
    """NR carrier when neither frequency nor band is given: the operator's, else n78."""
    if carrier is None:
        fallback = ops.FALLBACK_BAND
        lo, hi = ops.NR_BANDS[fallback]
        note = (
            f"no frequency or band, and operator '{operator}' has no known 5G spectrum: "
            f"band {fallback} ({(lo + hi) / 2:g} MHz, its centre) assumed; "
            "add frequency_mhz or band."
        )
        return CarrierDefault(
            (lo + hi) / 2,
            fallback,
            ops.default_bandwidth_mhz(fallback),
            f"default:{fallback}",
            note,
        )
    note = (
        f"no frequency or band: {operator}'s 5G carrier {carrier.band} "
        f"({carrier.low_mhz:g}–{carrier.high_mhz:g} MHz, centre {carrier.centre_mhz:g} MHz) used."
    )
    return CarrierDefault(
        carrier.centre_mhz, carrier.band, carrier.bandwidth_mhz, f"inferred:{operator}", note
    )


def _infer_nr_bands(state: RowState, band: np.ndarray, freq: np.ndarray, is_nr: np.ndarray) -> None:
    """Fill the band of NR rows that still have none from their frequency (in place)."""
    need_band = is_nr & is_none(band) & np.isfinite(freq)
    if not need_band.any():
        return
    inferred = factor_map(
        freq[need_band], lambda f: None if f is None else ops.band_for_frequency(float(f))
    )
    band[need_band] = inferred
    got = np.zeros(state.n, dtype=bool)
    got[np.flatnonzero(need_band)[~is_none(inferred)]] = True
    state.notes.add(state.ok & got, "band", "band inferred from the frequency.")


def _carrier_groups(radios: Radios, network: Network, band: np.ndarray) -> CarrierGroups:
    """Group rows by final radio, operator and band (one grouping for every per-band default)."""
    groups = Groups.of(radios.codes, network.brand_codes, band)
    first = groups.first
    return CarrierGroups(
        groups.codes, first, radios.names[first], network.brand[first], band[first]
    )


def _check_in_band(
    state: RowState,
    freq: np.ndarray,
    band: np.ndarray,
    groups: CarrierGroups,
    is_nr: np.ndarray,
) -> None:
    """Reject NR rows whose frequency lies outside their band."""
    edges = [ops.NR_BANDS.get(b, (np.nan, np.nan)) for b in groups.band]
    lo = np.array([e[0] for e in edges], dtype=float)[groups.codes]
    hi = np.array([e[1] for e in edges], dtype=float)[groups.codes]
    outside = state.ok & is_nr & np.isfinite(lo) & ((freq < lo - 1e-6) | (freq > hi + 1e-6))
    if not outside.any():
        return
    reasons = np.array(
        [
            f"frequency {f:g} MHz is outside band {b} ({a:g}–{c:g} MHz); fix the frequency or the band."
            for f, b, a, c in zip(
                freq[outside], band[outside], lo[outside], hi[outside], strict=True
            )
        ],
        dtype=object,
    )
    state.reject(
        np.flatnonzero(outside), _frequency_column(state), reasons, freq[outside].astype(object)
    )


def _fill_bandwidth(state: RowState, bandwidth: np.ndarray, carrier_bw: np.ndarray) -> np.ndarray:
    """Fill missing bandwidths with each carrier's [MHz] (noted)."""
    missing = np.isnan(bandwidth)
    if "bandwidth" in state.cols:
        state.notes.add(
            state.ok & missing,
            state.col_name("bandwidth"),
            "missing bandwidth: the carrier's bandwidth used.",
        )
    elif "frequency" in state.cols or "band" in state.cols:
        state.notes.add(
            None, "bandwidth_mhz", "no bandwidth column: each carrier's bandwidth used."
        )
    return np.where(missing, carrier_bw, bandwidth)


def note_frequency_defaults(state: RowState, carriers: Carriers) -> None:
    """Note the filled frequencies of the rows accepted in the end.

    Without any frequency or band column, one note per distinct fill (with
    its row count); otherwise one note per row.
    """
    row_notes = carriers.defaults.note[carriers.inputs.codes]
    has_note = state.ok & ~is_none(row_notes)
    if "frequency" in state.cols or "band" in state.cols:
        state.notes.add(has_note, "frequency_mhz", row_notes)
        return
    per_group = np.bincount(carriers.inputs.codes[has_note], minlength=len(carriers.inputs))
    counted: dict[str, int] = {}
    for k in np.flatnonzero(per_group):
        text = str(carriers.defaults.note[k])
        counted[text] = counted.get(text, 0) + int(per_group[k])
    for text, cnt in sorted(counted.items()):
        state.notes.add(None, "frequency_mhz", f"{cnt} row(s): {text}")
