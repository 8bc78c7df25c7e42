import json
import subprocess

from geo.__main__ import main
from tests.geo._toy import write_toy_dataset

ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]


def run(python_exe, *args):
    return subprocess.run([python_exe, "-m", "geo", "inspect", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_inspect_usable_data_set(python_exe, toy_dataset_dir):
    done = run(python_exe, toy_dataset_dir, "--json")
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout)
    layers = info["layers"]
    assert info["usable"] is True and info["crs"] == "EPSG:32650"
    assert layers["communities"]["count"] == 4
    assert layers["communities"]["kinds"] == {"urban": 2, "rural": 2}
    assert layers["facilities"]["categories"] == {
        "community_service_center": 1, "convenience_retail": 1, "elderly_care": 1, "health": 1}
    assert layers["population"]["total"] == 2610
    assert layers["population"]["outside_communities"] == 1
    assert layers["roads"] == {"file": "roads.geojson", "nodes": 121, "edges": 220, "km": 44.0}
    lon0, lat0, lon1, lat1 = layers["communities"]["bounds_wgs84"]
    assert 118.6 < lon0 < lon1 < 118.8 and 31.6 < lat0 < lat1 < 31.7
    assert any("outside every community" in p["message"] for p in info["problems"])



def test_inspect_text_output(toy_dataset_dir, capsys):
    assert main(["inspect", str(toy_dataset_dir)]) == 0
    out = capsys.readouterr().out
    assert "121 nodes" in out and "220 edges" in out and "44.0 km" in out
    assert "elderly_care" in out and "养老服务站" in out
    assert "people: 2,610" in out and "kinds: urban 2, rural 2" in out
    assert "[warning] population.geojson, population, community_id" in out


def test_inspect_unusable_data_set_exits_2_with_one_line(python_exe, tmp_path):
    folder = write_toy_dataset(tmp_path / "broken", skip=("facilities",))
    done = run(python_exe, folder)
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: broken: no facilities layer found")
    assert "Traceback" not in done.stderr


def test_inspect_unreadable_files(tmp_path, capsys):
    folder = write_toy_dataset(tmp_path / "broken")
    (folder / "facilities.geojson").write_text("{ not json", encoding="utf-8")
    assert main(["inspect", str(folder), "--json"]) == 2
    captured = capsys.readouterr()
    assert json.loads(captured.out)["usable"] is False
    assert captured.err.startswith("error: facilities.geojson: cannot be read")
    assert main(["inspect", str(tmp_path / "missing")]) == 2
    assert "no such file or folder" in capsys.readouterr().err
