"""Building road networks: the synthetic generator at 10^4, 10^5 and 10^6 nodes, and parsing
the bundled OSM extracts with and without the cache.

Run with ``pytest tests/benchmarks/test_network_bench.py -m benchmark -s`` to see the figures.
"""

from __future__ import annotations

import gc
import time
import tracemalloc
from pathlib import Path

import psutil
import pytest

from geo.roads import read_roads
from geo.synthetic import synthetic_dataset

OSM = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "europe_osm"


@pytest.mark.benchmark
@pytest.mark.parametrize("n_nodes", [10_000, 100_000, 1_000_000])
def test_synthetic_build(n_nodes):
    gc.collect()
    process = psutil.Process()
    rss_before = process.memory_info().rss
    start = time.perf_counter()
    ds = synthetic_dataset(n_nodes, seed=0)
    seconds = time.perf_counter() - start
    rss_after = process.memory_info().rss
    del ds
    gc.collect()
    # Peak of Python and NumPy allocations, measured on a second run (tracing slows it down).
    tracemalloc.start()
    ds = synthetic_dataset(n_nodes, seed=0)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"\nsynthetic_dataset({n_nodes:,}): {seconds:.2f} s; {ds.roads.n_nodes:,} nodes, "
        f"{ds.roads.n_edges:,} edges, {len(ds.communities):,} communities, "
        f"{len(ds.population):,} demand points, {len(ds.facilities):,} facilities; "
        f"peak traced memory {peak / 2**20:.0f} MiB, RSS growth {(rss_after - rss_before) / 2**20:.0f} MiB"
    )
    assert abs(ds.roads.n_nodes - n_nodes) <= 0.05 * n_nodes


@pytest.mark.benchmark
@pytest.mark.parametrize(
    ("name", "crs"),
    [("Helsinki.osm.pbf", "EPSG:32635"), ("liechtenstein-2015-10.osm.pbf", "EPSG:32632")],
)
@pytest.mark.skipif(not OSM.is_dir(), reason="the raw data folder ../shared/data is not beside this checkout")
def test_parse_osm_pbf(name, crs, tmp_path, monkeypatch):
    monkeypatch.setenv("SERVICE_CIRCLES_CACHE", str(tmp_path))
    path = OSM / name
    start = time.perf_counter()
    parsed = read_roads(path, crs=crs)
    uncached = time.perf_counter() - start
    start = time.perf_counter()
    cached = read_roads(path, crs=crs)
    hit = time.perf_counter() - start
    assert cached.n_edges == parsed.n_edges
    print(
        f"\n{name} ({path.stat().st_size / 1e6:.2f} MB): {parsed.n_nodes:,} nodes, {parsed.n_edges:,} "
        f"edges, {parsed.total_length_km:,.1f} km; parse {uncached:.3f} s, cached {hit:.3f} s"
    )
