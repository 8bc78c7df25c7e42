"""Hand-built result layers and tables for the export and report tests (UTM zone 50N, near
Ma'anshan), so that the writers are tested without running the engine."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Transformer
from shapely.geometry import MultiPolygon, Point, Polygon, box

CRS_UTM = 32650
CENTRE_LON, CENTRE_LAT = 118.40, 31.70
_TO_UTM = Transformer.from_crs(4326, CRS_UTM, always_xy=True)
X0, Y0 = _TO_UTM.transform(CENTRE_LON, CENTRE_LAT)


def pt(dx: float, dy: float) -> Point:
    return Point(X0 + dx, Y0 + dy)


def sq(dx: float, dy: float, size: float) -> Polygon:
    return box(X0 + dx, Y0 + dy, X0 + dx + size, Y0 + dy + size)


def layers() -> dict[str, gpd.GeoDataFrame]:
    holed = Polygon(sq(2000, 0, 1000).exterior.coords,
                    [list(sq(2400, 400, 200).exterior.coords)])
    communities = gpd.GeoDataFrame({
        "community_id": ["C1", "C2", "C3"],
        "name": ["和平社区", "前进村", "雨山社区"],
        "kind": ["urban", "rural", "urban"],
        "population": [5200.0, 830.0, np.nan],
        "households": [1900.0, 310.0, np.nan],
        "circle_minutes": [15.0, 30.0, 15.0],
        "coverage_pct_community_living_room": [100.0, 42.5, 81.0],
        "coverage_pct_elderly_care": [96.0, 0.0, 55.5],
        "complete_circle_pct": [88.0, 0.0, 50.0],
        "floor_area_per_100_households": [31.6, np.inf, np.nan],
        "missed_targets": [[], ["社区客厅覆盖率", "养老服务覆盖率"], ["养老服务覆盖率"]],
    }, geometry=[sq(0, 0, 1000), MultiPolygon([holed, sq(3500, 0, 300)]), sq(0, 1200, 800)],
        crs=CRS_UTM)
    facilities = gpd.GeoDataFrame({
        "facility_id": ["F1", "F2", "F3", "F4"],
        "category": ["community_living_room", "elderly_care", "health", "community_living_room"],
        "name": ["和平社区客厅", "雨山日间照料中心", "前进村卫生室", "湖东社区客厅"],
        "floor_area_m2": [320.0, 450.0, 80.0, np.nan],
        "status": ["existing"] * 4,
    }, geometry=[pt(500, 500), pt(300, 1500), pt(2500, 300), pt(700, 1800)], crs=CRS_UTM)
    demand = gpd.GeoDataFrame({
        "population": [1200.0, 4000.0, 500.0, 330.0, 0.0, 900.0],
        "community_id": ["C1", "C1", "C2", "C2", "C3", "C3"],
        "kind": ["urban", "urban", "rural", "rural", "urban", "urban"],
        "circle_minutes": [15.0, 15.0, 30.0, 30.0, 15.0, 15.0],
        "minutes_community_living_room": [4.0, 9.5, 27.0, np.inf, 12.0, 16.5],
        "covered_community_living_room": [True, True, True, False, True, False],
        "minutes_elderly_care": [6.0, 14.0, np.inf, np.inf, 3.0, 20.0],
        "covered_elderly_care": [True, True, False, False, True, False],
        "complete_circle": [True, True, False, False, True, False],
    }, geometry=[pt(200, 200), pt(800, 700), pt(2200, 200), pt(3600, 100), pt(300, 1300),
                 pt(700, 1900)], crs=CRS_UTM)
    circles = gpd.GeoDataFrame({
        "category": ["community_living_room", "elderly_care"],
        "minutes": [15.0, 15.0],
    }, geometry=[sq(-200, -200, 1500).union(sq(400, 1300, 900)), sq(0, 1000, 900)],
        crs=CRS_UTM)
    uncovered = gpd.GeoDataFrame({
        "category": ["community_living_room"],
        "population": [330.0],
    }, geometry=[sq(3500, 0, 300)], crs=CRS_UTM)
    sites = gpd.GeoDataFrame({
        "rank": [1, 2],
        "candidate_id": ["K7", "G1"],
        "name": ["原前进村委会闲置用房", "生成候选点1"],
        "community_id": ["C2", "C3"],
        "newly_covered": [330.0, 900.0],
        "cumulative_covered": [330.0, 1230.0],
        "cumulative_pct": [94.8, 100.0],
    }, geometry=[pt(3600, 150), pt(750, 1850)], crs=CRS_UTM)
    return {"communities": communities, "facilities": facilities, "demand": demand,
            "circles": circles, "uncovered": uncovered, "recommended_sites": sites}


def tables() -> dict[str, pd.DataFrame]:
    indicators = pd.DataFrame({
        "name": ["coverage_community_living_room", "floor_area_per_100_households"],
        "name_zh": ["社区客厅服务圈人口覆盖率", "每百户居民拥有社区综合服务设施面积"],
        "name_en": ["Community living room coverage", "Floor area per 100 households"],
        "scope": ["area", "community"],
        "value": [84.2, 31.6],
        "target": [100.0, 30.0],
        "unit": ["%", "m²"],
        "pass": [False, True],
        "communities_missing": [["前进村", "雨山社区"], []],
    })
    community_table = pd.DataFrame({
        "name": ["和平社区", "前进村", "雨山社区"],
        "kind": ["urban", "rural", "urban"],
        "population": [5200.0, 830.0, 900.0],
        "coverage_pct_community_living_room": [100.0, 60.2, 0.0],
    }, index=pd.Index(["C1", "C2", "C3"], name="community_id"))
    category_summary = pd.DataFrame({
        "facilities": [2, 1],
        "population": [6930.0, 6930.0],
        "covered_population": [5830.0, 4992.0],
        "coverage_pct": [84.1, 72.0],
    }, index=pd.Index(["community_living_room", "elderly_care"], name="category"))
    return {"indicators": indicators, "community_table": community_table,
            "category_summary": category_summary}
