"""Recommend new sites for one category from a data set and its analysis.

:func:`recommend_sites` gathers candidates (:mod:`planning.siting.candidates`), builds the
sparse travel-time matrix from every demand point to every candidate
(:mod:`planning.siting.matrix`), solves one of the models (:mod:`planning.siting.models`) and
ranks the sites.

Examples
--------
>>> from geo.synthetic import synthetic_dataset                                # doctest: +SKIP
>>> from planning.access.analysis import analyze                               # doctest: +SKIP
>>> ds = synthetic_dataset(3_000)                                              # doctest: +SKIP
>>> result = recommend_sites(ds, analyze(ds), category="community_living_room", new_sites=3)  # doctest: +SKIP
>>> result.sites[["rank", "candidate_id", "newly_covered"]]                    # doctest: +SKIP
"""

from __future__ import annotations

import threading
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse

from geo._errors import DataError
from geo.dataset import Dataset
from geo.taxonomy import CATEGORIES
from planning.access.circles import point_circles
from planning.access.coverage import coverage
from planning.access.demand import locate
from planning.access.groups import with_groups
from planning.access.surface import travel_surfaces
from planning.access.travel import EPS_MINUTES
from planning.choices import CANDIDATE_CHOICES, DEFAULT_GENERATED, DEFAULT_PERSONS_PER_M2, MODELS
from planning.settings import Settings
from planning.siting._deadline import Deadline, Progress
from planning.siting._solvers import Solution, greedy_cover, greedy_median
from planning.siting.candidates import candidate_sites
from planning.siting.matrix import Demand, demand_minutes_to_candidates, demand_of
from planning.siting.models import PMEDIAN_CUTOFF_FACTOR, _check_p, lscp, mclp, pmedian
from planning.siting.result import SitingResult
from planning.texts import Note

#: Community of demand points that lie in no community (before/after table).
OUTSIDE_COMMUNITIES = "(outside communities)"


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
    progress: Progress | None = None,
    stop: threading.Event | None = None,
) -> SitingResult:
    """Recommend new sites for one facility category.

    Parameters
    ----------
    dataset : geo.dataset.Dataset
    analysis : planning.access.analysis.Analysis
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
        Seconds for the whole siting run: candidates, travel times and the solver (0: greedy
        only). Candidates, the travel-time matrix and the greedy solution are always completed;
        the solver's improving stages (swaps, bounds, HiGHS) get what is left of the limit.
    capacity : bool
        Each site serves at most its ``capacity`` column, else floor area × ``persons_per_m2``
        (every model; with p-median the residents a site cannot take keep their existing
        facility or the penalty time).
    n_generated, seed : int
        Generated candidates (k-means clusters) and k-means seed.
    circles : bool
        Draw the service circles of the new sites.
    progress : callable, optional
        ``progress(seconds, incumbent, bound)`` while the model solves, on the calling thread
        (objective units: residents covered, sites, or person-minutes).
    stop : threading.Event, optional
        Once set, the solver stops and the best sites so far are recommended, with their gap.

    Returns
    -------
    SitingResult
    """
    _validate_request(category, model, new_sites, target_pct, candidates, time_limit_s)
    clock = Deadline.after(time_limit_s)
    settings = getattr(analysis, "settings", None) or Settings()
    dataset = with_groups(dataset, settings)
    counts = getattr(analysis, "coverage", None)
    cov = counts if category in analysis.covered.columns else None
    if cov is None and len(dataset.facilities) and (dataset.facilities["category"].astype(str) == category).any():
        # The analysis left this category out: its existing facilities still count.
        cov = coverage(dataset, settings, categories=[category])
    counts = cov if cov is not None else counts
    grouped = counts is not None and hasattr(counts, "group_weight")
    # The models count the category's target group (the elderly at their walking speed).
    demand = demand_of(dataset, analysis, settings, category=category, coverage=counts if grouped else None)
    w = demand.weight if demand.weight is not None else demand.population
    total = float(w.sum())
    if cov is not None and hasattr(cov, "group_covered"):
        existing_cov = cov.group_covered(category).reindex(demand.index).fillna(False).to_numpy(dtype=bool)
        existing_min = cov.group_minutes(category).reindex(demand.index).to_numpy(dtype=float)
    elif cov is not None:
        existing_cov = cov.covered[category].reindex(demand.index).fillna(False).to_numpy(dtype=bool)
        existing_min = cov.demand_minutes[category].reindex(demand.index).to_numpy(dtype=float)
    else:  # no existing facility of the category: nobody is covered yet
        existing_cov = np.zeros(len(w), dtype=bool)
        existing_min = np.full(len(w), np.inf)
    notes: list[str] = []
    if demand.target_group != "all":
        notes.append(Note.of(f"siting.{demand.target_group}_weights"))

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
    factor = demand.minutes_factor if demand.minutes_factor is not None else np.ones(len(w))
    # Normal minutes searched to limit / factor, then turned into the group's minutes.
    minutes = demand_minutes_to_candidates(dataset, demand, cx, cy, limit_minutes=limit / factor,
                                           settings=settings)
    if (factor != 1.0).any():
        minutes = sparse.csr_matrix(sparse.diags(factor) @ minutes)
        minutes.sort_indices()
    coo = minutes.tocoo()
    keep = coo.data <= circle[coo.row] + EPS_MINUTES
    cover = sparse.csr_matrix((np.ones(int(keep.sum())), (coo.row[keep], coo.col[keep])), shape=minutes.shape)
    reach = np.diff(cover.indptr) > 0
    unreachable = demand.index[~existing_cov & ~reach & (w > 0)]
    unreachable_pop = float(w[~existing_cov & ~reach].sum())

    total_before_min = total_after_min = None
    solver_s = clock.left()  # what candidates and travel times left of the limit
    control = {"time_limit_s": solver_s, "progress": progress, "stop": stop}
    if model == "mclp":
        sol = mclp(cover, w, p=int(new_sites or 0), covered_by_existing=existing_cov, capacity=cap_values,
                   **control)
    elif model == "lscp":
        sol = lscp(cover, w, target_pct=100.0 if target_pct is None else float(target_pct),
                   covered_by_existing=existing_cov, capacity=cap_values, **control)
    else:
        sol = pmedian(minutes, w, existing_min, p=int(new_sites or 0), penalty_minutes=limit,
                      capacity=cap_values, **control)
        total_before_min = float((w * np.minimum(existing_min, limit)).sum())
        total_after_min = float(sol.objective)
    notes.extend(sol.notes)
    if sol.stopped and not sol.optimal:
        notes.append(Note.of("siting.stopped", seconds=float(clock.elapsed()), gap=float(sol.gap_pct))
                     if np.isfinite(sol.gap_pct) else Note.of("siting.stopped_no_bound", seconds=float(clock.elapsed())))
    elif sol.time_limit_reached:
        notes.append(time_limit_note(sol, limit_s=time_limit_s))
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
    circle_frame = _site_circles(dataset, table, settings) if circles else _empty_circles(dataset)
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
        time_limit_s=float(time_limit_s), seconds=clock.elapsed(),
        demand_covered_after=pd.Series(after_share, index=demand.index, name=category),
        target_group=demand.target_group,
    )
    return result


def time_limit_note(sol: Solution, *, limit_s: float | None = None) -> Note:
    """What a solution cut short by the time limit is worth, in words (its certified gap).

    ``limit_s`` is the limit the user gave (default: the solver's own), when the solver had
    only what was left of it.
    """
    limit = float(sol.time_limit_s if limit_s is None else limit_s)
    if limit <= 0:
        return Note.of("siting.greedy_only", gap=float(sol.gap_pct))
    if sol.time_limit_s <= 0:
        return Note.of("siting.no_time_left", limit=limit, gap=float(sol.gap_pct))
    if not np.isfinite(sol.gap_pct):
        return Note.of("siting.time_limit_no_bound", limit=limit)
    if sol.gap_pct < 0.01:
        return Note.of("siting.time_limit_close", limit=limit)
    return Note.of("siting.time_limit", limit=limit, gap=float(sol.gap_pct))


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
    if sol.assignment is not None and sol.minutes_saved is not None:
        # Capacitated p-median: a resident counts as newly covered for the share of it assigned
        # to a new site within its circle; sites rank by the person-minutes they save.
        within = sparse.csr_matrix(sol.assignment.multiply(cover[:, chosen]))
        share = np.minimum(np.asarray(within.sum(axis=1)).ravel(), 1.0)
        newly = np.asarray(within.T @ np.where(existing_cov, 0.0, w)).ravel()
        order = np.argsort(-sol.minutes_saved, kind="stable")
        return chosen[order], newly[order], share, sol.minutes_saved[order]
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
    community = locate(chosen.geometry, dataset.communities)
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
    w = demand.weight if demand.weight is not None else demand.population
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
    return gpd.GeoDataFrame({"rank": [], "candidate_id": [], "urban_minutes": [], "rural_minutes": []},
                            geometry=gpd.GeoSeries([], crs=dataset.crs), crs=dataset.crs)


def _site_circles(dataset: Dataset, sites: gpd.GeoDataFrame, settings: Settings) -> gpd.GeoDataFrame:
    """Service circle of each new site, drawn from the travel-time surface.

    Every cell counts under its own community's circle time and mode, as the coverage counts
    the residents the site brings into the circle.
    """
    if len(sites) == 0:
        return _empty_circles(dataset)
    minutes = {kind: settings.circle_minutes(kind) for kind in ("urban", "rural")}
    geoms = point_circles(travel_surfaces(dataset, settings), sites.geometry.x.to_numpy(),
                          sites.geometry.y.to_numpy(), minutes)
    out = gpd.GeoDataFrame({"rank": sites["rank"].to_numpy(dtype=np.int64),
                            "candidate_id": sites["candidate_id"].to_numpy(),
                            "urban_minutes": minutes["urban"], "rural_minutes": minutes["rural"]},
                           geometry=gpd.GeoSeries(geoms, crs=dataset.crs), crs=dataset.crs)
    return gpd.GeoDataFrame(out.sort_values("rank").reset_index(drop=True), geometry="geometry", crs=dataset.crs)
