"""Files the map fetches (layer data, images, road tiles), served by Streamlit's static serving.

Heavy map layers are written once as files under ``static/layers`` and the map fetches them from
``<base>/app/static/layers/...`` (no internet needed), instead of carrying them inside every
redrawn map. Layout::

    static/layers/shared/<sha256>.<ext>       bundled and synthetic data sets (any session)
    static/layers/s-<token>/<sha256>.<ext>    one session's uploaded data
    static/layers/<scope>/tiles/<key>/z/x/y.png

A file is named by its content's hash, so it never changes once written. The files of uploaded
data live in a folder whose name is an unguessable token derived from the session's own secret
token (:func:`app_support.state.session_folder`): no other session can find them, and they are
removed with the session (:func:`remove_session_files`) or, when a session ended without
notice, after :data:`SESSION_MAX_AGE_S`.

The cache has a size limit (:func:`limit_bytes`, ``SERVICE_CIRCLES_LAYER_CACHE_MB``): when the
files grow beyond it, those used least recently go first; files this server still holds in a
cached map layer, or used in the last :data:`KEEP_RECENT_S`, stay.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import shutil
import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path

from app_support.offline import STATIC_DIR, RemoteJson, base_url_path

LAYER_CACHE_DIR = STATIC_DIR / "layers"

SHARED = "shared"
#: Default size limit of the cache folder.
DEFAULT_LIMIT_MB = 1024
#: Files used this recently are never removed for space (another page may be loading them).
KEEP_RECENT_S = 600.0
#: A session's folder untouched this long belongs to a session that ended without notice.
SESSION_MAX_AGE_S = 24 * 3600.0
#: Clean-up runs at most this often (it lists the folder).
_CLEAN_EVERY_S = 20.0
# Per server process: turns a session's secret token into its folder name (a one-way function,
# so the folder name served to the browser does not reveal the token).
_SECRET = secrets.token_bytes(32)
_LOCK = threading.Lock()
_last_clean = 0.0
# Files held by a cached map layer of this process, by path (kept while the layer lives).
_LIVE: weakref.WeakValueDictionary[str, Published] = weakref.WeakValueDictionary()


@dataclass(frozen=True, eq=False)
class Published:
    """A file the map fetches: its URL, its path, and its size in bytes."""

    url: str
    path: Path
    size: int

    def touch(self) -> str:
        """Mark the file used now (for the least-recently-used clean-up); returns the URL."""
        with contextlib.suppress(OSError):
            os.utime(self.path)
        return self.url


def limit_bytes() -> int:
    """The cache's size limit (``SERVICE_CIRCLES_LAYER_CACHE_MB``, default 1,024 MB)."""
    try:
        mb = float(os.environ.get("SERVICE_CIRCLES_LAYER_CACHE_MB", DEFAULT_LIMIT_MB))
    except ValueError:
        mb = DEFAULT_LIMIT_MB
    return int(max(mb, 1.0) * 2**20)


def scope_for(source_key: str, *, session_root: Path) -> str:
    """The folder of a data source's files: shared, or the session's own for uploaded data.

    An uploaded data set lives in its session's folder (``<session_root>/<token>/uploads/...``):
    its map files go into ``s-`` followed by a keyed hash of that token.
    """
    kind, _, rest = source_key.partition(":")
    if kind != "upload":
        return SHARED
    try:
        parts = Path(rest).resolve().relative_to(session_root.resolve()).parts
    except (ValueError, OSError):
        parts = ()
    return session_scope(parts[0] if parts else rest)


def session_scope(token: str) -> str:
    """Folder name of the map files of the session with secret ``token``."""
    digest = hmac.new(_SECRET, token.encode("utf-8"), hashlib.sha256).hexdigest()[:40]
    return f"s-{digest}"


def scope_dir(scope: str) -> Path:
    return LAYER_CACHE_DIR / scope


def url_of(path: Path) -> str:
    """URL under which Streamlit serves a file below ``static/layers``."""
    relative = path.relative_to(LAYER_CACHE_DIR).as_posix()
    return f"{base_url_path()}/app/static/layers/{relative}"


def publish(data: bytes, suffix: str, *, scope: str = SHARED) -> Published | None:
    """Write ``data`` as ``<scope>/<sha256><suffix>`` once; ``None`` when the folder is not writable.

    A read-only installation keeps its layers inside the map instead (the caller's fallback).
    """
    digest = hashlib.sha256(data).hexdigest()[:32]
    folder = scope_dir(scope)
    target = folder / f"{digest}{suffix}"
    if target.exists():
        with contextlib.suppress(OSError):
            os.utime(target)
    else:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            partial = folder / f".{digest}.{secrets.token_hex(4)}.part"
            partial.write_bytes(data)
            os.replace(partial, target)
        except OSError:
            return None
    item = Published(url=url_of(target), path=target, size=len(data))
    with _LOCK:
        _LIVE[str(target)] = item
    clean_soon()
    return item


def publish_json(text: str, *, scope: str = SHARED) -> RemoteJson | None:
    """GeoJSON ``text`` as a file the map fetches (``None`` when the folder is not writable)."""
    item = publish(text.encode("utf-8"), ".geojson", scope=scope)
    return None if item is None else RemoteJson(item.url, item)


def hold(path: Path, item: Published) -> None:
    """Keep ``path`` (a file or a folder such as a tile set) while ``item`` lives."""
    with _LOCK:
        _LIVE[str(path)] = item


def remove_session_files(token: str) -> None:
    """Remove the map files of the session with secret ``token`` (its data set's layers)."""
    shutil.rmtree(scope_dir(session_scope(token)), ignore_errors=True)


def clean_soon() -> None:
    """Run :func:`clean` in the background unless it ran in the last few seconds."""
    global _last_clean
    now = time.monotonic()
    with _LOCK:
        if now - _last_clean < _CLEAN_EVERY_S:
            return
        _last_clean = now
    threading.Thread(target=clean, name="layer-cache-clean", daemon=True).start()


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _last_use(path: Path) -> float:
    """When a file or tile set was last used (a tile set's ``used`` stamp, else its own time)."""
    stamp = path / "used" if path.is_dir() else path
    try:
        return stamp.stat().st_mtime
    except OSError:
        return path.stat().st_mtime


def clean(limit: int | None = None, *, now: float | None = None) -> list[Path]:
    """Keep the cache under its size limit; remove folders of sessions that ended unnoticed.

    Units are files and tile sets (a folder under ``tiles/``). Returns what was removed.
    """
    limit = limit_bytes() if limit is None else int(limit)
    now = time.time() if now is None else now
    removed: list[Path] = []
    if not LAYER_CACHE_DIR.is_dir():
        return removed
    units: list[tuple[float, int, Path]] = []
    with _LOCK:
        live = set(_LIVE.keys())
    for scope in LAYER_CACHE_DIR.iterdir():
        if not scope.is_dir():
            continue
        try:
            entries = [p for p in scope.iterdir() if p.name != "tiles"]
            tiles = scope / "tiles"
            entries += list(tiles.iterdir()) if tiles.is_dir() else []
            if scope.name.startswith("s-") and str(scope) not in live and not any(
                    str(e) in live for e in entries):
                newest = max((_last_use(e) for e in entries), default=scope.stat().st_mtime)
                if now - newest > SESSION_MAX_AGE_S:
                    shutil.rmtree(scope, ignore_errors=True)
                    removed.append(scope)
                    continue
            units += [(_last_use(e), _size(e), e) for e in entries if not e.name.startswith(".")]
        except OSError:  # removed meanwhile by another server's clean-up
            continue
    total = sum(size for _, size, _ in units)
    for used, size, path in sorted(units):
        if total <= limit:
            break
        if str(path) in live or now - used < KEEP_RECENT_S:
            continue
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        total -= size
        removed.append(path)
    return removed
