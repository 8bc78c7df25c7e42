"""Enhanced two-step floating catchment area (E2SFCA) accessibility.

Step 1, for each facility ``j``: ``R_j = S_j / Σ_k P_k·W(d_kj)`` over the demand points ``k``
that reach ``j`` within their own circle (``d_kj ≤ d0_k``). Step 2, for each demand point:
``A_k = Σ_j R_j·W(d_kj)`` over the same pairs. ``S`` is the supply (floor area, capacity or one per
facility), ``P`` the residents, ``d`` the network minutes from the point to the facility (the same
times as :mod:`planning.access.coverage`), ``d0`` the circle time of the point's community.

Distance decay ``W`` within the circle (zero beyond it):

gaussian (default)
    ``W = (exp(-½(d/d0)²) − exp(-½)) / (1 − exp(-½))``: 1 at the door, 0 at the circle's edge
    (Dai 2010, "Black residential segregation, disparities in spatial access to health care").
step
    1.00 in the first third of the circle, 0.68 in the second, 0.22 in the last (Luo & Qi 2009,
    "An enhanced two-step floating catchment area (E2SFCA) method").

``A_k`` is supply per resident (m² per resident when the supply is floor area); its
population-weighted mean over the study area equals the total supply reached divided by the
population reached.

``P`` counts the category's target group (:mod:`planning.access.groups`: residents aged 60+ for
elderly care and meal aid, children aged 0–6 for childcare, where the data or the census give
their numbers), and ``d`` is the group's time: the elderly walk at the elderly speed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from geo._errors import DataError
from geo.dataset import Dataset
from planning.access._nearby import reach_nearby
from planning.access.coverage import Coverage, resolve_categories
from planning.access.coverage import coverage as compute_coverage
from planning.access.demand import as_points, demand_points
from planning.access.groups import with_groups
from planning.access.travel import EPS_MINUTES, TravelModel
from planning.settings import Settings

Decay = Literal["gaussian", "step"]
Supply = Literal["auto", "floor_area_m2", "capacity", "count"]
STEP_WEIGHTS: tuple[float, float, float] = (1.0, 0.68, 0.22)


def decay_weight(minutes: np.ndarray, circle_minutes: np.ndarray, *, decay: Decay = "gaussian") -> np.ndarray:
    """Distance-decay weight of each trip time within its circle (0 beyond it)."""
    d = np.asarray(minutes, dtype=float)
    d0 = np.asarray(circle_minutes, dtype=float)
    inside = d <= d0 + EPS_MINUTES
    ratio = np.clip(d / d0, 0.0, 1.0)
    if decay == "gaussian":
        edge = np.exp(-0.5)
        w = (np.exp(-0.5 * ratio**2) - edge) / (1.0 - edge)
    elif decay == "step":
        w = np.select([ratio <= 1 / 3, ratio <= 2 / 3], STEP_WEIGHTS[:2], STEP_WEIGHTS[2])
    else:
        raise ValueError(f"Unknown distance decay {decay!r}; use 'gaussian' or 'step'.")
    return np.where(inside, w, 0.0)


@dataclass
class E2SFCAResult:
    """Accessibility of one category.

    Attributes
    ----------
    category : str
    supply : str
        Column used as supply (``floor_area_m2``, ``capacity``) or ``count``.
    decay : str
    demand : pandas.DataFrame
        Per demand point (population layer index): ``population``, ``community_id``,
        ``group_population`` (``P``: the residents of the target group), ``accessibility``
        (supply per member of the group, 0 where no facility is within the circle).
    facilities : pandas.DataFrame
        Per facility: ``facility_id``, ``supply``, ``demand_weighted`` (Σ P·W), ``ratio`` (R_j,
        NaN where no resident is in its catchment).
    communities : pandas.DataFrame
        Per community: ``population`` (of the target group) and its weighted mean ``accessibility``.
    target_group : str
        The group counted as ``P`` (``"all"`` when the category's group has no counts).
    """

    category: str
    supply: str
    decay: str
    demand: pd.DataFrame
    facilities: pd.DataFrame
    communities: pd.DataFrame
    target_group: str = "all"


def _supply_values(fac: pd.DataFrame, supply: Supply, category: str, where: str | None) -> tuple[str, np.ndarray]:
    if supply == "count":
        return "count", np.ones(len(fac))
    options = ["floor_area_m2", "capacity"] if supply == "auto" else [supply]
    for column in options:
        if column not in fac.columns:
            if supply != "auto":
                raise DataError(f"the facilities have no {column} column", file=where,
                                layer="facilities", column=column,
                                fix="Add it or use supply='auto' or 'count'")
            continue
        values = pd.to_numeric(fac[column], errors="coerce").to_numpy(dtype=float)
        if len(values) and np.isnan(values).all() and supply == "auto":
            continue
        if np.isnan(values).any() or (values < 0).any():
            if supply == "auto":
                continue
            raise DataError(f"{int(np.isnan(values).sum())} {category} facilities have no valid "
                            f"{column}", file=where, layer="facilities", column=column,
                            fix="Fill it in for every facility of the category or use "
                                "supply='count'")
        return column, values
    return "count", np.ones(len(fac))


def e2sfca(
    dataset: Dataset,
    settings: Settings | None = None,
    *,
    category: str,
    coverage: Coverage | None = None,
    supply: Supply = "auto",
    decay: Decay = "gaussian",
) -> E2SFCAResult:
    """E2SFCA supply-to-demand ratio of one category for every demand point and community.

    Parameters
    ----------
    dataset : geo.dataset.Dataset
    settings : Settings, optional
    category : str
    coverage : Coverage, optional
        Reuse its circles, modes and community assignment.
    supply : {"auto", "floor_area_m2", "capacity", "count"}
        ``auto`` takes floor area when every facility of the category has it, else capacity,
        else one per facility.
    decay : {"gaussian", "step"}

    Returns
    -------
    E2SFCAResult
    """
    settings = settings or Settings()
    dataset = with_groups(dataset, settings)
    resolve_categories(dataset, [category])
    if coverage is None:
        coverage = compute_coverage(dataset, settings, categories=[category])
    where = str(dataset.source) if dataset.source else None
    fac_all = dataset.facilities
    fac = fac_all.loc[fac_all["category"].astype(str).to_numpy() == category] if len(fac_all) else fac_all
    supply_name, supply_values = _supply_values(fac, supply, category, where)
    x, y, population, community = demand_points(dataset)
    group = coverage.counted_group(category) if category in coverage.categories else "all"
    pop = (coverage.group_weight(category) if group != "all" else population).to_numpy(dtype=float)
    circle = coverage.circle_minutes.to_numpy(dtype=float)
    modes = coverage.mode.to_numpy()
    walk_factor = coverage.group_factors.get(group, 1.0)

    pair_fac: list[np.ndarray] = []
    pair_pt: list[np.ndarray] = []
    pair_w: list[np.ndarray] = []
    geoms = as_points(fac.geometry)
    fx, fy = geoms.x.to_numpy(dtype=float), geoms.y.to_numpy(dtype=float)
    for mode in pd.unique(modes) if len(fac) else []:
        rows = np.flatnonzero(modes == mode)
        model = TravelModel.for_mode(dataset.roads, str(mode), settings)
        node, access = model.snap(x[rows], y[rows])
        f_node, f_access = model.snap(fx, fy)
        # The group's walking minutes are the normal ones × factor: search to circle / factor.
        factor = walk_factor if mode == "walk" else 1.0
        limit = float(circle[rows].max()) / factor
        # Demand points grouped by node, so each reached node expands to its points.
        order = np.argsort(node, kind="stable")
        node_sorted = node[order]
        for f_idx, r_node, minutes in reach_nearby(model, f_node, f_access, limit_minutes=limit, targets=node):
            lo = np.searchsorted(node_sorted, r_node, side="left")
            hi = np.searchsorted(node_sorted, r_node, side="right")
            counts = hi - lo
            if counts.sum() == 0:
                continue
            rep = np.repeat(np.arange(len(r_node)), counts)
            starts, cnt = lo[counts > 0], counts[counts > 0]
            pos = np.repeat(starts - np.concatenate([[0], np.cumsum(cnt)[:-1]]), cnt) + np.arange(cnt.sum())
            pts = rows[order[pos]]
            d = (minutes[rep] + access[order[pos]]) * factor
            w = decay_weight(d, circle[pts], decay=decay)
            keep = d <= circle[pts] + EPS_MINUTES
            pair_fac.append(f_idx[rep][keep])
            pair_pt.append(pts[keep])
            pair_w.append(w[keep])
    j = np.concatenate(pair_fac) if pair_fac else np.zeros(0, dtype=np.int64)
    k = np.concatenate(pair_pt) if pair_pt else np.zeros(0, dtype=np.int64)
    w = np.concatenate(pair_w) if pair_w else np.zeros(0)

    demand_weighted = np.bincount(j, weights=pop[k] * w, minlength=len(fac))
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(demand_weighted > 0, supply_values / np.where(demand_weighted > 0,
                                                                        demand_weighted, 1.0), np.nan)
    access_k = np.bincount(k, weights=np.nan_to_num(ratio[j]) * w, minlength=len(pop))

    demand = pd.DataFrame({"population": population.to_numpy(dtype=float), "community_id": community.to_numpy(),
                           "group_population": pop, "accessibility": access_k}, index=dataset.population.index)
    facilities = pd.DataFrame({
        "facility_id": fac["facility_id"].astype(str).to_numpy() if "facility_id" in fac else
        np.arange(len(fac)).astype(str),
        "supply": supply_values, "demand_weighted": demand_weighted, "ratio": ratio,
    }, index=fac.index)
    inside = demand["community_id"].notna()
    grouped = demand.loc[inside].assign(_p=lambda f: f["group_population"],
                                        _w=lambda f: f["group_population"] * f["accessibility"])
    sums = grouped.groupby("community_id")[["_p", "_w"]].sum().rename(columns={"_p": "population"})
    ids = dataset.communities["community_id"].astype(str).to_numpy() if len(dataset.communities) else []
    sums = sums.reindex(ids)
    communities = pd.DataFrame(index=pd.Index(ids, name="community_id"))
    communities["population"] = sums["population"].fillna(0.0).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        communities["accessibility"] = np.where(communities["population"] > 0,
                                                sums["_w"].to_numpy() / communities["population"].to_numpy(),
                                                np.nan)
    return E2SFCAResult(category=category, supply=supply_name, decay=decay, demand=demand,
                        facilities=facilities, communities=communities, target_group=group)
