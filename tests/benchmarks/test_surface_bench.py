"""Speed of the travel-time surfaces against the old service-circle builder (``pytest -m benchmark -s``).

Prints, on the bundled Xi'an data, side by side in one run: the seconds of every category's circle
drawn by the old builder (reached road edges buffered by 35 m and unioned, kept as
``tests/benchmarks/_edge_union.py``) and by the surface (grid and snapping included), their
ratio, and for both the share of demand points that lie inside their category's circle exactly
when they are counted as covered; then rings, responsibility areas and a circle-time change. On
a synthetic network of 10^6 nodes: surface and circle of one category. Last, ``python -m planning
export --format gpkg`` against ``python -m planning analyze --json`` on the default data. Only
the answers are asserted (agreement, sums), never the timings.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import shapely

from geo.synthetic import synthetic_dataset
from planning.access import surface as surface_module
from planning.access.analysis import analyze
from planning.access.circles import service_circle
from planning.access.demand import point_xy
from planning.access.travel import TravelModel
from planning.settings import Settings
from tests.benchmarks._edge_union import edge_union_circle
from tests.benchmarks.test_engine_bench import _load_avg, peak_memory, timed

pytestmark = pytest.mark.benchmark
ROOT = Path(__file__).resolve().parents[2]
XIAN = ROOT / "data" / "xian"


def _fresh(dataset: object) -> None:
    """Forget the surfaces kept on a data set, so the next circle pays for grid and snapping."""
    dataset.__dict__.pop(surface_module._CACHE_ATTR, None)  # type: ignore[attr-defined]


@pytest.mark.skipif(not XIAN.is_dir(), reason="the bundled data set data/xian is missing")
def test_xian_surface_circles_against_the_edge_union() -> None:
    from geo.dataset_loader import load_dataset

    dataset = load_dataset(XIAN)
    result = analyze(dataset)
    x, y = point_xy(dataset.population.geometry)
    cats = result.categories
    _fresh(dataset)
    t_grid, surfaces = timed(lambda: result.surfaces)
    t_snap, _ = timed(lambda: surfaces.cells("urban"))
    # Side by side, category after category, so that a change in the machine's load hits both.
    old_s, old_agree, new_s, new_agree = {}, {}, {}, {}
    for cat in cats:
        t, geom = timed(lambda cat=cat: edge_union_circle(result, cat))
        old_s[cat] = t
        old_agree[cat] = float(np.mean(shapely.contains_xy(geom, x, y) == result.covered[cat].to_numpy()))
        t, row = timed(lambda cat=cat: result.circles_for([cat]))
        new_s[cat] = t
        geom = row.geometry.iloc[0]
        new_agree[cat] = float(np.mean(shapely.contains_xy(geom, x, y) == result.covered[cat].to_numpy()))
    old_total = sum(old_s.values())
    new_total = t_grid + t_snap + sum(new_s.values())
    grid = surfaces.grid
    print(f"\n[xian] {_load_avg()}")
    print(f"[xian] grid {grid.width} x {grid.height} cells of {grid.cell_m:g} m "
          f"({int((surfaces.kind > 0).sum()):,} in the study area): built {t_grid:.2f} s, snapped {t_snap:.2f} s")
    print(f"[xian] {'category':28s} {'edge union':>10s} {'surface':>8s}   agreement old → new")
    for cat in cats:
        print(f"[xian] {cat:28s} {old_s[cat]:9.2f}s {new_s[cat]:7.3f}s   "
              f"{100 * old_agree[cat]:5.1f} % → {100 * new_agree[cat]:6.2f} %")
    print(f"[xian] all {len(cats)} categories: edge union {old_total:.2f} s, surface {new_total:.2f} s "
          f"(grid and snapping included) = {old_total / new_total:.1f}x faster (target >= 10x)")
    print(f"[xian] agreement: old {100 * min(old_agree.values()):.1f}–{100 * max(old_agree.values()):.1f} %, "
          f"surface {100 * min(new_agree.values()):.2f}–{100 * max(new_agree.values()):.2f} % (target >= 99 %)")

    t_rings, rings = timed(lambda: result.rings_for(cats))
    t_areas, areas = timed(lambda: result.responsibility_for(cats))
    print(f"[xian] rings of all categories {t_rings:.2f} s ({len(rings)} bands); responsibility areas "
          f"{t_areas:.2f} s ({len(areas)} facilities)")
    faster = analyze(dataset, Settings(urban_circle_minutes=10.0))
    t_change, _ = timed(lambda: faster.circles_for(["health"]))
    t_change_all, _ = timed(lambda: faster.circles_for(cats))
    print(f"[xian] circle time 15 → 10 min (surfaces kept): circle of health {t_change:.3f} s, "
          f"of every category {t_change_all:.2f} s")
    assert min(new_agree.values()) >= 0.99
    for cat in cats:
        reachable = result.coverage.population[np.isfinite(result.demand_minutes[cat])].sum()
        assert areas.loc[areas["category"] == cat, "population"].sum() == pytest.approx(reachable)


def test_synthetic_million_nodes_surface_and_circle() -> None:
    t_gen, dataset = timed(lambda: synthetic_dataset(1_000_000))
    settings = Settings()
    # The KD-trees of the nodes are the coverage's (built when it snaps the demand points).
    t_trees, _ = timed(lambda: [TravelModel.for_mode(dataset.roads, m, settings).snap(
        dataset.roads.node_x[:1], dataset.roads.node_y[:1]) for m in ("walk", "ebike")])
    with peak_memory() as mem:
        start = time.perf_counter()
        surfaces = surface_module.travel_surfaces(dataset, settings)
        t_grid = time.perf_counter() - start
        for kind in surfaces.kinds:
            surfaces.cells(kind)
        t_snap = time.perf_counter() - start - t_grid
        circle = service_circle(surfaces, "health", {"urban": 15.0, "rural": 30.0})
        t_total = time.perf_counter() - start
    grid = surfaces.grid
    print(f"\n[synthetic 10^6] {_load_avg()}")
    print(f"[synthetic 10^6] {dataset.roads.n_nodes:,} nodes, built in {t_gen:.1f} s; node KD-trees {t_trees:.2f} s")
    print(f"[synthetic 10^6] grid {grid.width} x {grid.height} cells of {grid.cell_m:g} m "
          f"({int((surfaces.kind > 0).sum()):,} in the study area)")
    print(f"[synthetic 10^6] surface + circle of health {t_total:.2f} s (grid {t_grid:.2f} s, snapping "
          f"{t_snap:.2f} s, search and polygons {t_total - t_grid - t_snap:.2f} s; target < 5 s), "
          f"peak {mem.peak_gb:.2f} GB")
    assert circle.area > 0


@pytest.mark.skipif(not XIAN.is_dir(), reason="the bundled data set data/xian is missing")
def test_export_against_analyze_commands(tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))

    def run(*args: str) -> float:
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "planning", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        return time.perf_counter() - start

    t_analyze = min(run("analyze", "--json") for _ in range(2))
    t_export = min(run("export", "--format", "gpkg", "--out", str(tmp_path / "plan.gpkg")) for _ in range(2))
    print(f"\n[commands] {_load_avg()}")
    print(f"[commands] analyze --json {t_analyze:.2f} s; export --format gpkg (circles, rings, responsibility "
          f"areas) {t_export:.2f} s = {t_export / t_analyze:.2f}x (target <= 1.5x)")
