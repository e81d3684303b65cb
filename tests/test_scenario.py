"""The scenario rule of the planning model: UMa / UMi / RMa per ward and per cell.

References: the rule of phusong.scenario (phường → UMa; xã → UMa at ≥ 1,500
people/km², the Degree of Urbanisation's urban-centre density, else RMa;
small cells → UMi; per-ward overrides), with densities worked by hand; TR
38.901 Table 7.4.2-1 for the LOS probability the default does not use.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from conftest import HANOI_X, HANOI_Y, UTM48N
from shapely.geometry import Point, box

from phusong import propagation as prop
from phusong.errors import ConfigError, DataError
from phusong.scenario import (
    URBAN_DENSITY_PER_KM2,
    cell_scenarios,
    path_loss_model,
    resolve_overrides,
    small_cells,
    ward_scenarios,
)


def wards4() -> gpd.GeoDataFrame:
    """Four 2 km × 2 km wards (4 km² each) in a row, with kinds and populations."""
    geoms = [box(HANOI_X + 2000 * i, HANOI_Y, HANOI_X + 2000 * (i + 1), HANOI_Y + 2000)
             for i in range(4)]  # fmt: skip
    return gpd.GeoDataFrame(
        {
            "ward_id": ["1", "2", "3", "4"],
            "name": ["Phường Một", "Xã Hai", "Xã Ba", "Đặc Khu"],
            "kind": ["phường", "xã", "xã", ""],
            # 4 km² each: 1,000/km² (phường anyway), 1,000/km² (rural), 8,000/km², unknown
            "population": [4000.0, 4000.0, 32000.0, np.nan],
        },
        geometry=geoms,
        crs=UTM48N,
    ).to_crs("EPSG:4326")


def test_ward_rule_by_kind_and_density():
    got = ward_scenarios(wards4())
    assert got["scenario"].tolist() == ["uma", "rma", "uma", "uma"]
    # densities by hand: 4,000 people / 4 km² = 1,000 /km²; 32,000 / 4 = 8,000
    np.testing.assert_allclose(got["density_per_km2"][:3], [1000, 1000, 8000], rtol=2e-3)
    assert got["scenario_rule"][0] == "phường (urban ward)"
    assert (
        got["scenario_rule"][1].startswith("xã, ")
        and "people/km² < 1,500" in got["scenario_rule"][1]
    )
    assert (
        got["scenario_rule"][2].startswith("xã, ")
        and "people/km² ≥ 1,500" in got["scenario_rule"][2]
    )
    assert "unknown" in got["scenario_rule"][3]
    assert URBAN_DENSITY_PER_KM2 == 1500.0


def test_overrides_by_id_or_name_win_and_bad_ones_are_refused():
    w = wards4()
    got = ward_scenarios(w, {"Hai": "uma", "3": "RMA"})
    assert got["scenario"].tolist() == ["uma", "uma", "rma", "uma"]
    assert got["scenario_rule"][1].startswith("override")
    assert resolve_overrides({"xã hai": "umi"}, w) == {"2": "umi"}  # case and accents ignored
    with pytest.raises(ConfigError, match="Nowhere"):
        ward_scenarios(w, {"Nowhere": "uma"})
    with pytest.raises(ConfigError, match="suburban"):
        ward_scenarios(w, {"1": "suburban"})


def test_small_cells_are_umi_and_cells_take_their_ward():
    w = wards4()
    pts = [Point(HANOI_X + 1000, HANOI_Y + 1000), Point(HANOI_X + 3000, HANOI_Y + 1000),
           Point(HANOI_X + 3000, HANOI_Y + 1000), Point(HANOI_X + 20000, HANOI_Y + 1000)]  # fmt: skip
    sites = gpd.GeoDataFrame(
        {"height_m": [25.0, 30.0, 12.0, 30.0], "eirp_dbm": [63.0, 60.0, 63.0, 45.0]},
        geometry=pts,
        crs=UTM48N,
    ).to_crs("EPSG:4326")
    assert small_cells(sites).tolist() == [False, False, True, True]
    cells = cell_scenarios(sites, w, ward_scenarios(w))
    # ward 1 (phường) → uma; ward 2 (rural xã) → rma; a 12 m mast → umi; the last
    # stands 14 km east of every ward: nearest ward 4, but 45 dBm EIRP → umi
    assert cells["scenario"].tolist() == ["uma", "rma", "umi", "umi"]
    assert cells["ward_id"].tolist() == ["1", "2", "2", "4"]


def test_scenario_file_is_read_and_checked(tmp_path):
    from phusong.io.scenarios import read_scenario_overrides

    good = tmp_path / "s.csv"
    good.write_text("ward,scenario\nXã Hai,RMa\n3,uma\n", encoding="utf-8")
    assert read_scenario_overrides(good) == {"Xã Hai": "rma", "3": "uma"}
    bad = tmp_path / "bad.csv"
    bad.write_text("ward,scenario\nXã Hai,suburb\n,uma\n", encoding="utf-8")
    with pytest.raises(DataError) as info:
        read_scenario_overrides(bad)
    text = str(info.value)
    assert "row 2" in text and "'scenario'" in text and "row 3" in text
    with pytest.raises(DataError, match="two columns"):
        (tmp_path / "c.csv").write_text("a,b\n1,2\n", encoding="utf-8")
        read_scenario_overrides(tmp_path / "c.csv")


def test_line_of_sight_probability_is_not_used_by_default():
    # The planning model uses the scenario's NLOS formula; los_probability=True
    # switches to the LOS-probability-weighted one (TR 38.901 Table 7.4.2-1).
    assert path_loss_model("uma") == "uma_nlos"
    assert path_loss_model("rma", los_probability=True) == "rma_mixed"
    # and it matters: at 300 m, 3.5 GHz the weighted loss is lower (P_LOS(300 m) > 0)
    d = 300.0
    p_los = float(prop.los_probability_uma(d))
    assert 0.05 < p_los < 0.2  # 18/300 + e^(−300/63)(1 − 18/300) = 0.068
    assert p_los == pytest.approx(18 / d + np.exp(-d / 63) * (1 - 18 / d), rel=1e-9)
    assert prop.path_loss_db(d, 3.5, "uma_mixed") < prop.path_loss_db(d, 3.5, "uma_nlos")


def test_engine_columns_of_the_planning_model(square_ward):
    from phusong.audit import audit_params
    from phusong.physics import engine_sites

    w = wards4()
    sites = gpd.GeoDataFrame(
        {
            "frequency_mhz": [763.0, 2550.0, 3750.0],
            "band": ["n28", "n41", "n78"],
            "bandwidth_mhz": [10.0, 100.0, 100.0],
            "height_m": [30.0, 25.0, 25.0],
            "eirp_dbm": [60.0, 63.0, 63.0],
        },
        geometry=[
            Point(HANOI_X + 3000, HANOI_Y + 1000),
            Point(HANOI_X + 1000, HANOI_Y + 1000),
            Point(HANOI_X + 1000, HANOI_Y + 900),
        ],
        crs=UTM48N,
    ).to_crs("EPSG:4326")
    common = dict(threshold_dbm=-110.0, resolution_m=50.0, goal=None, goal_metric=None,
                  operators=None, radio=None, radius_m=None, indoor_loss_db=0.0,
                  min_gap_area_m2=0.0, route="auto")  # fmt: skip
    params = audit_params(model="planning", reliability=0.9, **common)
    cp = engine_sites(sites, w, params)
    out = cp.sites
    assert out["path_loss_model"].tolist() == ["rma_nlos", "uma_nlos", "uma_nlos"]
    assert_o2i = [prop.o2i_loss_db(0.763, "rma"), prop.o2i_loss_db(2.55, "uma"),
                  prop.o2i_loss_db(3.75, "uma")]  # fmt: skip
    np.testing.assert_allclose(out["o2i_loss_db"], assert_o2i)
    # indoor margin (√(σ² + 4.4²) − σ) Φ⁻¹(0.9) with σ = 8 (RMa) and 6 (UMa)
    np.testing.assert_allclose(
        out["indoor_margin_db"],
        [
            (np.hypot(8, 4.4) - 8) * 1.2815516,
            (np.hypot(6, 4.4) - 6) * 1.2815516,
            (np.hypot(6, 4.4) - 6) * 1.2815516,
        ],
        atol=1e-5,
    )
    # numerology: the n28 cell's RE power is 10 log10(52/24) dB lower than at 30 kHz
    if "extra_loss_db" in out:
        np.testing.assert_allclose(out["extra_loss_db"], [10 * np.log10(52 / 24), 0, 0], atol=1e-9)
    else:
        assert out["scs_khz"].tolist() == [15.0, 30.0, 30.0]
    assert cp.numerology["n28"] == {
        "cells": 1, "duplex": "FDD", "scs_khz": 15, "bandwidth_mhz": 10.0, "n_rb": 52,
    }  # fmt: skip
    assert cp.cells_by_scenario == {"uma": 2, "umi": 0, "rma": 1}
    mixed = engine_sites(sites, w, audit_params(model="planning", reliability=0.5,
                                                los_probability=True, **common))  # fmt: skip
    assert mixed.sites["path_loss_model"].tolist() == ["rma_mixed", "uma_mixed", "uma_mixed"]
    assert isinstance(cp.scenarios, pd.DataFrame) and len(cp.scenarios) == 4


def test_run_audit_records_the_override_per_ward(tmp_path, square_ward):
    from pyproj import Transformer

    import phusong

    lon, lat = Transformer.from_crs(UTM48N, "EPSG:4326", always_xy=True).transform(HANOI_X, HANOI_Y)
    sheet = tmp_path / "s.csv"
    sheet.write_text(
        "site_id,cell_id,operator,radio,lat,lon,frequency_mhz,band,bandwidth_mhz,eirp_dbm\n"
        f"A,A1,Viettel,NR,{lat:.8f},{lon:.8f},2550,n41,100,63\n",
        encoding="utf-8",
    )
    overrides = tmp_path / "scen.csv"
    overrides.write_text("ward,scenario\nsq,rma\n", encoding="utf-8")
    opts = {"resolution_m": 100.0, "terrain": "off"}
    base = phusong.run_audit(sheet, square_ward, **opts)
    rural = phusong.run_audit(sheet, square_ward, scenarios=overrides, **opts)
    assert base.wards.iloc[0]["scenario"] == "uma"  # phường
    row = rural.wards.iloc[0]
    assert row["scenario"] == "rma" and row["scenario_rule"].startswith("override")
    assert rural.summary["scenarios"]["cells"] == {"uma": 0, "umi": 0, "rma": 1}
    assert rural.summary["inputs"]["scenarios"]["name"] == "scen.csv"
    # RMa loses less than UMa at the same distance: more of the ward is covered
    assert rural.summary["area_coverage_pct"] > base.summary["area_coverage_pct"]
