"""Coverage: minutes from every demand point to the nearest facility of each category.

Each demand point takes the circle (time and travel mode) of the community it lies in: urban
communities 15 minutes walking, rural ones 30 minutes by the rural mode (``Settings``). Points
outside every community take the urban circle and are counted. Per category and mode there is
one multi-source shortest-path run (see :mod:`planning.access.travel`); demand points are snapped once
per mode. Unreachable points get ``inf`` minutes, never a stand-in number.

Beside the all-residents figures (every resident at the normal speed), each category counts its
target group (:mod:`planning.access.groups`): ``group_weight``, ``group_minutes``,
``group_covered`` and :meth:`Coverage.group_summary`. The elderly's walking minutes are the
normal ones times the speed ratio (walking has one speed everywhere, so the routes are the
same), which needs no second shortest-path run.

Examples
--------
>>> from geo.synthetic import synthetic_dataset
>>> cov = coverage(synthetic_dataset(2_000), Settings(), categories=["health", "elderly_care"])
>>> list(cov.category_summary().columns)
['facilities', 'population', 'covered_population', 'coverage_pct']
>>> bool((cov.demand_minutes["health"] >= 0).all())
True
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import geopandas as gpd
import numpy as np
import pandas as pd

from geo._errors import DataError
from geo.dataset import Dataset
from geo.taxonomy import CATEGORIES, ESSENTIAL_CATEGORIES
from planning import columns
from planning.access.demand import OUTSIDE_KIND, community_kinds, demand_points, facility_points_by_category
from planning.access.groups import COUNTED, group_counts, with_groups
from planning.access.travel import EPS_MINUTES, TravelModel, points_minutes
from planning.settings import Settings


@dataclass
class Coverage:
    """Minutes, circles and covered flags of every demand point.

    Attributes
    ----------
    categories : list of str
        Analysed categories (columns of the tables below).
    demand_minutes : pandas.DataFrame
        Minutes to the nearest facility per category (``inf`` unreachable); index of the
        population layer.
    circle_minutes : pandas.Series
        Circle time of each demand point (from its community's kind).
    kind : pandas.Series
        ``"urban"``/``"rural"`` of each demand point's community (urban outside communities).
    mode : pandas.Series
        Travel mode of each demand point.
    covered : pandas.DataFrame
        ``demand_minutes <= circle_minutes`` (bool).
    population : pandas.Series
        Residents at each demand point.
    community_id : pandas.Series
        Community of each demand point (NA outside every community).
    facilities : dict of str to int
        Facilities per analysed category.
    complete_categories : list of str
        Categories that make a "complete circle" (essential categories present in the data).
    urban_circle_minutes, rural_circle_minutes : float
        The circle times used.
    target_groups : dict of str to str
        Target group of the categories that do not serve all residents (``"elderly"``,
        ``"children"``; the settings' table, analysed or not).
    group_counts : dict of str to pandas.Series
        Residents of each counted group at each demand point (only groups with counts).
    group_factors : dict of str to float
        Walking minutes of each group over the normal walking minutes (1.25 for the elderly
        at 60 m/min against 75 m/min).
    """

    categories: list[str]
    demand_minutes: pd.DataFrame
    circle_minutes: pd.Series
    kind: pd.Series
    mode: pd.Series
    covered: pd.DataFrame
    population: pd.Series
    community_id: pd.Series
    facilities: dict[str, int]
    complete_categories: list[str] = field(default_factory=list)
    urban_circle_minutes: float = 15.0
    rural_circle_minutes: float = 30.0
    target_groups: dict[str, str] = field(default_factory=dict)
    group_counts: dict[str, pd.Series] = field(default_factory=dict)
    group_factors: dict[str, float] = field(default_factory=dict)
    # Computed once and kept: group flags per category, the group summary, community codes.
    _group_covered: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def outside_points(self) -> int:
        """Demand points outside every community (they take the urban circle)."""
        return int(self.community_id.isna().sum())

    @property
    def outside_population(self) -> float:
        return float(self.population[self.community_id.isna()].sum())

    @property
    def complete(self) -> pd.Series:
        """Demand points that reach every complete-circle category within their circle."""
        if not self.complete_categories:
            return pd.Series(False, index=self.covered.index, dtype=bool)
        return self.covered[self.complete_categories].all(axis=1)

    def category_summary(self) -> pd.DataFrame:
        """Facilities, population, covered population and coverage % per category."""
        total = float(self.population.sum())
        covered_pop = self._covered_population()
        out = pd.DataFrame(
            {
                "facilities": pd.Series(self.facilities, dtype="int64").reindex(self.categories),
                "population": total,
                "covered_population": covered_pop.reindex(self.categories).astype(float),
            },
            index=pd.Index(self.categories, name="category"),
        )
        out["coverage_pct"] = _pct(out["covered_population"], total)
        return out

    def _covered_population(self) -> pd.Series:
        """Residents inside the circle per category (the summaries of every resident and of the
        categories that serve all residents share it)."""
        if "covered_population" not in self._group_covered:
            self._group_covered["covered_population"] = self.covered.mul(self.population, axis=0).sum(axis=0)
        return self._group_covered["covered_population"]

    def complete_summary(self) -> dict[str, float]:
        """Population and share reaching every complete-circle category."""
        total = float(self.population.sum())
        if not self.complete_categories:
            return {"population": total, "covered_population": np.nan, "coverage_pct": np.nan}
        covered = float(self.population[self.complete].sum())
        return {"population": total, "covered_population": covered,
                "coverage_pct": float(_pct(covered, total))}

    # ------------------------------------------------------------------ target groups
    def group_of(self, category: str) -> str:
        """Target group of a category (the setting, whether or not it has counts)."""
        return self.target_groups.get(category, "all")

    def counted_group(self, category: str) -> str:
        """The group a category's figures count: its target group when it has counts, else ``"all"``."""
        group = self.group_of(category)
        return group if group in self.group_counts else "all"

    def group_weight(self, category: str) -> pd.Series:
        """Residents of the category's counted group at each demand point."""
        group = self.counted_group(category)
        return self.group_counts[group] if group != "all" else self.population

    def group_minutes(self, category: str) -> pd.Series:
        """Minutes to the category at its counted group's speed (walking points only change)."""
        minutes = self.demand_minutes[category]
        factor = self.group_factors.get(self.counted_group(category), 1.0)
        if factor == 1.0:
            return minutes
        if "walk" not in self._group_covered:
            self._group_covered["walk"] = self.mode.to_numpy() == "walk"
        walk = self._group_covered["walk"]
        values = minutes.to_numpy()
        return pd.Series(np.where(walk, values * factor, values), index=minutes.index, name=category)

    def group_covered(self, category: str) -> pd.Series:
        """Whether the category's counted group at each demand point is inside its circle."""
        if self.group_factors.get(self.counted_group(category), 1.0) == 1.0:
            return self.covered[category]
        if category not in self._group_covered:  # asked for by every table: computed once
            inside = self.group_minutes(category).to_numpy() <= self.circle_minutes.to_numpy() + EPS_MINUTES
            self._group_covered[category] = pd.Series(inside, index=self.covered.index, name=category)
        return self._group_covered[category]

    def group_summary(self) -> pd.DataFrame:
        """Per category: target group, its residents and those inside the circle at its speed.

        ``group_population`` is NaN where the target group has no counts (the category's other
        figures then count all residents).
        """
        if "summary" not in self._group_covered:  # the tables and indicators all ask: computed once
            self._group_covered["summary"] = self._group_summary()
        return self._group_covered["summary"].copy()

    def _group_summary(self) -> pd.DataFrame:
        groups = [self.group_of(cat) for cat in self.categories]
        # Every-resident categories as category_summary has them; group categories one by one.
        total = np.full(len(groups), float(self.population.sum()))
        covered = self._covered_population().reindex(self.categories).to_numpy(dtype=float).copy()
        for j, (cat, group) in enumerate(zip(self.categories, groups)):
            if group == "all":
                continue
            if group not in self.group_counts:
                total[j] = covered[j] = np.nan
                continue
            weight = self.group_weight(cat).to_numpy(dtype=float)
            total[j] = float(weight.sum())
            covered[j] = float(weight[self.group_covered(cat).to_numpy(dtype=bool)].sum())
        out = pd.DataFrame({"target_group": groups, "group_population": total, "covered_group_population": covered},
                           index=pd.Index(self.categories, name="category"))
        out["group_coverage_pct"] = _pct(out["covered_group_population"], out["group_population"])
        return out

    def community_codes(self) -> tuple[np.ndarray, Any]:
        """``pandas.factorize`` of :attr:`community_id` (-1 outside communities), computed once."""
        if "codes" not in self._group_covered:
            self._group_covered["codes"] = pd.factorize(self.community_id)
        return self._group_covered["codes"]

    def community_sums(self, ids: np.ndarray) -> Any:
        """A function summing a per-point array over each community of ``ids`` (0 where none).

        Points outside every community go to one extra bin, so no array is masked per call.
        """
        codes, uniques = self.community_codes()
        n = len(uniques)
        if "slots" not in self._group_covered:
            self._group_covered["slots"] = np.where(codes >= 0, codes, n)
        slots = self._group_covered["slots"]
        pos = pd.Index(np.asarray(uniques, dtype=object).astype(str)).get_indexer(ids)
        take, found = np.maximum(pos, 0), pos >= 0

        def per_community(weights: np.ndarray) -> np.ndarray:
            total = np.bincount(slots, weights=weights, minlength=n + 1)
            return np.where(found, total[take], 0.0)

        return per_community

    def group_by_community(self, communities: gpd.GeoDataFrame) -> pd.DataFrame:
        """Per community: residents of each counted group and each category's group coverage (%).

        Columns ``elderly_population``/``children_population`` for the groups with counts and
        ``group_coverage_pct_<category>`` for the categories whose target group has counts.
        """
        ids = communities["community_id"].astype(str).to_numpy()
        per_community = self.community_sums(ids)
        out = pd.DataFrame(index=pd.Index(ids, name="community_id"))
        for group in COUNTED:
            if group in self.group_counts:
                out[f"{group}_population"] = per_community(self.group_counts[group].to_numpy(dtype=float))
        for cat in self.categories:
            if self.counted_group(cat) == "all":
                continue
            weight = self.group_weight(cat).to_numpy(dtype=float)
            covered = per_community(weight * self.group_covered(cat).to_numpy(dtype=float))
            out[columns.group_coverage_pct(cat)] = _pct(covered, per_community(weight))
        return out

    def uncovered(self, category: str) -> pd.Index:
        """Demand points outside their circle for ``category``."""
        return self.covered.index[~self.covered[category].to_numpy()]

    def by_community(self, communities: gpd.GeoDataFrame) -> pd.DataFrame:
        """Population, circle and coverage % per category for every community.

        Communities without demand points get population 0 and NaN percentages.
        """
        ids = communities["community_id"].astype(str)
        pop = self.population.to_numpy(dtype=float)
        codes, uniques = self.community_codes()
        pos = pd.Index(np.asarray(uniques, dtype=object).astype(str)).get_indexer(ids.to_numpy())
        inside = codes >= 0

        def per_community(weights: np.ndarray) -> np.ndarray:
            total = np.bincount(codes[inside], weights=weights[inside], minlength=len(uniques))
            return np.where(pos >= 0, total[np.maximum(pos, 0)], 0.0) if len(total) else np.zeros(len(pos))

        sums = pd.DataFrame({"population": per_community(pop)}, index=ids.to_numpy())
        for cat in self.categories:
            sums[cat] = per_community(self.covered[cat].to_numpy() * pop)
        sums["_complete"] = per_community(self.complete.to_numpy() * pop)
        population = sums["population"].fillna(0.0)
        out = pd.DataFrame(index=pd.Index(ids.to_numpy(), name="community_id"))
        out["population"] = population.to_numpy()
        out["kind"] = ids.map(community_kinds(communities)).to_numpy()
        out["circle_minutes"] = np.where(out["kind"] == "rural", self.rural_circle_minutes,
                                         self.urban_circle_minutes)
        for cat in self.categories:
            out[columns.coverage_pct(cat)] = _pct(sums[cat].fillna(0.0).to_numpy(), population.to_numpy())
        if self.complete_categories:
            out["complete_circle_pct"] = _pct(sums["_complete"].fillna(0.0).to_numpy(),
                                              population.to_numpy())
        else:
            out["complete_circle_pct"] = np.nan
        return out


def _pct(part: object, whole: object) -> object:
    """Percentage, NaN where the whole is zero."""
    part_a = np.asarray(part, dtype=float)
    whole_a = np.asarray(whole, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(whole_a > 0, 100.0 * part_a / np.where(whole_a > 0, whole_a, 1.0), np.nan)
    if isinstance(part, pd.Series):
        return pd.Series(out, index=part.index)
    return out if out.ndim else float(out)


def resolve_categories(
    dataset: Dataset, categories: Iterable[str] | str | None = None
) -> list[str]:
    """Categories to analyse, in taxonomy order.

    Default: every category with at least one facility in the data. Unknown keys raise
    :class:`geo._errors.DataError`; known keys without facilities are kept (coverage 0 %).
    """
    fac = dataset.facilities
    present = set(fac["category"].dropna().astype(str).unique()) if len(fac) else set()
    if categories is None:
        wanted = present
    else:
        if isinstance(categories, str):
            categories = [c for c in categories.split(",")]
        wanted = {c.strip() for c in categories if c and c.strip()}
        unknown = sorted(wanted - set(CATEGORIES))
        if unknown:
            raise DataError(
                f"unknown facility categor{'y' if len(unknown) == 1 else 'ies'} {', '.join(unknown)}",
                fix=f"Use keys from geo.taxonomy: {', '.join(CATEGORIES)}",
            )
    unknown_in_data = sorted(present - set(CATEGORIES))
    if categories is None and unknown_in_data:
        raise DataError(
            f"facility categories not in the taxonomy: {', '.join(unknown_in_data)}",
            file=str(dataset.source) if dataset.source else None, layer="facilities",
            column="category", fix=f"Use keys from geo.taxonomy: {', '.join(CATEGORIES)}",
        )
    return [key for key in CATEGORIES if key in wanted]


class TravelMinutes(Protocol):
    """Minutes from demand points to the nearest facility of each category.

    Called by :func:`coverage` with the demand points' coordinates, travel modes and circle
    times; returns a ``(points, categories)`` float array, ``inf`` where no facility is reached
    (or none within ``limit_minutes``).
    """

    def __call__(self, dataset: Dataset, settings: Settings, categories: Sequence[str], *, x: np.ndarray,
                 y: np.ndarray, mode: np.ndarray, circle_minutes: np.ndarray,
                 limit_minutes: float) -> np.ndarray: ...


def one_process_minutes(dataset: Dataset, settings: Settings, categories: Sequence[str], *, x: np.ndarray,
                        y: np.ndarray, mode: np.ndarray, circle_minutes: np.ndarray,
                        limit_minutes: float) -> np.ndarray:
    """:class:`TravelMinutes` in this process: per mode one snap, per category one search."""
    minutes = np.full((len(x), len(categories)), np.inf)
    by_category = facility_points_by_category(dataset)
    for mode_name in pd.unique(mode):
        rows = np.flatnonzero(mode == mode_name)
        model = TravelModel.for_mode(dataset.roads, str(mode_name), settings)
        node, access = model.snap(x[rows], y[rows])
        for j, cat in enumerate(categories):
            fx, fy = by_category.get(cat, (np.zeros(0), np.zeros(0)))
            if len(fx) == 0:
                continue
            if np.isfinite(limit_minutes):
                f_node, f_access = model.snap(fx, fy)
                node_minutes = model.node_minutes_to_nearest(f_node, f_access, limit_minutes=limit_minutes)
            else:
                # No limit: the same runs serve every circle time (kept on the model).
                node_minutes = model.nearest_minutes(fx, fy)
            minutes[rows, j] = points_minutes(node_minutes, node, access, limit_minutes=limit_minutes)
    return minutes


def coverage(
    dataset: Dataset,
    settings: Settings | None = None,
    *,
    categories: Sequence[str] | str | None = None,
    complete_categories: Sequence[str] | None = None,
    limit_minutes: float | None = None,
    travel_minutes: TravelMinutes | None = None,
) -> Coverage:
    """Minutes from every demand point to the nearest facility of each category.

    Parameters
    ----------
    dataset : geo.dataset.Dataset
    settings : Settings, optional
    categories : list of str, optional
        Default: every category with facilities in the data.
    complete_categories : list of str, optional
        Categories of the "complete circle"; default the essential categories
        (``geo.taxonomy.ESSENTIAL_CATEGORIES``) that are analysed and have facilities.
    limit_minutes : float, optional
        Stop searches at this time (faster; times beyond it become ``inf``). Default: no limit,
        so ``inf`` means unreachable over the network.
    travel_minutes : callable, optional
        Where the minutes come from (see :class:`TravelMinutes`); default
        :func:`one_process_minutes`. :mod:`planning.distributed` passes one that runs the
        network searches per partition on a Dask cluster.

    Returns
    -------
    Coverage
    """
    settings = settings or Settings()
    dataset = with_groups(dataset, settings)
    cats = resolve_categories(dataset, categories)
    x, y, population, community = demand_points(dataset)
    index = dataset.population.index

    kind_of = community_kinds(dataset.communities)
    # Map the few distinct community ids, not a million rows.
    codes, uniques = pd.factorize(community)
    rural_unique = np.array([kind_of.get(str(u)) == "rural" for u in uniques], dtype=bool)
    rural = np.zeros(len(codes), dtype=bool)
    rural[codes >= 0] = rural_unique[codes[codes >= 0]]
    kind = pd.Series(np.where(rural, "rural", OUTSIDE_KIND), index=index, dtype=object)
    circle = pd.Series(np.where(rural, settings.rural_circle_minutes, settings.urban_circle_minutes),
                       index=index, dtype=float)
    mode = pd.Series(np.where(rural, settings.rural_mode, settings.urban_mode), index=index, dtype=object)
    limit = np.inf if limit_minutes is None else float(limit_minutes)
    longest = float(circle.to_numpy().max(initial=0.0))
    if limit < longest:
        raise ValueError(f"limit_minutes ({limit}) must not be below the longest circle "
                         f"({longest} minutes).")

    by_category = facility_points_by_category(dataset)
    empty = (np.zeros(0), np.zeros(0))
    facilities = {cat: len(by_category.get(cat, empty)[0]) for cat in cats}
    minutes = (travel_minutes or one_process_minutes)(
        dataset, settings, cats, x=x, y=y, mode=mode.to_numpy(), circle_minutes=circle.to_numpy(),
        limit_minutes=limit)

    demand_minutes = pd.DataFrame(minutes, index=index, columns=pd.Index(cats, name="category"))
    covered = pd.DataFrame(minutes <= circle.to_numpy()[:, None] + EPS_MINUTES, index=index,
                           columns=demand_minutes.columns)
    if complete_categories is None:
        complete = [c for c in ESSENTIAL_CATEGORIES if c in cats and facilities.get(c, 0) > 0]
    else:
        complete = list(complete_categories)
        missing = [c for c in complete if c not in cats]
        if missing:
            raise ValueError(f"complete-circle categories not analysed: {', '.join(missing)}.")
    return Coverage(
        categories=cats,
        demand_minutes=demand_minutes,
        circle_minutes=circle,
        kind=kind,
        mode=mode,
        covered=covered,
        population=population,
        community_id=community,
        facilities=facilities,
        complete_categories=complete,
        urban_circle_minutes=float(settings.urban_circle_minutes),
        rural_circle_minutes=float(settings.rural_circle_minutes),
        target_groups=dict(settings.target_groups),
        group_counts=group_counts(dataset, population),
        group_factors={g: settings.group_minutes_factor(g) for g in COUNTED},
    )
