"""Tests of the per-ward zonal statistics (exact partial pixels, population)."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from affine import Affine
from conftest import HANOI_X, HANOI_Y, UTM48N
from pyproj import CRS, Transformer
from rasterio.transform import from_origin
from shapely.geometry import Point, box

from phusong.errors import ConfigError, DataError
from phusong.io.population import population_on_grid
from phusong.propagation import LinkBudget
from phusong.raster.grid import GridResult, GridSpec, compute_grid
from phusong.raster.zonal import ward_coverage_raster
from phusong.schema import ANY_OPERATOR, WARD_COVERAGE_COLUMNS, WGS84


def result_from(grid: GridSpec, n_servers: np.ndarray, operators: dict[str, np.ndarray] | None = None,
                threshold_dbm: float = float("nan")) -> GridResult:  # fmt: skip
    """A GridResult holding given server counts (the zonal step reads only those)."""
    operators = operators or {}
    shape = grid.shape
    n_ops = len(operators)
    return GridResult(
        grid=grid, model="disc", threshold_dbm=threshold_dbm,
        rsrp_dbm=np.full(shape, np.nan, "float32"), serving_cell=np.full(shape, -1, "int32"),
        serving_site=np.full(shape, -1, "int32"), n_servers=np.asarray(n_servers, "uint16"),
        sinr_db=np.full(shape, np.nan, "float32"), operators=tuple(operators),
        operator_rsrp_dbm=np.full((n_ops, *shape), np.nan, "float32"),
        operator_n_servers=np.array(list(operators.values()), "uint16").reshape(n_ops, *shape),
        cell_ids=np.array([], object), site_ids=np.array([], object),
        cell_site=np.array([], "int32"), cell_operator=np.array([], object),
        cell_carrier=np.array([], "int32"), range_m=np.array([]), noise_dbm=-122.2,
    )  # fmt: skip


# A 3 × 2 grid of 10 m pixels in UTM 48N: x 0…30, y 0…20 relative to (HANOI_X, HANOI_Y).
TINY = GridSpec(
    CRS.from_user_input(UTM48N), 10.0, Affine(10, 0, HANOI_X, 0, -10, HANOI_Y + 20), 3, 2
)


def tiny_ward(x1: float = 25.0, population: float = 500.0) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"ward_id": ["w"], "name": ["Phường Nhỏ"], "population": [population]},
        geometry=[box(HANOI_X, HANOI_Y, HANOI_X + x1, HANOI_Y + 20)],
        crs=UTM48N,
    )


def row(table: pd.DataFrame, operator: str = ANY_OPERATOR, ward_id: str | None = None) -> pd.Series:
    sel = table["operator"] == operator
    if ward_id is not None:
        sel &= table["ward_id"] == ward_id
    assert sel.sum() == 1
    return table[sel].iloc[0]


def test_partial_pixels_are_weighted_exactly():
    # Only the right column is served; the ward ends half-way through it (x = 25 m).
    n = np.array([[0, 0, 1], [0, 0, 1]])
    cov = ward_coverage_raster(tiny_ward(), result_from(TINY, n))
    r = row(cov.table)
    assert r["area_km2"] == pytest.approx(500e-6)
    assert r["covered_area_km2"] == pytest.approx(100e-6)  # 2 half pixels of 100 m² … = 5 m × 20 m
    assert r["area_coverage_pct"] == pytest.approx(20.0)
    # Pixel-centre counting would say 2 of 6 pixels (33 %) or, with the ward's mask, 0 %.
    assert r["covered_population"] == pytest.approx(100.0)  # uniform: 500 people × 20 %
    assert cov.population_source == "uniform:official"


def test_redundancy_classes_by_hand():
    n = np.array([[0, 1, 3], [6, 2, 5]])
    viettel = np.array([[0, 1, 1], [0, 0, 2]])
    cov = ward_coverage_raster(tiny_ward(30.0, 600.0), result_from(TINY, n, {"Viettel": viettel}))
    assert list(cov.table.columns) == list(WARD_COVERAGE_COLUMNS)
    assert list(cov.table["operator"]) == ["any", "Viettel"]
    a = row(cov.table)
    px = 100e-6  # km² per pixel
    assert a["area_km2_servers_0"] == pytest.approx(1 * px)
    assert a["area_km2_servers_1"] == pytest.approx(1 * px)
    assert a["area_km2_servers_2_4"] == pytest.approx(2 * px)
    assert a["area_km2_servers_5plus"] == pytest.approx(2 * px)
    assert a["population_servers_5plus"] == pytest.approx(200.0)
    assert a["area_coverage_pct"] == pytest.approx(500 / 6)
    v = row(cov.table, "Viettel")
    assert v["covered_area_km2"] == pytest.approx(3 * px)
    assert v["area_km2_servers_2_4"] == pytest.approx(1 * px)
    assert v["population_coverage_pct"] == pytest.approx(50.0)
    for col, (dtype, _m) in WARD_COVERAGE_COLUMNS.items():
        assert str(cov.table[col].dtype) == ("string" if dtype == "string" else "float64"), col


def write_population(path, array, transform, crs) -> None:
    array = np.asarray(array, "float32")
    with rasterio.open(path, "w", driver="GTiff", width=array.shape[1], height=array.shape[0],
                       count=1, dtype="float32", crs=crs, transform=transform, nodata=-1) as dst:  # fmt: skip
        dst.write(np.asarray(array, "float32"), 1)


def test_population_raster_by_hand(tmp_path):
    # 20 m population pixels aligned with the grid: [[40, 80]] over x 0…40, y 0…20 (then
    # nodata): each 10 m pixel holds a quarter of its 20 m pixel's people.
    path = tmp_path / "pop.tif"
    write_population(path, [[40.0, -1.0]], from_origin(HANOI_X, HANOI_Y + 20, 20, 20), UTM48N)
    people, source = population_on_grid(path, TINY)
    assert source == "raster:pop.tif"
    np.testing.assert_allclose(people, [[10, 10, 0], [10, 10, 0]])
    n = np.array([[1, 0, 0], [0, 0, 0]])
    cov = ward_coverage_raster(tiny_ward(15.0), result_from(TINY, n), population_raster=path)
    r = row(cov.table)
    # Ward x 0…15: pixels (col 0: 10 people each, whole) and (col 1: half of 10 each).
    assert r["population"] == pytest.approx(10 + 10 + 5 + 5)
    assert r["covered_population"] == pytest.approx(10)
    assert r["population_coverage_pct"] == pytest.approx(100 / 3)
    assert r["area_coverage_pct"] == pytest.approx(100 / 3)
    assert cov.population_source == "raster:pop.tif"


def test_population_raster_in_degrees_is_conserved(tmp_path, square_ward):
    grid = GridSpec.for_area(square_ward, resolution_m=20)
    # ~3 arc-second (≈ 90 m) WGS84 raster with 7 people per pixel, over the ward and beyond.
    lon0, lat0, lon1, lat1 = square_ward.to_crs(WGS84).total_bounds
    res = 3 / 3600
    w, h = int((lon1 - lon0) / res) + 6, int((lat1 - lat0) / res) + 6
    path = tmp_path / "worldpop.tif"
    write_population(
        path, np.full((h, w), 7.0), from_origin(lon0 - 3 * res, lat1 + 3 * res, res, res), WGS84
    )
    n = np.ones(grid.shape, dtype="uint16")
    cov = ward_coverage_raster(square_ward, result_from(grid, n), population_raster=path)
    r = row(cov.table)
    # Expected: density 7 / (geodesic area of one 3″ pixel at this latitude) × ward area.
    from pyproj import Geod

    lat = float(square_ward.to_crs(WGS84).geometry.iloc[0].centroid.y)
    pix, _ = Geod(ellps="WGS84").polygon_area_perimeter(
        [0, res, res, 0], [lat, lat, lat + res, lat + res]
    )
    expected = 7.0 / abs(pix) * r["area_km2"] * 1e6
    assert r["population"] == pytest.approx(expected, rel=0.01)
    assert r["population_coverage_pct"] == pytest.approx(100.0)


def test_unreadable_or_negative_population_raster_is_a_data_error(tmp_path):
    bad = tmp_path / "people.tif"
    bad.write_text("not a raster", encoding="utf-8")
    with pytest.raises(DataError, match="could not read the population raster"):
        population_on_grid(bad, TINY)
    path = tmp_path / "negative.tif"
    with rasterio.open(
        path, "w", driver="GTiff", width=2, height=2, count=1, dtype="float32",
        crs=TINY.crs.to_wkt(), transform=TINY.transform,
    ) as dst:  # fmt: skip
        dst.write(np.full((1, 2, 2), -1.0, dtype="float32"))
    with pytest.raises(DataError, match="negative"):
        population_on_grid(path, TINY)


def test_disc_pi_over_four_and_gaps(square_ward):
    grid = GridSpec.for_area(square_ward, resolution_m=10)
    # The ward is square in UTM; put the site at its centre.
    cx, cy = square_ward.to_crs(grid.crs).geometry.iloc[0].centroid.coords[0]
    lon, lat = Transformer.from_crs(grid.crs, WGS84, always_xy=True).transform(cx, cy)
    sites = pd.DataFrame({"cell_id": ["c"], "site_id": ["s"], "operator": ["Viettel"], "lon_deg": [lon],
                          "lat_deg": [lat], "range_m": [1000.0]})  # fmt: skip
    res = compute_grid(sites, grid, model="disc")
    cov = ward_coverage_raster(square_ward, res)
    r = row(cov.table)
    ward_km2 = float(square_ward.to_crs(grid.crs).area.iloc[0]) / 1e6
    assert r["area_coverage_pct"] == pytest.approx(math.pi / ward_km2 * 100, abs=0.5)
    assert r["area_coverage_pct"] == pytest.approx(100 * math.pi / 4, abs=0.5)
    assert r["covered_population"] == pytest.approx(1000 * math.pi / 4, abs=5)
    assert row(cov.table, "Viettel")["covered_area_km2"] == r["covered_area_km2"]
    # Gaps: the four corners outside the disc, one ward row.
    assert cov.gaps.crs.to_epsg() == 4326
    assert list(cov.gaps.columns) == ["ward_id", "name", "area_km2", "population", "geometry"]
    assert len(cov.gaps) == 1
    g = cov.gaps.iloc[0]
    assert g["area_km2"] == pytest.approx(ward_km2 - math.pi, rel=0.01)
    assert g["population"] == pytest.approx(1000 * (1 - math.pi / 4), rel=0.01)
    assert g["area_km2"] == pytest.approx(r["area_km2_servers_0"], rel=0.001)
    ward_ll = square_ward.to_crs(WGS84).geometry.iloc[0]
    assert ward_ll.buffer(1e-7).contains(g.geometry)  # 1e-7° ≈ 1 cm
    # The four corners are gaps, the centre is not.
    to_ll = Transformer.from_crs(UTM48N, WGS84, always_xy=True)
    for dx, dy in ((-950, -950), (950, -950), (-950, 950), (950, 950)):
        assert g.geometry.contains(Point(to_ll.transform(HANOI_X + dx, HANOI_Y + dy)))
    assert not g.geometry.contains(Point(to_ll.transform(HANOI_X, HANOI_Y)))


def test_gap_slivers_dropped():
    grid = GridSpec(
        CRS.from_user_input(UTM48N), 10.0, Affine(10, 0, HANOI_X, 0, -10, HANOI_Y + 500), 50, 50
    )
    ward = gpd.GeoDataFrame({"ward_id": ["w"], "name": ["x"], "population": [100.0]},
                            geometry=[box(HANOI_X, HANOI_Y, HANOI_X + 500, HANOI_Y + 500)], crs=UTM48N)  # fmt: skip
    n = np.ones(grid.shape, dtype="uint16")
    n[0:5, 0:5] = 0  # 2,500 m² hole: a sliver
    n[20:40, 20:40] = 0  # 40,000 m² gap
    cov = ward_coverage_raster(ward, result_from(grid, n), min_gap_area_m2=10_000)
    assert len(cov.gaps) == 1
    assert cov.gaps.iloc[0]["area_km2"] == pytest.approx(0.04)
    cov = ward_coverage_raster(ward, result_from(grid, n), min_gap_area_m2=0)
    assert cov.gaps.iloc[0]["area_km2"] == pytest.approx(0.0425)
    full = ward_coverage_raster(ward, result_from(grid, np.ones(grid.shape, dtype="uint16")))
    assert len(full.gaps) == 0 and list(full.gaps.columns)[-1] == "geometry"


def test_gap_people_equal_exactextract_over_the_gap_polygons(tmp_path):
    # Two wards whose boundaries cut pixels, a people raster, unserved blobs and slivers:
    # every gap's people (summed from the wards' pixel pieces, less the dropped slivers)
    # must equal a second method, exactextract's sum of the people raster over the gap.
    import exactextract
    from exactextract.raster import NumPyRasterSource
    from shapely.geometry import Polygon

    grid = GridSpec(
        CRS.from_user_input(UTM48N), 10.0, Affine(10, 0, HANOI_X, 0, -10, HANOI_Y + 600), 60, 60
    )
    x, y = HANOI_X, HANOI_Y
    west = Polygon([(x + 3, y + 7), (x + 333, y + 2), (x + 297, y + 596), (x + 11, y + 588)])
    east = Polygon([(x + 333, y + 2), (x + 597, y + 13), (x + 590, y + 594), (x + 297, y + 596)])
    wards = gpd.GeoDataFrame({"ward_id": ["w", "e"], "name": ["W", "E"],
                              "population": [1000.0, 800.0]}, geometry=[west, east], crs=UTM48N)  # fmt: skip
    rng = np.random.default_rng(11)
    path = tmp_path / "pop.tif"
    write_population(path, rng.uniform(0, 5, grid.shape), grid.transform, UTM48N)
    n = np.ones(grid.shape, dtype="uint16")
    n[5:25, 5:40] = 0  # a blob across the boundary
    n[40:43, 50:52] = 0  # a 600 m² sliver (dropped below 1,000 m²)
    n[50:60, 0:3] = 0  # along the west ward's slanted edge
    n[rng.uniform(size=grid.shape) < 0.01] = 0  # single pixels: dropped
    cov = ward_coverage_raster(wards, result_from(grid, n), population_raster=path,
                               min_gap_area_m2=1_000)  # fmt: skip
    people, _ = population_on_grid(path, grid)
    left, bottom, right, top = grid.bounds
    src = NumPyRasterSource(people, left, bottom, right, top, name="p", srs_wkt=grid.crs.to_wkt())
    gaps = cov.gaps.to_crs(grid.crs)
    assert len(gaps) == 2
    feats = gpd.GeoDataFrame(
        {"_i": range(len(gaps))}, geometry=gaps.geometry.to_numpy(), crs=grid.crs
    )
    ref = exactextract.exact_extract(src, feats, ["sum"], output="pandas", include_cols=["_i"])
    np.testing.assert_allclose(gaps["population"].to_numpy(), ref["sum"].to_numpy(), rtol=1e-9)
    assert (gaps.geometry.area >= 1_000 - 1e-6).all()


def test_threshold_must_match_grid():
    res = result_from(TINY, np.zeros(TINY.shape), threshold_dbm=-110.0)
    ward_coverage_raster(tiny_ward(), res, threshold_dbm=-110.0)
    with pytest.raises(ConfigError, match="recompute"):
        ward_coverage_raster(tiny_ward(), res, threshold_dbm=-100.0)


def test_shipped_wards_end_to_end(hanoi_wards):
    grid = GridSpec.for_area(hanoi_wards, resolution_m=250)
    rng = np.random.default_rng(0)
    n = 60
    sites = pd.DataFrame({
        "cell_id": [f"c{i}" for i in range(n)], "site_id": [f"s{i}" for i in range(n)],
        "operator": rng.choice(["Viettel", "VinaPhone"], n),
        "lon_deg": rng.uniform(105.75, 105.95, n), "lat_deg": rng.uniform(20.95, 21.10, n),
        "eirp_dbm": 64.0, "frequency_mhz": 3500.0, "bandwidth_mhz": 100.0, "height_m": 25.0,
        "azimuth_deg": np.nan,
    })  # fmt: skip
    res = compute_grid(sites, grid, model="uma_nlos", link_budget=LinkBudget())
    cov = ward_coverage_raster(hanoi_wards, res, threshold_dbm=-110.0)
    t = cov.table
    assert len(t) == 126 * 3
    assert t["area_coverage_pct"].between(0, 100).all()
    anyrows = t[t["operator"] == "any"]
    assert anyrows["area_km2"].sum() == pytest.approx(
        hanoi_wards.attrs["topology"]["area_km2"], rel=1e-6
    )
    # Redundancy classes partition each ward's area and population.
    classes = anyrows[[c for c in t.columns if c.startswith("area_km2_servers")]].sum(axis=1)
    np.testing.assert_allclose(classes, anyrows["area_km2"], rtol=1e-6)
    pops = anyrows[[c for c in t.columns if c.startswith("population_servers")]].sum(axis=1)
    np.testing.assert_allclose(pops, anyrows["population"], rtol=1e-6)
    # Operator coverage never exceeds "any".
    merged = t[t["operator"] != "any"].merge(anyrows, on="ward_id", suffixes=("", "_any"))
    assert (merged["covered_area_km2"] <= merged["covered_area_km2_any"] + 1e-12).all()
    assert 0 < anyrows["covered_area_km2"].sum() < anyrows["area_km2"].sum()
    assert cov.gaps["ward_id"].isin(anyrows["ward_id"]).all()


def test_a_grid_reused_for_other_wards_finds_their_pixels_again():
    # The wards' pixel pieces are kept on the grid result for the audit's later steps;
    # the same grid summed over other wards (same number of wards) must not reuse them.
    grid = GridSpec(
        CRS.from_user_input(UTM48N), 10.0, Affine(10, 0, HANOI_X, 0, -10, HANOI_Y + 500), 50, 50
    )
    n = np.zeros(grid.shape, dtype="uint16")
    n[:, :25] = 1  # the west half is served

    def one(x0: float, x1: float) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame({"ward_id": ["w"], "name": ["x"], "population": [100.0]},
                                geometry=[box(HANOI_X + x0, HANOI_Y, HANOI_X + x1, HANOI_Y + 500)],
                                crs=UTM48N)  # fmt: skip

    res = result_from(grid, n)
    west = row(ward_coverage_raster(one(0, 250), res).table)
    assert res.overlap is not None
    east = row(ward_coverage_raster(one(250, 500), res).table)
    assert west["area_coverage_pct"] == pytest.approx(100.0)
    assert east["area_coverage_pct"] == pytest.approx(0.0)


def test_the_same_wards_grid_and_people_share_one_overlap_and_nothing_else_does(tmp_path):
    # A plan re-audits the same wards on the same grid: the pieces and people found once
    # are read again (shared, read-only); other wards, another raster file or a rewritten
    # one (same name, other people) are found afresh.
    from phusong.raster.ward_pixels import ward_overlap

    path = tmp_path / "pop.tif"
    write_population(path, [[40.0, 8.0]], from_origin(HANOI_X, HANOI_Y + 20, 20, 20), UTM48N)
    first = ward_overlap(tiny_ward(15.0), TINY, path)
    again = ward_overlap(tiny_ward(15.0), TINY, path)
    assert again is first
    with pytest.raises(ValueError, match="read-only"):
        first.fraction[0] = 0.5
    assert ward_overlap(tiny_ward(25.0), TINY, path) is not first  # other wards
    assert ward_overlap(tiny_ward(15.0), TINY, None).people is None  # no raster
    other = tmp_path / "pop2.tif"
    write_population(other, [[80.0, 8.0]], from_origin(HANOI_X, HANOI_Y + 20, 20, 20), UTM48N)
    assert ward_overlap(tiny_ward(15.0), TINY, other).people[0, 0] == pytest.approx(20.0)
    write_population(path, [[400.0, 8.0]], from_origin(HANOI_X, HANOI_Y + 20, 20, 20), UTM48N)
    rewritten = ward_overlap(tiny_ward(15.0), TINY, path)
    assert rewritten is not first and rewritten.people[0, 0] == pytest.approx(100.0)


def test_gaps_remembered_for_unchanged_wards_are_the_gaps_found_afresh():
    # Two wards, three coverage patterns: the gaps of a pattern seen before (the same
    # ward with the same unserved pixels) come from the overlap's memory and equal those
    # found with nothing remembered; a changed ward is polygonised again.
    from phusong.raster import ward_pixels

    wards = gpd.GeoDataFrame(
        {"ward_id": ["a", "b"], "name": ["Phường A", "Phường B"], "population": [800.0, 400.0]},
        geometry=[box(HANOI_X, HANOI_Y, HANOI_X + 400, HANOI_Y + 300),
                  box(HANOI_X + 400, HANOI_Y, HANOI_X + 700, HANOI_Y + 300)],
        crs=UTM48N,
    )  # fmt: skip
    grid = GridSpec.for_area(wards, resolution_m=20.0)
    rng = np.random.default_rng(11)
    patterns = [(rng.random(grid.shape) < p).astype("uint16") for p in (0.5, 0.3)]
    changed_b = patterns[0].copy()
    changed_b[:, grid.width // 2 + 3 :] = 1  # ward b served more, ward a as in pattern 0
    ward_pixels.forget_overlaps()
    runs = [patterns[0], patterns[1], changed_b, patterns[0]]
    remembered = [ward_coverage_raster(wards, result_from(grid, n), min_gap_area_m2=800.0)
                  for n in runs]  # fmt: skip
    overlap = ward_pixels.ward_overlap(wards, grid)
    # polygons and gaps of a and b in patterns 0 and 1, and of b in the changed one
    assert len(overlap.memo) == 10
    runs.append(patterns[1])  # another size limit: the same polygons, another union
    remembered.append(ward_coverage_raster(wards, result_from(grid, patterns[1])))
    assert len(overlap.memo) == 12
    for k, (n, got) in enumerate(zip(runs, remembered, strict=True)):
        ward_pixels.forget_overlaps()  # nothing remembered
        limit = 800.0 if k < 4 else 10_000.0
        fresh = ward_coverage_raster(wards, result_from(grid, n), min_gap_area_m2=limit)
        assert got.gaps["ward_id"].tolist() == fresh.gaps["ward_id"].tolist()
        np.testing.assert_allclose(got.gaps["population"], fresh.gaps["population"], rtol=1e-12)
        np.testing.assert_allclose(got.gaps["area_km2"], fresh.gaps["area_km2"], rtol=1e-12)
        assert all(a.equals(b) for a, b in zip(got.gaps.geometry, fresh.gaps.geometry, strict=True))
        # each gap is valid and is the union of its parts (as shapely.union_all makes it)
        for gap in got.gaps.to_crs(grid.crs).geometry:
            assert gap.is_valid
            assert gap.equals(shapely.union_all(shapely.get_parts(gap)))


def test_recent_keeps_the_newest_entries_and_a_look_up_renews_one():
    from phusong.recent import Recent

    kept: Recent[str] = Recent(size=2)
    kept.put("a", "A")
    kept.put("b", "B")
    assert kept.get("a") == "A"  # now the newest
    kept.put("c", "C")  # over size: b, the least recently used, goes
    assert kept.get("b") is None and kept.values() == ["A", "C"] and len(kept) == 2
    kept.clear()
    assert not kept and kept.get("a") is None
