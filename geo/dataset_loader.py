"""Load a data set (communities, facilities, population, candidates, roads) into one metric CRS.

A data set is a folder whose files are named after their layers (``communities.geojson``,
``facilities.csv``, ``roads.osm.pbf`` …), a GeoPackage whose layers carry those names (alone or
in such a folder), or a zip of either. An optional ``dataset.toml`` gives the name, titles,
attribution, notes, the coordinate system of lon/lat layers (``coords = "gcj02"``, or a table
``[coords]`` with one entry per layer) and the analysis CRS (``crs = "utm"`` by default,
``"cgcs2000_gk"`` or an EPSG code).

Examples
--------
>>> from geo.dataset_loader import load_dataset
>>> ds = load_dataset("data/xian")  # doctest: +SKIP
>>> ds.crs.to_epsg(), len(ds.communities)  # doctest: +SKIP
(32649, 120)
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS

from geo import _validate
from geo._errors import DataError
from geo.coords import cgcs2000_gk_crs, check_system, metric_crs_for
from geo.dataset import LAYERS, Dataset, ValidationReport
from geo.network import RoadNetwork
from geo.readers import VECTOR_SUFFIXES, descend_single_folder, extracted, list_layers, read_vector

ROAD_FILE_SUFFIXES: tuple[str, ...] = (".osm.pbf", ".osm", ".pbf", ".graphml", ".osm.bz2",
                                       ".osm.gz")
REQUIRED_LAYERS: tuple[str, ...] = ("communities", "facilities", "roads")
_HIGHWAY_COLUMNS = ("highway", "fclass")
#: ``highway`` values of lines that cannot be travelled (planned, closed or not a way).
NOT_ROADS = frozenset({"proposed", "construction", "abandoned", "disused", "planned", "razed",
                       "no", "platform", "raceway", "bus_stop", "elevator", "corridor"})
SPREAD_NOTE = "population spread evenly over each community (no population layer)"
_TOML_KEYS = {"name", "title_zh", "title_en", "coords", "attribution", "notes",
              "population_estimated", "communities_approximate", "demo_label_zh",
              "demo_label_en", "targets", "crs",
              "census_code", "census_whole_county"}  # read by planning.access.groups


@dataclass(frozen=True)
class LayerSource:
    """Where one layer of the data set is read from."""

    layer: str
    path: Path
    inner_layer: str | None = None  # layer inside a GeoPackage

    @property
    def shown(self) -> str:
        return self.path.name + (f" (layer {self.inner_layer})" if self.inner_layer else "")


# --------------------------------------------------------------------------------- discovery
def _layer_of_file(path: Path) -> str | None:
    name = path.name.lower()
    stem = name.split(".")[0]
    if stem not in LAYERS:
        return None
    suffixes = name[len(stem):]
    if stem == "roads" and suffixes.endswith(ROAD_FILE_SUFFIXES):
        return stem
    if suffixes in VECTOR_SUFFIXES or suffixes in (".zip", ".shp.zip"):
        return stem
    return None


def find_layers(folder: Path) -> dict[str, LayerSource]:
    """Layer sources in a folder: files named after layers, and GeoPackage layers."""
    found: dict[str, list[LayerSource]] = {}
    for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
        layer = _layer_of_file(path)
        if layer is not None:
            found.setdefault(layer, []).append(LayerSource(layer, path))
        elif path.suffix.lower() == ".gpkg":
            for inner in list_layers(path):
                if inner.lower() in LAYERS:
                    found.setdefault(inner.lower(), []).append(
                        LayerSource(inner.lower(), path, inner))
    sources: dict[str, LayerSource] = {}
    for layer, options in found.items():
        if len(options) > 1:
            raise DataError(f"the {layer} layer is given twice ("
                            + " and ".join(o.shown for o in options) + ")", file=folder.name,
                            fix="Keep one of them")
        sources[layer] = options[0]
    return sources


def _read_toml(folder: Path) -> dict[str, Any]:
    path = folder / "dataset.toml"
    if not path.exists():
        return {}
    try:
        meta = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot be read ({exc})", file=path.name,
                        fix="Check the TOML syntax: key = \"value\", lists in [ ]") from None
    for key in ("attribution", "notes"):
        value = meta.get(key, [])
        if isinstance(value, str):
            meta[key] = [value]
        elif not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            raise DataError(f"'{key}' must be a list of texts", file=path.name,
                            fix=f'Write {key} = ["…", "…"]')
    return meta


def _coords_for(layer: str, coords: Any, *, file: str) -> str:
    """The coordinate system of one layer from the ``coords`` setting (text or per layer).

    A single system names the planner's own layers (communities, facilities, population,
    candidates); roads are taken as WGS84, as OpenStreetMap data are, unless a per-layer
    table (``[coords]`` with ``roads = "gcj02"``) says otherwise.
    """
    if isinstance(coords, dict):
        unknown = set(coords) - set(LAYERS) - {"default"}
        if unknown:
            raise DataError(f"coords names unknown layer(s) {sorted(unknown)}", file=file,
                            fix="Use layer names: " + ", ".join(LAYERS))
        fallback = None if layer == "roads" else coords.get("default")
        return check_system(coords.get(layer, fallback), where=f"coords.{layer}")
    if layer == "roads":
        return "wgs84"
    return check_system(coords, where="coords")


def _choose_crs(setting: Any, communities_wgs84: gpd.GeoDataFrame, *, file: str) -> CRS:
    if setting is None or str(setting).lower() == "utm":
        return metric_crs_for(communities_wgs84)
    if str(setting).lower() in ("cgcs2000_gk", "gk", "cgcs2000"):
        minx, _, maxx, _ = communities_wgs84.total_bounds
        return cgcs2000_gk_crs((minx + maxx) / 2.0)
    try:
        crs = CRS.from_user_input(setting)
    except Exception:  # pyproj raises CRSError and others for unknown text
        crs = None
    if crs is None or not crs.is_projected:
        raise DataError(f"crs = '{setting}' is not a projected (metric) CRS", file=file,
                        fix="Use 'utm' (default), 'cgcs2000_gk' or an EPSG code such as "
                        "'EPSG:4548'")
    return crs


# ------------------------------------------------------------------------------------ loading
def load_dataset(path: str | Path, *, coords: str | None = None) -> Dataset:
    """Read, validate and project every layer of a data set.

    Parameters
    ----------
    path : str or Path
        A folder (files named after layers and/or a GeoPackage with layers named after them,
        optional ``dataset.toml``), a single GeoPackage, or a zip of a folder.
    coords : {"wgs84", "cgcs2000", "gcj02", "bd09"}, optional
        Coordinate system of the lon/lat layers other than roads; overrides ``coords`` in
        ``dataset.toml``. Roads are WGS84 (OpenStreetMap) unless ``dataset.toml`` has a
        ``[coords]`` table with a ``roads`` entry.

    Returns
    -------
    Dataset
        All layers in the UTM zone of the data (or the ``crs`` of ``dataset.toml``); the
        :class:`~geo.dataset.ValidationReport` lists everything repaired, dropped or guessed.

    Raises
    ------
    geo._errors.DataError
        A layer is missing or cannot be used; the message names the file, the problem and
        the fix.
    """
    path = Path(path)
    if not path.exists():
        raise DataError("no such file or folder", file=str(path), fix="Check the path")
    suffix = path.suffix.lower()
    if path.is_dir():
        return _load_folder(path, coords=coords, source=path)
    if suffix == ".zip":
        with extracted(path) as folder:
            return _load_folder(descend_single_folder(folder), coords=coords, source=path)
    if suffix == ".gpkg":
        sources = {inner.lower(): LayerSource(inner.lower(), path, inner)
                   for inner in list_layers(path) if inner.lower() in LAYERS}
        meta = _read_toml(path.parent)  # a dataset.toml beside the GeoPackage describes it
        return _load_sources(sources, meta=meta, coords=coords, source=path,
                             default_name=path.stem)
    raise DataError("not a data set", file=path.name,
                    fix="Give a folder, a GeoPackage or a .zip holding the layers "
                    "communities, facilities, roads (population, candidates optional)")


def _load_folder(folder: Path, *, coords: str | None, source: Path) -> Dataset:
    meta = _read_toml(folder)
    return _load_sources(find_layers(folder), meta=meta, coords=coords, source=source,
                         default_name=source.stem if source.suffix else source.name)


def _load_sources(sources: dict[str, LayerSource], *, meta: dict[str, Any],
                  coords: str | None, source: Path, default_name: str) -> Dataset:
    missing = [layer for layer in REQUIRED_LAYERS if layer not in sources]
    if missing:
        found = ", ".join(src.shown for src in sources.values()) or "none"
        raise DataError(
            f"no {' / '.join(missing)} layer found (layers found: {found})", file=source.name,
            fix="Name the files after the layers (communities.geojson, facilities.csv, "
            "roads.osm.pbf, …) or the layers of a GeoPackage (communities, facilities, roads)")
    report = ValidationReport()
    setting = coords if coords is not None else meta.get("coords")
    if coords is not None:
        check_system(coords, where="--coords")
    for key in sorted(set(meta) - _TOML_KEYS):
        report.add("info", "dataset", f"dataset.toml key '{key}' is not used by the importer "
                   "(kept in meta)", file="dataset.toml")

    raw: dict[str, gpd.GeoDataFrame] = {}
    for layer in ("communities", "facilities", "population", "candidates"):
        if layer in sources:
            src = sources[layer]
            raw[layer] = read_vector(src.path, layer=src.inner_layer,
                                     coords=_coords_for(layer, setting, file="dataset.toml"),
                                     report=report, layer_name=layer)
    geoms = raw["communities"].geometry
    if len(geoms) == 0 or bool((geoms.isna() | geoms.is_empty).all()):
        raise DataError("the layer has no communities", file=sources["communities"].shown,
                        layer="communities", fix="Add the community/village boundary polygons")
    crs = _choose_crs(meta.get("crs"), raw["communities"], file="dataset.toml")

    def projected(layer: str) -> gpd.GeoDataFrame:
        return raw[layer].to_crs(crs)

    shown = {layer: src.shown for layer, src in sources.items()}
    communities = _validate.validate_communities(projected("communities"), report=report,
                                                 file=shown["communities"])
    facilities = _validate.validate_facilities(projected("facilities"), report=report,
                                               file=shown["facilities"])
    roads = _read_road_layer(sources["roads"], crs=crs, setting=setting, report=report)
    _check_overlap(communities, roads, file=shown["roads"])

    notes = list(meta.get("notes", []))
    if "population" in raw:
        population = _validate.validate_population(projected("population"), communities,
                                                   report=report, file=shown["population"])
    else:
        population = _validate.population_from_communities(communities, report=report)
        notes.append(SPREAD_NOTE)
        report.add("info", "population", SPREAD_NOTE, count=len(population))
    if "candidates" in raw:
        candidates = _validate.validate_candidates(projected("candidates"), report=report,
                                                   file=shown["candidates"])
    else:
        candidates = _validate.empty_candidates(crs)

    tree = None
    for layer, frame in (("facilities", facilities), ("candidates", candidates),
                         ("population", population)):
        if layer in raw and (layer != "population" or _all_points(raw[layer])):
            lonlat = bool(raw[layer].attrs.get("lonlat", True))
            on_streets = layer != "population"  # homes lie inside blocks, off the streets
            if tree is None and lonlat and on_streets and len(frame) >= 50:
                tree = _validate.road_lines_tree(roads)
            _validate.check_datum(frame, roads, layer=layer, file=shown[layer],
                                  system=raw[layer].attrs.get("coords", "wgs84"),
                                  lonlat=lonlat, report=report, compare_lines=on_streets,
                                  tree=tree)

    meta = dict(meta)
    meta["layer_sources"] = {
        layer: {"file": shown[layer],
                "crs": raw[layer].attrs.get("source_crs") if layer in raw else "EPSG:4326",
                "coords": raw[layer].attrs.get("coords") if layer in raw
                else _coords_for("roads", setting, file="dataset.toml")}
        for layer in sources}
    return Dataset(
        name=str(meta.get("name") or default_name),
        crs=crs,
        communities=communities,
        facilities=facilities,
        population=population,
        candidates=candidates,
        roads=roads,
        attribution=list(meta.get("attribution", [])),
        notes=notes,
        meta=meta,
        report=report,
        source=source,
    )


def _all_points(gdf: gpd.GeoDataFrame) -> bool:
    geoms = gdf.geometry.to_numpy()
    return bool(len(geoms)) and bool(np.all(shapely.get_dimensions(geoms) == 0))


def _read_road_layer(src: LayerSource, *, crs: CRS, setting: Any,
                     report: ValidationReport) -> RoadNetwork:
    name = src.path.name.lower()
    if src.inner_layer is None and name.endswith(ROAD_FILE_SUFFIXES):
        # OpenStreetMap files are WGS84 by definition; the coords setting does not apply.
        from geo.roads import read_roads  # the OSM parser loads only when an OSM file is given

        return read_roads(src.path, crs=crs)
    lines = read_vector(src.path, layer=src.inner_layer,
                        coords=_coords_for("roads", setting, file="dataset.toml"),
                        report=report, layer_name="roads")
    geoms = lines.geometry.to_numpy()
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    is_line = present & (shapely.get_dimensions(geoms) == 1)
    if not is_line.any():
        raise DataError("the roads layer holds no lines", file=src.shown, layer="roads",
                        fix="Give road centre lines (LineString) or an OpenStreetMap file")
    if (~is_line).any():
        report.add("warning", "roads", f"{int((~is_line).sum())} feature(s) that are not lines "
                   "were left out", file=src.shown, count=int((~is_line).sum()))
    lines = lines.loc[is_line]
    column = next((c for c in _HIGHWAY_COLUMNS if c in lines.columns), None)
    if column is None:
        report.add("warning", "roads", "no 'highway' or 'fclass' column: every line is taken as "
                   "a residential street open to all modes", file=src.shown)
    else:
        words = lines[column].astype("string").str.strip().str.lower()
        not_roads = words.isin(NOT_ROADS).fillna(False).to_numpy(dtype=bool)
        if not_roads.any():
            kinds = ", ".join(f"{k} {n}" for k, n in words[not_roads].value_counts().items())
            report.add("info", "roads", f"{int(not_roads.sum())} line(s) that are not usable "
                       f"roads were left out ({kinds})", file=src.shown, column=column,
                       count=int(not_roads.sum()))
            lines = lines.loc[~not_roads]
            if len(lines) == 0:
                raise DataError("the roads layer holds no usable roads", file=src.shown,
                                layer="roads", fix="Give existing roads (highway=residential, "
                                "primary, footway, …)")
    return RoadNetwork.from_lines(lines.to_crs(crs), highway_column=column,
                                  oneway_column="oneway", source=src.shown)


def _check_overlap(communities: gpd.GeoDataFrame, roads: RoadNetwork, *, file: str) -> None:
    if roads.n_nodes == 0:
        raise DataError("the road network has no roads", file=file, layer="roads",
                        fix="Give the roads of the study area")
    area = shapely.box(*communities.total_bounds)
    if not area.intersects(shapely.box(*roads.bounds)):
        raise DataError("the roads do not overlap the communities at all", file=file,
                        layer="roads", fix="Give the roads of the same area, or check the "
                        "coordinate systems of both layers")
