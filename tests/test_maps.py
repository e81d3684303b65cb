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
    # Issue #16: a colour-blind-safe scale replaces the red/green one; the shape is
    # the same: darker further below the goal, a break at the goal, darkest at 100 %.
    colours = goal_colours(np.array([10.0, 96.0, 98.99, 99.0, 100.0, np.nan]), 99.0)
    below = {"#7f3b08", "#b35806", "#e08214", "#fdb863", "#fee0b6"}
    assert colours[0] == "#7f3b08"  # 89 points below
    assert colours[1] == "#fee0b6"  # 3 points below
    assert colours[2] in below  # just below is still below
    assert colours[3] == "#92c5de"  # at the goal: the other side of the break
    assert colours[4] == "#2166ac"
    assert colours[5] == "#bdbdbd"


def test_ward_colours_follow_goal(result):
    """A ward at 80 % is below (orange) against 99 % and meets (blue) against 30 %."""
    html99 = audit_map(result, goal=Goal(99.0)).get_root().render()
    html50 = audit_map(result, goal=Goal(30.0)).get_root().render()
    fills99 = [f["properties"]["fill"] for f in _geojson_layers(html99)[0]["features"]]
    fills50 = [f["properties"]["fill"] for f in _geojson_layers(html50)[0]["features"]]
    assert fills99.count("#92c5de") + fills99.count("#2166ac") < len(fills99) / 10
    assert all(f in ("#92c5de", "#2166ac") for f in fills50)


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


# ---------------------------------------------------------------- issue #16: the map redesign

#: Machado, Oliveira & Fernandes (2009), "A Physiologically-based Model for
#: Simulation of Color Vision Deficiency", IEEE TVCG 15(6), Table 1 at severity
#: 1.0: linear-RGB matrices for protanopia, deuteranopia and tritanopia.
MACHADO_2009 = {
    "normal": np.eye(3),
    "protanopia": np.array(
        [
            [0.152286, 1.052583, -0.204868],
            [0.114503, 0.786281, 0.099216],
            [-0.003882, -0.048116, 1.051998],
        ]
    ),
    "deuteranopia": np.array(
        [
            [0.367322, 0.860646, -0.227968],
            [0.280085, 0.672501, 0.047413],
            [-0.011820, 0.042940, 0.968881],
        ]
    ),
    "tritanopia": np.array(
        [
            [1.255528, -0.076749, -0.178779],
            [-0.078411, 0.930809, 0.147602],
            [0.004733, 0.691367, 0.303900],
        ]
    ),
}


def _lab(hex_colour: str, vision: str) -> np.ndarray:
    """CIE L*a*b* (D65) of a colour as seen with a colour-vision deficiency (Machado 2009)."""
    srgb = np.array([int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)])
    lin = np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)
    lin = np.clip(MACHADO_2009[vision] @ lin, 0, 1)
    xyz = (
        np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
        @ lin
        / np.array([0.95047, 1.0, 1.08883])
    )
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def _smallest_difference(colours: list[str], vision: str) -> float:
    labs = [_lab(c, vision) for c in colours]
    return min(float(np.linalg.norm(a - b)) for i, a in enumerate(labs) for b in labs[i + 1 :])


@pytest.mark.parametrize("vision", sorted(MACHADO_2009))
def test_ward_classes_stay_apart_for_colour_blind_readers(vision):
    from phusong.output.maps import BELOW_GOAL, FULL_COVERAGE, MEETS_GOAL

    classes = [FULL_COVERAGE, MEETS_GOAL, *(c for _, c, _ in BELOW_GOAL)]
    # CIE76 ΔE ≥ 10: clearly different colours side by side, in every vision.
    assert _smallest_difference(classes, vision) >= 10
    # The goal break: the palest class below stays far from "meets the goal".
    assert float(np.linalg.norm(_lab(MEETS_GOAL, vision) - _lab(BELOW_GOAL[-1][1], vision))) >= 15
    # Lightness falls steadily the further a ward is below the goal (readable in grey).
    lightness = [_lab(c, vision)[0] for _, c, _ in BELOW_GOAL]
    assert lightness == sorted(lightness)


def test_the_old_red_green_scale_fails_the_colour_blind_check():
    # The check has teeth: "meets the goal" green and a just-below red merge for deuteranopes.
    assert (
        float(np.linalg.norm(_lab("#74c476", "deuteranopia") - _lab("#fc9272", "deuteranopia")))
        < 15
    )


def test_gaps_are_an_outline_that_does_not_take_the_mouse(page):
    gap_layer = re.search(r"geo_json_\w+ = L\.geoJson\(null, \{(.*?)\}\);", page, flags=re.S)
    assert gap_layer is not None
    assert '"fill": false' in page and '"dashArray": "4 3"' in page
    assert re.search(r'"interactive": false', page)
    assert "purple" not in page and "#54278f" not in page


def test_sites_are_small_points_not_clusters(page):
    assert "markerCluster" not in page and "MarkerCluster" not in page
    assert "L.circleMarker" in page and "stroke: false" in page


def test_wedges_labels_scale_search_fallback(page):
    from phusong.output.maps import LABEL_MIN_ZOOM, WEDGE_MIN_ZOOM

    assert WEDGE_MIN_ZOOM >= 14 and f"map.getZoom() < {WEDGE_MIN_ZOOM}" in page
    assert f"map.getZoom() < {LABEL_MIN_ZOOM}" in page and "phusong-ward-label" in page
    assert "L.control.scale({metric: true, imperial: false" in page
    assert "control_scale" not in page and "L.control.scale()" not in page
    assert "phusong-search" in page and '"Find a ward…"' in page
    assert '"tileerror"' in page and "map.removeLayer(tiles)" in page
    assert 'layer.on("click"' in page  # click outlines the ward


def test_map_in_vietnamese(result):
    html = audit_map(result, lang="vi").get_root().render()
    for text in ("Tỷ lệ dân số được phủ sóng", "Tỷ lệ diện tích được phủ sóng", "Tìm phường/xã…",
                 "đạt mục tiêu: ≥ 99 %", "viền nét đứt: vùng lõm sóng", "GIẢ LẬP"):  # fmt: skip
        assert text in html or json.dumps(text)[1:-1] in html, text  # tooltips are JSON-escaped
    for english in (
        "Coverage, population-weighted",
        "meets the goal",
        "Find a ward",
        "points below",
    ):
        assert english not in html, english
    feats = _geojson_layers(html)[0]["features"]
    assert {f["properties"]["goal"] for f in feats} <= {"đã đạt", "chưa đạt"}
    assert any("," in f["properties"]["population_weighted"] for f in feats)  # 52,7 %


def test_same_map_same_bytes(result):
    from phusong.output.bundle import map_html

    assert map_html(audit_map(result)) == map_html(audit_map(result))


def test_worldpop_is_credited_when_its_raster_is_used(result):
    import copy

    other = copy.copy(result)
    other.summary = {**result.summary, "population_source": "raster:vnm_ppp_2020_WorldPop.tif"}
    html = audit_map(other).get_root().render()
    assert "WorldPop" in html and "OpenStreetMap contributors" in html
    assert "WorldPop" not in audit_map(result).get_root().render()


def test_the_ward_layer_keeps_the_osm_credit_without_tiles(page):
    # The tile layer and the ward layer both carry the credit: it stays on the map
    # when the fallback drops the tiles (Leaflet shows one copy of a repeated credit).
    credit = '"attribution": "\\u00a9 \\u003ca href=\\"https://www.openstreetmap.org/copyright\\"'
    assert page.count(credit) == 2
    ward = re.search(
        r"L\.geoJson\(null, \{(?:(?!L\.geoJson).)*?\.\.\.\{\s*(.*?)\}", page, flags=re.S
    )
    assert ward is not None and "OpenStreetMap contributors" in ward.group(1)


@pytest.mark.browser
def test_map_in_a_browser_offline_search_and_select(result, tmp_path, chromium):
    """map.html in Chromium with the network refused: plain background, search, click outline."""
    from playwright.sync_api import sync_playwright

    from phusong.output.bundle import map_html

    path = tmp_path / "map.html"
    path.write_bytes(map_html(audit_map(result, lang="vi")))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            context = browser.new_context(viewport={"width": 1200, "height": 850})
            refused: list[str] = []
            context.route(
                "http*://**/*", lambda route: (refused.append(route.request.url), route.abort())
            )
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(path.as_uri(), wait_until="load")
            # tiles fail: the map says so, drops them, and keeps the OSM credit
            page.locator(".phusong-offline").wait_for(timeout=30_000)
            assert "nền trơn" in page.locator(".phusong-offline").inner_text()
            assert page.locator(".leaflet-tile-pane img").count() == 0
            attribution = page.locator(".leaflet-control-attribution").inner_text()
            assert "OpenStreetMap contributors" in attribution
            assert "mi" not in page.locator(".leaflet-control-scale").inner_text().split()
            # search without accents, then the ward is zoomed to and outlined
            page.fill(".phusong-search input", "ba dinh")
            page.press(".phusong-search input", "Enter")
            page.wait_for_timeout(800)
            zoom = page.evaluate(
                "() => { const k = Object.keys(window).find(k => k.startsWith('map_'));"
                " return window[k].getZoom(); }"
            )
            assert zoom >= 12
            assert page.locator(".phusong-ward-label").count() > 0  # names show when zoomed
            assert not errors, errors
            assert all("tile.openstreetmap.org" in u for u in refused), refused[:3]
        finally:
            browser.close()
