"""Tests of the grid engine against analytic answers and brute-force references."""

from __future__ import annotations

import math
import os

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine
from conftest import HANOI_X, HANOI_Y, UTM48N
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import Geod, Transformer
from shapely.geometry import box

from phusong import propagation as prop
from phusong.errors import ConfigError, DataError
from phusong.io.rasters import write_cog
from phusong.propagation import LinkBudget
from phusong.raster.grid import (
    GridResult,
    GridSpec,
    TileResult,
    compute_grid,
    compute_tile,
    prepare_cells,
)
from phusong.schema import WGS84

GEOD = Geod(ellps="WGS84")


def sites_at(grid: GridSpec, xy: list[tuple[float, float]], **columns) -> pd.DataFrame:
    """A canonical site table with cells at grid-CRS positions ``xy``."""
    to_ll = Transformer.from_crs(grid.crs, WGS84, always_xy=True)
    lon, lat = to_ll.transform(*np.asarray(xy, dtype="float64").T)
    n = len(xy)
    data = {
        "cell_id": [f"c{i}" for i in range(n)],
        "site_id": [f"s{i}" for i in range(n)],
        "operator": ["Viettel"] * n,
        "lon_deg": np.atleast_1d(lon),
        "lat_deg": np.atleast_1d(lat),
        "azimuth_deg": np.nan,
        "beamwidth_deg": np.nan,
        "tilt_deg": 0.0,
        "height_m": 25.0,
        "eirp_dbm": 64.0,
        "frequency_mhz": 3500.0,
        "bandwidth_mhz": 100.0,
        "range_m": 1000.0,
    }
    for key, value in columns.items():
        data[key] = value
    return pd.DataFrame(data)


@pytest.fixture
def grid10(square_ward) -> GridSpec:
    return GridSpec.for_area(square_ward, resolution_m=10)


def centre(grid: GridSpec) -> tuple[float, float]:
    """Grid-CRS position of the pixel centre nearest the grid's middle."""
    col, row = grid.width // 2, grid.height // 2
    return float(grid.x_centres(col, col + 1)[0]), float(grid.y_centres(row, row + 1)[0])


def ward_fraction(grid: GridSpec, mask: np.ndarray, ward: gpd.GeoDataFrame) -> float:
    """Fraction of the ward covered, by pixel centres (a simple second method)."""
    geom = ward.to_crs(grid.crs).geometry.iloc[0]
    xs, ys = np.meshgrid(grid.x_centres(), grid.y_centres())
    import shapely

    inside = shapely.contains_xy(geom, xs, ys)
    return float(mask[inside].mean())


# --------------------------------------------------------------------------- GridSpec


def test_gridspec_snaps_and_covers(square_ward):
    grid = GridSpec.for_area(square_ward, resolution_m=20)
    left, bottom, right, top = grid.bounds
    for edge in (left, bottom, right, top):
        assert edge / 20 == pytest.approx(round(edge / 20), abs=1e-9)
    minx, miny, maxx, maxy = square_ward.to_crs(grid.crs).total_bounds
    assert left <= minx and bottom <= miny and right >= maxx and top >= maxy
    assert right - maxx < 20 and minx - left < 20
    assert "Lambert Azimuthal Equal Area" in grid.crs.coordinate_operation.method_name
    assert grid.pixel_area_m2 == 400.0


def test_tiles_cover_grid_once(grid10):
    seen = np.zeros(grid10.shape, dtype=int)
    for win in grid10.tiles(64):
        seen[win.toslices()] += 1
    assert (seen == 1).all()
    assert grid10.n_tiles(64) == len(list(grid10.tiles(64)))


def test_gridspec_rejects_bad_input(square_ward):
    with pytest.raises(ConfigError):
        GridSpec.for_area(square_ward, resolution_m=0)
    with pytest.raises(ConfigError):
        GridSpec.for_area(square_ward, crs="EPSG:4326")
    with pytest.raises(ConfigError):
        list(GridSpec.for_area(square_ward).tiles(0))


# --------------------------------------------------------------------------- footprints


def test_disc_at_centre_covers_pi_over_four(square_ward, grid10):
    sites = sites_at(grid10, [centre(grid10)], range_m=1000.0)
    res = compute_grid(sites, grid10, model="disc")
    frac = ward_fraction(grid10, res.covered(), square_ward)
    # The UTM square is 2000 m on the map, 2000/k on the ground (k ≈ 0.99968).
    assert frac == pytest.approx(math.pi / 4, abs=0.005)
    assert np.isnan(res.rsrp_dbm).all() and np.isnan(res.sinr_db).all()
    assert res.n_servers.max() == 1
    # Served pixels are exactly those whose centre lies within 1 km.
    x0, y0 = centre(grid10)
    xs, ys = np.meshgrid(grid10.x_centres(), grid10.y_centres())
    dist = np.hypot(xs - x0, ys - y0)
    clear = np.abs(dist - 1000.0) > 0.01  # the site went through lon/lat: ignore exact ties
    assert np.array_equal(res.covered()[clear], (dist <= 1000.0)[clear])


def test_site_outside_covers_nothing(grid10):
    x0, y0 = centre(grid10)
    sites = sites_at(grid10, [(x0 + 5000.0, y0)], range_m=1000.0)
    res = compute_grid(sites, grid10, model="disc")
    assert res.n_servers.sum() == 0
    assert (res.serving_cell == -1).all()
    assert res.stats["evaluations"] == 0


def test_sector_wedge(grid10):
    x0, y0 = centre(grid10)
    sites = sites_at(grid10, [(x0, y0)], azimuth_deg=90.0, beamwidth_deg=120.0, range_m=900.0)
    res = compute_grid(sites, grid10, model="sector")
    area = res.covered().sum() * grid10.pixel_area_m2
    assert area == pytest.approx(math.pi * 900.0**2 / 3, rel=0.01)
    col, row = grid10.width // 2, grid10.height // 2
    assert res.covered()[row, col + 50] and not res.covered()[row, col - 50]
    # 59° off boresight is inside a 120° wedge, 61° is not.
    for ang, expected in ((59.0, True), (61.0, False)):
        a = math.radians(90.0 - ang)
        px, py = x0 + 500 * math.sin(a), y0 + 500 * math.cos(a)
        c = int((px - grid10.bounds[0]) // 10)
        r = int((grid10.bounds[3] - py) // 10)
        assert res.covered()[r, c] == expected


def test_disc_model_ignores_azimuth_and_reports_progress(grid10):
    sites = sites_at(grid10, [centre(grid10)], azimuth_deg=90.0, beamwidth_deg=120.0, range_m=900.0)
    seen: list[float] = []
    res = compute_grid(sites, grid10, model="disc", tile_px=64, progress=seen.append)
    assert res.covered().sum() * grid10.pixel_area_m2 == pytest.approx(math.pi * 900.0**2, rel=0.01)
    assert len(seen) == grid10.n_tiles(64) and seen == sorted(seen) and seen[-1] == 1.0


def test_counts_distinct_sites_not_cells(grid10):
    x0, y0 = centre(grid10)
    sites = sites_at(grid10, [(x0, y0)] * 4, range_m=600.0)
    sites["site_id"] = ["A", "A", "A", "B"]
    sites["operator"] = ["Viettel", "Viettel", "Viettel", "VinaPhone"]
    res = compute_grid(sites, grid10, model="disc")
    assert res.n_servers.max() == 2
    assert res.operators == ("Viettel", "VinaPhone")
    assert res.servers("Viettel").max() == 1 and res.servers("VinaPhone").max() == 1
    assert list(res.site_ids) == ["A", "B"]
    served = res.serving_site[res.n_servers > 0]
    assert set(served.tolist()) == {0}  # equal distances: the first cell in canonical order wins


def test_mixed_operator_site_counted_once(grid10):
    x0, y0 = centre(grid10)
    sites = sites_at(grid10, [(x0, y0)] * 2, range_m=600.0)
    sites["site_id"] = ["A", "A"]
    sites["operator"] = ["Viettel", "VinaPhone"]
    res = compute_grid(sites, grid10, model="disc")
    assert res.n_servers.max() == 1
    assert res.servers("Viettel").max() == 1 and res.servers("VinaPhone").max() == 1


# --------------------------------------------------------------------------- path loss


def test_fspl_radius_matches_inverse_formula(square_ward, grid10):
    eirp, f_mhz, thr = 25.0, 3500.0, -110.0
    budget = LinkBudget(threshold_dbm=thr, h_ut_m=1.5)
    # By hand: RSRP = EIRP − 10 log10(12 · 273) − FSPL, FSPL = 32.45 + 20 log10 f[MHz] + 20 log10 d[km]
    pl_max = eirp - 10 * math.log10(12 * 273) - thr
    r_m = 1000.0 * 10 ** ((pl_max - 32.45 - 20 * math.log10(f_mhz)) / 20)
    assert 500 < r_m < 1000
    sites = sites_at(grid10, [centre(grid10)], eirp_dbm=eirp, frequency_mhz=f_mhz, height_m=1.5)
    res = compute_grid(sites, grid10, model="fspl", link_budget=budget)
    area = res.covered().sum() * grid10.pixel_area_m2
    assert area == pytest.approx(math.pi * r_m**2, rel=0.01)
    assert ward_fraction(grid10, res.covered(), square_ward) == pytest.approx(
        math.pi * r_m**2 / 2000.0**2, abs=0.005
    )
    assert res.range_m[0] == pytest.approx(r_m, rel=1e-3)
    assert np.nanmin(res.rsrp_dbm) >= thr


def test_sinr_midline_zero_and_best_server(grid10):
    x0, y0 = centre(grid10)
    sites = sites_at(grid10, [(x0 - 300.0, y0), (x0 + 300.0, y0)])
    sites["cell_id"] = ["left", "right"]
    res = compute_grid(sites, grid10, model="uma_nlos")
    col, row = grid10.width // 2, grid10.height // 2
    # Midline: equal powers, noise (−122 dBm) ≪ signal (≈ −95 dBm) → SINR ≈ 0 dB.
    assert res.sinr_db[row, col] == pytest.approx(0.0, abs=0.05)
    assert res.cell_ids[res.serving_cell[row, col - 10]] == "left"
    assert res.cell_ids[res.serving_cell[row, col + 10]] == "right"
    # Off the midline, by hand: S/(I + N) with the model's own path loss.
    c = col - 20  # 200 m left of the midline: 100 m from "left", 500 m from "right"
    base = 64.0 - 10 * math.log10(12 * 273)
    s = base - float(prop.path_loss_db(100.0, 3.5, "uma_nlos"))
    i = base - float(prop.path_loss_db(500.0, 3.5, "uma_nlos"))
    n = float(prop.noise_per_re_dbm())
    expected = s - 10 * math.log10(10 ** (i / 10) + 10 ** (n / 10))
    assert res.sinr_db[row, c] == pytest.approx(expected, abs=0.01)
    assert res.rsrp_dbm[row, c] == pytest.approx(s, abs=0.01)


def test_sinr_ignores_other_carriers(grid10):
    x0, y0 = centre(grid10)
    sites = sites_at(grid10, [(x0 - 300.0, y0), (x0 + 300.0, y0)], frequency_mhz=[2600.0, 3700.0])
    res = compute_grid(sites, grid10, model="uma_nlos")
    row, col = grid10.height // 2, grid10.width // 2
    # Different carriers do not interfere: SINR = SNR, far above 0 dB on the midline.
    assert res.sinr_db[row, col] > 15.0


def test_rsrp_matches_brute_force_with_geodesic_bearings(grid10):
    """Fast float32 antenna path + meridian convergence vs. propagation's functions."""
    x0, y0 = centre(grid10)
    rng = np.random.default_rng(1)
    xy = [(x0 - 400.0, y0 + 200.0), (x0 + 350.0, y0 - 250.0)]
    sites = sites_at(
        grid10, xy, azimuth_deg=[37.0, 250.0], beamwidth_deg=[65.0, 90.0], tilt_deg=[6.0, 3.0],
        height_m=[30.0, 22.0], eirp_dbm=[64.0, 62.0], frequency_mhz=[3500.0, 3500.0],
    )  # fmt: skip
    sites["site_id"] = ["a", "b"]
    budget = LinkBudget(indoor_loss_db=5.0)
    res = compute_grid(
        sites, grid10, model="uma_nlos", link_budget=budget, interference_margin_db=60
    )
    to_ll = Transformer.from_crs(grid10.crs, WGS84, always_xy=True)
    rows = rng.integers(0, grid10.height, 300)
    cols = rng.integers(0, grid10.width, 300)
    px, py = grid10.x_centres()[cols], grid10.y_centres()[rows]
    plon, plat = to_ll.transform(px, py)
    per_cell = []
    for s in sites.itertuples():
        bearing, _, dist = GEOD.inv(
            np.full(px.size, s.lon_deg), np.full(px.size, s.lat_deg), plon, plat
        )
        pl = prop.path_loss_db(dist, s.frequency_mhz / 1000, "uma_nlos", s.height_m, 1.5)
        att = prop.sector_attenuation_db(
            bearing, s.azimuth_deg, dist, s.height_m, 1.5, s.tilt_deg, s.beamwidth_deg
        )
        per_cell.append(prop.rsrp_dbm(s.eirp_dbm, pl - att, 273, budget.extra_loss_db("uma_nlos")))
    expected = np.max(per_cell, axis=0)
    got = res.rsrp_dbm[rows, cols]
    ok = expected >= -110.0
    assert (
        np.array_equal(np.isfinite(got), ok)
        or np.abs(expected[ok ^ np.isfinite(got)] + 110).max() < 0.02
    )
    both = ok & np.isfinite(got)
    assert both.sum() > 50
    np.testing.assert_allclose(got[both], expected[both], atol=0.03)


def test_unknown_model_and_bad_rows(grid10):
    sites = sites_at(grid10, [centre(grid10)])
    with pytest.raises(ConfigError, match="disc"):
        compute_grid(sites, grid10, model="okumura")
    bad = sites_at(
        grid10, [centre(grid10)] * 3, eirp_dbm=[64.0, np.nan, 64.0], frequency_mhz=[3500, 3500, -1]
    )
    with pytest.raises(DataError) as info:
        compute_grid(bad, grid10, model="uma_nlos")
    assert {p.column for p in info.value.problems} == {"eirp_dbm", "frequency_mhz"}
    assert {p.row for p in info.value.problems} == {3, 4}
    with pytest.raises(DataError, match="range_m"):
        compute_grid(sites.drop(columns="range_m"), grid10, model="disc")


# --------------------------------------------------------------------------- invariance


def random_sites(grid: GridSpec, n_sites: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    left, bottom, right, top = grid.bounds
    xy = np.repeat(
        np.c_[rng.uniform(left, right, n_sites), rng.uniform(bottom, top, n_sites)], 3, axis=0
    )
    n = len(xy)
    sites = sites_at(
        grid, [tuple(p) for p in xy],
        azimuth_deg=(np.tile([0.0, 120.0, 240.0], n_sites) + np.repeat(rng.uniform(0, 120, n_sites), 3)),
        beamwidth_deg=65.0, tilt_deg=np.repeat(rng.uniform(2, 8, n_sites), 3),
        eirp_dbm=np.repeat(rng.uniform(40, 50, n_sites), 3),
        frequency_mhz=np.repeat(rng.choice([2600.0, 3700.0], n_sites), 3),
    )  # fmt: skip
    sites["site_id"] = np.repeat([f"S{i}" for i in range(n_sites)], 3)
    sites["cell_id"] = [f"S{i // 3}-{i % 3}" for i in range(n)]
    sites["operator"] = np.repeat(rng.choice(["Viettel", "VinaPhone", "MobiFone"], n_sites), 3)
    return sites


LAYERS = ("rsrp_dbm", "serving_cell", "serving_site", "n_servers", "sinr_db",
          "operator_rsrp_dbm", "operator_n_servers")  # fmt: skip


def assert_same(a: GridResult, b: GridResult) -> None:
    for name in LAYERS:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


def test_tiling_invariance(grid10):
    sites = random_sites(grid10, 12, seed=3)
    small = compute_grid(sites, grid10, model="uma_nlos", tile_px=64, workers=2)
    large = compute_grid(sites, grid10, model="uma_nlos", tile_px=4096, workers=1)
    assert small.stats["tiles"] > 9 and large.stats["tiles"] == 1
    assert small.n_servers.max() >= 2 and np.isfinite(small.sinr_db).any()
    assert_same(small, large)


def test_row_order_and_crs_invariance(square_ward):
    grid = GridSpec.for_area(square_ward, resolution_m=20)
    grid_ll = GridSpec.for_area(square_ward.to_crs(WGS84), resolution_m=20)
    assert grid_ll == grid
    sites = random_sites(grid, 8, seed=5)
    a = compute_grid(sites, grid, model="uma_nlos", tile_px=37)
    shuffled = sites.sample(frac=1.0, random_state=0).reset_index(drop=True)
    b = compute_grid(shuffled, grid_ll, model="uma_nlos", tile_px=128)
    assert_same(a, b)
    assert list(a.cell_ids) == list(b.cell_ids)


def test_merge_of_disjoint_site_sets_is_exact(grid10):
    sites = random_sites(grid10, 10, seed=9)
    cells, params = prepare_cells(sites, grid10, model="uma_nlos")
    whole = GridResult.allocate(grid10, cells, params)
    merged = GridResult.allocate(grid10, cells, params)
    first = np.flatnonzero(cells.site_index < 5)
    second = np.flatnonzero(cells.site_index >= 5)
    for win in grid10.tiles(100):
        whole.place(compute_tile(win, cells, grid10, params), params)
        a = compute_tile(win, cells.subset(first), grid10, params)
        b = compute_tile(win, cells.subset(second), grid10, params)
        merged.place(a.merge(b), params)
    for name in ("serving_cell", "n_servers", "operator_n_servers", "rsrp_dbm"):
        np.testing.assert_array_equal(getattr(whole, name), getattr(merged, name), err_msg=name)
    np.testing.assert_allclose(whole.sinr_db, merged.sinr_db, atol=1e-4)


def test_evaluations_bounded_by_reach(grid10):
    sites = random_sites(grid10, 6, seed=2)
    res = compute_grid(sites, grid10, model="uma_nlos", tile_px=50)
    # Each cell is evaluated at most on its box (2 reach / res + 1)² — never on the whole grid.
    cells, _params = prepare_cells(sites, grid10, model="uma_nlos")
    bound = np.sum((2 * cells.reach_m / 10 + 1) ** 2)
    assert 0 < res.stats["evaluations"] <= bound
    assert res.stats["evaluations"] < len(sites) * grid10.width * grid10.height


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    extra=st.tuples(st.floats(-1500, 1500), st.floats(-1500, 1500), st.floats(50, 1500)),
)
def test_adding_a_site_never_lowers_servers(grid10, extra):
    x0, y0 = centre(grid10)
    base = sites_at(grid10, [(x0 - 200.0, y0 + 100.0), (x0 + 400.0, y0)], range_m=[700.0, 500.0])
    more = pd.concat(
        [base, sites_at(grid10, [(x0 + extra[0], y0 + extra[1])], range_m=extra[2]).assign(
            cell_id="new", site_id="new")], ignore_index=True,
    )  # fmt: skip
    a = compute_grid(base, grid10, model="disc", tile_px=128)
    b = compute_grid(more, grid10, model="disc", tile_px=128)
    assert (b.n_servers >= a.n_servers).all()
    assert b.covered().sum() >= a.covered().sum()


def test_footprint_and_path_models_take_no_stray_rows(grid10):
    empty = sites_at(grid10, [centre(grid10)]).iloc[:0]
    res = compute_grid(empty, grid10, model="uma_nlos")
    assert res.n_servers.sum() == 0 and np.isnan(res.rsrp_dbm).all()


def test_tile_result_reuse(grid10):
    sites = random_sites(grid10, 4, seed=4)
    cells, params = prepare_cells(sites, grid10, model="uma_nlos")
    wins = list(grid10.tiles(101))
    fresh = compute_tile(wins[0], cells, grid10, params)
    buf = TileResult.empty(wins[0], params)
    compute_tile(
        wins[-1], cells, grid10, params, out=buf
    )  # a different, smaller window: not reused
    again = compute_tile(
        wins[0], cells, grid10, params, out=compute_tile(wins[1], cells, grid10, params)
    )
    np.testing.assert_array_equal(fresh.best, again.best)
    np.testing.assert_array_equal(fresh.n_servers, again.n_servers)


# --------------------------------------------------------------------------- writing


@pytest.mark.parametrize("driver", ["COG", "GTiff"])
def test_write_cog(tmp_path, square_ward, driver):
    # Larger than one 512-pixel block, so that overviews are due.
    grid = GridSpec.for_area(square_ward, resolution_m=2)
    assert grid.width > 1000
    arr = np.arange(grid.width * grid.height, dtype="float32").reshape(grid.shape)
    arr[0, 0] = np.nan
    path = write_cog(
        tmp_path / "rsrp.tif", arr, grid, np.nan, {"model": "uma_nlos", "threshold_dbm": -110},
        descriptions=["best-server RSRP"], units=["dBm"], _driver=driver,
    )  # fmt: skip
    assert sorted(os.listdir(tmp_path)) == ["rsrp.tif"]  # no temporary left behind
    with rasterio.open(path) as src:
        assert src.crs == rasterio.crs.CRS.from_wkt(grid.crs.to_wkt())
        assert src.transform.almost_equals(grid.transform)
        assert src.profile["tiled"] and src.block_shapes[0] == (512, 512)
        assert src.overviews(1) == [2]  # ~1010 px: one level brings it under a block
        assert src.nodata is not None and np.isnan(src.nodata)
        assert src.descriptions == ("best-server RSRP",)
        assert src.tags()["model"] == "uma_nlos" and src.tags()["threshold_dbm"] == "-110"
        assert src.units == ("dBm",)
        back = src.read(1)
        assert np.isnan(back[0, 0]) and np.array_equal(back[1:], arr[1:])


def test_write_cog_overwrites_atomically(tmp_path, grid10):
    a = np.zeros(grid10.shape, dtype="uint16")
    write_cog(tmp_path / "n.tif", a, grid10)
    write_cog(tmp_path / "n.tif", a + 3, grid10)
    with rasterio.open(tmp_path / "n.tif") as src:
        assert src.read(1).max() == 3
    assert sorted(os.listdir(tmp_path)) == ["n.tif"]
    with pytest.raises(ValueError, match="shape"):
        write_cog(tmp_path / "bad.tif", a[:-1], grid10)


def test_grid_result_write_cogs(tmp_path, grid10):
    sites = random_sites(grid10, 3, seed=1)
    res = compute_grid(sites, grid10, model="uma_nlos")
    paths = res.write_cogs(tmp_path)
    names = {p.name for p in paths}
    assert {"rsrp_dbm.tif", "sinr_db.tif", "n_servers.tif", "serving_cell.tif"} <= names
    with rasterio.open(tmp_path / "rsrp_dbm.tif") as src:
        assert src.tags()["model"] == "uma_nlos" and src.tags()["units"] == "dBm"
        np.testing.assert_array_equal(src.read(1), res.rsrp_dbm)


def test_gridspec_transform_must_be_north_up():
    with pytest.raises(ConfigError):
        GridSpec(UTM48N, 10.0, Affine(10, 0, HANOI_X, 0, 10, HANOI_Y), 10, 10)


def test_square_ward_fixture_sanity(square_ward):
    assert box(*square_ward.total_bounds).area == pytest.approx(4e6)
