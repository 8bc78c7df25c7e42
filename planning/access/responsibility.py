"""Responsibility areas: the residents (and the area) for whom each facility is the nearest.

One multi-source run per category and travel mode keeps its shortest-path tree
(:meth:`planning.access.travel.TravelModel.nearest_source`): every node, and so every demand point
and every cell of the travel-time surface snapped to it, belongs to the facility its fastest path
ends at, under the same rule as the coverage (each resident's own mode, the walk to the network
included). Residents who reach no facility of the category belong to none, so the areas' residents
add up to the category's reachable population. Residents per floor area or capacity then show the
load on each facility.

Examples
--------
>>> from geo.synthetic import synthetic_dataset
>>> from planning.access.coverage import coverage
>>> from planning.access.surface import travel_surfaces
>>> from planning.settings import Settings
>>> data = synthetic_dataset(2_000)
>>> areas = responsibility_areas(travel_surfaces(data, Settings()), coverage(data), "health")
>>> bool(areas["population"].sum() <= coverage(data).population.sum())
True
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planning.access.circles import cell_polygons
from planning.access.coverage import Coverage, demand_points
from planning.access.surface import TravelSurfaces
from planning.access.travel import TravelModel

#: Columns of a responsibility-area layer, in order (geometry last).
COLUMNS: tuple[str, ...] = ("category", "facility_id", "name", "population", "households",
                            "covered_population", "area_m2", "floor_area_m2", "capacity",
                            "residents_per_100_m2", "residents_per_place")


def responsibility_areas(surfaces: TravelSurfaces, cov: Coverage, category: str) -> gpd.GeoDataFrame:
    """One row per facility of ``category``: its area, residents, households and load.

    Parameters
    ----------
    surfaces : planning.access.surface.TravelSurfaces
    cov : planning.access.coverage.Coverage
        The coverage of the same data set and settings (modes and covered flags per point).
    category : str

    Returns
    -------
    geopandas.GeoDataFrame
        Columns :data:`COLUMNS` and the geometry (cells whose nearest facility it is; empty
        where it is nobody's nearest). ``population``/``households``: residents for whom it is
        the nearest; ``covered_population``: those of them inside their circle;
        ``residents_per_100_m2`` and ``residents_per_place``: population per 100 m² of floor
        area and per place of capacity (empty when unknown).
    """
    base, nearest = surfaces.cached(("responsibility", category),
                                    lambda: _areas(surfaces, cov.mode.to_numpy(), category))
    found = nearest >= 0
    pop = cov.population.to_numpy(dtype=float) * cov.covered[category].to_numpy(dtype=bool)
    out = base.copy()
    out["covered_population"] = np.bincount(nearest[found], weights=pop[found], minlength=len(out))[:len(out)]
    return out


def _areas(surfaces: TravelSurfaces, modes: np.ndarray, category: str) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """The areas without the covered population (it alone depends on the circle times), and
    each demand point's facility (-1 none). Kept on the surfaces (:meth:`TravelSurfaces.cached`)."""
    dataset = surfaces.dataset
    crs = dataset.crs
    fac = dataset.facilities
    mine = fac[fac["category"].astype(str).to_numpy() == category] if len(fac) else fac
    n = len(mine)
    x, y, population, community = demand_points(dataset)
    households = _households(dataset, population, community)
    nearest = np.full(len(x), -1, dtype=np.int64)
    for mode in pd.unique(modes):
        rows = np.flatnonzero(modes == mode)
        if n == 0 or len(rows) == 0:
            continue
        model = TravelModel.for_mode(dataset.roads, str(mode), surfaces.settings)
        _, source = surfaces.nearest_facility(category, str(mode))
        node, _ = model.snap(x[rows], y[rows])
        nearest[rows] = source[node]

    cells, labels = [], []
    for kind in surfaces.kinds if n else ():
        kind_cells = surfaces.cells(kind)
        _, source = surfaces.nearest_facility(category, kind_cells.mode)
        cells.append(kind_cells.cells)
        labels.append(source[kind_cells.node] + 1)
    cell_ids = np.concatenate(cells) if cells else np.zeros(0, dtype=np.int64)
    label = np.concatenate(labels) if labels else np.zeros(0, dtype=np.int64)
    polygons = cell_polygons(surfaces.grid, cell_ids, label)

    found = nearest >= 0
    pop = population.to_numpy(dtype=float)

    def per_facility(weights: np.ndarray) -> np.ndarray:
        return np.bincount(nearest[found], weights=weights[found], minlength=n)[:n]

    resident = per_facility(pop)
    floor = _numbers(mine, "floor_area_m2")
    capacity = _numbers(mine, "capacity")
    with np.errstate(invalid="ignore", divide="ignore"):
        per_100 = np.where(floor > 0, 100.0 * resident / np.where(floor > 0, floor, 1.0), np.nan)
        per_place = np.where(capacity > 0, resident / np.where(capacity > 0, capacity, 1.0), np.nan)
    cell_area = surfaces.grid.cell_m ** 2
    ids = mine["facility_id"].astype(str).to_numpy() if n else np.zeros(0, dtype=object)
    out = pd.DataFrame({
        "category": category,
        "facility_id": ids,
        "name": mine["name"].astype(str).to_numpy() if n and "name" in mine.columns else ids,
        "population": resident,
        "households": per_facility(households),
        "covered_population": np.nan,
        "area_m2": np.bincount(label, minlength=n + 1)[1:n + 1] * cell_area if n else np.zeros(0),
        "floor_area_m2": floor,
        "capacity": capacity,
        "residents_per_100_m2": per_100,
        "residents_per_place": per_place,
    }, columns=list(COLUMNS))
    geometry = [polygons.get(i + 1, shapely.Polygon()) for i in range(n)]
    return gpd.GeoDataFrame(out, geometry=gpd.GeoSeries(geometry, crs=crs), crs=crs), nearest


def _numbers(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame.columns:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)


def _households(dataset: object, population: pd.Series, community: pd.Series) -> np.ndarray:
    """Households at each demand point: its own column, else its community's household size."""
    pop_layer = dataset.population  # type: ignore[attr-defined]
    if "households" in pop_layer.columns:
        own = pd.to_numeric(pop_layer["households"], errors="coerce").to_numpy(dtype=float)
        if np.isfinite(own).any():
            return np.nan_to_num(own, nan=0.0)
    com = dataset.communities  # type: ignore[attr-defined]
    if not {"households", "population"} <= set(com.columns):
        return np.full(len(population), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        size = (pd.to_numeric(com["households"], errors="coerce")
                / pd.to_numeric(com["population"], errors="coerce")).to_numpy(dtype=float)
    ratio = pd.Series(np.where(np.isfinite(size), size, np.nan), index=com["community_id"].astype(str).to_numpy())
    per_point = community.astype("object").map(ratio.to_dict()).to_numpy(dtype=float)
    if not np.isfinite(per_point).any():
        return np.full(len(population), np.nan)
    # Residents outside every community have no household size: they add no households.
    return np.nan_to_num(population.to_numpy(dtype=float) * per_point, nan=0.0)
