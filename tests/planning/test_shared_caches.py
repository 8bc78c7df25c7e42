"""Caches the app shares between sessions and its warm-up thread: each entry computed once."""

from __future__ import annotations

import pickle
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from planning._once import OnceCache


def _at_once(n: int, call: Any) -> list[Any]:
    """Run ``call()`` in ``n`` threads released together; their results in thread order."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n
    errors: list[BaseException] = []

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = call()
        except BaseException as exc:  # re-raised below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    if errors:
        raise errors[0]
    return results


def _slow_counting(calls: list[Any], original: Any) -> Any:
    """``original`` that records its arguments and takes long enough for the threads to overlap."""

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[1:2])
        time.sleep(0.3)
        return original(*args, **kwargs)

    return wrapped


def test_two_threads_asking_for_one_circle_draw_it_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from geo.dataset_loader import load_dataset
    from planning.access.analysis import Analysis, analyze
    from tests.geo._toy import write_toy_dataset

    analysis = analyze(load_dataset(write_toy_dataset(tmp_path / "toy")))
    calls: list[Any] = []
    monkeypatch.setattr(Analysis, "_merged_circle", _slow_counting(calls, Analysis._merged_circle))
    first, second = _at_once(2, lambda: analysis.circles_for(["health"]))
    assert calls == [("health",)]
    # Both threads got the very same drawn polygon, not two equal copies.
    assert first.geometry.iloc[0] is second.geometry.iloc[0]
    assert first["category"].tolist() == second["category"].tolist() == ["health"]
    # Another category is drawn on its own; the first is not drawn again.
    analysis.circles_for(["health", "elderly_care"])
    assert calls == [("health",), ("elderly_care",)]


def test_two_threads_asking_for_one_travel_model_build_it_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from planning.access.travel import TravelModel
    from planning.settings import Settings
    from tests.planning._engine_fixtures import grid_network

    network = grid_network(5, 100.0)
    calls: list[Any] = []
    build = TravelModel._build.__func__  # the classmethod's function, called with the class

    def counting(cls: type, *args: Any) -> Any:
        calls.append(args[1])
        time.sleep(0.3)
        return build(cls, *args)

    monkeypatch.setattr(TravelModel, "_build", classmethod(counting))
    first, second = _at_once(2, lambda: TravelModel.for_mode(network, "walk", Settings()))
    assert calls == ["walk"] and first is second
    assert TravelModel.for_mode(network, "walk", Settings()) is first and calls == ["walk"]


def test_once_cache_keeps_nothing_from_a_failed_build_and_pickles_its_values() -> None:
    cache: OnceCache[list[int]] = OnceCache()

    def fail() -> list[int]:
        raise RuntimeError("drawing failed")

    with pytest.raises(RuntimeError, match="drawing failed"):
        cache.get("a", fail)
    assert "a" not in cache and len(cache) == 0
    assert cache.get("a", lambda: [1]) == [1]
    copied = pickle.loads(pickle.dumps(cache))
    assert copied.get("a", fail) == [1] and len(copied) == 1
