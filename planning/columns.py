"""Names of the result columns that carry a facility category: built and read in one place.

Result tables name per-category columns ``<measure>_<category>``: ``coverage_pct_health``,
``minutes_health``, ``covered_health``, ``e2sfca_health``, ``facilities_health``. The engine,
the exports, the report and the app build them with :func:`column` (or the shorthands) and read
them back with :func:`split`, so a new measure or category needs no other change.

Examples
--------
>>> coverage_pct("health")
'coverage_pct_health'
>>> split("minutes_elderly_care")
('minutes', 'elderly_care')
>>> split("population") is None
True
"""

from __future__ import annotations

from geo.taxonomy import CATEGORIES

#: Measures that are stored once per category, with their (zh, en) label templates.
MEASURES: dict[str, tuple[str, str]] = {
    "coverage_pct": ("{zh}覆盖率(%)", "{en} coverage (%)"),
    "covered": ("{zh}是否在圈内", "{en}: inside circle"),
    "minutes": ("到{zh}时间(分钟)", "Minutes to {en}"),
    "e2sfca": ("{zh}每千人可达供给", "{en} supply per 1,000 residents in reach"),
    "facilities": ("{zh}数量", "{en} count"),
    # The category's target group (planning.access.groups) at its own speed.
    "group_coverage_pct": ("{zh}服务对象覆盖率(%)", "{en}: target group coverage (%)"),
    "group_covered": ("{zh}服务对象是否在圈内", "{en}: target group inside circle"),
    "group_minutes": ("服务对象到{zh}时间(分钟)", "Target group's minutes to {en}"),
}


def column(measure: str, category: str) -> str:
    """The column of ``measure`` (a key of :data:`MEASURES`) for ``category``."""
    if measure not in MEASURES:
        raise KeyError(f"unknown per-category measure {measure!r}")
    return f"{measure}_{category}"


def coverage_pct(category: str) -> str:
    """Share (%) of residents inside the category's circle."""
    return column("coverage_pct", category)


def covered(category: str) -> str:
    """Whether a demand point is inside the category's circle."""
    return column("covered", category)


def minutes(category: str) -> str:
    """Minutes from a demand point to the nearest facility of the category."""
    return column("minutes", category)


def e2sfca(category: str) -> str:
    """E2SFCA supply of the category per 1,000 residents in reach (community table)."""
    return column("e2sfca", category)


def facilities(category: str) -> str:
    """Number of facilities of the category."""
    return column("facilities", category)


def group_coverage_pct(category: str) -> str:
    """Share (%) of the category's target group inside its circle, at the group's speed."""
    return column("group_coverage_pct", category)


def group_covered(category: str) -> str:
    """Whether a demand point's target group is inside the category's circle."""
    return column("group_covered", category)


def group_minutes(category: str) -> str:
    """Minutes from a demand point to the category at its target group's speed."""
    return column("group_minutes", category)


def split(name: str) -> tuple[str, str] | None:
    """``(measure, category)`` of a per-category column, or ``None`` for any other column."""
    name = str(name)
    for measure in MEASURES:
        prefix = f"{measure}_"
        if name.startswith(prefix) and name[len(prefix):] in CATEGORIES:
            return measure, name[len(prefix):]
    return None


def is_measure(name: str, measure: str) -> bool:
    """Whether ``name`` is the ``measure`` column of some category."""
    parts = split(name)
    return parts is not None and parts[0] == measure
