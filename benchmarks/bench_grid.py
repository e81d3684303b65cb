"""Benchmark the grid engine on all of Hà Nội at 20 m with ~10,000 synthetic sectors.

Run as a script::

    python benchmarks/bench_grid.py [--sites 3334] [--resolution 20] [--baseline-cells 3]

What it measures, in one process:

* ``compute_grid`` end to end (site table -> all layers), model ``uma_nlos``,
  default link budget (−110 dBm), on the grid of the 126 shipped wards.
* The baseline: a plain numpy loop over cells that, for each cell, computes
  the path loss and antenna attenuation over the *whole* grid and keeps the
  maximum RSRP (nothing else: no SINR, no counts, so it is a lower bound of
  what a naive engine costs). It is run on a few cells only and extrapolated
  per cell to the full site table; the output says so.
* Peak memory: the process's maximum resident set size after ``compute_grid``
  (before the baseline runs), imports and inputs included.
* Cell-pixel ("site-pixel") evaluations per second per core.

The site table is SYNTHETIC: 3 sectors per site, positions drawn from a seeded
generator, 60 % around the old quarter (Gaussian, σ = 5 km) and 40 % uniform
over the wards, operators/bands as auctioned (Viettel n41 2.6 GHz, VinaPhone
n78 3.75 GHz, MobiFone n77 3.85 GHz, 100 MHz carriers).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

import phusong
from phusong.propagation import LinkBudget, path_loss_db, sector_attenuation_db
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
    return pd.DataFrame(rows)


def baseline_seconds_per_cell(sites: pd.DataFrame, grid: GridSpec, n_cells: int) -> float:
    """Plain numpy loop: every cell over the whole grid, keep the max RSRP."""
    budget = LinkBudget()
    to_m = Transformer.from_crs(WGS84, grid.crs, always_xy=True)
    xs = grid.x_centres()[None, :]
    ys = grid.y_centres()[:, None]
    best = np.full(grid.shape, -np.inf)
    sub = sites.iloc[:n_cells]
    t0 = time.perf_counter()
    for row in sub.itertuples():
        x, y = to_m.transform(row.lon_deg, row.lat_deg)
        dx, dy = xs - x, ys - y
        d = np.hypot(dx, dy)
        pl = path_loss_db(d, row.frequency_mhz / 1000.0, "uma_nlos", row.height_m, budget.h_ut_m)
        bearing = np.degrees(np.arctan2(dx, dy))
        att = sector_attenuation_db(
            bearing,
            row.azimuth_deg,
            d,
            row.height_m,
            budget.h_ut_m,
            row.tilt_deg,
            row.beamwidth_deg,
        )
        rsrp = row.eirp_dbm - 10.0 * np.log10(12 * budget.n_rb) - pl + att
        np.maximum(best, rsrp, out=best)
    return (time.perf_counter() - t0) / n_cells


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sites", type=int, default=3334, help="sites (3 sectors each)")
    parser.add_argument("--resolution", type=float, default=20.0, help="pixel size [m]")
    parser.add_argument("--tile-px", type=int, default=1024)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--baseline-cells", type=int, default=3)
    args = parser.parse_args(argv)

    wards = phusong.read_wards()
    grid = GridSpec.for_area(wards, resolution_m=args.resolution)
    sites = synthetic_sites(wards, args.sites)
    cores = os.cpu_count() or 1
    print(f"SYNTHETIC site table: {len(sites):,} sectors on {args.sites:,} sites (3 per site)")
    print(
        f"grid: {grid.width} × {grid.height} px = {grid.width * grid.height / 1e6:.1f} Mpx at "
        f"{grid.resolution_m:g} m ({grid.width * grid.resolution_m / 1e3:.0f} × "
        f"{grid.height * grid.resolution_m / 1e3:.0f} km), {cores} cores"
    )

    t0 = time.perf_counter()
    cpu0 = time.process_time()
    result = compute_grid(
        sites, grid, model="uma_nlos", link_budget=LinkBudget(), tile_px=args.tile_px,
        workers=args.workers,
    )  # fmt: skip
    seconds = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers = result.stats["workers"]
    evals = result.stats["evaluations"]
    print(
        f"compute_grid (uma_nlos, −110 dBm), end to end: {seconds:.1f} s wall with {workers} "
        f"threads, {cpu:.1f} s CPU (all threads; load average now {os.getloadavg()[0]:.1f})"
    )
    print(f"  cell-pixel evaluations: {evals:,} ({evals / len(sites):,.0f} per sector)")
    print(
        f"  {evals / seconds / 1e6:.1f} M evaluations/s wall = "
        f"{evals / seconds / min(workers, cores) / 1e6:.1f} M/s per core; "
        f"{evals / cpu / 1e6:.1f} M per CPU-second"
    )
    covered = result.covered().mean() * 100
    print(f"  grid pixels served: {covered:.1f} %, mean SINR {np.nanmean(result.sinr_db):.1f} dB")
    print(f"peak memory (max RSS of the process, imports and inputs included): {peak_mb:,.0f} MB")

    cpu0 = time.process_time()
    per_cell = baseline_seconds_per_cell(sites, grid, args.baseline_cells)
    per_cell_cpu = (time.process_time() - cpu0) / args.baseline_cells
    extrapolated = per_cell * len(sites)
    print(
        f"baseline (plain numpy loop, every cell over the whole grid, max RSRP only): "
        f"{per_cell:.2f} s wall / {per_cell_cpu:.2f} s CPU per cell, measured on "
        f"{args.baseline_cells} cells, EXTRAPOLATED to {len(sites):,} cells: {extrapolated:,.0f} s"
    )
    print(f"speed-up (wall): {extrapolated / seconds:,.0f}× (baseline 1 thread; ours {workers})")
    print(f"speed-up (CPU time): {per_cell_cpu * len(sites) / cpu:,.0f}×")


if __name__ == "__main__":
    sys.exit(main())
