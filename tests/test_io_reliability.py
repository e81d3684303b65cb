"""Issue #13: nothing lost, nothing crashes — every input a real user brings.

One test (or a few) per item of the issue, each on a small hand-made file:
every sheet and every zipped table is read; raster inputs are checked;
output folders are locked, written whole or not at all, checked before
computing; projected metres are recognised (``crs``); unit-bearing and
two-row headers are read; overlapping multipolygon parts are merged; and
messages speak the words of the interface they appear in.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
import rasterio
from pyproj import Transformer
from rasterio.transform import from_origin
from shapely.geometry import MultiPolygon, box

import phusong
from phusong.cli import main
from phusong.errors import (
    ConfigError,
    DataError,
    OutputBusyError,
    OutputExistsError,
    OutputNotWritableError,
    api_label,
    render_message,
)
from phusong.io.files import (
    MAX_UPLOAD_BYTES,
    MB,
    RawInput,
    gunzip_safely,
    inflation_limit,
    load_input,
)
from phusong.io.outputs import reserve_output, write_outputs
from phusong.io.population import check_population_raster
from phusong.io.sites import read_sites
from phusong.io.wards import read_wards
from phusong.options import cli_label, label_for

# Hà Nội, inside the shipped wards (the default study area).
LATS = (21.0285, 21.0301, 21.0150, 21.0400, 21.0220, 21.0350)
LONS = (105.8542, 105.8200, 105.8000, 105.8400, 105.8100, 105.7900)


def _sheet(op: str, n: int, start: int = 0, **renamed: str) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "site_id": [f"{op}-{i}" for i in range(start, start + n)],
            "cell_id": [f"{op}-{i}-1" for i in range(start, start + n)],
            "operator": op,
            "lat": LATS[:n],
            "lon": LONS[:n],
        }
    )
    return frame.rename(columns=renamed)


# --------------------------------------------------------------------------
# 1. every sheet of a workbook, every table of a zip
# --------------------------------------------------------------------------


def test_every_sheet_of_a_workbook_is_read_and_named():
    buf = io.BytesIO()
    with pd.ExcelWriter(buf) as writer:
        _sheet("Viettel", 3).to_excel(writer, sheet_name="Viettel", index=False)
        vnpt = _sheet("VinaPhone", 4, **{"lat": "Vĩ độ", "lon": "Kinh độ"}).astype(object)
        vnpt.loc[2, "Vĩ độ"] = "abc"  # spreadsheet row 4 of sheet VNPT
        vnpt.to_excel(writer, sheet_name="VNPT", index=False)
        _sheet("MobiFone", 2).to_excel(writer, sheet_name="MobiFone", index=False)
        pd.DataFrame({"Ghi chú": ["made by hand"]}).to_excel(
            writer, sheet_name="Notes", index=False
        )
    sites, report = read_sites(buf.getvalue(), name="book.xlsx")
    assert report.rows_read == 9 and report.rows_accepted == 8 and len(sites) == 8
    assert sorted(sites["operator"].unique()) == ["MobiFone", "Viettel", "VinaPhone"]
    notes = " ".join(report.notes["reason"])
    assert "read 3 sheets" in notes and "'book.xlsx [VNPT]' (4 rows)" in notes
    assert "sheet 'Notes' was not read" in notes  # never silent
    (problem,) = report.problems()
    assert (problem.file, problem.row, problem.column) == ("book.xlsx [VNPT]", 4, "Vĩ độ")


def test_every_table_of_a_zip_is_read_and_named():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("viettel.csv", _sheet("Viettel", 2).to_csv(index=False))
        zf.writestr("vinaphone.csv", _sheet("VinaPhone", 3).to_csv(index=False))
        bad = _sheet("MobiFone", 2)
        bad.loc[1, "lon"] = 999.0
        zf.writestr("mobifone.csv", bad.to_csv(index=False))
    _, report = read_sites(buf.getvalue(), name="three.zip")
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (7, 6, 1)
    assert "read 3 files" in " ".join(report.notes["reason"])
    (problem,) = report.problems()
    assert (problem.file, problem.row) == ("three.zip/mobifone.csv", 3)


# --------------------------------------------------------------------------
# 2. raster inputs are checked before any route reads them
# --------------------------------------------------------------------------


def _raster(path: Path, data: np.ndarray, *, crs="EPSG:4326", west=105.80, north=21.05,
            res=0.001, nodata=None) -> Path:  # fmt: skip
    profile = {
        "driver": "GTiff", "height": data.shape[0], "width": data.shape[1], "count": 1,
        "dtype": "float32", "transform": from_origin(west, north, res, res), "nodata": nodata,
    }  # fmt: skip
    if crs is not None:
        profile["crs"] = crs
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data.astype("float32"), 1)
    return path


@pytest.fixture(scope="module")
def small_wards():
    """Two wards in central Hà Nội (EPSG:4326), 1,000 people each."""
    return gpd.GeoDataFrame(
        {"ward_id": ["a", "b"], "name": ["Phường A", "Phường B"], "population": [1000, 1000]},
        geometry=[box(105.81, 21.01, 105.82, 21.02), box(105.82, 21.01, 105.83, 21.02)],
        crs="EPSG:4326",
    )


@pytest.mark.parametrize(
    ("kind", "match"),
    [
        ("no_crs", "no coordinate reference system"),
        ("outside", "does not overlap the wards"),
        ("nodata", "holds no people over the wards"),
        ("density", "looks like a density"),
        ("negative", "negative people counts"),
    ],
)
def test_population_raster_is_checked(tmp_path, small_wards, kind, match):
    data = np.full((60, 60), 5.0)
    kw: dict = {}
    if kind == "no_crs":
        kw["crs"] = None
    elif kind == "outside":
        kw.update(west=108.0, north=12.0)
    elif kind == "nodata":
        data[:] = -9999.0
        kw["nodata"] = -9999.0
    elif kind == "density":
        data[:] = 40_000.0  # people per km² written into ~110 m pixels
    elif kind == "negative":
        data[35, 15] = -1.0  # under ward a
    path = _raster(tmp_path / f"{kind}.tif", data, **kw)
    with pytest.raises(DataError, match=match) as info:
        check_population_raster(path, small_wards)
    assert info.value.problems[0].file == path.name


def test_population_raster_without_crs_fails_the_audit_not_silently(tmp_path, small_wards):
    path = _raster(tmp_path / "pop.tif", np.full((60, 60), 5.0), crs=None)
    sites = _sheet("Viettel", 1).assign(lat=21.015, lon=105.815)
    with pytest.raises(DataError, match="no coordinate reference system"):
        phusong.run_audit(sites, small_wards, model="disc", population_raster=path)


def test_a_good_population_raster_passes(tmp_path, small_wards):
    check_population_raster(_raster(tmp_path / "ok.tif", np.full((60, 60), 5.0)), small_wards)


# --------------------------------------------------------------------------
# 3 and 7. output folders: a lock, written whole, checked before computing
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_result(small_wards):
    sites = _sheet("Viettel", 1).assign(lat=21.015, lon=105.815)
    return phusong.run_audit(sites, small_wards, model="disc")


def test_a_second_run_into_a_busy_folder_fails_with_exit_2(tmp_path, capsys):
    out = tmp_path / "audit"
    with reserve_output(out):  # another run holds the folder
        code = main(["audit", "--sites", str(tmp_path / "never-read.csv"), "--out", str(out)])
        with pytest.raises(OutputBusyError, match="another phusong run"):
            with reserve_output(out):
                pass
    assert code == 2
    assert "another phusong run is writing to" in capsys.readouterr().err
    assert not out.exists() and list(tmp_path.iterdir()) == []  # lock file removed


def test_an_interrupted_overwrite_leaves_the_old_folder_intact(tmp_path, tiny_result, monkeypatch):
    out = tmp_path / "audit"
    write_outputs(tiny_result, out)
    (out / "notes.txt").write_text("mine")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    import phusong.io.folders as folders

    real = folders.os.fsync
    calls = {"n": 0}

    def interrupt(fd):
        calls["n"] += 1
        if calls["n"] == 4:  # Ctrl-C while the 4th file is written
            raise KeyboardInterrupt
        return real(fd)

    monkeypatch.setattr(folders.os, "fsync", interrupt)
    with pytest.raises(KeyboardInterrupt):
        write_outputs(tiny_result, out, overwrite=True)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["audit"]  # no staging, no lock


def test_overwrite_swaps_the_whole_folder_and_keeps_other_files(tmp_path, tiny_result):
    out = tmp_path / "audit"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    (out / "coverage.tif").write_text("stale raster of an earlier run")
    paths = write_outputs(tiny_result, out, overwrite=True)
    names = {p.name for p in out.iterdir()}
    assert names == {*paths, "notes.txt"} and "coverage.tif" not in names
    assert (out / "notes.txt").read_text() == "mine"
    assert not any(n.startswith(".") for n in names)  # the completion marker is not left
    assert sorted(p.name for p in tmp_path.iterdir()) == ["audit"]


def test_an_unwritable_out_fails_before_computing(tmp_path, monkeypatch, capsys):
    import phusong.audit

    def never(*args, **kwargs):
        raise AssertionError("computed although --out cannot be written")

    monkeypatch.setattr(phusong.audit, "run_audit", never)
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    sheet = tmp_path / "s.csv"
    _sheet("Viettel", 1).to_csv(sheet, index=False)
    code = main(["audit", "--sites", str(sheet), "--out", str(blocker / "out")])
    assert code == 2
    assert "cannot write the output folder" in capsys.readouterr().err
    with pytest.raises(OutputNotWritableError):
        with reserve_output(blocker / "out"):
            pass


def test_a_read_only_out_folder_is_refused_before_computing(tmp_path, monkeypatch):
    out = tmp_path / "ro"
    out.mkdir()
    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda p, mode: False if Path(p) == out else real_access(p, mode)
    )
    with pytest.raises(OutputNotWritableError, match="cannot write the output folder"):
        with reserve_output(out, overwrite=True):
            pass


def test_the_working_folder_is_written_in_place(tmp_path, tiny_result, monkeypatch):
    out = tmp_path / "here"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    monkeypatch.chdir(out)
    paths = write_outputs(tiny_result, ".", overwrite=True)
    assert Path.cwd() == out.resolve() and (out / "wards.csv").is_file()
    assert {p.name for p in out.iterdir()} == {*paths, "notes.txt"}


def test_a_folder_filled_meanwhile_is_not_replaced(tmp_path, tiny_result):
    out = tmp_path / "audit"
    with reserve_output(out) as folder:
        out.mkdir()
        (out / "someone-else.txt").write_text("x")
        with pytest.raises(OutputExistsError, match="not empty"):
            write_outputs(tiny_result, folder)
    assert [p.name for p in out.iterdir()] == ["someone-else.txt"]


# --------------------------------------------------------------------------
# 4 and 9. projected metres: recognised, with the crs option
# --------------------------------------------------------------------------


def _utm_wards_geojson(tmp_path: Path) -> Path:
    """Two wards in VN-2000 / UTM 48N metres, written as GeoJSON without a CRS."""
    features = []
    for i, x0 in enumerate((585_000.0, 586_000.0)):
        ring = [[x0, 2_325_000.0], [x0 + 1000, 2_325_000.0], [x0 + 1000, 2_326_000.0],
                [x0, 2_326_000.0], [x0, 2_325_000.0]]  # fmt: skip
        features.append(
            {
                "type": "Feature",
                "properties": {"name": f"Phường {i}", "population": 100},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    path = tmp_path / "vn2000.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def test_ward_file_in_projected_metres_without_crs(tmp_path):
    path = _utm_wards_geojson(tmp_path)
    with pytest.raises(DataError, match="projected metres") as info:
        read_wards(path)
    assert info.value.option == "crs"
    assert "EPSG:3405" in str(info.value) and "crs='EPSG:" in str(info.value)
    assert "--crs EPSG:" in info.value.render(cli_label)
    wards = read_wards(path, crs="EPSG:3405")
    assert wards.crs.to_epsg() == 4326
    np.testing.assert_allclose(phusong.io.wards.area_km2(wards), [1.0, 1.0], rtol=2e-3)


def test_cli_names_the_crs_flag_and_exits_1(tmp_path, capsys):
    code = main(["validate", str(tmp_path / "x.csv"), "--wards", str(_utm_wards_geojson(tmp_path))])
    assert code == 1
    err = capsys.readouterr().err
    assert "--crs EPSG:" in err and "crs=" not in err and "Traceback" not in err


def test_projected_site_coordinates_are_recognised_and_converted():
    frame = _sheet("Viettel", 4)
    x, y = Transformer.from_crs(4326, 3405, always_xy=True).transform(frame["lon"], frame["lat"])
    frame["lon"], frame["lat"] = x, y
    data = frame.to_csv(index=False).encode()
    with pytest.raises(DataError) as info:
        read_sites(data, name="utm.csv")
    text = str(info.value)
    assert "look like projected metres" in text and "VN-2000 / UTM 48N?" in text
    assert "check the column order" not in text
    sites, report = read_sites(data, name="utm.csv", crs="EPSG:3405")
    np.testing.assert_allclose(sites["lat_deg"], LATS[:4], atol=1e-7)
    np.testing.assert_allclose(sites["lon_deg"], LONS[:4], atol=1e-7)
    assert "converted from EPSG:3405" in " ".join(report.notes["reason"])


def test_bad_crs_option_is_a_config_error():
    with pytest.raises(ConfigError, match="not a coordinate reference system"):
        read_sites(_sheet("Viettel", 1).to_csv(index=False).encode(), crs="EPSG:nope")


# --------------------------------------------------------------------------
# 5. column recognition: units in brackets, two-row headers, unused columns
# --------------------------------------------------------------------------


def test_vietnamese_headers_with_units_are_read_and_converted():
    text = (
        "Mã trạm,Vĩ độ,Kinh độ,Góc phương vị,Độ cao (m),Công suất phát (W),Bán kính (km),Ghi chú\n"
        "S1,21.0285,105.8542,120,30,40,1.2,mái nhà\n"
        "S2,21.0301,105.8200,240,25,20,0.8,\n"
    )
    sites, report = read_sites(text.encode(), name="vn.csv")
    np.testing.assert_allclose(sites["azimuth_deg"], [120, 240])
    np.testing.assert_allclose(sites["height_m"], [30, 25])
    np.testing.assert_allclose(sites["range_m"], [1200, 800])
    # EIRP = 10·log10(P / 1 mW) + 20 dBi − 3 dB (the default gain and loss, noted)
    np.testing.assert_allclose(sites["eirp_dbm"], 10 * np.log10([40_000, 20_000]) + 17, atol=1e-9)
    notes = " ".join(report.notes["reason"])
    assert "values in W converted to dBm" in notes and "values in km converted to m" in notes
    assert "column(s) not used" in notes and "'Ghi chú'" in notes


def test_eirp_in_watts_converted_and_watts_in_dbm_flagged():
    ok = "lat,lon,EIRP (W)\n21.0285,105.8542,2000\n"
    sites, _ = read_sites(ok.encode(), name="w.csv")
    assert sites["eirp_dbm"].iloc[0] == pytest.approx(10 * np.log10(2000) + 30)
    flagged = "lat,lon,EIRP\n21.0285,105.8542,2000\n21.0301,105.8200,1500\n"
    with pytest.raises(DataError, match="These look like watts"):
        read_sites(flagged.encode(), name="w.csv")


def test_two_row_merged_excel_header():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Mã trạm", "Tọa độ", None, "Anten", None, "Công suất phát"])
    ws.merge_cells("B1:C1")
    ws.merge_cells("D1:E1")
    ws.append([None, "Vĩ độ", "Kinh độ", "Góc phương vị", "Độ cao (m)", "(W)"])
    ws.append(["S1", 21.0285, 105.8542, 120, 30, 40])
    ws.append(["S2", 21.0301, 105.8200, 240, 25, 20])
    buf = io.BytesIO()
    wb.save(buf)
    sites, report = read_sites(buf.getvalue(), name="two-rows.xlsx")
    assert list(sites["source_row"]) == [3, 4]
    np.testing.assert_allclose(sites["azimuth_deg"], [120, 240])
    np.testing.assert_allclose(sites["height_m"], [30, 25])
    assert "header on rows 1–2" in " ".join(report.notes["reason"])


# --------------------------------------------------------------------------
# 6. decompression limits
# --------------------------------------------------------------------------


def test_a_gzip_bomb_is_refused_before_it_is_inflated(monkeypatch):
    bomb = gzip.compress(b"\0" * (64 * MB), compresslevel=9)
    assert len(bomb) < 100_000
    # The trailer already says 64 MB: refused without inflating anything.
    read = {"bytes": 0}
    real = gzip.GzipFile.read

    def counting(self, size=-1):
        out = real(self, size)
        read["bytes"] += len(out)
        return out

    monkeypatch.setattr(gzip.GzipFile, "read", counting)
    with pytest.raises(DataError, match="zip bomb"):
        gunzip_safely(RawInput("bomb.csv.gz", bomb))
    assert read["bytes"] == 0
    # A lying trailer: refused once the inflated data passes the ratio limit.
    liar = bomb[:-4] + (100).to_bytes(4, "little")
    with pytest.raises(DataError, match="zip bomb"):
        gunzip_safely(RawInput("liar.csv.gz", liar))
    assert read["bytes"] <= inflation_limit(len(liar)) + MB


# --------------------------------------------------------------------------
# 8. overlapping parts of a MultiPolygon ward are merged, not cut out
# --------------------------------------------------------------------------


def test_overlapping_multipolygon_parts_are_merged(tmp_path):
    a = box(585_000, 2_325_000, 587_000, 2_327_000)
    b = box(586_000, 2_326_000, 588_000, 2_328_000)  # overlaps a by 1 km²
    gdf = gpd.GeoDataFrame(
        {"name": ["Xã Chồng"], "population": [700]}, geometry=[MultiPolygon([a, b])],
        crs="EPSG:32648",
    )  # fmt: skip
    path = tmp_path / "overlap.gpkg"
    gdf.to_file(path, driver="GPKG")
    with pytest.warns(UserWarning, match="repaired 1 invalid"):
        wards = read_wards(path)
    area = wards.to_crs("EPSG:32648").area.iloc[0] / 1e6
    assert area == pytest.approx(7.0, rel=1e-9)  # 4 + 4 − 1, not 4 + 4 − 2
    # The vector route sees the same area (it repairs the same way).
    from phusong.vector.aggregate import ward_coverage_vector

    raw = gdf.assign(ward_id="x").to_crs("EPSG:4326")
    cov = ward_coverage_vector(raw, gpd.GeoDataFrame(geometry=[], crs="EPSG:4326"))
    assert cov.table["area_km2"].iloc[0] == pytest.approx(7.0, rel=2e-3)


# --------------------------------------------------------------------------
# 9. messages, encodings, radio names, folders, sizes, maps, permissions
# --------------------------------------------------------------------------


def test_utf16_without_bom_is_read():
    text = _sheet("Viettel", 3).assign(site_id=["Trạm Hồ Gươm", "Trạm Đống Đa", "Trạm Tây Hồ"])
    text = text.to_csv(index=False)
    for enc in ("utf-16-le", "utf-16-be"):
        sites, report = read_sites(text.encode(enc), name="u16.csv")
        assert len(sites) == 3 and "no byte-order mark" in " ".join(report.notes["reason"])


@pytest.mark.parametrize("radio", ["5G NSA", "5G SA", "5G-NSA", "NR SA"])
def test_5g_nsa_and_sa_are_nr(radio):
    text = f"lat,lon,radio\n21.0285,105.8542,{radio}\n"
    sites, _ = read_sites(text.encode(), name="r.csv")
    assert list(sites["radio"]) == ["NR"]


def test_a_folder_given_as_a_file(tmp_path):
    with pytest.raises(DataError, match="is a folder, not a file"):
        load_input(tmp_path)


def test_size_limit_is_said_in_the_same_megabytes_as_the_readme():
    with pytest.raises(DataError) as info:
        load_input(b"x" * (MAX_UPLOAD_BYTES + 1), name="big.csv")
    text = str(info.value)
    assert "200 MB limit" in text and "210" not in text and "--max-upload-mb" not in text


def test_messages_name_options_in_each_interfaces_words(tmp_path, capsys):
    text = "lat,lon,radio\n21.0285,105.8542,LTE\n"
    with pytest.raises(DataError) as info:
        read_sites(text.encode(), name="lte.csv")
    assert "radio=None" in str(info.value)  # the Python API's words
    assert "--radio all" in info.value.render(cli_label)  # the command line's
    app = info.value.render(label_for({"radio": "Radio technologies"}))
    assert "“Radio technologies: all”" in app  # the app's control
    first = info.value.problems[0]  # each problem too: shown in API words, rendered on demand
    assert "radio=None" in first.reason and "[[" not in first.reason
    assert "“Radio technologies: all”" in first.render(label_for({"radio": "Radio technologies"}))
    sheet = tmp_path / "lte.csv"
    sheet.write_text(text)
    assert main(["validate", str(sheet)]) == 1
    err = capsys.readouterr().err
    assert "--radio all" in err and "radio=None" not in err
    assert "max_distance_km" not in err and "study_area" not in err


def test_option_references_render_per_interface():
    text = "pass [[resolution_m=12]] or [[route=tiled]]; see [[crs]]"
    assert render_message(text) == "pass resolution_m=12 or route='tiled'; see crs"
    assert render_message(text, cli_label) == "pass --resolution-m 12 or --route tiled; see --crs"
    assert api_label("radio", "all") == "radio=None"


def test_map_html_is_byte_identical_between_identical_runs(small_wards):
    from phusong.output.bundle import render_audit_folder

    sites = _sheet("Viettel", 1).assign(lat=21.015, lon=105.815)
    a = render_audit_folder(phusong.run_audit(sites, small_wards, model="disc"))["map.html"]
    b = render_audit_folder(phusong.run_audit(sites, small_wards, model="disc"))["map.html"]
    assert a == b


def test_output_files_get_the_permissions_open_gives(tmp_path, tiny_result):
    from phusong.io.folders import write_all

    def gdal_like(folder: Path) -> Path:  # GDAL's temporary copies are private (0600)
        path = folder / "coverage.tif"
        path.write_bytes(b"II*\0")
        path.chmod(0o600)
        return path

    mask = os.umask(0)
    os.umask(mask)
    (tmp_path / "f").mkdir()
    write_all(tmp_path / "f", {"a.csv": b"x"}, gdal_like)
    for p in (tmp_path / "f").iterdir():
        assert p.stat().st_mode & 0o777 == 0o666 & ~mask, p.name


@pytest.mark.slow
def test_coverage_tif_is_not_private(tmp_path, small_wards):
    sites = _sheet("Viettel", 1).assign(lat=21.015, lon=105.815)
    result = phusong.run_audit(sites, small_wards, model="fspl", resolution_m=100.0)
    paths = write_outputs(result, tmp_path / "out")
    mask = os.umask(0)
    os.umask(mask)
    assert paths["coverage.tif"].stat().st_mode & 0o777 == 0o666 & ~mask
