"""The compiled grid kernel against the numpy reference path, and the engine's per-cell features.

The reference path (:mod:`phusong.raster.reference`) evaluates every cell on
its whole pixel box in numpy with :mod:`phusong.propagation`'s formulas; the
compiled kernel (:mod:`phusong.raster.compiled`) uses radial tables, lobe
cuts and float32 approximations. They must agree within 0.01 dB.

Where a figure is a threshold decision, a difference of 1e-3 dB can flip it;
such pixels are excluded explicitly (and counted): a pixel whose RSRP lies
within :data:`TOL_DB` of the threshold, a best server tied within
:data:`TOL_DB` with another cell, and — for the SINR only — the rare pixel
where an interferer lies within :data:`TOL_DB` of the evaluation floor (it
is counted by one path and not the other).
"""

from __future__ import annotations

import math
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from test_grid import centre, random_sites, sites_at

from phusong import propagation as prop
from phusong.raster.cells import prepare_cells
from phusong.raster.grid import GridSpec, compute_grid
from phusong.raster.predict import candidate_coverage, point_rsrp_dbm
from phusong.raster.reference import vertical_attenuation_db

#: Agreement required between the two paths [dB].
TOL_DB = 0.01


@pytest.fixture
def grid10(square_ward) -> GridSpec:
    return GridSpec.for_area(square_ward, resolution_m=10)


def both(sites: pd.DataFrame, grid: GridSpec, **kw):
    """The grid by the compiled kernel and by the reference path (several tiles)."""
    fast = compute_grid(sites, grid, engine="fast", tile_px=96, **kw)
    ref = compute_grid(sites, grid, engine="reference", tile_px=96, **kw)
    assert fast.stats["engine"] == "compiled" and ref.stats["engine"] == "reference"
    return fast, ref


def assert_equivalent(fast, ref, threshold: float = -110.0, sinr_outliers: float = 1e-3) -> None:
    """RSRP within TOL_DB; decisions equal away from the threshold and from ties."""
    a, b = fast.rsrp_dbm, ref.rsrp_dbm
    near = np.abs(np.where(np.isfinite(b), b, a) - threshold) < TOL_DB
    assert np.array_equal(np.isfinite(a) | near, np.isfinite(b) | near)
    ok = np.isfinite(a) & np.isfinite(b)
    assert ok.sum() > 100
    np.testing.assert_allclose(a[ok], b[ok], atol=TOL_DB)
    assert (fast.n_servers != ref.n_servers).mean() < 1e-3
    assert (fast.serving_cell != ref.serving_cell).mean() < 1e-3
    d = np.abs(fast.sinr_db[ok] - ref.sinr_db[ok])
    assert (d > TOL_DB).mean() <= sinr_outliers
    for i in range(len(fast.operators)):
        fa, fb = fast.operator_rsrp_dbm[i], ref.operator_rsrp_dbm[i]
        m = np.isfinite(fa) & np.isfinite(fb)
        np.testing.assert_allclose(fa[m], fb[m], atol=TOL_DB)


@pytest.mark.parametrize("model", prop.PATH_LOSS_MODELS)
def test_fast_equals_reference_for_every_model(grid10, model):
    sites = random_sites(grid10, 10, seed=11)
    fast, ref = both(sites, grid10, model=model)
    assert_equivalent(fast, ref)
    # The lobe cut evaluates far fewer pixels than the reference's whole boxes.
    assert fast.stats["evaluations"] < ref.stats["evaluations"]


def test_per_cell_models_calibration_and_losses(grid10):
    rng = np.random.default_rng(5)
    sites = random_sites(grid10, 12, seed=7)
    n = len(sites)
    sites["path_loss_model"] = rng.choice([*prop.PATH_LOSS_MODELS, "uma", ""], n)
    sites["pl_offset_db"] = rng.uniform(-5, 5, n)
    sites["pl_slope_db_per_decade"] = rng.uniform(-8, 8, n)
    sites["shadow_margin_db"] = np.where(rng.random(n) < 0.5, np.nan, rng.uniform(0, 9, n))
    sites["receiver_loss_db"] = rng.uniform(-2, 3, n)
    sites["eirp_dbm"] = rng.uniform(55, 66, n)
    fast, ref = both(sites, grid10, model="uma_nlos")
    assert_equivalent(fast, ref)
    # Each cell took its own model: the codes follow the column.
    cells, _ = prepare_cells(sites, grid10, model="uma_nlos")
    assert len(set(cells.model_code.tolist())) >= 6


def test_per_cell_terms_match_the_formula_by_hand(grid10):
    """One omni cell, its own model and calibration: the RSRP at a pixel by hand."""
    x0, y0 = centre(grid10)
    sites = sites_at(
        grid10, [(x0, y0)], path_loss_model="umi_nlos", pl_offset_db=3.0,
        pl_slope_db_per_decade=5.0, shadow_margin_db=4.0, receiver_loss_db=1.5,
    )  # fmt: skip
    res = compute_grid(sites, grid10, model="uma_nlos")
    row, col = grid10.height // 2, grid10.width // 2 + 30  # 300 m east
    d = 300.0
    d3 = math.hypot(d, 25.0 - 1.5)
    pl = float(prop.path_loss_db(d, 3.5, "umi_nlos", 25.0, 1.5)) + 3.0 + 5.0 * math.log10(d3 / 1000)
    expected = 64.0 - 10 * math.log10(12 * 273) - pl - 4.0 - 1.5
    assert res.rsrp_dbm[row, col] == pytest.approx(expected, abs=TOL_DB)


def test_calibration_slope_too_steep_is_refused(grid10):
    sites = sites_at(grid10, [centre(grid10)], pl_slope_db_per_decade=-30.0)
    with pytest.raises(ValueError, match="pl_slope_db_per_decade"):
        compute_grid(sites, grid10, model="uma_nlos")


def test_indoor_layer(grid10):
    sites = random_sites(grid10, 8, seed=3).assign(eirp_dbm=62.0)
    sites["o2i_loss_db"] = np.repeat(np.random.default_rng(1).uniform(8, 20, 8), 3)
    sites["indoor_margin_db"] = 2.0
    fast, ref = both(sites, grid10, model="uma_nlos")
    assert fast.indoor_rsrp_dbm is not None and ref.indoor_rsrp_dbm is not None
    a, b = fast.indoor_rsrp_dbm, ref.indoor_rsrp_dbm
    ok = np.isfinite(a) & np.isfinite(b)
    assert ok.sum() > 100
    np.testing.assert_allclose(a[ok], b[ok], atol=TOL_DB)
    assert (fast.indoor_n_servers != ref.indoor_n_servers).mean() < 1e-3
    # Indoors never reaches further than outdoors, and never more sites.
    assert np.all(fast.indoor_n_servers <= fast.n_servers)
    # One cell: indoor = outdoor − O2I − margin where both are above the threshold.
    one = sites.iloc[:1].copy()
    res = compute_grid(one, grid10, model="uma_nlos")
    m = np.isfinite(res.indoor_rsrp_dbm)
    assert m.any()
    delta = res.rsrp_dbm[m] - res.indoor_rsrp_dbm[m]
    np.testing.assert_allclose(delta, one["o2i_loss_db"].iloc[0] + 2.0, atol=1e-4)


def test_earliest_on_air_date_gives_coverage_at_any_date(grid10):
    sites = random_sites(grid10, 10, seed=21)
    days = np.repeat(np.random.default_rng(2).choice([19000.0, 19100.0, 19200.0, np.nan], 10), 3)
    sites["on_air_day"] = days
    res = compute_grid(sites, grid10, model="uma_nlos")
    assert res.earliest_on_air_day is not None
    for day in (18900.0, 19000.0, 19150.0, 19300.0):
        on_air = ~(days > day)  # NaN: on air from the start
        sub = compute_grid(sites[on_air], grid10, model="uma_nlos")
        np.testing.assert_array_equal(res.covered_on(day), sub.covered(), err_msg=str(day))
    # A datetime column works too, and the reference path agrees.
    dated = sites.drop(columns="on_air_day").assign(
        on_air=pd.to_datetime(days, unit="D", origin="unix")
    )
    fast, ref = both(dated, grid10, model="uma_nlos")
    np.testing.assert_array_equal(fast.earliest_on_air_day, res.earliest_on_air_day)
    same = np.abs(fast.rsrp_dbm - -110.0) > TOL_DB
    np.testing.assert_array_equal(fast.earliest_on_air_day[same], ref.earliest_on_air_day[same])


class StepTerrain:
    """A synthetic terrain: 12 dB of extra loss east of x_edge, unknown (NaN) north of y_edge."""

    def __init__(self, grid: GridSpec, x_edge: float, y_edge: float):
        self.grid, self.x_edge, self.y_edge = grid, x_edge, y_edge
        self.calls = 0

    def __call__(self, x_m, y_m, h_bs_m, h_ut_m, frequency_ghz, window):
        self.calls += 1
        c0, r0 = int(window.col_off), int(window.row_off)
        xs = self.grid.x_centres(c0, c0 + int(window.width))
        ys = self.grid.y_centres(r0, r0 + int(window.height))
        out = np.where(xs[None, :] > self.x_edge, 12.0, 0.0) + 0 * ys[:, None]
        out[ys > self.y_edge, :] = np.nan
        return out.astype("float32")


def test_terrain_window_is_added_and_unknown_area_counted(grid10):
    x0, y0 = centre(grid10)
    sites = random_sites(grid10, 6, seed=8)
    terrain = StepTerrain(grid10, x0, y0 + 400.0)
    fast, ref = both(sites, grid10, model="uma_nlos", terrain=terrain)
    assert_equivalent(fast, ref)
    assert terrain.calls > 0
    assert (fast.terrain_unknown != ref.terrain_unknown).mean() < 1e-3  # floor-edge pixels
    plain = compute_grid(sites, grid10, model="uma_nlos")
    ys = grid10.y_centres()[:, None] + 0 * grid10.x_centres()[None, :]
    xs = grid10.x_centres()[None, :] + 0 * ys
    west = (xs < x0) & (ys < y0 + 400.0)
    # West and south of the edges nothing changes; unknown terrain = computed without it.
    np.testing.assert_array_equal(fast.n_servers[west], plain.n_servers[west])
    north = ys > y0 + 400.0
    assert fast.terrain_unknown[north].any() and not fast.terrain_unknown[~north].any()
    np.testing.assert_allclose(
        np.nan_to_num(fast.rsrp_dbm[north], nan=0), np.nan_to_num(plain.rsrp_dbm[north], nan=0)
    )
    # East and south: every served pixel lost 12 dB (one cell's view is enough to see it).
    east = (xs > x0 + 20) & ~north
    assert fast.covered()[east].sum() < plain.covered()[east].sum()
    assert fast.stats["terrain_unknown_km2"] == pytest.approx(
        fast.terrain_unknown.sum() * 100 / 1e6
    )


def test_sinr_counts_interferers_below_the_old_floor(grid10):
    """An interferer at −121 dBm (below threshold − 10 dB, above the noise) counts in the SINR."""
    x0, y0 = centre(grid10)
    budget = prop.LinkBudget()
    noise = budget.noise_per_re_dbm
    base = 64.0 - 10 * math.log10(12 * 273)
    # Distance at which the second cell arrives at −121 dBm (omni, UMa NLOS).
    far = float(prop.max_range_m(64.0, 3.5, "uma_nlos", 25.0, 1.5, 273, -121.0))
    sites = sites_at(grid10, [(x0, y0), (x0 + far - 100.0, y0)])
    res = compute_grid(sites, grid10, model="uma_nlos", link_budget=budget)
    row, col = grid10.height // 2, grid10.width // 2 - 10  # 100 m west of the first cell
    s = base - float(prop.path_loss_db(100.0, 3.5, "uma_nlos"))
    i = base - float(prop.path_loss_db(far, 3.5, "uma_nlos"))
    assert -122.0 < i < -120.0 and noise < i
    expected = s - 10 * math.log10(10 ** (i / 10) + 10 ** (noise / 10))
    assert res.sinr_db[row, col] == pytest.approx(expected, abs=TOL_DB)
    assert res.sinr_db[row, col] < s - noise - 2.0  # not the SNR: the interferer counted


def test_sinr_criterion_removes_weak_pixels(grid10):
    sites = random_sites(grid10, 10, seed=4)
    plain = compute_grid(sites, grid10, model="uma_nlos")
    strict = compute_grid(sites, grid10, model="uma_nlos", sinr_min_db=3.0)
    weak = plain.covered() & (plain.sinr_db < 3.0)
    assert weak.any()
    np.testing.assert_array_equal(strict.covered(), plain.covered() & ~weak)
    assert np.all(strict.n_servers <= plain.n_servers)
    assert np.all(strict.operator_n_servers <= plain.operator_n_servers)
    with pytest.raises(ValueError, match="sinr_min_db"):
        compute_grid(sites, grid10, model="disc", sinr_min_db=3.0)


def test_point_prediction_equals_grid_at_pixel_centres(grid10):
    sites = random_sites(grid10, 6, seed=13)
    res = compute_grid(sites, grid10, model="uma_nlos")
    cells, params = prepare_cells(sites, grid10, model="uma_nlos")
    rows, cols = np.nonzero(res.serving_cell >= 0)
    pick = np.random.default_rng(0).choice(rows.size, 400, replace=False)
    rows, cols = rows[pick], cols[pick]
    x, y = grid10.x_centres()[cols], grid10.y_centres()[rows]
    # Every cell at every point: the best equals the grid's RSRP.
    matrix = point_rsrp_dbm(cells, params, x, y)
    np.testing.assert_allclose(matrix.max(axis=1), res.rsrp_dbm[rows, cols], atol=TOL_DB)
    # The serving cell at each point, pairwise.
    pairs = point_rsrp_dbm(cells, params, x, y, res.serving_cell[rows, cols])
    np.testing.assert_allclose(pairs, res.rsrp_dbm[rows, cols], atol=TOL_DB)


def test_vertical_pattern_of_reference_matches_propagation():
    d = np.linspace(0.0, 3000.0, 301).astype("float32")
    att = -prop.sector_attenuation_db(0.0, 0.0, d, 30.0, 1.5, 6.0, 65.0, 10.0)
    np.testing.assert_allclose(vertical_attenuation_db(d, 28.5, 6.0, 10.0), att, atol=1e-3)


def test_candidate_coverage_equals_each_site_alone(grid10):
    sites = random_sites(grid10, 5, seed=17)
    demand = np.zeros(grid10.shape, dtype=bool)
    demand[::3, ::2] = True
    matrix, site_ids = candidate_coverage(sites, grid10, demand, model="uma_nlos")
    flat = np.flatnonzero(demand.ravel())
    assert matrix.shape == (5, flat.size)
    for i, sid in enumerate(site_ids):
        alone = compute_grid(sites[sites["site_id"] == sid], grid10, model="uma_nlos")
        expected = alone.covered().ravel()[flat]
        np.testing.assert_array_equal(matrix[i].toarray().ravel(), expected, err_msg=str(sid))
    # Indices work like the mask.
    again, _ = candidate_coverage(sites, grid10, flat, model="uma_nlos")
    assert (again != matrix).nnz == 0


def test_table_free_math_accuracy():
    from phusong.raster.compiled import atan2_f32, dbm_to_mw_f32

    v = np.linspace(-190.0, 60.0, 2001).astype("float32")
    got = np.array([dbm_to_mw_f32(x) for x in v], dtype="float64")
    np.testing.assert_allclose(got, 10.0 ** (v.astype("float64") / 10.0), rtol=2e-6)
    ang = np.linspace(-np.pi, np.pi, 721)
    y, x = np.sin(ang).astype("float32"), np.cos(ang).astype("float32")
    got = np.array([atan2_f32(a, b) for a, b in zip(y, x, strict=True)])
    np.testing.assert_allclose(got, np.arctan2(y, x), atol=2e-6)


@pytest.mark.slow
def test_cold_cache_compiles_and_runs(tmp_path, square_ward):
    """A fresh process with an empty numba cache compiles the kernel and gets the same grid."""
    code = (
        "import sys, numpy as np\n"
        "sys.path.insert(0, %r)\n"
        "from test_grid import random_sites\n"
        "from phusong.raster.grid import GridSpec, compute_grid\n"
        "import geopandas as gpd\n"
        "ward = gpd.read_file(%r)\n"
        "grid = GridSpec.for_area(ward, resolution_m=20)\n"
        "r = compute_grid(random_sites(grid, 4, seed=1), grid, model='uma_nlos')\n"
        "print(r.stats['engine'], int(r.n_servers.sum()))\n"
    )
    ward_file = tmp_path / "ward.gpkg"
    square_ward.to_file(ward_file)
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache")}
    tests_dir = os.path.dirname(__file__)
    out = subprocess.run(
        [sys.executable, "-c", code % (tests_dir, str(ward_file))], env=env, capture_output=True,
        text=True, timeout=900, cwd=str(tmp_path),
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    engine, served = out.stdout.split()
    grid = GridSpec.for_area(square_ward, resolution_m=20)
    here = compute_grid(random_sites(grid, 4, seed=1), grid, model="uma_nlos")
    assert engine == "compiled" and int(served) == int(here.n_servers.sum())
    assert any((tmp_path / "cache").rglob("*.nbi"))


def test_compiled_placing_equals_the_numpy_placing(grid10):
    # The same tile accumulators written by the compiled one-pass placing and by the numpy
    # reference placing give identical layers (SINR within float32 rounding), with every
    # optional layer (indoor, dates, terrain) switched on.
    from dataclasses import replace

    from phusong.raster.grid import GridResult
    from phusong.raster.kernel import compute_tile

    sites = random_sites(grid10, 10, seed=5)
    rng = np.random.default_rng(4)
    sites["o2i_loss_db"] = np.repeat(rng.uniform(8, 20, 10), 3)
    sites["on_air_day"] = np.repeat(rng.choice([19000.0, 19200.0, np.nan], 10), 3)
    x_edge = float(grid10.x_centres(0, grid10.width)[grid10.width // 2])
    y_edge = float(grid10.y_centres(0, grid10.height)[grid10.height // 3])
    cells, params = prepare_cells(
        sites, grid10, model="uma_nlos", terrain=StepTerrain(grid10, x_edge, y_edge)
    )
    assert params.compiled and params.indoor and params.dated and params.terrain is not None
    numpy_params = replace(params, engine="reference")
    fast = GridResult.allocate(grid10, cells, params)
    slow = GridResult.allocate(grid10, cells, numpy_params)
    for win in grid10.tiles(96):
        tile = compute_tile(win, cells, grid10, params)
        fast.place(tile, params)
        slow.place(tile, numpy_params)
    assert np.isfinite(fast.rsrp_dbm).sum() > 100
    for name in ("rsrp_dbm", "serving_cell", "serving_site", "n_servers", "operator_rsrp_dbm",
                 "operator_n_servers", "indoor_rsrp_dbm", "indoor_n_servers",
                 "earliest_on_air_day", "terrain_unknown"):  # fmt: skip
        np.testing.assert_array_equal(getattr(fast, name), getattr(slow, name), err_msg=name)
    assert fast.terrain_unknown.any() and np.isfinite(fast.indoor_rsrp_dbm).any()
    np.testing.assert_allclose(fast.sinr_db, slow.sinr_db, atol=1e-4, equal_nan=True)


def test_cell_reach_bisects_each_design_once_and_equals_the_cell_by_cell_reach():
    # 600 cells of 6 designs (and one NaN): the reach of each equals its own bisection.
    from phusong.raster.cellmodel import cell_reach_m

    rng = np.random.default_rng(4)
    designs = np.array([
        [150.0, 0, 3.5, 30.0, 0.0, 0.0], [140.0, 1, 2.6, 25.0, 2.0, 0.0],
        [160.0, 2, 0.7, 40.0, -1.5, 3.0], [130.0, 0, 3.7, 15.0, 0.0, 0.0],
        [155.0, 3, 3.5, 30.0, 0.0, 0.0], [np.nan, 0, 3.5, 30.0, 0.0, 0.0],
    ])  # fmt: skip
    rows = designs[rng.integers(0, len(designs), 600)]
    args = (rows[:, 0], rows[:, 1].astype("int8"), rows[:, 2], rows[:, 3], 1.5, rows[:, 4],
            rows[:, 5])  # fmt: skip
    got = cell_reach_m(*args)
    want = np.concatenate([
        cell_reach_m(r[0:1], r[1:2].astype("int8"), r[2:3], r[3:4], 1.5, r[4:5], r[5:6])
        for r in rows
    ])  # fmt: skip
    np.testing.assert_array_equal(got, want)
    assert np.isnan(got[np.isnan(rows[:, 0])]).all() and (got[~np.isnan(rows[:, 0])] > 0).all()
