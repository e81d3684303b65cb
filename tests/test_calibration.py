"""Calibration: point prediction = grid, robust fit, known truth recovered, applied to audits."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from scipy.optimize import least_squares
from shapely.geometry import box

from phusong.calibration.fit import (
    HUBER_K,
    ErrorStats,
    huber_fit,
    least_squares_fit,
    mad_sigma,
    spatial_folds,
)
from phusong.calibration.model import Calibration
from phusong.calibration.predict import best_server, point_model, predict_rsrp
from phusong.calibration.run import run_calibration
from phusong.calibration.synthetic import measurement_csv, nr_arfcn, synthetic_measurements
from phusong.errors import ConfigError
from phusong.io.calibration import calibration_json_bytes, load_calibration
from phusong.propagation import LinkBudget

#: A part of central Hà Nội: small enough for fast audits, with all three operators.
BBOX = (105.80, 20.99, 105.87, 21.05)


@pytest.fixture(scope="module")
def wards(hanoi_wards):
    return hanoi_wards[hanoi_wards.intersects(box(*BBOX))].reset_index(drop=True)


@pytest.fixture(scope="module")
def sites():
    from phusong.io.sites import read_sites, sample_sites_path

    table, _ = read_sites(sample_sites_path("sheet"))
    inside = table["lon_deg"].between(BBOX[0], BBOX[2]) & table["lat_deg"].between(BBOX[1], BBOX[3])
    return table[inside].reset_index(drop=True)


@pytest.fixture(scope="module")
def truth_file(sites, wards, tmp_path_factory):
    """SYNTHETIC measurements: the model with +6 dB path loss and σ = 7 dB shadowing."""
    table = synthetic_measurements(sites, wards, n=12_000, offset_db=6.0, sigma_db=7.0, seed=7)
    path = tmp_path_factory.mktemp("cal") / "drive_SYNTHETIC.csv"
    path.write_text(measurement_csv(table), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def fitted(sites, wards, truth_file):
    return run_calibration(sites, truth_file, wards, model="uma")


# --------------------------------------------------------------------------- prediction


@pytest.mark.slow
def test_point_prediction_equals_the_grid_at_pixel_centres(sites, wards):
    from phusong.raster.grid import GridSpec, compute_grid

    pm = point_model(sites, wards, model="uma")
    grid = GridSpec.for_area(wards, resolution_m=100.0)
    area = gpd.GeoDataFrame(geometry=[box(105.82, 21.01, 105.85, 21.035)], crs=4326)
    crop = GridSpec.for_area(area, resolution_m=50.0, crs=grid.crs)
    result = compute_grid(sites, crop, model="uma", link_budget=LinkBudget())
    x, y = np.meshgrid(crop.x_centres(), crop.y_centres())
    served = result.serving_cell >= 0
    assert served.sum() > 1000
    cell = pd.Index(pm.cells.cell_ids).get_indexer(result.cell_ids[result.serving_cell[served]])
    rsrp, _ = predict_rsrp(pm, cell, x[served], y[served])
    np.testing.assert_allclose(rsrp, result.rsrp_dbm[served], atol=0.01)
    best, best_rsrp = best_server(pm, x[served], y[served], None, None)
    assert (best == cell).mean() > 0.999
    np.testing.assert_allclose(best_rsrp, result.rsrp_dbm[served], atol=0.01)


# --------------------------------------------------------------------------- the fit


def test_huber_irls_equals_scipy_least_squares_huber():
    rng = np.random.default_rng(3)
    x = rng.uniform(-1.5, 0.2, 4000)
    y = 6.0 + 10.0 * x + rng.normal(0, 7, x.size)
    y[:200] += rng.uniform(20, 40, 200)  # outliers
    ours = huber_fit(x, y, fit_slope=True)
    scale = HUBER_K * ours.scale_db
    ref = least_squares(
        lambda b: b[0] + b[1] * x - y, x0=[0.0, 0.0], loss="huber", f_scale=scale, xtol=1e-12,
        ftol=1e-12, gtol=1e-12,
    )  # fmt: skip
    # same Huber threshold: the same minimiser (the IRLS scale is MAD-based)
    assert ours.offset_db == pytest.approx(ref.x[0], abs=0.05)
    assert ours.slope_db_per_decade == pytest.approx(ref.x[1], abs=0.05)
    plain = least_squares_fit(x, y, fit_slope=True)
    assert abs(ours.offset_db - 6.0) < abs(plain.offset_db - 6.0)  # robust to the outliers


def test_huber_and_least_squares_agree_without_outliers():
    rng = np.random.default_rng(4)
    y = 3.0 + rng.normal(0, 6, 50_000)
    x = np.zeros_like(y)
    assert huber_fit(x, y, fit_slope=False).offset_db == pytest.approx(3.0, abs=0.1)
    assert least_squares_fit(x, y, fit_slope=False).offset_db == pytest.approx(y.mean(), abs=1e-9)
    assert mad_sigma(y) == pytest.approx(6.0, rel=0.02)


def test_error_stats_by_hand():
    s = ErrorStats.of(np.array([1.0, -1.0, 3.0]))
    assert (s.n, s.mean_db) == (3, 1.0)
    assert s.rmse_db == pytest.approx(np.sqrt(11 / 3))
    assert s.std_db == pytest.approx(2.0)


def test_spatial_folds_keep_blocks_together():
    rng = np.random.default_rng(0)
    x, y = rng.uniform(0, 10_000, 5000), rng.uniform(0, 10_000, 5000)
    fold, blocked = spatial_folds(x, y, 5, seed=1)
    assert blocked and set(fold) == {0, 1, 2, 3, 4}
    block = (np.floor(x / 1000) * 100 + np.floor(y / 1000)).astype(int)
    assert pd.Series(fold).groupby(block).nunique().max() == 1
    fold, blocked = spatial_folds(x[:10] / 100, y[:10] / 100, 5, seed=1)
    assert not blocked


# --------------------------------------------------------------------------- known truth


@pytest.mark.slow
def test_offset_and_sigma_of_a_known_truth_are_recovered(fitted):
    groups = fitted.calibration.groups
    assert len(groups) >= 3
    for g in groups:
        if g.n_points >= 1000:
            assert g.pl_offset_db == pytest.approx(6.0, abs=0.5), g.label
            assert g.sigma_db == pytest.approx(7.0, abs=1.0), g.label
            assert g.after["rmse_db"] < g.before["rmse_db"]
    q = fitted.calibration.quality
    assert q["after"]["rmse_db"] < q["before"]["rmse_db"]
    assert q["before"]["mean_db"] == pytest.approx(-6.0, abs=0.5)
    assert abs(q["after"]["mean_db"]) < 0.5
    assert fitted.summary["synthetic"] is True
    assert any("SYNTHETIC" in c for c in fitted.summary["caveats"])


@pytest.mark.slow
def test_a_known_slope_is_recovered(sites, wards, tmp_path):
    table = synthetic_measurements(
        sites, wards, n=15_000, offset_db=4.0, slope_db_per_decade=12.0, sigma_db=6.0, seed=11
    )
    path = tmp_path / "slope_SYNTHETIC.csv"
    path.write_text(measurement_csv(table), encoding="utf-8")
    result = run_calibration(sites, path, wards, model="uma", fit_slope=True)
    big = [g for g in result.calibration.groups if g.n_points >= 2000]
    assert big
    for g in big:
        assert g.pl_slope_db_per_decade == pytest.approx(12.0, abs=1.5), g.label
        assert g.pl_offset_db == pytest.approx(4.0, abs=0.75), g.label
        assert g.after["rmse_db"] < g.before["rmse_db"]


@pytest.mark.slow
def test_association_by_cell_id_and_best_server(fitted):
    assoc = fitted.summary["association"]
    assert assoc["cell_id"] > 0 and assoc["best_server"] > 0
    pts = fitted.points
    named = pts["association"] == "cell_id"
    assert (pts.loc[named, "serving_cell"] == pts.loc[named, "cell_id"]).all()
    assert fitted.summary["measurements"]["points_dropped"] == 0


def test_opencellid_ids_match_nci_columns(sites, wards):
    """An NCI column finds the cells of an OpenCelliD site file by (MNC, cell number)."""
    from phusong.calibration.associate import match_cell_ids

    ocid = sites.copy()
    ocid["cell_id"] = [f"452-{m}-20001-{409600000 + i}" for i, m in enumerate(ocid["mnc"])]
    pm = point_model(ocid, wards, model="uma")
    given = pd.Series(["409600003", f"452-{ocid['mnc'][5]}-409600005", "999", None])
    mnc = pd.Series([ocid["mnc"][3], None, 4, 4])
    found = match_cell_ids(pm, given, mnc)
    ids = pm.cells.cell_ids
    assert ids[found[0]].endswith("-409600003") and ids[found[1]].endswith("-409600005")
    assert list(found[2:]) == [-1, -1]


def test_too_few_points_and_one_area_are_said(sites, wards, tmp_path):
    table = synthetic_measurements(sites, wards, n=400, offset_db=6.0, seed=5, reach=0.3)
    table = table[table["Operator"] == "Viettel"].head(60)
    mobifone = table.assign(Operator="MobiFone", MNC=1, CellName="", **{"NR-ARFCN": 656667})
    table = pd.concat([table, mobifone.head(10)])
    path = tmp_path / "few_SYNTHETIC.csv"
    path.write_text(measurement_csv(table), encoding="utf-8")
    result = run_calibration(sites, path, wards, model="uma", min_points=30)
    keys = {c["key"] for c in result.calibration.caveats}
    assert "synthetic" in keys and "one_operator" in keys
    skipped = result.summary["skipped_groups"]
    assert skipped and all("too few" in s["reason"] for s in skipped)
    notes = [n["key"] for g in result.calibration.groups for n in g.notes]
    assert notes and set(notes) == {"few_points"}


def test_a_footprint_model_cannot_be_calibrated(sites, truth_file):
    with pytest.raises(ConfigError, match="footprint"):
        run_calibration(sites, truth_file, model="disc")


# --------------------------------------------------------------------------- the file


@pytest.mark.slow
def test_calibration_file_round_trip_and_bad_files(fitted, tmp_path):
    data = calibration_json_bytes(fitted.calibration)
    path = tmp_path / "calibration.json"
    path.write_bytes(data)
    back = load_calibration(path)
    assert back.file["name"] == "calibration.json" and len(back.file["sha256"]) == 64
    assert [g.as_dict() for g in back.groups] == [g.as_dict() for g in fitted.calibration.groups]
    assert calibration_json_bytes(back) == data
    bad = json.loads(data)
    bad["groups"][0]["pl_offset_db"] = "six"
    (tmp_path / "bad.json").write_text(json.dumps(bad), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad.json, group 1: 'pl_offset_db'"):
        load_calibration(tmp_path / "bad.json")
    (tmp_path / "other.json").write_text('{"a": 1}', encoding="utf-8")
    with pytest.raises(ConfigError, match="not a phusong calibration"):
        load_calibration(tmp_path / "other.json")
    with pytest.raises(ConfigError, match="file not found"):
        load_calibration(tmp_path / "missing.json")


# --------------------------------------------------------------------------- audits


def _flat(offset: float) -> Calibration:
    groups = [
        {"operator": op, "band": band, "scenario": "uma_nlos", "pl_offset_db": offset,
         "pl_slope_db_per_decade": 0.0, "n_points": 500}
        for op, band in (("Viettel", "n41"), ("Viettel", "n28"), ("VinaPhone", "n78"),
                         ("MobiFone", "n77"))
    ]  # fmt: skip
    return Calibration.from_dict(
        {"format": "phusong-calibration", "version": 1, "model": "uma_nlos", "groups": groups}
    )


@pytest.mark.slow
def test_audit_with_a_calibration_moves_by_the_fitted_amount(sites, wards):
    """A +6 dB path-loss offset on every cell = 6 dB less EIRP (an independent route)."""
    from phusong.audit import run_audit
    from phusong.output.report import report_html

    kw = {"model": "uma", "resolution_m": 100.0, "radio": None}
    plain = run_audit(sites, wards, **kw)
    calibrated = run_audit(sites, wards, calibration=_flat(6.0), **kw)
    weaker = run_audit(sites.assign(eirp_dbm=sites["eirp_dbm"] - 6.0), wards, **kw)
    s = calibrated.summary
    assert s["population_coverage_pct"] == pytest.approx(
        weaker.summary["population_coverage_pct"], abs=1e-9
    )
    assert s["population_coverage_pct"] < plain.summary["population_coverage_pct"]
    both = np.isfinite(calibrated.grid.rsrp_dbm) & np.isfinite(plain.grid.rsrp_dbm)
    np.testing.assert_allclose(
        plain.grid.rsrp_dbm[both] - calibrated.grid.rsrp_dbm[both], 6.0, atol=0.01
    )
    record = s["calibration"]
    assert record["cells_calibrated"] == record["cells"] == len(sites)
    assert record["file"]["name"] == "<calibration>" and len(record["file"]["sha256"]) == 64
    assert [g["pl_offset_db"] for g in record["groups"]] == [6.0] * 4
    assert "calibrated" in s["model_label"] and s["parameters"]["calibration"] == "<calibration>"
    html = report_html(calibrated, lang="en").decode("utf-8")
    assert '<h2 id="calibration">' in html and "&lt;calibration&gt;" in html
    assert '<h2 id="calibration">' not in report_html(plain, lang="en").decode("utf-8")


def test_a_calibration_is_refused_where_it_cannot_apply(sites, wards):
    from phusong.audit import run_audit

    with pytest.raises(ConfigError, match="footprint"):
        run_audit(sites, wards, model="disc", calibration=_flat(3.0))
    with pytest.raises(ConfigError, match="fitted for the 'uma_nlos' model"):
        run_audit(sites, wards, model="umi", resolution_m=200.0, calibration=_flat(3.0))


def test_only_matching_cells_are_adjusted(sites):
    from phusong.calibration.apply import cell_scenarios

    cal = _flat(5.0)
    cal = Calibration(model=cal.model, groups=cal.groups[:1])  # Viettel n41 only
    out, counts = cal.apply(sites, cell_scenarios(sites, "uma"))
    viettel_n41 = (sites["operator"] == "Viettel") & (sites["band"] == "n41")
    assert counts["cells_calibrated"] == int(viettel_n41.sum()) > 0
    assert (out.loc[viettel_n41, "pl_offset_db"] == 5.0).all()
    assert (out.loc[~viettel_n41, "pl_offset_db"] == 0.0).all()


def test_nr_arfcn_of_the_sample_carriers():
    assert list(nr_arfcn(np.array([2550.0, 3750.0, 3850.0, 763.0]))) == [
        510000,
        650000,
        656667,
        152600,
    ]


def test_lean_antenna_pattern_equals_the_reference():
    from phusong.calibration.predict import antenna_loss_db
    from phusong.propagation import sector_attenuation_db

    rng = np.random.default_rng(2)
    n = 20_000
    bearing, az = rng.uniform(-400, 400, n), rng.uniform(0, 360, n)
    az[::7] = np.nan  # omni cells
    d, h = rng.uniform(0, 3000, n), rng.uniform(10, 60, n)
    tilt, bw = rng.uniform(-5, 15, n), rng.choice([33.0, 65.0, 90.0, 360.0], n)
    ours = antenna_loss_db(bearing, az, d, h - 1.5, tilt, bw, 10.0)
    ref = sector_attenuation_db(bearing, az, d, h, 1.5, tilt, bw, 10.0)
    np.testing.assert_allclose(ours, ref, atol=1e-9)
