"""The bundled data sets in ``data/`` and the script that builds them (``scripts/build_data.py``).

Counts are pinned to what the build printed; totals and invariants are checked against values
worked out independently of the script (census density × area, grid cells, containment).
"""

from __future__ import annotations

import hashlib
import importlib.util
import math
import re
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest

from geo._errors import DataError
from geo.network import HIGHWAY_CLASSES
from geo.taxonomy import CATEGORIES

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
SHARED = ROOT.parent / "shared" / "data"
LAYERS = ("communities", "facilities", "population", "candidates")

# What `python scripts/build_data.py` reported for the bundled files.
XIAN_COUNTS = {"communities": 159, "facilities": 1518, "population": 1461, "candidates": 861,
               "roads": 4930}
XIAN_TOTAL = 912_295
XIAN_BY_CATEGORY = {
    "childcare": 3, "community_service_center": 129, "convenience_retail": 311, "culture": 63,
    "elderly_care": 26, "emergency_shelter": 13, "express": 57, "government_service": 22,
    "health": 332, "legal_service": 66, "police": 153, "sports": 336, "volunteer_station": 7,
}
LI_COUNTS = {"communities": 11, "facilities": 133, "population": 1946, "candidates": 20}
LI_TOTAL = 37_622  # residents of Liechtenstein at the end of 2015
LI_BY_CATEGORY = {
    "childcare": 8, "convenience_retail": 21, "culture": 3, "emergency_shelter": 4, "express": 8,
    "government_service": 3, "police": 1, "sports": 85,
}
XIAN_DENSITY = 644_702 / 30.13  # 新城区, 7th census
# 2020 census tabulation (PROVENANCE.md of census_cn_2020, target_areas_summary.csv): residents,
# persons per household, share aged 60+ of 新城区, 碑林区, 莲湖区.
XIAN_DISTRICTS = {"610102": (617_986, 2.30, 0.1977), "610103": (756_840, 2.16, 0.2019),
                  "610104": (1_019_102, 2.16, 0.1789)}
_RES = sum(r for r, _, _ in XIAN_DISTRICTS.values())
XIAN_HOUSEHOLD_SIZE = _RES / sum(r / h for r, h, _ in XIAN_DISTRICTS.values())  # residents / households
XIAN_SHARE_60 = sum(r * s for r, _, s in XIAN_DISTRICTS.values()) / _RES
LI_PBF_SHA256 = "1cf045498ae291c86b82677da879327598d306489ae09f9444a0abca09cee156"


def _load_build_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_data", ROOT / "scripts" / "build_data.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_data"] = module
    spec.loader.exec_module(module)
    return module


build_data = _load_build_script()


def _layer(name: str, layer: str) -> gpd.GeoDataFrame:
    return gpd.read_file(DATA / name / "dataset.gpkg", layer=layer, engine="pyogrio")


def _toml(name: str) -> dict:
    return tomllib.loads((DATA / name / "dataset.toml").read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------------------------
# Files, layers, metadata
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "layers", "files"), [
    ("xian", (*LAYERS, "roads"), ("dataset.toml", "README.md", "dataset.gpkg")),
    ("liechtenstein", LAYERS, ("dataset.toml", "README.md", "dataset.gpkg", "roads.osm.pbf")),
])
def test_set_has_its_files_and_layers(name: str, layers: tuple[str, ...], files: tuple[str, ...]):
    folder = DATA / name
    for file in files:
        assert (folder / file).is_file(), file
    found = {row[0] for row in pyogrio.list_layers(folder / "dataset.gpkg")}
    assert found == set(layers)
    # Small enough for the repository.
    assert sum(p.stat().st_size for p in folder.iterdir()) < 5_000_000


@pytest.mark.parametrize(("name", "counts"), [("xian", XIAN_COUNTS), ("liechtenstein", LI_COUNTS)])
def test_layer_counts_are_the_built_ones(name: str, counts: dict[str, int]):
    for layer, expected in counts.items():
        assert len(_layer(name, layer)) == expected, layer


def test_xian_toml_carries_attribution_and_flags():
    meta = _toml("xian")
    assert meta["name"] == "xian" and meta["coords"] == "wgs84"
    assert meta["attribution"] == [
        "Roads © OpenStreetMap contributors (ODbL)",
        "POI: Baidu Maps via richieBao/python-urbanPlanning (2019), demo only",
    ]
    assert meta["population_estimated"] is True and meta["communities_approximate"] is True
    assert meta["targets"] == "maanshan_14th_fyp"
    notes = " ".join(meta["notes"])
    assert f"{XIAN_TOTAL:,}" in notes and "old-town bias" in notes and "approximate" in notes


def test_liechtenstein_toml_is_labelled_non_chinese():
    meta = _toml("liechtenstein")
    assert meta["attribution"] == ["© OpenStreetMap contributors (ODbL)"]
    assert meta["demo_label_zh"] == "非中国演示数据：列支敦士登（2015 年 OSM）"
    assert meta["demo_label_en"] == "Non-Chinese demonstration data: Liechtenstein (OSM 2015)"
    assert meta["population_estimated"] is True and meta["coords"] == "wgs84"


@pytest.mark.parametrize("name", ["xian", "liechtenstein"])
def test_layers_are_wgs84(name: str):
    for layer in LAYERS:
        assert pyogrio.read_info(DATA / name / "dataset.gpkg", layer=layer)["crs"] == "EPSG:4326"


# ---------------------------------------------------------------------------------------------
# Facilities and candidates
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "by_category", "prefix"), [
    ("xian", XIAN_BY_CATEGORY, r"baidu-[0-9a-f]{24}"),
    ("liechtenstein", LI_BY_CATEGORY, r"osm-[nwr]\d+"),
])
def test_facilities_use_taxonomy_keys(name: str, by_category: dict[str, int], prefix: str):
    fac = _layer(name, "facilities")
    assert set(fac["category"]) <= set(CATEGORIES)
    assert fac["category"].value_counts().to_dict() == by_category
    assert fac["facility_id"].is_unique
    assert fac["facility_id"].str.fullmatch(prefix).all()
    assert (fac["status"] == "existing").all()
    assert (fac.geom_type == "Point").all()


def test_xian_facilities_keep_baidu_attributes_and_old_town_flag():
    fac = _layer("xian", "facilities")
    assert (fac["facility_id"] == "baidu-" + fac["baidu_uid"]).all()
    assert set(fac["source_set"]) == {"xianPOI_36", "poiXianOldTown"}
    # Residential compounds are demand, never facilities.
    assert not (fac["baidu_tag"] == "房地产;住宅区").any()
    # The old-town scrape covers only its box (PROVENANCE.md), and nearly all shops come from it.
    old = fac[fac["source_set"] == "poiXianOldTown"]
    assert old.geometry.x.between(108.914, 108.972).all()
    assert old.geometry.y.between(34.249, 34.284).all()
    shops = fac[fac["baidu_tag"].str.startswith("购物")]
    assert (shops["source_set"] == "poiXianOldTown").mean() > 0.95


def test_xian_candidates_are_public_buildings_without_invented_area():
    cand = _layer("xian", "candidates")
    fac = _layer("xian", "facilities")
    assert (cand["source"] == "public_building").all()
    assert cand["floor_area_m2"].isna().all() and cand["cost"].isna().all()
    assert cand["candidate_id"].is_unique
    assert not set(cand["candidate_id"]) & set(fac["facility_id"])
    assert cand["baidu_tag"].str.match(r"政府机构|教育培训;培训机构").all()
    assert not (cand["baidu_tag"] == "政府机构;居民委员会").any()


def test_liechtenstein_candidates_floor_area_is_footprint_times_storeys():
    cand = _layer("liechtenstein", "candidates")
    assert (cand["source"] == "public_building").all()
    assert (cand["floor_area_m2"] > 0).all()
    np.testing.assert_allclose(cand["floor_area_m2"], cand["footprint_m2"] * cand["storeys_assumed"],
                               atol=1.0)


# ---------------------------------------------------------------------------------------------
# Population and communities
# ---------------------------------------------------------------------------------------------

def test_xian_population_is_census_density_times_cell_area():
    pop = _layer("xian", "population")
    assert (pop["population"] > 0).all()
    assert int(pop["population"].sum()) == XIAN_TOTAL
    # Each compound: its cell area (≤ a 250 m circle) at 新城区 density, rounded.
    circle_max = math.pi * 250**2 / 1e6 * XIAN_DENSITY
    assert pop["population"].max() <= math.ceil(circle_max)
    expected = pop["cell_area_m2"] / 1e6 * XIAN_DENSITY
    assert (np.abs(pop["population"] - expected) <= 1.0 + 0.1 / 1e6 * XIAN_DENSITY).all()
    # Households from the census household size of the three districts (no longer 2.6 assumed).
    np.testing.assert_allclose(pop["households"], pop["population"] / XIAN_HOUSEHOLD_SIZE, atol=0.05)
    assert pop["compound_id"].is_unique


def test_xian_communities_hold_their_compounds():
    com = _layer("xian", "communities")
    pop = _layer("xian", "population")
    assert com["community_id"].str.fullmatch(r"XA-\d{3}").all() and com["name"].is_unique
    assert (com["kind"] == "urban").all()
    # Every compound lies in the polygon of the community it was assigned to.
    joined = gpd.sjoin(pop, com[["community_id", "geometry"]], predicate="within", how="left")
    assert (joined["community_id_left"] == joined["community_id_right"]).all()
    totals = pop.groupby("community_id")["population"].sum()
    assert (com.set_index("community_id")["population"] == totals).all()
    np.testing.assert_allclose(com["households"], com["population"] / XIAN_HOUSEHOLD_SIZE, atol=0.05)
    # Typical community size: most units hold 3,000–10,000 residents, none over 10,000.
    sizes = com["population"]
    assert sizes.between(3000, 10000).mean() >= 0.9 and sizes.max() <= 10000
    assert com["district"].notna().all()


def test_liechtenstein_population_sums_to_2015_total_on_a_100m_grid():
    pop = _layer("liechtenstein", "population")
    assert (pop["population"] > 0).all() and pop["population"].dtype.kind == "i"
    assert int(pop["population"].sum()) == LI_TOTAL
    assert pop["cell_id"].is_unique
    # Every point lies in the LV95 100 m cell its id names.
    corner = pop["cell_id"].str.extract(r"LV95-100m-(-?\d+)-(-?\d+)").astype(float)
    lv95 = pop.to_crs("EPSG:2056").geometry
    assert ((lv95.x >= corner[0]) & (lv95.x < corner[0] + 100)).all()
    assert ((lv95.y >= corner[1]) & (lv95.y < corner[1] + 100)).all()


def test_liechtenstein_municipalities():
    com = _layer("liechtenstein", "communities")
    pop = _layer("liechtenstein", "population")
    assert list(com["community_id"]) == [f"LI-{n}" for n in range(7001, 7012)]
    assert set(com.loc[com["kind"] == "urban", "name"]) == {"Vaduz", "Schaan"}
    assert (com["kind"] == "rural").sum() == 9
    joined = gpd.sjoin(pop, com[["community_id", "geometry"]], predicate="within", how="left")
    assert (joined["community_id_left"] == joined["community_id_right"]).all()
    assert int(com["population"].sum()) == LI_TOTAL
    # Area check against the Swiss federal statistics field carried in OSM (Vaduz 17.3 km²).
    vaduz = com[com["name"] == "Vaduz"].to_crs("EPSG:2056").area.iloc[0] / 1e6
    assert 16.5 < vaduz < 18.0


def test_liechtenstein_roads_are_the_raw_extract():
    pbf = DATA / "liechtenstein" / "roads.osm.pbf"
    assert hashlib.sha256(pbf.read_bytes()).hexdigest() == LI_PBF_SHA256


def test_xian_roads_keep_class_and_oneway():
    roads = _layer("xian", "roads")
    assert set(roads["oneway"]) == {"F", "T", "B"}
    assert set(roads["highway"]) - set(HIGHWAY_CLASSES) <= {"unknown"}
    assert (roads["osm_id"] > 0).all()
    assert (roads["highway"] == "residential").sum() == 1100  # fclass count in PROVENANCE.md


# ---------------------------------------------------------------------------------------------
# Loading through the product's loader
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "counts", "total", "epsg"), [
    ("xian", XIAN_COUNTS, XIAN_TOTAL, 32649),
    ("liechtenstein", LI_COUNTS, LI_TOTAL, 32632),
])
def test_loads_with_load_dataset(name: str, counts: dict[str, int], total: int, epsg: int):
    from geo.dataset_loader import load_dataset

    ds = load_dataset(DATA / name)
    assert ds.report.usable, [str(p) for p in ds.report.errors]
    assert not [p for p in ds.report.problems if p.severity == "warning"]
    assert ds.crs.to_epsg() == epsg
    for layer in LAYERS:
        assert len(getattr(ds, layer)) == counts[layer], layer
    assert float(ds.population["population"].sum()) == total
    assert ds.population["community_id"].notna().all()
    assert ds.attribution == _toml(name)["attribution"]
    assert len(ds.roads.edge_u) > 10_000


# ---------------------------------------------------------------------------------------------
# The build script
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("tag", "name", "expected"), [
    ("医疗;诊所", "西安雁塔李永春诊所", "health"),
    ("医疗;诊所", "雷永峰牙科", None),
    ("医疗;其他", "莲湖区桃园社区卫生服务中心西电集团医院医疗联合体", "health"),
    ("政府机构;公检法机构", "西大街派出所迎春社区警务室", "police"),
    ("政府机构;行政单位", "应急避难场所", "emergency_shelter"),
    ("政府机构;福利机构", "杏林养老院", "elderly_care"),
    ("政府机构;居民委员会", "吉祥社区居委会", "community_service_center"),
    ("政府机构;各级政府", "中共丰禾村社区居民支部委员会", None),
    ("生活服务;物流公司", "菜鸟驿站", "express"),
    ("公司企业;公司", "南京东大金智电气自动化有限公司", None),
    ("丽人;美发", "大众理发店", "convenience_retail"),
    ("购物;集市", "汪氏水族", None),
    ("运动健身;体育场馆", "天宝贝婴幼儿游泳馆", None),
    ("房地产;住宅区", "磁带厂社区", None),
])
def test_baidu_rules_on_real_names(tag: str, name: str, expected: str | None):
    got = build_data.classify_baidu(pd.Series([tag]), pd.Series([name])).iloc[0]
    assert (None if pd.isna(got) else got) == expected


def test_every_rule_names_a_taxonomy_key():
    assert {rule.category for rule in build_data.XIAN_RULES} <= set(CATEGORIES)


def test_largest_remainder_rounds_to_the_total():
    np.testing.assert_array_equal(build_data.largest_remainder(np.array([1.0, 1.0, 1.0]), 10),
                                  [4, 3, 3])
    np.testing.assert_array_equal(build_data.largest_remainder(np.array([0.2, 0.5, 0.3]), 7),
                                  [1, 4, 2])  # 1.4, 3.5, 2.1 → floors 1, 3, 2; the 0.5 gets +1


def test_toml_writer_round_trips():
    meta = {"name": "x", "flag": True, "n": 3, "notes": ['a "quoted" note', "第二条"]}
    assert tomllib.loads(build_data.dataset_toml(meta)) == meta


def test_failed_write_keeps_the_previous_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    target = tmp_path / "dataset.gpkg"
    good = gpd.GeoDataFrame({"a": [1]}, geometry=gpd.points_from_xy([1.0], [2.0]), crs=4326)
    build_data.write_gpkg({"facilities": good}, target)
    before = target.read_bytes()
    real_to_file = gpd.GeoDataFrame.to_file

    def disk_full_on_second_layer(self, path, *args, **kwargs):  # type: ignore[no-untyped-def]
        if kwargs.get("layer") == "broken":
            raise OSError("No space left on device")
        return real_to_file(self, path, *args, **kwargs)

    monkeypatch.setattr(gpd.GeoDataFrame, "to_file", disk_full_on_second_layer)
    with pytest.raises(OSError, match="No space"):
        build_data.write_gpkg({"facilities": good.assign(a=[2]), "broken": good}, target)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["dataset.gpkg"]


def test_missing_raw_file_names_it(tmp_path: Path):
    with pytest.raises(DataError, match=re.escape("xian_center_osm_roads_2017.gpkg")):
        build_data.build_xian(tmp_path, tmp_path / "out")
    assert build_data.main(["--shared", str(tmp_path), "--out", str(tmp_path / "out")]) == 2


@pytest.mark.skipif(not (SHARED / build_data.XIAN_POI).exists(), reason="raw data not present")
def test_xian_rebuild_is_identical(tmp_path: Path):
    figures = build_data.build_xian(SHARED, tmp_path)
    assert figures["population_total"] == XIAN_TOTAL
    assert figures["facilities_by_category"] == XIAN_BY_CATEGORY
    for file in ("dataset.gpkg", "dataset.toml", "README.md"):
        assert (tmp_path / "xian" / file).read_bytes() == (DATA / "xian" / file).read_bytes(), file


# ---------------------------------------------------------------------------------------------
# 2020 census by county, and the Xi'an groups built from it
# ---------------------------------------------------------------------------------------------

CENSUS_RAW = SHARED / "census_cn_2020"


def test_census_table_has_every_county_with_published_figures():
    table = pd.read_csv(DATA / "census_cn_2020.csv", dtype={"code": str})
    assert len(table) == 2990 and table["code"].is_unique
    assert table["code"].str.fullmatch(r"\d{6}").all()
    dangtu = table.set_index("code").loc["340521"]
    # Published (PROVENANCE.md, target_areas_summary.csv): 当涂县 446,991 residents, 63.01 % urban,
    # 2.63 persons per household, 65+ 16.80 %, 60+ 21.36 % = 60–64 (4.56 %) + 65+.
    assert dangtu["name"] == "当涂县" and dangtu["residents"] == 446_991
    assert dangtu["urban_share"] == 0.6301 and dangtu["household_size"] == 2.63
    assert dangtu["age_60_64"] + dangtu["age_65p"] == pytest.approx(0.2136, abs=1e-12)
    # 金门县 was not enumerated; 路北区's household size of 225 in the source is left empty, and
    # so are the age shares of 扎赉诺尔区, which add up to 0.4578 in the source.
    assert table.set_index("code").loc["350527"].drop("name").isna().all()
    assert np.isnan(table.set_index("code").loc["130203", "household_size"])
    assert table.set_index("code").loc["150703"].filter(like="age_").isna().all()
    assert table["household_size"].dropna().between(1.0, 10.0).all()
    # The bands add up to the residents (rounding of the published four decimals aside).
    bands = [c for c in table.columns if c.startswith("age_") and c not in ("age_0_14", "age_15_64", "age_65p")]
    assert len(bands) == 19
    known = table[table["age_0"].notna()]
    np.testing.assert_allclose(known[bands].sum(axis=1), 1.0, atol=6e-4)


@pytest.mark.skipif(not CENSUS_RAW.exists(), reason="raw data not present")
def test_census_rebuild_is_identical(tmp_path: Path):
    figures = build_data.build_census(SHARED, tmp_path)
    assert figures["counties"] == 2990 and figures["counties_with_figures"] == 2989
    assert (tmp_path / "census_cn_2020.csv").read_bytes() == (DATA / "census_cn_2020.csv").read_bytes()
    # Every figure as published: the bundled table against the raw files, cell by cell.
    raw = pd.read_csv(CENSUS_RAW / "ages.csv", dtype={"CODE": str}, na_values=["#DIV/0!"]).set_index("CODE")
    table = pd.read_csv(DATA / "census_cn_2020.csv", dtype={"code": str}).set_index("code")
    kept = raw.index != "150703"  # its age shares are left empty (see the table test)
    for ours, theirs in (("age_60_64", "AGES_60-64"), ("age_5_9", "AGES_5-9"), ("age_85p", "AGES_85P")):
        np.testing.assert_array_equal(table[ours].to_numpy()[kept], raw[theirs].to_numpy()[kept])
    assert table.loc["150703", "age_60_64"] != table.loc["150703", "age_60_64"]  # NaN


def test_xian_groups_are_the_census_shares_of_its_three_districts():
    pop = _layer("xian", "population")
    assert XIAN_HOUSEHOLD_SIZE == pytest.approx(2.1945, abs=5e-5)  # 2,393,928 residents / 1,090,885 households
    np.testing.assert_allclose(pop["elderly"], pop["population"] * XIAN_SHARE_60, atol=0.05)
    # 0–6 = 0 + 1–4 + 2/5 × 5–9 per district (bands of ages.csv), weighted by residents.
    bands = {"610102": (0.0068, 0.0389, 0.0476), "610103": (0.0062, 0.0347, 0.0429),
             "610104": (0.0083, 0.0464, 0.0513)}
    share_0_6 = sum(XIAN_DISTRICTS[c][0] * (a + b + 0.4 * d) for c, (a, b, d) in bands.items()) / _RES
    np.testing.assert_allclose(pop["children"], pop["population"] * share_0_6, atol=0.05)
    assert (pop["elderly"] <= pop["population"]).all() and (pop["children"] <= pop["population"]).all()


def test_xian_readme_says_where_each_figure_comes_from():
    readme = (DATA / "xian" / "README.md").read_text(encoding="utf-8")
    assert "## Where each figure comes from" in readme
    for text in ("bulletin", "tabulation", "新城/碑林/莲湖", "2.1945", "19.10 %", "2/5", "weighted by residents",
                 "2020 census by county (NBS), via thebamboogrove/tudigong (MIT)"):
        assert text in readme, text
    notes = " ".join(_toml("xian")["notes"])
    assert "2.19 persons per household" in notes and "thebamboogrove/tudigong" in notes
    # Liechtenstein keeps its own sources: no census, no group columns.
    assert not {"elderly", "children"} & set(_layer("liechtenstein", "population").columns)
    assert "census" not in (DATA / "liechtenstein" / "README.md").read_text(encoding="utf-8")
