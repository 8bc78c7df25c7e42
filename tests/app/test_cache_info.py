"""The cache-info hook counts each computation and reads the travel models off the networks."""

from __future__ import annotations

import gc
import json
from pathlib import Path

import pytest

from app_support import cache_info


def test_counts_and_travel_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from planning.access.travel import TravelModel
    from planning.settings import Settings
    from tests.planning._engine_fixtures import grid_network

    monkeypatch.setattr(cache_info, "_COUNTS", type(cache_info._COUNTS)(cache_info.Counter))
    monkeypatch.setattr(cache_info, "_NETWORKS", {})
    target = tmp_path / "info.json"
    monkeypatch.setenv(cache_info.ENV, str(target))
    network = grid_network(3, 100.0)
    cache_info.computed("datasets", ("bundled:x", None), network=network)
    cache_info.computed("analyses", ("bundled:x", None, (), None))
    cache_info.computed("analyses", ("bundled:x", None, (), None))
    for mode in ("walk", "walk", "ebike"):
        TravelModel.for_mode(network, mode, Settings())
    info = cache_info.cache_info()
    assert info["datasets"] == {"('bundled:x', None)": 1}
    assert info["analyses"] == {"('bundled:x', None, (), None)": 2}
    assert info["travel_models"] == {"('bundled:x', None)": {"models": 2, "builds": 2}}
    # The file holds the counts of the last computation (the models were built after it).
    assert json.loads(target.read_text(encoding="utf-8"))["analyses"] == info["analyses"]
    del network  # an evicted data set's network is not kept alive by the count
    gc.collect()  # (its travel models point back at it: a cycle)
    assert cache_info.cache_info()["travel_models"] == {}
