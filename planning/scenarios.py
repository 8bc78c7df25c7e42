"""Named sets of new sites: save, load and compare planning scenarios.

A scenario is a GeoPackage with two layers: ``sites`` (the new sites, points in the data set's
metric CRS) and ``scenario`` (one row: name, category, model, settings as JSON, created time in
UTC, and the siting results as JSON). Saving writes a new file and then moves it over the old
one, so an interrupted save never destroys the previous scenario.

Two scenarios are compared by adding each one's sites to the facilities of its category and
recomputing coverage: the share of residents inside their circle per category and per community,
side by side with the situation without new sites.

Examples
--------
>>> scenario = scenario_from_result(result, name="方案一")            # doctest: +SKIP
>>> save_scenario(scenario, "plan_a.gpkg")                             # doctest: +SKIP
>>> compare_scenarios(dataset, load_scenario("plan_a.gpkg"), other).categories  # doctest: +SKIP
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
from planning.settings import Settings

SITES_LAYER = "sites"
META_LAYER = "scenario"


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
    """

    name: str
    category: str
    model: str
    sites: gpd.GeoDataFrame
    settings: dict[str, Any] = field(default_factory=dict)
    created: str = ""
    results: dict[str, Any] = field(default_factory=dict)


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


def scenario_from_result(result: Any, *, name: str, settings: Settings | None = None) -> Scenario:
    """A scenario holding the sites of a :class:`planning.siting.SitingResult`."""
    if not str(name).strip():
        raise DataError("a scenario needs a name", fix="give the scenario a short name such as 方案一")
    return Scenario(
        name=str(name).strip(),
        category=result.category,
        model=result.model,
        sites=result.sites.copy(),
        settings=settings_dict(settings) if settings is not None else {},
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        results=result.to_json(),
    )


def save_scenario(scenario: Scenario, path: str | Path) -> Path:
    """Write the scenario to a GeoPackage (replacing ``path`` only once the new file is complete)."""
    from planning.siting import write_geopackage

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
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_geopackage(path, {SITES_LAYER: scenario.sites, META_LAYER: meta})


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
    return Scenario(name=str(row["name"]), category=str(row["category"]), model=str(row["model"]),
                    sites=sites, settings=settings, created=str(row["created"]), results=results)


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


def _coverage_tables(dataset: Dataset, settings: Settings, categories: list[str]) -> tuple[pd.Series, pd.DataFrame]:
    from planning.coverage import coverage

    cov = coverage(dataset, settings, categories=categories)
    pop = cov.population.to_numpy(dtype=float)
    covered = cov.covered.reindex(columns=categories, fill_value=False).to_numpy(dtype=bool)
    total = pop.sum()
    per_cat = pd.Series(100.0 * (pop[:, None] * covered).sum(axis=0) / total if total else np.nan,
                        index=pd.Index(categories, name="category"))
    comm = cov.community_id.fillna("(outside communities)").to_numpy(dtype=object)
    frame = pd.DataFrame(pop[:, None] * covered, columns=categories)
    frame["population"] = pop
    frame["community_id"] = comm
    sums = frame.groupby("community_id", sort=True).sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        pct = sums[categories].div(sums["population"].where(sums["population"] > 0), axis=0) * 100.0
    pct.insert(0, "population", sums["population"])
    return per_cat, pct


def compare_scenarios(
    dataset: Dataset,
    a: Scenario,
    b: Scenario,
    *,
    settings: Settings | None = None,
    categories: list[str] | None = None,
) -> Comparison:
    """Coverage with scenario ``a`` and with scenario ``b``, per category and per community.

    Parameters
    ----------
    dataset : geo.dataset.Dataset
        The data set both scenarios were made for (without their sites).
    a, b : Scenario
    settings : Settings, optional
        Default: the settings saved with scenario ``a``.
    categories : list of str, optional
        Default: the scenarios' categories.
    """
    if a.name == b.name:
        raise DataError(f"both scenarios are named {a.name!r}", fix="give the scenarios different names")
    settings = settings or (settings_from_dict(a.settings) if a.settings else Settings())
    cats = categories or list(dict.fromkeys([a.category, b.category]))
    base_cat, base_comm = _coverage_tables(dataset, settings, cats)
    a_cat, a_comm = _coverage_tables(with_scenario(dataset, a), settings, cats)
    b_cat, b_comm = _coverage_tables(with_scenario(dataset, b), settings, cats)
    per_cat = pd.DataFrame({
        "baseline_pct": base_cat,
        f"{a.name}_pct": a_cat,
        f"{b.name}_pct": b_cat,
        f"{a.name}_new_sites": [len(a.sites) if c == a.category else 0 for c in cats],
        f"{b.name}_new_sites": [len(b.sites) if c == b.category else 0 for c in cats],
    })
    names = dict(zip(dataset.communities["community_id"].astype(str), dataset.communities["name"])) \
        if len(dataset.communities) else {}
    comm = pd.DataFrame({"name": [names.get(i, i) for i in base_comm.index],
                         "population": base_comm["population"]}, index=base_comm.index)
    for cat in cats:
        comm[f"{cat}_baseline_pct"] = base_comm[cat]
        comm[f"{cat}_{a.name}_pct"] = a_comm[cat].reindex(comm.index)
        comm[f"{cat}_{b.name}_pct"] = b_comm[cat].reindex(comm.index)
    return Comparison(a=a.name, b=b.name, categories=per_cat, communities=comm)
