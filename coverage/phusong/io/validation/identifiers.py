"""Cell and site identifiers of every row, and duplicate cells.

OpenCelliD rows (MNC, area and cell columns) are named
``mcc-mnc-area-cell``, their site from the cell id's gNB/eNB part. Operator
sheets use their site and cell columns, or ``site-sector``, or the row
number. A cell that appears twice (same operator and id) is rejected at its
later rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from phusong import operators as ops
from phusong.io.validation.frequency import Carriers
from phusong.io.validation.operators import Network
from phusong.io.validation.radio import Radios
from phusong.io.validation.rows import RowState
from phusong.io.validation.values import Groups, as_text, group_rows


@dataclass
class Identifiers:
    """Cell and site id of every row, and how duplicates are recognised.

    Attributes
    ----------
    cell_id, site_id : Series
        pandas ``string`` Series, index 0…n−1.
    key : DataFrame
        One row per table row; equal rows are the same cell.
    column : str
        Column(s) named when a duplicate is rejected.
    """

    cell_id: pd.Series
    site_id: pd.Series
    key: pd.DataFrame
    column: str


def check_identifiers(
    state: RowState, radios: Radios, network: Network, carriers: Carriers
) -> Identifiers:
    """Name every cell and site; reject later rows of a duplicated cell."""
    if "area" in state.cols and "cell" in state.cols and "mnc" in state.cols:
        ids = _opencellid_ids(state, radios, network, carriers.inputs)
    else:
        ids = _sheet_ids(state, network)
    _reject_duplicates(state, ids)
    return ids


def _as_int64(values: np.ndarray, fill: int) -> np.ndarray:
    """Float values as int64, ``fill`` where not finite or beyond 2**53."""
    return np.where(np.isfinite(values) & (np.abs(values) < 2**53), values, fill).astype(np.int64)


def _opencellid_ids(
    state: RowState, radios: Radios, network: Network, inputs: Groups
) -> Identifiers:
    """``mcc-mnc-area-cell`` cell ids; NR site = gNB id (NCI >> 12), LTE site = eNB id (ECI >> 8)."""
    # rows with an MCC other than 452 or an out-of-range MNC are already rejected;
    # clamp non-finite/huge values so the integer cast is defined for every row
    mcc_i = _as_int64(network.mcc, 0)
    mnc_i = _as_int64(network.mnc, -1)
    area = state.numbers("area")
    cell = state.numbers("cell")
    state.reject(
        state.ok & (np.isnan(area) | np.isnan(cell) | np.isnan(network.mnc)),
        f"{state.col_name('area')}/{state.col_name('cell')}",
        "missing area (LAC/TAC) or cell id; OpenCelliD rows need both.",
    )
    area_i = np.where(np.isnan(area), -1, area).astype(np.int64)
    cell_i = np.where(np.isnan(cell), -1, cell).astype(np.int64)
    # "mcc-mnc-" prefix from the few distinct pairs, then area and cell ids
    pcodes, pfirst = group_rows(mcc_i, mnc_i)
    prefixes = pa.array([f"{mcc_i[k]}-{mnc_i[k]}-" for k in pfirst], type=pa.string())
    prefix = prefixes.take(pa.array(pcodes))
    empty = pa.scalar("")
    cell_id = pc.binary_join_element_wise(
        prefix,
        pc.cast(pa.array(area_i), pa.string()),
        pa.scalar("-"),
        pc.cast(pa.array(cell_i), pa.string()),
        empty,
    )
    # Site: NR NCI = gNB id (24 bits assumed) << 12 | cell; LTE ECI = eNB id << 8 | cell.
    site_num = np.where(radios.is_nr, cell_i >> 12, cell_i >> 8)
    site_id = pc.binary_join_element_wise(prefix, pc.cast(pa.array(site_num), pa.string()), empty)
    site_id = pc.if_else(pa.array(radios.is_nr | (radios.names == "LTE")), site_id, cell_id)
    radio_rank = _radio_rank(radios, inputs)
    key = _cell_key(radio_rank, mcc_i, mnc_i, area_i, cell_i)
    column = f"{state.col_name('mnc')}/{state.col_name('area')}/{state.col_name('cell')}"
    return Identifiers(
        pd.Series(pd.array(cell_id, dtype="string")),
        pd.Series(pd.array(site_id, dtype="string")),
        key,
        column,
    )


def _radio_rank(radios: Radios, inputs: Groups) -> np.ndarray:
    """Index of each row's radio in :data:`phusong.operators.RADIOS` (7 if none)."""
    rank = {r: i for i, r in enumerate(ops.RADIOS)}
    names = radios.names
    if not len(names):
        return np.zeros(0, np.int64)
    per_group = [rank.get(r, 7) for r in names[inputs.first]]
    return np.array([*per_group, 7], dtype=np.int64)[inputs.codes]


def _cell_key(
    radio_rank: np.ndarray,
    mcc_i: np.ndarray,
    mnc_i: np.ndarray,
    area_i: np.ndarray,
    cell_i: np.ndarray,
) -> pd.DataFrame:
    """Duplicate key of OpenCelliD rows: radio, MCC, MNC, area and cell."""
    if (
        cell_i.size
        and 0 <= cell_i.min()
        and cell_i.max() < 2**50
        and 0 <= mnc_i.min() <= mnc_i.max() < 16
        and radio_rank.max() < 8
    ):
        # one int64 (cell << 7 | radio << 4 | mnc) + area: two columns hash much faster
        packed = (cell_i << 7) | (radio_rank.astype(np.int64) << 4) | mnc_i
        return pd.DataFrame({"k": packed, "a": area_i, "m": mcc_i})
    return pd.DataFrame({"d": cell_i, "r": radio_rank, "a": mcc_i, "b": mnc_i, "c": area_i})


def _sheet_ids(state: RowState, network: Network) -> Identifiers:
    """Cell ids from the cell column, else site-sector, else the site (numbered), else the row."""
    site = as_text(state.raw("site")) if "site" in state.cols else None
    cell_id = _sheet_cell_ids(state, site)
    missing_id = cell_id.isna().to_numpy(dtype=bool)
    column = state.col_name("cell") if "cell" in state.cols else "cell_id"
    if missing_id.any():
        cell_id = cell_id.fillna("row" + pd.Series(state.rows).astype("string"))
        state.notes.add(
            state.ok & missing_id, column, "missing cell id: named row<N> after its row."
        )
    site_id = cell_id if site is None else site.fillna(cell_id)
    key = pd.DataFrame({"c": cell_id.array, "o": pd.factorize(network.brand)[0]})
    return Identifiers(cell_id, site_id, key, column)


def _sheet_cell_ids(state: RowState, site: pd.Series | None) -> pd.Series:
    """Cell id of every row of an operator sheet (``<NA>`` where none)."""
    if "cell" in state.cols:
        cell_id = as_text(state.raw("cell"))
        return cell_id if site is None else cell_id.fillna(site)
    if site is not None and "sector" in state.cols:
        return site.str.cat(as_text(state.raw("sector")), sep="-", na_rep="")
    if site is not None:
        # a site of one row is its own cell; the rows of a site of several are numbered
        counts = site.groupby(site, dropna=True).transform("size")
        nth = site.groupby(site, dropna=True).cumcount() + 1
        return site.where(counts.fillna(1) <= 1, site.str.cat(nth.astype("string"), sep="-"))
    state.notes.add(
        None, None, "no site or cell id column: cells are named row<N> after their row."
    )
    return "row" + pd.Series(state.rows).astype("string")


def _reject_duplicates(state: RowState, ids: Identifiers) -> None:
    """Reject accepted rows that repeat an earlier accepted row's cell; they name its row."""
    idx_ok = np.flatnonzero(state.ok)
    keyed = ids.key.iloc[idx_ok]
    # The first key column is the most selective: rows whose value there is unique
    # cannot repeat a cell, so only the others are compared on the whole key.
    maybe = keyed.iloc[:, 0].duplicated(keep=False).to_numpy()
    if not maybe.any():
        return
    dup = np.zeros(len(keyed), dtype=bool)
    dup[maybe] = keyed.iloc[np.flatnonzero(maybe)].duplicated(keep="first").to_numpy()
    if not dup.any():
        return
    # only the rows of duplicated keys (few) are grouped to find each key's first row
    involved = np.zeros(len(keyed), dtype=bool)
    involved[maybe] = keyed.iloc[np.flatnonzero(maybe)].duplicated(keep=False).to_numpy()
    sub = keyed.iloc[np.flatnonzero(involved)]
    sub_rows = state.rows[idx_ok][involved]
    group = sub.groupby(list(sub.columns), sort=False, dropna=False).ngroup().to_numpy()
    first_row = pd.Series(sub_rows).groupby(group).transform("min").to_numpy()
    is_later = dup[involved]
    dup_pos = idx_ok[dup]
    reasons = np.array(
        [f"duplicate cell: same as row {int(r)}; remove one of them." for r in first_row[is_later]],
        dtype=object,
    )
    state.reject(dup_pos, ids.column, reasons, ids.cell_id.iloc[dup_pos].to_numpy(dtype=object))
