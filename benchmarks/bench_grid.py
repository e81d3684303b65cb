"""Benchmark the grid engine on all of Hà Nội at 20 m with ~10,000 SYNTHETIC sectors.

Run as a script::

    python benchmarks/bench_grid.py [--sites 3334] [--resolution 20] [--repeats 3]

What it measures, in one process, with interleaved repeats (bare kernel,
grid step, whole audit, bare kernel, …) and their **medians** (never the
best of N), the machine's load average printed beside every figure:

* **bare kernel** — the baseline: a windowed numpy best-server kernel. For
  each site, a window out to its −110 dBm boresight range; path loss
  (:func:`phusong.propagation.path_loss_db`, UMa NLOS) and bearing once per
  site, the horizontal antenna pattern for each of its sectors and
  ``np.maximum`` into the grid. No SINR, no server counts, no per-ward sums.
* **grid step** — :func:`phusong.raster.grid.compute_grid` (model
  ``uma_nlos``, default link budget, −110 dBm): best-server RSRP, serving
  cell and site, server counts per operator, co-channel SINR counting every
  interferer down to the noise floor; compiled engine, ``--workers`` threads.
* **whole audit** — :func:`phusong.audit.run_audit` on the same site table
  (``model="uma"``, 20 m): validation, the grid step, exact per-ward sums,
  gap polygons and the goal verdict.
* their ratios, cell-pixel ("site-pixel") evaluations per CPU-second (=
  per core), the process's peak memory after each first run, and the
  compiled kernel's first-call cost on a cold on-disk cache (measured in a
  fresh subprocess with an empty cache folder) and on a warm one.

The site table is SYNTHETIC: 3 sectors per site, positions drawn from a seeded
generator, 60 % around the old quarter (Gaussian, σ = 5 km) and 40 % uniform
over the wards, operators/bands as auctioned (Viettel n41 2.6 GHz, VinaPhone
n78 3.75 GHz, MobiFone n77 3.85 GHz, 100 MHz carriers).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

import phusong
from phusong.propagation import LinkBudget, max_range_m, n_rb_for, path_loss_db
from phusong.raster.grid import GridSpec, compute_grid
from phusong.schema import WGS84

OPERATORS = {  # operator: (share, frequency MHz)
    "Viettel": (0.5, 2600.0),
    "VinaPhone": (0.3, 3750.0),
    "MobiFone": (0.2, 3850.0),
}


def synthetic_sites(wards: gpd.GeoDataFrame, n_sites: int, seed: int = 58) -> pd.DataFrame:
    """SYNTHETIC 3-sector sites inside the wards, denser towards the centre."""
    rng = np.random.default_rng(seed)
    crs = phusong.geo.equal_area_crs(wards)
    union = shapely.union_all(wards.to_crs(crs).geometry.to_numpy())
    shapely.prepare(union)
    to_m = Transformer.from_crs(WGS84, crs, always_xy=True)
    cx, cy = to_m.transform(105.852, 21.028)  # Hoàn Kiếm
    minx, miny, maxx, maxy = union.bounds
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    n_centre = int(0.6 * n_sites)
    while sum(map(len, xs)) < n_sites:
        k = 4 * n_sites
        central = sum(map(len, xs)) < n_centre
        if central:
            x = rng.normal(cx, 5000.0, k)
            y = rng.normal(cy, 5000.0, k)
        else:
            x = rng.uniform(minx, maxx, k)
            y = rng.uniform(miny, maxy, k)
        inside = shapely.contains_xy(union, x, y)
        need = (n_centre if central else n_sites) - sum(map(len, xs))
        xs.append(x[inside][:need])
        ys.append(y[inside][:need])
    x, y = np.concatenate(xs), np.concatenate(ys)
    lon, lat = Transformer.from_crs(crs, WGS84, always_xy=True).transform(x, y)
    names = list(OPERATORS)
    op = rng.choice(len(names), n_sites, p=[OPERATORS[o][0] for o in names])
    first_az = rng.uniform(0.0, 120.0, n_sites)
    rows = {
        "site_id": np.repeat([f"S{i:05d}" for i in range(n_sites)], 3),
        "cell_id": [f"S{i:05d}-{k}" for i in range(n_sites) for k in range(3)],
        "operator": np.repeat(np.array(names)[op], 3),
        "radio": "NR",
        "lon_deg": np.repeat(lon, 3),
        "lat_deg": np.repeat(lat, 3),
        "azimuth_deg": (np.repeat(first_az, 3) + np.tile([0.0, 120.0, 240.0], n_sites)) % 360.0,
        "beamwidth_deg": 65.0,
        "tilt_deg": np.repeat(rng.uniform(3.0, 8.0, n_sites), 3),
        "height_m": np.repeat(rng.uniform(20.0, 40.0, n_sites), 3),
        "eirp_dbm": np.repeat(rng.uniform(61.0, 66.0, n_sites), 3),
        "frequency_mhz": np.repeat(np.array([OPERATORS[o][1] for o in names])[op], 3),
        "bandwidth_mhz": 100.0,
        "range_m": 1000.0,
    }
    frame = pd.DataFrame(rows)
    frame.attrs["synthetic"] = True
    return frame


def bare_kernel(sites: pd.DataFrame, grid: GridSpec, budget: LinkBudget) -> tuple[np.ndarray, int]:
    """The baseline: windowed numpy best-server RSRP, nothing else.

    Per site: a window out to its −110 dBm boresight range (the largest of
    its sectors), path loss and bearing once, then per sector the horizontal
    pattern −min(12 (φ/φ3dB)², 30) and ``np.maximum`` into the grid.
    Returns the best RSRP [dBm] (−inf where no site reaches) and the number
    of sector-pixel evaluations.
    """
    to_m = Transformer.from_crs(WGS84, grid.crs, always_xy=True)
    x, y = to_m.transform(sites["lon_deg"].to_numpy(), sites["lat_deg"].to_numpy())
    f_ghz = sites["frequency_mhz"].to_numpy() / 1000.0
    h = sites["height_m"].to_numpy()
    n_rb = n_rb_for(sites["bandwidth_mhz"].to_numpy())
    base = (
        sites["eirp_dbm"].to_numpy()
        - 10.0 * np.log10(12.0 * n_rb)
        - budget.extra_loss_db("uma_nlos")
    )
    rng = np.asarray(max_range_m(sites["eirp_dbm"].to_numpy(), f_ghz, "uma_nlos", h, budget.h_ut_m,
                                 n_rb, budget.threshold_dbm, budget.extra_loss_db("uma_nlos")))  # fmt: skip
    res, left, top = grid.resolution_m, grid.transform.c, grid.transform.f
    best = np.full(grid.shape, -np.inf)
    n_eval = 0
    site_ids = sites["site_id"].to_numpy()
    starts = np.flatnonzero(np.r_[True, site_ids[1:] != site_ids[:-1]])
    for k0, k1 in zip(starts, [*starts[1:], len(sites)], strict=True):
        r = float(rng[k0:k1].max())
        c0 = max(int(np.ceil((x[k0] - r - left) / res - 0.5)), 0)
        c1 = min(int(np.floor((x[k0] + r - left) / res - 0.5)) + 1, grid.width)
        r0 = max(int(np.ceil((top - y[k0] - r) / res - 0.5)), 0)
        r1 = min(int(np.floor((top - y[k0] + r) / res - 0.5)) + 1, grid.height)
        if c0 >= c1 or r0 >= r1:
            continue
        dx = grid.x_centres(c0, c1)[None, :] - x[k0]
        dy = grid.y_centres(r0, r1)[:, None] - y[k0]
        d = np.hypot(dx, dy)
        pl = path_loss_db(d, f_ghz[k0], "uma_nlos", h[k0], budget.h_ut_m)
        bearing = np.degrees(np.arctan2(dx, dy))
        view = best[r0:r1, c0:c1]
        for k in range(k0, k1):
            phi = (bearing - sites["azimuth_deg"].iat[k] + 180.0) % 360.0 - 180.0
            att = np.minimum(12.0 * (phi / sites["beamwidth_deg"].iat[k]) ** 2, 30.0)
            np.maximum(view, base[k] - pl - att, out=view)
            n_eval += d.size
    return best, n_eval


def peak_rss_mb() -> float:
    """The process's maximum resident set size so far [MB]."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def timed(fn: Callable[[], Any]) -> tuple[Any, float, float, float]:
    """Run ``fn``; return its result, wall [s], CPU [s] and the 1-min load average after."""
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - t0, time.process_time() - c0, os.getloadavg()[0]


COLD_START = """
import time, sys
t0 = time.perf_counter()
from phusong.raster.kernel import warm_up_compiled
t1 = time.perf_counter()
compile_s = warm_up_compiled()
print(f"{t1 - t0:.3f} {compile_s:.3f}")
"""


def compile_cost() -> tuple[str, str]:
    """First-call cost of the compiled kernel: cold on-disk cache, then warm [s] (subprocesses)."""
    with tempfile.TemporaryDirectory(prefix="numba-cold-") as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        runs = [
            subprocess.run([sys.executable, "-c", COLD_START], env=env, capture_output=True,
                           text=True, check=True, cwd=tempfile.gettempdir()).stdout.split()
            for _ in range(2)
        ]  # fmt: skip
    return (
        f"import {runs[0][0]} s + compile {runs[0][1]} s",
        f"import {runs[1][0]} s + load {runs[1][1]} s",
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sites", type=int, default=3334, help="sites (3 sectors each)")
    parser.add_argument("--resolution", type=float, default=20.0, help="pixel size [m]")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved repeats")
    parser.add_argument("--tile-px", type=int, default=1024)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--no-audit", action="store_true", help="skip the whole-audit timing")
    args = parser.parse_args(argv)

    wards = phusong.read_wards()
    grid = GridSpec.for_area(wards, resolution_m=args.resolution)
    sites = synthetic_sites(wards, args.sites)
    budget = LinkBudget()
    cores = os.cpu_count() or 1
    print(f"SYNTHETIC site table: {len(sites):,} sectors on {args.sites:,} sites (3 per site)")
    print(
        f"grid: {grid.width} × {grid.height} px = {grid.width * grid.height / 1e6:.1f} Mpx at "
        f"{grid.resolution_m:g} m, {cores} CPUs; load average at start "
        f"{', '.join(f'{v:.1f}' for v in os.getloadavg())}"
    )
    cold, warm = compile_cost()
    print(f"compiled kernel, first call in a fresh process: cold cache {cold}; warm cache {warm}")

    from phusong.audit import run_audit
    from phusong.caches import clear_caches
    from phusong.raster.kernel import warm_up_compiled

    warm_up_compiled()
    steps: dict[str, Callable[[], Any]] = {
        "bare kernel": lambda: bare_kernel(sites, grid, budget),
        "grid step": lambda: compute_grid(sites, grid, model="uma_nlos", link_budget=budget,
                                          tile_px=args.tile_px, workers=args.workers),
    }  # fmt: skip
    if not args.no_audit:
        steps["whole audit"] = lambda: run_audit(sites, model="uma", resolution_m=args.resolution)
    runs: dict[str, list[tuple[float, float, float]]] = {name: [] for name in steps}
    evals: dict[str, int] = {}
    peaks: dict[str, float] = {}
    for rep in range(args.repeats):
        for name, fn in steps.items():
            clear_caches()  # nothing kept from the last run (ward overlaps, gaps, terrain)
            out, wall, cpu, load = timed(fn)
            runs[name].append((wall, cpu, load))
            if rep == 0:
                peaks[name] = peak_rss_mb()
                if name == "bare kernel":
                    evals[name] = out[1]
                elif name == "grid step":
                    evals[name] = out.stats["evaluations"]
                    workers = out.stats["workers"]
            print(f"  repeat {rep + 1}: {name}: {wall:.2f} s wall, {cpu:.2f} s CPU, load {load:.1f}",
                  flush=True)  # fmt: skip
            del out
    med = {n: tuple(statistics.median(r[i] for r in v) for i in range(3)) for n, v in runs.items()}
    print(f"\nmedians of {args.repeats} interleaved repeats (wall, CPU, load average after):")
    for name, (wall, cpu, load) in med.items():
        line = f"  {name:12s} {wall:7.2f} s wall {cpu:7.2f} s CPU  load {load:.1f}"
        if name in evals:
            line += (f"  {evals[name] / 1e6:,.0f} M site-pixel evaluations, "
                     f"{evals[name] / cpu / 1e6:,.1f} M per CPU-second (per core)")  # fmt: skip
        print(line + f"; peak RSS after first run {peaks[name]:,.0f} MB")
    bare = med["bare kernel"]
    print(f"ratios (bare kernel / step; > 1: faster than the bare kernel; grid step on {workers} "
          "threads, bare kernel on 1):")  # fmt: skip
    for name in list(steps)[1:]:
        print(
            f"  bare / {name}: {bare[0] / med[name][0]:.2f}× wall, {bare[1] / med[name][1]:.2f}× CPU"
        )
    if "grid step" in evals:
        per_eval = (med["grid step"][1] / evals["grid step"], bare[1] / evals["bare kernel"])
        print(f"  CPU per evaluation: grid step {per_eval[0] * 1e9:.1f} ns, bare kernel "
              f"{per_eval[1] * 1e9:.1f} ns")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
