import shutil
import zipfile

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from geo._errors import DataError
from geo.coords import cgcs2000_gk_crs, from_wgs84
from geo.dataset_loader import SPREAD_NOTE, load_dataset
from tests.geo._toy import X0, Y0, toy_layers, write_toy_dataset


def assert_toy_values(ds):
    assert ds.crs.to_epsg() == 32650
    c = ds.communities.set_index("community_id")
    assert c["kind"].to_dict() == {"C1": "urban", "C2": "rural", "C3": "urban", "C4": "rural"}
    assert c["population"].to_dict() == {"C1": 1000, "C2": 500, "C3": 800, "C4": 300}
    assert c.loc["C1"].geometry.bounds == pytest.approx((X0, Y0, X0 + 1000, Y0 + 1000), abs=1e-3)
    f = ds.facilities.set_index("facility_id")
    assert f["category"].to_dict() == {"F1": "health", "F2": "elderly_care",
                                       "F3": "convenience_retail",
                                       "F4": "community_service_center"}
    assert (f["status"] == "existing").all()
    assert f.loc["F2"].geometry.distance(shapely.Point(X0 + 1400, Y0 + 400)) < 1e-3
    assert ds.population["population"].sum() == 2610
    per_community = ds.population.groupby("community_id")["population"].sum().to_dict()
    assert per_community == {"C1": 1000, "C2": 500, "C3": 800, "C4": 300}
    assert ds.population["community_id"].isna().sum() == 1
    assert list(ds.candidates["candidate_id"]) == ["1", "2"]
    # 11 + 11 grid lines of 2 km, cut into 200 m edges at shared vertices
    assert ds.roads.n_nodes == 121 and ds.roads.n_edges == 220
    assert ds.roads.total_length_km == pytest.approx(44.0, abs=1e-3)
    assert ds.roads.crs.to_epsg() == 32650
    assert ds.report.usable


def test_folder_of_geojson_files(toy_dataset_dir):
    ds = load_dataset(toy_dataset_dir)
    assert_toy_values(ds)
    assert ds.name == "toy" and ds.meta["title_zh"] == "测试"
    assert ds.attribution == ["Roads: test grid"] and ds.notes == ["toy data"]
    assert ds.meta["layer_sources"]["facilities"]["file"] == "facilities.geojson"
    assert ds.source == toy_dataset_dir


def test_single_geopackage_with_all_layers(tmp_path):
    path = tmp_path / "maanshan_toy.gpkg"
    for name, frame in toy_layers().items():
        frame.to_file(path, layer=name)  # kept in EPSG:32650
    ds = load_dataset(path)
    assert_toy_values(ds)
    assert ds.name == "maanshan_toy"
    assert ds.meta["layer_sources"]["roads"]["file"] == "maanshan_toy.gpkg (layer roads)"


def test_folder_with_geopackage_and_other_files(tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    layers = toy_layers()
    for name in ("communities", "roads", "population"):
        layers[name].to_file(folder / "data.gpkg", layer=name)
    wgs = layers["facilities"].to_crs(4326)
    pd.DataFrame({"设施编号": wgs["facility_id"], "类别": wgs["category"],
                  "名称": wgs["name"], "经度": wgs.geometry.x, "纬度": wgs.geometry.y}
                 ).to_excel(folder / "facilities.xlsx", index=False)
    cand = layers["candidates"].to_crs(4326)
    pd.DataFrame({"candidate_id": cand["candidate_id"], "name": cand["name"],
                  "lon": cand.geometry.x, "lat": cand.geometry.y}
                 ).to_csv(folder / "candidates.csv", index=False)
    (folder / "README.txt").write_text("not a layer", encoding="utf-8")
    ds = load_dataset(folder)
    assert_toy_values(ds)
    assert list(ds.facilities["name"])[0] == "花山卫生服务站"
    assert any("'类别' → category" in p.message for p in ds.report.problems)


def test_folder_of_shapefiles_gbk_and_zipped(tmp_path):
    folder = tmp_path / "shp"
    folder.mkdir()
    layers = toy_layers()
    # communities from a Chinese desktop GIS: CGCS2000 Gauss-Krüger, GBK, no .cpg
    shp = folder / "communities.shp"
    # Shapefile field names stop at 10 characters: community_id is stored as community_
    short = layers["communities"].rename(columns={"community_id": "community_"})
    pyogrio.write_dataframe(short.to_crs(4549), shp, encoding="GBK")
    shp.with_suffix(".cpg").unlink()
    dbf = bytearray(shp.with_suffix(".dbf").read_bytes())
    dbf[29] = 0  # no language driver either
    shp.with_suffix(".dbf").write_bytes(bytes(dbf))
    parts = tmp_path / "parts"
    parts.mkdir()
    short = layers["facilities"].rename(columns={"facility_id": "facility_i",
                                                 "floor_area_m2": "floor_area"})
    short.to_crs(4326).to_file(parts / "设施.shp", encoding="UTF-8")
    with zipfile.ZipFile(folder / "facilities.zip", "w") as zf:
        for part in parts.iterdir():
            zf.write(part, part.name)
    for name in ("population", "candidates", "roads"):
        layers[name].to_crs(4326).to_file(folder / f"{name}.geojson", driver="GeoJSON")
    ds = load_dataset(folder)
    assert_toy_values(ds)
    assert list(ds.communities["name"]) == ["花山社区", "采石村", "金家庄社区", "新桥村"]
    assert list(ds.communities["street"])[:2] == ["花山街道", "采石镇"]
    assert "4549" in ds.meta["layer_sources"]["communities"]["crs"]
    assert ds.facilities["name"].iloc[0] == "花山卫生服务站"
    assert list(ds.facilities["floor_area_m2"]) == [300.0, 250.0, 120.0, 600.0]


def test_zip_of_a_folder(toy_dataset_dir, tmp_path):
    archive = tmp_path / "upload.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in toy_dataset_dir.iterdir():
            zf.write(path, f"toy/{path.name}")  # zipped folder: one level down
        zf.writestr("__MACOSX/._toy", "")
    ds = load_dataset(archive)
    assert_toy_values(ds)
    assert ds.name == "toy" and ds.source == archive


def test_population_spread_when_no_population_layer(tmp_path):
    folder = write_toy_dataset(tmp_path / "nopop", skip=("population", "candidates"))
    ds = load_dataset(folder)
    assert SPREAD_NOTE in ds.notes
    assert len(ds.population) == 400  # 10 × 10 centres of the 100 m grid per 1 km square
    assert ds.population.groupby("community_id")["population"].sum().to_dict() == \
        pytest.approx({"C1": 1000, "C2": 500, "C3": 800, "C4": 300})
    assert len(ds.candidates) == 0
    assert list(ds.candidates.columns) == ["candidate_id", "name", "floor_area_m2", "source",
                                           "cost", "geometry"]


def gcj_facilities_dir(tmp_path, toml):
    layers = toy_layers()
    folder = write_toy_dataset(tmp_path / "gcj", skip=("facilities",), toml=toml)
    # the facilities come from Amap: GCJ-02 numbers written as plain lon/lat
    amap = from_wgs84(layers["facilities"].to_crs(4326), "gcj02")
    frame = pd.DataFrame({"facility_id": amap["facility_id"], "category": amap["category"],
                          "lng": amap.geometry.x, "lat": amap.geometry.y})
    frame.to_csv(folder / "facilities.csv", index=False)
    # sparse roads, so a point off by the GCJ offset is far from every road
    ticks = np.arange(-100, 101, 10)
    lines = []
    for p in layers["facilities"].geometry:
        lines.append(shapely.LineString([(p.x + t, p.y) for t in ticks]))
        lines.append(shapely.LineString([(p.x, p.y + t) for t in ticks]))
    roads = gpd.GeoDataFrame({"fclass": ["residential"] * len(lines)}, geometry=lines,
                             crs=layers["roads"].crs)
    (folder / "roads.geojson").unlink()
    roads.to_crs(4326).to_file(folder / "roads.geojson", driver="GeoJSON")
    return folder


def test_far_from_roads_datum_warning_and_coords_fix(tmp_path):
    folder = gcj_facilities_dir(tmp_path, toml='name = "amap"\n')
    ds = load_dataset(folder)
    warnings = [p for p in ds.report.problems if p.layer == "facilities"
                and p.severity == "warning"]
    assert len(warnings) == 1 and 'coords = "gcj02"' in warnings[0].message
    assert ds.report.usable  # a warning, not an error

    fixed = load_dataset(folder, coords="gcj02")
    # (population and candidates lie between the sparse roads in every system)
    assert not [p for p in fixed.report.problems
                if p.layer == "facilities" and "coordinate systems" in p.message]
    true = toy_layers()["facilities"].geometry
    assert np.max(fixed.facilities.geometry.distance(true, align=False)) < 1.0
    # the same said per layer
    (folder / "dataset.toml").write_text('name = "amap"\n[coords]\nfacilities = "gcj02"\n',
                                         encoding="utf-8")
    per_layer = load_dataset(folder)
    assert np.max(per_layer.facilities.geometry.distance(true, align=False)) < 1.0
    assert per_layer.roads.n_nodes == fixed.roads.n_nodes
    assert per_layer.meta["layer_sources"]["facilities"]["coords"] == "gcj02"
    assert per_layer.meta["layer_sources"]["communities"]["coords"] == "wgs84"


def test_coords_in_dataset_toml(tmp_path):
    folder = gcj_facilities_dir(tmp_path, toml='name = "amap"\ncoords = "gcj02"\n')
    ds = load_dataset(folder)
    assert ds.meta["coords"] == "gcj02"
    sources = ds.meta["layer_sources"]
    assert sources["facilities"]["coords"] == "gcj02"
    assert sources["roads"]["coords"] == "wgs84"  # roads are OpenStreetMap's unless told
    true = toy_layers()["facilities"].geometry
    assert np.max(ds.facilities.geometry.distance(true, align=False)) < 1.0
    override = load_dataset(folder, coords="wgs84")  # the option wins over the file
    assert override.meta["layer_sources"]["facilities"]["coords"] == "wgs84"
    (folder / "dataset.toml").write_text('[coords]\nroads = "gcj02"\nfacilities = "gcj02"\n',
                                         encoding="utf-8")
    shifted = load_dataset(folder)
    assert shifted.meta["layer_sources"]["roads"]["coords"] == "gcj02"
    # the roads, written in WGS84, move by the GCJ-02 offset (300–700 m) when so declared
    assert 300 < abs(shifted.roads.node_x.min() - ds.roads.node_x.min()) + \
        abs(shifted.roads.node_y.min() - ds.roads.node_y.min()) < 1000
    (folder / "dataset.toml").write_text('coords = "mars"\n', encoding="utf-8")
    with pytest.raises(DataError, match="unknown coordinate system 'mars'"):
        load_dataset(folder)


def test_crs_choice_in_dataset_toml(tmp_path):
    folder = write_toy_dataset(tmp_path / "gk", toml='crs = "cgcs2000_gk"\n')
    ds = load_dataset(folder)
    lon = toy_layers()["communities"].to_crs(4326).total_bounds[[0, 2]].mean()
    assert ds.crs == cgcs2000_gk_crs(lon)
    assert ds.communities.crs == ds.crs and ds.roads.crs == ds.crs
    (folder / "dataset.toml").write_text('crs = "EPSG:4326"\n', encoding="utf-8")
    with pytest.raises(DataError, match="not a projected"):
        load_dataset(folder)


def test_missing_layers_duplicates_and_bad_toml(tmp_path, toy_dataset_dir):
    folder = write_toy_dataset(tmp_path / "noroads", skip=("roads",))
    with pytest.raises(DataError, match=r"noroads: no roads layer found \(layers found: "
                       r"candidates.geojson, communities.geojson, .*\).*roads.osm.pbf"):
        load_dataset(folder)
    shutil.copy(toy_dataset_dir / "roads.geojson", folder / "roads.geojson")
    toy_layers()["roads"].to_file(folder / "data.gpkg", layer="roads")
    with pytest.raises(DataError, match=r"roads layer is given twice \(data.gpkg \(layer roads\) "
                       r"and roads.geojson\)"):
        load_dataset(folder)
    (folder / "data.gpkg").unlink()
    (folder / "dataset.toml").write_text('name = "x\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"dataset.toml: cannot be read"):
        load_dataset(folder)
    with pytest.raises(DataError, match="no such file"):
        load_dataset(tmp_path / "nowhere")
    (tmp_path / "x.txt").write_text("x", encoding="utf-8")
    with pytest.raises(DataError, match="not a data set"):
        load_dataset(tmp_path / "x.txt")


def test_road_lines_that_are_not_roads_are_left_out(tmp_path):
    layers = toy_layers()
    extra = gpd.GeoDataFrame(
        {"highway": ["construction", "proposed"], "name": ["在建道路", "规划道路"]},
        geometry=[shapely.LineString([(X0 + 2000, Y0), (X0 + 3000, Y0)]),
                  shapely.LineString([(X0 + 2000, Y0 + 200), (X0 + 3000, Y0 + 200)])],
        crs=layers["roads"].crs)
    layers["roads"] = pd.concat([layers["roads"], extra], ignore_index=True)
    ds = load_dataset(write_toy_dataset(tmp_path / "building", layers=layers))
    assert ds.roads.n_nodes == 121 and ds.roads.total_length_km == pytest.approx(44.0)
    (note,) = [p for p in ds.report.problems if p.layer == "roads"]
    assert note.count == 2 and "construction 1" in note.message and "proposed 1" in note.message


def test_empty_communities_are_refused(tmp_path):
    layers = toy_layers()
    layers["communities"] = layers["communities"].iloc[:0]
    with pytest.raises(DataError, match=r"communities.geojson, layer 'communities': the layer "
                       "has no communities"):
        load_dataset(write_toy_dataset(tmp_path / "empty", layers=layers))


def test_roads_elsewhere_are_refused(tmp_path):
    layers = toy_layers()
    layers["roads"] = layers["roads"].translate(xoff=50_000)
    folder = write_toy_dataset(tmp_path / "elsewhere", layers=layers)
    with pytest.raises(DataError, match="roads do not overlap the communities"):
        load_dataset(folder)


def test_errors_in_a_layer_name_the_file(tmp_path):
    layers = toy_layers()
    layers["facilities"].loc[2, "facility_id"] = "F1"
    folder = write_toy_dataset(tmp_path / "dup", layers=layers)
    with pytest.raises(DataError, match=r"facilities.geojson, layer 'facilities', column "
                       r"'facility_id': 1 facility_id value\(s\) are used more than once "
                       r"\(e.g. 'F1'\)"):
        load_dataset(folder)


XIAN = __import__("pathlib").Path(__file__).resolve().parents[2] / "data" / "xian"


@pytest.mark.skipif(not (XIAN / "dataset.toml").exists(), reason="bundled Xi'an data absent")
def test_datum_check_on_real_xian_pois():
    from geo import _validate
    from geo.dataset import ValidationReport

    ds = load_dataset(XIAN)
    assert not [p for p in ds.report.problems if p.severity == "warning"]
    wgs = ds.facilities.to_crs(4326)
    tree = _validate.road_lines_tree(ds.roads)
    for system in ("gcj02", "bd09"):
        # Amap/Baidu numbers of the real POIs, read as if they were WGS84
        misread = from_wgs84(wgs, system).set_crs(4326, allow_override=True).to_crs(ds.crs)
        report = ValidationReport()
        _validate.check_datum(misread, ds.roads, layer="facilities", file="poi.csv",
                              report=report, tree=tree)
        (problem,) = report.problems
        assert f'coords = "{system}"' in problem.message
