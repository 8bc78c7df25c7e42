"""Road tiles: the roads drawn where the tile scheme puts them, every tile of the extent present."""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from app_support import layer_store, tiles
from geo.network import HIGHWAY_CLASSES, RoadNetwork


@pytest.fixture()
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "layers"
    monkeypatch.setattr(layer_store, "LAYER_CACHE_DIR", folder)
    monkeypatch.setattr(layer_store, "_last_clean", time.monotonic() + 3600)
    return folder


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int, float, float]:
    """Tile x, y and the pixel within it, from the Web Mercator tile formulas (OSM wiki)."""
    n = 2**z
    x = (lon + 180.0) / 360.0 * n
    lat_r = math.radians(lat)
    y = (1.0 - math.log(math.tan(lat_r) + 1.0 / math.cos(lat_r)) / math.pi) / 2.0 * n
    return int(x), int(y), (x - int(x)) * 256, (y - int(y)) * 256


def _network() -> RoadNetwork:
    # A main road west to east at 31.67° N and a minor road north to south at 118.515° E.
    lon = np.array([118.50, 118.52, 118.515, 118.515])
    lat = np.array([31.67, 31.67, 31.66, 31.68])
    return RoadNetwork.from_arrays(crs=4326, node_x=lon, node_y=lat, edge_u=np.array([0, 2]),
                                   edge_v=np.array([1, 3]), edge_class=np.array([_code("primary"), _code("residential")]))


def _code(name: str) -> int:
    return HIGHWAY_CLASSES.index(name)


def test_zoom_levels_stop_at_the_tile_budget() -> None:
    zooms = tiles._zoom_range(50_000.0, 40_000.0)
    tile_m = 2 * tiles._HALF / 2 ** zooms[-1]
    assert (50_000 / tile_m + 2) * (40_000 / tile_m + 2) <= tiles.MAX_TILES_PER_ZOOM
    finer = tile_m / 2
    assert (50_000 / finer + 2) * (40_000 / finer + 2) > tiles.MAX_TILES_PER_ZOOM
    # From the finest level that shows the extent within two tiles.
    first_tile_m = 2 * tiles._HALF / 2 ** zooms[0]
    assert 2 * first_tile_m >= 50_000.0 > first_tile_m
    assert tiles._zoom_range(3_000.0, 3_000.0)[-1] == tiles.MAX_ZOOM


def test_roads_are_drawn_where_the_tile_scheme_puts_them(store: Path) -> None:
    tile_set = tiles.road_tiles(_network())
    assert tile_set is not None and tile_set.complete
    assert tile_set.url.startswith("/app/static/layers/shared/tiles/") and tile_set.url.endswith("/{z}/{x}/{y}.png")
    z = 15
    assert z in tile_set.zooms and tile_set.max_native_zoom == tile_set.zooms[-1]
    x, y, px, py = _tile_of(118.505, 31.67, z)
    pixels = np.asarray(Image.open(tile_set.folder / str(z) / str(x) / f"{y}.png").convert("RGBA"))
    row, col = int(py), int(px)
    assert pixels[row, col, 3] > 150 and abs(int(pixels[row, col, 0]) - 140) < 12  # the main road's grey
    assert pixels[max(row - 12, 0), col, 3] == 0 and pixels[min(row + 12, 255), col, 3] == 0
    # The minor road, lighter and thinner.
    x2, y2, px2, py2 = _tile_of(118.515, 31.675, z)
    minor = np.asarray(Image.open(tile_set.folder / str(z) / str(x2) / f"{y2}.png").convert("RGBA"))
    assert minor[int(py2), int(px2), 3] > 0 and minor[int(py2), int(px2), 0] > 160
    # Every tile of the extent exists; those without roads are one shared transparent file.
    level = tile_set.folder / str(z)
    names = sorted(level.glob("*/*.png"))
    inodes = {p.stat().st_ino for p in names}
    empty = (level / "empty.png").stat().st_ino
    assert len(names) > len(inodes) and empty in inodes
    assert np.asarray(Image.open(level / "empty.png").convert("RGBA"))[..., 3].max() == 0


def test_finer_levels_are_shown_once_all_are_drawn(store: Path) -> None:
    later: list[tuple[object, bool]] = []
    paused: list[int] = []
    tile_set = tiles.road_tiles(_network(), first_zooms=2, background=lambda draw, first: later.append((draw, first)),
                                pause=lambda: paused.append(1))
    assert tile_set is not None and len(tile_set.zooms) > 2
    assert [first for _, first in later] == [True, False] and tile_set.shown == []
    later[0][0]()  # the coarsest levels: shown at once, without pausing
    assert tile_set.shown == list(tile_set.zooms[:2]) and tile_set.max_native_zoom == tile_set.zooms[1]
    assert paused == []
    later[1][0]()  # the finer ones pause between their blocks for more urgent work
    assert paused and tile_set.shown == list(tile_set.zooms) and tile_set.max_native_zoom == tile_set.zooms[-1]
    # Drawn once: another call finds every level on disk and asks for nothing.
    later.clear()
    again = tiles.road_tiles(_network(), background=lambda draw, first: later.append((draw, first)))
    assert again is not None and again.folder == tile_set.folder and later == []


def test_levels_stopped_midway_are_asked_for_again_and_leave_no_partial_level(store: Path) -> None:
    later: list[tuple[object, bool]] = []

    def stop() -> None:
        raise RuntimeError("stopped")

    tile_set = tiles.road_tiles(_network(), first_zooms=2, background=lambda draw, first: later.append((draw, first)),
                                pause=stop)
    assert tile_set is not None
    later[0][0]()
    with pytest.raises(RuntimeError):
        later[1][0]()  # the finer levels stop at their first pause
    assert tile_set.done == list(tile_set.zooms[:2])
    assert not [p for p in tile_set.folder.iterdir() if p.name.endswith(".part")]
    later.clear()
    tile_set.resume()  # the user is back: only the missing levels are asked for
    assert [first for _, first in later] == [False]
