"""Every ward at least X %: the planner's greedy with a floor per ward.

Added for issue #16 (the app's "every ward ≥ X %" mode, next to the city
target). A city target asks for people *anywhere*; a floor asks each ward for
*its own* share of residents. The planner then works in two phases on the
same coverage matrix (:mod:`phusong.planning.solvers`):

1. **Floors.** Each ward ``w`` needs ``need_w = max(0, floor × P_w − C_w)``
   more people covered (``P_w`` its population, ``C_w`` those already
   covered; at most the people in its gaps). A candidate's gain is the
   *capped* new coverage ``Σ_w min(new_w, remaining need_w)``: people beyond
   a ward's need count for nothing in this phase. Capped coverage is monotone
   and submodular (a concave function of a modular one, summed), so the lazy
   greedy's upper bounds stay valid (Minoux 1978) and the greedy keeps its
   ``1 − 1/e`` flavour. The phase stops when every need is met or no
   candidate helps any ward still short.
2. **City target.** If the city target is not reached yet, the ordinary
   greedy (:func:`~phusong.planning.solvers.greedy`) continues on the people
   still uncovered, without the candidates already chosen or in conflict
   with them.

Figures are estimates on the demand grid, like every planner figure; the
re-audit of :func:`phusong.plan.run_plan` checks each ward.
"""

from __future__ import annotations

import heapq
import time
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from phusong.planning.solvers import GreedyResult, greedy, reaches

#: Needs below this many people count as met [people] (float noise in the sums).
NEED_TOL = 1e-6


def ward_needs(
    wards: pd.DataFrame, demand_ward: np.ndarray, weights: np.ndarray, floor_pct: float
) -> tuple[np.ndarray, np.ndarray]:
    """Group of each demand point and the people each ward still needs.

    Parameters
    ----------
    wards : DataFrame
        ``ward_id``, ``population`` and ``covered_population`` [people].
    demand_ward : ndarray of str, shape (m,)
        Ward id of each demand point.
    weights : ndarray, shape (m,)
        People each demand point stands for [people].
    floor_pct : float
        Share of its residents every ward must reach [%].

    Returns
    -------
    groups : ndarray of int, shape (m,)
        Row of ``wards`` of each demand point (``-1``: no ward).
    needs : ndarray of float, shape (len(wards),)
        ``min(max(0, floor/100 × population − covered), people in its gaps)``
        [people].
    """
    ids = wards["ward_id"].astype(str).to_numpy()
    index = pd.Index(ids)
    groups = index.get_indexer(pd.Index(np.asarray(demand_ward).astype(str)))
    pop = pd.to_numeric(wards["population"], errors="coerce").fillna(0.0).to_numpy("float64")
    cov = (
        pd.to_numeric(wards["covered_population"], errors="coerce").fillna(0.0).to_numpy("float64")
    )
    in_gaps = np.bincount(groups[groups >= 0], weights[groups >= 0], minlength=len(ids))
    needs = np.minimum(np.maximum(floor_pct / 100.0 * pop - cov, 0.0), in_gaps)
    return groups, needs


def floor_greedy(
    cover: sp.csr_matrix,
    weights: np.ndarray,
    groups: np.ndarray,
    needs: np.ndarray,
    conflicts: np.ndarray | None = None,
) -> GreedyResult:
    """Lazy greedy on the capped coverage ``Σ_w min(new_w, remaining need_w)``.

    Parameters
    ----------
    cover : scipy.sparse.csr_matrix, shape (n, m)
        Candidate × demand-point coverage.
    weights : ndarray, shape (m,)
        People per demand point [people].
    groups : ndarray of int, shape (m,)
        Ward (row) of each demand point; ``-1`` counts for no ward.
    needs : ndarray, shape (g,)
        People each ward still needs [people].
    conflicts : ndarray, shape (k, 2), optional
        Candidate pairs that may not both be chosen.

    Returns
    -------
    GreedyResult
        ``gains`` are the people each chosen site newly covers (uncapped, as
        the planner's curve counts them); ``reached_target`` says whether
        every need was met.
    """
    t0 = time.perf_counter()
    mat = sp.csr_matrix(cover, dtype=bool)
    n, m = mat.shape
    w = np.asarray(weights, dtype="float64")
    g = np.where(groups >= 0, groups, len(needs))  # "no ward" = an extra group needing nothing
    remaining = np.append(np.asarray(needs, dtype="float64"), 0.0)
    banned = np.zeros(n, dtype=bool)
    graph = _conflicts(conflicts, n)
    covered = np.zeros(m, dtype=bool)

    def capped_gain(i: int) -> float:
        idx = mat.indices[mat.indptr[i] : mat.indptr[i + 1]]
        idx = idx[~covered[idx]]
        per = np.bincount(g[idx], w[idx], minlength=len(remaining))
        return float(np.minimum(per, remaining).sum())

    heap = [(-gain, i) for i in range(n) if (gain := capped_gain(i)) > NEED_TOL]
    heapq.heapify(heap)
    order: list[int] = []
    gains: list[float] = []
    while heap and remaining.sum() > NEED_TOL:
        _, i = heapq.heappop(heap)
        if banned[i]:
            continue
        fresh = capped_gain(i)
        if fresh <= NEED_TOL:
            continue
        if heap and fresh < -heap[0][0] - 1e-12:  # stale bound: put back with the fresh gain
            heapq.heappush(heap, (-fresh, i))
            continue
        idx = mat.indices[mat.indptr[i] : mat.indptr[i + 1]]
        idx = idx[~covered[idx]]
        remaining -= np.minimum(np.bincount(g[idx], w[idx], minlength=len(remaining)), remaining)
        covered[idx] = True
        order.append(i)
        gains.append(float(w[idx].sum()))
        banned[i] = True
        banned[graph.indices[graph.indptr[i] : graph.indptr[i + 1]]] = True
    return GreedyResult(
        order=np.asarray(order, dtype=np.int64),
        gains=np.asarray(gains, dtype="float64"),
        covered=covered,
        covered_weight=float(np.sum(gains)),
        reached_target=bool(remaining.sum() <= NEED_TOL * max(len(needs), 1)),
        time_s=time.perf_counter() - t0,
    )


def _conflicts(conflicts: np.ndarray | None, n: int) -> sp.csr_matrix:
    """Symmetric candidate × candidate conflict graph."""
    pairs = np.zeros((0, 2), dtype=np.int64) if conflicts is None else np.asarray(conflicts)
    pairs = pairs.reshape(-1, 2).astype(np.int64)
    data = np.ones(2 * len(pairs), dtype=bool)
    rows = np.concatenate([pairs[:, 0], pairs[:, 1]])
    cols = np.concatenate([pairs[:, 1], pairs[:, 0]])
    return sp.csr_matrix((data, (rows, cols)), shape=(n, n))


def floor_then_target(
    cover: sp.csr_matrix,
    weights: np.ndarray,
    groups: np.ndarray,
    needs: np.ndarray,
    target_weight: float,
    conflicts: np.ndarray | None = None,
) -> GreedyResult:
    """Phase 1 (:func:`floor_greedy`), then the ordinary greedy up to the city target.

    Parameters
    ----------
    cover, weights, groups, needs, conflicts
        As for :func:`floor_greedy`.
    target_weight : float
        People to cover in all for the city target [people].

    Returns
    -------
    GreedyResult
        Both phases' sites in the order added; ``reached_target`` is the
        city target's (the floors' outcome is checked by the re-audit).
    """
    t0 = time.perf_counter()
    mat = sp.csr_matrix(cover, dtype=bool)
    first = floor_greedy(mat, weights, groups, needs, conflicts)
    order, gains, covered = list(first.order), list(first.gains), first.covered.copy()
    total = float(first.covered_weight)
    if not reaches(total, target_weight):
        graph = _conflicts(conflicts, mat.shape[0])
        blocked = np.zeros(mat.shape[0], dtype=bool)
        blocked[first.order] = True
        for i in first.order:
            blocked[graph.indices[graph.indptr[i] : graph.indptr[i + 1]]] = True
        keep = np.flatnonzero(~blocked)
        rest = np.where(covered, 0.0, np.asarray(weights, dtype="float64"))
        kept_pairs = _kept_pairs(conflicts, keep, mat.shape[0])
        second = greedy(mat[keep], rest, target_weight=target_weight - total, conflicts=kept_pairs)
        order += [int(keep[i]) for i in second.order]
        gains += list(second.gains)
        covered |= second.covered
        total += float(second.covered_weight)
    return GreedyResult(
        order=np.asarray(order, dtype=np.int64),
        gains=np.asarray(gains, dtype="float64"),
        covered=covered,
        covered_weight=total,
        reached_target=reaches(total, target_weight),
        time_s=time.perf_counter() - t0,
    )


def _kept_pairs(conflicts: np.ndarray | None, keep: np.ndarray, n: int) -> np.ndarray:
    """Conflict pairs among the kept candidates, renumbered to their position in ``keep``."""
    if conflicts is None or not len(conflicts):
        return np.zeros((0, 2), dtype=np.int64)
    pos = np.full(n, -1, dtype=np.int64)
    pos[keep] = np.arange(len(keep))
    pairs = pos[np.asarray(conflicts, dtype=np.int64).reshape(-1, 2)]
    return pairs[(pairs >= 0).all(axis=1)]


def wards_below_floor(result: Any, floor_pct: float) -> int:
    """Wards of an audit whose population coverage is below ``floor_pct`` [%].

    A ward with no people meets any floor; one with unknown coverage does not.
    """
    pct = pd.to_numeric(result.wards["population_coverage_pct"], errors="coerce")
    pop = pd.to_numeric(result.wards["population"], errors="coerce").fillna(0.0)
    below = (pct < float(floor_pct) - 1e-9) | (pct.isna() & (pop > 0))
    return int(below.sum())


def floor_met(result: Any, floor_pct: float | None) -> bool:
    """Whether every ward of ``result`` reaches ``floor_pct`` (``True`` without a floor)."""
    return floor_pct is None or wards_below_floor(result, floor_pct) == 0


def floor_summary(after: Any, floor_pct: float | None) -> dict[str, Any]:
    """Summary entries of a plan with a floor: the floor and the wards still below it.

    ``meets_ward_floor_after`` and ``wards_below_floor_after`` are ``None``
    without a re-audit; nothing is added without a floor.
    """
    if floor_pct is None:
        return {}
    below = None if after is None else wards_below_floor(after, floor_pct)
    return {
        "ward_floor_pct": float(floor_pct),
        "meets_ward_floor_after": None if below is None else below == 0,
        "wards_below_floor_after": below,
    }


__all__ = [
    "NEED_TOL",
    "floor_greedy",
    "floor_met",
    "floor_summary",
    "floor_then_target",
    "ward_needs",
    "wards_below_floor",
]
