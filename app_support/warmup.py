"""Background work that makes the next step quick: the map's other categories, the next page's data.

Each (data set, settings, targets, basemap shift) is warmed once, whichever session asked first,
through :mod:`app_support.jobs` at the lowest priority: a page's own job always goes first. The
results land in the caches of :mod:`app_support.state`; :class:`planning._once.OnceCache` keeps
a page and the warm-up from computing the same thing twice.
"""

from __future__ import annotations

import threading
from typing import Any

from app_support import jobs, state, views
from app_support.drawn import is_large
from planning.access.surface import travel_surfaces

_WARMED: set[tuple[Any, ...]] = set()
#: Kinds of job keys the warm-up starts for one analysis.
_WARMED_KINDS = ("drawn", "supply", "polygons")
#: Kinds of job keys :func:`prefetch` and the warm-up start for a data set.
_PREFETCHED = ("analysis", "cells", "first circle", "static", "tiles", "drawn", "supply", "polygons")
# Pages of several sessions run in their own threads: one check-and-add at a time.
_WARMED_LOCK = threading.Lock()


def _once(key: tuple[Any, ...]) -> bool:
    with _WARMED_LOCK:
        if key in _WARMED:
            return False
        _WARMED.add(key)
        return True


def warm_circles(categories: list[str], basemap: str = "none") -> None:
    """Draw every category's service circle, then compute their supply, in the background.

    Parameters
    ----------
    categories : list of str
        Analysed categories, in the order they should be drawn.
    basemap : str
        The map's base map; only the Amap shift changes the drawn layers.
    """
    key = state.analysis_key()
    shift = "amap" if basemap == "amap" else "none"
    if not _once(("circles", *key, shift)):
        return
    # Other settings of the same data set (an earlier circle time) are not warmed any further.
    jobs.drop_queued(lambda job: isinstance(job, tuple) and len(job) > 5 and job[0] in _WARMED_KINDS
                     and job[1:3] == key[:2] and job[1:5] != key)
    # What each category shows at first; on a small data set its optional layers too (a city's
    # are drawn when the category is shown).
    small = not is_large(state.load_source(key[0], key[1]))
    for category in categories:
        for part in ("circle", "extras") if small else ("circle",):
            drawn = (*key, category, shift, part)
            jobs.submit(("drawn", *drawn), lambda drawn=drawn: state.circles_for(*drawn), priority=jobs.WARM)

    def supply(category: str) -> None:
        # On a city's network seconds per category, so after every category's circle.
        state.analysis_for(*key).supply_per_1000(category)

    def polygons(category: str) -> None:
        # What an export writes: drawn while the server is idle, so that the export only writes.
        state.analysis_for(*key).circles_for([category])

    for category in categories:
        jobs.submit(("supply", *key, category), lambda category=category: supply(category), priority=jobs.WARM)
    for category in categories:
        jobs.submit(("polygons", *key, category), lambda category=category: polygons(category),
                    priority=jobs.WARM)


def prefetch() -> None:
    """Start what the map page needs first (the analysis, the travel-time surface's cells, the
    road tiles) as soon as a data set is loaded, so that the map is ready sooner."""
    key = state.analysis_key()
    if not _once(("prefetch", *key)):
        return
    source_key, coords_system = key[0], key[1]
    # A data set left behind (the user chose another one) is not prepared any further.
    jobs.drop_queued(lambda job: isinstance(job, tuple) and len(job) > 2 and job[0] in _PREFETCHED
                     and job[1:3] != (source_key, coords_system))

    def cells() -> None:
        # The surface needs the data set and travel settings only: drawn beside the analysis.
        surfaces = travel_surfaces(state.load_source(source_key, coords_system), state.make_settings(key[2]))
        for kind in surfaces.kinds:
            surfaces.cells(kind)

    def first_circle() -> None:
        # The circle the map opens with, drawn as soon as the analysis is in (the map page then
        # finds it ready or nearly so).
        category = views.first_category(state.analysis_for(*key))
        if category in state.analysis_for(*key).categories:
            state.circles_for(*key, category, "none", "circle")

    jobs.submit(("analysis", *key), lambda: state.analysis_for(*key), priority=jobs.PAGE)
    jobs.submit(("cells", *key), cells, priority=jobs.PAGE)
    jobs.submit(("first circle", *key), first_circle, priority=jobs.PAGE)
    jobs.submit(("static", source_key, coords_system), lambda: state.static_layers_for(source_key, coords_system),
                priority=jobs.TILES)


def wait(timeout_s: float | None = None) -> None:
    """Block until the background work asked for so far is done (benchmarks and tests)."""
    jobs.wait(timeout_s)
