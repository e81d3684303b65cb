"""The SYNTHETIC sample network (phusong.sample) and the shipped sample files."""

import gzip

import numpy as np
import pandas as pd
import pytest
import shapely

import phusong
from phusong.geo import equal_area_crs
from phusong.io.sites import sample_sites_path
from phusong.sample import (
    SHEET_COLUMNS,
    SHEET_DATE_COLUMN,
    generate_sample_network,
    network_stats,
    to_opencellid,
    with_on_air_dates,
    write_sample,
)
from phusong.schema import SITE_COLUMNS


@pytest.fixture(scope="module")
def network(hanoi_wards):
    return generate_sample_network(hanoi_wards, seed=2030)


def test_schema_and_label(network):
    assert list(network.columns) == list(SITE_COLUMNS)
    for col, (dtype, _) in SITE_COLUMNS.items():
        if col != "geometry":
            assert str(network[col].dtype) == dtype, col
    assert network.attrs["synthetic"] is True
    assert "SYNTHETIC" in network.attrs["source"]
    assert network["cell_id"].is_unique


def test_seeded_and_reproducible(hanoi_wards, network):
    again = generate_sample_network(hanoi_wards, seed=2030)
    pd.testing.assert_frame_equal(pd.DataFrame(network), pd.DataFrame(again))
    other = generate_sample_network(hanoi_wards, seed=7)
    assert not network["lat_deg"].equals(other["lat_deg"])


def test_size_and_operators_on_their_bands(network):
    n_sites = network["site_id"].nunique()
    assert 2000 <= n_sites <= 4000
    assert 6000 <= len(network) <= 12000
    bands = {op: set(g["band"]) for op, g in network.groupby("operator")}
    assert bands == {"Viettel": {"n41", "n28"}, "VinaPhone": {"n78"}, "MobiFone": {"n77"}}
    from phusong.operators import carrier_for

    for (op, band), grp in network.groupby(["operator", "band"]):
        assert (grp["frequency_mhz"] == carrier_for(op, band).centre_mhz).all()
    # Viettel has the densest network (reported the most 5G sites)
    per_op = network.groupby("operator")["site_id"].nunique()
    assert per_op["Viettel"] > per_op["VinaPhone"] > per_op["MobiFone"]


def test_three_sectors_and_realistic_parameters(network):
    per_site = network.groupby("site_id")
    assert (per_site.size() == 3).all()
    az = np.sort(network["azimuth_deg"].to_numpy().reshape(-1, 3), axis=1)
    gaps = np.diff(np.concatenate([az, az[:, :1] + 360], axis=1), axis=1)
    assert np.all(np.abs(gaps - 120) < 40)
    assert network["height_m"].between(20, 45).all()
    assert network["eirp_dbm"].between(57, 68).all()
    assert (network["beamwidth_deg"] == 65).all()


def test_points_inside_their_wards_and_gaps(hanoi_wards, network):
    pts = network.drop_duplicates("site_id")
    hits = shapely.contains_xy(
        shapely.union_all(hanoi_wards.geometry.to_numpy()), pts["lon_deg"], pts["lat_deg"]
    )
    assert hits.all()
    joined = pts.sjoin(hanoi_wards[["ward_id", "kind", "geometry"]], predicate="within")
    served = set(joined["ward_id"])
    unserved = hanoi_wards[~hanoi_wards["ward_id"].isin(served)]
    assert len(unserved) >= 2 and set(unserved["kind"]) == {"xã"}  # some xã get no 5G
    # urban phường: the dense core has inter-site distances of a few hundred metres
    crs = equal_area_crs(hanoi_wards)
    dens = hanoi_wards["population"] / (hanoi_wards.to_crs(crs).area / 1e6)
    core = hanoi_wards[dens > 30000]
    vt = joined[(joined["operator"] == "Viettel") & joined["ward_id"].isin(core["ward_id"])]
    xy = np.column_stack([vt.to_crs(crs).geometry.x, vt.to_crs(crs).geometry.y])
    from scipy.spatial import cKDTree

    nn = cKDTree(xy).query(xy, k=2)[0][:, 1]
    assert 250 <= np.median(nn) <= 650


def test_population_coverage_plausible_and_goal_unmet(hanoi_wards, network):
    """Disc model with the band default radius, population uniform in each ward."""
    crs = equal_area_crs(hanoi_wards)
    sites = network.drop_duplicates("site_id").to_crs(crs)
    discs = shapely.union_all(
        shapely.buffer(sites.geometry.to_numpy(), sites["range_m"].to_numpy(), quad_segs=8)
    )
    wards = hanoi_wards.to_crs(crs).geometry.to_numpy()
    frac = shapely.area(shapely.intersection(wards, discs)) / shapely.area(wards)
    pct = 100 * (frac * hanoi_wards["population"]).sum() / hanoi_wards["population"].sum()
    assert 70 <= pct <= 92  # plausibly covered, visibly short of 99 %


def test_shipped_files_read_back_with_zero_rejections(network):
    sheet, rep = phusong.read_sites(sample_sites_path("sheet"))
    assert rep.rows_rejected == 0 and rep.rows_accepted == len(network)
    assert sheet.attrs["synthetic"]
    # the sheet holds exactly the generated network, with its SYNTHETIC on-air dates
    # (issue #15: read back from the sheet's on_air column)
    dated = with_on_air_dates(network)
    dated["on_air_source"] = pd.array(["file:on_air"] * len(dated), dtype="string")
    pd.testing.assert_frame_equal(
        pd.DataFrame(sheet.drop(columns="geometry")), pd.DataFrame(dated.drop(columns="geometry"))
    )
    ocid, rep = phusong.read_sites(sample_sites_path("opencellid"))
    assert rep.rows_rejected == 0 and len(ocid) == len(network)
    assert ocid["site_id"].nunique() == network["site_id"].nunique()
    for path in (sample_sites_path("sheet"), sample_sites_path("opencellid")):
        assert "SYNTHETIC" in path.name and path.stat().st_size < 2_000_000
    readme = (sample_sites_path("sheet").parent / "README.md").read_text()
    assert "SYNTHETIC" in readme and "No real list" in readme and "seed=2030" in readme


def test_write_sample(tmp_path, hanoi_wards):
    paths = write_sample(tmp_path, wards=hanoi_wards)
    sheet = pd.read_csv(paths["sheet"])
    assert tuple(sheet.columns) == (*SHEET_COLUMNS, SHEET_DATE_COLUMN)  # issue #15: on-air date
    with gzip.open(paths["opencellid"], "rt") as fh:
        header = fh.readline().strip()
    assert header == ",".join(to_opencellid(generate_sample_network(hanoi_wards)).columns)
    assert header.startswith("radio,mcc,net,area,cell,unit,lon,lat,range")
    stats = network_stats(generate_sample_network(hanoi_wards))
    assert stats.iloc[-1]["cells"] == len(sheet)
    with pytest.raises(Exception, match="exists"):
        write_sample(tmp_path, wards=hanoi_wards, overwrite=False)
