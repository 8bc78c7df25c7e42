"""Siting a planner can act on: the data's candidates preferred, generated points named, sources in words."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from scipy import sparse

from geo.network import RoadNetwork, _readable
from planning.access.analysis import analyze
from planning.settings import Settings
from planning.siting import recommend_sites
from planning.siting._prefer import swap_to_given, swap_to_given_median
from planning.siting.candidates import generated_names
from planning.texts import note_text, source_label

from ._siting_line import CIRCLE_M, DEMAND_X, X0, Y0, demand_population, line_dataset

CAT = "community_living_room"


def test_a_generated_site_gives_way_to_a_building_within_the_margin() -> None:
    # Demand points a, b, c (100, 90 and 5 residents); candidate 0 is generated and reaches all
    # three (195); building 1 reaches a and b (190 ≥ 195 / 1.1), building 2 reaches c only.
    cover = sparse.csr_matrix(np.array([[1, 1, 0], [1, 1, 0], [1, 0, 1]], dtype=float))
    w = np.array([100.0, 90.0, 5.0])
    given = np.array([False, True, True])
    none = np.zeros(3, dtype=bool)
    out = swap_to_given(np.array([0]), cover=cover, w=w, existing=none, given=given, margin_pct=10.0)
    assert out.chosen.tolist() == [1] and out.swapped == 1 and out.lost == pytest.approx(5.0)
    # A margin of 2 %: 190 < 195 / 1.02, the generated point stays.
    kept = swap_to_given(np.array([0]), cover=cover, w=w, existing=none, given=given, margin_pct=2.0)
    assert kept.chosen.tolist() == [0] and kept.swapped == 0
    # Set covering to 100 %: the building would leave c out, so the generated point stays.
    target = swap_to_given(np.array([0]), cover=cover, w=w, existing=none, given=given, margin_pct=10.0,
                           target_covered=195.0)
    assert target.chosen.tolist() == [0]
    # With a second site already covering c, the building is worth as much: swapped, nothing lost.
    both = swap_to_given(np.array([0, 2]), cover=cover, w=w, existing=none, given=given, margin_pct=10.0)
    assert sorted(both.chosen.tolist()) == [1, 2] and both.lost == 0.0


def test_p_median_uses_person_minutes_saved() -> None:
    # Two demand points of 10 residents, 10 minutes from an existing facility (the penalty).
    # Generated site 0 takes both to 0 minutes (saves 200); building 1 takes them to 1 minute
    # (saves 180 ≥ 200 / 1.2); building 2 to 2 minutes (saves 160).
    rows, cols = np.repeat([0, 1], 3), np.tile([0, 1, 2], 2)
    minutes = sparse.csr_matrix((np.tile([0.0, 1.0, 2.0], 2), (rows, cols)), shape=(2, 3))  # zeros stored
    w, base = np.array([10.0, 10.0]), np.array([10.0, 10.0])
    given = np.array([False, True, True])
    out = swap_to_given_median(np.array([0]), minutes=minutes, w=w, base=base, given=given, margin_pct=20.0)
    assert out.chosen.tolist() == [1] and out.lost == pytest.approx(20.0, abs=1e-6)
    kept = swap_to_given_median(np.array([0]), minutes=minutes, w=w, base=base, given=given, margin_pct=5.0)
    assert kept.chosen.tolist() == [0]


def _covers(x: float) -> np.ndarray:
    return np.abs(DEMAND_X - x) <= CIRCLE_M + 1e-6


def _street_with_poor_buildings():
    """The street with two buildings at 1,200 and 3,000 m: together they leave 4,200 and 4,500 m
    outside every circle, which two generated points can reach."""
    import dataclasses

    ds = line_dataset()
    cand = ds.candidates.iloc[:2].copy()
    cand["geometry"] = gpd.points_from_xy(X0 + np.array([1200.0, 3000.0]), np.full(2, Y0), crs=ds.crs)
    return dataclasses.replace(ds, candidates=gpd.GeoDataFrame(cand, geometry="geometry", crs=ds.crs))


def test_both_sources_on_the_street_follow_the_rule() -> None:
    """By hand on the street: every generated point kept brings > 10 % more residents than the best
    building in its place, and the plan loses exactly what the note says."""
    ds = _street_with_poor_buildings()
    analysis = analyze(ds, Settings(), categories=[CAT])
    w = demand_population()
    kwargs = dict(category=CAT, new_sites=2, candidates="both", n_generated=6, circles=False)
    free = recommend_sites(ds, analysis, prefer_given_pct=None, **kwargs)
    preferred = recommend_sites(ds, analysis, **kwargs)
    only_buildings = recommend_sites(ds, analysis, prefer_given_pct=1000.0, **kwargs)
    assert (free.sites["source"] == "generated").all()  # free choice: two generated points cover everyone
    assert free.covered_after == int(w.sum())
    assert (only_buildings.sites["source"] == "idle_building").all()
    by_hand = w[_covers(0.0) | _covers(1200.0) | _covers(3000.0)].sum()
    assert only_buildings.covered_after == int(by_hand)
    xs = preferred.sites.geometry.x.to_numpy() - X0
    buildings = ds.candidates.geometry.x.to_numpy() - X0
    for i, source in enumerate(preferred.sites["source"]):
        if source != "generated":
            continue
        others = _covers(0.0) | np.any([_covers(x) for j, x in enumerate(xs) if j != i] or [_covers(-1e9)], axis=0)
        own = w[_covers(xs[i]) & ~others].sum()
        best = max(w[_covers(b) & ~others].sum() for b in buildings if not np.isclose(xs, b).any())
        assert own > 1.1 * best
    for result in (preferred, only_buildings):
        swaps = [n for n in result.notes if getattr(n, "key", "") == "siting.prefer_given"]
        if result is only_buildings or swaps:
            lost = swaps[0].values["lost"]
            assert result.covered_after == pytest.approx(free.covered_after - lost, abs=1)
            assert "优先选用数据中的候选址" in note_text(swaps[0], "zh")


def test_buildings_as_good_as_generated_points_are_taken() -> None:
    """Buildings at 1,500 and 3,750 m (or 2,250 and 3,750 m) reach all 12 residents' points outside
    the existing circle, as a generated pair would: the plan takes buildings only."""
    ds = line_dataset()
    analysis = analyze(ds, Settings(), categories=[CAT])
    preferred = recommend_sites(ds, analysis, category=CAT, new_sites=2, candidates="both", n_generated=12,
                                circles=False)
    assert (preferred.sites["source"] == "idle_building").all()
    assert preferred.covered_after == int(demand_population().sum())


def test_generated_points_are_named_by_community_and_road() -> None:
    ds = line_dataset()
    n = len(ds.roads.node_x)
    names = np.array(["解放路 / Jiefang Lu"] * 30 + [None] * (n - 31), dtype=object)
    roads = RoadNetwork.from_arrays(crs=ds.crs, node_x=ds.roads.node_x, node_y=ds.roads.node_y,
                                    edge_u=ds.roads.edge_u, edge_v=ds.roads.edge_v,
                                    edge_name=np.where(names == None, -1, 0), road_names=("解放路 / Jiefang Lu",))  # noqa: E711
    import dataclasses

    named = dataclasses.replace(ds, roads=roads)
    x = X0 + np.array([300.0, 375.0, 4000.0, 4200.0])
    assert generated_names(named, x, np.full(4, Y0)) == ["东街社区·解放路", "东街社区·解放路（2）",
                                                        "西街社区·新址1", "西街社区·新址2"]


def test_road_names_are_kept_and_repaired() -> None:
    roads = RoadNetwork.from_arrays(crs=32650, node_x=np.array([0.0, 100.0, 200.0]), node_y=np.zeros(3),
                                    edge_u=np.array([0, 1]), edge_v=np.array([1, 2]), edge_name=np.array([0, -1]),
                                    road_names=("太白路",))
    assert roads.road_names_near(np.array([50.0, 190.0, 50.0]), np.array([10.0, 0.0, 400.0])) == [
        "太白路", "太白路", None]
    assert _readable("Ì«°×ÄÏÂ·") == "太白南路" and _readable("Zürich") == "Zürich"


def test_sources_in_words() -> None:
    assert [source_label(s) for s in ("idle_building", "public_building", "vacant_land", "generated")] == [
        "闲置用房", "公共建筑", "空地", "自动生成"]
    assert source_label("vacant_land", "en") == "vacant land" and source_label("学校") == "学校"


def test_the_command_line_takes_the_margin(capsys: pytest.CaptureFixture[str]) -> None:
    from planning.__main__ import main

    assert main(["site", "--category", CAT, "--new-sites", "1", "--prefer-given", "many"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--prefer-given must be a percentage ≥ 0 or 'off'" in err[0]


def test_road_names_and_missing_node_counts_survive_the_road_cache(tmp_path) -> None:
    roads = RoadNetwork.from_arrays(crs=32650, node_x=np.array([0.0, 100.0, 200.0]), node_y=np.zeros(3),
                                    edge_u=np.array([0, 1]), edge_v=np.array([1, 2]), edge_name=np.array([0, -1]),
                                    road_names=("太白路",)).with_incomplete(incomplete_ways=2, missing_nodes=5,
                                                                            dropped_segments=3)
    roads.to_npz(tmp_path / "roads.npz")
    again = RoadNetwork.from_npz(tmp_path / "roads.npz")
    assert again.road_names == ("太白路",) and again.edge_name.tolist() == [0, -1]
    assert (again.incomplete_ways, again.missing_nodes, again.dropped_segments) == (2, 5, 3)
    assert again.road_names_near(np.array([50.0]), np.array([10.0])) == ["太白路"]


def test_osm_road_names_follow_their_segments_when_a_clipped_way_loses_one(tmp_path) -> None:
    from geo.roads import read_roads

    # 太白路 runs 1-2-3; 友谊路 runs 3-4, and node 4 lies outside the extract.
    osm = tmp_path / "roads.osm"
    osm.write_text(
        "<?xml version='1.0' encoding='UTF-8'?>\n<osm version='0.6'>\n"
        "<node id='1' lat='34.2600' lon='108.9400'/><node id='2' lat='34.2600' lon='108.9410'/>"
        "<node id='3' lat='34.2600' lon='108.9420'/>\n"
        "<way id='10'><nd ref='1'/><nd ref='2'/><nd ref='3'/><tag k='highway' v='residential'/>"
        "<tag k='name' v='太白路'/></way>\n"
        "<way id='11'><nd ref='3'/><nd ref='4'/><tag k='highway' v='residential'/>"
        "<tag k='name' v='友谊路'/></way>\n</osm>\n", encoding="utf-8")
    roads = read_roads(osm, crs=32649, cache=False)
    assert roads.n_edges == 2 and [roads.road_names[c] for c in roads.edge_name] == ["太白路", "太白路"]
    assert (roads.incomplete_ways, roads.missing_nodes, roads.dropped_segments) == (1, 1, 1)
