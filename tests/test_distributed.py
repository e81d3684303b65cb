"""Tiled and Dask-distributed raster route (phusong.raster.distributed).

References used: the in-process engine (phusong.raster.grid.compute_grid), the
whole-raster zonal statistics (phusong.raster.zonal.ward_coverage_raster) and, for
the disc footprint, the analytic area π r².

Every case is synthetic: a few Voronoi wards near Hà Nội and ~50 synthetic
sectorised cells, on a coarse grid so that the whole module runs in seconds.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import HANOI_X, HANOI_Y, UTM48N
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from phusong.errors import ConfigError
from phusong.propagation import LinkBudget
from phusong.raster.distributed import (
    compute_grid_distributed,
    dask_client,
    parse_scheduler,
    ward_coverage_tiled,
)
from phusong.raster.grid import GridSpec, compute_grid
from phusong.schema import WARD_COVERAGE_COLUMNS

OPERATORS = ("MobiFone", "VinaPhone", "Viettel")
FREQ_MHZ = {"Viettel": 2600.0, "VinaPhone": 3750.0, "MobiFone": 3850.0}
NUMERIC = [c for c, (dtype, _) in WARD_COVERAGE_COLUMNS.items() if dtype == "float64"]
HALF_M = 4000.0
CENTRE = np.array([HANOI_X, HANOI_Y])
BUDGET = LinkBudget(threshold_dbm=-110.0)


def _wards(n: int = 7, seed: int = 7) -> gpd.GeoDataFrame:
    """Synthetic Voronoi wards over an 8 km square, random populations."""
    rng = np.random.default_rng(seed)
    region = box(HANOI_X - HALF_M, HANOI_Y - HALF_M, HANOI_X + HALF_M, HANOI_Y + HALF_M)
    pts = rng.uniform(-HALF_M, HALF_M, size=(n, 2)) + CENTRE
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=region))
    geoms = shapely.intersection(np.asarray(cells), region)
    return gpd.GeoDataFrame(
        {
            "ward_id": [f"W{i}" for i in range(n)],
            "name": [f"Phường tổng hợp {i} (synthetic)" for i in range(n)],
            "population": rng.uniform(5_000, 40_000, n).round(),
        },
        geometry=geoms,
        crs=UTM48N,
    )


def _sites(n_sites: int = 17, seed: int = 11) -> pd.DataFrame:
    """Synthetic 3-sector sites (``n_sites`` × 3 cells), three operators."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(-HALF_M - 500, HALF_M + 500, size=(n_sites, 2)) + CENTRE
    ll = gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=UTM48N).to_crs(4326)
    rows = []
    for i in range(n_sites):
        op = OPERATORS[i % 3]
        for k in range(3):
            rows.append(
                {
                    "cell_id": f"S{i:02d}-{k}",
                    "site_id": f"S{i:02d}",
                    "operator": op,
                    "radio": "NR",
                    "lon_deg": ll.x.iloc[i],
                    "lat_deg": ll.y.iloc[i],
                    "azimuth_deg": (120.0 * k + 37.0 * i) % 360.0,
                    "beamwidth_deg": 65.0,
                    "tilt_deg": 6.0,
                    "height_m": 25.0,
                    "eirp_dbm": 63.0 - 6.0 * (i % 2),
                    "frequency_mhz": FREQ_MHZ[op],
                    "bandwidth_mhz": 100.0,
                }
            )
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def case() -> tuple[gpd.GeoDataFrame, pd.DataFrame, GridSpec]:
    wards = _wards()
    sites = _sites()
    return wards, sites, GridSpec.for_area(wards, resolution_m=100.0)


@pytest.fixture(scope="module")
def cluster_client():
    """``scheduler=2``: a 2-worker LocalCluster (processes, 1 thread, 1 GiB each).

    Made and closed by :func:`dask_client` (the path an int takes); checked closed.
    """
    pytest.importorskip("distributed")
    with dask_client(2, memory_limit="1GiB") as client:
        yield client
    assert client.status == "closed"


def _assert_tables_close(a: pd.DataFrame, b: pd.DataFrame, rtol: float, atol: float = 0.0):
    assert list(a.columns) == list(b.columns) == list(WARD_COVERAGE_COLUMNS)
    assert a["ward_id"].astype(str).tolist() == b["ward_id"].astype(str).tolist()
    assert a["operator"].astype(str).tolist() == b["operator"].astype(str).tolist()
    np.testing.assert_allclose(
        a[NUMERIC].to_numpy(dtype="float64"),
        b[NUMERIC].to_numpy(dtype="float64"),
        rtol=rtol,
        atol=atol,
    )


# --------------------------------------------------------------------------- parse_scheduler


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, None),
        ("", None),
        ("none", None),
        ("sync", None),
        ("processes", "processes"),
        ("4", 4),
        (2, 2),
        ("tcp://10.0.0.5:8786", "tcp://10.0.0.5:8786"),
        ("tls://sched.example.org:8786", "tls://sched.example.org:8786"),
        ("sched.example.org:8786", "tcp://sched.example.org:8786"),
    ],
)
def test_parse_scheduler_accepts(text, expected):
    assert parse_scheduler(text) == expected


@pytest.mark.parametrize("text", ["0", -1, 0, "threads", "tcp://", "http//x", True, 2.5])
def test_parse_scheduler_rejects_with_a_fix(text):
    with pytest.raises(ConfigError, match="tcp://host:8786"):
        parse_scheduler(text)


def test_dask_client_none_is_in_process():
    with dask_client(None) as client:
        assert client is None


# --------------------------------------------------------------------------- in-process


def test_grid_distributed_in_process_equals_compute_grid(case):
    _, sites, grid = case
    ref = compute_grid(sites, grid, model="uma_nlos", link_budget=BUDGET, tile_px=64)
    got = compute_grid_distributed(
        sites, grid, model="uma_nlos", link_budget=BUDGET, tile_px=23, scheduler=None
    )
    for layer in ("rsrp_dbm", "serving_cell", "serving_site", "n_servers", "sinr_db"):
        np.testing.assert_array_equal(getattr(got, layer), getattr(ref, layer), err_msg=layer)
    np.testing.assert_array_equal(got.operator_n_servers, ref.operator_n_servers)
    # The case is not trivial: some pixels served, some by several sites, some not.
    assert 0 < ref.covered().mean() < 1
    assert ref.n_servers.max() >= 2


def test_tiled_equals_zonal_on_full_raster(case):
    from phusong.raster.zonal import ward_coverage_raster

    wards, sites, grid = case
    full = compute_grid(sites, grid, model="uma_nlos", link_budget=BUDGET, tile_px=64)
    ref = ward_coverage_raster(wards, full, threshold_dbm=BUDGET.threshold_dbm).table
    stats: dict = {}
    got = ward_coverage_tiled(
        wards, sites, grid, model="uma_nlos", link_budget=BUDGET, tile_px=32, stats=stats
    )
    assert got.attrs["population_source"] == "uniform:official"
    # Percentages within 1e-6 points; areas and people to 1e-9 relative.
    pct = [c for c in NUMERIC if c.endswith("_pct")]
    np.testing.assert_allclose(got[pct].to_numpy(), ref[pct].to_numpy(), rtol=0, atol=1e-6)
    _assert_tables_close(got, ref, rtol=1e-9, atol=1e-9)
    assert stats["tiles"] + stats["tiles_skipped"] == grid.n_tiles(32)
    assert 0 < got["area_coverage_pct"].max() and got["area_coverage_pct"].min() < 100


def test_a_ward_with_no_people_has_an_undefined_population_coverage_in_every_route(case):
    # One table builder (phusong.coverage_table) for the three routes: 0 people gives
    # a NaN population percentage (undefined), never 0 %; the other figures stay numbers.
    from phusong.raster.zonal import ward_coverage_raster
    from phusong.vector.aggregate import ward_coverage_vector

    wards, sites, grid = case
    wards = wards.copy()
    wards.loc[wards.index[0], "population"] = 0.0
    full = compute_grid(sites, grid, model="uma_nlos", link_budget=BUDGET)
    tables = {
        "raster": ward_coverage_raster(wards, full).table,
        "tiled": ward_coverage_tiled(wards, sites, grid, model="uma_nlos", link_budget=BUDGET),
    }
    points = gpd.GeoDataFrame(
        sites.assign(range_m=800.0),
        geometry=gpd.points_from_xy(sites["lon_deg"], sites["lat_deg"]),
        crs="EPSG:4326",
    )
    tables["vector"] = ward_coverage_vector(wards, points, model="disc").table
    numbers = [c for c in NUMERIC if c != "population_coverage_pct"]
    for route, table in tables.items():
        first = table["ward_id"] == "W0"
        assert table.loc[first, "population_coverage_pct"].isna().all(), route
        assert (table.loc[first, ["population", "covered_population"]] == 0).all().all(), route
        assert table.loc[~first, "population_coverage_pct"].notna().all(), route
        assert not table[numbers].isna().any().any(), route


def test_tiling_invariance_32_vs_256(case):
    wards, sites, grid = case
    a = ward_coverage_tiled(wards, sites, grid, model="uma_nlos", link_budget=BUDGET, tile_px=32)
    b = ward_coverage_tiled(wards, sites, grid, model="uma_nlos", link_budget=BUDGET, tile_px=256)
    assert grid.n_tiles(32) > 4 and grid.n_tiles(256) == 1
    _assert_tables_close(a, b, rtol=1e-9, atol=1e-9)


@settings(max_examples=6, deadline=None)
@given(tile_px=st.integers(min_value=7, max_value=120))
def test_tiling_invariance_any_tile_size(tile_px):
    wards, sites = _wards(4, seed=3), _sites(6, seed=5)
    grid = GridSpec.for_area(wards, resolution_m=200.0)
    ref = ward_coverage_tiled(wards, sites, grid, model="uma_nlos", link_budget=BUDGET, tile_px=512)
    got = ward_coverage_tiled(
        wards, sites, grid, model="uma_nlos", link_budget=BUDGET, tile_px=tile_px
    )
    _assert_tables_close(got, ref, rtol=1e-9, atol=1e-9)


def test_disc_against_pi_r2_across_tiles(square_ward):
    """A 1 km disc at the centre of a 2 km square ward covers π/4 of it (analytic)."""
    centre = gpd.GeoSeries(gpd.points_from_xy([HANOI_X], [HANOI_Y]), crs=UTM48N).to_crs(4326)
    sites = pd.DataFrame(
        {
            "cell_id": ["A", "B"],
            "site_id": ["A", "B"],  # two co-located sites: redundancy class 2-4
            "operator": ["Viettel", "VinaPhone"],
            "lon_deg": [centre.x.iloc[0]] * 2,
            "lat_deg": [centre.y.iloc[0]] * 2,
            "range_m": [1000.0, 1000.0],
        }
    )
    grid = GridSpec.for_area(square_ward, resolution_m=10.0)
    table = ward_coverage_tiled(square_ward, sites, grid, model="disc", tile_px=37)
    by_op = table.set_index("operator")
    share = math.pi / 4
    # Pixel-centre rasterisation of the disc edge: ~0.05 points at 10 m.
    for op in ("any", "Viettel", "VinaPhone"):
        assert by_op.loc[op, "area_coverage_pct"] == pytest.approx(100 * share, abs=0.2)
        assert by_op.loc[op, "covered_population"] == pytest.approx(1000 * share, abs=2.0)
    any_row = by_op.loc["any"]
    assert any_row["area_km2_servers_1"] == pytest.approx(0.0, abs=1e-12)
    assert any_row["area_km2_servers_2_4"] == pytest.approx(any_row["covered_area_km2"], rel=1e-12)
    assert any_row["area_km2"] == pytest.approx(
        square_ward.to_crs(grid.crs).area.iloc[0] / 1e6, rel=1e-12
    )


def test_tiles_without_wards_are_skipped():
    wards = _wards(3, seed=1)
    far = box(HANOI_X + 30_000, HANOI_Y + 30_000, HANOI_X + 31_000, HANOI_Y + 31_000)
    wards = pd.concat(
        [wards, gpd.GeoDataFrame({"ward_id": ["far"], "name": ["far"], "population": [10.0]},
                                 geometry=[far], crs=UTM48N)],
        ignore_index=True,
    )  # fmt: skip
    grid = GridSpec.for_area(wards, resolution_m=200.0)
    stats: dict = {}
    table = ward_coverage_tiled(
        wards, _sites(6), grid, model="uma_nlos", link_budget=BUDGET, tile_px=16, stats=stats
    )
    assert stats["tiles_skipped"] > stats["tiles"] > 0
    far_row = table[(table.ward_id == "far") & (table.operator == "any")].iloc[0]
    assert far_row["area_km2"] == pytest.approx(1.0, rel=0.01)  # LAEA vs UTM scale
    assert far_row["covered_area_km2"] == 0.0


# --------------------------------------------------------------------------- on a cluster


@pytest.mark.dask
def test_audit_on_cluster_equals_in_process(case, cluster_client):
    from phusong.audit import run_audit

    wards, sites, _grid = case
    kw = {"model": "uma", "resolution_m": 100.0, "tile_px": 32}
    local = run_audit(sites, wards, **kw)
    remote = run_audit(sites, wards, scheduler=cluster_client, **kw)
    cols = [*NUMERIC, "city_gain_pct"]
    pd.testing.assert_frame_equal(
        remote.by_operator[["ward_id", "operator", *cols]],
        local.by_operator[["ward_id", "operator", *cols]],
        check_exact=True,
    )
    assert remote.grid.stats["workers"] == 2
    assert remote.summary["population_coverage_pct"] == local.summary["population_coverage_pct"]


@pytest.mark.dask
def test_tiled_on_cluster_by_address_equals_in_process(case, cluster_client):
    wards, sites, grid = case
    ref = ward_coverage_tiled(wards, sites, grid, model="uma_nlos", link_budget=BUDGET, tile_px=32)
    address = cluster_client.scheduler.address
    assert parse_scheduler(address) == address and address.startswith("tcp://")
    stats: dict = {}
    got = ward_coverage_tiled(
        wards, sites, grid, model="uma_nlos", link_budget=BUDGET, tile_px=32,
        scheduler=address, stats=stats,
    )  # fmt: skip
    assert stats["workers"] == 2 and stats["tiles"] > 2
    _assert_tables_close(got, ref, rtol=1e-9, atol=1e-9)
    # The client made for the address is closed, the cluster and its owner's client are not.
    assert cluster_client.status == "running"
    assert len(cluster_client.scheduler_info()["workers"]) == 2


@pytest.mark.dask
def test_grid_on_cluster_equals_in_process(case, cluster_client):
    _, sites, grid = case
    ref = compute_grid(sites, grid, model="uma_nlos", link_budget=BUDGET, tile_px=64)
    got = compute_grid_distributed(
        sites, grid, model="uma_nlos", link_budget=BUDGET, tile_px=40, scheduler=cluster_client
    )
    for layer in ("rsrp_dbm", "serving_cell", "n_servers", "sinr_db", "operator_n_servers"):
        np.testing.assert_array_equal(getattr(got, layer), getattr(ref, layer), err_msg=layer)


def _fail_on_third(window, offset):
    if int(window.col_off) == 2 * offset:
        raise ValueError(f"tile at column {int(window.col_off)} failed")
    return int(window.col_off)


@pytest.mark.dask
def test_a_failing_tile_raises_on_the_client(cluster_client):
    from rasterio.windows import Window

    from phusong.raster.distributed import map_tiles

    windows = [Window(c, 0, 1, 1) for c in range(0, 40, 4)]
    seen: list[int] = []
    with pytest.raises(ValueError, match="column 8 failed"):
        map_tiles(cluster_client, _fail_on_third, windows, (4,), seen.append)
    assert 8 not in seen
    # In-process, the same function gives the same error.
    with pytest.raises(ValueError, match="column 8 failed"):
        map_tiles(None, _fail_on_third, windows, (4,), seen.append)


@pytest.fixture(scope="module")
def population_tif(tmp_path_factory, case) -> str:
    """SYNTHETIC people-per-pixel raster, EPSG:4326 at 3 arc-seconds (WorldPop's grid)."""
    import rasterio
    from affine import Affine

    wards = case[0]
    left, bottom, right, top = wards.to_crs(4326).total_bounds
    res = 3.0 / 3600.0
    width = int((right - left) / res) + 6
    height = int((top - bottom) / res) + 6
    people = np.random.default_rng(3).gamma(1.0, 20.0, (height, width)).astype("float32")
    path = tmp_path_factory.mktemp("pop") / "synthetic_population.tif"
    profile = {"driver": "GTiff", "width": width, "height": height, "count": 1}
    with rasterio.open(
        path, "w", **profile, dtype="float32", crs="EPSG:4326",
        transform=Affine(res, 0, left - 3 * res, 0, -res, top + 3 * res),
    ) as dst:  # fmt: skip
        dst.write(people, 1)
    return str(path)


def test_population_raster_matches_zonal(case, population_tif):
    from phusong.raster.zonal import ward_coverage_raster

    wards, sites, grid = case
    full = compute_grid(sites, grid, model="uma_nlos", link_budget=BUDGET, tile_px=64)
    ref = ward_coverage_raster(
        wards, full, threshold_dbm=BUDGET.threshold_dbm, population_raster=population_tif
    ).table
    one = ward_coverage_tiled(
        wards, sites, grid, model="uma_nlos", link_budget=BUDGET, tile_px=256,
        population=population_tif,
    )  # fmt: skip
    assert one.attrs["population_source"] == "raster:synthetic_population.tif"
    # One tile = the whole grid: the same resampling, the same sums.
    _assert_tables_close(one, ref, rtol=1e-9, atol=1e-6)
    tiled = ward_coverage_tiled(
        wards, sites, grid, model="uma_nlos", link_budget=BUDGET, tile_px=32,
        population=population_tif,
    )  # fmt: skip
    # Areas do not depend on the tiling; people do, slightly: GDAL's resampling
    # (phusong.io.population.population_on_grid, run per tile) approximates the reprojection
    # per destination extent (≤ 1/8 source pixel), which moves a little weight.
    area_cols = [c for c in NUMERIC if "area" in c]
    np.testing.assert_allclose(tiled[area_cols], ref[area_cols], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(tiled["population"], ref["population"], rtol=1e-3)
    np.testing.assert_allclose(
        tiled["population_coverage_pct"], ref["population_coverage_pct"], atol=0.05
    )
