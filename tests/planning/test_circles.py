"""Service-circle polygons drawn from the reached network, checked against hand geometry."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely

from planning.access.circles import buffer_circles, reached_segments, service_circles
from planning.access.travel import TravelModel
from planning.settings import Settings
from tests.planning._engine_fixtures import X0, Y0, dataset, grid_network, line_network, network, xy


def _band_area(length_m: float, half_width_m: float) -> float:
    """Area of a straight band with round caps (buffer of a segment), quad_segs=4 polygon."""
    # The round caps are polygons with 4 segments per quarter circle.
    cap = 2 * (8 * 0.5 * half_width_m**2 * math.sin(2 * math.pi / 16))
    return 2 * half_width_m * length_m + cap


def test_line_circle_stops_at_the_remaining_time() -> None:
    # 1500 m road, facility at one end, 10 minutes walking = 750 m of road reached.
    model = TravelModel.for_mode(line_network(3, 750.0), "walk", Settings())
    gdf = service_circles(model, *xy(0.0), minutes=10.0, buffer_m=20.0)
    geom = gdf.geometry.iloc[0]
    minx, miny, maxx, maxy = geom.bounds
    assert (minx - X0, maxx - X0) == pytest.approx((-20.0, 770.0))
    assert (miny - Y0, maxy - Y0) == pytest.approx((-20.0, 20.0))
    assert geom.area == pytest.approx(_band_area(750.0, 20.0), rel=1e-6)


def test_partial_edges_from_a_facility_in_the_middle_of_an_edge() -> None:
    # Facility 30 m off the road beside x = 600 on a 0–1200 m edge pair (nodes every 600 m):
    # it snaps to node 1 (x = 600) with a 0.4-minute access walk; 5 minutes leave 4.6 minutes,
    # 345 m either way.
    model = TravelModel.for_mode(line_network(3, 600.0), "walk", Settings())
    geom = service_circles(model, *xy(600.0, 30.0), minutes=5.0, buffer_m=10.0).geometry.iloc[0]
    minx, miny, maxx, maxy = geom.bounds
    assert minx - X0 == pytest.approx(600 - 345 - 10)
    assert maxx - X0 == pytest.approx(600 + 345 + 10)
    assert maxy - Y0 == pytest.approx(40.0)  # the access walk to the facility is drawn too


def test_reached_segments_on_one_way_street() -> None:
    # A → B one-way, 1000 m at 25 km/h (2.4 min). Facility at B: cars reach it from the whole
    # street in 2.4 min; a facility at A is only reached from A itself (cars cannot go B → A).
    net = network([(0, 0), (1000, 0)], [(0, 1)], classes=["residential"], oneway=[True])
    car = TravelModel.for_mode(net, "car", Settings())
    at_b = np.array([np.inf, 0.0])
    segs = reached_segments(car, at_b, 1.2)  # half the street
    np.testing.assert_allclose(segs[:, :, 0] - X0, [[500.0, 1000.0]])
    at_a = np.array([0.0, np.inf])
    assert len(reached_segments(car, at_a, 1.2)) == 0
    walk = TravelModel.for_mode(net, "walk", Settings())
    segs = reached_segments(walk, at_a, 1000.0 / 75.0 / 4)  # a quarter of the street
    np.testing.assert_allclose(segs[:, :, 0] - X0, [[0.0, 250.0]])


def test_edge_reached_from_both_ends_is_whole() -> None:
    net = line_network(2, 150.0)  # 2 minutes
    walk = TravelModel.for_mode(net, "walk", Settings())
    segs = reached_segments(walk, np.array([0.5, 0.5]), 1.6)  # 1.1 min from each end: all
    np.testing.assert_allclose(segs[:, :, 0] - X0, [[0.0, 150.0]])


def test_per_facility_circles_union_to_the_merged_circle() -> None:
    net = grid_network(6, 100.0)
    model = TravelModel.for_mode(net, "walk", Settings())
    fx = np.array([0.0, 500.0]) + X0
    fy = np.array([0.0, 300.0]) + Y0
    merged = service_circles(model, fx, fy, minutes=4.0, buffer_m=15.0)
    each = service_circles(model, fx, fy, minutes=4.0, buffer_m=15.0, per_facility=True,
                           facility_ids=["a", "b"])
    assert list(each["facility_id"]) == ["a", "b"]
    union = shapely.union_all(each.geometry.to_numpy())
    assert union.symmetric_difference(merged.geometry.iloc[0]).area < 1e-6 * union.area
    # Facility a at a grid corner reaches every node within 3 blocks (4 min = 300 m).
    a = each.geometry.iloc[0]
    assert a.contains(shapely.Point(X0 + 300, Y0)) and a.contains(shapely.Point(X0, Y0 + 300))
    assert not a.intersects(shapely.Point(X0 + 200, Y0 + 200))  # 400 m away


def test_network_circle_is_smaller_than_the_straight_line_buffer() -> None:
    net = grid_network(6, 100.0)
    model = TravelModel.for_mode(net, "walk", Settings())
    network_circle = service_circles(model, *xy(200.0, 200.0), minutes=4.0, buffer_m=25.0)
    disc = buffer_circles(*xy(200.0, 200.0), minutes=4.0, speed_m_per_min=75.0, crs=net.crs)
    assert disc["radius_m"].iloc[0] == 300.0
    assert disc.geometry.iloc[0].area == pytest.approx(math.pi * 300**2, rel=0.01)
    assert network_circle.geometry.iloc[0].area < disc.geometry.iloc[0].area


def test_no_facilities_gives_an_empty_circle() -> None:
    model = TravelModel.for_mode(line_network(3, 100.0), "walk", Settings())
    gdf = service_circles(model, np.zeros(0), np.zeros(0), minutes=15.0)
    assert gdf.geometry.iloc[0].is_empty and gdf["facilities"].iloc[0] == 0


def test_merged_circle_uses_each_communitys_own_circle() -> None:
    # The 12 km town-and-village road of test_coverage: health at x = 0. Town residents walk
    # 15 minutes (1125 m); villagers ride 30 minutes by e-bike (7500 m), shown only inside the
    # village (x 6000–12000).
    from planning.access.analysis import analyze
    from tests.planning.test_coverage import COMMUNITIES, POPULATION

    data = dataset(line_network(161, 75.0), communities=COMMUNITIES,
                   facilities=[{"facility_id": "h1", "category": "health", "xy": (0, 0)}],
                   population=POPULATION)
    result = analyze(data, Settings())
    geom = result.circles.set_index("category").loc["health", "geometry"]
    parts = sorted(shapely.get_parts(geom), key=lambda g: g.bounds[0])
    assert len(parts) == 2
    assert (parts[0].bounds[0] - X0, parts[0].bounds[2] - X0) == pytest.approx((-35.0, 1160.0), abs=1e-3)
    assert (parts[1].bounds[0] - X0, parts[1].bounds[2] - X0) == pytest.approx((6000.0, 7535.0), abs=1e-3)
    per_kind = result.service_circle("health")
    assert list(per_kind["kind"]) == ["urban", "rural"] and list(per_kind["mode"]) == ["walk", "ebike"]
