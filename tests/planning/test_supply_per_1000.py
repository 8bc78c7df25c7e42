"""E2SFCA supply per 1,000 residents in the community table, worked out by hand, and where it
shows: exports (headers in Chinese and English), the report, the app's map popup and tables.

Road along the x axis, nodes every 150 m (2 minutes walking), both communities urban (15-minute
circle, Gaussian decay). 西园社区 (x < 450) holds P1 at x = 0 (10 residents) and P2 at x = 300
(20); 东园社区 holds P3 at x = 900 (30). Elderly care F1 at x = 0 (100 m², 10 places), F2 at
x = 600 (50 m², 40 places). Trip minutes: P1–F1 0, P1–F2 8, P2–F1 4, P2–F2 4, P3–F1 12, P3–F2 4.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import numpy as np
import openpyxl
import pyogrio
import pytest

from planning.access.analysis import analyze
from planning.output import export, report
from planning.texts import e2sfca_labels
from tests.planning._engine_fixtures import dataset, line_network

COLUMN = "e2sfca_elderly_care"


def _g(minutes: float) -> float:
    """Gaussian decay within a 15-minute circle: 1 at the door, 0 at the edge."""
    return (math.exp(-0.5 * (minutes / 15) ** 2) - math.exp(-0.5)) / (1 - math.exp(-0.5))


def _per_1000(s1: float, s2: float) -> tuple[float, float]:
    """West and east supply per 1,000 residents for supplies s1 (F1) and s2 (F2), by hand."""
    r1 = s1 / (10 * _g(0) + 20 * _g(4) + 30 * _g(12))  # step 1: supply over weighted demand
    r2 = s2 / (10 * _g(8) + 20 * _g(4) + 30 * _g(4))
    a1 = r1 * _g(0) + r2 * _g(8)  # step 2: what each resident reaches
    a2 = r1 * _g(4) + r2 * _g(4)
    a3 = r1 * _g(12) + r2 * _g(4)
    return 1000 * (10 * a1 + 20 * a2) / 30, 1000 * a3


def _dataset(*, floor_area: bool = True) -> object:
    facilities = [
        {"facility_id": "F1", "category": "elderly_care", "xy": (0, 0), "capacity": 10.0},
        {"facility_id": "F2", "category": "elderly_care", "xy": (600, 0), "capacity": 40.0},
    ]
    if floor_area:
        facilities[0]["floor_area_m2"], facilities[1]["floor_area_m2"] = 100.0, 50.0
    return dataset(
        line_network(11, 150.0),
        communities=[
            {"community_id": "W", "name": "西园社区", "kind": "urban", "box": (-100, -100, 450, 100)},
            {"community_id": "E", "name": "东园社区", "kind": "urban", "box": (450, -100, 1600, 100)},
        ],
        facilities=facilities,
        population=[{"population": p, "xy": (x, 0)} for p, x in ((10, 0), (20, 300), (30, 900))],
    )


@pytest.fixture(scope="module")
def analysis() -> object:
    return analyze(_dataset(), categories=["elderly_care"])


def test_floor_area_per_1000_residents_by_hand(analysis) -> None:
    west, east = _per_1000(100.0, 50.0)
    # ≈ 3,313 and 1,687 m²: every m² is handed out, (30·3.313 + 30·1.687) = 150 m².
    assert west == pytest.approx(3313.0, abs=1.0) and east == pytest.approx(1687.0, abs=1.0)
    table = analysis.community_table
    assert table.loc["W", COLUMN] == pytest.approx(west)
    assert table.loc["E", COLUMN] == pytest.approx(east)
    assert analysis.e2sfca_supply == {"elderly_care": "floor_area_m2"}
    assert 30 * table.loc["W", COLUMN] + 30 * table.loc["E", COLUMN] == pytest.approx(150_000)


def test_places_per_1000_residents_without_floor_area() -> None:
    result = analyze(_dataset(floor_area=False), categories=["elderly_care"])
    west, east = _per_1000(10.0, 40.0)
    assert result.e2sfca_supply == {"elderly_care": "capacity"}
    assert result.community_table.loc["W", COLUMN] == pytest.approx(west)  # ≈ 887 places
    assert result.community_table.loc["E", COLUMN] == pytest.approx(east)  # ≈ 780 places
    assert west == pytest.approx(886.9, abs=0.5)


def test_json_of_the_analysis_is_unchanged(analysis) -> None:
    doc = analysis.to_json()
    assert sorted(doc) == ["categories", "communities", "indicators", "population"]
    assert sorted(doc["communities"][0]) == ["community_id", "coverage_pct", "kind", "population"]
    assert "e2sfca" not in json.dumps(doc)


def test_exports_name_the_supply_in_both_languages(analysis, tmp_path: Path) -> None:
    zh, en = e2sfca_labels("elderly_care", "floor_area_m2")
    assert (zh, en) == ("养老服务站每千人可达建筑面积(m²)",
                        "Elderly care station floor area (m²) per 1,000 residents in reach")
    west, _ = _per_1000(100.0, 50.0)
    for lang, label in (("zh", zh), ("en", en)):
        out = export.export_analysis(analysis, fmt="csv", out=tmp_path / f"c_{lang}.csv",
                                     table="community_table", headers=lang)[0]
        rows = list(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
        assert float(rows[0][label]) == pytest.approx(west)
        xlsx = export.export_analysis(analysis, fmt="xlsx", out=tmp_path / f"c_{lang}.xlsx",
                                      headers=lang)[0]
        ws = openpyxl.load_workbook(xlsx).worksheets[1]  # the community table
        header = [c.value for c in ws[1]]
        assert ws.cell(row=2, column=header.index(label) + 1).value == pytest.approx(west)
    gpkg = export.export_analysis(analysis, fmt="gpkg", out=tmp_path / "c.gpkg")[0]
    table = pyogrio.read_dataframe(gpkg, layer="community_table")
    assert table.set_index("community_id").loc["W", COLUMN] == pytest.approx(west)
    labels = pyogrio.read_dataframe(gpkg, layer="field_labels")
    row = labels[(labels["layer"] == "community_table") & (labels["field"] == COLUMN)].iloc[0]
    assert (row["label_zh"], row["label_en"]) == (zh, en)
    info = dict(pyogrio.read_dataframe(gpkg, layer="export_info")[["key", "value"]].to_numpy())
    assert info["e2sfca_supply.elderly_care"] == "floor_area_m2"


def test_report_shows_the_column_and_how_to_read_it(analysis, tmp_path: Path) -> None:
    zh_doc = report.render_report(report.report_content(analysis, lang="zh"), lang="zh")
    en_doc = report.render_report(report.report_content(analysis, lang="en"), lang="en")
    zh, en = e2sfca_labels("elderly_care", "floor_area_m2")
    assert f"<th>{zh}</th>" in zh_doc and f"<th>{en}</th>" in en_doc
    # Rounded as a planner writes it: whole m² (3,313 and 1,687).
    assert '<td class="num">3,313</td>' in zh_doc and '<td class="num">1,687</td>' in zh_doc
    assert "E2SFCA（增强两步移动搜索法）供需比" in zh_doc and "供给量：养老服务站：建筑面积(m²)。" in zh_doc
    assert "E2SFCA supply-to-demand ratio" in en_doc
    assert "Supply: Elderly care station: floor area (m²)." in en_doc
    assert "E2SFCA supply-to-demand" not in zh_doc


def test_app_popup_and_tables_show_it_rounded(analysis) -> None:
    from app_support import views
    from app_support.mapping import _communities_group

    ds = analysis.dataset
    west, east = _per_1000(100.0, 50.0)
    layers = views.map_layers(ds, analysis, "elderly_care", lang="zh", circles=(None, None))
    assert COLUMN in layers.popup_columns
    assert layers.popup_labels[COLUMN] == "养老服务站每千人可达建筑面积(m²)"
    # The complete circle concerns many categories: no single supply to show.
    assert COLUMN not in views.map_layers(ds, analysis, views.COMPLETE, lang="zh",
                                          circles=(None, None)).popup_columns
    layer = next(iter(_communities_group(layers, lang="zh", basemap="none")._children.values()))
    shown = {f["properties"]["community_id"]: f["properties"][COLUMN]
             for f in json.loads(layer.data)["features"]}
    assert shown == {"W": round(west), "E": round(east)}  # 3313 and 1687, no decimals
    popup = dict(zip(layer.popup_fields, layer.popup_aliases))
    assert popup[COLUMN] == "养老服务站每千人可达建筑面积(m²)"
    table = views.translate_table(analysis, views.community_table(analysis, lang="en"), "en")
    column = "Elderly care station floor area (m²) per 1,000 residents in reach"
    assert table.set_index("Community ID").loc["E", column] == round(east)
    details = views.community_details(analysis, "W", lang="zh")
    assert details.loc["养老服务站每千人可达建筑面积(m²)"].iloc[0] == f"{round(west):,}"


def test_small_ratios_keep_one_decimal() -> None:
    from planning.output.styles import planner_number

    assert [planner_number(v) for v in (3313.04, 12.5, 9.96, 0.776, 0.25, 0.04, -3.46)] == [
        3313, 13, 10, 0.8, 0.3, 0.0, -3.5]
    assert np.isnan(planner_number(float("nan")))
