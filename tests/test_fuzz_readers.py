"""Fuzzing the readers: any input gives a table or a DataError, nothing else."""

import geopandas as gpd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from phusong.errors import DataError
from phusong.io.sites import read_sites
from phusong.io.wards import read_wards

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

cells = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**12), 10**12).map(str),
    st.sampled_from(["21.0285", "105,85", "105.85", "NR", "LTE", "5G", "452", "4", "", " ", "n78"]),
    st.text(max_size=12),
)
names = st.sampled_from(
    [
        "lat",
        "lon",
        "radio",
        "mcc",
        "net",
        "area",
        "cell",
        "range",
        "operator",
        "band",
        "vi_do",
        "x",
        "",
    ]
)


@st.composite
def csv_like(draw):
    delim = draw(st.sampled_from([",", ";", "\t", "|", " "]))
    quote = draw(st.sampled_from(["", '"']))
    header = draw(st.lists(names, min_size=0, max_size=8))
    rows = draw(st.lists(st.lists(cells, min_size=0, max_size=9), max_size=8))
    lines = [delim.join(f"{quote}{c}{quote}" for c in header)] if header else []
    lines += [delim.join(f"{quote}{c}{quote}" for c in row) for row in rows]
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    text = eol.join(lines)
    bom = draw(st.sampled_from(["", "\ufeff"]))
    return (bom + text).encode("utf-8")


def _table_or_data_error(read, data, name):
    try:
        out = read(data, name=name) if read is read_sites else read(data)
    except DataError:
        return
    if read is read_sites:
        sites, report = out
        assert isinstance(sites, gpd.GeoDataFrame) and len(sites) == report.rows_accepted > 0
    else:
        assert isinstance(out, gpd.GeoDataFrame)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # GDAL on junk GeoPackages
@SETTINGS
@given(
    data=st.binary(max_size=2000),
    name=st.sampled_from(["f.csv", "f.csv.gz", "f", "f.xlsx", "f.zip"]),
)
@example(data=b"PK\x03\x04garbage", name="f.zip")
@example(data=b"\x1f\x8b\x08\x00broken", name="f.csv.gz")
@example(data=b"SQLite format 3\x00" + b"\x00" * 100, name="f")
@example(data=b"PAR1\x00\x00PAR1", name="f")
def test_read_sites_random_bytes(data, name):
    _table_or_data_error(read_sites, data, name)


@SETTINGS
@given(data=csv_like())
@example(data=b"lat,lon\n21.0,105.8\n")
@example(data=b"radio;lat;lon\nNR;21,0;105,8\n")
def test_read_sites_random_csv(data):
    _table_or_data_error(read_sites, data, "f.csv")


@pytest.mark.filterwarnings("ignore")
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.one_of(st.binary(max_size=1000), csv_like()))
@example(data=b'{"type": "FeatureCollection", "features": []}')
def test_read_wards_random_bytes(data):
    _table_or_data_error(read_wards, data, "w")
