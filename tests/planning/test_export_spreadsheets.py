"""Spreadsheet exports reopened: names that look like formulas stay texts (no formula injection),
numbers stay numbers; engine notes in the header language."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from planning.output import export
from planning.texts import NOTES_ZH, Note

NAMES = ['=HYPERLINK("http://example.com","点我")', "+1+1", "-2+3", "@SUM(A1)", "\tTab社区",
         "\r回车社区", "和平社区", "-3.5"]


@pytest.fixture
def tables() -> dict[str, pd.DataFrame]:
    communities = pd.DataFrame({
        "name": NAMES,
        "population": [-3.5, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0],
        "=cmd": ["x"] * len(NAMES),  # a column of the user's own layer, named like a formula
    }, index=pd.Index([f"C{i}" for i in range(len(NAMES))], name="community_id"))
    return {"community_table": communities}


def test_xlsx_cells_that_look_like_formulas_are_strings(tmp_path: Path, tables) -> None:
    out = export.write_xlsx(tables, tmp_path / "t.xlsx", headers="key")
    ws = openpyxl.load_workbook(out)["community_table"]
    header = [c.value for c in ws[1]]
    assert header == ["community_id", "name", "population", "=cmd"]
    assert ws.cell(row=1, column=4).data_type == "s"
    names = [ws.cell(row=r, column=2) for r in range(2, len(NAMES) + 2)]
    # Every name is stored as it was written, as a string, never as a formula (XML reads a
    # carriage return back as a line feed).
    assert [c.value for c in names] == [n.replace("\r", "\n") for n in NAMES]
    assert [c.data_type for c in names] == ["s"] * len(NAMES)
    # Excel's quote prefix keeps them texts when a planner edits the cell.
    assert [c.quotePrefix for c in names] == [True] * 6 + [False, False]
    population = ws.cell(row=2, column=3)
    assert population.value == -3.5 and population.data_type == "n"
    # A workbook formula would be kept by openpyxl as "f"; nothing in the file is one.
    assert not any(c.data_type == "f" for row in ws.iter_rows() for c in row)


def test_csv_cells_that_look_like_formulas_get_an_apostrophe(tmp_path: Path, tables) -> None:
    out = export.write_csv(tables, tmp_path / "t.csv", headers="key")
    rows = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    assert rows[0] == ["community_id", "name", "population", "'=cmd"]
    assert [r[1] for r in rows[1:]] == [f"'{n}" for n in NAMES[:6]] + ["和平社区", "-3.5"]
    assert rows[1][2] == "-3.5"
    # The same inside the zip of every table.
    zipped = export.write_csv(tables, tmp_path / "t.zip", headers="zh")
    with zipfile.ZipFile(zipped) as zf:
        inner = list(csv.reader(io.StringIO(zf.read("community_table.csv").decode("utf-8-sig"))))
    assert [r[1] for r in inner[1:]][:2] == [f"'{NAMES[0]}", "'+1+1"]


def test_engine_notes_follow_the_header_language(tmp_path: Path) -> None:
    note = Note.of("indicators.unknown_floor_area", n=3)
    tables = {"indicators": pd.DataFrame({"name": ["floor_area"], "value": [31.6],
                                          "note": pd.Series([note], dtype=object)})}
    zh = NOTES_ZH["indicators.unknown_floor_area"].format(n=3)
    out = export.write_xlsx(tables, tmp_path / "zh.xlsx", headers="zh")
    ws = openpyxl.load_workbook(out)["指标与目标"]
    assert ws.cell(row=2, column=3).value == zh
    out = export.write_csv(tables, tmp_path / "en.csv", headers="en")
    frame = pd.read_csv(out, encoding="utf-8-sig")
    assert frame["Note"].tolist() == ["3 communities with unknown floor area"]
