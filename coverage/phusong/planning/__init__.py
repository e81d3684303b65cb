"""New-site proposals: the fewest new sites that bring the city to its goal.

The audit (:func:`phusong.audit.run_audit`) says which parts of which wards
have no 5G service. This package turns that into a site-selection problem and
solves it:

1. **Demand** (:mod:`~phusong.planning.demand`): points on a regular grid,
   each carrying the unserved people it stands for. For an audit on the
   raster route, from the audit's own unserved pixels and the people it
   counted in each (:func:`grid_demand_points`: blocks of pixels, no polygon
   cut; people where the audit put them, WorldPop-weighted when it was);
   otherwise the gap polygons are cut by the grid (:func:`demand_points`,
   people spread evenly over each gap). People already covered are a
   constant.
2. **Candidates** (:func:`grid_candidates`, or a user list;
   :mod:`~phusong.planning.candidates`): possible new-site positions, each
   with the footprint radius a default new site of the chosen operator gets from the *same* model and parameters as the audit
   (:mod:`~phusong.planning.newsite`).
3. **Coverage matrix** (:func:`coverage_matrix`,
   :mod:`~phusong.planning.solvers`): sparse candidates × demand points,
   built with a KD-tree (never dense).
4. **Optimisers** on that matrix, pure functions of arrays: :func:`greedy`
   (lazy greedy, the classic ``1 − 1/e`` approximation for a budget) and
   :func:`milp` (exact, HiGHS through :func:`scipy.optimize.milp`, with a time
   limit and the MIP dual bound reported). Both handle a budget of N sites
   (maximum coverage) and the smallest set reaching a target (set cover with
   a coverage constraint), minimum spacing (pairwise conflicts) and excluded
   zones (candidates removed).
5. :func:`propose_sites` (:mod:`~phusong.planning.propose`) runs the whole
   job and returns a :class:`PlanResult` whose proposed sites are in the canonical site-table schema, so that a full
   re-audit (``run_audit`` on existing + proposed sites) can check the plan.

The approximation
-----------------
Coverage figures inside the plan are *estimates on the demand grid*: a demand
point counts as covered when it is within a chosen site's radius, and then
all the people it stands for count as covered. With a cell size ``c`` the
boundary of each footprint is blurred by about ``c/√2``; the relative error of
a site's gain is of order ``c / r`` before it averages out, i.e. small for the
default ``c = 100 m`` and ranges of several hundred metres. From gap
polygons, people are spread evenly inside each gap (the audit's own
assumption when it has no population raster); from the audit's pixels they
are the audit's own people. The exact figure comes from re-auditing with the proposed
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

from phusong.planning.candidates import candidates_from, grid_candidates
from phusong.planning.demand import demand_points, grid_demand_points
from phusong.planning.newsite import (
    PLAN_SITE_EXTRA_COLUMNS,
    NewSite,
    default_new_site,
    footprint_radius_m,
)
from phusong.planning.propose import Method, PlanInputs, PlanResult, propose_sites
from phusong.planning.solvers import (
    TARGET_RTOL,
    GreedyResult,
    MilpResult,
    RefinableCover,
    conflict_pairs,
    coverage_matrix,
    greedy,
    lp_bound,
    milp,
    relative_gap,
    submodular_upper_bound,
)

__all__ = [
    "PLAN_SITE_EXTRA_COLUMNS",
    "TARGET_RTOL",
    "GreedyResult",
    "Method",
    "MilpResult",
    "NewSite",
    "PlanInputs",
    "PlanResult",
    "RefinableCover",
    "candidates_from",
    "conflict_pairs",
    "coverage_matrix",
    "default_new_site",
    "demand_points",
    "footprint_radius_m",
    "greedy",
    "grid_candidates",
    "grid_demand_points",
    "lp_bound",
    "milp",
    "propose_sites",
    "relative_gap",
    "submodular_upper_bound",
]
