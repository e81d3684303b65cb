import hashlib
import math

import numpy as np
import pytest
from conftest import HANOI_X, HANOI_Y, UTM48N
from pyproj import Transformer

import phusong
from phusong.errors import ConfigError
from phusong.goals import Goal

HEADER = (
    "radio,mcc,net,area,cell,unit,lon,lat,range,samples,changeable,created,updated,averageSignal\n"
)


def _lonlat(dx=0.0, dy=0.0):
    t = Transformer.from_crs(UTM48N, "EPSG:4326", always_xy=True)
    return t.transform(HANOI_X + dx, HANOI_Y + dy)


def _ocid(tmp_path, rows, name="cells.csv"):
    lines = [HEADER]
    for i, (radio, net, dx, dy, rng) in enumerate(rows):
        lon, lat = _lonlat(dx, dy)
        lines.append(
            f"{radio},452,{net},1,{100 + i},0,{lon:.8f},{lat:.8f},{rng},5,1,1700000000,1700000000,0\n"
        )
    path = tmp_path / name
    path.write_text("".join(lines))
    return path


def test_one_disc_in_a_square_ward_covers_pi_over_4(tmp_path, square_ward):
    sites = _ocid(tmp_path, [("NR", 4, 0, 0, 1000)])
    res = phusong.run_audit(sites, square_ward, model="disc")
    row = res.wards.iloc[0]
    # Analytic: a 1 km disc in a 2 km square covers π/4 of it. UTM's scale
    # error here (k ≈ 0.9996) changes the ratio by < 1e-3 points.
    assert row["area_coverage_pct"] == pytest.approx(100 * math.pi / 4, abs=0.05)
    # Uniform population: 1000 people × π/4.
    assert row["covered_population"] == pytest.approx(1000 * math.pi / 4, abs=0.5)
    assert res.summary["population_source"].startswith("uniform")
    assert res.summary["population_coverage_pct"] == pytest.approx(100 * math.pi / 4, abs=0.05)
    assert res.summary["meets_goal"] is False
    assert row["shortfall_population"] == pytest.approx(990 - 1000 * math.pi / 4, abs=0.5)
    assert res.summary["wards_meeting_goal"] == 0
    assert res.summary["sites"]["rows_accepted"] == 1
    assert (
        res.summary["inputs"]["sites"]["sha256"] == hashlib.sha256(sites.read_bytes()).hexdigest()
    )
    assert set(res.by_operator["operator"]) == {"any", "Viettel"}


def test_sector_model_covers_a_third_of_the_disc(tmp_path, square_ward):
    # An OpenCelliD row has no azimuth: the sector model falls back to omni.
    sites = _ocid(tmp_path, [("NR", 4, 0, 0, 1000)])
    res = phusong.run_audit(sites, square_ward, model="sector")
    assert res.wards.iloc[0]["area_coverage_pct"] == pytest.approx(100 * math.pi / 4, abs=0.05)


def test_radio_filter_and_operator_filter(tmp_path, square_ward):
    sites = _ocid(
        tmp_path, [("NR", 4, -600, 0, 300), ("LTE", 2, 600, 0, 300), ("NR", 1, 0, 600, 300)]
    )
    res = phusong.run_audit(sites, square_ward, model="disc")
    one = 100 * math.pi * 0.3**2 / 4
    assert res.summary["area_coverage_pct"] == pytest.approx(2 * one, abs=0.05)
    res_all = phusong.run_audit(sites, square_ward, model="disc", radio=None)
    assert res_all.summary["area_coverage_pct"] == pytest.approx(3 * one, abs=0.05)
    res_v = phusong.run_audit(sites, square_ward, model="disc", operators=["viettel"])
    assert res_v.params.operators == ("Viettel",)
    assert res_v.summary["area_coverage_pct"] == pytest.approx(one, abs=0.05)
    with pytest.raises(ConfigError, match="operators present"):
        phusong.run_audit(sites, square_ward, operators=["Nobody"])


def test_goal_options(tmp_path, square_ward):
    sites = _ocid(tmp_path, [("NR", 4, 0, 0, 1000)])
    res70 = phusong.run_audit(sites, square_ward, model="disc", goal=70)
    assert res70.meets_goal
    assert res70.summary["goal"]["source"] == "custom target"
    res = phusong.run_audit(sites, square_ward, model="disc", goal=Goal(80, metric="area"))
    assert not res.meets_goal
    assert res.summary["goal"]["metric"] == "area"


def test_unknown_model_lists_valid_ones(tmp_path, square_ward):
    sites = _ocid(tmp_path, [("NR", 4, 0, 0, 1000)])
    with pytest.raises(ConfigError, match="disc, sector, uma"):
        phusong.run_audit(sites, square_ward, model="magic")


def test_raster_route_agrees_with_vector_route_at_10m(tmp_path, square_ward):
    # Issue 3: the raster route (exactextract partial pixels) agrees with the
    # exact vector geometry within 0.5 percentage points at 10 m.
    rows = [("NR", 4, -500, -300, 700), ("NR", 2, 600, 400, 500), ("NR", 1, 100, 900, 400)]
    sites = _ocid(tmp_path, rows)
    vec = phusong.run_audit(sites, square_ward, model="disc")
    ras = phusong.run_audit(sites, square_ward, model="disc", route="raster", resolution_m=10)
    for col in ("area_coverage_pct", "population_coverage_pct"):
        assert abs(vec.summary[col] - ras.summary[col]) < 0.5
    a = vec.by_operator.set_index(["ward_id", "operator"])["area_coverage_pct"]
    b = ras.by_operator.set_index(["ward_id", "operator"])["area_coverage_pct"]
    np.testing.assert_allclose(a.sort_index(), b.sort_index(), atol=0.5)


def test_raster_route_agrees_with_vector_route_for_sectors_at_10m(tmp_path, square_ward):
    # The same check for sector wedges (azimuth, beamwidth, range) from a site sheet.
    cells = [  # site, dx, dy, azimuth, beamwidth, range, operator
        ("A", -400, -200, 30, 65, 900, "Viettel"),
        ("A", -400, -200, 150, 65, 900, "Viettel"),
        ("A", -400, -200, 270, 65, 900, "Viettel"),
        ("B", 500, 500, 200, 90, 700, "VinaPhone"),
        ("C", 300, -600, 0, 120, 500, "MobiFone"),
        ("C", 300, -600, 120, 120, 500, "MobiFone"),
    ]
    lines = ["site_id,cell_id,operator,radio,lat,lon,azimuth_deg,beamwidth_deg,range_m\n"]
    for i, (site, dx, dy, az, bw, rng, op) in enumerate(cells):
        lon, lat = _lonlat(dx, dy)
        lines.append(f"{site},{site}{i},{op},NR,{lat:.8f},{lon:.8f},{az},{bw},{rng}\n")
    sites = tmp_path / "sheet.csv"
    sites.write_text("".join(lines))
    vec = phusong.run_audit(sites, square_ward, model="sector")
    ras = phusong.run_audit(sites, square_ward, model="sector", route="raster", resolution_m=10)
    assert 10 < vec.summary["area_coverage_pct"] < 90, vec.summary["area_coverage_pct"]
    for col in ("area_coverage_pct", "population_coverage_pct"):
        assert abs(vec.summary[col] - ras.summary[col]) < 0.5
    a = vec.by_operator.set_index(["ward_id", "operator"])["area_coverage_pct"]
    b = ras.by_operator.set_index(["ward_id", "operator"])["area_coverage_pct"]
    np.testing.assert_allclose(a.sort_index(), b.sort_index(), atol=0.5)


def test_path_loss_model_runs_and_labels_threshold(tmp_path, square_ward):
    sites = _ocid(tmp_path, [("NR", 4, 0, 0, 1000)])
    res = phusong.run_audit(sites, square_ward, model="uma", resolution_m=50)
    assert res.params.model == "uma_nlos"
    assert "-110 dBm" in res.summary["model_label"]
    assert 0 < res.summary["area_coverage_pct"] <= 100
    assert res.grid is not None


def test_tiled_route_equals_raster_route(tmp_path, square_ward):
    # Issue 7: per-ward sums computed tile by tile (never assembling the
    # raster) combine exactly to the whole-raster answer.
    rows = [("NR", 4, -500, -300, 700), ("NR", 2, 600, 400, 500)]
    sites = _ocid(tmp_path, rows)
    ras = phusong.run_audit(sites, square_ward, model="fspl", resolution_m=50)
    til = phusong.run_audit(
        sites, square_ward, model="fspl", resolution_m=50, route="tiled", tile_px=16
    )
    for col in ("area_coverage_pct", "population_coverage_pct", "covered_population"):
        assert til.summary[col] == pytest.approx(ras.summary[col], rel=1e-9)
    assert til.grid is None and len(til.gaps) == 0
