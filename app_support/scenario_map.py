"""Map layers of the session's what-if scenario: planned facilities and the ones it closes.

Planned facilities get their category's colour and icon inside a dashed ring (built ones are
solid discs), so an accepted siting result or a facility drawn on the map is told apart at a
glance; a facility the scenario closes or removes gets a grey cross over its marker. Both are
extra groups of the map (:class:`app_support.mapping.MapParts`), with their rows of the legend
given as :attr:`app_support.mapping.MapLayers.extra_legend`.
"""

from __future__ import annotations

import json
from typing import Any

import folium
import geopandas as gpd
import pandas as pd

from app_support.i18n import category_label, column_label, t
from app_support.mapping import GeoJsonLayer, layer_json
from geo.taxonomy import CATEGORIES

CLOSED_COLOR = "#505050"
_CLOSED_ICON = ('<div style="width:22px;height:22px;border-radius:50%;background:rgba(80,80,80,0.85);'
                'border:2px solid #fff;color:#fff;font:bold 14px/18px sans-serif;text-align:center">✕</div>')


def planned_icon_html(key: str, *, size: int = 24) -> str:
    """A planned facility's marker: its category's icon in a dashed ring of its colour."""
    cat = CATEGORIES.get(key)
    color = cat.color if cat else "#555555"
    icon = cat.icon if cat else "circle"
    return (f'<div style="width:{size}px;height:{size}px;border-radius:50%;background:#fff;'
            f'border:3px dashed {color};box-shadow:0 0 3px #000;color:{color};text-align:center;'
            f'line-height:{size - 6}px;font-size:{size // 2}px"><i class="fa fa-{icon}"></i></div>')


def scenario_frames(base_dataset: Any, edits: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """(planned facilities, closed or removed facilities) of an edit table, as points."""
    adds = edits[edits["edit"] == "add"]
    planned = gpd.GeoDataFrame(pd.DataFrame(adds.drop(columns=adds.geometry.name)), geometry=adds.geometry.to_numpy(),
                               crs=edits.crs)
    gone = edits[edits["edit"] != "add"]
    fac = base_dataset.facilities
    hit = fac[fac["facility_id"].astype(str).isin(set(gone["facility_id"].astype(str)))] if len(fac) else fac
    kind = dict(zip(gone["facility_id"].astype(str), gone["edit"].astype(str)))
    closed = gpd.GeoDataFrame({"facility_id": hit["facility_id"].astype(str).to_numpy(),
                               "name": hit["name"].astype(object).to_numpy() if "name" in hit.columns else None,
                               "category": hit["category"].astype(str).to_numpy(),
                               "edit": [kind[str(i)] for i in hit["facility_id"]]},
                              geometry=hit.geometry.to_numpy(), crs=base_dataset.crs)
    return planned, closed


def scenario_groups(planned: gpd.GeoDataFrame | None, closed: gpd.GeoDataFrame | None, *, lang: str,
                    basemap: str = "none") -> list[folium.FeatureGroup]:
    """Map groups of the planned facilities and of the facilities the scenario closes."""
    groups = []
    fields = [("name", column_label("name", lang)), ("facility_id", column_label("facility_id", lang)),
              ("category_name", column_label("category", lang)),
              ("floor_area_m2", column_label("floor_area_m2", lang)), ("capacity", column_label("capacity", lang)),
              ("status_name", column_label("status", lang))]
    shown_as = "amap" if basemap == "amap" else "none"
    if planned is not None and len(planned):
        shown = planned.assign(category_name=[category_label(str(c), lang) for c in planned["category"]],
                               status_name=t("map.planned", lang))
        icons = {str(k): planned_icon_html(str(k)) for k in shown["category"].unique()}
        point = ("function(f, latlng) { var icons = " + json.dumps(icons) + "; return L.marker(latlng, {icon: "
                 "L.divIcon({html: icons[f.properties.category], className: 'planned-icon', iconSize: [24, 24], "
                 "iconAnchor: [12, 12]}), zIndexOffset: 900}); }")
        data = layer_json(shown, ["facility_id", "category", "name", "floor_area_m2", "capacity", "category_name",
                                  "status_name", "edit"], basemap=shown_as)
        if data:
            fg = folium.FeatureGroup(name=t("layer.planned", lang), show=True)
            fg.add_child(GeoJsonLayer(data, point=point, popup=fields, tooltip=[("name", t("map.planned", lang))]))
            groups.append(fg)
    if closed is not None and len(closed):
        shown = closed.assign(status_name=[t(f"map.edit.{e}", lang) for e in closed["edit"]])
        point = ("function(f, latlng) { return L.marker(latlng, {icon: L.divIcon({html: " + json.dumps(_CLOSED_ICON)
                 + ", className: 'closed-icon', iconSize: [22, 22], iconAnchor: [11, 11]}), zIndexOffset: 950}); }")
        data = layer_json(shown, ["facility_id", "name", "category", "status_name", "edit"], basemap=shown_as)
        if data:
            fg = folium.FeatureGroup(name=t("layer.closed", lang), show=True)
            fg.add_child(GeoJsonLayer(data, point=point,
                                      popup=[f for f in fields if f[0] in ("name", "facility_id", "status_name")],
                                      tooltip=[("status_name", column_label("status", lang))]))
            groups.append(fg)
    return groups


def scenario_legend(planned: gpd.GeoDataFrame | None, closed: gpd.GeoDataFrame | None, *,
                    lang: str) -> dict[str, str]:
    """Legend rows (text → colour) of :func:`scenario_groups`."""
    out = {}
    if planned is not None and len(planned):
        key = str(planned["category"].iloc[0])
        out[t("map.legend.planned", lang)] = CATEGORIES[key].color if key in CATEGORIES else "#555555"
    if closed is not None and len(closed):
        out[t("layer.closed", lang)] = CLOSED_COLOR
    return out
