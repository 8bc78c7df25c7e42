"""Travel-time surfaces: the minutes a resident standing anywhere in the study area needs.

A surface is a grid of square cells over the study area (the communities, and the residents who
live outside every community). Every cell centre is treated exactly as the coverage treats a
demand point: snapped to its nearest usable node (:meth:`TravelModel.snap`, one KD-tree query for
all cells), its straight walk there at walking speed added to the network minutes from that node
to the nearest facility (one multi-source run per category and mode). Cells inside rural
communities take the rural mode, every other cell the urban mode, as points outside every
community do. A cell holding demand points is sampled at its most populous one instead of its
centre (and takes that point's community kind): two places a few metres apart can snap to nodes
minutes apart, and the cell then gives its residents exactly their counted minutes. So a
resident is inside a circle drawn from the surface exactly when the coverage counts them, up to
the cell they stand in.

The grid, the cells' snapping and the per-node minutes do not depend on the circle time: they are
built once per data set and travel settings (:func:`travel_surfaces`) and a new circle time only
cuts the surface again. Polygons are drawn from it in :mod:`planning.access.circles`.

Examples
--------
>>> import numpy as np
>>> from geo.synthetic import synthetic_dataset
>>> from planning.settings import Settings
>>> surfaces = travel_surfaces(synthetic_dataset(2_000), Settings())
>>> minutes = surfaces.minutes("health")
>>> minutes.shape == surfaces.grid.shape and bool(np.nanmin(minutes) >= 0)
True
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import shapely
from rasterio import features
from rasterio.transform import Affine

from geo.dataset import Dataset
from planning.access.demand import community_kinds, demand_points, facility_points_by_category
from planning.access.travel import EPS_MINUTES, TravelModel
from planning.settings import Settings

#: Codes of the kind raster: cells outside the study area, urban cells, rural cells.
OUTSIDE, URBAN, RURAL = 0, 1, 2
KIND_CODES: dict[str, int] = {"urban": URBAN, "rural": RURAL}
#: Cells around each resident outside every community that belong to the study area.
_OUTSIDE_RADIUS_CELLS = 2.0
#: A study area with a bounding box of more cells than this many times the cell budget gets
#: larger cells still (sparse villages far apart must not fill memory with empty cells).
_BBOX_FACTOR = 8
_CACHE_ATTR = "_travel_surfaces"


@dataclass(frozen=True)
class Grid:
    """Square cells, row 0 at the north edge (the GeoTIFF convention).

    Attributes
    ----------
    west, north : float
        Coordinates of the grid's north-west corner (network CRS, metres).
    cell_m : float
    width, height : int
        Columns and rows.
    crs : object
    """

    west: float
    north: float
    cell_m: float
    width: int
    height: int
    crs: Any

    @property
    def shape(self) -> tuple[int, int]:
        return self.height, self.width

    @property
    def transform(self) -> Affine:
        """Affine transform from (column, row) to coordinates, as rasterio expects."""
        return Affine(self.cell_m, 0.0, self.west, 0.0, -self.cell_m, self.north)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        return (self.west, self.north - self.height * self.cell_m, self.west + self.width * self.cell_m,
                self.north)

    def centres(self, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Coordinates of the centres of flat cell indices."""
        row, col = np.divmod(np.asarray(cells, dtype=np.int64), self.width)
        return self.west + (col + 0.5) * self.cell_m, self.north - (row + 0.5) * self.cell_m

    def cells_of(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Flat index of the cell holding each point; -1 outside the grid."""
        col = np.floor((np.asarray(x, dtype=float) - self.west) / self.cell_m)
        row = np.floor((self.north - np.asarray(y, dtype=float)) / self.cell_m)
        inside = (col >= 0) & (col < self.width) & (row >= 0) & (row < self.height)
        flat = np.where(inside, row, 0).astype(np.int64) * self.width + np.where(inside, col, 0).astype(np.int64)
        return np.where(inside, flat, -1)


@dataclass
class KindCells:
    """The study-area cells of one community kind, snapped for that kind's travel mode.

    Attributes
    ----------
    kind : {"urban", "rural"}
    mode : str
    cells : numpy.ndarray
        Flat indices into the grid (ascending).
    node : numpy.ndarray
        Nearest usable node of each cell (of its centre, or of its largest demand point).
    access_minutes : numpy.ndarray
        The walk from there to the node.
    """

    kind: str
    mode: str
    cells: np.ndarray
    node: np.ndarray
    access_minutes: np.ndarray


class TravelSurfaces:
    """Grid, cell snapping and per-node minutes of one data set and its travel settings.

    Build with :func:`travel_surfaces` (cached on the data set). Everything is computed on first
    use and kept; a lock makes concurrent first uses (the app's background drawing) safe.

    Attributes
    ----------
    grid : Grid
    kind : numpy.ndarray (uint8)
        :data:`OUTSIDE`, :data:`URBAN` or :data:`RURAL` per cell.
    """

    def __init__(self, dataset: Dataset, settings: Settings) -> None:
        self.dataset = dataset
        self.settings = settings
        x, y, population, community = demand_points(dataset)
        self.grid, self.kind = study_grid(dataset, settings, points=(x, y, community))
        self._samples = _resident_samples(self.grid, self.kind, x, y, population.to_numpy(dtype=float),
                                          _is_rural(dataset, community))
        present = set(np.unique(self.kind).tolist())
        self._kinds = [k for k, code in KIND_CODES.items() if code in present]
        self._cells: dict[str, KindCells] = {}
        self._node_minutes: dict[tuple[str, str], np.ndarray] = {}
        self._nearest: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
        self._facilities = facility_points_by_category(dataset)
        self._memo: dict[Any, Any] = {}
        self._lock = threading.RLock()

    @property
    def kinds(self) -> list[str]:
        """Community kinds with cells in the study area."""
        return self._kinds

    def cached(self, key: Any, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per ``key`` for these surfaces (rings, responsibility areas…).

        What depends only on the surfaces is kept here, so that analyses differing only in
        their circle times share it. A key is a tuple naming its category second
        (``("rings", category, …)``), so that a what-if edit knows what to draw again.
        """
        with self._lock:
            if key not in self._memo:
                self._memo[key] = compute()
            return self._memo[key]

    def with_facilities(self, dataset: Dataset, categories: Sequence[str]) -> TravelSurfaces:
        """These surfaces for ``dataset``, whose facilities differ only in ``categories``.

        The grid, the cells' snapping and everything computed for the other categories are
        shared; the changed categories are searched again when first asked for (a what-if edit,
        :mod:`planning.access.update`). :meth:`cached` keys name their category second.
        """
        changed = set(categories)
        with self._lock:
            new = object.__new__(TravelSurfaces)
            new.dataset, new.settings, new.grid, new.kind = dataset, self.settings, self.grid, self.kind
            new._samples, new._kinds, new._cells = self._samples, self._kinds, dict(self._cells)
            new._node_minutes = {k: v for k, v in self._node_minutes.items() if k[0] not in changed}
            new._nearest = {k: v for k, v in self._nearest.items() if k[0] not in changed}
            new._memo = {k: v for k, v in self._memo.items()
                         if not (isinstance(k, tuple) and len(k) > 1 and k[1] in changed)}
        new._facilities = facility_points_by_category(dataset)
        new._lock = threading.RLock()
        return new

    def facility_xy(self, category: str) -> tuple[np.ndarray, np.ndarray]:
        return self._facilities.get(category, (np.zeros(0), np.zeros(0)))

    def model(self, kind: str) -> TravelModel:
        return TravelModel.for_mode(self.dataset.roads, self.settings.mode_for(kind), self.settings)

    def cells(self, kind: str) -> KindCells:
        """The cells of one kind, snapped once (the slow step on large grids)."""
        with self._lock:
            if kind not in self._cells:
                cells = np.flatnonzero(self.kind.ravel() == KIND_CODES[kind])
                model = self.model(kind)
                x, y = self.grid.centres(cells)
                # A cell where residents live is sampled where its largest demand point is.
                sample_cells, sample_x, sample_y = self._samples
                pos = np.minimum(np.searchsorted(sample_cells, cells), max(len(sample_cells) - 1, 0))
                hit = (sample_cells[pos] == cells) if len(sample_cells) else np.zeros(len(cells), dtype=bool)
                x[hit], y[hit] = sample_x[pos[hit]], sample_y[pos[hit]]
                node, access = model.snap(x, y)
                self._cells[kind] = KindCells(kind, model.mode, cells, node, access)
            return self._cells[kind]

    def node_minutes(self, category: str, mode: str) -> np.ndarray:
        """Minutes from every node to the nearest facility of ``category`` (no limit, as coverage)."""
        key = (category, mode)
        with self._lock:
            if key not in self._node_minutes:
                model = TravelModel.for_mode(self.dataset.roads, mode, self.settings)
                fx, fy = self.facility_xy(category)
                if len(fx) == 0:
                    self._node_minutes[key] = np.full(model.n_nodes, np.inf)
                else:
                    # The coverage's own runs (kept on the model): computed once for both.
                    self._node_minutes[key] = model.nearest_minutes(fx, fy)
            return self._node_minutes[key]

    def nearest_facility(self, category: str, mode: str) -> tuple[np.ndarray, np.ndarray]:
        """Per node: minutes to the nearest facility of ``category`` and its index (-1 none).

        The index counts the category's facilities in the order of the facilities layer.
        """
        key = (category, mode)
        with self._lock:
            if key not in self._nearest:
                model = TravelModel.for_mode(self.dataset.roads, mode, self.settings)
                fx, fy = self.facility_xy(category)
                node, access = model.snap(fx, fy)
                self._nearest[key] = model.nearest_source(node, access)
            return self._nearest[key]

    def cell_minutes(self, category: str, kind: str) -> np.ndarray:
        """Minutes of every cell of ``kind`` (aligned with ``cells(kind).cells``)."""
        cells = self.cells(kind)
        return self.node_minutes(category, cells.mode)[cells.node] + cells.access_minutes

    def minutes(self, category: str) -> np.ndarray:
        """The surface as a float32 raster: NaN outside the study area, ``inf`` unreachable."""
        out = np.full(self.grid.height * self.grid.width, np.nan, dtype=np.float32)
        for kind in self.kinds:
            out[self.cells(kind).cells] = self.cell_minutes(category, kind)
        return out.reshape(self.grid.shape)

    def classes(self, category: str, rings: Mapping[str, Sequence[float]]) -> np.ndarray:
        """The surface in ring classes, for the map: a uint8 raster.

        0 outside the study area; 1, 2, … within each kind's first, second … ring time; then
        one class for "beyond the last ring, up to twice its time" and one for farther or
        unreachable (kinds with fewer rings skip to these).
        """
        count = max((len(rings[k]) for k in self.kinds if k in rings), default=0)
        out = np.zeros(self.grid.height * self.grid.width, dtype=np.uint8)
        for kind in self.kinds:
            limits = np.asarray(rings.get(kind, ()), dtype=float)
            if len(limits) == 0:
                continue
            minutes = self.cell_minutes(category, kind)
            level = np.ones(len(minutes), dtype=np.uint8)
            for limit in limits:
                level += minutes > limit + EPS_MINUTES
            beyond = level > len(limits)
            level[beyond] = count + 1
            level[beyond & ~(minutes <= 2.0 * limits[-1] + EPS_MINUTES)] = count + 2
            out[self.cells(kind).cells] = level
        return out.reshape(self.grid.shape)

    def levels(self, category: str, cutoffs: Mapping[str, Sequence[float]]) -> tuple[np.ndarray, np.ndarray]:
        """Cells within the cut-offs of their kind, and the first cut-off each one meets (1-based).

        ``cutoffs`` maps a kind to ascending minutes; a cell counts as within a cut-off under the
        coverage's rule (``minutes <= cutoff`` up to :data:`EPS_MINUTES`).

        Returns
        -------
        cells : numpy.ndarray
            Flat indices of the cells within their kind's last cut-off.
        level : numpy.ndarray
            1 for the first cut-off, 2 for the second, …
        """
        out_cells, out_level = [], []
        for kind in self.kinds:
            limits = np.asarray(cutoffs.get(kind, ()), dtype=float)
            if len(limits) == 0:
                continue
            cells = self.cells(kind)
            node_minutes = self.node_minutes(category, cells.mode)
            # Only cells snapped to a node within the last cut-off can be inside (a byte gather
            # over every cell, the minutes gathered for those few).
            near = np.flatnonzero((node_minutes <= limits[-1] + EPS_MINUTES)[cells.node])
            minutes = node_minutes[cells.node[near]] + cells.access_minutes[near]
            inside = minutes <= limits[-1] + EPS_MINUTES
            minutes = minutes[inside]
            level = np.ones(len(minutes), dtype=np.uint8 if len(limits) < 255 else np.int32)
            for limit in limits[:-1]:
                level += minutes > limit + EPS_MINUTES
            out_cells.append(cells.cells[near[inside]])
            out_level.append(level)
        if not out_cells:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        return np.concatenate(out_cells), np.concatenate(out_level)


def travel_surfaces(dataset: Dataset, settings: Settings | None = None) -> TravelSurfaces:
    """The :class:`TravelSurfaces` of a data set, built on first use and kept on the data set.

    Settings that change only the circle times or rings share one object, so that a new circle
    time redraws without snapping the grid or searching the network again.
    """
    settings = settings or Settings()
    key = (settings.surface_cell_m, settings.surface_max_cells,
           *(settings.speeds_key(settings.mode_for(kind)) for kind in ("urban", "rural")))
    cache: dict[Any, TravelSurfaces] | None = dataset.__dict__.get(_CACHE_ATTR)
    if cache is None:
        cache = {}
        # Kept on the data set so that the surfaces live exactly as long as it does.
        dataset.__dict__[_CACHE_ATTR] = cache
    surfaces = cache.get(key)
    if surfaces is None:
        surfaces = cache.setdefault(key, TravelSurfaces(dataset, settings))
    return surfaces


def hand_on_surfaces(old: Dataset, new: Dataset, categories: Sequence[str]) -> None:
    """Give ``new`` (``old`` with the facilities of ``categories`` edited) the surfaces ``old`` has
    built, shared where the edit changes nothing (see :meth:`TravelSurfaces.with_facilities`)."""
    cache: dict[Any, TravelSurfaces] | None = old.__dict__.get(_CACHE_ATTR)
    if not cache or new is old:
        return
    target = new.__dict__.setdefault(_CACHE_ATTR, {})
    for key, surfaces in list(cache.items()):
        target.setdefault(key, surfaces.with_facilities(new, categories))


def study_grid(dataset: Dataset, settings: Settings, *,
               points: tuple[np.ndarray, np.ndarray, pd.Series] | None = None) -> tuple[Grid, np.ndarray]:
    """The grid over the study area and the kind of every cell.

    The study area is the communities plus a small disc around each resident outside every
    community. A cell takes the kind of the community its centre lies in (the first one, as
    the coverage locates points), urban outside them. When the study area would have more than
    ``settings.surface_max_cells`` cells, the cells grow until it fits. ``points``: the demand
    points' x, y and community (:func:`planning.access.coverage.demand_points`), when known.
    """
    com = dataset.communities
    x, y, community = points if points is not None else _points(dataset)
    outside = community.isna().to_numpy()
    ox, oy = x[outside], y[outside]
    geoms = np.asarray(com.geometry.to_numpy(), dtype=object) if len(com) else np.zeros(0, dtype=object)
    boxes = [shapely.total_bounds(geoms)] if len(geoms) else []
    if len(ox):
        boxes.append(np.array([ox.min(), oy.min(), ox.max(), oy.max()]))
    if not boxes:
        boxes.append(np.array([x.min(), y.min(), x.max(), y.max()]) if len(x) else np.zeros(4))
    stacked = np.vstack(boxes)
    minx, miny = stacked[:, 0].min(), stacked[:, 1].min()
    maxx, maxy = stacked[:, 2].max(), stacked[:, 3].max()

    cell = float(settings.surface_cell_m)
    area = float(np.nansum(shapely.area(geoms))) if len(geoms) else 0.0
    budget = settings.surface_max_cells
    for _ in range(2):  # the outside discs grow with the cells: settle in two passes
        wanted = (area + len(ox) * math.pi * (_OUTSIDE_RADIUS_CELLS * cell) ** 2) / cell**2
        bbox = (maxx - minx + 2 * cell) * (maxy - miny + 2 * cell) / cell**2
        factor = max(wanted / budget, bbox / (_BBOX_FACTOR * budget), 1.0)
        if factor > 1.0:
            cell = math.ceil(cell * math.sqrt(factor) * 10.0) / 10.0
    # Cells on multiples of the cell size: the same data set always gets the same grid.
    west = math.floor(minx / cell) * cell - cell
    north = math.ceil(maxy / cell) * cell + cell
    width = max(1, int(math.ceil((maxx - west) / cell)) + 1)
    height = max(1, int(math.ceil((north - miny) / cell)) + 1)
    grid = Grid(west=west, north=north, cell_m=cell, width=width, height=height, crs=dataset.crs)

    shapes: list[tuple[shapely.Geometry, int]] = []
    if len(ox):
        discs = shapely.buffer(shapely.points(ox, oy), _OUTSIDE_RADIUS_CELLS * cell, quad_segs=4)
        shapes += [(d, URBAN) for d in discs]
    if len(geoms):
        kinds = community_kinds(com)
        codes = [RURAL if kinds.get(str(c)) == "rural" else URBAN for c in com["community_id"].astype(str)]
        # Later shapes are burnt over earlier ones: reversed, the first community wins.
        shapes += [(g, c) for g, c in reversed(list(zip(geoms, codes))) if g is not None and not g.is_empty]
    if not shapes:
        return grid, np.full(grid.shape, URBAN, dtype=np.uint8)
    kind = features.rasterize(shapes, out_shape=grid.shape, transform=grid.transform, fill=OUTSIDE,
                              dtype="uint8")
    return grid, kind


def _points(dataset: Dataset) -> tuple[np.ndarray, np.ndarray, pd.Series]:
    x, y, _, community = demand_points(dataset)
    return x, y, community


def _is_rural(dataset: Dataset, community: pd.Series) -> np.ndarray:
    """Whether each demand point belongs to a rural community (as the coverage decides)."""
    kinds = community_kinds(dataset.communities)
    codes, uniques = pd.factorize(community)
    rural_unique = np.array([kinds.get(str(u)) == "rural" for u in uniques], dtype=bool)
    out = np.zeros(len(codes), dtype=bool)
    out[codes >= 0] = rural_unique[codes[codes >= 0]]
    return out


def _resident_samples(grid: Grid, kind: np.ndarray, x: np.ndarray, y: np.ndarray, population: np.ndarray,
                      rural: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where the cells holding demand points are sampled: at their most populous point.

    A cell's centre may snap to another node than a resident a few metres away, and a node's
    neighbours can be minutes apart; sampling at the resident makes the surface give that
    resident exactly their counted minutes. The cell also takes the resident's kind (their
    community's, which the coverage uses), and joins the study area if it lay outside.

    Returns the sampled cells (ascending) and their sample coordinates.
    """
    cell = grid.cells_of(x, y)
    ok = cell >= 0
    order = np.lexsort((-population[ok], cell[ok]))
    idx = np.flatnonzero(ok)[order]
    cells = cell[idx]
    first = np.ones(len(cells), dtype=bool)
    first[1:] = cells[1:] != cells[:-1]
    idx, cells = idx[first], cells[first]
    kind.ravel()[cells] = np.where(rural[idx], RURAL, URBAN)
    return cells, x[idx], y[idx]
