"""p-median cores: the instance, greedy, vertex substitution and the Lagrangian bound.

Savings form
------------
Residents keep their time to the nearest existing facility, ``base_i`` (capped at the penalty
time). A candidate ``j`` saves ``v_ij = w_i (base_i − t_ij)`` person-minutes for resident ``i``
when it is the nearest open site, so only pairs with ``t_ij < base_i`` are kept. p-median is

    maximise Σ v_ij z_ij   s.t.  Σ_j z_ij ≤ 1,  z_ij ≤ x_j,  Σ_j x_j = p,  x binary,

and the total minutes are ``Σ w_i base_i − saving``.

Lagrangian bound
----------------
Relaxing ``Σ_j z_ij ≤ 1`` with multipliers ``μ_i ≥ 0`` gives, for every μ,

    L(μ) = Σ_i μ_i + (sum of the p largest ρ_j),   ρ_j = Σ_i max(0, v_ij − μ_i),

an upper bound on every solution's saving (the relaxed problem has no other coupling and its
optimum opens the p best columns). It is minimised by projected subgradient steps (Polyak's
step towards the best saving known). This relaxation has the integrality property, so its best
value equals the LP relaxation's, which for p-median is usually within a fraction of a percent
of the optimum — and it costs a few passes over the pairs per step, where the LP does not.

Distance cuts (why dropping far pairs keeps every answer exact)
---------------------------------------------------------------
Each multiplier is a radius: ``v_ij − μ_i > 0`` exactly when ``t_ij < r_i = base_i − μ_i / w_i``,
so only the pairs closer than each resident's radius add to any ``ρ_j``; every other pair adds 0
and can be left out of the step without changing ``L(μ)`` at all. The pairs of each resident
are kept sorted by time once, so the pairs of a step are a prefix of each resident's list
(found by bisection) and a step costs the pairs within the radii, not all pairs. The bound
reported is ``L`` at the best multipliers, recomputed over every pair, so it is valid exactly
(not up to rounding of the radii). Vertex substitution uses the same prefixes: pairs farther
than a resident's second-nearest open site cannot change any exchange's value.

A cut also makes the MILP small. In the *cut problem* each resident's time is capped at
``R_i``: ``f_R(S) = Σ w_i min(base_i, R_i, min_{j∈S} t_ij) ≤ f(S)`` for every site set ``S``, so
``OPT_R ≤ OPT``, and only the pairs with ``t_ij < R_i`` appear. If an optimal ``S'`` of the cut
problem has ``f(S') = f_R(S')`` (no resident capped), then ``f(S') = OPT_R ≤ OPT ≤ f(S')``: ``S'``
is optimal. Otherwise the radii of the capped residents grow and the cut problem is solved again
(see :mod:`planning.siting._pmedian`). The radii start at the larger of each resident's
second-nearest open site in the incumbent and its Lagrangian radius (at an ideal multiplier a
resident's radius lies between its nearest and second-nearest open sites, where its assignment
is decided).

Variable fixing
---------------
With the best multipliers, ``Σμ + ρ_j + (the p − 1 largest other ρ)`` bounds every solution that
opens ``j``; when it is no more than the incumbent's saving, no better solution opens ``j`` and
``j`` is left out of the MILP. Symmetrically a site without which the bound falls to the
incumbent is kept open. Both are valid for "a solution better than the incumbent", which is all
the MILP looks for.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from planning.siting._deadline import Deadline
from planning.siting._reduce import _row_keys, _spans
from planning.siting._solution import OPTIMALITY_TOLERANCE


# ---------------------------------------------------------------------------- the instance
@dataclass
class Median:
    """A p-median instance after reduction: pairs that beat the existing facility, rows merged.

    ``rows``/``cols``/``data`` list every pair sorted by group, then by minutes, so that the
    pairs of a group within any time are a prefix of its list (``ptr`` gives where each starts).
    """

    t: sparse.csr_matrix  # groups × kept columns, minutes (only t < base), sorted indices
    w: np.ndarray  # residents of each group
    base: np.ndarray  # minutes to the nearest existing facility (capped at the penalty)
    const: float  # person-minutes of residents no candidate improves (dropped rows)
    columns: np.ndarray  # original candidate index of each kept column
    row_group: np.ndarray  # for every original row: its group, or -1 when dropped
    csc: sparse.csc_matrix = field(init=False, repr=False)
    ptr: np.ndarray = field(init=False, repr=False)
    rows: np.ndarray = field(init=False, repr=False)
    cols: np.ndarray = field(init=False, repr=False)
    data: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.t.sort_indices()
        self.csc = sparse.csc_matrix(self.t)
        self.csc.sort_indices()
        self.ptr = self.t.indptr.astype(np.int64)
        lengths = np.diff(self.ptr)
        self.rows = np.repeat(np.arange(self.t.shape[0]), lengths)
        order = _sort_within_rows(self.ptr, self.rows, self.t.data)
        self.cols = self.t.indices.astype(np.int64)[order]
        self.data = self.t.data[order]

    @property
    def m(self) -> int:
        return int(self.t.shape[0])

    @property
    def n(self) -> int:
        return int(self.t.shape[1])

    @property
    def baseline(self) -> float:
        """Person-minutes with no new site."""
        return self.const + float(self.w @ self.base)

    def saving(self) -> np.ndarray:
        """Person-minutes saved by each pair (in the sorted order)."""
        return self.w[self.rows] * (self.base[self.rows] - self.data)

    def current(self, cols: np.ndarray) -> np.ndarray:
        """Each group's minutes with the sites ``cols`` open."""
        cur = self.base.copy()
        r, v, _ = _column_pairs(self.csc, np.asarray(cols, dtype=np.int64))
        if len(r):
            np.minimum.at(cur, r, v)
        return cur

    def total(self, cols: np.ndarray) -> float:
        """Person-minutes with the sites ``cols`` open."""
        return self.const + float(self.w @ self.current(cols))

    def within(self, limit: np.ndarray) -> np.ndarray:
        """Positions (in the sorted pairs) of every pair closer than its group's ``limit``."""
        return _spans(self.ptr[:-1], _prefix_counts(self.ptr, self.data, limit))


def _sort_within_rows(ptr: np.ndarray, rows: np.ndarray, data: np.ndarray) -> np.ndarray:
    """Order of the pairs by row, then minutes (rows stay in place)."""
    lengths = np.diff(ptr)
    m = len(lengths)
    if m == 0 or len(data) == 0:
        return np.arange(len(data))
    width = int(lengths.max())
    if (lengths == width).all():
        # Every resident reaches every candidate (all pairs): a plain 2-D sort.
        return (ptr[:-1, None] + np.argsort(data.reshape(m, width), axis=1)).ravel()
    if m * width <= 3 * len(data):
        # Rows of similar length: one 2-D sort, much faster than sorting every pair by two keys.
        grid = np.full((m, width), np.inf)
        within = np.arange(len(data)) - np.repeat(ptr[:-1], lengths)
        grid[rows, within] = data
        order = np.argsort(grid, axis=1)
        keep = np.arange(width)[None, :] < lengths[:, None]
        return (ptr[:-1, None] + order)[keep]
    return np.lexsort((data, rows))


def _prefix_counts(ptr: np.ndarray, data: np.ndarray, limit: np.ndarray) -> np.ndarray:
    """Per row, how many of its (sorted) pairs are below ``limit`` (bisection on every row at once)."""
    lo, hi = ptr[:-1].copy(), ptr[1:].copy()
    active = np.flatnonzero(lo < hi)
    while len(active):
        mid = (lo[active] + hi[active]) // 2
        below = data[mid] < limit[active]
        lo[active] = np.where(below, mid + 1, lo[active])
        hi[active] = np.where(below, hi[active], mid)
        active = active[lo[active] < hi[active]]
    return lo - ptr[:-1]


def median_instance(
    times: sparse.spmatrix, weight: np.ndarray, base: np.ndarray, *, merge_columns: bool = True
) -> Median:
    """Keep the pairs that beat the existing facility; merge identical rows (and columns).

    Both merges are exact: residents with the same times to every candidate and the same base
    behave as one group of their total weight (also when capacities split them), and candidates
    with the same times to everyone are interchangeable (not merged with capacities, which may
    differ).
    """
    t = sparse.csr_matrix(times, dtype=np.float64, copy=True)
    t.sum_duplicates()
    t.sort_indices()
    w = np.asarray(weight, dtype=np.float64)
    base = np.asarray(base, dtype=np.float64)
    rows = np.repeat(np.arange(t.shape[0]), np.diff(t.indptr))
    useful = (t.data < base[rows]) & (w[rows] > 0)
    if not useful.all():
        counts = np.bincount(rows[useful], minlength=t.shape[0])
        t = sparse.csr_matrix((t.data[useful], t.indices[useful], np.concatenate([[0], np.cumsum(counts)])),
                              shape=t.shape)
    alive = np.flatnonzero(np.diff(t.indptr) > 0)
    const = float(w @ base) - float(w[alive] @ base[alive])
    sub = t[alive] if len(alive) < t.shape[0] else t
    columns = np.arange(t.shape[1])
    if merge_columns and sub.shape[1] > 1 and sub.nnz:
        keys = _row_keys(sparse.csr_matrix(sub.T), with_data=True)
        _, first = np.unique(keys, return_index=True)
        if len(first) < sub.shape[1]:
            columns = np.sort(first)
            sub = sparse.csr_matrix(sub[:, columns])
            sub.sort_indices()
    group = _row_keys(sub, base[alive], with_data=True) if len(alive) else np.zeros(0, np.int64)
    n_groups = int(group.max()) + 1 if len(group) else 0
    first_row = np.full(n_groups, -1, dtype=np.int64)
    first_row[group[::-1]] = np.arange(len(group))[::-1]
    if n_groups == len(group):
        merged = sparse.csr_matrix(sub)
    else:
        merged = sparse.csr_matrix(sub[first_row]) if n_groups else sparse.csr_matrix((0, len(columns)))
    row_group = np.full(t.shape[0], -1, dtype=np.int64)
    row_group[alive] = group
    return Median(t=merged, w=np.bincount(group, weights=w[alive], minlength=n_groups),
                  base=base[alive][first_row] if n_groups else np.zeros(0), const=const,
                  columns=columns, row_group=row_group)


def _column_pairs(csc: sparse.csc_matrix, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows, minutes and position in ``cols`` of every stored pair of the columns ``cols``."""
    starts = csc.indptr[cols]
    lengths = csc.indptr[cols + 1] - starts
    idx = _spans(starts, lengths)
    return csc.indices[idx], csc.data[idx], np.repeat(np.arange(len(cols)), lengths)


def nearest_two(prob: Median, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For every group: minutes to the nearest open site (or base), its position in ``cols``
    (−1: the existing facility; of equally near sites the first), and minutes to the second
    nearest (or base)."""
    r, v, pos = _column_pairs(prob.csc, np.asarray(cols, dtype=np.int64))
    d1, d2 = prob.base.copy(), prob.base.copy()
    np.minimum.at(d1, r, v)
    at_best = v == d1[r]
    first = np.full(prob.m, len(cols), dtype=np.int64)
    np.minimum.at(first, r[at_best], pos[at_best])
    phi = np.where(first < len(cols), first, -1)
    others = pos != phi[r]
    np.minimum.at(d2, r[others], v[others])
    return d1, phi, d2


# ---------------------------------------------------------------------------- greedy
def greedy_sites(prob: Median, p: int) -> np.ndarray:
    """Greedy (lazy): add the site that saves the most, ``p`` times.

    Savings only fall as sites are added (the objective is submodular), so a site's last
    computed saving bounds its current one: only the site on top of these bounds is re-scored,
    until the top one is up to date. A run costs one pass over the pairs and a few columns per pick.
    """
    n = prob.n
    cur = prob.base.copy()
    bound = np.bincount(prob.cols, weights=prob.saving(), minlength=n).astype(np.float64)
    fresh = np.ones(n, dtype=bool)
    chosen: list[int] = []
    for _ in range(min(p, n)):
        while True:
            j = int(np.argmax(bound))
            if fresh[j] or not np.isfinite(bound[j]):
                break
            sl = slice(prob.csc.indptr[j], prob.csc.indptr[j + 1])
            r = prob.csc.indices[sl]
            bound[j] = float(prob.w[r] @ np.maximum(cur[r] - prob.csc.data[sl], 0.0))
            fresh[j] = True
        sl = slice(prob.csc.indptr[j], prob.csc.indptr[j + 1])
        r = prob.csc.indices[sl]
        cur[r] = np.minimum(cur[r], prob.csc.data[sl])
        chosen.append(j)
        bound[j] = -np.inf
        fresh[:] = False
    return np.sort(np.asarray(chosen, dtype=np.int64))


def greedy_median(
    times: sparse.csr_matrix, weight: np.ndarray, base: np.ndarray, *, p: int
) -> tuple[np.ndarray, np.ndarray]:
    """Greedy on a matrix: the candidates in the order picked and the minutes each saves then.

    Used to rank chosen sites; re-scores only the candidates that share a resident whose time
    just fell.
    """
    csc = sparse.csc_matrix(times)
    csc.sort_indices()
    csr = sparse.csr_matrix(times)
    w = np.asarray(weight, dtype=np.float64)
    n = csc.shape[1]
    current = np.asarray(base, dtype=np.float64).copy()
    gain = _column_savings(csc, w, current, np.arange(n))
    chosen: list[int] = []
    saved: list[float] = []
    open_ = np.zeros(n, dtype=bool)
    for _ in range(min(p, n)):
        j = int(np.argmax(np.where(open_, -np.inf, gain)))
        sl = slice(csc.indptr[j], csc.indptr[j + 1])
        r, t = csc.indices[sl], csc.data[sl]
        better = t < current[r]
        open_[j] = True
        chosen.append(j)
        saved.append(float(gain[j]))
        if better.any():
            rows = r[better]
            current[rows] = t[better]
            touched = np.unique(csr[rows].indices)
            gain[touched] = _column_savings(csc, w, current, touched)
    return np.asarray(chosen, dtype=np.int64), np.asarray(saved, dtype=np.float64)


def _column_savings(csc: sparse.csc_matrix, w: np.ndarray, current: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Weighted minutes each of ``cols`` would save against ``current`` (one bincount per call)."""
    rows, minutes, pos = _column_pairs(csc, cols)
    if len(rows) == 0:
        return np.zeros(len(cols))
    saving = w[rows] * np.maximum(current[rows] - minutes, 0.0)
    return np.bincount(pos, weights=saving, minlength=len(cols))


# ---------------------------------------------------------------------------- vertex substitution
def swap_sites(
    prob: Median, chosen: np.ndarray, *, deadline: Deadline | None = None, max_rounds: int | None = None,
    report: bool = False,
) -> np.ndarray:
    """Vertex substitution (Teitz–Bart): the best single exchange, round after round, while it pays.

    Every exchange is valued at once (Whitaker's fast interchange, as Resende and Werneck
    vectorise it): with ``d1``/``d2`` the minutes to the nearest and second-nearest open site
    and ``φ`` the nearest, closing ``j`` and opening ``k`` saves

        gain(k) − loss(j) + extra(j, k),
        gain(k)     = Σ_i w_i max(0, d1_i − t_ik),
        loss(j)     = Σ_{φ(i)=j} w_i (d2_i − d1_i),
        extra(j, k) = Σ_{φ(i)=j, t_ik < d2_i} w_i (d2_i − max(t_ik, d1_i)),

    so a round costs a few passes over the pairs closer than each resident's ``d2`` (the others
    cannot matter; they are a prefix of each resident's sorted pairs). Deterministic: ties go to
    the first exchange in index order. The round count is the only limit besides the deadline,
    so a machine's load never changes which local optimum is reached unless the time runs out.
    ``report``: tell the deadline's progress of each better total (when ``chosen`` is the incumbent).
    """
    chosen = np.unique(np.asarray(chosen, dtype=np.int64))
    p, n = len(chosen), prob.n
    if p == 0 or p >= n:
        return chosen
    rounds = 10 * p + 50 if max_rounds is None else max_rounds
    tol = 1e-9 * max(prob.baseline, 1.0)
    w = prob.w
    for _ in range(rounds):
        if deadline is not None and deadline.passed():
            break
        d1, phi, d2 = nearest_two(prob, chosen)
        near = prob.within(d2)
        r, c, t = prob.rows[near], prob.cols[near], prob.data[near]
        wr = w[r]
        gain = np.bincount(c, weights=wr * np.maximum(d1[r] - t, 0.0), minlength=n)
        served = phi >= 0
        loss = np.bincount(phi[served], weights=(w * (d2 - d1))[served], minlength=p)
        ph = phi[r]
        e = ph >= 0
        extra = np.bincount(ph[e] * n + c[e], weights=wr[e] * (d2[r[e]] - np.maximum(t[e], d1[r[e]])),
                            minlength=p * n).reshape(p, n)
        extra += gain[None, :]
        extra -= loss[:, None]
        extra[:, chosen] = -np.inf
        best = int(np.argmax(extra))
        if extra.flat[best] <= tol:
            break
        chosen[best // n] = best % n
        chosen.sort()
        if report and deadline is not None:
            deadline.report(prob.const + float(w @ d1) - float(extra.flat[best]), np.nan)
    return chosen


# ---------------------------------------------------------------------------- Lagrangian bound
@dataclass
class Lagrange:
    """Outcome of the subgradient search."""

    bound: float  # least total person-minutes any solution can reach (valid whatever μ)
    cols: np.ndarray  # best sites found (incumbent, possibly improved)
    total: float  # their person-minutes
    fixed_closed: np.ndarray  # columns no better solution opens
    fixed_open: np.ndarray  # columns every better solution opens
    radius: np.ndarray  # minutes per group: where its best multiplier puts it
    iterations: int = 0
    pairs: float = 0.0  # mean pairs per step (within the radii)


def lagrangian(
    prob: Median, p: int, incumbent: np.ndarray, *, deadline: Deadline | None = None,
    iterations: int = 3_000, improve: bool = True, known_bound: float = -np.inf,
) -> Lagrange:
    """Subgradient search for the best Lagrangian bound (module notes).

    ``incumbent`` (p sites) sets the first multipliers (each resident's radius halfway between
    its nearest and second-nearest open site); the p sites of a step that beat it (after swaps
    when ``improve``) become the incumbent. Stops when the bound meets the incumbent, the step
    has shrunk to nothing, after ``iterations`` steps, or at the deadline. Progress reports never
    fall below ``known_bound``.
    """
    n, m = prob.n, prob.m
    inc = np.unique(np.asarray(incumbent, dtype=np.int64))
    inc_total = prob.total(inc)
    baseline = prob.baseline
    empty = np.zeros(0, np.int64)
    if m == 0 or p >= n or p == 0:
        every = np.arange(n) if p >= n else inc
        total = prob.total(every)
        return Lagrange(total, every, total, empty, every, prob.base.copy())
    w, base = prob.w, prob.base
    v_all = prob.saving()
    d1, _, d2 = nearest_two(prob, inc)
    mu = w * (base - 0.5 * (d1 + d2))
    abs_tol = OPTIMALITY_TOLERANCE * max(1.0, inc_total)
    best_u, best_mu = np.inf, mu.copy()
    theta, stall, done, pairs = 1.0, 0, 0, 0
    seen: set[bytes] = {inc.tobytes()}
    # Few pairs: one comparison over all of them costs less than the bisection's many small steps.
    small = len(prob.data) <= 250_000
    for done in range(1, iterations + 1):
        if deadline is not None and deadline.passed():
            break
        idx = np.flatnonzero(v_all > mu[prob.rows]) if small else prob.within(base - mu / w)
        r, c = prob.rows[idx], prob.cols[idx]
        pairs += len(idx)
        red = np.maximum(v_all[idx] - mu[r], 0.0)
        rho = np.bincount(c, weights=red, minlength=n)
        top = np.sort(np.argpartition(-rho, p - 1)[:p])
        u = float(mu.sum() + rho[top].sum())
        saving_inc = baseline - inc_total
        if not np.isfinite(best_u) or u < best_u - 1e-12 * max(1.0, abs(best_u)):
            best_u, best_mu, stall = u, mu.copy(), 0
            if deadline is not None:
                deadline.report(inc_total, max(known_bound, baseline - best_u))
        else:
            stall += 1
            if stall >= 25:
                theta, stall = theta / 2, 0
        key = top.tobytes()
        if key not in seen:
            seen.add(key)
            total = prob.total(top)
            if total < inc_total - abs_tol:
                cand = swap_sites(prob, top, deadline=deadline) if improve else top
                inc, inc_total = cand, prob.total(cand)
                seen.add(inc.tobytes())
                saving_inc = baseline - inc_total
                abs_tol = OPTIMALITY_TOLERANCE * max(1.0, inc_total)
                if deadline is not None:
                    deadline.report(inc_total, max(known_bound, baseline - best_u))
        if best_u - saving_inc <= abs_tol or theta < 1e-5:
            break
        open_ = np.zeros(n, dtype=bool)
        open_[top] = True
        g = 1.0 - np.bincount(r[open_[c] & (red > 0)], minlength=m)
        g[(mu <= 0) & (g > 0)] = 0.0  # μ ≥ 0: a step cannot go below
        norm = float(g @ g)
        if norm == 0.0:
            break
        mu = np.maximum(mu - theta * (u - saving_inc) / norm * g, 0.0)
    # The bound at the best multipliers over a slightly wider radius than the steps used, so that
    # no pair with a positive reduced saving is missed by the rounding of the radii: exact.
    radius = base - best_mu / w
    idx = prob.within(radius + 1e-9 * (np.abs(radius) + 1.0))
    red = np.maximum(v_all[idx] - best_mu[prob.rows[idx]], 0.0)
    rho = np.bincount(prob.cols[idx], weights=red, minlength=n)
    fixed_closed, fixed_open, best_u = _fixings(rho, best_mu, p, baseline - inc_total, abs_tol)
    radius = np.minimum(base, radius)
    return Lagrange(baseline - best_u, inc, inc_total, fixed_closed, fixed_open, radius, done,
                    pairs / max(done, 1))


def _wider(radius: np.ndarray, nearest: np.ndarray) -> np.ndarray:
    """A larger cut: twice as far past the nearest open site, and at least 1.5 times as far."""
    return np.maximum(nearest + 2.0 * (radius - nearest), 1.5 * radius) + 1e-9


def _fixings(rho: np.ndarray, mu: np.ndarray, p: int, saving_inc: float, tol: float
             ) -> tuple[np.ndarray, np.ndarray, float]:
    """Columns that no solution better than the incumbent opens / leaves closed (module notes),
    and the bound ``L(μ)`` itself."""
    n = len(rho)
    order = np.argsort(-rho, kind="stable")
    in_top = np.zeros(n, dtype=bool)
    in_top[order[:p]] = True
    pth = rho[order[p - 1]]
    next_ = rho[order[p]] if p < n else -np.inf
    u = float(mu.sum() + rho[order[:p]].sum())
    open_bound = np.where(in_top, u, u - pth + rho)
    closed_bound = np.where(in_top, u - rho + next_, u)
    return np.flatnonzero(open_bound <= saving_inc + tol), np.flatnonzero(closed_bound <= saving_inc + tol), u


def lagrangian_median(
    t: sparse.csr_matrix, w: np.ndarray, base: np.ndarray, p: int, *, deadline: Deadline | float | None = None,
    iterations: int = 3_000,
) -> tuple[float, np.ndarray, float]:
    """Lagrangian bound from the greedy sites, on a matrix: (least total minutes, best sites, their total)."""
    prob = median_instance(t, w, base)
    limit = deadline if isinstance(deadline, Deadline) else None
    p_eff = min(p, prob.n)
    out = lagrangian(prob, p_eff, greedy_sites(prob, p_eff), deadline=limit, iterations=iterations)
    chosen = prob.columns[out.cols]
    if len(chosen) < min(p, t.shape[1]):
        chosen = np.concatenate([chosen, np.setdiff1d(np.arange(t.shape[1]), chosen)[: min(p, t.shape[1]) - len(chosen)]])
    return out.bound, np.sort(chosen), out.total


def improve_median(
    t: sparse.csr_matrix, w: np.ndarray, base: np.ndarray, chosen: np.ndarray, *,
    deadline: Deadline | None = None,
) -> np.ndarray:
    """Vertex substitution from ``chosen`` on a matrix (:func:`swap_sites`); the original column indices."""
    prob = median_instance(t, w, base, merge_columns=False)
    return swap_sites(prob, np.asarray(chosen, dtype=np.int64), deadline=deadline)
