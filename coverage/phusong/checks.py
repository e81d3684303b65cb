"""The audit's checks against the plans' dated targets: speed, target places, the goal set.

:func:`measure_checks` runs after the coverage step of
:func:`phusong.audit.run_audit` (one call) and computes what the plans ask
besides the population share:

- **throughput** (path-loss raster models): per ward and city-wide,
  population-weighted (:mod:`phusong.speed`), judged against plan 58's
  100 Mbit/s; the footprint models have no SINR, so it does not apply there
  (said in the result, never recorded as computed);
- **target places** from a places file (:mod:`phusong.targets`);
- the **rollout record** of an ``as_of`` audit (:mod:`phusong.progress.rollout`).

:func:`judge_checks` then judges the goal set (:mod:`phusong.goals`) on the
"as of" date; it runs in :func:`phusong.audit.assemble_result`, so that a
change of goal re-judges without recomputing anything. An audit has no
trajectory, so a target not met with its deadline ahead is ``pending``;
:func:`phusong.progress.run.run_progress` judges the pace (on track / behind).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from phusong.goals import Goal, GoalSet, TargetStatus, judge_goals, speed_target
from phusong.progress.rollout import rollout_record, sites_on_air, today
from phusong.propagation.throughput import PLAN_58_SPEED_MBPS, ThroughputParams

log = logging.getLogger(__name__)

__all__ = [
    "Checks",
    "apply_as_of",
    "checks_summary",
    "judge_checks",
    "measure_checks",
    "read_targets",
    "throughput_params",
    "with_speed_columns",
]

#: Why throughput is not computed for footprint models.
NO_SINR = (
    "not computed: the {model} model has no signal level or SINR; use a path-loss model "
    "(e.g. --model planning) for throughput"
)


def throughput_params(value: ThroughputParams | dict[str, Any] | None) -> ThroughputParams:
    """:class:`ThroughputParams` from ``None`` (defaults), a dict of its fields, or itself.

    Raises
    ------
    ConfigError
        An unknown field or a value out of range.
    """
    from phusong.errors import ConfigError

    if value is None:
        return ThroughputParams()
    if isinstance(value, ThroughputParams):
        return value
    known = set(ThroughputParams.__dataclass_fields__)
    unknown = sorted(set(value) - known)
    if unknown:
        raise ConfigError(
            f"throughput: unknown option(s) {', '.join(unknown)}; valid: {', '.join(sorted(known))}."
        )
    return ThroughputParams(**{k: v for k, v in value.items() if v is not None})


@dataclass
class Checks:
    """What :func:`measure_checks` computed for one audit.

    Attributes
    ----------
    as_of : Timestamp
        Date the targets are judged at (the audit's ``as_of``, else today).
    as_of_given : bool
        Whether the audit was asked for the network as of a date.
    rollout : dict or None
        :func:`phusong.progress.rollout.rollout_record` of an ``as_of`` audit.
    speed : SpeedResult or None
        Throughput per ward and city-wide (raster path-loss models).
    speed_note : str
        Why throughput was not computed (empty when it was).
    speed_target_mbps : float
        The speed target [Mbit/s].
    places : PlacesResult or None
        Target places judged (with a places file).
    goal_keys : tuple of str or None
        Targets chosen (``None``: every target that applies).
    pieces : WardPixels or None
        The wards' pixels (raster route), kept for reuse.
    population : PopulationChoice or None
        How the audit counts people (:mod:`phusong.dasymetric`), for reuse.
    """

    as_of: pd.Timestamp
    as_of_given: bool = False
    rollout: dict[str, Any] | None = None
    speed: Any = None
    speed_note: str = ""
    speed_target_mbps: float = PLAN_58_SPEED_MBPS
    places: Any = None
    goal_keys: tuple[str, ...] | None = None
    pieces: Any = field(default=None, repr=False)
    population: Any = field(default=None, repr=False)

    def goal_set(self, goal: Goal) -> GoalSet:
        """Return the goal set of this audit: the coverage goal, speed (if computed), place milestones."""
        extra = []
        if self.speed is not None:
            extra.append(speed_target(self.speed_target_mbps))
        if self.places is not None:
            extra += self.places.milestone_targets()
        return GoalSet.of(goal, *extra).select(self.goal_keys)

    def figures(self) -> dict[str, float]:
        """Figures judged besides the city coverage (metric key → value)."""
        out: dict[str, float] = {}
        if self.speed is not None:
            out["mean_throughput_mbps"] = float(self.speed.city["mean_mbps"])
        if self.places is not None:
            out.update(self.places.milestone_figures())
        return out


def apply_as_of(inputs: Any, params: Any, as_of: Any) -> tuple[Any, Any, dict[str, Any] | None]:
    """Keep only the cells on air on ``as_of`` (no-op when ``as_of`` is None).

    Parameters
    ----------
    inputs : AuditInputs
        From :func:`phusong.audit.read_inputs`.
    params : AuditParams
        The run's parameters; ``as_of`` is recorded in them (ISO date).
    as_of : str, date or None
        The date (``"today"`` allowed).

    Returns
    -------
    (AuditInputs, AuditParams, dict or None)
        The filtered inputs, the parameters and the rollout record.

    Raises
    ------
    ConfigError
        Not a date, or sites without on-air dates.
    """
    if as_of is None:
        return inputs, params, None
    from phusong.progress.rollout import as_of_date

    when = as_of_date(as_of)
    record = rollout_record(inputs.sites, when)
    kept = sites_on_air(inputs.sites, when)
    kept.attrs = dict(inputs.sites.attrs)
    if not len(kept):
        from phusong.errors import ConfigError

        raise ConfigError(f"as_of: no cell was on air on {when:%Y-%m-%d}; choose a later date.")
    return replace(inputs, sites=kept), replace(params, as_of=f"{when:%Y-%m-%d}"), record


def _speed(inputs: Any, params: Any, grid: Any, population_raster: Any, tp: ThroughputParams,
           target_mbps: float) -> tuple[Any, str, Any]:  # fmt: skip
    """Throughput per ward (raster path-loss grids), or why not."""
    if grid is None or params.is_footprint:
        why = NO_SINR.format(model=params.model) if params.is_footprint else (
            f"not computed: the {params.route} route keeps no per-pixel SINR; use route raster"
        )  # fmt: skip
        return None, why, None
    from phusong.raster.ward_pixels import ward_pixels_for
    from phusong.speed import pixel_throughput_mbps, ward_throughput

    choice = getattr(inputs, "population", None)  # physics (issue #12): how people are counted
    pieces = ward_pixels_for(inputs.wards, grid.grid, choice, population_raster,
                             overlap=getattr(grid, "overlap", None))  # fmt: skip
    thr = pixel_throughput_mbps(grid, inputs.sites, tp)
    result = ward_throughput(inputs.wards["ward_id"].to_numpy(), pieces, thr, params=tp,
                             speed_target_mbps=target_mbps)  # fmt: skip
    return result, "", pieces


def measure_checks(
    inputs: Any,
    params: Any,
    grid: Any,
    *,
    rollout: dict[str, Any] | None = None,
    places: Any = None,
    throughput: ThroughputParams | dict[str, Any] | None = None,
    speed_target_mbps: float = PLAN_58_SPEED_MBPS,
    place_min_share_pct: float | None = None,
    population_raster: Any = None,
    goals: tuple[str, ...] | None = None,
) -> Checks:
    """Compute throughput and judge target places for an audit (see the module docstring).

    Parameters
    ----------
    inputs : AuditInputs
        Wards and the sites audited.
    params : AuditParams
        The run's parameters.
    grid : GridResult or None
        The raster of the raster route.
    rollout : dict, optional
        The ``as_of`` record (:func:`apply_as_of`).
    places : PlacesRead, optional
        The places file read (:func:`phusong.io.targets.read_places`).
    throughput : ThroughputParams or dict, optional
        Throughput assumptions (default :class:`ThroughputParams`).
    speed_target_mbps : float
        Speed target [Mbit/s] (plan 58: 100).
    place_min_share_pct : float, optional
        Served share a polygon place needs [%] (default
        :data:`phusong.targets.DEFAULT_MIN_SHARE_PCT`).
    population_raster : path, optional
        People per pixel (throughput weights).
    goals : tuple of str, optional
        Targets chosen (keys or key prefixes: ``coverage``, ``speed``, ``places``).

    Returns
    -------
    Checks
    """
    as_of = pd.Timestamp(params.as_of) if getattr(params, "as_of", None) else today()
    tp = throughput_params(throughput)
    speed, note, pieces = _speed(inputs, params, grid, population_raster, tp, speed_target_mbps)
    judged = None
    if places is not None:
        from phusong.targets import DEFAULT_MIN_SHARE_PCT, judge_places

        judged = judge_places(
            places.places, inputs.sites, model=params.model, as_of=as_of, grid=grid,
            radius_m=params.radius_m, wards=inputs.wards, file=places.file,
            rejected=places.rejected,
            min_share_pct=DEFAULT_MIN_SHARE_PCT if place_min_share_pct is None
            else float(place_min_share_pct),
        )  # fmt: skip
    checks = Checks(as_of, rollout is not None, rollout, speed, note, float(speed_target_mbps),
                    judged, goals, pieces, getattr(inputs, "population", None))  # fmt: skip
    checks.goal_set(params.goal)  # refuse unknown goal keys before the long part is reported
    return checks


def judge_checks(checks: Checks, city: dict[str, float], goal: Goal) -> list[TargetStatus]:
    """Judge the audit's goal set on its "as of" date (no pace: see the module docstring)."""
    figures = {**{k: float(v) for k, v in city.items() if isinstance(v, (int, float))},
               **checks.figures()}  # fmt: skip
    return judge_goals(checks.goal_set(goal), figures, checks.as_of)


def checks_summary(checks: Checks | None, statuses: list[TargetStatus]) -> dict[str, Any]:
    """Return the ``summary.json`` entries of the checks (``as_of``, ``goals``, ``throughput``…)."""
    if checks is None:
        return {}
    out: dict[str, Any] = {
        "as_of": f"{checks.as_of:%Y-%m-%d}",
        "goals": [s.as_dict() for s in statuses],
        "goals_met": all(s.met for s in statuses),
        "goals_not_met": [s.target.key for s in statuses if not s.met],
        "throughput": (
            {**checks.speed.city, "computed": True}
            if checks.speed is not None
            else {"computed": False, "note": checks.speed_note}
        ),
    }
    if checks.rollout is not None:
        out["rollout"] = checks.rollout
    if checks.places is not None:
        out["targets"] = checks.places.summary()
    return out


def with_speed_columns(per_ward: pd.DataFrame, checks: Checks | None) -> pd.DataFrame:
    """Add the throughput columns (:data:`phusong.speed.SPEED_COLUMNS`) to the ward table, when computed."""
    if checks is None or checks.speed is None:
        return per_ward
    speed = checks.speed.table.assign(ward_id=lambda f: f["ward_id"].astype("string"))
    out = per_ward.merge(speed, on="ward_id", how="left", validate="1:1")
    return out


def read_targets(targets: Any, records: dict[str, Any]) -> Any:
    """Read a places file (:func:`phusong.io.targets.places_input`) and record it in ``records``.

    Returns ``None`` without ``targets``. The SHA-256 of a file is added to
    ``records["targets"]`` (``summary.json``'s ``inputs``).
    """
    if targets is None:
        return None
    from phusong.io.files import input_record
    from phusong.io.targets import places_input

    places = places_input(targets)
    record = input_record(targets) if not hasattr(targets, "geometry") else None
    records["targets"] = record or {"name": getattr(places, "file", "<places>")}
    return places
