"""The whole app in a real browser, in Vietnamese: Debian's chromium driven by Playwright.

Starts ``streamlit run app/server.py`` on a free port (the server computes
the default audit at start-up) and walks through what a planner does, at
desktop size (1440×900) and on a phone (390×844): the Overview and its
verdict, a click on a ward, the goal slider, a bad upload that keeps the
previous data, a good upload, a plan, Compare, and the ZIP of every output.

Timings (first map on a cold server, with an empty disk cache and after a
restart that finds the default audit in it; a new session on a warm server;
the goal slider) are measured and written to ``tests/artifacts/timings.txt``
with the machine's load; they are never part of pass/fail (machines differ). Screenshots go to
``tests/artifacts/`` (git-ignored), never over tracked files; the README's
screenshots are copied from there by hand after looking at them.
"""

from __future__ import annotations

import contextlib
import io
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pandas as pd
import pytest

try:
    from playwright.sync_api import Error as PlaywrightError
except ImportError:  # no playwright: the chromium fixture skips these tests
    PlaywrightError = Exception  # type: ignore[misc,assignment]

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: A cold start computes the default audit of the whole sample network.
FIRST_MAP_TIMEOUT_MS = 600_000
MAP_IFRAME = 'iframe[title="wardmap.phusong_wardmap"]'
GOAL_IFRAME = 'iframe[title="wardmap.phusong_goal"]'
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Timings:
    """Measured times [s], written to ``tests/artifacts/timings.txt`` as they come."""

    def __init__(self) -> None:
        self.path = ARTIFACTS / "timings.txt"
        load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",)
        self.path.write_text(f"machine load at start (1 min): {load[0]}\n")

    def add(self, what: str, seconds: float, note: str = "") -> None:
        with self.path.open("a") as fh:
            fh.write(f"{what}: {seconds:.2f} s{(' ' + note) if note else ''}\n")


@pytest.fixture(scope="module")
def timings() -> Timings:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return Timings()


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory) -> Path:
    """The app's disk cache of the default audit, empty at first (``PHUSONG_APP_CACHE``)."""
    return tmp_path_factory.mktemp("app-cache")


@contextlib.contextmanager
def _server(cache: Path, log_name: str):
    """A new server process (``app/server.py``, its warm-up hook): ``{"url", "started"}``."""
    port = _free_port()
    streamlit = Path(sys.executable).with_name("streamlit")
    cmd = [
        str(streamlit) if streamlit.exists() else sys.executable,
        *([] if streamlit.exists() else ["-m", "streamlit"]),
        "run",
        "app/server.py",
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",  # an edit elsewhere in the tree must not stop a walkthrough
        "none",
    ]
    log = open(ARTIFACTS / log_name, "wb")  # closed in the finally below
    env = {**os.environ, "PHUSONG_LANG": "vi", "PHUSONG_APP_CACHE": str(cache)}
    started = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"streamlit exited with {proc.returncode}; see {ARTIFACTS / log_name}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("streamlit did not become healthy within 60 s")
            time.sleep(0.2)
        yield {"url": url, "started": started}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)
        log.close()


@pytest.fixture(scope="module")
def server(cache_dir, first_maps):
    """A server for the walk-throughs (started after the cold-start measurements)."""
    with _server(cache_dir, "server.log") as srv:
        yield srv


@pytest.fixture(scope="module")
def browser(server, chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, timeout=60_000)
        try:
            yield b
        finally:
            b.close()


def _page(browser, size: dict, *, phone: bool = False):
    context = browser.new_context(
        viewport=size,
        is_mobile=phone,
        has_touch=phone,
        device_scale_factor=2 if phone else 1,
        accept_downloads=True,
        locale="vi-VN",
    )
    page = context.new_page()
    page.set_default_timeout(120_000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.errors = errors  # type: ignore[attr-defined]
    return page


def _wait_map(page, timeout_ms: int = 120_000):
    """Wait until the map has drawn its wards; return its frame."""
    page.locator(MAP_IFRAME).first.wait_for(timeout=timeout_ms)
    frame = page.frame_locator(MAP_IFRAME).first
    frame.locator(".leaflet-overlay-pane canvas").first.wait_for(timeout=timeout_ms)
    handle = page.locator(MAP_IFRAME).first.element_handle().content_frame()
    deadline = time.monotonic() + timeout_ms / 1000
    while not handle.evaluate("() => window.phusongStyled && window.phusongStyled() > 0"):
        if time.monotonic() > deadline:
            raise AssertionError("the map never drew its wards")
        time.sleep(0.05)
    return handle


def _verdict(page) -> str:
    return page.locator(".st-key-verdict h3").first.inner_text()


def _shot(page, name: str, full: bool = False) -> None:
    page.wait_for_timeout(800)
    page.screenshot(path=str(ARTIFACTS / name), full_page=full)


def _frame(page):
    """The map's frame (looked up afresh: reruns may replace it)."""
    return page.locator(MAP_IFRAME).first.element_handle().content_frame()


_NAN = float("nan")


def _live_map(page, timeout_s: float = 120.0):
    """The map's frame once its wards are drawn, looked up again if a rerun replaced it."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            frame = _frame(page)
            if frame is not None and frame.evaluate(
                "() => !!window.phusongStyled && window.phusongStyled() > 0"
            ):
                return frame
        except PlaywrightError:
            pass  # detached while we looked: look again
        if time.monotonic() > deadline:
            raise AssertionError("the map never drew its wards")
        time.sleep(0.1)


def _map_colours(frame) -> tuple[dict, dict]:
    """(values by ward id in id order, fill colours by ward id) read from the map."""
    values = frame.evaluate("() => window.phusongValues()")
    fills = frame.evaluate("() => window.phusongFills()")
    return {i: values[i] for i in sorted(values)}, fills


def _click_ward(page, ward_id: str, name: str, shot: str) -> None:
    """Click a ward on the map where its name is written; wait for its highlight and figures."""
    page.locator(MAP_IFRAME).first.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    frame = _frame(page)
    x, y = frame.evaluate("(id) => window.phusongWardPoint(id)", ward_id)
    box = page.locator(MAP_IFRAME).first.bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)
    try:
        frame.wait_for_function(
            "(id) => window.phusongSelected() === id", arg=ward_id, timeout=30_000
        )
        page.locator("h3", has_text=name).first.wait_for(timeout=180_000)
    except Exception:
        page.screenshot(path=str(ARTIFACTS / f"failed-{shot}"))
        raise
    _shot(page, shot)


def _a_ward(frame) -> tuple[str, str]:
    """(id, name) of the ward nearest the middle of the map, other than the selected one."""
    ward_id, name = frame.evaluate(
        """() => {
            var m = window.phusongMap(), found = null, best = 1e12, c = m.getCenter();
            m.eachLayer(function (l) {
                if (!l.feature || l.feature.properties.id === window.phusongSelected()) { return; }
                var d = l.getBounds().getCenter().distanceTo(c);
                if (d < best) { best = d; found = [l.feature.properties.id, l.feature.properties.name]; }
            });
            return found;
        }"""
    )
    return str(ward_id), str(name)


def _sites_csv(tmp_path: Path, *, bad_rows: bool) -> Path:
    from phusong.io.sites import sample_sites_path

    df = pd.read_csv(sample_sites_path("sheet"))
    sub = df[df["lat"].between(21.015, 21.045) & df["lon"].between(105.82, 105.86)].head(30)
    if bad_rows:
        sub = sub.astype({"lat": "object", "lon": "object"})
        sub.iloc[3, sub.columns.get_loc("lat")] = "abc"  # not a number
        sub.iloc[7, sub.columns.get_loc("lat")] = 48.85  # Paris
        sub.iloc[7, sub.columns.get_loc("lon")] = 2.35
    path = tmp_path / "my_sites_SYNTHETIC.csv"  # cut from the synthetic sample: it says so
    sub.to_csv(path, index=False)
    return path


def _wait_log(path: Path, text: str, timeout_s: float = 900) -> None:
    """Wait until the server's log says ``text`` (the warm-up's steps are logged)."""
    deadline = time.monotonic() + timeout_s
    while text not in path.read_text(errors="replace"):
        if time.monotonic() > deadline:
            raise AssertionError(f"{path.name} never said {text!r}")
        time.sleep(0.5)


@pytest.fixture(scope="module")
def first_maps(cache_dir, timings, chromium):
    """First map on a cold server: with an empty disk cache, then after a restart.

    A fresh process each time; the first one computes the default audit (and
    stores it in the disk cache), the second loads it from there.
    """
    from playwright.sync_api import sync_playwright

    measured = {}
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, timeout=60_000)
        try:
            for label, log in (("empty disk cache", "server-cold.log"), ("restart, disk cache", "server-restart.log")):  # fmt: skip
                with _server(cache_dir, log) as srv:
                    page = _page(b, DESKTOP)
                    t0 = time.monotonic()
                    page.goto(srv["url"], wait_until="domcontentloaded")
                    _wait_map(page, FIRST_MAP_TIMEOUT_MS)
                    now = time.monotonic()
                    measured[label] = now - t0
                    timings.add(
                        f"first map, cold server, {label} (from the page request)", now - t0
                    )
                    timings.add(f"first map, cold server, {label} (from the server's start)", now - srv["started"])  # fmt: skip
                    page.context.close()
                    _wait_log(ARTIFACTS / log, "warm-up: estimate ready")  # now stored on disk
        finally:
            b.close()
    return measured


def test_first_map_on_a_cold_server(first_maps):
    """Both cold starts drew the map (their times are in timings.txt)."""
    assert set(first_maps) == {"empty disk cache", "restart, disk cache"}


def test_desktop_walkthrough(server, browser, timings, tmp_path):
    """Overview → a ward → the goal slider → a bad and a good upload → plan → compare → ZIP."""
    page = _page(browser, DESKTOP)
    t0 = time.monotonic()
    page.goto(server["url"], wait_until="domcontentloaded")
    frame = _wait_map(page, FIRST_MAP_TIMEOUT_MS)
    timings.add("first map, third cold server, disk cache (from the page request)", time.monotonic() - t0)  # fmt: skip

    # The verdict: one sentence, in Vietnamese, with the sites it would take.
    page.get_by_text("trạm mới").first.wait_for(timeout=FIRST_MAP_TIMEOUT_MS)
    verdict = _verdict(page)
    assert "Chưa đạt" in verdict and "mục tiêu 99" in verdict and "người" in verdict, verdict
    page.wait_for_function(
        "() => !document.body.innerText.includes('đang ước tính')", timeout=FIRST_MAP_TIMEOUT_MS
    )
    verdict = _verdict(page)
    assert "trạm mới" in verdict, verdict
    body = page.locator("body").inner_text()
    assert "GIẢ LẬP" in body and "Hà Nội" in body
    # Above the fold: the verdict and the five wards that need most.
    needs = page.locator('[data-testid="stDataFrame"]').first
    assert needs.bounding_box()["y"] + needs.bounding_box()["height"] <= DESKTOP["height"]
    assert page.locator(".st-key-verdict h3").first.bounding_box()["y"] < DESKTOP["height"] / 2
    # Inside the map: legend, attribution, synthetic banner.
    inner = page.frame_locator(MAP_IFRAME).first
    assert inner.locator(".pm-legend").count() == 1
    assert (
        "OpenStreetMap contributors" in inner.locator(".leaflet-control-attribution").inner_text()
    )
    assert inner.locator(".pm-synthetic").count() == 1
    _shot(page, "overview-desktop.png")
    _shot(page, "overview-desktop-full.png", full=True)

    # A click on a ward highlights it and shows its figures.
    ward_id, name = _a_ward(_frame(page))
    _click_ward(page, ward_id, name, "ward-click-desktop.png")
    frame = _frame(page)

    # The goal slider recolours the map in the browser at once (no new map, nothing sent
    # from the server), then the verdict follows from the server — both timed.
    from phusong.output.maps import goal_colours

    slider = page.frame_locator(GOAL_IFRAME).first.locator('input[type="range"]')
    to_map, to_text = [], []
    remounts = 0  # moves after which the map was a new one (a new iframe)
    target = 99.0
    for _ in range(6):
        before_verdict = _verdict(page)
        frame = _live_map(page)
        before_styled = frame.evaluate("() => window.phusongStyled()")
        slider.focus()
        t1 = time.monotonic()
        slider.press("ArrowLeft")
        try:
            frame.wait_for_function("(n) => window.phusongStyled() > n", arg=before_styled)
            to_map.append(time.monotonic() - t1)
        except PlaywrightError:
            if not frame.is_detached():
                raise
        page.wait_for_function(
            "(v) => { const h = document.querySelector('.st-key-verdict h3');"
            " return h && h.innerText !== v; }",
            arg=before_verdict,
            timeout=60_000,
        )
        to_text.append(time.monotonic() - t1)
        target -= 0.5
        remounts += frame.is_detached()
        # the browser's colours (the same map, or a new one drawn by the server's answer)
        # are the library's for the new target
        frame = _live_map(page)
        ids, fills = _map_colours(frame)
        expected = goal_colours([_NAN if v is None else v for v in ids.values()], target)
        assert [fills[i] for i in ids] == list(expected)
    assert "96" in _verdict(page)  # six steps of 0.5 points down from 99 %
    # The map recolours itself: a move never asks the server for a new map. Streamlit's
    # frontend may still mount the component anew now and then when a full-page rerun
    # crosses a fragment's (seen once in CI, never here); a map rebuilt by every move
    # (the geometry key following the goal, say) fails this.
    assert remounts <= 1 and len(to_map) >= 5, (remounts, to_map)
    timings.add(
        "goal slider → map recoloured, median of 6 moves (in the browser)",
        statistics.median(to_map),
        f"(all: {', '.join(f'{x:.2f}' for x in to_map)}; a new map after {remounts} move(s))",
    )
    timings.add(
        "goal slider → new verdict from the server, median of 6 moves",
        statistics.median(to_text),
        f"(all: {', '.join(f'{x:.2f}' for x in to_text)})",
    )

    # Data page: a file that cannot be used keeps the data in use and says so.
    page.get_by_role("link", name="Dữ liệu").first.click()
    page.get_by_text("Tải lên dữ liệu mạng của bạn").wait_for()
    upload = page.locator('[data-testid="stFileUploader"] input[type="file"]').first
    junk = tmp_path / "hong.csv"
    junk.write_bytes(b"\x00\x01\x02 not a table \xff\xfe")
    upload.set_input_files(str(junk))
    page.get_by_text("Không dùng được tệp").first.wait_for(timeout=120_000)
    assert "Vẫn đang dùng" in page.locator("body").inner_text()
    _shot(page, "data-bad-upload-desktop.png")
    # ... and a good file (two bad rows) is used, with its preview map.
    upload.set_input_files(str(_sites_csv(tmp_path, bad_rows=True)))
    page.get_by_text("Các dòng bị loại").first.wait_for(timeout=120_000)
    _wait_map(page)
    metrics = _metrics(page)
    assert metrics.get("Bị loại") == "2", metrics
    assert metrics.get("Hợp lệ") == "28", metrics
    _shot(page, "data-upload-desktop.png", full=True)

    # Plan: the best 10 new sites, with progress; the sites are drawn on the map.
    page.get_by_role("link", name="Quy hoạch trạm").first.click()
    page.get_by_text("Tốt nhất với N trạm mới").click()
    page.get_by_role("spinbutton", name="Số trạm mới (tối đa)").wait_for()
    page.get_by_role("button", name="Đề xuất trạm mới").click()
    # the results' own heading (the page's intro also says "kết quả")
    page.get_by_role("heading", name="Kết quả", exact=True).wait_for(timeout=FIRST_MAP_TIMEOUT_MS)
    _wait_map(page)
    metrics = _metrics(page)
    assert 1 <= int(metrics["Trạm mới"].replace(".", "")) <= 10, metrics
    assert "Phường, xã đạt mục tiêu" in metrics
    page.locator(MAP_IFRAME).first.scroll_into_view_if_needed()
    _shot(page, "plan-desktop.png")
    assert not [e for e in page.errors if "Uncaught" in e], page.errors

    # Compare: both sides named.
    page.get_by_role("button", name="So sánh với mạng đang dùng").click()
    page.get_by_role("heading", name="So sánh").first.wait_for(timeout=300_000)
    _wait_map(page, FIRST_MAP_TIMEOUT_MS)
    body = page.locator("body").inner_text()
    assert "Hiện trạng:" in body and "Phương án:" in body and "my_sites_SYNTHETIC.csv" in body
    assert "trạm đề xuất" in body
    _shot(page, "compare-desktop.png")

    # Downloads: the ZIP of everything, flagged SYNTHETIC; two downloads in a row both work.
    page.get_by_role("link", name="Tải về").first.click()
    page.get_by_text("Tất cả trong một tệp").wait_for(timeout=300_000)
    with page.expect_download(timeout=120_000) as got:
        page.get_by_role("button", name="Tải tệp ZIP").click()
    bundle = got.value
    assert bundle.suggested_filename.startswith("phusong_audit_")
    assert bundle.suggested_filename.endswith("_SYNTHETIC.zip")
    members = zipfile.ZipFile(io.BytesIO(Path(bundle.path()).read_bytes())).namelist()
    assert members and all("_SYNTHETIC" in m for m in members), members
    with page.expect_download(timeout=120_000) as report:
        page.get_by_role("button", name="Báo cáo (HTML)").click()
    with page.expect_download(timeout=120_000) as map_file:
        page.get_by_role("button", name="Bản đồ (HTML)").click()
    assert report.value.suggested_filename == "report_SYNTHETIC.html"
    assert map_file.value.suggested_filename == "map_SYNTHETIC.html"
    assert Path(map_file.value.path()).stat().st_size > 10_000
    _shot(page, "downloads-desktop.png")
    page.context.close()


def _metrics(page) -> dict[str, str]:
    out = {}
    for box in page.locator('[data-testid="stMetric"]').all():
        label = box.locator('[data-testid="stMetricLabel"]').inner_text().strip()
        out[label] = box.locator('[data-testid="stMetricValue"]').inner_text().strip()
    return out


def test_new_session_on_a_warm_server(server, browser, timings):
    """A new visitor on a warm server: nothing is computed again."""
    page = _page(browser, DESKTOP)
    page.goto(server["url"], wait_until="domcontentloaded")
    _wait_map(page, FIRST_MAP_TIMEOUT_MS)  # make sure the server is warm
    page.context.close()
    runs = []
    for _ in range(3):
        page = _page(browser, DESKTOP)
        t0 = time.monotonic()
        page.goto(server["url"], wait_until="domcontentloaded")
        _wait_map(page)
        runs.append(time.monotonic() - t0)
        page.context.close()
    timings.add(
        "first map, new session on a warm server (median of 3)",
        statistics.median(runs),
        f"(all: {', '.join(f'{x:.2f}' for x in runs)})",
    )


def test_phone_walkthrough(server, browser, tmp_path):
    """390×844: the verdict first, no sidebar over the page, the map usable, the plan usable."""
    page = _page(browser, PHONE, phone=True)
    page.goto(server["url"], wait_until="domcontentloaded")
    _wait_map(page, FIRST_MAP_TIMEOUT_MS)
    page.wait_for_function(
        "() => !document.body.innerText.includes('đang ước tính')", timeout=FIRST_MAP_TIMEOUT_MS
    )
    # The sidebar does not cover the page; the verdict is on the first screen.
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert sidebar.count() == 0 or sidebar.get_attribute("aria-expanded") != "true"
    verdict = page.locator(".st-key-verdict h3").first
    assert verdict.bounding_box()["y"] < PHONE["height"]
    assert "Chưa đạt" in verdict.inner_text()
    _shot(page, "overview-phone.png")
    # The legend starts folded (it would cover the map); the ward column stays in sight.
    inner = page.frame_locator(MAP_IFRAME).first
    assert "collapsed" in (inner.locator(".pm-legend").get_attribute("class") or "")
    ward_id, name = _a_ward(_frame(page))
    _click_ward(page, ward_id, name, "ward-click-phone.png")
    _shot(page, "overview-phone-full.png", full=True)
    # Navigation: the page menu, then the Plan page; no sidebar left open.
    page.goto(server["url"] + "/plan", wait_until="domcontentloaded")
    page.get_by_role("button", name="Đề xuất trạm mới").wait_for(timeout=120_000)
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert sidebar.count() == 0 or sidebar.get_attribute("aria-expanded") != "true"
    _shot(page, "plan-phone.png")
    page.context.close()


def test_cli_map_works_offline(browser, tmp_path):
    """``map.html`` opens from disk with every network request refused (tiles aside, nothing is missing)."""
    import phusong
    from phusong.io.outputs import write_outputs
    from phusong.io.sites import sample_sites_path

    result = phusong.run_audit(sample_sites_path("sheet"), model="disc")
    paths = write_outputs(result, tmp_path / "audit")
    context = browser.new_context(viewport={"width": 1200, "height": 900})
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
