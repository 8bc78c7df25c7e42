"""A province-sized run on Dask: one process against 1, 2 and 4 local workers (``pytest -m benchmark -s``).

A synthetic region of about 2×10^6 road nodes (``geo.synthetic.synthetic_dataset``: a city core
and its rural county, one demand point per node) is split into 16 counties by a 4 × 4 grid.
Printed: the one-process analysis time and peak memory; for 1, 2 and 4 worker processes on this
machine the wall time (plan on the client, partitions on the cluster, total), the peak memory of
each worker and of the client, and the halo overhead (nodes of all parts over the network's).
Only the answers are asserted (covered residents identical to one process), never the timings.
``BENCH_PROVINCE_NODES`` changes the size (e.g. 200000 for a quick look).
"""

from __future__ import annotations

import gc
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import psutil
import pytest
from distributed import Client, LocalCluster

from geo.synthetic import synthetic_dataset
from planning.access.analysis import analyze
from planning.distributed.run import analyze_partitioned

pytestmark = pytest.mark.benchmark
N_NODES = int(os.environ.get("BENCH_PROVINCE_NODES", "2000000"))
GRID = "grid:4x4"


@contextmanager
def sampled_peaks(pids: dict[str, int]) -> Iterator[dict[str, float]]:
    """Peak resident memory (GB) of each process while the block runs (sampled every 20 ms)."""
    procs = {name: psutil.Process(pid) for name, pid in pids.items()}
    peaks = {name: p.memory_info().rss / 1e9 for name, p in procs.items()}
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            for name, p in procs.items():
                try:
                    peaks[name] = max(peaks[name], p.memory_info().rss / 1e9)
                except psutil.Error:  # a worker that was restarted
                    pass
            stop.wait(0.02)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield peaks
    finally:
        stop.set()
        thread.join()


def _fresh(ds) -> None:  # noqa: ANN001
    """Forget cached travel models and snapping trees: every run builds its own."""
    ds.roads.__dict__.pop("_travel_models", None)
    ds.roads._kdtrees.clear()
    gc.collect()


def test_province_on_local_workers() -> None:
    start = time.perf_counter()
    ds = synthetic_dataset(N_NODES)
    t_gen = time.perf_counter() - start
    tag = f"[province {ds.roads.n_nodes:,}]"
    print(f"\n{tag} load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{tag} {ds.roads.n_nodes:,} nodes, {ds.roads.n_edges:,} edges, {len(ds.population):,} demand points, "
          f"{len(ds.facilities):,} facilities, {len(ds.communities):,} communities; built in {t_gen:.1f} s; "
          f"16 counties ({GRID})")
    answers = []
    # Partitioned runs first, so the client's peak is that of a partitioned run alone.
    for workers in (1, 2, 4):
        _fresh(ds)
        with (LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                           memory_limit=None) as cluster, Client(cluster) as client):
            pids = {"client": os.getpid(), **{w: pid for w, pid in client.run(os.getpid).items()}}
            with sampled_peaks(pids) as mem:
                split = analyze_partitioned(ds, partition_by=GRID, client=client)
        per_worker = [mem[w] for w in pids if w != "client"]
        answers.append((workers, split.seconds, per_worker, mem["client"], split.partitions,
                        split.covered, split.category_summary))
        del split
    _fresh(ds)
    with sampled_peaks({"client": os.getpid()}) as mem:
        start = time.perf_counter()
        one = analyze(ds)
        t_one = time.perf_counter() - start
    print(f"{tag} one process: analyze {t_one:.1f} s, peak {mem['client']:.2f} GB")
    for workers, t, per_worker, client_gb, table, covered, summary in answers:
        print(f"{tag} {workers} worker(s): total {t['total']:.1f} s (plan {t['plan']:.1f} s, partitions "
              f"{t['partitions']:.1f} s, merge {t['total'] - t['plan'] - t['partitions']:.1f} s), "
              f"speed-up over one process {t_one / t['total']:.2f}x; peak per worker "
              f"{max(per_worker):.2f} GB (mean {np.mean(per_worker):.2f}), client {client_gb:.2f} GB")
        if workers == 1:
            print(f"{tag} parts: {table['nodes'].min():,} to {table['nodes'].max():,} nodes (median "
                  f"{int(table['nodes'].median()):,}); all parts {table['nodes'].sum() / ds.roads.n_nodes:.2f}x the "
                  f"network (halo up to {table['halo_m'].max():,.0f} m); slowest partition "
                  f"{table['seconds'].max():.1f} s, sum {table['seconds'].sum():.1f} s")
        assert covered.equals(one.covered)
        assert summary.equals(one.category_summary)
