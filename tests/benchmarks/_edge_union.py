"""The service-circle builder the travel-time surface replaced: reached road edges, buffered, unioned.

A frozen copy for the surface benchmark, which times it side by side with the surface and shows
how often a demand point inside its polygon is counted as covered. Not used by the product.
"""

from __future__ import annotations

import numpy as np
import shapely

from planning.access.analysis import Analysis
from planning.access.demand import facility_points
from planning.access.travel import EPS_MINUTES, TravelModel

BUFFER_M = 35.0


def _reached_segments(model: TravelModel, node_minutes: np.ndarray, budget: float,
                      edges: np.ndarray | None) -> np.ndarray:
    net = model.network
    idx = np.arange(net.n_edges) if edges is None else np.asarray(edges, dtype=np.int64)
    w = model.edge_minutes[idx]
    t_u = node_minutes[net.edge_u[idx]]
    t_v = node_minutes[net.edge_v[idx]]
    ok = np.isfinite(w) & (w > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        from_u = np.where(ok & model.edge_backward[idx] & (t_u <= budget), np.clip((budget - t_u) / w, 0.0, 1.0), 0.0)
        from_v = np.where(ok & model.edge_forward[idx] & (t_v <= budget), np.clip((budget - t_v) / w, 0.0, 1.0), 0.0)
    full = from_u + from_v >= 1.0 - 1e-12
    x0, y0 = net.node_x[net.edge_u[idx]], net.node_y[net.edge_u[idx]]
    x1, y1 = net.node_x[net.edge_v[idx]], net.node_y[net.edge_v[idx]]
    dx, dy = x1 - x0, y1 - y0
    whole = np.stack([np.column_stack([x0, y0]), np.column_stack([x1, y1])], axis=1)[full]
    sel = ~full & (from_u > 0)
    from_start = np.stack([np.column_stack([x0, y0]),
                           np.column_stack([x0 + from_u * dx, y0 + from_u * dy])], axis=1)[sel]
    sel = ~full & (from_v > 0)
    from_end = np.stack([np.column_stack([x1 - from_v * dx, y1 - from_v * dy]),
                         np.column_stack([x1, y1])], axis=1)[sel]
    return np.concatenate([whole, from_start, from_end], axis=0)


def _polygon(segments: np.ndarray) -> shapely.Geometry:
    if len(segments) == 0:
        return shapely.Polygon()
    chains = shapely.get_parts(shapely.line_merge(shapely.multilinestrings(shapely.linestrings(segments))))
    chains = shapely.simplify(chains, min(1.0, BUFFER_M / 10.0))
    return shapely.union_all(shapely.buffer(chains, BUFFER_M, quad_segs=4))


def edge_union_circle(analysis: Analysis, category: str) -> shapely.Geometry:
    """The merged circle of one category as the old builder drew it (urban and rural parts)."""
    fx, fy = facility_points(analysis.dataset, category)
    if len(fx) == 0:
        return shapely.Polygon()
    com = analysis.dataset.communities
    table = analysis.community_table
    kinds = [k for k in ("urban", "rural") if (table["kind"] == k).any()] or ["urban"]
    rural_area = None
    if len(kinds) == 2:
        rural_ids = set(table.index[table["kind"] == "rural"])
        rural_area = shapely.union_all(com.geometry[com["community_id"].astype(str).isin(rural_ids)].to_numpy())
    net = analysis.dataset.roads
    pieces = []
    for kind in kinds:
        model = TravelModel.for_mode(net, analysis.settings.mode_for(kind), analysis.settings)
        minutes = analysis.settings.circle_minutes(kind)
        budget = minutes + EPS_MINUTES
        edges = None
        if rural_area is not None:
            band = 2.0 * BUFFER_M
            inside = shapely.contains_xy(shapely.buffer(rural_area, band if kind == "rural" else -band),
                                         net.node_x, net.node_y)
            inside = inside if kind == "rural" else ~inside
            edges = np.flatnonzero(inside[net.edge_u] | inside[net.edge_v])
        node, access = model.snap(fx, fy)
        node_minutes = model.node_minutes_to_nearest(node, access, limit_minutes=minutes)
        legs = np.stack([np.column_stack([fx, fy]),
                         np.column_stack([net.node_x[node], net.node_y[node]])], axis=1)
        frac = np.clip(np.where(access > 0, budget / np.where(access > 0, access, 1.0), 1.0), 0.0, 1.0)
        ends = legs[:, 0] + frac[:, None] * (legs[:, 1] - legs[:, 0])
        walk = np.stack([legs[:, 0], ends], axis=1)
        walk = walk[np.any(walk[:, 0] != walk[:, 1], axis=1)]
        geom = _polygon(np.concatenate([_reached_segments(model, node_minutes, budget, edges), walk]))
        if rural_area is not None:
            geom = shapely.intersection(geom, rural_area) if kind == "rural" else shapely.difference(geom, rural_area)
        pieces.append(geom)
    return shapely.union_all(pieces)
