"""The upload page's help comes from the importer's own lists, and its templates load as they are."""

from __future__ import annotations

import io
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from app_support import contract
from app_support.i18n import TEXT
from geo import _validate, taxonomy


def _roads(folder: Path) -> None:
    """A street grid every 0.002° over the templates' examples (118.50–118.52 E, 31.70–31.71 N)."""
    xs = [118.500 + 0.002 * i for i in range(11)]
    ys = [31.700 + 0.002 * i for i in range(6)]
    lines = ([shapely.LineString([(x, ys[0]), (x, ys[-1])]) for x in xs]
             + [shapely.LineString([(xs[0], y), (xs[-1], y)]) for y in ys])
    gpd.GeoDataFrame({"highway": ["residential"] * len(lines)}, geometry=lines, crs=4326).to_file(
        folder / "roads.geojson", driver="GeoJSON")


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_templates_load_as_they_are(tmp_path: Path, lang: str, suffix: str) -> None:
    from geo.dataset_loader import load_dataset

    for layer in contract.TABLE_LAYERS:
        data, _ = contract.template_files(layer, lang)[f"{layer}.{suffix}"]
        (tmp_path / f"{layer}.{suffix}").write_bytes(data)
    _roads(tmp_path)
    dataset = load_dataset(tmp_path)
    com = dataset.communities.set_index("community_id")
    assert com["kind"].to_dict() == {"C001": "urban", "C002": "rural"}
    assert com["households"].tolist() == [400.0, 200.0] and com["street"].tolist() == ["花山街道", "采石镇"]
    fac = dataset.facilities.set_index("facility_id")
    assert fac["category"].to_dict() == {"F001": "health", "F002": "community_living_room"}
    assert fac["status"].to_dict() == {"F001": "existing", "F002": "planned"}
    assert fac["floor_area_m2"].tolist() == [300.0, 450.0]
    assert dataset.population["population"].sum() == 1000.0
    assert dataset.population["community_id"].tolist() == ["C001", "C002"]
    assert dataset.candidates["candidate_id"].tolist() == ["K001", "K002"]
    assert not dataset.report.errors


def test_chinese_templates_have_chinese_headers_the_importer_reads() -> None:
    zh = pd.read_csv(io.BytesIO(contract.template_files("facilities", "zh")["facilities.csv"][0]), encoding="utf-8-sig")
    assert list(zh.columns) == ["设施编号", "类别", "名称", "建筑面积", "容量", "状态", "经度", "纬度"]
    assert zh["类别"].tolist() == ["社区卫生服务站", "社区客厅"] and zh["状态"].tolist() == ["现状", "规划"]
    en = pd.read_csv(io.BytesIO(contract.template_files("facilities", "en")["facilities.csv"][0]), encoding="utf-8-sig")
    assert list(en.columns) == ["facility_id", "category", "name", "floor_area_m2", "capacity", "status", "lon", "lat"]
    assert en["category"].tolist() == ["health", "community_living_room"]
    sheets = pd.ExcelFile(io.BytesIO(contract.template_files("communities", "zh")["communities.xlsx"][0]))
    assert sheets.sheet_names == ["communities"]


def test_requirements_list_the_importers_columns_and_names() -> None:
    table = contract.requirements("facilities", "zh").set_index("列名")
    # ids are made when absent (issue 10), so the id column is optional; the category is required
    assert table.loc["facility_id", "必需/可选"] == "可选" and table.loc["category", "必需/可选"] == "必需"
    assert table.loc["capacity", "必需/可选"] == "可选"
    assert set(table.loc["facility_id", "也可用的列名"].split("、")) == set(_validate.COLUMN_ALIASES["facility_id"])
    assert "existing: 现状" in table.loc["status", "内容与可填的值"]
    assert set(_validate.REQUIRED["facilities"]) | set(_validate.OPTIONAL["facilities"]) <= set(table.index)
    assert "经度/纬度" in table.loc["经度/纬度", "也可用的列名"]
    english = contract.requirements("communities", "en").set_index("Column")
    assert english.loc["name", "Required"] == "required"
    assert english.loc["geometry", "Required"] == "required"
    categories = contract.category_table("zh").set_index("类别代码")
    assert categories.loc["health", "中文名称"] == "社区卫生服务站" and len(categories) == len(taxonomy.CATEGORIES)
    for layer in contract.TABLE_LAYERS:
        for column in (*contract.required_columns(layer), *contract.optional_columns(layer)):
            assert f"contract.{column}" in TEXT, column
        assert f"contract.layer.{layer}" in TEXT


def test_synonyms_the_importer_lists_are_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever synonym table geo exposes (word → key or key → words) reaches the help."""
    monkeypatch.setattr(taxonomy, "CATEGORY_SYNONYMS", {"卫生室": "health", "elderly_care": ("日间照料中心",)},
                        raising=False)
    words = contract.category_words()
    assert "卫生室" in words["health"] and "日间照料中心" in words["elderly_care"]
    assert contract.category_table("en").set_index("Key").loc["health", "Other words read as it"] == "卫生室"
