"""E2SFCA on a two-facility example computed by hand.

Road along the x axis, nodes every 150 m (2 minutes walking). Urban community, 15-minute circle.
F1 at x = 0 (100 m²), F2 at x = 600 (50 m²); residents P1 at x = 0 (10), P2 at x = 300 (20),
P3 at x = 900 (30). Trip minutes:

=====  ======  ======
        F1      F2
=====  ======  ======
P1      0       8
P2      4       4
P3     12       4
=====  ======  ======
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from geo._errors import DataError
from planning.access.e2sfca import decay_weight, e2sfca
from planning.settings import Settings
from tests.planning._engine_fixtures import dataset, line_network

MINUTES = np.array([[0.0, 8.0], [4.0, 4.0], [12.0, 4.0]])
POP = np.array([10.0, 20.0, 30.0])
SUPPLY = np.array([100.0, 50.0])


@pytest.fixture
def two_facilities() -> object:
    return dataset(
        line_network(11, 150.0),
        communities=[{"community_id": "U", "name": "东风社区", "kind": "urban", "box": (-100, -100, 1600, 100)}],
        facilities=[
            {"facility_id": "F1", "category": "elderly_care", "xy": (0, 0), "floor_area_m2": 100.0,
             "capacity": 10.0},
            {"facility_id": "F2", "category": "elderly_care", "xy": (600, 0), "floor_area_m2": 50.0,
             "capacity": 40.0},
        ],
        population=[{"population": p, "xy": (x, 0)} for p, x in zip(POP, (0, 300, 900))],
    )


def _by_hand(weights: np.ndarray, supply: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ratio = np.array([supply[j] / sum(POP[k] * weights[k, j] for k in range(3)) for j in range(2)])
    access = np.array([sum(ratio[j] * weights[k, j] for j in range(2)) for k in range(3)])
    return ratio, access


def test_step_decay_by_hand(two_facilities: object) -> None:
    # Thirds of 15 minutes: ≤ 5 → 1.00, ≤ 10 → 0.68, ≤ 15 → 0.22.
    weights = np.array([[1.0, 0.68], [1.0, 1.0], [0.22, 1.0]])
    ratio, access = _by_hand(weights, SUPPLY)
    assert ratio[0] == pytest.approx(100 / 36.6)
    assert ratio[1] == pytest.approx(50 / 56.8)
    result = e2sfca(two_facilities, Settings(), category="elderly_care", decay="step")
    assert result.supply == "floor_area_m2"
    np.testing.assert_allclose(result.facilities["ratio"], ratio)
    np.testing.assert_allclose(result.demand["accessibility"], access)
    # Every m² is handed out: Σ P·A = Σ S.
    assert float((POP * result.demand["accessibility"]).sum()) == pytest.approx(150.0)
    assert result.communities.loc["U", "accessibility"] == pytest.approx(150.0 / 60.0)


def test_gaussian_decay_by_hand(two_facilities: object) -> None:
    def g(d: float) -> float:
        return (math.exp(-0.5 * (d / 15) ** 2) - math.exp(-0.5)) / (1 - math.exp(-0.5))

    weights = np.vectorize(g)(MINUTES)
    ratio, access = _by_hand(weights, SUPPLY)
    result = e2sfca(two_facilities, Settings(), category="elderly_care")
    assert result.decay == "gaussian"
    np.testing.assert_allclose(result.facilities["ratio"], ratio)
    np.testing.assert_allclose(result.demand["accessibility"], access)


def test_capacity_and_count_as_supply(two_facilities: object) -> None:
    weights = np.array([[1.0, 0.68], [1.0, 1.0], [0.22, 1.0]])
    _, access = _by_hand(weights, np.array([10.0, 40.0]))
    result = e2sfca(two_facilities, Settings(), category="elderly_care", supply="capacity", decay="step")
    np.testing.assert_allclose(result.demand["accessibility"], access)
    _, access = _by_hand(weights, np.array([1.0, 1.0]))
    result = e2sfca(two_facilities, Settings(), category="elderly_care", supply="count", decay="step")
    np.testing.assert_allclose(result.demand["accessibility"], access)


def test_auto_supply_falls_back_when_floor_area_is_incomplete(two_facilities: object) -> None:
    two_facilities.facilities.loc[1, "floor_area_m2"] = np.nan
    result = e2sfca(two_facilities, Settings(), category="elderly_care", decay="step")
    assert result.supply == "capacity"
    with pytest.raises(DataError, match="floor_area_m2"):
        e2sfca(two_facilities, Settings(), category="elderly_care", supply="floor_area_m2")


def test_shorter_circle_drops_far_pairs(two_facilities: object) -> None:
    # A 10-minute circle: P3–F1 (12 min) is outside, so F1 serves P1 and P2 only.
    result = e2sfca(two_facilities, Settings(urban_circle_minutes=10), category="elderly_care", decay="step")
    # Thirds of 10 minutes: ≤ 3.33 → 1, ≤ 6.67 → 0.68, ≤ 10 → 0.22.
    weights = np.array([[1.0, 0.22], [0.68, 0.68], [0.0, 0.68]])
    ratio, access = _by_hand(weights, SUPPLY)
    np.testing.assert_allclose(result.facilities["ratio"], ratio)
    np.testing.assert_allclose(result.demand["accessibility"], access)


def test_decay_weights() -> None:
    w = decay_weight(np.array([0.0, 15.0, 15.5]), np.array([15.0, 15.0, 15.0]))
    np.testing.assert_allclose(w, [1.0, 0.0, 0.0], atol=1e-12)
    with pytest.raises(ValueError, match="decay"):
        decay_weight(np.array([1.0]), np.array([15.0]), decay="linear")  # type: ignore[arg-type]
