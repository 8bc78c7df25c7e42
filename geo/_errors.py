"""Errors that tell a planner what is wrong with their data and how to fix it."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from geo.texts import TEXTS, render


class DataError(ValueError):
    """Input data that cannot be used as it is.

    The message names the file (and column or layer when known), the problem and the fix, so
    that command-line tools can print it as one line and the app can show it as it is. An error
    made from a ``key`` of :data:`geo.texts.TEXTS` (with ``values``) can also be worded in
    Chinese by :func:`geo.texts.error_text`; its English problem and fix come from that table.
    """

    def __init__(
        self,
        problem: str | None = None,
        *,
        file: str | Path | None = None,
        layer: str | None = None,
        column: str | None = None,
        fix: str | None = None,
        key: str | None = None,
        values: Mapping[str, Any] | None = None,
    ) -> None:
        self.key = key
        self.values: dict[str, Any] = dict(values or {})
        if problem is None:
            problem = render(key, self.values, "en") if key else "the data cannot be used"
        if fix is None and key:
            fix_key = self.values.get("fix_key") or f"{key}.fix"
            if fix_key in TEXTS:
                fix = render(fix_key, self.values, "en")
        self.problem = problem
        self.file = str(file) if file is not None else None
        self.layer = layer
        self.column = column
        self.fix = fix
        super().__init__(self.message)

    @property
    def message(self) -> str:
        where = [p for p in (self.file, f"layer '{self.layer}'" if self.layer else None,
                             f"column '{self.column}'" if self.column else None) if p]
        text = (", ".join(where) + ": " if where else "") + self.problem.rstrip(".") + "."
        if self.fix:
            text += " " + self.fix.rstrip(".") + "."
        return " ".join(text.split())  # one line, whatever a library's own message held


class NetworkUnavailableError(DataError):
    """An online source (osmnx download, web tiles) cannot be reached from this machine."""
