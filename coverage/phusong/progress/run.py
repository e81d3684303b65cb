"""``run_progress``: are we on track for 2030? Coverage over time, the pace, the targets.

A planner's questions, answered from a site file with on-air dates
(:mod:`phusong.progress.rollout`):

- **the trajectory**: population and area coverage, sites and wards meeting
  the goal at the end of every quarter (or year, or month) from the first
  on-air date to the "as of" date (:mod:`phusong.progress.series` computes all dates
  from one grid or one set of footprints);
- **the pace**: this year's pace (the straight line through the last figure
  and the figure a year earlier, :func:`phusong.goals.current_pace`), the
  straight-line pace needed to reach the target by its deadline
  (:func:`phusong.goals.needed_pace`) and the date this year's pace would
  reach it (:func:`phusong.goals.date_reached`);
- **the targets**: every target of the goal set (coverage by 2030, speed,
  target places by their deadlines) judged on the "as of" date — met, on
  track, behind, overdue — with the pace where there is a trajectory;
- optionally the **sites needed**: the planner's number of new sites to
  reach the coverage goal from the network of the last date
  (:func:`phusong.planning.propose_sites`, its estimate, not re-audited),
  and that number per year until the deadline.

Cells without an on-air date are left out of every date (counted in the
summary); cells dated after the "as of" date too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from phusong import __version__
from phusong.audit import AuditResult, ProgressFn, run_audit
from phusong.coverage_table import coverage_pct
from phusong.errors import ConfigError
from phusong.goals import (
    Goal,
    TargetStatus,
    current_pace,
    date_reached,
    judge_goals,
    needed_pace,
)
from phusong.options import PROGRESS, check
from phusong.progress.rollout import as_of_date, first_on_air, on_air_mask, series_dates, today
from phusong.progress.series import (
    CoverageSeries,
    dasymetric_vector_series,
    raster_series,
    series_from_tables,
    vector_series,
)
from phusong.summary import jsonable

log = logging.getLogger(__name__)

__all__ = [
    "PROGRESS_COLUMNS",
    "ProgressRun",
    "pace_figures",
    "progress_table",
    "run_progress",
]

#: Columns of ``progress.csv`` (:func:`progress_table`), in order.
PROGRESS_COLUMNS = (
    "date",
    "population_coverage_pct",
    "area_coverage_pct",
    "covered_population",
    "population",
    "covered_area_km2",
    "area_km2",
    "cells_on_air",
    "sites_on_air",
    "wards_meeting_goal",
    "n_wards",
    "synthetic",
)

#: Why the audit of the last date has no pace of its own (shown for targets without a series).
NO_SERIES_NOTE = "no series for this target (only the coverage has one)"


@dataclass
class ProgressRun:
    """Everything :func:`run_progress` produced.

    Attributes
    ----------
    table : DataFrame
        One row per date, :data:`PROGRESS_COLUMNS`.
    statuses : list of TargetStatus
        Every target of the goal set judged on the last date, with the pace
        where there is a trajectory.
    pace : dict
        The pace arithmetic of the coverage goal (see :func:`pace_figures`).
    summary : dict
        JSON-able: dates, figures, pace, targets, required sites, the method
        and every parameter (``progress_summary.json``).
    audit : AuditResult
        The full audit of the last date (the network as of then).
    series : CoverageSeries
        Per ward and date, covered area and people.
    """

    table: pd.DataFrame
    statuses: list[TargetStatus]
    pace: dict[str, Any]
    summary: dict[str, Any]
    audit: AuditResult
    series: CoverageSeries = field(repr=False)

    @property
    def goals_met(self) -> bool:
        """Whether every chosen target is met on the last date."""
        return all(s.met for s in self.statuses)

    def chart_table(self) -> pd.DataFrame:
        """Return a chart-ready table: the series, then the straight lines to the deadline.

        Columns ``date``, ``population_coverage_pct`` (the trajectory; NaN on
        the projected rows), ``needed_pct`` (the straight line from the last
        figure to the target on its deadline), ``pace_pct`` (this year's pace
        continued) and ``target_pct``.
        """
        return chart_table(self.table, self.pace)


def _ward_meets(series: CoverageSeries, goal: Goal) -> np.ndarray:
    """Wards meeting the goal on each date, ``(n_dates,)``: pct ≥ target (NaN never meets)."""
    if goal.metric == "population":
        pct = coverage_pct(series.covered_people, series.ward_population[None, :])
    else:
        pct = coverage_pct(series.covered_area_m2, series.ward_area_m2[None, :])
    return ((pct >= goal.target_pct - 1e-9) & ~np.isnan(pct)).sum(axis=1)


def progress_table(
    series: CoverageSeries, sites: pd.DataFrame, goal: Goal, synthetic: bool
) -> pd.DataFrame:
    """One row per date: coverage, sites on air, wards meeting the goal (:data:`PROGRESS_COLUMNS`).

    Parameters
    ----------
    series : CoverageSeries
        Covered area and people per ward and date.
    sites : DataFrame
        The dated cells (``on_air``, ``site_id``).
    goal : Goal
        The coverage goal (wards meeting it are counted).
    synthetic : bool
        Whether the sites are synthetic (said in every row).

    Notes
    -----
    City percentages are sums over wards: population-weighted
    100 Σ covered people / Σ people, area-weighted 100 Σ covered area / Σ area.
    """
    pop = float(np.nansum(series.ward_population))
    area = float(series.ward_area_m2.sum())
    people = series.covered_people.sum(axis=1)
    covered = series.covered_area_m2.sum(axis=1)
    cells = [int(on_air_mask(sites, d).sum()) for d in series.dates]
    n_sites = [int(sites.loc[on_air_mask(sites, d), "site_id"].nunique()) for d in series.dates]
    return pd.DataFrame(
        {
            "date": [f"{d:%Y-%m-%d}" for d in series.dates],
            "population_coverage_pct": coverage_pct(people, np.full(len(people), pop)),
            "area_coverage_pct": coverage_pct(covered, np.full(len(covered), area)),
            "covered_population": people,
            "population": pop,
            "covered_area_km2": covered / 1e6,
            "area_km2": area / 1e6,
            "cells_on_air": cells,
            "sites_on_air": n_sites,
            "wards_meeting_goal": _ward_meets(series, goal),
            "n_wards": series.ward_area_m2.size,
            "synthetic": bool(synthetic),
        }
    )


def pace_figures(table: pd.DataFrame, goal: Goal, deadline: pd.Timestamp) -> dict[str, Any]:
    """Compute the pace arithmetic of the coverage goal from a progress table.

    Returns
    -------
    dict
        ``metric``, ``value`` (last figure), ``target``, ``deadline``,
        ``as_of``, ``pace_per_year`` (this year's pace [points/year]: the
        straight line through the last figure and the one a year before, or
        the first when the series is shorter), ``pace_since`` (that earlier
        date), ``needed_per_year`` (straight-line pace to reach the target by
        the deadline), ``reached_on`` (when this year's pace reaches it, or
        ``None``) and ``on_track`` (reached by the deadline).
    """
    column = goal.column
    dates = pd.to_datetime(table["date"])
    values = table[column].to_numpy(dtype="float64")
    as_of = pd.Timestamp(dates.iloc[-1])
    value = float(values[-1])
    pace, since = current_pace(dates, values)
    reached = date_reached(value, goal.target_pct, as_of, pace)
    return {
        "metric": column,
        "value": value,
        "target": float(goal.target_pct),
        "deadline": f"{deadline:%Y-%m-%d}",
        "as_of": f"{as_of:%Y-%m-%d}",
        "pace_per_year": pace,
        "pace_since": None if since is None else f"{since:%Y-%m-%d}",
        "needed_per_year": needed_pace(value, goal.target_pct, as_of, deadline),
        "reached_on": None if reached is None else f"{reached:%Y-%m-%d}",
        "reached_year": None if reached is None else int(reached.year),
        "on_track": bool(reached is not None and reached <= deadline),
        "rule": "this year's pace = (last figure − figure a year earlier) / years between; "
        "needed = (target − last figure) / years to the deadline; both straight lines",
    }


def chart_table(table: pd.DataFrame, pace: dict[str, Any]) -> pd.DataFrame:
    """Add to the series yearly points of the needed line and of this year's pace, to the deadline."""
    as_of = pd.Timestamp(pace["as_of"])
    deadline = pd.Timestamp(pace["deadline"])
    value, target = float(pace["value"]), float(pace["target"])
    years = pd.date_range(as_of, max(deadline, as_of), freq="YE").union([as_of, deadline])
    frac = np.array([(d - as_of).days for d in years]) / max((deadline - as_of).days, 1)
    pace_year = pace["pace_per_year"]
    ahead = pd.DataFrame(
        {
            "date": [f"{d:%Y-%m-%d}" for d in years],
            "population_coverage_pct": np.nan,
            "needed_pct": value + frac * (target - value),
            "pace_pct": np.clip(
                value + np.array([(d - as_of).days / 365.25 for d in years]) * pace_year, 0, 100
            )
            if np.isfinite(pace_year)
            else np.nan,
            "target_pct": target,
        }
    )
    past = pd.DataFrame(
        {
            "date": table["date"],
            "population_coverage_pct": table[pace["metric"]],
            "needed_pct": np.nan,
            "pace_pct": np.nan,
            "target_pct": target,
        }
    )
    return pd.concat([past, ahead], ignore_index=True)


def _series_of(
    now: AuditResult,
    dates: Sequence[pd.Timestamp],
    population_raster: Any,
    per_date: Callable[[pd.Timestamp], pd.DataFrame],
) -> CoverageSeries:
    """Coverage on every date by the cheapest exact way for the audit's route."""
    grid = now.grid
    wards = now.ward_table if now.ward_table is not None else now.wards
    choice = getattr(now.checks, "population", None)
    if grid is not None and getattr(grid, "earliest_on_air_day", None) is not None:
        if getattr(grid, "sinr_min_db", None) is not None:
            raise ConfigError(
                "sinr_min_db: progress counts coverage by the RSRP threshold on every date; "
                "the SINR criterion cannot be applied per date. Run it without sinr_min_db."
            )
        from phusong.raster.ward_pixels import ward_pixels_for

        pieces = getattr(now.checks, "pieces", None) or ward_pixels_for(
            wards, grid.grid, choice, population_raster
        )
        return raster_series(pieces, grid.earliest_on_air_day, dates)
    found = None
    if grid is None and now.params.is_footprint:
        options: dict[str, Any] = {
            "model": now.params.model,
            "radius_m": now.params.radius_m,
            "dates": dates,
        }
        if choice is not None and getattr(choice, "dasymetric", False):
            found = dasymetric_vector_series(wards, now.sites, choice.raster, **options)
        elif population_raster is None:
            found = vector_series(wards, now.sites, **options)
    if found is not None:
        return found
    log.info("progress: one audit per date (no faster exact way for this route)")
    tables = [per_date(d) for d in dates]
    return series_from_tables(dates, tables, wards["ward_id"].astype(str).to_numpy(),
                              "one audit per date")  # fmt: skip


def _required_sites(now: AuditResult, deadline: pd.Timestamp) -> dict[str, Any]:
    """Count the new sites the planner proposes for the coverage goal, and per year until the deadline."""
    from phusong.goals import years_between
    from phusong.planning import propose_sites

    plan = propose_sites(now, target_pct=now.params.goal.target_pct)
    n = int(plan.summary["n_sites"])
    years = years_between(pd.Timestamp(now.summary["as_of"]), deadline)
    return {
        "n_new_sites": n,
        "per_year": n / years if years > 0 else float("nan"),
        "years_left": years,
        "estimated_coverage_pct": plan.summary.get("coverage_after_pct"),
        "goal_reached": plan.summary.get("goal_reached"),
        "operator": plan.summary.get("operator"),
        "note": "the planner's estimate from the network of the last date (not re-audited; "
        "'phusong plan' re-audits)",
    }


def _figures(now: AuditResult) -> dict[str, float]:
    """Figures of the last date judged by the goal set."""
    s = now.summary
    out = {k: float(s[k]) for k in ("population_coverage_pct", "area_coverage_pct")}
    if now.checks is not None:
        out.update(now.checks.figures())
    return out


def run_progress(
    sites: Any,
    wards: Any = None,
    *,
    freq: Literal["quarter", "year", "month"] = PROGRESS["freq"].default,
    dates: Sequence[Any] | None = None,
    required_sites: bool = PROGRESS["required_sites"].default,
    progress: ProgressFn | None = None,
    **audit_kwargs: Any,
) -> ProgressRun:
    """Audit the network at the end of every quarter (or year, month) and judge the pace.

    Parameters
    ----------
    sites : path, file object, bytes or DataFrame
        Sites with on-air dates (an ``on_air`` column, or OpenCelliD's
        ``created`` as a labelled proxy).
    wards : path, GeoDataFrame or None
        Ward boundaries; default the shipped Hà Nội wards.
    freq : {"quarter", "year", "month"}
        Step of the series, from the first on-air date to ``as_of``.
    dates : sequence of dates, optional
        The dates instead (each ≤ ``as_of``); ``as_of`` is added as the last.
    required_sites : bool
        Also run the planner on the last date's network (new sites for the
        coverage goal, and per year until its deadline).
    progress : callable, optional
        ``progress(step, fraction)``.
    **audit_kwargs
        Options of :func:`phusong.audit.run_audit` (``model``, ``goal``,
        ``targets``, ``as_of`` — the last date, default today …).

    Returns
    -------
    ProgressRun

    Raises
    ------
    ConfigError
        Sites without on-air dates, a bad option, or dates after ``as_of``.
    DataError
        Unusable inputs.

    Notes
    -----
    Cost: one audit of the last date, plus per date one bincount over the
    wards' pixels (raster) or one depth-1 arc integral (disc/sector), see
    :mod:`phusong.progress.series`. The last row equals that audit's figures.
    """
    say = progress or (lambda step, fraction: None)
    freq = check("freq", freq, PROGRESS)
    end = as_of_date(audit_kwargs.pop("as_of", None) or today())
    now = run_audit(sites, wards, as_of=end, progress=lambda s, f: say(s, 0.7 * f), **audit_kwargs)
    start = first_on_air(now.sites)
    if start is None:  # pragma: no cover - apply_as_of refuses undated sites first
        raise ConfigError("progress: the site data has no on-air dates.")
    when = _dates(dates, start, end, freq)
    say("coverage on every date", 0.75)
    population_raster = audit_kwargs.get("population_raster")
    kwargs = {k: v for k, v in audit_kwargs.items() if k != "targets"}
    series = _series_of(now, when, population_raster,
                        lambda d: run_audit(sites, wards, as_of=d, **kwargs).coverage.table)  # fmt: skip
    goal = now.params.goal
    table = progress_table(series, now.sites, goal, bool(now.summary["synthetic"]))
    coverage_deadline = pd.Timestamp(year=goal.year, month=12, day=31)
    pace = pace_figures(table, goal, coverage_deadline)
    statuses = judge_goals(now.checks.goal_set(goal), _figures(now), end,
                           {goal.column: pace["pace_per_year"]})  # fmt: skip
    statuses = [s if s.target.metric == goal.column or s.met or s.status == "overdue"
                else _note(s, NO_SERIES_NOTE) for s in statuses]  # fmt: skip
    needed = None
    if required_sites:
        say("planning the sites still needed", 0.85)
        needed = _required_sites(now, coverage_deadline)
    summary = _progress_summary(now, table, pace, statuses, series, freq, needed)
    say("done", 1.0)
    return ProgressRun(table, statuses, pace, summary, now, series)


def _note(status: TargetStatus, note: str) -> TargetStatus:
    from dataclasses import replace

    return replace(status, note=note)


def _dates(
    dates: Sequence[Any] | None, start: pd.Timestamp, end: pd.Timestamp, freq: str
) -> list[pd.Timestamp]:
    """Return the series dates: given (each ≤ ``end``, ``end`` added) or period ends from ``start``."""
    if dates is None:
        return series_dates(start, end, freq)  # type: ignore[arg-type]
    when = sorted({as_of_date(d, "dates") for d in dates} | {end})
    if when[0] < start:
        log.info("progress: dates before the first on-air date %s have no coverage", start.date())
    if when[-1] > end:
        raise ConfigError(f"dates: {when[-1]:%Y-%m-%d} is after as_of {end:%Y-%m-%d}.")
    return when


def _progress_summary(
    now: AuditResult,
    table: pd.DataFrame,
    pace: dict[str, Any],
    statuses: list[TargetStatus],
    series: CoverageSeries,
    freq: str,
    needed: dict[str, Any] | None,
) -> dict[str, Any]:
    """``progress_summary.json``: the series, the pace, the targets and every parameter."""
    s = now.summary
    return jsonable(
        {
            "tool": "phusong",
            "version": __version__,
            "synthetic": bool(s["synthetic"]),
            "as_of": s.get("as_of"),
            "freq": freq,
            "dates": list(table["date"]),
            "first_on_air": table["date"].iloc[0] if len(table) else None,
            "model": s.get("model"),
            "model_label": s.get("model_label"),
            "population_source": s.get("population_source"),
            "method": series.method,
            "rollout": s.get("rollout"),
            "goal": s.get("goal"),
            "pace": pace,
            "goals": [x.as_dict() for x in statuses],
            "goals_met": all(x.met for x in statuses),
            "goals_not_met": [x.target.key for x in statuses if not x.met],
            "required_sites": needed,
            "last": {k: v for k, v in table.iloc[-1].items()},
            "throughput": s.get("throughput"),
            "targets": s.get("targets"),
            "inputs": s.get("inputs"),
            "parameters": s.get("parameters"),
        }
    )
