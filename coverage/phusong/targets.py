"""Judge target places (industrial parks, stations, airport…): 5G at each by its deadline.

For every place of a places file (:mod:`phusong.io.targets`) and the network
of an audit, :func:`judge_places` says:

``served_share_pct``
    Share of the place's area with 5G service [%] (area-weighted): exact
    arc integrals of the footprints for the disc/sector models
    (:func:`phusong.vector.arcs.disc_level_areas`,
    :func:`phusong.vector.wedges.sector_level_areas`), exact partial-pixel
    fractions of the served pixels for raster models (exactextract). A point
    place is 100 % when its point is served, else 0 %.
``servers_at_centre`` and ``rsrp_at_centre_dbm``
    Distinct sites serving the place's centre, and the best-server SS-RSRP
    there (raster path-loss models only; NaN for footprint models, which
    have no signal level). The centre of a polygon is a point inside it
    (:func:`shapely.point_on_surface`), not its centroid, which can fall
    outside.
``nearest_site_id``, ``nearest_operator``, ``nearest_site_m``
    The closest site to the centre (any operator) and its distance [m].
``sites_inside``
    Distinct sites standing in the polygon (for a point: within
    :data:`POINT_SITE_RADIUS_M` of it).
``covered``
    By the place's rule: ``served`` — at least ``min_share_pct`` of its area
    served (a point: its point served); ``site`` — at least one site in it
    (plan 310/KH-UBND: "at least one 5G site in every industrial park").
``status``
    ``met`` (covered on the "as of" date), ``overdue`` (not covered, deadline
    passed) or ``due`` (not covered, deadline ahead).

Milestones: the places sharing a deadline form one target of the goal set,
"every place due on D covered" (:func:`phusong.goals.places_target`), judged
on the share of them covered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from phusong.errors import Problem
from phusong.geo import equal_area_crs
from phusong.goals import Target, places_target

__all__ = [
    "DEFAULT_MIN_SHARE_PCT",
    "PLACE_RESULT_COLUMNS",
    "POINT_SITE_RADIUS_M",
    "PlacesResult",
    "judge_places",
]

#: Share of a polygon place that must be served for the ``served`` rule [%].
DEFAULT_MIN_SHARE_PCT = 90.0

#: For a point place under the ``site`` rule: a site this close counts as "in it" [m].
POINT_SITE_RADIUS_M = 300.0

#: The plans behind the usual kinds and deadlines (docs/sources.md, "Goals").
PLAN_BY_KIND = {
    "industrial_park": "plans 58/KH-UBND and 310/KH-UBND",
    "hi_tech_park": "plans 58/KH-UBND and 310/KH-UBND",
    "it_park": "plan 58/KH-UBND",
    "industrial_cluster": "plan 310/KH-UBND",
    "airport": "plan 58/KH-UBND",
    "station": "plan 58/KH-UBND",
}

#: Columns of :attr:`PlacesResult.table` (``targets.csv``), in order.
PLACE_RESULT_COLUMNS = (
    "place_id",
    "name",
    "kind",
    "deadline",
    "rule",
    "geometry_type",
    "covered",
    "status",
    "served_share_pct",
    "servers_at_centre",
    "rsrp_at_centre_dbm",
    "sites_inside",
    "nearest_site_id",
    "nearest_operator",
    "nearest_site_m",
    "centre_lon",
    "centre_lat",
    "source_row",
)


@dataclass(frozen=True)
class PlacesResult:
    """Every target place judged.

    Attributes
    ----------
    table : GeoDataFrame
        :data:`PLACE_RESULT_COLUMNS` and the geometry (EPSG:4326), one row per place.
    min_share_pct : float
        Share of a polygon that must be served under the ``served`` rule [%].
    as_of : Timestamp
        Date the statuses are judged at.
    file : str
        The places file.
    rejected : list of Problem
        Rows of the places file left out.
    method : str
        How the served share was computed, in words.
    """

    table: gpd.GeoDataFrame
    min_share_pct: float
    as_of: pd.Timestamp
    file: str
    rejected: list[Problem] = field(default_factory=list)
    method: str = ""

    def deadlines(self) -> list[pd.Timestamp]:
        """Return the distinct deadlines, ascending."""
        return sorted(pd.to_datetime(self.table["deadline"]).unique())

    def milestone_figures(self) -> dict[str, float]:
        """``places_covered_pct:<deadline>`` → share of the places due then that are covered [%]."""
        out = {}
        when = pd.to_datetime(self.table["deadline"])
        for d in self.deadlines():
            due = (when == d).to_numpy()
            out[f"places_covered_pct:{pd.Timestamp(d):%Y-%m-%d}"] = 100.0 * float(
                self.table["covered"].to_numpy()[due].mean()
            )
        return out

    def milestone_targets(self) -> list[Target]:
        """One target per deadline: every place due then covered."""
        targets = []
        when = pd.to_datetime(self.table["deadline"])
        for d in self.deadlines():
            kinds = sorted(set(self.table.loc[(when == d).to_numpy(), "kind"].astype(str)))
            plans = sorted({PLAN_BY_KIND.get(k, "") for k in kinds} - {""})
            source = "; ".join(plans) + " (places file)" if plans else "places file"
            words = ", ".join(k.replace("_", " ") for k in kinds)
            targets.append(places_target(pd.Timestamp(d), words, source))
        return targets

    def summary(self) -> dict[str, Any]:
        """JSON-able figures for ``summary.json``."""
        t = self.table
        return {
            "file": self.file,
            "n_places": len(t),
            "n_covered": int(t["covered"].sum()),
            "n_overdue": int((t["status"] == "overdue").sum()),
            "rows_rejected": len(self.rejected),
            "rejected": [str(p) for p in self.rejected],
            "min_share_pct": self.min_share_pct,
            "method": self.method,
            "rule": "served: at least min_share_pct of the place's area has 5G (a point: its "
            "point); site: at least one 5G site stands in it",
            "milestones": self.milestone_figures(),
            "places": [
                {
                    "place_id": str(r.place_id),
                    "name": str(r.name),
                    "kind": str(r.kind),
                    "deadline": f"{pd.Timestamp(r.deadline):%Y-%m-%d}",
                    "covered": bool(r.covered),
                    "status": str(r.status),
                    "served_share_pct": float(r.served_share_pct),
                }
                for r in t.itertuples()
            ],
        }


def _centres(geoms: np.ndarray) -> np.ndarray:
    """Return the point itself, or a point inside the polygon."""
    return np.where(shapely.get_type_id(geoms) == 0, geoms, shapely.point_on_surface(geoms))


def _inside_footprints(
    px: np.ndarray, py: np.ndarray, sites: gpd.GeoDataFrame, model: str, radius_m: Any, crs: Any
) -> np.ndarray:
    """Distinct sites whose footprint (disc or sector wedge) holds each point."""
    from phusong.vector.footprints import footprint_azimuth_width, footprint_radius, projected_xy

    out = np.zeros(len(px), dtype="int64")
    if not len(sites) or not len(px):
        return out
    x, y, _ = projected_xy(sites, crs)
    r = footprint_radius(sites, radius_m)
    az, width = footprint_azimuth_width(sites, model)
    pairs = cKDTree(np.column_stack([px, py])).query_ball_point(
        np.column_stack([x, y]), r=r, return_sorted=False
    )
    cell = np.repeat(np.arange(len(x)), [len(p) for p in pairs])
    point = np.concatenate([np.asarray(p, dtype="int64") for p in pairs]) if len(cell) else cell
    dx, dy = px[point] - x[cell], py[point] - y[cell]
    bearing = np.degrees(np.arctan2(dx, dy)) % 360.0
    off = np.abs((bearing - np.nan_to_num(az[cell]) + 180.0) % 360.0 - 180.0)
    inside = np.isnan(az[cell]) | (width[cell] >= 360.0) | (off <= width[cell] / 2.0)
    inside |= np.hypot(dx, dy) == 0
    site = sites["site_id"].astype(str).to_numpy()
    hits = pd.DataFrame({"p": point[inside], "s": site[cell[inside]]}).drop_duplicates()
    np.add.at(out, hits["p"].to_numpy(), 1)
    return out


def _vector_shares(
    geoms_m: np.ndarray, sites: gpd.GeoDataFrame, model: str, radius_m: Any, crs: Any
) -> np.ndarray:
    """Compute the served share of each polygon [%] by exact arc integrals (points: NaN)."""
    from phusong.vector.arcs import collapse_sites, disc_level_areas
    from phusong.vector.footprints import footprint_azimuth_width, footprint_radius, projected_xy
    from phusong.vector.wedges import sector_level_areas

    share = np.full(len(geoms_m), np.nan)
    poly = np.flatnonzero(shapely.get_type_id(geoms_m) != 0)
    if not len(poly):
        return share
    if not len(sites):
        share[poly] = 0.0
        return share
    x, y, _ = projected_xy(sites, crs)
    r = footprint_radius(sites, radius_m)
    keys = sites["site_id"].astype(str).to_numpy()
    if model == "disc":
        gx, gy, gr = collapse_sites(x, y, r, keys)
        covered = disc_level_areas(gx, gy, gr, geoms_m[poly], max_level=1)[:, 0]
    else:
        az, width = footprint_azimuth_width(sites, model)
        covered = sector_level_areas(keys, x, y, r, az, width, geoms_m[poly], max_level=1)[:, 0]
    area = shapely.area(geoms_m[poly])
    share[poly] = np.clip(100.0 * covered / np.where(area > 0, area, np.nan), 0.0, 100.0)
    return share


def _raster_values(grid: Any, cx: np.ndarray, cy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Servers and best RSRP at points (grid CRS coordinates); 0 / NaN outside the grid."""
    spec = grid.grid
    col = np.floor((cx - spec.bounds[0]) / spec.resolution_m).astype("int64")
    row = np.floor((spec.bounds[3] - cy) / spec.resolution_m).astype("int64")
    inside = (row >= 0) & (row < spec.height) & (col >= 0) & (col < spec.width)
    servers = np.zeros(len(cx), dtype="int64")
    rsrp = np.full(len(cx), np.nan)
    servers[inside] = grid.n_servers[row[inside], col[inside]]
    rsrp[inside] = grid.rsrp_dbm[row[inside], col[inside]]
    return servers, rsrp


def _raster_shares(geoms_grid: np.ndarray, grid: Any) -> np.ndarray:
    """Compute the served share of each polygon [%]: exact partial-pixel mean of the served mask."""
    import exactextract
    from exactextract.raster import NumPyRasterSource

    share = np.full(len(geoms_grid), np.nan)
    poly = np.flatnonzero(shapely.get_type_id(geoms_grid) != 0)
    if not len(poly):
        return share
    spec = grid.grid
    xmin, ymin, xmax, ymax = spec.bounds
    served = (np.asarray(grid.n_servers) > 0).astype("float64")
    source = NumPyRasterSource(served, xmin=xmin, ymin=ymin, xmax=xmax, ymax=ymax,
                               srs_wkt=spec.crs.to_wkt(), name="served")  # fmt: skip
    feats = gpd.GeoDataFrame({"_i": poly}, geometry=geoms_grid[poly], crs=spec.crs)
    stats = exactextract.exact_extract(source, feats, ["sum", "count"], output="pandas",
                                       include_cols=["_i"])  # fmt: skip
    inside_m2 = stats["count"].to_numpy(dtype="float64") * spec.pixel_area_m2
    area = shapely.area(geoms_grid[poly])
    served_m2 = stats["sum"].to_numpy(dtype="float64") * spec.pixel_area_m2
    # a part of the place outside the grid counts as unserved
    share[stats["_i"].to_numpy()] = np.clip(100.0 * served_m2 / np.maximum(area, inside_m2), 0, 100)
    return share


def _sites_inside(geoms_m: np.ndarray, site_pts: np.ndarray, site_ids: np.ndarray) -> np.ndarray:
    """Distinct sites in each polygon, or within :data:`POINT_SITE_RADIUS_M` of each point."""
    zones = np.where(shapely.get_type_id(geoms_m) == 0,
                     shapely.buffer(geoms_m, POINT_SITE_RADIUS_M), geoms_m)  # fmt: skip
    out = np.zeros(len(geoms_m), dtype="int64")
    if not len(site_pts):
        return out
    zone_i, pt_i = shapely.STRtree(site_pts).query(zones, predicate="intersects")
    hits = pd.DataFrame({"z": zone_i, "s": site_ids[pt_i]}).drop_duplicates()
    np.add.at(out, hits["z"].to_numpy(), 1)
    return out


def _nearest(
    cx: np.ndarray, cy: np.ndarray, sx: np.ndarray, sy: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Distance [m] and index of the nearest site to each centre."""
    if not len(sx):
        return np.full(len(cx), np.nan), np.full(len(cx), -1)
    dist, idx = cKDTree(np.column_stack([sx, sy])).query(np.column_stack([cx, cy]))
    return np.asarray(dist, dtype="float64"), np.asarray(idx, dtype="int64")


def judge_places(
    places: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    *,
    model: str,
    as_of: pd.Timestamp,
    grid: Any = None,
    radius_m: float | None = None,
    min_share_pct: float = DEFAULT_MIN_SHARE_PCT,
    wards: gpd.GeoDataFrame | None = None,
    file: str = "<places>",
    rejected: list[Problem] | None = None,
) -> PlacesResult:
    """Judge every target place against the network (see the module docstring).

    Parameters
    ----------
    places : GeoDataFrame
        From :func:`phusong.io.targets.read_places` (``place_id``, ``name``,
        ``kind``, ``deadline``, ``rule``), EPSG:4326.
    sites : GeoDataFrame
        The audit's cells (after its radio, operator and date filters).
    model : str
        The audit's model: ``disc``/``sector`` use exact footprints unless a
        ``grid`` is given.
    as_of : Timestamp
        Date the statuses are judged at.
    grid : GridResult, optional
        The audit's raster (raster route): served mask, server counts, RSRP.
    radius_m : float, optional
        Footprint radius override [m] (disc/sector).
    min_share_pct : float
        Share of a polygon that must be served under the ``served`` rule [%].
    wards : GeoDataFrame, optional
        The study area (its equal-area CRS is used for distances and areas).
    file : str
        The places file, for the record.
    rejected : list of Problem, optional
        Rows of the places file left out.

    Returns
    -------
    PlacesResult
    """
    crs = equal_area_crs(wards if wards is not None else places)
    geoms_m = np.asarray(places.geometry.to_crs(crs).to_numpy(), dtype=object)
    centres_m = _centres(geoms_m)
    cx, cy = shapely.get_x(centres_m), shapely.get_y(centres_m)
    one = sites.drop_duplicates("site_id")
    spts = np.asarray(one.geometry.to_crs(crs).to_numpy(), dtype=object)
    sx, sy = shapely.get_x(spts), shapely.get_y(spts)
    if grid is not None:
        geoms_g = np.asarray(places.geometry.to_crs(grid.grid.crs).to_numpy(), dtype=object)
        centres_g = _centres(geoms_g)
        servers, rsrp = _raster_values(grid, shapely.get_x(centres_g), shapely.get_y(centres_g))
        share = _raster_shares(geoms_g, grid)
        method = "served pixels of the audit's raster (exact partial-pixel fractions)"
    else:
        servers = _inside_footprints(cx, cy, sites, model, radius_m, crs)
        rsrp = np.full(len(cx), np.nan)
        share = _vector_shares(geoms_m, sites, model, radius_m, crs)
        method = f"exact {model} footprints (arc integrals)"
    point = shapely.get_type_id(geoms_m) == 0
    share = np.where(point, np.where(servers > 0, 100.0, 0.0), share)
    inside = _sites_inside(geoms_m, spts, one["site_id"].astype(str).to_numpy())
    dist, near = _nearest(cx, cy, sx, sy)
    rule = places["rule"].astype(str).to_numpy()
    covered = np.where(rule == "site", inside >= 1, share >= float(min_share_pct) - 1e-9)
    deadline = pd.to_datetime(places["deadline"]).to_numpy()
    late = deadline < np.datetime64(pd.Timestamp(as_of).to_datetime64())
    status = np.where(covered, "met", np.where(late, "overdue", "due"))
    centres_ll = gpd.GeoSeries(centres_m, crs=crs).to_crs("EPSG:4326")
    found = near >= 0
    table = gpd.GeoDataFrame(
        {
            "place_id": places["place_id"].to_numpy(),
            "name": places["name"].to_numpy(),
            "kind": places["kind"].to_numpy(),
            "deadline": deadline,
            "rule": rule,
            "geometry_type": np.where(point, "point", "polygon"),
            "covered": covered.astype(bool),
            "status": status,
            "served_share_pct": share,
            "servers_at_centre": servers.astype("int64"),
            "rsrp_at_centre_dbm": rsrp,
            "sites_inside": inside,
            "nearest_site_id": np.where(
                found,
                one["site_id"].astype(str).to_numpy()[np.maximum(near, 0)] if len(one) else "",
                "",
            ),
            "nearest_operator": np.where(
                found,
                one["operator"].astype(str).to_numpy()[np.maximum(near, 0)] if len(one) else "",
                "",
            ),
            "nearest_site_m": dist,
            "centre_lon": centres_ll.x.to_numpy(),
            "centre_lat": centres_ll.y.to_numpy(),
            "source_row": places["source_row"].to_numpy(),
        },
        geometry=places.geometry.to_numpy(),
        crs=places.crs,
    )
    return PlacesResult(
        table, float(min_share_pct), pd.Timestamp(as_of), file, rejected or [], method
    )
