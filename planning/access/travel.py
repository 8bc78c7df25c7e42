"""Travel time over the road network for each travel mode.

A :class:`TravelModel` turns a :class:`geo.network.RoadNetwork` into a sparse matrix of edge
minutes for one mode (walk, e-bike, car) and is built once per network, mode and speeds.
Times from many points to their nearest facility come from one multi-source Dijkstra run on the
*reverse* graph, so that one-way streets give the time FROM the point TO the facility; a virtual
super-source joined to every facility node by that facility's off-network walk makes the
facilities' own access legs part of the same run. Every point adds its straight-line walk to its
nearest usable node, at walking speed, whatever the mode.

Modes
-----
walk
    Every road except motorways and their links; one-way streets ignored.
ebike
    Every road except motorways, their links and steps, at one speed; one-way streets only when
    ``Settings.ebike_respects_oneway``.
car
    Road classes listed in ``Settings.car_speeds_km_per_h`` at their speed; one-way respected.

Examples
--------
>>> import numpy as np
>>> from geo.network import RoadNetwork
>>> from planning.settings import Settings
>>> net = RoadNetwork.from_arrays(crs=32650, node_x=np.array([0.0, 750.0]), node_y=np.zeros(2),
...                               edge_u=np.array([0]), edge_v=np.array([1]))
>>> model = TravelModel.for_mode(net, "walk", Settings())
>>> model.minutes_to_nearest(np.array([750.0]), np.array([0.0]), np.array([0.0]), np.array([0.0]),
...                          limit_minutes=15.0)
array([10.])
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra

from geo.network import HIGHWAY_CLASSES, RoadNetwork
from planning._once import OnceCache
from planning.settings import MODES, Settings

#: Slack on time comparisons (minutes): a point exactly on the circle's edge counts as inside
#: although a sum of edge times may round a few ulps above the limit.
EPS_MINUTES = 1e-6

_NO_WALK = frozenset({"motorway", "motorway_link"})
_NO_EBIKE = frozenset({"motorway", "motorway_link", "steps"})
# Budget (float64 cells) of one dense block of per-source distances.
_BLOCK_CELLS = 20_000_000
_CACHE_ATTR = "_travel_models"
#: Sets of points (facilities of a category) whose minutes a model keeps (:meth:`TravelModel.nearest_minutes`).
NEAREST_KEPT = 48
_CACHE_GUARD = threading.Lock()


def _usable_classes(mode: str, settings: Settings) -> frozenset[str]:
    if mode == "walk":
        return frozenset(HIGHWAY_CLASSES) - _NO_WALK
    if mode == "ebike":
        return frozenset(HIGHWAY_CLASSES) - _NO_EBIKE
    if mode == "car":
        unknown = set(settings.car_speeds_km_per_h) - set(HIGHWAY_CLASSES)
        if unknown:
            raise ValueError(
                f"Unknown road class(es) in car_speeds_km_per_h: {', '.join(sorted(unknown))}; "
                f"use OSM highway words such as {', '.join(HIGHWAY_CLASSES[:6])}."
            )
        return frozenset(settings.car_speeds_km_per_h)
    raise ValueError(f"Unknown travel mode {mode!r}; use one of {', '.join(MODES)}.")


@dataclass(eq=False)
class TravelModel:
    """Travel-time graph of one network for one mode.

    Attributes
    ----------
    network : geo.network.RoadNetwork
    mode : {"walk", "ebike", "car"}
    matrix : scipy.sparse.csr_matrix
        Minutes on each edge, row → column where travel is allowed.
    reverse : scipy.sparse.csr_matrix
        Transpose of ``matrix`` (searches from facilities give times towards them).
    node_mask : numpy.ndarray
        Nodes on at least one edge usable by this mode (points snap only to these).
    access_speed_m_per_min : float
        Walking speed of the off-network leg between a point and its node.
    edge_minutes : numpy.ndarray
        Minutes of every network edge in this mode (``inf`` where the mode may not use it).
    edge_forward, edge_backward : numpy.ndarray
        Whether the mode may travel the edge from ``u`` to ``v`` / from ``v`` to ``u``.
    """

    network: RoadNetwork
    mode: str
    matrix: csr_matrix
    reverse: csr_matrix
    node_mask: np.ndarray
    access_speed_m_per_min: float
    edge_minutes: np.ndarray
    edge_forward: np.ndarray
    edge_backward: np.ndarray

    # ------------------------------------------------------------------ construction
    @classmethod
    def for_mode(cls, network: RoadNetwork, mode: str, settings: Settings | None = None) -> TravelModel:
        """The model of ``network`` for ``mode``, built on first use and cached on the network.

        Parameters
        ----------
        network : geo.network.RoadNetwork
        mode : {"walk", "ebike", "car"}
        settings : Settings, optional
            Speeds (DESIGN.md defaults when omitted).
        """
        settings = settings or Settings()
        key = settings.speeds_key(mode)
        cache: OnceCache[TravelModel] | None = network.__dict__.get(_CACHE_ATTR)
        if cache is None:
            with _CACHE_GUARD:
                # Stored on the network itself so the models live exactly as long as it does.
                cache = network.__dict__.setdefault(_CACHE_ATTR, OnceCache())
        # Sessions of the app share one network: each model is built once for all of them.
        return cache.get(key, lambda: cls._build(network, mode, settings))

    @classmethod
    def _build(cls, network: RoadNetwork, mode: str, settings: Settings) -> TravelModel:
        classes = _usable_classes(mode, settings)
        usable = network.class_mask(classes)
        length = network.edge_length_m
        if mode == "car":
            speed_by_code = np.full(len(HIGHWAY_CLASSES), np.nan)
            for name, speed in settings.car_speeds_km_per_h.items():
                speed_by_code[HIGHWAY_CLASSES.index(name)] = float(speed) * 1000.0 / 60.0
            speed = speed_by_code[network.edge_class]
            respect_oneway = True
        else:
            speed = np.full(network.n_edges, settings.speed_m_per_min(mode))
            respect_oneway = mode == "ebike" and settings.ebike_respects_oneway
        with np.errstate(invalid="ignore"):
            minutes = np.where(usable, length / np.where(usable, speed, 1.0), np.inf)
        matrix = network.adjacency(minutes, usable=usable, respect_oneway=respect_oneway)
        forward = usable.copy()
        backward = usable & (~network.edge_oneway if respect_oneway else True)
        return cls(
            network=network,
            mode=mode,
            matrix=matrix,
            reverse=matrix.T.tocsr(),
            node_mask=_snappable_nodes(network, matrix, usable, settings.min_piece_nodes),
            access_speed_m_per_min=settings.walk_speed(),
            edge_minutes=minutes,
            edge_forward=forward,
            edge_backward=np.asarray(backward, dtype=bool),
        )

    @property
    def n_nodes(self) -> int:
        return self.network.n_nodes

    # ------------------------------------------------------------------ snapping
    def snap(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Nearest usable node of every point and the minutes of the walk to it.

        One KD-tree query for all points (:meth:`geo.network.RoadNetwork.snap`; the tree is
        built once per set of usable nodes and shared by modes with the same nodes).

        Returns
        -------
        node : numpy.ndarray (int64)
        access_minutes : numpy.ndarray (float64)
        """
        if len(np.asarray(x)) and not self.node_mask.any():
            raise ValueError(f"The road network has no roads usable by mode {self.mode!r}.")
        node, dist = self.network.snap(x, y, node_mask=self.node_mask)
        return node, dist / self.access_speed_m_per_min

    # ------------------------------------------------------------------ shortest paths
    def nearest_minutes(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Minutes from every node to the nearest of the points ``(x, y)`` (snapped, their walk
        to the network included), with no limit.

        Kept for the last :data:`NEAREST_KEPT` sets of points: analyses that differ only in their
        circle times (a slider on the map) share these runs instead of searching again.
        """
        x = np.ascontiguousarray(x, dtype=np.float64)
        y = np.ascontiguousarray(y, dtype=np.float64)
        key = hashlib.sha1(x.tobytes() + b"|" + y.tobytes()).hexdigest()
        kept: OrderedDict[str, np.ndarray] = self.__dict__.setdefault("_nearest", OrderedDict())
        with _CACHE_GUARD:
            if key in kept:
                kept.move_to_end(key)
                return kept[key]
        node, access = self.snap(x, y)
        minutes = self.node_minutes_to_nearest(node, access)
        minutes.setflags(write=False)  # shared: no caller may change it
        with _CACHE_GUARD:
            kept[key] = minutes
            while len(kept) > NEAREST_KEPT:
                kept.popitem(last=False)
        return minutes

    def node_minutes_to_nearest(
        self,
        source_node: np.ndarray,
        source_access_minutes: np.ndarray,
        *,
        limit_minutes: float = np.inf,
    ) -> np.ndarray:
        """Minutes from every node to the nearest source (its access walk included).

        One Dijkstra run on the reverse graph from a virtual super-source whose edges to the
        source nodes weigh the sources' access minutes. Nodes beyond ``limit_minutes`` are ``inf``.
        """
        n = self.n_nodes
        if len(source_node) == 0:
            return np.full(n, np.inf)
        graph, _ = self._super_source_graph(source_node, source_access_minutes)
        limit = float(limit_minutes) + EPS_MINUTES if np.isfinite(limit_minutes) else np.inf
        dist = dijkstra(graph, directed=True, indices=n, limit=limit)
        return np.asarray(dist[:n], dtype=np.float64)

    def nearest_source(
        self,
        source_node: np.ndarray,
        source_access_minutes: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Minutes from every node to the nearest source, and which source that is.

        The same run as :meth:`node_minutes_to_nearest` (no limit), keeping the shortest-path
        tree: a node's source is the one whose node starts its path from the super-source.

        Returns
        -------
        minutes : numpy.ndarray (float64)
            As :meth:`node_minutes_to_nearest`; ``inf`` unreachable.
        source : numpy.ndarray (int64)
            Index into ``source_node`` of each node's nearest source; -1 where unreachable.
        """
        n = self.n_nodes
        if len(source_node) == 0:
            return np.full(n, np.inf), np.full(n, -1, dtype=np.int64)
        graph, first_source = self._super_source_graph(source_node, source_access_minutes)
        dist, pred = dijkstra(graph, directed=True, indices=n, return_predecessors=True)
        parent = np.asarray(pred[:n], dtype=np.int64)
        reached = parent >= 0
        # The nodes joined straight to the super-source start their own paths; every other
        # reached node follows its parent. Pointer doubling finds each path's start in
        # log2(depth) vectorised steps instead of a walk per node.
        root = np.where(parent == n, np.arange(n), np.where(reached, parent, np.arange(n)))
        while True:
            nxt = root[root]
            if np.array_equal(nxt, root):
                break
            root = nxt
        source = np.where(reached, first_source[root], -1)
        return np.asarray(dist[:n], dtype=np.float64), source

    def _super_source_graph(
        self, source_node: np.ndarray, source_access_minutes: np.ndarray
    ) -> tuple[csr_matrix, np.ndarray]:
        """The reverse graph plus a virtual node ``n`` joined to every source node.

        Returns the graph and, per network node, the index of the source kept on it (-1 where
        none): several sources on one node weigh only the shortest access walk.
        """
        n = self.n_nodes
        source_node = np.asarray(source_node, dtype=np.int64)
        offset = np.asarray(source_access_minutes, dtype=np.float64)
        # Several sources on one node: only the one with the shortest access walk matters.
        order = np.lexsort((offset, source_node))
        node_sorted = source_node[order]
        first = np.ones(len(order), dtype=bool)
        first[1:] = node_sorted[1:] != node_sorted[:-1]
        nodes, offsets = node_sorted[first], offset[order][first]
        first_source = np.full(n, -1, dtype=np.int64)
        first_source[nodes] = order[first]
        base = self.reverse
        # csgraph works on int32 indices; keep them so it does not copy the graph on every call.
        index_type = np.int32 if base.nnz + len(nodes) < np.iinfo(np.int32).max else np.int64
        indptr = np.concatenate([base.indptr, [base.indptr[-1] + len(nodes)]]).astype(index_type)
        indices = np.concatenate([base.indices, nodes]).astype(index_type)
        # csgraph reads explicitly stored zeros as zero-weight edges (a facility on its node).
        data = np.concatenate([base.data, np.maximum(offsets, 0.0)])
        return csr_matrix((data, indices, indptr), shape=(n + 1, n + 1)), first_source

    def minutes_to_nearest(
        self,
        source_x: np.ndarray,
        source_y: np.ndarray,
        target_x: np.ndarray,
        target_y: np.ndarray,
        *,
        limit_minutes: float,
    ) -> np.ndarray:
        """Minutes from every target point to its nearest source point.

        Off-network walks at both ends are included; ``inf`` when not reachable within
        ``limit_minutes`` (pass ``numpy.inf`` for no limit).

        Parameters
        ----------
        source_x, source_y : numpy.ndarray
            Facilities (where trips end).
        target_x, target_y : numpy.ndarray
            Demand points (where trips start).
        limit_minutes : float
        """
        target_x = np.asarray(target_x, dtype=np.float64)
        if len(target_x) == 0:
            return np.zeros(0, dtype=np.float64)
        if len(np.asarray(source_x)) == 0:
            return np.full(len(target_x), np.inf)
        src_node, src_access = self.snap(source_x, source_y)
        node_minutes = self.node_minutes_to_nearest(src_node, src_access, limit_minutes=limit_minutes)
        tgt_node, tgt_access = self.snap(target_x, target_y)
        return points_minutes(node_minutes, tgt_node, tgt_access, limit_minutes=limit_minutes)

    def reach_by_source(
        self,
        source_node: np.ndarray,
        source_access_minutes: np.ndarray,
        *,
        limit_minutes: float,
    ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Nodes each source is reachable from within the limit, in blocks of sources.

        Yields ``(source_index, node, minutes)`` arrays (sparse triples; minutes include the
        source's access walk and are ≤ ``limit_minutes``). Memory per block stays bounded.
        """
        n = max(self.n_nodes, 1)
        source_node = np.asarray(source_node, dtype=np.int64)
        offset = np.asarray(source_access_minutes, dtype=np.float64)
        block = max(1, _BLOCK_CELLS // n)
        limit = float(limit_minutes) + EPS_MINUTES
        for start in range(0, len(source_node), block):
            stop = min(start + block, len(source_node))
            dist = dijkstra(self.reverse, directed=True, indices=source_node[start:stop], limit=limit)
            dist = np.atleast_2d(dist) + offset[start:stop, None]
            rows, nodes = np.nonzero(dist <= limit)
            yield rows + start, nodes, dist[rows, nodes]


def points_minutes(
    node_minutes: np.ndarray,
    node: np.ndarray,
    access_minutes: np.ndarray,
    *,
    limit_minutes: float = np.inf,
) -> np.ndarray:
    """Per-point minutes from per-node minutes plus each point's own access walk."""
    out = node_minutes[node] + access_minutes
    if np.isfinite(limit_minutes):
        out[out > limit_minutes + EPS_MINUTES] = np.inf
    return out


def travel_model(network: RoadNetwork, mode: str, settings: Settings | None = None) -> TravelModel:
    """Shorthand for :meth:`TravelModel.for_mode`."""
    return TravelModel.for_mode(network, mode, settings)


def minutes_to_nearest(
    model: TravelModel,
    source_x: np.ndarray,
    source_y: np.ndarray,
    target_x: np.ndarray,
    target_y: np.ndarray,
    *,
    limit_minutes: float,
) -> np.ndarray:
    """Function form of :meth:`TravelModel.minutes_to_nearest`."""
    return model.minutes_to_nearest(source_x, source_y, target_x, target_y, limit_minutes=limit_minutes)


def snappable_nodes(network: RoadNetwork, mode: str, settings: Settings | None = None) -> np.ndarray:
    """The nodes points of ``mode`` snap to (``TravelModel.node_mask``), without the travel matrix.

    Cut-off pieces are found from the usable edges alone (weak connectivity ignores one-way
    streets and minutes), so this is the mask :meth:`TravelModel.for_mode` builds, at a fraction
    of the memory: what a partitioned run needs to snap every point of a province once.
    """
    settings = settings or Settings()
    usable = network.class_mask(_usable_classes(mode, settings))
    n = network.n_nodes
    structure = csr_matrix((np.ones(int(usable.sum()), dtype=np.int8),
                            (network.edge_u[usable], network.edge_v[usable])), shape=(n, n))
    return _snappable_nodes(network, structure, usable, settings.min_piece_nodes)


def max_speed_m_per_min(network: RoadNetwork, mode: str, settings: Settings | None = None) -> float:
    """Fastest straight-line progress of a trip in ``mode`` (m/min), off-network walk included.

    The top network speed of the mode (cars: their fastest usable road class), never below the
    walking speed of the access legs, and stretched where an edge is shorter than the straight
    line between its ends (a stored length below the geometry): no trip of ``t`` minutes ends
    farther than ``t`` times this from where it started.
    """
    settings = settings or Settings()
    classes = _usable_classes(mode, settings)
    if mode == "car":
        speed = max((float(settings.car_speeds_km_per_h[c]) * 1000.0 / 60.0 for c in classes), default=0.0)
    else:
        speed = settings.speed_m_per_min(mode)
    speed = max(speed, settings.walk_speed())
    usable = network.class_mask(classes)
    if usable.any():
        u, v = network.edge_u[usable], network.edge_v[usable]
        straight = np.hypot(network.node_x[u] - network.node_x[v], network.node_y[u] - network.node_y[v])
        # 0/0 (a zero-length edge between coincident nodes) is no stretch; x/0 is unbounded.
        with np.errstate(invalid="ignore", divide="ignore"):
            stretch = np.nanmax(straight / network.edge_length_m[usable], initial=1.0)
        speed *= max(1.0, float(stretch))
    return float(speed)


def _snappable_nodes(network: RoadNetwork, matrix: csr_matrix, usable: np.ndarray, min_piece_nodes: int) -> np.ndarray:
    """Nodes of usable roads, less those of small cut-off pieces (see ``Settings.min_piece_nodes``).

    The largest piece is always kept, and so is every piece of at least 1 % of the nodes, so a
    small hand-drawn network keeps all its pieces.
    """
    mask = network.nodes_with_edges(usable)
    if min_piece_nodes <= 0 or not mask.any():
        return mask
    _, label = connected_components(matrix, directed=True, connection="weak")
    size = np.bincount(label[mask], minlength=label.max() + 1)
    small = (size < min_piece_nodes) & (size < 0.01 * mask.sum())
    small[np.argmax(size)] = False
    return mask & ~small[label]
