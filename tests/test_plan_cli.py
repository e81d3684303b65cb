"""``phusong plan`` run as a subprocess: exit codes, messages and output files.

Kept fast: three shipped wards (written to a GeoJSON by the test) with the
synthetic sample network and the disc model; the runs of this module start
side by side.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import finish_cli as finish
from conftest import start_cli as start

from phusong.cli import EXIT_DATA, EXIT_USAGE, main
from phusong.output.bundle import PLAN_OUTPUT_FILES
from phusong.output.plan import PLAN_SHEET_COLUMNS
from phusong.output.tables import CSV_ENCODING

#: Three small, partly covered wards of the sample network (94.4 %, 96.4 %, 91.0 %).
WARD_IDS = ["19338318", "19437095", "19341250"]


@pytest.fixture(scope="module")
def sample() -> Path:
    from phusong.io.sites import sample_sites_path

    return sample_sites_path("sheet")


@pytest.fixture(scope="module")
def few_wards(tmp_path_factory) -> Path:
    import phusong

    wards = phusong.read_wards()
    path = tmp_path_factory.mktemp("wards") / "three_wards.geojson"
    few = wards[wards["ward_id"].isin(WARD_IDS)][["ward_id", "name", "population", "geometry"]]
    few.to_file(path, driver="GeoJSON")
    return path


@pytest.fixture(scope="module")
def runs(sample, few_wards, tmp_path_factory):
    """The runs of this module, side by side.

    - ``human``: ``plan --sites SAMPLE --wards FEW`` in a fresh folder (default --out);
    - ``json`` / ``json2``: the same with ``--json`` (and ``--fail-under``, met)
      into two folders (must be byte-identical);
    - ``short``: ``--budget 0 --fail-under`` (no site: the target is not met, 3);
    - ``busy``: into a non-empty folder without ``--overwrite`` (2).
    """
    base = tmp_path_factory.mktemp("plan-cli")
    busy = base / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine", encoding="utf-8")
    # the disc model, as the module docstring says (issue #12 made planning the default)
    common = ("plan", "--sites", sample, "--wards", few_wards, "--model", "disc")
    procs = {
        "human": (base / "phusong-plan", start(*common, cwd=base)),
        "json": (base / "j1", start(*common, "--json", "--fail-under", "--out", base / "j1")),
        "json2": (base / "j2", start(*common, "--json", "-q", "--out", base / "j2")),
        "short": (
            base / "short",
            start(*common, "--budget", "0", "--fail-under", "--out", base / "short"),
        ),
        "busy": (busy, start(*common, "--out", busy)),
    }
    return {k: (out, finish(p)) for k, (out, p) in procs.items()}


def test_plan_human_output_and_files(runs):
    out, res = runs["human"]
    assert res.returncode == 0, res.stderr
    text = res.stdout
    assert text.startswith("!! SYNTHETIC") and text.rstrip().endswith("real sites.")
    assert "Population covered: 94.44% → " in text and "population-weighted" in text
    assert "Target 99% after re-audit: MET." in text
    assert "   1. NEW-0001  " in text and "people" in text
    summary = json.loads((out / "plan_summary.json").read_text(encoding="utf-8"))
    assert f"New sites: {summary['n_new_sites']} " in text
    assert sorted(p.name for p in out.iterdir()) == sorted(PLAN_OUTPUT_FILES)
    # the first ten sites are listed with their ward
    sites = pd.read_csv(out / "proposed_sites.csv", encoding=CSV_ENCODING)
    names = set(pd.read_csv(out / "wards_plan.csv", encoding=CSV_ENCODING, dtype=str)["name"])
    listed = [line for line in text.splitlines() if "NEW-00" in line]
    assert len(listed) == min(10, sites["site_id"].nunique())
    assert all(any(n in line for n in names) for line in listed)


def test_plan_files_are_consistent_and_re_audit_back(runs, sample, few_wards):
    from phusong.audit import run_audit
    from phusong.io.sites import read_sites

    out, _ = runs["human"]
    s = json.loads((out / "plan_summary.json").read_text(encoding="utf-8"))
    assert s["synthetic"] is True and s["verified"] is True and s["meets_target_after"] is True
    assert s["population_coverage_pct_before"] < 99.0 <= s["population_coverage_pct_after"]
    assert s["weighting"]["population_coverage_pct"].startswith("population-weighted")
    # proposed_sites.csv is an operator sheet the audit reads with no rejected row …
    sheet = pd.read_csv(out / "proposed_sites.csv", encoding=CSV_ENCODING)
    assert list(sheet.columns) == list(PLAN_SHEET_COLUMNS)
    assert sheet["site_id"].nunique() == s["n_new_sites"] and len(sheet) == s["n_new_cells"]
    import phusong

    _, report = read_sites(out / "proposed_sites.csv", study_area=phusong.read_wards(few_wards))
    assert report.rows_rejected == 0
    # … and auditing it with the existing sheet gives the plan's re-audited figure
    both = pd.concat([pd.read_csv(sample), sheet.drop(columns="order")], ignore_index=True)
    again = run_audit(both, few_wards, model="disc")
    assert again.summary["population_coverage_pct"] == pytest.approx(
        s["population_coverage_pct_after"], abs=1e-4
    )
    # curve.csv: the audited points bracket the planner's greedy curve
    curve = pd.read_csv(out / "curve.csv", encoding=CSV_ENCODING)
    audits = curve[curve["method"] == "audit"]
    assert audits["population_coverage_pct"].iloc[0] == pytest.approx(
        s["population_coverage_pct_before"], abs=1e-6
    )
    assert audits["population_coverage_pct"].iloc[-1] == pytest.approx(
        s["population_coverage_pct_after"], abs=1e-6
    )
    assert audits["n_sites"].iloc[-1] == s["n_new_sites"]
    for _, g in curve[curve["method"] == "greedy"].groupby("round"):
        assert (np.diff(g["population_coverage_pct"]) > 0).all()
    # wards_plan.csv: one row per ward, sites add up
    wards = pd.read_csv(out / "wards_plan.csv", encoding=CSV_ENCODING, dtype={"ward_id": str})
    assert sorted(wards["ward_id"]) == sorted(WARD_IDS)
    assert wards["new_sites"].sum() == s["n_new_sites"]
    assert (wards["population_coverage_pct_after"] >= wards["population_coverage_pct_before"]).all()
    html = (out / "plan_map.html").read_text(encoding="utf-8")
    assert "Proposed new sites" in html and "OpenStreetMap contributors" in html
    assert "SYNTHETIC" in html


def test_plan_json_is_the_summary_and_byte_identical(runs):
    (out1, r1), (out2, r2) = runs["json"], runs["json2"]
    assert r1.returncode == 0 and r2.returncode == 0, r1.stderr + r2.stderr
    assert r1.stdout == (out1 / "plan_summary.json").read_text(encoding="utf-8")
    assert json.loads(r1.stdout)["meets_target_after"] is True
    for name in ("plan_summary.json", "proposed_sites.csv", "curve.csv", "wards_plan.csv"):
        assert (out1 / name).read_bytes() == (out2 / name).read_bytes(), name


def test_plan_fail_under_exits_3_when_the_target_is_not_met(runs):
    out, res = runs["short"]
    assert res.returncode == 3, res.stderr
    assert "goal not met" in res.stderr and "short of the target 99%" in res.stderr
    s = json.loads((out / "plan_summary.json").read_text(encoding="utf-8"))
    assert s["n_new_sites"] == 0 and s["meets_target_after"] is False
    assert s["population_coverage_pct_after"] == s["population_coverage_pct_before"]
    assert "Target 99% after re-audit: NOT MET." in res.stdout


def test_plan_refuses_a_non_empty_folder(runs):
    out, res = runs["busy"]
    assert res.returncode == EXIT_USAGE
    assert "not empty" in res.stderr and "--overwrite" in res.stderr
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--method", "fastest"), "--method"),
        (("--budget", "-1"), "--budget"),
        (("--target", "120"), "--target"),
        (("--max-rounds", "0"), "--max-rounds"),
        (("--operator", "Nobody"), "operator"),
    ],
)
def test_plan_usage_errors_exit_2(sample, few_wards, tmp_path, capsys, args, message):
    code = main(["plan", "--sites", str(sample), "--wards", str(few_wards),
                 "--out", str(tmp_path / "o"), *args])  # fmt: skip
    assert code == EXIT_USAGE
    assert message in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_plan_without_sites_or_with_bad_data(tmp_path, capsys):
    assert main(["plan", "--out", str(tmp_path / "o")]) == EXIT_USAGE
    assert "--sites" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    assert main(["plan", "--sites", str(bad), "--out", str(tmp_path / "o")]) == EXIT_DATA
    assert "bad input data" in capsys.readouterr().err


def test_plan_keeps_new_sites_out_of_excluded_zones(sample, few_wards, tmp_path, capsys):
    import geopandas as gpd
    import shapely

    from phusong.io.files import sha256_file as _sha256

    wards = gpd.read_file(few_wards)
    # exclude the whole first ward (in UTM 48N, to check the CRS is honoured)
    zone = wards.iloc[[0]][["geometry"]].to_crs("EPSG:32648")
    zones = tmp_path / "no_new_sites.gpkg"
    zone.to_file(zones, driver="GPKG")
    out = tmp_path / "o"
    code = main(["plan", "--sites", str(sample), "--wards", str(few_wards), "--budget", "6",
                 "--excluded", str(zones), "--out", str(out), "--json", "-q"])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    summary = json.loads((out / "plan_summary.json").read_text(encoding="utf-8"))
    assert summary["inputs"]["excluded"] == {"name": zones.name, "sha256": _sha256(zones)}
    new = pd.read_csv(out / "proposed_sites.csv", encoding=CSV_ENCODING)
    assert len(new) > 0
    pts = shapely.points(new["lon"].to_numpy(), new["lat"].to_numpy())
    forbidden = wards.geometry.iloc[0]
    assert not shapely.intersects(forbidden, pts).any()
    # the same plan without the zone does use the first ward (so the test can fail)
    out2 = tmp_path / "o2"
    assert main(["plan", "--sites", str(sample), "--wards", str(few_wards), "--budget", "6",
                 "--out", str(out2), "-q"]) == 0  # fmt: skip
    free = pd.read_csv(out2 / "proposed_sites.csv", encoding=CSV_ENCODING)
    assert shapely.intersects(
        forbidden, shapely.points(free["lon"].to_numpy(), free["lat"].to_numpy())
    ).any()


def test_plan_rejects_zones_that_are_not_polygons(sample, few_wards, tmp_path, capsys):
    import geopandas as gpd
    from shapely.geometry import Point, box

    zones = tmp_path / "zones.geojson"
    gpd.GeoDataFrame(
        geometry=[box(105.8, 21.0, 105.81, 21.01), Point(105.85, 21.03)], crs="EPSG:4326"
    ).to_file(zones, driver="GeoJSON")
    code = main(["plan", "--sites", str(sample), "--wards", str(few_wards),
                 "--excluded", str(zones), "--out", str(tmp_path / "o")])  # fmt: skip
    assert code == EXIT_DATA
    err = capsys.readouterr().err
    assert "zones.geojson" in err and "row 2" in err and "not a polygon" in err
    assert not (tmp_path / "o").exists()
