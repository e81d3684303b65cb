"""Exact sector-depth areas by Green's theorem, checked against formulas and brute force."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from phusong.vector.arcs import collapse_sites, disc_level_areas
from phusong.vector.footprints import build_fans, fan_parameters
from phusong.vector.wedges import sector_level_areas

# Far from the origin on purpose (UTM-like coordinates): precision must not suffer.
X0, Y0 = 585_000.0, 2_322_000.0
SQUARE = shapely.box(X0 - 1000, Y0 - 1000, X0 + 1000, Y0 + 1000)
SQUARE_AREA = 4e6


def levels(site, xy, r, az, width, polys=(SQUARE,), max_level=5):
    xy = np.atleast_2d(np.asarray(xy, dtype=float))
    n = len(xy)
    return sector_level_areas(
        np.asarray(site),
        xy[:, 0],
        xy[:, 1],
        np.broadcast_to(np.asarray(r, dtype=float), (n,)),
        np.broadcast_to(np.asarray(az, dtype=float), (n,)),
        np.broadcast_to(np.asarray(width, dtype=float), (n,)),
        np.asarray(polys, dtype=object),
        max_level=max_level,
    )


def brute_force(site, xy, r, az, width, poly, max_level=5, quad_segs=512):
    """Depth-level areas by overlaying very fine polygons (2048-gons per circle).

    Independent of the code under test: wedges from ``build_fans`` (area-corrected
    polygons), one union per (site, position), then the classic overlay with
    shapely's set operations: ``G_d`` (the part of ``poly`` at depth ``d``,
    capped at ``max_level``) becomes ``(G_d − F) ∪ (G_{d−1} ∩ F)`` for every
    footprint ``F``.
    """
    xy = np.atleast_2d(np.asarray(xy, dtype=float))
    n = len(xy)
    r, az, width = (np.broadcast_to(np.asarray(v, dtype=float), (n,)) for v in (r, az, width))
    width = np.where(np.isfinite(az) & ~np.isfinite(width), 120.0, width)
    width = np.where(np.isfinite(az), width, 360.0)
    fans = build_fans(xy[:, 0], xy[:, 1], fan_parameters(r, az, width, quad_segs))
    keys = [(s, x, y) for s, (x, y) in zip(np.asarray(site).tolist(), xy.tolist(), strict=True)]
    groups: dict = {}
    for i, k in enumerate(keys):
        groups.setdefault(k, []).append(fans[i])
    empty = shapely.Polygon()
    depth = [poly] + [empty] * max_level
    for g in groups.values():
        foot = shapely.union_all(g)
        inside = [shapely.intersection(d, foot) for d in depth]
        outside = [shapely.difference(d, foot) for d in depth]
        depth = [outside[0]] + [
            shapely.union(outside[d], inside[d - 1]) for d in range(1, max_level + 1)
        ]
        depth[max_level] = shapely.union(depth[max_level], inside[max_level])
    area = np.array([shapely.area(d) for d in depth])
    return np.array([area[k:].sum() for k in range(1, max_level + 1)])


def random_sites(rng, n_sites, spread=1500.0, colocate=0.0):
    """Random sites with 1-4 cells each (cells of a site share its position)."""
    n_cells = rng.integers(1, 5, n_sites)
    xy = np.column_stack(
        [X0 + rng.uniform(-spread, spread, n_sites), Y0 + rng.uniform(-spread, spread, n_sites)]
    )
    # Some sites share a mast position with the previous one (other operator).
    share = rng.random(n_sites) < colocate
    for i in np.flatnonzero(share[1:]) + 1:
        xy[i] = xy[i - 1]
    site = np.repeat(np.arange(n_sites), n_cells)
    cxy = xy[site]
    m = len(site)
    r = rng.uniform(200.0, 1200.0, m)
    az = np.round(rng.uniform(0, 360, m), 1)
    az[rng.random(m) < 0.1] = np.nan
    width = rng.choice([30.0, 65.0, 120.0, 200.0, 360.0], m)
    width[rng.random(m) < 0.05] = np.nan
    return site, cxy, r, az, width


# --------------------------------------------------------------------------
# analytic cases
# --------------------------------------------------------------------------


def test_120_degree_sector_covers_pi_over_twelve():
    got = levels([0], [(X0, Y0)], 1000.0, [30.0], [120.0])[0]
    np.testing.assert_allclose(got / SQUARE_AREA, [np.pi / 12, 0, 0, 0, 0], atol=1e-12)


@pytest.mark.parametrize(("az", "width"), [(np.nan, 120.0), (30.0, 360.0), (30.0, 400.0)])
def test_full_disc_covers_pi_over_four(az, width):
    got = levels([0], [(X0, Y0)], 1000.0, [az], [width])[0]
    np.testing.assert_allclose(got / SQUARE_AREA, [np.pi / 4, 0, 0, 0, 0], atol=1e-12)


def test_missing_width_is_120_degrees():
    got = levels([0], [(X0 + 100, Y0 - 50)], 500.0, [77.0], [np.nan])[0]
    assert got[0] == pytest.approx(np.pi * 500**2 / 3, rel=1e-12)


def test_site_outside_covers_nothing():
    assert not levels([0], [(X0 + 5000, Y0)], 1000.0, [0.0], [65.0]).any()
    # Near the square but pointing away from it.
    assert not levels([0], [(X0 + 1200, Y0)], 1000.0, [90.0], [65.0]).any()


def test_two_disjoint_sectors_add():
    one = levels([0], [(X0 - 500, Y0)], 400.0, [270.0], [90.0])[0, 0]
    two = levels([1], [(X0 + 500, Y0)], 300.0, [45.0], [65.0])[0, 0]
    both = levels([0, 1], [(X0 - 500, Y0), (X0 + 500, Y0)], [400.0, 300.0], [270, 45], [90, 65])
    assert both[0, 0] == pytest.approx(one + two, rel=1e-12)
    assert both[0, 1] == 0
    assert one == pytest.approx(np.pi * 400**2 / 4, rel=1e-12)


def test_three_120_degree_cells_of_one_site_are_a_disc():
    xy = [(X0 + 123.0, Y0 - 45.0)] * 3
    got = levels([7, 7, 7], xy, 600.0, [10.0, 130.0, 250.0], [120.0] * 3)[0]
    disc = disc_level_areas([X0 + 123.0], [Y0 - 45.0], [600.0], np.array([SQUARE]))[0]
    np.testing.assert_allclose(got, disc, rtol=1e-12, atol=1e-6)
    # Cut by the square's edge too.
    xy = [(X0 + 800.0, Y0 + 300.0)] * 3
    got = levels([7, 7, 7], xy, 600.0, [10.0, 130.0, 250.0], [120.0] * 3)[0]
    disc = disc_level_areas([X0 + 800.0], [Y0 + 300.0], [600.0], np.array([SQUARE]))[0]
    np.testing.assert_allclose(got, disc, rtol=1e-12, atol=1e-6)


def test_co_located_sites_abutting_wedges_make_a_disc_of_depth_one():
    xy = [(X0 + 50.0, Y0)] * 3
    got = levels([0, 1, 2], xy, 700.0, [0.0, 120.0, 240.0], [120.0] * 3)[0]
    np.testing.assert_allclose(got, [np.pi * 700**2, 0, 0, 0, 0], rtol=1e-12, atol=1e-6)


def test_identical_sites_stack():
    xy = [(X0 + 50.0, Y0 - 20.0)] * 4
    got = levels([0, 1, 2, 3], xy, 700.0, [33.0] * 4, [65.0] * 4)[0]
    sector = np.deg2rad(65.0) / 2 * 700**2
    np.testing.assert_allclose(got, [sector] * 4 + [0], rtol=1e-12, atol=1e-6)


def test_co_located_overlapping_wedges():
    # Two sites on one mast, 120° wedges 60° apart: union 180°, overlap 60°.
    xy = [(X0, Y0 + 100.0)] * 2
    got = levels([0, 1], xy, 800.0, [0.0, 60.0], [120.0, 120.0])[0]
    half = np.pi * 800**2 / 2
    np.testing.assert_allclose(got, [half, half / 3, 0, 0, 0], rtol=1e-12, atol=1e-6)


def test_overlapping_cells_of_one_site_count_once():
    xy = [(X0, Y0)] * 2
    got = levels([0, 0], xy, [800.0, 500.0], [0.0, 60.0], [120.0, 120.0])[0]
    # Union: 120° of radius 800 plus the 60° of the small wedge outside the big one.
    expected = np.pi * 800**2 / 3 + np.pi * 500**2 / 6
    np.testing.assert_allclose(got, [expected, 0, 0, 0, 0], rtol=1e-12, atol=1e-6)


def test_wide_wedge_is_not_convex():
    # Inside the square: three quarters of the disc.
    got = levels([0], [(X0, Y0)], 900.0, [0.0], [270.0])[0, 0]
    assert got == pytest.approx(np.pi * 900**2 * 0.75, rel=1e-12)
    # Cut by the square's corner.
    xy = [(X0 + 700, Y0 + 600)]
    got = levels([0], xy, 900.0, [10.0], [270.0])[0, 0]
    ref = brute_force([0], xy, 900.0, [10.0], [270.0], SQUARE)[0]
    assert got == pytest.approx(ref, rel=1e-6)


# --------------------------------------------------------------------------
# discs: widths of 360° or NaN azimuths equal the disc engine
# --------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_full_widths_equal_disc_level_areas(seed):
    rng = np.random.default_rng(seed)
    n = 60
    xy = np.column_stack([X0 + rng.uniform(-1500, 1500, n), Y0 + rng.uniform(-1500, 1500, n)])
    r = rng.uniform(200, 1000, n)
    site = np.arange(n)
    az = np.where(rng.random(n) < 0.5, np.nan, rng.uniform(0, 360, n))
    width = np.where(np.isnan(az), 65.0, 360.0)
    polys = [SQUARE, shapely.box(X0 - 400, Y0 - 1300, X0 + 1700, Y0 + 200)]
    got = levels(site, xy, r, az, width, polys=polys)
    ref = disc_level_areas(xy[:, 0], xy[:, 1], r, np.asarray(polys, dtype=object))
    np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-4)


def test_omni_cells_of_one_site_equal_collapsed_discs():
    rng = np.random.default_rng(5)
    n = 30
    pos = np.column_stack([X0 + rng.uniform(-1200, 1200, n), Y0 + rng.uniform(-1200, 1200, n)])
    site = np.repeat(np.arange(n), 2)
    xy = pos[site]
    r = rng.uniform(200, 900, 2 * n)
    got = levels(site, xy, r, np.nan, 360.0)
    gx, gy, gr = collapse_sites(xy[:, 0], xy[:, 1], r, site)
    ref = disc_level_areas(gx, gy, gr, np.array([SQUARE]))
    np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-4)


# --------------------------------------------------------------------------
# random configurations against the brute-force arrangement
# --------------------------------------------------------------------------


@pytest.mark.parametrize(("seed", "n_sites", "colocate"), [(1, 6, 0.0), (2, 12, 0.3), (3, 25, 0.5)])
def test_random_sites_match_brute_force(seed, n_sites, colocate):
    rng = np.random.default_rng(seed)
    site, xy, r, az, width = random_sites(rng, n_sites, colocate=colocate)
    poly = shapely.Polygon(
        [(X0 - 1100, Y0 - 900), (X0 + 1300, Y0 - 1000), (X0 + 900, Y0 + 1200), (X0 - 700, Y0 + 800)]
    )
    got = levels(site, xy, r, az, width, polys=[poly])[0]
    ref = brute_force(site, xy, r, az, width, poly)
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-5 * poly.area)


def test_dense_network_beyond_max_level_matches_brute_force():
    # Depth well above max_level: exercises the pruning of deep pieces.
    rng = np.random.default_rng(11)
    site, xy, r, az, width = random_sites(rng, 60, spread=900.0, colocate=0.2)
    r = r + 600.0
    got = levels(site, xy, r, az, width)[0]
    ref = brute_force(site, xy, r, az, width, SQUARE)
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-5 * SQUARE_AREA)
    assert got[4] > 0.5 * SQUARE_AREA


def test_sample_like_three_sector_sites_match_brute_force():
    # Like the shipped sample: 3 × 65° cells per site, bearings 120° apart.
    rng = np.random.default_rng(4)
    n = 20
    pos = np.column_stack([X0 + rng.uniform(-1500, 1500, n), Y0 + rng.uniform(-1500, 1500, n)])
    site = np.repeat(np.arange(n), 3)
    az = (np.repeat(rng.uniform(0, 120, n), 3) + np.tile([0.0, 120.0, 240.0], n)) % 360
    r = np.repeat(rng.choice([770.0, 940.0, 2230.0], n), 3)
    got = levels(site, pos[site], r, az, 65.0)[0]
    ref = brute_force(site, pos[site], r, az, 65.0, SQUARE)
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-5 * SQUARE_AREA)


def test_polygons_with_holes_and_multipolygons():
    rng = np.random.default_rng(8)
    site, xy, r, az, width = random_sites(rng, 12, colocate=0.3)
    holed = shapely.Polygon(
        SQUARE.exterior.coords,
        [shapely.box(X0 - 300, Y0 - 300, X0 + 200, Y0 + 400).exterior.coords[::-1]],
    )
    multi = shapely.MultiPolygon(
        [
            shapely.box(X0 - 1200, Y0 - 1200, X0 - 100, Y0),
            shapely.box(X0, Y0 + 100, X0 + 900, Y0 + 1100),
        ]
    )
    got = levels(site, xy, r, az, width, polys=[holed, multi])
    for k, poly in enumerate((holed, multi)):
        ref = brute_force(site, xy, r, az, width, poly)
        np.testing.assert_allclose(got[k], ref, rtol=1e-5, atol=1e-5 * poly.area)
    # The hole plus the holed square is the square.
    hole = shapely.box(X0 - 300, Y0 - 300, X0 + 200, Y0 + 400)
    parts = levels(site, xy, r, az, width, polys=[SQUARE, hole])
    np.testing.assert_allclose(got[0] + parts[1], parts[0], rtol=1e-9, atol=1e-3)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    n_sites=st.integers(1, 10),
    colocate=st.sampled_from([0.0, 0.5]),
    integer_bearings=st.booleans(),
)
def test_property_random_sites_match_brute_force(seed, n_sites, colocate, integer_bearings):
    rng = np.random.default_rng(seed)
    site, xy, r, az, width = random_sites(rng, n_sites, spread=1300.0, colocate=colocate)
    if integer_bearings:
        az = np.round(az / 15.0) * 15.0  # many shared wedge edges on co-located sites
    got = levels(site, xy, r, az, width)[0]
    ref = brute_force(site, xy, r, az, width, SQUARE, quad_segs=512)
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-5 * SQUARE_AREA)


# --------------------------------------------------------------------------
# properties
# --------------------------------------------------------------------------


def test_levels_non_increasing_and_bounded_and_row_order_invariant():
    rng = np.random.default_rng(21)
    site, xy, r, az, width = random_sites(rng, 80, spread=1500.0, colocate=0.3)
    polys = [SQUARE, shapely.box(X0 - 1500, Y0 - 200, X0 + 300, Y0 + 1500)]
    got = levels(site, xy, r, az, width, polys=polys)
    assert (np.diff(got, axis=1) <= 1e-6).all()
    assert (got >= -1e-6).all()
    assert (got <= shapely.area(np.asarray(polys))[:, None] * (1 + 1e-12)).all()
    perm = rng.permutation(len(site))
    again = levels(site[perm], xy[perm], r[perm], az[perm], width[perm], polys=polys)
    np.testing.assert_allclose(again, got, rtol=1e-9, atol=1e-4)
    # Renaming the sites changes nothing either.
    renamed = levels(np.array([f"s{s:03d}" for s in site])[::-1], xy[::-1], r[::-1], az[::-1],
                     width[::-1], polys=polys)  # fmt: skip
    np.testing.assert_allclose(renamed, got, rtol=1e-9, atol=1e-4)


def test_max_level_and_invalid_cells():
    xy = [(X0, Y0)] * 3 + [(X0 + 10, Y0)]
    got = levels([0, 1, 2, 3], xy, [500.0, 500.0, 500.0, -1.0], np.nan, 360.0, max_level=2)
    np.testing.assert_allclose(got[0], [np.pi * 500**2] * 2, rtol=1e-12)
    assert got.shape == (1, 2)
    assert not levels([0], [(X0, Y0)], 500.0, [0.0], [0.0]).any()  # zero width: nothing
    assert not levels([0], [(X0, Y0)], np.nan, [0.0], [65.0]).any()


def test_empty_inputs():
    empty = np.empty(0)
    out = sector_level_areas(empty, empty, empty, empty, empty, empty, np.array([SQUARE]))
    assert out.shape == (1, 5) and not out.any()
    out = levels([0], [(X0, Y0)], 500.0, [0.0], [65.0], polys=[shapely.Polygon(), None])
    assert out.shape == (2, 5) and not out.any()


# --------------------------------------------------------------------------
# issue #13: memory linear in the cells whatever the overlap depth
# --------------------------------------------------------------------------


def _crowded_sectors(n: int, sigma: float, seed: int = 7):
    rng = np.random.default_rng(seed)
    x, y = rng.normal(X0, sigma, n), rng.normal(Y0, sigma, n)
    site = np.repeat(np.arange(n), 3)
    xy = np.column_stack([np.repeat(x, 3), np.repeat(y, 3)])
    az = (np.repeat(rng.uniform(0, 120, n), 3) + np.tile([0.0, 120.0, 240.0], n)) % 360
    return site, xy, np.full(3 * n, 600.0), az, np.full(3 * n, 65.0)


@pytest.mark.slow
def test_a_crowded_core_of_sectors_stays_within_bounded_memory():
    import tracemalloc

    site, xy, r, az, width = _crowded_sectors(800, sigma=150.0)
    tracemalloc.start()
    try:
        got = levels(site, xy, r, az, width)[0]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 150e6
    assert (np.diff(got) <= 1e-6).all() and got[0] <= shapely.area(SQUARE) * (1 + 1e-12)
    # Level 1 against the union of fine wedge polygons (a second method).
    params = fan_parameters(r, az, width, 128)
    fans = build_fans(xy[:, 0], xy[:, 1], params)
    union = shapely.intersection(shapely.union_all(fans), SQUARE).area
    assert got[0] == pytest.approx(union, rel=2e-5)


def test_batches_of_pieces_change_nothing():
    site, xy, r, az, width = _crowded_sectors(150, sigma=300.0, seed=5)
    whole = levels(site, xy, r, az, width)
    batched = sector_level_areas(
        site, xy[:, 0], xy[:, 1], r, az, width, np.array([SQUARE]), pair_budget=2_000
    )
    np.testing.assert_allclose(batched, whole, rtol=1e-12, atol=1e-6)
