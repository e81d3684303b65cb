"""Downlink throughput per ward, population-weighted: does the network deliver the speed.

Plan 58/KH-UBND asks for a mean 5G download of at least 100 Mbit/s
(docs/sources.md, "Goals"). From the best server's SINR of every pixel of a
path-loss raster (:class:`phusong.raster.grid.GridResult`) and the serving
cell's carrier, :func:`phusong.propagation.throughput.downlink_throughput_mbps`
gives a user's downlink rate; :func:`ward_throughput` weights it by the
people of each (ward, pixel) piece (:mod:`phusong.raster.ward_pixels`):

- ``throughput_mean_mbps``: mean rate of the people *with 5G service* in the
  ward (population-weighted, over served pixels);
- ``throughput_p10_mbps``: the rate that 10 % of the served people do not
  exceed (weighted 10th percentile, :func:`~phusong.raster.ward_pixels.weighted_quantile`);
- ``above_speed_pct``: share of *all* the ward's people with at least the
  speed target (100 Mbit/s by default) [%];
- ``above_speed_served_pct``: the same share among the served people [%].

The city figures are the same statistics over every ward's pieces. The
footprint models (disc, sector) have no SINR: throughput does not apply and
is not computed (the result says so).

For context only (never used in a computation): VNNIC's i-Speed measured a
mean 5G download of 156.7 Mbit/s in Hà Nội in April 2025 (docs/sources.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from phusong.propagation.throughput import (
    PLAN_58_SPEED_MBPS,
    ThroughputParams,
    downlink_throughput_mbps,
)
from phusong.raster.ward_pixels import WardPixels, ward_weighted_quantile

__all__ = [
    "MEASURED_CONTEXT",
    "SPEED_COLUMNS",
    "SpeedResult",
    "pixel_throughput_mbps",
    "ward_throughput",
]

#: The one measured figure, quoted as context next to the modelled ones (not used).
MEASURED_CONTEXT = (
    "For context: VNNIC i-Speed measured a mean 5G download of 156.7 Mbit/s in Hà Nội "
    "in April 2025 (real networks; not comparable with a model of other data)."
)

#: Per-ward columns added by :func:`ward_throughput`.
SPEED_COLUMNS = (
    "throughput_mean_mbps",
    "throughput_p10_mbps",
    "above_speed_pct",
    "above_speed_served_pct",
)

#: TDD bands (TS 38.101-1 Table 5.2-1); every other band is taken as FDD.
TDD_BANDS = frozenset({"n34", "n38", "n39", "n40", "n41", "n46", "n48", "n77", "n78", "n79"})


@dataclass(frozen=True)
class SpeedResult:
    """Population-weighted throughput per ward and city-wide.

    Attributes
    ----------
    table : DataFrame
        ``ward_id`` and :data:`SPEED_COLUMNS`, one row per ward.
    city : dict
        ``mean_mbps``, ``p10_mbps``, ``above_speed_pct``,
        ``above_speed_served_pct``, ``served_population``, ``speed_target_mbps``,
        ``params`` (every assumption), ``assumptions`` (one line) and
        ``context`` (the measured figure, not used).
    """

    table: pd.DataFrame
    city: dict[str, Any]


def _cell_carriers(grid: Any, sites: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Bandwidth [MHz] and TDD flag of every cell of the grid (``grid.cell_ids`` order)."""
    cells = sites.drop_duplicates("cell_id")
    index = pd.Index(cells["cell_id"].astype(str).to_numpy())
    pos = index.get_indexer(np.asarray(grid.cell_ids).astype(str))
    found = pos >= 0
    bandwidth = pd.to_numeric(cells["bandwidth_mhz"], errors="coerce").to_numpy(dtype="float64")
    bands = cells["band"].astype(str).str.strip().str.lower().to_numpy()
    bw = np.where(found, bandwidth[np.maximum(pos, 0)], np.nan)
    tdd = found & np.isin(bands[np.maximum(pos, 0)], list(TDD_BANDS))
    return bw, tdd


def pixel_throughput_mbps(
    grid: Any, sites: pd.DataFrame, params: ThroughputParams | None = None
) -> np.ndarray:
    """Downlink throughput of every pixel from its best server [Mbit/s] (NaN where unserved).

    Parameters
    ----------
    grid : GridResult
        A path-loss grid (``sinr_db``, ``serving_cell``, ``cell_ids``).
    sites : DataFrame
        The site table the grid was computed from (``cell_id``,
        ``bandwidth_mhz``, ``band``).
    params : ThroughputParams, optional
        Assumptions (default :class:`ThroughputParams`).

    Returns
    -------
    ndarray
        float64 ``(height, width)``.
    """
    bw, tdd = _cell_carriers(grid, sites)
    serving = np.asarray(grid.serving_cell)
    served = (serving >= 0) & np.isfinite(grid.sinr_db)
    out = np.full(serving.shape, np.nan)
    cell = serving[served]
    out[served] = downlink_throughput_mbps(grid.sinr_db[served], bw[cell], tdd[cell], params)
    return out


def ward_throughput(
    ward_ids: np.ndarray,
    pieces: WardPixels,
    throughput_mbps: np.ndarray,
    *,
    params: ThroughputParams,
    speed_target_mbps: float = PLAN_58_SPEED_MBPS,
) -> SpeedResult:
    """Population-weighted throughput statistics per ward and for the city.

    Parameters
    ----------
    ward_ids : ndarray
        Ward id of each ward position of ``pieces``.
    pieces : WardPixels
        The wards' pixels and their people.
    throughput_mbps : ndarray
        ``(height, width)`` throughput [Mbit/s], NaN where unserved
        (:func:`pixel_throughput_mbps`).
    params : ThroughputParams
        The assumptions that produced ``throughput_mbps`` (recorded).
    speed_target_mbps : float
        Speed a person must get to count in ``above_speed_pct`` [Mbit/s].

    Returns
    -------
    SpeedResult

    Notes
    -----
    With p_i the people of piece i and t_i its throughput (served pieces
    only): mean = Σ p_i t_i / Σ p_i; p10 = weighted 10th percentile of t;
    above_speed_pct = 100 Σ_{t_i ≥ target} p_i / ward population.
    """
    t = pieces.at(throughput_mbps)
    served = ~np.isnan(t)
    people = pieces.people
    served_people = pieces.people_in(served)
    above = pieces.people_in(served & (t >= speed_target_mbps))
    sum_pt = pieces.sum_by_ward(np.where(served, people * np.nan_to_num(t), 0.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(served_people > 0, sum_pt / served_people, np.nan)
        pop = pieces.ward_population
        above_pct = np.where(pop > 0, 100.0 * above / pop, np.nan)
        above_served = np.where(served_people > 0, 100.0 * above / served_people, np.nan)
    p10 = ward_weighted_quantile(
        pieces.ward, np.where(served, t, np.nan), people, pieces.n_wards, 0.1
    )
    table = pd.DataFrame(
        {
            "ward_id": pd.array(np.asarray(ward_ids).astype(str), dtype="string"),
            "throughput_mean_mbps": mean,
            "throughput_p10_mbps": p10,
            "above_speed_pct": above_pct,
            "above_speed_served_pct": above_served,
        }
    )
    one_ward = np.zeros(len(t), dtype="int64")
    city_p10 = float(
        ward_weighted_quantile(one_ward, np.where(served, t, np.nan), people, 1, 0.1)[0]
    )
    total_served = float(served_people.sum())
    total_pop = float(np.nansum(pieces.ward_population))
    city = {
        "mean_mbps": float(sum_pt.sum() / total_served) if total_served > 0 else float("nan"),
        "p10_mbps": city_p10,
        "above_speed_pct": 100.0 * float(above.sum()) / total_pop
        if total_pop > 0
        else float("nan"),
        "above_speed_served_pct": 100.0 * float(above.sum()) / total_served
        if total_served > 0
        else float("nan"),
        "served_population": total_served,
        "speed_target_mbps": float(speed_target_mbps),
        "weighting": "population-weighted over the people with 5G service "
        "(above_speed_pct: over all residents)",
        "population_source": pieces.population_source,
        "params": params.as_dict(),
        "assumptions": params.describe(),
        "context": MEASURED_CONTEXT,
    }
    return SpeedResult(table=table, city=city)
