"""Map layers drawn in the background, so that a page stays usable while a city's layers are drawn.

A page asks :func:`result` for a layer with a short wait: a small data set's layers are ready
within it and the page draws them at once; a city's take longer, so the page draws what it has
(communities, facilities, roads), says what is still being drawn, and :func:`wait_then_rerun`
draws the page again once the layers are in. Meanwhile every widget works: a new choice simply
asks for other layers. One worker thread for the whole server (the machine's other core stays
with the pages); the same key asked by several sessions is drawn once.
"""

from __future__ import annotations

import concurrent.futures
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import Any

import streamlit as st

from app_support.i18n import t

_POOL = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="map-layers")
_JOBS: OrderedDict[Hashable, concurrent.futures.Future] = OrderedDict()
_LOCK = threading.Lock()
_MAX_JOBS = 256


def submit(key: Hashable, build: Callable[[], Any]) -> concurrent.futures.Future:
    """The job of ``key``, started with ``build`` unless it is running or done already.

    A job that failed is started again (its error was shown once).
    """
    with _LOCK:
        job = _JOBS.get(key)
        if job is not None and not (job.done() and job.exception() is not None):
            _JOBS.move_to_end(key)
            return job
        job = _POOL.submit(build)
        _JOBS[key] = job
        while len(_JOBS) > _MAX_JOBS:
            oldest, first = next(iter(_JOBS.items()))
            if not first.done():
                break
            _JOBS.pop(oldest)
        return job


def result(key: Hashable, build: Callable[[], Any], *, wait_s: float = 1.5) -> tuple[bool, Any]:
    """``(True, value)`` once the job of ``key`` is done (waiting up to ``wait_s``), else
    ``(False, None)``. A job's error is raised here."""
    job = submit(key, build)
    try:
        return True, job.result(timeout=wait_s)
    except concurrent.futures.TimeoutError:
        return False, None


def running(keys: Sequence[Hashable]) -> list[Hashable]:
    """Those of ``keys`` whose job is not done yet."""
    with _LOCK:
        return [k for k in keys if k in _JOBS and not _JOBS[k].done()]


def wait_then_rerun(keys: Sequence[Hashable], what: str, *, lang: str, every_s: float = 0.5) -> None:
    """Say that ``what`` is being drawn while the jobs of ``keys`` run, then draw the page again.

    A fragment that reruns on its own every ``every_s`` seconds: the rest of the page is not
    run again until the jobs are done, and its widgets stay usable.
    """
    started = time.monotonic()

    @st.fragment(run_every=every_s)
    def _watch() -> None:
        if not running(keys):
            st.rerun(scope="app")
        st.info(t("map.pending", lang, what=what, seconds=f"{time.monotonic() - started:.0f}"), icon="⏳")

    _watch()


def wait(timeout_s: float | None = None) -> None:
    """Block until every job asked for so far is done (benchmarks and tests)."""
    _POOL.submit(lambda: None).result(timeout=timeout_s)
