"""Benchmark: run_calibration on 1,000,000 measurements and on the shipped sample.

Run as a script (not part of the test pass/fail)::

    python benchmarks/bench_calibration.py [--points 1000000] [--repeat 3]

Makes a SYNTHETIC measurement file of ``--points`` rows from the shipped
SYNTHETIC sample network (the UMa model + known offsets + 7 dB shadowing,
70 % of rows naming their cell; :mod:`phusong.calibration.synthetic`), then
times, interleaved (baseline, phusong, baseline, …) in one process, medians:

- baseline: what an analyst writes in plain pandas / numpy — ``read_csv`` of
  both files, cells joined by name (rows without a name: the nearest cell of
  the operator, KD-tree), the prediction EIRP − 10 log10(12 N_RB) − UMa NLOS
  path loss − antenna pattern with :mod:`phusong.propagation`, and one
  ``numpy.linalg.lstsq`` offset per operator × band; no row checks, no best
  server, no robust fit, no cross-validation;
- ``phusong.run_calibration``: reading and checking every row, association
  (cell id, else the model's best server), the engine's prediction, Huber
  fits per group and 5-fold spatially blocked cross-validation.

Also times the shipped sample (``data/sample/hanoi_drive_test_SYNTHETIC.csv``).
The large file is made once and kept in the temporary folder; pass
``--regenerate`` after a change of the model or the sample network.
Target: ≤ 30 s for 1,000,000 measurements here. Prints the machine load.
"""

from __future__ import annotations

import argparse
import functools
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from pyproj import Transformer
from scipy.spatial import cKDTree

from phusong import propagation as prop
from phusong.calibration.run import run_calibration
from phusong.calibration.synthetic import SAMPLE_OFFSETS_DB, measurement_csv, synthetic_measurements
from phusong.geo import equal_area_crs
from phusong.io.measurements import sample_measurements_path
from phusong.io.sites import read_sites, sample_sites_path
from phusong.io.wards import read_wards


def make_file(path: Path, points: int) -> None:
    """Write ``points`` SYNTHETIC measurements made from the shipped sample network."""
    sites, _ = read_sites(sample_sites_path("sheet"))
    parts, made, seed = [], 0, 100
    while made < points:  # in chunks: bounded memory
        n = min(250_000, points - made)
        part = synthetic_measurements(sites, n=n, offset_db=SAMPLE_OFFSETS_DB, seed=seed)
        parts.append(part)
        made += len(part)
        seed += 1
    table = pd.concat(parts, ignore_index=True).head(points)
    path.write_text(measurement_csv(table), encoding="utf-8")


def baseline(sites_path: Path, meas_path: Path) -> dict[str, float]:
    """Plain pandas / numpy offset per operator × band (see the module docstring)."""
    cells = pd.read_csv(sites_path)
    m = pd.read_csv(meas_path, comment="#")
    crs = equal_area_crs(read_wards())
    to = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    cx, cy = to.transform(cells["lon"].to_numpy(), cells["lat"].to_numpy())
    mx, my = to.transform(m["Longitude"].to_numpy(), m["Latitude"].to_numpy())
    idx = pd.Series(np.arange(len(cells)), index=cells["cell_id"])
    cell = idx.reindex(m["CellName"]).to_numpy(dtype="float64").copy()
    for op in m["Operator"].unique():
        sel = np.flatnonzero(np.isnan(cell) & (m["Operator"] == op).to_numpy())
        own = np.flatnonzero((cells["operator"] == op).to_numpy())
        _, near = cKDTree(np.column_stack([cx[own], cy[own]])).query(
            np.column_stack([mx[sel], my[sel]])
        )
        cell[sel] = own[near]
    cell = cell.astype(int)
    c = cells.iloc[cell]
    d = np.hypot(mx - cx[cell], my - cy[cell])
    n_rb = prop.n_rb_for(c["bandwidth_mhz"].to_numpy(), 30)
    pl = prop.uma_nlos_db(d, c["frequency_mhz"].to_numpy() / 1000, c["height_m"].to_numpy(), 1.5)
    bearing = np.degrees(np.arctan2(mx - cx[cell], my - cy[cell]))
    att = prop.sector_attenuation_db(
        bearing, c["azimuth_deg"].to_numpy(), d, c["height_m"].to_numpy(), 1.5,
        c["tilt_deg"].to_numpy(), c["beamwidth_deg"].to_numpy(),
    )  # fmt: skip
    predicted = prop.rsrp_dbm(c["eirp_dbm"].to_numpy(), pl, n_rb) + att
    excess = pd.Series(predicted - m["NR_SS_RSRP (dBm)"].to_numpy())
    key = c["operator"].to_numpy() + " " + c["band"].to_numpy()
    out = {}
    for k, part in excess.groupby(key):
        y = part.to_numpy()
        out[str(k)] = float(np.linalg.lstsq(np.ones((y.size, 1)), y, rcond=None)[0][0])
    return out


def ours(sites_path: Path, meas_path: Path) -> dict[str, float]:
    """phusong.run_calibration: offsets by group."""
    result = run_calibration(sites_path, meas_path, model="uma")
    return {f"{g.operator} {g.band}": g.pl_offset_db for g in result.calibration.groups}


def interleaved(cases: dict[str, object], repeat: int) -> dict[str, list[float]]:
    """Run each case once per round, rounds ``repeat`` times; seconds per run."""
    times: dict[str, list[float]] = {k: [] for k in cases}
    for _ in range(repeat):
        for name, fn in cases.items():
            t0 = time.perf_counter()
            fn()  # type: ignore[operator]
            times[name].append(time.perf_counter() - t0)
    return times


def report(title: str, times: dict[str, list[float]]) -> None:
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"\n{title}")
    for k, v in times.items():
        runs = ", ".join(f"{t:.2f}" for t in v)
        print(f"  {k:<24} median {med[k]:7.2f} s   (runs: {runs})")
    names = list(med)
    if len(names) == 2:
        print(f"  ratio {names[1]} / {names[0]}: {med[names[1]] / med[names[0]]:.2f}×")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--regenerate", action="store_true", help="make the measurement file again (model changed)"
    )
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()} at start")
    sites = sample_sites_path("sheet")
    path = Path(tempfile.gettempdir()) / f"phusong_bench_calibration_{args.points}_SYNTHETIC.csv"
    if args.regenerate or not path.exists():  # made once, reused by later runs
        t0 = time.perf_counter()
        make_file(path, args.points)
        print(f"made {args.points:,} SYNTHETIC measurements in {time.perf_counter() - t0:.1f} s")
    print(f"measurements: {path} ({path.stat().st_size / 1e6:.0f} MB)")
    truth = ", ".join(f"{k} +{v:g}" for k, v in SAMPLE_OFFSETS_DB.items())
    print(f"offsets (truth {truth} dB):")
    print("  baseline:", {k: round(v, 2) for k, v in baseline(sites, path).items()})
    print("  phusong: ", {k: round(v, 2) for k, v in ours(sites, path).items()})
    cases = {"baseline (pandas/numpy)": baseline, "phusong.run_calibration": ours}
    big = interleaved({k: functools.partial(f, sites, path) for k, f in cases.items()}, args.repeat)
    report(f"{args.points:,} measurements, shipped sample network (7,146 cells)", big)
    sample = sample_measurements_path()
    small = interleaved(
        {k: functools.partial(f, sites, sample) for k, f in cases.items()}, args.repeat
    )
    report(f"shipped sample ({sample.name})", small)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak memory {peak:,.0f} MB; load average {os.getloadavg()} at the end")


if __name__ == "__main__":
    main()
