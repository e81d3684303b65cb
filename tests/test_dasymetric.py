"""Where people live inside a ward: raster weights rescaled to official totals.

References: hand arithmetic on synthetic rasters (the covered share of a
ward's people is the covered share of its raster mass); the official totals
of the shipped wards (8,807,523 people, data/boundaries/README.md).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import rasterio
from conftest import HANOI_X, HANOI_Y, UTM48N
from pyproj import Transformer
from rasterio.transform import from_origin

import phusong
from phusong.dasymetric import choose_population, rescale_table, ward_pixel_pieces
from phusong.errors import ConfigError

HEADER = "site_id,cell_id,operator,radio,lat,lon,range_m\n"


def _lonlat(dx: float, dy: float) -> tuple[float, float]:
    t = Transformer.from_crs(UTM48N, "EPSG:4326", always_xy=True)
    return t.transform(HANOI_X + dx, HANOI_Y + dy)


def _disc_sheet(tmp_path, dx: float, dy: float, radius: float):
    lon, lat = _lonlat(dx, dy)
    path = tmp_path / "sheet.csv"
    path.write_text(HEADER + f"A,A1,Viettel,NR,{lat:.8f},{lon:.8f},{radius}\n", encoding="utf-8")
    return path


def _east_half_raster(tmp_path, people_east: float = 900.0):
    """A UTM raster of 100 m pixels over the square ward: people only in its east half.

    The square ward spans x ∈ [X − 1000, X + 1000]; the raster holds
    ``people_east`` spread evenly over x ∈ [X, X + 1000] and nobody west of X.
    """
    res = 100.0
    left, top = HANOI_X - 1500.0, HANOI_Y + 1500.0
    n = 30
    data = np.zeros((n, n), dtype="float32")
    xs = left + (np.arange(n) + 0.5) * res
    ys = top - (np.arange(n) + 0.5) * res
    east = (xs > HANOI_X) & (xs < HANOI_X + 1000)
    inside_y = (ys > HANOI_Y - 1000) & (ys < HANOI_Y + 1000)
    data[np.ix_(inside_y, east)] = people_east / (east.sum() * inside_y.sum())
    path = tmp_path / "people.tif"
    with rasterio.open(
        path, "w", driver="GTiff", width=n, height=n, count=1, dtype="float32",
        crs=UTM48N, transform=from_origin(left, top, res, res),
    ) as dst:  # fmt: skip
        dst.write(data, 1)
    return path


@pytest.mark.parametrize("route", ["vector", "raster"])
def test_mass_in_the_covered_half_lifts_population_above_area_coverage(
    tmp_path, square_ward, route
):
    # A 1 km disc at (X + 500, Y): it covers π·1²/4 km² = 19.6 % of the 4 km² ward
    # ... and, of the east half (x ≥ X), the part of the disc inside it: the disc
    # reaches 500 m west of X, so ∫ over the disc ∩ east half. Everybody lives in
    # the east half (2 km²), so population coverage = |disc ∩ east half| / 2 km².
    sheet = _disc_sheet(tmp_path, 500.0, 0.0, 1000.0)
    raster = _east_half_raster(tmp_path)
    opts = {"route": route, "resolution_m": 10.0} if route == "raster" else {}
    res = phusong.run_audit(sheet, square_ward, model="disc", population_raster=raster, **opts)
    row = res.wards.iloc[0]
    # disc ∩ ward: the disc (r = 1 km) centred 500 m east of X, clipped by the ward's east
    # edge at X + 1000 (500 m from the centre) and its north/south edges at ±1000 m
    # (outside the disc). Segment cut off east: r² acos(d/r) − d √(r² − d²), d = 0.5 km.
    seg = math.acos(0.5) - 0.5 * math.sqrt(0.75)
    disc_in_ward = math.pi - seg  # km²
    east_part = disc_in_ward - seg  # the part west of X is the mirror segment
    assert row["area_coverage_pct"] == pytest.approx(100 * disc_in_ward / 4.0, abs=0.3)
    assert row["population"] == pytest.approx(1000.0)  # the official total, not 900
    assert row["population_coverage_pct"] == pytest.approx(100 * east_part / 2.0, abs=0.5)
    assert row["population_coverage_pct"] > row["area_coverage_pct"] + 10
    assert res.summary["population_source"] == "dasymetric:people.tif"
    assert res.summary["population"] == pytest.approx(1000.0)


def test_uniform_stays_available_and_labelled(tmp_path, square_ward):
    sheet = _disc_sheet(tmp_path, 500.0, 0.0, 1000.0)
    res = phusong.run_audit(sheet, square_ward, model="disc", population="uniform")
    row = res.wards.iloc[0]
    assert res.summary["population_source"] == "uniform:official"
    assert row["population_coverage_pct"] == pytest.approx(row["area_coverage_pct"], abs=1e-6)
    with pytest.raises(ConfigError, match="population"):
        phusong.run_audit(
            sheet, square_ward, model="disc", population="uniform",
            population_raster=_east_half_raster(tmp_path),
        )  # fmt: skip


def test_worldpop_is_the_default_for_the_shipped_wards(hanoi_wards, square_ward):
    choice = choose_population("auto", None, hanoi_wards)
    assert choice.dasymetric and choice.source == "dasymetric:hanoi_worldpop_2020_1km.tif"
    assert "10.5258/SOTON/WP00671" in choice.credit
    assert choose_population("auto", None, square_ward).source == "uniform:official"
    assert choose_population("uniform", None, hanoi_wards).source == "uniform:official"
    assert choose_population("worldpop", None, square_ward).dasymetric


@pytest.mark.slow
def test_every_shipped_ward_keeps_its_official_total(hanoi_wards):
    # Vector route: the pieces of every ward carry exactly its official people.
    choice = choose_population("auto", None, hanoi_wards)
    pieces = ward_pixel_pieces(hanoi_wards, choice.raster)
    per_ward = pieces.groupby("ward")["population"].sum().sort_index().to_numpy()
    official = hanoi_wards["population"].to_numpy("float64")
    np.testing.assert_allclose(per_ward, official, rtol=1e-9)
    assert per_ward.sum() == pytest.approx(8_807_523, abs=1e-3)
    # Raster-route rescaling: a table counted with the raster's people comes back official.
    import pandas as pd

    from phusong.coverage_table import ward_coverage_table

    n = len(hanoi_wards)
    area = np.full(n, 1e6)
    mass = np.linspace(0.0, 5000.0, n)  # the first ward has no raster mass at all
    classes = np.zeros((n, 1, 4))
    classes[:, 0, 0], classes[:, 0, 1] = 0.5 * mass, 0.5 * mass
    amounts = np.zeros((n, 1, 4))
    amounts[:, 0, 0], amounts[:, 0, 1] = 0.75e6, 0.25e6
    table = ward_coverage_table(
        hanoi_wards["ward_id"], ["any"], area_m2=area, population=mass,
        class_area_m2=amounts, class_people=classes,
    )  # fmt: skip
    out = rescale_table(table, hanoi_wards)
    np.testing.assert_allclose(out["population"], official)
    # weighted wards keep their covered share (50 %); the massless one falls back to area (25 %)
    np.testing.assert_allclose(out["population_coverage_pct"][1:], 50.0)
    assert out["population_coverage_pct"].iloc[0] == pytest.approx(25.0)
    assert isinstance(out, pd.DataFrame)


@pytest.mark.slow
def test_shipped_sample_disc_audit_keeps_the_official_city_total():
    from phusong.io.sites import sample_sites_path

    res = phusong.run_audit(sample_sites_path("sheet"), model="disc")
    s = res.summary
    assert s["population_source"] == "dasymetric:hanoi_worldpop_2020_1km.tif"
    assert s["population"] == pytest.approx(8_807_523, abs=1e-3)
    assert "WorldPop" in (s["population_credit"] or "")
    np.testing.assert_allclose(
        res.wards.sort_values("ward_id")["population"].to_numpy("float64"),
        res.ward_table.sort_values("ward_id")["population"].to_numpy("float64"),
    )
