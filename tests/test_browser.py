"""The whole app in a real browser: Debian's chromium driven by Playwright.

Starts ``streamlit run app/streamlit_app.py`` on a free port, opens the
overview (map and headline figures), uploads a sites file with bad rows on the
Data page and checks the validation report, then plans 10 new sites and sends
them to Compare. Screenshots go to ``tests/artifacts/`` (git-ignored), never
over tracked files; the README's screenshots are copied from there by hand
after looking at them.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Cold start computes the default audit of the whole sample network.
FIRST_MAP_TIMEOUT_MS = 300_000


def _need_browser():
    missing = []
    if not Path(CHROMIUM).exists():
        missing.append(f"chromium not found at {CHROMIUM}")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("playwright is not installed")
    if missing:
        if os.environ.get("CI"):
            pytest.fail("; ".join(missing) + " (browser tests must run in CI)")
        pytest.skip("; ".join(missing))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    _need_browser()
    port = _free_port()
    streamlit = Path(sys.executable).with_name("streamlit")
    cmd = [
        str(streamlit) if streamlit.exists() else sys.executable,
        *([] if streamlit.exists() else ["-m", "streamlit"]),
        "run",
        "app/streamlit_app.py",
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--browser.gatherUsageStats",
        "false",
    ]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = open(ARTIFACTS / "server.log", "wb")  # closed in the finally below
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(
                    f"streamlit exited with {proc.returncode}; see {ARTIFACTS / 'server.log'}"
                )
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("streamlit did not become healthy within 60 s")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)
        log.close()


@pytest.fixture(scope="module")
def page(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=60_000)
        try:
            context = browser.new_context(viewport={"width": 1440, "height": 1100})
            pg = context.new_page()
            pg.set_default_timeout(60_000)
            yield pg
        finally:
            browser.close()


def _bad_csv(tmp_path: Path) -> Path:
    from phusong.io.sites import sample_sites_path

    df = pd.read_csv(sample_sites_path("sheet"))
    sub = df[df["lat"].between(21.015, 21.045) & df["lon"].between(105.82, 105.86)].head(30)
    sub = sub.astype({"lat": "object", "lon": "object"})
    sub.iloc[3, sub.columns.get_loc("lat")] = "abc"  # not a number
    sub.iloc[7, sub.columns.get_loc("lat")] = 48.85  # Paris
    sub.iloc[7, sub.columns.get_loc("lon")] = 2.35
    path = tmp_path / "my_sites.csv"
    sub.to_csv(path, index=False)
    return path


def test_overview_then_upload(server, page, tmp_path):
    t0 = time.monotonic()
    page.goto(server, wait_until="domcontentloaded")
    frame = page.frame_locator('iframe[title="streamlit_folium.st_folium"]')
    frame.locator(".leaflet-container").first.wait_for(timeout=FIRST_MAP_TIMEOUT_MS)
    frame.locator(".leaflet-overlay-pane canvas, .leaflet-overlay-pane path").first.wait_for(
        timeout=60_000
    )
    first_map_s = time.monotonic() - t0
    # Headline figures.
    values = page.locator('[data-testid="stMetricValue"]')
    assert values.count() >= 4
    assert "%" in values.nth(0).inner_text()
    labels = page.locator('[data-testid="stMetricLabel"]').all_inner_texts()
    assert any("Population coverage" in x for x in labels)
    body = page.locator("body").inner_text()
    assert "SYNTHETIC" in body
    assert "Hà Nội" in body
    # Inside the map: legend, attribution, synthetic banner.
    frame.locator(".phusong-legend").wait_for(timeout=30_000)
    frame.locator(".phusong-synthetic").wait_for(timeout=30_000)
    assert frame.locator(".phusong-legend").count() == 1
    assert (
        "OpenStreetMap contributors" in frame.locator(".leaflet-control-attribution").inner_text()
    )
    assert frame.locator(".phusong-synthetic").count() == 1
    page.wait_for_timeout(1500)  # let tiles (if reachable) and fonts settle
    page.screenshot(path=str(ARTIFACTS / "overview.png"), full_page=True)
    (ARTIFACTS / "timings.txt").write_text(f"first map {first_map_s:.1f} s\n")

    # Warm rerun: the goal slider answers without recomputing coverage.
    page.goto(server, wait_until="domcontentloaded")
    t1 = time.monotonic()
    frame = page.frame_locator('iframe[title="streamlit_folium.st_folium"]')
    frame.locator(".leaflet-container").first.wait_for(timeout=60_000)
    warm_s = time.monotonic() - t1
    with (ARTIFACTS / "timings.txt").open("a") as fh:
        fh.write(f"map on a warm server {warm_s:.1f} s\n")

    # Data page: upload a CSV with two bad rows.
    page.get_by_role("link", name="Data").first.click()
    page.get_by_text("Upload your own network").wait_for()
    upload = page.locator('[data-testid="stFileUploader"] input[type="file"]').first
    upload.set_input_files(str(_bad_csv(tmp_path)))
    page.get_by_text("Rejected rows").wait_for(timeout=120_000)
    page.get_by_text("Download the validation report (CSV)").wait_for(timeout=60_000)
    page.wait_for_timeout(1000)
    metrics = {}
    for box in page.locator('[data-testid="stMetric"]').all():
        label = box.locator('[data-testid="stMetricLabel"]').inner_text().strip()
        metrics[label] = box.locator('[data-testid="stMetricValue"]').inner_text().strip()
    assert metrics.get("Rejected") == "2", metrics
    assert metrics.get("Accepted") == "28", metrics
    assert page.get_by_text("Download the validation report (CSV)").count() == 1
    page.screenshot(path=str(ARTIFACTS / "data-upload.png"), full_page=True)


def test_plan_then_compare(server, page):
    """A planner asks for the best 10 new sites, sees them on the map, sends them to Compare."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server, wait_until="domcontentloaded")
    page.get_by_role("link", name="Plan").first.click()
    page.get_by_text("Plan new sites").first.wait_for()
    page.get_by_text("Best coverage with a budget of N sites").click()
    page.get_by_role("spinbutton", name="Budget [new sites]").wait_for()
    page.get_by_role("button", name="Propose sites").click()
    frame = page.frame_locator('iframe[title="streamlit_folium.st_folium"]')
    frame.locator(".leaflet-container").first.wait_for(timeout=FIRST_MAP_TIMEOUT_MS)
    # the proposed sites are drawn (orange circles) and listed in the layer control
    frame.locator(".leaflet-overlay-pane path, .leaflet-overlay-pane canvas").first.wait_for(
        timeout=60_000
    )
    assert "Proposed new sites" in frame.locator(".leaflet-control-layers").text_content()
    assert "OpenStreetMap contributors" in (
        frame.locator(".leaflet-control-attribution").inner_text()
    )
    metrics = {}
    for box in page.locator('[data-testid="stMetric"]').all():
        label = box.locator('[data-testid="stMetricLabel"]').inner_text().strip()
        metrics[label] = box.locator('[data-testid="stMetricValue"]').inner_text().strip()
    assert 1 <= int(metrics["New sites"].replace(",", "")) <= 10, metrics
    page.locator('iframe[title="streamlit_folium.st_folium"]').scroll_into_view_if_needed()
    page.wait_for_timeout(1500)
    page.screenshot(path=str(ARTIFACTS / "plan.png"))
    js = [e for e in errors if "setZIndex" in e or "Uncaught" in e]
    assert not js, js

    page.get_by_role("button", name="Send to Compare").click()
    page.get_by_role("heading", name="Compare").first.wait_for(timeout=120_000)
    frame = page.frame_locator('iframe[title="streamlit_folium.st_folium"]')
    frame.locator(".leaflet-container").first.wait_for(timeout=FIRST_MAP_TIMEOUT_MS)
    body = page.locator("body").inner_text()
    assert "proposed sites (budget of 10 sites)" in body, body[:2000]
    page.locator('iframe[title="streamlit_folium.st_folium"]').scroll_into_view_if_needed()
    page.wait_for_timeout(1000)
    page.screenshot(path=str(ARTIFACTS / "compare-plan.png"))


def test_cli_map_works_offline(page, tmp_path):
    """``map.html`` opens from disk with every network request refused (tiles aside, nothing is missing)."""
    import phusong
    from phusong.io.outputs import write_outputs
    from phusong.io.sites import sample_sites_path

    paths = write_outputs(phusong.run_audit(sample_sites_path("sheet")), tmp_path / "audit")
    context = page.context.browser.new_context(viewport={"width": 1200, "height": 900})
    try:
        refused: list[str] = []

        def refuse(route):
            refused.append(route.request.url)
            route.abort()

        context.route("http*://**/*", refuse)
        errors: list[str] = []
        offline = context.new_page()
        offline.on("pageerror", lambda e: errors.append(str(e)))
        offline.goto(paths["map.html"].as_uri(), wait_until="load")
        offline.locator(".leaflet-container").wait_for(timeout=60_000)
        offline.locator(".leaflet-overlay-pane path, .leaflet-overlay-pane canvas").first.wait_for(
            timeout=60_000
        )
        offline.locator(".phusong-legend").wait_for(timeout=30_000)
        assert (
            "OpenStreetMap contributors"
            in offline.locator(".leaflet-control-attribution").inner_text()
        )
        assert not errors, errors
        # the only requests that went out were background tiles
        assert all("tile.openstreetmap.org" in u for u in refused), refused[:5]
        offline.wait_for_timeout(500)
        offline.screenshot(path=str(ARTIFACTS / "cli-map-offline.png"))
    finally:
        context.close()
