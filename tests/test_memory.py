"""Issue #13, item 6: every grid is priced before it is allocated, and refused if it won't fit."""

from __future__ import annotations

import json
import subprocess
import sys

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

import phusong
from phusong.cli import main
from phusong.errors import ConfigError
from phusong.io.system import available_memory_bytes
from phusong.options import AUDIT, cli_label
from phusong.raster.memory import (
    BYTES_PER_PIXEL,
    FIXED_BYTES,
    USABLE_SHARE,
    check_grid_memory,
    finest_resolution_m,
    grid_cost,
    grid_memory_bytes,
    grid_pixels,
)

GB = 2**30


@pytest.fixture(scope="module")
def hanoi(hanoi_wards):
    return hanoi_wards


def test_the_estimate_grows_with_the_pixels_and_the_operators():
    small = grid_memory_bytes(1_000_000, tile_px=256)
    big = grid_memory_bytes(2_000_000, tile_px=256)
    assert big - small == pytest.approx(1_000_000 * BYTES_PER_PIXEL, rel=1e-9)
    assert grid_memory_bytes(1_000_000, operators=5, tile_px=256) > small
    # The tiled route keeps only the tiles in flight: it does not grow with the grid.
    assert grid_memory_bytes(10**9, assembled=False) == grid_memory_bytes(10**8, assembled=False)
    assert grid_memory_bytes(1) >= FIXED_BYTES


def test_pixels_are_those_of_the_grid_the_audit_lays(hanoi):
    from phusong.raster.grid import GridSpec

    spec = GridSpec.for_area(hanoi, resolution_m=100.0)
    assert grid_pixels(hanoi, 100.0) == spec.width * spec.height


def test_a_grid_that_does_not_fit_is_refused_with_amounts_and_the_finest_fit(hanoi):
    with pytest.raises(ConfigError) as info:
        check_grid_memory(hanoi, 1.0, available_bytes=8 * GB)
    err = info.value
    assert err.option == "resolution_m"
    text = err.render(cli_label)
    assert "6,904,367,960 pixels" in text and "GB of memory" in text and "8.0 GB available" in text
    finest = finest_resolution_m(hanoi, available_bytes=8 * GB)
    assert f"--resolution-m {finest:g}" in text and "--route tiled" in text
    assert grid_cost(hanoi, finest, available_bytes=8 * GB).fits
    assert not grid_cost(hanoi, finest - 1, available_bytes=8 * GB).fits
    assert f"resolution_m={finest:g}" in str(err)  # the API's words


def test_unknown_memory_refuses_nothing(hanoi, monkeypatch):
    import phusong.io.system as system

    monkeypatch.setattr(system, "available_memory_bytes", lambda: None)
    cost = check_grid_memory(hanoi, 1.0)
    assert cost.available_bytes is None and cost.fits
    assert finest_resolution_m(hanoi) is None


def test_the_machines_memory_is_read():
    free = available_memory_bytes()
    assert free is None or free > 0


def test_run_audit_refuses_before_allocating(monkeypatch):
    import phusong.io.system as system
    import phusong.raster.grid as grid

    monkeypatch.setattr(system, "available_memory_bytes", lambda: 50 * 2**20)

    def never(*a, **k):
        raise AssertionError("the grid was allocated")

    monkeypatch.setattr(grid, "compute_grid", never)
    wards = gpd.GeoDataFrame(
        {"ward_id": ["a"], "name": ["Phường A"], "population": [10]},
        geometry=[box(105.81, 21.01, 105.83, 21.03)],
        crs="EPSG:4326",
    )
    sites = pd.DataFrame({"lat": [21.02], "lon": [105.82]})
    with pytest.raises(ConfigError, match="needs about"):
        phusong.run_audit(sites, wards, model="fspl", resolution_m=1.0)


def test_option_bounds_are_shared_by_the_api_the_cli_and_the_config(tmp_path):
    low = AUDIT["resolution_m"].low
    with pytest.raises(ConfigError, match="resolution_m"):
        phusong.run_audit(tmp_path / "never.csv", resolution_m=low / 10)
    assert main(["audit", "--sites", "x.csv", "--resolution-m", str(low / 10)]) == 2
    cfg = tmp_path / "a.toml"
    cfg.write_text(f"resolution_m = {low / 10}\n")
    assert main(["audit", "--config", str(cfg), "--sites", "x.csv"]) == 2


def test_cli_refuses_a_grid_too_fine_for_this_machine_with_exit_2(tmp_path, capsys):
    sheet = tmp_path / "s.csv"
    sheet.write_text("lat,lon\n21.0285,105.8542\n")
    code = main(
        ["audit", "--sites", str(sheet), "--model", "fspl", "--resolution-m", "1",
         "--out", str(tmp_path / "out")]
    )  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err
    assert "--resolution-m" in err and "needs about" in err and "resolution_m=" not in err
    assert not (tmp_path / "out").exists()


_MEASURE = """
import json, sys
import phusong
from phusong.io.sites import sample_sites_path

def status(key):
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key):
                return int(line.split()[1]) * 1024

path = sample_sites_path("sheet")
# warm: imports, caches, and every compiled kernel the measured run calls (same resolution,
# two wards only), so that no compilation is counted in the growth
phusong.run_audit(path, phusong.read_wards().head(2), model="fspl", resolution_m=float(sys.argv[1]))
with open("/proc/self/clear_refs", "w") as fh:  # the peak (VmHWM) restarts from here
    fh.write("5")
base = status("VmRSS")
res = phusong.run_audit(path, model="fspl", resolution_m=float(sys.argv[1]))
peak = status("VmHWM")
print(json.dumps({"growth": peak - base, "operators": int(res.sites["operator"].nunique())}))
"""


@pytest.mark.slow
def test_the_estimate_is_not_below_the_measured_peak(hanoi):
    """The estimate bounds the real growth of the resident memory, within a factor 3."""
    res = 100.0
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(res)], capture_output=True, text=True, timeout=900
    )
    assert out.returncode == 0, out.stderr
    measured = json.loads(out.stdout.strip().splitlines()[-1])
    estimate = grid_memory_bytes(grid_pixels(hanoi, res), operators=measured["operators"])
    assert measured["growth"] <= estimate <= 3 * max(measured["growth"], FIXED_BYTES)
    assert USABLE_SHARE < 1
