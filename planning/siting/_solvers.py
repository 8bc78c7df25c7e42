"""Cores of the siting models: problem reduction, greedy heuristics and HiGHS MILPs.

Every model is solved two ways: a greedy heuristic (always; deterministic; for maximal covering
followed by swap local search and for set covering by dropping redundant sites, when the time
limit is not 0) and, within the time limit, HiGHS: first the LP relaxation by interior point
(a bound, and a rounded solution), then the MILP started from the best solution so far.

The time limit covers the whole call (one :class:`~planning.siting._deadline.Deadline`): swaps
and the Lagrangian bound get a share of it, the LP half of what is left, the MILP the rest, and
no stage runs past the end (HiGHS itself is waited for only until then). Only the greedy
solution is always completed, however long it takes, so that there is an answer. The result
states which solution is reported and how far it can be from the optimum:

- ``"exact"``: optimality proved: the MILP itself, or the solution's value meets a valid bound
  (the HiGHS LP relaxation, the MILP's dual bound, the Lagrangian or the trivial bound), so no
  integer solution can do better; the gap is 0;
- ``"greedy"``: the greedy solution, with its gap against the best proved bound;
- ``"incumbent"``: a better solution than greedy (rounded LP, swaps from the Lagrangian sites or
  HiGHS's best integer solution), not proved optimal, with its gap.

``time_limit_reached`` says whether a solution that is not ``"exact"`` is so because the time
ran out (always, unless HiGHS stopped for another reason).

Before solving, coverage problems are reduced without changing their optimum: demand already
inside an existing facility's circle is dropped (it cannot be newly covered), demand no candidate
reaches is dropped (no choice changes it), demand points with the same set of reaching candidates
are merged into one weighted row, and candidates with identical coverage are kept once. On a
city-size instance this takes 100,000 demand points down to a few tens of thousands of rows, which
is what lets the LP bound be computed in seconds.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse

from planning.siting._deadline import Deadline
from planning.siting._greedy import (
    drop_redundant,
    fill_sites,
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
    _Milp,
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
    deadline = Deadline.after(time_limit_s)
    n_demand, n_cand = cover.shape
    fixed = np.zeros(n_demand, dtype=bool) if fixed_covered is None else np.asarray(fixed_covered, bool)
    red = reduce_coverage(cover, weight, fixed, merge_columns=capacity is None)
    a, w = red.cover, red.weight
    p_eff = min(p, a.shape[1])
    if capacity is None:
        g_cols, _ = greedy_cover(a, w, p=p_eff)
        # Swaps close most of greedy's gap at little cost (a quarter of the time at most).
        g_cols = improve_cover(a, w, g_cols, deadline=deadline.at(0.25)) if time_limit_s > 0 else g_cols
        g_obj = float(w[np.asarray(a[:, g_cols].sum(axis=1)).ravel() > 0].sum()) if len(g_cols) else 0.0

        def make_start(cols: np.ndarray) -> np.ndarray:
            start = np.zeros(a.shape[1] + a.shape[0])
            start[cols] = 1.0
            start[a.shape[1]:] = np.asarray(a[:, cols].sum(axis=1)).ravel() > 0
            return start

        def decode(values: np.ndarray) -> tuple[np.ndarray, float]:
            cols = np.flatnonzero(values[: a.shape[1]] > 0.5)
            obj = float(w[np.asarray(a[:, cols].sum(axis=1)).ravel() > 0].sum())
            return cols, obj

        def lp_round(values: np.ndarray) -> tuple[np.ndarray, float]:
            # The p largest site values of the relaxation, then swaps.
            cols = np.argsort(-values[: a.shape[1]], kind="stable")[:p_eff]
            cols = improve_cover(a, w, cols, deadline=min(deadline.at(0.75), deadline.end))
            return decode(np.isin(np.arange(a.shape[1]), cols).astype(float))

        trivial = float(w.sum())
        sol = _finish(greedy_chosen=g_cols, greedy_obj=g_obj, model=(lambda: _mclp_model(a, w, p_eff)) if n_cand
                      else None, start=lambda: make_start(g_cols) if len(g_cols) else None, decode=decode,
                      trivial_bound=trivial, maximize=True, deadline=deadline, lp_round=lp_round,
                      make_start=make_start)
    else:
        cap = np.asarray(capacity, dtype=np.float64)[red.columns]
        g_cols, _ = greedy_capacitated(a, w, cap, p=p_eff)
        model, layout = _capacitated_model(a, w, cap, p=p_eff, target=None)
        assigned = _Assignments(model, layout, a, w, cap, deadline)
        # Score the greedy sites with their best assignment of residents, as the MILP would.
        g_obj = assigned.total(g_cols)
        sol = _finish(greedy_chosen=g_cols, greedy_obj=g_obj, model=model, start=None, decode=assigned.decode,
                      trivial_bound=float(min(w.sum(), np.sort(cap)[::-1][:p_eff].sum())),
                      maximize=True, deadline=deadline)
        sol.served, share = assigned.of(sol.chosen)
        sol.row_share = np.where(red.row_group >= 0, share[np.maximum(red.row_group, 0)], 0.0)
    return _to_original(sol, red, deadline, a.shape)


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
    deadline = Deadline.after(time_limit_s)
    n_demand, _ = cover.shape
    fixed = np.zeros(n_demand, dtype=bool) if fixed_covered is None else np.asarray(fixed_covered, bool)
    red = reduce_coverage(cover, weight, fixed, merge_columns=capacity is None)
    a, w = red.cover, red.weight
    n = a.shape[1]
    if target_weight <= 1e-9 or n == 0:
        return _to_original(Solution(np.zeros(0, np.int64), 0.0, "exact", 0.0, 0.0, 0.0, proof="nothing to cover",
                                     time_limit_s=deadline.limit_s), red, deadline, a.shape)
    # Floating sums of population may miss an exact target by rounding.
    target = min(float(target_weight), float(w.sum())) - 1e-7 * max(1.0, float(w.sum()))
    notes: list[str] = []
    if capacity is None:
        g_cols, _ = greedy_cover(a, w, target_weight=target)
        g_cols = drop_redundant(a, w, g_cols, target)

        def lscp_start() -> np.ndarray:
            start = np.zeros(n + a.shape[0])
            start[g_cols] = 1.0
            start[n:] = np.asarray(a[:, g_cols].sum(axis=1)).ravel() > 0
            return start

        def decode(values: np.ndarray) -> tuple[np.ndarray, float]:
            cols = np.flatnonzero(values[:n] > 0.5)
            return cols, float(len(cols))

        sol = _finish(greedy_chosen=g_cols, greedy_obj=float(len(g_cols)), model=lambda: _lscp_model(a, w, target),
                      start=lscp_start, decode=decode, trivial_bound=1.0, maximize=False, deadline=deadline,
                      integral_objective=True)
    else:
        cap = np.asarray(capacity, dtype=np.float64)[red.columns]
        model, layout = _capacitated_model(a, w, cap, p=None, target=target)
        # With every candidate open, the best assignment is the most the capacities allow.
        most = _Assignments(model, layout, a, w, cap, deadline).total(np.arange(n))
        if most < target:
            notes.append(f"the candidates' capacities serve at most {most:.0f} of the {target_weight:.0f} "
                         "residents to cover; solved for that maximum")
            target = most - 1e-7 * max(1.0, most)
            model, layout = _capacitated_model(a, w, cap, p=None, target=target)
        assigned = _Assignments(model, layout, a, w, cap, deadline)
        g_cols, _ = greedy_capacitated(a, w, cap, target_weight=target)
        if assigned.total(g_cols) < target:
            g_cols = np.arange(n)  # the greedy fill fell short: all sites is the feasible fallback

        def count(values: np.ndarray) -> tuple[np.ndarray, float]:
            cols, _ = assigned.decode(values)
            return cols, float(len(cols))

        sol = _finish(greedy_chosen=g_cols, greedy_obj=float(len(g_cols)), model=model, start=None, decode=count,
                      trivial_bound=1.0, maximize=False, deadline=deadline, integral_objective=True)
        sol.served, share = assigned.of(sol.chosen)
        sol.row_share = np.where(red.row_group >= 0, share[np.maximum(red.row_group, 0)], 0.0)
    sol.notes.extend(notes)
    return _to_original(sol, red, deadline, a.shape)


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
    deadline = Deadline.after(time_limit_s)
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
        g_cols = improve_median(t, w, base, g_cols, deadline=deadline.at(0.15))
        g_obj = _median_total(t, w, base, g_cols)
        # The Lagrangian bound is cheap where the LP of this model is not (rural rows reach
        # many candidates); its sites, improved by swaps, often beat greedy.
        lagrange, l_cols, _ = lagrangian_median(t, w, base, p_eff, deadline=deadline.at(0.35))
        if len(l_cols):
            l_cols = improve_median(t, w, base, l_cols, deadline=deadline.at(0.45))
            l_obj = _median_total(t, w, base, l_cols)
            if l_obj < g_obj - 1e-9:
                g_cols, g_obj, label = l_cols, l_obj, "incumbent"
    built: dict[str, Any] = {}

    def build() -> _Milp:
        built["model"], built["pairs"] = _pmedian_model(t, w, base, p_eff)
        return built["model"]

    def median_start() -> np.ndarray:
        start = np.zeros(built["model"].matrix.shape[1])
        start[g_cols] = 1.0
        prow, pcol, pval = built["pairs"]
        if len(prow):
            # Assign every demand point to its best open greedy site (if it beats the base).
            open_ = np.zeros(n_cand, bool)
            open_[g_cols] = True
            gain = np.where(open_[pcol], base[prow] - pval, -np.inf)
            order = np.lexsort((-gain, prow))
            first = np.ones(len(order), bool)
            first[1:] = prow[order][1:] != prow[order][:-1]
            best = order[first & np.isfinite(gain[order]) & (gain[order] > 0)]
            start[n_cand + best] = 1.0
        return start

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
    sol = _finish(greedy_chosen=g_cols, greedy_obj=g_obj, model=build if n_cand else None, start=median_start,
                  decode=decode, trivial_bound=bound, maximize=False, deadline=deadline, lp_round=lp_round,
                  heuristic=label, bound_source=source)
    if np.isfinite(lagrange):
        sol.timings["lagrangian_bound"] = float(lagrange)
    sol.seconds = deadline.elapsed()
    sol.reduced_shape = (int(np.count_nonzero(np.diff(t.indptr))), n_cand)
    return sol


def _median_total(t: sparse.csr_matrix, w: np.ndarray, base: np.ndarray, cols: np.ndarray) -> float:
    cur = base.copy()
    if len(cols):
        sub = sparse.csr_matrix(t[:, np.asarray(cols)]).tocoo()
        np.minimum.at(cur, sub.row, sub.data)
    return float((w * cur).sum())


class _Assignments:
    """Best assignments of residents to open capacitated sites, each computed once.

    The MILP's own assignment is kept when it reports sites; otherwise an LP with the sites
    fixed, in the time left, or failing that the greedy fill (:func:`fill_sites`).
    """

    def __init__(self, model: _Milp, layout: tuple[np.ndarray, np.ndarray], a: sparse.csr_matrix,
                 w: np.ndarray, cap: np.ndarray, deadline: Deadline) -> None:
        self.model, self.layout, self.a, self.w, self.cap, self.deadline = model, layout, a, w, cap, deadline
        self.known: dict[bytes, tuple[np.ndarray, np.ndarray]] = {}

    def _key(self, cols: np.ndarray) -> bytes:
        return np.sort(np.asarray(cols, dtype=np.int64)).tobytes()

    def of(self, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Residents served by each site of ``cols`` (same order) and the share served of each group."""
        cols = np.asarray(cols, dtype=np.int64)
        order = np.argsort(cols, kind="stable")
        key = self._key(cols)
        if key not in self.known:
            served, share = _assign(self.model, self.layout, cols[order], self.w, until=self.deadline.end,
                                    fallback=lambda c: fill_sites(self.a, self.w, self.cap, c))
            self.known[key] = (served, share)
        served, share = self.known[key]
        out = np.empty_like(served)
        out[order] = served
        return out, share

    def total(self, cols: np.ndarray) -> float:
        return float(self.of(cols)[0].sum())

    def decode(self, values: np.ndarray) -> tuple[np.ndarray, float]:
        """Sites and residents served of a MILP solution; its assignment is kept for :meth:`of`."""
        pr, pc = self.layout
        n = self.a.shape[1]
        cols = np.flatnonzero(values[:n] > 0.5)
        z = np.clip(values[n:], 0.0, 1.0)
        served = np.bincount(pc, weights=z * self.w[pr], minlength=n)[cols]
        share = np.minimum(np.bincount(pr, weights=z, minlength=len(self.w)), 1.0)
        self.known[self._key(cols)] = (served, share)
        return cols, float(served.sum())
