"""Point prediction and candidate footprints from the grid engine's cell arrays.

Two questions other steps ask of the same physics as the grid:

* :func:`point_rsrp_dbm` / :func:`predict_rsrp_dbm` — the RSRP of given
  cells at given points (calibration compares it with measurements). It is
  the reference formula of :mod:`phusong.raster.reference` evaluated at the
  points instead of at pixel centres (float64), so at a pixel centre it
  equals the grid's RSRP of that cell (the tests hold the two within
  0.01 dB).
* :func:`candidate_coverage` — for a batch of candidate sites, which demand
  pixels each would serve (RSRP ≥ threshold, outdoors or indoors), computed
  by the grid engine itself (:func:`phusong.raster.kernel.compute_tile` on
  each candidate's own window), as a sparse sites × demand-pixels matrix for
  the planner.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
from rasterio.windows import Window

from phusong.errors import ConfigError
from phusong.raster.cellmodel import cell_path_loss_db
from phusong.raster.cells import CellArrays, prepare_cells
from phusong.raster.kernel import compute_tile
from phusong.raster.spec import GridSpec, TileParams
from phusong.raster.tile import ANTENNA_MAX_ATTENUATION_DB


def antenna_attenuation_db(
    cells: CellArrays, params: TileParams, cell: np.ndarray, dx_m: np.ndarray, dy_m: np.ndarray
) -> np.ndarray:
    """Antenna attenuation of ``cell`` towards offsets ``(dx_m, dy_m)`` [dB, positive], float64.

    min(12 (φ/φ3dB)² + min(12 ((θ − tilt)/θ3dB)², A_m), A_m) with φ the angle
    off boresight (grid bearings) and θ the depression angle; 0 for omni cells
    (TR 38.901 Table 7.3-1, as :func:`phusong.propagation.sector_attenuation_db`).
    """
    az = cells.azimuth_deg[cell]
    d = np.hypot(dx_m, dy_m)
    bearing = np.degrees(np.arctan2(dx_m, dy_m))
    phi = (bearing - np.nan_to_num(az) + 180.0) % 360.0 - 180.0
    a_m = ANTENNA_MAX_ATTENUATION_DB
    a_h = np.minimum(12.0 * (phi / cells.beamwidth_deg[cell]) ** 2, a_m)
    theta = np.degrees(np.arctan2(cells.h_bs_m[cell] - params.h_ut_m, d)) - cells.tilt_deg[cell]
    a_v = np.minimum(12.0 * (theta / params.vertical_beamwidth_deg) ** 2, a_m)
    return np.where(np.isfinite(az), np.minimum(a_h + a_v, a_m), 0.0)


def point_rsrp_dbm(
    cells: CellArrays,
    params: TileParams,
    x_m: np.ndarray,
    y_m: np.ndarray,
    cell: np.ndarray | None = None,
    *,
    extra_loss_db: np.ndarray | float = 0.0,
) -> np.ndarray:
    """RSRP of cells at points in the grid CRS [dBm], float64.

    Parameters
    ----------
    cells : CellArrays
        The run's cells (:func:`phusong.raster.cells.prepare_cells`).
    params : TileParams
        The run's constants.
    x_m, y_m : ndarray
        Points in the grid CRS [m].
    cell : ndarray of int, optional
        Position (into ``cells``) of the cell for each point: the result is
        one value per point. Without it, every cell at every point: shape
        ``(n_points, n_cells)``.
    extra_loss_db : ndarray or float
        A loss added per value [dB] (e.g. terrain at the points), broadcast
        against the result.

    Returns
    -------
    ndarray
        EIRP − 10 log10(12 N_RB) − extra losses − calibrated path loss −
        antenna attenuation [dBm] (:func:`phusong.raster.kernel.compute_tile`'s
        formula, without terrain unless given in ``extra_loss_db``).

    Raises
    ------
    ConfigError
        A footprint model (no RSRP).
    """
    if params.footprint:
        raise ConfigError(f"the {params.model!r} model has no RSRP; choose a path-loss model.")
    x = np.asarray(x_m, dtype="float64")
    y = np.asarray(y_m, dtype="float64")
    if cell is None:
        idx = np.broadcast_to(np.arange(len(cells)), (x.size, len(cells)))
        x, y = x.reshape(-1, 1), y.reshape(-1, 1)
    else:
        idx = np.asarray(cell, dtype="int64")
    dx, dy = x - cells.x_m[idx], y - cells.y_m[idx]
    pl = cell_path_loss_db(
        np.hypot(dx, dy), cells.model_code[idx], cells.frequency_ghz[idx], cells.h_bs_m[idx],
        params.h_ut_m, cells.pl_offset_db[idx], cells.pl_slope_db_per_decade[idx],
    )  # fmt: skip
    att = antenna_attenuation_db(cells, params, idx, dx, dy)
    return cells.base_dbm[idx] - pl - att - extra_loss_db


def predict_rsrp_dbm(
    sites: pd.DataFrame,
    grid: GridSpec,
    x_m: np.ndarray,
    y_m: np.ndarray,
    *,
    model: str,
    link_budget: Any = None,
    cell: np.ndarray | None = None,
) -> tuple[np.ndarray, CellArrays]:
    """:func:`point_rsrp_dbm` from a site table: prepares the cells as the grid does.

    Parameters
    ----------
    sites : DataFrame
        Canonical site table (with any per-cell columns of
        :data:`phusong.raster.cells.CELL_OPTION_COLUMNS`).
    grid : GridSpec
        The grid whose CRS the points are in.
    x_m, y_m : ndarray
        Points [m].
    model : str
        Path-loss model (cells with their own ``path_loss_model`` use theirs).
    link_budget : LinkBudget, optional
        As for :func:`phusong.raster.grid.compute_grid`.
    cell : ndarray of int, optional
        Cell position per point, in the *canonical* order of the returned
        :class:`CellArrays` (``cells.cell_ids`` names them).

    Returns
    -------
    (ndarray, CellArrays)
        The RSRP [dBm] and the cells (for their ids and order).
    """
    cells, params = prepare_cells(sites, grid, model=model, link_budget=link_budget)
    return point_rsrp_dbm(cells, params, x_m, y_m, cell), cells


# --------------------------------------------------------------------------- planning


def candidate_coverage(
    candidates: pd.DataFrame,
    grid: GridSpec,
    demand: np.ndarray,
    *,
    model: str,
    link_budget: Any = None,
    layer: Literal["outdoor", "indoor"] = "outdoor",
    terrain: Any = None,
) -> tuple[Any, np.ndarray]:
    """Which demand pixels each candidate site would serve, by the grid engine.

    Parameters
    ----------
    candidates : DataFrame
        Candidate cells as a canonical site table (one row per cell, sectors
        of a candidate share its ``site_id``), with any per-cell columns of
        :data:`phusong.raster.cells.CELL_OPTION_COLUMNS`.
    grid : GridSpec
        The audit's grid.
    demand : ndarray
        ``(height, width)`` bool mask of the demand pixels, or int64 flat
        pixel indices (``row * width + col``).
    model : str
        Path-loss model, as for :func:`phusong.raster.grid.compute_grid`.
    link_budget : LinkBudget, optional
        Threshold and losses.
    layer : {"outdoor", "indoor"}
        Served outdoors (RSRP ≥ threshold) or indoors (RSRP − O2I loss −
        indoor margin ≥ threshold; needs the O2I columns).
    terrain : TerrainLoss, optional
        As for :func:`phusong.raster.grid.compute_grid`.

    Returns
    -------
    (scipy.sparse.csr_matrix, ndarray)
        Boolean matrix ``(n_sites, n_demand)``: entry (i, j) is True when
        candidate site i serves demand pixel j (in the order of the flat
        indices; for a mask, row-major). And the candidate site ids of the rows.

    Notes
    -----
    Each candidate is evaluated alone on its own pixel box with the same
    kernel, cells and thresholds as the audit grid, so a pixel counted here
    is one the candidate would serve in a re-audit (SINR criteria aside: they
    depend on the other sites).
    """
    from scipy import sparse

    flat = _demand_pixels(demand, grid)
    column = np.full(grid.width * grid.height, -1, dtype="int64")
    column[flat] = np.arange(flat.size)
    cells, params = prepare_cells(
        candidates, grid, model=model, link_budget=link_budget, terrain=terrain
    )
    if layer == "indoor" and not params.indoor:
        raise ConfigError(
            "layer='indoor' needs the candidates' O2I loss (columns o2i_loss_db / indoor_margin_db)."
        )
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    for i, b in enumerate(cells.site_box):
        c0, c1 = max(int(b[0]), 0), min(int(b[1]) + 1, grid.width)
        r0, r1 = max(int(b[2]), 0), min(int(b[3]) + 1, grid.height)
        if c0 >= c1 or r0 >= r1:
            continue
        mine = np.flatnonzero(cells.site_index == i)
        tile = compute_tile(Window(c0, r0, c1 - c0, r1 - r0), cells.subset(mine), grid, params)
        served = tile.indoor_n_servers if layer == "indoor" else tile.n_servers
        rr, cc = np.nonzero(served)
        hit = column[(rr + r0) * grid.width + (cc + c0)]
        hit = hit[hit >= 0]
        rows.append(np.full(hit.size, i, dtype="int64"))
        cols.append(hit)
    r = np.concatenate(rows) if rows else np.empty(0, "int64")
    c = np.concatenate(cols) if cols else np.empty(0, "int64")
    matrix = sparse.csr_matrix(
        (np.ones(r.size, dtype=bool), (r, c)), shape=(len(cells.site_ids), flat.size)
    )
    return matrix, np.asarray(cells.site_ids, dtype=object)


def _demand_pixels(demand: np.ndarray, grid: GridSpec) -> np.ndarray:
    """Flat pixel indices of a demand mask or index array, checked against ``grid``."""
    arr = np.asarray(demand)
    if arr.dtype == bool:
        if arr.shape != grid.shape:
            raise ConfigError(
                f"demand mask shape {arr.shape} does not match the grid {grid.shape}."
            )
        return np.flatnonzero(arr.ravel())
    flat = arr.astype("int64").ravel()
    if flat.size and (flat.min() < 0 or flat.max() >= grid.width * grid.height):
        raise ConfigError("demand pixel indices must lie in 0 … width·height − 1.")
    return flat


__all__ = [
    "antenna_attenuation_db",
    "candidate_coverage",
    "point_rsrp_dbm",
    "predict_rsrp_dbm",
]
