"""The canonical tables of phusong, documented in one place.

Every reader returns these columns, every model consumes them. Units are part
of the column names (``height_m``, ``eirp_dbm``), so a table can be read without
this file, but this file is the reference.

Tables
------
wards
    One row per administrative unit (phường / xã), see :data:`WARD_COLUMNS`.
sites
    One row per *cell* (a sector of a site, or an omni cell), see
    :data:`SITE_COLUMNS`. Geometry: points in EPSG:4326.
ward coverage
    One row per ward and operator (``"any"`` for any operator), see
    :data:`WARD_COVERAGE_COLUMNS`.
"""

from __future__ import annotations

WGS84 = "EPSG:4326"

#: Label used in every per-operator table for "served by any operator".
ANY_OPERATOR = "any"

#: Ward table columns: name -> (dtype, meaning).
WARD_COLUMNS: dict[str, tuple[str, str]] = {
    "ward_id": ("string", "stable id (OSM relation id for the shipped wards), as text"),
    "name": ("string", "official name with its prefix, e.g. 'Phường Ba Đình'"),
    "kind": ("string", "'phường' (urban ward), 'xã' (commune) or '' when unknown"),
    "population": ("float64", "resident population [people]; NaN when unknown"),
    "geometry": ("geometry", "(Multi)Polygon, EPSG:4326 after reading"),
}

#: Site (cell) table columns: name -> (dtype, meaning).
SITE_COLUMNS: dict[str, tuple[str, str]] = {
    "cell_id": ("string", "unique cell key; 'mcc-net-area-cell' for OpenCelliD rows"),
    "site_id": ("string", "site (mast) id; cells of one site share it"),
    "operator": ("string", "operator brand (Viettel, VinaPhone, MobiFone, …) or 'unknown'"),
    "mcc": ("Int64", "mobile country code (452 = Vietnam)"),
    "mnc": ("Int64", "mobile network code (OpenCelliD 'net')"),
    "radio": ("string", "radio access technology: NR, LTE, UMTS, GSM, CDMA"),
    "lon_deg": ("float64", "longitude, WGS84 [degrees]"),
    "lat_deg": ("float64", "latitude, WGS84 [degrees]"),
    "azimuth_deg": ("float64", "antenna bearing clockwise from north [degrees]; NaN = omni"),
    "beamwidth_deg": ("float64", "horizontal half-power beamwidth [degrees]"),
    "tilt_deg": ("float64", "electrical downtilt, positive down [degrees]"),
    "height_m": ("float64", "antenna height above ground [m]"),
    "eirp_dbm": ("float64", "EIRP per carrier, whole carrier bandwidth [dBm]"),
    "frequency_mhz": ("float64", "carrier centre frequency [MHz]"),
    "band": ("string", "3GPP band, e.g. n41, n78, n77, n28"),
    "bandwidth_mhz": ("float64", "carrier bandwidth [MHz]"),
    "range_m": ("float64", "footprint radius for the disc/sector models [m]"),
    "range_source": (
        "string",
        "'file'; 'default:<band>' (NR) or 'default:<radio>' when range was 0 or missing; "
        "'plan:<model>' for a proposed new site",
    ),
    "frequency_source": (
        "string",
        "'file'; 'inferred:<operator>' or 'inferred:<band>' from the 5G spectrum; "
        "'default:<radio>' or 'default:n78' as a last resort; 'plan:<operator>' for a new site",
    ),
    "source_row": ("Int64", "1-based row in the source file (header = row 1)"),
    "geometry": ("geometry", "Point, EPSG:4326"),
}

# --- issue #15 (progress): optional on-air date columns of the site table ------
#: Added after :data:`SITE_COLUMNS` only when the input has an on-air date
#: column (:mod:`phusong.io.validation.dates`): name -> (dtype, meaning).
SITE_DATE_COLUMNS: dict[str, tuple[str, str]] = {
    "on_air": ("datetime64[ns]", "local date the cell went on air; NaT when unknown"),
    "on_air_source": (
        "string",
        "'file:<column>', or 'proxy:opencellid created …' (first observed, not the on-air date)",
    ),
}
# --- end issue #15 -------------------------------------------------------------

#: Per-ward coverage table columns (long format: one row per ward × operator).
WARD_COVERAGE_COLUMNS: dict[str, tuple[str, str]] = {
    "ward_id": ("string", "ward id"),
    "operator": ("string", "operator name, or 'any'"),
    "area_km2": ("float64", "ward area in an equal-area projection [km²]"),
    "covered_area_km2": ("float64", "area with service [km²]"),
    "area_coverage_pct": ("float64", "area-weighted coverage [%]"),
    "population": ("float64", "ward population [people]"),
    "covered_population": ("float64", "people with service [people]"),
    "population_coverage_pct": ("float64", "population-weighted coverage [%]"),
    "area_km2_servers_0": ("float64", "area with no server above threshold [km²]"),
    "area_km2_servers_1": ("float64", "area with exactly one server [km²]"),
    "area_km2_servers_2_4": ("float64", "area with 2–4 servers [km²]"),
    "area_km2_servers_5plus": ("float64", "area with 5 or more servers [km²]"),
    "population_servers_0": ("float64", "people with no server [people]"),
    "population_servers_1": ("float64", "people with exactly one server [people]"),
    "population_servers_2_4": ("float64", "people with 2–4 servers [people]"),
    "population_servers_5plus": ("float64", "people with 5+ servers [people]"),
}

#: Redundancy classes: label -> (min servers, max servers inclusive or None).
REDUNDANCY_CLASSES: dict[str, tuple[int, int | None]] = {
    "0": (0, 0),
    "1": (1, 1),
    "2_4": (2, 4),
    "5plus": (5, None),
}
