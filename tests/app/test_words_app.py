"""The app speaks the words of the one text table: codes in words, solver in words, no "None"
cells, plans by their title and another city's said plainly, uploads by their file's name."""

from __future__ import annotations

import copy
import dataclasses
import zipfile
from io import BytesIO
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest
from streamlit.testing.v1 import AppTest

from app_support import exporting, uploads, views
from app_support.i18n import t
from planning import texts

ROOT = Path(__file__).resolve().parents[2]


def test_value_words_are_those_of_the_engine_table() -> None:
    for column, prefix in (("kind", "kind"), ("model", "site.model"), ("solver", "site.solver"),
                           ("source", "site.source"), ("mode", "mode")):
        for code, (zh, en) in texts.VALUE_LABELS[column].items():
            assert (t(f"{prefix}.{code}"), t(f"{prefix}.{code}", "en")) == (zh, en)
    assert t("site.source.public_building") == "公共建筑"


def test_sites_and_communities_in_words_and_whole_households(toy_dataset_and_analysis) -> None:
    _, analysis = toy_dataset_and_analysis
    sites = pd.DataFrame({"source": ["public_building", "generated", "idle_building"],
                          "cumulative_pct": [12.345, 50.05, 65.9758]})
    shown = views.readable_sites(sites, lang="zh")
    assert shown["source"].tolist() == ["公共建筑", "自动生成", "闲置用房"]
    assert shown["cumulative_pct"].tolist() == [12.3, 50.1, 66.0]
    table = views.community_table(analysis, lang="zh")
    households = table["households"].dropna()
    assert len(households) and (households == households.round()).all()
    assert set(table["kind"]) <= {"城市社区", "农村社区（村）"}


def test_missing_cells_are_empty_and_full_columns_stay_numbers() -> None:
    frame = pd.DataFrame({"value": [47.17, np.nan], "target": [100.0, 30.0],
                          "note": ["", None]})
    shown = views.table_view(frame)
    assert shown["value"].tolist() == ["47.2", ""]
    assert shown["note"].tolist() == ["", ""]
    assert pd.api.types.is_float_dtype(shown["target"])  # no gap: still numbers, still sortable


def test_targets_notice_says_when_they_are_another_citys(toy_dataset_and_analysis) -> None:
    from planning.access.indicators import load_targets

    dataset, analysis = toy_dataset_and_analysis
    xian = dataclasses.replace(dataset, meta={"title_zh": "西安中心城区（二环内）"})
    judged = copy.copy(analysis)
    judged.targets = load_targets("maanshan_14th_fyp")
    text, other = views.targets_notice(judged, xian, "zh")
    assert other and text.startswith("注意：西安中心城区（二环内）按马鞍山的规划目标评估")
    text, other = views.targets_notice(analysis, dataset, "zh")
    assert not other and text == "指标目标依据：城乡社区服务基本要求。"


def _app(path: str, source: str, **state: object) -> AppTest:
    at = AppTest.from_file(str(ROOT / path), default_timeout=120)
    at.session_state["source"] = source
    for key, value in state.items():
        at.session_state[key] = value
    return at


def test_home_lists_plans_by_title(toy_source: str) -> None:
    at = _app("streamlit_app.py", toy_source).run()
    assert not at.exception
    box = next(s for s in at.selectbox if s.label == t("home.targets"))
    assert "马鞍山市“十四五”城乡社区服务体系建设规划（表1）" in box.options
    assert not any("maanshan" in option for option in box.options)


def test_siting_page_names_the_solver_in_words(toy_source: str) -> None:
    at = _app("pages/3_siting.py", toy_source, settings={}).run()
    at.selectbox(key="w_site_category_zh").set_value("health")
    at.number_input(key="w_site_n_zh").set_value(1)
    next(b for b in at.button if b.label == "开始选址").click()
    at.run()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "求解方式：精确求解（HiGHS），已证明为最优解" in text
    assert "exact" not in text and "gap" not in text


class _Upload:
    def __init__(self, name: str, data: bytes) -> None:
        self.name, self.data = name, data

    def getvalue(self) -> bytes:
        return self.data


def test_an_upload_is_named_after_its_file_not_a_hash(toy_source: str, tmp_path: Path) -> None:
    from geo.dataset_loader import load_dataset

    folder = Path(toy_source.partition(":")[2])
    files = {layer: _Upload(f"{'雨山区社区' if layer == 'communities' else layer}.geojson",
                            (folder / f"{layer}.geojson").read_bytes())
             for layer in ("communities", "facilities", "population", "candidates", "roads")}
    saved = uploads.save_uploads(files, root=tmp_path)
    dataset = uploads.named(load_dataset(saved), saved)
    assert dataset.name == "雨山区社区" and dataset.meta["title_zh"] == "雨山区社区"
    assert saved.name not in dataset.name  # not the content hash
    # A whole data set in one file: its file's name.
    gpkg = tmp_path / "source.gpkg"
    for layer in ("communities", "facilities", "population", "roads"):
        pyogrio.write_dataframe(pyogrio.read_dataframe(folder / f"{layer}.geojson"), gpkg,
                                layer=layer, driver="GPKG", append=gpkg.exists())
    whole = uploads.save_uploads({"dataset": _Upload("西安 2024.gpkg", gpkg.read_bytes())},
                                 root=tmp_path)
    path = next(whole.glob("dataset.*"))
    assert uploads.named(load_dataset(path), path).name == "西安_2024"


def test_export_page_offers_a_file_geodatabase_named_by_data_set_and_crs(
        toy_dataset_and_analysis) -> None:
    _, analysis = toy_dataset_and_analysis
    assert "fgdb" in exporting.FORMATS
    files = exporting.export_files(analysis, fmt="fgdb", crs="cgcs2000", lang="zh")
    assert [(name, mime) for name, _, mime in files] == [("toy_cgcs2000.gdb.zip",
                                                          "application/zip")]
    with zipfile.ZipFile(BytesIO(files[0][1])) as zf:
        assert any(n.startswith("toy_cgcs2000.gdb/") for n in zf.namelist())


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_indicator_page_says_whose_targets(toy_source: str, lang: str) -> None:
    at = _app("pages/2_indicators.py", toy_source, settings={}, lang=lang).run()
    assert not at.exception
    captions = [c.value for c in at.caption]
    expected = {"zh": "指标目标依据：城乡社区服务基本要求。",
                "en": "Targets from: National baseline for community services."}[lang]
    assert expected in captions


def test_facility_popups_and_scenario_names_are_words() -> None:
    import geopandas as gpd
    from shapely.geometry import Point

    from app_support.mapping import facilities_json
    from app_support.scenarios_view import default_name

    facilities = gpd.GeoDataFrame({"facility_id": ["F1"], "category": ["health"], "name": ["站"],
                                   "status": ["existing"]}, geometry=[Point(118.4, 31.7)], crs=4326)
    text = facilities_json(facilities)["health"]
    assert '"status_zh":"现状"' in text.replace(" ", "") and '"status_en":"existing"' in text.replace(" ", "")

    class _Result:
        category, model = "community_living_room", "mclp"
        sites = [1, 2, 3, 4, 5]

    assert default_name(_Result(), "zh") == "社区客厅5处（最大覆盖）"
    assert default_name(_Result(), "en") == "Community living room 5 sites (Maximal covering)"
