"""Build the bundled data sets in ``data/`` from the raw files in ``../shared/data/``.

``python scripts/build_data.py [--shared ../shared/data] [--out data] [--only census|xian|liechtenstein]``

First the county table of the 2020 census, ``census_cn_2020.csv`` (2,990 counties: residents,
urban share, age bands, household size; see :mod:`planning.census`), then two sets, each a folder
with ``dataset.toml``, ``README.md`` and ``dataset.gpkg`` (layers communities, facilities,
population, candidates and, for Xi'an, roads):

- ``xian``: central Xi'an inside the 2nd Ring Road. Roads from OpenStreetMap (2017), facilities
  from Baidu Maps POIs (2018/19) mapped onto the facility taxonomy by the explicit rules in
  :data:`XIAN_RULES`, demand points from the Baidu residential compounds with an estimated
  population, and approximate community units built from them.
- ``liechtenstein``: the 2015 OpenStreetMap extract of Liechtenstein (``roads.osm.pbf``), its
  eleven municipalities as communities, population on a 100 m grid estimated from residential
  building floor area, facilities from OSM tags and public buildings as candidate sites.

The build is deterministic: the same raw files give the same layers (k-means is seeded and the
GeoPackage timestamps are fixed). Every file is written to a temporary file next to its target
and then moved over it, so an interrupted build never leaves a half-written data set.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from shapely.geometry import box

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo._errors import DataError  # noqa: E402
from geo.taxonomy import CATEGORIES, category_from_osm_tags  # noqa: E402
from planning import census  # noqa: E402
from planning.output import files  # noqa: E402
from planning.output.files import replacing  # noqa: E402

SEED = 0
WGS84 = "EPSG:4326"
# Fixed GeoPackage timestamps, so that rebuilding unchanged inputs gives identical files.
GPKG_DATE = "2026-01-01T00:00:00Z"

#: Raw folder of the 2020 census by county, and the bundled table built from it.
CENSUS_RAW = "census_cn_2020"
CENSUS_TABLE = "census_cn_2020.csv"

# ---------------------------------------------------------------------------------------------
# Xi'an: constants
# ---------------------------------------------------------------------------------------------

XIAN_ROADS = "xian/xian_center_osm_roads_2017.gpkg"
XIAN_POI = "xian/xian_center_baidu_poi_2018.gpkg"
XIAN_CRS = "EPSG:32649"  # UTM 49N, the zone of Xi'an
#: Study box of the raw pack (lon/lat), see ``xian/PROVENANCE.md``.
XIAN_BOX = (108.88, 34.20, 109.02, 34.32)
#: 7th census (2020): 新城区 644,702 residents on 30.13 km².
XIAN_DENSITY_PER_KM2 = 644_702 / 30.13
#: The 2nd Ring Road spans 新城区, 碑林区 and 莲湖区 (and edges of 雁塔区/未央区): their 2020
#: census figures taken together (shares weighted by residents; residents over households) give
#: every compound its households and its residents aged 60+ and 0–6.
XIAN_CENSUS_DISTRICTS = ("610102", "610103", "610104")
XIAN_CENSUS_NAME = "新城区/碑林区/莲湖区"
#: A compound represents at most the residents within this distance (Voronoi cell ∩ circle).
XIAN_MAX_RADIUS_M = 250.0
#: Target residents per approximate community unit (k = total / this).
XIAN_COMMUNITY_TARGET = 6000
XIAN_DISTRICTS = ("新城区", "碑林区", "莲湖区", "雁塔区", "未央区", "灞桥区")


@dataclass(frozen=True)
class Rule:
    """One row of the Baidu POI → facility category table.

    A POI matches when its Baidu ``tag`` matches ``tags`` (a regular expression over the whole
    tag), its name matches ``name`` (searched; ``None`` = any name) and its name does not match
    ``exclude``. Rules are tried in order and the first match wins.
    """

    category: str
    tags: str
    name: str | None = None
    exclude: str | None = None


#: The explicit mapping of Baidu POIs onto the facility taxonomy, worked out from the tags and
#: names in the raw file. Earlier rows win (a 派出所 inside a hospital is police, a 社区卫生服务站
#: tagged 生活服务 is health).
XIAN_RULES: tuple[Rule, ...] = (
    Rule("emergency_shelter", r"政府机构.*", r"避难场所"),
    Rule("police", r"(政府机构|医疗).*", r"派出所|警务室|警务站|警务社|报警点|治安点|治安亭|警务区",
         r"停车场|门前P|法律"),
    # Primary care: every 诊所 except dental, cosmetic and eye/foot shops; community health
    # stations and village clinics wherever Baidu filed them.
    Rule("health", r"医疗;诊所", None,
         r"口腔|牙科|齿科|美容|整形|脚病|修脚|视力|弱视|眼科|心理|植物医生|蝶遇花|圣原|文聚社"
         r"|治安亭|金融|呼叫中心|健康俱乐部|转诊站|护眼|按摩"),
    Rule("health", r"(医疗|医疗;其他|生活服务.*)", r"社区卫生|卫生服务站|卫生服务中心|卫生室|卫生所|卫生站",
         r"内科|门诊综合楼|指导中心"),
    Rule("elderly_care", r"政府机构;福利机构",
         r"养老|敬老|老年|日间照料|护老|护理院|颐年|福寿|夕阳红|托老"),
    Rule("elderly_care", r"(政府机构.*|生活服务.*|医疗.*)",
         r"养老院|养老服务|敬老院|老年公寓|日间照料|护老院|老年之家|托老所|养老中心",
         r"保险|产业|用品|资金|生活馆|协会|接待处"),
    Rule("meal_aid", r".*", r"助餐点|老年餐桌|老年食堂|长者食堂|爱心食堂"),
    Rule("childcare", r"(教育培训.*|生活服务.*|购物;商铺)", r"幼儿园|托育|托儿所|托教",
         r"支部|委员会|教师培训|服饰"),
    Rule("social_work_station", r".*", r"社工站|社会工作服务|社工服务"),
    Rule("volunteer_station", r"(政府机构.*|生活服务.*)", r"志愿.*站", r"协会"),
    Rule("legal_service", r"(政府机构.*|公司企业.*|生活服务.*|金融|教育培训)",
         r"法律服务|法律援助|法律顾问|法律咨询|公证|司法所|律师事务所|人民调解|调解工作室|纠纷调解",
         r"协会|学会|编辑部|杂志|出版"),
    Rule("government_service", r"(政府机构.*|生活服务.*)",
         r"政务服务|政务大厅|便民服务中心|便民服务站|便民服务点|代办站|代办中心|劳动保障工作站"
         r"|最低生活保障|社会捐助|婚姻登记|残疾人服务中心|残疾人综合服务中心",
         r"纪律|监察|联通|移动|电信|宽带|天翼|保险|汽车|车辆|公司|社区综合服务大厅"),
    Rule("community_service_center", r"政府机构;居民委员会"),
    Rule("community_service_center", r"(政府机构.*|生活服务.*)",
         r"居民委员会|居委会|村民委员会|村委会|社区服务站|社区服务中心|社区工作服务站|社区工作站"
         r"|社区综合服务|党群服务中心|社区办公室|社区群众工作室",
         r"监督委员会|业主|家属|调解|卫生|计生|治安|综合治理|保险|游客"),
    Rule("culture", r"文化传媒;文化宫",
         r"文化馆|文化站|文化宫|文化中心|少年宫|青少年宫|活动室|活动中心|活动站|学习中心|妇女之家|文体中心",
         r"雀|麻将|棋牌|台球|歌舞厅|射击|大学|学院|学生|教职工|职工|教工|离退休|老干部|干部|清真寺"
         r"|交流|研究|书画|画院|画室|油画|贵宾|乐高|统计局|信托|学术|设计院|研究院|公寓|酒|娱乐|休闲"
         r"|好运来|开心|聚仙阁|体育|艺术团|合唱团"),
    Rule("culture", r"(文化传媒.*|政府机构.*)", r"群众艺术馆|图书馆|图书室|文化站|文化活动室",
         r"展览厅|发行"),
    Rule("sports", r"运动健身;体育场馆", None,
         r"婴|宝贝|宝宝|baby|Baby|台球|桌球|棋牌|密室|VR|电玩|游艺|游戏|超乐场|欢乐|乐园|游乐"
         r"|酒店|饭店|宾馆|会所|高尔夫|滑雪|宠物|卡丁车|赛车|赛鸽|射击|真人|cs|动漫|蹦迪|观影"
         r"|体验馆|康乐|-私人|路口|面有菜色|乐合屋|鑫盛轩|城事|荟客馆|觅家|123|养生|客户|饮料|会馆"
         r"|俱乐会|电子竞技|表演|商友|^大明宫$"),
    Rule("sports", r"(运动健身;健身中心|休闲娱乐;休闲广场)", r"全民健身|健身广场|社区.*健身|健身苑|健身长廊"),
    Rule("convenience_retail", r"购物;(超市|便利店)", None,
         r"宾馆|车实惠|渔具|服饰|批发|舜江广场|经贸部"),
    Rule("convenience_retail", r"购物;(集市|市场|其他)?", r"菜市场|农贸市场|蔬菜|副食|粮油|肉|水果|果业|鲜果|豆腐|水产",
         r"水族|电动车|羊毛衫|貂绒|批发市场|小商品|体验中心|鲍翅"),
    Rule("convenience_retail", r"丽人;美发", r"理发", r"形象设计"),
    Rule("convenience_retail", r"生活服务;维修点", r"家电|制冷|电动车|自行车|锁|修鞋|皮具|钟表|修表",
         r"名车|汽车|公务车辆"),
    Rule("express", r"(生活服务.*|公司企业.*)",
         r"快递|速递|速运|顺丰|菜鸟|驿站|自提|宅急送|EMS|京东到家|邮政|邮局|邮电所|邮政所|速递易|德邦",
         r"物流有限|快运|铁路|托运|分拣|转运局|货场|货运|专线|发行局|报刊|客户服务中心|营销中心|运输|储蓄"
         r"|分公司"),
)

#: Public buildings that plans name as sources of idle space (offices, welfare and training
#: centres): the Baidu tags and name patterns that make a POI a candidate site.
XIAN_CANDIDATE_TAGS = r"政府机构(;各级政府|;行政单位|;其他|;福利机构)?|教育培训;培训机构"
XIAN_CANDIDATE_TRAINING = (
    r"社区学校|社区教育|党校|(?:省|市|区|局|厅|政府|干部|职工|民政|国家|大学|供电|电力|银行|电信).*培训中心")
XIAN_CANDIDATE_EXCLUDE = (
    r"支部|党委|总支|委员会$|协会|学会|商会|物业|业主|家委会|家属|墓园|公墓|公司|集团|有限|招商|售楼"
    r"|项目|指挥部|筹建|公示牌|刻公章|网站|自助|避难场所|监测哨点|^工商行政管理$|^城管执法$"
    r"|^道路运政$|^中国税务$|^公安信访$|办事处\(|接待处|代办车辆|支付|检查$|改造|中铁|中交|商贸城"
    r"|合作社|国彩|^托管$|基金会|英语|外语|美语|舞蹈|艺术|美术|书画|音乐|化妆|美甲|咖啡|驾校|英孚"
    r"|少儿|画室|围棋|摄影|美痣"
)

# ---------------------------------------------------------------------------------------------
# Liechtenstein: constants
# ---------------------------------------------------------------------------------------------

LI_PBF = "europe_osm/liechtenstein-2015-10.osm.pbf"
LI_CRS = "EPSG:2056"  # CH1903+/LV95, the national grid of Liechtenstein and Switzerland
#: Resident population of Liechtenstein at the end of 2015 (Amt für Statistik).
LI_POPULATION_2015 = 37_622
LI_GRID_M = 100.0
LI_URBAN = ("Vaduz", "Schaan")
#: Building types that hold dwellings, with the storeys assumed when building:levels is absent.
LI_RESIDENTIAL_LEVELS: dict[str, float] = {
    "apartments": 4.0, "residential": 3.0, "house": 2.0, "detached": 2.0,
    "semidetached_house": 2.0, "terrace": 2.0, "farm": 2.0, "yes": 2.0,
}
#: ``building=yes`` smaller than this is a garage or shed, not a dwelling.
LI_MIN_DWELLING_M2 = 40.0
#: Land uses where an untyped ``building=yes`` is not a dwelling.
LI_NON_RESIDENTIAL_LANDUSE = ("industrial", "commercial", "retail", "military", "railway")
#: Tags that make an untyped building a non-dwelling (a shop, office, school …).
LI_NON_RESIDENTIAL_KEYS = ("amenity", "shop", "office", "tourism", "craft", "industrial",
                           "leisure", "man_made", "historic", "public_transport", "religion")
#: Public buildings offered as candidate sites, with the storeys assumed without building:levels.
LI_CANDIDATE_LEVELS: dict[str, float] = {
    "public": 2.0, "civic": 2.0, "government": 3.0, "school": 2.0,
}
LI_CANDIDATE_AMENITIES = ("townhall", "community_centre")


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------

def write_gpkg(layers: Mapping[str, gpd.GeoDataFrame], target: Path) -> None:
    """Write layers into one GeoPackage at ``target`` without ever leaving it half written.

    Written through :func:`planning.output.files.replacing`, with a spatial index per layer and
    fixed timestamps (so unchanged inputs give identical files).
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": GPKG_DATE})
        with replacing(target) as tmp:
            for i, (name, frame) in enumerate(layers.items()):
                frame.to_file(tmp, layer=name, driver="GPKG", engine="pyogrio",
                              append=i > 0, layer_options={"SPATIAL_INDEX": "YES"})
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": None})


def write_text(text: str, target: Path) -> None:
    """Write ``text`` (UTF-8) to ``target`` through a temporary file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    files.write_text(target, text)


def copy_file(source: Path, target: Path) -> None:
    """Copy ``source`` to ``target`` through a temporary file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    files.write_with(target, lambda tmp: shutil.copyfile(source, tmp))


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}"'
    if isinstance(value, (list, tuple)):
        inner = ",\n".join(f"    {_toml_value(v)}" for v in value)
        return f"[\n{inner},\n]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def dataset_toml(meta: Mapping[str, Any]) -> str:
    """The ``dataset.toml`` text for ``meta`` (flat keys: strings, numbers, booleans, lists)."""
    lines = ["# Written by scripts/build_data.py; edit the script, not this file."]
    lines += [f"{key} = {_toml_value(value)}" for key, value in meta.items()]
    return "\n".join(lines) + "\n"


def _require(path: Path) -> Path:
    if not path.exists():
        raise DataError("raw file not found", file=path,
                        fix="pass --shared pointing at the shared data folder (../shared/data)")
    return path


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def largest_remainder(values: np.ndarray, total: int) -> np.ndarray:
    """Round non-negative ``values`` to integers that add up to exactly ``total``."""
    values = np.asarray(values, dtype=float)
    scaled = values * (total / values.sum())
    base = np.floor(scaled).astype(np.int64)
    short = int(total - base.sum())
    # Ties broken by position, so the result is deterministic.
    order = np.lexsort((np.arange(len(scaled)), -(scaled - base)))
    base[order[:short]] += 1
    return base


# ---------------------------------------------------------------------------------------------
# 2020 census by county
# ---------------------------------------------------------------------------------------------

def census_table(shared: Path) -> tuple[pd.DataFrame, list[str]]:
    """The county table from the raw census files (see :func:`planning.census.county_table_from_raw`)."""
    return census.county_table_from_raw(shared / CENSUS_RAW)


def build_census(shared: Path, out: Path) -> dict[str, Any]:
    """Write ``out/census_cn_2020.csv`` (2,990 counties) and return the figures of the summary."""
    table, emptied = census_table(shared)
    write_text(table.to_csv(index=False, lineterminator="\n"), out / CENSUS_TABLE)
    return {
        "counties": len(table),
        "counties_with_figures": int(table["residents"].notna().sum()),
        "residents_total": int(table["residents"].sum()),
        "left_empty": emptied,
        "bytes": (out / CENSUS_TABLE).stat().st_size,
    }


# ---------------------------------------------------------------------------------------------
# Xi'an
# ---------------------------------------------------------------------------------------------

def classify_baidu(tags: pd.Series, names: pd.Series,
                   rules: Iterable[Rule] = XIAN_RULES) -> pd.Series:
    """Facility category of each Baidu POI by the first matching rule (``NA`` when none)."""
    tags = tags.fillna("").astype(str)
    names = names.fillna("").astype(str)
    out = pd.Series(pd.NA, index=tags.index, dtype="object")
    for rule in rules:
        if rule.category not in CATEGORIES:
            raise DataError(f"rule category '{rule.category}' is not a taxonomy key",
                            fix="use a key of geo.taxonomy.CATEGORIES")
        hit = out.isna() & tags.str.fullmatch(rule.tags)
        if rule.name is not None:
            hit &= names.str.contains(rule.name, regex=True)
        if rule.exclude is not None:
            hit &= ~names.str.contains(rule.exclude, regex=True)
        out[hit] = rule.category
    return out


def _district(frame: pd.DataFrame) -> pd.Series:
    """Baidu ``district``, or the district named in the address when that field is empty."""
    pattern = "(" + "|".join(XIAN_DISTRICTS) + ")"
    from_address = frame["address"].fillna("").str.extract(pattern, expand=False)
    return frame["district"].where(frame["district"].notna(), from_address)


def _voronoi_cells(points: gpd.GeoSeries,
                   extent: shapely.Geometry) -> tuple[np.ndarray, np.ndarray]:
    """Voronoi cell of each point clipped to ``extent``; coincident points share their cell."""
    xy = np.column_stack([points.x.to_numpy(), points.y.to_numpy()])
    unique, inverse = np.unique(xy.round(3), axis=0, return_inverse=True)
    inverse = inverse.ravel()
    cells = shapely.voronoi_polygons(shapely.multipoints(unique), extend_to=extent, ordered=True)
    parts = shapely.get_parts(cells)
    parts = shapely.intersection(parts, extent)
    share = np.bincount(inverse)[inverse]  # points on one spot split its cell
    return parts[inverse], share


def xian_census(shared: Path) -> tuple[census.County, list[census.County]]:
    """The three districts of the ring taken together, and each of them (2020 census)."""
    table = census.with_derived(census_table(shared)[0])
    parts = [census.county(code, table=table) for code in XIAN_CENSUS_DISTRICTS]
    return census.combined(XIAN_CENSUS_DISTRICTS, name=XIAN_CENSUS_NAME, table=table), parts


def xian_population(compounds: gpd.GeoDataFrame, extent: shapely.Geometry,
                    mix: census.County) -> gpd.GeoDataFrame:
    """Residents per compound: its Voronoi cell within 250 m at 新城区 census density; households,
    residents aged 60+ and children aged 0–6 from the census figures of the three districts."""
    cells, share = _voronoi_cells(compounds.geometry, extent)
    reach = shapely.buffer(compounds.geometry.to_numpy(), XIAN_MAX_RADIUS_M, quad_segs=16)
    area_m2 = shapely.area(shapely.intersection(cells, reach)) / share
    residents = area_m2 / 1e6 * XIAN_DENSITY_PER_KM2
    out = compounds.copy()
    out["cell_area_m2"] = np.round(area_m2, 1)
    out["population"] = largest_remainder(residents, int(round(residents.sum())))
    out["households"] = np.round(out["population"] / mix.household_size, 1)
    out["elderly"] = np.round(out["population"] * mix.share_60_plus, 1)
    out["children"] = np.round(out["population"] * mix.share_0_6, 1)
    out["voronoi_cell"] = cells  # kept for the community polygons, dropped before writing
    return out


def _balanced_labels(xy: np.ndarray, weight: np.ndarray, k: int) -> np.ndarray:
    """Population-weighted k-means, then split units over 10,000 residents in two."""
    from sklearn.cluster import KMeans

    labels = KMeans(n_clusters=k, n_init=10, random_state=SEED).fit(
        xy, sample_weight=weight).labels_
    # k-means balances distance, not people: split the largest units until all are ≤ 10,000
    # (or cannot be split because they are one compound).
    for _ in range(10 * k):
        totals = np.bincount(labels, weights=weight)
        big = int(np.argmax(totals))
        members = np.flatnonzero(labels == big)
        if totals[big] <= 10_000 or len(members) < 2:
            break
        sub = KMeans(n_clusters=2, n_init=10, random_state=SEED).fit(
            xy[members], sample_weight=weight[members]).labels_
        if sub.min() == sub.max():
            break
        labels[members[sub == 1]] = labels.max() + 1
    # Renumber west→east, north→south by centroid so ids follow the map.
    order = pd.DataFrame({"label": labels, "x": xy[:, 0], "y": xy[:, 1], "w": weight})
    cent = order.groupby("label").apply(
        lambda g: pd.Series({"x": np.average(g.x, weights=g.w + 1e-9),
                             "y": np.average(g.y, weights=g.w + 1e-9)}),
        include_groups=False)
    rank = cent.assign(row=(-cent.y // 1000)).sort_values(["row", "x"]).index
    mapping = {old: new for new, old in enumerate(rank)}
    return np.array([mapping[v] for v in labels])


def xian_communities(demand: gpd.GeoDataFrame, household_size: float) -> tuple[gpd.GeoDataFrame, pd.Series]:
    """Approximate community units from the compounds, and each compound's community id."""
    total = float(demand["population"].sum())
    k = max(1, int(round(total / XIAN_COMMUNITY_TARGET)))
    xy = np.column_stack([demand.geometry.x, demand.geometry.y])
    labels = _balanced_labels(xy, demand["population"].to_numpy(dtype=float), k)
    ids = pd.Series([f"XA-{v + 1:03d}" for v in labels], index=demand.index)
    rows = []
    for cid, members in demand.groupby(ids, sort=True):
        largest = members.sort_values(["population", "compound_id"], ascending=[False, True]).iloc[0]
        districts = members["district"].dropna()
        rows.append({
            "community_id": cid,
            "name": f"{largest['name']}片区",
            "kind": "urban",
            "population": int(members["population"].sum()),
            "households": round(float(members["population"].sum()) / household_size, 1),
            "street": None,
            "district": Counter(districts).most_common(1)[0][0] if len(districts) else None,
            "compounds": len(members),
            "largest_compound": largest["name"],
            "geometry": shapely.union_all(members["voronoi_cell"].to_numpy()),
        })
    communities = gpd.GeoDataFrame(rows, geometry="geometry", crs=demand.crs)
    # Two units can share their largest compound's name; number them so names stay unique.
    dup = communities["name"].duplicated(keep=False)
    communities.loc[dup, "name"] = (communities.loc[dup, "name"] + "("
                                    + communities.loc[dup, "community_id"] + ")")
    return communities, ids


def build_xian(shared: Path, out: Path) -> dict[str, Any]:
    """Build ``out/xian`` and return the figures printed in the summary."""
    roads_path, poi_path = _require(shared / XIAN_ROADS), _require(shared / XIAN_POI)
    extent = gpd.GeoSeries([box(*XIAN_BOX)], crs=WGS84).to_crs(XIAN_CRS).iloc[0]

    roads = gpd.read_file(roads_path, engine="pyogrio")
    roads = roads.rename(columns={"fclass": "highway"})[
        ["osm_id", "highway", "name", "ref", "oneway", "maxspeed", "bridge", "tunnel", "geometry"]]
    roads = roads.sort_values("osm_id", kind="stable").reset_index(drop=True)

    poi = gpd.read_file(poi_path, layer="poi", engine="pyogrio")
    compounds = gpd.read_file(poi_path, layer="residential_compounds", engine="pyogrio")
    poi["district"] = _district(poi)
    compounds["district"] = _district(compounds)

    # Facilities: the POIs the rule table maps onto a category (the rest is not bundled).
    poi["category"] = classify_baidu(poi["tag"], poi["name"])
    fac = poi[poi["category"].notna() & (poi["tag"] != "房地产;住宅区")].copy()
    facilities = gpd.GeoDataFrame({
        "facility_id": "baidu-" + fac["uid"],
        "category": fac["category"].astype(str),
        "name": fac["name"],
        "floor_area_m2": np.nan,
        "capacity": np.nan,
        "status": "existing",
        "baidu_uid": fac["uid"],
        "baidu_tag": fac["tag"],
        "address": fac["address"],
        "district": fac["district"],
        "source_set": fac["source_set"],
    }, geometry=fac.geometry.values, crs=WGS84).sort_values(["category", "facility_id"])

    # Candidates: public buildings (offices, welfare and training centres) not already in use
    # as a facility. Their idle status and floor area are unknown.
    tag, name = poi["tag"].fillna(""), poi["name"].fillna("")
    is_training = tag == "教育培训;培训机构"
    cand_mask = (
        tag.str.fullmatch(XIAN_CANDIDATE_TAGS)
        & (~is_training | name.str.contains(XIAN_CANDIDATE_TRAINING))
        & ~name.str.contains(XIAN_CANDIDATE_EXCLUDE)
        & poi["category"].isna()
        & (tag != "政府机构;居民委员会")
    )
    cand = poi[cand_mask]
    kind = np.select([cand["tag"] == "政府机构;福利机构", cand["tag"] == "教育培训;培训机构"],
                     ["welfare", "training"], "office")
    candidates = gpd.GeoDataFrame({
        "candidate_id": "baidu-" + cand["uid"],
        "name": cand["name"],
        "floor_area_m2": np.nan,
        "source": "public_building",
        "cost": np.nan,
        "building_kind": kind,
        "baidu_tag": cand["tag"],
        "address": cand["address"],
        "district": cand["district"],
        "source_set": cand["source_set"],
    }, geometry=cand.geometry.values, crs=WGS84).sort_values("candidate_id")

    # Population: one demand point per residential compound.
    compounds = compounds.sort_values("uid").reset_index(drop=True).to_crs(XIAN_CRS)
    compounds["compound_id"] = "baidu-" + compounds["uid"]
    mix, districts = xian_census(shared)
    demand = xian_population(compounds, extent, mix)
    communities, community_of = xian_communities(demand, mix.household_size)
    demand["community_id"] = community_of
    # Units whose compounds name no district take the most common district of all Baidu POIs
    # inside the unit (every POI's district comes from its own record or address).
    known = poi[poi["district"].notna()][["district", "geometry"]].to_crs(XIAN_CRS)
    in_unit = gpd.sjoin(known, communities[["community_id", "geometry"]], predicate="within")
    poi_district = in_unit.groupby("community_id")["district"].agg(
        lambda s: s.value_counts().sort_index().idxmax())
    no_district = communities["district"].isna()
    communities.loc[no_district, "district"] = communities.loc[no_district, "community_id"].map(
        poi_district)
    population = gpd.GeoDataFrame(
        demand[["compound_id", "name", "population", "households", "elderly", "children", "cell_area_m2",
                "community_id", "address", "district", "source_set"]],
        geometry=demand.geometry, crs=XIAN_CRS).to_crs(WGS84)
    communities = communities.to_crs(WGS84)

    target = out / "xian"
    write_gpkg({"communities": communities, "facilities": facilities, "population": population,
                "candidates": candidates, "roads": roads}, target / "dataset.gpkg")

    pops = population["population"].to_numpy()
    sizes = communities["population"].to_numpy()
    figures: dict[str, Any] = {
        "roads": len(roads),
        "facilities": len(facilities),
        "facilities_by_category": facilities["category"].value_counts().sort_index().to_dict(),
        "facilities_old_town": int((facilities["source_set"] == "poiXianOldTown").sum()),
        "candidates": len(candidates),
        "candidates_by_kind": candidates["building_kind"].value_counts().sort_index().to_dict(),
        "population_points": len(population),
        "population_total": int(pops.sum()),
        "population_min": int(pops.min()),
        "population_median": float(np.median(pops)),
        "population_max": int(pops.max()),
        "population_old_town": int(population.loc[population["source_set"] == "poiXianOldTown",
                                                   "population"].sum()),
        "households_total": round(float(population["households"].sum()), 1),
        "household_size": round(float(mix.household_size), 4),
        "share_60_plus": round(float(mix.share_60_plus), 6),
        "share_0_6": round(float(mix.share_0_6), 6),
        "elderly_total": round(float(population["elderly"].sum()), 1),
        "children_total": round(float(population["children"].sum()), 1),
        "census_districts": {d.name: {"code": d.code, "residents": d.residents, "household_size": d.household_size,
                                      "share_60_plus": round(d.share_60_plus, 6), "share_0_6": round(d.share_0_6, 6)}
                             for d in districts},
        "communities": len(communities),
        "community_min": int(sizes.min()),
        "community_median": float(np.median(sizes)),
        "community_max": int(sizes.max()),
        "communities_3000_10000": int(((sizes >= 3000) & (sizes <= 10000)).sum()),
        "sha256_roads": _sha256(roads_path),
        "sha256_poi": _sha256(poi_path),
    }
    meta = {
        "name": "xian",
        "title_zh": "西安中心城区（二环内）",
        "title_en": "Central Xi'an (inside the 2nd Ring Road)",
        "coords": "wgs84",
        "attribution": ["Roads © OpenStreetMap contributors (ODbL)",
                        "POI: Baidu Maps via richieBao/python-urbanPlanning (2019), demo only"],
        "notes": [
            f"人口为估算值：每个住宅小区按其泰森多边形（限 {XIAN_MAX_RADIUS_M:.0f} m 内）面积乘以新城区七普密度"
            f"（{XIAN_DENSITY_PER_KM2:,.0f} 人/km²），共 {figures['population_total']:,} 人。",
            f"Population estimated: each residential compound gets the residents of its Voronoi cell "
            f"(within {XIAN_MAX_RADIUS_M:.0f} m) at the 7th-census density of Xincheng District "
            f"({XIAN_DENSITY_PER_KM2:,.0f}/km²), {figures['population_total']:,} in total.",
            f"户数、60岁以上老年人和0-6岁儿童按第七次全国人口普查新城、碑林、莲湖三区合计折算（按常住人口加权）："
            f"户均 {mix.household_size:.2f} 人，60岁以上 {100 * mix.share_60_plus:.2f}%，0-6岁 "
            f"{100 * mix.share_0_6:.2f}%（0-6岁由 0岁、1-4岁两组加 5-9岁组的 2/5 推算）。",
            f"Households, residents aged 60+ and children aged 0-6 from the 2020 census of 新城/碑林/莲湖 "
            f"taken together (weighted by residents): {mix.household_size:.2f} persons per household, 60+ "
            f"{100 * mix.share_60_plus:.2f} %, 0-6 {100 * mix.share_0_6:.2f} % (0-6 = bands 0 and 1-4 and "
            f"2/5 of 5-9). Source: {census.ATTRIBUTION}.",
            f"社区为近似单元：由住宅小区按人口加权 k-means 聚类而成（{figures['communities']} 个），"
            "并非民政部门的社区边界。",
            f"Communities are approximate units ({figures['communities']}) clustered from the "
            "compounds, not official community boundaries.",
            "POI 数据存在老城偏差：购物、生活服务等类别只覆盖城墙周边老城（约 5 km × 3.7 km），"
            "其外的便民商业、快递等覆盖缺口是数据缺失而非真实缺口。",
            "POIs have an old-town bias: shopping and life-service POIs cover only the walled old "
            "town (about 5 km × 3.7 km); gaps in convenience retail or parcel points outside it are "
            "missing data, not missing shops.",
            "候选点为政府机关、福利机构、培训中心等公共建筑，是否闲置及面积未知，须实地核实。",
            "Candidate sites are public buildings whose idle status and floor area are unknown and "
            "must be checked on site.",
            "道路为 2017 年 OSM，POI 为 2018/19 年百度地图数据，仅供演示。",
        ],
        "population_estimated": True,
        "communities_approximate": True,
        "demo_label_zh": "演示数据：西安（2017 年 OSM 道路，2018/19 年百度 POI，人口为估算）",
        "demo_label_en": "Demonstration data: Xi'an (OSM roads 2017, Baidu POIs 2018/19, "
                         "estimated population)",
        "targets": "maanshan_14th_fyp",
    }
    write_text(dataset_toml(meta), target / "dataset.toml")
    write_text(xian_readme(figures), target / "README.md")
    return figures


def _census_rows(f: Mapping[str, Any]) -> str:
    rows = [f"| {name} | {d['code']} | {d['residents']:,} | {d['household_size']:g} | "
            f"{100 * d['share_60_plus']:.2f} % | {100 * d['share_0_6']:.2f} % |"
            for name, d in f["census_districts"].items()]
    rows.append(f"| **together** | | {sum(d['residents'] for d in f['census_districts'].values()):,} | "
                f"{f['household_size']:.4f} | {100 * f['share_60_plus']:.2f} % | {100 * f['share_0_6']:.2f} % |")
    return "\n".join(rows)


def _rule_table() -> str:
    rows = ["| # | category | Baidu tag (regex) | name contains (regex) | name excludes (regex) |",
            "|---|---|---|---|---|"]
    for i, rule in enumerate(XIAN_RULES, 1):
        cells = [str(i), f"`{rule.category}`", f"`{rule.tags}`",
                 f"`{rule.name}`" if rule.name else "(any)",
                 f"`{rule.exclude}`" if rule.exclude else ""]
        rows.append("| " + " | ".join(c.replace("|", "\\|") if j > 1 else c
                                      for j, c in enumerate(cells)) + " |")
    return "\n".join(rows)


def xian_readme(f: Mapping[str, Any]) -> str:
    """README of the Xi'an set, with the figures of this build."""
    by_cat = "\n".join(
        f"| `{key}` | {CATEGORIES[key].zh} | {f['facilities_by_category'].get(key, 0)} |"
        for key in CATEGORIES)
    by_kind = ", ".join(f"{k} {v}" for k, v in f["candidates_by_kind"].items())
    return f"""# 西安中心城区（二环内） / Central Xi'an inside the 2nd Ring Road

Default demonstration data set: a real, routable street network and real facility and
residential-compound points for one mainland Chinese urban area, about 12.9 km × 13.3 km
(lon 108.88–109.02, lat 34.20–34.32; parts of 新城区, 碑林区, 莲湖区, 雁塔区 and 未央区).
**Population and community units are estimates** (see below). Built by
`python scripts/build_data.py` from `../shared/data/xian/` (see its `PROVENANCE.md`); do not edit
the files by hand.

Files: `dataset.toml` (title, attribution, notes) and `dataset.gpkg` with the layers below,
all in WGS84 lon/lat (EPSG:4326).

| layer | features | what |
|---|---|---|
| `roads` | {f['roads']:,} lines | OSM roads (Geofabrik 2017): `osm_id`, `highway` (Geofabrik `fclass`), `name`, `ref`, `oneway` (Geofabrik F = along the line, T = against it, B = both), `maxspeed`, `bridge`, `tunnel` |
| `facilities` | {f['facilities']:,} points | Baidu POIs mapped onto the facility categories (table below): `facility_id` = `baidu-<uid>`, `category`, `name`, `status`, `baidu_uid`, `baidu_tag`, `address`, `district`, `source_set` |
| `population` | {f['population_points']:,} points | one demand point per Baidu residential compound (房地产;住宅区): `compound_id`, `name`, `population`, `households`, `elderly` (aged 60+), `children` (aged 0–6), `cell_area_m2`, `community_id`, `address`, `district`, `source_set` |
| `communities` | {f['communities']} polygons | approximate community units: `community_id` (XA-001…), `name`, `kind` (urban), `population`, `households`, `district`, `compounds`, `largest_compound` |
| `candidates` | {f['candidates']:,} points | public buildings as possible sites ({by_kind}): `candidate_id`, `name`, `source` = public_building, `floor_area_m2` and `cost` empty, `building_kind`, `baidu_tag`, `address`, `district` |

## Where each figure comes from
| figure | source | measured or estimated |
|---|---|---|
| roads, one-way streets, road classes | OpenStreetMap (Geofabrik 2017) | mapped |
| facilities and their categories | Baidu POIs 2018/19, mapped by the rule table below | scraped, classified by rules |
| residents per compound | Voronoi cell (≤ {XIAN_MAX_RADIUS_M:.0f} m) × density of 新城区 in Xi'an's 7th-census bulletin | **estimated** |
| households | residents / {f['household_size']:.4f}, the 2020 census tabulation of 新城/碑林/莲湖 together | **estimated** from census averages |
| residents aged 60+ (`elderly`) | residents × {100 * f['share_60_plus']:.2f} %, same tabulation | **estimated** from census shares |
| children aged 0–6 (`children`) | residents × {100 * f['share_0_6']:.2f} %, same tabulation, derived from 5-year bands | **estimated** from census shares |
| community units | population-weighted k-means of the compounds | **approximate**, not official |
| candidate sites | Baidu public-building POIs | real buildings; idle space unknown |

## Sources and licences
- Roads: © OpenStreetMap contributors, ODbL 1.0 (Geofabrik extract of about mid-2017, from
  `richieBao/python-urbanPlanning`, MIT). Show "Roads © OpenStreetMap contributors (ODbL)".
- POIs and residential compounds: Baidu Maps Place API records scraped in 2018/19 by
  `richieBao/python-urbanPlanning` (MIT code). Baidu's terms are not an open-data licence:
  **demo and test use only**, do not publish as a product data set. Show "POI: Baidu Maps via
  richieBao/python-urbanPlanning (2019), demo only". Coordinates were converted from BD-09 to
  WGS84 in the raw pack (median offset to the OSM roads 20.8 m).
- Raw file SHA-256: roads `{f['sha256_roads']}`, POIs `{f['sha256_poi']}`.

## Facilities: how Baidu POIs became categories
Only POIs that a rule maps to a category are bundled (the raw file holds 27,620 POIs). Rules are
tried in order; the first match wins.

{_rule_table()}

| category | 中文 | facilities |
|---|---|---|
{by_cat}

Categories with 0 have no matching POI in the raw data and stay empty; no points were invented.
Not mapped on purpose: general and specialist hospitals (a higher level than the community
circle), pharmacies, dental and cosmetic clinics, commercial early-education classes (早教),
commercial billiards, baby-swimming and gaming venues, parks.

**Old-town bias.** {f['facilities_old_town']:,} of the {f['facilities']:,} facilities come from the
`poiXianOldTown` scrape, which has all Baidu categories but only covers the walled old town
(108.915–108.971 E, 34.250–34.283 N). Shops and life services (parcel points, repairs) were
scraped only there (barbers, from the city-wide beauty category, are the exception), so
convenience-retail and parcel-point gaps outside the old town are missing data. The
column `source_set` keeps this visible. Counts city-wide are samples of a page-capped scrape,
not a census.

## Population (estimated)
There is no population data. Each of the {f['population_points']:,} residential compounds is a
demand point whose residents are the area of its Voronoi cell, clipped to the study box and to a
circle of {XIAN_MAX_RADIUS_M:.0f} m around the compound, times the 7th-census (2020) density of
新城区 (644,702 residents, the figure of Xi'an's own 7th-census bulletin, on 30.13 km² →
{XIAN_DENSITY_PER_KM2:,.0f} residents/km²), rounded to whole persons. Compounds at the same spot
share their cell.

- Total: **{f['population_total']:,} residents**, of which {f['population_old_town']:,} in compounds
  from the old-town scrape.
- Per compound: min {f['population_min']:,}, median {f['population_median']:,.0f}, max
  {f['population_max']:,}.

## Households, elderly and children (2020 census)
The ring spans three districts, so every compound takes their figures **taken together**
(weighted by residents), from the county table of the 2020 census (`data/census_cn_2020.csv`:
National Bureau of Statistics, *Tabulation on the 2020 Population Census of China by County*, via
thebamboogrove/tudigong, MIT). Attribution:
"{census.ATTRIBUTION}". These are the tabulation's figures; the bulletin's 新城区 figures
differ slightly (644,702 residents, 60+ 19.95 %).

| district | code | residents (tabulation) | persons per household | aged 60+ | aged 0–6 |
|---|---|---|---|---|---|
{_census_rows(f)}

- `households` (compounds and communities) = residents / {f['household_size']:.4f}: the three
  districts' residents over their households (each district's residents / its average household
  size). {f['households_total']:,.0f} households in total.
- `elderly` = residents × {100 * f['share_60_plus']:.4f} % (aged 60+ = bands 60–64 and 65+ of each
  district, weighted by residents): {f['elderly_total']:,.0f} in total.
- `children` = residents × {100 * f['share_0_6']:.4f} % (aged 0–6 = bands 0 and 1–4 and 2/5 of the
  band 5–9, the ages 5 and 6 taken as two equal fifths of it; weighted by residents):
  {f['children_total']:,.0f} in total.
- All three are rounded to 0.1 per compound. The ring also takes in edges of 雁塔区 and 未央区,
  which the mix leaves out, and no figures below the district (街道) exist: every compound gets the
  same shares, so the data say nothing about where within the ring the elderly live.

Known gaps: 1,285 of the 1,461 compounds come from the old-town scrape, so the old town is
densely sampled (small cells, a few hundred residents each) while elsewhere each sampled
compound stands for at most a {XIAN_MAX_RADIUS_M:.0f} m circle (up to about
{np.pi * XIAN_MAX_RADIUS_M ** 2 / 1e6 * XIAN_DENSITY_PER_KM2:,.0f} residents) and unsampled housing is
missing. Some compounds are single buildings or staff/student housing.

## Communities (approximate)
No community (社区) boundaries exist. The compounds were grouped by population-weighted
k-means (scikit-learn, seed {SEED}) with k = total / {XIAN_COMMUNITY_TARGET:,}; units over 10,000
residents were then split in two until none was left. Each unit's polygon is the union of its
compounds' Voronoi cells (clipped to the study box), so the units tile the box. Name: the
largest compound + 片区; district: the most common Baidu district of its compounds (from the
address when the field is empty), or, when no compound names one, of all Baidu POIs inside it. These are **not official community boundaries**.

- {f['communities']} units; residents min {f['community_min']:,}, median
  {f['community_median']:,.0f}, max {f['community_max']:,}; {f['communities_3000_10000']} of them
  hold 3,000–10,000 residents.

## Candidate sites
There is no register of idle buildings. Candidates are real public-building POIs of the kinds the
plans name as sources of idle space (政府机构 offices other than 居委会, 福利机构, and 培训机构
whose name says 培训中心/社区学校/社区教育/党校), excluding party branches, associations,
companies, property offices and anything already mapped as a facility. **Whether a building has
idle space is unknown and must be checked; floor area and cost are left empty, not invented.**

## Other known gaps
No schools or kindergartens in the scrape (only one 托教), no 社区客厅, 助餐点 or 社工站 POIs;
roads carry no sidewalks and no foot/access tags; data are from 2017–2019.
"""


# ---------------------------------------------------------------------------------------------
# Liechtenstein
# ---------------------------------------------------------------------------------------------

def _osm_id(obj: Any) -> str:
    if obj.is_area():
        return f"osm-{'w' if obj.from_way() else 'r'}{obj.orig_id()}"
    return f"osm-{obj.type_str()}{obj.id}"


def read_liechtenstein(pbf: Path) -> dict[str, Any]:
    """Municipalities, buildings, land uses and POIs of the Liechtenstein extract."""
    import osmium

    wkb = osmium.geom.WKBFactory()
    municipalities, buildings, landuse, pois = [], [], [], []
    country = None
    for obj in osmium.FileProcessor(str(pbf)).with_areas():
        tags = dict(obj.tags)
        if obj.is_node():
            category = category_from_osm_tags(tags)
            if category and obj.location.valid():
                pois.append({"osm": _osm_id(obj), "category": category, "tags": tags,
                             "geometry": shapely.Point(obj.location.lon, obj.location.lat)})
            continue
        if not obj.is_area():
            continue
        try:
            geom = shapely.from_wkb(wkb.create_multipolygon(obj))
        except RuntimeError:
            continue  # an unclosed ring in the extract; osmium reports these itself
        if tags.get("boundary") == "administrative":
            if tags.get("admin_level") == "2" and tags.get("name") == "Liechtenstein":
                country = geom
            elif tags.get("admin_level") == "8" and str(tags.get("bfs:OBJECTVAL", "")).startswith("70"):
                municipalities.append({"bfs": int(tags["bfs:OBJECTVAL"]), "name": tags["name"],
                                       "osm": _osm_id(obj), "geometry": geom})
            continue
        if "landuse" in tags:
            landuse.append({"landuse": tags["landuse"], "geometry": geom})
        if "building" in tags and tags["building"] != "no":
            buildings.append({"osm": _osm_id(obj), "building": tags["building"],
                              "levels": tags.get("building:levels"), "name": tags.get("name"),
                              "non_residential": any(k in tags for k in LI_NON_RESIDENTIAL_KEYS),
                              "amenity": tags.get("amenity"), "geometry": geom})
        category = category_from_osm_tags(tags)
        if category:
            pois.append({"osm": _osm_id(obj), "category": category, "tags": tags,
                         "geometry": geom.representative_point()})
    if country is None or len(municipalities) != 11:
        raise DataError(f"expected Liechtenstein and its 11 municipalities, found "
                        f"{len(municipalities)} municipalities", file=pbf,
                        fix="use the 2015 Geofabrik extract named in europe_osm/PROVENANCE.md")

    def frame(rows: list[dict[str, Any]]) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame(rows, geometry="geometry", crs=WGS84).to_crs(LI_CRS)

    return {"country": gpd.GeoSeries([country], crs=WGS84).to_crs(LI_CRS).iloc[0],
            "municipalities": frame(municipalities), "buildings": frame(buildings),
            "landuse": frame(landuse), "pois": frame(pois)}


def _levels(values: pd.Series, default: pd.Series) -> pd.Series:
    parsed = pd.to_numeric(values.astype("string").str.extract(r"(\d+(?:\.\d+)?)", expand=False),
                           errors="coerce")
    return parsed.where(parsed > 0, default).astype(float)


def li_dwelling_floor_area(buildings: gpd.GeoDataFrame, landuse: gpd.GeoDataFrame) -> pd.Series:
    """Dwelling floor area (m²) of each building: footprint × storeys, 0 for non-dwellings."""
    footprint = buildings.geometry.area
    btype = buildings["building"]
    residential = btype.isin(list(LI_RESIDENTIAL_LEVELS))
    untyped = btype == "yes"
    # An untyped building is a dwelling unless it is small, carries shop/office/amenity tags or
    # stands in an industrial or commercial area.
    blocked = landuse[landuse["landuse"].isin(LI_NON_RESIDENTIAL_LANDUSE)]
    centroid = buildings.geometry.representative_point()
    in_blocked = pd.Series(False, index=buildings.index)
    if len(blocked):
        hit = gpd.sjoin(gpd.GeoDataFrame(geometry=centroid, crs=buildings.crs), blocked,
                        predicate="within", how="inner")
        in_blocked[hit.index.unique()] = True
    dwelling = residential & ~(untyped & ((footprint < LI_MIN_DWELLING_M2)
                                          | buildings["non_residential"] | in_blocked))
    default = btype.map(LI_RESIDENTIAL_LEVELS).fillna(1.0)
    return (footprint * _levels(buildings["levels"], default)).where(dwelling, 0.0)


def build_liechtenstein(shared: Path, out: Path) -> dict[str, Any]:
    """Build ``out/liechtenstein`` and return the figures printed in the summary."""
    pbf = _require(shared / LI_PBF)
    raw = read_liechtenstein(pbf)
    country = raw["country"]
    munis = raw["municipalities"].sort_values("bfs").reset_index(drop=True)
    munis["community_id"] = "LI-" + munis["bfs"].astype(str)

    # Population on a 100 m grid of the national LV95 grid, from dwelling floor area.
    buildings = raw["buildings"]
    buildings = buildings[buildings.geometry.representative_point().within(country)].copy()
    buildings["dwelling_m2"] = li_dwelling_floor_area(buildings, raw["landuse"])
    dwellings = buildings[buildings["dwelling_m2"] > 0]
    point = dwellings.geometry.representative_point()
    gx = np.floor(point.x.to_numpy() / LI_GRID_M).astype(np.int64)
    gy = np.floor(point.y.to_numpy() / LI_GRID_M).astype(np.int64)
    m2 = dwellings["dwelling_m2"].to_numpy()
    per_building = pd.DataFrame({"gx": gx, "gy": gy, "m2": m2, "n": 1,
                                 "wx": point.x.to_numpy() * m2, "wy": point.y.to_numpy() * m2,
                                 "x": point.x.to_numpy(), "y": point.y.to_numpy()})
    cells = (per_building.drop(columns=["x", "y"])
             .groupby(["gx", "gy"], sort=True).sum().reset_index())
    cells["population"] = largest_remainder(cells["m2"].to_numpy(), LI_POPULATION_2015)
    # The demand point of a cell is the floor-area-weighted centre of its dwellings (closer to the
    # houses and their street than the cell centre); where that centre falls outside every
    # municipality (a cell across a border or river), the largest dwelling of the cell is used.
    centre = gpd.GeoSeries(gpd.points_from_xy(cells["wx"] / cells["m2"], cells["wy"] / cells["m2"]),
                           crs=LI_CRS)
    inside = centre.within(shapely.union_all(munis.geometry.to_numpy()))
    largest = (per_building.sort_values(["gx", "gy", "m2"], ascending=[True, True, False])
               .drop_duplicates(["gx", "gy"]).set_index(["gx", "gy"]))
    fallback = largest.loc[list(zip(cells["gx"], cells["gy"]))]
    centre[~inside] = gpd.points_from_xy(fallback["x"].to_numpy(), fallback["y"].to_numpy(),
                                         crs=LI_CRS)[~inside.to_numpy()]
    keep = (cells["population"] > 0).to_numpy()
    cells, centre = cells[keep].reset_index(drop=True), centre[keep].reset_index(drop=True)
    grid = gpd.GeoDataFrame({
        "cell_id": "LV95-100m-" + (cells["gx"] * 100).astype(str) + "-" + (cells["gy"] * 100).astype(str),
        "population": cells["population"].astype(np.int64),
        "dwelling_floor_area_m2": cells["m2"].round(1),
        "buildings": cells["n"].astype(np.int64),
    }, geometry=centre, crs=LI_CRS)
    # Each cell belongs to the municipality its point lies in (nearest, should one still miss).
    within = gpd.sjoin(grid, munis[["community_id", "geometry"]], how="left", predicate="within")
    grid["community_id"] = within.groupby(level=0)["community_id"].first()
    missing = grid["community_id"].isna()
    if missing.any():
        nearest = gpd.sjoin_nearest(grid[missing], munis[["community_id", "geometry"]], how="left")
        grid.loc[missing, "community_id"] = nearest.groupby(level=0)["community_id"].first()

    pop_by_muni = grid.groupby("community_id")["population"].sum()
    communities = gpd.GeoDataFrame({
        "community_id": munis["community_id"],
        "name": munis["name"],
        "kind": np.where(munis["name"].isin(LI_URBAN), "urban", "rural"),
        "population": munis["community_id"].map(pop_by_muni).fillna(0).astype(np.int64),
        "households": np.nan,
        "street": None,
        "district": None,
        "osm_id": munis["osm"],
        "bfs_number": munis["bfs"],
    }, geometry=munis.geometry, crs=LI_CRS)

    # Facilities: OSM POIs (nodes, and areas at a point inside them) inside the country.
    pois = raw["pois"]
    pois = pois[pois.geometry.within(country)].sort_values("osm").drop_duplicates("osm")
    facilities = gpd.GeoDataFrame({
        "facility_id": pois["osm"],
        "category": pois["category"],
        "name": [t.get("name") for t in pois["tags"]],
        "floor_area_m2": np.nan,
        "capacity": np.nan,
        "status": "existing",
        "osm_tags": [";".join(f"{k}={t[k]}" for k in sorted(t)
                              if k.split(":")[0] in ("amenity", "shop", "leisure", "social_facility",
                                                     "healthcare", "office", "emergency", "sport"))
                     for t in pois["tags"]],
    }, geometry=pois.geometry.values, crs=LI_CRS).sort_values(["category", "facility_id"])

    # Candidates: public buildings with floor area = footprint × storeys.
    btype = buildings["building"]
    is_public = btype.isin(list(LI_CANDIDATE_LEVELS)) | buildings["amenity"].isin(LI_CANDIDATE_AMENITIES)
    pub = buildings[is_public].copy()
    storeys = _levels(pub["levels"], pub["building"].map(LI_CANDIDATE_LEVELS).fillna(2.0))
    # Name from a POI inside the footprint when the building itself has none.
    named = gpd.sjoin(pois[["geometry"]].assign(poi_name=[t.get("name") for t in pois["tags"]]),
                      pub[["geometry"]], predicate="within", how="inner")
    poi_name = named.dropna(subset=["poi_name"]).groupby("index_right")["poi_name"].first()
    candidates = gpd.GeoDataFrame({
        "candidate_id": pub["osm"],
        "name": pub["name"].fillna(pd.Series(poi_name, dtype="object").reindex(pub.index)),
        "floor_area_m2": (pub.geometry.area * storeys).round(0),
        "source": "public_building",
        "cost": np.nan,
        "building": pub["building"],
        "footprint_m2": pub.geometry.area.round(0),
        "storeys_assumed": storeys,
    }, geometry=pub.geometry.representative_point(), crs=LI_CRS).sort_values("candidate_id")

    target = out / "liechtenstein"
    layers = {name: frame.to_crs(WGS84) for name, frame in (
        ("communities", communities), ("facilities", facilities), ("population", grid),
        ("candidates", candidates))}
    write_gpkg(layers, target / "dataset.gpkg")
    copy_file(pbf, target / "roads.osm.pbf")

    figures: dict[str, Any] = {
        "communities": len(communities),
        "population_by_community": dict(zip(communities["name"], communities["population"].tolist())),
        "population_total": int(grid["population"].sum()),
        "population_cells": len(grid),
        "population_cell_max": int(grid["population"].max()),
        "dwelling_buildings": len(dwellings),
        "buildings": len(buildings),
        "facilities": len(facilities),
        "facilities_by_category": facilities["category"].value_counts().sort_index().to_dict(),
        "candidates": len(candidates),
        "candidate_floor_area_m2": float(candidates["floor_area_m2"].sum()),
        "roads_pbf_bytes": (target / "roads.osm.pbf").stat().st_size,
        "sha256_pbf": _sha256(pbf),
    }
    meta = {
        "name": "liechtenstein",
        "title_zh": "列支敦士登（2015 年 OSM，非中国演示数据）",
        "title_en": "Liechtenstein (OSM 2015, non-Chinese demonstration data)",
        "coords": "wgs84",
        "attribution": ["© OpenStreetMap contributors (ODbL)"],
        "notes": [
            "非中国演示数据：用于演示城市（瓦杜兹、沙恩）与农村（其余 9 个市镇）服务圈。",
            "Non-Chinese demonstration data: urban circles in Vaduz and Schaan, rural circles in the "
            "other nine municipalities.",
            f"人口为估算值：按住宅建筑面积（占地面积 × 层数）分配到 100 m 格网，总数校准为 2015 年末 "
            f"{LI_POPULATION_2015:,} 人。",
            f"Population estimated on a 100 m grid from dwelling floor area (footprint × storeys), "
            f"calibrated to the {LI_POPULATION_2015:,} residents at the end of 2015.",
            "社区即 11 个市镇（Gemeinden）；户数未知。候选点为公共建筑，面积按占地 × 假定层数估算。",
            "Communities are the 11 municipalities (Gemeinden); households unknown. Candidate sites "
            "are public buildings with floor area estimated from footprint × assumed storeys.",
        ],
        "population_estimated": True,
        "communities_approximate": False,
        "demo_label_zh": "非中国演示数据：列支敦士登（2015 年 OSM）",
        "demo_label_en": "Non-Chinese demonstration data: Liechtenstein (OSM 2015)",
        "targets": "maanshan_14th_fyp",
    }
    write_text(dataset_toml(meta), target / "dataset.toml")
    write_text(li_readme(figures), target / "README.md")
    return figures


def li_readme(f: Mapping[str, Any]) -> str:
    """README of the Liechtenstein set, with the figures of this build."""
    by_cat = "\n".join(
        f"| `{key}` | {CATEGORIES[key].zh} | {f['facilities_by_category'].get(key, 0)} |"
        for key in CATEGORIES)
    by_muni = "\n".join(f"| {name} | {'urban' if name in LI_URBAN else 'rural'} | {pop:,} |"
                        for name, pop in f["population_by_community"].items())
    levels = ", ".join(f"{k} {v:g}" for k, v in LI_RESIDENTIAL_LEVELS.items())
    cand_levels = ", ".join(f"{k} {v:g}" for k, v in LI_CANDIDATE_LEVELS.items())
    return f"""# 列支敦士登 / Liechtenstein (OSM 2015) — non-Chinese demonstration data

A small, real, redistributable data set with a town core and rural villages, to show urban
15-minute and rural 30-minute service circles offline. **It is not Chinese data** and the app
labels it so. Built by `python scripts/build_data.py` from
`../shared/data/europe_osm/liechtenstein-2015-10.osm.pbf` (see that folder's `PROVENANCE.md`).

| file / layer | features | what |
|---|---|---|
| `roads.osm.pbf` | whole extract ({f['roads_pbf_bytes']:,} bytes) | the Geofabrik extract of October 2015, copied unchanged; the road reader takes the ways from it |
| `dataset.gpkg` / `communities` | {f['communities']} polygons | the municipalities (OSM admin_level 8 relations, assembled with pyosmium): `community_id` = `LI-` + official municipality number (7001 Vaduz … 7011 Schellenberg), `name`, `kind` (Vaduz and Schaan urban, the rest rural), `population`, `households` (unknown), `osm_id`, `bfs_number` |
| `dataset.gpkg` / `population` | {f['population_cells']:,} points | one point per occupied 100 m cell of the LV95 grid (EPSG:2056): `cell_id`, `population`, `dwelling_floor_area_m2`, `buildings`, `community_id` |
| `dataset.gpkg` / `facilities` | {f['facilities']} points | OSM POIs mapped by `geo.taxonomy.category_from_osm_tags` (nodes, and areas at a point inside them): `facility_id` = `osm-n…`/`osm-w…`/`osm-r…`, `category`, `name`, `osm_tags` |
| `dataset.gpkg` / `candidates` | {f['candidates']} points | public buildings: `candidate_id`, `name`, `floor_area_m2`, `source` = public_building, `building`, `footprint_m2`, `storeys_assumed` |

All layers are in WGS84 lon/lat.

## Licence
© OpenStreetMap contributors, ODbL 1.0 (Geofabrik extract, via `bquast/Streets-of-Switzerland`).
The derived layers are a produced work of the same database and stay under ODbL. Raw file
SHA-256 `{f['sha256_pbf']}`.

## Population (estimated)
There is no population layer. Residents are spread by dwelling floor area and calibrated to the
resident population of Liechtenstein at the end of 2015, **{LI_POPULATION_2015:,}** (Amt für
Statistik). Per-municipality figures were not used for calibration, so municipal totals are an
outcome of the building stock, not official numbers.

1. Buildings: {f['buildings']:,} OSM building areas inside the country; {f['dwelling_buildings']:,} count
   as dwellings: types {', '.join(LI_RESIDENTIAL_LEVELS)}; an untyped `building=yes` counts
   unless it is smaller than {LI_MIN_DWELLING_M2:g} m², carries shop/office/amenity/tourism/craft
   tags, or stands on {'/'.join(LI_NON_RESIDENTIAL_LANDUSE)} land. Stables, garages, barns,
   churches, schools etc. do not count.
2. Floor area = footprint (in LV95) × storeys; storeys from `building:levels` when given (only 4
   buildings have it), otherwise {levels}.
3. Each dwelling's floor area goes to the 100 m LV95 cell of a point inside it; cell residents =
   floor area × {LI_POPULATION_2015:,} / total floor area, rounded to whole persons (largest
   remainder, so the total is exact). Largest cell: {f['population_cell_max']:,}.
4. The cell's demand point is the floor-area-weighted centre of its dwellings (the largest
   dwelling when that centre falls outside every municipality), so it sits among the houses;
   `cell_id` names the grid cell (lower-left corner in LV95 metres).

| municipality | kind | estimated residents |
|---|---|---|
{by_muni}
| **total** | | **{f['population_total']:,}** |

**Known weakness: OSM building coverage in 2015 was uneven.** Some municipalities were mapped
building by building (Triesen, Balzers, Triesenberg with its many holiday chalets in Malbun and
Steg, which count as dwellings here), others only partly (Mauren, Schaan, Eschen). The municipal
totals above therefore differ from the official ones by up to a factor of about 2–3 (for scale:
provisional figures for 31 December 2016 reported Schaan 5,993, Vaduz 5,411, Triesen 5,096,
Eschen 4,394 and Mauren 4,265 residents; Gemeinde Ruggell press article of 23 March 2017). The
grid is fit for showing how the circles work, not for reading off municipal coverage.

## Facilities
| category | 中文 | facilities |
|---|---|---|
{by_cat}

Only what OSM had mapped in 2015; many categories of the Chinese plans (居委会-type centres, 社工站,
助餐点 …) have no OSM equivalent and stay empty.

## Candidate sites
OSM buildings tagged {', '.join('building=' + k for k in LI_CANDIDATE_LEVELS)} or
{', '.join('amenity=' + a for a in LI_CANDIDATE_AMENITIES)} ({f['candidates']} in all,
{f['candidate_floor_area_m2']:,.0f} m² together). Floor area = footprint × storeys
(`building:levels`, else {cand_levels}). Whether any space is idle is unknown.

## Known gaps
OSM data of October 2015; building types are mostly untyped (`building=yes`); no households; the
extract also contains roads of the neighbouring Swiss and Austrian border area, while the
population, facilities and candidates are limited to Liechtenstein.
"""


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------

def _summary(name: str, figures: Mapping[str, Any]) -> str:
    lines = [f"[{name}]"]
    for key, value in figures.items():
        if key.startswith("sha256"):
            continue
        if isinstance(value, dict):
            lines.append(f"  {key}:")
            lines += [f"    {k}: {v}" for k, v in value.items()]
        elif isinstance(value, list):
            lines.append(f"  {key}:")
            lines += [f"    {v}" for v in value]
        else:
            lines.append(f"  {key}: {value}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python scripts/build_data.py",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data",
                        help="folder with the raw data (default: ../shared/data)")
    parser.add_argument("--out", type=Path, default=ROOT / "data",
                        help="folder to write the data sets into (default: data)")
    parser.add_argument("--only", choices=("census", "xian", "liechtenstein"),
                        help="build only this data set (census: the county table of the 2020 census)")
    args = parser.parse_args(argv)
    builders = {"census": build_census, "xian": build_xian, "liechtenstein": build_liechtenstein}
    try:
        for name, build in builders.items():
            if args.only and name != args.only:
                continue
            print(_summary(name, build(args.shared, args.out)), flush=True)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
