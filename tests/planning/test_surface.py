"""Travel-time surfaces and responsibility areas: hand-made cases and the bundled Xi'an data.

Hand-made grids use 10 m cells on multiples of 10 m; roads run through cell centres and the
nodes are spaced so that the boundaries between their catchments fall on cell edges.
"""

from __future__ import annotations

import math
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import shapely

from planning.access.analysis import analyze
from planning.access.surface import RURAL, URBAN, study_grid, travel_surfaces
from planning.access.travel import TravelModel
from planning.settings import Settings
from tests.planning._engine_fixtures import X0, Y0, dataset, grid_network, network

XIAN = Path(__file__).resolve().parents[2] / "data" / "xian"


def test_nearest_source_labels_match_one_search_per_facility() -> None:
    # A 6 × 6 grid with a one-way street for cars; three facilities with their own walks.
    net = grid_network(6, 100.0)
    car = TravelModel.for_mode(net, "car", Settings())
    walk = TravelModel.for_mode(net, "walk", Settings())
    source_node = np.array([0, 21, 35])
    access = np.array([0.3, 0.0, 1.7])
    for model in (walk, car):
        minutes, source = model.nearest_source(source_node, access)
        np.testing.assert_array_equal(minutes, model.node_minutes_to_nearest(source_node, access))
        # Independently: one networkx search per facility towards it, plus its walk.
        graph = nx.DiGraph()
        coo = model.matrix.tocoo()
        graph.add_weighted_edges_from(zip(coo.col.tolist(), coo.row.tolist(), coo.data.tolist()))
        per_facility = np.full((3, net.n_nodes), np.inf)
        for k, node in enumerate(source_node):
            for target, d in nx.single_source_dijkstra_path_length(graph, int(node)).items():
                per_facility[k, target] = d + access[k]
        np.testing.assert_allclose(minutes, per_facility.min(axis=0))
        clear = np.sort(per_facility, axis=0)[1] - np.sort(per_facility, axis=0)[0] > 1e-9
        np.testing.assert_array_equal(source[clear], per_facility.argmin(axis=0)[clear])
    # Nothing to reach: every node is unreachable and belongs to no facility.
    minutes, source = walk.nearest_source(np.zeros(0, dtype=np.int64), np.zeros(0))
    assert np.isinf(minutes).all() and (source == -1).all()


def test_grid_cells_and_kinds() -> None:
    data = dataset(network([(5, 5), (505, 5)], [(0, 1)]),
                   communities=[{"community_id": "U", "name": "东风社区", "kind": "urban", "box": (0, 0, 200, 100)},
                                {"community_id": "R", "name": "桃园村", "box": (200, 0, 400, 100)}],
                   population=[{"population": 1.0, "xy": (705, 55)}])  # outside every community
    grid, kind = study_grid(data, Settings(surface_cell_m=10.0))
    # One cell of margin; the resident outside brings the grid out to x = 705 + margin.
    assert (grid.west, grid.north, grid.cell_m) == (X0 - 10, Y0 + 110, 10.0)
    assert grid.cells_of(np.array([X0 - 10, X0 + 5, X0 - 11]), np.array([Y0 + 105, Y0 + 105, Y0])).tolist() \
        == [0, 1, -1]
    x, y = grid.centres(np.array([0, grid.width + 1]))
    assert (x.tolist(), y.tolist()) == ([X0 - 5, X0 + 5], [Y0 + 105, Y0 + 95])
    flat = kind.ravel()
    assert flat[grid.cells_of(np.array([X0 + 105]), np.array([Y0 + 55]))[0]] == URBAN
    assert flat[grid.cells_of(np.array([X0 + 305]), np.array([Y0 + 55]))[0]] == RURAL
    # The resident outside every community gets a disc of two cells (urban, as the coverage has it).
    assert flat[grid.cells_of(np.array([X0 + 705, X0 + 715, X0 + 745]), np.array([Y0 + 55] * 3))].tolist() \
        == [URBAN, URBAN, 0]
    assert (kind == RURAL).sum() == 200 and 200 + 9 <= (kind == URBAN).sum() <= 200 + 13


def test_cells_grow_to_the_budget() -> None:
    data = dataset(network([(0, 0), (1000, 0)], [(0, 1)]),
                   communities=[{"community_id": "U", "name": "东风社区", "kind": "urban", "box": (0, 0, 1000, 1000)}])
    grid, kind = study_grid(data, Settings(surface_max_cells=1000))
    # 1 km² at 15 m is 4,444 cells: 15 m × √4.444 = 31.62 m, rounded up to 31.7 m.
    assert grid.cell_m == pytest.approx(31.7)
    assert (kind > 0).sum() <= 1.05 * 1000


def test_surfaces_are_shared_by_circle_times_and_not_by_speeds() -> None:
    data = dataset(network([(5, 5), (505, 5)], [(0, 1)]),
                   communities=[{"community_id": "U", "name": "东风社区", "kind": "urban", "box": (0, 0, 600, 100)}],
                   facilities=[{"facility_id": "h", "category": "health", "xy": (5, 5)}])
    base = travel_surfaces(data, Settings())
    assert travel_surfaces(data, Settings(urban_circle_minutes=10.0, urban_ring_minutes=(3.0,))) is base
    assert travel_surfaces(data, Settings(walk_speed_m_per_min=60.0)) is not base
    assert travel_surfaces(data, Settings(surface_cell_m=10.0)) is not base


def test_ring_settings_are_checked() -> None:
    assert Settings(urban_ring_minutes=[5, 10]).urban_ring_minutes == (5.0, 10.0)  # JSON lists
    assert Settings().ring_minutes("rural") == (10.0, 20.0, 30.0)
    for bad in ((), (10.0, 5.0), (0.0, 5.0), "abc"):
        with pytest.raises(ValueError, match="urban_ring_minutes"):
            Settings(urban_ring_minutes=bad)
    with pytest.raises(ValueError, match="surface_cell_m"):
        Settings(surface_cell_m=0.0)
    with pytest.raises(ValueError, match="surface_max_cells"):
        Settings(surface_max_cells=0)


def _responsibility_line() -> object:
    # Nodes every 110 m at x = 5, 115, …, 2095; A at node 0, B at node 9 (x = 995): nodes 0–4
    # are nearer A, 5–19 nearer B, and their catchments meet at x = 500. A cut-off street at
    # x 3005–3115 reaches neither.
    nodes = [(5 + 110 * k, 5) for k in range(20)] + [(3005, 5), (3115, 5)]
    edges = [(k, k + 1) for k in range(19)] + [(20, 21)]
    return dataset(
        network(nodes, edges),
        communities=[{"community_id": "U", "name": "东风社区", "kind": "urban", "box": (-100, -100, 2200, 110)},
                     {"community_id": "V", "name": "西风社区", "kind": "urban", "box": (2900, -100, 3300, 110)}],
        facilities=[{"facility_id": "A", "category": "health", "xy": (5, 5), "name": "甲", "floor_area_m2": 200.0},
                    {"facility_id": "B", "category": "health", "xy": (995, 5), "name": "乙", "capacity": 25.0}],
        population=[{"population": 10.0, "households": 4.0, "xy": (205, 5)},
                    {"population": 20.0, "households": 8.0, "xy": (705, 5)},
                    {"population": 30.0, "households": 10.0, "xy": (1505, 5)},
                    {"population": 40.0, "households": 15.0, "xy": (3005, 5)}])


def test_responsibility_areas_by_hand() -> None:
    result = analyze(_responsibility_line(), Settings(surface_cell_m=10.0))
    areas = result.responsibility_for(["health"]).set_index("facility_id")
    assert areas["name"].tolist() == ["甲", "乙"]
    assert areas["population"].tolist() == [10.0, 50.0]
    assert areas["households"].tolist() == [4.0, 18.0]
    assert areas["covered_population"].tolist() == [10.0, 50.0]  # 3.2, 4.9 and 7.9 minutes
    assert areas["area_m2"].tolist() == [600 * 210, 1700 * 210]
    assert areas.loc["A", "residents_per_100_m2"] == pytest.approx(5.0)
    assert np.isnan(areas.loc["A", "residents_per_place"]) and np.isnan(areas.loc["B", "residents_per_100_m2"])
    assert areas.loc["B", "residents_per_place"] == pytest.approx(2.0)
    # The areas are the residents' catchments: 500 m is where they meet.
    assert areas.loc["A", "geometry"].bounds == pytest.approx((X0 - 100, Y0 - 100, X0 + 500, Y0 + 110))
    assert areas.loc["B", "geometry"].bounds == pytest.approx((X0 + 500, Y0 - 100, X0 + 2200, Y0 + 110))
    pts = shapely.points(np.array([205, 705, 1505, 3005]) + X0, np.full(4, Y0 + 5))
    assert shapely.contains(areas.loc["A", "geometry"], pts).tolist() == [True, False, False, False]
    assert shapely.contains(areas.loc["B", "geometry"], pts).tolist() == [False, True, True, False]
    # Residents of the areas = residents who can reach a health facility at all (not the 40).
    reachable = result.coverage.population[np.isfinite(result.demand_minutes["health"])].sum()
    assert areas["population"].sum() == reachable == 60.0


def test_households_from_the_community_when_points_have_none() -> None:
    data = _responsibility_line()
    data.population = data.population.drop(columns=["households"])
    data.communities["households"] = [30.0, 10.0]
    data.communities["population"] = [60.0, 40.0]  # 0.5 households per resident in U
    areas = analyze(data, Settings(surface_cell_m=10.0)).responsibility_for(["health"])
    assert areas["households"].tolist() == [5.0, 25.0]


@pytest.mark.skipif(not XIAN.is_dir(), reason="the bundled data set data/xian is missing")
def test_xian_circles_agree_with_the_counts() -> None:
    from geo.dataset_loader import load_dataset
    from planning.access.demand import point_xy

    dataset_ = load_dataset(XIAN)
    result = analyze(dataset_)
    x, y = point_xy(dataset_.population.geometry)
    circles = result.circles.set_index("category")
    cell = result.surfaces.grid.cell_m
    areas = result.responsibility_for(result.categories)
    for cat in result.categories:
        geom = circles.loc[cat, "geometry"]
        covered = result.covered[cat].to_numpy()
        inside = shapely.contains_xy(geom, x, y)
        assert (inside == covered).mean() >= 0.99, cat
        # Every point on the wrong side lies within a cell of the outline (two residents of
        # different minutes sharing a cell, or the simplified outline).
        wrong = np.flatnonzero(inside != covered)
        assert (shapely.distance(shapely.boundary(geom), shapely.points(x[wrong], y[wrong]))
                <= math.sqrt(2) * cell).all(), cat
        mine = areas[areas["category"] == cat]
        reachable = result.coverage.population[np.isfinite(result.demand_minutes[cat])].sum()
        assert mine["population"].sum() == pytest.approx(reachable), cat
        assert mine["covered_population"].sum() == pytest.approx(result.category_summary.loc[cat, "covered_population"])
