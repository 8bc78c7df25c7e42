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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import highspy
import numpy as np
import pandas as pd
from scipy import sparse

SolverKind = Literal["exact", "greedy", "incumbent"]

#: Relative tolerance under which a solution counts as proved optimal (HiGHS ``mip_rel_gap``).
OPTIMALITY_TOLERANCE = 1e-6


@dataclass
class Solution:
    """What a siting model returns (indices refer to the columns of the input matrix)."""

    chosen: np.ndarray
    objective: float
    solver: SolverKind
    gap_pct: float
    bound: float
    greedy_objective: float
    milp_objective: float | None = None
    milp_status: str = "not run"
    proof: str = ""
    seconds: float = 0.0
    reduced_shape: tuple[int, int] = (0, 0)
    #: Capacitated models: population assigned to each chosen site (same order as ``chosen``).
    served: np.ndarray | None = None
    #: Capacitated models: share (0–1) of each input demand row's residents served by new sites.
    row_share: np.ndarray | None = None
    notes: list[str] = field(default_factory=list)
    #: Seconds per stage ("heuristics": reduction, greedy, swaps, Lagrangian; "lp", "lp_rounding",
    #: "milp") and bounds/objectives ("lp_bound", "lp_rounded_objective", "lagrangian_bound").
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def optimal(self) -> bool:
        return self.solver == "exact"


# ---------------------------------------------------------------------------- reduction
@dataclass
class Reduced:
    """A coverage problem after reduction: ``cover`` rows are merged demand groups."""

    cover: sparse.csr_matrix  # rows × kept columns, 1.0 where the candidate reaches the group
    weight: np.ndarray  # population of each group
    columns: np.ndarray  # original candidate index of every kept column
    row_group: np.ndarray  # for every original demand row: its group, or -1 when dropped


def _row_keys(matrix: sparse.csr_matrix, *extra: np.ndarray, with_data: bool = False) -> np.ndarray:
    """Exact group label of every row: rows with equal entries (and extra values) share one."""
    ptr, idx, data = matrix.indptr, matrix.indices, matrix.data
    keys = [
        idx[ptr[i] : ptr[i + 1]].tobytes() + (data[ptr[i] : ptr[i + 1]].tobytes() if with_data else b"")
        for i in range(matrix.shape[0])
    ]
    frame = pd.DataFrame({"k": keys, **{f"e{n}": e for n, e in enumerate(extra)}})
    return frame.groupby(list(frame.columns), sort=False, dropna=False).ngroup().to_numpy()


def _binary_csr(matrix: sparse.spmatrix) -> sparse.csr_matrix:
    out = sparse.csr_matrix(matrix, dtype=np.float64, copy=True)
    out.sum_duplicates()
    out.sort_indices()
    out.data[:] = 1.0
    return out


def reduce_coverage(
    cover: sparse.spmatrix,
    weight: np.ndarray,
    fixed_covered: np.ndarray,
    *,
    merge_columns: bool = True,
) -> Reduced:
    """Drop demand that cannot change, merge identical rows (and identical columns)."""
    a = _binary_csr(cover)
    weight = np.asarray(weight, dtype=np.float64)
    alive = (~np.asarray(fixed_covered, dtype=bool)) & (weight > 0) & (np.diff(a.indptr) > 0)
    rows = np.flatnonzero(alive)
    sub = a[rows]
    columns = np.arange(a.shape[1])
    if merge_columns and sub.shape[1] > 1:
        # Candidates that reach exactly the same demand are interchangeable: keep the first.
        col_keys = _row_keys(sparse.csr_matrix(sub.T))
        _, first = np.unique(col_keys, return_index=True)
        columns = np.sort(first)
        sub = sparse.csr_matrix(sub[:, columns])
        sub.sort_indices()
    group = _row_keys(sub) if len(rows) else np.zeros(0, dtype=np.int64)
    n_groups = int(group.max()) + 1 if len(group) else 0
    first_row = np.full(n_groups, -1, dtype=np.int64)
    first_row[group[::-1]] = np.arange(len(group))[::-1]
    merged = sparse.csr_matrix(sub[first_row]) if n_groups else sparse.csr_matrix((0, len(columns)))
    w = np.bincount(group, weights=weight[rows], minlength=n_groups)
    row_group = np.full(a.shape[0], -1, dtype=np.int64)
    row_group[rows] = group
    return Reduced(cover=merged, weight=w, columns=columns, row_group=row_group)


# ---------------------------------------------------------------------------- greedy cores
def greedy_cover(
    cover: sparse.csr_matrix,
    weight: np.ndarray,
    *,
    p: int | None = None,
    target_weight: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Add, one at a time, the candidate that covers the most uncovered weight.

    Stops after ``p`` sites or once ``target_weight`` is covered. Gains are updated only for
    candidates sharing the newly covered rows, so a full run costs about one pass over the
    matrix. Returns the chosen columns and the marginal weight of each.
    """
    csc = sparse.csc_matrix(cover)
    csr = sparse.csr_matrix(cover)
    gain = np.asarray(csc.T @ weight).ravel().astype(np.float64)
    uncovered = np.ones(csr.shape[0], dtype=bool)
    chosen: list[int] = []
    marginal: list[float] = []
    covered = 0.0
    limit = csc.shape[1] if p is None else min(p, csc.shape[1])
    while len(chosen) < limit:
        if target_weight is not None and covered >= target_weight - 1e-9:
            break
        j = int(np.argmax(gain))
        if gain[j] <= 0 and target_weight is not None:
            break
        rows = csc.indices[csc.indptr[j] : csc.indptr[j + 1]]
        rows = rows[uncovered[rows]]
        uncovered[rows] = False
        chosen.append(j)
        marginal.append(float(gain[j]))
        covered += float(gain[j])
        if len(rows):
            # Lower the gain of every candidate that also reached these rows.
            gain -= np.asarray(csr[rows].T @ weight[rows]).ravel()
        gain[j] = -np.inf
    return np.asarray(chosen, dtype=np.int64), np.asarray(marginal, dtype=np.float64)


def improve_cover(
    cover: sparse.csr_matrix,
    weight: np.ndarray,
    chosen: np.ndarray,
    *,
    deadline: float = np.inf,
    max_rounds: int = 1_000,
) -> np.ndarray:
    """Swap local search for maximal covering: exchange a chosen site for another while it pays.

    Each round finds the best single exchange exactly: the value of swapping ``j`` out and ``k``
    in is (weight only ``k`` would newly cover) − (weight only ``j`` covers) + (weight only
    ``j`` covers that ``k`` also reaches). One round costs a few sparse products.
    """
    csc = sparse.csc_matrix(cover)
    csr = sparse.csr_matrix(cover)
    chosen = np.asarray(chosen, dtype=np.int64).copy()
    if len(chosen) == 0 or len(chosen) >= csc.shape[1]:
        return chosen
    for _ in range(max_rounds):
        if time.perf_counter() > deadline:
            break
        count = np.asarray(csr[:, chosen].sum(axis=1)).ravel()
        gain_in = np.asarray(csc.T @ np.where(count == 0, weight, 0.0)).ravel()
        is_chosen = np.zeros(csc.shape[1], dtype=bool)
        is_chosen[chosen] = True
        gain_in[is_chosen] = -np.inf
        best_value, best_pair = 1e-9 * max(1.0, float(weight.sum())), None
        for pos, j in enumerate(chosen):
            rows = csc.indices[csc.indptr[j] : csc.indptr[j + 1]]
            only = rows[count[rows] == 1]
            loss = float(weight[only].sum())
            kept = np.asarray(csr[only].T @ weight[only]).ravel() if len(only) else 0.0
            value = gain_in - loss + kept
            k = int(np.argmax(value))
            if value[k] > best_value:
                best_value, best_pair = float(value[k]), (pos, k)
        if best_pair is None:
            break
        chosen[best_pair[0]] = best_pair[1]
    return chosen


def drop_redundant(cover: sparse.csr_matrix, weight: np.ndarray, chosen: np.ndarray, target: float) -> np.ndarray:
    """Remove sites (last added first) while the rest still cover ``target``."""
    csr = sparse.csr_matrix(cover)
    keep = list(np.asarray(chosen, dtype=np.int64))
    for j in list(keep)[::-1]:
        trial = [k for k in keep if k != j]
        hit = np.asarray(csr[:, trial].sum(axis=1)).ravel() > 0 if trial else np.zeros(csr.shape[0], bool)
        if float(weight[hit].sum()) >= target:
            keep = trial
    return np.asarray(keep, dtype=np.int64)


def greedy_capacitated(
    cover: sparse.csr_matrix,
    weight: np.ndarray,
    capacity: np.ndarray,
    *,
    p: int | None = None,
    target_weight: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Greedy with capacities: each new site serves up to its capacity of uncovered residents.

    A site fills its capacity with the residents that have the fewest other candidates first,
    so residents that others can reach stay available to them.
    """
    csc = sparse.csc_matrix(cover)
    remaining = np.asarray(weight, dtype=np.float64).copy()
    reach_count = np.diff(sparse.csr_matrix(cover).indptr)
    open_ = np.zeros(csc.shape[1], dtype=bool)
    chosen: list[int] = []
    served: list[float] = []
    total = 0.0
    limit = csc.shape[1] if p is None else min(p, csc.shape[1])
    while len(chosen) < limit:
        if target_weight is not None and total >= target_weight - 1e-9:
            break
        reachable = np.asarray(csc.T @ remaining).ravel()
        gain = np.where(open_, -np.inf, np.minimum(reachable, capacity))
        j = int(np.argmax(gain))
        if gain[j] <= 0 and target_weight is not None:
            break
        rows = csc.indices[csc.indptr[j] : csc.indptr[j + 1]]
        rows = rows[np.argsort(reach_count[rows], kind="stable")]
        left = float(capacity[j])
        got = 0.0
        for i in rows:
            if left <= 0:
                break
            take = min(left, remaining[i])
            remaining[i] -= take
            left -= take
            got += take
        open_[j] = True
        chosen.append(j)
        served.append(got)
        total += got
    return np.asarray(chosen, dtype=np.int64), np.asarray(served, dtype=np.float64)


def greedy_median(
    times: sparse.csr_matrix, weight: np.ndarray, base: np.ndarray, *, p: int
) -> tuple[np.ndarray, np.ndarray]:
    """Add, one at a time, the candidate that saves the most weighted minutes."""
    csc = sparse.csc_matrix(times)
    rows_of = csc.indices
    col_of = np.repeat(np.arange(csc.shape[1]), np.diff(csc.indptr))
    current = np.asarray(base, dtype=np.float64).copy()
    chosen: list[int] = []
    saved: list[float] = []
    open_ = np.zeros(csc.shape[1], dtype=bool)
    for _ in range(min(p, csc.shape[1])):
        saving = weight[rows_of] * np.maximum(current[rows_of] - csc.data, 0.0)
        gain = np.bincount(col_of, weights=saving, minlength=csc.shape[1])
        gain[open_] = -np.inf
        j = int(np.argmax(gain))
        sl = slice(csc.indptr[j], csc.indptr[j + 1])
        r = rows_of[sl]
        current[r] = np.minimum(current[r], csc.data[sl])
        open_[j] = True
        chosen.append(j)
        saved.append(float(gain[j]))
    return np.asarray(chosen, dtype=np.int64), np.asarray(saved, dtype=np.float64)


def _median_pairs(t: sparse.csr_matrix, w: np.ndarray, base: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row, column and person-minutes saved of every stored pair (CSR order)."""
    rows = np.repeat(np.arange(t.shape[0]), np.diff(t.indptr))
    return rows, t.indices.astype(np.int64), w[rows] * (base[rows] - t.data)


def improve_median(
    t: sparse.csr_matrix, w: np.ndarray, base: np.ndarray, chosen: np.ndarray, *, deadline: float = np.inf,
    max_rounds: int = 200,
) -> np.ndarray:
    """Swap local search (Teitz–Bart) for p-median: best single exchange per round while it pays."""
    chosen = np.asarray(chosen, dtype=np.int64).copy()
    n = t.shape[1]
    if len(chosen) == 0 or len(chosen) >= n:
        return chosen
    csc = sparse.csc_matrix(t)
    rows, cols, _ = _median_pairs(t, w, base)

    def times_with(sites: np.ndarray) -> np.ndarray:
        cur = base.copy()
        for j in sites:
            sl = slice(csc.indptr[j], csc.indptr[j + 1])
            r = csc.indices[sl]
            cur[r] = np.minimum(cur[r], csc.data[sl])
        return cur

    for _ in range(max_rounds):
        if time.perf_counter() > deadline:
            break
        current = float((w * times_with(chosen)).sum())
        best_value, best_pair = current * (1 - 1e-12) - 1e-9, None
        for pos in range(len(chosen)):
            without = times_with(np.delete(chosen, pos))
            gain = np.bincount(cols, weights=w[rows] * np.maximum(without[rows] - t.data, 0.0), minlength=n)
            gain[chosen] = -np.inf
            k = int(np.argmax(gain))
            value = float((w * without).sum()) - float(gain[k])
            if value < best_value:
                best_value, best_pair = value, (pos, k)
        if best_pair is None:
            break
        chosen[best_pair[0]] = best_pair[1]
    return chosen


def lagrangian_median(
    t: sparse.csr_matrix, w: np.ndarray, base: np.ndarray, p: int, *, deadline: float, iterations: int = 500,
) -> tuple[float, np.ndarray, float]:
    """Lagrangian bound for p-median with fixed existing facilities (subgradient on μ ≥ 0).

    In savings form — maximise Σ v_ij z_ij with v_ij = w_i (base_i − t_ij), Σ_j z_ij ≤ 1,
    z_ij ≤ x_j, Σ x = p — relaxing Σ_j z_ij ≤ 1 gives L(μ) = Σ μ_i + (sum of the p largest
    ρ_j), ρ_j = Σ_i max(0, v_ij − μ_i), an upper bound on the savings for every μ ≥ 0. The p
    sites of each step are also a feasible solution. Returns (least total minutes bound, best
    sites, their total minutes).
    """
    rows, cols, v = _median_pairs(t, w, base)
    n = t.shape[1]
    baseline = float((w * base).sum())
    if len(v) == 0:
        return baseline, np.zeros(0, np.int64), baseline
    mu = np.zeros(t.shape[0])
    np.maximum.at(mu, rows, v)  # μ_i = best saving of i: L(μ) is then the trivial bound
    active = np.unique(rows)
    upper, best_saving, best_sites = np.inf, -np.inf, np.zeros(0, np.int64)
    theta, stall = 2.0, 0
    for _ in range(iterations):
        if time.perf_counter() > deadline:
            break
        reduced = np.maximum(v - mu[rows], 0.0)
        rho = np.bincount(cols, weights=reduced, minlength=n)
        sites = np.argpartition(-rho, p - 1)[:p] if p < n else np.arange(n)
        value = float(mu.sum() + rho[sites].sum())
        if value < upper - 1e-9:
            upper, stall = value, 0
        else:
            stall += 1
            if stall >= 20:
                theta, stall = theta / 2, 0
        open_ = np.zeros(n, bool)
        open_[sites] = True
        got = np.zeros(t.shape[0])
        sel = open_[cols]
        np.maximum.at(got, rows[sel], v[sel])
        saving = float(got.sum())
        if saving > best_saving:
            best_saving, best_sites = saving, np.sort(sites)
        if upper - best_saving <= OPTIMALITY_TOLERANCE * max(1.0, baseline - best_saving) or theta < 1e-4:
            break
        count = np.bincount(rows[sel & (v > mu[rows])], minlength=t.shape[0])
        g = 1.0 - count[active]
        norm = float(g @ g)
        if norm == 0:
            break
        mu[active] = np.maximum(mu[active] - theta * (value - best_saving) / norm * g, 0.0)
    return baseline - upper, best_sites, baseline - best_saving


# ---------------------------------------------------------------------------- HiGHS
@dataclass
class _Milp:
    cost: np.ndarray
    matrix: sparse.csc_matrix  # rows × columns
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    integer: np.ndarray  # bool per column
    maximize: bool
    offset: float = 0.0  # constant added to the objective


@dataclass
class _HighsOutcome:
    status: str
    optimal: bool
    values: np.ndarray | None
    objective: float | None
    bound: float | None


def _highs(model: _Milp, *, time_limit_s: float, start: np.ndarray | None, relax: bool) -> _HighsOutcome:
    h = highspy.Highs()
    h.silent()
    h.setOptionValue("time_limit", float(max(time_limit_s, 0.01)))
    h.setOptionValue("mip_rel_gap", OPTIMALITY_TOLERANCE)
    h.setOptionValue("random_seed", 0)
    if relax:
        # Interior point solves these wide covering LPs far faster than the simplex.
        h.setOptionValue("solver", "ipm")
    lp = highspy.HighsLp()
    lp.num_col_ = int(model.matrix.shape[1])
    lp.num_row_ = int(model.matrix.shape[0])
    lp.col_cost_ = np.asarray(model.cost, dtype=np.float64)
    lp.col_lower_ = np.asarray(model.col_lower, dtype=np.float64)
    lp.col_upper_ = np.asarray(model.col_upper, dtype=np.float64)
    lp.row_lower_ = np.asarray(model.row_lower, dtype=np.float64)
    lp.row_upper_ = np.asarray(model.row_upper, dtype=np.float64)
    csc = sparse.csc_matrix(model.matrix)
    csc.sort_indices()
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = csc.indptr.astype(np.int32)
    lp.a_matrix_.index_ = csc.indices.astype(np.int32)
    lp.a_matrix_.value_ = csc.data.astype(np.float64)
    lp.sense_ = highspy.ObjSense.kMaximize if model.maximize else highspy.ObjSense.kMinimize
    lp.offset_ = float(model.offset)
    if not relax:
        lp.integrality_ = [
            highspy.HighsVarType.kInteger if flag else highspy.HighsVarType.kContinuous
            for flag in model.integer
        ]
    h.passModel(lp)
    if start is not None and not relax:
        sol = highspy.HighsSolution()
        sol.col_value = list(map(float, start))
        sol.value_valid = True
        h.setSolution(sol)
    h.run()
    status = h.getModelStatus()
    info = h.getInfo()
    text = h.modelStatusToString(status)
    optimal = status == highspy.HighsModelStatus.kOptimal
    has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
    values = np.asarray(h.getSolution().col_value, dtype=np.float64) if has_solution else None
    objective = float(info.objective_function_value) if has_solution else None
    if relax:
        # An LP bound is only valid when the LP was solved to optimality.
        bound = objective if optimal else None
    else:
        raw = float(info.mip_dual_bound)
        bound = raw if np.isfinite(raw) else None
    return _HighsOutcome(text, optimal, values, objective, bound)


def _gap_pct(objective: float, bound: float, *, maximize: bool) -> float:
    if not np.isfinite(bound):
        return float("inf")
    diff = (bound - objective) if maximize else (objective - bound)
    diff = max(diff, 0.0)
    scale = max(abs(objective), abs(bound), 1e-12)
    return 100.0 * diff / scale if diff > 0 else 0.0


def _proved(objective: float, bound: float, *, maximize: bool) -> bool:
    diff = (bound - objective) if maximize else (objective - bound)
    return diff <= OPTIMALITY_TOLERANCE * max(1.0, abs(objective))


def _finish(
    *,
    greedy_chosen: np.ndarray,
    greedy_obj: float,
    model: _Milp | None,
    start: np.ndarray | None,
    decode: Callable[[np.ndarray], tuple[np.ndarray, float]],
    trivial_bound: float,
    maximize: bool,
    time_limit_s: float,
    t0: float,
    integral_objective: bool = False,
    lp_round: Callable[[np.ndarray], tuple[np.ndarray, float]] | None = None,
    make_start: Callable[[np.ndarray], np.ndarray] | None = None,
    heuristic: SolverKind = "greedy",
    bound_source: str = "trivial",
) -> Solution:
    """Run the LP bound and the MILP within the time limit; keep the best proved answer.

    ``lp_round`` turns the LP relaxation's values into an integer solution (a heuristic that is
    often optimal when the relaxation is tight); ``make_start`` builds a MILP start from sites.
    """
    best_chosen, best_obj, solver = greedy_chosen, greedy_obj, heuristic
    timings = {"heuristics": time.perf_counter() - t0}
    bound = trivial_bound
    bound_from = bound_source
    milp_obj: float | None = None
    status = "not run"
    proof = ""
    if _proved(greedy_obj, bound, maximize=maximize):
        if bound_source == "trivial":  # e.g. every reachable resident covered: nothing can do better
            return Solution(greedy_chosen, greedy_obj, "exact", 0.0, bound, greedy_obj, proof="trivial bound",
                            timings=timings)
        # Proved by our own bound, not by HiGHS: ask HiGHS briefly to confirm (quick on small
        # models); otherwise keep the heuristic's name, with a zero gap.
        left = min(time_limit_s - (time.perf_counter() - t0), 0.1 * time_limit_s + 1.0)
        if model is not None and left > 0.05:
            t1 = time.perf_counter()
            out = _highs(model, time_limit_s=left, start=start, relax=False)
            timings["milp"] = time.perf_counter() - t1
            if out.optimal and out.values is not None:
                chosen, obj = decode(out.values)
                return Solution(chosen, obj, "exact", 0.0, obj, greedy_obj, milp_objective=obj,
                                milp_status=out.status, proof="HiGHS MILP optimal", timings=timings)
        return Solution(greedy_chosen, greedy_obj, heuristic, 0.0, bound, greedy_obj,
                        proof=f"the solution meets the {bound_source} bound", timings=timings)
    if model is not None and time_limit_s > 0:
        # LP relaxation first: on large covering instances it proves the greedy optimal far
        # sooner than the branch-and-bound root, whose simplex can stall for minutes.
        t1 = time.perf_counter()
        lp = _highs(model, time_limit_s=max(time_limit_s - (time.perf_counter() - t0), 0.01) * 0.5,
                    start=None, relax=True)
        timings["lp"] = time.perf_counter() - t1
        if lp.bound is not None:
            timings["lp_bound"] = float(lp.bound)
            lp_bound = np.floor(lp.bound + 1e-7) if integral_objective and maximize else lp.bound
            if integral_objective and not maximize:
                lp_bound = np.ceil(lp.bound - 1e-7)
            if (lp_bound < bound) if maximize else (lp_bound > bound):
                bound, bound_from = lp_bound, "HiGHS LP relaxation"
        if _proved(greedy_obj, bound, maximize=maximize) and bound_from.startswith("HiGHS"):
            status = "LP bound met"
            proof = "the greedy solution reaches the HiGHS LP relaxation bound"
            return Solution(greedy_chosen, greedy_obj, "exact", 0.0, bound, greedy_obj,
                            milp_status=status, proof=proof, timings=timings)
        if lp_round is not None and lp.values is not None:
            t1 = time.perf_counter()
            chosen, obj = lp_round(lp.values)
            timings["lp_rounding"] = time.perf_counter() - t1
            timings["lp_rounded_objective"] = float(obj)
            if (obj > best_obj + 1e-9) if maximize else (obj < best_obj - 1e-9):
                best_chosen, best_obj, solver = chosen, obj, "incumbent"
                if make_start is not None:
                    start = make_start(chosen)
            if _proved(best_obj, bound, maximize=maximize) and bound_from.startswith("HiGHS"):
                return Solution(best_chosen, best_obj, "exact", 0.0, bound, greedy_obj, milp_status="LP bound met",
                                proof="the rounded LP solution reaches the HiGHS LP relaxation bound",
                                timings=timings)
        left = time_limit_s - (time.perf_counter() - t0)
        if left > 0.05:
            t1 = time.perf_counter()
            out = _highs(model, time_limit_s=left, start=start, relax=False)
            timings["milp"] = time.perf_counter() - t1
            status = out.status
            if out.bound is not None and ((out.bound < bound) if maximize else (out.bound > bound)):
                bound, bound_from = out.bound, "HiGHS MILP"
            if out.values is not None:
                chosen, obj = decode(out.values)
                milp_obj = obj
                better = obj > best_obj + 1e-9 if maximize else obj < best_obj - 1e-9
                if out.optimal:
                    best_chosen, best_obj, solver = chosen, obj, "exact"
                    proof = "HiGHS MILP optimal"
                    bound = obj if not np.isfinite(bound) else bound
                elif better:
                    best_chosen, best_obj, solver = chosen, obj, "incumbent"
    if solver != "exact" and _proved(best_obj, bound, maximize=maximize):
        if bound_from.startswith("HiGHS") or bound_from == "trivial":
            solver, proof = "exact", f"the solution reaches the {bound_from} bound"
        else:
            proof = f"the solution meets the {bound_from} bound"
    gap = 0.0 if solver == "exact" else _gap_pct(best_obj, bound, maximize=maximize)
    return Solution(best_chosen, best_obj, solver, gap, bound, greedy_obj, milp_objective=milp_obj,
                    milp_status=status, proof=proof, timings=timings)  # type: ignore[arg-type]


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


# ---------------------------------------------------------------------------- model builders
def _mclp_model(a: sparse.csr_matrix, w: np.ndarray, p: int) -> _Milp:
    """Columns x (sites, binary) then y (groups, [0, 1]); rows y_i − Σ a_ij x_j ≤ 0, Σ x = p."""
    m, n = a.shape
    link = sparse.hstack([-a, sparse.identity(m, format="csr")], format="csr")
    count = sparse.csr_matrix(np.concatenate([np.ones(n), np.zeros(m)])[None, :])
    matrix = sparse.vstack([link, count], format="csc")
    return _Milp(
        cost=np.concatenate([np.zeros(n), w]),
        matrix=matrix,
        row_lower=np.concatenate([np.full(m, -np.inf), [p]]),
        row_upper=np.concatenate([np.zeros(m), [p]]),
        col_lower=np.zeros(n + m),
        col_upper=np.ones(n + m),
        integer=np.concatenate([np.ones(n, bool), np.zeros(m, bool)]),
        maximize=True,
    )


def _lscp_model(a: sparse.csr_matrix, w: np.ndarray, target: float) -> _Milp:
    """min Σ x subject to y_i ≤ Σ a_ij x_j and Σ w_i y_i ≥ target."""
    m, n = a.shape
    link = sparse.hstack([-a, sparse.identity(m, format="csr")], format="csr")
    share = sparse.csr_matrix(np.concatenate([np.zeros(n), w])[None, :])
    matrix = sparse.vstack([link, share], format="csc")
    full = target >= float(w.sum()) - 1e-7 * max(1.0, float(w.sum()))
    return _Milp(
        cost=np.concatenate([np.ones(n), np.zeros(m)]),
        matrix=matrix,
        row_lower=np.concatenate([np.full(m, -np.inf), [target]]),
        row_upper=np.concatenate([np.zeros(m), [np.inf]]),
        # Full coverage: every group must be reached, which makes the y columns fixed at 1.
        col_lower=np.concatenate([np.zeros(n), np.ones(m) if full else np.zeros(m)]),
        col_upper=np.ones(n + m),
        integer=np.concatenate([np.ones(n, bool), np.zeros(m, bool)]),
        maximize=False,
    )


def _capacitated_model(
    a: sparse.csr_matrix, w: np.ndarray, cap: np.ndarray, *, p: int | None, target: float | None
) -> tuple[_Milp, tuple[np.ndarray, np.ndarray]]:
    """Columns x (sites) then z (share of group i served by site j, one per pair).

    Rows: Σ_j z_ij ≤ 1 per group; Σ_i w_i z_ij − cap_j x_j ≤ 0 per site; z_ij − x_j ≤ 0 per
    pair (tightens the relaxation); then Σ x = p (MCLP) or Σ_ij w_i z_ij ≥ target (LSCP).
    """
    m, n = a.shape
    coo = a.tocoo()
    pr, pc = coo.row.astype(np.int64), coo.col.astype(np.int64)
    k = len(pr)
    z = n + np.arange(k)
    rows, cols, vals = [], [], []
    r = 0
    rows.append(r + pr); cols.append(z); vals.append(np.ones(k)); r += m  # noqa: E702
    rows.append(r + pc); cols.append(z); vals.append(w[pr]); r_cap = r  # noqa: E702
    rows.append(r_cap + np.arange(n)); cols.append(np.arange(n)); vals.append(-cap); r += n  # noqa: E702
    rows.append(r + np.arange(k)); cols.append(z); vals.append(np.ones(k))  # noqa: E702
    rows.append(r + np.arange(k)); cols.append(pc); vals.append(-np.ones(k)); r += k  # noqa: E702
    if p is not None:
        rows.append(np.full(n, r)); cols.append(np.arange(n)); vals.append(np.ones(n))  # noqa: E702
        last_lo, last_hi = float(p), float(p)
        cost = np.concatenate([np.zeros(n), w[pr]])
        maximize = True
    else:
        rows.append(np.full(k, r)); cols.append(z); vals.append(w[pr])  # noqa: E702
        last_lo, last_hi = float(target or 0.0), np.inf
        cost = np.concatenate([np.ones(n), np.zeros(k)])
        maximize = False
    r += 1
    matrix = sparse.csc_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(r, n + k)
    )
    model = _Milp(
        cost=cost,
        matrix=matrix,
        row_lower=np.concatenate([np.full(r - 1, -np.inf), [last_lo]]),
        row_upper=np.concatenate([np.ones(m), np.zeros(n + k), [last_hi]]),
        col_lower=np.zeros(n + k),
        col_upper=np.ones(n + k),
        integer=np.concatenate([np.ones(n, bool), np.zeros(k, bool)]),
        maximize=maximize,
    )
    return model, (pr, pc)


def _assign(
    model: _Milp, layout: tuple[np.ndarray, np.ndarray], cols: np.ndarray, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Residents each open site serves under the best assignment (an LP with the sites fixed).

    Returns the residents served by each site in ``cols`` and the share served of each group.
    """
    pr, pc = layout
    n = model.matrix.shape[1] - len(pr)
    cols = np.asarray(cols, dtype=np.int64)
    if len(cols) == 0:
        return np.zeros(0), np.zeros(len(w))
    col_lower = model.col_lower.copy()
    col_upper = model.col_upper.copy()
    col_upper[:n] = 0.0
    col_upper[cols] = 1.0
    col_lower[cols] = 1.0
    row_lower = model.row_lower.copy()
    row_upper = model.row_upper.copy()
    row_lower[-1], row_upper[-1] = -np.inf, np.inf  # the count / target row no longer applies
    fixed = _Milp(
        cost=np.concatenate([np.zeros(n), w[pr]]),
        matrix=model.matrix,
        row_lower=row_lower,
        row_upper=row_upper,
        col_lower=col_lower,
        col_upper=col_upper,
        integer=model.integer,
        maximize=True,
    )
    out = _highs(fixed, time_limit_s=60.0, start=None, relax=True)
    z = out.values[n:] if out.values is not None else np.zeros(len(pr))
    share = np.minimum(np.bincount(pr, weights=z, minlength=len(w)), 1.0)
    return np.bincount(pc, weights=z * w[pr], minlength=n)[cols], share


def _pmedian_model(
    t: sparse.csr_matrix, w: np.ndarray, base: np.ndarray, p: int
) -> tuple[_Milp, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Columns x (sites) then z (resident i served by site j); maximise the minutes saved.

    Rows: Σ_j z_ij ≤ 1 per demand point, z_ij − x_j ≤ 0 per pair, Σ x = p. Total minutes are
    Σ w_i base_i − saved; the objective offset carries the constant so HiGHS reports minutes.
    """
    m, n = t.shape
    coo = t.tocoo()
    pr, pc, pv = coo.row.astype(np.int64), coo.col.astype(np.int64), coo.data
    k = len(pr)
    z = n + np.arange(k)
    rows = np.concatenate([pr, m + np.arange(k), m + np.arange(k), np.full(n, m + k)])
    cols = np.concatenate([z, z, pc, np.arange(n)])
    vals = np.concatenate([np.ones(k), np.ones(k), -np.ones(k), np.ones(n)])
    matrix = sparse.csc_matrix((vals, (rows, cols)), shape=(m + k + 1, n + k))
    # Minimise −saving: minimisation keeps the bound direction the same as the total minutes.
    model = _Milp(
        cost=np.concatenate([np.zeros(n), -(w[pr] * (base[pr] - pv))]),
        matrix=matrix,
        row_lower=np.concatenate([np.full(m + k, -np.inf), [p]]),
        row_upper=np.concatenate([np.ones(m), np.zeros(k), [p]]),
        col_lower=np.zeros(n + k),
        col_upper=np.ones(n + k),
        integer=np.concatenate([np.ones(n, bool), np.zeros(k, bool)]),
        maximize=False,
        offset=float((w * base).sum()),
    )
    return model, (pr, pc, pv)


def _to_original(sol: Solution, red: Reduced, t0: float, shape: tuple[int, int]) -> Solution:
    sol.chosen = red.columns[np.asarray(sol.chosen, dtype=np.int64)]
    sol.seconds = time.perf_counter() - t0
    sol.reduced_shape = (int(shape[0]), int(shape[1]))
    return sol
