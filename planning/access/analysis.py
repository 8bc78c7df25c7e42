"""One call from a data set to coverage, indicators and service circles.

:func:`analyze` computes the minutes from every demand point to every analysed category, the
covered flags, the per-category and per-community summaries and the indicator table. Service
circles, rings and responsibility areas are drawn from the travel-time surfaces
(:mod:`planning.access.surface`) when first asked for (:attr:`Analysis.circles`), so the map
agrees with the counts.

Every category also counts its target group (residents aged 60+, children aged 0–6 or all
residents; :mod:`planning.access.groups`): ``target_group``, ``group_population``,
``covered_group_population`` and ``group_coverage_pct`` in :attr:`Analysis.category_summary`, group
coverage per community, the group columns of the demand layer and the ``uncovered_group`` layer.
The all-residents figures beside them stay those of every resident at the normal speed.

Examples
--------
>>> from geo.synthetic import synthetic_dataset
>>> result = analyze(synthetic_dataset(2_000))
>>> sorted(result.to_json())
['categories', 'communities', 'indicators', 'population']
>>> bool((result.category_summary["coverage_pct"] <= 100).all())
True
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.dataset import Dataset
from geo.taxonomy import CATEGORIES
from planning import columns
from planning._once import OnceCache
from planning.access.circles import buffer_circles, ring_polygons, service_circle
from planning.access.coverage import Coverage, coverage
from planning.access.demand import as_points, facility_points
from planning.access.e2sfca import Decay, E2SFCAResult, Supply, e2sfca
from planning.access.groups import COUNTED, data_notes, group_info, group_notes, with_groups
from planning.access.indicators import IndicatorResult, Targets, _Context, indicators, load_targets
from planning.access.responsibility import responsibility_areas
from planning.access.surface import Grid, TravelSurfaces, travel_surfaces
from planning.census import ATTRIBUTION
from planning.settings import Settings
from planning.texts import Note


class Analysis:
    """Coverage, indicators and (on demand) service circles of one data set.

    Attributes
    ----------
    dataset : geo.dataset.Dataset
    settings : Settings
    categories : list of str
    coverage : planning.access.coverage.Coverage
    targets : planning.access.indicators.Targets
    demand_minutes : pandas.DataFrame
        Minutes per demand point (index of the population layer) and category; ``inf`` unreachable.
    circle_minutes : pandas.Series
    covered : pandas.DataFrame
    category_summary : pandas.DataFrame
        Index category; facilities, population, covered_population, coverage_pct (every
        resident at the normal speed), then target_group, group_population,
        covered_group_population, group_coverage_pct (the category's group at its own speed;
        NaN where the group has no counts).
    community_table : pandas.DataFrame
        Index community_id; name, kind, population, households, circle_minutes,
        coverage_pct_<category>…, complete_circle_pct, elderly_population / children_population
        and group_coverage_pct_<category> (where groups have counts), floor_area_per_100_households,
        the community-level indicator values, e2sfca_<category>… (E2SFCA supply per 1,000
        residents in reach — of the category's target group where it has counts — see
        :attr:`e2sfca_supply`; computed when the table is first read), missed_targets ("; "-joined
        indicator names).
    e2sfca_supply : dict of str to str
        What the ``e2sfca_<category>`` column counts: ``floor_area_m2`` (m² of floor area),
        ``capacity`` (places) or ``count`` (facilities) per 1,000 residents.
    group_notes : list of Note
        Where the target groups come from, what the census calibrated (also in the data set's
        notes, so that every export and the report carry them).
    indicators : pandas.DataFrame
        name, name_zh, name_en, scope, value, target, unit, pass, communities_missing, note.
    """

    def __init__(self, dataset: Dataset, settings: Settings, cov: Coverage, result: IndicatorResult,
                 targets: Targets, group_notes: Sequence[Note] = ()) -> None:
        self.dataset = dataset
        self.settings = settings
        self.coverage = cov
        self.targets = targets
        self.group_notes: list[Note] = list(group_notes)
        self._facility_values = result.facilities
        self.categories: list[str] = list(cov.categories)
        self.demand_minutes: pd.DataFrame = cov.demand_minutes
        self.circle_minutes: pd.Series = cov.circle_minutes
        self.covered: pd.DataFrame = cov.covered
        self.category_summary: pd.DataFrame = cov.category_summary().join(cov.group_summary())
        self.indicators: pd.DataFrame = result.table
        # The E2SFCA columns need a search from every facility: added when first read, so that
        # a run that only prints the JSON or sites facilities does not wait for them.
        self._community_rows: pd.DataFrame = self._community_table(result)
        self._supply: OnceCache[tuple[pd.DataFrame, dict[str, str]]] = OnceCache()
        #: E2SFCA supply per 1,000 by category, each computed once (or handed on from the analysis
        #: this one was updated from, :mod:`planning.access.update`).
        self._supply_by_category: OnceCache[tuple[np.ndarray, str]] = OnceCache()
        #: The ``complete_categories`` asked of :func:`analyze` (``None``: the default rule).
        self.complete_requested: list[str] | None = None
        #: The what-if edits this analysis was made with (:mod:`planning.siting.edits`), if any.
        self.scenario_edits: gpd.GeoDataFrame | None = None
        # Filled on first use by page threads and the app's warm-up thread alike: each entry once.
        self._circle_rows: OnceCache[dict[str, Any]] = OnceCache()
        self._ring_rows: OnceCache[list[dict[str, Any]]] = OnceCache()
        self._responsibility: OnceCache[gpd.GeoDataFrame] = OnceCache()

    # ------------------------------------------------------------------ tables
    def _community_table(self, result: IndicatorResult) -> pd.DataFrame:
        com = self.dataset.communities
        base = self.coverage.by_community(com)
        ids = base.index
        out = pd.DataFrame(index=ids)
        out["name"] = com["name"].astype(str).to_numpy() if "name" in com.columns else ids.to_numpy()
        out["kind"] = base["kind"]
        out["population"] = base["population"]
        out["households"] = (pd.to_numeric(com["households"], errors="coerce").to_numpy(dtype=float)
                             if "households" in com.columns else np.nan)
        out["circle_minutes"] = base["circle_minutes"]
        for col in base.columns:
            if columns.is_measure(col, "coverage_pct"):
                out[col] = base[col]
        out["complete_circle_pct"] = base["complete_circle_pct"]
        groups = self.coverage.group_by_community(com)
        for col in groups.columns:
            out[col] = groups[col].to_numpy()
        out["floor_area_per_100_households"] = self._floor_area_per_100(out["households"])
        for col in result.communities.columns:
            if col not in out.columns:
                out[col] = result.communities[col].reindex(ids).to_numpy()
        out["missed_targets"] = [
            "; ".join(names) if isinstance(names, list) else "" for names in result.missed.reindex(ids)
        ]
        return out

    @property
    def community_table(self) -> pd.DataFrame:
        """One row per community (see the class docstring)."""
        return self._with_supply()[0]

    @property
    def e2sfca_supply(self) -> dict[str, str]:
        """Supply counted by each ``e2sfca_<category>`` column (see the class docstring)."""
        return self._with_supply()[1]

    def community_rows(self, categories: Sequence[str] = ()) -> pd.DataFrame:
        """The community rows with the E2SFCA columns of ``categories`` only.

        On a city's network the supply of every category takes tens of seconds; a map of one
        category needs only that category's column. Same columns and order as
        :attr:`community_table` otherwise.
        """
        table = self._community_rows.copy()
        at = table.columns.get_loc("missed_targets")
        for cat in (c for c in self.categories if c in set(categories)):
            table.insert(at, columns.e2sfca(cat), self.supply_per_1000(cat)[0])
            at += 1
        return table

    def supply_per_1000(self, category: str) -> tuple[np.ndarray, str]:
        """E2SFCA supply per 1,000 residents of one category per community row, and what it counts.

        :func:`planning.access.e2sfca.e2sfca` gives supply per resident (its community value is
        the population-weighted mean); a planner reads it per 1,000 residents. Computed once.
        """
        self._check(category)

        def build() -> tuple[np.ndarray, str]:
            result = self.accessibility(category)
            per_1000 = 1000.0 * result.communities["accessibility"].reindex(self._community_rows.index)
            return per_1000.to_numpy(dtype=float), result.supply

        return self._supply_by_category.get(category, build)

    def supply_ready(self, category: str) -> bool:
        """Whether :meth:`supply_per_1000` of ``category`` is already computed."""
        return category in self._supply_by_category

    def _with_supply(self) -> tuple[pd.DataFrame, dict[str, str]]:
        """The community rows with E2SFCA supply per 1,000 residents of every category."""
        def build() -> tuple[pd.DataFrame, dict[str, str]]:
            return (self.community_rows(self.categories),
                    {cat: self.supply_per_1000(cat)[1] for cat in self.categories})

        return self._supply.get("all", build)

    def _floor_area_per_100(self, households: pd.Series) -> np.ndarray:
        ctx = _Context(self.dataset, self.coverage)
        if not ctx.has_category("community_service_center") or households.isna().all():
            return np.full(len(households), np.nan)
        area, _ = ctx.area_in(["community_service_center"])
        h = households.to_numpy(dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(h > 0, 100.0 * area.reindex(households.index).to_numpy() / np.where(h > 0, h, 1), np.nan)

    @property
    def total_population(self) -> float:
        return float(self.coverage.population.sum())

    # ------------------------------------------------------------------ circles
    @property
    def surfaces(self) -> TravelSurfaces:
        """The travel-time surfaces of the data set (grid, cell snapping, per-node minutes).

        Shared by every analysis of the data set with the same travel settings.
        """
        return travel_surfaces(self.dataset, self.settings)

    def surface(self, category: str) -> tuple[np.ndarray, Grid]:
        """Minutes a resident needs from every cell of the study area to ``category``.

        A float32 raster (NaN outside the study area, ``inf`` unreachable) and its grid.
        """
        self._check(category)
        return self.surfaces.minutes(category), self.surfaces.grid

    def buffer_circle(self, category: str) -> gpd.GeoDataFrame:
        """Straight-line comparison circles of one category (radius = circle time × speed)."""
        fx, fy = facility_points(self.dataset, category)
        frames = []
        for kind in self._kinds():
            mode = self.settings.mode_for(kind)
            speed = self.settings.walk_speed() if mode == "car" else self.settings.speed_m_per_min(mode)
            gdf = buffer_circles(fx, fy, minutes=self.settings.circle_minutes(kind), speed_m_per_min=speed,
                                 crs=self.dataset.crs)
            gdf.insert(0, "kind", kind)
            gdf.insert(0, "category", category)
            frames.append(gdf)
        return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=self.dataset.crs)

    def _kinds(self) -> list[str]:
        kinds = set(self.coverage.kind.unique()) if len(self.coverage.kind) else {"urban"}
        return [k for k in ("urban", "rural") if k in kinds] or ["urban"]

    @property
    def circles(self) -> gpd.GeoDataFrame:
        """One merged network service-circle polygon per analysed category (metric CRS).

        Drawn on first use and kept; see :meth:`circles_for`.
        """
        return self.circles_for(self.categories)

    def circles_for(self, categories: Sequence[str]) -> gpd.GeoDataFrame:
        """Merged network service circles of some categories (each drawn once, then kept).

        Each cell of the travel-time surface is inside when its resident reaches a facility
        within the circle of their own community (urban time and mode, rural ones in rural
        communities), so a demand point is inside exactly when it is counted as covered, up to
        the cell size. Columns: category, name_zh, name_en, facilities, urban_minutes,
        rural_minutes, geometry.
        """
        rows = []
        for cat in categories:
            if cat not in self.categories:
                raise ValueError(f"Category {cat!r} was not analysed; analysed: {', '.join(self.categories)}.")
            rows.append(self._circle_rows.get(cat, lambda cat=cat: self._merged_circle(cat)))
        if not rows:
            return gpd.GeoDataFrame({"category": []}, geometry=gpd.GeoSeries([], crs=self.dataset.crs),
                                    crs=self.dataset.crs)
        return gpd.GeoDataFrame(rows, geometry="geometry", crs=self.dataset.crs)

    def _merged_circle(self, category: str) -> dict[str, Any]:
        minutes = {kind: self.settings.circle_minutes(kind) for kind in ("urban", "rural")}
        return {**self._category_columns(category),
                "facilities": int(self.category_summary.loc[category, "facilities"]),
                "urban_minutes": float(self.settings.urban_circle_minutes),
                "rural_minutes": float(self.settings.rural_circle_minutes),
                "geometry": service_circle(self.surfaces, category, minutes)}

    def rings_for(self, categories: Sequence[str]) -> gpd.GeoDataFrame:
        """Travel-time rings of some categories (each drawn once, then kept).

        Bands of the surface between the ring times (``Settings.urban_ring_minutes`` in urban
        communities, ``rural_ring_minutes`` in rural ones): ring 1 holds the places within the
        first time, ring 2 those reached after it and within the second, and so on. Columns:
        category, name_zh, name_en, ring, urban_minutes, rural_minutes (the ring's upper times),
        geometry.
        """
        rows: list[dict[str, Any]] = []
        urban, rural = self.settings.urban_ring_minutes, self.settings.rural_ring_minutes
        for cat in categories:
            self._check(cat)

            def build(cat: str = cat) -> list[dict[str, Any]]:
                bands = self.surfaces.cached(("rings", cat, urban, rural), lambda: ring_polygons(
                    self.surfaces, cat, {"urban": urban, "rural": rural}))
                return [{**self._category_columns(cat), "ring": i + 1,
                         "urban_minutes": float(urban[i]) if i < len(urban) else np.nan,
                         "rural_minutes": float(rural[i]) if i < len(rural) else np.nan, "geometry": geom}
                        for i, geom in enumerate(bands)]

            rows.extend(self._ring_rows.get((cat, urban, rural), build))
        return self._frame(rows)

    def responsibility_for(self, categories: Sequence[str]) -> gpd.GeoDataFrame:
        """Responsibility areas of some categories: each facility's area and residents.

        A resident belongs to the facility of the category they reach first over the network
        (see :func:`planning.access.responsibility.responsibility_areas` for the columns).
        """
        frames = []
        for cat in categories:
            self._check(cat)
            frames.append(self._responsibility.get(
                cat, lambda cat=cat: responsibility_areas(self.surfaces, self.coverage, cat)))
        if not frames:
            return self._frame([])
        return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=self.dataset.crs)

    def _check(self, category: str) -> None:
        if category not in self.categories:
            raise ValueError(f"Category {category!r} was not analysed; analysed: {', '.join(self.categories)}.")

    @staticmethod
    def _category_columns(category: str) -> dict[str, Any]:
        info = CATEGORIES.get(category)
        return {"category": category, "name_zh": info.zh if info else category,
                "name_en": info.en if info else category}

    def _frame(self, rows: list[dict[str, Any]]) -> gpd.GeoDataFrame:
        if not rows:
            return gpd.GeoDataFrame({"category": []}, geometry=gpd.GeoSeries([], crs=self.dataset.crs),
                                    crs=self.dataset.crs)
        return gpd.GeoDataFrame(rows, geometry="geometry", crs=self.dataset.crs)

    # ------------------------------------------------------------------ accessibility
    def accessibility(self, category: str, *, supply: Supply = "auto", decay: Decay = "gaussian") -> E2SFCAResult:
        """E2SFCA supply per resident of one category (see :mod:`planning.access.e2sfca`)."""
        return e2sfca(self.dataset, self.settings, category=category, coverage=self.coverage,
                      supply=supply, decay=decay)

    # ------------------------------------------------------------------ output
    def group_source(self, category: str) -> Note:
        """Where the counts of a category's target group come from (a note, in English as text)."""
        cov = self.coverage
        group = cov.group_of(category)
        if group == "all":
            return Note("all residents of the population layer")
        info = group_info(self.dataset)
        if group in cov.group_counts and info is not None and group in info.sources:
            return info.sources[group]
        return Note.of(f"groups.{group}_missing", categories=category)

    def to_json(self, *, groups: bool = False) -> dict[str, Any]:
        """The JSON object of ``python -m planning analyze --json`` (NaN/inf → null).

        ``groups`` (as the command does) adds to each category its ``target_group``,
        ``group_population``, ``covered_group_population`` (the group at its own speed),
        ``group_coverage_pct`` and ``group_source``, and a ``census`` object when census figures
        were used; the all-residents figures are the same either way.
        """
        summary = self.category_summary
        categories = {
            cat: {
                "covered_population": _int(summary.loc[cat, "covered_population"]),
                "coverage_pct": _num(summary.loc[cat, "coverage_pct"]),
                "facilities": _int(summary.loc[cat, "facilities"]),
            }
            for cat in self.categories
        }
        if groups:
            for cat in self.categories:
                categories[cat].update({
                    "target_group": str(summary.loc[cat, "target_group"]),
                    "group_population": _int(summary.loc[cat, "group_population"]),
                    "covered_group_population": _int(summary.loc[cat, "covered_group_population"]),
                    "group_coverage_pct": _num(summary.loc[cat, "group_coverage_pct"]),
                    "group_source": str(self.group_source(cat)),
                })
        table = self._community_rows
        communities = [
            {
                "community_id": str(cid),
                "kind": str(row["kind"]),
                "population": _int(row["population"]),
                "coverage_pct": {cat: _num(row[columns.coverage_pct(cat)]) for cat in self.categories},
            }
            for cid, row in table.iterrows()
        ]
        indicators_out = [
            {"name": str(r["name"]), "value": _num(r["value"]), "target": _num(r["target"]),
             "pass": None if r["pass"] is None or (isinstance(r["pass"], float) and math.isnan(r["pass"]))
             else bool(r["pass"])}
            for r in self.indicators.to_dict("records")
        ]
        out = {"population": _int(self.total_population), "categories": categories,
               "communities": communities, "indicators": indicators_out}
        info = group_info(self.dataset)
        if groups and info is not None and info.county is not None:
            c = info.county
            out["census"] = {"code": c.code, "name": c.name, "residents": c.residents,
                             "household_size": c.household_size, "share_60_plus": c.share_60_plus,
                             "share_0_6": c.share_0_6, "population_factor": info.population_factor,
                             "households_estimated": info.households_estimated,
                             "attribution": ATTRIBUTION}
        return out

    def layers(self, *, circles: bool = True, rings: bool | None = None,
               responsibility: bool | None = None) -> dict[str, gpd.GeoDataFrame]:
        """Layers for export: communities, facilities, demand, uncovered, circles, rings and
        responsibility areas (the last three drawn from the surfaces; ``rings`` and
        ``responsibility`` follow ``circles`` unless given: on a city's network each of them
        takes a minute or more for every category).

        Minutes are null where the facility is unreachable over the network (``covered`` is
        then false); formats such as Shapefile cannot store infinity.
        """
        crs = self.dataset.crs
        com = self.dataset.communities
        table = self.community_table.drop(columns=[c for c in ("name", "kind", "population", "households")
                                                   if c in com.columns])
        communities = com.merge(table, left_on=com["community_id"].astype(str), right_index=True,
                                how="left")
        communities = communities.drop(columns=[c for c in communities.columns if c == "key_0"])
        communities["population_analysed"] = self.community_table["population"].reindex(
            com["community_id"].astype(str)).to_numpy()
        facilities = self.dataset.facilities.copy()
        if len(facilities):
            facilities["category_zh"] = facilities["category"].map(
                lambda c: CATEGORIES[c].zh if c in CATEGORIES else c)
        for col in self._facility_values.columns:
            facilities[col] = self._facility_values[col].reindex(facilities.index).to_numpy()
        demand = self._demand_layer()
        out = {"communities": gpd.GeoDataFrame(communities, geometry=com.geometry.name, crs=crs),
               "facilities": gpd.GeoDataFrame(facilities, crs=crs),
               "demand": demand,
               "uncovered": self._uncovered_layer(demand)}
        grouped = self._uncovered_group_layer(demand)
        if grouped is not None:
            out["uncovered_group"] = grouped
        if circles:
            out["circles"] = self.circles
        if circles if rings is None else rings:
            out["rings"] = self.rings_for(self.categories)
        if circles if responsibility is None else responsibility:
            out["responsibility_areas"] = self.responsibility_for(self.categories)
        return out

    def _demand_layer(self) -> gpd.GeoDataFrame:
        pop = self.dataset.population
        geoms = as_points(pop.geometry)
        cov = self.coverage
        data: dict[str, Any] = {
            "population": cov.population.to_numpy(),
            "community_id": cov.community_id.to_numpy(),
            "kind": cov.kind.to_numpy(),
            "circle_minutes": cov.circle_minutes.to_numpy(),
        }
        for cat in self.categories:
            minutes = cov.demand_minutes[cat].to_numpy()
            data[columns.minutes(cat)] = np.where(np.isfinite(minutes), minutes, np.nan)
            data[columns.covered(cat)] = cov.covered[cat].to_numpy()
        data["complete_circle"] = cov.complete.to_numpy()
        for group in COUNTED:
            if group in cov.group_counts:
                data[group] = cov.group_counts[group].to_numpy()
        for cat in self._group_categories():
            minutes = cov.group_minutes(cat).to_numpy()
            data[columns.group_minutes(cat)] = np.where(np.isfinite(minutes), minutes, np.nan)
            data[columns.group_covered(cat)] = cov.group_covered(cat).to_numpy()
        return gpd.GeoDataFrame(data, geometry=geoms.to_numpy(), crs=self.dataset.crs, index=pop.index)

    def _group_categories(self) -> list[str]:
        """Analysed categories whose target group is counted apart from all residents."""
        return [c for c in self.categories if self.coverage.counted_group(c) != "all"]

    def _uncovered_group_layer(self, demand: gpd.GeoDataFrame) -> gpd.GeoDataFrame | None:
        """Each category's target group outside its circle (at its own speed), where it has counts."""
        cats = self._group_categories()
        if not cats:
            return None
        frames = []
        for cat in cats:
            weight = self.coverage.group_weight(cat).to_numpy(dtype=float)
            miss = ~self.coverage.group_covered(cat).to_numpy(dtype=bool) & (weight > 0)
            part = demand.loc[miss, ["population", "community_id", "kind", "circle_minutes",
                                     columns.group_minutes(cat), demand.geometry.name]]
            part = part.rename(columns={columns.group_minutes(cat): "minutes"})
            part.insert(0, "group_population", weight[miss])
            part.insert(0, "target_group", self.coverage.counted_group(cat))
            part.insert(0, "category", cat)
            frames.append(part)
        return gpd.GeoDataFrame(pd.concat(frames), crs=self.dataset.crs)

    def _uncovered_layer(self, demand: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        frames = []
        for cat in self.categories:
            miss = ~self.coverage.covered[cat].to_numpy()
            part = demand.loc[miss, ["population", "community_id", "kind", "circle_minutes",
                                     columns.minutes(cat), demand.geometry.name]]
            part = part.rename(columns={columns.minutes(cat): "minutes"})
            part.insert(0, "category", cat)
            frames.append(part)
        if not frames:
            return gpd.GeoDataFrame({"category": []}, geometry=gpd.GeoSeries([], crs=self.dataset.crs),
                                    crs=self.dataset.crs)
        return gpd.GeoDataFrame(pd.concat(frames), crs=self.dataset.crs)


def _num(value: Any) -> float | None:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _int(value: Any) -> int | None:
    f = _num(value)
    return None if f is None else int(round(f))


def analyze(
    dataset: Dataset,
    settings: Settings | None = None,
    *,
    categories: Sequence[str] | str | None = None,
    targets: Targets | str | Path | None = None,
    complete_categories: Sequence[str] | None = None,
) -> Analysis:
    """Coverage, summaries and indicators of a data set.

    Parameters
    ----------
    dataset : geo.dataset.Dataset
    settings : Settings, optional
        DESIGN.md defaults when omitted.
    categories : list of str, optional
        Default: every category with facilities in the data.
    targets : Targets, name or path, optional
        Default: the data set's ``targets`` (dataset.toml), else ``national_baseline``.
    complete_categories : list of str, optional
        Categories of the "complete circle"; default the essential categories in the data.

    Returns
    -------
    Analysis
    """
    settings = settings or Settings()
    if targets is None:
        targets = dataset.meta.get("targets") or None
    target_set = targets if isinstance(targets, Targets) else load_targets(targets)
    # The groups counted and the census calibration applied once, for every stage and output.
    prepared = with_groups(dataset, settings)
    cov = coverage(prepared, settings, categories=categories, complete_categories=complete_categories)
    notes = group_notes(group_info(prepared), settings, cov.categories,
                        {g: g in cov.group_counts for g in COUNTED})
    if notes:
        # Data-set notes reach every export and the report as they are.
        prepared = dataclasses.replace(prepared, notes=[*prepared.notes, *data_notes(notes)])
    result = indicators(prepared, cov, target_set)
    out = Analysis(prepared, settings, cov, result, target_set, group_notes=notes)
    out.complete_requested = None if complete_categories is None else list(complete_categories)
    return out
