"""Errors that tell a planner what is wrong with their data and how to fix it."""

from __future__ import annotations

from pathlib import Path


class DataError(ValueError):
    """Input data that cannot be used as it is.

    The message names the file (and column or layer when known), the problem and the fix, so
    that command-line tools can print it as one line and the app can show it as it is.
    """

    def __init__(
        self,
        problem: str,
        *,
        file: str | Path | None = None,
        layer: str | None = None,
        column: str | None = None,
        fix: str | None = None,
    ) -> None:
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
        return text


class NetworkUnavailableError(DataError):
    """An online source (osmnx download, web tiles) cannot be reached from this machine."""
