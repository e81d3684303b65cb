"""Every ward at least X % (issue #16): the planner's floor greedy against hand-made answers."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from phusong.errors import ConfigError
from phusong.planning.floors import (
    floor_greedy,
    floor_met,
    floor_summary,
    floor_then_target,
    ward_needs,
)
from phusong.planning.solvers import greedy


def _cover(rows: list[list[int]], m: int) -> sp.csr_matrix:
    data, r, c = [], [], []
    for i, cols in enumerate(rows):
        for j in cols:
            data.append(True)
            r.append(i)
            c.append(j)
    return sp.csr_matrix((data, (r, c)), shape=(len(rows), m))


def test_ward_needs_by_hand():
    wards = pd.DataFrame(
        {
            "ward_id": ["a", "b", "c"],
            "population": [1000.0, 500.0, 200.0],
            "covered_population": [700.0, 490.0, 0.0],
        }
    )
    demand_ward = np.array(["a", "a", "b", "c", "x"])
    weights = np.array([200.0, 100.0, 10.0, 50.0, 5.0])
    groups, needs = ward_needs(wards, demand_ward, weights, 90.0)
    assert groups.tolist() == [0, 0, 1, 2, -1]
    # a: 900 − 700 = 200; b: 450 − 490 < 0 → 0; c: 180 − 0 = 180 but only 50 in gaps
    assert needs.tolist() == [200.0, 0.0, 50.0]


def test_floor_greedy_serves_the_ward_short_of_its_floor_first():
    # demand points 0–2 in ward 0 (needs nothing), 3 in ward 1 (needs 10)
    weights = np.array([100.0, 100.0, 100.0, 10.0])
    groups = np.array([0, 0, 0, 1])
    needs = np.array([0.0, 10.0])
    cover = _cover([[0, 1, 2], [3]], 4)
    plain = greedy(cover, weights, budget=1)
    assert plain.order.tolist() == [0]  # the plain greedy takes the big site
    floored = floor_greedy(cover, weights, groups, needs)
    assert floored.order.tolist() == [1]  # the floor takes the small ward's site, and stops
    assert floored.gains.tolist() == [10.0]
    assert floored.reached_target


def test_floor_then_target_continues_to_the_city_target():
    weights = np.array([100.0, 100.0, 100.0, 10.0])
    groups = np.array([0, 0, 0, 1])
    needs = np.array([0.0, 10.0])
    cover = _cover([[0, 1, 2], [3], [0]], 4)
    res = floor_then_target(cover, weights, groups, needs, target_weight=250.0)
    assert res.order.tolist() == [1, 0]
    assert res.gains.tolist() == [10.0, 300.0]
    assert res.reached_target
    assert res.covered.all()


def test_floor_then_target_keeps_the_spacing_conflicts():
    weights = np.array([10.0, 100.0])
    groups = np.array([1, 0])
    needs = np.array([0.0, 10.0])
    cover = _cover([[0], [1], [1]], 2)
    conflicts = np.array([[0, 1]])  # site 1 may not join site 0
    res = floor_then_target(cover, weights, groups, needs, target_weight=110.0, conflicts=conflicts)
    assert res.order.tolist() == [0, 2]


def _capped(cover: sp.csr_matrix, chosen: list[int], weights, groups, needs) -> float:
    if not chosen:
        return 0.0
    covered = np.asarray(cover[chosen].sum(axis=0)).ravel() > 0
    per = np.bincount(groups[covered], weights[covered], minlength=len(needs))
    return float(np.minimum(per, needs).sum())


@pytest.mark.parametrize("seed", range(6))
def test_each_floor_step_takes_the_best_capped_gain(seed):
    """Second method: brute force over every candidate at each step of the greedy."""
    rng = np.random.default_rng(seed)
    n, m, g = 9, 30, 4
    cover = sp.csr_matrix(rng.random((n, m)) < 0.25)
    weights = rng.integers(1, 20, m).astype(float)
    groups = rng.integers(0, g, m)
    needs = np.array([np.bincount(groups, weights, minlength=g)[k] * 0.6 for k in range(g)])
    res = floor_greedy(cover, weights, groups, needs)
    chosen: list[int] = []
    for pick in res.order:
        base = _capped(cover, chosen, weights, groups, needs)
        best = max(_capped(cover, [*chosen, i], weights, groups, needs) - base for i in range(n))
        got = _capped(cover, [*chosen, int(pick)], weights, groups, needs) - base
        assert got == pytest.approx(best)
        chosen.append(int(pick))
    # it stops only when the needs are met or nothing helps any more
    final = _capped(cover, chosen, weights, groups, needs)
    more = max(_capped(cover, [*chosen, i], weights, groups, needs) for i in range(n))
    assert final == pytest.approx(needs.sum()) or more == pytest.approx(final)


def test_small_instance_against_every_subset():
    """The greedy's floor plan is never more than one site worse than the optimum here."""
    rng = np.random.default_rng(3)
    n, m, g = 7, 20, 3
    cover = sp.csr_matrix(rng.random((n, m)) < 0.3)
    weights = rng.integers(1, 10, m).astype(float)
    groups = rng.integers(0, g, m)
    reachable = np.asarray(cover.sum(axis=0)).ravel() > 0
    needs = 0.5 * np.bincount(groups[reachable], weights[reachable], minlength=g)
    res = floor_greedy(cover, weights, groups, needs)
    assert res.reached_target
    best = min(
        k
        for k in range(n + 1)
        for s in itertools.combinations(range(n), k)
        if _capped(cover, list(s), weights, groups, needs) >= needs.sum() - 1e-9
    )
    assert best <= res.n_sites <= best + 1


class _Audit:
    def __init__(self, pct: list[float], pop: list[float]):
        self.wards = pd.DataFrame({"population_coverage_pct": pct, "population": pop})


def test_floor_met_and_summary():
    after = _Audit([95.0, 80.0, float("nan"), float("nan")], [10.0, 10.0, 0.0, 5.0])
    assert not floor_met(after, 90.0)
    assert floor_met(after, None)
    s = floor_summary(after, 80.0)
    # 95 and 80 meet 80; the empty ward meets any floor; unknown coverage with people does not
    assert s == {
        "ward_floor_pct": 80.0,
        "meets_ward_floor_after": False,
        "wards_below_floor_after": 1,
    }
    assert floor_summary(None, 80.0)["meets_ward_floor_after"] is None
    assert floor_summary(after, None) == {}


def test_propose_sites_brings_every_ward_to_the_floor():
    """A tiny city: two square wards, people in gaps; the floor plan serves both."""
    import geopandas as gpd
    from shapely.geometry import box

    from phusong.planning import PlanInputs, propose_sites

    crs = "EPSG:32648"
    wards = gpd.GeoDataFrame(
        {
            "ward_id": ["w1", "w2"],
            "name": ["Big", "Small"],
            "population": [100_000.0, 2_000.0],
            "covered_population": [50_000.0, 0.0],
        },
        geometry=[
            box(580_000, 2_300_000, 590_000, 2_310_000),
            box(590_000, 2_300_000, 592_000, 2_302_000),
        ],
        crs=crs,
    ).to_crs("EPSG:4326")
    gaps = gpd.GeoDataFrame(
        {"ward_id": ["w1", "w2"], "population": [50_000.0, 2_000.0]},
        geometry=[
            box(580_000, 2_300_000, 590_000, 2_305_000),
            box(590_000, 2_300_000, 592_000, 2_302_000),
        ],
        crs=crs,
    ).to_crs("EPSG:4326")
    inputs = PlanInputs(wards=wards, gaps=gaps)
    plain = propose_sites(inputs, target_pct=60.0)
    small = plain.wards.set_index("ward_id").loc["w2", "population_coverage_pct_after"]
    assert small < 80.0  # the city target alone leaves the small ward behind
    floored = propose_sites(inputs, target_pct=60.0, ward_floor_pct=80.0)
    after = floored.wards.set_index("ward_id")["population_coverage_pct_after"]
    assert (after >= 80.0 - 1e-9).all()
    assert floored.summary["coverage_after_pct"] >= 60.0 - 1e-9
    with pytest.raises(ConfigError, match="ward_floor_pct"):
        propose_sites(inputs, target_pct=60.0, ward_floor_pct=80.0, method="milp")
    with pytest.raises(ConfigError, match="ward_floor_pct"):
        propose_sites(inputs, budget=3, ward_floor_pct=80.0)
