"""On-air dates of the cells: which column holds them, and how to read them.

A site sheet may say when each cell went on air (``on_air``,
``ngay_phat_song``…). OpenCelliD exports have no such column, but their
``created`` field (Unix seconds) is when the cell was *first observed* by a
phone, which is at or after the day it went on air: it is used as a
**proxy**, and every result made with it says so.

:func:`parse_dates` reads a column of dates, vectorised over its distinct
values; :func:`check_on_air` finds the date column of a table being validated
and notes the values it cannot read (the row is kept, without a date);
:func:`with_on_air` adds the dates to the canonical site table as the
columns of :data:`phusong.schema.SITE_DATE_COLUMNS`.

How dates are read
------------------
- ISO dates ``2024-10-15`` (also ``2024/10/15``, ``20241015``, with or
  without a time), spreadsheet date cells, and ``datetime`` values;
- day first, as written in Vietnam: ``15/10/2024``, ``15-10-2024``,
  ``15.10.2024`` (never month first: ``10/15/2024`` is not a date);
- a month without a day (``2024-10`` or ``10/2024``) is its first day
  (noted);
- numbers: spreadsheet serial days (20,000–80,000, i.e. 1954–2119, days since
  30 Dec 1899) and Unix seconds (1e9–4e9), each noted; OpenCelliD's
  ``created`` is always Unix seconds.

Times are dropped; a time zone, or a Unix time, is turned into the local
date in Việt Nam (UTC+7, no daylight saving). Dates before
:data:`EARLIEST` or after :data:`LATEST` are not plausible on-air dates and
are noted like unreadable values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from phusong.io.validation.columns import normalise_column_name
from phusong.io.validation.rows import RowState
from phusong.io.validation.values import parse_numbers

#: Accepted names of an on-air date column (after
#: :func:`~phusong.io.validation.columns.normalise_column_name`), most specific first.
ON_AIR_CANDIDATES: tuple[str, ...] = (
    "on_air",
    "on_air_date",
    "onair",
    "onair_date",
    "ngay_phat_song",
    "ngay_len_song",
    "ngay_hoat_dong",
    "ngay_dua_vao_hoat_dong",
    "ngay_dua_vao_su_dung",
    "ngay_khai_thac",
    "go_live",
    "go_live_date",
    "launch_date",
    "in_service_date",
    "service_date",
    "activation_date",
    "commissioning_date",
)

#: OpenCelliD's first-observation time (Unix seconds), used as a proxy.
OPENCELLID_CREATED = "created"

#: Value of ``on_air_source`` for dates taken from OpenCelliD's ``created``.
PROXY_SOURCE = "proxy:opencellid created (first observed, not the on-air date)"

#: Offset of Việt Nam's local time from UTC (no daylight saving).
VIETNAM_UTC_OFFSET = pd.Timedelta(hours=7)

#: Earliest plausible on-air date (any radio technology).
EARLIEST = pd.Timestamp("1990-01-01")
#: Latest plausible on-air date (a planned cell may carry a future date).
LATEST = pd.Timestamp("2100-12-31")

#: Spreadsheet serial day 0 (the 1900 date system as Excel and LibreOffice count it).
SERIAL_EPOCH = pd.Timestamp("1899-12-30")
#: Numbers read as spreadsheet serial days: [low, high].
SERIAL_RANGE = (20_000.0, 80_000.0)
#: Numbers read as Unix seconds: [low, high].
UNIX_RANGE = (1e9, 4e9)

#: What a date column holds, for messages.
DATE_HINT = (
    "write the on-air date as 2024-10-15 (ISO) or 15/10/2024 (day first); "
    "leave it empty when unknown"
)

_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_DAY_FIRST = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?:[ T].*)?$")
_ISO_MONTH = re.compile(r"^(\d{4})[-/.](\d{1,2})$")
_MONTH_YEAR = re.compile(r"^(\d{1,2})[-/.](\d{4})$")


@dataclass(frozen=True)
class ParsedDates:
    """Dates read from a column.

    Attributes
    ----------
    dates : numpy.ndarray
        ``datetime64[ns]`` at midnight (local date), NaT where missing or bad.
    bad : numpy.ndarray
        Mask of values present but not read as a plausible date.
    kinds : dict of str to int
        How many values were read each noteworthy way (``"month"``,
        ``"serial"``, ``"unix"``).
    """

    dates: np.ndarray
    bad: np.ndarray
    kinds: dict[str, int]


def _ymd(year: int, month: int, day: int) -> pd.Timestamp | None:
    try:
        return pd.Timestamp(year=year, month=month, day=day)
    except ValueError:
        return None


def _date_of_text(text: str) -> tuple[pd.Timestamp | None, str]:
    """Date of one text value and how it was read (``"date"``, ``"month"`` or ``"bad"``)."""
    for pattern, (y, mo, d) in ((_ISO, (0, 1, 2)), (_COMPACT, (0, 1, 2)), (_DAY_FIRST, (2, 1, 0))):
        m = pattern.match(text)
        if m:
            g = [int(v) for v in m.groups()]
            found = _ymd(g[y], g[mo], g[d])
            return (found, "date") if found is not None else (None, "bad")
    for pattern, (y, mo) in ((_ISO_MONTH, (0, 1)), (_MONTH_YEAR, (1, 0))):
        m = pattern.match(text)
        if m:
            g = [int(v) for v in m.groups()]
            found = _ymd(g[y], g[mo], 1)
            return (found, "month") if found is not None else (None, "bad")
    return None, "bad"


def _date_of_number(value: float, unix_seconds: bool) -> tuple[pd.Timestamp | None, str]:
    """Date of one number: Unix seconds, or spreadsheet serial days (see the module docstring)."""
    if not np.isfinite(value):
        return None, "bad"
    if unix_seconds or UNIX_RANGE[0] <= value <= UNIX_RANGE[1]:
        local = pd.Timestamp(int(value), unit="s") + VIETNAM_UTC_OFFSET
        return local.normalize(), "unix"
    if SERIAL_RANGE[0] <= value <= SERIAL_RANGE[1]:
        return (SERIAL_EPOCH + pd.Timedelta(days=int(value))).normalize(), "serial"
    return None, "bad"


def _date_of_value(value: object, unix_seconds: bool) -> tuple[pd.Timestamp | None, str]:
    """Date of one raw value (text, number, ``datetime``); ``(None, "missing")`` when empty."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None, "missing"
    if isinstance(value, (pd.Timestamp, np.datetime64)) or hasattr(value, "year"):
        stamp = pd.Timestamp(value)
        if stamp is pd.NaT:
            return None, "missing"
        if stamp.tzinfo is not None:
            stamp = (stamp.tz_convert("UTC") + VIETNAM_UTC_OFFSET).tz_localize(None)
        return stamp.normalize(), "date"
    if isinstance(value, (bool, np.bool_)):
        return None, "bad"
    if isinstance(value, (int, float, np.integer, np.floating)):
        if np.isnan(float(value)):
            return None, "missing"
        return _date_of_number(float(value), unix_seconds)
    text = str(value).strip()
    if not text:
        return None, "missing"
    number = re.fullmatch(r"[+-]?\d+(\.\d*)?", text)
    if number and not _COMPACT.match(text):
        return _date_of_number(float(text), unix_seconds)
    return _date_of_text(text)


def parse_dates(values: pd.Series | np.ndarray, *, unix_seconds: bool = False) -> ParsedDates:
    """Read a column of dates (see the module docstring for the accepted forms).

    Parameters
    ----------
    values : Series or array
        Raw values: text, numbers, ``datetime``/``Timestamp`` values, or a
        ``datetime64`` column.
    unix_seconds : bool
        Every value is a number of Unix seconds (OpenCelliD's ``created``).

    Returns
    -------
    ParsedDates
        The local dates (``datetime64[ns]``, midnight), the mask of unreadable
        or implausible values, and counts of the noteworthy readings.

    Notes
    -----
    ``datetime64`` and numeric columns (and Unix seconds) are converted in
    bulk; in a text or mixed column each distinct value is read once and
    broadcast back (a site sheet has few distinct dates).
    """
    series = pd.Series(values).reset_index(drop=True)
    n = len(series)
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        stamps = pd.to_datetime(series)
        if getattr(stamps.dt, "tz", None) is not None:
            stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None) + VIETNAM_UTC_OFFSET
        dates = stamps.dt.normalize().to_numpy(dtype="datetime64[ns]")
        return _plausible(dates, np.zeros(n, dtype=bool), {})
    numeric = pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(
        series.dtype
    )
    if unix_seconds or numeric:
        return _dates_of_numbers(series, unix_seconds)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    read = [_date_of_value(u, unix_seconds) for u in uniques]
    lookup = np.array(
        [np.datetime64("NaT", "ns") if d is None else d.to_datetime64() for d, _ in read]
        + [np.datetime64("NaT", "ns")],
        dtype="datetime64[ns]",
    )
    how = np.array([k for _, k in read] + ["missing"], dtype=object)
    dates = lookup[codes]  # code -1 (missing) takes the padded last entry
    kind = how[codes]
    kinds = {k: int((kind == k).sum()) for k in ("month", "serial", "unix") if (kind == k).any()}
    return _plausible(dates, kind == "bad", kinds)


def _dates_of_numbers(series: pd.Series, unix_seconds: bool) -> ParsedDates:
    """Vectorised :func:`_date_of_number` over a column of numbers (or numbers as text)."""
    values, not_number, _ = parse_numbers(series)  # Arrow-vectorised; decimal commas too
    present = ~np.isnan(values) | not_number
    finite = np.isfinite(values)
    unix = finite & (unix_seconds | ((values >= UNIX_RANGE[0]) & (values <= UNIX_RANGE[1])))
    serial = finite & ~unix & (values >= SERIAL_RANGE[0]) & (values <= SERIAL_RANGE[1])
    dates = np.full(len(values), np.datetime64("NaT", "ns"), dtype="datetime64[ns]")
    seconds = np.where(unix, values, 0.0).astype("int64")
    local = seconds.astype("datetime64[s]") + np.timedelta64(VIETNAM_UTC_OFFSET)
    dates[unix] = local[unix].astype("datetime64[D]").astype("datetime64[ns]")
    days = np.where(serial, values, 0.0).astype("int64").astype("timedelta64[D]")
    dates[serial] = (np.datetime64(SERIAL_EPOCH.date(), "D") + days[serial]).astype(
        "datetime64[ns]"
    )
    bad = present & ~(unix | serial)
    kinds = {k: int(m.sum()) for k, m in (("serial", serial), ("unix", unix)) if m.any()}
    return _plausible(dates, bad, kinds)


def _plausible(dates: np.ndarray, bad: np.ndarray, kinds: dict[str, int]) -> ParsedDates:
    """Mark dates outside [:data:`EARLIEST`, :data:`LATEST`] as bad (and drop them)."""
    present = ~np.isnat(dates)
    out_of_range = present & ((dates < EARLIEST.to_datetime64()) | (dates > LATEST.to_datetime64()))
    dates = np.where(out_of_range, np.datetime64("NaT", "ns"), dates).astype("datetime64[ns]")
    return ParsedDates(dates, bad | out_of_range, kinds)


def find_date_column(columns: pd.Index | list[object]) -> tuple[object | None, bool]:
    """Column holding the on-air dates, and whether it is OpenCelliD's ``created`` proxy.

    Parameters
    ----------
    columns : sequence
        Column labels of the raw table.

    Returns
    -------
    (label or None, bool)
        The first column whose normalised name is in :data:`ON_AIR_CANDIDATES`;
        otherwise ``created`` when the table looks like an OpenCelliD export
        (it also has ``updated`` or ``samples``), flagged as a proxy; else
        ``(None, False)``.
    """
    by_name: dict[str, object] = {}
    for c in columns:
        by_name.setdefault(normalise_column_name(c), c)
    for name in ON_AIR_CANDIDATES:
        if name in by_name:
            return by_name[name], False
    looks_opencellid = "updated" in by_name or "samples" in by_name
    if OPENCELLID_CREATED in by_name and looks_opencellid:
        return by_name[OPENCELLID_CREATED], True
    return None, False


@dataclass(frozen=True)
class OnAir:
    """On-air dates of every row of a table being validated.

    Attributes
    ----------
    dates : numpy.ndarray
        ``datetime64[ns]`` per row, NaT where unknown.
    column : str
        The input column read.
    source : str
        ``"file:<column>"`` or :data:`PROXY_SOURCE`.
    """

    dates: np.ndarray
    column: str
    source: str


def check_on_air(state: RowState) -> OnAir | None:
    """Read the on-air date column of a table being validated, if it has one.

    Unreadable or implausible values are noted by row (column, value and the
    fix, :data:`DATE_HINT`); the row is kept without a date. Whole-file notes
    say when OpenCelliD's ``created`` is used as a proxy and when months,
    spreadsheet serial days or Unix seconds were read.

    Returns
    -------
    OnAir or None
        ``None`` when the table has no date column.
    """
    column, proxy = find_date_column(state.table.columns)
    if column is None:
        return None
    name = str(column)
    parsed = parse_dates(state.table[column], unix_seconds=proxy)
    bad = parsed.bad & state.ok
    if bad.any():
        state.notes.add(
            bad,
            name,
            f"on-air date not understood or not plausible; the cell is kept without a date "
            f"(left out of dated audits). {DATE_HINT[0].upper()}{DATE_HINT[1:]}.",
            state.table[column].reset_index(drop=True),
        )
    _note_readings(state, name, parsed.kinds, proxy)
    source = PROXY_SOURCE if proxy else f"file:{name}"
    return OnAir(parsed.dates, name, source)


def _note_readings(state: RowState, name: str, kinds: dict[str, int], proxy: bool) -> None:
    """Whole-file notes on how the dates were read."""
    if proxy:
        state.notes.add(
            None,
            name,
            "OpenCelliD 'created' (when a phone first observed the cell, Unix seconds) is used "
            "as a proxy for the on-air date: the cell was on air at the latest then.",
        )
    words = {
        "month": "given as a month without a day; read as the month's first day",
        "serial": "given as spreadsheet serial day numbers (days since 30 Dec 1899)",
        "unix": "given as Unix seconds; read as the local date in Việt Nam (UTC+7)",
    }
    for kind, count in kinds.items():
        if proxy and kind == "unix":
            continue
        state.notes.add(None, name, f"{count} on-air date(s) {words[kind]}.")


def with_on_air(sites: pd.DataFrame, state: RowState, on_air: OnAir | None) -> pd.DataFrame:
    """Add the on-air columns to the canonical site table of the accepted rows.

    Parameters
    ----------
    sites : GeoDataFrame
        The canonical site table, one row per accepted row (``state.ok``), in order.
    state : RowState
        The final row state.
    on_air : OnAir or None
        From :func:`check_on_air`; ``None`` leaves ``sites`` unchanged.

    Returns
    -------
    GeoDataFrame
        ``sites`` with ``on_air`` (``datetime64[ns]``, NaT = unknown) and
        ``on_air_source`` (:data:`phusong.schema.SITE_DATE_COLUMNS`) after the
        canonical columns; ``attrs["on_air_source"]`` says where the dates
        come from.
    """
    if on_air is None:
        return sites
    idx = np.flatnonzero(state.ok)
    sites["on_air"] = on_air.dates[idx]  # the table was just built: add in place, no copy
    same = pa.array([on_air.source]).take(pa.array(np.zeros(len(idx), dtype=np.int64)))
    sites["on_air_source"] = pd.array(same, dtype="string")
    sites.attrs["on_air_source"] = on_air.source
    return sites


__all__ = [
    "DATE_HINT",
    "EARLIEST",
    "LATEST",
    "ON_AIR_CANDIDATES",
    "OPENCELLID_CREATED",
    "PROXY_SOURCE",
    "OnAir",
    "ParsedDates",
    "check_on_air",
    "find_date_column",
    "parse_dates",
    "with_on_air",
]
