"""Streamlit app tests with streamlit.testing.v1.AppTest: every page, figures, caching."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pandas as pd
import pytest

st = pytest.importorskip("streamlit")
pytest.importorskip("streamlit_folium")
from streamlit.testing.v1 import AppTest  # noqa: E402

from phusong.audit import run_audit  # noqa: E402
from phusong.goals import Goal  # noqa: E402
from phusong.io.sites import sample_sites_path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app" / "streamlit_app.py"
if str(APP.parent) not in sys.path:
    sys.path.insert(0, str(APP.parent))

import services  # noqa: E402

TIMEOUT = 240


def _small_sites_csv() -> bytes:
    """A few hundred cells of the synthetic sample around central Hà Nội (fast to audit)."""
    df = pd.read_csv(sample_sites_path("sheet"))
    sub = df[df["lat"].between(21.015, 21.045) & df["lon"].between(105.82, 105.86)]
    assert 50 < len(sub) < 600
    return sub.to_csv(index=False).encode("utf-8")


def _bad_sites_csv() -> bytes:
    good = _small_sites_csv().decode().splitlines()
    header, rows = good[0], good[1:40]
    cols = header.split(",")
    bad = rows[0].split(",")
    bad[cols.index("lat")] = "not-a-number"
    far = rows[1].split(",")
    far[cols.index("lat")], far[cols.index("lon")] = "48.85", "2.35"  # Paris
    return "\n".join([header, *rows, ",".join(bad), ",".join(far)]).encode("utf-8")


@pytest.fixture(scope="module")
def small() -> services.InputFile:
    return services.InputFile.from_bytes("central_SYNTHETIC.csv", _small_sites_csv())


@pytest.fixture(scope="module")
def expected(small):
    buf = io.BytesIO(small.data)
    buf.name = small.name
    return run_audit(buf)


def _spy(monkeypatch, name: str) -> list[dict]:
    """Record the keyword arguments of every call the app makes to ``services.<name>``.

    Clears Streamlit's caches first, so that the count starts from a cold app.
    """
    st.cache_resource.clear()
    st.cache_data.clear()
    calls: list[dict] = []
    real = getattr(services, name)

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(services, name, spy)
    return calls


@pytest.fixture
def counted(monkeypatch):
    """Count the app's calls of run_audit (and start from empty caches)."""
    return _spy(monkeypatch, "run_audit")


def _app(sites: services.InputFile | None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    if sites is not None:
        at.session_state[services.K_SITES] = sites
    return at


def _metrics(at: AppTest) -> dict[str, object]:
    """Metrics by label; the headline figures come first on the page."""
    out: dict[str, object] = {}
    for m in at.metric:
        out.setdefault(m.label, m)
    return out


def _pct(x: float) -> str:
    return f"{x:.1f} %"


def test_overview_figures_equal_run_audit(small, expected, counted):
    at = _app(small).run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    m = _metrics(at)
    s = expected.summary
    assert m["Population coverage"].value == _pct(s["population_coverage_pct"])
    assert m["Area coverage"].value == _pct(s["area_coverage_pct"])
    assert m["Wards meeting the goal"].value == f"{s['wards_meeting_goal']} / {s['n_wards']}"
    assert m["People uncovered"].value == f"{s['uncovered_population']:,.0f}"
    assert m["Population coverage"].delta == (
        f"{s['population_coverage_pct'] - 99.0:+.1f} points vs goal"
    )
    # Synthetic data is labelled as such.
    assert any("SYNTHETIC" in w.value for w in at.warning)
    # The model label is shown.
    assert any(s["model_label"] in c.value for c in at.caption)
    assert len(counted) == 1


def test_goal_slider_does_not_recompute(small, counted):
    at = _app(small).run()
    assert len(counted) == 1
    at.sidebar.slider(key=services.K_GOAL_TARGET).set_value(60.0).run()
    assert not at.exception, at.exception
    assert len(counted) == 1, "moving the goal slider re-ran run_audit"
    # ... and the figures are those run_audit gives with that goal.
    buf = io.BytesIO(small.data)
    buf.name = small.name
    direct = run_audit(buf, goal=Goal(60.0))
    m = _metrics(at)
    s = direct.summary
    assert m["Wards meeting the goal"].value == f"{s['wards_meeting_goal']} / {s['n_wards']}"
    assert m["Population coverage"].delta == (
        f"{s['population_coverage_pct'] - 60.0:+.1f} points vs goal"
    )
    # The area metric switches the goal column without recomputing either.
    at.sidebar.radio(key=services.K_GOAL_METRIC).set_value("area").run()
    assert len(counted) == 1
    assert _metrics(at)["Area coverage"].delta is not None


def test_with_goal_matches_run_audit(small, expected):
    """Re-judging a cached audit gives exactly run_audit's figures for that goal."""
    buf = io.BytesIO(small.data)
    buf.name = small.name
    goal = Goal(80.0, "area")
    direct = run_audit(buf, goal=goal)
    rejudged = services.with_goal(expected, goal)
    assert rejudged.summary == direct.summary
    pd.testing.assert_frame_equal(
        pd.DataFrame(rejudged.wards.drop(columns="geometry")),
        pd.DataFrame(direct.wards.drop(columns="geometry")),
    )


def test_ward_detail_selection(small, expected):
    at = _app(small).run()
    box = at.selectbox(key="ov_ward")
    # The ward holding the city back the most is shown first.
    assert box.value == str(expected.wards["ward_id"].iloc[0])
    row = expected.wards.iloc[3]
    at.session_state["ov_ward"] = str(row["ward_id"])  # as a map click does
    at.run()
    assert not at.exception
    assert any(md.value == f"### {row['name']}" for md in at.markdown)


def _map_args(at: AppTest) -> dict:
    """What the app sent to the map component (streamlit-folium's ``st_folium``)."""
    maps = at.get("component_instance")
    assert len(maps) == 1
    assert maps[0].proto.component_name == "streamlit_folium.st_folium"
    return json.loads(maps[0].proto.json_args)


def test_map_click_picks_the_ward(small, expected):
    at = _app(small).run()
    args = _map_args(at)
    assert args["returned_objects"] == ["last_active_drawing"]
    # Offline: Leaflet and its plugins are embedded, nothing is fetched from a CDN.
    links = [*args["js_links"], *args["css_links"]]
    assert links and all(link.startswith("data:") for link in links)
    row = expected.wards.iloc[5]
    assert at.selectbox(key="ov_ward").value != str(row["ward_id"])
    # A click on a ward: the component's value, as the browser sends it.
    at.session_state[args["key"]] = {
        "last_active_drawing": {"properties": {"ward_id": str(row["ward_id"])}}
    }
    at.run()
    assert not at.exception, at.exception
    assert at.selectbox(key="ov_ward").value == str(row["ward_id"])
    assert any(md.value == f"### {row['name']}" for md in at.markdown)
    # The map keeps its identity across reruns (no remount, no lost state).
    assert _map_args(at)["key"] == args["key"]


def test_cached_tables_are_copies():
    """Tables come from st.cache_data: changing one a caller got does not change the cache."""
    first = services.wards_table(None)
    first["name"] = "changed"
    again = services.wards_table(None)
    assert not (again["name"] == "changed").any()


def test_services_use_no_private_api():
    """No private name of phusong or streamlit-folium is imported or used by the app."""
    import ast

    problems = []
    for path in [APP.parent / "services.py", APP, *sorted((APP.parent / "app_pages").glob("*.py"))]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules: dict[str, str] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    modules[a.asname or a.name] = a.name
            elif isinstance(node, ast.ImportFrom) and node.module:
                if node.module.startswith(("phusong", "streamlit_folium")):
                    problems += [
                        f"{path.name}: from {node.module} import {a.name}"
                        for a in node.names
                        if a.name.startswith("_")
                    ]
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and modules.get(node.value.id, "").startswith(("phusong", "streamlit_folium"))
                and node.attr.startswith("_")
            ):
                problems.append(f"{path.name}: {node.value.id}.{node.attr}")
    assert not problems, problems


def test_data_page_reports_rejected_rows(counted):
    bad = services.InputFile.from_bytes("bad_sites.csv", _bad_sites_csv())
    at = _app(bad)
    at.switch_page("app_pages/data.py").run()
    assert not at.exception, at.exception
    m = _metrics(at)
    assert m["Rejected"].value == "2"
    assert m["Accepted"].value == "39"
    assert len(at.dataframe) >= 1
    rejected = at.dataframe[0].value
    assert set(rejected["row"].astype(int)) == {41, 42}


def test_data_page_unreadable_file_does_not_crash():
    junk = services.InputFile.from_bytes("sites.csv", b"\x00\x01\x02 not a table \xff\xfe")
    at = _app(junk)
    at.switch_page("app_pages/data.py").run()
    assert not at.exception, at.exception
    assert at.error, "a bad file must be reported with st.error"
    # The overview shows the problem too, without crashing.
    at.switch_page("app_pages/overview.py").run()
    assert not at.exception
    assert at.error


def test_model_page(small):
    at = _app(small)
    at.switch_page("app_pages/model.py").run()
    assert not at.exception, at.exception
    assert at.selectbox(key="model_w_model").value == "disc"
    assert at.number_input(key="model_w_threshold").value == -110.0
    assert at.number_input(key="model_w_resolution").value == 20.0
    at.selectbox(key="model_w_model").set_value("uma").run()
    assert not at.exception
    assert any("7 s at 20 m" in i.value for i in at.info)
    assert at.session_state[services.K_MODEL].model == "uma"


def test_compare_page(small):
    at = _app(small)
    at.switch_page("app_pages/compare.py").run()
    assert not at.exception
    assert at.info  # asks for an alternative
    more = pd.read_csv(io.BytesIO(small.data))
    fewer = more.iloc[: len(more) // 2]
    alt = services.InputFile.from_bytes("half_SYNTHETIC.csv", fewer.to_csv(index=False).encode())
    at.session_state[services.K_CANDIDATE] = {"label": "half", "sites": alt, "key": alt.digest}
    at.run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    table = at.dataframe[-1].value
    assert len(table) == 126
    assert (table["Change [points]"] <= 1e-9).all()  # half the cells never add coverage


def test_downloads_page(small):
    at = _app(small)
    at.switch_page("app_pages/downloads.py").run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


def test_downloaded_map_is_self_contained(expected):
    import re

    html = services.map_html(services.standalone_map(expected)).decode("utf-8")
    assert not re.search(r'<script src="https?://', html)
    assert '<script src="data:text/javascript;base64,' in html
    assert "OpenStreetMap contributors" in html


@pytest.mark.slow
def test_overview_opens_on_shipped_sample(counted):
    at = _app(None).run(timeout=600)
    assert not at.exception, at.exception
    assert any("SYNTHETIC" in w.value for w in at.warning)
    expected = run_audit(sample_sites_path("sheet"))
    m = _metrics(at)
    assert m["Population coverage"].value == _pct(expected.summary["population_coverage_pct"])


# --------------------------------------------------------------------------- Plan page


@pytest.fixture(scope="module")
def central_wards() -> services.InputFile:
    """The shipped wards around the small site subset (planning them takes about a second)."""
    from shapely.geometry import box

    from phusong.io.wards import read_wards

    wards = read_wards()
    sel = wards[wards.intersects(box(105.82, 21.015, 105.86, 21.045))]
    assert 5 <= len(sel) <= 20
    return services.InputFile.from_bytes("central_wards.geojson", sel.to_json().encode("utf-8"))


def _direct_plan(sites: services.InputFile, wards: services.InputFile, **kwargs):
    from phusong.plan import run_plan

    return run_plan(sites.open(), wards.open(), **kwargs)


@pytest.fixture
def planned(monkeypatch):
    """Count the app's calls of run_plan (and start from empty caches)."""
    return _spy(monkeypatch, "run_plan")


def _plan_page(sites: services.InputFile, wards: services.InputFile) -> AppTest:
    at = _app(sites)
    at.session_state[services.K_WARDS] = wards
    at.switch_page("app_pages/plan.py").run()
    assert not at.exception, at.exception
    return at


def _signed(x: float) -> str:
    return f"{x:+.2f} points"


def test_plan_page_figures_equal_run_plan(small, central_wards, planned):
    at = _plan_page(small, central_wards)
    assert not at.error, [e.value for e in at.error]
    assert at.info, "the page asks for a press of Propose sites"
    assert not planned, "planning ran before the button was pressed"
    assert at.number_input(key="plan_w_target").value == 99.0  # the sidebar's goal

    at.button(key="plan_run").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert len(planned) == 1
    direct = _direct_plan(small, central_wards, target_pct=99.0).summary
    m = _metrics(at)
    pop_b, pop_a = direct["population_coverage_pct_before"], direct["population_coverage_pct_after"]
    area_b, area_a = direct["area_coverage_pct_before"], direct["area_coverage_pct_after"]
    assert m["Population coverage after"].value == f"{pop_a:.2f} %"
    assert m["Population coverage after"].delta == _signed(pop_a - pop_b)
    assert m["Area coverage after"].value == f"{area_a:.2f} %"
    assert m["Area coverage after"].delta == _signed(area_a - area_b)
    assert m["New sites"].value == f"{direct['n_new_sites']:,}"
    assert direct["n_new_sites"] > 0
    assert m["Re-audit meets the target"].value == ("yes" if direct["meets_target_after"] else "no")
    assert any(direct["note"] == s.value for s in [*at.success, *at.warning])
    assert any("SYNTHETIC" in w.value for w in at.warning)
    # One row per ward; the new sites per ward add up to the proposal.
    table = at.dataframe[-1].value
    assert len(table) == len(json.loads(central_wards.data)["features"])
    assert int(table["New sites"].sum()) <= direct["n_new_sites"]
    assert len(at.get("vega_lite_chart")) == 1  # the curve
    assert len(at.get("download_button")) == 4  # proposed_sites.csv first
    assert len(at.get("component_instance")) == 1  # the map

    # Reruns (a download, another widget) reuse the cached plan.
    at.run()
    assert not at.exception
    assert len(planned) == 1
    # Changed options keep the last figures, say so, and do not recompute ...
    at.number_input(key="plan_w_spacing").set_value(300.0).run()
    assert len(planned) == 1
    assert any("last press" in i.value for i in at.info)
    # ... until Propose is pressed: a budget of 3 sites.
    at.radio(key="plan_w_mode").set_value("budget").run()
    at.number_input(key="plan_w_budget").set_value(3).run()
    at.button(key="plan_run").click().run()
    assert not at.exception, at.exception
    assert len(planned) == 2
    assert planned[-1]["budget"] == 3 and planned[-1]["min_spacing_m"] == 300.0
    direct = _direct_plan(
        small, central_wards, target_pct=99.0, budget=3, min_spacing_m=300.0
    ).summary
    m = _metrics(at)
    assert m["New sites"].value == "3" == str(direct["n_new_sites"])
    assert m["Population coverage after"].value == (
        f"{direct['population_coverage_pct_after']:.2f} %"
    )
    assert m["Re-audit meets the target"].value == "no"


def test_plan_page_send_to_compare(small, central_wards, planned):
    at = _plan_page(small, central_wards)
    at.radio(key="plan_w_mode").set_value("budget").run()
    at.number_input(key="plan_w_budget").set_value(4).run()
    at.button(key="plan_run").click().run()
    assert not at.exception, at.exception
    at.button(key="plan_to_compare").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    slot = at.session_state[services.K_CANDIDATE]
    assert set(slot) == {"label", "sites", "key"}
    frame = slot["sites"]
    assert isinstance(frame, pd.DataFrame)
    direct = _direct_plan(small, central_wards, target_pct=99.0, budget=4)
    n_new = direct.summary["n_new_cells"]
    assert n_new > 0
    assert len(frame) == len(direct.before.sites) + n_new
    assert (frame["site_id"].astype(str).str.startswith("NEW-")).sum() == n_new
    assert "4 proposed sites" in slot["label"]
    # The app is now on Compare, whose alternative is the re-audited network.
    assert any(title.value == "Compare" for title in at.title)
    m = _metrics(at)
    assert m["Alternative"].value == _pct(direct.summary["population_coverage_pct_after"])
    assert len(planned) == 1


def test_plan_page_candidates_upload(small, central_wards, planned):
    """Uploaded positions are what the planner may choose from."""
    lat = [21.021 + 0.004 * i for i in range(10)]
    lon = [105.805 + 0.004 * i for i in range(10)]
    roofs = pd.DataFrame({"name": [f"roof{i}" for i in range(10)], "lat": lat, "lon": lon})
    upload = services.InputFile.from_bytes("roofs.csv", roofs.to_csv(index=False).encode())
    at = _plan_page(small, central_wards)
    at.session_state[services.K_PLAN_CANDIDATES] = upload  # as the uploader's callback does
    at.run()
    assert any("roofs.csv" in c.value for c in at.caption)
    at.button(key="plan_run").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert planned[-1]["candidates"] == upload.path()
    direct = _direct_plan(small, central_wards, target_pct=99.0, candidates=upload.path())
    m = _metrics(at)
    assert m["New sites"].value == f"{direct.summary['n_new_sites']:,}"
    assert m["Population coverage after"].value == (
        f"{direct.summary['population_coverage_pct_after']:.2f} %"
    )
    # Every proposed site stands on one of the ten roofs.
    new = direct.new_sites()
    assert 0 < len(new) <= 10
    d = (new["lat_deg"].to_numpy()[:, None] - pd.Series(lat).to_numpy()) ** 2 + (
        new["lon_deg"].to_numpy()[:, None] - pd.Series(lon).to_numpy()
    ) ** 2
    assert (d.min(axis=1) < 1e-12).all()


def test_plan_page_excluded_zones(small, central_wards, planned):
    """Uploaded zones keep every proposed site out; the app shows what run_plan gives."""
    import geopandas as gpd
    import shapely
    from shapely.geometry import box

    free = _direct_plan(small, central_wards, target_pct=99.0).new_sites()
    assert len(free) > 0
    # a park where the free plan put its first site (so the zone matters)
    lon0, lat0 = float(free["lon_deg"].iloc[0]), float(free["lat_deg"].iloc[0])
    zone = box(lon0 - 0.004, lat0 - 0.004, lon0 + 0.004, lat0 + 0.004)
    zones = services.InputFile.from_bytes(
        "parks.geojson", gpd.GeoSeries([zone], crs="EPSG:4326").to_json().encode("utf-8")
    )
    at = _plan_page(small, central_wards)
    at.session_state[services.K_PLAN_EXCLUDED] = zones  # as the uploader's callback does
    at.run()
    assert any("parks.geojson" in c.value for c in at.caption)
    at.button(key="plan_run").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert planned[-1]["excluded"] == zones.path()
    direct = _direct_plan(small, central_wards, target_pct=99.0, excluded=zones.path())
    assert _metrics(at)["New sites"].value == f"{direct.summary['n_new_sites']:,}"
    new = direct.new_sites()
    assert len(new) > 0
    pts = shapely.points(new["lon_deg"].to_numpy(), new["lat_deg"].to_numpy())
    assert not shapely.intersects(zone, pts).any()


def _zip(members: dict[str, bytes]) -> bytes:
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


JUNK = {
    "sites.xlsx": b"PK\x03\x04 this is no workbook",
    "sites.geojson": b'{"type": "FeatureCollection", "features": [{"type": "Feature"}]}',
    "sites.zip": _zip({"../../escape.csv": b"lat,lon\n21,105\n"}),
    "sites.parquet": b"PAR1 nonsense",
    "sites.csv.gz": b"\x1f\x8b\x08 truncated",
    "empty.csv": b"",
}


@pytest.mark.parametrize("name", sorted(JUNK))
def test_junk_site_files_are_reported_not_crashed(name):
    at = _app(services.InputFile.from_bytes(name, JUNK[name]))
    for page in ("app_pages/data.py", "app_pages/overview.py", "app_pages/downloads.py"):
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)
        assert at.error, f"{page}: a bad file must be reported with st.error"


@pytest.mark.parametrize(
    ("key", "name", "data"),
    [
        (services.K_WARDS, "wards.geojson", b'{"type": "FeatureCollection", "features": []}'),
        (services.K_WARDS, "wards.zip", _zip({"readme.txt": b"no shapefile here"})),
        (services.K_RASTER, "people.tif", b"II*\x00 not a tiff"),
    ],
)
def test_junk_ward_and_raster_files_are_reported_not_crashed(small, key, name, data):
    at = _app(small)
    at.session_state[key] = services.InputFile.from_bytes(name, data)
    for page in ("app_pages/overview.py", "app_pages/downloads.py"):
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)
        assert at.error, f"{page}: a bad file must be reported with st.error"


@pytest.mark.parametrize(
    ("key", "name", "data"),
    [
        (services.K_PLAN_CANDIDATES, "roofs.csv", b"colour,size\nred,3\n"),
        (services.K_PLAN_EXCLUDED, "parks.geojson", b'{"type": "Point", "coordinates": [105, 21]}'),
    ],
)
def test_junk_plan_files_are_reported_not_crashed(small, central_wards, planned, key, name, data):
    at = _plan_page(small, central_wards)
    at.session_state[key] = services.InputFile.from_bytes(name, data)
    at.run()
    at.button(key="plan_run").click().run()
    assert not at.exception, at.exception
    assert at.error, "a bad file must be reported with st.error"
