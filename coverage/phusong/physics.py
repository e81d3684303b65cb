"""The radio physics an audit adds to the site table before the engine runs.

:func:`phusong.audit.run_audit` reads the sites, then this module gives every
cell what the model says about it, as the optional per-cell columns the
raster engine reads (:data:`phusong.raster.cells.CELL_OPTION_COLUMNS`):

* ``path_loss_model`` — the ``planning`` model's path loss of the cell's
  scenario (UMa / UMi / RMa, NLOS or LOS-probability weighted;
  :mod:`phusong.scenario`), so the shadowing margin is that scenario's σ;
* ``o2i_loss_db`` and ``indoor_margin_db`` — the TR 38.901 §7.4.3 O2I loss
  at the cell's frequency and the extra margin of indoor users
  (:func:`phusong.propagation.cell_losses`): they switch on the engine's
  indoor layer (every path-loss model);
* the per-band numerology (:mod:`phusong.propagation.numerology`): each
  cell's subcarrier spacing, so a 10 MHz n28 carrier spreads its power over
  52 resource blocks (15 kHz), not 24 (30 kHz).

For the footprint model ``sector`` it gives each cell its wedge width
(:func:`footprint_sites`), and :func:`terrain_for` reads the DEM for the
engine's grid.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from phusong import propagation as prop
from phusong.models import PLANNING_MODEL, get_model
from phusong.propagation.o2i import o2i_sigma_db
from phusong.scenario import cell_scenarios, ward_scenarios

log = logging.getLogger(__name__)

#: The run model handed to the engine for ``planning`` (every cell carries
#: its own ``path_loss_model``; this one only names the run).
PLANNING_ENGINE_MODEL = "uma_nlos"


@dataclass(frozen=True)
class CellPhysics:
    """What :func:`engine_sites` worked out, kept for the results.

    Attributes
    ----------
    sites : DataFrame
        The site table with the per-cell columns the engine reads.
    engine_model : str
        The model name passed to the engine.
    scenarios : DataFrame or None
        Per ward: ``ward_id``, ``density_per_km2``, ``scenario``,
        ``scenario_rule`` (``planning`` only).
    cells_by_scenario : dict
        Scenario -> number of cells (``planning`` only).
    numerology : dict
        Band -> ``{"cells", "duplex", "scs_khz", "n_rb"}`` of its carriers.
    """

    sites: pd.DataFrame
    engine_model: str
    scenarios: pd.DataFrame | None
    cells_by_scenario: dict[str, int]
    numerology: dict[str, Any]


def _scenario_of_model(model: str) -> str:
    """Scenario whose O2I indoor distance a single-scenario model uses (UMa for Hata/FSPL)."""
    family = model.split("_")[0]
    return family if family in ("uma", "umi", "rma") else "uma"


def _bands(sites: pd.DataFrame) -> np.ndarray:
    """Band of each cell (from ``band``, else from the frequency), as text."""
    from phusong.operators import band_for_frequency

    n = len(sites)
    band = sites["band"].astype("string").to_numpy(dtype=object) if "band" in sites else [None] * n
    freq = (
        pd.to_numeric(sites["frequency_mhz"], errors="coerce").to_numpy("float64")
        if "frequency_mhz" in sites
        else np.full(n, np.nan)
    )
    out: list[str | None] = []
    for b, f in zip(band, freq, strict=True):
        if isinstance(b, str) and b.strip():
            out.append(b.strip().lower())
        else:
            out.append(band_for_frequency(float(f)) if math.isfinite(f) else None)
    return np.array(out, dtype=object)


def numerology_columns(
    sites: pd.DataFrame, engine_scs_khz: float, fallback_bandwidth_mhz: float
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Per-cell numerology, as the engine reads it, and a summary per band.

    The engine takes one subcarrier spacing per run unless it reads a
    per-cell ``scs_khz`` column; when it does not, the difference of each
    cell's resource-element power is passed as an extra loss
    10 log10(N_RB(cell SCS) / N_RB(run SCS)) [dB] (+3.36 dB for a 10 MHz n28
    carrier: 52 instead of 24 resource blocks).

    Returns
    -------
    (dict, dict)
        Columns (``scs_khz`` or ``extra_loss_db``) and, per band, ``cells``,
        ``duplex``, ``scs_khz`` and ``n_rb`` (of its most common bandwidth).
    """
    from phusong.raster.cells import CELL_OPTION_COLUMNS

    bands = _bands(sites)
    scs = prop.scs_khz_per_cell(bands)
    bw = (
        pd.to_numeric(sites["bandwidth_mhz"], errors="coerce").to_numpy("float64")
        if "bandwidth_mhz" in sites
        else np.full(len(sites), np.nan)
    )
    bw = np.where(np.isfinite(bw), bw, fallback_bandwidth_mhz)
    n_rb = _n_rb_or_nan(bw, scs)
    summary: dict[str, Any] = {}
    for band in sorted({str(b) for b in bands}):
        sel = np.array([str(b) == band for b in bands])
        num = prop.band_numerology(band)
        common = pd.Series(bw[sel]).mode()
        summary[band] = {
            "cells": int(sel.sum()),
            "duplex": num.duplex if num else None,
            "scs_khz": int(scs[sel][0]),
            "bandwidth_mhz": float(common.iloc[0]) if len(common) else None,
            "n_rb": int(n_rb[sel][0]) if np.isfinite(n_rb[sel][0]) else None,
        }
    if "scs_khz" in CELL_OPTION_COLUMNS:  # the engine reads the SCS per cell
        return {"scs_khz": scs}, summary
    run_rb = _n_rb_or_nan(bw, np.full(len(sites), float(engine_scs_khz)))
    with np.errstate(invalid="ignore", divide="ignore"):
        extra = 10.0 * np.log10(n_rb / run_rb)
    return {"extra_loss_db": np.where(np.isfinite(extra), extra, 0.0)}, summary


def _n_rb_or_nan(bandwidth_mhz: np.ndarray, scs_khz: np.ndarray) -> np.ndarray:
    """N_RB per cell, NaN where the table has no entry (the engine reports those rows)."""
    out = np.full(bandwidth_mhz.shape, np.nan)
    for value in np.unique(scs_khz):
        table = prop.N_RB_TABLE.get(int(value), {})
        sel = scs_khz == value
        out[sel] = [
            table.get(int(b), np.nan) if float(b).is_integer() else np.nan
            for b in bandwidth_mhz[sel]
        ]
    return out


def engine_sites(
    sites: gpd.GeoDataFrame,
    wards: gpd.GeoDataFrame,
    params: Any,
    *,
    scenarios: Any = None,
    link_budget: Any = None,
) -> CellPhysics:
    """Return the site table with every per-cell column of the model (module docstring).

    Parameters
    ----------
    sites : GeoDataFrame
        Canonical cell table.
    wards : GeoDataFrame
        The wards (for the scenario of each cell).
    params : AuditParams
        ``model``, ``reliability``, ``o2i_model``, ``los_probability``.
    scenarios : mapping, optional
        Per-ward scenario overrides (``planning`` only).
    link_budget : LinkBudget, optional
        For the run's SCS, the fallback bandwidth and σ overrides.

    Returns
    -------
    CellPhysics
    """
    spec = get_model(params.model)
    budget = link_budget or prop.LinkBudget()
    out = pd.DataFrame(sites).copy()
    per_ward, by_scenario = None, {}
    if spec.name == PLANNING_MODEL:
        per_ward = ward_scenarios(wards, scenarios)
        scen = cell_scenarios(sites, wards, per_ward)["scenario"].to_numpy(dtype=object)
        out["scenario"] = scen
        out["path_loss_model"] = [
            f"{s}_{'mixed' if params.los_probability else 'nlos'}" for s in scen
        ]
        by_scenario = {s: int((scen == s).sum()) for s in ("uma", "umi", "rma")}
        engine_model = PLANNING_ENGINE_MODEL
    else:
        scen = np.full(len(out), _scenario_of_model(spec.full_name), dtype=object)
        engine_model = spec.full_name
    models = out["path_loss_model"].to_numpy(dtype=object) if "path_loss_model" in out else None
    out = _with_indoor(out, scen, models, engine_model, params, budget)
    columns, numerology = numerology_columns(out, budget.scs_khz, budget.bandwidth_mhz)
    for name, values in columns.items():
        if name == "extra_loss_db" and name in out:  # add to an extra loss already there
            values = values + np.nan_to_num(
                pd.to_numeric(out[name], errors="coerce").to_numpy("float64")
            )
        out[name] = values
    return CellPhysics(out, engine_model, per_ward, by_scenario, numerology)


def _with_indoor(
    out: pd.DataFrame,
    scen: np.ndarray,
    models: np.ndarray | None,
    engine_model: str,
    params: Any,
    budget: Any,
) -> pd.DataFrame:
    """Add ``o2i_loss_db`` and ``indoor_margin_db`` (TR 38.901 §7.4.3) to every cell."""
    f_ghz = pd.to_numeric(out["frequency_mhz"], errors="coerce").to_numpy("float64") / 1000.0
    f_ghz = np.where(np.isfinite(f_ghz) & (f_ghz > 0), f_ghz, 3.5)
    o2i = np.zeros(len(out))
    sigma_p = np.zeros(len(out))
    for s in ("uma", "umi", "rma"):
        sel = scen == s
        if sel.any():
            o2i[sel] = prop.o2i_loss_db(f_ghz[sel], s, params.o2i_model)
            sigma_p[sel] = o2i_sigma_db(s, params.o2i_model)
    names = models if models is not None else np.full(len(out), engine_model, dtype=object)
    sigma_sf = np.array([budget.sigma_db(str(m)) for m in names], dtype="float64")
    out["o2i_loss_db"] = o2i
    out["indoor_margin_db"] = np.asarray(
        prop.indoor_margin_db(sigma_sf, sigma_p, params.reliability), dtype="float64"
    )
    return out


def footprint_sites(sites: gpd.GeoDataFrame, sector_edge_db: float) -> gpd.GeoDataFrame:
    """Cells whose ``beamwidth_deg`` is the width of their sector footprint.

    The footprint engines (:mod:`phusong.vector`, the raster ``sector``
    footprint) draw a wedge of ``beamwidth_deg``; the ``sector`` model's wedge
    ends where the antenna pattern is ``sector_edge_db`` below boresight
    (:func:`phusong.vector.footprints.sector_width_deg`), so this copy holds
    that width. Cells without a beamwidth keep none (a third of the circle).
    """
    from phusong.vector.footprints import sector_width_deg

    out = sites.copy()
    if "beamwidth_deg" in out:
        bw = pd.to_numeric(out["beamwidth_deg"], errors="coerce").to_numpy("float64")
        with np.errstate(invalid="ignore"):
            out["beamwidth_deg"] = np.where(
                np.isfinite(bw) & (bw > 0), sector_width_deg(bw, sector_edge_db), bw
            )
    return out


def terrain_for(dem: Any, grid: Any) -> Any:
    """Return the terrain model of ``dem`` on ``grid`` (:func:`phusong.raster.terrain.terrain_model`)."""
    from phusong.raster.terrain import terrain_model

    return terrain_model(dem, grid)


def prepare_physics(
    inputs: Any,
    params: Any,
    *,
    population: str = "auto",
    population_raster: Any = None,
    scenarios: Any = None,
) -> Any:
    """Run the audit step between reading and computing: people, scenarios, per-cell terms.

    Parameters
    ----------
    inputs : AuditInputs
        What :func:`phusong.audit.read_inputs` read.
    params : AuditParams
        The run's parameters.
    population : {"auto", "worldpop", "uniform"}
        How people are placed (:func:`phusong.dasymetric.choose_population`).
    population_raster : path, optional
        A people-per-pixel raster to use as the weights.
    scenarios : mapping or path, optional
        Per-ward scenario overrides (``planning``; a CSV path is read with
        :func:`phusong.io.scenarios.read_scenario_overrides`).

    Returns
    -------
    AuditInputs
        A copy whose ``sites`` carry the engine's per-cell columns (path-loss
        models), whose ``population`` is the decision and whose ``physics``
        the :class:`CellPhysics`; the shipped WorldPop raster, when used, is
        recorded among the input files.
    """
    from dataclasses import replace

    from phusong.dasymetric import choose_population

    choice = choose_population(
        population, population_raster, inputs.wards, (inputs.records or {}).get("wards")
    )
    records = dict(inputs.records or {})
    if choice.dasymetric and population_raster is None:
        from phusong.io.files import input_record

        records["population"] = input_record(choice.raster)
    physics = None
    sites = inputs.sites
    if not get_model(params.model).is_footprint:
        if isinstance(scenarios, (str, bytes)) or hasattr(scenarios, "__fspath__"):
            from phusong.io.scenarios import read_scenario_overrides

            records["scenarios"] = _record(scenarios)
            scenarios = read_scenario_overrides(scenarios)
        physics = engine_sites(
            sites, inputs.wards, params, scenarios=scenarios, link_budget=link_budget_of(params)
        )
        sites = gpd.GeoDataFrame(physics.sites, geometry="geometry", crs=inputs.sites.crs)
        sites.attrs.update(inputs.sites.attrs)
    return replace(inputs, sites=sites, records=records, population=choice, physics=physics)


def _record(source: Any) -> Any:
    from phusong.io.files import input_record

    return input_record(source)


def link_budget_of(params: Any) -> Any:
    """Return the :class:`phusong.propagation.LinkBudget` of an audit's parameters."""
    return prop.LinkBudget(
        threshold_dbm=params.threshold_dbm,
        indoor_loss_db=float(getattr(params, "indoor_loss_db", 0.0) or 0.0),
        reliability=params.reliability,
        ue_gain_dbi=float(getattr(params, "ue_gain_dbi", 0.0) or 0.0),
        body_loss_db=float(getattr(params, "body_loss_db", 0.0) or 0.0),
    )


def engine_model_of(params: Any, physics: Any = None) -> str:
    """Return the model name handed to the engine (``planning``: nominal, cells carry theirs)."""
    if physics is not None:
        return str(physics.engine_model)
    spec = get_model(params.model)
    return PLANNING_ENGINE_MODEL if spec.is_planning else spec.full_name


__all__ = [
    "PLANNING_ENGINE_MODEL",
    "CellPhysics",
    "engine_model_of",
    "engine_sites",
    "footprint_sites",
    "link_budget_of",
    "numerology_columns",
    "prepare_physics",
    "terrain_for",
]
