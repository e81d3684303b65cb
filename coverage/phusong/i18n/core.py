"""The message catalogue: languages, the current language and :func:`t`.

Messages live in one catalogue per language (:mod:`phusong.i18n.catalog.en`,
:mod:`phusong.i18n.catalog.vi`), flat dictionaries of ``key -> text`` with
keys grouped by the module that shows them (``report.*``, ``verdict.*``,
``map.*``, ``cli.*`` …). A text is a :meth:`str.format` template whose
placeholders (``{place}``) are filled from :func:`t`'s keyword arguments; a
text may instead be a mapping of plural forms (``{"one": …, "other": …}``,
CLDR categories), chosen by the keyword ``count``.
"""

from __future__ import annotations

import functools
import logging
import os
import string
from collections.abc import Mapping
from typing import Any

import markupsafe

from phusong.errors import ConfigError
from phusong.i18n.catalog import CATALOGUES, Message

log = logging.getLogger(__name__)

#: Supported languages, in the order a language switch lists them.
LANGUAGES: tuple[str, ...] = ("vi", "en")
#: Language of the command line and the Python API when none is chosen.
DEFAULT_LANGUAGE = "en"
#: Language of the Streamlit app when none is chosen.
APP_DEFAULT_LANGUAGE = "vi"
#: Environment variable that chooses the language (``vi`` or ``en``).
LANG_ENV = "PHUSONG_LANG"
#: Each language's name, written in that language (for a language switch).
LANGUAGE_NAMES: dict[str, str] = {"vi": "Tiếng Việt", "en": "English"}


def normalise_language(lang: str, *, source: str = "lang") -> str:
    """Return the supported language code for ``lang`` (``"vi-VN"`` → ``"vi"``).

    Parameters
    ----------
    lang : str
        A language code or locale name: ``vi``, ``VI``, ``vi_VN``, ``en-GB`` …
    source : str
        Where the value came from, named in the error (``--lang``, ``PHUSONG_LANG``).

    Raises
    ------
    ConfigError
        The language is not one of :data:`LANGUAGES`.
    """
    code = str(lang).strip().replace("_", "-").split("-")[0].lower()
    if code not in LANGUAGES:
        raise ConfigError(
            f"{source}={lang!r}: not a supported language; use one of {', '.join(LANGUAGES)} "
            "(vi: Tiếng Việt, en: English)."
        )
    return code


def current_language(lang: str | None = None, *, default: str = DEFAULT_LANGUAGE) -> str:
    """Return the language to use: ``lang``, else ``$PHUSONG_LANG``, else ``default``.

    Parameters
    ----------
    lang : str, optional
        An explicit choice (a ``--lang`` option, the app's switch); wins when given.
    default : str
        Used when neither ``lang`` nor :data:`LANG_ENV` is set: ``"en"`` for the
        command line and the API (:data:`DEFAULT_LANGUAGE`), ``"vi"`` for the app
        (:data:`APP_DEFAULT_LANGUAGE`).

    Returns
    -------
    str
        One of :data:`LANGUAGES`.

    Raises
    ------
    ConfigError
        ``lang`` or the environment variable names an unsupported language.
    """
    if lang:
        return normalise_language(lang)
    env = os.environ.get(LANG_ENV, "").strip()
    if env:
        return normalise_language(env, source=LANG_ENV)
    return normalise_language(default)


def catalogue(lang: str) -> Mapping[str, Message]:
    """Return the messages of one language (``key -> text or plural forms``)."""
    return CATALOGUES[normalise_language(lang)]


@functools.cache
def _plural_category(lang: str, count: int) -> str:
    """CLDR plural category of ``count`` in ``lang`` (``"one"``, ``"other"`` …), via Babel."""
    from babel import Locale

    return str(Locale.parse(lang).plural_form(abs(count)))


def _lookup(key: str, lang: str) -> Message:
    """Return the message of ``key`` in ``lang``, falling back to English (logged)."""
    messages = CATALOGUES[lang]
    if key in messages:
        return messages[key]
    if key in CATALOGUES[DEFAULT_LANGUAGE]:
        log.warning("no %s text for message %r; showing the English one", lang, key)
        return CATALOGUES[DEFAULT_LANGUAGE][key]
    raise KeyError(f"no message {key!r} in the phusong catalogue (phusong/i18n/catalog/)")


def _choose(message: Message, lang: str, kw: Mapping[str, Any]) -> str:
    """Return the text of a message: itself, or its plural form for ``kw["count"]``."""
    if isinstance(message, str):
        return message
    count = kw.get("count")
    form = _plural_category(lang, int(count)) if isinstance(count, (int, float)) else "other"
    return message.get(form, message["other"])


def t(key: str, lang: str | None = None, /, **kw: Any) -> str:
    """Return the text of ``key`` in ``lang`` with its placeholders filled.

    Parameters
    ----------
    key : str
        Message key (``"verdict.yes"``).
    lang : str, optional
        ``"vi"`` or ``"en"``; default :func:`current_language` (``$PHUSONG_LANG``,
        else English).
    **kw
        Placeholder values, already formatted (numbers through
        :mod:`phusong.i18n.formats`); ``count`` also picks the plural form.

    Returns
    -------
    str

    Raises
    ------
    KeyError
        ``key`` is in no catalogue, or a placeholder has no value.
    """
    code = current_language(lang)
    return _choose(_lookup(key, code), code, kw).format_map(kw)


def t_html(key: str, lang: str | None = None, /, **kw: Any) -> markupsafe.Markup:
    """Like :func:`t` for messages that hold markup (keys ending in ``_html``).

    The message itself is trusted HTML from the catalogue (``<b>``, ``<i>``,
    ``<code>``, ``<a href>``); every placeholder value is HTML-escaped.
    """
    code = current_language(lang)
    text = _choose(_lookup(key, code), code, kw)
    return markupsafe.Markup(text).format(**kw)


def placeholders(message: Message) -> frozenset[str]:
    """Names of the placeholders of a message (over all its plural forms)."""
    texts = [message] if isinstance(message, str) else list(message.values())
    return frozenset(
        field.split(".")[0].split("[")[0]
        for text in texts
        for _, field, _, _ in string.Formatter().parse(text)
        if field
    )


__all__ = [
    "APP_DEFAULT_LANGUAGE",
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "LANGUAGE_NAMES",
    "LANG_ENV",
    "catalogue",
    "current_language",
    "normalise_language",
    "placeholders",
    "t",
    "t_html",
]
