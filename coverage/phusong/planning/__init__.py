"""New-site proposals: the fewest new sites that bring the city to its goal.

The audit (:func:`phusong.audit.run_audit`) says which parts of which wards
have no 5G service. This module turns that into a site-selection problem and
solves it:

1. **Demand** (:func:`demand_points`): the gap polygons are discretised into a
   regular grid of points, each carrying the people of the piece of gap it
   stands for. People already covered are a constant.
2. **Candidates** (:func:`grid_candidates`, or a user list): possible new-site
   positions, each with the footprint radius a default new site of the chosen
   operator gets from the *same* model and parameters as the audit.
3. **Coverage matrix** (:func:`coverage_matrix`): sparse candidates × demand
   points, built with a KD-tree (never dense).
4. **Optimisers** on that matrix, pure functions of arrays: :func:`greedy`
   (lazy greedy, the classic ``1 − 1/e`` approximation for a budget) and
   :func:`milp` (exact, HiGHS through :func:`scipy.optimize.milp`, with a time
   limit and the MIP dual bound reported). Both handle a budget of N sites
   (maximum coverage) and the smallest set reaching a target (set cover with
   a coverage constraint), minimum spacing (pairwise conflicts) and excluded
   zones (candidates removed).
5. :func:`propose_sites` runs the whole job and returns a :class:`PlanResult`
   whose proposed sites are in the canonical site-table schema, so that a full
   re-audit (``run_audit`` on existing + proposed sites) can check the plan.

The approximation
-----------------
Coverage figures inside the plan are *estimates on the demand grid*: a demand
point counts as covered when it is within a chosen site's radius, and then
all the people it stands for count as covered. With a cell size ``c`` the
boundary of each footprint is blurred by about ``c/√2``; the relative error of
a site's gain is of order ``c / r`` before it averages out, i.e. small for the
default ``c = 100 m`` and ranges of several hundred metres. People are spread
evenly inside each gap polygon (the audit's own assumption when it has no
population raster). The exact figure comes from re-auditing with the proposed
sites (:meth:`PlanResult.sites_for_audit`).

Operators
---------
The proposed sites belong to one operator (``operator=``). The demand is
whatever gaps the audit reports: if the audit kept all operators, its gaps
are places with no 5G from *any* operator and the plan closes the city's
"any operator" gap (``summary["coverage_counted_for"] == "any"``); if the
audit was run for one operator (``operators=["Viettel"]``), the gaps are that
operator's own and so is the goal. Minimum spacing applies to the chosen sites
among themselves and to existing sites *of the same operator* (sharing a mast
with another operator is allowed).
"""

from __future__ import annotations

import heapq
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from pyproj import CRS
from scipy.optimize import Bounds, LinearConstraint, linprog
from scipy.optimize import milp as _scipy_milp
from scipy.spatial import cKDTree

from phusong.errors import ConfigError, DataError
from phusong.geo import equal_area_crs
from phusong.schema import ANY_OPERATOR, SITE_COLUMNS, WGS84

log = logging.getLogger(__name__)

Method = Literal["greedy", "milp", "both"]

#: Relative tolerance when comparing a covered weight with a target weight.
TARGET_RTOL = 1e-9

#: Extra columns a proposed-site table carries beyond the schema.
PLAN_SITE_EXTRA_COLUMNS = ("order", "covered_people_gain")

# ---------------------------------------------------------------------------
# Matrices
# ---------------------------------------------------------------------------


def coverage_matrix(
    candidate_xy: np.ndarray, demand_xy: np.ndarray, radius_m: float | np.ndarray
) -> sp.csr_matrix:
    """Sparse candidates × demand-points coverage matrix.

    Parameters
    ----------
    candidate_xy : ndarray, shape (n, 2)
        Candidate positions in a metric CRS [m].
    demand_xy : ndarray, shape (m, 2)
        Demand-point positions in the same CRS [m].
    radius_m : float or ndarray, shape (n,)
        Footprint radius of each candidate [m].

    Returns
    -------
    scipy.sparse.csr_matrix
        ``(n, m)`` boolean matrix, ``True`` where the demand point lies within
        (distance ≤) the candidate's radius; column indices sorted per row.

    Notes
    -----
    Built with :meth:`scipy.spatial.cKDTree.query_ball_point` on a tree of the
    demand points: memory is proportional to the number of covered pairs,
    never ``n × m``.
    """
    cand = np.asarray(candidate_xy, dtype="float64").reshape(-1, 2)
    dem = np.asarray(demand_xy, dtype="float64").reshape(-1, 2)
    n, m = len(cand), len(dem)
    r = np.broadcast_to(np.asarray(radius_m, dtype="float64"), (n,))
    if n == 0 or m == 0:
        return sp.csr_matrix((n, m), dtype=bool)
    tree = cKDTree(dem)
    hits = tree.query_ball_point(cand, r=r, return_sorted=True)
    lengths = np.fromiter((len(h) for h in hits), dtype=np.int64, count=n)
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    indices = (
        np.concatenate([np.asarray(h, dtype=np.int64) for h in hits])
        if indptr[-1]
        else np.zeros(0, dtype=np.int64)
    )
    data = np.ones(len(indices), dtype=bool)
    return sp.csr_matrix((data, indices, indptr), shape=(n, m))


def conflict_pairs(xy: np.ndarray, min_spacing_m: float) -> np.ndarray:
    """Pairs of candidates closer than a minimum spacing.

    Parameters
    ----------
    xy : ndarray, shape (n, 2)
        Candidate positions in a metric CRS [m].
    min_spacing_m : float
        Minimum distance between two chosen sites [m]; 0 = no constraint.

    Returns
    -------
    ndarray, shape (k, 2), int64
        Pairs ``(a, b)`` with ``a < b`` and distance ``< min_spacing_m``,
        sorted; each gives the constraint ``x_a + x_b ≤ 1``.
    """
    pts = np.asarray(xy, dtype="float64").reshape(-1, 2)
    if min_spacing_m <= 0 or len(pts) < 2:
        return np.zeros((0, 2), dtype=np.int64)
    pairs = cKDTree(pts).query_pairs(r=float(min_spacing_m), output_type="ndarray")
    pairs = np.sort(np.asarray(pairs, dtype=np.int64).reshape(-1, 2), axis=1)
    d = np.hypot(*(pts[pairs[:, 0]] - pts[pairs[:, 1]]).T)
    pairs = pairs[d < min_spacing_m]  # query_pairs is "≤ r"; spacing means "at least"
    order = np.lexsort((pairs[:, 1], pairs[:, 0]))
    return pairs[order]


def _as_csr(cover: Any) -> sp.csr_matrix:
    mat = sp.csr_matrix(cover)
    mat.eliminate_zeros()
    mat = mat.astype(bool)
    mat.sum_duplicates()
    mat.sort_indices()
    return mat


def _check_weights(weights: Any, m: int) -> np.ndarray:
    w = np.asarray(weights, dtype="float64").reshape(-1)
    if len(w) != m:
        raise ConfigError(f"weights: expected {m} values (one per demand point), got {len(w)}.")
    if not np.all(np.isfinite(w)) or (w < 0).any():
        raise ConfigError("weights: every demand weight must be a finite number ≥ 0.")
    return w


def _check_mode(budget: int | None, target_weight: float | None, *, need_one: bool) -> None:
    if budget is not None and (int(budget) != budget or budget < 0):
        raise ConfigError(f"budget: must be a whole number of sites ≥ 0, got {budget!r}.")
    if target_weight is not None and not np.isfinite(target_weight):
        raise ConfigError(f"target_weight: must be a finite number, got {target_weight!r}.")
    if need_one and (budget is None) == (target_weight is None):
        raise ConfigError(
            "milp: give exactly one of budget= (maximum coverage with N sites) or "
            "target_weight= (fewest sites reaching a covered weight)."
        )


def _conflict_graph(conflicts: Any, n: int) -> sp.csr_matrix:
    pairs = np.asarray(conflicts if conflicts is not None else [], dtype=np.int64).reshape(-1, 2)
    if len(pairs) and (pairs.min() < 0 or pairs.max() >= n):
        raise ConfigError(f"conflicts: candidate indices must be in 0…{n - 1}.")
    rows = np.concatenate([pairs[:, 0], pairs[:, 1]])
    cols = np.concatenate([pairs[:, 1], pairs[:, 0]])
    g = sp.csr_matrix((np.ones(len(rows), dtype=bool), (rows, cols)), shape=(n, n))
    g.sort_indices()
    return g


# ---------------------------------------------------------------------------
# Greedy
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class GreedyResult:
    """Outcome of :func:`greedy`.

    Attributes
    ----------
    order : ndarray of int
        Chosen candidates in the order they were added.
    gains : ndarray of float
        Weight newly covered by each added candidate [people].
    covered : ndarray of bool
        Demand points covered by the chosen set.
    covered_weight : float
        Total covered weight [people] (``gains.sum()``).
    reached_target : bool or None
        Whether ``target_weight`` was reached (``None`` without a target).
    time_s : float
        Wall time [s].
    """

    order: np.ndarray
    gains: np.ndarray
    covered: np.ndarray
    covered_weight: float
    reached_target: bool | None
    time_s: float

    @property
    def n_sites(self) -> int:
        """Number of chosen candidates."""
        return len(self.order)

    @property
    def cumulative(self) -> np.ndarray:
        """Covered weight after 1, 2, … added candidates [people]."""
        return np.cumsum(self.gains)


def _reached(value: float, target: float) -> bool:
    return value >= target - TARGET_RTOL * max(1.0, abs(target))


def greedy(
    cover: sp.csr_matrix,
    weights: np.ndarray,
    *,
    budget: int | None = None,
    target_weight: float | None = None,
    conflicts: np.ndarray | None = None,
) -> GreedyResult:
    """Add the candidate that newly covers the most weight, until done.

    Parameters
    ----------
    cover : scipy.sparse matrix, shape (n, m)
        Candidate × demand-point coverage (non-zero = covers).
    weights : ndarray, shape (m,)
        Weight of each demand point [people], ≥ 0.
    budget : int, optional
        Stop after this many candidates.
    target_weight : float, optional
        Stop as soon as the covered weight reaches this [people].
    conflicts : ndarray, shape (k, 2), optional
        Pairs that may not both be chosen (see :func:`conflict_pairs`).

    Returns
    -------
    GreedyResult
        The order, the gains and the covered demand.

    Notes
    -----
    Coverage is monotone submodular, so *lazy* evaluation is exact (Minoux
    1978): the heap holds upper bounds of each candidate's gain; the top is
    re-evaluated and accepted only when its value is fresh in this round.
    Ties are broken towards the smaller candidate index (heap key
    ``(−gain, index)``), so the result equals the plain greedy that takes the
    first argmax, and is deterministic. The greedy also stops when no
    candidate adds anything. For a budget ``k`` it covers at least
    ``(1 − 1/e)`` of the optimum (Nemhauser, Wolsey & Fisher 1978; without
    conflicts).

    References
    ----------
    M. Minoux, "Accelerated greedy algorithms for maximizing submodular set
    functions", Optimization Techniques, LNCIS 7, 1978.
    G. L. Nemhauser, L. A. Wolsey, M. L. Fisher, "An analysis of approximations
    for maximizing submodular set functions—I", Math. Programming 14, 1978.
    """
    t0 = time.perf_counter()
    _check_mode(budget, target_weight, need_one=False)
    mat = _as_csr(cover)
    n, m = mat.shape
    w = _check_weights(weights, m)
    graph = _conflict_graph(conflicts, n)
    indptr, indices = mat.indptr, mat.indices
    gains0 = mat.astype("float64") @ w  # initial upper bounds (exact at round 0)
    heap = [(-float(g), int(i)) for i, g in enumerate(gains0) if g > 0]
    heapq.heapify(heap)
    fresh_round = np.zeros(n, dtype=np.int64)
    banned = np.zeros(n, dtype=bool)
    covered = np.zeros(m, dtype=bool)
    order: list[int] = []
    gains: list[float] = []
    total = 0.0
    rnd = 0
    while heap:
        if budget is not None and len(order) >= budget:
            break
        if target_weight is not None and _reached(total, target_weight):
            break
        neg, i = heap[0]
        if banned[i]:
            heapq.heappop(heap)
            continue
        if fresh_round[i] != rnd:
            idx = indices[indptr[i] : indptr[i + 1]]
            g = float(w[idx][~covered[idx]].sum())
            fresh_round[i] = rnd
            if g > 0:
                heapq.heapreplace(heap, (-g, i))
            else:
                heapq.heappop(heap)
            continue
        heapq.heappop(heap)
        g = -neg
        if g <= 0:
            break
        covered[indices[indptr[i] : indptr[i + 1]]] = True
        order.append(i)
        gains.append(g)
        total += g
        banned[i] = True
        banned[graph.indices[graph.indptr[i] : graph.indptr[i + 1]]] = True
        rnd += 1
    reached = None if target_weight is None else _reached(total, target_weight)
    return GreedyResult(
        order=np.asarray(order, dtype=np.int64),
        gains=np.asarray(gains, dtype="float64"),
        covered=covered,
        covered_weight=float(np.sum(gains)),
        reached_target=reached,
        time_s=time.perf_counter() - t0,
    )


def submodular_upper_bound(
    cover: sp.csr_matrix, weights: np.ndarray, selected: Any, k: int
) -> float:
    """Upper bound on the best weight ``k`` candidates can cover, from any set ``S``.

    Parameters
    ----------
    cover : scipy.sparse matrix, shape (n, m)
        Coverage matrix.
    weights : ndarray, shape (m,)
        Demand weights [people].
    selected : array-like of int
        Any set ``S`` of candidates (typically the greedy's).
    k : int
        Number of sites of the optimum bounded.

    Returns
    -------
    float
        ``f(S) + Σ`` of the ``k`` largest marginal gains ``f(S ∪ {i}) − f(S)``
        [people]; ≥ the optimum over all ``k``-sets (with or without
        conflicts, which only shrink the feasible sets).

    Notes
    -----
    For any ``T`` with ``|T| = k``, submodularity and monotonicity give
    ``f(T) ≤ f(S ∪ T) ≤ f(S) + Σ_{i∈T} δ_i(S)`` (Leskovec et al. 2007, the
    "online bound"). It costs one sparse matrix-vector product.

    References
    ----------
    J. Leskovec et al., "Cost-effective outbreak detection in networks",
    KDD 2007, §3.3.
    """
    mat = _as_csr(cover)
    w = _check_weights(weights, mat.shape[1])
    sel = np.asarray(selected, dtype=np.int64).reshape(-1)
    covered = np.asarray(mat[sel].sum(axis=0)).ravel() > 0 if len(sel) else np.zeros(len(w), bool)
    delta = mat @ np.where(covered, 0.0, w)
    top = np.sort(delta)[::-1][: max(int(k), 0)]
    return float(w[covered].sum() + top.sum())


# ---------------------------------------------------------------------------
# MILP
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MilpResult:
    """Outcome of :func:`milp`.

    Attributes
    ----------
    selected : ndarray of int
        Chosen candidates (sorted); empty when no solution was found.
    covered_weight : float
        Weight covered by ``selected`` [people], recomputed from the matrix.
    n_sites : int
        ``len(selected)``.
    mode : {"budget", "target"}
        Maximum coverage with a budget, or fewest sites reaching a target.
    status : str
        ``"optimal"``, ``"time_limit"`` (a solution, maybe not optimal),
        ``"no_solution"`` (time ran out before any), ``"infeasible"``.
    bound : float
        Proven bound on the optimum: an *upper* bound on the coverable weight
        [people] in budget mode, a *lower* bound on the number of sites in
        target mode (rounded up to a whole number). HiGHS's MIP dual bound, or
        the LP relaxation's when HiGHS stopped before reporting one.
    mip_gap : float
        HiGHS relative gap between the solution and the bound (0 = optimal).
    time_s : float
        Wall time including model building [s].
    n_variables, n_constraints, n_demand_classes : int
        Size of the model after merging demand points covered by the same
        candidates.
    """

    selected: np.ndarray
    covered_weight: float
    n_sites: int
    mode: str
    status: str
    bound: float
    mip_gap: float
    time_s: float
    n_variables: int = 0
    n_constraints: int = 0
    n_demand_classes: int = 0

    @property
    def optimal(self) -> bool:
        """Whether HiGHS proved the solution optimal (within its gap tolerance)."""
        return self.status == "optimal"


@dataclass(frozen=True)
class _Model:
    c: np.ndarray
    constraints: list[LinearConstraint]
    integrality: np.ndarray
    bounds: Bounds
    n: int
    n_classes: int
    n_rows: int


def _demand_classes(mat: sp.csr_matrix, w: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray]:
    """Merge demand points covered by exactly the same candidates.

    Returns the ``(n, k)`` matrix of distinct, non-empty columns and their
    summed weights; columns with zero weight or no candidate are dropped (they
    cannot change the objective).
    """
    csc = mat.tocsc()
    csc.sort_indices()
    keep = (np.diff(csc.indptr) > 0) & (w > 0)
    groups: dict[bytes, int] = {}
    label = np.full(len(w), -1, dtype=np.int64)
    ip, ix = csc.indptr, csc.indices
    for j in np.flatnonzero(keep):
        key = ix[ip[j] : ip[j + 1]].tobytes()
        label[j] = groups.setdefault(key, len(groups))
    k = len(groups)
    wk = np.bincount(label[keep], weights=w[keep], minlength=k)
    first = np.full(k, -1, dtype=np.int64)
    cols = np.flatnonzero(keep)
    first_pos = np.unique(label[cols], return_index=True)[1]
    first[np.arange(k)] = cols[first_pos]
    return csc[:, first].tocsr(), wk


def _build_model(
    mat: sp.csr_matrix,
    w: np.ndarray,
    *,
    budget: int | None,
    target_weight: float | None,
    conflicts: np.ndarray | None,
    max_sites: int | None,
) -> _Model:
    n = mat.shape[0]
    b, wk = _demand_classes(mat, w)
    k = len(wk)
    useless = np.diff(b.indptr) == 0
    rows: list[LinearConstraint] = []
    # y_j − Σ_{i covers j} x_i ≤ 0
    a_link = sp.hstack([-b.T.tocsr().astype("float64"), sp.identity(k, format="csr")], format="csr")
    rows.append(LinearConstraint(a_link, -np.inf, 0.0))
    ones_x = sp.csr_matrix(np.concatenate([np.ones(n), np.zeros(k)])[None, :])
    if budget is not None:
        rows.append(LinearConstraint(ones_x, -np.inf, float(budget)))
        c = np.concatenate([np.zeros(n), -wk])
    else:
        cov = sp.csr_matrix(np.concatenate([np.zeros(n), wk])[None, :])
        rows.append(LinearConstraint(cov, float(target_weight), np.inf))
        c = np.concatenate([np.ones(n), np.zeros(k)])
        if max_sites is not None:
            rows.append(LinearConstraint(ones_x, -np.inf, float(max_sites)))
    pairs = np.asarray(conflicts if conflicts is not None else [], dtype=np.int64).reshape(-1, 2)
    if len(pairs):
        e = len(pairs)
        a_conf = sp.csr_matrix(
            (np.ones(2 * e), (np.repeat(np.arange(e), 2), pairs.ravel())), shape=(e, n + k)
        )
        rows.append(LinearConstraint(a_conf, -np.inf, 1.0))
    ub = np.concatenate([np.where(useless, 0.0, 1.0), np.ones(k)])
    integrality = np.concatenate([np.ones(n), np.zeros(k)]).astype(np.int64)
    n_rows = sum(r.A.shape[0] for r in rows)
    return _Model(c, rows, integrality, Bounds(np.zeros(n + k), ub), n, k, n_rows)


def milp(
    cover: sp.csr_matrix,
    weights: np.ndarray,
    *,
    budget: int | None = None,
    target_weight: float | None = None,
    conflicts: np.ndarray | None = None,
    time_limit_s: float = 60.0,
    mip_rel_gap: float = 1e-4,
    max_sites: int | None = None,
) -> MilpResult:
    """Exact site selection by mixed-integer programming (HiGHS).

    Parameters
    ----------
    cover : scipy.sparse matrix, shape (n, m)
        Candidate × demand-point coverage.
    weights : ndarray, shape (m,)
        Demand weights [people], ≥ 0.
    budget : int, optional
        Maximum-coverage mode: choose at most ``budget`` candidates.
    target_weight : float, optional
        Set-cover mode: fewest candidates covering at least this weight [people].
    conflicts : ndarray, shape (k, 2), optional
        Pairs that may not both be chosen.
    time_limit_s : float
        HiGHS time limit [s]; the best solution found so far is returned. When
        HiGHS stops without a bound, the LP relaxation is solved for one (with
        the same limit, so the call can take up to twice as long).
    mip_rel_gap : float
        Relative MIP gap at which HiGHS stops.
    max_sites : int, optional
        Target mode only: a known upper bound on the number of sites (e.g. the
        greedy's count), added as a valid cut ``Σ x ≤ max_sites``.

    Returns
    -------
    MilpResult
        Solution, status, proven bound and gap.

    Notes
    -----
    Binary ``x_i`` (candidate chosen), continuous ``y_j ∈ [0, 1]`` (demand
    class covered)::

        budget:  max Σ_j w_j y_j   s.t.  y_j ≤ Σ_{i∋j} x_i,  Σ_i x_i ≤ N
        target:  min Σ_i x_i       s.t.  y_j ≤ Σ_{i∋j} x_i,  Σ_j w_j y_j ≥ T
        both:    x_a + x_b ≤ 1 for every conflicting pair (a, b)

    ``y`` may be continuous: for binary ``x`` the best ``y_j`` is
    ``min(1, Σ x_i)``, which is 0 or 1. Demand points covered by the same
    candidates are merged first (their weights summed), and points no
    candidate covers are dropped; this shrinks the model without changing
    its optimum.
    """
    t0 = time.perf_counter()
    _check_mode(budget, target_weight, need_one=True)
    mat = _as_csr(cover)
    n, m = mat.shape
    w = _check_weights(weights, m)
    mode = "budget" if budget is not None else "target"

    def done(sel: np.ndarray, status: str, bound: float, gap: float, model: _Model | None):
        sel = np.sort(np.asarray(sel, dtype=np.int64))
        covw = float(w[np.asarray(mat[sel].sum(axis=0)).ravel() > 0].sum()) if len(sel) else 0.0
        return MilpResult(
            selected=sel,
            covered_weight=covw,
            n_sites=len(sel),
            mode=mode,
            status=status,
            bound=bound,
            mip_gap=gap,
            time_s=time.perf_counter() - t0,
            n_variables=(model.n + model.n_classes) if model else 0,
            n_constraints=model.n_rows if model else 0,
            n_demand_classes=model.n_classes if model else 0,
        )

    empty = np.zeros(0, dtype=np.int64)
    if mode == "target" and target_weight <= 0:
        return done(empty, "optimal", 0.0, 0.0, None)
    if mode == "target":
        coverable = float(w[np.diff(mat.tocsc().indptr) > 0].sum())
        if not _reached(coverable, target_weight):
            log.info(
                "milp: target %.1f exceeds the coverable weight %.1f", target_weight, coverable
            )
            return done(empty, "infeasible", np.inf, np.nan, None)
    model = _build_model(
        mat, w, budget=budget, target_weight=target_weight, conflicts=conflicts, max_sites=max_sites
    )
    res = _scipy_milp(
        c=model.c,
        constraints=model.constraints,
        integrality=model.integrality,
        bounds=model.bounds,
        options={"time_limit": float(time_limit_s), "mip_rel_gap": float(mip_rel_gap)},
    )
    dual = getattr(res, "mip_dual_bound", None)
    gap = float(
        getattr(res, "mip_gap", np.nan) if getattr(res, "mip_gap", None) is not None else np.nan
    )
    if mode == "budget":
        bound = -float(dual) if dual is not None else np.nan
    else:
        bound = float(np.ceil(float(dual) - 1e-6)) if dual is not None else np.nan
    if res.status == 2:
        return done(empty, "infeasible", np.inf, np.nan, model)
    if not np.isfinite(bound):  # HiGHS stopped before reporting a bound: use the LP's
        bound = _lp_value(model, mode, time_limit_s=time_limit_s)
    if res.x is None:
        return done(empty, "no_solution", bound, np.nan, model)
    sel = np.flatnonzero(np.round(res.x[:n]) > 0.5)
    status = "optimal" if res.status == 0 else "time_limit"
    if status == "optimal" and not np.isfinite(bound):
        bound = float(len(sel)) if mode == "target" else -float(res.fun)
    return done(sel, status, bound, gap if status != "optimal" else max(gap, 0.0), model)


def lp_bound(
    cover: sp.csr_matrix,
    weights: np.ndarray,
    *,
    budget: int | None = None,
    target_weight: float | None = None,
    conflicts: np.ndarray | None = None,
    time_limit_s: float | None = None,
) -> float:
    """Bound on the optimum from the LP relaxation (``x`` continuous in [0, 1]).

    Parameters
    ----------
    cover, weights, budget, target_weight, conflicts
        As for :func:`milp`.
    time_limit_s : float, optional
        Time limit [s]; NaN is returned when it is hit.

    Returns
    -------
    float
        Budget mode: an upper bound on the coverable weight [people]. Target
        mode: a lower bound on the number of sites, rounded up (``inf`` if
        even the relaxation cannot reach the target).
    """
    _check_mode(budget, target_weight, need_one=True)
    mat = _as_csr(cover)
    w = _check_weights(weights, mat.shape[1])
    if budget is None and target_weight <= 0:
        return 0.0
    model = _build_model(
        mat, w, budget=budget, target_weight=target_weight, conflicts=conflicts, max_sites=None
    )
    return _lp_value(model, "budget" if budget is not None else "target", time_limit_s)


def _lp_value(model: _Model, mode: str, time_limit_s: float | None = None) -> float:
    """Optimum of the LP relaxation, by HiGHS's interior-point solver.

    The interior-point method solves these covering LPs far faster than the
    dual simplex that :func:`scipy.optimize.milp` would use (8 s vs. > 60 s on
    the 5,000-candidate Hà Nội benchmark).
    """
    a = sp.vstack([c.A for c in model.constraints], format="csr")
    lo = np.concatenate([np.broadcast_to(c.lb, (c.A.shape[0],)) for c in model.constraints])
    hi = np.concatenate([np.broadcast_to(c.ub, (c.A.shape[0],)) for c in model.constraints])
    up, down = np.isfinite(hi), np.isfinite(lo)
    a_ub = sp.vstack([a[up], -a[down]], format="csr")
    b_ub = np.concatenate([hi[up], -lo[down]])
    options = {} if time_limit_s is None else {"time_limit": float(time_limit_s)}
    res = linprog(
        model.c,
        A_ub=a_ub,
        b_ub=b_ub,
        bounds=np.column_stack([model.bounds.lb, model.bounds.ub]),
        method="highs-ipm",
        options=options,
    )
    if res.status == 2:
        return np.inf if mode == "target" else np.nan
    if res.status != 0 or res.x is None:  # stopped early: no valid bound
        return np.nan
    return -float(res.fun) if mode == "budget" else float(np.ceil(float(res.fun) - 1e-6))


def relative_gap(value: float, bound: float) -> float:
    """Relative gap of a solution to a proven bound, ``|value − bound| / |value|``.

    Parameters
    ----------
    value : float
        The solution's objective (covered weight, or number of sites).
    bound : float
        The bound (upper bound on weight, or lower bound on sites).

    Returns
    -------
    float
        0 when the solution is proven optimal; NaN when unknown. The same
        convention as HiGHS's ``mip_gap``.
    """
    if not (np.isfinite(value) and np.isfinite(bound)):
        return float("nan")
    if value == 0:
        return 0.0 if bound == 0 else float("inf")
    return max(abs(float(value) - float(bound)) / abs(float(value)), 0.0)


# ---------------------------------------------------------------------------
# Geometry: demand points and candidates
# ---------------------------------------------------------------------------


def _metric(frame: gpd.GeoDataFrame | gpd.GeoSeries, crs: CRS | str | None) -> CRS:
    if frame.crs is None:
        raise DataError("the geometries have no CRS; set one (e.g. frame.set_crs('EPSG:4326')).")
    return CRS.from_user_input(crs) if crs is not None else equal_area_crs(frame)


def _grid_pieces(
    geoms: np.ndarray, cell: float, tile_cells: int = 16
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cut polygons by a grid aligned on multiples of ``cell``.

    Returns (polygon index, cell column, cell row, piece geometry) for every
    non-empty intersection of a polygon with a grid cell. Done in two levels
    (tiles of ``tile_cells × tile_cells`` cells, then cells), so that each
    intersection handles few vertices.
    """

    def split(gi: np.ndarray, g: np.ndarray, size: float):
        b = shapely.bounds(g)
        ix0 = np.floor(b[:, 0] / size).astype(np.int64)
        iy0 = np.floor(b[:, 1] / size).astype(np.int64)
        nx = np.maximum(np.ceil(b[:, 2] / size).astype(np.int64) - ix0, 1)
        ny = np.maximum(np.ceil(b[:, 3] / size).astype(np.int64) - iy0, 1)
        counts = nx * ny
        rep = np.repeat(np.arange(len(g)), counts)
        local = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        ix = ix0[rep] + local % nx[rep]
        iy = iy0[rep] + local // nx[rep]
        x0, y0 = ix * size, iy * size
        pieces = shapely.intersection(g[rep], shapely.box(x0, y0, x0 + size, y0 + size))
        keep = ~shapely.is_empty(pieces) & (shapely.area(pieces) > 0)
        return gi[rep][keep], ix[keep], iy[keep], pieces[keep]

    gi = np.arange(len(geoms))
    gi, _, _, tiles = split(gi, geoms, cell * tile_cells)
    return split(gi, tiles, cell)


def demand_points(
    gaps: gpd.GeoDataFrame,
    cell_size_m: float = 100.0,
    crs: CRS | str | None = None,
    *,
    population_column: str = "population",
) -> gpd.GeoDataFrame:
    """Population-weighted demand points inside coverage gaps.

    Parameters
    ----------
    gaps : GeoDataFrame
        Uncovered (Multi)Polygons with ``ward_id`` and the people living in
        each (``population``) [people]; any CRS.
    cell_size_m : float
        Side of the square grid cells [m].
    crs : pyproj.CRS or str, optional
        Metric CRS of the output; default the LAEA of
        :func:`phusong.geo.equal_area_crs`.
    population_column : str
        Column with each gap's people.

    Returns
    -------
    GeoDataFrame
        One point per (gap, grid cell) intersection, in ``crs``, with
        ``ward_id``, ``gap`` (row position in ``gaps``), ``weight`` [people],
        ``area_m2`` (area of the piece) [m²], ``x_m``, ``y_m``. Deterministic:
        the grid is aligned on multiples of ``cell_size_m`` in ``crs``.

    Notes
    -----
    ``weight = population_gap × area(gap ∩ cell) / area(gap)``: people are
    spread evenly over each gap, and the weights of a gap add up to its
    population exactly. A point sits at the cell centre when the centre lies
    in the gap, otherwise on the piece (``point_on_surface``), so every point
    is inside its gap and slivers narrower than a cell are not lost.
    """
    if cell_size_m <= 0:
        raise ConfigError(f"demand_cell_m: must be positive, got {cell_size_m!r}.")
    missing = [c for c in ("ward_id", population_column) if c not in gaps.columns]
    if missing:
        raise DataError(
            f"the gap table lacks column(s) {', '.join(missing)}; use AuditResult.gaps."
        )
    crs = _metric(gaps, crs)
    cols = ["ward_id", "gap", "weight", "area_m2", "x_m", "y_m"]
    if len(gaps) == 0:
        return gpd.GeoDataFrame({c: [] for c in cols}, geometry=[], crs=crs)
    g = gaps.to_crs(crs)
    geoms = shapely.make_valid(g.geometry.to_numpy())
    pop = pd.to_numeric(g[population_column], errors="coerce").fillna(0.0).to_numpy("float64")
    area = shapely.area(geoms)
    ok = (area > 0) & (pop > 0)
    sel = np.flatnonzero(ok)
    gi, ix, iy, pieces = _grid_pieces(geoms[sel], float(cell_size_m))
    gi = sel[gi]
    piece_area = shapely.area(pieces)
    weight = pop[gi] * piece_area / area[gi]
    cx, cy = (ix + 0.5) * cell_size_m, (iy + 0.5) * cell_size_m
    centre = shapely.points(cx, cy)
    inside = shapely.intersects(pieces, centre)
    on = shapely.point_on_surface(pieces[~inside])
    px, py = cx.copy(), cy.copy()
    px[~inside], py[~inside] = shapely.get_x(on), shapely.get_y(on)
    order = np.lexsort((iy, ix, gi))
    out = gpd.GeoDataFrame(
        {
            "ward_id": g["ward_id"].astype("string").to_numpy()[gi][order],
            "gap": gi[order],
            "weight": weight[order],
            "area_m2": piece_area[order],
            "x_m": px[order],
            "y_m": py[order],
        },
        geometry=shapely.points(px[order], py[order]),
        crs=crs,
    )
    return out


def grid_candidates(
    gaps: gpd.GeoDataFrame,
    spacing_m: float,
    buffer_m: float = 0.0,
    crs: CRS | str | None = None,
    *,
    within: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
) -> gpd.GeoDataFrame:
    """Lay a regular grid of candidate positions in and around the gaps.

    Parameters
    ----------
    gaps : GeoDataFrame
        Gap polygons, any CRS.
    spacing_m : float
        Grid spacing [m]; points at ``((i + ½) s, (j + ½) s)`` in ``crs``.
    buffer_m : float
        Keep points within this distance of a gap [m] (0 = inside gaps only).
        A site up to one footprint radius away can still serve a gap.
    crs : pyproj.CRS or str, optional
        Metric CRS; default :func:`phusong.geo.equal_area_crs` of ``gaps``.
    within : GeoDataFrame or GeoSeries, optional
        Keep only points inside these polygons (e.g. the city's wards).

    Returns
    -------
    GeoDataFrame
        ``candidate_id`` ("C-000001", …), ``x_m``, ``y_m``, point geometry in
        ``crs``; ordered by (x, y).
    """
    if spacing_m <= 0:
        raise ConfigError(f"candidate_spacing_m: must be positive, got {spacing_m!r}.")
    crs = _metric(gaps, crs)
    g = gaps.to_crs(crs).geometry.to_numpy()
    g = g[~shapely.is_empty(g) & ~shapely.is_missing(g)]
    if len(g) == 0:
        return _candidate_frame(np.zeros(0), np.zeros(0), crs)
    minx, miny, maxx, maxy = shapely.total_bounds(g)
    s = float(spacing_m)
    xs = (np.arange(np.floor((minx - buffer_m) / s), np.ceil((maxx + buffer_m) / s)) + 0.5) * s
    ys = (np.arange(np.floor((miny - buffer_m) / s), np.ceil((maxy + buffer_m) / s)) + 0.5) * s
    gx, gy = (a.ravel() for a in np.meshgrid(xs, ys, indexing="ij"))
    pts = shapely.points(gx, gy)
    tree = shapely.STRtree(g)
    if buffer_m > 0:
        hit = tree.query(pts, predicate="dwithin", distance=float(buffer_m))[0]
    else:
        hit = tree.query(pts, predicate="intersects")[0]
    keep = np.zeros(len(pts), dtype=bool)
    keep[hit] = True
    if within is not None:
        w = within.to_crs(crs).geometry.to_numpy()
        inside = np.zeros(len(pts), dtype=bool)
        inside[shapely.STRtree(w).query(pts[keep], predicate="intersects")[0]] = True
        sub = np.flatnonzero(keep)
        keep[:] = False
        keep[sub[inside[: len(sub)]]] = True
    return _candidate_frame(gx[keep], gy[keep], crs)


def _candidate_frame(x: np.ndarray, y: np.ndarray, crs: CRS, ids: Sequence[str] | None = None):
    ids = ids if ids is not None else [f"C-{i + 1:06d}" for i in range(len(x))]
    return gpd.GeoDataFrame(
        {"candidate_id": pd.array(list(ids), dtype="string"), "x_m": x, "y_m": y},
        geometry=shapely.points(x, y) if len(x) else [],
        crs=crs,
    )


def candidates_from(
    candidates: gpd.GeoDataFrame | pd.DataFrame, crs: CRS | str
) -> gpd.GeoDataFrame:
    """Normalise a user list of candidate positions.

    Parameters
    ----------
    candidates : GeoDataFrame or DataFrame
        Points (any CRS; polygons are reduced to a point on their surface), or
        a canonical site table (one candidate per ``site_id``; ``lon_deg`` /
        ``lat_deg`` are used when there is no geometry).
    crs : pyproj.CRS or str
        Metric CRS of the output.

    Returns
    -------
    GeoDataFrame
        ``candidate_id`` (the ``site_id``/``candidate_id`` column if present),
        ``x_m``, ``y_m``, points in ``crs``.
    """
    frame = candidates
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name not in frame.columns:
        if {"lon_deg", "lat_deg"} <= set(frame.columns):
            frame = gpd.GeoDataFrame(
                frame.copy(),
                geometry=gpd.points_from_xy(frame["lon_deg"], frame["lat_deg"]),
                crs=WGS84,
            )
        else:
            raise DataError(
                "candidates: give a GeoDataFrame of points or a site table with lon_deg/lat_deg.",
                file="<candidates>",
            )
    if frame.crs is None:
        raise DataError("candidates: the table has no CRS; set it (e.g. .set_crs('EPSG:4326')).")
    frame = frame[~frame.geometry.is_empty & frame.geometry.notna()]
    id_col = next((c for c in ("candidate_id", "site_id") if c in frame.columns), None)
    if id_col is not None:
        frame = frame.drop_duplicates(subset=id_col, keep="first")
    geom = frame.to_crs(crs).geometry.to_numpy()
    pts = np.where(shapely.get_type_id(geom) == 0, geom, shapely.point_on_surface(geom))
    ids = frame[id_col].astype(str).tolist() if id_col else None
    return _candidate_frame(shapely.get_x(pts), shapely.get_y(pts), CRS.from_user_input(crs), ids)


# ---------------------------------------------------------------------------
# The new site and its footprint
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class NewSite:
    """Configuration of a proposed site (one per candidate position).

    Parameters
    ----------
    operator : str
        Operator brand, e.g. ``"Viettel"``.
    mnc : int
        Mobile network code (MCC 452).
    band : str
        3GPP band, e.g. ``"n41"``.
    frequency_mhz : float
        Carrier centre frequency [MHz].
    bandwidth_mhz : float
        Carrier bandwidth [MHz].
    eirp_dbm : float
        EIRP per carrier at boresight [dBm].
    height_m : float
        Antenna height above ground [m].
    sectors : int
        1 (omni) or a number of equal sectors (3 = the usual macro).
    beamwidth_deg : float
        Horizontal half-power beamwidth of a sector antenna [degrees].
    tilt_deg : float
        Electrical downtilt [degrees].
    range_m : float, optional
        Footprint radius [m], overriding the model.
    """

    operator: str = "Viettel"
    mnc: int = 4
    band: str = "n41"
    frequency_mhz: float = 2550.0
    bandwidth_mhz: float = 100.0
    eirp_dbm: float = 63.0
    height_m: float = 25.0
    sectors: int = 3
    beamwidth_deg: float = 65.0
    tilt_deg: float = 6.0
    range_m: float | None = None

    def edge_loss_db(self) -> float:
        """Antenna loss at the worst azimuth between two sectors [dB].

        Notes
        -----
        TR 38.901 Table 7.3-1: ``A_H(φ) = min(12 (φ/φ3dB)², 30)`` dB with
        ``φ = 180°/sectors`` (60° for three sectors: 10.2 dB at 65°); 0 for
        an omni site.
        """
        if self.sectors <= 1:
            return 0.0
        phi = 180.0 / self.sectors
        return float(min(12.0 * (phi / self.beamwidth_deg) ** 2, 30.0))


def default_new_site(operator: str | None = None, **overrides: Any) -> NewSite:
    """Return the default new 5G site of an operator.

    Band, centre frequency and bandwidth are the operator's primary 5G carrier
    (:data:`phusong.operators.SPECTRUM_5G`); EIRP, height, beamwidth and tilt
    are the site reader's defaults (:mod:`phusong.operators`), so a proposed
    site looks like an existing site read without those columns.

    Parameters
    ----------
    operator : str, optional
        Operator brand (aliases such as ``"VNPT"`` are understood); default
        Viettel.
    **overrides
        Any :class:`NewSite` field.

    Raises
    ------
    ConfigError
        The operator has no 5G spectrum on record.
    """
    from phusong import operators as ops

    brand = ops.operator_brand(operator) if operator is not None else "Viettel"
    carrier = ops.carrier_for(brand) if brand else None
    if carrier is None:
        valid = ", ".join(ops.SPECTRUM_5G)
        raise ConfigError(
            f"operator: no 5G spectrum on record for {operator!r}; choose one of {valid}, "
            "or pass new_site=NewSite(...) with the band and frequency."
        )
    site = NewSite(
        operator=brand,
        mnc=int(ops.OPERATOR_MNC[brand]),
        band=carrier.band,
        frequency_mhz=float(carrier.centre_mhz),
        bandwidth_mhz=float(carrier.bandwidth_mhz),
        eirp_dbm=float(ops.default_eirp_dbm(carrier.band)),
        height_m=float(ops.DEFAULT_HEIGHT_M),
        sectors=3,
        beamwidth_deg=float(ops.DEFAULT_BEAMWIDTH_DEG),
        tilt_deg=float(ops.DEFAULT_TILT_DEG),
    )
    return replace(site, **overrides) if overrides else site


def _param(params: Any, name: str, default: Any = None) -> Any:
    if params is None:
        return default
    if isinstance(params, dict):
        return params.get(name, default)
    return getattr(params, name, default)


def footprint_radius_m(site: NewSite, params: Any = None) -> float:
    """Planning radius of a new site under the audit's model and parameters [m].

    Parameters
    ----------
    site : NewSite
        The new-site configuration.
    params : AuditParams or dict, optional
        The audit's parameters (``model``, ``radius_m``, ``threshold_dbm``,
        ``indoor_loss_db``, ``reliability``); default: the disc model.

    Returns
    -------
    float
        Radius [m] of the disc the plan counts as served.

    Notes
    -----
    Disc/sector models: ``site.range_m``, else the audit's ``radius_m``, else
    the band's default range (:func:`phusong.operators.default_range_m`),
    which is what the audit gives a cell read without a range. Path-loss
    models: the distance at which SS-RSRP falls to the threshold
    (:func:`phusong.propagation.max_range_m`) with the audit's link budget
    (indoor loss, shadowing margin) plus the antenna loss half-way between
    two sectors (:meth:`NewSite.edge_loss_db`): the disc is served in *every*
    direction, so a re-audit of the proposed sites covers at least the disc.
    """
    if site.range_m is not None:
        return float(site.range_m)
    model = str(_param(params, "model", "disc"))
    if model in ("disc", "sector"):
        r = _param(params, "radius_m")
        if r:
            return float(r)
        from phusong.operators import default_range_m

        return float(default_range_m(site.band))
    from phusong import propagation as prop

    budget = prop.LinkBudget(
        threshold_dbm=float(_param(params, "threshold_dbm", -110.0)),
        bandwidth_mhz=float(site.bandwidth_mhz),
        indoor_loss_db=float(_param(params, "indoor_loss_db", 0.0) or 0.0),
        reliability=float(_param(params, "reliability", 0.5) or 0.5),
    )
    return float(
        prop.max_range_m(
            eirp_dbm=site.eirp_dbm,
            frequency_ghz=site.frequency_mhz / 1000.0,
            model=model,
            h_bs_m=site.height_m,
            h_ut_m=budget.h_ut_m,
            n_rb=budget.n_rb,
            threshold_dbm=budget.threshold_dbm,
            extra_loss_db=budget.extra_loss_db(model) + site.edge_loss_db(),
        )
    )


# ---------------------------------------------------------------------------
# The whole job
# ---------------------------------------------------------------------------


@dataclass
class PlanInputs:
    """What a plan needs, when there is no :class:`~phusong.audit.AuditResult`.

    Parameters
    ----------
    wards : GeoDataFrame
        One row per ward: ``ward_id``, ``name``, ``population`` and
        ``covered_population`` (people already served) [people], geometry.
    gaps : GeoDataFrame
        Uncovered parts of wards: ``ward_id``, ``population`` [people], geometry.
    sites : GeoDataFrame, optional
        Existing sites (canonical table), for spacing and default ranges.
    params : AuditParams or dict, optional
        Model and link-budget parameters, as the audit's.
    synthetic : bool
        The gaps are synthetic (said in the summary).
    """

    wards: gpd.GeoDataFrame
    gaps: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame | None = None
    params: Any = None
    synthetic: bool = False

    @classmethod
    def from_audit(cls, result: Any) -> PlanInputs:
        """Take the inputs from an audit result (``.wards``, ``.gaps``, ``.sites``, ``.params``)."""
        summary = getattr(result, "summary", {}) or {}
        return cls(
            wards=result.wards,
            gaps=result.gaps,
            sites=getattr(result, "sites", None),
            params=getattr(result, "params", None),
            synthetic=bool(summary.get("synthetic", False)),
        )


@dataclass
class PlanResult:
    """A proposal of new sites.

    Attributes
    ----------
    sites : GeoDataFrame
        Proposed cells in the canonical schema (:data:`phusong.schema.SITE_COLUMNS`)
        plus ``order`` (1 = added first) and ``covered_people_gain`` (people the
        site adds, in that order, on the demand grid); EPSG:4326. Site ids
        ``NEW-0001`` …; a 3-sector site has three rows.
    wards : DataFrame
        Per ward: ``ward_id``, ``name``, ``population``,
        ``covered_population_before``, ``newly_covered_population``,
        ``covered_population_after``, ``population_coverage_pct_before``,
        ``population_coverage_pct_after`` (population-weighted, estimated on the
        demand grid) and ``new_sites`` (proposed sites located in the ward).
    curve : DataFrame
        ``method``, ``n_sites``, ``covered_population``,
        ``population_coverage_pct``: the greedy's curve (0, 1, 2, … sites) and
        the MILP point(s).
    summary : dict
        City figures before/after, the goal, sites needed, method used, the
        greedy's gap to the best bound, MILP status/time/bound, sizes and the
        approximation note (JSON-able).
    candidates : GeoDataFrame
        Candidates used (metric CRS) with ``range_m`` and ``chosen``.
    demand : GeoDataFrame
        Demand points (metric CRS) with ``weight`` and ``covered``.
    greedy : GreedyResult or None
    milp : MilpResult or None
    """

    sites: gpd.GeoDataFrame
    wards: pd.DataFrame
    curve: pd.DataFrame
    summary: dict[str, Any]
    candidates: gpd.GeoDataFrame
    demand: gpd.GeoDataFrame
    greedy: GreedyResult | None = None
    milp: MilpResult | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def sites_for_audit(self, existing: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
        """Existing plus proposed cells, schema columns only, for a re-audit.

        Pass the result to :func:`phusong.run_audit` (same model and options)
        to get the exact coverage with the proposed sites.
        """
        cols = list(SITE_COLUMNS)
        new = self.sites[cols]
        if existing is None or len(existing) == 0:
            return gpd.GeoDataFrame(new, geometry="geometry", crs=WGS84)
        old = existing.to_crs(WGS84)
        old = old[[c for c in cols if c in old.columns]]
        both = pd.concat([old, new], ignore_index=True)
        return gpd.GeoDataFrame(both, geometry="geometry", crs=WGS84)


def _operator_for(inp: PlanInputs, operator: str | None) -> tuple[str, str]:
    """(operator of the new sites, whose coverage the gaps measure)."""
    ops = _param(inp.params, "operators")
    counted = ANY_OPERATOR
    if ops:
        ops = list(ops)
        if len(ops) == 1:
            counted = str(ops[0])
        else:
            counted = "+".join(map(str, ops))
    if operator is None:
        if counted != ANY_OPERATOR and "+" not in counted:
            operator = counted
        elif inp.sites is not None and len(inp.sites) and "operator" in inp.sites:
            from phusong.operators import SPECTRUM_5G

            known = inp.sites["operator"][inp.sites["operator"].isin(list(SPECTRUM_5G))]
            counts = known.value_counts()
            best = sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
            operator = str(best[0][0]) if best else "Viettel"
        else:
            operator = "Viettel"
    from phusong.operators import operator_brand

    operator = operator_brand(operator) or operator
    if counted not in (ANY_OPERATOR, operator):
        log.warning(
            "the audit counts coverage of %s but the new sites belong to %s", counted, operator
        )
    return operator, counted


def _existing_xy(inp: PlanInputs, operator: str, crs: CRS) -> np.ndarray:
    s = inp.sites
    if s is None or len(s) == 0 or s.crs is None:
        return np.zeros((0, 2))
    if "operator" in s.columns:
        s = s[s["operator"] == operator]
    if len(s) == 0:
        return np.zeros((0, 2))
    pts = s.to_crs(crs).geometry.to_numpy()
    xy = np.unique(np.column_stack([shapely.get_x(pts), shapely.get_y(pts)]), axis=0)
    return xy


def _site_table(
    xy: np.ndarray,
    order: np.ndarray,
    gain: np.ndarray,
    site: NewSite,
    radius: float,
    crs: CRS,
    model: str,
) -> gpd.GeoDataFrame:
    n = len(xy)
    k = max(int(site.sectors), 1)
    rep = np.repeat(np.arange(n), k)
    sector = np.tile(np.arange(k), n)
    site_ids = np.array([f"NEW-{i + 1:04d}" for i in range(n)], dtype=object)[rep]
    lonlat = gpd.GeoSeries(shapely.points(xy[:, 0], xy[:, 1]) if n else [], crs=crs).to_crs(WGS84)
    lon = shapely.get_x(lonlat.to_numpy())[rep] if n else np.zeros(0)
    lat = shapely.get_y(lonlat.to_numpy())[rep] if n else np.zeros(0)
    omni = k == 1
    path_loss = model not in ("disc", "sector")
    # Under the disc/sector models the planner counts each new site as a full
    # disc: k wedges of 360°/k tile exactly that disc (a re-audit, or
    # 'phusong audit' on the proposed sheet, then covers what was planned).
    if omni:
        beam = np.nan
    elif path_loss:
        beam = site.beamwidth_deg
    else:
        beam = 360.0 / k
    data: dict[str, Any] = {
        "cell_id": [f"{s}-{j + 1}" for s, j in zip(site_ids, sector, strict=True)],
        "site_id": site_ids,
        "operator": site.operator,
        "mcc": pd.array([452] * len(rep), dtype="Int64"),
        "mnc": pd.array([site.mnc] * len(rep), dtype="Int64"),
        "radio": "NR",
        "lon_deg": lon,
        "lat_deg": lat,
        "azimuth_deg": np.nan if omni else sector * (360.0 / k),
        "beamwidth_deg": beam,
        "tilt_deg": site.tilt_deg,
        "height_m": site.height_m,
        "eirp_dbm": site.eirp_dbm,
        "frequency_mhz": site.frequency_mhz,
        "band": site.band,
        "bandwidth_mhz": site.bandwidth_mhz,
        "range_m": radius,
        "range_source": f"plan:{model}",
        "frequency_source": f"plan:{site.operator}",
        "source_row": pd.array([pd.NA] * len(rep), dtype="Int64"),
        "order": order[rep] if n else np.zeros(0, np.int64),
        "covered_people_gain": gain[rep] if n else np.zeros(0),
    }
    frame = pd.DataFrame(data, index=pd.RangeIndex(len(rep)))
    for col, (dtype, _) in SITE_COLUMNS.items():
        if col != "geometry" and dtype in ("string", "float64"):
            frame[col] = frame[col].astype(dtype)
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(lon, lat), crs=WGS84)[
        [*SITE_COLUMNS, *PLAN_SITE_EXTRA_COLUMNS]
    ]


def _remove_excluded(cands: gpd.GeoDataFrame, excluded: Any, crs: CRS) -> np.ndarray:
    """Mask of candidates *outside* every excluded polygon."""
    if excluded is None:
        return np.ones(len(cands), dtype=bool)
    if isinstance(excluded, shapely.Geometry):
        excluded = gpd.GeoSeries([excluded], crs=WGS84)
    elif isinstance(excluded, (list, tuple)):
        excluded = gpd.GeoSeries(list(excluded), crs=WGS84)
    if excluded.crs is None:
        raise DataError("excluded: the zones have no CRS; set it (e.g. .set_crs('EPSG:4326')).")
    zones = excluded.to_crs(crs).geometry.to_numpy() if len(excluded) else np.array([])
    keep = np.ones(len(cands), dtype=bool)
    if len(zones):
        keep[shapely.STRtree(zones).query(cands.geometry.to_numpy(), predicate="intersects")[0]] = (
            False
        )
    return keep


def propose_sites(
    audit_result_or_inputs: Any,
    *,
    target_pct: float | None = None,
    budget: int | None = None,
    candidates: gpd.GeoDataFrame | pd.DataFrame | None = None,
    min_spacing_m: float = 0.0,
    excluded: Any = None,
    operator: str | None = None,
    method: Method = "greedy",
    candidate_spacing_m: float | None = None,
    demand_cell_m: float = 100.0,
    time_limit_s: float = 60.0,
    new_site: NewSite | None = None,
    mip_rel_gap: float = 1e-4,
) -> PlanResult:
    """Propose the fewest new sites that bring the city to its goal.

    Parameters
    ----------
    audit_result_or_inputs : AuditResult or PlanInputs
        The audit to improve on (its gaps, wards, sites and parameters).
    target_pct : float, optional
        Population coverage to reach [%]; default the audit's goal (99 %).
    budget : int, optional
        Instead of a target: the best coverage with at most this many sites.
    candidates : GeoDataFrame or DataFrame, optional
        Candidate positions (points or a site table: rooftops, poles,
        existing non-5G sites); default a grid in and around the gaps.
    min_spacing_m : float
        Minimum distance between two proposed sites and from a proposed site
        to an existing site of the same operator [m].
    excluded : GeoDataFrame, GeoSeries, shapely geometry or list, optional
        Zones where no site may go (no CRS given = EPSG:4326).
    operator : str, optional
        Operator of the new sites; default the audit's single operator, else
        the operator with most cells in the audit, else Viettel.
    method : {"greedy", "milp", "both"}
        Solver. ``both`` runs both and keeps the better plan (fewer sites, or
        more people for a budget; ties go to the greedy).
    candidate_spacing_m : float, optional
        Spacing of the default candidate grid [m]; default a third of the
        footprint radius.
    demand_cell_m : float
        Demand grid cell [m] (see the module's note on the approximation).
    time_limit_s : float
        MILP time limit [s].
    new_site : NewSite, optional
        Configuration of a new site; default :func:`default_new_site`.
    mip_rel_gap : float
        Relative gap at which the MILP stops.

    Returns
    -------
    PlanResult
        The proposal; ``summary["coverage_after_pct"]`` is the estimate on the
        demand grid; re-audit ``sites_for_audit(...)`` for the exact figure.

    Raises
    ------
    ConfigError
        Invalid option.
    DataError
        Unusable gaps, wards or candidates.
    """
    t_start = time.perf_counter()
    if method not in ("greedy", "milp", "both"):
        raise ConfigError(f"method: must be 'greedy', 'milp' or 'both', got {method!r}.")
    if min_spacing_m < 0:
        raise ConfigError(f"min_spacing_m: must be ≥ 0, got {min_spacing_m!r}.")
    if budget is not None and (int(budget) != budget or budget < 0):
        raise ConfigError(f"budget: must be a whole number of sites ≥ 0, got {budget!r}.")
    inp = (
        audit_result_or_inputs
        if isinstance(audit_result_or_inputs, PlanInputs)
        else PlanInputs.from_audit(audit_result_or_inputs)
    )
    if target_pct is None:
        goal = _param(inp.params, "goal")
        target_pct = float(getattr(goal, "target_pct", 99.0)) if goal is not None else 99.0
    if not 0 <= target_pct <= 100:
        raise ConfigError(f"target_pct: must be between 0 and 100, got {target_pct!r}.")
    model = str(_param(inp.params, "model", "disc"))
    op, counted = _operator_for(inp, operator)
    site = new_site or default_new_site(op)
    if site.operator != op:
        site = replace(site, operator=op)
    crs = equal_area_crs(inp.wards)
    radius = footprint_radius_m(site, inp.params)

    wards = inp.wards
    pop = pd.to_numeric(wards["population"], errors="coerce").fillna(0.0).to_numpy("float64")
    cov_before = (
        pd.to_numeric(wards["covered_population"], errors="coerce").fillna(0.0).to_numpy("float64")
    )
    total_pop = float(pop.sum())
    covered0 = float(cov_before.sum())
    if total_pop <= 0:
        raise DataError("the wards have no population; population coverage cannot be planned.")

    demand = demand_points(inp.gaps, demand_cell_m, crs)
    gap_pop = float(demand["weight"].sum())
    if abs(covered0 + gap_pop - total_pop) > 0.01 * total_pop:
        log.warning(
            "covered (%.0f) + people in gaps (%.0f) differ from the population (%.0f) by > 1 %%",
            covered0,
            gap_pop,
            total_pop,
        )
    if candidates is None:
        spacing = candidate_spacing_m or max(radius / 3.0, demand_cell_m)
        cands = grid_candidates(inp.gaps, spacing, buffer_m=radius, crs=crs, within=wards)
    else:
        cands = candidates_from(candidates, crs)
    n_given = len(cands)
    keep = _remove_excluded(cands, excluded, crs)
    n_excluded = int((~keep).sum())
    cxy = np.column_stack([cands["x_m"].to_numpy(), cands["y_m"].to_numpy()])
    exy = _existing_xy(inp, op, crs)
    n_near_existing = 0
    if min_spacing_m > 0 and len(exy) and len(cxy):
        d, _ = cKDTree(exy).query(cxy, k=1)
        near = (d < min_spacing_m) & keep
        n_near_existing = int(near.sum())
        keep &= ~near
    cands = cands[keep].reset_index(drop=True)
    cxy = cxy[keep]
    dxy = np.column_stack([demand["x_m"].to_numpy(), demand["y_m"].to_numpy()])
    w = demand["weight"].to_numpy("float64")
    cover = coverage_matrix(cxy, dxy, radius)
    conflicts = conflict_pairs(cxy, min_spacing_m)
    target_w = target_pct / 100.0 * total_pop - covered0
    mode = "budget" if budget is not None else "target"
    log.info(
        "plan: %d candidates, %d demand points, %d covered pairs, %d conflicts, radius %.0f m",
        len(cands),
        len(w),
        cover.nnz,
        len(conflicts),
        radius,
    )

    g_res: GreedyResult | None = None
    m_res: MilpResult | None = None
    if method in ("greedy", "both") or mode == "target":
        # the greedy also draws the curve (and caps the MILP in target mode)
        g_res = greedy(
            cover,
            w,
            budget=budget,
            target_weight=None if mode == "budget" else target_w,
            conflicts=conflicts,
        )
    if method in ("milp", "both"):
        if mode == "budget":
            m_res = milp(
                cover,
                w,
                budget=budget,
                conflicts=conflicts,
                time_limit_s=time_limit_s,
                mip_rel_gap=mip_rel_gap,
            )
        else:
            cap = g_res.n_sites if (g_res is not None and g_res.reached_target) else None
            m_res = milp(
                cover,
                w,
                target_weight=target_w,
                conflicts=conflicts,
                time_limit_s=time_limit_s,
                max_sites=cap,
                mip_rel_gap=mip_rel_gap,
            )

    # pick the plan
    use = "greedy"
    if method == "milp" or (method == "both" and m_res is not None and m_res.n_sites > 0):
        if method == "milp":
            use = (
                "milp"
                if m_res is not None and m_res.status in ("optimal", "time_limit")
                else "greedy"
            )
        elif mode == "budget":
            use = "milp" if m_res.covered_weight > g_res.covered_weight + 1e-9 else "greedy"
        else:
            m_ok = _reached(m_res.covered_weight, target_w)
            better = m_ok and (not g_res.reached_target or m_res.n_sites < g_res.n_sites)
            use = "milp" if better else "greedy"
    if use == "milp":
        # order the MILP's sites greedily among themselves (gains and an order)
        sub = greedy(cover[m_res.selected], w)
        chosen = m_res.selected[sub.order]
        gains = sub.gains
        rest = np.setdiff1d(m_res.selected, chosen)  # sites adding nothing go last
        chosen = np.concatenate([chosen, rest])
        gains = np.concatenate([gains, np.zeros(len(rest))])
    else:
        if g_res is None:  # the MILP found no plan: fall back to the greedy
            log.warning("MILP %s: falling back to the greedy plan", m_res.status if m_res else "")
            g_res = greedy(
                cover,
                w,
                budget=budget,
                target_weight=None if mode == "budget" else target_w,
                conflicts=conflicts,
            )
        chosen, gains = g_res.order, g_res.gains
    covered = (
        np.asarray(cover[chosen].sum(axis=0)).ravel() > 0 if len(chosen) else np.zeros(len(w), bool)
    )
    new_people = float(w[covered].sum())

    # outputs
    sites = _site_table(cxy[chosen], np.arange(1, len(chosen) + 1), gains, site, radius, crs, model)
    demand = demand.assign(covered=covered)
    cands = cands.assign(range_m=radius, chosen=np.isin(np.arange(len(cands)), chosen))
    ward_table = _ward_table(wards, demand, sites)
    curve = _curve(g_res, m_res, covered0, total_pop)
    coverage_after = 100.0 * (covered0 + new_people) / total_pop
    g_bound = np.nan
    greedy_gap = np.nan
    if m_res is not None and np.isfinite(m_res.bound) and g_res is not None:
        g_bound = m_res.bound
        value = g_res.covered_weight if mode == "budget" else g_res.n_sites
        greedy_gap = (
            relative_gap(value, g_bound) if (mode == "budget" or g_res.reached_target) else np.nan
        )
    elif g_res is not None and mode == "budget":
        g_bound = submodular_upper_bound(cover, w, g_res.order, int(budget))
        greedy_gap = relative_gap(g_res.covered_weight, g_bound)
    summary = {
        "synthetic": bool(inp.synthetic),
        "mode": mode,
        "method": method,
        "method_used": use,
        "target_pct": float(target_pct),
        "budget": budget,
        "operator": op,
        "coverage_counted_for": counted,
        "model": model,
        "radius_m": radius,
        "new_site": {k: getattr(site, k) for k in NewSite.__dataclass_fields__},
        "population": total_pop,
        "covered_population_before": covered0,
        "coverage_before_pct": 100.0 * covered0 / total_pop,
        "people_in_gaps": gap_pop,
        "target_people": max(target_w, 0.0),
        "newly_covered_population": new_people,
        "coverage_after_pct": coverage_after,
        "goal_reached": bool(coverage_after >= target_pct - 1e-9),
        "n_sites": len(chosen),
        "greedy_n_sites": g_res.n_sites if g_res is not None else None,
        "greedy_covered_population": g_res.covered_weight if g_res is not None else None,
        "greedy_time_s": g_res.time_s if g_res is not None else None,
        "greedy_bound": g_bound,
        "greedy_gap": greedy_gap,
        "milp_status": m_res.status if m_res is not None else None,
        "milp_n_sites": m_res.n_sites if m_res is not None else None,
        "milp_covered_population": m_res.covered_weight if m_res is not None else None,
        "milp_bound": m_res.bound if m_res is not None else None,
        "milp_gap": m_res.mip_gap if m_res is not None else None,
        "milp_time_s": m_res.time_s if m_res is not None else None,
        "n_candidates_given": n_given,
        "n_candidates_excluded": n_excluded,
        "n_candidates_near_existing": n_near_existing,
        "n_candidates": len(cands),
        "n_conflicts": len(conflicts),
        "n_demand_points": len(w),
        "demand_cell_m": float(demand_cell_m),
        "min_spacing_m": float(min_spacing_m),
        "time_s": time.perf_counter() - t_start,
        "approximation": (
            f"coverage after is estimated on a {demand_cell_m:g} m demand grid over the gaps "
            "(people spread evenly in each gap; a point counts as covered within "
            f"{radius:.0f} m of a new site); re-audit with the proposed sites for the exact figure."
        ),
    }
    return PlanResult(
        sites=sites,
        wards=ward_table,
        curve=curve,
        summary=_jsonable(summary),
        candidates=cands,
        demand=demand,
        greedy=g_res,
        milp=m_res,
    )


def _ward_table(
    wards: gpd.GeoDataFrame, demand: gpd.GeoDataFrame, sites: gpd.GeoDataFrame
) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "ward_id": wards["ward_id"].astype("string").to_numpy(),
            "name": wards["name"].to_numpy() if "name" in wards else "",
            "population": pd.to_numeric(wards["population"], errors="coerce").to_numpy("float64"),
            "covered_population_before": pd.to_numeric(
                wards["covered_population"], errors="coerce"
            ).to_numpy("float64"),
        }
    )
    gained = demand.loc[demand["covered"]].groupby("ward_id")["weight"].sum()
    out["newly_covered_population"] = (
        out["ward_id"].map(gained).astype("float64").fillna(0.0).to_numpy()
    )
    out["covered_population_after"] = (
        out["covered_population_before"] + out["newly_covered_population"]
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        p = out["population"].where(out["population"] > 0)
        out["population_coverage_pct_before"] = 100.0 * out["covered_population_before"] / p
        out["population_coverage_pct_after"] = 100.0 * out["covered_population_after"] / p
    out["new_sites"] = 0
    if len(sites) and wards.crs is not None:
        one = sites.drop_duplicates("site_id")
        hit = shapely.STRtree(wards.to_crs(WGS84).geometry.to_numpy()).query(
            one.geometry.to_numpy(), predicate="intersects"
        )
        _, first = np.unique(hit[0], return_index=True)  # a site on a border counts once
        counts = np.bincount(hit[1][first], minlength=len(out))
        out["new_sites"] = counts
    return out.sort_values(
        ["newly_covered_population", "ward_id"], ascending=[False, True], kind="mergesort"
    ).reset_index(drop=True)


def _curve(
    g_res: GreedyResult | None, m_res: MilpResult | None, covered0: float, total: float
) -> pd.DataFrame:
    parts = []
    if g_res is not None:
        cum = np.concatenate([[0.0], g_res.cumulative])
        parts.append(
            pd.DataFrame(
                {
                    "method": "greedy",
                    "n_sites": np.arange(len(cum)),
                    "covered_population": covered0 + cum,
                }
            )
        )
    if m_res is not None and m_res.status in ("optimal", "time_limit"):
        parts.append(
            pd.DataFrame(
                {
                    "method": ["milp"],
                    "n_sites": [m_res.n_sites],
                    "covered_population": [covered0 + m_res.covered_weight],
                }
            )
        )
    if not parts:
        return pd.DataFrame(
            columns=["method", "n_sites", "covered_population", "population_coverage_pct"]
        )
    out = pd.concat(parts, ignore_index=True)
    out["population_coverage_pct"] = 100.0 * out["covered_population"] / total
    return out


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        f = float(obj)
        return None if not np.isfinite(f) else f
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


__all__ = [
    "GreedyResult",
    "MilpResult",
    "NewSite",
    "PlanInputs",
    "PlanResult",
    "candidates_from",
    "conflict_pairs",
    "coverage_matrix",
    "default_new_site",
    "demand_points",
    "footprint_radius_m",
    "greedy",
    "grid_candidates",
    "lp_bound",
    "milp",
    "propose_sites",
    "relative_gap",
    "submodular_upper_bound",
]
