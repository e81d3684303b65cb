"""ValidationReport and the table checks (phusong.io.validation)."""

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from phusong.errors import ConfigError, DataError
from phusong.io.validation import (
    ISSUE_COLUMNS,
    ValidationReport,
    distance_outside_km,
    map_columns,
    normalise_radio,
    radio_selection,
    study_bounds,
    validate_sites,
)

BOUNDS = (105.3, 20.5, 106.0, 21.4)


def _table():
    return pd.DataFrame(
        {
            "site_id": ["A", "B", "C", "A"],
            "lat": ["21.0", "abc", "21.02", "21.0"],
            "lon": [105.8, 105.81, 105.82, 105.8],
            "operator": ["Viettel", "Viettel", "VinaPhone", "Viettel"],
            "cell_id": ["A1", "B1", "C1", "A1"],
        }
    )


def test_report_counts_and_frames():
    _, report = validate_sites(_table(), source="t.csv", study_area=BOUNDS)
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (4, 2, 2)
    assert list(report.rejected.columns) == list(ISSUE_COLUMNS)
    assert list(report.notes.columns) == list(ISSUE_COLUMNS)
    assert report.rejected["row"].tolist() == [3, 5]
    assert "same as row 2" in report.rejected["reason"].iloc[1]
    assert not report.ok
    frame = report.to_frame()
    assert list(frame.columns) == ["kind", *ISSUE_COLUMNS]
    assert set(frame["kind"]) == {"rejected", "note"}
    csv = report.to_csv()
    assert csv.startswith(b"\xef\xbb\xbf") and b"same as row 2" in csv
    back = pd.read_csv(pd.io.common.BytesIO(csv), encoding="utf-8-sig")
    assert len(back) == len(frame)
    d = report.as_dict()
    assert json.loads(json.dumps(d)) == d
    assert d["rows_rejected"] == 2 and d["rejected"][0]["row"] == 3
    text = report.summary()
    assert "4 rows read, 2 accepted, 2 rejected" in text and "row 3" in text


def test_problems_and_raise():
    _, report = validate_sites(_table(), source="t.csv", study_area=BOUNDS)
    problems = report.problems()
    assert [(p.file, p.row, p.column) for p in problems] == [
        ("t.csv", 3, "lat"),
        ("t.csv", 5, "cell_id"),
    ]
    with pytest.raises(DataError) as exc:
        report.raise_if_rejected()
    assert len(exc.value.problems) == 2
    with pytest.raises(DataError):
        validate_sites(_table(), source="t.csv", study_area=BOUNDS, on_invalid="raise")


def test_empty_report_is_consistent():
    r = ValidationReport(file="x")
    assert r.ok and len(r.to_frame()) == 0 and r.as_dict()["rejected"] == []


def test_map_columns_variants():
    cols = map_columns(["Vĩ độ", "KINH_ĐỘ", "Hướng", "Chiều cao", "Nhà mạng", "EIRP (dBm)"])
    assert cols == {
        "lat": "Vĩ độ",
        "lon": "KINH_ĐỘ",
        "azimuth": "Hướng",
        "height": "Chiều cao",
        "operator": "Nhà mạng",
        "eirp": "EIRP (dBm)",
    }
    assert map_columns(["Latitude", "Lng"]) == {"lat": "Latitude", "lon": "Lng"}


@pytest.mark.parametrize(
    ("value", "radio"),
    [
        ("5G", "NR"),
        ("nr", "NR"),
        ("5G NR", "NR"),
        ("LTE-A", "LTE"),
        ("4g", "LTE"),
        ("WCDMA", "UMTS"),
        ("x", None),
    ],
)
def test_normalise_radio(value, radio):
    assert normalise_radio(value) == radio


def test_radio_selection():
    assert radio_selection("5G") == ("NR",)
    assert radio_selection(["NR", "lte", "NR"]) == ("NR", "LTE")
    assert radio_selection(None) is None
    with pytest.raises(ConfigError):
        radio_selection([])


def test_study_bounds_inputs():
    from shapely.geometry import box

    assert study_bounds(BOUNDS) == BOUNDS
    assert study_bounds(box(*BOUNDS)) == BOUNDS
    minx, _, _, maxy = study_bounds(None)  # shipped Hà Nội wards
    assert 105.2 < minx < 105.4 and 21.3 < maxy < 21.5
    with pytest.raises(ConfigError):
        study_bounds((1, 2, 3))


def test_distance_outside_km_against_geodesic():
    from pyproj import Geod

    geod = Geod(ellps="WGS84")
    lon = np.array([105.5, 106.5, 105.5, 107.0])
    lat = np.array([21.0, 21.0, 22.0, 21.9])
    d = distance_outside_km(lon, lat, BOUNDS)
    assert d[0] == 0
    assert d[1] == pytest.approx(geod.inv(106.0, 21.0, 106.5, 21.0)[2] / 1000, rel=2e-3)
    assert d[2] == pytest.approx(geod.inv(105.5, 21.4, 105.5, 22.0)[2] / 1000, rel=2e-3)
    assert d[3] == pytest.approx(geod.inv(106.0, 21.4, 107.0, 21.9)[2] / 1000, rel=1e-2)


@settings(max_examples=60, deadline=None)
@given(
    lats=st.lists(st.floats(20.6, 21.3), min_size=1, max_size=20),
    perm_seed=st.integers(0, 2**32 - 1),
)
def test_row_order_does_not_change_the_accepted_set(lats, perm_seed):
    n = len(lats)
    df = pd.DataFrame(
        {
            "cell_id": [f"c{i}" for i in range(n)],
            "lat": lats,
            "lon": np.linspace(105.5, 105.9, n),
            "mnc": 4,
        }
    )
    a, _ = validate_sites(df, study_area=BOUNDS)
    perm = np.random.default_rng(perm_seed).permutation(n)
    b, _ = validate_sites(df.iloc[perm], study_area=BOUNDS)
    key = ["cell_id", "lat_deg", "lon_deg", "frequency_mhz", "range_m"]
    pd.testing.assert_frame_equal(
        pd.DataFrame(a[key]).sort_values("cell_id").reset_index(drop=True),
        pd.DataFrame(b[key]).sort_values("cell_id").reset_index(drop=True),
    )
    # rows accepted + rejected + filtered = rows read
    _, r = validate_sites(df, study_area=BOUNDS)
    assert r.rows_accepted + r.rows_rejected + r.rows_filtered == r.rows_read == n


def test_normalise_column_name():
    from phusong.io.validation import normalise_column_name

    assert normalise_column_name("Vĩ độ") == "vi_do"
    assert normalise_column_name(" EIRP (dBm) ") == "eirp_dbm"
    assert normalise_column_name("Đường-kính.m") == "duong_kinh_m"


def test_row_state_rejects_once_and_orders_issues_by_row():
    from phusong.io.validation.rows import RowState

    table = pd.DataFrame({"lat": ["21.0", "x", "21,5"], "lon": [105.8, 105.9, 106.0]})
    state = RowState.start(
        table, {"lat": "lat", "lon": "lon"}, np.array([2, 3, 4]), "t.csv", ["utf-8"]
    )
    lat = state.numbers("lat")
    assert np.isnan(lat[1]) and lat[2] == 21.5
    assert state.ok.tolist() == [True, False, True]
    state.reject(np.array([True, False, False]), "lon", "second problem.")
    state.reject(np.array([0]), "lat", "third problem.")
    rejected = state.rejected.frame("t.csv", state.rows)
    assert rejected["row"].tolist() == [2, 2, 3]
    assert rejected["reason"].tolist()[:2] == ["second problem.", "third problem."]
    notes = state.notes.frame("t.csv", state.rows)
    assert notes["reason"].iloc[0] == "utf-8" and pd.isna(notes["row"].iloc[0])
    assert "decimal comma" in notes["reason"].iloc[1]
    assert state.ok.tolist() == [False, False, True]


def test_check_limits_rejects_out_of_range_and_fills_missing():
    from phusong.io.validation.link import check_limits
    from phusong.io.validation.rows import RowState

    table = pd.DataFrame({"h": [30.0, 900.0, np.nan]})
    state = RowState.start(table, {"height": "h"}, np.array([2, 3, 4]), "t.csv")
    out = check_limits(state, "height", state.numbers("height"), 25.0, "no height: 25 m used.")
    assert out.tolist()[0] == 30.0 and out[2] == 25.0
    assert state.ok.tolist() == [True, False, True]
    assert state.rejected.frame("t.csv", state.rows)["row"].tolist() == [3]
    notes = state.notes.frame("t.csv", state.rows)
    assert notes["reason"].tolist() == ["missing value: 25 m used."]
    # no column: defaults everywhere and one whole-file note
    state = RowState.start(table, {}, np.array([2, 3, 4]), "t.csv")
    assert check_limits(state, "height", None, 25.0, "no height: 25 m used.").tolist() == [25.0] * 3
    assert state.notes.frame("t.csv", state.rows)["column"].tolist() == ["height_m"]
