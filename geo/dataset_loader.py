"""Load a data set (communities, facilities, population, candidates, roads) into one metric CRS.

A data set is a folder whose files are named after their layers (``communities.geojson``,
``facilities.csv``, ``roads.osm.pbf`` …, or the names of :data:`geo.schema.LAYER_ALIASES` such as
``社区.shp``), a GeoPackage whose layers carry those names (alone or in such a folder), or a zip
of either. An optional ``dataset.toml`` gives the name, titles, attribution, notes, which file or
GeoPackage layer holds which layer (a table ``[layers]``, e.g. ``communities = "shequ"``), the
coordinate system of lon/lat layers and the analysis CRS (``crs = "utm"`` by default,
``"cgcs2000_gk"`` or an EPSG code).

Coordinate systems: the system chosen (``coords = "gcj02"`` in ``dataset.toml``, the
``--coords`` option or the app's selector, which wins over the file) applies to every lon/lat
layer, road lines included. OpenStreetMap data stay WGS84: ``.osm``/``.osm.pbf``/``.graphml``
files always, and road lines with OpenStreetMap's columns (``osm_id``, Geofabrik's ``fclass``)
unless said otherwise. A table ``[coords]`` sets single layers apart and wins over the chosen
system: ``[coords]`` with ``default = "gcj02"`` and ``roads = "wgs84"``.

Examples
--------
>>> from geo.dataset_loader import load_dataset
>>> ds = load_dataset("data/xian")  # doctest: +SKIP
>>> ds.crs.to_epsg(), len(ds.communities)  # doctest: +SKIP
(32649, 120)
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS

from geo import _validate
from geo._errors import DataError
from geo._files import read_regular_bytes, require_regular_file
from geo.coords import cgcs2000_gk_crs, check_system, metric_crs_for, to_wgs84
from geo.dataset import LAYERS, Dataset, ValidationReport
from geo.network import RoadNetwork
from geo.readers import VECTOR_SUFFIXES, descend_single_folder, extracted, list_layers, read_vector
from geo.schema import LAYER_ALIASES, layer_of_name
from geo.settings import LIMITS

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
              "demo_label_en", "targets", "crs", "layers",
              "census_code", "census_whole_county"}  # read by planning.access.groups
#: Columns that mark road lines exported from OpenStreetMap (WGS84 by definition).
OSM_ROAD_COLUMNS: tuple[str, ...] = ("osm_id", "fclass")


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
    layer = layer_of_name(stem)
    if layer is None:
        return None
    suffixes = name[len(stem):]
    if layer == "roads" and suffixes.endswith(ROAD_FILE_SUFFIXES):
        return layer
    if suffixes in VECTOR_SUFFIXES or suffixes in (".zip", ".shp.zip"):
        return layer
    return None


def _entries(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if not p.name.startswith(".") and not p.is_dir())


def _gpkg_layers(folder: Path) -> dict[Path, list[str]]:
    return {p: list_layers(p) for p in _entries(folder)
            if p.suffix.lower() == ".gpkg" and p.is_file()}


def inventory(folder: Path) -> list[str]:
    """What a folder holds, as the messages name it: files, and the layers of GeoPackages."""
    gpkgs = _gpkg_layers(folder)
    return [f"{p.name} (layers {', '.join(gpkgs[p]) or 'none'})" if p in gpkgs else p.name
            for p in _entries(folder)]


def find_layers(folder: Path, *, mapping: dict[str, str] | None = None) -> dict[str, LayerSource]:
    """Layer sources in a folder: files named after layers, and GeoPackage layers.

    Names are the layers' own or those of :data:`geo.schema.LAYER_ALIASES` (``社区``,
    ``sheshi`` …); ``mapping`` (``[layers]`` of ``dataset.toml``) names the file or GeoPackage
    layer of a layer explicitly and wins over names.
    """
    found: dict[str, list[LayerSource]] = {}
    gpkgs = _gpkg_layers(folder)
    for path in _entries(folder):
        layer = _layer_of_file(path)
        if layer is not None:
            require_regular_file(path)  # a FIFO named facilities.csv would block the reader
            found.setdefault(layer, []).append(LayerSource(layer, path))
        elif path in gpkgs:
            for inner in gpkgs[path]:
                inner_layer = layer_of_name(inner)
                if inner_layer is not None:
                    found.setdefault(inner_layer, []).append(LayerSource(inner_layer, path, inner))
    for layer, target in (mapping or {}).items():
        found[layer] = [_mapped_source(folder, layer, target, gpkgs)]
    sources: dict[str, LayerSource] = {}
    for layer, options in found.items():
        if len(options) > 1:
            raise DataError(f"the {layer} layer is given twice ("
                            + " and ".join(o.shown for o in options) + ")", file=folder.name,
                            fix=f"Keep one of them, or say which in dataset.toml: [layers] "
                            f"{layer} = \"{options[0].inner_layer or options[0].path.name}\"")
        sources[layer] = options[0]
    return sources


def _mapped_source(folder: Path, layer: str, target: str,
                   gpkgs: dict[Path, list[str]]) -> LayerSource:
    # Only names of the folder's own files count: no paths, and nothing probed on disk.
    named = {p.name: p for p in _entries(folder)}
    if target in named:
        require_regular_file(named[target])
        return LayerSource(layer, named[target])
    holders = [(p, inner) for p, names in gpkgs.items() for inner in names if inner == target]
    if len(holders) == 1:
        return LayerSource(layer, *holders[0])
    raise DataError(f"[layers] {layer} = \"{target}\" names no file and no GeoPackage layer of "
                    f"the data set (found: {', '.join(inventory(folder)) or 'nothing'})",
                    file="dataset.toml", fix="Give a file name of the folder or a layer name of "
                    "its GeoPackage")


def _check_mapping(meta: dict[str, Any]) -> dict[str, str]:
    mapping = meta.get("layers", {})
    if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
        raise DataError("'layers' must be a table of layer = \"file or GeoPackage layer\"",
                        file="dataset.toml", fix='Write [layers] and below it communities = "shequ"')
    unknown = sorted(set(mapping) - set(LAYERS))
    if unknown:
        raise DataError(f"[layers] names unknown layer(s) {unknown}", file="dataset.toml",
                        fix="Use layer names: " + ", ".join(LAYERS))
    return dict(mapping)


def _read_toml(folder: Path) -> dict[str, Any]:
    path = folder / "dataset.toml"
    if not path.exists() and not path.is_symlink():
        return {}
    data = read_regular_bytes(path, max_bytes=LIMITS.max_toml_bytes)
    try:
        meta = tomllib.loads(data.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DataError(key="toml.unreadable", file=path.name,
                        values={"detail": " ".join(str(exc).split())}) from None
    for key in ("attribution", "notes"):
        value = meta.get(key, [])
        if isinstance(value, str):
            meta[key] = [value]
        elif not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            raise DataError(f"'{key}' must be a list of texts", file=path.name,
                            fix=f'Write {key} = ["…", "…"]')
    for key in ("name", "title_zh", "title_en", "demo_label_zh", "demo_label_en", "targets"):
        if key in meta and not isinstance(meta[key], str):
            raise DataError(f"'{key}' must be a text", file=path.name, fix=f'Write {key} = "…"')
    return meta


@dataclass(frozen=True)
class CoordsPlan:
    """The coordinate system of each lon/lat layer: one chosen system, and layers set apart."""

    default: str = "wgs84"
    per_layer: tuple[tuple[str, str], ...] = ()

    def system(self, layer: str) -> str:
        return dict(self.per_layer).get(layer, self.default)

    def explicit(self, layer: str) -> bool:
        return layer in dict(self.per_layer)


def coords_plan(chosen: str | Mapping[str, str] | None, setting: Any) -> CoordsPlan:
    """Combine the chosen system (option or app) with ``coords`` of ``dataset.toml``.

    ``setting`` is a system for every lon/lat layer, or a table with ``default`` and one entry
    per layer. The chosen system replaces the file's ``default``; per-layer entries (of the
    file, or of ``chosen`` when it is a mapping) stay, so ``roads = "wgs84"`` keeps OSM roads
    apart whatever is chosen.
    """
    def table(value: Any, where: str) -> dict[str, str]:
        if value is None:
            return {}
        if isinstance(value, Mapping):
            unknown = set(value) - set(LAYERS) - {"default"}
            if unknown:
                raise DataError(f"coords names unknown layer(s) {sorted(unknown)}", file=where,
                                fix="Use layer names: " + ", ".join(LAYERS) + " (or default)")
            return {k: check_system(v, where=f"coords.{k}") for k, v in value.items()}
        return {"default": check_system(value, where="coords" if where == "dataset.toml"
                                        else where)}

    merged = table(setting, "dataset.toml")
    given = table(chosen, "--coords")
    if "default" in given:
        merged["default"] = given["default"]
    merged.update({k: v for k, v in given.items() if k != "default"})
    default = merged.pop("default", "wgs84")
    return CoordsPlan(default, tuple(sorted(merged.items())))


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
def load_dataset(path: str | Path, *, coords: str | Mapping[str, str] | None = None) -> Dataset:
    """Read, validate and project every layer of a data set.

    Parameters
    ----------
    path : str or Path
        A folder (files named after layers and/or a GeoPackage with layers named after them,
        optional ``dataset.toml``), a single GeoPackage, or a zip of a folder.
    coords : {"wgs84", "cgcs2000", "gcj02", "bd09"} or mapping, optional
        Coordinate system of every lon/lat layer, road lines included (OpenStreetMap data stay
        WGS84, see the module notes); replaces ``coords`` (or its ``default``) in
        ``dataset.toml``, whose per-layer entries stay. A mapping (``{"default": "gcj02",
        "roads": "wgs84"}``) also sets layers apart.

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
        raise DataError("no such file or folder", file=str(path), key="file.not_found",
                        fix="Check the path")
    suffix = path.suffix.lower()
    if path.is_dir():
        return _load_folder(path, coords=coords, source=path)
    require_regular_file(path)
    if suffix == ".zip":
        with extracted(path) as folder:
            return _load_folder(descend_single_folder(folder), coords=coords, source=path)
    if suffix == ".gpkg":
        meta = _read_toml(path.parent)  # a dataset.toml beside the GeoPackage describes it
        mapping = _check_mapping(meta)
        names = list_layers(path)
        sources = {}
        for inner in names:
            layer = layer_of_name(inner)
            if layer is not None and layer not in mapping:
                sources.setdefault(layer, LayerSource(layer, path, inner))
        for layer, inner in mapping.items():
            if inner not in names:
                raise DataError(f"[layers] {layer} = \"{inner}\" is not a layer of {path.name} "
                                f"(layers: {', '.join(names) or 'none'})", file="dataset.toml",
                                fix="Give one of the GeoPackage's layer names")
            sources[layer] = LayerSource(layer, path, inner)
        found = [f"{path.name} (layers {', '.join(names) or 'none'})"]
        return _load_sources(sources, meta=meta, coords=coords, source=path,
                             default_name=path.stem, found=found)
    raise DataError(key="dataset.not_a_dataset", file=path.name)


def _load_folder(folder: Path, *, coords: str | Mapping[str, str] | None,
                 source: Path) -> Dataset:
    meta = _read_toml(folder)
    sources = find_layers(folder, mapping=_check_mapping(meta))
    return _load_sources(sources, meta=meta, coords=coords, source=source,
                         default_name=source.stem if source.suffix else source.name,
                         found=inventory(folder))


def _not_found(missing: list[str], sources: dict[str, LayerSource], found: list[str], *,
               source: Path) -> DataError:
    names = "; ".join(f"{layer}: {'/'.join(LAYER_ALIASES[layer][:4])}" for layer in missing)
    recognised = {src.path.name for src in sources.values()}
    others = [f for f in found if f not in recognised]
    return DataError(key="dataset.missing_layers", file=source.name, values={
        "missing_layers": missing, "first": missing[0], "names": names,
        "recognised": [src.shown for src in sources.values()] or ["none"],
        "others": others})


def _load_sources(sources: dict[str, LayerSource], *, meta: dict[str, Any],
                  coords: str | Mapping[str, str] | None, source: Path, default_name: str,
                  found: list[str]) -> Dataset:
    missing = [layer for layer in REQUIRED_LAYERS if layer not in sources]
    if missing:
        raise _not_found(missing, sources, found, source=source)
    report = ValidationReport()
    plan = coords_plan(coords, meta.get("coords"))
    for key in sorted(set(meta) - _TOML_KEYS):
        report.add("info", "dataset", key="toml.unused_key", file="dataset.toml",
                   values={"key": key})
    aliased = [[src.shown, layer] for layer, src in sources.items()
               if (src.inner_layer or src.path.name.split(".")[0]).lower() != layer]
    if aliased:
        report.add("info", "dataset", key="layers.aliased", values={"renames": aliased})

    raw: dict[str, gpd.GeoDataFrame] = {}
    for layer in ("communities", "facilities", "population", "candidates"):
        if layer in sources:
            src = sources[layer]
            raw[layer] = read_vector(src.path, layer=src.inner_layer, coords=plan.system(layer),
                                     report=report, layer_name=layer)
    geoms = raw["communities"].geometry
    if len(geoms) == 0 or bool((geoms.isna() | geoms.is_empty).all()):
        raise DataError(key="communities.none", file=sources["communities"].shown,
                        layer="communities")
    crs = _choose_crs(meta.get("crs"), raw["communities"], file="dataset.toml")

    def projected(layer: str) -> gpd.GeoDataFrame:
        return raw[layer].to_crs(crs)

    shown = {layer: src.shown for layer, src in sources.items()}
    communities = _validate.validate_communities(projected("communities"), report=report,
                                                 file=shown["communities"])
    facilities = _validate.validate_facilities(projected("facilities"), report=report,
                                               file=shown["facilities"])
    roads, road_coords = _read_road_layer(sources["roads"], crs=crs, plan=plan, report=report)
    _check_overlap(communities, roads, file=shown["roads"])

    notes = list(meta.get("notes", []))
    if "population" in raw:
        population = _validate.validate_population(projected("population"), communities,
                                                   report=report, file=shown["population"])
    else:
        population = _validate.population_from_communities(communities, report=report)
        notes.append(SPREAD_NOTE)
        report.add("info", "population", key="population.spread", count=len(population))
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
                "coords": raw[layer].attrs.get("coords") if layer in raw else road_coords}
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


def _read_road_layer(src: LayerSource, *, crs: CRS, plan: CoordsPlan,
                     report: ValidationReport) -> tuple[RoadNetwork, str]:
    """The road network and the coordinate system its lon/lat numbers were read in."""
    name = src.path.name.lower()
    system = plan.system("roads")
    if src.inner_layer is None and name.endswith(ROAD_FILE_SUFFIXES):
        # OpenStreetMap files are WGS84 by definition; the coords setting does not apply.
        from geo.roads import read_roads  # the OSM parser loads only when an OSM file is given

        if system not in ("wgs84", "cgcs2000"):
            report.add("info", "roads", key="coords.osm_file", file=src.shown,
                       values={"system": system})
        network = read_roads(src.path, crs=crs)
        if network.missing_nodes:
            report.add("warning", "roads", key="roads.missing_nodes", file=src.shown,
                       count=network.incomplete_ways,
                       values={"ways": network.incomplete_ways, "nodes": network.missing_nodes,
                               "segments": network.dropped_segments,
                               "then": ["roads.missing_nodes.fix"]})
        return network, "wgs84"
    lines = read_vector(src.path, layer=src.inner_layer, coords="wgs84", report=report,
                        layer_name="roads")
    if lines.attrs.get("lonlat") and system in ("gcj02", "bd09"):
        osm = next((c for c in OSM_ROAD_COLUMNS if c in lines.columns), None)
        if osm is not None and not plan.explicit("roads"):
            report.add("info", "roads", key="coords.osm_roads", file=src.shown,
                       values={"system": system, "column": osm})
        else:
            lines = to_wgs84(lines, system)
            lines.attrs["coords"] = system
    geoms = lines.geometry.to_numpy()
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    is_line = present & (shapely.get_dimensions(geoms) == 1)
    if not is_line.any():
        raise DataError(key="roads.no_lines", file=src.shown, layer="roads")
    if (~is_line).any():
        report.add("warning", "roads", key="roads.not_lines", file=src.shown,
                   count=int((~is_line).sum()), values={"n": int((~is_line).sum())})
    used = str(lines.attrs.get("coords", "wgs84"))
    lines = lines.loc[is_line]
    column = next((c for c in _HIGHWAY_COLUMNS if c in lines.columns), None)
    if column is None:
        report.add("warning", "roads", key="roads.no_class", file=src.shown)
    else:
        words = lines[column].astype("string").str.strip().str.lower()
        not_roads = words.isin(NOT_ROADS).fillna(False).to_numpy(dtype=bool)
        if not_roads.any():
            kinds = [[str(k), int(n)] for k, n in words[not_roads].value_counts().items()]
            report.add("info", "roads", key="roads.not_roads", file=src.shown, column=column,
                       count=int(not_roads.sum()), values={"n": int(not_roads.sum()),
                                                           "kinds": kinds})
            lines = lines.loc[~not_roads]
            if len(lines) == 0:
                raise DataError("the roads layer holds no usable roads", file=src.shown,
                                layer="roads", fix="Give existing roads (highway=residential, "
                                "primary, footway, …)")
    return RoadNetwork.from_lines(lines.to_crs(crs), highway_column=column,
                                  oneway_column="oneway", source=src.shown), used


def _check_overlap(communities: gpd.GeoDataFrame, roads: RoadNetwork, *, file: str) -> None:
    if roads.n_nodes == 0:
        raise DataError(key="roads.none", file=file, layer="roads")
    area = shapely.box(*communities.total_bounds)
    if not area.intersects(shapely.box(*roads.bounds)):
        raise DataError(key="roads.no_overlap", file=file, layer="roads")
