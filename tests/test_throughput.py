"""Throughput from SINR (issue #15): the formula by hand, and population-weighted ward statistics."""

import math

import numpy as np
import pandas as pd
import pytest

from phusong.errors import ConfigError
from phusong.propagation.throughput import (
    ThroughputParams,
    downlink_throughput_mbps,
    sinr_max_db,
    spectral_efficiency,
)
from phusong.raster.ward_pixels import WardPixels, ward_weighted_quantile, weighted_quantile
from phusong.speed import ward_throughput


def test_spectral_efficiency_by_hand():
    # TR 36.942 A.2: 0.6 log2(1 + SINR), 0 below -10 dB, at most 4.4 bit/s/Hz.
    se = spectral_efficiency([10.0, 0.0, -10.0, -10.5, 30.0, np.nan])
    assert se[0] == pytest.approx(0.6 * math.log2(11.0))  # 10 dB = 10x
    assert se[1] == pytest.approx(0.6)  # 0 dB: log2(2) = 1
    assert se[2] == pytest.approx(0.6 * math.log2(1.1))  # exactly SINR_min is kept
    assert se[3] == 0.0
    assert se[4] == 4.4  # capped
    assert np.isnan(se[5])


def test_sinr_max_is_where_the_cap_starts():
    p = ThroughputParams()
    s_max = sinr_max_db(p)
    assert s_max == pytest.approx(10 * math.log10(2 ** (4.4 / 0.6) - 1))  # ≈ 22.0 dB
    assert spectral_efficiency(s_max) == pytest.approx(4.4)


def test_throughput_equals_the_formula_for_hand_computed_values():
    p = ThroughputParams()
    # n78 100 MHz TDD at 10 dB: B · SE · layers · DL share · (1 − OH) · (1 − load)
    want = 100.0 * (0.6 * math.log2(11.0)) * 4 * ((3 + 10 / 14) / 5) * 0.86 * 0.5
    got = downlink_throughput_mbps(10.0, 100.0, True, p)
    assert got == pytest.approx(want)
    assert want == pytest.approx(265.21, abs=0.01)  # the number itself, written out
    # n28 10 MHz FDD at 20 dB: 2 layers, downlink all the time
    want_fdd = 10.0 * (0.6 * math.log2(101.0)) * 2 * 1.0 * 0.86 * 0.5
    assert downlink_throughput_mbps(20.0, 10.0, False, p) == pytest.approx(want_fdd)
    # every assumption is an option: no load, 2 layers, 60 % downlink
    q = ThroughputParams(cell_load=0.0, tdd_layers=2, tdd_dl_share=0.6, overhead=0.2)
    want_q = 100.0 * 4.4 * 2 * 0.6 * 0.8 * 1.0
    assert downlink_throughput_mbps(40.0, 100.0, True, q) == pytest.approx(want_q)
    # vectorised, NaN where unserved
    arr = downlink_throughput_mbps(np.array([10.0, np.nan, -20.0]), 100.0, True, p)
    assert arr[0] == pytest.approx(want) and np.isnan(arr[1]) and arr[2] == 0.0


def test_bad_assumptions_are_refused_naming_the_option():
    with pytest.raises(ConfigError, match="throughput_cell_load"):
        ThroughputParams(cell_load=1.0)
    with pytest.raises(ConfigError, match="throughput_tdd_layers"):
        ThroughputParams(tdd_layers=0)
    assert "TR 36.942" in ThroughputParams().describe()


def test_weighted_quantile_by_hand():
    v = np.array([10.0, 20.0, 30.0, 40.0])
    w = np.array([1.0, 1.0, 1.0, 7.0])
    # cumulative weights 1, 2, 3, 10: 10 % of 10 = 1 is reached at 10, 50 % (5) at 40
    assert weighted_quantile(v, w, 0.1) == 10.0
    assert weighted_quantile(v, w, 0.2) == 20.0
    assert weighted_quantile(v, w, 0.5) == 40.0
    # equal weights: numpy's inverted_cdf is the same definition
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 100, 101)
    assert weighted_quantile(x, np.ones(101), 0.1) == np.quantile(x, 0.1, method="inverted_cdf")
    assert math.isnan(weighted_quantile(v, np.zeros(4), 0.1))


def test_ward_weighted_quantile_matches_one_ward_at_a_time():
    rng = np.random.default_rng(7)
    ward = rng.integers(0, 5, 400)
    v = rng.uniform(0, 500, 400)
    v[rng.uniform(size=400) < 0.1] = np.nan
    w = rng.uniform(0, 3, 400)
    got = ward_weighted_quantile(ward, v, w, 6, 0.1)
    for k in range(5):
        assert got[k] == weighted_quantile(v[ward == k], w[ward == k], 0.1)
    assert np.isnan(got[5])  # a ward without pixels


@pytest.mark.parametrize("q", [0.0, 0.1, 0.5, 0.9, 1.0, 0.37])
@pytest.mark.parametrize("kind", ["uniform", "ties", "constant", "skewed"])
def test_ward_weighted_quantile_histogram_equals_sorting(q, kind):
    # The linear-time histogram search must give exactly the sort-based definition,
    # including ties, a single repeated value, heavy tails and the extreme quantiles.
    rng = np.random.default_rng(hash((q, kind)) % 2**32)
    n, n_wards = 3000, 9
    ward = rng.integers(0, n_wards - 1, n)  # the last ward has no entry
    v = {
        "uniform": rng.uniform(0, 900, n),
        "ties": np.round(rng.uniform(0, 6, n)),
        "constant": np.full(n, 42.0),
        "skewed": rng.lognormal(0, 4, n),
    }[kind]
    v[rng.uniform(size=n) < 0.1] = np.nan
    w = rng.choice([0.0, 0.5, 1.0, 3.0], n)
    got = ward_weighted_quantile(ward, v, w, n_wards, q)
    for k in range(n_wards):
        ref = weighted_quantile(v[ward == k], w[ward == k], q)
        assert (math.isnan(ref) and math.isnan(got[k])) or got[k] == ref, (k, ref, got[k])
    # and the whole city as one ward
    one = ward_weighted_quantile(np.zeros(n, dtype="int64"), v, w, 1, q)[0]
    assert one == weighted_quantile(v, w, q)


def _pieces(people, fraction=None):
    """One ward over a 2 × 2 grid of 100 m pixels."""
    n = len(people)
    return WardPixels(
        ward=np.zeros(n, dtype="int64"),
        pixel=np.arange(n, dtype="int64"),
        fraction=np.ones(n) if fraction is None else np.asarray(fraction),
        people=np.asarray(people, dtype="float64"),
        n_wards=1,
        ward_area_m2=np.array([4 * 100.0**2]),
        ward_population=np.array([float(np.sum(people))]),
        pixel_area_m2=100.0**2,
        population_source="test",
    )


def test_ward_p10_mean_and_share_on_a_tiny_raster_by_hand():
    # 2 × 2 raster: throughputs 10, 20, 30 Mbit/s and one unserved pixel; people 1, 1, 8, 10.
    thr = np.array([[10.0, 20.0], [30.0, np.nan]])
    res = ward_throughput(np.array(["w"]), _pieces([1.0, 1.0, 8.0, 10.0]), thr,
                          params=ThroughputParams(), speed_target_mbps=25.0)  # fmt: skip
    row = res.table.iloc[0]
    # served people: 10; mean = (10·1 + 20·1 + 30·8) / 10 = 27
    assert row["throughput_mean_mbps"] == pytest.approx(27.0)
    # cumulative served weights 1, 2, 10: 10 % of 10 = 1 → the 10 Mbit/s pixel
    assert row["throughput_p10_mbps"] == 10.0
    # ≥ 25 Mbit/s: the 8 people of the 30 Mbit/s pixel, of 20 residents = 40 %, of 10 served = 80 %
    assert row["above_speed_pct"] == pytest.approx(40.0)
    assert row["above_speed_served_pct"] == pytest.approx(80.0)
    assert res.city["mean_mbps"] == pytest.approx(27.0)
    assert res.city["served_population"] == pytest.approx(10.0)
    assert "cell load" in res.city["assumptions"] and "156.7" in res.city["context"]


def test_ward_pixels_have_exact_partial_weights(square_ward):
    """A ward over a 100 m grid: fractions sum to its area; people sum to its population."""
    from phusong.raster.grid import GridSpec
    from phusong.raster.ward_pixels import ward_pixels

    spec = GridSpec.for_area(square_ward, resolution_m=150.0)
    wp = ward_pixels(square_ward, spec)
    area = float(square_ward.to_crs(spec.crs).area.iloc[0])
    assert wp.area_m2().sum() == pytest.approx(area, rel=1e-9)
    assert wp.people_in().sum() == pytest.approx(1000.0, rel=1e-9)
    assert (wp.fraction > 0).all() and (wp.fraction <= 1 + 1e-12).all()
    assert (wp.fraction < 1 - 1e-9).any()  # 2 km is not a multiple of 150 m: edge pixels
    assert wp.population_source == "uniform:official"
    frame = pd.DataFrame({"pixel": wp.pixel})
    assert frame["pixel"].is_unique
