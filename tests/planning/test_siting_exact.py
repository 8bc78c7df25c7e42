"""Every siting model, capacitated ones included, against enumeration of all site sets.

The optimum of each small random instance is found by trying every set of sites; with
capacities, each set's best assignment is an LP solved here with SciPy, independently of the
models the solvers build. The Lagrangian bound of p-median is checked never to exceed the
optimum (hypothesis draws the instances), and the answers are checked not to depend on how much
time the solver had whenever it proves them optimal.
"""

from __future__ import annotations

import itertools
import threading
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import sparse
from scipy.optimize import linprog

import planning.siting._pmedian as pmedian_stages
from planning.siting import lscp, mclp, pmedian
from planning.siting._median import greedy_sites, lagrangian, median_instance

SEEDS = range(12)


# ---------------------------------------------------------------------------- by enumeration
def _served(pairs: list[tuple[int, int]], value: np.ndarray, w: np.ndarray, cap: np.ndarray, m: int) -> float:
    """Most ``value`` an assignment of shares z_ij of the pairs can reach: Σ_j z_ij ≤ 1 per
    resident, Σ_i w_i z_ij ≤ cap_j per site (an LP, solved by SciPy)."""
    if not pairs:
        return 0.0
    k = len(pairs)
    rows_a, cols_a, vals_a, bounds = [], [], [], []
    sites = sorted({j for _, j in pairs})
    for q, (i, j) in enumerate(pairs):
        rows_a += [i, m + sites.index(j)]
        cols_a += [q, q]
        vals_a += [1.0, w[i]]
    bounds = [1.0] * m + [cap[j] for j in sites]
    a_ub = sparse.csr_matrix((vals_a, (rows_a, cols_a)), shape=(m + len(sites), k))
    res = linprog(-value, A_ub=a_ub, b_ub=bounds, bounds=(0, 1), method="highs")
    assert res.status == 0
    return float(-res.fun)


def _coverage_instance(seed: int, m: int = 14, n: int = 6):
    rng = np.random.default_rng(300 + seed)
    cover = rng.random((m, n)) < 0.35
    w = rng.integers(1, 30, size=m).astype(float)
    fixed = rng.random(m) < 0.2
    cap = rng.integers(10, 80, size=n).astype(float)
    return cover, w, fixed, cap


def _capacitated_covered(cover: np.ndarray, w: np.ndarray, fixed: np.ndarray, cap: np.ndarray,
                         cols: tuple[int, ...]) -> float:
    pairs = [(i, j) for i in range(len(w)) for j in cols if cover[i, j] and not fixed[i]]
    value = np.array([w[i] for i, _ in pairs])
    return _served(pairs, value, w, cap, len(w))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("p", [1, 2, 3])
def test_capacitated_mclp_matches_enumeration(seed: int, p: int) -> None:
    cover, w, fixed, cap = _coverage_instance(seed)
    best = max(_capacitated_covered(cover, w, fixed, cap, c) for c in itertools.combinations(range(cover.shape[1]), p))
    sol = mclp(sparse.csr_matrix(cover), w, p=p, covered_by_existing=fixed, capacity=cap, time_limit_s=20)
    assert sol.solver == "exact" and sol.gap_pct == 0.0
    assert sol.objective == pytest.approx(best, abs=1e-6)
    assert _capacitated_covered(cover, w, fixed, cap, tuple(sol.chosen)) == pytest.approx(best, abs=1e-6)
    assert (sol.served <= cap[sol.chosen] + 1e-6).all()


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("share", [0.5, 0.8])
def test_capacitated_lscp_matches_enumeration(seed: int, share: float) -> None:
    cover, w, fixed, cap = _coverage_instance(seed)
    n = cover.shape[1]
    reachable = float(w[cover.any(axis=1) & ~fixed].sum())
    most = _capacitated_covered(cover, w, fixed, cap, tuple(range(n)))
    need = min(share * reachable, most)
    target_pct = 100.0 * (float(w[fixed].sum()) + need) / float(w.sum())
    fewest = next(k for k in range(1, n + 1) if any(_capacitated_covered(cover, w, fixed, cap, c) >= need - 1e-6
                                                    for c in itertools.combinations(range(n), k)))
    sol = lscp(sparse.csr_matrix(cover), w, target_pct=target_pct, covered_by_existing=fixed, capacity=cap,
               time_limit_s=20)
    assert sol.solver == "exact"
    assert sol.objective == fewest == len(sol.chosen)
    assert _capacitated_covered(cover, w, fixed, cap, tuple(sol.chosen)) >= need - 1e-5


def _median_instance(seed: int, m: int = 18, n: int = 7, *, ties: bool = False):
    rng = np.random.default_rng(700 + seed)
    dense = np.where(rng.random((m, n)) < 0.6, rng.uniform(1, 40, size=(m, n)), np.inf)
    if ties:
        dense = np.round(dense / 5) * 5  # many equal times: many equally good site sets
    w = rng.integers(1, 20, size=m).astype(float)
    existing = np.where(rng.random(m) < 0.3, rng.uniform(0, 40, size=m), np.inf)
    finite = np.isfinite(dense)
    times = sparse.csr_matrix((dense[finite], np.nonzero(finite)), shape=(m, n))
    return dense, w, existing, times


def _median_total(dense: np.ndarray, w: np.ndarray, base: np.ndarray, cols: tuple[int, ...]) -> float:
    best = base.copy()
    if cols:
        best = np.minimum(best, dense[:, list(cols)].min(axis=1))
    return float((w * best).sum())


def _capacitated_median_total(dense: np.ndarray, w: np.ndarray, base: np.ndarray, cap: np.ndarray,
                              cols: tuple[int, ...]) -> float:
    pairs = [(i, j) for i in range(len(w)) for j in cols if dense[i, j] < base[i]]
    value = np.array([w[i] * (base[i] - dense[i, j]) for i, j in pairs])
    return float((w * base).sum()) - _served(pairs, value, w, cap, len(w))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("p", [1, 2, 3])
def test_capacitated_pmedian_matches_enumeration(seed: int, p: int) -> None:
    dense, w, existing, times = _median_instance(seed)
    penalty = 45.0
    base = np.minimum(existing, penalty)
    cap = np.random.default_rng(seed).integers(15, 90, size=dense.shape[1]).astype(float)
    optimum = min(_capacitated_median_total(dense, w, base, cap, c)
                  for c in itertools.combinations(range(dense.shape[1]), p))
    sol = pmedian(times, w, existing, p=p, penalty_minutes=penalty, capacity=cap, time_limit_s=20)
    assert sol.solver == "exact"
    assert sol.objective == pytest.approx(optimum, rel=1e-6)
    assert _capacitated_median_total(dense, w, base, cap, tuple(sol.chosen)) == pytest.approx(optimum, rel=1e-6)
    # Each site within its capacity; every resident assigned at most once; the saving adds up.
    assert (sol.served <= cap[sol.chosen] + 1e-6).all()
    assert (sol.row_share <= 1 + 1e-9).all()
    assert float(sol.minutes_saved.sum()) == pytest.approx(float((w * base).sum()) - sol.objective, rel=1e-6)


def test_capacity_changes_the_pmedian_answer_as_worked_out_by_hand() -> None:
    # Two residents groups: a (10 people) 1 min from site 0, 5 from site 1; b (10) 5 from 0, 1 from 1.
    # Nobody else can serve them (penalty 10 min). p = 1. Without capacities site 0 or 1 alike: 10·1 + 10·5
    # = 60. Site 0 takes at most 4 people: a's 4 at 1 min, the other 16 at 10 → 4 + 6·10 + 10·10 = 164;
    # site 1 (capacity 20) serves both: 10·5 + 10·1 = 60.
    times = sparse.csr_matrix(np.array([[1.0, 5.0], [5.0, 1.0]]))
    w = np.array([10.0, 10.0])
    sol = pmedian(times, w, np.full(2, np.inf), p=1, penalty_minutes=10.0, capacity=np.array([4.0, 20.0]))
    assert sol.solver == "exact" and sol.chosen.tolist() == [1]
    assert sol.objective == pytest.approx(60.0)
    assert sol.served.tolist() == pytest.approx([20.0])
    # Site 1 limited to 12: 10 of b at 1 min and 2 of a at 5, the other 8 of a at 10 → 10 + 10 + 80 = 100;
    # site 0 with 12: 10 of a at 1 min, 2 of b at 5, 8 at 10 → 10 + 10 + 80 = 100 too (a tie, site 0 first).
    tie = pmedian(times, w, np.full(2, np.inf), p=1, penalty_minutes=10.0, capacity=np.array([12.0, 12.0]))
    assert tie.objective == pytest.approx(100.0) and tie.chosen.tolist() == [0]
    assert tie.row_share.tolist() == pytest.approx([1.0, 0.2])


# ---------------------------------------------------------------------------- the distance cut
@pytest.mark.parametrize("seed", range(24))
def test_distance_cut_milp_matches_enumeration(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the Lagrangian cut short (1 step), the cut MILP must prove the optimum itself."""
    real = pmedian_stages.lagrangian
    monkeypatch.setattr(pmedian_stages, "lagrangian", lambda *a, **k: real(*a, **{**k, "iterations": 1}))
    rng = np.random.default_rng(900 + seed)
    m, n, p = 30, 8, int(rng.integers(1, 4))
    where = rng.uniform(0, 10, size=(m, 2))
    sites = rng.uniform(0, 10, size=(n, 2))
    dense = 3.0 * np.sqrt(((where[:, None] - sites[None]) ** 2).sum(-1))
    dense[rng.random((m, n)) < 0.2] = np.inf
    w = rng.integers(1, 20, size=m).astype(float)
    existing = np.where(rng.random(m) < 0.3, rng.uniform(0, 40, size=m), np.inf)
    base = np.minimum(existing, 45.0)
    optimum = min(_median_total(dense, w, base, c) for c in itertools.combinations(range(n), p))
    finite = np.isfinite(dense)
    sol = pmedian(sparse.csr_matrix((dense[finite], np.nonzero(finite)), shape=(m, n)), w, existing, p=p,
                  penalty_minutes=45.0, time_limit_s=20)
    assert sol.solver == "exact"
    assert sol.objective == pytest.approx(optimum, rel=1e-6)
    assert _median_total(dense, w, base, tuple(sol.chosen)) == pytest.approx(optimum, rel=1e-6)


# ---------------------------------------------------------------------------- Lagrangian bound
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31 - 1), m=st.integers(1, 25), n=st.integers(1, 7), p=st.integers(1, 4),
       density=st.floats(0.1, 1.0), existing=st.floats(0.0, 1.0))
def test_lagrangian_bound_never_exceeds_the_optimum(seed: int, m: int, n: int, p: int, density: float,
                                                     existing: float) -> None:
    rng = np.random.default_rng(seed)
    dense = np.where(rng.random((m, n)) < density, np.round(rng.uniform(0.5, 40, size=(m, n)), 1), np.inf)
    w = rng.integers(0, 20, size=m).astype(float)
    base = np.where(rng.random(m) < existing, rng.uniform(0, 45, size=m), 45.0)
    p = min(p, n)
    optimum = min(_median_total(dense, w, base, c) for c in itertools.combinations(range(n), p))
    finite = np.isfinite(dense)
    prob = median_instance(sparse.csr_matrix((dense[finite], np.nonzero(finite)), shape=(m, n)), w, base)
    p_eff = min(p, prob.n)
    out = lagrangian(prob, p_eff, greedy_sites(prob, p_eff), iterations=300)
    assert out.bound <= optimum + 1e-7 * max(1.0, optimum)
    assert out.total >= optimum - 1e-7 * max(1.0, optimum)
    # Fixings keep every better solution: an optimal set obeying them exists unless the
    # incumbent is optimal already.
    if out.total > optimum + 1e-6 * max(1.0, optimum):
        closed, forced = set(prob.columns[out.fixed_closed]), set(prob.columns[out.fixed_open])
        assert any(_median_total(dense, w, base, c) <= optimum + 1e-9 and not closed & set(c) and forced <= set(c)
                   for c in itertools.combinations(range(n), p))


# ---------------------------------------------------------------------------- the same answer
def _busy(stop: threading.Event) -> None:
    x = 0
    while not stop.is_set():  # holds the interpreter as another job on the machine would
        x = (x * 31 + 7) % 1_000_003


@pytest.mark.parametrize("model", ["mclp", "lscp", "pmedian"])
def test_same_answer_whatever_the_time_whenever_proved(model: str) -> None:
    """Ties on purpose (equal weights, rounded times): whichever stage proves the optimum, the
    sites do not depend on the time limit or on other work slowing the solver down."""
    rng = np.random.default_rng(11)
    m, n = 400, 40
    where = rng.uniform(0, 10_000, size=(m, 2))
    sites = where[rng.choice(m, n, replace=False)]
    dist = np.sqrt(((where[:, None] - sites[None]) ** 2).sum(-1))
    w = np.ones(m)

    def solve(limit: float):
        if model == "mclp":
            return mclp(sparse.csr_matrix(dist < 1_500), w, p=6, time_limit_s=limit)
        if model == "lscp":
            return lscp(sparse.csr_matrix(dist < 2_000), w, target_pct=100.0, time_limit_s=limit)
        minutes = np.round(dist / 75.0 / 2) * 2 + 1
        near = minutes < 60
        return pmedian(sparse.csr_matrix((minutes[near], np.nonzero(near)), shape=(m, n)), w,
                       np.full(m, np.inf), p=6, penalty_minutes=60.0, time_limit_s=limit)

    answers = []
    for limit in (3.0, 30.0):
        answers.append(solve(limit))
    stop = threading.Event()
    hogs = [threading.Thread(target=_busy, args=(stop,), daemon=True) for _ in range(3)]
    for h in hogs:
        h.start()
    try:
        answers.append(solve(30.0))
    finally:
        stop.set()
        for h in hogs:
            h.join()
    proved = [a for a in answers if a.solver == "exact"]
    assert len(proved) >= 2
    assert len({tuple(sorted(a.chosen.tolist())) for a in proved}) == 1
    assert len({a.objective for a in proved}) == 1


# ---------------------------------------------------------------------------- stop and progress
def test_stop_keeps_the_best_so_far_and_progress_is_heard() -> None:
    rng = np.random.default_rng(5)
    m, n = 20_000, 500
    where = rng.uniform(0, 20_000, size=(m, 2))
    sites = where[rng.choice(m, n, replace=False)]
    from scipy.spatial import cKDTree

    pairs = cKDTree(where).sparse_distance_matrix(cKDTree(sites), 3_000.0, output_type="coo_matrix")
    minutes = sparse.csr_matrix((pairs.data / 75.0 + 1e-3, (pairs.row, pairs.col)), shape=(m, n))
    w = rng.integers(1, 50, size=m).astype(float)
    heard: list[tuple[float, float, float, int]] = []
    stop = threading.Event()
    caller = threading.get_ident()

    def progress(seconds: float, incumbent: float, bound: float) -> None:
        heard.append((seconds, incumbent, bound, threading.get_ident()))
        if seconds > 1.0:
            stop.set()

    t0 = time.perf_counter()
    sol = pmedian(minutes, w, np.full(m, np.inf), p=120, penalty_minutes=40.0, time_limit_s=60,
                  progress=progress, stop=stop)
    wall = time.perf_counter() - t0
    assert stop.is_set() and wall < 10.0  # stopped long before the 60 s limit
    assert sol.stopped and len(sol.chosen) == 120
    assert heard and all(h[3] == caller for h in heard)  # only ever on the caller's thread
    # Reports are truthful: the incumbent never gets worse, the bound never looser, bound ≤ incumbent.
    inc = [h[1] for h in heard if np.isfinite(h[1])]
    bnd = [h[2] for h in heard if np.isfinite(h[2])]
    assert all(b >= a - 1e-6 for a, b in zip(inc[1:], inc[:-1]))
    assert all(b >= a - 1e-6 for a, b in zip(bnd[:-1], bnd[1:]))
    assert heard[-1][1] == pytest.approx(sol.objective) and sol.bound <= sol.objective + 1e-6
    if sol.solver != "exact":
        assert sol.time_limit_reached and sol.gap_pct > 0


def test_stop_before_the_start_gives_the_greedy_sites() -> None:
    cover = sparse.csr_matrix(np.array([[1, 1, 0], [1, 1, 0], [1, 0, 1], [1, 0, 1], [0, 1, 0], [0, 0, 1]]))
    stop = threading.Event()
    stop.set()
    sol = mclp(cover, np.ones(6), p=2, stop=stop)
    # Greedy takes the set of four first and one more (5 of 6); nothing else runs.
    assert sol.solver == "greedy" and sol.objective == 5.0 and sol.stopped and sol.time_limit_reached
    assert sol.milp_status == "not run"
