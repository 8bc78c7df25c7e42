"""Siting models on matrices, as spopt's ``from_cost_matrix`` does; existing facilities stay fixed.

- :func:`mclp` (maximal covering): ``p`` new sites that bring the most uncovered residents into
  their circle;
- :func:`lscp` (set covering): the fewest new sites that reach a target coverage share;
- :func:`pmedian`: ``p`` new sites that minimise total population-weighted minutes to the
  nearest facility (existing or new).

Each is solved greedily (improved by swaps) and with HiGHS within one time limit for the whole
solve. Covering models: the LP relaxation for a bound, a rounded solution and the duals that fix
candidates, then the MILP on the candidates left. p-median: vertex substitution, the Lagrangian
bound on distance-cut pairs and, when that has not proved the answer, the MILP of the cut
problem (:mod:`planning.siting._pmedian`). Every model takes capacities (each new site serves at
most its capacity). The answer says which solution it is, its gap against the best bound,
which bound that is and whether the time ran out (see :mod:`planning.siting._solvers`).

Every model also takes ``progress(seconds, incumbent, bound)``, called on the caller's thread
while it solves, and ``stop``, a :class:`threading.Event` that ends the solve at once with the
best solution so far and its certified gap (:mod:`planning.siting._deadline`).

p-median cut-off
----------------
Only pairs within :data:`PMEDIAN_CUTOFF_FACTOR` × the demand point's circle time are stored
(urban: 30 minutes walking, rural: 60 minutes by the rural mode with the defaults). A resident
whose nearest facility, existing or candidate, is beyond the cut-off counts as exactly the
cut-off time (the penalty time). The penalty is a lower bound of the true time, so the model
never overstates what a far site saves; residents beyond every cut-off do not affect the choice.
"""

from __future__ import annotations

import threading

import numpy as np
from scipy import sparse

from geo._errors import DataError
from planning.siting._deadline import Progress
from planning.siting._solvers import Solution, solve_lscp, solve_mclp, solve_pmedian
from planning.texts import Note

#: p-median stores pairs up to this multiple of each resident's circle time (see module notes).
PMEDIAN_CUTOFF_FACTOR = 2.0


def mclp(
    cover: sparse.spmatrix,
    population: np.ndarray,
    *,
    p: int,
    covered_by_existing: np.ndarray | None = None,
    capacity: np.ndarray | None = None,
    time_limit_s: float = 60.0,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
) -> Solution:
    """Maximal covering: ``p`` new sites that newly cover the most residents.

    Parameters
    ----------
    cover : scipy.sparse matrix, demand × candidates
        Non-zero where the candidate lies within the demand point's circle.
    population : numpy.ndarray
        Residents at each demand point.
    p : int
        New sites.
    covered_by_existing : numpy.ndarray of bool, optional
        Demand already inside an existing facility's circle (it does not count as newly covered).
    capacity : numpy.ndarray, optional
        Residents each candidate can serve; residents of one point may be split between sites.
    time_limit_s : float
        Seconds for the whole solve (swaps, bounds, HiGHS; the greedy solution is always
        completed); 0 gives the greedy solution only. ``time_limit_reached`` on the answer says
        whether the time ran out before it was proved optimal.
    progress : callable, optional
        ``progress(seconds, incumbent, bound)`` while it solves (objective units).
    stop : threading.Event, optional
        Once set, the solve ends with the best solution so far.

    Returns
    -------
    planning.siting._solvers.Solution
        ``objective`` is the number of residents newly covered (served, with capacities).

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import sparse
    >>> cover = sparse.csr_matrix(np.array([[1, 0], [1, 1], [0, 1]]))
    >>> sol = mclp(cover, np.array([5.0, 1.0, 2.0]), p=1)
    >>> sol.chosen.tolist(), sol.objective, sol.solver
    ([0], 6.0, 'exact')
    """
    _check_p(p)
    return solve_mclp(cover, population, p=int(p), fixed_covered=covered_by_existing,
                      capacity=capacity, time_limit_s=time_limit_s, progress=progress, stop=stop)


def lscp(
    cover: sparse.spmatrix,
    population: np.ndarray,
    *,
    target_pct: float = 100.0,
    covered_by_existing: np.ndarray | None = None,
    capacity: np.ndarray | None = None,
    time_limit_s: float = 60.0,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
) -> Solution:
    """Set covering: the fewest new sites so that ``target_pct`` % of all residents are covered.

    When the target cannot be met (residents no candidate reaches), the model solves for the
    reachable maximum; ``notes`` say so. ``objective`` is the number of new sites. Other
    parameters as :func:`mclp`.
    """
    if not (0 < target_pct <= 100):
        raise DataError(f"target coverage must be between 0 and 100 %, got {target_pct!r}",
                        fix="give a share such as 95 or 100")
    w = np.asarray(population, dtype=float)
    fixed = (np.zeros(len(w), bool) if covered_by_existing is None
             else np.asarray(covered_by_existing, dtype=bool))
    total = float(w.sum())
    reachable = (np.diff(sparse.csr_matrix(cover).indptr) > 0) & ~fixed
    need = target_pct / 100.0 * total - float(w[fixed].sum())
    notes: list[Note] = []
    if need > float(w[reachable].sum()) + 1e-9 * max(total, 1.0):
        best = 100.0 * (float(w[fixed].sum()) + float(w[reachable].sum())) / total if total else 0.0
        notes.append(Note.of("siting.target_unmet", target_pct=float(target_pct),
                             unreached=float(w[~fixed & ~reachable].sum()), best=best))
        need = float(w[reachable].sum())
    sol = solve_lscp(cover, w, target_weight=max(need, 0.0), fixed_covered=fixed, capacity=capacity,
                     time_limit_s=time_limit_s, progress=progress, stop=stop)
    sol.notes.extend(notes)
    return sol


def pmedian(
    minutes: sparse.spmatrix,
    population: np.ndarray,
    existing_minutes: np.ndarray,
    *,
    p: int,
    penalty_minutes: np.ndarray | float,
    capacity: np.ndarray | None = None,
    time_limit_s: float = 60.0,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
) -> Solution:
    """p-median: ``p`` new sites minimising total residents × minutes to the nearest facility.

    Parameters
    ----------
    minutes : scipy.sparse matrix, demand × candidates
        Minutes from each demand point to each candidate; only pairs within the cut-off stored.
    population : numpy.ndarray
    existing_minutes : numpy.ndarray
        Minutes to the nearest existing facility (``inf`` when none is reachable).
    p : int
    penalty_minutes : float or numpy.ndarray
        Time counted for a resident with no facility within the cut-off (per point or one value).
    capacity : numpy.ndarray, optional
        Residents each candidate can serve; the others keep their existing facility (or the
        penalty time), and residents of one point may be split between sites.
    time_limit_s, progress, stop
        As :func:`mclp`.

    Returns
    -------
    planning.siting._solvers.Solution
        ``objective`` is the total person-minutes after the new sites; ``bound_source`` names
        the bound that certified it.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import sparse
    >>> minutes = sparse.csr_matrix(np.array([[2.0, 9.0], [9.0, 3.0], [4.0, 4.0]]))
    >>> sol = pmedian(minutes, np.array([10.0, 1.0, 5.0]), np.full(3, np.inf), p=1, penalty_minutes=10.0)
    >>> sol.chosen.tolist(), sol.objective, sol.solver
    ([0], 49.0, 'exact')
    """
    _check_p(p)
    w = np.asarray(population, dtype=float)
    penalty = np.broadcast_to(np.asarray(penalty_minutes, dtype=float), w.shape)
    base = np.minimum(np.asarray(existing_minutes, dtype=float), penalty)
    return solve_pmedian(minutes, w, base, p=int(p), capacity=capacity, time_limit_s=time_limit_s,
                         progress=progress, stop=stop)


def _check_p(p: object) -> None:
    if not isinstance(p, (int, np.integer)) or isinstance(p, bool) or p < 1:
        raise DataError(f"the number of new sites must be a whole number ≥ 1, got {p!r}",
                        fix="give --new-sites 1 or more")
