import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import CRS, Geod, Transformer

from geo._errors import DataError
from geo.coords import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    cgcs2000_gk_crs,
    check_system,
    from_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    metric_crs_for,
    to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

GEOD = Geod(ellps="WGS84")
# Published pairs for (116.404, 39.915), Beijing, from the test of the widely used
# coordtransform library (wandergis/coordtransform, test/app.js).
WGS_TO_GCJ = (116.41024449916938, 39.91640428150164)
GCJ_TO_BD = (116.41036949371029, 39.92133699351021)
BD_TO_GCJ_CLOSED_FORM = (116.39762729119315, 39.90865673957631)


def metres(lon1, lat1, lon2, lat2):
    return GEOD.inv(lon1, lat1, lon2, lat2)[2]


def test_forward_formulas_match_published_values():
    lon, lat = wgs84_to_gcj02(116.404, 39.915)
    assert lon == pytest.approx(WGS_TO_GCJ[0], abs=1e-10)
    assert lat == pytest.approx(WGS_TO_GCJ[1], abs=1e-10)
    lon, lat = gcj02_to_bd09(116.404, 39.915)
    assert lon == pytest.approx(GCJ_TO_BD[0], abs=1e-10)
    assert lat == pytest.approx(GCJ_TO_BD[1], abs=1e-10)


def test_gcj_to_wgs_recovers_the_known_wgs84_point():
    lon, lat = gcj02_to_wgs84(*WGS_TO_GCJ)
    assert metres(lon, lat, 116.404, 39.915) < 0.01


def test_bd09_inverse_is_exact_and_close_to_published_closed_form():
    lon, lat = bd09_to_gcj02(116.404, 39.915)
    # the published closed form is an approximation good to a few centimetres
    assert metres(lon, lat, *BD_TO_GCJ_CLOSED_FORM) < 0.1
    back = gcj02_to_bd09(lon, lat)
    assert back[0] == pytest.approx(116.404, abs=1e-10)
    assert back[1] == pytest.approx(39.915, abs=1e-10)


def test_round_trips_across_china():
    lon, lat = np.meshgrid(np.linspace(74, 134, 13), np.linspace(18, 53, 8))
    lon, lat = lon.ravel(), lat.ravel()
    for forward, inverse in ((wgs84_to_gcj02, gcj02_to_wgs84), (wgs84_to_bd09, bd09_to_wgs84)):
        back = inverse(*forward(lon, lat))
        assert np.max(np.abs(back[0] - lon)) < 1e-6
        assert np.max(np.abs(back[1] - lat)) < 1e-6


def test_offset_size_in_maanshan_and_none_outside_china():
    glon, glat = wgs84_to_gcj02(118.5, 31.7)
    assert 300 < metres(118.5, 31.7, glon, glat) < 700
    blon, blat = wgs84_to_bd09(118.5, 31.7)
    assert metres(glon, glat, blon, blat) > 500  # Baidu adds another ~0.006° shift
    lon, lat = wgs84_to_gcj02(24.94, 60.17)  # Helsinki
    assert (float(lon), float(lat)) == (24.94, 60.17)


def test_to_and_from_wgs84_on_layers():
    wgs = gpd.GeoDataFrame({"v": [1, 2]}, geometry=shapely.points([(118.5, 31.7), (118.6, 31.6)]),
                           crs=4326)
    for system in ("gcj02", "bd09"):
        shifted = from_wgs84(wgs, system)
        assert metres(shifted.geometry.x[0], shifted.geometry.y[0], 118.5, 31.7) > 300
        back = to_wgs84(shifted, system)
        assert np.allclose(back.geometry.x, wgs.geometry.x, atol=1e-9)
        assert back.crs.to_epsg() == 4326 and list(back["v"]) == [1, 2]
    cgcs = from_wgs84(wgs, "cgcs2000")
    assert cgcs.crs.to_epsg() == 4490
    assert np.allclose(to_wgs84(cgcs).geometry.x, wgs.geometry.x)
    # projected layers are reprojected whatever system is named
    utm = wgs.to_crs(32650)
    assert np.allclose(to_wgs84(utm, "gcj02").geometry.y, wgs.geometry.y, atol=1e-9)


def test_metric_crs_is_the_utm_zone_of_the_data():
    assert metric_crs_for((118.4, 31.5, 118.7, 31.8)).to_epsg() == 32650  # Ma'anshan
    assert metric_crs_for(shapely.box(108.88, 34.2, 109.02, 34.32)).to_epsg() == 32649  # Xi'an
    assert metric_crs_for((9.47, 47.05, 9.64, 47.28)).to_epsg() == 32632  # Liechtenstein
    assert metric_crs_for((151.1, -33.9, 151.3, -33.8)).to_epsg() == 32756  # Sydney
    layer = gpd.GeoDataFrame(geometry=[shapely.Point(660000, 3505000)], crs=32650)
    assert metric_crs_for(layer).to_epsg() == 32650
    with pytest.raises(DataError, match="not lon/lat"):
        metric_crs_for((660000, 3505000, 661000, 3506000))


def test_cgcs2000_gauss_kruger_zones():
    assert cgcs2000_gk_crs(118.4).to_epsg() == 4548  # CM 117°E covers 115.5–118.5
    assert cgcs2000_gk_crs(118.6).to_epsg() == 4549  # CM 120°E
    assert cgcs2000_gk_crs(75.2).to_epsg() == 4534
    assert cgcs2000_gk_crs(134.9).to_epsg() == 4554
    assert "CM 108E" in cgcs2000_gk_crs(108.9).name  # Xi'an
    # a point on the central meridian has false easting 500 000 m
    to_gk = Transformer.from_crs(4490, cgcs2000_gk_crs(117.2), always_xy=True)
    x, _ = to_gk.transform(117.0, 31.7)
    assert x == pytest.approx(500_000.0, abs=1e-6)
    assert CRS.from_epsg(4548).is_projected
    with pytest.raises(DataError, match="outside"):
        cgcs2000_gk_crs(24.9)


def test_coordinate_system_names():
    assert check_system(None) == "wgs84"
    assert check_system("GCJ-02") == "gcj02"
    assert check_system("BD09") == "bd09"
    assert check_system("EPSG:4490") == "cgcs2000"
    with pytest.raises(DataError, match="gcj02 for Amap"):
        check_system("mars")
