"""Leaflet and its plugins served from this repository, never from a CDN.

The files live under ``static/vendor`` and Streamlit serves them at ``<base>/app/static/...``
(``[server] enableStaticServing = true`` in ``.streamlit/config.toml``). streamlit-folium loads
every element's ``default_js``/``default_css`` into its component iframe, which has the app's
origin, so root-relative URLs work on an intranet with no internet access at all.

The classes here are subclasses rather than patches of folium's own classes, so that maps built
elsewhere in the same process (the HTML export) keep their own asset lists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import folium
from folium import plugins

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
VENDOR_DIR = STATIC_DIR / "vendor"

# (name, path under static/vendor): the only scripts and styles a map may load.
_JS = (
    ("leaflet", "leaflet/leaflet.js"),
    ("awesome_markers", "leaflet.awesome-markers/leaflet.awesome-markers.min.js"),
)
_CSS = (
    ("leaflet_css", "leaflet/leaflet.css"),
    ("awesome_markers_font_css", "font-awesome/css/font-awesome.min.css"),
    ("awesome_markers_css", "leaflet.awesome-markers/leaflet.awesome-markers.css"),
)
_HEAT_JS = (("leaflet-heat.js", "leaflet.heat/leaflet-heat.js"),)
_CLUSTER_JS = (("markerclusterjs", "leaflet.markercluster/leaflet.markercluster.js"),)
_CLUSTER_CSS = (
    ("markerclustercss", "leaflet.markercluster/MarkerCluster.css"),
    ("markerclusterdefaultcss", "leaflet.markercluster/MarkerCluster.Default.css"),
)


def base_url_path() -> str:
    """The server's ``baseUrlPath`` as a prefix (``""`` or ``"/prefix"``)."""
    try:
        import streamlit as st

        base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    except Exception:  # outside a Streamlit runtime the option may be unreadable
        base = ""
    return f"/{base}" if base else ""


def static_url(relative: str) -> str:
    """URL under which Streamlit serves ``static/vendor/<relative>``."""
    return f"{base_url_path()}/app/static/vendor/{relative}"


def _links(pairs: tuple[tuple[str, str], ...]) -> list[tuple[str, str]]:
    return [(name, static_url(rel)) for name, rel in pairs]


def cluster_links() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Script and style links of Leaflet.markercluster (for elements that cluster markers)."""
    return _links(_CLUSTER_JS), _links(_CLUSTER_CSS)


def vendored_files() -> list[Path]:
    """Every vendored file a map can reference (for checks that they exist)."""
    rels = [rel for _, rel in (*_JS, *_CSS, *_HEAT_JS, *_CLUSTER_JS, *_CLUSTER_CSS)]
    return [VENDOR_DIR / rel for rel in rels]


class OfflineMap(folium.Map):
    """``folium.Map`` that loads Leaflet, awesome-markers, Font Awesome 4.7, Leaflet.heat and
    Leaflet.markercluster locally.

    jQuery and Bootstrap are left out: nothing on our maps uses them.
    """

    default_js: list[tuple[str, str]] = []
    default_css: list[tuple[str, str]] = []

    def __init__(self, *args: object, **kwargs: object) -> None:
        # Resolved per map so that a changed baseUrlPath is honoured. The plugins come with the
        # map itself: streamlit-folium loads scripts only when it first draws a map, so a layer
        # swapped in later (a heat map, clustered markers) finds its plugin already there.
        self.default_js = _links((*_JS, *_HEAT_JS, *_CLUSTER_JS))
        self.default_css = _links((*_CSS, *_CLUSTER_CSS))
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]


class OfflineHeatMap(plugins.HeatMap):
    """Leaflet.heat from the vendored copy."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        self.default_js = _links(_HEAT_JS)
        self.default_css = []
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]


class OfflineMarkerCluster(plugins.MarkerCluster):
    """Leaflet.markercluster from the vendored copy."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        self.default_js = _links(_CLUSTER_JS)
        self.default_css = _links(_CLUSTER_CSS)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]


@dataclass(frozen=True)
class RemoteJson:
    """GeoJSON the map fetches from ``url`` (served by Streamlit's static file serving).

    ``file`` is what :mod:`app_support.layer_store` wrote: holding it keeps the file in its cache.
    """

    url: str
    file: object = field(default=None, compare=False, repr=False)
