"""Benchmark: ``phusong progress`` over 8 quarters on the sample against one audit (issue #15).

Run as a script (not part of the test pass/fail)::

    python benchmarks/bench_progress.py [--model planning] [--resolution 20] [--repeats 3]

What it measures, in one process, with interleaved repeats (audit, progress,
audit, progress, …) and their **medians** (never the best of N), the
machine's load average printed beside every figure:

* **baseline** — one :func:`phusong.run_audit` of the shipped SYNTHETIC sample
  sheet (7,146 cells of 2,382 sites) with the model and resolution given;
* **progress** — :func:`phusong.progress.run.run_progress` of the same sheet as of
  30 Sep 2026: 8 quarter ends (Q4 2024 … Q3 2026), each a full set of
  per-ward figures. It reuses the per-site work between dates
  (:mod:`phusong.progress.series`): one grid with the earliest on-air date per pixel
  for raster models, the footprints prepared once and one depth-1 arc
  integral per date for disc/sector;
* **naive** (``--naive``) — 8 independent audits, one per date, for scale.

Target: progress ≤ 3× one audit. Each model is measured separately
(``--model disc``, ``--model sector``, ``--model planning`` …).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import phusong
from phusong.caches import clear_caches
from phusong.io.sites import sample_sites_path
from phusong.progress.run import run_progress

AS_OF = "2026-09-30"
QUARTERS = ("2024-12-31", "2025-03-31", "2025-06-30", "2025-09-30", "2025-12-31",
            "2026-03-31", "2026-06-30", "2026-09-30")  # fmt: skip


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.2f}/{five:.2f} on {os.cpu_count()} CPUs"


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    clear_caches()  # each run from cold: a run's own dates may share, runs may not
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print medians and the ratio."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="disc")
    ap.add_argument("--resolution", type=float, default=20.0, help="raster models [m]")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--naive", action="store_true", help="also time one audit per date")
    args = ap.parse_args(argv)
    sheet = sample_sites_path("sheet")
    kw: dict[str, Any] = {"model": args.model}
    if args.model not in ("disc", "sector"):
        kw["resolution_m"] = args.resolution
    runs: dict[str, list[float]] = {"audit": [], "progress": [], "naive": []}
    print(f"phusong {phusong.__version__}; sample {sheet.name}; {kw}; {_load()}")
    run = None
    for rep in range(args.repeats):
        t, _ = _timed(lambda: phusong.run_audit(sheet, **kw))
        runs["audit"].append(t)
        print(f"  [{rep + 1}] audit    {t:7.2f} s   ({_load()})", flush=True)
        t, run = _timed(lambda: run_progress(sheet, as_of=AS_OF, **kw))
        runs["progress"].append(t)
        print(f"  [{rep + 1}] progress {t:7.2f} s   ({_load()})", flush=True)
        if args.naive:
            t, _ = _timed(lambda: [phusong.run_audit(sheet, as_of=d, **kw) for d in QUARTERS])
            runs["naive"].append(t)
            print(f"  [{rep + 1}] naive    {t:7.2f} s   ({_load()})", flush=True)
    audit = statistics.median(runs["audit"])
    prog = statistics.median(runs["progress"])
    assert run is not None and len(run.table) == len(QUARTERS)
    print(f"median audit {audit:.2f} s, progress over {len(run.table)} quarters {prog:.2f} s: "
          f"{prog / audit:.2f}× one audit (target ≤ 3×); method: {run.summary['method']}")  # fmt: skip
    if runs["naive"]:
        naive = statistics.median(runs["naive"])
        print(f"median naive (one audit per date) {naive:.2f} s: {naive / audit:.2f}× one audit")
    print(_load())


if __name__ == "__main__":
    main()
