"""Service circles and rings drawn from the travel-time surface, checked against hand geometry.

The grids here use cells of 10 m whose edges fall on multiples of 10 m (the origin X0, Y0 is a
multiple too), and the roads run through cell centres (local coordinates ending in 5), so that
every point below sits at a cell centre and the answers can be worked out by hand: a resident
snaps to the nearest node, walks there in a straight line at 75 m/min and then takes the
network, exactly as the coverage counts.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely

from planning.access.analysis import analyze
from planning.access.circles import buffer_circles, point_circles, ring_polygons, service_circle
from planning.access.surface import travel_surfaces
from planning.settings import Settings
from tests.planning._engine_fixtures import X0, Y0, dataset, network

CELL = Settings(surface_cell_m=10.0)


def _line(n: int, spacing_m: float) -> object:
    """Nodes at (5 + k·spacing, 5), joined in a line (residential)."""
    return network([(5 + k * spacing_m, 5) for k in range(n)], [(k, k + 1) for k in range(n - 1)],
                   classes=["residential"] * (n - 1))


def _inside(geom: shapely.Geometry, pts: list[tuple[float, float]]) -> list[bool]:
    xy = np.asarray(pts, dtype=float)
    return shapely.contains_xy(geom, xy[:, 0] + X0, xy[:, 1] + Y0).tolist()


def test_circle_follows_the_snap_to_the_nearest_node() -> None:
    # Nodes at x = 5, 755, 1505; health at the first. 10 minutes walking: a resident west of
    # x = 380 (nearer node 0) walks at most 383 m; east of it they snap to node 1, already 10
    # minutes away, so only the one standing on it is inside (exactly 10 minutes counts).
    pts = [(5, 5), (375, 5), (385, 5), (755, 5), (765, 5), (375, 105)]
    data = dataset(_line(3, 750.0),
                   communities=[{"community_id": "U", "name": "东风社区", "kind": "urban",
                                 "box": (-100, -100, 1600, 110)}],
                   facilities=[{"facility_id": "h", "category": "health", "xy": (5, 5)}],
                   population=[{"population": 1.0, "xy": p} for p in pts])
    result = analyze(data, Settings(surface_cell_m=10.0, urban_circle_minutes=10.0))
    np.testing.assert_allclose(result.demand_minutes["health"],
                               [0, 370 / 75, 10 + 370 / 75, 10, 10 + 10 / 75, math.hypot(370, 100) / 75])
    covered = result.covered["health"].tolist()
    assert covered == [True, True, False, True, False, True]
    circle = result.circles.set_index("category").loc["health", "geometry"]
    assert _inside(circle, pts) == covered
    # The box west of x = 380 and the one cell on node 1.
    assert circle.area == pytest.approx(480 * 210 + 10 * 10)
    assert circle.bounds == pytest.approx((X0 - 100, Y0 - 100, X0 + 760, Y0 + 110))


def test_surface_is_the_coverage_rule_at_every_cell_centre() -> None:
    # A grid street plan with long walk legs (the area reaches 700 m beyond the roads) and a
    # 20 m driveway cut off from it (too small to snap to): every cell's minutes equal the
    # coverage minutes of a resident standing at its centre.
    nodes = [(5 + 100 * i, 5 + 100 * j) for j in range(5) for i in range(50)]
    edges = [(j * 50 + i, j * 50 + i + 1) for j in range(5) for i in range(49)]
    edges += [(j * 50 + i, (j + 1) * 50 + i) for j in range(4) for i in range(50)]
    nodes += [(1005, 1005), (1025, 1005)]  # the cut-off driveway: 2 of 252 nodes
    edges += [(250, 251)]
    data = dataset(network(nodes, edges),
                   communities=[{"community_id": "U", "name": "东风社区", "kind": "urban",
                                 "box": (-100, -100, 5000, 1100)}],
                   facilities=[{"facility_id": "a", "category": "health", "xy": (4905, 405)},
                               {"facility_id": "b", "category": "health", "xy": (1015, 1005)}],
                   population=[{"population": 1.0, "xy": (1015, 995)}])
    result = analyze(data, CELL)
    minutes, grid = result.surface("health")
    assert grid.cell_m == 10.0 and minutes.shape == (122, 512)
    cells = np.flatnonzero(np.isfinite(minutes.ravel()))
    x, y = grid.centres(cells)
    model = result.surfaces.model("urban")
    fac = data.facilities.geometry
    expected = model.minutes_to_nearest(fac.x.to_numpy(), fac.y.to_numpy(), x, y, limit_minutes=np.inf)
    np.testing.assert_allclose(minutes.ravel()[cells], expected, rtol=1e-6)
    # Facility b stands on the driveway, which is not snapped to: b walks to the street node
    # (1005, 405), 600.1 m away, and so does the resident beside it (590.1 m).
    assert result.demand_minutes.loc[0, "health"] == pytest.approx((math.hypot(10, 600) + math.hypot(10, 590)) / 75)
    # The 15-minute circle holds exactly the cell centres within 15 minutes.
    circle = result.circles.geometry.iloc[0]
    inside = shapely.contains_xy(circle, x, y)
    np.testing.assert_array_equal(inside, expected <= 15.0 + 1e-6)


def test_village_beside_a_town_takes_its_own_mode_and_time() -> None:
    # Town x 0–2000 (walk, 15 min), village x 2000–4000 (e-bike 250 m/min, 30 min); health at
    # the village's east end (x = 3905). The whole village is within 8 minutes' ride; the town's
    # nearest resident walks 1900 m (25 min): the circle stops exactly at the village edge.
    pts = [(1995, 5), (2005, 5), (3995, 105), (2005, 105)]
    data = dataset(_line(40, 100.0),
                   communities=[{"community_id": "U", "name": "东风社区", "kind": "urban",
                                 "box": (0, -100, 2000, 110)},
                                {"community_id": "R", "name": "桃园村", "box": (2000, -100, 4000, 110)}],
                   facilities=[{"facility_id": "h", "category": "health", "xy": (3905, 5)}],
                   population=[{"population": 1.0, "xy": p} for p in pts])
    result = analyze(data, CELL)
    assert result.covered["health"].tolist() == [False, True, True, True]
    circle = result.circles.geometry.iloc[0]
    assert _inside(circle, pts) == [False, True, True, True]
    assert circle.bounds == pytest.approx((X0 + 2000, Y0 - 100, X0 + 4000, Y0 + 110))
    assert circle.area == pytest.approx(2000 * 210)
    # A new site in the town at x = 1905: villagers ride, so its circle runs to the village's
    # far end (9.8 minutes); townspeople walk: node 805 is 14.67 minutes away, which leaves
    # 25 m of walk, so the westmost cell inside is the one centred at x = 785.
    town_circle = point_circles(result.surfaces, np.array([X0 + 1905]), np.array([Y0 + 5]),
                                {"urban": 15.0, "rural": 30.0})[0]
    assert town_circle.bounds[2] == pytest.approx(X0 + 4000)
    assert town_circle.bounds[0] == pytest.approx(X0 + 780, abs=4.0)


def test_rings_are_bands_of_the_surface() -> None:
    # Health at x = 5 on a line with nodes every 100 m; rings 5/10/15 minutes.
    pts = [(305, 5), (505, 5), (905, 5), (1305, 5)]  # 4, 6.67, 12, 17.3 minutes
    data = dataset(_line(20, 100.0),
                   communities=[{"community_id": "U", "name": "东风社区", "kind": "urban",
                                 "box": (-100, -100, 2000, 110)}],
                   facilities=[{"facility_id": "h", "category": "health", "xy": (5, 5)}],
                   population=[{"population": 1.0, "xy": p} for p in pts])
    result = analyze(data, CELL)
    rings = result.rings_for(["health"])
    assert rings["ring"].tolist() == [1, 2, 3]
    assert rings["urban_minutes"].tolist() == [5.0, 10.0, 15.0]
    assert rings["rural_minutes"].tolist() == [10.0, 20.0, 30.0]
    inside = np.array([_inside(g, pts) for g in rings.geometry])
    np.testing.assert_array_equal(inside, [[True, False, False, False],
                                           [False, True, False, False],
                                           [False, False, True, False]])
    # Together the bands are the 15-minute circle (up to the simplified outlines).
    union = shapely.union_all(rings.geometry.to_numpy())
    circle = result.circles.geometry.iloc[0]
    assert union.symmetric_difference(circle).area < 0.01 * circle.area
    # Other ring times through the settings, and directly.
    other = analyze(data, Settings(surface_cell_m=10.0, urban_ring_minutes=(3.0, 6.0)))
    assert other.rings_for(["health"])["urban_minutes"].tolist() == [3.0, 6.0]
    bands = ring_polygons(result.surfaces, "health", {"urban": [5.0]})
    assert len(bands) == 1 and bands[0].equals(rings.geometry.iloc[0])


def test_site_circles_union_to_the_merged_circle() -> None:
    nodes = [(5 + 100 * i, 5 + 100 * j) for j in range(6) for i in range(6)]
    edges = [(j * 6 + i, j * 6 + i + 1) for j in range(6) for i in range(5)]
    edges += [(j * 6 + i, (j + 1) * 6 + i) for j in range(5) for i in range(6)]
    sites = [(5, 5), (505, 305)]
    data = dataset(network(nodes, edges),
                   communities=[{"community_id": "U", "name": "东风社区", "kind": "urban",
                                 "box": (-100, -100, 610, 610)}],
                   facilities=[{"facility_id": f"s{k}", "category": "health", "xy": p} for k, p in enumerate(sites)],
                   population=[])
    surfaces = travel_surfaces(data, CELL)
    xy = np.asarray(sites, dtype=float) + [X0, Y0]
    each = point_circles(surfaces, xy[:, 0], xy[:, 1], {"urban": 4.0})
    merged = service_circle(surfaces, "health", {"urban": 4.0})
    union = shapely.union_all(each)
    assert union.symmetric_difference(merged).area < 0.01 * merged.area
    # Site 0 at a grid corner reaches the nodes 3 blocks away (300 m = 4 min) but not (205, 205).
    assert _inside(each[0], [(305, 5), (5, 305)]) == [True, True]
    assert _inside(each[0], [(205, 205)]) == [False]


def test_network_circle_lies_inside_the_straight_line_buffer() -> None:
    # Every path is at least as long as the straight line: the circle fits in the disc.
    nodes = [(5 + 100 * i, 5 + 100 * j) for j in range(6) for i in range(6)]
    edges = [(j * 6 + i, j * 6 + i + 1) for j in range(6) for i in range(5)]
    edges += [(j * 6 + i, (j + 1) * 6 + i) for j in range(5) for i in range(6)]
    data = dataset(network(nodes, edges),
                   communities=[{"community_id": "U", "name": "东风社区", "kind": "urban",
                                 "box": (-300, -300, 900, 900)}],
                   facilities=[{"facility_id": "h", "category": "health", "xy": (205, 205)}],
                   population=[])
    result = analyze(data, Settings(surface_cell_m=10.0, urban_circle_minutes=4.0))
    circle = result.circles.geometry.iloc[0]
    disc = buffer_circles(np.array([X0 + 205]), np.array([Y0 + 205]), minutes=4.0, speed_m_per_min=75.0,
                          crs=data.crs)
    assert disc["radius_m"].iloc[0] == 300.0
    assert disc.geometry.iloc[0].area == pytest.approx(math.pi * 300**2, rel=0.01)
    assert circle.difference(disc.geometry.iloc[0]).area < 10 * 10 * 4  # a few cell corners
    assert circle.area < 0.8 * disc.geometry.iloc[0].area
    assert result.buffer_circle("health")["radius_m"].tolist() == [300.0]


def test_no_facilities_gives_an_empty_circle() -> None:
    data = dataset(_line(3, 100.0),
                   communities=[{"community_id": "U", "name": "东风社区", "kind": "urban",
                                 "box": (-100, -100, 300, 110)}],
                   facilities=[{"facility_id": "h", "category": "health", "xy": (5, 5)}],
                   population=[{"population": 1.0, "xy": (105, 5)}])
    result = analyze(data, CELL, categories=["health", "elderly_care"])
    circles = result.circles.set_index("category")
    assert circles.loc["elderly_care", "geometry"].is_empty and circles.loc["elderly_care", "facilities"] == 0
    assert not circles.loc["health", "geometry"].is_empty
    assert result.rings_for(["elderly_care"]).geometry.is_empty.all()
    assert len(result.responsibility_for(["elderly_care"])) == 0
    minutes, _ = result.surface("elderly_care")
    assert np.isinf(minutes[np.isfinite(minutes) | np.isinf(minutes)]).all()
    with pytest.raises(ValueError, match="not analysed"):
        result.circles_for(["police"])
