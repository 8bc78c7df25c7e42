"""The what-if scenario through Streamlit's AppTest, on the toy data set (tests/geo/_toy.py).

By hand: 金家庄社区 (C3, 800 residents at (300, 1300) and (700, 1700)) is 1,141 m or more from the
only health station, so 0 % covered; a planned health station at the road crossing (400, 1400)
is within 541 m of walking of both points: C3 goes to 100 % and the area gains exactly 800.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from streamlit.testing.v1 import AppTest

from tests.geo._toy import CRS, X0, Y0

ROOT = Path(__file__).resolve().parents[2]


def _lonlat(x: float, y: float) -> tuple[float, float]:
    p = gpd.GeoSeries([shapely.Point(X0 + x, Y0 + y)], crs=CRS).to_crs(4326).iloc[0]
    return p.x, p.y


def _app(path: str, source: str, **state: object) -> AppTest:
    at = AppTest.from_file(str(ROOT / path), default_timeout=180)
    at.session_state["source"] = source
    at.session_state["settings"] = {}
    for key, value in state.items():
        at.session_state[key] = value
    return at


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from app_support import state

    monkeypatch.setattr(state, "session_folder", lambda kind: tmp_path / kind)
    for kind in ("scenarios", "uploads"):
        (tmp_path / kind).mkdir()
    return tmp_path


def _metric(at: AppTest, label_start: str) -> str:
    return next(m.value for m in at.metric if m.label.startswith(label_start))


def _add_health_station(at: AppTest) -> AppTest:
    at.radio(key="w_whatif_mode_zh").set_value("add").run()
    assert not at.exception
    at.selectbox(key="w_whatif_category_zh").set_value("health")
    at.text_input(key="w_whatif_name").set_value("金家庄卫生服务站（规划）")
    at.number_input(key="w_whatif_area").set_value(150.0)
    lon, lat = _lonlat(400.0, 1400.0)
    at.number_input(key="w_whatif_lon").set_value(lon)
    at.number_input(key="w_whatif_lat").set_value(lat)
    at.button(key="w_whatif_add").click().run()
    assert not at.exception
    return at


def test_adding_a_facility_changes_coverage_and_undo_takes_it_back(toy_source: str, folder: Path,
                                                                   toy_dataset_and_analysis) -> None:
    _, base = toy_dataset_and_analysis
    at = _app("pages/1_map.py", toy_source, map_category="health").run()
    assert not at.exception
    before = base.category_summary.loc["health", "covered_population"]
    assert _metric(at, "社区卫生服务站覆盖率") == f"{100 * before / 2610:.1f} %"
    _add_health_station(at)
    rows = at.session_state["whatif"]["rows"]
    assert [(r["edit"], r["category"], r["name"], r["floor_area_m2"]) for r in rows] == [
        ("add", "health", "金家庄卫生服务站（规划）", 150.0)]
    assert _metric(at, "社区卫生服务站覆盖率") == f"{100 * (before + 800) / 2610:.1f} %"
    table = at.dataframe[-1].value
    assert table["操作(新增/删除/关闭)"].tolist() == ["新增（规划）"] and table["设施类别"].tolist() == ["社区卫生服务站"]
    assert any("正在查看方案" in c.value for c in at.caption)
    # The indicators page shows the plan: C3 now inside the health circle.
    ind = _app("pages/2_indicators.py", toy_source, whatif=at.session_state["whatif"]).run()
    assert not ind.exception
    communities = ind.dataframe[1].value.set_index("社区编号")
    assert communities.loc["C3", "社区卫生服务站覆盖率(%)"] == 100.0
    at.button(key="w_whatif_undo").click().run()
    assert not at.exception
    assert at.session_state["whatif"]["rows"] == []
    assert _metric(at, "社区卫生服务站覆盖率") == f"{100 * before / 2610:.1f} %"


def test_closing_a_facility_and_reopening_it(toy_source: str, folder: Path) -> None:
    at = _app("pages/1_map.py", toy_source, map_category="health").run()
    at.radio(key="w_whatif_mode_zh").set_value("close").run()
    at.selectbox(key="w_whatif_close_pick").set_value("F1").run()
    at.button(key="w_whatif_close").click().run()
    assert not at.exception
    assert [(r["edit"], r["facility_id"]) for r in at.session_state["whatif"]["rows"]] == [("close", "F1")]
    # The only health station closed: nobody is inside a health circle any more.
    assert _metric(at, "社区卫生服务站覆盖率") == "0.0 %"
    at.button(key="w_whatif_reopen").click().run()
    assert at.session_state["whatif"]["rows"] == []


def test_a_facility_far_from_every_road_is_refused(toy_source: str, folder: Path) -> None:
    at = _add_health_station(_app("pages/1_map.py", toy_source, map_category="health").run())
    fid = at.session_state["whatif"]["rows"][0]["facility_id"]
    from app_support import whatif

    # The same checks as a file: 5 km and more from every road is a wrong place, not a plan.
    at.radio(key="w_whatif_mode_zh").set_value("add").run()
    lon, lat = _lonlat(400.0, 9000.0)
    at.number_input(key="w_whatif_lon").set_value(lon)
    at.number_input(key="w_whatif_lat").set_value(lat)
    at.button(key="w_whatif_add").click().run()
    assert any("5 公里" in e.value or "5 km" in e.value for e in at.error), [e.value for e in at.error]
    assert [r["facility_id"] for r in at.session_state["whatif"]["rows"]] == [fid]
    assert whatif.HISTORY >= 10


def test_accepting_sites_puts_them_into_the_scenario(toy_source: str, folder: Path) -> None:
    at = _app("pages/3_siting.py", toy_source).run()
    at.selectbox(key="w_site_category_zh").set_value("health")
    at.number_input(key="w_site_n_zh").set_value(2)
    at.radio(key="w_site_candidates_zh").set_value("given")
    next(b for b in at.button if b.label == "开始选址").click()
    at.run()
    assert not at.exception
    sites = at.dataframe[0].value
    at.number_input(key="w_site_accept_n").set_value(1)
    at.button(key="w_site_accept").click().run()
    assert not at.exception
    assert any("已将 1 处新址加入当前方案" in s.value for s in at.success)
    rows = at.session_state["whatif"]["rows"]
    assert [r["facility_id"] for r in rows] == [f"health:{sites['候选点编号'].iloc[0]}"]
    assert rows[0]["source"] == "idle_building"
    # On the map page the accepted site is a planned facility of the scenario.
    shown = _app("pages/1_map.py", toy_source, map_category="health", whatif=at.session_state["whatif"]).run()
    assert not shown.exception
    assert "新增 1" in _metric(shown, "方案编辑")
    # Siting again starts from the scenario: the options carry it.
    at.run()
    next(b for b in at.button if b.label == "开始选址").click()
    at.run()
    assert dict(at.session_state["latest_siting"][4])["scenario"]


def test_a_scenario_saved_cleared_and_loaded_again(toy_source: str, folder: Path) -> None:
    at = _add_health_station(_app("pages/1_map.py", toy_source, map_category="health").run())
    after = _metric(at, "社区卫生服务站覆盖率")
    at.text_input(key="w_whatif_scenario_name").set_value("方案甲")
    at.button(key="w_whatif_save").click().run()
    assert not at.exception
    assert [p.name for p in (folder / "scenarios" / "toy").iterdir()] == ["方案甲.gpkg"]
    at.button(key="w_whatif_clear").click().run()
    assert at.session_state["whatif"]["rows"] == []
    at.selectbox(key="w_whatif_saved_pick").set_value("方案甲")
    at.button(key="w_whatif_load").click().run()
    assert not at.exception
    assert _metric(at, "社区卫生服务站覆盖率") == after
    assert at.session_state["whatif"]["name"] == "方案甲"


def test_an_edit_file_is_uploaded_as_the_scenario(toy_source: str, folder: Path, tmp_path: Path) -> None:
    from planning.siting.edits import edit_table, write_edits

    lon, lat = _lonlat(400.0, 1400.0)
    path = write_edits(edit_table([{"edit": "add", "facility_id": "H9", "category": "health", "x": lon, "y": lat},
                                   {"edit": "close", "facility_id": "F2"}]), tmp_path / "上传方案.geojson")
    at = _app("pages/1_map.py", toy_source, map_category="health").run()
    at.file_uploader(key="w_whatif_upload").set_value(("上传方案.geojson", path.read_bytes(), "application/geo+json"))
    at.run()
    assert not at.exception
    assert [(r["edit"], r["facility_id"]) for r in at.session_state["whatif"]["rows"]] == [("add", "H9"),
                                                                                          ("close", "F2")]
    assert at.session_state["whatif"]["name"] == "上传方案"
    assert list((folder / "uploads").iterdir()) == []  # read through a temporary file, nothing left


def test_two_saved_scenarios_compared_by_change(toy_source: str, folder: Path) -> None:
    at = _add_health_station(_app("pages/1_map.py", toy_source, map_category="health").run())
    at.text_input(key="w_whatif_scenario_name").set_value("甲")
    at.button(key="w_whatif_save").click().run()
    at.radio(key="w_whatif_mode_zh").set_value("close").run()
    at.selectbox(key="w_whatif_close_pick").set_value("F2").run()
    at.button(key="w_whatif_close").click().run()
    at.text_input(key="w_whatif_scenario_name").set_value("乙")
    at.button(key="w_whatif_save").click().run()
    siting = _app("pages/3_siting.py", toy_source, whatif=at.session_state["whatif"]).run()
    assert not siting.exception
    comparison = siting.session_state["scenario_comparison"]
    assert comparison["change_pct"].is_monotonic_decreasing
    assert comparison.index[0] in ("C3", "C2")  # health up to 100 % in C3, elderly care closed in 乙
    tables = [d.value for d in siting.dataframe]
    by_category = next(t for t in tables if "设施类别" in t.columns)
    assert by_category["最大变化(百分点)"].is_monotonic_decreasing
    assert isinstance(pd.DataFrame(by_category), pd.DataFrame)


def test_the_edit_table_speaks_words_and_shows_no_none(toy_source: str, folder: Path) -> None:
    # An accepted site of the data (source idle_building) with no floor area or capacity known.
    lon, lat = _lonlat(400.0, 1400.0)
    whatif_state = {"source": toy_source, "history": [], "name": "",
                    "rows": [{"edit": "add", "facility_id": "health:K1", "category": "health", "name": "闲置用房1",
                              "floor_area_m2": None, "capacity": None, "source": "idle_building",
                              "candidate_id": "K1", "x": lon, "y": lat}]}
    at = _app("pages/1_map.py", toy_source, map_category="health", whatif=whatif_state).run()
    assert not at.exception
    table = at.dataframe[-1].value
    assert table["来源"].tolist() == ["闲置用房"]
    assert table["建筑面积(m²)"].tolist() == [""] and table["服务容量"].tolist() == [""]
