"""Where people live inside each ward: a population raster as weights, official totals kept.

Phủ Sóng counts people, and the official population is known per ward only.
Spreading it evenly over a big rural commune says that as many people live
in its rice fields and forested hills as in its villages. A population
raster (by default WorldPop 2020, 1 km; :data:`phusong.io.population.WORLDPOP_CREDIT`)
says where they live; used as a **weight** and rescaled within every ward to
the ward's official total (*dasymetric* mapping), it keeps every ward total
official (8,807,523 people in all) while where people live counts:

    people(region ⊂ ward W) = official(W) × mass(region) / mass(W),

with ``mass`` the raster's people in a region (pixels weighted by the
covered fraction of their area). A ward where the raster holds nobody falls
back to its official population spread evenly (area share); a ward without
an official population keeps the raster's own count.

Every route applies it:

* raster and tiled routes (path-loss models): the route counts the raster's
  people per ward and per server class on its grid, then
  :func:`rescale_table` / :func:`rescale_gaps` scale them to the official
  totals;
* vector route (disc/sector): each ward is cut along the raster's pixel
  edges (:func:`ward_pixel_pieces`); inside a piece the density is constant,
  so the exact footprint areas of the pieces
  (:func:`phusong.vector.aggregate.ward_coverage_vector` on the pieces)
  times their density give the people exactly; :func:`vector_coverage`
  adds the pieces back up per ward.

Which population an audit uses is decided once by :func:`choose_population`
and named in ``summary.json`` (``population_source``):
``"dasymetric:<raster file>"``, ``"uniform:official"`` or
``"raster:<raster file>"`` (counts as they are, wards without official
figures).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from phusong.coverage_table import coverage_pct
from phusong.errors import ConfigError
from phusong.geo import equal_area_crs
from phusong.schema import ANY_OPERATOR, REDUNDANCY_CLASSES, WGS84

log = logging.getLogger(__name__)

#: Values of the ``population`` option.
POPULATION_CHOICES = ("auto", "worldpop", "uniform")
#: File name of the shipped ward boundaries (WorldPop is their default).
SHIPPED_WARDS_FILE = "hanoi_wards_2025.geojson"

_PEOPLE_CLASSES = tuple(f"population_servers_{k}" for k in REDUNDANCY_CLASSES)
_AREA_CLASSES = tuple(f"area_km2_servers_{k}" for k in REDUNDANCY_CLASSES)


@dataclass(frozen=True)
class PopulationChoice:
    """How an audit counts people (decided by :func:`choose_population`).

    Attributes
    ----------
    mode : {"dasymetric", "uniform"}
        Raster weights rescaled to official totals, or official totals spread evenly.
    raster : path or None
        The weights (``dasymetric`` only).
    source : str
        The ``population_source`` code of the results.
    credit : str or None
        The credit line the raster's licence asks for (WorldPop), else None.
    """

    mode: str
    raster: Any = None
    source: str = "uniform:official"
    credit: str | None = None

    @property
    def dasymetric(self) -> bool:
        """Whether people are placed with raster weights."""
        return self.mode == "dasymetric"


def _name(raster: Any) -> str:
    if isinstance(raster, (str, os.PathLike)):
        return Path(raster).name
    return Path(str(getattr(raster, "name", "<raster>"))).name


def is_shipped_wards(wards: gpd.GeoDataFrame, record: dict[str, Any] | None = None) -> bool:
    """Whether ``wards`` are the shipped Hà Nội wards (by their source file name)."""
    names = {str(wards.attrs.get("source", "")), str((record or {}).get("name", ""))}
    return any(Path(n).name == SHIPPED_WARDS_FILE for n in names if n)


def choose_population(
    population: str,
    population_raster: Any,
    wards: gpd.GeoDataFrame,
    ward_record: dict[str, Any] | None = None,
) -> PopulationChoice:
    """Decide how the audit counts people.

    Parameters
    ----------
    population : {"auto", "worldpop", "uniform"}
        ``auto``: a given ``population_raster`` as weights, else WorldPop for
        the shipped Hà Nội wards, else uniform (the shipped raster covers Hà
        Nội only). ``worldpop``: the shipped WorldPop raster as weights.
        ``uniform``: official totals spread evenly.
    population_raster : path, optional
        Another people-per-pixel raster to use as the weights.
    wards : GeoDataFrame
        The wards of the audit.
    ward_record : dict, optional
        The wards' input record (``name``), to recognise the shipped wards.

    Raises
    ------
    ConfigError
        ``population`` is not one of :data:`POPULATION_CHOICES`, or it
        contradicts a given ``population_raster``.
    """
    from phusong.io.population import WORLDPOP_CREDIT, WORLDPOP_FILE, worldpop_path

    if population not in POPULATION_CHOICES:
        raise ConfigError(
            f"population: got {population!r}; expected one of {', '.join(POPULATION_CHOICES)}."
        )
    if population_raster is not None and population != "auto":
        raise ConfigError(
            f"population: {population!r} contradicts population_raster (the raster gives the "
            "weights); leave population at 'auto' or drop the raster."
        )
    if population == "uniform" or (
        population == "auto"
        and population_raster is None
        and not is_shipped_wards(wards, ward_record)
    ):
        return PopulationChoice("uniform")
    raster = population_raster if population_raster is not None else worldpop_path()
    name = _name(raster)
    credit = WORLDPOP_CREDIT if name == WORLDPOP_FILE else None
    return PopulationChoice("dasymetric", raster, f"dasymetric:{name}", credit)


# --------------------------------------------------------------------------- rescaling


def _official(wards: gpd.GeoDataFrame) -> pd.Series:
    """Official population per ward id (NaN when unknown)."""
    pop = pd.to_numeric(wards["population"], errors="coerce") if "population" in wards else np.nan
    return pd.Series(
        np.asarray(pop, dtype="float64"), index=wards["ward_id"].astype(str).to_numpy()
    )


def rescale_table(table: pd.DataFrame, wards: gpd.GeoDataFrame) -> pd.DataFrame:
    """Scale the people of a coverage table counted with raster weights to official totals.

    Parameters
    ----------
    table : DataFrame
        Long coverage table (:data:`phusong.schema.WARD_COVERAGE_COLUMNS`)
        whose people columns count the raster's people.
    wards : GeoDataFrame
        Wards with their official ``population``.

    Returns
    -------
    DataFrame
        The same table with ``population`` = the official total of each
        ward and every people column scaled by official / raster mass; in a
        ward with no raster mass, people = official × area share (uniform).
        Wards without an official figure are left as counted.
    """
    out = table.copy()
    official = out["ward_id"].astype(str).map(_official(wards)).to_numpy("float64")
    mass = out["population"].to_numpy("float64")
    known = np.isfinite(official)
    weighted = known & np.isfinite(mass) & (mass > 0)
    even = known & ~weighted
    factor = np.where(weighted, official / np.where(weighted, mass, 1.0), 1.0)
    area = out["area_km2"].to_numpy("float64")
    share = np.divide(1.0, area, out=np.zeros_like(area), where=area > 0)
    pairs = (
        ("covered_population", "covered_area_km2"),
        *zip(_PEOPLE_CLASSES, _AREA_CLASSES, strict=True),
    )
    for people_col, area_col in pairs:
        people = out[people_col].to_numpy("float64") * factor
        uniform = official * out[area_col].to_numpy("float64") * share
        out[people_col] = np.where(even, uniform, people)
    out["population"] = np.where(known, official, mass)
    out["population_coverage_pct"] = coverage_pct(
        out["covered_population"].to_numpy("float64"), out["population"].to_numpy("float64")
    )
    return out


def rescale_gaps(
    gaps: gpd.GeoDataFrame, table: pd.DataFrame, raw: pd.DataFrame
) -> gpd.GeoDataFrame:
    """Scale the people of gap polygons like :func:`rescale_table` scaled their ward.

    Parameters
    ----------
    gaps : GeoDataFrame
        ``ward_id``, ``area_km2``, ``population`` (raster people) per gap part.
    table : DataFrame
        The rescaled coverage table (its ``"any"`` rows give official totals).
    raw : DataFrame
        The table before rescaling (raster masses).
    """
    if not len(gaps):
        return gaps
    any_new, any_raw = (
        t[t["operator"] == ANY_OPERATOR].assign(ward_id=lambda f: f["ward_id"].astype(str))
        .set_index("ward_id")
        for t in (table, raw)
    )  # fmt: skip
    wid = gaps["ward_id"].astype(str)
    official = wid.map(any_new["population"]).to_numpy("float64")
    mass = wid.map(any_raw["population"]).to_numpy("float64")
    area = wid.map(any_new["area_km2"]).to_numpy("float64")
    people = gaps["population"].to_numpy("float64")
    weighted = np.isfinite(mass) & (mass > 0)
    scaled = np.where(weighted, people * official / np.where(weighted, mass, 1.0), np.nan)
    even = official * gaps["area_km2"].to_numpy("float64") / np.where(area > 0, area, np.nan)
    out = gaps.copy()
    out["population"] = np.where(weighted, scaled, even)
    return out


# --------------------------------------------------------------------------- vector route


def ward_pixel_pieces(wards: gpd.GeoDataFrame, raster: Any) -> gpd.GeoDataFrame:
    """Cut every ward along the raster's pixel edges; each piece carries its people.

    Parameters
    ----------
    wards : GeoDataFrame
        Canonical wards (``ward_id``, ``name``, ``population``), any CRS.
    raster : path or open dataset
        People per pixel (the weights).

    Returns
    -------
    GeoDataFrame
        EPSG:4326, one row per (ward, pixel) piece plus, per ward, the part
        outside the raster (if any): ``ward_id`` (``"<ward position>:<k>"``,
        unique), ``ward`` (position of the ward), ``name``, ``population``
        (the piece's people after rescaling to the ward's official total,
        see the module docstring), geometry.
    """
    from phusong.io.population import raster_pixels

    wards = wards.to_crs(WGS84)
    boxes, people, rcrs, _label = raster_pixels(raster, wards)
    ward_geoms = wards.geometry.to_crs(rcrs).to_numpy()
    tree = shapely.STRtree(boxes)
    w_i, p_i = tree.query(ward_geoms, predicate="intersects")
    pieces = shapely.intersection(ward_geoms[w_i], boxes[p_i])
    ext = shapely.box(*shapely.total_bounds(boxes)) if len(boxes) else None
    outside = shapely.difference(ward_geoms, ext) if ext is not None else np.asarray(ward_geoms)
    geoms = np.concatenate([pieces, outside])
    ward_of = np.concatenate([w_i, np.arange(len(ward_geoms))]).astype("int64")
    pixel = np.concatenate([p_i, np.full(len(ward_geoms), -1)]).astype("int64")
    keep = np.isin(shapely.get_type_id(geoms), (3, 6, 7)) & ~shapely.is_empty(geoms)
    geoms, ward_of, pixel = geoms[keep], ward_of[keep], pixel[keep]
    crs = equal_area_crs(wards)
    piece_area = gpd.GeoSeries(geoms, crs=rcrs).to_crs(crs).area.to_numpy()
    box_area = gpd.GeoSeries(boxes[np.maximum(pixel, 0)], crs=rcrs).to_crs(crs).area.to_numpy()
    mass = np.where(pixel >= 0, people[np.maximum(pixel, 0)] * piece_area / box_area, 0.0)
    ward_people = _piece_people(mass, piece_area, ward_of, wards)
    return gpd.GeoDataFrame(
        {
            "ward_id": [f"{w}:{k}" for k, w in enumerate(ward_of)],
            "ward": ward_of,
            "name": wards["name"].to_numpy()[ward_of] if "name" in wards else "",
            "population": ward_people,
        },
        geometry=gpd.GeoSeries(geoms, crs=rcrs).to_crs(WGS84).to_numpy(),
        crs=WGS84,
    )


def _piece_people(
    mass: np.ndarray, area: np.ndarray, ward_of: np.ndarray, wards: gpd.GeoDataFrame
) -> np.ndarray:
    """People of each piece: raster mass rescaled to the official total of its ward."""
    n = len(wards)
    official = _official(wards).to_numpy("float64")
    total_mass = np.bincount(ward_of, mass, minlength=n)
    total_area = np.bincount(ward_of, area, minlength=n)
    known = np.isfinite(official)[ward_of]
    weighted = known & (total_mass[ward_of] > 0)
    by_mass = official[ward_of] * mass / np.where(weighted, total_mass[ward_of], 1.0)
    by_area = official[ward_of] * area / np.where(total_area[ward_of] > 0, total_area[ward_of], 1.0)
    even = known & ~weighted
    if even.any():
        log.info(
            "%d wards have no people in the population raster: their official population "
            "is spread evenly",
            len(np.unique(ward_of[even])),
        )
    return np.where(weighted, by_mass, np.where(even, by_area, mass))


def vector_coverage(
    wards: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    choice: PopulationChoice,
    *,
    min_gap_area_m2: float,
    **footprint_options: Any,
) -> Any:
    """Exact footprint coverage (disc/sector) with the people of a population raster.

    Parameters
    ----------
    wards, sites : GeoDataFrame
        Canonical wards and cells.
    choice : PopulationChoice
        A dasymetric choice (:func:`choose_population`).
    min_gap_area_m2 : float
        Smallest gap part listed [m²].
    **footprint_options
        ``model``, ``radius_m``, … of
        :func:`phusong.vector.aggregate.ward_coverage_vector`.

    Returns
    -------
    VectorCoverage
        Per ward (pieces added up): the long table, the gap parts (pieces
        dissolved per ward, then split; their people summed) and
        ``population_source`` = ``choice.source``.
    """
    from dataclasses import replace

    from phusong.vector.aggregate import ward_coverage_vector

    pieces = ward_pixel_pieces(wards, choice.raster)
    crs = equal_area_crs(wards)
    cov = ward_coverage_vector(pieces, sites, crs=crs, min_gap_area_m2=0.0, **footprint_options)
    table = _pieces_to_wards(cov.table, pieces, wards)
    gaps = _dissolve_gaps(cov.gaps, pieces, wards, crs, min_gap_area_m2)
    return replace(cov, table=table, gaps=gaps, population_source=choice.source)


def _pieces_to_wards(
    table: pd.DataFrame, pieces: gpd.GeoDataFrame, wards: gpd.GeoDataFrame
) -> pd.DataFrame:
    """Add the pieces' rows up per (ward, operator); percentages recomputed."""
    ward_pos = pieces.set_index("ward_id")["ward"]
    ids = wards["ward_id"].astype("string").to_numpy(dtype=object)
    frame = table.copy()
    frame["_w"] = frame["ward_id"].astype(str).map(ward_pos).to_numpy("int64")
    sums = [c for c in table.columns if c not in ("ward_id", "operator") and not c.endswith("_pct")]
    groups = list(dict.fromkeys(frame["operator"].astype(str)))
    out = frame.groupby(["_w", "operator"], sort=False)[sums].sum().reset_index()
    full = pd.MultiIndex.from_product([range(len(wards)), groups], names=["_w", "operator"])
    out = out.set_index(["_w", "operator"]).reindex(full, fill_value=0.0).reset_index()
    out["ward_id"] = pd.array(ids[out["_w"].to_numpy("int64")], dtype="string")
    out["population"] = np.where(
        np.isfinite(_official(wards).to_numpy("float64"))[out["_w"].to_numpy("int64")],
        _official(wards).to_numpy("float64")[out["_w"].to_numpy("int64")],
        out["population"].to_numpy("float64"),
    )
    out["area_coverage_pct"] = coverage_pct(out["covered_area_km2"], out["area_km2"])
    out["population_coverage_pct"] = coverage_pct(out["covered_population"], out["population"])
    for col, dtype in table.dtypes.items():
        out[col] = out[col].astype(dtype)
    return out[list(table.columns)]


def _dissolve_gaps(
    gaps: gpd.GeoDataFrame,
    pieces: gpd.GeoDataFrame,
    wards: gpd.GeoDataFrame,
    crs: Any,
    min_gap_area_m2: float,
) -> gpd.GeoDataFrame:
    """Union the pieces' gap parts per ward, split into parts, sum their people."""
    cols: dict[str, list[Any]] = {"ward_id": [], "name": [], "area_km2": [], "population": []}
    if not len(gaps):
        return gpd.GeoDataFrame(cols, geometry=[], crs=WGS84)
    ward_pos = pieces.set_index("ward_id")["ward"]
    g = gaps.to_crs(crs)
    w = g["ward_id"].astype(str).map(ward_pos).to_numpy("int64")
    frag = g.geometry.to_numpy()
    people = g["population"].to_numpy("float64")
    keys = np.unique(w)
    unions = np.array([shapely.union_all(frag[w == k]) for k in keys], dtype=object)
    parts, idx = shapely.get_parts(unions, return_index=True)
    part_ward = keys[idx]
    area = shapely.area(parts)
    keep = np.isin(shapely.get_type_id(parts), (3, 6)) & (area >= min_gap_area_m2) & (area > 0)
    parts, part_ward, area = parts[keep], part_ward[keep], area[keep]
    part_people = np.zeros(len(parts))
    if len(parts):
        rep = shapely.point_on_surface(frag)
        hit_frag, hit_part = shapely.STRtree(parts).query(rep, predicate="within")
        same = part_ward[hit_part] == w[hit_frag]
        np.add.at(part_people, hit_part[same], people[hit_frag[same]])
    ids = wards["ward_id"].astype("string").to_numpy(dtype=object)
    names = wards["name"].astype("string").to_numpy(dtype=object) if "name" in wards else ids
    return gpd.GeoDataFrame(
        {
            "ward_id": pd.array(ids[part_ward], dtype="string"),
            "name": pd.array(names[part_ward], dtype="string"),
            "area_km2": area / 1e6,
            "population": part_people,
        },
        geometry=gpd.GeoSeries(parts, crs=crs).to_crs(WGS84).to_numpy(),
        crs=WGS84,
    )


__all__ = [
    "POPULATION_CHOICES",
    "PopulationChoice",
    "choose_population",
    "is_shipped_wards",
    "rescale_gaps",
    "rescale_table",
    "vector_coverage",
    "ward_pixel_pieces",
]
