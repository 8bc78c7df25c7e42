"""Scenarios: save, load (round trip) and compare."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest

from geo._errors import DataError
from planning.access.analysis import analyze
from planning.settings import Settings
from planning.siting import recommend_sites
from planning.siting.scenarios import (
    compare_scenarios,
    load_scenario,
    save_scenario,
    scenario_from_result,
    settings_from_dict,
    with_scenario,
    write_scenario,
)

from ._siting_line import DEMAND_X, by_hand_existing, demand_population, line_dataset

CAT = "community_living_room"


@pytest.fixture(scope="module")
def street():
    ds = line_dataset()
    analysis = analyze(ds, Settings(), categories=[CAT])
    one = recommend_sites(ds, analysis, category=CAT, new_sites=1, candidates="given", circles=False)
    two = recommend_sites(ds, analysis, category=CAT, new_sites=2, candidates="given", circles=False)
    return ds, analysis, one, two


def test_round_trip_gives_back_the_same_sites_and_results(street, tmp_path: Path) -> None:
    ds, analysis, _, two = street
    scenario = scenario_from_result(two, name="方案二", analysis=analysis, settings=Settings(profile="elderly"))
    path = write_scenario(scenario, tmp_path / "plan.gpkg")
    back = load_scenario(path)
    assert (back.name, back.category, back.model, back.created) == ("方案二", CAT, "mclp", scenario.created)
    assert back.results == two.to_json()
    assert settings_from_dict(back.settings) == Settings(profile="elderly")
    cols = ["rank", "candidate_id", "name", "newly_covered", "cumulative_covered", "lon", "lat"]
    pd.testing.assert_frame_equal(pd.DataFrame(back.sites[cols]), pd.DataFrame(two.sites[cols]),
                                  check_dtype=False)
    assert back.sites.geometry.geom_equals(two.sites.geometry).all()
    assert back.sites.crs == two.sites.crs
    pd.testing.assert_frame_equal(back.categories, scenario.categories, check_dtype=False)
    pd.testing.assert_frame_equal(back.communities, scenario.communities, check_dtype=False)
    # The reloaded sites, added as facilities, give the same coverage as the siting reported.
    after = analyze(with_scenario(ds, back), Settings(), categories=[CAT]).covered[CAT]
    w = demand_population()
    assert float(w[after.to_numpy()].sum()) == pytest.approx(two.covered_after)
    assert back.categories.loc[CAT, "pct"] == pytest.approx(100 * two.covered_after / w.sum())


def test_save_scenario_from_analysis_and_result(street, tmp_path: Path) -> None:
    _, analysis, _, two = street
    path = save_scenario(tmp_path / "b.gpkg", analysis, two, name="B")
    back = load_scenario(path)
    w = demand_population()
    assert back.categories.loc[CAT, "baseline_pct"] == pytest.approx(100 * w[by_hand_existing()].sum() / w.sum())
    assert back.communities.loc["W", f"{CAT}_pct"] == pytest.approx(100.0)
    assert back.communities.loc["W", "name"] == "西街社区"


def test_saving_over_a_scenario_replaces_it_whole(street, tmp_path: Path) -> None:
    _, analysis, one, two = street
    path = tmp_path / "plan.gpkg"
    save_scenario(path, analysis, two, name="a")
    save_scenario(path, analysis, one, name="b")
    back = load_scenario(path)
    assert back.name == "b" and len(back.sites) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["plan.gpkg"]


def test_failed_save_keeps_the_previous_file(street, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, analysis, one, two = street
    path = tmp_path / "plan.gpkg"
    save_scenario(path, analysis, two, name="a")

    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError("No space left on device")

    # Writing fails part-way through, as on a full disk.
    monkeypatch.setattr(pyogrio, "write_dataframe", disk_full)
    with pytest.raises(OSError, match="No space"):
        save_scenario(path, analysis, one, name="b")
    monkeypatch.undo()
    assert load_scenario(path).name == "a"
    assert [p.name for p in tmp_path.iterdir()] == ["plan.gpkg"]


def test_compare_two_scenarios_stored_and_recomputed_agree(street, tmp_path: Path) -> None:
    ds, analysis, one, two = street
    a = load_scenario(save_scenario(tmp_path / "a.gpkg", analysis, one, name="A"))
    b = load_scenario(save_scenario(tmp_path / "b.gpkg", analysis, two, name="B"))
    stored = compare_scenarios(a, b)
    recomputed = compare_scenarios(a, b, dataset=ds)
    w = demand_population()
    total = w.sum()
    row = stored.categories.loc[CAT]
    assert row["baseline_pct"] == pytest.approx(100 * w[by_hand_existing()].sum() / total)
    assert row["A_pct"] == pytest.approx(100 * one.covered_after / total, abs=1e-6)
    assert row["B_pct"] == pytest.approx(100 * two.covered_after / total, abs=1e-6)
    assert (row["A_new_sites"], row["B_new_sites"]) == (1, 2)
    pd.testing.assert_frame_equal(stored.categories, recomputed.categories, check_dtype=False)
    pd.testing.assert_frame_equal(stored.communities, recomputed.communities, check_dtype=False)
    east = DEMAND_X < 2_249
    comm = stored.communities
    assert comm.loc["E", "population"] == pytest.approx(w[east].sum())
    assert comm.loc["E", f"{CAT}_baseline_pct"] == pytest.approx(
        100 * w[east & by_hand_existing()].sum() / w[east].sum())
    assert comm.loc["W", f"{CAT}_B_pct"] == pytest.approx(100.0)
    assert np.all(comm[f"{CAT}_B_pct"] >= comm[f"{CAT}_baseline_pct"])


def test_bad_scenario_files(tmp_path: Path, street) -> None:
    _, analysis, one, _ = street
    with pytest.raises(DataError, match="not found"):
        load_scenario(tmp_path / "missing.gpkg")
    with pytest.raises(DataError, match="GeoPackage"):
        save_scenario(tmp_path / "plan.shp", analysis, one, name="a")
    with pytest.raises(DataError, match="needs a name"):
        scenario_from_result(one, name="  ")
    other = tmp_path / "other.gpkg"
    one.sites.to_file(other, layer="sites", driver="GPKG")
    with pytest.raises(DataError, match="layer\\(s\\) scenario missing"):
        load_scenario(other)
    bare = scenario_from_result(one, name="bare")
    with pytest.raises(DataError, match="holds no coverage"):
        compare_scenarios(bare, scenario_from_result(one, name="other", analysis=analysis))
