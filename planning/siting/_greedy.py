"""Greedy heuristics and swap local search for the covering models (p-median: :mod:`planning.siting._median`)."""

from __future__ import annotations

import numpy as np
from scipy import sparse

from planning.siting._deadline import Deadline


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
    deadline: Deadline | None = None,
    max_rounds: int = 1_000,
) -> np.ndarray:
    """Swap local search for maximal covering: exchange a chosen site for another while it pays.

    Each round finds the best single exchange exactly: the value of swapping ``j`` out and ``k``
    in is (weight only ``k`` would newly cover) − (weight only ``j`` covers) + (weight only
    ``j`` covers that ``k`` also reaches). One round costs a few sparse products. Only the
    round count and the deadline end it: no choice depends on the clock.
    """
    csc = sparse.csc_matrix(cover)
    csr = sparse.csr_matrix(cover)
    chosen = np.asarray(chosen, dtype=np.int64).copy()
    if len(chosen) == 0 or len(chosen) >= csc.shape[1]:
        return chosen
    for _ in range(max_rounds):
        if deadline is not None and deadline.passed():
            break
        count = np.asarray(csr[:, chosen].sum(axis=1)).ravel()
        gain_in = np.asarray(csc.T @ np.where(count == 0, weight, 0.0)).ravel()
        is_chosen = np.zeros(csc.shape[1], dtype=bool)
        is_chosen[chosen] = True
        gain_in[is_chosen] = -np.inf
        best_value, best_pair = 1e-9 * max(1.0, float(weight.sum())), None
        for pos, j in enumerate(chosen):
            if deadline is not None and deadline.passed():  # a round costs p sparse products
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
