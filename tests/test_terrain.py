"""Terrain: the DEM reader (phusong.io.dem) and the radial-sweep kernel (phusong.raster.terrain).

Independent references: the shipped SRTM tile's published layout (1201 × 1201,
3″, EPSG:4326, voids −32768); bilinear interpolation done by hand on the raw
file; the per-profile Bullington reference (one straight profile per pixel,
``terrain_loss_reference``, itself tested against the ITU's own formulation
in tests/test_diffraction.py); flat ground (no loss) and a 300 m ridge.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine
from pyproj import Transformer
from rasterio.windows import Window
from scipy.ndimage import gaussian_filter

from phusong.errors import DataError
from phusong.io.dem import DEM_CREDIT, open_dem, read_dem, shipped_dem_paths
from phusong.propagation.diffraction import bullington_loss_db
from phusong.raster.grid import compute_grid
from phusong.raster.spec import GridSpec
from phusong.raster.terrain import (
    TerrainGrid,
    TerrainModel,
    terrain_loss_reference,
    terrain_loss_window,
    terrain_loss_windows,
    terrain_model,
)

LAEA = "+proj=laea +lat_0=21.0 +lon_0=105.8 +x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs"


def square_grid(n: int, res: float = 50.0, x0: float = 0.0, y0: float = 0.0) -> GridSpec:
    """An n × n grid whose top-left corner is (x0, y0 + n·res) in a LAEA centred near Hà Nội."""
    return GridSpec(LAEA, res, Affine(res, 0.0, x0, 0.0, -res, y0 + n * res), n, n)


def centre_xy(grid: GridSpec, row: float, col: float) -> tuple[float, float]:
    """Grid CRS coordinates of fractional pixel-centre (row, col)."""
    t = grid.transform
    return t.c + (col + 0.5) * grid.resolution_m, t.f - (row + 0.5) * grid.resolution_m


def smooth_terrain(n: int, seed: int, sigma_px: float = 8.0, relief_m: float = 40.0) -> np.ndarray:
    """Random terrain with features of about ``sigma_px`` pixels and ``relief_m`` standard deviation."""
    z = gaussian_filter(np.random.default_rng(seed).normal(size=(n, n)), sigma_px)
    return (z / z.std() * relief_m + 100.0).astype("float32")


# --------------------------------------------------------------------------- the shipped DEM


def test_shipped_tile_is_the_published_srtm_layout() -> None:
    (path,) = shipped_dem_paths()
    with rasterio.open(path) as src:
        assert src.driver == "SRTMHGT"
        assert (src.width, src.height) == (1201, 1201)
        assert src.crs.to_epsg() == 4326
        assert src.units[0] == "m"
        assert src.transform.a == pytest.approx(1 / 1200) and src.transform.e == pytest.approx(
            -1 / 1200
        )
        # Pixel centres at whole arc-seconds from 21°N/105°E to 22°N/106°E.
        assert src.transform.c + src.transform.a / 2 == pytest.approx(105.0)
        assert src.transform.f + src.transform.e / 2 == pytest.approx(22.0)
        raw = src.read(1)
    assert int((raw == -32768).sum()) == 1539
    dem = open_dem(None)
    assert int(np.isnan(dem.heights_m).sum()) == 1539
    assert DEM_CREDIT == "Elevation: NASA/USGS SRTM (public domain)"


def test_read_dem_is_bilinear_of_the_raw_file_and_unknown_outside(hanoi_wards) -> None:
    grid = GridSpec.for_area(hanoi_wards, resolution_m=200.0)
    on_grid = read_dem(None, grid)
    assert on_grid.heights_m.shape == grid.shape
    with rasterio.open(shipped_dem_paths()[0]) as src:
        raw = src.read(1).astype("float64")
    to_ll = Transformer.from_crs(grid.crs, "EPSG:4326", always_xy=True)
    rng = np.random.default_rng(3)
    rows = rng.integers(0, grid.height, 400)
    cols = rng.integers(0, grid.width, 400)
    lon, lat = to_ll.transform(grid.x_centres()[cols], grid.y_centres()[rows])
    for r, c, lo, la in zip(rows, cols, lon, lat, strict=True):
        # By hand: SRTM pixel (i, j) is centred at (105 + j/1200, 22 − i/1200).
        fi, fj = (22.0 - la) * 1200.0, (lo - 105.0) * 1200.0
        got = on_grid.heights_m[r, c]
        if not (0 <= fi <= 1200 and 0 <= fj <= 1200):
            assert np.isnan(got), (la, lo)  # outside the tile: unknown, never 0 m
            continue
        i0, j0 = min(int(fi), 1199), min(int(fj), 1199)
        block = raw[i0 : i0 + 2, j0 : j0 + 2]
        if (block == -32768).any():
            assert np.isnan(got)
            continue
        a, b = fi - i0, fj - j0
        want = (
            block[0, 0] * (1 - a) * (1 - b) + block[0, 1] * (1 - a) * b
            + block[1, 0] * a * (1 - b) + block[1, 1] * a * b
        )  # fmt: skip
        assert got == pytest.approx(want, abs=0.01)
    # Southern Hà Nội (south of 21°N) has no terrain in this tile.
    south = (
        grid.y_centres()
        < Transformer.from_crs("EPSG:4326", grid.crs, always_xy=True).transform(105.8, 20.99)[1]
    )
    assert np.isnan(on_grid.heights_m[south]).all()
    assert 0.3 < on_grid.known_fraction < 0.7


def write_dem(path, heights, *, crs="EPSG:4326", nodata=-32768, units=None, transform=None):  # type: ignore[no-untyped-def]
    transform = transform or Affine(1 / 1200, 0, 105.5, 0, -1 / 1200, 21.2)
    profile = {
        "driver": "GTiff", "width": heights.shape[1], "height": heights.shape[0], "count": 1,
        "dtype": heights.dtype, "transform": transform, "nodata": nodata,
    }  # fmt: skip
    if crs is not None:
        profile["crs"] = crs
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(heights, 1)
        if units:
            dst.units = (units,)
    return path


def small_grid_over(lon: float, lat: float, n: int = 20, res: float = 50.0) -> GridSpec:
    x, y = Transformer.from_crs("EPSG:4326", LAEA, always_xy=True).transform(lon, lat)
    return square_grid(n, res, x - n * res / 2, y - n * res / 2)


def test_several_tiles_mosaic_like_one(tmp_path) -> None:
    z = (np.arange(200 * 200, dtype="float64").reshape(200, 200) % 997).astype("int16")
    whole = write_dem(tmp_path / "whole.tif", z)
    t = Affine(1 / 1200, 0, 105.5, 0, -1 / 1200, 21.2)
    left = write_dem(tmp_path / "left.tif", z[:, :100].copy(), transform=t)
    right = write_dem(
        tmp_path / "right.tif", z[:, 100:].copy(), transform=t * Affine.translation(100, 0)
    )
    grid = small_grid_over(105.5 + 100 / 1200, 21.2 - 100 / 1200, n=40)
    a = read_dem(whole, grid).heights_m
    b = read_dem([left, right], grid).heights_m
    np.testing.assert_array_equal(a, b)
    assert np.isfinite(a).all()


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"crs": None}, "gdal_edit.py -a_srs"),
        ({"units": "ft"}, "not metres"),
        ({"nodata": None, "fill": -9999}, "gdal_edit.py -a_nodata"),
    ],
)
def test_bad_dem_files_name_the_file_and_the_fix(tmp_path, kwargs, fragment) -> None:
    fill = kwargs.pop("fill", None)
    z = np.full((50, 50), 20, dtype="int16")
    if fill is not None:
        z[25, 25] = fill
    path = write_dem(tmp_path / "bad.tif", z, **kwargs)
    grid = small_grid_over(105.5 + 25 / 1200, 21.2 - 25 / 1200, n=10)
    with pytest.raises(DataError) as err:
        read_dem(path, grid)
    assert "bad.tif" in str(err.value)
    assert fragment in str(err.value)


def test_missing_and_non_overlapping_dem(tmp_path) -> None:
    grid = small_grid_over(105.8, 21.0)
    with pytest.raises(DataError, match="DEM file not found"):
        read_dem(tmp_path / "nope.hgt", grid)
    path = write_dem(tmp_path / "far.tif", np.full((50, 50), 20, dtype="int16"),
                     transform=Affine(1 / 1200, 0, 10.0, 0, -1 / 1200, 50.0))  # fmt: skip
    with pytest.raises(DataError, match="wholly outside") as err:
        read_dem(path, grid)
    assert "far.tif" in str(err.value)


def test_unreadable_and_mismatched_dems(tmp_path) -> None:
    grid = small_grid_over(105.5 + 25 / 1200, 21.2 - 25 / 1200, n=10)
    junk = tmp_path / "junk.tif"
    junk.write_bytes(b"not a raster")
    with pytest.raises(DataError, match="cannot read the DEM") as err:
        read_dem(junk, grid)
    assert "junk.tif" in str(err.value)
    a = write_dem(tmp_path / "a.tif", np.full((50, 50), 20, dtype="int16"))
    b = write_dem(tmp_path / "b.tif", np.full((50, 50), 20, dtype="int16"), crs="EPSG:4269")
    with pytest.raises(DataError, match="gdalbuildvrt") as err:
        read_dem([a, b], grid)
    assert "b.tif" in str(err.value)


def test_all_void_dem_reads_as_unknown(tmp_path) -> None:
    path = write_dem(tmp_path / "void.tif", np.full((50, 50), -32768, dtype="int16"))
    grid = small_grid_over(105.5 + 25 / 1200, 21.2 - 25 / 1200, n=10)
    assert np.isnan(read_dem(path, grid).heights_m).all()


# --------------------------------------------------------------------------- the sweep


@pytest.mark.parametrize("h_ut", [1.5, 10.0])
def test_flat_ground_has_no_terrain_loss(h_ut: float) -> None:
    """Flat ground adds nothing to the path-loss model, at any range or band.

    Plain P.526 §4.5.1 over flat ground charges a 1.5 m receiver for the
    ground in its Fresnel zone (several dB at 700 MHz, and at 3.5 GHz beyond
    a few km); that is smooth-earth propagation, which the empirical models
    already contain, so the terrain loss is the excess over smooth ground.
    """
    n = 301  # ±7.5 km at 50 m
    grid = square_grid(n)
    tg = TerrainGrid(grid, np.full(grid.shape, 12.0, dtype="float32"))
    x, y = centre_xy(grid, 150.3, 149.6)
    for f in (0.7, 3.5):
        out = terrain_loss_window(tg, x, y, 25.0, h_ut, f, (0, n, 0, n))
        assert out.dtype == np.float32
        np.testing.assert_array_equal(out, 0.0)
    # while plain Bullington over the flat profile to 10 km does lose at 700 MHz
    dist = np.linspace(0.0, 10_000.0, 201)
    assert bullington_loss_db(dist, np.full_like(dist, 12.0), 25.0, 1.5, 0.7) > 1.0


def test_evenly_sloping_ground_has_almost_no_terrain_loss() -> None:
    """On a plane the straight profiles lose nothing; a ray passes up to ¼ pixel off the centre.

    So it samples the plane slightly above or below the straight ground line
    to the pixel (here up to 0.25 m), which near grazing (smooth ground at
    700 MHz beyond a km or two) is worth a fraction of a dB.
    """
    n = 201
    grid = square_grid(n)
    z = (12.0 + 1.0 * np.arange(n, dtype="float64"))[None, :].repeat(n, axis=0)  # 2 % slope
    tg = TerrainGrid(grid, z.astype("float32"))
    x, y = centre_xy(grid, 100.3, 99.6)
    for f in (0.7, 3.5):
        out = terrain_loss_window(tg, x, y, 25.0, 1.5, f, (0, n, 0, n))
        assert float(np.median(out)) < 0.05
        assert float(np.percentile(out, 99)) < 1.0 and float(out.max()) < 2.0
    corner = terrain_loss_reference(tg, x, y, 25.0, 1.5, 0.7, (0, 4, 0, 4))
    np.testing.assert_allclose(corner, 0.0, atol=1e-9)  # the straight profiles: 0 (rounding)


@pytest.mark.parametrize(("res", "f_ghz"), [(30.0, 3.5), (100.0, 0.7)])
def test_matches_the_per_profile_reference_exactly_where_rays_are_profiles(
    res: float, f_ghz: float
) -> None:
    """Along the row, column and diagonals through a pixel-centre antenna the ray is the profile.

    There the sweep and the reference sample the same points, so they agree
    to float32 rounding (0.01 dB), every shortcut included: the running
    horizon, the hull tangent, the line-of-sight bound and the analytic
    smooth ground (at 100 m and 700 MHz, out to 4 km, smooth ground itself
    loses and is subtracted).
    """
    n = 81
    grid = square_grid(n, res)
    tg = TerrainGrid(grid, smooth_terrain(n, 0, sigma_px=4.0))
    x, y = centre_xy(grid, 40, 40)
    fast = terrain_loss_window(tg, x, y, 30.0, 1.5, f_ghz, (0, n, 0, n)).astype("float64")
    ref_row = terrain_loss_reference(tg, x, y, 30.0, 1.5, f_ghz, (40, 41, 0, n))[0]
    ref_col = terrain_loss_reference(tg, x, y, 30.0, 1.5, f_ghz, (0, n, 40, 41))[:, 0]
    np.testing.assert_allclose(fast[40], ref_row, atol=0.01)
    np.testing.assert_allclose(fast[:, 40], ref_col, atol=0.01)
    step = res * math.sqrt(2.0)
    for sign in (1, -1):
        idx = np.arange(n)
        cols = 40 + sign * (idx - 40)
        ref_diag = [
            terrain_loss_reference(
                tg, x, y, 30.0, 1.5, f_ghz, (int(r), int(r) + 1, int(c), int(c) + 1), step_m=step
            )[0, 0]
            for r, c in zip(idx, cols, strict=True)
        ]
        np.testing.assert_allclose(fast[idx, cols], ref_diag, atol=0.01)
    assert float(np.nanmax(fast)) > 10.0  # the terrain does obstruct


def test_radius_limits_the_pixels_computed() -> None:
    n = 81
    grid = square_grid(n)
    tg = TerrainGrid(grid, smooth_terrain(n, 3))
    x, y = centre_xy(grid, 40.2, 39.7)
    whole = terrain_loss_window(tg, x, y, 30.0, 1.5, 3.5, (0, n, 0, n))
    part = terrain_loss_window(tg, x, y, 30.0, 1.5, 3.5, (0, n, 0, n), radius_m=1000.0)
    rows, cols = np.mgrid[0:n, 0:n]
    inside = np.hypot(rows - 40.2, cols - 39.7) * 50.0 <= 1000.0
    np.testing.assert_array_equal(part[inside], whole[inside])
    assert np.isnan(part[~inside]).all()


def test_terrain_model_reuses_the_grid_and_credits_srtm(hanoi_wards) -> None:
    grid = GridSpec.for_area(hanoi_wards, resolution_m=500.0)
    a, b = terrain_model(None, grid), terrain_model(None, grid)
    assert a.terrain is b.terrain and a is not b  # one terrain grid, fresh stats
    assert a.terrain.margin_px == 4  # 2 km of terrain around the grid at 500 m
    assert a.shipped and a.credit == DEM_CREDIT
    assert a.credits["vi"].startswith("Dữ liệu độ cao: NASA/USGS SRTM")
    assert a.records[0]["name"] == "N21E105.hgt" and len(a.records[0]["sha256"]) == 64


#: Tolerance of the sweep against the per-profile reference, pixel by pixel.
#: A pixel takes the loss along the ray that passes closest to its centre
#: (within half a pixel) and samples at pixel-centre lines, not along the
#: exact straight profile; on terrain smooth at the pixel scale the two differ
#: little on average, but diffraction loss changes fast near a shadow edge, so
#: single pixels can differ by several dB. Checked: the median difference,
#: the mean (bias), the share of shadowed pixels (> 10 dB) and the unknown
#: (NaN) pattern.
SWEEP_MEDIAN_ABS_DB = 0.25
SWEEP_MEAN_BIAS_DB = 0.6
SWEEP_P90_ABS_DB = 3.0
SWEEP_SHADOW_SHARE_POINTS = 2.0
#: Share of pixels known by one and unknown by the other (a ray and the
#: straight profile can pass on either side of a void pixel).
SWEEP_UNKNOWN_MISMATCH = 0.02


def assert_sweep_close(fast: np.ndarray, ref: np.ndarray) -> None:
    both = np.isfinite(fast) & np.isfinite(ref)
    assert (np.isnan(fast) != np.isnan(ref)).mean() <= SWEEP_UNKNOWN_MISMATCH
    diff = fast[both].astype("float64") - ref[both]
    assert np.median(np.abs(diff)) <= SWEEP_MEDIAN_ABS_DB
    assert abs(diff.mean()) <= SWEEP_MEAN_BIAS_DB
    assert np.percentile(np.abs(diff), 90) <= SWEEP_P90_ABS_DB
    shadow = 100.0 * abs((fast[both] > 10).mean() - (ref[both] > 10).mean())
    assert shadow <= SWEEP_SHADOW_SHARE_POINTS


@pytest.mark.parametrize("seed", range(3))
def test_matches_the_per_profile_reference_on_random_terrain(seed: int) -> None:
    n = 61
    rng = np.random.default_rng(100 + seed)
    grid = square_grid(n, 50.0)
    tg = TerrainGrid(grid, smooth_terrain(n, seed, sigma_px=float(rng.uniform(5, 10))))
    x, y = centre_xy(grid, 30 + rng.uniform(-0.5, 0.5), 30 + rng.uniform(-0.5, 0.5))
    h_bs, f = float(rng.uniform(15, 45)), float(rng.choice([0.7, 2.6, 3.5]))
    fast = terrain_loss_window(tg, x, y, h_bs, 1.5, f, (0, n, 0, n))[::2, ::2]
    ref = reference_every_other_pixel(tg, x, y, h_bs, f, n)
    assert_sweep_close(fast, ref)


def reference_every_other_pixel(tg, x, y, h_bs, f, n):  # type: ignore[no-untyped-def]
    """The per-profile reference on every other row and column (it is slow)."""
    rows = range(0, n, 2)
    return np.array([
        [terrain_loss_reference(tg, x, y, h_bs, 1.5, f, (r, r + 1, c, c + 1))[0, 0] for c in rows]
        for r in rows
    ])  # fmt: skip


@pytest.mark.slow
def test_matches_the_per_profile_reference_on_the_shipped_dem(hanoi_wards) -> None:
    grid = GridSpec.for_area(hanoi_wards, resolution_m=50.0)
    tg = terrain_model(None, grid).terrain
    to_grid = Transformer.from_crs("EPSG:4326", grid.crs, always_xy=True)
    for lon, lat in ((105.40, 21.06), (105.83, 21.30), (105.85, 21.03)):  # Ba Vì, Sóc Sơn, the core
        x, y = to_grid.transform(lon, lat)
        r, c = (int(v) for v in tg.pixel_of(x, y))
        win = (r - 25, r + 26, c - 25, c + 26)
        assert_sweep_close(
            terrain_loss_window(tg, x, y, 30.0, 1.5, 3.5, win),
            terrain_loss_reference(tg, x, y, 30.0, 1.5, 3.5, win),
        )


def test_result_does_not_depend_on_the_window() -> None:
    n = 101
    grid = square_grid(n)
    tg = TerrainGrid(grid, smooth_terrain(n, 7))
    x, y = centre_xy(grid, 47.2, 55.7)
    whole = terrain_loss_window(tg, x, y, 30.0, 1.5, 3.5, (0, n, 0, n))
    assert np.isfinite(whole).all()  # every pixel is served by some ray
    for r0, r1, c0, c1 in ((0, 40, 0, 101), (40, 101, 60, 101), (10, 11, 3, 97), (45, 50, 50, 60)):
        part = terrain_loss_window(tg, x, y, 30.0, 1.5, 3.5, Window(c0, r0, c1 - c0, r1 - r0))
        np.testing.assert_array_equal(part, whole[r0:r1, c0:c1])
    batch = terrain_loss_windows(tg, [x, x], [y, y], [30.0, 30.0], 1.5, [3.5, 3.5],
                                 [(0, n, 0, n), (5, 9, 5, 9)], workers=2)  # fmt: skip
    np.testing.assert_array_equal(batch[0], whole)
    np.testing.assert_array_equal(batch[1], whole[5:9, 5:9])


def test_terrain_model_pickles() -> None:
    import pickle

    grid = square_grid(21)
    model = TerrainModel(TerrainGrid(grid, smooth_terrain(21, 5)))
    x, y = centre_xy(grid, 10, 10)
    window = Window(0, 0, 21, 21)
    copy = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(
        copy(x, y, 30.0, 1.5, 3.5, window), model(x, y, 30.0, 1.5, 3.5, window)
    )
    assert copy.stats["calls"] == 1


def ridge_terrain(
    grid: GridSpec, col: int, height_m: float = 300.0, half_width_px: int = 2
) -> np.ndarray:
    """Flat ground at 10 m with a north–south ridge ``height_m`` above it at column ``col``."""
    z = np.full(grid.shape, 10.0, dtype="float32")
    z[:, col - half_width_px : col + half_width_px + 1] += height_m
    return z


def test_ridge_shadows_what_lies_behind_it() -> None:
    n = 121
    grid = square_grid(n)
    tg = TerrainGrid(grid, ridge_terrain(grid, 80))
    x, y = centre_xy(grid, 60, 60)
    out = terrain_loss_window(tg, x, y, 30.0, 1.5, 3.5, (0, n, 0, n))
    behind, front = out[:, 90:], out[:, :75]
    assert (behind > 30.0).all()  # a 300 m ridge 1 km away: tens of dB
    np.testing.assert_array_equal(front, 0.0)


def test_unknown_terrain_is_nan_never_sea_level() -> None:
    n = 81
    grid = square_grid(n)
    z = np.full(grid.shape, 10.0, dtype="float32")
    z[:, 60] = np.nan  # a void strip east of the antenna
    z[10, 10] = np.nan  # a void pixel
    tg = TerrainGrid(grid, z)
    x, y = centre_xy(grid, 40, 40)
    out = terrain_loss_window(tg, x, y, 30.0, 1.5, 3.5, (0, n, 0, n))
    assert np.isnan(out[:, 60:]).all()  # at and behind the void: unknown
    assert np.isnan(out[10, 10]) and np.isnan(out[5, 5])  # the void pixel and behind it
    assert np.isfinite(out[20:61, :58]).all()  # elsewhere: known (0 dB on flat ground)
    # The ground under the antenna unknown: everything unknown.
    z2 = np.full(grid.shape, 10.0, dtype="float32")
    z2[39:42, 39:42] = np.nan
    out2 = terrain_loss_window(TerrainGrid(grid, z2), x, y, 30.0, 1.5, 3.5, (0, n, 0, n))
    assert np.isnan(out2).all()
    # An antenna outside the terrain grid: unknown too (not sea level).
    out3 = terrain_loss_window(tg, -500.0, y, 30.0, 1.5, 3.5, (0, n, 0, 10))
    assert np.isnan(out3).all()


# --------------------------------------------------------------------------- in the engine


def one_site(grid: GridSpec, row: float, col: float, **extra) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    x, y = centre_xy(grid, row, col)
    lon, lat = Transformer.from_crs(grid.crs, "EPSG:4326", always_xy=True).transform(x, y)
    return pd.DataFrame({
        "site_id": ["S1"], "cell_id": ["S1-1"], "operator": ["Op"], "lon_deg": [lon], "lat_deg": [lat],
        "height_m": [30.0], "eirp_dbm": [62.0], "frequency_mhz": [3500.0], "bandwidth_mhz": [100.0], **extra,
    })  # fmt: skip


def test_ridge_in_the_engine_drops_coverage_behind_only() -> None:
    n = 121
    grid = square_grid(n)
    sites = one_site(grid, 60, 60)
    flat = compute_grid(sites, grid, model="fspl", workers=1)
    model = TerrainModel(TerrainGrid(grid, ridge_terrain(grid, 80)))
    ridge = compute_grid(sites, grid, model="fspl", workers=1, terrain=model)
    front = (slice(None), slice(0, 75))
    behind = (slice(None), slice(90, None))
    np.testing.assert_array_equal(ridge.rsrp_dbm[front], flat.rsrp_dbm[front])
    np.testing.assert_array_equal(ridge.n_servers[front], flat.n_servers[front])
    assert flat.covered()[behind].mean() == 1.0
    assert ridge.covered()[behind].mean() < 0.05
    assert model.stats["calls"] >= 1


def test_clear_caches_forgets_the_terrain_and_the_overlaps(hanoi_wards) -> None:
    from phusong.caches import clear_caches
    from phusong.raster.ward_pixels import ward_overlap

    grid = GridSpec.for_area(hanoi_wards, resolution_m=2000.0)
    a, o = terrain_model(None, grid), ward_overlap(hanoi_wards, grid)
    assert terrain_model(None, grid).terrain is a.terrain
    assert ward_overlap(hanoi_wards, grid) is o
    clear_caches()
    assert terrain_model(None, grid).terrain is not a.terrain
    assert ward_overlap(hanoi_wards, grid) is not o


def test_window_cache_keeps_read_only_windows_within_its_byte_budget() -> None:
    from phusong.raster.terrain import WindowCache

    cache = WindowCache(max_bytes=3 * 400)  # three 10×10 float32 windows
    wins = [np.full((10, 10), float(i), dtype="float32") for i in range(4)]
    for i, w in enumerate(wins[:3]):
        assert cache.put(("w", i), w) is w
    assert not wins[0].flags.writeable  # nobody may change a kept window
    assert cache.get(("w", 0)) is wins[0]  # now the most recently used
    cache.put(("w", 3), wins[3])  # over budget: the least recently used (1) goes
    assert cache.get(("w", 1)) is None
    assert [cache.get(("w", i)) is wins[i] for i in (0, 2, 3)] == [True, True, True]
    assert (len(cache), cache.bytes, cache.hits, cache.misses) == (3, 1200, 4, 1)
    big = np.zeros((40, 40), dtype="float32")  # larger than the whole budget: not kept
    cache.put(("big",), big)
    assert cache.get(("big",)) is None and len(cache) == 3


def test_kept_windows_are_the_sweeps_and_come_back_without_sweeping() -> None:
    import pickle

    n = 61
    grid = square_grid(n)
    tg = TerrainGrid(grid, smooth_terrain(n, 9))
    first, second = TerrainModel(tg), TerrainModel(tg)  # two audits on one terrain grid
    x, y = centre_xy(grid, 30.3, 29.6)
    window = Window(5, 7, 40, 30)
    want = terrain_loss_window(tg, x, y, 30.0, 1.5, 3.5, window, radius_m=1200.0)
    got = first.kept(x, y, 30.0, 1.5, 3.5, window, radius_m=1200.0)
    np.testing.assert_array_equal(got, want)
    again = second.kept(x, y, 30.0, 1.5, 3.5, window, radius_m=1200.0)
    assert again is got and second.stats["calls"] == 0  # not swept again
    other = second.kept(x, y, 31.0, 1.5, 3.5, window, radius_m=1200.0)  # another height
    assert second.stats["calls"] == 1 and not np.array_equal(other, got, equal_nan=True)
    copy = pickle.loads(pickle.dumps(second))  # a Dask worker's copy starts empty
    assert len(copy.terrain.windows) == 0 and len(tg.windows) == 2


def test_an_engine_run_again_on_the_same_terrain_reads_its_windows_back() -> None:
    # A plan's re-audit: the same sites on the same terrain and grid sweep nothing
    # again, and give the same rasters as a terrain with nothing kept.
    n = 121
    grid = square_grid(n)
    sites = pd.concat([one_site(grid, 60, 60), one_site(grid, 30, 95, site_id=["S2"],
                                                         cell_id=["S2-1"])])  # fmt: skip
    z = smooth_terrain(n, 4, relief_m=80.0)
    tg = TerrainGrid(grid, z)
    a = compute_grid(sites, grid, model="fspl", workers=2, tile_px=40, terrain=TerrainModel(tg))
    swept = len(tg.windows)
    assert swept > 0
    again = TerrainModel(tg)
    b = compute_grid(sites, grid, model="fspl", workers=2, tile_px=40, terrain=again)
    assert again.stats["calls"] == 0 and len(tg.windows) == swept
    fresh = compute_grid(sites, grid, model="fspl", workers=1, tile_px=40,
                         terrain=TerrainModel(TerrainGrid(grid, z)))  # fmt: skip
    for out in (a, b):
        np.testing.assert_array_equal(out.rsrp_dbm, fresh.rsrp_dbm)
        np.testing.assert_array_equal(out.n_servers, fresh.n_servers)


def test_all_void_dem_gives_the_no_terrain_result_and_unknown_everywhere() -> None:
    n = 61
    grid = square_grid(n)
    sites = one_site(grid, 30, 30)
    flat = compute_grid(sites, grid, model="fspl", workers=1)
    void = compute_grid(
        sites, grid, model="fspl", workers=1,
        terrain=TerrainModel(TerrainGrid(grid, np.full(grid.shape, np.nan, dtype="float32"))),
    )  # fmt: skip
    np.testing.assert_array_equal(void.rsrp_dbm, flat.rsrp_dbm)
    np.testing.assert_array_equal(void.n_servers, flat.n_servers)
    assert void.terrain_unknown is not None and void.terrain_unknown.all()
    assert void.stats["terrain_unknown_km2"] == pytest.approx(n * n * 50.0 * 50.0 / 1e6)


@pytest.mark.slow
def test_audit_with_an_all_void_dem_is_the_no_terrain_audit_with_everything_unknown(
    tmp_path,
) -> None:
    import phusong
    from phusong.audit import run_audit
    from phusong.io.sites import sample_sites_path

    wards = phusong.read_wards()
    core = wards[wards["name"].isin(["Phường Hoàn Kiếm", "Phường Ba Đình", "Phường Cửa Nam"])]
    void = write_dem(tmp_path / "void.tif", np.full((1200, 1200), -32768, dtype="int16"),
                     transform=Affine(1 / 1200, 0, 105.5, 0, -1 / 1200, 21.5))  # fmt: skip
    sites = sample_sites_path("sheet")
    off = run_audit(sites, core, model="planning", resolution_m=100.0, terrain="off")
    on = run_audit(sites, core, model="planning", resolution_m=100.0, terrain="on", dem=void)
    np.testing.assert_array_equal(on.grid.rsrp_dbm, off.grid.rsrp_dbm)
    np.testing.assert_array_equal(on.grid.n_servers, off.grid.n_servers)
    assert on.summary["population_coverage_pct"] == off.summary["population_coverage_pct"]
    assert on.summary["terrain"]["used"] is True
    # every ward is void: the unknown area is the wards' area (not the grid rectangle's)
    area_km2 = core.to_crs(on.grid.grid.crs).area.sum() / 1e6
    assert on.summary["terrain"]["unknown_km2"] == pytest.approx(area_km2, rel=1e-6)
    grid = on.grid.grid
    assert (
        on.summary["terrain"]["unknown_km2"] < grid.width * grid.height * grid.pixel_area_m2 / 1e6
    )


@pytest.mark.slow
def test_cold_start_compiles_and_agrees(tmp_path) -> None:
    """With an empty numba cache the kernels compile on first use and give the same window."""
    import subprocess
    import sys

    code = (
        "import numpy as np, sys\n"
        "from affine import Affine\n"
        "from phusong.raster.spec import GridSpec\n"
        "from phusong.raster.terrain import TerrainGrid, terrain_loss_window\n"
        f"g = GridSpec({LAEA!r}, 50.0, Affine(50, 0, 0, 0, -50, 61 * 50), 61, 61)\n"
        "z = np.load(sys.argv[1])\n"
        "out = terrain_loss_window(TerrainGrid(g, z), 1530.0, 1520.0, 30.0, 1.5, 3.5, (0, 61, 0, 61))\n"
        "np.save(sys.argv[2], out)\n"
    )
    z = smooth_terrain(61, 11)
    np.save(tmp_path / "z.npy", z)
    env = {**__import__("os").environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba")}
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "z.npy"), str(tmp_path / "out.npy")],
        env=env, capture_output=True, text=True, timeout=600, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    here = terrain_loss_window(
        TerrainGrid(square_grid(61), z), 1530.0, 1520.0, 30.0, 1.5, 3.5, (0, 61, 0, 61)
    )
    np.testing.assert_array_equal(np.load(tmp_path / "out.npy"), here)
