"""Speed and memory of the accessibility engine (run with ``pytest -m benchmark -s``).

Prints: the bundled data set's network build and full analysis times; coverage time and peak
memory on synthetic networks of 10^4, 10^5 and 10^6 nodes (one demand point per node); and, on
the 10^4 network, the same coverage computed per facility with networkx (as the osmnx examples
do) and with one bare ``scipy.sparse.csgraph.dijkstra`` call. Only the answers are asserted
(all three methods agree), never the timings: they depend on the machine and its load.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import networkx as nx
import numpy as np
import psutil
import pytest
from scipy.sparse.csgraph import dijkstra

from geo.synthetic import synthetic_dataset
from planning.access.analysis import analyze
from planning.access.coverage import coverage
from planning.access.demand import facility_points
from planning.access.travel import EPS_MINUTES, TravelModel, points_minutes
from planning.settings import Settings

pytestmark = pytest.mark.benchmark
XIAN = os.path.join(os.path.dirname(__file__), "..", "..", "data", "xian")


class _Peak:
    peak_gb: float = 0.0
    start_gb: float = 0.0


@contextmanager
def peak_memory() -> Iterator[_Peak]:
    """Peak resident memory of this process while the block runs (sampled every 5 ms)."""
    proc = psutil.Process()
    result = _Peak()
    result.start_gb = result.peak_gb = proc.memory_info().rss / 1e9
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            result.peak_gb = max(result.peak_gb, proc.memory_info().rss / 1e9)
            stop.wait(0.005)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield result
    finally:
        stop.set()
        thread.join()
        result.peak_gb = max(result.peak_gb, proc.memory_info().rss / 1e9)


def timed(fn: Callable[[], Any], *, repeat: int = 1) -> tuple[float, Any]:
    """Best wall time of ``repeat`` runs, and the last result."""
    best, out = np.inf, None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def _load_avg() -> str:
    return "load average {:.1f} on {} cores".format(os.getloadavg()[0], os.cpu_count())


def test_default_data_set() -> None:
    if not os.path.isdir(XIAN):
        pytest.skip("data/xian is not built")
    from geo.dataset_loader import load_dataset

    t_load, ds = timed(lambda: load_dataset(XIAN))
    t_build, _ = timed(lambda: TravelModel.for_mode(ds.roads, "walk", Settings()))
    t_first, result = timed(lambda: analyze(ds))
    t_cached, result = timed(lambda: analyze(ds), repeat=3)
    print(f"\n[xian] {_load_avg()}")
    print(f"[xian] {ds.roads.n_nodes:,} nodes, {ds.roads.n_edges:,} edges, {len(ds.population):,} demand "
          f"points, {len(ds.facilities):,} facilities in {len(result.categories)} categories")
    print(f"[xian] load_dataset {t_load:.2f} s; travel model build {t_build:.3f} s")
    print(f"[xian] analyze, all categories: first {t_first:.2f} s, network cached {t_cached:.2f} s "
          f"(target < 5 s)")
    assert result.category_summary["population"].iloc[0] == pytest.approx(result.total_population)


@pytest.mark.parametrize("n_nodes", [10_000, 100_000, 1_000_000])
def test_synthetic_coverage(n_nodes: int) -> None:
    t_gen, ds = timed(lambda: synthetic_dataset(n_nodes))
    settings = Settings()
    with peak_memory() as mem_build:
        t_build, _ = timed(lambda: [TravelModel.for_mode(ds.roads, m, settings) for m in ("walk", "ebike")])
    with peak_memory() as mem_one:
        t_one, one = timed(lambda: coverage(ds, settings, categories=["health"]))
    with peak_memory() as mem_all:
        t_all, every = timed(lambda: coverage(ds, settings))
    longest = max(settings.urban_circle_minutes, settings.rural_circle_minutes)
    with peak_memory() as mem_cut:
        t_cut, cut = timed(lambda: coverage(ds, settings, limit_minutes=longest))
    print(f"\n[synthetic {n_nodes:,}] {_load_avg()}")
    print(f"[synthetic {n_nodes:,}] {ds.roads.n_nodes:,} nodes, {ds.roads.n_edges:,} edges, "
          f"{len(ds.population):,} demand points, {len(ds.facilities):,} facilities; built in {t_gen:.1f} s")
    print(f"[synthetic {n_nodes:,}] travel models (walk + e-bike) {t_build:.2f} s, peak {mem_build.peak_gb:.2f} GB")
    print(f"[synthetic {n_nodes:,}] one category incl. snapping {t_one:.2f} s "
          f"(target < 3 s at 10^6), peak {mem_one.peak_gb:.2f} GB")
    print(f"[synthetic {n_nodes:,}] all {len(every.categories)} categories {t_all:.2f} s "
          f"(target < 30 s at 10^6), peak {mem_all.peak_gb:.2f} GB (target < 4 GB)")
    print(f"[synthetic {n_nodes:,}] all categories with searches cut at the longest circle "
          f"({longest:g} min; same covered flags) {t_cut:.2f} s, peak {mem_cut.peak_gb:.2f} GB")
    np.testing.assert_array_equal(one.demand_minutes["health"], every.demand_minutes["health"])
    assert cut.covered.equals(every.covered)


def test_against_networkx_and_bare_csgraph() -> None:
    ds = synthetic_dataset(10_000)
    settings = Settings()
    model = TravelModel.for_mode(ds.roads, "walk", settings)
    limit = settings.urban_circle_minutes
    fx, fy = facility_points(ds, "health")
    fac_node, _ = model.snap(fx, fy)
    # Facilities on their nodes, so that the per-facility and bare calls (which know no access
    # walk at the facility end) answer the same question as the engine.
    fac_access = np.zeros(len(fac_node))
    demand_x = ds.population.geometry.x.to_numpy()
    demand_y = ds.population.geometry.y.to_numpy()
    d_node, d_access = model.snap(demand_x, demand_y)

    def ours() -> np.ndarray:
        node_minutes = model.node_minutes_to_nearest(fac_node, fac_access, limit_minutes=limit)
        return points_minutes(node_minutes, d_node, d_access, limit_minutes=limit)

    def bare() -> np.ndarray:
        node_minutes = dijkstra(model.reverse, directed=True, indices=np.unique(fac_node), min_only=True,
                                limit=limit + EPS_MINUTES)
        return points_minutes(node_minutes, d_node, d_access, limit_minutes=limit)

    coo = model.matrix.tocoo()
    graph = nx.Graph()  # walking: every edge both ways
    graph.add_weighted_edges_from(zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist()), weight="minutes")

    def per_facility() -> np.ndarray:
        node_minutes = np.full(model.n_nodes, np.inf)
        for f in np.unique(fac_node):
            reach = nx.single_source_dijkstra_path_length(graph, int(f), cutoff=limit + EPS_MINUTES,
                                                          weight="minutes")
            idx = np.fromiter(reach.keys(), dtype=np.int64, count=len(reach))
            val = np.fromiter(reach.values(), dtype=float, count=len(reach))
            np.minimum.at(node_minutes, idx, val)
        return points_minutes(node_minutes, d_node, d_access, limit_minutes=limit)

    def ego_graphs() -> np.ndarray:
        # The osmnx isochrone example: one ego graph per facility; it tells which nodes lie
        # inside a circle, not their times, so it is compared on the reached nodes.
        reached = np.zeros(model.n_nodes, dtype=bool)
        for f in np.unique(fac_node):
            sub = nx.ego_graph(graph, int(f), radius=limit + EPS_MINUTES, distance="minutes")
            reached[np.fromiter(sub.nodes, dtype=np.int64, count=sub.number_of_nodes())] = True
        return reached

    t_ours, a = timed(ours, repeat=5)
    t_bare, b = timed(bare, repeat=5)
    t_nx, c = timed(per_facility, repeat=1)
    t_ego, ego_reached = timed(ego_graphs, repeat=1)
    t_nodes, node_minutes = timed(
        lambda: model.node_minutes_to_nearest(fac_node, fac_access, limit_minutes=limit), repeat=5)
    print(f"\n[compare] {_load_avg()}")
    print(f"[compare] 10^4 network ({model.n_nodes:,} nodes), {len(np.unique(fac_node))} health facilities, "
          f"{len(d_node):,} demand points, {limit:g}-minute circle")
    print(f"[compare] engine {t_ours * 1000:.1f} ms; bare csgraph {t_bare * 1000:.1f} ms; "
          f"networkx per facility {t_nx * 1000:.0f} ms")
    print(f"[compare] networkx / engine = {t_nx / t_ours:.0f}x (target >= 30x); "
          f"engine / bare csgraph = {t_ours / t_bare:.2f} (target <= 2)")
    print(f"[compare] reached nodes only: networkx ego_graph per facility {t_ego * 1000:.0f} ms, "
          f"engine {t_nodes * 1000:.1f} ms, ratio {t_ego / t_nodes:.0f}x")
    np.testing.assert_array_equal(np.isfinite(node_minutes), ego_reached)
    np.testing.assert_allclose(a, b, rtol=1e-12)
    np.testing.assert_allclose(a, c, rtol=1e-12)
    assert np.isfinite(a).any() and np.isinf(a).any()


def test_target_groups_leave_the_analysis_speed_unchanged() -> None:
    """Target groups (Xi'an: 60+ and 0–6 columns; synthetic: census shares of 当涂县 per point)
    against the all-residents-only run, interleaved in the same process: the best of eleven each,
    by the wall clock and by this process's CPU time (less moved by other users of the machine)."""
    from geo.dataset_loader import load_dataset

    cases = []
    if os.path.isdir(XIAN):
        cases.append(("xian", load_dataset(XIAN), Settings()))
    cases.append(("synthetic 10^5, census 340521", synthetic_dataset(100_000), Settings(census_code="340521")))
    print(f"\n[groups] {_load_avg()}")
    for name, ds, grouped in cases:
        plain = Settings(target_groups={})
        first_plain, first_grouped = analyze(ds, plain), analyze(ds, grouped)  # travel models built once
        wall: dict[str, list[float]] = {"plain": [], "grouped": []}
        cpu: dict[str, list[float]] = {"plain": [], "grouped": []}
        for _ in range(11):
            for key, settings in (("plain", plain), ("grouped", grouped)):
                start, start_cpu = time.perf_counter(), time.process_time()
                analyze(ds, settings)
                wall[key].append(time.perf_counter() - start)
                cpu[key].append(time.process_time() - start_cpu)
        groups = first_grouped.category_summary["target_group"]
        print(f"[groups] {name}: {int((groups != 'all').sum())} of {len(groups)} categories count a group")
        print(f"[groups] {name}: all residents only {min(wall['plain']):.3f} s, with target groups "
              f"{min(wall['grouped']):.3f} s, ratio {min(wall['grouped']) / min(wall['plain']):.3f}; CPU time "
              f"{min(cpu['plain']):.3f} s and {min(cpu['grouped']):.3f} s, ratio "
              f"{min(cpu['grouped']) / min(cpu['plain']):.3f} (target: 1.00 within noise)")
        cols = ["population", "covered_population", "coverage_pct"]
        assert first_grouped.category_summary[cols].equals(first_plain.category_summary[cols])
