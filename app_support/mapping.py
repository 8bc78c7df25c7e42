"""Folium maps built from GeoDataFrames: coverage, facilities, circles, residents, sites.

Everything is drawn from layers computed by :mod:`planning`; this module only projects them to
longitude/latitude (shifted into GCJ-02 when the Amap base map is chosen), styles them and adds
the legend (:mod:`app_support.legend`). The default base layers (a plain background and the data
set's own roads) need no internet; tile base maps are added only when the user picks one.

A city is drawn the way web maps draw large data: the roads as tiles
(:mod:`app_support.tiles`), the service circle, travel-time surface, responsibility areas and
residents outside the circle as images (:mod:`app_support.map_images`), facilities clustered and
fetched only when their layer is shown (:mod:`app_support.map_elements`), all served from the
app's own static files; the communities stay vector data, simplified to the display scale, so
that a click on one opens its row. A small data set may still pass every layer as vector data.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element
from rasterio.transform import Affine

from app_support.i18n import category_label, column_label, t
from app_support.legend import (
    BEYOND_COLOR,
    CIRCLE_COLOR,
    COVERAGE_BREAKS,
    COVERAGE_COLORS,
    FAR_COLOR,
    HEAT_GRADIENT,
    LEGEND_WIDTH_PX,
    NO_DATA_COLOR,
    RING_COLORS,
    ROAD_COLORS,
    SITE_COLOR,
    categories_in,
    coverage_color,
    facility_icon_html,
    has_layer,
    legend_html,
    ring_colors,
    site_icon_html,
)
from app_support.map_elements import GeoJsonLayer, HtmlControl, ImageLayer, LayerControl, MetricScale, style_js
from app_support.map_images import classes_png
from app_support.offline import OfflineHeatMap, OfflineMap, RemoteJson
from app_support.tiles import MAJOR_CLASSES, TileSet
from geo.coords import wgs84_to_gcj02
from geo.taxonomy import CATEGORIES
from planning import columns as result_columns
from planning.output.styles import planner_number
from planning.texts import value_label

# Names the pages and tests use from here (their home is app_support.legend).
__all__ = ["BASEMAPS", "BEYOND_COLOR", "COVERAGE_BREAKS", "COVERAGE_COLORS", "FAR_COLOR", "NO_DATA_COLOR",
           "RING_COLORS", "MapLayers", "MapParts", "SurfaceImage", "build_map", "build_map_parts",
           "coverage_color", "facilities_json", "layer_json", "legend_html", "ring_colors", "road_lines",
           "surface_image", "to_display"]

BASEMAPS: tuple[str, ...] = ("none", "osm", "tianditu", "amap")
MAX_ZOOM = 19
#: Categories with more facilities than this are drawn as marker clusters.
CLUSTER_FROM = 100
_MAJOR = MAJOR_CLASSES
#: Map page CSS: the heat canvas lets clicks through to the communities, class images keep
#: their cells sharp when enlarged, popups are compact.
_CSS = ("<style>.leaflet-heatmap-layer{pointer-events:none}.pixelated{image-rendering:pixelated}"
        ".popup-table th,.popup-table td{font-size:12px;padding:1px 4px;vertical-align:top}"
        ".popup-table th{white-space:nowrap}.map-legend summary{outline:none}</style>")


def to_display(frame: gpd.GeoDataFrame, *, basemap: str = "none", decimals: int = 6) -> gpd.GeoDataFrame:
    """Longitude/latitude copy for Leaflet; GCJ-02 for Amap; coordinates rounded (~0.1 m)."""
    out = frame.to_crs(4326) if frame.crs is not None else frame.copy()
    geoms = out.geometry.to_numpy()
    if basemap == "amap":
        def shift(xy: np.ndarray) -> np.ndarray:
            lon, lat = wgs84_to_gcj02(xy[:, 0], xy[:, 1])
            return np.column_stack([lon, lat])

        geoms = shapely.transform(geoms, shift)
    geoms = shapely.transform(geoms, lambda xy: np.round(xy, decimals))
    return out.set_geometry(gpd.GeoSeries(geoms, index=out.index, crs=4326))


def _feature_collection(frame: gpd.GeoDataFrame, columns: Sequence[str] = ()) -> dict[str, Any]:
    """GeoJSON of ``frame`` with only ``columns`` as properties (JSON-safe values)."""
    props = pd.DataFrame(index=frame.index)
    for col in columns:
        if col not in frame.columns:
            continue
        values = frame[col]
        if pd.api.types.is_float_dtype(values):
            numbers = values.to_numpy(dtype=float)
            props[col] = pd.Series([round(float(v), 1) if np.isfinite(v) else None for v in numbers],
                                   index=frame.index, dtype=object)
        else:
            props[col] = pd.Series([None if _missing(v) else (v.item() if hasattr(v, "item") else v)
                                    for v in values], index=frame.index, dtype=object)
    geometry = shapely.to_geojson(frame.geometry.to_numpy())
    records = props.to_dict(orient="records")
    features = [
        {"type": "Feature", "properties": rec, "geometry": json.loads(geom)}
        for rec, geom in zip(records, geometry, strict=True)
        if geom is not None and geom != "null"
    ]
    return {"type": "FeatureCollection", "features": features}


def layer_json(frame: gpd.GeoDataFrame | None, columns: Sequence[str] = (), *, basemap: str = "none",
               simplify_m: float = 0.0, decimals: int = 6) -> str | None:
    """GeoJSON text of a layer for the map (``None`` when there is nothing to draw).

    Computing this once per data set and caching the text is what keeps redraws fast.
    """
    if frame is None or len(frame) == 0:
        return None
    frame = frame[~(frame.geometry.is_empty | frame.geometry.isna())]
    if len(frame) == 0:
        return None
    if simplify_m > 0:
        frame = frame.set_geometry(shapely.simplify(frame.geometry.to_numpy(), simplify_m))
    shown = to_display(frame, basemap="amap" if basemap == "amap" else "none", decimals=decimals)
    return json.dumps(_feature_collection(shown, columns), ensure_ascii=False, separators=(",", ":"))


Layer = gpd.GeoDataFrame | str | RemoteJson | None


@dataclass(frozen=True)
class SurfaceImage:
    """A layer drawn as a translucent image: its URL (a PNG data URL or a served file) and corners.

    ``bounds`` is ``[[south, west], [north, east]]`` in display longitude/latitude (GCJ-02 for
    Amap). ``file`` is the served file (:mod:`app_support.layer_store`), held while the image is.
    """

    url: str
    bounds: list[list[float]]
    file: object = field(default=None, compare=False, repr=False)


def png_url(data: bytes) -> str:
    """A PNG as a data URL (for images small enough to travel inside the page)."""
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def surface_image(classes: np.ndarray, transform: Affine, crs: Any, colors: Sequence[str], *,
                  basemap: str = "none", alpha: int = 140,
                  max_pixels: int = 2_000_000) -> SurfaceImage | None:
    """The class raster (0 transparent, 1… the ``colors``) as an image inside the page.

    The grid is resampled (nearest cell) to Web Mercator, the map's own projection, so that
    Leaflet can stretch it between two corners without distortion; large grids are sent at
    no more than ``max_pixels`` pixels (:func:`app_support.map_images.classes_png`).
    """
    drawn = classes_png(classes, transform, crs, colors, basemap=basemap, alpha=alpha, max_pixels=max_pixels)
    if drawn is None:
        return None
    return SurfaceImage(url=png_url(drawn[0]), bounds=drawn[1])


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # lists and arrays are values, not missing
        return False


@dataclass
class MapLayers:
    """What one map shows. Frames in any CRS with ``crs`` set, or GeoJSON text from :func:`layer_json`.

    ``communities`` carries ``value_column`` (share inside the circle, %) and the
    ``popup_columns`` of its indicator row (``popup_labels`` names those whose header depends on
    the data), simplified by ``simplify_m`` metres; ``uncovered`` carries ``population``;
    ``facilities`` is a frame with ``category`` or a mapping category → GeoJSON text or file
    (``facility_counts`` then gives their numbers, to cluster the dense ones).
    ``rings`` carries ``ring`` (1, 2, …), coloured as ``ring_legend`` lists them;
    ``responsibility`` carries ``name`` and ``population`` of each facility's area.

    A city's heavy layers come as images instead (each replaces its vector layer when given):
    ``circle_image`` (the network service circle), ``uncovered_image``,
    ``responsibility_image``, ``surface``; and ``road_tiles`` replaces ``roads``.
    """

    communities: gpd.GeoDataFrame | None = None
    value_column: str | None = None
    popup_columns: Sequence[str] = ()
    popup_labels: Mapping[str, str] = field(default_factory=dict)
    simplify_m: float = 1.0
    facilities: gpd.GeoDataFrame | Mapping[str, str | RemoteJson] | None = None
    all_facilities: gpd.GeoDataFrame | Mapping[str, str | RemoteJson] | None = None
    selected_category: str | None = None
    facility_counts: Mapping[str, int] | None = None
    circles: Layer = None
    circle_image: SurfaceImage | None = None
    buffer: Layer = None
    uncovered: gpd.GeoDataFrame | None = None
    uncovered_as: str = "heat"
    uncovered_image: SurfaceImage | None = None
    #: Name of the uncovered layer when it maps a target group ("圈外60岁以上老年人").
    uncovered_title: str | None = None
    sites: gpd.GeoDataFrame | None = None
    site_circles: Layer = None
    rings: Layer = None
    ring_legend: Sequence[tuple[str, str]] = ()
    responsibility: Layer = None
    responsibility_image: SurfaceImage | None = None
    surface: SurfaceImage | None = None
    roads: Layer = None
    road_tiles: TileSet | None = None
    attribution: Sequence[str] = ()
    banner: Sequence[str] = ()
    extra_legend: Mapping[str, str] = field(default_factory=dict)


def _tile_layers(basemap: str, *, tianditu_key: str | None, lang: str) -> list[folium.TileLayer]:
    if basemap == "osm":
        return [folium.TileLayer("OpenStreetMap", name=t("map.basemap.osm", lang), overlay=False,
                                 control=True, show=True)]
    if basemap == "tianditu" and tianditu_key:
        base = ("https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
                "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={{z}}"
                "&TILEROW={{y}}&TILECOL={{x}}&tk={key}")
        vec = base.format(s="{s}", layer="vec", key=tianditu_key)
        label = base.format(s="{s}", layer="cva" if lang == "zh" else "eva", key=tianditu_key)
        attr = "© 天地图 Tianditu (国家地理信息公共服务平台)"
        return [
            folium.TileLayer(vec, name=t("map.basemap.tianditu", lang), attr=attr, subdomains="01234567",
                             overlay=False, show=True, max_zoom=18),
            folium.TileLayer(label, name=t("map.basemap.tianditu", lang) + " · 注记", attr=attr,
                             subdomains="01234567", overlay=True, show=True, max_zoom=18),
        ]
    if basemap == "amap":
        url = ("https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
               "&x={x}&y={y}&z={z}")
        return [folium.TileLayer(url, name=t("map.basemap.amap", lang), attr="© 高德地图 AutoNavi",
                                 subdomains="1234", overlay=False, show=True, max_zoom=18)]
    return []


def road_lines(roads: gpd.GeoDataFrame, *, simplify_m: float = 3.0) -> gpd.GeoDataFrame:
    """Road edges merged into one (multi)line per class group, for a light base layer."""
    group = np.where(roads["highway"].isin(_MAJOR), "major", "minor")
    rows = []
    for name in ("minor", "major"):
        part = roads.geometry.to_numpy()[group == name]
        if len(part) == 0:
            continue
        merged = shapely.line_merge(shapely.union_all(part)) if len(part) < 50_000 else shapely.multilinestrings(part)
        rows.append({"group": name, "geometry": shapely.simplify(merged, simplify_m)})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=roads.crs) if rows else roads.iloc[0:0]


def _as_json(layer: Layer, columns: Sequence[str] = (), *, basemap: str,
             simplify_m: float = 0.0) -> str | RemoteJson | None:
    if isinstance(layer, (str, RemoteJson)) or layer is None:
        return layer
    return layer_json(layer, columns, basemap=basemap, simplify_m=simplify_m)


@dataclass
class MapParts:
    """A map split for fast redraws: what stays (base layers, legend) and what changes.

    streamlit-folium keeps ``map`` mounted while its script is unchanged and only swaps
    ``groups`` (``st_folium(..., feature_group_to_add=groups, layer_control=control)``), so the
    road base layer and the facilities are sent to the browser once, not on every slider move.
    """

    map: folium.Map
    groups: list[folium.FeatureGroup]
    control: folium.LayerControl


def build_map(layers: MapLayers, *, lang: str = "zh", basemap: str = "none",
              tianditu_key: str | None = None, height: int = 640) -> folium.Map:
    """A folium map of ``layers`` that loads nothing from the internet unless a tile base map is chosen.

    Parameters
    ----------
    layers : MapLayers
        Layers to draw (any may be ``None``); GeoJSON text must already be in the projection
        of ``basemap`` (see :func:`layer_json`).
    lang : {"zh", "en"}
        Language of layer names, legend and popups.
    basemap : {"none", "osm", "tianditu", "amap"}
        Online tile base map; ``"amap"`` shifts every layer into GCJ-02.
    tianditu_key : str, optional
        The user's Tianditu key (needed for ``"tianditu"``).
    """
    parts = build_map_parts(layers, lang=lang, basemap=basemap, tianditu_key=tianditu_key, height=height)
    for group in parts.groups:
        group.add_to(parts.map)
    parts.control.add_to(parts.map)
    return parts.map


def build_map_parts(layers: MapLayers, *, lang: str = "zh", basemap: str = "none",
                    tianditu_key: str | None = None, height: int = 640) -> MapParts:
    """The map of :func:`build_map` as a fixed part and the groups that change (see :class:`MapParts`)."""
    # A maximum zoom of its own: marker clusters need one, and the map may have no tile layer.
    # Quarter zoom steps: the study area fills the map instead of the next whole level's half.
    m = OfflineMap(location=[0, 0], zoom_start=12, tiles=None, control_scale=False, prefer_canvas=True,
                   height=height, maxZoom=MAX_ZOOM, zoomSnap=0.25)
    m.get_root().header.add_child(Element(_CSS), name="service_circles_css")
    # Base layers: a plain background and the data's roads need no internet.
    folium.FeatureGroup(name=t("map.base.plain", lang), overlay=False, control=True, show=False).add_to(m)
    _roads_group(layers, lang=lang, basemap=basemap).add_to(m)
    for tile in _tile_layers(basemap, tianditu_key=tianditu_key, lang=lang):
        tile.add_to(m)
    if layers.all_facilities is not None and len(layers.all_facilities):
        _facility_groups(layers.all_facilities, lang=lang, basemap=basemap, show=(), merged=True,
                         counts=layers.facility_counts)[0].add_to(m)

    groups: list[folium.FeatureGroup] = []
    if layers.communities is not None and len(layers.communities):
        groups.append(_communities_group(layers, lang=lang, basemap=basemap))
    if layers.circle_image is not None:
        groups.append(_image_group(layers.circle_image, t("layer.circles", lang), show=True, zindex=3))
    for layer, name, style, show in (
        (layers.buffer, "layer.buffer", {"color": "#444", "weight": 1.5, "dashArray": "6 4", "fill": False}, False),
        (None if layers.circle_image is not None else layers.circles, "layer.circles",
         {"color": CIRCLE_COLOR, "weight": 1, "fillColor": CIRCLE_COLOR, "fillOpacity": 0.22}, True),
        (layers.site_circles, "layer.site_circles", {"color": SITE_COLOR, "weight": 1.5, "fillColor": SITE_COLOR,
                                                     "fillOpacity": 0.15}, True),
    ):
        data = _as_json(layer, basemap=basemap, simplify_m=2.0)
        if data and has_layer(data):
            fg = folium.FeatureGroup(name=t(name, lang), show=show)
            fg.add_child(GeoJsonLayer(data, style=style_js(style), interactive=False))
            groups.append(fg)
    groups.extend(_surface_groups(layers, lang=lang, basemap=basemap))
    if layers.uncovered_image is not None:
        title = layers.uncovered_title or t("layer.uncovered", lang)
        groups.append(_image_group(layers.uncovered_image, title, show=True, zindex=4, pixelated=False))
    elif layers.uncovered is not None and len(layers.uncovered):
        groups.append(_uncovered_group(layers, lang=lang, basemap=basemap))
    if layers.facilities is not None and len(layers.facilities):
        selected = layers.selected_category
        groups.extend(_facility_groups(layers.facilities, lang=lang, basemap=basemap,
                                       show=None if selected is None else (selected,),
                                       counts=layers.facility_counts))
    if layers.sites is not None and len(layers.sites):
        groups.append(_sites_group(layers, lang=lang, basemap=basemap))

    m.add_child(MetricScale())
    m.add_child(HtmlControl(html_text=legend_html(layers, lang=lang), position="bottomleft",
                            attribution=[html.escape(a) for a in layers.attribution]))
    if layers.banner:
        # Beside the attribution, away from the popups that open above a clicked community.
        banner = ("<div style=\"background:#fff3cd;color:#664d03;border:1px solid #ffe69c;padding:4px 8px;"
                  "border-radius:4px;font:bold 12px sans-serif;max-width:420px\">"
                  + " · ".join(html.escape(b) for b in layers.banner) + "</div>")
        m.add_child(HtmlControl(html_text=banner, position="bottomright", css_class="map-banner"))
    bounds = _bounds(layers, basemap=basemap)
    if bounds is not None:
        # The study area beside the legend, never under it.
        m.fit_bounds(bounds, padding_top_left=(LEGEND_WIDTH_PX, 10), padding_bottom_right=(10, 10))
    return MapParts(map=m, groups=groups, control=LayerControl(collapsed=True, position="topright"))


def _roads_group(layers: MapLayers, *, lang: str, basemap: str) -> folium.FeatureGroup:
    """The roads base layer: tiles for a city, vector lines for a small network."""
    roads_base = folium.FeatureGroup(name=t("map.base.roads", lang), overlay=False, control=True, show=True)
    tiles = layers.road_tiles
    if tiles is not None and tiles.max_native_zoom is not None:
        folium.TileLayer(tiles.url, attr=" ", name=t("map.base.roads", lang), overlay=True, control=False,
                         min_native_zoom=tiles.min_native_zoom, max_native_zoom=tiles.max_native_zoom,
                         max_zoom=MAX_ZOOM, bounds=tiles.bounds, class_name="road-tiles").add_to(roads_base)
        return roads_base
    roads = _as_json(layers.roads, ["group"], basemap=basemap)
    if roads:
        major, minor = ROAD_COLORS["major"], ROAD_COLORS["minor"]
        roads_base.add_child(GeoJsonLayer(
            roads, interactive=False,
            style=f"function(f) {{ return f.properties.group === 'major' ? "
                  f"{{color: '{major}', weight: 2.2, opacity: 0.9}} : {{color: '{minor}', weight: 1, opacity: 0.9}}; }}"))
    return roads_base


def _image_group(image: SurfaceImage, name: str, *, show: bool, zindex: int,
                 pixelated: bool = True) -> folium.FeatureGroup:
    fg = folium.FeatureGroup(name=name, show=show)
    fg.add_child(ImageLayer(image.url, image.bounds, zindex=zindex, class_name="pixelated" if pixelated else ""))
    return fg


def _bounds(layers: MapLayers, *, basemap: str) -> list[list[float]] | None:
    frame = next((f for f in (layers.communities, layers.uncovered, layers.sites)
                  if isinstance(f, gpd.GeoDataFrame) and len(f)), None)
    if frame is None:
        return None
    minx, miny, maxx, maxy = to_display(frame[[frame.geometry.name]], basemap=basemap).total_bounds
    return [[float(miny), float(minx)], [float(maxy), float(maxx)]]


def _communities_group(layers: MapLayers, *, lang: str, basemap: str) -> folium.FeatureGroup:
    frame = layers.communities
    assert frame is not None  # checked by the caller
    value_col = layers.value_column
    columns = list(dict.fromkeys(["community_id", "name", *(layers.popup_columns or ())]))
    if value_col and value_col not in columns:
        columns.append(value_col)
    columns = [c for c in columns if c in frame.columns]
    values = frame[value_col].astype(float) if value_col else pd.Series(np.nan, index=frame.index)
    shown = frame.assign(_fill=[coverage_color(v) for v in values])
    for col in columns:
        if result_columns.is_measure(col, "e2sfca"):
            # Supply per 1,000 residents as a planner writes it (3,313 m², 0.8 places).
            shown[col] = pd.Series([planner_number(v) for v in shown[col].to_numpy(dtype=float)],
                                   index=shown.index, dtype=object)
    data = layer_json(shown, [*columns, "_fill"], basemap=basemap, simplify_m=layers.simplify_m) \
        or '{"type":"FeatureCollection","features":[]}'
    fg = folium.FeatureGroup(name=t("layer.communities", lang), show=True)
    fg.add_child(GeoJsonLayer(
        data,
        style="function(f) { return {fillColor: f.properties._fill, color: '#333', weight: 1, fillOpacity: 0.55}; }",
        popup=[(c, layers.popup_labels.get(c) or column_label(c, lang)) for c in columns],
        tooltip=[(c, column_label(c, lang)) for c in ("name", value_col) if c and c in columns],
    ))
    return fg


def facility_columns() -> list[str]:
    return ["facility_id", "name", "category", "floor_area_m2", "status", "status_zh", "status_en"]


def facilities_json(facilities: gpd.GeoDataFrame, *, basemap: str = "none") -> dict[str, str]:
    """GeoJSON text of the facilities of each category (computed once per data set; the status in
    both languages, so one text serves both)."""
    out = {}
    if "status" in facilities.columns:
        facilities = facilities.assign(**{f"status_{lang}": facilities["status"].map(
            lambda v, lang=lang: value_label("status", v, lang)) for lang in ("zh", "en")})
    for key in categories_in(facilities):
        part = facilities[facilities["category"].astype(str) == key]
        text = layer_json(part, [c for c in facility_columns() if c in part.columns], basemap=basemap)
        if text:
            out[key] = text
    return out


def _facility_groups(facilities: gpd.GeoDataFrame | Mapping[str, str | RemoteJson], *, lang: str, basemap: str,
                     show: Sequence[str] | None, merged: bool = False,
                     counts: Mapping[str, int] | None = None) -> list[folium.FeatureGroup]:
    """One group per category (shown when in ``show``; ``None`` shows all), or one merged group.

    A dense category's markers are clustered (more than :data:`CLUSTER_FROM` facilities, or an
    unknown number: a city's core holds hundreds of one category); a category kept in a file is
    fetched only when its layer is first shown.
    """
    if isinstance(facilities, gpd.GeoDataFrame):
        counts = facilities["category"].astype(str).value_counts().to_dict()
        prepared: Mapping[str, str | RemoteJson] = facilities_json(facilities, basemap=basemap)
    else:
        prepared = facilities
    fields = [("name", column_label("name", lang)), ("facility_id", column_label("facility_id", lang)),
              ("floor_area_m2", column_label("floor_area_m2", lang)),
              (f"status_{'en' if lang == 'en' else 'zh'}", column_label("status", lang))]
    groups: list[folium.FeatureGroup] = []
    if merged:
        groups.append(folium.FeatureGroup(name=f"{t('layer.facilities', lang)} · {t('map.all_categories', lang)}",
                                          show=False))
    for key, data in prepared.items():
        icon = json.dumps(facility_icon_html(key))
        point = ("function(f, latlng) { return L.marker(latlng, {icon: L.divIcon({html: " + icon +
                 ", className: 'facility-icon', iconSize: [22, 22], iconAnchor: [11, 11]})}); }")
        info = CATEGORIES.get(key)
        dense = counts is None or key not in counts or int(counts[key]) > CLUSTER_FROM
        layer = GeoJsonLayer(data, point=point, popup=fields, tooltip=[("name", category_label(key, lang))],
                             cluster=dense, cluster_color=info.color if info else "#555555", lazy=True)
        if merged:
            groups[0].add_child(layer)
            continue
        fg = folium.FeatureGroup(name=f"{t('layer.facilities', lang)} · {category_label(key, lang)}",
                                 show=show is None or key in show)
        fg.add_child(layer)
        groups.append(fg)
    return groups


def _uncovered_group(layers: MapLayers, *, lang: str, basemap: str) -> folium.FeatureGroup:
    frame = layers.uncovered
    assert frame is not None
    shown = to_display(frame, basemap=basemap)
    pts = shown.geometry if (shown.geom_type == "Point").all() else shown.geometry.representative_point()
    fg = folium.FeatureGroup(name=layers.uncovered_title or t("layer.uncovered", lang), show=True)
    if layers.uncovered_as == "points":
        point = ("function(f, latlng) { return L.circleMarker(latlng, {radius: 3, color: '#cc4c02', weight: 0, "
                 "fillOpacity: 0.8}); }")
        data = json.dumps(_feature_collection(shown.set_geometry(pts), ["population"]), separators=(",", ":"))
        fg.add_child(GeoJsonLayer(data, point=point, tooltip=[("population", column_label("population", lang))]))
    else:
        weights = shown["population"].to_numpy(dtype=float) if "population" in shown.columns else np.ones(len(shown))
        top = float(np.nanmax(weights)) if len(weights) else 1.0
        data = np.column_stack([pts.y.to_numpy(), pts.x.to_numpy(), weights / (top or 1.0)])
        # Warm colours only: green means covered on this map.
        OfflineHeatMap(np.round(data, 6).tolist(), radius=14, blur=12, min_opacity=0.3,
                       gradient=HEAT_GRADIENT).add_to(fg)
    return fg


def _sites_group(layers: MapLayers, *, lang: str, basemap: str) -> folium.FeatureGroup:
    frame = layers.sites
    assert frame is not None
    shown = to_display(frame, basemap=basemap)
    fields = [c for c in ("rank", "name", "candidate_id", "source", "floor_area_m2", "newly_covered",
                          "cumulative_pct") if c in shown.columns]
    point = ("function(f, latlng) { var r = f.properties.rank; return L.marker(latlng, {icon: L.divIcon({html: "
             + json.dumps(site_icon_html(0)).replace(">0<", ">\" + r + \"<") +
             ", className: 'site-icon', iconSize: [26, 26], iconAnchor: [13, 13]}), zIndexOffset: 1000}); }")
    fg = folium.FeatureGroup(name=t("layer.sites", lang), show=True)
    fg.add_child(GeoJsonLayer(json.dumps(_feature_collection(shown, fields), separators=(",", ":")), point=point,
                              popup=[(c, column_label(c, lang)) for c in fields],
                              tooltip=[(c, column_label(c, lang)) for c in ("rank", "name") if c in fields]))
    return fg


def _surface_groups(layers: MapLayers, *, lang: str, basemap: str) -> list[folium.FeatureGroup]:
    """The travel-time surface, rings and responsibility areas: toggles, off at first."""
    groups = []
    if layers.surface is not None:
        groups.append(_image_group(layers.surface, t("layer.surface", lang), show=False, zindex=2))
    rings = _as_json(layers.rings, ["ring", "urban_minutes", "rural_minutes"], basemap=basemap)
    if rings and has_layer(rings):
        colors = json.dumps([c for c, _ in layers.ring_legend] or list(RING_COLORS))
        fg = folium.FeatureGroup(name=t("layer.rings", lang), show=False)
        fg.add_child(GeoJsonLayer(
            rings, interactive=True, lazy=True,
            style=f"function(f) {{ var c = {colors}; var i = Math.min(f.properties.ring, c.length) - 1; "
                  "return {color: c[i], weight: 0.8, fillColor: c[i], fillOpacity: 0.35}; }",
            tooltip=[("urban_minutes", column_label("urban_minutes", lang)),
                     ("rural_minutes", column_label("rural_minutes", lang))]))
        groups.append(fg)
    if layers.responsibility_image is not None:
        groups.append(_image_group(layers.responsibility_image, t("layer.responsibility", lang), show=False,
                                   zindex=2))
    fields = ["name", "population", "households", "residents_per_100_m2", "residents_per_place"]
    areas = _as_json(layers.responsibility, fields, basemap=basemap)
    if layers.responsibility_image is None and areas and has_layer(areas):
        fg = folium.FeatureGroup(name=t("layer.responsibility", lang), show=False)
        fg.add_child(GeoJsonLayer(
            areas, lazy=True,
            style=style_js({"color": "#6a3d9a", "weight": 1.2, "fillColor": "#6a3d9a", "fillOpacity": 0.04}),
            popup=[(c, column_label(c, lang)) for c in fields],
            tooltip=[(c, column_label(c, lang)) for c in ("name", "population")]))
        groups.append(fg)
    return groups
