"""The road network as map tiles: PNG files in the usual ``{z}/{x}/{y}`` layout, drawn here.

A city's 10^5–10^6 road edges are too many for the browser to draw as vector lines on every pan
and zoom; web maps send them as tiles. Each zoom level is drawn in blocks of 8 × 8 tiles at twice
the resolution and reduced (smooth lines without a graphics library), cut into 256-pixel tiles
and written as PNGs under the layer cache (:mod:`app_support.layer_store`), where Streamlit
serves them to the map with no internet. Tiles without roads point to one transparent tile, so
the map never asks for a missing file.

Zoom levels are drawn from the overview down; a zoom level's folder appears only once it is
complete, and the map asks for the finest complete level (``maxNativeZoom``), enlarged beyond
it. A tile set is named by a hash of the network and the style, so a server restart finds it
again.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import math
import os
import secrets
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw
from pyproj import Transformer

from app_support import layer_store
from geo.coords import wgs84_to_gcj02
from geo.network import HIGHWAY_CLASSES

#: Web Mercator (EPSG:3857) half-circumference in metres.
_HALF = math.pi * 6378137.0
TILE = 256
#: Tiles per side of one drawing block.
_BLOCK = 8
#: A zoom level is drawn only when its tiles over the network's extent are at most this many.
MAX_TILES_PER_ZOOM = 4000
MAX_ZOOM = 16
#: Bump when the drawing changes, so that old tile sets are not reused.
STYLE_VERSION = 1
MAJOR_CLASSES = frozenset({"motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link",
                           "secondary", "secondary_link", "tertiary", "tertiary_link"})
# Colours (RGB) and opacity of the two road groups, as the vector base layer draws them.
_MINOR, _MAJOR = (181, 181, 181), (140, 140, 140)
_OPACITY = 0.9


@dataclass
class TileSet:
    """Road tiles of one network: ``url`` is a Leaflet template (``.../{z}/{x}/{y}.png``).

    ``zooms`` are the levels planned, the first ``first`` of them drawn at once and the rest in
    the background. ``bounds`` is ``[[south, west], [north, east]]`` in display longitude/latitude.
    """

    url: str
    folder: Path
    zooms: tuple[int, ...]
    bounds: list[list[float]]
    first: int = 3
    _item: layer_store.Published | None = field(default=None, repr=False)
    #: Asks again for the levels not drawn yet (their job may have been dropped meanwhile).
    _resume: Callable[[], None] | None = field(default=None, repr=False, compare=False)

    @property
    def done(self) -> list[int]:
        return [z for z in self.zooms if (self.folder / str(z)).is_dir()]

    @property
    def complete(self) -> bool:
        return len(self.done) == len(self.zooms)

    @property
    def shown(self) -> list[int]:
        """The levels a map uses: every level once all are drawn, else the first ones once they
        are (so that the map changes its tiles twice at most, not at every level drawn)."""
        done = self.done
        if len(done) == len(self.zooms):
            return done
        first = list(self.zooms[:self.first])
        return first if all(z in done for z in first) else []

    @property
    def max_native_zoom(self) -> int | None:
        shown = self.shown
        return max(shown) if shown else None

    @property
    def min_native_zoom(self) -> int | None:
        shown = self.shown
        return min(shown) if shown else None

    def touch(self) -> None:
        """Mark the tile set used now (for the cache's least-recently-used clean-up)."""
        with contextlib.suppress(OSError):
            (self.folder / "used").touch()

    def resume(self) -> None:
        """Draw the levels still missing (a background job left off when its data set was left)."""
        if self._resume is not None and not self.complete:
            self._resume()


def _mercator(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lat = np.clip(lat, -85.0511, 85.0511)
    x = np.radians(lon) * 6378137.0
    y = np.log(np.tan(np.pi / 4 + np.radians(lat) / 2)) * 6378137.0
    return x, y


def _zoom_range(width_m: float, height_m: float) -> tuple[int, ...]:
    """From the level that shows the extent in about two tiles to the finest affordable one."""
    extent = max(width_m, height_m, 1.0)
    first = max(0, min(MAX_ZOOM, int(math.floor(math.log2(2 * _HALF * 2 / extent)))))
    zooms = []
    for z in range(first, MAX_ZOOM + 1):
        tile_m = 2 * _HALF / 2**z
        count = (width_m / tile_m + 2) * (height_m / tile_m + 2)
        if count > MAX_TILES_PER_ZOOM and zooms:
            break
        zooms.append(z)
    return tuple(zooms)


def _widths(z: int) -> tuple[float, float]:
    """Line widths (minor, major) in pixels at zoom ``z``."""
    if z <= 11:
        return 0.6, 1.2
    if z <= 13:
        return 0.9, 1.7
    if z == 14:
        return 1.2, 2.2
    return 1.5, 2.8


@dataclass
class _Segments:
    x0: np.ndarray
    y0: np.ndarray
    x1: np.ndarray
    y1: np.ndarray
    major: np.ndarray


def _segments(network: Any, *, shift: str) -> tuple[_Segments, list[list[float]]]:
    """Every edge as a straight segment in Web Mercator metres, and the display bounds."""
    to_lonlat = Transformer.from_crs(network.crs, 4326, always_xy=True)
    lon, lat = to_lonlat.transform(np.asarray(network.node_x, dtype=float), np.asarray(network.node_y, dtype=float))
    lon, lat = np.asarray(lon), np.asarray(lat)
    if shift == "amap":
        lon, lat = wgs84_to_gcj02(lon, lat)
    x, y = _mercator(lon, lat)
    u, v = np.asarray(network.edge_u), np.asarray(network.edge_v)
    names = np.asarray(HIGHWAY_CLASSES, dtype=object)[np.asarray(network.edge_class)]
    major = np.isin(names, list(MAJOR_CLASSES))
    bounds = [[float(lat.min()), float(lon.min())], [float(lat.max()), float(lon.max())]]
    return _Segments(x[u], y[u], x[v], y[v], major), bounds


def network_key(network: Any, *, shift: str) -> str:
    """A hash of the network's geometry and classes and of the style (names a tile set)."""
    digest = hashlib.sha256()
    for array in (network.node_x, network.node_y, network.edge_u, network.edge_v, network.edge_class):
        digest.update(np.ascontiguousarray(array).tobytes())
    digest.update(f"{network.crs}|{shift}|{STYLE_VERSION}".encode())
    return digest.hexdigest()[:32]


def _empty_tile() -> bytes:
    buffer = io.BytesIO()
    Image.new("LA", (TILE, TILE), (0, 0)).save(buffer, format="PNG")
    return buffer.getvalue()


def _tile_image(minor: np.ndarray, major: np.ndarray) -> Image.Image:
    """One tile from the coverage of its minor and major roads (0–255): grey with opacity.

    Both road colours are greys, so a grey-and-alpha PNG holds them exactly at half the size.
    """
    a_major = major.astype(np.float32) / 255.0
    a_minor = minor.astype(np.float32) / 255.0 * (1.0 - a_major)
    alpha = a_major + a_minor
    with np.errstate(invalid="ignore", divide="ignore"):
        grey = (a_major * _MAJOR[0] + a_minor * _MINOR[0]) / np.where(alpha > 0, alpha, 1.0)
    pixels = np.stack([grey.astype(np.uint8), np.clip(alpha * _OPACITY * 255.0, 0, 255).astype(np.uint8)], axis=-1)
    return Image.fromarray(pixels, "LA")


def _draw_zoom(seg: _Segments, z: int, folder: Path, *, pause: Callable[[], None] | None = None) -> int:
    """Draw zoom level ``z`` into ``folder/<z>`` (via a partial folder); returns the tiles written.

    ``pause`` is called between blocks of tiles.
    """
    scale = TILE * 2**z / (2 * _HALF)
    px0, py0 = (seg.x0 + _HALF) * scale, (_HALF - seg.y0) * scale
    px1, py1 = (seg.x1 + _HALF) * scale, (_HALF - seg.y1) * scale
    minor_w, major_w = _widths(z)
    pad = major_w + 2
    tx0 = int(np.floor((min(px0.min(), px1.min()) - pad) / TILE))
    ty0 = int(np.floor((min(py0.min(), py1.min()) - pad) / TILE))
    tx1 = int(np.floor((max(px0.max(), px1.max()) + pad) / TILE))
    ty1 = int(np.floor((max(py0.max(), py1.max()) + pad) / TILE))
    block_px = _BLOCK * TILE
    # The blocks each segment's box touches (most touch one; a long one several).
    bx0 = np.floor((np.minimum(px0, px1) - pad - tx0 * TILE) / block_px).astype(np.int64)
    bx1 = np.floor((np.maximum(px0, px1) + pad - tx0 * TILE) / block_px).astype(np.int64)
    by0 = np.floor((np.minimum(py0, py1) - pad - ty0 * TILE) / block_px).astype(np.int64)
    by1 = np.floor((np.maximum(py0, py1) + pad - ty0 * TILE) / block_px).astype(np.int64)
    nbx = (tx1 - tx0) // _BLOCK + 1
    spans_x, spans_y = bx1 - bx0 + 1, by1 - by0 + 1
    counts = spans_x * spans_y
    seg_of = np.repeat(np.arange(len(counts)), counts)
    offset = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    block = (by0[seg_of] + offset // spans_x[seg_of]) * nbx + bx0[seg_of] + offset % spans_x[seg_of]
    order = np.argsort(block, kind="stable")
    block, seg_of = block[order], seg_of[order]
    starts = np.flatnonzero(np.r_[True, block[1:] != block[:-1]])
    ends = np.r_[starts[1:], len(block)]

    partial = folder / f".{z}.{secrets.token_hex(4)}.part"
    partial.mkdir(parents=True)
    empty = partial / "empty.png"
    empty.write_bytes(_empty_tile())
    written = 0
    done_tiles: set[tuple[int, int]] = set()
    ss = 2  # drawn at twice the size, then reduced: smooth lines
    for a, b in zip(starts, ends, strict=True):
        if pause is not None:
            try:
                pause()
            except BaseException:  # the drawing was stopped: no half-drawn level left behind
                shutil.rmtree(partial, ignore_errors=True)
                raise
        by, bx = divmod(int(block[a]), nbx)
        ox, oy = (tx0 + bx * _BLOCK) * TILE, (ty0 + by * _BLOCK) * TILE
        idx = seg_of[a:b]
        masks = []
        for selected, width in ((~seg.major[idx], minor_w), (seg.major[idx], major_w)):
            mask = Image.new("L", (block_px * ss, block_px * ss), 0)
            draw = ImageDraw.Draw(mask)
            line_w = max(1, int(round(width * ss)))
            pick = idx[selected]
            coords = np.column_stack([(px0[pick] - ox) * ss, (py0[pick] - oy) * ss,
                                      (px1[pick] - ox) * ss, (py1[pick] - oy) * ss])
            for row in coords.tolist():
                draw.line(row, fill=255, width=line_w)
            masks.append(np.asarray(mask.reduce(ss)))
        minor_all, major_all = masks
        inked = (minor_all | major_all).reshape(_BLOCK, TILE, _BLOCK, TILE).any(axis=(1, 3))
        for ty, tx in zip(*np.nonzero(inked), strict=True):
            window = (slice(ty * TILE, (ty + 1) * TILE), slice(tx * TILE, (tx + 1) * TILE))
            x, y = tx0 + bx * _BLOCK + int(tx), ty0 + by * _BLOCK + int(ty)
            path = partial / str(x) / f"{y}.png"
            path.parent.mkdir(exist_ok=True)
            _tile_image(minor_all[window], major_all[window]).save(path, format="PNG", compress_level=1)
            done_tiles.add((x, y))
            written += 1
    for x in range(tx0, tx1 + 1):
        column = partial / str(x)
        column.mkdir(exist_ok=True)
        for y in range(ty0, ty1 + 1):
            if (x, y) not in done_tiles:
                os.link(empty, column / f"{y}.png")
    target = folder / str(z)
    try:
        os.rename(partial, target)
    except OSError:  # drawn meanwhile by another server process
        shutil.rmtree(partial, ignore_errors=True)
    return written


_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()
#: Runs a drawing later: ``background(draw, first)`` (``first``: the coarsest levels, shown soonest).
Background = Callable[[Callable[[], None], bool], Any]


def road_tiles(network: Any, *, shift: str = "none", scope: str = layer_store.SHARED, first_zooms: int = 3,
               background: Background | None = None, pause: Callable[[], None] | None = None) -> TileSet | None:
    """The road tiles of ``network``, drawn by ``background`` (now when ``None``): the
    ``first_zooms`` coarsest levels first, then the finer ones, calling ``pause`` between their
    blocks so that more urgent work can go first.

    Returns ``None`` when the cache folder is not writable or the network has no edges.
    """
    if network.n_edges == 0:
        return None
    key = network_key(network, shift=shift)
    folder = layer_store.scope_dir(scope) / "tiles" / key
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    seg, bounds = _segments(network, shift=shift)
    width = float(max(seg.x0.max(), seg.x1.max()) - min(seg.x0.min(), seg.x1.min()))
    height = float(max(seg.y0.max(), seg.y1.max()) - min(seg.y0.min(), seg.y1.min()))
    zooms = _zoom_range(width, height)
    item = layer_store.Published(url=layer_store.url_of(folder), path=folder, size=0)
    layer_store.hold(folder, item)
    tiles = TileSet(url=item.url + "/{z}/{x}/{y}.png", folder=folder, zooms=zooms, bounds=bounds,
                    first=first_zooms, _item=item)
    tiles.touch()
    def draw(levels: tuple[int, ...], wait: Callable[[], None] | None) -> None:
        # One lock per set of levels: the finer levels, pausing for other work, never hold up
        # the coarse ones.
        with _LOCKS_GUARD:
            lock = _LOCKS.setdefault(f"{key}:{levels}", threading.Lock())
        with lock:
            for z in levels:
                if not (folder / str(z)).is_dir():
                    _draw_zoom(seg, z, folder, pause=wait)
        layer_store.clean_soon()

    def start() -> None:
        for levels, first in ((zooms[:first_zooms], True), (zooms[first_zooms:], False)):
            if not levels or all((folder / str(z)).is_dir() for z in levels):
                continue
            if background is None:
                draw(levels, None)
            else:
                background(lambda levels=levels, first=first: draw(levels, None if first else pause), first)

    start()
    tiles._resume = start
    return tiles
