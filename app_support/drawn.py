"""The heavy map layers of one category, drawn once and kept: circle, surface, areas, residents.

What the map shows of a category beyond the coloured communities: the network service circle,
the travel-time surface and its rings, the responsibility areas and the residents outside the
circle. A city's are drawn as images (:mod:`app_support.map_images`) and served as files
(:mod:`app_support.layer_store`); a small data set (:func:`is_large`) keeps the rings and
responsibility areas as vector data with their popups. Everything here is kept per travel-time
surfaces (the data set and travel settings) and the times it depends on, so a language switch,
a base-map change back and forth or a return to a category finds it ready.

Examples
--------
>>> from geo.synthetic import synthetic_dataset
>>> from planning.access.analysis import analyze
>>> result = analyze(synthetic_dataset(2_000))
>>> layers = drawn_layers(result, "health")
>>> layers.circle is not None and layers.surface is not None
True
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import geopandas as gpd
import numpy as np

from app_support import layer_store
from app_support.legend import CIRCLE_COLOR, CIRCLE_LINE, ring_colors
from app_support.map_images import area_png, classes_png, density_png, labels_png
from app_support.mapping import Layer, SurfaceImage, layer_json, png_url

#: Above either size, a data set is a city: its layers go to the map as tiles and images.
LARGE_EDGES = 50_000
LARGE_POINTS = 50_000
#: Images smaller than this travel inside the page (one request fewer); larger ones as files.
INLINE_IMAGE_BYTES = 96_000
_KEPT_MAX = 96


def is_large(dataset: Any) -> bool:
    """Whether a data set is drawn as a city (roads as tiles, areas as images)."""
    return int(dataset.roads.n_edges) > LARGE_EDGES or len(dataset.population) > LARGE_POINTS


def display_simplify_m(dataset: Any) -> float:
    """How far community outlines may move when simplified for the map: a pixel or so at the
    zoom that shows the whole study area in a wide map (1 m for a district, ~20 m for a city)."""
    com = dataset.communities
    if len(com) == 0:
        return 1.0
    minx, miny, maxx, maxy = com.total_bounds
    return float(np.clip(max(maxx - minx, maxy - miny) / 4000.0, 1.0, 25.0))


@dataclass(frozen=True)
class DrawnLayers:
    """One category's drawn layers (any may be ``None``).

    ``circle`` is the network service circle as an image; ``buffer`` the straight-line
    comparison (GeoJSON); ``surface`` the travel-time classes; ``rings`` and
    ``responsibility`` vector data of a small data set, ``responsibility_image`` a city's.
    """

    circle: SurfaceImage | None = None
    buffer: Layer = None
    surface: SurfaceImage | None = None
    rings: Layer = None
    responsibility: Layer = None
    responsibility_image: SurfaceImage | None = None


# Kept by a key that starts with the travel-time surfaces' id: (weak reference, value).
_KEPT: OrderedDict[tuple[Any, ...], tuple[weakref.ref, Any]] = OrderedDict()
_KEPT_LOCK = threading.Lock()


def _kept(surfaces: Any, key: tuple[Any, ...], build: Callable[[], Any]) -> Any:
    """``build()`` once per ``key`` while ``surfaces`` lives (a small LRU of recent ones)."""
    full = (id(surfaces), *key)
    with _KEPT_LOCK:
        hit = _KEPT.get(full)
        if hit is not None and hit[0]() is surfaces:
            _KEPT.move_to_end(full)
            return hit[1]
    value = build()
    with _KEPT_LOCK:
        _KEPT[full] = (weakref.ref(surfaces), value)
        while len(_KEPT) > _KEPT_MAX:
            _KEPT.popitem(last=False)
    return value


def kept_on(analysis: Any, key: tuple[Any, ...], build: Callable[[], Any]) -> Any:
    """``build()`` once per ``key`` for one analysis (layers that depend on its circle times,
    such as the residents outside the circle), kept with the analysis itself."""
    kept: dict[tuple[Any, ...], Any] = analysis.__dict__.setdefault("_map_layers", {})
    with _KEPT_LOCK:
        if key in kept:
            return kept[key]
    value = build()
    with _KEPT_LOCK:
        kept.setdefault(key, value)
        return kept[key]


def image(drawn: tuple[bytes, list[list[float]]] | None, *, scope: str = layer_store.SHARED) -> SurfaceImage | None:
    """An image for the map: inside the page when small, else a served file (inside the page
    again when the cache folder is read-only)."""
    if drawn is None:
        return None
    data, bounds = drawn
    if len(data) > INLINE_IMAGE_BYTES:
        item = layer_store.publish(data, ".png", scope=scope)
        if item is not None:
            return SurfaceImage(url=item.url, bounds=bounds, file=item)
    return SurfaceImage(url=png_url(data), bounds=bounds)


def published(text: str | None, *, scope: str = layer_store.SHARED) -> Layer:
    """GeoJSON text as a file the map fetches (the text itself when the folder is read-only)."""
    if text is None:
        return None
    return layer_store.publish_json(text, scope=scope) or text


def _shift(basemap: str) -> str:
    return "amap" if basemap == "amap" else "none"


def surface_and_areas(analysis: Any, category: str, basemap: str = "none", *,
                      scope: str = layer_store.SHARED) -> tuple[Layer, Layer, SurfaceImage | None]:
    """Rings and responsibility areas as map data (small data sets) and the surface image.

    They depend neither on the circle times nor on the language: kept per surfaces, category,
    ring times and base map.
    """
    surfaces = analysis.surfaces
    settings = analysis.settings
    shown = _shift(basemap)

    def build() -> tuple[Layer, Layer, SurfaceImage | None]:
        rings = {"urban": settings.urban_ring_minutes, "rural": settings.rural_ring_minutes}
        count = max(len(rings[k]) for k in surfaces.kinds)
        grid = surfaces.grid
        picture = image(classes_png(surfaces.classes(category, rings), grid.transform, grid.crs,
                                    ring_colors(count), basemap=shown, max_pixels=4_000_000), scope=scope)
        if is_large(analysis.dataset):
            # A city's rings are the surface image's classes; its areas are an image of their own.
            return None, None, picture
        ring_text = layer_json(analysis.rings_for([category]), ["ring", "urban_minutes", "rural_minutes"],
                               basemap=shown)
        # No covered population here: it alone depends on the circle time.
        area_text = layer_json(analysis.responsibility_for([category]),
                               ["name", "population", "households", "residents_per_100_m2", "residents_per_place"],
                               basemap=shown)
        return published(ring_text, scope=scope), published(area_text, scope=scope), picture

    return _kept(surfaces, ("surface", category, settings.urban_ring_minutes, settings.rural_ring_minutes,
                            shown, scope), build)


def circle_image(analysis: Any, category: str, basemap: str = "none", *,
                 scope: str = layer_store.SHARED) -> SurfaceImage | None:
    """The network service circle of one category: the cells whose resident reaches a facility
    within their own community's circle time, as a fill with an outline."""
    surfaces = analysis.surfaces
    minutes = {kind: float(analysis.settings.circle_minutes(kind)) for kind in ("urban", "rural")}

    def build() -> SurfaceImage | None:
        grid = surfaces.grid
        cells, _ = surfaces.levels(category, {k: [m] for k, m in minutes.items()})
        inside = np.zeros(grid.height * grid.width, dtype=np.uint8)
        inside[cells] = 1
        return image(area_png(inside.reshape(grid.shape), grid.transform, grid.crs, CIRCLE_COLOR,
                              line_color=CIRCLE_LINE, line_alpha=255, basemap=_shift(basemap)), scope=scope)

    return _kept(surfaces, ("circle", category, tuple(sorted(minutes.items())), _shift(basemap), scope), build)


def responsibility_image(analysis: Any, category: str, basemap: str = "none", *,
                         scope: str = layer_store.SHARED) -> SurfaceImage | None:
    """Each facility's responsibility area (the cells whose nearest facility it is) as an image."""
    surfaces = analysis.surfaces

    def build() -> SurfaceImage | None:
        grid = surfaces.grid
        labels = np.zeros(grid.height * grid.width, dtype=np.int32)
        for kind in surfaces.kinds:
            cells = surfaces.cells(kind)
            _, source = surfaces.nearest_facility(category, cells.mode)
            labels[cells.cells] = source[cells.node] + 1
        return image(labels_png(labels.reshape(grid.shape), grid.transform, grid.crs, basemap=_shift(basemap)),
                     scope=scope)

    return _kept(surfaces, ("areas", category, _shift(basemap), scope), build)


def drawn_layers(analysis: Any, category: str, basemap: str = "none", *,
                 scope: str = layer_store.SHARED, part: str = "all") -> DrawnLayers:
    """The drawn layers of one analysed category (see :class:`DrawnLayers`).

    ``part``: ``"circle"`` (what the map shows at first), ``"extras"`` (the layers it starts
    with hidden) or ``"all"``; a page draws the circle first.
    """
    if part not in ("all", "circle", "extras"):
        raise ValueError(f"part must be all, circle or extras, not {part!r}")
    circle = circle_image(analysis, category, basemap, scope=scope) if part != "extras" else None
    if part == "circle":
        return DrawnLayers(circle=circle)
    rings, areas, surface = surface_and_areas(analysis, category, basemap, scope=scope)
    buffer = published(layer_json(analysis.buffer_circle(category), basemap=_shift(basemap), simplify_m=2.0),
                       scope=scope)
    return DrawnLayers(
        circle=circle, buffer=buffer, surface=surface, rings=rings, responsibility=areas,
        responsibility_image=responsibility_image(analysis, category, basemap, scope=scope)
        if is_large(analysis.dataset) else None)


def combined(circle: DrawnLayers | None, extras: DrawnLayers | None) -> DrawnLayers | None:
    """The circle of one :class:`DrawnLayers` with the other layers of another (either may be
    missing while it is drawn)."""
    if circle is None and extras is None:
        return None
    base = extras if extras is not None else DrawnLayers()
    return replace(base, circle=circle.circle if circle is not None else None)


def uncovered_image(points: gpd.GeoDataFrame, *, mode: str, basemap: str = "none",
                    scope: str = layer_store.SHARED) -> SurfaceImage | None:
    """Residents outside the circle as a warm heat image or as dots (``mode``: heat or points)."""
    if len(points) == 0:
        return None
    geoms = points.geometry
    xy = geoms if (geoms.geom_type == "Point").all() else geoms.representative_point()
    weights = points["population"].to_numpy(dtype=float) if "population" in points.columns else np.ones(len(points))
    return image(density_png(xy.x.to_numpy(), xy.y.to_numpy(), weights, points.crs, mode=mode,
                             basemap=_shift(basemap)), scope=scope)

