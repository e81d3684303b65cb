"""Benchmark the terrain kernel: site-pixel pairs per second per core, sweep vs per-profile.

Run as a script::

    python benchmarks/bench_terrain.py [--resolution 50] [--radius-m 2000] [--sites 96] [--repeats 5]

What it measures, in one process, with interleaved repeats (sweep, baseline,
sweep, …) and their **medians** (never the best of N), the machine's load
average printed beside every figure:

* **sweep** — :func:`phusong.raster.terrain.terrain_loss_window`, the
  compiled radial sweep: for each site, the terrain loss (Bullington, ITU-R
  P.526-15 §4.5.1, in excess of smooth ground) of every pixel of a square
  window of ``--radius-m`` around it, one thread.
* **baseline** — :func:`phusong.raster.terrain.terrain_loss_reference`, a
  straightforward per-profile numpy implementation: one straight profile per
  pixel, sampled at the grid's resolution (bilinear), evaluated by
  :func:`phusong.propagation.diffraction.terrain_excess_loss_db`. It is slow,
  so each repeat times it on ``--baseline-pixels`` random pixels per site.
* the rate of each in site-pixel pairs per CPU-second (= per core; both run
  in one thread), their ratio, and how the sweep agrees with the baseline on
  the pixels both computed (median and 90th percentile of |Δ| [dB]).

The terrain is the shipped DEM (``data/dem/N21E105.hgt``, NASA/USGS SRTM 3″)
resampled onto a grid over the shipped Hà Nội wards; the sites are those of
the shipped SYNTHETIC sample that stand on known terrain, evenly picked.

For comparison, sedona-rf-coverage publishes 157,000 site-pixel pairs per
second per core with terrain on an Apple M4. That figure is quoted as
published, not measured here: other hardware, other terrain method.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import time

import numpy as np
from pyproj import Transformer

import phusong
from phusong.io.sites import sample_sites_path
from phusong.raster.spec import GridSpec
from phusong.raster.terrain import (
    TerrainGrid,
    terrain_loss_reference,
    terrain_loss_window,
    terrain_model,
)
from phusong.schema import WGS84

#: sedona-rf-coverage's published rate with terrain (Apple M4) [pairs/s/core]; not run here.
PUBLISHED_SEDONA_PAIRS_PER_S_PER_CORE = 157_000


def pick_sites(tg: TerrainGrid, n: int) -> list[tuple[float, float, float]]:
    """(x, y, antenna height) of ``n`` SYNTHETIC sample sites on known terrain, evenly spread."""
    sites = phusong.read_sites(sample_sites_path("sheet"))[0]
    first = sites.drop_duplicates("site_id").reset_index(drop=True)
    to_grid = Transformer.from_crs(WGS84, tg.grid.crs, always_xy=True)
    x, y = to_grid.transform(first["lon_deg"].to_numpy(), first["lat_deg"].to_numpy())
    ok = []
    for i in range(len(first)):
        r, c = tg.pixel_of(float(x[i]), float(y[i]))
        ri, ci = round(r), round(c)
        if 0 <= ri < tg.heights_m.shape[0] and 0 <= ci < tg.heights_m.shape[1]:
            if np.isfinite(tg.heights_m[ri, ci]):
                ok.append(i)
    take = np.asarray(ok)[np.linspace(0, len(ok) - 1, n).astype(int)]
    h = first["height_m"].fillna(25.0).to_numpy()
    return [(float(x[i]), float(y[i]), float(h[i])) for i in take]


def window_of(tg: TerrainGrid, x: float, y: float, radius_px: int) -> tuple[int, int, int, int]:
    """The square window of ``radius_px`` around a point, in grid pixels."""
    r, c = tg.pixel_of(x, y)
    r, c = round(r) - tg.margin_px, round(c) - tg.margin_px
    return (r - radius_px, r + radius_px + 1, c - radius_px, c + radius_px + 1)


def run_sweep(tg, sites, radius_px, f_ghz):  # type: ignore[no-untyped-def]
    """The sweep on every site's window: (pairs, CPU s, wall s, windows)."""
    c0, t0 = time.process_time(), time.perf_counter()
    out = [
        terrain_loss_window(tg, x, y, h, 1.5, f_ghz, window_of(tg, x, y, radius_px))
        for x, y, h in sites
    ]
    cpu, wall = time.process_time() - c0, time.perf_counter() - t0
    return sum(w.size for w in out), cpu, wall, out


def run_baseline(tg, sites, radius_px, f_ghz, n_pixels, rng):  # type: ignore[no-untyped-def]
    """The per-profile baseline on ``n_pixels`` random pixels per site: (pairs, CPU s, wall s, samples)."""
    picks = []
    for x, y, h in sites:
        r0, r1, c0, c1 = window_of(tg, x, y, radius_px)
        rows = rng.integers(r0, r1, n_pixels)
        cols = rng.integers(c0, c1, n_pixels)
        picks.append((x, y, h, r0, c0, rows, cols))
    got = []
    t_cpu, t_wall = time.process_time(), time.perf_counter()
    for x, y, h, r0, c0, rows, cols in picks:
        vals = [
            terrain_loss_reference(
                tg, x, y, h, 1.5, f_ghz, (int(r), int(r) + 1, int(c), int(c) + 1)
            )[0, 0]
            for r, c in zip(rows, cols, strict=True)
        ]
        got.append((r0, c0, rows, cols, np.asarray(vals)))
    cpu, wall = time.process_time() - t_cpu, time.perf_counter() - t_wall
    return len(sites) * n_pixels, cpu, wall, got


def agreement(sweep_windows, samples) -> tuple[float, float, int]:  # type: ignore[no-untyped-def]
    """Median and 90th percentile of |sweep − baseline| [dB] on the sampled pixels, and their count."""
    diffs = []
    for win, (r0, c0, rows, cols, ref) in zip(sweep_windows, samples, strict=True):
        fast = win[rows - r0, cols - c0].astype("float64")
        ok = np.isfinite(fast) & np.isfinite(ref)
        diffs.append(np.abs(fast[ok] - ref[ok]))
    d = np.concatenate(diffs) if diffs else np.zeros(0)
    return float(np.median(d)), float(np.percentile(d, 90)), int(d.size)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--resolution", type=float, default=50.0, help="grid resolution [m]")
    p.add_argument("--radius-m", type=float, default=2000.0, help="window half-size [m]")
    p.add_argument("--sites", type=int, default=96, help="sites per repeat")
    p.add_argument("--frequency", type=float, default=3.5, help="carrier [GHz]")
    p.add_argument("--baseline-pixels", type=int, default=40, help="baseline pixels per site")
    p.add_argument("--repeats", type=int, default=5, help="interleaved repeats (medians)")
    args = p.parse_args()

    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()} at start")
    wards = phusong.read_wards()
    grid = GridSpec.for_area(wards, resolution_m=args.resolution)
    t0 = time.perf_counter()
    tg = terrain_model(None, grid).terrain
    print(f"DEM N21E105.hgt on the {grid.width}×{grid.height} grid at {grid.resolution_m:g} m: "
          f"{time.perf_counter() - t0:.2f} s, {100 * tg.known_fraction():.1f} % of pixels known")  # fmt: skip
    sites = pick_sites(tg, args.sites)
    radius_px = math.ceil(args.radius_m / args.resolution)
    t0 = time.perf_counter()
    terrain_loss_window(tg, *sites[0][:2], sites[0][2], 1.5, args.frequency, (0, 3, 0, 3))
    print(f"first call (compile, or load from the on-disk cache): {time.perf_counter() - t0:.2f} s")

    rng = np.random.default_rng(0)
    rates: dict[str, list[float]] = {"sweep": [], "baseline": []}
    agree = []
    for rep in range(args.repeats):
        load = os.getloadavg()[0]
        pairs, cpu, wall, windows = run_sweep(tg, sites, radius_px, args.frequency)
        rates["sweep"].append(pairs / cpu)
        print(f"[{rep + 1}] sweep:    {pairs:>10,} pairs  {cpu:6.2f} CPU-s  {wall:6.2f} s  "
              f"{pairs / cpu:>12,.0f} pairs/s/core   (load {load:.2f})")  # fmt: skip
        load = os.getloadavg()[0]
        pairs, cpu, wall, samples = run_baseline(tg, sites, radius_px, args.frequency,
                                                 args.baseline_pixels, rng)  # fmt: skip
        rates["baseline"].append(pairs / cpu)
        print(f"[{rep + 1}] baseline: {pairs:>10,} pairs  {cpu:6.2f} CPU-s  {wall:6.2f} s  "
              f"{pairs / cpu:>12,.0f} pairs/s/core   (load {load:.2f})")  # fmt: skip
        agree.append(agreement(windows, samples))

    fast, base = statistics.median(rates["sweep"]), statistics.median(rates["baseline"])
    med_abs = statistics.median(a[0] for a in agree)
    p90_abs = statistics.median(a[1] for a in agree)
    print(f"\nmedians of {args.repeats} interleaved repeats ({args.sites} sites, windows of "
          f"±{radius_px} px = ±{radius_px * args.resolution:g} m, {args.frequency:g} GHz, one thread):")  # fmt: skip
    print(f"  sweep     {fast:>12,.0f} site-pixel pairs/s/core")
    print(f"  baseline  {base:>12,.0f} site-pixel pairs/s/core (per-profile numpy)")
    print(f"  ratio     {fast / base:>12,.0f}x")
    print(f"  published {PUBLISHED_SEDONA_PAIRS_PER_S_PER_CORE:>12,} pairs/s/core: sedona-rf-coverage "
          f"with terrain, Apple M4 (as published, not run here) -> sweep/published "
          f"{fast / PUBLISHED_SEDONA_PAIRS_PER_S_PER_CORE:.1f}x")  # fmt: skip
    print(
        f"  agreement with the baseline on its pixels: median |Δ| {med_abs:.3f} dB, "
        f"90th percentile {p90_abs:.2f} dB"
    )
    print(f"load average {os.getloadavg()} at the end")


if __name__ == "__main__":
    main()
