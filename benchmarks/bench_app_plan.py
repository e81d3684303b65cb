"""Benchmark: the app's plans on the shipped sample (issue #17), against the planner on gap polygons.

Run as a script (not part of the test pass/fail)::

    python benchmarks/bench_app_plan.py [--budget 20] [--repeats 3] [--target 99]

What it measures, in one process, with interleaved repeats (baseline, ours,
baseline, ours, …) and their **medians** (never the best of N), the
machine's load average printed beside every figure. Each run is what the
app's Plan page runs (:func:`phusong.plan.run_plan` on the SYNTHETIC sample
sheet, 5G cells only, the default ``planning`` model with terrain and
WorldPop people at 50 m): the audit of the existing network, the proposal
and the verifying re-audit.

* **baseline** — the planner's demand taken from the gap polygons, cut by the
  100 m demand grid (people spread evenly inside each gap): how the planner
  worked before it read the audit's pixels. Reconstructed here by handing
  the planner the audit without its pixels.
* **ours** — the demand from the audit's own unserved pixels and people
  (:func:`phusong.planning.demand.grid_demand_points`).
* **ours, app's audit** — what a click on the app's Plan page runs: the
  same, starting from the audit of the network the app already holds
  (``run_plan(before=…)``: the Overview's cached audit, made just before and
  not timed), so only the proposal and the re-audit.

Every run starts from cold caches (:func:`phusong.caches.clear_caches`:
terrain windows, ward overlaps and their gaps), as the first plan does; the
app's audit then warms them for the existing network, as the Overview does.

Both print the time of each stage (audit, proposal, re-audit) and the
audited coverage after the plan. ``--target 99`` also times one plan to the
99 % target (target mode, rounds until the re-audit reaches it), once.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import phusong.planning.propose as propose
from phusong.audit import run_audit
from phusong.caches import clear_caches
from phusong.io.sites import sample_sites_path
from phusong.plan import run_plan

_FROM_AUDIT = propose.PlanInputs.from_audit


def _without_pixels(result: Any) -> propose.PlanInputs:
    """The planner's inputs without the audit's pixels (the gap-polygon demand)."""
    return replace(_FROM_AUDIT(result), pixels=None, unserved=None, ward_ids=None)


def _load() -> str:
    return ", ".join(f"{v:.1f}" for v in os.getloadavg())


def _plan(
    budget: int | None, target: float | None, polygons: bool, before: Any = None
) -> tuple[float, dict, Any]:
    """Run the app's plan; return (seconds, stage seconds, summary)."""
    stages: dict[str, float] = {}
    current = ["start"]

    def progress(step: str, fraction: float) -> None:
        nonlocal last
        now = time.perf_counter()
        key = "audit" if "round" not in step else ("re-audit" if "re-audit" in step else "propose")
        stages[current[0]] = stages.get(current[0], 0.0) + now - last
        current[0] = key
        last = now

    if before == "app":  # the Overview's audit, made (untimed) on cold caches
        clear_caches()
        before = run_audit(sample_sites_path(), radio=("NR",))
    elif before is None:
        clear_caches()
    propose.PlanInputs.from_audit = _without_pixels if polygons else _FROM_AUDIT  # type: ignore[method-assign]
    t0 = last = time.perf_counter()
    try:
        run = run_plan(sample_sites_path(), budget=budget, target_pct=target, radio=("NR",),
                       progress=progress, before=before)  # fmt: skip
    finally:
        propose.PlanInputs.from_audit = _FROM_AUDIT  # type: ignore[method-assign]
    stages.pop("start", None)
    return time.perf_counter() - t0, stages, run.summary


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print medians, stages and the ratio."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--budget", type=int, default=20, help="new sites of the budget plan")
    p.add_argument("--repeats", type=int, default=3, help="interleaved repeats (medians)")
    p.add_argument("--target", type=float, default=None, help="also one plan to this target [%]")
    args = p.parse_args(argv)
    print(f"SYNTHETIC sample, default model; load average at start {_load()}")
    steps: dict[str, Callable[[], tuple[float, dict, Any]]] = {
        "baseline (gap polygons)": lambda: _plan(args.budget, None, True),
        "ours (audit pixels)": lambda: _plan(args.budget, None, False),
        "ours, app's audit": lambda: _plan(args.budget, None, False, "app"),
    }
    runs: dict[str, list[tuple[float, dict, Any]]] = {k: [] for k in steps}
    for rep in range(args.repeats):
        for name, fn in steps.items():
            out = fn()
            runs[name].append(out)
            stage = ", ".join(f"{k} {v:.2f} s" for k, v in out[1].items())
            print(f"  repeat {rep + 1}: {name}: {out[0]:.2f} s ({stage}); "
                  f"coverage after {out[2]['population_coverage_pct_after']:.2f} %; "
                  f"load {_load()}", flush=True)  # fmt: skip
    print(f"\nmedians of {args.repeats} interleaved repeats, {args.budget} new sites:")
    med = {}
    for name, outs in runs.items():
        med[name] = statistics.median(o[0] for o in outs)
        stages = {k: statistics.median(o[1].get(k, 0.0) for o in outs) for k in outs[0][1]}
        stage = ", ".join(f"{k} {v:.2f} s" for k, v in stages.items())
        print(f"  {name:26s} {med[name]:6.2f} s  ({stage})")
    base, ours = med["baseline (gap polygons)"], med["ours (audit pixels)"]
    app = med["ours, app's audit"]
    print(f"  ours / baseline: {ours / base:.2f}× the time; in the app (audit held) "
          f"{app / base:.2f}×; goal in the app ≤ 3 s; load {_load()}")  # fmt: skip
    if args.target is not None:
        secs, stages, summary = _plan(None, args.target, False, "app")
        stage = ", ".join(f"{k} {v:.2f} s" for k, v in stages.items())
        print(f"\none plan to {args.target:g} % from the app's audit: {secs:.1f} s ({stage}); "
              f"{summary['n_new_sites']} new sites in {summary['rounds']} rounds, coverage after "
              f"{summary['population_coverage_pct_after']:.2f} %; load {_load()}")  # fmt: skip


if __name__ == "__main__":
    main()
