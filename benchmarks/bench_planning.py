"""Benchmark: new-site planning on the shipped Hà Nội wards.

Greedy (lazy, heap) vs. a plain greedy baseline that re-evaluates every
candidate each round (same answer; the ratio is the speed-up), and the exact
MILP (HiGHS, time-limited) beside it with its proven bound.

Without ``--sites`` the coverage gaps are SYNTHETIC: random synthetic 5G sites
(discs of the n41 default range) are removed from the wards, and each ward's
people are spread evenly over it.

Run:  /tmp/venv/bin/python benchmarks/bench_planning.py [--candidates 5000] [--time-limit 120]
"""

from __future__ import annotations

import argparse
import time

import geopandas as gpd
import numpy as np
import scipy.sparse as sp
import shapely

import phusong
from phusong import planning as P
from phusong.geo import equal_area_crs
from phusong.operators import default_range_m


def synthetic_inputs(n_sites: int, seed: int) -> P.PlanInputs:
    wards = phusong.read_wards()
    crs = equal_area_crs(wards)
    wm = wards.to_crs(crs)
    rng = np.random.default_rng(seed)
    geoms = wm.geometry.to_numpy()
    # synthetic sites: denser where people are (sites drawn per ward ∝ population)
    share = wm["population"].to_numpy() / wm["population"].sum()
    per_ward = rng.multinomial(n_sites, share)
    pts = []
    for g, k in zip(geoms, per_ward, strict=True):
        minx, miny, maxx, maxy = g.bounds
        cand = shapely.points(
            rng.uniform(minx, maxx, 4 * k + 4), rng.uniform(miny, maxy, 4 * k + 4)
        )
        pts.extend(cand[shapely.contains(g, cand)][:k])
    served = shapely.union_all(shapely.buffer(np.array(pts), default_range_m("n41"), quad_segs=16))
    gaps = shapely.difference(geoms, served)
    pop = wm["population"].to_numpy() * shapely.area(gaps) / shapely.area(geoms)
    gaps_gdf = gpd.GeoDataFrame(
        {"ward_id": wm["ward_id"], "name": wm["name"], "population": pop}, geometry=gaps, crs=crs
    ).to_crs("EPSG:4326")
    wards = wards.assign(covered_population=wards["population"] - pop)
    return P.PlanInputs(wards=wards, gaps=gaps_gdf, params={"model": "disc"}, synthetic=True)


def audit_inputs(sites: str) -> P.PlanInputs:
    return P.PlanInputs.from_audit(phusong.run_audit(sites))


def candidates_near(inp: P.PlanInputs, n_target: int, radius: float, crs) -> gpd.GeoDataFrame:
    area = float(inp.gaps.to_crs(crs).area.sum()) * 1.6
    spacing = np.sqrt(area / n_target)
    for _ in range(4):
        c = P.grid_candidates(inp.gaps, spacing, buffer_m=radius / 2, crs=crs, within=inp.wards)
        if abs(len(c) - n_target) < 0.03 * n_target:
            break
        spacing *= np.sqrt(len(c) / n_target)
    return c


def naive_greedy(cover: sp.csr_matrix, w: np.ndarray, target: float) -> list[int]:
    """Baseline: one sparse mat-vec per round over all candidates."""
    m = cover.astype("float64")
    uncovered = w.copy()
    order, total = [], 0.0
    while total < target * (1 - 1e-9):
        gains = m @ uncovered
        i = int(np.argmax(gains))
        if gains[i] <= 0:
            break
        order.append(i)
        total += gains[i]
        uncovered[cover.indices[cover.indptr[i] : cover.indptr[i + 1]]] = 0.0
    return order


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sites", help="site file to audit (default: synthetic gaps)")
    ap.add_argument("--synthetic-sites", type=int, default=4000, help="synthetic existing sites")
    ap.add_argument("--candidates", type=int, default=5000)
    ap.add_argument("--demand-cell", type=float, default=100.0)
    ap.add_argument("--target", type=float, default=99.0)
    ap.add_argument("--time-limit", type=float, default=120.0)
    ap.add_argument("--min-spacing", type=float, default=0.0)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    t = time.perf_counter()
    inp = (
        audit_inputs(args.sites)
        if args.sites
        else synthetic_inputs(args.synthetic_sites, args.seed)
    )
    label = "audit" if args.sites else "SYNTHETIC gaps"
    t_inputs = time.perf_counter() - t
    crs = equal_area_crs(inp.wards)
    site = P.default_new_site("Viettel")
    radius = P.footprint_radius_m(site, inp.params)
    total = float(inp.wards["population"].sum())
    before = float(inp.wards["covered_population"].sum())

    t = time.perf_counter()
    demand = P.demand_points(inp.gaps, args.demand_cell, crs)
    t_demand = time.perf_counter() - t
    t = time.perf_counter()
    cands = candidates_near(inp, args.candidates, radius, crs)
    t_cands = time.perf_counter() - t
    cxy = np.column_stack([cands["x_m"], cands["y_m"]])
    dxy = np.column_stack([demand["x_m"], demand["y_m"]])
    w = demand["weight"].to_numpy()
    t = time.perf_counter()
    cover = P.coverage_matrix(cxy, dxy, radius)
    conflicts = P.conflict_pairs(cxy, args.min_spacing)
    t_matrix = time.perf_counter() - t
    target_w = args.target / 100 * total - before
    coverable = float(w[np.diff(cover.tocsc().indptr) > 0].sum())
    reachable = 100 * (before + coverable) / total
    if coverable < target_w:
        print(f"note: these candidates can reach at most {reachable:.2f} %; target lowered to it")
        target_w = coverable * (1 - 1e-9)

    g = P.greedy(cover, w, target_weight=target_w, conflicts=conflicts)
    t = time.perf_counter()
    base = naive_greedy(cover, w, target_w) if args.min_spacing == 0 else None
    t_base = time.perf_counter() - t
    m = P.milp(
        cover,
        w,
        target_weight=target_w,
        conflicts=conflicts,
        time_limit_s=args.time_limit,
        max_sites=g.n_sites,
    )
    t = time.perf_counter()
    lp = P.lp_bound(
        cover, w, target_weight=target_w, conflicts=conflicts, time_limit_s=args.time_limit
    )
    t_lp = time.perf_counter() - t
    best = np.nanmax([m.bound, lp])
    k = max(g.n_sites // 2, 1)
    gb = P.greedy(cover, w, budget=k, conflicts=conflicts)
    mb = P.milp(cover, w, budget=k, conflicts=conflicts, time_limit_s=args.time_limit)
    online = P.submodular_upper_bound(cover, w, gb.order, k)

    def pct(x: float) -> float:
        return 100 * (before + x) / total

    print(f"\nPlanning benchmark on the shipped Hà Nội wards ({label}), radius {radius:.0f} m")
    print(
        f"  inputs {t_inputs:.1f} s; demand points {len(w):,} ({t_demand:.1f} s); "
        f"candidates {len(cands):,} ({t_cands:.1f} s); matrix nnz {cover.nnz:,} ({t_matrix:.2f} s)"
    )
    print(
        f"  coverage before {pct(0):.2f} %, target {args.target:g} %, "
        f"reachable with these candidates {reachable:.2f} %"
    )
    print()
    print(
        f"{'mode':<22}{'method':<16}{'sites':>7}{'coverage %':>12}{'bound':>12}{'gap':>9}"
        f"{'time s':>9}  status"
    )
    print(
        f"{'fewest to target':<22}{'greedy (lazy)':<16}{g.n_sites:>7}{pct(g.covered_weight):>12.3f}"
        f"{'':>12}{'':>9}{g.time_s:>9.2f}  reached={g.reached_target}"
    )
    if base is not None:
        print(
            f"{'':<22}{'greedy (plain)':<16}{len(base):>7}{'':>12}{'':>12}{'':>9}{t_base:>9.2f}"
            f"  same order: {base == g.order.tolist()}"
        )
    print(
        f"{'':<22}{'MILP (HiGHS)':<16}{m.n_sites:>7}{pct(m.covered_weight):>12.3f}"
        f"{m.bound:>12.0f}{m.mip_gap:>9.3%}{m.time_s:>9.1f}  {m.status}"
    )
    print(f"{'':<22}{'LP relaxation':<16}{'':>7}{'':>12}{lp:>12.0f}{'':>9}{t_lp:>9.1f}  HiGHS IPM")
    print(
        f"{'':<22}{'greedy vs bound':<16}{'':>7}{'':>12}{best:>12.0f}"
        f"{P.relative_gap(g.n_sites, best):>9.3%}"
    )
    print(
        f"{f'budget {k} sites':<22}{'greedy (lazy)':<16}{gb.n_sites:>7}"
        f"{pct(gb.covered_weight):>12.3f}{pct(online - 0):>12.3f}"
        f"{P.relative_gap(gb.covered_weight, online):>9.3%}{gb.time_s:>9.2f}  online bound"
    )
    print(
        f"{'':<22}{'MILP (HiGHS)':<16}{mb.n_sites:>7}{pct(mb.covered_weight):>12.3f}"
        f"{pct(mb.bound):>12.3f}{mb.mip_gap:>9.3%}{mb.time_s:>9.1f}  {mb.status}"
    )
    print(
        f"{'':<22}{'greedy vs bound':<16}{'':>7}{'':>12}{'':>12}"
        f"{P.relative_gap(gb.covered_weight, mb.bound):>9.3%}"
    )
    if base is not None and g.time_s > 0:
        print(f"\nlazy greedy speed-up over the plain greedy: {t_base / g.time_s:.1f}×")
    print(
        f"MILP model: {m.n_variables:,} variables, {m.n_constraints:,} rows, "
        f"{m.n_demand_classes:,} demand classes (from {len(w):,} points)"
    )

    t = time.perf_counter()
    res = P.propose_sites(
        inp,
        target_pct=min(args.target, reachable),
        candidates=cands,
        demand_cell_m=args.demand_cell,
        method="greedy",
    )
    print(
        f"propose_sites end to end (greedy): {time.perf_counter() - t:.1f} s, "
        f"{res.summary['n_sites']} sites, coverage after {res.summary['coverage_after_pct']:.2f} %"
        f" ({label})"
    )


if __name__ == "__main__":
    main()
