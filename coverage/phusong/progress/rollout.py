"""The network as it stood on a date: on-air dates, ``--as-of`` and the dates of a series.

Site tables carry an on-air date per cell when their file had one
(``on_air``, ``ngay_phat_song``…, or OpenCelliD's ``created`` as a proxy;
:mod:`phusong.io.validation.dates`). :func:`sites_on_air` keeps the cells on
air on a date; cells without a date are left out of every dated figure and
counted (:func:`rollout_record`), so that nothing is assumed about them.

:func:`series_dates` gives the dates of a progress series (quarter or year
ends from the first on-air date to the "as of" date).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import numpy as np
import pandas as pd

from phusong.errors import ConfigError

__all__ = [
    "FREQUENCIES",
    "as_of_date",
    "has_on_air",
    "on_air_source",
    "rollout_record",
    "series_dates",
    "sites_on_air",
    "today",
]

#: Steps of a progress series: pandas period aliases.
FREQUENCIES: dict[str, str] = {"quarter": "Q", "year": "Y", "month": "M"}

#: Text of the "as of" date that means the day the tool runs.
TODAY = "today"


def today() -> pd.Timestamp:
    """Today's local date (midnight)."""
    return pd.Timestamp(dt.date.today())


def as_of_date(value: Any, label: str = "as_of") -> pd.Timestamp:
    """Read an "as of" date: ``2025-06-30``, ``30/06/2025``, a date object or ``"today"``.

    Raises
    ------
    ConfigError
        Not a date; the message names ``label`` and the accepted forms.
    """
    from phusong.io.validation.dates import parse_dates

    if isinstance(value, str) and value.strip().lower() == TODAY:
        return today()
    if isinstance(value, (dt.date, pd.Timestamp, np.datetime64)):
        return pd.Timestamp(value).normalize().tz_localize(None)
    parsed = parse_dates(pd.Series([value], dtype=object))
    if parsed.bad[0] or np.isnat(parsed.dates[0]):
        raise ConfigError(
            f"{label}: {value!r} is not a date; write it as 2025-06-30 (ISO), 30/06/2025 "
            "(day first) or 'today'."
        )
    return pd.Timestamp(parsed.dates[0])


def has_on_air(sites: pd.DataFrame) -> bool:
    """Whether the site table has an ``on_air`` column with at least one date."""
    return "on_air" in sites.columns and bool(pd.notna(sites["on_air"]).any())


def on_air_source(sites: pd.DataFrame) -> str | None:
    """Where the table's on-air dates come from (``file:<column>``, the OpenCelliD proxy…)."""
    if "on_air_source" in sites.columns and len(sites):
        values = sites["on_air_source"].dropna().unique()
        if len(values):
            return "; ".join(sorted(str(v) for v in values))
    return sites.attrs.get("on_air_source")


def require_dates(sites: pd.DataFrame, what: str) -> None:
    """Raise a :class:`ConfigError` when the sites carry no on-air date.

    Parameters
    ----------
    sites : DataFrame
        The site table.
    what : str
        The option or job that needs the dates (``--as-of``, ``progress``).
    """
    if has_on_air(sites):
        return
    raise ConfigError(
        f"{what}: the site data has no on-air dates. Add a column 'on_air' (or "
        "'ngay_phat_song') with each cell's on-air date, e.g. 2024-10-15; OpenCelliD exports "
        "give theirs through 'created' (first observed, used as a labelled proxy)."
    )


def on_air_mask(sites: pd.DataFrame, as_of: pd.Timestamp) -> np.ndarray:
    """Cells on air on ``as_of``: a date on or before it (undated cells: False)."""
    if "on_air" not in sites.columns:
        return np.zeros(len(sites), dtype=bool)
    when = pd.to_datetime(sites["on_air"], errors="coerce").to_numpy(dtype="datetime64[ns]")
    return ~np.isnat(when) & (when <= np.datetime64(pd.Timestamp(as_of).to_datetime64()))


def sites_on_air(sites: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Keep the cells on air on ``as_of`` (on-air date ≤ ``as_of``; undated cells left out).

    Raises
    ------
    ConfigError
        The table has no on-air dates (:func:`require_dates`).
    """
    require_dates(sites, "as_of")
    return sites[on_air_mask(sites, as_of)].copy()


def rollout_record(sites: pd.DataFrame, as_of: pd.Timestamp) -> dict[str, Any]:
    """Record what an "as of" audit kept and left out, for ``summary.json``.

    Returns
    -------
    dict
        ``as_of`` (ISO), ``cells_on_air``, ``cells_later`` (dated after
        ``as_of``), ``cells_undated`` (left out: no date), ``sites_on_air``,
        ``on_air_source`` and ``proxy`` (True for OpenCelliD's ``created``).
    """
    mask = on_air_mask(sites, as_of)
    dated = pd.notna(sites["on_air"]).to_numpy() if "on_air" in sites.columns else mask
    source = on_air_source(sites)
    return {
        "as_of": f"{pd.Timestamp(as_of):%Y-%m-%d}",
        "cells_on_air": int(mask.sum()),
        "cells_later": int((dated & ~mask).sum()),
        "cells_undated": int((~dated).sum()),
        "sites_on_air": int(sites.loc[mask, "site_id"].nunique()) if len(sites) else 0,
        "on_air_source": source,
        "proxy": bool(source and "proxy" in source),
        "rule": "a cell counts from its on-air date (inclusive); cells without a date are "
        "left out of dated figures",
    }


def first_on_air(sites: pd.DataFrame) -> pd.Timestamp | None:
    """Earliest on-air date of the table (``None`` without dates)."""
    if not has_on_air(sites):
        return None
    return pd.Timestamp(pd.to_datetime(sites["on_air"], errors="coerce").min())


def series_dates(
    start: pd.Timestamp,
    end: pd.Timestamp,
    freq: Literal["quarter", "year", "month"] = "quarter",
) -> list[pd.Timestamp]:
    """Period ends from the one containing ``start`` up to ``end``, then ``end`` itself.

    Parameters
    ----------
    start, end : Timestamp
        First on-air date and the "as of" date.
    freq : {"quarter", "year", "month"}
        Step.

    Returns
    -------
    list of Timestamp
        Ascending, unique; the last is ``end`` (so the series ends on the
        "as of" date even mid-quarter).

    Raises
    ------
    ConfigError
        Unknown ``freq`` or ``end`` before ``start``.
    """
    if freq not in FREQUENCIES:
        raise ConfigError(f"freq: {freq!r}; use one of {', '.join(FREQUENCIES)}.")
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    if end < start:
        raise ConfigError(
            f"as_of: {end:%Y-%m-%d} is before the first on-air date {start:%Y-%m-%d}."
        )
    periods = pd.period_range(start, end, freq=FREQUENCIES[freq])
    ends = [p.end_time.normalize() for p in periods]
    dates = sorted({d for d in ends if d <= end} | {end})
    return dates
