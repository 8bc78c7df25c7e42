"""Who each service is for: the target groups of the categories, their counts and the census.

Elderly care and meal aid serve residents aged 60 and over, childcare children aged 0–6, every
other category all residents (the table ``planning/target_groups.toml``, ``Settings.target_groups``).
Coverage, indicators, siting weights and E2SFCA count each category's group; the elderly walk
at the elderly speed to the categories that serve them (``Settings.elderly_group_speed``).

Where the counts come from, per group, in this order:

1. the population layer's column ``elderly`` / ``children`` (or a Chinese name such as
   60岁以上人口 / 0-6岁人口, read by the loader), residents of the group at each demand point;
2. otherwise the 2020 census share of the county ``Settings.census_code`` (or ``census_code``
   in dataset.toml; :mod:`planning.census`) times the residents of each demand point;
3. otherwise there are no counts: the group's categories count all residents at the normal
   speed, and every output says so.

The census also gives the households of communities that have none (residents / the county's
average household size) and, when the study area is the whole county
(``Settings.census_whole_county``), the factor that scales the population to the census total.
:func:`with_groups` applies all of this to a data set once; every output notes it.

Examples
--------
>>> GROUPS["elderly"].zh, GROUPS["children"].en
('60岁以上老年人', 'children aged 0–6')
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from geo._errors import DataError
from geo.dataset import Dataset
from geo.taxonomy import CATEGORIES
from planning import census
from planning.access.demand import as_points, locate
from planning.settings import Settings
from planning.texts import Note, note_text


@dataclass(frozen=True)
class Group:
    """A target group: its key, labels, and the population-layer column that counts it."""

    key: str
    zh: str
    en: str
    column: str | None


GROUPS: dict[str, Group] = {
    "all": Group("all", "全体常住人口", "all residents", None),
    "elderly": Group("elderly", "60岁以上老年人", "residents aged 60+", "elderly"),
    "children": Group("children", "0-6岁儿童", "children aged 0–6", "children"),
}
#: Groups counted apart from the residents (they have a column and census shares).
COUNTED: tuple[str, ...] = ("elderly", "children")
_META_KEY = "groups"


@dataclass(frozen=True)
class GroupInfo:
    """What :func:`with_groups` found and did (kept in ``dataset.meta["groups"]``).

    Attributes
    ----------
    key : tuple
        The census code and whole-county flag it was prepared for.
    sources : dict of str to Note
        Per counted group with counts: where they come from.
    county : planning.census.County or None
    population_factor : float or None
        Factor applied to the population (whole county), else None.
    households_estimated : int
        Communities whose households come from the census household size.
    shares : dict of str to float
        Census share of each group that the population layer does not count itself.
    """

    key: tuple[Any, ...]
    sources: dict[str, Note]
    county: census.County | None = None
    population_factor: float | None = None
    households_estimated: int = 0
    shares: dict[str, float] = dataclasses.field(default_factory=dict)

    def notes(self) -> list[Note]:
        """The census notes (scaling, households); group sources come per category."""
        out: list[Note] = []
        c = self.county
        if c is not None and self.population_factor is not None:
            out.append(Note.of("census.scaled", factor=self.population_factor, county=c.name, code=c.code,
                               residents=c.residents))
        if c is not None and self.households_estimated:
            out.append(Note.of("census.households", n=self.households_estimated, county=c.name, code=c.code,
                               size=c.household_size))
        return out


def census_code(dataset: Dataset, settings: Settings) -> str | None:
    """County code of the census to use: the setting, else the data set's ``census_code``."""
    code = settings.census_code or (dataset.meta or {}).get("census_code")
    return None if code in (None, "") else str(code).strip()


def whole_county(dataset: Dataset, settings: Settings) -> bool:
    """Whether the study area is the whole county: the setting, or ``census_whole_county`` in dataset.toml."""
    return bool(settings.census_whole_county or (dataset.meta or {}).get("census_whole_county"))


def group_info(dataset: Dataset) -> GroupInfo | None:
    """What :func:`with_groups` did to this data set (None when it was not applied)."""
    info = (dataset.meta or {}).get(_META_KEY)
    return info if isinstance(info, GroupInfo) else None


def _group_column(layer: pd.DataFrame, column: str, population: pd.Series, *, where: str | None) -> pd.Series:
    values = pd.to_numeric(layer[column], errors="coerce").astype(float)
    bad = values.isna() | (values < 0)
    if bad.any():
        raise DataError(f"{int(bad.sum())} point(s) have no valid {column} count", file=where, layer="population",
                        column=column, fix="Give a number ≥ 0 for every point, or remove the column")
    over = values > population + 1e-6
    if over.any():
        raise DataError(f"{int(over.sum())} point(s) have more {column} residents than residents", file=where,
                        layer="population", column=column,
                        fix="Correct the counts; a group cannot exceed the population of its point")
    return values


def with_groups(dataset: Dataset, settings: Settings) -> Dataset:
    """The data set with its target groups counted and the census calibration applied.

    Returns a copy (the layers it does not change are shared) whose population is scaled to the census total when the study
    area is the whole county (:func:`whole_county`), whose communities without households have them from the
    census household size, whose attribution names the census when it was used, and whose
    ``meta["groups"]`` is the :class:`GroupInfo` (with the census shares that
    :func:`group_counts` applies to each demand point where the layer has no ``elderly`` /
    ``children`` column). A data set already prepared for the same census settings is returned as
    it is.

    Raises
    ------
    geo._errors.DataError
        An unknown county code, a whole-county calibration without a code, or group counts
        that are not numbers between 0 and the residents of their point.
    """
    code = census_code(dataset, settings)
    whole = whole_county(dataset, settings)
    key = (code, whole)
    info = group_info(dataset)
    if info is not None and info.key == key:
        return dataset
    where = str(dataset.source) if dataset.source else None
    county = census.county(code) if code else None
    if whole and county is None:
        raise DataError("the study area is to be scaled to a county's census total, but no county is given",
                        file=where, fix="Give the county code (--census CODE or census_code in dataset.toml)")
    layer = dataset.population
    population = pd.to_numeric(layer["population"], errors="coerce").astype(float)
    factor = None
    if whole and county is not None:
        total = float(population.sum())
        factor = float(county.residents) / total if total > 0 else None
    changes: dict[str, pd.Series] = {}
    sources: dict[str, Note] = {}
    shares: dict[str, float] = {}
    for key_name in COUNTED:
        if key_name in layer.columns:
            values = _group_column(layer, key_name, population, where=where)
            if factor is not None or layer[key_name].dtype != values.dtype:
                # Counts as given need no copy of the layer; only scaled or converted ones do.
                changes[key_name] = values * factor if factor is not None else values
            sources[key_name] = Note.of(f"groups.{key_name}_column", column=key_name)
        elif county is not None and county.share(key_name) is not None:
            # Applied to each demand point by group_counts (no copy of the layer needed).
            share = float(county.share(key_name) or 0.0)
            shares[key_name] = share
            sources[key_name] = Note.of(f"groups.{key_name}_census", share_pct=100.0 * share, county=county.name,
                                        code=county.code)
    if factor is not None:
        changes["population"] = population * factor
    new_population = layer.assign(**changes) if changes else layer
    communities, estimated = _households(dataset.communities, new_population, county)
    attribution = list(dataset.attribution or [])
    if county is not None and census.ATTRIBUTION not in attribution:
        attribution.append(census.ATTRIBUTION)
    meta = dict(dataset.meta or {})
    meta[_META_KEY] = GroupInfo(key=key, sources=sources, county=county, population_factor=factor,
                                households_estimated=estimated, shares=shares)
    return dataclasses.replace(dataset, population=new_population, communities=communities,
                               attribution=attribution, meta=meta)


def group_counts(dataset: Dataset, population: pd.Series) -> dict[str, pd.Series]:
    """Residents of each counted group at each demand point of a prepared data set.

    The population layer's own ``elderly``/``children`` columns, else its residents times the
    census share (:func:`with_groups`); groups with neither are left out.
    """
    info = group_info(dataset)
    out: dict[str, pd.Series] = {}
    for key_name in COUNTED:
        if key_name in dataset.population.columns:
            out[key_name] = dataset.population[key_name].astype(float)
        elif info is not None and key_name in info.shares:
            out[key_name] = population * info.shares[key_name]
    return out


def _households(communities: pd.DataFrame, population: pd.DataFrame,
                county: census.County | None) -> tuple[Any, int]:
    """Communities with the census household size filling missing households (and how many)."""
    if county is None or county.household_size is None or len(communities) == 0:
        return communities, 0
    given = (pd.to_numeric(communities["households"], errors="coerce").astype(float)
             if "households" in communities.columns else pd.Series(np.nan, index=communities.index))
    missing = given.isna()
    if not missing.any():
        return communities, 0
    located = (population["community_id"] if "community_id" in population.columns
               else locate(as_points(population.geometry), communities))
    residents = population["population"].groupby(located.astype("string").to_numpy()).sum()
    ids = communities["community_id"].astype(str)
    estimate = ids.map(residents).fillna(0.0).astype(float).to_numpy() / float(county.household_size)
    filled = given.where(~missing, pd.Series(estimate, index=communities.index))
    return communities.assign(households=filled.to_numpy()), int(missing.sum())


def group_notes(info: GroupInfo | None, settings: Settings, categories: Sequence[str],
                counted: Mapping[str, bool]) -> list[Note]:
    """Notes on the target groups of the analysed categories: sources, missing counts, speed."""
    out: list[Note] = []
    for key_name in COUNTED:
        cats = [c for c in categories if settings.group_of(c) == key_name]
        if not cats:
            continue
        names = ", ".join(cats)
        if counted.get(key_name) and info is not None and key_name in info.sources:
            out.append(info.sources[key_name])
            if key_name == "elderly" and settings.group_minutes_factor("elderly") != 1.0:
                out.append(Note.of("groups.elderly_speed", speed=settings.group_walk_speed("elderly"),
                                   categories=names))
        else:
            out.append(Note.of(f"groups.{key_name}_missing", categories=names))
    if info is not None:
        out.extend(info.notes())
    return out


def data_notes(notes: Sequence[Note]) -> list[str]:
    """Notes as the data-set notes carry them: each in Chinese, then in English."""
    return [text for note in notes for text in (note_text(note, "zh"), note_text(note, "en"))]


def group_label(group: str, lang: str = "zh") -> str:
    """Label of a target group in ``lang``."""
    g = GROUPS.get(group)
    return (g.zh if lang == "zh" else g.en) if g else group


def category_group_label(category: str, group: str, lang: str = "zh") -> str:
    """"养老服务站：60岁以上老年人" — a category with the group it serves."""
    cat = CATEGORIES.get(category)
    name = (cat.zh if lang == "zh" else cat.en) if cat else category
    return f"{name}{'：' if lang == 'zh' else ': '}{group_label(group, lang)}"
