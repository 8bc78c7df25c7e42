"""The travel-time surface, rings and responsibility areas on the map."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from PIL import Image
from rasterio.transform import from_origin
from rasterio.warp import transform as transform_xy

from app_support import views
from app_support.mapping import (
    BEYOND_COLOR,
    FAR_COLOR,
    RING_COLORS,
    MapLayers,
    build_map,
    legend_html,
    ring_colors,
    surface_image,
)

CRS = "EPSG:32650"


def test_ring_colours() -> None:
    assert ring_colors(3) == [*RING_COLORS[:3], BEYOND_COLOR, FAR_COLOR]
    assert ring_colors(8)[6:] == [RING_COLORS[-1], RING_COLORS[-1], BEYOND_COLOR, FAR_COLOR]


def test_surface_image_is_a_png_in_web_mercator() -> None:
    # 4 × 2 cells of 100 m: classes 1 and 2 on the left half, nothing (transparent) on the right.
    classes = np.array([[1, 2, 0, 0], [1, 2, 0, 0]], dtype=np.uint8)
    west, north = 660000.0, 3505200.0
    image = surface_image(classes, from_origin(west, north, 100.0, 100.0), CRS, ["#ff0000", "#0000ff"])
    assert image is not None and image.url.startswith("data:image/png;base64,")
    png = Image.open(io.BytesIO(base64.b64decode(image.url.split(",", 1)[1])))
    pixels = np.asarray(png.convert("RGBA"))
    h, w, _ = pixels.shape
    assert tuple(pixels[h // 2, w // 8]) == (255, 0, 0, 140)  # class 1, translucent
    assert tuple(pixels[h // 2, w * 3 // 8]) == (0, 0, 255, 140)
    assert pixels[h // 2, w * 7 // 8, 3] == 0  # no class: transparent
    # The corners cover the grid (resampling to Web Mercator keeps its extent).
    lon, lat = transform_xy(CRS, "EPSG:4326", [west, west + 400], [north - 200, north])
    (south, w_lon), (n_lat, e_lon) = image.bounds
    assert w_lon == pytest.approx(lon[0], abs=2e-4) and e_lon == pytest.approx(lon[1], abs=2e-4)
    assert south == pytest.approx(lat[0], abs=2e-4) and n_lat == pytest.approx(lat[1], abs=2e-4)
    amap = surface_image(classes, from_origin(west, north, 100.0, 100.0), CRS, ["#ff0000", "#0000ff"],
                         basemap="amap")
    assert 0.002 < abs(amap.bounds[0][1] - w_lon) < 0.01  # shifted into GCJ-02
    assert surface_image(np.zeros((2, 2), dtype=np.uint8), from_origin(west, north, 100, 100), CRS, []) is None


def test_surface_rings_and_areas_are_toggles_off_at_first(toy_dataset_dir: Path) -> None:
    import folium

    from geo.dataset_loader import load_dataset
    from planning.access.analysis import analyze
    from planning.settings import Settings

    dataset = load_dataset(toy_dataset_dir)
    analysis = analyze(dataset)
    rings, areas, image, legend = views.surface_layers(analysis, "health", "en")
    assert image is not None and rings is not None and areas is not None
    # The toy data have villages: each ring shows both kinds' times.
    assert [text for _, text in legend] == ["≤ 5 min (rural ≤ 10)", "≤ 10 min (rural ≤ 20)",
                                            "≤ 15 min (rural ≤ 30)", "15–30 min", "over 30 min or unreachable"]
    # Prepared once, for every language and circle time of the same travel settings.
    assert views.prepare_surface_layers(analysis, "health") is views.prepare_surface_layers(analysis, "health")
    shorter = analyze(dataset, Settings(urban_circle_minutes=10.0))
    assert views.surface_layers(shorter, "health", "zh")[:3] == (rings, areas, image)
    assert views.surface_layers(analysis, views.COMPLETE, "en") == (None, None, None, ())
    layers = views.map_layers(dataset, analysis, "health", lang="en")
    folium_map = build_map(layers, lang="en")
    shown = {child.layer_name: child.show for child in folium_map._children.values()
             if isinstance(child, folium.FeatureGroup) and child.overlay}
    assert {"Travel time (minutes)": False, "Travel-time rings": False,
            "Responsibility areas (nearest facility)": False}.items() <= shown.items()
    html = folium_map.get_root().render()
    assert "L.imageOverlay" in html and "data:image/png;base64," in html
    text = legend_html(layers, lang="en")
    assert "Travel time (minutes)" in text and "≤ 5 min (rural ≤ 10)" in text
    assert "Responsibility areas (nearest facility)" in text
    zh = views.map_layers(dataset, analysis, "health", lang="zh")
    assert "≤ 5 分钟（农村 ≤ 10）" in legend_html(zh, lang="zh")


def test_rings_layer_from_a_frame_is_coloured_by_ring() -> None:
    rings = gpd.GeoDataFrame({"ring": [1, 2], "urban_minutes": [5.0, 10.0], "rural_minutes": [10.0, 20.0]},
                             geometry=[shapely.box(660000, 3505000, 660100, 3505100),
                                       shapely.box(660100, 3505000, 660200, 3505100)], crs=CRS)
    layers = MapLayers(rings=rings, ring_legend=[("#111111", "a"), ("#222222", "b")])
    html = build_map(layers).get_root().render()
    assert '["#111111", "#222222"]' in html and "f.properties.ring" in html
