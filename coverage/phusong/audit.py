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
from phusong.errors import ConfigError
from phusong.goals import Goal, city_figures, evaluate, meets, rank_wards
from phusong.io.files import input_record
from phusong.io.wards import shipped_input_record
from phusong.models import get_model
from phusong.options import AUDIT, check
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

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        d = asdict(self)
        d["goal"] = self.goal.as_dict()
        d["radio"] = list(self.radio) if self.radio else None
        d["operators"] = list(self.operators) if self.operators else None
        return d

    @property
    def is_footprint(self) -> bool:
        """Whether the model is a footprint model (disc or sector)."""
        return get_model(self.model).is_footprint

    def describe(self) -> str:
        """Short label saying which model and threshold produced a figure."""
        if self.is_footprint:
            r = (
                f", radius {self.radius_m:g} m"
                if self.radius_m
                else ", radius from each cell's range"
            )
            return f"{self.model} model{r}"
        return f"{self.model} path loss, SS-RSRP ≥ {self.threshold_dbm:g} dBm, {self.resolution_m:g} m grid"


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
        return assemble_result(
            self.ward_table,
            self.sites,
            self.validation,
            self.coverage,
            replace(self.params, goal=goal),
            self.summary["inputs"],
            bool(self.summary["synthetic"]),
            self.grid,
        )


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


def load_wards(wards: Any = None) -> gpd.GeoDataFrame:
    """Wards from a path, an upload, a GeoDataFrame or ``None`` (the shipped Hà Nội wards)."""
    from phusong.io.wards import normalise_wards, read_wards

    if isinstance(wards, gpd.GeoDataFrame):
        if {"ward_id", "name", "population"} <= set(wards.columns) and wards.attrs.get("topology"):
            return wards
        return normalise_wards(wards)
    return read_wards(wards)


def load_sites(
    sites: Any,
    wards: gpd.GeoDataFrame,
    radio: Sequence[str] | None = ("NR",),
) -> tuple[gpd.GeoDataFrame, Any]:
    """Sites from a path, an upload or a DataFrame, validated against the study area."""
    from phusong.io.sites import read_sites, sites_from_frame

    radio_arg = list(radio) if radio else None
    if isinstance(sites, pd.DataFrame):
        return sites_from_frame(sites, radio=radio_arg, study_area=wards)
    return read_sites(sites, radio=radio_arg, study_area=wards)


def _normalise_choice(values: Sequence[str] | str | None) -> tuple[str, ...] | None:
    if values is None:
        return None
    if isinstance(values, str):
        values = [values]
    out = tuple(str(v).strip() for v in values if str(v).strip())
    return out or None


def _goal_of(goal: Goal | float | None, goal_metric: str | None) -> Goal:
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
) -> AuditParams:
    """Check every option of :func:`run_audit` and return the parameters of the run.

    Bounds come from :data:`phusong.options.AUDIT`; messages name the argument.

    Raises
    ------
    ConfigError
        An invalid option or model, or a route the model cannot take.
    """
    spec = get_model(model)
    route = check("route", route)
    if route == "auto":
        route = spec.route
    if route == "vector" and not spec.is_footprint:
        raise ConfigError(f"route: the vector route supports only disc and sector, not {model!r}.")
    return AuditParams(
        model=spec.full_name,
        threshold_dbm=check("threshold_dbm", threshold_dbm),
        resolution_m=check("resolution_m", resolution_m),
        radio=_normalise_choice(radio),
        operators=_normalise_choice(operators),
        goal=_goal_of(goal, goal_metric),
        radius_m=None if radius_m is None else check("radius_m", radius_m),
        min_gap_area_m2=check("min_gap_area_m2", min_gap_area_m2),
        route=route,
        indoor_loss_db=check("indoor_loss_db", indoor_loss_db),
        reliability=check("reliability", reliability),
    )


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
        raise ConfigError(
            f"operators: {', '.join(unknown)} not in the site data; operators present: "
            f"{', '.join(present) or 'none'}."
        )
    return site_table[site_table["operator"].isin(operators)].copy(), operators


def read_inputs(
    sites: Any,
    wards: Any,
    params: AuditParams,
    population_raster: Any = None,
    progress: ProgressFn = _silent,
) -> AuditInputs:
    """Read wards and sites, filter the sites, and record every input file.

    Raises
    ------
    DataError
        Unusable wards or sites (every problem listed).
    ConfigError
        An operator that is not in the site data.
    """
    progress("reading wards", 0.0)
    records: dict[str, Any] = {}
    ward_table = load_wards(wards)
    records["wards"] = input_record(wards) if wards is not None else shipped_input_record()
    progress("reading sites", 0.05)
    records["sites"] = input_record(sites)
    site_table, report = load_sites(sites, ward_table, params.radio)
    synthetic = (
        bool(site_table.attrs.get("synthetic"))
        or "synthetic" in str((records["sites"] or {}).get("name", "")).lower()
    )
    site_table, operators = _keep_operators(site_table, params.operators)
    if population_raster is not None:
        records["population_raster"] = input_record(population_raster)
    return AuditInputs(ward_table, site_table, report, records, synthetic, operators)


@dataclass(frozen=True)
class TiledCoverage:
    """Coverage of the tiled route: the table only (no rasters, no gap polygons)."""

    table: pd.DataFrame
    gaps: gpd.GeoDataFrame
    population_source: str


def _link_budget(params: AuditParams) -> Any:
    from phusong.propagation import LinkBudget

    return LinkBudget(
        threshold_dbm=params.threshold_dbm,
        indoor_loss_db=params.indoor_loss_db,
        reliability=params.reliability,
    )


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
    cov = ward_coverage_vector(
        inputs.wards,
        inputs.sites,
        model=params.model,  # type: ignore[arg-type]
        radius_m=params.radius_m,
        population_raster=run["population_raster"],
        min_gap_area_m2=params.min_gap_area_m2,
    )
    return cov, None


def _raster_route(
    inputs: AuditInputs, params: AuditParams, run: dict[str, Any], progress: ProgressFn
) -> tuple[Any, Any]:
    """Best-server raster, then zonal sums per ward (path-loss models)."""
    from phusong.raster.grid import GridSpec, compute_grid
    from phusong.raster.zonal import ward_coverage_raster

    spec = GridSpec.for_area(inputs.wards, resolution_m=params.resolution_m)
    common = {"model": params.model, "link_budget": _link_budget(params), "tile_px": run["tile_px"]}
    if run["scheduler"] is not None:
        from phusong.raster.distributed import compute_grid_distributed

        grid = compute_grid_distributed(inputs.sites, spec, scheduler=run["scheduler"], **common)
    else:
        grid = compute_grid(
            inputs.sites,
            spec,
            progress=(lambda f: progress("computing coverage", 0.1 + 0.7 * f)),
            **common,
        )
    progress("aggregating per ward", 0.8)
    cov = ward_coverage_raster(
        inputs.wards,
        grid,
        threshold_dbm=params.threshold_dbm,
        population_raster=run["population_raster"],
        min_gap_area_m2=params.min_gap_area_m2,
    )
    return cov, grid


def _tiled_route(
    inputs: AuditInputs, params: AuditParams, run: dict[str, Any], progress: ProgressFn
) -> tuple[Any, Any]:
    """Per-ward sums tile by tile, never assembling the raster (country scale)."""
    from phusong.raster.distributed import ward_coverage_tiled
    from phusong.raster.grid import GridSpec

    spec = GridSpec.for_area(inputs.wards, resolution_m=params.resolution_m)
    table = ward_coverage_tiled(
        inputs.wards,
        inputs.sites,
        spec,
        model=params.model,
        link_budget=_link_budget(params),
        tile_px=run["tile_px"],
        scheduler=run["scheduler"],
        population=run["population_raster"],
        progress=(lambda f: progress("computing coverage", 0.1 + 0.8 * f)),
    )
    gaps = gpd.GeoDataFrame(
        {"ward_id": [], "name": [], "area_km2": [], "population": []},
        geometry=[],
        crs="EPSG:4326",
    )
    source = table.attrs.get("population_source", "uniform:official")
    return TiledCoverage(table=table, gaps=gaps, population_source=source), None


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
        ``disc`` or ``sector`` (footprint models, exact vector geometry) or a
        path-loss model (``uma``, ``umi``, ``rma``, ``hata``, ``fspl`` or any
        name of :data:`phusong.models.MODELS`; raster route).
    threshold_dbm : float
        SS-RSRP coverage threshold [dBm]; default −110 (a common 5G cell-edge
        planning value; see docs/sources.md).
    resolution_m : float
        Raster resolution [m]; default 20.
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
        People-per-pixel GeoTIFF (e.g. WorldPop); otherwise each ward's official
        population is spread evenly over it (the result says which).
    indoor_loss_db : float
        Extra building-entry (O2I) loss [dB]; 0 = outdoor coverage.
    reliability : float
        Cell-edge reliability for the shadow-fading margin (0.5 = no margin).
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
    )
    inputs = read_inputs(sites, wards, params, population_raster, say)
    params = replace(params, operators=inputs.operators)
    cov, grid = compute_coverage(
        inputs,
        params,
        population_raster=population_raster,
        tile_px=tile_px,
        scheduler=scheduler,
        progress=say,
    )
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
    )
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
    )


__all__ = [
    "ROUTES",
    "AuditInputs",
    "AuditParams",
    "AuditResult",
    "assemble_result",
    "audit_params",
    "compute_coverage",
    "load_sites",
    "load_wards",
    "read_inputs",
    "run_audit",
]
