"""Prefer the data's candidates (idle public buildings) to generated points.

The plans ask new facilities to go into idle public buildings (闲置的办公用房、培训中心、福利设施);
a generated point is only a place on a road where uncovered residents cluster, with no building
behind it yet. With both sources offered, the solver's plan is therefore revised by one rule:

    A generated point is kept only where it brings more than ``margin_pct`` % more residents into
    the circle (p-median: saves more than ``margin_pct`` % more person-minutes) than the best
    candidate of the data could bring in its place, the other sites staying as they are.

The generated sites of the plan are taken weakest first; each is replaced by the data's
candidate that adds the most given the other sites when that candidate adds at least
``1 / (1 + margin_pct / 100)`` of what the generated site adds (and, for set covering, the
target is still met); the pass is repeated until no site changes. The plan gives up at most
that share of a generated site's residents for each building it gains, and says how many
residents that costs (a note of the result).

Examples
--------
>>> import numpy as np
>>> from scipy import sparse
>>> cover = sparse.csr_matrix(np.array([[1, 1], [1, 1], [1, 0]]))   # 3 demand points, 2 candidates
>>> w = np.array([10.0, 10.0, 1.0])
>>> given = np.array([False, True])                                 # column 0 generated, 1 given
>>> swap_to_given(np.array([0]), cover=cover, w=w, existing=np.zeros(3, bool), given=given,
...               margin_pct=10.0).chosen.tolist()                     # 20 ≥ 21 / 1.1: the building
[1]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

#: Default margin: a generated point must bring 10 % more residents than the best building.
DEFAULT_MARGIN_PCT = 10.0


@dataclass
class Preference:
    """The revised plan: chosen columns, how many generated sites were replaced, what it cost.

    ``lost`` is in residents (cover models) or person-minutes (p-median); ``>= 0``.
    """

    chosen: np.ndarray
    swapped: int = 0
    lost: float = 0.0


def swap_to_given(chosen: np.ndarray, *, cover: sparse.csr_matrix, w: np.ndarray, existing: np.ndarray,
                  given: np.ndarray, margin_pct: float, target_covered: float | None = None) -> Preference:
    """Cover models (MCLP, LSCP): generated sites replaced by the data's candidates (see the module).

    Parameters
    ----------
    chosen : numpy.ndarray
        Columns of ``cover`` the solver chose.
    cover : scipy.sparse.csr_matrix
        Demand × candidate, 1 where the candidate's circle reaches the demand point.
    w : numpy.ndarray
        Residents per demand point.
    existing : numpy.ndarray
        Demand points inside an existing circle.
    given : numpy.ndarray
        Candidates of the data (True) and generated ones (False).
    margin_pct : float
    target_covered : float, optional
        Set covering: residents that must stay covered.
    """
    csc = sparse.csc_matrix(cover)
    cover_t = sparse.csr_matrix(csc.T)
    plan = [int(j) for j in chosen]
    keep = 1.0 / (1.0 + margin_pct / 100.0)
    swapped, lost = 0, 0.0
    while True:
        count = np.asarray(csc[:, plan].sum(axis=1)).ravel() if plan else np.zeros(len(w))
        made = False
        generated = [j for j in plan if not given[j]]
        own = {j: float(w[_rows(csc, j)][(count[_rows(csc, j)] == 1) & ~existing[_rows(csc, j)]].sum())
               for j in generated}
        for g in sorted(generated, key=lambda j: (own[j], j)):
            without = count - _column(csc, g, len(w))
            open_w = np.where(existing | (without > 0), 0.0, w)
            gains = cover_t @ open_w
            allowed = given.copy()
            allowed[plan] = False
            if not allowed.any():
                break
            best = int(np.flatnonzero(allowed)[np.argmax(gains[allowed])])
            covered_after = float(w[existing | (without > 0)].sum()) + float(gains[best])
            if gains[best] + 1e-9 >= keep * own[g] and (target_covered is None
                                                         or covered_after + 1e-6 >= target_covered):
                plan[plan.index(g)] = best
                swapped += 1
                lost += max(0.0, own[g] - float(gains[best]))
                made = True
                break
        if not made:
            return Preference(np.asarray(plan, dtype=np.int64), swapped, lost)


def swap_to_given_median(chosen: np.ndarray, *, minutes: sparse.csr_matrix, w: np.ndarray, base: np.ndarray,
                         given: np.ndarray, margin_pct: float) -> Preference:
    """p-median: the same rule with person-minutes saved in place of residents covered.

    ``base`` is each demand point's minutes without new sites (to an existing facility, capped
    at the model's penalty); ``minutes`` holds demand × candidate minutes within the cut-off.
    """
    csc = sparse.csc_matrix(minutes)
    coo = sparse.coo_matrix(minutes)
    plan = [int(j) for j in chosen]
    keep = 1.0 / (1.0 + margin_pct / 100.0)
    swapped, lost = 0, 0.0

    def best_of(columns: list[int]) -> np.ndarray:
        out = base.astype(float).copy()
        for j in columns:
            rows = _rows(csc, j)
            np.minimum.at(out, rows, csc.data[csc.indptr[j]:csc.indptr[j + 1]])
        return out

    while True:
        now = best_of(plan)
        made = False
        generated = [j for j in plan if not given[j]]
        without = {g: best_of([j for j in plan if j != g]) for g in generated}
        own = {g: float((w * (without[g] - now)).sum()) for g in generated}
        for g in sorted(generated, key=lambda j: (own[j], j)):
            saved = np.bincount(coo.col, weights=w[coo.row] * np.maximum(0.0, without[g][coo.row] - coo.data),
                                minlength=minutes.shape[1])
            allowed = given.copy()
            allowed[plan] = False
            if not allowed.any():
                break
            best = int(np.flatnonzero(allowed)[np.argmax(saved[allowed])])
            if saved[best] + 1e-9 >= keep * own[g]:
                plan[plan.index(g)] = best
                swapped += 1
                lost += max(0.0, own[g] - float(saved[best]))
                made = True
                break
        if not made:
            return Preference(np.asarray(plan, dtype=np.int64), swapped, lost)


def _rows(csc: sparse.csc_matrix, j: int) -> np.ndarray:
    return csc.indices[csc.indptr[j]:csc.indptr[j + 1]]


def _column(csc: sparse.csc_matrix, j: int, n: int) -> np.ndarray:
    out = np.zeros(n)
    out[_rows(csc, j)] = 1.0
    return out
