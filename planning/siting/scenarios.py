"""Planning scenarios: edits to the facilities of any categories, saved, loaded and compared.

A scenario is a list of edits (:mod:`planning.siting.edits`): planned facilities added, existing
ones removed or closed, drawn on the map, accepted from a siting result or written by hand. Its
GeoPackage holds the ``edits`` layer (longitude/latitude), a one-row ``scenario`` table (name,
categories, model, settings as JSON, created time in UTC, the siting results as JSON), the
``sites`` of a siting result it came from, and what the scenario changes: ``coverage_by_category``,
``coverage_by_community`` (share of residents inside their circle without and with the edits,
for every analysed category) and ``indicators`` (values and verdicts before and after). Saving
writes a new file and then moves it over the old one, so an interrupted save never destroys the
previous scenario. A bare edit file (GeoJSON, or a GeoPackage with an ``edits`` layer) is a
scenario too, named after the file.

Scenarios saved before edits existed (sites of one category, no ``edits`` layer) still load: their
sites become additions of that category.

Two scenarios are compared side by side from their stored tables, or, given the data set, by
making each one's edits and recomputing coverage; rows are sorted by what changed, largest
change first.

Examples
--------
>>> save_scenario("plan_a.gpkg", analysis, result, name="方案一")     # doctest: +SKIP
>>> cmp = compare_scenarios(load_scenario("plan_a.gpkg"), load_scenario("plan_b.gpkg"))  # doctest: +SKIP
>>> cmp.categories, cmp.communities, cmp.indicators                  # doctest: +SKIP
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
from planning.access.coverage import coverage
from planning.output.files import write_geopackage
from planning.settings import Settings
from planning.siting.edits import (
    EDITS_LAYER,
    SUFFIXES,
    apply_edits,
    edit_table,
    edited_categories,
    edits_from_sites,
    empty_edits,
    read_edits,
)
from planning.siting.whatif import OUTSIDE, analysis_with_edits, by_change, change_tables, coverage_tables

SITES_LAYER = "sites"
META_LAYER = "scenario"
CATEGORY_LAYER = "coverage_by_category"
COMMUNITY_LAYER = "coverage_by_community"
INDICATOR_LAYER = "indicators"
MANUAL = "manual"
__all__ = ["OUTSIDE", "Comparison", "Scenario", "compare_scenarios", "coverage_tables", "load_scenario",
           "save_scenario", "scenario_edits", "scenario_from_edits", "scenario_from_result", "settings_dict",
           "settings_from_dict", "with_scenario", "write_scenario"]


@dataclass
class Scenario:
    """A named list of edits to the facilities, and what it changes.

    Attributes
    ----------
    name : str
    category : str
        Taxonomy key of a siting result's new facilities; for other scenarios the edited
        categories joined by ``,`` (empty without edits).
    model : str
        Siting model that proposed the sites ("mclp", "lscp", "pmedian"), or "manual".
    sites : geopandas.GeoDataFrame
        The sites of the siting result (candidate_id, name, ranking columns; points); empty for
        scenarios drawn or written by hand.
    settings : dict
        The :class:`planning.settings.Settings` values the scenario was made with.
    created : str
        ISO 8601 time in UTC.
    results : dict
        What the siting reported (``SitingResult.to_json()``), kept for the record.
    categories : pandas.DataFrame
        Index category; population, baseline_pct, pct (residents inside their circle without
        and with the edits). Empty when made without an analysis.
    communities : pandas.DataFrame
        Index community_id; name, population, then ``<category>_baseline_pct`` and
        ``<category>_pct`` for every category.
    edits : geopandas.GeoDataFrame
        The edit table (:mod:`planning.siting.edits`), longitude/latitude.
    indicators : pandas.DataFrame
        Indicator values and verdicts before and after (see
        :func:`planning.siting.whatif.indicator_change`); empty when made without an analysis.
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
    edits: gpd.GeoDataFrame = field(default_factory=empty_edits)
    indicators: pd.DataFrame = field(default_factory=pd.DataFrame)


@dataclass
class Comparison:
    """Two scenarios side by side, sorted by what changed (``change_pct``, largest first).

    Attributes
    ----------
    categories : pandas.DataFrame
        Index category; baseline_pct, ``<a>_pct``, ``<b>_pct`` (share of residents inside their
        circle), the new sites of each scenario, change_pct.
    communities : pandas.DataFrame
        Index community_id; name, population, then baseline / a / b percentage per category,
        change_pct.
    indicators : pandas.DataFrame
        Index indicator name; name_zh, name_en, unit, target, baseline_value, ``<a>_value``,
        ``<b>_value``, baseline_pass, ``<a>_pass``, ``<b>_pass``, change (largest absolute
        change of the value). Empty when either scenario holds no indicators.
    """

    a: str
    b: str
    categories: pd.DataFrame
    communities: pd.DataFrame
    indicators: pd.DataFrame = field(default_factory=pd.DataFrame)


def settings_dict(settings: Settings) -> dict[str, Any]:
    """Settings as plain JSON-ready values."""
    out = {}
    for f in dataclasses.fields(settings):
        value = getattr(settings, f.name)
        out[f.name] = dict(value) if f.name == "car_speeds_km_per_h" else value
    return out


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _check_name(name: str) -> str:
    if not str(name).strip():
        raise DataError("a scenario needs a name", fix="give the scenario a short name such as 方案一")
    return str(name).strip()


def scenario_from_result(
    result: Any, *, name: str, analysis: Any | None = None, settings: Settings | None = None,
) -> Scenario:
    """A scenario adding the sites of a :class:`planning.siting.SitingResult`.

    With the ``analysis`` the sites were chosen from, the scenario also stores the coverage it
    gives for every analysed category (what :func:`compare_scenarios` shows) and the indicators
    with the sites built.
    """
    name = _check_name(name)
    settings = settings or getattr(analysis, "settings", None)
    edits = edits_from_sites(result)
    categories, communities, indicators = pd.DataFrame(), pd.DataFrame(), pd.DataFrame()
    if analysis is not None:
        cov = analysis.coverage
        covered = analysis.covered.copy()
        if result.category not in covered.columns:
            covered[result.category] = False  # no existing facility of it was analysed
        # The siting's own shares: with capacities a site serves only part of a demand point.
        after = result.demand_covered_after.reindex(covered.index).fillna(0.0).to_numpy()
        categories, communities = coverage_tables(analysis.dataset, covered, cov.population, cov.community_id,
                                                  {result.category: after})
        indicators = change_tables(analysis, analysis_with_edits(analysis, edits))[2]
    return Scenario(
        name=name, category=result.category, model=result.model, sites=result.sites.copy(),
        settings=settings_dict(settings) if settings is not None else {}, created=_now(),
        results=result.to_json(), categories=categories, communities=communities, edits=edits,
        indicators=indicators,
    )


def scenario_from_edits(edits: gpd.GeoDataFrame, *, name: str, analysis: Any | None = None,
                        after: Any | None = None) -> Scenario:
    """A scenario of hand-made edits (drawn on the map, or read from a file).

    Parameters
    ----------
    edits : geopandas.GeoDataFrame
        Edit table relative to the data set of ``analysis``.
    name : str
    analysis : planning.access.analysis.Analysis, optional
        Analysis of the data set as loaded: the scenario then stores what the edits change.
    after : planning.access.analysis.Analysis, optional
        The analysis with the edits made, when already at hand (else computed).
    """
    name = _check_name(name)
    edits = edits if edits is not None else empty_edits()
    cats = ",".join(edited_categories(analysis.dataset, edits)) if analysis is not None else ",".join(
        dict.fromkeys(str(c) for c in edits["category"].dropna()))
    categories, communities, indicators = pd.DataFrame(), pd.DataFrame(), pd.DataFrame()
    crs = analysis.dataset.crs if analysis is not None else 4326
    if analysis is not None:
        after = after if after is not None else analysis_with_edits(analysis, edits)
        categories, communities, indicators = change_tables(analysis, after)
    settings = getattr(analysis, "settings", None)
    return Scenario(name=name, category=cats, model=MANUAL,
                    sites=gpd.GeoDataFrame({"candidate_id": []}, geometry=gpd.GeoSeries([], crs=crs), crs=crs),
                    settings=settings_dict(settings) if settings is not None else {}, created=_now(),
                    categories=categories, communities=communities, edits=edits.copy(), indicators=indicators)


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
    edits = scenario_edits(scenario)
    meta = pd.DataFrame({
        "name": [scenario.name],
        "category": [scenario.category],
        "model": [scenario.model],
        "settings": [json.dumps(scenario.settings, ensure_ascii=False, sort_keys=True)],
        "created": [scenario.created or _now()],
        "results": [json.dumps(scenario.results, ensure_ascii=False, sort_keys=True)],
        "sites": [len(scenario.sites)],
        "edits": [len(edits)],
    })
    layers: dict[str, pd.DataFrame] = {EDITS_LAYER: edits.to_crs(4326), SITES_LAYER: scenario.sites,
                                       META_LAYER: meta}
    if len(scenario.categories):
        layers[CATEGORY_LAYER] = scenario.categories.reset_index()
        layers[COMMUNITY_LAYER] = scenario.communities.reset_index()
    if len(scenario.indicators):
        table = scenario.indicators.copy()
        for column in ("baseline_pass", "pass"):
            table[column] = table[column].map(lambda v: "" if v is None else ("yes" if v else "no"))
        layers[INDICATOR_LAYER] = table
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_geopackage(path, layers)


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario GeoPackage written by :func:`write_scenario`, or a bare edit file."""
    path = Path(path)
    if not path.exists():
        raise DataError("scenario file not found", file=path, fix="check the path")
    if path.suffix.lower() in SUFFIXES and path.suffix.lower() != ".gpkg":
        return _bare(path, read_edits(path))
    try:
        layers = {str(name) for name, _ in pyogrio.list_layers(path)}
    except Exception as exc:  # pyogrio raises its own DataSourceError types
        raise DataError(f"cannot be read as a GeoPackage ({exc})", file=path,
                        fix="choose a scenario file saved by this tool") from None
    if META_LAYER not in layers and (EDITS_LAYER in layers or _one_edit_layer(path, layers)):
        return _bare(path, read_edits(path))
    missing = {SITES_LAYER, META_LAYER} - layers
    if missing:
        raise DataError(f"not a scenario file: layer(s) {', '.join(sorted(missing))} missing", file=path,
                        fix="choose a scenario file saved by this tool, or a file of edits (a layer 'edits')")
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
    categories, communities, indicators = pd.DataFrame(), pd.DataFrame(), pd.DataFrame()
    if {CATEGORY_LAYER, COMMUNITY_LAYER} <= layers:
        categories = pyogrio.read_dataframe(path, layer=CATEGORY_LAYER).set_index("category")
        communities = pyogrio.read_dataframe(path, layer=COMMUNITY_LAYER)
        communities["community_id"] = communities["community_id"].astype(str)
        communities = communities.set_index("community_id")
    if INDICATOR_LAYER in layers:
        indicators = pyogrio.read_dataframe(path, layer=INDICATOR_LAYER)
        for column in ("baseline_pass", "pass"):
            indicators[column] = pd.Series([{"yes": True, "no": False}.get(str(v)) for v in indicators[column]],
                                           index=indicators.index, dtype=object)
    category = str(row["category"])
    edits = read_edits(path, layer=EDITS_LAYER) if EDITS_LAYER in layers else _site_edits(sites, category)
    return Scenario(name=str(row["name"]), category=category, model=str(row["model"]),
                    sites=sites, settings=settings, created=str(row["created"]), results=results,
                    categories=categories, communities=communities, edits=edits, indicators=indicators)


def _one_edit_layer(path: Path, layers: set[str]) -> bool:
    """A GeoPackage of one layer with an ``edit`` column: a bare edit file."""
    if len(layers) != 1:
        return False
    info = pyogrio.read_info(path, layer=next(iter(layers)))
    return "edit" in [str(f).lower() for f in info["fields"]]


def _bare(path: Path, edits: gpd.GeoDataFrame) -> Scenario:
    """A scenario of an edit file: named after the file, its coverage not yet computed."""
    cats = ",".join(dict.fromkeys(str(c) for c in edits["category"].dropna()))
    return Scenario(name=path.stem, category=cats, model=MANUAL,
                    sites=gpd.GeoDataFrame({"candidate_id": []}, geometry=gpd.GeoSeries([], crs=4326), crs=4326),
                    edits=edits)


def _site_edits(sites: gpd.GeoDataFrame, category: str) -> gpd.GeoDataFrame:
    """The sites of a scenario saved before edits existed, as additions of its category."""
    if category not in CATEGORIES:
        raise DataError(f"unknown category {category!r} in the scenario", fix=f"use one of {', '.join(CATEGORIES)}")
    if len(sites) == 0:
        return empty_edits()
    ids = sites["candidate_id"].astype(str) if "candidate_id" in sites.columns else pd.Series(
        [str(i + 1) for i in range(len(sites))], index=sites.index)
    names = sites["name"] if "name" in sites.columns else ids
    area = sites["floor_area_m2"] if "floor_area_m2" in sites.columns else pd.Series(np.nan, index=sites.index)
    pts = sites.geometry.to_crs(4326)
    return edit_table(({"edit": "add", "facility_id": f"{category}:{cid}", "category": category,
                        "name": name, "floor_area_m2": a, "candidate_id": cid, "x": p.x, "y": p.y}
                       for cid, name, a, p in zip(ids, names, area, pts)), crs=4326)


def scenario_edits(scenario: Scenario) -> gpd.GeoDataFrame:
    """The scenario's edit table (its sites as additions when it has no edits of its own)."""
    if scenario.edits is not None and len(scenario.edits):
        return scenario.edits
    if len(scenario.sites) and scenario.category in CATEGORIES:
        return _site_edits(scenario.sites, scenario.category)
    return empty_edits()


def settings_from_dict(values: dict[str, Any]) -> Settings:
    """Settings saved in a scenario (unknown keys are ignored, missing ones take the defaults)."""
    names = {f.name for f in dataclasses.fields(Settings)}
    return Settings(**{k: v for k, v in values.items() if k in names})


def with_scenario(dataset: Dataset, scenario: Scenario) -> Dataset:
    """The data set with the scenario's edits made (planned facilities added, others left out)."""
    if not len(scenario.edits) and len(scenario.sites) and scenario.category not in CATEGORIES:
        raise DataError(f"unknown category {scenario.category!r} in scenario {scenario.name!r}",
                        fix=f"use one of {', '.join(CATEGORIES)}")
    return apply_edits(dataset, scenario_edits(scenario))


def _recomputed(dataset: Dataset, scenario: Scenario, settings: Settings, categories: list[str]) -> Scenario:
    """The scenario with its coverage tables recomputed on ``dataset``."""
    def shares(ds: Dataset) -> tuple[pd.DataFrame, Any]:
        cov = coverage(ds, settings, categories=categories)
        return cov.covered.reindex(columns=categories, fill_value=False).astype(float), cov

    before, cov = shares(dataset)
    later, _ = shares(with_scenario(dataset, scenario))
    cats, comms = coverage_tables(dataset, before, cov.population, cov.community_id,
                                  {c: later[c].to_numpy() for c in categories})
    return dataclasses.replace(scenario, categories=cats, communities=comms)


def _added(scenario: Scenario, category: str) -> int:
    edits = scenario_edits(scenario)
    return int(((edits["edit"] == "add") & (edits["category"] == category)).sum()) if len(edits) else 0


def compare_scenarios(
    a: Scenario,
    b: Scenario,
    *,
    dataset: Dataset | None = None,
    settings: Settings | None = None,
    categories: list[str] | None = None,
) -> Comparison:
    """Coverage and indicators with scenario ``a`` and with scenario ``b``, sorted by change.

    Parameters
    ----------
    a, b : Scenario
    dataset : geo.dataset.Dataset, optional
        The data set both were made for (without their edits). Given: coverage is recomputed
        with each scenario's edits made; otherwise the tables stored in the scenarios are used.
    settings : Settings, optional
        For recomputing; default the settings saved with scenario ``a``.
    categories : list of str, optional
        For recomputing; default the categories the scenarios edit.
    """
    if a.name == b.name:
        raise DataError(f"both scenarios are named {a.name!r}", fix="give the scenarios different names")
    if dataset is not None:
        settings = settings or (settings_from_dict(a.settings) if a.settings else Settings())
        cats = categories or [c for c in CATEGORIES if c in set(edited_categories(dataset, scenario_edits(a)))
                              | set(edited_categories(dataset, scenario_edits(b)))]
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
        f"{a.name}_new_sites": [_added(a, c) for c in cats],
        f"{b.name}_new_sites": [_added(b, c) for c in cats],
    }, index=pd.Index(cats, name="category"))
    per_cat = by_change(per_cat, ["baseline_pct"], [[f"{a.name}_pct", f"{b.name}_pct"]])
    ids = a.communities.index.union(b.communities.index)
    comm = pd.DataFrame({"name": a.communities["name"].reindex(ids).fillna(b.communities["name"].reindex(ids)),
                         "population": a.communities["population"].reindex(ids)}, index=ids)
    for cat in cats:
        comm[f"{cat}_baseline_pct"] = a.communities[f"{cat}_baseline_pct"].reindex(ids)
        comm[f"{cat}_{a.name}_pct"] = a.communities[f"{cat}_pct"].reindex(ids)
        comm[f"{cat}_{b.name}_pct"] = b.communities[f"{cat}_pct"].reindex(ids)
    comm = by_change(comm, [f"{c}_baseline_pct" for c in cats],
                     [[f"{c}_{a.name}_pct", f"{c}_{b.name}_pct"] for c in cats])
    return Comparison(a=a.name, b=b.name, categories=per_cat, communities=comm,
                      indicators=_indicator_comparison(a, b))


def _indicator_comparison(a: Scenario, b: Scenario) -> pd.DataFrame:
    if a.indicators.empty or b.indicators.empty:
        return pd.DataFrame()
    first, second = a.indicators.set_index("name"), b.indicators.set_index("name")
    names = [n for n in first.index if n in second.index]
    out = first.loc[names, ["name_zh", "name_en", "unit", "target", "baseline_value"]].copy()
    out[f"{a.name}_value"] = first.loc[names, "value"].astype(float)
    out[f"{b.name}_value"] = second.loc[names, "value"].astype(float)
    out["baseline_pass"] = first.loc[names, "baseline_pass"]
    out[f"{a.name}_pass"] = first.loc[names, "pass"]
    out[f"{b.name}_pass"] = second.loc[names, "pass"]
    out = by_change(out, ["baseline_value"], [[f"{a.name}_value", f"{b.name}_value"]])
    return out.rename(columns={"change_pct": "change"})
