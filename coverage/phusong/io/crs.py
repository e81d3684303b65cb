"""Coordinate reference systems of inputs: the ``crs`` option and projected-metre detection.

Vietnamese GIS data often comes in VN-2000 projected metres (a TM-3 zone or
UTM zone 48N), sometimes without saying so: a CSV with eastings and
northings in its ``lat``/``lon`` columns, or a GeoJSON whose coordinates are
metres although GeoJSON means degrees. :func:`projected_guess` recognises
such coordinates and names the systems that put them where the data should
be, so that the message can say which ``crs`` to pass; :func:`user_crs`
checks that option.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from phusong.errors import ConfigError

#: Projected systems tried when coordinates look like metres, most likely first:
#: (EPSG code, short name). VN-2000 / UTM 48N is the national system that
#: exports use most; Hà Nội's own VN-2000 TM-3 zone has its central meridian at
#: 105°E (zone 482; see docs/sources.md).
PROJECTED_CANDIDATES: tuple[tuple[str, str], ...] = (
    ("EPSG:3405", "VN-2000 / UTM zone 48N"),
    ("EPSG:5897", "VN-2000 / TM-3 105°E"),
    ("EPSG:32648", "WGS 84 / UTM zone 48N"),
    ("EPSG:9209", "VN-2000 / TM-3 105°30'E"),
    ("EPSG:9210", "VN-2000 / TM-3 105°45'E"),
    ("EPSG:3406", "VN-2000 / UTM zone 49N"),
    ("EPSG:32649", "WGS 84 / UTM zone 49N"),
)

#: Where Vietnamese data lies (min lon, min lat, max lon, max lat) [degrees], with a margin.
VIETNAM_BOUNDS = (101.0, 7.5, 118.0, 24.0)


def user_crs(value: Any) -> CRS | None:
    """Check the ``crs`` option: ``None`` or anything pyproj reads (``"EPSG:3405"``, 3405).

    Raises
    ------
    ConfigError
        pyproj does not know it; the message names the option.
    """
    if value is None:
        return None
    try:
        return CRS.from_user_input(value)
    except (CRSError, TypeError, ValueError) as exc:
        raise ConfigError(
            f"[[crs]]: {value!r} is not a coordinate reference system ({exc}); give an EPSG "
            "code such as EPSG:3405 (VN-2000 / UTM zone 48N) or EPSG:5897 (VN-2000 / TM-3 105°E).",
            option="crs",
        ) from exc


def crs_name(crs: CRS) -> str:
    """Short label of a CRS for messages: ``EPSG:3405 (VN-2000 / UTM zone 48N)``."""
    epsg = crs.to_epsg()
    return f"EPSG:{epsg} ({crs.name})" if epsg else crs.name


def to_lonlat(x: np.ndarray, y: np.ndarray, crs: CRS) -> tuple[np.ndarray, np.ndarray]:
    """Longitude and latitude [degrees, WGS84] of points ``(x, y)`` in ``crs`` (x = east)."""
    transformer = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    with np.errstate(invalid="ignore"):
        lon, lat = transformer.transform(np.asarray(x, float), np.asarray(y, float))
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    bad = ~(np.isfinite(lon) & np.isfinite(lat))
    lon[bad], lat[bad] = np.nan, np.nan
    return lon, lat


def looks_projected(x: np.ndarray, y: np.ndarray) -> bool:
    """Whether most given points lie outside ±180° / ±90° by far (metres, not degrees)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    given = np.isfinite(x) & np.isfinite(y)
    if not given.any():
        return False
    far = (np.abs(x) > 1000.0) | (np.abs(y) > 1000.0)
    return bool(far[given].mean() > 0.5)


@dataclass(frozen=True)
class ProjectedGuess:
    """Projected systems that put metre coordinates in the expected area.

    Attributes
    ----------
    fits : tuple of (str, str)
        (EPSG code, name) of each candidate that fits, most likely first.
    swapped : bool
        The fit needs x and y swapped (northings in the x / longitude column).
    """

    fits: tuple[tuple[str, str], ...]
    swapped: bool = False

    def hint(self) -> str:
        """How to fix it, with the ``crs`` option as a reference (``[[crs=EPSG:…]]``)."""
        if not self.fits:
            return (
                "these look like projected metres, not degrees (VN-2000 / UTM 48N?), but no "
                "usual Vietnamese system puts them in Vietnam: pass the right [[crs]], or "
                "give longitude/latitude in degrees."
            )
        names = ", ".join(f"{code} ({name})" for code, name in self.fits[:3])
        swap = ", and swap the easting and northing columns" if self.swapped else ""
        return (
            "these look like projected metres, not degrees (VN-2000 / UTM 48N?): pass "
            f"[[crs={self.fits[0][0]}]] (or the system the data was made in){swap}; in "
            f"{names} they fall in the expected area."
        )


def projected_guess(
    x: np.ndarray, y: np.ndarray, bounds: tuple[float, float, float, float] = VIETNAM_BOUNDS
) -> ProjectedGuess:
    """Which of :data:`PROJECTED_CANDIDATES` put metre coordinates inside ``bounds``.

    Parameters
    ----------
    x, y : numpy.ndarray
        Coordinates as given (x = easting / the longitude column) [m].
    bounds : tuple of float
        Expected area (min lon, min lat, max lon, max lat) [degrees].

    Returns
    -------
    ProjectedGuess
        Candidates where the median point lies inside ``bounds``; tried with
        x and y swapped when none fits as given.
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    given = np.isfinite(x) & np.isfinite(y)
    if not given.any():
        return ProjectedGuess(())
    px, py = float(np.median(x[given])), float(np.median(y[given]))
    for swapped, (ex, ny) in ((False, (px, py)), (True, (py, px))):
        fits = []
        for code, name in PROJECTED_CANDIDATES:
            lon, lat = to_lonlat(np.array([ex]), np.array([ny]), CRS.from_user_input(code))
            inside = bounds[0] <= lon[0] <= bounds[2] and bounds[1] <= lat[0] <= bounds[3]
            if inside:
                fits.append((code, name))
        if fits:
            return ProjectedGuess(tuple(fits), swapped)
    return ProjectedGuess(())


__all__ = [
    "PROJECTED_CANDIDATES",
    "VIETNAM_BOUNDS",
    "ProjectedGuess",
    "crs_name",
    "looks_projected",
    "projected_guess",
    "to_lonlat",
    "user_crs",
]
