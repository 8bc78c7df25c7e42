"""The app shows each category's target group, maps its uncovered members and lets the user
switch groups and pick a census county (toy data set, 当涂县 340521: 60+ 21.36 %)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from app_support import views
from app_support.mapping import build_map, legend_html

ROOT = Path(__file__).resolve().parents[2]


def _app(path: str, source: str, **state: object) -> AppTest:
    at = AppTest.from_file(str(ROOT / path), default_timeout=120)
    at.session_state["source"] = source
    for key, value in state.items():
        at.session_state[key] = value
    return at


def test_uncovered_elderly_are_mapped_with_their_counts(toy_dataset_and_analysis) -> None:
    from planning.access.analysis import analyze
    from planning.settings import Settings

    dataset, _ = toy_dataset_and_analysis
    analysis = analyze(dataset, Settings(census_code="340521"))
    outside = views.uncovered_points(dataset, analysis, "elderly_care")
    flags = analysis.coverage.group_covered("elderly_care")
    expected = dataset.population.loc[~flags.to_numpy(), "population"] * 0.2136
    np.testing.assert_allclose(outside["population"].to_numpy(), expected[expected > 0].to_numpy())
    # Health serves everyone: its residents outside the circle, as before.
    health = views.uncovered_points(dataset, analysis, "health")
    assert health["population"].sum() == dataset.population.loc[~analysis.covered["health"], "population"].sum()
    layers = views.map_layers(dataset, analysis, "elderly_care", lang="zh")
    assert layers.uncovered_title == "圈外60岁以上老年人"
    assert "圈外60岁以上老年人" in legend_html(layers, lang="zh")
    import folium

    names = [c.layer_name for c in build_map(layers)._children.values() if isinstance(c, folium.FeatureGroup)]
    assert "圈外60岁以上老年人" in names and "圈外居民" not in names
    caption = views.group_caption(analysis, "elderly_care", "zh")
    row = analysis.category_summary.loc["elderly_care"]
    assert caption.startswith("服务对象：60岁以上老年人；服务圈内 ")
    assert f"{row['group_coverage_pct']:.1f}%" in caption
    assert views.group_caption(analysis, "health", "zh") is None
    plain = analyze(dataset)
    assert views.group_caption(plain, "elderly_care", "en") == "Target group: Residents aged 60+ (no counts; all residents counted)"


def test_home_picks_a_county_and_switches_a_group(toy_source: str) -> None:
    at = _app("streamlit_app.py", toy_source).run()
    assert not at.exception
    county = next(s for s in at.selectbox if s.label.startswith("区县（第七次全国人口普查"))
    assert len(county.options) == 2990  # "none" and the 2,989 counties with figures
    county.set_value("340521")
    group = next(s for s in at.selectbox if s.label == "养老服务站 的服务对象")
    assert group.value == "elderly"
    group.set_value("all")
    next(b for b in at.button if b.label == "应用设置").click()
    at.run()
    assert not at.exception
    stored = at.session_state["settings"]
    assert stored["census_code"] == "340521" and stored["census_whole_county"] is False
    assert dict(stored["target_groups"]) == {"childcare": "children", "meal_aid": "elderly"}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_map_page_shows_the_group(toy_source: str, lang: str) -> None:
    at = _app("pages/1_map.py", toy_source, settings={"census_code": "340521"}, map_category="elderly_care",
              lang=lang).run()
    assert not at.exception
    wanted = "服务对象：60岁以上老年人；服务圈内" if lang == "zh" else "Target group: Residents aged 60+; inside the circle"
    assert any(c.value.startswith(wanted) for c in at.caption)


def test_population_template_carries_the_group_columns(tmp_path: Path) -> None:
    from app_support import contract

    zh = contract.template_files("population", "zh")["population.csv"][0].decode("utf-8-sig")
    header = zh.splitlines()[0].split(",")
    assert "60岁以上人口" in header and "0-6岁人口" in header
    assert contract.optional_columns("population")[-2:] == ("elderly", "children")
