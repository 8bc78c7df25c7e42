"""What-if edits: files read and written, refused with a clear message, applied to a data set;
an analysis updated with edits equals a full analysis of the edited data set."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from geo._errors import DataError
from planning.access.analysis import analyze
from planning.settings import Settings
from planning.siting import recommend_sites
from planning.siting.edits import (
    apply_edits,
    changed_categories,
    check_edits,
    combined,
    edit_table,
    edited_categories,
    edits_from_sites,
    read_edits,
    write_edits,
)
from planning.siting.whatif import analysis_with_edits

from ._siting_line import CIRCLE_M, CRS, DEMAND_X, X0, Y0, by_hand_existing, demand_population, line_dataset

CAT = "community_living_room"


def _lonlat(x: float) -> tuple[float, float]:
    """Longitude/latitude of the street point ``x`` metres east of its start."""
    p = gpd.GeoSeries([shapely.Point(X0 + x, Y0)], crs=CRS).to_crs(4326).iloc[0]
    return p.x, p.y


def _geojson(path: Path, features: list[dict]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
                    encoding="utf-8")
    return path


def _feature(props: dict, x: float | None = None) -> dict:
    geometry = None if x is None else {"type": "Point", "coordinates": list(_lonlat(x))}
    return {"type": "Feature", "properties": props, "geometry": geometry}


# ------------------------------------------------------------------------------- files
def test_chinese_headers_and_values_are_read(tmp_path: Path) -> None:
    path = _geojson(tmp_path / "方案.geojson", [
        _feature({"设施编号": "P1", "类别": "社区客厅", "名称": "东街社区客厅", "建筑面积": 320, "操作": "新增"}, 3000.0),
        _feature({"设施编号": "F1", "操作": "关闭"}),
        _feature({"类别": "health", "操作": "add"}, 600.0),
    ])
    edits = read_edits(path)
    assert edits["facility_id"].tolist() == ["P1", "F1", "planned-1"]
    assert edits["edit"].tolist() == ["add", "close", "add"]
    assert edits["status"].tolist() == ["planned", "closed", "planned"]
    assert edits["category"].tolist() == [CAT, None, "health"]
    assert edits.loc[0, "name"] == "东街社区客厅" and edits.loc[2, "name"] == "planned-1"
    assert edits.loc[0, "floor_area_m2"] == 320.0 and np.isnan(edits.loc[2, "floor_area_m2"])
    assert edits.geometry.iloc[1] is None
    assert edits.crs.to_epsg() == 4326
    lon, lat = _lonlat(3000.0)
    assert (edits.geometry.iloc[0].x, edits.geometry.iloc[0].y) == pytest.approx((lon, lat))


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg"])
def test_round_trip_through_gdal(tmp_path: Path, suffix: str) -> None:
    lon, lat = _lonlat(3000.0)
    edits = edit_table([
        {"edit": "add", "facility_id": "P1", "category": CAT, "name": "新客厅", "floor_area_m2": 250.0,
         "capacity": 40.0, "x": lon, "y": lat},
        {"edit": "remove", "facility_id": "F1"},
    ])
    path = write_edits(edits, tmp_path / f"plan{suffix}")
    raw = pyogrio.read_dataframe(path)  # what GIS software sees
    assert raw["edit"].tolist() == ["add", "remove"] and raw["status"].tolist() == ["planned", "removed"]
    assert raw.crs.to_epsg() == 4326
    back = read_edits(path)
    cols = ["facility_id", "category", "name", "floor_area_m2", "capacity", "status", "edit"]
    pd.testing.assert_frame_equal(pd.DataFrame(back[cols]), pd.DataFrame(edits[cols]), check_dtype=False)
    assert back.geometry.iloc[0].equals_exact(edits.geometry.iloc[0], 1e-9)
    assert back.geometry.iloc[1] is None
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # the atomic writer leaves nothing behind


@pytest.mark.parametrize("features, message", [
    ([_feature({"facility_id": "P1", "category": "图书", "edit": "add"}, 100.0)], "unknown category '图书'"),
    ([_feature({"facility_id": "P1", "category": CAT, "edit": "add"})], "addition without a point"),
    ([_feature({"category": CAT, "edit": "remove"})], "needs the facility_id"),
    ([_feature({"facility_id": "P1", "category": CAT, "edit": "move"}, 100.0)], "unknown edit 'move'"),
    ([_feature({"facility_id": "P1", "category": CAT}, 100.0),
      _feature({"facility_id": "P1", "category": CAT}, 300.0)], "duplicate facility_id P1 \\(features 1, 2\\)"),
    ([_feature({"facility_id": "P1", "category": CAT, "floor_area_m2": -5}, 100.0)], "floor_area_m2 must be"),
])
def test_bad_edit_files(tmp_path: Path, features: list[dict], message: str) -> None:
    path = _geojson(tmp_path / "bad.geojson", features)
    with pytest.raises(DataError, match=message) as info:
        read_edits(path)
    assert "bad.geojson" in str(info.value)


def test_bad_files_and_edits_that_do_not_fit_the_data(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not found"):
        read_edits(tmp_path / "missing.geojson")
    (tmp_path / "plan.csv").write_text("facility_id\nF1\n")
    with pytest.raises(DataError, match="GeoJSON or GeoPackage"):
        read_edits(tmp_path / "plan.csv")
    ds = line_dataset()
    unknown = edit_table([{"edit": "remove", "facility_id": "F9"}])
    with pytest.raises(DataError, match="unknown facility id\\(s\\) to remove or close: F9"):
        apply_edits(ds, unknown)
    lon, lat = _lonlat(100.0)
    taken = edit_table([{"edit": "add", "facility_id": "F1", "category": CAT, "x": lon, "y": lat}])
    with pytest.raises(DataError, match="F1 of additions already exist"):
        apply_edits(ds, taken)
    with pytest.raises(DataError, match="outside the longitude/latitude range"):
        edit_table([{"edit": "add", "facility_id": "P1", "category": CAT, "x": lat, "y": lon}])  # swapped
    far = edit_table([{"edit": "add", "facility_id": "P1", "category": CAT, "x": lon + 0.1, "y": lat}])
    with pytest.raises(DataError, match="P1 lie more than 5 km from every road"):
        check_edits(ds, far)
    check_edits(ds, taken.assign(facility_id="P1"))  # 100 m east of the street's start: fine


# ------------------------------------------------------------------------------- applying
def test_apply_adds_planned_facilities_and_leaves_out_removed_ones() -> None:
    ds = line_dataset()
    lon, lat = _lonlat(3000.0)
    edits = edit_table([{"edit": "add", "facility_id": "P1", "category": CAT, "name": "新客厅",
                         "floor_area_m2": 300.0, "x": lon, "y": lat}])
    out = apply_edits(ds, edits)
    assert out.facilities["facility_id"].tolist() == ["F1", "P1"]
    assert out.facilities["status"].tolist() == ["existing", "planned"]
    assert out.facilities.index.tolist() == [0, 1]
    assert out.facilities.geometry.iloc[1].distance(shapely.Point(X0 + 3000, Y0)) < 1e-6
    assert len(ds.facilities) == 1  # the data set itself is not changed
    closed = apply_edits(out, edit_table([{"edit": "close", "facility_id": "F1"}]))
    assert closed.facilities["facility_id"].tolist() == ["P1"] and closed.facilities.index.tolist() == [1]
    assert edited_categories(ds, edits) == [CAT]
    assert edited_categories(out, edit_table([{"edit": "close", "facility_id": "F1"}])) == [CAT]


def test_a_new_facility_covers_the_residents_within_its_circle() -> None:
    """By hand: a site at x = 3,000 m reaches every resident within 1,125 m along the street."""
    ds = line_dataset()
    base = analyze(ds, Settings(), categories=[CAT])
    lon, lat = _lonlat(3000.0)
    edits = edit_table([{"edit": "add", "facility_id": "P1", "category": CAT, "x": lon, "y": lat}])
    after = analysis_with_edits(base, edits)
    w = demand_population()
    by_hand = by_hand_existing() | (np.abs(DEMAND_X - 3000.0) <= CIRCLE_M + 1e-6)
    assert after.category_summary.loc[CAT, "covered_population"] == pytest.approx(w[by_hand].sum())
    assert after.category_summary.loc[CAT, "facilities"] == 2
    assert after.scenario_edits["facility_id"].tolist() == ["P1"]
    # Closing the existing one as well leaves only the new circle.
    both = combined(edits, edit_table([{"edit": "close", "facility_id": "F1"}]))
    later = analysis_with_edits(base, both, previous=after)
    only_new = np.abs(DEMAND_X - 3000.0) <= CIRCLE_M + 1e-6
    assert later.category_summary.loc[CAT, "covered_population"] == pytest.approx(w[only_new].sum())
    assert base.category_summary.loc[CAT, "covered_population"] == pytest.approx(w[by_hand_existing()].sum())


def test_siting_results_become_edits() -> None:
    ds = line_dataset()
    base = analyze(ds, Settings(), categories=[CAT])
    result = recommend_sites(ds, base, category=CAT, new_sites=3, candidates="given", circles=False)
    edits = edits_from_sites(result, ranks=[1, 2])
    assert edits["facility_id"].tolist() == [f"{CAT}:{c}" for c in result.sites["candidate_id"][:2]]
    assert edits["name"].tolist() == result.sites["name"][:2].tolist()
    assert edits["source"].tolist() == ["idle_building"] * 2 and (edits["edit"] == "add").all()
    after = analysis_with_edits(base, edits_from_sites(result))
    assert after.category_summary.loc[CAT, "covered_population"] == pytest.approx(result.covered_after)
    with pytest.raises(DataError, match="no site of rank 7"):
        edits_from_sites(result, ranks=[1, 7])


def test_changed_categories_compare_two_edit_tables() -> None:
    ds = line_dataset()
    lon, lat = _lonlat(3000.0)
    a = edit_table([{"edit": "add", "facility_id": "P1", "category": CAT, "x": lon, "y": lat}])
    moved = edit_table([{"edit": "add", "facility_id": "P1", "category": CAT, "x": lon + 0.001, "y": lat}])
    health = combined(a, edit_table([{"edit": "add", "facility_id": "H1", "category": "health", "x": lon, "y": lat}]))
    assert changed_categories(ds, a, a) == []
    assert changed_categories(ds, a, moved) == [CAT]
    assert changed_categories(ds, a, health) == ["health"]
    assert changed_categories(ds, None, edit_table([{"edit": "remove", "facility_id": "F1"}])) == [CAT]


# ------------------------------------------------------------------------------- incremental = full
def _same_analysis(inc, full) -> None:
    assert inc.categories == full.categories
    for name in ("demand_minutes", "covered", "category_summary", "indicators", "community_table"):
        pd.testing.assert_frame_equal(getattr(inc, name), getattr(full, name), obj=name)
    assert inc.coverage.complete_categories == full.coverage.complete_categories
    assert inc.e2sfca_supply == full.e2sfca_supply
    for name, layer in inc.layers(circles=False).items():
        pd.testing.assert_frame_equal(pd.DataFrame(layer), pd.DataFrame(full.layers(circles=False)[name]), obj=name)


def test_incremental_update_equals_a_full_analysis_on_the_toy_data(toy_dataset_dir: Path) -> None:
    from geo.dataset_loader import load_dataset

    ds = load_dataset(toy_dataset_dir)
    base = analyze(ds)
    base.community_table  # E2SFCA of every category computed, to be handed on
    base.circles_for(list(base.categories))
    centre = ds.population.geometry.iloc[4]
    edits = edit_table([
        {"edit": "add", "facility_id": "P1", "category": "health", "x": centre.x, "y": centre.y,
         "floor_area_m2": 120.0},
        {"edit": "add", "facility_id": "P2", "category": "meal_aid", "x": centre.x + 150, "y": centre.y},
        {"edit": "close", "facility_id": str(ds.facilities.loc[ds.facilities["category"] == "elderly_care",
                                                               "facility_id"].iloc[0])},
    ], crs=ds.crs)
    inc = analysis_with_edits(base, edits)
    full = analyze(apply_edits(ds, edits), categories=inc.categories)
    assert "meal_aid" in inc.categories and "meal_aid" not in base.categories
    _same_analysis(inc, full)
    # Circles: handed on where nothing changed, patched where something did, equal to a new drawing.
    for cat in inc.categories:
        patched, drawn = inc.circles_for([cat]).geometry.iloc[0], full.circles_for([cat]).geometry.iloc[0]
        assert shapely.symmetric_difference(patched, drawn).area <= 1e-6 * max(drawn.area, 1.0), cat
    kept = [c for c in inc.categories if c not in ("health", "meal_aid", "elderly_care")]
    assert all(inc.circles_for([c]).geometry.iloc[0] is base.circles_for([c]).geometry.iloc[0] for c in kept)


def test_incremental_update_equals_a_full_analysis_on_xian() -> None:
    xian = Path(__file__).resolve().parents[2] / "data" / "xian"
    if not xian.is_dir():
        pytest.skip("data/xian is not built")
    from geo.dataset_loader import load_dataset

    ds = load_dataset(xian)
    base = analyze(ds)
    base.community_table
    fac = ds.facilities
    home = ds.population.geometry.iloc[100]
    edits = edit_table([
        {"edit": "add", "facility_id": "P1", "category": "community_living_room", "x": home.x, "y": home.y,
         "floor_area_m2": 300.0},
        {"edit": "add", "facility_id": "P2", "category": "community_service_center", "x": home.x + 400,
         "y": home.y, "floor_area_m2": 600.0},
        {"edit": "close", "facility_id": str(fac.loc[fac["category"] == "health", "facility_id"].iloc[3])},
    ], crs=ds.crs)
    inc = analysis_with_edits(base, edits)
    full = analyze(apply_edits(ds, edits), categories=inc.categories)
    _same_analysis(inc, full)
    assert inc.category_summary.loc["community_living_room", "covered_population"] > 0
