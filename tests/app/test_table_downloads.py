"""The tables the app offers as CSV keep a community name that looks like a formula as text."""

from __future__ import annotations

import csv
import io

from app_support import exporting
from planning.access.analysis import analyze
from tests.planning._engine_fixtures import dataset, line_network


def test_formula_like_names_are_text_in_the_app_csv() -> None:
    ds = dataset(
        line_network(5, 150.0),
        communities=[{"community_id": "C1", "name": "=HYPERLINK(\"x\")", "kind": "urban",
                      "box": (-100, -100, 700, 100)}],
        facilities=[{"facility_id": "F1", "category": "health", "xy": (0, 0)}],
        population=[{"population": 10, "xy": (300, 0)}],
    )
    tables = exporting.table_csvs(analyze(ds), lang="zh")
    rows = list(csv.DictReader(io.StringIO(tables["社区指标表.csv"].decode("utf-8-sig"))))
    assert rows[0]["名称"] == "'=HYPERLINK(\"x\")"
    assert rows[0]["人口"] == "10.0"
