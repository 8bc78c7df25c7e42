"""HiGHS: model builders, LP bound and MILP with a time limit, and the choice of the reported solution."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import highspy
import numpy as np
from scipy import sparse

from planning.siting._reduce import Reduced
from planning.siting._solution import OPTIMALITY_TOLERANCE, Solution, SolverKind


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
