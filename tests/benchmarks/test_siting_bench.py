"""Maximal covering at city scale: 2,000 candidates, 100,000 demand points, p = 20.

Prints the best solution found within 60 s, its certified gap, and spopt's MCLP on the same
coverage matrix. Run with ``pytest tests/benchmarks/test_siting_bench.py -m benchmark -s``.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from scipy import sparse
from scipy.spatial import cKDTree

from planning.siting._reduce import reduce_coverage
from planning.siting._solvers import solve_mclp

N_DEMAND = 100_000
N_CANDIDATES = 2_000
P = 20
RADIUS_M = 450.0


def _instance(seed: int = 0) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Demand clustered around 60 town centres on a 20 km square; candidates among the demand."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, 20_000, size=(60, 2))
    spread = rng.uniform(300, 1_500, size=60)
    which = rng.integers(0, 60, size=N_DEMAND)
    demand = centres[which] + rng.normal(size=(N_DEMAND, 2)) * spread[which, None]
    weight = rng.integers(1, 60, size=N_DEMAND).astype(np.float64)
    cand = demand[rng.choice(N_DEMAND, N_CANDIDATES, replace=False)] + rng.normal(size=(N_CANDIDATES, 2)) * 100
    pairs = cKDTree(cand).query_ball_point(demand, RADIUS_M)
    rows = np.repeat(np.arange(N_DEMAND), [len(p) for p in pairs])
    cols = np.concatenate([np.asarray(p, dtype=np.int64) for p in pairs])
    cover = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(N_DEMAND, N_CANDIDATES))
    return cover, weight


@pytest.mark.benchmark
def test_mclp_city_scale() -> None:
    t0 = time.perf_counter()
    cover, weight = _instance()
    per_cand = np.diff(sparse.csc_matrix(cover).indptr)
    print(f"\ninstance: {cover.shape[0]:,} demand x {cover.shape[1]:,} candidates, {cover.nnz:,} pairs, "
          f"median {np.median(per_cand):.0f} demand points per candidate, built in {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    red = reduce_coverage(cover, weight, np.zeros(cover.shape[0], bool))
    print(f"reduction: {red.cover.shape[0]:,} rows x {red.cover.shape[1]:,} candidates in "
          f"{time.perf_counter() - t0:.1f} s")
    sol = solve_mclp(cover, weight, p=P, time_limit_s=60)
    total = weight[np.diff(cover.indptr) > 0].sum()
    print(f"ours: objective {sol.objective:,.0f} of {total:,.0f} reachable "
          f"({sol.solver}, {sol.proof or sol.milp_status}), "
          f"greedy {sol.greedy_objective:,.0f}, bound {sol.bound:,.1f}, gap {sol.gap_pct:.3f} %, "
          f"{sol.seconds:.1f} s in all")
    stages = ", ".join(f"{k} {v:,.1f}" + ("" if k.endswith(("_bound", "_objective")) else " s")
                       for k, v in sol.timings.items())
    print(f"stages: {stages}")
    assert len(sol.chosen) == P
    assert sol.gap_pct <= 1.0

    _spopt(cover, weight)


def _spopt(cover: sparse.csr_matrix, weight: np.ndarray, rows: int = 1_000) -> None:
    """spopt's MCLP on the same matrix, as far as it can go.

    spopt builds one PuLP constraint per demand point over every candidate (dense), which is
    what limits it here: the build time is measured on the first ``rows`` demand points and
    extrapolated; that sub-instance is then solved with spopt's default solver (CBC, 60 s limit)
    and with ours, and both objectives are printed.
    """
    try:
        import pulp
        from spopt.locate import MCLP
    except ImportError as exc:  # pragma: no cover - spopt is a test dependency
        print(f"spopt: not run ({exc})")
        return
    sub, w = cover[:rows], weight[:rows]
    t0 = time.perf_counter()
    cost = np.where(sub.toarray() > 0, 1.0, 2.0)  # spopt wants a dense cost matrix
    model = MCLP.from_cost_matrix(cost, w, service_radius=1.5, p_facilities=P)
    build = time.perf_counter() - t0
    print(f"spopt MCLP.from_cost_matrix: {build:.1f} s for {rows:,} demand points x {cover.shape[1]:,} "
          f"candidates -> about {build * cover.shape[0] / rows / 60:.0f} min to build the full "
          f"{cover.shape[0]:,}-point model (not attempted)")
    solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=60)
    t1 = time.perf_counter()
    try:
        model.solve(solver)
    except Exception as exc:  # report whatever the solver did
        print(f"spopt MCLP (CBC, 60 s limit) on {rows:,} points: failed after "
              f"{time.perf_counter() - t1:.1f} s: {exc!r}")
        return
    chosen = [j for j, v in enumerate(model.fac_vars) if v.value() is not None and v.value() > 0.5]
    obj = w[np.asarray(sub[:, chosen].sum(axis=1)).ravel() > 0].sum()
    ours = solve_mclp(sub, w, p=P, time_limit_s=60)
    print(f"spopt MCLP (CBC, 60 s limit) on {rows:,} points: objective {obj:,.0f} with {len(chosen)} sites, "
          f"status {pulp.LpStatus[model.problem.status]}, solved in {time.perf_counter() - t1:.1f} s; "
          f"ours on the same points: {ours.objective:,.0f} ({ours.solver}) in {ours.seconds:.1f} s")
    assert ours.objective >= obj - 1e-6
