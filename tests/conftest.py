"""Shared fixtures."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pytest
from hypothesis import settings
from shapely.geometry import box

# Hypothesis: "ci" (the default, used by ./dev test and CI) is derandomised, so
# a run is reproducible and a failure repeats; "explore" draws new examples
# each run (HYPOTHESIS_PROFILE=explore ./dev test -m "not slow").
settings.register_profile("ci", derandomize=True, deadline=None, database=None, print_blob=True)
settings.register_profile("explore", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# A UTM zone that holds Hà Nội: handy for building metric test geometries.
UTM48N = "EPSG:32648"
# Roughly the centre of Hà Nội in UTM 48N [m].
HANOI_X, HANOI_Y = 585_000.0, 2_325_000.0


def start_cli(*args: object, cwd: Path | None = None) -> subprocess.Popen[str]:
    """Start ``python -m phusong.cli ARGS`` (UTF-8, warnings off); see :func:`finish_cli`."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "PYTHONWARNINGS": "ignore"}
    return subprocess.Popen(
        [sys.executable, "-m", "phusong.cli", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        cwd=cwd,
        env=env,
    )


def finish_cli(proc: subprocess.Popen[str]) -> subprocess.CompletedProcess[str]:
    """Wait for a :func:`start_cli` process (10 min at most) and collect its output."""
    out, err = proc.communicate(timeout=600)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def run_cli(*args: object, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m phusong.cli ARGS`` to the end."""
    return finish_cli(start_cli(*args, cwd=cwd))


@pytest.fixture(scope="session")
def hanoi_wards() -> gpd.GeoDataFrame:
    import phusong

    return phusong.read_wards()


@pytest.fixture
def square_ward() -> gpd.GeoDataFrame:
    """One 2 km × 2 km ward centred on (HANOI_X, HANOI_Y) in UTM 48N, 1,000 people."""
    half = 1000.0
    return gpd.GeoDataFrame(
        {"ward_id": ["sq"], "name": ["Phường Vuông"], "population": [1000.0]},
        geometry=[box(HANOI_X - half, HANOI_Y - half, HANOI_X + half, HANOI_Y + half)],
        crs=UTM48N,
    )


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of Debian's chromium, for Playwright (``@pytest.mark.browser`` tests).

    Skips the test when chromium or playwright is missing, except in CI (``CI``
    set), where browser tests must run and a missing one is a failure.
    """
    import shutil
    from pathlib import Path

    path = shutil.which("chromium") or "/usr/bin/chromium"
    missing = [] if Path(path).exists() else [f"chromium not found at {path}"]
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("playwright is not installed")
    if missing:
        if os.environ.get("CI"):
            pytest.fail("; ".join(missing) + " (browser tests must run in CI)")
        pytest.skip("; ".join(missing))
    return path


def pytest_collection_modifyitems(config, items):
    # In CI browser tests must run: a missing chromium is a failure, not a skip.
    os.environ.setdefault("PHUSONG_TESTING", "1")
