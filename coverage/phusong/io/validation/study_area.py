"""The study area the sites should lie in, and distances outside it."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import geopandas as gpd
import numpy as np

from phusong.errors import ConfigError, DataError
from phusong.io.wards import read_wards
from phusong.schema import WGS84

#: Default largest distance of a site outside the study area's bounds [km].
MAX_DISTANCE_KM = 20.0

#: Bounds (min lon, min lat, max lon, max lat) [degrees].
Bounds = tuple[float, float, float, float]


@lru_cache(maxsize=1)
def _shipped_bounds() -> Bounds:
    minx, miny, maxx, maxy = read_wards().total_bounds
    return float(minx), float(miny), float(maxx), float(maxy)


def study_bounds(study_area: Any = None) -> Bounds:
    """WGS84 bounds (min lon, min lat, max lon, max lat) of a study area [degrees].

    Parameters
    ----------
    study_area : GeoDataFrame, GeoSeries, shapely geometry, 4-tuple or None
        ``None`` = the shipped Hà Nội wards; a geometry without CRS and a tuple
        are taken as EPSG:4326.
    """
    if study_area is None:
        return _shipped_bounds()
    if isinstance(study_area, (gpd.GeoDataFrame, gpd.GeoSeries)):
        if study_area.crs is None:
            raise DataError(
                "the study area has no CRS; set one (e.g. gdf.set_crs('EPSG:4326')).",
                file="<study_area>",
            )
        b = study_area.to_crs(WGS84).total_bounds
    elif hasattr(study_area, "bounds") and not isinstance(study_area, (tuple, list)):
        b = study_area.bounds
    else:
        b = tuple(study_area)
        if len(b) != 4:
            raise ConfigError(
                "study_area must be a GeoDataFrame, a polygon or (min_lon, min_lat, max_lon, max_lat)."
            )
    minx, miny, maxx, maxy = (float(v) for v in b)
    if not (np.isfinite([minx, miny, maxx, maxy]).all() and minx <= maxx and miny <= maxy):
        raise ConfigError(f"study_area bounds {b!r} are not valid.")
    return minx, miny, maxx, maxy


def distance_outside_km(lon: np.ndarray, lat: np.ndarray, bounds: Bounds) -> np.ndarray:
    """Distance from each point to a lon/lat bounding box, 0 inside [km].

    Parameters
    ----------
    lon, lat : numpy.ndarray
        Points [degrees].
    bounds : tuple of float
        (min lon, min lat, max lon, max lat) [degrees].

    Notes
    -----
    Local equirectangular approximation: 1° of latitude = 110.574 km, 1° of
    longitude = 111.320 cos(φ) km at the point's latitude φ. Accurate to
    well under 1 % over the tens of km that matter here.
    """
    minx, miny, maxx, maxy = bounds
    dx = np.maximum(np.maximum(minx - lon, lon - maxx), 0.0)
    dy = np.maximum(np.maximum(miny - lat, lat - maxy), 0.0)
    coslat = np.cos(np.radians(np.clip(lat, -90.0, 90.0)))
    return np.hypot(dx * 111.320 * coslat, dy * 110.574)


def inside(lon: np.ndarray, lat: np.ndarray, bounds: Bounds) -> np.ndarray:
    """Mask of the points inside the bounds (edges included) [degrees]."""
    return (lon >= bounds[0]) & (lon <= bounds[2]) & (lat >= bounds[1]) & (lat <= bounds[3])
