"""What one partition sends to a Dask worker, and what the worker does with it.

A :class:`PartitionTask` holds, per travel mode, the partition's part of the road network (its
core plus the halo) and the nodes every resident and facility was snapped to over the *whole*
network, renumbered into the part. The worker builds the part's travel model and runs one
multi-source search per category, exactly as :func:`planning.access.coverage.one_process_minutes`
does on the whole network, and returns the minutes of the partition's own residents.
"""

from __future__ import annotations

import dataclasses
import os
import time
from dataclasses import dataclass, field

import numpy as np
from distributed import get_worker

from geo.network import RoadNetwork
from planning.access.travel import TravelModel, points_minutes
from planning.settings import Settings

#: Topic of the Dask events a failing partition logs before it is retried.
FAILURE_TOPIC = "service-circles-partition-failed"


@dataclass
class ModeJob:
    """One travel mode of one partition.

    Attributes
    ----------
    mode : str
    network : geo.network.RoadNetwork
        The part: every node within the halo of a resident of the partition using this mode.
    limit_minutes : float
        Searches stop here (the longest circle travelled in this mode).
    resident_node, resident_access : numpy.ndarray
        Node in the part (``-1``: the resident's nearest road lies beyond the halo, so no facility
        is within its circle) and off-network minutes of each resident of the partition.
    facility_node, facility_access : dict of str to numpy.ndarray
        Per category, the facilities whose node lies in the part (the halo's included).
    """

    mode: str
    network: RoadNetwork
    limit_minutes: float
    resident_node: np.ndarray
    resident_access: np.ndarray
    facility_node: dict[str, np.ndarray] = field(default_factory=dict)
    facility_access: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class PartitionTask:
    """Everything a worker needs for one partition (no file access, no whole network)."""

    run_id: str
    partition_id: str
    name: str
    settings: Settings
    categories: list[str]
    jobs: list[ModeJob]


@dataclass
class PartitionResult:
    """Minutes of a partition's residents: one ``(residents, categories)`` array per mode job."""

    partition_id: str
    minutes: list[np.ndarray]
    seconds: float
    worker: str


def partition_minutes(task: PartitionTask) -> PartitionResult:
    """Run one partition (the Dask task). A failure is logged as an event, then re-raised."""
    start = time.perf_counter()
    try:
        minutes = compute_partition(task)
    except Exception as exc:
        _log_failure(task, exc)
        raise
    return PartitionResult(partition_id=task.partition_id, minutes=minutes,
                           seconds=time.perf_counter() - start, worker=_worker_address())


def compute_partition(task: PartitionTask) -> list[np.ndarray]:
    """The minutes of one partition's residents, one array per mode job (no Dask involved)."""
    return [_job_minutes(job, task.settings, task.categories) for job in task.jobs]


def _job_minutes(job: ModeJob, settings: Settings, categories: list[str]) -> np.ndarray:
    # Points are snapped already (over the whole network), so the part's own snapping mask is
    # never used: skipping its piece search saves a connected-components pass.
    model = TravelModel.for_mode(job.network, job.mode, dataclasses.replace(settings, min_piece_nodes=0))
    out = np.full((len(job.resident_node), len(categories)), np.inf)
    inside = np.flatnonzero(job.resident_node >= 0)
    if len(inside) == 0:
        return out
    node, access = job.resident_node[inside], job.resident_access[inside]
    for j, cat in enumerate(categories):
        f_node = job.facility_node.get(cat)
        if f_node is None or len(f_node) == 0:
            continue
        node_minutes = model.node_minutes_to_nearest(f_node, job.facility_access[cat],
                                                     limit_minutes=job.limit_minutes)
        out[inside, j] = points_minutes(node_minutes, node, access, limit_minutes=job.limit_minutes)
    return out


def _worker_address() -> str:
    try:
        return str(get_worker().address)
    except ValueError:  # called directly, not by a Dask worker
        return f"pid {os.getpid()}"


def _log_failure(task: PartitionTask, exc: BaseException) -> None:
    try:
        get_worker().log_event(FAILURE_TOPIC, {"run_id": task.run_id, "partition_id": task.partition_id,
                                               "error": f"{type(exc).__name__}: {exc}"})
    except ValueError:
        pass  # not on a Dask worker (a direct call): the exception itself is the report
