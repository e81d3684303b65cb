"""Benchmark: a Vietnam-sized SYNTHETIC audit, tiled, on a local Dask cluster.

Run as a script::

    python benchmarks/bench_country.py [--scale 0.1] [--resolution 50] [--tile-px 1024]
                                       [--workers 1,2] [--model uma_nlos] [--repeats 3]

What it builds (all SYNTHETIC, seeded):

* A rough Vietnam outline (30 hand-placed vertices, scaled about its centre
  so that its area is ``330,000 × scale`` km² in the LAEA equal-area CRS).
* ``3,321 × scale`` communes: Voronoi cells of random points in the outline,
  clipped to it; populations log-normal, ~100 M people × scale in total.
* ``100,000 × scale`` sites of 3 sectors each (so 300,000 × scale cells),
  placed in communes drawn with probability ∝ population, uniformly inside
  them; operators/bands as auctioned (Viettel n41 2.6 GHz, VinaPhone n78
  3.75 GHz, MobiFone n77 3.85 GHz; 100 MHz, 63 dBm EIRP, 25–40 m masts).

What it measures, in this process, for each worker count (default 1 then 2),
repeated ``--repeats`` times *interleaved* (1, 2, 1, 2, …) and reported as
**medians** with the load average before each run:
:func:`phusong.raster.distributed.ward_coverage_tiled` (the raster is never
assembled) on a fresh ``LocalCluster(n_workers=N, threads_per_worker=1)``:
wall time (cluster start and the workers' loading of the compiled kernel
excluded, shown apart), the peak RSS of each worker
process (``getrusage(RUSAGE_SELF).ru_maxrss`` read in the worker after the
run: the true high-water mark, imports and the cell table included), the
client's peak RSS, and the speed-up of N workers over 1 worker (the baseline,
measured in the same run). Scale is linear in area at fixed densities, so a
reduced run extrapolates to the full one by 1 / scale; the output labels the
extrapolation. Checks printed: the per-ward tables of the runs agree (max
difference of ``population_coverage_pct``). Asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.affinity import scale as scale_geom

from phusong.geo import equal_area_crs
from phusong.propagation import LinkBudget
from phusong.raster.distributed import dask_client, ward_coverage_tiled
from phusong.raster.grid import GridSpec
from phusong.raster.kernel import warm_up_compiled
from phusong.schema import ANY_OPERATOR, WGS84

FULL_AREA_KM2 = 330_000.0
FULL_COMMUNES = 3_321
FULL_SITES = 100_000
FULL_PEOPLE = 100e6

#: A rough outline of Vietnam (lon, lat) [degrees], clockwise from the far north-west.
VIETNAM_OUTLINE = [
    (102.14, 22.40), (103.00, 22.75), (104.00, 22.80), (105.30, 23.30), (106.70, 22.90),
    (107.90, 21.60), (106.70, 20.70), (105.90, 19.90), (105.60, 18.90), (106.50, 17.50),
    (107.20, 16.60), (108.30, 15.90), (108.90, 15.20), (109.20, 13.80), (109.40, 12.50),
    (109.10, 11.50), (108.00, 10.70), (106.80, 10.40), (106.40, 9.60), (105.20, 8.60),
    (104.80, 8.70), (104.50, 10.40), (105.10, 10.90), (106.10, 11.70), (107.50, 12.30),
    (107.60, 13.50), (107.50, 14.70), (107.00, 15.60), (106.60, 16.40), (105.80, 17.60),
    (105.00, 18.80), (104.30, 19.20), (104.10, 19.70), (104.90, 20.20), (103.20, 20.80),
    (102.60, 21.70),
]  # fmt: skip

OPERATORS = {"Viettel": ("n41", 2600.0), "VinaPhone": ("n78", 3750.0), "MobiFone": ("n77", 3850.0)}


def outline(scale: float) -> tuple[shapely.Polygon, object]:
    """The outline in its LAEA CRS, scaled to ``330,000 × scale`` km²."""
    ll = gpd.GeoSeries([shapely.Polygon(VIETNAM_OUTLINE)], crs=WGS84)
    crs = equal_area_crs(ll)
    poly = ll.to_crs(crs).iloc[0]
    k = np.sqrt(FULL_AREA_KM2 * scale * 1e6 / poly.area)
    return scale_geom(poly, k, k, origin="centroid"), crs


def random_points_in(geoms: np.ndarray, which: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One uniform random point inside ``geoms[which[i]]`` for each i, (n, 2) [m]."""
    out = np.empty((which.size, 2))
    todo = np.arange(which.size)
    bounds = shapely.bounds(geoms)
    shapely.prepare(geoms)
    while todo.size:
        b = bounds[which[todo]]
        x = rng.uniform(b[:, 0], b[:, 2])
        y = rng.uniform(b[:, 1], b[:, 3])
        ok = shapely.contains_xy(geoms[which[todo]], x, y)
        out[todo[ok]] = np.c_[x[ok], y[ok]]
        todo = todo[~ok]
    return out


def synthetic_country(scale: float, seed: int = 20260226) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """SYNTHETIC communes and sites (see the module docstring)."""
    rng = np.random.default_rng(seed)
    poly, crs = outline(scale)
    n_communes = max(round(FULL_COMMUNES * scale), 3)
    seeds = random_points_in(np.array([poly]), np.zeros(n_communes, dtype="int64"), rng)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=poly))
    geoms = shapely.intersection(np.asarray(cells), poly)
    geoms = geoms[~shapely.is_empty(geoms)]
    pop = rng.lognormal(mean=0.0, sigma=1.0, size=geoms.size)
    pop = np.round(pop / pop.sum() * FULL_PEOPLE * scale)
    wards = gpd.GeoDataFrame(
        {
            "ward_id": [f"X{i:05d}" for i in range(geoms.size)],
            "name": [f"Xã tổng hợp {i} (synthetic)" for i in range(geoms.size)],
            "kind": "xã",
            "population": pop,
        },
        geometry=geoms,
        crs=crs,
    ).to_crs(WGS84)

    n_sites = max(round(FULL_SITES * scale), 1)
    which = rng.choice(geoms.size, size=n_sites, p=pop / pop.sum())
    xy = random_points_in(geoms, which, rng)
    ll = gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=crs).to_crs(WGS84)
    ops = np.array(list(OPERATORS))[rng.integers(0, 3, n_sites)]
    site_az = rng.uniform(0, 120, n_sites)
    height = rng.uniform(25, 40, n_sites)
    k = np.tile(np.arange(3), n_sites)
    s = np.repeat(np.arange(n_sites), 3)
    sites = pd.DataFrame(
        {
            "cell_id": [f"S{i:06d}-{j}" for i, j in zip(s, k, strict=True)],
            "site_id": [f"S{i:06d}" for i in s],
            "operator": ops[s],
            "radio": "NR",
            "lon_deg": ll.x.to_numpy()[s],
            "lat_deg": ll.y.to_numpy()[s],
            "azimuth_deg": (site_az[s] + 120.0 * k) % 360.0,
            "beamwidth_deg": 65.0,
            "tilt_deg": 6.0,
            "height_m": height[s],
            "eirp_dbm": 63.0,
            "frequency_mhz": [OPERATORS[o][1] for o in ops[s]],
            "band": [OPERATORS[o][0] for o in ops[s]],
            "bandwidth_mhz": 100.0,
        }
    )
    sites.attrs["synthetic"] = True
    return wards, sites


def _worker_peak_rss_mb() -> float:
    import resource as res

    return res.getrusage(res.RUSAGE_SELF).ru_maxrss / 1024.0


def run(wards, sites, grid, args, n_workers: int) -> dict:
    t0 = time.perf_counter()
    with dask_client(n_workers, memory_limit=args.memory_limit) as client:
        started = time.perf_counter() - t0
        # Import the library and load the compiled kernel on every worker first,
        # so that the timing is the work (the load is reported apart).
        client.run(lambda: __import__("phusong.raster.distributed"))
        warm = client.run(warm_up_compiled)
        started = time.perf_counter() - t0
        stats: dict = {}
        done = [0.0]

        def progress(f: float) -> None:
            if f - done[0] >= 0.1 or f == 1.0:
                done[0] = f
                print(
                    f"    {100 * f:5.1f} % of tiles, {time.perf_counter() - t1:7.1f} s", flush=True
                )

        t1 = time.perf_counter()
        table = ward_coverage_tiled(
            wards, sites, grid, model=args.model, link_budget=LinkBudget(),
            tile_px=args.tile_px, scheduler=client, progress=progress, stats=stats,
        )  # fmt: skip
        seconds = time.perf_counter() - t1
        peaks = client.run(_worker_peak_rss_mb)
    return {
        "workers": n_workers,
        "warm_s": max(warm.values()),
        "start_s": started,
        "seconds": seconds,
        "worker_peak_mb": sorted(peaks.values()),
        "table": table,
        "stats": stats,
    }


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scale", type=float, default=1.0, help="fraction of Vietnam's area (1 = full)")
    p.add_argument("--resolution", type=float, default=50.0, help="grid resolution [m]")
    p.add_argument("--tile-px", type=int, default=1024)
    p.add_argument("--workers", default="1,2", help="worker counts, the first is the baseline")
    p.add_argument("--model", default="uma_nlos")
    p.add_argument("--memory-limit", default="4GiB", help="per-worker limit of the local cluster")
    p.add_argument("--repeats", type=int, default=3, help="interleaved repeats (medians)")
    args = p.parse_args(argv)

    t = time.perf_counter()
    wards, sites = synthetic_country(args.scale)
    grid = GridSpec.for_area(wards, resolution_m=args.resolution)
    print(
        f"SYNTHETIC country, scale {args.scale:g}: {len(wards)} communes, "
        f"{sites['site_id'].nunique()} sites / {len(sites)} cells, "
        f"{grid.width}×{grid.height} px at {args.resolution:g} m "
        f"({grid.n_tiles(args.tile_px)} tiles of {args.tile_px} px); built in "
        f"{time.perf_counter() - t:.1f} s",
        flush=True,
    )
    counts = [int(c) for c in args.workers.split(",") if c.strip()]
    runs: dict[int, list[dict]] = {n: [] for n in counts}
    for rep in range(args.repeats):
        for n in counts:
            load = os.getloadavg()[0]
            r = run(wards, sites, grid, args, n)
            r["load"] = load
            runs[n].append(r)
            s = r["stats"]
            print(
                f"  repeat {rep + 1}, {n} worker(s): {r['seconds']:.1f} s (load before {load:.1f}; "
                f"cluster start {r['start_s']:.1f} s incl. kernel load {r['warm_s']:.1f} s), "
                f"{s['tiles']} tiles, {s['tiles_skipped']} skipped, "
                f"{s['evaluations'] / 1e9:.2f} G evaluations; tasks {s['task_seconds']:.1f} s wall, "
                f"{s['task_cpu_seconds']:.1f} s CPU; peak RSS per worker: "
                f"{', '.join(f'{m:.0f} MB' for m in r['worker_peak_mb'])}",
                flush=True,
            )
    results = []
    print(f"\nmedians of {args.repeats} interleaved repeats:")
    for n in counts:
        rs = runs[n]
        med = {
            "seconds": statistics.median(r["seconds"] for r in rs),
            "load": statistics.median(r["load"] for r in rs),
            "cpu": statistics.median(r["stats"]["task_cpu_seconds"] for r in rs),
        }
        results.append({**rs[0], "seconds": med["seconds"], "median": med})
        print(
            f"  {n} worker(s): {med['seconds']:.1f} s wall, tasks {med['cpu']:.1f} s CPU, "
            f"load average before {med['load']:.1f} on {os.cpu_count()} CPUs"
        )
    base = results[0]
    any_base = base["table"][base["table"]["operator"] == ANY_OPERATOR]
    cov = any_base["covered_population"].sum() / any_base["population"].sum() * 100
    print(f"\nSYNTHETIC result: {cov:.2f} % of people covered (any operator, uniform density)")
    for r in results[1:]:
        diff = np.nanmax(
            np.abs(
                r["table"]["population_coverage_pct"].to_numpy()
                - base["table"]["population_coverage_pct"].to_numpy()
            )
        )
        print(
            f"speed-up {r['workers']} vs {base['workers']} worker(s): "
            f"{base['seconds'] / r['seconds']:.2f}× wall clock (tables differ by at most "
            f"{diff:.2g} points); speed-up implied by task CPU time: "
            f"{base['median']['cpu'] / r['median']['cpu'] * r['workers'] / base['workers']:.2f}× "
            "if every worker had a free core"
        )
    print(
        "load average (1, 5, 15 min) at the end: "
        + ", ".join(f"{x:.1f}" for x in os.getloadavg())
        + f" on {os.cpu_count()} CPUs (other processes share the machine)"
    )
    client_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(f"client peak RSS: {client_peak:.0f} MB")
    if args.scale != 1.0:
        for r in results:
            print(
                f"EXTRAPOLATION (not measured) to scale 1 with {r['workers']} worker(s): "
                f"~{r['seconds'] / args.scale / 60:.1f} min (work ∝ area at fixed densities; "
                "peak memory per worker does not grow with area, only the cell table does: "
                f"+~{len(sites) * (1 / args.scale - 1) * 500 / 1e6:.0f} MB)"
            )


if __name__ == "__main__":
    main(sys.argv[1:])
