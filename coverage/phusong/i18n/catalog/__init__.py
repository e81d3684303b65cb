"""The message catalogues, one module per language: :mod:`.en` and :mod:`.vi`.

Both hold the same keys with the same placeholders (``tests/test_i18n.py``
checks it). To add a message, add its key to **both** files, in the block of
the module that shows it.

The help of a command-line option is the exception: its English is the
``help=`` text of :mod:`phusong.options` (:mod:`.en` adds it under
:func:`option_help_key`'s key); only :mod:`.vi` writes it out.
"""

from __future__ import annotations

from collections.abc import Mapping

from phusong.i18n.catalog import en, vi
from phusong.i18n.catalog.en import option_help_key

#: A message: a :meth:`str.format` template, or plural forms by CLDR category
#: (``{"one": "{n} site", "other": "{n} sites"}``; ``other`` is required).
Message = str | Mapping[str, str]

#: Messages by language code.
CATALOGUES: dict[str, Mapping[str, Message]] = {"en": en.MESSAGES, "vi": vi.MESSAGES}

__all__ = ["CATALOGUES", "Message", "option_help_key"]
