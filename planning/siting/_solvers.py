"""Cores of the siting models: problem reduction, heuristics, bounds and HiGHS MILPs.

Covering models are solved in stages, all within one time limit (one
:class:`~planning.siting._deadline.Deadline`, which also carries the user's stop flag and the
progress callback): a greedy heuristic (always; deterministic), for maximal covering followed by
swap local search and for set covering by dropping redundant sites (when the time limit is not
0); then HiGHS: the LP relaxation by interior point (a bound, a rounded solution and the
duals), Lagrangian variable fixing from those duals (:mod:`planning.siting._cover`), and the MILP
on the candidates left, started from the best solution so far. No stage runs past the end
(HiGHS itself is waited for only until then); only the greedy solution is always completed, so
that there is an answer. p-median has its own stages (:mod:`planning.siting._pmedian`). The
result states which solution is reported, how far it can be from the optimum and which bound
says so (``bound_source``):

- ``"exact"``: optimality proved: the MILP itself, or the solution's value meets a valid bound
  (the HiGHS LP relaxation, the MILP's dual bound, the Lagrangian or the trivial bound), so no
  integer solution can do better; the gap is 0;
- ``"greedy"``: the greedy solution, with its gap against the best proved bound;
- ``"incumbent"``: a better solution than greedy (swaps, rounded LP or HiGHS's best integer
  solution), not proved optimal, with its gap.

``time_limit_reached`` says whether a solution that is not ``"exact"`` is so because the time
ran out (or the user stopped).

Before solving, coverage problems are reduced without changing their optimum: demand already
inside an existing facility's circle is dropped (it cannot be newly covered), demand no candidate
reaches is dropped (no choice changes it), demand points with the same set of reaching candidates
are merged into one weighted row, candidates with identical coverage are kept once and
candidates covering a subset of another's are left out; for full set covering, residents whose
candidates include another group's are left out too (:mod:`planning.siting._cover`). On a
city-size instance this takes 100,000 demand points down to a few tens of thousands of rows, which
is what lets the LP bound be computed in seconds.
"""

from __future__ import annotations

import threading

import numpy as np
from scipy import sparse

from planning.siting._cover import (
    drop_dominated_columns,
    lscp_fixing,
    mclp_fixing,
    mclp_subgradient,
    reduce_full_cover,
    restrict,
)
from planning.siting._deadline import Deadline, Progress
from planning.siting._greedy import drop_redundant, fill_sites, greedy_capacitated, greedy_cover, improve_cover
from planning.siting._highs import _finish, _HighsOutcome, _Narrowed, _to_original
from planning.siting._median import greedy_median
from planning.siting._models import _assign, _capacitated_model, _lscp_model, _mclp_model, _Milp
from planning.siting._pmedian import solve_pmedian
from planning.siting._reduce import reduce_coverage
from planning.siting._solution import OPTIMALITY_TOLERANCE, Solution, SolverKind

__all__ = ["OPTIMALITY_TOLERANCE", "Solution", "SolverKind", "greedy_cover", "greedy_median", "solve_lscp",
           "solve_mclp", "solve_pmedian"]


def _covered_weight(a: sparse.csr_matrix, w: np.ndarray, cols: np.ndarray) -> float:
    if len(cols) == 0:
        return 0.0
    return float(w[np.asarray(a[:, np.asarray(cols, dtype=np.int64)].sum(axis=1)).ravel() > 0].sum())


def _cover_start(a: sparse.csr_matrix, cols: np.ndarray) -> np.ndarray:
    """Sites ``cols`` and the groups they reach, as a start of the (x, y) covering MILPs."""
    start = np.zeros(a.shape[1] + a.shape[0])
    start[cols] = 1.0
    if len(cols):
        start[a.shape[1]:] = np.asarray(a[:, cols].sum(axis=1)).ravel() > 0
    return start


# ---------------------------------------------------------------------------- models
def solve_mclp(
    cover: sparse.spmatrix,
    weight: np.ndarray,
    *,
    p: int,
    fixed_covered: np.ndarray | None = None,
    capacity: np.ndarray | None = None,
    time_limit_s: float = 60.0,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
) -> Solution:
    """Maximal covering: ``p`` new sites that bring the most uncovered weight into a circle.

    ``objective`` is the newly covered weight; with ``capacity`` residents may be split
    between sites and each site serves at most its capacity.
    """
    deadline = Deadline.after(time_limit_s, stop=stop, progress=progress)
    n_demand, n_cand = cover.shape
    fixed = np.zeros(n_demand, dtype=bool) if fixed_covered is None else np.asarray(fixed_covered, bool)
    red = reduce_coverage(cover, weight, fixed, merge_columns=capacity is None)
    a, w = red.cover, red.weight
    p_eff = min(p, a.shape[1])
    if capacity is None:
        g_cols, _ = greedy_cover(a, w, p=p_eff)
        g_obj = _covered_weight(a, w, g_cols)
        deadline.report(g_obj, float(w.sum()))
        if time_limit_s > 0:
            swapped = improve_cover(a, w, g_cols, deadline=deadline)
            s_obj = _covered_weight(a, w, swapped)
        else:
            swapped, s_obj = g_cols, g_obj
        label: SolverKind = "incumbent" if s_obj > g_obj + 1e-9 else "greedy"

        def decode(values: np.ndarray) -> tuple[np.ndarray, float]:
            cols = np.flatnonzero(values[: a.shape[1]] > 0.5)
            return cols, _covered_weight(a, w, cols)

        def lp_round(values: np.ndarray) -> tuple[np.ndarray, float]:
            # The p largest site values of the relaxation, then swaps.
            cols = np.sort(np.argsort(-values[: a.shape[1]], kind="stable")[:p_eff])
            cols = improve_cover(a, w, cols, deadline=deadline)
            return cols, _covered_weight(a, w, cols)

        def narrow(lp: _HighsOutcome, chosen: np.ndarray, obj: float) -> tuple[float, _Narrowed | None]:
            return _narrow_mclp(a, w, p_eff, lp, chosen, obj)

        sol = _finish(greedy_chosen=swapped, greedy_obj=s_obj, model=(lambda: _mclp_model(a, w, p_eff)) if n_cand
                      else None, start=lambda: _cover_start(a, swapped) if len(swapped) else None, decode=decode,
                      trivial_bound=float(w.sum()), maximize=True, deadline=deadline, lp_round=lp_round,
                      make_start=lambda cols: _cover_start(a, cols), heuristic=label, narrow=narrow,
                      fallback_bound=lambda obj, until: mclp_subgradient(a, w, p_eff, obj, deadline=deadline,
                                                                         until=until) if p_eff else np.inf)
        sol.greedy_objective = g_obj
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


def _narrow_mclp(a: sparse.csr_matrix, w: np.ndarray, p: int, lp: _HighsOutcome, chosen: np.ndarray,
                 obj: float) -> tuple[float, _Narrowed | None]:
    """Lagrangian bound from the LP duals and the MILP over the candidates it leaves free."""
    m = a.shape[0]
    duals = lp.row_dual if lp.row_dual is not None else np.zeros(m + 1)
    fix = mclp_fixing(a, w, p, np.abs(duals[:m]), obj, OPTIMALITY_TOLERANCE * max(1.0, abs(obj)))
    r = restrict(a, w, fix)
    p_left = p - len(r.forced)
    if p_left < 0 or len(r.free) < p_left:
        return fix.bound, _Narrowed(None, lambda v: (chosen, obj), why="the Lagrangian fixings leave no better solution")
    if p_left == 0:
        return fix.bound, None  # the forced sites alone: let the full MILP say it
    sub = reduce_coverage(r.cover, r.weight, np.zeros(r.cover.shape[0], bool))
    model = _mclp_model(sub.cover, sub.weight, p_left)
    model.offset = r.covered_weight
    free = r.free[sub.columns]

    def decode(values: np.ndarray) -> tuple[np.ndarray, float]:
        cols = np.sort(np.concatenate([r.forced, free[np.flatnonzero(values[: len(free)] > 0.5)]]))
        return cols, _covered_weight(a, w, cols)

    start = None
    if np.isin(r.forced, chosen).all() and np.isin(chosen, np.concatenate([r.forced, free])).all():
        local = np.flatnonzero(np.isin(free, chosen))
        if len(local) == p_left:
            start = _cover_start(sub.cover, local)
    return fix.bound, _Narrowed(model, decode, start)


def solve_lscp(
    cover: sparse.spmatrix,
    weight: np.ndarray,
    *,
    target_weight: float,
    fixed_covered: np.ndarray | None = None,
    capacity: np.ndarray | None = None,
    time_limit_s: float = 60.0,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
) -> Solution:
    """Set covering: the fewest new sites that newly cover at least ``target_weight``.

    ``target_weight`` must be reachable (the caller caps it at what candidates can reach).
    ``objective`` is the number of sites.
    """
    deadline = Deadline.after(time_limit_s, stop=stop, progress=progress)
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
        deadline.report(float(len(g_cols)), 1.0)
        # The heuristics work on every candidate, the LP and the MILP on the reduced problem
        # (same optimum, module notes): of equal answers the greedy one stays.
        if target >= float(w.sum()) - 2e-7 * max(1.0, float(w.sum())):
            ar, keep_cols, keep_rows = reduce_full_cover(a)
            wr = w[keep_rows]
            target_r = float(wr.sum()) - 1e-7 * max(1.0, float(wr.sum()))
        else:
            keep_cols = drop_dominated_columns(a, keep_at_least=1)
            ar, wr, target_r = sparse.csr_matrix(a[:, keep_cols]), w, target
            ar.sort_indices()
        nr = ar.shape[1]

        def decode(values: np.ndarray) -> tuple[np.ndarray, float]:
            cols = keep_cols[np.flatnonzero(values[:nr] > 0.5)]
            return cols, float(len(cols))

        def lp_round(values: np.ndarray) -> tuple[np.ndarray, float]:
            cols = keep_cols[_round_cover(ar, wr, values[:nr], target_r)]
            return cols, float(len(cols))

        def start_of(cols: np.ndarray) -> np.ndarray | None:
            local = np.flatnonzero(np.isin(keep_cols, cols))
            return _cover_start(ar, local) if len(local) == len(cols) else None

        def narrow(lp: _HighsOutcome, chosen: np.ndarray, obj: float) -> tuple[float, _Narrowed | None]:
            lagrange, narrowed = _narrow_lscp(ar, wr, target_r, lp, chosen, obj)
            if narrowed is not None and narrowed.model is not None:
                inner = narrowed.decode
                narrowed.decode = lambda values: (keep_cols[inner(values)[0]], inner(values)[1])
            return lagrange, narrowed

        sol = _finish(greedy_chosen=g_cols, greedy_obj=float(len(g_cols)),
                      model=lambda: _lscp_model(ar, wr, target_r), start=lambda: start_of(g_cols), decode=decode,
                      trivial_bound=1.0, maximize=False, deadline=deadline, integral_objective=True,
                      lp_round=lp_round, make_start=start_of, narrow=narrow)
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


def _round_cover(a: sparse.csr_matrix, w: np.ndarray, x: np.ndarray, target: float) -> np.ndarray:
    """Sites in the order of their LP values until the target is covered, then redundant ones out."""
    csc = sparse.csc_matrix(a)
    covered = np.zeros(a.shape[0], dtype=bool)
    got = 0.0
    picked: list[int] = []
    for j in np.argsort(-x, kind="stable"):
        if got >= target:
            break
        rows = csc.indices[csc.indptr[j] : csc.indptr[j + 1]]
        fresh = rows[~covered[rows]]
        if len(fresh):
            covered[fresh] = True
            got += float(w[fresh].sum())
            picked.append(int(j))
    return np.sort(drop_redundant(a, w, np.asarray(picked, dtype=np.int64), target))


def _narrow_lscp(a: sparse.csr_matrix, w: np.ndarray, target: float, lp: _HighsOutcome, chosen: np.ndarray,
                 obj: float) -> tuple[float, _Narrowed | None]:
    """Lagrangian bound from the LP duals and the MILP over the candidates it leaves free."""
    m = a.shape[0]
    duals = lp.row_dual if lp.row_dual is not None else np.zeros(m + 1)
    full = target >= float(w.sum()) - 2e-7 * max(1.0, float(w.sum()))
    y_lower = np.ones(m) if full else np.zeros(m)
    fix = lscp_fixing(a, w, target, np.abs(duals[:m]), abs(float(duals[m])), y_lower, obj)
    r = restrict(a, w, fix)
    left = target - r.covered_weight
    if left <= 1e-9 * max(1.0, target):
        return fix.bound, None  # the forced sites alone cover it: let the full MILP say it
    if float(r.weight.sum()) < left - 1e-7 * max(1.0, target) or len(r.free) == 0:
        return fix.bound, _Narrowed(None, lambda v: (chosen, obj), why="the Lagrangian fixings leave no better solution")
    sub = reduce_coverage(r.cover, r.weight, np.zeros(r.cover.shape[0], bool))
    model = _lscp_model(sub.cover, sub.weight, min(left, float(sub.weight.sum())))
    model.offset = float(len(r.forced))
    # Only a better solution is of interest: at most obj − 1 sites in all.
    model.matrix = sparse.vstack([model.matrix, sparse.csr_matrix(
        np.concatenate([np.ones(len(sub.columns)), np.zeros(sub.cover.shape[0])])[None, :])], format="csc")
    model.row_lower = np.concatenate([model.row_lower, [-np.inf]])
    model.row_upper = np.concatenate([model.row_upper, [obj - 1.0 - len(r.forced) + 1e-9]])
    free = r.free[sub.columns]

    def decode(values: np.ndarray) -> tuple[np.ndarray, float]:
        cols = np.sort(np.concatenate([r.forced, free[np.flatnonzero(values[: len(free)] > 0.5)]]))
        return cols, float(len(cols))

    return fix.bound, _Narrowed(model, decode, None)


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
                                    fallback=lambda c: fill_sites(self.a, self.w, self.cap, c),
                                    deadline=self.deadline)
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
