"""The model's RSRP at measurement points: the same cells and physics as the grid.

:func:`point_model` prepares the cells of a site table exactly as the raster
engine does (:func:`phusong.raster.cells.prepare_cells`: canonical order,
positions and antenna bearings in the grid's equal-area CRS, per-cell model,
link budget and calibration arrays). :func:`predict_rsrp` evaluates given
cells at given points with the engine's reference path loss
(:func:`phusong.raster.cellmodel.cell_path_loss_db`) and the antenna pattern
of :func:`phusong.propagation.sector_attenuation_db`, in float64. The tests
hold it equal to the grid's RSRP at pixel centres.

:func:`best_server` finds, for each point, the strongest cell of the
operator(s) and band(s) it may be served by. Candidates are the cells of the
``k`` nearest site locations of every (operator, band) layer allowed for the
point, found with a KD-tree per layer: within one layer (one carrier, similar
power) the best server is one of the nearest masts; across layers (Viettel's
n28 and n41) each layer is searched, so a distant low-band mast can win.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pyproj import Transformer
from scipy.spatial import cKDTree

from phusong import propagation as prop
from phusong.errors import DataError
from phusong.raster.cellmodel import cell_path_loss_db
from phusong.raster.cells import CellArrays, prepare_cells
from phusong.raster.spec import GridSpec, TileParams
from phusong.schema import WGS84

#: Site locations searched per (operator, band) layer by :func:`best_server`.
DEFAULT_NEAREST_SITES = 6
#: Points evaluated at once (bounds the memory of :func:`best_server`).
CHUNK_POINTS = 200_000


@dataclass(frozen=True)
class PointModel:
    """Cells prepared for point predictions.

    Attributes
    ----------
    cells : CellArrays
        The engine's cell arrays (canonical order).
    params : TileParams
        Run constants (model, UE height, vertical beamwidth).
    grid : GridSpec
        The grid whose CRS positions are measured in.
    band : numpy.ndarray
        Band of each cell (object; ``""`` when unknown).
    scenario : numpy.ndarray
        Path-loss model of each cell (its scenario, e.g. ``uma_nlos``).
    """

    cells: CellArrays
    params: TileParams
    grid: GridSpec
    band: np.ndarray
    scenario: np.ndarray

    def __len__(self) -> int:
        return len(self.cells)

    def to_grid(self, lon_deg: np.ndarray, lat_deg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Project WGS84 points [degrees] into the grid CRS [m]."""
        to_grid = Transformer.from_crs(WGS84, self.grid.crs, always_xy=True)
        x, y = to_grid.transform(np.asarray(lon_deg, "float64"), np.asarray(lat_deg, "float64"))
        return np.asarray(x, dtype="float64"), np.asarray(y, dtype="float64")


def point_model(
    sites: pd.DataFrame,
    area: Any,
    *,
    model: str,
    link_budget: Any = None,
) -> PointModel:
    """Prepare the cells of a site table for :func:`predict_rsrp` and :func:`best_server`.

    Parameters
    ----------
    sites : DataFrame
        Canonical site table (:data:`phusong.schema.SITE_COLUMNS`), optionally
        with the engine's per-cell columns (``path_loss_model``,
        ``pl_offset_db`` …).
    area : GeoDataFrame
        Wards (or any area): the grid's equal-area CRS is centred on them, as
        in an audit.
    model : str
        Path-loss model (a name of :data:`phusong.models.MODELS`).
    link_budget : LinkBudget, optional
        Default: the outdoor median link budget (no indoor loss, reliability
        0.5), which is what a measurement in the street sees on average.

    Raises
    ------
    DataError
        Unusable site rows, or cell ids that are not unique.
    """
    if link_budget is None:
        link_budget = prop.LinkBudget()
    sites, engine_model = physics_sites(sites, area, model, link_budget)
    grid = GridSpec.for_area(area, resolution_m=100.0)
    cells, params = prepare_cells(sites, grid, model=engine_model, link_budget=link_budget)
    band = _per_cell(sites, cells, "band")
    scenario = np.array(prop.PATH_LOSS_MODELS, dtype=object)[cells.model_code.astype("int64")]
    return PointModel(cells, params, grid, band, scenario)


def physics_sites(
    sites: pd.DataFrame, area: Any, model: str, link_budget: Any
) -> tuple[pd.DataFrame, str]:
    """Add the audit's per-cell physics for ``model`` to a site table; name the engine's model.

    The same step as an audit's (:func:`phusong.physics.engine_sites`): per-band
    numerology, and for ``planning`` each cell's scenario (``path_loss_model``)
    from the ward it stands in, with TR 38.901 NLOS path loss. Reliability 0.5
    (no shadow margin): the prediction is the median.
    """
    from types import SimpleNamespace

    from phusong.options import AUDIT
    from phusong.physics import engine_sites

    params = SimpleNamespace(
        model=model,
        reliability=0.5,
        o2i_model=AUDIT["o2i_model"].default,
        los_probability=False,
    )
    physics = engine_sites(sites, area, params, link_budget=link_budget)
    return physics.sites, physics.engine_model


def _per_cell(sites: pd.DataFrame, cells: CellArrays, column: str) -> np.ndarray:
    """Column of the site table in the cells' canonical order (object, ``""`` when missing)."""
    if column not in sites.columns:
        return np.full(len(cells), "", dtype=object)
    ids = pd.Index(sites["cell_id"].astype("string").fillna("").to_numpy(dtype=object))
    if not ids.is_unique:
        dup = ids[ids.duplicated()][0]
        raise DataError(
            f"cell id {dup!r} appears more than once in the site table; calibration needs "
            "unique cell ids (read the sites with phusong.read_sites).",
            file="<sites>",
        )
    pos = ids.get_indexer(pd.Index(cells.cell_ids))
    values = sites[column].astype("string").fillna("").to_numpy(dtype=object)
    return np.where(pos >= 0, values[np.maximum(pos, 0)], "").astype(object)


def predict_rsrp(
    pm: PointModel, cell: np.ndarray, x_m: np.ndarray, y_m: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Return the model's RSRP of ``cell`` at points ``(x_m, y_m)``, and the 2D distance.

    Parameters
    ----------
    pm : PointModel
        Prepared cells.
    cell : ndarray of int
        Cell index (into ``pm.cells``) per point; −1 gives NaN.
    x_m, y_m : ndarray
        Points in the grid CRS [m] (:meth:`PointModel.to_grid`).

    Returns
    -------
    rsrp_dbm : ndarray
        ``base − PL(d) − offset − slope·log10(d3D/1 km) − A(φ, θ)`` [dBm].
    distance_m : ndarray
        2D distance from the cell [m].

    Notes
    -----
    Same terms as the grid: ``base`` = EIRP − 10 log10(12 N_RB) − extra
    losses (:class:`~phusong.raster.cells.CellArrays`), path loss per the
    cell's model plus its calibration
    (:func:`phusong.raster.cellmodel.cell_path_loss_db`), and the sector
    pattern of :func:`phusong.propagation.sector_attenuation_db` with the
    bearing and the azimuth both measured from grid north.
    """
    c = pm.cells
    cell = np.asarray(cell, dtype="int64")
    ok = cell >= 0
    i = np.where(ok, cell, 0)
    dx = np.asarray(x_m, dtype="float64") - c.x_m[i]
    dy = np.asarray(y_m, dtype="float64") - c.y_m[i]
    d = np.hypot(dx, dy)
    h_ut = pm.params.h_ut_m
    pl = cell_path_loss_db(
        d, c.model_code[i], c.frequency_ghz[i], c.h_bs_m[i], h_ut,
        c.pl_offset_db[i], c.pl_slope_db_per_decade[i],
    )  # fmt: skip
    bearing = np.degrees(np.arctan2(dx, dy))
    att = prop.sector_attenuation_db(
        bearing, c.azimuth_deg[i], d, h_bs_m=c.h_bs_m[i], h_ut_m=h_ut, tilt_deg=c.tilt_deg[i],
        beamwidth_deg=c.beamwidth_deg[i],
        vertical_beamwidth_deg=pm.params.vertical_beamwidth_deg,
    )  # fmt: skip
    rsrp = c.base_dbm[i] - pl + np.asarray(att, dtype="float64")
    return np.where(ok, rsrp, np.nan), np.where(ok, d, np.nan)


def antenna_loss_db(
    bearing_deg: np.ndarray,
    azimuth_deg: np.ndarray,
    distance_m: np.ndarray,
    dh_m: np.ndarray,
    tilt_deg: np.ndarray,
    beamwidth_deg: np.ndarray,
    vertical_beamwidth_deg: float,
) -> np.ndarray:
    """Sector antenna attenuation relative to boresight [dB, ≤ 0] (lean, float64).

    The pattern of :func:`phusong.propagation.sector_attenuation_db` with the
    engine's filled beamwidth and tilt (no NaN but the omni azimuth), written
    out for the best-server search; the tests hold the two equal.

    Parameters
    ----------
    bearing_deg, azimuth_deg : ndarray
        Bearing of the point and antenna azimuth, from the same north [degrees]
        (azimuth NaN: omni, 0 dB).
    distance_m : ndarray
        2D distance [m].
    dh_m : ndarray
        hBS − hUT [m].
    tilt_deg, beamwidth_deg : ndarray
        Downtilt and horizontal half-power beamwidth [degrees] (≥ 360: omni).
    vertical_beamwidth_deg : float
        Vertical half-power beamwidth [degrees].

    Notes
    -----
    −min(min(12 (φ/φ3dB)², 30) + min(12 ((θ − tilt)/θ3dB)², 30), 30) with
    φ = bearing − azimuth wrapped to [−180°, 180°) and θ = atan2(ΔH, d) in
    degrees (TR 38.901 Table 7.3-1).
    """
    phi = (bearing_deg - azimuth_deg + 180.0) % 360.0 - 180.0
    a_h = np.minimum(12.0 * np.square(phi / beamwidth_deg), 30.0)
    theta = np.degrees(np.arctan2(dh_m, distance_m)) - tilt_deg
    a_v = np.minimum(12.0 * np.square(theta / vertical_beamwidth_deg), 30.0)
    att = -np.minimum(a_h + a_v, 30.0)
    omni = np.isnan(azimuth_deg) | (beamwidth_deg >= 360.0)
    return np.where(omni, 0.0, att)


def distance_3d_m(pm: PointModel, cell: np.ndarray, distance_m: np.ndarray) -> np.ndarray:
    """3D distance of the calibration term, sqrt(max(d, 10 m)² + (hBS − hUT)²) [m]."""
    h = pm.cells.h_bs_m[np.maximum(np.asarray(cell, dtype="int64"), 0)]
    return np.hypot(np.maximum(distance_m, prop.MIN_DISTANCE_M), h - pm.params.h_ut_m)


@dataclass(frozen=True)
class Layer:
    """One (operator, band) layer of cells with a KD-tree over its site locations.

    ``loc_cells`` is ``(n_locations, max cells per location)``, −1 padded;
    ``shared`` says whether the cells of every location share their path loss
    (model, frequency, height, calibration), so that it is computed once per
    location.
    """

    operator: str
    band: str
    tree: cKDTree
    loc_cells: np.ndarray
    shared: bool


def layers(pm: PointModel) -> list[Layer]:
    """Split the cells into (operator, band) layers, each with a site-location KD-tree."""
    c = pm.cells
    frame = pd.DataFrame(
        {
            "operator": c.cell_operator,
            "band": pm.band,
            "loc": c.loc_index,
            "cell": np.arange(len(c)),
        }
    )
    out = []
    for (op, band), part in frame.groupby(["operator", "band"], sort=True):
        loc_codes, locs = pd.factorize(part["loc"].to_numpy())
        counts = np.bincount(loc_codes)
        table = np.full((len(locs), int(counts.max())), -1, dtype="int64")
        slot = part.groupby(loc_codes).cumcount().to_numpy()
        table[loc_codes, slot] = part["cell"].to_numpy()
        first = table[:, 0]
        tree = cKDTree(np.column_stack([c.x_m[first], c.y_m[first]]))
        out.append(Layer(str(op), str(band), tree, table, _shares_path_loss(c, table)))
    return out


def _shares_path_loss(c: CellArrays, table: np.ndarray) -> bool:
    """Whether the cells of each location (row of ``table``) share every path-loss input."""
    cells = np.where(table >= 0, table, table[:, :1])
    return all(
        bool(np.all(values[cells] == values[cells[:, :1]]))
        for values in (c.model_code, c.frequency_ghz, c.h_bs_m, c.pl_offset_db,
                       c.pl_slope_db_per_decade)
    )  # fmt: skip


def _layer_candidates(
    pm: PointModel, layer: Layer, near: np.ndarray, x_m: np.ndarray, y_m: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """RSRP [dBm] of every cell of the ``near`` locations of each point, and the cells.

    Path loss is computed once per (point, location) when the layer's
    locations share it (:attr:`Layer.shared`); the antenna pattern per cell.
    Same terms as :func:`predict_rsrp`. Padding slots give −inf.
    """
    cand = layer.loc_cells[near]  # (points, k, cells per location)
    if not layer.shared:
        rows = np.repeat(np.arange(len(x_m)), cand.shape[1] * cand.shape[2])
        v, _ = predict_rsrp(pm, cand.ravel(), x_m[rows], y_m[rows])
        return np.where(np.isfinite(v), v, -np.inf).reshape(cand.shape), cand
    c, h_ut = pm.cells, pm.params.h_ut_m
    first = cand[:, :, 0]
    dx = x_m[:, None] - c.x_m[first]
    dy = y_m[:, None] - c.y_m[first]
    d = np.hypot(dx, dy)
    pl = cell_path_loss_db(
        d, c.model_code[first], c.frequency_ghz[first], c.h_bs_m[first], h_ut,
        c.pl_offset_db[first], c.pl_slope_db_per_decade[first],
    )  # fmt: skip
    ci = np.where(cand >= 0, cand, first[:, :, None])
    att = antenna_loss_db(
        np.degrees(np.arctan2(dx, dy))[:, :, None], c.azimuth_deg[ci], d[:, :, None],
        (c.h_bs_m[first] - h_ut)[:, :, None], c.tilt_deg[ci], c.beamwidth_deg[ci],
        pm.params.vertical_beamwidth_deg,
    )  # fmt: skip
    v = c.base_dbm[ci] - pl[:, :, None] + att
    return np.where(cand >= 0, v, -np.inf), cand


def _chunks(n: int, size: int = CHUNK_POINTS) -> Iterator[slice]:
    for start in range(0, n, size):
        yield slice(start, min(start + size, n))


def best_server(
    pm: PointModel,
    x_m: np.ndarray,
    y_m: np.ndarray,
    operator: np.ndarray | pd.Series | None,
    band: np.ndarray | pd.Series | None,
    *,
    nearest_sites: int = DEFAULT_NEAREST_SITES,
) -> tuple[np.ndarray, np.ndarray]:
    """Strongest cell at each point among the layers the point may be served by.

    Parameters
    ----------
    pm : PointModel
        Prepared cells.
    x_m, y_m : ndarray
        Points in the grid CRS [m].
    operator, band : ndarray of object or Series
        The point's operator and band; missing / ``"unknown"`` / ``""``
        allows every layer.
    nearest_sites : int
        Site locations searched per layer.

    Returns
    -------
    cell : ndarray of int
        Best cell (−1 where no layer is allowed).
    rsrp_dbm : ndarray
        Its RSRP [dBm] (NaN where none).
    """
    n = len(x_m)
    best_cell = np.full(n, -1, dtype="int64")
    best_rsrp = np.full(n, -np.inf)
    op_code, op_names = _factor(operator, n)
    bd_code, bd_names = _factor(band, n)
    for layer in layers(pm):
        op_ok = [i for i, name in enumerate(op_names) if name in ("", layer.operator)]
        bd_ok = [i for i, name in enumerate(bd_names) if name in ("", layer.band)]
        allowed = np.flatnonzero(np.isin(op_code, op_ok) & np.isin(bd_code, bd_ok))
        k = min(nearest_sites, layer.loc_cells.shape[0])
        for part in _chunks(allowed.size):
            pts = allowed[part]
            _, near = layer.tree.query(np.column_stack([x_m[pts], y_m[pts]]), k=k)
            near = np.asarray(near).reshape(len(pts), k)
            v, cand = _layer_candidates(pm, layer, near, x_m[pts], y_m[pts])
            v, cand = v.reshape(len(pts), -1), cand.reshape(len(pts), -1)
            j = np.argmax(v, axis=1)
            top = v[np.arange(len(pts)), j]
            top_cell = cand[np.arange(len(pts)), j]
            better = (top > best_rsrp[pts]) | (
                (top == best_rsrp[pts]) & (top_cell >= 0) & (top_cell < best_cell[pts])
            )
            best_rsrp[pts[better]] = top[better]
            best_cell[pts[better]] = top_cell[better]
    return best_cell, np.where(best_cell >= 0, best_rsrp, np.nan)


def _factor(values: Any, n: int) -> tuple[np.ndarray, list[str]]:
    """Codes and distinct values of stripped text; missing and ``unknown`` become ``""``."""
    if values is None:
        return np.zeros(n, dtype="int64"), [""]
    s = values if isinstance(values, pd.Series) else pd.Series(values, dtype="string")
    codes, uniques = pd.factorize(s.astype("string").reset_index(drop=True), use_na_sentinel=True)
    names = [str(u).strip() for u in uniques]
    names = ["" if name.lower() == "unknown" else name for name in names] + [""]
    return np.where(codes < 0, len(names) - 1, codes), names


__all__ = [
    "CHUNK_POINTS",
    "DEFAULT_NEAREST_SITES",
    "Layer",
    "PointModel",
    "antenna_loss_db",
    "best_server",
    "distance_3d_m",
    "layers",
    "point_model",
    "predict_rsrp",
]
