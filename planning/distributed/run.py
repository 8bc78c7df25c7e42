"""Province-scale analysis: the network searches of every partition as Dask tasks, merged exactly.

:func:`analyze_partitioned` is :func:`planning.access.analysis.analyze` with the travel times
computed per partition on a Dask cluster (:class:`ClusterMinutes`). The merge is the same
coverage and indicator code a one-process run uses, fed with every resident's minutes from the
one partition that owns it: covered population per category, the community table and the
indicator table are those of the one-process run, to the resident and to the last digit.

Examples
--------
>>> from distributed import Client, LocalCluster
>>> from geo.synthetic import synthetic_dataset
>>> from planning.access.analysis import analyze
>>> ds = synthetic_dataset(3_000)
>>> with LocalCluster(n_workers=2, processes=False) as cluster, Client(cluster) as client:  # doctest: +SKIP
...     split = analyze_partitioned(ds, partition_by="grid:2x2", client=client)
>>> split.covered.equals(analyze(ds).covered)  # doctest: +SKIP
True
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from distributed import Client, as_completed

from geo._errors import DataError
from geo.dataset import Dataset
from planning.access.analysis import Analysis
from planning.access.coverage import Coverage, coverage
from planning.access.indicators import IndicatorResult, Targets, indicators, load_targets
from planning.distributed.layers import partition_layer
from planning.distributed.plan import ModeHalo, Plan, PlannedPartition, plan_partitions
from planning.distributed.tasks import FAILURE_TOPIC, PartitionResult, partition_minutes
from planning.settings import Settings
from planning.texts import Note

#: ``progress(done, total, result)``: called once per finished partition (and once at the start
#: with ``done = 0`` and no result).
Progress = Callable[[int, int, PartitionResult | None], None]
DEFAULT_RETRIES = 2


class PartitionError(DataError):
    """A partition still failed after its retries; the merged result would miss its residents."""


class ClusterMinutes:
    """:class:`planning.access.coverage.TravelMinutes` computed per partition on a Dask cluster.

    After a call, :attr:`plan` holds the partitions and :attr:`results` their answers;
    :meth:`table` reports them.
    """

    def __init__(self, client: Client, parts: gpd.GeoDataFrame, *, retries: int = DEFAULT_RETRIES,
                 progress: Progress | None = None) -> None:
        if retries < 0:
            raise ValueError(f"retries must be ≥ 0, got {retries!r}.")
        self.client = client
        self.parts = parts
        self.retries = int(retries)
        self.progress = progress
        self.run_id = uuid.uuid4().hex
        self.plan: Plan | None = None
        self.results: dict[str, PartitionResult] = {}
        self.failures: dict[str, list[str]] = {}
        self.resent: dict[str, int] = {}
        #: Wall seconds of the plan (snapping, clipping) and of the partitions on the cluster.
        self.seconds: dict[str, float] = {}

    def __call__(self, dataset: Dataset, settings: Settings, categories: Sequence[str], *, x: np.ndarray,
                 y: np.ndarray, mode: np.ndarray, circle_minutes: np.ndarray,
                 limit_minutes: float) -> np.ndarray:
        start = time.perf_counter()
        plan = plan_partitions(dataset, settings, categories, self.parts, x=x, y=y, mode=mode,
                               circle_minutes=circle_minutes, run_id=self.run_id)
        self.plan = plan
        self.seconds["plan"] = time.perf_counter() - start
        start = time.perf_counter()
        self._run([p for p in plan.partitions if p.task is not None])
        self.seconds["partitions"] = time.perf_counter() - start
        minutes = np.full((len(x), len(categories)), np.inf)
        for part in plan.partitions:
            if part.task is None:
                continue
            for rows, block in zip(part.rows, self.results[part.partition_id].minutes):
                minutes[rows] = block
        return minutes

    # ------------------------------------------------------------------ running
    def _run(self, todo: list[PlannedPartition]) -> None:
        total = len(todo)
        by_key: dict[str, PlannedPartition] = {}
        if self.progress:
            self.progress(0, total, None)
        if not todo:  # no residents anywhere: nothing for the cluster to do
            return
        pending = as_completed()
        # One scatter for all parts: they go straight to the workers, the scheduler keeps keys.
        data = self.client.scatter([part.task for part in todo], hash=False)
        for part, task_data in zip(todo, data):
            pending.add(self._submit(part, by_key, task_data))
        failed: dict[str, BaseException] = {}
        done = 0
        for future in pending:
            part = by_key[future.key]
            if future.status == "finished":
                result = future.result()
                self.results[part.partition_id] = result
                done += 1
                if self.progress:
                    self.progress(done, total, result)
                continue
            try:
                exc = future.exception()
            except BaseException as lost:  # cancelled: the scheduler gave the task up
                exc = lost
            # A task that raised has used Dask's retries already (each attempt logged an event);
            # one that never ran to an error lost its worker or its scattered input: send again.
            if (part.partition_id not in self._logged_failures()
                    and self.resent.get(part.partition_id, 0) < self.retries):
                self.resent[part.partition_id] = self.resent.get(part.partition_id, 0) + 1
                pending.add(self._submit(part, by_key))
                continue
            failed[part.partition_id] = exc
        self.failures = self._logged_failures()
        if failed:
            raise PartitionError(_failed_message(failed, self.failures, todo, self.retries),
                                 fix="Look at the error above; give the workers more memory (--workers fewer, "
                                 "or a larger cluster) or split by a finer layer, then run again")

    def _submit(self, part: PlannedPartition, by_key: dict[str, PlannedPartition], data: Any = None) -> Any:
        attempt = self.resent.get(part.partition_id, 0)
        if data is None:
            data = self.client.scatter(part.task, hash=False)
        future = self.client.submit(partition_minutes, data, retries=self.retries, pure=False,
                                    key=f"service-circles-partition-{self.run_id[:8]}-{_key(part.partition_id)}-"
                                        f"{attempt}")
        by_key[future.key] = part
        return future

    def _logged_failures(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for _, msg in self.client.get_events(FAILURE_TOPIC):
            if isinstance(msg, dict) and msg.get("run_id") == self.run_id:
                out.setdefault(str(msg["partition_id"]), []).append(str(msg.get("error", "")))
        return out

    # ------------------------------------------------------------------ report
    def table(self, cov: Coverage) -> pd.DataFrame:
        """One row per partition: what it held, its halo, how it ran."""
        plan = self.plan
        if plan is None:
            raise RuntimeError("ClusterMinutes has not run yet.")
        population = np.bincount(plan.owner, weights=cov.population.to_numpy(dtype=float),
                                 minlength=len(plan.partitions))
        rows = []
        for p, part in enumerate(plan.partitions):
            result = self.results.get(part.partition_id)
            errors = self.failures.get(part.partition_id, [])
            rows.append({
                "partition_id": part.partition_id, "name": part.name, "demand_points": part.demand_points,
                "population": float(population[p]), "nodes": part.nodes, "edges": part.edges,
                "facilities": part.facilities, "halo_m": part.halo_m, "halo_cut": part.halo_cut,
                "failed_attempts": len(errors) + self.resent.get(part.partition_id, 0),
                "last_error": errors[-1] if errors else "",
                "worker": result.worker if result else "", "seconds": result.seconds if result else 0.0,
            })
        return pd.DataFrame(rows).set_index("partition_id")


def _key(partition_id: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in partition_id)[:60]


def _failed_message(failed: dict[str, BaseException], logged: dict[str, list[str]],
                    todo: list[PlannedPartition], retries: int) -> str:
    names = {p.partition_id: p.name for p in todo}
    parts = []
    for pid, exc in failed.items():
        tries = max(len(logged.get(pid, [])), 1)
        label = pid if names.get(pid, pid) == pid else f"{pid} ({names[pid]})"
        parts.append(f"partition {label} failed {tries} time(s) ({retries} retries): {type(exc).__name__}: {exc}")
    return f"{len(failed)} of {len(todo)} partitions failed: " + "; ".join(parts)


# ---------------------------------------------------------------------------------- the result
class PartitionedAnalysis(Analysis):
    """An :class:`planning.access.analysis.Analysis` whose minutes were computed per partition.

    Attributes
    ----------
    partitions : pandas.DataFrame
        Index partition_id; name, demand_points, population (residents it owns), nodes, edges,
        facilities (largest part over its modes; the halo included), halo_m, halo_cut (the halo
        reaches past the edge of the data), failed_attempts, last_error, worker, seconds.
    partition_by : str
        The layer the area was split by.
    halos : dict of str to ModeHalo
        Per travel mode: search limit, speed, snap walk and halo radius.
    outside_points : int
        Demand points outside every partition polygon (given to the nearest partition).
    seconds : dict of str to float
        Wall time of the run's phases: plan (snapping and clipping, here), partitions (on the
        cluster), total.
    notes : list of planning.texts.Note
    """

    def __init__(self, dataset: Dataset, settings: Settings, cov: Coverage, result: IndicatorResult,
                 targets: Targets, *, partitions: pd.DataFrame, partition_by: str,
                 halos: dict[str, ModeHalo], outside_points: int, seconds: dict[str, float] | None = None) -> None:
        super().__init__(dataset, settings, cov, result, targets)
        self.partitions = partitions
        self.partition_by = partition_by
        self.halos = halos
        self.outside_points = int(outside_points)
        self.seconds = dict(seconds or {})
        self.notes: list[Note] = _notes(self)

    def to_json(self, *, groups: bool = False) -> dict[str, Any]:
        """The JSON of :meth:`Analysis.to_json`, plus ``partitions``: which ones it holds and how they ran."""
        out = super().to_json(groups=groups)
        table = self.partitions
        out["partitions"] = {
            "by": self.partition_by,
            "held": [str(i) for i in table.index],
            "halo_cut": [str(i) for i in table.index[table["halo_cut"].to_numpy(dtype=bool)]],
            "retried": {str(i): int(n) for i, n in table["failed_attempts"].items() if n},
            "minutes_limit": {mode: h.limit_minutes for mode, h in self.halos.items()},
            "table": [
                {"partition_id": str(pid), "name": str(r["name"]), "demand_points": int(r["demand_points"]),
                 "population": _round(r["population"]), "nodes": int(r["nodes"]), "edges": int(r["edges"]),
                 "facilities": int(r["facilities"]), "halo_m": round(float(r["halo_m"]), 1),
                 "halo_cut": bool(r["halo_cut"]), "failed_attempts": int(r["failed_attempts"]),
                 "seconds": round(float(r["seconds"]), 3)}
                for pid, r in table.iterrows()
            ],
            "notes": [str(n) for n in self.notes],
        }
        return out


def _round(value: float) -> int | float:
    return int(round(value)) if math.isfinite(value) and float(value).is_integer() else round(float(value), 3)


def _notes(result: PartitionedAnalysis) -> list[Note]:
    table = result.partitions
    limits = ", ".join(f"{mode} {h.limit_minutes:g} min" for mode, h in result.halos.items())
    notes = [Note.of("partitions.held", n=len(table), by=result.partition_by),
             Note.of("partitions.minutes_limit", limits=limits)]
    cut = [str(i) for i in table.index[table["halo_cut"].to_numpy(dtype=bool)]]
    if cut:
        shown = ", ".join(cut[:10]) + (", …" if len(cut) > 10 else "")
        notes.append(Note.of("partitions.halo_cut", n=len(cut), ids=shown))
    if result.outside_points:
        notes.append(Note.of("partitions.outside", n=result.outside_points))
    for pid, row in table.iterrows():
        if row["failed_attempts"]:
            notes.append(Note.of("partitions.retried", id=str(pid), n=int(row["failed_attempts"]),
                                 error=row["last_error"] or "worker lost"))
    return notes


def analyze_partitioned(
    dataset: Dataset,
    settings: Settings | None = None,
    *,
    partition_by: str | gpd.GeoDataFrame,
    client: Client,
    categories: Sequence[str] | str | None = None,
    targets: Targets | str | Path | None = None,
    complete_categories: Sequence[str] | None = None,
    retries: int = DEFAULT_RETRIES,
    progress: Progress | None = None,
) -> PartitionedAnalysis:
    """:func:`planning.access.analysis.analyze` with the network searches run per partition on Dask.

    Parameters
    ----------
    dataset : geo.dataset.Dataset
        Loaded here, on the client: each worker receives only its partition's part of it.
    settings : Settings, optional
    partition_by : str or geopandas.GeoDataFrame
        A ``--partition-by`` value (:func:`planning.distributed.layers.partition_layer`) or the
        polygons themselves (``partition_id``, ``name``, geometry in the data set's CRS).
    client : distributed.Client
    categories, targets, complete_categories
        As for :func:`planning.access.analysis.analyze`.
    retries : int
        Dask retries of a failing partition (a lost worker's partition is also sent again as
        often).
    progress : callable, optional
        ``progress(done, total, result)`` after each partition.

    Returns
    -------
    PartitionedAnalysis
        Coverage, tables and indicators identical to a one-process run; minutes beyond each
        mode's longest circle are ``inf`` (a one-process run may know a larger number there).

    Raises
    ------
    PartitionError
        When a partition still fails after its retries.
    """
    start = time.perf_counter()
    settings = settings or Settings()
    if isinstance(partition_by, gpd.GeoDataFrame):
        parts, shown = partition_by, "polygons"
    else:
        parts, shown = partition_layer(dataset, partition_by), str(partition_by)
    minutes = ClusterMinutes(client, parts, retries=retries, progress=progress)
    longest = max(settings.urban_circle_minutes, settings.rural_circle_minutes)
    cov = coverage(dataset, settings, categories=categories, complete_categories=complete_categories,
                   limit_minutes=longest, travel_minutes=minutes)
    if targets is None:
        targets = dataset.meta.get("targets") or None
    target_set = targets if isinstance(targets, Targets) else load_targets(targets)
    result = indicators(dataset, cov, target_set)
    plan = minutes.plan
    if plan is None:  # coverage had no demand points to ask about
        raise DataError("the data set has no demand points to partition", layer="population",
                        fix="Add a population layer (or communities with population)")
    out = PartitionedAnalysis(dataset, settings, cov, result, target_set, partitions=minutes.table(cov),
                              partition_by=shown, halos=plan.halos, outside_points=plan.outside_points,
                              seconds=minutes.seconds)
    out.seconds["total"] = time.perf_counter() - start
    return out
