"""``python -m planning site`` on the hand-made street written as a data-set folder."""

from __future__ import annotations

import itertools
import json
import os
import stat
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from planning.__main__ import main

from ._siting_line import CANDIDATE_X, by_hand_cover, by_hand_existing, demand_population, line_dataset


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The street as files: GeoJSON layers in WGS84 and the road as a line GeoPackage."""
    folder = tmp_path_factory.mktemp("street")
    ds = line_dataset()
    for name in ("communities", "facilities", "population", "candidates"):
        getattr(ds, name).to_crs(4326).to_file(folder / f"{name}.geojson", driver="GeoJSON")
    edges = ds.roads.edges_frame()[["highway", "geometry"]].to_crs(4326)
    edges.to_file(folder / "roads.gpkg", layer="roads", driver="GPKG")
    return folder


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["site", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_output_matches_enumeration(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "--data", str(data_dir), "--category", "community_living_room",
                        "--new-sites", "2", "--candidates", "given", "--json")
    assert code == 0
    result = json.loads(out)
    w, cover, fixed = demand_population(), by_hand_cover(), by_hand_existing()
    best = max(float(w[cover[:, list(c)].any(axis=1) & ~fixed].sum())
               for c in itertools.combinations(range(len(CANDIDATE_X)), 2))
    assert result["model"] == "mclp" and result["solver"] == "exact" and result["gap_pct"] == 0
    assert result["covered_before"] == int(w[fixed].sum())
    assert result["covered_after"] == int(w[fixed].sum() + best)
    assert [s["rank"] for s in result["sites"]] == [1, 2]
    assert sum(s["newly_covered"] for s in result["sites"]) == int(best)
    assert all(118.5 < s["lon"] < 118.7 and 31.5 < s["lat"] < 31.7 for s in result["sites"])
    assert isinstance(result["covered_before"], int)


def test_target_pct_runs_set_covering_and_writes_files(data_dir: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    out_dir = tmp_path / "out"
    code, out, _ = _run(capsys, "--data", str(data_dir), "--category", "community_living_room",
                        "--target-pct", "100", "--candidates", "given", "--out", str(out_dir),
                        "--scenario", "full")
    assert code == 0
    assert "lscp" in out and "optimal" in out
    sites = gpd.read_file(out_dir / "sites.gpkg", layer="sites")
    assert sorted(sites["candidate_id"]) == ["C1", "C4"]
    table = pd.read_csv(out_dir / "sites.csv", encoding="utf-8-sig")
    assert table["name"].str.startswith("闲置用房").all()
    assert (out_dir / "sites.csv").read_bytes()[:3] == b"\xef\xbb\xbf"
    per_comm = pd.read_csv(out_dir / "communities_before_after.csv", encoding="utf-8-sig")
    assert per_comm["pct_after"].tolist() == pytest.approx([100.0, 100.0])
    assert (out_dir / "full.gpkg").exists()


def test_written_files_get_the_usual_permissions(data_dir: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    # sites.csv, communities_before_after.csv and siting.json used to be readable by their
    # owner only (0600), unlike sites.gpkg beside them, so colleagues could not open them.
    out_dir = tmp_path / "out"
    old_umask = os.umask(0o022)
    try:
        code, _, err = _run(capsys, "--data", str(data_dir), "--category", "community_living_room",
                            "--new-sites", "1", "--candidates", "given", "--out", str(out_dir))
    finally:
        os.umask(old_umask)
    assert code == 0, err
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in out_dir.iterdir()}
    assert modes == {"sites.gpkg": 0o644, "sites.csv": 0o644,
                     "communities_before_after.csv": 0o644, "siting.json": 0o644}


def test_pmedian_and_min_floor_area(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "--data", str(data_dir), "--category", "community_living_room",
                        "--new-sites", "1", "--model", "pmedian", "--candidates", "given",
                        "--min-floor-area", "260", "--json")
    assert code == 0
    result = json.loads(out)
    assert result["model"] == "pmedian" and result["excluded_small"] == 3
    # Left: C1 (1,500 m) and C5 (4,500 m). By hand, total minutes with the 30-minute penalty:
    x = np.arange(0.0, 4_501, 300.0)
    w = demand_population()
    base = np.minimum(x / 75.0, 30.0)
    totals = {c: float((w * np.minimum(base, np.where(np.abs(x - c) / 75 <= 30, np.abs(x - c) / 75, np.inf))).sum())
              for c in (1_500.0, 4_500.0)}
    best = min(totals, key=totals.get)
    assert result["sites"][0]["candidate_id"] == ("C1" if best == 1_500.0 else "C5")
    assert result["total_minutes_after"] == pytest.approx(totals[best], abs=1e-3)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--category", "library", "--new-sites", "2"],
         "unknown category 'library'. use one of community_service_center"),
        (["--category", "community_living_room", "--new-sites", "0"], "--new-sites must be 1 or more"),
        (["--category", "community_living_room", "--target-pct", "90", "--model", "mclp"], "needs --new-sites"),
        (["--category", "community_living_room", "--new-sites", "1", "--candidates", "given",
          "--min-floor-area", "5000"], "no candidate sites"),
        # A capacity of 0 residents per m² used to be accepted and gave sites that serve nobody.
        (["--category", "community_living_room", "--new-sites", "1", "--capacity",
          "--persons-per-m2", "0"], "--persons-per-m2 must be a positive number, got 0. give"),
        (["--category", "community_living_room", "--new-sites", "1", "--capacity",
          "--persons-per-m2", "nan"], "--persons-per-m2 must be a positive number, got nan"),
        # A negative count of generated candidates used to be taken silently as none.
        (["--category", "community_living_room", "--new-sites", "1", "--generated", "-5"],
         "--generated must be 0 or more, got -5"),
    ],
)
def test_bad_input_exits_2_with_one_line(data_dir: Path, capsys: pytest.CaptureFixture[str],
                                         argv: list[str], message: str) -> None:
    code, out, err = _run(capsys, "--data", str(data_dir), *argv)
    assert code == 2
    assert out == ""
    assert err.startswith("error: ") and err.count("\n") == 1
    assert message.lower() in err.lower()
