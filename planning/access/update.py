"""Update an analysis after some categories' facilities changed, recomputing only those.

A what-if edit (a planned 社区客厅, a closed health station) changes the facilities of one or two
categories. :func:`reanalysed` runs the shortest-path searches of those categories only and
reuses, for every other category, the minutes, covered flags and E2SFCA supply of the analysis
it starts from, together with the service circles already drawn. The indicator table and the
per-community rows are rebuilt from the merged coverage: they read every category (the complete
circle, the floor area per 100 households), and take a few hundredths of a second.

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

import numpy as np
import pandas as pd
import shapely

from geo.dataset import Dataset
from geo.taxonomy import CATEGORIES, ESSENTIAL_CATEGORIES
from planning import columns
from planning._once import OnceCache
from planning.access.analysis import Analysis
from planning.access.coverage import Coverage, coverage
from planning.access.demand import as_points
from planning.access.indicators import indicators

#: Caches of an analysis keyed by category (circles drawn, rings, responsibility areas): entries
#: of categories that did not change are handed on.
CATEGORY_CACHES: tuple[str, ...] = ("_circle_rows", "_ring_rows", "_responsibility")
#: Caches that depend only on the communities and settings (the rural area, edges per kind).
SHARED_CACHES: tuple[str, ...] = ("_circle_rows_area",)


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
                   urban_circle_minutes=old.urban_circle_minutes, rural_circle_minutes=old.rural_circle_minutes)
    out = Analysis(dataset, analysis.settings, cov, indicators(dataset, cov, analysis.targets), analysis.targets)
    out.complete_requested = None if requested is None else list(requested)
    _hand_on(analysis, out, keep=lambda key: key not in recompute)
    for cat in recompute:
        _patch_circle(analysis, out, cat)
    return out


def _patch_circle(old: Analysis, new: Analysis, category: str) -> None:
    """Let ``new`` draw the circle of ``category`` only where its facilities changed.

    A facility reaches no farther than its circle time at the fastest speed of the mode, so
    outside discs of that radius around the added, removed and moved facilities the circle is
    the one ``old`` drew; inside them it is drawn again from every facility of the category.
    """
    if category not in old._circle_rows or category not in old.categories:
        return
    region = _changed_region(old, new, category)
    if region is None:
        return
    old_row = old._circle_rows.get(category, _never)

    def patch() -> dict[str, Any]:
        if shapely.is_empty(region):
            return {**old_row, "facilities": int(new.category_summary.loc[category, "facilities"])}
        inside = new._merged_circle(category, within=region)
        return {**inside, "geometry": shapely.union(shapely.difference(old_row["geometry"], region),
                                                    inside["geometry"])}

    new._circle_patches[category] = patch


def _changed_region(old: Analysis, new: Analysis, category: str) -> shapely.Geometry | None:
    """Discs around the facilities of ``category`` that differ (``None``: draw it all again)."""
    def points(analysis: Analysis) -> pd.Series:
        fac = analysis.dataset.facilities
        mine = fac[fac["category"].astype(str).to_numpy() == category] if len(fac) else fac
        pts = as_points(mine.geometry)
        return pd.Series([(float(p.x), float(p.y)) for p in pts], index=mine["facility_id"].astype(str).to_numpy(),
                         dtype=object)

    before, after = points(old), points(new)
    if before.index.has_duplicates or after.index.has_duplicates:
        return None
    moved = [i for i in before.index.intersection(after.index) if before[i] != after[i]]
    changed = ([before[i] for i in before.index.difference(after.index)]
               + [after[i] for i in after.index.difference(before.index)]
               + [before[i] for i in moved] + [after[i] for i in moved])
    if not changed:
        return shapely.Polygon()
    settings = new.settings
    reach = 0.0
    for kind in new._kinds():
        mode = settings.mode_for(kind)
        speed = (max(settings.car_speeds_km_per_h.values()) * 1000.0 / 60.0 if mode == "car"
                 else settings.speed_m_per_min(mode))
        reach = max(reach, settings.circle_minutes(kind) * max(speed, settings.walk_speed()))
    xy = np.asarray(changed, dtype=float)
    # Travel reaches at most ``reach`` metres; the road band adds its width on both sides.
    return shapely.union_all(shapely.buffer(shapely.points(xy[:, 0], xy[:, 1]),
                                            reach + 2.0 * settings.circle_buffer_m + 1.0))


def _hand_on(old: Analysis, new: Analysis, *, keep: Callable[[Hashable], bool]) -> None:
    """Give ``new`` what ``old`` computed for categories that did not change."""
    if "all" in old._supply:
        table, supply = old._supply.get("all", _never)
        new._supply_known = {cat: (table[columns.e2sfca(cat)].to_numpy(dtype=float), kind)
                             for cat, kind in supply.items()
                             if keep(cat) and cat in new.categories and columns.e2sfca(cat) in table.columns}
    else:
        new._supply_known = {cat: value for cat, value in old._supply_known.items()
                             if keep(cat) and cat in new.categories}
    for name in CATEGORY_CACHES:
        _copy(getattr(old, name, None), getattr(new, name, None), keep)
    for name in SHARED_CACHES:
        _copy(getattr(old, name, None), getattr(new, name, None), lambda key: True)


def _copy(source: Any, target: Any, keep: Callable[[Hashable], bool]) -> None:
    if isinstance(source, OnceCache) and isinstance(target, OnceCache):
        for key, value in source.items():
            if keep(key):
                target.get(key, lambda value=value: value)
    elif isinstance(source, dict) and isinstance(target, dict):
        target.update({key: value for key, value in source.items() if keep(key)})


def _never() -> Any:
    raise KeyError("the entry was expected in the cache")
