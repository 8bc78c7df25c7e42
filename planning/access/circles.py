"""Service circles, rings and per-site circles: polygons of the travel-time surface.

A circle is the set of cells of :mod:`planning.access.surface` whose resident reaches a facility
within the circle time of their own community kind, so a demand point lies inside the drawn
circle exactly when the coverage counts it, up to the cell it stands in. The cells are joined
into polygons (``rasterio.features.shapes``) and simplified by under half a cell: the outline
loses its stair steps but never crosses a cell centre, so every cell keeps its side (a resident
away from the centre of a cell on the outline may end up to 0.4 cell on the other side). Rings cut
the same surface at several times (bands: ring 2 holds what is reached after ring 1's time and
within ring 2's). Straight-line buffers (:func:`buffer_circles`) are only a comparison layer.

Examples
--------
>>> import numpy as np
>>> from geo.synthetic import synthetic_dataset
>>> from planning.access.surface import travel_surfaces
>>> from planning.settings import Settings
>>> surfaces = travel_surfaces(synthetic_dataset(2_000), Settings())
>>> circle = service_circle(surfaces, "health", {"urban": 15.0, "rural": 30.0})
>>> circle.geom_type in ("Polygon", "MultiPolygon") and circle.area > 0
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import geopandas as gpd
import numpy as np
import shapely
from rasterio import features
from rasterio.transform import Affine

from planning.access.surface import Grid, TravelSurfaces
from planning.access.travel import EPS_MINUTES

#: Simplification of the cell outlines, in cells: under half a cell, so that no outline moves
#: across a cell centre (a point at a cell centre is inside exactly when its cell is).
SIMPLIFY_CELLS = 0.4


def cell_polygons(grid: Grid, cells: np.ndarray, values: np.ndarray, *,
                  simplify: bool = True) -> dict[int, shapely.Geometry]:
    """One (multi)polygon per positive value, of the cells holding that value.

    Parameters
    ----------
    grid : planning.access.surface.Grid
    cells : numpy.ndarray
        Flat cell indices.
    values : numpy.ndarray
        A positive integer per cell (a level, a facility number + 1); cells not listed are empty.
    simplify : bool
        Simplify the outlines by :data:`SIMPLIFY_CELLS` cells (results stay valid).
    """
    cells = np.asarray(cells, dtype=np.int64)
    values = np.asarray(values)
    keep = values > 0
    cells, values = cells[keep], values[keep]
    if len(cells) == 0:
        return {}
    row, col = np.divmod(cells, grid.width)
    # Only the window holding the cells is polygonised (a site's circle is a small part of a city).
    r0, c0 = int(row.min()), int(col.min())
    window = np.zeros((int(row.max()) - r0 + 1, int(col.max()) - c0 + 1),
                      dtype=np.int32 if values.max() > np.iinfo(np.uint8).max else np.uint8)
    window[row - r0, col - c0] = values
    transform = grid.transform * Affine.translation(c0, r0)
    coords, sizes, ring_polygon, polygon_value = [], [], [], []
    for geom, value in features.shapes(window, mask=window > 0, transform=transform, connectivity=4):
        for ring in geom["coordinates"]:
            coords.append(np.asarray(ring, dtype=float))
            sizes.append(len(ring))
            ring_polygon.append(len(polygon_value))
        polygon_value.append(int(value))
    # Rings, polygons and one multipolygon per value in three vectorised calls (a city's
    # responsibility areas are thousands of polygons).
    rings = shapely.linearrings(np.concatenate(coords), indices=np.repeat(np.arange(len(sizes)), sizes))
    polygons = shapely.polygons(rings, indices=np.asarray(ring_polygon))
    value_of = np.asarray(polygon_value)
    order = np.argsort(value_of, kind="stable")
    keys, group = np.unique(value_of[order], return_inverse=True)
    merged = shapely.multipolygons(polygons[order], indices=group)
    if simplify:
        # Plain Douglas-Peucker is several times faster; outlines a cell apart cannot cross when
        # each moves under half a cell, only where cells touch at a corner can it go wrong, and
        # those few are simplified again keeping their topology.
        tolerance = SIMPLIFY_CELLS * grid.cell_m
        simple = shapely.simplify(merged, tolerance, preserve_topology=False)
        broken = ~shapely.is_valid(simple)
        simple[broken] = shapely.simplify(merged[broken], tolerance, preserve_topology=True)
        merged = simple
    return dict(zip(keys.tolist(), merged))


def service_circle(surfaces: TravelSurfaces, category: str, minutes: Mapping[str, float]) -> shapely.Geometry:
    """The merged service circle of one category: each cell within its own kind's circle time.

    Parameters
    ----------
    surfaces : planning.access.surface.TravelSurfaces
    category : str
    minutes : mapping
        Circle time per community kind (``{"urban": 15, "rural": 30}``).
    """
    cells, level = surfaces.levels(category, {k: [float(m)] for k, m in minutes.items()})
    return cell_polygons(surfaces.grid, cells, level).get(1, shapely.Polygon())


def ring_polygons(surfaces: TravelSurfaces, category: str,
                  rings: Mapping[str, Sequence[float]]) -> list[shapely.Geometry]:
    """The bands between successive ring times of one category (ring 1 first).

    ``rings`` maps a community kind to its ascending ring times; kinds may have different times
    but the bands are counted together (band 2 is each kind's second ring), as many as the
    kinds present in the study area have.
    """
    count = max((len(rings[k]) for k in surfaces.kinds if k in rings), default=0)
    cells, level = surfaces.levels(category, rings)
    polygons = cell_polygons(surfaces.grid, cells, level)
    return [polygons.get(i, shapely.Polygon()) for i in range(1, count + 1)]


def point_circles(surfaces: TravelSurfaces, x: np.ndarray, y: np.ndarray,
                  minutes: Mapping[str, float]) -> list[shapely.Geometry]:
    """The circle of each of several new facilities on its own (e.g. recommended sites).

    Each cell counts under its own kind's mode and circle time, as the coverage would count a
    resident there if the site were built.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    inside: list[list[np.ndarray]] = [[] for _ in range(len(x))]
    kinds = [k for k in surfaces.kinds if k in minutes]
    for mode in dict.fromkeys(surfaces.cells(k).mode for k in kinds):
        same = [k for k in kinds if surfaces.cells(k).mode == mode]
        model = surfaces.model(same[0])
        node, access = model.snap(x, y)
        limit = max(float(minutes[k]) for k in same)
        scratch = np.full(model.n_nodes, np.inf)
        for rows, nodes, mins in model.reach_by_source(node, access, limit_minutes=limit):
            order = np.argsort(rows, kind="stable")
            rows, nodes, mins = rows[order], nodes[order], mins[order]
            sources, starts = np.unique(rows, return_index=True)
            ends = np.append(starts[1:], len(rows))
            for src, a, b in zip(sources, starts, ends):
                scratch[nodes[a:b]] = mins[a:b]
                for kind in same:
                    cells = surfaces.cells(kind)
                    reached = scratch[cells.node] + cells.access_minutes <= float(minutes[kind]) + EPS_MINUTES
                    inside[src].append(cells.cells[reached])
                scratch[nodes[a:b]] = np.inf
    out = []
    for parts in inside:
        cells = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
        out.append(cell_polygons(surfaces.grid, cells, np.ones(len(cells), dtype=np.uint8)).get(1, shapely.Polygon()))
    return out


def buffer_circles(
    facility_x: np.ndarray,
    facility_y: np.ndarray,
    *,
    minutes: float,
    speed_m_per_min: float,
    crs: object,
    facility_ids: Sequence[object] | None = None,
    per_facility: bool = False,
) -> gpd.GeoDataFrame:
    """Straight-line circles of radius ``minutes × speed`` (a comparison layer only).

    Returns one merged row (``facilities``, ``minutes``, ``radius_m``) or one row per facility.
    """
    fx = np.asarray(facility_x, dtype=float)
    fy = np.asarray(facility_y, dtype=float)
    radius = float(minutes) * float(speed_m_per_min)
    discs = shapely.buffer(shapely.points(fx, fy), radius, quad_segs=16) if len(fx) else np.array([])
    if per_facility:
        ids = list(facility_ids) if facility_ids is not None else list(range(len(fx)))
        return gpd.GeoDataFrame({"facility_id": ids, "minutes": float(minutes), "radius_m": radius},
                                geometry=list(discs), crs=crs)
    merged = shapely.union_all(discs) if len(fx) else shapely.Polygon()
    return gpd.GeoDataFrame({"facilities": [len(fx)], "minutes": [float(minutes)], "radius_m": [radius]},
                            geometry=[merged], crs=crs)
