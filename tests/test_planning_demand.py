"""Demand on the audit's own pixels (issue #17): no polygon cutting, people where the audit put them.

:func:`phusong.planning.demand.grid_demand_points` sums the people of the
audit's unserved ward × pixel pieces into blocks; the candidates' coverage is
then read around each candidate from the grid of demand pixels. Checked by
hand on a tiny grid, against the audit's own figures on the sample, and the
pixel lookup against the k-d tree it replaces.
"""

from __future__ import annotations

import numpy as np
import pytest
from affine import Affine
from pyproj import CRS

from phusong.planning.demand import grid_demand_points
from phusong.raster.spec import GridSpec
from phusong.raster.ward_pixels import WardPixels

UTM48N = "EPSG:32648"


def _grid(width: int = 4, height: int = 4, res: float = 50.0) -> GridSpec:
    return GridSpec(CRS.from_user_input(UTM48N), res, Affine(res, 0, 0, 0, -res, height * res),
                    width, height)  # fmt: skip


def test_blocks_weights_and_positions_by_hand():
    # 4 × 4 pixels of 50 m, demand blocks of 100 m (2 × 2 pixels). Ward 0 holds the left
    # half, ward 1 the right half; pixel 6 (row 1, col 2) is shared half and half.
    grid = _grid()
    pixel = np.array([0, 1, 4, 5, 6, 6, 7, 10, 15])
    ward = np.array([0, 0, 0, 0, 0, 1, 1, 1, 1])
    fraction = np.array([1, 1, 1, 1, 0.5, 0.5, 1, 1, 1], dtype=float)
    people = np.array([10, 20, 30, 40, 5, 7, 0, 8, 9], dtype=float)
    pieces = WardPixels(ward, pixel, fraction, people, 2, np.zeros(2), np.zeros(2), 2500.0, "x")
    unserved = np.zeros((4, 4), dtype=bool)
    unserved.ravel()[[0, 5, 6, 7, 10, 15]] = True  # 1 and 4 are served
    d = grid_demand_points(pieces, unserved, grid, np.array(["A", "B"]), cell_size_m=100.0)
    # ward A: block (0,0) pixels 0 and 5 (10 + 40 people); block (0,1) pixel 6 (5 people)
    # ward B: block (0,1) pixels 6 and 7 (7 + 0 people: pixel 7 has no people), block
    # (1,1) pixels 10 and 15 (8 + 9 people)
    got = {(w, round(x), round(y)): (wt, a) for w, x, y, wt, a in
           zip(d["ward_id"], d["x_m"], d["y_m"], d["weight"], d["area_m2"], strict=True)}  # fmt: skip
    # A (0,0): weighted centre (row, col) = (40·1)/50, (40·1)/50 = (0.8, 0.8): pixel 5
    assert got[("A", 75, 125)] == (50.0, 5000.0)
    assert got[("A", 125, 125)] == (5.0, 1250.0)  # pixel 6's half in A
    assert got[("B", 125, 125)] == (7.0, 1250.0)  # pixel 7 has no people: only pixel 6
    # B (1,1): centre (row, col) = ((8·2 + 9·3)/17, same) = (2.53, 2.53), nearer to
    # pixel 15 (3, 3) than to pixel 10 (2, 2): the point is at pixel 15's centre
    assert got[("B", 175, 25)] == (17.0, 5000.0)
    assert len(d) == 4
    assert d["weight"].sum() == pytest.approx(10 + 40 + 5 + 7 + 8 + 9)
    # every point is the centre of an unserved pixel, named in ``pixel``
    r, c = np.divmod(d["pixel"].to_numpy(), grid.width)
    assert unserved[r, c].all()
    np.testing.assert_allclose(d["x_m"], (c + 0.5) * 50.0)
    np.testing.assert_allclose(d["y_m"], 200.0 - (r + 0.5) * 50.0)


@pytest.fixture(scope="module")
def sample_audit():
    from phusong.audit import run_audit
    from phusong.io.sites import sample_sites_path

    return run_audit(sample_sites_path(), radio=("NR",), resolution_m=100.0)


@pytest.mark.slow
def test_demand_of_an_audit_adds_up_to_its_unserved_people(sample_audit):
    from phusong.planning.propose import PlanInputs

    inp = PlanInputs.from_audit(sample_audit)
    assert inp.pixels is not None and inp.unserved is not None
    d = grid_demand_points(inp.pixels, inp.unserved, inp.grid, inp.ward_ids, 100.0)
    table = sample_audit.wards.set_index("ward_id")
    unserved_people = (table["population"] - table["covered_population"]).clip(lower=0)
    by_ward = d.groupby("ward_id")["weight"].sum().reindex(table.index, fill_value=0.0)
    np.testing.assert_allclose(by_ward.to_numpy(), unserved_people.to_numpy(), rtol=1e-6, atol=1e-3)


def _candidates_near_demand(audit, n: int, seed: int):
    """The audit's 100 m demand points, a Viettel site's footprints, ``n`` candidates near
    random demand points and their scenarios: ``(demand, footprints, xy, scenarios, demand_xy)``."""
    import geopandas as gpd
    import shapely

    from phusong.planning.modelcover import candidate_footprints, candidate_scenarios
    from phusong.planning.newsite import default_new_site
    from phusong.planning.propose import PlanInputs

    inp = PlanInputs.from_audit(audit)
    d = grid_demand_points(inp.pixels, inp.unserved, inp.grid, inp.ward_ids, 100.0)
    crs = inp.grid.crs
    fp = candidate_footprints(default_new_site("Viettel"), audit.params, crs,
                              ["uma", "umi", "rma"], audit_grid=inp.grid)  # fmt: skip
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(d), n, replace=False)
    cand = np.column_stack([d["x_m"].to_numpy()[pick] + rng.uniform(-300, 300, n),
                            d["y_m"].to_numpy()[pick] + rng.uniform(-300, 300, n)])  # fmt: skip
    scen = candidate_scenarios(
        gpd.GeoDataFrame(geometry=shapely.points(cand), crs=crs), audit.wards
    )
    return d, fp, cand, scen, d[["x_m", "y_m"]].to_numpy()


@pytest.mark.slow
def test_pixel_lookup_equals_the_kd_tree(sample_audit):
    # The candidates × demand matrix read from the grid of demand pixels is the matrix the
    # k-d tree search gives on the same points.
    from phusong.planning.modelcover import model_coverage_matrix

    d, fp, cand, scen, dxy = _candidates_near_demand(sample_audit, 40, seed=3)
    tree = model_coverage_matrix(cand, scen, dxy, fp, bulk=False)
    lookup = model_coverage_matrix(cand, scen, dxy, fp, d["pixel"].to_numpy(), bulk=False)
    assert tree.nnz > 1000
    assert (tree != lookup).nnz == 0
    # every candidate at once (pairs from two k-d trees, templates read in bulk): the same
    bulk = model_coverage_matrix(cand, scen, dxy, fp, d["pixel"].to_numpy())
    assert (bulk != tree).nnz == 0
    assert bulk.has_sorted_indices and np.array_equal(bulk.indptr, tree.indptr)


@pytest.mark.slow
def test_a_plan_for_some_wards_counts_only_their_people(sample_audit):
    # A caller may plan for a subset of the audit's wards (the app's per-ward estimate):
    # the demand taken from the audit's pixels must then be that of those wards only.
    import dataclasses

    from phusong.planning import PlanInputs, propose_sites

    ward_id = str(sample_audit.wards["ward_id"].iloc[0])  # the ward that holds the city back
    inputs = dataclasses.replace(
        PlanInputs.from_audit(sample_audit),
        wards=sample_audit.wards[sample_audit.wards["ward_id"].astype(str) == ward_id],
        gaps=sample_audit.gaps[sample_audit.gaps["ward_id"].astype(str) == ward_id],
    )
    plan = propose_sites(inputs, budget=3, demand_cell_m=300.0)
    row = sample_audit.wards[sample_audit.wards["ward_id"].astype(str) == ward_id].iloc[0]
    unserved = float(row["population"] - row["covered_population"])
    assert plan.summary["people_in_gaps"] == pytest.approx(unserved, rel=1e-6)
    # every demand point the plan counted lies in that ward
    assert set(plan.demand["ward_id"].astype(str)) == {ward_id}


@pytest.mark.slow
def test_terrain_rows_made_exact_on_demand_equal_the_eager_rows(sample_audit):
    # Reference: for every candidate, the template's RSRP at every demand point near it,
    # less the terrain swept once over all of them (one window for the lot), against the
    # threshold. The refinable cover's bound rows must hold these rows, and its exact rows
    # (terrain swept only over the bound's points) must equal them.
    from phusong.planning.modelcover import (
        _template_rsrp,
        _terrain_at,
        _TreeIndex,
        model_coverage,
    )
    from phusong.planning.solvers import RefinableCover

    d, fp, cand, scen, dxy = _candidates_near_demand(sample_audit, 30, seed=5)
    assert fp.terrain is not None  # the sample's audit uses the shipped elevation
    cover = model_coverage(cand, scen, dxy, fp, d["pixel"].to_numpy())
    assert isinstance(cover, RefinableCover)
    tree = _TreeIndex(dxy)
    n_cut = 0
    for i in range(len(cand)):
        tpl = fp.templates[str(scen[i])]
        near = tree.within(cand[i], tpl.reach_m + tpl.resolution_m)
        rsrp = _template_rsrp(cand[i], dxy[near], tpl) - _terrain_at(
            cand[i], dxy[near], fp, tpl.reach_m + 2.0 * tpl.resolution_m
        )
        want = np.sort(near[rsrp >= np.float32(fp.threshold_dbm)])
        assert set(want.tolist()) <= set(cover.bound_row(i).tolist())
        assert cover.row(i).tolist() == want.tolist()
        n_cut += len(cover.bound_row(i)) - len(want)
    assert cover.matrix().nnz > 1000
    assert n_cut > 0  # the terrain takes some points off: the exact rows are not the bounds


@pytest.mark.slow
def test_a_plan_with_rows_made_exact_on_demand_is_the_plan_on_the_exact_matrix(
    sample_audit, monkeypatch
):
    # The same plan (sites, gains, bound) whether the planner sweeps the terrain of every
    # candidate first or only of those the greedy and its bound look at.
    import phusong.planning.modelcover as modelcover
    from phusong.planning import propose_sites

    lazy = propose_sites(sample_audit, budget=8, demand_cell_m=300.0)
    made: list[int] = []
    real = modelcover.model_coverage

    def eager(*args, **kwargs):
        cover = real(*args, **kwargs)
        full = modelcover.exact_matrix(cover)
        made.append(full.shape[0])
        return full

    monkeypatch.setattr(modelcover, "model_coverage", eager)
    exact = propose_sites(sample_audit, budget=8, demand_cell_m=300.0)
    assert made  # the eager path ran
    assert lazy.sites["site_id"].tolist() == exact.sites["site_id"].tolist()
    for key in ("newly_covered_population", "greedy_covered_population", "coverage_after_pct"):
        assert lazy.summary[key] == pytest.approx(exact.summary[key], rel=1e-12), key
    assert lazy.summary["greedy_bound"] == pytest.approx(exact.summary["greedy_bound"], rel=1e-9)
    np.testing.assert_allclose(
        lazy.sites["covered_people_gain"].to_numpy(float),
        exact.sites["covered_people_gain"].to_numpy(float),
        rtol=1e-12,
    )
