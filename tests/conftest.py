"""Shared fixtures."""

from __future__ import annotations

import os

import geopandas as gpd
import pytest
from shapely.geometry import box

# A UTM zone that holds Hà Nội: handy for building metric test geometries.
UTM48N = "EPSG:32648"
# Roughly the centre of Hà Nội in UTM 48N [m].
HANOI_X, HANOI_Y = 585_000.0, 2_325_000.0


@pytest.fixture(scope="session")
def hanoi_wards() -> gpd.GeoDataFrame:
    import phusong

    return phusong.read_wards()


@pytest.fixture
def square_ward() -> gpd.GeoDataFrame:
    """One 2 km × 2 km ward centred on (HANOI_X, HANOI_Y) in UTM 48N, 1,000 people."""
    half = 1000.0
    return gpd.GeoDataFrame(
        {"ward_id": ["sq"], "name": ["Phường Vuông"], "population": [1000.0]},
        geometry=[box(HANOI_X - half, HANOI_Y - half, HANOI_X + half, HANOI_Y + half)],
        crs=UTM48N,
    )


def pytest_collection_modifyitems(config, items):
    # In CI browser tests must run: a missing chromium is a failure, not a skip.
    os.environ.setdefault("PHUSONG_TESTING", "1")
