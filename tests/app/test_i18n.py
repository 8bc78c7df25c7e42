"""One table of words: every key the app uses exists in both languages."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from app_support.i18n import TEXT, category_label, column_label, t, translate_columns

ROOT = Path(__file__).resolve().parents[2]
# t("key" ...) with a literal key; f-string keys are checked through their known expansions.
_KEY = re.compile(r"""\bt\(\s*["']([a-z_]+\.[a-z_.0-9]+)["']""")


def _app_sources() -> list[Path]:
    return [ROOT / "streamlit_app.py", *sorted((ROOT / "pages").glob("*.py")),
            *sorted((ROOT / "app_support").glob("*.py"))]


def test_every_literal_key_is_in_the_table() -> None:
    used = {key for path in _app_sources() for key in _KEY.findall(path.read_text(encoding="utf-8"))}
    assert len(used) > 60
    assert sorted(k for k in used if k not in TEXT) == []


def test_keys_built_from_names_exist() -> None:
    from planning.settings import MODES, PROFILES

    expanded = ([f"mode.{m}" for m in MODES] + [f"profile.{p}" for p in PROFILES]
                + [f"map.basemap.{b}" for b in ("none", "osm", "tianditu", "amap")]
                + [f"site.model.{m}" for m in ("mclp", "lscp", "pmedian")]
                + [f"site.candidates.{c}" for c in ("both", "given", "generated")]
                + [f"site.solver.{s}" for s in ("exact", "greedy", "incumbent")]
                + [f"home.source.{s}" for s in ("bundled", "upload", "synthetic")]
                + [f"layer.{n}" for n in ("communities", "facilities", "population", "candidates", "roads",
                                          "indicators", "community_table", "category_summary",
                                          "recommended_sites", "before_after")]
                + ["map.uncovered.heat", "map.uncovered.points", "kind.urban", "kind.rural"])
    assert [k for k in expanded if k not in TEXT] == []


def test_both_languages_present_and_placeholders_match() -> None:
    for key, (zh, en) in TEXT.items():
        assert zh.strip() and en.strip(), key
        assert set(re.findall(r"{(\w+)", zh)) == set(re.findall(r"{(\w+)", en)), key


def test_lookup_and_formatting() -> None:
    assert t("page.map") == "地图"
    assert t("page.map", "en") == "Map"
    assert t("msg.sites_found", "zh", n=3) == "推荐新址 3 处"
    assert t("msg.sites_found", "en", n=3) == "3 new sites recommended"
    assert t("no.such.key", "en") == "no.such.key"


def test_category_and_column_labels_come_from_the_taxonomy() -> None:
    assert category_label("community_living_room") == "社区客厅"
    assert category_label("community_living_room", "en") == "Community living room"
    assert column_label("coverage_pct_health") == "社区卫生服务站覆盖率(%)"
    assert column_label("coverage_pct_health", "en") == "Community health station coverage (%)"
    assert column_label("population", "en") == "Population"
    assert column_label("not_a_column") == "not_a_column"


def test_translate_columns_keeps_headers_distinct() -> None:
    frame = pd.DataFrame({"population": [1], "col.population": [2], "geometry": [None]})
    # "col.population" is not a known column, so it keeps its name; geometry is kept as it is.
    out = translate_columns(frame, "zh")
    assert list(out.columns) == ["人口", "col.population", "geometry"]
    clash = pd.DataFrame({"name": [1], "名称": [2]})
    assert list(translate_columns(clash, "zh").columns) == ["名称", "名称 (名称)"]


def test_every_engine_note_has_chinese_text_with_the_same_placeholders() -> None:
    from planning.texts import NOTES as english
    from planning.texts import NOTES_ZH

    assert sorted(NOTES_ZH) == sorted(english)
    for key, template in english.items():
        assert set(re.findall(r"{(\w+)", NOTES_ZH[key])) == set(re.findall(r"{(\w+)", template)), key


def test_note_text_in_both_languages() -> None:
    from planning.texts import Note, note_text

    note = Note.of("siting.unreachable", points=21, residents=17763.0)
    assert note_text(note, "en") == ("21 demand point(s) with 17763 residents are outside every existing and "
                                     "candidate circle")
    assert note_text(note, "zh") == "21 个需求点（共 17763 名居民）不在任何现有设施或候选址的服务圈内"
    assert note_text(Note.of("candidates.generated", n=100), "zh") == "按圈外居民分布（k-means 聚类）生成候选址 100 处"
    joined = Note.joined([Note.of("indicators.one_district"), Note.of("indicators.without_group", n=2,
                                                                                 group="district")])
    assert note_text(joined, "en") == ("no district column: the study area counts as one district; "
                                       "2 communities without a district")
    assert note_text(joined, "zh") == "数据中没有区县列：研究范围按一个区县计；2 个社区缺少 district"
    # A plain text note (no key) is shown as it is.
    assert note_text("a plain note", "zh") == "a plain note"
