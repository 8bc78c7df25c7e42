"""Greedy heuristics, swap local search and the Lagrangian bound for the siting models."""

from __future__ import annotations

import time

import numpy as np
from scipy import sparse

from planning.siting._solution import OPTIMALITY_TOLERANCE


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
            if time.perf_counter() > deadline:  # a round costs p sparse products: do not overrun
                return chosen
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
    """Remove sites (last added first) while the rest still cover ``target``.

    Keeps, per row, how many kept sites reach it, so a trial costs one column and one pass
    over the rows instead of a sparse product over every kept site.
    """
    csc = sparse.csc_matrix(cover)
    w = np.asarray(weight, dtype=np.float64)
    keep = [int(j) for j in np.asarray(chosen, dtype=np.int64)]
    count = np.zeros(csc.shape[0], dtype=np.int64)
    for j in keep:
        np.add.at(count, csc.indices[csc.indptr[j] : csc.indptr[j + 1]], 1)
    for j in list(keep)[::-1]:
        rows = csc.indices[csc.indptr[j] : csc.indptr[j + 1]]
        trial = count.copy()
        np.subtract.at(trial, rows, 1)
        if float(w[trial > 0].sum()) >= target:
            keep.remove(j)
            count = trial
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
        got = _fill(csc, remaining, reach_count, j, float(capacity[j]))
        open_[j] = True
        chosen.append(j)
        served.append(got)
        total += got
    return np.asarray(chosen, dtype=np.int64), np.asarray(served, dtype=np.float64)


def _fill(csc: sparse.csc_matrix, remaining: np.ndarray, reach_count: np.ndarray, j: int, left: float) -> float:
    """Site ``j`` serves up to ``left`` residents, those with the fewest other candidates first."""
    rows = csc.indices[csc.indptr[j] : csc.indptr[j + 1]]
    rows = rows[np.argsort(reach_count[rows], kind="stable")]
    got = 0.0
    for i in rows:
        if left <= 0:
            break
        take = min(left, remaining[i])
        remaining[i] -= take
        left -= take
        got += take
    return got


def fill_sites(
    cover: sparse.csr_matrix, weight: np.ndarray, capacity: np.ndarray, cols: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """A feasible assignment to open sites ``cols`` (in turn, as :func:`greedy_capacitated` fills them).

    Returns the residents each site serves and the share (0–1) of each row's residents served.
    """
    csc = sparse.csc_matrix(cover)
    w = np.asarray(weight, dtype=np.float64)
    remaining = w.copy()
    reach_count = np.diff(sparse.csr_matrix(cover).indptr)
    served = np.array([_fill(csc, remaining, reach_count, int(j), float(capacity[j])) for j in cols], dtype=float)
    share = np.divide(w - remaining, w, out=np.zeros_like(w), where=w > 0)
    return served, share


def greedy_median(
    times: sparse.csr_matrix, weight: np.ndarray, base: np.ndarray, *, p: int
) -> tuple[np.ndarray, np.ndarray]:
    """Add, one at a time, the candidate that saves the most weighted minutes.

    After each pick only the candidates that share a resident whose time just fell are
    re-scored (exactly, column by column as a full pass would), so a run costs about one pass
    over the matrix instead of ``p``.
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
    starts, ends = csc.indptr[cols], csc.indptr[cols + 1]
    lengths = ends - starts
    if lengths.sum() == 0:
        return np.zeros(len(cols))
    idx = np.repeat(ends - np.cumsum(lengths), lengths) + np.arange(int(lengths.sum()))
    rows = csc.indices[idx]
    saving = w[rows] * np.maximum(current[rows] - csc.data[idx], 0.0)
    return np.bincount(np.repeat(np.arange(len(cols)), lengths), weights=saving, minlength=len(cols))


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
            if time.perf_counter() > deadline:  # a round costs p passes over the matrix
                return chosen
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
