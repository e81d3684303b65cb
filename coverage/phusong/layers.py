"""Outdoor and indoor coverage side by side, and what every figure is.

A coverage figure means little without saying which model made it, whether
it counts people outdoors or indoors, at which reliability and threshold,
and where the people were placed. This module:

* holds the coverage of both layers (:class:`LayeredCoverage`): the
  **outdoor** table (every route) and, for path-loss models on the raster
  route, the **indoor** table (the engine's indoor layer: RSRP after the TR
  38.901 O2I loss and the indoor margin), plus the one the goal is judged on
  (outdoor unless ``goal_layer="indoor"``);
* counts the indoor layer in the zonal pass of the outdoor ones
  (:func:`with_indoor_layer`, :func:`split_indoor`);
* adds both layers, each labelled, to the per-ward table
  (:func:`with_layer_columns`) and to ``summary.json`` (:func:`layer_summary`);
* says in words what a figure is (:func:`figure_label`), e.g. "planning
  model (3GPP TR 38.901, scenario per ward), outdoor, median (50 %
  reliability), SS-RSRP ≥ −110 dBm, people: WorldPop 2020 weights rescaled to
  official ward totals".

The footprint models (disc, sector) have no indoor layer: their figure is a
quick footprint estimate (no propagation, outdoor, median: an upper bound)
and says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from phusong.goals import city_figures
from phusong.models import FOOTPRINT_CAVEAT, get_model
from phusong.schema import ANY_OPERATOR

#: Columns of each layer in the per-ward table: ``<layer>_<figure>``.
LAYER_FIGURES = ("population_coverage_pct", "covered_population", "area_coverage_pct")
#: Label columns every CSV row carries (what the figures are).
LABEL_COLUMNS = (
    "model",
    "coverage_layer",
    "reliability",
    "threshold_dbm",
    "population_source",
)


@dataclass
class LayeredCoverage:
    """Coverage of an audit in both layers (see the module docstring).

    Attributes
    ----------
    table : DataFrame
        Long per-ward table of the layer the goal is judged on.
    gaps : GeoDataFrame
        Uncovered parts (outdoor: the gaps a new site closes).
    population_source : str
        ``dasymetric:<raster>``, ``uniform:official`` or ``raster:<raster>``.
    outdoor : DataFrame
        Long outdoor table.
    indoor : DataFrame or None
        Long indoor table (``"any"`` rows), or None when not computed.
    layer : {"outdoor", "indoor"}
        The layer of ``table``.
    indoor_note : str
        Why there is no indoor figure (empty when there is one).
    population_credit : str or None
        Credit line of the population raster (WorldPop).
    physics : CellPhysics or None
        The per-cell physics (:mod:`phusong.physics`), for the summary.
    terrain : dict
        ``used``, ``credit``, ``unknown_km2`` (raster route with terrain).
    """

    table: pd.DataFrame
    gaps: gpd.GeoDataFrame
    population_source: str
    outdoor: pd.DataFrame
    indoor: pd.DataFrame | None = None
    layer: str = "outdoor"
    indoor_note: str = ""
    population_credit: str | None = None
    physics: Any = None
    terrain: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        cov: Any,
        *,
        indoor: pd.DataFrame | None,
        layer: str,
        indoor_note: str = "",
        population_credit: str | None = None,
        physics: Any = None,
        terrain: dict[str, Any] | None = None,
    ) -> LayeredCoverage:
        """Wrap a route's coverage (``table``, ``gaps``, ``population_source``)."""
        judged = indoor if (layer == "indoor" and indoor is not None) else cov.table
        return cls(
            table=judged,
            gaps=cov.gaps,
            population_source=cov.population_source,
            outdoor=cov.table,
            indoor=indoor,
            layer=layer if indoor is not None else "outdoor",
            indoor_note=indoor_note,
            population_credit=population_credit,
            physics=physics,
            terrain=dict(terrain or {}),
        )


#: Smallest gap polygon the raster route lists, whatever is asked [m²] (1 mm²).
MIN_GAP_AREA_M2 = 1e-6

#: Name of the indoor layer while it rides along the operator layers of the zonal step.
INDOOR_LAYER = "__indoor__"


def with_indoor_layer(grid: Any) -> Any:
    """Return the grid with its indoor server count as one more operator layer.

    The zonal step (:func:`phusong.raster.zonal.ward_coverage_raster`) then
    counts the indoor layer in the same pass as the outdoor ones; its rows
    are split off by :func:`split_indoor`. The grid itself is not changed.
    """
    servers = getattr(grid, "indoor_n_servers", None)
    if servers is None:
        return grid
    return replace(
        grid,
        operators=(*grid.operators, INDOOR_LAYER),
        operator_n_servers=np.concatenate([grid.operator_n_servers, servers[None]]),
    )


def split_indoor(table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Split the :data:`INDOOR_LAYER` rows off a long table: (outdoor table, indoor ``"any"`` rows)."""
    is_indoor = table["operator"].astype(str) == INDOOR_LAYER
    if not is_indoor.any():
        return table, None
    indoor = table[is_indoor].copy()
    indoor["operator"] = pd.array([ANY_OPERATOR] * len(indoor), dtype=table["operator"].dtype)
    return table[~is_indoor].reset_index(drop=True), indoor.reset_index(drop=True)


# --------------------------------------------------------------------------- words


def _population_words(source: str) -> str:
    kind, _, detail = str(source).partition(":")
    if kind == "dasymetric":
        if "worldpop" in detail.lower():
            return "people: WorldPop 2020 weights rescaled to official ward totals"
        return f"people: {detail} weights rescaled to official ward totals"
    if kind == "uniform":
        return "people: official ward totals spread evenly (uniform)"
    if kind == "raster":
        return f"people: raster {detail} as counted"
    return f"people: {source}"


def reliability_words(reliability: float) -> str:
    """``"median (50 % reliability)"`` or ``"90 % cell-edge reliability"``."""
    if float(reliability) == 0.5:
        return "median (50 % reliability)"
    return f"{100 * float(reliability):g} % cell-edge reliability"


def figure_label(params: Any, layer: str, population_source: str) -> str:
    """Say in words what a coverage figure is: model, layer, reliability, threshold, people.

    Parameters
    ----------
    params : AuditParams
        The parameters of the run.
    layer : {"outdoor", "indoor"}
        The layer of the figure.
    population_source : str
        The ``population_source`` code.
    """
    spec = get_model(params.model)
    people = _population_words(population_source)
    if spec.is_footprint:
        return f"{spec.name} model, {FOOTPRINT_CAVEAT}; {people}"
    parts = [f"{spec.name} model", layer, reliability_words(params.reliability)]
    parts.append(f"SS-RSRP ≥ {params.threshold_dbm:g} dBm")
    sinr = getattr(params, "sinr_min_db", None)
    if sinr is not None:
        parts.append(f"SINR ≥ {sinr:g} dB")
    if layer == "indoor":
        parts.append(f"TR 38.901 O2I {getattr(params, 'o2i_model', 'low-loss')}")
    flat = float(getattr(params, "indoor_loss_db", 0.0) or 0.0)
    if flat and not spec.is_planning:
        parts.append(f"flat extra loss {flat:g} dB")
    if getattr(params, "terrain", "off") == "on":
        parts.append("terrain (SRTM where known)")
    return ", ".join(parts) + f"; {people}"


# --------------------------------------------------------------------------- tables


def _any_rows(table: pd.DataFrame | None) -> pd.DataFrame | None:
    if table is None:
        return None
    rows = table[table["operator"] == ANY_OPERATOR].copy()
    rows["ward_id"] = rows["ward_id"].astype(str)
    return rows.set_index("ward_id")


def with_layer_columns(per_ward: pd.DataFrame, cov: Any, params: Any) -> pd.DataFrame:
    """Add both layers' figures, the scenario and the label columns to the per-ward table.

    Columns added: ``outdoor_population_coverage_pct``,
    ``outdoor_covered_population``, ``outdoor_area_coverage_pct``, the same
    for ``indoor_`` (NaN where not computed), ``scenario`` and
    ``scenario_rule`` (``planning``), and :data:`LABEL_COLUMNS` (``model``,
    ``coverage_layer`` (the layer of the unprefixed figures), ``reliability``,
    ``threshold_dbm`` (NaN for footprint models), ``population_source``).
    """
    out = per_ward.copy()
    ids = out["ward_id"].astype(str)
    outdoor = _any_rows(getattr(cov, "outdoor", getattr(cov, "table", None)))
    indoor = _any_rows(getattr(cov, "indoor", None))
    for name, rows in (("outdoor", outdoor), ("indoor", indoor)):
        for fig in LAYER_FIGURES:
            out[f"{name}_{fig}"] = (
                ids.map(rows[fig]).astype("float64").to_numpy()
                if rows is not None
                else np.full(len(out), np.nan)
            )
    physics = getattr(cov, "physics", None)
    scenarios = getattr(physics, "scenarios", None)
    if scenarios is not None:
        s = scenarios.assign(ward_id=scenarios["ward_id"].astype(str)).set_index("ward_id")
        out["scenario"] = ids.map(s["scenario"]).astype("string").to_numpy()
        out["scenario_rule"] = ids.map(s["scenario_rule"]).astype("string").to_numpy()
    return with_label_columns(out, cov, params)


def with_label_columns(table: pd.DataFrame, cov: Any, params: Any) -> pd.DataFrame:
    """Add :data:`LABEL_COLUMNS` (what the figures are) to a per-ward table (e.g. by operator)."""
    spec = get_model(params.model)
    return table.assign(
        model=params.model,
        coverage_layer=getattr(cov, "layer", "outdoor"),
        reliability=np.nan if spec.is_footprint else float(params.reliability),
        threshold_dbm=np.nan if spec.is_footprint else float(params.threshold_dbm),
        population_source=getattr(cov, "population_source", ""),
    )


def layer_summary(cov: Any, params: Any) -> dict[str, Any]:
    """Return the summary's part on layers, labels, scenarios, numerology, people, terrain.

    Keys: ``coverage_layer`` (the layer the goal and the unprefixed figures
    use), ``outdoor`` / ``indoor`` (each: ``label``, ``population_coverage_pct``,
    ``covered_population``, ``area_coverage_pct``, ``covered_area_km2``;
    ``indoor`` is None with ``indoor_note`` when not computed),
    ``figure_label``, ``footprint_estimate`` (disc/sector), ``scenarios``
    (cells and wards per scenario, the rule), ``numerology`` (per band),
    ``population_credit`` and ``terrain``.
    """
    from phusong.scenario import (
        SMALL_CELL_MAX_EIRP_DBM,
        SMALL_CELL_MAX_HEIGHT_M,
        URBAN_DENSITY_PER_KM2,
    )

    spec = get_model(params.model)
    source = getattr(cov, "population_source", "")
    layers: dict[str, Any] = {}
    for name in ("outdoor", "indoor"):
        table = getattr(cov, name, getattr(cov, "table", None) if name == "outdoor" else None)
        if table is None:
            layers[name] = None
            continue
        figs = city_figures(table[table["operator"] == ANY_OPERATOR].drop(columns="operator"))
        layers[name] = {
            "label": figure_label(params, name, source),
            **{k: figs[k] for k in ("population_coverage_pct", "covered_population")},
            **{k: figs[k] for k in ("area_coverage_pct", "covered_area_km2")},
        }
    physics = getattr(cov, "physics", None)
    layer = getattr(cov, "layer", "outdoor")
    out: dict[str, Any] = {
        "coverage_layer": layer,
        "figure_label": figure_label(params, layer, source),
        "footprint_estimate": bool(spec.is_footprint),
        "outdoor": layers["outdoor"],
        "indoor": layers["indoor"],
        "indoor_note": getattr(cov, "indoor_note", "")
        or ("" if layers["indoor"] else "not computed"),
        "population_credit": getattr(cov, "population_credit", None),
        "numerology": getattr(physics, "numerology", None),
        "terrain": getattr(cov, "terrain", None) or None,
    }
    if spec.is_planning and physics is not None and physics.scenarios is not None:
        wards = physics.scenarios["scenario"].astype(str).value_counts().to_dict()
        out["scenarios"] = {
            "wards": {k: int(v) for k, v in sorted(wards.items())},
            "cells": physics.cells_by_scenario,
            "rule": (
                f"phường → UMa; xã → UMa at ≥ {URBAN_DENSITY_PER_KM2:,.0f} people/km², else RMa; "
                f"cells ≤ {SMALL_CELL_MAX_HEIGHT_M:g} m or < {SMALL_CELL_MAX_EIRP_DBM:g} dBm EIRP "
                "→ UMi; per-ward overrides win"
            ),
            "line_of_sight": "LOS-probability weighted"
            if params.los_probability
            else "NLOS (LOS probability not used)",
        }
    return out


# --------------------------------------------------------------------------- routes


def _people(cov: Any, wards: gpd.GeoDataFrame, choice: Any) -> Any:
    """Return a route's coverage with its people rescaled to official totals (raster weights)."""
    from phusong.dasymetric import rescale_gaps, rescale_table

    if choice is None or not choice.dasymetric:
        return cov
    table = rescale_table(cov.table, wards)
    gaps = rescale_gaps(cov.gaps, table, cov.table)
    return replace(cov, table=table, gaps=gaps, population_source=choice.source)


def footprint_layers(cov: Any, choice: Any) -> LayeredCoverage:
    """Wrap a footprint model's coverage: outdoor only, labelled as a quick estimate."""
    return LayeredCoverage.of(
        cov,
        indoor=None,
        layer="outdoor",
        indoor_note=f"no indoor figure: a {FOOTPRINT_CAVEAT}",
        population_credit=getattr(choice, "credit", None),
    )


def raster_layers(
    wards: gpd.GeoDataFrame,
    grid: Any,
    params: Any,
    choice: Any,
    *,
    physics: Any = None,
    terrain: dict[str, Any] | None = None,
) -> LayeredCoverage:
    """Per-ward outdoor and indoor coverage from a computed grid.

    Parameters
    ----------
    wards : GeoDataFrame
        Canonical wards.
    grid : GridResult
        The engine's result (with the indoor layer for path-loss models).
    params : AuditParams
        ``threshold_dbm``, ``min_gap_area_m2``, ``goal_layer``.
    choice : PopulationChoice or None
        How people are placed (:func:`phusong.dasymetric.choose_population`).
    physics : CellPhysics, optional
        Kept for the summary.
    terrain : dict, optional
        ``used``, ``credit``, ``unknown_km2``.
    """
    from phusong.raster.ward_pixels import ward_overlap
    from phusong.raster.zonal import ward_coverage_raster

    raster = choice.raster if (choice is not None and choice.dasymetric) else None
    if grid.overlap is None:  # found once; the checks and the progress series reuse it
        grid.overlap = ward_overlap(wards, grid.grid, raster)
    both = ward_coverage_raster(
        wards,
        with_indoor_layer(grid),
        threshold_dbm=params.threshold_dbm if not get_model(params.model).is_footprint else None,
        population_raster=raster,
        # a gap of zero area is no gap (and an empty polygon would stop the zonal step)
        min_gap_area_m2=max(float(params.min_gap_area_m2), MIN_GAP_AREA_M2),
    )
    table, indoor = split_indoor(both.table)
    outdoor = _people(replace(both, table=table), wards, choice)
    if indoor is not None and raster is not None:
        from phusong.dasymetric import rescale_table

        indoor = rescale_table(indoor, wards)
    spec = get_model(params.model)
    note = (
        ""
        if indoor is not None
        else (f"no indoor figure: a {FOOTPRINT_CAVEAT}" if spec.is_footprint else "not computed")
    )
    return LayeredCoverage.of(
        outdoor,
        indoor=indoor,
        layer=getattr(params, "goal_layer", "outdoor"),
        indoor_note=note,
        population_credit=getattr(choice, "credit", None),
        physics=physics,
        terrain=terrain,
    )


def tiled_layers(
    cov: Any, wards: gpd.GeoDataFrame, choice: Any, *, physics: Any = None
) -> LayeredCoverage:
    """Wrap the tiled route's coverage: outdoor only (the tiled route sums no indoor layer)."""
    return LayeredCoverage.of(
        _people(cov, wards, choice),
        indoor=None,
        layer="outdoor",
        indoor_note="not computed on the tiled route (use route='raster')",
        population_credit=getattr(choice, "credit", None),
        physics=physics,
    )


__all__ = [
    "INDOOR_LAYER",
    "LABEL_COLUMNS",
    "LAYER_FIGURES",
    "LayeredCoverage",
    "figure_label",
    "footprint_layers",
    "layer_summary",
    "raster_layers",
    "reliability_words",
    "split_indoor",
    "tiled_layers",
    "with_indoor_layer",
    "with_label_columns",
    "with_layer_columns",
]
