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
    #: LP relaxation: the row duals of the optimal solution (for bounds and fixing).
    row_dual: np.ndarray | None = None


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


def _highs(model: _Milp, *, until: float, start: np.ndarray | None, relax: bool,
           deadline: Deadline | None = None,
           on_report: Callable[[float | None, float | None], None] | None = None) -> _HighsOutcome:
    """Solve ``model`` (its LP relaxation when ``relax``) and report by ``until`` at the latest.

    Everything — passing the model, the run, reading the solution back — happens in a worker
    thread; a MILP left running still gives the best solution and bound its callbacks saw. The
    caller's thread waits in short steps, passing progress on (:meth:`Deadline.pulse`) and
    giving up at once when the user stops (``deadline``'s stop flag, which also interrupts
    HiGHS at its next check). ``on_report(objective, bound)`` hears of every improving MILP
    solution and bound, on HiGHS's thread.
    """
    seen = _Incumbent()
    box: list[_HighsOutcome | BaseException] = []
    done = threading.Event()

    def stop_now() -> bool:
        return time.perf_counter() > until or (deadline is not None and deadline.stopped())

    def work() -> None:
        try:
            box.append(_solve(model, until=until, start=start, relax=relax, seen=seen, stop_now=stop_now,
                              on_report=on_report))
        except BaseException as exc:  # handed to the caller, which raises it
            box.append(exc)
        finally:
            done.set()

    thread = threading.Thread(target=work, name="highs", daemon=True)
    thread.start()
    try:
        while not done.is_set():
            now = time.perf_counter()
            stopped = deadline is not None and deadline.stopped()
            if now > until + GRACE_S or stopped:
                # A stopped run gets a moment to honour the interrupt and hand back its best.
                if stopped and done.wait(GRACE_S):
                    break
                _LEFT_RUNNING.add(thread)
                with seen.lock:
                    return _HighsOutcome(ABANDONED, False, seen.values, seen.objective, seen.bound, timed_out=True)
            done.wait(min(until + GRACE_S - now, 0.1) if np.isfinite(until) else 0.1)
            if deadline is not None:
                deadline.pulse()
    except BaseException:
        if not done.is_set():
            _LEFT_RUNNING.add(thread)
        raise
    if isinstance(box[0], BaseException):
        raise box[0]
    return box[0]


def _solve(model: _Milp, *, until: float, start: np.ndarray | None, relax: bool, seen: _Incumbent,
           stop_now: Callable[[], bool],
           on_report: Callable[[float | None, float | None], None] | None) -> _HighsOutcome:
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
    _watch(h, seen, stop_now, on_report, mip=not relax)
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
    solution = h.getSolution()
    values = np.asarray(solution.col_value, dtype=np.float64) if has_solution else None
    objective = float(info.objective_function_value) if has_solution else None
    duals = None
    if relax:
        # An LP bound is only valid when the LP was solved to optimality.
        bound = objective if optimal else None
        if optimal and solution.dual_valid:
            duals = np.asarray(solution.row_dual, dtype=np.float64)
    else:
        raw = float(info.mip_dual_bound)
        bound = raw if np.isfinite(raw) else None
    return _HighsOutcome(text, optimal, values, objective, bound, timed_out=timed_out, row_dual=duals)


def _watch(h: highspy.Highs, seen: _Incumbent, stop_now: Callable[[], bool],
           on_report: Callable[[float | None, float | None], None] | None, *, mip: bool) -> None:
    """Keep the MILP's improving solutions and dual bound; interrupt HiGHS once ``stop_now()``."""

    def improving(event: Any) -> None:
        out = event.data_out
        with seen.lock:
            seen.values = np.array(out.mip_solution, dtype=np.float64, copy=True)
            seen.objective = float(out.objective_function_value)
        if on_report is not None:
            on_report(seen.objective, seen.bound)

    def interrupt(event: Any) -> None:
        bound = float(event.data_out.mip_dual_bound)
        if np.isfinite(bound):
            with seen.lock:
                fresh = seen.bound is None or bound != seen.bound
                seen.bound = bound
            if fresh and on_report is not None:
                on_report(seen.objective, bound)
        if stop_now():
            event.interrupt()

    def lp_interrupt(event: Any) -> None:
        if stop_now():
            event.interrupt()

    if mip:
        h.cbMipImprovingSolution += improving
        h.cbMipInterrupt += interrupt
    else:
        # One interior-point iteration can take seconds on a city-size model: look at the
        # clock (and the stop flag) after each one, not only where HiGHS looks at its own.
        h.cbIpmInterrupt += lp_interrupt


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


@dataclass
class _Narrowed:
    """A smaller MILP that only looks for solutions better than the incumbent (fixed candidates out).

    ``model`` is ``None`` when no better solution can exist (nothing left to choose, or the
    fixings leave no feasible choice): the incumbent is then optimal.
    """

    model: _Milp | None
    decode: Callable[[np.ndarray], tuple[np.ndarray, float]]
    start: np.ndarray | None = None
    why: str = ""


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
    narrow: Callable[[_HighsOutcome, np.ndarray, float], tuple[float, _Narrowed | None]] | None = None,
    fallback_bound: Callable[[float, float], float] | None = None,
) -> Solution:
    """Run the LP bound and the MILP in the time left before ``deadline``; keep the best proved answer.

    A solution whose value meets a valid bound (the trivial one, the Lagrangian, the HiGHS LP
    relaxation or the MILP's dual bound) is optimal and reported as ``"exact"`` with a zero gap;
    anything else carries its certified gap, and ``time_limit_reached`` says whether the time
    ran out before optimality could be proved. ``model`` and ``start`` may be given as
    builders, called only when there is time to use them. ``lp_round`` turns the LP
    relaxation's values into an integer solution (often optimal when the relaxation is tight);
    ``make_start`` builds a MILP start from sites. ``narrow(lp, sites, objective)`` turns the
    LP's duals into a Lagrangian bound and a smaller MILP (:class:`_Narrowed`) that only looks
    for better solutions than ``sites``. ``fallback_bound(objective, until)`` gives a bound by
    other means (a subgradient search) when the LP had too little time to give one.

    Of solutions of equal value the one found first (greedy, swaps, rounding, MILP, in that
    order) is kept, and no stage's choice depends on the clock, so whenever the gap closes the
    answer is the same however loaded the machine is.
    """
    best_chosen, best_obj, solver = greedy_chosen, greedy_obj, heuristic
    timings = {"heuristics": deadline.elapsed()}
    bound, bound_from = trivial_bound, bound_source
    milp_obj: float | None = None
    status, proof = "not run", ""
    ran_out = deadline.limit_s <= 0 or deadline.stopped()
    sign = 1.0 if maximize else -1.0

    def tighten(value: float | None, source: str) -> None:
        nonlocal bound, bound_from
        if value is None or not np.isfinite(value):
            return
        if integral_objective:
            value = np.floor(value + 1e-7) if maximize else np.ceil(value - 1e-7)
        if _better(bound, value, maximize=maximize):
            bound, bound_from = value, source

    def result(chosen: np.ndarray, obj: float, kind: SolverKind, why: str) -> Solution:
        proved = kind == "exact"
        gap = 0.0 if proved else _gap_pct(obj, bound, maximize=maximize)
        deadline.report(obj, obj if proved else bound)
        deadline.pulse(force=True)
        return Solution(chosen, obj, kind, gap, obj if proved and not np.isfinite(bound) else bound, greedy_obj,
                        milp_objective=milp_obj, milp_status=status, proof=why, timings=timings,
                        time_limit_s=deadline.limit_s, time_limit_reached=(not proved) and ran_out,
                        bound_source=bound_from, stopped=deadline.stopped())

    deadline.report(best_obj, bound)
    if _proved(greedy_obj, bound, maximize=maximize):
        # e.g. every reachable resident covered, or swaps reaching the Lagrangian bound.
        return result(greedy_chosen, greedy_obj, "exact", f"the solution meets the {bound_source} bound")
    if model is None or deadline.limit_s <= 0 or deadline.left() <= 0.05:
        ran_out = ran_out or model is not None
        return result(best_chosen, best_obj, solver, proof)
    if callable(model):
        t1 = time.perf_counter()
        model = model()
        timings["model"] = time.perf_counter() - t1
    if callable(start):
        start = start()
    # LP relaxation first, in half the time left: on large covering instances it proves the
    # greedy optimal far sooner than the branch-and-bound root, whose simplex can stall.
    t1 = time.perf_counter()
    lp = _highs(model, until=t1 + 0.5 * deadline.left(), start=None, relax=True, deadline=deadline)
    timings["lp"] = time.perf_counter() - t1
    if lp.bound is not None:
        timings["lp_bound"] = float(lp.bound)
        tighten(lp.bound, "HiGHS LP relaxation")
    elif fallback_bound is not None and not deadline.passed():
        # The LP ran out of time: a third of what is left for a cheaper bound, the rest for the MILP.
        t1 = time.perf_counter()
        value = fallback_bound(best_obj, t1 + deadline.left() / 3)
        timings["subgradient"] = time.perf_counter() - t1
        timings["subgradient_bound"] = float(value)
        tighten(value, "Lagrangian (subgradient)")
    deadline.report(best_obj, bound)
    if _proved(best_obj, bound, maximize=maximize):
        status = "LP bound met"
        return result(best_chosen, best_obj, "exact", f"the solution meets the {bound_from} bound")
    if lp_round is not None and lp.values is not None and not deadline.passed():
        t1 = time.perf_counter()
        chosen, obj = lp_round(lp.values)
        timings["lp_rounding"] = time.perf_counter() - t1
        timings["lp_rounded_objective"] = float(obj)
        if _better(obj, best_obj, maximize=maximize):
            best_chosen, best_obj, solver = chosen, obj, "incumbent"
            if make_start is not None:
                start = make_start(chosen)
        deadline.report(best_obj, bound)
        if _proved(best_obj, bound, maximize=maximize):
            status = "LP bound met"
            return result(best_chosen, best_obj, "exact", f"the rounded LP solution meets the {bound_from} bound")
    decode_milp = decode
    narrowed: _Narrowed | None = None
    if narrow is not None and lp.row_dual is not None and not deadline.passed():
        t1 = time.perf_counter()
        lagrange, narrowed = narrow(lp, best_chosen, best_obj)
        timings["fixing"] = time.perf_counter() - t1
        tighten(lagrange, "Lagrangian (LP duals)")
        if _proved(best_obj, bound, maximize=maximize):
            return result(best_chosen, best_obj, "exact", f"the solution meets the {bound_from} bound")
        if narrowed is not None and narrowed.model is None:
            status = "no better solution"
            return result(best_chosen, best_obj, "exact", narrowed.why)
        if narrowed is not None:
            model, decode_milp, start = narrowed.model, narrowed.decode, narrowed.start
    if deadline.left() <= 0.05:
        ran_out = True
        return result(best_chosen, best_obj, solver, proof)
    incumbent_value = best_obj

    def heard(obj: float | None, milp_bound: float | None) -> None:
        # HiGHS's thread: only record (the caller's thread passes it on).
        b = bound
        if milp_bound is not None and np.isfinite(milp_bound):
            mb = sign * max(sign * milp_bound, sign * incumbent_value) if narrowed is not None else milp_bound
            b = mb if _better(b, mb, maximize=maximize) else b
        o = best_obj if obj is None or not _better(obj, best_obj, maximize=maximize) else obj
        deadline.report(o, b)

    t1 = time.perf_counter()
    # Ends its wait for HiGHS at the deadline itself, grace included.
    out = _highs(model, until=max(deadline.end - GRACE_S, time.perf_counter()), start=start, relax=False,
                 deadline=deadline, on_report=heard)
    timings["milp"] = time.perf_counter() - t1
    status = out.status
    ran_out = ran_out or out.timed_out or deadline.stopped()
    if narrowed is not None and out.status == "Infeasible":
        status = "no better solution"
        return result(best_chosen, best_obj, "exact", "HiGHS MILP: no better solution than it exists")
    if out.bound is not None:
        value = out.bound
        if narrowed is not None:
            # The narrowed MILP bounds only the better solutions: the incumbent bounds the rest.
            value = sign * max(sign * value, sign * best_obj)
        tighten(value, "HiGHS MILP")
    if out.values is not None:
        chosen, obj = decode_milp(out.values)
        milp_obj = obj
        if _better(obj, best_obj, maximize=maximize):
            best_chosen, best_obj, solver = chosen, obj, "incumbent"
        if out.optimal:
            # Of equal values the earlier solution stays: the answer does not depend on the clock.
            solver, proof = "exact", "HiGHS MILP optimal" + (" (fixed candidates left out)" if narrowed else "")
    if solver != "exact" and _proved(best_obj, bound, maximize=maximize):
        solver, proof = "exact", f"the solution meets the {bound_from} bound"
    return result(best_chosen, best_obj, solver, proof)


def _to_original(sol: Solution, red: Reduced, deadline: Deadline, shape: tuple[int, int]) -> Solution:
    sol.chosen = red.columns[np.asarray(sol.chosen, dtype=np.int64)]
    sol.seconds = deadline.elapsed()
    sol.reduced_shape = (int(shape[0]), int(shape[1]))
    return sol
