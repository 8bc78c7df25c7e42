"""Travel-time surfaces as GeoTIFF, and the rings and responsibility areas in the written files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyogrio
import pytest
import rasterio
import rasterio.warp
from pyproj import CRS

from geo.dataset_loader import load_dataset
from planning.__main__ import main
from planning.access.analysis import analyze
from planning.output.rasters import NODATA, write_surfaces
from planning.settings import Settings
from tests.planning._engine_fixtures import X0, Y0, dataset, network


def _street() -> object:
    nodes = [(5 + 100 * k, 5) for k in range(12)]
    return dataset(network(nodes, [(k, k + 1) for k in range(11)]),
                   communities=[{"community_id": "U", "name": "东风社区", "kind": "urban",
                                 "box": (-100, -100, 1200, 110)}],
                   facilities=[{"facility_id": "h", "category": "health", "xy": (5, 5)}],
                   population=[{"population": 10.0, "xy": (305, 5)}])


def test_geotiff_holds_the_minutes_of_every_cell(tmp_path: Path) -> None:
    result = analyze(_street(), Settings(surface_cell_m=10.0))
    [path] = write_surfaces(result, tmp_path / "surfaces")
    minutes, grid = result.surface("health")
    with rasterio.open(path) as tif:
        assert CRS.from_user_input(tif.crs.to_wkt()).to_epsg() == 32650
        assert (tif.width, tif.height, tif.res) == (grid.width, grid.height, (10.0, 10.0))
        assert tif.nodata == NODATA and tif.tags()["unit"] == "minutes"
        data = tif.read(1)
        # The resident at x = 305 on the street: 4 minutes, read back at their place.
        row, col = tif.index(X0 + 305, Y0 + 5)
        assert data[row, col] == pytest.approx(4.0)
    np.testing.assert_array_equal(data == NODATA, ~np.isfinite(minutes))
    np.testing.assert_allclose(data[np.isfinite(minutes)], minutes[np.isfinite(minutes)])


def test_geotiff_in_longitude_latitude(tmp_path: Path) -> None:
    result = analyze(_street(), Settings(surface_cell_m=10.0))
    [wgs] = write_surfaces(result, tmp_path / "wgs", crs="wgs84")
    [gcj] = write_surfaces(result, tmp_path / "gcj", crs="gcj02")
    with rasterio.open(wgs) as a, rasterio.open(gcj) as b:
        assert a.crs.to_epsg() == 4326 and b.crs.to_epsg() == 4326
        # Near Ma'anshan GCJ-02 lies some hundreds of metres from WGS84, the grid unchanged.
        assert 0.001 < abs(b.bounds.left - a.bounds.left) < 0.01 and a.shape == b.shape
        lon, lat = rasterio.warp.transform(32650, 4326, [X0 + 305], [Y0 + 5])
        assert a.read(1)[a.index(lon[0], lat[0])] == pytest.approx(4.0)


def test_analyze_and_export_write_rings_areas_and_surfaces(toy_dataset_dir: Path, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "result"
    assert main(["analyze", "--data", str(toy_dataset_dir), "--out", str(out), "--surfaces",
                 "--rings", "5,10", "10,20,30"]) == 0
    layers = dict(pyogrio.list_layers(out / "analysis.gpkg"))
    assert {"rings", "responsibility_areas"} <= set(layers)
    rings = pyogrio.read_dataframe(out / "analysis.gpkg", layer="rings")
    categories = pyogrio.read_dataframe(out / "analysis.gpkg", layer="circles")["category"].tolist()
    # The toy data have both kinds: as many bands as the longer list, each kind its own times.
    assert len(rings) == 3 * len(categories)
    np.testing.assert_array_equal(rings["urban_minutes"].to_numpy()[:3], [5.0, 10.0, np.nan])
    assert rings["rural_minutes"].tolist()[:3] == [10.0, 20.0, 30.0]
    areas = pyogrio.read_dataframe(out / "analysis.gpkg", layer="responsibility_areas")
    facilities = load_dataset(toy_dataset_dir).facilities
    assert sorted(areas["facility_id"]) == sorted(facilities["facility_id"].astype(str))
    # Every resident of the toy data reaches every category: the areas hold them all.
    assert areas.groupby("category")["population"].sum().tolist() == [2610.0] * len(categories)
    assert sorted(p.name for p in (out / "surfaces").iterdir()) == sorted(f"{c}.tif" for c in categories)
    capsys.readouterr()

    gpkg = tmp_path / "plan.gpkg"
    assert main(["export", "--data", str(toy_dataset_dir), "--format", "gpkg", "--out", str(gpkg),
                 "--crs", "cgcs2000-gk", "--surfaces"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == f"wrote {gpkg}"
    tifs = sorted((tmp_path / "plan_surfaces").iterdir())
    assert [f"wrote {p}" for p in tifs] == sorted(printed[1:])
    with rasterio.open(tifs[0]) as tif:
        assert tif.crs.to_epsg() == 4549  # the Gauss-Krüger zone of the toy data (CM 120°E)
    names = {str(n) for n, _ in pyogrio.list_layers(gpkg)}
    assert {"circles", "rings", "responsibility_areas"} <= names
    assert pyogrio.read_info(gpkg, layer="rings")["features"] == 3 * len(categories)


@pytest.mark.parametrize("rings, message", [
    (["5,x"], "--rings '5,x' is not a list of ascending minutes"),
    (["10,5"], "--rings '10,5' is not a list of ascending minutes"),
    (["5", "10", "15"], "--rings takes one or two lists of minutes, got 3"),
])
def test_bad_rings_exit_2_with_one_line(toy_dataset_dir: Path, capsys: pytest.CaptureFixture[str],
                                        rings: list[str], message: str) -> None:
    assert main(["analyze", "--data", str(toy_dataset_dir), "--rings", *rings]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith(f"error: {message}") and err.count("\n") == 1
