"""Given and generated candidate sites."""

from __future__ import annotations

import numpy as np
import pytest

from geo._errors import DataError
from planning.candidates import candidate_sites, generated_candidates, given_candidates

from ._siting_line import X0, Y0, line_dataset


def test_given_candidates_keep_the_contract_columns() -> None:
    ds = line_dataset()
    given = given_candidates(ds)
    assert given["candidate_id"].tolist() == ["C1", "C2", "C3", "C4", "C5"]
    assert given["floor_area_m2"].tolist() == [300.0, 80.0, 250.0, 120.0, 400.0]
    assert given["source"].eq("idle_building").all()
    assert given["capacity"].isna().all()


def test_min_floor_area_excludes_smaller_given_candidates() -> None:
    ds = line_dataset()
    cands = candidate_sites(ds, np.zeros(0), np.zeros(0), np.zeros(0), choice="given", min_floor_area_m2=250)
    # 80 and 120 m² are below 250; 250 itself stays.
    assert cands.excluded_small == 2
    assert cands.sites["candidate_id"].tolist() == ["C1", "C3", "C5"]
    assert any("2 given candidate(s) left out" in n for n in cands.notes)


def test_generated_candidate_is_the_weighted_centre_snapped_to_the_street() -> None:
    ds = line_dataset()
    # One cluster: 3 residents at 0 m, 1 at 300 m → weighted centre 75 m, which is a node.
    gen = generated_candidates(ds, np.array([X0, X0 + 300.0]), np.array([Y0 + 20.0, Y0 + 20.0]),
                               np.array([3.0, 1.0]), n=1)
    assert len(gen) == 1
    assert gen.geometry.x.iloc[0] == pytest.approx(X0 + 75.0)
    assert gen.geometry.y.iloc[0] == pytest.approx(Y0)  # moved onto the street
    assert gen["source"].iloc[0] == "generated"


def test_generated_candidates_find_separate_clusters() -> None:
    ds = line_dataset()
    rng = np.random.default_rng(3)
    x = np.concatenate([X0 + 600 + rng.normal(0, 30, 40), X0 + 3_900 + rng.normal(0, 30, 40)])
    y = Y0 + rng.normal(0, 30, 80)
    gen = generated_candidates(ds, x, y, np.ones(80), n=2)
    got = np.sort(gen.geometry.x.to_numpy() - X0)
    # Each centre is within half a node spacing (37.5 m) of its cluster, on a 75 m node.
    assert abs(got[0] - 600) <= 75 and abs(got[1] - 3_900) <= 75
    assert np.allclose(np.mod(got, 75.0), 0.0)


def test_both_combines_given_and_generated() -> None:
    ds = line_dataset()
    cands = candidate_sites(ds, np.array([X0 + 4_000.0]), np.array([Y0]), np.array([5.0]), choice="both",
                            n_generated=3)
    # Only one uncovered point: one generated candidate, plus the five given.
    assert cands.sites["source"].tolist().count("generated") == 1
    assert len(cands.sites) == 6
    assert cands.sites["candidate_id"].is_unique


def test_no_candidates_is_a_clear_error() -> None:
    ds = line_dataset()
    with pytest.raises(DataError, match="no candidate sites.*5 left out"):
        candidate_sites(ds, np.zeros(0), np.zeros(0), np.zeros(0), choice="given", min_floor_area_m2=1_000)
    with pytest.raises(DataError, match="unknown candidate choice"):
        candidate_sites(ds, np.zeros(0), np.zeros(0), np.zeros(0), choice="idle")
    ds.candidates = ds.candidates.iloc[0:0]
    with pytest.raises(DataError, match="no candidate sites"):
        candidate_sites(ds, np.zeros(0), np.zeros(0), np.zeros(0), choice="generated")


def test_duplicate_candidate_ids_are_reported() -> None:
    ds = line_dataset()
    ds.candidates.loc[1, "candidate_id"] = "C1"
    with pytest.raises(DataError, match="duplicate candidate_id values \\(C1\\)"):
        given_candidates(ds)
