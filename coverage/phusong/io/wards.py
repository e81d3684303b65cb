"""Read ward (phường / xã) boundaries into the canonical ward table.

The canonical columns are documented in :data:`phusong.schema.WARD_COLUMNS`.
"""

from __future__ import annotations

import logging
import re
import unicodedata
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from phusong.errors import DataError, Problem
from phusong.geo import area_km2, equal_area_crs
from phusong.io.crs import crs_name, looks_projected, projected_guess, user_crs
from phusong.io.files import (
    MAX_UPLOAD_BYTES,
    RawInput,
    Source,
    extracted_member,
    first_vector_member,
    load_input,
    materialise,
    safe_zip_members,
    sha256_file,
)
from phusong.io.shipped import data_path
from phusong.recent import Recent
from phusong.schema import WGS84

log = logging.getLogger(__name__)

#: Vector files a ward zip may hold, in order of preference (a Shapefile first).
WARD_ZIP_SUFFIXES = (".shp", ".geojson", ".json", ".gpkg", ".parquet")

#: File name of the shipped Hà Nội wards inside ``phusong._data.boundaries``.
HANOI_WARDS_FILE = "hanoi_wards_2025.geojson"

# Candidate column names, most specific first (compared after normalisation:
# lower case, accents removed, spaces/dashes as underscores).
ID_CANDIDATES = (
    "ward_id",
    "osm_id",
    "ma_xa",
    "ma_phuong",
    "ma",
    "id_3",
    "gid_3",
    "code",
    "id",
    "fid",
)
NAME_CANDIDATES = (
    "name",
    "ten_xa",
    "ten_phuong",
    "ten",
    "name_3",
    "ward",
    "ward_name",
    "commune",
    "name_vi",
)
POPULATION_CANDIDATES = ("population", "dan_so", "danso", "pop", "pop_total", "population_2025")
KIND_CANDIDATES = ("kind", "loai", "type", "type_3", "engtype_3")


def shipped_wards_path() -> Path:
    """Path of the shipped Hà Nội ward boundaries (repo checkout or installed)."""
    return data_path("boundaries", HANOI_WARDS_FILE)


def shipped_input_record() -> dict[str, str]:
    """Name and SHA-256 of the shipped Hà Nội ward file (``summary.json``'s ``inputs``)."""
    path = shipped_wards_path()
    return {"name": path.name, "sha256": sha256_file(path)}


def _norm(col: str) -> str:
    text = unicodedata.normalize("NFKD", str(col)).encode("ascii", "ignore").decode()
    return re.sub(r"[\s\-:.]+", "_", text.strip().lower())


def _find(columns: list[str], candidates: tuple[str, ...]) -> str | None:
    normalised = {_norm(c): c for c in columns}
    for cand in candidates:
        if cand in normalised:
            return normalised[cand]
    return None


def _read_vector(raw: RawInput, what: str = "ward boundaries") -> gpd.GeoDataFrame:
    suffix = raw.suffix
    try:
        if suffix in (".zip", ".shp.zip"):
            members = safe_zip_members(raw)
            first = first_vector_member(members, WARD_ZIP_SUFFIXES)
            if first is None:
                raise DataError(
                    "the zip holds no .shp, .geojson, .gpkg or .parquet file; zip the shapefile's "
                    ".shp, .shx, .dbf and .prj together.",
                    file=raw.name,
                )
            with extracted_member(members, first) as path:
                return _read_path(path, raw.name)
        if suffix in (".parquet", ".geoparquet"):
            with materialise(raw, ".parquet") as path:
                return gpd.read_parquet(path)
        with materialise(raw) as path:
            return _read_path(path, raw.name)
    except DataError:
        raise
    except Exception as exc:
        raise DataError(
            f"could not read {what} ({type(exc).__name__}: {exc}). "
            "Give a GeoJSON, GeoPackage, zipped Shapefile or GeoParquet file.",
            file=raw.name,
        ) from exc


def read_zones(source: Source, *, max_bytes: int = MAX_UPLOAD_BYTES) -> gpd.GeoSeries:
    """Read polygons (e.g. zones where no new site may go) from any vector file.

    Parameters
    ----------
    source : path or file object
        GeoJSON, GeoPackage, zipped Shapefile or GeoParquet with a CRS.
    max_bytes : int
        Largest file accepted [bytes].

    Returns
    -------
    GeoSeries
        The polygons, repaired with ``make_valid`` where invalid, in the file's CRS.

    Raises
    ------
    DataError
        Unreadable file, no CRS, or rows without a polygon (each row listed).
    """
    raw = load_input(source, max_bytes=max_bytes)
    frame = _read_vector(raw, "zones")
    if frame.crs is None:
        raise DataError(
            "the zones file has no coordinate reference system; save it with one (e.g. EPSG:4326).",
            file=raw.name,
        )
    geoms = frame.geometry.to_numpy()
    polygonal = np.isin(shapely.get_type_id(geoms), (3, 6)) & ~shapely.is_empty(geoms)
    bad = np.flatnonzero(~polygonal)
    if bad.size:
        raise DataError(
            [
                Problem(
                    raw.name,
                    int(i) + 1,
                    "geometry",
                    f"feature {int(i) + 1} is not a polygon "
                    f"({'empty' if geoms[i] is None or shapely.is_empty(geoms[i]) else geoms[i].geom_type}); "
                    "zones must be areas: remove it or draw it as a polygon.",
                )
                for i in bad
            ],
            file=raw.name,
        )
    return gpd.GeoSeries(repair_polygons(geoms), crs=frame.crs)


def _read_path(path: Path, shown: str) -> gpd.GeoDataFrame:
    if path.suffix.lower() in (".parquet", ".geoparquet"):
        return gpd.read_parquet(path)
    return pyogrio.read_dataframe(path)


def read_wards(
    path: Source | None = None,
    *,
    id_field: str | None = None,
    name_field: str | None = None,
    population_field: str | None = None,
    kind_field: str | None = None,
    max_bytes: int = MAX_UPLOAD_BYTES,
    crs: object = None,
) -> gpd.GeoDataFrame:
    """Read ward boundaries into the canonical ward table.

    Parameters
    ----------
    path : path, bytes or file-like, optional
        Any vector file pyogrio reads (GeoJSON, GeoPackage, Shapefile, a zipped
        Shapefile) or GeoParquet, in any CRS. ``None`` reads the shipped Hà Nội
        wards (126 units after the 1 July 2025 reform, © OpenStreetMap
        contributors, ODbL, with the official 2025 populations).
    id_field, name_field, population_field, kind_field : str, optional
        Columns to use; by default detected from common names (``ward_id``,
        ``osm_id``, ``ma_xa``, ``GID_3``; ``name``, ``ten``, ``ten_xa``,
        ``NAME_3``; ``population``, ``dan_so``; ``loai``).
    max_bytes : int
        Largest accepted file [bytes].
    crs : CRS-like, optional
        System of a file in projected metres that does not say so: no CRS,
        or a GeoJSON (which means degrees) holding metres, e.g.
        ``"EPSG:5897"`` (VN-2000 / TM-3 105°E). Without it such a file is
        refused with the systems that would put it in Vietnam.

    Returns
    -------
    GeoDataFrame
        Columns ``ward_id`` (str), ``name``, ``kind``, ``population`` (float,
        NaN when unknown) and ``geometry`` in EPSG:4326, plus any other input
        columns. ``attrs["topology"]`` holds the overlap and gap areas [km²]
        and ``attrs["source"]`` the file name.

    Raises
    ------
    DataError
        Missing CRS, no polygons, unknown field names, bad populations,
        duplicate ids — every problem at once, each with how to fix it.
    """
    crs = user_crs(crs)
    if path is None:
        raw = load_input(shipped_wards_path())
    else:
        raw = load_input(path, max_bytes=max_bytes)
    gdf = _read_vector(raw)
    return normalise_wards(
        gdf,
        source=raw.name,
        id_field=id_field,
        name_field=name_field,
        population_field=population_field,
        kind_field=kind_field,
        crs=crs,
    )


def _choose_columns(
    gdf: gpd.GeoDataFrame, source: str, given: dict[str, str | None]
) -> dict[str, str | None]:
    """Column of each canonical field (id, name, population, kind): given or found."""
    problems: list[Problem] = []
    cols = [c for c in gdf.columns if c != gdf.geometry.name]
    chosen: dict[str, str | None] = {}
    candidates = {
        "id": ID_CANDIDATES,
        "name": NAME_CANDIDATES,
        "population": POPULATION_CANDIDATES,
        "kind": KIND_CANDIDATES,
    }
    for key, cands in candidates.items():
        field = given.get(key)
        if field is not None:
            if field not in gdf.columns:
                problems.append(
                    Problem(
                        source,
                        None,
                        field,
                        f"no column '{field}' (columns: {', '.join(map(str, cols))}).",
                    )
                )
            chosen[key] = field
        else:
            chosen[key] = _find(cols, cands)
    if chosen["name"] is None and given.get("name") is None:
        problems.append(
            Problem(
                source,
                None,
                None,
                "no ward name column found (looked for name, ten, ten_xa, NAME_3, …); "
                "rename the column that holds the ward names to 'name'.",
            )
        )
    if problems:
        raise DataError(problems)
    return chosen


def _check_geometry(
    out: gpd.GeoDataFrame, source: str, name_col: str | None, problems: list[Problem]
) -> None:
    """Repair invalid geometries in place; list non-polygonal and empty ones."""
    geom = out.geometry
    gtypes = geom.geom_type.fillna("None")
    for i in np.flatnonzero(
        ~gtypes.isin(["Polygon", "MultiPolygon", "GeometryCollection"]).to_numpy()
    ):
        problems.append(
            Problem(
                source,
                int(i) + 2,
                "geometry",
                f"geometry is {gtypes.iloc[i]}, not a polygon; wards must be areas.",
            )
        )
    invalid = ~shapely.is_valid(geom.to_numpy())
    invalid &= ~geom.isna().to_numpy()
    if invalid.any():
        names = [str(v) for v in out[name_col].to_numpy()[invalid][:5]] if name_col else []
        warnings.warn(
            f"{source}: repaired {int(invalid.sum())} invalid ward geometries "
            f"({', '.join(names)}{'…' if invalid.sum() > 5 else ''}) with shapely.make_valid "
            "(overlapping parts of a multipolygon are merged, not cut out).",
            stacklevel=3,
        )
        out.loc[invalid, out.geometry.name] = repair_polygons(geom.to_numpy()[invalid])
    geom = out.geometry
    empty = geom.isna().to_numpy() | shapely.is_empty(geom.to_numpy())
    for i in np.flatnonzero(empty):
        problems.append(
            Problem(
                source,
                int(i) + 2,
                "geometry",
                "empty geometry; remove the row or draw its boundary.",
            )
        )


def _ward_ids(
    out: gpd.GeoDataFrame, source: str, id_col: str | None, problems: list[Problem]
) -> pd.Series:
    """Ward ids as text (numbered 1… without an id column); missing and duplicates listed."""
    if id_col is not None:
        ids = out[id_col]
        if ids.isna().any():
            for i in np.flatnonzero(ids.isna().to_numpy()):
                problems.append(Problem(source, int(i) + 2, id_col, "missing ward id."))
        ward_id = ids.map(_id_text)
    else:
        ward_id = pd.Series([str(i + 1) for i in range(len(out))], index=out.index)
        log.info("%s: no id column found; numbering wards 1..%d", source, len(out))
    dup = ward_id.duplicated(keep=False) & ward_id.notna()
    for i in np.flatnonzero(dup.to_numpy()):
        problems.append(
            Problem(
                source,
                int(i) + 2,
                id_col or "ward_id",
                f"duplicate ward id '{ward_id.iloc[i]}'; ids must be unique.",
            )
        )
    return ward_id


def _population(
    out: gpd.GeoDataFrame, source: str, pop_col: str | None, problems: list[Problem]
) -> pd.Series:
    """Return the population as numbers (thousands separators allowed); list bad values."""
    if pop_col is None:
        log.warning("%s: no population column; population coverage will be unavailable", source)
        return pd.Series(np.nan, index=out.index, dtype="float64")
    raw_pop = out[pop_col]
    pop = pd.to_numeric(
        raw_pop.astype("string").str.replace(r"[\s,_.](?=\d{3}(\D|$))", "", regex=True),
        errors="coerce",
    ).astype("float64")
    bad = pop.isna() & raw_pop.notna() & (raw_pop.astype("string").str.strip() != "")
    for i in np.flatnonzero(bad.to_numpy()):
        problems.append(
            Problem(source, int(i) + 2, pop_col, f"population '{raw_pop.iloc[i]}' is not a number.")
        )
    for i in np.flatnonzero((pop < 0).to_numpy()):
        problems.append(Problem(source, int(i) + 2, pop_col, "population is negative."))
    if pop.isna().any() and not bad.any():
        log.warning("%s: %d wards have no population", source, int(pop.isna().sum()))
    return pop


def _canonical(
    out: gpd.GeoDataFrame,
    source: str,
    chosen: dict[str, str | None],
    ward_id: pd.Series,
    pop: pd.Series,
) -> gpd.GeoDataFrame:
    """Return the canonical ward table (EPSG:4326) with its topology report in ``attrs``."""
    name_col = chosen["name"]
    assert name_col is not None  # _choose_columns refuses a table without names
    kind = (
        out[chosen["kind"]].astype("string").str.strip().str.lower().fillna("")
        if chosen["kind"] is not None
        else out[name_col].astype("string").map(_kind_from_name)
    )
    canonical = gpd.GeoDataFrame(
        {
            "ward_id": ward_id.astype("string").to_numpy(),
            "name": out[name_col].astype("string").str.strip().to_numpy(),
            "kind": kind.astype("string").to_numpy(),
            "population": pop.to_numpy(),
        },
        geometry=out.geometry.to_numpy(),
        crs=out.crs,
    ).to_crs(WGS84)
    used = {v for v in chosen.values() if v}
    for c in out.columns:
        if c != out.geometry.name and c not in used and c not in canonical.columns:
            canonical[c] = out[c].to_numpy()
    canonical.attrs["source"] = source
    x0, y0, x1, y1 = canonical.total_bounds
    if not (
        np.isfinite([x0, y0, x1, y1]).all() and -180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90
    ):
        raise DataError(
            "the ward boundaries lie outside the Earth's longitudes and latitudes once read in "
            "their coordinate reference system; the file's CRS is probably wrong: save it with "
            "the right one, or name it with the crs option.",
            file=source,
        )
    canonical.attrs["topology"] = ward_topology(canonical)
    topo = canonical.attrs["topology"]
    if topo["overlap_km2"] > 0.01 * topo["area_km2"] or topo["gap_km2"] > 0.01 * topo["area_km2"]:
        warnings.warn(
            f"{source}: wards overlap by {topo['overlap_km2']:.2f} km² and leave {topo['gap_km2']:.2f} km² "
            f"of interior gaps (of {topo['area_km2']:.1f} km²); coverage sums may be off by that much.",
            stacklevel=3,
        )
    return canonical


def ward_crs(gdf: gpd.GeoDataFrame, source: str, crs: object = None) -> gpd.GeoDataFrame:
    """Give a ward table the CRS its coordinates are in.

    Parameters
    ----------
    gdf : GeoDataFrame
        As read.
    source : str
        File name for messages.
    crs : CRS-like, optional
        System of coordinates in projected metres that the file does not
        declare (no CRS, or degrees declared over metres).

    Raises
    ------
    DataError
        No CRS and none given; or metres where degrees are declared, without
        ``crs`` (the message names the systems that would fit).
    """
    crs = user_crs(crs)
    xy = shapely.get_coordinates(np.asarray(gdf.geometry.to_numpy(), dtype=object))
    metres = len(xy) > 0 and looks_projected(xy[:, 0], xy[:, 1])
    if gdf.crs is not None and not (gdf.crs.is_geographic and metres):
        return gdf
    if crs is not None and not (crs.is_geographic and metres):
        log.info("%s: coordinates read in %s (crs)", source, crs_name(crs))
        return gdf.set_crs(crs, allow_override=True)
    if metres:
        said = "has no coordinate reference system" if gdf.crs is None else "says degrees"
        raise DataError(
            f"the ward file {said} but its coordinates are metres: "
            + projected_guess(xy[:, 0], xy[:, 1]).hint(),
            file=source,
            option="crs",
        )
    raise DataError(
        "the ward file has no coordinate reference system. Add one (e.g. save it with "
        "EPSG:4326, or include the Shapefile's .prj), or give it ([[crs]]), and try again.",
        file=source,
        option="crs",
    )


def normalise_wards(
    gdf: gpd.GeoDataFrame,
    *,
    source: str = "<table>",
    id_field: str | None = None,
    name_field: str | None = None,
    population_field: str | None = None,
    kind_field: str | None = None,
    crs: object = None,
) -> gpd.GeoDataFrame:
    """Validate a ward GeoDataFrame and give it the canonical columns.

    See :func:`read_wards` for the parameters and the result.
    """
    gdf = ward_crs(gdf, source, crs)
    if len(gdf) == 0:
        raise DataError("the ward file has no features.", file=source)
    given = {"id": id_field, "name": name_field, "population": population_field, "kind": kind_field}
    chosen = _choose_columns(gdf, source, given)
    out = gdf.copy()
    problems: list[Problem] = []
    _check_geometry(out, source, chosen["name"], problems)
    ward_id = _ward_ids(out, source, chosen["id"], problems)
    pop = _population(out, source, chosen["population"], problems)
    if problems:
        raise DataError(problems)
    return _canonical(out, source, chosen, ward_id, pop)


def _id_text(v: object) -> str | None:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    return str(v).strip()


def _kind_from_name(name: object) -> str:
    text = str(name).strip().lower()
    for prefix in ("phường", "xã", "thị trấn", "đặc khu"):
        if text.startswith(prefix):
            return prefix
    return ""


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """Keep only the polygonal parts of a repaired geometry."""
    if geom is None:
        return shapely.Polygon()
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def repair_polygons(geoms: np.ndarray) -> np.ndarray:
    """Repair invalid (multi)polygons, keeping the area they enclose.

    ``shapely.make_valid``'s default method turns the overlap of two parts of
    a MultiPolygon into a hole (it keeps the linework); the *structure*
    method merges the parts, as a ward drawn in overlapping pieces means.
    Valid geometries are returned as they are; only polygonal parts are kept.

    Parameters
    ----------
    geoms : ndarray of shapely geometries
        Polygons, multipolygons or collections (``None`` allowed).

    Returns
    -------
    ndarray
        Valid polygonal geometries (an empty polygon where nothing is left).
    """
    geoms = np.asarray(geoms, dtype=object)
    out = geoms.copy()
    bad = ~shapely.is_valid(geoms) & ~shapely.is_missing(geoms)
    if bad.any():
        fixed = shapely.make_valid(geoms[bad], method="structure", keep_collapsed=False)
        out[bad] = np.array([_polygonal(g) for g in fixed], dtype=object)
    return out


def ward_topology(wards: gpd.GeoDataFrame) -> dict[str, float]:
    """Measure overlaps and interior gaps between wards.

    Returns
    -------
    dict
        ``area_km2`` (sum of ward areas), ``union_km2`` (area of their union),
        ``overlap_km2`` (sum − union: area counted twice) and ``gap_km2``
        (holes inside the union that belong to no ward), all [km²] in an
        equal-area projection.
    """
    import hashlib

    digest = hashlib.sha1(str(wards.crs).encode(), usedforsecurity=False)
    for wkb in shapely.to_wkb(wards.geometry.to_numpy()):
        digest.update(b"-" if wkb is None else wkb)
    key = digest.hexdigest()
    known = _TOPOLOGY.get(key)
    if known is None:  # the same wards read again (a plan's re-audits): measured once
        known = _topology(wards)
        _TOPOLOGY.put(key, known)
    return dict(known)


#: Topology of the wards measured lately, by their geometries' fingerprint.
_TOPOLOGY: Recent[dict[str, float]] = Recent(size=8)


def forget_topology() -> None:
    """Forget the ward topology measured lately."""
    _TOPOLOGY.clear()


def _topology(wards: gpd.GeoDataFrame) -> dict[str, float]:
    """:func:`ward_topology`, measured."""
    crs = equal_area_crs(wards)
    # valid in degrees need not be valid once projected (a ring that nearly folds on itself)
    projected = repair_polygons(wards.geometry.to_crs(crs).to_numpy())
    total = float(np.nansum(shapely.area(projected))) / 1e6
    union = shapely.union_all(shapely.set_precision(projected, 0.01))
    union_area = float(union.area) / 1e6
    holes = 0.0
    for poly in getattr(union, "geoms", [union]):
        for ring in getattr(poly, "interiors", []):
            holes += shapely.Polygon(ring).area
    return {
        "area_km2": total,
        "union_km2": union_area,
        "overlap_km2": max(total - union_area, 0.0),
        "gap_km2": holes / 1e6,
    }


__all__ = [
    "area_km2",
    "forget_topology",
    "normalise_wards",
    "read_wards",
    "repair_polygons",
    "shipped_wards_path",
    "ward_crs",
    "ward_topology",
]
