"""The whole planning job: :func:`propose_sites` and what it takes and returns.

:func:`propose_sites` reads as its steps: check the options → take the
inputs (an audit result or :class:`PlanInputs`) → choose the operator and
the new site (:func:`~phusong.planning.newsite.footprint_radius_m`) → count
the people → place demand points (:mod:`phusong.planning.demand`) → gather
and filter candidates (:mod:`phusong.planning.candidates`) → build the
coverage matrix and solve it (:mod:`phusong.planning.solvers`) → pick the
better plan → assemble a :class:`PlanResult`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from pyproj import CRS

from phusong.errors import DataError
from phusong.geo import equal_area_crs
from phusong.options import AUDIT, PLAN, PLANNER
from phusong.planning.candidates import (
    candidates_from,
    existing_positions,
    far_from,
    grid_candidates,
    outside_zones,
)
from phusong.planning.demand import demand_points, grid_demand_points
from phusong.planning.newsite import (
    DEFAULT_OPERATOR,
    NewSite,
    audit_param,
    default_new_site,
    footprint_radius_m,
    proposed_site_table,
)
from phusong.planning.solvers import (
    GreedyResult,
    MilpResult,
    RefinableCover,
    conflict_pairs,
    coverage_matrix,
    exact_matrix,
    greedy,
    milp,
    reaches,
    relative_gap,
    submodular_upper_bound,
)
from phusong.schema import ANY_OPERATOR, SITE_COLUMNS, WGS84
from phusong.summary import jsonable

log = logging.getLogger(__name__)

Method = Literal["greedy", "milp", "both"]


@dataclass
class PlanInputs:
    """What a plan needs, when there is no :class:`~phusong.audit.AuditResult`.

    Parameters
    ----------
    wards : GeoDataFrame
        One row per ward: ``ward_id``, ``name``, ``population`` and
        ``covered_population`` (people already served) [people], geometry.
    gaps : GeoDataFrame
        Uncovered parts of wards: ``ward_id``, ``population`` [people], geometry.
    sites : GeoDataFrame, optional
        Existing sites (canonical table), for spacing and default ranges.
    params : AuditParams or dict, optional
        Model and link-budget parameters, as the audit's.
    synthetic : bool
        The gaps are synthetic (said in the summary).
    grid : GridSpec, optional
        The audit's grid (path-loss models: candidate footprints and terrain
        are computed on it; :mod:`phusong.planning.modelcover`).
    pixels : WardPixels, optional
        The audit's ward × pixel pieces with their people (raster route); with
        ``unserved``, the demand is taken from them
        (:func:`phusong.planning.demand.grid_demand_points`) instead of
        cutting the gap polygons.
    unserved : ndarray, optional
        bool ``(height, width)``: the audit's pixels without service on the
        goal's layer (outdoor, or indoor when the goal is judged indoors).
    ward_ids : ndarray, optional
        Ward id of each ward position of ``pixels``.
    """

    wards: gpd.GeoDataFrame
    gaps: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame | None = None
    params: Any = None
    synthetic: bool = False
    grid: Any = None  # physics (issue #12): the audit grid
    pixels: Any = None  # issue #17: demand from the audit's pixels
    unserved: Any = None
    ward_ids: Any = None

    @classmethod
    def from_audit(cls, result: Any) -> PlanInputs:
        """Take the inputs from an audit result (``.wards``, ``.gaps``, ``.sites``, ``.params``).

        A raster audit also hands on its pixels (``checks.pieces``), where they
        lack service on the goal's layer and the wards they belong to.
        """
        summary = getattr(result, "summary", {}) or {}
        grid = getattr(result, "grid", None)
        pixels = getattr(getattr(result, "checks", None), "pieces", None)
        table = getattr(result, "ward_table", None)
        unserved = ward_ids = None
        if pixels is not None and grid is not None and table is not None:
            indoor = audit_param(getattr(result, "params", None), "goal_layer") == "indoor"
            servers = grid.indoor_n_servers if indoor else grid.n_servers
            if servers is not None and len(table) == pixels.n_wards:
                unserved = servers == 0
                ward_ids = table["ward_id"].astype(str).to_numpy()
        return cls(
            wards=result.wards,
            gaps=result.gaps,
            sites=getattr(result, "sites", None),
            params=getattr(result, "params", None),
            synthetic=bool(summary.get("synthetic", False)),
            grid=getattr(grid, "grid", None),  # physics (issue #12)
            pixels=pixels if unserved is not None else None,
            unserved=unserved,
            ward_ids=ward_ids,
        )


@dataclass
class PlanResult:
    """A proposal of new sites.

    Attributes
    ----------
    sites : GeoDataFrame
        Proposed cells in the canonical schema (:data:`phusong.schema.SITE_COLUMNS`)
        plus ``order`` (1 = added first) and ``covered_people_gain`` (people the
        site adds, in that order, on the demand grid); EPSG:4326. Site ids
        ``NEW-0001`` …; a 3-sector site has three rows.
    wards : DataFrame
        Per ward: ``ward_id``, ``name``, ``population``,
        ``covered_population_before``, ``newly_covered_population``,
        ``covered_population_after``, ``population_coverage_pct_before``,
        ``population_coverage_pct_after`` (population-weighted, estimated on the
        demand grid) and ``new_sites`` (proposed sites located in the ward).
    curve : DataFrame
        ``method``, ``n_sites``, ``covered_population``,
        ``population_coverage_pct``: the greedy's curve (0, 1, 2, … sites) and
        the MILP point(s).
    summary : dict
        City figures before/after, the goal, sites needed, method used, the
        greedy's gap to the best bound, MILP status/time/bound, sizes and the
        approximation note (JSON-able).
    candidates : GeoDataFrame
        Candidates used (metric CRS) with ``range_m`` and ``chosen``.
    demand : GeoDataFrame
        Demand points (metric CRS) with ``weight`` and ``covered``.
    greedy : GreedyResult or None
    milp : MilpResult or None
    """

    sites: gpd.GeoDataFrame
    wards: pd.DataFrame
    curve: pd.DataFrame
    summary: dict[str, Any]
    candidates: gpd.GeoDataFrame
    demand: gpd.GeoDataFrame
    greedy: GreedyResult | None = None
    milp: MilpResult | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def sites_for_audit(self, existing: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
        """Existing plus proposed cells, schema columns only, for a re-audit.

        Pass the result to :func:`phusong.run_audit` (same model and options)
        to get the exact coverage with the proposed sites.
        """
        return existing_plus(existing, self.sites)


def existing_plus(existing: gpd.GeoDataFrame | None, new: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Existing cells plus new ones (schema columns only, EPSG:4326): a site table to audit.

    Parameters
    ----------
    existing : GeoDataFrame or None
        The audited network (any CRS).
    new : GeoDataFrame
        New cells with every column of :data:`phusong.schema.SITE_COLUMNS`.
    """
    cols = list(SITE_COLUMNS)
    new = new.to_crs(WGS84)[cols] if new.crs is not None else new[cols]
    if existing is None or len(existing) == 0:
        return gpd.GeoDataFrame(new, geometry="geometry", crs=WGS84)
    old = existing.to_crs(WGS84)
    old = old[[c for c in cols if c in old.columns]]
    both = pd.concat([old, new], ignore_index=True)
    return gpd.GeoDataFrame(both, geometry="geometry", crs=WGS84)


@dataclass(frozen=True)
class _Asked:
    """The solver options of :func:`propose_sites`, checked.

    Each is checked against its entry in :data:`phusong.options.PLAN` or
    :data:`phusong.options.PLANNER`; the message names the argument.
    """

    method: str
    budget: int | None
    min_spacing_m: float
    time_limit_s: float
    demand_cell_m: float
    candidate_spacing_m: float | None
    mip_rel_gap: float

    @classmethod
    def checked(cls, **values: Any) -> _Asked:
        """Check every value; ``None`` stays ``None`` for options without a default."""
        out: dict[str, Any] = {}
        for name, value in values.items():
            option = PLAN[name] if name in PLAN else PLANNER[name]
            unset = value is None and option.default is None
            out[name] = None if unset else option.check(value, name)
        return cls(**out)


@dataclass(frozen=True)
class _Setting:
    """Who builds the new sites, with what, and how far each one serves."""

    operator: str
    counted: str
    site: NewSite
    model: str
    crs: CRS
    radius_m: float
    footprints: Any = None  # physics (issue #12): path-loss models, from the engine


@dataclass(frozen=True)
class _People:
    """The city's people [people]: all of them, and those already covered."""

    total: float
    covered: float


@dataclass(frozen=True)
class _Pool:
    """Candidates left after the filters, and how many each filter removed."""

    cands: gpd.GeoDataFrame
    xy: np.ndarray
    n_given: int
    n_excluded: int
    n_near_existing: int


@dataclass(frozen=True)
class _Problem:
    """The site-selection problem the solvers see.

    ``cover`` is a matrix, or a :class:`RefinableCover` (terrain swept only for
    the candidates a solver looks at): the greedy and its bound read it as
    it is; :meth:`exact` gives every row exact (the MILP, the floors).
    """

    cover: sp.csr_matrix | RefinableCover
    weights: np.ndarray
    conflicts: np.ndarray
    budget: int | None
    target_weight: float

    @property
    def mode(self) -> str:
        """``"budget"`` (best coverage with N sites) or ``"target"`` (fewest sites)."""
        return "budget" if self.budget is not None else "target"

    def exact(self) -> sp.csr_matrix:
        """Return the exact coverage matrix (every row of a refinable cover made exact)."""
        return exact_matrix(self.cover)

    def rows(self, chosen: np.ndarray) -> sp.csr_matrix:
        """Return the exact rows of the ``chosen`` candidates, in that order."""
        if isinstance(self.cover, RefinableCover):
            return self.cover.matrix(chosen)
        return self.cover[chosen]

    def run_greedy(self) -> GreedyResult:
        """Run the greedy on this problem (to the budget, or to the target)."""
        return greedy(
            self.cover,
            self.weights,
            budget=self.budget,
            target_weight=None if self.mode == "budget" else self.target_weight,
            conflicts=self.conflicts,
        )


@dataclass(frozen=True)
class _Plan:
    """The plan kept: which solver, the chosen candidates in order and their gains."""

    use: str
    chosen: np.ndarray
    gains: np.ndarray
    greedy: GreedyResult | None
    milp: MilpResult | None


def propose_sites(
    audit_result_or_inputs: Any,
    *,
    target_pct: float | None = None,
    budget: int | None = None,
    candidates: gpd.GeoDataFrame | pd.DataFrame | None = None,
    min_spacing_m: float = PLAN["min_spacing_m"].default,
    excluded: Any = None,
    operator: str | None = None,
    method: Method = PLAN["method"].default,
    candidate_spacing_m: float | None = PLANNER["candidate_spacing_m"].default,
    demand_cell_m: float = PLANNER["demand_cell_m"].default,
    time_limit_s: float = PLAN["time_limit_s"].default,
    new_site: NewSite | None = None,
    mip_rel_gap: float = PLANNER["mip_rel_gap"].default,
    ward_floor_pct: float | None = None,  # issue #16 (app): every ward at least X %
) -> PlanResult:
    """Propose the fewest new sites that bring the city to its goal.

    Parameters
    ----------
    audit_result_or_inputs : AuditResult or PlanInputs
        The audit to improve on (its gaps, wards, sites and parameters).
    target_pct : float, optional
        Population coverage to reach [%]; default the audit's goal (99 %).
    budget : int, optional
        Instead of a target: the best coverage with at most this many sites.
    candidates : GeoDataFrame or DataFrame, optional
        Candidate positions (points or a site table: rooftops, poles,
        existing non-5G sites); default a grid in and around the gaps.
    min_spacing_m : float
        Minimum distance between two proposed sites and from a proposed site
        to an existing site of the same operator [m].
    excluded : GeoDataFrame, GeoSeries, shapely geometry or list, optional
        Zones where no site may go (no CRS given = EPSG:4326).
    operator : str, optional
        Operator of the new sites; default the audit's single operator, else
        the operator with most cells in the audit, else Viettel.
    method : {"greedy", "milp", "both"}
        Solver. ``both`` runs both and keeps the better plan (fewer sites, or
        more people for a budget; ties go to the greedy).
    candidate_spacing_m : float, optional
        Spacing of the default candidate grid [m]; default a third of the
        footprint radius (at least ``demand_cell_m``).
    demand_cell_m : float
        Demand grid cell [m] (see :mod:`phusong.planning` on the approximation).
    time_limit_s : float
        MILP time limit [s].
    new_site : NewSite, optional
        Configuration of a new site; default :func:`default_new_site`.
    mip_rel_gap : float
        Relative gap at which the MILP stops.
    ward_floor_pct : float, optional
        Every ward must also reach this population coverage [%] (its own
        residents); the greedy then serves the wards short of it first
        (:mod:`phusong.planning.floors`). Greedy only.

    Defaults and bounds come from :data:`phusong.options.PLAN` and
    :data:`phusong.options.PLANNER`.

    Returns
    -------
    PlanResult
        The proposal; ``summary["coverage_after_pct"]`` is the estimate on the
        demand grid; re-audit ``sites_for_audit(...)`` for the exact figure.

    Raises
    ------
    ConfigError
        Invalid option (the message names the argument).
    DataError
        Unusable gaps, wards or candidates.
    """
    t_start = time.perf_counter()
    asked = _Asked.checked(
        method=method,
        budget=budget,
        min_spacing_m=min_spacing_m,
        time_limit_s=time_limit_s,
        demand_cell_m=demand_cell_m,
        candidate_spacing_m=candidate_spacing_m,
        mip_rel_gap=mip_rel_gap,
    )
    inp = (
        audit_result_or_inputs
        if isinstance(audit_result_or_inputs, PlanInputs)
        else PlanInputs.from_audit(audit_result_or_inputs)
    )
    target_pct = PLAN["target"].check(_target_pct(inp, target_pct), "target_pct")
    setting = _setting(inp, operator, new_site)
    people = _people(inp.wards)
    demand = _demand(inp, asked.demand_cell_m, setting.crs)
    _check_people_add_up(people, demand)
    pool = _candidate_pool(inp, candidates, excluded, setting, asked)
    target_w = target_pct / 100.0 * people.total - people.covered
    problem = _problem(pool, demand, setting, asked, target_w, inp.wards)
    if ward_floor_pct is None:
        solved = _solve(problem, asked)
    else:  # issue #16 (app): every ward at least X % (phusong.planning.floors)
        solved = _solve_with_floor(problem, asked, demand, inp.wards, ward_floor_pct)
    plan = _pick_plan(solved, problem, asked.method)
    return _plan_result(
        _Outcome(inp, setting, people, demand, pool, problem, plan), asked, target_pct, t_start
    )


@dataclass(frozen=True)
class _Outcome:
    """Everything one run of the planner worked out, before it is assembled."""

    inp: PlanInputs
    setting: _Setting
    people: _People
    demand: gpd.GeoDataFrame
    pool: _Pool
    problem: _Problem
    plan: _Plan


def _plan_result(out: _Outcome, asked: _Asked, target_pct: float, t_start: float) -> PlanResult:
    """Assemble the proposal: sites, marked demand and candidates, ward table, curve, summary."""
    setting, plan, pool, problem = out.setting, out.plan, out.pool, out.problem
    sites = proposed_site_table(
        pool.xy[plan.chosen],
        np.arange(1, len(plan.chosen) + 1),
        plan.gains,
        setting.site,
        setting.radius_m,
        setting.crs,
        setting.model,
        audit_param(out.inp.params, "sector_edge_db"),  # physics (issue #12)
    )
    demand = out.demand.assign(covered=_covered(problem, plan.chosen))
    cands = pool.cands.assign(
        range_m=setting.radius_m, chosen=np.isin(np.arange(len(pool.cands)), plan.chosen)
    )
    summary = {
        **_settings_figures(out.inp, setting, asked, plan.use, target_pct),
        **_coverage_figures(out.people, demand, problem, target_pct, len(plan.chosen)),
        **_solver_figures(problem, plan),
        **_size_figures(pool, problem, asked),
        "time_s": time.perf_counter() - t_start,
        "approximation": _approximation_note(asked.demand_cell_m, setting.radius_m),
    }
    return PlanResult(
        sites=sites,
        wards=_ward_table(out.inp.wards, demand, sites),
        curve=_curve(plan.greedy, plan.milp, out.people.covered, out.people.total),
        summary=jsonable(summary),
        candidates=cands,
        demand=demand,
        greedy=plan.greedy,
        milp=plan.milp,
    )


def _target_pct(inp: PlanInputs, target_pct: float | None) -> float:
    """Return the target [%]: the one given, else the audit's goal, else the built-in one."""
    if target_pct is not None:
        return target_pct
    default = float(AUDIT["goal"].default)
    goal = audit_param(inp.params, "goal")
    return float(getattr(goal, "target_pct", default)) if goal is not None else default


def _setting(inp: PlanInputs, operator: str | None, new_site: NewSite | None) -> _Setting:
    """Choose the operator, the new site, the model, the metric CRS and the radius."""
    op, counted = _operator_for(inp, operator)
    site = new_site or default_new_site(op)
    if site.operator != op:
        site = replace(site, operator=op)
    model = str(audit_param(inp.params, "model", AUDIT["model"].default))
    crs = equal_area_crs(inp.wards)
    footprints = _model_footprints(inp, site, model, crs)  # physics (issue #12)
    return _Setting(
        operator=op,
        counted=counted,
        site=site,
        model=model,
        crs=crs,
        radius_m=footprints.reach_m
        if footprints is not None
        else footprint_radius_m(site, inp.params),
        footprints=footprints,
    )


def _model_footprints(inp: PlanInputs, site: NewSite, model: str, crs: CRS) -> Any:
    """Physics (issue #12): the audit model's footprint of a new site (path-loss models only).

    Returns ``None`` for the footprint models (the planner counts discs) and
    when a footprint was forced with ``NewSite.range_m``.
    """
    from phusong.models import get_model
    from phusong.planning.modelcover import candidate_footprints, plan_params

    if get_model(model).is_footprint or site.range_m is not None:
        return None
    scen = inp.wards["scenario"].dropna().astype(str).unique() if "scenario" in inp.wards else None
    return candidate_footprints(site, plan_params(inp.params), crs, scen, audit_grid=inp.grid)


def new_site_radius_m(audit_result_or_inputs: Any, site: NewSite) -> float:
    """Planning radius of a new site [m], as :func:`propose_sites` counts it.

    The reach of the audit model's own footprint of the site for path-loss
    models (:mod:`phusong.planning.modelcover`), the footprint radius for the
    disc and sector models (:func:`~phusong.planning.newsite.footprint_radius_m`).
    """
    inp = audit_result_or_inputs
    if not isinstance(inp, PlanInputs):
        inp = PlanInputs.from_audit(inp)
    model = str(audit_param(inp.params, "model", AUDIT["model"].default))
    footprints = _model_footprints(inp, site, model, equal_area_crs(inp.wards))
    return footprints.reach_m if footprints is not None else footprint_radius_m(site, inp.params)


def new_site_operator(audit_result_or_inputs: Any, operator: str | None = None) -> str:
    """Issue #15 (cover_targets): the operator :func:`propose_sites` gives the new sites."""
    inp = audit_result_or_inputs
    if not isinstance(inp, PlanInputs):
        inp = PlanInputs.from_audit(inp)
    return _operator_for(inp, operator)[0]


def _operator_for(inp: PlanInputs, operator: str | None) -> tuple[str, str]:
    """(operator of the new sites, whose coverage the gaps measure)."""
    ops = audit_param(inp.params, "operators")
    counted = ANY_OPERATOR
    if ops:
        ops = list(ops)
        counted = str(ops[0]) if len(ops) == 1 else "+".join(map(str, ops))
    if operator is None:
        if counted != ANY_OPERATOR and "+" not in counted:
            operator = counted
        else:
            operator = _busiest_operator(inp.sites)
    from phusong.operators import operator_brand

    operator = operator_brand(operator) or operator
    if counted not in (ANY_OPERATOR, operator):
        log.warning(
            "the audit counts coverage of %s but the new sites belong to %s", counted, operator
        )
    return operator, counted


def _busiest_operator(sites: gpd.GeoDataFrame | None) -> str:
    """Return the operator with 5G spectrum and most cells in ``sites``, else Viettel.

    Ties go to the first name in alphabetical order.
    """
    if sites is None or not len(sites) or "operator" not in sites:
        return DEFAULT_OPERATOR
    from phusong.operators import SPECTRUM_5G

    known = sites["operator"][sites["operator"].isin(list(SPECTRUM_5G))]
    counts = known.value_counts()
    best = sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
    return str(best[0][0]) if best else DEFAULT_OPERATOR


def _people(wards: gpd.GeoDataFrame) -> _People:
    """All the people and those already covered [people]; refuse a city without people."""
    pop = pd.to_numeric(wards["population"], errors="coerce").fillna(0.0).to_numpy("float64")
    cov_before = (
        pd.to_numeric(wards["covered_population"], errors="coerce").fillna(0.0).to_numpy("float64")
    )
    people = _People(total=float(pop.sum()), covered=float(cov_before.sum()))
    if people.total <= 0:
        raise DataError("the wards have no population; population coverage cannot be planned.")
    return people


def _demand(inp: PlanInputs, cell_m: float, crs: CRS) -> gpd.GeoDataFrame:
    """Return the people to serve: from the audit's pixels if it has them, else the gaps'."""
    if inp.pixels is not None and inp.unserved is not None and inp.grid is not None:
        demand = grid_demand_points(inp.pixels, inp.unserved, inp.grid, inp.ward_ids, cell_m, crs)
        # only the wards planned for (a caller may keep some of the audit's wards)
        keep = demand["ward_id"].isin(set(inp.wards["ward_id"].astype(str))).to_numpy()
        return demand if keep.all() else demand[keep].reset_index(drop=True)
    return demand_points(inp.gaps, cell_m, crs)


def _check_people_add_up(people: _People, demand: gpd.GeoDataFrame) -> None:
    """Warn when covered people plus people in gaps differ from the population by > 1 %."""
    gap_pop = float(demand["weight"].sum())
    if abs(people.covered + gap_pop - people.total) > 0.01 * people.total:
        log.warning(
            "covered (%.0f) + people in gaps (%.0f) differ from the population (%.0f) by > 1 %%",
            people.covered,
            gap_pop,
            people.total,
        )


def _candidate_pool(
    inp: PlanInputs,
    candidates: gpd.GeoDataFrame | pd.DataFrame | None,
    excluded: Any,
    setting: _Setting,
    asked: _Asked,
) -> _Pool:
    """Gather candidates (a grid, or the user's) outside the zones, far from existing sites."""
    crs, radius = setting.crs, setting.radius_m
    if candidates is None:
        spacing = asked.candidate_spacing_m or max(radius / 3.0, asked.demand_cell_m)
        cands = grid_candidates(inp.gaps, spacing, buffer_m=radius, crs=crs, within=inp.wards)
    else:
        cands = candidates_from(candidates, crs)
    keep = outside_zones(cands, excluded, crs)
    n_excluded = int((~keep).sum())
    cxy = np.column_stack([cands["x_m"].to_numpy(), cands["y_m"].to_numpy()])
    exy = existing_positions(inp.sites, setting.operator, crs)
    near = ~far_from(cxy, exy, asked.min_spacing_m) & keep
    keep &= ~near
    return _Pool(
        cands=cands[keep].reset_index(drop=True),
        xy=cxy[keep],
        n_given=len(cands),
        n_excluded=n_excluded,
        n_near_existing=int(near.sum()),
    )


def _problem(
    pool: _Pool,
    demand: gpd.GeoDataFrame,
    setting: _Setting,
    asked: _Asked,
    target_weight: float,
    wards: gpd.GeoDataFrame,
) -> _Problem:
    """Coverage matrix, weights and spacing conflicts of the remaining candidates.

    Path-loss models: each candidate serves where the audit's own model says
    (:func:`phusong.planning.modelcover.model_coverage_matrix`); footprint
    models: the disc of ``setting.radius_m``.
    """
    radius_m = setting.radius_m
    dxy = np.column_stack([demand["x_m"].to_numpy(), demand["y_m"].to_numpy()])
    if setting.footprints is not None:  # physics (issue #12)
        from phusong.planning.modelcover import candidate_scenarios, model_coverage

        scen = candidate_scenarios(pool.cands, wards)
        pixel = demand["pixel"].to_numpy("int64") if "pixel" in demand else None
        cover: sp.csr_matrix | RefinableCover = model_coverage(
            pool.xy, scen, dxy, setting.footprints, pixel
        )
    else:
        cover = coverage_matrix(pool.xy, dxy, radius_m)
    problem = _Problem(
        cover=cover,
        weights=demand["weight"].to_numpy("float64"),
        conflicts=conflict_pairs(pool.xy, asked.min_spacing_m),
        budget=asked.budget,
        target_weight=target_weight,
    )
    log.info(
        "plan: %d candidates, %d demand points, %d covered pairs (bound), %d conflicts, "
        "radius %.0f m",
        len(pool.cands),
        len(problem.weights),
        (cover.bound if isinstance(cover, RefinableCover) else cover).nnz,
        len(problem.conflicts),
        radius_m,
    )
    return problem


def _solve(problem: _Problem, asked: _Asked) -> tuple[GreedyResult | None, MilpResult | None]:
    """Run the solvers ``method`` asks for.

    The greedy also runs in target mode for every method: it draws the curve
    and its number of sites caps the MILP (a valid cut).
    """
    method = asked.method
    g_res = (
        problem.run_greedy() if method in ("greedy", "both") or problem.mode == "target" else None
    )
    if method not in ("milp", "both"):
        return g_res, None
    if problem.budget is not None:
        m_res = milp(
            problem.exact(),
            problem.weights,
            budget=problem.budget,
            conflicts=problem.conflicts,
            time_limit_s=asked.time_limit_s,
            mip_rel_gap=asked.mip_rel_gap,
        )
    else:
        cap = g_res.n_sites if (g_res is not None and g_res.reached_target) else None
        m_res = milp(
            problem.exact(),
            problem.weights,
            target_weight=problem.target_weight,
            conflicts=problem.conflicts,
            time_limit_s=asked.time_limit_s,
            max_sites=cap,
            mip_rel_gap=asked.mip_rel_gap,
        )
    return g_res, m_res


def _solve_with_floor(
    problem: _Problem, asked: _Asked, demand: gpd.GeoDataFrame, wards: Any, floor_pct: float
) -> tuple[GreedyResult | None, MilpResult | None]:
    """Issue #16 (app): the floors first, then the city target (greedy only).

    Raises
    ------
    ConfigError
        A budget or the MILP asked for together with a floor.
    """
    from phusong.errors import ConfigError
    from phusong.planning.floors import floor_then_target, ward_needs

    floor_pct = PLAN["ward_floor_pct"].check(floor_pct, "ward_floor_pct")
    if asked.method != "greedy" or problem.budget is not None:
        raise ConfigError(
            "ward_floor_pct: a floor for every ward works with method='greedy' and a target, "
            "not with a budget or the MILP."
        )
    groups, needs = ward_needs(
        wards, demand["ward_id"].to_numpy(), problem.weights, float(floor_pct)
    )
    result = floor_then_target(
        problem.exact(), problem.weights, groups, needs, problem.target_weight, problem.conflicts
    )
    return result, None


def _better_solver(
    method: str, problem: _Problem, g_res: GreedyResult | None, m_res: MilpResult | None
) -> str:
    """``"milp"`` or ``"greedy"``: whose plan to keep (ties go to the greedy)."""
    if m_res is None:
        return "greedy"
    if method == "milp":
        return "milp" if m_res.status in ("optimal", "time_limit") else "greedy"
    if method != "both" or m_res.n_sites == 0 or g_res is None:
        return "greedy"
    if problem.mode == "budget":
        return "milp" if m_res.covered_weight > g_res.covered_weight + 1e-9 else "greedy"
    better = reaches(m_res.covered_weight, problem.target_weight) and (
        not g_res.reached_target or m_res.n_sites < g_res.n_sites
    )
    return "milp" if better else "greedy"


def _pick_plan(
    solved: tuple[GreedyResult | None, MilpResult | None], problem: _Problem, method: str
) -> _Plan:
    """Keep the better plan, its sites in the order they add people.

    The MILP's sites are ordered greedily among themselves (sites adding
    nothing go last). When the MILP found no plan and no greedy ran, the
    greedy runs now as the fallback.
    """
    g_res, m_res = solved
    use = _better_solver(method, problem, g_res, m_res)
    if use == "milp" and m_res is not None:
        sub = greedy(problem.rows(m_res.selected), problem.weights)
        chosen = m_res.selected[sub.order]
        rest = np.setdiff1d(m_res.selected, chosen)
        return _Plan(
            use=use,
            chosen=np.concatenate([chosen, rest]),
            gains=np.concatenate([sub.gains, np.zeros(len(rest))]),
            greedy=g_res,
            milp=m_res,
        )
    if g_res is None:  # the MILP found no plan: fall back to the greedy
        log.warning("MILP %s: falling back to the greedy plan", m_res.status if m_res else "")
        g_res = problem.run_greedy()
    return _Plan(use=use, chosen=g_res.order, gains=g_res.gains, greedy=g_res, milp=m_res)


def _covered(problem: _Problem, chosen: np.ndarray) -> np.ndarray:
    """Demand points the chosen candidates cover."""
    if not len(chosen):
        return np.zeros(len(problem.weights), bool)
    return np.asarray(problem.rows(chosen).sum(axis=0)).ravel() > 0


def _settings_figures(
    inp: PlanInputs, setting: _Setting, asked: _Asked, use: str, target_pct: float
) -> dict[str, Any]:
    """Summary: what was asked and with which new site."""
    return {
        "synthetic": bool(inp.synthetic),
        "mode": "budget" if asked.budget is not None else "target",
        "method": asked.method,
        "method_used": use,
        "target_pct": float(target_pct),
        "budget": asked.budget,
        "operator": setting.operator,
        "coverage_counted_for": setting.counted,
        "model": setting.model,
        "radius_m": setting.radius_m,
        "new_site": {k: getattr(setting.site, k) for k in NewSite.__dataclass_fields__},
    }


def _coverage_figures(
    people: _People, demand: gpd.GeoDataFrame, problem: _Problem, target_pct: float, n_sites: int
) -> dict[str, Any]:
    """Summary: people and population coverage before and after (demand-grid estimate)."""
    w = demand["weight"].to_numpy("float64")
    new_people = float(w[demand["covered"].to_numpy(bool)].sum())
    coverage_after = 100.0 * (people.covered + new_people) / people.total
    return {
        "population": people.total,
        "covered_population_before": people.covered,
        "coverage_before_pct": 100.0 * people.covered / people.total,
        "people_in_gaps": float(demand["weight"].sum()),
        "target_people": max(problem.target_weight, 0.0),
        "newly_covered_population": new_people,
        "coverage_after_pct": coverage_after,
        "goal_reached": bool(coverage_after >= target_pct - 1e-9),
        "n_sites": n_sites,
    }


def _greedy_bound(problem: _Problem, plan: _Plan) -> tuple[float, float]:
    """(best proven bound, the greedy's relative gap to it); NaN when unknown.

    The MILP's bound when it has one; in budget mode otherwise the
    submodular bound around the greedy's sites.
    """
    g_res, m_res = plan.greedy, plan.milp
    if m_res is not None and np.isfinite(m_res.bound) and g_res is not None:
        value = g_res.covered_weight if problem.mode == "budget" else g_res.n_sites
        known = problem.mode == "budget" or g_res.reached_target
        return m_res.bound, relative_gap(value, m_res.bound) if known else np.nan
    if g_res is not None and problem.budget is not None:
        bound = submodular_upper_bound(
            problem.cover, problem.weights, g_res.order, int(problem.budget)
        )
        return bound, relative_gap(g_res.covered_weight, bound)
    return np.nan, np.nan


def _solver_figures(problem: _Problem, plan: _Plan) -> dict[str, Any]:
    """Summary: each solver's result, bound, gap and time."""
    g_res, m_res = plan.greedy, plan.milp
    g_bound, greedy_gap = _greedy_bound(problem, plan)
    return {
        "greedy_n_sites": g_res.n_sites if g_res is not None else None,
        "greedy_covered_population": g_res.covered_weight if g_res is not None else None,
        "greedy_time_s": g_res.time_s if g_res is not None else None,
        "greedy_bound": g_bound,
        "greedy_gap": greedy_gap,
        "milp_status": m_res.status if m_res is not None else None,
        "milp_n_sites": m_res.n_sites if m_res is not None else None,
        "milp_covered_population": m_res.covered_weight if m_res is not None else None,
        "milp_bound": m_res.bound if m_res is not None else None,
        "milp_gap": m_res.mip_gap if m_res is not None else None,
        "milp_time_s": m_res.time_s if m_res is not None else None,
    }


def _size_figures(pool: _Pool, problem: _Problem, asked: _Asked) -> dict[str, Any]:
    """Summary: how many candidates each filter removed, and the problem's size."""
    return {
        "n_candidates_given": pool.n_given,
        "n_candidates_excluded": pool.n_excluded,
        "n_candidates_near_existing": pool.n_near_existing,
        "n_candidates": len(pool.cands),
        "n_conflicts": len(problem.conflicts),
        "n_demand_points": len(problem.weights),
        "demand_cell_m": float(asked.demand_cell_m),
        "min_spacing_m": float(asked.min_spacing_m),
    }


def _approximation_note(demand_cell_m: float, radius_m: float) -> str:
    """Plain words on what the planner's coverage figures estimate."""
    return (
        f"coverage after is estimated on a {demand_cell_m:g} m demand grid over the gaps "
        "(people spread evenly in each gap; a point counts as covered within "
        f"{radius_m:.0f} m of a new site); re-audit with the proposed sites for the exact figure."
    )


def _ward_table(
    wards: gpd.GeoDataFrame, demand: gpd.GeoDataFrame, sites: gpd.GeoDataFrame
) -> pd.DataFrame:
    """Per ward: people covered before, newly covered (demand grid) and new sites."""
    out = pd.DataFrame(
        {
            "ward_id": wards["ward_id"].astype("string").to_numpy(),
            "name": wards["name"].to_numpy() if "name" in wards else "",
            "population": pd.to_numeric(wards["population"], errors="coerce").to_numpy("float64"),
            "covered_population_before": pd.to_numeric(
                wards["covered_population"], errors="coerce"
            ).to_numpy("float64"),
        }
    )
    gained = demand.loc[demand["covered"]].groupby("ward_id")["weight"].sum()
    out["newly_covered_population"] = (
        out["ward_id"].map(gained).astype("float64").fillna(0.0).to_numpy()
    )
    out["covered_population_after"] = (
        out["covered_population_before"] + out["newly_covered_population"]
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        p = out["population"].where(out["population"] > 0)
        out["population_coverage_pct_before"] = 100.0 * out["covered_population_before"] / p
        out["population_coverage_pct_after"] = 100.0 * out["covered_population_after"] / p
    out["new_sites"] = 0
    if len(sites) and wards.crs is not None:
        one = sites.drop_duplicates("site_id")
        hit = shapely.STRtree(wards.to_crs(WGS84).geometry.to_numpy()).query(
            one.geometry.to_numpy(), predicate="intersects"
        )
        _, first = np.unique(hit[0], return_index=True)  # a site on a border counts once
        counts = np.bincount(hit[1][first], minlength=len(out))
        out["new_sites"] = counts
    return out.sort_values(
        ["newly_covered_population", "ward_id"], ascending=[False, True], kind="mergesort"
    ).reset_index(drop=True)


def _curve(
    g_res: GreedyResult | None, m_res: MilpResult | None, covered0: float, total: float
) -> pd.DataFrame:
    """Coverage against the number of sites: the greedy's curve and the MILP's point."""
    parts = []
    if g_res is not None:
        cum = np.concatenate([[0.0], g_res.cumulative])
        parts.append(
            pd.DataFrame(
                {
                    "method": "greedy",
                    "n_sites": np.arange(len(cum)),
                    "covered_population": covered0 + cum,
                }
            )
        )
    if m_res is not None and m_res.status in ("optimal", "time_limit"):
        parts.append(
            pd.DataFrame(
                {
                    "method": ["milp"],
                    "n_sites": [m_res.n_sites],
                    "covered_population": [covered0 + m_res.covered_weight],
                }
            )
        )
    if not parts:
        return pd.DataFrame(
            columns=["method", "n_sites", "covered_population", "population_coverage_pct"]
        )
    out = pd.concat(parts, ignore_index=True)
    out["population_coverage_pct"] = 100.0 * out["covered_population"] / total
    return out


__all__ = [
    "Method",
    "PlanInputs",
    "PlanResult",
    "existing_plus",
    "new_site_operator",
    "new_site_radius_m",
    "propose_sites",
]
