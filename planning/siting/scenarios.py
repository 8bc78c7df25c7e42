"""Named sets of new sites: save, load and compare planning scenarios.

A scenario is a GeoPackage with four layers: ``sites`` (the new sites, points in the data set's
metric CRS), ``scenario`` (one row: name, category, model, settings as JSON, created time in UTC,
the siting results as JSON), and the coverage the scenario gives, ``coverage_by_category`` and
``coverage_by_community`` (share of residents inside their circle, without and with the new
sites, for every analysed category). Saving writes a new file and then moves it over the old
one, so an interrupted save never destroys the previous scenario.

Two scenarios are compared side by side from their stored coverage, or, given the data set, by
adding each one's sites to the facilities of its category and recomputing coverage.

Examples
--------
>>> save_scenario("plan_a.gpkg", analysis, result, name="方案一")     # doctest: +SKIP
>>> cmp = compare_scenarios(load_scenario("plan_a.gpkg"), load_scenario("plan_b.gpkg"))  # doctest: +SKIP
>>> cmp.categories, cmp.communities                                    # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from geo._errors import DataError
from geo.dataset import Dataset
from geo.taxonomy import CATEGORIES
from planning.output.files import write_geopackage
from planning.settings import Settings

SITES_LAYER = "sites"
META_LAYER = "scenario"
CATEGORY_LAYER = "coverage_by_category"
COMMUNITY_LAYER = "coverage_by_community"
OUTSIDE = "(outside communities)"


@dataclass
class Scenario:
    """A named set of new sites for one category.

    Attributes
    ----------
    name : str
    category : str
        Taxonomy key of the new facilities.
    model : str
        Siting model that proposed them ("mclp", "lscp", "pmedian", or "manual").
    sites : geopandas.GeoDataFrame
        candidate_id, name and the ranking columns; points.
    settings : dict
        The :class:`planning.settings.Settings` values the sites were chosen with.
    created : str
        ISO 8601 time in UTC.
    results : dict
        What the siting reported (``SitingResult.to_json()``), kept for the record.
    categories : pandas.DataFrame
        Index category; population, baseline_pct, pct (residents inside their circle without
        and with the new sites). Empty when made without an analysis.
    communities : pandas.DataFrame
        Index community_id; name, population, then ``<category>_baseline_pct`` and
        ``<category>_pct`` for every category.
    """

    name: str
    category: str
    model: str
    sites: gpd.GeoDataFrame
    settings: dict[str, Any] = field(default_factory=dict)
    created: str = ""
    results: dict[str, Any] = field(default_factory=dict)
    categories: pd.DataFrame = field(default_factory=pd.DataFrame)
    communities: pd.DataFrame = field(default_factory=pd.DataFrame)


@dataclass
class Comparison:
    """Two scenarios side by side.

    Attributes
    ----------
    categories : pandas.DataFrame
        Index category; population, baseline_pct, ``<a>_pct``, ``<b>_pct`` (share of residents
        inside their circle) and the new sites of each scenario.
    communities : pandas.DataFrame
        Index community_id; name, population, then baseline / a / b percentage per category.
    """

    a: str
    b: str
    categories: pd.DataFrame
    communities: pd.DataFrame


def settings_dict(settings: Settings) -> dict[str, Any]:
    """Settings as plain JSON-ready values."""
    out = {}
    for f in dataclasses.fields(settings):
        value = getattr(settings, f.name)
        out[f.name] = dict(value) if f.name == "car_speeds_km_per_h" else value
    return out


def coverage_tables(
    dataset: Dataset,
    covered: pd.DataFrame,
    population: pd.Series,
    community_id: pd.Series,
    after: dict[str, np.ndarray],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per category and per community: % of residents inside their circle, before and after.

    ``covered`` holds the shares (0–1) per demand point and category without new sites; ``after``
    replaces some categories' shares with those after new sites.
    """
    cats = list(covered.columns)
    pop = np.asarray(population, dtype=float)
    before = covered.to_numpy(dtype=float)
    later = before.copy()
    for cat, share in after.items():
        later[:, cats.index(cat)] = np.asarray(share, dtype=float)
    total = pop.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        per_cat = pd.DataFrame({
            "population": total,
            "baseline_pct": 100.0 * (pop[:, None] * before).sum(axis=0) / total,
            "pct": 100.0 * (pop[:, None] * later).sum(axis=0) / total,
        }, index=pd.Index(cats, name="category"))
    ids = pd.Series(community_id).astype(object).where(pd.Series(community_id).notna(), OUTSIDE)
    frame = pd.DataFrame(np.column_stack([pop[:, None] * before, pop[:, None] * later, pop]),
                         columns=[f"{c}_baseline" for c in cats] + [f"{c}_after" for c in cats] + ["population"])
    frame["community_id"] = ids.astype(str).to_numpy()
    sums = frame.groupby("community_id", sort=True).sum()
    names = dict(zip(dataset.communities["community_id"].astype(str), dataset.communities["name"])) \
        if len(dataset.communities) else {}
    out = pd.DataFrame({"name": [str(names.get(i, i)) for i in sums.index], "population": sums["population"]},
                       index=pd.Index(sums.index, name="community_id"))
    denom = sums["population"].where(sums["population"] > 0)
    for c in cats:
        out[f"{c}_baseline_pct"] = 100.0 * sums[f"{c}_baseline"] / denom
        out[f"{c}_pct"] = 100.0 * sums[f"{c}_after"] / denom
    return per_cat, out


def scenario_from_result(
    result: Any, *, name: str, analysis: Any | None = None, settings: Settings | None = None,
) -> Scenario:
    """A scenario holding the sites of a :class:`planning.siting.SitingResult`.

    With the ``analysis`` the sites were chosen from, the scenario also stores the coverage it
    gives for every analysed category (what :func:`compare_scenarios` shows).
    """
    if not str(name).strip():
        raise DataError("a scenario needs a name", fix="give the scenario a short name such as 方案一")
    settings = settings or getattr(analysis, "settings", None)
    categories, communities = pd.DataFrame(), pd.DataFrame()
    if analysis is not None:
        cov = analysis.coverage
        covered = analysis.covered.copy()
        if result.category not in covered.columns:
            covered[result.category] = False  # no existing facility of it was analysed
        after = result.demand_covered_after.reindex(covered.index).fillna(0.0).to_numpy()
        categories, communities = coverage_tables(analysis.dataset, covered, cov.population, cov.community_id,
                                                  {result.category: after})
    return Scenario(
        name=str(name).strip(),
        category=result.category,
        model=result.model,
        sites=result.sites.copy(),
        settings=settings_dict(settings) if settings is not None else {},
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        results=result.to_json(),
        categories=categories,
        communities=communities,
    )


def save_scenario(path: str | Path, analysis: Any, result: Any, *, name: str) -> Path:
    """Save a siting result as the named scenario ``path`` (a GeoPackage); returns the path."""
    return write_scenario(scenario_from_result(result, name=name, analysis=analysis), path)


def write_scenario(scenario: Scenario, path: str | Path) -> Path:
    """Write the scenario to a GeoPackage (replacing ``path`` only once the new file is complete)."""
    path = Path(path)
    if path.suffix.lower() != ".gpkg":
        raise DataError("a scenario is saved as a GeoPackage", file=path, fix="use a file name ending in .gpkg")
    if scenario.sites.crs is None:
        raise DataError("the scenario's sites have no coordinate system", fix="set the data set's CRS on the sites")
    meta = pd.DataFrame({
        "name": [scenario.name],
        "category": [scenario.category],
        "model": [scenario.model],
        "settings": [json.dumps(scenario.settings, ensure_ascii=False, sort_keys=True)],
        "created": [scenario.created or datetime.now(timezone.utc).isoformat(timespec="seconds")],
        "results": [json.dumps(scenario.results, ensure_ascii=False, sort_keys=True)],
        "sites": [len(scenario.sites)],
    })
    layers: dict[str, pd.DataFrame] = {SITES_LAYER: scenario.sites, META_LAYER: meta}
    if len(scenario.categories):
        layers[CATEGORY_LAYER] = scenario.categories.reset_index()
        layers[COMMUNITY_LAYER] = scenario.communities.reset_index()
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_geopackage(path, layers)


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario GeoPackage written by :func:`save_scenario`."""
    path = Path(path)
    if not path.exists():
        raise DataError("scenario file not found", file=path, fix="check the path")
    try:
        layers = {str(name) for name, _ in pyogrio.list_layers(path)}
    except Exception as exc:  # pyogrio raises its own DataSourceError types
        raise DataError(f"cannot be read as a GeoPackage ({exc})", file=path,
                        fix="choose a scenario file saved by this tool") from None
    missing = {SITES_LAYER, META_LAYER} - layers
    if missing:
        raise DataError(f"not a scenario file: layer(s) {', '.join(sorted(missing))} missing", file=path,
                        fix="choose a scenario file saved by this tool")
    meta = pyogrio.read_dataframe(path, layer=META_LAYER)
    if len(meta) != 1:
        raise DataError(f"the scenario table has {len(meta)} rows instead of one", file=path, layer=META_LAYER,
                        fix="save the scenario again")
    row = meta.iloc[0]
    sites = gpd.read_file(path, layer=SITES_LAYER, engine="pyogrio")
    if "candidate_id" in sites.columns:
        sites["candidate_id"] = sites["candidate_id"].astype(str)
    try:
        settings = json.loads(row["settings"]) if row["settings"] else {}
        results = json.loads(row["results"]) if row["results"] else {}
    except (TypeError, json.JSONDecodeError):
        raise DataError("the scenario's settings or results are not valid JSON", file=path, layer=META_LAYER,
                        fix="save the scenario again") from None
    categories, communities = pd.DataFrame(), pd.DataFrame()
    if {CATEGORY_LAYER, COMMUNITY_LAYER} <= layers:
        categories = pyogrio.read_dataframe(path, layer=CATEGORY_LAYER).set_index("category")
        communities = pyogrio.read_dataframe(path, layer=COMMUNITY_LAYER)
        communities["community_id"] = communities["community_id"].astype(str)
        communities = communities.set_index("community_id")
    return Scenario(name=str(row["name"]), category=str(row["category"]), model=str(row["model"]),
                    sites=sites, settings=settings, created=str(row["created"]), results=results,
                    categories=categories, communities=communities)


def settings_from_dict(values: dict[str, Any]) -> Settings:
    """Settings saved in a scenario (unknown keys are ignored, missing ones take the defaults)."""
    names = {f.name for f in dataclasses.fields(Settings)}
    return Settings(**{k: v for k, v in values.items() if k in names})


def with_scenario(dataset: Dataset, scenario: Scenario) -> Dataset:
    """The data set with the scenario's sites added as planned facilities of its category."""
    if scenario.category not in CATEGORIES:
        raise DataError(f"unknown category {scenario.category!r} in scenario {scenario.name!r}",
                        fix=f"use one of {', '.join(CATEGORIES)}")
    sites = scenario.sites.to_crs(dataset.crs) if scenario.sites.crs != dataset.crs else scenario.sites
    ids = sites["candidate_id"].astype(str) if "candidate_id" in sites.columns else pd.Series(
        [str(i) for i in range(len(sites))])
    names = sites["name"] if "name" in sites.columns else ids
    area = sites["floor_area_m2"] if "floor_area_m2" in sites.columns else pd.Series(np.nan, index=sites.index)
    new = gpd.GeoDataFrame(
        {
            "facility_id": [f"{scenario.name}:{i}" for i in ids],
            "category": scenario.category,
            "name": names.to_numpy(dtype=object),
            "floor_area_m2": pd.to_numeric(area, errors="coerce").to_numpy(dtype=float),
            "capacity": np.full(len(sites), np.nan),
            "status": "planned",
        },
        geometry=sites.geometry.to_numpy(),
        crs=dataset.crs,
    )
    parts = [f for f in (dataset.facilities, new) if len(f)]
    facilities = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=dataset.crs) \
        if parts else new
    return dataclasses.replace(dataset, facilities=facilities)


def _recomputed(dataset: Dataset, scenario: Scenario, settings: Settings, categories: list[str]) -> Scenario:
    """The scenario with its coverage tables recomputed on ``dataset``."""
    from planning.access.coverage import coverage

    def shares(ds: Dataset) -> tuple[pd.DataFrame, Any]:
        cov = coverage(ds, settings, categories=categories)
        return cov.covered.reindex(columns=categories, fill_value=False).astype(float), cov

    before, cov = shares(dataset)
    later, _ = shares(with_scenario(dataset, scenario))
    cats, comms = coverage_tables(dataset, before, cov.population, cov.community_id,
                                  {c: later[c].to_numpy() for c in categories})
    return dataclasses.replace(scenario, categories=cats, communities=comms)


def compare_scenarios(
    a: Scenario,
    b: Scenario,
    *,
    dataset: Dataset | None = None,
    settings: Settings | None = None,
    categories: list[str] | None = None,
) -> Comparison:
    """Coverage with scenario ``a`` and with scenario ``b``, per category and per community.

    Parameters
    ----------
    a, b : Scenario
    dataset : geo.dataset.Dataset, optional
        The data set both were made for (without their sites). Given: coverage is recomputed
        with each scenario's sites added; otherwise the coverage stored in the scenarios is used.
    settings : Settings, optional
        For recomputing; default the settings saved with scenario ``a``.
    categories : list of str, optional
        For recomputing; default the scenarios' categories.
    """
    if a.name == b.name:
        raise DataError(f"both scenarios are named {a.name!r}", fix="give the scenarios different names")
    if dataset is not None:
        settings = settings or (settings_from_dict(a.settings) if a.settings else Settings())
        cats = categories or list(dict.fromkeys([a.category, b.category]))
        a, b = _recomputed(dataset, a, settings, cats), _recomputed(dataset, b, settings, cats)
    for s in (a, b):
        if s.categories.empty:
            raise DataError(f"scenario {s.name!r} holds no coverage",
                            fix="save it with its analysis, or compare with the data set given")
    cats = [c for c in a.categories.index if c in b.categories.index]
    per_cat = pd.DataFrame({
        "baseline_pct": a.categories.loc[cats, "baseline_pct"],
        f"{a.name}_pct": a.categories.loc[cats, "pct"],
        f"{b.name}_pct": b.categories.loc[cats, "pct"],
        f"{a.name}_new_sites": [len(a.sites) if c == a.category else 0 for c in cats],
        f"{b.name}_new_sites": [len(b.sites) if c == b.category else 0 for c in cats],
    }, index=pd.Index(cats, name="category"))
    ids = a.communities.index.union(b.communities.index)
    comm = pd.DataFrame({"name": a.communities["name"].reindex(ids).fillna(b.communities["name"].reindex(ids)),
                         "population": a.communities["population"].reindex(ids)}, index=ids)
    for cat in cats:
        comm[f"{cat}_baseline_pct"] = a.communities[f"{cat}_baseline_pct"].reindex(ids)
        comm[f"{cat}_{a.name}_pct"] = a.communities[f"{cat}_pct"].reindex(ids)
        comm[f"{cat}_{b.name}_pct"] = b.communities[f"{cat}_pct"].reindex(ids)
    return Comparison(a=a.name, b=b.name, categories=per_cat, communities=comm)
