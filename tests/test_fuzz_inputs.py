"""Issue #13: a fuzz suite over every input a user brings — results or our errors, nothing else.

Sites (raw bytes, CSV-like text, workbooks, in-memory tables with unit-bearing
headers), wards, population rasters, measurements, config files and the
command line are fed hypothesis-made inputs. Each gives a result, a
:class:`~phusong.errors.DataError` or a :class:`~phusong.errors.ConfigError`
(for the output folder: an :class:`~phusong.errors.OutputError`) — never
another exception; the command line never exits 4 ("unexpected error").

The examples are drawn under the derandomised ``ci`` profile of
``tests/conftest.py`` (a fixed sequence: a failure repeats), and
:data:`CASES` adds up to more than 10,000 of them. ``HYPOTHESIS_PROFILE=explore``
draws new ones each run.
"""

from __future__ import annotations

import contextlib
import io
import os
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rasterio.io import MemoryFile
from rasterio.transform import from_origin
from shapely.geometry import box

from phusong.cli import EXIT_UNEXPECTED, main
from phusong.errors import ConfigError, DataError, OutputError
from phusong.io.population import check_population_raster
from phusong.io.sites import read_sites, sites_from_frame
from phusong.io.wards import read_wards
from phusong.options import read_config

#: Examples per test; the suite's total is asserted to exceed 10,000.
CASES = {
    "site_bytes": 1500,
    "site_text": 2500,
    "site_frames": 1500,
    "site_workbooks": 250,
    "site_zips": 400,
    "wards": 900,
    "rasters": 700,
    "measurements": 700,
    "config": 1500,
    "cli": 250,
}

OURS = (DataError, ConfigError)

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore")]


#: Scale of :data:`CASES` for a quick local run (``PHUSONG_FUZZ_SCALE=0.05``); 1 in CI.
SCALE = float(os.environ.get("PHUSONG_FUZZ_SCALE", "1"))


def fuzz(name: str):
    """Hypothesis settings of one fuzz test (its share of :data:`CASES`)."""
    return settings(
        max_examples=max(1, round(CASES[name] * SCALE)),
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )


def test_the_suite_draws_more_than_ten_thousand_cases():
    assert sum(CASES.values()) > 10_000


# --------------------------------------------------------------------------
# strategies
# --------------------------------------------------------------------------

HEADERS = [
    "lat", "lon", "Vĩ độ", "Kinh độ", "radio", "mcc", "net", "mnc", "area", "cell", "range",
    "operator", "Nhà mạng", "band", "azimuth", "Góc phương vị", "Độ cao (m)", "height_m",
    "EIRP", "EIRP (W)", "EIRP (dBm)", "Công suất phát (W)", "tx_power_dbm", "Bán kính (km)",
    "frequency_mhz", "Tần số (GHz)", "bandwidth", "beamwidth", "tilt", "site_id", "cell_id",
    "x", "y", "Ghi chú", "", "lat (rad)", "range (parsec)", "on_air", "sector",
]  # fmt: skip

VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**12), 10**12).map(str),
    st.sampled_from(
        [
            "21.0285",
            "105.8542",
            "105,85",
            "2325811.03",
            "588128.03",
            "NR",
            "LTE",
            "5G NSA",
            "5G SA",
            "4G",
            "452",
            "4",
            "2",
            "1",
            "",
            " ",
            "n78",
            "n41",
            "Viettel",
            "VinaPhone",
            "MobiFone",
            "0",
            "-1",
            "1e308",
            "nan",
            "2000",
            "40",
            "65",
            "360",
            "2024-05-01",
            "NULL",
            "—",
            "١٢",
            "２１.０",
        ]
    ),
    st.text(max_size=10),
)


@st.composite
def csv_text(draw) -> bytes:
    delim = draw(st.sampled_from([",", ";", "\t", "|"]))
    header = draw(st.lists(st.sampled_from(HEADERS), min_size=0, max_size=9))
    rows = draw(st.lists(st.lists(VALUES, min_size=0, max_size=10), max_size=7))
    quote = draw(st.booleans())
    q = '"' if quote else ""
    lines = [delim.join(f"{q}{c}{q}" for c in header)] if header else []
    lines += [delim.join(f"{q}{c}{q}" for c in row) for row in rows]
    text = draw(st.sampled_from(["\n", "\r\n"])).join(lines)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1258"]))
    return text.encode(encoding, errors="replace")


@st.composite
def site_frame(draw) -> pd.DataFrame:
    n = draw(st.integers(0, 6))
    cols = draw(st.lists(st.sampled_from(HEADERS[:33]), min_size=1, max_size=7, unique=True))
    data = {}
    for c in cols:
        kind = draw(st.sampled_from(["float", "text", "mixed"]))
        if kind == "float":
            data[c] = draw(
                st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=n, max_size=n)
            )
        elif kind == "text":
            data[c] = draw(st.lists(st.text(max_size=6), min_size=n, max_size=n))
        else:
            data[c] = draw(st.lists(VALUES, min_size=n, max_size=n))
    return pd.DataFrame(data)


def _outcome(fn, *args, **kwargs):
    """Call ``fn``; our errors are fine, anything else fails the test."""
    try:
        return fn(*args, **kwargs)
    except OURS:
        return None


def _check_sites(out) -> None:
    if out is None:
        return
    sites, report = out
    assert isinstance(sites, gpd.GeoDataFrame) and len(sites) == report.rows_accepted > 0
    assert report.rows_accepted + report.rows_rejected + report.rows_filtered == report.rows_read
    assert np.isfinite(sites["lat_deg"]).all() and np.isfinite(sites["lon_deg"]).all()


# --------------------------------------------------------------------------
# sites
# --------------------------------------------------------------------------


@fuzz("site_bytes")
@given(
    data=st.binary(max_size=3000),
    name=st.sampled_from(["f.csv", "f.csv.gz", "f", "f.xlsx", "f.zip", "f.geojson", "f.parquet"]),
)
@example(data=b"PK\x05\x06" + b"\x00" * 18, name="f.zip")
@example(data=b"\x1f\x8b\x08\x00" + b"\x00" * 6 + b"\x03\x00" + b"\x00" * 8, name="f.csv.gz")
@example(data=b"\xff\xfel\x00a\x00t\x00", name="f.csv")
def test_site_bytes(data, name):
    _check_sites(_outcome(read_sites, data, name=name))


@fuzz("site_text")
@given(data=csv_text(), radio=st.sampled_from(["NR", None, ["NR", "LTE"]]))
@example(data=b"lat,lon,EIRP (W)\n21.0,105.8,0\n", radio="NR")
@example(data="Vĩ độ;Kinh độ\n2325811,588128\n".encode(), radio=None)
def test_site_text(data, radio):
    _check_sites(_outcome(read_sites, data, name="f.csv", radio=radio))


@fuzz("site_frames")
@given(frame=site_frame(), crs=st.sampled_from([None, "EPSG:3405", "EPSG:4326", "EPSG:32648"]))
def test_site_frames(frame, crs):
    _check_sites(_outcome(sites_from_frame, frame, crs=crs))


@fuzz("site_workbooks")
@given(sheets=st.lists(st.lists(st.lists(VALUES, max_size=6), max_size=6), min_size=1, max_size=3))
def test_site_workbooks(sheets):
    buf = io.BytesIO()
    clean = [[["".join(c for c in v if c >= " ") for v in row] for row in rows] for rows in sheets]
    with pd.ExcelWriter(buf) as writer:  # (XLSX cannot hold control characters)
        for i, rows in enumerate(clean):
            pd.DataFrame(rows).to_excel(writer, sheet_name=f"S{i}", index=False, header=False)
    _check_sites(_outcome(read_sites, buf.getvalue(), name="book.xlsx"))


@fuzz("site_zips")
@given(
    members=st.lists(
        st.tuples(st.sampled_from(["a.csv", "b.csv", "c.txt", "d.geojson", "x/e.csv", "f.bin"]),
                  st.one_of(csv_text(), st.binary(max_size=300))),
        max_size=4,
    )
)  # fmt: skip
def test_site_zips(members):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members:
            zf.writestr(name, data)
    _check_sites(_outcome(read_sites, buf.getvalue(), name="z.zip"))


# --------------------------------------------------------------------------
# wards
# --------------------------------------------------------------------------

COORD = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e7, max_value=1e7),
    st.sampled_from([105.8, 21.0, 585_000.0, 2_325_000.0, 0.0]),
)


@st.composite
def ward_geojson(draw) -> bytes:
    import json

    features = []
    for i in range(draw(st.integers(0, 3))):
        ring = draw(st.lists(st.tuples(COORD, COORD), min_size=0, max_size=6))
        closed = draw(st.booleans())
        coords = [list(p) for p in ring] + ([list(ring[0])] if ring and closed else [])
        kind = draw(st.sampled_from(["Polygon", "MultiPolygon", "Point", "LineString"]))
        geom = {
            "Polygon": {"type": "Polygon", "coordinates": [coords]},
            "MultiPolygon": {"type": "MultiPolygon", "coordinates": [[coords], [coords]]},
            "Point": {"type": "Point", "coordinates": coords[0] if coords else []},
            "LineString": {"type": "LineString", "coordinates": coords},
        }[kind]
        props = draw(
            st.dictionaries(
                st.sampled_from(["name", "ten_xa", "ward_id", "population", "dan_so", "x"]),
                VALUES,
                max_size=4,
            )
        )
        features.append({"type": "Feature", "properties": props, "geometry": geom, "id": i})
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


@fuzz("wards")
@given(
    data=st.one_of(ward_geojson(), st.binary(max_size=800)),
    crs=st.sampled_from([None, "EPSG:3405", "EPSG:5897"]),
)
def test_wards(data, crs):
    out = _outcome(read_wards, io.BytesIO(data), crs=crs)
    if out is not None:
        assert isinstance(out, gpd.GeoDataFrame) and out["ward_id"].is_unique


# --------------------------------------------------------------------------
# population rasters
# --------------------------------------------------------------------------

WARDS = gpd.GeoDataFrame(
    {"ward_id": ["a"], "name": ["Phường A"], "population": [1000]},
    geometry=[box(105.81, 21.01, 105.83, 21.03)],
    crs="EPSG:4326",
)


@fuzz("rasters")
@given(
    values=st.lists(
        st.floats(allow_nan=True, allow_infinity=True, width=32), min_size=1, max_size=64
    ),
    crs=st.sampled_from([None, "EPSG:4326", "EPSG:32648", "EPSG:3405"]),
    west=st.sampled_from([105.80, 105.0, 0.0, 580_000.0, -180.0]),
    res=st.sampled_from([0.001, 0.01, 1.0, 100.0, 1e-7]),
    nodata=st.sampled_from([None, 0.0, -9999.0, float("nan")]),
)
def test_rasters(values, crs, west, res, nodata):
    side = int(np.sqrt(len(values)))
    data = np.asarray(values[: side * side], dtype="float32").reshape(side, side)
    profile = {
        "driver": "GTiff", "height": side, "width": side, "count": 1, "dtype": "float32",
        "transform": from_origin(west, 21.05 if res < 1 else 2_330_000.0, res, res),
        "nodata": nodata,
    }  # fmt: skip
    if crs is not None:
        profile["crs"] = crs
    with MemoryFile() as mem:
        with mem.open(**profile) as dst:
            dst.write(data, 1)
        with mem.open() as src:
            _outcome(check_population_raster, src, WARDS)


def test_a_file_that_is_not_a_raster(tmp_path):
    path = tmp_path / "pop.tif"
    path.write_bytes(b"not a tiff")
    with pytest.raises(DataError):
        check_population_raster(path, WARDS)
    assert rasterio  # imported for MemoryFile


# --------------------------------------------------------------------------
# measurements (read by phusong.read_measurements, another helper's reader)
# --------------------------------------------------------------------------


@fuzz("measurements")
@given(data=st.one_of(csv_text(), st.binary(max_size=1500)))
def test_measurements(data):
    from phusong import read_measurements

    out = _outcome(read_measurements, data, name="m.csv")
    if out is not None:
        table, report = out
        assert len(table) == report.rows_accepted


# --------------------------------------------------------------------------
# config files
# --------------------------------------------------------------------------

CONFIG_KEYS = [
    "sites", "wards", "model", "threshold_dbm", "resolution_m", "goal", "goal_metric",
    "operators", "radio", "radius_m", "indoor_loss_db", "reliability", "min_gap_area_m2",
    "route", "tile_px", "out", "overwrite", "fail_under", "crs", "nonsense",
]  # fmt: skip
TOML_VALUES = st.one_of(
    st.integers(-(10**20), 10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(
        lambda v: "nan" if v != v else ("inf" if v == float("inf") else "-inf")
        if abs(v) == float("inf") else repr(v)
    ),
    st.sampled_from(['"uma"', '"disc"', "true", "false", '["NR"]', "[]", '"EPSG:3405"', "{}",
                     '"all"', '""', '"x.csv"', "[1, 2]", '"population"']),
    st.text(max_size=8).map(lambda t: '"' + t.replace("\\", "").replace('"', "") + '"'),
)  # fmt: skip


@fuzz("config")
@given(
    entries=st.lists(st.tuples(st.sampled_from(CONFIG_KEYS), TOML_VALUES), max_size=6),
    junk=st.one_of(st.just(""), st.text(max_size=20)),
)
def test_config(tmp_path_factory, entries, junk):
    path = tmp_path_factory.mktemp("cfg") / "audit.toml"
    body = "\n".join(f"{k} = {v}" for k, v in entries) + "\n" + junk
    path.write_bytes(body.encode("utf-8", errors="replace"))
    with contextlib.suppress(*OURS):
        read_config(path)


# --------------------------------------------------------------------------
# the command line: never exit 4
# --------------------------------------------------------------------------

CLI_WORDS = [
    "audit", "plan", "validate", "sample", "--sites", "--wards", "--model", "uma", "disc",
    "--resolution-m", "0.5", "1", "nan", "-5", "--threshold-dbm", "--radio", "all", "5G NSA",
    "--operator", "Viettel", "--crs", "EPSG:3405", "EPSG:x", "--out", "--overwrite",
    "--config", "--goal", "101", "--route", "tiled", "--tile-px", "3", "--json", "-q",
    "--fail-under", "--population-raster", "--budget", "--target",
]  # fmt: skip


@fuzz("cli")
@given(words=st.lists(st.sampled_from(CLI_WORDS), max_size=8), payload=csv_text())
def test_cli_never_exits_4(tmp_path_factory, words, payload):
    tmp = tmp_path_factory.mktemp("cli")
    files = {"s.csv": payload, "w.geojson": payload[:200], "p.tif": payload[:100]}
    for name, data in files.items():
        (tmp / name).write_bytes(data)
    argv = []
    for w in words:
        argv.append(w)
        if w in ("--sites", "--config"):
            argv.append(str(tmp / "s.csv"))
        elif w == "--wards":
            argv.append(str(tmp / "w.geojson"))
        elif w == "--population-raster":
            argv.append(str(tmp / "p.tif"))
        elif w == "--out":
            argv.append(str(tmp / "out"))
    if argv and argv[0] == "sample" and "--out" not in argv:
        argv += ["--out", str(tmp / "sample")]
    # Long computations are not the point here: cheap defaults first, which the
    # drawn words (later on the line) override.
    if argv and argv[0] in ("audit", "plan"):
        argv[1:1] = ["--model", "disc", "--resolution-m", "2000"]
    cwd = Path.cwd()
    os.chdir(tmp)
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            code = main(argv)
    finally:
        os.chdir(cwd)
    assert code != EXIT_UNEXPECTED, argv


def test_output_errors_are_ours(tmp_path):
    from phusong.io.outputs import reserve_output

    (tmp_path / "f").write_text("x")
    with pytest.raises(OutputError):
        with reserve_output(tmp_path / "f" / "out"):
            pass
