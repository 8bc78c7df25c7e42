"""A dict filled on first use that computes each entry once, however many threads ask at once.

The app shares one :class:`planning.access.analysis.Analysis` (and one travel model per network
and mode) between every session and a background warm-up thread. A plain ``if key not in cache``
lets two threads both compute an expensive entry; :class:`OnceCache` gives every key its own
lock, so different keys are still computed side by side while the same key is computed once and
both callers get the very same object.

Examples
--------
>>> cache = OnceCache()
>>> cache.get("a", lambda: [1])
[1]
>>> cache.get("a", lambda: [2])  # already there: the builder is not called
[1]
>>> "a" in cache, len(cache), cache.builds
(True, 1, 1)
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

V = TypeVar("V")


class OnceCache(Generic[V]):
    """Key → value, each value built by the first caller while the others wait for it."""

    def __init__(self) -> None:
        self._values: dict[Hashable, V] = {}
        self._key_locks: dict[Hashable, threading.Lock] = {}
        self._guard = threading.Lock()
        #: How many times a value was built (equals ``len(self)`` when no key was built twice).
        self.builds = 0

    def get(self, key: Hashable, build: Callable[[], V]) -> V:
        """The value of ``key``, calling ``build()`` only if no thread has stored it yet.

        A ``build`` that raises stores nothing: the next caller tries again.
        """
        try:
            return self._values[key]
        except KeyError:
            pass
        with self._guard:
            lock = self._key_locks.setdefault(key, threading.Lock())
        with lock:
            # Another thread may have built it while this one waited for the lock.
            if key in self._values:
                return self._values[key]
            value = build()
            self._values[key] = value
            self.builds += 1
        with self._guard:
            self._key_locks.pop(key, None)
        return value

    def items(self) -> list[tuple[Hashable, V]]:
        """The entries built so far (a snapshot), e.g. to hand on to a cache of a similar object."""
        return list(self._values.items())

    def __contains__(self, key: object) -> bool:
        return key in self._values

    def __len__(self) -> int:
        return len(self._values)

    # Locks do not pickle or copy: a copy keeps the values and gets fresh locks.
    def __getstate__(self) -> dict[str, Any]:
        return {"values": dict(self._values), "builds": self.builds}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__()  # type: ignore[misc]
        self._values.update(state["values"])
        self.builds = int(state.get("builds", len(self._values)))
