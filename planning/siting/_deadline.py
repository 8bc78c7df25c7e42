"""One clock for a whole solve: every stage of a siting model works towards the same deadline.

The time limit a planner gives covers everything after the call starts — reduction, greedy,
swaps, the Lagrangian bound, the LP relaxation and the MILP — not only HiGHS. Stages that
improve a solution run until their own work is done or the time is up (:meth:`Deadline.passed`);
HiGHS gets what is left (:meth:`Deadline.left`).

The deadline also carries the user's **stop flag** (a :class:`threading.Event`: once set, the time
is up at once and the best solution so far is returned, with its certified gap) and a **progress
callback** ``progress(seconds, incumbent, bound)``. Stages report each better solution or bound
with :meth:`Deadline.report`; the callback is only ever called on the thread that made the
deadline (a user interface may draw from it), at most every :data:`PULSE_S` seconds: reports
from HiGHS's worker thread are held until that thread calls :meth:`Deadline.pulse` while it waits.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

#: ``progress(seconds since the start, best objective so far, best bound so far)``.
Progress = Callable[[float, float, float], None]
#: Least seconds between two progress calls (the last report is never lost, only delayed).
PULSE_S = 0.2
#: Seconds after which the callback hears the latest report again even if nothing changed, so
#: that a user interface stays alive (and can notice a stop) during a long stage.
HEARTBEAT_S = 1.0


@dataclass
class _Reports:
    """The latest (incumbent, bound) and when the callback last saw them (shared between threads)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    latest: tuple[float, float] | None = None
    fresh: bool = False
    last_call: float = -float("inf")


@dataclass(frozen=True)
class Deadline:
    """A time limit that started at ``start`` (``time.perf_counter`` seconds)."""

    start: float
    limit_s: float
    stop: threading.Event | None = None
    progress: Progress | None = None
    owner: int = 0  # thread that may call ``progress``
    _reports: _Reports = field(default_factory=_Reports, compare=False, repr=False)

    @classmethod
    def after(cls, seconds: float, *, stop: threading.Event | None = None,
              progress: Progress | None = None) -> Deadline:
        """A deadline ``seconds`` from now (negative and NaN count as 0)."""
        seconds = float(seconds)
        return cls(time.perf_counter(), seconds if seconds > 0 else 0.0, stop, progress, threading.get_ident())

    @property
    def end(self) -> float:
        """The moment the time is up."""
        return self.start + self.limit_s

    def stopped(self) -> bool:
        """The user asked to stop (the time is up, whatever the clock says)."""
        return self.stop is not None and self.stop.is_set()

    def at(self, share: float) -> float:
        """The moment ``share`` (0–1) of the time limit has passed."""
        return self.start + min(max(share, 0.0), 1.0) * self.limit_s

    def passed(self, moment: float | None = None) -> bool:
        """The time is up: ``moment`` (default: the end) has passed, or the user stopped."""
        return self.stopped() or time.perf_counter() > (self.end if moment is None else moment)

    def left(self) -> float:
        """Seconds until the time is up (0 once it is, or once the user stopped)."""
        if self.stopped():
            return 0.0
        return max(self.end - time.perf_counter(), 0.0)

    def elapsed(self) -> float:
        """Seconds since the start."""
        return time.perf_counter() - self.start

    # ------------------------------------------------------------------ progress
    def report(self, incumbent: float, bound: float) -> None:
        """Record the best objective and bound so far (any thread); the callback hears of it soon."""
        if self.progress is None:
            return
        with self._reports.lock:
            old = self._reports.latest or (np.nan, np.nan)
            # NaN: not known by this stage, the last value stands.
            self._reports.latest = (old[0] if np.isnan(incumbent) else float(incumbent),
                                    old[1] if np.isnan(bound) else float(bound))
            self._reports.fresh = True
        self.pulse()

    def pulse(self, *, force: bool = False) -> None:
        """Call the progress callback with the latest report, on the owner thread only
        (when it is new, or as a heartbeat; ``force``: now)."""
        if self.progress is None or threading.get_ident() != self.owner:
            return
        now = time.perf_counter()
        with self._reports.lock:
            r = self._reports
            due = now - r.last_call >= (PULSE_S if r.fresh else HEARTBEAT_S)
            if r.latest is None or not (force or due):
                return
            r.fresh, r.last_call = False, now
            incumbent, bound = r.latest
        self.progress(now - self.start, incumbent, bound)
