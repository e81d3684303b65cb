"""The ``phusong`` command line, run as a subprocess: exit codes, messages, files.

Kept fast: every audit uses the disc model (exact vector route); the three full
audits are shared between tests through module-scoped fixtures.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import finish_cli as finish
from conftest import run_cli as run
from conftest import start_cli as start

from phusong.cli import EXIT_CODES, Progress, exit_code_for, main
from phusong.errors import ConfigError, DataError, GoalNotMetError, OutputExistsError

CSV_JSON = ("wards.csv", "by_operator.csv", "validation.csv", "summary.json", "wards.geojson",
            "gaps.geojson", "report.html")  # fmt: skip


@pytest.fixture(scope="module")
def sample_sheet() -> Path:
    from phusong.io.sites import sample_sites_path

    return sample_sites_path("sheet")


#: A raster model at a coarse resolution: fast, and exercises coverage.tif.
RASTER_ARGS = ("--model", "uma", "--resolution-m", "150")


@pytest.fixture(scope="module")
def runs(sample_sheet, tmp_path_factory):
    """The full audits of this module, run side by side to keep the suite fast.

    - ``human``: ``phusong audit --sites SAMPLE`` in a fresh folder (default
      --out, disc model);
    - ``json``: ``phusong audit --config audit.toml --json --fail-under``, the
      config holding ``sites``, ``model = "uma"``, ``resolution_m``, ``out``
      and ``overwrite = true``, into a folder that already holds a stale
      output and a file of the user's;
    - ``raster``: the same audit with command-line options into a new folder
      (must be byte-identical to ``json``);
    - ``in_process``: :func:`phusong.audit.run_audit` with the options of
      ``raster`` (a raster model keeps it cheaper than a second disc run).
    """
    from phusong.audit import run_audit

    human_cwd = tmp_path_factory.mktemp("cli-human")
    cfg_dir = tmp_path_factory.mktemp("cli-json")
    out = cfg_dir / "reports" / "out"
    out.mkdir(parents=True)
    (out / "wards.csv").write_text("stale", encoding="utf-8")
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    cfg = cfg_dir / "audit.toml"
    cfg.write_text(
        f'sites = "{sample_sheet.as_posix()}"\nmodel = "uma"\nresolution_m = 150\n'
        'out = "reports/out"\noverwrite = true\n',
        encoding="utf-8",
    )
    raster_out = cfg_dir / "raster"
    human = start("audit", "--sites", sample_sheet, cwd=human_cwd)
    as_json = start("audit", "--config", cfg, "--json", "--fail-under", cwd=human_cwd)
    try:
        raster = finish(start("audit", "--sites", sample_sheet, *RASTER_ARGS, "--out", raster_out))
        in_process = run_audit(sample_sheet, model="uma", resolution_m=150.0)
    finally:
        human_res, json_res = finish(human), finish(as_json)
    return {
        "human": (human_cwd / "phusong-audit", human_res),
        "json": (out, json_res),
        "raster": (raster_out, raster),
        "in_process": in_process,
    }


@pytest.fixture(scope="module")
def human_run(runs):
    return runs["human"]


@pytest.fixture(scope="module")
def json_run(runs):
    return runs["json"]


def test_version():
    from phusong import __version__

    res = run("--version")
    assert res.returncode == 0
    assert res.stdout.strip() == f"phusong {__version__}"


def test_help_lists_the_subcommands():
    res = run("--help")
    assert res.returncode == 0
    for name in ("audit", "validate", "sample"):
        assert name in res.stdout


def test_audit_exit_0_human_summary_and_files(human_run):
    out, res = human_run
    assert res.returncode == 0, res.stderr
    text = res.stdout
    assert "(population-weighted)" in text and "(area-weighted)" in text
    assert "SYNTHETIC" in text
    assert "Wards holding the city back most" in text
    # issue #12: the default model, its label, and outdoor and indoor side by side
    assert "planning path loss" in text
    assert "Outdoor population coverage:" in text and "Indoor population coverage:" in text
    assert "WorldPop" in text
    assert "report.html" in text
    assert res.stderr.strip() == ""  # no progress bar when stderr is not a terminal
    names = {p.name for p in out.iterdir()}
    assert names == {*CSV_JSON, "map.html", "coverage.tif"}  # issue #12: a raster model
    wards = pd.read_csv(out / "wards.csv", encoding="utf-8-sig")
    assert len(wards) == 126
    assert "OpenStreetMap" in (out / "map.html").read_text(encoding="utf-8")
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    page = (out / "report.html").read_text(encoding="utf-8")
    assert ("NOT YET" if not summary["meets_goal"] else "YES") in page


def test_audit_agrees_with_run_audit_in_process(runs):
    out, res = runs["raster"]
    assert res.returncode == 0, res.stderr
    ref = runs["in_process"]
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    for key in ("population_coverage_pct", "area_coverage_pct", "uncovered_population"):
        assert summary[key] == pytest.approx(ref.summary[key], abs=1e-5)
    for key in ("wards_meeting_goal", "meets_goal", "inputs", "model", "model_label"):
        assert summary[key] == ref.summary[key]
    wards = pd.read_csv(out / "wards.csv", encoding="utf-8-sig", dtype={"ward_id": str})
    assert len(wards) == 126
    mine = ref.wards.set_index("ward_id").loc[wards["ward_id"]]
    assert list(mine["name"]) == list(wards["name"])
    assert (wards["covered_population"] - mine["covered_population"].to_numpy()).abs().max() < 1e-5
    assert list(wards["meets_goal"]) == list(mine["meets_goal"])
    # The ward rows add up to the city figure of summary.json.
    pct = 100 * wards["covered_population"].sum() / wards["population"].sum()
    assert pct == pytest.approx(summary["population_coverage_pct"], abs=1e-4)


def test_json_only_json_on_stdout_and_fail_under_exit_3(json_run):
    out, res = json_run
    assert res.stdout.startswith("{")
    summary = json.loads(res.stdout)  # nothing but JSON on stdout
    assert summary == json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["meets_goal"] is False  # the synthetic sample does not reach 99 %
    assert res.returncode == 3
    assert "goal not met" in res.stderr and "Traceback" not in res.stderr


def test_two_runs_are_byte_identical(runs):
    a, ra = runs["json"]
    b, rb = runs["raster"]
    assert ra.returncode == 3 and rb.returncode == 0, rb.stderr
    for name in CSV_JSON:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_raster_model_writes_coverage_tif(runs):
    import rasterio

    out, res = runs["raster"]
    assert res.returncode == 0, res.stderr
    assert "uma_nlos path loss, SS-RSRP ≥ -110 dBm, 150 m grid" in res.stdout
    with rasterio.open(out / "coverage.tif") as ds:
        assert ds.count == 3 and ds.res == (150.0, 150.0)
        assert ds.descriptions[0] == "best-server SS-RSRP" and ds.units[0] == "dBm"
        assert ds.tags()["synthetic"] == "SYNTHETIC sample data"
        rsrp, _, servers = ds.read()
    served = servers > 0
    assert served.any()
    # Where a site serves, the best server is at or above the threshold; elsewhere no value.
    assert (rsrp[served] >= -110.0 - 1e-3).all()
    assert np.isnan(rsrp[~served]).all()


def test_overwrite_from_a_config_file(json_run):
    out, res = json_run
    assert res.returncode == 3, res.stderr
    names = {p.name for p in out.iterdir()}
    assert names == {*CSV_JSON, "map.html", "coverage.tif", "notes.txt"}
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"  # not ours: kept
    assert (out / "wards.csv").read_text(encoding="utf-8-sig") != "stale"
    assert not [n for n in names if n.startswith(".") or n.endswith(".tmp")]  # no temp files


def test_existing_output_folder_exit_2(human_run, sample_sheet):
    out, res = human_run
    assert res.returncode == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    again = run("audit", "--sites", sample_sheet, "--out", out, "--quiet")
    assert again.returncode == 2
    assert str(out) in again.stderr and "--overwrite" in again.stderr
    assert "Traceback" not in again.stderr and again.stdout == ""
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # untouched


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["audit", "--treshold-dbm", "-100"], "unrecognized arguments: --treshold-dbm"),
        (["audit", "--threshold-dbm", "loud"], "--threshold-dbm"),
        (["audit", "--sites", "x.csv", "--goal", "120"], "--goal: got 120.0"),
        (["audit", "--sites", "x.csv", "--model", "okumura"], "--model: got 'okumura'"),
        (["audit"], "sites: no site file given"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
    ],
)
def test_usage_errors_exit_2(args, needle, tmp_path):
    res = run(*args, cwd=tmp_path)
    assert res.returncode == 2, res.stderr
    assert needle in res.stderr
    assert "Traceback" not in res.stderr
    assert not (tmp_path / "phusong-audit").exists()


def test_unknown_config_key_exit_2(tmp_path):
    cfg = tmp_path / "audit.toml"
    cfg.write_text('sites = "x.csv"\nthreshold = -100\n', encoding="utf-8")
    res = run("audit", "--config", cfg, cwd=tmp_path)
    assert res.returncode == 2
    assert "threshold (in audit.toml): unknown key" in res.stderr
    assert "threshold_dbm" in res.stderr  # the valid keys are listed


def test_bad_site_file_exit_1(tmp_path):
    bad = tmp_path / "towers.csv"
    bad.write_text("colour,size\nred,3\nblue,4\n", encoding="utf-8")
    res = run("audit", "--sites", bad, "--out", tmp_path / "out", cwd=tmp_path)
    assert res.returncode == 1
    assert "bad input data" in res.stderr and "towers.csv" in res.stderr
    assert "Traceback" not in res.stderr
    assert not (tmp_path / "out").exists()
    missing = run("audit", "--sites", tmp_path / "nope.csv", cwd=tmp_path)
    assert missing.returncode == 1 and "file not found" in missing.stderr


def test_validate_lists_every_rejected_row(sample_sheet, tmp_path):
    lines = sample_sheet.read_text(encoding="utf-8-sig").splitlines()
    header = lines[0].split(",")
    lat = next(
        i for i, h in enumerate(header) if h.strip().lower() in ("lat", "latitude", "lat_deg")
    )
    broken = []
    for row_no in (3, 5):  # 1-based rows as a spreadsheet shows them (header = row 1)
        fields = lines[row_no - 1].split(",")
        fields[lat] = "not-a-number"
        lines[row_no - 1] = ",".join(fields)
        broken.append(row_no)
    bad = tmp_path / "sites_two_bad.csv"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = tmp_path / "report.csv"
    res = run("validate", bad, "--out", report)
    assert res.returncode == 0, res.stderr
    assert f"{len(lines) - 1:,} rows read" in res.stdout
    assert "2 rejected" in res.stdout
    for row_no in broken:
        assert f"sites_two_bad.csv,{row_no}," in res.stdout
    rejected = pd.read_csv(report, encoding="utf-8-sig")
    rejected = rejected[rejected["kind"] == "rejected"]
    assert sorted(set(rejected["row"])) == broken
    # --out refuses to replace an existing file without --overwrite.
    again = run("validate", bad, "--out", report)
    assert again.returncode == 2 and "--overwrite" in again.stderr


def test_validate_unusable_file_exit_1(tmp_path):
    bad = tmp_path / "empty.csv"
    bad.write_text("", encoding="utf-8")
    res = run("validate", bad)
    assert res.returncode == 1
    assert "empty.csv" in res.stderr and "Traceback" not in res.stderr


def test_sample_writes_the_synthetic_network(tmp_path):
    res = run("sample", "--out", tmp_path / "s")
    assert res.returncode == 0, res.stderr
    assert "SYNTHETIC" in res.stdout
    files = list((tmp_path / "s").iterdir())
    assert files and all("SYNTHETIC" in p.name or p.suffix == ".md" for p in files)
    again = run("sample", "--out", tmp_path / "s")
    assert again.returncode == 2 and "--overwrite" in again.stderr
    assert run("sample", "--out", tmp_path / "s", "--overwrite").returncode == 0


# ---------------------------------------------------------------- in-process


def test_exit_codes_map_types_not_messages():
    assert exit_code_for(DataError("x")) == 1
    assert exit_code_for(ConfigError("x")) == 2
    assert exit_code_for(OutputExistsError("x")) == 2
    assert exit_code_for(GoalNotMetError("x")) == 3
    assert exit_code_for(RuntimeError("DataError")) == 4  # the message does not matter
    assert exit_code_for(ValueError("bad input")) == 4
    assert set(EXIT_CODES.values()) == {1, 2, 3}


def test_unexpected_error_exit_4_and_debug(monkeypatch, capsys, tmp_path):
    import phusong.audit

    def boom(*args, **kwargs):
        raise RuntimeError("kaboom\nsecond line")

    monkeypatch.setattr(phusong.audit, "run_audit", boom)
    args = ["audit", "--sites", "x.csv", "--out", str(tmp_path / "o")]
    assert main(args) == 4
    err = capsys.readouterr().err
    assert err.count("\n") == 1  # one line
    assert "unexpected error: RuntimeError: kaboom" in err and "--debug" in err
    assert "Traceback" not in err
    assert main(["--debug", *args]) == 4
    assert "Traceback" in capsys.readouterr().err
    assert main([*args, "--debug"]) == 4  # accepted after the subcommand too
    assert "Traceback" in capsys.readouterr().err


def test_progress_is_silent_without_a_terminal():
    stream = io.StringIO()
    bar = Progress(enabled=True, stream=stream)
    bar("computing coverage", 0.5)
    bar.close()
    assert stream.getvalue() == ""

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty = Tty()
    bar = Progress(enabled=True, stream=tty)
    for step, frac in (("reading wards", 0.0), ("computing coverage", 0.5), ("done", 1.0)):
        bar(step, frac)
    bar.close()
    assert "computing coverage" in tty.getvalue() and "50%" in tty.getvalue()
    quiet = Tty()
    Progress(enabled=False, stream=quiet)("x", 0.5)
    assert quiet.getvalue() == ""


def test_operator_option_takes_lists_and_repeats():
    from phusong.cli import build_parser

    parse = build_parser().parse_args
    args = parse(["audit", "--operator", "Viettel", "--operator", "MobiFone", "VinaPhone"])
    assert args.operators == ["Viettel", "MobiFone", "VinaPhone"]
    assert parse(["audit"]).operators is None  # not given: the config file decides
