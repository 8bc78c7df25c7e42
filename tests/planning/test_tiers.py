"""The district community-building targets: floor area per 100 households on census households,
and the size tiers of community office and service space, on a hand-made row of communities.

Five communities of 1 km along a road, 263 residents each; without households of their own, the
census household size of 当涂县 (2.63) gives each of them 100. Service centres: A 150 m²; B two,
300 m² and 250 m²; C 6,000 m²; D none; E one of unknown floor area.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from planning.access.analysis import analyze
from planning.access.indicators import load_targets
from planning.settings import Settings
from tests.planning._engine_fixtures import dataset, line_network

NAMES = {"A": "一社区", "B": "二社区", "C": "三社区", "D": "四社区", "E": "五社区"}
AREAS = [("f1", 500, 150.0), ("f2", 1400, 300.0), ("f3", 1600, 250.0), ("f4", 2500, 6000.0), ("f5", 4500, np.nan)]


def _row(*, unknown: bool = True) -> object:
    communities = [{"community_id": cid, "name": name, "kind": "urban", "box": (i * 1000, -100, (i + 1) * 1000, 100)}
                   for i, (cid, name) in enumerate(NAMES.items())]
    facilities = [{"facility_id": fid, "category": "community_service_center", "xy": (x, 0), "floor_area_m2": a}
                  for fid, x, a in AREAS if unknown or fid != "f5"]
    population = [{"population": 263.0, "xy": (i * 1000 + 500, 0)} for i in range(5)]
    return dataset(line_network(81, 75.0), communities=communities, facilities=facilities, population=population)


def test_district_targets_file() -> None:
    targets = load_targets("district_community_building")
    metrics = {i["name"]: i["metric"] for i in targets.indicators}
    assert metrics["office_service_area_per_100_households"] == "floor_area_per_100_households"
    assert metrics["size_tiers"] == "floor_area_tiers"
    spec = next(i for i in targets.indicators if i["name"] == "size_tiers")
    assert [t.get("below") for t in spec["tiers"]] == [200, 500, 2000, 5000, None]


def test_tiers_per_community_and_facility_and_counts() -> None:
    result = analyze(_row(), Settings(census_code="340521"), targets="district_community_building")
    table = result.community_table
    # A 150 → under 200; B 550 → 500–2,000; C 6,000 → centre; D nothing (0 m²) → under 200; E unknown.
    assert table["floor_area_tier"].to_dict() == {"A": "to_solve", "B": "standard", "C": "comprehensive_centre",
                                                 "D": "to_solve", "E": "unknown"}
    facilities = result.layers(circles=False)["facilities"].set_index("facility_id")
    assert facilities["floor_area_tier"].to_dict() == {"f1": "to_solve", "f2": "to_upgrade", "f3": "to_upgrade",
                                                      "f4": "comprehensive_centre", "f5": "unknown"}
    rows = result.indicators.set_index("name")["value"]
    assert {k: rows[f"size_tiers_community_{k}"] for k in ("to_solve", "to_upgrade", "standard", "demonstration",
                                                          "comprehensive_centre", "unknown")} == \
        {"to_solve": 2, "to_upgrade": 0, "standard": 1, "demonstration": 0, "comprehensive_centre": 1, "unknown": 1}
    assert {k: rows[f"size_tiers_facility_{k}"] for k in ("to_solve", "to_upgrade", "standard", "demonstration",
                                                         "comprehensive_centre", "unknown")} == \
        {"to_solve": 1, "to_upgrade": 2, "standard": 0, "demonstration": 0, "comprehensive_centre": 1, "unknown": 1}
    named = result.indicators.set_index("name").loc["size_tiers_community_demonstration"]
    assert named["name_zh"] == "社区办公和服务用房面积分级：2000平方米以上（示范社区）（社区数）"
    assert named["unit"] == "个" and named["pass"] is None
    # One facility without floor area: the area per 100 households is unknown, never a pass.
    per_100 = result.indicators.set_index("name").loc["office_service_area_per_100_households"]
    assert math.isnan(per_100["value"]) and per_100["pass"] is None


def test_floor_area_per_100_households_on_census_households() -> None:
    result = analyze(_row(unknown=False), Settings(census_code="340521"), targets="district_community_building")
    # 263 residents / 2.63 persons = 100 households per community, from the census.
    np.testing.assert_allclose(result.community_table["households"], 100.0)
    row = result.indicators.set_index("name").loc["office_service_area_per_100_households"]
    assert row["target"] == 50.0
    assert row["value"] == pytest.approx(100 * (150 + 550 + 6000) / 500)  # 1,340 m² per 100 households
    assert sorted(row["communities_missing"]) == ["D", "E"]  # 0 m²
    assert result.community_table["floor_area_per_100_households"].to_dict() == \
        {"A": 150.0, "B": 550.0, "C": 6000.0, "D": 0.0, "E": 0.0}
    assert any("5 个社区的户数按第七次全国人口普查当涂县（340521）户均 2.63 人估算" in n for n in result.dataset.notes)
    # Without the census there are no households, and no value.
    plain = analyze(_row(unknown=False), Settings(), targets="district_community_building")
    assert math.isnan(plain.indicators.set_index("name").loc["office_service_area_per_100_households", "value"])
