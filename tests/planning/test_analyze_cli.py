"""``python -m planning analyze`` on the toy data set (tests/geo/_toy.py) and on hand data."""

from __future__ import annotations

import argparse
import importlib.util
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest

from geo._errors import DataError
from geo.dataset_loader import load_dataset
from planning.access.analysis import analyze
from planning.commands import analyze as analyze_cmd
from planning.settings import Settings
from tests.planning._engine_fixtures import dataset, line_network

ALL_COMMANDS = all(importlib.util.find_spec(f"planning.commands.{c}") for c in ("analyze", "site", "export"))


def _args(**kw: object) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    analyze_cmd.add_arguments(parser)
    argv: list[str] = []
    for key, value in kw.items():
        flag = "--" + key.replace("_", "-")
        argv += [flag] if value is True else [flag, str(value)]
    return parser.parse_args(argv)


def test_json_output(toy_dataset_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert analyze_cmd.run(_args(data=toy_dataset_dir, json=True)) == 0
    out = capsys.readouterr().out
    doc = json.loads(out)  # exactly one JSON object
    # The validation report rides along under "problems" (issue 10); the rest keeps its shape.
    assert set(doc) == {"population", "categories", "communities", "indicators", "problems"}
    assert doc["population"] == 2610
    assert set(doc["categories"]) == {"community_service_center", "elderly_care", "health",
                                      "convenience_retail"}
    assert all(c["facilities"] == 1 for c in doc["categories"].values())
    by_id = {c["community_id"]: c for c in doc["communities"]}
    assert {k: by_id[k]["kind"] for k in by_id} == {"C1": "urban", "C2": "rural", "C3": "urban",
                                                   "C4": "rural"}
    # Villages ride e-bikes 30 minutes (7.5 km): the whole 2 km grid is inside their circle.
    for cid in ("C2", "C4"):
        assert set(by_id[cid]["coverage_pct"].values()) == {100.0}
    # The same numbers as the library call.
    result = analyze(load_dataset(toy_dataset_dir))
    for cat, row in result.category_summary.iterrows():
        assert doc["categories"][cat]["coverage_pct"] == pytest.approx(row["coverage_pct"])
        assert doc["categories"][cat]["covered_population"] == round(row["covered_population"])
    names = [r["name"] for r in doc["indicators"]]
    assert "service_facility_coverage" in names and "complete_circle" in names
    assert all(r["pass"] in (True, False, None) for r in doc["indicators"])


def test_categories_and_targets_options(toy_dataset_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert analyze_cmd.run(_args(data=toy_dataset_dir, json=True, categories="health,elderly_care",
                                 targets="maanshan_14th_fyp")) == 0
    doc = json.loads(capsys.readouterr().out)
    assert list(doc["categories"]) == ["elderly_care", "health"]
    assert "floor_area_per_100_households_2025" in [r["name"] for r in doc["indicators"]]


def test_out_writes_geopackage_and_csv(toy_dataset_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "result"
    assert analyze_cmd.run(_args(data=toy_dataset_dir, out=out)) == 0
    layers = dict(pyogrio.list_layers(out / "analysis.gpkg"))
    assert {"demand", "communities", "circles", "uncovered"} <= set(layers)
    demand = gpd.read_file(out / "analysis.gpkg", layer="demand")
    assert len(demand) == 9 and demand["population"].sum() == 2610
    assert {"minutes_health", "covered_health", "circle_minutes"} <= set(demand.columns)
    communities = gpd.read_file(out / "analysis.gpkg", layer="communities")
    assert {"coverage_pct_health", "missed_targets", "floor_area_per_100_households"} <= set(communities.columns)
    # F4 (600 m²) is in C4 with 120 households: 500 m² per 100 households.
    c4 = communities.set_index("community_id").loc["C4"]
    assert c4["floor_area_per_100_households"] == pytest.approx(500.0)
    circles = gpd.read_file(out / "analysis.gpkg", layer="circles")
    assert len(circles) == 4 and not circles.geometry.is_empty.any()
    # Both files get the usual permissions of new files (not the 0600 of temporary files).
    assert (out / "indicators.csv").stat().st_mode & 0o777 == (out / "analysis.gpkg").stat().st_mode & 0o777
    raw = (out / "indicators.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for Excel
    table = pd.read_csv(out / "indicators.csv", encoding="utf-8-sig")
    assert "设有社区综合服务设施的社区比例" in set(table["name_zh"])


def test_failed_write_keeps_the_previous_file(toy_dataset_dir: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "result"
    assert analyze_cmd.run(_args(data=toy_dataset_dir, out=out)) == 0
    before = (out / "analysis.gpkg").read_bytes()

    from planning.access.analysis import Analysis

    def broken(self: Analysis, **kw: object) -> dict:
        layers = original(self, **kw)
        layers["circles"] = "not a layer"
        return layers

    original = Analysis.layers
    monkeypatch.setattr(Analysis, "layers", broken)
    with pytest.raises(AttributeError):
        analyze_cmd.run(_args(data=toy_dataset_dir, out=out))
    assert (out / "analysis.gpkg").read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == ["analysis.gpkg", "indicators.csv"]


def test_bad_input(toy_dataset_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(DataError, match="unknown facility category"):
        analyze_cmd.run(_args(data=toy_dataset_dir, categories="health,hospital"))
    with pytest.raises(DataError, match="does not exist"):
        analyze_cmd.run(_args(data=tmp_path / "nowhere"))
    # An empty list used to give exit 0 with no category at all in the results.
    for empty in ("", " , "):
        with pytest.raises(DataError) as caught:
            analyze_cmd.run(_args(data=toy_dataset_dir, categories=empty))
        assert str(caught.value) == (
            f"--categories {empty!r} names no category. Give comma-separated keys such as "
            "health,elderly_care, or leave --categories out for every category in the data.")


@pytest.mark.skipif(not ALL_COMMANDS, reason="the planning command dispatcher needs every command module")
def test_dispatcher_exit_codes(toy_dataset_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from planning.__main__ import main

    assert main(["analyze", "--data", str(toy_dataset_dir), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["population"] == 2610
    assert main(["analyze", "--data", str(toy_dataset_dir), "--categories", "hospital"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "hospital" in err


def test_analysis_layers_and_json_on_hand_data() -> None:
    # Road of 10 × 150 m (2 min per edge); health at x = 0; residents at 0, 1050 m (14 min) and
    # 1200 m (16 min), plus one outside every community at 1350 m.
    data = dataset(
        line_network(11, 150.0),
        communities=[{"community_id": "U", "name": "东风社区", "kind": "urban", "households": 100.0,
                      "box": (-100, -100, 1250, 100)}],
        facilities=[{"facility_id": "h", "category": "health", "xy": (0, 0)}],
        population=[{"population": 10.0, "xy": (0, 0)}, {"population": 20.0, "xy": (1050, 0)},
                    {"population": 30.0, "xy": (1200, 0)}, {"population": 5.0, "xy": (1350, 0)}],
    )
    result = analyze(data, Settings())
    doc = result.to_json()
    assert doc["population"] == 65
    assert doc["categories"]["health"] == {"covered_population": 30, "coverage_pct": pytest.approx(30 / 65 * 100),
                                           "facilities": 1}
    assert doc["communities"] == [{"community_id": "U", "kind": "urban", "population": 60,
                                   "coverage_pct": {"health": pytest.approx(50.0)}}]
    json.dumps(doc, allow_nan=False)  # NaN and inf are null
    layers = result.layers()
    np.testing.assert_allclose(layers["demand"]["minutes_health"], [0, 14, 16, 18])
    assert list(layers["uncovered"]["population"]) == [30.0, 5.0]
    table = result.community_table
    assert table.loc["U", "coverage_pct_health"] == pytest.approx(50.0)
    assert table.loc["U", "circle_minutes"] == 15.0
    assert np.isnan(table.loc["U", "floor_area_per_100_households"])  # no service centre in data
    circle = result.circles.set_index("category").loc["health", "geometry"]
    # From the community's west edge (x = -100) to x = 1125, where residents stop snapping to
    # the node at 1050 (14 minutes away) and snap to the one at 1200 (16): up to a 15 m cell.
    assert circle.bounds[2] - circle.bounds[0] == pytest.approx(1225, abs=15)


def test_default_data_set_runs(capsys: pytest.CaptureFixture[str]) -> None:
    if not analyze_cmd.DEFAULT_DATA.exists():
        pytest.skip("the bundled data/xian is not built")
    assert analyze_cmd.run(_args(json=True)) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["population"] > 0 and doc["categories"]


@pytest.mark.skipif(not ALL_COMMANDS, reason="the planning command dispatcher needs every command module")
def test_out_that_is_a_file_or_cannot_be_written_exits_2_with_one_line(
        toy_dataset_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from planning.__main__ import main

    # --out naming an existing file used to end in a FileExistsError traceback (exit 1).
    existing = tmp_path / "notes.txt"
    existing.write_text("keep me", encoding="utf-8")
    for command in (["analyze"], ["site", "--category", "health", "--new-sites", "1"]):
        assert main([*command, "--data", str(toy_dataset_dir), "--out", str(existing)]) == 2
        out, err = capsys.readouterr()
        assert out == ""
        assert err == (f"error: {existing}: --out names a file, but it must be a folder. "
                       "Give --out a folder (it is created when missing).\n")
    assert existing.read_text(encoding="utf-8") == "keep me"

    # A folder that cannot be written: one line naming the folder (not the temporary file).
    def refuse(result: object, out: Path) -> None:
        raise PermissionError(13, "Permission denied", str(out / ".analysis-x1y2.gpkg"))

    monkeypatch.setattr(analyze_cmd, "write_outputs", refuse)
    folder = tmp_path / "read-only"
    assert main(["analyze", "--data", str(toy_dataset_dir), "--out", str(folder)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (f"error: {folder}: permission denied. Check the path and its permissions; "
                   "for --out choose a folder you can write to.\n")
