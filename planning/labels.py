"""Chinese and English labels of result columns, for file headers, field maps and the report.

Columns that carry a category key (``coverage_pct_elderly_care``, ``minutes_health``,
``health_minutes``…) are labelled from the taxonomy, so a new category needs no entry here.
"""

from __future__ import annotations

from typing import Literal

from geo.taxonomy import CATEGORIES

Language = Literal["zh", "en"]

#: Labels of the columns of the data contract and of the analysis results.
COLUMN_LABELS: dict[str, tuple[str, str]] = {
    "community_id": ("社区编号", "Community ID"),
    "name": ("名称", "Name"),
    "kind": ("类型(城市/农村)", "Kind (urban/rural)"),
    "households": ("户数", "Households"),
    "population": ("人口", "Population"),
    "street": ("街道/乡镇", "Street/township"),
    "district": ("区县", "District"),
    "circle_minutes": ("服务圈时间(分钟)", "Circle time (min)"),
    "complete_circle_pct": ("完整服务圈覆盖率(%)", "Complete circle coverage (%)"),
    "floor_area_per_100_households": ("每百户综合服务设施面积(m²)",
                                      "Facility floor area per 100 households (m²)"),
    "missed_targets": ("未达标指标", "Targets missed"),
    "facility_id": ("设施编号", "Facility ID"),
    "category": ("设施类别", "Category"),
    "category_zh": ("设施类别(中文)", "Category (Chinese)"),
    "category_en": ("设施类别(英文)", "Category (English)"),
    "floor_area_m2": ("建筑面积(m²)", "Floor area (m²)"),
    "capacity": ("服务容量", "Capacity"),
    "status": ("状态", "Status"),
    "candidate_id": ("候选点编号", "Candidate ID"),
    "source": ("来源", "Source"),
    "cost": ("成本", "Cost"),
    "rank": ("排序", "Rank"),
    "newly_covered": ("新增覆盖人口", "Newly covered population"),
    "cumulative_covered": ("累计新增覆盖人口", "Cumulative newly covered"),
    "cumulative_pct": ("累计覆盖率(%)", "Cumulative coverage (%)"),
    "facilities": ("设施数", "Facilities"),
    "covered_population": ("圈内人口", "Population inside the circle"),
    "uncovered_population": ("圈外人口", "Population outside the circle"),
    "coverage_pct": ("覆盖率(%)", "Coverage (%)"),
    "covered": ("是否在服务圈内", "Inside the circle"),
    "minutes": ("时间(分钟)", "Minutes"),
    "name_zh": ("指标名称", "Indicator (Chinese)"),
    "name_en": ("指标名称(英文)", "Indicator (English)"),
    "scope": ("范围", "Scope"),
    "value": ("现状值", "Value"),
    "target": ("目标值", "Target"),
    "unit": ("单位", "Unit"),
    "pass": ("是否达标", "Target met"),
    "communities_missing": ("未达标社区", "Communities missing the target"),
    "before": ("规划前", "Before"),
    "after": ("规划后", "After"),
    "covered_before": ("规划前圈内人口", "Covered before"),
    "covered_after": ("规划后圈内人口", "Covered after"),
    "coverage_pct_before": ("规划前覆盖率(%)", "Coverage before (%)"),
    "coverage_pct_after": ("规划后覆盖率(%)", "Coverage after (%)"),
    "scenario": ("方案", "Scenario"),
    "difference": ("差值", "Difference"),
    "crs_note": ("坐标系说明", "Coordinate system note"),
    "pct_before": ("规划前覆盖率(%)", "Coverage before (%)"),
    "pct_after": ("规划后覆盖率(%)", "Coverage after (%)"),
    "lon": ("经度", "Longitude"),
    "lat": ("纬度", "Latitude"),
    "lon_wgs84": ("经度(WGS84)", "Longitude (WGS84)"),
    "lat_wgs84": ("纬度(WGS84)", "Latitude (WGS84)"),
    "note": ("说明", "Note"),
    "population_analysed": ("参与分析人口", "Population analysed"),
    "complete_circle": ("是否在完整服务圈内", "Inside the complete circle"),
    "urban_minutes": ("城市服务圈(分钟)", "Urban circle (min)"),
    "rural_minutes": ("农村服务圈(分钟)", "Rural circle (min)"),
    "name_zh_category": ("类别名称", "Category name"),
    # tables shown in the app
    "indicator": ("指标", "Indicator"),
    "severity": ("级别", "Severity"),
    "layer": ("图层", "Layer"),
    "message": ("说明", "Message"),
    "file": ("文件", "File"),
    "column": ("列", "Column"),
    "count": ("条数", "Rows"),
    "features": ("要素数", "Features"),
    "share": ("人口比例(%)", "Share of residents (%)"),
}

# Column = <prefix><category key> or <category key><suffix>; labels take the category label.
_CATEGORY_PREFIXES: dict[str, tuple[str, str]] = {
    "coverage_pct_": ("{zh}覆盖率(%)", "{en} coverage (%)"),
    "covered_": ("{zh}是否在圈内", "{en}: inside circle"),
    "minutes_": ("到{zh}时间(分钟)", "Minutes to {en}"),
    "e2sfca_": ("{zh}供需比", "{en} supply/demand ratio"),
    "facilities_": ("{zh}数量", "{en} count"),
}
_CATEGORY_SUFFIXES: dict[str, tuple[str, str]] = {
    "_coverage_pct": _CATEGORY_PREFIXES["coverage_pct_"],
    "_covered": _CATEGORY_PREFIXES["covered_"],
    "_minutes": _CATEGORY_PREFIXES["minutes_"],
    "_e2sfca": _CATEGORY_PREFIXES["e2sfca_"],
}


def _category_label(column: str) -> tuple[str, str] | None:
    for prefix, (zh, en) in _CATEGORY_PREFIXES.items():
        key = column[len(prefix):]
        if column.startswith(prefix) and key in CATEGORIES:
            cat = CATEGORIES[key]
            return zh.format(zh=cat.zh, en=cat.en), en.format(zh=cat.zh, en=cat.en)
    for suffix, (zh, en) in _CATEGORY_SUFFIXES.items():
        key = column[: -len(suffix)]
        if column.endswith(suffix) and key in CATEGORIES:
            cat = CATEGORIES[key]
            return zh.format(zh=cat.zh, en=cat.en), en.format(zh=cat.zh, en=cat.en)
    if column in CATEGORIES:
        return CATEGORIES[column].zh, CATEGORIES[column].en
    return None


def column_labels(column: str) -> tuple[str, str]:
    """``(zh, en)`` labels of a result column; an unknown column is labelled with its name.

    Examples
    --------
    >>> column_labels("coverage_pct_community_living_room")
    ('社区客厅覆盖率(%)', 'Community living room coverage (%)')
    """
    column = str(column)
    if column in COLUMN_LABELS:
        return COLUMN_LABELS[column]
    return _category_label(column) or (column, column)


def column_label(column: str, lang: Language = "zh") -> str:
    """Label of a result column in one language (``"zh"`` or ``"en"``)."""
    zh, en = column_labels(column)
    return zh if lang == "zh" else en
