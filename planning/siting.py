"""Where to put new facilities: maximal covering, set covering and p-median siting.

The models work on matrices, as spopt's ``from_cost_matrix`` does, and keep the existing
facilities of the category fixed:

- :func:`mclp` (maximal covering): ``p`` new sites that bring the most uncovered residents into
  their circle;
- :func:`lscp` (set covering): the fewest new sites that reach a target coverage share;
- :func:`pmedian`: ``p`` new sites that minimise total population-weighted minutes to the
  nearest facility (existing or new).

Each is solved greedily (improved by swaps) and with HiGHS within a time limit — the LP
relaxation for a bound and a rounded solution, then the MILP; p-median also gets a Lagrangian
bound, which stays cheap where its LP does not. The answer says which solution it is and its gap
against the best bound (see :mod:`planning._solvers`). :func:`recommend_sites` is the adapter from a data set and its
:class:`planning.analysis.Analysis`: it gathers candidates (:mod:`planning.candidates`), builds
the sparse travel-time matrix from every demand point to every candidate with one batched
Dijkstra run per travel mode on the reverse road graph, solves, and ranks the sites.

p-median cut-off
----------------
Only pairs within :data:`PMEDIAN_CUTOFF_FACTOR` × the demand point's circle time are stored
(urban: 30 minutes walking, rural: 60 minutes by the rural mode with the defaults). A resident
whose nearest facility, existing or candidate, is beyond the cut-off counts as exactly the
cut-off time (the penalty time). The penalty is a lower bound of the true time, so the model
never overstates what a far site saves; residents beyond every cut-off do not affect the choice.

Examples
--------
>>> from geo.synthetic import synthetic_dataset                                # doctest: +SKIP
>>> from planning.analysis import analyze                                      # doctest: +SKIP
>>> ds = synthetic_dataset(3_000)                                              # doctest: +SKIP
>>> result = recommend_sites(ds, analyze(ds), category="community_living_room", new_sites=3)  # doctest: +SKIP
>>> result.sites[["rank", "candidate_id", "newly_covered"]]                    # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import dijkstra

from geo._errors import DataError
from geo.dataset import Dataset
from geo.taxonomy import CATEGORIES
from planning._solvers import Solution, greedy_cover, greedy_median, solve_lscp, solve_mclp, solve_pmedian
from planning.candidates import CANDIDATE_CHOICES, DEFAULT_GENERATED, candidate_sites
from planning.notes import Note
from planning.settings import Settings
from planning.travel import EPS_MINUTES, TravelModel

MODELS: tuple[str, ...] = ("mclp", "lscp", "pmedian")
#: p-median stores pairs up to this multiple of each resident's circle time (see module notes).
PMEDIAN_CUTOFF_FACTOR = 2.0
#: Residents a new site can serve per m² of floor area when it has no capacity of its own:
#: the plans ask ≥ 30 m² per 100 households, about 280 residents, i.e. roughly 10 per m².
DEFAULT_PERSONS_PER_M2 = 10.0
#: Community of demand points that lie in no community (before/after table).
OUTSIDE_COMMUNITIES = "(outside communities)"
#: English text of the siting notes: key → str.format template (see :class:`planning.candidates.Note`).
# Budget (float64 cells) of one block of Dijkstra results: bounds memory on large networks.
_BLOCK_CELLS = 20_000_000


# ---------------------------------------------------------------------------- matrix models
def mclp(
    cover: sparse.spmatrix,
    population: np.ndarray,
    *,
    p: int,
    covered_by_existing: np.ndarray | None = None,
    capacity: np.ndarray | None = None,
    time_limit_s: float = 60.0,
) -> Solution:
    """Maximal covering: ``p`` new sites that newly cover the most residents.

    Parameters
    ----------
    cover : scipy.sparse matrix, demand × candidates
        Non-zero where the candidate lies within the demand point's circle.
    population : numpy.ndarray
        Residents at each demand point.
    p : int
        New sites.
    covered_by_existing : numpy.ndarray of bool, optional
        Demand already inside an existing facility's circle (it does not count as newly covered).
    capacity : numpy.ndarray, optional
        Residents each candidate can serve; residents of one point may be split between sites.
    time_limit_s : float
        HiGHS time limit; 0 gives the greedy solution only.

    Returns
    -------
    planning._solvers.Solution
        ``objective`` is the number of residents newly covered (served, with capacities).

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import sparse
    >>> cover = sparse.csr_matrix(np.array([[1, 0], [1, 1], [0, 1]]))
    >>> sol = mclp(cover, np.array([5.0, 1.0, 2.0]), p=1)
    >>> sol.chosen.tolist(), sol.objective, sol.solver
    ([0], 6.0, 'exact')
    """
    _check_p(p)
    return solve_mclp(cover, population, p=int(p), fixed_covered=covered_by_existing,
                      capacity=capacity, time_limit_s=time_limit_s)


def lscp(
    cover: sparse.spmatrix,
    population: np.ndarray,
    *,
    target_pct: float = 100.0,
    covered_by_existing: np.ndarray | None = None,
    capacity: np.ndarray | None = None,
    time_limit_s: float = 60.0,
) -> Solution:
    """Set covering: the fewest new sites so that ``target_pct`` % of all residents are covered.

    When the target cannot be met (residents no candidate reaches), the model solves for the
    reachable maximum; ``notes`` say so. ``objective`` is the number of new sites.
    """
    if not (0 < target_pct <= 100):
        raise DataError(f"target coverage must be between 0 and 100 %, got {target_pct!r}",
                        fix="give a share such as 95 or 100")
    w = np.asarray(population, dtype=float)
    fixed = (np.zeros(len(w), bool) if covered_by_existing is None
             else np.asarray(covered_by_existing, dtype=bool))
    total = float(w.sum())
    reachable = (np.diff(sparse.csr_matrix(cover).indptr) > 0) & ~fixed
    need = target_pct / 100.0 * total - float(w[fixed].sum())
    notes: list[Note] = []
    if need > float(w[reachable].sum()) + 1e-9 * max(total, 1.0):
        best = 100.0 * (float(w[fixed].sum()) + float(w[reachable].sum())) / total if total else 0.0
        notes.append(Note.of("siting.target_unmet", target_pct=float(target_pct),
                             unreached=float(w[~fixed & ~reachable].sum()), best=best))
        need = float(w[reachable].sum())
    sol = solve_lscp(cover, w, target_weight=max(need, 0.0), fixed_covered=fixed, capacity=capacity,
                     time_limit_s=time_limit_s)
    sol.notes.extend(notes)
    return sol


def pmedian(
    minutes: sparse.spmatrix,
    population: np.ndarray,
    existing_minutes: np.ndarray,
    *,
    p: int,
    penalty_minutes: np.ndarray | float,
    time_limit_s: float = 60.0,
) -> Solution:
    """p-median: ``p`` new sites minimising total residents × minutes to the nearest facility.

    Parameters
    ----------
    minutes : scipy.sparse matrix, demand × candidates
        Minutes from each demand point to each candidate; only pairs within the cut-off stored.
    population : numpy.ndarray
    existing_minutes : numpy.ndarray
        Minutes to the nearest existing facility (``inf`` when none is reachable).
    p : int
    penalty_minutes : float or numpy.ndarray
        Time counted for a resident with no facility within the cut-off (per point or one value).

    Returns
    -------
    planning._solvers.Solution
        ``objective`` is the total person-minutes after the new sites.
    """
    _check_p(p)
    w = np.asarray(population, dtype=float)
    penalty = np.broadcast_to(np.asarray(penalty_minutes, dtype=float), w.shape)
    base = np.minimum(np.asarray(existing_minutes, dtype=float), penalty)
    return solve_pmedian(minutes, w, base, p=int(p), time_limit_s=time_limit_s)


def _check_p(p: object) -> None:
    if not isinstance(p, (int, np.integer)) or isinstance(p, bool) or p < 1:
        raise DataError(f"the number of new sites must be a whole number ≥ 1, got {p!r}",
                        fix="give --new-sites 1 or more")


# ---------------------------------------------------------------------------- travel-time matrix
def minutes_matrix(
    model: TravelModel,
    demand_x: np.ndarray,
    demand_y: np.ndarray,
    candidate_x: np.ndarray,
    candidate_y: np.ndarray,
    *,
    limit_minutes: np.ndarray | float,
) -> sparse.csr_matrix:
    """Minutes from every demand point TO every candidate, kept only within each point's limit.

    One Dijkstra run per batch of candidates on the reverse graph (so one-way streets count in
    the direction residents travel), with the search cut at the largest limit; off-network walks
    at both ends are included. Stored minutes are at least 1e-9 so that none reads as "no pair".

    Returns
    -------
    scipy.sparse.csr_matrix
        demand × candidates.
    """
    dx = np.asarray(demand_x, dtype=float)
    cx = np.asarray(candidate_x, dtype=float)
    n_d, n_c = len(dx), len(cx)
    limit = np.broadcast_to(np.asarray(limit_minutes, dtype=float), (n_d,))
    if n_d == 0 or n_c == 0:
        return sparse.csr_matrix((n_d, n_c))
    d_node, d_access = model.snap(dx, demand_y)
    c_node, c_access = model.snap(cx, candidate_y)
    # Demand points grouped by node: a search result per node serves every point on it.
    nodes, node_of_point = np.unique(d_node, return_inverse=True)
    order = np.argsort(node_of_point, kind="stable")
    starts = np.searchsorted(node_of_point[order], np.arange(len(nodes)))
    counts = np.bincount(node_of_point, minlength=len(nodes))
    search_limit = float(limit.max()) + EPS_MINUTES
    block = max(1, _BLOCK_CELLS // max(model.n_nodes, 1))
    rows_out, cols_out, vals_out = [], [], []
    for b0 in range(0, n_c, block):
        b1 = min(b0 + block, n_c)
        budget = search_limit - c_access[b0:b1]
        dist = np.atleast_2d(dijkstra(model.reverse, directed=True, indices=c_node[b0:b1],
                                      limit=max(float(budget.max()), 0.0)))
        sub = dist[:, nodes] + c_access[b0:b1, None]
        cand_i, node_i = np.nonzero(sub <= search_limit)
        if len(cand_i) == 0:
            continue
        # Expand each (candidate, node) pair to the demand points on that node.
        reps = counts[node_i]
        pos = np.repeat(starts[node_i] - np.cumsum(reps) + reps, reps) + np.arange(int(reps.sum()))
        points = order[pos]
        cand = np.repeat(cand_i, reps) + b0
        minutes = np.repeat(sub[cand_i, node_i], reps) + d_access[points]
        keep = minutes <= limit[points] + EPS_MINUTES
        rows_out.append(points[keep])
        cols_out.append(cand[keep])
        vals_out.append(np.maximum(minutes[keep], 1e-9))
    if not rows_out:
        return sparse.csr_matrix((n_d, n_c))
    out = sparse.csr_matrix((np.concatenate(vals_out), (np.concatenate(rows_out), np.concatenate(cols_out))),
                            shape=(n_d, n_c))
    out.sort_indices()
    return out


# ---------------------------------------------------------------------------- result
@dataclass
class SitingResult:
    """Recommended sites and what they change.

    Attributes
    ----------
    category, model : str
    solver : {"exact", "greedy", "incumbent"}
        "exact" only when HiGHS proved the answer optimal; otherwise the better of the greedy
        solution and HiGHS's best solution when the time ran out ("incumbent").
    gap_pct : float
        Optimality gap against the best proved bound (0 when exact).
    covered_before, covered_after : int
        Residents inside a circle of the category before and after the new sites.
    total_population : int
    sites : geopandas.GeoDataFrame
        rank, candidate_id, name, source, floor_area_m2, community_id, newly_covered (marginal in
        rank order), cumulative_covered, cumulative_pct, lon, lat; points in the metric CRS. With
        capacities also ``capacity`` (newly_covered is then the residents served); p-median also
        ``minutes_saved`` (person-minutes, marginal in rank order).
    community_before_after : pandas.DataFrame
        Per community: population, covered_before, covered_after, pct_before, pct_after.
    circles : geopandas.GeoDataFrame
        Service circle of every new site (empty when circles could not be drawn; see notes).
    unreachable : pandas.Index
        Demand points no candidate (and no existing facility) reaches within their circle.
    solution : planning._solvers.Solution
        The solver's own record (objective, bound, timings).
    unreachable_points : geopandas.GeoDataFrame
        Those demand points (population, community_id), for the map and the GeoPackage.
    demand_covered_after : pandas.Series
        Share (0–1) of each demand point's residents inside a circle of the category after the
        new sites (1/0 except where capacities split a point); index of the population layer.
    """

    category: str
    model: str
    solver: str
    gap_pct: float
    covered_before: int
    covered_after: int
    total_population: int
    sites: gpd.GeoDataFrame
    community_before_after: pd.DataFrame
    circles: gpd.GeoDataFrame
    unreachable: pd.Index
    solution: Solution
    unreachable_points: gpd.GeoDataFrame | None = None
    demand_covered_after: pd.Series | None = None
    candidates_considered: int = 0
    excluded_small: int = 0
    target_pct: float | None = None
    total_minutes_before: float | None = None
    total_minutes_after: float | None = None
    unreachable_population: float = 0.0
    #: What was done or left out, for the user: English text; those made here and in
    #: :mod:`planning.candidates` are :class:`planning.candidates.Note` with ``key`` and ``values``.
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The JSON of ``python -m planning site --json``."""
        sites = [
            {
                "rank": int(r.rank),
                "candidate_id": str(r.candidate_id),
                "name": None if pd.isna(r.name) else str(r.name),
                "community_id": None if pd.isna(r.community_id) else str(r.community_id),
                "lon": round(float(r.lon), 7),
                "lat": round(float(r.lat), 7),
                "newly_covered": int(round(float(r.newly_covered))),
                "cumulative_pct": round(float(r.cumulative_pct), 3),
            }
            for r in self.sites.itertuples(index=False)
        ]
        gap = self.gap_pct if np.isfinite(self.gap_pct) else None
        out: dict[str, Any] = {
            "category": self.category,
            "model": self.model,
            "solver": self.solver,
            "gap_pct": None if gap is None else round(float(gap), 6),
            "covered_before": int(self.covered_before),
            "covered_after": int(self.covered_after),
            "total_population": int(self.total_population),
            "candidates_considered": int(self.candidates_considered),
            "excluded_small": int(self.excluded_small),
            "unreachable_population": int(round(float(self.unreachable_population))),
            "sites": sites,
            "notes": list(self.notes),
        }
        if self.target_pct is not None:
            out["target_pct"] = self.target_pct
        if self.total_minutes_before is not None:
            out["total_minutes_before"] = round(self.total_minutes_before, 3)
            out["total_minutes_after"] = round(float(self.total_minutes_after or 0.0), 3)
        return out

    def write(self, out_dir: str | Path) -> list[Path]:
        """Write ``sites.gpkg`` (sites, circles, unreachable demand), ``sites.csv``,
        ``communities_before_after.csv`` and ``siting.json``.

        CSV files carry a BOM so that Excel opens the Chinese names correctly. Each file is
        written to a temporary name first and then moved over the old one.
        """
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        layers = {"sites": self.sites}
        if len(self.circles):
            layers["circles"] = self.circles
        if self.unreachable_points is not None and len(self.unreachable_points):
            layers["unreachable"] = self.unreachable_points
        written = [write_geopackage(out / "sites.gpkg", layers)]
        written.append(_write_csv(out / "sites.csv", pd.DataFrame(self.sites.drop(columns="geometry"))))
        written.append(_write_csv(out / "communities_before_after.csv", self.community_before_after.reset_index()))
        summary = out / "siting.json"
        _atomic_text(summary, json.dumps(self.to_json(), ensure_ascii=False, indent=2))
        written.append(summary)
        return written


def write_geopackage(path: Path, layers: dict[str, pd.DataFrame]) -> Path:
    """Write layers to a new GeoPackage next to ``path``, then replace ``path`` with it."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(suffix=".gpkg", dir=path.parent, prefix=f".{path.stem}-")
    os.close(fd)
    os.unlink(tmp)
    try:
        for name, frame in layers.items():
            if isinstance(frame, gpd.GeoDataFrame):
                frame.to_file(tmp, layer=name, driver="GPKG", engine="pyogrio")
            else:
                import pyogrio

                pyogrio.write_dataframe(frame, tmp, layer=name, driver="GPKG")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def _write_csv(path: Path, frame: pd.DataFrame) -> Path:
    fd, tmp = tempfile.mkstemp(suffix=".csv", dir=path.parent, prefix=f".{path.stem}-")
    os.close(fd)
    try:
        frame.to_csv(tmp, index=False, encoding="utf-8-sig")
        os.chmod(tmp, _usual_mode())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def _atomic_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(suffix=path.suffix, dir=path.parent, prefix=f".{path.stem}-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, _usual_mode())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _usual_mode() -> int:
    """Permissions of a new file (mkstemp makes its files private to the owner)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


# ---------------------------------------------------------------------------- adapter
@dataclass
class Demand:
    """Demand points of a data set with what siting needs about each."""

    x: np.ndarray
    y: np.ndarray
    population: np.ndarray
    community_id: pd.Series
    kind: np.ndarray
    mode: np.ndarray
    circle_minutes: np.ndarray
    index: pd.Index


def demand_of(dataset: Dataset, analysis: Any, settings: Settings) -> Demand:
    """Demand points with their circle (from the analysis) and travel mode (from the kind)."""
    layer = dataset.population
    geoms = layer.geometry
    if len(layer) and not geoms.geom_type.eq("Point").all():
        geoms = geoms.representative_point()
    pop = pd.to_numeric(layer["population"], errors="coerce").to_numpy(dtype=float)
    if np.isnan(pop).any() or (pop < 0).any():
        raise DataError("population values must be numbers ≥ 0",
                        file=str(dataset.source) if dataset.source else None, layer="population",
                        column="population", fix="correct the rows with missing or negative population")
    cov = getattr(analysis, "coverage", None)
    if cov is not None and all(hasattr(cov, a) for a in ("kind", "mode", "community_id")):
        # The analysis already settled each point's community, kind and mode: reuse them.
        community = cov.community_id.reindex(layer.index).astype(object)
        community = community.where(community.notna(), None)
        kind = cov.kind.reindex(layer.index).fillna("urban").to_numpy(dtype=object)
        mode = cov.mode.reindex(layer.index).to_numpy(dtype=object)
    else:
        if "community_id" in layer.columns:
            community = layer["community_id"].map(lambda v: None if pd.isna(v) else str(v))
        else:
            community = pd.Series([None] * len(layer), index=layer.index, dtype=object)
        comm = dataset.communities
        kinds = (dict(zip(comm["community_id"].astype(str), comm["kind"].astype(str)))
                 if len(comm) and "kind" in comm.columns else {})
        kind = np.asarray([kinds.get(c, "urban") if c is not None else "urban" for c in community],
                          dtype=object)
        mode = np.asarray([settings.mode_for(k) for k in kind], dtype=object)
    circle = analysis.circle_minutes.reindex(layer.index).to_numpy(dtype=float)
    return Demand(x=geoms.x.to_numpy(dtype=float), y=geoms.y.to_numpy(dtype=float), population=pop,
                  community_id=community, kind=kind, mode=mode, circle_minutes=circle, index=layer.index)


def demand_minutes_to_candidates(
    dataset: Dataset,
    demand: Demand,
    candidate_x: np.ndarray,
    candidate_y: np.ndarray,
    *,
    limit_minutes: np.ndarray,
    settings: Settings,
) -> sparse.csr_matrix:
    """:func:`minutes_matrix` for every travel mode present among the demand points."""
    rows, cols, vals = [], [], []
    for mode in pd.unique(demand.mode):
        sel = np.flatnonzero(demand.mode == mode)
        model = TravelModel.for_mode(dataset.roads, str(mode), settings)
        part = minutes_matrix(model, demand.x[sel], demand.y[sel], candidate_x, candidate_y,
                              limit_minutes=limit_minutes[sel]).tocoo()
        rows.append(sel[part.row])
        cols.append(part.col)
        vals.append(part.data)
    n = (len(demand.x), len(candidate_x))
    if not rows:
        return sparse.csr_matrix(n)
    out = sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=n)
    out.sort_indices()
    return out


def _validate_request(
    category: str, model: str, new_sites: int | None, target_pct: float | None, candidates: str,
    time_limit_s: float,
) -> None:
    if category not in CATEGORIES:
        raise DataError(f"unknown category {category!r}", fix=f"use one of {', '.join(CATEGORIES)}")
    if model not in MODELS:
        raise DataError(f"unknown siting model {model!r}", fix=f"use one of {', '.join(MODELS)}")
    if candidates not in CANDIDATE_CHOICES:
        raise DataError(f"unknown candidate choice {candidates!r}", fix=f"use one of {', '.join(CANDIDATE_CHOICES)}")
    if model in ("mclp", "pmedian"):
        if new_sites is None:
            raise DataError(f"the {model} model needs the number of new sites", fix="give --new-sites P")
        _check_p(new_sites)
    if model == "lscp" and target_pct is not None and not (0 < target_pct <= 100):
        raise DataError(f"target coverage must be between 0 and 100 %, got {target_pct!r}",
                        fix="give --target-pct such as 95 or 100")
    if not (time_limit_s >= 0):
        raise DataError(f"the time limit must be ≥ 0 seconds, got {time_limit_s!r}", fix="give --time-limit S")


def recommend_sites(
    dataset: Dataset,
    analysis: Any,
    *,
    category: str,
    model: str = "mclp",
    new_sites: int | None = None,
    target_pct: float | None = None,
    candidates: str = "both",
    min_floor_area_m2: float | None = None,
    time_limit_s: float = 60.0,
    capacity: bool = False,
    persons_per_m2: float = DEFAULT_PERSONS_PER_M2,
    n_generated: int = DEFAULT_GENERATED,
    seed: int = 0,
    circles: bool = True,
) -> SitingResult:
    """Recommend new sites for one facility category.

    Parameters
    ----------
    dataset : geo.dataset.Dataset
    analysis : planning.analysis.Analysis
        Coverage of the data set (its settings, circles and minutes are used).
    category : str
        Taxonomy key, e.g. ``"community_living_room"``.
    model : {"mclp", "lscp", "pmedian"}
    new_sites : int, optional
        Number of new sites (mclp, pmedian).
    target_pct : float, optional
        Coverage share to reach (lscp; default 100).
    candidates : {"given", "generated", "both"}
    min_floor_area_m2 : float, optional
        Given candidates smaller than this are left out (their count is reported).
    time_limit_s : float
        HiGHS time limit (0: greedy only).
    capacity : bool
        Each site serves at most its ``capacity`` column, else floor area × ``persons_per_m2``
        (mclp and lscp).
    n_generated, seed : int
        Generated candidates (k-means clusters) and k-means seed.
    circles : bool
        Draw the service circles of the new sites.

    Returns
    -------
    SitingResult
    """
    _validate_request(category, model, new_sites, target_pct, candidates, time_limit_s)
    if capacity and model == "pmedian":
        raise DataError("capacities apply to the mclp and lscp models", fix="use --model mclp or lscp")
    settings = getattr(analysis, "settings", None) or Settings()
    demand = demand_of(dataset, analysis, settings)
    w = demand.population
    total = float(w.sum())
    if category in analysis.covered.columns:
        existing_cov = analysis.covered[category].reindex(demand.index).fillna(False).to_numpy(dtype=bool)
        existing_min = analysis.demand_minutes[category].reindex(demand.index).to_numpy(dtype=float)
    elif len(dataset.facilities) and (dataset.facilities["category"].astype(str) == category).any():
        # The analysis left this category out: its existing facilities still count.
        from planning.coverage import coverage

        cov = coverage(dataset, settings, categories=[category])
        existing_cov = cov.covered[category].reindex(demand.index).fillna(False).to_numpy(dtype=bool)
        existing_min = cov.demand_minutes[category].reindex(demand.index).to_numpy(dtype=float)
    else:  # no existing facility of the category: nobody is covered yet
        existing_cov = np.zeros(len(w), dtype=bool)
        existing_min = np.full(len(w), np.inf)
    notes: list[str] = []

    unc = ~existing_cov
    cand = candidate_sites(dataset, demand.x[unc], demand.y[unc], w[unc], choice=candidates,
                           min_floor_area_m2=min_floor_area_m2, n_generated=n_generated, seed=seed)
    notes.extend(cand.notes)
    sites = cand.sites
    cap_values: np.ndarray | None = None
    if capacity:
        cap_values = sites["capacity"].to_numpy(dtype=float)
        cap_values = np.where(np.isnan(cap_values), sites["floor_area_m2"].to_numpy(dtype=float) * persons_per_m2,
                              cap_values)
        missing = np.isnan(cap_values)
        if missing.all():
            raise DataError("no candidate has a capacity or floor area",
                            file=str(dataset.source) if dataset.source else None, layer="candidates",
                            fix="add floor_area_m2 or capacity to the candidates, or switch capacities off")
        if missing.any():
            notes.append(Note.of("siting.no_capacity", n=int(missing.sum())))
            sites = sites.loc[~missing].reset_index(drop=True)
            cap_values = cap_values[~missing]
    cx = sites.geometry.x.to_numpy(dtype=float)
    cy = sites.geometry.y.to_numpy(dtype=float)
    circle = demand.circle_minutes
    limit = circle * PMEDIAN_CUTOFF_FACTOR if model == "pmedian" else circle
    minutes = demand_minutes_to_candidates(dataset, demand, cx, cy, limit_minutes=limit, settings=settings)
    coo = minutes.tocoo()
    keep = coo.data <= circle[coo.row] + EPS_MINUTES
    cover = sparse.csr_matrix((np.ones(int(keep.sum())), (coo.row[keep], coo.col[keep])), shape=minutes.shape)
    reach = np.diff(cover.indptr) > 0
    unreachable = demand.index[~existing_cov & ~reach & (w > 0)]
    unreachable_pop = float(w[~existing_cov & ~reach].sum())

    total_before_min = total_after_min = None
    if model == "mclp":
        sol = mclp(cover, w, p=int(new_sites or 0), covered_by_existing=existing_cov, capacity=cap_values,
                   time_limit_s=time_limit_s)
    elif model == "lscp":
        sol = lscp(cover, w, target_pct=100.0 if target_pct is None else float(target_pct),
                   covered_by_existing=existing_cov, capacity=cap_values, time_limit_s=time_limit_s)
    else:
        sol = pmedian(minutes, w, existing_min, p=int(new_sites or 0), penalty_minutes=limit,
                      time_limit_s=time_limit_s)
        total_before_min = float((w * np.minimum(existing_min, limit)).sum())
        total_after_min = float(sol.objective)
    notes.extend(sol.notes)
    if unreachable_pop > 0:
        notes.append(Note.of("siting.unreachable", points=len(unreachable), residents=unreachable_pop))

    chosen, newly, served_share, saved = _rank(sol, cover, minutes, w, existing_cov, existing_min, limit, model)
    if model == "mclp" and served_share is None and (newly <= 0).any():
        # Once every reachable resident is covered, further sites add nobody: a planner should
        # not be told to build them. Ranking puts them last, so the kept sites stay in order.
        keep = newly > 0
        notes.append(Note.of("siting.no_gain", dropped=int((~keep).sum()), asked=len(chosen)))
        chosen, newly = chosen[keep], newly[keep]
    covered_before = float(w[existing_cov].sum())
    covered_mask_after = existing_cov.copy()
    if len(chosen):
        covered_mask_after |= np.asarray(cover[:, chosen].sum(axis=1)).ravel() > 0
    if served_share is not None:
        after_share = existing_cov.astype(float) + (~existing_cov) * served_share
    else:
        after_share = covered_mask_after.astype(float)
    covered_after = float((w * after_share).sum())

    table = _sites_table(dataset, sites.iloc[chosen], newly, covered_before, total)
    if cap_values is not None:
        table["capacity"] = cap_values[chosen]
    if saved is not None:
        # p-median ranks by person-minutes saved, each site after the better ones are open.
        table["minutes_saved"] = saved
    per_comm = _community_before_after(dataset, demand, existing_cov.astype(float), after_share)
    circle_frame = _site_circles(dataset, table, settings, notes) if circles else _empty_circles(dataset)
    result = SitingResult(
        category=category, model=model, solver=sol.solver, gap_pct=float(sol.gap_pct),
        covered_before=int(round(covered_before)), covered_after=int(round(covered_after)),
        total_population=int(round(total)), sites=table, community_before_after=per_comm,
        circles=circle_frame, unreachable=unreachable, solution=sol,
        candidates_considered=len(sites), excluded_small=cand.excluded_small,
        target_pct=(100.0 if target_pct is None else float(target_pct)) if model == "lscp" else None,
        total_minutes_before=total_before_min, total_minutes_after=total_after_min,
        unreachable_population=unreachable_pop, notes=notes,
        unreachable_points=_points_of(dataset, demand, unreachable),
        demand_covered_after=pd.Series(after_share, index=demand.index, name=category),
    )
    return result


def _points_of(dataset: Dataset, demand: Demand, index: pd.Index) -> gpd.GeoDataFrame:
    pos = demand.index.get_indexer(index)
    return gpd.GeoDataFrame(
        {"population": demand.population[pos],
         "community_id": demand.community_id.to_numpy(dtype=object)[pos]},
        geometry=gpd.points_from_xy(demand.x[pos], demand.y[pos]), crs=dataset.crs, index=index,
    )


def _rank(
    sol: Solution, cover: sparse.csr_matrix, minutes: sparse.csr_matrix, w: np.ndarray,
    existing_cov: np.ndarray, existing_min: np.ndarray, limit: np.ndarray, model: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Chosen sites in rank order, the residents each newly covers (marginal in that order),
    the share of each demand point served (capacities) and the person-minutes each saves (p-median).
    """
    chosen = np.asarray(sol.chosen, dtype=np.int64)
    saved = None
    if len(chosen) == 0:
        return chosen, np.zeros(0), None, None
    if sol.served is not None:
        order = np.argsort(-sol.served, kind="stable")
        return chosen[order], sol.served[order], sol.row_share, None
    if model == "pmedian":
        # Rank by minutes saved, each site after the better ones are in place.
        base = np.minimum(existing_min, limit)
        sub = sparse.csr_matrix(minutes[:, chosen])
        picked, saved = greedy_median(sub, w, base, p=len(chosen))
        ordered = chosen[picked]
    else:
        weight = np.where(existing_cov, 0.0, w)
        picked, _ = greedy_cover(sparse.csr_matrix(cover[:, chosen]), weight, p=len(chosen))
        ordered = chosen[picked]
    # Marginal newly covered residents in rank order.
    covered = existing_cov.copy()
    newly = np.zeros(len(ordered))
    csc = sparse.csc_matrix(cover)
    for k, j in enumerate(ordered):
        rows = csc.indices[csc.indptr[j] : csc.indptr[j + 1]]
        fresh = rows[~covered[rows]]
        newly[k] = float(w[fresh].sum())
        covered[fresh] = True
    return ordered, newly, None, saved


def _sites_table(
    dataset: Dataset, chosen: gpd.GeoDataFrame, newly: np.ndarray, covered_before: float, total: float,
) -> gpd.GeoDataFrame:
    chosen = chosen.reset_index(drop=True)
    wgs = chosen.geometry.to_crs(4326) if len(chosen) else chosen.geometry
    cumulative = covered_before + np.cumsum(newly)
    comm = dataset.communities
    community = pd.Series([None] * len(chosen), dtype=object)
    if len(comm) and len(chosen):
        pts_idx, poly_idx = comm.sindex.query(chosen.geometry.to_numpy(), predicate="intersects")
        first = pd.Series(poly_idx, index=pts_idx).groupby(level=0).min()
        community.iloc[first.index.to_numpy()] = comm["community_id"].astype(str).to_numpy()[first.to_numpy()]
    return gpd.GeoDataFrame(
        {
            "rank": np.arange(1, len(chosen) + 1, dtype=np.int64),
            "candidate_id": chosen["candidate_id"].astype(str).to_numpy(),
            "name": chosen["name"].to_numpy(dtype=object),
            "source": chosen["source"].to_numpy(dtype=object),
            "floor_area_m2": chosen["floor_area_m2"].to_numpy(dtype=float),
            "community_id": community.to_numpy(dtype=object),
            "newly_covered": np.asarray(newly, dtype=float),
            "cumulative_covered": cumulative,
            "cumulative_pct": 100.0 * cumulative / total if total > 0 else np.zeros(len(chosen)),
            "lon": wgs.x.to_numpy(dtype=float) if len(chosen) else np.zeros(0),
            "lat": wgs.y.to_numpy(dtype=float) if len(chosen) else np.zeros(0),
        },
        geometry=chosen.geometry.to_numpy(),
        crs=dataset.crs,
    )


def _community_before_after(
    dataset: Dataset, demand: Demand, before: np.ndarray, after: np.ndarray
) -> pd.DataFrame:
    w = demand.population
    frame = pd.DataFrame({
        "community_id": demand.community_id.fillna(OUTSIDE_COMMUNITIES).to_numpy(dtype=object),
        "population": w, "covered_before": w * before, "covered_after": w * after,
    })
    out = frame.groupby("community_id", sort=True)[["population", "covered_before", "covered_after"]].sum()
    names = dict(zip(dataset.communities["community_id"].astype(str), dataset.communities["name"])) \
        if len(dataset.communities) else {}
    out.insert(0, "name", [names.get(i, i) for i in out.index])
    out["newly_covered"] = out["covered_after"] - out["covered_before"]
    with np.errstate(invalid="ignore", divide="ignore"):
        out["pct_before"] = np.where(out["population"] > 0, 100.0 * out["covered_before"] / out["population"], np.nan)
        out["pct_after"] = np.where(out["population"] > 0, 100.0 * out["covered_after"] / out["population"], np.nan)
    return out


def _empty_circles(dataset: Dataset) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"candidate_id": [], "minutes": [], "mode": []},
                            geometry=gpd.GeoSeries([], crs=dataset.crs), crs=dataset.crs)


def _site_circles(dataset: Dataset, sites: gpd.GeoDataFrame, settings: Settings, notes: list[str]) -> gpd.GeoDataFrame:
    """Service circle of each new site, with the circle and mode of the community it lies in."""
    try:
        from planning.circles import service_circles
    except ImportError:
        notes.append(Note.of("siting.no_circles"))
        return _empty_circles(dataset)
    if len(sites) == 0:
        return _empty_circles(dataset)
    comm = dataset.communities
    kinds = dict(zip(comm["community_id"].astype(str), comm["kind"].astype(str))) if len(comm) else {}
    kind = np.asarray([kinds.get(c, "urban") if c is not None else "urban" for c in sites["community_id"]])
    parts = []
    for k in ("urban", "rural"):
        sel = np.flatnonzero(kind == k)
        if len(sel) == 0:
            continue
        model = TravelModel.for_mode(dataset.roads, settings.mode_for(k), settings)
        part = service_circles(model, sites.geometry.x.to_numpy()[sel], sites.geometry.y.to_numpy()[sel],
                               minutes=settings.circle_minutes(k), buffer_m=settings.circle_buffer_m,
                               facility_ids=sites["candidate_id"].to_numpy()[sel].tolist(), per_facility=True)
        parts.append(part.rename(columns={"facility_id": "candidate_id"}))
    out = pd.concat(parts, ignore_index=True)
    rank = dict(zip(sites["candidate_id"], sites["rank"]))
    out.insert(0, "rank", out["candidate_id"].map(rank).astype(np.int64))
    return gpd.GeoDataFrame(out.sort_values("rank").reset_index(drop=True), geometry="geometry", crs=dataset.crs)
