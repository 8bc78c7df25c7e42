"""The files the map fetches: content-named, per-session for uploads, size-limited, cleaned up."""

from __future__ import annotations

import gc
import hashlib
import os
import time
from pathlib import Path

import pytest

from app_support import layer_store


@pytest.fixture()
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A layer cache folder of its own (the real one is shared by running servers)."""
    folder = tmp_path / "layers"
    monkeypatch.setattr(layer_store, "LAYER_CACHE_DIR", folder)
    monkeypatch.setattr(layer_store, "_last_clean", time.monotonic() + 3600)  # no background clean-up
    return folder


def test_publish_names_a_file_by_its_content(store: Path) -> None:
    item = layer_store.publish(b"abc", ".png")
    assert item is not None
    digest = hashlib.sha256(b"abc").hexdigest()[:32]
    assert item.path == store / "shared" / f"{digest}.png" and item.path.read_bytes() == b"abc"
    assert item.url == f"/app/static/layers/shared/{digest}.png"
    again = layer_store.publish(b"abc", ".png")
    assert again is not None and again.path == item.path
    remote = layer_store.publish_json('{"type":"FeatureCollection","features":[]}')
    assert remote is not None and remote.url.endswith(".geojson") and remote.file is not None


def test_uploaded_data_get_an_unguessable_folder_of_their_session(tmp_path: Path) -> None:
    root = tmp_path / "sessions"
    token = "secret-token-of-one-session"
    upload = root / token / "uploads" / "1a2b"
    scope = layer_store.scope_for(f"upload:{upload}", session_root=root)
    assert scope.startswith("s-") and token not in scope and len(scope) == 42
    # Every upload of the session shares the folder; another session has another one.
    assert layer_store.scope_for(f"upload:{root / token / 'uploads' / 'x'}", session_root=root) == scope
    assert layer_store.scope_for(f"upload:{root / 'other' / 'uploads' / 'x'}", session_root=root) != scope
    assert layer_store.session_scope(token) == scope
    assert layer_store.scope_for("bundled:xian", session_root=root) == layer_store.SHARED
    assert layer_store.scope_for("synthetic:100000", session_root=root) == layer_store.SHARED


def test_session_files_are_removed_with_the_session(store: Path) -> None:
    token = "t0k3n"
    scope = layer_store.session_scope(token)
    item = layer_store.publish(b"mine", ".png", scope=scope)
    assert item is not None and item.path.exists()
    layer_store.remove_session_files(token)
    assert not (store / scope).exists()


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_clean_keeps_the_cache_under_its_limit_least_recently_used_first(store: Path) -> None:
    items = [layer_store.publish(bytes([i]) * 1000, ".png") for i in range(4)]
    assert all(items)
    paths = [i.path for i in items if i is not None]
    for age, path in zip((4000, 3000, 2000, 1000), paths, strict=True):
        _age(path, age)
    kept_alive = items[0]  # the oldest, but a cached map layer of this server still holds it
    del items
    gc.collect()
    layer_store._LIVE.clear()
    layer_store._LIVE[str(kept_alive.path)] = kept_alive
    removed = layer_store.clean(limit=2500)
    # 4,000 bytes against a limit of 2,500: the two least recently used files not held go.
    assert sorted(removed) == sorted(paths[1:3])
    assert paths[0].exists() and paths[3].exists()


def test_clean_never_removes_what_was_used_just_now(store: Path) -> None:
    item = layer_store.publish(b"x" * 5000, ".png")
    assert item is not None
    layer_store._LIVE.clear()
    assert layer_store.clean(limit=10) == []  # used this second: another page may be loading it
    _age(item.path, layer_store.KEEP_RECENT_S + 5)
    assert layer_store.clean(limit=10) == [item.path]


def test_folders_of_sessions_that_ended_unnoticed_go_after_a_day(store: Path) -> None:
    scope = layer_store.session_scope("gone")
    item = layer_store.publish(b"old", ".png", scope=scope)
    assert item is not None
    layer_store._LIVE.clear()
    _age(item.path, layer_store.SESSION_MAX_AGE_S + 60)
    assert layer_store.clean() == [store / scope]
    assert not (store / scope).exists()
