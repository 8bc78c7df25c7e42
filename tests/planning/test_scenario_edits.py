"""Scenarios of edits of any categories: saved with what they change, loaded, compared by change."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from planning.access.analysis import analyze
from planning.settings import Settings
from planning.siting import recommend_sites
from planning.siting.edits import edit_table, write_edits
from planning.siting.scenarios import (
    compare_scenarios,
    load_scenario,
    save_scenario,
    scenario_from_edits,
    with_scenario,
    write_scenario,
)
from planning.siting.whatif import by_change

from ._siting_line import CIRCLE_M, CRS, DEMAND_X, X0, Y0, by_hand_existing, demand_population, line_dataset

CAT = "community_living_room"


def _lonlat(x: float) -> tuple[float, float]:
    p = gpd.GeoSeries([shapely.Point(X0 + x, Y0)], crs=CRS).to_crs(4326).iloc[0]
    return p.x, p.y


@pytest.fixture(scope="module")
def street():
    ds = line_dataset()
    return ds, analyze(ds, Settings(), categories=[CAT])


def _add(fid: str, x: float, category: str = CAT) -> dict:
    lon, lat = _lonlat(x)
    return {"edit": "add", "facility_id": fid, "category": category, "x": lon, "y": lat}


def test_a_drawn_scenario_stores_what_it_changes(street, tmp_path: Path) -> None:
    ds, base = street
    edits = edit_table([_add("P1", 3000.0), _add("H1", 0.0, "health")])
    scenario = scenario_from_edits(edits, name="东街方案", analysis=base)
    w = demand_population()
    total = w.sum()
    new = np.abs(DEMAND_X - 3000.0) <= CIRCLE_M + 1e-6
    assert scenario.category == f"{CAT},health" and scenario.model == "manual"
    assert scenario.categories.loc[CAT, "baseline_pct"] == pytest.approx(100 * w[by_hand_existing()].sum() / total)
    assert scenario.categories.loc[CAT, "pct"] == pytest.approx(100 * w[by_hand_existing() | new].sum() / total)
    # health had no facility: 0 % before, the residents within 1,125 m of x = 0 after.
    assert scenario.categories.loc["health", "baseline_pct"] == 0.0
    assert scenario.categories.loc["health", "pct"] == pytest.approx(100 * w[by_hand_existing()].sum() / total)
    ind = scenario.indicators.set_index("name")
    row = ind.loc[f"population_in_circle_{CAT}"] if f"population_in_circle_{CAT}" in ind.index else None
    assert row is not None and row["value"] == pytest.approx(scenario.categories.loc[CAT, "pct"])
    assert row["baseline_value"] == pytest.approx(scenario.categories.loc[CAT, "baseline_pct"])
    back = load_scenario(write_scenario(scenario, tmp_path / "east.gpkg"))
    assert back.name == "东街方案" and back.edits["facility_id"].tolist() == ["P1", "H1"]
    pd.testing.assert_frame_equal(back.categories, scenario.categories, check_dtype=False)
    pd.testing.assert_frame_equal(back.indicators.reset_index(drop=True),
                                  scenario.indicators.reset_index(drop=True), check_dtype=False)
    assert len(with_scenario(ds, back).facilities) == 3


def test_a_bare_edit_file_is_a_scenario(street, tmp_path: Path) -> None:
    ds, _ = street
    path = write_edits(edit_table([_add("P1", 3000.0), {"edit": "remove", "facility_id": "F1"}]),
                       tmp_path / "西街.geojson")
    scenario = load_scenario(path)
    assert scenario.name == "西街" and scenario.categories.empty
    assert with_scenario(ds, scenario).facilities["facility_id"].tolist() == ["P1"]
    gpkg = write_edits(scenario.edits, tmp_path / "西街.gpkg")
    assert load_scenario(gpkg).edits["edit"].tolist() == ["add", "remove"]


def test_comparison_is_sorted_by_change(street, tmp_path: Path) -> None:
    ds, base = street
    small = scenario_from_edits(edit_table([_add("P1", 1500.0)]), name="A", analysis=base)
    large = scenario_from_edits(edit_table([_add("P1", 3000.0), _add("P2", 4500.0)]), name="B", analysis=base)
    cmp = compare_scenarios(small, large)
    comm = cmp.communities
    changes = comm["change_pct"].to_numpy()
    assert np.all(np.diff(changes) <= 0)  # largest change first
    # By hand: west street (x ≥ 2,250) had nobody covered; B covers all of it.
    assert comm.index[0] == "W" and comm.loc["W", "change_pct"] == pytest.approx(100.0)
    assert cmp.categories.loc[CAT, "B_new_sites"] == 2 and cmp.categories.loc[CAT, "A_new_sites"] == 1
    assert not cmp.indicators.empty and np.all(np.diff(cmp.indicators["change"].to_numpy()) <= 0)
    recomputed = compare_scenarios(small, large, dataset=ds)
    pd.testing.assert_frame_equal(recomputed.categories, cmp.categories, check_dtype=False)


def test_by_change_keeps_unchanged_rows_in_order() -> None:
    frame = pd.DataFrame({"b": [10.0, 20.0, 30.0, 40.0], "x": [10.0, 25.0, 30.0, 0.0]}, index=list("pqrs"))
    out = by_change(frame, ["b"], [["x"]])
    assert out.index.tolist() == ["s", "q", "p", "r"]
    assert out["change_pct"].tolist() == [40.0, 5.0, 0.0, 0.0]


def test_scenarios_saved_before_edits_still_load(street, tmp_path: Path) -> None:
    """An old scenario file: sites of one category, no edits layer."""
    import pyogrio

    ds, base = street
    result = recommend_sites(ds, base, category=CAT, new_sites=2, candidates="given", circles=False)
    path = save_scenario(tmp_path / "old.gpkg", base, result, name="旧方案")
    layers = {str(n): None for n, _ in pyogrio.list_layers(path)}
    old = tmp_path / "older.gpkg"
    for name in layers:
        if name == "edits":
            continue
        frame = pyogrio.read_dataframe(path, layer=name)
        pyogrio.write_dataframe(frame, old, layer=name, driver="GPKG", append=old.exists())
    back = load_scenario(old)
    assert back.edits["facility_id"].tolist() == [f"{CAT}:{c}" for c in result.sites["candidate_id"]]
    after = analyze(with_scenario(ds, back), Settings(), categories=[CAT])
    assert after.category_summary.loc[CAT, "covered_population"] == pytest.approx(result.covered_after)
