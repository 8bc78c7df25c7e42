"""Coverage on a hand-made town and village on one 12 km road (answers worked out by hand).

The road runs along the x axis with a node every 75 m: 1 minute per edge walking (75 m/min),
0.3 minute by e-bike (250 m/min). The urban community 社区 spans x 0–3000 m, the village 村
x 6000–12000 m; x 3000–6000 m lies outside every community.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo._errors import DataError
from planning.access.coverage import coverage, resolve_categories
from planning.settings import Settings
from tests.planning._engine_fixtures import dataset, line_network, network

COMMUNITIES = [
    {"community_id": "U", "name": "东风社区", "kind": "urban", "box": (0, -500, 3000, 500)},
    {"community_id": "R", "name": "桃园村", "box": (6000, -500, 12000, 500)},  # kind from the name
]
FACILITIES = [
    {"facility_id": "h1", "category": "health", "xy": (0, 0)},
    {"facility_id": "c1", "category": "culture", "xy": (4500, 0)},  # outside every community
    {"facility_id": "c2", "category": "culture", "xy": (12000, 0)},
]
POPULATION = [
    {"population": 100.0, "xy": (0, 0)},      # P1 urban
    {"population": 50.0, "xy": (1125, 0)},    # P2 urban, exactly 15 min from h1
    {"population": 30.0, "xy": (1200, 0)},    # P3 urban, 16 min
    {"population": 20.0, "xy": (3600, 0)},    # P4 outside: urban circle
    {"population": 40.0, "xy": (7500, 0)},    # P5 rural, exactly 30 min by e-bike from h1
    {"population": 10.0, "xy": (9000, 0)},    # P6 rural
]


@pytest.fixture
def town() -> object:
    return dataset(line_network(161, 75.0), communities=COMMUNITIES, facilities=FACILITIES,
                   population=POPULATION)


def test_minutes_per_category(town: object) -> None:
    cov = coverage(town, Settings())
    assert cov.categories == ["health", "culture"]  # taxonomy order
    health = [0.0, 15.0, 16.0, 48.0, 30.0, 36.0]  # walk for urban/outside, e-bike for the village
    culture = [60.0, 45.0, 44.0, 12.0, 12.0, 12.0]
    np.testing.assert_allclose(cov.demand_minutes["health"], health)
    np.testing.assert_allclose(cov.demand_minutes["culture"], culture)
    assert list(cov.circle_minutes) == [15, 15, 15, 15, 30, 30]
    assert list(cov.mode) == ["walk"] * 4 + ["ebike"] * 2


def test_covered_flags_include_the_circle_edge(town: object) -> None:
    cov = coverage(town, Settings())
    assert list(cov.covered["health"]) == [True, True, False, False, True, False]
    assert list(cov.covered["culture"]) == [False, False, False, True, True, True]
    assert list(cov.uncovered("health")) == [2, 3, 5]


def test_category_summary_and_complete_circle(town: object) -> None:
    cov = coverage(town, Settings())
    summary = cov.category_summary()
    assert summary.loc["health", "facilities"] == 1
    assert summary.loc["culture", "facilities"] == 2
    assert summary.loc["health", "covered_population"] == 190.0
    assert summary.loc["health", "coverage_pct"] == pytest.approx(76.0)
    assert summary.loc["culture", "covered_population"] == 70.0
    assert summary.loc["culture", "coverage_pct"] == pytest.approx(28.0)
    assert cov.complete_categories == ["health", "culture"]
    assert list(cov.complete) == [False, False, False, False, True, False]
    assert cov.complete_summary()["coverage_pct"] == pytest.approx(16.0)


def test_points_outside_communities_are_counted(town: object) -> None:
    cov = coverage(town, Settings())
    assert cov.outside_points == 1
    assert cov.outside_population == 20.0
    assert cov.kind.iloc[3] == "urban"


def test_by_community(town: object) -> None:
    cov = coverage(town, Settings())
    table = cov.by_community(town.communities)
    assert list(table.index) == ["U", "R"]
    assert list(table["kind"]) == ["urban", "rural"]
    assert list(table["population"]) == [180.0, 50.0]
    assert list(table["circle_minutes"]) == [15.0, 30.0]
    assert table.loc["U", "coverage_pct_health"] == pytest.approx(150 / 180 * 100)
    assert table.loc["R", "coverage_pct_health"] == pytest.approx(80.0)
    assert table.loc["U", "coverage_pct_culture"] == 0.0
    assert table.loc["R", "coverage_pct_culture"] == 100.0
    assert table.loc["R", "complete_circle_pct"] == pytest.approx(80.0)


def test_settings_change_circles_and_modes(town: object) -> None:
    # Rural residents walking instead: P5 now needs 100 minutes to h1.
    cov = coverage(town, Settings(rural_mode="walk", urban_circle_minutes=16))
    assert cov.demand_minutes.loc[4, "health"] == pytest.approx(100.0)
    assert list(cov.covered["health"]) == [True, True, True, False, False, False]


def test_given_community_ids_are_used(town: object) -> None:
    town.population["community_id"] = ["U", "U", "U", None, "R", "R"]
    cov = coverage(town, Settings())
    assert cov.outside_points == 1
    assert cov.community_id.iloc[0] == "U"


def test_requested_category_without_facilities_is_unreachable(town: object) -> None:
    cov = coverage(town, Settings(), categories=["health", "elderly_care"])
    assert np.isinf(cov.demand_minutes["elderly_care"]).all()
    assert cov.category_summary().loc["elderly_care", "coverage_pct"] == 0.0
    assert cov.facilities["elderly_care"] == 0
    # Complete circle only over essential categories that exist in the data.
    assert cov.complete_categories == ["health"]


def test_disconnected_demand_is_infinite() -> None:
    roads = network([(0, 0), (300, 0), (5000, 0), (5300, 0)], [(0, 1), (2, 3)])
    data = dataset(roads, communities=[{"community_id": "U", "name": "A社区", "kind": "urban",
                                        "box": (-100, -100, 6000, 100)}],
                   facilities=[{"facility_id": "f", "category": "health", "xy": (0, 0)}],
                   population=[{"population": 5.0, "xy": (5300, 0)}, {"population": 5.0, "xy": (300, 0)}])
    cov = coverage(data, Settings())
    assert np.isinf(cov.demand_minutes.loc[0, "health"])
    assert cov.demand_minutes.loc[1, "health"] == pytest.approx(4.0)
    assert cov.category_summary().loc["health", "coverage_pct"] == pytest.approx(50.0)


def test_bad_input_raises_data_error(town: object) -> None:
    with pytest.raises(DataError, match="unknown facility category"):
        resolve_categories(town, ["health", "hospital"])
    town.population.loc[0, "population"] = -5
    with pytest.raises(DataError, match="population"):
        coverage(town, Settings())


def test_demand_index_is_kept(town: object) -> None:
    town.population.index = pd.Index([10, 11, 12, 13, 14, 15])
    cov = coverage(town, Settings())
    assert list(cov.demand_minutes.index) == [10, 11, 12, 13, 14, 15]
    assert cov.demand_minutes.loc[11, "health"] == pytest.approx(15.0)


def test_points_without_geometry_are_reported(town: object) -> None:
    town.population.loc[2, "geometry"] = None
    with pytest.raises(DataError, match="1 population points have no geometry"):
        coverage(town, Settings())
