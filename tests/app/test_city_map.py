"""The map of a city: drawn layers as images and tiles, clustered facilities fetched when shown,
per-category supply, simplified outlines, the first category. On the toy data set, with the size
limits lowered so that it counts as a city."""

from __future__ import annotations

import base64
import io
import math

import numpy as np
import pytest
from PIL import Image

from app_support import drawn, mapping, views
from app_support.mapping import build_map
from app_support.offline import RemoteJson
from planning import columns
from planning.access.analysis import analyze


def _pixel(image, lon: float, lat: float) -> np.ndarray:
    """The pixel of an image (a data URL, Web Mercator) under a point."""
    pixels = np.asarray(Image.open(io.BytesIO(base64.b64decode(image.url.split(",", 1)[1]))).convert("RGBA"))
    (south, west), (north, east) = image.bounds

    def merc_y(value: float) -> float:
        return math.log(math.tan(math.pi / 4 + math.radians(value) / 2))

    height, width = pixels.shape[:2]
    col = int((lon - west) / (east - west) * width)
    row = int((merc_y(north) - merc_y(lat)) / (merc_y(north) - merc_y(south)) * height)
    return pixels[row, col]


def test_circle_image_holds_the_covered_residents(toy_dataset_and_analysis) -> None:
    dataset, analysis = toy_dataset_and_analysis
    layers = views.drawn_layers(analysis, "health")
    assert layers is not None and layers.circle is not None
    assert layers.circle.url.startswith("data:image/png;base64,")  # small: inside the page
    points = dataset.population.to_crs(4326)
    covered = analysis.covered["health"]
    for index, point in zip(points.index, points.geometry, strict=True):
        alpha = _pixel(layers.circle, point.x, point.y)[3]
        # Inside the circle exactly when counted as covered (see test_views for the hand-worked
        # facts: C3's points and the one outside every community are not).
        assert (alpha > 0) == bool(covered.loc[index]), index
    assert views.drawn_layers(analysis, views.COMPLETE) is None


def test_a_city_gets_images_and_tiles_instead_of_vector_layers(toy_dataset_and_analysis,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    dataset, analysis = toy_dataset_and_analysis
    assert not drawn.is_large(dataset)
    monkeypatch.setattr(drawn, "LARGE_EDGES", 0)
    monkeypatch.setattr(views, "UNCOVERED_POINTS_MAX", 0)
    assert drawn.is_large(dataset)
    layers = views.map_layers(dataset, analysis, "elderly_care", lang="zh")
    assert layers.rings is None and layers.responsibility is None
    assert layers.responsibility_image is not None and layers.circle_image is not None
    assert layers.uncovered is None and layers.uncovered_image is not None
    html = build_map(layers, lang="zh").get_root().render()
    assert html.count("L.imageOverlay(") == 4  # circle, surface, responsibility areas, residents outside
    # One facility per category: drawn as they are; a dense category is clustered.
    assert "L.markerClusterGroup(" not in html
    monkeypatch.setattr(mapping, "CLUSTER_FROM", 0)
    html = build_map(layers, lang="zh").get_root().render()
    assert "L.markerClusterGroup(" in html and "leaflet.markercluster/leaflet.markercluster.js" in html
    # Facilities kept in files: a hidden category is fetched only when its layer is first shown.
    files = {key: RemoteJson(f"/app/static/layers/shared/{key}.geojson")
             for key in ("health", "elderly_care", "convenience_retail", "community_service_center")}
    shown = views.map_layers(dataset, analysis, "elderly_care", lang="zh", facilities=files)
    html = build_map(shown, lang="zh").get_root().render()
    # The four categories of the merged "all categories" group (hidden at first) and the shown
    # category's own: each fetches its file once its group is on the map.
    assert html.count('if (parent._map) { load(); } else { parent.once("add", load); }') == 5
    assert html.count("/app/static/layers/shared/elderly_care.geojson") == 2


def test_popups_carry_only_the_supply_computed(toy_dataset_and_analysis, monkeypatch: pytest.MonkeyPatch) -> None:
    dataset, analysis = toy_dataset_and_analysis
    table = analysis.community_table
    rows = analysis.community_rows(["health"])
    e2sfca = [c for c in rows.columns if columns.is_measure(c, "e2sfca")]
    assert e2sfca == [columns.e2sfca("health")]
    np.testing.assert_array_equal(rows[columns.e2sfca("health")].to_numpy(), table[columns.e2sfca("health")].to_numpy())
    assert list(rows.columns) == [c for c in table.columns if not columns.is_measure(c, "e2sfca") or c in e2sfca]
    ready = [c for c in analysis.categories if analysis.supply_ready(c)]
    assert "health" in ready and views.supply_shown(analysis, "health") == ready
    fresh = analyze(dataset)
    # A small data set: the shown category's supply in any case, the others once computed.
    assert views.supply_shown(fresh, "elderly_care") == ["elderly_care"]
    monkeypatch.setattr(drawn, "LARGE_EDGES", 0)
    assert views.supply_shown(fresh, "elderly_care") == []  # a city: only what is ready
    fresh.supply_per_1000("health")
    assert views.supply_shown(fresh, "elderly_care") == ["health"]


def test_outlines_are_simplified_to_the_display_scale(toy_dataset_and_analysis) -> None:
    dataset, _ = toy_dataset_and_analysis
    # The toy study area is 2 km wide: 2000 / 4000 = 0.5 m, so the 1 m floor.
    assert drawn.display_simplify_m(dataset) == 1.0


def test_first_category_has_facilities(toy_dataset_and_analysis) -> None:
    _, analysis = toy_dataset_and_analysis
    first = views.first_category(analysis)
    assert first == "community_service_center"
    assert analysis.category_summary.loc[first, "facilities"] > 0


def test_export_page_writes_the_geopackage_with_or_without_rings_and_areas(toy_source: str, tmp_path) -> None:
    import pyogrio
    from streamlit.testing.v1 import AppTest

    from tests.app.conftest import ROOT

    def export(areas: bool) -> set[str]:
        at = AppTest.from_file(str(ROOT / "pages" / "4_export.py"), default_timeout=120)
        at.session_state["source"] = toy_source
        at.run()
        assert not at.exception
        at.checkbox(key="w_exp_areas").set_value(areas)
        next(b for b in at.button if b.label == "生成文件").click()
        at.run()
        assert not at.exception
        status = [s for s in at.status if s.label.startswith("文件已生成")]
        assert status and status[0].state == "complete"
        name, data, _ = at.session_state["export_files"][0]
        assert name == "toy_service_circles.gpkg"
        path = tmp_path / f"{areas}.gpkg"
        path.write_bytes(data)
        return {str(n) for n, _ in pyogrio.list_layers(path)}

    plain = export(False)
    assert {"communities", "circles", "demand", "uncovered"} <= plain
    assert not {"rings", "responsibility_areas"} & plain  # slow on a city's network: only when asked for
    assert {"rings", "responsibility_areas"} <= export(True)
