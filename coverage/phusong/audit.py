"""``run_audit``: the whole coverage audit in one call.

The CLI and the Streamlit app are thin layers over this function; neither
computes anything itself. Layers below: :mod:`phusong.io` (read), then either
the exact vector route (:mod:`phusong.aggregate`, disc and sector models) or
the raster route (:mod:`phusong.grid` + :mod:`phusong.zonal`, path-loss models),
then :mod:`phusong.goals`.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from . import __version__
from .errors import ConfigError, DataError
from .goals import Goal, city_figures, evaluate, meets, rank_wards
from .schema import ANY_OPERATOR, REDUNDANCY_CLASSES

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
    from .propagation import MODEL_ALIASES, PATH_LOSS_MODELS

    full = MODEL_ALIASES.get(model, model)
    if full not in PATH_LOSS_MODELS:
        valid = ", ".join([*MODEL_CHOICES, *PATH_LOSS_MODELS])
        raise ConfigError(f"model: unknown model {model!r}; choose one of {valid}.")
    return full


def load_wards(wards: Any = None) -> gpd.GeoDataFrame:
    """Wards from a path, an upload, a GeoDataFrame or ``None`` (the shipped Hà Nội wards)."""
    from .io.wards import normalise_wards, read_wards

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
    from .io.sites import read_sites, sites_from_frame

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
        :mod:`phusong.distributed`); ``None`` computes in-process.
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
        from .io.wards import shipped_wards_path

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
        from .aggregate import ward_coverage_vector

        cov = ward_coverage_vector(
            ward_table,
            site_table,
            model=full_model,
            radius_m=radius_m,
            population_raster=population_raster,
            min_gap_area_m2=min_gap_area_m2,
        )
    elif route == "tiled":
        from .distributed import ward_coverage_tiled
        from .grid import GridSpec
        from .propagation import LinkBudget

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
        from .grid import GridSpec, compute_grid
        from .propagation import LinkBudget
        from .zonal import ward_coverage_raster

        budget = LinkBudget(
            threshold_dbm=float(threshold_dbm),
            indoor_loss_db=float(indoor_loss_db),
            reliability=float(reliability),
        )
        spec = GridSpec.for_area(ward_table, resolution_m=resolution_m)
        if scheduler is not None:
            from .distributed import compute_grid_distributed

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


__all__ = [
    "MODEL_CHOICES",
    "AuditParams",
    "AuditResult",
    "DataError",
    "assemble_result",
    "resolve_model",
    "run_audit",
]
