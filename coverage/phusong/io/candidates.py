"""Read candidate positions of new sites from a file.

A candidate file is either a site file in any format
:func:`phusong.io.sites.read_sites` reads (every radio kept), or a vector
file of points or polygons (rooftops, plots). Both go through
:mod:`phusong.io.files`: the size limit, and zip archives read member by
member with the zip-bomb and path-traversal guards.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import geopandas as gpd

from phusong.errors import DataError
from phusong.io.files import (
    MAX_UPLOAD_BYTES,
    RawInput,
    Source,
    extracted_member,
    first_vector_member,
    load_input,
    materialise,
    safe_zip_members,
)

log = logging.getLogger(__name__)

#: Vector files looked for inside a zip archive of candidates, in this order.


def read_candidates(
    source: Source, *, study_area: Any = None, max_bytes: int = MAX_UPLOAD_BYTES
) -> gpd.GeoDataFrame:
    """Read candidate positions: a site file, or a vector file of points or polygons.

    Parameters
    ----------
    source : path, file object or bytes
        A site file (operator sheet CSV/XLSX with ``lat``/``lon``, OpenCelliD
        CSV, GeoJSON/GeoPackage/zipped Shapefile of points; every radio is
        kept), or a path to a vector file of polygons (a point on each
        surface is used later, by :func:`phusong.planning.candidates_from`).
    study_area : GeoDataFrame, optional
        Where the candidates should be: site rows far outside it are rejected
        (and logged).
    max_bytes : int
        Largest accepted file [bytes].

    Returns
    -------
    GeoDataFrame
        The canonical site table, or the vector file's features as read.

    Raises
    ------
    DataError
        The file is too large, or cannot be read as candidate positions.
    """
    from phusong.io.sites import read_sites

    try:
        table, report = read_sites(source, radio=None, study_area=study_area, max_bytes=max_bytes)
    except DataError:
        if not isinstance(source, (str, os.PathLike)) or not Path(source).is_file():
            raise
        return read_candidate_shapes(source, max_bytes=max_bytes)
    if getattr(report, "rows_rejected", 0):
        log.warning(
            "candidates: %d of %d rows rejected (run 'phusong validate' on the file for details)",
            report.rows_rejected,
            report.rows_read,
        )
    return table


def read_candidate_shapes(source: Source, *, max_bytes: int = MAX_UPLOAD_BYTES) -> gpd.GeoDataFrame:
    """Read a vector file of candidate points or polygons (any format GDAL reads).

    Parameters
    ----------
    source : path, file object or bytes
        GeoJSON, GeoPackage, Shapefile (with its side files, or zipped),
        GeoParquet, FlatGeobuf…, with a CRS.
    max_bytes : int
        Largest accepted file [bytes].

    Returns
    -------
    GeoDataFrame
        The features in the file's CRS.

    Raises
    ------
    DataError
        Too large, unreadable, empty, or without a CRS.
    """
    raw = load_input(source, max_bytes=max_bytes)
    try:
        frame = _read_shapes(raw)
    except DataError:
        raise
    except Exception as exc:  # any GDAL failure is reported as unreadable candidates
        raise DataError(
            f"candidates: {raw.name} is neither a site table nor a vector "
            f"file of points or polygons ({exc}).",
            file=_shown(source, raw),
        ) from exc
    if frame.crs is None or not len(frame):
        raise DataError(
            "candidates: the vector file is empty or has no CRS.", file=_shown(source, raw)
        )
    return frame


def _shown(source: Source, raw: RawInput) -> str:
    """Name the file as messages do: the path given, else the upload's name."""
    return str(source) if isinstance(source, (str, os.PathLike)) else raw.name


def _read_shapes(raw: RawInput) -> gpd.GeoDataFrame:
    """Read the features of a vector file, or of the first vector file in a zip."""
    if raw.suffix not in (".zip", ".shp.zip"):
        with materialise(raw) as path:
            return _read_path(path)
    members = safe_zip_members(raw)
    first = first_vector_member(members)
    if first is None:
        raise DataError(
            "candidates: the zip holds no .shp, .geojson, .gpkg, .parquet or .fgb file; zip "
            "the shapefile's .shp, .shx, .dbf and .prj together.",
            file=raw.name,
        )
    with extracted_member(members, first) as path:
        return _read_path(path)


def _read_path(path: Path) -> gpd.GeoDataFrame:
    """Read one vector file on disk (GeoParquet, or any format GDAL reads)."""
    if path.suffix.lower() in (".parquet", ".geoparquet"):
        return gpd.read_parquet(path)
    return gpd.read_file(path)


__all__ = ["read_candidate_shapes", "read_candidates"]
