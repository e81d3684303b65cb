"""``run_audit``: the whole coverage audit in one call.

The CLI and the Streamlit app are thin layers over this function; neither
computes anything itself. Layers below: :mod:`phusong.io` (read), then either
the exact vector route (:mod:`phusong.vector.aggregate`, disc and sector models) or
the raster route (:mod:`phusong.raster.grid` + :mod:`phusong.raster.zonal`, path-loss models),
then :mod:`phusong.goals`.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from phusong import __version__
from phusong.errors import ConfigError, DataError
from phusong.goals import Goal, city_figures, evaluate, meets, rank_wards
from phusong.schema import ANY_OPERATOR, REDUNDANCY_CLASSES

if TYPE_CHECKING:
    from phusong.planning import PlanResult

log = logging.getLogger(__name__)

#: Footprint models, computed exactly on vector geometry.
VECTOR_MODELS = ("disc", "sector")
#: Short model names accepted by the CLI and the app, with what they mean.
MODEL_CHOICES: dict[str, str] = {
    "disc": "disc of each cell's range (OpenCelliD 'range' or a per-band default)",
    "sector": "sector wedge: azimuth, beamwidth and range",
    "uma": "3GPP TR 38.901 urban macro (NLOS), link budget to SS-RSRP",
    "umi": "3GPP TR 38.901 urban micro street canyon (NLOS), link budget to SS-RSRP",
    "rma": "3GPP TR 38.901 rural macro (NLOS), link budget to SS-RSRP",
    "hata": "COST-231 Hata (an extrapolation above 2 GHz), link budget to SS-RSRP",
    "fspl": "free-space path loss (optimistic bound), link budget to SS-RSRP",
}

ProgressFn = Callable[[str, float], None]


@dataclass(frozen=True)
class AuditParams:
    """Every parameter that produced a result (recorded in ``summary.json``).

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
    route : {"vector", "raster"}
        How coverage was computed.
    indoor_loss_db, reliability : float
        Link-budget options (path-loss models).
    """

    model: str = "disc"
    threshold_dbm: float = -110.0
    resolution_m: float = 20.0
    radio: tuple[str, ...] | None = ("NR",)
    operators: tuple[str, ...] | None = None
    goal: Goal = field(default_factory=Goal)
    radius_m: float | None = None
    min_gap_area_m2: float = 10_000.0
    route: str = "vector"
    indoor_loss_db: float = 0.0
    reliability: float = 0.5

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        d = asdict(self)
        d["goal"] = self.goal.as_dict()
        d["radio"] = list(self.radio) if self.radio else None
        d["operators"] = list(self.operators) if self.operators else None
        return d

    def describe(self) -> str:
        """Short label saying which model and threshold produced a figure."""
        if self.model in VECTOR_MODELS:
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


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _input_record(source: Any) -> dict[str, Any] | None:
    if isinstance(source, (str, os.PathLike)) and Path(source).is_file():
        return {"name": Path(source).name, "sha256": _sha256(Path(source))}
    if isinstance(source, (bytes, bytearray)):
        return {"name": "<bytes>", "sha256": hashlib.sha256(source).hexdigest()}
    if hasattr(source, "read") and hasattr(source, "seek"):
        pos = source.tell() if hasattr(source, "tell") else 0
        source.seek(0)
        data = source.read()
        source.seek(pos)
        if isinstance(data, str):
            data = data.encode()
        return {
            "name": Path(str(getattr(source, "name", "<upload>"))).name,
            "sha256": hashlib.sha256(data).hexdigest(),
        }
    return None


def resolve_model(model: str) -> str:
    """Resolve a short model name (``uma``) to its full name (``uma_nlos``).

    Raises
    ------
    ConfigError
        Unknown model; the message lists the valid names.
    """
    if model in VECTOR_MODELS:
        return model
    from phusong.propagation import MODEL_ALIASES, PATH_LOSS_MODELS

    full = MODEL_ALIASES.get(model, model)
    if full not in PATH_LOSS_MODELS:
        valid = ", ".join([*MODEL_CHOICES, *PATH_LOSS_MODELS])
        raise ConfigError(f"model: unknown model {model!r}; choose one of {valid}.")
    return full


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


def run_audit(
    sites: Any,
    wards: Any = None,
    *,
    model: str = "disc",
    threshold_dbm: float = -110.0,
    resolution_m: float = 20.0,
    goal: Goal | float | None = None,
    goal_metric: Literal["population", "area"] | None = None,
    operators: Sequence[str] | str | None = None,
    radio: Sequence[str] | str | None = ("NR",),
    radius_m: float | None = None,
    population_raster: str | os.PathLike[str] | None = None,
    indoor_loss_db: float = 0.0,
    reliability: float = 0.5,
    min_gap_area_m2: float = 10_000.0,
    route: Literal["auto", "vector", "raster", "tiled"] = "auto",
    tile_px: int = 1024,
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
        name of :data:`phusong.propagation.PATH_LOSS_MODELS`; raster route).
    threshold_dbm : float
        SS-RSRP coverage threshold [dBm]; default −110 (a common 5G cell-edge
        planning value, FACTS.md).
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
    say = progress or (lambda step, frac: None)
    if isinstance(goal, (int, float)):
        goal = Goal.target(float(goal), goal_metric or "population")
    goal = goal or Goal()
    if goal_metric is not None and goal_metric != goal.metric:
        goal = Goal.target(goal.target_pct, goal_metric)
    full_model = resolve_model(model)
    if route == "auto":
        route = "vector" if full_model in VECTOR_MODELS else "raster"
    if route not in ("vector", "raster", "tiled"):
        raise ConfigError(f"route: must be 'auto', 'vector', 'raster' or 'tiled', got {route!r}.")
    if route == "vector" and full_model not in VECTOR_MODELS:
        raise ConfigError(f"route: the vector route supports only disc and sector, not {model!r}.")
    if route == "vector" and scheduler is not None:
        log.info(
            "scheduler %r ignored: the vector route (disc/sector) runs in this process; "
            "use route='raster' or 'tiled' to spread the work over Dask workers.",
            scheduler,
        )
    if not resolution_m or resolution_m <= 0:
        raise ConfigError(f"resolution_m: must be positive, got {resolution_m!r}.")
    if not np.isfinite(threshold_dbm):
        raise ConfigError(f"threshold_dbm: must be a number, got {threshold_dbm!r}.")
    if radius_m is not None and radius_m <= 0:
        raise ConfigError(f"radius_m: must be positive, got {radius_m!r}.")
    radio_t = _normalise_choice(radio)
    operators_t = _normalise_choice(operators)
    params = AuditParams(
        model=full_model,
        threshold_dbm=float(threshold_dbm),
        resolution_m=float(resolution_m),
        radio=radio_t,
        operators=operators_t,
        goal=goal,
        radius_m=radius_m,
        min_gap_area_m2=float(min_gap_area_m2),
        route=route,
        indoor_loss_db=float(indoor_loss_db),
        reliability=float(reliability),
    )

    say("reading wards", 0.0)
    inputs: dict[str, Any] = {}
    ward_rec = _input_record(wards) if wards is not None else None
    ward_table = load_wards(wards)
    if ward_rec is None and wards is None:
        from phusong.io.wards import shipped_wards_path

        p = shipped_wards_path()
        ward_rec = {"name": p.name, "sha256": _sha256(p)}
    inputs["wards"] = ward_rec
    say("reading sites", 0.05)
    inputs["sites"] = _input_record(sites)
    site_table, report = load_sites(sites, ward_table, radio_t)
    synthetic = (
        bool(site_table.attrs.get("synthetic"))
        or "synthetic" in str((inputs["sites"] or {}).get("name", "")).lower()
    )
    if operators_t is not None:
        present = sorted(set(site_table["operator"].dropna()))
        by_lower = {p.casefold(): p for p in present}
        operators_t = tuple(by_lower.get(o.casefold(), o) for o in operators_t)
        params = replace(params, operators=operators_t)
        unknown = [o for o in operators_t if o not in present]
        if unknown:
            raise ConfigError(
                f"operators: {', '.join(unknown)} not in the site data; operators present: "
                f"{', '.join(present) or 'none'}."
            )
        site_table = site_table[site_table["operator"].isin(operators_t)].copy()
    if population_raster is not None:
        inputs["population_raster"] = _input_record(population_raster)

    say("computing coverage", 0.1)
    grid_result = None
    if route == "vector":
        from phusong.vector.aggregate import ward_coverage_vector

        cov = ward_coverage_vector(
            ward_table,
            site_table,
            model=full_model,
            radius_m=radius_m,
            population_raster=population_raster,
            min_gap_area_m2=min_gap_area_m2,
        )
    elif route == "tiled":
        from phusong.propagation import LinkBudget
        from phusong.raster.distributed import ward_coverage_tiled
        from phusong.raster.grid import GridSpec

        budget = LinkBudget(
            threshold_dbm=float(threshold_dbm),
            indoor_loss_db=float(indoor_loss_db),
            reliability=float(reliability),
        )
        spec = GridSpec.for_area(ward_table, resolution_m=resolution_m)
        table = ward_coverage_tiled(
            ward_table,
            site_table,
            spec,
            model=full_model,
            link_budget=budget,
            tile_px=tile_px,
            scheduler=scheduler,
            population=population_raster,
            progress=(lambda f: say("computing coverage", 0.1 + 0.8 * f)),
        )
        cov = _TiledCoverage(
            table=table,
            gaps=gpd.GeoDataFrame(
                {"ward_id": [], "name": [], "area_km2": [], "population": []},
                geometry=[],
                crs="EPSG:4326",
            ),
            population_source=table.attrs.get("population_source", "uniform:official"),
        )
    else:
        from phusong.propagation import LinkBudget
        from phusong.raster.grid import GridSpec, compute_grid
        from phusong.raster.zonal import ward_coverage_raster

        budget = LinkBudget(
            threshold_dbm=float(threshold_dbm),
            indoor_loss_db=float(indoor_loss_db),
            reliability=float(reliability),
        )
        spec = GridSpec.for_area(ward_table, resolution_m=resolution_m)
        if scheduler is not None:
            from phusong.raster.distributed import compute_grid_distributed

            grid_result = compute_grid_distributed(
                site_table,
                spec,
                model=full_model,
                link_budget=budget,
                tile_px=tile_px,
                scheduler=scheduler,
            )
        else:
            grid_result = compute_grid(
                site_table,
                spec,
                model=full_model,
                link_budget=budget,
                tile_px=tile_px,
                progress=(lambda f: say("computing coverage", 0.1 + 0.7 * f)),
            )
        say("aggregating per ward", 0.8)
        cov = ward_coverage_raster(
            ward_table,
            grid_result,
            threshold_dbm=float(threshold_dbm),
            population_raster=population_raster,
            min_gap_area_m2=min_gap_area_m2,
        )

    say("judging against the goal", 0.9)
    result = assemble_result(
        ward_table, site_table, report, cov, params, inputs, synthetic, grid_result
    )
    say("done", 1.0)
    return result


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
    ev = evaluate(any_rows, goal)
    per_ward = ward_table[["ward_id", "name", "kind", "geometry"]].merge(
        ev, on="ward_id", how="left", validate="1:1"
    )
    per_ward = gpd.GeoDataFrame(rank_wards(per_ward), geometry="geometry", crs=ward_table.crs)
    per_ward = per_ward.reset_index(drop=True)

    by_op_parts = []
    operators: dict[str, Any] = {}
    for op, part in table.groupby("operator", sort=True):
        part_ev = evaluate(
            part, goal, city_population=city["population"], city_area_km2=city["area_km2"]
        )
        by_op_parts.append(part_ev)
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
        pd.concat(by_op_parts, ignore_index=True)
        .sort_values(["ward_id", "operator"], kind="mergesort")
        .reset_index(drop=True)
    )
    by_operator = ward_table[["ward_id", "name"]].merge(by_operator, on="ward_id", how="right")

    redundancy = {}
    for label in REDUNDANCY_CLASSES:
        a = float(any_rows[f"area_km2_servers_{label}"].sum())
        p = float(any_rows[f"population_servers_{label}"].sum())
        redundancy[label] = {
            "area_km2": a,
            "area_pct": 100.0 * a / city["area_km2"] if city["area_km2"] else float("nan"),
            "population": p,
            "population_pct": 100.0 * p / city["population"]
            if city["population"]
            else float("nan"),
        }

    summary: dict[str, Any] = {
        "tool": "phusong",
        "version": __version__,
        "synthetic": synthetic,
        "model": params.model,
        "model_label": params.describe(),
        "route": params.route,
        "threshold_dbm": params.threshold_dbm if params.model not in VECTOR_MODELS else None,
        "population_source": cov.population_source,
        "population_label": population_label(cov.population_source),
        **{
            k: city[k]
            for k in (
                "area_coverage_pct",
                "population_coverage_pct",
                "area_km2",
                "covered_area_km2",
                "population",
                "covered_population",
                "uncovered_population",
            )
        },
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
    return AuditResult(
        wards=per_ward,
        by_operator=by_operator,
        summary=_jsonable(summary),
        gaps=cov.gaps,
        sites=site_table,
        validation=report,
        grid=grid_result,
        params=params,
        coverage=cov,
        ward_table=ward_table,
    )


@dataclass(frozen=True)
class _TiledCoverage:
    """Coverage of the tiled route: the table only (no rasters, no gap polygons)."""

    table: pd.DataFrame
    gaps: gpd.GeoDataFrame
    population_source: str


def population_label(source: str) -> str:
    """Plain-words description of a ``population_source`` code.

    ``"uniform:official"`` → each ward's official population spread evenly over
    its area; ``"raster:<file>"`` → people per pixel from that raster.
    """
    kind, _, detail = str(source).partition(":")
    if kind == "uniform":
        return "official ward population, spread evenly over each ward"
    if kind == "raster":
        return f"population raster {detail} (people per pixel)"
    return str(source)


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        f = float(obj)
        return None if not np.isfinite(f) else f
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


# ---------------------------------------------------------------------------
# Planning: propose new sites, re-audit, top up
# ---------------------------------------------------------------------------

#: What each coverage figure of :attr:`PlanRun.summary` counts.
COVERAGE_WEIGHTING: dict[str, str] = {
    "population_coverage_pct": "population-weighted: share of the residents living where 5G reaches",
    "area_coverage_pct": "area-weighted: share of the land 5G reaches",
}

#: Candidates closer than this to an already proposed site are not offered again [m].
_SAME_POSITION_M = 1.0


@dataclass
class PlanRun:
    """Everything a planning job produced (:func:`run_plan`).

    Attributes
    ----------
    before : AuditResult
        Audit of the existing network.
    plan : PlanResult
        The final proposal, all rounds combined: ``sites`` are numbered
        ``NEW-0001``… in the order they were added (``order`` 1, 2, …; a later
        round's sites follow the earlier ones), ``wards`` and ``curve`` are the
        planner's estimates (``curve`` has a ``round`` column), ``summary`` is
        the first round's with the totals of every round.
    after : AuditResult or None
        Full re-audit with the existing and the proposed sites (same model and
        parameters); ``None`` when ``verify=False``.
    rounds : int
        Planning rounds used.
    summary : dict
        JSON-able figures: see :func:`run_plan`.
    round_plans : list of PlanResult
        The proposal of each round, as the planner returned it.
    """

    before: AuditResult
    plan: PlanResult
    after: AuditResult | None
    rounds: int
    summary: dict[str, Any]
    round_plans: list[PlanResult] = field(default_factory=list, repr=False)

    @property
    def meets_target(self) -> bool | None:
        """Whether the re-audit meets the target (``None`` without a re-audit)."""
        return self.summary.get("meets_target_after")

    def new_sites(self) -> pd.DataFrame:
        """One row per proposed site, in the order added.

        Returns
        -------
        DataFrame
            ``order``, ``site_id``, ``round``, ``ward_id``, ``ward`` (name; empty
            outside every ward), ``lat_deg``, ``lon_deg`` [degrees], ``cells``
            and ``covered_people_gain`` (people the site adds, estimated on the
            planner's demand grid) [people].
        """
        sites = self.plan.sites
        one = sites.drop_duplicates("site_id").sort_values("order", kind="mergesort")
        cells = sites.groupby("site_id", sort=False).size()
        ends = np.cumsum([h["n_new_sites"] for h in self.summary.get("history", [])] or [len(one)])
        order = one["order"].to_numpy("int64")
        ward_id, ward_name = _site_wards(one, self.before.wards)
        return pd.DataFrame(
            {
                "order": order,
                "site_id": one["site_id"].astype(str).to_numpy(),
                "round": np.searchsorted(ends, order, side="left") + 1,
                "ward_id": ward_id,
                "ward": ward_name,
                "lat_deg": one["lat_deg"].to_numpy("float64"),
                "lon_deg": one["lon_deg"].to_numpy("float64"),
                "cells": one["site_id"].map(cells).to_numpy("int64"),
                "covered_people_gain": one["covered_people_gain"].to_numpy("float64"),
            }
        )

    def ward_table(self) -> pd.DataFrame:
        """Per ward: coverage before and after (both audited) and the new sites.

        Returns
        -------
        DataFrame
            ``ward_id``, ``name``, ``population`` [people],
            ``population_coverage_pct_before`` / ``_after`` (population-weighted)
            and ``area_coverage_pct_before`` / ``_after`` (area-weighted) [%],
            ``covered_population_before`` / ``_after`` and
            ``newly_covered_population`` [people] (audited; NaN without a
            re-audit), ``estimated_newly_covered_population`` [people] (the
            planner's estimate), ``new_sites``, ``meets_target_before`` /
            ``_after``. Wards with most new sites first.
        """
        cols = ["population_coverage_pct", "area_coverage_pct", "covered_population"]
        base = self.before.wards[["ward_id", "name", "population", *cols]].copy()
        base = pd.DataFrame(base.drop(columns="geometry", errors="ignore"))
        base["ward_id"] = base["ward_id"].astype(str)
        base = base.rename(columns={c: f"{c}_before" for c in cols})
        if self.after is not None:
            after = pd.DataFrame(self.after.wards[["ward_id", *cols]]).copy()
            after["ward_id"] = after["ward_id"].astype(str)
            base = base.merge(
                after.rename(columns={c: f"{c}_after" for c in cols}),
                on="ward_id",
                how="left",
                validate="1:1",
            )
        else:
            for c in cols:
                base[f"{c}_after"] = np.nan
        base["newly_covered_population"] = (
            base["covered_population_after"] - base["covered_population_before"]
        )
        est = self.plan.wards[["ward_id", "newly_covered_population"]].copy()
        est["ward_id"] = est["ward_id"].astype(str)
        base["estimated_newly_covered_population"] = (
            base["ward_id"].map(est.set_index("ward_id")["newly_covered_population"]).fillna(0.0)
        )
        counts = self.new_sites()["ward_id"].value_counts()
        base["new_sites"] = base["ward_id"].map(counts).fillna(0).astype("int64")
        target = float(self.summary["target_pct"])
        base["meets_target_before"] = base["population_coverage_pct_before"] >= target - 1e-9
        base["meets_target_after"] = base["population_coverage_pct_after"] >= target - 1e-9
        order = [
            "ward_id",
            "name",
            "population",
            "population_coverage_pct_before",
            "population_coverage_pct_after",
            "area_coverage_pct_before",
            "area_coverage_pct_after",
            "covered_population_before",
            "covered_population_after",
            "newly_covered_population",
            "estimated_newly_covered_population",
            "new_sites",
            "meets_target_before",
            "meets_target_after",
        ]
        return (
            base[order]
            .sort_values(
                ["new_sites", "estimated_newly_covered_population", "ward_id"],
                ascending=[False, False, True],
                kind="mergesort",
            )
            .reset_index(drop=True)
        )


def _site_wards(sites: gpd.GeoDataFrame, wards: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(ward_id, ward name) of each site point; empty strings outside every ward."""
    import shapely

    ids = np.full(len(sites), "", dtype=object)
    names = np.full(len(sites), "", dtype=object)
    if not len(sites) or not len(wards):
        return ids, names
    w = wards.to_crs(sites.crs) if sites.crs is not None else wards
    pts, hit = shapely.STRtree(w.geometry.to_numpy()).query(
        sites.geometry.to_numpy(), predicate="intersects"
    )
    first_pt, first = np.unique(pts, return_index=True)  # a site on a border: first ward
    ids[first_pt] = w["ward_id"].astype(str).to_numpy()[hit[first]]
    names[first_pt] = w["name"].astype(str).to_numpy()[hit[first]]
    return ids, names


def load_candidates(candidates: Any, wards: gpd.GeoDataFrame) -> gpd.GeoDataFrame | pd.DataFrame:
    """Candidate positions from a file, an upload or a table.

    Parameters
    ----------
    candidates : path, file object, bytes, GeoDataFrame or DataFrame
        A site file in any format :func:`phusong.io.sites.read_sites` reads
        (operator sheet CSV/XLSX with ``lat``/``lon``, OpenCelliD CSV, or a
        GeoJSON/GeoPackage/zipped Shapefile of points; every radio is kept;
        one candidate per ``site_id``, rows without one become one candidate
        each), or a vector file of polygons (e.g. rooftops; a point on each
        surface is used). Tables are passed through unchanged (see
        :func:`phusong.planning.candidates_from`).
    wards : GeoDataFrame
        Study area: rows far outside it are rejected (and logged).

    Returns
    -------
    GeoDataFrame or DataFrame
        What :func:`phusong.planning.propose_sites` accepts as ``candidates``.

    Raises
    ------
    DataError
        The file cannot be read as candidate positions.
    """
    if isinstance(candidates, pd.DataFrame):
        return candidates
    from phusong.io.sites import read_sites

    try:
        table, report = read_sites(candidates, radio=None, study_area=wards)
    except DataError:
        if not isinstance(candidates, (str, os.PathLike)) or not Path(candidates).is_file():
            raise
        try:  # polygons (rooftops, plots): any vector file GDAL reads
            frame = gpd.read_file(candidates)
        except Exception as exc:  # any GDAL failure is reported as unreadable candidates
            raise DataError(
                f"candidates: {Path(candidates).name} is neither a site table nor a vector "
                f"file of points or polygons ({exc}).",
                file=str(candidates),
            ) from exc
        if frame.crs is None or not len(frame):
            raise DataError(
                "candidates: the vector file is empty or has no CRS.", file=str(candidates)
            ) from None
        return frame
    if getattr(report, "rows_rejected", 0):
        log.warning(
            "candidates: %d of %d rows rejected (run 'phusong validate' on the file for details)",
            report.rows_rejected,
            report.rows_read,
        )
    return table


def _excluded_zones(excluded: Any) -> gpd.GeoSeries | None:
    """User exclusion zones as one GeoSeries (``None``: none).

    Shapely geometries without a CRS are taken as EPSG:4326; a path or file
    object is read with :func:`phusong.io.wards.read_zones`.
    """
    import shapely

    if excluded is None:
        return None
    if isinstance(excluded, shapely.Geometry):
        return gpd.GeoSeries([excluded], crs="EPSG:4326")
    if isinstance(excluded, (list, tuple)):
        return gpd.GeoSeries(list(excluded), crs="EPSG:4326")
    if isinstance(excluded, gpd.GeoDataFrame):
        return excluded.geometry
    if isinstance(excluded, gpd.GeoSeries):
        return excluded
    from phusong.io.wards import read_zones

    return read_zones(excluded)  # a file: path or file object


def _with_taken_positions(
    zones: gpd.GeoSeries | None, taken: gpd.GeoDataFrame | None, crs: Any
) -> gpd.GeoSeries | None:
    """Add a 1 m disc around each already proposed site to the exclusion zones."""
    if taken is None or not len(taken):
        return zones
    pts = taken.drop_duplicates("site_id").to_crs(crs).geometry.buffer(_SAME_POSITION_M)
    if zones is None or not len(zones):
        return pts.to_crs("EPSG:4326")
    if zones.crs is None:  # let the planner report the missing CRS
        return zones
    return gpd.GeoSeries(
        pd.concat([zones.to_crs("EPSG:4326"), pts.to_crs("EPSG:4326")], ignore_index=True),
        crs="EPSG:4326",
    )


def _combine_plans(plans: list[PlanResult]) -> PlanResult:
    """One proposal from the rounds': sites renumbered ``NEW-0001``… in the order added."""
    from phusong.planning import PlanResult

    if len(plans) == 1:
        first = plans[0]
        curve = first.curve.assign(round=1)
        return replace(first, curve=curve[["round", *first.curve.columns]])
    offset = 0
    site_parts, curve_parts, cand_parts, demand_parts = [], [], [], []
    for r, p in enumerate(plans, start=1):
        s = p.sites.copy()
        order = s["order"].to_numpy("int64") + offset
        sector = s["cell_id"].astype(str).str.rsplit("-", n=1).str[-1].to_numpy()
        site_id = np.array([f"NEW-{o:04d}" for o in order], dtype=object)
        s["order"] = order
        s["site_id"] = pd.array(site_id, dtype="string")
        s["cell_id"] = pd.array(
            [f"{a}-{b}" for a, b in zip(site_id, sector, strict=True)], "string"
        )
        site_parts.append(s)
        c = p.curve.assign(round=r)
        c["n_sites"] = c["n_sites"] + offset
        curve_parts.append(c)
        cand_parts.append(p.candidates.assign(round=r))
        demand_parts.append(p.demand.assign(round=r))
        offset += int(p.summary["n_sites"])
    first, last = plans[0], plans[-1]
    sites = gpd.GeoDataFrame(
        pd.concat(site_parts, ignore_index=True), geometry="geometry", crs=first.sites.crs
    )
    curve = pd.concat(curve_parts, ignore_index=True)
    curve = curve[["round", *first.curve.columns]]
    wards = first.wards.copy()
    gained = sum(p.wards.set_index("ward_id")["newly_covered_population"] for p in plans).reindex(
        wards["ward_id"]
    )
    wards["newly_covered_population"] = gained.to_numpy("float64")
    wards["covered_population_after"] = (
        wards["covered_population_before"] + wards["newly_covered_population"]
    )
    pop = wards["population"].where(wards["population"] > 0)
    wards["population_coverage_pct_after"] = 100.0 * wards["covered_population_after"] / pop
    wards["new_sites"] = (
        sum(p.wards.set_index("ward_id")["new_sites"] for p in plans)
        .reindex(wards["ward_id"])
        .to_numpy("int64")
    )
    summary = dict(first.summary)
    summary.update(
        n_sites=offset,
        newly_covered_population=float(sum(p.summary["newly_covered_population"] for p in plans)),
        coverage_after_pct=last.summary["coverage_after_pct"],
        goal_reached=last.summary["goal_reached"],
        time_s=float(sum(p.summary["time_s"] for p in plans)),
    )
    crs = first.candidates.crs
    return PlanResult(
        sites=sites,
        wards=wards.sort_values(
            ["newly_covered_population", "ward_id"], ascending=[False, True], kind="mergesort"
        ).reset_index(drop=True),
        curve=curve,
        summary=summary,
        candidates=gpd.GeoDataFrame(pd.concat(cand_parts, ignore_index=True), crs=crs),
        demand=gpd.GeoDataFrame(pd.concat(demand_parts, ignore_index=True), crs=crs),
        greedy=first.greedy,
        milp=first.milp,
    )


def _stage_progress(say: ProgressFn, n_stages: int) -> Callable[[int, str], ProgressFn]:
    """``stage(i, label)`` → a callback mapping a stage's 0–1 onto its share of the job."""

    def stage(i: int, label: str) -> ProgressFn:
        lo, hi = min(i, n_stages) / n_stages, min(i + 1, n_stages) / n_stages

        def inner(step: str, frac: float) -> None:
            say(f"{label}: {step}", lo + (hi - lo) * min(max(float(frac), 0.0), 1.0))

        return inner

    return stage


def run_plan(
    sites: Any,
    wards: Any = None,
    *,
    target_pct: float | None = None,
    budget: int | None = None,
    candidates: Any = None,
    min_spacing_m: float = 0.0,
    excluded: Any = None,
    operator: str | None = None,
    method: str = "greedy",
    verify: bool = True,
    max_rounds: int = 3,
    time_limit_s: float = 60.0,
    progress: ProgressFn | None = None,
    plan_options: dict[str, Any] | None = None,
    **audit_kwargs: Any,
) -> PlanRun:
    """Propose new sites to reach the goal, and check the proposal by re-auditing.

    Parameters
    ----------
    sites : path, file object, bytes or DataFrame
        The existing network, as for :func:`run_audit`.
    wards : path, file object, GeoDataFrame or None
        Ward boundaries; ``None`` uses the shipped Hà Nội wards.
    target_pct : float, optional
        Population coverage to reach [%] (population-weighted); default the
        goal's target (99 % unless ``goal=`` is given). Also sets the audits'
        goal when ``goal`` is not given.
    budget : int, optional
        Instead: the best population coverage with at most this many new
        sites (one round; the target is then only the yardstick).
    candidates : path, file object, bytes, GeoDataFrame or DataFrame, optional
        Allowed new-site positions (see :func:`load_candidates`): a site file
        (operator sheet, OpenCelliD CSV, points GeoJSON/GPKG…), a vector file
        of polygons, or a table. Default: a grid in and around the gaps.
    min_spacing_m : float
        Minimum distance between two proposed sites and from a proposed site
        to an existing site of the same operator [m]; holds across rounds.
    excluded : GeoDataFrame, GeoSeries, shapely geometry or list, optional
        Zones where no site may go (no CRS given = EPSG:4326).
    operator : str, optional
        Operator of the new sites; default as
        :func:`phusong.planning.propose_sites` chooses in the first round
        (kept for later rounds).
    method : {"greedy", "milp", "both"}
        Solver (see :func:`phusong.planning.propose_sites`).
    verify : bool
        Re-audit with the existing and proposed sites (default). Without it,
        ``after`` is ``None`` and the figures after are the planner's estimate.
    max_rounds : int
        Most planning rounds in target mode (≥ 1).
    time_limit_s : float
        MILP time limit per round [s].
    progress : callable, optional
        ``progress(step, fraction)`` over the whole job.
    plan_options : dict, optional
        Further options of :func:`phusong.planning.propose_sites`
        (``demand_cell_m``, ``candidate_spacing_m``, ``new_site``,
        ``mip_rel_gap``).
    **audit_kwargs
        Options of :func:`run_audit` (``model``, ``threshold_dbm``,
        ``resolution_m``, ``radius_m``, ``operators``, ``goal``, …), used for
        every audit. ``min_gap_area_m2`` defaults to **0** here (not
        10,000 m²) so that every gap, however small, is demand; it changes the
        gap polygons listed, never the coverage figures.

    Returns
    -------
    PlanRun
        ``summary`` holds (JSON-able, no timings, so that the same inputs give
        the same summary): ``population_coverage_pct_before`` /
        ``_after`` (population-weighted) and ``area_coverage_pct_before`` /
        ``_after`` (area-weighted) from the audits, with ``weighting`` saying
        which is which; ``estimated_population_coverage_pct_after`` (the
        planner's); ``target_pct``, ``mode``, ``budget``, ``n_new_sites``,
        ``n_new_cells``, ``meets_target_before`` / ``meets_target_after``
        (``None`` unverified), ``verified``, ``method`` / ``method_used``,
        ``greedy_gap`` / ``greedy_bound`` (the greedy's gap to a proven bound,
        first round; ``None`` when unknown), ``milp_status``, ``rounds``,
        ``max_rounds``, ``history`` (per round: sites added, coverage at the
        start, the planner's estimate, the audited figure), ``operator``,
        ``model`` / ``model_label``, ``synthetic``, ``goal``, ``inputs``,
        ``parameters`` and a plain-words ``note``.

    Raises
    ------
    ConfigError
        An invalid option.
    DataError
        Unusable sites, wards or candidates.

    Notes
    -----
    Verification loop. The planner estimates coverage on a demand grid (see
    :mod:`phusong.planning`), so a plan estimated at 99.00 % can re-audit at
    98.99 %. After each round the existing plus all proposed sites are
    re-audited (:meth:`PlanResult.sites_for_audit` through :func:`run_audit`,
    same model and parameters). In target mode, while the re-audit is below
    the target and rounds remain, the next round plans on the re-audit's
    gaps, adding to the existing + proposed network (spacing and exclusions
    still hold; positions already used are not offered again). Rounds stop
    early when one adds no site. The summary says plainly when the target is
    still not met.

    For disc and sector models the planner gives the sectors of a new site a
    beamwidth of ``360°/sectors`` (:mod:`phusong.planning`), so that
    re-reading them (re-audit, or ``proposed_sites.csv``) gives the disc the
    plan counted rather than the readers' default 65° wedges.
    """
    from phusong.planning import propose_sites

    say = progress or (lambda step, frac: None)
    if method not in ("greedy", "milp", "both"):
        raise ConfigError(f"method: must be 'greedy', 'milp' or 'both', got {method!r}.")
    if isinstance(max_rounds, bool) or int(max_rounds) != max_rounds or max_rounds < 1:
        raise ConfigError(f"max_rounds: must be a whole number ≥ 1, got {max_rounds!r}.")
    if budget is not None and (isinstance(budget, bool) or int(budget) != budget or budget < 0):
        raise ConfigError(f"budget: must be a whole number of sites ≥ 0, got {budget!r}.")
    if not np.isfinite(min_spacing_m) or min_spacing_m < 0:
        raise ConfigError(f"min_spacing_m: must be ≥ 0, got {min_spacing_m!r}.")
    if target_pct is not None and not 0.0 <= float(target_pct) <= 100.0:
        raise ConfigError(f"target_pct: must be between 0 and 100, got {target_pct!r}.")
    if operator is not None:
        from phusong.planning import default_new_site

        default_new_site(operator)  # an unknown operator fails before the audit
    for key in ("sites", "wards", "progress"):
        if key in audit_kwargs:  # pragma: no cover - Python already refuses these
            raise ConfigError(f"{key}: given twice.")
    kw = dict(audit_kwargs)
    kw.setdefault("min_gap_area_m2", 0.0)
    if target_pct is not None and kw.get("goal") is None:
        kw["goal"] = Goal.target(float(target_pct), kw.get("goal_metric") or "population")
    mode = "budget" if budget is not None else "target"
    rounds_allowed = 1 if mode == "budget" else int(max_rounds)
    stage = _stage_progress(say, 1 + rounds_allowed * (2 if verify else 1))

    before = run_audit(sites, wards, progress=stage(0, "auditing the existing network"), **kw)
    goal = before.params.goal
    if goal.metric != "population":
        raise ConfigError(
            "goal_metric: planning reaches a population target; use goal_metric='population'."
        )
    target = float(goal.target_pct if target_pct is None else target_pct)
    cands = load_candidates(candidates, before.ward_table) if candidates is not None else None
    zones = _excluded_zones(excluded)
    synthetic = bool(before.summary["synthetic"])
    existing = before.sites
    from phusong.geo import equal_area_crs

    metric_crs = equal_area_crs(before.ward_table)
    # The existing sites were filtered once, in the first audit; the new ones are NR.
    radio = before.params.radio
    kw_after = {
        **kw,
        "radio": radio if radio is None or "NR" in radio else None,
        "operators": before.params.operators,
    }

    plans: list[PlanResult] = []
    history: list[dict[str, Any]] = []
    current, after, combined = before, None, None
    op = operator
    i_stage = 1
    for rnd in range(1, rounds_allowed + 1):
        stage(i_stage, f"round {rnd}")("proposing new sites", 0.0)
        taken = combined.sites if combined is not None else None
        plan = propose_sites(
            current,
            target_pct=target,
            budget=budget,
            candidates=cands,
            min_spacing_m=float(min_spacing_m),
            excluded=_with_taken_positions(zones, taken, metric_crs),
            operator=op,
            method=method,  # type: ignore[arg-type]
            time_limit_s=float(time_limit_s),
            **(plan_options or {}),
        )
        i_stage += 1
        op = plan.summary["operator"]
        if before.params.operators and op not in before.params.operators:
            raise ConfigError(
                f"operator: the new sites belong to {op}, but the audit keeps only "
                f"{', '.join(before.params.operators)}; plan for one of those operators."
            )
        plans.append(plan)
        combined = _combine_plans(plans)
        entry: dict[str, Any] = {
            "round": rnd,
            "n_new_sites": int(plan.summary["n_sites"]),
            "population_coverage_pct_start": float(current.summary["population_coverage_pct"]),
            "estimated_population_coverage_pct_after": float(plan.summary["coverage_after_pct"]),
            "population_coverage_pct_after": None,
            "greedy_gap": plan.summary.get("greedy_gap"),
            "method_used": plan.summary.get("method_used"),
        }
        history.append(entry)
        if not verify:
            break
        if combined.summary["n_sites"] == 0:
            after = before  # nothing added: the re-audit is the audit
        elif plan.summary["n_sites"] == 0:
            pass  # nothing added this round: the last re-audit stands
        else:
            frame = pd.DataFrame(combined.sites_for_audit(existing))
            after = run_audit(
                frame,
                before.ward_table,
                progress=stage(i_stage, f"round {rnd}: re-auditing"),
                **kw_after,
            )
            after.summary["synthetic"] = synthetic or bool(after.summary["synthetic"])
            after.summary["inputs"] = {
                **before.summary["inputs"],
                "proposed_sites": {"name": "<proposed sites>", "cells": len(combined.sites)},
            }
        i_stage += 1
        entry["population_coverage_pct_after"] = float(after.summary["population_coverage_pct"])
        if mode == "budget" or plan.summary["n_sites"] == 0:
            break
        if after.summary["population_coverage_pct"] >= target - 1e-9:
            break
        current = after

    summary = _plan_summary(before, after, combined, plans, history, target, budget, verify,
                            rounds_allowed, min_spacing_m, cands is not None)  # fmt: skip
    given_files = {
        key: rec
        for key, source in (("candidates", candidates), ("excluded", excluded))
        if (rec := _input_record(source)) is not None
    }
    summary["inputs"] = {**summary["inputs"], **given_files}  # SHA-256 of every input file
    say("done", 1.0)
    return PlanRun(
        before=before,
        plan=combined,
        after=after,
        rounds=len(plans),
        summary=summary,
        round_plans=plans,
    )


def _plan_summary(
    before: AuditResult,
    after: AuditResult | None,
    plan: PlanResult,
    plans: list[PlanResult],
    history: list[dict[str, Any]],
    target: float,
    budget: int | None,
    verify: bool,
    max_rounds: int,
    min_spacing_m: float,
    given_candidates: bool,
) -> dict[str, Any]:
    b, ps = before.summary, plan.summary
    first = plans[0].summary
    a = after.summary if after is not None else None
    n_sites = int(ps["n_sites"])
    meets_after = None if a is None else bool(a["population_coverage_pct"] >= target - 1e-9)
    mode = "budget" if budget is not None else "target"
    new_site = dict(ps["new_site"])
    if (
        len(plan.sites) and before.params.model in VECTOR_MODELS
    ):  # k wedges of 360°/k tile the planned disc
        new_site["beamwidth_deg"] = float(plan.sites["beamwidth_deg"].iloc[0])
    what = f"{target:g}% of the population"
    if a is None:
        note = (
            f"Not re-audited: the coverage after ({ps['coverage_after_pct']:.2f}%) is the "
            "planner's estimate on its demand grid."
        )
    elif meets_after:
        note = (
            f"The re-audit with the {n_sites} proposed sites meets the target of {what} "
            f"({a['population_coverage_pct']:.4f}%)."
        )
    elif mode == "budget":
        note = (
            f"With a budget of {budget} sites the re-audit reaches "
            f"{a['population_coverage_pct']:.4f}%, short of the target of {what}."
        )
    else:
        why = (
            "the last round found no candidate adding coverage"
            if history and history[-1]["n_new_sites"] == 0
            else f"after {len(plans)} of at most {max_rounds} rounds"
        )
        note = (
            f"Target not met: the re-audit reaches {a['population_coverage_pct']:.4f}%, "
            f"short of {what} ({why}). Try more rounds, more candidates, a smaller "
            "spacing or fewer exclusions."
        )
    return _jsonable(
        {
            "tool": "phusong",
            "version": __version__,
            "synthetic": bool(b["synthetic"]),
            "mode": mode,
            "target_pct": target,
            "budget": budget,
            "goal": b["goal"],
            "weighting": dict(COVERAGE_WEIGHTING),
            "population": b["population"],
            "area_km2": b["area_km2"],
            "population_coverage_pct_before": b["population_coverage_pct"],
            "area_coverage_pct_before": b["area_coverage_pct"],
            "covered_population_before": b["covered_population"],
            "population_coverage_pct_after": a["population_coverage_pct"] if a else None,
            "area_coverage_pct_after": a["area_coverage_pct"] if a else None,
            "covered_population_after": a["covered_population"] if a else None,
            "estimated_population_coverage_pct_after": ps["coverage_after_pct"],
            "meets_target_before": bool(b["population_coverage_pct"] >= target - 1e-9),
            "meets_target_after": meets_after,
            "verified": bool(verify),
            "n_new_sites": n_sites,
            "n_new_cells": len(plan.sites),
            "operator": ps["operator"],
            "coverage_counted_for": ps["coverage_counted_for"],
            "new_site": new_site,
            "radius_m": ps["radius_m"],
            "method": ps["method"],
            "method_used": first["method_used"],
            "greedy_gap": first.get("greedy_gap"),
            "greedy_bound": first.get("greedy_bound"),
            "milp_status": first.get("milp_status"),
            "milp_gap": first.get("milp_gap"),
            "rounds": len(plans),
            "max_rounds": max_rounds,
            "history": history,
            "min_spacing_m": float(min_spacing_m),
            "candidates": "given" if given_candidates else "grid",
            "n_candidates": first["n_candidates"],
            "demand_cell_m": first["demand_cell_m"],
            "model": b["model"],
            "model_label": b["model_label"],
            "population_source": b["population_source"],
            "approximation": first["approximation"],
            "inputs": b["inputs"],
            "parameters": b["parameters"],
            "note": note,
        }
    )


__all__ = [
    "COVERAGE_WEIGHTING",
    "MODEL_CHOICES",
    "AuditParams",
    "AuditResult",
    "DataError",
    "PlanRun",
    "assemble_result",
    "load_candidates",
    "resolve_model",
    "run_audit",
    "run_plan",
]
