"""Exact disc-depth areas by arc integrals, checked against formulas and second methods."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from phusong.errors import ConfigError
from phusong.schema import ANY_OPERATOR
from phusong.vector.aggregate import ward_coverage_vector
from phusong.vector.arcs import collapse_sites, disc_level_areas

# Far from the origin on purpose (UTM-like coordinates): precision must not suffer.
X0, Y0 = 585_000.0, 2_322_000.0
SQUARE = shapely.box(X0 - 1000, Y0 - 1000, X0 + 1000, Y0 + 1000)


def levels(xy, r, polys=(SQUARE,), max_level=5):
    xy = np.atleast_2d(np.asarray(xy, dtype=float))
    r = np.broadcast_to(np.asarray(r, dtype=float), (len(xy),))
    return disc_level_areas(
        xy[:, 0], xy[:, 1], r, np.asarray(polys, dtype=object), max_level=max_level
    )


def segment_area(r, h):
    """Area of the circular segment of height h cut from a disc of radius r."""
    return r * r * np.arccos((r - h) / r) - (r - h) * np.sqrt(2 * r * h - h * h)


def lens_area(r, d):
    """Area of the intersection of two discs of radius r whose centres are d apart."""
    return 2 * r**2 * np.arccos(d / (2 * r)) - d / 2 * np.sqrt(4 * r**2 - d**2)


def shapely_levels(xy, r, poly, quad_segs=256, max_level=5):
    """Depth-level areas by brute force on buffered polygons (polygonised circles)."""
    discs = shapely.buffer(shapely.points(np.asarray(xy, float)), r, quad_segs=quad_segs)
    lines = [poly.boundary, *shapely.boundary(discs)]
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(shapely.union_all(lines))))
    pts = shapely.point_on_surface(faces)
    inside = shapely.contains(poly, pts)
    faces, pts = faces[inside], pts[inside]
    depth = shapely.contains(discs[None, :], pts[:, None]).sum(axis=1)
    area = shapely.area(faces)
    return np.array([area[depth >= k].sum() for k in range(1, max_level + 1)])


# --------------------------------------------------------------------------
# analytic cases
# --------------------------------------------------------------------------


def test_single_disc_inside_square():
    got = levels([(X0 + 123.0, Y0 - 45.0)], 500.0)[0]
    np.testing.assert_allclose(got, [np.pi * 500**2, 0, 0, 0, 0], rtol=1e-12, atol=1e-6)


def test_disc_cut_by_an_edge():
    r, h = 500.0, 200.0  # the edge x = X0 + 1000 cuts a segment of height h
    got = levels([(X0 + 1000 - (r - h), Y0)], r)[0]
    assert got[0] == pytest.approx(np.pi * r * r - segment_area(r, h), rel=1e-12)
    assert got[1] == 0


def test_disc_cut_by_a_corner_quadrant():
    # Centred on the square's corner: exactly a quarter of the disc is inside.
    got = levels([(X0 + 1000, Y0 + 1000)], 300.0)[0]
    assert got[0] == pytest.approx(np.pi * 300**2 / 4, rel=1e-12)


def test_two_overlapping_discs_lens():
    r, d = 600.0, 600.0
    got = levels([(X0 - d / 2, Y0), (X0 + d / 2, Y0)], r)[0]
    lens = lens_area(r, d)
    assert got[1] == pytest.approx(lens, rel=1e-12)
    assert got[0] == pytest.approx(2 * np.pi * r * r - lens, rel=1e-12)
    assert got[2] == 0


def test_three_mutually_overlapping_discs():
    # Centres on an equilateral triangle of side s = 500 m (circumradius R = s/√3),
    # radius 400 m: every pair and the triple overlap.
    r, side = 400.0, 500.0
    big_r = side / np.sqrt(3)
    ang = np.deg2rad([90, 210, 330])
    xy = np.column_stack([X0 + big_r * np.cos(ang), Y0 + big_r * np.sin(ang)])
    got = levels(xy, r)[0]
    # Analytic: the triple region is the equilateral triangle of the three inner
    # intersection points (at ρ = √(r² − s²/4) − R/2 from the centre) plus three
    # circular segments on its sides (chord c = ρ√3).
    rho = np.sqrt(r * r - side * side / 4) - big_r / 2
    chord = rho * np.sqrt(3)
    seg = r * r * np.arcsin(chord / (2 * r)) - chord / 2 * np.sqrt(r * r - chord * chord / 4)
    triple = 3 * np.sqrt(3) / 4 * rho * rho + 3 * seg
    lens = lens_area(r, side)
    expected = [3 * np.pi * r * r - 3 * lens + triple, 3 * lens - 2 * triple, triple, 0, 0]
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    # Second method: arrangement of 1024-gons (inscribed, within r (1 − cos(π/1024)) of
    # each circle), so the polygon areas may fall short by that band along the arcs.
    ref = shapely_levels(xy, r, SQUARE, quad_segs=256)
    band = 3 * 2 * np.pi * r * r * (1 - np.cos(np.pi / 1024))
    assert ref[2] > 1e4
    assert (np.abs(got[:3] - ref[:3]) <= band).all()
    assert (got[:3] >= ref[:3]).all()


def test_identical_discs_have_depth_equal_to_their_number():
    got = levels([(X0, Y0)] * 3, 400.0)[0]
    np.testing.assert_allclose(got, np.pi * 400**2 * np.array([1, 1, 1, 0, 0]), rtol=1e-12)
    got = levels([(X0, Y0)] * 7, 400.0)[0]  # capped at 5 levels
    np.testing.assert_allclose(got, np.full(5, np.pi * 400**2), rtol=1e-12)


def test_disc_containing_the_whole_ward():
    got = levels([(X0 + 100, Y0)], 5000.0)[0]
    np.testing.assert_allclose(got, [SQUARE.area, 0, 0, 0, 0], rtol=1e-12)


def test_nested_discs():
    got = levels([(X0, Y0), (X0 + 100, Y0)], [600.0, 300.0])[0]
    np.testing.assert_allclose(got[:3], [np.pi * 600**2, np.pi * 300**2, 0], rtol=1e-12)


def test_ward_with_a_hole():
    hole = shapely.box(X0 - 200, Y0 - 200, X0 + 200, Y0 + 200)
    ward = shapely.difference(SQUARE, hole)
    # Disc containing the whole hole: disc area minus the hole.
    got = levels([(X0, Y0)], 500.0, polys=[ward])[0]
    assert got[0] == pytest.approx(np.pi * 500**2 - 400**2, rel=1e-12)
    # Disc centred on the hole's corner: three quarters of it lie in the ward.
    got = levels([(X0 + 200, Y0 + 200)], 150.0, polys=[ward])[0]
    assert got[0] == pytest.approx(0.75 * np.pi * 150**2, rel=1e-12)
    # Disc inside the hole: nothing.
    assert levels([(X0, Y0)], 100.0, polys=[ward])[0, 0] == 0


def test_tangent_disc():
    # Touching the edge x = X0 + 1000 from inside, then from outside.
    inside = levels([(X0 + 600, Y0)], 400.0)[0]
    assert inside[0] == pytest.approx(np.pi * 400**2, rel=1e-12)
    outside = levels([(X0 + 1400, Y0)], 400.0)[0]
    assert outside[0] == pytest.approx(0, abs=1e-6)
    # Two discs touching each other: no overlap.
    got = levels([(X0 - 300, Y0), (X0 + 300, Y0)], 300.0)[0]
    assert got[0] == pytest.approx(2 * np.pi * 300**2, rel=1e-12)
    assert got[1] == pytest.approx(0, abs=1e-6)


def test_disc_centred_on_a_vertex_shared_by_three_wards():
    # Three wedges around (X0, Y0) with opening angles 90°, 120° and 150°.
    edges = np.deg2rad([0, 90, 210, 360])
    big = 5000.0

    def wedge(a0, a1):
        t = np.linspace(a0, a1, 16)
        return shapely.Polygon(
            [(X0, Y0), *zip(X0 + big * np.cos(t), Y0 + big * np.sin(t), strict=True)]
        )

    wards = [wedge(edges[i], edges[i + 1]) for i in range(3)]
    got = levels([(X0, Y0)], 700.0, polys=wards)[:, 0]
    np.testing.assert_allclose(got, np.pi * 700**2 * np.array([90, 120, 150]) / 360, rtol=1e-12)
    assert got.sum() == pytest.approx(np.pi * 700**2, rel=1e-12)


def test_circle_crossing_the_boundary_at_a_ward_corner():
    # The circle enters the square exactly at its corner (X0+1000, Y0+1000) and leaves
    # at (X0+1000, Y0+400); inside lies the circular segment cut by x = X0+1000, whose
    # chord spans y in [Y0+400, Y0+1000] (the disc's top is at x = X0+1200, outside).
    r = np.hypot(200.0, 300.0)
    got = levels([(X0 + 1200, Y0 + 700)], r)[0]
    assert got[0] == pytest.approx(segment_area(r, r - 200.0), rel=1e-12)
    # A circle through the corner that stays outside near it (3-4-5 triangle).
    xy = [(X0 + 700, Y0 + 600)]
    got = levels(xy, 500.0)[0]
    ref = shapely_levels(xy, 500.0, SQUARE, quad_segs=512)
    assert got[0] == pytest.approx(ref[0], rel=1e-5)
    assert got[0] > ref[0]


def test_deep_discs_pruned_consistently():
    # A dense cluster: 60 discs around the square's corner, depth far above 5. With
    # max_level=5 circles and edges surely at depth >= 5 are skipped; with
    # max_level=80 nothing can be skipped. The first five levels must agree.
    rng = np.random.default_rng(11)
    xy = np.column_stack([X0 + 1000 + rng.normal(0, 300, 60), Y0 + 1000 + rng.normal(0, 300, 60)])
    r = rng.uniform(200, 900, 60)
    wards = [SQUARE, shapely.box(X0 + 1000, Y0, X0 + 2000, Y0 + 1000)]
    fast = levels(xy, r, polys=wards)
    full = levels(xy, r, polys=wards, max_level=80)
    np.testing.assert_allclose(fast, full[:, :5], rtol=1e-9)
    assert full[:, 5].max() > 0
    # Six discs containing the whole ward: every edge and circle is deep.
    six = levels(np.array([X0, Y0]) + rng.uniform(-50, 50, (6, 2)), 5000.0)[0]
    np.testing.assert_allclose(six, np.full(5, SQUARE.area), rtol=1e-12)


def test_several_wards_and_levels_sum_consistently():
    wards = [shapely.box(X0 + i * 700, Y0, X0 + (i + 1) * 700, Y0 + 700) for i in range(3)]
    rng = np.random.default_rng(3)
    xy = np.column_stack([X0 + rng.uniform(0, 2100, 12), Y0 + rng.uniform(0, 700, 12)])
    r = rng.uniform(100, 600, 12)
    got = levels(xy, r, polys=wards)
    whole = levels(xy, r, polys=[shapely.box(X0, Y0, X0 + 2100, Y0 + 700)])[0]
    np.testing.assert_allclose(got.sum(axis=0), whole, rtol=1e-9, atol=1e-6)
    assert (np.diff(got, axis=1) <= 1e-6).all()  # non-increasing in k
    assert (got[:, 0] <= 700 * 700 * (1 + 1e-12)).all()


def test_empty_inputs():
    assert levels(np.empty((0, 2)), np.empty(0)).tolist() == [[0.0] * 5]
    out = disc_level_areas([X0], [Y0], [10.0], np.array([], dtype=object))
    assert out.shape == (0, 5)


def test_collapse_sites():
    x, y, r = collapse_sites(
        [0.0, 0.0, 0.0, 5.0], [0.0, 0.0, 0.0, 0.0], [100.0, 300.0, 200.0, 50.0],
        np.array(["A", "A", "B", "A"]),
    )  # fmt: skip
    got = sorted(zip(x.tolist(), y.tolist(), r.tolist(), strict=True))
    assert got == [(0.0, 0.0, 200.0), (0.0, 0.0, 300.0), (5.0, 0.0, 50.0)]


# --------------------------------------------------------------------------
# random configurations: the polygon route and the obvious shapely union
# --------------------------------------------------------------------------

UTM48N = "EPSG:32648"
SIDE = 1500.0


def grid_wards(n=2):
    boxes = [
        shapely.box(X0 + i * SIDE, Y0 + j * SIDE, X0 + (i + 1) * SIDE, Y0 + (j + 1) * SIDE)
        for i in range(n)
        for j in range(n)
    ]
    ids = [f"G{k}" for k in range(len(boxes))]
    return gpd.GeoDataFrame(
        {
            "ward_id": pd.array(ids, dtype="string"),
            "name": pd.array(ids, dtype="string"),
            "population": np.full(len(boxes), 1000.0),
        },
        geometry=boxes,
        crs=UTM48N,
    )


def make_sites(spec):
    n = len(spec)
    return gpd.GeoDataFrame(
        {
            "cell_id": pd.array([f"c{i}" for i in range(n)], dtype="string"),
            "site_id": pd.array([f"s{i}" for i in range(n)], dtype="string"),
            "operator": pd.array([s[3] for s in spec], dtype="string"),
            "range_m": [s[2] for s in spec],
        },
        geometry=gpd.points_from_xy([X0 + s[0] for s in spec], [Y0 + s[1] for s in spec]),
        crs=UTM48N,
    )


site_strategy = st.lists(
    st.tuples(
        st.floats(-500, 3500),
        st.floats(-500, 3500),
        st.floats(100, 1500),
        st.sampled_from(["Viettel", "MobiFone"]),
    ),
    min_size=1,
    max_size=12,
)

AREA_COLS = ["area_km2_servers_0", "area_km2_servers_1", "area_km2_servers_2_4"]
AREA_COLS += ["area_km2_servers_5plus", "covered_area_km2"]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=site_strategy, dup=st.booleans())
def test_matches_polygon_route(spec, dup):
    if dup:  # identical discs of different sites
        spec = [*spec, spec[0], spec[0]]
    wards, sites = grid_wards(), make_sites(spec)
    arcs = ward_coverage_vector(wards, sites, exact_method="arcs").table
    # The polygon route with 512-gons (boundary within 2e-5 r of the circle).
    poly = ward_coverage_vector(wards, sites, exact_method="polygons", quad_segs=128).table
    assert arcs[["ward_id", "operator"]].equals(poly[["ward_id", "operator"]])
    area = arcs["area_km2"].to_numpy()[:, None]
    err = np.abs(arcs[AREA_COLS].to_numpy() - poly[AREA_COLS].to_numpy()) / area
    assert err.max() < 1e-6


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=site_strategy)
def test_matches_obvious_union_within_polygon_error(spec):
    wards, sites = grid_wards(), make_sites(spec)
    res = ward_coverage_vector(wards, sites)
    crs = res.crs
    w = wards.to_crs(crs).geometry.to_numpy()
    pts = sites.to_crs(crs).geometry.to_numpy()
    r = sites["range_m"].to_numpy()
    q = 16  # geopandas' default: an inscribed 64-gon
    union = shapely.union_all(shapely.buffer(pts, r, quad_segs=q))
    covered = shapely.area(shapely.intersection(w, union))
    got = res.table[res.table["operator"] == ANY_OPERATOR]["covered_area_km2"].to_numpy() * 1e6
    # Inscribed polygons lie inside the circles, within r (1 - cos(pi / 4q)) of them:
    # the union can only lose area, at most a band of that width along every circle.
    band = np.sum(2 * np.pi * r * r * (1 - np.cos(np.pi / (4 * q))))
    assert (covered <= got + 1e-6).all()
    assert (got - covered <= band + 1e-6).all()


def test_auto_uses_polygons_when_a_site_has_cells_at_two_positions():
    wards = grid_wards()
    sites = make_sites([(700, 700, 600, "Viettel"), (1000, 700, 600, "Viettel")])
    sites["site_id"] = pd.array(["A", "A"], dtype="string")
    auto = ward_coverage_vector(wards, sites).table
    poly = ward_coverage_vector(wards, sites, exact_method="polygons").table
    pd.testing.assert_frame_equal(auto, poly)
    # One server where the two discs of site A overlap; the arcs count two there.
    assert (auto["area_km2_servers_2_4"] == 0).all()
    arcs = ward_coverage_vector(wards, sites, exact_method="arcs").table
    assert arcs["area_km2_servers_2_4"].sum() > 0


def test_exact_method_errors():
    wards, sites = grid_wards(), make_sites([(700, 700, 600, "Viettel")])
    with pytest.raises(ConfigError, match="auto, arcs, polygons"):
        ward_coverage_vector(wards, sites, exact_method="monte-carlo")


def test_gaps_are_the_ward_minus_the_discs():
    wards = grid_wards()
    sites = make_sites([(700, 800, 650, "Viettel"), (1900, 1400, 650, "MobiFone")])
    res = ward_coverage_vector(wards, sites, min_gap_area_m2=0)
    anyt = res.table[res.table["operator"] == ANY_OPERATOR].set_index("ward_id")
    gap = res.gaps.groupby("ward_id")["area_km2"].sum().reindex(anyt.index).fillna(0)
    # Gaps are 128-gons (area-corrected): their area matches the exact figures to the
    # polygon error (a band of ~1e-4 r along the clipped arcs), not to rounding.
    np.testing.assert_allclose(gap + anyt["covered_area_km2"], anyt["area_km2"], rtol=1e-6)
    assert (gap > 0).all()


def test_multipolygon_and_collection_wards():
    left = shapely.box(X0 - 1000, Y0 - 1000, X0, Y0 + 1000)
    right = shapely.box(X0 + 500, Y0 - 1000, X0 + 1500, Y0 + 1000)
    multi = shapely.MultiPolygon([left, right])
    collection = shapely.GeometryCollection([multi, shapely.LineString([(X0, Y0), (X0, Y0 + 1)])])
    # Disc centred on the gap between the parts: two circular segments of height 250.
    r, h = 500.0, 250.0
    got = levels([(X0 + 250, Y0)], r, polys=[multi, collection])[:, 0]
    np.testing.assert_allclose(got, 2 * segment_area(r, h), rtol=1e-12)


def test_invalid_discs_are_ignored():
    got = levels([(X0, Y0), (X0, Y0), (np.nan, Y0)], [500.0, 0.0, 300.0])[0]
    np.testing.assert_allclose(got, [np.pi * 500**2, 0, 0, 0, 0], rtol=1e-12)


# --------------------------------------------------------------------------
# issue #13: memory linear in the discs whatever the overlap depth
# --------------------------------------------------------------------------


def _crowded(n: int, sigma: float = 150.0, seed: int = 7):
    rng = np.random.default_rng(seed)
    return rng.normal(X0, sigma, n), rng.normal(Y0, sigma, n), np.full(n, 600.0)


@pytest.mark.slow
def test_a_crowded_core_stays_within_bounded_memory():
    """3,000 discs of 600 m within ~150 m of one spot: thousands deep at the centre."""
    import tracemalloc

    x, y, r = _crowded(3000)
    ward = shapely.box(X0 - 3000, Y0 - 3000, X0 + 3000, Y0 + 3000)
    tracemalloc.start()
    try:
        got = disc_level_areas(x, y, r, np.array([ward]))[0]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # Before the refinement and batching: ~1,000 live circles × 3,000 pairs each,
    # about 0.5 GB of pair arrays; now far less.
    assert peak < 150e6
    # Level 1 is the union of the discs: a second method (area-corrected 256-gons).
    from phusong.vector.footprints import area_corrected_radius

    corrected = float(area_corrected_radius(np.array([600.0]), 2 * np.pi, 256)[0])
    union = shapely.union_all(shapely.buffer(shapely.points(x, y), corrected, quad_segs=64))
    assert got[0] == pytest.approx(shapely.intersection(union, ward).area, rel=2e-5)
    assert (np.diff(got) <= 0).all()


def test_batches_of_pairs_change_nothing():
    x, y, r = _crowded(600, sigma=300.0, seed=3)
    polys = np.array([SQUARE, shapely.box(X0 - 400, Y0 - 1500, X0 + 2000, Y0 + 300)])
    whole = disc_level_areas(x, y, r, polys)
    batched = disc_level_areas(x, y, r, polys, pair_budget=5_000)
    np.testing.assert_allclose(batched, whole, rtol=1e-12, atol=1e-6)
