"""``phusong calibrate`` and ``audit / plan --calibration`` on the shipped SYNTHETIC samples."""

from __future__ import annotations

import json

import pytest
from conftest import run_cli

from phusong.calibration.synthetic import SAMPLE_MODEL, SAMPLE_OFFSETS_DB, SAMPLE_SIGMA_DB
from phusong.io.measurements import sample_measurements_path
from phusong.io.sites import sample_sites_path


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory):
    """``phusong calibrate`` on the shipped samples (the README's example)."""
    out = tmp_path_factory.mktemp("calibrate") / "cal"
    proc = run_cli(
        "calibrate", "--sites", sample_sites_path("sheet"), "--measurements",
        sample_measurements_path(), "--model", SAMPLE_MODEL, "--out", out,
    )  # fmt: skip
    return proc, out


@pytest.mark.slow
def test_calibrate_recovers_the_sample_truth_and_writes_its_folder(calibrated):
    proc, out = calibrated
    assert proc.returncode == 0, proc.stderr
    assert "SYNTHETIC" in proc.stdout and "calibration.json" in proc.stdout
    names = {p.name for p in out.iterdir()}
    assert {
        "calibration.json", "calibration_report.html", "residuals_vs_distance.png",
        "residual_map.png", "calibration_points.csv", "calibration_summary.json",
        "measurement_validation.csv",
    } <= names  # fmt: skip
    cal = json.loads((out / "calibration.json").read_text(encoding="utf-8"))
    assert cal["synthetic"] is True and cal["model"] == "uma_nlos"
    for g in cal["groups"]:
        if g["n_points"] >= 1000:
            assert g["pl_offset_db"] == pytest.approx(SAMPLE_OFFSETS_DB[g["operator"]], abs=0.5)
            assert g["sigma_db"] == pytest.approx(SAMPLE_SIGMA_DB, abs=1.0)
    assert (out / "residual_map.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    html = (out / "calibration_report.html").read_text(encoding="utf-8")
    assert "data:image/png;base64," in html and "SYNTHETIC" in html


@pytest.mark.slow
def test_audit_applies_the_calibration_and_says_which(calibrated, tmp_path):
    _, out = calibrated
    args = ("--sites", sample_sites_path("sheet"), "--model", SAMPLE_MODEL, "--resolution-m", "300")
    proc = run_cli("audit", *args, "--calibration", out / "calibration.json", "--out", tmp_path / "a",
                   "--json")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    record = summary["calibration"]
    assert record["file"]["name"] == "calibration.json"
    assert record["cells_calibrated"] > 0 and record["sentence"]
    assert summary["inputs"]["calibration"]["sha256"] == record["file"]["sha256"]
    html = (tmp_path / "a" / "report.html").read_text(encoding="utf-8")
    assert 'id="calibration"' in html and "calibration.json" in html
    plain = run_cli("audit", *args, "--out", tmp_path / "b", "--json")
    before = json.loads(plain.stdout)["population_coverage_pct"]
    # the sample's truth is a loss 3–8 dB above the model: calibrated coverage is lower
    assert summary["population_coverage_pct"] < before


def test_calibration_is_refused_for_footprint_models_and_needs_its_inputs(tmp_path):
    cal = tmp_path / "calibration.json"
    cal.write_text(
        json.dumps(
            {"format": "phusong-calibration", "version": 1, "model": "uma_nlos", "groups": []}
        ),
        encoding="utf-8",
    )
    proc = run_cli("audit", "--sites", sample_sites_path("sheet"), "--model", "disc",
                   "--calibration", cal, "--out", tmp_path / "o")  # fmt: skip
    assert proc.returncode == 2 and "calibration" in proc.stderr and "footprint" in proc.stderr
    proc = run_cli("calibrate", "--sites", sample_sites_path("sheet"), "--out", tmp_path / "c")
    assert proc.returncode == 2 and "--measurements" in proc.stderr
    proc = run_cli("calibrate", "--sites", sample_sites_path("sheet"), "--measurements",
                   sample_measurements_path(), "--model", "disc", "--out", tmp_path / "d")  # fmt: skip
    assert proc.returncode == 2 and "model" in proc.stderr and "footprint" in proc.stderr


def test_calibrate_appears_in_help():
    proc = run_cli("--help")
    assert proc.returncode == 0 and "calibrate" in proc.stdout
