"""Candidate sites for new facilities: given ones (idle public buildings …) and generated ones.

The plans prefer idle public buildings (闲置的办公用房、培训中心、福利设施) for new facilities,
which data sets list in the candidates layer with their floor area and cost. Where that list is
short or missing, candidates are generated where uncovered residents live: k-means (scikit-learn)
on the demand points outside every existing circle of the category, weighted by population, each
centre moved to its nearest road node so that it is reachable over the network.

Examples
--------
>>> from geo.synthetic import synthetic_dataset                       # doctest: +SKIP
>>> from planning.access.analysis import analyze                             # doctest: +SKIP
>>> ds = synthetic_dataset(2_000)                                     # doctest: +SKIP
>>> cands = candidate_sites(ds, analyze(ds), category="community_living_room")  # doctest: +SKIP
>>> cands.sites["source"].value_counts()                              # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from geo._errors import DataError
from geo.dataset import Dataset
from planning.access.demand import as_points, locate
from planning.choices import CANDIDATE_CHOICES, DEFAULT_GENERATED
from planning.texts import Note

CandidateChoice = Literal["given", "generated", "both"]
COLUMNS: tuple[str, ...] = ("candidate_id", "name", "floor_area_m2", "source", "cost", "capacity")


@dataclass
class CandidateSet:
    """Candidates offered to a siting model and what was left out.

    Attributes
    ----------
    sites : geopandas.GeoDataFrame
        candidate_id (str), name, floor_area_m2, source, cost, capacity; points in the data set CRS.
    excluded_small : int
        Given candidates left out for a floor area below the minimum.
    unknown_floor_area : int
        Candidates kept although their floor area is unknown (generated ones always are).
    notes : list of Note
        What was done, for the user (English text; ``key`` and ``values`` for translation).
    """

    sites: gpd.GeoDataFrame
    excluded_small: int = 0
    unknown_floor_area: int = 0
    notes: list[Note] = field(default_factory=list)


def _where(dataset: Dataset) -> str | None:
    return str(dataset.source) if dataset.source else None


def given_candidates(dataset: Dataset) -> gpd.GeoDataFrame:
    """The data set's candidates layer with the columns of :data:`COLUMNS`."""
    layer = dataset.candidates
    out = gpd.GeoDataFrame(
        {c: pd.Series(dtype="float64" if c in ("floor_area_m2", "cost", "capacity") else "object")
         for c in COLUMNS},
        geometry=gpd.GeoSeries([], crs=dataset.crs), crs=dataset.crs,
    )
    if layer is None or len(layer) == 0:
        return out
    if "candidate_id" not in layer.columns:
        raise DataError("the candidates layer has no 'candidate_id' column", file=_where(dataset),
                        layer="candidates", fix="add a unique candidate_id to every candidate")
    geoms = as_points(layer.geometry)
    ids = layer["candidate_id"].astype(str)
    if ids.duplicated().any():
        dup = ", ".join(ids[ids.duplicated()].unique()[:5])
        raise DataError(f"duplicate candidate_id values ({dup})", file=_where(dataset), layer="candidates",
                        column="candidate_id", fix="give every candidate its own id")
    data: dict[str, Any] = {"candidate_id": ids.to_numpy()}
    data["name"] = (layer["name"].astype("object").where(layer["name"].notna(), ids).to_numpy()
                    if "name" in layer.columns else ids.to_numpy())
    for col in ("floor_area_m2", "cost", "capacity"):
        data[col] = (pd.to_numeric(layer[col], errors="coerce").to_numpy(dtype=float)
                     if col in layer.columns else np.full(len(layer), np.nan))
    data["source"] = (layer["source"].astype("object").fillna("given").to_numpy()
                      if "source" in layer.columns else np.full(len(layer), "given", dtype=object))
    return gpd.GeoDataFrame(data, geometry=geoms.to_numpy(), crs=dataset.crs)


def generated_candidates(
    dataset: Dataset,
    x: np.ndarray,
    y: np.ndarray,
    population: np.ndarray,
    *,
    n: int = DEFAULT_GENERATED,
    seed: int = 0,
) -> gpd.GeoDataFrame:
    """k-means centres of the given (uncovered) demand points, weighted by population.

    Each centre is moved to its nearest road node. Centres that land on the same node are kept
    once, so fewer than ``n`` candidates may come back.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    w = np.asarray(population, dtype=float)
    keep = w > 0
    x, y, w = x[keep], y[keep], w[keep]
    k = int(min(n, len(x)))
    if k <= 0:
        return given_candidates(dataset).iloc[0:0]
    # Imported here: scikit-learn takes seconds to import and only generation needs it.
    from sklearn.cluster import KMeans

    pts = np.column_stack([x, y])
    origin = pts.mean(axis=0)
    # n_init=1 with k-means++ seeding: deterministic for a seed and fast on 10^5 points.
    km = KMeans(n_clusters=k, n_init=1, random_state=seed).fit(pts - origin, sample_weight=w)
    centres = km.cluster_centers_ + origin
    node, _ = dataset.roads.snap(centres[:, 0], centres[:, 1])
    node = pd.unique(node)
    nx, ny = dataset.roads.node_x[node], dataset.roads.node_y[node]
    ids = [f"G{i + 1:04d}" for i in range(len(node))]
    return gpd.GeoDataFrame(
        {
            "candidate_id": ids,
            "name": generated_names(dataset, nx, ny),
            "floor_area_m2": np.full(len(node), np.nan),
            "source": "generated",
            "cost": np.full(len(node), np.nan),
            "capacity": np.full(len(node), np.nan),
        },
        geometry=gpd.points_from_xy(nx, ny),
        crs=dataset.crs,
    )


def generated_names(dataset: Dataset, x: np.ndarray, y: np.ndarray) -> list[str]:
    """Names a planner can find a generated point by: its community and nearest road.

    ``西街社区·太白南路`` (the Chinese part of a bilingual road name); ``西街社区·新址2`` where no
    named road lies within 150 m; a second point of the same community and road gets ``（2）``.
    """
    pts = gpd.GeoSeries(gpd.points_from_xy(x, y), crs=dataset.crs)
    com = dataset.communities
    ids = locate(pts, com) if len(com) else pd.Series([None] * len(pts))
    names = dict(zip(com["community_id"].astype(str), com["name"].astype(str))) if len(com) else {}
    roads = dataset.roads.road_names_near(np.asarray(x), np.asarray(y))
    out: list[str] = []
    seen: dict[str, int] = {}
    unnamed: dict[str, int] = {}
    for cid, road in zip(ids, roads):
        place = names.get(str(cid), "") if cid is not None and not pd.isna(cid) else ""
        if road:
            parts = [p.strip() for p in str(road).split(" / ")]
            road = next((p for p in parts if any("\u4e00" <= ch <= "\u9fff" for ch in p)), parts[0])
            base = f"{place}·{road}" if place else road
        else:
            unnamed[place] = unnamed.get(place, 0) + 1
            base = f"{place}·新址{unnamed[place]}" if place else f"新址{unnamed[place]}"
        seen[base] = seen.get(base, 0) + 1
        out.append(base if seen[base] == 1 else f"{base}（{seen[base]}）")
    return out


def candidate_sites(
    dataset: Dataset,
    uncovered_x: np.ndarray,
    uncovered_y: np.ndarray,
    uncovered_population: np.ndarray,
    *,
    choice: str = "both",
    min_floor_area_m2: float | None = None,
    n_generated: int = DEFAULT_GENERATED,
    seed: int = 0,
) -> CandidateSet:
    """Candidates for one category: given, generated on uncovered demand, or both.

    Parameters
    ----------
    dataset : geo.dataset.Dataset
    uncovered_x, uncovered_y, uncovered_population : numpy.ndarray
        Demand points outside every existing circle of the category (for generation).
    choice : {"given", "generated", "both"}
    min_floor_area_m2 : float, optional
        Given candidates with a smaller floor area are left out (and counted).
    n_generated : int
        Number of k-means clusters.
    seed : int
        k-means seed.
    """
    if choice not in CANDIDATE_CHOICES:
        raise DataError(f"unknown candidate choice {choice!r}", fix=f"use one of {', '.join(CANDIDATE_CHOICES)}")
    if min_floor_area_m2 is not None and not (min_floor_area_m2 >= 0):
        raise DataError(f"minimum floor area must be a number ≥ 0, got {min_floor_area_m2!r}",
                        fix="give the floor area in m²")
    notes: list[Note] = []
    parts: list[gpd.GeoDataFrame] = []
    excluded = 0
    if choice in ("given", "both"):
        given = given_candidates(dataset)
        if min_floor_area_m2 is not None and len(given):
            small = given["floor_area_m2"].to_numpy() < float(min_floor_area_m2)  # NaN → False
            excluded = int(small.sum())
            if excluded:
                notes.append(Note.of("candidates.excluded_small", n=excluded,
                                     min_m2=float(min_floor_area_m2)))
            given = given.loc[~small]
        if choice == "given" and len(dataset.candidates) == 0:
            raise DataError("the data set has no candidates layer", file=_where(dataset), layer="candidates",
                            fix="add candidate sites (e.g. idle public buildings) or use generated candidates")
        parts.append(given)
    if choice in ("generated", "both"):
        gen = generated_candidates(dataset, uncovered_x, uncovered_y, uncovered_population,
                                   n=n_generated, seed=seed)
        if len(gen):
            notes.append(Note.of("candidates.generated", n=len(gen)))
        parts.append(gen)
    parts = [part for part in parts if len(part)]
    sites = pd.concat(parts, ignore_index=True) if parts else given_candidates(dataset).iloc[0:0]
    sites = gpd.GeoDataFrame(sites, geometry="geometry", crs=dataset.crs)
    unknown = int(sites["floor_area_m2"].isna().sum())
    if min_floor_area_m2 is not None and unknown:
        notes.append(Note.of("candidates.unknown_floor_area", n=unknown))
    if len(sites) == 0:
        raise DataError(
            "no candidate sites to choose from"
            + (f" ({excluded} left out for a floor area below {min_floor_area_m2:g} m²)" if excluded else ""),
            file=_where(dataset), layer="candidates",
            fix="add candidates, lower the minimum floor area or use --candidates generated/both",
        )
    return CandidateSet(sites=sites.reset_index(drop=True), excluded_small=excluded,
                        unknown_floor_area=unknown, notes=notes)
