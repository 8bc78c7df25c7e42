"""The Chinese report prints the engine's notes on indicators in Chinese, the English one in
English (the toy data set has no community_workers column, no volunteer stations, and the
complete circle is reported without a target)."""

from __future__ import annotations

from pathlib import Path

import pytest

from geo.dataset_loader import load_dataset
from planning.access.analysis import analyze
from planning.output import report
from planning.texts import NOTES, NOTES_ZH


@pytest.fixture
def analysis(toy_dataset_dir: Path) -> object:
    return analyze(load_dataset(toy_dataset_dir), targets="maanshan_14th_fyp")


def test_chinese_report_shows_chinese_indicator_notes(analysis, tmp_path: Path) -> None:
    notes = {str(n): n for n in analysis.indicators["note"] if n}
    assert {getattr(n, "key", "") for n in notes.values()} >= {
        "indicators.no_column", "indicators.no_data", "joined"}
    html_path, pdf_path, _ = report.write_analysis_report(analysis, tmp_path / "r.html",
                                                          lang="zh", pdf=False)
    assert pdf_path is None
    document = html_path.read_text(encoding="utf-8")
    zh_column = NOTES_ZH["indicators.no_column"].format(column="community_workers")
    en_column = NOTES["indicators.no_column"].format(column="community_workers")
    assert zh_column == "数据中没有 community_workers 列"
    assert zh_column in document and en_column not in document
    # A joined note, part by part: "包含类别：…；仅报告，无目标值".
    assert NOTES_ZH["indicators.no_target"] in document
    assert NOTES["indicators.no_target"] not in document
    assert f"<td>{NOTES_ZH['indicators.no_data']}</td>" in document

    english = report.render_report(report.report_content(analysis, lang="en"), lang="en")
    assert en_column in english and zh_column not in english
