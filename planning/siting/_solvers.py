"""Cores of the siting models: problem reduction, greedy heuristics and HiGHS MILPs.

Every model is solved two ways: a greedy heuristic (always; deterministic; for maximal covering
followed by swap local search and for set covering by dropping redundant sites, when the time
limit is not 0) and, within the time limit, HiGHS: first the LP relaxation by interior point
(a bound, and a rounded solution), then the MILP started from the best solution so far. The
result states which solution is reported and how far it can be from the optimum:

- ``"exact"``: optimality proved by HiGHS, either by the MILP itself or because the HiGHS LP
  relaxation bound equals the value of the solution found (then no integer solution can do
  better);
- ``"greedy"``: the greedy solution, with its gap against the best proved bound;
- ``"incumbent"``: a better solution than greedy (rounded LP or HiGHS's best integer solution
  when the time ran out), not proved optimal, with its gap.

Before solving, coverage problems are reduced without changing their optimum: demand already
inside an existing facility's circle is dropped (it cannot be newly covered), demand no candidate
reaches is dropped (no choice changes it), demand points with the same set of reaching candidates
are merged into one weighted row, and candidates with identical coverage are kept once. On a
city-size instance this takes 100,000 demand points down to a few tens of thousands of rows, which
is what lets the LP bound be computed in seconds.
"""

from __future__ import annotations

import time

import numpy as np
from scipy import sparse

from planning.siting._greedy import (
    drop_redundant,
    greedy_capacitated,
    greedy_cover,
    greedy_median,
    improve_cover,
    improve_median,
    lagrangian_median,
)
from planning.siting._highs import (
    _assign,
    _capacitated_model,
    _finish,
    _lscp_model,
    _mclp_model,
    _pmedian_model,
    _to_original,
)
from planning.siting._reduce import reduce_coverage
from planning.siting._solution import OPTIMALITY_TOLERANCE, Solution, SolverKind

__all__ = ["OPTIMALITY_TOLERANCE", "Solution", "SolverKind", "greedy_cover", "greedy_median", "solve_lscp",
           "solve_mclp", "solve_pmedian"]

# ---------------------------------------------------------------------------- models
def solve_mclp(
    cover: sparse.spmatrix,
    weight: np.ndarray,
    *,
    p: int,
    fixed_covered: np.ndarray | None = None,
    capacity: np.ndarray | None = None,
    time_limit_s: float = 60.0,
) -> Solution:
    """Maximal covering: ``p`` new sites that bring the most uncovered weight into a circle.

    ``objective`` is the newly covered weight; with ``capacity`` residents may be split
    between sites and each site serves at most its capacity.
    """
    t0 = time.perf_counter()
    n_demand, n_cand = cover.shape
    fixed = np.zeros(n_demand, dtype=bool) if fixed_covered is None else np.asarray(fixed_covered, bool)
    red = reduce_coverage(cover, weight, fixed, merge_columns=capacity is None)
    a, w = red.cover, red.weight
    p_eff = min(p, a.shape[1])
    if capacity is None:
        g_cols, _ = greedy_cover(a, w, p=p_eff)
        # Swaps close most of greedy's gap at little cost (a quarter of the time at most).
        g_cols = improve_cover(a, w, g_cols, deadline=t0 + 0.25 * time_limit_s) if time_limit_s > 0 else g_cols
        g_obj = float(w[np.asarray(a[:, g_cols].sum(axis=1)).ravel() > 0].sum()) if len(g_cols) else 0.0
        model = _mclp_model(a, w, p_eff)

        def make_start(cols: np.ndarray) -> np.ndarray:
            start = np.zeros(a.shape[1] + a.shape[0])
            start[cols] = 1.0
            start[a.shape[1]:] = np.asarray(a[:, cols].sum(axis=1)).ravel() > 0
            return start

        start = make_start(g_cols) if len(g_cols) else None

        def decode(values: np.ndarray) -> tuple[np.ndarray, float]:
            cols = np.flatnonzero(values[: a.shape[1]] > 0.5)
            obj = float(w[np.asarray(a[:, cols].sum(axis=1)).ravel() > 0].sum())
            return cols, obj

        def lp_round(values: np.ndarray) -> tuple[np.ndarray, float]:
            # The p largest site values of the relaxation, then swaps.
            cols = np.argsort(-values[: a.shape[1]], kind="stable")[:p_eff]
            cols = improve_cover(a, w, cols, deadline=t0 + 0.75 * time_limit_s)
            return decode(np.isin(np.arange(a.shape[1]), cols).astype(float))

        trivial = float(w.sum())
        sol = _finish(greedy_chosen=g_cols, greedy_obj=g_obj, model=model if n_cand else None, start=start,
                      decode=decode, trivial_bound=trivial, maximize=True, time_limit_s=time_limit_s, t0=t0,
                      lp_round=lp_round, make_start=make_start)
    else:
        cap = np.asarray(capacity, dtype=np.float64)[red.columns]
        g_cols, _ = greedy_capacitated(a, w, cap, p=p_eff)
        model, layout = _capacitated_model(a, w, cap, p=p_eff, target=None)
        # Score the greedy sites with their best assignment of residents, as the MILP would.
        g_obj = float(_assign(model, layout, g_cols, w)[0].sum())

        def decode(values: np.ndarray) -> tuple[np.ndarray, float]:
            cols = np.flatnonzero(values[: a.shape[1]] > 0.5)
            return cols, float(values[a.shape[1]:] @ w[layout[0]])

        sol = _finish(greedy_chosen=g_cols, greedy_obj=g_obj, model=model, start=None, decode=decode,
                      trivial_bound=float(min(w.sum(), np.sort(cap)[::-1][:p_eff].sum())),
                      maximize=True, time_limit_s=time_limit_s, t0=t0)
        sol.served, share = _assign(model, layout, sol.chosen, w)
        sol.row_share = np.where(red.row_group >= 0, share[np.maximum(red.row_group, 0)], 0.0)
    return _to_original(sol, red, t0, a.shape)


def solve_lscp(
    cover: sparse.spmatrix,
    weight: np.ndarray,
    *,
    target_weight: float,
    fixed_covered: np.ndarray | None = None,
    capacity: np.ndarray | None = None,
    time_limit_s: float = 60.0,
) -> Solution:
    """Set covering: the fewest new sites that newly cover at least ``target_weight``.

    ``target_weight`` must be reachable (the caller caps it at what candidates can reach).
    ``objective`` is the number of sites.
    """
    t0 = time.perf_counter()
    n_demand, _ = cover.shape
    fixed = np.zeros(n_demand, dtype=bool) if fixed_covered is None else np.asarray(fixed_covered, bool)
    red = reduce_coverage(cover, weight, fixed, merge_columns=capacity is None)
    a, w = red.cover, red.weight
    n = a.shape[1]
    if target_weight <= 1e-9 or n == 0:
        return _to_original(Solution(np.zeros(0, np.int64), 0.0, "exact", 0.0, 0.0, 0.0, proof="nothing to cover"),
                            red, t0, a.shape)
    # Floating sums of population may miss an exact target by rounding.
    target = min(float(target_weight), float(w.sum())) - 1e-7 * max(1.0, float(w.sum()))
    notes: list[str] = []
    if capacity is None:
        g_cols, _ = greedy_cover(a, w, target_weight=target)
        g_cols = drop_redundant(a, w, g_cols, target)
        model = _lscp_model(a, w, target)
        start = np.zeros(n + a.shape[0])
        start[g_cols] = 1.0
        start[n:] = np.asarray(a[:, g_cols].sum(axis=1)).ravel() > 0

        def decode(values: np.ndarray) -> tuple[np.ndarray, float]:
            cols = np.flatnonzero(values[:n] > 0.5)
            return cols, float(len(cols))
    else:
        cap = np.asarray(capacity, dtype=np.float64)[red.columns]
        model, layout = _capacitated_model(a, w, cap, p=None, target=target)
        # With every candidate open, the best assignment is the most the capacities allow.
        most = float(_assign(model, layout, np.arange(n), w)[0].sum())
        if most < target:
            notes.append(f"the candidates' capacities serve at most {most:.0f} of the {target_weight:.0f} "
                         "residents to cover; solved for that maximum")
            target = most - 1e-7 * max(1.0, most)
            model, layout = _capacitated_model(a, w, cap, p=None, target=target)
        g_cols, _ = greedy_capacitated(a, w, cap, target_weight=target)
        if float(_assign(model, layout, g_cols, w)[0].sum()) < target:
            g_cols = np.arange(n)  # the greedy fill fell short: all sites is the feasible fallback
        start = None

        def decode(values: np.ndarray) -> tuple[np.ndarray, float]:
            cols = np.flatnonzero(values[:n] > 0.5)
            return cols, float(len(cols))
    g_obj = float(len(g_cols))
    sol = _finish(greedy_chosen=g_cols, greedy_obj=g_obj, model=model, start=start, decode=decode,
                  trivial_bound=1.0, maximize=False, time_limit_s=time_limit_s, t0=t0,
                  integral_objective=True)
    sol.notes.extend(notes)
    if capacity is not None:
        sol.served, share = _assign(model, layout, sol.chosen, w)
        sol.row_share = np.where(red.row_group >= 0, share[np.maximum(red.row_group, 0)], 0.0)
    return _to_original(sol, red, t0, a.shape)


def solve_pmedian(
    times: sparse.spmatrix,
    weight: np.ndarray,
    base_minutes: np.ndarray,
    *,
    p: int,
    time_limit_s: float = 60.0,
) -> Solution:
    """p-median: ``p`` new sites minimising total weighted minutes to the nearest facility.

    ``times`` holds the minutes from each demand point to each candidate (only pairs within the
    cut-off are stored); ``base_minutes`` is each demand point's time to its nearest existing
    facility, already capped at the penalty time. ``objective`` is the total weighted minutes.
    """
    t0 = time.perf_counter()
    t = sparse.csr_matrix(times, dtype=np.float64, copy=True)
    t.sum_duplicates()
    base = np.asarray(base_minutes, dtype=np.float64)
    w = np.asarray(weight, dtype=np.float64)
    # Only pairs that beat the existing facility can ever change a resident's time.
    coo = t.tocoo()
    useful = (coo.data < base[coo.row]) & (w[coo.row] > 0)
    t = sparse.csr_matrix((coo.data[useful], (coo.row[useful], coo.col[useful])), shape=t.shape)
    t.sort_indices()
    baseline = float((w * base).sum())
    n_cand = t.shape[1]
    p_eff = min(p, n_cand)
    g_cols, g_saved = greedy_median(t, w, base, p=p_eff)
    g_obj = baseline - float(g_saved.sum())
    label: SolverKind = "greedy"
    lagrange = -np.inf
    if time_limit_s > 0 and p_eff:
        g_cols = improve_median(t, w, base, g_cols, deadline=t0 + 0.15 * time_limit_s)
        g_obj = _median_total(t, w, base, g_cols)
        # The Lagrangian bound is cheap where the LP of this model is not (rural rows reach
        # many candidates); its sites, improved by swaps, often beat greedy.
        lagrange, l_cols, _ = lagrangian_median(t, w, base, p_eff, deadline=t0 + 0.35 * time_limit_s)
        if len(l_cols):
            l_cols = improve_median(t, w, base, l_cols, deadline=t0 + 0.45 * time_limit_s)
            l_obj = _median_total(t, w, base, l_cols)
            if l_obj < g_obj - 1e-9:
                g_cols, g_obj, label = l_cols, l_obj, "incumbent"
    model, pairs = _pmedian_model(t, w, base, p_eff)
    start = np.zeros(model.matrix.shape[1])
    start[g_cols] = 1.0
    if len(pairs[0]):
        # Assign every demand point to its best open greedy site (if it beats the base).
        open_ = np.zeros(n_cand, bool)
        open_[g_cols] = True
        prow, pcol, pval = pairs
        gain = np.where(open_[pcol], base[prow] - pval, -np.inf)
        order = np.lexsort((-gain, prow))
        first = np.ones(len(order), bool)
        first[1:] = prow[order][1:] != prow[order][:-1]
        best = order[first & np.isfinite(gain[order]) & (gain[order] > 0)]
        start[n_cand + best] = 1.0

    def objective_of(cols: np.ndarray) -> float:
        cur = base.copy()
        if len(cols):
            sub = t[:, cols].tocoo()
            np.minimum.at(cur, sub.row, sub.data)
        return float((w * cur).sum())

    def decode(values: np.ndarray) -> tuple[np.ndarray, float]:
        cols = np.flatnonzero(values[:n_cand] > 0.5)
        return cols, objective_of(cols)

    # Lower bound without a model: every resident at its best candidate time.
    best_any = base.copy()
    if t.nnz:
        coo = t.tocoo()
        np.minimum.at(best_any, coo.row, coo.data)
    trivial = float((w * best_any).sum())

    def lp_round(values: np.ndarray) -> tuple[np.ndarray, float]:
        cols = np.argsort(-values[:n_cand], kind="stable")[:p_eff]
        return cols, objective_of(cols)

    bound, source = (lagrange, "Lagrangian") if lagrange > trivial else (trivial, "trivial")
    sol = _finish(greedy_chosen=g_cols, greedy_obj=g_obj, model=model if n_cand else None, start=start,
                  decode=decode, trivial_bound=bound, maximize=False, time_limit_s=time_limit_s, t0=t0,
                  lp_round=lp_round, heuristic=label, bound_source=source)
    if np.isfinite(lagrange):
        sol.timings["lagrangian_bound"] = float(lagrange)
    sol.seconds = time.perf_counter() - t0
    sol.reduced_shape = (int(np.count_nonzero(np.diff(t.indptr))), n_cand)
    return sol


def _median_total(t: sparse.csr_matrix, w: np.ndarray, base: np.ndarray, cols: np.ndarray) -> float:
    cur = base.copy()
    if len(cols):
        sub = sparse.csr_matrix(t[:, np.asarray(cols)]).tocoo()
        np.minimum.at(cur, sub.row, sub.data)
    return float((w * cur).sum())
