"""The per-ward coverage table, built in one place for every route.

Each route — exact footprints (:mod:`phusong.vector.aggregate`), the raster
grid (:mod:`phusong.raster.zonal`) and the tiled raster
(:mod:`phusong.raster.distributed`) — ends with the same sums per ward and
per group ("any", then each operator): area and people per redundancy class
(0, 1, 2–4, 5+ serving sites), the covered area and people, and the ward's
total area and population. :func:`ward_coverage_table` turns them into the
long table of :data:`phusong.schema.WARD_COVERAGE_COLUMNS`, so the routes
cannot disagree on its layout, units or percentages.

Percentages
-----------
``covered / total × 100``, clipped to 0–100. Where the total is 0 or unknown
(a ward of zero area, a ward with 0 people or with an unknown population) the
percentage is undefined: NaN, never 0 %. :func:`phusong.goals.evaluate`
counts a NaN percentage as not meeting the goal.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from phusong.schema import REDUNDANCY_CLASSES, WARD_COVERAGE_COLUMNS

#: Number of redundancy classes (0, 1, 2–4, 5+ serving sites).
N_CLASSES = len(REDUNDANCY_CLASSES)


def coverage_pct(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    """Share of ``whole`` in ``part`` [%], clipped to 0–100; NaN where ``whole`` is not > 0.

    Parameters
    ----------
    part, whole : ndarray
        Covered and total amounts, in the same unit (m² or people).

    Returns
    -------
    ndarray
        float64 percentage.
    """
    part = np.asarray(part, dtype="float64")
    whole = np.asarray(whole, dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        pct = np.where(whole > 0, part / whole * 100.0, np.nan)
    return np.clip(pct, 0.0, 100.0)


def ward_coverage_table(
    ward_ids: Sequence[Any] | np.ndarray,
    groups: Sequence[str],
    *,
    area_m2: np.ndarray,
    population: np.ndarray,
    class_area_m2: np.ndarray,
    class_people: np.ndarray,
    covered_area_m2: np.ndarray | None = None,
    covered_people: np.ndarray | None = None,
) -> pd.DataFrame:
    """Build the long per-ward coverage table from per-ward, per-group sums.

    Parameters
    ----------
    ward_ids : sequence
        Ward ids, one per ward, in the order of the rows wanted (as text).
    groups : sequence of str
        Operator groups, ``"any"`` first, in the order of the rows wanted.
    area_m2 : ndarray, shape (n_wards,)
        Ward area in an equal-area CRS [m²].
    population : ndarray, shape (n_wards,)
        Ward population [people]; NaN when unknown.
    class_area_m2 : ndarray, shape (n_wards, n_groups, 4)
        Area per redundancy class (0, 1, 2–4, 5+ serving sites) [m²].
    class_people : ndarray, shape (n_wards, n_groups, 4)
        People per redundancy class [people].
    covered_area_m2, covered_people : ndarray, shape (n_wards, n_groups), optional
        Area [m²] and people [people] with at least one server; default the
        sum of the classes 1, 2–4 and 5+ (give them when a route measures
        them directly, e.g. as the area covered at least once).

    Returns
    -------
    DataFrame
        Columns exactly :data:`phusong.schema.WARD_COVERAGE_COLUMNS` with
        their dtypes, one row per ward × group (ward-major, groups in the
        given order). Areas in km² are area-weighted; people figures are
        population-weighted. Percentages follow :func:`coverage_pct`: NaN for a
        ward of zero area, or with 0 or unknown people.
    """
    n_wards, n_groups = len(ward_ids), len(groups)
    shape = (n_wards * n_groups, N_CLASSES)
    a = np.asarray(class_area_m2, dtype="float64").reshape(shape)
    p = np.asarray(class_people, dtype="float64").reshape(shape)
    cov_a = a[:, 1:].sum(axis=1) if covered_area_m2 is None else np.ravel(covered_area_m2)
    cov_p = p[:, 1:].sum(axis=1) if covered_people is None else np.ravel(covered_people)
    area_all = np.repeat(np.asarray(area_m2, dtype="float64"), n_groups)
    pop_all = np.repeat(np.asarray(population, dtype="float64"), n_groups)
    ids = np.asarray(pd.array(list(ward_ids), dtype="string"), dtype=object)
    cols: dict[str, Any] = {
        "ward_id": pd.array(np.repeat(ids, n_groups), dtype="string"),
        "operator": pd.array(np.tile(np.asarray(list(groups), dtype=object), n_wards)),
        "area_km2": area_all / 1e6,
        "covered_area_km2": cov_a / 1e6,
        "area_coverage_pct": coverage_pct(cov_a, area_all),
        "population": pop_all,
        "covered_population": cov_p,
        "population_coverage_pct": coverage_pct(cov_p, pop_all),
    }
    for k, label in enumerate(REDUNDANCY_CLASSES):
        cols[f"area_km2_servers_{label}"] = a[:, k] / 1e6
    for k, label in enumerate(REDUNDANCY_CLASSES):
        cols[f"population_servers_{label}"] = p[:, k]
    table = pd.DataFrame(cols)
    for name, (dtype, _meaning) in WARD_COVERAGE_COLUMNS.items():
        table[name] = table[name].astype(dtype)
    return table[list(WARD_COVERAGE_COLUMNS)]


__all__ = ["N_CLASSES", "coverage_pct", "ward_coverage_table"]
