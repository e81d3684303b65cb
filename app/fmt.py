"""Every number the app shows, formatted for the interface language.

Thin wrappers over :mod:`phusong.i18n` (Babel): the app never formats a
figure by hand. Each function takes the language explicitly or uses the
session's (:func:`strings.lang`).

========================  =====================  ======================
call                      ``vi``                 ``en``
========================  =====================  ======================
``pct(85.06)``            ``85,0 %``             ``85.0%``
``count(1315542)``        ``1.315.542``          ``1,315,542``
``people(1315542)``       ``1.315.542 người``    ``1,315,542 people``
``compact(1228000)``      ``1,23 triệu``         ``1.23 million``
``points(-13.9)``         ``-13,9 điểm %``       ``-13.9 points``
========================  =====================  ======================

Coverage percentages are rounded **down** (the library's rule): a ward at
98.96 % shows as 98,9 %, never as the goal.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from strings import lang as session_lang

from phusong.i18n import formats as _f


def _lang(language: str | None) -> str:
    return language or session_lang()


def pct(value: Any, decimals: int = 1, language: str | None = None) -> str:
    """A percentage [%] (rounded down): ``85,0 %`` / ``85.0%``."""
    return _f.fmt_pct(value, _lang(language), decimals)


def target(value: Any, language: str | None = None) -> str:
    """A goal target [%]: no decimals when whole (``99 %``), else one (``99,5 %``)."""
    return pct(value, 0 if float(value).is_integer() else 1, language)


def points(value: Any, decimals: int = 1, language: str | None = None, sign: bool = True) -> str:
    """A change of a percentage [percentage points], signed: ``+2,5 điểm %``."""
    return _f.fmt_points(value, _lang(language), decimals, sign=sign)


def count(value: Any, language: str | None = None) -> str:
    """A whole number with grouped thousands: ``1.315.542`` / ``1,315,542``."""
    return _f.fmt_int(value, _lang(language))


def number(value: Any, decimals: int = 1, language: str | None = None) -> str:
    """A number with ``decimals`` decimals: ``3,5`` / ``3.5``."""
    return _f.fmt_decimal(value, _lang(language), decimals)


def people(value: Any, language: str | None = None) -> str:
    """A number of people: ``1.315.542 người`` / ``1,315,542 people``."""
    return _f.fmt_people(value, _lang(language))


def km2(value: Any, decimals: int = 1, language: str | None = None) -> str:
    """An area [km²]: ``3.358,6 km²`` / ``3,358.6 km²``."""
    return _f.fmt_km2(value, _lang(language), decimals)


def unit(value: Any, symbol: str, decimals: int = 0, language: str | None = None) -> str:
    """A number with a unit symbol: ``-110 dBm``, ``300 m``."""
    return _f.fmt_unit(value, symbol, _lang(language), decimals)


def compact(value: Any, language: str | None = None) -> str:
    """A large number in words, three significant digits: ``1,23 triệu`` / ``1.23 million``.

    Below 10,000 the number is written in full (``9.876``).
    """
    code = _lang(language)
    if _f.is_missing(value):
        return _f.missing_text(code)
    if abs(float(value)) < 10_000:
        return count(value, code)
    from babel.numbers import format_compact_decimal

    x = float(value)
    whole = len(str(int(abs(x) / 1000 ** int(math.log10(abs(x)) // 3))))  # digits before the unit
    return str(
        format_compact_decimal(
            x, format_type="long", locale=code, fraction_digits=max(0, 3 - whole)
        )
    )


def date(value: dt.date, language: str | None = None, style: str = "long") -> str:
    """A date: ``ngày 12 tháng 3 năm 2025`` / ``12 March 2025``."""
    return _f.fmt_date(value, _lang(language), style=style)


def missing(language: str | None = None) -> str:
    """The text shown for a missing figure."""
    return _f.missing_text(_lang(language))


__all__ = ["compact", "count", "date", "km2", "missing", "number", "pct", "people", "points"]
