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

import shutil
import stat
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath, PureWindowsPath

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from geo._errors import DataError
from geo._validate import row_names
from geo.coords import check_system, to_wgs84
from geo.dataset import ValidationReport

#: File endings read as vector layers (besides ``.zip``).
VECTOR_SUFFIXES: tuple[str, ...] = (".gpkg", ".geojson", ".json", ".shp", ".csv", ".xlsx",
                                    ".xlsm", ".kml", ".fgb")
#: lon/lat column pairs recognised in tables, first match wins (compared case-insensitively).
LONLAT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("lon", "lat"), ("lng", "lat"), ("longitude", "latitude"), ("经度", "纬度"),
    ("x", "y"), ("lon_wgs84", "lat_wgs84"), ("lng_wgs84", "lat_wgs84"),
)
WKT_COLUMNS: tuple[str, ...] = ("geometry", "wkt", "geom")

#: File endings extracted from archives: layers, their companion files, road files, metadata.
ARCHIVE_SUFFIXES: tuple[str, ...] = VECTOR_SUFFIXES + (
    ".zip", ".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".shp.xml", ".qmd", ".pbf",
    ".osm", ".osm.bz2", ".osm.gz", ".graphml", ".toml", ".md", ".txt", ".gpkg-wal", ".gpkg-shm")
#: Limits for archives: total bytes extracted, number of members, expansion ratio per member.
MAX_ARCHIVE_BYTES = 4 * 1024**3
MAX_ARCHIVE_MEMBERS = 20_000
MAX_EXPANSION_RATIO = 1_000
_SHP_COMPANIONS_REQUIRED = (".shx", ".dbf")
_OGR_ERRORS = (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError,
               pyogrio.errors.FieldError, pyogrio.errors.GeometryError,
               pyogrio.errors.CRSError)


# ---------------------------------------------------------------------------------------- zips
def _member_name(info: zipfile.ZipInfo) -> str:
    # Zips made on Chinese Windows store GBK names without the UTF-8 flag; zipfile then decodes
    # them as cp437. Undo that so 社区.shp keeps its name.
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gb18030")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def _safe_member_path(name: str, archive: Path) -> PurePosixPath | None:
    """Relative path of a member, ``None`` for directories; refuse anything escaping the folder."""
    unified = name.replace("\\", "/")
    if unified.endswith("/"):
        return None
    posix = PurePosixPath(unified)
    if (posix.is_absolute() or PureWindowsPath(name).drive or ".." in posix.parts
            or any(":" in part for part in posix.parts)):
        raise DataError(
            f"the archive holds a file with an unsafe path '{name}' (outside its folder); "
            "it was not opened",
            file=archive.name,
            fix="Make the zip again from the data folder itself",
        )
    return posix


def extract_zip(archive: str | Path, target: str | Path, *,
                max_bytes: int = MAX_ARCHIVE_BYTES) -> Path:
    """Extract a zip safely into ``target`` and return ``target``.

    Members with absolute paths, ``..`` parts, drive letters or symbolic links are refused
    (:class:`DataError`) before anything is written; only data files
    (:data:`ARCHIVE_SUFFIXES`) are extracted; extraction stops when more than ``max_bytes``
    come out, whatever the archive's headers claim.
    """
    archive = Path(archive)
    target = Path(target)
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise DataError(f"not a readable zip archive ({exc})", file=archive.name,
                        fix="Check that the upload finished and the file is a .zip") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_ARCHIVE_MEMBERS:
            raise DataError(f"the archive holds {len(infos):,} files, more than "
                            f"{MAX_ARCHIVE_MEMBERS:,}", file=archive.name,
                            fix="Zip only the data set folder")
        plan: list[tuple[zipfile.ZipInfo, PurePosixPath]] = []
        for info in infos:
            if stat.S_ISLNK(info.external_attr >> 16):
                raise DataError(f"the archive holds a symbolic link '{info.filename}'; "
                                "it was not opened", file=archive.name,
                                fix="Zip the files themselves, not links to them")
            rel = _safe_member_path(_member_name(info), archive)
            # Only data files come out (whitelist); anything else in an upload is ignored.
            if rel is not None and rel.name.lower().endswith(ARCHIVE_SUFFIXES):
                plan.append((info, rel))
        written = 0
        for info, rel in plan:
            if info.compress_size and info.file_size / info.compress_size > MAX_EXPANSION_RATIO \
                    and info.file_size > 10 * 1024**2:
                raise DataError(f"'{rel}' expands {info.file_size / info.compress_size:.0f}-fold; "
                                "refused as a possible zip bomb", file=archive.name)
            out = target.joinpath(*rel.parts)
            out.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, open(out, "wb") as dst:
                while chunk := src.read(1 << 20):
                    written += len(chunk)
                    if written > max_bytes:
                        raise DataError(f"the archive expands to more than "
                                        f"{max_bytes / 1024**3:.1f} GB", file=archive.name,
                                        fix="Split the data set or load the folder directly")
                    dst.write(chunk)
    return target


@contextmanager
def extracted(archive: str | Path) -> Iterator[Path]:
    """Context manager: a zip extracted safely into a temporary folder, removed afterwards."""
    tmp = Path(tempfile.mkdtemp(prefix="Service-circles-"))
    try:
        yield extract_zip(archive, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def descend_single_folder(folder: Path) -> Path:
    """A zipped folder extracts as one sub-folder; use it (skipping ``__MACOSX`` clutter)."""
    entries = [p for p in folder.iterdir() if p.name not in ("__MACOSX",)
               and not p.name.startswith(".")]
    if len(entries) == 1 and entries[0].is_dir():
        return descend_single_folder(entries[0])
    return folder


# ----------------------------------------------------------------------------------- internals
def _dbf_encoding(shp: Path) -> str | None:
    """Encoding to read a Shapefile's attributes with, or ``None`` to let GDAL decide.

    Without a .cpg file GDAL assumes ISO-8859-1 and turns Chinese text into mojibake without
    complaint, so the attribute bytes are tried as UTF-8 and, failing that, as GB18030 (a
    superset of GBK, the encoding of Chinese desktop GIS exports).
    """
    if shp.with_suffix(".cpg").exists() or shp.with_suffix(".CPG").exists():
        return None
    dbf = _companion(shp, ".dbf")
    if dbf is None:
        return None
    data = dbf.read_bytes()
    if len(data) < 32:
        return None
    header_len = int.from_bytes(data[8:10], "little")
    records = data[header_len:]
    if records.isascii():
        return None
    try:
        records.decode("utf-8")
        return "UTF-8"
    except UnicodeDecodeError:
        return "GB18030"


def _companion(shp: Path, suffix: str) -> Path | None:
    for candidate in (shp.with_suffix(suffix), shp.with_suffix(suffix.upper())):
        if candidate.exists():
            return candidate
    return None


def _label(path: Path, layer: str | None) -> str:
    return f"{path.name}" + (f" (layer {layer})" if layer else "")


def _read_ogr(path: Path, *, layer: str | None, encoding: str | None,
              shown: str) -> gpd.GeoDataFrame:
    try:
        return pyogrio.read_dataframe(path, layer=layer, encoding=encoding)
    except _OGR_ERRORS as exc:
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise DataError(f"cannot be read as a GIS layer ({first_line})", file=shown,
                        fix="Check the file is complete and valid (open it in QGIS), "
                        "or save it again as GeoPackage or GeoJSON") from None


def _numeric(series: pd.Series, *, column: str, file: str) -> pd.Series:
    text = series.astype("string").str.strip()
    values = pd.to_numeric(text.str.replace(",", "", regex=False), errors="coerce")
    bad = values.isna() & text.notna() & (text != "")
    if bad.any():
        lines = row_names(series.index[bad.to_numpy()], file=file)
        raise DataError(f"{int(bad.sum())} value(s) are not numbers ({lines}: "
                        f"{', '.join(repr(v) for v in series[bad].head(3))})",
                        file=file, column=column, fix="Use decimal degrees, e.g. 118.5067")
    return values.astype("float64")


def _find_lonlat(columns: list[str]) -> tuple[str, str] | None:
    lower = {str(c).strip().lower(): c for c in columns}
    for lon, lat in LONLAT_COLUMNS:
        if lon in lower and lat in lower:
            return lower[lon], lower[lat]
    return None


def table_to_layer(frame: pd.DataFrame, *, file: str,
                   report: ValidationReport | None = None,
                   layer_name: str = "") -> gpd.GeoDataFrame:
    """A table with lon/lat (or WKT) columns as a point (or any) layer, CRS not yet set.

    ``frame`` must have the default 0-based index: messages name file lines (index + 2).
    """
    pair = _find_lonlat(list(frame.columns))
    if pair is None:
        lower = {str(c).strip().lower(): c for c in frame.columns}
        wkt = next((lower[c] for c in WKT_COLUMNS if c in lower), None)
        if wkt is None:
            names = ", ".join("/".join(p) for p in LONLAT_COLUMNS)
            raise DataError("no coordinate columns found (columns: "
                            + ", ".join(map(str, frame.columns[:12])) + ")",
                            file=file, fix=f"Add longitude/latitude columns named {names}, "
                            "or a WKT 'geometry' column")
        text = frame[wkt].astype("string")
        try:
            geoms = shapely.from_wkt(text.fillna("").to_numpy(dtype=object), on_invalid="raise")
        except shapely.errors.GEOSException as exc:
            raise DataError(f"a WKT geometry cannot be read ({exc})", file=file, column=str(wkt),
                            fix="Write geometries as WKT, e.g. POINT (118.5 31.7)") from None
        return gpd.GeoDataFrame(frame.drop(columns=[wkt]), geometry=geoms)
    lon_col, lat_col = pair
    lon = _numeric(frame[lon_col], column=str(lon_col), file=file)
    lat = _numeric(frame[lat_col], column=str(lat_col), file=file)
    missing = lon.isna() | lat.isna()
    if missing.any():
        if report is not None:
            lines = row_names(frame.index[missing.to_numpy()], file=file)
            report.add("warning", layer_name, f"{int(missing.sum())} row(s) without coordinates "
                       f"were left out ({lines})", file=file, column=str(lon_col),
                       count=int(missing.sum()))
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
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise DataError(f"cannot be read as a CSV table ({exc})", file=path.name,
                            fix="Save it again as CSV (comma-separated, UTF-8)") from None
    raise DataError("the text is neither UTF-8 nor GBK", file=path.name,
                    fix="Save it again as CSV UTF-8")


def _read_excel(path: Path, layer: str | None) -> pd.DataFrame:
    try:
        sheets = pd.ExcelFile(path, engine="openpyxl")
    except Exception as exc:  # openpyxl raises many kinds (zip, xml, key errors)
        raise DataError(f"cannot be read as an Excel workbook ({type(exc).__name__})",
                        file=path.name, fix="Save it again as .xlsx") from None
    with sheets:
        sheet = layer if layer in sheets.sheet_names else sheets.sheet_names[0]
        return sheets.parse(sheet, dtype=str, keep_default_na=False, na_values=[""])


# ---------------------------------------------------------------------------------- main entry
def list_layers(path: str | Path) -> list[str]:
    """Layer names inside a GeoPackage (or other multi-layer file)."""
    path = Path(path)
    try:
        return [str(name) for name in pyogrio.list_layers(path)[:, 0]]
    except pyogrio.errors.DataSourceError as exc:
        raise DataError(f"cannot be opened ({str(exc).strip().splitlines()[0]})", file=path.name,
                        fix="Check the file is a complete GeoPackage") from None


def _assign_crs(gdf: gpd.GeoDataFrame, *, file: str, report: ValidationReport | None,
                layer_name: str) -> gpd.GeoDataFrame:
    geoms = gdf.geometry.to_numpy()
    present = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    if gdf.crs is not None:
        if len(present) and CRS.from_user_input(gdf.crs).is_geographic:
            # GeoJSON is lon/lat by definition, so GDAL reads projected metres in a GeoJSON
            # file without a "crs" member as degrees; projecting them would give nonsense.
            minx, miny, maxx, maxy = shapely.total_bounds(present)
            if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
                raise DataError(
                    f"the layer says lon/lat degrees but its coordinates ({minx:.0f}, "
                    f"{miny:.0f}) are not", file=file,
                    fix="Save the layer again with its projection (GeoPackage, or a Shapefile "
                    "with its .prj), or export it in WGS84 lon/lat")
        return gdf
    if len(present) == 0:
        return gdf.set_crs(4326)
    minx, miny, maxx, maxy = shapely.total_bounds(present)
    if -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90:
        if report is not None and not file.lower().endswith((".csv", ".txt", ".xlsx", ".xlsm")):
            report.add("info", layer_name, "no projection given; the coordinates look like "
                       "lon/lat degrees and were read as such", file=file)
        return gdf.set_crs(4326)
    raise DataError(
        f"the layer has no projection and its coordinates ({minx:.0f}, {miny:.0f}) are not "
        "lon/lat degrees",
        file=file,
        fix="Add the .prj file (or save as GeoPackage, which keeps the projection), "
        "or give lon/lat columns",
    )


def read_vector(path: str | Path, *, layer: str | None = None, coords: str | None = None,
                report: ValidationReport | None = None,
                layer_name: str | None = None) -> gpd.GeoDataFrame:
    """Read one layer as a GeoDataFrame in WGS84 lon/lat (EPSG:4326).

    Parameters
    ----------
    path : str or Path
        ``.gpkg``, ``.geojson``/``.json``, ``.shp`` (GBK without ``.cpg`` detected), ``.zip``
        (a zipped Shapefile or another single layer), ``.csv``/``.xlsx`` with lon/lat columns
        (``lon/lat``, ``lng/lat``, ``longitude/latitude``, ``经度/纬度``, ``x/y``) or a WKT
        ``geometry`` column.
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
        raise DataError("file not found", file=str(path), fix="Check the path")
    suffix = path.suffix.lower()
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
        gdf = table_to_layer(_read_excel(path, layer), file=path.name, report=report,
                             layer_name=name)
    elif suffix == ".xls":
        raise DataError("old Excel .xls files are not read", file=path.name,
                        fix="Save the sheet as .xlsx or CSV")
    else:
        encoding = None
        if suffix == ".shp":
            for companion in _SHP_COMPANIONS_REQUIRED:
                if _companion(path, companion) is None:
                    what = "attribute table" if companion == ".dbf" else "index"
                    raise DataError(
                        f"the Shapefile has no {companion} file ({what})",
                        file=path.name,
                        fix=f"Put {path.with_suffix(companion).name} next to it (a Shapefile "
                        "is several files: .shp, .shx, .dbf and .prj), or send a GeoPackage",
                    )
            encoding = _dbf_encoding(path)
            if encoding == "GB18030" and report is not None:
                report.add("info", name, "no .cpg file and the text is not UTF-8; read as GBK",
                           file=path.name)
        elif suffix == ".gpkg" and layer is None:
            layers = list_layers(path)
            if len(layers) > 1:
                raise DataError(f"the GeoPackage holds several layers ({', '.join(layers)})",
                                file=path.name, fix="Say which layer to read")
        gdf = _read_ogr(path, layer=layer, encoding=encoding, shown=shown)
    gdf = _assign_crs(gdf, file=path.name, report=report, layer_name=name)
    source_crs = CRS.from_user_input(gdf.crs)
    lonlat = bool(source_crs.is_geographic)
    if not lonlat and system in ("gcj02", "bd09") and report is not None:
        report.add("info", name, f"the layer is projected ({source_crs.name}); coords = "
                   f"'{system}' applies only to lon/lat layers and was not used", file=path.name)
    gdf = to_wgs84(gdf, system if lonlat else None)
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
            raise DataError("the archive holds parts of a Shapefile but no .shp file",
                            file=archive.name, fix="Zip the .shp together with its .shx, .dbf "
                            "and .prj files")
        raise DataError("the archive holds no GIS layer (.shp, .gpkg, .geojson, .csv, .xlsx)",
                        file=archive.name)
    chosen = shps if shps else files
    if len(chosen) > 1:
        raise DataError("the archive holds several layers ("
                        + ", ".join(p.name for p in chosen[:6]) + ")",
                        file=archive.name, fix="Name each file after its layer "
                        "(communities, facilities, …) and load the archive as a data set")
    return chosen[0]


def bounds_wgs84(gdf: gpd.GeoDataFrame) -> tuple[float, float, float, float]:
    """Bounds of a layer in lon/lat, ``nan`` when it has no geometry."""
    if len(gdf) == 0:
        return (np.nan,) * 4  # type: ignore[return-value]
    frame = gdf if gdf.crs is None or CRS.from_user_input(gdf.crs).is_geographic \
        else gdf.to_crs(4326)
    return tuple(float(v) for v in frame.total_bounds)  # type: ignore[return-value]

