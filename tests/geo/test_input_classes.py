"""Classes of planners' input that used to be read wrong without a word (issue 10, input side):
road lines left in GCJ-02, GBK Shapefiles with a wrong .cpg, a layer split over sheets, decimal
commas and absurd populations, OSM ways with missing nodes, Chinese headers and category labels.

Every file is built here; every expected value is worked out by hand or by a round trip.
"""

from __future__ import annotations

import zipfile

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from geo._errors import DataError
from geo.coords import cgcs2000_gk_crs, from_wgs84
from geo.dataset import ValidationReport
from geo.dataset_loader import load_dataset
from geo.readers import read_vector
from tests.geo._toy import CRS, X0, Y0, toy_layers, write_toy_dataset

NAMES = ["花山社区", "采石村", "金家庄社区"]
POINTS = [(118.50, 31.70), (118.45, 31.60), (118.52, 31.72)]


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """Road networks parsed here are cached in the test's folder, not the user's."""
    monkeypatch.setenv("SERVICE_CIRCLES_CACHE", str(tmp_path / "cache"))


# ------------------------------------------------------------------------- coordinate systems
def amap_roads_dir(tmp_path, toml=None):
    """The toy data set with every lon/lat layer (road lines too) exported from Amap (GCJ-02)."""
    layers = toy_layers()
    folder = write_toy_dataset(tmp_path / "amap", toml=toml, skip=tuple(layers))
    for name, frame in layers.items():
        from_wgs84(frame.to_crs(4326), "gcj02").to_file(folder / f"{name}.geojson",
                                                        driver="GeoJSON")
    return folder


def test_chosen_system_applies_to_a_road_line_layer(tmp_path):
    folder = amap_roads_dir(tmp_path)
    ds = load_dataset(folder, coords="gcj02")
    # the toy grid's corner node is at (X0, Y0) in EPSG:32650 once GCJ-02 is undone
    assert ds.crs.to_epsg() == 32650
    assert ds.roads.node_x.min() == pytest.approx(X0, abs=1.0)
    assert ds.roads.node_y.min() == pytest.approx(Y0, abs=1.0)
    assert ds.meta["layer_sources"]["roads"]["coords"] == "gcj02"
    # facilities and roads agree, so no datum warning
    assert not [p for p in ds.report.problems if (p.key or "").startswith("datum.")]


def test_per_layer_override_keeps_road_lines_apart(tmp_path):
    layers = toy_layers()
    folder = write_toy_dataset(tmp_path / "mixed", toml='[coords]\nroads = "wgs84"\n',
                               skip=("facilities",))
    from_wgs84(layers["facilities"].to_crs(4326), "gcj02").to_file(
        folder / "facilities.geojson", driver="GeoJSON")
    # the app or --coords chooses GCJ-02 for everything; dataset.toml keeps the roads WGS84
    ds = load_dataset(folder, coords="gcj02")
    assert ds.roads.node_x.min() == pytest.approx(X0, abs=1.0)
    assert ds.meta["layer_sources"]["roads"]["coords"] == "wgs84"
    assert ds.meta["layer_sources"]["facilities"]["coords"] == "gcj02"
    # the communities were WGS84 and are now read as GCJ-02, which moves them: that was asked
    assert ds.meta["layer_sources"]["communities"]["coords"] == "gcj02"
    # the same through a mapping (the API of --coords gcj02 --coords roads=wgs84)
    (folder / "dataset.toml").unlink()
    again = load_dataset(folder, coords={"default": "gcj02", "roads": "wgs84"})
    np.testing.assert_allclose(again.roads.node_x, ds.roads.node_x)


def test_osm_road_lines_and_files_stay_wgs84(tmp_path):
    from tests.geo.test_roads import write_osm_xml

    layers = toy_layers()
    folder = write_toy_dataset(tmp_path / "osm", skip=("roads",))
    # the toy grid as an OSM file (WGS84 by definition), node ids per vertex
    wgs = layers["roads"].to_crs(4326)
    nodes, ways = {}, []
    for i, line in enumerate(wgs.geometry, start=1):
        refs = []
        for x, y in line.coords:
            key = (round(x, 7), round(y, 7))
            nodes.setdefault(key, len(nodes) + 1)
            refs.append(nodes[key])
        ways.append((i, refs, {"highway": "residential"}))
    write_osm_xml(folder / "roads.osm", {v: k for k, v in nodes.items()}, ways)
    ds = load_dataset(folder, coords="gcj02")
    assert ds.roads.node_x.min() == pytest.approx(X0, abs=1.0)  # not shifted
    assert any(p.key == "coords.osm_file" for p in ds.report.problems)


def test_datum_advice_names_the_control_the_user_has(tmp_path):
    from geo.texts import problem_text

    layers = toy_layers()
    folder = write_toy_dataset(tmp_path / "off", toml=None, skip=("facilities", "roads"))
    frame = from_wgs84(layers["facilities"].to_crs(4326), "gcj02")
    frame.to_file(folder / "facilities.geojson", driver="GeoJSON")
    ticks = np.arange(-100, 101, 10)
    lines = [shapely.LineString([(p.x + t, p.y) for t in ticks]) for p in layers["facilities"].geometry]
    lines += [shapely.LineString([(p.x, p.y + t) for t in ticks]) for p in layers["facilities"].geometry]
    gpd.GeoDataFrame({"highway": ["residential"] * len(lines)}, geometry=lines, crs=CRS).to_crs(
        4326).to_file(folder / "roads.geojson", driver="GeoJSON")
    ds = load_dataset(folder)
    (problem,) = [p for p in ds.report.problems if p.key == "datum.far" and p.layer == "facilities"]
    assert problem.values["best"] == "gcj02" and problem.layer == "facilities"
    cli = problem_text(problem, "en", control="cli")
    assert cli == problem.message
    assert "--coords gcj02" in cli and 'facilities = "gcj02" under [coords]' in cli
    app_zh = problem_text(problem, "zh")
    assert "经纬度坐标系" in app_zh and "GCJ-02（高德、腾讯）" in app_zh
    assert "--coords" not in app_zh and "dataset.toml" not in app_zh and "Fix" not in app_zh
    app_en = problem_text(problem, "en")
    assert "Coordinate system of lon/lat layers" in app_en and "--coords" not in app_en


def test_gauss_kruger_zone_bounds():
    assert cgcs2000_gk_crs(136.5).to_epsg() == 4554  # eastern edge of the CM 135°E zone
    assert cgcs2000_gk_crs(135.0).to_epsg() == 4554
    assert cgcs2000_gk_crs(73.5).to_epsg() == 4534
    assert cgcs2000_gk_crs(118.5).to_epsg() == 4549  # 118.5°E starts the CM 120°E zone
    assert all(cgcs2000_gk_crs(lon).is_projected for lon in np.arange(73.5, 136.51, 0.25))
    for lon in (73.49, 136.51, float("nan")):
        with pytest.raises(DataError, match=r"outside China's CGCS2000 3-degree zones "
                           r"\(73.5°E–136.5°E"):
            cgcs2000_gk_crs(lon)


# ---------------------------------------------------------------------- Shapefile encodings
def gbk_shapefile(folder, cpg: str | None, *, text_encoding="GBK", names=NAMES):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "communities.shp"
    frame = gpd.GeoDataFrame({"name": names, "population": [100, 200, 300][:len(names)]},
                             geometry=shapely.points(POINTS[:len(names)]), crs=4326)
    pyogrio.write_dataframe(frame, path, encoding=text_encoding)
    cpg_file = path.with_suffix(".cpg")
    cpg_file.unlink(missing_ok=True)
    if cpg is not None:
        cpg_file.write_text(cpg, encoding="ascii")
    return path


@pytest.mark.parametrize("cpg", ["UTF-8", "ISO-8859-1", "1252", "65001"])
def test_gbk_shapefile_with_a_wrong_cpg_is_repaired_and_said(tmp_path, cpg):
    path = gbk_shapefile(tmp_path, cpg)
    report = ValidationReport()
    gdf = read_vector(path, report=report)
    assert list(gdf["name"]) == NAMES
    (problem,) = [p for p in report.problems if p.key == "encoding.cpg_wrong"]
    assert problem.severity == "warning"
    assert "communities.cpg says" in problem.message and "communities.dbf is GBK" in problem.message
    # the same inside a zip (the upload path)
    archive = tmp_path / "upload.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in tmp_path.glob("communities.*"):
            zf.write(part, part.name)
    assert list(read_vector(archive)["name"]) == NAMES


def test_utf8_shapefile_with_a_gbk_cpg_is_repaired(tmp_path):
    path = gbk_shapefile(tmp_path, "GBK", text_encoding="UTF-8")
    report = ValidationReport()
    assert list(read_vector(path, report=report)["name"]) == NAMES
    assert [p.values["actual"] for p in report.problems if p.key == "encoding.cpg_wrong"] == \
        ["UTF-8"]


def test_latin1_shapefile_keeps_its_cpg(tmp_path):
    names = ["Müller", "Zoë", "Café"]
    path = gbk_shapefile(tmp_path, "ISO-8859-1", text_encoding="ISO-8859-1", names=names)
    report = ValidationReport()
    assert list(read_vector(path, report=report)["name"]) == names
    assert not [p for p in report.problems if p.key == "encoding.cpg_wrong"]


def test_shapefile_text_in_no_known_encoding_says_which_files(tmp_path):
    # cp1252 "€‰" is bytes 80 89: neither UTF-8 nor GBK (0x80 starts no GB18030 character)
    path = gbk_shapefile(tmp_path, "UTF-8", text_encoding="cp1252", names=["€‰", "€", "‰€"])
    with pytest.raises(DataError, match=r"communities.shp: communities.cpg says the text is "
                       r"UTF-8, but the text in communities.dbf is not UTF-8 or GBK\. Write the "
                       r"encoding"):
        read_vector(path)


# -------------------------------------------------------------------------------- workbooks
def test_layer_split_over_sheets_is_read_whole(tmp_path):
    path = tmp_path / "facilities.xlsx"
    with pd.ExcelWriter(path) as xl:
        pd.DataFrame({"名称": ["花山卫生室", "采石幼儿园"], "类别": ["卫生室", "幼儿园"],
                      "经度": [118.50, 118.45], "纬度": [31.70, 31.60]}
                     ).to_excel(xl, sheet_name="花山街道", index=False)
        pd.DataFrame({"名称": ["金家庄超市"], "类别": ["超市"], "纬度": [31.72],  # other order
                      "经度": [118.52]}).to_excel(xl, sheet_name="金家庄街道", index=False)
        pd.DataFrame({"说明": ["数据来源：高德"]}).to_excel(xl, sheet_name="说明", index=False)
    report = ValidationReport()
    gdf = read_vector(path, report=report, layer_name="facilities")
    assert list(gdf["名称"]) == ["花山卫生室", "采石幼儿园", "金家庄超市"]
    assert gdf.geometry.x.tolist() == [118.50, 118.45, 118.52]
    keys = {p.key: p for p in report.problems}
    assert keys["sheets.combined"].values["sheets"] == ["花山街道", "金家庄街道"]
    assert keys["sheets.skipped"].values["sheets"] == ["说明"]


def test_sheets_with_other_columns_are_refused_by_name(tmp_path):
    path = tmp_path / "facilities.xlsx"
    with pd.ExcelWriter(path) as xl:
        pd.DataFrame({"name": ["a"], "lon": [118.5], "lat": [31.7]}).to_excel(
            xl, sheet_name="A", index=False)
        pd.DataFrame({"name": ["b"], "lon": [118.5], "lat": [31.7], "面积": [30]}).to_excel(
            xl, sheet_name="B", index=False)
    with pytest.raises(DataError, match=r"facilities.xlsx: the sheets 'A', 'B' hold coordinates "
                       r"but sheet\(s\) 'B' have other columns than 'A'"):
        read_vector(path)


def test_rows_of_a_second_sheet_are_named_by_sheet_and_line(tmp_path):
    path = tmp_path / "population.xlsx"
    with pd.ExcelWriter(path) as xl:
        pd.DataFrame({"lon": [118.5, 118.51], "lat": [31.7, 31.7], "人口": ["10", "20"]}
                     ).to_excel(xl, sheet_name="一", index=False)
        pd.DataFrame({"lon": [118.5, 118.51, 118.52], "lat": [31.7] * 3,
                      "人口": ["5", "十二", "7"]}).to_excel(xl, sheet_name="二", index=False)
    from geo import _validate

    gdf = read_vector(path).to_crs(CRS)
    communities = _validate.validate_communities(
        toy_layers()["communities"], report=ValidationReport())
    with pytest.raises(DataError, match=r"1 value\(s\) are not numbers \(line 3 of sheet '二': "
                       r"'十二'\)"):
        _validate.validate_population(gdf, communities, report=ValidationReport(),
                                      file="population.xlsx")


# ------------------------------------------------------------------------------- numbers
def population_csv(tmp_path, values):
    folder = write_toy_dataset(tmp_path / "pop", skip=("population",))
    pts = toy_layers()["population"].to_crs(4326).geometry[:len(values)]
    pd.DataFrame({"lon": pts.x, "lat": pts.y, "population": values}).to_csv(
        folder / "population.csv", index=False)
    return folder


def test_decimal_comma_population_is_refused_naming_file_column_row(tmp_path):
    folder = population_csv(tmp_path, ["600", "12,5", "250"])
    with pytest.raises(DataError, match=r"population.csv, layer 'population', column "
                       r"'population': 1 value\(s\) have a comma that is not a thousands "
                       r"separator \(line 3: '12,5'\)\. Write decimals with a point"):
        load_dataset(folder)


def test_thousands_separators_are_read():
    from geo._validate import parse_numbers

    values = parse_numbers(pd.Series(["1,234", "12,345.5", "７８９", "", None]),
                           column="population", layer="population", file="p.csv")
    assert values.tolist()[:3] == [1234.0, 12345.5, 789.0]
    assert values.isna().tolist()[3:] == [True, True]
    with pytest.raises(DataError, match="not a thousands separator"):
        parse_numbers(pd.Series(["1.234,5"]), column="population", layer=None, file="p.csv")


@pytest.mark.parametrize("value, message", [
    ("1e308", r"1 value\(s\) are larger than 10,000,000 \(line 3: '1e308'\)"),
    ("inf", r"1 value\(s\) are infinite or not a number \(line 3: 'inf'\)"),
])
def test_absurd_populations_are_refused(tmp_path, value, message):
    folder = population_csv(tmp_path, ["600", value, "250"])
    with pytest.raises(DataError, match=message):
        load_dataset(folder)


def test_coordinates_with_decimal_commas_are_refused(tmp_path):
    path = tmp_path / "facilities.csv"
    path.write_text("facility_id,category,lon,lat\nF1,health,\"118,5067\",31.7\n",
                    encoding="utf-8")
    with pytest.raises(DataError, match=r"facilities.csv, column 'lon': 1 value\(s\) have a "
                       r"comma .*line 2: '118,5067'.*decimal degrees"):
        read_vector(path)


# ---------------------------------------------------------------------------- OSM missing nodes
def test_ways_with_missing_nodes_are_reported(tmp_path):
    from tests.geo.test_roads import write_osm_xml

    layers = toy_layers()
    folder = write_toy_dataset(tmp_path / "clipped", skip=("roads",))
    wgs = layers["roads"].to_crs(4326)
    nodes, ways = {}, []
    for i, line in enumerate(wgs.geometry, start=1):
        refs = []
        for x, y in line.coords:
            key = (round(x, 7), round(y, 7))
            nodes.setdefault(key, len(nodes) + 1)
            refs.append(nodes[key])
        ways.append((i, refs, {"highway": "residential"}))
    # two ways run on beyond the extract: nodes 9001 and 9002 are not in the file
    ways[0] = (1, ways[0][1] + [9001], ways[0][2])
    ways[1] = (2, [9002] + ways[1][1], ways[1][2])
    write_osm_xml(folder / "roads.osm", {v: k for k, v in nodes.items()}, ways)
    ds = load_dataset(folder)
    assert ds.roads.n_edges == 220  # every located segment is kept
    (problem,) = [p for p in ds.report.problems if p.key == "roads.missing_nodes"]
    assert problem.severity == "warning" and problem.count == 2
    assert problem.values["nodes"] == 2 and problem.values["segments"] == 2
    assert "2 road way(s) refer to 2 node(s) missing from the file; 2 road segment(s)" \
        in problem.message


# ------------------------------------------------------------------------- planners' own files
def chinese_facilities(folder, categories, *, id_column=None):
    wgs = toy_layers()["facilities"].to_crs(4326)
    frame = {"名称": wgs["name"], "类别": categories, "经度": wgs.geometry.x, "纬度": wgs.geometry.y}
    if id_column:
        frame = {id_column: ["a1", "a2", "a3", "a4"], **frame}
    (folder / "facilities.geojson").unlink(missing_ok=True)
    pd.DataFrame(frame).to_csv(folder / "facilities.csv", index=False, encoding="gb18030")


def test_chinese_headers_and_labels_without_ids(tmp_path):
    folder = write_toy_dataset(tmp_path / "zh")
    chinese_facilities(folder, ["卫生室", "日间照料中心", "菜市场", "党群服务中心"])
    ds = load_dataset(folder)
    f = ds.facilities
    assert list(f["facility_id"]) == ["F1", "F2", "F3", "F4"]
    assert list(f["category"]) == ["health", "elderly_care", "convenience_retail",
                                   "community_service_center"]
    assert list(f["name"])[0] == "花山卫生服务站"
    (note,) = [p for p in ds.report.problems if p.key == "ids.generated"]
    assert note.layer == "facilities" and note.values == {"column": "facility_id", "first": "F1",
                                                          "last": "F4"}


def test_bianhao_is_an_id_and_unknown_labels_are_listed_in_chinese(tmp_path):
    from geo.texts import problem_text

    folder = write_toy_dataset(tmp_path / "zh")
    chinese_facilities(folder, ["卫生室", "图书角", "快递驿站", "托育园"], id_column="编号")
    ds = load_dataset(folder)
    assert list(ds.facilities["facility_id"]) == ["a1", "a3", "a4"]
    assert list(ds.facilities["category"]) == ["health", "express", "childcare"]
    (problem,) = [p for p in ds.report.problems if p.key == "category.unknown"]
    text = problem_text(problem, "zh")
    assert "“图书角”（1）" in text and "社区客厅（community_living_room）" in text
    assert "'图书角' (1)" in problem.message and "community_living_room (社区客厅)" in problem.message


@pytest.mark.parametrize("value, key", [
    ("社区服务中心", "community_service_center"), ("党群服务中心", "community_service_center"),
    ("日间照料中心", "elderly_care"), ("养老驿站", "elderly_care"), ("卫生室", "health"),
    ("幼儿园", "childcare"), ("托育园", "childcare"), ("菜市场", "convenience_retail"),
    ("超市", "convenience_retail"), ("快递驿站", "express"), ("社区客厅", "community_living_room"),
    ("Elderly care station", "elderly_care"), (" 老年助餐点 ", "meal_aid"), ("社工站", "social_work_station"),
])
def test_category_synonyms(value, key):
    from geo.taxonomy import category_key

    assert category_key(value) == key
