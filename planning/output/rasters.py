"""Travel-time surfaces as GeoTIFF files, one per category.

Each file holds the minutes a resident standing in each cell needs to the nearest facility of the
category (:mod:`planning.access.surface`), as float32, in the analysis CRS or one of the export
coordinate systems (:data:`planning.choices.OUTPUT_CRS`; cells are resampled to the nearest
cell). Cells outside the study area and cells from which no facility can be reached hold the
nodata value, as empty values do in the vector exports.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> from geo.synthetic import synthetic_dataset
>>> from planning.access.analysis import analyze
>>> result = analyze(synthetic_dataset(2_000), categories=["health"])
>>> [p.name for p in write_surfaces(result, Path(tempfile.mkdtemp()))]
['health.tif']
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import rasterio
from rasterio.crs import CRS as RasterCRS
from rasterio.errors import NotGeoreferencedWarning
from rasterio.transform import Affine
from rasterio.warp import Resampling, calculate_default_transform, reproject

from geo import coords
from planning.access.analysis import Analysis
from planning.output.export import output_crs

#: Value of cells outside the study area or without a reachable facility.
NODATA = -9999.0



def warp_nearest(source: np.ndarray, destination: np.ndarray, src_transform: Affine, src_crs: RasterCRS,
                 dst_transform: Affine, dst_crs: RasterCRS, *, nodata: float) -> None:
    """Resample ``source`` into ``destination`` (nearest cell), both arrays with explicit georeference.

    GDAL's in-memory datasets that rasterio builds around the two arrays are georeferenced only
    after they are created, and rasterio warns "no geotransform" in between, at random; both
    transforms are given here, so that warning says nothing and is not passed on.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        reproject(source, destination, src_transform=src_transform, src_crs=src_crs, dst_transform=dst_transform,
                  dst_crs=dst_crs, src_nodata=nodata, dst_nodata=nodata, resampling=Resampling.nearest)


def write_surfaces(analysis: Analysis, folder: str | os.PathLike[str], *, crs: str | None = None,
                   categories: Sequence[str] | None = None) -> list[Path]:
    """Write ``<folder>/<category>.tif`` for each category (all analysed ones by default).

    Parameters
    ----------
    analysis : planning.access.analysis.Analysis
    folder : path
        Created when missing.
    crs : {"wgs84", "cgcs2000", "cgcs2000-gk", "gcj02"}, optional
        Output coordinate system; the analysis CRS (metres) when omitted. GCJ-02 files are
        WGS84 grids moved by the GCJ-02 offset at their centre (it varies by under a metre
        across a city), labelled EPSG:4326 as the vector exports are.

    Returns
    -------
    list of pathlib.Path
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for category in categories if categories is not None else analysis.categories:
        minutes, grid = analysis.surface(category)
        data = np.where(np.isfinite(minutes), minutes, NODATA).astype(np.float32)
        src_crs = RasterCRS.from_user_input(grid.crs)
        if crs is None:
            dst_crs, transform, array = src_crs, grid.transform, data
        else:
            info = output_crs(crs, {"communities": analysis.dataset.communities})
            dst_crs = RasterCRS.from_user_input(info.crs)
            west, south, east, north = grid.bounds
            transform, width, height = calculate_default_transform(
                src_crs, dst_crs, grid.width, grid.height, left=west, bottom=south, right=east, top=north)
            array = np.full((height, width), NODATA, dtype=np.float32)
            warp_nearest(data, array, grid.transform, src_crs, transform, dst_crs, nodata=NODATA)
            if info.key == "gcj02":
                transform = _gcj02_shifted(transform, width, height)
        path = out / f"{category}.tif"
        with rasterio.open(path, "w", driver="GTiff", width=array.shape[1], height=array.shape[0], count=1,
                           dtype="float32", crs=dst_crs, transform=transform, nodata=NODATA,
                           compress="deflate", tiled=True) as dst:
            dst.write(array, 1)
            dst.update_tags(category=category, unit="minutes", cell_m=f"{grid.cell_m:g}")
            dst.set_band_description(1, f"minutes to the nearest {category}")
        written.append(path)
    return written


def _gcj02_shifted(transform: Affine, width: int, height: int) -> Affine:
    """The transform of a WGS84 grid moved by the GCJ-02 offset at its centre."""
    lon, lat = transform * (width / 2.0, height / 2.0)
    glon, glat = coords.wgs84_to_gcj02(np.array([lon]), np.array([lat]))
    return Affine.translation(float(glon[0]) - lon, float(glat[0]) - lat) * transform
