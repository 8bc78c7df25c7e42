"""Validating a city's layers: 2,500 communities, 1,000,000 population points, 5,000
facilities, datum check against a 1,000,000-node street grid.

Run with ``pytest tests/benchmarks/test_loader_bench.py -m benchmark -s``.
"""

from __future__ import annotations

import time

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo import _validate as v
from geo.dataset import ValidationReport
from geo.network import RoadNetwork

X0, Y0 = 660_000.0, 3_505_000.0
CRS = "EPSG:32650"


@pytest.mark.benchmark
def test_validate_city_layers() -> None:
    rng = np.random.default_rng(0)
    report = ValidationReport()
    n = 50  # 50 × 50 communities of 400 m × 400 m: a 20 km square
    communities = gpd.GeoDataFrame(
        {"community_id": [f"C{k}" for k in range(n * n)],
         "name": [f"第{k}社区" for k in range(n * n)],
         "population": rng.integers(1_000, 8_000, n * n).astype(float)},
        geometry=[shapely.box(X0 + i * 400, Y0 + j * 400, X0 + (i + 1) * 400, Y0 + (j + 1) * 400)
                  for i in range(n) for j in range(n)], crs=CRS)
    t = time.perf_counter()
    communities = v.validate_communities(communities, report=report)
    print(f"\n2,500 communities validated: {time.perf_counter() - t:.2f} s")

    m = 1_000_000
    people = gpd.GeoDataFrame(
        {"population": rng.integers(0, 5, m).astype(float)},
        geometry=shapely.points(rng.uniform(X0, X0 + 20_000, m), rng.uniform(Y0, Y0 + 20_000, m)),
        crs=CRS)
    t = time.perf_counter()
    population = v.validate_population(people, communities, report=report)
    print(f"1,000,000 population points validated and joined to communities: "
          f"{time.perf_counter() - t:.2f} s")
    assert population["community_id"].notna().all()

    t = time.perf_counter()
    spread = v.population_from_communities(communities, report=report)
    print(f"population spread on the 100 m grid: {len(spread):,} points in "
          f"{time.perf_counter() - t:.2f} s")
    assert len(spread) == n * n * 16  # 4 × 4 grid centres per 400 m square

    k = 1_000  # 1,000 × 1,000 nodes 20 m apart
    xs = np.repeat(np.arange(k) * 20.0 + X0, k)
    ys = np.tile(np.arange(k) * 20.0 + Y0, k)
    idx = np.arange(k * k).reshape(k, k)
    u = np.concatenate([idx[:-1, :].ravel(), idx[:, :-1].ravel()])
    w = np.concatenate([idx[1:, :].ravel(), idx[:, 1:].ravel()])
    roads = RoadNetwork.from_arrays(crs=CRS, node_x=xs, node_y=ys, edge_u=u, edge_v=w,
                                    edge_class=np.full(len(u), 11, np.int8),
                                    edge_oneway=np.zeros(len(u), bool))
    facilities = gpd.GeoDataFrame(
        {"facility_id": [str(i) for i in range(5_000)], "category": ["health"] * 5_000},
        geometry=shapely.points(rng.uniform(X0, X0 + 20_000, 5_000),
                                rng.uniform(Y0, Y0 + 20_000, 5_000)), crs=CRS)
    t = time.perf_counter()
    facilities = v.validate_facilities(facilities, report=report)
    print(f"5,000 facilities validated: {time.perf_counter() - t:.2f} s")
    t = time.perf_counter()
    tree = v.road_lines_tree(roads)
    print(f"road-line index over {roads.n_edges:,} edges: {time.perf_counter() - t:.2f} s")
    t = time.perf_counter()
    median = v.check_datum(facilities, roads, layer="facilities", file=None, report=report,
                           tree=tree)
    print(f"datum check (node and line distances, 3 coordinate systems): "
          f"{time.perf_counter() - t:.2f} s, median {median:.1f} m to a node")
    assert median < 15.0  # nodes 20 m apart: at most 14.1 m
