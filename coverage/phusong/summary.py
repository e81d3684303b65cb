"""Plain JSON-able figures: the conversion every ``summary.json`` goes through."""

from __future__ import annotations

from typing import Any

import numpy as np


def jsonable(obj: Any) -> Any:
    """Return a copy of ``obj`` that :mod:`json` can write.

    Dict keys become strings, tuples become lists, numpy scalars become
    Python numbers, and NaN or infinite floats become ``None`` (JSON has no
    NaN).
    """
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        f = float(obj)
        return None if not np.isfinite(f) else f
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def population_label(source: str) -> str:
    """Plain-words description of a ``population_source`` code.

    ``"uniform:official"`` → each ward's official population spread evenly over
    its area; ``"raster:<file>"`` → people per pixel from that raster;
    ``"dasymetric:<file>"`` → that raster's people as weights, rescaled within
    each ward to its official total (:mod:`phusong.dasymetric`).
    """
    kind, _, detail = str(source).partition(":")
    if kind == "uniform":
        return "official ward population, spread evenly over each ward"
    if kind == "raster":
        return f"population raster {detail} (people per pixel)"
    if kind == "dasymetric":  # physics (issue #12): raster weights, official ward totals
        return f"{detail} weights rescaled to each ward's official population"
    return str(source)


__all__ = ["jsonable", "population_label"]
