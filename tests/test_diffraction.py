"""Knife-edge and Bullington diffraction (phusong.propagation.diffraction).

References: ITU-R P.526-15 (10/2019) §4.1 eq. (26) (ν), eq. (31) (J(ν)) and
§4.5.1 (Bullington); the same Bullington construction is P.452-16 §4.2.1
eqs. (14)-(22). Values are computed by hand from those formulas here, or
against a second, independent formulation (exact Fresnel integrals; the
ITU's own km-unit expressions).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy.special import fresnel

from phusong.propagation.diffraction import (
    EFFECTIVE_EARTH_K,
    bullington_correction_db,
    bullington_loss_db,
    bullington_parameter,
    earth_bulge_m,
    effective_earth_radius_m,
    fresnel_parameter,
    knife_edge_loss_db,
    terrain_excess_loss_db,
    wavelength_m,
)


def j_by_hand(v: float) -> float:
    """P.526-15 eq. (31), written out again."""
    return 6.9 + 20 * math.log10(math.sqrt((v - 0.1) ** 2 + 1) + v - 0.1)


# (v, J [dB]) worked by hand from eq. (31):
#   v = 0:   √(0.01 + 1) = 1.004988; −0.1 → 0.904988; 20 log10 = −0.8675; J = 6.0325
#   v = 1:   √(0.81 + 1) = 1.345362; +0.9 → 2.245362; 20 log10 = 7.0258;  J = 13.9258
#   v = 2.4: √(5.29 + 1) = 2.507987; +2.3 → 4.807987; 20 log10 = 13.6393; J = 20.5393
#   v = −0.78 is the edge of the formula's range: J(−0.78) = 6.9 + 20 log10(1.332066 − 0.88) = 0.0040 ≈ 0, and 0 below.
ITU_R_P526_EQ31_HAND = [(0.0, 6.0325), (1.0, 13.9258), (2.4, 20.5393)]


@pytest.mark.parametrize(("v", "expected"), ITU_R_P526_EQ31_HAND)
def test_knife_edge_loss_hand_checked(v: float, expected: float) -> None:
    assert float(knife_edge_loss_db(v)) == pytest.approx(expected, abs=5e-4)
    assert float(knife_edge_loss_db(v)) == pytest.approx(j_by_hand(v), abs=1e-12)


def test_knife_edge_loss_is_zero_at_and_below_minus_078() -> None:
    assert j_by_hand(-0.78) == pytest.approx(0.0040, abs=1e-4)
    assert float(knife_edge_loss_db(-0.78)) == 0.0
    assert float(knife_edge_loss_db(-0.7799)) == pytest.approx(0.0040, abs=1e-3)
    np.testing.assert_array_equal(knife_edge_loss_db([-5.0, -1.0, -0.9]), [0.0, 0.0, 0.0])


def test_knife_edge_loss_matches_exact_fresnel_integrals() -> None:
    """Eq. (31) approximates the Fresnel-integral knife edge (P.526 §4.1 eq. (27)) within 0.2 dB."""
    v = np.linspace(-0.7, 10.0, 500)
    s, c = fresnel(v)
    exact = -20.0 * np.log10(np.sqrt((1 - c - s) ** 2 + (c - s) ** 2) / 2.0)
    np.testing.assert_allclose(knife_edge_loss_db(v), exact, atol=0.2)


def test_fresnel_parameter_hand_checked() -> None:
    # h = 10 m, d1 = d2 = 1 km, λ = 0.1 m: ν = 10 √(2/0.1 · 2/1000) = 10 √0.04 = 2.
    assert float(fresnel_parameter(10.0, 1000.0, 1000.0, 0.1)) == pytest.approx(2.0)
    assert float(fresnel_parameter(-10.0, 1000.0, 1000.0, 0.1)) == pytest.approx(-2.0)


def test_wavelength_and_earth() -> None:
    assert float(wavelength_m(3.0)) == pytest.approx(0.0999308, rel=1e-6)
    assert effective_earth_radius_m() == pytest.approx(8_494_666.67, rel=1e-9)
    # Bulge at the middle of a 10 km path: 5000² / (2 · 8 494 667) = 1.4715 m.
    assert float(earth_bulge_m(5000.0, 5000.0)) == pytest.approx(1.47152, rel=1e-5)
    assert EFFECTIVE_EARTH_K == pytest.approx(4 / 3)


def test_bullington_correction_hand_checked() -> None:
    # L_uc = 6 dB over 2 km: 6 + (1 − e^−1)(10 + 0.04) = 6 + 0.632121 × 10.04 = 12.3465.
    assert float(bullington_correction_db(6.0, 2000.0)) == pytest.approx(12.34649, abs=1e-4)
    assert float(bullington_correction_db(0.0, 50_000.0)) == 0.0


def test_line_of_sight_over_flat_ground_is_zero() -> None:
    x = np.linspace(0.0, 3000.0, 61)
    loss = bullington_loss_db(x, np.full_like(x, 12.0), 25.0, 1.5, 3.5)
    assert loss == 0.0
    v, los = bullington_parameter(x, np.full_like(x, 12.0), 25.0, 1.5, float(wavelength_m(3.5)))
    assert los and v < -0.78


def test_terrain_excess_is_zero_over_smooth_ground_and_the_ridge_loss_behind_one() -> None:
    x = np.linspace(0.0, 6000.0, 121)
    for f in (0.7, 3.5):
        flat = np.full_like(x, 12.0)
        assert bullington_loss_db(x, flat, 25.0, 1.5, f) >= 0.0
        assert terrain_excess_loss_db(x, flat, 25.0, 1.5, f) == 0.0
        assert terrain_excess_loss_db(x, 12.0 + 0.03 * x, 25.0, 1.5, f) == pytest.approx(
            0.0, abs=1e-9
        )
    # 700 MHz over 6 km of flat ground: plain §4.5.1 loses, the excess does not
    assert bullington_loss_db(x, np.full_like(x, 12.0), 25.0, 1.5, 0.7) > 1.0
    ridge = np.where(np.abs(x - 3000.0) < 100.0, 312.0, 12.0)
    full = bullington_loss_db(x, ridge, 25.0, 1.5, 0.7)
    smooth = bullington_loss_db(x, np.full_like(x, 12.0), 25.0, 1.5, 0.7)
    assert terrain_excess_loss_db(x, ridge, 25.0, 1.5, 0.7) == pytest.approx(full - smooth)
    assert full - smooth > 30.0


def test_single_knife_edge_equals_bullington() -> None:
    """One thin edge on flat ground: Bullington's ν is the edge's ν (P.526 §4.1)."""
    x = np.linspace(0.0, 4000.0, 81)
    terrain = np.zeros_like(x)
    terrain[30] = 60.0  # an edge 1 500 m from the transmitter
    h_tx, h_rx, f = 20.0, 2.0, 2.0
    lam = float(wavelength_m(f))
    d1, d2 = x[30], x[-1] - x[30]
    line = h_tx + (h_rx - h_tx) * d1 / x[-1]
    clearance = 60.0 + float(earth_bulge_m(d1, d2)) - line
    v_edge = float(fresnel_parameter(clearance, d1, d2, lam))
    v, los = bullington_parameter(x, terrain, h_tx, h_rx, lam)
    assert not los
    assert v == pytest.approx(v_edge, rel=1e-9)
    expected = float(bullington_correction_db(j_by_hand(v_edge), x[-1]))
    assert bullington_loss_db(x, terrain, h_tx, h_rx, f) == pytest.approx(expected, rel=1e-9)


def itu_bullington_km(d_km, h, hts, hrs, ap_km, f_ghz):  # type: ignore[no-untyped-def]
    """P.452-16 §4.2.1 eqs. (14)-(22) as the ITU writes them (km, 500·C_e, 0.002): a second formulation."""
    ce = 1.0 / ap_km
    lam = 0.299792458 / f_ghz
    d = d_km[-1]
    di, hi = d_km[1:-1], h[1:-1]
    stim = np.max((hi + 500 * ce * di * (d - di) - hts) / di)
    str_ = (hrs - hts) / d
    if stim < str_:
        nu = np.max(
            (hi + 500 * ce * di * (d - di) - (hts * (d - di) + hrs * di) / d)
            * np.sqrt(0.002 * d / (lam * di * (d - di)))
        )
    else:
        srim = np.max((hi + 500 * ce * di * (d - di) - hrs) / (d - di))
        dbp = (hrs - hts + srim * d) / (stim + srim)
        nu = (hts + stim * dbp - (hts * (d - dbp) + hrs * dbp) / d) * np.sqrt(
            0.002 * d / (lam * dbp * (d - dbp))
        )
    luc = j_by_hand(nu) if nu > -0.78 else 0.0
    return luc + (1 - math.exp(-luc / 6.0)) * (10 + 0.02 * d)


@pytest.mark.parametrize("seed", range(8))
def test_bullington_matches_the_itu_km_formulation(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 80))
    x = np.linspace(0.0, float(rng.uniform(500, 20_000)), n)
    terrain = np.cumsum(rng.normal(0, 8, n)) + 100.0
    h_tx, h_rx, f = (
        float(rng.uniform(10, 60)),
        float(rng.uniform(1.5, 10)),
        float(rng.uniform(0.7, 4)),
    )
    ours = bullington_loss_db(x, terrain, h_tx, h_rx, f)
    theirs = itu_bullington_km(
        x / 1000.0,
        terrain,
        terrain[0] + h_tx,
        terrain[-1] + h_rx,
        effective_earth_radius_m() / 1000.0,
        f,
    )
    assert ours == pytest.approx(theirs, rel=1e-9, abs=1e-9)


def test_higher_ridge_loses_more() -> None:
    x = np.linspace(0.0, 5000.0, 101)
    losses = []
    for ridge in (0.0, 50.0, 100.0, 300.0):
        terrain = np.where(np.abs(x - 2500.0) < 100.0, ridge, 0.0)
        losses.append(bullington_loss_db(x, terrain, 25.0, 1.5, 3.5))
    assert losses[0] == 0.0
    assert all(a < b for a, b in itertools.pairwise(losses))
