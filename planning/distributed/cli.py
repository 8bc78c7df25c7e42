"""Command-line options of a partitioned run, shared by ``python -m planning analyze`` and ``export``.

``--partition-by LAYER`` switches the analysis to :func:`planning.distributed.run.analyze_partitioned`;
``--scheduler local`` (default) starts a LocalCluster, ``--scheduler tcp://HOST:8786`` uses a
running cluster; ``--workers N`` sets (or waits for) the number of workers. Progress, the Dask
dashboard link and the partition report go to stderr, so ``--json`` keeps stdout pure JSON.
Dask is imported only when a partitioned run is asked for.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

from geo._errors import DataError

if TYPE_CHECKING:
    from geo.dataset import Dataset
    from planning.access.analysis import Analysis
    from planning.distributed.tasks import PartitionResult
    from planning.settings import Settings


def add_partition_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--partition-by``, ``--scheduler``, ``--workers`` and ``--retries`` to a command."""
    group = parser.add_argument_group("province scale (Dask distributed)")
    group.add_argument("--partition-by", default=None, metavar="LAYER",
                       help="split the area and run the partitions on Dask: communities, a communities "
                       "column (district, street), grid:2x2, a layer of the data set or a polygon file "
                       "(counties.gpkg); results equal a one-process run")
    group.add_argument("--scheduler", default=None, metavar="local|ADDRESS",
                       help="with --partition-by: 'local' starts a cluster on this machine (default), "
                       "an address such as tcp://10.0.0.5:8786 uses a running one")
    group.add_argument("--workers", type=int, default=None, metavar="N",
                       help="local: worker processes (default one per core); address: wait for N workers")
    group.add_argument("--retries", type=int, default=None, metavar="N",
                       help="times a failing partition is run again (default 2)")


def analyze_from_args(args: argparse.Namespace, dataset: Dataset, settings: Settings, *,
                      categories: Sequence[str] | str | None = None, targets: Any = None,
                      stream: TextIO | None = None) -> Analysis:
    """The analysis a command asked for: one process, or partitioned when ``--partition-by`` is given."""
    partition_by = getattr(args, "partition_by", None)
    extra = [name for name in ("scheduler", "workers", "retries") if getattr(args, name, None) is not None]
    if not partition_by:
        if extra:
            raise DataError(f"--{extra[0]} needs --partition-by",
                            fix="Add --partition-by LAYER (e.g. district or grid:2x2), or leave it out")
        from planning.access.analysis import analyze

        return analyze(dataset, settings, categories=categories, targets=targets)
    from planning.distributed.cluster import dashboard_link, open_client
    from planning.distributed.run import DEFAULT_RETRIES, analyze_partitioned

    out = stream if stream is not None else sys.stderr
    retries = DEFAULT_RETRIES if args.retries is None else int(args.retries)
    if retries < 0:
        raise DataError("--retries must be 0 or more", fix="Give --retries 0, 1, 2 …")
    scheduler = args.scheduler or "local"
    bar = ProgressBar(out)
    with open_client(scheduler, workers=args.workers) as client:
        workers = len(client.scheduler_info()["workers"])
        link = dashboard_link(client)
        where = "a local cluster" if scheduler == "local" else scheduler
        print(f"Dask: {where}, {workers} worker(s); " + (f"dashboard {link}" if link else
              "no dashboard (it needs bokeh>=3.1 where the scheduler runs)"), file=out, flush=True)
        result = analyze_partitioned(dataset, settings, partition_by=partition_by, client=client,
                                     categories=categories, targets=targets, retries=retries, progress=bar)
    bar.close()
    print_partitions(result, out)
    return result


class ProgressBar:
    """Partitions done, as a bar redrawn in place on a terminal, one line each otherwise."""

    def __init__(self, stream: TextIO, width: int = 30) -> None:
        self.stream = stream
        self.width = width
        self.start = time.perf_counter()
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self._open = False

    def __call__(self, done: int, total: int, result: PartitionResult | None) -> None:
        elapsed = time.perf_counter() - self.start
        if self.tty:
            filled = int(self.width * done / total) if total else self.width
            self.stream.write(f"\rpartitions [{'#' * filled}{'.' * (self.width - filled)}] {done}/{total}  "
                              f"{elapsed:5.1f} s")
            self._open = True
        elif result is None:
            self.stream.write(f"partitions: {total} to run\n")
        else:
            self.stream.write(f"partition {result.partition_id} done ({done}/{total}, {result.seconds:.1f} s, "
                              f"{result.worker}); {elapsed:.1f} s so far\n")
        self.stream.flush()

    def close(self) -> None:
        if self._open:
            self.stream.write("\n")
            self.stream.flush()
            self._open = False


def print_partitions(result: Any, stream: TextIO) -> None:
    """Which partitions the result holds, their halos and retries, and the run's notes."""
    table = result.partitions
    print(f"{'partition':<16}{'name':<16}{'residents':>12}{'nodes':>10}{'halo m':>9}  halo cut  retried",
          file=stream)
    for pid, row in table.iterrows():
        print(f"{str(pid)[:15]:<16}{str(row['name'])[:15]:<16}{row['population']:>12,.0f}{row['nodes']:>10,}"
              f"{row['halo_m']:>9,.0f}  {'yes' if row['halo_cut'] else 'no':<8}  {int(row['failed_attempts'])}",
              file=stream)
    t = result.seconds
    if t:
        print(f"time: plan {t.get('plan', 0.0):.1f} s, partitions {t.get('partitions', 0.0):.1f} s, "
              f"total {t.get('total', 0.0):.1f} s", file=stream)
    for note in result.notes:
        print(f"note: {note}", file=stream)
    stream.flush()
