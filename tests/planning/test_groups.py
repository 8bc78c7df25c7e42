"""Target groups (elderly 60+, children 0–6) and the 2020 census, on hand-worked cases.

The road is a line along the x axis with a node every 150 m: 2 minutes per edge at the normal
walking speed (75 m/min), 2.5 minutes for the elderly (60 m/min). The facility stands at x = 0,
every demand point on a node, so a point at x metres is x / 75 minutes away (x / 60 for the
elderly) and the 15-minute circle reaches 1125 m (900 m for the elderly).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from geo._errors import DataError
from planning import census
from planning.access.analysis import analyze
from planning.access.coverage import coverage
from planning.access.groups import with_groups
from planning.access.travel import TravelModel
from planning.settings import Settings
from tests.planning._engine_fixtures import dataset, line_network, xy

COMMUNITY = [{"community_id": "U", "name": "东风社区", "kind": "urban", "households": 100.0,
              "box": (-100, -100, 1600, 100)}]
FACILITIES = [{"facility_id": "e", "category": "elderly_care", "xy": (0, 0)},
              {"facility_id": "h", "category": "health", "xy": (0, 0)}]
# (x, residents, of them aged 60+): minutes at 75 / at 60 m/min
POINTS = [(0, 100.0, 30.0),      # 0 / 0: inside
          (900, 50.0, 20.0),     # 12 / 15: inside (the circle's edge counts)
          (1050, 40.0, 10.0),    # 14 / 17.5: inside for residents, OUTSIDE for the elderly
          (1200, 60.0, 5.0)]     # 16 / 20: outside


def _town(*, elderly: bool = True, households: bool = True) -> object:
    com = [{k: v for k, v in COMMUNITY[0].items() if households or k != "households"}]
    pop = [{"population": p, **({"elderly": e} if elderly else {}), "xy": (x, 0)} for x, p, e in POINTS]
    return dataset(line_network(11, 150.0), communities=com, facilities=FACILITIES, population=pop)


def test_covered_elderly_counted_by_hand() -> None:
    result = analyze(_town(), Settings())
    row = result.category_summary.loc["elderly_care"]
    # All residents at 75 m/min, as before: 100 + 50 + 40 of 250.
    assert (row["population"], row["covered_population"], row["coverage_pct"]) == (250.0, 190.0, 76.0)
    # The elderly at 60 m/min: 30 + 20 of 65 (the 10 at 1050 m need 17.5 minutes).
    assert row["target_group"] == "elderly"
    assert (row["group_population"], row["covered_group_population"]) == (65.0, 50.0)
    assert row["group_coverage_pct"] == pytest.approx(100 * 50 / 65)
    # Health serves everyone: its group figures are the all-residents ones.
    health = result.category_summary.loc["health"]
    assert (health["target_group"], health["group_population"], health["covered_group_population"]) == \
        ("all", 250.0, 190.0)
    table = result.community_table.loc["U"]
    assert table["elderly_population"] == 65.0
    assert table["group_coverage_pct_elderly_care"] == pytest.approx(100 * 50 / 65)
    assert table["coverage_pct_elderly_care"] == pytest.approx(76.0)
    row = result.indicators.set_index("name").loc["group_in_circle_elderly_care"]
    assert row["name_zh"] == "60岁以上老年人15分钟可达养老服务站比例"
    assert row["value"] == pytest.approx(100 * 50 / 65) and row["pass"] is False
    assert row["communities_missing"] == ["U"]


def test_elderly_speed_turns_a_hand_measured_point_uncovered() -> None:
    cov = coverage(_town(), Settings(), categories=["elderly_care"])
    # The point at 1050 m: 7 edges of 150 m = 14 minutes at 75 m/min, 17.5 at 60 m/min.
    assert cov.demand_minutes["elderly_care"].iloc[2] == pytest.approx(14.0)
    assert cov.group_minutes("elderly_care").iloc[2] == pytest.approx(17.5)
    assert bool(cov.covered["elderly_care"].iloc[2]) is True
    assert bool(cov.group_covered("elderly_care").iloc[2]) is False
    assert list(cov.group_covered("elderly_care")) == [True, True, False, False]
    # The same minutes as a shortest-path run at 60 m/min (routes do not depend on the speed).
    net = _town().roads
    slow = TravelModel.for_mode(net, "walk", Settings(profile="elderly"))
    x, y = xy(0.0)
    direct = slow.minutes_to_nearest(x, y, np.array([1050.0 + x[0]]), y, limit_minutes=np.inf)
    assert direct[0] == pytest.approx(17.5)
    # The setting off: the elderly walk at the normal speed and all three inner points are in.
    normal = coverage(_town(), Settings(elderly_group_speed=False), categories=["elderly_care"])
    assert list(normal.group_covered("elderly_care")) == [True, True, True, False]


def test_all_residents_figures_do_not_depend_on_the_groups() -> None:
    town = _town()
    with_groups_ = analyze(town, Settings())
    without = analyze(town, Settings(target_groups={}))
    columns = ["facilities", "population", "covered_population", "coverage_pct"]
    pd.testing.assert_frame_equal(with_groups_.category_summary[columns], without.category_summary[columns])
    pd.testing.assert_frame_equal(with_groups_.demand_minutes, without.demand_minutes)
    pd.testing.assert_frame_equal(with_groups_.covered, without.covered)
    assert (without.category_summary["target_group"] == "all").all()
    # JSON: the library's object is unchanged, the command's adds the group figures beside it.
    plain, grouped = with_groups_.to_json(), with_groups_.to_json(groups=True)
    assert plain["categories"]["elderly_care"] == {"covered_population": 190, "coverage_pct": 76.0, "facilities": 1}
    assert grouped["categories"]["elderly_care"] == {
        "covered_population": 190, "coverage_pct": 76.0, "facilities": 1, "target_group": "elderly",
        "group_population": 65, "covered_group_population": 50, "group_coverage_pct": pytest.approx(100 * 50 / 65),
        "group_source": "residents aged 60+: counted from the population layer's column elderly"}


def test_groups_without_counts_fall_back_to_all_residents_and_say_so() -> None:
    result = analyze(_town(elderly=False), Settings())
    row = result.category_summary.loc["elderly_care"]
    assert row["target_group"] == "elderly" and math.isnan(row["group_population"])
    ind = result.indicators.set_index("name").loc["group_in_circle_elderly_care"]
    assert math.isnan(ind["value"]) and ind["pass"] is None and "no counts" in ind["note"]
    assert any("all residents counted at the normal speed for elderly_care" in n for n in result.dataset.notes)
    assert any("无人数数据" in n for n in result.dataset.notes)
    assert "uncovered_group" not in result.layers(circles=False)


# --------------------------------------------------------------------------------------- census
def test_census_lookup_gives_the_published_shares() -> None:
    c = census.county("340521")
    assert (c.name, c.province, c.residents) == ("当涂县", "安徽省", 446_991)
    assert c.share_60_plus == pytest.approx(0.2136, abs=1e-12)  # published: 60+ 21.36 %
    assert c.share_65_plus == pytest.approx(0.168) and c.household_size == 2.63 and c.urban_share == 0.6301
    # 0–6 from the bands of 当涂县 (ages.csv): 0: 0.85 %, 1–4: 4.39 %, 5–9: 4.89 % → two fifths of it.
    assert c.share_0_6 == pytest.approx(0.0085 + 0.0439 + 0.4 * 0.0489, abs=1e-12)
    assert c.label == "当涂县（安徽省，340521）"
    xincheng = census.county(610102)
    assert (xincheng.residents, xincheng.share_60_plus) == (617_986, pytest.approx(0.1977))
    with pytest.raises(DataError, match="no county with the code '999999'"):
        census.county("999999")
    with pytest.raises(DataError, match="no figures for 金门县"):
        census.county("350527")
    assert census.county("130203").household_size is None  # 225 in the source
    assert ("340521", "当涂县（安徽省，340521）") in census.county_choices()
    assert len(census.county_choices()) == 2989


def test_census_shares_are_applied_to_each_demand_point() -> None:
    town = _town(elderly=False)
    result = analyze(town, Settings(census_code="340521"))
    counts = result.coverage.group_counts
    np.testing.assert_allclose(counts["elderly"], [100 * 0.2136, 50 * 0.2136, 40 * 0.2136, 60 * 0.2136])
    row = result.category_summary.loc["elderly_care"]
    assert row["group_population"] == pytest.approx(250 * 0.2136)
    assert row["covered_group_population"] == pytest.approx(150 * 0.2136)  # the points at 0 and 900 m
    doc = result.to_json(groups=True)
    source = doc["categories"]["elderly_care"]["group_source"]
    assert "21.36 % of the residents of each demand point" in source and "当涂县 (340521)" in source
    assert doc["census"]["code"] == "340521" and doc["census"]["population_factor"] is None
    json.dumps(doc, allow_nan=False)
    assert census.ATTRIBUTION in result.dataset.attribution
    assert any("按第七次全国人口普查当涂县（340521）的比例 21.36%" in n for n in result.dataset.notes)
    # A code in dataset.toml works the same way; the setting wins over it.
    town.meta["census_code"] = "340521"
    assert analyze(town).category_summary.loc["elderly_care", "group_population"] == pytest.approx(53.4)
    other = analyze(town, Settings(census_code="610102")).category_summary.loc["elderly_care", "group_population"]
    assert other == pytest.approx(250 * 0.1977)


def test_whole_county_scales_to_the_census_total_and_reports_the_factor() -> None:
    result = analyze(_town(elderly=False, households=False), Settings(census_code="340521", census_whole_county=True))
    factor = 446_991 / 250
    assert result.total_population == pytest.approx(446_991)
    np.testing.assert_allclose(result.coverage.population, np.array([100, 50, 40, 60]) * factor)
    # Shares do not move with the scale; the households are the county's household size.
    assert result.category_summary.loc["elderly_care", "coverage_pct"] == pytest.approx(76.0)
    assert result.community_table.loc["U", "households"] == pytest.approx(446_991 / 2.63)
    doc = result.to_json(groups=True)
    assert doc["census"]["population_factor"] == pytest.approx(factor)
    assert doc["census"]["households_estimated"] == 1
    assert any(f"系数 {factor:.4f}" in n for n in result.dataset.notes)
    assert any(f"population scaled by {factor:.4f}" in n for n in result.dataset.notes)
    with pytest.raises(DataError, match="no county is given"):
        analyze(_town(), Settings(census_whole_county=True))


def test_group_counts_are_checked() -> None:
    town = _town()
    town.population.loc[1, "elderly"] = 80.0  # 50 residents
    with pytest.raises(DataError, match="more elderly residents than residents"):
        with_groups(town, Settings())


# --------------------------------------------------------------------------------------- siting
def _siting_town() -> object:
    """Road of 40 × 75 m (1 minute per edge, 1.25 for the elderly); elderly care at x = 0;
    candidates A at 1500 m and B at 3000 m."""
    pop = [{"population": 10.0, "elderly": 2.0, "xy": (0, 0)},        # P1: at the existing facility
           {"population": 100.0, "elderly": 5.0, "xy": (1500, 0)},    # P2: at A
           {"population": 50.0, "elderly": 40.0, "xy": (3000, 0)},    # P3: at B
           {"population": 30.0, "elderly": 30.0, "xy": (2025, 0)}]    # P4: 525 m from A, 975 m from B
    data = dataset(line_network(41, 75.0),
                   communities=[{"community_id": "U", "name": "长江社区", "kind": "urban", "box": (-10, -10, 3010, 10)}],
                   facilities=[{"facility_id": "e", "category": "elderly_care", "xy": (0, 0)}], population=pop)
    import geopandas as gpd
    from shapely.geometry import Point

    from tests.planning._engine_fixtures import X0, Y0
    data.candidates = gpd.GeoDataFrame({"candidate_id": ["A", "B"], "name": ["甲", "乙"], "source": "idle_building",
                                        "floor_area_m2": [300.0, 300.0]},
                                       geometry=[Point(X0 + 1500, Y0), Point(X0 + 3000, Y0)], crs=data.crs)
    return data


def test_mclp_and_lscp_count_the_elderly_at_their_speed() -> None:
    from planning.siting import recommend_sites

    data = _siting_town()
    # All residents: A reaches P2 + P4 (130), B reaches P3 + P4 (80).
    everyone = recommend_sites(data, analyze(data, Settings(target_groups={})), category="elderly_care",
                               new_sites=1, candidates="given", circles=False)
    assert everyone.sites["candidate_id"].tolist() == ["A"] and everyone.target_group == "all"
    assert everyone.sites["newly_covered"].tolist() == [130.0]
    # The elderly (900 m circle): A reaches P2 + P4 (5 + 30), B only P3 (40): B; 975 m is too far.
    elderly = recommend_sites(data, analyze(data, Settings()), category="elderly_care", new_sites=1,
                              candidates="given", circles=False)
    assert elderly.sites["candidate_id"].tolist() == ["B"] and elderly.target_group == "elderly"
    assert elderly.sites["newly_covered"].tolist() == [40.0]
    assert (elderly.covered_before, elderly.covered_after, elderly.total_population) == (2, 42, 77)
    assert "sites chosen for residents aged 60+" in " ".join(elderly.notes)
    assert elderly.to_json()["target_group"] == "elderly"
    # Walking at the normal speed, the elderly at P4 (13 minutes) are inside B's circle too.
    normal = recommend_sites(data, analyze(data, Settings(elderly_group_speed=False)), category="elderly_care",
                             new_sites=1, candidates="given", circles=False)
    assert normal.sites["newly_covered"].tolist() == [70.0]
    # LSCP, half of the group: 38.5 of 77 elderly — B alone (2 + 40); half of 190 residents — A alone.
    lscp_elderly = recommend_sites(data, analyze(data, Settings()), category="elderly_care", model="lscp",
                                   target_pct=50, candidates="given", circles=False)
    lscp_all = recommend_sites(data, analyze(data, Settings(target_groups={})), category="elderly_care",
                               model="lscp", target_pct=50, candidates="given", circles=False)
    assert lscp_elderly.sites["candidate_id"].tolist() == ["B"]
    assert lscp_all.sites["candidate_id"].tolist() == ["A"]


def test_pmedian_weighs_elderly_minutes() -> None:
    from planning.siting import recommend_sites

    data = _siting_town()
    # Elderly minutes (cut off at 2 × 15 = 30): existing 0, 25, 50 → 30, 33.75 → 30.
    # Before: 2·0 + 5·25 + 40·30 + 30·30 = 2225 person-minutes.
    # With A: 5·0 + 40·25 + 30·8.75 = 1262.5; with B: 5·25 + 40·0 + 30·16.25 = 612.5 → B.
    r = recommend_sites(data, analyze(data, Settings()), category="elderly_care", model="pmedian", new_sites=1,
                        candidates="given", circles=False)
    assert r.sites["candidate_id"].tolist() == ["B"]
    assert r.total_minutes_before == pytest.approx(2225.0) and r.total_minutes_after == pytest.approx(612.5)
    # All residents at 75 m/min: A 50·20 + 30·7 = 1210 against B 100·20 + 30·13 = 2390 → A.
    r = recommend_sites(data, analyze(data, Settings(target_groups={})), category="elderly_care", model="pmedian",
                        new_sites=1, candidates="given", circles=False)
    assert r.sites["candidate_id"].tolist() == ["A"] and r.total_minutes_after == pytest.approx(1210.0)


def test_e2sfca_counts_the_group_at_its_speed() -> None:
    from planning.access.e2sfca import e2sfca

    # Road of 75 m edges; 100 m² of elderly care at x = 0; P1 at 0 (40 residents, 10 aged 60+),
    # P2 at 675 m: 9 minutes (step weight 0.68), 11.25 for the elderly (0.22).
    data = dataset(line_network(41, 75.0),
                   communities=[{"community_id": "U", "name": "东风社区", "kind": "urban", "box": (-10, -10, 3010, 10)}],
                   facilities=[{"facility_id": "F", "category": "elderly_care", "xy": (0, 0), "floor_area_m2": 100.0}],
                   population=[{"population": 40.0, "elderly": 10.0, "xy": (0, 0)},
                               {"population": 60.0, "elderly": 30.0, "xy": (675, 0)}])
    r = e2sfca(data, Settings(), category="elderly_care", decay="step")
    ratio = 100.0 / (10 * 1.0 + 30 * 0.22)
    assert r.target_group == "elderly"
    np.testing.assert_allclose(r.demand["accessibility"], [ratio, 0.22 * ratio])
    np.testing.assert_allclose(r.demand["group_population"], [10.0, 30.0])
    # The community mean is weighted by the elderly.
    assert r.communities.loc["U", "accessibility"] == pytest.approx((10 * ratio + 30 * 0.22 * ratio) / 40)
    everyone = e2sfca(data, Settings(target_groups={}), category="elderly_care", decay="step")
    np.testing.assert_allclose(everyone.demand["accessibility"], [100 / 80.8, 0.68 * 100 / 80.8])


# --------------------------------------------------------------------------------------- input and command
def test_loader_reads_chinese_group_columns(tmp_path) -> None:
    from geo.dataset_loader import load_dataset
    from tests.geo._toy import toy_layers, write_toy_dataset

    layers = toy_layers()
    pop = layers["population"]
    pop["60岁以上人口"] = (pop["population"] * 0.25).round()
    pop["0-6岁人口"] = (pop["population"] * 0.05).round()
    ds = load_dataset(write_toy_dataset(tmp_path / "toy", layers=layers))
    assert ds.population["elderly"].sum() == pop["60岁以上人口"].sum()
    assert ds.population["children"].sum() == pop["0-6岁人口"].sum()
    assert any("'60岁以上人口' → elderly" in p.message for p in ds.report.problems)
    result = analyze(ds)
    assert result.category_summary.loc["elderly_care", "group_population"] == pop["60岁以上人口"].sum()

    pop["60岁以上人口"] = pop["population"] + 1
    from geo._errors import DataError as Error

    with pytest.raises(Error, match="count more elderly than residents"):
        load_dataset(write_toy_dataset(tmp_path / "bad", layers=layers))


def test_analyze_command_json_has_groups_and_census(toy_dataset_dir, capsys) -> None:
    from planning.__main__ import main

    assert main(["analyze", "--data", str(toy_dataset_dir), "--json", "--census", "340521", "--whole-county",
                 "--group", "health=elderly"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert {"population", "categories", "communities", "indicators", "census"} <= set(doc)
    assert doc["population"] == 446_991
    for cat in ("elderly_care", "health"):
        entry = doc["categories"][cat]
        assert entry["target_group"] == "elderly"
        assert entry["group_population"] == round(446_991 * 0.2136)
        assert "当涂县 (340521)" in entry["group_source"]
    assert doc["categories"]["convenience_retail"]["target_group"] == "all"
    assert doc["census"]["population_factor"] == pytest.approx(446_991 / 2610)
    assert doc["census"]["attribution"] == census.ATTRIBUTION
    names = [r["name"] for r in doc["indicators"]]
    assert "group_in_circle_elderly_care" in names and "group_in_circle_health" in names
    assert main(["analyze", "--data", str(toy_dataset_dir), "--census", "12345"]) == 2
    assert "--census '12345' is not a 6-digit county code" in capsys.readouterr().err
    assert main(["analyze", "--data", str(toy_dataset_dir), "--census", "999999"]) == 2
    assert "no county with the code '999999'" in capsys.readouterr().err


def test_exports_and_report_carry_the_groups(tmp_path) -> None:
    import pyogrio

    from planning.output import export, report

    result = analyze(_town(elderly=False), Settings(census_code="340521"))
    gpkg = tmp_path / "groups.gpkg"
    export.export_analysis(result, fmt="gpkg", out=gpkg)
    demand = pyogrio.read_dataframe(gpkg, layer="demand")
    np.testing.assert_allclose(demand["elderly"], np.array([100, 50, 40, 60]) * 0.2136)
    np.testing.assert_allclose(demand["group_minutes_elderly_care"], [0, 15, 17.5, 20])
    assert demand["group_covered_elderly_care"].tolist() == [1, 1, 0, 0]
    outside = pyogrio.read_dataframe(gpkg, layer="uncovered_group")
    np.testing.assert_allclose(outside["group_population"], [40 * 0.2136, 60 * 0.2136])
    communities = pyogrio.read_dataframe(gpkg, layer="communities")
    assert communities["group_coverage_pct_elderly_care"].iloc[0] == pytest.approx(60.0)  # 150 of 250 × share
    summary = pyogrio.read_dataframe(gpkg, layer="category_summary")
    assert {"target_group", "group_population", "covered_group_population", "group_coverage_pct"} <= set(summary)
    info = dict(pyogrio.read_dataframe(gpkg, layer="export_info")[["key", "value"]].to_numpy())
    assert census.ATTRIBUTION in info.values()
    assert any("21.36 % of the residents of each demand point" in v for v in info.values())
    html, _, _ = report.write_analysis_report(result, tmp_path / "report.html", pdf=False)
    text = html.read_text(encoding="utf-8")
    assert "按第七次全国人口普查当涂县（340521）的比例 21.36%" in text and census.ATTRIBUTION in text
    assert "服务对象覆盖率" in text
