"""Work done in the background, so that a page stays usable while a city's layers are drawn.

A page asks :func:`result` for a layer with a short wait: a small data set's layers are ready
within it and the page draws them at once; a city's take longer, so the page draws what it has
(communities, facilities), says what is still being drawn, and :func:`wait_then_rerun` draws the
page again once the layers are in. Meanwhile every widget works: a new choice simply asks for
other layers.

Two worker threads for pages' jobs (the machine has two cores) and one for background work, for
the whole server. Jobs run by priority: what a page is waiting for (:data:`PAGE`) before road
tiles (:data:`TILES`) before the warm-up of other categories (:data:`WARM`); background work runs
only while no page waits, one piece at a time, and long pieces call :func:`pause_for_pages`
between their steps, so that a page's job never waits behind it (nor for a worker a paused piece
holds). The same key asked by several sessions is computed once.
"""

from __future__ import annotations

import concurrent.futures
import heapq
import itertools
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import Any

import streamlit as st

from app_support.i18n import t

PAGE, TILES, WARM = 0, 1, 2
#: Workers for pages' jobs; one more thread does the background work.
WORKERS = 2
_MAX_JOBS = 512

_LOCK = threading.Condition()
_QUEUE: list[tuple[int, int, concurrent.futures.Future, Callable[[], Any]]] = []
_JOBS: OrderedDict[Hashable, concurrent.futures.Future] = OrderedDict()
_SEQ = itertools.count()
_NAMES: dict[int, str] = {}
_pages_busy = 0  # page jobs queued or running
_background_running = 0
LOG_ENV = "SERVICE_CIRCLES_JOB_LOG"
_workers: list[threading.Thread] = []
#: Keys of running jobs that were dropped: they stop at their next :func:`pause_for_pages`.
_STOPPING: set[Hashable] = set()
_RUNNING: dict[int, Hashable] = {}  # worker thread id -> key of its job


def _log(text: str) -> None:
    """One line in the file named by ``SERVICE_CIRCLES_JOB_LOG`` (when set): what ran, how long."""
    target = os.environ.get(LOG_ENV)
    if target:
        with open(target, "a", encoding="utf-8") as out:
            out.write(f"{time.time():.2f} {threading.current_thread().name} {text}\n")


def _work(background: bool) -> None:
    global _pages_busy, _background_running
    while True:
        with _LOCK:
            # A page's job runs at once on a page worker; background work on its own worker,
            # only while no page waits for anything.
            while not (_QUEUE and (_QUEUE[0][0] == PAGE if not background else _pages_busy == 0)):
                _LOCK.wait(timeout=0.5)
            priority, _, future, build = heapq.heappop(_QUEUE)
            name = _NAMES.pop(id(future), "?")
            _RUNNING[threading.get_ident()] = next((k for k, j in _JOBS.items() if j is future), None)
            if priority != PAGE:
                _background_running += 1
        started = time.perf_counter()
        try:
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(build())
                except BaseException as exc:  # handed to whoever asks for the result
                    future.set_exception(exc)
            _log(f"p{priority} {time.perf_counter() - started:6.2f}s {name}")
        finally:
            with _LOCK:
                _STOPPING.discard(_RUNNING.pop(threading.get_ident(), None))
                if priority == PAGE:
                    _pages_busy -= 1
                else:
                    _background_running -= 1
                _LOCK.notify_all()


class Stopped(Exception):
    """Raised in a background job that was dropped while it ran (see :func:`drop_queued`)."""


def drop_queued(unwanted: Callable[[Hashable], bool]) -> int:
    """Take the queued jobs whose key is ``unwanted`` off the queue, e.g. the preparation of a
    data set the user has left; a background one already running stops at its next pause (its
    key may be asked for again later). Returns how many were queued."""
    global _pages_busy
    with _LOCK:
        _STOPPING.update(key for key in _RUNNING.values() if key is not None and unwanted(key))
        keep, dropped = [], []
        keys = {id(job): key for key, job in _JOBS.items()}
        for entry in _QUEUE:
            key = keys.get(id(entry[2]))
            (dropped if key is not None and unwanted(key) else keep).append(entry)
        for priority, _, job, _ in dropped:
            job.cancel()
            _NAMES.pop(id(job), None)
            _JOBS.pop(keys[id(job)], None)
            if priority == PAGE:
                _pages_busy -= 1
        _QUEUE[:] = keep
        heapq.heapify(_QUEUE)
        _LOCK.notify_all()
        return len(dropped)


def _start_workers() -> None:
    while len(_workers) <= WORKERS:
        background = len(_workers) == WORKERS
        name = "map-jobs-background" if background else f"map-jobs-{len(_workers)}"
        worker = threading.Thread(target=_work, args=(background,), name=name, daemon=True)
        worker.start()
        _workers.append(worker)


def submit(key: Hashable, build: Callable[[], Any], *, priority: int = PAGE) -> concurrent.futures.Future:
    """The job of ``key``, started with ``build`` unless it is queued, running or done already.

    A job that failed is started again (its error was shown once).
    """
    global _pages_busy
    with _LOCK:
        _start_workers()
        job = _JOBS.get(key)
        if job is not None and not (job.done() and job.exception() is not None):
            _JOBS.move_to_end(key)
            _raise_priority(job, priority)
            return job
        job = concurrent.futures.Future()
        _JOBS[key] = job
        if priority == PAGE:
            _pages_busy += 1
        heapq.heappush(_QUEUE, (priority, next(_SEQ), job, build))
        _NAMES[id(job)] = repr(key)[:160]
        _LOCK.notify_all()
        while len(_JOBS) > _MAX_JOBS:
            oldest, first = next(iter(_JOBS.items()))
            if not first.done():
                break
            _JOBS.pop(oldest)
        return job


def _raise_priority(job: concurrent.futures.Future, priority: int) -> None:
    """A queued job asked for again with a more urgent priority (a page now waits for what the
    warm-up had queued) moves up the queue. Called with the lock held."""
    global _pages_busy
    for i, (queued, seq, other, build) in enumerate(_QUEUE):
        if other is job and queued > priority:
            _QUEUE[i] = (priority, seq, job, build)
            heapq.heapify(_QUEUE)
            if priority == PAGE:
                _pages_busy += 1
            _LOCK.notify_all()
            return


def pause_for_pages(timeout_s: float = 60.0) -> None:
    """Wait (up to ``timeout_s``) while a page's job is queued or running: background work calls
    this between its steps."""
    deadline = time.monotonic() + timeout_s
    with _LOCK:
        while _pages_busy > 0 and time.monotonic() < deadline:
            _LOCK.wait(timeout=0.2)
        if _RUNNING.get(threading.get_ident()) in _STOPPING:
            raise Stopped("dropped while it ran")


def result(key: Hashable, build: Callable[[], Any], *, wait_s: float = 1.5,
           priority: int = PAGE) -> tuple[bool, Any]:
    """``(True, value)`` once the job of ``key`` is done (waiting up to ``wait_s``), else
    ``(False, None)``. A job's error is raised here."""
    job = submit(key, build, priority=priority)
    try:
        return True, job.result(timeout=wait_s)
    except concurrent.futures.TimeoutError:
        return False, None


def done(key: Hashable) -> bool:
    """Whether the job of ``key`` has finished (a key never asked for counts as finished)."""
    with _LOCK:
        job = _JOBS.get(key)
    return job is None or job.done()


def wait_then_rerun(ready: Callable[[], bool], texts: Sequence[tuple[str, str]], *, lang: str,
                    every_s: float = 0.5) -> None:
    """Say what is being drawn until ``ready()``, then draw the whole page again.

    ``texts``: (text key, what) pairs, each key a template of :data:`app_support.i18n.TEXT` with
    ``{what}`` and ``{seconds}``. A fragment that reruns on its own every ``every_s`` seconds:
    the rest of the page is not run again until then, and its widgets stay usable.
    """
    started = time.monotonic()

    @st.fragment(run_every=every_s)
    def _watch() -> None:
        if ready():
            st.rerun(scope="app")
        seconds = f"{time.monotonic() - started:.0f}"
        for key, what in texts:
            st.info(t(key, lang, what=what, seconds=seconds), icon="⏳")

    _watch()


def wait(timeout_s: float | None = None) -> None:
    """Block until every job asked for so far is done (benchmarks and tests)."""
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    while True:
        with _LOCK:
            pending = [job for job in _JOBS.values() if not job.done()]
        if not pending:
            return
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        concurrent.futures.wait(pending, timeout=left)
        if deadline is not None and time.monotonic() >= deadline:
            raise TimeoutError("background jobs still running")
