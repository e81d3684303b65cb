"""Footprint geometry checked against analytic areas and shapes."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from phusong.errors import DataError
from phusong.geo import equal_area_crs
from phusong.vector.footprints import (
    area_corrected_radius,
    disc_footprints,
    sector_footprints,
)

UTM48N = "EPSG:32648"
X0, Y0 = 585_000.0, 2_322_000.0  # near Hoàn Kiếm, Hà Nội, in UTM 48N


def cells(xy, range_m, azimuth=None, beamwidth=None, crs=UTM48N) -> gpd.GeoDataFrame:
    n = len(xy)
    return gpd.GeoDataFrame(
        {
            "cell_id": pd.array([f"c{i}" for i in range(n)], dtype="string"),
            "site_id": pd.array([f"s{i}" for i in range(n)], dtype="string"),
            "operator": pd.array(["Viettel"] * n, dtype="string"),
            "azimuth_deg": np.full(n, np.nan) if azimuth is None else np.asarray(azimuth, float),
            "beamwidth_deg": np.full(n, np.nan)
            if beamwidth is None
            else np.asarray(beamwidth, float),
            "range_m": np.broadcast_to(np.asarray(range_m, float), (n,)).copy(),
            "source_row": pd.array(np.arange(n) + 2, dtype="Int64"),
        },
        geometry=gpd.points_from_xy([p[0] for p in xy], [p[1] for p in xy]),
        crs=crs,
    )


@pytest.mark.parametrize("quad_segs", [4, 16, 32, 128])
def test_disc_area_is_exactly_pi_r_squared(quad_segs):
    sites = cells([(X0, Y0), (X0 + 5000, Y0)], [1000.0, 250.0])
    discs = disc_footprints(sites, quad_segs=quad_segs)
    np.testing.assert_allclose(discs.area, np.pi * np.array([1000.0, 250.0]) ** 2, rtol=1e-12)
    assert shapely.get_num_coordinates(discs.to_numpy()).tolist() == [4 * quad_segs + 1] * 2


def test_plain_64_gon_error_that_the_correction_removes():
    # Reference: a regular inscribed N-gon has area (N/2) r² sin(2π/N); for N = 64 that is
    # 0.16 % short of π r² -- the error of GeoSeries.buffer's default.
    n = 64
    plain = shapely.Point(0, 0).buffer(1000.0, quad_segs=16).area
    assert plain == pytest.approx(n / 2 * 1000.0**2 * np.sin(2 * np.pi / n), rel=1e-12)
    assert 1 - plain / (np.pi * 1e6) == pytest.approx(0.0016, abs=0.0001)
    assert area_corrected_radius(1.0, 2 * np.pi, 128) == pytest.approx(1.0002008, abs=1e-7)


def test_disc_boundary_stays_close_to_the_circle():
    sites = cells([(X0, Y0)], 1500.0)
    crs = equal_area_crs(sites)
    disc = disc_footprints(sites, crs=crs).iloc[0]
    centre = sites.to_crs(crs).geometry.iloc[0]
    dense = shapely.segmentize(disc.exterior, 1.0)
    d = shapely.distance(centre, shapely.points(shapely.get_coordinates(dense)))
    assert d.max() <= 1500 * (1 + 2.05e-4)
    assert d.min() >= 1500 * (1 - 1.01e-4)


def test_disc_is_centred_on_the_site_in_the_target_crs():
    sites = cells([(X0, Y0)], 800.0)
    crs = equal_area_crs(sites)
    disc = disc_footprints(sites, crs=crs)
    assert disc.crs == crs
    c = disc.centroid.iloc[0]
    p = sites.to_crs(crs).geometry.iloc[0]
    assert c.distance(p) < 1e-6


def test_radius_override_scalar_and_array():
    sites = cells([(X0, Y0), (X0 + 4000, Y0)], [1000.0, 1000.0])
    np.testing.assert_allclose(disc_footprints(sites, radius_m=200.0).area, np.pi * 200.0**2)
    got = disc_footprints(sites, radius_m=np.array([100.0, 300.0])).area
    np.testing.assert_allclose(got, np.pi * np.array([100.0, 300.0]) ** 2)


def test_bad_radius_lists_every_row():
    sites = cells([(X0, Y0), (X0 + 1, Y0), (X0 + 2, Y0)], [1000.0, 0.0, np.nan])
    with pytest.raises(DataError) as err:
        disc_footprints(sites)
    assert [p.row for p in err.value.problems] == [3, 4]
    assert all(p.column == "range_m" for p in err.value.problems)


@pytest.mark.parametrize("width", [30.0, 65.0, 120.0, 200.0, 359.0])
def test_sector_area_is_beta_r_squared_over_two(width):
    sites = cells([(X0, Y0)], 1000.0, azimuth=[10.0], beamwidth=[width])
    wedge = sector_footprints(sites).iloc[0]
    assert wedge.is_valid
    assert wedge.area == pytest.approx(np.deg2rad(width) / 2 * 1000.0**2, rel=1e-12)


@pytest.mark.parametrize(("azimuth", "direction"), [(0, (0, 1)), (90, (1, 0)), (225, (-1, -1))])
def test_sector_points_clockwise_from_north(azimuth, direction):
    sites = cells([(X0, Y0)], 1000.0, azimuth=[azimuth], beamwidth=[60.0])
    crs = equal_area_crs(sites)
    wedge = sector_footprints(sites, crs=crs).iloc[0]
    apex = sites.to_crs(crs).geometry.iloc[0]
    v = np.array([wedge.centroid.x - apex.x, wedge.centroid.y - apex.y])
    d = np.array(direction, float) / np.hypot(*direction)
    # Centroid of a circular sector lies on its axis (LAEA is ~conformal this close to its centre).
    assert v @ d / np.hypot(*v) > 0.9999


def test_omni_cells_and_missing_beamwidth():
    sites = cells(
        [(X0, Y0)] * 3, 1000.0, azimuth=[np.nan, 45.0, 45.0], beamwidth=[65.0, np.nan, 400.0]
    )
    area = sector_footprints(sites).area.to_numpy()
    np.testing.assert_allclose(area, np.pi * 1e6 * np.array([1.0, 1 / 3, 1.0]), rtol=1e-12)


def test_non_positive_beamwidth_is_a_data_error():
    sites = cells([(X0, Y0)] * 2, 1000.0, azimuth=[0.0, 0.0], beamwidth=[65.0, 0.0])
    with pytest.raises(DataError) as err:
        sector_footprints(sites)
    assert err.value.problems[0].row == 3
    assert err.value.problems[0].column == "beamwidth_deg"


def test_three_120_degree_sectors_tile_the_disc():
    sites = cells([(X0, Y0)] * 3, 700.0, azimuth=[0.0, 120.0, 240.0], beamwidth=[120.0] * 3)
    wedges = sector_footprints(sites).to_numpy()
    union = shapely.union_all(wedges)
    assert union.area == pytest.approx(np.pi * 700.0**2, rel=1e-9)
    assert shapely.intersection(wedges[0], wedges[1]).area < 1e-6


def test_empty_table():
    sites = cells([(X0, Y0)], 1000.0).iloc[:0]
    assert len(disc_footprints(sites)) == 0
    assert len(sector_footprints(sites)) == 0


# --------------------------------------------------------------------------- issue #12


def test_sector_width_ends_where_the_pattern_is_edge_db_down():
    from phusong.propagation import antenna_gain_db
    from phusong.vector.footprints import DEFAULT_SECTOR_EDGE_DB, sector_width_deg

    assert DEFAULT_SECTOR_EDGE_DB == 10.0
    # 3 dB: the half-power beamwidth itself
    assert sector_width_deg(65.0, 3.0) == pytest.approx(65.0)
    # 10 dB: 2 · 65° · √(10/12) = 118.67°
    w = float(sector_width_deg(65.0, 10.0))
    assert w == pytest.approx(2 * 65 * np.sqrt(10 / 12))
    # the TR 38.901 pattern (an independent function) is exactly 10 dB down at the edge
    assert float(antenna_gain_db(w / 2, 90.0, 65.0, 65.0, 0.0, 0.0)) == pytest.approx(-10.0)
    assert float(sector_width_deg(200.0, 30.0)) == 360.0  # capped at a disc
    with pytest.raises(ValueError, match="sector_edge_db"):
        sector_width_deg(65.0, 31.0)
