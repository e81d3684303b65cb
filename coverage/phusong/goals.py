"""Coverage goals: does a ward (or the city) meet its target, and by how much not.

The default goal is Hà Nội's: 5G covering **99 % of the population by 2030**
(plan 58/KH-UBND, 26 Feb 2025; the national strategy, Decision 1132/QĐ-TTg,
sets the same figure).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np
import pandas as pd

from phusong.errors import ConfigError

GoalMetric = Literal["population", "area"]


@dataclass(frozen=True)
class Goal:
    """A coverage goal.

    Parameters
    ----------
    target_pct : float
        Target coverage [%], 0–100. Default 99.
    metric : {"population", "area"}
        Population-weighted (share of people) or area-weighted (share of land).
    year : int
        Year the target is due.
    source : str
        Where the target comes from.
    """

    target_pct: float = 99.0
    metric: GoalMetric = "population"
    year: int = 2030
    source: str = "Hà Nội plan 58/KH-UBND (2025)"

    def __post_init__(self) -> None:
        if not 0.0 <= float(self.target_pct) <= 100.0 or np.isnan(self.target_pct):
            raise ConfigError(
                f"goal: target_pct must be between 0 and 100, got {self.target_pct!r}."
            )
        if self.metric not in ("population", "area"):
            raise ConfigError(f"goal: metric must be 'population' or 'area', got {self.metric!r}.")

    @classmethod
    def target(cls, target_pct: float = 99.0, metric: GoalMetric = "population") -> Goal:
        """Make a goal for ``target_pct`` of ``metric``, credited to plan 58 only if it is its goal.

        ``Goal.target(99)`` is Hà Nội's goal; any other target or metric is
        labelled "custom target" so that no figure is attributed to the plan
        that it does not set.
        """
        is_plan = float(target_pct) == 99.0 and metric == "population"
        return cls(float(target_pct), metric, 2030, cls.source if is_plan else "custom target")

    @property
    def column(self) -> str:
        """Name of the coverage column the goal is judged on."""
        return f"{self.metric}_coverage_pct"

    def describe(self) -> str:
        """One line such as ``"99% of the population by 2030 (Hà Nội plan 58/KH-UBND (2025))"``."""
        what = "the population" if self.metric == "population" else "the area"
        return f"{self.target_pct:g}% of {what} by {self.year} ({self.source})"

    def as_dict(self) -> dict[str, object]:
        """JSON-able form."""
        return asdict(self)


def evaluate(
    table: pd.DataFrame,
    goal: Goal,
    *,
    city_population: float | None = None,
    city_area_km2: float | None = None,
) -> pd.DataFrame:
    """Judge every row of a coverage table against a goal.

    Parameters
    ----------
    table : DataFrame
        Rows with ``area_km2``, ``covered_area_km2``, ``population``,
        ``covered_population`` and the two ``*_coverage_pct`` columns (one row
        per ward, or per ward × operator).
    goal : Goal
        The goal.
    city_population, city_area_km2 : float, optional
        Totals the city figure is computed over [people], [km²]; by default the
        sums of ``table`` (right for one row per ward).

    Returns
    -------
    DataFrame
        A copy with added columns: ``meets_goal`` (bool), ``shortfall_population``
        (people that must gain service for the ward to reach the target),
        ``shortfall_area_km2`` (likewise [km²]), ``uncovered_population``,
        ``uncovered_area_km2``, ``city_gain_pct`` (points the city figure, in the
        goal's metric, gains if the ward's whole gap is closed) and
        ``city_gain_to_target_pct`` (points gained if the ward is brought just
        to the target).

    Notes
    -----
    shortfall = max(0, target/100 × total − covered). A ward with no people
    (population 0) meets a population goal trivially; a ward with unknown
    population (NaN) does not meet it and has NaN shortfalls.
    """
    out = table.copy()
    t = goal.target_pct / 100.0
    pop = out["population"].astype("float64")
    cov_pop = out["covered_population"].astype("float64")
    area = out["area_km2"].astype("float64")
    cov_area = out["covered_area_km2"].astype("float64")
    out["uncovered_population"] = (pop - cov_pop).clip(lower=0.0)
    out["uncovered_area_km2"] = (area - cov_area).clip(lower=0.0)
    out["shortfall_population"] = (t * pop - cov_pop).clip(lower=0.0)
    out["shortfall_area_km2"] = (t * area - cov_area).clip(lower=0.0)
    # Tolerance: a percentage printed as 99.00 must not fail a 99 goal by 1e-12.
    pct = out[goal.column].astype("float64")
    out["meets_goal"] = (pct >= goal.target_pct - 1e-9) & pct.notna()
    if goal.metric == "population":
        total = float(pop.sum()) if city_population is None else float(city_population)
        gain = out["uncovered_population"]
        gain_target = out["shortfall_population"]
    else:
        total = float(area.sum()) if city_area_km2 is None else float(city_area_km2)
        gain = out["uncovered_area_km2"]
        gain_target = out["shortfall_area_km2"]
    scale = 100.0 / total if total > 0 else np.nan
    out["city_gain_pct"] = gain * scale
    out["city_gain_to_target_pct"] = gain_target * scale
    return out


def rank_wards(evaluated: pd.DataFrame) -> pd.DataFrame:
    """Order wards by what closing their gap adds to the city figure (largest first).

    Adds ``rank`` (1 = holds the city back the most). Ties are broken by
    ``ward_id`` so that the order is deterministic.
    """
    order = evaluated.sort_values(
        ["city_gain_pct", "ward_id"], ascending=[False, True], kind="mergesort"
    ).index
    out = evaluated.loc[order].copy()
    out["rank"] = np.arange(1, len(out) + 1)
    return out


def city_figures(table: pd.DataFrame) -> dict[str, float]:
    """City-wide totals and percentages from a one-row-per-ward table.

    Returns
    -------
    dict
        ``area_km2``, ``covered_area_km2``, ``area_coverage_pct`` (area-weighted),
        ``population``, ``covered_population``, ``population_coverage_pct``
        (population-weighted), ``uncovered_population``.
    """
    area = float(table["area_km2"].sum())
    cov_area = float(table["covered_area_km2"].sum())
    pop = (
        float(table["population"].sum(min_count=1))
        if table["population"].notna().any()
        else float("nan")
    )
    cov_pop = float(table["covered_population"].sum())
    return {
        "area_km2": area,
        "covered_area_km2": cov_area,
        "area_coverage_pct": 100.0 * cov_area / area if area > 0 else float("nan"),
        "population": pop,
        "covered_population": cov_pop,
        "population_coverage_pct": 100.0 * cov_pop / pop if pop and pop > 0 else float("nan"),
        "uncovered_population": max(pop - cov_pop, 0.0) if pop == pop else float("nan"),
    }


def meets(figures: dict[str, float], goal: Goal) -> bool:
    """Whether city-wide figures (from :func:`city_figures`) meet ``goal``."""
    value = figures[goal.column]
    return bool(value == value and value >= goal.target_pct - 1e-9)
