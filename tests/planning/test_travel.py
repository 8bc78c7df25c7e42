"""Travel times on small graphs whose answers are worked out by hand."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest

from geo.network import RoadNetwork
from planning.access.travel import TravelModel, max_speed_m_per_min, snappable_nodes
from planning.settings import Settings
from tests.planning._engine_fixtures import X0, Y0, grid_network, line_network, network, xy


def test_line_walk_minutes_and_access_leg() -> None:
    # 0 — 300 — 600 — 900 m: 4 minutes per edge at 75 m/min.
    net = line_network(4, 300.0)
    model = TravelModel.for_mode(net, "walk", Settings())
    fx, fy = xy(900.0)
    tx = np.array([0.0, 300.0, 0.0, 900.0]) + X0
    ty = np.array([0.0, 0.0, 150.0, 0.0]) + Y0
    got = model.minutes_to_nearest(fx, fy, tx, ty, limit_minutes=np.inf)
    # The third point stands 150 m off the road: 2 minutes of walking to node 0, then 12.
    np.testing.assert_allclose(got, [12.0, 8.0, 14.0, 0.0])


def test_facility_access_leg_is_added_too() -> None:
    net = line_network(3, 300.0)
    model = TravelModel.for_mode(net, "walk", Settings())
    # The facility stands 75 m beside node 2: +1 minute at the facility end.
    got = model.minutes_to_nearest(*xy(600.0, 75.0), *xy(0.0), limit_minutes=np.inf)
    np.testing.assert_allclose(got, [9.0])


def test_grid_times_from_a_corner() -> None:
    # 4 x 4 grid with 150 m blocks: 2 minutes per block; Manhattan distance in blocks × 2.
    n = 4
    net = grid_network(n, 150.0)
    model = TravelModel.for_mode(net, "walk", Settings())
    node_x = net.node_x
    node_y = net.node_y
    got = model.minutes_to_nearest(*xy(0.0, 0.0), node_x, node_y, limit_minutes=np.inf)
    expected = [2.0 * (i + j) for i in range(n) for j in range(n)]
    np.testing.assert_allclose(got, expected)


def test_nearest_of_several_facilities_and_limit() -> None:
    net = grid_network(4, 150.0)
    model = TravelModel.for_mode(net, "walk", Settings())
    fx = np.array([0.0, 450.0]) + X0
    fy = np.array([0.0, 450.0]) + Y0
    got = model.minutes_to_nearest(fx, fy, net.node_x, net.node_y, limit_minutes=np.inf)
    expected = [2.0 * min(i + j, 6 - i - j) for i in range(4) for j in range(4)]
    np.testing.assert_allclose(got, expected)
    # With a 4-minute limit, the nodes 6 minutes from both corners become unreachable.
    limited = model.minutes_to_nearest(fx, fy, net.node_x, net.node_y, limit_minutes=4.0)
    np.testing.assert_allclose(limited, [e if e <= 4.0 else np.inf for e in expected])


def test_one_way_street_gives_different_times_each_way_by_car() -> None:
    # A(0,0) → B(1000,0) is one-way (residential, 25 km/h = 416.67 m/min: 2.4 min);
    # the way back goes round through C(500,500): 2 × 707.107 m = 3.3941 min.
    net = network([(0, 0), (1000, 0), (500, 500)], [(0, 1), (1, 2), (2, 0)],
                  classes=["residential"] * 3, oneway=[True, False, False])
    car = TravelModel.for_mode(net, "car", Settings())
    speed = 25_000.0 / 60.0
    a_to_b = car.minutes_to_nearest(*xy(1000.0), *xy(0.0), limit_minutes=np.inf)
    b_to_a = car.minutes_to_nearest(*xy(0.0), *xy(1000.0), limit_minutes=np.inf)
    np.testing.assert_allclose(a_to_b, [1000.0 / speed])
    np.testing.assert_allclose(b_to_a, [2 * math.hypot(500, 500) / speed])
    # Walking ignores one-way streets: 1000 m both ways.
    walk = TravelModel.for_mode(net, "walk", Settings())
    np.testing.assert_allclose(walk.minutes_to_nearest(*xy(0.0), *xy(1000.0), limit_minutes=np.inf),
                               [1000.0 / 75.0])


def test_car_speed_depends_on_road_class() -> None:
    net = network([(0, 0), (1500, 0), (3000, 0)], [(0, 1), (1, 2)], classes=["primary", "residential"])
    settings = Settings(car_speeds_km_per_h={"primary": 45.0, "residential": 30.0})
    car = TravelModel.for_mode(net, "car", settings)
    # 1.5 km at 45 km/h = 2 min, 1.5 km at 30 km/h = 3 min.
    got = car.minutes_to_nearest(*xy(3000.0), *xy(0.0), limit_minutes=np.inf)
    np.testing.assert_allclose(got, [5.0])


def test_disconnected_component_is_unreachable() -> None:
    net = network([(0, 0), (300, 0), (5000, 0), (5300, 0)], [(0, 1), (2, 3)])
    model = TravelModel.for_mode(net, "walk", Settings())
    got = model.minutes_to_nearest(*xy(5300.0), np.array([0.0, 5000.0]) + X0, np.array([0.0, 0.0]) + Y0,
                                   limit_minutes=np.inf)
    assert np.isinf(got[0])
    assert got[1] == pytest.approx(4.0)


def test_points_next_to_a_cut_off_fragment_walk_on_to_the_connected_network() -> None:
    # A 1,990 m street (200 nodes every 10 m) and, 100 m off it, a 10 m driveway piece that
    # joins nothing: 2 nodes, under 50 and under 1 % of 202 nodes.
    nodes = [(10.0 * i, 0.0) for i in range(200)] + [(500.0, 100.0), (510.0, 100.0)]
    edges = [(i, i + 1) for i in range(199)] + [(200, 201)]
    net = network(nodes, edges)
    facility, resident = xy(0.0), xy(500.0, 95.0)  # the resident is 5 m from the driveway
    got = TravelModel.for_mode(net, "walk", Settings()).minutes_to_nearest(*facility, *resident,
                                                                           limit_minutes=np.inf)
    # Walks 95 m to the street, then 500 m along it: 595 m at 75 m/min.
    assert got[0] == pytest.approx(595.0 / 75.0)
    every_piece = TravelModel.for_mode(net, "walk", Settings(min_piece_nodes=0))
    assert np.isinf(every_piece.minutes_to_nearest(*facility, *resident, limit_minutes=np.inf)[0])


def test_no_facilities_means_everything_unreachable() -> None:
    model = TravelModel.for_mode(line_network(3, 100.0), "walk", Settings())
    got = model.minutes_to_nearest(np.zeros(0), np.zeros(0), *xy(0.0), limit_minutes=15.0)
    assert np.isinf(got).all()


def test_elderly_profile_walks_slower() -> None:
    net = line_network(3, 300.0)
    standard = TravelModel.for_mode(net, "walk", Settings())
    elderly = TravelModel.for_mode(net, "walk", Settings(profile="elderly"))
    target = xy(0.0, 60.0)  # 60 m off the road
    got_s = standard.minutes_to_nearest(*xy(600.0), *target, limit_minutes=np.inf)
    got_e = elderly.minutes_to_nearest(*xy(600.0), *target, limit_minutes=np.inf)
    np.testing.assert_allclose(got_s, [660.0 / 75.0])
    np.testing.assert_allclose(got_e, [660.0 / 60.0])  # the access walk is slower too


def test_ebike_skips_motorways_and_walk_too() -> None:
    # A motorway shortcut (1 km) and a long residential detour (2 × 1118 m).
    net = network([(0, 0), (1000, 0), (500, 1000)], [(0, 1), (1, 2), (2, 0)],
                  classes=["motorway", "residential", "residential"])
    detour = 2 * math.hypot(500, 1000)
    ebike = TravelModel.for_mode(net, "ebike", Settings())
    np.testing.assert_allclose(ebike.minutes_to_nearest(*xy(1000.0), *xy(0.0), limit_minutes=np.inf),
                               [detour / 250.0])
    car = TravelModel.for_mode(net, "car", Settings(car_speeds_km_per_h={"motorway": 60.0,
                                                                        "residential": 30.0}))
    np.testing.assert_allclose(car.minutes_to_nearest(*xy(1000.0), *xy(0.0), limit_minutes=np.inf),
                               [1.0])


def test_models_are_cached_per_network_mode_and_speed() -> None:
    net = line_network(3, 100.0)
    a = TravelModel.for_mode(net, "walk", Settings())
    assert TravelModel.for_mode(net, "walk", Settings()) is a
    assert TravelModel.for_mode(net, "walk", Settings(walk_speed_m_per_min=80.0)) is not a
    assert TravelModel.for_mode(net, "ebike", Settings()) is not a
    # Changing something the walk model does not depend on keeps the cached model.
    assert TravelModel.for_mode(net, "walk", Settings(urban_circle_minutes=10)) is a


def test_matrix_and_reverse_are_transposes() -> None:
    net = network([(0, 0), (100, 0), (100, 100)], [(0, 1), (1, 2)], oneway=[True, False])
    car = TravelModel.for_mode(net, "car", Settings())
    assert car.matrix[0, 1] > 0 and car.matrix[1, 0] == 0
    assert (car.reverse != car.matrix.T).nnz == 0
    assert car.node_mask.all()


def test_matches_networkx_on_a_random_graph() -> None:
    rng = np.random.default_rng(3)
    n = 300
    pts = rng.uniform(0, 3000, size=(n, 2))
    edges = {(i, int(j)) for i in range(n) for j in rng.choice(n, 3, replace=False) if i != j}
    edges_l = sorted(edges)
    oneway = rng.random(len(edges_l)) < 0.3
    net = network([tuple(p) for p in pts], edges_l, oneway=list(oneway))
    car = TravelModel.for_mode(net, "car", Settings())
    facilities = rng.choice(n, 5, replace=False)
    got = car.minutes_to_nearest(net.node_x[facilities], net.node_y[facilities], net.node_x, net.node_y,
                                 limit_minutes=np.inf)
    # Independent reference: networkx on the directed graph, searching backwards from facilities.
    speed = 25_000.0 / 60.0
    g = nx.DiGraph()
    g.add_nodes_from(range(n))
    for (u, v), ow in zip(zip(net.edge_u, net.edge_v), net.edge_oneway):
        w = float(np.hypot(net.node_x[u] - net.node_x[v], net.node_y[u] - net.node_y[v])) / speed
        for a, b in [(u, v)] if ow else [(u, v), (v, u)]:
            if not g.has_edge(a, b) or g[a][b]["w"] > w:
                g.add_edge(int(a), int(b), w=w)
    ref = nx.multi_source_dijkstra_path_length(g.reverse(copy=True), {int(f) for f in facilities}, weight="w")
    expected = np.array([ref.get(i, np.inf) for i in range(n)])
    np.testing.assert_allclose(got, expected, rtol=1e-9)


def test_bad_mode_and_settings_are_rejected() -> None:
    with pytest.raises(ValueError, match="travel mode"):
        TravelModel.for_mode(line_network(2, 10.0), "plane", Settings())
    with pytest.raises(ValueError, match="walk_speed_m_per_min"):
        Settings(walk_speed_m_per_min=0)
    with pytest.raises(ValueError, match="rural_mode"):
        Settings(rural_mode="boat")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Unknown road class"):
        TravelModel.for_mode(line_network(2, 10.0), "car", Settings(car_speeds_km_per_h={"autobahn": 100}))


def test_many_points_snap_like_a_plain_nearest_node_query() -> None:
    # Above 50,000 points the query runs in spatial order; the answer must not change.
    rng = np.random.default_rng(7)
    net = grid_network(30, 40.0)
    model = TravelModel.for_mode(net, "walk", Settings())
    x = rng.uniform(-3000, 4000, 60_000) + X0  # some far outside the 500 m first pass
    y = rng.uniform(-3000, 4000, 60_000) + Y0
    node, access = model.snap(x, y)
    ref_node, ref_dist = net.snap(x, y)
    np.testing.assert_allclose(access, ref_dist / 75.0)
    # Ties between equidistant nodes may resolve either way; the distances must match.
    same = node == ref_node
    assert same.mean() > 0.99
    np.testing.assert_allclose(np.hypot(net.node_x[node] - x, net.node_y[node] - y), ref_dist)


def test_settings_pickle_and_keep_their_own_car_speeds() -> None:
    import pickle

    speeds = {"primary": 40.0}
    settings = Settings(car_speeds_km_per_h=speeds)
    speeds["primary"] = 5.0
    assert settings.car_speeds_km_per_h["primary"] == 40.0
    assert pickle.loads(pickle.dumps(settings)) == settings


def test_snappable_nodes_is_the_travel_models_snapping_mask() -> None:
    # The street and driveway of the cut-off-fragment test, plus a motorway stub walkers may not use.
    nodes = [(10.0 * i, 0.0) for i in range(200)] + [(500.0, 100.0), (510.0, 100.0), (0.0, 50.0), (20.0, 50.0)]
    edges = [(i, i + 1) for i in range(199)] + [(200, 201), (202, 203)]
    net = network(nodes, edges, classes=["residential"] * 200 + ["motorway"])
    for mode in ("walk", "ebike", "car"):
        for settings in (Settings(), Settings(min_piece_nodes=0)):
            mask = snappable_nodes(net, mode, settings)
            np.testing.assert_array_equal(mask, TravelModel.for_mode(net, mode, settings).node_mask)
    walk = snappable_nodes(net, "walk", Settings())
    assert walk[:200].all() and not walk[200:].any()  # the driveway is too small, the motorway closed
    every_piece = Settings(min_piece_nodes=0)
    assert snappable_nodes(net, "car", every_piece)[202:].all()  # cars take the motorway stub
    assert not snappable_nodes(net, "walk", every_piece)[202:].any()


def test_fastest_straight_line_progress_of_each_mode() -> None:
    net = line_network(3, 100.0)
    assert max_speed_m_per_min(net, "walk", Settings()) == 75.0
    assert max_speed_m_per_min(net, "walk", Settings(profile="elderly")) == 60.0
    assert max_speed_m_per_min(net, "ebike", Settings()) == pytest.approx(15_000 / 60)
    assert max_speed_m_per_min(net, "car", Settings()) == pytest.approx(90_000 / 60)  # motorways
    # Never below walking speed: the walk to and from the road is part of every trip.
    assert max_speed_m_per_min(net, "car", Settings(car_speeds_km_per_h={"residential": 3.0})) == 75.0
    # An edge stored at half its straight length lets a trip get twice as far.
    short = RoadNetwork.from_arrays(crs=net.crs, node_x=net.node_x, node_y=net.node_y, edge_u=np.array([0, 1]),
                                    edge_v=np.array([1, 2]), edge_length_m=np.array([100.0, 50.0]))
    assert max_speed_m_per_min(short, "walk", Settings()) == pytest.approx(150.0)
