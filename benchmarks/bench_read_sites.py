"""Benchmark: read_sites on a large OpenCelliD CSV vs a bare pandas.read_csv.

Run as a script (not part of the test pass/fail)::

    python benchmarks/bench_read_sites.py [--rows 1000000] [--repeat 3]

Generates a SYNTHETIC OpenCelliD CSV of random valid Hà Nội rows (80 % NR,
20 % LTE) with a few bad rows (text in a coordinate, a swapped pair, a point
far away, a duplicate cell, an unknown MNC), then times, in the same process:

- baseline: ``pandas.read_csv(path)`` (default C engine, no validation);
- ``phusong.read_sites(path)`` (parse + validate + canonical GeoDataFrame).

The three are run in turn (interleaved) ``--repeat`` times and the medians
compared, with the machine's load average printed before and after.
Targets: read_sites ≤ 10 s for 1,000,000 rows and ≤ 3× the baseline.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import phusong

HEADER = (
    "radio,mcc,net,area,cell,unit,lon,lat,range,samples,changeable,created,updated,averageSignal"
)


def make_file(path: Path, rows: int, seed: int = 1) -> int:
    """Write a SYNTHETIC OpenCelliD CSV; return the number of deliberately bad rows."""
    rng = np.random.default_rng(seed)
    radio = np.where(rng.uniform(size=rows) < 0.8, "NR", "LTE")
    frame = pd.DataFrame(
        {
            "radio": radio,
            "mcc": 452,
            "net": rng.choice([1, 2, 4], rows),
            "area": rng.integers(10000, 11000, rows),
            "cell": np.arange(rows, dtype=np.int64) + 5_000_000,
            "unit": rng.integers(0, 1008, rows),
            "lon": np.round(rng.uniform(105.30, 106.00, rows), 7),
            "lat": np.round(rng.uniform(20.57, 21.38, rows), 7),
            "range": rng.integers(0, 5000, rows),
            "samples": rng.integers(1, 500, rows),
            "changeable": 1,
            "created": rng.integers(1_459_692_342, 1_700_000_000, rows),
            "updated": rng.integers(1_700_000_000, 1_760_000_000, rows),
            "averageSignal": 0,
        }
    )
    frame["lon"] = frame["lon"].astype(object)
    bad = [1000, 2000, 3000, 4000, 5000]
    frame.loc[bad[0], "lon"] = "abc"  # text in a number column
    frame.loc[bad[1], ["lon", "lat"]] = [21.0, 105.8]  # swapped (fixed, note)
    frame.loc[bad[2], ["lon", "lat"]] = [107.5, 20.9]  # far outside
    frame.loc[bad[3], ["radio", "net", "area", "cell"]] = frame.loc[
        bad[4] - 1, ["radio", "net", "area", "cell"]
    ].to_numpy()
    frame.loc[bad[4], "net"] = 12  # unknown MNC
    frame.to_csv(path, index=False)
    return 4


def interleaved(funcs, repeat: int) -> list[tuple[float, object]]:
    """Median time and last result of each function, the functions run in turn."""
    times: list[list[float]] = [[] for _ in funcs]
    outs: list[object] = [None] * len(funcs)
    for _ in range(repeat):
        for i, func in enumerate(funcs):
            t0 = time.perf_counter()
            outs[i] = func()
            times[i].append(time.perf_counter() - t0)
    return [(float(np.median(t)), o) for t, o in zip(times, outs, strict=True)]


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "452_SYNTHETIC.csv"
        t0 = time.perf_counter()
        n_bad = make_file(path, args.rows)
        print(
            f"wrote {args.rows:,} rows ({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t0:.1f} s"
        )
        phusong.read_sites(
            path.read_bytes()[:2000] + b"\n", name="warmup.csv"
        )  # warm caches (ward bounds)
        print(load())

        def baseline() -> pd.DataFrame:
            with warnings.catch_warnings():  # mixed types in 'lon' (the bad rows)
                warnings.simplefilter("ignore", pd.errors.DtypeWarning)
                return pd.read_csv(path)

        (t_pd, df), (t_ps, (_sites, report)), (t_all, (_sites_all, report_all)) = interleaved(
            [
                baseline,
                lambda: phusong.read_sites(path, radio="NR"),
                lambda: phusong.read_sites(path, radio=None),
            ],
            args.repeat,
        )
    print(f"medians of {args.repeat} interleaved runs")
    print(f"pandas.read_csv (baseline)      : {t_pd:6.2f} s  ({len(df):,} rows)")
    print(
        f"phusong.read_sites(radio='NR')  : {t_ps:6.2f} s  ({report.rows_accepted:,} accepted, "
        f"{report.rows_rejected} rejected, {report.rows_filtered:,} filtered)  ratio {t_ps / t_pd:.2f}×"
    )
    print(
        f"phusong.read_sites(radio=None)  : {t_all:6.2f} s  ({report_all.rows_accepted:,} accepted, "
        f"{report_all.rows_rejected} rejected)  ratio {t_all / t_pd:.2f}×"
    )
    print(f"deliberately bad rows: {n_bad} rejected + 1 swapped (fixed, noted)")
    ok = t_all <= 10.0 and t_all / t_pd <= 3.0
    print(f"targets (≤ 10 s, ≤ 3× pandas): {'met' if ok else 'NOT met'}")
    print(load())


if __name__ == "__main__":
    main()
