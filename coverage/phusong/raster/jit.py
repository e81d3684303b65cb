"""numba, imported once for the compiled kernels (:mod:`~phusong.raster.compiled`, :mod:`~phusong.raster.terrain`)."""

from __future__ import annotations

import importlib.util
import sys
from typing import Any


def import_numba() -> Any:
    """Import numba, hiding the project's ``coverage/`` source folder from it.

    numba imports ``coverage`` (coverage.py) when it can; run from the project
    root, Python finds the ``coverage/`` folder that holds this library as an
    empty namespace package instead, and numba's import fails. When
    ``coverage`` is such a namespace package it is hidden while numba loads
    (a real coverage.py installation is used as is).
    """
    spec = None
    if "coverage" not in sys.modules:
        try:
            spec = importlib.util.find_spec("coverage")
        except (ImportError, ValueError):
            spec = None
    hide = spec is not None and spec.origin in (None, "namespace")
    if hide:
        sys.modules["coverage"] = None  # type: ignore[assignment,unused-ignore]
    try:
        import numba
    finally:
        if hide:
            del sys.modules["coverage"]
    return numba


#: The numba module.
numba = import_numba()
#: ``numba.njit``.
njit = numba.njit

__all__ = ["import_numba", "njit", "numba"]
