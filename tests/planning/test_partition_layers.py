"""The polygons an area is split by, who owns each resident, and the halo plan (no cluster needed)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo._errors import DataError
from geo.dataset_loader import load_dataset
from planning.access.coverage import coverage
from planning.distributed.layers import owners, partition_layer
from planning.distributed.plan import plan_partitions
from planning.distributed.tasks import compute_partition, partition_minutes
from planning.settings import Settings
from tests.geo._toy import toy_layers
from tests.planning._engine_fixtures import X0, dataset, line_network, local_box
from tests.planning._region import counties, region_dataset


def _boxes(*boxes: tuple[float, float, float, float]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"partition_id": [f"P{i}" for i in range(len(boxes))],
                             "name": [f"P{i}" for i in range(len(boxes))]},
                            geometry=[shapely.box(*b) for b in boxes], crs="EPSG:32650")


def test_owner_is_the_first_polygon_touching_else_the_nearest() -> None:
    parts = _boxes((0, 0, 10, 10), (10, 0, 20, 10))
    x = np.array([5.0, 10.0, 15.0, 26.0, -1.0, 20.0])
    y = np.array([5.0, 5.0, 5.0, 5.0, 5.0, 10.0])
    owner, outside = owners(x, y, parts)
    # Inside the first; on the shared border (first of the two); inside the second; 6 m east of
    # the second; 1 m west of the first; on the second's corner.
    np.testing.assert_array_equal(owner, [0, 0, 1, 1, 0, 1])
    assert outside == 2


def test_grid_cells_cover_the_data() -> None:
    ds = region_dataset(residents=200)
    parts = partition_layer(ds, "grid:2x3")
    assert list(parts["partition_id"]) == ["r1c1", "r1c2", "r1c3", "r2c1", "r2c2", "r2c3"]
    x0, y0, x1, y1 = parts.total_bounds
    assert x0 <= ds.roads.node_x.min() and x1 >= ds.population.total_bounds[2]
    assert parts.geometry.iloc[0].bounds[3] == pytest.approx(y1)  # row 1 is the north
    assert parts.area.sum() == pytest.approx((x1 - x0) * (y1 - y0))
    assert list(partition_layer(ds, "grid:4")["partition_id"]) == ["r1c1", "r1c2", "r2c1", "r2c2"]
    assert len(partition_layer(ds, "grid:6")) == 6  # 2 × 3


def test_communities_and_their_columns() -> None:
    ds = region_dataset(residents=200)
    by_community = partition_layer(ds, "communities")
    assert list(by_community["partition_id"]) == list(ds.communities["community_id"])
    by_district = partition_layer(ds, "district")
    assert sorted(by_district["partition_id"]) == ["东区", "西区"]
    west = by_district.set_index("partition_id").geometry["西区"]
    assert west.area == pytest.approx(3000.0 * 6000.0)  # four 750 m columns, dissolved


def test_column_without_values_is_refused() -> None:
    ds = region_dataset(residents=200)
    ds.communities["street"] = None
    with pytest.raises(DataError, match="no values in column 'street'"):
        partition_layer(ds, "street")


def test_polygon_file_with_ids_and_without(tmp_path: Path) -> None:
    ds = region_dataset(residents=200)
    path = tmp_path / "counties.gpkg"
    counties().to_file(path, driver="GPKG", engine="pyogrio")
    parts = partition_layer(ds, str(path))
    assert list(parts["partition_id"]) == list(counties()["county_id"])
    assert parts.crs == ds.crs
    assert parts.geometry.iloc[0].equals_exact(counties().geometry.iloc[0], tolerance=1e-3)
    bare = tmp_path / "bare.geojson"
    counties()[["geometry"]].to_file(bare, driver="GeoJSON", engine="pyogrio")
    assert list(partition_layer(ds, str(bare))["partition_id"]) == [str(i) for i in range(1, 10)]


def test_points_are_not_a_partition_layer(tmp_path: Path) -> None:
    ds = region_dataset(residents=200)
    path = tmp_path / "points.geojson"
    ds.facilities.to_file(path, driver="GeoJSON", engine="pyogrio")
    with pytest.raises(DataError, match="must hold polygons"):
        partition_layer(ds, str(path))


def test_layer_of_the_data_sets_geopackage(tmp_path: Path) -> None:
    folder = tmp_path / "toy"
    folder.mkdir()
    gpkg = folder / "dataset.gpkg"
    for name, frame in toy_layers().items():
        frame.to_crs(4326).to_file(gpkg, layer=name, driver="GPKG", engine="pyogrio")
    halves = gpd.GeoDataFrame({"county_id": ["W", "E"], "name": ["西县", "东县"]},
                              geometry=[shapely.box(660_000, 3_505_000, 661_000, 3_507_000),
                                        shapely.box(661_000, 3_505_000, 662_000, 3_507_000)], crs="EPSG:32650")
    halves.to_crs(4326).to_file(gpkg, layer="counties", driver="GPKG", engine="pyogrio")
    ds = load_dataset(folder)
    parts = partition_layer(ds, "counties")
    assert list(parts["partition_id"]) == ["W", "E"] and list(parts["name"]) == ["西县", "东县"]
    with pytest.raises(DataError, match="neither a file, a layer of the data set"):
        partition_layer(ds, "provinces")


def test_plan_snaps_once_and_keeps_only_the_halo() -> None:
    # Road x = 0..3000 (nodes every 100 m); residents at 500 (west part) and 2500 (east part);
    # walking 15 min: halo 1125 m + 0 m snap walk + 1 m. West needs nodes 0..1600, east 1400..3000
    # (the grid the halo is found on may add a node or two beyond).
    ds = dataset(line_network(31, 100.0),
                 communities=[{"community_id": "c", "name": "c社区", "kind": "urban", "box": (-50, -50, 3050, 50)}],
                 facilities=[{"facility_id": "f", "category": "health", "xy": (1500.0, 0.0)}],
                 population=[{"population": 1.0, "xy": (500.0, 0.0)}, {"population": 1.0, "xy": (2500.0, 0.0)}])
    parts = gpd.GeoDataFrame({"partition_id": ["W", "E"], "name": ["W", "E"]},
                             geometry=[local_box(0, -10, 1500, 10), local_box(1500, -10, 3000, 10)], crs=ds.crs)
    x, y = ds.population.geometry.x.to_numpy(), ds.population.geometry.y.to_numpy()
    plan = plan_partitions(ds, Settings(), ["health"], parts, x=x, y=y, mode=np.array(["walk", "walk"]),
                           circle_minutes=np.array([15.0, 15.0]))
    assert plan.halos["walk"].radius_m == pytest.approx(1126.0, abs=1e-3)
    west, east = plan.partitions
    west_x = west.task.jobs[0].network.node_x - X0
    east_x = east.task.jobs[0].network.node_x - X0
    assert west_x.min() == 0.0 and 1600.0 <= west_x.max() <= 1800.0
    assert east_x.max() == pytest.approx(3000.0) and 1200.0 <= east_x.min() <= 1400.0
    # The facility at 1500 lies in both halos; each part has it on its own node numbering.
    job = east.task.jobs[0]
    assert job.network.node_x[job.facility_node["health"][0]] - X0 == pytest.approx(1500.0)
    assert job.network.node_x[job.resident_node[0]] - X0 == pytest.approx(2500.0)
    # Each partition's minutes, without a cluster: 1000 m from the facility's node.
    assert compute_partition(east.task)[0][0, 0] == pytest.approx(1000.0 / 75.0)
    assert partition_minutes(west.task).minutes[0][0, 0] == pytest.approx(1000.0 / 75.0)


def test_coverage_takes_its_minutes_from_the_given_function() -> None:
    ds = dataset(line_network(3, 100.0),
                 communities=[{"community_id": "c", "name": "c村", "kind": "rural", "box": (-50, -50, 250, 50)}],
                 facilities=[{"facility_id": "f", "category": "health", "xy": (0.0, 0.0)}],
                 population=[{"population": 2.0, "xy": (0.0, 0.0)}, {"population": 3.0, "xy": (200.0, 0.0)}])
    seen = {}

    def fixed(dataset, settings, categories, *, x, y, mode, circle_minutes, limit_minutes):  # noqa: ANN001, ANN202
        seen.update(categories=list(categories), mode=list(mode), circle=list(circle_minutes), limit=limit_minutes)
        return np.array([[29.0], [31.0]])

    cov = coverage(ds, Settings(), travel_minutes=fixed)
    assert seen == {"categories": ["health"], "mode": ["ebike", "ebike"], "circle": [30.0, 30.0], "limit": np.inf}
    assert cov.covered["health"].tolist() == [True, False]  # 29 and 31 minutes against a 30-minute circle
    assert cov.category_summary().loc["health", "covered_population"] == 2.0
