"""``run_plan(cover_targets=True)`` (issue #15): every target place covered by the plan.

Two square wards (3 km × 3 km, 12,000 and 4,000 people) with one Viettel and
one MobiFone site at their centres, the disc model with a 600 m radius: the
audits are exact and fast. Hand-made places (UTM 48N offsets from the wards'
shared corner (HANOI_X, HANOI_Y)):

- P001 ``served`` point 200 m from the Viettel site: covered before;
- P002 ``site`` square 400 m wide centred at (+700, +700): no site in it;
- P003 ``site`` square wholly inside an excluded zone: cannot be covered;
- P004 ``served`` point at (−2500, +1000), 1,414 m from the Viettel site.

The target (10 %) is met before (two discs: π·0.6²/9 = 12.57 %), so every new
site of these plans is one placed for a place. Positions are checked against
hand-computed points and coverage against an independent reference: the
distance to the new site (points) and the area of the union of the discs
(polygons, shapely with 256 segments per quarter circle in a Lambert
azimuthal equal-area projection centred on the wards).
"""

from __future__ import annotations

import json
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import HANOI_X, HANOI_Y, UTM48N
from pyproj import Transformer
from shapely.geometry import Point, box
from test_run_plan import LAEA, RADIUS, two_square_wards

from phusong.cli import EXIT_OK, EXIT_USAGE, main
from phusong.errors import ConfigError
from phusong.output.plan import plan_sites_sheet
from phusong.output.text import format_plan_summary
from phusong.plan import run_plan

TO_LL = Transformer.from_crs(UTM48N, "EPSG:4326", always_xy=True)
LL_TO_UTM = Transformer.from_crs("EPSG:4326", UTM48N, always_xy=True)
#: Viettel's existing site [m, UTM offsets]
S1 = (-1500.0, 0.0)


def _box(cx, cy, side):
    return box(HANOI_X + cx - side / 2, HANOI_Y + cy - side / 2,
               HANOI_X + cx + side / 2, HANOI_Y + cy + side / 2)  # fmt: skip


@pytest.fixture(scope="module")
def wards() -> gpd.GeoDataFrame:
    return two_square_wards()


@pytest.fixture(scope="module")
def sites() -> pd.DataFrame:
    lon, lat = TO_LL.transform([HANOI_X + S1[0], HANOI_X + 1500], [HANOI_Y, HANOI_Y])
    return pd.DataFrame(
        {
            "site_id": ["S1", "S2"],
            "cell_id": ["S1-1", "S2-1"],
            "operator": ["Viettel", "MobiFone"],
            "mcc": 452,
            "mnc": [4, 1],
            "radio": "NR",
            "lat": lat,
            "lon": lon,
            "band": ["n41", "n77"],
        }
    )


@pytest.fixture(scope="module")
def places() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "name": ["Ga gần", "KCN Đông", "Ga trong vùng cấm", "Ga xa"],
            "kind": ["station", "industrial_park", "station", "station"],
            "deadline": "2025-12-31",
            "rule": ["served", "site", "site", "served"],
        },
        geometry=[
            Point(HANOI_X + S1[0] + 200, HANOI_Y),
            _box(700, 700, 400),
            _box(-300, -1100, 200),
            Point(HANOI_X - 2500, HANOI_Y + 1000),
        ],
        crs=UTM48N,
    )


@pytest.fixture(scope="module")
def zone() -> gpd.GeoSeries:
    """No-build zone holding P003 wholly (600 m square centred at (−300, −1100))."""
    return gpd.GeoSeries([_box(-300, -1100, 600)], crs=UTM48N)


def _plan(sites, wards, **kw):
    kw.setdefault("target_pct", 10.0)
    return run_plan(
        sites,
        wards,
        model="disc",
        radius_m=RADIUS,
        operator="Viettel",
        plan_options={"demand_cell_m": 200.0},
        **kw,
    )


@pytest.fixture(scope="module")
def covered(sites, wards, places, zone):
    return _plan(sites, wards, targets=places, cover_targets=True, excluded=zone)


def _utm_offsets(new: pd.DataFrame) -> np.ndarray:
    x, y = LL_TO_UTM.transform(new["lon_deg"].to_numpy(), new["lat_deg"].to_numpy())
    return np.column_stack([np.asarray(x) - HANOI_X, np.asarray(y) - HANOI_Y])


def test_every_coverable_place_is_covered_and_the_excluded_one_reported(covered):
    s = covered.summary
    after = covered.after.checks.places.table.set_index("place_id")
    before = covered.before.checks.places.table.set_index("place_id")
    assert before["covered"].to_dict() == {"P001": True, "P002": False, "P003": False,
                                           "P004": False}  # fmt: skip
    assert after["covered"].to_dict() == {"P001": True, "P002": True, "P003": False,
                                          "P004": True}  # fmt: skip
    assert s["cover_targets"] is True and s["n_target_places"] == 4
    assert s["targets_covered_before"] == 1 and s["targets_covered_after"] == 3
    (left,) = s["targets_uncovered_after"]
    assert left["place_id"] == "P003" and left["reason"] == "excluded"
    assert "P003" in s["note"] and "excluded zones" in s["note"]
    # the coverage target was met before: the only new sites are the two for P002 and P004
    assert s["n_new_sites"] == s["n_target_sites"] == 2
    assert [t["place_id"] for t in s["target_sites"]] == ["P002", "P004"]
    assert [t["site_id"] for t in s["target_sites"]] == ["NEW-0001", "NEW-0002"]
    assert s["rounds"] == 1  # nothing pending after round 1: P003 is given up


def test_forced_sites_stand_where_computed_by_hand(covered):
    new = covered.new_sites()
    xy = _utm_offsets(new)
    # P002 (site rule): the point inside the square the audit uses as its centre,
    # which for a square is its centre (+700, +700)
    np.testing.assert_allclose(xy[0], [700.0, 700.0], atol=0.01)
    # P004 (served point): the point itself
    np.testing.assert_allclose(xy[1], [-2500.0, 1000.0], atol=0.01)
    assert new["reason"].tolist() == ["target place P002 (KCN Đông)", "target place P004 (Ga xa)"]
    assert new["covered_people_gain"].isna().all()  # not estimated for a forced site
    # proposed_sites.csv carries the reason of every cell
    sheet = plan_sites_sheet(covered.plan.sites)
    assert sheet["reason"].str.startswith("target place").all() and len(sheet) == 6


def test_without_cover_targets_the_plan_ignores_the_places(sites, wards, places, zone):
    run = _plan(sites, wards, targets=places, excluded=zone)
    s = run.summary
    assert s["cover_targets"] is False and s["n_new_sites"] == 0 and s["n_target_sites"] == 0
    assert s["targets_covered_before"] == s["targets_covered_after"] == 1
    assert {u["reason"] for u in s["targets_uncovered_after"]} == {"not_asked"}
    assert len(s["targets_uncovered_after"]) == 3


def test_a_large_served_park_gets_sites_until_its_share_is_reached(sites, wards):
    """A 1,300 m × 800 m park without 5G, served rule (90 %): covered, checked by clipping."""
    park = gpd.GeoDataFrame(
        {"name": ["KCN Tây"], "kind": ["industrial_park"], "deadline": ["2026-12-31"]},
        geometry=[box(HANOI_X - 2900, HANOI_Y - 1400, HANOI_X - 1600, HANOI_Y - 600)],
        crs=UTM48N,
    )
    run = _plan(sites, wards, targets=park, cover_targets=True)
    after = run.after.checks.places.table.iloc[0]
    assert bool(after["covered"]) and run.summary["targets_uncovered_after"] == []
    # independent reference: area of the park inside the union of every disc
    one = run.plan.sites.drop_duplicates("site_id")
    lon = np.concatenate([sites["lon"].to_numpy(), one["lon_deg"].to_numpy()])
    lat = np.concatenate([sites["lat"].to_numpy(), one["lat_deg"].to_numpy()])
    x, y = Transformer.from_crs("EPSG:4326", LAEA, always_xy=True).transform(lon, lat)
    served = shapely.union_all(shapely.buffer(shapely.points(x, y), RADIUS, quad_segs=256))
    geom = park.to_crs(LAEA).geometry.iloc[0]
    share = 100.0 * geom.intersection(served).area / geom.area
    assert after["served_share_pct"] == pytest.approx(share, abs=0.01)
    assert share >= 90.0
    # every new site stands inside the park (the part without 5G)
    xy = _utm_offsets(run.new_sites())
    assert ((xy[:, 0] > -2900) & (xy[:, 0] < -1600) & (xy[:, 1] > -1400) & (xy[:, 1] < -600)).all()
    assert run.summary["n_target_sites"] == len(xy) >= 2  # one 600 m disc cannot hold 90 %


def test_min_spacing_moves_a_served_point_site_off_the_point(sites, wards, places):
    """P004 is 1,414 m from the Viettel site; a 1,500 m spacing moves its site away, on the line."""
    run = _plan(sites, wards, targets=places.iloc[[3]], cover_targets=True, min_spacing_m=1500.0)
    new = run.new_sites()
    to_laea = Transformer.from_crs("EPSG:4326", LAEA, always_xy=True)
    xy = np.array(to_laea.transform(new["lon_deg"].iloc[0], new["lat_deg"].iloc[0]))
    s1 = np.array(to_laea.transform(sites["lon"].iloc[0], sites["lat"].iloc[0]))
    p = np.array(to_laea.transform(*TO_LL.transform(HANOI_X - 2500, HANOI_Y + 1000)))
    d = float(np.hypot(*(p - s1)))
    assert d == pytest.approx(1414.2, abs=1.0)  # UTM 48N's scale here is 0.9997
    expected = s1 + (p - s1) / d * 1501.0  # spacing + 1 m margin, on the line from the site
    assert math.dist(xy, expected) < 2.0  # the circle drawn with 256 segments
    assert math.dist(xy, s1) >= 1500.0
    assert run.after.checks.places.table["covered"].all()
    assert run.summary["target_sites"][0]["spacing_relaxed"] is False


def test_cover_targets_is_refused_when_it_cannot_apply(sites, wards, places):
    with pytest.raises(ConfigError, match="cover_targets: there are no target places"):
        _plan(sites, wards, cover_targets=True)
    with pytest.raises(ConfigError, match=r"cover_targets: .*verify"):
        _plan(sites, wards, targets=places, cover_targets=True, verify=False)


def test_budget_counts_the_sites_for_places(sites, wards, places, zone):
    with pytest.raises(ConfigError, match="needs 2 new sites, more than the budget of 1"):
        _plan(sites, wards, targets=places, cover_targets=True, excluded=zone, budget=1)
    run = _plan(sites, wards, targets=places, cover_targets=True, excluded=zone, budget=3)
    s = run.summary
    assert s["n_target_sites"] == 2 and s["n_new_sites"] <= 3
    assert s["targets_covered_after"] == 3
    assert [u["reason"] for u in s["targets_uncovered_after"]] == ["excluded"]


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_summary_text_names_the_places(covered, lang):
    text = format_plan_summary(covered, lang=lang)
    if lang == "en":
        assert "Target places covered: 1 of 4 before → 3 after" in text
        assert "2 new sites placed for target places not covered (P002, P004)" in text
        assert "Still not covered: P003 Ga trong vùng cấm" in text and "excluded zones" in text
    else:
        assert "Địa điểm mục tiêu có 5G: 1/4 trước → 3 sau" in text
        assert "Đặt 2 trạm mới cho các địa điểm mục tiêu chưa có 5G (P002, P004)" in text
        assert "Vẫn chưa có 5G: P003 Ga trong vùng cấm" in text and "vùng cấm đặt trạm" in text


def test_cli_cover_targets(tmp_path, sites, wards, places, zone, capsys):
    sites.to_csv(tmp_path / "sites.csv", index=False)
    wards.to_file(tmp_path / "wards.geojson", driver="GeoJSON")
    places.to_file(tmp_path / "places.geojson", driver="GeoJSON")
    gpd.GeoDataFrame(geometry=zone).to_file(tmp_path / "zone.geojson", driver="GeoJSON")
    common = ["plan", "--sites", str(tmp_path / "sites.csv"), "--wards",
              str(tmp_path / "wards.geojson"), "--model", "disc", "--radius-m", "600",
              "--target", "10", "--operator", "Viettel"]  # fmt: skip
    assert main([*common, "--cover-targets", "--out", str(tmp_path / "no")]) == EXIT_USAGE
    assert "cover_targets" in capsys.readouterr().err
    code = main([*common, "--targets", str(tmp_path / "places.geojson"), "--cover-targets",
                 "--excluded", str(tmp_path / "zone.geojson"), "--json",
                 "--out", str(tmp_path / "out")])  # fmt: skip
    assert code == EXIT_OK
    s = json.loads(capsys.readouterr().out)
    assert s["cover_targets"] is True
    assert (s["targets_covered_before"], s["targets_covered_after"]) == (1, 3)
    assert [u["place_id"] for u in s["targets_uncovered_after"]] == ["P003"]
    assert s["inputs"]["targets"]["sha256"]
    sheet = pd.read_csv(tmp_path / "out" / "proposed_sites.csv", encoding="utf-8-sig")
    assert sorted(set(sheet["reason"])) == ["target place P002 (KCN Đông)",
                                            "target place P004 (Ga xa)"]  # fmt: skip


@pytest.mark.slow
def test_cover_targets_with_a_path_loss_model(sites, wards, places, zone):
    # The planning radius of a forced site comes from the model's own footprint (the default
    # planning model has no single radius): the plan runs, and the re-audit under the
    # same model finds the coverable places covered.
    run = run_plan(
        sites, wards, model="planning", resolution_m=50.0, terrain="off", population="uniform",
        target_pct=5.0, operator="Viettel", targets=places, cover_targets=True, excluded=zone,
    )  # fmt: skip
    after = run.after.checks.places.table.set_index("place_id")["covered"].to_dict()
    assert after["P002"] and after["P004"] and not after["P003"]
    left = {u["place_id"]: u["reason"] for u in run.summary["targets_uncovered_after"]}
    assert left == {"P003": "excluded"}
    assert run.summary["n_target_sites"] >= 2
