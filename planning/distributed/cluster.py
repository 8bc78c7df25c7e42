"""Connect to Dask: a LocalCluster on this machine, or an existing cluster by its address.

Examples
--------
>>> with open_client("local", workers=2) as client:  # doctest: +SKIP
...     print(len(client.scheduler_info()["workers"]))
2
"""

from __future__ import annotations

import importlib.util
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from distributed import Client, LocalCluster

from geo._errors import DataError

#: Seconds to wait for a scheduler to answer, and for ``--workers`` workers to join it.
CONNECT_TIMEOUT_S = 20.0
WORKERS_TIMEOUT_S = 120.0


def default_workers() -> int:
    """Workers of a LocalCluster: one per core (one thread each: the searches hold the GIL)."""
    return max(1, os.cpu_count() or 1)


@contextmanager
def open_client(scheduler: str = "local", *, workers: int | None = None,
                memory_limit: str | float | None = "auto") -> Iterator[Client]:
    """A Dask client for the duration of a ``with`` block.

    Parameters
    ----------
    scheduler : str
        ``"local"`` starts a LocalCluster of worker processes on this machine (closed again at
        the end); anything else is the address of a running scheduler
        (``tcp://10.0.0.5:8786``), whose workers must have this package installed.
    workers : int, optional
        LocalCluster: how many worker processes (default: one per core). An existing cluster:
        wait until this many workers have joined.
    memory_limit : str or float, optional
        LocalCluster: memory limit per worker (Dask's ``"auto"`` shares the machine's memory).
    """
    if workers is not None and workers < 1:
        raise DataError("--workers must be at least 1", fix="Give --workers 1 or more, or leave it out")
    if scheduler == "local":
        n = workers or default_workers()
        # Any free port for the dashboard: 8787 may be taken by another run on this machine.
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                               dashboard_address=":0", memory_limit=memory_limit,
                               silence_logs=logging.ERROR)
        try:
            client = Client(cluster)
            try:
                yield client
            finally:
                client.close()
        finally:
            cluster.close()
        return
    try:
        client = Client(scheduler, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError, ValueError) as exc:
        raise DataError(f"cannot reach the Dask scheduler at {scheduler} ({exc})",
                        fix="Check the address (tcp://HOST:8786), start the cluster with "
                        "`dask scheduler` and `dask worker ADDRESS`, or use --scheduler local") from None
    try:
        if workers:
            try:
                client.wait_for_workers(workers, timeout=WORKERS_TIMEOUT_S)
            except TimeoutError:
                have = len(client.scheduler_info()["workers"])
                raise DataError(f"only {have} of the {workers} workers asked for joined {scheduler} within "
                                f"{WORKERS_TIMEOUT_S:.0f} s", fix="Start more workers, or lower --workers") from None
        yield client
    finally:
        with suppress(Exception):
            client.close()


def dashboard_link(client: Client) -> str | None:
    """The link of the Dask dashboard, when the scheduler runs one (it needs bokeh there)."""
    try:
        if "dashboard" not in client.scheduler_info().get("services", {}):
            return None
        # Without bokeh the scheduler serves only a page asking for it: no dashboard to show.
        if client.run_on_scheduler(importlib.util.find_spec, "bokeh") is None:
            return None
    except Exception:  # the scheduler went away: no link to show
        return None
    return str(client.dashboard_link)
