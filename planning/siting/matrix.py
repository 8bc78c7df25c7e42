"""Demand × candidate travel-time matrices for siting, sparse within each resident's limit.

One batched multi-source run per travel mode on the reverse road graph
(:meth:`planning.access.travel.TravelModel.reach_by_source`), so one-way streets count in the
direction residents travel; off-network walks at both ends are included.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from geo.dataset import Dataset
from planning.access.demand import OUTSIDE_KIND, community_kinds, demand_points
from planning.access.travel import EPS_MINUTES, TravelModel
from planning.settings import Settings


def minutes_matrix(
    model: TravelModel,
    demand_x: np.ndarray,
    demand_y: np.ndarray,
    candidate_x: np.ndarray,
    candidate_y: np.ndarray,
    *,
    limit_minutes: np.ndarray | float,
) -> sparse.csr_matrix:
    """Minutes from every demand point TO every candidate, kept only within each point's limit.

    The search from the candidates on the reverse graph is cut at the largest limit; stored
    minutes are at least 1e-9 so that none reads as "no pair".

    Returns
    -------
    scipy.sparse.csr_matrix
        demand × candidates.
    """
    dx = np.asarray(demand_x, dtype=float)
    cx = np.asarray(candidate_x, dtype=float)
    n_d, n_c = len(dx), len(cx)
    limit = np.broadcast_to(np.asarray(limit_minutes, dtype=float), (n_d,))
    if n_d == 0 or n_c == 0:
        return sparse.csr_matrix((n_d, n_c))
    d_node, d_access = model.snap(dx, demand_y)
    c_node, c_access = model.snap(cx, candidate_y)
    # Demand points grouped by node: a search result per node serves every point on it.
    nodes, node_of_point = np.unique(d_node, return_inverse=True)
    slot = np.full(max(model.n_nodes, 1), -1, dtype=np.int64)
    slot[nodes] = np.arange(len(nodes))
    order = np.argsort(node_of_point, kind="stable")
    starts = np.searchsorted(node_of_point[order], np.arange(len(nodes)))
    counts = np.bincount(node_of_point, minlength=len(nodes))
    rows_out, cols_out, vals_out = [], [], []
    for cand_i, reached, node_min in model.reach_by_source(c_node, c_access, limit_minutes=float(limit.max())):
        s = slot[reached]
        on_demand = s >= 0
        cand_i, node_i, node_min = cand_i[on_demand], s[on_demand], node_min[on_demand]
        if len(cand_i) == 0:
            continue
        # Expand each (candidate, node) pair to the demand points on that node.
        reps = counts[node_i]
        pos = np.repeat(starts[node_i] - np.cumsum(reps) + reps, reps) + np.arange(int(reps.sum()))
        points = order[pos]
        cand = np.repeat(cand_i, reps)
        minutes = np.repeat(node_min, reps) + d_access[points]
        keep = minutes <= limit[points] + EPS_MINUTES
        rows_out.append(points[keep])
        cols_out.append(cand[keep])
        vals_out.append(np.maximum(minutes[keep], 1e-9))
    if not rows_out:
        return sparse.csr_matrix((n_d, n_c))
    out = sparse.csr_matrix((np.concatenate(vals_out), (np.concatenate(rows_out), np.concatenate(cols_out))),
                            shape=(n_d, n_c))
    out.sort_indices()
    return out


@dataclass
class Demand:
    """Demand points of a data set with what siting needs about each.

    ``weight`` is what the models count at each point: the residents of the category's target
    group (all residents when it has no counts), and ``minutes_factor`` turns normal minutes
    into the group's (1.25 for the elderly walking at 60 m/min, 1 otherwise).
    """

    x: np.ndarray
    y: np.ndarray
    population: np.ndarray
    community_id: pd.Series
    kind: np.ndarray
    mode: np.ndarray
    circle_minutes: np.ndarray
    index: pd.Index
    weight: np.ndarray | None = None
    minutes_factor: np.ndarray | None = None
    target_group: str = "all"


def demand_of(dataset: Dataset, analysis: Any, settings: Settings, *, category: str | None = None,
              coverage: Any = None) -> Demand:
    """Demand points with their circle (from the analysis) and travel mode (from the kind).

    With ``category``, also the weight and minutes factor of its target group, from
    ``coverage`` (default: the analysis's coverage).
    """
    layer = dataset.population
    x, y, population, located = demand_points(dataset)
    cov = getattr(analysis, "coverage", None)
    if cov is not None and all(hasattr(cov, a) for a in ("kind", "mode", "community_id")):
        # The analysis already settled each point's community, kind and mode: reuse them.
        community = cov.community_id.reindex(layer.index).astype(object)
        community = community.where(community.notna(), None)
        kind = cov.kind.reindex(layer.index).fillna(OUTSIDE_KIND).to_numpy(dtype=object)
        mode = cov.mode.reindex(layer.index).to_numpy(dtype=object)
    else:
        community = located.astype(object)
        community = community.where(community.notna(), None)
        kinds = community_kinds(dataset.communities)
        kind = np.asarray([kinds.get(c, OUTSIDE_KIND) if c is not None else OUTSIDE_KIND for c in community],
                          dtype=object)
        mode = np.asarray([settings.mode_for(k) for k in kind], dtype=object)
    circle = analysis.circle_minutes.reindex(layer.index).to_numpy(dtype=float)
    pop = population.to_numpy(dtype=float)
    weight, factor, group = pop, np.ones(len(pop)), "all"
    source = coverage if coverage is not None else cov
    if category is not None and source is not None and hasattr(source, "group_weight"):
        group = source.counted_group(category)
        if group != "all":
            weight = source.group_weight(category).reindex(layer.index).to_numpy(dtype=float)
            walk_factor = source.group_factors.get(group, 1.0)
            factor = np.where(mode == "walk", walk_factor, 1.0)
    return Demand(x=x, y=y, population=pop, community_id=community, kind=kind,
                  mode=mode, circle_minutes=circle, index=layer.index, weight=weight, minutes_factor=factor,
                  target_group=group)


def demand_minutes_to_candidates(
    dataset: Dataset,
    demand: Demand,
    candidate_x: np.ndarray,
    candidate_y: np.ndarray,
    *,
    limit_minutes: np.ndarray,
    settings: Settings,
) -> sparse.csr_matrix:
    """:func:`minutes_matrix` for every travel mode present among the demand points."""
    rows, cols, vals = [], [], []
    for mode in pd.unique(demand.mode):
        sel = np.flatnonzero(demand.mode == mode)
        model = TravelModel.for_mode(dataset.roads, str(mode), settings)
        part = minutes_matrix(model, demand.x[sel], demand.y[sel], candidate_x, candidate_y,
                              limit_minutes=limit_minutes[sel]).tocoo()
        rows.append(sel[part.row])
        cols.append(part.col)
        vals.append(part.data)
    n = (len(demand.x), len(candidate_x))
    if not rows:
        return sparse.csr_matrix(n)
    out = sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=n)
    out.sort_indices()
    return out
