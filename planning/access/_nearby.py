"""Searches from many sources, each over only the roads it can reach within the time limit.

:meth:`planning.access.travel.TravelModel.reach_by_source` runs Dijkstra on the whole network
for every source and scans a dense row of every node per source; with thousands of facilities on
a city network that costs far more than the few thousand nodes each 15-minute circle holds.
Here the sources are grouped into square tiles and each tile is searched on the subgraph of
nodes within ``R`` of the tile, where ``R`` is the limit times the fastest straight-line speed
of any edge: no trip within the limit can leave that window, so the times are exactly those of
the whole network.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from planning.access.travel import EPS_MINUTES, TravelModel

# Budget (float64 cells) of one dense block of per-source distances, as in travel.py.
_BLOCK_CELLS = 20_000_000
# Per model: fastest straight-line speed (m/min) and the node grids of each tile size.
_SPEED: weakref.WeakKeyDictionary[TravelModel, float] = weakref.WeakKeyDictionary()
_GRIDS: weakref.WeakKeyDictionary[TravelModel, dict[float, tuple[np.ndarray, ...]]] = \
    weakref.WeakKeyDictionary()


def _max_speed(model: TravelModel) -> float:
    """Largest straight-line distance per minute over any edge (``inf`` for a free edge)."""
    if model not in _SPEED:
        graph = model.reverse
        rows = np.repeat(np.arange(graph.shape[0]), np.diff(graph.indptr))
        net = model.network
        length = np.hypot(net.node_x[rows] - net.node_x[graph.indices],
                          net.node_y[rows] - net.node_y[graph.indices])
        moves = length > 0
        minutes = graph.data[moves]
        if (minutes <= 0).any():
            speed = np.inf  # an edge that covers ground in no time: no bound
        else:
            speed = float((length[moves] / minutes).max(initial=0.0))
        _SPEED[model] = speed
    return _SPEED[model]


def _grid(model: TravelModel, cell: float) -> tuple[np.ndarray, ...]:
    """Nodes sorted by their tile: (order, sorted keys, tile x, tile y, tiles per column)."""
    grids = _GRIDS.setdefault(model, {})
    if cell not in grids:
        net = model.network
        x0, y0 = float(net.node_x.min()), float(net.node_y.min())
        tx = np.floor((net.node_x - x0) / cell).astype(np.int64)
        ty = np.floor((net.node_y - y0) / cell).astype(np.int64)
        rows = int(ty.max()) + 3
        key = (tx + 1) * rows + (ty + 1)
        order = np.argsort(key, kind="stable")
        grids[cell] = (order, key[order], np.array([x0, y0]), np.array([rows]))
    return grids[cell]


def reach_nearby(model: TravelModel, source_node: np.ndarray, source_access_minutes: np.ndarray,
                 *, limit_minutes: float, targets: np.ndarray | None = None,
                 ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Nodes each source is reachable from within the limit: the triples of
    :meth:`~planning.access.travel.TravelModel.reach_by_source`, in another order.

    Yields ``(source_index, node, minutes)`` arrays; minutes include the source's access walk
    and are ≤ ``limit_minutes``. With ``targets`` (node indices, e.g. those holding demand
    points) only those nodes are reported, and sources too far from every target to reach one
    are not searched at all.
    """
    source_node = np.asarray(source_node, dtype=np.int64)
    offset = np.asarray(source_access_minutes, dtype=np.float64)
    net = model.network
    limit = float(limit_minutes) + EPS_MINUTES
    radius = _max_speed(model) * limit * (1 + 1e-9) + 1e-6
    wanted = np.ones(net.n_nodes, dtype=bool)
    searched = np.arange(len(source_node))
    if targets is not None:
        targets = np.unique(np.asarray(targets, dtype=np.int64))
        wanted[:] = False
        wanted[targets] = True
        if np.isfinite(radius) and len(searched):
            tree = cKDTree(np.column_stack([net.node_x[targets], net.node_y[targets]]))
            gap, _ = tree.query(np.column_stack([net.node_x[source_node], net.node_y[source_node]]),
                                distance_upper_bound=radius)
            searched = np.flatnonzero(np.isfinite(gap))
    extent = max(float(np.ptp(net.node_x)), float(np.ptp(net.node_y))) if net.n_nodes else 0.0
    if not len(searched):
        return
    if not np.isfinite(radius) or 3 * radius >= extent:
        # One window would hold the whole network: search it as it is.
        for rows, nodes, minutes in model.reach_by_source(source_node[searched], offset[searched],
                                                          limit_minutes=limit_minutes):
            keep = wanted[nodes]
            yield searched[rows[keep]], nodes[keep], minutes[keep]
        return
    order, keys, origin, rows = _grid(model, radius)
    n_rows = int(rows[0])
    graph = model.reverse
    local = np.full(net.n_nodes, -1, dtype=np.int64)
    sx = np.floor((net.node_x[source_node[searched]] - origin[0]) / radius).astype(np.int64) + 1
    sy = np.floor((net.node_y[source_node[searched]] - origin[1]) / radius).astype(np.int64) + 1
    tiles, tile_of = np.unique(sx * n_rows + sy, return_inverse=True)
    by_tile = searched[np.argsort(tile_of, kind="stable")]
    bounds = np.searchsorted(np.sort(tile_of), np.arange(len(tiles) + 1))
    for t, tile in enumerate(tiles):
        sources = by_tile[bounds[t]:bounds[t + 1]]
        cx, cy = divmod(int(tile), n_rows)
        # The 3 × 3 tiles around the sources' tile hold every node within the radius.
        nodes = np.sort(np.concatenate([
            order[np.searchsorted(keys, base - 1, side="left"):
                  np.searchsorted(keys, base + 1, side="right")]
            for base in ((cx + dx) * n_rows + cy for dx in (-1, 0, 1))]))
        local[nodes] = np.arange(len(nodes))
        sub = graph[nodes]
        cols = local[sub.indices]
        keep = cols >= 0
        row_of = np.repeat(np.arange(len(nodes)), np.diff(sub.indptr))
        counts = np.bincount(row_of[keep], minlength=len(nodes))
        # Built from its parts, so parallel edges stay as they are in the whole network.
        window = csr_matrix((sub.data[keep], cols[keep], np.concatenate([[0], np.cumsum(counts)])),
                            shape=(len(nodes), len(nodes)))
        report = np.flatnonzero(wanted[nodes])  # window positions of the nodes asked for
        block = max(1, _BLOCK_CELLS // max(len(nodes), 1))
        for start in range(0, len(sources), block):
            part = sources[start:start + block]
            dist = dijkstra(window, directed=True, indices=local[source_node[part]], limit=limit)
            dist = np.atleast_2d(dist)[:, report] + offset[part, None]
            hit_rows, hit_cols = np.nonzero(dist <= limit)
            yield part[hit_rows], nodes[report[hit_cols]], dist[hit_rows, hit_cols]
        local[nodes] = -1
