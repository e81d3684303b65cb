"""Which 3GPP TR 38.901 scenario each ward and each cell gets (UMa, UMi, RMa).

The ``planning`` model (:mod:`phusong.models`) does not treat a village in Ba
Vì like a street in Hoàn Kiếm: every cell gets the path loss of the scenario
it stands in. The rule, applied per ward and then per cell:

1. **phường** (urban ward) → **UMa** (urban macro).
2. **xã** (commune) → **UMa** if its density is at least
   :data:`URBAN_DENSITY_PER_KM2` (1,500 people/km², the urban-centre density
   of the Degree of Urbanisation), otherwise **RMa** (rural macro). Where the
   choice is doubtful UMa is the cautious one (more loss than RMa).
   A ward without a kind is judged by its density alone; one without a
   population by its kind alone; one with neither is UMa.
3. A per-ward **override** (``scenarios={ward id or name: "uma"|"umi"|"rma"}``,
   or a CSV through ``--scenarios FILE``) replaces the result of 1–2.
4. A **small cell** → **UMi** (urban micro, street canyon) wherever it stands:
   a cell whose antenna is at most :data:`SMALL_CELL_MAX_HEIGHT_M` (15 m,
   below the rooftops; TR 38.901's UMi base station is at 10 m) or whose EIRP
   is below :data:`SMALL_CELL_MAX_EIRP_DBM` (50 dBm; macro carriers radiate
   60–68 dBm).

A cell belongs to the ward it stands in (a cell outside every ward, e.g.
across the city border, to the nearest ward).

Line of sight. The scenario's **NLOS** path loss is used by default: TR
38.901's NLOS formula already takes max(PL_LOS, PL_NLOS), it is the usual
choice for coverage dimensioning, and it does not double-count the terrain
obstruction the diffraction model adds. ``los_probability=True`` uses the
LOS-probability-weighted path loss instead (TR 38.901 Table 7.4.2-1,
:func:`path_loss_model`).

References
----------
.. [1] 3GPP TR 38.901 V16.1.0, Table 7.2-1 (UMa: BS above rooftop; UMi street
   canyon: BS below rooftop, 10 m; RMa: 35 m) and Tables 7.4.1-1, 7.4.2-1.
.. [2] Eurostat (2021), "Applying the Degree of Urbanisation: a methodological
   manual to define cities, towns and rural areas for international
   comparisons", §2 (urban centre: grid cells of at least 1,500 inhabitants
   per km²); endorsed by the UN Statistical Commission, 51st session (2020).
   See docs/sources.md, "Scenario rule".
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Mapping
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from phusong.errors import ConfigError
from phusong.geo import equal_area_crs
from phusong.schema import WGS84

log = logging.getLogger(__name__)

Scenario = Literal["uma", "umi", "rma"]
#: The scenarios of the ``planning`` model.
SCENARIOS: tuple[str, ...] = ("uma", "umi", "rma")
#: Plain names of the scenarios.
SCENARIO_LABELS: dict[str, str] = {
    "uma": "3GPP TR 38.901 urban macro (UMa)",
    "umi": "3GPP TR 38.901 urban micro, street canyon (UMi)",
    "rma": "3GPP TR 38.901 rural macro (RMa)",
}
#: A commune (xã) at least this dense is urban (UMa) [people/km²] (Degree of
#: Urbanisation: urban-centre density; see the module docstring).
URBAN_DENSITY_PER_KM2 = 1500.0
#: A cell at most this high is a small cell (UMi) [m].
SMALL_CELL_MAX_HEIGHT_M = 15.0
#: A cell radiating less than this per carrier is a small cell (UMi) [dBm].
SMALL_CELL_MAX_EIRP_DBM = 50.0


def path_loss_model(scenario: str, los_probability: bool = False) -> str:
    """Path-loss function of a scenario (a name of :data:`phusong.propagation.PATH_LOSS_MODELS`).

    Parameters
    ----------
    scenario : {"uma", "umi", "rma"}
        The scenario.
    los_probability : bool
        ``False`` (default): the NLOS path loss (``uma_nlos``); ``True``: the
        LOS-probability-weighted one (``uma_mixed``).
    """
    key = _scenario_name(scenario, "scenario")
    return f"{key}_{'mixed' if los_probability else 'nlos'}"


def _scenario_name(value: Any, label: str) -> str:
    text = str(value).strip().lower()
    if text not in SCENARIOS:
        raise ConfigError(
            f"{label}: unknown scenario {value!r}; choose one of {', '.join(SCENARIOS)}."
        )
    return text


def _fold(text: Any) -> str:
    """Text compared without case, accents or surrounding spaces."""
    norm = unicodedata.normalize("NFKD", str(text).strip().casefold())
    return "".join(ch for ch in norm if not unicodedata.combining(ch)).replace("đ", "d")


def ward_density_per_km2(wards: gpd.GeoDataFrame) -> np.ndarray:
    """Official population per km² of each ward (equal-area areas); NaN when unknown."""
    crs = equal_area_crs(wards)
    area = np.asarray(wards.geometry.to_crs(crs).area, dtype="float64") / 1e6
    pop = (
        pd.to_numeric(wards["population"], errors="coerce").to_numpy("float64")
        if "population" in wards
        else np.full(len(wards), np.nan)
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(area > 0, pop / area, np.nan)


def _rule(kind: str, density: float) -> tuple[str, str]:
    """Scenario and the words of the rule that chose it, for one ward."""
    dense = np.isfinite(density) and density >= URBAN_DENSITY_PER_KM2
    shown = f"{density:,.0f} people/km²" if np.isfinite(density) else "density unknown"
    threshold = f"{URBAN_DENSITY_PER_KM2:,.0f}"
    if kind == "phường":
        return "uma", "phường (urban ward)"
    if kind == "xã":
        if dense:
            return "uma", f"xã, {shown} ≥ {threshold}"
        if np.isfinite(density):
            return "rma", f"xã, {shown} < {threshold}"
        return "rma", "xã, density unknown"
    if np.isfinite(density):
        return ("uma", f"{shown} ≥ {threshold}") if dense else ("rma", f"{shown} < {threshold}")
    return "uma", "kind and density unknown (UMa, the cautious choice)"


def resolve_overrides(
    overrides: Mapping[Any, Any] | None, wards: gpd.GeoDataFrame
) -> dict[str, str]:
    """Ward id -> scenario for a mapping keyed by ward id or ward name.

    Names match ignoring case, accents and the prefix (``"Ba Vì"`` matches
    ``"Xã Ba Vì"``) when that is unambiguous.

    Raises
    ------
    ConfigError
        An unknown or ambiguous ward, or an unknown scenario (every problem
        listed, with the valid scenarios).
    """
    if not overrides:
        return {}
    ids = wards["ward_id"].astype("string").to_numpy(dtype=object)
    names = (
        wards["name"].astype("string").fillna("").to_numpy(dtype=object) if "name" in wards else ids
    )
    by_key: dict[str, list[str]] = {}
    for wid, name in zip(ids, names, strict=True):
        for key in {_fold(wid), _fold(name), _fold(_without_prefix(str(name)))}:
            by_key.setdefault(key, []).append(str(wid))
    out: dict[str, str] = {}
    problems = []
    for ward, scenario in overrides.items():
        try:
            value = _scenario_name(scenario, f"scenarios[{ward!r}]")
        except ConfigError as exc:
            problems.append(str(exc))
            continue
        hits = sorted(set(by_key.get(_fold(ward), [])))
        if len(hits) != 1:
            why = "matches several wards" if hits else "is not a ward id or name"
            problems.append(f"scenarios: {ward!r} {why}; give the ward_id (wards.csv).")
            continue
        out[hits[0]] = value
    if problems:
        raise ConfigError(" ".join(problems))
    return out


def _without_prefix(name: str) -> str:
    for prefix in ("Phường ", "Xã ", "phường ", "xã "):
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def ward_scenarios(
    wards: gpd.GeoDataFrame, overrides: Mapping[Any, Any] | None = None
) -> pd.DataFrame:
    """Return the scenario of every ward and the rule that chose it.

    Parameters
    ----------
    wards : GeoDataFrame
        Canonical wards (``ward_id``, ``name``, ``kind``, ``population``).
    overrides : mapping, optional
        Ward id or name -> ``"uma"``, ``"umi"`` or ``"rma"``.

    Returns
    -------
    DataFrame
        ``ward_id`` (string), ``density_per_km2`` [people/km²], ``scenario``
        and ``scenario_rule`` (plain words: ``"phường (urban ward)"``,
        ``"xã, 812 people/km² < 1,500"``, ``"override"``), in ward order.

    Raises
    ------
    ConfigError
        A bad override (see :func:`resolve_overrides`).
    """
    fixed = resolve_overrides(overrides, wards)
    density = ward_density_per_km2(wards)
    kinds = (
        wards["kind"].astype("string").fillna("").str.strip().str.lower().to_numpy(dtype=object)
        if "kind" in wards
        else np.full(len(wards), "", dtype=object)
    )
    ids = wards["ward_id"].astype("string").to_numpy(dtype=object)
    scenario, rule = [], []
    for wid, kind, dens in zip(ids, kinds, density, strict=True):
        s, r = _rule(str(kind), float(dens))
        if str(wid) in fixed:
            s, r = fixed[str(wid)], f"override (rule: {r})"
        scenario.append(s)
        rule.append(r)
    return pd.DataFrame(
        {
            "ward_id": pd.array(ids, dtype="string"),
            "density_per_km2": density,
            "scenario": pd.array(scenario, dtype="string"),
            "scenario_rule": pd.array(rule, dtype="string"),
        }
    )


def site_ward_index(sites: gpd.GeoDataFrame, wards: gpd.GeoDataFrame) -> np.ndarray:
    """Position (in ``wards``) of the ward each cell stands in; the nearest one outside every ward.

    Distances for the nearest ward are measured in the wards' equal-area CRS.
    A cell on a shared border takes the first ward listed.
    """
    if not len(sites):
        return np.zeros(0, dtype="int64")
    crs = equal_area_crs(wards)
    ward_geoms = wards.geometry.to_crs(crs).to_numpy()
    points = gpd.GeoSeries(sites.geometry.to_numpy(), crs=sites.crs or WGS84).to_crs(crs).to_numpy()
    tree = shapely.STRtree(ward_geoms)
    pt_i, ward_i = tree.query(points, predicate="within")
    out = np.full(len(points), -1, dtype="int64")
    order = np.lexsort((ward_i, pt_i))
    pt_i, ward_i = pt_i[order], ward_i[order]
    first = np.r_[True, pt_i[1:] != pt_i[:-1]] if pt_i.size else np.zeros(0, bool)
    out[pt_i[first]] = ward_i[first]
    missing = np.flatnonzero(out < 0)
    if missing.size:
        near = tree.query_nearest(points[missing], return_distance=False, all_matches=False)
        out[missing[near[0]]] = near[1]
        log.info("%d cells stand outside every ward; each takes the nearest ward", missing.size)
    return out


def small_cells(sites: pd.DataFrame) -> np.ndarray:
    """Whether each cell is a small cell (UMi): low antenna or low EIRP (see the module docstring)."""
    n = len(sites)

    def column(name: str) -> np.ndarray:
        if name not in sites:
            return np.full(n, np.nan)
        return pd.to_numeric(sites[name], errors="coerce").to_numpy("float64", na_value=np.nan)

    height, eirp = column("height_m"), column("eirp_dbm")
    with np.errstate(invalid="ignore"):
        low = np.isfinite(height) & (height > 0) & (height <= SMALL_CELL_MAX_HEIGHT_M)
        weak = np.isfinite(eirp) & (eirp < SMALL_CELL_MAX_EIRP_DBM)
    return low | weak


def cell_scenarios(
    sites: gpd.GeoDataFrame, wards: gpd.GeoDataFrame, per_ward: pd.DataFrame
) -> pd.DataFrame:
    """Scenario of every cell: its ward's (:func:`ward_scenarios`), UMi for small cells.

    Parameters
    ----------
    sites : GeoDataFrame
        Canonical cell table (point geometry, ``height_m``, ``eirp_dbm``).
    wards : GeoDataFrame
        The wards ``per_ward`` was made from (same order).
    per_ward : DataFrame
        Output of :func:`ward_scenarios`.

    Returns
    -------
    DataFrame
        Indexed like ``sites``: ``ward_id`` (the ward the cell stands in),
        ``scenario``, ``small_cell`` (bool).
    """
    idx = site_ward_index(sites, wards)
    ward_scen = per_ward["scenario"].to_numpy(dtype=object)
    small = small_cells(sites)
    scen = ward_scen[idx] if len(idx) else np.zeros(0, dtype=object)
    scen = np.where(small, "umi", scen)
    return pd.DataFrame(
        {
            "ward_id": pd.array(per_ward["ward_id"].to_numpy(dtype=object)[idx], dtype="string"),
            "scenario": pd.array(scen, dtype="string"),
            "small_cell": small,
        },
        index=sites.index,
    )


__all__ = [
    "SCENARIOS",
    "SCENARIO_LABELS",
    "SMALL_CELL_MAX_EIRP_DBM",
    "SMALL_CELL_MAX_HEIGHT_M",
    "URBAN_DENSITY_PER_KM2",
    "Scenario",
    "cell_scenarios",
    "path_loss_model",
    "resolve_overrides",
    "site_ward_index",
    "small_cells",
    "ward_density_per_km2",
    "ward_scenarios",
]
