"""Map building: colours, projection (GCJ-02 for Amap), GeoJSON text, layers and legend."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
import shapely

from app_support.mapping import (
    COVERAGE_COLORS,
    NO_DATA_COLOR,
    MapLayers,
    build_map,
    coverage_color,
    layer_json,
    legend_html,
    to_display,
)

CRS = "EPSG:32650"


@pytest.mark.parametrize(("pct", "color"), [
    (0.0, COVERAGE_COLORS[0]), (49.9, COVERAGE_COLORS[0]), (50.0, COVERAGE_COLORS[1]),
    (79.99, COVERAGE_COLORS[1]), (80.0, COVERAGE_COLORS[2]), (95.0, COVERAGE_COLORS[3]),
    (99.99, COVERAGE_COLORS[3]), (100.0, COVERAGE_COLORS[4]), (float("nan"), NO_DATA_COLOR),
    (None, NO_DATA_COLOR),
])
def test_coverage_classes(pct: float | None, color: str) -> None:
    assert coverage_color(pct) == color


def test_to_display_projects_and_shifts_for_amap() -> None:
    from geo.coords import wgs84_to_gcj02

    frame = gpd.GeoDataFrame(geometry=shapely.points([[660000.0, 3505000.0]]), crs=CRS)
    plain = to_display(frame)
    lonlat = frame.to_crs(4326).geometry.iloc[0]
    assert plain.crs.to_epsg() == 4326
    assert plain.geometry.iloc[0].x == pytest.approx(round(lonlat.x, 6), abs=1e-9)
    shifted = to_display(frame, basemap="amap").geometry.iloc[0]
    lon, lat = wgs84_to_gcj02(np.array([lonlat.x]), np.array([lonlat.y]))
    assert shifted.x == pytest.approx(float(lon[0]), abs=2e-6)
    assert shifted.y == pytest.approx(float(lat[0]), abs=2e-6)
    # The GCJ-02 offset near Ma'anshan is several hundred metres (about 0.004-0.006 degrees).
    assert 0.002 < abs(shifted.x - lonlat.x) + abs(shifted.y - lonlat.y) < 0.02


def test_layer_json_keeps_named_columns_and_drops_empty_geometry() -> None:
    frame = gpd.GeoDataFrame({"name": ["a", "b", "c"], "value": [1.26, np.inf, np.nan], "secret": [1, 2, 3]},
                             geometry=[shapely.box(660000, 3505000, 660100, 3505100),
                                       shapely.box(660100, 3505000, 660200, 3505100), shapely.Polygon()],
                             crs=CRS)
    data = json.loads(layer_json(frame, ["name", "value"]))
    assert [f["properties"] for f in data["features"]] == [{"name": "a", "value": 1.3},
                                                           {"name": "b", "value": None}]
    ring = data["features"][0]["geometry"]["coordinates"][0]
    assert all(len(str(c).split(".")[1]) <= 6 for xy in ring for c in xy)
    assert layer_json(frame.iloc[2:], ["name"]) is None


def _layers() -> MapLayers:
    communities = gpd.GeoDataFrame({"community_id": ["a", "b"], "name": ["甲", "乙"], "pct": [100.0, 20.0]},
                                   geometry=[shapely.box(660000, 3505000, 661000, 3506000),
                                             shapely.box(661000, 3505000, 662000, 3506000)], crs=CRS)
    facilities = gpd.GeoDataFrame({"facility_id": ["f1", "f2"], "category": ["health", "elderly_care"],
                                   "name": ["站", "养老"]},
                                  geometry=shapely.points([[660500, 3505500], [661500, 3505500]]), crs=CRS)
    circle = gpd.GeoDataFrame(geometry=[shapely.Point(660500, 3505500).buffer(400)], crs=CRS)
    return MapLayers(communities=communities, value_column="pct", facilities=facilities,
                     selected_category="health", circles=circle, buffer=circle,
                     uncovered=gpd.GeoDataFrame({"population": [10.0]},
                                                geometry=shapely.points([[661500, 3505900]]), crs=CRS))


def _overlays(folium_map) -> dict[str, bool]:
    import folium

    return {child.layer_name: child.show for child in folium_map._children.values()
            if isinstance(child, folium.FeatureGroup) and child.overlay}


def test_layers_named_in_the_chosen_language() -> None:
    zh = _overlays(build_map(_layers(), lang="zh"))
    assert zh == {"社区/村": True, "直线距离缓冲区（对照）": False, "服务圈": True, "圈外居民": True,
                  "设施 · 社区卫生服务站": True, "设施 · 养老服务站": False}
    en = _overlays(build_map(_layers(), lang="en"))
    assert "Communities and villages" in en and "Facilities · Community health station" in en


def test_community_fill_follows_coverage() -> None:
    folium_map = build_map(_layers())
    html = folium_map.get_root().render()
    # Community a (100 %) is dark green, b (20 %) red.
    assert '"_fill":"#1a9641"' in html and '"_fill":"#d7191c"' in html


def test_legend_lists_categories_and_ramp() -> None:
    text = legend_html(_layers(), lang="en")
    assert "Community health station" in text and "Elderly care station" in text
    assert "0–50 %" in text and "100 %" in text and "Service circles" in text


def test_uncovered_heat_is_warm_and_the_legend_folds_and_the_scale_is_metric() -> None:
    from app_support.legend import HEAT_GRADIENT

    layers = _layers()
    layers.uncovered = gpd.GeoDataFrame({"population": [10.0, 30.0]},
                                        geometry=[shapely.Point(660500, 3505500), shapely.Point(661500, 3505500)],
                                        crs=CRS)
    page = build_map(layers).get_root().render()
    # Leaflet.heat gets warm stops (red above green above blue), none of its default blue/green/yellow.
    heat = page[page.index("L.heatLayer("):]
    assert '"gradient"' in heat[:600]
    for stop, color in HEAT_GRADIENT.items():
        assert f'{stop}: "{color}"' in heat[:600]
        red, green, blue = (int(color[i:i + 2], 16) for i in (1, 3, 5))
        assert red > green > blue and red - blue >= 0x60, color
    legend = legend_html(layers, lang="zh")
    # One box that folds (an open <details> with a <summary>), opened and closed in pairs.
    assert legend.startswith("<details open") and "<summary" in legend and legend.endswith("</details>")
    assert legend.count("<details") == legend.count("</details>")
    assert "#00f,#0f0" not in legend and "linear-gradient(90deg,#" in legend
    assert "L.control.scale({imperial: false})" in page and "control.scale()" not in page
