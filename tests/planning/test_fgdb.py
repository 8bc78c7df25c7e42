"""File Geodatabase export: reopened with GDAL (pyogrio, GDAL's C API, and Debian's GDAL Python
bindings where installed), its field aliases, values in the chosen language and its file name."""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

import pyogrio
import pytest
from pyproj import CRS

from geo._errors import DataError
from planning.__main__ import main
from planning.output import export
from planning.output._gdal import field_aliases, gdal_library
from planning.output.fgdb import crs_tag, fgdb_file_name, write_fgdb
from planning.output.layers import output_crs
from tests.planning import _export_layers as fx

SYSTEM_PYTHON = Path("/usr/bin/python3")
needs_aliases = pytest.mark.skipif(gdal_library() is None,
                                   reason="pyogrio's GDAL is older than 3.7 (no field aliases)")
_OSGEO_READER = """
import json, sys
from osgeo import ogr
ds = ogr.Open(sys.argv[1])
out = {}
for i in range(ds.GetLayerCount()):
    layer = ds.GetLayer(i)
    d = layer.GetLayerDefn()
    out[layer.GetName()] = {d.GetFieldDefn(j).GetName(): d.GetFieldDefn(j).GetAlternativeName()
                            for j in range(d.GetFieldCount())}
print(json.dumps(out, ensure_ascii=False))
"""


def _system_gdal() -> bool:
    if not SYSTEM_PYTHON.exists():
        return False
    done = subprocess.run([str(SYSTEM_PYTHON), "-c", "from osgeo import ogr"],
                          capture_output=True, check=False)
    return done.returncode == 0


@pytest.fixture(scope="module")
def gdb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fgdb") / "yushan_cgcs2000.gdb.zip"
    return write_fgdb(fx.layers(), out, tables=fx.tables(), crs="cgcs2000",
                      about={"dataset": "雨山区示例"})


def test_every_layer_and_table_reopens_with_its_coordinates(gdb: Path) -> None:
    layers = {str(n): g for n, g in pyogrio.list_layers(gdb)}
    assert layers == {"communities": "MultiPolygon", "facilities": "Point", "demand": "Point",
                      "circles": "MultiPolygon", "uncovered": "MultiPolygon",
                      "recommended_sites": "Point", "indicators": None,
                      "community_table": None, "category_summary": None, "export_info": None}
    info = pyogrio.read_info(gdb, layer="communities")
    assert CRS.from_user_input(info["crs"]).to_epsg() == 4490 and info["features"] == 3
    assert info["layer_metadata"]["ALIAS_NAME"] == "社区/村（含指标）"
    with zipfile.ZipFile(gdb) as zf:
        names = zf.namelist()
        readme = zf.read("README.txt").decode("utf-8-sig")
    assert "README.txt" in names and all(n == "README.txt" or n.startswith("yushan_cgcs2000.gdb/")
                                         for n in names)
    assert "EPSG:4490" in readme and "yushan_cgcs2000.gdb" in readme


def test_values_in_chinese_and_numbers_as_a_planner_writes_them(gdb: Path) -> None:
    communities = pyogrio.read_dataframe(gdb, layer="communities").set_index("community_id")
    assert communities.loc["C2", "kind"] == "农村社区（村）"
    assert communities.loc["C1", "households"] == 1900 and communities.loc["C2", "population"] == 830
    facilities = pyogrio.read_dataframe(gdb, layer="facilities")
    assert set(facilities["category"]) == {"社区客厅", "养老服务站", "社区卫生服务站"}
    assert set(facilities["status"]) == {"现状"}
    demand = pyogrio.read_dataframe(gdb, layer="demand")
    assert set(demand["covered_elderly_care"]) == {"是", "否"}
    indicators = pyogrio.read_dataframe(gdb, layer="indicators")
    assert indicators["pass"].tolist() == ["否", "是"]


@needs_aliases
def test_fields_carry_their_chinese_aliases(gdb: Path) -> None:
    aliases = field_aliases(gdb)
    assert aliases["communities"]["coverage_pct_community_living_room"] == "社区客厅覆盖率(%)"
    assert aliases["communities"]["households"] == "户数"
    assert aliases["demand"]["minutes_elderly_care"] == "到养老服务站时间(分钟)"
    assert aliases["category_summary"]["covered_population"] == "圈内人口"
    assert aliases["export_info"]["note"] == "说明"
    assert all(alias for layer in aliases.values() for alias in layer.values())


@needs_aliases
@pytest.mark.skipif(not _system_gdal(), reason="Debian's GDAL Python bindings are not installed "
                    "(apt-get install python3-gdal)")
def test_another_gdal_reads_the_same_aliases(gdb: Path) -> None:
    done = subprocess.run([str(SYSTEM_PYTHON), "-c", _OSGEO_READER, str(gdb)],
                          capture_output=True, text=True, check=True)
    read = json.loads(done.stdout)
    assert read["communities"]["coverage_pct_community_living_room"] == "社区客厅覆盖率(%)"
    assert read == field_aliases(gdb)


@needs_aliases
def test_english_aliases_and_values_and_codes_kept_on_request(tmp_path: Path) -> None:
    out = write_fgdb(fx.layers(), tmp_path / "yushan_wgs84.gdb.zip", lang="en")
    assert field_aliases(out)["communities"]["kind"] == "Kind (urban/rural)"
    assert set(pyogrio.read_dataframe(out, layer="communities")["kind"]) == {"Urban community",
                                                                            "Rural village"}
    coded = export.export_layers(fx.layers(), fx.tables(), fmt="fgdb",
                                 out=tmp_path / "coded.gdb.zip", headers="key")
    assert set(pyogrio.read_dataframe(coded, layer="communities")["kind"]) == {"urban", "rural"}
    assert field_aliases(coded)["communities"]["kind"] == "类型(城市/农村)"


def test_file_name_carries_data_set_and_coordinates(tmp_path: Path) -> None:
    layers = fx.layers()  # near 118.4°E: the 3-degree zone of 117°E
    assert crs_tag(output_crs("cgcs2000-gk", layers)) == "cgcs2000_gk_117e"
    assert fgdb_file_name("xian", "cgcs2000", layers) == "xian_cgcs2000.gdb.zip"
    assert fgdb_file_name("雨山 区", "wgs84", layers) == "雨山_区_wgs84.gdb.zip"
    with pytest.raises(DataError, match="must end in .gdb.zip"):
        write_fgdb(layers, tmp_path / "overlays.zip")


def test_export_command_writes_a_file_geodatabase(tmp_path: Path, toy_dataset_dir: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "toy_cgcs2000.gdb.zip"
    code = main(["export", "--data", str(toy_dataset_dir), "--format", "fgdb", "--crs",
                 "cgcs2000", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    names = {str(n) for n, _ in pyogrio.list_layers(out)}
    assert {"communities", "facilities", "demand", "indicators", "community_table"} <= names
    communities = pyogrio.read_dataframe(out, layer="communities")
    assert sorted(communities["name"]) == sorted(["花山社区", "采石村", "金家庄社区", "新桥村"])
    assert set(communities["kind"]) <= {"城市社区", "农村社区（村）"}


def test_the_gdal_of_pyogrio_is_used_when_another_is_loaded() -> None:
    """rasterio brings its own libgdal; the aliases must go through the one pyogrio wrote with."""
    pytest.importorskip("rasterio")
    from planning.output import _gdal

    lib = _gdal._pyogrio_gdal()
    if lib is None:
        pytest.skip("pyogrio's libgdal is not a separate file here")
    assert _gdal._version(lib) == pyogrio.__gdal_version_string__
