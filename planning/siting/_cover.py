"""Covering models: exact reductions, Lagrangian bounds from LP duals and variable fixing.

Dominated candidates
--------------------
A candidate whose residents are a subset of another candidate's can be left out of maximal
covering and set covering alike: in any solution it can be replaced by the other (or dropped,
when both are chosen) without covering fewer residents. (Not with capacities, which may differ.)

Dominated residents (full coverage only)
----------------------------------------
When every resident must be covered, a resident group whose candidates include all of another
group's is covered whenever that group is: its row is implied and left out. Both reductions
are applied in turn until neither changes anything.

Lagrangian bounds and fixing
----------------------------
With any multipliers ``λ_i ≥ 0`` on the links ``y_i ≤ Σ_j a_ij x_j`` (the LP's row duals are the
best ones) the relaxed problem separates into residents and candidates, which gives a bound
valid whatever ``λ`` is, computed exactly here rather than trusted from the LP solver:

- maximal covering: ``L = Σ_i max(0, w_i − λ_i) + (sum of the p largest ρ_j)``, ``ρ_j = Σ_i a_ij λ_i``;
- set covering: ``L = σ T + Σ_j min(0, c_j) + Σ_i min over y_i of (λ_i − σ w_i) y_i``,
  ``c_j = 1 − Σ_i a_ij λ_i`` (``σ`` on the target row ``Σ w_i y_i ≥ T``).

When the LP cannot be solved in the time there is, maximal covering's bound comes from a
subgradient search over ``λ`` instead (:func:`mclp_subgradient`): each step costs one sparse
product, and every step's ``L`` is a valid bound.

Forcing a candidate open or closed changes the relaxed optimum by a known amount (its ``ρ_j``
against the p-th / (p+1)-th largest, or its reduced cost ``c_j``), so whenever that bound is no
better than the incumbent, no *better* solution makes that choice and it is fixed. The MILP then
only searches for a better solution among the candidates left; when it finds none (or the
restricted problem is infeasible), the incumbent is optimal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from planning.siting._deadline import Deadline


# ---------------------------------------------------------------------------- domination
def _binary(a: sparse.spmatrix, fmt: str = "csr") -> sparse.spmatrix:
    out = sparse.csr_matrix(a, dtype=np.float64, copy=True) if fmt == "csr" else \
        sparse.csc_matrix(a, dtype=np.float64, copy=True)
    out.data[:] = 1.0
    return out


def dominated_columns(a: sparse.spmatrix) -> np.ndarray:
    """Candidates whose residents all lie within another candidate's (of equals, all but the first)."""
    csc = _binary(a, "csc")
    size = np.diff(csc.indptr)
    inter = sparse.coo_matrix(csc.T @ csc)
    j, k, v = inter.row, inter.col, inter.data
    sub = (j != k) & (v >= size[j] - 0.5) & ((size[k] > size[j]) | (k < j))
    out = np.zeros(csc.shape[1], dtype=bool)
    out[j[sub]] = True
    out[size == 0] = True
    return out


def dominated_rows(a: sparse.spmatrix, *, block: int = 2_000) -> np.ndarray:
    """Groups whose candidates include all of another group's (rows must be distinct)."""
    csr = _binary(a)
    size = np.diff(csr.indptr)
    at = sparse.csr_matrix(csr.T)
    out = np.zeros(csr.shape[0], dtype=bool)
    for s in range(0, csr.shape[0], block):
        b = sparse.coo_matrix(csr[s : s + block] @ at)
        i, k, v = b.row + s, b.col, b.data
        sub = (i != k) & (v >= size[k] - 0.5) & (size[k] < size[i])
        out[i[sub]] = True
    return out


def reduce_full_cover(a: sparse.csr_matrix, *, rounds: int = 20) -> tuple[sparse.csr_matrix, np.ndarray, np.ndarray]:
    """Drop dominated candidates and implied groups in turn (full coverage).

    Returns the reduced matrix, the kept columns and the kept rows (indices into ``a``).
    """
    cols = np.arange(a.shape[1])
    rows = np.arange(a.shape[0])
    sub = sparse.csr_matrix(a)
    for _ in range(rounds):
        dc = dominated_columns(sub) if sub.shape[1] > 1 else np.zeros(sub.shape[1], bool)
        if dc.all():
            dc[np.argmax(np.diff(sparse.csc_matrix(sub).indptr))] = False
        sub, cols = sparse.csr_matrix(sub[:, np.flatnonzero(~dc)]), cols[~dc]
        dr = dominated_rows(sub) if sub.shape[0] > 1 else np.zeros(sub.shape[0], bool)
        sub, rows = sparse.csr_matrix(sub[np.flatnonzero(~dr)]), rows[~dr]
        if not dc.any() and not dr.any():
            break
    sub.sort_indices()
    return sub, cols, rows


def drop_dominated_columns(a: sparse.csr_matrix, *, keep_at_least: int) -> np.ndarray:
    """Kept columns of a covering problem after leaving out dominated candidates (at least ``keep_at_least``)."""
    if a.shape[1] <= keep_at_least:
        return np.arange(a.shape[1])
    dom = dominated_columns(a)
    if int((~dom).sum()) < keep_at_least:
        # Dominated ones are still needed to fill p sites: keep the largest of them.
        size = np.diff(sparse.csc_matrix(a).indptr)
        extra = np.flatnonzero(dom)[np.argsort(-size[dom], kind="stable")][: keep_at_least - int((~dom).sum())]
        dom[extra] = False
    return np.flatnonzero(~dom)


# ---------------------------------------------------------------------------- bounds and fixing
@dataclass
class Fixing:
    """A Lagrangian bound and the candidates it fixes for any better solution."""

    bound: float
    closed: np.ndarray  # bool per column: no better solution opens it
    forced: np.ndarray  # bool per column: every better solution opens it


def mclp_fixing(a: sparse.csr_matrix, w: np.ndarray, p: int, lam: np.ndarray, incumbent: float,
                tol: float) -> Fixing:
    """Maximal covering: the Lagrangian bound at ``λ`` and the fixings it proves (module notes)."""
    n = a.shape[1]
    lam = np.maximum(np.asarray(lam, dtype=np.float64), 0.0)
    rho = np.asarray(sparse.csc_matrix(a).T @ lam).ravel()
    order = np.argsort(-rho, kind="stable")
    bound = float(np.maximum(w - lam, 0.0).sum() + rho[order[:p]].sum())
    in_top = np.zeros(n, dtype=bool)
    in_top[order[:p]] = True
    pth = rho[order[p - 1]] if p >= 1 else 0.0
    following = rho[order[p]] if p < n else -np.inf
    open_bound = np.where(in_top, bound, bound - pth + rho)
    closed_bound = np.where(in_top, bound - rho + following, bound)
    return Fixing(bound, open_bound <= incumbent + tol, closed_bound <= incumbent + tol)


def lscp_fixing(a: sparse.csr_matrix, w: np.ndarray, target: float, lam: np.ndarray, sigma: float,
                y_lower: np.ndarray, incumbent: float) -> Fixing:
    """Set covering: the Lagrangian bound at (``λ``, ``σ``) and the fixings it proves (integral sites)."""
    lam = np.maximum(np.asarray(lam, dtype=np.float64), 0.0)
    sigma = max(float(sigma), 0.0)
    c = 1.0 - np.asarray(sparse.csc_matrix(a).T @ lam).ravel()
    coef = lam - sigma * w
    y_part = np.where(coef >= 0, coef * y_lower, coef)
    bound = float(sigma * target + np.minimum(c, 0.0).sum() + y_part.sum())
    # A better solution has at most incumbent − 1 sites.
    limit = incumbent - 1.0 + 1e-6
    return Fixing(bound, bound + np.maximum(c, 0.0) > limit, bound + np.maximum(-c, 0.0) > limit)


def mclp_subgradient(a: sparse.csr_matrix, w: np.ndarray, p: int, incumbent: float, *, deadline: Deadline,
                     until: float, iterations: int = 5_000) -> float:
    """Best maximal-covering Lagrangian bound found by projected subgradient steps before ``until``."""
    csc, csr = sparse.csc_matrix(a), sparse.csr_matrix(a)
    n = a.shape[1]
    lam = 0.5 * w
    best, theta, stall = np.inf, 1.0, 0
    for _ in range(iterations):
        if deadline.passed(until):
            break
        rho = np.asarray(csc.T @ lam).ravel()
        top = np.argpartition(-rho, p - 1)[:p] if p < n else np.arange(n)
        bound = float(np.maximum(w - lam, 0.0).sum() + rho[top].sum())
        if bound < best - 1e-12 * max(1.0, abs(best)) or not np.isfinite(best):
            best, stall = bound, 0
            deadline.report(np.nan, best)
        else:
            stall += 1
            if stall >= 25:
                theta, stall = theta / 2, 0
        if best - incumbent <= 1e-6 * max(1.0, incumbent) or theta < 1e-6:
            break
        x = np.zeros(n)
        x[top] = 1.0
        g = np.asarray(csr @ x).ravel() - (lam < w)
        g[(lam <= 0) & (g > 0)] = 0.0
        g[(lam >= w) & (g < 0)] = 0.0
        norm = float(g @ g)
        if norm == 0.0:
            break
        lam = np.clip(lam - theta * (bound - incumbent) / norm * g, 0.0, w)
    return best


@dataclass
class Restricted:
    """A covering problem with fixed candidates taken out."""

    cover: sparse.csr_matrix  # kept groups × free candidates
    weight: np.ndarray
    free: np.ndarray  # column indices (of the unrestricted problem) of the free candidates
    forced: np.ndarray  # column indices of the candidates fixed open
    covered_weight: float  # weight the forced candidates cover


def restrict(a: sparse.csr_matrix, w: np.ndarray, fix: Fixing) -> Restricted:
    """Drop closed candidates, open forced ones; groups they cover (or nobody can) go."""
    forced = np.flatnonzero(fix.forced & ~fix.closed)
    free = np.flatnonzero(~fix.closed & ~fix.forced)
    covered = np.asarray(a[:, forced].sum(axis=1)).ravel() > 0 if len(forced) else np.zeros(a.shape[0], bool)
    sub = sparse.csr_matrix(a[np.flatnonzero(~covered)][:, free])
    alive = np.diff(sub.indptr) > 0
    rows = np.flatnonzero(~covered)[alive]
    out = sparse.csr_matrix(sub[np.flatnonzero(alive)])
    out.sort_indices()
    return Restricted(out, w[rows], free, forced, float(w[covered].sum()))
