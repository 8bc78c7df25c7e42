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
