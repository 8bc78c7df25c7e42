"""Coordinate systems met in Chinese planning data, and the metric CRS used for analysis.

Amap (高德) exports carry GCJ-02 lon/lat, Baidu (百度) exports BD-09; both are offset from
WGS84 by a few hundred metres inside China. The conversions below are the standard public
formulas (Krasovsky ellipsoid constants); GCJ-02 → WGS84 has no closed form and is solved by
fixed-point iteration of the forward formula, which converges to well below a millimetre.
CGCS2000 (EPSG:4490) and WGS84 agree to within a metre, so CGCS2000 lon/lat is used as WGS84.

Examples
--------
>>> lon, lat = wgs84_to_gcj02(116.404, 39.915)
>>> round(float(lon), 6), round(float(lat), 6)
(116.410244, 39.916404)
>>> metric_crs_for((118.4, 31.6, 118.6, 31.8)).to_epsg()
32650
"""

from __future__ import annotations

from typing import Any, Literal

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS

from geo._errors import DataError

CoordSystem = Literal["wgs84", "cgcs2000", "gcj02", "bd09"]
COORD_SYSTEMS: tuple[str, ...] = ("wgs84", "cgcs2000", "gcj02", "bd09")

_A = 6378245.0  # Krasovsky 1940 semi-major axis, as used by GCJ-02
_EE = 0.00669342162296594323  # Krasovsky first eccentricity squared
_X_PI = np.pi * 3000.0 / 180.0  # BD-09 rotation constant
_ITERATIONS = 30
_TOLERANCE_DEG = 1e-12


def _out_of_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    # GCJ-02 leaves points outside this box unchanged (public reference implementations).
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _offset_deg(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 minus WGS84, in degrees, at WGS84 point (lon, lat)."""
    x = lon - 105.0
    y = lat - 35.0
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    sqrt_abs_x = np.sqrt(np.abs(x))
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt_abs_x + common
    dlat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt_abs_x + common
    dlon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    rad_lat = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    outside = _out_of_china(lon, lat)
    return np.where(outside, 0.0, dlon), np.where(outside, 0.0, dlat)


def _arrays(lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)


def wgs84_to_gcj02(lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 lon/lat → GCJ-02 (Amap, Tencent) lon/lat; arrays or scalars."""
    lon, lat = _arrays(lon, lat)
    dlon, dlat = _offset_deg(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 lon/lat → WGS84 lon/lat, exact inverse of :func:`wgs84_to_gcj02`.

    Solves ``wgs84_to_gcj02(w) == g`` by the fixed-point iteration
    ``w ← w − (wgs84_to_gcj02(w) − g)``; the offset changes slowly, so each step gains
    about three digits.
    """
    glon, glat = _arrays(lon, lat)
    wlon, wlat = glon.copy(), glat.copy()
    for _ in range(_ITERATIONS):
        flon, flat = wgs84_to_gcj02(wlon, wlat)
        elon, elat = flon - glon, flat - glat
        wlon = wlon - elon
        wlat = wlat - elat
        if np.all(np.abs(elon) < _TOLERANCE_DEG) and np.all(np.abs(elat) < _TOLERANCE_DEG):
            break
    return wlon, wlat


def gcj02_to_bd09(lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 lon/lat → BD-09 (Baidu) lon/lat."""
    x, y = _arrays(lon, lat)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 lon/lat → GCJ-02 lon/lat, exact inverse of :func:`gcj02_to_bd09` (iterated)."""
    blon, blat = _arrays(lon, lat)
    # The published closed form is a first guess; a few fixed-point steps make it exact.
    x, y = blon - 0.0065, blat - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    glon, glat = z * np.cos(theta), z * np.sin(theta)
    for _ in range(_ITERATIONS):
        flon, flat = gcj02_to_bd09(glon, glat)
        elon, elat = flon - blon, flat - blat
        glon, glat = glon - elon, glat - elat
        if np.all(np.abs(elon) < _TOLERANCE_DEG) and np.all(np.abs(elat) < _TOLERANCE_DEG):
            break
    return glon, glat


def wgs84_to_bd09(lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 lon/lat → BD-09 lon/lat."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 lon/lat → WGS84 lon/lat."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


_TO_WGS84 = {"gcj02": gcj02_to_wgs84, "bd09": bd09_to_wgs84}
_FROM_WGS84 = {"gcj02": wgs84_to_gcj02, "bd09": wgs84_to_bd09}


def check_system(system: str | None, *, where: str = "coords") -> str:
    """Normalise a coordinate-system name, or raise a :class:`DataError` listing the valid ones."""
    if system is None:
        return "wgs84"
    name = str(system).strip().lower()
    for sign in "-_: ":
        name = name.replace(sign, "")
    aliases = {"wgs84": "wgs84", "epsg4326": "wgs84", "4326": "wgs84", "cgcs2000": "cgcs2000",
               "epsg4490": "cgcs2000", "4490": "cgcs2000", "gcj02": "gcj02", "gcj": "gcj02",
               "amap": "gcj02", "bd09": "bd09", "bd09ll": "bd09", "baidu": "bd09"}
    if name not in aliases:
        raise DataError(key="coords.unknown", values={"given": str(system), "where": where})
    return aliases[name]


def _transform_geoms(gdf: gpd.GeoDataFrame, func: Any) -> gpd.GeoDataFrame:
    def apply(coords: np.ndarray) -> np.ndarray:
        lon, lat = func(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    out = gdf.copy()
    out.geometry = gpd.GeoSeries(shapely.transform(gdf.geometry.to_numpy(), apply),
                                 index=gdf.index, crs=gdf.crs)
    return out


def to_wgs84(gdf: gpd.GeoDataFrame, system: str | None = None) -> gpd.GeoDataFrame:
    """Layer in WGS84 lon/lat (EPSG:4326).

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        A layer in any CRS. Projected layers are reprojected; ``system`` applies only to
        lon/lat layers (or layers without a CRS, taken as lon/lat).
    system : {"wgs84", "cgcs2000", "gcj02", "bd09"}, optional
        What the lon/lat numbers really are. Default WGS84 (or what the CRS says).
    """
    system = check_system(system)
    crs = CRS.from_user_input(gdf.crs) if gdf.crs is not None else None
    if crs is not None and not crs.is_geographic:
        return gdf.to_crs(4326)
    # CGCS2000 (and any other geographic CRS close to WGS84) is WGS84 to within a metre.
    out = gdf.set_crs(4326, allow_override=True)
    if system in _TO_WGS84:
        out = _transform_geoms(out, _TO_WGS84[system])
    return out


def from_wgs84(gdf: gpd.GeoDataFrame, system: str | None = None) -> gpd.GeoDataFrame:
    """Layer converted from WGS84 to ``system`` lon/lat (for exports to Amap/Baidu users).

    The result's CRS is EPSG:4326 for WGS84, EPSG:4490 for CGCS2000; GCJ-02 and BD-09 have no
    EPSG code, so their layers carry EPSG:4326 with the shifted numbers.
    """
    system = check_system(system)
    out = gdf.to_crs(4326) if gdf.crs is not None else gdf.set_crs(4326)
    if system == "cgcs2000":
        return out.set_crs(4490, allow_override=True)
    if system in _FROM_WGS84:
        out = _transform_geoms(out, _FROM_WGS84[system])
    return out


def _bounds_wgs84(geometry_or_bounds: Any) -> tuple[float, float, float, float]:
    if isinstance(geometry_or_bounds, (gpd.GeoDataFrame, gpd.GeoSeries)):
        frame = geometry_or_bounds
        if frame.crs is not None and not CRS.from_user_input(frame.crs).is_geographic:
            frame = frame.to_crs(4326)
        b = frame.total_bounds
    elif isinstance(geometry_or_bounds, shapely.Geometry):
        b = geometry_or_bounds.bounds
    else:
        b = tuple(geometry_or_bounds)
        if len(b) != 4:
            raise ValueError("bounds must be (min_lon, min_lat, max_lon, max_lat)")
    minx, miny, maxx, maxy = (float(v) for v in b)
    if not np.all(np.isfinite([minx, miny, maxx, maxy])):
        raise DataError("the layers have no coordinates to choose a projection from",
                        fix="Check that the layers are not empty")
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise DataError(
            f"coordinates ({minx:.1f}, {miny:.1f}) – ({maxx:.1f}, {maxy:.1f}) are not lon/lat "
            "degrees",
            fix="Give the layer's projection (a .prj file, or a GeoPackage) or convert it to "
            "lon/lat",
        )
    return minx, miny, maxx, maxy


def metric_crs_for(geometry_or_bounds_wgs84: Any) -> CRS:
    """UTM zone CRS (WGS84, metres) of the centre of a WGS84 geometry, layer or bounds.

    Parameters
    ----------
    geometry_or_bounds_wgs84 : shapely geometry, GeoDataFrame, GeoSeries or 4-tuple
        Bounds as ``(min_lon, min_lat, max_lon, max_lat)``.
    """
    minx, miny, maxx, maxy = _bounds_wgs84(geometry_or_bounds_wgs84)
    lon, lat = (minx + maxx) / 2.0, (miny + maxy) / 2.0
    zone = min(int(np.floor((lon + 180.0) / 6.0)) + 1, 60)
    return CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


#: Central meridians of the CGCS2000 3-degree zones with EPSG codes (4534 … 4554, "CM" variants).
GK_CENTRAL_MERIDIANS: tuple[int, ...] = tuple(range(75, 136, 3))


def cgcs2000_gk_crs(lon: float) -> CRS:
    """CGCS2000 3-degree Gauss-Krüger CRS whose central meridian is nearest ``lon``.

    EPSG:4534 (CM 75°E) … EPSG:4554 (CM 135°E), the "CM" variants without a zone prefix in
    the easting, as Chinese surveying offices deliver them. Each zone spans CM ± 1.5°; a
    longitude on the border between two zones goes to the eastern one, except 136.5°E, the
    eastern edge of the last zone.

    >>> cgcs2000_gk_crs(118.4).to_epsg()  # Ma'anshan, zone of CM 117°E (115.5°E–118.5°E)
    4548
    >>> cgcs2000_gk_crs(136.5).to_epsg()
    4554
    """
    lon = float(lon)
    west, east = GK_CENTRAL_MERIDIANS[0] - 1.5, GK_CENTRAL_MERIDIANS[-1] + 1.5
    if not west <= lon <= east:  # also refuses NaN
        raise DataError(f"longitude {lon:.3f} is outside China's CGCS2000 3-degree zones "
                        f"({west:g}°E–{east:g}°E)",
                        fix=f"Use the UTM zone CRS instead (crs = \"utm\"); the zones have "
                        f"central meridians {GK_CENTRAL_MERIDIANS[0]}°E–"
                        f"{GK_CENTRAL_MERIDIANS[-1]}°E (EPSG:4534–4554)")
    central = int(np.floor((lon + 1.5) / 3.0)) * 3  # zone CM−1.5° ≤ lon < CM+1.5°
    central = min(max(central, GK_CENTRAL_MERIDIANS[0]), GK_CENTRAL_MERIDIANS[-1])
    return CRS.from_epsg(4534 + (central - 75) // 3)
