"""One clock for a whole solve: every stage of a siting model works towards the same deadline.

The time limit a planner gives covers everything after the call starts — reduction, greedy,
swaps, the Lagrangian bound, the LP relaxation and the MILP — not only HiGHS. Stages that
improve a solution get a share of it (:meth:`Deadline.at`) and stop when it is used up; HiGHS
gets what is left (:meth:`Deadline.left`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Deadline:
    """A time limit that started at ``start`` (``time.perf_counter`` seconds)."""

    start: float
    limit_s: float

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        """A deadline ``seconds`` from now (negative and NaN count as 0)."""
        seconds = float(seconds)
        return cls(time.perf_counter(), seconds if seconds > 0 else 0.0)

    @property
    def end(self) -> float:
        """The moment the time is up."""
        return self.start + self.limit_s

    def at(self, share: float) -> float:
        """The moment ``share`` (0–1) of the time limit has passed: a stage's own deadline."""
        return self.start + min(max(share, 0.0), 1.0) * self.limit_s

    def left(self) -> float:
        """Seconds until the time is up (0 once it is)."""
        return max(self.end - time.perf_counter(), 0.0)

    def elapsed(self) -> float:
        """Seconds since the start."""
        return time.perf_counter() - self.start
