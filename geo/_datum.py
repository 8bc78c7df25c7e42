"""The datum check: do the points of a layer sit where the roads are, or a datum offset away?

Amap/Baidu coordinates read as WGS84 lie 300–700 m off OpenStreetMap roads inside China. The
warning this check adds names the system that fits and how to say so, with a ``key`` and
``values`` so that the app can name its own coordinate-system selector (:mod:`geo.texts`).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from geo.coords import from_wgs84, to_wgs84
from geo.dataset import ValidationReport
from geo.network import RoadNetwork

#: Median distance from points to the nearest road node above which a datum offset is likely.
DATUM_WARNING_M = 250.0
#: In dense street grids: warn when another system brings the points this much closer.
DATUM_CLOSER_RATIO = 0.7
_DATUM_SAMPLE = 20_000
_DATUM_MIN_POINTS = 50  # fewer points say too little about a systematic shift
_DATUM_MIN_GAIN_M = 5.0


def _median_distance_m(x: np.ndarray, y: np.ndarray, roads: RoadNetwork) -> float:
    _, dist = roads.snap(x, y)
    return float(np.median(dist))


def road_lines_tree(roads: RoadNetwork) -> shapely.STRtree:
    """Spatial index of the road edges as straight lines (built once per network and reused)."""
    start = np.column_stack([roads.node_x[roads.edge_u], roads.node_y[roads.edge_u]])
    end = np.column_stack([roads.node_x[roads.edge_v], roads.node_y[roads.edge_v]])
    return shapely.STRtree(shapely.linestrings(np.stack([start, end], axis=1)))


def _median_to_lines_m(geoms: np.ndarray, tree: shapely.STRtree) -> float:
    _, distance = tree.query_nearest(geoms, return_distance=True, all_matches=False)
    return float(np.median(distance))


def _in_other_systems(sample: gpd.GeoDataFrame, system: str) -> dict[str, np.ndarray]:
    """The sample's points as they would be if the file's numbers were in another system."""
    current = "wgs84" if system == "cgcs2000" else system
    raw = from_wgs84(sample.to_crs(4326), current)  # the numbers as they were in the file
    here = sample.geometry.to_numpy()
    others = {}
    for alternative in ("wgs84", "gcj02", "bd09"):
        if alternative != current:
            moved = to_wgs84(raw, alternative).to_crs(sample.crs).geometry.to_numpy()
            # outside China the systems agree: nothing to compare
            if float(np.max(shapely.distance(moved, here))) > 1.0:
                others[alternative] = moved
    return others


def check_datum(points: gpd.GeoDataFrame, roads: RoadNetwork, *, layer: str,
                file: str | None, system: str = "wgs84", lonlat: bool = True,
                report: ValidationReport, threshold_m: float = DATUM_WARNING_M,
                compare_lines: bool = True, tree: shapely.STRtree | None = None) -> float:
    """Warn when a point layer lies off the roads in a way that means a datum mix-up.

    The warning comes when the median distance from the points to the nearest road node is
    over ``threshold_m``, or, in dense street grids where any point is near some road, when
    reading the file's numbers as GCJ-02, BD-09 or WGS84 brings them clearly closer
    (median below :data:`DATUM_CLOSER_RATIO` of the present one). It says which system fits
    and how to tell the tool (key ``datum.far`` or ``datum.closer``; advice ``datum.fix``,
    worded for the command line in ``message`` and for the app by
    :func:`geo.texts.problem_text`). The second test suits points that sit on streets
    (facilities, candidates), not homes inside blocks (``compare_lines=False``). ``tree`` (from
    :func:`road_lines_tree`) saves rebuilding the road-line index for every layer.

    Returns
    -------
    float
        Median distance in metres from the points to their nearest road node.
    """
    if len(points) == 0 or roads.n_nodes == 0:
        return float("nan")
    step = max(1, len(points) // _DATUM_SAMPLE)
    sample = points.iloc[::step]
    x, y = shapely.get_x(sample.geometry.to_numpy()), shapely.get_y(sample.geometry.to_numpy())
    median = _median_distance_m(x, y, roads)
    far = median > threshold_m
    others = _in_other_systems(sample, system) if lonlat else {}
    best: tuple[float, str] | None = None  # (median metres, system) of the best other reading
    fits = clearly_closer = False
    median_lines = float("nan")
    if others and far:
        best = min((_median_distance_m(shapely.get_x(g), shapely.get_y(g), roads), name)
                   for name, g in others.items())
        fits = best[0] <= threshold_m and best[0] < 0.5 * median
    elif others and compare_lines and len(sample) >= _DATUM_MIN_POINTS:
        # In a dense street grid every point is near some node: compare distances to the
        # road lines themselves, which a systematic shift of a few hundred metres changes.
        tree = tree if tree is not None else road_lines_tree(roads)
        here = _median_to_lines_m(sample.geometry.to_numpy(), tree)
        best = min((_median_to_lines_m(g, tree), name) for name, g in others.items())
        clearly_closer = best[0] < DATUM_CLOSER_RATIO * here and here - best[0] >= \
            _DATUM_MIN_GAIN_M
        median_lines = here
    if not far and not clearly_closer:
        return median
    values: dict[str, object] = {"median_m": median if far else median_lines,
                                 "threshold_m": threshold_m, "layer": layer, "system": system,
                                 "then": []}
    if best is not None and (fits or clearly_closer):
        values.update(best=best[1], best_m=best[0], digits=0 if far else 1,
                      then=["datum.fits", "datum.fix"])
    elif not lonlat:
        values["then"] = ["datum.fix_projection"]
    report.add("warning", layer, key="datum.far" if far else "datum.closer", values=values,
               file=file, count=len(points))
    return median
