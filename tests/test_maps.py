"""Tests of phusong.output.maps: attribution, legend, SYNTHETIC label, one feature per ward."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from phusong.audit import AuditParams, assemble_result
from phusong.geo import area_km2, equal_area_crs
from phusong.goals import Goal
from phusong.output.maps import audit_map, compare_map, display_geometry, goal_colours


def _result(wards: gpd.GeoDataFrame, *, synthetic: bool, fractions: np.ndarray):
    """An AuditResult assembled by the library from a hand-made coverage table."""
    area = area_km2(wards)
    rows = []
    for op, scale in (("any", 1.0), ("Viettel", 0.9)):
        frac = np.clip(fractions * scale, 0.0, 1.0)
        d = pd.DataFrame(
            {
                "ward_id": wards["ward_id"].astype(str).to_numpy(),
                "operator": op,
                "area_km2": area,
                "covered_area_km2": area * frac,
                "population": wards["population"].to_numpy(),
                "covered_population": wards["population"].to_numpy() * frac,
            }
        )
        d["area_coverage_pct"] = 100 * frac
        d["population_coverage_pct"] = 100 * frac
        for lab, share in (("0", 1 - frac), ("1", frac), ("2_4", 0 * frac), ("5plus", 0 * frac)):
            d[f"area_km2_servers_{lab}"] = area * share
            d[f"population_servers_{lab}"] = wards["population"].to_numpy() * share
        rows.append(d)
    crs = equal_area_crs(wards)
    centres = wards.to_crs(crs).representative_point()
    gaps = gpd.GeoDataFrame(
        {"ward_id": wards["ward_id"].astype(str), "area_km2": 0.2, "population": 10.0},
        geometry=centres.buffer(250).to_crs(4326).to_numpy(),
        crs=4326,
    )
    pts = centres.to_crs(4326)
    sites = gpd.GeoDataFrame(
        {
            "cell_id": [f"c{i}" for i in range(len(pts))],
            "site_id": [f"s{i}" for i in range(len(pts))],
            "operator": "Viettel",
            "azimuth_deg": 120.0,
            "beamwidth_deg": 65.0,
            "range_m": 800.0,
        },
        geometry=pts.to_numpy(),
        crs=4326,
    )
    cov = SimpleNamespace(table=pd.concat(rows), gaps=gaps, population_source="test")
    return assemble_result(wards, sites, None, cov, AuditParams(), {}, synthetic, None)


@pytest.fixture(scope="module")
def result(hanoi_wards):
    fractions = np.linspace(0.3, 1.0, len(hanoi_wards))
    return _result(hanoi_wards, synthetic=True, fractions=fractions)


@pytest.fixture(scope="module")
def page(result) -> str:
    return audit_map(result).get_root().render()


def _geojson_layers(html: str) -> list[dict]:
    """The GeoJSON objects embedded in the page (folium's ``geo_json_<id>_add({...})``)."""
    out = []
    for m in re.finditer(r"geo_json_\w+_add\((\{.*?\})\);", html, flags=re.S):
        out.append(json.loads(m.group(1)))
    return out


def test_attribution_credits_osm_contributors(page):
    assert "OpenStreetMap contributors" in page
    assert "openstreetmap.org/copyright" in page


def test_legend_present_with_goal(page):
    assert 'class="phusong-legend"' in page
    assert "meets the goal: ≥ 99 %" in page
    assert "population-weighted" in page


def test_synthetic_label_only_when_synthetic(page, hanoi_wards):
    assert "SYNTHETIC" in page
    real = _result(hanoi_wards, synthetic=False, fractions=np.full(len(hanoi_wards), 0.5))
    assert "SYNTHETIC" not in audit_map(real).get_root().render()


def test_one_feature_per_ward(page, hanoi_wards):
    layers = _geojson_layers(page)
    ward_layers = [
        g
        for g in layers
        if g["features"] and "population_weighted" in g["features"][0]["properties"]
    ]
    assert len(ward_layers) == 1
    ids = [f["properties"]["ward_id"] for f in ward_layers[0]["features"]]
    assert sorted(ids) == sorted(hanoi_wards["ward_id"].astype(str))
    assert len(ids) == len(set(ids)) == 126
    # Vietnamese names survive intact (UTF-8, not mangled escapes).
    names = {f["properties"]["name"] for f in ward_layers[0]["features"]}
    assert "Phường Ba Đình" in names


def test_tooltip_labels_both_weightings(page):
    assert "Coverage, population-weighted" in page
    assert "Coverage, area-weighted" in page


def test_colours_diverge_around_goal():
    colours = goal_colours(np.array([10.0, 96.0, 98.99, 99.0, 100.0, np.nan]), 99.0)
    reds = {"#67000d", "#a50f15", "#ef3b2c", "#fc9272", "#fee0d2"}
    assert colours[0] == "#67000d"  # 89 points below
    assert colours[1] == "#fee0d2"  # 3 points below
    assert colours[2] in reds  # just below is still red
    assert colours[3] == "#74c476"  # at the goal: green
    assert colours[4] == "#238b45"
    assert colours[5] == "#bdbdbd"


def test_ward_colours_follow_goal(result):
    """A ward at 80 % is red against 99 % and green against 75 %."""
    html99 = audit_map(result, goal=Goal(99.0)).get_root().render()
    html50 = audit_map(result, goal=Goal(30.0)).get_root().render()
    fills99 = [f["properties"]["fill"] for f in _geojson_layers(html99)[0]["features"]]
    fills50 = [f["properties"]["fill"] for f in _geojson_layers(html50)[0]["features"]]
    assert fills99.count("#74c476") + fills99.count("#238b45") < len(fills99) / 10
    assert all(f in ("#74c476", "#238b45") for f in fills50)


def test_display_geometry_simplifies_and_rounds(hanoi_wards):
    disp = display_geometry(hanoi_wards)
    before = int(hanoi_wards.geometry.count_coordinates().sum())
    after = int(disp.geometry.count_coordinates().sum())
    assert after < before
    coords = np.concatenate([np.asarray(g.exterior.coords) for g in disp.geometry.explode()])
    np.testing.assert_array_equal(coords, np.round(coords, 5))
    # Simplification at 20 m changes a ward's area by ~0.05 % typically, < 2 % at worst.
    rel = np.abs(area_km2(disp) / area_km2(hanoi_wards) - 1)
    assert np.median(rel) < 0.001
    assert rel.max() < 0.02


def test_page_size_reasonable(page):
    assert len(page.encode()) < 2_000_000


def test_compare_map(result, hanoi_wards):
    other = _result(hanoi_wards, synthetic=True, fractions=np.full(len(hanoi_wards), 0.9))
    html = compare_map(result, other).get_root().render()
    assert "OpenStreetMap contributors" in html
    assert "SYNTHETIC" in html
    feats = _geojson_layers(html)[0]["features"]
    assert len(feats) == 126
    # A ward going from 30 % to 90 % shows +60 points.
    changes = {f["properties"]["change"] for f in feats}
    assert "+60.00 points" in changes


def test_saved_map_is_one_file(result, tmp_path):
    path = tmp_path / "map.html"
    audit_map(result).save(str(path))
    text = path.read_text(encoding="utf-8")
    assert text.count("<html") == 1
    assert "charset=UTF-8" in text
    names = {f["properties"]["name"] for f in _geojson_layers(text)[0]["features"]}
    assert "Phường Ba Đình" in names


def test_embedded_assets_make_the_page_self_contained(result):
    import base64

    from phusong.io.shipped import data_path
    from phusong.output.maps import VENDOR_ASSETS, embed_assets, vendor_data_urls

    cdn = audit_map(result).get_root().render()
    assert re.search(r'<script src="https://', cdn), "folium links its CDN by default"
    html = embed_assets(audit_map(result)).get_root().render()
    # no script or stylesheet is fetched from the network any more
    assert not re.search(r'<script src="https?://', html)
    assert not re.search(r'<link rel="stylesheet" href="https?://', html)
    for unused in ("jquery", "bootstrap", "awesome-markers", "fontawesome"):
        assert unused not in html.lower()
    urls = vendor_data_urls()
    assert set(urls) == set(VENDOR_ASSETS)
    assert f'<script src="{urls["leaflet"]}"></script>' in html
    assert f'<link rel="stylesheet" href="{urls["leaflet_css"]}"/>' in html
    # the JavaScript is the shipped file, byte for byte
    js = base64.b64decode(urls["leaflet"].split(",", 1)[1])
    assert js == data_path("vendor", *VENDOR_ASSETS["leaflet"].split("/")).read_bytes()
    # stylesheet images are embedded too (a data: stylesheet has no folder)
    css = base64.b64decode(urls["leaflet_css"].split(",", 1)[1]).decode()
    assert "url(images/" not in css and "url(data:image/png;base64," in css
    assert "OpenStreetMap contributors" in html
