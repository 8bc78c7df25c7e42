"""One rule for "is this community rural": the validator, coverage and siting agree."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import box

from geo._validate import validate_communities
from geo.dataset import ValidationReport
from geo.taxonomy import kind_from_name
from planning.access.coverage import coverage
from planning.access.demand import community_kinds
from planning.settings import Settings
from planning.siting.matrix import demand_of
from tests.planning._engine_fixtures import dataset, line_network

NAMES = ["桃园村村委会", "东风社区居委会", "桃园村", "东风社区", "新区", "花园村民委员会"]
KINDS = ["rural", "urban", "rural", "urban", "urban", "rural"]  # worked out from the endings


def _communities() -> list[dict]:
    return [{"community_id": f"C{i}", "name": n, "box": (i * 1500, -500, i * 1500 + 1500, 500)}
            for i, n in enumerate(NAMES)]


def test_name_rule() -> None:
    assert kind_from_name(pd.Series(NAMES)).replace("", "urban").tolist() == KINDS


def test_validator_coverage_and_siting_give_each_community_the_same_kind() -> None:
    gdf = gpd.GeoDataFrame({"community_id": [f"C{i}" for i in range(len(NAMES))], "name": NAMES},
                           geometry=[box(i * 1500, -500, i * 1500 + 1500, 500) for i in range(len(NAMES))],
                           crs=32650)
    validated = validate_communities(gdf, report=ValidationReport())
    assert validated["kind"].tolist() == KINDS
    # A data set built in code (no kind column, never validated) follows the same rule.
    ds = dataset(line_network(121, 75.0), communities=_communities(), facilities=[],
                 population=[{"population": 10.0, "xy": (i * 1500 + 750, 0)} for i in range(len(NAMES))])
    assert "kind" not in ds.communities.columns or ds.communities["kind"].isna().all()
    assert [community_kinds(ds.communities)[f"C{i}"] for i in range(len(NAMES))] == KINDS
    cov = coverage(ds, Settings(), categories=["health"])
    assert cov.kind.tolist() == KINDS
    assert cov.circle_minutes.tolist() == [30.0 if k == "rural" else 15.0 for k in KINDS]

    class NoCoverage:  # an analysis that has not settled kinds: siting works them out itself
        circle_minutes = cov.circle_minutes

    demand = demand_of(ds, NoCoverage(), Settings())
    assert demand.kind.tolist() == KINDS
    assert np.array_equal(demand.mode, np.where(np.array(KINDS) == "rural", "ebike", "walk"))
