"""Benchmark: the default audit (planning model, terrain, WorldPop people) on the shipped sample.

Run as a script (not part of the test pass/fail)::

    python benchmarks/bench_default_audit.py [--repeat 3] [--resolution-m 50]

Times, interleaved in one process (baseline, default, baseline, default, …),
medians of wall time and CPU time (all threads), the whole
:func:`phusong.run_audit` on the shipped SYNTHETIC sample, the whole city at
``--resolution-m``:

- baseline: ``model="uma"`` without terrain (one TR 38.901 scenario for every
  cell, the previous path-loss audit), same resolution and people;
- ``planning`` (the default): scenario per ward and cell, terrain from the
  shipped SRTM tile, outdoor and indoor layers, WorldPop weights.

Also prints how the default run's wall time splits into the engine's grid
step (``grid.stats``) and the rest, and the machine load (1-minute load
average over CPUs). Issue #12's target: ≤ 10 s for the default at 50 m here.
A first, untimed run warms the compiled kernels' on-disk cache.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from typing import Any


def _run(**options: Any) -> tuple[float, float, Any]:
    """(wall [s], CPU [s], result) of one audit of the sample."""
    from phusong import run_audit
    from phusong.caches import clear_caches
    from phusong.io.sites import sample_sites_path

    clear_caches()  # every run from cold, as a CLI run is (nothing kept from the last)
    t0, c0 = time.perf_counter(), time.process_time()
    result = run_audit(sample_sites_path("sheet"), **options)
    return time.perf_counter() - t0, time.process_time() - c0, result


def main() -> None:
    """Run the benchmark and print one line per measurement and the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--resolution-m", type=float, default=50.0)
    args = parser.parse_args()
    res = args.resolution_m
    cases = {
        "baseline uma, no terrain": {"model": "uma", "resolution_m": res},
        "planning (default)": {"resolution_m": res},
    }
    _run(resolution_m=400.0)  # warm-up: compiled kernels, imports, file caches
    wall: dict[str, list[float]] = {k: [] for k in cases}
    cpu: dict[str, list[float]] = {k: [] for k in cases}
    grid_s: list[float] = []
    for i in range(args.repeat):
        for name, options in cases.items():
            w, c, result = _run(**options)
            wall[name].append(w)
            cpu[name].append(c)
            if name.startswith("planning"):
                grid_s.append(float(result.grid.stats.get("seconds", float("nan"))))
            load = os.getloadavg()[0] / (os.cpu_count() or 1)
            print(f"repeat {i + 1}: {name:<26} wall {w:6.2f} s  cpu {c:6.2f} s  load {load:.2f}")
    print(f"\nmedians over {args.repeat} interleaved repeats, whole city at {res:g} m:")
    for name in cases:
        print(
            f"  {name:<26} wall {statistics.median(wall[name]):6.2f} s  "
            f"cpu {statistics.median(cpu[name]):6.2f} s"
        )
    base = statistics.median(wall["baseline uma, no terrain"])
    default = statistics.median(wall["planning (default)"])
    print(f"  ratio default / baseline (wall): {default / base:.2f}")
    print(f"  default: grid step {statistics.median(grid_s):.2f} s of {default:.2f} s")
    print(
        f"  machine load (1-min load average / CPUs): {os.getloadavg()[0] / (os.cpu_count() or 1):.2f}"
    )


if __name__ == "__main__":
    main()
