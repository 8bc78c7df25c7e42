"""Indicators against the bundled targets files, on a hand example.

Three communities on one road (nodes every 100 m): A (urban, street S1, district D1, 200
households, x 0–1000), B (urban, S1, D1, 100 households, x 1000–2000), C (village, S2, D2, 50
households, x 2000–4000). Service centres: 80 m² in A, 400 m² in C. Social-work station in A,
volunteer station in B, community living room in C. Residents: 100 in A (x 500, at the centre),
100 in B (x 1700, 16 minutes from A's centre), 50 in C (x 3000, at C's centre).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from geo._errors import DataError
from planning.access.coverage import coverage
from planning.access.indicators import available_targets, indicators, load_targets
from planning.settings import Settings
from tests.planning._engine_fixtures import dataset, line_network


def _example(*, households: bool = True, street: bool = True, district: bool = True) -> object:
    communities = [
        {"community_id": "A", "name": "东风社区", "kind": "urban", "street": "S1", "district": "D1",
         "households": 200.0, "community_workers": 2, "box": (0, -50, 1000, 50)},
        {"community_id": "B", "name": "西湖社区", "kind": "urban", "street": "S1", "district": "D1",
         "households": 100.0, "community_workers": 1, "box": (1000, -50, 2000, 50)},
        {"community_id": "C", "name": "桃园村", "kind": "rural", "street": "S2", "district": "D2",
         "households": 50.0, "community_workers": 1, "box": (2000, -50, 4000, 50)},
    ]
    for row in communities:
        if not households:
            del row["households"]
        if not street:
            del row["street"]
        if not district:
            del row["district"]
    facilities = [
        {"facility_id": "csc-a", "category": "community_service_center", "xy": (500, 0), "floor_area_m2": 80.0},
        {"facility_id": "csc-c", "category": "community_service_center", "xy": (3000, 0), "floor_area_m2": 400.0},
        {"facility_id": "sw-a", "category": "social_work_station", "xy": (100, 0)},
        {"facility_id": "vol-b", "category": "volunteer_station", "xy": (1500, 0)},
        {"facility_id": "lr-c", "category": "community_living_room", "xy": (3500, 0)},
    ]
    population = [{"population": 100.0, "xy": (500, 0)}, {"population": 100.0, "xy": (1700, 0)},
                  {"population": 50.0, "xy": (3000, 0)}]
    return dataset(line_network(41, 100.0), communities=communities, facilities=facilities,
                   population=population)


def _row(table: object, name: str) -> dict:
    rows = table[table["name"] == name].to_dict("records")
    assert len(rows) == 1, name
    return rows[0]


def test_maanshan_targets_on_the_hand_example() -> None:
    data = _example()
    cov = coverage(data, Settings())
    result = indicators(data, cov, "maanshan_14th_fyp")
    t = result.table

    row = _row(t, "service_facility_coverage")
    assert row["value"] == pytest.approx(200 / 3) and row["target"] == 100.0
    assert row["pass"] is False and row["communities_missing"] == ["B"]

    row = _row(t, "floor_area_per_100_households")  # urban only: 80 m² / 300 households
    assert row["value"] == pytest.approx(80 / 300 * 100) and row["pass"] is False
    assert row["communities_missing"] == ["B"]  # A has 40 m² per 100 households
    assert result.communities.loc["A", "floor_area_per_100_households"] == pytest.approx(40.0)
    assert result.communities.loc["B", "floor_area_per_100_households"] == 0.0

    row = _row(t, "floor_area_per_100_households_2025")
    assert row["target"] == 35.0 and row["communities_missing"] == ["B"]

    row = _row(t, "rural_facility_floor_area")  # C: 400 m² ≥ 300 m²
    assert row["value"] == 100.0 and row["pass"] is True and row["communities_missing"] == []

    row = _row(t, "social_work_station_per_street")  # S1 has one, S2 not
    assert row["value"] == 50.0 and row["pass"] is False and row["communities_missing"] == ["C"]

    row = _row(t, "volunteer_station_coverage")
    assert row["value"] == pytest.approx(100 / 3) and row["communities_missing"] == ["A", "C"]

    row = _row(t, "living_room_per_district")  # D2 has one, D1 not
    assert row["value"] == 50.0 and row["communities_missing"] == ["A", "B"]

    row = _row(t, "community_workers_per_10k")  # (2 + 1) workers / 200 urban residents
    assert row["value"] == pytest.approx(150.0) and row["pass"] is True

    for name in ("social_organisations_urban", "social_organisations_rural"):
        row = _row(t, name)  # no such column: no data, never a pass
        assert np.isnan(row["value"]) and row["pass"] is None

    # Residents within their circle of a service centre: A (0 min), C (0 min); B is 16 minutes.
    row = _row(t, "population_in_circle_community_service_center")
    assert row["value"] == pytest.approx(60.0) and row["pass"] is False
    assert row["communities_missing"] == ["B"]
    # Volunteer station at x 1500: A walks 1000 m (13.3 min), B 200 m, C rides 1500 m by e-bike
    # (6 min): everyone inside.
    row = _row(t, "population_in_circle_volunteer_station")
    assert row["value"] == pytest.approx(100.0) and row["pass"] is True

    row = _row(t, "complete_circle")  # only the service centre is an essential category here
    assert row["value"] == pytest.approx(60.0) and row["pass"] is None
    assert "community_service_center" in row["note"]

    assert result.missed["B"][:2] == ["service_facility_coverage", "floor_area_per_100_households"]
    assert "rural_facility_floor_area" not in result.missed["C"]


def test_absent_data_is_no_data_not_a_pass() -> None:
    data = _example(households=False, street=False, district=False)
    result = indicators(data, coverage(data, Settings()), "maanshan_14th_fyp")
    t = result.table
    for name in ("floor_area_per_100_households", "social_work_station_per_street"):
        row = _row(t, name)
        assert np.isnan(row["value"]) and row["pass"] is None and row["communities_missing"] == []
    # Without districts the study area is one district, and it has a living room.
    row = _row(t, "living_room_per_district")
    assert row["value"] == 100.0 and row["pass"] is True and "one district" in row["note"]


def test_category_absent_from_the_data_is_no_data() -> None:
    data = _example()
    data.facilities = data.facilities[data.facilities["category"] != "volunteer_station"]
    result = indicators(data, coverage(data, Settings()), "national_baseline")
    row = _row(result.table, "volunteer_station_coverage")
    assert np.isnan(row["value"]) and row["pass"] is None and row["note"] == "no data"
    # Asked for explicitly, the category counts: no volunteer station anywhere is 0 %.
    cov = coverage(data, Settings(), categories=["community_service_center", "volunteer_station"])
    row = _row(indicators(data, cov, "national_baseline").table, "volunteer_station_coverage")
    assert row["value"] == 0.0 and row["pass"] is False


def test_custom_targets_file(tmp_path: Path) -> None:
    path = tmp_path / "county.toml"
    path.write_text(
        'name = "county"\n[[indicator]]\nname = "floor_area"\nmetric = "floor_area_per_100_households"\n'
        'categories = ["community_service_center"]\ntarget = 25\n', encoding="utf-8")
    data = _example()
    result = indicators(data, coverage(data, Settings()), load_targets(path))
    row = _row(result.table, "floor_area")  # all kinds: 480 m² / 350 households
    assert row["value"] == pytest.approx(480 / 350 * 100) and row["pass"] is True


def test_bad_targets_files(tmp_path: Path) -> None:
    assert {"maanshan_14th_fyp", "national_baseline"} <= set(available_targets())
    with pytest.raises(DataError, match="no targets file"):
        load_targets("atlantis_plan")
    bad = tmp_path / "bad.toml"
    bad.write_text('[[indicator]]\nname = "x"\nmetric = "happiness"\n', encoding="utf-8")
    with pytest.raises(DataError, match="unknown metric"):
        load_targets(bad)
    bad.write_text("[[indicator]\n", encoding="utf-8")
    with pytest.raises(DataError, match="not a valid TOML"):
        load_targets(bad)


def test_unknown_floor_area_is_no_data() -> None:
    data = _example()
    data.facilities.loc[data.facilities["facility_id"] == "csc-a", "floor_area_m2"] = np.nan
    result = indicators(data, coverage(data, Settings()), "national_baseline")
    row = _row(result.table, "floor_area_per_100_households")
    assert np.isnan(row["value"]) and row["pass"] is None and "floor_area_m2" in row["note"]
    assert np.isnan(result.communities.loc["A", "floor_area_per_100_households"])
