import numpy as np
import pandas as pd
import pytest

from phusong.errors import ConfigError
from phusong.goals import Goal, city_figures, evaluate, meets, rank_wards


def _table():
    return pd.DataFrame(
        {
            "ward_id": ["a", "b", "c"],
            "area_km2": [10.0, 20.0, 5.0],
            "covered_area_km2": [10.0, 10.0, 0.0],
            "population": [1000.0, 4000.0, 0.0],
            "covered_population": [1000.0, 3000.0, 0.0],
        }
    ).assign(
        area_coverage_pct=lambda d: 100 * d.covered_area_km2 / d.area_km2,
        population_coverage_pct=lambda d: np.where(
            d.population > 0,
            100 * d.covered_population / d.population.where(d.population > 0, 1),
            100.0,
        ),
    )


def test_default_goal_is_plan_58():
    g = Goal()
    assert (g.target_pct, g.metric, g.year) == (99.0, "population", 2030)
    assert "58/KH-UBND" in g.describe()


@pytest.mark.parametrize("bad", [-1, 101, float("nan")])
def test_goal_validates_target(bad):
    with pytest.raises(ConfigError, match="target_pct"):
        Goal(target_pct=bad)


def test_shortfall_and_gain_by_hand():
    ev = evaluate(_table(), Goal(99.0))
    # Ward b: 99 % of 4000 = 3960 people needed, 3000 covered -> 960 short.
    assert ev.loc[1, "shortfall_population"] == pytest.approx(960.0)
    assert list(ev["meets_goal"]) == [True, False, True]
    # Closing b's whole gap (1000 people) adds 1000/5000 = 20 points to the city.
    assert ev.loc[1, "city_gain_pct"] == pytest.approx(20.0)
    assert ev.loc[1, "city_gain_to_target_pct"] == pytest.approx(960 / 5000 * 100)
    # Area: b needs 19.8 km², has 10.
    assert ev.loc[1, "shortfall_area_km2"] == pytest.approx(9.8)


def test_area_goal_and_ranking():
    ev = evaluate(_table(), Goal(50.0, metric="area"))
    assert list(ev["meets_goal"]) == [True, True, False]
    ranked = rank_wards(ev)
    # b leaves 10 km² uncovered, c 5 km², a 0: gains 10/35, 5/35, 0.
    assert list(ranked["ward_id"]) == ["b", "c", "a"]
    assert list(ranked["rank"]) == [1, 2, 3]


def test_city_figures_are_weighted_sums():
    f = city_figures(_table())
    assert f["population_coverage_pct"] == pytest.approx(80.0)
    assert f["area_coverage_pct"] == pytest.approx(20 / 35 * 100)
    assert f["uncovered_population"] == pytest.approx(1000.0)
    assert not meets(f, Goal())
    assert meets(f, Goal(80.0))


def test_custom_targets_are_not_credited_to_plan_58():
    assert "58/KH-UBND" in Goal.target(99).source
    assert Goal.target(95).source == "custom target"
    assert Goal.target(99, "area").source == "custom target"
