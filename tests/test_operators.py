"""Operator table, 5G spectrum and default link parameters (phusong.operators)."""

import csv
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import brentq

from phusong import operators as ops

SHARED_MNC = Path("/work/shared/data/operators/vn_mcc452_mnc.csv")


def test_mnc_table_matches_the_brief():
    # shared/data/README.md: 01 MobiFone, 02 VinaPhone, 04 Viettel, 05 Vietnamobile,
    # 07 Gmobile, 08 I-Telecom, 09 REDDI; 03 and 06 withdrawn.
    assert {m: o.brand for m, o in ops.MNC_TABLE.items() if o.operational} == {
        1: "MobiFone",
        2: "VinaPhone",
        4: "Viettel",
        5: "Vietnamobile",
        7: "Gmobile",
        8: "I-Telecom",
        9: "REDDI",
    }
    assert not ops.MNC_TABLE[3].operational and not ops.MNC_TABLE[6].operational
    assert ops.KNOWN_MNCS == (1, 2, 4, 5, 7, 8, 9)
    assert ops.known_mnc_text().startswith("01 MobiFone, 02 VinaPhone, 04 Viettel")


@pytest.mark.skipif(not SHARED_MNC.exists(), reason="project brief data not available")
def test_mnc_table_agrees_with_the_mcc_mnc_list_file():
    with SHARED_MNC.open() as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        op = ops.MNC_TABLE[int(row["mnc"])]
        assert op.operational == (row["status"] == "Operational")
        # brands agree up to spelling ("Vinaphone" / "Viettel Mobile")
        assert ops.operator_brand(row["brand"]) in (op.brand, None) or not op.operational


def test_spectrum_from_facts():
    # docs/sources.md: Viettel 2500–2600 MHz (n41) + 700 MHz (n28); VinaPhone 3700–3800 (n78);
    # MobiFone 3800–3900 (n77).
    vt = ops.carrier_for("Viettel")
    assert (vt.band, vt.low_mhz, vt.high_mhz, vt.centre_mhz) == ("n41", 2500, 2600, 2550)
    assert ops.carrier_for("Viettel", "n28").band == "n28"
    assert 703 <= ops.carrier_for("Viettel", "n28").centre_mhz <= 803
    vnp = ops.carrier_for("VinaPhone")
    assert (vnp.band, vnp.centre_mhz, vnp.bandwidth_mhz) == ("n78", 3750, 100)
    mbf = ops.carrier_for("MobiFone")
    assert (mbf.band, mbf.centre_mhz) == ("n77", 3850)
    # MobiFone's block lies above n78's 3800 MHz edge: only n77 holds it.
    assert mbf.low_mhz >= ops.NR_BANDS["n78"][1]
    for carriers in ops.SPECTRUM_5G.values():
        for c in carriers:
            lo, hi = ops.NR_BANDS[c.band]
            assert lo <= c.low_mhz < c.high_mhz <= hi
    assert ops.carrier_for("Gmobile") is None


@pytest.mark.parametrize(
    ("name", "brand"),
    [
        ("Viettel", "Viettel"),
        ("VIETTEL", "Viettel"),
        ("Viettel Mobile", "Viettel"),
        ("VNPT-VinaPhone", "VinaPhone"),
        ("vinaphone", "VinaPhone"),
        ("Mobifone", "MobiFone"),
        ("Beeline", "Gmobile"),
        ("Acme Telecom", None),
    ],
)
def test_operator_aliases(name, brand):
    assert ops.operator_brand(name) == brand


def test_band_for_frequency():
    assert ops.band_for_frequency(3750) == "n78"  # in n77 and n78: the narrower wins
    assert ops.band_for_frequency(3850) == "n77"
    assert ops.band_for_frequency(2550) == "n41"
    assert ops.band_for_frequency(763) == "n28"
    assert ops.band_for_frequency(100) is None


def test_default_link_parameters_within_facts_ranges():
    # docs/sources.md link budget: EIRP about 60–68 dBm per carrier.
    assert 60 <= ops.DEFAULT_EIRP_DBM <= 68
    assert ops.DEFAULT_EIRP_DBM == 46 + 20 - 3
    assert 60 <= ops.default_eirp_dbm("n28") <= 68
    assert ops.DEFAULT_HEIGHT_M == 25 and ops.DEFAULT_BEAMWIDTH_DEG == 65
    assert ops.DEFAULT_TILT_DEG == 6


def _uma_nlos_range_m(fc_ghz, n_rb, eirp_dbm, rsrp_dbm=-110.0, h_bs=25.0, h_ut=1.5):
    """Independent solve of docs/sources.md's 38.901 UMa NLOS for the −110 dBm edge."""
    max_pl = eirp_dbm - 10 * np.log10(12 * n_rb) - rsrp_dbm

    def excess(d2d):
        d3d = np.hypot(d2d, h_bs - h_ut)
        nlos = 13.54 + 39.08 * np.log10(d3d) + 20 * np.log10(fc_ghz) - 0.6 * (h_ut - 1.5)
        d_bp = 4 * (h_bs - 1) * (h_ut - 1) * fc_ghz * 1e9 / 3e8
        los = 28 + 22 * np.log10(d3d) + 20 * np.log10(fc_ghz)
        if d2d > d_bp:
            los = (
                28
                + 40 * np.log10(d3d)
                + 20 * np.log10(fc_ghz)
                - 9 * np.log10(d_bp**2 + (h_bs - h_ut) ** 2)
            )
        return max(los, nlos) - max_pl

    return brentq(excess, 10, 20_000)


@pytest.mark.parametrize(
    ("band", "fc_ghz", "n_rb"),
    [("n28", 0.763, 52), ("n41", 2.55, 273), ("n78", 3.75, 273), ("n77", 3.85, 273)],
)
def test_default_ranges_follow_the_link_budget(band, fc_ghz, n_rb):
    expected = _uma_nlos_range_m(fc_ghz, n_rb, ops.default_eirp_dbm(band))
    assert ops.DEFAULT_RANGE_M[band] == pytest.approx(expected, abs=10)  # rounded to 10 m
    assert ops.default_range_m(band) == ops.DEFAULT_RANGE_M[band]


def test_lower_bands_reach_further():
    r = ops.DEFAULT_RANGE_M
    assert r["n28"] > r["n41"] > r["n78"] >= r["n77"]
    assert ops.default_range_m(None, "LTE") == ops.RADIO_DEFAULTS["LTE"][3]
