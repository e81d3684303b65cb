"""Target places (issue #15): reading a places file, judging places inside/outside a disc."""

from __future__ import annotations

import math

import geopandas as gpd
import pandas as pd
import pytest
from conftest import HANOI_X, HANOI_Y, UTM48N
from pyproj import Transformer
from shapely.geometry import Point, box

import phusong
from phusong.errors import DataError
from phusong.geo import equal_area_crs
from phusong.io.targets import normalise_kind, places_from_frame, read_places

HEADER = (
    "radio,mcc,net,area,cell,unit,lon,lat,range,samples,changeable,created,updated,averageSignal"
)


def _lonlat(dx=0.0, dy=0.0):
    t = Transformer.from_crs(UTM48N, "EPSG:4326", always_xy=True)
    return t.transform(HANOI_X + dx, HANOI_Y + dy)


@pytest.fixture
def one_disc(tmp_path):
    """One NR site of 1,000 m at the ward centre, first seen 14 Nov 2023 (OpenCelliD proxy)."""
    lon, lat = _lonlat()
    path = tmp_path / "cells.csv"
    path.write_text(
        f"{HEADER}\nNR,452,4,1,4096,0,{lon:.8f},{lat:.8f},1000,5,1,1700000000,1700000000,0\n"
    )
    return path


def _square(dx, dy, side):
    return box(HANOI_X + dx - side / 2, HANOI_Y + dy - side / 2, HANOI_X + dx + side / 2,
               HANOI_Y + dy + side / 2)  # fmt: skip


@pytest.fixture
def places():
    """Places around the disc (UTM 48N)."""
    return gpd.GeoDataFrame(
        {
            "name": ["in", "out", "big served", "big site", "small"],
            "kind": ["station", "Khu công nghiệp", "industrial_park", "cụm công nghiệp", "airport"],
            "deadline": ["2025-12-31", "2025-12-31", "31/12/2026", "2026-12-31", "2025-12-31"],
            "rule": ["served", "served", "served", "site", ""],
        },
        geometry=[
            Point(HANOI_X + 500, HANOI_Y),
            Point(HANOI_X + 1500, HANOI_Y),
            _square(0, 0, 4000),
            _square(0, 0, 4000),
            _square(0, 0, 1000),
        ],
        crs=UTM48N,
    )


def test_places_inside_and_outside_a_disc(one_disc, places, square_ward):
    res = phusong.run_audit(one_disc, square_ward, model="disc", targets=places, as_of="2026-01-01")
    t = res.checks.places.table.set_index("name")
    # a point 500 m from a 1 km disc's centre is served by its one site; 1.5 km is not
    assert t.loc["in", "covered"] and t.loc["in", "servers_at_centre"] == 1
    assert t.loc["in", "served_share_pct"] == 100.0
    assert t.loc["in", "nearest_site_m"] == pytest.approx(500.0, rel=2e-3)  # LAEA vs UTM scale
    assert not t.loc["out", "covered"] and t.loc["out", "servers_at_centre"] == 0
    assert t.loc["out", "status"] == "overdue"  # due 2025-12-31, judged on 2026-01-01
    # a 4 km square centred on the disc: π · (1 km)² of its area (measured in the equal-area
    # CRS: ≈ 16 km², UTM's scale k = 0.9996 makes it 0.08 % smaller) is served
    square_m2 = gpd.GeoSeries([_square(0, 0, 4000)], crs=UTM48N).to_crs(equal_area_crs(square_ward))
    want = 100 * math.pi * 1000.0**2 / float(square_m2.area.iloc[0])
    assert t.loc["big served", "served_share_pct"] == pytest.approx(want, abs=1e-6)
    assert want == pytest.approx(100 * math.pi / 16, abs=0.05)
    assert not t.loc["big served", "covered"] and t.loc["big served", "status"] == "due"
    # the same square under plan 310's rule: one site stands in it
    assert t.loc["big site", "sites_inside"] == 1 and t.loc["big site", "covered"]
    # a 1 km square inside the disc is wholly served
    assert t.loc["small", "served_share_pct"] == pytest.approx(100.0)
    assert t.loc["small", "kind"] == "airport" and t.loc["out", "kind"] == "industrial_park"
    assert math.isnan(t.loc["in", "rsrp_at_centre_dbm"])  # a footprint model has no signal
    s = res.summary
    assert s["targets"]["n_places"] == 5 and s["targets"]["n_covered"] == 3
    milestones = s["targets"]["milestones"]
    assert milestones["places_covered_pct:2025-12-31"] == pytest.approx(200 / 3)
    assert milestones["places_covered_pct:2026-12-31"] == pytest.approx(50.0)
    status = {g["key"]: g["status"] for g in s["goals"]}
    assert status["places:2025-12-31"] == "overdue"
    assert status["places:2026-12-31"] == "pending"


def test_places_on_the_raster_route_agree(one_disc, places, square_ward):
    res = phusong.run_audit(one_disc, square_ward, model="disc", route="raster", resolution_m=10.0,
                            targets=places, as_of="2026-01-01")  # fmt: skip
    t = res.checks.places.table.set_index("name")
    assert t.loc["big served", "served_share_pct"] == pytest.approx(100 * math.pi / 16, abs=0.1)
    assert t.loc["in", "covered"] and not t.loc["out", "covered"]
    assert "raster" in res.checks.places.method


def test_a_places_file_is_read_with_row_level_errors(tmp_path):
    lon, lat = _lonlat()
    csv = tmp_path / "places.csv"
    csv.write_text(
        "Tên,Loại,Hạn,lat,lon\n"
        f"Ga Hà Nội,ga,2025-12-31,{lat},{lon}\n"
        f"No kind,,2025-12-31,{lat},{lon}\n"
        f"No date,airport,soon,{lat},{lon}\n"
        "No place,airport,2025-12-31,,\n",
        encoding="utf-8",
    )
    read = read_places(csv)
    assert list(read.places["name"]) == ["Ga Hà Nội"]
    assert list(read.places["kind"]) == ["station"]
    assert read.places["deadline"].iloc[0] == pd.Timestamp("2025-12-31")
    rows = sorted((p.row, p.column) for p in read.rejected)
    assert rows == [(3, "Loại"), (4, "Hạn"), (5, None)]
    assert all(p.file.endswith("places.csv") for p in read.rejected)


def test_a_places_file_needs_deadline_and_kind(tmp_path):
    gdf = gpd.GeoDataFrame({"name": ["x"]}, geometry=[Point(105.85, 21.03)], crs="EPSG:4326")
    with pytest.raises(DataError, match="deadline"):
        places_from_frame(gdf, "p.geojson")
    path = tmp_path / "p.geojson"
    gdf.assign(kind="airport", deadline="2025-12-31").to_file(path, driver="GeoJSON")
    assert len(read_places(path).places) == 1
    lines = gpd.GeoDataFrame(
        {"kind": ["airport"], "deadline": ["2025-12-31"]},
        geometry=[Point(0, 0).buffer(1).exterior],
        crs="EPSG:4326",
    )
    with pytest.raises(DataError, match="point or polygon"):
        places_from_frame(lines, "lines.geojson")


def test_kinds_are_normalised():
    assert normalise_kind("Khu công nghệ cao") == "hi_tech_park"
    assert normalise_kind("Sân bay") == "airport"
    assert normalise_kind("bệnh viện") == "hospital"
    assert normalise_kind("market") == "market"  # unknown kinds are kept as written
    assert normalise_kind("  ") is None


def test_places_in_the_outputs_and_both_languages(one_disc, places, square_ward):
    from phusong.output.progress import (
        STRINGS,
        checks_lines,
        goals_section_html,
        places_layer,
        targets_table,
    )
    from phusong.output.report import template_environment
    from phusong.targets import PLACE_RESULT_COLUMNS

    res = phusong.run_audit(one_disc, square_ward, model="disc", targets=places, as_of="2026-01-01")
    table = targets_table(res.checks.places)
    assert list(table.columns) == list(PLACE_RESULT_COLUMNS) and len(table) == 5
    assert table["deadline"].iloc[0] == "2025-12-31"
    layer = places_layer(res, "en")
    assert layer is not None and len(layer._children) == 5
    html = str(goals_section_html(res.summary, template_environment(), "vi"))
    assert "Các chỉ tiêu của kế hoạch" in html and "quá hạn" in html
    en = "\n".join(checks_lines(res.summary, "en"))
    assert "Targets, judged on 1 Jan 2026:" in en and "overdue" in en
    assert "Target places: 3 of 5 covered, 1 overdue" in en
    vi = "\n".join(checks_lines(res.summary, "vi"))
    assert "Địa điểm mục tiêu: 3/5 đã có 5G, 1 quá hạn" in vi
    assert set(STRINGS["en"]) == set(STRINGS["vi"])  # every string in both languages
