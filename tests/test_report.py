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
    # disc takes the vector route (no coverage.tif) and no places file was given (no targets.csv)
    expected = {n for n in OUTPUT_FILES if n not in ("coverage.tif", "targets.csv")}
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
    # Issue #13: the folder is written whole or not at all (staging folder + one swap),
    # so a write that fails half-way leaves no folder, no partial files, no temporaries.
    import phusong.io.folders as folders

    calls = {"n": 0}
    real_fsync = folders.os.fsync

    def flaky_fsync(fd):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full")
        return real_fsync(fd)

    monkeypatch.setattr(folders.os, "fsync", flaky_fsync)
    with pytest.raises(OSError, match="disk full"):
        write_outputs(disc_result, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert list(tmp_path.iterdir()) == []  # no staging folder, no lock file left


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


# ---------------------------------------------------------------- issue #16: languages, flags, bundle


@pytest.fixture(scope="module")
def vi_files(disc_result):
    from phusong.output.bundle import render_audit_folder

    return render_audit_folder(disc_result, "vi")


def _visible_text(page: str) -> str:
    import html as html_lib
    import re

    body = page[page.index("<body>") :]
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", body))


def test_report_in_vietnamese(vi_files, disc_result):
    from phusong.i18n import NBSP

    page = vi_files["report.html"].decode("utf-8")
    assert '<html lang="vi">' in page
    text = _visible_text(page)
    assert verdict(disc_result.summary, "vi") in text
    assert "CHƯA ĐẠT" in text and "DỮ LIỆU MẪU GIẢ LẬP (SYNTHETIC)" in text
    assert "tính theo dân số" in text and "tính theo diện tích" in text
    assert "phường/xã" in text and "mất điện, đứt cáp quang" in text
    pct = _pct(disc_result.summary["population_coverage_pct"], 2, "vi")
    assert pct.endswith(f"{NBSP}%") and "," in pct and pct in text
    # no English sentence left: common English words do not occur as words
    import re

    english = {"the", "of", "and", "is", "covered", "people", "population", "area", "goal",
               "wards", "operator", "yes", "no", "rows", "read", "accepted"}  # fmt: skip
    prose = re.sub(r"\S+\.(csv|html|json|geojson|tif|md)\b", " ", text)  # file names are names
    prose = prose.replace("University of Southampton", " ")  # a credit names its holder
    words = set(re.findall(r"\b[a-z]+\b", prose.lower()))
    assert not (words & english), sorted(words & english)


def test_report_makes_no_unsourced_claim(written, vi_files):
    out, _ = written
    for page in (
        (out / "report.html").read_text(encoding="utf-8"),
        vi_files["report.html"].decode(),
    ):
        assert "statewide" not in page and "63.6" not in page and "85.5" not in page
        assert "Operators build where people live" not in page
        # the goal's source is named with its date
        assert "58/KH-UBND" in page and ("26 February 2025" in page or "26/02/2025" in page)


def test_report_opens_offline_by_construction(vi_files):
    import re

    page = vi_files["report.html"].decode("utf-8")
    assert "<script" not in page and "<link" not in page and "<img" not in page
    assert "@import" not in page and "url(" not in page
    # the only addresses are links a reader may follow, never loaded resources
    for attr, url in re.findall(r'(\w+)="(https?://[^"]+)"', page):
        assert attr == "href", (attr, url)


def test_csv_and_geojson_carry_the_synthetic_flag(written, disc_result):
    out, _ = written
    for name in ("wards.csv", "by_operator.csv", "validation.csv"):
        table = read_csv(out / name)
        assert table.columns[-1] == "synthetic", name
        assert table["synthetic"].astype(bool).all(), name
    for name in ("wards.geojson", "gaps.geojson"):
        doc = json.loads((out / name).read_text(encoding="utf-8"))
        assert doc["synthetic"] is True, name
        assert all(f["properties"]["synthetic"] is True for f in doc["features"]), name
    assert disc_result.summary["synthetic"] is True


def test_real_data_says_false(disc_result):
    import copy

    from phusong.output.bundle import render_outputs

    real = copy.copy(disc_result)
    real.summary = {**disc_result.summary, "synthetic": False}
    files = render_outputs(real, "en")
    wards = pd.read_csv(io.BytesIO(files["wards.csv"]), encoding="utf-8-sig")
    assert wards["synthetic"].eq(False).all()
    assert json.loads(files["gaps.geojson"])["synthetic"] is False
    report = files["report.html"].decode("utf-8")
    assert "SYNTHETIC sample data" not in report and 'class="banner"' not in report


def test_download_names_and_bundle(disc_result, vi_files, tmp_path):
    import datetime
    import zipfile

    from phusong.io.outputs import audit_bundle, write_bundle
    from phusong.output.bundle import bundle_name, download_name, slug

    assert download_name("wards.csv", True) == "wards_SYNTHETIC.csv"
    assert download_name("coverage.tif", True) == "coverage_SYNTHETIC.tif"
    assert download_name("wards.csv", False) == "wards.csv"
    assert download_name("hanoi_5g_sites_SYNTHETIC.csv", True) == "hanoi_5g_sites_SYNTHETIC.csv"
    assert slug("Phương án: Đông Anh, 3.5 GHz") == "phuong-an-dong-anh-3-5-ghz"
    day = datetime.date(2025, 3, 12)
    s = disc_result.summary
    assert bundle_name(s, day=day) == "phusong_audit_disc-mobifone_2025-03-12_SYNTHETIC.zip"
    assert bundle_name({**s, "synthetic": False}, scenario="Cơ sở", day=day) == (
        "phusong_audit_co-so_2025-03-12.zip"
    )
    name, data = audit_bundle(disc_result, lang="vi", day=day)
    assert name == "phusong_audit_disc-mobifone_2025-03-12_SYNTHETIC.zip"
    assert audit_bundle(disc_result, lang="vi", day=day)[1] == data  # same run, same bytes
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        assert names == sorted(names)
        assert set(names) == {download_name(n, True) for n in vi_files}  # every output, tagged
        assert archive.read("report_SYNTHETIC.html").startswith(b"<!DOCTYPE html>")
        assert b'<html lang="vi">' in archive.read("report_SYNTHETIC.html")
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    path = write_bundle(tmp_path, (name, data))
    assert path == tmp_path / name and path.read_bytes() == data


@pytest.mark.browser
def test_vietnamese_report_opens_offline(vi_files, tmp_path, chromium):
    """report.html in Vietnamese, opened from disk in Chromium with the network refused: no request at all."""
    from playwright.sync_api import sync_playwright

    path = tmp_path / "report.html"
    path.write_bytes(vi_files["report.html"])
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            context = browser.new_context()
            requests: list[str] = []
            context.route(
                "**/*",
                lambda route: (
                    requests.append(route.request.url),
                    route.continue_() if route.request.url.startswith("file:") else route.abort(),
                ),
            )
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(path.as_uri(), wait_until="load")
            assert page.locator("h1").inner_text().startswith("Đánh giá phủ sóng 5G")
            assert "CHƯA ĐẠT" in page.locator(".verdict").inner_text()
            assert page.locator("table").count() >= 3
            assert not errors, errors
            assert [u for u in requests if not u.startswith("file:")] == []
        finally:
            browser.close()
