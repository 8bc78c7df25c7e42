"""The commands as a script sees them: real processes, standard output read through a pipe.

pytest's capsys only sees what Python writes; a C library (HiGHS prints a banner when its first
solver object is made) writes to file descriptor 1 directly, which only a real pipe shows.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from tests.geo._toy import toy_layers, write_toy_dataset

ROOT = Path(__file__).resolve().parents[2]


def _start(python_exe: str, *argv: str) -> subprocess.Popen[str]:
    return subprocess.Popen([python_exe, *argv], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, encoding="utf-8")


def _finish(proc: subprocess.Popen[str]) -> subprocess.CompletedProcess[str]:
    out, err = proc.communicate(timeout=300)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _json(done: subprocess.CompletedProcess[str]) -> dict:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # the whole of standard output, nothing before or after


def test_every_json_output_is_json_and_nothing_else(python_exe: str, toy_dataset_dir: Path) -> None:
    data = str(toy_dataset_dir)
    runs = {
        "analyze": ["-m", "planning", "analyze", "--data", data, "--json"],
        "mclp": ["-m", "planning", "site", "--data", data, "--category", "community_living_room",
                 "--new-sites", "1", "--candidates", "given", "--json"],
        "mclp capacity": ["-m", "planning", "site", "--data", data, "--category",
                          "community_living_room", "--new-sites", "1", "--capacity",
                          "--candidates", "given", "--json"],
        "lscp": ["-m", "planning", "site", "--data", data, "--category", "community_living_room",
                 "--target-pct", "90", "--candidates", "given", "--json"],
        "pmedian": ["-m", "planning", "site", "--data", data, "--category", "health",
                    "--new-sites", "1", "--model", "pmedian", "--candidates", "given", "--json"],
        "inspect": ["-m", "geo", "inspect", data, "--json"],
    }
    # Started together: the machine's cores do the waiting instead of the test.
    procs = {name: _start(python_exe, *argv) for name, argv in runs.items()}
    docs = {name: _json(_finish(proc)) for name, proc in procs.items()}
    assert docs["analyze"]["population"] == 2610
    for name in ("mclp", "mclp capacity", "lscp", "pmedian"):
        assert docs[name]["model"] == name.split()[0]
        assert docs[name]["solver"] == "exact" and docs[name]["gap_pct"] == 0
        assert docs[name]["time_limit_reached"] is False
    assert docs["inspect"]["usable"] is True
    # The toy data: kinds inferred from the names, one population point outside every community.
    toy = [("info", "communities", "kind"), ("warning", "population", "community_id")]
    for name in ("analyze", "inspect", "pmedian"):
        assert [(p["severity"], p["layer"], p["column"]) for p in docs[name]["problems"]] == toy
    # No community living room exists yet: said, as information.
    assert [(p["severity"], p["layer"], p["column"]) for p in docs["mclp"]["problems"]] == [
        *toy, ("info", "facilities", "category")]


def _with_bad_facilities(folder: Path) -> Path:
    """The toy data set with its only health facility lacking a point and a karaoke bar."""
    layers = toy_layers()
    fac = layers["facilities"]
    extra = gpd.GeoDataFrame({"facility_id": ["F9"], "category": ["karaoke"], "name": ["歌厅"],
                              "floor_area_m2": [80.0]},
                             geometry=[shapely.Point(fac.geometry.iloc[0].x + 50, fac.geometry.iloc[0].y)],
                             crs=fac.crs)
    fac = gpd.GeoDataFrame(pd.concat([fac, extra], ignore_index=True), crs=fac.crs)
    fac.loc[fac["facility_id"] == "F1", "geometry"] = None
    layers["facilities"] = fac
    return write_toy_dataset(folder, layers=layers)


def test_analyze_site_and_export_show_what_validation_dropped(python_exe: str, tmp_path: Path) -> None:
    data = str(_with_bad_facilities(tmp_path / "bad"))
    gpkg = tmp_path / "out" / "plan.gpkg"
    procs = {
        "analyze": _start(python_exe, "-m", "planning", "analyze", "--data", data, "--json"),
        "analyze text": _start(python_exe, "-m", "planning", "analyze", "--data", data,
                               "--categories", "health,elderly_care"),
        "site": _start(python_exe, "-m", "planning", "site", "--data", data, "--category", "health",
                       "--new-sites", "1", "--candidates", "given", "--json"),
        "export": _start(python_exe, "-m", "planning", "export", "--data", data, "--format", "gpkg",
                         "--out", str(gpkg)),
    }
    done = {name: _finish(proc) for name, proc in procs.items()}
    dropped_point = ("warning", "facilities", None, "1 feature(s) without geometry were left out")
    dropped_karaoke = ("warning", "facilities", "category",
                       "1 facilities with unknown categories were left out: 'karaoke' (1)")

    doc = _json(done["analyze"])
    # Health had one facility, F1, dropped for want of a point: the category is gone …
    assert "health" not in doc["categories"] and "elderly_care" in doc["categories"]
    # … and the output says why.
    found = [(p["severity"], p["layer"], p["column"], p["message"]) for p in doc["problems"]]
    assert any(f[:3] == dropped_point[:3] and f[3].startswith(dropped_point[3]) for f in found), found
    assert any(f[:3] == dropped_karaoke[:3] and f[3].startswith(dropped_karaoke[3]) for f in found), found
    assert all(set(p) >= {"severity", "layer", "file", "column", "count", "message"} for p in doc["problems"])
    # The same problems on standard error, one line each: severity, where, message.
    err = done["analyze"].stderr.splitlines()
    assert len(err) == len(doc["problems"])
    assert any(line.startswith("warning: facilities.geojson, facilities: 1 feature(s) without geometry")
               for line in err), err
    assert any(line.startswith("warning: facilities.geojson, facilities, category: 1 facilities with "
                               "unknown categories were left out: 'karaoke' (1)") for line in err), err

    # Asked for by name, a category with no facility left is a warning of its own.
    text = done["analyze text"]
    assert text.returncode == 0, text.stderr
    assert "warning: facilities, category: no facility of category 'health' in the data set: its " \
           "coverage is 0 %" in text.stderr.splitlines()
    assert "without geometry were left out" in text.stderr and "karaoke" in text.stderr
    assert "without geometry" not in text.stdout  # the summary table stays clean

    site = _json(done["site"])
    assert site["covered_before"] == 0  # no health facility left
    messages = [p["message"] for p in site["problems"]]
    assert "no existing facility of category 'health': every resident counts as outside its circle" \
        in messages
    assert any("karaoke" in m for m in messages) and any("without geometry" in m for m in messages)
    assert "karaoke" in done["site"].stderr

    export = done["export"]
    assert export.returncode == 0, export.stderr
    assert export.stdout.strip() == f"wrote {gpkg}"
    assert "karaoke" in export.stderr and "without geometry were left out" in export.stderr


def test_help_is_fast_and_loads_no_engine(python_exe: str) -> None:
    # --help imports the command modules only: no pandas, geopandas or HiGHS.
    code = ("import sys, contextlib, io\n"
            "from planning.__main__ import main\n"
            "for c in ('analyze', 'site', 'export'):\n"
            "    with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
            "        main([c, '--help'])\n"
            "print(sorted(m for m in ('pandas', 'geopandas', 'highspy', 'numpy', 'scipy') if m in sys.modules))\n")
    done = subprocess.run([python_exe, "-c", code], cwd=ROOT, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("argv,words", [
    (["site", "--category", "health", "--new-sites", "1", "--model", "median"],
     "error: --model 'median' is not known. use one of mclp, lscp, pmedian."),
    (["analyze", "--profile", "athlete"], "error: --profile 'athlete' is not known. use one of standard, elderly."),
    (["export", "--format", "gpkg", "--out", "x.gpkg", "--coords", "utm"],
     "error: --coords 'utm' is not known. use one of wgs84, cgcs2000, gcj02, bd09."),
])
def test_shared_choices_refuse_in_one_line(python_exe: str, tmp_path: Path, argv: list[str], words: str) -> None:
    done = subprocess.run([python_exe, "-m", "planning", *argv], cwd=tmp_path, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == words + "\n"
