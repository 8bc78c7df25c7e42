"""What the pages show, on the toy data set (4 communities on a 200 m grid, see tests/geo/_toy.py).

Hand-worked facts used below (15 min walking = 1125 m in urban communities, 30 min e-bike in the
villages C2 and C4): the health station F1 sits at (200, 200); the two points of 金家庄社区 (C3)
are at least 141 + 1000 = 1141 m of walking from it, so C3 has 0 % health coverage; the point
at (2500, 500) outside every community is 510 m from the grid and 2000 m along it, also
outside; every village point is within 13 minutes by e-bike, so C2 and C4 have 100 %.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from app_support import views
from app_support.mapping import layer_json


def test_uncovered_points_for_health(toy_dataset_and_analysis) -> None:
    dataset, analysis = toy_dataset_and_analysis
    outside = views.uncovered_points(dataset, analysis, "health")
    index = set(outside.index)
    assert {4, 5, 8} <= index  # C3's two points and the one outside every community
    assert not index & {0, 2, 3, 6, 7}  # next to F1, and the four village points
    assert outside.loc[[4, 5, 8], "population"].tolist() == [500.0, 300.0, 10.0]


def test_complete_circle_is_every_essential_category(toy_dataset_and_analysis) -> None:
    dataset, analysis = toy_dataset_and_analysis
    flags = views.covered_flags(analysis, views.COMPLETE)
    cols = views.essential_in(analysis)
    assert set(cols) == {"community_service_center", "health", "elderly_care", "convenience_retail"}
    assert flags.tolist() == analysis.covered[cols].all(axis=1).tolist()
    # Point 8 lies outside every circle, so it is outside the complete circle too.
    assert not flags.loc[8]


def test_community_frame_and_popup_values(toy_dataset_and_analysis) -> None:
    dataset, analysis = toy_dataset_and_analysis
    frame = views.community_frame(dataset, analysis)
    assert list(frame["community_id"]) == ["C1", "C2", "C3", "C4"]
    pct = dict(zip(frame["community_id"], frame["coverage_pct_health"], strict=True))
    assert pct["C3"] == 0.0 and pct["C2"] == 100.0 and pct["C4"] == 100.0
    data = json.loads(layer_json(frame, ["community_id", "coverage_pct_health"]))
    assert {f["properties"]["community_id"]: f["properties"]["coverage_pct_health"]
            for f in data["features"]}["C3"] == 0.0


def test_community_details_translated(toy_dataset_and_analysis) -> None:
    _, analysis = toy_dataset_and_analysis
    details = views.community_details(analysis, "C3", lang="zh")
    assert details is not None
    assert details.loc["名称"].iloc[0] == "金家庄社区"
    assert details.loc["类型(城市/农村)"].iloc[0] == "城市社区"
    assert details.loc["社区卫生服务站覆盖率(%)"].iloc[0] == "0.0"
    # Counts without pointless decimals (population 800.0, households 320.0, 15.0 minutes).
    assert details.loc["人口"].iloc[0] == "800"
    assert details.loc["户数"].iloc[0] == "320"
    assert details.loc["服务圈时间(分钟)"].iloc[0] == "15"
    assert views.community_details(analysis, "nope", lang="zh") is None


def test_display_value_formats() -> None:
    assert views.display_value(7085.0) == "7,085"
    assert views.display_value(7085) == "7,085"
    assert views.display_value(12.345) == "12.3"
    assert views.display_value(60.0, percent=True) == "60.0"
    assert views.display_value(float("nan")) == "—"
    assert views.display_value(None) == "—"
    assert views.display_value(True, "en") == "yes"


def test_time_distribution_shares_add_up(toy_dataset_and_analysis) -> None:
    dataset, analysis = toy_dataset_and_analysis
    dist = views.time_distribution(dataset, analysis, ["health"], lang="en")
    assert dist["share"].sum() == pytest.approx(100.0)
    # Population-weighted share of residents more than 30 minutes away: the outside point (10 of
    # 2610) plus any urban point farther than the longest circle.
    minutes = analysis.demand_minutes["health"].to_numpy()
    weights = dataset.population["population"].to_numpy()
    expected = 100 * weights[np.isfinite(minutes) & (minutes >= 30)].sum() / weights.sum()
    assert dist.loc[dist["bin"] == "≥30", "share"].iloc[0] == pytest.approx(expected)
    assert weights.sum() == 2610.0


def test_indicator_table_words(toy_dataset_and_analysis) -> None:
    _, analysis = toy_dataset_and_analysis
    table = views.indicator_table(analysis, lang="en")
    assert "indicator" in table.columns and "name_zh" not in table.columns
    assert set(table["pass"]) <= {"met", "missed", "no data"}


def test_indicator_notes_in_the_chosen_language(toy_dataset_and_analysis) -> None:
    _, analysis = toy_dataset_and_analysis
    engine = analysis.indicators.set_index("name")["note"]
    zh = views.indicator_table(analysis, lang="zh").set_index(analysis.indicators["name"])["note"]
    en = views.indicator_table(analysis, lang="en").set_index(analysis.indicators["name"])["note"]
    # The complete circle is reported without a target: two notes joined, each translated.
    cats = "community_service_center, elderly_care, health, convenience_retail"
    assert engine["complete_circle"] == f"categories: {cats}; reported, no target"
    assert en["complete_circle"] == f"categories: {cats}; reported, no target"
    assert zh["complete_circle"] == f"包含类别：{cats}；仅报告，无目标值"
    assert engine["social_work_station_per_street"] == "no data"
    assert zh["social_work_station_per_street"] == "无数据"
