"""Demand points, facility points and the community each lies in, with its kind (urban/rural).

Every stage that needs "where are the residents", "where are the facilities" or "is this
community rural" asks here, so they all give the same answer.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo._errors import DataError
from geo.dataset import Dataset
from geo.taxonomy import COMMUNITY_KINDS, kind_from_name

#: Kind given to demand points that lie outside every community (and to unclear names).
OUTSIDE_KIND = "urban"


def demand_points(dataset: Dataset) -> tuple[np.ndarray, np.ndarray, pd.Series, pd.Series]:
    """Coordinates, population and community of every demand point (validated)."""
    pop_layer = dataset.population
    where = str(dataset.source) if dataset.source else None
    if "population" not in pop_layer.columns:
        raise DataError("the population layer has no 'population' column", file=where,
                        layer="population", fix="Add a population column (residents per point)")
    x, y = point_xy(pop_layer.geometry)
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise DataError(f"{int((~np.isfinite(x) | ~np.isfinite(y)).sum())} population points have no "
                        "geometry", file=where, layer="population",
                        fix="Give every row a point or grid-cell polygon, or remove the rows")
    population = pd.to_numeric(pop_layer["population"], errors="coerce").astype(float)
    if population.isna().any() or (population < 0).any():
        raise DataError("population values must be numbers ≥ 0", file=where, layer="population",
                        column="population", fix="Correct or remove the rows with missing or "
                        "negative population")
    if "community_id" in pop_layer.columns:
        # Kept as a pandas string column: a million Python str objects would cost seconds.
        community = pop_layer["community_id"].astype("string").reset_index(drop=True)
    else:
        community = locate(gpd.GeoSeries(shapely.points(x, y), crs=pop_layer.crs), dataset.communities)
    community.index = pop_layer.index
    return x, y, population, community


def point_xy(geoms: gpd.GeoSeries) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates of points (a point inside each polygon for grid cells), vectorised."""
    arr = np.asarray(geoms.array, dtype=object)
    if len(arr) and (shapely.get_type_id(arr) != 0).any():
        arr = shapely.point_on_surface(arr)
    return shapely.get_x(arr).astype(float), shapely.get_y(arr).astype(float)



def as_points(geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    """Points as they are, a point inside each polygon otherwise (same rule as :func:`point_xy`)."""
    if len(geoms) and not geoms.geom_type.eq("Point").all():
        return geoms.representative_point()
    return geoms


def locate(points: gpd.GeoSeries, communities: gpd.GeoDataFrame) -> pd.Series:
    """Community id of each point (first containing polygon), NA outside every community."""
    out = pd.Series([None] * len(points), index=points.index, dtype="object")
    if len(communities) == 0 or len(points) == 0:
        return out
    tree_idx, pts_idx = communities.sindex.query(points.to_numpy(), predicate="intersects")[::-1]
    ids = communities["community_id"].astype(str).to_numpy()
    first = pd.Series(tree_idx, index=pts_idx).groupby(level=0).min()
    out.iloc[first.index.to_numpy()] = ids[first.to_numpy()]
    return out


def facility_points(dataset: Dataset, category: str) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates of the facilities of one category."""
    return facility_points_by_category(dataset).get(category, (np.zeros(0), np.zeros(0)))


def facility_points_by_category(dataset: Dataset) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Coordinates of the facilities of every category, in one pass over the layer."""
    fac = dataset.facilities
    if len(fac) == 0:
        return {}
    x, y = point_xy(fac.geometry)
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise DataError(f"{int((~np.isfinite(x) | ~np.isfinite(y)).sum())} facilities have no geometry",
                        file=str(dataset.source) if dataset.source else None, layer="facilities",
                        fix="Give every facility a location, or remove the rows")
    codes, keys = pd.factorize(fac["category"].astype(str))
    return {str(key): (x[codes == i], y[codes == i]) for i, key in enumerate(keys)}


def community_kinds(communities: gpd.GeoDataFrame) -> dict[str, str]:
    """Community id → ``"urban"``/``"rural"``.

    The kind column where it says urban or rural; otherwise the name rule of
    :func:`geo.taxonomy.kind_from_name`, an unclear name counting as urban (as the validator does).
    """
    if len(communities) == 0:
        return {}
    ids = communities["community_id"].astype(str)
    if "kind" in communities.columns:
        kinds = communities["kind"].astype("object")
    else:
        kinds = pd.Series([None] * len(communities), index=communities.index, dtype="object")
    names = communities["name"].astype(str) if "name" in communities.columns else ids
    guess = kind_from_name(names).replace("", OUTSIDE_KIND)
    kinds = kinds.where(kinds.isin(COMMUNITY_KINDS), guess)
    return dict(zip(ids.to_numpy(), kinds.astype(str).to_numpy()))
