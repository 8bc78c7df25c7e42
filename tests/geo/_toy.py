"""A toy data set near Ma'anshan built in code (metres in EPSG:32650, written as WGS84).

Layout, with origin (X0, Y0)::

    y=2000 +-----------+-----------+
           | C3 金家庄社区 | C4 新桥村   |   roads: a grid of lines every 200 m
           | pop 800   | pop 300   |   (x = 0..2000 and y = 0..2000), all residential
    y=1000 +-----------+-----------+   except y = 1000, primary
           | C1 花山社区 | C2 采石村   |
           | pop 1000  | pop 500   |   one population point (10 people) lies outside at x=2500
    y=0    +-----------+-----------+
          x=0        x=1000      x=2000
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

X0, Y0 = 660_000.0, 3_505_000.0
CRS = "EPSG:32650"
SPACING = 200.0


def _box(ix: int, iy: int) -> shapely.Polygon:
    return shapely.box(X0 + ix * 1000, Y0 + iy * 1000, X0 + (ix + 1) * 1000, Y0 + (iy + 1) * 1000)


def toy_layers() -> dict[str, gpd.GeoDataFrame]:
    """The layers in EPSG:32650 (metres)."""
    communities = gpd.GeoDataFrame(
        {"community_id": ["C1", "C2", "C3", "C4"],
         "name": ["花山社区", "采石村", "金家庄社区", "新桥村"],
         "population": [1000.0, 500.0, 800.0, 300.0],
         "households": [400.0, 200.0, 320.0, 120.0],
         "street": ["花山街道", "采石镇", "金家庄街道", "采石镇"]},
        geometry=[_box(0, 0), _box(1, 0), _box(0, 1), _box(1, 1)], crs=CRS)
    ticks = np.arange(0, 2001, SPACING)
    lines, highway = [], []
    for t in ticks:
        lines.append(shapely.LineString([(X0 + t, Y0 + s) for s in ticks]))
        highway.append("residential")
        lines.append(shapely.LineString([(X0 + s, Y0 + t) for s in ticks]))
        highway.append("primary" if t == 1000 else "residential")
    roads = gpd.GeoDataFrame({"highway": highway, "name": [f"路{i}" for i in range(len(lines))]},
                             geometry=lines, crs=CRS)
    facilities = gpd.GeoDataFrame(
        {"facility_id": ["F1", "F2", "F3", "F4"],
         "category": ["health", "elderly_care", "convenience_retail", "community_service_center"],
         "name": ["花山卫生服务站", "采石养老服务站", "金家庄超市", "新桥党群服务中心"],
         "floor_area_m2": [300.0, 250.0, 120.0, 600.0]},
        geometry=shapely.points([(X0 + 200, Y0 + 200), (X0 + 1400, Y0 + 400),
                                 (X0 + 600, Y0 + 1600), (X0 + 1600, Y0 + 1600)]), crs=CRS)
    pts = [(300, 300), (700, 700), (1300, 300), (1700, 700), (300, 1300), (700, 1700),
           (1300, 1300), (1700, 1700), (2500, 500)]
    population = gpd.GeoDataFrame(
        {"population": [600.0, 400.0, 250.0, 250.0, 500.0, 300.0, 100.0, 200.0, 10.0]},
        geometry=shapely.points([(X0 + x, Y0 + y) for x, y in pts]), crs=CRS)
    candidates = gpd.GeoDataFrame(
        {"candidate_id": [1, 2], "name": ["闲置办公楼", "培训中心"],
         "floor_area_m2": [400.0, 900.0], "source": ["idle_building", "idle_building"]},
        geometry=shapely.points([(X0 + 1000, Y0 + 1000), (X0 + 400, Y0 + 1200)]), crs=CRS)
    return {"communities": communities, "facilities": facilities, "population": population,
            "candidates": candidates, "roads": roads}


def write_toy_dataset(folder: Path, *, layers: dict[str, gpd.GeoDataFrame] | None = None,
                      toml: str | None = 'name = "toy"\ntitle_zh = "测试"\n'
                      'attribution = ["Roads: test grid"]\nnotes = ["toy data"]\n',
                      skip: tuple[str, ...] = ()) -> Path:
    """Write the layers as WGS84 GeoJSON files named after the layers."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in (layers or toy_layers()).items():
        if name not in skip:
            frame.to_crs(4326).to_file(folder / f"{name}.geojson", driver="GeoJSON")
    if toml is not None:
        (folder / "dataset.toml").write_text(toml, encoding="utf-8")
    return folder
