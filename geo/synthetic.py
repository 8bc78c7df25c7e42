"""A synthetic city and county for demonstrations, tests and benchmarks at any size.

The data set imitates a Chinese prefecture-level city near Ma'anshan (EPSG:32650): a city core
of urban communities (社区) on a jittered street grid with arterials, one-way streets, missing
links and footpaths, and a rural county of villages (村) several kilometres apart, joined to
each other and to the core by rural roads. Population points, facilities of every taxonomy
category and idle buildings as siting candidates follow densities typical of such places.
Everything is built with array operations, so a network of a million nodes takes seconds.

Examples
--------
>>> from geo.synthetic import synthetic_dataset
>>> ds = synthetic_dataset(2_000, seed=1)
>>> sorted(ds.communities["kind"].unique())
['rural', 'urban']
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from scipy.spatial import cKDTree

from geo.dataset import Dataset
from geo.network import HIGHWAY_CLASSES, RoadNetwork
from geo.taxonomy import CATEGORIES

CRS_METRIC = CRS.from_epsg(32650)
#: Centre of the city core (Ma'anshan, 118.506 E 31.670 N, in UTM 50N).
CENTRE_X, CENTRE_Y = 642_800.0, 3_504_800.0
URBAN_NODE_SHARE = 0.6
BLOCK_M = (80.0, 120.0)
COMMUNITY_BLOCKS = 10  # a community spans about 10 x 10 street blocks
VILLAGE_SPACING_M = 3_500.0
VILLAGE_NODES = (30, 300)
RURAL_ROAD_NODE_M = 100.0
MIN_NODES = 100

_C = {name: code for code, name in enumerate(HIGHWAY_CLASSES)}

# Facilities per urban community and per village (Poisson means), from the plans' coverage
# goals and typical Chinese neighbourhood retail densities. Living rooms are rare: they are
# the category planners are asked to add.
_RATES: dict[str, tuple[float, float]] = {
    "community_service_center": (0.92, 0.85),  # probability of one (see _AT_MOST_ONE)
    "community_living_room": (0.3, 0.08),
    "elderly_care": (0.7, 0.3),
    "meal_aid": (0.5, 0.15),
    "health": (0.7, 0.8),
    "childcare": (1.0, 0.3),
    "culture": (0.5, 0.6),
    "sports": (1.2, 0.7),
    "volunteer_station": (0.7, 0.4),
    "convenience_retail": (8.0, 1.5),
    "express": (3.0, 0.6),
    "emergency_shelter": (0.3, 0.15),
    "police": (0.4, 0.2),
    "legal_service": (0.4, 0.3),
    "government_service": (0.0, 0.3),  # 代办站 in villages; centres per street below
}
_DEFAULT_RATE = (0.3, 0.1)
#: Categories a community has one of or none (most communities already have their centre).
_AT_MOST_ONE = ("community_service_center",)
#: One per street (街道) or township (乡镇).
_PER_STREET = ("social_work_station", "government_service")
# Floor area ranges in m² (low, high); capacity is floor area over m² per place.
_FLOOR_M2: dict[str, tuple[float, float, float]] = {
    "community_service_center": (600, 3_000, 5),
    "community_living_room": (80, 400, 4),
    "elderly_care": (150, 800, 25),
    "meal_aid": (60, 300, 2.5),
    "health": (150, 1_000, 10),
    "childcare": (300, 2_000, 8),
    "culture": (100, 800, 5),
    "sports": (200, 3_000, 10),
    "social_work_station": (60, 300, 5),
    "volunteer_station": (20, 120, 4),
    "convenience_retail": (30, 600, 3),
    "express": (15, 80, 1),
    "emergency_shelter": (2_000, 20_000, 2),
    "police": (30, 150, 10),
    "legal_service": (20, 100, 5),
    "government_service": (200, 1_500, 8),
}
_DEFAULT_FLOOR = (50, 300, 5)

_COMMUNITY_STEMS = (
    "花园", "东苑", "西苑", "南湖", "北岭", "幸福", "和平", "长江", "青山", "湖东", "丽景", "绿洲",
    "向阳", "朝阳", "新华", "人民", "解放", "红旗", "光明", "翠屏", "桃园", "春晖", "锦绣", "金桥",
    "银塘", "秀山", "滨江", "枫林", "怡园", "康乐", "安居", "泰和", "瑞丰", "永安", "文昌", "育才",
)
_SURNAMES = (
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
    "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡",
)
_VILLAGE_SUFFIXES = ("家", "庄", "湾", "圩", "桥", "岗", "塘", "店", "集", "营")
_IDLE_KINDS = ("闲置办公用房", "闲置培训中心", "闲置福利设施", "闲置校舍", "闲置厂房")


@dataclass
class _Roads:
    """Node and edge arrays accumulated part by part."""

    x: list[np.ndarray] = field(default_factory=list)
    y: list[np.ndarray] = field(default_factory=list)
    u: list[np.ndarray] = field(default_factory=list)
    v: list[np.ndarray] = field(default_factory=list)
    cls: list[np.ndarray] = field(default_factory=list)
    oneway: list[np.ndarray] = field(default_factory=list)
    n: int = 0

    def add_nodes(self, x: np.ndarray, y: np.ndarray) -> int:
        """Append nodes; return the index of the first."""
        first = self.n
        self.x.append(np.asarray(x, dtype=np.float64))
        self.y.append(np.asarray(y, dtype=np.float64))
        self.n += len(x)
        return first

    def network(self, *, source: str) -> RoadNetwork:
        """The finished network. Every edge joins two different nodes, and no pair of nodes is
        joined twice (grid neighbours, new path nodes, one road per village pair), so the
        de-duplication sort of ``RoadNetwork.from_arrays`` (seconds at 10^6 nodes) is skipped."""
        x, y = np.concatenate(self.x), np.concatenate(self.y)
        u, v = np.concatenate(self.u), np.concatenate(self.v)
        return RoadNetwork(
            crs=CRS_METRIC, node_x=x, node_y=y, edge_u=u, edge_v=v,
            edge_length_m=np.hypot(x[u] - x[v], y[u] - y[v]),
            edge_class=np.concatenate(self.cls), edge_oneway=np.concatenate(self.oneway),
            source=source,
        )

    def add_edges(self, u: np.ndarray, v: np.ndarray, cls: np.ndarray | int,
                  oneway: np.ndarray | bool = False) -> None:
        u = np.asarray(u, dtype=np.int64)
        self.u.append(u)
        self.v.append(np.asarray(v, dtype=np.int64))
        self.cls.append(np.broadcast_to(np.asarray(cls, dtype=np.int8), u.shape).copy())
        self.oneway.append(np.broadcast_to(np.asarray(oneway, dtype=bool), u.shape).copy())


def synthetic_dataset(n_nodes: int = 10_000, *, seed: int = 0,
                      demand_points: int | None = None) -> Dataset:
    """Build a synthetic city core plus rural county with about ``n_nodes`` road nodes.

    Parameters
    ----------
    n_nodes : int, default 10 000
        Road nodes wanted (the result is within a few per cent); at least 100.
    seed : int, default 0
        Same seed, same data set.
    demand_points : int, optional
        Population points; default one per road node. Every community gets at least one.

    Returns
    -------
    geo.dataset.Dataset
        In EPSG:32650, with urban (社区) and rural (村) communities, population points whose
        totals per community equal the community population, facilities of every category,
        idle-building candidates and the road network.
    """
    if int(n_nodes) < MIN_NODES:
        raise ValueError(f"synthetic_dataset needs n_nodes >= {MIN_NODES}, got {n_nodes}.")
    if demand_points is not None and int(demand_points) < 1:
        raise ValueError(f"demand_points must be positive, got {demand_points}.")
    rng = np.random.default_rng(seed)
    roads = _Roads()
    core = _build_core(roads, round(n_nodes * URBAN_NODE_SHARE), rng)
    rural = _build_county(roads, int(n_nodes) - roads.n, core, rng)
    network = roads.network(source=f"synthetic (seed {seed})")
    communities, places = _communities(core, rural, rng)
    n_points = int(n_nodes if demand_points is None else demand_points)
    population = _population(communities, places, n_points, rng)
    facilities = _facilities(communities, places, rng)
    candidates = _candidates(communities, places, rng)
    return Dataset(
        name="synthetic",
        crs=CRS_METRIC,
        communities=communities,
        facilities=facilities,
        population=population,
        candidates=candidates,
        roads=network,
        attribution=["synthetic"],
        notes=[
            f"Synthetic data (seed {seed}): roads, communities, population, facilities and "
            "candidates are generated to show how the tool works; they describe no real place.",
            "Population: community totals from assumed densities (urban 8,000-22,000 per km², "
            "villages 5-9 people per road node), spread over about one point per road node.",
            "Candidate cost is an estimated renovation cost in yuan.",
        ],
        meta={
            "name": "synthetic",
            "title_zh": "合成示例数据（中心城区与郊县）",
            "title_en": "Synthetic city core and rural county",
            "attribution": ["synthetic"],
            "population_estimated": True,
            "communities_approximate": True,
            "demo_label_zh": "合成数据，仅供演示",
            "demo_label_en": "Synthetic data for demonstration",
            "seed": int(seed),
            "n_nodes_requested": int(n_nodes),
        },
    )


# ---------------------------------------------------------------------------------- roads
@dataclass
class _Core:
    xs: np.ndarray  # x of the grid's column lines (un-jittered)
    ys: np.ndarray  # y of the grid's row lines
    half_size_m: float
    perimeter_nodes: np.ndarray
    perimeter_xy: np.ndarray


def _arterial_class(line: np.ndarray, last: int) -> np.ndarray:
    """Road class of each grid line: primary every 16th, secondary every 8th and the ring."""
    out = np.full(line.shape, _C["residential"], dtype=np.int8)
    out[(line % 8 == 0) | (line == last)] = _C["secondary"]
    out[line % 16 == 0] = _C["primary"]
    return out


def _build_core(roads: _Roads, n_core: int, rng: np.random.Generator) -> _Core:
    footway_share = 0.04  # blocks crossed by a footpath through their middle
    grid_nodes = n_core / (1 + footway_share)
    rows = max(3, round(math.sqrt(grid_nodes)))
    cols = max(3, round(grid_nodes / rows))
    xs = np.concatenate([[0.0], np.cumsum(rng.uniform(*BLOCK_M, cols - 1))])
    ys = np.concatenate([[0.0], np.cumsum(rng.uniform(*BLOCK_M, rows - 1))])
    xs += CENTRE_X - xs[-1] / 2
    ys += CENTRE_Y - ys[-1] / 2
    n = rows * cols
    row, col = np.divmod(np.arange(n), cols)
    jitter = np.clip(rng.normal(0.0, 5.0, (2, n)), -12.0, 12.0)
    first = roads.add_nodes(xs[col] + jitter[0], ys[row] + jitter[1])
    node = first + np.arange(n)

    # Streets along rows (east-west) and columns (north-south).
    for along_row in (True, False):
        if along_row:
            has_next = col < cols - 1
            u, v, line, n_lines = node[has_next], node[has_next] + 1, row[has_next], rows
        else:
            has_next = row < rows - 1
            u, v, line, n_lines = node[has_next], node[has_next] + cols, col[has_next], cols
        cls = _arterial_class(line, n_lines - 1)
        residential = cls == _C["residential"]
        # About one residential street in ten is one-way, in either direction.
        line_oneway = rng.random(n_lines) < 0.10
        line_reverse = rng.random(n_lines) < 0.5
        oneway = residential & line_oneway[line]
        flip = oneway & line_reverse[line]
        u, v = np.where(flip, v, u), np.where(flip, u, v)
        # A few residential links are missing (walls, gated compounds, rivers).
        keep = ~(residential & (rng.random(len(u)) < 0.04))
        roads.add_edges(u[keep], v[keep], cls[keep], oneway[keep])

    # Footpaths through the middle of some blocks, joined to the four corners.
    block = np.flatnonzero((row < rows - 1) & (col < cols - 1))
    block = block[rng.random(len(block)) < footway_share]
    corners = np.stack([block, block + 1, block + cols, block + cols + 1], axis=1) + first
    all_x, all_y = np.concatenate(roads.x), np.concatenate(roads.y)
    mid = roads.add_nodes(all_x[corners].mean(axis=1), all_y[corners].mean(axis=1))
    centre = mid + np.arange(len(block))
    roads.add_edges(np.repeat(centre, 4), corners.ravel(), _C["footway"])

    perimeter = (row == 0) | (row == rows - 1) | (col == 0) | (col == cols - 1)
    p_nodes = node[perimeter]
    return _Core(
        xs=xs, ys=ys,
        half_size_m=float(max(xs[-1] - xs[0], ys[-1] - ys[0]) / 2),
        perimeter_nodes=p_nodes,
        perimeter_xy=np.column_stack([all_x[p_nodes], all_y[p_nodes]]),
    )


@dataclass
class _County:
    centre_x: np.ndarray
    centre_y: np.ndarray
    first_node: np.ndarray  # first road node of each village
    rows: np.ndarray
    cols: np.ndarray
    node_x: np.ndarray  # all village nodes, village after village
    node_y: np.ndarray
    township: np.ndarray


def _lattice_sites(k: int, core: _Core) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` village lattice sites nearest the centre, outside the core and its fringe."""
    clear = core.half_size_m + 2_000.0
    h = math.floor(clear / VILLAGE_SPACING_M)
    m = h + math.ceil(math.sqrt(k)) + 2
    while (2 * m + 1) ** 2 - (2 * h + 1) ** 2 < k:
        m += 1
    i, j = np.meshgrid(np.arange(-m, m + 1), np.arange(-m, m + 1), indexing="ij")
    i, j = i.ravel(), j.ravel()
    outside = np.maximum(np.abs(i), np.abs(j)) * VILLAGE_SPACING_M >= clear
    i, j = i[outside], j[outside]
    order = np.lexsort((j, i, i * i + j * j))[:k]  # nearest first, ties in a fixed order
    return i[order], j[order]


def _parents(i: np.ndarray, j: np.ndarray, core: _Core) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lattice step towards the centre along the longer axis; it is always closer, so selected
    unless it lies in the core, where the village links to the city instead."""
    step_i = np.abs(i) >= np.abs(j)
    pi = np.where(step_i, i - np.sign(i), i)
    pj = np.where(step_i, j, j - np.sign(j))
    to_core = np.maximum(np.abs(pi), np.abs(pj)) * VILLAGE_SPACING_M < core.half_size_m + 2_000.0
    return pi, pj, to_core


def _site_lookup(i: np.ndarray, j: np.ndarray, qi: np.ndarray, qj: np.ndarray) -> np.ndarray:
    """Index of lattice site (qi, qj) among (i, j), -1 where it is not a village."""
    span = int(max(np.abs(i).max(), np.abs(qi).max(), np.abs(j).max(), np.abs(qj).max())) + 1
    key = (i + span) * (2 * span + 1) + (j + span)
    qkey = (qi + span) * (2 * span + 1) + (qj + span)
    order = np.argsort(key)
    pos = np.clip(np.searchsorted(key[order], qkey), 0, len(key) - 1)
    found = key[order][pos] == qkey
    return np.where(found, order[pos], -1)


def _build_county(roads: _Roads, budget: int, core: _Core, rng: np.random.Generator) -> _County:
    budget = max(budget, VILLAGE_NODES[0] + 10)
    # Village count: average village of ~150 nodes plus its share of rural road nodes.
    k = max(1, round(budget / 190))
    for _ in range(3):
        i, j = _lattice_sites(k, core)
        road_nodes = _estimated_link_nodes(i, j, core)
        per_village = (budget - road_nodes) / k
        if per_village < 60 and k > 1:
            k = max(1, int(k * per_village / 120))
        elif per_village > 240:
            k = math.ceil(k * per_village / 150)
        else:
            break
    i, j = _lattice_sites(k, core)
    village_budget = max(budget - _estimated_link_nodes(i, j, core), VILLAGE_NODES[0] * k)
    sizes = rng.lognormal(0.0, 0.45, k)
    sizes = np.clip(sizes / sizes.sum() * village_budget, *VILLAGE_NODES)
    aspect = rng.uniform(0.6, 1.6, k)
    v_rows = np.clip(np.round(np.sqrt(sizes * aspect)), 3, 20).astype(np.int64)
    v_cols = np.clip(np.round(sizes / v_rows), 3, 20).astype(np.int64)
    spacing = rng.uniform(50.0, 90.0, k)
    cx = CENTRE_X + i * VILLAGE_SPACING_M + rng.uniform(-500, 500, k)
    cy = CENTRE_Y + j * VILLAGE_SPACING_M + rng.uniform(-500, 500, k)

    # Village lanes: small jittered grids, every village in one set of array operations.
    counts = v_rows * v_cols
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    village = np.repeat(np.arange(k), counts)
    local = np.arange(counts.sum()) - starts[village]
    r, c = np.divmod(local, v_cols[village])
    gx = cx[village] + (c - (v_cols[village] - 1) / 2) * spacing[village]
    gy = cy[village] + (r - (v_rows[village] - 1) / 2) * spacing[village]
    gx = gx + np.clip(rng.normal(0, 6, len(gx)), -15, 15)
    gy = gy + np.clip(rng.normal(0, 6, len(gy)), -15, 15)
    first = roads.add_nodes(gx, gy)
    node = first + np.arange(len(gx))
    main_row = r == v_rows[village] // 2
    east = c < v_cols[village] - 1
    north = r < v_rows[village] - 1
    lane_cls = np.where(main_row[east], _C["unclassified"], _C["residential"]).astype(np.int8)
    keep = main_row[east] | (rng.random(int(east.sum())) >= 0.05)
    roads.add_edges(node[east][keep], node[east][keep] + 1, lane_cls[keep])
    keep = rng.random(int(north.sum())) >= 0.05
    roads.add_edges(node[north][keep], node[north][keep] + v_cols[village][north][keep], _C["residential"])
    v_first = first + starts
    # Townships: villages binned into cells of three lattice steps (about 100 km²).
    cell = np.floor_divide(np.column_stack([i, j]) + 1, 3)
    _, township = np.unique(cell, axis=0, return_inverse=True)
    county = _County(cx, cy, v_first, v_rows, v_cols, gx, gy, township.ravel())

    # Rural roads: every village to its parent (a closer village or the city), plus some loops.
    pi, pj, to_core = _parents(i, j, core)
    parent = _site_lookup(i, j, pi, pj)
    a_list, b_list, link_cls = [np.flatnonzero(~to_core)], [parent[~to_core]], []
    link_cls.append(np.where(rng.random(len(a_list[0])) < 0.5, _C["tertiary"], _C["unclassified"]))
    for di, dj in ((1, 0), (0, 1)):
        other = _site_lookup(i, j, i + di, j + dj)
        ok = (other >= 0) & (rng.random(k) < 0.35)
        ok &= parent[np.maximum(other, 0)] != np.arange(k)
        ok &= parent != other
        a_list.append(np.flatnonzero(ok))
        b_list.append(other[ok])
        link_cls.append(np.where(rng.random(int(ok.sum())) < 0.7, _C["unclassified"], _C["track"]))
    a, b = np.concatenate(a_list), np.concatenate(b_list)
    cls = np.concatenate(link_cls).astype(np.int8)
    end_a = _gate_node(a, cx[b], cy[b], county, first)
    end_b = _gate_node(b, cx[a], cy[a], county, first)
    # Villages next to the city join its nearest edge node by a tertiary road.
    core_villages = np.flatnonzero(to_core)
    _, nearest = cKDTree(core.perimeter_xy).query(
        np.column_stack([cx[core_villages], cy[core_villages]]))
    core_end = core.perimeter_nodes[nearest]
    gate = _gate_node(core_villages, core.perimeter_xy[nearest, 0], core.perimeter_xy[nearest, 1],
                      county, first)
    _add_rural_roads(
        roads,
        np.concatenate([end_a, gate]),
        np.concatenate([end_b, core_end]),
        np.concatenate([cls, np.full(len(gate), _C["tertiary"], dtype=np.int8)]),
        rng,
    )
    return county


def _estimated_link_nodes(i: np.ndarray, j: np.ndarray, core: _Core) -> int:
    """Rural road nodes the lattice will need (one every 100 m, minus the villages' width)."""
    pi, pj, to_core = _parents(i, j, core)
    dist = np.where(to_core,
                    np.hypot(i, j) * VILLAGE_SPACING_M - core.half_size_m,
                    np.hypot(i - pi, j - pj) * VILLAGE_SPACING_M)
    per_link = np.maximum(dist - 800.0, 100.0) / RURAL_ROAD_NODE_M
    return int(per_link.sum() * 1.35)  # loops add about a third more road


def _gate_node(village: np.ndarray, tx: np.ndarray, ty: np.ndarray, county: _County,
               offset: int) -> np.ndarray:
    """The middle node of the village side nearest the target point (where its road leaves)."""
    rows, cols = county.rows[village], county.cols[village]
    first = county.first_node[village]
    # Candidate gates: middle of the south, north, west and east sides.
    cand_r = np.stack([np.zeros_like(rows), rows - 1, rows // 2, rows // 2], axis=1)
    cand_c = np.stack([cols // 2, cols // 2, np.zeros_like(cols), cols - 1], axis=1)
    cand = first[:, None] + cand_r * cols[:, None] + cand_c
    local = cand - offset
    dist = np.hypot(county.node_x[local] - tx[:, None], county.node_y[local] - ty[:, None])
    return cand[np.arange(len(village)), np.argmin(dist, axis=1)]


def _add_rural_roads(roads: _Roads, a: np.ndarray, b: np.ndarray, cls: np.ndarray,
                     rng: np.random.Generator) -> None:
    """Roads from node a to node b with a node every ~100 m along a gentle bow."""
    all_x, all_y = np.concatenate(roads.x), np.concatenate(roads.y)
    ax, ay, bx, by = all_x[a], all_y[a], all_x[b], all_y[b]
    length = np.hypot(bx - ax, by - ay)
    segments = np.maximum(1, np.round(length / RURAL_ROAD_NODE_M)).astype(np.int64)
    inner = segments - 1
    link = np.repeat(np.arange(len(a)), inner)
    step = np.arange(inner.sum()) - np.repeat(np.concatenate([[0], np.cumsum(inner)[:-1]]), inner) + 1
    t = step / segments[link]
    bow = rng.uniform(-0.08, 0.08, len(a))[link] * length[link] * np.sin(np.pi * t)
    # Unit normal of each link, to bow the road sideways.
    perp_x, perp_y = -(by - ay) / np.maximum(length, 1e-9), (bx - ax) / np.maximum(length, 1e-9)
    x = ax[link] + t * (bx - ax)[link] + bow * perp_x[link] + rng.normal(0, 8, len(t))
    y = ay[link] + t * (by - ay)[link] + bow * perp_y[link] + rng.normal(0, 8, len(t))
    first = roads.add_nodes(x, y)
    # Chain per link: a -> inner nodes -> b.
    starts = first + np.concatenate([[0], np.cumsum(inner)[:-1]])
    chain_first = np.where(inner > 0, starts, b)
    roads.add_edges(a, chain_first, cls)
    inner_idx = first + np.arange(inner.sum())
    is_last = step == inner[link]
    nxt = np.where(is_last, b[link], inner_idx + 1)
    roads.add_edges(inner_idx, nxt, cls[link])


# ---------------------------------------------------------------------------------- layers
@dataclass
class _Places:
    """Where points of each community may go: street blocks (urban) or village lanes (rural)."""

    n_urban: int
    block_r0: np.ndarray
    block_r1: np.ndarray
    block_c0: np.ndarray
    block_c1: np.ndarray
    xs: np.ndarray
    ys: np.ndarray
    county: _County
    village_start: np.ndarray  # first village node (index into county.node_x)
    village_count: np.ndarray
    weight: np.ndarray  # road nodes per community, for spreading points
    street: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # 街道/乡镇 code

    def sample(self, community: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """One random point inside each given community (index into the communities layer)."""
        community = np.asarray(community, dtype=np.int64)
        x = np.empty(len(community))
        y = np.empty(len(community))
        urban = community < self.n_urban
        cu = community[urban]
        u = rng.random((4, len(cu)))
        br = self.block_r0[cu] + (u[0] * (self.block_r1[cu] - self.block_r0[cu])).astype(np.int64)
        bc = self.block_c0[cu] + (u[1] * (self.block_c1[cu] - self.block_c0[cu])).astype(np.int64)
        # Inside the block, 10 m back from the street centre lines.
        x[urban] = self.xs[bc] + 10 + u[2] * (self.xs[bc + 1] - self.xs[bc] - 20)
        y[urban] = self.ys[br] + 10 + u[3] * (self.ys[br + 1] - self.ys[br] - 20)
        cr = community[~urban] - self.n_urban
        node = self.village_start[cr] + (rng.random(len(cr)) * self.village_count[cr]).astype(np.int64)
        x[~urban] = self.county.node_x[node] + rng.uniform(-30, 30, len(cr))
        y[~urban] = self.county.node_y[node] + rng.uniform(-30, 30, len(cr))
        return x, y


def _names(stems: tuple[str, ...], n: int, suffix: str, rng: np.random.Generator) -> list[str]:
    """Unique names such as 花园社区12: a stem, the suffix, and a number when stems repeat."""
    order = rng.permutation(n)
    stem, number = np.divmod(order, len(stems))[::-1]
    if n <= len(stems):
        return [f"{stems[s]}{suffix}" for s in stem]
    return [f"{stems[s]}{suffix}{k + 1}" for s, k in zip(stem, number, strict=True)]


def _group_edges(n_blocks: int) -> np.ndarray:
    """Block-line indices that cut ``n_blocks`` blocks into groups of about COMMUNITY_BLOCKS."""
    groups = max(1, round(n_blocks / COMMUNITY_BLOCKS))
    return np.round(np.linspace(0, n_blocks, groups + 1)).astype(np.int64)


def _communities(core: _Core, county: _County, rng: np.random.Generator) -> tuple[gpd.GeoDataFrame, _Places]:
    # Urban: the block grid cut into groups of about 10 x 10 blocks.
    block_rows, block_cols = len(core.ys) - 1, len(core.xs) - 1
    r_edges = _group_edges(block_rows)
    c_edges = _group_edges(block_cols)
    gr, gc = len(r_edges) - 1, len(c_edges) - 1
    a, b = np.divmod(np.arange(gr * gc), gc)
    r0, r1, c0, c1 = r_edges[a], r_edges[a + 1], c_edges[b], c_edges[b + 1]
    urban_geom = shapely.box(core.xs[c0], core.ys[r0], core.xs[c1], core.ys[r1])
    area_km2 = shapely.area(urban_geom) / 1e6
    urban_pop = np.round(area_km2 * rng.uniform(8_000, 22_000, len(a)))
    urban_hh = np.round(urban_pop / rng.uniform(2.5, 2.9, len(a)))
    # Streets (街道): 3 x 3 communities.
    street_of = (a // 3) * ((gc + 2) // 3) + b // 3
    n_urban = len(a)

    # Rural: one village community around each village's lanes.
    k = len(county.centre_x)
    counts = county.rows * county.cols
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    village = np.repeat(np.arange(k), counts)
    minx = np.minimum.reduceat(county.node_x, starts) if k else np.zeros(0)
    maxx = np.maximum.reduceat(county.node_x, starts) if k else np.zeros(0)
    miny = np.minimum.reduceat(county.node_y, starts) if k else np.zeros(0)
    maxy = np.maximum.reduceat(county.node_y, starts) if k else np.zeros(0)
    del village
    rural_geom = shapely.box(minx - 150, miny - 150, maxx + 150, maxy + 150)
    rural_pop = np.round(counts * rng.uniform(5, 9, k))
    rural_hh = np.round(rural_pop / rng.uniform(3.0, 3.6, k))

    n_streets = int(street_of.max()) + 1
    n_towns = int(county.township.max()) + 1 if k else 0
    street_names = np.asarray(_names(_COMMUNITY_STEMS, n_streets, "街道", rng), dtype=object)
    town_names = np.asarray(_names(_COMMUNITY_STEMS[::-1], n_towns, "镇", rng), dtype=object)
    village_stems = tuple(s + x for s in _SURNAMES for x in _VILLAGE_SUFFIXES)
    names = _names(_COMMUNITY_STEMS, n_urban, "社区", rng) + _names(village_stems, k, "村", rng)
    total = n_urban + k
    communities = gpd.GeoDataFrame(
        {
            "community_id": [f"C{n:05d}" for n in range(1, total + 1)],
            "name": names,
            "kind": ["urban"] * n_urban + ["rural"] * k,
            "households": np.concatenate([urban_hh, rural_hh]).astype(np.float64),
            "population": np.concatenate([urban_pop, rural_pop]).astype(np.float64),
            "street": np.concatenate([street_names[street_of], town_names[county.township]]),
            "district": ["中心城区"] * n_urban + ["示范县"] * k,
        },
        geometry=np.concatenate([urban_geom, rural_geom]),
        crs=CRS_METRIC,
    )
    communities["street"] = communities["street"].astype(str)
    places = _Places(
        n_urban=n_urban, block_r0=r0, block_r1=r1, block_c0=c0, block_c1=c1,
        xs=core.xs, ys=core.ys, county=county, village_start=starts, village_count=counts,
        weight=np.concatenate([(r1 - r0) * (c1 - c0), counts]).astype(np.float64),
    )
    places.street = np.concatenate([street_of, n_streets + county.township])
    return communities, places


def _population(communities: gpd.GeoDataFrame, places: _Places, n_points: int,
                rng: np.random.Generator) -> gpd.GeoDataFrame:
    n_comm = len(communities)
    n_points = max(n_points, n_comm)
    # One point in every community, the rest in proportion to its road nodes.
    counts = 1 + rng.multinomial(n_points - n_comm, places.weight / places.weight.sum())
    community = np.repeat(np.arange(n_comm), counts)
    x, y = places.sample(community, rng)
    weight = rng.gamma(2.0, 1.0, n_points) + 1e-3
    totals = np.bincount(community, weights=weight, minlength=n_comm)
    population = weight / totals[community] * communities["population"].to_numpy()[community]
    return gpd.GeoDataFrame(
        {
            "population": population,
            "community_id": _take(communities["community_id"], community),
        },
        geometry=shapely.points(x, y),
        crs=CRS_METRIC,
    )


def _take(column: pd.Series, rows: np.ndarray) -> pd.Series:
    """Values of a string column at integer positions (fast for a million rows)."""
    return column.take(rows).reset_index(drop=True)


def _numbered(names: pd.Series) -> pd.Series:
    """Make repeated names unique the way lists of sites do: 花园社区便民商业（2）."""
    nth = names.groupby(names.to_numpy()).cumcount().to_numpy()
    return names.where(nth == 0, names + "（" + pd.Series(nth + 1).astype(str) + "）")


def _facilities(communities: gpd.GeoDataFrame, places: _Places, rng: np.random.Generator) -> gpd.GeoDataFrame:
    n_comm = len(communities)
    urban = (communities["kind"] == "urban").to_numpy()
    keys = list(CATEGORIES)
    rates = np.array([[_RATES.get(key, _DEFAULT_RATE)[0 if u else 1] for key in keys] for u in (True, False)])
    rate = np.where(urban[:, None], rates[0][None, :], rates[1][None, :])
    counts = rng.poisson(rate)  # communities x categories
    for key in _AT_MOST_ONE:
        if key in CATEGORIES:
            col = keys.index(key)
            counts[:, col] = rng.random(n_comm) < rate[:, col]
    comm_idx, cat_idx = np.nonzero(counts)
    reps = counts[comm_idx, cat_idx]
    community = np.repeat(comm_idx, reps)
    category = np.repeat(cat_idx, reps)
    # One social-work station and one service centre per street / township, in a random member.
    street = places.street
    pick = np.lexsort((rng.random(n_comm), street))
    first_of_street = pick[np.r_[True, street[pick][1:] != street[pick][:-1]]]
    for key in _PER_STREET:
        if key in CATEGORIES:
            community = np.concatenate([community, first_of_street])
            category = np.concatenate([category, np.full(len(first_of_street), keys.index(key))])
    order = np.lexsort((category, community))
    community, category = community[order], category[order]
    x, y = places.sample(community, rng)
    n = len(community)
    low = np.array([_FLOOR_M2.get(key, _DEFAULT_FLOOR)[0] for key in keys])[category]
    high = np.array([_FLOOR_M2.get(key, _DEFAULT_FLOOR)[1] for key in keys])[category]
    per_place = np.array([_FLOOR_M2.get(key, _DEFAULT_FLOOR)[2] for key in keys])[category]
    # Log-uniform: many small sites, a few large ones.
    floor = np.round(np.exp(rng.uniform(np.log(low), np.log(high))))
    rural = ~urban[community]
    floor = np.where(rural, np.round(floor * 0.7), floor)  # village sites are smaller
    labels = np.array([CATEGORIES[key].zh for key in keys], dtype=object)[category]
    name = _numbered(pd.Series(communities["name"].to_numpy()[community], dtype=object)
                     + pd.Series(labels, dtype=object))
    return gpd.GeoDataFrame(
        {
            "facility_id": [f"F{k:06d}" for k in range(1, n + 1)],
            "category": np.array(keys, dtype=object)[category],
            "name": name.to_numpy(),
            "floor_area_m2": floor.astype(np.float64),
            "capacity": np.maximum(1.0, np.round(floor / per_place)),
            "status": np.where(rng.random(n) < 0.05, "planned", "existing"),
            "community_id": _take(communities["community_id"], community),
        },
        geometry=shapely.points(x, y),
        crs=CRS_METRIC,
    )


def _candidates(communities: gpd.GeoDataFrame, places: _Places, rng: np.random.Generator) -> gpd.GeoDataFrame:
    urban = (communities["kind"] == "urban").to_numpy()
    counts = rng.poisson(np.where(urban, 0.4, 0.2))
    community = np.repeat(np.arange(len(communities)), counts)
    x, y = places.sample(community, rng)
    n = len(community)
    floor = np.round(np.exp(rng.uniform(np.log(100), np.log(1_500), n)))
    kind = np.array(_IDLE_KINDS, dtype=object)[rng.integers(0, len(_IDLE_KINDS), n)]
    names = _numbered(pd.Series(communities["name"].to_numpy()[community], dtype=object)
                      + pd.Series(kind, dtype=object))
    return gpd.GeoDataFrame(
        {
            "candidate_id": [f"K{k:05d}" for k in range(1, n + 1)],
            "name": names.to_numpy(),
            "floor_area_m2": floor.astype(np.float64),
            "source": "idle_building",
            "cost": np.round(floor * rng.uniform(1_200, 3_000, n), -3),
            "community_id": _take(communities["community_id"], community),
        },
        geometry=shapely.points(x, y),
        crs=CRS_METRIC,
    )
