"""p-median within one time limit: greedy, vertex substitution, Lagrangian bound, distance-cut MILP.

Stages, each deterministic (limited by its own work, the clock only ends the whole solve):

1. the instance is reduced exactly (:func:`planning.siting._median.median_instance`): pairs
   that do not beat the existing facility go, identical residents and candidates merge;
2. greedy, then vertex substitution (Teitz–Bart, :func:`~planning.siting._median.swap_sites`) to
   a local optimum;
3. the Lagrangian bound by subgradient on the distance-cut pairs; its sites, improved by
   swaps, replace the incumbent when better, and its multipliers fix candidates;
4. if the bound has not met the incumbent, HiGHS solves the *cut problem* (each resident's
   time capped at its radius, fixed candidates out), which is small; when its optimum caps
   nobody it is optimal for the full problem, otherwise the capped residents' radii grow and it
   is solved again (proof in :mod:`planning.siting._median`).

The answer says which bound certified it (``bound_source``: "trivial", "Lagrangian", "HiGHS
MILP (distance cut)"). With capacities (each new site serves at most its capacity; residents
may be split between sites) the MILP is the exact method, bounded below by the uncapacitated
Lagrangian bound, and assignments come from an LP with the sites fixed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np
from scipy import sparse

from planning.siting._deadline import Deadline, Progress
from planning.siting._highs import GRACE_S, _finish, _gap_pct, _highs, _Milp, _proved
from planning.siting._median import Median, _wider, greedy_sites, lagrangian, median_instance, nearest_two, swap_sites
from planning.siting._models import _assign_pairs, _capacitated_model, _pmedian_model
from planning.siting._solution import Solution, SolverKind


@dataclass
class _Track:
    """The best sites and the best bound so far, with where each came from."""

    prob: Median
    deadline: Deadline
    cols: np.ndarray
    total: float
    bound: float
    kind: SolverKind = "greedy"
    bound_from: str = "trivial"
    proof: str = ""
    status: str = "not run"
    milp_total: float | None = None
    timings: dict[str, float] = field(default_factory=dict)

    def offer(self, cols: np.ndarray, total: float) -> None:
        # Strictly better only: of equal values the earlier (deterministic) one stays.
        if total < self.total - 1e-9 * max(1.0, abs(self.total)):
            self.cols, self.total, self.kind = np.sort(np.asarray(cols, dtype=np.int64)), float(total), "incumbent"
        self.deadline.report(self.total, self.bound)

    def tighten(self, bound: float, source: str) -> None:
        if np.isfinite(bound) and bound > self.bound:
            self.bound, self.bound_from = float(bound), source
        self.deadline.report(self.total, self.bound)

    def proved(self) -> bool:
        return _proved(self.total, self.bound, maximize=False)


def solve_pmedian(
    times: sparse.spmatrix,
    weight: np.ndarray,
    base_minutes: np.ndarray,
    *,
    p: int,
    capacity: np.ndarray | None = None,
    time_limit_s: float = 60.0,
    progress: Progress | None = None,
    stop: object | None = None,
) -> Solution:
    """p-median: ``p`` new sites minimising total weighted minutes to the nearest facility.

    ``times`` holds the minutes from each demand point to each candidate (only pairs within the
    cut-off are stored); ``base_minutes`` is each demand point's time to its nearest existing
    facility, already capped at the penalty time. ``objective`` is the total weighted minutes.
    With ``capacity`` each new site serves at most that many residents (the rest keep their
    existing facility or the penalty time).
    """
    deadline = Deadline.after(time_limit_s, stop=stop, progress=progress)
    n_orig = int(times.shape[1])
    if capacity is not None:
        return _capacitated(times, weight, base_minutes, p=p, capacity=capacity, deadline=deadline)
    prob = median_instance(times, weight, base_minutes)
    p_eff = min(p, prob.n)
    cols = greedy_sites(prob, p_eff)
    track = _Track(prob, deadline, cols, prob.total(cols), _everyone_at_best(prob))
    greedy_total = track.total
    track.deadline.report(track.total, track.bound)
    if not track.proved() and deadline.limit_s > 0 and p_eff and not deadline.passed():
        swapped = swap_sites(prob, track.cols, deadline=deadline, report=True)
        track.offer(swapped, prob.total(swapped))
        track.timings["heuristics"] = deadline.elapsed()
        t1 = time.perf_counter()
        lag = lagrangian(prob, p_eff, track.cols, deadline=deadline, known_bound=track.bound)
        track.timings["lagrangian"] = time.perf_counter() - t1
        track.timings["lagrangian_iterations"] = float(lag.iterations)
        track.timings["lagrangian_bound"] = float(lag.bound)
        track.timings["lagrangian_pairs_per_step"] = float(lag.pairs)
        track.offer(lag.cols, lag.total)
        track.tighten(lag.bound, "Lagrangian")
        if track.proved():
            track.kind, track.proof = "exact", "the solution meets the Lagrangian bound"
        elif not deadline.passed():
            _, _, d2 = nearest_two(prob, track.cols)
            radius = np.minimum(prob.base, np.maximum(d2, lag.radius) + 1e-9)
            _cut_milp(track, radius, lag.fixed_closed, lag.fixed_open, p_eff)
    else:
        track.timings["heuristics"] = deadline.elapsed()
    if track.kind != "exact" and track.proved():
        track.kind, track.proof = "exact", f"the solution meets the {track.bound_from} bound"
    return _solution(track, greedy_total, n_orig, p)


def _everyone_at_best(prob: Median) -> float:
    """Lower bound without a model: every resident at its best candidate time."""
    best = prob.base.copy()
    if prob.t.nnz:
        np.minimum.at(best, prob.rows, prob.data)
    return prob.const + float(prob.w @ best)


def _solution(track: _Track, greedy_total: float, n_orig: int, p: int) -> Solution:
    prob, deadline = track.prob, track.deadline
    proved = track.kind == "exact"
    chosen = prob.columns[track.cols]
    if len(chosen) < min(p, n_orig):
        # Candidates merged away or improving nobody: any of them fills p without changing the total.
        rest = np.setdiff1d(np.arange(n_orig), chosen)[: min(p, n_orig) - len(chosen)]
        chosen = np.concatenate([chosen, rest])
    gap = 0.0 if proved else _gap_pct(track.total, track.bound, maximize=False)
    sol = Solution(np.asarray(chosen, dtype=np.int64), track.total, track.kind, gap, track.bound, greedy_total,
                   milp_objective=track.milp_total, milp_status=track.status, proof=track.proof,
                   timings=track.timings, time_limit_s=deadline.limit_s, time_limit_reached=not proved,
                   bound_source=track.bound_from, stopped=deadline.stopped())
    sol.seconds = deadline.elapsed()
    sol.reduced_shape = (prob.m, prob.n)
    deadline.report(sol.objective, sol.objective if proved else sol.bound)
    deadline.pulse(force=True)
    return sol


# ---------------------------------------------------------------------------- the cut MILP
def _cut_milp(track: _Track, radius: np.ndarray, closed: np.ndarray, forced: np.ndarray, p: int) -> None:
    """Solve the distance-cut problem with HiGHS until the incumbent is proved optimal or time is up."""
    prob, deadline = track.prob, track.deadline
    allowed = np.ones(prob.n, dtype=bool)
    allowed[closed] = False
    both = not allowed[forced].all()  # a better solution would have to open and close one site
    forced = forced[allowed[forced]]
    if both or len(forced) > p or int(allowed.sum()) < p:
        # No choice of p sites obeys the fixings: no solution beats the incumbent.
        track.kind, track.proof, track.status = "exact", "the Lagrangian fixings leave no better solution", \
            "no better solution"
        return
    radius = radius.copy()
    t_start = time.perf_counter()
    for round_ in range(1, 20):
        if deadline.left() <= 0.05:
            break
        model, local, rows = _cut_model(prob, radius, allowed, forced, p)
        start = _cut_start(track.cols, model, local, prob, radius, rows, allowed, forced)
        incumbent = track.total

        def heard(obj: float | None, bound: float | None, incumbent: float = incumbent) -> None:
            if bound is not None and np.isfinite(bound):
                deadline.report(track.total, max(track.bound, min(bound, incumbent)))

        out = _highs(model, until=max(deadline.end - GRACE_S, time.perf_counter()), start=start, relax=False,
                     deadline=deadline, on_report=heard)
        track.timings["milp"] = time.perf_counter() - t_start
        track.timings["milp_rounds"] = float(round_)
        track.status = out.status
        if out.status == "Infeasible":
            track.kind, track.proof = "exact", "HiGHS MILP: no better solution than it exists (distance cut)"
            return
        if out.bound is not None:
            # The cut problem bounds the full one from below; the fixings bound only better solutions.
            track.tighten(min(out.bound, track.total), "HiGHS MILP (distance cut)")
        if out.values is None:
            break
        cols = local[np.flatnonzero(out.values[: len(local)] > 0.5)]
        total = prob.total(cols)
        track.milp_total = total
        track.offer(cols, total)
        if not out.optimal:
            break
        if track.proved():
            track.kind, track.proof = "exact", "HiGHS MILP optimal (distance cut, no resident capped)"
            return
        # Residents whose time exceeds their radius were capped: widen their cut and solve again.
        now = prob.current(cols)
        capped = (now > radius + 1e-12) & (radius < prob.base)
        if not capped.any():  # numerically equal values: the proof above stands
            track.kind, track.proof = "exact", "HiGHS MILP optimal (distance cut)"
            return
        d1, _, _ = nearest_two(prob, cols)
        radius[capped] = np.minimum(prob.base[capped], np.maximum(now[capped] * (1 + 1e-9) + 1e-9,
                                                                  _wider(radius[capped], d1[capped])))


def _cut_model(prob: Median, radius: np.ndarray, allowed: np.ndarray, forced: np.ndarray, p: int
               ) -> tuple[_Milp, np.ndarray, np.ndarray]:
    """The p-median MILP of the cut problem: pairs within each radius, allowed candidates only.

    Returns the model (objective: the cut problem's total minutes), the candidate of each of
    its site columns and the group of each of its rows.
    """
    local = np.flatnonzero(allowed)
    position = np.full(prob.n, -1, dtype=np.int64)
    position[local] = np.arange(len(local))
    keep = (prob.data < radius[prob.rows]) & allowed[prob.cols]
    r, c, v = prob.rows[keep], position[prob.cols[keep]], prob.data[keep]
    rows = np.unique(r)
    row_pos = np.full(prob.m, -1, dtype=np.int64)
    row_pos[rows] = np.arange(len(rows))
    t = sparse.csr_matrix((v, (row_pos[r], c)), shape=(len(rows), len(local)))
    capped = np.minimum(prob.base, radius)
    model, _ = _pmedian_model(t, prob.w[rows], capped[rows], p)
    others = np.ones(prob.m, dtype=bool)
    others[rows] = False
    model.offset += prob.const + float(prob.w[others] @ capped[others])
    model.col_lower[position[forced]] = 1.0
    return model, local, rows


def _cut_start(cols: np.ndarray, model: _Milp, local: np.ndarray, prob: Median, radius: np.ndarray,
               rows: np.ndarray, allowed: np.ndarray, forced: np.ndarray) -> np.ndarray | None:
    """The incumbent as a start of the cut MILP (when it obeys the fixings): sites, then each
    resident's nearest open site within its radius."""
    cols = np.asarray(cols, dtype=np.int64)
    if not allowed[cols].all() or not np.isin(forced, cols).all():
        return None
    n = len(local)
    start = np.zeros(model.matrix.shape[1])
    position = np.full(prob.n, -1, dtype=np.int64)
    position[local] = np.arange(n)
    start[position[cols]] = 1.0
    # z columns follow the model's COO order of the cut matrix: rebuild it the same way.
    keep = (prob.data < radius[prob.rows]) & allowed[prob.cols]
    r, c, v = prob.rows[keep], position[prob.cols[keep]], prob.data[keep]
    row_pos = np.full(prob.m, -1, dtype=np.int64)
    row_pos[rows] = np.arange(len(rows))
    coo = sparse.csr_matrix((v, (row_pos[r], c)), shape=(len(rows), n)).tocoo()
    is_open = np.zeros(n, dtype=bool)
    is_open[position[cols]] = True
    gain = np.where(is_open[coo.col], -coo.data, -np.inf)
    order = np.lexsort((-gain, coo.row))
    first = np.ones(len(order), dtype=bool)
    first[1:] = coo.row[order][1:] != coo.row[order][:-1]
    best = order[first & np.isfinite(gain[order])]
    start[n + best] = 1.0
    return start


# ---------------------------------------------------------------------------- capacities
def _capacitated(times: sparse.spmatrix, weight: np.ndarray, base_minutes: np.ndarray, *, p: int,
                 capacity: np.ndarray, deadline: Deadline) -> Solution:
    """Capacitated p-median, exact by HiGHS: sites serve at most their capacity, residents may split."""
    prob = median_instance(times, weight, base_minutes, merge_columns=False)
    n = prob.n
    p_eff = min(p, n)
    cap = np.asarray(capacity, dtype=np.float64)
    coo = prob.t.tocoo()
    pr, pc = coo.row.astype(np.int64), coo.col.astype(np.int64)
    value = prob.w[pr] * (prob.base[pr] - coo.data)
    model, layout = _capacitated_model(sparse.csr_matrix(prob.t), prob.w, cap, p=p_eff, target=None, value=value)
    baseline = prob.baseline
    # As minutes: minimise baseline − saving (HiGHS then reports person-minutes).
    model.cost = -model.cost
    model.maximize = False
    model.offset = baseline
    known: dict[bytes, tuple[float, np.ndarray]] = {}

    def assigned(cols: np.ndarray) -> tuple[float, np.ndarray]:
        """Person-minutes and pair shares of the best assignment to the open sites ``cols``."""
        cols = np.sort(np.asarray(cols, dtype=np.int64))
        key = cols.tobytes()
        if key not in known:
            z = _assign_pairs(model, n, cols, until=deadline.end, deadline=deadline, value=value)
            if z is None:
                z = _fill_by_saving(prob, pr, pc, value, cap, cols)
            known[key] = (baseline - float(value @ z), z)
        return known[key]

    def decode(values: np.ndarray) -> tuple[np.ndarray, float]:
        cols = np.flatnonzero(values[:n] > 0.5)
        z = np.clip(values[n:], 0.0, 1.0)
        known[np.sort(cols).tobytes()] = (baseline - float(value @ z), z)
        return cols, baseline - float(value @ z)

    g_cols = _greedy_by_saving(prob, pr, pc, value, cap, p_eff)
    g_obj = assigned(g_cols)[0] if len(g_cols) else baseline
    # Without capacities the same sites can only do better: that optimum bounds this one.
    lower, source = _everyone_at_best(prob), "trivial"
    if deadline.limit_s > 0 and p_eff and not deadline.passed():
        # Quietly: its sites and totals are those of the problem without capacities.
        lag = lagrangian(prob, p_eff, greedy_sites(prob, p_eff), deadline=replace(deadline, progress=None),
                         iterations=500)
        if lag.bound > lower:
            lower, source = lag.bound, "Lagrangian (without capacities)"

    def lp_round(values: np.ndarray) -> tuple[np.ndarray, float]:
        cols = np.sort(np.argsort(-values[:n], kind="stable")[:p_eff])
        return cols, assigned(cols)[0]

    sol = _finish(greedy_chosen=g_cols, greedy_obj=g_obj, model=model if n else None, start=None, decode=decode,
                  trivial_bound=lower, maximize=False, deadline=deadline, lp_round=lp_round, bound_source=source)
    chosen = np.sort(np.asarray(sol.chosen, dtype=np.int64))
    _, z = assigned(chosen) if len(chosen) else (baseline, np.zeros(len(pr)))
    _attach_assignment(sol, prob, pr, pc, z, chosen, value)
    sol.seconds = deadline.elapsed()
    sol.reduced_shape = (prob.m, prob.n)
    return sol


def _attach_assignment(sol: Solution, prob: Median, pr: np.ndarray, pc: np.ndarray, z: np.ndarray,
                       chosen: np.ndarray, value: np.ndarray) -> None:
    """Residents served per site, share of each input row served, and the row × site shares."""
    sol.chosen = chosen
    position = np.full(prob.n, -1, dtype=np.int64)
    position[chosen] = np.arange(len(chosen))
    on = (z > 1e-12) & (position[pc] >= 0)
    group_share = sparse.csr_matrix((z[on], (pr[on], position[pc[on]])), shape=(prob.m, len(chosen)))
    sol.served = np.asarray(group_share.T @ prob.w).ravel()
    sol.minutes_saved = np.bincount(position[pc[on]], weights=value[on] * z[on], minlength=len(chosen))
    # Every input row takes its group's shares (merged rows are identical).
    alive = prob.row_group >= 0
    expand = sparse.csr_matrix((np.ones(int(alive.sum())), (np.flatnonzero(alive), prob.row_group[alive])),
                               shape=(len(prob.row_group), prob.m))
    sol.assignment = sparse.csr_matrix(expand @ group_share)
    sol.row_share = np.minimum(np.asarray(sol.assignment.sum(axis=1)).ravel(), 1.0)


def _greedy_by_saving(prob: Median, pr: np.ndarray, pc: np.ndarray, value: np.ndarray, cap: np.ndarray,
                      p: int) -> np.ndarray:
    """Greedy with capacities: add the site whose best fill (most minutes saved per resident
    first, up to its capacity) of the residents still at their base time saves the most."""
    remaining = prob.w.copy()
    chosen: list[int] = []
    per_resident = value / np.maximum(prob.w[pr], 1e-300)
    # Every site's pairs, best saving per resident first: the order never changes, only what is left.
    order = np.lexsort((-per_resident, pc))
    col, row, gain_each = pc[order], pr[order], per_resident[order]
    start = np.searchsorted(col, np.arange(prob.n + 1))
    for _ in range(p):
        take = _fill_in_order(col, row, remaining, cap, start)
        gain = np.bincount(col, weights=take * gain_each, minlength=prob.n)
        gain[chosen] = -np.inf
        j = int(np.argmax(gain))
        if not np.isfinite(gain[j]):
            break
        chosen.append(j)
        mine = slice(start[j], start[j + 1])
        np.subtract.at(remaining, row[mine], take[mine])
        np.maximum(remaining, 0.0, out=remaining)
    return np.sort(np.asarray(chosen, dtype=np.int64))


def _fill_in_order(col: np.ndarray, row: np.ndarray, remaining: np.ndarray, cap: np.ndarray,
                   start: np.ndarray) -> np.ndarray:
    """Residents each site would take of ``remaining``, its pairs in the given order, up to capacity."""
    avail = remaining[row]
    before = np.cumsum(avail) - avail
    used_before = before - np.concatenate([[0.0], np.cumsum(avail)])[start[col]]
    return np.clip(cap[col] - used_before, 0.0, avail)


def _fill_by_saving(prob: Median, pr: np.ndarray, pc: np.ndarray, value: np.ndarray, cap: np.ndarray,
                    cols: np.ndarray) -> np.ndarray:
    """A feasible assignment to the open sites ``cols`` in turn (when the LP had no time): shares per pair."""
    remaining = prob.w.copy()
    z = np.zeros(len(pr))
    per_resident = value / np.maximum(prob.w[pr], 1e-300)
    order = np.lexsort((-per_resident, pc))
    start = np.searchsorted(pc[order], np.arange(prob.n + 1))
    for j in np.asarray(cols, dtype=np.int64):
        idx = order[start[j] : start[j + 1]]
        avail = remaining[pr[idx]]
        take = np.clip(cap[j] - (np.cumsum(avail) - avail), 0.0, avail)
        z[idx] = take / prob.w[pr[idx]]
        remaining[pr[idx]] -= take
    return z
