"""validate_sites: the checkers in order, then one report."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from phusong.errors import ConfigError, DataError, Problem
from phusong.io.validation.assemble import PreRejected, report_validation, site_table
from phusong.io.validation.columns import OPENCELLID_COLUMNS, ColumnMatch, recognise_columns
from phusong.io.validation.coordinates import check_coordinates
from phusong.io.validation.dates import (  # issue #15: on-air dates
    check_on_air,
    find_date_column,  # issue #13: unused-column note
    with_on_air,
)
from phusong.io.validation.frequency import check_carriers, note_frequency_defaults
from phusong.io.validation.identifiers import check_identifiers
from phusong.io.validation.link import check_link, check_range
from phusong.io.validation.operators import check_network
from phusong.io.validation.radio import check_radio, radio_selection, select_radios
from phusong.io.validation.report import ValidationReport
from phusong.io.validation.rows import RowState
from phusong.io.validation.study_area import MAX_DISTANCE_KM, study_bounds

log = logging.getLogger(__name__)

OnInvalid = Literal["report", "raise"]
_ON_INVALID = ("report", "raise")


def check_on_invalid(on_invalid: str) -> None:
    """Raise :class:`ConfigError` unless ``on_invalid`` is ``"report"`` or ``"raise"``."""
    if on_invalid not in _ON_INVALID:
        raise ConfigError(f"on_invalid={on_invalid!r}; use one of {', '.join(_ON_INVALID)}.")


def validate_sites(
    table: pd.DataFrame,
    *,
    source: str = "<table>",
    rows: np.ndarray | Sequence[int] | None = None,
    coords: tuple[np.ndarray, np.ndarray] | None = None,
    radio: str | Iterable[str] | None = "NR",
    study_area: Any = None,
    max_distance_km: float = MAX_DISTANCE_KM,
    on_invalid: OnInvalid = "report",
    file_notes: Iterable[str] = (),
    pre_rejected: Iterable[PreRejected] = (),
    row_files: np.ndarray | Sequence[str] | None = None,
    crs: Any = None,
    column_names: dict[str, dict[str, str]] | None = None,
) -> tuple[gpd.GeoDataFrame, ValidationReport]:
    """Validate a raw site table and return the canonical site table.

    Parameters
    ----------
    table : DataFrame
        Raw columns with any of the names in
        :data:`~phusong.io.validation.columns.CANDIDATES` (case- and
        accent-insensitive), e.g. an OpenCelliD export or an operator sheet.
    source : str
        Name used in messages.
    rows : array of int, optional
        1-based source row of each table row (as a spreadsheet shows it);
        default ``2, 3, …`` (a header in row 1).
    coords : (lon, lat) arrays, optional
        Positions in WGS84 [degrees] (from a vector file's geometry); when
        given, the table's own coordinate columns are ignored.
    radio : str, list of str or None
        Radio technologies to keep (default ``"NR"``); others are counted as
        filtered. ``None`` keeps all.
    study_area : GeoDataFrame, polygon, bounds or None
        Area the sites should be in (default: the shipped Hà Nội wards).
    max_distance_km : float
        Rows farther than this outside the study area's bounds are rejected [km].
    on_invalid : {"report", "raise"}
        ``"raise"``: any rejected row raises :class:`DataError` listing them all.
    file_notes : iterable of str
        Whole-file notes from the reader (encoding, delimiter…).
    pre_rejected : iterable of (row, column, reason, value[, source])
        Rows the reader already rejected (e.g. wrong number of fields).
    row_files : array of str, optional
        Source of each row when the table joins several (the sheets of a
        workbook, the tables of a zip); row-level issues name it.
    crs : CRS-like, optional
        System of the coordinate columns when they hold projected metres
        (e.g. ``"EPSG:3405"``); see
        :func:`~phusong.io.validation.coordinates.check_coordinates`.
    column_names : dict, optional
        Per source of ``row_files``, the table's column -> that source's own
        name for it; row-level issues name the source's column.

    Returns
    -------
    sites : GeoDataFrame
        Exactly the columns of :data:`phusong.schema.SITE_COLUMNS`, in order.
        ``attrs["source"]`` is the file name; ``attrs["synthetic"]`` is true
        when the name says SYNTHETIC.
    report : ValidationReport

    Raises
    ------
    DataError
        File-level problems (no coordinate columns, no rows, every row
        rejected or filtered), or any rejected row with ``on_invalid="raise"``.
    ConfigError
        Bad ``radio`` or ``on_invalid``.

    Notes
    -----
    The checkers run in this order, each on the rows still accepted, and
    the issues are reported once at the end: radio (then the radio filter),
    coordinates, operator, carrier (frequency, band, bandwidth), link
    (height, azimuth, beamwidth, tilt, EIRP), range, identifiers and
    duplicates.
    """
    check_on_invalid(on_invalid)
    selection = radio_selection(radio)
    if not 0 < max_distance_km < float("inf"):
        raise ConfigError(f"max_distance_km={max_distance_km!r}; give a positive number of km.")
    bounds = study_bounds(study_area)
    table = table.reset_index(drop=True)
    n = len(table)
    row_numbers = (
        np.arange(2, n + 2, dtype=np.int64) if rows is None else np.asarray(rows, dtype=np.int64)
    )
    pre = list(pre_rejected)
    match = recognise_columns(table.columns)
    cols = match.cols
    _check_table(table, cols, source, coords, pre)

    state = RowState.start(
        table,
        cols,
        row_numbers,
        source,
        file_notes,
        units=match.units,
        row_files=None if row_files is None else np.asarray(row_files, dtype=object),
        column_names=column_names,
    )
    note_columns(state, match)
    radios = check_radio(state)
    select_radios(state, radios, selection)
    positions = check_coordinates(state, coords, bounds, max_distance_km, crs)
    network = check_network(state)
    carriers = check_carriers(state, radios, network)
    link = check_link(state, carriers)
    ranges = check_range(state, carriers)
    ids = check_identifiers(state, radios, network, carriers)
    note_frequency_defaults(state, carriers)
    on_air = check_on_air(state)  # issue #15: on-air dates (phusong.io.validation.dates)

    report = report_validation(state, selection, pre)
    sites = site_table(state, positions, network, carriers, link, ranges, ids)
    sites = with_on_air(sites, state, on_air)  # issue #15: adds on_air, on_air_source
    _raise_or_log(report, on_invalid)
    return sites, report


#: Columns of an OpenCelliD export that are known and deliberately not used.
_KNOWN_UNUSED = frozenset(c.lower() for c in OPENCELLID_COLUMNS)


def note_columns(state: RowState, match: ColumnMatch) -> None:
    """Note the columns that are not used and the header units that are not known."""
    on_air, _ = find_date_column(list(state.table.columns))
    unused = [
        str(c)
        for c in match.unused
        if str(c).strip().lower() not in _KNOWN_UNUSED and c is not on_air and str(c).strip()
    ]
    if unused:
        shown = ", ".join(f"'{c}'" for c in unused[:20]) + (" …" if len(unused) > 20 else "")
        state.notes.add(
            None,
            None,
            f"{len(unused)} column(s) not used (not a recognised name): {shown}. Rename a "
            "column (e.g. 'azimuth', 'height_m', 'EIRP (dBm)') if it holds a site property.",
        )
    for fieldname, unit in match.unknown_units.items():
        state.notes.add(
            None,
            str(match.cols[fieldname]),
            f"unit '{unit}' in the header is not recognised; the values are taken as the "
            "canonical unit. Use e.g. (m), (km), (dBm), (W), (MHz).",
        )


def _check_table(
    table: pd.DataFrame,
    cols: dict[str, object],
    source: str,
    coords: tuple[np.ndarray, np.ndarray] | None,
    pre: list[PreRejected],
) -> None:
    """Raise :class:`DataError` for a table without coordinates or without rows."""
    if coords is None and ("lat" not in cols or "lon" not in cols):
        shown = ", ".join(map(str, table.columns[:30])) or "(none)"
        raise DataError(
            [
                Problem(
                    source,
                    None,
                    None,
                    "no coordinate columns: need a latitude column (lat, latitude, vi_do) and a "
                    f"longitude column (lon, lng, longitude, kinh_do); the columns are: {shown}. "
                    "Rename them, or give a GeoJSON/GeoPackage of points.",
                )
            ]
        )
    if len(table) == 0:
        problems = [Problem(source, None, None, "the table has a header but no data rows.")]
        problems += [
            Problem(p[4] if len(p) > 4 else source, p[0], p[1], f"{p[2]} (value: {p[3]!r})")
            for p in pre
        ]
        raise DataError(problems)


def _raise_or_log(report: ValidationReport, on_invalid: OnInvalid) -> None:
    """Raise when no row is left, or on any rejection with ``on_invalid="raise"``; else log."""
    if report.rows_accepted == 0:
        filtered = ", ".join(f"{k} {v}" for k, v in report.filtered.items()) or "none"
        hint = "; or keep every radio technology ([[radio=all]])." if report.filtered else "."
        summary = Problem(
            report.file,
            None,
            None,
            f"every row was rejected ({report.rows_rejected}) or filtered "
            f"({report.rows_filtered}: {filtered}); no site is left. Fix the rows listed below"
            + hint,
        )
        raise DataError([summary, *report.problems()])
    if on_invalid == "raise" and report.rows_rejected:
        raise DataError(report.problems())
    if report.rows_rejected:
        log.warning(
            "%s: %d of %d rows rejected", report.file, report.rows_rejected, report.rows_read
        )
