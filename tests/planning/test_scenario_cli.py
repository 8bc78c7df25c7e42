"""``python -m planning analyze|site|export --scenario FILE`` through real processes and pipes.

The street of :mod:`tests.planning._siting_line` written as a data-set folder; a scenario file
written here adds a 社区客厅 at x = 3,000 m (Chinese headers, as a planner writes them), so by
hand it covers every resident within 1,125 m of it.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely

from ._siting_line import (
    CANDIDATE_X,
    CIRCLE_M,
    CRS,
    DEMAND_X,
    X0,
    Y0,
    by_hand_existing,
    demand_population,
    line_dataset,
)

ROOT = Path(__file__).resolve().parents[2]
CAT = "community_living_room"


@pytest.fixture(scope="module")
def street(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(data folder, scenario file)."""
    folder = tmp_path_factory.mktemp("street")
    ds = line_dataset()
    for name in ("communities", "facilities", "population", "candidates"):
        getattr(ds, name).to_crs(4326).to_file(folder / f"{name}.geojson", driver="GeoJSON")
    ds.roads.edges_frame()[["highway", "geometry"]].to_crs(4326).to_file(folder / "roads.gpkg", layer="roads",
                                                                         driver="GPKG")
    point = gpd.GeoSeries([shapely.Point(X0 + 3000.0, Y0)], crs=CRS).to_crs(4326).iloc[0]
    plan = folder.parent / "西街方案.geojson"
    plan.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [point.x, point.y]},
         "properties": {"设施编号": "P1", "类别": "社区客厅", "名称": "西街社区客厅", "建筑面积": 300, "操作": "新增"}},
    ]}, ensure_ascii=False), encoding="utf-8")
    return folder, plan


def _run(python_exe: str, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([python_exe, "-m", "planning", *argv], cwd=ROOT, capture_output=True, text=True,
                          encoding="utf-8", timeout=300)


def _new_circle() -> np.ndarray:
    return np.abs(DEMAND_X - 3000.0) <= CIRCLE_M + 1e-6


def test_analyze_with_a_scenario_counts_the_planned_facility(python_exe: str, street) -> None:
    data, plan = street
    done = _run(python_exe, "analyze", "--data", str(data), "--scenario", str(plan), "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    w = demand_population()
    by_hand = w[by_hand_existing() | _new_circle()].sum()
    row = doc["categories"][CAT]
    assert (row["covered_population"], row["facilities"]) == (int(by_hand), 2)
    assert row["coverage_pct"] == pytest.approx(100 * by_hand / w.sum())
    assert doc["scenario"] == {"file": str(plan), "added": 1, "removed": 0, "closed": 0}
    assert "scenario: " in done.stderr and "1 planned facilities added" in done.stderr
    plain = json.loads(_run(python_exe, "analyze", "--data", str(data), "--json").stdout)
    assert plain["categories"][CAT]["covered_population"] == int(w[by_hand_existing()].sum())
    assert "scenario" not in plain


def test_site_on_top_of_a_scenario_and_save_both(python_exe: str, street, tmp_path: Path) -> None:
    data, plan = street
    out = tmp_path / "out"
    done = _run(python_exe, "site", "--data", str(data), "--scenario", str(plan), "--category", CAT,
                "--new-sites", "1", "--candidates", "given", "--out", str(out), "--save-scenario", "方案乙", "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    w = demand_population()
    covered = by_hand_existing() | _new_circle()
    # By hand: the best one more building among the five, with x = 0 and x = 3,000 already served.
    gains = [w[(np.abs(DEMAND_X - c) <= CIRCLE_M + 1e-6) & ~covered].sum() for c in CANDIDATE_X]
    assert doc["covered_before"] == int(w[covered].sum())
    assert doc["covered_after"] == int(w[covered].sum() + max(gains))
    assert doc["sites"][0]["candidate_id"] == f"C{int(np.argmax(gains)) + 1}"
    saved = pyogrio.read_dataframe(out / "方案乙.gpkg", layer="edits")
    assert saved["facility_id"].tolist() == ["P1", f"{CAT}:C{int(np.argmax(gains)) + 1}"]
    # The saved scenario drives the next run: both planned facilities are counted.
    again = json.loads(_run(python_exe, "analyze", "--data", str(data), "--scenario", str(out / "方案乙.gpkg"),
                            "--json").stdout)
    assert again["categories"][CAT]["covered_population"] == doc["covered_after"]
    assert again["categories"][CAT]["facilities"] == 3


def test_export_with_a_scenario_carries_its_edits(python_exe: str, street, tmp_path: Path) -> None:
    data, plan = street
    gpkg = tmp_path / "plan.gpkg"
    done = _run(python_exe, "export", "--data", str(data), "--scenario", str(plan), "--format", "gpkg",
                "--out", str(gpkg))
    assert done.returncode == 0, done.stderr
    layers = {str(n) for n, _ in pyogrio.list_layers(gpkg)}
    assert "scenario_edits" in layers
    facilities = pyogrio.read_dataframe(gpkg, layer="facilities")
    assert facilities.set_index("facility_id").loc["P1", "status"] == "planned"
    edits = pyogrio.read_dataframe(gpkg, layer="scenario_edits")
    assert edits["edit"].tolist() == ["add"] and edits["name"].tolist() == ["西街社区客厅"]


def test_a_bad_scenario_is_one_line_naming_the_file(python_exe: str, street, tmp_path: Path) -> None:
    data, _ = street
    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": None, "properties": {"facility_id": "F9", "edit": "remove"}}]}),
        encoding="utf-8")
    for argv in (["analyze", "--data", str(data), "--scenario", str(bad)],
                 ["analyze", "--data", str(data), "--scenario", str(tmp_path / "missing.geojson")]):
        done = _run(python_exe, *argv)
        assert done.returncode == 2 and done.stdout == ""
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and ("bad.geojson" in lines[0] or "missing.geojson" in lines[0]), done.stderr
        assert "Traceback" not in done.stderr
    assert "unknown facility id(s) to remove or close: F9" in _run(
        python_exe, "analyze", "--data", str(data), "--scenario", str(bad)).stderr


def test_export_as_file_geodatabase_with_a_scenario(python_exe: str, street, tmp_path: Path) -> None:
    from planning.output._gdal import field_aliases, gdal_library

    data, plan = street
    out = tmp_path / "plan.gdb.zip"
    done = _run(python_exe, "export", "--data", str(data), "--scenario", str(plan), "--format", "fgdb",
                "--out", str(out))
    assert done.returncode == 0, done.stderr
    written = sorted(tmp_path.glob("*.gdb.zip"))
    assert len(written) == 1, [p.name for p in tmp_path.iterdir()]
    edits = pyogrio.read_dataframe(written[0], layer="scenario_edits", read_geometry=False)
    # Values in words (Chinese by default), the edit's own name kept.
    assert edits["edit"].tolist() == ["新增"] and edits["name"].tolist() == ["西街社区客厅"]
    assert edits["category"].tolist() == ["社区客厅"]
    if gdal_library() is not None:
        assert field_aliases(written[0])["scenario_edits"]["edit"] == "操作(新增/删除/关闭)"
