"""Reading signal measurements: formats, layouts, row-level checks, channels."""

from __future__ import annotations

import io
import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from conftest import run_cli
from shapely.geometry import Point

from phusong.errors import ConfigError, DataError
from phusong.io.measurements import (
    MEASUREMENT_COLUMNS,
    earfcn_to_mhz,
    map_measurement_columns,
    nr_arfcn_to_mhz,
    read_measurements,
    sample_measurements_path,
)

#: A G-NetTrack-style log: tab separated, "Level" is the RSRP, MCC-MNC in "Operator".
GNETTRACK = (
    "# exported by a logger\n"
    "Timestamp\tLongitude\tLatitude\tOperatorname\tOperator\tCellID\tNetworkTech\tLevel\tARFCN\n"
    "2025.06.01_08.30.00\t105.85\t21.03\tViettel\t45204\tVTL00001-1\t5G\t-85.2\t520110\n"
    "2025.06.01_08.30.05\t21.03\t105.85\tViettel\t45204\tVTL00001-1\t5G\t-87.1\t520110\n"
    "2025.06.01_08.30.10\t105.85\t21.03\tViettel\t45204\tVTL00001-1\t5G\t3.2\t520110\n"
    "2025.06.01_08.30.15\t105.85\t21.03\tViettel\t45204\tVTL00001-1\t5G\t1e-11\t520110\n"
    "2025.06.01_08.30.20\t105.85\t21.03\tViettel\t45204\tVTL00001-1\t4G\t-90\t1300\n"
    "2025.06.01_08.30.25\t\t21.03\tViettel\t45204\tVTL00001-1\t5G\t-90\t520110\n"
    "2025.06.01_08.30.30\t105.85\t21.03\tViettel\t45204\tVTL00001-1\t5G\t-190\t520110\n"
    "2025.06.01_08.30.35\t105.85\t21.03\tViettel\t45204\tVTL00001-1\t5G\t0\t520110\n"
)


def _rejected(report) -> dict[int, str]:
    return {
        int(r): str(reason)
        for r, reason in zip(report.rejected["row"], report.rejected["reason"], strict=True)
    }


def test_gnettrack_log_rows_checked_one_by_one():
    table, report = read_measurements(GNETTRACK.encode(), name="drive.txt")
    assert list(table.columns) == list(MEASUREMENT_COLUMNS)
    assert report.rows_read == 8 and report.rows_accepted == 2
    assert report.filtered == {"LTE": 1}  # 4G rows are counted, not rejected
    rejected = _rejected(report)
    # rows are numbered as a spreadsheet shows them (comment line 1, header line 2)
    assert "positive" in rejected[5] and "mW" in rejected[6]
    assert "missing longitude" in rejected[8]
    assert "plausible RSRP range" in rejected[9]
    assert "0 dBm is not a measurement" in rejected[10]
    assert set(report.rejected["column"]) == {"Level", "Longitude"}
    notes = " ".join(report.notes["reason"].astype(str))
    assert "swapped" in notes and "'Level' taken as the measured RSRP" in notes
    assert "UTC+7" in notes
    assert table["rsrp_dbm"].tolist() == [-85.2, -87.1]
    assert table["lat_deg"].tolist() == [21.03, 21.03]  # the swapped row is put back
    assert set(table["operator"]) == {"Viettel"} and set(table["mnc"]) == {4}
    assert table["band"].tolist() == ["n41", "n41"]
    assert table["frequency_mhz"].iloc[0] == pytest.approx(2600.55)
    assert table["time"].iloc[0] == pd.Timestamp("2025-06-01T01:30:00Z")


def test_raise_lists_every_bad_row_with_file_row_and_column():
    with pytest.raises(DataError) as err:
        read_measurements(GNETTRACK.encode(), name="drive.txt", on_invalid="raise")
    text = str(err.value)
    assert "drive.txt, row 5, column 'Level'" in text
    assert "drive.txt, row 8, column 'Longitude'" in text
    assert len(err.value.problems) == 5


def test_network_survey_nr_layout_and_nr_arfcn():
    csv = (
        "# Created by Network Survey\n# CSV Version=0.4.0\n"
        "deviceTime,latitude,longitude,mcc,mnc,nci,narfcn,pci,ssRsrp,ssRsrq\n"
        "1748740000000,21.02,105.84,452,2,409600001,650000,17,-95.5,-11\n"
        "1748740001000,21.02,105.84,452,2,409600001,650000,17,-96.0,-11\n"
    )
    table, report = read_measurements(csv.encode(), name="craxiom-nr.csv")
    assert report.rows_accepted == 2 and report.rows_rejected == 0
    assert table["rsrp_dbm"].tolist() == [-95.5, -96.0]  # ssRsrp, not ssRsrq
    assert table["cell_id"].tolist() == ["409600001", "409600001"]
    assert table["pci"].tolist() == [17, 17]
    assert table["frequency_mhz"].tolist() == [3750.0, 3750.0]
    assert table["band"].tolist() == ["n78", "n78"]
    assert table["operator"].tolist() == ["VinaPhone", "VinaPhone"]
    assert table["time"].iloc[0] == pd.Timestamp(1748740000000, unit="ms", tz="UTC")


def test_vietnamese_headers_with_units_and_decimal_commas():
    csv = (
        "Vĩ độ;Kinh độ;Nhà mạng;Cường độ tín hiệu (dBm);Băng tần\n"
        "21,03;105,85;Viettel;-101,5;n41\n"
        "21,04;105,86;VNPT;-99;78\n"
    )
    table, report = read_measurements(csv.encode("utf-8"), name="do_song.csv")
    assert report.rows_accepted == 2
    assert table["rsrp_dbm"].tolist() == [-101.5, -99.0]
    assert table["operator"].tolist() == ["Viettel", "VinaPhone"]
    assert table["band"].tolist() == ["n41", "n78"]
    assert "decimal comma" in " ".join(report.notes["reason"].astype(str))


def test_qualipoc_like_xlsx_and_mcc_mnc_column():
    frame = pd.DataFrame(
        {
            "Latitude": [21.03, 21.031],
            "Longitude": [105.85, 105.851],
            "MCC-MNC": ["452-01", "452-01"],
            "NR_SS_RSRP": [-88.0, -91.5],
        }
    )
    buf = io.BytesIO()
    frame.to_excel(buf, index=False)
    table, report = read_measurements(buf.getvalue(), name="scan.xlsx")
    assert report.rows_accepted == 2
    assert table["operator"].tolist() == ["MobiFone", "MobiFone"]
    assert table["source_row"].tolist() == [2, 3]


def test_geojson_points_and_parquet(tmp_path):
    gdf = gpd.GeoDataFrame(
        {"rsrp": [-90.0, -95.0], "operator": ["Viettel", "Viettel"]},
        geometry=[Point(105.85, 21.03), Point(105.86, 21.04)],
        crs="EPSG:4326",
    )
    path = tmp_path / "points.geojson"
    gdf.to_file(path, driver="GeoJSON")
    table, _ = read_measurements(path)
    assert table["lon_deg"].tolist() == [105.85, 105.86]
    pq = tmp_path / "m.parquet"
    pd.DataFrame({"lat": [21.03], "lon": [105.85], "rsrp_dbm": [-80.0]}).to_parquet(pq)
    table, _ = read_measurements(pq)
    assert table["rsrp_dbm"].tolist() == [-80.0]


def test_file_level_problems_name_the_fix():
    with pytest.raises(DataError, match="no signal column"):
        read_measurements(b"lat,lon,speed\n21.0,105.8,3\n", name="x.csv")
    with pytest.raises(DataError, match="no position columns"):
        read_measurements(b"rsrp,speed\n-90,3\n", name="x.csv")
    with pytest.raises(DataError, match="every row was rejected"):
        read_measurements(b"lat,lon,rsrp\n21.0,105.8,12\n", name="x.csv")
    with pytest.raises(DataError, match="not a table"):
        read_measurements(b"\x00\x01\x02" * 100, name="x.bin")
    with pytest.raises(ConfigError):
        read_measurements(b"lat,lon,rsrp\n21.0,105.8,-90\n", radio="6G")


def test_far_points_are_rejected_and_a_frame_is_accepted():
    frame = pd.DataFrame({"lat": [21.03, 10.8], "lon": [105.85, 106.7], "rsrp": [-90, -91]})
    table, report = read_measurements(frame)
    assert len(table) == 1 and report.rows_rejected == 1
    assert "outside the study area" in str(report.rejected["reason"].iloc[0])


def test_columns_recognised_by_layout():
    cols = map_measurement_columns(
        ["Latitude", "Longitude", "NR_SS_RSRP (dBm)", "NR-ARFCN", "CellName"]
    )
    assert cols == {
        "lat": "Latitude",
        "lon": "Longitude",
        "rsrp": "NR_SS_RSRP (dBm)",
        "cell": "CellName",
        "arfcn": "NR-ARFCN",
    }


def test_nr_arfcn_raster_TS38104_table_5_4_2_1_1():
    # F_REF = F_REF-Offs + ΔF_Global (N_REF − N_REF-Offs), three ranges of the global raster
    n = np.array([0, 152600, 599999, 600000, 630000, 650000, 2016666, 2016667, 3279165, 3279166])
    expected = [0.0, 763.0, 2999.995, 3000.0, 3450.0, 3750.0, 24249.99, 24250.08, 99999.96, np.nan]
    np.testing.assert_allclose(nr_arfcn_to_mhz(n), expected, rtol=0, atol=1e-6)


def test_earfcn_TS36101_table_5_7_3_1():
    freq, band = earfcn_to_mhz(np.array([300, 1300, 1650, 3050, 3600, 9410, 38950, 60000]))
    np.testing.assert_allclose(
        freq, [2140.0, 1815.0, 1850.0, 2650.0, 940.0, 778.0, 2330.0, np.nan], atol=1e-9
    )
    assert list(band) == ["B1", "B3", "B3", "B7", "B8", "B28", "B40", None]


def test_shipped_sample_reads_clean_and_says_synthetic():
    table, report = read_measurements(sample_measurements_path())
    assert report.rows_rejected == 0 and report.rows_accepted > 5000
    assert table.attrs["synthetic"] is True
    assert "SYNTHETIC" in sample_measurements_path().read_text(encoding="utf-8").splitlines()[0]
    assert set(table["operator"]) == {"Viettel", "VinaPhone", "MobiFone"}


def test_cli_validate_measurements_lists_bad_rows(tmp_path):
    path = tmp_path / "drive.txt"
    path.write_text(GNETTRACK, encoding="utf-8")
    out = tmp_path / "v.csv"
    proc = run_cli("validate", "--measurements", path, "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert "5 rejected" in proc.stdout and "drive.txt,5,Level" in proc.stdout
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert (table["kind"] == "rejected").sum() == 5
    proc = run_cli("validate")
    assert proc.returncode == 2 and "--measurements" in proc.stderr


def test_summary_json_of_report_is_jsonable():
    _, report = read_measurements(GNETTRACK.encode(), name="drive.txt")
    json.dumps(report.as_dict())
