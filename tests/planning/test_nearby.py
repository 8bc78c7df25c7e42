"""Searches from each facility over only the roads it can reach in time give exactly the
(facility, node, minutes) triples of a search over the whole network."""

from __future__ import annotations

import numpy as np
import pytest

from geo.synthetic import synthetic_dataset
from planning.access._nearby import reach_nearby
from planning.access.demand import facility_points
from planning.access.travel import TravelModel
from planning.settings import Settings
from tests.planning._engine_fixtures import X0, Y0, line_network


def _triples(blocks) -> np.ndarray:
    out = np.concatenate([np.column_stack(b) for b in blocks]) if blocks else np.zeros((0, 3))
    return out[np.lexsort((out[:, 1], out[:, 0]))]


def test_line_by_hand() -> None:
    # 15 km of road, a node every 150 m (2 minutes walking): a 15-minute search reaches 7 nodes
    # either way, far less than the road, so the sources are searched tile by tile.
    model = TravelModel.for_mode(line_network(101, 150.0), "walk", Settings())
    nodes, access = model.snap(np.array([X0, X0 + 7500.0, X0 + 15000.0]), np.array([Y0] * 3))
    got = _triples(list(reach_nearby(model, nodes, access, limit_minutes=15.0)))
    assert got[:, 0].tolist() == [0] * 8 + [1] * 15 + [2] * 8
    assert got[got[:, 0] == 1, 1].tolist() == list(range(43, 58))
    np.testing.assert_allclose(got[got[:, 0] == 1, 2], np.abs(np.arange(43, 58) - 50) * 2.0)
    full = _triples(list(model.reach_by_source(nodes, access, limit_minutes=15.0)))
    np.testing.assert_array_equal(got, full)


@pytest.mark.parametrize(("mode", "minutes"), [("walk", 15.0), ("ebike", 12.0)])
def test_same_triples_as_the_whole_network(mode: str, minutes: float) -> None:
    # The network spans 21 km: windows of three times 1.1 km (walk) or 3 km (e-bike) tile it.
    ds = synthetic_dataset(10_000)
    model = TravelModel.for_mode(ds.roads, mode, Settings())
    for category in ("health", "elderly_care", "convenience_retail"):
        node, access = model.snap(*facility_points(ds, category))
        near = _triples(list(reach_nearby(model, node, access, limit_minutes=minutes)))
        full = _triples(list(model.reach_by_source(node, access, limit_minutes=minutes)))
        assert len(near) == len(full) > len(node)
        np.testing.assert_array_equal(near[:, :2], full[:, :2])
        np.testing.assert_allclose(near[:, 2], full[:, 2], rtol=0, atol=1e-9)


def test_targets_report_only_their_nodes_and_skip_far_sources() -> None:
    model = TravelModel.for_mode(line_network(101, 150.0), "walk", Settings())
    nodes, access = model.snap(np.array([X0, X0 + 7500.0, X0 + 15000.0]), np.array([Y0] * 3))
    targets = np.array([44, 49, 56, 95])
    got = _triples(list(reach_nearby(model, nodes, access, limit_minutes=15.0, targets=targets)))
    # Node 95 is 5 nodes (10 minutes) from the last source; the first source reaches no target.
    assert got.tolist() == [[1, 44, 12.0], [1, 49, 2.0], [1, 56, 12.0], [2, 95, 10.0]]
    full = _triples(list(model.reach_by_source(nodes, access, limit_minutes=15.0)))
    np.testing.assert_array_equal(got, full[np.isin(full[:, 1], targets)])
