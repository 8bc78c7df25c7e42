"""The map's colours, symbols and legend.

The legend is one collapsible box (an HTML ``<details>``) in the map's lower left corner that
lists every symbol the map may show; the map is fitted to the study area beside it
(:data:`LEGEND_WIDTH_PX`), so it never covers the communities. Residents outside the circle are
drawn in warm colours only: on a map where green means covered, a green heat spot must never
mean many residents left out.
"""

from __future__ import annotations

import html
from typing import Any

import geopandas as gpd
import numpy as np

from app_support.i18n import category_label, t
from app_support.map_images import AREA_BORDER, HEAT_COLORS
from geo.taxonomy import CATEGORIES

NO_DATA_COLOR = "#bdbdbd"
# Coverage ramp (share of residents inside the circle): red → amber → green, five classes.
COVERAGE_BREAKS: tuple[float, ...] = (0.0, 50.0, 80.0, 95.0, 100.0)
COVERAGE_COLORS: tuple[str, ...] = ("#d7191c", "#fdae61", "#ffffbf", "#a6d96a", "#1a9641")
#: Travel-time classes (surface and rings): within ring 1, 2, 3 …, then beyond the last ring
#: (up to twice its time) and farther or unreachable.
RING_COLORS: tuple[str, ...] = ("#1a9850", "#66bd63", "#a6d96a", "#d9ef8b", "#ffffbf", "#fee08b")
BEYOND_COLOR, FAR_COLOR = "#fdae61", "#d73027"
CIRCLE_COLOR = "#3182bd"
#: The circle's outline, darker than its fill so that it reads over the coverage colours.
CIRCLE_LINE = "#08519c"
SITE_COLOR = "#6a00a8"
ROAD_COLORS = {"major": "#8c8c8c", "minor": "#b5b5b5"}
#: Leaflet.heat's gradient for residents outside the circle (the same warm ramp as the images).
HEAT_GRADIENT: dict[float, str] = {0.2: HEAT_COLORS[1], 0.4: HEAT_COLORS[2], 0.6: HEAT_COLORS[3],
                                   0.8: HEAT_COLORS[4], 1.0: HEAT_COLORS[5]}
#: Facility categories listed open in the legend (more are folded).
FACILITIES_OPEN = 6
#: Width of the legend box: the map keeps the study area clear of it.
LEGEND_WIDTH_PX = 230

_BOX = (f"background:rgba(255,255,255,0.94);padding:6px 8px;border-radius:4px;width:{LEGEND_WIDTH_PX - 30}px;"
        "box-shadow:0 0 4px rgba(0,0,0,0.3);font:12px/1.45 sans-serif;max-height:520px;overflow:auto")
_SWATCH = "display:inline-block;width:14px;height:10px;margin-right:4px;vertical-align:middle;"


def coverage_color(pct: float | None) -> str:
    """Fill colour of a community with ``pct`` % of its residents inside the circle."""
    if pct is None or not np.isfinite(pct):
        return NO_DATA_COLOR
    if pct >= COVERAGE_BREAKS[-1]:
        return COVERAGE_COLORS[-1]
    index = int(np.searchsorted(COVERAGE_BREAKS, pct, side="right")) - 1
    return COVERAGE_COLORS[max(0, min(index, len(COVERAGE_COLORS) - 2))]


def ring_colors(rings: int) -> list[str]:
    """Colours of ``rings`` rings, then of "beyond the last ring" and "farther"."""
    inner = [RING_COLORS[min(i, len(RING_COLORS) - 1)] for i in range(rings)]
    return [*inner, BEYOND_COLOR, FAR_COLOR]


def facility_icon_html(key: str, *, size: int = 22) -> str:
    cat = CATEGORIES.get(key)
    color = cat.color if cat else "#555555"
    icon = cat.icon if cat else "circle"
    return (f'<div style="width:{size}px;height:{size}px;border-radius:50%;background:{color};'
            f'border:2px solid #fff;box-shadow:0 0 2px #333;color:#fff;text-align:center;'
            f'line-height:{size - 4}px;font-size:{size // 2}px"><i class="fa fa-{icon}"></i></div>')


def site_icon_html(rank: int) -> str:
    return (f'<div style="width:26px;height:26px;border-radius:50%;background:{SITE_COLOR};'
            'border:2px solid #fff;box-shadow:0 0 3px #000;color:#fff;font:bold 13px/22px sans-serif;'
            f'text-align:center">{int(rank)}</div>')


def categories_in(facilities: gpd.GeoDataFrame) -> list[str]:
    """Categories present in ``facilities``, in the taxonomy's order."""
    present = set(facilities["category"].astype(str))
    ordered = [k for k in CATEGORIES if k in present]
    return ordered + sorted(present - set(ordered))


def has_layer(layer: Any) -> bool:
    """Whether a layer (frame, GeoJSON text, file or image) has anything to draw."""
    if layer is None:
        return False
    if isinstance(layer, str):
        return '"features":[]' not in layer
    if isinstance(layer, gpd.GeoDataFrame):
        return len(layer) > 0
    return True


def _row(symbol: str, text: str) -> str:
    return f'<div style="margin:1px 0">{symbol}{html.escape(text)}</div>'


def _swatch(style: str) -> str:
    return f'<span style="{_SWATCH}{style}"></span>'


def _heading(text: str) -> str:
    return f'<div style="margin-top:5px;font-weight:bold">{html.escape(text)}</div>'


def legend_html(layers: Any, *, lang: str) -> str:
    """The map legend of :class:`app_support.mapping.MapLayers`: coverage ramp, facility
    categories with icons, every other symbol."""
    parts = [f'<details open style="{_BOX}"><summary style="cursor:pointer"><b>'
             f'{html.escape(t("map.legend", lang))}</b></summary>']
    if layers.communities is not None and layers.value_column:
        parts.append(_heading(t("map.legend.coverage", lang)))
        for i, color in enumerate(COVERAGE_COLORS):
            last = i == len(COVERAGE_COLORS) - 1
            text = "100 %" if last else f"{COVERAGE_BREAKS[i]:.0f}–{COVERAGE_BREAKS[i + 1]:.0f} %"
            parts.append(_row(_swatch(f"background:{color};border:1px solid #666"), text))
        parts.append(_row(_swatch(f"background:{NO_DATA_COLOR};border:1px solid #666"), t("map.legend.no_data", lang)))
    shown_facilities = layers.all_facilities if layers.all_facilities is not None else layers.facilities
    if shown_facilities is not None and len(shown_facilities):
        keys = (categories_in(shown_facilities) if isinstance(shown_facilities, gpd.GeoDataFrame)
                else list(shown_facilities))
        # Many categories make a long list: folded, so that the rest of the legend stays in view.
        parts.append(f'<details{" open" if len(keys) <= FACILITIES_OPEN else ""} style="margin-top:5px">'
                     f'<summary style="cursor:pointer;font-weight:bold">'
                     f'{html.escape(t("map.legend.facilities", lang, n=len(keys)))}</summary>')
        for key in keys:
            parts.append('<div style="display:flex;align-items:center;gap:4px;margin:1px 0">'
                         f'{facility_icon_html(key, size=18)}<span>{html.escape(category_label(key, lang))}</span></div>')
        parts.append('</details>')
        parts.append('<div style="display:flex;align-items:center;gap:4px;margin:1px 0">'
                     '<span style="display:inline-block;min-width:18px;height:18px;border-radius:50%;background:#777;'
                     'color:#fff;font:bold 10px/18px sans-serif;text-align:center">12</span>'
                     f'<span>{html.escape(t("map.legend.cluster", lang))}</span></div>')
    # A fixed legend lists every symbol the groups may use: it must not change (and make the
    # browser draw the whole map again) when a layer drawn in the background arrives.
    fixed = layers.all_facilities is not None
    parts.append(_heading(t("map.legend.layers", lang)))
    if fixed or has_layer(layers.circles) or layers.circle_image is not None:
        parts.append(_row(_swatch(f"background:rgba(49,130,189,0.3);border:1.5px solid {CIRCLE_LINE}"),
                          t("layer.circles", lang)))
    if fixed or has_layer(layers.buffer):
        parts.append(_row(_swatch("border:1px dashed #555"), t("layer.buffer", lang)))
    if fixed or (layers.uncovered is not None and len(layers.uncovered)) or layers.uncovered_image is not None:
        gradient = ",".join(HEAT_COLORS)
        parts.append(_row(_swatch(f"background:linear-gradient(90deg,{gradient})"),
                          layers.uncovered_title or t("layer.uncovered", lang)))
    if fixed or has_layer(layers.responsibility) or layers.responsibility_image is not None:
        parts.append(_row(_swatch(f"border:1.5px solid {AREA_BORDER}"), t("layer.responsibility", lang)))
    if layers.sites is not None and len(layers.sites):
        parts.append(_row(f'<span style="{_SWATCH}width:12px;height:12px;border-radius:50%;'
                          f'background:{SITE_COLOR}"></span>', t("layer.sites", lang)))
    if has_layer(layers.site_circles):
        parts.append(_row(_swatch(f"background:rgba(106,0,168,0.15);border:1.5px solid {SITE_COLOR}"),
                          t("layer.site_circles", lang)))
    if has_layer(layers.roads) or layers.road_tiles is not None:
        parts.append(_row(_swatch(f"height:0;border-top:3px solid {ROAD_COLORS['major']}"), t("map.legend.major", lang)))
        parts.append(_row(_swatch(f"height:0;border-top:1px solid {ROAD_COLORS['minor']}"), t("map.legend.minor", lang)))
    if layers.ring_legend and (fixed or layers.surface is not None or has_layer(layers.rings)):
        parts.append(_heading(t("layer.surface", lang)))
        for color, text in layers.ring_legend:
            parts.append(_row(_swatch(f"background:{color};opacity:0.8"), text))
    for text, color in layers.extra_legend.items():
        parts.append(_row(_swatch(f"background:{color}"), text))
    parts.append("</details>")
    return "".join(parts)
