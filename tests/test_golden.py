"""Golden figures: the city summary of the shipped SYNTHETIC sample, pinned.

These tests catch an unintended change of any figure a user sees. They compare
``run_audit`` on the shipped sample sheet with ``tests/golden/<case>.json``:
percentages to within :data:`PCT_ABS` points, people and areas to within
:data:`REL` (relative), counts and verdicts exactly.

When a change of the figures is *intended* (a model fix, a new sample),
regenerate the files and review the diff before committing::

    PHUSONG_UPDATE_GOLDEN=1 /tmp/venv/bin/pytest tests/test_golden.py
    git diff tests/golden/

(The test then writes the files and passes.) The sample's SHA-256 is stored
too, so a changed sample is reported as such rather than as a model change.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("PHUSONG_UPDATE_GOLDEN") == "1"

#: Tolerance of percentages [percentage points].
PCT_ABS = 0.01
#: Relative tolerance of people counts and areas.
REL = 1e-4

#: case name -> run_audit options (coarse raster to stay fast).
CASES: dict[str, dict[str, Any]] = {
    "sample_disc": {"model": "disc"},
    "sample_uma_100m": {"model": "uma", "resolution_m": 100.0},
    # issue #12: the default model (planning: scenario per ward, terrain, WorldPop people)
    "sample_planning_100m": {"resolution_m": 100.0},
}


def pinned(summary: dict[str, Any]) -> dict[str, Any]:
    """The figures a user sees, from a ``run_audit`` summary."""
    keys = (
        "area_coverage_pct",
        "population_coverage_pct",
        "area_km2",
        "covered_area_km2",
        "population",
        "covered_population",
        "uncovered_population",
        "meets_goal",
        "goal_gap_points",
        "wards_meeting_goal",
        "n_wards",
        "model",
        "threshold_dbm",
        "population_source",
        "synthetic",
    )
    out: dict[str, Any] = {k: summary[k] for k in keys}
    # issue #12: the indoor figure beside the outdoor one (None for footprint models)
    out["indoor_population_coverage_pct"] = (summary.get("indoor") or {}).get(
        "population_coverage_pct"
    )
    out["goal"] = {k: summary["goal"][k] for k in ("target_pct", "metric", "year")}
    out["sites"] = {
        k: summary["sites"][k] for k in ("cells", "sites", "rows_accepted", "rows_rejected")
    }
    out["operators"] = {
        op: {
            k: v[k]
            for k in ("population_coverage_pct", "area_coverage_pct", "wards_meeting_goal", "cells")
        }
        for op, v in sorted(summary["operators"].items())
    }
    out["redundancy"] = {
        k: {"population_pct": v["population_pct"], "area_pct": v["area_pct"]}
        for k, v in sorted(summary["redundancy"].items())
    }
    # Only the first: lower ranks can swap within the tolerance (gains 0.01 apart).
    out["worst_ward"] = summary["worst_wards"][0]["ward_id"]
    out["sample_sha256"] = summary["inputs"]["sites"]["sha256"]
    return out


def compare(got: Any, want: Any, path: str = "") -> list[str]:
    """Differences beyond the tolerances, one line each."""
    if isinstance(want, dict):
        if not isinstance(got, dict) or set(got) != set(want):
            return [
                f"{path}: keys {sorted(got) if isinstance(got, dict) else got!r} != {sorted(want)}"
            ]
        return [d for k in want for d in compare(got[k], want[k], f"{path}.{k}")]
    if isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            return [f"{path}: {got!r} != {want!r}"]
        return [
            d
            for i, (g, w) in enumerate(zip(got, want, strict=True))
            for d in compare(g, w, f"{path}[{i}]")
        ]
    if isinstance(want, float) and not isinstance(want, bool):
        tol = PCT_ABS if path.endswith(("_pct", "_points")) else REL * max(abs(want), 1.0)
        if not isinstance(got, (int, float)) or abs(got - want) > tol:
            return [f"{path}: {got!r} != {want!r} (tolerance {tol:g})"]
        return []
    return [] if got == want else [f"{path}: {got!r} != {want!r}"]


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(CASES))
def test_sample_city_summary_is_unchanged(case):
    from phusong.audit import run_audit
    from phusong.io.sites import sample_sites_path

    result = run_audit(sample_sites_path("sheet"), **CASES[case])
    got = json.loads(json.dumps(pinned(result.summary)))
    path = GOLDEN / f"{case}.json"
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(
            json.dumps(got, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        return
    assert path.exists(), (
        f"{path} is missing; create it with PHUSONG_UPDATE_GOLDEN=1 (see module docstring)"
    )
    want = json.loads(path.read_text(encoding="utf-8"))
    if got["sample_sha256"] != want["sample_sha256"]:
        pytest.fail(
            "the shipped sample sheet changed since the golden figures were made; if that is "
            "intended, regenerate them: PHUSONG_UPDATE_GOLDEN=1 pytest tests/test_golden.py"
        )
    diffs = compare(got, want)
    assert not diffs, "city figures changed:\n" + "\n".join(diffs)


def test_compare_detects_changes():
    want = {
        "population_coverage_pct": 85.0,
        "covered_population": 1000.0,
        "n_wards": 126,
        "x": [1.0],
    }
    assert compare(dict(want), want) == []
    assert compare({**want, "population_coverage_pct": 85.005}, want) == []
    assert compare({**want, "population_coverage_pct": 85.02}, want) != []
    assert compare({**want, "covered_population": 1000.2}, want) != []
    assert compare({**want, "n_wards": 125}, want) != []
    assert compare({**want, "x": [1.0, 2.0]}, want) != []
