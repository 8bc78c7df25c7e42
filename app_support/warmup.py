"""Background drawing of every category's map layers, so that switching the map's category is quick.

One worker thread for the whole server: each (data set, settings, targets, basemap shift) is
warmed once, whichever session asked first. Results land in the :func:`app_support.state.circles_for`
cache; the lock of :class:`planning.access.analysis.Analysis` keeps the worker and a page from
drawing the same circle twice.
"""

from __future__ import annotations

import concurrent.futures
import threading
from typing import Any

from app_support import state

_WARMUP = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="circle-warmup")
_WARMED: set[tuple[Any, ...]] = set()
# Pages of several sessions run in their own threads: one check-and-add at a time.
_WARMED_LOCK = threading.Lock()


def warm_circles(categories: list[str], basemap: str = "none") -> None:
    """Draw the circles of ``categories`` for the current session's choices in the background.

    Parameters
    ----------
    categories : list of str
        Analysed categories, in the order they should be drawn.
    basemap : str
        The map's base map; only the Amap shift changes the drawn layers.
    """
    dataset = state.current_dataset()
    key = (state.source(), state.coords(), state.settings_items(), state.resolved_targets(dataset.meta))
    shift = "amap" if basemap == "amap" else "none"
    with _WARMED_LOCK:
        if (*key, shift) in _WARMED:
            return
        _WARMED.add((*key, shift))

    def run() -> None:
        for category in categories:
            try:
                state.circles_for(*key, category, shift)
            except Exception:  # a failure shows up when the page asks for that category itself
                continue
        # Then each category's supply per 1,000 residents for the popups (on a city's network
        # tens of seconds in all, so after every circle).
        analysis = state.analysis_for(*key)
        for category in categories:
            try:
                analysis.supply_per_1000(category)
            except Exception:
                continue

    _WARMUP.submit(run)


def wait(timeout_s: float | None = None) -> None:
    """Block until the circles asked for so far are drawn (benchmarks and tests)."""
    _WARMUP.submit(lambda: None).result(timeout=timeout_s)
