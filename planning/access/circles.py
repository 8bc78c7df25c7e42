"""Service-circle polygons for the map, drawn from the reachable road network.

A circle is the set of road positions from which a resident reaches a facility within the circle
time: every edge reached in full, plus the reached part of partly reached edges (cut at the
remaining time; edges are straight so the cut is exact), plus each facility's own walk to the
network, buffered by ``buffer_m`` (about a building plot either side of the road) and unioned.
Times run towards the facility (reverse graph), so one-way streets are honoured. Straight-line
buffers (:func:`buffer_circles`) are only a comparison layer.

Examples
--------
>>> import numpy as np
>>> from geo.network import RoadNetwork
>>> from planning.settings import Settings
>>> from planning.access.travel import TravelModel
>>> net = RoadNetwork.from_arrays(crs=32650, node_x=np.array([0.0, 1500.0]), node_y=np.zeros(2),
...                               edge_u=np.array([0]), edge_v=np.array([1]))
>>> model = TravelModel.for_mode(net, "walk", Settings())
>>> gdf = service_circles(model, np.array([0.0]), np.array([0.0]), minutes=10.0, buffer_m=10.0)
>>> round(gdf.geometry.iloc[0].bounds[2])   # 10 min x 75 m/min reached, + 10 m band
760
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import shapely
from scipy.sparse import csr_matrix

from planning.access.travel import EPS_MINUTES, TravelModel

_INCIDENCE_LOCK = threading.Lock()


def reached_segments(
    model: TravelModel, node_minutes: np.ndarray, budget_minutes: float, *, edges: np.ndarray | None = None
) -> np.ndarray:
    """Reached pieces of network edges as ``(k, 2, 2)`` segment coordinates.

    ``node_minutes`` holds the minutes from each node to the facility (``inf`` unreached).
    A point at fraction ``f`` along edge ``u→v`` reaches the facility via ``v`` in
    ``(1 - f)·w + t_v`` (if the mode may go u→v) and via ``u`` in ``f·w + t_u`` (if v→u).
    """
    net = model.network
    idx = np.arange(net.n_edges) if edges is None else np.asarray(edges, dtype=np.int64)
    w = model.edge_minutes[idx]
    t_u = node_minutes[net.edge_u[idx]]
    t_v = node_minutes[net.edge_v[idx]]
    ok = np.isfinite(w) & (w > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        from_u = np.where(ok & model.edge_backward[idx] & (t_u <= budget_minutes),
                          np.clip((budget_minutes - t_u) / w, 0.0, 1.0), 0.0)
        from_v = np.where(ok & model.edge_forward[idx] & (t_v <= budget_minutes),
                          np.clip((budget_minutes - t_v) / w, 0.0, 1.0), 0.0)
    full = from_u + from_v >= 1.0 - 1e-12
    x0, y0 = net.node_x[net.edge_u[idx]], net.node_y[net.edge_u[idx]]
    x1, y1 = net.node_x[net.edge_v[idx]], net.node_y[net.edge_v[idx]]
    dx, dy = x1 - x0, y1 - y0
    parts = []
    # Whole edges.
    parts.append(np.stack([np.column_stack([x0, y0]), np.column_stack([x1, y1])], axis=1)[full])
    # Piece from the u end: [0, from_u].
    sel = ~full & (from_u > 0)
    parts.append(np.stack([np.column_stack([x0, y0]),
                           np.column_stack([x0 + from_u * dx, y0 + from_u * dy])], axis=1)[sel])
    # Piece from the v end: [1 - from_v, 1].
    sel = ~full & (from_v > 0)
    parts.append(np.stack([np.column_stack([x1 - from_v * dx, y1 - from_v * dy]),
                           np.column_stack([x1, y1])], axis=1)[sel])
    return np.concatenate(parts, axis=0) if parts else np.zeros((0, 2, 2))


def _polygon(segments: np.ndarray, buffer_m: float) -> shapely.Geometry:
    if len(segments) == 0:
        return shapely.Polygon()
    # Buffering each merged chain and unioning the bands (a cascaded union over an STRtree) is
    # about ten times faster in GEOS than buffering one MultiLineString of overlapping pieces;
    # a 1 m simplification drops the many near-collinear OSM vertices and changes no band.
    chains = shapely.get_parts(shapely.line_merge(shapely.multilinestrings(shapely.linestrings(segments))))
    chains = shapely.simplify(chains, min(1.0, buffer_m / 10.0))
    return shapely.union_all(shapely.buffer(chains, buffer_m, quad_segs=4))


def service_circles(
    model: TravelModel,
    facility_x: np.ndarray,
    facility_y: np.ndarray,
    *,
    minutes: float,
    buffer_m: float = 35.0,
    facility_ids: Sequence[object] | None = None,
    per_facility: bool = False,
    edges: np.ndarray | None = None,
) -> gpd.GeoDataFrame:
    """Network service circles of facilities.

    Parameters
    ----------
    model : planning.access.travel.TravelModel
        Network and travel mode.
    facility_x, facility_y : numpy.ndarray
        Facility coordinates in the network CRS.
    minutes : float
        Circle time.
    buffer_m : float
        Half-width of the band drawn around reached roads.
    facility_ids : sequence, optional
        Ids for the per-facility rows.
    per_facility : bool
        One polygon per facility (slower) instead of one merged polygon.
    edges : numpy.ndarray, optional
        Only draw these edges of the merged circle (e.g. the roads of the area whose residents
        use this circle); travel still runs over the whole network.

    Returns
    -------
    geopandas.GeoDataFrame
        Merged: one row (``facilities``, ``minutes``, ``mode``). Per facility: one row per
        facility (``facility_id``, ``minutes``, ``mode``). Empty polygons where nothing is reached.
    """
    fx = np.asarray(facility_x, dtype=float)
    fy = np.asarray(facility_y, dtype=float)
    crs = model.network.crs
    budget = float(minutes) + EPS_MINUTES
    if len(fx) == 0:
        if per_facility:
            return gpd.GeoDataFrame({"facility_id": [], "minutes": [], "mode": []},
                                    geometry=gpd.GeoSeries([], crs=crs), crs=crs)
        return gpd.GeoDataFrame({"facilities": [0], "minutes": [float(minutes)], "mode": [model.mode]},
                                geometry=[shapely.Polygon()], crs=crs)
    node, access = model.snap(fx, fy)
    node_xy = np.column_stack([model.network.node_x[node], model.network.node_y[node]])
    legs = np.stack([np.column_stack([fx, fy]), node_xy], axis=1)
    if not per_facility:
        node_minutes = model.node_minutes_to_nearest(node, access, limit_minutes=minutes)
        segments = np.concatenate([reached_segments(model, node_minutes, budget, edges=edges),
                                   _access_legs(legs, access, budget)], axis=0)
        return gpd.GeoDataFrame({"facilities": [len(fx)], "minutes": [float(minutes)],
                                 "mode": [model.mode]},
                                geometry=[_polygon(segments, buffer_m)], crs=crs)

    ids = list(facility_ids) if facility_ids is not None else list(range(len(fx)))
    incidence = _incidence(model)
    scratch = np.full(model.n_nodes, np.inf)
    polygons = [
        _polygon(_access_legs(legs[k:k + 1], access[k:k + 1], budget), buffer_m) for k in range(len(fx))
    ]
    for rows, nodes, mins in model.reach_by_source(node, access, limit_minutes=minutes):
        order = np.argsort(rows, kind="stable")
        rows, nodes, mins = rows[order], nodes[order], mins[order]
        sources, starts = np.unique(rows, return_index=True)
        ends = np.append(starts[1:], len(rows))
        for src, a, b in zip(sources, starts, ends):
            reached = nodes[a:b]
            scratch[reached] = mins[a:b]
            edges = np.unique(incidence[reached].indices)
            segs = np.concatenate([reached_segments(model, scratch, budget, edges=edges),
                                   _access_legs(legs[src:src + 1], access[src:src + 1], budget)])
            polygons[src] = _polygon(segs, buffer_m)
            scratch[reached] = np.inf
    return gpd.GeoDataFrame({"facility_id": ids, "minutes": float(minutes), "mode": model.mode},
                            geometry=polygons, crs=crs)


def _access_legs(legs: np.ndarray, access: np.ndarray, budget: float) -> np.ndarray:
    """The reached part of each facility's walk to its node."""
    frac = np.clip(np.where(access > 0, budget / np.where(access > 0, access, 1.0), 1.0), 0.0, 1.0)
    ends = legs[:, 0] + frac[:, None] * (legs[:, 1] - legs[:, 0])
    out = np.stack([legs[:, 0], ends], axis=1)
    return out[np.any(out[:, 0] != out[:, 1], axis=1)]


def _incidence(model: TravelModel) -> csr_matrix:
    """Node × edge incidence (edges touching each node), cached on the model."""
    cached = model.__dict__.get("_incidence")
    if cached is not None:
        return cached
    # The app draws circles from several threads at once: built once, under one lock.
    with _INCIDENCE_LOCK:
        cached = model.__dict__.get("_incidence")
        if cached is None:
            net = model.network
            e = np.arange(net.n_edges)
            rows = np.concatenate([net.edge_u, net.edge_v])
            cols = np.concatenate([e, e])
            cached = csr_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)),
                                shape=(net.n_nodes, net.n_edges))
            model.__dict__["_incidence"] = cached
    return cached


def buffer_circles(
    facility_x: np.ndarray,
    facility_y: np.ndarray,
    *,
    minutes: float,
    speed_m_per_min: float,
    crs: object,
    facility_ids: Sequence[object] | None = None,
    per_facility: bool = False,
) -> gpd.GeoDataFrame:
    """Straight-line circles of radius ``minutes × speed`` (a comparison layer only).

    Returns one merged row (``facilities``, ``minutes``, ``radius_m``) or one row per facility.
    """
    fx = np.asarray(facility_x, dtype=float)
    fy = np.asarray(facility_y, dtype=float)
    radius = float(minutes) * float(speed_m_per_min)
    discs = shapely.buffer(shapely.points(fx, fy), radius, quad_segs=16) if len(fx) else np.array([])
    if per_facility:
        ids = list(facility_ids) if facility_ids is not None else list(range(len(fx)))
        return gpd.GeoDataFrame({"facility_id": ids, "minutes": float(minutes), "radius_m": radius},
                                geometry=list(discs), crs=crs)
    merged = shapely.union_all(discs) if len(fx) else shapely.Polygon()
    return gpd.GeoDataFrame({"facilities": [len(fx)], "minutes": [float(minutes)], "radius_m": [radius]},
                            geometry=[merged], crs=crs)
