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

from planning._solvers import reduce_coverage, solve_mclp

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
    print(f"ours: objective {sol.objective:,.0f} of {total:,.0f} reachable ({sol.solver}, {sol.proof or sol.milp_status}), "
          f"greedy {sol.greedy_objective:,.0f}, bound {sol.bound:,.1f}, gap {sol.gap_pct:.3f} %, "
          f"{sol.seconds:.1f} s")
    assert len(sol.chosen) == P
    assert sol.gap_pct <= 1.0

    try:
        import pulp
        from spopt.locate import MCLP
    except ImportError as exc:  # pragma: no cover - spopt is a test dependency
        print(f"spopt: not run ({exc})")
        return
    t0 = time.perf_counter()
    # spopt takes a dense cost matrix; build it with 1 inside the radius and 2 outside.
    cost = np.where(cover.toarray() > 0, 1.0, 2.0)
    model = MCLP.from_cost_matrix(cost, weight, service_radius=1.5, p_facilities=P)
    build = time.perf_counter() - t0
    solver = pulp.HiGHS(msg=False, timeLimit=60) if pulp.HiGHS().available() else pulp.PULP_CBC_CMD(
        msg=False, timeLimit=60)
    t1 = time.perf_counter()
    try:
        model.solve(solver)
        chosen = [j for j, v in enumerate(model.fac_vars) if v.value() and v.value() > 0.5]
        obj = weight[np.asarray(cover[:, chosen].sum(axis=1)).ravel() > 0].sum()
        print(f"spopt MCLP ({solver.name}, 60 s limit): objective {obj:,.0f} with {len(chosen)} sites, "
              f"model built in {build:.1f} s, solved in {time.perf_counter() - t1:.1f} s, "
              f"status {pulp.LpStatus[model.problem.status]}")
    except Exception as exc:  # report what happened, whatever the solver did
        print(f"spopt MCLP ({solver.name}): failed after {time.perf_counter() - t1:.1f} s: {exc!r}")
