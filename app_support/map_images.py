"""Heavy map layers drawn on the server as translucent PNG images.

A city's service circle, travel-time surface, responsibility areas and residents outside the
circle are millions of cells or hundreds of thousands of points: as vector data they would fill
the page with megabytes and the browser with objects. Drawn here as one image each (in Web
Mercator, the map's own projection, so that Leaflet stretches it between two corners without
distortion), they reach the browser as a file of a few hundred kilobytes.

Every function returns the PNG bytes and the image's corners ``[[south, west], [north, east]]``
in display longitude/latitude (GCJ-02 for the Amap base map).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import numpy as np
from PIL import Image
from pyproj import Transformer
from rasterio.crs import CRS as RasterCRS
from rasterio.transform import Affine, array_bounds
from rasterio.warp import calculate_default_transform
from rasterio.warp import transform as transform_xy
from scipy import ndimage

from geo.coords import wgs84_to_gcj02
from planning.output.rasters import warp_nearest

Bounds = list[list[float]]
#: Residents outside the circle, light to dark: warm colours only (green means covered).
HEAT_COLORS: tuple[str, ...] = ("#fee391", "#fec44f", "#fe9929", "#ec7014", "#cc4c02", "#8c2d04")
#: Responsibility areas: pale fills told apart by hue, with darker borders.
AREA_COLORS: tuple[str, ...] = ("#8dd3c7", "#ffffb3", "#bebada", "#fb8072", "#80b1d3", "#fdb462",
                                "#b3de69", "#fccde5", "#bc80bd", "#ccebc5", "#ffed6f", "#d9d9d9")
AREA_BORDER = "#6a3d9a"
_WEB = RasterCRS.from_epsg(3857)
_LONLAT = RasterCRS.from_epsg(4326)


def rgba(color: str, alpha: int) -> list[int]:
    """``#rrggbb`` and an opacity (0–255) as four bytes."""
    return [int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16), int(alpha)]


def _png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue()


def _indexed_png(codes: np.ndarray, palette: np.ndarray) -> bytes:
    """A PNG of palette indices (``palette``: up to 256 RGBA rows): one byte a pixel instead of
    four, several times quicker to encode and smaller than the RGBA image it decodes to."""
    image = Image.fromarray(np.asarray(codes, dtype=np.uint8), mode="P")
    image.putpalette(np.ascontiguousarray(palette[:, :3], dtype=np.uint8).tobytes())
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=6, transparency=bytes(palette[:, 3].astype(np.uint8)))
    return buffer.getvalue()


def _corners(x0: float, y0: float, x1: float, y1: float, *, basemap: str) -> Bounds:
    lon, lat = transform_xy(_WEB, _LONLAT, [x0, x1], [y0, y1])
    lon, lat = np.asarray(lon), np.asarray(lat)
    if basemap == "amap":
        lon, lat = wgs84_to_gcj02(lon, lat)
    return [[float(lat[0]), float(lon[0])], [float(lat[1]), float(lon[1])]]


def to_web_mercator(values: np.ndarray, transform: Affine, crs: Any, *,
                    max_pixels: int) -> tuple[np.ndarray, Affine]:
    """A raster of codes (0 = nothing) resampled (nearest cell) to Web Mercator, at most
    ``max_pixels`` pixels."""
    height, width = values.shape
    west, south, east, north = array_bounds(height, width, transform)
    src_crs = RasterCRS.from_user_input(crs)
    dst_transform, dst_width, dst_height = calculate_default_transform(
        src_crs, _WEB, width, height, left=west, bottom=south, right=east, top=north)
    scale = max(1.0, float(np.sqrt(dst_width * dst_height / max_pixels)))
    if scale > 1.0:
        dst_width, dst_height = max(1, int(dst_width / scale)), max(1, int(dst_height / scale))
        dst_transform = dst_transform * Affine.scale(scale)
    shown = np.zeros((dst_height, dst_width), dtype=values.dtype)
    warp_nearest(values, shown, transform, src_crs, dst_transform, _WEB, nodata=0)
    return shown, dst_transform


def classes_png(classes: np.ndarray, transform: Affine, crs: Any, colors: Sequence[str], *,
                basemap: str = "none", alpha: int = 140,
                max_pixels: int = 2_000_000) -> tuple[bytes, Bounds] | None:
    """A class raster (0 transparent, 1… the ``colors``) as an image; ``None`` when empty."""
    classes = np.asarray(classes, dtype=np.uint8)
    if not classes.any():
        return None
    shown, dst_transform = to_web_mercator(classes, transform, crs, max_pixels=max_pixels)
    palette = np.zeros((256, 4), dtype=np.uint8)
    for i, color in enumerate(colors, start=1):
        palette[i] = rgba(color, alpha)
    x0, y0, x1, y1 = array_bounds(shown.shape[0], shown.shape[1], dst_transform)
    return _indexed_png(shown, palette), _corners(x0, y0, x1, y1, basemap=basemap)


def outline(mask: np.ndarray) -> np.ndarray:
    """Pixels of ``mask`` next to a pixel outside it (4-neighbours): a one-pixel outline."""
    inner = ndimage.binary_erosion(mask, structure=np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], bool),
                                   border_value=0)
    return mask & ~inner


def area_png(inside: np.ndarray, transform: Affine, crs: Any, color: str, *, line_color: str | None = None,
             basemap: str = "none", fill_alpha: int = 70, line_alpha: int = 230,
             max_pixels: int = 6_000_000) -> tuple[bytes, Bounds] | None:
    """A set of cells (a service circle) as a translucent fill with a solid outline (in
    ``line_color``, default the fill's)."""
    inside = np.asarray(inside, dtype=np.uint8)
    if not inside.any():
        return None
    shown, dst_transform = to_web_mercator(inside, transform, crs, max_pixels=max_pixels)
    mask = shown > 0
    codes = mask.astype(np.uint8)
    codes[outline(mask)] = 2
    palette = np.array([[0, 0, 0, 0], rgba(color, fill_alpha), rgba(line_color or color, line_alpha)],
                       dtype=np.uint8)
    x0, y0, x1, y1 = array_bounds(shown.shape[0], shown.shape[1], dst_transform)
    return _indexed_png(codes, palette), _corners(x0, y0, x1, y1, basemap=basemap)


def labels_png(labels: np.ndarray, transform: Affine, crs: Any, *, basemap: str = "none",
               max_pixels: int = 6_000_000) -> tuple[bytes, Bounds] | None:
    """Areas numbered 1, 2, … (0 none), e.g. each facility's responsibility area, as pale fills
    in :data:`AREA_COLORS` with borders where two areas meet."""
    labels = np.asarray(labels, dtype=np.int32)
    if not labels.any():
        return None
    shown, dst_transform = to_web_mercator(labels, transform, crs, max_pixels=max_pixels)
    # Neighbouring areas get colours apart: the colour follows a scrambled area number.
    # Palette: nothing, the border, then the area colours.
    palette = np.array([[0, 0, 0, 0], rgba(AREA_BORDER, 200), *(rgba(c, 90) for c in AREA_COLORS)],
                       dtype=np.uint8)
    codes = (2 + (shown.astype(np.int64) * 7919) % len(AREA_COLORS)).astype(np.uint8)
    codes[shown == 0] = 0
    border = np.zeros(shown.shape, dtype=bool)
    border[:, 1:] |= shown[:, 1:] != shown[:, :-1]
    border[1:, :] |= shown[1:, :] != shown[:-1, :]
    border &= shown > 0
    codes[border] = 1
    x0, y0, x1, y1 = array_bounds(shown.shape[0], shown.shape[1], dst_transform)
    return _indexed_png(codes, palette), _corners(x0, y0, x1, y1, basemap=basemap)


def _ramp(colors: Sequence[str], n: int = 256) -> np.ndarray:
    stops = np.array([rgba(c, 255)[:3] for c in colors], dtype=float)
    at = np.linspace(0, len(colors) - 1, n)
    low = np.floor(at).astype(int)
    high = np.minimum(low + 1, len(colors) - 1)
    frac = (at - low)[:, None]
    return (stops[low] * (1 - frac) + stops[high] * frac).astype(np.uint8)


def density_png(x: np.ndarray, y: np.ndarray, weights: np.ndarray, crs: Any, *, mode: str = "heat",
                basemap: str = "none", long_side: int | None = None) -> tuple[bytes, Bounds] | None:
    """Residents as a warm heat image (``"heat"``) or as dots coloured by their number (``"points"``).

    Parameters
    ----------
    x, y : numpy.ndarray
        Points in ``crs``.
    weights : numpy.ndarray
        Residents at each point.
    mode : {"heat", "points"}
    long_side : int, optional
        Pixels along the longer side (default 1,600 for heat, 3,200 for points).
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    weights = np.asarray(weights, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y) & (weights > 0)
    x, y, weights = x[keep], y[keep], weights[keep]
    if len(x) == 0:
        return None
    lon, lat = Transformer.from_crs(crs, 4326, always_xy=True).transform(x, y)
    lon, lat = np.asarray(lon), np.asarray(lat)
    if basemap == "amap":
        lon, lat = wgs84_to_gcj02(lon, lat)
    mx, my = Transformer.from_crs(4326, 3857, always_xy=True).transform(lon, lat)
    mx, my = np.asarray(mx), np.asarray(my)
    side = long_side or (1600 if mode == "heat" else 3200)
    span = max(float(np.ptp(mx)), float(np.ptp(my)), 1.0)
    pixel = span / side
    pad = (8 if mode == "heat" else 2) * pixel
    x0, x1 = float(mx.min()) - pad, float(mx.max()) + pad
    y0, y1 = float(my.min()) - pad, float(my.max()) + pad
    # Whole pixels: the image's corners are recomputed from its size below.
    width, height = max(1, int(np.ceil((x1 - x0) / pixel))), max(1, int(np.ceil((y1 - y0) / pixel)))
    col = np.clip(((mx - x0) / pixel).astype(np.int64), 0, width - 1)
    row = np.clip(((y1 - my) / pixel).astype(np.int64), 0, height - 1)
    grid = np.zeros((height, width), dtype=np.float64)
    np.add.at(grid, (row, col), weights)
    ramp = _ramp(HEAT_COLORS)
    pixels = np.zeros((height, width, 4), dtype=np.uint8)
    if mode == "heat":
        smooth = ndimage.gaussian_filter(grid, sigma=3.0)
        positive = smooth[smooth > 0]
        top = float(np.quantile(positive, 0.995)) if len(positive) else 1.0
        level = np.clip(np.sqrt(smooth / (top or 1.0)), 0.0, 1.0)
        shown = level > 0.05
        index = (level * 255).astype(np.int64)
        pixels[..., :3] = ramp[index]
        pixels[..., 3] = np.where(shown, (60 + 170 * level).astype(np.uint8), 0)
    else:
        # Each point a dot of three by three pixels, coloured by the residents there.
        dots = ndimage.maximum_filter(grid, size=3)
        shown = dots > 0
        top = float(np.quantile(weights, 0.99)) or 1.0
        level = np.clip(dots / top, 0.0, 1.0)
        index = (0.35 * 255 + level * 0.65 * 255).astype(np.int64)
        pixels[..., :3] = ramp[np.clip(index, 0, 255)]
        pixels[..., 3] = np.where(shown, 220, 0).astype(np.uint8)
    return _png(pixels), _corners(x0, y1 - height * pixel, x0 + width * pixel, y1, basemap=basemap)
