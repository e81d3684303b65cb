"""``run_audit``: the whole coverage audit in one call.

The CLI and the Streamlit app are thin layers over this function; neither
computes anything itself. It reads as its steps, like pvlib's
``ModelChain.run_model``:

1. :func:`audit_params` checks every option against :mod:`phusong.options`
   and the model against :mod:`phusong.models`;
2. :func:`read_inputs` reads wards and sites (:mod:`phusong.io`) and applies
   the operator filter;
3. :func:`compute_coverage` runs the route: the exact vector route
   (:mod:`phusong.vector`, disc and sector models), the raster route
   (:mod:`phusong.raster.grid` + :mod:`phusong.raster.zonal`, path-loss
   models) or the tiled route (:mod:`phusong.raster.distributed`);
4. :func:`assemble_result` judges the per-ward table against the goal
   (:mod:`phusong.goals`) and builds the summary.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

import geopandas as gpd
import pandas as pd

from phusong import __version__
from phusong.calibration.apply import calibrate_inputs
from phusong.checks import (  # progress (issue #15)
    apply_as_of,
    checks_summary,
    judge_checks,
    measure_checks,
    read_targets,
    with_speed_columns,
)
from phusong.errors import ConfigError
from phusong.goals import Goal, city_figures, evaluate, meets, rank_wards
from phusong.io.files import input_record
from phusong.io.wards import shipped_input_record
from phusong.layers import (  # physics (issue #12)
    layer_summary,
    with_label_columns,
    with_layer_columns,
)
from phusong.models import get_model, refuse_unhonoured
from phusong.options import AUDIT, check
from phusong.physics import prepare_physics  # physics (issue #12)
from phusong.schema import ANY_OPERATOR, REDUNDANCY_CLASSES
from phusong.summary import jsonable, population_label

log = logging.getLogger(__name__)

ProgressFn = Callable[[str, float], None]


def _silent(step: str, fraction: float) -> None:
    """Show nothing: the default progress callback."""


@dataclass(frozen=True)
class AuditParams:
    """Every parameter that produced a result (recorded in ``summary.json``).

    Defaults come from :data:`phusong.options.AUDIT`.

    Parameters
    ----------
    model : str
        ``disc``, ``sector`` or a path-loss model name (short CLI names such as
        ``uma`` are resolved to their full name, e.g. ``uma_nlos``).
    threshold_dbm : float
        SS-RSRP coverage threshold [dBm] (path-loss models only).
    resolution_m : float
        Raster resolution [m] (raster route only).
    radio : tuple of str or None
        Radio technologies kept (default NR); ``None`` keeps all.
    operators : tuple of str or None
        Operators kept; ``None`` keeps all.
    goal : Goal
        The goal judged against.
    radius_m : float or None
        Footprint radius override for the disc/sector models [m].
    min_gap_area_m2 : float
        Gap polygons smaller than this are not listed [m²].
    route : {"vector", "raster", "tiled"}
        How coverage was computed.
    indoor_loss_db, reliability : float
        Link-budget options (path-loss models).
    population, goal_layer, o2i_model, los_probability, ue_gain_dbi, body_loss_db, \
sinr_min_db, sector_edge_db, terrain, dem, scenarios
        The options of issue #12 (:data:`phusong.options.AUDIT`); ``terrain``
        is resolved to ``"on"`` or ``"off"``. Options the model does not
        honour are recorded as ``None`` (:meth:`as_dict`).
    """

    model: str = AUDIT["model"].default
    threshold_dbm: float = AUDIT["threshold_dbm"].default
    resolution_m: float = AUDIT["resolution_m"].default
    radio: tuple[str, ...] | None = AUDIT["radio"].default
    operators: tuple[str, ...] | None = None
    goal: Goal = field(default_factory=Goal)
    radius_m: float | None = None
    min_gap_area_m2: float = AUDIT["min_gap_area_m2"].default
    route: str = "vector"
    indoor_loss_db: float = AUDIT["indoor_loss_db"].default
    reliability: float = AUDIT["reliability"].default
    calibration: dict[str, Any] | None = None  # calibration (issue #14): what was applied
    as_of: str | None = None  # progress (issue #15): the network as it stood on this date
    # --- physics (issue #12) ------------------------------------------------------------
    population: str = AUDIT["population"].default
    goal_layer: str = AUDIT["goal_layer"].default
    o2i_model: str = AUDIT["o2i_model"].default
    los_probability: bool = AUDIT["los_probability"].default
    ue_gain_dbi: float = AUDIT["ue_gain_dbi"].default
    body_loss_db: float = AUDIT["body_loss_db"].default
    sinr_min_db: float | None = AUDIT["sinr_min_db"].default
    sector_edge_db: float = AUDIT["sector_edge_db"].default
    terrain: str = "off"
    dem: str | None = None
    scenarios: str | None = None  # the override file's name, or "<mapping>"
    # --- end physics --------------------------------------------------------------------

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        d = asdict(self)
        d["goal"] = self.goal.as_dict()
        d["calibration"] = ((self.calibration or {}).get("file") or {}).get("name")  # issue #14
        d["radio"] = list(self.radio) if self.radio else None
        d["operators"] = list(self.operators) if self.operators else None
        # physics (issue #12): an option the model does not use is not recorded as applied
        from phusong.models import MODEL_OPTIONS

        spec = get_model(self.model)
        for name in MODEL_OPTIONS & set(d):
            if name not in spec.honours:
                d[name] = None
        if self.route == "vector":
            d["resolution_m"] = None
        return d

    @property
    def is_footprint(self) -> bool:
        """Whether the model is a footprint model (disc or sector)."""
        return get_model(self.model).is_footprint

    def describe(self) -> str:
        """Short label saying which model and threshold produced a figure."""
        if self.is_footprint:
            from phusong.models import FOOTPRINT_CAVEAT  # physics (issue #12)

            r = (
                f", radius {self.radius_m:g} m"
                if self.radius_m
                else ", radius from each cell's range"
            )
            edge = f", wedges to {self.sector_edge_db:g} dB" if self.model == "sector" else ""
            return f"{self.model} model{r}{edge}: {FOOTPRINT_CAVEAT}"
        from phusong.layers import reliability_words  # physics (issue #12)

        label = (
            f"{self.model} path loss, SS-RSRP ≥ {self.threshold_dbm:g} dBm, "
            f"{self.resolution_m:g} m grid, {reliability_words(self.reliability)}"
        )
        if self.terrain == "on":
            label += ", terrain"
        if self.calibration:  # calibration (issue #14): say which one
            label += (
                f", calibrated ({(self.calibration.get('file') or {}).get('name', 'calibration')})"
            )
        return label


@dataclass
class AuditResult:
    """Everything an audit produced.

    Attributes
    ----------
    wards : GeoDataFrame
        One row per ward for *any operator*: ward_id, name, kind, geometry
        (EPSG:4326), the coverage columns of
        :data:`phusong.schema.WARD_COVERAGE_COLUMNS`, and the goal columns of
        :func:`phusong.goals.evaluate` plus ``rank`` (1 = holds the city back
        the most), sorted by rank.
    by_operator : DataFrame
        Long table, one row per ward × operator (including ``"any"``), with the
        coverage and goal columns.
    summary : dict
        City-wide figures (JSON-able): see :func:`run_audit`.
    gaps : GeoDataFrame
        Uncovered parts of each ward (any operator), EPSG:4326, with area_km2
        and population.
    sites : GeoDataFrame
        The accepted sites after the radio and operator filters.
    validation : ValidationReport or None
        What reading the sites accepted and rejected.
    grid : GridResult or None
        Rasters of the raster route (best-server RSRP, server, SINR, counts).
    params : AuditParams
        Every parameter.
    request : dict or None
        The options :func:`run_audit` was called with (:func:`audit_request`:
        every option but the input data, the goal and how the work was
        spread), so that a caller can tell whether this audit is the one the
        same options would give (:func:`phusong.plan.run_plan`'s ``before``).
        ``None`` when not made by :func:`run_audit`.
    """

    wards: gpd.GeoDataFrame
    by_operator: pd.DataFrame
    summary: dict[str, Any]
    gaps: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    validation: Any
    grid: Any
    params: AuditParams
    coverage: Any = field(default=None, repr=False)
    ward_table: gpd.GeoDataFrame | None = field(default=None, repr=False)
    checks: Any = field(default=None, repr=False)  # progress (issue #15): phusong.checks.Checks
    request: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def meets_goal(self) -> bool:
        """Whether the city meets the goal."""
        return bool(self.summary["meets_goal"])

    def with_goal(self, goal: Goal) -> AuditResult:
        """Judge the same audit against another goal, without recomputing coverage.

        Coverage does not depend on the goal, so this re-runs only the cheap
        goal evaluation, ranking and city figures of :mod:`phusong.goals`; the
        result equals ``run_audit(..., goal=goal)`` on the same inputs.
        """
        if goal == self.params.goal:
            return self
        if self.coverage is None or self.ward_table is None:
            raise ValueError("this result was not made by run_audit; run the audit again")
        judged = assemble_result(
            self.ward_table,
            self.sites,
            self.validation,
            self.coverage,
            replace(self.params, goal=goal),
            self.summary["inputs"],
            bool(self.summary["synthetic"]),
            self.grid,
            checks=self.checks,  # progress (issue #15)
        )
        judged.request = self.request
        return judged


#: Options of :func:`run_audit` that are not part of its request: the sites and wards
#: (recorded by SHA-256 in ``summary["inputs"]``), the goal (``params.goal``) and how
#: the work is spread (same figures). The people raster is, by its SHA-256.
_NOT_REQUEST = frozenset(
    {"sites", "wards", "goal", "goal_metric", "progress", "scheduler", "tile_px"}
)  # fmt: skip


def _plain(value: Any) -> Any:
    """Return a comparable stand-in of an option's value (files by content, objects by identity)."""
    import hashlib

    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, (bytes, bytearray)):
        return "sha256:" + hashlib.sha256(value).hexdigest()
    if isinstance(value, (list, tuple)):
        return tuple(_plain(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((str(k), _plain(v)) for k, v in value.items()))
    return ("object", type(value).__name__, id(value))  # the same object only


def audit_request(**options: Any) -> dict[str, Any]:
    """Return the request of a :func:`run_audit` call with these keyword options.

    Every keyword of :func:`run_audit` but the input data, the goal and how
    the work is spread (see :data:`_NOT_REQUEST`), defaults filled in, each
    value made comparable: sequences as tuples, paths as text, bytes by
    SHA-256, any other object by identity; the people raster by its bytes'
    SHA-256 (``None`` without one). Two calls with equal requests on
    the same input files compute the same coverage.
    """
    import inspect

    bound = inspect.signature(run_audit).bind_partial(**options)
    bound.apply_defaults()
    request = {k: _plain(v) for k, v in bound.arguments.items() if k not in _NOT_REQUEST}
    raster = bound.arguments.get("population_raster")  # a people raster: by its bytes
    request["population_raster"] = (
        None if raster is None else (input_record(raster) or {}).get("sha256", _plain(raster))
    )
    return request


@dataclass
class AuditInputs:
    """What :func:`read_inputs` read: the tables an audit computes on.

    Attributes
    ----------
    wards : GeoDataFrame
        Canonical wards (ward_id, name, kind, population, geometry).
    sites : GeoDataFrame
        Accepted sites after the radio and operator filters.
    report : ValidationReport or None
        What reading the sites accepted and rejected.
    records : dict
        Name and SHA-256 of each input file (``summary.json``'s ``inputs``).
    synthetic : bool
        Whether the sites are (or derive from) the synthetic sample.
    operators : tuple of str or None
        The operator filter, spelled as in the site table.
    """

    wards: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    report: Any
    records: dict[str, Any]
    synthetic: bool
    operators: tuple[str, ...] | None
    population: Any = None  # physics (issue #12): PopulationChoice of prepare_physics
    physics: Any = None  # physics (issue #12): CellPhysics (path-loss models)


def load_wards(wards: Any = None, crs: Any = None) -> gpd.GeoDataFrame:
    """Wards from a path, an upload, a GeoDataFrame or ``None`` (the shipped Hà Nội wards).

    ``crs``: the system of a ward file in projected metres without one (issue #13).
    """
    from phusong.io.wards import normalise_wards, read_wards

    if isinstance(wards, gpd.GeoDataFrame):
        if {"ward_id", "name", "population"} <= set(wards.columns) and wards.attrs.get("topology"):
            return wards
        return normalise_wards(wards, crs=crs)
    return read_wards(wards, crs=crs)


def load_sites(
    sites: Any,
    wards: gpd.GeoDataFrame,
    radio: Sequence[str] | None = ("NR",),
    crs: Any = None,
) -> tuple[gpd.GeoDataFrame, Any]:
    """Sites from a path, an upload or a DataFrame, validated against the study area.

    ``crs``: the system of coordinate columns in projected metres (issue #13).
    """
    from phusong.io.sites import read_sites, sites_from_frame

    radio_arg = list(radio) if radio else None
    if isinstance(sites, pd.DataFrame):
        return sites_from_frame(sites, radio=radio_arg, study_area=wards, crs=crs)
    return read_sites(sites, radio=radio_arg, study_area=wards, crs=crs)


def _normalise_choice(values: Sequence[str] | str | None) -> tuple[str, ...] | None:
    if values is None:
        return None
    if isinstance(values, str):
        values = [values]
    out = tuple(str(v).strip() for v in values if str(v).strip())
    return out or None


def goal_of(goal: Goal | float | None, goal_metric: str | None) -> Goal:
    """Return the goal of ``run_audit``'s ``goal`` and ``goal_metric`` arguments."""
    if isinstance(goal, (int, float)):
        goal = Goal.target(float(goal), goal_metric or "population")  # type: ignore[arg-type]
    goal = goal or Goal()
    if goal_metric is not None and goal_metric != goal.metric:
        goal = Goal.target(goal.target_pct, goal_metric)  # type: ignore[arg-type]
    return goal


def audit_params(
    *,
    model: str,
    threshold_dbm: float,
    resolution_m: float,
    goal: Goal | float | None,
    goal_metric: str | None,
    operators: Sequence[str] | str | None,
    radio: Sequence[str] | str | None,
    radius_m: float | None,
    indoor_loss_db: float,
    reliability: float,
    min_gap_area_m2: float,
    route: str,
    **physics: Any,  # physics (issue #12): population, goal_layer, o2i_model, …
) -> AuditParams:
    """Check every option of :func:`run_audit` and return the parameters of the run.

    Bounds come from :data:`phusong.options.AUDIT`; messages name the argument.
    An option the model cannot honour is refused (:func:`phusong.models.refuse_unhonoured`).

    Raises
    ------
    ConfigError
        An invalid option or model, a route the model cannot take, or an
        option the model does not honour (naming it and its flag).
    """
    spec = get_model(model)
    route = check("route", route)
    if route == "auto":
        route = spec.route
    if route == "vector" and not spec.is_footprint:
        raise ConfigError(  # issue #13: the option in each interface's words
            f"[[route]]: the vector route supports only disc and sector, not {model!r}.",
            option="route",
        )
    given = {
        "threshold_dbm": threshold_dbm, "reliability": reliability,
        "indoor_loss_db": indoor_loss_db, "radius_m": radius_m, **physics,
    }  # fmt: skip
    refuse_unhonoured(spec, given, {k: AUDIT[k].default for k in given if k in AUDIT})
    extra = _physics_params(spec, route, physics)  # physics (issue #12)
    return AuditParams(
        model=spec.full_name,
        threshold_dbm=check("threshold_dbm", threshold_dbm),
        resolution_m=check("resolution_m", resolution_m),
        radio=_normalise_choice(radio),
        operators=_normalise_choice(operators),
        goal=goal_of(goal, goal_metric),
        radius_m=None if radius_m is None else check("radius_m", radius_m),
        min_gap_area_m2=check("min_gap_area_m2", min_gap_area_m2),
        route=route,
        indoor_loss_db=check("indoor_loss_db", indoor_loss_db),
        reliability=check("reliability", reliability),
        **extra,
    )


def _physics_params(spec: Any, route: str, given: dict[str, Any]) -> dict[str, Any]:
    """Check the options of issue #12 and resolve ``terrain`` (physics, issue #12).

    Raises
    ------
    ConfigError
        A bad value, or terrain / an SINR criterion on a route that cannot apply it.
    """
    out: dict[str, Any] = {}
    for key in ("population", "goal_layer", "o2i_model", "los_probability", "ue_gain_dbi",
                "body_loss_db", "sector_edge_db"):  # fmt: skip
        if given.get(key) is not None:
            out[key] = check(key, given[key])
    if given.get("sinr_min_db") is not None:
        out["sinr_min_db"] = check("sinr_min_db", given["sinr_min_db"])
    terrain = check("terrain", given.get("terrain") or "auto")
    if terrain == "auto":
        terrain = "on" if spec.is_planning and route == "raster" else "off"
    if route != "raster" and (terrain == "on" or out.get("sinr_min_db") is not None):
        raise ConfigError(
            f"terrain / sinr_min_db (--terrain, --sinr-min-db): the {route} route cannot apply "
            "them; use route='raster' (the default for path-loss models)."
        )
    out["terrain"] = terrain
    if given.get("dem") is not None:
        if terrain != "on":
            raise ConfigError("dem (--dem): terrain is off; drop --dem or set --terrain on.")
        out["dem"] = str(check("dem", given["dem"]))
    scen = given.get("scenarios")
    if scen is not None:
        out["scenarios"] = "<mapping>" if isinstance(scen, dict) else str(scen)
    return out


def _keep_operators(
    site_table: gpd.GeoDataFrame, operators: tuple[str, ...] | None
) -> tuple[gpd.GeoDataFrame, tuple[str, ...] | None]:
    """Keep the sites of ``operators`` (matched ignoring case); names as in the table."""
    if operators is None:
        return site_table, None
    present = sorted(set(site_table["operator"].dropna()))
    by_lower = {p.casefold(): p for p in present}
    operators = tuple(by_lower.get(o.casefold(), o) for o in operators)
    unknown = [o for o in operators if o not in present]
    if unknown:
        raise ConfigError(  # issue #13: the option in each interface's words
            f"[[operators]]: {', '.join(unknown)} not in the site data; operators present: "
            f"{', '.join(present) or 'none'}.",
            option="operators",
        )
    return site_table[site_table["operator"].isin(operators)].copy(), operators


def read_inputs(
    sites: Any,
    wards: Any,
    params: AuditParams,
    population_raster: Any = None,
    progress: ProgressFn = _silent,
    crs: Any = None,
) -> AuditInputs:
    """Read wards and sites, filter the sites, and record every input file.

    ``crs`` is the system of inputs in projected metres without one; a
    population raster is checked against the wards (issue #13).

    Raises
    ------
    DataError
        Unusable wards or sites (every problem listed).
    ConfigError
        An operator that is not in the site data.
    """
    progress("reading wards", 0.0)
    records: dict[str, Any] = {}
    ward_table = load_wards(wards, crs)
    records["wards"] = input_record(wards) if wards is not None else shipped_input_record()
    progress("reading sites", 0.05)
    records["sites"] = input_record(sites)
    site_table, report = load_sites(sites, ward_table, params.radio, crs)
    synthetic = (
        bool(site_table.attrs.get("synthetic"))
        or "synthetic" in str((records["sites"] or {}).get("name", "")).lower()
    )
    site_table, operators = _keep_operators(site_table, params.operators)
    if population_raster is not None:
        from phusong.io.population import check_population_raster  # issue #13

        check_population_raster(population_raster, ward_table)
        records["population_raster"] = input_record(population_raster)
    return AuditInputs(ward_table, site_table, report, records, synthetic, operators)


@dataclass(frozen=True)
class TiledCoverage:
    """Coverage of the tiled route: the table only (no rasters, no gap polygons)."""

    table: pd.DataFrame
    gaps: gpd.GeoDataFrame
    population_source: str


def _link_budget(params: AuditParams) -> Any:
    from phusong.physics import link_budget_of  # physics (issue #12): UE gain, body loss

    return link_budget_of(params)


def _vector_route(
    inputs: AuditInputs, params: AuditParams, run: dict[str, Any], progress: ProgressFn
) -> tuple[Any, Any]:
    """Exact vector coverage (disc and sector models)."""
    from phusong.vector.aggregate import ward_coverage_vector

    if run["scheduler"] is not None:
        log.info(
            "scheduler %r ignored: the vector route (disc/sector) runs in this process; "
            "use route='raster' or 'tiled' to spread the work over Dask workers.",
            run["scheduler"],
        )
    # physics (issue #12): sector wedges to sector_edge_db; people from raster weights
    from phusong import dasymetric
    from phusong.layers import footprint_layers
    from phusong.physics import footprint_sites

    sites = inputs.sites
    if params.model == "sector":
        sites = footprint_sites(sites, params.sector_edge_db)
    choice = inputs.population
    options: dict[str, Any] = {"model": params.model, "radius_m": params.radius_m}
    if choice is not None and choice.dasymetric:
        cov = dasymetric.vector_coverage(
            inputs.wards, sites, choice, min_gap_area_m2=params.min_gap_area_m2, **options
        )
    else:
        cov = ward_coverage_vector(
            inputs.wards, sites, min_gap_area_m2=params.min_gap_area_m2, **options
        )
    return footprint_layers(cov, choice), None


def _raster_route(
    inputs: AuditInputs, params: AuditParams, run: dict[str, Any], progress: ProgressFn
) -> tuple[Any, Any]:
    """Best-server raster, then zonal sums per ward (path-loss models)."""
    from phusong.layers import raster_layers  # physics (issue #12)
    from phusong.physics import engine_model_of, footprint_sites, terrain_for
    from phusong.raster.grid import GridSpec, compute_grid

    spec = GridSpec.for_area(inputs.wards, resolution_m=params.resolution_m)
    sites = inputs.sites
    if params.model == "sector":  # physics (issue #12): wedges to sector_edge_db
        sites = footprint_sites(sites, params.sector_edge_db)
    common = {
        "model": engine_model_of(params, inputs.physics),
        "link_budget": _link_budget(params),
        "tile_px": run["tile_px"],
    }
    terrain = terrain_for(params.dem, spec) if params.terrain == "on" else None
    if run["scheduler"] is not None:
        from phusong.raster.distributed import compute_grid_distributed

        grid = compute_grid_distributed(sites, spec, scheduler=run["scheduler"], **common)
    else:
        grid = compute_grid(
            sites,
            spec,
            progress=(lambda f: progress("computing coverage", 0.1 + 0.7 * f)),
            sinr_min_db=params.sinr_min_db,
            terrain=terrain,
            **common,
        )
    grid.model = params.model
    progress("aggregating per ward", 0.8)
    cov = raster_layers(
        inputs.wards, grid, params, inputs.population, physics=inputs.physics,
        terrain=_terrain_record(terrain),
    )  # fmt: skip
    return cov, grid


def _terrain_record(terrain: Any) -> dict[str, Any]:
    """Whether terrain was used and its credit (issue #12); the unknown area follows the checks."""
    if terrain is None:
        return {"used": False}
    return {"used": True, "credit": getattr(terrain, "credit", None), "unknown_km2": None}


def count_terrain_unknown(cov: Any, grid: Any, pieces: Any) -> None:
    """Record the land inside the wards where terrain was unknown [km²] (``terrain.unknown_km2``).

    Counted on the ward × pixel pieces the checks already found
    (:func:`phusong.raster.ward_pixels.ward_pixels_for`: exact partial-pixel
    shares), not over the grid's rectangle.
    """
    record = getattr(cov, "terrain", None) or {}
    unknown = getattr(grid, "terrain_unknown", None)
    if not record.get("used") or unknown is None or pieces is None:
        return
    import numpy as np

    flags = np.asarray(unknown, dtype=bool).ravel()[pieces.pixel]
    record["unknown_km2"] = float(np.sum(pieces.fraction[flags])) * grid.grid.pixel_area_m2 / 1e6


def _tiled_route(
    inputs: AuditInputs, params: AuditParams, run: dict[str, Any], progress: ProgressFn
) -> tuple[Any, Any]:
    """Per-ward sums tile by tile, never assembling the raster (country scale)."""
    from phusong.layers import tiled_layers  # physics (issue #12)
    from phusong.physics import engine_model_of, footprint_sites
    from phusong.raster.distributed import ward_coverage_tiled
    from phusong.raster.grid import GridSpec

    spec = GridSpec.for_area(inputs.wards, resolution_m=params.resolution_m)
    choice = inputs.population
    sites = inputs.sites
    if params.model == "sector":  # physics (issue #12): wedges to sector_edge_db
        sites = footprint_sites(sites, params.sector_edge_db)
    table = ward_coverage_tiled(
        inputs.wards,
        sites,
        spec,
        model=engine_model_of(params, inputs.physics),
        link_budget=_link_budget(params),
        tile_px=run["tile_px"],
        scheduler=run["scheduler"],
        population=choice.raster if choice is not None and choice.dasymetric else None,
        progress=(lambda f: progress("computing coverage", 0.1 + 0.8 * f)),
    )
    gaps = gpd.GeoDataFrame(
        {"ward_id": [], "name": [], "area_km2": [], "population": []},
        geometry=[],
        crs="EPSG:4326",
    )
    source = table.attrs.get("population_source", "uniform:official")
    cov = TiledCoverage(table=table, gaps=gaps, population_source=source)
    return tiled_layers(cov, inputs.wards, choice, physics=inputs.physics), None


#: How each route computes coverage: ``route(inputs, params, run, progress)``
#: → (coverage with ``table``/``gaps``/``population_source``, GridResult or None).
ROUTES: dict[str, Callable[..., tuple[Any, Any]]] = {
    "vector": _vector_route,
    "raster": _raster_route,
    "tiled": _tiled_route,
}


def compute_coverage(
    inputs: AuditInputs,
    params: AuditParams,
    *,
    population_raster: Any = None,
    tile_px: int = AUDIT["tile_px"].default,
    scheduler: Any = None,
    progress: ProgressFn = _silent,
) -> tuple[Any, Any]:
    """Per-ward coverage by the route of ``params`` (see :data:`ROUTES`)."""
    progress("computing coverage", 0.1)
    run = {
        "population_raster": population_raster,
        "tile_px": check("tile_px", tile_px),
        "scheduler": scheduler,
    }
    if params.route in ("raster", "tiled"):  # issue #13: refuse a grid that would not fit
        from phusong.raster.memory import check_grid_memory

        n_ops = int(inputs.sites["operator"].nunique()) if len(inputs.sites) else 1
        check_grid_memory(
            inputs.wards, params.resolution_m, route=params.route, operators=n_ops,
            tile_px=run["tile_px"],
        )  # fmt: skip
    return ROUTES[params.route](inputs, params, run, progress)


def run_audit(
    sites: Any,
    wards: Any = None,
    *,
    model: str = AUDIT["model"].default,
    threshold_dbm: float = AUDIT["threshold_dbm"].default,
    resolution_m: float = AUDIT["resolution_m"].default,
    goal: Goal | float | None = None,
    goal_metric: Literal["population", "area"] | None = None,
    operators: Sequence[str] | str | None = None,
    radio: Sequence[str] | str | None = AUDIT["radio"].default,
    radius_m: float | None = None,
    population_raster: str | os.PathLike[str] | None = None,
    indoor_loss_db: float = AUDIT["indoor_loss_db"].default,
    reliability: float = AUDIT["reliability"].default,
    min_gap_area_m2: float = AUDIT["min_gap_area_m2"].default,
    route: Literal["auto", "vector", "raster", "tiled"] = AUDIT["route"].default,
    tile_px: int = AUDIT["tile_px"].default,
    scheduler: Any = None,
    calibration: Any = None,
    crs: str | None = None,
    # --- progress (issue #15): dated targets -------------------------------------
    as_of: Any = None,
    targets: Any = None,
    goals: Sequence[str] | str | None = None,
    throughput: Any = None,
    speed_target_mbps: float = AUDIT["speed_target_mbps"].default,
    place_min_share_pct: float = AUDIT["place_min_share_pct"].default,
    # --- end progress ----------------------------------------------------------------
    # --- physics (issue #12) -----------------------------------------------------------
    population: str = AUDIT["population"].default,
    goal_layer: str = AUDIT["goal_layer"].default,
    o2i_model: str = AUDIT["o2i_model"].default,
    scenarios: Any = None,
    los_probability: bool = AUDIT["los_probability"].default,
    ue_gain_dbi: float = AUDIT["ue_gain_dbi"].default,
    body_loss_db: float = AUDIT["body_loss_db"].default,
    sinr_min_db: float | None = None,
    sector_edge_db: float = AUDIT["sector_edge_db"].default,
    terrain: str = AUDIT["terrain"].default,
    dem: Any = None,
    # --- end physics -------------------------------------------------------------------
    progress: ProgressFn | None = None,
) -> AuditResult:
    """Audit 5G coverage of every ward against a goal.

    Parameters
    ----------
    sites : path, file object, bytes or DataFrame
        Tower data: an OpenCelliD CSV, an operator site/sector sheet, vector
        points, or an already read canonical site table.
    wards : path, file object, GeoDataFrame or None
        Ward boundaries; ``None`` uses the shipped Hà Nội wards.
    model : str
        ``planning`` (the default: 3GPP TR 38.901 with the scenario per ward
        and cell, outdoor and indoor layers, terrain; :mod:`phusong.models`),
        a single path-loss model (``uma``, ``umi``, ``rma``, ``hata``,
        ``fspl`` or any name of :data:`phusong.models.MODELS`; raster route),
        or ``disc`` / ``sector``: quick footprint estimates (no propagation,
        outdoor, median: an upper bound; exact vector geometry).
    threshold_dbm : float
        SS-RSRP coverage threshold [dBm]; default −110 (a common 5G cell-edge
        planning value; see docs/sources.md). Path-loss models only.
    resolution_m : float
        Raster resolution [m]; default 50.
    goal : Goal or float, optional
        The goal, or a target % for the default metric; default 99 % of the
        population by 2030 (plan 58/KH-UBND).
    goal_metric : {"population", "area"}, optional
        Overrides the goal's metric.
    operators : str or sequence of str, optional
        Keep only these operators (names as in the site table, e.g. Viettel).
    radio : str or sequence of str or None
        Radio technologies to keep; default NR; ``None`` keeps all.
    radius_m : float, optional
        Footprint radius override [m] for disc/sector.
    population_raster : path, optional
        People-per-pixel GeoTIFF used as weights within each ward, rescaled
        to the ward's official total (:mod:`phusong.dasymetric`).
    indoor_loss_db : float
        Flat extra loss on every location [dB], single-scenario path-loss
        models only (``planning`` has the TR 38.901 O2I indoor layer).
    reliability : float
        Cell-edge reliability for the shadow-fading margin (0.5 = no margin).
        Path-loss models only.
    min_gap_area_m2 : float
        Smallest gap polygon reported [m²].
    route : {"auto", "vector", "raster", "tiled"}
        ``auto``: vector for disc/sector, raster for path-loss models. The
        raster route also works for disc/sector (used to cross-check).
        ``tiled`` computes per-ward sums tile by tile and never assembles the
        full raster (country scale; no gap polygons or rasters in the result).
    tile_px : int
        Raster tile size [pixels].
    scheduler : optional
        A Dask scheduler address or client for the raster route (see
        :mod:`phusong.raster.distributed`); ``None`` computes in-process.
    calibration : path, bytes, dict or Calibration, optional
        A calibration from :func:`phusong.calibration.run_calibration`
        (``calibration.json``): per operator × band × scenario, a path-loss
        offset (and slope) added to the model's cells
        (:func:`phusong.calibration.apply.calibrate_inputs`). Path-loss models
        only, and only the model it was fitted for; recorded in the
        summary's ``calibration`` and in the model label.
    crs : str, optional
        Coordinate system of inputs given in projected metres without one:
        site eastings/northings in the lat/lon columns, a ward file without a
        CRS (e.g. ``"EPSG:3405"``, VN-2000 / UTM zone 48N). Without it such
        inputs are refused with the systems that would fit.
    as_of : str or date, optional
        Audit the network as it stood on this date (``2025-06-30``, ``today``):
        only the cells on air by then (their on-air date ≤ ``as_of``; cells
        without a date are left out and counted). Needs on-air dates
        (:mod:`phusong.progress.rollout`). Also the date the targets are judged at
        (default today).
    targets : path, GeoDataFrame or PlacesRead, optional
        Target places (points or polygons with ``deadline`` and ``kind``,
        :mod:`phusong.io.targets`), each judged (:mod:`phusong.targets`) and
        turned into milestones of the goal set.
    goals : str or sequence of str, optional
        Targets of the goal set to judge (``coverage``, ``speed``, ``places``
        or a place deadline key); default every target that applies.
    throughput : dict or ThroughputParams, optional
        Assumptions of the throughput estimate
        (:class:`phusong.propagation.throughput.ThroughputParams`).
    speed_target_mbps : float
        Speed target [Mbit/s]; default 100 (plan 58/KH-UBND).
    place_min_share_pct : float
        Share of a polygon place that must be served for it to count as
        covered [%] (places with the ``served`` rule).
    population : {"auto", "worldpop", "uniform"}
        Where people live inside each ward (:func:`phusong.dasymetric.choose_population`):
        ``auto`` (default) uses WorldPop 2020 1 km weights rescaled to each
        ward's official total for the shipped Hà Nội wards (or
        ``population_raster`` as the weights), and spreads the official total
        evenly for other wards; ``uniform`` always spreads it evenly.
    goal_layer : {"outdoor", "indoor"}
        The layer the goal is judged on (both are reported; path-loss models).
    o2i_model : {"low-loss", "high-loss"}
        TR 38.901 §7.4.3 O2I model of the indoor layer (path-loss models).
    scenarios : mapping or path, optional
        Per-ward scenario overrides of the ``planning`` model, ``{ward id or
        name: "uma" | "umi" | "rma"}`` or a CSV (:mod:`phusong.io.scenarios`).
    los_probability : bool
        ``planning``: weight LOS and NLOS path loss by the TR 38.901 LOS
        probability (default False: NLOS).
    ue_gain_dbi, body_loss_db : float
        UE antenna gain [dBi] and body loss [dB] (path-loss models).
    sinr_min_db : float, optional
        Coverage also needs the best server's SINR ≥ this [dB] (raster route).
    sector_edge_db : float
        ``sector``: the wedge ends where the antenna pattern is this far below
        boresight [dB] (default 10).
    terrain : {"auto", "on", "off"}
        Terrain diffraction over a DEM (``auto``: on for ``planning`` on the
        raster route).
    dem : path, optional
        Elevation model(s) for terrain; default the shipped SRTM tile.
    progress : callable, optional
        ``progress(step, fraction)`` called as the work proceeds.

    Returns
    -------
    AuditResult
        ``summary`` holds: ``area_coverage_pct`` (area-weighted) and
        ``population_coverage_pct`` (population-weighted) city-wide, the goal,
        ``meets_goal``, ``wards_meeting_goal`` / ``n_wards``, people uncovered,
        per-operator figures, redundancy, ``population_source``, the model
        label and every parameter, rows accepted/rejected, SHA-256 of each
        input file, ``synthetic`` and the tool version.

    Raises
    ------
    DataError
        Unusable input data (every problem listed).
    ConfigError
        An invalid option (names the option and the valid values).
    """
    request = audit_request(**{k: v for k, v in locals().items() if k not in _NOT_REQUEST})
    say = progress or _silent
    params = audit_params(
        model=model,
        threshold_dbm=threshold_dbm,
        resolution_m=resolution_m,
        goal=goal,
        goal_metric=goal_metric,
        operators=operators,
        radio=radio,
        radius_m=radius_m,
        indoor_loss_db=indoor_loss_db,
        reliability=reliability,
        min_gap_area_m2=min_gap_area_m2,
        route=route,
        # physics (issue #12)
        population=population, goal_layer=goal_layer, o2i_model=o2i_model,
        scenarios=scenarios, los_probability=los_probability, ue_gain_dbi=ue_gain_dbi,
        body_loss_db=body_loss_db, sinr_min_db=sinr_min_db, sector_edge_db=sector_edge_db,
        terrain=terrain, dem=dem,
    )  # fmt: skip
    inputs = read_inputs(sites, wards, params, population_raster, say, crs=crs)
    params = replace(params, operators=inputs.operators)
    inputs = prepare_physics(  # physics (issue #12): people, scenarios, per-cell terms
        inputs, params, population=population, population_raster=population_raster,
        scenarios=scenarios,
    )  # fmt: skip
    inputs, params = calibrate_inputs(inputs, params, calibration)  # calibration (issue #14)
    inputs, params, rollout = apply_as_of(inputs, params, as_of)  # progress (issue #15)
    places = read_targets(targets, inputs.records)  # progress (issue #15)
    cov, grid = compute_coverage(
        inputs,
        params,
        population_raster=population_raster,
        tile_px=tile_px,
        scheduler=scheduler,
        progress=say,
    )
    checks = measure_checks(  # progress (issue #15): speed, target places, goal set
        inputs, params, grid, rollout=rollout, places=places, throughput=throughput,
        speed_target_mbps=check("speed_target_mbps", speed_target_mbps),
        place_min_share_pct=check("place_min_share_pct", place_min_share_pct),
        population_raster=population_raster, goals=_normalise_choice(goals),
    )  # fmt: skip
    count_terrain_unknown(cov, grid, getattr(checks, "pieces", None))  # issue #12
    say("judging against the goal", 0.9)
    result = assemble_result(
        inputs.wards,
        inputs.sites,
        inputs.report,
        cov,
        params,
        inputs.records,
        inputs.synthetic,
        grid,
        checks=checks,  # progress (issue #15)
    )
    result.request = request
    say("done", 1.0)
    return result


def _operator_figures(
    table: pd.DataFrame, goal: Goal, city: dict[str, Any], site_table: gpd.GeoDataFrame
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Per ward × operator goal table, and the city figures of each operator."""
    parts = []
    operators: dict[str, Any] = {}
    for op, part in table.groupby("operator", sort=True):
        part_ev = evaluate(
            part, goal, city_population=city["population"], city_area_km2=city["area_km2"]
        )
        parts.append(part_ev)
        figs = city_figures(part)
        operators[str(op)] = {
            "area_coverage_pct": figs["area_coverage_pct"],
            "population_coverage_pct": figs["population_coverage_pct"],
            "covered_population": figs["covered_population"],
            "covered_area_km2": figs["covered_area_km2"],
            "meets_goal": meets(figs, goal),
            "wards_meeting_goal": int(part_ev["meets_goal"].sum()),
            "cells": int((site_table["operator"] == op).sum())
            if op != ANY_OPERATOR
            else len(site_table),
        }
    by_operator = (
        pd.concat(parts, ignore_index=True)
        .sort_values(["ward_id", "operator"], kind="mergesort")
        .reset_index(drop=True)
    )
    return by_operator, operators


def _redundancy(any_rows: pd.DataFrame, city: dict[str, Any]) -> dict[str, Any]:
    """Area and people by number of serving sites (0, 1, 2–4, 5+), city-wide."""
    out = {}
    for label in REDUNDANCY_CLASSES:
        a = float(any_rows[f"area_km2_servers_{label}"].sum())
        p = float(any_rows[f"population_servers_{label}"].sum())
        out[label] = {
            "area_km2": a,
            "area_pct": 100.0 * a / city["area_km2"] if city["area_km2"] else float("nan"),
            "population": p,
            "population_pct": 100.0 * p / city["population"]
            if city["population"]
            else float("nan"),
        }
    return out


#: City figures copied into the summary.
_CITY_KEYS = (
    "area_coverage_pct",
    "population_coverage_pct",
    "area_km2",
    "covered_area_km2",
    "population",
    "covered_population",
    "uncovered_population",
)


def _summary(
    city: dict[str, Any],
    per_ward: gpd.GeoDataFrame,
    operators: dict[str, Any],
    redundancy: dict[str, Any],
    site_table: gpd.GeoDataFrame,
    report: Any,
    cov: Any,
    params: AuditParams,
    inputs: dict[str, Any],
    synthetic: bool,
) -> dict[str, Any]:
    """Return the city-wide figures and every parameter, as ``summary.json`` holds them."""
    goal = params.goal
    return {
        "tool": "phusong",
        "version": __version__,
        "synthetic": synthetic,
        "model": params.model,
        "model_label": params.describe(),
        "route": params.route,
        "threshold_dbm": params.threshold_dbm if not params.is_footprint else None,
        "population_source": cov.population_source,
        "population_label": population_label(cov.population_source),
        **{k: city[k] for k in _CITY_KEYS},
        "goal": {**goal.as_dict(), "description": goal.describe()},
        "meets_goal": meets(city, goal),
        "goal_gap_points": max(goal.target_pct - city[goal.column], 0.0),
        "wards_meeting_goal": int(per_ward["meets_goal"].sum()),
        "n_wards": len(per_ward),
        "worst_wards": [
            {
                "ward_id": str(r.ward_id),
                "name": str(r.name),
                "city_gain_pct": float(r.city_gain_pct),
                goal.column: float(getattr(r, goal.column)),
            }
            for r in per_ward.head(10).itertuples()
        ],
        "operators": operators,
        "redundancy": redundancy,
        "sites": {
            "cells": len(site_table),
            "sites": int(site_table["site_id"].nunique()) if len(site_table) else 0,
            "rows_read": getattr(report, "rows_read", None),
            "rows_accepted": getattr(report, "rows_accepted", None),
            "rows_rejected": getattr(report, "rows_rejected", None),
        },
        "inputs": inputs,
        "parameters": params.as_dict(),
        "calibration": params.calibration,  # calibration (issue #14)
    }


def assemble_result(
    ward_table: gpd.GeoDataFrame,
    site_table: gpd.GeoDataFrame,
    report: Any,
    cov: Any,
    params: AuditParams,
    inputs: dict[str, Any],
    synthetic: bool,
    grid_result: Any,
    checks: Any = None,
) -> AuditResult:
    """Judge a per-ward coverage table against the goal and build the result.

    Parameters
    ----------
    ward_table : GeoDataFrame
        Canonical wards (ward_id, name, kind, geometry).
    site_table : GeoDataFrame
        Sites used.
    report : ValidationReport or None
        What reading the sites accepted and rejected.
    cov : object
        Coverage with ``table`` (long, columns of
        :data:`phusong.schema.WARD_COVERAGE_COLUMNS`), ``gaps`` and
        ``population_source`` (the vector or the raster route's result).
    params : AuditParams
        Every parameter (its ``goal`` is judged against).
    inputs : dict
        Input file names and SHA-256.
    synthetic : bool
        Whether the sites are the synthetic sample.
    grid_result : GridResult or None
        Rasters of the raster route.
    checks : Checks, optional
        Throughput, target places and the "as of" date
        (:func:`phusong.checks.measure_checks`); the goal set is judged here.
    """
    goal = params.goal
    table = cov.table.copy()
    table["ward_id"] = table["ward_id"].astype("string")
    any_rows = table[table["operator"] == ANY_OPERATOR].drop(columns="operator")
    city = city_figures(any_rows)
    per_ward = ward_table[["ward_id", "name", "kind", "geometry"]].merge(
        evaluate(any_rows, goal), on="ward_id", how="left", validate="1:1"
    )
    per_ward = gpd.GeoDataFrame(rank_wards(per_ward), geometry="geometry", crs=ward_table.crs)
    per_ward = per_ward.reset_index(drop=True)
    by_operator, operators = _operator_figures(table, goal, city, site_table)
    by_operator = ward_table[["ward_id", "name"]].merge(by_operator, on="ward_id", how="right")
    per_ward = with_speed_columns(per_ward, checks)  # progress (issue #15): throughput per ward
    per_ward = with_layer_columns(per_ward, cov, params)  # physics (issue #12): both layers
    by_operator = with_label_columns(by_operator, cov, params)  # physics (issue #12): labels
    summary = _summary(
        city,
        per_ward,
        operators,
        _redundancy(any_rows, city),
        site_table,
        report,
        cov,
        params,
        inputs,
        synthetic,
    )
    summary.update(layer_summary(cov, params))  # physics (issue #12): layers and labels
    statuses = judge_checks(checks, city, goal) if checks is not None else []  # issue #15
    summary.update(checks_summary(checks, statuses))  # issue #15: as_of, goals, throughput…
    return AuditResult(
        wards=per_ward,
        by_operator=by_operator,
        summary=jsonable(summary),
        gaps=cov.gaps,
        sites=site_table,
        validation=report,
        grid=grid_result,
        params=params,
        coverage=cov,
        ward_table=ward_table,
        checks=checks,  # progress (issue #15)
    )


__all__ = [
    "ROUTES",
    "AuditInputs",
    "AuditParams",
    "AuditResult",
    "assemble_result",
    "audit_params",
    "audit_request",
    "compute_coverage",
    "goal_of",
    "load_sites",
    "load_wards",
    "read_inputs",
    "run_audit",
]
