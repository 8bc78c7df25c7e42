"""The polygons a study area is split by, and which partition owns each resident.

``--partition-by`` names one of:

``communities``
    Every community its own partition.
a column of the communities layer (``street``, ``district``, …)
    Communities with the same value form one partition (communities without a value form one
    more, named after the column).
``grid:R×C`` or ``grid:N``
    A grid of R rows × C columns (or about N square-ish cells) over the extent of the data.
a layer of the data set's GeoPackage, or a file (``counties.gpkg``, ``streets.shp`` …)
    Its polygons, reprojected to the data set's CRS; ids from ``partition_id``, ``county_id``,
    ``code``, ``id`` or ``name`` when present, else the row number.

Every resident belongs to exactly one partition: the first polygon that contains (or touches)
its point, else the nearest polygon, so nobody is counted twice or lost.

Examples
--------
>>> from geo.synthetic import synthetic_dataset
>>> parts = partition_layer(synthetic_dataset(2_000), "grid:2x2")
>>> list(parts["partition_id"])
['r1c1', 'r1c2', 'r2c1', 'r2c2']
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo._errors import DataError
from geo.dataset import Dataset
from geo.readers import list_layers, read_vector

PARTITION_COLUMNS = ("partition_id", "name", "geometry")
_ID_COLUMNS = ("partition_id", "county_id", "street_id", "district_id", "code", "id", "adcode", "name")
_NAME_COLUMNS = ("name", "county", "name_zh", "district", "street")
_GRID = re.compile(r"^grid:(?:(\d+)\s*[x×*]\s*(\d+)|(\d+))$", re.IGNORECASE)


def partition_layer(dataset: Dataset, spec: str) -> gpd.GeoDataFrame:
    """The partition polygons named by ``spec`` (see the module notes), in the data set's CRS.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``partition_id`` (unique str), ``name``, ``geometry`` (polygons).
    """
    spec = str(spec).strip()
    if not spec:
        raise DataError("--partition-by is empty", fix=_FIX)
    com = dataset.communities
    grid = _GRID.match(spec)
    if grid:
        rows, cols = ((int(grid.group(1)), int(grid.group(2))) if grid.group(1)
                      else _square(int(grid.group(3))))
        return _grid(dataset, rows, cols)
    if spec == "communities":
        names = com["name"].astype(str) if "name" in com.columns else com["community_id"].astype(str)
        return _frame(com["community_id"].astype(str).to_numpy(), names.to_numpy(), com.geometry.to_numpy(),
                      dataset, spec)
    if spec in com.columns and spec != com.geometry.name:
        return _dissolve(dataset, spec)
    path = Path(spec)
    if path.exists():
        return _from_file(dataset, path, layer=None, shown=spec)
    gpkg = _dataset_geopackage(dataset)
    if gpkg is not None and spec in list_layers(gpkg):
        return _from_file(dataset, gpkg, layer=spec, shown=f"{gpkg.name} (layer {spec})")
    raise DataError(f"--partition-by '{spec}' is neither a file, a layer of the data set, a column of "
                    "its communities nor a grid", fix=_FIX)


_FIX = ("Give communities, a communities column such as district or street, grid:2x2, a layer of the "
        "data set's GeoPackage, or a polygon file such as counties.gpkg")


def owners(x: np.ndarray, y: np.ndarray, parts: gpd.GeoDataFrame) -> tuple[np.ndarray, int]:
    """Partition (row of ``parts``) owning each point, and how many lay outside every polygon.

    The first polygon containing or touching the point owns it (a point on a shared border goes
    to the first of the two); a point outside every polygon goes to the nearest one.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    owner = np.full(len(x), -1, dtype=np.int64)
    if len(x) == 0:
        return owner, 0
    geoms = parts.geometry.to_numpy()
    shapely.prepare(geoms)
    by_x = np.argsort(x, kind="stable")
    sorted_x = x[by_x]
    # Polygon by polygon over the points of its bounding box: no Shapely point per resident.
    for i, (x0, y0, x1, y1) in enumerate(shapely.bounds(geoms)):
        lo, hi = np.searchsorted(sorted_x, x0, side="left"), np.searchsorted(sorted_x, x1, side="right")
        cand = by_x[lo:hi]
        cand = cand[(y[cand] >= y0) & (y[cand] <= y1) & (owner[cand] < 0)]
        if len(cand):
            owner[cand[shapely.intersects_xy(geoms[i], x[cand], y[cand])]] = i
    outside = np.flatnonzero(owner < 0)
    if len(outside):
        tree = shapely.STRtree(geoms)
        near_pts, near_poly = tree.query_nearest(shapely.points(x[outside], y[outside]), all_matches=False)
        owner[outside[near_pts]] = near_poly
    return owner, len(outside)


# ------------------------------------------------------------------------------------ sources
def _frame(ids: np.ndarray, names: np.ndarray, geoms: np.ndarray, dataset: Dataset, shown: str) -> gpd.GeoDataFrame:
    geoms = np.asarray(geoms, dtype=object)
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    kinds = shapely.get_type_id(geoms[keep])
    if len(kinds) and not np.isin(kinds, (3, 6)).all():
        raise DataError("the partition layer must hold polygons", file=shown,
                        fix="Give a polygon layer (counties, streets or communities)")
    if not keep.any():
        raise DataError("the partition layer has no polygons", file=shown, fix=_FIX)
    ids = pd.Series(np.asarray(ids, dtype=object)[keep]).astype(str)
    if ids.duplicated().any():
        # Several rows with one id are one partition (a county drawn in pieces).
        frame = gpd.GeoDataFrame({"partition_id": ids.to_numpy(),
                                  "name": pd.Series(np.asarray(names, dtype=object)[keep]).astype(str).to_numpy()},
                                 geometry=geoms[keep], crs=dataset.crs)
        out = frame.dissolve(by="partition_id", aggfunc="first", sort=False).reset_index()
        return gpd.GeoDataFrame(out[list(PARTITION_COLUMNS)], geometry="geometry", crs=dataset.crs)
    return gpd.GeoDataFrame({"partition_id": ids.to_numpy(),
                             "name": pd.Series(np.asarray(names, dtype=object)[keep]).astype(str).to_numpy()},
                            geometry=geoms[keep], crs=dataset.crs)


def _dissolve(dataset: Dataset, column: str) -> gpd.GeoDataFrame:
    com = dataset.communities
    values = com[column].astype("object")
    if values.isna().all() or (values.astype(str).str.strip() == "").all():
        raise DataError(f"the communities have no values in column '{column}'", layer="communities",
                        column=column, fix="Choose a column with values (e.g. district) or another layer")
    groups = values.where(values.notna(), f"(no {column})").astype(str).to_numpy()
    frame = gpd.GeoDataFrame({"group": groups}, geometry=com.geometry.to_numpy(), crs=dataset.crs)
    merged = frame.dissolve(by="group", sort=False).reset_index()
    return _frame(merged["group"].to_numpy(), merged["group"].to_numpy(), merged.geometry.to_numpy(), dataset,
                  f"communities.{column}")


def _square(n: int) -> tuple[int, int]:
    if n < 1:
        raise DataError("a partition grid needs at least one cell", fix="Write grid:2x2 or grid:4")
    rows = max(1, int(math.floor(math.sqrt(n))))
    while n % rows:
        rows -= 1
    return rows, n // rows


def _grid(dataset: Dataset, rows: int, cols: int) -> gpd.GeoDataFrame:
    if rows < 1 or cols < 1:
        raise DataError("a partition grid needs at least one row and one column", fix="Write grid:2x2")
    net = dataset.roads
    xs = [net.node_x]
    ys = [net.node_y]
    if len(dataset.population):
        b = dataset.population.total_bounds
        xs.append(np.array([b[0], b[2]]))
        ys.append(np.array([b[1], b[3]]))
    x0, x1 = float(min(a.min() for a in xs)), float(max(a.max() for a in xs))
    y0, y1 = float(min(a.min() for a in ys)), float(max(a.max() for a in ys))
    ex = np.linspace(x0, x1, cols + 1)
    # Row 1 is the northernmost, as on a map.
    ey = np.linspace(y1, y0, rows + 1)
    ids, geoms = [], []
    for r in range(rows):
        for c in range(cols):
            ids.append(f"r{r + 1}c{c + 1}")
            geoms.append(shapely.box(ex[c], ey[r + 1], ex[c + 1], ey[r]))
    return _frame(np.array(ids, dtype=object), np.array(ids, dtype=object), np.array(geoms, dtype=object),
                  dataset, f"grid:{rows}x{cols}")


def _dataset_geopackage(dataset: Dataset) -> Path | None:
    """The GeoPackage the data set was read from (itself, or the only one in its folder)."""
    src = dataset.source
    if src is None:
        return None
    src = Path(src)
    if src.is_file() and src.suffix.lower() == ".gpkg":
        return src
    if src.is_dir():
        found = sorted(src.glob("*.gpkg"))
        return found[0] if len(found) == 1 else None
    return None


def _from_file(dataset: Dataset, path: Path, *, layer: str | None, shown: str) -> gpd.GeoDataFrame:
    coords = dataset.meta.get("coords")
    gdf = read_vector(path, layer=layer, coords=coords if isinstance(coords, str) else None,
                      layer_name="partitions")
    if len(gdf) == 0:
        raise DataError("the partition layer is empty", file=shown, fix=_FIX)
    gdf = gdf.to_crs(dataset.crs)
    lower = {str(c).lower(): c for c in gdf.columns if c != gdf.geometry.name}
    id_col = next((lower[c] for c in _ID_COLUMNS if c in lower), None)
    name_col = next((lower[c] for c in _NAME_COLUMNS if c in lower), id_col)
    ids = (gdf[id_col].astype(str).to_numpy() if id_col is not None
           else np.array([str(i + 1) for i in range(len(gdf))], dtype=object))
    names = gdf[name_col].astype(str).to_numpy() if name_col is not None else ids
    return _frame(ids, names, gdf.geometry.to_numpy(), dataset, shown)
