"""HiGHS: model builders, LP bound and MILP within one deadline, and the choice of the reported solution.

HiGHS is run quietly: its output is switched off, and the banner it prints on the process's
standard output when the first solver object is made (HiGHS ≥ 1.16, from C, where Python's
``sys.stdout`` cannot catch it) is sent to the null device, so ``--json`` output stays JSON.

HiGHS checks its own time limit only between iterations, and one interior-point iteration on a
city-size model can take many seconds, so every run happens in a worker thread that the caller
waits for only until the deadline. A run still busy then is left to stop at its next check (its
time limit is the same deadline); the MILP's best solution and bound so far are kept from its
callbacks.
"""

from __future__ import annotations

import atexit
import ctypes
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import highspy
import numpy as np
from scipy import sparse

from planning.siting._deadline import Deadline
from planning.siting._reduce import Reduced
from planning.siting._solution import OPTIMALITY_TOLERANCE, Solution, SolverKind

#: Seconds a caller waits past the deadline for HiGHS to report; HiGHS's own time limit ends a
#: little before the deadline so that it usually reports in time, with its bound.
GRACE_S = 0.1
#: Status of a run the caller stopped waiting for.
ABANDONED = "Time limit reached (stopped waiting)"
_CONSTRUCT = threading.Lock()
#: Runs the caller stopped waiting for, still inside HiGHS (they stop at its next clock check).
_LEFT_RUNNING: set[threading.Thread] = set()


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
    #: HiGHS stopped (or was left) because the time was up.
    timed_out: bool = False


@dataclass
class _Incumbent:
    """What the MILP callbacks report while the solver runs in its thread."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    values: np.ndarray | None = None
    objective: float | None = None
    bound: float | None = None


def _flush_c_stdout() -> None:
    """Flush the C library's stdout buffer (HiGHS prints with C stdio)."""
    try:
        ctypes.CDLL(None).fflush(None)
    except (OSError, AttributeError, TypeError):  # no C library to ask (e.g. Windows): nothing buffered here
        pass


def new_highs() -> highspy.Highs:
    """A HiGHS object that prints nothing, its start-up banner included."""
    with _CONSTRUCT:
        if sys.stdout is not None:
            sys.stdout.flush()  # Python's own pending output must not go to the null device
        try:
            saved = os.dup(1)
        except OSError:  # no standard output at all: nothing to keep clean
            h = highspy.Highs()
        else:
            null = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(null, 1)
                h = highspy.Highs()
                _flush_c_stdout()
            finally:
                os.dup2(saved, 1)
                os.close(saved)
                os.close(null)
    h.setOptionValue("output_flag", False)
    h.setOptionValue("log_to_console", False)
    return h


def solver_runs_left() -> int:
    """HiGHS runs that the time limit left behind and that are still busy."""
    for thread in [t for t in _LEFT_RUNNING if not t.is_alive()]:
        _LEFT_RUNNING.discard(thread)
    return len(_LEFT_RUNNING)


@atexit.register
def wait_for_runs_left() -> None:
    """Wait until every run the time limit left behind has stopped (also done at exit)."""
    # A HiGHS thread still running when the C++ runtime tears down aborts the process
    # ("terminate called without an active exception"): let them reach their next clock check.
    for thread in list(_LEFT_RUNNING):
        thread.join()


def _highs(model: _Milp, *, until: float, start: np.ndarray | None, relax: bool) -> _HighsOutcome:
    """Solve ``model`` (its LP relaxation when ``relax``) and report by ``until`` at the latest.

    Everything — passing the model, the run, reading the solution back — happens in a worker
    thread; a MILP left running still gives the best solution and bound its callbacks saw.
    """
    seen = _Incumbent()
    box: list[_HighsOutcome | BaseException] = []
    done = threading.Event()

    def work() -> None:
        try:
            box.append(_solve(model, until=until, start=start, relax=relax, seen=seen))
        except BaseException as exc:  # handed to the caller, which raises it
            box.append(exc)
        finally:
            done.set()

    thread = threading.Thread(target=work, name="highs", daemon=True)
    thread.start()
    wait = max(until - time.perf_counter(), 0.0) + GRACE_S
    if done.wait(wait if np.isfinite(wait) else None):
        if isinstance(box[0], BaseException):
            raise box[0]
        return box[0]
    _LEFT_RUNNING.add(thread)
    with seen.lock:
        return _HighsOutcome(ABANDONED, False, seen.values, seen.objective, seen.bound, timed_out=True)


def _solve(model: _Milp, *, until: float, start: np.ndarray | None, relax: bool, seen: _Incumbent) -> _HighsOutcome:
    h = new_highs()
    left = until - time.perf_counter()
    h.setOptionValue("time_limit", float(min(max(0.95 * left - 0.02, 0.01), 1e9)))
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
        kinds = (highspy.HighsVarType.kContinuous, highspy.HighsVarType.kInteger)
        lp.integrality_ = [kinds[flag] for flag in np.asarray(model.integer, dtype=bool).tolist()]
    h.passModel(lp)
    if start is not None and not relax:
        sol = highspy.HighsSolution()
        sol.col_value = np.asarray(start, dtype=np.float64).tolist()
        sol.value_valid = True
        h.setSolution(sol)
    if not relax:
        _watch(h, seen, until)
    h.run()
    reset = getattr(highspy.Highs, "resetThreadScheduler", None)
    if reset is not None:  # as highspy does after a solve in a thread of its own (a Windows deadlock)
        reset(False)
    status = h.getModelStatus()
    info = h.getInfo()
    text = h.modelStatusToString(status)
    optimal = status == highspy.HighsModelStatus.kOptimal
    timed_out = status in (highspy.HighsModelStatus.kTimeLimit, highspy.HighsModelStatus.kInterrupt,
                           highspy.HighsModelStatus.kHighsInterrupt)
    has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
    values = np.asarray(h.getSolution().col_value, dtype=np.float64) if has_solution else None
    objective = float(info.objective_function_value) if has_solution else None
    if relax:
        # An LP bound is only valid when the LP was solved to optimality.
        bound = objective if optimal else None
    else:
        raw = float(info.mip_dual_bound)
        bound = raw if np.isfinite(raw) else None
    return _HighsOutcome(text, optimal, values, objective, bound, timed_out=timed_out)


def _watch(h: highspy.Highs, seen: _Incumbent, until: float) -> None:
    """Keep the MILP's improving solutions and dual bound; interrupt it once ``until`` has passed."""

    def improving(event: Any) -> None:
        out = event.data_out
        with seen.lock:
            seen.values = np.array(out.mip_solution, dtype=np.float64, copy=True)
            seen.objective = float(out.objective_function_value)

    def interrupt(event: Any) -> None:
        bound = float(event.data_out.mip_dual_bound)
        if np.isfinite(bound):
            with seen.lock:
                seen.bound = bound
        if time.perf_counter() > until:
            event.interrupt()

    h.cbMipImprovingSolution += improving
    h.cbMipInterrupt += interrupt


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


def _better(a: float, b: float, *, maximize: bool) -> bool:
    return a > b + 1e-9 if maximize else a < b - 1e-9


def _finish(
    *,
    greedy_chosen: np.ndarray,
    greedy_obj: float,
    model: _Milp | Callable[[], _Milp] | None,
    start: np.ndarray | Callable[[], np.ndarray | None] | None,
    decode: Callable[[np.ndarray], tuple[np.ndarray, float]],
    trivial_bound: float,
    maximize: bool,
    deadline: Deadline,
    integral_objective: bool = False,
    lp_round: Callable[[np.ndarray], tuple[np.ndarray, float]] | None = None,
    make_start: Callable[[np.ndarray], np.ndarray] | None = None,
    heuristic: SolverKind = "greedy",
    bound_source: str = "trivial",
) -> Solution:
    """Run the LP bound and the MILP in the time left before ``deadline``; keep the best proved answer.

    A solution whose value meets a valid bound (the trivial one, the Lagrangian, the HiGHS LP
    relaxation or the MILP's dual bound) is optimal and reported as ``"exact"`` with a zero gap;
    anything else carries its certified gap, and ``time_limit_reached`` says whether the time
    ran out before optimality could be proved. ``model`` and ``start`` may be given as
    builders, called only when there is time to use them. ``lp_round`` turns the LP
    relaxation's values into an integer solution (often optimal when the relaxation is tight);
    ``make_start`` builds a MILP start from sites.
    """
    best_chosen, best_obj, solver = greedy_chosen, greedy_obj, heuristic
    timings = {"heuristics": deadline.elapsed()}
    bound, bound_from = trivial_bound, bound_source
    milp_obj: float | None = None
    status, proof = "not run", ""
    ran_out = deadline.limit_s <= 0

    def result(chosen: np.ndarray, obj: float, kind: SolverKind, why: str) -> Solution:
        proved = kind == "exact"
        gap = 0.0 if proved else _gap_pct(obj, bound, maximize=maximize)
        return Solution(chosen, obj, kind, gap, obj if proved and not np.isfinite(bound) else bound, greedy_obj,
                        milp_objective=milp_obj, milp_status=status, proof=why, timings=timings,
                        time_limit_s=deadline.limit_s, time_limit_reached=(not proved) and ran_out)

    if _proved(greedy_obj, bound, maximize=maximize):
        # e.g. every reachable resident covered, or swaps reaching the Lagrangian bound.
        return result(greedy_chosen, greedy_obj, "exact", f"the solution meets the {bound_source} bound")
    if model is not None and deadline.limit_s > 0 and deadline.left() > 0.05:
        if callable(model):
            t1 = time.perf_counter()
            model = model()
            timings["model"] = time.perf_counter() - t1
        if callable(start):
            start = start()
        # LP relaxation first, in half the time left: on large covering instances it proves the
        # greedy optimal far sooner than the branch-and-bound root, whose simplex can stall.
        t1 = time.perf_counter()
        lp = _highs(model, until=t1 + 0.5 * deadline.left(), start=None, relax=True)
        timings["lp"] = time.perf_counter() - t1
        if lp.bound is not None:
            timings["lp_bound"] = float(lp.bound)
            lp_bound = lp.bound
            if integral_objective:
                lp_bound = np.floor(lp.bound + 1e-7) if maximize else np.ceil(lp.bound - 1e-7)
            if _better(bound, lp_bound, maximize=maximize):
                bound, bound_from = lp_bound, "HiGHS LP relaxation"
        if _proved(greedy_obj, bound, maximize=maximize):
            status = "LP bound met"
            return result(greedy_chosen, greedy_obj, "exact", f"the solution meets the {bound_from} bound")
        if lp_round is not None and lp.values is not None and deadline.left() > 0:
            t1 = time.perf_counter()
            chosen, obj = lp_round(lp.values)
            timings["lp_rounding"] = time.perf_counter() - t1
            timings["lp_rounded_objective"] = float(obj)
            if _better(obj, best_obj, maximize=maximize):
                best_chosen, best_obj, solver = chosen, obj, "incumbent"
                if make_start is not None:
                    start = make_start(chosen)
            if _proved(best_obj, bound, maximize=maximize):
                status = "LP bound met"
                return result(best_chosen, best_obj, "exact",
                              f"the rounded LP solution meets the {bound_from} bound")
        if deadline.left() > 0.05:
            t1 = time.perf_counter()
            # Ends its wait for HiGHS at the deadline itself, grace included.
            out = _highs(model, until=max(deadline.end - GRACE_S, time.perf_counter()), start=start, relax=False)
            timings["milp"] = time.perf_counter() - t1
            status = out.status
            ran_out = ran_out or out.timed_out
            if out.bound is not None and _better(bound, out.bound, maximize=maximize):
                bound, bound_from = out.bound, "HiGHS MILP"
            if out.values is not None:
                chosen, obj = decode(out.values)
                milp_obj = obj
                if out.optimal:
                    best_chosen, best_obj, solver, proof = chosen, obj, "exact", "HiGHS MILP optimal"
                elif _better(obj, best_obj, maximize=maximize):
                    best_chosen, best_obj, solver = chosen, obj, "incumbent"
        else:
            ran_out = True
    else:
        ran_out = ran_out or model is not None
    if solver != "exact" and _proved(best_obj, bound, maximize=maximize):
        solver, proof = "exact", f"the solution meets the {bound_from} bound"
    return result(best_chosen, best_obj, solver, proof)


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
    model: _Milp, layout: tuple[np.ndarray, np.ndarray], cols: np.ndarray, w: np.ndarray, *,
    until: float, fallback: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
) -> tuple[np.ndarray, np.ndarray]:
    """Residents each open site serves under the best assignment (an LP with the sites fixed).

    Returns the residents served by each site in ``cols`` and the share served of each group.
    When the LP cannot be solved by ``until``, ``fallback(cols)`` gives a feasible assignment.
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
    out = _highs(fixed, until=until, start=None, relax=True)
    if not out.optimal or out.values is None:
        return fallback(cols)
    z = out.values[n:]
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


def _to_original(sol: Solution, red: Reduced, deadline: Deadline, shape: tuple[int, int]) -> Solution:
    sol.chosen = red.columns[np.asarray(sol.chosen, dtype=np.int64)]
    sol.seconds = deadline.elapsed()
    sol.reduced_shape = (int(shape[0]), int(shape[1]))
    return sol
