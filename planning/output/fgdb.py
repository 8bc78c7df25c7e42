"""File Geodatabase export for ArcGIS and GeoScene: every layer and table in one ``.gdb``, zipped.

Shapefiles cut field names to 10 characters (``cov_csc``, ``flareaper1``) and keep codes; a File
Geodatabase keeps the full names and gives every field its alias, the header ArcGIS shows:
``社区卫生服务站覆盖率(%)`` for ``coverage_pct_health``. Values are in the chosen language
(``城市社区``, ``现状``, ``自动生成``…, as in the spreadsheets), each layer has its title as the
layer alias, and the file name says the data set and coordinate system
(``xian_cgcs2000.gdb.zip``). Written with GDAL's OpenFileGDB driver through pyogrio (GDAL ≥ 3.6);
the aliases are set through GDAL's C API (:mod:`planning.output._gdal`, GDAL ≥ 3.7). ArcGIS
opens the ``.gdb`` folder once unzipped; QGIS and GDAL also read the zip as it is.

Examples
--------
>>> import geopandas as gpd
>>> from shapely.geometry import Point
>>> sites = gpd.GeoDataFrame({"kind": ["urban"]}, geometry=[Point(668000, 3500000)], crs=32650)
>>> write_fgdb({"recommended_sites": sites}, "/tmp/xian_wgs84.gdb.zip").name
'xian_wgs84.gdb.zip'
"""

from __future__ import annotations

import os
import re
import tempfile
import warnings
import zipfile
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from geo._errors import DataError
from planning.output._gdal import set_field_aliases
from planning.output.files import geometry_type, plain, polygonal, replacing, table_frame
from planning.output.layers import OutputCRS, output_crs, to_output_crs
from planning.output.readable import readable
from planning.texts import EXPORT_TEXT, LAYER_TITLES, TABLE_TITLES, column_labels, say

SUFFIX = ".gdb.zip"
_DRIVER = "OpenFileGDB"
#: Characters a File Geodatabase field or table name may hold (letters of any script).
_BAD_NAME = re.compile(r"[^\w]", flags=re.UNICODE)
_INT32 = (-(2**31), 2**31 - 1)


def crs_tag(info: OutputCRS) -> str:
    """The coordinate system in a file name: ``wgs84``, ``cgcs2000``, ``cgcs2000_gk_108e``…

    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> layer = {"x": gpd.GeoDataFrame(geometry=[Point(108.9, 34.3)], crs=4326)}
    >>> crs_tag(output_crs("cgcs2000-gk", layer)), crs_tag(output_crs("gcj02", layer))
    ('cgcs2000_gk_108e', 'gcj02')
    """
    if info.key == "cgcs2000-gk":
        epsg = info.crs.to_epsg()
        if epsg:
            return f"cgcs2000_gk_{75 + 3 * (int(epsg) - 4534)}e"
    return info.key.replace("-", "_")


def fgdb_file_name(dataset: str, crs: str, layers: Mapping[str, gpd.GeoDataFrame]) -> str:
    """``<data set>_<coordinate system>.gdb.zip`` (see :func:`crs_tag`)."""
    safe = _BAD_NAME.sub("_", str(dataset)).strip("_") or "dataset"
    return f"{safe}_{crs_tag(output_crs(crs, layers))}{SUFFIX}"


def _check_driver(out: Path) -> None:
    if "w" not in str(pyogrio.list_drivers().get(_DRIVER, "")):
        raise DataError(f"this GDAL ({pyogrio.__gdal_version_string__}) cannot write File "
                        "Geodatabases", file=out,
                        fix="update pyogrio (its GDAL 3.6 or newer writes them), or export a "
                        "GeoPackage or Shapefile")


def _field_name(column: str, used: set[str]) -> str:
    """A valid, unique field name: letters, digits and "_", starting with a letter."""
    name = _BAD_NAME.sub("_", str(column)) or "field"
    if not name[0].isalpha():
        name = f"f_{name}"
    name, base, n = name[:64], name[:60], 1
    while name.lower() in used:
        n += 1
        name = f"{base}_{n}"
    used.add(name.lower())
    return name


def _storable(values: pd.Series) -> pd.Series:
    """Columns OpenFileGDB stores without a warning: whole numbers as 32-bit integers when they
    fit (its 64-bit integers need ArcGIS Pro 3.2), flags as 0/1."""
    if pd.api.types.is_bool_dtype(values):
        return values.astype("Int32")
    if pd.api.types.is_integer_dtype(values):
        finite = values.dropna()
        if len(finite) == 0 or (finite.min() >= _INT32[0] and finite.max() <= _INT32[1]):
            return values.astype("Int32")
        return values.astype("float64")
    return values


def _frame(frame: pd.DataFrame, *, lang: str, codes: bool,
           labels: Mapping[str, tuple[str, str]]) -> tuple[pd.DataFrame, dict[str, str]]:
    """The rows as they are written (values in ``lang`` unless ``codes``), and column → alias."""
    geometry = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    attributes = pd.DataFrame(plain(frame).drop(columns=[geometry] if geometry else []))
    if not codes:
        names = {k: pair[1] if lang == "en" else pair[0] for k, pair in labels.items()}
        attributes = readable(attributes, lang, indicators=names, ratios=False)
    used: set[str] = {"objectid", "shape", "shape_length", "shape_area"}
    renamed, aliases = {}, {}
    for column in attributes.columns:
        name = _field_name(str(column), used)
        renamed[column] = name
        zh, en = labels.get(str(column)) or column_labels(str(column))
        aliases[name] = en if lang == "en" else zh
    out = attributes.rename(columns=renamed)
    for column in out.columns:
        out[column] = _storable(out[column])
    if geometry:
        out = gpd.GeoDataFrame(out, geometry=frame.geometry.to_numpy(), crs=frame.crs)
    return out, aliases


def _readme(info: OutputCRS, stem: str, *, lang: str, aliased: bool,
            about: Mapping[str, str] | None) -> str:
    lines = [f"{say(EXPORT_TEXT, 'about', 'zh')} / {say(EXPORT_TEXT, 'about', 'en')}", "",
             info.note_zh, info.note_en, "",
             say(EXPORT_TEXT, "fgdb.open", "zh", gdb=f"{stem}.gdb"),
             say(EXPORT_TEXT, "fgdb.open", "en", gdb=f"{stem}.gdb"), "",
             say(EXPORT_TEXT, "fgdb.aliases" if aliased else "fgdb.no_aliases", "zh"),
             say(EXPORT_TEXT, "fgdb.aliases" if aliased else "fgdb.no_aliases", "en"), "",
             f"{say(EXPORT_TEXT, 'not_reachable', 'zh')} / "
             f"{say(EXPORT_TEXT, 'not_reachable', 'en')}"]
    if about:
        lines += [""] + [f"{k}: {v}" for k, v in about.items()]
    return "\r\n".join(lines) + "\r\n"


def write_fgdb(layers: Mapping[str, gpd.GeoDataFrame], out: str | os.PathLike[str], *,
               tables: Mapping[str, pd.DataFrame] | None = None, crs: str = "wgs84",
               lang: str = "zh", codes: bool = False, about: Mapping[str, str] | None = None,
               labels: Mapping[str, tuple[str, str]] | None = None) -> Path:
    """Write every layer and table into one File Geodatabase, zipped as ``<name>.gdb.zip``.

    Parameters
    ----------
    layers : mapping of str to GeoDataFrame
        Layer name → features (any CRS; converted to ``crs``).
    out : path
        The ``.gdb.zip`` file; inside it the ``<name>.gdb`` folder and ``README.txt``.
    tables : mapping of str to DataFrame, optional
        Attribute tables (a named index becomes the first field).
    crs : {"wgs84", "cgcs2000", "cgcs2000-gk", "gcj02"}
    lang : {"zh", "en"}
        Language of the field aliases, the layer aliases and the values.
    codes : bool
        Keep the codes and full numbers in the values (aliases still in ``lang``).
    about : mapping of str to str, optional
        Lines for README.txt and the ``export_info`` table.
    labels : mapping of str to (str, str), optional
        Aliases of columns whose label depends on the data (E2SFCA supply, indicator names).

    Returns
    -------
    pathlib.Path
    """
    out = Path(out)
    if not out.name.lower().endswith(SUFFIX) or len(out.name) == len(SUFFIX):
        raise DataError("a File Geodatabase export is a zipped .gdb folder and must end in "
                        ".gdb.zip", file=out, fix=f"change the file name to "
                        f"{out.name.split('.')[0] or 'export'}{SUFFIX}")
    if lang not in ("zh", "en"):
        raise DataError(f"unknown language '{lang}'", file=out, fix="use zh or en")
    _check_driver(out)
    converted, info = to_output_crs(layers, crs)
    tables = {k: v for k, v in (tables or {}).items() if k not in converted}
    labels = dict(labels or {})
    stem = out.name[: -len(SUFFIX)]
    written_aliases: dict[str, dict[str, str]] = {}
    with tempfile.TemporaryDirectory(prefix="fgdb-export-") as work, replacing(out) as tmp:
        gdb = Path(work) / f"{stem}.gdb"
        items: list[tuple[str, pd.DataFrame, str]] = [
            (name, polygonal(gdf), say(LAYER_TITLES, name, lang) if name in LAYER_TITLES else name)
            for name, gdf in converted.items()]
        items += [(name, table_frame(t), say(TABLE_TITLES, name, lang)
                   if name in TABLE_TITLES else name) for name, t in tables.items()]
        info_rows = [("crs", info.note_zh), ("crs_en", info.note_en), ("crs_key", info.key),
                     *((k, str(v)) for k, v in (about or {}).items())]
        items.append(("export_info", pd.DataFrame(info_rows, columns=["key", "note"]),
                      say(EXPORT_TEXT, "about", lang)))
        used: set[str] = set()
        for name, frame, title in items:
            table_name = _field_name(name, used)
            rows, aliases = _frame(frame, lang=lang, codes=codes or name == "export_info",
                                   labels=labels)
            extra: dict[str, object] = {}
            if isinstance(rows, gpd.GeoDataFrame):
                extra = {"geometry_type": geometry_type(rows, name, file=out),
                         "promote_to_multi": None}
            with warnings.catch_warnings():
                # GDAL's note that a circle of many parts takes long to check; not a problem.
                warnings.filterwarnings("ignore", message=".*organizePolygons", category=RuntimeWarning)
                pyogrio.write_dataframe(rows, gdb, layer=table_name, driver=_DRIVER,
                                        layer_options={"LAYER_ALIAS": title}, **extra)
            # The driver may launder a name (reserved words): match the fields by position.
            fields = [str(f) for f in pyogrio.read_info(gdb, layer=table_name)["fields"]]
            written_aliases[table_name] = dict(zip(fields, aliases.values()))
        aliased = set_field_aliases(gdb, written_aliases) > 0
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("README.txt", _readme(info, stem, lang=lang, aliased=aliased,
                                              about=about).encode("utf-8-sig"))
            for path in sorted(gdb.rglob("*")):
                if path.is_file():
                    zf.write(path, f"{stem}.gdb/{path.relative_to(gdb).as_posix()}")
    return out
