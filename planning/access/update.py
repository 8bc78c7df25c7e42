"""Update an analysis after some categories' facilities changed, recomputing only those.

A what-if edit (a planned 社区客厅, a closed health station) changes the facilities of one or two
categories. :func:`reanalysed` runs the shortest-path searches of those categories only and
reuses, for every other category, the minutes, covered flags and E2SFCA supply of the analysis
it starts from, together with the circles, rings and responsibility areas already drawn; the
travel-time surfaces keep their grid and cell snapping and the per-node minutes of the other
categories (:meth:`planning.access.surface.TravelSurfaces.with_facilities`), so the edited
category's circle is one search and one contouring. The indicator table and the per-community
rows are rebuilt from the merged coverage: they read every category (the complete circle, the
floor area per 100 households), and take a few hundredths of a second.

The result equals :func:`planning.access.analysis.analyze` of the edited data set with the same
categories, settings and targets: every table, value for value (the tests check it on the
bundled data set).

Examples
--------
>>> from planning.siting.edits import apply_edits                                 # doctest: +SKIP
>>> edited = apply_edits(analysis.dataset, edits)                                  # doctest: +SKIP
>>> after = reanalysed(analysis, edited, ["community_living_room"])                # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any

import pandas as pd

from geo.dataset import Dataset
from geo.taxonomy import CATEGORIES, ESSENTIAL_CATEGORIES
from planning._once import OnceCache
from planning.access.analysis import Analysis
from planning.access.coverage import Coverage, coverage
from planning.access.indicators import indicators
from planning.access.surface import hand_on_surfaces

#: Caches of an analysis keyed by category, or by a tuple starting with it (circles drawn, rings,
#: responsibility areas, E2SFCA supply): entries of categories that did not change are handed on.
CATEGORY_CACHES: tuple[str, ...] = ("_circle_rows", "_ring_rows", "_responsibility", "_supply_by_category")


def reanalysed(analysis: Analysis, dataset: Dataset, categories: Sequence[str]) -> Analysis:
    """The analysis of ``dataset``, which differs from ``analysis.dataset`` only in the
    facilities of ``categories``.

    Parameters
    ----------
    analysis : Analysis
        The analysis to start from (same communities, population, roads, settings, targets).
    dataset : geo.dataset.Dataset
        The edited data set.
    categories : sequence of str
        Categories whose facilities changed; those not analysed yet are added.

    Returns
    -------
    Analysis
        With the categories of ``analysis`` plus the new ones, in taxonomy order.
    """
    recompute = [c for c in CATEGORIES if c in set(categories)]
    cats = [c for c in CATEGORIES if c in set(analysis.categories) | set(recompute)]
    cats += [c for c in analysis.categories if c not in cats]  # keys outside the taxonomy stay last
    old = analysis.coverage
    part = (coverage(dataset, analysis.settings, categories=recompute, complete_categories=[])
            if recompute else None)

    def column(frame_new: pd.DataFrame | None, frame_old: pd.DataFrame, cat: str) -> pd.Series:
        return (frame_new if cat in recompute and frame_new is not None else frame_old)[cat]

    minutes = pd.DataFrame({c: column(part.demand_minutes if part else None, old.demand_minutes, c) for c in cats},
                           index=old.demand_minutes.index)
    minutes.columns = pd.Index(cats, name="category")
    covered = pd.DataFrame({c: column(part.covered if part else None, old.covered, c) for c in cats},
                           index=old.covered.index)
    covered.columns = minutes.columns
    facilities = {c: (part.facilities[c] if part is not None and c in recompute else old.facilities[c])
                  for c in cats}
    requested = analysis.complete_requested
    complete = (list(requested) if requested is not None
                else [c for c in ESSENTIAL_CATEGORIES if c in cats and facilities.get(c, 0) > 0])
    cov = Coverage(categories=cats, demand_minutes=minutes, circle_minutes=old.circle_minutes, kind=old.kind,
                   mode=old.mode, covered=covered, population=old.population, community_id=old.community_id,
                   facilities=facilities, complete_categories=complete,
                   urban_circle_minutes=old.urban_circle_minutes, rural_circle_minutes=old.rural_circle_minutes,
                   target_groups=dict(old.target_groups), group_counts=old.group_counts,
                   group_factors=dict(old.group_factors))
    if dataset is not analysis.dataset:
        hand_on_surfaces(analysis.dataset, dataset, recompute)
    out = Analysis(dataset, analysis.settings, cov, indicators(dataset, cov, analysis.targets), analysis.targets,
                   group_notes=analysis.group_notes)
    out.complete_requested = None if requested is None else list(requested)
    _hand_on(analysis, out, keep=lambda key: key not in recompute)
    return out


def _hand_on(old: Analysis, new: Analysis, *, keep: Callable[[Hashable], bool]) -> None:
    """Give ``new`` what ``old`` computed for categories that did not change."""
    for name in CATEGORY_CACHES:
        _copy(getattr(old, name, None), getattr(new, name, None), keep)


def _category_of(key: Hashable) -> Hashable:
    return key[0] if isinstance(key, tuple) and key else key


def _copy(source: Any, target: Any, keep: Callable[[Hashable], bool]) -> None:
    if isinstance(source, OnceCache) and isinstance(target, OnceCache):
        for key, value in source.items():
            if keep(_category_of(key)):
                target.get(key, lambda value=value: value)

