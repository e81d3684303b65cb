"""Numbers and dates for people, in the conventions of each language (via Babel).

Every figure a user reads is formatted here, once:

========================  ====================  ====================
call                      ``vi``                ``en``
========================  ====================  ====================
``fmt_pct(85.16)``        ``85,1 %``            ``85.1%``
``fmt_int(1315542)``      ``1.315.542``         ``1,315,542``
``fmt_people(1315542)``   ``1.315.542 người``   ``1,315,542 people``
``fmt_km2(3358.64)``      ``3.358,6 km²``       ``3,358.6 km²``
``fmt_points(13.94)``     ``13,9 điểm phần      ``13.9 points``
                          trăm``
``fmt_date(d)``           ``ngày 12 tháng 3     ``12 March 2025``
                          năm 2025``
========================  ====================  ====================

Vietnamese groups thousands with a dot and writes the decimal comma; a
percent sign and a unit follow the number after a no-break space (U+00A0,
:data:`NBSP`, shown as a space above), so that a line never breaks between
them. Coverage percentages are rounded **down** (``floor=True``, the
default): a ward at 98.96 % is shown as "98,9 %", never as "99,0 %", the goal.
A missing value (``None``, NaN, inf) is shown as "n/a" / "không rõ".
"""

from __future__ import annotations

import datetime as _dt
import functools
import math
from typing import Any

from phusong.i18n.core import current_language, t

#: No-break space between a number and its unit or percent sign (Vietnamese).
NBSP = "\u00a0"


@functools.cache
def _locale(lang: str) -> Any:
    from babel import Locale

    return Locale.parse(lang)


def is_missing(value: Any) -> bool:
    """Whether ``value`` is no number to show (``None``, NaN, inf, not numeric)."""
    if value is None or isinstance(value, bool):
        return value is None
    try:
        return not math.isfinite(float(value))
    except (TypeError, ValueError):
        return True


def missing_text(lang: str | None = None) -> str:
    """Return the text shown for a missing figure: ``"n/a"`` / ``"không rõ"``."""
    return t("common.unknown", lang)


def round_down(value: float, decimals: int) -> float:
    """Round ``value`` down to ``decimals`` places, ignoring float noise below 1e-6 of a step.

    ``round_down(98.9999, 2) == 98.99`` and ``round_down(99.0 - 1e-12, 2) == 99.0``.
    """
    q = 10**decimals
    return math.floor(float(value) * q + 1e-6) / q


def fmt_decimal(
    value: Any, lang: str | None = None, decimals: int | None = 1, *, group: bool = True
) -> str:
    """Format a number with exactly ``decimals`` decimals (rounded to nearest).

    Parameters
    ----------
    value : float
        The number; a missing value gives :func:`missing_text`.
    lang : str, optional
        ``"vi"`` or ``"en"``; default :func:`~phusong.i18n.current_language`.
    decimals : int or None
        Decimals shown; ``None`` shows as many as needed, up to 3 (like ``:g``:
        ``99`` → ``"99"``, ``99.5`` → ``"99,5"``).
    group : bool
        Group thousands (``1.315,5`` / ``1,315.5``).

    Returns
    -------
    str
        ``fmt_decimal(1315.54, "vi") == "1.315,5"``; ``"en"``: ``"1,315.5"``.
    """
    code = current_language(lang)
    if is_missing(value):
        return missing_text(code)
    from babel.numbers import format_decimal

    places = "." + ("#" * 3 if decimals is None else "0" * decimals) if decimals != 0 else ""
    pattern = ("#,##0" if group else "0") + places
    number = round(float(value), 3 if decimals is None else decimals) or 0.0  # no "-0,0"
    return str(format_decimal(number, format=pattern, locale=_locale(code)))


def fmt_int(value: Any, lang: str | None = None) -> str:
    """Format a whole number with grouped thousands: ``"1.315.542"`` / ``"1,315,542"``."""
    return fmt_decimal(value, lang, 0)


def fmt_pct(
    value: Any, lang: str | None = None, decimals: int | None = 1, *, floor: bool = True
) -> str:
    """Format a percentage: ``"85,1 %"`` (vi) / ``"85.1%"`` (en).

    Parameters
    ----------
    value : float
        Percentage [%] (85.16 for 85.16 %, not 0.8516).
    lang : str, optional
        ``"vi"`` or ``"en"``; default :func:`~phusong.i18n.current_language`.
    decimals : int or None
        Decimals shown; ``None``: as many as needed, up to 3, not rounded
        down (for a goal's target: ``"99%"``, ``"99.5%"``).
    floor : bool
        Round down (default) so that a coverage figure is never overstated
        (98.96 → "98,9 %"); ``False`` rounds to nearest.
    """
    code = current_language(lang)
    if is_missing(value):
        return missing_text(code)
    shown = round_down(float(value), decimals) if floor and decimals is not None else float(value)
    number = fmt_decimal(shown, code, decimals)
    return f"{number}{NBSP}%" if code == "vi" else f"{number}%"


def fmt_points(
    value: Any, lang: str | None = None, decimals: int = 1, *, sign: bool = False
) -> str:
    """Format a difference of percentages [percentage points]: ``"13,9 điểm phần trăm"`` / ``"13.9 points"``.

    ``sign=True`` writes ``+`` before a positive change (``"+2.5 points"``).
    """
    code = current_language(lang)
    if is_missing(value):
        return missing_text(code)
    number = fmt_decimal(value, code, decimals)
    if sign and round(float(value), decimals) > 0:
        number = "+" + number
    return t("unit.points", code, value=number)


def fmt_people(value: Any, lang: str | None = None) -> str:
    """Format a number of people: ``"1.315.542 người"`` / ``"1,315,542 people"``."""
    code = current_language(lang)
    if is_missing(value):
        return missing_text(code)
    n = round(float(value))
    return t("unit.people", code, value=fmt_int(n, code), count=n)


def fmt_km2(value: Any, lang: str | None = None, decimals: int = 1) -> str:
    """Format an area [km²]: ``"3.358,6 km²"`` / ``"3,358.6 km²"``."""
    code = current_language(lang)
    if is_missing(value):
        return missing_text(code)
    return f"{fmt_decimal(value, code, decimals)}{NBSP}km²"


def fmt_unit(value: Any, unit: str, lang: str | None = None, decimals: int = 0) -> str:
    """Format a number with a unit symbol after a no-break space: ``"-110 dBm"``, ``"150 m"``."""
    code = current_language(lang)
    if is_missing(value):
        return missing_text(code)
    return f"{fmt_decimal(value, code, decimals)}{NBSP}{unit}"


def fmt_date(value: _dt.date | str, lang: str | None = None, *, style: str = "long") -> str:
    """Format a date: ``"ngày 12 tháng 3 năm 2025"`` / ``"12 March 2025"``.

    Parameters
    ----------
    value : datetime.date or str
        A date (an ISO string ``"2025-03-12"`` is accepted).
    lang : str, optional
        ``"vi"`` or ``"en"``; default :func:`~phusong.i18n.current_language`.
    style : {"long", "short"}
        ``"short"``: ``"12/03/2025"`` / ``"12 Mar 2025"``.
    """
    from babel.dates import format_date

    code = current_language(lang)
    day = _dt.date.fromisoformat(value) if isinstance(value, str) else value
    patterns = {
        ("vi", "long"): "'ngày' d 'tháng' M 'năm' y",
        ("vi", "short"): "dd/MM/y",
        ("en", "long"): "d MMMM y",
        ("en", "short"): "d MMM y",
    }
    if (code, style) not in patterns:
        raise ValueError(f"style={style!r}: use 'long' or 'short'.")
    return str(format_date(day, format=patterns[code, style], locale=_locale(code)))


__all__ = [
    "NBSP",
    "fmt_date",
    "fmt_decimal",
    "fmt_int",
    "fmt_km2",
    "fmt_pct",
    "fmt_people",
    "fmt_points",
    "fmt_unit",
    "is_missing",
    "missing_text",
    "round_down",
]
