"""Export speed and file sizes for the synthetic city + county at 10,000 road nodes.

Prints, per format, the seconds to write every layer (or table) and the size of the file, plus
the seconds to draw the HTML report. Run with
``pytest tests/benchmarks/test_export_bench.py -m benchmark -s``.
"""

from __future__ import annotations

import time
from pathlib import Path

import pyogrio
import pytest

N_NODES = 10_000


@pytest.mark.benchmark
def test_export_every_format(tmp_path: Path) -> None:
    from geo.synthetic import synthetic_dataset
    from planning.access.analysis import analyze
    from planning.output import export

    t0 = time.perf_counter()
    analysis = analyze(synthetic_dataset(N_NODES, seed=0))
    layers = analysis.layers()
    t_analysis = time.perf_counter() - t0
    counts = {name: len(gdf) for name, gdf in layers.items()}
    print(f"\nsynthetic data set, {N_NODES:,} nodes: analysis + circles {t_analysis:.1f} s; "
          f"features {counts}")
    runs = [("gpkg", "wgs84", "utf-8", "r.gpkg"), ("shp", "cgcs2000-gk", "gbk", "r.zip"),
            ("geojson", "gcj02", "utf-8", "g.zip"), ("kmz", "wgs84", "utf-8", "r.kmz"),
            ("csv", "wgs84", "utf-8", "t.zip"), ("xlsx", "wgs84", "utf-8", "t.xlsx"),
            ("html", "wgs84", "utf-8", "r.html")]
    for fmt, crs, encoding, name in runs:
        t = time.perf_counter()
        written = export.export_analysis(analysis, fmt=fmt, crs=crs, encoding=encoding,
                                         out=tmp_path / name, pdf=False)
        seconds = time.perf_counter() - t
        size = sum(p.stat().st_size for p in written)
        print(f"{fmt:8s} {crs:12s} {encoding:6s} {seconds:6.2f} s  {size / 1e6:7.2f} MB")
        assert all(p.exists() for p in written)
    assert pyogrio.read_info(tmp_path / "r.gpkg", layer="demand")["features"] == counts["demand"]
