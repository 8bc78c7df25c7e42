"""Heavy layers as images: a circle's fill and outline, areas with borders, warm residents."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from rasterio.transform import from_origin
from rasterio.warp import transform as transform_xy

from app_support.map_images import AREA_BORDER, area_png, density_png, labels_png, rgba

WEB = "EPSG:3857"


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


def test_circle_is_a_fill_with_a_one_pixel_outline() -> None:
    # 10 × 10 cells of 100 m in Web Mercator itself (no resampling): a 4 × 4 block inside.
    inside = np.zeros((10, 10), dtype=np.uint8)
    inside[3:7, 2:6] = 1
    drawn = area_png(inside, from_origin(1_000_000, 3_000_000, 100, 100), WEB, "#3182bd")
    assert drawn is not None
    png, bounds = drawn
    pixels = _pixels(png)
    assert pixels.shape[:2] == (10, 10)
    assert tuple(pixels[4, 3]) == tuple(rgba("#3182bd", 70))  # inner cell: translucent fill
    for row, col in ((3, 2), (3, 4), (6, 5), (5, 2)):  # cells on the block's edge: the outline
        assert tuple(pixels[row, col]) == tuple(rgba("#3182bd", 230))
    assert pixels[0, 0, 3] == 0 and pixels[4, 7, 3] == 0
    lon, lat = transform_xy(WEB, "EPSG:4326", [1_000_000, 1_001_000], [2_999_000, 3_000_000])
    assert bounds[0] == pytest.approx([lat[0], lon[0]]) and bounds[1] == pytest.approx([lat[1], lon[1]])
    assert area_png(np.zeros((3, 3), dtype=np.uint8), from_origin(0, 0, 1, 1), WEB, "#000000") is None


def test_areas_get_borders_where_two_meet() -> None:
    labels = np.zeros((6, 8), dtype=np.int32)
    labels[:, :4] = 1
    labels[:, 4:7] = 2
    drawn = labels_png(labels, from_origin(1_000_000, 3_000_000, 100, 100), WEB)
    assert drawn is not None
    pixels = _pixels(drawn[0])
    border = tuple(rgba(AREA_BORDER, 200))
    assert tuple(pixels[2, 4]) == border  # the first cell of area 2, next to area 1
    assert tuple(pixels[2, 1]) != border and pixels[2, 1, 3] == 90  # inside area 1
    assert tuple(pixels[2, 2]) != tuple(pixels[2, 5])  # the two areas in different colours
    assert pixels[2, 7, 3] == 0  # nobody's area


@pytest.mark.parametrize("mode", ["heat", "points"])
def test_residents_outside_are_warm_and_where_they_live(mode: str) -> None:
    # Two groups of residents 20 km apart, in UTM 50N near Ma'anshan.
    x = np.array([660_000.0, 660_050.0, 680_000.0])
    y = np.array([3_505_000.0, 3_505_000.0, 3_505_000.0])
    drawn = density_png(x, y, np.array([100.0, 100.0, 10.0]), "EPSG:32650", mode=mode, long_side=400)
    assert drawn is not None
    png, ((south, west), (north, east)) = drawn
    pixels = _pixels(png)
    shown = pixels[..., 3] > 0
    assert shown.any()
    r, g, b = (pixels[..., i][shown].astype(int) for i in range(3))
    # Warm colours only: red ≥ green ≥ blue in every drawn pixel (no blue or green heat).
    assert (r >= g).all() and (g >= b).all()
    lon, lat = transform_xy("EPSG:32650", "EPSG:4326", x.tolist(), y.tolist())
    assert west < min(lon) and east > max(lon) and south < min(lat) < north
    # Darkest (most residents) at the first group, on the left of the image.
    height, width = shown.shape
    brightness = pixels[..., :3].astype(int).sum(axis=2)
    darkest = np.unravel_index(np.argmin(np.where(shown, brightness, 10**6)), shown.shape)
    assert darkest[1] < width // 4
    assert density_png(x, y, np.zeros(3), "EPSG:32650") is None
