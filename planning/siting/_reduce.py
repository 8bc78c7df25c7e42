"""Reduction of covering problems without changing their optimum (see :mod:`planning.siting._solvers`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse


# ---------------------------------------------------------------------------- reduction
@dataclass
class Reduced:
    """A coverage problem after reduction: ``cover`` rows are merged demand groups."""

    cover: sparse.csr_matrix  # rows × kept columns, 1.0 where the candidate reaches the group
    weight: np.ndarray  # population of each group
    columns: np.ndarray  # original candidate index of every kept column
    row_group: np.ndarray  # for every original demand row: its group, or -1 when dropped


def _row_keys(matrix: sparse.csr_matrix, *extra: np.ndarray, with_data: bool = False) -> np.ndarray:
    """Exact group label of every row: rows with equal entries (and extra values) share one.

    Labels count up in order of first appearance. Rows are grouped by two random projections of
    their entries (one pass over the matrix), then every row is compared entry by entry with
    the first row of its group; the rare groups a coincidence of projections merged wrongly are
    split again by their exact bytes.
    """
    csr = sparse.csr_matrix(matrix)
    if not csr.has_sorted_indices:
        csr = csr.copy()
        csr.sort_indices()
    m, n = csr.shape
    if m == 0:
        return np.zeros(0, dtype=np.int64)
    ptr, idx = csr.indptr, csr.indices
    data = csr.data if with_data else np.ones(len(idx))
    lengths = np.diff(ptr)
    rng = np.random.default_rng(20_240_515)
    c1 = rng.random(n) + 0.5
    x = np.asarray(data, dtype=np.float64)
    # One projection per row, summed by segments (rows are contiguous); the check below is exact.
    mixed = c1[idx] * (1.0 + x * (1.0 + c1[idx]))
    h1 = np.zeros(m)
    nonempty = np.flatnonzero(lengths > 0)
    if len(nonempty):
        h1[nonempty] = np.add.reduceat(mixed, ptr[:-1][nonempty])
    frame = pd.DataFrame({"n": lengths, "h1": h1, **{f"e{k}": e for k, e in enumerate(extra)}})
    group = frame.groupby(list(frame.columns), sort=False, dropna=False).ngroup().to_numpy()
    first = np.full(int(group.max()) + 1, m, dtype=np.int64)
    np.minimum.at(first, group, np.arange(m))
    rep = first[group]
    check = np.flatnonzero((rep != np.arange(m)) & (lengths > 0))
    if len(check):
        own = _spans(ptr[check], lengths[check])
        theirs = _spans(ptr[rep[check]], lengths[check])
        differ = (idx[own] != idx[theirs]) | (np.asarray(data)[own] != np.asarray(data)[theirs])
        bad_rows = check[np.unique(np.repeat(np.arange(len(check)), lengths[check])[differ])]
        if len(bad_rows):
            group = _split_exact(csr, group, np.unique(group[bad_rows]), with_data, extra)
    return group


def _spans(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(start, start + length)``."""
    return np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(int(lengths.sum()))


def _split_exact(csr: sparse.csr_matrix, group: np.ndarray, bad: np.ndarray, with_data: bool,
                 extra: tuple[np.ndarray, ...]) -> np.ndarray:
    """Relabel the rows of the groups ``bad`` by their exact entries (and extra values)."""
    ptr, idx, data = csr.indptr, csr.indices, csr.data
    rows = np.flatnonzero(np.isin(group, bad))
    keys = [idx[ptr[i] : ptr[i + 1]].tobytes() + (data[ptr[i] : ptr[i + 1]].tobytes() if with_data else b"")
            + b"".join(np.asarray(e[i]).tobytes() for e in extra) for i in rows]
    frame = pd.DataFrame({"g": group, "k": b""})
    frame.loc[rows, "k"] = pd.Series(keys, index=rows, dtype=object)
    return frame.groupby(["g", "k"], sort=False).ngroup().to_numpy()


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
