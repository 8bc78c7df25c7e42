"""Folium maps built from GeoDataFrames: coverage, facilities, circles, residents, sites.

Everything is drawn from layers computed by :mod:`planning`; this module only projects them to
longitude/latitude (shifted into GCJ-02 when the Amap base map is chosen), styles them and adds
the legend. The default base layers (a plain background and the data set's own roads) need no
internet; tile base maps are added only when the user picks one. The travel-time surface is an
image inside the page (a PNG data URL), so it needs no tile server either.
"""

from __future__ import annotations

import base64
import html
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement
from folium.raster_layers import ImageOverlay
from folium.template import Template
from PIL import Image
from rasterio.crs import CRS as RasterCRS
from rasterio.transform import Affine, array_bounds
from rasterio.warp import calculate_default_transform
from rasterio.warp import transform as transform_xy

from app_support.i18n import category_label, column_label, t
from app_support.offline import OfflineHeatMap, OfflineMap, RemoteJson
from geo.taxonomy import CATEGORIES
from planning import columns as result_columns
from planning.output.rasters import warp_nearest
from planning.output.styles import planner_number
from planning.texts import value_label

BASEMAPS: tuple[str, ...] = ("none", "osm", "tianditu", "amap")
NO_DATA_COLOR = "#bdbdbd"
# Coverage ramp (share of residents inside the circle): red → amber → green, five classes.
COVERAGE_BREAKS: tuple[float, ...] = (0.0, 50.0, 80.0, 95.0, 100.0)
COVERAGE_COLORS: tuple[str, ...] = ("#d7191c", "#fdae61", "#ffffbf", "#a6d96a", "#1a9641")
#: Travel-time classes (surface and rings): within ring 1, 2, 3 …, then beyond the last ring
#: (up to twice its time) and farther or unreachable.
RING_COLORS: tuple[str, ...] = ("#1a9850", "#66bd63", "#a6d96a", "#d9ef8b", "#ffffbf", "#fee08b")
BEYOND_COLOR, FAR_COLOR = "#fdae61", "#d73027"
_ROAD_STYLE = {"major": (2.2, "#8c8c8c"), "minor": (1.0, "#b5b5b5")}
_MAJOR = {"motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link",
          "secondary", "secondary_link", "tertiary", "tertiary_link"}

#: Heat map of residents outside the circle: light to dark warm colours (Leaflet.heat stops).
UNCOVERED_HEAT: dict[float, str] = {0.2: "#fed976", 0.45: "#fd8d3c", 0.7: "#e31a1c", 1.0: "#67000d"}


def coverage_color(pct: float | None) -> str:
    """Fill colour of a community with ``pct`` % of its residents inside the circle."""
    if pct is None or not np.isfinite(pct):
        return NO_DATA_COLOR
    if pct >= COVERAGE_BREAKS[-1]:
        return COVERAGE_COLORS[-1]
    index = int(np.searchsorted(COVERAGE_BREAKS, pct, side="right")) - 1
    return COVERAGE_COLORS[max(0, min(index, len(COVERAGE_COLORS) - 2))]


def to_display(frame: gpd.GeoDataFrame, *, basemap: str = "none", decimals: int = 6) -> gpd.GeoDataFrame:
    """Longitude/latitude copy for Leaflet; GCJ-02 for Amap; coordinates rounded (~0.1 m)."""
    out = frame.to_crs(4326) if frame.crs is not None else frame.copy()
    geoms = out.geometry.to_numpy()
    if basemap == "amap":
        from geo.coords import wgs84_to_gcj02

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


def ring_colors(rings: int) -> list[str]:
    """Colours of ``rings`` rings, then of "beyond the last ring" and "farther"."""
    inner = [RING_COLORS[min(i, len(RING_COLORS) - 1)] for i in range(rings)]
    return [*inner, BEYOND_COLOR, FAR_COLOR]


@dataclass(frozen=True)
class SurfaceImage:
    """A travel-time surface as a translucent image: a PNG data URL and its corners.

    ``bounds`` is ``[[south, west], [north, east]]`` in display longitude/latitude (GCJ-02 for
    Amap). Its legend is :attr:`MapLayers.ring_legend`.
    """

    url: str
    bounds: list[list[float]]


def surface_image(classes: np.ndarray, transform: Affine, crs: Any, colors: Sequence[str], *,
                  basemap: str = "none", alpha: int = 140,
                  max_pixels: int = 2_000_000) -> SurfaceImage | None:
    """The class raster (0 transparent, 1… the ``colors``) as an image for the map.

    The grid is resampled (nearest cell) to Web Mercator, the map's own projection, so that
    Leaflet can stretch it between two corners without distortion; large grids are sent at
    no more than ``max_pixels`` pixels.
    """
    classes = np.asarray(classes, dtype=np.uint8)
    if not classes.any():
        return None
    height, width = classes.shape
    west, south, east, north = array_bounds(height, width, transform)
    src_crs = RasterCRS.from_user_input(crs)
    dst_crs = RasterCRS.from_epsg(3857)
    dst_transform, dst_width, dst_height = calculate_default_transform(
        src_crs, dst_crs, width, height, left=west, bottom=south, right=east, top=north)
    scale = max(1.0, float(np.sqrt(dst_width * dst_height / max_pixels)))
    if scale > 1.0:
        dst_width, dst_height = int(dst_width / scale), int(dst_height / scale)
        dst_transform = dst_transform * Affine.scale(scale)
    shown = np.zeros((dst_height, dst_width), dtype=np.uint8)
    warp_nearest(classes, shown, transform, src_crs, dst_transform, dst_crs, nodata=0)
    palette = np.zeros((256, 4), dtype=np.uint8)
    for i, color in enumerate(colors, start=1):
        palette[i] = [int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16), alpha]
    buffer = io.BytesIO()
    Image.fromarray(palette[shown]).save(buffer, format="PNG", compress_level=6)
    x0, y0, x1, y1 = array_bounds(dst_height, dst_width, dst_transform)
    lon, lat = transform_xy(dst_crs, RasterCRS.from_epsg(4326), [x0, x1], [y0, y1])
    lon, lat = np.asarray(lon), np.asarray(lat)
    if basemap == "amap":
        from geo.coords import wgs84_to_gcj02

        lon, lat = wgs84_to_gcj02(lon, lat)
    url = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
    return SurfaceImage(url=url, bounds=[[float(lat[0]), float(lon[0])], [float(lat[1]), float(lon[1])]])


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
    the data); ``uncovered`` carries ``population``; ``facilities`` is a frame with ``category``
    or a mapping category → GeoJSON text.
    ``rings`` carries ``ring`` (1, 2, …), coloured as ``ring_legend`` lists them;
    ``responsibility`` carries ``name`` and ``population`` of each facility's area.
    """

    communities: gpd.GeoDataFrame | None = None
    value_column: str | None = None
    popup_columns: Sequence[str] = ()
    popup_labels: Mapping[str, str] = field(default_factory=dict)
    facilities: gpd.GeoDataFrame | Mapping[str, str] | None = None
    all_facilities: gpd.GeoDataFrame | Mapping[str, str] | None = None
    selected_category: str | None = None
    circles: Layer = None
    buffer: Layer = None
    uncovered: gpd.GeoDataFrame | None = None
    uncovered_as: str = "heat"
    #: Name of the uncovered layer when it maps a target group ("圈外60岁以上老年人").
    uncovered_title: str | None = None
    sites: gpd.GeoDataFrame | None = None
    site_circles: Layer = None
    rings: Layer = None
    ring_legend: Sequence[tuple[str, str]] = ()
    responsibility: Layer = None
    surface: SurfaceImage | None = None
    roads: Layer = None
    attribution: Sequence[str] = ()
    banner: Sequence[str] = ()
    extra_legend: Mapping[str, str] = field(default_factory=dict)


def _has(layer: Any) -> bool:
    if layer is None:
        return False
    if isinstance(layer, RemoteJson):
        return True
    if isinstance(layer, str):
        return '"features":[]' not in layer
    return len(layer) > 0


class GeoJsonLayer(MacroElement):
    """A Leaflet GeoJSON layer from prepared GeoJSON text, styled by small JavaScript functions.

    Lighter than ``folium.GeoJson`` (one template for every instance, no per-feature objects in
    Python), which matters when a slider redraws the whole map.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.geoJSON({% if this.url %}null{% else %}{{ this.data }}{% endif %}, {
            {% if this.style %}style: {{ this.style }},{% endif %}
            {% if this.point %}pointToLayer: {{ this.point }},{% endif %}
            interactive: {{ this.interactive | tojson }},
            onEachFeature: function(feature, layer) {
                var p = feature.properties || {};
                function esc(v) { return String(v).replace(/[&<>"]/g, function(c) {
                    return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}[c]; }); }
                function rows(fields, aliases) {
                    var out = "";
                    for (var i = 0; i < fields.length; i++) {
                        var v = p[fields[i]];
                        if (v === null || v === undefined || v === "") continue;
                        out += "<tr><th style='text-align:left;padding-right:6px'>" + esc(aliases[i]) +
                               "</th><td>" + esc(v) + "</td></tr>";
                    }
                    return "<table class='popup-table'>" + out + "</table>";
                }
                {% if this.popup_fields %}
                layer.bindPopup(rows({{ this.popup_fields | tojson }}, {{ this.popup_aliases | tojson }}),
                                {maxWidth: 380});
                {% endif %}
                {% if this.tooltip_fields %}
                layer.bindTooltip(rows({{ this.tooltip_fields | tojson }}, {{ this.tooltip_aliases | tojson }}),
                                  {sticky: true});
                {% endif %}
            }
        }).addTo({{ this._parent.get_name() }});
        {% if this.url %}
        fetch({{ this.url | tojson }}).then(function(r) { return r.json(); }).then(function(d) {
            {{ this.get_name() }}.addData(d);
        });
        {% endif %}
        {% endmacro %}
        """
    )

    def __init__(self, data: str | RemoteJson, *, style: str | None = None, point: str | None = None,
                 interactive: bool = True, popup: Sequence[tuple[str, str]] = (),
                 tooltip: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__()
        self._name = "GeoJsonLayer"
        self.url = data.url if isinstance(data, RemoteJson) else None
        self.data = None if isinstance(data, RemoteJson) else data
        self.style = style
        self.point = point
        self.interactive = interactive
        self.popup_fields = [f for f, _ in popup]
        self.popup_aliases = [a for _, a in popup]
        self.tooltip_fields = [f for f, _ in tooltip]
        self.tooltip_aliases = [a for _, a in tooltip]


def _style_js(style: Mapping[str, Any]) -> str:
    return f"function(f) {{ return {json.dumps(dict(style))}; }}"


class _Html(MacroElement):
    """A Leaflet control holding fixed HTML (legend, banner) or extra attribution."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var map = {{ this._parent.get_name() }};
            {% if this.attribution %}
            {% for text in this.attribution %}
            map.attributionControl.addAttribution({{ text | tojson }});
            {% endfor %}
            {% endif %}
            {% if this.html %}
            var ctl = L.control({position: {{ this.position | tojson }}});
            ctl.onAdd = function() {
                var div = L.DomUtil.create('div', {{ this.css_class | tojson }});
                div.innerHTML = {{ this.html | tojson }};
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            ctl.addTo(map);
            {% endif %}
        })();
        {% endmacro %}
        """
    )

    def __init__(self, *, html_text: str = "", position: str = "bottomright",
                 css_class: str = "map-legend", attribution: Sequence[str] = ()) -> None:
        super().__init__()
        self._name = "HtmlControl"
        self.html = html_text
        self.position = position
        self.css_class = css_class
        self.attribution = list(attribution)


class _MetricScale(MacroElement):
    """A scale bar in metres and kilometres only (folium's also shows miles)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        L.control.scale({imperial: false}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "MetricScale"


_BOX = ("background:rgba(255,255,255,0.92);padding:6px 8px;border-radius:4px;"
        "box-shadow:0 0 4px rgba(0,0,0,0.3);font:12px/1.5 sans-serif;"
        # Below the banner and above the scale bar, however tall the map frame (100vh inside it).
        "max-height:calc(100vh - 210px);overflow:auto")


def _facility_icon_html(key: str, *, size: int = 22) -> str:
    cat = CATEGORIES.get(key)
    color = cat.color if cat else "#555555"
    icon = cat.icon if cat else "circle"
    return (f'<div style="width:{size}px;height:{size}px;border-radius:50%;background:{color};'
            f'border:2px solid #fff;box-shadow:0 0 2px #333;color:#fff;text-align:center;'
            f'line-height:{size - 4}px;font-size:{size // 2}px"><i class="fa fa-{icon}"></i></div>')


def _site_icon_html(rank: int) -> str:
    return ('<div style="width:26px;height:26px;border-radius:50%;background:#6a00a8;'
            'border:2px solid #fff;box-shadow:0 0 3px #000;color:#fff;font:bold 13px/22px sans-serif;'
            f'text-align:center">{int(rank)}</div>')


def legend_html(layers: MapLayers, *, lang: str) -> str:
    """The map legend: coverage ramp, facility categories with icons, other symbols."""
    # Collapsible (a click on its title hides it), so that it never has to cover the study area.
    parts = [f'<div style="{_BOX}"><details open><summary style="cursor:pointer;font-weight:bold">'
             f'{html.escape(t("map.legend", lang))}</summary>']
    if layers.communities is not None and layers.value_column:
        parts.append(f'<div style="margin-top:4px">{html.escape(t("map.legend.coverage", lang))}</div>')
        for i, color in enumerate(COVERAGE_COLORS):
            last = i == len(COVERAGE_COLORS) - 1
            text = "100 %" if last else f"{COVERAGE_BREAKS[i]:.0f}–{COVERAGE_BREAKS[i + 1]:.0f} %"
            parts.append(f'<div><span style="display:inline-block;width:14px;height:10px;'
                         f'background:{color};border:1px solid #666;margin-right:4px"></span>{text}</div>')
        parts.append(f'<div><span style="display:inline-block;width:14px;height:10px;background:{NO_DATA_COLOR};'
                     f'border:1px solid #666;margin-right:4px"></span>{html.escape(t("map.legend.no_data", lang))}</div>')
    shown_facilities = layers.all_facilities if layers.all_facilities is not None else layers.facilities
    if shown_facilities is not None and len(shown_facilities):
        parts.append(f'<div style="margin-top:4px">{html.escape(t("layer.facilities", lang))}</div>')
        keys = (_categories_in(shown_facilities) if isinstance(shown_facilities, gpd.GeoDataFrame)
                else list(shown_facilities))
        # Two columns: the whole list fits beside the study area without scrolling.
        parts.append('<div style="display:grid;grid-template-columns:auto auto;column-gap:8px">')
        for key in keys:
            parts.append('<div style="display:flex;align-items:center;gap:4px;margin:1px 0">'
                         f'{_facility_icon_html(key, size=18)}<span>{html.escape(category_label(key, lang))}</span></div>')
        parts.append("</div>")
    fixed = layers.all_facilities is not None  # a fixed legend lists every symbol the groups may use
    if fixed or _has(layers.circles):
        parts.append('<div style="margin-top:4px"><span style="display:inline-block;width:14px;height:10px;'
                     'background:rgba(49,130,189,0.3);border:1px solid #3182bd;margin-right:4px"></span>'
                     f'{html.escape(t("layer.circles", lang))}</div>')
    if fixed or _has(layers.buffer):
        parts.append('<div><span style="display:inline-block;width:14px;height:10px;'
                     'border:1px dashed #555;margin-right:4px"></span>'
                     f'{html.escape(t("layer.buffer", lang))}</div>')
    if layers.ring_legend and (layers.surface is not None or _has(layers.rings)):
        parts.append(f'<div style="margin-top:4px">{html.escape(t("layer.surface", lang))}</div>')
        for color, text in layers.ring_legend:
            parts.append(f'<div><span style="display:inline-block;width:14px;height:10px;background:{color};'
                         f'opacity:0.8;margin-right:4px"></span>{html.escape(text)}</div>')
    if _has(layers.responsibility):
        parts.append('<div><span style="display:inline-block;width:14px;height:10px;'
                     'border:1.5px solid #6a3d9a;margin-right:4px"></span>'
                     f'{html.escape(t("layer.responsibility", lang))}</div>')
    if fixed or (layers.uncovered is not None and len(layers.uncovered)):
        parts.append('<div><span style="display:inline-block;width:14px;height:10px;'
                     'background:linear-gradient(90deg,#fed976,#fd8d3c,#e31a1c,#67000d);margin-right:4px"></span>'
                     f'{html.escape(layers.uncovered_title or t("layer.uncovered", lang))}</div>')
    if layers.sites is not None and len(layers.sites):
        parts.append('<div style="display:flex;align-items:center;gap:4px">'
                     '<span style="display:inline-block;width:14px;height:14px;border-radius:50%;'
                     f'background:#6a00a8"></span>{html.escape(t("layer.sites", lang))}</div>')
    for text, color in layers.extra_legend.items():
        parts.append(f'<div><span style="display:inline-block;width:14px;height:10px;background:{color};'
                     f'margin-right:4px"></span>{html.escape(text)}</div>')
    parts.append("</details></div>")
    return "".join(parts)


def _categories_in(facilities: gpd.GeoDataFrame) -> list[str]:
    present = set(facilities["category"].astype(str))
    ordered = [k for k in CATEGORIES if k in present]
    return ordered + sorted(present - set(ordered))


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
    m = OfflineMap(location=[0, 0], zoom_start=12, tiles=None, control_scale=False, prefer_canvas=True,
                   height=height)
    # The heat layer's canvas lies over the communities; it must let clicks through to them.
    m.get_root().header.add_child(Element(
        "<style>.leaflet-heatmap-layer{pointer-events:none}.popup-table th,.popup-table td"
        "{font-size:12px;padding:1px 4px;vertical-align:top}.popup-table th{white-space:nowrap}</style>"), name="service_circles_css")
    # Base layers: a plain background and the data's roads need no internet.
    folium.FeatureGroup(name=t("map.base.plain", lang), overlay=False, control=True, show=False).add_to(m)
    roads_base = folium.FeatureGroup(name=t("map.base.roads", lang), overlay=False, control=True, show=True)
    roads = _as_json(layers.roads, ["group"], basemap=basemap)
    if roads:
        roads_base.add_child(GeoJsonLayer(
            roads, interactive=False,
            style="function(f) { return f.properties.group === 'major' ? "
                  "{color: '#8c8c8c', weight: 2.2, opacity: 0.9} : {color: '#b5b5b5', weight: 1, opacity: 0.9}; }"))
    roads_base.add_to(m)
    for tile in _tile_layers(basemap, tianditu_key=tianditu_key, lang=lang):
        tile.add_to(m)
    if layers.all_facilities is not None and len(layers.all_facilities):
        _facility_groups(layers.all_facilities, lang=lang, basemap=basemap, show=(), merged=True)[0].add_to(m)

    groups: list[folium.FeatureGroup] = []
    if layers.communities is not None and len(layers.communities):
        groups.append(_communities_group(layers, lang=lang, basemap=basemap))
    for layer, name, style, show in (
        (layers.buffer, "layer.buffer", {"color": "#444", "weight": 1.5, "dashArray": "6 4", "fill": False}, False),
        (layers.circles, "layer.circles", {"color": "#3182bd", "weight": 1, "fillColor": "#3182bd",
                                           "fillOpacity": 0.22}, True),
        (layers.site_circles, "layer.site_circles", {"color": "#6a00a8", "weight": 1.5, "fillColor": "#6a00a8",
                                                     "fillOpacity": 0.15}, True),
    ):
        data = _as_json(layer, basemap=basemap, simplify_m=2.0)
        if data and _has(data):
            fg = folium.FeatureGroup(name=t(name, lang), show=show)
            fg.add_child(GeoJsonLayer(data, style=_style_js(style), interactive=False))
            groups.append(fg)
    groups.extend(_surface_groups(layers, lang=lang, basemap=basemap))
    if layers.uncovered is not None and len(layers.uncovered):
        groups.append(_uncovered_group(layers, lang=lang, basemap=basemap))
    if layers.facilities is not None and len(layers.facilities):
        selected = layers.selected_category
        groups.extend(_facility_groups(layers.facilities, lang=lang, basemap=basemap,
                                       show=None if selected is None else (selected,)))
    if layers.sites is not None and len(layers.sites):
        groups.append(_sites_group(layers, lang=lang, basemap=basemap))

    m.add_child(_MetricScale())
    m.add_child(_Html(html_text=legend_html(layers, lang=lang), position="bottomleft",
                      attribution=[html.escape(a) for a in layers.attribution]))
    if layers.banner:
        banner = ("<div style=\"background:#fff3cd;color:#664d03;border:1px solid #ffe69c;padding:4px 8px;"
                  "border-radius:4px;font:bold 12px sans-serif;max-width:420px\">"
                  + " · ".join(html.escape(b) for b in layers.banner) + "</div>")
        m.add_child(_Html(html_text=banner, position="topleft", css_class="map-banner"))
    bounds = _bounds(layers, basemap=basemap)
    if bounds is not None:
        m.fit_bounds(bounds)
    return MapParts(map=m, groups=groups, control=folium.LayerControl(collapsed=True, position="topright"))


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
    data = layer_json(shown, [*columns, "_fill"], basemap=basemap, simplify_m=1.0) or '{"type":"FeatureCollection","features":[]}'
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
    for key in _categories_in(facilities):
        part = facilities[facilities["category"].astype(str) == key]
        text = layer_json(part, [c for c in facility_columns() if c in part.columns], basemap=basemap)
        if text:
            out[key] = text
    return out


def _facility_groups(facilities: gpd.GeoDataFrame | Mapping[str, str | RemoteJson], *, lang: str, basemap: str,
                     show: Sequence[str] | None, merged: bool = False) -> list[folium.FeatureGroup]:
    """One group per category (shown when in ``show``; ``None`` shows all), or one merged group."""
    prepared = facilities_json(facilities, basemap=basemap) if isinstance(facilities, gpd.GeoDataFrame) \
        else facilities
    fields = [("name", column_label("name", lang)), ("facility_id", column_label("facility_id", lang)),
              ("floor_area_m2", column_label("floor_area_m2", lang)),
              (f"status_{'en' if lang == 'en' else 'zh'}", column_label("status", lang))]
    groups: list[folium.FeatureGroup] = []
    if merged:
        groups.append(folium.FeatureGroup(name=f"{t('layer.facilities', lang)} · {t('map.all_categories', lang)}",
                                          show=False))
    for key, data in prepared.items():
        icon = json.dumps(_facility_icon_html(key))
        point = ("function(f, latlng) { return L.marker(latlng, {icon: L.divIcon({html: " + icon +
                 ", className: 'facility-icon', iconSize: [22, 22], iconAnchor: [11, 11]})}); }")
        layer = GeoJsonLayer(data, point=point, popup=fields, tooltip=[("name", category_label(key, lang))])
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
        point = ("function(f, latlng) { return L.circleMarker(latlng, {radius: 3, color: '#b30000', weight: 0, "
                 "fillOpacity: 0.8}); }")
        data = json.dumps(_feature_collection(shown.set_geometry(pts), ["population"]), separators=(",", ":"))
        fg.add_child(GeoJsonLayer(data, point=point, tooltip=[("population", column_label("population", lang))]))
    else:
        weights = shown["population"].to_numpy(dtype=float) if "population" in shown.columns else np.ones(len(shown))
        top = float(np.nanmax(weights)) if len(weights) else 1.0
        data = np.column_stack([pts.y.to_numpy(), pts.x.to_numpy(), weights / (top or 1.0)])
        # Warm colours, as for uncovered communities: never the default blue→green→yellow, whose
        # bright green would read as "covered" on the coverage choropleth.
        OfflineHeatMap(np.round(data, 6).tolist(), radius=14, blur=12, min_opacity=0.3,
                       gradient=UNCOVERED_HEAT).add_to(fg)
    return fg


def _sites_group(layers: MapLayers, *, lang: str, basemap: str) -> folium.FeatureGroup:
    frame = layers.sites
    assert frame is not None
    shown = to_display(frame, basemap=basemap)
    fields = [c for c in ("rank", "name", "candidate_id", "source", "floor_area_m2", "newly_covered",
                          "cumulative_pct") if c in shown.columns]
    point = ("function(f, latlng) { var r = f.properties.rank; return L.marker(latlng, {icon: L.divIcon({html: "
             + json.dumps(_site_icon_html(0)).replace(">0<", ">\" + r + \"<") +
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
        fg = folium.FeatureGroup(name=t("layer.surface", lang), show=False)
        ImageOverlay(image=layers.surface.url, bounds=layers.surface.bounds, interactive=False,
                     zindex=2).add_to(fg)
        groups.append(fg)
    rings = _as_json(layers.rings, ["ring", "urban_minutes", "rural_minutes"], basemap=basemap)
    if rings and _has(rings):
        colors = json.dumps([c for c, _ in layers.ring_legend] or list(RING_COLORS))
        fg = folium.FeatureGroup(name=t("layer.rings", lang), show=False)
        fg.add_child(GeoJsonLayer(
            rings, interactive=True,
            style=f"function(f) {{ var c = {colors}; var i = Math.min(f.properties.ring, c.length) - 1; "
                  "return {color: c[i], weight: 0.8, fillColor: c[i], fillOpacity: 0.35}; }",
            tooltip=[("urban_minutes", column_label("urban_minutes", lang)),
                     ("rural_minutes", column_label("rural_minutes", lang))]))
        groups.append(fg)
    fields = ["name", "population", "households", "residents_per_100_m2", "residents_per_place"]
    areas = _as_json(layers.responsibility, fields, basemap=basemap)
    if areas and _has(areas):
        fg = folium.FeatureGroup(name=t("layer.responsibility", lang), show=False)
        fg.add_child(GeoJsonLayer(
            areas, style=_style_js({"color": "#6a3d9a", "weight": 1.2, "fillColor": "#6a3d9a",
                                    "fillOpacity": 0.04}),
            popup=[(c, column_label(c, lang)) for c in fields],
            tooltip=[(c, column_label(c, lang)) for c in ("name", "population")]))
        groups.append(fg)
    return groups
