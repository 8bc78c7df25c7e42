"""The road network as flat arrays: nodes in a metric CRS, straight edges with a road class.

Every vertex of every road line is a node, so each edge is a straight segment. This keeps
service-circle geometry exact (a circle ends part-way along a segment) and lets networks of a
million nodes live in a few NumPy arrays. Travel modes (which classes a mode may use, at what
speed, whether one-way streets apply) belong to :mod:`planning.access.travel`; this module only turns
per-edge weights into a sparse adjacency matrix and snaps points to nodes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from scipy.sparse import csr_matrix
from scipy.spatial import cKDTree

#: Road classes, in OSM ``highway=*`` words. Edges store an ``int8`` code into this tuple.
HIGHWAY_CLASSES: tuple[str, ...] = (
    "motorway",
    "motorway_link",
    "trunk",
    "trunk_link",
    "primary",
    "primary_link",
    "secondary",
    "secondary_link",
    "tertiary",
    "tertiary_link",
    "unclassified",
    "residential",
    "living_street",
    "service",
    "road",
    "track",
    "pedestrian",
    "footway",
    "path",
    "steps",
    "cycleway",
    "bridleway",
    "other",
)
_CLASS_CODE = {name: code for code, name in enumerate(HIGHWAY_CLASSES)}
OTHER_CLASS = _CLASS_CODE["other"]
_SNAP_FIRST_PASS_M = 500.0

# Geofabrik shapefiles write oneway as F (forward), T (against the line), B (both).
_ONEWAY_FORWARD = {"yes", "true", "1", "f", "forward"}
_ONEWAY_BACKWARD = {"-1", "t", "reverse", "backward"}


def highway_code(values: Any) -> np.ndarray:
    """Map OSM highway words (``"residential"``, ``"primary_link"``, lists …) to class codes."""
    series = pd.Series(values, dtype="object")
    first = series.map(lambda v: v[0] if isinstance(v, (list, tuple)) and v else v)
    words = first.astype("string").str.strip().str.lower().fillna("other")
    return words.map(_CLASS_CODE).fillna(OTHER_CLASS).to_numpy(dtype=np.int8)


def oneway_direction(values: Any) -> np.ndarray:
    """+1 one-way along the line, -1 against it, 0 two-way (from OSM or Geofabrik values)."""
    series = pd.Series(values, dtype="object")
    words = series.map(lambda v: v[0] if isinstance(v, (list, tuple)) and v else v)
    words = words.astype("string").str.strip().str.lower().fillna("")
    out = np.zeros(len(words), dtype=np.int8)
    out[words.isin(_ONEWAY_FORWARD).to_numpy()] = 1
    out[words.isin(_ONEWAY_BACKWARD).to_numpy()] = -1
    return out


@dataclass(eq=False)
class RoadNetwork:
    """Nodes and straight edges of a road network in one metric CRS.

    Attributes
    ----------
    crs : pyproj.CRS
        The metric CRS of ``node_x``/``node_y``.
    node_x, node_y : numpy.ndarray
        Node coordinates in metres.
    edge_u, edge_v : numpy.ndarray
        Node indices of each edge (``int64``).
    edge_length_m : numpy.ndarray
        Length of each edge in metres.
    edge_class : numpy.ndarray
        ``int8`` code into :data:`HIGHWAY_CLASSES`.
    edge_oneway : numpy.ndarray
        ``True`` where vehicles may only go from ``u`` to ``v``; walking ignores it.
    source : str
        Where the network came from (file name or description), for messages.
    incomplete_ways, missing_nodes, dropped_segments : int
        OpenStreetMap ways that refer to nodes missing from the file (a clipped extract), how
        many such nodes, and how many road segments were left out because they touch one.
    """

    crs: CRS
    node_x: np.ndarray
    node_y: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_length_m: np.ndarray
    edge_class: np.ndarray
    edge_oneway: np.ndarray
    source: str = ""
    incomplete_ways: int = 0
    missing_nodes: int = 0
    dropped_segments: int = 0
    _kdtrees: dict[Any, tuple[cKDTree, np.ndarray]] = field(default_factory=dict, repr=False)

    @property
    def n_nodes(self) -> int:
        return int(self.node_x.shape[0])

    @property
    def n_edges(self) -> int:
        return int(self.edge_u.shape[0])

    @property
    def total_length_km(self) -> float:
        return float(self.edge_length_m.sum() / 1000.0)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        return (
            float(self.node_x.min()),
            float(self.node_y.min()),
            float(self.node_x.max()),
            float(self.node_y.max()),
        )

    def with_incomplete(self, *, incomplete_ways: int, missing_nodes: int,
                        dropped_segments: int) -> RoadNetwork:
        """This network, recording what a clipped OpenStreetMap extract lacked."""
        self.incomplete_ways = incomplete_ways
        self.missing_nodes = missing_nodes
        self.dropped_segments = dropped_segments
        return self

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_arrays(
        cls,
        *,
        crs: CRS | str | int,
        node_x: np.ndarray,
        node_y: np.ndarray,
        edge_u: np.ndarray,
        edge_v: np.ndarray,
        edge_class: np.ndarray | None = None,
        edge_oneway: np.ndarray | None = None,
        edge_length_m: np.ndarray | None = None,
        source: str = "",
    ) -> RoadNetwork:
        """Build from node coordinates and edge endpoint indices.

        Self-loops and zero-length edges are removed; parallel duplicates are kept once (the
        shortest, one-way only if every copy is one-way in the same direction).
        """
        node_x = np.ascontiguousarray(node_x, dtype=np.float64)
        node_y = np.ascontiguousarray(node_y, dtype=np.float64)
        u = np.asarray(edge_u, dtype=np.int64)
        v = np.asarray(edge_v, dtype=np.int64)
        n = len(u)
        cls_codes = (
            np.full(n, _CLASS_CODE["residential"], dtype=np.int8)
            if edge_class is None
            else np.asarray(edge_class, dtype=np.int8)
        )
        oneway = np.zeros(n, dtype=bool) if edge_oneway is None else np.asarray(edge_oneway, dtype=bool)
        if edge_length_m is None:
            length = np.hypot(node_x[u] - node_x[v], node_y[u] - node_y[v])
        else:
            length = np.asarray(edge_length_m, dtype=np.float64)
        keep = (u != v) & (length > 0)
        u, v, length, cls_codes, oneway = u[keep], v[keep], length[keep], cls_codes[keep], oneway[keep]
        # One edge per unordered pair and direction kind: two-way edges are keyed (min, max).
        a = np.where(oneway, u, np.minimum(u, v))
        b = np.where(oneway, v, np.maximum(u, v))
        order = np.lexsort((length, oneway, b, a))
        key = np.stack([a[order], b[order], oneway[order]], axis=1)
        first = np.ones(len(order), dtype=bool)
        first[1:] = np.any(key[1:] != key[:-1], axis=1)
        sel = np.sort(order[first])
        return cls(
            crs=CRS.from_user_input(crs),
            node_x=node_x,
            node_y=node_y,
            edge_u=u[sel],
            edge_v=v[sel],
            edge_length_m=length[sel],
            edge_class=cls_codes[sel],
            edge_oneway=oneway[sel],
            source=source,
        )

    @classmethod
    def from_lines(
        cls,
        lines: gpd.GeoDataFrame,
        *,
        highway_column: str | None = "highway",
        oneway_column: str | None = "oneway",
        source: str = "",
        snap_tolerance_m: float = 0.01,
    ) -> RoadNetwork:
        """Build from a layer of road lines in a metric CRS, split at every shared vertex.

        Lines that share a vertex (within ``snap_tolerance_m``) are joined there, which is how
        OSM junctions appear in line exports such as Geofabrik shapefiles. Lines that merely
        cross without a shared vertex (bridges, tunnels) stay unconnected.
        """
        if lines.crs is None or not CRS.from_user_input(lines.crs).is_projected:
            raise ValueError("RoadNetwork.from_lines needs lines in a projected (metric) CRS.")
        exploded = lines.explode(index_parts=False, ignore_index=True)
        geoms = exploded.geometry.to_numpy()
        kinds = shapely.get_type_id(geoms)
        keep = kinds == 1  # LineString
        exploded = exploded.loc[keep].reset_index(drop=True)
        geoms = geoms[keep]
        coords, line_index = shapely.get_coordinates(geoms, return_index=True)
        if len(coords) == 0:
            raise ValueError("The road layer has no line geometry.")
        grid = np.round(coords / snap_tolerance_m).astype(np.int64)
        _, first_pos, node_of_vertex = np.unique(grid, axis=0, return_index=True, return_inverse=True)
        node_of_vertex = node_of_vertex.ravel()
        node_xy = coords[first_pos]
        same_line = line_index[1:] == line_index[:-1]
        seg_u = node_of_vertex[:-1][same_line]
        seg_v = node_of_vertex[1:][same_line]
        seg_line = line_index[:-1][same_line]
        if highway_column and highway_column in exploded.columns:
            codes = highway_code(exploded[highway_column].to_numpy())
        else:
            codes = np.full(len(exploded), _CLASS_CODE["residential"], dtype=np.int8)
        if oneway_column and oneway_column in exploded.columns:
            direction = oneway_direction(exploded[oneway_column].to_numpy())
        else:
            direction = np.zeros(len(exploded), dtype=np.int8)
        seg_dir = direction[seg_line]
        u = np.where(seg_dir == -1, seg_v, seg_u)
        v = np.where(seg_dir == -1, seg_u, seg_v)
        return cls.from_arrays(
            crs=lines.crs,
            node_x=node_xy[:, 0],
            node_y=node_xy[:, 1],
            edge_u=u,
            edge_v=v,
            edge_class=codes[seg_line],
            edge_oneway=seg_dir != 0,
            source=source,
        )

    # ------------------------------------------------------------------ queries
    def class_mask(self, classes: set[str] | frozenset[str]) -> np.ndarray:
        """Boolean mask of edges whose road class is in ``classes``."""
        wanted = np.zeros(len(HIGHWAY_CLASSES), dtype=bool)
        for name in classes:
            wanted[_CLASS_CODE[name]] = True
        return wanted[self.edge_class]

    def adjacency(
        self,
        edge_weight: np.ndarray,
        *,
        usable: np.ndarray | None = None,
        respect_oneway: bool = False,
    ) -> csr_matrix:
        """Directed sparse adjacency (``n_nodes`` square) with ``edge_weight`` on usable edges.

        Two-way edges (and every edge when ``respect_oneway`` is false) appear in both
        directions. Where two edges join the same pair of nodes the smaller weight wins.
        Duplicate node pairs (a one-way and a two-way edge between the same nodes) are rare, so
        they are found from a matrix of edge counts and only they are resolved: a million-node
        build stays a few linear passes, with no global sort.
        """
        mask = np.ones(self.n_edges, dtype=bool) if usable is None else np.asarray(usable, dtype=bool)
        u, v, w = self.edge_u[mask], self.edge_v[mask], np.asarray(edge_weight, dtype=np.float64)[mask]
        both = np.ones(len(u), dtype=bool) if not respect_oneway else ~self.edge_oneway[mask]
        rows = np.concatenate([u, v[both]])
        cols = np.concatenate([v, u[both]])
        data = np.concatenate([w, w[both]])
        n = self.n_nodes
        counts = csr_matrix((np.ones(len(rows), dtype=np.int32), (rows, cols)), shape=(n, n))
        counts.sum_duplicates()
        matrix = csr_matrix((data, (rows, cols)), shape=(n, n))
        matrix.sum_duplicates()
        if (counts.data > 1).any():
            # Same sparsity pattern and order as ``counts``: fix the summed entries with the minimum.
            dup_pos = np.flatnonzero(counts.data > 1)
            dup_rows = np.searchsorted(counts.indptr, dup_pos, side="right") - 1
            dup_key = dup_rows.astype(np.int64) * n + counts.indices[dup_pos]
            key = rows.astype(np.int64) * n + cols
            sel = np.isin(key, dup_key)
            smallest = pd.Series(data[sel]).groupby(key[sel]).min()
            matrix.data[dup_pos] = smallest.reindex(dup_key).to_numpy()
        # csgraph reads stored entries as edges, so an edge of zero weight stays an edge.
        return matrix

    def subnetwork(self, node_mask: np.ndarray) -> tuple[RoadNetwork, np.ndarray]:
        """The nodes in ``node_mask`` and the edges joining two of them, renumbered in order.

        Lengths, classes and one-way flags are copied as stored (nothing is re-measured or
        de-duplicated), so a trip inside the part takes the same minutes as on the whole.

        Returns
        -------
        network : RoadNetwork
        node_ids : numpy.ndarray
            Index in this network of each node of the part (ascending, ``int64``).
        """
        mask = np.asarray(node_mask, dtype=bool)
        if mask.shape != (self.n_nodes,):
            raise ValueError(f"node_mask must have one entry per node ({self.n_nodes}), got {mask.shape}.")
        node_ids = np.flatnonzero(mask)
        new_id = np.full(self.n_nodes, -1, dtype=np.int64)
        new_id[node_ids] = np.arange(len(node_ids))
        keep = mask[self.edge_u] & mask[self.edge_v]
        part = RoadNetwork(
            crs=self.crs,
            node_x=self.node_x[node_ids],
            node_y=self.node_y[node_ids],
            edge_u=new_id[self.edge_u[keep]],
            edge_v=new_id[self.edge_v[keep]],
            edge_length_m=self.edge_length_m[keep],
            edge_class=self.edge_class[keep],
            edge_oneway=self.edge_oneway[keep],
            source=self.source,
        )
        return part, node_ids

    def nodes_with_edges(self, usable: np.ndarray | None = None) -> np.ndarray:
        """Boolean mask of nodes touched by at least one (usable) edge."""
        mask = np.ones(self.n_edges, dtype=bool) if usable is None else usable
        touched = np.zeros(self.n_nodes, dtype=bool)
        touched[self.edge_u[mask]] = True
        touched[self.edge_v[mask]] = True
        return touched

    def snap(
        self,
        x: np.ndarray,
        y: np.ndarray,
        *,
        node_mask: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Nearest node of every point, in one KD-tree query.

        The tree over the allowed nodes is built once and kept (one per ``node_mask``). Large
        batches are queried in spatial order, which keeps the tree walk in cache and roughly
        halves the time for a million points.

        Parameters
        ----------
        x, y : numpy.ndarray
            Point coordinates in the network CRS.
        node_mask : numpy.ndarray, optional
            Only these nodes may be snapped to (e.g. nodes of a mode's usable edges).

        Returns
        -------
        node : numpy.ndarray
            Index of the nearest node (``int64``).
        distance_m : numpy.ndarray
            Straight-line distance to it in metres.
        """
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        if len(x) == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
        if not (np.isfinite(x).all() and np.isfinite(y).all()):
            raise ValueError("Points to snap have missing or infinite coordinates.")
        tree, ids = self._kdtree(node_mask)
        order = _spatial_order(x, y) if len(x) > 50_000 else None
        pts = np.column_stack([x, y]) if order is None else np.column_stack([x[order], y[order]])
        # A first pass bounded at 500 m prunes most of the tree walk; the rare points farther
        # from every road are queried again without the bound.
        dist, pos = tree.query(pts, k=1, workers=-1, distance_upper_bound=_SNAP_FIRST_PASS_M)
        far = np.flatnonzero(~np.isfinite(dist))
        if len(far):
            dist[far], pos[far] = tree.query(pts[far], k=1, workers=-1)
        node = ids[pos].astype(np.int64)
        if order is None:
            return node, dist
        node_out, dist_out = np.empty_like(node), np.empty_like(dist)
        node_out[order], dist_out[order] = node, dist
        return node_out, dist_out

    def _kdtree(self, node_mask: np.ndarray | None) -> tuple[cKDTree, np.ndarray]:
        key = ("__all__" if node_mask is None
               else hashlib.blake2b(np.packbits(node_mask).tobytes(), digest_size=16).digest())
        if key not in self._kdtrees:
            ids = np.arange(self.n_nodes) if node_mask is None else np.flatnonzero(node_mask)
            if len(ids) == 0:
                raise ValueError("The road network has no usable nodes to snap to.")
            self._kdtrees[key] = (cKDTree(np.column_stack([self.node_x[ids], self.node_y[ids]])), ids)
        return self._kdtrees[key]

    def edges_frame(self, edge_index: np.ndarray | None = None) -> gpd.GeoDataFrame:
        """Edges as a GeoDataFrame of straight LineStrings (for maps and base layers)."""
        idx = np.arange(self.n_edges) if edge_index is None else np.asarray(edge_index)
        u, v = self.edge_u[idx], self.edge_v[idx]
        starts = np.column_stack([self.node_x[u], self.node_y[u]])
        ends = np.column_stack([self.node_x[v], self.node_y[v]])
        geoms = shapely.linestrings(np.stack([starts, ends], axis=1))
        classes = np.asarray(HIGHWAY_CLASSES, dtype=object)[self.edge_class[idx]]
        return gpd.GeoDataFrame(
            {
                "u": u,
                "v": v,
                "length_m": self.edge_length_m[idx],
                "highway": classes,
                "oneway": self.edge_oneway[idx],
            },
            geometry=geoms,
            crs=self.crs,
        )

    def to_npz(self, path: Any) -> None:
        """Save the arrays (a cache of a network that was slow to parse)."""
        np.savez_compressed(
            path,
            crs=np.array(self.crs.to_wkt()),
            node_x=self.node_x,
            node_y=self.node_y,
            edge_u=self.edge_u,
            edge_v=self.edge_v,
            edge_length_m=self.edge_length_m,
            edge_class=self.edge_class,
            edge_oneway=self.edge_oneway,
            source=np.array(self.source),
            incomplete=np.array([self.incomplete_ways, self.missing_nodes,
                                 self.dropped_segments], dtype=np.int64),
        )

    @classmethod
    def from_npz(cls, path: Any) -> RoadNetwork:
        with np.load(path, allow_pickle=False) as z:
            return cls(
                crs=CRS.from_wkt(str(z["crs"])),
                node_x=z["node_x"],
                node_y=z["node_y"],
                edge_u=z["edge_u"],
                edge_v=z["edge_v"],
                edge_length_m=z["edge_length_m"],
                edge_class=z["edge_class"],
                edge_oneway=z["edge_oneway"],
                source=str(z["source"]),
                **_incomplete(z),
            )


def _incomplete(z: Any) -> dict[str, int]:
    """The missing-node counts of a cache file (absent from files of older versions)."""
    if "incomplete" not in z.files:
        return {}
    ways, nodes, segments = (int(v) for v in z["incomplete"][:3])
    return {"incomplete_ways": ways, "missing_nodes": nodes, "dropped_segments": segments}


def _spatial_order(x: np.ndarray, y: np.ndarray, cell_m: float = 250.0) -> np.ndarray:
    """Order of points by 250 m cell (row by row), for cache-friendly KD-tree queries."""
    cx = ((x - x.min()) // cell_m).astype(np.int64)
    cy = ((y - y.min()) // cell_m).astype(np.int64)
    return np.argsort(cy * (int(cx.max()) + 1) + cx, kind="stable")
