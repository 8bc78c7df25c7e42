"""What an analysis hands to every output: plain layers and tables, and the output CRS.

:func:`analysis_layers` turns an :class:`planning.access.analysis.Analysis` (plus siting results
and a scenario comparison) into ``dict[str, GeoDataFrame]`` layers and ``dict[str, DataFrame]``
tables; :func:`analysis_about` into the lines describing its data and settings;
:func:`analysis_labels` into the headers that depend on the data (the E2SFCA supply). The file
writers (:mod:`planning.output.export`) and the report (:mod:`planning.output.report`) read only
these, so neither needs the other. :func:`output_crs` and :func:`to_output_crs` give the
coordinate system of the files and the note each file carries about it.

Examples
--------
>>> import geopandas as gpd
>>> from shapely.geometry import Point
>>> sites = gpd.GeoDataFrame(geometry=[Point(668000, 3500000)], crs=32650)
>>> output_crs("cgcs2000-gk", {"sites": sites}).crs.to_epsg()
4549
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from geo import coords
from geo._errors import DataError
from planning import columns
from planning.choices import OUTPUT_CRS
from planning.output.files import polygonal
from planning.texts import EXPORT_TEXT, Language, e2sfca_labels, say

if TYPE_CHECKING:
    from planning.access.analysis import Analysis


# --------------------------------------------------------------------------------------------
# Coordinate systems


@dataclass(frozen=True)
class OutputCRS:
    """Coordinate system of an export and the note every file carries about it.

    Attributes
    ----------
    key : str
        One of :data:`OUTPUT_CRS`.
    crs : pyproj.CRS
        CRS written into the files (EPSG:4326 for GCJ-02, which has no EPSG code).
    note_zh, note_en : str
        What the coordinates are, in words.
    """

    key: str
    crs: CRS
    note_zh: str
    note_en: str

    @property
    def note(self) -> str:
        """Both notes, Chinese first."""
        return f"{self.note_zh} / {self.note_en}"

    @property
    def is_geographic(self) -> bool:
        """Whether coordinates are longitude/latitude degrees."""
        return bool(self.crs.is_geographic)


def _centre_lon(layers: Mapping[str, gpd.GeoDataFrame]) -> float:
    bounds = []
    for gdf in layers.values():
        if len(gdf) and gdf.crs is not None and not gdf.geometry.is_empty.all():
            b = gdf.geometry.to_crs(4326).total_bounds
            if np.all(np.isfinite(b)):
                bounds.append(b)
    if not bounds:
        raise DataError("there are no features to export",
                        fix="run the analysis on a data set with communities and population")
    b = np.array(bounds)
    return float((b[:, 0].min() + b[:, 2].max()) / 2.0)


def _crs_note(key: str, crs: CRS, **values: Any) -> OutputCRS:
    text = f"crs.{key}"
    return OutputCRS(key, crs, say(EXPORT_TEXT, text, "zh", **values),
                     say(EXPORT_TEXT, text, "en", **values))


def output_crs(key: str, layers: Mapping[str, gpd.GeoDataFrame]) -> OutputCRS:
    """The :class:`OutputCRS` called ``key`` for these layers.

    Parameters
    ----------
    key : {"wgs84", "cgcs2000", "cgcs2000-gk", "gcj02"}
        ``cgcs2000-gk`` picks the CGCS2000 3-degree Gauss-Krüger zone of the layers' centre.
    layers : mapping of str to GeoDataFrame
        Layers to export (any CRS).
    """
    key = str(key).lower()
    if key == "wgs84":
        return _crs_note(key, CRS.from_epsg(4326))
    if key == "cgcs2000":
        return _crs_note(key, CRS.from_epsg(4490))
    if key == "cgcs2000-gk":
        try:
            crs = coords.cgcs2000_gk_crs(_centre_lon(layers))
        except DataError as exc:  # its fix names the analysis CRS, which is no export choice
            raise DataError(exc.problem, fix="export with --crs wgs84 or cgcs2000 "
                            "(longitude/latitude) instead") from None
        epsg = crs.to_epsg()
        cm = 75 + 3 * (int(epsg) - 4534) if epsg else None
        return _crs_note(key, crs, cm=cm, epsg=epsg)
    if key == "gcj02":
        return _crs_note(key, CRS.from_epsg(4326))
    raise DataError(f"unknown output coordinate system '{key}'",
                    fix=f"use one of {', '.join(OUTPUT_CRS)}")


def to_output_crs(layers: Mapping[str, gpd.GeoDataFrame], crs: str,
                  ) -> tuple[dict[str, gpd.GeoDataFrame], OutputCRS]:
    """Layers converted to the output coordinate system ``crs`` (see :func:`output_crs`)."""
    info = output_crs(crs, layers)
    out: dict[str, gpd.GeoDataFrame] = {}
    for name, gdf in layers.items():
        if gdf.crs is None:
            raise DataError("the layer has no coordinate system", layer=name,
                            fix="set the layer's CRS before exporting")
        gdf = polygonal(gdf)
        if info.key == "gcj02":
            out[name] = coords.from_wgs84(gdf, "gcj02")
        elif info.key == "cgcs2000":
            out[name] = coords.from_wgs84(gdf, "cgcs2000")
        else:
            out[name] = gdf.to_crs(info.crs)
    return out, info


# --------------------------------------------------------------------------------------------
# Analysis → layers and tables


def analysis_layers(analysis: Analysis, *, siting: Any = None,
                    scenario_comparison: Any = None, circles: bool = True, rings: bool = True,
                    responsibility: bool = True,
                    ) -> tuple[dict[str, gpd.GeoDataFrame], dict[str, pd.DataFrame]]:
    """Layers and tables of an analysis (plus siting results and a scenario comparison).

    ``circles=False`` leaves out the service-circle polygons, ``rings=False`` and
    ``responsibility=False`` the travel-time rings and the responsibility areas (each slow to
    draw for every category of a city's network).
    """
    layers = dict(analysis.layers(circles=circles, rings=circles and rings,
                                  responsibility=circles and responsibility))
    tables: dict[str, pd.DataFrame] = {
        "indicators": analysis.indicators,
        "community_table": analysis.community_table,
        "category_summary": analysis.category_summary,
    }
    edits = getattr(analysis, "scenario_edits", None)
    if edits is not None and len(edits):
        # What the figures include: planned facilities added, existing ones removed or closed.
        layers["scenario_edits"] = edits.to_crs(analysis.dataset.crs)
    if siting is not None:
        sites = siting.sites
        layers["recommended_sites"] = sites
        if getattr(siting, "circles", None) is not None and len(siting.circles):
            layers["site_circles"] = siting.circles
        site_table = pd.DataFrame(sites.drop(columns=sites.geometry.name))
        if "lon" not in site_table.columns:
            # Planners paste site coordinates into other tools: keep WGS84 lon/lat in the table.
            lonlat = sites.geometry.to_crs(4326)
            site_table["lon_wgs84"] = lonlat.x.round(7).to_numpy()
            site_table["lat_wgs84"] = lonlat.y.round(7).to_numpy()
        tables["recommended_sites"] = site_table
        before_after = getattr(siting, "community_before_after", None)
        if before_after is not None:
            tables["siting_before_after"] = before_after
    if scenario_comparison is not None:
        if hasattr(scenario_comparison, "categories") and hasattr(scenario_comparison,
                                                                  "communities"):
            # planning.siting.scenarios.Comparison: a table per category, and per community.
            tables["scenario_comparison"] = scenario_comparison.categories
            per_community = pd.DataFrame(scenario_comparison.communities)
            tables["scenario_communities"] = per_community
            com = analysis.dataset.communities
            shapes = gpd.GeoDataFrame({"community_id": com["community_id"].astype(str)},
                                      geometry=com.geometry.to_numpy(), crs=com.crs)
            joined = shapes.merge(per_community, left_on="community_id", right_index=True,
                                  how="inner")
            layers["scenario_communities"] = gpd.GeoDataFrame(joined, geometry="geometry",
                                                              crs=com.crs)
        elif isinstance(scenario_comparison, gpd.GeoDataFrame):
            layers["scenario_communities"] = scenario_comparison
        else:
            tables["scenario_comparison"] = scenario_comparison
    return layers, tables


def analysis_labels(analysis: Analysis) -> dict[str, tuple[str, str]]:
    """Headers that depend on the data: each ``e2sfca_<category>`` column names its supply, each
    indicator column of the community table (and each key in ``missed_targets``) is the
    indicator's name from the targets."""
    supply = getattr(analysis, "e2sfca_supply", {}) or {}
    labels = {columns.e2sfca(cat): e2sfca_labels(cat, kind) for cat, kind in supply.items()}
    table = getattr(analysis, "indicators", None)
    if table is not None and {"name", "name_zh", "name_en"} <= set(table.columns):
        for key, zh, en in zip(table["name"].astype(str), table["name_zh"].astype(str),
                               table["name_en"].astype(str)):
            labels.setdefault(key, (zh, en))
    return labels


def analysis_about(analysis: Analysis, *, lang: Language = "zh") -> dict[str, str]:
    """Lines describing the data set and settings of an analysis, for README/notes sheets."""
    ds = analysis.dataset
    meta = dict(getattr(ds, "meta", {}) or {})
    title = meta.get("title_zh" if lang == "zh" else "title_en") or ds.name
    about = {"dataset": str(title),
             "exported_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
             "categories": ", ".join(analysis.categories)}
    for key, value in ((f.name, getattr(analysis.settings, f.name))
                       for f in fields(analysis.settings)):
        about[f"setting.{key}"] = (json.dumps(dict(value), ensure_ascii=False)
                                   if isinstance(value, Mapping) else str(value))
    for i, line in enumerate(getattr(ds, "attribution", []) or [], start=1):
        about[f"attribution.{i}"] = str(line)
    for i, line in enumerate(getattr(ds, "notes", []) or [], start=1):
        about[f"data_note.{i}"] = str(line)
    for cat, kind in (getattr(analysis, "e2sfca_supply", {}) or {}).items():
        about[f"e2sfca_supply.{cat}"] = str(kind)
    return about
