"""Reading site files: formats, rules and messages (phusong.io.sites)."""

import gzip
import io
import unicodedata
import zipfile

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Geod
from shapely.geometry import Point, box

import phusong
from phusong.errors import ConfigError, DataError
from phusong.io.sites import read_sites, sample_sites_path, sites_from_frame
from phusong.schema import SITE_COLUMNS, SITE_DATE_COLUMNS

HEADER = (
    "radio,mcc,net,area,cell,unit,lon,lat,range,samples,changeable,created,updated,averageSignal"
)


# A valid Hà Nội NR row builder (OpenCelliD layout).
def ocid(radio="NR", mcc=452, net=4, area=10068, cell=5293000, lon=105.85, lat=21.02, rng=1000):
    return f"{radio},{mcc},{net},{area},{cell},0,{lon},{lat},{rng},2,1,1459692342,1488347104,0"


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


def rejected_reasons(report):
    return list(report.rejected["reason"])


# ----------------------------------------------------------------------------- schema


def test_canonical_columns_and_dtypes(tmp_path):
    path = write(tmp_path, "a.csv", "\n".join([HEADER, ocid(), ocid(cell=5293001, net=2)]) + "\n")
    sites, report = read_sites(path)
    # issue #15: OpenCelliD's 'created' gives the on-air date columns (a labelled proxy)
    assert list(sites.columns) == [*SITE_COLUMNS, *SITE_DATE_COLUMNS]
    for col, (dtype, _) in {**SITE_COLUMNS, **SITE_DATE_COLUMNS}.items():
        if col != "geometry":
            assert str(sites[col].dtype) == dtype, col
    assert sites.crs.to_epsg() == 4326
    assert list(sites["operator"]) == ["Viettel", "VinaPhone"]
    assert list(sites["cell_id"]) == ["452-4-10068-5293000", "452-2-10068-5293001"]
    # NR cell identity with a 24-bit gNB id: site = cell >> 12
    assert sites["site_id"].iloc[0] == f"452-4-{5293000 >> 12}"
    assert list(sites["source_row"]) == [2, 3]
    assert sites.geometry.x.iloc[0] == pytest.approx(105.85)
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (2, 2, 0)


def test_headerless_and_gzipped_opencellid(tmp_path):
    text = "\n".join([ocid(), ocid(cell=7)]) + "\n"
    path = write(tmp_path, "452.csv.gz", gzip.compress(text.encode()))
    sites, report = read_sites(path)
    assert len(sites) == 2
    # no header: the first data row is row 1
    assert list(sites["source_row"]) == [1, 2]
    assert any("no header" in r for r in report.notes["reason"])


def test_frequency_inferred_from_operator_spectrum(tmp_path):
    path = write(tmp_path, "a.csv", "\n".join([HEADER, ocid(net=4), ocid(net=1, cell=9)]))
    sites, report = read_sites(path)
    vt, mbf = sites.iloc[0], sites.iloc[1]
    assert (vt["band"], vt["frequency_mhz"], vt["frequency_source"]) == (
        "n41",
        2550.0,
        "inferred:Viettel",
    )
    assert (mbf["band"], mbf["frequency_mhz"], mbf["frequency_source"]) == (
        "n77",
        3850.0,
        "inferred:MobiFone",
    )
    assert report.notes["reason"].str.contains("Viettel's 5G carrier n41").any()


# ----------------------------------------------------------------------------- row rules


def test_coordinates_out_of_range_rejected(tmp_path):
    path = write(
        tmp_path,
        "a.csv",
        "\n".join([HEADER, ocid(), ocid(cell=2, lat=95.0), ocid(cell=3, lon=200)]),
    )
    sites, report = read_sites(path)
    assert len(sites) == 1
    rej = report.rejected
    assert list(rej["row"]) == [3, 4]
    assert list(rej["column"]) == ["lat", "lon"]
    assert "outside −90…90" in rej["reason"].iloc[0]
    assert rej["value"].iloc[0] == "95.0"


def test_swapped_lat_lon_fixed_with_note(tmp_path):
    path = write(
        tmp_path, "a.csv", "\n".join([HEADER, ocid(), ocid(cell=2, lon=21.03, lat=105.84)])
    )
    sites, report = read_sites(path)
    assert report.rows_rejected == 0
    fixed = sites.set_index("source_row").loc[3]
    assert (fixed["lon_deg"], fixed["lat_deg"]) == (105.84, 21.03)
    note = report.notes[report.notes["row"] == 3]
    assert len(note) == 1 and "swapped" in note["reason"].iloc[0]


def test_swap_only_when_it_lands_in_the_study_area(tmp_path):
    # Swapped, this point (lat 10, lon 21) is not in Hà Nội either: rejected, not "fixed".
    path = write(tmp_path, "a.csv", "\n".join([HEADER, ocid(), ocid(cell=2, lon=10.0, lat=21.0)]))
    _, report = read_sites(path)
    assert report.rows_rejected == 1
    assert "km outside the study area" in report.rejected["reason"].iloc[0]
    assert not report.notes["reason"].str.contains("swapped").any()


def test_far_points_rejected_with_distance(tmp_path):
    bounds = phusong.read_wards().total_bounds
    lon_far = bounds[2] + 0.5  # 0.5° east of the bounds at lat 21
    path = write(
        tmp_path, "a.csv", "\n".join([HEADER, ocid(), ocid(cell=2, lon=lon_far, lat=21.0)])
    )
    _, report = read_sites(path)
    reason = report.rejected["reason"].iloc[0]
    km = float(reason.split("point is ")[1].split(" km")[0])
    # independent reference: geodesic distance to the bounds' edge at the same latitude
    expected = Geod(ellps="WGS84").inv(bounds[2], 21.0, lon_far, 21.0)[2] / 1000
    assert km == pytest.approx(expected, abs=0.2)
    assert report.rejected["row"].iloc[0] == 3
    # threshold configurable: 60 km lets it through
    sites, report = read_sites(path, max_distance_km=60)
    assert report.rows_rejected == 0 and len(sites) == 2


def test_study_area_polygon(tmp_path):
    path = write(tmp_path, "a.csv", "\n".join([HEADER, ocid(lon=105.85, lat=21.02)]))
    area = gpd.GeoDataFrame(geometry=[box(106.5, 10.5, 106.9, 10.9)], crs="EPSG:4326")  # HCMC
    with pytest.raises(DataError, match="km outside the study area"):
        read_sites(path, study_area=area)
    sites, _ = read_sites(path, study_area=box(105.8, 21.0, 105.9, 21.1))
    assert len(sites) == 1


def test_duplicate_cells_name_the_first_row(tmp_path):
    rows = [HEADER, ocid(), ocid(cell=2), ocid(), ocid(radio="LTE")]
    path = write(tmp_path, "a.csv", "\n".join(rows))
    sites, report = read_sites(path, radio=None)
    assert len(sites) == 3  # the LTE cell with the same ids is another cell
    assert list(report.rejected["row"]) == [4]
    assert "same as row 2" in report.rejected["reason"].iloc[0]


def test_radio_filter_counts_filtered_rows(tmp_path):
    rows = [
        HEADER,
        ocid(),
        ocid(radio="LTE", cell=2),
        ocid(radio="GSM", cell=3),
        ocid(radio="LTE", cell=4),
    ]
    path = write(tmp_path, "a.csv", "\n".join(rows))
    sites, report = read_sites(path)
    assert list(sites["radio"]) == ["NR"]
    assert report.rows_filtered == 3 and report.filtered == {"GSM": 1, "LTE": 2}
    assert report.rows_rejected == 0
    assert report.rows_read == report.rows_accepted + report.rows_filtered + report.rows_rejected
    assert "filtered" in report.summary()
    frame = report.to_frame()
    assert set(frame.loc[frame["kind"] == "filtered", "value"]) == {"GSM", "LTE"}
    sites, report = read_sites(path, radio=["nr", "4G"])
    assert sorted(sites["radio"]) == ["LTE", "LTE", "NR"] and report.filtered == {"GSM": 1}
    sites, report = read_sites(path, radio=None)
    assert len(sites) == 4 and report.rows_filtered == 0
    lte = sites[sites["radio"] == "LTE"].iloc[0]
    assert lte["frequency_source"] == "default:LTE" and lte["band"] == "B3"
    with pytest.raises(ConfigError, match="radio"):
        read_sites(path, radio="6G")


def test_only_other_radios_is_a_file_error(tmp_path):
    path = write(
        tmp_path, "a.csv", "\n".join([HEADER, ocid(radio="LTE"), ocid(radio="GSM", cell=2)])
    )
    with pytest.raises(DataError, match="radio=None"):
        read_sites(path)


def test_unknown_and_withdrawn_mnc(tmp_path):
    path = write(
        tmp_path, "a.csv", "\n".join([HEADER, ocid(), ocid(net=12, cell=2), ocid(net=3, cell=3)])
    )
    sites, report = read_sites(path)
    assert len(sites) == 1
    reasons = rejected_reasons(report)
    assert "unknown MNC" in reasons[0] and "04 Viettel" in reasons[0] and "09 REDDI" in reasons[0]
    assert "withdrawn" in reasons[1]
    assert list(report.rejected["column"]) == ["net", "net"]


def test_range_zero_or_missing_gets_band_default(tmp_path):
    rows = [HEADER, ocid(rng=0), ocid(net=2, cell=2, rng=""), ocid(cell=3, rng=1500)]
    path = write(tmp_path, "a.csv", "\n".join(rows))
    sites, report = read_sites(path)
    assert list(sites["range_m"]) == [940.0, 770.0, 1500.0]
    assert list(sites["range_source"]) == ["default:n41", "default:n78", "file"]
    notes = report.notes[report.notes["column"] == "range"]
    assert list(notes["row"]) == [2, 3]


def test_text_in_numeric_columns(tmp_path):
    path = write(
        tmp_path,
        "a.csv",
        "\n".join([HEADER, ocid(), ocid(cell=2, lat="hai mốt"), ocid(cell=3, rng="far")]),
    )
    sites, report = read_sites(path)
    assert len(sites) == 1
    rej = report.rejected
    assert list(rej["row"]) == [3, 4]
    assert list(rej["column"]) == ["lat", "range"]
    assert list(rej["value"]) == ["hai mốt", "far"]
    assert all("not a number" in r for r in rej["reason"])


def test_problem_messages_name_file_row_column_reason(tmp_path):
    path = write(tmp_path, "cells.csv", "\n".join([HEADER, ocid(), ocid(cell=2, lat="x")]))
    with pytest.raises(DataError) as exc:
        read_sites(path, on_invalid="raise")
    (problem,) = exc.value.problems
    assert (problem.file, problem.row, problem.column) == ("cells.csv", 3, "lat")
    assert str(problem).startswith("cells.csv, row 3, column 'lat': not a number")


# ----------------------------------------------------------------------------- sheets


def test_operator_sheet_with_vietnamese_headers_semicolons_and_decimal_commas(tmp_path):
    text = (
        "Mã trạm;Nhà mạng;Vĩ độ;Kinh độ;Hướng;Chiều cao;EIRP;Băng tần\n"
        "HN001;Viettel;21,0285;105,8542;120;30;64,5;n41\n"
        "HN002;VNPT;21,03;105,86;;;;\n"
    )
    path = write(tmp_path, "tram.csv", "\ufeff" + text)  # with a UTF-8 BOM
    sites, report = read_sites(path)
    assert report.rows_rejected == 0
    a, b = sites.iloc[0], sites.iloc[1]
    assert (a["lat_deg"], a["lon_deg"], a["azimuth_deg"], a["height_m"], a["eirp_dbm"]) == (
        21.0285,
        105.8542,
        120.0,
        30.0,
        64.5,
    )
    assert a["site_id"] == "HN001" and a["operator"] == "Viettel" and a["band"] == "n41"
    assert a["frequency_mhz"] == 2550.0 and a["frequency_source"] == "inferred:Viettel"
    # missing values get defaults, each with a note
    assert np.isnan(b["azimuth_deg"]) and b["beamwidth_deg"] == 360.0
    assert b["height_m"] == 25.0 and b["operator"] == "VinaPhone" and b["band"] == "n78"
    assert report.notes["reason"].str.contains("decimal comma").any()
    assert (report.notes["row"] == 3).sum() >= 3


def test_tab_delimited_sheet_with_power_gain_and_loss(tmp_path):
    text = (
        "site_id\tlatitude\tlongitude\tazimuth\ttx_power_dbm\tantenna_gain_dbi\tcable_loss_db"
        "\tfrequency_mhz\toperator\n"
        "S1\t21.0\t105.8\t0\t46\t18\t2\t3750\tVinaPhone\n"
    )
    sites, _ = read_sites(write(tmp_path, "s.tsv", text))
    assert sites["eirp_dbm"].iloc[0] == 46 + 18 - 2
    assert sites["band"].iloc[0] == "n78" and sites["frequency_source"].iloc[0] == "file"


def test_frequency_outside_band_rejected_and_n28(tmp_path):
    text = "lat,lon,band,frequency_mhz,mnc\n21.0,105.8,n41,3750,4\n21.0,105.81,n28,,4\n"
    sites, report = read_sites(write(tmp_path, "s.csv", text))
    assert "outside band n41" in report.rejected["reason"].iloc[0]
    assert sites["frequency_mhz"].iloc[0] == ops_n28_centre()
    assert sites["bandwidth_mhz"].iloc[0] == 10.0


def ops_n28_centre():
    from phusong.operators import carrier_for

    return carrier_for("Viettel", "n28").centre_mhz


def test_operator_conflicting_with_mnc_rejected(tmp_path):
    text = "lat,lon,mnc,operator\n21.0,105.8,4,MobiFone\n21.0,105.81,4,Viettel\n"
    sites, report = read_sites(write(tmp_path, "s.csv", text))
    assert len(sites) == 1
    assert "does not match MNC" in report.rejected["reason"].iloc[0]


def test_xlsx_sheet_with_title_rows(tmp_path):
    df = pd.DataFrame(
        {
            "Site ID": ["A", "B"],
            "LAT": [21.01, 21.02],
            "LNG": [105.81, 105.82],
            "Operator": ["Viettel"] * 2,
        }
    )
    path = tmp_path / "sites.xlsx"
    with pd.ExcelWriter(path) as xw:
        pd.DataFrame({"x": ["Danh sách trạm 5G"]}).to_excel(xw, index=False, header=False)
        df.to_excel(xw, index=False, startrow=2)
    sites, _ = read_sites(path)
    assert list(sites["site_id"]) == ["A", "B"]
    assert list(sites["source_row"]) == [4, 5]  # title row 1, blank row 2, header row 3


# ----------------------------------------------------------------------------- vectors


def _points(crs="EPSG:4326"):
    gdf = gpd.GeoDataFrame(
        {"site_id": ["P1", "P2"], "operator": ["Viettel", "MobiFone"], "height_m": [30, 28]},
        geometry=[Point(105.85, 21.02), Point(105.80, 20.99)],
        crs="EPSG:4326",
    )
    return gdf.to_crs(crs)


def test_geojson_in_utm_is_reprojected(tmp_path):
    path = tmp_path / "pts.geojson"
    _points("EPSG:32648").to_file(path, driver="GeoJSON")
    sites, _ = read_sites(path)
    assert sites.geometry.x.iloc[0] == pytest.approx(105.85, abs=1e-7)
    assert sites["height_m"].tolist() == [30.0, 28.0]


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_geopackage_without_crs_is_a_file_error(tmp_path):
    path = tmp_path / "pts.gpkg"
    _points().set_crs(None, allow_override=True).to_file(path, driver="GPKG")
    with pytest.raises(DataError, match="no coordinate reference system"):
        read_sites(path)


def test_geoparquet_and_zipped_shapefile(tmp_path):
    pq = tmp_path / "pts.parquet"
    _points("EPSG:3857").to_parquet(pq)
    sites, _ = read_sites(pq)
    assert sites.geometry.y.iloc[1] == pytest.approx(20.99, abs=1e-7)
    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    _points().to_file(shp_dir / "pts.shp")
    zpath = tmp_path / "pts.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for f in shp_dir.iterdir():
            zf.write(f, f.name)
    sites, _ = read_sites(zpath)
    assert list(sites["site_id"]) == ["P1", "P2"]


def test_zip_path_traversal_refused(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("../evil.csv", HEADER + "\n" + ocid())
    with pytest.raises(DataError, match="path traversal"):
        read_sites(buf.getvalue(), name="x.zip")


# ----------------------------------------------------------------------------- file-level


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"", "empty"),
        (b"\n\n  \n", "empty"),
        (bytes(range(256)) * 4, "not a table"),
        (b"<!DOCTYPE html><html><body>404</body></html>", "web page"),
        (b"name,value\nfoo,1\n", "no coordinate columns"),
        (b"1,2,3\n4,5,6\n", "looks like data"),
        (b"lat,lon\n", "no data rows"),
    ],
)
def test_file_level_problems(content, match):
    with pytest.raises(DataError, match=match):
        read_sites(content, name="upload.csv")


def test_every_row_rejected_lists_every_problem(tmp_path):
    path = write(tmp_path, "a.csv", "\n".join([HEADER, ocid(lat="x"), ocid(cell=2, net=99)]))
    with pytest.raises(DataError) as exc:
        read_sites(path)
    text = str(exc.value)
    assert "every row was rejected" in text and "row 2" in text and "row 3" in text


def test_size_limit_and_uploaded_file_object(tmp_path):
    data = ("\n".join([HEADER, ocid()]) + "\n").encode()
    with pytest.raises(DataError, match="larger than"):
        read_sites(data, max_bytes=50)

    class Upload(io.BytesIO):  # what Streamlit's UploadedFile looks like
        name = "from_browser.csv"
        size = len(data)

    sites, report = read_sites(Upload(data))
    assert report.file == "from_browser.csv" and len(sites) == 1


def test_blank_lines_and_quoted_newlines_keep_spreadsheet_rows(tmp_path):
    text = f"{HEADER}\n{ocid()}\n\n{ocid(cell=2, lat='x')}\n"
    _, report = read_sites(write(tmp_path, "a.csv", text))
    assert report.rejected["row"].tolist() == [4]
    text = 'site_id,lat,lon,note\nA,21.0,105.8,"two\nlines"\nB,x,105.8,ok\n'
    _, report = read_sites(write(tmp_path, "b.csv", text))
    assert report.rejected["row"].tolist() == [3]


def test_row_with_too_many_fields_is_rejected_not_dropped(tmp_path):
    text = "site_id,lat,lon\nA,21.0,105.8\nB,21,02,105,8\nC,21.01,105.81\n"
    sites, report = read_sites(write(tmp_path, "a.csv", text))
    assert list(sites["site_id"]) == ["A", "C"]
    assert report.rejected["row"].tolist() == [3] and report.rows_read == 3
    assert "fields" in report.rejected["reason"].iloc[0]


def test_windows_1258_file(tmp_path):
    text = "Mã trạm,lat,lon\nTrạm A,21.0,105.8\n"
    raw = unicodedata.normalize("NFD", text).encode("cp1258")  # Windows-1258 decomposes tones
    sites, report = read_sites(write(tmp_path, "a.csv", raw))
    assert sites["site_id"].iloc[0] == "Trạm A"
    assert report.notes["reason"].str.contains("Windows-1258").any()


def test_on_invalid_option_checked(tmp_path):
    with pytest.raises(ConfigError, match="on_invalid"):
        read_sites(b"lat,lon\n21,105.8\n", on_invalid="ignore")


# ----------------------------------------------------------------------------- in memory


def test_sites_from_frame_goes_through_the_same_rules():
    df = pd.DataFrame(
        {"lat": [21.0, 99.0], "lon": [105.8, 105.8], "operator": ["Viettel", "Viettel"]}
    )
    sites, report = sites_from_frame(df)
    assert len(sites) == 1 and report.file == "<table>"
    assert report.rejected["row"].tolist() == [3]


def test_sites_from_geodataframe_and_canonical_round_trip():
    sites, _ = read_sites(sample_sites_path("sheet"))
    again, report = sites_from_frame(sites.to_crs("EPSG:32648"), source="<planning>")
    assert report.rows_rejected == 0
    a = pd.DataFrame(sites.drop(columns=["geometry", "source_row"]))
    b = pd.DataFrame(again.drop(columns=["geometry", "source_row"]))
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9)
    with pytest.raises(DataError, match="no CRS"):
        sites_from_frame(sites.set_crs(None, allow_override=True))


def test_read_sites_is_exported_lazily():
    assert phusong.read_sites is read_sites
    assert phusong.ValidationReport.__name__ == "ValidationReport"
