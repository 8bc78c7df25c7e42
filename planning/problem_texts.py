"""Chinese text of what the importer and the engine say about input data.

:mod:`geo` writes its load errors (:class:`geo._errors.DataError`) and the problems of its
validation report (:class:`geo.dataset.Problem`) in English, for the command line and the logs.
The app speaks Chinese by default, so this module turns those messages into Chinese: each English
wording is a pattern below, with the Chinese template it becomes; numbers, file, column and value
names carry over. A message with no pattern keeps its English words inside a Chinese frame, so
nothing is ever lost (the tests load broken files and check that every message they meet has a
pattern).

Examples
--------
>>> from geo._errors import DataError
>>> error_text(DataError("file not found", file="roads.osm", fix="Check the path"), "zh")
'roads.osm：找不到文件。请检查路径。'
>>> message_text("3 row(s) have no facility_id (lines 2, 5, 9)", "zh")
'3 行没有 facility_id（第 2、5、9 行）'
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from geo import texts as geo_texts
from geo.taxonomy import CATEGORIES

#: Chinese names of the layers of the data contract (as messages name them).
LAYER_NAMES_ZH: dict[str, str] = {
    "communities": "社区/村", "facilities": "设施", "population": "人口", "candidates": "候选址",
    "roads": "道路", "dataset": "数据集", "scenario": "方案",
}
SEVERITY_ZH: dict[str, str] = {"error": "错误", "warning": "警告", "info": "提示"}

_Template = str | Callable[[Mapping[str, str]], str]


def _rows(text: str) -> str:
    """``lines 2, 3 and 4 more`` → ``第 2、3 行（另有 4 行）``; features likewise."""
    match = re.fullmatch(r"(lines?|features?) ([\d, ]+?)(?: and (\d+) more)?", text.strip())
    if match is None:
        return text
    line = match.group(1).startswith("line")
    numbers = "、".join(n.strip() for n in match.group(2).split(",") if n.strip())
    unit = "行" if line else "个要素"
    more = f"（另有 {match.group(3)} {'行' if line else '个'}）" if match.group(3) else ""
    return f"第 {numbers} {unit}{more}"


def _layer(text: str) -> str:
    return LAYER_NAMES_ZH.get(text.strip(), text)


def _layers(text: str) -> str:
    return "、".join(_layer(p) for p in re.split(r"\s*/\s*|,\s*", text.strip("[]' ")) if p)


def _categories(text: str) -> str:
    keys = [k.strip() for k in text.split(",")]
    return "、".join(f"{CATEGORIES[k].zh}（{k}）" if k in CATEGORIES else k for k in keys)


_WORDS: dict[str, dict[str, str]] = {
    "kind": {"points": "点", "lines or points": "线或点"},
    "what": {"is empty or 0": "为空或为 0", "is 0": "为 0", "attribute table": "属性表", "index": "索引"},
    "orpoly": {" or polygons": "或面", "": ""},
}


def _group(name: str, value: str | None) -> str:
    if value is None:
        return ""
    if name == "rows":
        return _rows(value)
    if name == "layer":
        return _layer(value)
    if name in ("layers", "missing"):
        return _layers(value)
    if name == "categories":
        return _categories(value)
    if name == "found":
        return value.replace("(empty)", "（空）").replace("none", "无") if value.strip() != "none" else "无"
    if name == "files":
        return value.replace(" and ", " 和 ")
    if name in _WORDS:
        return _WORDS[name].get(value, value)
    return value


def _datum(groups: Mapping[str, str]) -> str:
    if groups.get("line"):
        text = f"这些点到最近道路线的距离中位数为 {groups['m']} 米，明显大于换用其他坐标系时的距离"
    else:
        text = f"这些点到最近道路的距离中位数为 {groups['m']} 米（超过 {groups['t']} 米）：该图层与道路可能使用了不同的坐标系"
    if groups.get("sys"):
        text += f"。如按 {groups['sys']} 读取，它们到道路的距离为 {groups['m2']} 米"
    return text


def _no_candidates(groups: Mapping[str, str]) -> str:
    text = "没有可供选择的候选址"
    if groups.get("n"):
        text += f"（{groups['n']} 处因建筑面积小于 {groups['m2']} 平方米被排除）"
    return text


_ROWS = r"\((?P<rows>(?:lines?|features?) [^()]+?)\)"
#: English wording (a regular expression matched against the whole text) → Chinese template.
PROBLEMS: list[tuple[str, _Template]] = [
    # geo._validate
    (r"columns read as (?P<pairs>.+)", "列名已识别：{pairs}"),
    (r"required column\(s\) (?P<cols>.+?) missing \(the layer has: (?P<found>.*)\)",
     "缺少必需的列：{cols}（该图层现有的列：{found}）"),
    (r"(?P<n>\d+) row\(s\) have no (?P<col>\S+) " + _ROWS, "{n} 行没有 {col}（{rows}）"),
    (r"(?P<n>\d+) (?P<col>\S+) value\(s\) are used more than once \(e\.g\. (?P<values>.+)\)",
     "{n} 个 {col} 值重复出现（例如 {values}）"),
    (r"(?P<n>\d+) value\(s\) are not numbers \((?P<rows>(?:lines?|features?) [^:]+?): (?P<values>.+)\)",
     "{n} 个值不是数字（{rows}：{values}）"),
    (r"(?P<n>\d+) negative value\(s\) " + _ROWS, "{n} 个负值（{rows}）"),
    (r"(?P<n>\d+) feature\(s\) without geometry were left out " + _ROWS, "{n} 个要素没有几何图形，已略去（{rows}）"),
    (r"(?P<n>\d+) invalid geometr(?:y was|ies were) repaired " + _ROWS, "{n} 个无效的几何图形已修复（{rows}）"),
    (r"(?P<n>\d+) feature\(s\) are (?P<kind>points|lines or points), but (?P<layer>\w+) must be polygons "
     r"\(boundaries\) " + _ROWS, "{n} 个要素是{kind}，但{layer}图层必须是面（边界）（{rows}）"),
    (r"(?P<n>\d+) feature\(s\) are lines; (?P<layer>\w+) must be points(?P<orpoly> or polygons)? " + _ROWS,
     "{n} 个要素是线；{layer}图层必须是点{orpoly}（{rows}）"),
    (r"(?P<n>\d+) polygon\(s\) were replaced by their centroid \(the layer should hold points\)",
     "{n} 个面已替换为其中心点（该图层应为点）"),
    (r"(?P<n>\d+) grid cell\(s\) or areas were replaced by a point inside each", "{n} 个格网或面已替换为其内部的一个点"),
    (r"(?P<n>\d+) multi-point feature\(s\) were replaced by the centre of their points",
     "{n} 个多点要素已替换为各点的中心"),
    (r"the layer has no communities", "该图层没有社区"),
    (r"unknown kind value\(s\) (?P<values>\[.*?\]) " + _ROWS, "未知的城乡类型值 {values}（{rows}）"),
    (r"kind inferred from the name for (?P<n>\d+) communities \(…村 → rural, …社区 → urban\)",
     "{n} 个社区的城乡类型按名称推断（……村 → 农村，……社区 → 城市）"),
    (r"(?P<n>\d+) community name\(s\) end neither in 村 nor 社区 and were taken as urban \(e\.g\. (?P<names>.*)\); "
     r"add a kind column to say otherwise",
     "{n} 个社区名称既不以“村”也不以“社区”结尾，已按城市社区处理（例如 {names}）；如需更正，请增加城乡类型列"),
    (r"unknown status value\(s\) (?P<values>\[.*?\]) " + _ROWS, "未知的状态值 {values}（{rows}）"),
    (r"the layer has no facilities: nobody is covered", "该图层没有设施：没有居民在服务圈内"),
    (r"no row has a known category \(found (?P<found>.+)\)", "没有一行的设施类别可以识别（数据中的类别：{found}）"),
    (r"(?P<n>\d+) facilities with unknown categories were left out: (?P<found>.+?)\. Valid categories: "
     r"(?P<categories>.+)", "{n} 处设施的类别无法识别，已略去：{found}。可用的类别：{categories}"),
    (r"(?P<n>\d+) point\(s\) without a population value were left out " + _ROWS,
     "{n} 个点没有人口数，已略去（{rows}）"),
    (r"the layer holds no residents \(every population value (?P<what>is empty or 0|is 0)\)",
     "该图层没有居民（所有人口数{what}）"),
    (r"community_id of (?P<n>\d+) point\(s\) was set from the community polygon that contains each point " + _ROWS,
     "{n} 个点的社区编号已按其所在的社区范围重新设定（{rows}）"),
    (r"(?P<n>\d+) population point\(s\) \((?P<people>[\d,]+) people\) lie outside every community: they count "
     r"in the totals but in no community's row", "{n} 个人口点（共 {people} 人）不在任何社区内：计入总数，但不计入任何社区"),
    (r"there is no population layer and the communities have no population column", "没有人口图层，社区图层也没有人口列"),
    (r"(?P<n>\d+) communities have no population and count as empty \(e\.g\. (?P<names>.*)\)",
     "{n} 个社区没有人口数，按无人口处理（例如 {names}）"),
    (r"the points lie a median (?P<m>[\d,.]+) m from the nearest road \(more than (?P<t>\d+) m\): the layer and "
     r"the roads may use different coordinate systems(?:\. Read as (?P<sys>.+?) they would lie (?P<m2>[\d,.]+) m "
     r"from the roads)?", _datum),
    (r"the points lie a median (?P<m>[\d,.]+) m from the nearest road (?P<line>line), clearly more than they would "
     r"in another coordinate system(?:\. Read as (?P<sys>.+?) they would lie (?P<m2>[\d,.]+) m from the roads)?",
     _datum),
    # geo.readers
    (r"the archive holds a file with an unsafe path '(?P<name>.+)' \(outside its folder\); it was not opened",
     "压缩包中有路径不安全的文件“{name}”（指向压缩包目录之外），未予打开"),
    (r"not a readable zip archive \((?P<why>.+)\)", "不是可读取的 zip 压缩包（{why}）"),
    (r"the archive holds (?P<n>[\d,]+) files, more than (?P<max>[\d,]+)", "压缩包内有 {n} 个文件，超过上限 {max} 个"),
    (r"the archive holds a symbolic link '(?P<name>.+)'; it was not opened", "压缩包中有符号链接“{name}”，未予打开"),
    (r"'(?P<name>.+)' expands (?P<k>\d+)-fold; refused as a possible zip bomb",
     "“{name}”解压后膨胀 {k} 倍，疑似压缩炸弹，已拒绝"),
    (r"the archive expands to more than (?P<gb>[\d.]+) GB", "压缩包解压后超过 {gb} GB"),
    (r"cannot be read as a GIS layer \((?P<why>.+)\)", "无法作为 GIS 图层读取（{why}）"),
    (r"no coordinate columns found \(columns: (?P<cols>.*)\)", "找不到坐标列（现有的列：{cols}）"),
    (r"a WKT geometry cannot be read \((?P<why>.+)\)", "有 WKT 几何图形无法读取（{why}）"),
    (r"(?P<n>\d+) row\(s\) without coordinates were left out " + _ROWS, "{n} 行没有坐标，已略去（{rows}）"),
    (r"cannot be read as a CSV table \((?P<why>.+)\)", "无法作为 CSV 表格读取（{why}）"),
    (r"the text is neither UTF-8 nor GBK", "文本编码既不是 UTF-8 也不是 GBK"),
    (r"cannot be read as an Excel workbook \((?P<why>.+)\)", "无法作为 Excel 工作簿读取（{why}）"),
    (r"cannot be opened \((?P<why>.+)\)", "无法打开（{why}）"),
    (r"the layer says lon/lat degrees but its coordinates \((?P<x>[-\d]+), (?P<y>[-\d]+)\) are not",
     "该图层声明为经纬度，但其坐标（{x}, {y}）不是经纬度"),
    (r"no projection given; the coordinates look like lon/lat degrees and were read as such",
     "未给出投影；坐标看起来是经纬度，已按经纬度读取"),
    (r"the layer has no projection and its coordinates \((?P<x>[-\d]+), (?P<y>[-\d]+)\) are not lon/lat degrees",
     "该图层没有投影信息，其坐标（{x}, {y}）也不是经纬度"),
    (r"file not found", "找不到文件"),
    (r"old Excel \.xls files are not read", "不读取旧版 Excel .xls 文件"),
    (r"the Shapefile has no (?P<ext>\.\w+) file \((?P<what>.+)\)", "该 Shapefile 缺少 {ext} 文件（{what}）"),
    (r"no \.cpg file and the text is not UTF-8; read as GBK", "没有 .cpg 文件且文本不是 UTF-8，已按 GBK 读取"),
    (r"the GeoPackage holds several layers \((?P<names>.+)\)", "该 GeoPackage 含有多个图层（{names}）"),
    (r"the layer is projected \((?P<crs>.+)\); coords = '(?P<sys>\w+)' applies only to lon/lat layers and was "
     r"not used", "该图层为投影坐标（{crs}）；所选的经纬度坐标系“{sys}”只用于经纬度图层，此处未使用"),
    (r"the archive holds parts of a Shapefile but no \.shp file", "压缩包中有 Shapefile 的部分文件，但没有 .shp 文件"),
    (r"the archive holds no GIS layer \(\.shp, \.gpkg, \.geojson, \.csv, \.xlsx\)",
     "压缩包中没有 GIS 图层（.shp、.gpkg、.geojson、.csv、.xlsx）"),
    (r"the archive holds several layers \((?P<names>.+)\)", "压缩包中有多个图层（{names}）"),
    # geo.dataset_loader
    (r"the (?P<layer>\w+) layer is given twice \((?P<files>.+)\)", "{layer}图层给出了两次（{files}）"),
    (r"cannot be read \((?P<why>.+)\)", "无法读取（{why}）"),
    (r"'(?P<key>\w+)' must be a list of texts", "“{key}”必须是文本列表"),
    (r"coords names unknown layer\(s\) (?P<names>.+)", "coords 中有未知的图层名 {names}"),
    (r"crs = '(?P<crs>.+)' is not a projected \(metric\) CRS", "crs = '{crs}' 不是投影（米制）坐标系"),
    (r"no such file or folder", "找不到文件或文件夹"),
    (r"not a data set", "不是数据集"),
    (r"no (?P<layers>[\w /]+?) layer found \(layers found: (?P<found>.*)\)", "找不到{layers}图层（找到的图层：{found}）"),
    (r"dataset\.toml key '(?P<key>.+)' is not used by the importer \(kept in meta\)",
     "dataset.toml 中的键“{key}”导入时未使用（已保留）"),
    (r"population spread evenly over each community \(no population layer\)", "没有人口图层：各社区人口按其范围平均分布"),
    (r"the roads layer holds no lines", "道路图层中没有线"),
    (r"(?P<n>\d+) feature\(s\) that are not lines were left out", "{n} 个不是线的要素已略去"),
    (r"no 'highway' or 'fclass' column: every line is taken as a residential street open to all modes",
     "没有 highway 或 fclass 列：所有线均按各种出行方式都可通行的居住区道路处理"),
    (r"(?P<n>\d+) line\(s\) that are not usable roads were left out \((?P<kinds>.+)\)",
     "{n} 条不可通行的线已略去（{kinds}）"),
    (r"the roads layer holds no usable roads", "道路图层中没有可通行的道路"),
    (r"the road network has no roads", "路网中没有道路"),
    (r"the roads do not overlap the communities at all", "道路与社区范围完全不重叠"),
    # geo.roads, geo.coords
    (r"the road file does not exist", "道路文件不存在"),
    (r"the file contains no usable roads \(no ways with a highway tag\)", "文件中没有可用的道路（没有带 highway 标签的路段）"),
    (r"the road layer has no coordinate reference system", "道路图层没有坐标参考系"),
    (r"the road layer has no 'highway' or 'fclass' column", "道路图层没有 highway 或 fclass 列"),
    (r"the road layer has no road lines", "道路图层中没有道路线"),
    (r"the study area polygon for the road download is empty or invalid", "用于下载道路的研究范围为空或无效"),
    (r"OpenStreetMap has no roads inside the study area", "OpenStreetMap 在研究范围内没有道路"),
    (r"could not reach the OpenStreetMap Overpass service \((?P<why>.+)\); this machine seems to be offline",
     "无法连接 OpenStreetMap Overpass 服务（{why}）；本机似乎没有联网"),
    (r"cannot read the OpenStreetMap file \((?P<why>.+)\)", "无法读取 OpenStreetMap 文件（{why}）"),
    (r"the roads in the file have no node locations", "文件中的道路没有节点坐标"),
    (r"cannot read the GraphML file \((?P<why>.+)\)", "无法读取 GraphML 文件（{why}）"),
    (r"the graph has no 'crs' attribute", "路网图没有 crs 属性"),
    (r"the graph has no edges", "路网图没有边"),
    (r"unknown road file type '(?P<t>.+)'", "未知的道路文件类型“{t}”"),
    (r"unknown coordinate reference system (?P<crs>.+)", "未知的坐标参考系 {crs}"),
    (r"the road network needs a metric \(projected\) CRS, not (?P<crs>.+)", "路网需要投影（米制）坐标系，而不是 {crs}"),
    (r"unknown coordinate system '(?P<sys>.+)' in (?P<where>.+)", "{where} 中的坐标系“{sys}”未知"),
    (r"the layers have no coordinates to choose a projection from", "图层中没有坐标，无法选择投影"),
    (r"coordinates \((?P<a>[^)]+)\) – \((?P<b>[^)]+)\) are not lon/lat degrees", "坐标（{a}）–（{b}）不是经纬度"),
    (r"longitude (?P<lon>[-\d.]+) is outside China's CGCS2000 3-degree zones \(73\.5°E–136\.5°E\)",
     "经度 {lon} 不在中国 CGCS2000 3 度带范围内（东经 73.5°–136.5°）"),
    # the app's uploads
    (r"file type '(?P<t>.*)' is not accepted", "不接受文件类型“{t}”"),
    (r"file is larger than (?P<size>\d+) MB", "文件大于 {size} MB"),
    (r"no communities layer to take the road download's extent from", "没有社区图层，无法确定下载道路的范围"),
    (r"a \.toml file describes the data set and is not a layer", ".toml 文件是数据集说明，不是图层"),
    (r"the data set description must be a \.toml file", "数据集说明必须是 .toml 文件"),
    (r"the scenario belongs to another data set \(none of its communities are in this one\)",
     "该方案属于另一个数据集（其中的社区都不在当前数据集中）"),
    # planning
    (r"the candidates layer has no 'candidate_id' column", "候选址图层没有 candidate_id 列"),
    (r"duplicate candidate_id values \((?P<values>.+)\)", "candidate_id 值重复（{values}）"),
    (r"minimum floor area must be a number ≥ 0, got (?P<v>.+)", "最小建筑面积必须是不小于 0 的数，现为 {v}"),
    (r"the data set has no candidates layer", "数据集中没有候选址图层"),
    (r"no candidate sites to choose from(?: \((?P<n>\d+) left out for a floor area below (?P<m2>[\d.]+) m²\))?",
     _no_candidates),
    (r"population values must be numbers ≥ 0", "人口数必须是不小于 0 的数"),
    (r"target coverage must be between 0 and 100 %, got (?P<v>.+)", "目标覆盖率必须在 0 到 100% 之间，现为 {v}"),
    (r"the number of new sites must be a whole number ≥ 1, got (?P<v>.+)", "新址数量必须是不小于 1 的整数，现为 {v}"),
    (r"the time limit must be ≥ 0 seconds, got (?P<v>.+)", "求解时限必须不小于 0 秒，现为 {v}"),
    (r"no candidate has a capacity or floor area", "没有任何候选址有服务容量或建筑面积"),
    (r"unknown category (?P<c>'[^']*') in scenario (?P<name>.+)", "方案 {name} 中的类别 {c} 未知"),
    (r"unknown category (?P<c>.+)", "未知的设施类别 {c}"),
    (r"unknown facility categor(?:y|ies) (?P<c>.+)", "未知的设施类别 {c}"),
    (r"facility categories not in the taxonomy: (?P<c>.+)", "设施类别不在分类表中：{c}"),
    (r"(?P<n>\d+) population points have no geometry", "{n} 个人口点没有几何图形"),
    (r"(?P<n>\d+) facilities have no geometry", "{n} 处设施没有几何图形"),
    (r"a scenario needs a name", "方案需要名称"),
    (r"a scenario is saved as a GeoPackage", "方案保存为 GeoPackage 文件"),
    (r"the scenario's sites have no coordinate system", "方案中的新址没有坐标系"),
    (r"scenario file not found", "找不到方案文件"),
    (r"cannot be read as a GeoPackage \((?P<why>.+)\)", "无法作为 GeoPackage 读取（{why}）"),
    (r"not a scenario file: layer\(s\) (?P<names>.+) missing", "不是方案文件：缺少图层 {names}"),
    (r"the scenario table has (?P<n>\d+) rows instead of one", "方案表有 {n} 行，而不是一行"),
    (r"the scenario's settings or results are not valid JSON", "方案的设置或结果不是有效的 JSON"),
    (r"both scenarios are named (?P<name>.+)", "两个方案同名：{name}"),
    (r"scenario (?P<name>.+) holds no coverage", "方案 {name} 没有覆盖率数据"),
    (r"Setting (?P<name>\w+) must be a positive number, got (?P<v>.+?)", "设置项 {name} 必须是正数，现为 {v}"),
    (r"Setting (?P<name>\w+) must be one of (?P<options>.+), got (?P<v>.+?)", "设置项 {name} 必须是 {options} 之一，现为 {v}"),
]

#: Fixes: English wording → Chinese (same rules as :data:`PROBLEMS`).
FIXES: list[tuple[str, _Template]] = [
    (r"Give every row a unique (?P<col>\S+)", "请给每一行一个唯一的 {col}"),
    (r"Make every (?P<col>\S+) unique", "请让每个 {col} 都不重复"),
    (r"Write plain numbers \(no units or text\), leave unknown values empty", "请只填数字（不带单位或文字），未知的留空"),
    (r"Use counts of zero or more", "请填写不小于 0 的数"),
    (r"Use the boundary polygons of the communities/villages", "请使用社区/村的边界面"),
    (r"Check that the right file was given for this layer", "请检查该图层是否选对了文件"),
    (r"Add the community/village boundary polygons", "请添加社区/村的边界面"),
    (r"Use 'urban' \(城市社区\) or 'rural' \(农村社区/村\), or leave it empty", "请填写“城市”（urban）或“农村”（rural），或留空"),
    (r"Use 'existing' \(现状\) or 'planned' \(规划\), or leave it empty for existing",
     "请填写“现状”（existing）或“规划”（planned），留空按现状处理"),
    (r"Use these keys: (?P<categories>.+)", "请使用以下类别：{categories}"),
    (r"Give the number of residents of each point or grid cell", "请填写每个点或格网的居民人数"),
    (r"Add a population layer \(points or grid cells with a population column\) or a population column to the "
     r"communities", "请添加人口图层（带人口列的点或格网），或在社区图层中增加人口列"),
    (r"Add or rename the column\(s\) to (?P<cols>.+)", "请添加这些列，或将已有的列改名为 {cols}"),
    (r"Make the zip again from the data folder itself", "请直接从数据文件夹重新压缩"),
    (r"Check that the upload finished and the file is a \.zip", "请确认上传已完成且文件是 .zip"),
    (r"Zip only the data set folder", "请只压缩数据集文件夹"),
    (r"Zip the files themselves, not links to them", "请压缩文件本身，而不是指向它们的链接"),
    (r"Split the data set or load the folder directly", "请拆分数据集，或直接载入文件夹"),
    (r"Check the file is complete and valid \(open it in QGIS\), or save it again as GeoPackage or GeoJSON",
     "请检查文件是否完整有效（可在 QGIS 中打开），或重新另存为 GeoPackage 或 GeoJSON"),
    (r"Use decimal degrees, e\.g\. (?P<v>[\d.]+)", "请使用十进制度数，例如 {v}"),
    (r"Add longitude/latitude columns named (?P<names>.+), or a WKT 'geometry' column",
     "请添加经纬度列（列名可用 {names}），或一个 WKT 格式的 geometry 列"),
    (r"Write geometries as WKT, e\.g\. (?P<v>.+)", "请用 WKT 书写几何图形，例如 {v}"),
    (r"Save it again as CSV \(comma-separated, UTF-8\)", "请重新另存为 CSV（逗号分隔，UTF-8）"),
    (r"Save it again as CSV UTF-8", "请重新另存为 CSV UTF-8"),
    (r"Save it again as \.xlsx", "请重新另存为 .xlsx"),
    (r"Check the file is a complete GeoPackage", "请检查文件是否为完整的 GeoPackage"),
    (r"Save the layer again with its projection \(GeoPackage, or a Shapefile with its \.prj\), or export it in "
     r"WGS84 lon/lat", "请连同投影重新保存该图层（GeoPackage，或带 .prj 的 Shapefile），或导出为 WGS84 经纬度"),
    (r"Add the \.prj file \(or save as GeoPackage, which keeps the projection\), or give lon/lat columns",
     "请添加 .prj 文件（或另存为会保留投影的 GeoPackage），或提供经纬度列"),
    (r"Check the path", "请检查路径"),
    (r"check the path", "请检查路径"),
    (r"Save the sheet as \.xlsx or CSV", "请将工作表另存为 .xlsx 或 CSV"),
    (r"Put (?P<f>.+) next to it \(a Shapefile is several files: \.shp, \.shx, \.dbf and \.prj\), or send a "
     r"GeoPackage", "请把 {f} 放在它旁边（Shapefile 由 .shp、.shx、.dbf、.prj 多个文件组成），或改用 GeoPackage"),
    (r"Say which layer to read", "请指明要读取的图层"),
    (r"Zip the \.shp together with its \.shx, \.dbf and \.prj files", "请把 .shp 与其 .shx、.dbf、.prj 文件一起压缩"),
    (r"Name each file after its layer \(communities, facilities, …\) and load the archive as a data set",
     "请按图层命名各文件（communities、facilities……），并将压缩包作为整套数据载入"),
    (r"Keep one of them", "请只保留其中一个"),
    (r'Check the TOML syntax: key = "value", lists in \[ \]', '请检查 TOML 语法：key = "value"，列表写在 [ ] 中'),
    (r"Write (?P<key>\w+) = (?P<v>\[.*\])", "请写成 {key} = {v}"),
    (r"Use layer names: (?P<names>.+)", "请使用这些图层名：{names}"),
    (r"Use 'utm' \(default\), 'cgcs2000_gk' or an EPSG code such as '(?P<v>.+)'",
     "请使用 'utm'（默认）、'cgcs2000_gk' 或 EPSG 代码，例如 '{v}'"),
    (r"Give a folder, a GeoPackage or a \.zip holding the layers communities, facilities, roads \(population, "
     r"candidates optional\)", "请提供一个文件夹、GeoPackage 或 .zip，其中含社区（communities）、设施（facilities）、"
     "道路（roads）图层（人口 population、候选址 candidates 可选）"),
    (r"Name the files after the layers \(communities\.geojson, facilities\.csv, roads\.osm\.pbf, …\) or the layers "
     r"of a GeoPackage \(communities, facilities, roads\)", "请按图层命名文件（communities.geojson、facilities.csv、"
     "roads.osm.pbf……），或这样命名 GeoPackage 中的图层（communities、facilities、roads）"),
    (r"Give road centre lines \(LineString\) or an OpenStreetMap file", "请提供道路中心线（LineString）或 OpenStreetMap 文件"),
    (r"Give existing roads \(highway=residential, primary, footway, …\)", "请提供现状道路（highway=residential、primary、footway……）"),
    (r"Give the roads of the study area", "请提供研究范围内的道路"),
    (r"Give the roads of the same area, or check the coordinate systems of both layers",
     "请提供同一范围的道路，或检查两个图层的坐标系"),
    (r"Check the path, or choose the file again", "请检查路径，或重新选择文件"),
    (r"Export the roads \(highway=\*\) of the study area into this file", "请将研究范围内的道路（highway=*）导出到该文件"),
    (r"Add the \.prj file \(Shapefile\) or save the layer with its CRS", "请添加 .prj 文件（Shapefile），或连同坐标系保存该图层"),
    (r"Add a 'highway' column with OSM road classes \(residential, primary, footway, …\)",
     "请添加 highway 列，填写 OSM 道路等级（residential、primary、footway……）"),
    (r"Use a layer of road centre lines \(LineString\) with highway classes", "请使用带道路等级的道路中心线图层（LineString）"),
    (r"Draw or load a valid study-area polygon in lon/lat", "请绘制或载入有效的经纬度研究范围"),
    (r"Check that the polygon is in lon/lat \(WGS84\) and covers the town", "请确认研究范围为经纬度（WGS84）并覆盖城镇"),
    (r"Download the roads on a machine with internet access \(or export them from OSM\)(?P<rest>.*)",
     "请在能联网的电脑上下载道路（或从 OSM 导出），再作为道路文件上传"),
    (r"Export it again as \.osm \(XML\) or \.osm\.pbf", "请重新导出为 .osm（XML）或 .osm.pbf"),
    (r"Export the file with its nodes \(e\.g\. (?P<v>.+)\)", "请连同节点导出文件（例如 {v}）"),
    (r"Save the graph again with osmnx\.save_graphml", "请用 osmnx.save_graphml 重新保存路网图"),
    (r"Save the graph with osmnx, which records its CRS", "请用 osmnx 保存路网图（会记录坐标系）"),
    (r"Export a road graph with edges \(osmnx graph_from_\*\)", "请导出带边的路网图（osmnx graph_from_*）"),
    (r"Use \.osm, \.osm\.pbf, \.graphml, or a line layer \(\.gpkg, \.shp, \.zip, \.geojson\)",
     "请使用 .osm、.osm.pbf、.graphml 或线图层（.gpkg、.shp、.zip、.geojson）"),
    (r"Give an EPSG code of a metric CRS, e\.g\. (?P<v>.+)", "请给出米制坐标系的 EPSG 代码，例如 {v}"),
    (r"Use the data set's UTM zone or Gauss-Krüger zone", "请使用数据集所在的 UTM 带或高斯-克吕格带"),
    (r"Use one of (?P<options>.+?) \(gcj02 for Amap/高德 exports, bd09 for Baidu/百度 exports\)",
     "请使用以下之一：{options}（高德导出的数据用 gcj02，百度导出的数据用 bd09）"),
    (r"Check that the layers are not empty", "请检查图层是否为空"),
    (r"Give the layer's projection \(a \.prj file, or a GeoPackage\) or convert it to lon/lat",
     "请给出该图层的投影（.prj 文件或 GeoPackage），或将其转换为经纬度"),
    (r"Use the UTM zone CRS instead", "请改用 UTM 带坐标系"),
    (r"check the layer's projection \(\.prj file\)", "请检查该图层的投影（.prj 文件）"),
    (r'if the file comes from (?P<sys>.+?), say so: coords = "(?P<code>\w+)" in dataset\.toml, or the --coords '
     r"(?P=code) option", "如果文件来自 {sys}，请在“经纬度坐标系”中选择它（命令行：--coords {code}）"),
    (r"Upload one of: (?P<types>.+)", "请上传以下类型之一：{types}"),
    (r"Clip it to the study area", "请裁剪到研究范围"),
    (r"Upload the communities layer too", "请同时上传社区图层"),
    (r"Upload dataset\.toml in its own box and each layer in the box of its layer",
     "请在 dataset.toml 一栏上传数据集说明，各图层上传到各自的栏中"),
    (r"Load the data set the scenario was made for", "请先载入该方案所用的数据集"),
    (r"add a unique candidate_id to every candidate", "请给每个候选址一个唯一的 candidate_id"),
    (r"give every candidate its own id", "请给每个候选址一个不重复的编号"),
    (r"use one of (?P<options>.+)", "请使用以下之一：{options}"),
    (r"Use keys from geo\.taxonomy: (?P<categories>.+)", "请使用分类表中的类别：{categories}"),
    (r"give the floor area in m²", "请以平方米填写建筑面积"),
    (r"add candidate sites \(e\.g\. idle public buildings\) or use generated candidates",
     "请添加候选址（如闲置的公共用房），或改用自动生成的候选址"),
    (r"add candidates, lower the minimum floor area or use --candidates generated/both",
     "请添加候选址、降低最小建筑面积，或改用自动生成的候选址"),
    (r"correct the rows with missing or negative population", "请更正人口数缺失或为负的行"),
    (r"Correct or remove the rows with missing or negative population", "请更正或删除人口数缺失或为负的行"),
    (r"Give every row a point or grid-cell polygon, or remove the rows", "请给每一行一个点或格网面，或删除这些行"),
    (r"Give every facility a location, or remove the rows", "请给每处设施一个位置，或删除这些行"),
    (r"Add a population column \(residents per point\)", "请添加人口列（每个点的居民人数）"),
    (r"give a share such as 95 or 100", "请填写比例，如 95 或 100"),
    (r"add floor_area_m2 or capacity to the candidates, or switch capacities off",
     "请给候选址填写建筑面积或服务容量，或不按容量选址"),
    (r"give the scenario a short name such as 方案一", "请给方案起一个简短的名称，如“方案一”"),
    (r"use a file name ending in \.gpkg", "请使用以 .gpkg 结尾的文件名"),
    (r"choose a scenario file saved by this tool", "请选择本工具保存的方案文件"),
    (r"save the scenario again", "请重新保存方案"),
    (r"give the scenarios different names", "请给两个方案起不同的名称"),
    (r"save it with its analysis, or compare with the data set given", "请连同分析结果保存方案，或在有数据集时比较"),
    (r"set the data set's CRS on the sites", "请给新址设置数据集的坐标系"),
]

_COMPILED: dict[str, list[tuple[re.Pattern[str], _Template]]] = {
    "problem": [(re.compile(p), zh) for p, zh in PROBLEMS],
    "fix": [(re.compile(p), zh) for p, zh in FIXES],
}


def _translate(text: str, table: str) -> str | None:
    text = text.strip().rstrip(".")
    for pattern, template in _COMPILED[table]:
        match = pattern.fullmatch(text)
        if match is None:
            continue
        groups = {name: _group(name, value) for name, value in match.groupdict().items()}
        return template(groups) if callable(template) else template.format(**groups)
    return None


def message_text(text: str, lang: str = "zh") -> str:
    """One English message of :mod:`geo` or :mod:`planning` in ``lang`` (as it is when unknown).

    A validation problem may end in ``". Fix: …"``; both parts are translated.
    """
    if lang == "en":
        return text
    problem, sep, fix = text.partition(". Fix: ")
    out = _translate(problem, "problem") or problem.rstrip(".")
    if sep:
        out += "。处理办法：" + (_translate(fix, "fix") or fix.rstrip("."))
    return out


def is_translated(text: str, *, fix: bool = False) -> bool:
    """Whether every part of ``text`` (a problem, or a fix when ``fix``) has a Chinese pattern."""
    if fix:
        return _translate(text, "fix") is not None
    problem, sep, fix_text = text.partition(". Fix: ")
    return _translate(problem, "problem") is not None and (not sep or _translate(fix_text, "fix") is not None)


def where_text(*, file: str | None = None, layer: str | None = None, column: str | None = None,
               lang: str = "zh") -> str:
    """``file, layer 'x', column 'y'`` of a message, in ``lang``; empty when none is known."""
    if lang == "en":
        parts = [file, f"layer '{layer}'" if layer else None, f"column '{column}'" if column else None]
        return ", ".join(p for p in parts if p)
    parts = [file, f"图层“{_layer(layer)}”" if layer else None, f"列“{column}”" if column else None]
    return "，".join(p for p in parts if p)


def error_text(exc: BaseException, lang: str = "zh") -> str:
    """The message of an error in ``lang``: a :class:`geo._errors.DataError` part by part.

    Other errors (a ``ValueError`` of the settings …) are translated as one message.
    """
    if lang == "en":
        return str(exc)
    if _keyed(exc):  # the importer's own Chinese text
        return geo_texts.error_text(exc, lang)
    problem = getattr(exc, "problem", None)
    if problem is None:
        return message_text(str(exc), lang)
    where = where_text(file=getattr(exc, "file", None), layer=getattr(exc, "layer", None),
                       column=getattr(exc, "column", None), lang=lang)
    text = (where + "：" if where else "") + (_translate(problem, "problem") or problem.rstrip(".")) + "。"
    fix = getattr(exc, "fix", None)
    if fix:
        text += (_translate(fix, "fix") or fix.rstrip(".")) + "。"
    return text


def problem_row(problem: Any, lang: str = "zh") -> dict[str, Any]:
    """One :class:`geo.dataset.Problem` as a table row (severity, layer, file, column, count, message)."""
    severity, layer = str(problem.severity), str(problem.layer)
    return {"severity": severity if lang == "en" else SEVERITY_ZH.get(severity, severity),
            "layer": layer if lang == "en" else _layer(layer),
            "file": problem.file, "column": problem.column, "count": problem.count,
            "message": (geo_texts.problem_text(problem, lang) if _keyed(problem)
                        else message_text(str(problem.message), lang))}


def _keyed(message: Any) -> bool:
    """Whether a problem or error carries a key of the importer's own text table."""
    return bool(getattr(message, "key", None)) and message.key in geo_texts.TEXTS


def has_chinese(message: Any) -> bool:
    """Whether a problem or error has Chinese text: its own key, or a pattern here."""
    if _keyed(message):
        return True
    text = getattr(message, "problem", None) or str(getattr(message, "message", message))
    return is_translated(text)
