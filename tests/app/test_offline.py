"""The map loads Leaflet, plugins, styles and fonts from this repository only."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import shapely

from app_support.mapping import MapLayers, build_map
from app_support.offline import STATIC_DIR, VENDOR_DIR, static_url, vendored_files

ROOT = Path(__file__).resolve().parents[2]


def _toy_layers() -> MapLayers:
    crs = "EPSG:32650"
    communities = gpd.GeoDataFrame({"community_id": ["a"], "name": ["甲社区"], "pct": [40.0]},
                                   geometry=[shapely.box(660000, 3505000, 661000, 3506000)], crs=crs)
    facilities = gpd.GeoDataFrame({"facility_id": ["f"], "category": ["health"], "name": ["站"]},
                                  geometry=shapely.points([[660500, 3505500]]), crs=crs)
    people = gpd.GeoDataFrame({"population": [10.0, 5.0]},
                              geometry=shapely.points([[660100, 3505100], [660900, 3505900]]), crs=crs)
    sites = gpd.GeoDataFrame({"rank": [1], "name": ["新址"]}, geometry=shapely.points([[660300, 3505300]]), crs=crs)
    return MapLayers(communities=communities, value_column="pct", facilities=facilities, uncovered=people,
                     sites=sites, attribution=["© test"])


def _links(folium_map) -> tuple[list[str], list[str]]:
    """Script and style URLs exactly as streamlit-folium collects them for its iframe."""
    js, css = [], []

    def walk(element):
        js.extend(src for _, src in getattr(element, "default_js", []))
        css.extend(href for _, href in getattr(element, "default_css", []))
        for child in getattr(element, "_children", {}).values():
            yield from walk(child)
        yield element

    list(walk(folium_map))
    return js, css


def test_vendored_files_exist_with_licences() -> None:
    for path in vendored_files():
        assert path.is_file() and path.stat().st_size > 500, path
    for folder in ("leaflet", "leaflet.markercluster", "leaflet.heat", "leaflet.awesome-markers", "font-awesome"):
        assert (VENDOR_DIR / folder / "LICENSE").is_file(), folder
    # Files the stylesheets refer to (marker images, fonts) are vendored too.
    for css in VENDOR_DIR.rglob("*.css"):
        for ref in re.findall(r"url\(['\"]?([^'\")?#]+)", css.read_text(encoding="utf-8")):
            if not ref.startswith("data:"):
                assert (css.parent / ref).is_file(), (css, ref)


def test_static_serving_is_enabled() -> None:
    config = (ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8")
    assert re.search(r"^enableStaticServing\s*=\s*true", config, re.M)
    assert STATIC_DIR == ROOT / "static"


def test_every_script_and_style_of_a_full_map_is_local() -> None:
    for basemap in ("none", "osm", "amap"):
        folium_map = build_map(_toy_layers(), basemap=basemap)
        folium_map.get_root().render()
        js, css = _links(folium_map)
        assert static_url("leaflet/leaflet.js") in js
        assert static_url("leaflet.heat/leaflet-heat.js") in js
        assert static_url("font-awesome/css/font-awesome.min.css") in css
        for url in js + css:
            assert url.startswith("/app/static/vendor/"), url
            assert (VENDOR_DIR / url.removeprefix("/app/static/vendor/")).is_file(), url


def test_offline_map_requests_no_tiles() -> None:
    html = build_map(_toy_layers(), basemap="none").get_root().render()
    assert "tile.openstreetmap.org" not in html and "autonavi" not in html and "tianditu" not in html
    assert re.findall(r"""(?:src|href)=["'](https?:)""", html) == []
    online = build_map(_toy_layers(), basemap="osm").get_root().render()
    assert "tile.openstreetmap.org" in online
