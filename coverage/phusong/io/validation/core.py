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
from phusong.io.validation.columns import map_columns
from phusong.io.validation.coordinates import check_coordinates
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
    pre_rejected : iterable of (row, column, reason, value)
        Rows the reader already rejected (e.g. wrong number of fields).

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
    cols = map_columns(table.columns)
    _check_table(table, cols, source, coords, pre)

    state = RowState.start(table, cols, row_numbers, source, file_notes)
    radios = check_radio(state)
    select_radios(state, radios, selection)
    positions = check_coordinates(state, coords, bounds, max_distance_km)
    network = check_network(state)
    carriers = check_carriers(state, radios, network)
    link = check_link(state, carriers)
    ranges = check_range(state, carriers)
    ids = check_identifiers(state, radios, network, carriers)
    note_frequency_defaults(state, carriers)

    report = report_validation(state, selection, pre)
    sites = site_table(state, positions, network, carriers, link, ranges, ids)
    _raise_or_log(report, on_invalid)
    return sites, report


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
        problems += [Problem(source, r, c, f"{reason} (value: {v!r})") for r, c, reason, v in pre]
        raise DataError(problems)


def _raise_or_log(report: ValidationReport, on_invalid: OnInvalid) -> None:
    """Raise when no row is left, or on any rejection with ``on_invalid="raise"``; else log."""
    if report.rows_accepted == 0:
        filtered = ", ".join(f"{k} {v}" for k, v in report.filtered.items()) or "none"
        hint = "; or pass radio=None to read other radio technologies." if report.filtered else "."
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
