"""A synthetic region of nine counties for the partitioned-run tests, built in code.

Layout (metres from the origin of :mod:`tests.planning._engine_fixtures`)::

    y=6000 +--------+--------+--------+   roads: a jittered 100 m lattice (61 × 61 nodes) with
           |  C13   |  C23   |  C33   |   a tenth of the links missing, a primary road every
    y=4000 +--------+--------+--------+   1 km, one-way links and a motorway at y = 3000 that
           |  C12   |  C22   |  C32   |   walkers and e-bikes may not use
    y=2000 +--------+--------+--------+
           |  C11   |  C21   |  C31   |   communities: 750 m cells (so they straddle county
    y=0    +--------+--------+--------+   borders); villages (村, e-bike 30 min) east of x = 4500
          x=0     2000     4000     6000

Residents: random points, some exactly on county borders and some outside every community and
county. Facilities of five categories: random ones plus one every 250 m along the county borders
and at the four inner corners, so that many residents are served across a border.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.dataset import Dataset
from geo.network import HIGHWAY_CLASSES, RoadNetwork
from tests.planning._engine_fixtures import CRS, X0, Y0, local_box, points

N = 61
SPACING = 100.0
COUNTY_M = 2000.0
CELL_M = 750.0
CATEGORIES = ("community_service_center", "elderly_care", "health", "social_work_station",
              "community_living_room")


def region_roads(seed: int = 0) -> RoadNetwork:
    rng = np.random.default_rng(seed)
    jj, ii = np.meshgrid(np.arange(N), np.arange(N))
    x = jj.ravel() * SPACING + rng.uniform(-15.0, 15.0, N * N)
    y = ii.ravel() * SPACING + rng.uniform(-15.0, 15.0, N * N)
    node = np.arange(N * N).reshape(N, N)
    u = np.concatenate([node[:, :-1].ravel(), node[:-1, :].ravel()])
    v = np.concatenate([node[:, 1:].ravel(), node[1:, :].ravel()])
    horizontal = np.arange(len(u)) < N * (N - 1)
    row = np.where(horizontal, u // N, -1)
    col = np.where(horizontal, -1, u % N)
    cls = np.full(len(u), HIGHWAY_CLASSES.index("residential"), dtype=np.int8)
    cls[(row % 10 == 0) | (col % 10 == 0)] = HIGHWAY_CLASSES.index("primary")
    cls[row == 30] = HIGHWAY_CLASSES.index("motorway")
    keep = (rng.random(len(u)) > 0.1) | (cls != HIGHWAY_CLASSES.index("residential"))
    oneway = rng.random(len(u)) < 0.1
    return RoadNetwork.from_arrays(crs=CRS, node_x=x + X0, node_y=y + Y0, edge_u=u[keep], edge_v=v[keep],
                                   edge_class=cls[keep], edge_oneway=oneway[keep], source="nine counties")


def counties() -> gpd.GeoDataFrame:
    ids, names, boxes = [], [], []
    for cx in range(3):
        for cy in range(3):
            ids.append(f"C{cx + 1}{cy + 1}")
            names.append(f"第{cx + 1}{cy + 1}县")
            boxes.append(local_box(cx * COUNTY_M, cy * COUNTY_M, (cx + 1) * COUNTY_M, (cy + 1) * COUNTY_M))
    return gpd.GeoDataFrame({"county_id": ids, "name": names}, geometry=boxes, crs=CRS)


def region_dataset(seed: int = 0, *, residents: int = 2_500) -> Dataset:
    rng = np.random.default_rng(seed)
    roads = region_roads(seed)
    n_cells = int(np.ceil(6000.0 / CELL_M))
    com_rows, com_geoms = [], []
    for cx in range(n_cells):
        for cy in range(n_cells):
            rural = cx * CELL_M >= 4500.0
            cid = f"K{cx:02d}{cy:02d}"
            com_rows.append({"community_id": cid, "name": f"{cid}{'村' if rural else '社区'}",
                             "kind": "rural" if rural else "urban", "street": f"街道{cx // 3}{cy // 3}",
                             "district": "东区" if cx * CELL_M >= 3000.0 else "西区"})
            com_geoms.append(local_box(cx * CELL_M, cy * CELL_M, min((cx + 1) * CELL_M, 6000.0),
                                       min((cy + 1) * CELL_M, 6000.0)))
    communities = gpd.GeoDataFrame(pd.DataFrame(com_rows), geometry=com_geoms, crs=CRS)
    px = rng.uniform(0.0, 6000.0, residents)
    py = rng.uniform(0.0, 6000.0, residents)
    # On county borders, and a few just outside the region (outside every community and county).
    px[:40] = rng.choice([2000.0, 4000.0], 40)
    py[40:80] = rng.choice([2000.0, 4000.0], 40)
    px[80:100] = rng.uniform(6000.0, 6150.0, 20)
    pop_values = rng.integers(1, 60, residents).astype(float)
    population = gpd.GeoDataFrame({"population": pop_values},
                                  geometry=points(list(zip(px, py))), crs=CRS)
    per_community = _population_by_community(population, communities)
    communities["population"] = per_community
    communities["households"] = np.round(per_community / 2.6, 1)
    fac_xy, fac_cat = [], []
    for k in range(60):  # random facilities
        fac_xy.append((rng.uniform(0, 6000), rng.uniform(0, 6000)))
        fac_cat.append(CATEGORIES[k % len(CATEGORIES)])
    along = np.arange(125.0, 6000.0, 250.0)
    for k, t in enumerate(along):  # right on the county borders
        for border in (2000.0, 4000.0):
            fac_xy += [(border, t), (t, border)]
            fac_cat += [CATEGORIES[(k + 1) % 4], CATEGORIES[(k + 2) % 4]]
    for corner in ((2000.0, 2000.0), (2000.0, 4000.0), (4000.0, 2000.0), (4000.0, 4000.0)):
        fac_xy.append(corner)
        fac_cat.append("community_living_room")
    n_fac = len(fac_xy)
    facilities = gpd.GeoDataFrame({"facility_id": [f"F{i:03d}" for i in range(n_fac)], "category": fac_cat,
                                   "floor_area_m2": rng.uniform(200, 900, n_fac).round(0)},
                                  geometry=points(fac_xy), crs=CRS)
    candidates = gpd.GeoDataFrame({"candidate_id": pd.Series([], dtype=str)}, geometry=gpd.GeoSeries([], crs=CRS),
                                  crs=CRS)
    return Dataset(name="nine counties", crs=roads.crs, communities=communities, facilities=facilities,
                   population=population, candidates=candidates, roads=roads)


def _population_by_community(population: gpd.GeoDataFrame, communities: gpd.GeoDataFrame) -> np.ndarray:
    joined = gpd.sjoin(population, communities[["community_id", "geometry"]], predicate="intersects")
    joined = joined[~joined.index.duplicated()]
    totals = joined.groupby("community_id")["population"].sum()
    return totals.reindex(communities["community_id"]).fillna(0.0).to_numpy()

