"""Leaflet elements of the map: GeoJSON layers (clustered, fetched when first shown) and controls.

Each is one small template rather than folium's per-feature objects, so that a map of a city
stays light in Python and in the page. Scripts and styles come from the vendored copies in
``static/vendor`` (:mod:`app_support.offline`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import folium
from branca.element import MacroElement
from folium.elements import JSCSSMixin
from folium.map import Layer
from folium.template import Template

from app_support.offline import RemoteJson, cluster_links


class GeoJsonLayer(JSCSSMixin, MacroElement):
    """A Leaflet GeoJSON layer from prepared GeoJSON text or a file, styled by small JavaScript functions.

    Lighter than ``folium.GeoJson`` (one template for every instance, no per-feature objects in
    Python), which matters when a slider redraws the whole map. With ``cluster`` the points go
    into a Leaflet.markercluster group (a dense category stays readable; ``cluster_color`` colours
    its bubbles); with ``lazy`` a file is fetched only when its layer is first shown. While files
    are being fetched, ``window.__serviceCirclesPending`` counts them.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function() {
            var parent = {{ this._parent.get_name() }};
            var options = {
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
                    // Kept clear of the controls in the map's corners when the map pans to show it.
                    layer.bindPopup(rows({{ this.popup_fields | tojson }}, {{ this.popup_aliases | tojson }}),
                                    {maxWidth: 380, autoPanPaddingTopLeft: [60, 60],
                                     autoPanPaddingBottomRight: [60, 40]});
                    {% endif %}
                    {% if this.tooltip_fields %}
                    layer.bindTooltip(rows({{ this.tooltip_fields | tojson }}, {{ this.tooltip_aliases | tojson }}),
                                      {sticky: true});
                    {% endif %}
                }
            };
            {% if this.cluster %}
            var color = {{ this.cluster_color | tojson }};
            var target = L.markerClusterGroup({
                chunkedLoading: true, showCoverageOnHover: false, maxClusterRadius: 45,
                disableClusteringAtZoom: 17, spiderfyOnMaxZoom: true,
                iconCreateFunction: function(c) {
                    var n = c.getChildCount(), size = n < 10 ? 26 : n < 100 ? 32 : 38;
                    return L.divIcon({html: "<div style='width:" + size + "px;height:" + size + "px;line-height:" +
                        (size - 4) + "px;border-radius:50%;background:" + color + ";color:#fff;" +
                        "border:2px solid #fff;box-shadow:0 0 3px #333;text-align:center;" +
                        "font:bold 12px sans-serif'>" + n + "</div>",
                        className: "facility-cluster", iconSize: [size, size]});
                }
            }).addTo(parent);
            var layer = L.geoJSON(null, options);
            function show(data) { layer.addData(data); target.addLayers(layer.getLayers()); }
            {% else %}
            var layer = L.geoJSON(null, options).addTo(parent);
            function show(data) { layer.addData(data); }
            {% endif %}
            {% if this.url %}
            var loaded = false;
            function load() {
                if (loaded) { return; }
                loaded = true;
                window.__serviceCirclesPending = (window.__serviceCirclesPending || 0) + 1;
                fetch({{ this.url | tojson }}).then(function(r) { return r.json(); }).then(show)
                    .finally(function() { window.__serviceCirclesPending -= 1; });
            }
            {% if this.lazy %}
            if (parent._map) { load(); } else { parent.once("add", load); }
            {% else %}
            load();
            {% endif %}
            {% else %}
            show({{ this.data }});
            {% endif %}
            return layer;
        })();
        {% endmacro %}
        """
    )

    def __init__(self, data: str | RemoteJson, *, style: str | None = None, point: str | None = None,
                 interactive: bool = True, popup: Sequence[tuple[str, str]] = (),
                 tooltip: Sequence[tuple[str, str]] = (), cluster: bool = False,
                 cluster_color: str = "#555555", lazy: bool = False) -> None:
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
        self.cluster = cluster
        self.cluster_color = cluster_color
        self.lazy = lazy
        self.default_js, self.default_css = [], []
        if cluster:
            # Loaded into the map's frame from the vendored copy, like Leaflet itself.
            self.default_js, self.default_css = cluster_links()


def style_js(style: Mapping[str, Any]) -> str:
    """A Leaflet style function returning the fixed ``style``."""
    return f"function(f) {{ return {json.dumps(dict(style))}; }}"


class HtmlControl(MacroElement):
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


class MetricScale(MacroElement):
    """A scale bar in metres and kilometres only (folium's own also shows miles)."""

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


class LayerControl(folium.LayerControl):
    """folium's layer control that also takes the overlays meant to start hidden off the map.

    streamlit-folium puts every group it swaps in (``feature_group_to_add``) on the map, whatever
    its ``show``; the control's script runs after them, so it takes those back off (their
    checkbox then starts empty, as in a map drawn whole).
    """

    _template = Template(
        """
        {% macro script(this,kwargs) %}
            var {{ this.get_name() }}_layers = {
                base_layers : {
                    {%- for key, val in this.base_layers.items() %}
                    {{ key|tojson }} : {{val}},
                    {%- endfor %}
                },
                overlays :  {
                    {%- for key, val in this.overlays.items() %}
                    {{ key|tojson }} : {{val}},
                    {%- endfor %}
                },
            };
            let {{ this.get_name() }} = L.control.layers(
                {{ this.get_name() }}_layers.base_layers,
                {{ this.get_name() }}_layers.overlays,
                {{ this.options|tojavascript }}
            ).addTo({{this._parent.get_name()}});
            {%- for name in this.hidden %}
            {{ this._parent.get_name() }}.removeLayer({{ name }});
            {%- endfor %}
        {% endmacro %}
        """
    )

    def render(self, **kwargs: Any) -> None:
        self.hidden = [item.get_name() for item in self._parent._children.values()
                       if isinstance(item, Layer) and item.control and item.overlay and not item.show]
        super().render(**kwargs)


class ImageLayer(MacroElement):
    """A Leaflet image overlay from a URL as it is (a data URL or a root-relative file URL).

    folium's ``ImageOverlay`` reads a root-relative URL as a local file name; the app's images
    are served files (``/app/static/layers/...``) or data URLs.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.imageOverlay({{ this.url | tojson }}, {{ this.bounds | tojson }},
            {{ this.options | tojson }}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, url: str, bounds: Sequence[Sequence[float]], *, zindex: int = 1,
                 class_name: str = "", opacity: float = 1.0) -> None:
        super().__init__()
        self._name = "ImageLayer"
        self.url = url
        self.bounds = [list(map(float, corner)) for corner in bounds]
        self.options = {"interactive": False, "zIndex": int(zindex), "className": class_name, "opacity": opacity}
