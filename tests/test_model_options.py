"""Every figure says what it is, and an option a model cannot honour is refused.

References: the issue's rules (disc and sector are quick footprint estimates
and take no link-budget option; the planning model has no flat indoor loss),
checked through the API (ConfigError naming the option) and the command line
(exit status 2 naming the flag).
"""

from __future__ import annotations

import math

import pytest
from conftest import HANOI_X, HANOI_Y, UTM48N, run_cli
from pyproj import Transformer

import phusong
from phusong.errors import ConfigError
from phusong.models import DEFAULT_MODEL, FOOTPRINT_CAVEAT, MODELS, get_model
from phusong.options import AUDIT

HEADER = "site_id,cell_id,operator,radio,lat,lon,azimuth_deg,beamwidth_deg,range_m\n"


def _sheet(tmp_path, rows):
    t = Transformer.from_crs(UTM48N, "EPSG:4326", always_xy=True)
    lines = [HEADER]
    for i, (dx, dy, az, bw, rng) in enumerate(rows):
        lon, lat = t.transform(HANOI_X + dx, HANOI_Y + dy)
        lines.append(f"A,A{i},Viettel,NR,{lat:.8f},{lon:.8f},{az},{bw},{rng}\n")
    path = tmp_path / "sheet.csv"
    path.write_text("".join(lines), encoding="utf-8")
    return path


def test_planning_is_the_default_model():
    assert DEFAULT_MODEL == "planning" == AUDIT["model"].default
    assert get_model("planning").is_planning and not get_model("planning").is_footprint
    for name in ("disc", "sector"):
        assert FOOTPRINT_CAVEAT in MODELS[name].label


@pytest.mark.parametrize(
    ("model", "option", "value", "flag"),
    [
        ("disc", "indoor_loss_db", 20.0, "--indoor-loss-db"),
        ("disc", "reliability", 0.9, "--reliability"),
        ("disc", "threshold_dbm", -100.0, "--threshold-dbm"),
        ("sector", "o2i_model", "high-loss", "--o2i-model"),
        ("disc", "sector_edge_db", 6.0, "--sector-edge-db"),
        ("planning", "indoor_loss_db", 20.0, "--indoor-loss-db"),
        ("planning", "radius_m", 500.0, "--radius-m"),
        ("uma", "scenarios", {"x": "uma"}, "--scenarios"),
        ("disc", "goal_layer", "indoor", "--goal-layer"),
    ],
)
def test_an_option_the_model_cannot_honour_is_refused(
    tmp_path, square_ward, model, option, value, flag
):
    with pytest.raises(ConfigError) as info:
        phusong.run_audit(tmp_path / "never-read.csv", square_ward, model=model, **{option: value})
    text = str(info.value)
    assert option in text and flag in text and repr(model) in text


def test_footprint_summary_records_no_link_budget_and_says_what_it_is(tmp_path, square_ward):
    sheet = _sheet(tmp_path, [(0, 0, "", "", 1000)])
    res = phusong.run_audit(sheet, square_ward, model="disc")
    s = res.summary
    p = s["parameters"]
    assert p["threshold_dbm"] is None and p["reliability"] is None
    assert p["indoor_loss_db"] is None and p["resolution_m"] is None
    assert s["footprint_estimate"] is True and s["indoor"] is None
    assert FOOTPRINT_CAVEAT in s["model_label"] and FOOTPRINT_CAVEAT in s["figure_label"]
    row = res.wards.iloc[0]
    assert row["model"] == "disc" and row["coverage_layer"] == "outdoor"
    assert math.isnan(row["reliability"]) and math.isnan(row["indoor_population_coverage_pct"])


@pytest.mark.slow
def test_path_loss_audit_reports_outdoor_and_indoor_each_labelled(tmp_path, square_ward):
    sheet = tmp_path / "pl.csv"
    t = Transformer.from_crs(UTM48N, "EPSG:4326", always_xy=True)
    lon, lat = t.transform(HANOI_X, HANOI_Y)
    sheet.write_text(
        "site_id,cell_id,operator,radio,lat,lon,frequency_mhz,band,bandwidth_mhz,eirp_dbm,height_m\n"
        f"A,A1,Viettel,NR,{lat:.8f},{lon:.8f},3750,n78,100,63,25\n",
        encoding="utf-8",
    )
    res = phusong.run_audit(sheet, square_ward, resolution_m=25.0, terrain="off")
    s = res.summary
    assert s["model"] == "planning" and s["coverage_layer"] == "outdoor"
    out, ind = s["outdoor"], s["indoor"]
    assert "outdoor" in out["label"] and "indoor" in ind["label"] and "O2I" in ind["label"]
    # indoor users lose ~16 dB more (TR 38.901 O2I at 3.75 GHz): strictly less coverage
    assert 0 < ind["population_coverage_pct"] < out["population_coverage_pct"]
    assert s["population_coverage_pct"] == pytest.approx(out["population_coverage_pct"])
    row = res.wards.iloc[0]
    assert row["scenario"] == "uma" and row["coverage_layer"] == "outdoor"
    assert row["indoor_population_coverage_pct"] == pytest.approx(ind["population_coverage_pct"])
    judged = phusong.run_audit(
        sheet, square_ward, resolution_m=25.0, terrain="off", goal_layer="indoor"
    )
    assert judged.summary["coverage_layer"] == "indoor"
    assert judged.summary["population_coverage_pct"] == pytest.approx(
        ind["population_coverage_pct"]
    )


def test_sector_wedges_end_10_db_down_so_three_sectors_cover_their_disc(tmp_path, square_ward):
    # Three 65° sectors at 0/120/240°, range 800 m, inside the 2 km square ward.
    # Half-power wedges (3 dB) would cover 3 × 65/360 = 54.2 % of the disc; ending
    # 10 dB down (TR 38.901: 12 (φ/65°)² = 10 at φ = 59.3°) each is 118.7° wide,
    # 3 × 118.7/360 = 98.9 % of the disc.
    sheet = _sheet(tmp_path, [(0, 0, az, 65, 800) for az in (0, 120, 240)])
    disc = math.pi * 0.8**2  # km²
    for edge, share in ((3.0, 3 * 65 / 360), (10.0, 3 * 2 * 65 * math.sqrt(10 / 12) / 360)):
        res = phusong.run_audit(sheet, square_ward, model="sector", sector_edge_db=edge)
        got = float(res.wards.iloc[0]["covered_area_km2"])
        assert got == pytest.approx(share * disc, rel=2e-3), edge
    assert 0.985 < 3 * 2 * 65 * math.sqrt(10 / 12) / 360 < 0.995


def test_cli_refuses_indoor_loss_with_the_disc_model(tmp_path):
    from phusong.io.sites import sample_sites_path

    res = run_cli(
        "audit", "--sites", sample_sites_path("sheet"), "--model", "disc",
        "--indoor-loss-db", "20", "--out", tmp_path / "out",
    )  # fmt: skip
    assert res.returncode == 2, res.stderr
    assert "--indoor-loss-db" in res.stderr and "disc" in res.stderr
    assert not (tmp_path / "out" / "summary.json").exists()
