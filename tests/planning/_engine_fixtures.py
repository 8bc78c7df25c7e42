"""Hand-made networks and data sets for the accessibility-engine tests.

Everything lies in EPSG:32650 (UTM 50N, Ma'anshan) in metres; coordinates are small offsets from
an origin so that distances, and hence minutes, can be worked out by hand.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point, box

from geo.dataset import Dataset
from geo.network import HIGHWAY_CLASSES, RoadNetwork

CRS = "EPSG:32650"
X0, Y0 = 650_000.0, 3_500_000.0


def network(
    nodes: Sequence[tuple[float, float]],
    edges: Sequence[tuple[int, int]],
    *,
    classes: Sequence[str] | None = None,
    oneway: Sequence[bool] | None = None,
) -> RoadNetwork:
    """Network from local node coordinates (metres from the origin) and edge pairs."""
    xy = np.asarray(nodes, dtype=float)
    e = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    codes = None if classes is None else np.array([HIGHWAY_CLASSES.index(c) for c in classes], dtype=np.int8)
    return RoadNetwork.from_arrays(
        crs=CRS, node_x=xy[:, 0] + X0, node_y=xy[:, 1] + Y0, edge_u=e[:, 0], edge_v=e[:, 1],
        edge_class=codes, edge_oneway=None if oneway is None else np.asarray(oneway, dtype=bool),
        source="hand-made",
    )


def line_network(n_nodes: int, spacing_m: float, *, road_class: str = "residential") -> RoadNetwork:
    """Nodes on the x axis every ``spacing_m`` metres, joined in a line."""
    nodes = [(i * spacing_m, 0.0) for i in range(n_nodes)]
    edges = [(i, i + 1) for i in range(n_nodes - 1)]
    return network(nodes, edges, classes=[road_class] * len(edges))


def grid_network(n: int, spacing_m: float) -> RoadNetwork:
    """``n`` × ``n`` grid; node ``i * n + j`` lies at (j·spacing, i·spacing)."""
    nodes = [(j * spacing_m, i * spacing_m) for i in range(n) for j in range(n)]
    edges = [(i * n + j, i * n + j + 1) for i in range(n) for j in range(n - 1)]
    edges += [(i * n + j, (i + 1) * n + j) for i in range(n - 1) for j in range(n)]
    return network(nodes, edges)


def xy(x: float, y: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Arrays of one point at local coordinates."""
    return np.array([x + X0]), np.array([y + Y0])


def points(coords: Sequence[tuple[float, float]]) -> list[Point]:
    return [Point(x + X0, y + Y0) for x, y in coords]


def local_box(x0: float, y0: float, x1: float, y1: float):  # noqa: ANN201 - shapely Polygon
    return box(x0 + X0, y0 + Y0, x1 + X0, y1 + Y0)


def dataset(
    roads: RoadNetwork,
    *,
    communities: Sequence[dict] = (),
    facilities: Sequence[dict] = (),
    population: Sequence[dict] = (),
) -> Dataset:
    """A :class:`geo.dataset.Dataset` from row dicts with local ``xy`` / ``box`` entries.

    communities: ``{"community_id", "name", "kind", "box": (x0, y0, x1, y1), ...}``
    facilities: ``{"facility_id", "category", "xy": (x, y), ...}``
    population: ``{"population", "xy": (x, y), "community_id"?}`` (without community_id the
    engine locates each point in the community polygons)
    """
    com_rows = [{k: v for k, v in r.items() if k != "box"} for r in communities]
    com = gpd.GeoDataFrame(
        pd.DataFrame(com_rows, columns=sorted({k for r in com_rows for k in r} | {"community_id", "name"})),
        geometry=[local_box(*r["box"]) for r in communities], crs=CRS,
    )
    fac_rows = [{k: v for k, v in r.items() if k != "xy"} for r in facilities]
    fac_cols = sorted({k for r in fac_rows for k in r} | {"facility_id", "category"})
    fac = gpd.GeoDataFrame(pd.DataFrame(fac_rows, columns=fac_cols),
                           geometry=points([r["xy"] for r in facilities]), crs=CRS)
    pop_rows = [{k: v for k, v in r.items() if k != "xy"} for r in population]
    pop_cols = sorted({k for r in pop_rows for k in r} | {"population"})
    pop = gpd.GeoDataFrame(pd.DataFrame(pop_rows, columns=pop_cols),
                           geometry=points([r["xy"] for r in population]), crs=CRS)
    cand = gpd.GeoDataFrame({"candidate_id": pd.Series([], dtype=str)}, geometry=gpd.GeoSeries([], crs=CRS),
                            crs=CRS)
    return Dataset(name="hand", crs=roads.crs, communities=com, facilities=fac, population=pop,
                   candidates=cand, roads=roads)
