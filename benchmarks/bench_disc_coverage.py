"""Benchmark: exact disc coverage per ward (arc integrals) vs the obvious geopandas route.

Synthetic data: 20,000 disc sites (one omni cell each) drawn inside Hà Nội's
shipped wards, weighted by ward population (seeded), 3 operators, radius
uniform in 300–1,500 m. Everything here is synthetic.

The baseline is the obvious process: buffer → union_all → overlay → groupby,
for the "any" area coverage per ward. It is run twice: at geopandas' default
buffer resolution (``quad_segs=16``, inscribed 64-gons of radius ``range_m``,
0.16 % short on every whole disc) and at an accurate one (``quad_segs=64``,
256-gons with the area-corrected radius of :mod:`phusong.vector.footprints`, whose
boundary stays within ±2e-5 r of the circle). The headline ratio compares the
accurate baseline with :func:`phusong.vector.arcs.disc_level_areas` computing the
same thing (level 1 of "any", exact circles); the full table (any + 3
operators, redundancy classes, gap polygons) is timed separately.

The sector line gives every synthetic site three 65° cells with bearings
120° apart (a random rotation per site) and times the full table with
``model="sector"`` (exact wedges, :mod:`phusong.vector.wedges`).

The *dense* case (issue #13) draws the same number of sites from a normal
distribution around the city centre (σ = 12 km, all of radius 600 m, like a
dense city core) and times the same two routes; the exact route's peak
memory is measured in a fresh process (its ``ru_maxrss``), since overlap depth
is what used to make the arcs' memory grow. A ``--crowded`` run also times a
core of σ = 300 m (thousands of discs over one spot) for discs and sectors.

Run: ``.venv/bin/python benchmarks/bench_disc_coverage.py [n_sites] [--audit]
[--polygons] [--crowded]``. ``--audit`` also times ``run_audit`` on the shipped sample
network with the arc route and with the previous polygon route (disc model;
with ``--polygons`` also the sector model, about 4 minutes);
``--polygons`` also times the polygon route on the synthetic network (slow).
Timings are the best of ``REPEATS`` runs, all in this process. Asserts nothing.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import resource
import sys
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

import phusong
import phusong.vector.aggregate as aggregate
from phusong.geo import equal_area_crs
from phusong.schema import ANY_OPERATOR, WGS84
from phusong.vector.aggregate import ward_coverage_vector
from phusong.vector.arcs import collapse_sites, disc_level_areas
from phusong.vector.footprints import area_corrected_radius

OPERATORS = ("Viettel", "VinaPhone", "MobiFone")
REPEATS = 3


def synthetic_sites(wards: gpd.GeoDataFrame, n: int, seed: int = 20250226) -> gpd.GeoDataFrame:
    """Synthetic disc sites inside the wards, weighted by ward population."""
    rng = np.random.default_rng(seed)
    crs = equal_area_crs(wards)
    geoms = wards.geometry.to_crs(crs).to_numpy()
    weights = wards["population"].fillna(0).to_numpy()
    ward_of = rng.choice(len(wards), size=n, p=weights / weights.sum())
    xs = np.empty(n)
    ys = np.empty(n)
    todo = np.arange(n)
    bounds = shapely.bounds(geoms)
    shapely.prepare(geoms)
    while todo.size:
        b = bounds[ward_of[todo]]
        x = rng.uniform(b[:, 0], b[:, 2])
        y = rng.uniform(b[:, 1], b[:, 3])
        inside = shapely.contains_xy(geoms[ward_of[todo]], x, y)
        xs[todo[inside]] = x[inside]
        ys[todo[inside]] = y[inside]
        todo = todo[~inside]
    pts = gpd.GeoSeries(gpd.points_from_xy(xs, ys), crs=crs).to_crs(WGS84)
    ids = [f"S{i:05d}" for i in range(n)]
    return gpd.GeoDataFrame(
        {
            "cell_id": pd.array(ids, dtype="string"),
            "site_id": pd.array(ids, dtype="string"),
            "operator": pd.array(rng.choice(OPERATORS, size=n), dtype="string"),
            "lon_deg": shapely.get_x(pts.to_numpy()),
            "lat_deg": shapely.get_y(pts.to_numpy()),
            "azimuth_deg": np.nan,
            "beamwidth_deg": np.nan,
            "range_m": rng.uniform(300.0, 1500.0, size=n),
        },
        geometry=pts.to_numpy(),
        crs=WGS84,
    )


def dense_sites(
    wards: gpd.GeoDataFrame, n: int, sigma_m: float = 12_000.0, radius_m: float = 600.0,
    seed: int = 20250226,
) -> gpd.GeoDataFrame:  # fmt: skip
    """Synthetic disc sites drawn from a normal distribution around the wards' centre."""
    rng = np.random.default_rng(seed)
    crs = equal_area_crs(wards)
    centre = shapely.centroid(shapely.union_all(wards.geometry.to_crs(crs).to_numpy()))
    xs = rng.normal(centre.x, sigma_m, n)
    ys = rng.normal(centre.y, sigma_m, n)
    pts = gpd.GeoSeries(gpd.points_from_xy(xs, ys), crs=crs).to_crs(WGS84)
    ids = [f"D{i:05d}" for i in range(n)]
    return gpd.GeoDataFrame(
        {
            "cell_id": pd.array(ids, dtype="string"),
            "site_id": pd.array(ids, dtype="string"),
            "operator": pd.array(rng.choice(OPERATORS, size=n), dtype="string"),
            "lon_deg": shapely.get_x(pts.to_numpy()),
            "lat_deg": shapely.get_y(pts.to_numpy()),
            "azimuth_deg": np.nan,
            "beamwidth_deg": np.nan,
            "range_m": np.full(n, radius_m),
        },
        geometry=pts.to_numpy(),
        crs=WGS84,
    )


def _timed_in_child(job: str, n: int, sigma_m: float, queue) -> None:
    """Run one exact computation in this (fresh) process; report seconds and peak RSS."""
    wards = phusong.read_wards()
    sites = dense_sites(wards, n, sigma_m)
    t0 = time.perf_counter()
    if job == "arcs":
        arcs_route(wards, sites, max_level=5)
    elif job == "sector":
        ward_coverage_vector(wards, three_sectors(sites), model="sector")
    else:
        ward_coverage_vector(wards, sites, model="disc")
    seconds = time.perf_counter() - t0
    queue.put((seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024))


def in_fresh_process(job: str, n: int, sigma_m: float) -> tuple[float, float]:
    """(seconds, peak resident memory [bytes]) of ``job`` run in a new process."""
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_timed_in_child, args=(job, n, sigma_m, queue))
    proc.start()
    seconds, peak = queue.get()
    proc.join()
    return seconds, peak


def dense_case(wards: gpd.GeoDataFrame, n_sites: int, crowded: bool) -> None:
    """The dense city (σ = 12 km, 600 m discs): exact arcs vs the accurate overlay, memory."""
    sites = dense_sites(wards, n_sites)
    ids = wards["ward_id"]
    (t_arcs, exact), (t_arcs5, _), (t_b64, b64) = interleaved(
        [
            lambda: arcs_route(wards, sites),
            lambda: arcs_route(wards, sites, max_level=5),
            lambda: geopandas_route(wards, sites, 64, corrected=True),
        ]
    )
    diff = np.abs(b64.reindex(ids).to_numpy() - exact.reindex(ids).to_numpy()).max()
    secs, peak = in_fresh_process("arcs", n_sites, 12_000.0)
    print(
        f"dense city: {n_sites} disc sites ~ N(centre, 12 km), radius 600 m "
        f"(medians of {REPEATS} interleaved runs):"
    )
    print(
        f"  baseline, quad_segs=64 (area-corrected)     : {t_b64:7.2f} s  max |Δ| {diff:.1e} points"
    )
    print(f"  arcs (exact circles, level 1)               : {t_arcs:7.2f} s")
    print(f"  arcs (levels 1-5)                           : {t_arcs5:7.2f} s")
    print(f"  speed-up vs accurate baseline (q=64): {t_b64 / t_arcs:.1f}x")
    print(
        f"  arcs levels 1-5 in a fresh process: {secs:.2f} s, peak RSS {peak / 2**30:.2f} GB "
        "(whole process, incl. Python and the libraries)"
    )
    t_full, _ = best_of(lambda: ward_coverage_vector(wards, sites, model="disc"))
    print(f"  full table (any + 3 operators, redundancy, gaps): {t_full:7.2f} s")
    if crowded:
        for job in ("arcs", "sector"):
            secs, peak = in_fresh_process(job, n_sites, 300.0)
            print(
                f"crowded core ({n_sites} sites ~ N(centre, 300 m)), {job}: {secs:.2f} s, "
                f"peak RSS {peak / 2**30:.2f} GB"
            )


def three_sectors(sites: gpd.GeoDataFrame, seed: int = 7) -> gpd.GeoDataFrame:
    """Three 65° cells per site, bearings 120° apart, rotated at random per site."""
    rng = np.random.default_rng(seed)
    n = len(sites)
    out = sites.loc[sites.index.repeat(3)].reset_index(drop=True)
    base = np.repeat(rng.uniform(0.0, 120.0, n), 3)
    out["azimuth_deg"] = np.round((base + np.tile([0.0, 120.0, 240.0], n)) % 360.0, 1)
    out["beamwidth_deg"] = 65.0
    k = np.tile(["-1", "-2", "-3"], n)
    out["cell_id"] = pd.array(out["site_id"].astype(str).to_numpy() + k, dtype="string")
    return out


def geopandas_route(
    wards: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, quad_segs: int = 16, corrected: bool = False
) -> pd.Series:
    """The obvious route: buffer -> union_all -> overlay -> groupby ("any" coverage %)."""
    crs = equal_area_crs(wards)
    w = wards[["ward_id", "geometry"]].to_crs(crs)
    w["area_m2"] = w.area
    pts = sites.to_crs(crs)
    radius = pts["range_m"].to_numpy()
    if corrected:
        radius = area_corrected_radius(radius, 2 * np.pi, 4 * quad_segs)
    discs = pts.buffer(radius, quad_segs=quad_segs)
    union = gpd.GeoDataFrame(geometry=[discs.union_all()], crs=crs)
    covered = gpd.overlay(w, union, how="intersection")
    covered["covered_m2"] = covered.area
    got = covered.groupby("ward_id")["covered_m2"].sum()
    out = w[["ward_id", "area_m2"]].set_index("ward_id")
    out["covered_m2"] = got.reindex(out.index).fillna(0.0)
    return 100.0 * out["covered_m2"] / out["area_m2"]


def arcs_route(wards: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, max_level: int = 1) -> pd.Series:
    """The same figure ("any" coverage %) from exact arc integrals."""
    crs = equal_area_crs(wards)
    geoms = wards.geometry.to_crs(crs).to_numpy()
    pts = sites.geometry.to_crs(crs).to_numpy()
    x, y, r = collapse_sites(
        shapely.get_x(pts), shapely.get_y(pts), sites["range_m"].to_numpy(), sites["site_id"]
    )
    areas = disc_level_areas(x, y, r, geoms, max_level=max_level)
    return pd.Series(100.0 * areas[:, 0] / shapely.area(geoms), index=wards["ward_id"])


def interleaved(fns, repeats: int = REPEATS) -> list[tuple[float, object]]:
    """Median time and last result of each function, run in turn ``repeats`` times."""
    times: list[list[float]] = [[] for _ in fns]
    outs: list[object] = [None] * len(fns)
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            t0 = time.perf_counter()
            outs[i] = fn()
            times[i].append(time.perf_counter() - t0)
    return [(float(np.median(t)), o) for t, o in zip(times, outs, strict=True)]


def best_of(fn, repeats: int = REPEATS):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


def main(
    n_sites: int = 20_000, audit: bool = False, polygons: bool = False, crowded: bool = False
) -> None:
    print(load())
    wards = phusong.read_wards()
    sites = synthetic_sites(wards, n_sites)
    print(
        f"synthetic: {n_sites} disc sites, 3 operators, radius 300-1500 m, {len(wards)} wards; "
        f"best of {REPEATS}"
    )
    ids = wards["ward_id"]
    t_arcs, exact = best_of(lambda: arcs_route(wards, sites))
    t_arcs5, exact5 = best_of(lambda: arcs_route(wards, sites, max_level=5))
    t_b16, b16 = best_of(lambda: geopandas_route(wards, sites, 16))
    t_b64, b64 = best_of(lambda: geopandas_route(wards, sites, 64, corrected=True))
    t_full, full = best_of(lambda: ward_coverage_vector(wards, sites, model="disc"))
    any_rows = full.table[full.table["operator"] == ANY_OPERATOR].set_index("ward_id")

    def dmax(series):
        return np.abs(series.reindex(ids).to_numpy() - exact.reindex(ids).to_numpy()).max()

    print("'any' area coverage % per ward (the same figure by each route):")
    print(
        f"  baseline, quad_segs=16 (geopandas default)  : {t_b16:7.2f} s  max |Δ| {dmax(b16):.1e} points"
    )
    print(
        f"  baseline, quad_segs=64 (area-corrected)     : {t_b64:7.2f} s  max |Δ| {dmax(b64):.1e} points"
    )
    print(f"  arcs (exact circles, level 1)               : {t_arcs:7.2f} s")
    print(
        f"  arcs (levels 1-5)                           : {t_arcs5:7.2f} s  max |Δ| {dmax(exact5):.1e}"
    )
    print(f"  speed-up vs accurate baseline (q=64): {t_b64 / t_arcs:.1f}x")
    print(f"  speed-up vs default baseline  (q=16): {t_b16 / t_arcs:.1f}x")
    print(
        f"full table (any + 3 operators, redundancy classes, gap polygons): {t_full:7.2f} s; "
        f"'any' max |Δ| vs arcs {dmax(any_rows['area_coverage_pct']):.1e} points; "
        f"{t_b64 / t_full:.1f}x the accurate baseline's speed"
    )
    print(f"mean area coverage (any): {exact.mean():.2f} % (synthetic)")
    dense_case(wards, n_sites, crowded)
    sectors = three_sectors(sites)
    t_sec, sec = best_of(lambda: ward_coverage_vector(wards, sectors, model="sector"))
    sec_any = sec.table[sec.table["operator"] == ANY_OPERATOR]
    print(
        f"full table, sector model ({len(sectors)} cells, 3 x 65 deg per site, exact wedges): "
        f"{t_sec:7.2f} s; mean area coverage (any) {sec_any['area_coverage_pct'].mean():.2f} %"
    )
    if polygons:
        t0 = time.perf_counter()
        old = ward_coverage_vector(wards, sites, model="disc", exact_method="polygons")
        t_old = time.perf_counter() - t0
        a = full.table.set_index(["ward_id", "operator"])
        b = old.table.set_index(["ward_id", "operator"]).loc[a.index]
        cols = [c for c in a.columns if c.startswith("area_km2_servers")]
        rel = (np.abs(a[cols] - b[cols]).max(axis=1) / a["area_km2"]).max()
        print(
            f"polygon route (quadtree + arrangement, 128-gons), full table: {t_old:7.2f} s "
            f"(once); max class-area difference vs arcs {rel:.1e} of the ward area"
        )
    if audit:
        from phusong.io.sites import sample_sites_path

        path = sample_sites_path("sheet")
        t_new, _ = best_of(lambda: phusong.run_audit(path), repeats=1)
        patched = functools.partial(ward_coverage_vector, exact_method="polygons")
        aggregate.ward_coverage_vector = patched
        try:
            t_old, _ = best_of(lambda: phusong.run_audit(path), repeats=1)
        finally:
            aggregate.ward_coverage_vector = ward_coverage_vector
        print(
            f"run_audit(sample 'sheet', disc model): arcs {t_new:.2f} s, "
            f"polygon route {t_old:.2f} s ({t_old / t_new:.1f}x)"
        )
        t_new, _ = best_of(lambda: phusong.run_audit(path, model="sector"), repeats=1)
        line = f"run_audit(sample 'sheet', sector model): arcs {t_new:.2f} s"
        if polygons:
            aggregate.ward_coverage_vector = patched
            try:
                t_old, _ = best_of(lambda: phusong.run_audit(path, model="sector"), repeats=1)
            finally:
                aggregate.ward_coverage_vector = ward_coverage_vector
            line += f", polygon route {t_old:.2f} s ({t_old / t_new:.1f}x)"
        print(line)
    print(load())


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(
        int(args[0]) if args else 20_000,
        audit="--audit" in sys.argv,
        polygons="--polygons" in sys.argv,
        crowded="--crowded" in sys.argv,
    )
