"""Benchmark: vectorised path loss and max range against per-element Python loops.

Run as a script: ``python benchmarks/bench_propagation.py``. Prints timings and
ratios against a baseline measured in the same process (plain ``math`` loops
implementing the same formulas). Not part of the test pass/fail.
"""

from __future__ import annotations

import math
import time

import numpy as np

from phusong import propagation as prop


def _uma_nlos_scalar(d: float, f: float, hb: float, hu: float) -> float:
    d2 = max(d, 10.0)
    d3 = math.hypot(d2, hb - hu)
    dbp = 4 * (hb - 1) * (hu - 1) * f * 1e9 / 3e8
    if d2 <= dbp:
        los = 28 + 22 * math.log10(d3) + 20 * math.log10(f)
    else:
        los = (
            28 + 40 * math.log10(d3) + 20 * math.log10(f) - 9 * math.log10(dbp**2 + (hb - hu) ** 2)
        )
    nlos = 13.54 + 39.08 * math.log10(d3) + 20 * math.log10(f) - 0.6 * (hu - 1.5)
    return max(los, nlos)


def _best_of(fn, repeat: int = 5) -> float:
    best = math.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    rng = np.random.default_rng(0)
    n = 1_000_000
    d = rng.uniform(0.0, 10_000.0, n)
    t_vec = _best_of(lambda: prop.path_loss_db(d, 3.5, "uma_nlos", 25.0, 1.5))
    m = 100_000  # the loop is timed on a tenth and scaled
    sub = d[:m].tolist()
    t_loop = _best_of(lambda: [_uma_nlos_scalar(x, 3.5, 25.0, 1.5) for x in sub], 3) * (n / m)
    got = prop.path_loss_db(d[:1000], 3.5, "uma_nlos", 25.0, 1.5)
    want = np.array([_uma_nlos_scalar(x, 3.5, 25.0, 1.5) for x in d[:1000]])
    assert np.allclose(got, want, atol=1e-9)
    print(f"path_loss_db uma_nlos, {n:,} distances: vectorised {t_vec * 1e3:.1f} ms, "
          f"python loop {t_loop * 1e3:.0f} ms (scaled) -> {t_loop / t_vec:.0f}x faster")  # fmt: skip

    sites = 5_000
    eirp = rng.uniform(55.0, 68.0, sites)
    freq = rng.choice([0.7, 2.6, 3.7, 3.85], sites)
    h_bs = rng.uniform(15.0, 45.0, sites)
    t_vec = _best_of(lambda: prop.max_range_m(eirp, freq, "uma_nlos", h_bs), 3)
    k = 200
    t_loop = _best_of(
        lambda: [prop.max_range_m(eirp[i], freq[i], "uma_nlos", h_bs[i]) for i in range(k)], 3
    ) * (sites / k)
    print(f"max_range_m, {sites:,} sites: vectorised {t_vec * 1e3:.1f} ms, "
          f"one call per site {t_loop * 1e3:.0f} ms (scaled) -> {t_loop / t_vec:.0f}x faster")  # fmt: skip


if __name__ == "__main__":
    main()
