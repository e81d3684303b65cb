import io
import zipfile

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon, box

import phusong
from phusong.errors import DataError
from phusong.geo import area_km2, geodesic_area_km2
from phusong.io.wards import read_wards, ward_topology


def test_shipped_wards_match_official_figures(hanoi_wards):
    w = hanoi_wards
    assert len(w) == 126
    assert w["ward_id"].is_unique
    # Official 2025 population total (shared/data/README.md).
    assert w["population"].sum() == 8_807_523
    assert set(w["kind"]) == {"phường", "xã"}
    assert (w["kind"] == "phường").sum() == 51
    assert w.crs.to_epsg() == 4326
    # Total area within 1 % of 3,351 km², computed geodesically (independent).
    geodesic = geodesic_area_km2(w).sum()
    assert abs(geodesic - 3351) / 3351 < 0.01
    # Equal-area projection agrees with the geodesic area within 0.1 % per ward.
    np.testing.assert_allclose(area_km2(w), geodesic_area_km2(w), rtol=1e-3)
    names = set(w["name"])
    assert "Phường Ba Đình" in names and "Phường Hoàn Kiếm" in names


def test_shipped_topology_is_measured(hanoi_wards):
    topo = hanoi_wards.attrs["topology"]
    # shared/data/README.md: overlaps 0.01 km², interior gaps 0.02 km².
    assert topo["overlap_km2"] == pytest.approx(0.01, abs=0.01)
    assert topo["gap_km2"] == pytest.approx(0.02, abs=0.01)


def _wards_file(tmp_path, gdf, name="w.geojson", driver="GeoJSON"):
    path = tmp_path / name
    gdf.to_file(path, driver=driver)
    return path


def _two_wards(crs="EPSG:32648", **cols):
    data = {"ten_xa": ["Xã A", "Phường B"], "ma_xa": [10, 11], "dan_so": [100, 200]}
    data.update(cols)
    return gpd.GeoDataFrame(
        data,
        geometry=[box(585000, 2325000, 586000, 2326000), box(586000, 2325000, 587000, 2326000)],
        crs=crs,
    )


def test_detects_vietnamese_columns_and_reprojects(tmp_path):
    w = read_wards(_wards_file(tmp_path, _two_wards()))
    assert list(w.columns[:5]) == ["ward_id", "name", "kind", "population", "geometry"]
    assert list(w["ward_id"]) == ["10", "11"]
    assert list(w["name"]) == ["Xã A", "Phường B"]
    assert list(w["kind"]) == ["xã", "phường"]
    assert list(w["population"]) == [100.0, 200.0]
    assert w.crs.to_epsg() == 4326
    # 1 km² in UTM is 1 km² / k² on the ground (k ≈ 0.9996 here): within 0.2 %.
    np.testing.assert_allclose(area_km2(w), [1.0, 1.0], rtol=2e-3)


def test_explicit_fields_and_geopackage(tmp_path):
    g = _two_wards().rename(columns={"ten_xa": "label", "ma_xa": "code_x", "dan_so": "people"})
    path = _wards_file(tmp_path, g, "w.gpkg", "GPKG")
    w = read_wards(path, id_field="code_x", name_field="label", population_field="people")
    assert list(w["population"]) == [100.0, 200.0]
    with pytest.raises(DataError, match="no column 'nope'"):
        read_wards(path, name_field="nope")


def test_zipped_shapefile_and_upload_object(tmp_path):
    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    _two_wards().to_file(shp_dir / "wards.shp")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for f in shp_dir.iterdir():
            zf.write(f, f"wards/{f.name}")
    buf.name = "wards.zip"
    w = read_wards(buf)
    assert len(w) == 2 and w["population"].sum() == 300


def test_zip_path_traversal_is_refused(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("../../evil.shp", b"x")
    buf.name = "evil.zip"
    with pytest.raises(DataError, match="path traversal"):
        read_wards(buf)


def test_zip_bomb_is_refused():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("big.geojson", b"\0" * (50 * 1024 * 1024))
    buf.name = "bomb.zip"
    with pytest.raises(DataError, match="zip bomb"):
        read_wards(buf)


def test_geoparquet(tmp_path):
    path = tmp_path / "w.parquet"
    _two_wards().to_parquet(path)
    assert len(read_wards(path)) == 2


def test_no_crs_is_a_clear_error(tmp_path):
    path = tmp_path / "nocrs.geojson"
    path.write_text(
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"A"},'
        '"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}}]}'
    )
    # GeoJSON defaults to WGS84 by specification, so write a shapefile without .prj instead.
    shp = tmp_path / "nocrs"
    shp.mkdir()
    g = _two_wards()
    g.to_file(shp / "w.shp")
    (shp / "w.prj").unlink()
    with pytest.raises(DataError, match="no coordinate reference system"):
        read_wards(shp / "w.shp")


def test_invalid_geometry_repaired_with_warning(tmp_path):
    bowtie = Polygon([(585000, 2325000), (586000, 2326000), (586000, 2325000), (585000, 2326000)])
    g = gpd.GeoDataFrame({"name": ["Bow"], "population": [5]}, geometry=[bowtie], crs="EPSG:32648")
    with pytest.warns(UserWarning, match="repaired 1 invalid"):
        w = read_wards(_wards_file(tmp_path, g))
    assert w.geometry.is_valid.all()
    # The two triangles of the bow-tie: half the bounding square.
    assert area_km2(w)[0] == pytest.approx(0.5, rel=1e-3)


def test_every_problem_reported_at_once(tmp_path):
    g = _two_wards(dan_so=["many", -5], ma_xa=[7, 7])
    with pytest.raises(DataError) as err:
        read_wards(_wards_file(tmp_path, g))
    text = str(err.value)
    assert "row 2, column 'dan_so': population 'many' is not a number" in text
    assert "row 3, column 'dan_so': population is negative" in text
    assert "duplicate ward id '7'" in text
    assert len(err.value.problems) == 4


def test_points_are_not_wards(tmp_path):
    g = gpd.GeoDataFrame({"name": ["P"]}, geometry=gpd.points_from_xy([105.8], [21.0]), crs=4326)
    with pytest.raises(DataError, match="not a polygon"):
        read_wards(_wards_file(tmp_path, g))


def test_not_a_vector_file(tmp_path):
    path = tmp_path / "junk.geojson"
    path.write_bytes(b"\x00\x01garbage")
    with pytest.raises(DataError, match="could not read ward boundaries"):
        read_wards(path)


def test_size_limit(tmp_path):
    path = _wards_file(tmp_path, _two_wards())
    with pytest.raises(DataError, match="larger than"):
        read_wards(path, max_bytes=100)


def test_overlap_and_gap_measured():
    # Two 1 km² squares overlapping by 0.1 km², plus a ring ward with a 0.04 km² hole.
    # Built near Hà Nội in UTM 48N, where UTM's own area scale error is < 0.1 %.
    x, y = 585_000, 2_325_000
    a = box(x, y, x + 1000, y + 1000)
    b = box(x + 900, y, x + 1900, y + 1000)
    ring = box(x, y + 2000, x + 1000, y + 3000).difference(
        box(x + 400, y + 2400, x + 600, y + 2600)
    )
    g = gpd.GeoDataFrame({"name": ["a", "b", "r"]}, geometry=[a, b, ring], crs="EPSG:32648")
    topo = ward_topology(g)
    assert topo["overlap_km2"] == pytest.approx(0.1, rel=1e-3)
    assert topo["gap_km2"] == pytest.approx(0.04, rel=1e-3)


def test_public_api_exports():
    assert phusong.read_wards is read_wards
    assert issubclass(phusong.DataError, ValueError)


def test_read_zones_polygons_crs_and_bad_rows(tmp_path):
    from shapely.geometry import Point, box

    from phusong.io.wards import read_zones

    bowtie = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])  # self-crossing: repaired
    good = tmp_path / "zones.gpkg"
    gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1), bowtie], crs="EPSG:32648").to_file(good)
    zones = read_zones(good)
    assert zones.crs.to_epsg() == 32648
    assert shapely.is_valid(zones.to_numpy()).all()
    assert zones.area.to_numpy() == pytest.approx([1.0, 0.5])

    no_crs = tmp_path / "zones.parquet"
    gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)]).to_parquet(no_crs)
    with pytest.raises(DataError, match="no coordinate reference system"):
        read_zones(no_crs)

    points = tmp_path / "mixed.geojson"
    gpd.GeoDataFrame(
        geometry=[box(105.8, 21.0, 105.81, 21.01), Point(105.85, 21.03)], crs="EPSG:4326"
    ).to_file(points)
    with pytest.raises(DataError) as err:
        read_zones(points)
    (problem,) = err.value.problems
    assert (problem.file, problem.row, problem.column) == ("mixed.geojson", 2, "geometry")
    assert "Point" in problem.reason and "polygon" in problem.reason


def test_ward_topology_is_measured_once_per_set_of_wards(monkeypatch):
    # A plan reads the same wards for every re-audit: measured once, the same figures;
    # wards with another geometry are measured again.
    import phusong.io.wards as wards_module
    from phusong.recent import Recent

    calls = []
    real = wards_module._topology
    monkeypatch.setattr(wards_module, "_topology", lambda w: calls.append(1) or real(w))
    monkeypatch.setattr(wards_module, "_TOPOLOGY", Recent(size=8))
    a = gpd.GeoDataFrame(geometry=[box(0, 0, 1000, 1000), box(900, 0, 2000, 1000)],
                         crs="EPSG:32648")  # fmt: skip
    first = wards_module.ward_topology(a)
    assert first["overlap_km2"] == pytest.approx(0.1, rel=0.01)  # equal-area, not UTM
    assert wards_module.ward_topology(a.copy()) == first and len(calls) == 1
    b = gpd.GeoDataFrame(geometry=[box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000)],
                         crs="EPSG:32648")  # fmt: skip
    assert wards_module.ward_topology(b)["overlap_km2"] < 1e-4  # edge to edge (projection noise)
    assert len(calls) == 2
