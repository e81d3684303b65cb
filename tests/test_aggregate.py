"""Exact vector coverage per ward, checked against analytic answers and a brute-force overlay."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import Geod
from rasterio.transform import from_origin

from phusong.errors import ConfigError
from phusong.geo import equal_area_crs, geodesic_area_km2
from phusong.schema import ANY_OPERATOR, WARD_COVERAGE_COLUMNS
from phusong.vector.aggregate import VectorCoverage, ward_coverage_vector
from phusong.vector.footprints import disc_footprints, sector_footprints

UTM48N = "EPSG:32648"
X0, Y0 = 585_000.0, 2_322_000.0  # near Hoàn Kiếm, Hà Nội, in UTM 48N
HALF = 1000.0  # the test ward is a 2 km × 2 km square (in UTM metres)


def square_ward(cx=X0, cy=Y0, half=HALF, ward_id="W1", population=10_000.0, crs=UTM48N):
    return gpd.GeoDataFrame(
        {
            "ward_id": pd.array([ward_id], dtype="string"),
            "name": pd.array([f"Phường {ward_id}"], dtype="string"),
            "kind": pd.array(["phường"], dtype="string"),
            "population": [population],
        },
        geometry=[shapely.box(cx - half, cy - half, cx + half, cy + half)],
        crs=crs,
    )


def grid_wards(n=2, side=1500.0):
    """An n × n block of square wards starting at (X0, Y0)."""
    rows = []
    for i in range(n):
        for j in range(n):
            x, y = X0 + i * side, Y0 + j * side
            rows.append((f"G{i}{j}", shapely.box(x, y, x + side, y + side), 1000.0 * (1 + i + j)))
    return gpd.GeoDataFrame(
        {
            "ward_id": pd.array([r[0] for r in rows], dtype="string"),
            "name": pd.array([r[0] for r in rows], dtype="string"),
            "kind": pd.array(["phường"] * len(rows), dtype="string"),
            "population": [r[2] for r in rows],
        },
        geometry=[r[1] for r in rows],
        crs=UTM48N,
    )


def cells(xy, range_m, operator="Viettel", site_id=None, azimuth=None, beamwidth=None):
    n = len(xy)
    ops = [operator] * n if isinstance(operator, str) else list(operator)
    sid = [f"s{i}" for i in range(n)] if site_id is None else list(site_id)
    return gpd.GeoDataFrame(
        {
            "cell_id": pd.array([f"c{i}" for i in range(n)], dtype="string"),
            "site_id": pd.array(sid, dtype="string"),
            "operator": pd.array(ops, dtype="string"),
            "azimuth_deg": np.full(n, np.nan) if azimuth is None else np.asarray(azimuth, float),
            "beamwidth_deg": np.full(n, np.nan)
            if beamwidth is None
            else np.asarray(beamwidth, float),
            "range_m": np.broadcast_to(np.asarray(range_m, float), (n,)).copy(),
        },
        geometry=gpd.points_from_xy([p[0] for p in xy], [p[1] for p in xy]),
        crs=UTM48N,
    )


def row(result: VectorCoverage, ward_id="W1", operator=ANY_OPERATOR) -> pd.Series:
    t = result.table
    sel = t[(t["ward_id"] == ward_id) & (t["operator"] == operator)]
    assert len(sel) == 1
    return sel.iloc[0]


def true_area_m2(wards) -> float:
    # Independent reference for the ward's area: Karney's geodesic area.
    return float(geodesic_area_km2(wards)[0]) * 1e6


# --------------------------------------------------------------------------
# analytic cases
# --------------------------------------------------------------------------


def test_centred_disc_covers_pi_over_four():
    wards = square_ward()
    res = ward_coverage_vector(wards, cells([(X0, Y0)], 1000.0))
    r = row(res)
    area = true_area_m2(wards)
    # The disc lies inside the square, so covered area = π r² exactly (area-corrected polygon);
    # the square is 2000 UTM metres a side, 0.03 % longer on the ground (UTM scale < 1 here).
    assert r["covered_area_km2"] == pytest.approx(np.pi, rel=1e-9)
    assert r["area_km2"] * 1e6 == pytest.approx(area, rel=1e-7)  # geodesic vs straight edges
    assert r["area_coverage_pct"] == pytest.approx(100 * np.pi * 1e6 / area, abs=1e-5)
    assert r["area_coverage_pct"] == pytest.approx(25 * np.pi, abs=0.06)
    assert r["population_coverage_pct"] == pytest.approx(r["area_coverage_pct"], abs=1e-9)
    assert r["covered_population"] == pytest.approx(10_000 * np.pi * 1e6 / area, rel=1e-7)
    assert res.population_source == "uniform:official"
    assert list(res.table.columns) == list(WARD_COVERAGE_COLUMNS)


def test_120_degree_sector_covers_pi_over_twelve():
    wards = square_ward()
    sites = cells([(X0, Y0)], 1000.0, azimuth=[30.0], beamwidth=[120.0])
    r = row(ward_coverage_vector(wards, sites, model="sector"))
    assert r["covered_area_km2"] == pytest.approx(np.pi / 3, rel=1e-9)
    assert r["area_coverage_pct"] == pytest.approx(100 * np.pi * 1e6 / 3 / true_area_m2(wards))
    # The disc model ignores the azimuth.
    r_disc = row(ward_coverage_vector(wards, sites, model="disc"))
    assert r_disc["covered_area_km2"] == pytest.approx(np.pi, rel=1e-9)


def test_site_outside_covers_nothing():
    wards = square_ward()
    res = ward_coverage_vector(wards, cells([(X0 + 5000, Y0)], 1000.0))
    r = row(res)
    assert r["covered_area_km2"] == 0
    assert r["area_coverage_pct"] == 0
    assert r["area_km2_servers_0"] == pytest.approx(r["area_km2"])
    assert r["population_servers_0"] == pytest.approx(10_000)


def lens_area(r, d):
    """Area of the intersection of two discs of radius r whose centres are d apart."""
    return 2 * r**2 * np.arccos(d / (2 * r)) - d / 2 * np.sqrt(4 * r**2 - d**2)


def test_two_overlapping_discs_lens():
    wards = square_ward()
    r, d = 600.0, 600.0
    sites = cells([(X0 - d / 2, Y0), (X0 + d / 2, Y0)], r)
    # quad_segs=128: a 512-gon, boundary within ±1.3e-5 r of the circle.
    row_ = row(ward_coverage_vector(wards, sites, quad_segs=128))
    # Centre distance on the ground (UTM metres are 0.03 % short here): Karney's geodesic.
    lon, lat = sites.to_crs("EPSG:4326").geometry.x, sites.to_crs("EPSG:4326").geometry.y
    d_true = Geod(ellps="WGS84").inv(lon.iloc[0], lat.iloc[0], lon.iloc[1], lat.iloc[1])[2]
    assert d_true == pytest.approx(d, rel=5e-4)
    lens = lens_area(r, d_true)
    assert row_["area_km2_servers_2_4"] * 1e6 == pytest.approx(lens, rel=2e-5)
    assert row_["area_km2_servers_1"] * 1e6 == pytest.approx(2 * np.pi * r**2 - 2 * lens, rel=2e-5)
    assert row_["covered_area_km2"] * 1e6 == pytest.approx(2 * np.pi * r**2 - lens, rel=2e-5)
    assert row_["area_km2_servers_5plus"] == 0
    classes = row_[[c for c in WARD_COVERAGE_COLUMNS if c.startswith("area_km2_servers")]]
    assert classes.sum() == pytest.approx(row_["area_km2"], rel=1e-12)


def test_cells_of_one_site_count_once_and_five_sites_make_five_plus():
    wards = square_ward()
    same_site = cells([(X0, Y0), (X0, Y0)], 500.0, site_id=["A", "A"])
    r = row(ward_coverage_vector(wards, same_site))
    assert r["area_km2_servers_1"] == pytest.approx(np.pi * 0.25, rel=1e-9)
    assert r["area_km2_servers_2_4"] == 0
    five = cells([(X0, Y0)] * 5, 500.0)
    r = row(ward_coverage_vector(wards, five))
    assert r["area_km2_servers_5plus"] == pytest.approx(np.pi * 0.25, rel=1e-9)
    assert r["area_km2_servers_1"] == pytest.approx(0, abs=1e-9)
    # Three sectors of one site tile its disc and are still one server.
    sectors = cells(
        [(X0, Y0)] * 3, 500.0, site_id="AAA", azimuth=[0, 120, 240], beamwidth=[120] * 3
    )
    r = row(ward_coverage_vector(wards, sectors, model="sector"))
    assert r["area_km2_servers_1"] == pytest.approx(np.pi * 0.25, rel=1e-9)
    assert r["area_km2_servers_2_4"] == pytest.approx(0, abs=1e-9)


def test_operators_rows_and_selection():
    wards = square_ward()
    sites = cells([(X0 - 300, Y0), (X0 + 300, Y0)], 500.0, operator=["Viettel", "MobiFone"])
    res = ward_coverage_vector(wards, sites)
    assert res.table["operator"].tolist() == ["any", "MobiFone", "Viettel"]
    assert row(res, operator="Viettel")["covered_area_km2"] == pytest.approx(np.pi / 4, rel=1e-9)
    res = ward_coverage_vector(wards, sites, operators=["Viettel", "VinaPhone"])
    assert res.table["operator"].tolist() == ["any", "Viettel", "VinaPhone"]
    assert row(res)["covered_area_km2"] == pytest.approx(np.pi / 4, rel=1e-9)
    assert row(res, operator="VinaPhone")["covered_area_km2"] == 0


def test_unknown_model():
    with pytest.raises(ConfigError, match="disc, sector"):
        ward_coverage_vector(square_ward(), cells([(X0, Y0)], 1.0), model="hata")


def test_zero_population_gives_nan_percent():
    # 0 people: the population coverage is undefined (NaN), as in the raster routes
    # (phusong.coverage_table); every other figure is a number.
    wards = square_ward(population=0.0)
    res = ward_coverage_vector(wards, cells([(X0, Y0)], 500.0))
    r = row(res)
    assert np.isnan(r["population_coverage_pct"])
    assert r["population"] == 0 and r["covered_population"] == 0
    assert not res.table.drop(columns="population_coverage_pct").isna().any().any()


def test_no_sites():
    res = ward_coverage_vector(grid_wards(), cells([(X0, Y0)], 500.0).iloc[:0])
    assert res.table["operator"].unique().tolist() == ["any"]
    assert (res.table["area_coverage_pct"] == 0).all()
    assert res.gaps["area_km2"].sum() == pytest.approx(res.table["area_km2"].sum())


# --------------------------------------------------------------------------
# gaps
# --------------------------------------------------------------------------


def test_gaps_plus_covered_is_the_ward():
    wards = grid_wards()
    sites = cells([(X0 + 700, Y0 + 800), (X0 + 1900, Y0 + 1400), (X0 + 2500, Y0 + 2800)], 650.0)
    # The polygon route: gaps and table come from the same 128-gons, so they close to
    # rounding (the arc route's exact table vs polygon gaps: tests/test_arcs.py).
    res = ward_coverage_vector(wards, sites, min_gap_area_m2=0, exact_method="polygons")
    anyt = res.table[res.table["operator"] == ANY_OPERATOR].set_index("ward_id")
    gap_area = res.gaps.groupby("ward_id")["area_km2"].sum().reindex(anyt.index).fillna(0)
    np.testing.assert_allclose(gap_area + anyt["covered_area_km2"], anyt["area_km2"], rtol=1e-9)
    gap_people = res.gaps.groupby("ward_id")["population"].sum().reindex(anyt.index).fillna(0)
    np.testing.assert_allclose(
        gap_people + anyt["covered_population"], anyt["population"], rtol=1e-9
    )
    assert res.gaps.crs == "EPSG:4326"
    # Independently: the gaps are the ward minus the union of the discs.
    crs = res.crs
    union = shapely.union_all(disc_footprints(sites, crs=crs).to_numpy())
    expected = shapely.difference(wards.to_crs(crs).geometry.to_numpy(), union)
    np.testing.assert_allclose(
        gap_area.to_numpy(), shapely.area(expected) / 1e6, rtol=1e-9, atol=1e-12
    )


def test_small_gaps_are_dropped():
    wards = square_ward()
    res = ward_coverage_vector(wards, cells([(X0, Y0)], 1000.0), min_gap_area_m2=0)
    assert len(res.gaps) == 1  # the four corners form one ring-shaped gap
    res = ward_coverage_vector(wards, cells([(X0, Y0)], 1000.0), min_gap_area_m2=1e7)
    assert len(res.gaps) == 0


# --------------------------------------------------------------------------
# population raster
# --------------------------------------------------------------------------


def test_population_raster_by_hand(tmp_path):
    wards = square_ward()
    crs = equal_area_crs(wards)
    c = wards.to_crs(crs).geometry.iloc[0].centroid
    # 100 m pixels in the equal-area CRS, aligned on the ward's centre.
    x_left, y_top = c.x - 1500, c.y + 1500
    data = np.zeros((30, 30), dtype="float32")
    # Block A: 2 × 2 pixels of 100 people around the centre (inside the 500 m disc).
    data[14:16, 14:16] = 100
    # Block B: 2 × 2 pixels of 100 people at x, y in [600, 800] m from the centre (outside).
    data[7:9, 21:23] = 100
    path = tmp_path / "people.tif"
    profile = dict(
        driver="GTiff", width=30, height=30, count=1, dtype="float32", crs=crs.to_wkt(),
        transform=from_origin(x_left, y_top, 100, 100),
    )  # fmt: skip
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data, 1)
    res = ward_coverage_vector(wards, cells([(X0, Y0)], 500.0), population_raster=path,
                               min_gap_area_m2=0)  # fmt: skip
    r = row(res)
    assert res.population_source == "raster:people.tif"
    assert r["population"] == pytest.approx(800, rel=1e-6)
    assert r["covered_population"] == pytest.approx(400, rel=1e-6)
    assert r["population_coverage_pct"] == pytest.approx(50, abs=1e-4)
    assert r["population_servers_1"] == pytest.approx(400, rel=1e-6)
    assert r["population_servers_0"] == pytest.approx(400, rel=1e-6)
    assert res.gaps["population"].sum() == pytest.approx(400, rel=1e-6)


# --------------------------------------------------------------------------
# independent references: geopandas overlay and a brute-force arrangement
# --------------------------------------------------------------------------


def brute_force(wards, sites, model="disc"):
    """Area [m²] per ward with >= 1, >= 2, >= 5 distinct sites, by the full arrangement."""
    crs = equal_area_crs(wards)
    make = disc_footprints if model == "disc" else sector_footprints
    fp = make(sites, crs=crs).to_numpy()
    site = sites["site_id"].to_numpy()
    out = []
    for ward in wards.to_crs(crs).geometry:
        lines = [ward.boundary, *[f.boundary for f in fp]]
        faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(shapely.union_all(lines))))
        faces = faces[shapely.within(shapely.point_on_surface(faces), ward)]
        pts = shapely.point_on_surface(faces)
        counts = np.array([len(set(site[shapely.contains(fp, p)])) for p in pts])
        area = shapely.area(faces)
        out.append([area[counts >= k].sum() for k in (1, 2, 5)])
    return np.array(out)


def overlay_pct(wards, sites):
    crs = equal_area_crs(wards)
    w = wards[["ward_id", "geometry"]].to_crs(crs)
    union = gpd.GeoDataFrame(geometry=[disc_footprints(sites, crs=crs).union_all()], crs=crs)
    cov = gpd.overlay(w, union, how="intersection")
    got = cov.assign(a=cov.area).groupby("ward_id")["a"].sum()
    return (100 * got.reindex(w["ward_id"]).fillna(0) / w.area.to_numpy()).to_numpy()


site_strategy = st.lists(
    st.tuples(
        st.floats(-500, 3500),
        st.floats(-500, 3500),
        st.floats(100, 1500),
        st.sampled_from(["Viettel", "MobiFone"]),
    ),
    min_size=1,
    max_size=9,
)


def make_sites(spec):
    return cells(
        [(X0 + s[0], Y0 + s[1]) for s in spec], [s[2] for s in spec], operator=[s[3] for s in spec]
    )


def any_table(res):
    t = res.table
    return t[t["operator"] == ANY_OPERATOR].set_index("ward_id").sort_index()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=site_strategy)
def test_matches_brute_force_arrangement(spec):
    wards = grid_wards()
    sites = make_sites(spec)
    # brute_force uses the same 128-gons as the polygon route (the arc route is exact
    # for circles; tests/test_arcs.py compares it with this route).
    res = ward_coverage_vector(wards, sites, exact_method="polygons")
    t = any_table(res).reindex(wards["ward_id"])
    ref = brute_force(wards, sites)
    a = t["area_km2"].to_numpy() * 1e6
    np.testing.assert_allclose(t["covered_area_km2"] * 1e6, ref[:, 0], atol=1e-3 + 1e-9 * a.max())
    got2 = (t["area_km2_servers_2_4"] + t["area_km2_servers_5plus"]) * 1e6
    np.testing.assert_allclose(got2, ref[:, 1], atol=1e-3 + 1e-9 * a.max())
    np.testing.assert_allclose(
        t["area_km2_servers_5plus"] * 1e6, ref[:, 2], atol=1e-3 + 1e-9 * a.max()
    )
    np.testing.assert_allclose(t["area_coverage_pct"], overlay_pct(wards, sites), atol=1e-7)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=site_strategy, extra=st.tuples(st.floats(-500, 3500), st.floats(-500, 3500)))
def test_properties(spec, extra):
    wards = grid_wards()
    sites = make_sites(spec)
    res = ward_coverage_vector(wards, sites)
    t = res.table
    for col in ("area_coverage_pct", "population_coverage_pct"):
        assert t[col].between(0, 100).all()
    assert not t.isna().any().any()
    # Redundancy classes add up to the ward.
    classes = [c for c in WARD_COVERAGE_COLUMNS if c.startswith("area_km2_servers")]
    np.testing.assert_allclose(t[classes].sum(axis=1), t["area_km2"], rtol=1e-9)
    # Per operator covered area <= any.
    anyt = any_table(res)
    for op, sub in t[t["operator"] != ANY_OPERATOR].groupby("operator"):
        sub = sub.set_index("ward_id").sort_index()
        assert (sub["covered_area_km2"] <= anyt["covered_area_km2"] + 1e-12).all(), op
    # Adding a site never lowers coverage.
    more = make_sites([*spec, (extra[0], extra[1], 800.0, "Viettel")])
    t2 = any_table(ward_coverage_vector(wards, more))
    assert (t2["area_coverage_pct"] >= anyt["area_coverage_pct"] - 1e-9).all()
    # Row order of sites and wards does not matter.
    rng = np.random.default_rng(len(spec))
    shuffled = ward_coverage_vector(
        wards.iloc[rng.permutation(len(wards))], sites.iloc[rng.permutation(len(sites))]
    )
    key = ["ward_id", "operator"]
    a = t.sort_values(key).reset_index(drop=True)
    b = shuffled.table.sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(a[key], b[key])
    for col in ("area_coverage_pct", "population_coverage_pct"):
        np.testing.assert_allclose(a[col], b[col], atol=1e-6)
    # Input CRS does not matter (UTM 48N vs WGS84).
    geo = ward_coverage_vector(wards.to_crs("EPSG:4326"), sites.to_crs("EPSG:4326"))
    c = geo.table.sort_values(key).reset_index(drop=True)
    for col in ("area_coverage_pct", "population_coverage_pct"):
        np.testing.assert_allclose(a[col], c[col], atol=1e-6)


def test_sector_model_matches_brute_force():
    wards = grid_wards()
    rng = np.random.default_rng(7)
    n = 8
    xy = [(X0 + x, Y0 + y) for x, y in rng.uniform(0, 3000, size=(n, 2))]
    sites = cells(
        xy,
        rng.uniform(300, 1200, n),
        site_id=[f"s{i // 2}" for i in range(n)],  # two cells per site
        azimuth=rng.uniform(0, 360, n),
        beamwidth=rng.choice([65.0, 120.0, 240.0], n),
    )
    t = any_table(ward_coverage_vector(wards, sites, model="sector")).reindex(wards["ward_id"])
    ref = brute_force(wards, sites, model="sector")
    np.testing.assert_allclose(t["covered_area_km2"] * 1e6, ref[:, 0], atol=1e-3)
    got2 = (t["area_km2_servers_2_4"] + t["area_km2_servers_5plus"]) * 1e6
    np.testing.assert_allclose(got2, ref[:, 1], atol=1e-3)


# --------------------------------------------------------------------------
# sectors: the exact arc route (phusong.vector.wedges) against the polygon route
# --------------------------------------------------------------------------


def three_sector_sites(n_sites=14, seed=3, side=4500.0):
    """Realistic sites: 3 × 65° cells (bearings 120° apart), some omni cells, shared masts."""
    rng = np.random.default_rng(seed)
    pos = rng.uniform(-300, side + 300, size=(n_sites, 2))
    pos[1] = pos[0]  # two operators on one mast (distinct sites, same position)
    ops = rng.choice(["Viettel", "VinaPhone", "MobiFone"], n_sites)
    rows = []
    for s in range(n_sites):
        base = rng.uniform(0, 120)
        r = float(rng.choice([770.0, 940.0, 1400.0]))
        if s % 5 == 4:  # an omni cell
            rows.append((s, np.nan, np.nan, r))
            continue
        for k in range(3):
            rows.append((s, (base + 120 * k) % 360, 65.0 if s % 3 else np.nan, r))
    site = [f"S{r[0]}" for r in rows]
    return cells(
        [(X0 + pos[r[0], 0], Y0 + pos[r[0], 1]) for r in rows],
        [r[3] for r in rows],
        operator=[ops[r[0]] for r in rows],
        site_id=site,
        azimuth=[r[1] for r in rows],
        beamwidth=[r[2] for r in rows],
    )


def test_sector_arcs_and_polygons_agree():
    wards = grid_wards(n=3)
    sites = three_sector_sites()
    arcs = ward_coverage_vector(wards, sites, model="sector", exact_method="arcs")
    auto = ward_coverage_vector(wards, sites, model="sector")
    pd.testing.assert_frame_equal(arcs.table, auto.table)  # "auto" takes the arc route
    # 512-gons: the polygon route's error is ~1e-7 of a ward's area.
    poly = ward_coverage_vector(
        wards, sites, model="sector", exact_method="polygons", quad_segs=128
    )
    a, p = arcs.table, poly.table
    pd.testing.assert_frame_equal(a[["ward_id", "operator"]], p[["ward_id", "operator"]])
    assert (a["area_km2_servers_2_4"] > 0).any()
    assert (a.loc[a["operator"] == ANY_OPERATOR, "covered_area_km2"] > 0).all()
    for col in a.columns:
        if col.endswith("_pct"):
            np.testing.assert_allclose(a[col], p[col], atol=1e-4, err_msg=col)
        elif col.startswith("area_km2") or col == "covered_area_km2":
            np.testing.assert_allclose(a[col], p[col], atol=2e-6, err_msg=col)  # 2 m²
        elif col.startswith(("population", "covered_population")):
            np.testing.assert_allclose(a[col], p[col], rtol=1e-6, atol=1e-2, err_msg=col)


def test_sector_arcs_match_the_wedge_area_formula():
    # One 3-sector site of 3 × 65° inside a ward: 195/360 of the disc.
    wards = square_ward()
    sites = cells([(X0, Y0)] * 3, 800.0, site_id=["A"] * 3, azimuth=[10, 130, 250],
                  beamwidth=[65.0] * 3)  # fmt: skip
    r = row(ward_coverage_vector(wards, sites, model="sector", exact_method="arcs"))
    assert r["covered_area_km2"] * 1e6 == pytest.approx(np.pi * 800**2 * 195 / 360, rel=1e-12)
    assert r["area_km2_servers_2_4"] == 0


def test_sector_arc_route_gaps_are_the_ward_minus_the_wedges():
    wards = grid_wards(n=3)
    sites = three_sector_sites(n_sites=6, seed=5)
    res = ward_coverage_vector(wards, sites, model="sector", exact_method="arcs", min_gap_area_m2=0)
    anyt = res.table[res.table["operator"] == ANY_OPERATOR].set_index("ward_id")
    gap = res.gaps.groupby("ward_id")["area_km2"].sum().reindex(anyt.index).fillna(0)
    # Display geometry from 128-gon wedges: equal to the exact table up to the polygon error.
    np.testing.assert_allclose(gap + anyt["covered_area_km2"], anyt["area_km2"], rtol=1e-5)
    assert (gap > 0).any()


def test_sector_arcs_rejected_only_with_a_population_raster(tmp_path):
    wards, sites = grid_wards(), three_sector_sites(n_sites=3)
    path = tmp_path / "pop.tif"
    with rasterio.open(
        path, "w", driver="GTiff", width=4, height=4, count=1, dtype="float32", crs=UTM48N,
        transform=from_origin(X0, Y0 + 3000, 750, 750),
    ) as dst:  # fmt: skip
        dst.write(np.ones((1, 4, 4), dtype="float32"))
    with pytest.raises(ConfigError, match="population_raster"):
        ward_coverage_vector(
            wards, sites, model="sector", exact_method="arcs", population_raster=path
        )
