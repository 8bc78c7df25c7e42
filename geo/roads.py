"""Read road networks from OSM files, GraphML and line layers, or download them with osmnx.

Every reader returns a :class:`geo.network.RoadNetwork` in the metric CRS the caller asks for,
with every vertex of every road as a node so that edges are straight segments. Parsing a
``.osm.pbf`` is the slow step of loading a city, so built networks are cached as ``.npz``
files keyed by the file's SHA-256, the target CRS and :data:`READER_VERSION`.

Examples
--------
>>> from geo.roads import read_roads
>>> net = read_roads("../shared/data/europe_osm/Helsinki.osm.pbf", crs="EPSG:32635")
>>> net.n_nodes > 5000
True
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from array import array
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Geod, Transformer

from geo._errors import DataError, NetworkUnavailableError
from geo.network import RoadNetwork, highway_code
from geo.readers import list_layers, read_vector

#: Bump when a reader changes what it builds, so that stale cache files are not used.
READER_VERSION = "2"

#: ``highway=*`` values that are not usable roads (planned, closed, indoor or not a way at all).
EXCLUDED_HIGHWAYS: frozenset[str] = frozenset({
    "proposed", "construction", "abandoned", "disused", "planned", "razed", "no",
    "platform", "raceway", "bus_guideway", "elevator", "corridor", "escalator",
    "rest_area", "services", "bus_stop", "emergency_bay",
})
_NO_ACCESS = frozenset({"private", "no"})
_ALLOWS = frozenset({"yes", "designated", "permissive", "destination"})
_ONEWAY_YES = frozenset({"yes", "1", "true"})
_ONEWAY_REVERSE = frozenset({"-1", "reverse"})
_OSM_SUFFIXES = (".osm.pbf", ".osm.bz2", ".osm.gz", ".pbf", ".osm")
_LINE_SUFFIXES = (".gpkg", ".shp", ".zip", ".geojson", ".json", ".fgb", ".gml")
_HIGHWAY_COLUMNS = ("highway", "fclass")
_WGS84_GEOD = Geod(ellps="WGS84")
# Fail fast when offline; a real Overpass download of a district takes far less than this.
DOWNLOAD_TIMEOUT_S = 10


# ---------------------------------------------------------------------------------- public
def read_roads(
    path: str | os.PathLike[str],
    *,
    crs: CRS | str | int,
    layer: str | None = None,
    coords: str | None = None,
    cache: bool = True,
) -> RoadNetwork:
    """Read a road network file into a :class:`RoadNetwork` in ``crs``.

    Parameters
    ----------
    path : path-like
        ``.osm`` / ``.osm.pbf`` (OpenStreetMap), ``.graphml`` (osmnx) or a line layer
        (GeoPackage, Shapefile, zipped Shapefile, GeoJSON) with a ``highway`` or Geofabrik
        ``fclass`` column and an optional ``oneway`` column.
    crs : CRS-like
        Metric CRS of the result (the data set's UTM zone or Gauss-Krüger zone).
    layer : str, optional
        Layer of a multi-layer line file; default the only layer, or the one named ``roads``.
    coords : str, optional
        Coordinate system of a lon/lat line layer (``wgs84``, ``cgcs2000``, ``gcj02``, ``bd09``).
    cache : bool, default True
        Reuse (and write) the ``.npz`` cache under ``$SERVICE_CIRCLES_CACHE`` or
        ``~/.cache/service-circles``.

    Returns
    -------
    RoadNetwork

    Raises
    ------
    geo._errors.DataError
        Unknown file type, unreadable file, or no roads in it.
    """
    path = Path(path)
    target = _metric_crs(crs, file=path)
    if not path.exists():
        raise DataError("the road file does not exist", file=path,
                        fix="Check the path, or choose the file again")
    kind = _file_kind(path)
    cache_file = None
    if cache:
        cache_file = _cache_path(path, target, extra=f"{kind}|{layer}|{coords}")
        cached = _load_cached(cache_file, path)
        if cached is not None:
            return cached
    if kind == "osm":
        network = _read_osm(path, target)
    elif kind == "graphml":
        network = _read_graphml(path, target)
    else:
        network = network_from_lines(_read_line_layer(path, layer=layer, coords=coords),
                                      crs=target, source=path.name, file=path)
    if network.n_edges == 0:
        raise DataError("the file contains no usable roads (no ways with a highway tag)", file=path,
                        fix="Export the roads (highway=*) of the study area into this file")
    if cache_file is not None:
        _save_cached(network, cache_file)
    return network


def network_from_lines(
    lines: gpd.GeoDataFrame,
    *,
    crs: CRS | str | int,
    source: str = "",
    file: str | os.PathLike[str] | None = None,
) -> RoadNetwork:
    """Build a network from road lines with a ``highway`` (or Geofabrik ``fclass``) column.

    Lines are projected to ``crs`` and split at every shared vertex; lines that cross without
    a shared vertex (bridges, tunnels) stay unconnected. Non-road classes
    (:data:`EXCLUDED_HIGHWAYS`) are left out.
    """
    where = file if file is not None else (source or None)
    target = _metric_crs(crs, file=where)
    if lines.crs is None:
        raise DataError("the road layer has no coordinate reference system", file=where,
                        fix="Add the .prj file (Shapefile) or save the layer with its CRS")
    column = next((c for c in _HIGHWAY_COLUMNS if c in lines.columns), None)
    if column is None:
        raise DataError("the road layer has no 'highway' or 'fclass' column", file=where,
                        fix="Add a 'highway' column with OSM road classes (residential, primary, footway, …)")
    lines = lines[lines.geometry.notna() & ~lines.geometry.is_empty]
    kind = shapely.get_type_id(lines.geometry.to_numpy())
    lines = lines[(kind == 1) | (kind == 5)]  # LineString, MultiLineString
    words = _highway_words(lines[column])
    lines = lines.assign(highway=words)[~words.isin(EXCLUDED_HIGHWAYS).to_numpy()]
    if len(lines) == 0:
        raise DataError("the road layer has no road lines", file=where,
                        fix="Use a layer of road centre lines (LineString) with highway classes")
    lines = lines.to_crs(target)
    oneway = "oneway" if "oneway" in lines.columns else None
    return RoadNetwork.from_lines(lines, highway_column="highway", oneway_column=oneway, source=source)


def download_roads(
    polygon_wgs84: Any,
    *,
    crs: CRS | str | int,
    network_type: str = "all",
) -> RoadNetwork:
    """Download the roads inside a polygon from OpenStreetMap (Overpass) with osmnx.

    Parameters
    ----------
    polygon_wgs84 : shapely Polygon or MultiPolygon
        Study area in lon/lat (WGS84).
    crs : CRS-like
        Metric CRS of the result.
    network_type : str, default "all"
        osmnx network type (``all``, ``walk``, ``bike``, ``drive``).

    Raises
    ------
    geo._errors.NetworkUnavailableError
        The Overpass service cannot be reached (no internet, firewall, intranet).
    """
    import osmnx as ox
    import requests

    target = _metric_crs(crs, file=None)
    if polygon_wgs84 is None or shapely.is_empty(polygon_wgs84) or not shapely.is_valid(polygon_wgs84):
        raise DataError("the study area polygon for the road download is empty or invalid",
                        fix="Draw or load a valid study-area polygon in lon/lat")
    saved = (ox.settings.requests_timeout, ox.settings.cache_folder, ox.settings.log_console)
    ox.settings.requests_timeout = DOWNLOAD_TIMEOUT_S
    ox.settings.cache_folder = str(cache_dir() / "osmnx")
    ox.settings.log_console = False
    try:
        # osmnx sleeps 60 s when it cannot read the Overpass status; probe it first so that
        # an offline machine gets its answer at once.
        requests.get(ox.settings.overpass_url.rstrip("/") + "/status",
                     timeout=DOWNLOAD_TIMEOUT_S, headers={"User-Agent": "service-circles"})
        graph = ox.graph_from_polygon(polygon_wgs84, network_type=network_type, simplify=False,
                                      retain_all=True, truncate_by_edge=True)
    except (requests.exceptions.RequestException, OSError, TimeoutError) as exc:
        raise NetworkUnavailableError(
            f"could not reach the OpenStreetMap Overpass service ({type(exc).__name__}); "
            "this machine seems to be offline",
            fix="Download the roads on a machine with internet access (or export them from OSM) "
                "and load the file instead",
        ) from exc
    except ox._errors.InsufficientResponseError as exc:
        raise DataError("OpenStreetMap has no roads inside the study area",
                        fix="Check that the polygon is in lon/lat (WGS84) and covers the town") from exc
    finally:
        ox.settings.requests_timeout, ox.settings.cache_folder, ox.settings.log_console = saved
    return _network_from_graph(graph, target, source="OpenStreetMap (downloaded)", file=None)


def cache_dir() -> Path:
    """Folder of cached networks: ``$SERVICE_CIRCLES_CACHE`` or ``~/.cache/service-circles``."""
    env = os.environ.get("SERVICE_CIRCLES_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "service-circles"


# ---------------------------------------------------------------------------------- OSM files
def _read_osm(path: Path, crs: CRS) -> RoadNetwork:
    import osmium

    refs = array("q")
    lons = array("d")
    lats = array("d")
    way_sizes = array("q")
    classes: list[str] = []
    oneway = array("b")
    try:
        processor = (
            osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
            .with_locations()  # runs before the filters, so every node location is stored
            .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
            .with_filter(osmium.filter.KeyFilter("highway"))
        )
        for way in processor:
            tags = way.tags
            highway = tags.get("highway", "")
            if not _usable_way(highway, tags):
                continue
            direction = _osm_oneway(tags)
            nodes = way.nodes
            count = 0
            for node in nodes:
                location = node.location
                refs.append(node.ref)
                if location.valid():
                    lons.append(location.lon)
                    lats.append(location.lat)
                else:  # node missing from a clipped extract: edges touching it are dropped
                    lons.append(np.nan)
                    lats.append(np.nan)
                count += 1
            way_sizes.append(count)
            classes.append(highway)
            oneway.append(direction)
    except (RuntimeError, OSError, ValueError, osmium.InvalidLocationError) as exc:
        raise DataError(f"cannot read the OpenStreetMap file ({exc})", file=path,
                        fix="Export it again as .osm (XML) or .osm.pbf") from exc
    return _network_from_way_nodes(
        path,
        crs,
        refs=np.frombuffer(refs, dtype=np.int64),
        lon=np.frombuffer(lons, dtype=np.float64),
        lat=np.frombuffer(lats, dtype=np.float64),
        way_sizes=np.frombuffer(way_sizes, dtype=np.int64),
        classes=classes,
        oneway=np.frombuffer(oneway, dtype=np.int8),
    )


def _usable_way(highway: str, tags: Any) -> bool:
    if not highway or highway in EXCLUDED_HIGHWAYS or tags.get("area", "no") == "yes":
        return False
    if tags.get("access", "") in _NO_ACCESS:
        # A private road with a public footpath or cycle right still serves residents.
        return tags.get("foot", "") in _ALLOWS or tags.get("bicycle", "") in _ALLOWS
    return True


def _osm_oneway(tags: Any) -> int:
    value = tags.get("oneway", "").strip().lower()
    if value in _ONEWAY_YES:
        return 1
    if value in _ONEWAY_REVERSE:
        return -1
    if value == "" and tags.get("junction", "") in ("roundabout", "circular"):
        return 1  # roundabouts are one-way without saying so
    return 0


def _network_from_way_nodes(
    path: Path,
    crs: CRS,
    *,
    refs: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    way_sizes: np.ndarray,
    classes: list[str],
    oneway: np.ndarray,
) -> RoadNetwork:
    if len(way_sizes) == 0:
        raise DataError("the file contains no usable roads (no ways with a highway tag)", file=path,
                        fix="Export the roads (highway=*) of the study area into this file")
    unique_refs, first, node_of = np.unique(refs, return_index=True, return_inverse=True)
    node_lon, node_lat = lon[first], lat[first]
    way_of = np.repeat(np.arange(len(way_sizes)), way_sizes)
    same_way = way_of[1:] == way_of[:-1]
    seg_u, seg_v = node_of[:-1][same_way], node_of[1:][same_way]
    seg_way = way_of[:-1][same_way]
    located = np.isfinite(node_lon[seg_u]) & np.isfinite(node_lon[seg_v])
    # Ways of a clipped extract refer to nodes outside it: count what is lost, for the report.
    absent = ~np.isfinite(node_lon)
    incomplete = {"incomplete_ways": int(len(np.unique(way_of[absent[node_of]]))),
                  "missing_nodes": int(absent.sum()),
                  "dropped_segments": int((~located).sum())}
    seg_u, seg_v, seg_way = seg_u[located], seg_v[located], seg_way[located]
    # Only nodes that end up on an edge become network nodes.
    used = np.zeros(len(unique_refs), dtype=bool)
    used[seg_u] = True
    used[seg_v] = True
    renumber = np.cumsum(used) - 1
    seg_u, seg_v = renumber[seg_u], renumber[seg_v]
    node_lon, node_lat = node_lon[used], node_lat[used]
    if len(node_lon) == 0:
        raise DataError("the roads in the file have no node locations", file=path,
                        fix="Export the file with its nodes (e.g. osmium extract --strategy complete_ways)")
    # Geodesic lengths: a UTM plane stretches distances by up to 0.1 % away from its meridian.
    _, _, length = _WGS84_GEOD.inv(node_lon[seg_u], node_lat[seg_u], node_lon[seg_v], node_lat[seg_v])
    x, y = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(node_lon, node_lat)
    direction = oneway[seg_way]
    u = np.where(direction == -1, seg_v, seg_u)
    v = np.where(direction == -1, seg_u, seg_v)
    return RoadNetwork.from_arrays(
        crs=crs,
        node_x=np.asarray(x),
        node_y=np.asarray(y),
        edge_u=u,
        edge_v=v,
        edge_class=highway_code(np.asarray(classes, dtype=object))[seg_way],
        edge_oneway=direction != 0,
        edge_length_m=np.asarray(length),
        source=path.name,
    ).with_incomplete(**incomplete)


# ---------------------------------------------------------------------------------- GraphML
def _read_graphml(path: Path, crs: CRS) -> RoadNetwork:
    import osmnx as ox

    try:
        graph = ox.load_graphml(path)
    except Exception as exc:  # networkx/lxml raise many types for a broken file
        raise DataError(f"cannot read the GraphML file ({type(exc).__name__}: {exc})", file=path,
                        fix="Save the graph again with osmnx.save_graphml") from exc
    return _network_from_graph(graph, crs, source=path.name, file=path)


def _network_from_graph(graph: Any, crs: CRS, *, source: str, file: Path | None) -> RoadNetwork:
    """Explode the edges of an osmnx graph (with or without edge geometry) into straight segments."""
    graph_crs = graph.graph.get("crs")
    if graph_crs is None:
        raise DataError("the graph has no 'crs' attribute", file=file,
                        fix="Save the graph with osmnx, which records its CRS")
    node_xy = {n: (float(d["x"]), float(d["y"])) for n, d in graph.nodes(data=True)}
    geoms = []
    highway = []
    oneway = []
    for u, v, data in graph.edges(data=True):
        geom = data.get("geometry")
        if geom is None:
            geom = shapely.LineString([node_xy[u], node_xy[v]])
        geoms.append(geom)
        highway.append(data.get("highway", "other"))
        # osmnx stores the direction of one-way edges in the edge itself (u -> v).
        oneway.append("yes" if _truthy(data.get("oneway", False)) else "no")
    if not geoms:
        raise DataError("the graph has no edges", file=file,
                        fix="Export a road graph with edges (osmnx graph_from_*)")
    lines = gpd.GeoDataFrame({"highway": highway, "oneway": oneway}, geometry=geoms, crs=graph_crs)
    lines["highway"] = _highway_words(lines["highway"])
    return network_from_lines(lines, crs=crs, source=source, file=file)


def _truthy(value: Any) -> bool:
    if isinstance(value, (list, tuple)):
        return any(_truthy(v) for v in value)
    if isinstance(value, str):
        return value.strip().lower() in _ONEWAY_YES
    return bool(value)


# ---------------------------------------------------------------------------------- line layers
def _read_line_layer(path: Path, *, layer: str | None, coords: str | None) -> gpd.GeoDataFrame:
    """Read a line layer with the shared vector reader (encodings, zips, lon/lat systems)."""
    if layer is None and path.suffix.lower() == ".gpkg":
        names = list_layers(path)
        # A whole data set in one GeoPackage keeps its roads in the layer named "roads".
        if len(names) > 1 and "roads" in names:
            layer = "roads"
    return read_vector(path, layer=layer, coords=coords, layer_name="roads")


def _highway_words(values: pd.Series) -> pd.Series:
    first = values.map(lambda v: v[0] if isinstance(v, (list, tuple)) and v else v)
    words = first.astype("string").str.strip().str.lower().fillna("other")
    # Geofabrik writes track grades as track_grade1..5.
    return words.str.replace(r"^track_grade\d$", "track", regex=True).astype(object)


# ---------------------------------------------------------------------------------- helpers
def _file_kind(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(_OSM_SUFFIXES):
        return "osm"
    if name.endswith(".graphml"):
        return "graphml"
    if name.endswith(_LINE_SUFFIXES):
        return "lines"
    raise DataError(f"unknown road file type '{path.suffix or path.name}'", file=path,
                    fix="Use .osm, .osm.pbf, .graphml, or a line layer (.gpkg, .shp, .zip, .geojson)")


def _metric_crs(crs: CRS | str | int, *, file: Any) -> CRS:
    try:
        target = CRS.from_user_input(crs)
    except Exception as exc:
        raise DataError(f"unknown coordinate reference system {crs!r}", file=file,
                        fix="Give an EPSG code of a metric CRS, e.g. EPSG:32650") from exc
    if not target.is_projected:
        raise DataError(f"the road network needs a metric (projected) CRS, not {target.name}",
                        file=file, fix="Use the data set's UTM zone or Gauss-Krüger zone")
    return target


def _file_sha256(path: Path) -> str:
    """SHA-256 of the file, and of a Shapefile's attribute, index and projection files too."""
    digest = hashlib.sha256()
    parts = [path]
    if path.suffix.lower() == ".shp":
        parts += sorted(p for p in path.parent.glob(path.stem + ".*")
                        if p.suffix.lower() in (".dbf", ".shx", ".prj", ".cpg"))
    for part in parts:
        digest.update(part.suffix.lower().encode())
        with part.open("rb") as fh:
            for block in iter(lambda fh=fh: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def _cache_path(path: Path, crs: CRS, *, extra: str) -> Path:
    key = hashlib.sha256(
        "|".join([_file_sha256(path), crs.to_wkt(), READER_VERSION, extra]).encode()
    ).hexdigest()
    return cache_dir() / f"roads-{key[:32]}.npz"


def _load_cached(cache_file: Path, path: Path) -> RoadNetwork | None:
    if not cache_file.exists():
        return None
    try:
        network = RoadNetwork.from_npz(cache_file)
    except Exception:  # truncated or foreign file: rebuild it
        return None
    n, m = network.n_nodes, network.n_edges
    arrays_ok = (
        len(network.node_y) == n
        and all(len(a) == m for a in (network.edge_v, network.edge_length_m,
                                      network.edge_class, network.edge_oneway))
        and m > 0
        and int(min(network.edge_u.min(), network.edge_v.min())) >= 0
        and int(max(network.edge_u.max(), network.edge_v.max())) < n
        and bool(np.isfinite(network.edge_length_m).all())
    )
    if not arrays_ok:
        return None
    network.source = path.name
    return network


def _save_cached(network: RoadNetwork, cache_file: Path) -> None:
    """Write the cache atomically; a read-only cache folder only costs the next parse."""
    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(suffix=".npz", dir=cache_file.parent)
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as fh:
            network.to_npz(fh)
        os.replace(tmp, cache_file)
    except OSError:
        Path(tmp).unlink(missing_ok=True)
