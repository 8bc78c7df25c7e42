"""A loaded data set: the layers of the data contract in one metric CRS, plus what was found."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
from pyproj import CRS

from geo.network import RoadNetwork
from geo.texts import problem_text

Severity = Literal["error", "warning", "info"]
LAYERS: tuple[str, ...] = ("communities", "facilities", "population", "candidates", "roads")


@dataclass
class Problem:
    """One finding about the input: what, where, and what was done or should be done.

    ``message`` is English, worded for the command line; ``key`` and ``values`` (language-free:
    numbers, keys, row references) let :func:`geo.texts.problem_text` word it in Chinese or
    English and name the app's controls instead of the command line's.
    """

    severity: Severity
    layer: str
    message: str
    file: str | None = None
    column: str | None = None
    count: int | None = None  # rows affected (dropped, repaired, …)
    key: str | None = None
    values: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        where = ", ".join(p for p in (self.file, self.layer, self.column) if p)
        return f"[{self.severity}] {where}: {self.message}"


@dataclass
class ValidationReport:
    """Everything the importer found, repaired or dropped; nothing is dropped silently."""

    problems: list[Problem] = field(default_factory=list)

    def add(self, severity: Severity, layer: str, message: str | None = None, *,
            key: str | None = None, values: dict[str, Any] | None = None, **kw: Any) -> None:
        """Record a problem; with a ``key`` the English message comes from :mod:`geo.texts`."""
        values = dict(values or {})
        if message is None:
            if key is None:
                raise TypeError("a problem needs a message or a key")
            message = problem_text(Problem(severity, layer, "", key=key, values=values), "en",
                                   control="cli")
        self.problems.append(Problem(severity, layer, message, key=key, values=values, **kw))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def usable(self) -> bool:
        return not self.errors


@dataclass
class Dataset:
    """Layers of the data contract, all in ``crs`` (metres).

    Column contract (``geo._validate`` guarantees these after loading):

    - ``communities``: community_id (str), name, kind ('urban'/'rural'), households (float, NaN
      when unknown), population (float, NaN when unknown), street, district; polygons.
    - ``facilities``: facility_id (str), category (taxonomy key), name, floor_area_m2, capacity,
      status ('existing'/'planned'); points.
    - ``population``: population (float ≥ 0), community_id (str or NA when outside every
      community), optionally elderly (aged 60+) and children (aged 0–6) counts between 0 and
      the population; points (grid cells are replaced by their representative point).
    - ``candidates``: candidate_id (str), name, floor_area_m2, source, cost; points; may be empty.
    - ``roads``: a :class:`geo.network.RoadNetwork` in the same CRS.
    """

    name: str
    crs: CRS
    communities: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    population: gpd.GeoDataFrame
    candidates: gpd.GeoDataFrame
    roads: RoadNetwork
    attribution: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    report: ValidationReport = field(default_factory=ValidationReport)
    source: Path | None = None
