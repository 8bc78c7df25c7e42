"""Cut the study area into partitions with halos, on the machine that holds the data set.

Why the results equal those of one process
------------------------------------------
* Every resident and facility is snapped once, over the whole network, with the same snapping
  mask a one-process run uses (:func:`planning.access.travel.snappable_nodes`): each point keeps
  exactly the node it has there, ties included.
* A resident's trip within the longest circle ``T`` of its mode (walk to the road, network, walk
  to the facility) never ends farther than ``T`` × the mode's fastest straight-line progress
  (:func:`planning.access.travel.max_speed_m_per_min`, never below walking speed) from where it
  started. The halo adds that radius around the partition's residents, plus the longest snap walk
  (capped at what can still be walked within ``T``), plus a metre of slack: every node of every
  such trip lies in the part, and so does the node of every facility the trip can end at.
* The part keeps each edge between two of its nodes with its stored length, so every path inside
  it has the same minutes as on the whole network; paths that leave it are longer than ``T``.
  One multi-source search per category on the part therefore gives each of the partition's
  residents the same minutes, to the last bit, wherever they are within ``T`` (and ``inf``
  beyond, where a one-process run may have a larger finite number).
* Each resident is computed only in the partition that owns it (:func:`.layers.owners`);
  facilities in the halo count for it all the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.ndimage import distance_transform_edt
from scipy.spatial import ConvexHull, QhullError

from geo.dataset import Dataset
from geo.network import RoadNetwork
from planning.access.demand import facility_points_by_category
from planning.access.travel import max_speed_m_per_min, snappable_nodes
from planning.distributed.layers import owners
from planning.distributed.tasks import ModeJob, PartitionTask
from planning.settings import Settings

#: Metres added to every halo: sums of edge minutes may round a few ulps either way.
SLACK_M = 1.0


@dataclass(frozen=True)
class ModeHalo:
    """How far around its residents a partition's network reaches, for one travel mode."""

    mode: str
    limit_minutes: float
    speed_m_per_min: float
    snap_walk_m: float
    radius_m: float


@dataclass
class PlannedPartition:
    """One partition: the rows of its residents per mode job, its task, and figures to report."""

    partition_id: str
    name: str
    rows: list[np.ndarray] = field(default_factory=list)
    task: PartitionTask | None = None
    demand_points: int = 0
    nodes: int = 0
    edges: int = 0
    facilities: int = 0
    halo_m: float = 0.0
    halo_cut: bool = False


@dataclass
class Plan:
    """All partitions of a run, the owner of every demand point and the halo of every mode."""

    partitions: list[PlannedPartition]
    owner: np.ndarray
    outside_points: int
    halos: dict[str, ModeHalo]


def plan_partitions(
    dataset: Dataset,
    settings: Settings,
    categories: Sequence[str],
    parts: gpd.GeoDataFrame,
    *,
    x: np.ndarray,
    y: np.ndarray,
    mode: np.ndarray,
    circle_minutes: np.ndarray,
    run_id: str = "",
) -> Plan:
    """Snap every point once, then clip one part of the network per partition and mode.

    Parameters
    ----------
    dataset : geo.dataset.Dataset
    settings : Settings
    categories : list of str
        Analysed categories (the order of the minutes' columns).
    parts : geopandas.GeoDataFrame
        ``partition_id``, ``name``, polygons (see :func:`.layers.partition_layer`).
    x, y, mode, circle_minutes : numpy.ndarray
        Demand points, their travel mode and circle time (as :func:`planning.access.coverage.coverage`
        settles them).
    run_id : str
        Tags the tasks' failure events.

    Returns
    -------
    Plan
    """
    net = dataset.roads
    cats = list(categories)
    owner, outside = owners(x, y, parts)
    planned = [PlannedPartition(str(pid), str(name))
               for pid, name in zip(parts["partition_id"], parts["name"])]
    jobs: list[list[ModeJob]] = [[] for _ in planned]
    by_category = facility_points_by_category(dataset)
    fac_cat = np.concatenate([np.full(len(by_category[c][0]), j) for j, c in enumerate(cats) if c in by_category]
                             or [np.zeros(0, dtype=np.int64)]).astype(np.int64)
    fac_x = np.concatenate([by_category[c][0] for c in cats if c in by_category] or [np.zeros(0)])
    fac_y = np.concatenate([by_category[c][1] for c in cats if c in by_category] or [np.zeros(0)])
    walk = settings.walk_speed()
    nodes_by_x = np.argsort(net.node_x, kind="stable")
    sorted_x = net.node_x[nodes_by_x]
    local_of = np.full(net.n_nodes, -1, dtype=np.int64)
    halos: dict[str, ModeHalo] = {}
    for mode_name in pd.unique(mode):
        rows = np.flatnonzero(mode == mode_name)
        mask = snappable_nodes(net, str(mode_name), settings)
        if not mask.any():
            raise ValueError(f"The road network has no roads usable by mode {mode_name!r}.")
        r_node, r_dist = net.snap(x[rows], y[rows], node_mask=mask)
        f_node, f_dist = net.snap(fac_x, fac_y, node_mask=mask)
        # The same divisions as TravelModel.snap, so access minutes agree to the bit.
        r_access, f_access = r_dist / walk, f_dist / walk
        limit = float(circle_minutes[rows].max())
        speed = max_speed_m_per_min(net, str(mode_name), settings)
        snap_walk = min(float(max(r_dist.max(initial=0.0), f_dist.max(initial=0.0))), walk * limit)
        radius = speed * limit * (1.0 + 1e-9) + snap_walk + SLACK_M
        halos[str(mode_name)] = ModeHalo(str(mode_name), limit, speed, snap_walk, radius)
        part_of = owner[rows]
        grouped = np.argsort(part_of, kind="stable")
        present, starts = np.unique(part_of[grouped], return_index=True)
        for p, idx in zip(present, np.split(grouped, starts[1:])):
            keep = _nodes_within(net, nodes_by_x, sorted_x, x[rows[idx]], y[rows[idx]], radius)
            sub, node_ids = net.subnetwork(keep)
            local_of[node_ids] = np.arange(len(node_ids))
            fac_local = local_of[f_node]
            job = ModeJob(mode=str(mode_name), network=sub, limit_minutes=limit,
                          resident_node=local_of[r_node[idx]], resident_access=r_access[idx])
            for j, cat in enumerate(cats):
                sel = (fac_cat == j) & (fac_local >= 0)
                if sel.any():
                    job.facility_node[cat] = fac_local[sel]
                    job.facility_access[cat] = f_access[sel]
            local_of[node_ids] = -1
            jobs[p].append(job)
            part = planned[p]
            part.rows.append(rows[idx])
            part.demand_points += len(idx)
            part.nodes = max(part.nodes, sub.n_nodes)
            part.edges = max(part.edges, sub.n_edges)
            part.facilities = max(part.facilities, sum(len(v) for v in job.facility_node.values()))
            part.halo_m = max(part.halo_m, radius)
    extent = _extent(net)
    for p, part in enumerate(planned):
        if not jobs[p]:
            continue
        part.task = PartitionTask(run_id=run_id, partition_id=part.partition_id, name=part.name,
                                  settings=settings, categories=cats, jobs=jobs[p])
        own = np.concatenate(part.rows)
        reach = shapely.buffer(_hull(x[own], y[own]), part.halo_m, quad_segs=8)
        part.halo_cut = not bool(shapely.covers(extent, reach))
    return Plan(partitions=planned, owner=owner, outside_points=outside, halos=halos)


def _nodes_within(net: RoadNetwork, nodes_by_x: np.ndarray, sorted_x: np.ndarray, px: np.ndarray,
                  py: np.ndarray, radius: float) -> np.ndarray:
    """Mask of the nodes within ``radius`` of at least one of the points (and a few beyond).

    The points are binned on a grid of cells of about radius / 16; a distance transform gives
    every cell its distance to the nearest occupied cell. A node is kept when its cell lies
    within ``radius`` plus one cell diagonal of an occupied one: a superset of the exact set
    (a larger part only costs time), found in a few array passes instead of one KD-tree query per
    node.
    """
    lo = np.searchsorted(sorted_x, px.min() - radius, side="left")
    hi = np.searchsorted(sorted_x, px.max() + radius, side="right")
    cand = nodes_by_x[lo:hi]
    cand = cand[(net.node_y[cand] >= py.min() - radius) & (net.node_y[cand] <= py.max() + radius)]
    keep = np.zeros(net.n_nodes, dtype=bool)
    if len(cand) == 0:
        return keep
    span = max(float(px.max() - px.min()), float(py.max() - py.min())) + 2.0 * radius
    cell = max(radius / 16.0, span / 2_000.0, 1e-3)
    x0, y0 = px.min() - radius - cell, py.min() - radius - cell
    shape = (int((py.max() + radius + cell - y0) // cell) + 2, int((px.max() + radius + cell - x0) // cell) + 2)
    empty = np.ones(shape, dtype=bool)
    empty[((py - y0) // cell).astype(np.int64), ((px - x0) // cell).astype(np.int64)] = False
    near = distance_transform_edt(empty) * cell <= radius + 1.5 * cell
    cy = ((net.node_y[cand] - y0) // cell).astype(np.int64)
    cx = ((net.node_x[cand] - x0) // cell).astype(np.int64)
    keep[cand[near[cy, cx]]] = True
    return keep


def _extent(net: RoadNetwork) -> shapely.Geometry:
    """Where the data end: the convex hull of the road nodes."""
    return _hull(net.node_x, net.node_y)


def _hull(x: np.ndarray, y: np.ndarray) -> shapely.Geometry:
    """Convex hull of many points (Qhull on the coordinates; Shapely for degenerate sets)."""
    xy = np.column_stack([x, y])
    if len(xy) >= 3:
        try:
            return shapely.Polygon(xy[ConvexHull(xy).vertices])
        except QhullError:  # collinear or coincident points: a line or a point
            pass
    return shapely.convex_hull(shapely.multipoints(xy))
