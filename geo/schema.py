"""The data contract's names: layers, their columns, and the other names planners use for them.

One table each, read by the importer and by the app (to list what each layer accepts):

- :data:`LAYER_COLUMNS`: required and optional columns of every layer;
- :data:`COLUMN_ALIASES`: the Chinese and common English headers accepted for each column;
- :data:`LONLAT_COLUMNS`: longitude/latitude column pairs of tables;
- :data:`LAYER_ALIASES`: file and GeoPackage layer names accepted for each layer.

Headers are compared after :func:`normalise_name` (case, spaces and a unit in brackets such as
``建筑面积（㎡）`` do not matter).

Examples
--------
>>> normalise_name(" 建筑面积（平方米） ")
'建筑面积'
>>> layer_of_name("sheshi")
'facilities'
>>> "编号" in accepted_names("facility_id")
True
"""

from __future__ import annotations

import re
import unicodedata

#: Layers of the data contract and their columns: (required, optional). Ids are generated when
#: absent (with a note); a community needs a name or an id.
LAYER_COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "communities": (("name",), ("community_id", "kind", "households", "population", "street",
                                "district")),
    "facilities": (("category",), ("facility_id", "name", "floor_area_m2", "capacity",
                                   "status")),
    "population": (("population",), ("community_id",)),
    "candidates": ((), ("candidate_id", "name", "floor_area_m2", "source", "cost")),
}
#: The id column of each point or polygon layer and the prefix of ids made when it is absent.
ID_COLUMNS: dict[str, tuple[str, str]] = {
    "communities": ("community_id", "C"), "facilities": ("facility_id", "F"),
    "candidates": ("candidate_id", "S"),
}
_ID_WORDS = ("编号", "编码", "代码", "序号", "id", "fid", "objectid", "code")

#: Other headers accepted for each contract column (used only when the column itself is absent;
#: the first one present wins).
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "community_id": ("社区编码", "社区代码", "社区编号", "村编码", "村编号", "社区id", "村(社区)编码",
                     "行政区划代码", "区划代码") + _ID_WORDS,
    "facility_id": ("设施编号", "设施编码", "设施id", "设施代码", "poi_id", "poiid", "uid")
    + _ID_WORDS,
    "candidate_id": ("候选编号", "备选编号", "候选点编号", "候选点id") + _ID_WORDS,
    "name": ("名称", "社区名称", "村名", "社区名", "设施名称", "设施名", "村(社区)名称", "站点名称",
             "点位名称", "名字", "name_zh", "中文名"),
    "kind": ("城乡类型", "城乡属性", "城乡", "社区类型", "城乡分类"),
    "households": ("户数", "常住户数", "户籍户数", "总户数", "居民户数"),
    "population": ("人口", "常住人口", "人口数", "人数", "总人口", "人口数量", "居民人数", "户籍人口",
                   "pop"),
    "street": ("街道", "乡镇", "街道乡镇", "乡镇街道", "街镇", "所属街道", "所属乡镇", "所属街镇"),
    "district": ("区县", "县区", "所属区县", "区", "县", "县(区)", "区/县"),
    "category": ("类别", "设施类别", "设施类型", "类型", "分类", "设施分类", "type"),
    "floor_area_m2": ("建筑面积", "面积", "floor_area", "用房面积", "使用面积", "area_m2"),
    "capacity": ("容量", "床位数", "床位", "规模", "服务规模"),
    "status": ("状态", "建设状态", "现状/规划", "建设情况"),
    "source": ("来源", "用房类型"),
    "cost": ("成本", "费用", "造价", "投资", "投资额"),
}
#: Longitude/latitude column pairs of tables, first match wins (after normalise_name).
LONLAT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("lon", "lat"), ("lng", "lat"), ("longitude", "latitude"), ("经度", "纬度"),
    ("x", "y"), ("lon_wgs84", "lat_wgs84"), ("lng_wgs84", "lat_wgs84"), ("long", "lat"),
    ("东经", "北纬"), ("x坐标", "y坐标"), ("point_x", "point_y"), ("经度坐标", "纬度坐标"),
)
#: Columns of tables holding WKT geometry.
WKT_COLUMNS: tuple[str, ...] = ("geometry", "wkt", "geom", "几何")
#: File stems and GeoPackage layer names accepted for each layer (besides the layer's own name).
LAYER_ALIASES: dict[str, tuple[str, ...]] = {
    "communities": ("社区", "村", "村社区", "社区村", "社区边界", "村界", "社区范围", "shequ", "cun",
                    "community"),
    "facilities": ("设施", "服务设施", "公共服务设施", "公服设施", "设施点", "sheshi", "facility",
                   "poi", "pois"),
    "population": ("人口", "人口点", "人口格网", "人口网格", "renkou", "pop"),
    "candidates": ("候选点", "候选", "备选点", "备选", "候选地块", "闲置用房", "houxuan",
                   "candidate"),
    "roads": ("道路", "路网", "道路网", "道路中心线", "daolu", "luwang", "road"),
}
_UNIT = re.compile(r"\s*[(（\[【][^)）\]】]*[)）\]】]\s*$")


def normalise_name(name: object) -> str:
    """A header or layer name as compared: NFKC, lower case, no spaces, no unit in brackets."""
    text = unicodedata.normalize("NFKC", str(name)).strip().lower()
    if _UNIT.search(text) and _UNIT.sub("", text):
        text = _UNIT.sub("", text)
    return re.sub(r"\s+", "", text)


def accepted_names(column: str) -> tuple[str, ...]:
    """Every header accepted for a contract column: its own name first, then the aliases."""
    return (column, *COLUMN_ALIASES.get(column, ()))


def aliases_for(layer: str, column: str) -> tuple[str, ...]:
    """Aliases of ``column`` in ``layer``: plain id words (编号, id …) name only a layer's own id."""
    aliases = COLUMN_ALIASES.get(column, ())
    own_id = ID_COLUMNS.get(layer, ("",))[0]
    if column.endswith("_id") and column != own_id:
        aliases = tuple(a for a in aliases if a not in _ID_WORDS)
    return aliases


def layer_of_name(name: str) -> str | None:
    """The contract layer a file stem or GeoPackage layer name stands for, or ``None``."""
    text = normalise_name(name)
    if text in LAYER_COLUMNS or text == "roads":
        return text
    for layer, aliases in LAYER_ALIASES.items():
        if text in (normalise_name(a) for a in aliases):
            return layer
    return None
