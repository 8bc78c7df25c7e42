"""Every word the app shows, in Simplified Chinese (default) and English, from one table.

Category names come from :mod:`geo.taxonomy`, column headers from :mod:`planning.texts`;
everything else (labels, legends, messages) is a key of :data:`TEXT`. Notes of the engine
(:class:`planning.texts.Note`) and their Chinese text live in :mod:`planning.texts`
(:func:`planning.texts.note_text`), shared with the report.

Examples
--------
>>> t("page.map", "en")
'Map'
>>> t("msg.sites_found", "zh", n=3)
'推荐新址 3 处'
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import pandas as pd

from geo.taxonomy import label as category_label_of
from planning import texts

Language = Literal["zh", "en"]
LANGUAGES: tuple[Language, ...] = ("zh", "en")
LANGUAGE_NAMES: dict[str, str] = {"zh": "简体中文", "en": "English"}

#: key → (Chinese, English). Placeholders use str.format names.
TEXT: dict[str, tuple[str, str]] = {
    # app and pages
    "app.title": ("社区便民服务圈规划", "Community service circles"),
    "app.subtitle": (
        "城市社区15分钟、农村社区半小时便民服务圈：覆盖缺口、设施选址、规划图层导出",
        "15-minute urban and half-hour rural service circles: coverage gaps, facility siting, "
        "planning overlays",
    ),
    "app.language": ("语言 / Language", "语言 / Language"),
    "page.home": ("数据与设置", "Data and settings"),
    "page.map": ("地图", "Map"),
    "page.indicators": ("指标", "Indicators"),
    "page.siting": ("选址", "Siting"),
    "page.export": ("导出", "Export"),
    # home: data set
    "home.dataset": ("数据集", "Data set"),
    "home.source": ("数据来源", "Data source"),
    "home.source.bundled": ("内置数据集", "Bundled data set"),
    "home.source.upload": ("上传自己的数据", "Upload your own files"),
    "home.source.synthetic": ("合成演示数据（马鞍山附近）", "Synthetic demo data (near Ma'anshan)"),
    "home.coords": ("经纬度坐标系", "Coordinate system of lon/lat layers"),
    "home.coords.auto": ("按数据集说明", "As the data set says"),
    "home.upload.help": (
        "可上传：GeoPackage、压缩的 Shapefile（.zip）、GeoJSON、CSV/XLSX（含经度/纬度列）；"
        "道路：OSM 文件（.osm/.osm.pbf）、GraphML 或道路线图层。",
        "Accepted: GeoPackage, zipped Shapefile (.zip), GeoJSON, CSV/XLSX with lon/lat columns; "
        "roads: OSM file (.osm/.osm.pbf), GraphML or a road line layer.",
    ),
    "home.upload.all": ("整套数据（一个 GeoPackage 或 zip，图层按名称识别）",
                        "Whole data set (one GeoPackage or zip, layers found by name)"),
    "home.upload.layer": ("图层：{layer}", "Layer: {layer}"),
    "home.upload.download_roads": ("联网下载社区范围内的道路（OpenStreetMap，osmnx）",
                                   "Download roads for the communities' extent (OpenStreetMap, osmnx)"),
    "home.upload.load": ("载入上传的数据", "Load the uploaded files"),
    "home.upload.toml": ("数据集说明 dataset.toml（可选：名称、来源、各图层坐标系）",
                         "Data set description dataset.toml (optional: name, sources, coordinate systems)"),
    "home.upload.contract": ("每个图层需要哪些列（含可用的中文列名、可填的值）及模板文件",
                             "What each layer needs (columns, accepted Chinese names and values) and template files"),
    "home.upload.template": ("下载模板 {name}", "Download template {name}"),
    "home.load_failed": ("数据集未能载入：{message}", "The data set could not be loaded: {message}"),
    "home.load_failed.kept": ("仍在使用之前载入的数据集：{name}", "Still using the data set loaded before: {name}"),
    "home.crs": ("分析坐标系：{name}", "Analysis coordinate system: {name}"),
    "home.upload.none": ("请先上传文件。", "Upload some files first."),
    "home.upload.bad_type": ("不支持的文件类型：{name}（可用：{allowed}）",
                             "File type not accepted: {name} (accepted: {allowed})"),
    "home.loaded": ("已载入", "Loaded"),
    "home.synthetic_size": ("（约 {n} 个路网节点）", " (about {n} road nodes)"),
    "home.synthetic_nodes": ("路网节点数（约）", "Road nodes (about)"),
    "home.synthetic_nodes.help": ("一个城市或县有 10 万至 100 万个路网节点；合成数据的居民点数与节点数相同。"
                                  "100 万个节点约需 1 分钟生成。",
                                  "A whole city or county has 100,000 to 1,000,000 road nodes; the synthetic data "
                                  "has as many residents' points as nodes. A million nodes take about a minute."),
    "home.report": ("数据检查", "Data check"),
    "home.report.ok": ("未发现问题。", "No problems found."),
    "home.settings": ("服务圈设置", "Circle settings"),
    "home.targets": ("指标目标（规划/标准）", "Targets (plan or standard)"),
    "home.apply": ("应用设置", "Apply settings"),
    "home.reset": ("恢复默认值", "Reset to defaults"),
    "home.next": ("下一步：打开“地图”页查看覆盖情况。", "Next: open the Map page to see the coverage."),
    "home.loading": ("正在载入数据集并构建路网…", "Loading the data set and building the road network…"),
    # layer names
    "layer.communities": ("社区/村", "Communities and villages"),
    "layer.facilities": ("设施", "Facilities"),
    "layer.population": ("人口点", "Population points"),
    "layer.candidates": ("候选址", "Candidate sites"),
    "layer.roads": ("道路", "Roads"),
    "layer.demand": ("需求点", "Demand points"),
    "layer.circles": ("服务圈", "Service circles"),
    "layer.uncovered": ("圈外居民", "Residents outside the circle"),
    "layer.buffer": ("直线距离缓冲区（对照）", "Straight-line buffer (comparison)"),
    "layer.sites": ("推荐新址", "Recommended sites"),
    "layer.site_circles": ("新址服务圈", "Service circles of new sites"),
    "layer.rings": ("出行时间圈层", "Travel-time rings"),
    "layer.responsibility": ("设施服务责任区（最近设施）", "Responsibility areas (nearest facility)"),
    "layer.surface": ("出行时间（分钟）", "Travel time (minutes)"),
    "layer.indicators": ("指标", "Indicators"),
    "layer.community_table": ("社区指标表", "Community table"),
    "layer.category_summary": ("分类覆盖汇总", "Coverage by category"),
    "layer.before_after": ("选址前后对比", "Before and after siting"),
    "layer.recommended_sites": ("推荐新址", "Recommended sites"),
    # settings
    "set.urban_circle_minutes": ("城市社区服务圈（分钟）", "Urban circle (minutes)"),
    "set.rural_circle_minutes": ("农村社区服务圈（分钟）", "Rural circle (minutes)"),
    "set.urban_mode": ("城市居民出行方式", "Urban travel mode"),
    "set.rural_mode": ("农村居民出行方式", "Rural travel mode"),
    "set.walk_speed_m_per_min": ("步行速度（米/分钟）", "Walking speed (m/min)"),
    "set.elderly_walk_speed_m_per_min": ("老年人步行速度（米/分钟）", "Elderly walking speed (m/min)"),
    "set.profile": ("人群", "Profile"),
    "set.ebike_speed_km_per_h": ("电动自行车速度（千米/小时）", "E-bike speed (km/h)"),
    # target groups and the 2020 census (planning.access.groups, planning.census)
    "set.groups": ("服务对象与人口普查", "Target groups and the census"),
    "set.census_code": ("区县（第七次全国人口普查，可输入名称或代码搜索）",
                        "County (2020 census; type a name or code to search)"),
    "set.census_none": ("不使用（按数据集说明）", "None (as the data set says)"),
    "set.census_whole_county": ("研究范围为整个区县：人口按普查常住人口校准",
                                "The study area is the whole county: scale the population to its census total"),
    "set.elderly_group_speed": ("老年人按老年人步速前往其服务设施", "The elderly walk at the elderly speed to their services"),
    "set.target_group": ("{category} 的服务对象", "Target group of {category}"),
    "group.all": ("全体常住人口", "All residents"),
    "group.elderly": ("60岁以上老年人", "Residents aged 60+"),
    "group.children": ("0-6岁儿童", "Children aged 0–6"),
    "map.group": ("服务对象：{group}；服务圈内 {covered} / {total}（{pct}）", "Target group: {group}; inside the circle "
                  "{covered} of {total} ({pct})"),
    "map.group_no_counts": ("服务对象：{group}（无人数数据，按全体居民计算）",
                            "Target group: {group} (no counts; all residents counted)"),
    "layer.uncovered_group": ("圈外{group}", "{group} outside the circle"),
    "mode.walk": ("步行", "Walk"),
    "mode.ebike": ("电动自行车/自行车", "E-bike / bicycle"),
    "mode.car": ("小汽车", "Car"),
    "profile.standard": ("一般居民", "Standard"),
    "profile.elderly": ("老年人", "Elderly"),
    "kind.urban": ("城市社区", "Urban community"),
    "kind.rural": ("农村社区（村）", "Rural village"),
    # map
    "map.category": ("服务类别", "Service category"),
    "map.all_categories": ("全部类别", "all categories"),
    "map.complete": ("完整服务圈（全部基本类别）", "Complete circle (every essential category)"),
    "map.circle_time": ("城市服务圈时间（分钟）", "Urban circle time (minutes)"),
    "map.uncovered_as": ("圈外居民显示为", "Show residents outside the circle as"),
    "map.uncovered.heat": ("热力图", "Heat map"),
    "map.uncovered.points": ("点", "Points"),
    "map.basemap": ("在线底图（需联网）", "Online base map (needs internet)"),
    "map.basemap.none": ("无（离线）", "None (offline)"),
    "map.basemap.osm": ("OpenStreetMap", "OpenStreetMap"),
    "map.basemap.tianditu": ("天地图", "Tianditu"),
    "map.basemap.amap": ("高德地图（GCJ-02）", "Amap (GCJ-02)"),
    "map.tianditu_key": ("天地图密钥（tk）", "Tianditu key (tk)"),
    "map.tianditu_key.missing": ("请输入天地图密钥后再选择天地图底图。",
                                 "Enter a Tianditu key to use the Tianditu base map."),
    "map.amap_shift": ("高德底图使用 GCJ-02 坐标，图层已相应偏移。",
                       "Amap tiles use GCJ-02 coordinates; the layers are shifted to match."),
    "map.base.plain": ("空白底图", "Plain background"),
    "map.base.roads": ("道路底图（来自数据）", "Roads (from the data)"),
    "map.legend": ("图例", "Legend"),
    "map.legend.facilities": ("设施（{n} 类，点击展开）", "Facilities ({n} categories; click to open)"),
    "map.legend.cluster": ("设施群（数字为处数，放大后展开）", "Group of facilities (their number; zoom in to see each)"),
    "map.legend.layers": ("图层", "Layers"),
    "map.legend.major": ("主要道路", "Main roads"),
    "map.legend.minor": ("其他道路", "Other roads"),
    "map.pending": ("正在绘制地图图层：{what}… 已用 {seconds} 秒，页面可照常使用。",
                    "Drawing map layers: {what}… {seconds} s so far; the page can be used meanwhile."),
    "map.rural_circle_time": ("农村服务圈时间（分钟）", "Rural circle time (minutes)"),
    "map.rural_circle_time.none": ("本数据集没有农村社区（村）。", "This data set has no rural communities (villages)."),
    "map.pending.optional": ("正在准备可选图层（{what}），完成后可在右上角图层列表中打开。",
                             "Preparing optional layers ({what}); they can be turned on in the layer list at the "
                             "top right once ready."),
    "map.pending.what": ("出行时间、责任区和直线距离对照", "travel time, responsibility areas and the straight-line comparison"),
    "map.legend.coverage": ("圈内人口比例", "Share of residents inside the circle"),
    "map.legend.no_data": ("无人口数据", "No population data"),
    "map.legend.within": ("≤ {minutes} 分钟", "≤ {minutes} min"),
    "map.legend.within_rural": ("≤ {minutes} 分钟（农村 ≤ {rural}）", "≤ {minutes} min (rural ≤ {rural})"),
    "map.legend.beyond": ("{minutes}–{double} 分钟", "{minutes}–{double} min"),
    "map.legend.far": ("超过 {double} 分钟或不可达", "over {double} min or unreachable"),
    "map.clicked": ("所选社区", "Selected community"),
    "map.click_hint": ("点击地图上的社区查看详情。", "Click a community on the map for its details."),
    "map.redraw": ("地图生成用时 {seconds:.2f} 秒", "Map built in {seconds:.2f} s"),
    "map.attribution": ("数据来源", "Data sources"),
    "map.planned": ("规划设施", "Planned facility"),
    "map.edit.add": ("新增（规划）", "Added (planned)"),
    "map.edit.remove": ("已删除", "Removed"),
    "map.edit.close": ("已关闭", "Closed"),
    "map.legend.planned": ("规划设施（虚线圈，按类别着色）", "Planned facilities (dashed ring, colour of the category)"),
    "layer.planned": ("规划设施（方案）", "Planned facilities (scenario)"),
    "layer.closed": ("关闭或删除的设施（方案）", "Facilities closed or removed (scenario)"),
    # what-if scenario on the map
    "whatif.mode": ("地图操作", "On the map"),
    "whatif.mode.browse": ("查看社区", "Browse communities"),
    "whatif.mode.add": ("新增设施", "Add a facility"),
    "whatif.mode.move": ("移动规划设施", "Move a planned facility"),
    "whatif.mode.close": ("关闭/删除设施", "Close or remove a facility"),
    "whatif.add.category": ("新设施类别", "Category of the new facility"),
    "whatif.add.name": ("名称", "Name"),
    "whatif.add.name_hint": ("留空则按编号命名", "left empty: named by its id"),
    "whatif.add.area": ("建筑面积（平方米，0 为未知）", "Floor area (m², 0 if unknown)"),
    "whatif.add.capacity": ("服务容量（人，0 为未知）", "Capacity (places, 0 if unknown)"),
    "whatif.add.hint": ("在地图上点击新设施的位置：每点击一次新增一处。",
                        "Click the map where the new facility goes: each click adds one."),
    "whatif.add.by_lonlat": ("按经纬度添加（WGS84）", "Add by longitude/latitude (WGS84)"),
    "whatif.lon": ("经度", "Longitude"),
    "whatif.lat": ("纬度", "Latitude"),
    "whatif.add.button": ("添加", "Add"),
    "whatif.move.which": ("要移动的规划设施", "Planned facility to move"),
    "whatif.move.hint": ("在地图上点击它的新位置。", "Click its new place on the map."),
    "whatif.move.none": ("方案中还没有规划设施。", "The scenario has no planned facility yet."),
    "whatif.move.pick": ("请先选择要移动的规划设施。", "Choose the planned facility to move first."),
    "whatif.close.hint": ("点击地图上的设施标记，或在下方选择设施。", "Click a facility's marker on the map, or choose it below."),
    "whatif.close.which": ("设施", "Facility"),
    "whatif.close.placeholder": ("选择或搜索设施", "Choose or search a facility"),
    "whatif.close": ("关闭（停止服务）", "Close (stops serving)"),
    "whatif.remove": ("删除（数据有误或已拆除）", "Remove (wrong in the data, or demolished)"),
    "whatif.reopen": ("撤销关闭/删除", "Take the closure back"),
    "whatif.delete_planned": ("删除这处规划设施", "Delete this planned facility"),
    "whatif.metric.coverage": ("{category}覆盖率", "{category} coverage"),
    "whatif.metric.indicators": ("达标指标", "Targets met"),
    "whatif.metric.edits": ("方案编辑", "Scenario edits"),
    "whatif.metric.edits_value": ("新增 {add} · 关闭 {closed}", "{add} added · {closed} closed"),
    "whatif.table": ("当前方案的编辑", "Edits of the current scenario"),
    "whatif.table.empty": ("尚无编辑：选择“新增设施”后在地图上点击，或在“选址”页采纳推荐新址。",
                           "No edits yet: choose Add a facility and click the map, or accept sites on the Siting page."),
    "whatif.undo": ("撤销上一步", "Undo"),
    "whatif.clear": ("清空方案", "Clear the scenario"),
    "whatif.files": ("方案文件：保存、下载、上传、载入", "Scenario files: save, download, upload, load"),
    "whatif.default_name": ("当前方案", "Current scenario"),
    "whatif.download": ("下载编辑（GeoJSON）", "Download the edits (GeoJSON)"),
    "whatif.upload": ("上传方案或编辑文件（.gpkg / .geojson）", "Upload a scenario or edit file (.gpkg / .geojson)"),
    "whatif.saved": ("已保存的方案", "Saved scenarios"),
    "whatif.load": ("载入为当前方案", "Make it the current scenario"),
    "whatif.loaded": ("已载入为当前方案：{name}（在“地图”页查看）", "Now the current scenario: {name} (see the Map page)"),
    "whatif.banner": ("正在查看方案“{name}”（{n} 项编辑）：各页数字均含这些编辑。",
                      "Showing scenario “{name}” ({n} edits): every page's figures include them."),
    "whatif.compare.sorted": ("各表按变化大小排序（变化最大的在前）。", "Each table is sorted by change, largest first."),
    "whatif.compare.before": ("规划前", "before"),
    "whatif.compare.new": ("新增设施数", "facilities added"),
    # labels from the data set
    "label.estimated": ("人口为估算值", "Population is estimated"),
    "label.approximate": ("社区边界为近似范围", "Community boundaries are approximate"),
    "label.demo": ("演示数据", "Demo data"),
    # indicators
    "ind.table": ("指标与目标", "Indicators against targets"),
    "ind.community": ("分社区指标", "Indicators by community"),
    "ind.charts": ("图表", "Charts"),
    "ind.time_distribution": ("到最近设施的时间分布（人口加权）", "Time to the nearest facility (population-weighted)"),
    "ind.coverage_by_community": ("各社区圈内人口比例", "Share inside the circle by community"),
    "ind.before_after": ("选址前后各社区覆盖对比", "Coverage by community before and after siting"),
    "ind.no_siting": ("尚未运行选址；在“选址”页运行后这里显示前后对比。",
                      "No siting run yet; run one on the Siting page to see before and after."),
    "ind.pass": ("达标", "met"),
    "ind.fail": ("未达标", "missed"),
    "ind.na": ("无数据", "no data"),
    "ind.minutes_bin": ("分钟", "minutes"),
    "ind.people": ("人口", "residents"),
    "ind.unreachable": ("不可达", "unreachable"),
    # siting
    "site.category": ("设施类别", "Facility category"),
    "site.model": ("模型", "Model"),
    "site.new_sites": ("新址数量", "Number of new sites"),
    "site.target_pct": ("目标覆盖率（%）", "Target share covered (%)"),
    "site.candidates": ("候选址来源", "Candidate source"),
    "site.candidates.given": ("数据中的候选址（闲置用房等）", "Given candidates (idle buildings …)"),
    "site.candidates.generated": ("自动生成（圈外人口聚类）", "Generated (clusters of uncovered residents)"),
    "site.candidates.both": ("两者", "Both"),
    "site.min_floor_area": ("最小建筑面积（平方米，0 为不限）", "Minimum floor area (m², 0 = any)"),
    "site.time_limit": ("求解时限（秒）", "Solver time limit (s)"),
    "site.run": ("开始选址", "Recommend sites"),
    "site.running": ("正在求解选址模型…", "Solving the siting model…"),
    "site.step.matrix": ("计算候选址与需求点之间的出行时间…", "Travel times between candidates and residents…"),
    "site.step.done": ("完成", "Done"),
    "site.stop": ("停止求解，采用当前最好结果", "Stop and keep the best so far"),
    "site.stop_help": ("停止后推荐目前找到的最好新址，并给出它与最优解的差距上限",
                       "The best sites found so far are recommended, with how far they can be from the optimum"),
    "site.progress": ("已用 {seconds} 秒 · 当前最好 {incumbent} {unit} · 最优值界限 {bound} {unit} · 差距不超过 {gap}",
                      "{seconds} s · best so far {incumbent} {unit} · bound {bound} {unit} · gap at most {gap}"),
    "site.unit.mclp": ("人", "residents"),
    "site.unit.lscp": ("处", "sites"),
    "site.unit.pmedian": ("人·分钟", "person-minutes"),
    "site.result": ("选址结果", "Siting result"),
    "site.solver_words": ("求解方式：{solver}", "Solver: {solver}"),
    "site.covered": ("圈内人口：{before} → {after}", "Residents inside the circle: {before} → {after}"),
    "site.scenario_name": ("方案名称", "Scenario name"),
    "site.save": ("保存方案", "Save scenario"),
    "site.saved": ("方案已保存：{name}", "Scenario saved: {name}"),
    "site.scenario_upload": ("上传方案文件（本工具保存的 .gpkg，或编辑 .geojson）",
                             "Upload a scenario file (.gpkg saved by this tool, or a .geojson of edits)"),
    "site.scenario_uploaded": ("已载入方案：{name}", "Scenario loaded: {name}"),
    "site.compare": ("方案对比", "Compare scenarios"),
    "site.compare.pick": ("选择两个方案", "Choose two scenarios"),
    "site.no_scenarios": ("尚无已保存的方案。", "No saved scenarios yet."),
    "site.none_yet": ("设置参数后点击“开始选址”。", "Choose the options and press Recommend sites."),
    "site.outside_communities": ("（不在任何社区内）", "(outside communities)"),
    "site.accept.n": ("采纳前几处", "Accept the first"),
    "site.accept": ("采纳第 1–{n} 处新址，加入当前方案", "Accept sites 1–{n} into the current scenario"),
    "site.accepted": ("已将 {n} 处新址加入当前方案：在“地图”页查看规划设施。",
                      "{n} sites added to the current scenario: see them as planned facilities on the Map page."),
    "site.prefer": ("“两者”时优先选用数据中的候选址（闲置公共建筑）：自动生成点只有比其位置上最好的候选址多覆盖 {margin:g}% "
                    "以上的居民时才保留；自动生成点以所在社区和最近道路命名。",
                    "With both sources the data's candidates (idle public buildings) come first: a generated point "
                    "stays only where it brings more than {margin:g} % more residents than the best candidate in its "
                    "place; generated points are named by their community and nearest road."),
    "site.on_scenario": ("选址在当前方案的基础上进行（含其规划设施）。", "Siting starts from the current scenario (its planned facilities count)."),
    "site.map_after": ("地图按采纳这些新址后的覆盖率着色。", "The map is coloured by the coverage with these sites built."),
    # export
    "exp.layers": ("图层与表格", "Layers and tables"),
    "exp.format": ("格式", "Format"),
    "exp.crs": ("坐标系", "Coordinate system"),
    "exp.crs.metric": ("数据的投影坐标系（米）", "The data's metric projection"),
    "exp.crs.wgs84": ("WGS84 经纬度", "WGS84 lon/lat"),
    "exp.crs.cgcs2000": ("CGCS2000 经纬度（EPSG:4490）", "CGCS2000 lon/lat (EPSG:4490)"),
    "exp.crs.gcj02": ("GCJ-02（高德）", "GCJ-02 (Amap)"),
    "exp.encoding": ("Shapefile 编码", "Shapefile encoding"),
    "exp.prepare": ("生成文件", "Prepare the file"),
    "exp.download": ("下载 {name}", "Download {name}"),
    "exp.tables": ("表格（CSV，列名按当前语言）", "Tables (CSV, headers in the current language)"),
    "exp.include_sites": ("包含最近一次选址结果", "Include the latest siting result"),
    "exp.include_areas": ("包含出行时间环带和责任区", "Include travel-time rings and responsibility areas"),
    "exp.include_areas.help": ("每个类别的环带与责任区多边形；城市规模的路网上每类需数秒，全部类别需数分钟。",
                               "The ring and responsibility-area polygons of every category; on a city's network "
                               "several seconds per category, minutes in all."),
    "exp.step.circles": ("正在绘制服务圈多边形：{done}/{total} 类", "Drawing service-circle polygons: {done} of {total} categories"),
    "exp.step.areas": ("正在绘制环带和责任区：{done}/{total} 类", "Drawing rings and responsibility areas: {done} of {total} categories"),
    "exp.step.supply": ("正在计算供需比（E2SFCA）：{done}/{total} 类", "Computing supply per resident (E2SFCA): {done} of {total} categories"),
    "exp.step.write": ("正在写入文件…", "Writing the file…"),
    "exp.step.done": ("文件已生成（{seconds:.0f} 秒）", "File ready ({seconds:.0f} s)"),
    # messages
    "msg.error": ("出错了：{message}", "Error: {message}"),
    "msg.offline": ("无法联网：{message}", "No internet connection: {message}"),
    "msg.sites_found": ("推荐新址 {n} 处", "{n} new sites recommended"),
    "msg.no_facilities": ("该类别没有现有设施。", "There are no existing facilities of this category."),
    "msg.computing": ("正在计算出行时间和服务圈…", "Computing travel times and service circles…"),
    "msg.not_available": ("此功能所需的模块尚不可用：{name}", "This needs a module that is not available yet: {name}"),
    "msg.uploaded_files": ("上传的文件", "the uploaded files"),
    "msg.coords_advice": ("请在“数据与设置”页的“经纬度坐标系”中选择 {code}",
                          'choose {code} under "Coordinate system of lon/lat layers" on the Data and settings page'),
    # what each layer needs (the upload page)
    "contract.column": ("列名", "Column"),
    "contract.needed": ("必需/可选", "Required"),
    "contract.required": ("必需", "required"),
    "contract.optional": ("可选", "optional"),
    "contract.tables_only": ("表格（CSV/XLSX）必需", "required in tables (CSV/XLSX)"),
    "contract.aliases": ("也可用的列名", "Also read from"),
    "contract.meaning": ("内容与可填的值", "What to write"),
    "contract.lonlat": ("点的经度、纬度（十进制度数，如 118.5067）；坐标系在本页“经纬度坐标系”中选择",
                        "Longitude and latitude of the point (decimal degrees, e.g. 118.5067); choose their "
                        "coordinate system on this page"),
    "contract.geometry.polygon": ("社区/村的边界面；表格中写成 WKT，如 POLYGON ((118.50 31.70, …))",
                                  "Boundary polygon of the community or village; in tables as WKT, e.g. "
                                  "POLYGON ((118.50 31.70, …))"),
    "contract.geometry.point": ("点（面会取其中心点，并给出提示）；表格中可写 WKT 代替经纬度",
                                "Point (a polygon is replaced by its centroid, with a warning); tables may give WKT "
                                "instead of lon/lat"),
    "contract.geometry.point_or_polygon": ("点或格网面（格网取其内部的一个点）；表格中可写 WKT 代替经纬度",
                                           "Points or grid-cell polygons (a cell counts at a point inside it); tables "
                                           "may give WKT instead of lon/lat"),
    "contract.categories": ("设施类别可填的值", "Values of the facilities' category"),
    "contract.category_key": ("类别代码", "Key"),
    "contract.category_zh": ("中文名称", "Chinese name"),
    "contract.category_en": ("英文名称", "English name"),
    "contract.category_other": ("其他可识别的写法", "Other words read as it"),
    "contract.layer.communities": ("社区/村：每个社区或村一个边界面。GeoPackage、GeoJSON、Shapefile（.zip）或带 WKT 列的 CSV/XLSX。",
                                   "Communities: one boundary polygon per community or village. GeoPackage, GeoJSON, "
                                   "Shapefile (.zip) or CSV/XLSX with a WKT column."),
    "contract.layer.facilities": ("设施：每处现状或规划设施一个点。CSV/XLSX 需有经度、纬度列。",
                                  "Facilities: one point per existing or planned facility. CSV/XLSX need longitude "
                                  "and latitude columns."),
    "contract.layer.population": ("人口：人口点或人口格网（可选；没有时按社区人口平均分布）。",
                                  "Population: points or grid cells with residents (optional; without it each "
                                  "community's population is spread over its area)."),
    "contract.layer.candidates": ("候选址：可用于新建设施的地点，如闲置用房（可选；也可自动生成）。",
                                  "Candidate sites: places where a new facility could go, e.g. idle buildings "
                                  "(optional; candidates can also be generated)."),
    "contract.layer.roads": ("道路：OpenStreetMap 文件（.osm、.osm.pbf）、GraphML，或带 highway（或 fclass）道路等级列的道路中心线图层；"
                             "也可勾选联网下载。",
                             "Roads: an OpenStreetMap file (.osm, .osm.pbf), GraphML, or a layer of road centre lines "
                             "with a highway (or fclass) road-class column; or tick the download box."),
    "contract.community_id": ("社区/村的唯一编号", "Unique id of the community or village"),
    "contract.name": ("名称", "Name"),
    "contract.kind": ("城市社区或农村社区（村）；留空时按名称判断：……村为农村，……社区为城市。可填：",
                      "Urban community or rural village; if empty, from the name (…村 rural, …社区 urban). Accepted:"),
    "contract.households": ("户数（数字）", "Households (a number)"),
    "contract.population": ("人口（数字，不小于 0）", "Residents (a number ≥ 0)"),
    "contract.elderly": ("其中60岁以上老年人数（可选；缺少时按所选区县的普查比例估算）",
                         "Of them aged 60+ (optional; otherwise the census share of the chosen county)"),
    "contract.children": ("其中0-6岁儿童数（可选；缺少时按所选区县的普查比例估算）",
                          "Of them aged 0–6 (optional; otherwise the census share of the chosen county)"),
    "contract.street": ("所属街道/乡镇", "Street or township"),
    "contract.district": ("所属区县", "District or county"),
    "contract.facility_id": ("设施的唯一编号", "Unique id of the facility"),
    "contract.category": ("设施类别：类别代码、中文名称或下表中的其他写法", "Category: a key, its name, or another "
                          "word listed below"),
    "contract.floor_area_m2": ("建筑面积（平方米）", "Floor area (m²)"),
    "contract.capacity": ("服务容量（如床位数、人数）", "Capacity (beds, places …)"),
    "contract.status": ("现状或规划；留空为现状。可填：", "Existing or planned; empty means existing. Accepted:"),
    "contract.candidate_id": ("候选址的唯一编号", "Unique id of the candidate site"),
    "contract.source": ("来源，如 idle_building（闲置用房）、vacant_land（空地）", "Source, e.g. idle_building, vacant_land"),
    "contract.cost": ("成本（数字）", "Cost (a number)"),
    "scope.community": ("社区", "community"),
    "scope.facility": ("设施", "facility"),
    "scope.street": ("街道/乡镇", "street / township"),
    "scope.district": ("区县", "district / county"),
    "scope.city": ("全市", "city"),
    "scope.area": ("全域", "whole area"),
    "scope.population": ("居民", "residents"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
}

#: Words for the codes in the data and results (kind, travel mode, walking profile, siting model,
#: solver, candidate source) come from the one table the exports and the report use, under the app's keys.
_VALUE_KEYS = {"kind": "kind", "mode": "mode", "profile": "profile", "model": "site.model",
               "solver": "site.solver", "source": "site.source"}
TEXT.update({f"{prefix}.{code}": pair for column, prefix in _VALUE_KEYS.items()
             for code, pair in texts.VALUE_LABELS[column].items()})


def t(key: str, lang: str = "zh", **values: object) -> str:
    """The text of ``key`` in ``lang`` with ``values`` filled in; unknown keys show as they are."""
    pair = TEXT.get(key)
    if pair is None:
        return key
    text = pair[1] if lang == "en" else pair[0]
    return text.format(**values) if values else text


def category_label(key: str, lang: str = "zh") -> str:
    """Category name from :mod:`geo.taxonomy` (the one place category names live)."""
    return category_label_of(key, "en" if lang == "en" else "zh")


def column_label(column: str, lang: str = "zh") -> str:
    """Header of a result column (``coverage_pct_health`` → ``社区卫生服务站覆盖率(%)``).

    Column headers live in one table, :mod:`planning.texts`, shared with the file exports.
    """
    return texts.column_label(column, "en" if lang == "en" else "zh")


def translate_columns(frame: pd.DataFrame, lang: str = "zh",
                      *, keep: Iterable[str] = ("geometry",)) -> pd.DataFrame:
    """A copy of ``frame`` with translated column headers (``keep`` columns stay as they are)."""
    kept = set(keep)
    mapping = {c: c if c in kept else column_label(str(c), lang) for c in frame.columns}
    # Two columns must never end up with one header.
    seen: dict[str, int] = {}
    for col, new in mapping.items():
        if new in seen:
            mapping[col] = f"{new} ({col})"
        seen[new] = 1
    return frame.rename(columns=mapping)


def missing_keys(keys: Iterable[str]) -> list[str]:
    """Keys that are not in the table (used by the tests to keep the table complete)."""
    return [k for k in keys if k not in TEXT]
