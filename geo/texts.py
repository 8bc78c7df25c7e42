"""Every text the importer shows a planner, in English and Chinese: one table, one renderer.

A :class:`geo.dataset.Problem` (and a :class:`geo._errors.DataError` that carries a key) holds a
``key`` and ``values``; :func:`problem_text` and :func:`error_text` word it in the user's language.
The English ``message`` of a problem is this table's English text for the command line, so the
two never drift apart. Values stay language-free (numbers, keys, row references); this module
turns them into words: rows become "lines 3, 4" or "第 3、4 行", coordinate systems and layers
get their names in each language.

Advice that names a control (the coordinate-system choice) comes in two wordings: ``"cli"`` (the
``--coords`` option and ``dataset.toml``) and ``"app"`` (the app's coordinate-system selector).

Examples
--------
>>> from geo.dataset import Problem
>>> p = Problem("warning", "facilities", "", key="rows.no_coordinates",
...             values={"n": 2, "rows": row_refs([1, 4], table=True)})
>>> problem_text(p, "en")
'2 row(s) without coordinates were left out (lines 3, 6)'
>>> problem_text(p, "zh")
'2 行没有坐标，已略去（第 3、6 行）'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

from geo.taxonomy import CATEGORIES

Language = Literal["zh", "en"]
Control = Literal["app", "cli"]

#: key → (English, Chinese) ``str.format`` templates of problems and errors.
TEXTS: dict[str, tuple[str, str]] = {
    # ---- columns and rows
    "columns.renamed": ("columns read as {renames}", "已识别列名：{renames}"),
    "columns.missing": (
        "required column(s) {missing} missing (the layer has: {present})",
        "缺少必需的列 {missing}（该图层的列：{present}）"),
    "columns.missing.fix": (
        "Add or rename the column(s) to {missing}; accepted names: {accepted}",
        "请添加或重命名该列为 {missing}；可用的列名：{accepted}"),
    "layer.no_features": ("the layer has no features (it is empty)", "该图层没有任何要素（是空的）"),
    "layer.no_features.fix": ("Give a file that holds the {layer_name}",
                              "请提供包含{layer_name}的文件"),
    "ids.generated": (
        "no {column} column: ids {first}…{last} were given in row order",
        "没有 {column} 列：已按行顺序生成编号 {first}…{last}"),
    "rows.no_coordinates": ("{n} row(s) without coordinates were left out ({rows})",
                            "{n} 行没有坐标，已略去（{rows}）"),
    "sheets.combined": ("read {n} sheets with the same columns as one layer: {sheets}",
                        "已将列相同的 {n} 个工作表合并为一个图层：{sheets}"),
    "sheets.skipped": ("sheet(s) {sheets} hold no coordinate columns and were not read",
                       "工作表 {sheets} 没有坐标列，未读取"),
    # ---- encodings and projections
    "encoding.gbk_guessed": ("no .cpg file and the text is not UTF-8; read as GBK",
                             "没有 .cpg 文件且文字不是 UTF-8，已按 GBK 读取"),
    "encoding.cpg_wrong": (
        "{cpg} says {declared} but the text in {dbf} is {actual}; read as {actual}",
        "{cpg} 声明编码为 {declared}，但 {dbf} 中的文字实为 {actual}，已按 {actual} 读取"),
    "encoding.cpg_doubt": (
        "{cpg} says {declared}, but the text in {dbf} also reads as Chinese (GBK): if names "
        "look garbled, write GBK into {cpg}",
        "{cpg} 声明编码为 {declared}，但 {dbf} 中的文字也可按中文（GBK）读取：如果名称显示为乱码，"
        "请将 {cpg} 的内容改为 GBK"),
    "gdal.warning": ("the GIS library warned while reading the file ({n} kind(s)), e.g.: {detail}",
                     "读取文件时 GIS 组件给出 {n} 类提示，例如：{detail}"),
    "crs.assumed_lonlat": (
        "no projection given; the coordinates look like lon/lat degrees and were read as such",
        "未给出投影；坐标看起来是经纬度，已按经纬度读取"),
    "coords.projected": (
        "the layer is projected ({crs}); coords = '{system_key}' applies only to lon/lat layers "
        "and was not used",
        "该图层是投影坐标（{crs}），经纬度坐标系 {system} 只用于经纬度图层，未使用"),
    "coords.osm_roads": (
        "the road lines come from OpenStreetMap ({column} column) and were read as WGS84, not "
        "{system}; say roads = \"{system_key}\" under [coords] in dataset.toml if they are not",
        "道路线来自 OpenStreetMap（有 {column} 列），已按 WGS84 读取，而不是 {system}；"
        "如果不是，请在 dataset.toml 的 [coords] 中写 roads = \"{system_key}\""),
    "coords.osm_file": (
        "OpenStreetMap files are WGS84 by definition; coords = '{system_key}' for roads was not used",
        "OpenStreetMap 文件本身就是 WGS84，道路的经纬度坐标系 {system} 未使用"),
    # ---- geometry
    "geometry.empty": ("{n} feature(s) without geometry were left out ({rows})",
                       "{n} 个要素没有几何图形，已略去（{rows}）"),
    "geometry.repaired": ("{n} invalid geometr{ies} repaired ({rows})",
                          "已修复 {n} 个无效的几何图形（{rows}）"),
    "geometry.centroid": ("{n} polygon(s) were replaced by their centroid (the layer should "
                          "hold points)", "{n} 个面已换成其质心（该图层应为点）"),
    "geometry.point_inside": ("{n} grid cell(s) or areas were replaced by a point inside each",
                              "{n} 个格网或面已换成其内部的一个点"),
    "geometry.multipoint": ("{n} multi-point feature(s) were replaced by the centre of their "
                            "points", "{n} 个多点要素已换成其各点的中心"),
    "geometry.not_finite": (
        "{n} feature(s) have coordinates that are not numbers (NaN or infinite) ({rows})",
        "{n} 个要素的坐标不是数字（NaN 或无穷大）（{rows}）"),
    "geometry.not_finite.fix": ("Correct or delete these features",
                                "请改正或删除这些要素"),
    "geometry.not_convertible": (
        "{n} feature(s) lie outside the area of the layer's projection ({crs}) and have no "
        "lon/lat ({rows})",
        "{n} 个要素位于该图层投影（{crs}）的适用范围之外，无法换算为经纬度（{rows}）"),
    "geometry.not_convertible.fix": (
        "Check the layer's projection (.prj file) and the coordinates of these features",
        "请检查该图层的投影（.prj 文件）和这些要素的坐标"),
    "geometry.not_lonlat": (
        "the layer says lon/lat degrees but its coordinates ({x:.0f}, {y:.0f}) are not",
        "该图层声明为经纬度，但其坐标 ({x:.0f}, {y:.0f}) 不是经纬度"),
    "geometry.not_lonlat.fix": (
        "Save the layer again with its projection (GeoPackage, or a Shapefile with its .prj), "
        "or export it in WGS84 lon/lat",
        "请连同投影重新保存该图层（GeoPackage，或带 .prj 的 Shapefile），或导出为 WGS84 经纬度"),
    "geometry.no_crs_not_lonlat": (
        "the layer has no projection and its coordinates ({x:.0f}, {y:.0f}) are not lon/lat "
        "degrees (first at {rows})",
        "该图层没有投影信息，且其坐标 ({x:.0f}, {y:.0f}) 不是经纬度（首个在{rows}）"),
    "geometry.no_crs_not_lonlat.fix": (
        "Add the .prj file (or save as GeoPackage, which keeps the projection), or give lon/lat "
        "columns",
        "请补上 .prj 文件（或另存为保留投影的 GeoPackage），或提供经纬度列"),
    # ---- values
    "numbers.not_numbers": ("{n} value(s) are not numbers ({rows}: {examples})",
                            "{n} 个值不是数字（{rows}：{examples}）"),
    "numbers.decimal_comma": (
        "{n} value(s) have a comma that is not a thousands separator ({rows}: {examples})",
        "{n} 个值中的逗号不是千位分隔符（{rows}：{examples}）"),
    "numbers.decimal_comma.fix": (
        "Write decimals with a point (12.5) and thousands without separators or as 1,234,567",
        "小数请用小数点（12.5），千位不分隔或写成 1,234,567"),
    "numbers.not_finite": ("{n} value(s) are infinite or not a number ({rows}: {examples})",
                           "{n} 个值为无穷大或非数字（{rows}：{examples}）"),
    "numbers.too_large": ("{n} value(s) are larger than {limit:,.0f} ({rows}: {examples})",
                          "{n} 个值大于 {limit:,.0f}（{rows}：{examples}）"),
    "numbers.fix": ("Write plain numbers (no units or text), leave unknown values empty",
                    "请填写纯数字（不带单位或文字），未知的留空"),
    "kind.inferred": ("kind inferred from the name for {n} communities (…村 → rural, …社区 → "
                      "urban)", "已根据名称推断 {n} 个社区的城乡类型（…村 → 农村，…社区 → 城市）"),
    "kind.unclear": ("{n} community name(s) end neither in 村 nor 社区 and were taken as urban "
                     "(e.g. {names}); add a kind column to say otherwise",
                     "{n} 个社区名称既不以“村”也不以“社区”结尾，已按城市社区处理（如 {names}）；"
                     "如不对，请添加城乡类型列"),
    "category.unknown": (
        "{n} facilities with unknown categories were left out: {found}. Valid categories: "
        "{valid}", "{n} 个设施的类别无法识别，已略去：{found}。可用的类别：{valid}"),
    "category.none_known": ("no row has a known category (found {found})",
                            "没有一行的类别可以识别（发现 {found}）"),
    "category.none_known.fix": ("Use these keys (or their Chinese labels): {valid}",
                                "请使用这些类别：{valid}"),
    "facilities.empty": ("the layer has no facilities: nobody is covered",
                         "该图层没有设施：没有居民被覆盖"),
    "population.blank": ("{n} point(s) without a population value were left out ({rows})",
                         "{n} 个点没有人口数，已略去（{rows}）"),
    "population.community_set": (
        "community_id of {n} point(s) was set from the community polygon that contains each "
        "point ({rows})", "{n} 个点的社区编号已按所在社区的边界重新确定（{rows}）"),
    "population.outside": (
        "{n} population point(s) ({people:,.0f} people) lie outside every community: they count "
        "in the totals but in no community's row",
        "{n} 个人口点（{people:,.0f} 人）不在任何社区内：计入总数，但不计入任何社区"),
    "population.community_unknown": (
        "{n} communities have no population and count as empty (e.g. {names})",
        "{n} 个社区没有人口数，按无人口处理（如 {names}）"),
    "population.spread": ("population spread evenly over each community (no population layer)",
                          "没有人口图层：各社区人口已均匀分布在社区范围内"),
    "ids.missing": ("{n} row(s) have no {column} ({rows})", "{n} 行没有 {column}（{rows}）"),
    "ids.missing.fix": ("Give every row a unique {column}, or remove the column to have ids made",
                        "请给每一行一个唯一的 {column}，或删去该列由程序生成编号"),
    "ids.duplicated": ("{n} {column} value(s) are used more than once (e.g. {examples})",
                       "{n} 个 {column} 值重复出现（如 {examples}）"),
    "ids.duplicated.fix": ("Make every {column} unique", "请让每个 {column} 都唯一"),
    "numbers.negative": ("{n} negative value(s) ({rows})", "{n} 个负值（{rows}）"),
    "numbers.negative.fix": ("Use counts of zero or more", "请填写 0 或更大的数"),
    "kind.unknown": ("unknown kind value(s) [{examples}] ({rows})",
                     "无法识别的城乡类型 {examples}（{rows}）"),
    "kind.unknown.fix": ("Use 'urban' (城市社区) or 'rural' (农村社区/村), or leave it empty",
                         "请填写“城市”（urban）或“农村”（rural），或留空"),
    "status.unknown": ("unknown status value(s) [{examples}] ({rows})",
                       "无法识别的建设状态 {examples}（{rows}）"),
    "status.unknown.fix": ("Use 'existing' (现状) or 'planned' (规划), or leave it empty for "
                           "existing", "请填写“现状”（existing）或“规划”（planned），留空按现状处理"),
    "table.no_coordinates": ("no coordinate columns found (columns: {present})",
                             "没有找到坐标列（已有的列：{present}）"),
    "table.no_coordinates.fix": ("Add longitude/latitude columns named {names}, or a WKT "
                                 "'geometry' column",
                                 "请添加经纬度列（列名可为 {names}），或一个 WKT 格式的 geometry 列"),
    "file.not_regular": ("is {kind}, not a regular file; it was not read",
                         "是{kind_zh}，不是普通文件，未读取"),
    "file.not_regular.fix": ("Give an ordinary file saved on disk", "请提供保存在磁盘上的普通文件"),
    "file.not_a_layer": ("{what}", "{what_zh}"),
    "file.not_a_layer.fix": ("Give a layer file: {suffixes}", "请提供图层文件：{suffixes}"),
    "file.unreadable": ("cannot be read as a GIS layer ({detail})",
                        "无法作为 GIS 图层读取（{detail}）"),
    "file.unreadable.fix": ("Check the file is complete and valid (open it in QGIS), or save it "
                            "again as GeoPackage or GeoJSON",
                            "请检查文件是否完整有效（可用 QGIS 打开），或另存为 GeoPackage 或 GeoJSON"),
    "zip.unreadable": ("not a readable zip archive ({detail})", "不是可读取的 zip 压缩包（{detail}）"),
    "zip.unreadable.fix": ("Check that the upload finished and the file is a .zip",
                           "请确认上传已完成且文件是 .zip"),
    "zip.damaged": ("the archive is damaged: '{member}' cannot be unpacked ({detail})",
                    "压缩包已损坏：“{member}”无法解压（{detail}）"),
    "zip.damaged.fix": ("Upload or copy the zip again (it may be incomplete), or make it anew",
                        "请重新上传或复制该压缩包（可能不完整），或重新打包"),
    "zip.encrypted": ("'{member}' in the archive is encrypted (password-protected)",
                      "压缩包中的“{member}”已加密（有密码）"),
    "zip.encrypted.fix": ("Zip the files again without a password", "请不加密码重新打包"),
    "zip.bomb": ("the archive unpacks {ratio:,.0f}-fold ({packed} to {unpacked}); refused as a "
                 "possible zip bomb", "压缩包解压后膨胀 {ratio:,.0f} 倍（{packed} → {unpacked}），"
                 "疑为压缩炸弹，已拒绝"),
    "zip.bomb.fix": ("Zip only the data files themselves", "请只打包数据文件本身"),
    "zip.too_big": ("the archive expands to more than {limit}, the limit for one archive",
                    "压缩包解压后超过 {limit}（单个压缩包的上限）"),
    "zip.too_big.fix": ("Split the data set, clip it to the study area or load the folder "
                        "directly", "请拆分数据集、裁剪到研究范围，或直接载入文件夹"),
    "zip.too_many": ("the archive holds {n:,} files, more than the {limit:,} allowed",
                     "压缩包含 {n:,} 个文件，超过上限 {limit:,} 个"),
    "zip.too_many.fix": ("Zip only the data set folder", "请只打包数据集文件夹"),
    "dataset.missing_layers": (
        "no {missing} layer found (layers found: {recognised}{others})",
        "没有找到{missing_zh}图层（已识别的图层：{recognised}{others}）"),
    "dataset.missing_layers.fix": (
        "Name the files after the layers (communities.geojson, facilities.csv, roads.osm.pbf, "
        "…) or the layers of a GeoPackage (communities, facilities, roads); Chinese names work "
        "too ({names}); or say which is which in dataset.toml: [layers] {first} = \"…\"",
        "请按图层命名文件（communities.geojson、facilities.csv、roads.osm.pbf 等）或 GeoPackage "
        "的图层（communities、facilities、roads），也可用中文名（{names}）；或在 dataset.toml 中"
        "写明对应关系：[layers] {first} = \"…\""),
    "coords.unknown": ("unknown coordinate system '{given}' in {where}",
                       "{where} 中的坐标系“{given}”无法识别"),
    "coords.unknown.fix": ("Use one of wgs84, cgcs2000, gcj02, bd09 (gcj02 for Amap/高德 exports, "
                           "bd09 for Baidu/百度 exports)",
                           "请使用 wgs84、cgcs2000、gcj02、bd09 之一（高德导出用 gcj02，百度导出用 bd09）"),
    "sheets.differ": (
        "the sheets {sheets} hold coordinates but sheet(s) {differ} have other columns than "
        "'{first}'", "工作表 {sheets} 都有坐标，但工作表 {differ} 的列与“{first}”不同"),
    "sheets.differ.fix": ("Give every sheet of the layer the same header row, or keep one layer "
                          "per workbook", "请让该图层的每个工作表使用相同的表头，或每个工作簿只放一个图层"),
    "shapefile.missing_part": ("the Shapefile has no {part} file ({what})",
                               "该 Shapefile 缺少 {part} 文件（{what_zh}）"),
    "shapefile.missing_part.fix": (
        "Put {expected} next to it (a Shapefile is several files: .shp, .shx, .dbf and .prj), or "
        "send a GeoPackage",
        "请把 {expected} 放在它旁边（Shapefile 由 .shp、.shx、.dbf、.prj 等多个文件组成），或改用 GeoPackage"),
    "encoding.undecodable": (
        "{cpg} says the text is {declared}, but the text in {dbf} is not {declared}{also} or GBK",
        "{cpg} 声明编码为 {declared}，但 {dbf} 中的文字既不是 {declared}{also_zh}，也不是 GBK"),
    "encoding.undecodable.fix": (
        "Write the encoding the layer was saved with into {cpg} (e.g. GBK or UTF-8), or save the "
        "layer again as GeoPackage",
        "请在 {cpg} 中写明该图层保存时的编码（如 GBK 或 UTF-8），或将图层另存为 GeoPackage"),
    "gpkg.several_layers": ("the GeoPackage holds several layers ({layers})",
                            "该 GeoPackage 有多个图层（{layers}）"),
    "gpkg.several_layers.fix": ("Say which layer to read", "请指明读取哪一个图层"),
    "archive.several_layers": ("the archive holds several layers ({files})",
                               "压缩包中有多个图层（{files}）"),
    "archive.several_layers.fix": (
        "Name each file after its layer (communities, facilities, …) and load the archive as a "
        "data set", "请按图层命名每个文件（communities、facilities 等），并把压缩包作为数据集载入"),
    "archive.no_layer": ("the archive holds no GIS layer (.shp, .gpkg, .geojson, .csv, .xlsx)",
                         "压缩包中没有 GIS 图层（.shp、.gpkg、.geojson、.csv、.xlsx）"),
    "archive.shapefile_parts": ("the archive holds parts of a Shapefile but no .shp file",
                                "压缩包中有 Shapefile 的部分文件，但没有 .shp 文件"),
    "archive.shapefile_parts.fix": ("Zip the .shp together with its .shx, .dbf and .prj files",
                                    "请把 .shp 与其 .shx、.dbf、.prj 文件一起打包"),
    "file.not_found": ("file not found", "找不到文件"),
    "file.not_found.fix": ("Check the path", "请检查路径"),
    "communities.none": ("the layer has no communities", "该图层没有社区"),
    "communities.none.fix": ("Add the community/village boundary polygons", "请提供社区/村的边界面"),
    "roads.no_lines": ("the roads layer holds no lines", "道路图层中没有线"),
    "roads.no_lines.fix": ("Give road centre lines (LineString) or an OpenStreetMap file",
                           "请提供道路中心线（LineString）或 OpenStreetMap 文件"),
    "roads.none": ("the road network has no roads", "路网中没有道路"),
    "roads.none.fix": ("Give the roads of the study area", "请提供研究范围内的道路"),
    "roads.no_overlap": ("the roads do not overlap the communities at all",
                         "道路与社区完全不重叠"),
    "roads.no_overlap.fix": ("Give the roads of the same area, or check the coordinate systems of "
                             "both layers", "请提供同一范围的道路，或检查两个图层的坐标系"),
    "dataset.not_a_dataset": ("not a data set", "不是数据集"),
    "dataset.not_a_dataset.fix": (
        "Give a folder, a GeoPackage or a .zip holding the layers communities, facilities, roads "
        "(population, candidates optional)",
        "请提供包含 communities、facilities、roads 图层（population、candidates 可选）的文件夹、"
        "GeoPackage 或 .zip"),
    "toml.unreadable": ("cannot be read ({detail})", "无法读取（{detail}）"),
    "toml.unreadable.fix": ("Check the TOML syntax: key = \"value\", lists in [ ]",
                            "请检查 TOML 语法：key = \"value\"，列表写在 [ ] 中"),
    "csv.unreadable": ("cannot be read as a CSV table ({detail})", "无法作为 CSV 表格读取（{detail}）"),
    "csv.unreadable.fix": ("Save it again as CSV (comma-separated, UTF-8)",
                           "请重新另存为 CSV（逗号分隔，UTF-8）"),
    "csv.encoding": ("the text is neither UTF-8 nor GBK", "文字既不是 UTF-8 也不是 GBK"),
    "csv.encoding.fix": ("Save it again as CSV UTF-8", "请另存为 CSV UTF-8"),
    "excel.unreadable": ("cannot be read as an Excel workbook ({detail})",
                         "无法作为 Excel 工作簿读取（{detail}）"),
    "excel.unreadable.fix": ("Save it again as .xlsx", "请重新另存为 .xlsx"),
    "excel.xls": ("old Excel .xls files are not read", "不读取旧版 Excel .xls 文件"),
    "excel.xls.fix": ("Save the sheet as .xlsx or CSV", "请将工作表另存为 .xlsx 或 CSV"),
    # ---- data set
    "toml.unused_key": ("dataset.toml key '{key}' is not used by the importer (kept in meta)",
                        "dataset.toml 中的“{key}”导入时不使用（已保留）"),
    "layers.aliased": ("layer(s) read by their names: {renames}", "已按名称识别图层：{renames}"),
    "roads.not_lines": ("{n} feature(s) that are not lines were left out",
                        "{n} 个不是线的要素已略去"),
    "roads.no_class": ("no 'highway' or 'fclass' column: every line is taken as a residential "
                       "street open to all modes",
                       "没有 highway 或 fclass 列：每条线都按对所有方式开放的居住区道路处理"),
    "roads.not_roads": ("{n} line(s) that are not usable roads were left out ({kinds})",
                        "{n} 条不能通行的线已略去（{kinds}）"),
    "roads.missing_nodes": (
        "{ways:,} road way(s) refer to {nodes:,} node(s) missing from the file; "
        "{segments:,} road segment(s) touching them were left out",
        "{ways:,} 条道路引用了文件中缺失的 {nodes:,} 个节点；与之相连的 {segments:,} 段道路已略去"),
    "roads.missing_nodes.fix": (
        "Export the roads with all their nodes (e.g. osmium extract --strategy complete_ways)",
        "请导出包含全部节点的道路（如 osmium extract --strategy complete_ways）"),
    # ---- datum
    "datum.far": (
        "the points lie a median {median_m:,.0f} m from the nearest road (more than "
        "{threshold_m:.0f} m): the layer and the roads may use different coordinate systems",
        "这些点离最近道路的距离中位数为 {median_m:,.0f} 米（超过 {threshold_m:.0f} 米）："
        "该图层与道路可能使用了不同的坐标系"),
    "datum.closer": (
        "the points lie a median {median_m:,.1f} m from the nearest road line, clearly more "
        "than they would in another coordinate system",
        "这些点离最近道路线的距离中位数为 {median_m:,.1f} 米，明显大于换用另一坐标系时的距离"),
    "datum.fits": (". Read as {best} they would lie {best_m:,.{digits}f} m from the roads",
                   "。若按 {best} 读取，它们离道路只有 {best_m:,.{digits}f} 米"),
    "datum.fix.cli": (
        ". Fix: if the file comes from {best}, say so: coords = \"{best_key}\" in dataset.toml, "
        "or the --coords {best_key} option (this layer only: {layer} = \"{best_key}\" under "
        "[coords])",
        "。解决：如果文件来自 {best}，请在 dataset.toml 中写 coords = \"{best_key}\"，或使用 "
        "--coords {best_key} 选项（只改这一图层：在 [coords] 中写 {layer} = \"{best_key}\"）"),
    "datum.fix.app": (
        ". Fix: if the file comes from {best}, choose {best} under \"Coordinate system of "
        "lon/lat layers\" and load the data again",
        "。解决：如果文件来自 {best}，请在“经纬度坐标系”中选择 {best}，再重新载入数据"),
    "datum.fix_projection": (". Fix: check the layer's projection (.prj file)",
                             "。解决：请检查该图层的投影（.prj 文件）"),
}

#: Names of the lon/lat coordinate systems, per language.
SYSTEM_NAMES: dict[str, tuple[str, str]] = {
    "wgs84": ("WGS84 (GPS, OpenStreetMap)", "WGS84（GPS、OpenStreetMap）"),
    "cgcs2000": ("CGCS2000 (EPSG:4490)", "CGCS2000（EPSG:4490）"),
    "gcj02": ("GCJ-02 (Amap/高德, Tencent)", "GCJ-02（高德、腾讯）"),
    "bd09": ("BD-09 (Baidu/百度)", "BD-09（百度）"),
}
#: Names of the layers of the data contract, per language.
LAYER_NAMES: dict[str, tuple[str, str]] = {
    "communities": ("communities", "社区"), "facilities": ("facilities", "设施"),
    "population": ("population", "人口"), "candidates": ("candidates", "候选点"),
    "roads": ("roads", "道路"), "dataset": ("data set", "数据集"),
}
_ROW_LIMIT = 5


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "zh" else pair[0]


def row_refs(index: Iterable[object], *, table: bool, sheets: Any = None,
             limit: int = _ROW_LIMIT) -> dict[str, Any]:
    """Language-free reference to rows: 0-based positions → file lines or 1-based features.

    ``sheets`` (a :class:`geo._validate.SheetRows`, for workbooks read from several sheets) turns
    positions into (sheet, line) pairs.
    """
    items = list(index)
    labels: list[Any] = []
    for item in items[:limit]:
        if isinstance(item, str) or not _is_integer(item):
            labels.append(str(item))
        elif sheets is not None:
            labels.append(list(sheets.locate(int(item))))  # type: ignore[arg-type]
        else:
            labels.append(int(item) + (2 if table else 1))  # type: ignore[call-overload]
    return {"table": table, "labels": labels, "total": len(items)}


def _is_integer(value: object) -> bool:
    try:
        return float(value) == int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return False


def rows_text(ref: Mapping[str, Any], lang: str = "en") -> str:
    """``"lines 3, 4 and 2 more"`` / ``"第 3、4 行等共 4 处"`` from :func:`row_refs`."""
    labels, total, table = list(ref.get("labels", [])), int(ref.get("total", 0)), ref["table"]
    more = total - len(labels)
    sep = "、" if lang == "zh" else ", "
    groups: dict[str | None, list[str]] = {}
    for label in labels:
        if isinstance(label, list):
            groups.setdefault(str(label[0]), []).append(str(label[1]))
        else:
            groups.setdefault(None, []).append(str(label))
    parts = []
    for sheet, items in groups.items():
        if lang == "zh":
            unit = "行" if table else "个要素"
            text = f"第 {sep.join(items)} {unit}"
            parts.append(f"工作表“{sheet}”{text}" if sheet is not None else text)
        else:
            plural = "s" if len(items) > 1 else ""
            text = f"{'line' if table else 'feature'}{plural} {sep.join(items)}"
            parts.append(f"{text} of sheet '{sheet}'" if sheet is not None else text)
    text = ("；" if lang == "zh" else "; ").join(parts)
    if more > 0:
        text += f"等共 {total} 处" if lang == "zh" else f" and {more} more"
    return text


def category_list(lang: str = "zh") -> str:
    """The valid categories: Chinese labels with their keys (zh), keys with Chinese labels (en)."""
    if lang == "zh":
        return "、".join(f"{c.zh}（{key}）" for key, c in CATEGORIES.items())
    return ", ".join(f"{key} ({c.zh})" for key, c in CATEGORIES.items())


def _quoted(values: Iterable[Any], lang: str) -> str:
    if lang == "zh":
        return "、".join(f"“{v}”" for v in values)
    return ", ".join(repr(v) if isinstance(v, str) else str(v) for v in values)


def _prepare(values: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """Values with the language-bound ones worded (rows, systems, lists)."""
    sep = "、" if lang == "zh" else ", "
    out: dict[str, Any] = {"valid": category_list(lang)}
    for name, value in values.items():
        if name == "rows" and isinstance(value, Mapping):
            out[name] = rows_text(value, lang)
        elif name in ("system", "best") and isinstance(value, str):
            out[name] = _pick(SYSTEM_NAMES.get(value, (value, value)), lang)
            out[f"{name}_key"] = value
        elif name == "layer" and isinstance(value, str):
            out[name] = value
            out["layer_name"] = _pick(LAYER_NAMES.get(value, (value, value)), lang)
        elif name == "renames":
            out[name] = sep.join((f"“{old}”→{new}" if lang == "zh" else f"'{old}' → {new}")
                                 for old, new in value)
        elif name in ("sheets", "differ") and isinstance(value, list) and lang == "en":
            out[name] = ", ".join(repr(v) for v in value)
        elif name == "others":
            out[name] = "" if not value else (f"；数据集中还有：{sep.join(value)}" if lang == "zh"
                                              else f"; the data set also holds: {sep.join(value)}")
        elif name == "missing_layers":
            out["missing"] = " / ".join(value)
            out["missing_zh"] = "、".join(_pick(LAYER_NAMES.get(v, (v, v)), "zh") for v in value)
        elif name in ("found", "kinds"):
            out[name] = sep.join((f"“{v}”（{n}）" if lang == "zh" and name == "found" else
                                  f"'{v}' ({n})" if name == "found" else f"{v} {n}")
                                 for v, n in value)
        elif name == "examples":
            out[name] = _quoted(value, lang)
        elif isinstance(value, (list, tuple)):
            out[name] = sep.join(map(str, value))
        else:
            out[name] = value
    out.setdefault("ies", "y was" if values.get("n") == 1 else "ies were")
    out.setdefault("digits", 0)
    return out


def render(key: str, values: Mapping[str, Any], lang: str = "en") -> str:
    """The text of ``key`` with ``values`` in ``lang`` (``"zh"`` or ``"en"``)."""
    pair = TEXTS.get(key)
    if pair is None:
        raise KeyError(f"no text for {key!r}")
    return _pick(pair, lang).format(**_prepare(values, lang))


def problem_text(problem: Any, lang: str = "zh", *, control: Control = "app") -> str:
    """A :class:`geo.dataset.Problem` worded in ``lang``.

    Parameters
    ----------
    problem : geo.dataset.Problem
        Any object with ``key``, ``values`` and ``message``; without a key its ``message``.
    lang : {"zh", "en"}
    control : {"app", "cli"}
        Whose controls the advice names: the app's coordinate-system selector, or the
        ``--coords`` option and ``dataset.toml`` (the wording of ``Problem.message``).
    """
    key = getattr(problem, "key", None)
    if not key or key not in TEXTS:
        return str(getattr(problem, "message", problem))
    values = dict(getattr(problem, "values", {}) or {})
    text = render(key, values, lang)
    for part in values.get("then", ()):  # further sentences, e.g. the datum check's advice
        name = f"{part}.{control}" if f"{part}.{control}" in TEXTS else part
        text += render(name, values, lang)
    return text


def error_text(error: Any, lang: str = "zh") -> str:
    """A :class:`geo._errors.DataError` worded in ``lang`` (its message when it has no key)."""
    key = getattr(error, "key", None)
    if not key or key not in TEXTS or lang != "zh":
        return str(getattr(error, "message", error))
    values = dict(getattr(error, "values", {}) or {})
    where = [p for p in (error.file,
                         f"图层“{_pick(LAYER_NAMES.get(error.layer, (error.layer,) * 2), lang)}”"
                         if error.layer else None,
                         f"列“{error.column}”" if error.column else None) if p]
    text = ("，".join(where) + "：" if where else "") + render(key, values, lang).rstrip("。.")
    fix_key = values.get("fix_key") or (f"{key}.fix" if f"{key}.fix" in TEXTS else None)
    text += "。"
    if fix_key:
        text += render(fix_key, values, lang).rstrip("。.") + "。"
    return text
