r"""Vietnamese and English for everything a user reads: messages and number formats.

One catalogue per language (:mod:`phusong.i18n.catalog.vi`,
:mod:`phusong.i18n.catalog.en`) holds every sentence, label and legend of the
library, keyed by the module that shows it; :func:`t` looks a key up and fills
its placeholders. Numbers and dates are formatted by the functions of
:mod:`phusong.i18n.formats` (Babel, CLDR data), never by hand.

Examples
--------
>>> from phusong.i18n import t, fmt_pct, fmt_int, fmt_people, fmt_km2, fmt_date
>>> t("verdict.label.no", "vi")
'CHƯA ĐẠT'
>>> t("unit.points", "en", value="13.9")
'13.9 points'
>>> fmt_pct(85.16, "vi"), fmt_pct(85.16, "en")   # rounded down; NBSP before % in vi
('85,1\xa0%', '85.1%')
>>> fmt_int(1315542, "vi"), fmt_int(1315542, "en")
('1.315.542', '1,315,542')
>>> fmt_people(1315542, "vi"), fmt_people(1, "en")
('1.315.542 người', '1 person')
>>> fmt_km2(3358.64, "vi")
'3.358,6\xa0km²'
>>> import datetime; fmt_date(datetime.date(2025, 3, 12), "vi")
'ngày 12 tháng 3 năm 2025'

The language
------------
:func:`current_language` decides: an explicit ``lang`` argument (a ``--lang``
option, the app's switch), else the environment variable ``PHUSONG_LANG``,
else the default: English for the command line and the Python API
(:data:`DEFAULT_LANGUAGE`), Vietnamese for the app (pass
``default=APP_DEFAULT_LANGUAGE``). Every renderer of :mod:`phusong.output`
takes ``lang=None`` and resolves it the same way.

Adding a message
----------------
Add the key to **both** catalogues, in the block of the module that shows it,
with the same ``{placeholders}``; ``tests/test_i18n.py`` fails otherwise.
Pass numbers already formatted (``t("summary.wards", lang, n=fmt_int(n, lang))``);
a message with plural forms is a dict (``{"one": …, "other": …}``) chosen by
the keyword ``count``. Messages that carry markup end in ``_html`` and are
rendered with :func:`t_html` (placeholder values are escaped).
"""

from __future__ import annotations

from phusong.i18n.core import (
    APP_DEFAULT_LANGUAGE,
    DEFAULT_LANGUAGE,
    LANG_ENV,
    LANGUAGE_NAMES,
    LANGUAGES,
    catalogue,
    current_language,
    normalise_language,
    placeholders,
    t,
    t_html,
)
from phusong.i18n.formats import (
    NBSP,
    fmt_date,
    fmt_decimal,
    fmt_int,
    fmt_km2,
    fmt_pct,
    fmt_people,
    fmt_points,
    fmt_unit,
    is_missing,
    missing_text,
    round_down,
)

__all__ = [
    "APP_DEFAULT_LANGUAGE",
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "LANGUAGE_NAMES",
    "LANG_ENV",
    "NBSP",
    "catalogue",
    "current_language",
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
    "normalise_language",
    "placeholders",
    "round_down",
    "t",
    "t_html",
]
