"""RoadNetwork.subnetwork: a part of a network keeps its edges exactly as stored."""

from __future__ import annotations

import numpy as np
import pytest

from geo.network import HIGHWAY_CLASSES, RoadNetwork


def _square() -> RoadNetwork:
    # 0 --- 1
    # |     |      edges 0-1, 1-2 (one-way, primary), 2-3, 3-0, with stored lengths that are not
    # 3 --- 2      the straight distances (a curved road), so re-measuring would show
    return RoadNetwork(crs="EPSG:32650", node_x=np.array([0.0, 100.0, 100.0, 0.0]),
                       node_y=np.array([100.0, 100.0, 0.0, 0.0]), edge_u=np.array([0, 1, 2, 3]),
                       edge_v=np.array([1, 2, 3, 0]), edge_length_m=np.array([110.0, 120.0, 130.0, 140.0]),
                       edge_class=np.array([11, 4, 11, 11], dtype=np.int8),
                       edge_oneway=np.array([False, True, False, False]), source="square")


def test_part_keeps_the_edges_between_its_nodes() -> None:
    part, ids = _square().subnetwork(np.array([False, True, True, True]))
    np.testing.assert_array_equal(ids, [1, 2, 3])
    np.testing.assert_array_equal(part.node_x, [100.0, 100.0, 0.0])
    # Edges 1-2 and 2-3 survive (0-1 and 3-0 lose node 0), renumbered 0-1 and 1-2.
    np.testing.assert_array_equal(part.edge_u, [0, 1])
    np.testing.assert_array_equal(part.edge_v, [1, 2])
    np.testing.assert_array_equal(part.edge_length_m, [120.0, 130.0])
    assert [HIGHWAY_CLASSES[c] for c in part.edge_class] == ["primary", "residential"]
    np.testing.assert_array_equal(part.edge_oneway, [True, False])
    assert part.crs == _square().crs and part.source == "square"


def test_whole_and_empty_parts() -> None:
    net = _square()
    whole, ids = net.subnetwork(np.ones(4, dtype=bool))
    np.testing.assert_array_equal(ids, np.arange(4))
    np.testing.assert_array_equal(whole.edge_length_m, net.edge_length_m)
    empty, ids = net.subnetwork(np.zeros(4, dtype=bool))
    assert empty.n_nodes == 0 and empty.n_edges == 0 and len(ids) == 0


def test_mask_of_the_wrong_length_is_refused() -> None:
    with pytest.raises(ValueError, match="one entry per node"):
        _square().subnetwork(np.ones(3, dtype=bool))
