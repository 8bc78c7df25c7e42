"""A straight street whose siting answers can be worked out by hand.

Nodes every 75 m along a west–east street near Ma'anshan (one minute's walk at 75 m/min), x from 0 to 4,500 m. One
existing community living room at x = 0. Demand points sit on nodes every 300 m, so a resident
at x reaches a site at c in |x − c| / 75 minutes; the urban circle is 15 minutes (1,125 m).
Two urban communities: 东街社区 (x < 2,250) and 西街社区 (x ≥ 2,250).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from geo.dataset import Dataset
from geo.network import RoadNetwork

CRS = 32650
#: The street lies near Ma'anshan (UTM zone 50N); positions below are along it from X0.
X0, Y0 = 650_000.0, 3_500_000.0
STEP_M = 75.0
LENGTH_M = 4_500.0
DEMAND_X = np.arange(0.0, LENGTH_M + 1, 300.0)
CANDIDATE_X = np.array([1_500.0, 2_250.0, 3_000.0, 3_750.0, 4_500.0])
CIRCLE_M = 1_125.0


def demand_population(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(5, 50, size=len(DEMAND_X)).astype(float)


def line_dataset(
    *,
    seed: int = 0,
    floor_area: np.ndarray | None = None,
    category: str = "community_living_room",
) -> Dataset:
    n = int(LENGTH_M / STEP_M) + 1
    xs = np.arange(n) * STEP_M
    roads = RoadNetwork.from_arrays(crs=CRS, node_x=X0 + xs, node_y=np.full(n, Y0), edge_u=np.arange(n - 1),
                                    edge_v=np.arange(1, n), source="test line")
    communities = gpd.GeoDataFrame(
        {"community_id": ["E", "W"], "name": ["东街社区", "西街社区"], "kind": ["urban", "urban"],
         "households": [100.0, 100.0], "population": [np.nan, np.nan], "street": ["s", "s"],
         "district": ["d", "d"]},
        geometry=[shapely.box(X0 - 100, Y0 - 100, X0 + 2_249, Y0 + 100),
                  shapely.box(X0 + 2_249, Y0 - 100, X0 + 4_700, Y0 + 100)], crs=CRS,
    )
    facilities = gpd.GeoDataFrame(
        {"facility_id": ["F1"], "category": [category], "name": ["现有社区客厅"], "floor_area_m2": [200.0],
         "capacity": [np.nan], "status": ["existing"]},
        geometry=gpd.points_from_xy([X0], [Y0]), crs=CRS,
    )
    pop = demand_population(seed)
    population = gpd.GeoDataFrame(
        {"population": pop, "community_id": np.where(DEMAND_X < 2_249, "E", "W").astype(object)},
        geometry=gpd.points_from_xy(X0 + DEMAND_X, np.full(len(DEMAND_X), Y0)), crs=CRS,
    )
    area = np.array([300.0, 80.0, 250.0, 120.0, 400.0]) if floor_area is None else floor_area
    candidates = gpd.GeoDataFrame(
        {"candidate_id": [f"C{i + 1}" for i in range(len(CANDIDATE_X))],
         "name": [f"闲置用房{i + 1}" for i in range(len(CANDIDATE_X))],
         "floor_area_m2": area, "source": "idle_building", "cost": np.full(len(CANDIDATE_X), 100.0)},
        geometry=gpd.points_from_xy(X0 + CANDIDATE_X, np.full(len(CANDIDATE_X), Y0)), crs=CRS,
    )
    return Dataset(name="line", crs=roads.crs, communities=communities, facilities=facilities,
                   population=population, candidates=candidates, roads=roads)


def by_hand_cover() -> np.ndarray:
    """demand × candidate: within 15 minutes' walk along the street."""
    return np.abs(DEMAND_X[:, None] - CANDIDATE_X[None, :]) <= CIRCLE_M + 1e-6


def by_hand_existing() -> np.ndarray:
    return DEMAND_X <= CIRCLE_M + 1e-6
