"""Words and numbers a superior can read: indicators named apart, codes in words, numbers rounded
as a planner writes them, plans named by their title, another city's targets said plainly."""

from __future__ import annotations

import csv
import dataclasses
import io
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from geo.taxonomy import CATEGORIES
from planning import columns
from planning.access.indicators import available_targets, load_targets
from planning.output import export
from planning.output.readable import readable
from planning.texts import column_labels, solver_text, value_label

# --- two indicators, two names ---------------------------------------------------------------


@pytest.mark.parametrize("targets", available_targets())
def test_facility_in_community_and_residents_in_circle_are_named_apart(targets: str) -> None:
    """A facility inside the community (communities_with, groups_with) and residents inside the
    circle (the per-category coverage column) are different numbers: never one name."""
    coverage = {lang: {column_labels(columns.coverage_pct(c))[i].removesuffix("(%)").removesuffix(
        " (%)").strip().casefold() for c in CATEGORIES} for i, lang in enumerate(("zh", "en"))}
    for spec in load_targets(targets).indicators:
        for lang in ("zh", "en"):
            name = str(spec.get(f"name_{lang}", "")).strip().casefold()
            assert name not in coverage[lang], (targets, spec["name"], name)
        if spec["metric"] in ("communities_with", "groups_with"):
            # 覆盖率 is the share of residents inside a circle everywhere else in the tool.
            assert "覆盖率" not in spec["name_zh"], spec["name"]
    names = [s["name_zh"] for s in load_targets(targets).indicators]
    assert len(names) == len(set(names))


def test_community_table_headers_are_all_different(toy_dataset_dir: Path) -> None:
    from geo.dataset_loader import load_dataset
    from planning.access.analysis import analyze
    from planning.output.layers import analysis_labels

    analysis = analyze(load_dataset(toy_dataset_dir), targets="maanshan_14th_fyp")
    labels = analysis_labels(analysis)
    for i in (0, 1):
        headers = [labels[c][i] if c in labels else column_labels(c)[i]
                   for c in analysis.community_table.columns]
        assert len(headers) == len(set(headers)), headers
    # The community with the centre inside (C1) and the share of its residents in the circle.
    zh = [labels[c][0] if c in labels else column_labels(c)[0]
          for c in analysis.community_table.columns]
    assert "设有社区综合服务设施的社区比例" in zh and "社区综合服务设施覆盖率(%)" in zh


# --- codes in words, in one table --------------------------------------------------------------


def test_value_words_for_every_code_column() -> None:
    assert [value_label("kind", k) for k in ("urban", "rural")] == ["城市社区", "农村社区（村）"]
    assert [value_label("status", s, "en") for s in ("existing", "planned")] == ["existing",
                                                                                 "planned"]
    assert [value_label("status", s) for s in ("existing", "planned")] == ["现状", "规划"]
    assert [value_label("source", s) for s in ("public_building", "idle_building", "generated")] \
        == ["公共建筑", "闲置用房", "自动生成"]
    assert [value_label("model", m) for m in ("mclp", "lscp", "pmedian")] == [
        "最大覆盖（给定新址数）", "集合覆盖（达到目标覆盖率的最少新址）", "P 中位（总出行时间最少）"]
    assert value_label("category", "elderly_care", "en") == "Elderly care station"
    assert value_label("kind", "suburban") == "suburban"  # unknown codes are shown as written
    # The solver in words, not "exact (gap 0.00 %)".
    assert solver_text("exact", 0.0) == "精确求解（HiGHS），已证明为最优解"
    assert solver_text("exact", 0.0, "en") == "exact (HiGHS), proven optimal"
    assert solver_text("incumbent", 2.04) == "求解时限内的最好解，与最优解相差不超过 2.0%"
    assert solver_text("greedy", float("nan"), "en") == "greedy"


def test_scenario_columns_are_labelled_by_the_scenario_names() -> None:
    assert column_labels("baseline_pct") == ("规划前覆盖率(%)", "Coverage before (%)")
    assert column_labels("MCLP-5处_new_sites") == ("方案“MCLP-5处”新增设施数", "New sites in MCLP-5处")
    assert column_labels("MCLP-5处_pct") == ("方案“MCLP-5处”覆盖率(%)", "Coverage with MCLP-5处 (%)")
    assert column_labels("community_living_room_方案一_pct") == (
        "社区客厅覆盖率：方案“方案一”(%)", "Community living room: coverage with 方案一 (%)")
    assert column_labels("health_baseline_pct")[0] == "社区卫生服务站规划前覆盖率(%)"
    # Columns of the engine keep their own labels.
    assert column_labels("cumulative_pct") == ("累计覆盖率(%)", "Cumulative coverage (%)")


def _raw_table() -> pd.DataFrame:
    return pd.DataFrame({
        "name": ["和平社区", "前进村"],
        "kind": ["urban", "rural"],
        "population": [3218.0, 830.4],
        "households": [1237.7, 319.5],
        "coverage_pct_health": [65.9758, 12.25],
        "status": ["existing", None],
        "source": ["public_building", "generated"],
        "model": ["mclp", "pmedian"],
        "solver": ["exact", "greedy"],
        "category": ["health", "community_living_room"],
        "pass": pd.array([True, None], dtype=object),
        "missed_targets": ["service_facility_coverage; complete_circle", ""],
        "service_facility_coverage": [100.0, 0.0],
    }, index=pd.Index(["C1", "C2"], name="community_id"))


def test_readable_rounds_as_a_planner_and_leaves_missing_cells_empty() -> None:
    names = {"service_facility_coverage": "设有社区综合服务设施的社区比例",
             "complete_circle": "完整服务圈人口比例"}
    out = readable(_raw_table(), "zh", indicators=names)
    assert out["households"].tolist() == [1238, 320]  # whole households, halves up
    assert out["population"].tolist() == [3218, 830]
    assert out["coverage_pct_health"].tolist() == [66.0, 12.3]
    assert out["kind"].tolist() == ["城市社区", "农村社区（村）"]
    assert out["status"].tolist()[0] == "现状" and pd.isna(out["status"].tolist()[1])
    assert out["pass"].tolist() == ["是", "无数据"]
    assert out["missed_targets"].tolist()[0] == "设有社区综合服务设施的社区比例; 完整服务圈人口比例"
    assert out.index.tolist() == ["C1", "C2"]


def _texts_of(path: Path) -> str:
    return path.read_bytes().decode("utf-8-sig")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_csv_and_xlsx_with_words_translate_values_and_key_keeps_codes(tmp_path: Path,
                                                                      lang: str) -> None:
    tables = {"community_table": _raw_table()}
    labels = {"service_facility_coverage": ("设有社区综合服务设施的社区比例",
                                            "Communities with a service facility inside them")}
    text = _texts_of(export.write_csv(tables, tmp_path / f"t_{lang}.csv", headers=lang,
                                      labels=labels))
    rows = list(csv.DictReader(io.StringIO(text)))
    kind = "类型(城市/农村)" if lang == "zh" else "Kind (urban/rural)"
    assert rows[0][kind] == ("城市社区" if lang == "zh" else "Urban community")
    households = "户数" if lang == "zh" else "Households"
    assert [r[households] for r in rows] == ["1238", "320"]
    share = column_labels("coverage_pct_health")[0 if lang == "zh" else 1]
    assert [r[share] for r in rows] == ["66.0", "12.3"]
    assert labels["service_facility_coverage"][0 if lang == "zh" else 1] in rows[0]
    if lang == "zh":
        for code in ("urban", "rural", "existing", "public_building", "generated", "mclp",
                     "pmedian", "exact", "greedy", "service_facility_coverage", "None"):
            assert code not in text, code
    else:  # English words, not the codes (some codes are English words: "existing")
        for code in ("public_building", "mclp", "pmedian", "service_facility_coverage", "None"):
            assert code not in text, code
        assert "public building" in text and "Maximal covering" in text
    workbook = openpyxl.load_workbook(export.write_xlsx(tables, tmp_path / f"t_{lang}.xlsx",
                                                        headers=lang, labels=labels))
    sheet = workbook.worksheets[0]
    values = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    header = [c.value for c in sheet[1]]
    assert values[0][header.index(households)] == 1238
    assert values[1][header.index("状态" if lang == "zh" else "Status")] is None  # empty cell
    # ``key`` headers keep the codes and the full numbers, for scripts.
    keyed = _texts_of(export.write_csv(tables, tmp_path / "key.csv", headers="key"))
    assert "urban" in keyed and "1237.7" in keyed and "65.9758" in keyed


# --- plans by their title; another city's targets said plainly --------------------------------


def test_targets_name_their_plan_and_say_when_it_is_another_citys(toy_dataset_dir: Path) -> None:
    from geo.dataset_loader import load_dataset

    maanshan = load_targets("maanshan_14th_fyp")
    assert maanshan.title("zh") == "马鞍山市“十四五”城乡社区服务体系建设规划（表1）"
    toy = load_dataset(toy_dataset_dir)
    xian = dataclasses.replace(toy, name="xian", meta={"title_zh": "西安中心城区（二环内）",
                                                        "title_en": "Central Xi'an"})
    assert maanshan.for_another_city(xian)
    notice = maanshan.notice(xian, "zh")
    assert notice.startswith("注意：西安中心城区（二环内）按马鞍山的规划目标评估")
    assert "maanshan_14th_fyp" not in notice and maanshan.title("zh") in notice
    assert "judged against the targets of Ma'anshan" in maanshan.notice(xian, "en")
    local = dataclasses.replace(toy, meta={"title_zh": "马鞍山市雨山区"})
    assert not maanshan.for_another_city(local)
    assert maanshan.notice(local, "zh") == f"指标目标依据：{maanshan.title('zh')}。"
    # A national standard belongs to no city.
    assert not load_targets("national_baseline").for_another_city(xian)


def test_nan_shares_stay_empty_not_zero() -> None:
    out = readable(pd.DataFrame({"coverage_pct_health": [np.nan, 50.04]}))
    assert pd.isna(out["coverage_pct_health"][0]) and out["coverage_pct_health"][1] == 50.0


def test_report_settings_show_modes_and_switches_in_words() -> None:
    from planning.output.report import ReportContent, render_report
    from tests.planning import _export_layers as fx

    content = ReportContent(title="示例", layers=fx.layers(), tables=fx.tables(),
                            categories=["community_living_room"],
                            settings={"urban_mode": "walk", "rural_mode": "ebike",
                                      "profile": "elderly", "ebike_respects_oneway": "False"})
    document = render_report(content)
    for words in ("<td>步行</td>", "<td>电动自行车/自行车</td>", "<td>老年人</td>", "<td>否</td>"):
        assert words in document, words
    assert "<td>walk</td>" not in document and "<td>False</td>" not in document
    english = render_report(content, lang="en")
    assert "<td>E-bike / bicycle</td>" in english and "<td>no</td>" in english
