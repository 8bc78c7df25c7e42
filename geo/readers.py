"""Read one vector layer from the files planners have: GeoPackage, GeoJSON, Shapefile (plain or
zipped, GBK without a .cpg), CSV or Excel with lon/lat columns.

Every reader returns the layer in WGS84 lon/lat (EPSG:4326) after undoing GCJ-02/BD-09 offsets
(``coords``) so that the loader can project all layers the same way. What was found along the
way (encoding guessed, rows without coordinates dropped, CRS assumed) is added to ``report``.

Examples
--------
>>> from geo.readers import read_vector
>>> layer = read_vector("facilities.csv", coords="gcj02")  # doctest: +SKIP
"""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from geo._dbf import check_encoding
from geo._errors import DataError
from geo._files import (
    ARCHIVE_SUFFIXES,
    VECTOR_SUFFIXES,
    descend_single_folder,
    extract_zip,
    extracted,
    require_regular_file,
)
from geo._validate import SheetRows, parse_numbers, row_refs_of
from geo.coords import check_system, to_wgs84
from geo.dataset import ValidationReport
from geo.schema import LONLAT_COLUMNS, WKT_COLUMNS, normalise_name
from geo.settings import LIMITS

__all__ = ["ARCHIVE_SUFFIXES", "LONLAT_COLUMNS", "MAX_ARCHIVE_BYTES", "MAX_ARCHIVE_MEMBERS",
           "VECTOR_SUFFIXES", "WKT_COLUMNS", "bounds_wgs84", "descend_single_folder",
           "extract_zip", "extracted", "list_layers", "read_vector", "table_to_layer"]

#: Limits for archives (see :mod:`geo.settings`): total bytes extracted, number of members.
MAX_ARCHIVE_BYTES = LIMITS.max_unpacked_bytes
MAX_ARCHIVE_MEMBERS = LIMITS.max_archive_files
_SHP_COMPANIONS_REQUIRED = (".shx", ".dbf")
_OGR_ERRORS = (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError,
               pyogrio.errors.FieldError, pyogrio.errors.GeometryError,
               pyogrio.errors.CRSError, UnicodeDecodeError)
_TABLE_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm")
_PART = ("is part of a Shapefile: give its .shp (or a zip of all its files)",
         "是 Shapefile 的一部分：请提供其 .shp 文件（或包含全部文件的 zip）")
_NOT_LAYERS = {".toml": ("describes a data set (dataset.toml); it is not a layer",
                         "是数据集说明（dataset.toml），不是图层"),
               ".md": ("is a text file, not a layer", "是文本文件，不是图层"),
               ".prj": _PART, ".dbf": _PART, ".shx": _PART, ".cpg": _PART}


# ----------------------------------------------------------------------------------- internals
def _companion(shp: Path, suffix: str) -> Path | None:
    for candidate in (shp.with_suffix(suffix), shp.with_suffix(suffix.upper())):
        if candidate.exists():
            return candidate
    return None


def _shapefile_encoding(path: Path, *, report: ValidationReport | None,
                        name: str) -> str | None:
    """Encoding to read a Shapefile's attributes with (``None``: as its .cpg says)."""
    finding = check_encoding(path, _companion(path, ".dbf"), _companion(path, ".cpg"))
    if finding.key is not None and report is not None:
        cpg, dbf = _companion(path, ".cpg"), _companion(path, ".dbf")
        severity = "info" if finding.key == "encoding.gbk_guessed" else "warning"
        report.add(severity, name, key=finding.key, file=path.name,
                   values={"cpg": cpg.name if cpg else "", "dbf": dbf.name if dbf else "",
                           "declared": finding.declared or "", "actual": finding.actual or ""})
    return finding.encoding


def _label(path: Path, layer: str | None) -> str:
    return f"{path.name}" + (f" (layer {layer})" if layer else "")


def _read_ogr(path: Path, *, layer: str | None, encoding: str | None, shown: str,
              report: ValidationReport | None = None,
              layer_name: str = "") -> gpd.GeoDataFrame:
    try:
        # GDAL's warnings (a geometry it could not read, a field it truncated) become one note;
        # NaN or infinite coordinates are refused by name afterwards (_check_finite), so numpy's
        # floating-point warning while decoding them says nothing a planner can act on.
        with warnings.catch_warnings(record=True) as caught, \
                np.errstate(invalid="ignore", over="ignore"):
            warnings.simplefilter("always")
            gdf = pyogrio.read_dataframe(path, layer=layer, encoding=encoding)
    except UnicodeDecodeError as exc:
        raise DataError(f"the text of the layer is not in the encoding it claims ({exc.encoding})",
                        file=shown, fix="Save the layer again as GeoPackage, or as a Shapefile "
                        "whose .cpg file names its encoding (GBK or UTF-8)") from None
    except UnboundLocalError:  # pyogrio fails so on a projection it cannot export as WKT
        raise DataError(key="file.unreadable", file=shown,
                        values={"detail": "its projection (.prj or CRS) cannot be read"}) from None
    except shapely.errors.GEOSException as exc:
        raise DataError(f"a geometry in the file is malformed ({str(exc).split(': ')[-1]})",
                        file=shown, fix="Repair or delete it in a GIS (e.g. a line needs two "
                        "points, a polygon ring four), then save the layer again") from None
    except (*_OGR_ERRORS, ValueError) as exc:  # ValueError: pyogrio decoding a broken JSON field
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise DataError(key="file.unreadable", file=shown, values={"detail": first_line}) from None
    notes = list(dict.fromkeys(" ".join(str(w.message).split()) for w in caught
                               if issubclass(w.category, RuntimeWarning)))
    if notes and report is not None:
        report.add("warning", layer_name, key="gdal.warning", file=shown,
                   values={"n": len(notes), "detail": notes[0][:200]})
    return gdf


def _find_lonlat(columns: list[object]) -> tuple[object, object] | None:
    lower: dict[str, object] = {}
    for column in columns:
        lower.setdefault(normalise_name(column), column)
    for lon, lat in LONLAT_COLUMNS:
        if lon in lower and lat in lower:
            return lower[lon], lower[lat]
    return None


def table_to_layer(frame: pd.DataFrame, *, file: str,
                   report: ValidationReport | None = None,
                   layer_name: str = "") -> gpd.GeoDataFrame:
    """A table with lon/lat (or WKT) columns as a point (or any) layer, CRS not yet set.

    ``frame`` must have the default 0-based index (or one named by a
    :class:`~geo._validate.SheetRows`): messages name file lines (index + 2).
    """
    _check_headers(frame, file=file)
    pair = _find_lonlat(list(frame.columns))
    if pair is None:
        lower = {normalise_name(c): c for c in frame.columns}
        wkt = next((lower[c] for c in WKT_COLUMNS if c in lower), None)
        if wkt is None:
            raise DataError(key="table.no_coordinates", file=file,
                            values={"present": [str(c) for c in frame.columns[:12]] or ["none"],
                                    "names": ["/".join(p) for p in LONLAT_COLUMNS]})
        text = frame[wkt].astype("string")
        try:
            geoms = shapely.from_wkt(text.fillna("").to_numpy(dtype=object), on_invalid="raise")
        except shapely.errors.GEOSException as exc:
            raise DataError(f"a WKT geometry cannot be read ({exc})", file=file, column=str(wkt),
                            fix="Write geometries as WKT, e.g. POINT (118.5 31.7)") from None
        return gpd.GeoDataFrame(frame.drop(columns=[wkt]), geometry=geoms, index=frame.index)
    lon_col, lat_col = pair
    lon = parse_numbers(frame[lon_col], column=str(lon_col), layer=None, file=file,
                        thousands=False, fix="Use decimal degrees, e.g. 118.5067")
    lat = parse_numbers(frame[lat_col], column=str(lat_col), layer=None, file=file,
                        thousands=False, fix="Use decimal degrees, e.g. 31.6705")
    missing = lon.isna() | lat.isna()
    if missing.any():
        if report is not None:
            n = int(missing.sum())
            report.add("warning", layer_name, key="rows.no_coordinates", file=file,
                       column=str(lon_col), count=n,
                       values={"n": n, "rows": row_refs_of(frame.index[missing.to_numpy()],
                                                           file=file)})
        frame, lon, lat = frame.loc[~missing], lon[~missing], lat[~missing]
    geoms = shapely.points(lon.to_numpy(), lat.to_numpy())
    return gpd.GeoDataFrame(frame.drop(columns=[lon_col, lat_col]), geometry=geoms,
                            index=frame.index)


def _read_csv(path: Path) -> pd.DataFrame:
    # Excel on Chinese Windows saves CSV as GBK; try UTF-8 (with or without BOM) first.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return pd.read_csv(path, encoding=encoding, dtype=str, keep_default_na=False,
                               na_values=[""])
        except UnicodeDecodeError:
            continue
        except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
            detail = " ".join(str(exc).split())[:200]
            raise DataError(key="csv.unreadable", file=path.name,
                            values={"detail": detail}) from None
    raise DataError(key="csv.encoding", file=path.name)


def _header(frame: pd.DataFrame) -> tuple[str, ...]:
    return tuple(sorted(normalise_name(c) for c in frame.columns))


def _read_excel(path: Path, layer: str | None, *, report: ValidationReport | None,
                name: str) -> pd.DataFrame:
    """The layer's rows: the sheet named ``layer``, else every sheet with the first one's columns.

    A layer split over several sheets (one per street, or 1,048,576 rows each) is read whole;
    sheets without coordinate columns (notes, legends) are skipped with a note; a sheet with
    coordinates but other columns is refused, naming the sheets.
    """
    try:
        book = pd.ExcelFile(path, engine="openpyxl")
    except Exception as exc:  # openpyxl raises many kinds (zip, xml, key errors)
        raise DataError(key="excel.unreadable", file=path.name,
                        values={"detail": type(exc).__name__}) from None
    try:
        with book:
            names = [str(n) for n in book.sheet_names]
            wanted = [layer] if layer in names else names
            sheets = {n: book.parse(n, dtype=str, keep_default_na=False, na_values=[""])
                      for n in wanted}
    except DataError:
        raise
    except Exception as exc:  # a damaged sheet: openpyxl and pandas raise many kinds
        raise DataError(f"a sheet cannot be read ({type(exc).__name__})", file=path.name,
                        fix="Save the workbook again as .xlsx") from None
    if not sheets:
        raise DataError("the workbook has no sheets", file=path.name,
                        fix="Save the layer's table in the first sheet")
    filled = {n: f.dropna(how="all") for n, f in sheets.items()}
    filled = {n: f for n, f in filled.items() if len(f.columns) and len(f)}
    if len(filled) <= 1:
        return next(iter(filled.values()), next(iter(sheets.values()))).reset_index(drop=True)
    layers = {n: f for n, f in filled.items() if _find_lonlat(list(f.columns)) is not None}
    skipped = [n for n in filled if n not in layers]
    if not layers:  # no coordinates anywhere: let the caller say so about the first sheet
        return next(iter(filled.values())).reset_index(drop=True)
    first = next(iter(layers))
    differ = [n for n, f in layers.items() if _header(f) != _header(layers[first])]
    if differ:
        raise DataError(key="sheets.differ", file=path.name,
                        values={"sheets": list(layers), "differ": differ, "first": first})
    if skipped and report is not None:
        report.add("info", name, key="sheets.skipped", file=path.name,
                   values={"sheets": skipped})
    if len(layers) > 1 and report is not None:
        report.add("info", name, key="sheets.combined", file=path.name,
                   values={"n": len(layers), "sheets": list(layers)})
    rows = SheetRows(tuple((n, len(f)) for n, f in layers.items()),
                     tuple(tuple(int(i) for i in f.index) for f in layers.values()))
    aligned = [f.rename(columns={c: _canonical(c, layers[first]) for c in f.columns})
               for f in layers.values()]
    combined = pd.concat(aligned, ignore_index=True)
    combined.index = pd.RangeIndex(len(combined), name=rows) if len(layers) > 1 \
        else combined.index
    return combined


def _canonical(column: object, first: pd.DataFrame) -> object:
    """The first sheet's spelling of a header (sheets may differ in case or spaces)."""
    wanted = normalise_name(column)
    return next((c for c in first.columns if normalise_name(c) == wanted), column)


# ---------------------------------------------------------------------------------- main entry
def list_layers(path: str | Path) -> list[str]:
    """Layer names inside a GeoPackage (or other multi-layer file)."""
    path = Path(path)
    require_regular_file(path)
    try:
        return [str(name) for name in pyogrio.list_layers(path)[:, 0]]
    except (pyogrio.errors.DataSourceError, UnicodeDecodeError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise DataError(f"cannot be opened ({first})", file=path.name,
                        fix="Check the file is a complete GeoPackage") from None


def _check_finite(gdf: gpd.GeoDataFrame, *, file: str, key: str = "geometry.not_finite",
                  **values: str) -> None:
    """Refuse features with NaN or infinite coordinates, naming them (GEOS would fail later)."""
    geoms = gdf.geometry.to_numpy()
    coords, owner = shapely.get_coordinates(geoms, return_index=True)
    bad = ~np.isfinite(coords).all(axis=1)
    if key != "geometry.not_finite":  # after conversion to lon/lat: also out of range
        bad |= (np.abs(coords[:, 0]) > 180) | (np.abs(coords[:, 1]) > 90)
    if bad.any():
        rows = np.unique(owner[bad])
        raise DataError(key=key, file=file, values={"n": len(rows), **values,
                                                    "rows": row_refs_of(gdf.index[rows], file=file)})


def _check_headers(frame: pd.DataFrame, *, file: str) -> None:
    """Refuse a table whose headers repeat (after case, spaces and units are ignored)."""
    names = pd.Series([normalise_name(c) for c in frame.columns])
    repeated = sorted(set(names[names.duplicated()]))
    if repeated:
        shown = [str(c) for c, n in zip(frame.columns, names, strict=True) if n in repeated]
        raise DataError("the header names the same column more than once ("
                        + ", ".join(map(repr, shown[:6])) + ")", file=file,
                        fix="Give every column its own header")


def _outside(gdf: gpd.GeoDataFrame, bounds: tuple[float, ...]) -> tuple[int, float, float]:
    """The first feature (position) with a vertex that is not lon/lat degrees, and the corner of
    the bounds that is out of range on each axis (not the good corner)."""
    minx, miny, maxx, maxy = bounds
    coords, owner = shapely.get_coordinates(gdf.geometry.to_numpy(), return_index=True)
    outside = (np.abs(coords[:, 0]) > 180) | (np.abs(coords[:, 1]) > 90)
    first = int(owner[int(np.flatnonzero(outside)[0])]) if outside.any() else 0
    x = minx if not -180 <= minx <= 180 else maxx
    y = miny if not -90 <= miny <= 90 else maxy
    return first, float(x), float(y)


def _assign_crs(gdf: gpd.GeoDataFrame, *, file: str, report: ValidationReport | None,
                layer_name: str) -> gpd.GeoDataFrame:
    geoms = gdf.geometry.to_numpy()
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    crs = CRS.from_user_input(gdf.crs) if gdf.crs is not None else None
    if not present.any():
        return gdf if crs is not None else gdf.set_crs(4326)
    minx, miny, maxx, maxy = shapely.total_bounds(geoms[present])
    lonlat_numbers = -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90
    if crs is not None and (not crs.is_geographic or lonlat_numbers):
        return gdf
    if crs is None and lonlat_numbers:
        if report is not None and not file.lower().endswith(_TABLE_SUFFIXES):
            report.add("info", layer_name, key="crs.assumed_lonlat", file=file)
        return gdf.set_crs(4326)
    row, x, y = _outside(gdf, (minx, miny, maxx, maxy))
    values = {"x": x, "y": y, "rows": row_refs_of(gdf.index[[row]], file=file)}
    if crs is not None:
        # GeoJSON is lon/lat by definition, so GDAL reads projected metres in a GeoJSON
        # file without a "crs" member as degrees; projecting them would give nonsense.
        raise DataError(key="geometry.not_lonlat", file=file, values=values)
    raise DataError(key="geometry.no_crs_not_lonlat", file=file, values=values)


def read_vector(path: str | Path, *, layer: str | None = None, coords: str | None = None,
                report: ValidationReport | None = None,
                layer_name: str | None = None) -> gpd.GeoDataFrame:
    """Read one layer as a GeoDataFrame in WGS84 lon/lat (EPSG:4326).

    Parameters
    ----------
    path : str or Path
        ``.gpkg``, ``.geojson``/``.json``, ``.shp`` (GBK without ``.cpg`` detected, a wrong
        ``.cpg`` checked against the text), ``.zip`` (a zipped Shapefile or another single
        layer), ``.csv``/``.xlsx`` with lon/lat columns (:data:`geo.schema.LONLAT_COLUMNS`:
        ``lon/lat``, ``lng/lat``, ``经度/纬度``, ``x/y`` …) or a WKT ``geometry`` column; a
        workbook's sheets with the same header are read as one layer.
    layer : str, optional
        Layer of a GeoPackage (or sheet of a workbook, or file inside a zip); needed only when
        there is more than one.
    coords : {"wgs84", "cgcs2000", "gcj02", "bd09"}, optional
        What lon/lat numbers are (Amap exports: gcj02, Baidu: bd09). Ignored for projected
        layers, which are reprojected.
    report : ValidationReport, optional
        Receives notes about guesses made and rows left out.
    layer_name : str, optional
        Data-contract layer name used in messages (defaults to the file's stem).

    Returns
    -------
    geopandas.GeoDataFrame
        In EPSG:4326. ``attrs["source_crs"]`` names the CRS of the file as read and
        ``attrs["lonlat"]`` tells whether its numbers were lon/lat (so an offset check applies).
    """
    path = Path(path)
    system = check_system(coords)
    name = layer_name or layer or path.name.split(".")[0]
    if not path.exists():
        raise DataError(key="file.not_found", file=str(path))
    require_regular_file(path)
    suffix = path.suffix.lower()
    if suffix in _NOT_LAYERS:
        what, what_zh = _NOT_LAYERS[suffix]
        raise DataError(key="file.not_a_layer", file=path.name,
                        values={"what": what, "what_zh": what_zh,
                                "suffixes": list(VECTOR_SUFFIXES + (".zip",))})
    if suffix == ".zip":
        with extracted(path) as folder:
            inner = _single_layer_file(descend_single_folder(folder), layer=layer, archive=path)
            gdf = read_vector(inner, layer=layer if inner.suffix.lower() in (".gpkg", ".xlsx")
                              else None, coords=coords, report=report, layer_name=name)
            gdf.attrs["file"] = path.name
            return gdf
    shown = _label(path, layer)
    if suffix in (".csv", ".txt"):
        gdf = table_to_layer(_read_csv(path), file=path.name, report=report, layer_name=name)
    elif suffix in (".xlsx", ".xlsm"):
        gdf = table_to_layer(_read_excel(path, layer, report=report, name=name), file=path.name,
                             report=report, layer_name=name)
    elif suffix == ".xls":
        raise DataError(key="excel.xls", file=path.name)
    else:
        encoding = None
        if suffix == ".shp":
            for companion in _SHP_COMPANIONS_REQUIRED:
                if _companion(path, companion) is None:
                    what = ("attribute table", "属性表") if companion == ".dbf" else ("index", "索引")
                    raise DataError(key="shapefile.missing_part", file=path.name, values={
                        "part": companion, "what": what[0], "what_zh": what[1],
                        "expected": path.with_suffix(companion).name})
            encoding = _shapefile_encoding(path, report=report, name=name)
        elif suffix == ".gpkg" and layer is None:
            layers = list_layers(path)
            if len(layers) > 1:
                raise DataError(key="gpkg.several_layers", file=path.name,
                                values={"layers": layers})
        gdf = _read_ogr(path, layer=layer, encoding=encoding, shown=shown, report=report,
                        layer_name=name)
    _check_finite(gdf, file=path.name)
    gdf = _assign_crs(gdf, file=path.name, report=report, layer_name=name)
    source_crs = CRS.from_user_input(gdf.crs)
    lonlat = bool(source_crs.is_geographic)
    if not lonlat and system in ("gcj02", "bd09") and report is not None:
        report.add("info", name, key="coords.projected", file=path.name,
                   values={"crs": source_crs.name, "system": system})
    gdf = to_wgs84(gdf, system if lonlat else None)
    if not lonlat:  # metres far outside the projection's area have no lon/lat
        _check_finite(gdf, file=path.name, key="geometry.not_convertible",
                      crs=source_crs.name)
    gdf.attrs.update(source_crs=source_crs.to_string(), lonlat=lonlat, coords=system,
                     file=path.name)
    return gdf


def _single_layer_file(folder: Path, *, layer: str | None, archive: Path) -> Path:
    files = sorted(p for p in folder.rglob("*") if p.is_file()
                   and p.suffix.lower() in VECTOR_SUFFIXES and "__MACOSX" not in p.parts)
    if layer is not None:
        named = [p for p in files if p.name.split(".")[0] == layer]
        files = named or files
    shps = [p for p in files if p.suffix.lower() == ".shp"]
    if not files:
        dbfs = [p for p in folder.rglob("*") if p.suffix.lower() in (".dbf", ".shx", ".prj")]
        if dbfs:
            raise DataError(key="archive.shapefile_parts", file=archive.name)
        raise DataError(key="archive.no_layer", file=archive.name)
    chosen = shps if shps else files
    if len(chosen) > 1:
        raise DataError(key="archive.several_layers", file=archive.name,
                        values={"files": [p.name for p in chosen[:6]]})
    return chosen[0]


def bounds_wgs84(gdf: gpd.GeoDataFrame) -> tuple[float, float, float, float]:
    """Bounds of a layer in lon/lat, ``nan`` when it has no geometry."""
    if len(gdf) == 0:
        return (np.nan,) * 4  # type: ignore[return-value]
    frame = gdf if gdf.crs is None or CRS.from_user_input(gdf.crs).is_geographic \
        else gdf.to_crs(4326)
    return tuple(float(v) for v in frame.total_bounds)  # type: ignore[return-value]
