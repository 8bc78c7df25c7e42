import stat
import zipfile

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from pyproj import Geod

from geo._errors import DataError
from geo.coords import wgs84_to_bd09
from geo.dataset import ValidationReport
from geo.readers import extract_zip, read_vector

GEOD = Geod(ellps="WGS84")
NAMES = ["花山社区", "采石村", "金家庄社区"]
POINTS = [(118.50, 31.70), (118.45, 31.60), (118.52, 31.72)]


def metres(lon1, lat1, lon2, lat2):
    return GEOD.inv(lon1, lat1, lon2, lat2)[2]


def layer(crs=4326):
    frame = gpd.GeoDataFrame({"name": NAMES, "population": [100, 200, 300]},
                             geometry=shapely.points(POINTS), crs=4326)
    return frame.to_crs(crs)


def write_gbk_shapefile(folder, stem="communities"):
    path = folder / f"{stem}.shp"
    pyogrio.write_dataframe(layer(), path, encoding="GBK")
    path.with_suffix(".cpg").unlink()
    # Many Chinese tools leave the dBase language-driver byte empty as well.
    dbf = bytearray(path.with_suffix(".dbf").read_bytes())
    dbf[29] = 0
    path.with_suffix(".dbf").write_bytes(bytes(dbf))
    return path


def test_gbk_shapefile_without_cpg_keeps_chinese_names(tmp_path):
    path = write_gbk_shapefile(tmp_path)
    assert not path.with_suffix(".cpg").exists()
    # GDAL alone turns the names into mojibake without any error:
    assert pyogrio.read_dataframe(path)["name"][0] != NAMES[0]
    report = ValidationReport()
    gdf = read_vector(path, report=report)
    assert list(gdf["name"]) == NAMES
    assert any("GBK" in p.message for p in report.problems)


def test_utf8_shapefile_without_cpg(tmp_path):
    path = tmp_path / "facilities.shp"
    pyogrio.write_dataframe(layer(), path, encoding="UTF-8")
    path.with_suffix(".cpg").unlink()
    assert list(read_vector(path)["name"]) == NAMES


def test_projected_cgcs2000_shapefile_is_reprojected(tmp_path):
    path = tmp_path / "communities.shp"
    layer(4548).to_file(path, encoding="UTF-8")
    gdf = read_vector(path)
    assert gdf.crs.to_epsg() == 4326
    assert np.allclose(gdf.geometry.x, [p[0] for p in POINTS], atol=1e-8)
    assert gdf.attrs["lonlat"] is False and "4548" in gdf.attrs["source_crs"]


def test_shapefile_without_prj_in_metres_is_refused(tmp_path):
    path = tmp_path / "communities.shp"
    layer(32650).to_file(path, encoding="UTF-8")
    path.with_suffix(".prj").unlink()
    with pytest.raises(DataError, match=r"communities.shp.*no projection.*\.prj"):
        read_vector(path)


def test_geojson_in_metres_without_crs_member_is_refused(tmp_path):
    # GeoJSON is lon/lat by definition: GDAL reads UTM metres in a file without a "crs"
    # member as degrees, and projecting them used to end in a geometry-library traceback.
    path = tmp_path / "facilities.geojson"
    frame = layer(32650)
    x, y = frame.geometry.x.round(1), frame.geometry.y.round(1)
    features = ",".join('{"type": "Feature", "properties": {"name": "%s"}, "geometry": '
                        '{"type": "Point", "coordinates": [%s, %s]}}' % (n, a, b)
                        for n, a, b in zip(NAMES, x, y))
    path.write_text('{"type": "FeatureCollection", "features": [%s]}' % features, encoding="utf-8")
    assert pyogrio.read_info(path)["crs"] == "EPSG:4326"  # what GDAL assumes
    with pytest.raises(DataError, match=r"^facilities.geojson: the layer says lon/lat degrees but "
                       rf"its coordinates \({x.min():.0f}, {y.min():.0f}\) are not\. Save the layer "
                       r"again with its projection"):
        read_vector(path)
    # The same file in lon/lat degrees is read as it is.
    frame.to_crs(4326).to_file(path, driver="GeoJSON")
    assert np.allclose(read_vector(path).geometry.x, [p[0] for p in POINTS])


def test_gcj02_csv_is_converted_to_wgs84(tmp_path):
    # (116.41024449916938, 39.91640428150164) is the published GCJ-02 value of the
    # WGS84 point (116.404, 39.915) (coordtransform's test).
    path = tmp_path / "facilities.csv"
    path.write_text("facility_id,category,lng,lat\nF1,health,116.41024449916938,"
                    "39.91640428150164\n", encoding="utf-8")
    gdf = read_vector(path, coords="gcj02")
    assert metres(gdf.geometry.x[0], gdf.geometry.y[0], 116.404, 39.915) < 1.0
    raw = read_vector(path)  # read as WGS84: about 570 m off
    assert metres(raw.geometry.x[0], raw.geometry.y[0], 116.404, 39.915) > 400


def test_bd09_csv_is_converted_to_wgs84(tmp_path):
    path = tmp_path / "facilities.csv"
    # published BD-09 value of the GCJ-02 point (116.404, 39.915)
    path.write_text("facility_id,longitude,latitude\nF1,116.41036949371029,39.92133699351021\n",
                    encoding="utf-8")
    gdf = read_vector(path, coords="bd09")
    # coordtransform's published GCJ-02 → WGS84 of (116.404, 39.915), a one-step
    # approximation good to about a metre
    assert metres(gdf.geometry.x[0], gdf.geometry.y[0],
                  116.39775550083061, 39.91359571849836) < 1.5


def test_xlsx_with_chinese_lonlat_columns(tmp_path):
    path = tmp_path / "facilities.xlsx"
    pd.DataFrame({"设施编号": ["F1", "F2"], "名称": ["卫生站", "超市"],
                  "经度": [118.5, 118.6], "纬度": [31.7, 31.65]}).to_excel(path, index=False)
    gdf = read_vector(path)
    assert list(gdf["名称"]) == ["卫生站", "超市"]
    assert list(gdf.geometry.x) == [118.5, 118.6] and list(gdf.geometry.y) == [31.7, 31.65]
    assert gdf.crs.to_epsg() == 4326


def test_gbk_csv_with_x_y_and_blank_rows(tmp_path):
    path = tmp_path / "candidates.csv"
    path.write_bytes("candidate_id,名称,X,Y\n1,闲置办公楼,118.5,31.7\n2,空地,,\n"
                     "3,培训中心,118.51,31.71\n".encode("gbk"))
    report = ValidationReport()
    gdf = read_vector(path, report=report)
    assert list(gdf["名称"]) == ["闲置办公楼", "培训中心"]
    (problem,) = report.problems
    assert problem.count == 1 and "line 3" in problem.message and "left out" in problem.message


def test_csv_with_bad_coordinates_or_none(tmp_path):
    path = tmp_path / "facilities.csv"
    path.write_text("id,lon,lat\n1,118.5,31.7\n2,118.5E,31.7\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"facilities.csv, column 'lon'.*line 3.*118.5E"):
        read_vector(path)
    path.write_text("id,地址\n1,花山区\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"no coordinate columns.*经度/纬度"):
        read_vector(path)


def test_csv_with_wkt_polygons(tmp_path):
    path = tmp_path / "communities.csv"
    path.write_text('community_id,name,geometry\nC1,花山社区,"POLYGON ((118.5 31.7, 118.51 31.7, '
                    '118.51 31.71, 118.5 31.71, 118.5 31.7))"\n', encoding="utf-8")
    gdf = read_vector(path)
    assert gdf.geometry[0].geom_type == "Polygon"
    assert gdf.geometry[0].bounds == (118.5, 31.7, 118.51, 31.71)


def test_broken_geojson_is_a_clear_error(tmp_path):
    path = tmp_path / "communities.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", '
                    '"geometry": {"type": "Point", "coordinates": [118.5, ', encoding="utf-8")
    with pytest.raises(DataError) as info:
        read_vector(path)
    message = str(info.value)
    assert message.startswith("communities.geojson: cannot be read as a GIS layer")
    assert "save it again" in message and "\n" not in message


def test_zipped_shapefile_with_gbk_member_names(tmp_path):
    shp = write_gbk_shapefile(tmp_path, "社区")
    archive = tmp_path / "communities.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for suffix in (".shp", ".shx", ".dbf", ".prj"):
            member = shp.with_suffix(suffix)
            info = zipfile.ZipInfo("社区" + suffix)
            # as written by Chinese Windows: GBK bytes, no UTF-8 flag
            info.filename = ("社区" + suffix).encode("gbk").decode("cp437")
            info.flag_bits = 0
            zf.writestr(info, member.read_bytes())
        zf.writestr("readme.txt", "数据说明")  # not a layer
    gdf = read_vector(archive)
    assert list(gdf["name"]) == NAMES
    assert gdf.attrs["file"] == "communities.zip"


def test_zip_missing_dbf_is_a_clear_error(tmp_path):
    shp = write_gbk_shapefile(tmp_path)
    archive = tmp_path / "communities.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for suffix in (".shp", ".shx", ".prj"):
            zf.write(shp.with_suffix(suffix), "communities" + suffix)
    with pytest.raises(DataError, match=r"communities.shp: the Shapefile has no \.dbf file "
                       r"\(attribute table\).*communities.dbf"):
        read_vector(archive)


def test_zip_with_path_traversal_is_refused(tmp_path):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("ok/communities.geojson", "{}")
        zf.writestr("../../escaped.txt", "x")
    target = tmp_path / "out" / "inner"
    target.mkdir(parents=True)
    with pytest.raises(DataError, match=r"evil.zip: .*unsafe path '../../escaped.txt'"):
        extract_zip(archive, target)
    assert not (tmp_path / "escaped.txt").exists()
    assert not (target / "ok").exists()  # refused before anything was written
    with pytest.raises(DataError, match="unsafe path"):
        read_vector(archive)
    absolute = tmp_path / "abs.zip"
    with zipfile.ZipFile(absolute, "w") as zf:
        zf.writestr("/etc/cron.d/x", "x")
    with pytest.raises(DataError, match="unsafe path"):
        extract_zip(absolute, target)


def test_zip_with_symlink_or_too_big_is_refused(tmp_path):
    archive = tmp_path / "link.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        info = zipfile.ZipInfo("communities.geojson")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(DataError, match="symbolic link"):
        extract_zip(archive, tmp_path / "x")
    big = tmp_path / "big.zip"
    with zipfile.ZipFile(big, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("population.csv", "0" * 200_000)
    with pytest.raises(DataError, match="expands to more than"):
        extract_zip(big, tmp_path / "y", max_bytes=100_000)


def test_zip_with_several_layers_and_other_files(tmp_path):
    archive = tmp_path / "upload.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("data/facilities.csv", "facility_id,lon,lat\nF1,118.5,31.7\n")
        zf.writestr("data/candidates.csv", "candidate_id,lon,lat\nK1,118.6,31.6\nK2,118.7,31.5\n")
        zf.writestr("data/run.exe", "MZ")
    with pytest.raises(DataError, match=r"several layers \(candidates.csv, facilities.csv\)"):
        read_vector(archive)
    assert list(read_vector(archive, layer="candidates")["candidate_id"]) == ["K1", "K2"]
    extract_zip(archive, tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out" / "data").iterdir()) == \
        ["candidates.csv", "facilities.csv"]  # the program was not extracted


def test_geopackage_layers(tmp_path):
    path = tmp_path / "data.gpkg"
    layer().to_file(path, layer="communities")
    layer(32650).to_file(path, layer="facilities")
    with pytest.raises(DataError, match=r"several layers \(communities, facilities\)"):
        read_vector(path)
    gdf = read_vector(path, layer="facilities")
    assert gdf.crs.to_epsg() == 4326
    assert np.allclose(gdf.geometry.y, [p[1] for p in POINTS], atol=1e-8)


def test_not_a_zip(tmp_path):
    path = tmp_path / "communities.zip"
    path.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(DataError, match="not a readable zip"):
        read_vector(path)


def test_published_bd09_value_is_the_published_wgs84_point_shifted_twice():
    lon, lat = wgs84_to_bd09(116.39775550083061, 39.91359571849836)
    assert metres(lon, lat, 116.41036949371029, 39.92133699351021) < 1.5
