"""Input the importer must refuse clearly, never with a traceback or a hang (issue 10): damaged
zips, zip bombs, NaN vertices, special files, and the messages that used to mislead.

Every hostile file is built here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo._errors import DataError
from geo.dataset import ValidationReport
from geo.dataset_loader import load_dataset
from geo.readers import extract_zip, read_vector
from tests.geo._toy import CRS, X0, Y0, toy_layers, write_toy_dataset

ROOT = Path(__file__).resolve().parents[2]


def zipped(folder: Path, archive: Path, *, compression=zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(archive, "w", compression=compression) as zf:
        for part in sorted(folder.iterdir()):
            zf.write(part, f"{folder.name}/{part.name}")
    return archive


def corrupt_member(archive: Path, member: str, *, at: float = 0.5) -> None:
    """Overwrite bytes in the middle of one member's stored data (its header stays intact)."""
    with zipfile.ZipFile(archive) as zf:
        info = zf.getinfo(member)
    data = bytearray(archive.read_bytes())
    name_len = int.from_bytes(data[info.header_offset + 26:info.header_offset + 28], "little")
    extra_len = int.from_bytes(data[info.header_offset + 28:info.header_offset + 30], "little")
    start = info.header_offset + 30 + name_len + extra_len
    middle = start + int(info.compress_size * at)
    data[middle:middle + 16] = bytes((b ^ 0x5A) for b in data[middle:middle + 16])
    archive.write_bytes(bytes(data))


def inspect_cli(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "geo", "inspect", str(path), "--json"],
                          capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


# ------------------------------------------------------------------------------ damaged zips
@pytest.mark.parametrize("compression, detail", [
    (zipfile.ZIP_STORED, "Bad CRC-32"), (zipfile.ZIP_DEFLATED, ""),
])
def test_damaged_zip_member_is_a_clear_error(tmp_path, toy_dataset_dir, compression, detail):
    archive = zipped(toy_dataset_dir, tmp_path / "toy.zip", compression=compression)
    corrupt_member(archive, "toy/communities.geojson")
    with pytest.raises(DataError, match=r"toy.zip: the archive is damaged: "
                       r"'toy/communities.geojson' cannot be unpacked \(.*" + detail):
        load_dataset(archive)
    with pytest.raises(DataError, match="the archive is damaged"):
        extract_zip(archive, tmp_path / "out")
    run = inspect_cli(archive)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert json.loads(run.stdout)["error"].startswith("toy.zip: the archive is damaged")


def test_encrypted_or_truncated_zip(tmp_path, toy_dataset_dir):
    archive = zipped(toy_dataset_dir, tmp_path / "toy.zip")
    cut = tmp_path / "cut.zip"
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    with pytest.raises(DataError, match="cut.zip: not a readable zip archive"):
        load_dataset(cut)
    data = bytearray(archive.read_bytes())
    with zipfile.ZipFile(archive) as zf:
        first = zf.infolist()[0]
    data[first.header_offset + 6] |= 0x01  # "encrypted" flag of the first member, also in
    central = data.index(b"PK\x01\x02")  # its central-directory entry, which zipfile reads
    data[central + 8] |= 0x01
    locked = tmp_path / "locked.zip"
    locked.write_bytes(bytes(data))
    with pytest.raises(DataError, match=r"locked.zip: 'toy/\S+' in the archive is encrypted "
                       r"\(password-protected\)\. Zip the files again without a password"):
        extract_zip(locked, tmp_path / "o")


# ------------------------------------------------------------------------------- zip limits
def test_many_zero_filled_members_are_refused(tmp_path):
    archive = tmp_path / "bomb.zip"
    block = bytes(10 * 1024**2)
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for i in range(8):  # 80 MiB from about 80 KB: each member alone stays below the floor
            zf.writestr(f"data/population_{i}.csv", block)
    assert archive.stat().st_size < 200_000
    with pytest.raises(DataError, match=r"bomb.zip: the archive unpacks [\d,]+-fold .*zip bomb"):
        extract_zip(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.csv"))


def test_archive_size_and_file_count_limits_are_settings(tmp_path, monkeypatch):
    from geo.settings import InputLimits

    archive = tmp_path / "many.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_STORED) as zf:
        for i in range(6):
            zf.writestr(f"f{i}.csv", os.urandom(1024 * 1024))  # incompressible 1 MiB each
    with pytest.raises(DataError, match=r"many.zip: the archive holds 6 files, more than the 5 "
                       "allowed"):
        extract_zip(archive, tmp_path / "a", limits=InputLimits(max_archive_files=5))
    with pytest.raises(DataError, match=r"many.zip: the archive expands to more than 4 MiB, "
                       r"the limit for one archive"):
        extract_zip(archive, tmp_path / "b", limits=InputLimits(max_unpacked_bytes=4 * 1024**2))
    extract_zip(archive, tmp_path / "c")  # 6 MiB is fine by default
    monkeypatch.setenv("SERVICE_CIRCLES_MAX_UNPACKED_MB", "3")
    monkeypatch.setenv("SERVICE_CIRCLES_MAX_ARCHIVE_FILES", "50")
    limits = InputLimits.from_environment()
    assert (limits.max_unpacked_bytes, limits.max_archive_files) == (3 * 1024**2, 50)


# ------------------------------------------------------------------------------- geometries
def test_nan_vertex_in_a_polygon_is_named(tmp_path):
    from geo import _validate

    communities = toy_layers()["communities"]
    ring = [(X0, Y0), (X0 + 1000, Y0), (np.nan, Y0 + 1000), (X0, Y0 + 1000), (X0, Y0)]
    with np.errstate(invalid="ignore"):  # shapely warns about the NaN as it builds the ring
        communities.loc[1, "geometry"] = shapely.Polygon(ring)
    with pytest.raises(DataError, match=r"c.gpkg, layer 'communities': 1 feature\(s\) have "
                       r"coordinates that are not numbers \(NaN or infinite\) \(feature 2\)\. "
                       "Correct or delete these features"):
        _validate.validate_communities(communities, report=ValidationReport(), file="c.gpkg")
    path = tmp_path / "communities.gpkg"
    communities.to_file(path, layer="communities")
    with pytest.raises(DataError, match=r"communities.gpkg: 1 feature\(s\) have coordinates "
                       r"that are not numbers"):
        read_vector(path)


def test_infinite_or_far_coordinates_are_reported_where_they_are(tmp_path):
    csv = tmp_path / "facilities.csv"
    csv.write_text("facility_id,lon,lat\nF1,118.5,31.7\nF2,inf,31.7\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"facilities.csv, column 'lon': 1 value\(s\) are "
                       r"infinite or not a number \(line 3: 'inf'\)"):
        read_vector(csv)
    gpkg = tmp_path / "facilities.gpkg"
    gpd.GeoDataFrame({"facility_id": ["F1", "F2"]},
                     geometry=shapely.points([(118.5, 31.7), (np.inf, 31.7)]), crs=4326
                     ).to_file(gpkg)
    with pytest.raises(DataError, match=r"facilities.gpkg: 1 feature\(s\) have coordinates "
                       r"that are not numbers \(NaN or infinite\) \(feature 2\)"):
        read_vector(gpkg)
    far = tmp_path / "candidates.csv"
    far.write_text("candidate_id,x,y\nK1,118.5,31.7\nK2,1185067,31.7\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"candidates.csv: the layer has no projection and its "
                       r"coordinates \(1185067, 32\) are not lon/lat degrees \(first at line 3\)"):
        read_vector(far)


# ------------------------------------------------------------------------------- special files
def test_fifo_dataset_toml_is_refused_without_hanging(tmp_path, toy_dataset_dir):
    toml = toy_dataset_dir / "dataset.toml"
    toml.unlink()
    os.mkfifo(toml)
    run = inspect_cli(toy_dataset_dir)  # timeout=120: a hang fails the test
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "dataset.toml: is not a regular file" in json.loads(run.stdout)["error"]
    toml.unlink()
    facilities = toy_dataset_dir / "facilities.geojson"
    facilities.unlink()
    os.mkfifo(toy_dataset_dir / "facilities.csv")
    with pytest.raises(DataError, match=r"facilities.csv: is a pipe \(FIFO\), not a regular file"):
        load_dataset(toy_dataset_dir)


def test_toml_given_as_a_layer(tmp_path, toy_dataset_dir):
    toml = tmp_path / "facilities.toml"
    toml.write_text('name = "x"\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"facilities.toml: describes a data set \(dataset.toml\); "
                       "it is not a layer"):
        read_vector(toml)
    (toy_dataset_dir / "facilities.geojson").rename(toy_dataset_dir / "facilities.toml")
    with pytest.raises(DataError, match=r"no facilities layer found \(layers found: .*; the data "
                       r"set also holds: .*facilities.toml"):
        load_dataset(toy_dataset_dir)


# ------------------------------------------------------------------------- misleading messages
def test_empty_feature_collection_is_said_to_be_empty(tmp_path, toy_dataset_dir):
    (toy_dataset_dir / "facilities.geojson").write_text(
        '{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    with pytest.raises(DataError, match=r"facilities.geojson, layer 'facilities': the layer has "
                       r"no features \(it is empty\)") as info:
        load_dataset(toy_dataset_dir)
    assert "no columns" not in str(info.value)


def test_geopackage_with_other_layer_names(tmp_path):
    layers = toy_layers()
    path = tmp_path / "data.gpkg"
    for name, inner in (("communities", "layer_a"), ("facilities", "layer_b"),
                        ("roads", "layer_c")):
        layers[name].to_file(path, layer=inner)
    with pytest.raises(DataError, match=r"data.gpkg: no communities / facilities / roads layer "
                       r"found \(layers found: none; the data set also holds: data.gpkg "
                       r"\(layers layer_a, layer_b, layer_c\)\).*\[layers\] communities ="):
        load_dataset(path)
    (tmp_path / "dataset.toml").write_text(
        '[layers]\ncommunities = "layer_a"\nfacilities = "layer_b"\nroads = "layer_c"\n',
        encoding="utf-8")
    ds = load_dataset(path)
    assert list(ds.communities["community_id"]) == ["C1", "C2", "C3", "C4"]
    # pinyin and Chinese names are recognised without a mapping
    (tmp_path / "dataset.toml").unlink()
    pinyin = tmp_path / "pinyin"
    pinyin.mkdir()
    for name, inner in (("communities", "shequ"), ("facilities", "sheshi"), ("roads", "道路")):
        layers[name].to_file(pinyin / "data.gpkg", layer=inner)
    ds = load_dataset(pinyin)
    assert len(ds.facilities) == 4 and ds.roads.n_edges == 220
    (note,) = [p for p in ds.report.problems if p.key == "layers.aliased"]
    assert ["data.gpkg (layer shequ)", "communities"] in note.values["renames"]


# ------------------------------------------------------------------------------- language
def test_every_problem_of_a_load_has_zh_and_en_texts(tmp_path):
    from geo.texts import TEXTS, problem_text

    layers = toy_layers()
    folder = write_toy_dataset(tmp_path / "t", toml='name = "t"\nextra = 1\n')
    population = layers["population"].to_crs(4326)
    population["population"] = population["population"].astype(object)
    population.loc[0, "population"] = None
    population.to_file(folder / "population.geojson", driver="GeoJSON")
    ds = load_dataset(folder)
    assert len(ds.report.problems) >= 4
    for problem in ds.report.problems:
        assert problem.key in TEXTS, problem
        assert problem_text(problem, "en", control="cli") == problem.message
        zh = problem_text(problem, "zh")
        assert any("\u4e00" <= ch <= "\u9fff" for ch in zh)
        assert "line" not in zh and "feature" not in zh and "left out" not in zh
    (blank,) = [p for p in ds.report.problems if p.key == "population.blank"]
    assert problem_text(blank, "zh") == "1 个点没有人口数，已略去（第 1 个要素）"


def test_templates_have_the_same_fields_in_both_languages():
    import string

    from geo.texts import TEXTS

    def fields(template):  # a key's worded and raw forms (system / system_key) count as one
        names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
        names -= {"ies", "digits"}  # English plural endings and number formats
        return {n.removesuffix("_key").removesuffix("_zh").replace("layer_name", "layer")
                for n in names}

    for key, (en, zh) in TEXTS.items():
        assert fields(en) == fields(zh), key


def test_data_errors_with_a_key_speak_chinese(tmp_path):
    from geo.texts import error_text

    path = tmp_path / "population.csv"
    path.write_text("lon,lat,population\n118.5,31.7,\"12,5\"\n", encoding="utf-8")
    gdf = read_vector(path).to_crs(CRS)
    from geo import _validate

    communities = _validate.validate_communities(toy_layers()["communities"],
                                                 report=ValidationReport())
    with pytest.raises(DataError) as info:
        _validate.validate_population(gdf, communities, report=ValidationReport(),
                                      file="population.csv")
    assert error_text(info.value, "zh") == (
        "population.csv，图层“人口”，列“population”：1 个值中的逗号不是千位分隔符（第 2 行：“12,5”）。"
        "小数请用小数点（12.5），千位不分隔或写成 1,234,567。")
    assert error_text(info.value, "en") == str(info.value)


def test_population_frame_with_text_values_keeps_row_numbers():
    frame = pd.DataFrame({"population": ["1", "x"]})
    gdf = gpd.GeoDataFrame(frame, geometry=shapely.points([(X0, Y0), (X0 + 1, Y0)]), crs=CRS)
    from geo import _validate

    with pytest.raises(DataError, match=r"line 3: 'x'"):
        _validate.parse_numbers(gdf["population"], column="population", layer="population",
                                file="p.csv")


def test_no_input_reaches_eval_pickle_or_a_shell():
    import re

    banned = re.compile(r"\beval\(|\bexec\(|\bpickle\b|\bmarshal\b|\bshelve\b|\bsubprocess\b|"
                        r"os\.system|os\.popen|shell=True|yaml\.load|__import__\(")
    found = [f"{path.name}:{i}" for path in sorted((ROOT / "geo").glob("*.py"))
             for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if banned.search(line)]
    assert found == []
    # the one binary cache the readers load refuses pickled objects
    assert "allow_pickle=False" in (ROOT / "geo" / "network.py").read_text(encoding="utf-8")


def test_found_by_fuzzing(tmp_path):
    # metres far outside the UTM zone have no lon/lat (pyproj gives inf)
    far = tmp_path / "facilities.geojson"
    far.write_text('{"type": "FeatureCollection", "crs": {"type": "name", "properties": '
                   '{"name": "EPSG:32650"}}, "features": [{"type": "Feature", "properties": {}, '
                   '"geometry": {"type": "Point", "coordinates": [17197654.0, 0.0]}}]}',
                   encoding="utf-8")
    with pytest.raises(DataError, match=r"facilities.geojson: 1 feature\(s\) lie outside the area "
                       r"of the layer's projection \(WGS 84 / UTM zone 50N\) and have no lon/lat "
                       r"\(feature 1\)"):
        read_vector(far)
    # a line of one point
    line = tmp_path / "roads.geojson"
    line.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", '
                    '"properties": {}, "geometry": {"type": "LineString", "coordinates": '
                    '[[0.0, 0.0]]}}]}', encoding="utf-8")
    with pytest.raises(DataError, match="roads.geojson: a geometry in the file is malformed"):
        read_vector(line)
    # two headers that read as the same column
    twice = tmp_path / "candidates.csv"
    twice.write_text("lon,lat,LON \n118.5,31.7,118.6\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"candidates.csv: the header names the same column more "
                       r"than once \('lon', 'LON '\)"):
        read_vector(twice)
    # a .cpg holding a NUL byte
    from tests.geo.test_input_classes import gbk_shapefile

    path = gbk_shapefile(tmp_path / "shp", "UTF\x00-8")
    assert read_vector(path)["name"].tolist() == ["花山社区", "采石村", "金家庄社区"]


def test_load_errors_speak_chinese(tmp_path, toy_dataset_dir):
    from geo.texts import error_text

    (toy_dataset_dir / "roads.geojson").unlink()
    with pytest.raises(DataError) as missing:
        load_dataset(toy_dataset_dir)
    zh = error_text(missing.value, "zh")
    assert zh.startswith("toy：没有找到道路图层（已识别的图层：candidates.geojson、communities.geojson")
    assert "数据集中还有：dataset.toml" in zh and "[layers] roads" in zh
    archive = zipped(write_toy_dataset(tmp_path / "z"), tmp_path / "z.zip",
                     compression=zipfile.ZIP_STORED)
    corrupt_member(archive, "z/facilities.geojson")
    with pytest.raises(DataError) as damaged:
        load_dataset(archive)
    assert error_text(damaged.value, "zh").startswith(
        "z.zip：压缩包已损坏：“z/facilities.geojson”无法解压（")
    assert error_text(damaged.value, "zh").endswith("请重新上传或复制该压缩包（可能不完整），或重新打包。")


def test_damaged_prj_found_by_fuzzing(tmp_path):
    from tests.geo.test_input_classes import gbk_shapefile

    path = gbk_shapefile(tmp_path, None)
    prj = path.with_suffix(".prj")
    data = bytearray(prj.read_bytes())
    data[len(data) // 4] ^= 0x80  # one byte turned into non-ASCII
    prj.write_bytes(bytes(data))
    try:
        gdf = read_vector(path)
    except DataError as exc:
        assert str(exc).startswith("communities.shp: ")
    else:
        assert gdf.crs.to_epsg() == 4326


def test_layers_mapping_with_a_name_too_long_for_the_file_system(toy_dataset_dir):
    (toy_dataset_dir / "dataset.toml").write_text(f'[layers]\nroads = "{"x" * 300}"\n',
                                                  encoding="utf-8")
    with pytest.raises(DataError, match=r"dataset.toml: \[layers\] roads = \"x+\" names no file"):
        load_dataset(toy_dataset_dir)
    (toy_dataset_dir / "dataset.toml").write_text('[layers]\nroads = "../toy/roads.geojson"\n',
                                                  encoding="utf-8")
    with pytest.raises(DataError, match="names no file"):  # no paths out of the folder
        load_dataset(toy_dataset_dir)
