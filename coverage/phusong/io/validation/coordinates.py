"""Site positions: present, in degrees (or converted), not swapped, near the study area.

Coordinate columns that hold projected metres are converted from the ``crs``
given, or rejected with the systems that would put them in the study area.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from phusong.io.crs import crs_name, looks_projected, projected_guess, to_lonlat, user_crs
from phusong.io.validation.rows import RowState
from phusong.io.validation.study_area import Bounds, distance_outside_km, inside

#: Margin around the study area within which a guessed projection must put points [degrees].
_GUESS_MARGIN_DEG = 0.15


@dataclass
class Positions:
    """Longitude and latitude of every row, and where they came from.

    Attributes
    ----------
    lon, lat : numpy.ndarray
        WGS84 position [degrees] (NaN where missing).
    lon_col, lat_col : str
        Input columns named in messages (``"geometry"`` for a vector file).
    raw_lon, raw_lat : Series
        Values as given, shown in messages.
    """

    lon: np.ndarray
    lat: np.ndarray
    lon_col: str
    lat_col: str
    raw_lon: pd.Series
    raw_lat: pd.Series

    @property
    def pair_column(self) -> str:
        """Both columns, as named in messages about the pair."""
        return f"{self.lat_col}/{self.lon_col}"


def check_coordinates(
    state: RowState,
    coords: tuple[np.ndarray, np.ndarray] | None,
    bounds: Bounds,
    max_distance_km: float,
    crs: Any = None,
) -> Positions:
    """Read and check the position of every row.

    Parameters
    ----------
    state : RowState
        Rows being checked.
    coords : (lon, lat) arrays or None
        Positions from a vector file's geometry [degrees]; ``None``: read the
        table's coordinate columns.
    bounds : tuple of float
        Study area bounds [degrees].
    max_distance_km : float
        Rows farther outside the bounds are rejected [km].
    crs : CRS-like, optional
        System of the coordinate columns when they are not longitude and
        latitude in degrees (e.g. ``"EPSG:3405"``, VN-2000 / UTM zone 48N):
        eastings in the longitude column, northings in the latitude column.
        Without it, columns that hold metres are rejected with the systems
        that would put them in the study area.
    """
    if coords is not None:
        pos = _geometry_positions(state, coords)
    else:
        pos = _column_positions(state)
        _projected_columns(state, pos, bounds, user_crs(crs))
    _put_back_swapped(state, pos, bounds)
    _check_degrees(state, pos)
    _check_distance(state, pos, bounds, max_distance_km)
    return pos


def _geometry_positions(state: RowState, coords: tuple[np.ndarray, np.ndarray]) -> Positions:
    """Positions from point geometries; reject empty and non-point ones."""
    lon = np.asarray(coords[0], dtype="float64").copy()
    lat = np.asarray(coords[1], dtype="float64").copy()
    bad_geom = ~(np.isfinite(lon) & np.isfinite(lat))
    state.reject(
        bad_geom & state.ok, "geometry", "empty or non-point geometry; sites must be points."
    )
    return Positions(lon, lat, "geometry", "geometry", pd.Series(lon), pd.Series(lat))


def _column_positions(state: RowState) -> Positions:
    """Positions from the latitude and longitude columns; reject missing ones."""
    lat = state.numbers("lat")
    lon = state.numbers("lon")
    pos = Positions(
        lon,
        lat,
        state.col_name("lon"),
        state.col_name("lat"),
        state.raw("lon"),
        state.raw("lat"),
    )
    miss_lat = state.ok & np.isnan(lat)
    miss_lon = state.ok & np.isnan(lon)
    state.reject(miss_lat, pos.lat_col, "missing latitude; every site needs a position.")
    state.reject(miss_lon, pos.lon_col, "missing longitude; every site needs a position.")
    return pos


def _projected_columns(state: RowState, pos: Positions, bounds: Bounds, crs: Any) -> None:
    """Convert coordinate columns from ``crs``; without one, reject metres with a hint."""
    ok = state.ok & np.isfinite(pos.lon) & np.isfinite(pos.lat)
    metres = looks_projected(pos.lon[ok], pos.lat[ok])
    if crs is None:
        if metres:
            far = ok & ((np.abs(pos.lon) > 180) | (np.abs(pos.lat) > 90))
            wide = (
                bounds[0] - _GUESS_MARGIN_DEG,
                bounds[1] - _GUESS_MARGIN_DEG,
                bounds[2] + _GUESS_MARGIN_DEG,
                bounds[3] + _GUESS_MARGIN_DEG,
            )
            hint = projected_guess(pos.lon[far], pos.lat[far], wide).hint()
            pair = np.array(
                [f"{a:g}, {b:g}" for a, b in zip(pos.lat[far], pos.lon[far], strict=True)],
                dtype=object,
            )
            state.reject(np.flatnonzero(far), pos.pair_column, hint, pair)
        return
    if crs.is_projected and not metres:
        state.notes.add(
            None,
            pos.pair_column,
            f"the coordinates are already degrees; {crs_name(crs)} ([[crs]]) was not applied.",
        )
        return
    _convert_columns(state, pos, bounds, crs)


def _convert_columns(state: RowState, pos: Positions, bounds: Bounds, crs: Any) -> None:
    """Longitude/latitude of the rows from eastings/northings in ``crs`` (or swapped)."""
    lon, lat = to_lonlat(pos.lon, pos.lat, crs)
    lon_s, lat_s = to_lonlat(pos.lat, pos.lon, crs)
    swapped = inside(lon_s, lat_s, bounds).sum() > inside(lon, lat, bounds).sum()
    if swapped:
        lon, lat = lon_s, lat_s
    pos.lon[:], pos.lat[:] = lon, lat
    state.notes.add(
        None,
        pos.pair_column,
        f"positions converted from {crs_name(crs)} to longitude/latitude (WGS84)"
        + (
            f", easting read from '{pos.lat_col}' and northing from '{pos.lon_col}'."
            if swapped
            else "."
        ),
    )
    state.reject(
        state.ok & ~(np.isfinite(pos.lon) & np.isfinite(pos.lat)),
        pos.pair_column,
        f"the position cannot be converted from {crs_name(crs)}; check the coordinates.",
    )


def _put_back_swapped(state: RowState, pos: Positions, bounds: Bounds) -> None:
    """Swap latitude and longitude back where only the swapped point is in the area."""
    lon, lat = pos.lon, pos.lat
    swapped = state.ok & ~inside(lon, lat, bounds) & inside(lat, lon, bounds)
    if not swapped.any():
        return
    lon[swapped], lat[swapped] = lat[swapped].copy(), lon[swapped].copy()
    at = np.flatnonzero(swapped)
    given = np.array(
        [f"{a}, {b}" for a, b in zip(pos.raw_lat.iloc[at], pos.raw_lon.iloc[at], strict=True)],
        dtype=object,
    )
    state.notes.add(
        swapped,
        pos.pair_column,
        "latitude and longitude were swapped; put back (the swapped point lies in the "
        "study area). Check the column order.",
        given,
    )


def _check_degrees(state: RowState, pos: Positions) -> None:
    """Reject latitudes outside ±90° and longitudes outside ±180°."""
    bad_lat = state.ok & (np.abs(pos.lat) > 90)
    bad_lon = state.ok & ~bad_lat & (np.abs(pos.lon) > 180)
    state.reject(
        bad_lat,
        pos.lat_col,
        "latitude outside −90…90°; check the column order and that it is in decimal degrees.",
        pos.raw_lat,
    )
    state.reject(
        bad_lon,
        pos.lon_col,
        "longitude outside −180…180°; check that it is in decimal degrees.",
        pos.raw_lon,
    )


def _check_distance(
    state: RowState, pos: Positions, bounds: Bounds, max_distance_km: float
) -> None:
    """Reject points more than ``max_distance_km`` outside the study area's bounds."""
    dist = distance_outside_km(pos.lon, pos.lat, bounds)
    far = state.ok & (dist > max_distance_km)
    if not far.any():
        return
    reasons = np.array(
        [
            f"point is {d:.1f} km outside the study area's bounds (limit {max_distance_km:g} km); "
            "check the coordinates (degrees, or the [[crs]] they are in), or give ward "
            "boundaries ([[wards]]) that include this place."
            for d in dist[far]
        ],
        dtype=object,
    )
    pair = np.array(
        [f"{a:g}, {b:g}" for a, b in zip(pos.lat[far], pos.lon[far], strict=True)], dtype=object
    )
    state.reject(np.flatnonzero(far), pos.pair_column, reasons, pair)
