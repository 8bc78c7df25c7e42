"""Exports opened again with GDAL: layer names, feature counts, CRS, Chinese text, field maps."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest
from pyproj import CRS, Transformer

from geo._errors import DataError
from geo.coords import wgs84_to_gcj02
from planning.output import export
from planning.output._shapefile import short_field_names
from tests.planning import _export_layers as fx

LAYER_NAMES = ["communities", "facilities", "demand", "circles", "uncovered", "recommended_sites"]
TO_WGS84 = Transformer.from_crs(fx.CRS_UTM, 4326, always_xy=True)


@pytest.fixture
def layers() -> dict[str, gpd.GeoDataFrame]:
    return fx.layers()


@pytest.fixture
def tables() -> dict[str, pd.DataFrame]:
    return fx.tables()


def _wgs84_of(gdf: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    return TO_WGS84.transform(gdf.geometry.x.to_numpy(), gdf.geometry.y.to_numpy())


# --- field names ------------------------------------------------------------------------------


def test_short_field_names_by_hand() -> None:
    names = short_field_names(["name", "coverage_pct_community_living_room",
                               "coverage_pct_elderly_care", "complete_circle_pct",
                               "floor_area_per_100_households", "population"])
    assert names == {"name": "name", "coverage_pct_community_living_room": "cov_clr",
                     "coverage_pct_elderly_care": "cov_eld", "complete_circle_pct": "full_circ",
                     "floor_area_per_100_households": "fa_100hh", "population": "population"}


def test_short_field_names_unique_when_truncation_collides() -> None:
    columns = [f"unknown_measure_{i:02d}" for i in range(25)] + ["UNKNOWN_MEASURE_X", "unknownmea"]
    names = short_field_names(columns)
    assert list(names) == columns
    shorts = list(names.values())
    assert all(len(s.encode()) <= 10 for s in shorts)
    assert len({s.lower() for s in shorts}) == len(shorts)  # dBASE ignores case
    # "unknown_measure_00" → words joined without "_" → cut to 10: "unknownmea"; the next ones
    # collide with it and are numbered, keeping 10 characters.
    assert shorts[0] == "unknownmea"
    assert shorts[1] == "unknownm_1"
    assert shorts[10] == "unknown_10"
    assert names["UNKNOWN_MEASURE_X"] == "UNKNOWN_25"  # case-insensitive collision
    # The last column is exactly the first one's short name: it is numbered too.
    assert names["unknownmea"] == "unknown_26"


def test_short_field_names_count_bytes_of_chinese() -> None:
    # 3 bytes per character in UTF-8, 2 in GBK; never cut inside a character.
    assert short_field_names(["服务人口数量"], encoding="utf-8") == {"服务人口数量": "服务人"}
    assert short_field_names(["服务人口数量"], encoding="gbk") == {"服务人口数量": "服务人口数"}


# --- output CRS -------------------------------------------------------------------------------


def test_output_crs_choices(layers: dict[str, gpd.GeoDataFrame]) -> None:
    assert export.output_crs("wgs84", layers).crs.to_epsg() == 4326
    assert export.output_crs("cgcs2000", layers).crs.to_epsg() == 4490
    # 118.4°E is nearest the 117°E central meridian: 4534 + (117 − 75) / 3 = 4548.
    gk = export.output_crs("cgcs2000-gk", layers)
    assert gk.crs.to_epsg() == 4548 and "117°E" in gk.note_zh
    assert "GCJ-02" in export.output_crs("gcj02", layers).note
    with pytest.raises(DataError, match="unknown output coordinate system"):
        export.output_crs("bd09", layers)


def test_gauss_kruger_outside_china_names_an_export_choice(layers) -> None:
    # The fix used to say "Use the UTM zone CRS", which is no choice of --crs.
    abroad = {name: gdf.to_crs(4326).translate(-109.0, 15.5).set_crs(4326, allow_override=True)
              for name, gdf in layers.items()}  # near Vaduz, 9.4°E 47.2°N
    with pytest.raises(DataError) as caught:
        export.output_crs("cgcs2000-gk", abroad)
    assert re.fullmatch(r"longitude 9\.4\d\d is outside China's CGCS2000 3-degree zones "
                        r"\(73\.5°E–136\.5°E\)\. export with --crs wgs84 or cgcs2000 "
                        r"\(longitude/latitude\) instead\.", str(caught.value))
    assert export.output_crs("cgcs2000", abroad).crs.to_epsg() == 4490


# --- GeoPackage -------------------------------------------------------------------------------


@pytest.mark.parametrize("crs,epsg", [("wgs84", 4326), ("cgcs2000", 4490),
                                      ("cgcs2000-gk", 4548), ("gcj02", 4326)])
def test_gpkg_layers_counts_crs(tmp_path: Path, layers, tables, crs: str, epsg: int) -> None:
    out = export.write_gpkg(layers, tmp_path / "result.gpkg", tables=tables, crs=crs)
    listed = {str(n): g for n, g in pyogrio.list_layers(out)}
    for name in LAYER_NAMES:
        info = pyogrio.read_info(out, layer=name)
        assert info["features"] == len(layers[name]), name
        assert CRS.from_user_input(info["crs"]).to_epsg() == epsg
        assert info["layer_metadata"]["crs_key"] == crs
    for name in ("indicators", "community_table", "category_summary", "export_info",
                 "field_labels", "layer_styles"):
        assert listed[name] is None  # attribute tables
    assert listed["communities"] == "MultiPolygon" and listed["facilities"] == "Point"

    facilities = pyogrio.read_dataframe(out, layer="facilities")
    assert list(facilities["name"]) == list(layers["facilities"]["name"])
    lon, lat = _wgs84_of(layers["facilities"])
    if crs == "gcj02":
        glon, glat = wgs84_to_gcj02(lon, lat)
        np.testing.assert_allclose(facilities.geometry.x, glon, atol=1e-9)
        np.testing.assert_allclose(facilities.geometry.y, glat, atol=1e-9)
        assert np.all(np.abs(facilities.geometry.x - lon) > 1e-3)  # really shifted (~500 m)
        assert "GCJ-02" in pyogrio.read_info(out, layer="facilities")["layer_metadata"][
            "DESCRIPTION"]
    elif crs in ("wgs84", "cgcs2000"):
        np.testing.assert_allclose(facilities.geometry.x, lon, atol=1e-9)
        np.testing.assert_allclose(facilities.geometry.y, lat, atol=1e-9)
    else:
        gx, gy = Transformer.from_crs(4326, 4548, always_xy=True).transform(lon, lat)
        np.testing.assert_allclose(facilities.geometry.x, gx, atol=1e-3)
        np.testing.assert_allclose(facilities.geometry.y, gy, atol=1e-3)

    info_rows = pyogrio.read_dataframe(out, layer="export_info")
    assert export.output_crs(crs, layers).note_zh in set(info_rows["value"])


def test_gpkg_values_round_trip(tmp_path: Path, layers, tables) -> None:
    out = export.write_gpkg(layers, tmp_path / "result.gpkg", tables=tables)
    demand = pyogrio.read_dataframe(out, layer="demand")
    minutes = demand["minutes_community_living_room"]
    assert minutes.isna().tolist() == [False, False, False, True, False, False]  # inf → NULL
    assert demand["covered_community_living_room"].tolist() == [True, True, True, False, True,
                                                                 False]
    communities = pyogrio.read_dataframe(out, layer="communities")
    assert communities["missed_targets"].tolist() == ["", "社区客厅覆盖率; 养老服务覆盖率",
                                                      "养老服务覆盖率"]
    # The holed village polygon keeps its hole: area = 1000² − 200² + 300².
    assert communities.to_crs(fx.CRS_UTM).area.iloc[1] == pytest.approx(1_050_000, rel=1e-6)
    indicators = pyogrio.read_dataframe(out, layer="indicators")
    assert indicators["communities_missing"].tolist() == ["前进村; 雨山社区", ""]
    community_table = pyogrio.read_dataframe(out, layer="community_table")
    assert community_table["community_id"].tolist() == ["C1", "C2", "C3"]
    labels = pyogrio.read_dataframe(out, layer="field_labels")
    row = labels[(labels.layer == "communities")
                 & (labels.field == "coverage_pct_community_living_room")]
    assert row["label_zh"].item() == "社区客厅覆盖率(%)"


def test_gpkg_layer_styles_are_qml(tmp_path: Path, layers) -> None:
    out = export.write_gpkg(layers, tmp_path / "styled.gpkg")
    styles = pyogrio.read_dataframe(out, layer="layer_styles")
    by_layer = dict(zip(styles["f_table_name"], styles["styleQML"]))
    assert set(by_layer) == {"communities", "facilities", "circles", "uncovered", "demand",
                             "recommended_sites"}
    renderer = ET.fromstring(by_layer["communities"]).find("renderer-v2")
    assert renderer.get("type") == "graduatedSymbol"
    assert renderer.get("attr") == "complete_circle_pct"
    assert [r.get("upper") for r in renderer.iter("range")] == ["50", "80", "95", "100"]
    facilities = ET.fromstring(by_layer["facilities"]).find("renderer-v2")
    values = [c.get("value") for c in facilities.iter("category")]
    assert values == ["community_living_room", "elderly_care", "health"]
    colours = [o.get("value") for o in facilities.iter("Option") if o.get("name") == "color"]
    assert colours[0] == "255,127,14,255"  # taxonomy colour of 社区客厅, #ff7f0e


def test_gpkg_keeps_old_file_when_export_fails(tmp_path: Path, layers) -> None:
    out = tmp_path / "result.gpkg"
    out.write_bytes(b"previous export")
    bad = dict(layers, **{"bad name": layers["facilities"]})
    with pytest.raises(DataError, match="cannot be used as a file or table name"):
        export.write_gpkg(bad, out)
    assert out.read_bytes() == b"previous export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result.gpkg"]
    export.write_gpkg(layers, out)
    assert pyogrio.read_info(out, layer="communities")["features"] == 3


@pytest.mark.parametrize(
    ("write", "name", "expected"),
    [
        ("gpkg", "result.shp", "a GeoPackage export must end in .gpkg. change the file name to "
                               "result.gpkg."),
        ("gpkg", "result", "a GeoPackage export must end in .gpkg"),
        ("shp", "result.gpkg", "a Shapefile export is a .zip of the layers' files and must end in "
                               ".zip. change the file name to result.zip."),
        ("xlsx", "result.csv", "an Excel export must end in .xlsx. change the file name to "
                               "result.xlsx."),
    ],
)
def test_gpkg_shapefile_and_xlsx_refuse_a_misleading_file_name(tmp_path: Path, layers, tables,
                                                               write: str, name: str,
                                                               expected: str) -> None:
    # These used to write a GeoPackage called .shp, a zip called .gpkg or a workbook called
    # .csv, which GIS tools and Excel then fail to open; the other formats already refused.
    out = tmp_path / name
    with pytest.raises(DataError) as caught:
        if write == "gpkg":
            export.write_gpkg(layers, out)
        elif write == "shp":
            export.write_shapefile_zip(layers, out)
        else:
            export.write_xlsx(tables, out)
    assert str(caught.value).startswith(f"{out}: {expected}")
    assert list(tmp_path.iterdir()) == []
    # The right ending (any case) is written as before.
    right = out.with_suffix({"gpkg": ".GPKG", "shp": ".zip", "xlsx": ".xlsx"}[write])
    if write == "gpkg":
        assert pyogrio.read_info(export.write_gpkg(layers, right), layer="communities")["features"] == 3
    elif write == "shp":
        assert zipfile.is_zipfile(export.write_shapefile_zip(layers, right))
    else:
        assert openpyxl.load_workbook(export.write_xlsx(tables, right)).sheetnames[0] == "指标与目标"


# --- Shapefile --------------------------------------------------------------------------------


def _unzip(path: Path, folder: Path) -> list[str]:
    with zipfile.ZipFile(path) as zf:
        zf.extractall(folder)
        return sorted(zf.namelist())


@pytest.mark.parametrize("encoding,codec", [("utf-8", "utf-8"), ("gbk", "gbk")])
def test_shapefile_zip_round_trip(tmp_path: Path, layers, tables, encoding: str,
                                  codec: str) -> None:
    out = export.write_shapefile_zip(layers, tmp_path / "result.zip", tables=tables,
                                     crs="cgcs2000", encoding=encoding)
    folder = tmp_path / "unzipped"
    names = _unzip(out, folder)
    for layer in LAYER_NAMES:
        for suffix in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
            assert f"{layer}{suffix}" in names
        assert f"{layer}_fields.csv" in names
    assert {"README.txt", "indicators.csv", "community_table.csv"} <= set(names)
    assert (folder / "communities.cpg").read_text().strip() == {"utf-8": "UTF-8",
                                                                 "gbk": "GBK"}[encoding]
    readme = (folder / "README.txt").read_text(encoding="utf-8-sig")
    assert "EPSG:4490" in readme and encoding.upper() in readme

    # The dBASE bytes are really in the chosen encoding.
    dbf = (folder / "communities.dbf").read_bytes()
    assert "和平社区".encode(codec) in dbf
    if encoding == "gbk":
        assert "和平社区".encode("utf-8") not in dbf

    for layer in LAYER_NAMES:
        shp = folder / f"{layer}.shp"
        info = pyogrio.read_info(shp)
        assert info["features"] == len(layers[layer])
        assert CRS.from_user_input(info["crs"]).to_epsg() == 4490
        assert all(len(f.encode(codec)) <= 10 for f in info["fields"])
        fields = pd.read_csv(folder / f"{layer}_fields.csv", encoding="utf-8-sig")
        assert list(fields["short_name"]) == list(info["fields"])
        full = [c for c in layers[layer].columns if c != "geometry"]
        assert list(fields["full_name"]) == full

    # Read through the .cpg, and with the encoding given explicitly, as Chinese GIS users do.
    via_cpg = pyogrio.read_dataframe(folder / "communities.shp")
    explicit = pyogrio.read_dataframe(folder / "communities.shp",
                                      encoding="cp936" if encoding == "gbk" else "utf-8")
    for frame in (via_cpg, explicit):
        assert frame["name"].tolist() == ["和平社区", "前进村", "雨山社区"]
        assert frame["missed"].tolist()[1] == "社区客厅覆盖率; 养老服务覆盖率"
        assert frame["cov_clr"].tolist() == [100.0, 42.5, 81.0]
    facilities = pyogrio.read_dataframe(folder / "facilities.shp")
    assert facilities["name"].tolist() == list(layers["facilities"]["name"])
    lon, lat = _wgs84_of(layers["facilities"])
    np.testing.assert_allclose(facilities.geometry.x, lon, atol=1e-9)
    indicators = pd.read_csv(folder / "indicators.csv", encoding="utf-8-sig")
    assert indicators["name_zh"].tolist()[0] == "社区客厅服务圈人口覆盖率"


def test_shapefile_gbk_rejects_characters_gbk_cannot_store(tmp_path: Path, layers) -> None:
    out = tmp_path / "result.zip"
    out.write_bytes(b"previous")
    layers["facilities"].loc[1, "name"] = "𠀀字社区"  # CJK Extension B: not in GBK
    with pytest.raises(DataError) as err:
        export.write_shapefile_zip(layers, out, encoding="gbk")
    message = str(err.value)
    assert "facilities" in message and "'name'" in message and "--encoding utf-8" in message
    assert out.read_bytes() == b"previous"
    export.write_shapefile_zip(layers, out, encoding="utf-8")  # UTF-8 stores it
    folder = tmp_path / "u"
    _unzip(out, folder)
    assert pyogrio.read_dataframe(folder / "facilities.shp")["name"][1] == "𠀀字社区"


def test_shapefile_long_text_is_cut_and_said(tmp_path: Path, layers) -> None:
    layers["facilities"].loc[0, "name"] = "长" * 200  # 400 bytes in GBK
    out = export.write_shapefile_zip(layers, tmp_path / "r.zip", encoding="gbk")
    folder = tmp_path / "u"
    _unzip(out, folder)
    name = pyogrio.read_dataframe(folder / "facilities.shp")["name"][0]
    assert name.endswith("…") and len(name.encode("gbk")) <= 254
    assert name.startswith("长" * 100)
    readme = (folder / "README.txt").read_text(encoding="utf-8-sig")
    assert "facilities.name" in readme and "254" in readme
    fields = pd.read_csv(folder / "facilities_fields.csv", encoding="utf-8-sig")
    assert "254" in fields.set_index("full_name").loc["name", "note"]


def test_shapefile_empty_layer_keeps_its_kind(tmp_path: Path, layers) -> None:
    # Everyone covered: no residents outside (points), and a category without circles.
    layers["uncovered"] = layers["demand"].iloc[0:0]
    layers["circles"] = layers["circles"].iloc[0:0]
    out = export.write_shapefile_zip(layers, tmp_path / "r.zip")
    folder = tmp_path / "u"
    _unzip(out, folder)
    info = pyogrio.read_info(folder / "uncovered.shp")
    assert info["features"] == 0 and info["geometry_type"] == "Point"
    info = pyogrio.read_info(folder / "circles.shp")
    assert info["features"] == 0 and info["geometry_type"] in ("Polygon", "MultiPolygon")


def test_circle_collections_keep_their_polygons(tmp_path: Path, layers) -> None:
    from shapely.geometry import GeometryCollection, LineString

    circles = layers["circles"]
    square = circles.geometry.iloc[1]
    touching = LineString([(square.bounds[2], square.bounds[1]), (square.bounds[2] + 50,
                                                                    square.bounds[1])])
    circles.loc[1, "geometry"] = GeometryCollection([square, touching])
    out = export.write_shapefile_zip(layers, tmp_path / "r.zip")
    folder = tmp_path / "u"
    _unzip(out, folder)
    back = pyogrio.read_dataframe(folder / "circles.shp").to_crs(fx.CRS_UTM)
    assert back.area.iloc[1] == pytest.approx(900 * 900, rel=1e-6)


# --- GeoJSON ----------------------------------------------------------------------------------


def test_geojson_zip_and_single(tmp_path: Path, layers) -> None:
    out = export.write_geojson(layers, tmp_path / "r.zip", crs="cgcs2000-gk")
    folder = tmp_path / "u"
    names = _unzip(out, folder)
    assert names == sorted(["README.txt", *(f"{n}.geojson" for n in LAYER_NAMES)])
    for name in LAYER_NAMES:
        info = pyogrio.read_info(folder / f"{name}.geojson")
        assert info["features"] == len(layers[name])
        assert CRS.from_user_input(info["crs"]).to_epsg() == 4548
    single = export.write_geojson(layers, tmp_path / "sites.geojson", layer="recommended_sites")
    sites = pyogrio.read_dataframe(single)
    assert sites["name"].tolist() == ["原前进村委会闲置用房", "生成候选点1"]
    assert CRS.from_user_input(pyogrio.read_info(single)["crs"]).to_epsg() == 4326
    with pytest.raises(DataError, match="holds one layer"):
        export.write_geojson(layers, tmp_path / "all.geojson")


# --- KML / KMZ --------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".kml", ".kmz"])
def test_kml_and_kmz(tmp_path: Path, layers, suffix: str) -> None:
    out = export.write_kml(layers, tmp_path / f"r{suffix}", crs="gcj02")
    path = f"/vsizip/{out}/doc.kml" if suffix == ".kmz" else out
    listed = [str(n) for n, _ in pyogrio.list_layers(path)]
    assert listed == LAYER_NAMES
    for name in LAYER_NAMES:
        assert pyogrio.read_info(path, layer=name)["features"] == len(layers[name])
    facilities = pyogrio.read_dataframe(path, layer="facilities")
    assert facilities["Name"].tolist() == list(layers["facilities"]["name"])
    lon, lat = _wgs84_of(layers["facilities"])
    glon, glat = wgs84_to_gcj02(lon, lat)
    np.testing.assert_allclose(facilities.geometry.x, glon, atol=1e-9)
    np.testing.assert_allclose(facilities.geometry.y, glat, atol=1e-9)
    # The village keeps its hole and its second part: 1000² − 200² + 300² m² (GCJ-02 shifts
    # and stretches a little, 0.2 % here; without the hole it would be 4 % more).
    communities = pyogrio.read_dataframe(path, layer="communities").to_crs(fx.CRS_UTM)
    assert communities.area.iloc[1] == pytest.approx(1_050_000, rel=5e-3)
    if suffix == ".kml":
        text = out.read_text(encoding="utf-8")
        assert "GCJ-02" in text  # the document says which coordinates these are
        assert "社区客厅覆盖率(%)" in text  # attribute labels in Chinese


def test_kml_escapes_text_and_writes_missing_values_empty(tmp_path: Path, layers) -> None:
    layers["facilities"]["status"] = pd.array(["existing", None, "planned", None], dtype="string")
    layers["facilities"].loc[0, "name"] = "A&B <和平> 社区客厅"
    out = export.write_kml(layers, tmp_path / "r.kml")
    root = ET.parse(out).getroot()  # well-formed XML
    ns = {"k": "http://www.opengis.net/kml/2.2"}
    status = [d.find("k:value", ns).text for d in root.iter(f"{{{ns['k']}}}Data")
              if d.get("name") == "status"]
    assert status == ["existing", None, "planned", None]  # NA → empty, never "<NA>"
    names = [p.find("k:name", ns).text for p in root.iter(f"{{{ns['k']}}}Placemark")]
    assert "A&B <和平> 社区客厅" in names
    facilities = pyogrio.read_dataframe(out, layer="facilities")
    assert facilities["Name"][0] == "A&B <和平> 社区客厅"
    # Communities are coloured by coverage class, like the GeoPackage style: 88 % → #fee08b.
    assert "ff8be0fe" in out.read_text(encoding="utf-8")


def test_kml_refuses_projected_coordinates(tmp_path: Path, layers) -> None:
    with pytest.raises(DataError, match="longitude/latitude only"):
        export.write_kml(layers, tmp_path / "r.kml", crs="cgcs2000-gk")


# --- CSV / XLSX -------------------------------------------------------------------------------


def test_csv_single_table_has_bom_and_chinese_headers(tmp_path: Path, tables) -> None:
    out = export.write_csv(tables, tmp_path / "indicators.csv")
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:4] == ["名称", "指标名称", "指标名称(英文)", "范围"]
    assert rows[0][7] == "是否达标" and rows[1][7] == "否" and rows[2][7] == "是"
    assert rows[1][8] == "前进村; 雨山社区"
    # Pandas reads it back; GDAL's CSV driver opens it too.
    assert pyogrio.read_info(out)["features"] == 2
    keyed = export.write_csv(tables, tmp_path / "communities.csv", table="community_table",
                             headers="key")
    frame = pd.read_csv(keyed, encoding="utf-8-sig")
    assert frame.columns.tolist()[0] == "community_id"
    assert frame["name"].tolist() == ["和平社区", "前进村", "雨山社区"]


def test_csv_zip_holds_every_table(tmp_path: Path, tables) -> None:
    out = export.write_csv(tables, tmp_path / "tables.zip", headers="en")
    with zipfile.ZipFile(out) as zf:
        assert sorted(zf.namelist()) == ["README.txt", "category_summary.csv",
                                         "community_table.csv", "indicators.csv"]
        summary = pd.read_csv(io.BytesIO(zf.read("category_summary.csv")), encoding="utf-8-sig")
    assert summary.columns.tolist() == ["Category", "Facilities", "Population",
                                        "Population inside the circle", "Coverage (%)"]
    assert summary["Coverage (%)"].tolist() == [84.1, 72.0]
    # GDAL reads the CSV straight from the zip, with its Chinese rows.
    inside = pyogrio.read_dataframe(f"/vsizip/{out}/community_table.csv")
    assert inside["Name"].tolist() == ["和平社区", "前进村", "雨山社区"]


def test_xlsx_sheets_headers_values(tmp_path: Path, tables) -> None:
    out = export.write_xlsx(tables, tmp_path / "tables.xlsx",
                            about={"crs": "坐标系：WGS84 经纬度（EPSG:4326）"})
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["指标与目标", "社区指标", "分类覆盖", "字段说明", "说明"]
    ws = wb["社区指标"]
    header = [c.value for c in ws[1]]
    assert header == ["社区编号", "名称", "类型(城市/农村)", "人口", "社区客厅覆盖率(%)"]
    assert [c.value for c in ws[3]] == ["C2", "前进村", "农村社区（村）", 830, 60.2]
    notes = {r[0]: r[1] for r in wb["说明"].iter_rows(min_row=2, values_only=True)}
    assert notes["crs"] == "坐标系：WGS84 经纬度（EPSG:4326）"
    # GDAL's XLSX driver lists the same sheets.
    assert [str(n) for n, _ in pyogrio.list_layers(out)][:3] == ["指标与目标", "社区指标",
                                                               "分类覆盖"]


def test_export_layers_dispatch_and_bad_format(tmp_path: Path, layers, tables) -> None:
    out = export.export_layers(layers, tables, fmt="gpkg", out=tmp_path / "a.gpkg")
    assert out.exists()
    with pytest.raises(DataError, match="unknown export format"):
        export.export_layers(layers, tables, fmt="dwg", out=tmp_path / "a.dwg")
    with pytest.raises(DataError, match="unknown encoding"):
        export.export_layers(layers, tables, fmt="shp", out=tmp_path / "a.zip", encoding="big5")


# --- the adapter on a real analysis -----------------------------------------------------------


def test_export_analysis_with_siting_and_scenarios(tmp_path: Path, toy_dataset_dir: Path) -> None:
    from types import SimpleNamespace

    from geo.dataset_loader import load_dataset
    from planning.access.analysis import analyze
    from planning.siting import recommend_sites

    dataset = load_dataset(toy_dataset_dir)
    analysis = analyze(dataset, categories=["elderly_care", "health"])
    siting = recommend_sites(dataset, analysis, category="elderly_care", new_sites=1)
    # Stand-in for planning.siting.scenarios.Comparison (same attributes), to keep this test fast.
    comparison = SimpleNamespace(
        categories=pd.DataFrame({"baseline_pct": [46.0], "A_pct": [80.0], "B_pct": [75.0]},
                                index=pd.Index(["elderly_care"], name="category")),
        communities=pd.DataFrame({"name": ["花山社区", "采石村"], "elderly_care_A_pct": [40.0, 100.0]},
                                 index=pd.Index(["C1", "C2"], name="community_id")))
    gpkg = tmp_path / "all.gpkg"
    assert export.export_analysis(analysis, fmt="gpkg", out=gpkg, siting=siting,
                                  scenario_comparison=comparison) == [gpkg]
    listed = {str(n): g for n, g in pyogrio.list_layers(gpkg)}
    for name in ("communities", "facilities", "demand", "circles", "uncovered",
                 "recommended_sites", "scenario_communities"):
        assert listed[name] is not None, name
    for name in ("indicators", "community_table", "category_summary", "siting_before_after",
                 "scenario_comparison"):
        assert listed[name] is None, name
    assert pyogrio.read_info(gpkg, layer="recommended_sites")["features"] == len(siting.sites)
    scen = pyogrio.read_dataframe(gpkg, layer="scenario_communities")
    assert scen["name"].tolist() == ["花山社区", "采石村"]
    # Two categories analysed → two circle polygons, and the demand layer has their minutes.
    assert pyogrio.read_info(gpkg, layer="circles")["features"] == 2
    demand_fields = pyogrio.read_info(gpkg, layer="demand")["fields"].tolist()
    assert {"minutes_elderly_care", "minutes_health", "complete_circle"} <= set(demand_fields)
    info = dict(pyogrio.read_dataframe(gpkg, layer="export_info")[["key", "value"]].to_numpy())
    assert info["dataset"] == "测试" and info["setting.walk_speed_m_per_min"] == "75.0"

    xlsx = tmp_path / "all.xlsx"
    export.export_analysis(analysis, fmt="xlsx", out=xlsx, siting=siting,
                           scenario_comparison=comparison)
    sheets = openpyxl.load_workbook(xlsx).sheetnames
    assert sheets[:3] == ["指标与目标", "社区指标", "分类覆盖"]
    assert {"推荐选址", "选址前后对比", "方案比较"} <= set(sheets)
