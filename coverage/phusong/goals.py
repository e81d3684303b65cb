"""Coverage goals: does a ward (or the city) meet its target, and by how much not.

The default goal is Hà Nội's: 5G covering **99 % of the population by 2030**
(plan 58/KH-UBND, 26 Feb 2025; the national strategy, Decision 1132/QĐ-TTg,
sets the same figure).

The plans set more than one dated number: a :class:`GoalSet` holds
:class:`Target` objects (coverage by 2030, mean download speed, every target
place covered by its deadline, custom ones), and :func:`judge_goals` judges
each against an "as of" date: **met**, **on track** (this year's pace,
continued in a straight line, reaches it by the deadline), **behind**,
**overdue** (deadline passed, not met) or **pending** (no trajectory to judge
the pace by). The pace arithmetic (:func:`current_pace`,
:func:`needed_pace`, :func:`date_reached`) is plain and checked by hand in
the tests.
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


# ---------------------------------------------------------------------------
# Issue #15: a goal set of dated targets, each judged against an "as of" date
# ---------------------------------------------------------------------------
#: How a target stands on the "as of" date.
Status = Literal["met", "on track", "behind", "overdue", "pending"]

#: Every status, best first. ``pending``: not met, deadline ahead, and no
#: trajectory to judge the pace by (a network without on-air dates).
STATUSES: tuple[str, ...] = ("met", "on track", "behind", "overdue", "pending")

#: Days per year in pace arithmetic (Julian year).
DAYS_PER_YEAR = 365.25


def end_of_year(year: int) -> pd.Timestamp:
    """31 December of ``year``: the deadline of a target "by <year>"."""
    return pd.Timestamp(year=int(year), month=12, day=31)


@dataclass(frozen=True)
class Target:
    """One dated target of a goal set.

    Parameters
    ----------
    key : str
        Short id (``coverage``, ``speed``, ``places:2025-12-31``, or a custom key).
    label : str
        What is measured, in words (``5G population coverage``).
    metric : str
        Key of the figure judged (``population_coverage_pct``,
        ``mean_throughput_mbps``, ``places_covered_pct:2025-12-31``, …).
    target : float
        Value to reach (at least) [``unit``].
    unit : str
        ``%`` or ``Mbit/s``.
    deadline : pandas.Timestamp
        Date by which it must be reached (inclusive).
    source : str
        Where it comes from (plan 58/KH-UBND, plan 310/KH-UBND, custom target).
    """

    key: str
    label: str
    metric: str
    target: float
    unit: str
    deadline: pd.Timestamp
    source: str

    def describe(self) -> str:
        """One line such as ``"5G population coverage ≥ 99% by 31 Dec 2030 (plan 58/KH-UBND)"``."""
        value = f"{self.target:g}{'' if self.unit == '%' else ' '}{self.unit}"
        return f"{self.label} ≥ {value} by {self.deadline:%d %b %Y} ({self.source})"

    def as_dict(self) -> dict[str, object]:
        """JSON-able form (the deadline as an ISO date)."""
        d = asdict(self)
        d["deadline"] = f"{self.deadline:%Y-%m-%d}"
        d["description"] = self.describe()
        return d


def coverage_target(goal: Goal) -> Target:
    """Return the coverage goal as a dated target (due 31 December of ``goal.year``)."""
    label = "5G population coverage" if goal.metric == "population" else "5G area coverage"
    return Target("coverage", label, goal.column, float(goal.target_pct), "%",
                  end_of_year(goal.year), goal.source)  # fmt: skip


def speed_target(mbps: float = 100.0, year: int = 2030, source: str | None = None) -> Target:
    """Plan 58's speed target: mean 5G download ≥ ``mbps`` by ``year``.

    The mean is population-weighted over the people with 5G service
    (:mod:`phusong.speed`). A value other than plan 58's 100 Mbit/s by 2030
    is labelled a custom target.
    """
    is_plan = float(mbps) == 100.0 and int(year) == 2030
    src = source or ("Hà Nội plan 58/KH-UBND (2025)" if is_plan else "custom target")
    return Target("speed", "mean 5G download", "mean_throughput_mbps", float(mbps), "Mbit/s",
                  end_of_year(year), src)  # fmt: skip


def places_target(deadline: pd.Timestamp, kinds: str, source: str) -> Target:
    """Every target place due on ``deadline`` covered (100 % of them) by then.

    Parameters
    ----------
    deadline : Timestamp
        The places' deadline.
    kinds : str
        The kinds of place concerned, in words (``industrial park, airport``).
    source : str
        The plan(s) that set the deadline.
    """
    day = f"{pd.Timestamp(deadline):%Y-%m-%d}"
    return Target(f"places:{day}", f"target places covered ({kinds})",
                  f"places_covered_pct:{day}", 100.0, "%", pd.Timestamp(deadline), source)  # fmt: skip


@dataclass(frozen=True)
class GoalSet:
    """Dated targets judged together (coverage by 2030, speed, milestones, custom ones).

    Parameters
    ----------
    targets : tuple of Target
        The targets, in the order they are shown.
    """

    targets: tuple[Target, ...]

    def __post_init__(self) -> None:
        keys = [t.key for t in self.targets]
        if len(set(keys)) != len(keys):
            raise ConfigError(f"goals: target keys must be unique, got {keys}.")

    @classmethod
    def of(cls, goal: Goal, *extra: Target) -> GoalSet:
        """Make the set: the coverage goal, then ``extra`` targets."""
        return cls((coverage_target(goal), *extra))

    def keys(self) -> list[str]:
        """Target keys, in order."""
        return [t.key for t in self.targets]

    def select(self, keys: tuple[str, ...] | list[str] | None) -> GoalSet:
        """Only the targets whose key (or key prefix before ``:``) is in ``keys``.

        Raises
        ------
        ConfigError
            A key that matches no target (the message lists the valid ones).
        """
        if not keys:
            return self
        wanted = [str(k).strip() for k in keys]
        unknown = [k for k in wanted if not any(t.key == k or t.key.split(":")[0] == k
                                                for t in self.targets)]  # fmt: skip
        if unknown:
            raise ConfigError(
                f"goals: {', '.join(unknown)} not among the targets that apply here: "
                f"{', '.join(self.keys())}."
            )
        chosen = tuple(t for t in self.targets if t.key in wanted or t.key.split(":")[0] in wanted)
        return GoalSet(chosen)


def years_between(start: pd.Timestamp, end: pd.Timestamp) -> float:
    """Years from ``start`` to ``end`` (days / 365.25; negative when ``end`` is earlier)."""
    return (pd.Timestamp(end) - pd.Timestamp(start)).days / DAYS_PER_YEAR


def needed_pace(value: float, target: float, as_of: pd.Timestamp, deadline: pd.Timestamp) -> float:
    """Straight-line pace needed to reach ``target`` from ``value`` by ``deadline`` [units/year].

    ``(target − value) / years(as_of → deadline)``; 0 when already reached;
    ``inf`` when the deadline is today or past and the target is not reached.
    """
    gap = float(target) - float(value)
    if gap <= 0:
        return 0.0
    years = years_between(as_of, deadline)
    return gap / years if years > 0 else float("inf")


def current_pace(
    dates: list[pd.Timestamp] | pd.DatetimeIndex | np.ndarray,
    values: list[float] | np.ndarray,
    window_days: float = 365,
) -> tuple[float, pd.Timestamp | None]:
    """Return this year's pace: the straight line through the last value and the one a year before.

    Parameters
    ----------
    dates : sequence of dates
        Dates of the series, ascending.
    values : sequence of float
        Values at those dates.
    window_days : float
        Look-back [days]: the latest date at least this far before the last
        one is taken (or the first date, when the series is shorter); 365, so
        that the same day a calendar year earlier counts.

    Returns
    -------
    (float, Timestamp or None)
        Pace [units/year] and the start date of the window; ``(nan, None)``
        with fewer than two dates.
    """
    d = pd.DatetimeIndex(pd.to_datetime(np.asarray(dates)))
    v = np.asarray(values, dtype="float64")
    if len(d) < 2:
        return float("nan"), None
    last = d[-1]
    earlier = np.flatnonzero((last - d).days >= window_days)
    i = int(earlier[-1]) if len(earlier) else 0
    years = years_between(d[i], last)
    if years <= 0:
        return float("nan"), None
    return float((v[-1] - v[i]) / years), d[i]


def date_reached(
    value: float, target: float, as_of: pd.Timestamp, pace_per_year: float
) -> pd.Timestamp | None:
    """Date the target is reached at a constant pace: ``as_of + (target − value) / pace``.

    ``as_of`` when already reached; ``None`` when the pace is not positive or
    unknown (never at this pace), or beyond the year 2200.
    """
    gap = float(target) - float(value)
    if gap <= 0:
        return pd.Timestamp(as_of)
    if not np.isfinite(pace_per_year) or pace_per_year <= 0:
        return None
    years = gap / pace_per_year
    if years > 2200 - pd.Timestamp(as_of).year:
        return None
    return pd.Timestamp(as_of) + pd.Timedelta(days=round(years * DAYS_PER_YEAR))


@dataclass(frozen=True)
class TargetStatus:
    """How one target stands on the "as of" date.

    Attributes
    ----------
    target : Target
        The target.
    value : float
        The figure judged (NaN when it could not be computed).
    status : str
        One of :data:`STATUSES`.
    as_of : pandas.Timestamp
        The date judged at.
    pace_per_year : float
        Current pace [units/year] (NaN: unknown).
    needed_per_year : float
        Straight-line pace needed to reach the target by its deadline.
    reached_on : pandas.Timestamp or None
        When the current pace reaches the target (``None``: never or unknown).
    note : str
        The reason, in words.
    """

    target: Target
    value: float
    status: str
    as_of: pd.Timestamp
    pace_per_year: float = float("nan")
    needed_per_year: float = float("nan")
    reached_on: pd.Timestamp | None = None
    note: str = ""

    @property
    def met(self) -> bool:
        """Whether the target is met on the "as of" date."""
        return self.status == "met"

    def as_dict(self) -> dict[str, object]:
        """JSON-able form (dates as ISO strings)."""
        return {
            **self.target.as_dict(),
            "value": self.value,
            "status": self.status,
            "as_of": f"{self.as_of:%Y-%m-%d}",
            "pace_per_year": self.pace_per_year,
            "needed_per_year": self.needed_per_year,
            "reached_on": None if self.reached_on is None else f"{self.reached_on:%Y-%m-%d}",
            "note": self.note,
        }


#: Why a target is pending, by default.
NO_PACE_NOTE = "no trajectory: run 'phusong progress' on sites with on-air dates to judge the pace"


def judge_target(
    target: Target,
    value: float,
    as_of: pd.Timestamp,
    pace_per_year: float = float("nan"),
    no_pace_note: str = NO_PACE_NOTE,
) -> TargetStatus:
    """Judge one target on ``as_of``: met, on track, behind, overdue or pending.

    Parameters
    ----------
    target : Target
        The target.
    value : float
        The figure on ``as_of`` (NaN: not computed → ``pending`` or ``overdue``).
    as_of : Timestamp
        The date judged at.
    pace_per_year : float
        Current pace [units/year]; NaN when there is no trajectory.
    no_pace_note : str
        The note of a ``pending`` target (why there is no pace).

    Returns
    -------
    TargetStatus

    Notes
    -----
    met: value ≥ target (with a 1e-9 tolerance). Otherwise overdue when
    ``as_of`` is after the deadline; else on track when the current pace,
    continued in a straight line, reaches the target by the deadline, behind
    when it does not, and pending when the pace is unknown.
    """
    as_of = pd.Timestamp(as_of)
    have = value == value
    needed = needed_pace(value, target.target, as_of, target.deadline) if have else float("nan")
    reached = date_reached(value, target.target, as_of, pace_per_year) if have else None
    if have and value >= target.target - 1e-9:
        status, note = "met", "reached"
    elif as_of > target.deadline:
        status, note = "overdue", f"deadline {target.deadline:%d %b %Y} passed"
    elif not have:
        status, note = "pending", "not computed for this run"
    elif not np.isfinite(pace_per_year):
        status, note = "pending", no_pace_note
    elif reached is not None and reached <= target.deadline:
        status, note = "on track", f"this pace reaches it on {reached:%d %b %Y}"
    else:
        when = f"only on {reached:%d %b %Y}" if reached is not None else "never"
        status, note = (
            "behind",
            f"this pace reaches it {when}; needs {needed:.2f} {target.unit}/year",
        )
    return TargetStatus(target, float(value), status, as_of, float(pace_per_year),
                        needed, reached, note)  # fmt: skip


def judge_goals(
    goals: GoalSet,
    figures: dict[str, float],
    as_of: pd.Timestamp,
    paces: dict[str, float] | None = None,
) -> list[TargetStatus]:
    """Judge every target of ``goals`` from ``figures`` (keyed by each target's metric).

    Parameters
    ----------
    goals : GoalSet
        The targets.
    figures : dict
        Metric key -> value on ``as_of`` (missing = not computed).
    as_of : Timestamp
        The date judged at.
    paces : dict, optional
        Metric key -> current pace [units/year].
    """
    paces = paces or {}
    return [
        judge_target(
            t,
            float(figures.get(t.metric, float("nan"))),
            as_of,
            float(paces.get(t.metric, float("nan"))),
        )
        for t in goals.targets
    ]
