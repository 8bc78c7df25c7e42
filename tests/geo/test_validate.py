import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo import _validate as v
from geo._errors import DataError
from geo.coords import from_wgs84, to_wgs84
from geo.dataset import ValidationReport
from geo.network import RoadNetwork
from tests.geo._toy import CRS, X0, Y0, toy_layers


@pytest.fixture
def report():
    return ValidationReport()


def points(coords, **columns):
    return gpd.GeoDataFrame(columns, geometry=shapely.points(coords), crs=CRS)


# ------------------------------------------------------------------------- columns and values
def test_missing_required_column_names_it_and_lists_the_others(report):
    gdf = toy_layers()["facilities"].drop(columns=["category"])
    with pytest.raises(DataError) as info:
        v.validate_facilities(gdf, report=report, file="facilities.geojson")
    message = str(info.value)
    assert message.startswith("facilities.geojson, layer 'facilities', column 'category': "
                              "required column(s) category missing")
    assert "facility_id, name, floor_area_m2" in message and "Add or rename" in message


def test_chinese_column_names_are_understood(report):
    gdf = toy_layers()["communities"].rename(columns={
        "community_id": "社区编码", "name": "社区名称", "population": "常住人口",
        "households": "户数", "street": "街道"})
    out = v.validate_communities(gdf, report=report, file="c.shp")
    assert list(out.columns[:7]) == ["community_id", "name", "kind", "households", "population",
                                     "street", "district"]
    assert out["population"].sum() == 2600
    assert any("'常住人口' → population" in p.message for p in report.problems)


def test_unknown_categories_are_dropped_and_reported(report):
    gdf = points([(X0, Y0)] * 4, facility_id=["a", "b", "c", "d"],
                 category=["health", "hospital", "社区客厅", "hospital"])
    out = v.validate_facilities(gdf, report=report, file="f.csv")
    assert list(out["facility_id"]) == ["a", "c"]
    assert list(out["category"]) == ["health", "community_living_room"]  # zh label accepted
    (problem,) = report.problems
    assert problem.severity == "warning" and problem.count == 2
    assert "'hospital' (2)" in problem.message and "community_service_center" in problem.message
    gdf["category"] = ["x", "y", "z", "x"]
    with pytest.raises(DataError, match=r"no row has a known category.*'x' \(2\).*Use these keys"):
        v.validate_facilities(gdf, report=ValidationReport(), file="f.csv")


def test_duplicate_and_missing_ids(report):
    gdf = points([(X0, Y0)] * 4, facility_id=[7, 8, 7, 8], category=["health"] * 4)
    with pytest.raises(DataError, match=r"column 'facility_id': 2 facility_id value\(s\) are "
                       r"used more than once \(e.g. '7', '8'\)"):
        v.validate_facilities(gdf, report=report, file="f.geojson")
    gdf["facility_id"] = ["a", None, "c", " "]
    with pytest.raises(DataError, match=r"2 row\(s\) have no facility_id \(features 2, 4\)"):
        v.validate_facilities(gdf, report=report, file="f.geojson")


def test_integer_ids_become_text(report):
    out = v.validate_candidates(toy_layers()["candidates"], report=report)
    assert list(out["candidate_id"]) == ["1", "2"]
    assert list(out["source"]) == ["idle_building"] * 2
    assert out["cost"].isna().all()


def test_negative_and_non_numeric_population(report):
    communities = v.validate_communities(toy_layers()["communities"], report=report)
    gdf = points([(X0 + 100, Y0 + 100)] * 3, population=[5, -2, -1])
    with pytest.raises(DataError, match=r"population.csv, layer 'population', column "
                       r"'population': 2 negative value\(s\) \(lines 3, 4\)"):
        v.validate_population(gdf, communities, report=report, file="population.csv")
    gdf["population"] = ["5", "about 20", "3"]
    with pytest.raises(DataError, match=r"1 value\(s\) are not numbers \(line 3: 'about 20'\)"):
        v.validate_population(gdf, communities, report=report, file="population.csv")
    gdf["population"] = ["5", "", "1,200"]  # blank dropped and reported; thousands separator ok
    out = v.validate_population(gdf, communities, report=report, file="population.csv")
    assert list(out["population"]) == [5.0, 1200.0]
    assert any("without a population value" in p.message and p.count == 1
               for p in report.problems)


def test_population_layer_without_residents_is_refused(report):
    # A layer of zeros or blanks used to pass (inspect: "problems: none") and the analysis
    # then reported 0 residents with no coverage share at all.
    communities = v.validate_communities(toy_layers()["communities"], report=report)
    gdf = points([(X0 + 100, Y0 + 100)] * 3, population=[0, 0, 0])
    with pytest.raises(DataError) as caught:
        v.validate_population(gdf, communities, report=report, file="population.csv")
    assert str(caught.value) == (
        "population.csv, layer 'population', column 'population': the layer holds no residents "
        "(every population value is 0). Give the number of residents of each point or grid cell.")
    gdf["population"] = [None, 0, None]
    with pytest.raises(DataError, match=r"no residents \(every population value is empty or 0\)"):
        v.validate_population(gdf, communities, report=report, file="population.csv")
    gdf["population"] = [0, 7, 0]  # empty points beside one with residents are fine
    out = v.validate_population(gdf, communities, report=report, file="population.csv")
    assert list(out["population"]) == [0.0, 7.0, 0.0]


def test_community_kind_inference_and_households(report):
    gdf = toy_layers()["communities"].drop(columns=["households"])
    gdf["name"] = ["花山社区", "采石村", "金家庄街道办", "新桥村委会"]
    out = v.validate_communities(gdf, report=report, file="c.geojson")
    assert list(out["kind"]) == ["urban", "rural", "urban", "rural"]
    assert out["households"].isna().all()  # not invented
    messages = [p.message for p in report.problems]
    assert any("1 community name(s) end neither in 村 nor 社区" in m and "金家庄街道办" in m
               for m in messages)
    gdf["kind"] = ["城市", "农村", "rural", None]
    out = v.validate_communities(gdf, report=ValidationReport(), file="c.geojson")
    assert list(out["kind"]) == ["urban", "rural", "rural", "rural"]
    gdf["kind"] = ["urban", "suburb", "rural", "rural"]
    with pytest.raises(DataError, match=r"column 'kind': unknown kind value\(s\) \['suburb'\]"):
        v.validate_communities(gdf, report=ValidationReport(), file="c.geojson")


def test_facility_status(report):
    gdf = points([(X0, Y0)] * 3, facility_id=["a", "b", "c"], category=["health"] * 3,
                 status=[None, "规划", "existing"])
    assert list(v.validate_facilities(gdf, report=report)["status"]) == \
        ["existing", "planned", "existing"]
    gdf["status"] = ["existing", "maybe", None]
    with pytest.raises(DataError, match="unknown status value"):
        v.validate_facilities(gdf, report=report)


# --------------------------------------------------------------------------------- geometries
def test_invalid_geometries_repaired_and_empty_ones_dropped(report):
    gdf = toy_layers()["communities"]
    bowtie = shapely.Polygon([(X0, Y0), (X0 + 1000, Y0 + 1000), (X0 + 1000, Y0), (X0, Y0 + 1000)])
    geoms = list(gdf.geometry)
    geoms[0] = bowtie
    geoms[3] = None
    gdf = gdf.set_geometry(gpd.GeoSeries(geoms, crs=CRS))
    out = v.validate_communities(gdf, report=report, file="c.geojson")
    assert list(out["community_id"]) == ["C1", "C2", "C3"]
    assert out.geometry.is_valid.all()
    assert out.geometry.iloc[0].area == pytest.approx(500_000.0)  # two triangles of 250 000 m²
    found = {p.message.split(" (")[0]: p.count for p in report.problems if p.count}
    assert found["1 feature(s) without geometry were left out"] == 1
    assert found["1 invalid geometry was repaired"] == 1


def test_facility_polygons_become_centroids_lines_are_refused(report):
    gdf = gpd.GeoDataFrame({"facility_id": ["a", "b"], "category": ["health", "sports"]},
                           geometry=[shapely.box(X0, Y0, X0 + 100, Y0 + 40),
                                     shapely.Point(X0, Y0)], crs=CRS)
    out = v.validate_facilities(gdf, report=report, file="f.gpkg")
    assert out.geometry.iloc[0].equals(shapely.Point(X0 + 50, Y0 + 20))
    assert any("1 polygon(s) were replaced by their centroid" in p.message
               for p in report.problems)
    gdf.geometry = [shapely.LineString([(X0, Y0), (X0 + 10, Y0)]), shapely.Point(X0, Y0)]
    with pytest.raises(DataError, match=r"1 feature\(s\) are lines; facilities must be points"):
        v.validate_facilities(gdf, report=report, file="f.gpkg")


def test_multipoints_in_a_point_layer(report):
    gdf = gpd.GeoDataFrame(
        {"candidate_id": ["a", "b"]},
        geometry=[shapely.MultiPoint([(X0, Y0), (X0 + 100, Y0 + 50)]),
                  shapely.MultiPoint([(X0 + 7, Y0 + 9)])], crs=CRS)
    out = v.validate_candidates(gdf, report=report, file="c.gpkg")
    assert out.geometry.iloc[0].equals(shapely.Point(X0 + 50, Y0 + 25))
    assert out.geometry.iloc[1].equals(shapely.Point(X0 + 7, Y0 + 9))  # single part: quietly
    (problem,) = report.problems
    assert problem.count == 1 and "multi-point" in problem.message


def test_heights_are_dropped(report):
    gdf = points([(X0, Y0)], facility_id=["a"], category=["police"])
    gdf.geometry = [shapely.Point(X0, Y0, 35.0)]
    out = v.validate_facilities(gdf, report=report)
    assert not out.geometry.has_z.any() and out.geometry.iloc[0].equals(shapely.Point(X0, Y0))


def test_points_are_not_communities(report):
    gdf = points([(X0, Y0)], community_id=["C1"], name=["花山社区"])
    with pytest.raises(DataError, match=r"are points, but communities must be polygons"):
        v.validate_communities(gdf, report=report, file="c.csv")


def test_population_grid_cells_get_points_and_communities(report):
    layers = toy_layers()
    communities = v.validate_communities(layers["communities"], report=report)
    cells = gpd.GeoDataFrame(
        {"population": [40.0, 60.0, 7.0]},
        geometry=[shapely.box(X0, Y0, X0 + 250, Y0 + 250),
                  shapely.box(X0 + 1250, Y0 + 1250, X0 + 1500, Y0 + 1500),
                  shapely.box(X0 + 3000, Y0, X0 + 3250, Y0 + 250)], crs=CRS)
    out = v.validate_population(cells, communities, report=report, file="grid.gpkg")
    assert list(out["community_id"].fillna("-")) == ["C1", "C4", "-"]
    assert all(cell.contains(pt) for cell, pt in zip(cells.geometry, out.geometry, strict=True))
    outside = [p for p in report.problems if "outside every community" in p.message]
    assert outside[0].count == 1 and "(7 people)" in outside[0].message
    cells["community_id"] = ["C1", "C2", None]  # the second is wrong: the cell lies in C4
    again = ValidationReport()
    out = v.validate_population(cells, communities, report=again, file="grid.gpkg")
    assert list(out["community_id"].fillna("-")) == ["C1", "C4", "-"]
    (changed,) = [p for p in again.problems if p.column == "community_id" and p.severity == "info"]
    assert changed.count == 1 and "feature 2" in changed.message


def test_population_spread_over_communities(report):
    communities = v.validate_communities(toy_layers()["communities"], report=report)
    # a tiny community (40 m × 40 m between grid centres) gets its representative point
    tiny = gpd.GeoDataFrame({"community_id": ["T"], "name": ["小社区"], "population": [30.0]},
                            geometry=[shapely.box(X0 + 2010, Y0 + 10, X0 + 2040, Y0 + 40)],
                            crs=CRS)
    communities = pd.concat([communities, v.validate_communities(tiny, report=report)])
    spread = v.population_from_communities(communities, report=report)
    counts = spread.groupby("community_id").size()
    # each 1 km square aligned on the 100 m grid holds 10 × 10 cell centres
    assert counts.to_dict() == {"C1": 100, "C2": 100, "C3": 100, "C4": 100, "T": 1}
    totals = spread.groupby("community_id")["population"].sum()
    assert totals.to_dict() == pytest.approx({"C1": 1000, "C2": 500, "C3": 800, "C4": 300,
                                              "T": 30})
    first = spread[spread["community_id"] == "C1"].geometry
    assert first.x.min() == X0 + 50 and first.y.max() == Y0 + 950
    communities["population"] = np.nan
    with pytest.raises(DataError, match="no population layer"):
        v.population_from_communities(communities, report=report)


def test_empty_candidates_have_the_columns():
    empty = v.empty_candidates(CRS)
    assert len(empty) == 0 and empty.crs.to_epsg() == 32650
    assert list(empty.columns) == ["candidate_id", "name", "floor_area_m2", "source", "cost",
                                   "geometry"]


# -------------------------------------------------------------------------------------- datum
def village_roads():
    """Villages 2 km apart, each a 200 m road cross (vertices every 10 m) at a facility."""
    centres = [(X0 + 2000 * i, Y0 + 2000 * j) for i in range(3) for j in range(2)]
    lines = []
    for x, y in centres:
        ticks = np.arange(-100, 101, 10)
        lines.append(shapely.LineString([(x + t, y) for t in ticks]))
        lines.append(shapely.LineString([(x, y + t) for t in ticks]))
    roads = gpd.GeoDataFrame({"highway": ["residential"] * len(lines)}, geometry=lines, crs=CRS)
    facilities = points(centres, facility_id=[str(i) for i in range(6)])
    return RoadNetwork.from_lines(roads, highway_column="highway"), facilities


def test_datum_check_suggests_gcj02(report):
    roads, true = village_roads()
    # the file held Amap (GCJ-02) numbers but was read as WGS84
    misread = from_wgs84(true.to_crs(4326), "gcj02").set_crs(4326, allow_override=True)
    misread = misread.to_crs(CRS)
    median = v.check_datum(misread, roads, layer="facilities", file="facilities.csv",
                           system="wgs84", report=report)
    assert median > 250
    (problem,) = report.problems
    assert problem.severity == "warning"
    assert "Read as GCJ-02 (Amap/高德, Tencent) they would lie 0 m from the roads" in \
        problem.message
    assert problem.count == 6 and problem.file == "facilities.csv"
    assert 'coords = "gcj02" in dataset.toml, or the --coords gcj02 option' in problem.message


def test_datum_check_suggests_wgs84_when_told_wrongly(report):
    roads, true = village_roads()
    # WGS84 numbers, but the user said they were Baidu's: they land ~1 km off
    misread = to_wgs84(true.to_crs(4326), "bd09").to_crs(CRS)
    v.check_datum(misread, roads, layer="facilities", file="f.csv", system="bd09",
                  report=report)
    (problem,) = report.problems
    assert 'say so: coords = "wgs84" in dataset.toml, or the --coords wgs84 option' in \
        problem.message


def test_datum_check_quiet_when_close_and_plain_when_no_system_fits(report):
    roads, true = village_roads()
    assert v.check_datum(true, roads, layer="facilities", file=None, report=report) == 0.0
    assert report.problems == []
    far = points([(X0 + 7000, Y0 + 5000)] * 3)  # 3 km from the nearest village in every system
    median = v.check_datum(far, roads, layer="candidates", file="c.csv", report=report)
    assert median == pytest.approx(np.hypot(3000, 3000 - 100))
    (problem,) = report.problems
    assert "median 4,173 m" in problem.message and "Read as" not in problem.message


def test_datum_check_in_a_dense_street_grid(report):
    # streets every 130 m (vertices there too): any point is within 92 m of a node. (The
    # GCJ-02 offset here is 491 m east, 215 m south: on a 100 m grid shifted shops would land
    # on the next street again.)
    ticks = np.arange(0, 3001, 130.0)
    lines = [shapely.LineString([(X0 + t, Y0 + s) for s in ticks]) for t in ticks] + \
        [shapely.LineString([(X0 + s, Y0 + t) for s in ticks]) for t in ticks]
    roads = RoadNetwork.from_lines(
        gpd.GeoDataFrame({"highway": ["residential"] * len(lines)}, geometry=lines, crs=CRS),
        highway_column="highway")
    rng = np.random.default_rng(1)
    # 200 shops on the street fronts, 5 m off the centre line, inside the grid
    along = rng.uniform(500, 2500, 200)
    street = X0 + 130 * rng.integers(4, 19, 200)
    true = points(np.column_stack([street + 5, Y0 + along]),
                  facility_id=[str(i) for i in range(200)])
    assert v.check_datum(true, roads, layer="facilities", file=None, report=report) < 250
    assert report.problems == []
    misread = from_wgs84(true.to_crs(4326), "gcj02").set_crs(4326, allow_override=True)
    misread = misread.to_crs(CRS)
    node_median = v.check_datum(misread, roads, layer="facilities", file="poi.csv",
                                report=report)
    assert node_median < 250  # the plain distance rule alone would not notice
    (problem,) = report.problems
    assert "Read as GCJ-02" in problem.message and "from the roads" in problem.message
    assert "5.0 m from the roads" in problem.message  # the true street offset comes back
    quiet = ValidationReport()  # homes inside blocks are not compared this way
    v.check_datum(misread, roads, layer="population", file=None, report=quiet,
                  compare_lines=False)
    assert quiet.problems == []
