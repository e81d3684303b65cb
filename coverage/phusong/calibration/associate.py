"""Which cell served each measurement, and what the model predicts for it.

Per row, in this order (the method is recorded in ``association``):

1. ``cell_id`` — the file names the serving cell and the site table has it.
   Ids are matched as written (``VTL00001-1``), and OpenCelliD-style ids
   ``mcc-mnc-area-cell`` also by (MNC, cell number), so that an NCI / ECI /
   CGI column finds the cells of an OpenCelliD site file.
2. ``best_server`` — no cell id (or none of the file's ids is in the site
   table, which is noted once): the model's strongest cell of the row's
   operator and band (:func:`phusong.calibration.predict.best_server`).

A row whose id names a cell that is not in the site table, while other ids
match, is left out (its serving cell is missing from the sites, so the model
would be judged on the wrong cell). PCI alone cannot name a cell: site tables
carry no PCI.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from phusong.calibration.predict import (
    DEFAULT_NEAREST_SITES,
    PointModel,
    best_server,
    distance_3d_m,
    predict_rsrp,
)
from phusong.io.validation.values import group_rows

#: Measurements farther than this from the cell matched to them are left out [m].
MAX_CELL_DISTANCE_M = 30_000.0

#: Drop reasons (keys of :data:`phusong.calibration.text.STRINGS`).
NO_CELL = "no_cell"
CELL_NOT_FOUND = "cell_not_found"
TOO_FAR = "too_far"
#: Every drop reason a point can get (here and in :mod:`phusong.calibration.groups`).
DROP_REASONS = (NO_CELL, CELL_NOT_FOUND, TOO_FAR, "too_few", "not_fitted")
#: How a point was matched with its cell.
ASSOCIATIONS = ("cell_id", "best_server", "none")

_OCID = re.compile(r"^\s*(\d{3})-(\d{1,3})-\d+-(\d+)\s*$")
_CGI = re.compile(r"^\s*(\d{3})[-_ ](\d{1,3})[-_ ](?:\d+[-_ ])?(\d+)\s*$")


@dataclass(frozen=True)
class Association:
    """The cell matched to every measurement.

    Attributes
    ----------
    cell : ndarray of int
        Cell index into the point model (−1: none).
    method : ndarray of object
        ``"cell_id"``, ``"best_server"`` or ``"none"``.
    drop : ndarray of object
        Drop reason (:data:`NO_CELL`, :data:`CELL_NOT_FOUND`, :data:`TOO_FAR`)
        or ``None`` for usable rows.
    ids_unmatched : bool
        The file has cell ids but none is in the site table (all rows then use
        the best server).
    """

    cell: np.ndarray
    method: np.ndarray
    drop: np.ndarray
    ids_unmatched: bool


def _site_keys(pm: PointModel) -> dict[object, int]:
    """Cell id (exact) and (MNC, cell number) of OpenCelliD-style ids -> cell index.

    A (MNC, number) key held by two cells is ambiguous and left out.
    """
    keys: dict[object, int] = {}
    tails: dict[tuple[int, int], int] = {}
    for i, cid in enumerate(pm.cells.cell_ids):
        text = str(cid)
        keys[text] = i
        m = _OCID.match(text)
        if m:
            key = (int(m.group(2)), int(m.group(3)))
            tails[key] = -1 if key in tails else i
    keys.update({k: v for k, v in tails.items() if v >= 0})
    return keys


def _lookup(value: object, mnc: float, keys: dict[object, int]) -> int:
    """Cell index of one distinct (cell text, MNC) pair, −1 when not found."""
    text = str(value).strip()
    if text in keys:
        return keys[text]
    m = _CGI.match(text)
    if m:
        return keys.get((int(m.group(2)), int(m.group(3))), -1)
    if text.isdigit() and np.isfinite(mnc):
        return keys.get((int(mnc), int(text)), -1)
    return -1


def match_cell_ids(pm: PointModel, cell_text: pd.Series, mnc: pd.Series) -> np.ndarray:
    """Cell index named by each row's cell id (−1: none given or not found).

    Distinct (id, MNC) pairs are looked up once and broadcast back.
    """
    text = cell_text.reset_index(drop=True)
    mnc_f = pd.to_numeric(mnc, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    given = text.notna().to_numpy(dtype=bool)
    out = np.full(len(text), -1, dtype="int64")
    if not given.any():
        return out
    t_codes, t_uniques = pd.factorize(text[given])
    m_codes, m_uniques = pd.factorize(np.where(np.isnan(mnc_f[given]), -1.0, mnc_f[given]))
    pair, first = group_rows(t_codes, m_codes)
    keys = _site_keys(pm)
    looked = np.array(
        [
            _lookup(
                t_uniques[t_codes[i]],
                m_uniques[m_codes[i]] if m_uniques[m_codes[i]] >= 0 else np.nan,
                keys,
            )
            for i in first
        ],
        dtype="int64",
    )
    out[given] = looked[pair]
    return out


def associate(
    pm: PointModel,
    measurements: pd.DataFrame,
    x_m: np.ndarray,
    y_m: np.ndarray,
    *,
    nearest_sites: int = DEFAULT_NEAREST_SITES,
) -> Association:
    """Match every measurement with the cell that served it (see the module docstring).

    Parameters
    ----------
    pm : PointModel
        Prepared cells.
    measurements : DataFrame
        Canonical measurements (:data:`phusong.io.measurements.MEASUREMENT_COLUMNS`).
    x_m, y_m : ndarray
        Their positions in the grid CRS [m].
    nearest_sites : int
        Site locations searched per layer for the best server.
    """
    n = len(measurements)
    given = measurements["cell_id"].notna().to_numpy(dtype=bool)
    by_id = match_cell_ids(pm, measurements["cell_id"], measurements["mnc"])
    ids_unmatched = bool(given.any() and not (by_id >= 0).any())
    use_id = (by_id >= 0) if not ids_unmatched else np.zeros(n, dtype=bool)
    drop = np.full(n, None, dtype=object)
    if not ids_unmatched:
        drop[given & ~use_id] = CELL_NOT_FOUND
    need = ~use_id & (drop == None)  # noqa: E711 - elementwise on an object array
    cell = np.where(use_id, by_id, -1)
    method = np.where(use_id, "cell_id", "none").astype(object)
    if need.any():
        idx = np.flatnonzero(need)
        found, _ = best_server(
            pm,
            x_m[idx],
            y_m[idx],
            measurements["operator"].iloc[idx],
            measurements["band"].iloc[idx],
            nearest_sites=nearest_sites,
        )
        cell[idx] = found
        method[idx[found >= 0]] = "best_server"
        drop[idx[found < 0]] = NO_CELL
    return Association(cell, method, drop, ids_unmatched)


def point_table(
    pm: PointModel,
    measurements: pd.DataFrame,
    x_m: np.ndarray,
    y_m: np.ndarray,
    assoc: Association,
) -> pd.DataFrame:
    """One row per measurement: its cell, the model's prediction and the excess path loss.

    Columns: ``lon_deg``, ``lat_deg``, ``x_m``, ``y_m``, ``measured_dbm``,
    ``cell_id`` (as given), ``association``, ``cell`` (index), ``serving_cell``
    (id in the site table), ``operator``, ``band``, ``scenario`` (the
    cell's: the calibration group), ``distance_m`` (2D), ``log_d3d`` =
    log10(d3D / 1 km), ``predicted_dbm`` (uncalibrated model),
    ``excess_db`` = predicted − measured, and ``drop`` (reason or ``<NA>``).
    """
    cell = assoc.cell
    predicted, dist = predict_rsrp(pm, cell, x_m, y_m)
    d3 = distance_3d_m(pm, cell, np.where(np.isfinite(dist), dist, 0.0))
    drop = assoc.drop.copy()
    drop[(drop == None) & (dist > MAX_CELL_DISTANCE_M)] = TOO_FAR  # noqa: E711
    measured = measurements["rsrp_dbm"].to_numpy(dtype="float64")
    return pd.DataFrame(
        {
            "lon_deg": measurements["lon_deg"].to_numpy(dtype="float64"),
            "lat_deg": measurements["lat_deg"].to_numpy(dtype="float64"),
            "x_m": x_m,
            "y_m": y_m,
            "measured_dbm": measured,
            "cell_id": measurements["cell_id"].reset_index(drop=True),
            "association": pd.Categorical(assoc.method, categories=ASSOCIATIONS),
            "cell": cell,
            "serving_cell": _per_point(pm.cells.cell_ids, cell),
            "operator": _per_point(pm.cells.cell_operator, cell),
            "band": _per_point(pm.band, cell),
            "scenario": _per_point(pm.scenario, cell),
            "distance_m": dist,
            "log_d3d": np.log10(d3 / 1000.0),
            "predicted_dbm": predicted,
            "excess_db": predicted - measured,
            "drop": pd.Categorical(drop, categories=DROP_REASONS),
        }
    )


def _per_point(per_cell: np.ndarray, cell: np.ndarray) -> pd.Categorical:
    """Give a per-cell attribute at each point's cell, as a categorical (missing where −1).

    Built from codes: the few distinct values are never converted one row at
    a time (a million-row text column costs seconds).
    """
    codes, uniques = pd.factorize(np.asarray(per_cell, dtype=object))
    at = np.where(cell >= 0, codes[np.maximum(cell, 0)], -1)
    return pd.Categorical.from_codes(at, categories=pd.Index(uniques, dtype=object))


__all__ = [
    "ASSOCIATIONS",
    "CELL_NOT_FOUND",
    "DROP_REASONS",
    "MAX_CELL_DISTANCE_M",
    "NO_CELL",
    "TOO_FAR",
    "Association",
    "associate",
    "match_cell_ids",
    "point_table",
]
