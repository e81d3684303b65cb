"""Rollout over time (issue #15): on-air dates, --as-of, the progress series, the CLI."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from conftest import HANOI_X, HANOI_Y, UTM48N, run_cli
from pyproj import Transformer

import phusong
from phusong.errors import ConfigError
from phusong.io.validation.dates import PROXY_SOURCE, parse_dates
from phusong.progress.rollout import as_of_date, rollout_record, series_dates, sites_on_air
from phusong.progress.run import run_progress

T = pd.Timestamp


def _lonlat(dx=0.0, dy=0.0):
    t = Transformer.from_crs(UTM48N, "EPSG:4326", always_xy=True)
    return t.transform(HANOI_X + dx, HANOI_Y + dy)


#: A hand-made sheet: (site, dx, dy, on-air date or "" for undated) [m].
SHEET = [
    ("A", 0.0, 0.0, "2024-11-01"),
    ("B", 900.0, 0.0, "15/02/2025"),  # day first, as written in Vietnam
    ("C", -600.0, 0.0, ""),  # undated: left out of dated figures
    ("D", 600.0, 600.0, "2026-01-10"),
]


def _sheet(tmp_path, rows=SHEET, radius=500, name="dated_sites.csv"):
    lines = ["site_id,operator,lat,lon,band,range_m,ngay_phat_song"]
    for sid, dx, dy, day in rows:
        lon, lat = _lonlat(dx, dy)
        lines.append(f"{sid},Viettel,{lat:.8f},{lon:.8f},n41,{radius},{day}")
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# --------------------------------------------------------------------------- dates


def test_dates_are_read_in_every_usual_form():
    p = parse_dates(
        pd.Series(
            [
                "2024-10-15",
                "15/10/2024",
                "15.10.2024",
                "2024-10",
                "20241015",
                "45580",
                "1728950400",
                "10/15/2024",
                "junk",
                "",
                None,
            ]
        )
    )
    day = np.datetime64("2024-10-15", "ns")
    assert list(p.dates[:3]) == [day] * 3
    assert p.dates[3] == np.datetime64("2024-10-01", "ns")  # a month: its first day
    assert p.dates[4] == day
    assert p.dates[5] == np.datetime64("2024-10-15", "ns")  # serial day 45580
    assert p.dates[6] == day  # Unix seconds (00:00 UTC = 07:00 in Việt Nam)
    assert list(p.bad) == [False] * 7 + [True, True, False, False]  # never month first
    assert p.kinds == {"month": 1, "serial": 1, "unix": 1}
    # Unix seconds late in the UTC day fall on the next local day (UTC+7)
    late = parse_dates(pd.Series([1728950400 + 20 * 3600]), unix_seconds=True)
    assert late.dates[0] == np.datetime64("2024-10-16", "ns")
    assert parse_dates(pd.Series(["1899-01-01"])).bad[0]  # implausible


def test_sheet_dates_notes_and_opencellid_proxy(tmp_path):
    rows = [*SHEET, ("E", 0.0, 300.0, "31/02/2025")]  # no 31 February
    sites, report = phusong.read_sites(_sheet(tmp_path, rows))
    assert report.rows_rejected == 0  # a bad date is a note, the row is kept
    dates = dict(zip(sites["site_id"], sites["on_air"], strict=True))
    assert dates["B"] == T("2025-02-15") and pd.isna(dates["C"]) and pd.isna(dates["E"])
    assert set(sites["on_air_source"]) == {"file:ngay_phat_song"}
    notes = report.notes
    bad = notes[
        (notes["row"] == 6).fillna(False) & (notes["column"] == "ngay_phat_song").fillna(False)
    ]
    assert len(bad) == 1 and "on-air date" in bad["reason"].iloc[0]
    assert bad["value"].iloc[0] == "31/02/2025"
    # OpenCelliD: 'created' is the labelled proxy
    header = "radio,mcc,net,area,cell,unit,lon,lat,range,samples,changeable,created,updated,averageSignal"
    lon, lat = _lonlat()
    ocid = tmp_path / "ocid.csv"
    ocid.write_text(f"{header}\nNR,452,4,1,4096,0,{lon},{lat},500,3,1,1728950400,1730000000,0\n")
    cells, rep = phusong.read_sites(ocid)
    assert cells["on_air"].iloc[0] == T("2024-10-15")
    assert cells["on_air_source"].iloc[0] == PROXY_SOURCE
    assert rep.notes["reason"].str.contains("proxy").any()


def test_as_of_accepts_dates_and_today_and_refuses_junk():
    assert as_of_date("30/06/2025") == T("2025-06-30")
    assert as_of_date(pd.Timestamp("2025-06-30 13:00")) == T("2025-06-30")
    assert as_of_date("today") == pd.Timestamp.today().normalize()
    with pytest.raises(ConfigError, match="as_of"):
        as_of_date("yesterday-ish")


def test_series_dates_are_quarter_ends_then_as_of():
    got = series_dates(T("2024-10-15"), T("2025-08-01"), "quarter")
    assert got == [T("2024-12-31"), T("2025-03-31"), T("2025-06-30"), T("2025-08-01")]
    assert series_dates(T("2024-10-15"), T("2025-12-31"), "year") == [
        T("2024-12-31"),
        T("2025-12-31"),
    ]
    with pytest.raises(ConfigError, match="before the first"):
        series_dates(T("2025-01-01"), T("2024-01-01"))


# --------------------------------------------------------------------------- --as-of


def test_as_of_keeps_exactly_the_sites_on_air_by_then(tmp_path, square_ward):
    path = _sheet(tmp_path)
    sites, _ = phusong.read_sites(path)
    on = sites_on_air(sites, T("2025-03-01"))
    assert sorted(on["site_id"]) == ["A", "B"]  # C undated, D later
    assert sorted(sites_on_air(sites, T("2025-02-15"))["site_id"]) == ["A", "B"]  # inclusive
    assert sorted(sites_on_air(sites, T("2025-02-14"))["site_id"]) == ["A"]
    rec = rollout_record(sites, T("2025-03-01"))
    assert (rec["cells_on_air"], rec["cells_later"], rec["cells_undated"]) == (2, 1, 1)
    res = phusong.run_audit(path, square_ward, model="disc", as_of="2025-03-01")
    assert sorted(res.sites["site_id"]) == ["A", "B"]
    assert res.summary["as_of"] == "2025-03-01"
    assert res.summary["parameters"]["as_of"] == "2025-03-01"
    assert res.summary["rollout"]["cells_undated"] == 1
    # the same two discs audited without dates give the same coverage
    two = phusong.run_audit(_sheet(tmp_path, SHEET[:2], name="two.csv"), square_ward, model="disc")
    assert res.summary["covered_area_km2"] == pytest.approx(two.summary["covered_area_km2"])


def test_as_of_needs_dates(tmp_path, square_ward):
    undated = _sheet(tmp_path, [("A", 0.0, 0.0, "")], name="undated.csv")
    with pytest.raises(ConfigError, match="on-air dates"):
        phusong.run_audit(undated, square_ward, model="disc", as_of="2025-01-01")
    with pytest.raises(ConfigError, match="no cell was on air"):
        phusong.run_audit(_sheet(tmp_path), square_ward, model="disc", as_of="2020-01-01")


# --------------------------------------------------------------------------- the series


def _audit_at(path, wards, day, **kw):
    return phusong.run_audit(path, wards, as_of=day, **kw).summary


def test_progress_disc_equals_an_audit_on_every_date(tmp_path, square_ward):
    path = _sheet(tmp_path)
    run = run_progress(path, square_ward, model="disc", as_of="2026-03-31")
    assert list(run.table["date"]) == ["2024-12-31", "2025-03-31", "2025-06-30", "2025-09-30",
                                       "2025-12-31", "2026-03-31"]  # fmt: skip
    assert "arc" in run.summary["method"]
    for row in run.table.itertuples():
        want = _audit_at(path, square_ward, row.date, model="disc")
        assert row.population_coverage_pct == pytest.approx(
            want["population_coverage_pct"], abs=1e-9
        )
        assert row.covered_area_km2 == pytest.approx(want["covered_area_km2"], rel=1e-9)
        assert row.sites_on_air == want["sites"]["sites"]
    # first quarter: disc A only, wholly inside the 2 km ward: π 0.5² / 4 of it
    assert run.table["area_coverage_pct"].iloc[0] == pytest.approx(
        100 * math.pi * 0.25 / 4, abs=0.05
    )
    assert run.summary["synthetic"] is False and run.table["synthetic"].eq(False).all()


def test_progress_raster_equals_an_audit_on_every_date(tmp_path, square_ward):
    """Second method: one grid with the earliest on-air date vs one full audit per date."""
    path = _sheet(tmp_path)
    kw = {"model": "fspl", "resolution_m": 50.0, "threshold_dbm": -75.0}
    run = run_progress(path, square_ward, freq="year", as_of="2026-06-30", **kw)
    assert "raster" in run.summary["method"]
    covered = run.table["covered_area_km2"].to_numpy()
    assert (np.diff(covered) >= 0).all() and covered[-1] > covered[0] > 0
    for row in run.table.itertuples():
        want = _audit_at(path, square_ward, row.date, **kw)
        assert row.population_coverage_pct == pytest.approx(
            want["population_coverage_pct"], abs=1e-6
        )
        assert row.area_coverage_pct == pytest.approx(want["area_coverage_pct"], abs=1e-6)
    assert run.summary["throughput"]["computed"] is True


def test_progress_pace_and_statuses(tmp_path, square_ward):
    run = run_progress(_sheet(tmp_path), square_ward, model="disc", as_of="2026-03-31")
    pace = run.pace
    t = run.table
    # this year's pace: last figure and the one a year before (2025-03-31), straight line
    last, year_ago = t["population_coverage_pct"].iloc[-1], t["population_coverage_pct"].iloc[1]
    assert pace["pace_since"] == "2025-03-31"
    assert pace["pace_per_year"] == pytest.approx((last - year_ago) / (365 / 365.25))
    assert pace["needed_per_year"] == pytest.approx((99 - last) / (1736 / 365.25))
    status = run.statuses[0]
    assert status.target.key == "coverage"
    assert status.status == ("on track" if pace["on_track"] else "behind")
    assert run.summary["goals"][0]["status"] == status.status
    chart = run.chart_table()
    assert chart["needed_pct"].dropna().iloc[-1] == pytest.approx(99.0)


def test_progress_refuses_sites_without_dates(tmp_path, square_ward):
    with pytest.raises(ConfigError, match="on-air dates"):
        run_progress(_sheet(tmp_path, [("A", 0.0, 0.0, "")], name="u.csv"), square_ward)


# --------------------------------------------------------------------------- CLI


@pytest.fixture
def ward_file(tmp_path, square_ward):
    path = tmp_path / "ward.geojson"
    square_ward.to_crs("EPSG:4326").to_file(path, driver="GeoJSON")
    return path


def test_cli_audit_as_of_and_fail_under_names_the_targets(tmp_path, ward_file):
    sites = _sheet(tmp_path)
    out = tmp_path / "audit"
    proc = run_cli("audit", "--sites", sites, "--wards", ward_file, "--as-of", "2025-03-01",
                   "--out", out, "--fail-under")  # fmt: skip
    assert proc.returncode == 3, proc.stderr
    assert "5G population coverage" in proc.stderr and "not met" in proc.stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["as_of"] == "2025-03-01" and summary["goals_not_met"] == ["coverage"]
    assert "Targets, judged on" in proc.stdout


def test_cli_progress_writes_its_files(tmp_path, ward_file):
    out = tmp_path / "prog"
    proc = run_cli("progress", "--sites", _sheet(tmp_path), "--wards", ward_file, "--as-of",
                   "2026-03-31", "--out", out, "--fail-under")  # fmt: skip
    assert proc.returncode == 3, proc.stderr
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "progress.csv",
        "progress.png",
        "progress_report.html",
        "progress_summary.json",
    ]
    table = pd.read_csv(out / "progress.csv", encoding="utf-8-sig")
    assert list(table["date"])[-1] == "2026-03-31"
    assert (out / "progress.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "This year's pace" in proc.stdout


# --------------------------------------------------------------------------- the sample


@pytest.mark.slow
def test_synthetic_sample_has_dates_and_a_progress_series():
    from phusong.io.sites import sample_sites_path

    sites, _ = phusong.read_sites(sample_sites_path("sheet"))
    assert sites["on_air"].notna().all() and sites.attrs["synthetic"]
    assert sites["on_air"].min() == T("2024-10-15")  # Viettel's launch
    assert sites.groupby("site_id")["on_air"].nunique().max() == 1  # one date per site
    run = run_progress(sample_sites_path("sheet"), model="disc", as_of="2026-09-30")
    assert len(run.table) == 8 and run.summary["synthetic"] is True
    assert run.table["population_coverage_pct"].is_monotonic_increasing
    full = phusong.run_audit(sample_sites_path("sheet"), model="disc")
    assert run.table["population_coverage_pct"].iloc[-1] == pytest.approx(
        full.summary["population_coverage_pct"], abs=1e-9
    )


def test_plan_from_the_network_as_of_a_date(tmp_path, square_ward):
    """run_plan(as_of=…): plans on the cells on air then; the re-audit keeps the new sites."""
    from phusong.plan import run_plan

    run = run_plan(_sheet(tmp_path), square_ward, model="disc", radius_m=500.0,
                   as_of="2025-03-01", target_pct=90.0, max_rounds=1)  # fmt: skip
    assert sorted(run.before.sites["site_id"]) == ["A", "B"]
    assert run.before.summary["as_of"] == "2025-03-01"
    assert run.after is not None and run.summary["n_new_sites"] >= 1
    assert len(run.after.sites) == 2 + run.summary["n_new_cells"]
