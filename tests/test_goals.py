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


# ---------------------------------------------------------------------------
# Issue #15: dated targets, their status and the pace arithmetic
# ---------------------------------------------------------------------------
from phusong.goals import (  # noqa: E402
    GoalSet,
    coverage_target,
    current_pace,
    date_reached,
    end_of_year,
    judge_goals,
    judge_target,
    needed_pace,
    places_target,
    speed_target,
    years_between,
)

T = pd.Timestamp


def test_pace_arithmetic_on_a_hand_made_series():
    dates = [T("2024-12-31"), T("2025-06-30"), T("2025-12-31")]
    values = [40.0, 50.0, 60.0]
    pace, since = current_pace(dates, values)
    # a year back from 2025-12-31 is 2024-12-31 (365 days): (60 − 40) / (365 / 365.25)
    assert since == T("2024-12-31")
    assert pace == pytest.approx(20.0 * 365.25 / 365)
    # needed: 39 points over the 1,826 days to 31 Dec 2030
    assert needed_pace(60.0, 99.0, T("2025-12-31"), T("2030-12-31")) == pytest.approx(
        39.0 / (1826 / 365.25)
    )
    # reached: 39 / pace years after 2025-12-31 → 1.9486 years → 712 days → 2027-12-13
    reached = date_reached(60.0, 99.0, T("2025-12-31"), pace)
    assert reached == T("2025-12-31") + pd.Timedelta(days=round(39.0 / pace * 365.25))
    assert reached == T("2027-12-13")
    assert date_reached(99.5, 99.0, T("2025-12-31"), pace) == T("2025-12-31")
    assert date_reached(60.0, 99.0, T("2025-12-31"), 0.0) is None
    assert date_reached(60.0, 99.0, T("2025-12-31"), -3.0) is None


def test_pace_uses_the_first_date_when_the_series_is_short():
    pace, since = current_pace([T("2025-03-31"), T("2025-09-30")], [10.0, 16.0])
    assert since == T("2025-03-31")
    assert pace == pytest.approx(6.0 / (183 / 365.25))
    assert np.isnan(current_pace([T("2025-03-31")], [10.0])[0])
    assert years_between(T("2025-01-01"), T("2026-01-01")) == pytest.approx(365 / 365.25)


def test_statuses_met_on_track_behind_overdue_pending():
    goal = coverage_target(Goal())
    assert goal.deadline == end_of_year(2030)
    as_of = T("2026-01-01")
    assert judge_target(goal, 99.0, as_of, 1.0).status == "met"
    # 89 % now, 10 points in 5 years needed (2 a year): 3 a year is on track, 1 a year behind
    on = judge_target(goal, 89.0, as_of, 3.0)
    assert on.status == "on track" and on.reached_on <= goal.deadline
    behind = judge_target(goal, 89.0, as_of, 1.0)
    assert behind.status == "behind" and behind.reached_on > goal.deadline
    assert behind.needed_per_year == pytest.approx(10.0 / (1825 / 365.25))
    assert judge_target(goal, 89.0, as_of).status == "pending"  # no pace
    assert judge_target(goal, 89.0, T("2031-01-01"), 50.0).status == "overdue"
    # the deadline day itself is not overdue
    assert judge_target(goal, 89.0, T("2030-12-31"), 0.0).status == "behind"


def test_goal_set_select_and_judge():
    places = places_target(T("2025-12-31"), "airport", "plan 58/KH-UBND")
    goals = GoalSet.of(Goal(), speed_target(), places)
    assert goals.keys() == ["coverage", "speed", "places:2025-12-31"]
    assert goals.select(["places"]).keys() == ["places:2025-12-31"]
    assert goals.select(None) is goals
    with pytest.raises(ConfigError, match="speeed"):
        goals.select(["speeed"])
    figures = {"population_coverage_pct": 85.0, "mean_throughput_mbps": 120.0,
               "places_covered_pct:2025-12-31": 50.0}  # fmt: skip
    statuses = judge_goals(goals, figures, T("2026-02-01"), {"population_coverage_pct": 5.0})
    assert [s.status for s in statuses] == ["on track", "met", "overdue"]
    d = statuses[0].as_dict()
    assert (
        d["deadline"] == "2030-12-31" and d["status"] == "on track" and d["as_of"] == "2026-02-01"
    )


def test_speed_target_credits_plan_58_only_for_its_own_figure():
    assert "58/KH-UBND" in speed_target().source
    assert speed_target(150.0).source == "custom target"
    assert speed_target().describe().startswith("mean 5G download ≥ 100 Mbit/s by 31 Dec 2030")
