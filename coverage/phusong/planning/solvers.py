"""Site-selection solvers on a coverage matrix: pure functions of arrays.

- :func:`coverage_matrix` and :func:`conflict_pairs` build the sparse
  candidates × demand-points matrix and the pairs closer than a spacing;
- :class:`RefinableCover`: a matrix known first by supersets of its rows
  (cheap), each row made exact only when a solver asks for it;
- :func:`greedy` (lazy greedy) and :func:`submodular_upper_bound` (its
  "online" bound), on a matrix or a :class:`RefinableCover`;
- :func:`milp` (exact, HiGHS through :func:`scipy.optimize.milp`) and
  :func:`lp_bound` (the LP relaxation);
- :func:`relative_gap` of a solution to a proven bound.

Both solvers handle a budget of N sites (maximum coverage) and the smallest
set reaching a target weight (set cover with a coverage constraint), with
pairwise conflicts (minimum spacing).
"""

from __future__ import annotations

import heapq
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, linprog
from scipy.optimize import milp as scipy_milp
from scipy.spatial import cKDTree

from phusong.errors import ConfigError
from phusong.options import PLAN, PLANNER

log = logging.getLogger(__name__)

#: Relative tolerance when comparing a covered weight with a target weight.
TARGET_RTOL = 1e-9

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
    return rows_matrix(tree.query_ball_point(cand, r=r, return_sorted=True), m)


def rows_matrix(rows: Sequence[Any], n_columns: int) -> sp.csr_matrix:
    """Boolean CSR matrix whose row ``i`` holds the columns ``rows[i]`` (sorted per row)."""
    lengths = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    indices = (
        np.concatenate([np.asarray(r, dtype=np.int64) for r in rows])
        if indptr[-1]
        else np.zeros(0, dtype=np.int64)
    )
    data = np.ones(len(indices), dtype=bool)
    return sp.csr_matrix((data, indices, indptr), shape=(len(rows), n_columns))


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


@dataclass
class RefinableCover:
    """A coverage matrix known first by supersets of its rows, made exact row by row.

    Coverage costs little to bound and much to know exactly when an exact row
    needs work the bound skips (the terrain sweep of a candidate, say:
    terrain only takes coverage away). The solvers ask for the exact row of a
    candidate only when its bound could still matter, so most rows are never
    made exact; the answers equal those on the exact matrix.

    Parameters
    ----------
    bound : scipy.sparse.csr_matrix, shape (n, m)
        Boolean; row ``i`` holds every column of the exact row ``i`` (and
        maybe more).
    exact_row : callable
        ``exact_row(i, bound_columns)`` → sorted int64 columns of the exact
        row ``i``, a subset of ``bound_columns`` (row ``i`` of ``bound``).
    """

    bound: sp.csr_matrix
    exact_row: Callable[[int, np.ndarray], np.ndarray]
    _rows: dict[int, np.ndarray] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.bound = _as_csr(self.bound)

    @property
    def shape(self) -> tuple[int, int]:
        """``(n, m)``: candidates × demand points."""
        return self.bound.shape

    @property
    def n_refined(self) -> int:
        """How many rows were made exact so far."""
        return len(self._rows)

    def bound_row(self, i: int) -> np.ndarray:
        """Columns of the bound's row ``i``."""
        return self.bound.indices[self.bound.indptr[i] : self.bound.indptr[i + 1]]

    def row(self, i: int) -> np.ndarray:
        """Columns of the exact row ``i`` (computed once, then kept)."""
        got = self._rows.get(int(i))
        if got is None:
            got = np.asarray(self.exact_row(int(i), self.bound_row(i)), dtype=np.int64)
            self._rows[int(i)] = got
        return got

    def matrix(self, rows: Any = None) -> sp.csr_matrix:
        """Return the exact matrix (every row), or only ``rows`` of it in that order."""
        which = range(self.shape[0]) if rows is None else np.asarray(rows, np.int64).ravel()
        return rows_matrix([self.row(int(i)) for i in which], self.shape[1])


def exact_matrix(cover: sp.csr_matrix | RefinableCover) -> sp.csr_matrix:
    """Return the exact coverage matrix (every row of a :class:`RefinableCover` exact)."""
    return cover.matrix() if isinstance(cover, RefinableCover) else cover


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


def reaches(value: float, target: float) -> bool:
    """Whether a covered weight reaches a target weight, within :data:`TARGET_RTOL`.

    Parameters
    ----------
    value, target : float
        Covered and target weight [people].
    """
    return value >= target - TARGET_RTOL * max(1.0, abs(target))


def greedy(
    cover: sp.csr_matrix | RefinableCover,
    weights: np.ndarray,
    *,
    budget: int | None = None,
    target_weight: float | None = None,
    conflicts: np.ndarray | None = None,
) -> GreedyResult:
    """Add the candidate that newly covers the most weight, until done.

    Parameters
    ----------
    cover : scipy.sparse matrix or RefinableCover, shape (n, m)
        Candidate × demand-point coverage (non-zero = covers). A
        :class:`RefinableCover` is read by its bound first; a candidate's
        exact row is asked for only when the candidate reaches the top of
        the heap.
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
    first argmax, and is deterministic. A row's bound is an upper bound of
    its gain too, so on a :class:`RefinableCover` the same holds: the first
    gains are the bounds' (stale), and a row is made exact when its bound
    reaches the top; the result is the greedy's on the exact matrix. The greedy also stops when no
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
    lazy = cover if isinstance(cover, RefinableCover) else None
    mat = lazy.bound if lazy is not None else _as_csr(cover)
    n, m = mat.shape
    w = _check_weights(weights, m)
    graph = _conflict_graph(conflicts, n)
    indptr, indices = mat.indptr, mat.indices

    def columns(i: int) -> np.ndarray:
        return lazy.row(i) if lazy is not None else indices[indptr[i] : indptr[i + 1]]

    heap = _gain_heap(mat, w)
    # the first gains are exact on a matrix (fresh in round 0), bounds on a RefinableCover
    fresh_round = np.full(n, 0 if lazy is None else -1, dtype=np.int64)
    banned = np.zeros(n, dtype=bool)
    covered = np.zeros(m, dtype=bool)
    order: list[int] = []
    gains: list[float] = []
    total = 0.0
    rnd = 0
    while heap and not _greedy_done(len(order), total, budget, target_weight):
        neg, i = heap[0]
        if banned[i]:
            heapq.heappop(heap)
            continue
        if fresh_round[i] != rnd:
            idx = columns(i)
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
        covered[columns(i)] = True
        order.append(i)
        gains.append(g)
        total += g
        banned[i] = True
        banned[graph.indices[graph.indptr[i] : graph.indptr[i + 1]]] = True
        rnd += 1
    reached = None if target_weight is None else reaches(total, target_weight)
    return GreedyResult(
        order=np.asarray(order, dtype=np.int64),
        gains=np.asarray(gains, dtype="float64"),
        covered=covered,
        covered_weight=float(np.sum(gains)),
        reached_target=reached,
        time_s=time.perf_counter() - t0,
    )


def _gain_heap(mat: sp.csr_matrix, w: np.ndarray) -> list[tuple[float, int]]:
    """Heap of ``(−gain, index)`` of every candidate adding weight (exact gains at round 0)."""
    gains0 = mat.astype("float64") @ w
    heap = [(-float(g), int(i)) for i, g in enumerate(gains0) if g > 0]
    heapq.heapify(heap)
    return heap


def _greedy_done(
    n_chosen: int, total: float, budget: int | None, target_weight: float | None
) -> bool:
    """Whether the greedy has used its budget or reached its target."""
    if budget is not None and n_chosen >= budget:
        return True
    return target_weight is not None and reaches(total, target_weight)


def submodular_upper_bound(
    cover: sp.csr_matrix | RefinableCover, weights: np.ndarray, selected: Any, k: int
) -> float:
    """Upper bound on the best weight ``k`` candidates can cover, from any set ``S``.

    Parameters
    ----------
    cover : scipy.sparse matrix or RefinableCover, shape (n, m)
        Coverage matrix. From a :class:`RefinableCover` only the rows of
        ``selected`` and of the candidates whose bound gain could be among
        the ``k`` largest are made exact; the bound is the exact matrix's.
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
    if isinstance(cover, RefinableCover):
        return _refinable_upper_bound(cover, weights, selected, k)
    mat = _as_csr(cover)
    w = _check_weights(weights, mat.shape[1])
    sel = np.asarray(selected, dtype=np.int64).reshape(-1)
    covered = np.asarray(mat[sel].sum(axis=0)).ravel() > 0 if len(sel) else np.zeros(len(w), bool)
    delta = mat @ np.where(covered, 0.0, w)
    top = np.sort(delta)[::-1][: max(int(k), 0)]
    return float(w[covered].sum() + top.sum())


def _refinable_upper_bound(cover: RefinableCover, weights: Any, selected: Any, k: int) -> float:
    """:func:`submodular_upper_bound` making exact only the rows that can matter.

    The candidates are visited by their bound gain, largest first, and made
    exact until the ``k``-th largest exact gain found is at least the next
    bound (every later exact gain is at most its bound): the ``k`` largest
    exact gains are then known.
    """
    w = _check_weights(weights, cover.shape[1])
    sel = np.asarray(selected, dtype=np.int64).reshape(-1)
    covered = np.zeros(len(w), bool)
    for i in sel:
        covered[cover.row(int(i))] = True
    free = np.where(covered, 0.0, w)
    k = max(int(k), 0)
    bound_delta = cover.bound @ free
    top: list[float] = []  # min-heap of the k largest exact gains so far
    for i in np.argsort(-bound_delta, kind="stable"):
        if k == 0 or (len(top) == k and top[0] >= bound_delta[i]):
            break
        g = float(free[cover.row(int(i))].sum())
        if len(top) < k:
            heapq.heappush(top, g)
        elif g > top[0]:
            heapq.heapreplace(top, g)
    return float(w[covered].sum() + sum(top))


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
    """Build the MILP of :func:`milp` (see its Notes) on merged demand classes."""
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
    else:  # target mode: _check_mode made sure target_weight is given
        assert target_weight is not None
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
    time_limit_s: float = PLAN["time_limit_s"].default,
    mip_rel_gap: float = PLANNER["mip_rel_gap"].default,
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
        return _milp_result(mat, w, sel, mode, status, bound, gap, model, time.perf_counter() - t0)

    empty = np.zeros(0, dtype=np.int64)
    if target_weight is not None:  # target mode: nothing to do, or out of reach
        if target_weight <= 0:
            return done(empty, "optimal", 0.0, 0.0, None)
        coverable = float(w[np.diff(mat.tocsc().indptr) > 0].sum())
        if not reaches(coverable, target_weight):
            log.info(
                "milp: target %.1f exceeds the coverable weight %.1f", target_weight, coverable
            )
            return done(empty, "infeasible", np.inf, np.nan, None)
    model = _build_model(
        mat, w, budget=budget, target_weight=target_weight, conflicts=conflicts, max_sites=max_sites
    )
    res = scipy_milp(
        c=model.c,
        constraints=model.constraints,
        integrality=model.integrality,
        bounds=model.bounds,
        options={"time_limit": float(time_limit_s), "mip_rel_gap": float(mip_rel_gap)},
    )
    bound, gap = _highs_bound(res, mode)
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


def _highs_bound(res: Any, mode: str) -> tuple[float, float]:
    """(proven bound, relative gap) HiGHS reported; NaN when it reported none.

    The bound is on the covered weight in budget mode and on the number of
    sites (rounded up) in target mode.
    """
    dual = getattr(res, "mip_dual_bound", None)
    gap = float(
        getattr(res, "mip_gap", np.nan) if getattr(res, "mip_gap", None) is not None else np.nan
    )
    if mode == "budget":
        bound = -float(dual) if dual is not None else np.nan
    else:
        bound = float(np.ceil(float(dual) - 1e-6)) if dual is not None else np.nan
    return bound, gap


def _milp_result(
    mat: sp.csr_matrix,
    w: np.ndarray,
    sel: np.ndarray,
    mode: str,
    status: str,
    bound: float,
    gap: float,
    model: _Model | None,
    time_s: float,
) -> MilpResult:
    """Return the :class:`MilpResult` of a selection, its covered weight recomputed."""
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
        time_s=time_s,
        n_variables=(model.n + model.n_classes) if model else 0,
        n_constraints=model.n_rows if model else 0,
        n_demand_classes=model.n_classes if model else 0,
    )


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
    if target_weight is not None and target_weight <= 0:
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
