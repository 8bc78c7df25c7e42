"""MILP builders for the siting models, and the best assignment to capacitated sites."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import sparse

from planning.siting._deadline import Deadline
from planning.siting._highs import _highs, _Milp


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
    a: sparse.csr_matrix, w: np.ndarray, cap: np.ndarray, *, p: int | None, target: float | None,
    value: np.ndarray | None = None,
) -> tuple[_Milp, tuple[np.ndarray, np.ndarray]]:
    """Columns x (sites) then z (share of group i served by site j, one per pair).

    Rows: Σ_j z_ij ≤ 1 per group; Σ_i w_i z_ij − cap_j x_j ≤ 0 per site; z_ij − x_j ≤ 0 per
    pair (tightens the relaxation); then Σ x = p (MCLP) or Σ_ij w_i z_ij ≥ target (LSCP).
    With ``p``, the objective is Σ value_ij z_ij (default: the residents served, w_i; for the
    capacitated p-median, the person-minutes saved), maximised.
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
        cost = np.concatenate([np.zeros(n), w[pr] if value is None else np.asarray(value, dtype=np.float64)])
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
    deadline: Deadline | None = None,
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
    z = _assign_pairs(model, n, cols, until=until, deadline=deadline, value=w[pr])
    if z is None:
        return fallback(cols)
    share = np.minimum(np.bincount(pr, weights=z, minlength=len(w)), 1.0)
    return np.bincount(pc, weights=z * w[pr], minlength=n)[cols], share


def _assign_pairs(model: _Milp, n: int, cols: np.ndarray, *, until: float, deadline: Deadline | None,
                  value: np.ndarray) -> np.ndarray | None:
    """Share of every pair in the best assignment to the open sites ``cols`` (maximising ``value``),
    or ``None`` when the LP is not solved by ``until``."""
    col_lower = model.col_lower.copy()
    col_upper = model.col_upper.copy()
    col_upper[:n] = 0.0
    col_upper[cols] = 1.0
    col_lower[cols] = 1.0
    row_lower = model.row_lower.copy()
    row_upper = model.row_upper.copy()
    row_lower[-1], row_upper[-1] = -np.inf, np.inf  # the count / target row no longer applies
    fixed = _Milp(
        cost=np.concatenate([np.zeros(n), value]),
        matrix=model.matrix,
        row_lower=row_lower,
        row_upper=row_upper,
        col_lower=col_lower,
        col_upper=col_upper,
        integer=model.integer,
        maximize=True,
    )
    out = _highs(fixed, until=until, start=None, relax=True, deadline=deadline)
    if not out.optimal or out.values is None:
        return None
    return np.clip(out.values[n:], 0.0, 1.0)


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


