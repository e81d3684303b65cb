"""Assemble the results of the checkers: the site table and the report."""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from phusong.io.validation.coordinates import Positions
from phusong.io.validation.frequency import Carriers
from phusong.io.validation.identifiers import Identifiers
from phusong.io.validation.link import Link, Ranges
from phusong.io.validation.operators import Network
from phusong.io.validation.report import ValidationReport, drop_rejected
from phusong.io.validation.rows import RowState
from phusong.io.validation.values import take_strings
from phusong.schema import SITE_COLUMNS, WGS84

#: A row the reader rejected: (row, column, reason, value), or (row, column,
#: reason, value, source) when the table joins several sources.
PreRejected = tuple[int, str | None, str, str | None] | tuple[int, str | None, str, str | None, str]


def report_validation(
    state: RowState, selection: tuple[str, ...] | None, pre: Sequence[PreRejected]
) -> ValidationReport:
    """Build the report of one input from the final row state.

    Parameters
    ----------
    state : RowState
        Rows after every checker.
    selection : tuple of str or None
        The radio selection.
    pre : sequence of (row, column, reason, value)
        Rows the reader already rejected; merged by row into the rejections.
    """
    source, rows, ok = state.source, state.rows, state.ok
    rejected = state.rejected.frame(source, rows, state.row_files, state.column_names)
    if pre:
        rejected = _merge_pre_rejected(rejected, source, pre)
    rejected_by_reader = len({(int(p[0]), p[4] if len(p) > 4 else source) for p in pre})
    rejected_here = state.rejected_before_filter + int((state.selected & ~ok).sum())
    return ValidationReport(
        file=source,
        rows_read=state.n + rejected_by_reader,
        rows_accepted=int(ok.sum()),
        rows_rejected=rejected_here + rejected_by_reader,
        rows_filtered=int(sum(state.filtered.values())),
        filtered=state.filtered,
        radio=selection,
        rejected=rejected,
        notes=_drop_rejected_notes(state, rows[~ok]),
        templates={**state.notes.templates, **state.rejected.templates},
    )


def _drop_rejected_notes(state: RowState, left_out: np.ndarray) -> pd.DataFrame:
    """Keep the notes of the rows kept (and the whole-file notes)."""
    notes = state.notes.frame(state.source, state.rows, state.row_files, state.column_names)
    if state.row_files is None:
        return drop_rejected(notes, left_out)
    # Several sources: row numbers repeat across them, so match rows by (source, row).
    kept = set(zip(state.row_files[state.ok].tolist(), state.rows[state.ok].tolist(), strict=True))
    row = notes["row"].to_numpy(dtype="float64", na_value=np.nan)
    keep = [
        bool(np.isnan(r)) or (f, int(r)) in kept
        for f, r in zip(notes["file"].tolist(), row, strict=True)
    ]
    return notes.loc[np.asarray(keep, dtype=bool)].reset_index(drop=True)


def _merge_pre_rejected(
    rejected: pd.DataFrame, source: str, pre: Sequence[PreRejected]
) -> pd.DataFrame:
    """Put the reader's rejections first, then sort all by row (stable)."""
    pre_frame = pd.DataFrame(
        {
            "file": pd.array([p[4] if len(p) > 4 else source for p in pre], dtype="string"),
            "row": pd.array([p[0] for p in pre], dtype="Int64"),
            "column": pd.array([p[1] for p in pre], dtype="string"),
            "reason": pd.array([p[2] for p in pre], dtype="string"),
            "value": pd.array([p[3] for p in pre], dtype="string"),
        }
    )
    merged = pd.concat([pre_frame, rejected], ignore_index=True)
    if len({str(f) for f in merged["file"]}) > 1:  # several sources: by source, then row
        rank = pd.Series(pd.factorize(merged["file"].astype(object))[0], index=merged.index)
        merged = merged.assign(_src=rank).sort_values(["_src", "row"], kind="stable")
        return merged.drop(columns="_src").reset_index(drop=True)
    return merged.sort_values("row", kind="stable", na_position="first").reset_index(drop=True)


def site_table(
    state: RowState,
    positions: Positions,
    network: Network,
    carriers: Carriers,
    link: Link,
    ranges: Ranges,
    ids: Identifiers,
) -> gpd.GeoDataFrame:
    """Build the canonical site table (:data:`SITE_COLUMNS`) of the accepted rows.

    ``attrs["source"]`` is the file name; ``attrs["synthetic"]`` is true when
    the name says SYNTHETIC.
    """
    idx = np.flatnonzero(state.ok)
    groups = carriers.groups.codes[idx]
    lon, lat = positions.lon[idx], positions.lat[idx]
    columns = pd.DataFrame(
        {
            "cell_id": ids.cell_id.iloc[idx].astype("string").array,
            "site_id": ids.site_id.iloc[idx].astype("string").array,
            "operator": take_strings(carriers.groups.operator, groups),
            "mcc": pd.array(network.mcc[idx], dtype="Float64").astype("Int64"),
            "mnc": pd.array(network.mnc[idx], dtype="Float64").astype("Int64"),
            "radio": take_strings(carriers.groups.radio, groups),
            "lon_deg": lon,
            "lat_deg": lat,
            "azimuth_deg": link.azimuth_deg[idx],
            "beamwidth_deg": link.beamwidth_deg[idx],
            "tilt_deg": link.tilt_deg[idx],
            "height_m": link.height_m[idx],
            "eirp_dbm": link.eirp_dbm[idx],
            "frequency_mhz": carriers.frequency_mhz[idx],
            "band": take_strings(carriers.groups.band, groups),
            "bandwidth_mhz": carriers.bandwidth_mhz[idx],
            "range_m": ranges.range_m[idx],
            "range_source": ranges.source_column(idx, "range_source" in state.cols),
            "frequency_source": carriers.source_column(idx, "frequency_source" in state.cols),
            "source_row": pd.array(state.rows[idx], dtype="Int64"),
        },
        copy=False,  # no block consolidation: ~0.5 s saved per million rows
    )
    columns["geometry"] = gpd.array.GeometryArray(shapely.points(lon, lat), crs=WGS84)
    sites = gpd.GeoDataFrame(columns, geometry="geometry", crs=WGS84, copy=False)
    for col, (dtype, _) in SITE_COLUMNS.items():
        if col != "geometry" and str(sites[col].dtype) != dtype:
            sites[col] = sites[col].astype(dtype)
    assert list(sites.columns) == list(SITE_COLUMNS)
    sites.attrs["source"] = state.source
    sites.attrs["synthetic"] = "SYNTHETIC" in state.source.upper()
    return sites
