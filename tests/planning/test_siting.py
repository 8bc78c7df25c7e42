"""Siting models against enumeration, hand-solved cases and the adapter on a hand-made street."""

from __future__ import annotations

import itertools
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from geo._errors import DataError
from geo.network import RoadNetwork
from planning.access.travel import TravelModel
from planning.settings import Settings
from planning.siting import lscp, mclp, minutes_matrix, pmedian, recommend_sites
from planning.siting._greedy import improve_cover
from planning.siting._median import improve_median, lagrangian_median
from planning.siting._reduce import reduce_coverage

from ._siting_line import (
    CANDIDATE_X,
    DEMAND_X,
    X0,
    Y0,
    by_hand_cover,
    by_hand_existing,
    demand_population,
    line_dataset,
)

SEEDS = range(6)


# ---------------------------------------------------------------------------- random instances
def _instance(seed: int, m: int = 30, n: int = 8) -> tuple[sparse.csr_matrix, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    cover = sparse.csr_matrix(rng.random((m, n)) < 0.22)
    weight = rng.integers(1, 30, size=m).astype(float)
    fixed = rng.random(m) < 0.2
    return cover, weight, fixed


def _covered_weight(cover: sparse.csr_matrix, w: np.ndarray, fixed: np.ndarray, cols: tuple[int, ...]) -> float:
    dense = cover.toarray().astype(bool)
    hit = dense[:, list(cols)].any(axis=1) if cols else np.zeros(len(w), bool)
    return float(w[hit & ~fixed].sum())


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("p", [1, 2, 3])
def test_mclp_exact_matches_enumeration(seed: int, p: int) -> None:
    cover, w, fixed = _instance(seed)
    best = max(_covered_weight(cover, w, fixed, c) for c in itertools.combinations(range(cover.shape[1]), p))
    sol = mclp(cover, w, p=p, covered_by_existing=fixed, time_limit_s=20)
    assert sol.solver == "exact"
    assert sol.gap_pct == 0.0
    assert sol.objective == pytest.approx(best)
    assert len(sol.chosen) == p
    assert _covered_weight(cover, w, fixed, tuple(sol.chosen)) == pytest.approx(best)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("share", [0.6, 1.0])
def test_lscp_exact_matches_enumeration(seed: int, share: float) -> None:
    cover, w, fixed = _instance(seed)
    n = cover.shape[1]
    reachable = float(w[(np.diff(cover.indptr) > 0) & ~fixed].sum())
    need = share * reachable
    target_pct = 100.0 * (float(w[fixed].sum()) + need) / float(w.sum())
    fewest = next(k for k in range(n + 1)
                  if any(_covered_weight(cover, w, fixed, c) >= need - 1e-6
                         for c in itertools.combinations(range(n), k)))
    sol = lscp(cover, w, target_pct=target_pct, covered_by_existing=fixed, time_limit_s=20)
    assert sol.solver == "exact"
    assert sol.objective == fewest == len(sol.chosen)
    assert _covered_weight(cover, w, fixed, tuple(sol.chosen)) >= need - 1e-6


def test_lscp_unreachable_target_solves_for_reachable_maximum() -> None:
    # Row 2 (7 residents) is reached by no candidate: 100 % is impossible.
    cover = sparse.csr_matrix(np.array([[1, 0], [0, 1], [0, 0], [1, 1]]))
    w = np.array([3.0, 4.0, 7.0, 1.0])
    sol = lscp(cover, w, target_pct=100.0)
    assert sol.objective == 2
    assert any("cannot be met" in note and "7 residents" in note for note in sol.notes)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("p", [1, 2, 3])
def test_pmedian_exact_matches_enumeration(seed: int, p: int) -> None:
    rng = np.random.default_rng(100 + seed)
    m, n = 25, 7
    dense = np.where(rng.random((m, n)) < 0.45, rng.uniform(1, 40, size=(m, n)), np.inf)
    w = rng.integers(1, 20, size=m).astype(float)
    existing = np.where(rng.random(m) < 0.3, rng.uniform(0, 40, size=m), np.inf)
    penalty = 45.0

    def total(cols: tuple[int, ...]) -> float:
        best = np.minimum(existing, penalty)
        if cols:
            best = np.minimum(best, dense[:, list(cols)].min(axis=1))
        return float((w * best).sum())

    optimum = min(total(c) for c in itertools.combinations(range(n), p))
    finite = np.isfinite(dense)
    times = sparse.csr_matrix((dense[finite], np.nonzero(finite)), shape=(m, n))
    sol = pmedian(times, w, existing, p=p, penalty_minutes=penalty, time_limit_s=20)
    assert sol.solver == "exact"
    assert sol.objective == pytest.approx(optimum)
    assert total(tuple(sol.chosen)) == pytest.approx(optimum)


def _greedy_trap() -> tuple[sparse.csr_matrix, np.ndarray]:
    """Sets {a,b,c,d}, {a,b,e}, {c,d,f}: greedy takes the first (4, then 1); optimum 6."""
    dense = np.array([
        [1, 1, 0], [1, 1, 0], [1, 0, 1], [1, 0, 1], [0, 1, 0], [0, 0, 1],
    ])
    return sparse.csr_matrix(dense), np.ones(6)


def test_greedy_is_reported_as_greedy_with_a_gap() -> None:
    cover, w = _greedy_trap()
    greedy = mclp(cover, w, p=2, time_limit_s=0)
    assert greedy.solver == "greedy"
    assert not greedy.optimal
    assert greedy.objective == 5.0
    assert greedy.gap_pct > 0
    exact = mclp(cover, w, p=2, time_limit_s=10)
    assert exact.solver == "exact"
    assert exact.objective == 6.0
    assert sorted(exact.chosen.tolist()) == [1, 2]


def test_swap_search_escapes_the_greedy_trap() -> None:
    cover, w = _greedy_trap()
    assert sorted(improve_cover(cover, w, np.array([0, 1])).tolist()) == [1, 2]
    assert sorted(improve_cover(cover, w, np.array([1, 2])).tolist()) == [1, 2]  # already optimal


def test_greedy_pmedian_never_claimed_optimal_when_worse() -> None:
    # Candidate 0 is best alone; 1 and 2 together beat 0 plus anything.
    times = sparse.csr_matrix(np.array([[1.0, 1.0, 9.0], [1.0, 9.0, 1.0], [5.0, 1.0, 9.0], [5.0, 9.0, 1.0]]))
    w = np.ones(4)
    sol = pmedian(times, w, np.full(4, np.inf), p=2, penalty_minutes=10.0, time_limit_s=0)
    assert sol.solver == "greedy" and sol.gap_pct > 0
    exact = pmedian(times, w, np.full(4, np.inf), p=2, penalty_minutes=10.0, time_limit_s=10)
    assert exact.solver == "exact" and exact.objective == pytest.approx(4.0)
    assert sol.objective == pytest.approx(8.0)  # greedy: {0} (12), then 1 or 2 → 1+1+1+5


def test_capacity_by_hand() -> None:
    # a (10 residents) reached by both sites, b (10) only by site 1.
    cover = sparse.csr_matrix(np.array([[1, 1], [0, 1]]))
    w = np.array([10.0, 10.0])
    # Without capacities site 1 covers both.
    assert mclp(cover, w, p=1).objective == 20.0
    # Site 0 serves up to 15 (only a: 10); site 1 up to 8 → choose site 0, 10 served.
    sol = mclp(cover, w, p=1, capacity=np.array([15.0, 8.0]))
    assert sol.solver == "exact"
    assert sol.chosen.tolist() == [0] and sol.objective == pytest.approx(10.0)
    assert sol.served.tolist() == pytest.approx([10.0])
    # Both sites: a → 0 (10), b → 1 (8 of 10).
    both = mclp(cover, w, p=2, capacity=np.array([15.0, 8.0]))
    assert both.objective == pytest.approx(18.0)
    assert sorted(both.served.tolist()) == pytest.approx([8.0, 10.0])
    assert both.row_share.tolist() == pytest.approx([1.0, 0.8])
    # Covering everyone with capacities 15 and 8 is impossible; 90 % needs both sites.
    assert lscp(cover, w, target_pct=90.0, capacity=np.array([15.0, 8.0])).objective == 2


def test_reduction_merges_identical_rows_and_columns() -> None:
    cover = sparse.csr_matrix(np.array([[1, 1, 0], [1, 1, 0], [0, 0, 1], [0, 0, 0], [1, 1, 1]]))
    red = reduce_coverage(cover, np.array([1.0, 2.0, 3.0, 4.0, 5.0]), np.array([0, 0, 0, 0, 1], bool))
    # Columns 0 and 1 are identical; row 3 is reached by nobody, row 4 is already covered.
    assert red.columns.tolist() == [0, 2]
    assert red.cover.shape == (2, 2)
    assert sorted(red.weight.tolist()) == [3.0, 3.0]
    assert red.row_group[3] == -1 and red.row_group[4] == -1
    assert red.row_group[0] == red.row_group[1]


def test_bad_p_is_a_data_error() -> None:
    cover, w = _greedy_trap()
    with pytest.raises(DataError, match="whole number ≥ 1"):
        mclp(cover, w, p=0)


# ---------------------------------------------------------------------------- travel-time matrix
def test_minutes_matrix_respects_one_way_direction() -> None:
    # 0 → 1 one-way (car), 1 — 2 two-way; 1,000 m edges on residential roads at 25 km/h.
    net = RoadNetwork.from_arrays(crs=32650, node_x=np.array([0.0, 1000.0, 2000.0]), node_y=np.zeros(3),
                                  edge_u=np.array([0, 1]), edge_v=np.array([1, 2]),
                                  edge_oneway=np.array([True, False]))
    model = TravelModel.for_mode(net, "car", Settings())
    per_km = 60.0 / 25.0
    m = minutes_matrix(model, np.array([0.0, 2000.0]), np.zeros(2), np.array([1000.0]), np.zeros(1),
                       limit_minutes=10.0).toarray()
    # From node 0 to the candidate on node 1: allowed; from node 2: allowed (two-way).
    assert m[:, 0] == pytest.approx([per_km, per_km])
    back = minutes_matrix(model, np.array([1000.0]), np.zeros(1), np.array([0.0]), np.zeros(1),
                          limit_minutes=10.0)
    assert back.nnz == 0  # node 1 cannot drive against the one-way street to node 0


def test_minutes_matrix_on_the_street_matches_hand_values() -> None:
    ds = line_dataset()
    model = TravelModel.for_mode(ds.roads, "walk", Settings())
    # Demand points 40 m off the street add 40/75 min of walking; the limit is per point.
    limit = np.full(len(DEMAND_X), 15.0)
    m = minutes_matrix(model, X0 + DEMAND_X, np.full(len(DEMAND_X), Y0 + 40.0), X0 + CANDIDATE_X,
                       np.full(len(CANDIDATE_X), Y0), limit_minutes=limit).toarray()
    expected = np.abs(DEMAND_X[:, None] - CANDIDATE_X[None, :]) / 75.0 + 40.0 / 75.0
    expected[expected > 15.0 + 1e-9] = 0.0
    assert m == pytest.approx(expected)


# ---------------------------------------------------------------------------- adapter
@pytest.fixture(scope="module")
def street():
    from planning.access.analysis import analyze

    ds = line_dataset()
    return ds, analyze(ds, Settings(), categories=["community_living_room"])


def test_street_analysis_is_the_hand_one(street) -> None:
    ds, analysis = street
    assert analysis.covered["community_living_room"].to_numpy().tolist() == by_hand_existing().tolist()


@pytest.mark.parametrize("p", [1, 2, 3])
def test_recommend_mclp_on_street_matches_enumeration(street, p: int) -> None:
    ds, analysis = street
    w, cover, fixed = demand_population(), by_hand_cover(), by_hand_existing()
    values = {c: float(w[cover[:, list(c)].any(axis=1) & ~fixed].sum())
              for c in itertools.combinations(range(len(CANDIDATE_X)), p)}
    best = max(values.values())
    r = recommend_sites(ds, analysis, category="community_living_room", new_sites=p, candidates="given")
    assert r.solver == "exact" and r.gap_pct == 0.0
    assert r.covered_before == int(w[fixed].sum())
    assert r.covered_after == int(w[fixed].sum() + best)
    assert r.sites["newly_covered"].sum() == pytest.approx(best)
    # Marginal gains come in rank order, never increasing, and add up cumulatively.
    # Two sites reach every uncovered resident, so a third (adding nobody) is not recommended.
    assert list(r.sites["rank"]) == list(range(1, min(p, 2) + 1))
    assert np.all(np.diff(r.sites["newly_covered"].to_numpy()) <= 1e-9)
    assert r.sites["cumulative_covered"].iloc[-1] == pytest.approx(r.covered_after)
    chosen = sorted(int(c[1:]) - 1 for c in r.sites["candidate_id"])
    assert float(w[cover[:, chosen].any(axis=1) & ~fixed].sum()) == pytest.approx(best)
    assert r.sites.crs == ds.crs
    assert r.sites["lon"].between(118.5, 118.7).all() and r.sites["lat"].between(31.5, 31.7).all()


def test_mclp_does_not_recommend_sites_that_add_nobody(street) -> None:
    ds, analysis = street
    # Two sites (C1 + C4, or C2 + C5) already bring every uncovered resident into a circle, so
    # of five requested sites three would add nobody.
    r = recommend_sites(ds, analysis, category="community_living_room", new_sites=5, candidates="given")
    assert len(r.sites) == 2 and (r.sites["newly_covered"] > 0).all()
    assert r.covered_after == r.total_population
    assert list(r.sites["rank"]) == [1, 2]
    (note,) = [n for n in r.notes if getattr(n, "key", "") == "siting.no_gain"]
    assert note.values == {"dropped": 3, "asked": 5}


def test_recommend_lscp_on_street(street) -> None:
    ds, analysis = street
    r = recommend_sites(ds, analysis, category="community_living_room", model="lscp", candidates="given")
    # Uncovered residents live at x = 1,200 … 4,500: C1 (1,500 → up to 2,625) and C4 (3,750) do it.
    assert r.solver == "exact" and len(r.sites) == 2
    assert set(r.sites["candidate_id"]) == {"C1", "C4"}
    assert r.covered_after == r.total_population
    table = r.community_before_after
    assert table.loc["W", "pct_after"] == pytest.approx(100.0)
    w = demand_population()
    east = DEMAND_X < 2_249
    assert table.loc["E", "covered_before"] == pytest.approx(w[east & by_hand_existing()].sum())
    assert table.loc["E", "name"] == "东街社区"


def test_recommend_pmedian_on_street_matches_enumeration(street) -> None:
    ds, analysis = street
    w = demand_population()
    cutoff = 30.0  # 2 × the 15-minute circle
    existing = np.minimum(DEMAND_X / 75.0, cutoff)
    t = np.abs(DEMAND_X[:, None] - CANDIDATE_X[None, :]) / 75.0
    t[t > cutoff + 1e-9] = np.inf

    def total(c: tuple[int, ...]) -> float:
        return float((w * np.minimum(existing, t[:, list(c)].min(axis=1))).sum())

    best = min(total(c) for c in itertools.combinations(range(len(CANDIDATE_X)), 2))
    r = recommend_sites(ds, analysis, category="community_living_room", model="pmedian", new_sites=2,
                        candidates="given")
    assert r.solver == "exact"
    assert r.total_minutes_after == pytest.approx(best)
    assert r.total_minutes_before == pytest.approx(float((w * existing).sum()))
    # Sites are ranked by person-minutes saved; together they save before − after.
    assert r.sites["minutes_saved"].sum() == pytest.approx(r.total_minutes_before - r.total_minutes_after)
    assert np.all(np.diff(r.sites["minutes_saved"].to_numpy()) <= 1e-9)


def test_category_left_out_of_the_analysis_keeps_its_facilities(street) -> None:
    ds, _ = street
    from planning.access.analysis import analyze

    other = line_dataset()
    other.facilities = other.facilities.assign(category="elderly_care")
    other.facilities = gpd.GeoDataFrame(
        pd.concat([other.facilities, ds.facilities.assign(facility_id="F2", category="health")],
                  ignore_index=True), geometry="geometry", crs=ds.crs)
    analysis = analyze(other, Settings(), categories=["health"])
    r = recommend_sites(other, analysis, category="elderly_care", new_sites=1, candidates="given")
    assert r.covered_before == int(demand_population()[by_hand_existing()].sum())
    # A category with no facility at all starts from nobody covered.
    r = recommend_sites(other, analysis, category="meal_aid", new_sites=1, candidates="given")
    assert r.covered_before == 0


def test_min_floor_area_excludes_and_counts(street) -> None:
    ds, analysis = street
    # Floor areas 300, 80, 250, 120, 400: a 150 m² minimum leaves out C2 and C4.
    r = recommend_sites(ds, analysis, category="community_living_room", new_sites=2, candidates="given",
                        min_floor_area_m2=150)
    assert r.excluded_small == 2
    assert r.candidates_considered == 3
    assert not set(r.sites["candidate_id"]) & {"C2", "C4"}
    assert r.to_json()["excluded_small"] == 2


def test_capacity_on_street(street) -> None:
    ds, analysis = street
    # 0.1 person per m²: C1 serves 30, C4 12 residents … far fewer than they reach.
    r = recommend_sites(ds, analysis, category="community_living_room", new_sites=1, candidates="given",
                        capacity=True, persons_per_m2=0.1)
    assert r.sites["newly_covered"].iloc[0] == pytest.approx(40.0)  # C5: 400 m² → 40 residents
    assert r.sites["candidate_id"].iloc[0] == "C5"
    assert r.covered_after == r.covered_before + 40


def test_generated_candidates_are_used(street) -> None:
    ds, analysis = street
    r = recommend_sites(ds, analysis, category="community_living_room", new_sites=2, candidates="generated",
                        n_generated=4)
    assert (r.sites["source"] == "generated").all()
    assert r.covered_after > r.covered_before


def test_errors_are_data_errors(street) -> None:
    ds, analysis = street
    with pytest.raises(DataError, match="unknown category 'library'.*community_living_room"):
        recommend_sites(ds, analysis, category="library", new_sites=1)
    with pytest.raises(DataError, match="≥ 1"):
        recommend_sites(ds, analysis, category="community_living_room", new_sites=0)
    empty = line_dataset()
    empty.candidates = empty.candidates.iloc[0:0]
    with pytest.raises(DataError, match="no candidates layer"):
        recommend_sites(empty, analysis, category="community_living_room", new_sites=1, candidates="given")
    with pytest.raises(DataError, match="no candidate sites"):
        recommend_sites(ds, analysis, category="community_living_room", new_sites=1, candidates="given",
                        min_floor_area_m2=10_000)


def test_result_files(street, tmp_path: Path) -> None:
    ds, analysis = street
    r = recommend_sites(ds, analysis, category="community_living_room", new_sites=2, candidates="given")
    (tmp_path / "sites.csv").write_text("old", encoding="utf-8")
    r.write(tmp_path)
    raw = (tmp_path / "sites.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = pd.read_csv(tmp_path / "sites.csv", encoding="utf-8-sig")
    assert table["candidate_id"].tolist() == r.sites["candidate_id"].tolist()
    back = gpd.read_file(tmp_path / "sites.gpkg", layer="sites")
    assert back["candidate_id"].tolist() == r.sites["candidate_id"].tolist()
    assert back.geometry.x.tolist() == pytest.approx(r.sites.geometry.x.tolist())
    circles = gpd.read_file(tmp_path / "sites.gpkg", layer="circles")
    assert len(circles) == 2
    # The circle of a site at x on the street: residents snapping to a node up to 1,050 m away
    # (14 minutes) walk on, and that node's catchment ends half a node spacing (37.5 m) further;
    # the communities (x -100 to 4,700 m) bound it. Up to a 15 m cell.
    first = r.sites.geometry.x.iloc[0]
    xmin, _, xmax, _ = circles.geometry.iloc[0].bounds
    assert xmin == pytest.approx(max(first - 1087.5, X0 - 100), abs=15.0)
    assert xmax == pytest.approx(min(first + 1087.5, X0 + 4700), abs=15.0)
    assert not list(tmp_path.glob(".*"))  # no temporary files left behind


def test_capacity_too_small_for_the_target_solves_for_the_most_it_can_serve() -> None:
    cover = sparse.csr_matrix(np.array([[1, 1], [0, 1]]))
    w = np.array([10.0, 10.0])
    # Capacities 5 + 6 = 11 of 20 residents: 100 % is impossible; both sites serve 11.
    sol = lscp(cover, w, target_pct=100.0, capacity=np.array([5.0, 6.0]))
    assert sol.objective == 2
    assert sol.served.sum() == pytest.approx(11.0)
    assert any("serve at most 11" in note for note in sol.notes)


@pytest.mark.parametrize("seed", SEEDS)
def test_lagrangian_bound_is_a_valid_lower_bound(seed: int) -> None:
    rng = np.random.default_rng(200 + seed)
    m, n, p = 30, 8, 2
    dense = np.where(rng.random((m, n)) < 0.5, rng.uniform(1, 40, size=(m, n)), np.inf)
    w = rng.integers(1, 20, size=m).astype(float)
    base = np.where(rng.random(m) < 0.3, rng.uniform(0, 40, size=m), 45.0)
    keep = np.isfinite(dense) & (dense < base[:, None])
    t = sparse.csr_matrix((dense[keep], np.nonzero(keep)), shape=(m, n))
    optimum = min(float((w * np.minimum(base, dense[:, list(c)].min(axis=1))).sum())
                  for c in itertools.combinations(range(n), p))
    bound, sites, total = lagrangian_median(t, w, base, p, deadline=np.inf)
    assert bound <= optimum + 1e-6
    assert total >= optimum - 1e-6 and len(sites) == p
    # The bound is better than "everyone at their best candidate".
    assert bound >= float((w * np.minimum(base, dense.min(axis=1))).sum()) - 1e-6


def test_median_swaps_escape_the_greedy_choice() -> None:
    times = sparse.csr_matrix(np.array([[1.0, 1.0, 9.0], [1.0, 9.0, 1.0], [5.0, 1.0, 9.0], [5.0, 9.0, 1.0]]))
    got = improve_median(times, np.ones(4), np.full(4, 10.0), np.array([0, 1]))
    assert sorted(got.tolist()) == [1, 2]


def test_unreachable_residents_are_named(street, tmp_path: Path) -> None:
    ds, analysis = street
    # Only C1 (1,500 m) offered: residents beyond 2,625 m cannot be reached by anything.
    small = line_dataset()
    small.candidates = small.candidates.iloc[[0]]
    r = recommend_sites(small, analysis, category="community_living_room", model="lscp", candidates="given")
    far = DEMAND_X > 2_625
    assert list(r.unreachable) == list(np.flatnonzero(far))
    assert r.unreachable_population == pytest.approx(demand_population()[far].sum())
    assert any("cannot be met" in n for n in r.notes)
    r.write(tmp_path)
    layer = gpd.read_file(tmp_path / "sites.gpkg", layer="unreachable")
    assert sorted(layer.geometry.x - X0) == pytest.approx(sorted(DEMAND_X[far]))


def test_notes_carry_key_and_values_for_translation(street) -> None:
    """Each note is its English text (command line, JSON) with the key and values the app translates."""
    _, analysis = street
    small = line_dataset()
    small.candidates = small.candidates.iloc[[0]]
    r = recommend_sites(small, analysis, category="community_living_room", model="lscp", candidates="given")
    by_key = {getattr(n, "key", None): n for n in r.notes}
    assert {"siting.target_unmet", "siting.unreachable"} <= set(by_key)
    far = DEMAND_X > 2_625
    unreachable = by_key["siting.unreachable"]
    assert unreachable.values == {"points": int(far.sum()),
                                  "residents": pytest.approx(demand_population()[far].sum())}
    assert unreachable == (f"{int(far.sum())} demand point(s) with {demand_population()[far].sum():.0f} residents "
                           "are outside every existing and candidate circle")
    target = by_key["siting.target_unmet"]
    assert target.values["target_pct"] == 100.0
    assert target.startswith("the target 100 % cannot be met")
    assert r.to_json()["notes"] == [str(n) for n in r.notes]


def test_recommend_capacitated_pmedian_on_street_matches_enumeration(street) -> None:
    from scipy.optimize import linprog

    ds, analysis = street
    w = demand_population()
    cutoff = 30.0
    base = np.minimum(DEMAND_X / 75.0, cutoff)
    t = np.abs(DEMAND_X[:, None] - CANDIDATE_X[None, :]) / 75.0
    cap = np.array([300.0, 80.0, 250.0, 120.0, 400.0]) * 0.1  # floor area × 0.1 person per m²

    def total(c: tuple[int, ...]) -> float:
        # Best assignment of residents (split allowed) to the open sites within their capacities.
        pairs = [(i, j) for i in range(len(w)) for j in c if t[i, j] < base[i] and t[i, j] <= cutoff]
        gain = np.array([w[i] * (base[i] - t[i, j]) for i, j in pairs])
        a = np.zeros((len(w) + len(c), len(pairs)))
        for q, (i, j) in enumerate(pairs):
            a[i, q], a[len(w) + c.index(j), q] = 1.0, w[i]
        res = linprog(-gain, A_ub=a, b_ub=np.concatenate([np.ones(len(w)), cap[list(c)]]), bounds=(0, 1),
                      method="highs")
        return float((w * base).sum()) + float(res.fun)

    best = min(total(c) for c in itertools.combinations(range(len(CANDIDATE_X)), 2))
    r = recommend_sites(ds, analysis, category="community_living_room", model="pmedian", new_sites=2,
                        candidates="given", capacity=True, persons_per_m2=0.1)
    assert r.solver == "exact"
    assert r.total_minutes_after == pytest.approx(best)
    assert r.sites["minutes_saved"].sum() == pytest.approx(r.total_minutes_before - r.total_minutes_after)
    assert np.all(np.diff(r.sites["minutes_saved"].to_numpy()) <= 1e-9)
    assert (r.sites["capacity"].to_numpy() == cap[[int(c[1:]) - 1 for c in r.sites["candidate_id"]]]).all()
    # Residents newly inside a circle: those assigned to a new site within 15 minutes, no more
    # than the sites' capacities, and they add up to the change in coverage.
    assert r.sites["newly_covered"].sum() == pytest.approx(r.covered_after - r.covered_before, abs=1.0)
    assert (r.sites["newly_covered"].to_numpy() <= r.sites["capacity"].to_numpy() + 1e-6).all()
