"""Where a candidate new site would serve, under the audit's own path-loss model.

For a path-loss model the planner must not count a disc: a plan counted with
discs re-audits below its target wherever the model's footprint is smaller
than the disc (sector edges, rural scenarios, terrain). Here the footprint of
a new site comes from the raster engine itself
(:func:`phusong.raster.grid.compute_grid`, the audit's link budget and
per-cell terms of :func:`phusong.physics.engine_sites`):

1. **Templates.** A new site is the same everywhere except for its scenario
   (``planning``: UMa, UMi or RMa, from the ward it stands in) and the
   terrain around it. So the engine computes, once per scenario, the
   best-server SS-RSRP of one new site at the centre of a small grid at the
   audit's resolution: the *template* (outdoor, or the indoor layer when the
   goal is judged indoors).
2. **Candidates.** Candidate ``c`` serves demand point ``d`` when the
   template of ``c``'s scenario, read at the offset ``d − c`` (nearest
   template pixel), minus the terrain loss of ``c``'s antenna at ``d``
   (:mod:`phusong.raster.terrain`, where the audit used terrain) reaches the
   threshold: the audit's own RSRP of that site at that pixel.

This ignores how a new site changes the SINR of others (coverage is judged on
RSRP; an SINR criterion is left to the re-audit, which checks every plan).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd
import scipy.sparse as sp
from affine import Affine
from pyproj import CRS, Transformer
from scipy.spatial import cKDTree

from phusong.models import get_model
from phusong.planning.newsite import NewSite, proposed_site_table
from phusong.planning.solvers import RefinableCover, exact_matrix, rows_matrix
from phusong.recent import Recent
from phusong.schema import WGS84

if TYPE_CHECKING:
    from phusong.propagation import ModelName

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Template:
    """The SS-RSRP of one new site around it, on a grid centred on its antenna.

    Attributes
    ----------
    rsrp_dbm : ndarray
        float32 ``(2R + 1, 2R + 1)``: best-server RSRP [dBm] of the site's
        cells, NaN where below the threshold; the site is at ``[R, R]``.
    resolution_m : float
        Pixel size [m].
    """

    rsrp_dbm: np.ndarray
    resolution_m: float

    @property
    def half_px(self) -> int:
        """R: pixels from the centre to the edge."""
        return (self.rsrp_dbm.shape[0] - 1) // 2

    @cached_property
    def reach_m(self) -> float:
        """Largest distance at which the site serves [m] (0 when it serves nowhere)."""
        rows, cols = np.nonzero(np.isfinite(self.rsrp_dbm))
        if not rows.size:
            return 0.0
        r = self.half_px
        return float(np.hypot(rows - r, cols - r).max() * self.resolution_m)


@dataclass
class CandidateFootprints:
    """Templates per scenario, and the terrain the audit used (see the module docstring).

    Attributes
    ----------
    templates : dict
        Scenario (``"uma"``, ``"umi"``, ``"rma"`` or ``"*"`` for a
        single-scenario model) -> :class:`Template`.
    threshold_dbm : float
        Service threshold [dBm].
    terrain : TerrainModel or None
        The audit's terrain (``terrain_loss_window`` on the audit grid).
    grid : GridSpec or None
        The audit grid (for terrain windows).
    site : NewSite
        The new site the templates are of.
    h_ut_m : float
        UE height [m].
    """

    templates: dict[str, Template]
    threshold_dbm: float
    terrain: Any = None
    grid: Any = None
    site: NewSite = field(default_factory=NewSite)
    h_ut_m: float = 1.5

    @property
    def reach_m(self) -> float:
        """Largest reach of any template [m]."""
        return max((t.reach_m for t in self.templates.values()), default=0.0)


def _template_grid(crs: CRS, resolution_m: float, half_px: int) -> Any:
    """Return a square grid of ``2R + 1`` pixels whose centre pixel is centred on the CRS origin."""
    from phusong.raster.spec import GridSpec

    res = float(resolution_m)
    edge = (half_px + 0.5) * res
    n = 2 * half_px + 1
    return GridSpec(crs, res, Affine(res, 0.0, -edge, 0.0, -res, edge), n, n)


def _reach_bound_m(site: NewSite, params: Any, scenario: str) -> float:
    """Return an upper bound of the site's reach at the threshold (boresight, no terrain) [m]."""
    from phusong import propagation as prop
    from phusong.physics import link_budget_of

    budget = link_budget_of(params)
    if scenario in ("uma", "umi", "rma"):
        model = f"{scenario}_nlos"
    else:
        model = get_model(params.model).full_name
    scs = float(prop.scs_khz_per_cell([site.band])[0])
    n_rb = int(prop.n_rb_per_cell([site.bandwidth_mhz], [scs])[0])
    # the LOS-weighted models lose less than NLOS: bound them with free space
    bound_model = "fspl" if getattr(params, "los_probability", False) else model
    extra = min(budget.extra_loss_db(model), budget.extra_loss_db(bound_model))
    return float(
        prop.max_range_m(
            site.eirp_dbm, site.frequency_mhz / 1000.0, cast("ModelName", bound_model), site.height_m,
            budget.h_ut_m, n_rb, budget.threshold_dbm, extra_loss_db=extra,
        )
    )  # fmt: skip


def new_site_template(site: NewSite, params: Any, scenario: str, crs: CRS) -> Template:
    """Compute the engine's best-server RSRP of one new site of ``scenario`` around its antenna.

    Parameters
    ----------
    site : NewSite
        The new site (its sectors, EIRP, height, band).
    params : AuditParams
        The audit's model and link budget (threshold, reliability, O2I, …).
    scenario : {"uma", "umi", "rma"} or "*"
        Scenario of the ``planning`` model (``"*"``: a single-scenario model).
    crs : pyproj.CRS
        The plan's metric CRS (the template sits at its origin).

    Returns
    -------
    Template
        Indoor RSRP when ``params.goal_layer == "indoor"``, outdoor otherwise.
    """
    from phusong.physics import engine_model_of, engine_sites, link_budget_of
    from phusong.raster.grid import compute_grid

    res = float(params.resolution_m)
    half = max(math.ceil(_reach_bound_m(site, params, scenario) / res) + 2, 2)
    grid = _template_grid(crs, res, half)
    lon, lat = Transformer.from_crs(crs, WGS84, always_xy=True).transform(0.0, 0.0)
    xy = np.array([[0.0, 0.0]])
    table = proposed_site_table(xy, np.array([1]), np.zeros(1), site, 0.0, crs, params.model)
    table = table.assign(lon_deg=lon, lat_deg=lat)
    physics = engine_sites(table, _one_ward(crs, grid), params)
    sites = physics.sites
    if scenario in ("uma", "umi", "rma") and get_model(params.model).is_planning:
        kind = "mixed" if getattr(params, "los_probability", False) else "nlos"
        sites = sites.assign(path_loss_model=f"{scenario}_{kind}")
        sites = _with_o2i(sites, scenario, params)
    result = compute_grid(
        sites, grid, model=engine_model_of(params, physics), link_budget=link_budget_of(params),
        tile_px=max(grid.width, 16), workers=1,
    )  # fmt: skip
    indoor = getattr(params, "goal_layer", "outdoor") == "indoor"
    layer = (
        result.indoor_rsrp_dbm if indoor and result.indoor_rsrp_dbm is not None else result.rsrp_dbm
    )
    return Template(np.asarray(layer, dtype="float32"), res)


def _with_o2i(sites: pd.DataFrame, scenario: str, params: Any) -> pd.DataFrame:
    """O2I loss and indoor margin of the scenario the template stands for."""
    from phusong import propagation as prop
    from phusong.physics import link_budget_of
    from phusong.propagation.o2i import o2i_sigma_db

    f_ghz = pd.to_numeric(sites["frequency_mhz"]).to_numpy("float64") / 1000.0
    sigma = link_budget_of(params).sigma_db(str(sites["path_loss_model"].iloc[0]))
    margin = prop.indoor_margin_db(
        sigma, o2i_sigma_db(scenario, params.o2i_model), params.reliability
    )
    return sites.assign(
        o2i_loss_db=np.asarray(prop.o2i_loss_db(f_ghz, scenario, params.o2i_model)),
        indoor_margin_db=float(margin),
    )


def _one_ward(crs: CRS, grid: Any) -> Any:
    """Return a ward covering the template grid (its scenario is set on the cells afterwards)."""
    import geopandas as gpd
    import shapely

    left, bottom, right, top = grid.bounds
    ward = gpd.GeoDataFrame(
        {"ward_id": ["template"], "name": ["template"], "kind": ["phường"], "population": [1.0]},
        geometry=[shapely.box(left, bottom, right, top)],
        crs=crs,
    )
    return ward.to_crs(WGS84)


def _kept_template(site: NewSite, params: Any, scenario: str, crs: CRS) -> Template:
    """:func:`new_site_template`, kept for the next plan (or round) with the same inputs."""
    items = vars(params).items() if hasattr(params, "__dict__") else ()
    key = (repr(site), repr(sorted(items)) if items else repr(params), scenario, crs.to_wkt())
    got = _TEMPLATES.get(key)
    if got is None:
        got = new_site_template(site, params, scenario, crs)
        got.rsrp_dbm.flags.writeable = False  # shared by the plans that find it here
        _TEMPLATES.put(key, got)
    return got


#: Templates computed lately, by new site, model parameters, scenario and CRS.
_TEMPLATES: Recent[Template] = Recent(size=16)


def forget_templates() -> None:
    """Forget the new-site templates kept from the last plans."""
    _TEMPLATES.clear()


def candidate_footprints(
    site: NewSite, params: Any, crs: CRS, scenarios: Any = None, *, audit_grid: Any = None
) -> CandidateFootprints:
    """Templates for every scenario the candidates may stand in, and the audit's terrain.

    Parameters
    ----------
    site : NewSite
        The new site.
    params : AuditParams
        The audit's parameters (a path-loss model).
    crs : pyproj.CRS
        The plan's metric CRS (the audit grid's CRS).
    scenarios : iterable of str, optional
        Scenarios needed (``planning``); default all three.
    audit_grid : GridSpec, optional
        The audit grid, for terrain windows when the audit used terrain.
    """
    from phusong.physics import link_budget_of

    if get_model(params.model).is_planning:
        names = sorted(set(scenarios)) if scenarios is not None else ["uma", "umi", "rma"]
    else:
        names = ["*"]
    templates = {s: _kept_template(site, params, s, crs) for s in names}
    terrain = None
    if getattr(params, "terrain", "off") == "on" and audit_grid is not None:
        from phusong.physics import terrain_for

        terrain = terrain_for(getattr(params, "dem", None), audit_grid)
    budget = link_budget_of(params)
    return CandidateFootprints(
        templates, float(params.threshold_dbm), terrain, audit_grid, site, float(budget.h_ut_m)
    )


def model_coverage(
    candidate_xy: np.ndarray,
    candidate_scenario: np.ndarray,
    demand_xy: np.ndarray,
    footprints: CandidateFootprints,
    demand_pixel: np.ndarray | None = None,
    *,
    bulk: bool = True,
) -> sp.csr_matrix | RefinableCover:
    """Where each candidate serves, its terrain swept only when a solver needs the row.

    Parameters are those of :func:`model_coverage_matrix`, and ``bulk``: the
    bound rows of every candidate at once (the pairs within reach from two
    k-d trees, the templates read for all pairs in one go); ``False``
    computes them candidate by candidate (the reference the bulk path is
    tested against; ``demand_pixel`` then speeds up the search).

    Returns
    -------
    scipy.sparse.csr_matrix or RefinableCover
        Without terrain, the ``(n, m)`` boolean matrix. With terrain, a
        :class:`~phusong.planning.solvers.RefinableCover` whose bound rows
        read the templates alone (terrain only adds loss, so they hold every
        point the exact row holds) and whose exact rows take each
        candidate's terrain off (:func:`_terrain_at`): the rows
        :func:`model_coverage_matrix` gives, computed for the candidates the
        solvers look at.
    """
    cand = np.asarray(candidate_xy, dtype="float64").reshape(-1, 2)
    dem = np.asarray(demand_xy, dtype="float64").reshape(-1, 2)
    n, m = len(cand), len(dem)
    if n == 0 or m == 0:
        return sp.csr_matrix((n, m), dtype=bool)
    templates = [
        footprints.templates.get(str(s)) or next(iter(footprints.templates.values()))
        for s in candidate_scenario
    ]
    thr = np.float32(footprints.threshold_dbm)
    bound = (
        _bound_in_bulk(cand, dem, templates, thr)
        if bulk
        else _bound_row_by_row(cand, dem, templates, thr, footprints, demand_pixel)
    )
    if footprints.terrain is None or footprints.grid is None:
        return bound

    def exact_row(i: int, columns: np.ndarray) -> np.ndarray:
        if not columns.size:
            return columns.astype(np.int64)
        tpl = templates[i]
        rsrp = _template_rsrp(cand[i], dem[columns], tpl) - _terrain_at(
            cand[i], dem[columns], footprints, tpl.reach_m + 2.0 * tpl.resolution_m
        )
        with np.errstate(invalid="ignore"):
            return np.asarray(columns[rsrp >= thr], dtype=np.int64)

    return RefinableCover(bound, exact_row)


def model_coverage_matrix(
    candidate_xy: np.ndarray,
    candidate_scenario: np.ndarray,
    demand_xy: np.ndarray,
    footprints: CandidateFootprints,
    demand_pixel: np.ndarray | None = None,
    *,
    bulk: bool = True,
) -> sp.csr_matrix:
    """Sparse candidates × demand points: where each candidate serves (module docstring).

    Parameters
    ----------
    candidate_xy : ndarray, shape (n, 2)
        Candidate positions in the plan's metric CRS [m].
    candidate_scenario : ndarray of str, shape (n,)
        Scenario of each candidate (``"*"`` for a single-scenario model).
    demand_xy : ndarray, shape (m, 2)
        Demand points [m].
    footprints : CandidateFootprints
        The templates and the terrain.
    demand_pixel : ndarray of int, optional
        Flat index in ``footprints.grid`` of the pixel whose centre each
        demand point is (:func:`phusong.planning.demand.grid_demand_points`):
        with ``bulk=False`` the points near a candidate are then read from the
        grid around it instead of searched in a k-d tree (same points, same
        answer).
    bulk : bool
        Every candidate's points at once (default), or candidate by candidate
        (the reference; see :func:`model_coverage`).

    Returns
    -------
    scipy.sparse.csr_matrix
        ``(n, m)`` boolean, column indices sorted per row: every row exact
        (:func:`model_coverage` makes rows exact only when asked).
    """
    return exact_matrix(
        model_coverage(
            candidate_xy, candidate_scenario, demand_xy, footprints, demand_pixel, bulk=bulk
        )
    )


def _bound_row_by_row(
    cand: np.ndarray,
    dem: np.ndarray,
    templates: list[Template],
    thr: np.float32,
    footprints: CandidateFootprints,
    demand_pixel: np.ndarray | None,
) -> sp.csr_matrix:
    """Bound rows (templates alone), one candidate after the other (the reference)."""
    near = (
        _PixelIndex(np.asarray(demand_pixel, dtype="int64"), footprints.grid)
        if demand_pixel is not None and footprints.grid is not None
        else _TreeIndex(dem)
    )

    def bound_row(i: int) -> np.ndarray:
        tpl = templates[i]
        hit = near.within(cand[i], tpl.reach_m + tpl.resolution_m)
        if hit.size:
            with np.errstate(invalid="ignore"):
                hit = hit[_template_rsrp(cand[i], dem[hit], tpl) >= thr]
        return np.sort(hit)

    return rows_matrix([bound_row(i) for i in range(len(cand))], len(dem))


#: Candidates whose pairs are found and read together (bounds the pairs held at once).
_BULK_CANDIDATES = 4096


def _bound_in_bulk(
    cand: np.ndarray, dem: np.ndarray, templates: list[Template], thr: np.float32
) -> sp.csr_matrix:
    """Bound rows (templates alone) of every candidate at once, by template and in chunks.

    The pairs (candidate, demand point) within the template's reach plus a
    pixel come from two k-d trees (:meth:`scipy.spatial.cKDTree.sparse_distance_matrix`);
    each pair reads the template at its offset as :func:`_template_rsrp` does.
    """
    n, m = len(cand), len(dem)
    points = cKDTree(dem)
    which = np.array([id(t) for t in templates])
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    for key in np.unique(which):
        tpl = templates[int(np.flatnonzero(which == key)[0])]
        members = np.flatnonzero(which == key)
        r, res = tpl.half_px, tpl.resolution_m
        for start in range(0, len(members), _BULK_CANDIDATES):
            part = members[start : start + _BULK_CANDIDATES]
            pairs = cKDTree(cand[part]).sparse_distance_matrix(
                points, tpl.reach_m + res, output_type="ndarray"
            )
            ci, dj = part[pairs["i"]], pairs["j"].astype(np.int64)
            col = np.rint((dem[dj, 0] - cand[ci, 0]) / res).astype("int64") + r
            row = np.rint((cand[ci, 1] - dem[dj, 1]) / res).astype("int64") + r
            inside = (col >= 0) & (col <= 2 * r) & (row >= 0) & (row <= 2 * r)
            rsrp = np.full(len(ci), np.nan, dtype="float32")
            rsrp[inside] = tpl.rsrp_dbm[row[inside], col[inside]]
            with np.errstate(invalid="ignore"):
                keep = rsrp >= thr
            rows.append(ci[keep])
            cols.append(dj[keep])
    ri = np.concatenate(rows) if rows else np.zeros(0, np.int64)
    cj = np.concatenate(cols) if cols else np.zeros(0, np.int64)
    mat = sp.csr_matrix((np.ones(len(ri), dtype=bool), (ri, cj)), shape=(n, m))
    mat.sort_indices()
    return mat


class _TreeIndex:
    """Demand points near a position, by a k-d tree."""

    def __init__(self, xy: np.ndarray) -> None:
        self.tree = cKDTree(xy)

    def within(self, at: np.ndarray, r: float) -> np.ndarray:
        """Return the indices of the points within ``r`` of ``at`` [m]."""
        return np.asarray(self.tree.query_ball_point(at, r=r), dtype="int64")


class _PixelIndex:
    """Demand points near a position, read from the grid of the pixels they stand on."""

    def __init__(self, pixel: np.ndarray, grid: Any) -> None:
        self.grid = grid
        uniq, inverse = np.unique(pixel, return_inverse=True)
        self.first = np.full(grid.width * grid.height, -1, dtype="int64")
        self.first[uniq] = np.arange(len(uniq))
        self.order = np.argsort(inverse, kind="stable")  # points grouped by pixel
        self.start = np.searchsorted(inverse[self.order], np.arange(len(uniq) + 1))

    def within(self, at: np.ndarray, r: float) -> np.ndarray:
        """Return the indices of the points whose pixel centre is within ``r`` of ``at`` [m]."""
        g = self.grid
        res = float(g.resolution_m)
        col = (at[0] - g.transform.c) / res - 0.5
        row = (g.transform.f - at[1]) / res - 0.5
        k = r / res
        r0, r1 = max(math.floor(row - k), 0), min(math.ceil(row + k) + 1, g.height)
        c0, c1 = max(math.floor(col - k), 0), min(math.ceil(col + k) + 1, g.width)
        if r0 >= r1 or c0 >= c1:
            return np.zeros(0, dtype="int64")
        block = self.first.reshape(g.height, g.width)[r0:r1, c0:c1]
        rr, cc = np.nonzero(block >= 0)
        close = (rr + r0 - row) ** 2 + (cc + c0 - col) ** 2 <= k * k
        u = block[rr[close], cc[close]]
        lo, hi = self.start[u], self.start[u + 1]
        counts = hi - lo
        idx = np.repeat(lo - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
        return self.order[idx]


def _template_rsrp(xy: np.ndarray, points: np.ndarray, tpl: Template) -> np.ndarray:
    """Return the template's SS-RSRP at each point, the site at ``xy`` [dBm] (NaN off it)."""
    r = tpl.half_px
    col = np.rint((points[:, 0] - xy[0]) / tpl.resolution_m).astype("int64") + r
    row = np.rint((xy[1] - points[:, 1]) / tpl.resolution_m).astype("int64") + r
    inside = (col >= 0) & (col <= 2 * r) & (row >= 0) & (row <= 2 * r)
    rsrp = np.full(len(points), np.nan, dtype="float32")
    rsrp[inside] = tpl.rsrp_dbm[row[inside], col[inside]]
    return rsrp


def _terrain_at(
    xy: np.ndarray, points: np.ndarray, fp: CandidateFootprints, radius_m: float
) -> np.ndarray:
    """Terrain loss of the candidate's antenna at each point's audit pixel [dB] (0 unknown).

    Only the pixels within ``radius_m`` of the antenna are swept (the points
    lie within the template's reach).
    """
    grid = fp.grid
    res = grid.resolution_m
    left, top = grid.transform.c, grid.transform.f
    pc = np.floor((points[:, 0] - left) / res).astype("int64")
    pr = np.floor((top - points[:, 1]) / res).astype("int64")
    r0, r1, c0, c1 = int(pr.min()), int(pr.max()) + 1, int(pc.min()), int(pc.max()) + 1
    window = fp.terrain(
        float(xy[0]), float(xy[1]), fp.site.height_m, fp.h_ut_m, fp.site.frequency_mhz / 1000.0,
        (r0, r1, c0, c1), radius_m,
    )  # fmt: skip
    if window is None:
        return np.zeros(len(points), dtype="float32")
    loss = np.asarray(window, dtype="float32")[pr - r0, pc - c0]
    return np.where(np.isfinite(loss), np.maximum(loss, 0.0), 0.0).astype("float32")


def plan_params(params: Any) -> Any:
    """Return the audit parameters the footprints need (AuditParams, a dict or ``None``).

    Missing ones take the defaults of :data:`phusong.options.AUDIT` (the model
    is resolved to its full name).
    """
    from types import SimpleNamespace

    from phusong.options import AUDIT
    from phusong.planning.newsite import audit_param

    keys = (
        "model", "threshold_dbm", "resolution_m", "reliability", "indoor_loss_db", "o2i_model",
        "los_probability", "ue_gain_dbi", "body_loss_db", "goal_layer", "sector_edge_db",
    )  # fmt: skip
    values = {k: audit_param(params, k, AUDIT[k].default) for k in keys}
    values = {k: (AUDIT[k].default if v is None else v) for k, v in values.items()}
    values["model"] = get_model(str(values["model"])).full_name
    values["terrain"] = str(audit_param(params, "terrain", "off") or "off")
    values["dem"] = audit_param(params, "dem")
    return SimpleNamespace(**values)


def candidate_scenarios(candidates: Any, wards: Any) -> np.ndarray:
    """Scenario of the ward each candidate stands in (``"*"`` when the wards carry none).

    Parameters
    ----------
    candidates : GeoDataFrame
        Candidate points (any CRS).
    wards : GeoDataFrame
        The audit's per-ward table (``scenario`` column for ``planning``).
    """
    if "scenario" not in wards or not len(candidates):
        return np.full(len(candidates), "*", dtype=object)
    from phusong.scenario import site_ward_index

    idx = site_ward_index(candidates, wards)
    return wards["scenario"].astype(str).to_numpy(dtype=object)[idx]


__all__ = [
    "CandidateFootprints",
    "Template",
    "candidate_footprints",
    "candidate_scenarios",
    "forget_templates",
    "model_coverage",
    "model_coverage_matrix",
    "new_site_template",
    "plan_params",
]
