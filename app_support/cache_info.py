"""How often the server computed the objects its sessions share.

Every cached loader of :mod:`app_support.state` reports here when it computes (a cache miss):
data sets with their road network, analyses, siting runs, circles. The travel models are read off
each network (:class:`planning._once.OnceCache` counts its builds). Sessions that share a data set
should find every count at one per key, however many of them ask at once.

When the environment variable ``SERVICE_CIRCLES_CACHE_INFO`` names a file, the counts are written
there (JSON) after each computation, so a load test can read them from outside the server.
"""

from __future__ import annotations

import json
import os
import threading
import weakref
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from planning.output.files import write_text

ENV = "SERVICE_CIRCLES_CACHE_INFO"
_LOCK = threading.Lock()
_COUNTS: defaultdict[str, Counter[str]] = defaultdict(Counter)
# Weak: an evicted data set's network must not stay in memory for the sake of a count.
_NETWORKS: dict[str, weakref.ref[Any]] = {}


def computed(kind: str, key: object, *, network: Any = None) -> None:
    """Count one computation of ``kind`` (``"datasets"``, ``"analyses"`` …) for ``key``."""
    name = repr(key)
    with _LOCK:
        _COUNTS[kind][name] += 1
        if network is not None:
            _NETWORKS[name] = weakref.ref(network)
    write()


def cache_info() -> dict[str, Any]:
    """``{kind: {key: times computed}}`` plus ``travel_models``: per network, models and builds."""
    with _LOCK:
        out: dict[str, Any] = {kind: dict(counts) for kind, counts in _COUNTS.items()}
        networks = {name: ref() for name, ref in _NETWORKS.items()}
    models = {}
    for name, network in networks.items():
        cache = None if network is None else network.__dict__.get("_travel_models")
        if cache is not None:
            models[name] = {"models": len(cache), "builds": int(getattr(cache, "builds", len(cache)))}
    out["travel_models"] = models
    return out


def write() -> None:
    """Write :func:`cache_info` to the file named by ``SERVICE_CIRCLES_CACHE_INFO`` (if set)."""
    target = os.environ.get(ENV)
    if not target:
        return
    path = Path(target)
    write_text(path, json.dumps(cache_info(), ensure_ascii=False, sort_keys=True))
