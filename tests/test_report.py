"""Report folder (phusong.output, phusong.io.outputs): files, figures, determinism, atomic writes."""

from __future__ import annotations

import io
import json
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from phusong.errors import OutputExistsError
from phusong.io.outputs import write_outputs
from phusong.output.bundle import OUTPUT_FILES, render_outputs
from phusong.output.tables import WARD_LEAD_COLUMNS, summary_json
from phusong.output.text import format_pct as _pct
from phusong.output.text import format_summary, verdict

TEXT_OUTPUTS = (
    "wards.csv",
    "by_operator.csv",
    "validation.csv",
    "summary.json",
    "wards.geojson",
    "gaps.geojson",
    "report.html",
)


@pytest.fixture(scope="module")
def disc_result():
    from phusong.audit import run_audit
    from phusong.io.sites import sample_sites_path

    # One operator keeps this module fast; the full sample runs in test_cli.py.
    return run_audit(sample_sites_path("sheet"), model="disc", operators=["MobiFone"])


@pytest.fixture(scope="module")
def written(disc_result, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "audit"
    return out, write_outputs(disc_result, out)


def read_csv(path):
    return pd.read_csv(path, encoding="utf-8-sig", dtype={"ward_id": str})


def test_every_file_is_written_and_nothing_else(written):
    out, paths = written
    expected = {n for n in OUTPUT_FILES if n != "coverage.tif"}  # disc: vector route
    assert set(paths) == expected
    assert {p.name for p in out.iterdir()} == expected  # no temporary files left behind
    assert all(paths[n] == out / n for n in expected)


def test_wards_csv_columns_rows_and_figures(written, disc_result):
    out, _ = written
    raw = (out / "wards.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM so Excel shows Vietnamese names
    assert b"\r\n" not in raw
    wards = read_csv(out / "wards.csv")
    assert len(wards) == 126
    assert tuple(wards.columns[: len(WARD_LEAD_COLUMNS)]) == WARD_LEAD_COLUMNS
    assert wards["ward_id"].is_unique
    assert list(wards["rank"]) == list(range(1, 127))
    s = disc_result.summary
    # City figures recomputed from the ward rows agree with summary.json.
    pop_pct = 100 * wards["covered_population"].sum() / wards["population"].sum()
    area_pct = 100 * wards["covered_area_km2"].sum() / wards["area_km2"].sum()
    assert pop_pct == pytest.approx(s["population_coverage_pct"], abs=1e-4)
    assert area_pct == pytest.approx(s["area_coverage_pct"], abs=1e-4)
    assert int(wards["meets_goal"].sum()) == s["wards_meeting_goal"]
    # Each ward's percentage matches its own counts, and the goal flag matches it.
    np.testing.assert_allclose(
        wards["population_coverage_pct"],
        100 * wards["covered_population"] / wards["population"],
        atol=1e-4,
    )
    assert (wards["meets_goal"] == (wards["population_coverage_pct"] >= 99 - 1e-9)).all()
    np.testing.assert_allclose(
        wards["shortfall_population"],
        np.maximum(0.99 * wards["population"] - wards["covered_population"], 0),
        atol=1e-3,
    )
    # Rows agree with the in-process result (same ward, same numbers).
    ref = disc_result.wards.set_index("ward_id")
    got = wards.set_index("ward_id")
    np.testing.assert_allclose(
        got["covered_population"], ref.loc[got.index, "covered_population"], atol=1e-5
    )
    assert "Phường Ba Đình" in set(wards["name"])


def test_by_operator_csv(written, disc_result):
    out, _ = written
    ops = read_csv(out / "by_operator.csv")
    assert list(ops.columns[:3]) == ["ward_id", "name", "operator"]
    assert set(WARD_LEAD_COLUMNS) - {"kind"} <= set(ops.columns)
    assert set(ops["operator"]) == set(disc_result.summary["operators"])
    assert len(ops) == 126 * len(disc_result.summary["operators"])
    anyop = ops[ops["operator"] == "any"].set_index("ward_id").sort_index()
    wards = read_csv(out / "wards.csv").set_index("ward_id").sort_index()
    np.testing.assert_allclose(anyop["covered_population"], wards["covered_population"])
    # No single operator covers more people in a ward than all operators together.
    single = ops[ops["operator"] != "any"].groupby("ward_id")["covered_population"].max()
    assert (single.sort_index() <= anyop["covered_population"] + 1e-6).all()


def test_summary_json(written, disc_result):
    out, _ = written
    text = (out / "summary.json").read_text(encoding="utf-8")
    s = json.loads(text)
    for key in (
        "area_coverage_pct",
        "population_coverage_pct",
        "goal",
        "meets_goal",
        "wards_meeting_goal",
        "model",
        "parameters",
        "inputs",
        "version",
    ):
        assert key in s
    assert s["sites"]["rows_accepted"] == disc_result.validation.rows_accepted
    assert s["sites"]["rows_rejected"] == disc_result.validation.rows_rejected
    assert len(s["inputs"]["sites"]["sha256"]) == 64
    assert s["synthetic"] is True
    assert s["population_coverage_pct"] == round(disc_result.summary["population_coverage_pct"], 6)
    assert "NaN" not in text
    assert list(s) == sorted(s)  # sorted keys


def test_geojson_outputs(written):
    out, _ = written
    wards = gpd.read_file(out / "wards.geojson")
    assert len(wards) == 126 and wards.crs.to_epsg() == 4326
    assert tuple(wards.columns[: len(WARD_LEAD_COLUMNS)]) == WARD_LEAD_COLUMNS
    assert wards.geometry.is_valid.all()
    gaps = gpd.read_file(out / "gaps.geojson")
    assert gaps.crs.to_epsg() == 4326
    assert {"area_km2", "population"} <= set(gaps.columns)


def test_validation_csv_matches_the_report(written, disc_result):
    out, _ = written
    v = pd.read_csv(out / "validation.csv", encoding="utf-8-sig")
    assert list(v.columns[:5]) == ["kind", "file", "row", "column", "reason"]
    assert (v["kind"] == "rejected").sum() == len(disc_result.validation.rejected)


def test_report_html_reads_like_a_report(written, disc_result):
    out, _ = written
    page = (out / "report.html").read_text(encoding="utf-8")
    s = disc_result.summary
    assert verdict(s).split(":")[0] in page  # YES / NOT YET
    assert "SYNTHETIC sample data" in page
    assert "population-weighted" in page and "area-weighted" in page
    assert "one outage away from no service" in page
    assert "99% of the population by 2030" in page
    worst = disc_result.wards.sort_values("rank").head(15)
    for name in worst["name"]:
        assert name in page
    assert page.count("<tr>") >= 15 + 4  # worst wards + redundancy classes
    assert "OpenStreetMap contributors" in page
    assert "<script" not in page  # readable without JavaScript or network


def test_map_html_credits_openstreetmap(written):
    out, _ = written
    assert "OpenStreetMap" in (out / "map.html").read_text(encoding="utf-8")


def test_outputs_are_byte_identical(disc_result):
    a = render_outputs(disc_result)
    b = render_outputs(disc_result)
    assert set(TEXT_OUTPUTS) <= set(a)
    for name in TEXT_OUTPUTS:
        assert a[name] == b[name], name


def test_refuses_a_non_empty_folder(tmp_path, disc_result):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(OutputExistsError) as info:
        write_outputs(disc_result, tmp_path)
    assert str(tmp_path) in str(info.value) and "--overwrite" in str(info.value)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
    # An empty existing folder is fine; a file in the way is not.
    (tmp_path / "empty").mkdir()
    assert "wards.csv" in write_outputs(disc_result, tmp_path / "empty")
    with pytest.raises(OutputExistsError, match="is a file"):
        write_outputs(disc_result, tmp_path / "notes.txt")


def test_overwrite_replaces_only_our_files(tmp_path, disc_result):
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "wards.csv").write_text("old")
    (tmp_path / "coverage.tif").write_text("stale raster from an earlier run")
    paths = write_outputs(disc_result, tmp_path, overwrite=True)
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert (tmp_path / "wards.csv").read_bytes() != b"old"
    assert not (tmp_path / "coverage.tif").exists()  # would describe another run
    assert "coverage.tif" not in paths


def test_a_failed_write_leaves_no_temporary_file(tmp_path, disc_result, monkeypatch):
    import phusong.io.files as files

    calls = {"n": 0}
    real_replace = files.os.replace

    def flaky_replace(src, dst):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full")
        return real_replace(src, dst)

    monkeypatch.setattr(files.os, "replace", flaky_replace)
    with pytest.raises(OSError, match="disk full"):
        write_outputs(disc_result, tmp_path / "out")
    names = [p.name for p in (tmp_path / "out").iterdir()]
    assert len(names) == 2 and not any(n.startswith(".") or n.endswith(".tmp") for n in names)


def test_terminal_summary(disc_result, written):
    _, paths = written
    text = format_summary(disc_result, paths)
    assert "(population-weighted)" in text and "(area-weighted)" in text
    assert "SYNTHETIC" in text
    assert disc_result.summary["model_label"] in text
    assert "report.html" in text
    lines = text.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("Wards holding"))
    assert [ln.strip()[:2] for ln in lines[start + 1 : start + 6]] == ["1.", "2.", "3.", "4.", "5."]
    assert len(lines) < 30  # readable in under a minute


def test_percentages_are_never_rounded_up_to_the_goal():
    assert _pct(98.9999) == "98.99%"
    assert _pct(99.0) == "99.00%"
    assert _pct(99.0 - 1e-12) == "99.00%"  # float noise is not truncated away
    assert _pct(float("nan")) == "n/a" and _pct(None) == "n/a"


def test_verdict_words():
    base = {
        "goal": {"target_pct": 99.0, "metric": "population", "year": 2030},
        "population_coverage_pct": 87.254,
        "area_coverage_pct": 50.0,
        "goal_gap_points": 11.746,
        "inputs": {"wards": {"name": "hanoi_wards_2025.geojson"}},
    }
    no = verdict({**base, "meets_goal": False})
    assert no.startswith("NOT YET") and "87.25%" in no and "Hà Nội" in no and "11.75" in no
    yes = verdict({**base, "meets_goal": True, "population_coverage_pct": 99.5})
    assert yes.startswith("YES") and "99.50%" in yes
    other = verdict({**base, "meets_goal": False, "inputs": {"wards": {"name": "x.gpkg"}}})
    assert "the study area" in other
    area = verdict({**base, "meets_goal": False, "goal": {**base["goal"], "metric": "area"}})
    assert "area-weighted" in area and "50.00%" in area


def test_summary_json_is_deterministic_and_strict():
    s = {"b": 1.23456789, "a": [float("nan"), np.float32(0.5), -0.0], "c": {"z": True, "y": None}}
    out = summary_json(s)
    assert out == summary_json(dict(reversed(list(s.items()))))
    parsed = json.loads(out)
    assert parsed == {"a": [None, 0.5, 0.0], "b": 1.234568, "c": {"y": None, "z": True}}
    assert out.endswith(b"\n") and b"NaN" not in out
    assert math.isclose(json.load(io.BytesIO(out))["b"], 1.234568)
