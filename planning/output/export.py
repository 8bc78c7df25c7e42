"""Planning overlays for desktop GIS, Google Earth and Excel: GeoPackage, Shapefile, GeoJSON,
KML/KMZ, CSV and XLSX.

The writers take plain layers (``dict[str, GeoDataFrame]`` in any CRS) and tables
(``dict[str, DataFrame]``), so they work on any result; :func:`export_analysis` feeds them an
:class:`planning.access.analysis.Analysis` (and optionally siting results and a scenario comparison).
Every file says which coordinate system it uses, and every save first writes a temporary file
in the target folder and then replaces the old file, so a failed export never destroys it.

Examples
--------
>>> import geopandas as gpd
>>> from shapely.geometry import Point
>>> from planning.output.export import write_gpkg
>>> sites = gpd.GeoDataFrame({"name": ["和平社区客厅"]}, geometry=[Point(668000, 3500000)],
...                          crs=32650)
>>> write_gpkg({"recommended_sites": sites}, "/tmp/overlay.gpkg", crs="cgcs2000").name
'overlay.gpkg'
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import json
import os
import re
import tempfile
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape as xml_escape

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from geo import coords
from geo._errors import DataError
from geo.taxonomy import CATEGORIES
from planning.choices import ENCODINGS, FORMATS, OUTPUT_CRS
from planning.output import _shapefile
from planning.output.styles import coverage_colour, qml_categories, qml_coverage, rgb
from planning.texts import LAYER_TITLES, TABLE_TITLES, Language, column_label, column_labels

if TYPE_CHECKING:
    from planning.access.analysis import Analysis


# Geometry type of a layer that happens to be empty (Shapefiles need one).
_EMPTY_GEOMETRY = {"communities": "MultiPolygon", "circles": "MultiPolygon", "rings": "MultiPolygon",
                   "responsibility_areas": "MultiPolygon",
                   "site_circles": "MultiPolygon", "scenario_communities": "MultiPolygon"}
_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,62}$")
_NOT_REACHABLE = ("空值表示在时间上限内不可达或无数据",
                  "empty values mean not reachable within the time limit, or no data")


# --------------------------------------------------------------------------------------------
# Coordinate systems


@dataclass(frozen=True)
class OutputCRS:
    """Coordinate system of an export and the note every file carries about it.

    Attributes
    ----------
    key : str
        One of :data:`OUTPUT_CRS`.
    crs : pyproj.CRS
        CRS written into the files (EPSG:4326 for GCJ-02, which has no EPSG code).
    note_zh, note_en : str
        What the coordinates are, in words.
    """

    key: str
    crs: CRS
    note_zh: str
    note_en: str

    @property
    def note(self) -> str:
        """Both notes, Chinese first."""
        return f"{self.note_zh} / {self.note_en}"

    @property
    def is_geographic(self) -> bool:
        """Whether coordinates are longitude/latitude degrees."""
        return bool(self.crs.is_geographic)


def _centre_lon(layers: Mapping[str, gpd.GeoDataFrame]) -> float:
    bounds = []
    for gdf in layers.values():
        if len(gdf) and gdf.crs is not None and not gdf.geometry.is_empty.all():
            b = gdf.geometry.to_crs(4326).total_bounds
            if np.all(np.isfinite(b)):
                bounds.append(b)
    if not bounds:
        raise DataError("there are no features to export",
                        fix="run the analysis on a data set with communities and population")
    b = np.array(bounds)
    return float((b[:, 0].min() + b[:, 2].max()) / 2.0)


def output_crs(key: str, layers: Mapping[str, gpd.GeoDataFrame]) -> OutputCRS:
    """The :class:`OutputCRS` called ``key`` for these layers.

    Parameters
    ----------
    key : {"wgs84", "cgcs2000", "cgcs2000-gk", "gcj02"}
        ``cgcs2000-gk`` picks the CGCS2000 3-degree Gauss-Krüger zone of the layers' centre.
    layers : mapping of str to GeoDataFrame
        Layers to export (any CRS).
    """
    key = str(key).lower()
    if key == "wgs84":
        return OutputCRS(key, CRS.from_epsg(4326), "坐标系：WGS84 经纬度（EPSG:4326）",
                         "Coordinates: WGS84 longitude/latitude (EPSG:4326)")
    if key == "cgcs2000":
        return OutputCRS(key, CRS.from_epsg(4490), "坐标系：CGCS2000 经纬度（EPSG:4490）",
                         "Coordinates: CGCS2000 longitude/latitude (EPSG:4490)")
    if key == "cgcs2000-gk":
        try:
            crs = coords.cgcs2000_gk_crs(_centre_lon(layers))
        except DataError as exc:  # its fix names the analysis CRS, which is no export choice
            raise DataError(exc.problem, fix="export with --crs wgs84 or cgcs2000 "
                            "(longitude/latitude) instead") from None
        epsg = crs.to_epsg()
        cm = 75 + 3 * (int(epsg) - 4534) if epsg else None
        return OutputCRS(
            key, crs,
            f"坐标系：CGCS2000 3度带高斯-克吕格投影，中央经线 {cm}°E（EPSG:{epsg}），单位米",
            f"Coordinates: CGCS2000 3-degree Gauss-Kruger, central meridian {cm}°E "
            f"(EPSG:{epsg}), metres")
    if key == "gcj02":
        return OutputCRS(
            key, CRS.from_epsg(4326),
            "坐标为 GCJ-02（国测局坐标，高德/腾讯地图使用），按 EPSG:4326 格式存放；"
            "它们不是 WGS84 坐标，请勿再次转换",
            "Coordinates are GCJ-02 (as used by Amap/Tencent maps), stored with an EPSG:4326 "
            "label; they are not WGS84 and must not be converted again")
    raise DataError(f"unknown output coordinate system '{key}'",
                    fix=f"use one of {', '.join(OUTPUT_CRS)}")


def to_output_crs(layers: Mapping[str, gpd.GeoDataFrame], crs: str,
                  ) -> tuple[dict[str, gpd.GeoDataFrame], OutputCRS]:
    """Layers converted to the output coordinate system ``crs`` (see :func:`output_crs`)."""
    info = output_crs(crs, layers)
    out: dict[str, gpd.GeoDataFrame] = {}
    for name, gdf in layers.items():
        if gdf.crs is None:
            raise DataError("the layer has no coordinate system", layer=name,
                            fix="set the layer's CRS before exporting")
        gdf = _polygonal(gdf)
        if info.key == "gcj02":
            out[name] = coords.from_wgs84(gdf, "gcj02")
        elif info.key == "cgcs2000":
            out[name] = coords.from_wgs84(gdf, "cgcs2000")
        else:
            out[name] = gdf.to_crs(info.crs)
    return out, info


# --------------------------------------------------------------------------------------------
# Shared helpers


@contextlib.contextmanager
def _replacing(out: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``out``; on success it replaces ``out``, else it is removed."""
    out = Path(out)
    if out.exists() and out.is_dir():
        raise DataError("the output path is a folder", file=out, fix="give a file name")
    if not out.parent.exists():
        raise DataError("the output folder does not exist", file=out,
                        fix="create the folder first or choose another path")
    fd, name = tempfile.mkstemp(prefix=f".{out.stem}.", suffix=out.suffix or ".tmp",
                                dir=out.parent)
    os.close(fd)
    tmp = Path(name)
    tmp.unlink()  # GDAL drivers want to create the file themselves
    try:
        yield tmp
        os.replace(tmp, out)
    finally:
        for leftover in (tmp, Path(f"{tmp}-journal"), Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            if leftover.exists():
                leftover.unlink()


def _check_names(names: list[str], *, file: Path) -> None:
    seen: set[str] = set()
    for name in names:
        if not _NAME_RE.match(name):
            raise DataError(f"layer name '{name}' cannot be used as a file or table name",
                            file=file, fix="use letters, digits and '_' only, starting with a "
                            "letter")
        if name.lower() in seen:
            raise DataError(f"two layers or tables are called '{name}'", file=file,
                            fix="give every layer and table its own name")
        seen.add(name.lower())


def _cell_text(value: Any) -> Any:
    if isinstance(value, (list, tuple, set, frozenset)):
        return "; ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns every file format can store: no lists, no categoricals, no infinities."""
    out = frame.copy()
    geometry = out.geometry.name if isinstance(out, gpd.GeoDataFrame) else None
    for column in out.columns:
        if column == geometry:
            continue
        values = out[column]
        if isinstance(values.dtype, pd.CategoricalDtype):
            values = values.astype(object)
        if pd.api.types.is_float_dtype(values):
            # An infinite travel time means "not reachable": NULL in every GIS file.
            values = values.where(np.isfinite(values.to_numpy(dtype=float, na_value=np.nan)))
        elif pd.api.types.is_object_dtype(values):
            values = values.map(_cell_text)
        out[column] = values
    return out


def _table_frame(table: pd.DataFrame) -> pd.DataFrame:
    """A table with its (named) index as the first column."""
    frame = pd.DataFrame(table)
    if frame.index.name is not None or not isinstance(frame.index, pd.RangeIndex):
        name = frame.index.name or "id"
        frame = frame.reset_index(names=name if name not in frame.columns else f"{name}_index")
    return _plain(frame)


def _polygonal(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Polygon layers whose overlays left geometry collections: keep their polygon parts.

    Intersections and unions of service circles can return a collection of polygons plus
    zero-area lines or points where two boundaries touch; file formats need one kind per layer.
    """
    kinds = gdf.geometry.geom_type
    collections = kinds == "GeometryCollection"
    if not collections.any() or not kinds[~collections].dropna().isin(
            ["Polygon", "MultiPolygon"]).all():
        return gdf
    out = gdf.copy()
    fixed = []
    for geom in gdf.geometry[collections]:
        parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
        fixed.append(shapely.MultiPolygon([q for p in parts for q in getattr(p, "geoms", [p])]))
    out.loc[collections, out.geometry.name] = gpd.GeoSeries(fixed, index=out.index[collections],
                                                            crs=out.crs)
    return out


def _geometry_type(gdf: gpd.GeoDataFrame, name: str, *, file: Path) -> str:
    kinds = set(gdf.geometry.dropna().geom_type.unique()) - {None}
    if not kinds:
        return _EMPTY_GEOMETRY.get(name, "Point")
    families = {k.replace("Multi", "") for k in kinds}
    if len(families) > 1:
        raise DataError(f"the layer mixes {', '.join(sorted(kinds))} geometries", file=file,
                        layer=name, fix="split it into one layer per geometry kind")
    family = families.pop()
    return f"Multi{family}" if any(k.startswith("Multi") for k in kinds) else family


def _description(name: str, info: OutputCRS, *, kind: str = "layer") -> str:
    titles = LAYER_TITLES if kind == "layer" else TABLE_TITLES
    zh, en = titles.get(name, (name, name))
    return f"{zh} / {en}. {info.note}"


def _readme(info: OutputCRS | None, *, about: Mapping[str, str] | None, encoding: str | None,
            extra: list[str], cpg: bool = False) -> str:
    lines = ["规划图层导出说明 / About this export", ""]
    if info is not None:
        lines += [info.note_zh, info.note_en, ""]
    if encoding is not None:
        where = "（每个 .cpg 文件中也有注明 / also written in each .cpg file）" if cpg else ""
        lines += [f"字符编码 / Text encoding: {encoding.upper()}{where}", ""]
    lines += [f"{_NOT_REACHABLE[0]} / {_NOT_REACHABLE[1]}", ""]
    lines += extra
    if about:
        lines += [""] + [f"{k}: {v}" for k, v in about.items()]
    return "\r\n".join(lines) + "\r\n"


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    # UTF-8 with BOM: Excel on Chinese Windows then shows the Chinese headers correctly.
    return frame.to_csv(index=False, quoting=csv.QUOTE_MINIMAL).encode("utf-8-sig")


def _labelled(frame: pd.DataFrame, headers: str) -> pd.DataFrame:
    """Table with headers in ``headers`` ("zh", "en" or "key") and yes/no in words."""
    if headers == "key":
        return frame
    if headers not in ("zh", "en"):
        raise DataError(f"unknown header language '{headers}'", fix="use zh, en or key")
    out = frame.copy()
    yes, no = ("是", "否") if headers == "zh" else ("yes", "no")
    for column in out.columns:
        if pd.api.types.is_bool_dtype(out[column]):
            out[column] = out[column].map({True: yes, False: no})
    labels = [column_label(c, headers) for c in out.columns]  # type: ignore[arg-type]
    # Two columns with one label (e.g. unknown names) keep their key to stay distinct.
    counts = pd.Series(labels).value_counts()
    out.columns = [f"{lab} ({c})" if counts[lab] > 1 else lab
                   for lab, c in zip(labels, frame.columns)]
    return out


def _field_labels_table(layers: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    rows = []
    for layer, frame in layers.items():
        geometry = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
        for column in frame.columns:
            if column == geometry:
                continue
            zh, en = column_labels(column)
            rows.append({"layer": layer, "field": str(column), "label_zh": zh, "label_en": en})
    return pd.DataFrame(rows, columns=["layer", "field", "label_zh", "label_en"])


# --------------------------------------------------------------------------------------------
# GeoPackage


def _coverage_field(gdf: gpd.GeoDataFrame) -> str | None:
    if "complete_circle_pct" in gdf.columns:
        return "complete_circle_pct"
    for column in gdf.columns:
        if str(column).startswith("coverage_pct"):
            return str(column)
    return None


def layer_styles(layers: Mapping[str, gpd.GeoDataFrame]) -> pd.DataFrame:
    """Rows of a GeoPackage ``layer_styles`` table (the QGIS convention) for the result layers."""
    rows = []
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    for name, gdf in layers.items():
        qml = None
        if name == "communities":
            field = _coverage_field(gdf)
            qml = qml_coverage(field) if field else None
            title = "覆盖率分级 / coverage classes"
        elif "category" in gdf.columns and len(gdf):
            values = [str(v) for v in pd.unique(gdf["category"].dropna())]
            kind = "marker" if _geometry_type(gdf, name, file=Path(name)) in (
                "Point", "MultiPoint") else "fill"
            qml = qml_categories("category", values, kind=kind)
            title = "设施类别 / facility categories"
        if qml is None:
            continue
        rows.append({"f_table_catalog": "", "f_table_schema": "", "f_table_name": name,
                     "f_geometry_column": "geom", "styleName": name, "styleQML": qml,
                     "styleSLD": "", "useAsDefault": True, "description": title,
                     "owner": "", "ui": "", "update_time": now})
    return pd.DataFrame(rows, columns=["f_table_catalog", "f_table_schema", "f_table_name",
                                       "f_geometry_column", "styleName", "styleQML",
                                       "styleSLD", "useAsDefault", "description", "owner",
                                       "ui", "update_time"])


def _check_suffix(out: Path, suffix: str, problem: str) -> None:
    """Refuse a file name whose ending would make GIS tools and Excel misread the file."""
    if out.suffix.lower() != suffix:
        raise DataError(problem, file=out, fix=f"change the file name to {out.stem}{suffix}")


def write_gpkg(layers: Mapping[str, gpd.GeoDataFrame], out: str | os.PathLike[str], *,
               tables: Mapping[str, pd.DataFrame] | None = None, crs: str = "wgs84",
               styles: bool = True, about: Mapping[str, str] | None = None) -> Path:
    """Write every layer and table into one GeoPackage.

    Parameters
    ----------
    layers : mapping of str to GeoDataFrame
        Layer name → features (any CRS; converted to ``crs``).
    out : path
        The ``.gpkg`` file; an existing file is replaced only once the new one is complete.
    tables : mapping of str to DataFrame, optional
        Attribute tables (no geometry), e.g. the indicator tables.
    crs : {"wgs84", "cgcs2000", "cgcs2000-gk", "gcj02"}
        Output coordinate system; its note is in each layer's description and metadata and in
        the ``export_info`` table.
    styles : bool
        Also write a ``layer_styles`` table with QGIS styles (coverage classes, category colours).
    about : mapping of str to str, optional
        Lines for the ``export_info`` table (data set, settings, attribution).

    Returns
    -------
    pathlib.Path
    """
    out = Path(out)
    _check_suffix(out, ".gpkg", "a GeoPackage export must end in .gpkg")
    converted, info = to_output_crs(layers, crs)
    # A table named like a layer (e.g. recommended_sites) holds the layer's rows: keep the layer.
    tables = {k: v for k, v in (tables or {}).items() if k not in converted}
    names = [*converted, *tables, "export_info", "field_labels"] + (
        ["layer_styles"] if styles else [])
    _check_names(names, file=out)
    info_rows = [("crs", info.note_zh), ("crs_en", info.note_en), ("crs_key", info.key),
                 ("note", f"{_NOT_REACHABLE[0]} / {_NOT_REACHABLE[1]}"),
                 *((k, str(v)) for k, v in (about or {}).items())]
    with _replacing(out) as tmp:
        for name, gdf in converted.items():
            pyogrio.write_dataframe(
                _plain(gdf), tmp, layer=name, driver="GPKG",
                geometry_type=_geometry_type(gdf, name, file=out), promote_to_multi=None,
                layer_options={"DESCRIPTION": _description(name, info)},
                layer_metadata={"crs_note": info.note, "crs_key": info.key})
        for name, table in tables.items():
            pyogrio.write_dataframe(_table_frame(table), tmp, layer=name, driver="GPKG",
                                    layer_options={"DESCRIPTION": _description(
                                        name, info, kind="table")})
        pyogrio.write_dataframe(pd.DataFrame(info_rows, columns=["key", "value"]), tmp,
                                layer="export_info", driver="GPKG")
        pyogrio.write_dataframe(_field_labels_table({**converted, **tables}), tmp,
                                layer="field_labels", driver="GPKG")
        if styles:
            style_rows = layer_styles(converted)
            if len(style_rows):
                # QGIS looks the styles up by these column names, with "id" as the key.
                pyogrio.write_dataframe(style_rows, tmp, layer="layer_styles", driver="GPKG",
                                        layer_options={"FID": "id"})
    return out


# --------------------------------------------------------------------------------------------
# Shapefile


def write_shapefile_zip(layers: Mapping[str, gpd.GeoDataFrame], out: str | os.PathLike[str],
                        *, tables: Mapping[str, pd.DataFrame] | None = None,
                        crs: str = "wgs84", encoding: str = "utf-8",
                        about: Mapping[str, str] | None = None) -> Path:
    """Write each layer as a Shapefile into one zip, with field maps, tables and a README.

    Inside the zip, layer ``L`` is ``L.shp/.shx/.dbf/.prj/.cpg`` plus ``L_fields.csv`` mapping
    the 10-byte field names to the full names and their Chinese and English labels. Tables are
    CSV files (UTF-8 with BOM). ``README.txt`` states the coordinate system and encoding.

    Parameters
    ----------
    layers : mapping of str to GeoDataFrame
        Layer name → features (one geometry kind per layer).
    out : path
        The ``.zip`` file.
    tables : mapping of str to DataFrame, optional
        Attribute tables, written as CSV.
    crs : {"wgs84", "cgcs2000", "cgcs2000-gk", "gcj02"}
        Output coordinate system (written in each ``.prj`` and in README.txt).
    encoding : {"utf-8", "gbk"}
        Text encoding of the ``.dbf`` files; GBK is what many Chinese desktop GIS installs expect.

    Returns
    -------
    pathlib.Path
    """
    out = Path(out)
    _check_suffix(out, ".zip", "a Shapefile export is a .zip of the layers' files and must end "
                  "in .zip")
    encoding = str(encoding).lower().replace("_", "-")
    if encoding not in _shapefile.ENCODINGS:
        raise DataError(f"unknown encoding '{encoding}'", file=out,
                        fix=f"use one of {', '.join(ENCODINGS)}")
    codec = _shapefile.ENCODINGS[encoding][0]
    tables = dict(tables or {})
    converted, info = to_output_crs(layers, crs)
    # Tables are .csv files, so a table may share a layer's name (e.g. recommended_sites).
    _check_names(list(converted), file=out)
    _check_names(list(tables), file=out)
    extra: list[str] = []
    with tempfile.TemporaryDirectory(prefix="shp-export-") as work, _replacing(out) as tmp:
        folder = Path(work)
        members: list[tuple[Path, str]] = []
        for name, gdf in converted.items():
            frame = _plain(gdf)
            geometry_type = _geometry_type(frame, name, file=out)
            mapping = _shapefile.short_field_names(
                [c for c in frame.columns if c != frame.geometry.name], encoding=encoding)
            _shapefile.check_encodable(frame, codec=codec, layer=name, file=out)
            frame, notes = _shapefile.cut_long_text(frame, codec=codec)
            for column, note in notes.items():
                extra.append(f"{name}.{column}: {note}")
            frame = frame.rename(columns=mapping)
            path = folder / f"{name}.shp"
            _shapefile.write_shapefile(frame, path, encoding=encoding,
                                       geometry_type=geometry_type)
            fields_csv = folder / f"{name}_fields.csv"
            fields_csv.write_bytes(_csv_bytes(_shapefile.field_map_table(mapping, notes=notes)))
            members += [(p, p.name) for p in _shapefile.shapefile_members(path)]
            members.append((fields_csv, fields_csv.name))
        for name, table in tables.items():
            path = folder / f"{name}.csv"
            path.write_bytes(_csv_bytes(_table_frame(table)))
            members.append((path, path.name))
        readme = _readme(info, about=about, encoding=encoding, cpg=True, extra=[
            "每个图层的字段名缩写对照见 <图层>_fields.csv / Field names are shortened to 10 "
            "characters; <layer>_fields.csv maps them to full names and labels.", *extra])
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("README.txt", readme.encode("utf-8-sig"))
            for path, arcname in members:
                zf.write(path, arcname)
    return out


# --------------------------------------------------------------------------------------------
# GeoJSON


def _geojson_file(gdf: gpd.GeoDataFrame, path: Path, name: str, info: OutputCRS) -> None:
    precision = 7 if info.is_geographic else 2  # ≈1 cm either way
    pyogrio.write_dataframe(_plain(gdf), path, driver="GeoJSON", layer=name,
                            layer_options={"DESCRIPTION": _description(name, info),
                                           "COORDINATE_PRECISION": str(precision)})


def write_geojson(layers: Mapping[str, gpd.GeoDataFrame], out: str | os.PathLike[str], *,
                  crs: str = "wgs84", layer: str | None = None,
                  about: Mapping[str, str] | None = None) -> Path:
    """Write GeoJSON: a ``.zip`` with one ``<layer>.geojson`` per layer, or one ``.geojson``.

    Parameters
    ----------
    layers : mapping of str to GeoDataFrame
        Layer name → features.
    out : path
        ``*.zip`` for every layer (plus README.txt); ``*.geojson``/``*.json`` for one layer.
    crs : {"wgs84", "cgcs2000", "cgcs2000-gk", "gcj02"}
        Output coordinate system; its note is the ``description`` member of each file.
    layer : str, optional
        Layer to write into a single ``.geojson`` (needed when there is more than one layer).
    """
    out = Path(out)
    converted, info = to_output_crs(layers, crs)
    _check_names(list(converted), file=out)
    if out.suffix.lower() == ".zip":
        with tempfile.TemporaryDirectory(prefix="geojson-export-") as work, \
                _replacing(out) as tmp:
            with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
                zf.writestr("README.txt", _readme(info, about=about, encoding="utf-8",
                                                  extra=[]).encode("utf-8-sig"))
                for name, gdf in converted.items():
                    path = Path(work) / f"{name}.geojson"
                    _geojson_file(gdf, path, name, info)
                    zf.write(path, path.name)
        return out
    if out.suffix.lower() not in (".geojson", ".json"):
        raise DataError("a GeoJSON export must end in .zip (every layer) or .geojson (one "
                        "layer)", file=out, fix="change the file name")
    if layer is None:
        if len(converted) != 1:
            raise DataError(f"a .geojson file holds one layer, but there are {len(converted)}",
                            file=out, fix="choose one with --layer "
                            f"({', '.join(converted)}), or write a .zip")
        layer = next(iter(converted))
    if layer not in converted:
        raise DataError(f"there is no layer '{layer}'", file=out,
                        fix=f"choose one of {', '.join(converted)}")
    with _replacing(out) as tmp:
        _geojson_file(converted[layer], tmp, layer, info)
    return out


# --------------------------------------------------------------------------------------------
# KML / KMZ


def _kml_colour(hex_colour: str, alpha: int) -> str:
    r, g, b = rgb(hex_colour)
    return f"{alpha:02x}{b:02x}{g:02x}{r:02x}"  # KML writes colours as aabbggrr


def _kml_style(style_id: str, colour: str, *, point: bool) -> str:
    if point:
        # No label: thousands of names would hide the map (the name is in the balloon).
        return (f'<Style id="{style_id}"><IconStyle><color>{_kml_colour(colour, 255)}</color>'
                "<scale>0.8</scale></IconStyle><LabelStyle><scale>0</scale></LabelStyle>"
                "</Style>")
    return (f'<Style id="{style_id}"><LineStyle><color>{_kml_colour(colour, 255)}</color>'
            f"<width>1.5</width></LineStyle><PolyStyle><color>{_kml_colour(colour, 110)}"
            "</color></PolyStyle></Style>")


def _kml_coordinates(coords: np.ndarray) -> str:
    return "<coordinates>" + " ".join(f"{x:.7f},{y:.7f}" for x, y in coords[:, :2]) + \
        "</coordinates>"


def _kml_geometry(geom: shapely.Geometry) -> str:
    kind = geom.geom_type
    if kind == "Point":
        return f"<Point>{_kml_coordinates(shapely.get_coordinates(geom))}</Point>"
    if kind == "LineString":
        return f"<LineString>{_kml_coordinates(shapely.get_coordinates(geom))}</LineString>"
    if kind == "Polygon":
        outer = _kml_coordinates(shapely.get_coordinates(geom.exterior))
        inner = "".join(
            f"<innerBoundaryIs><LinearRing>{_kml_coordinates(shapely.get_coordinates(ring))}"
            "</LinearRing></innerBoundaryIs>" for ring in geom.interiors)
        return (f"<Polygon><outerBoundaryIs><LinearRing>{outer}</LinearRing></outerBoundaryIs>"
                f"{inner}</Polygon>")
    if kind in ("MultiPoint", "MultiLineString", "MultiPolygon", "GeometryCollection"):
        return ("<MultiGeometry>" + "".join(_kml_geometry(g) for g in geom.geoms if not g.is_empty)
                + "</MultiGeometry>")
    raise DataError(f"KML export cannot write {kind} geometries",
                    fix="export points, lines or polygons")


def _feature_colour(name: str, row: Mapping[str, Any]) -> str:
    category = row.get("category")
    if isinstance(category, str) and category in CATEGORIES:
        return CATEGORIES[category].color
    if name == "communities" and "complete_circle_pct" in row:
        return coverage_colour(row["complete_circle_pct"])
    if name == "uncovered":
        return "#d73027"
    if name == "recommended_sites":
        return "#6a3d9a"
    return "#3182bd"


def _feature_name(name: str, row: Mapping[str, Any]) -> str:
    for column in ("name", "candidate_id", "community_id", "facility_id"):
        value = row.get(column)
        if isinstance(value, str) and value:
            return value
    category = row.get("category")
    if isinstance(category, str) and category in CATEGORIES:
        return CATEGORIES[category].zh
    return ""


def _kml_text(value: Any) -> str:
    if value is None or (np.isscalar(value) and pd.isna(value)) or value is pd.NA:
        return ""
    return xml_escape(str(value))


def kml_document(layers: Mapping[str, gpd.GeoDataFrame], *, info: OutputCRS,
                 title: str = "服务圈规划图层", about: Mapping[str, str] | None = None) -> str:
    """KML text of lon/lat layers: a folder per layer, styles shared by colour."""
    styles: dict[tuple[str, bool], str] = {}
    folders: list[str] = []
    for name, gdf in layers.items():
        zh, en = LAYER_TITLES.get(name, (name, name))
        parts = [f"<Folder><name>{_kml_text(name)}</name>"
                 f"<description>{_kml_text(f'{zh} / {en}. {info.note}')}</description>"]
        frame = _plain(gdf)
        columns = [c for c in frame.columns if c != frame.geometry.name]
        # Labels shown in Google Earth's balloon; the names stay the field names.
        heads = {c: f'<Data name="{_kml_text(c)}"><displayName>'
                    f"{_kml_text(column_label(c, 'zh'))}</displayName><value>" for c in columns}
        # Plain dicts, not DataFrame rows: a point layer can have tens of thousands of features.
        records = pd.DataFrame(frame[columns]).to_dict("records")
        for row, geom in zip(records, frame.geometry.to_list()):
            if geom is None or geom.is_empty:
                continue
            point = geom.geom_type in ("Point", "MultiPoint")
            key = (_feature_colour(name, row), point)
            if key not in styles:
                styles[key] = f"s{len(styles) + 1}"
            data = "".join(f"{heads[c]}{_kml_text(row[c])}</value></Data>" for c in columns)
            parts.append(f"<Placemark><name>{_kml_text(_feature_name(name, row))}</name>"
                         f"<styleUrl>#{styles[key]}</styleUrl>"
                         f"<ExtendedData>{data}</ExtendedData>{_kml_geometry(geom)}</Placemark>")
        parts.append("</Folder>")
        folders.append("".join(parts))
    description = info.note + "".join(f"\n{k}: {v}" for k, v in (about or {}).items())
    style_xml = "".join(_kml_style(sid, colour, point=point)
                        for (colour, point), sid in styles.items())
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
            f"<name>{_kml_text(title)}</name><description>{_kml_text(description)}</description>"
            f"{style_xml}{''.join(folders)}</Document></kml>\n")


def write_kml(layers: Mapping[str, gpd.GeoDataFrame], out: str | os.PathLike[str], *,
              crs: str = "wgs84", title: str = "服务圈规划图层",
              about: Mapping[str, str] | None = None) -> Path:
    """Write a KML (``.kml``) or zipped KML (``.kmz``) for Google Earth and 奥维 maps.

    One folder per layer; each feature keeps its attributes (with Chinese labels) as extended
    data and is coloured by facility category (communities by coverage class). The document
    description states the coordinate system.

    Parameters
    ----------
    layers : mapping of str to GeoDataFrame
        Layer name → features.
    out : path
        ``*.kml`` or ``*.kmz``.
    crs : {"wgs84", "cgcs2000", "gcj02"}
        KML holds longitude/latitude only; ``gcj02`` is for tools that expect Amap coordinates.
    """
    out = Path(out)
    if out.suffix.lower() not in (".kml", ".kmz"):
        raise DataError("a KML export must end in .kml or .kmz", file=out,
                        fix="change the file name")
    converted, info = to_output_crs(layers, crs)
    if not info.is_geographic:
        raise DataError("KML holds longitude/latitude only", file=out,
                        fix="use --crs wgs84 (or gcj02 for Amap-based tools)")
    document = kml_document(converted, info=info, title=title, about=about).encode("utf-8")
    with _replacing(out) as tmp:
        if out.suffix.lower() == ".kmz":
            with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
                zf.writestr("doc.kml", document)  # the name Google Earth looks for
        else:
            tmp.write_bytes(document)
    return out


# --------------------------------------------------------------------------------------------
# CSV / XLSX


def write_csv(tables: Mapping[str, pd.DataFrame], out: str | os.PathLike[str], *,
              table: str | None = None, headers: str = "zh",
              about: Mapping[str, str] | None = None) -> Path:
    """Write tables as CSV in UTF-8 with BOM (Chinese headers open correctly in Excel).

    Parameters
    ----------
    tables : mapping of str to DataFrame
        Table name → rows (a named index becomes the first column).
    out : path
        ``*.zip`` for every table (plus README.txt), or ``*.csv`` for one table.
    table : str, optional
        Table for a single ``.csv`` (default: the first one, usually ``indicators``).
    headers : {"zh", "en", "key"}
        Column headers: Chinese labels, English labels or the column names.
    """
    out = Path(out)
    if not tables:
        raise DataError("there are no tables to export", file=out,
                        fix="run the analysis first")
    _check_names(list(tables), file=out)
    if out.suffix.lower() == ".zip":
        with _replacing(out) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("README.txt", _readme(None, about=about, encoding="utf-8",
                                              extra=[]).encode("utf-8-sig"))
            for name, frame in tables.items():
                zf.writestr(f"{name}.csv",
                            _csv_bytes(_labelled(_table_frame(frame), headers)))
        return out
    if out.suffix.lower() != ".csv":
        raise DataError("a CSV export must end in .csv (one table) or .zip (every table)",
                        file=out, fix="change the file name")
    table = table or next(iter(tables))
    if table not in tables:
        raise DataError(f"there is no table '{table}'", file=out,
                        fix=f"choose one of {', '.join(tables)}")
    with _replacing(out) as tmp:
        tmp.write_bytes(_csv_bytes(_labelled(_table_frame(tables[table]), headers)))
    return out


def _sheet_name(name: str, lang: str, used: set[str]) -> str:
    zh, en = TABLE_TITLES.get(name, (name, name))
    base = (zh if lang == "zh" else en) if lang in ("zh", "en") else name
    base = re.sub(r"[\[\]:*?/\\]", "_", base)[:31]
    sheet, n = base, 1
    while sheet in used:
        n += 1
        sheet = f"{base[:28]}_{n}"
    used.add(sheet)
    return sheet


def write_xlsx(tables: Mapping[str, pd.DataFrame], out: str | os.PathLike[str], *,
               headers: str = "zh", about: Mapping[str, str] | None = None) -> Path:
    """Write tables into one Excel workbook: a sheet per table, plus field labels and notes.

    Parameters
    ----------
    tables : mapping of str to DataFrame
        Table name → rows (a named index becomes the first column).
    out : path
        The ``.xlsx`` file.
    headers : {"zh", "en", "key"}
        Column headers (sheet names follow the same language).
    about : mapping of str to str, optional
        Lines of the notes sheet (data set, coordinate system, settings, attribution).
    """
    from openpyxl.utils import get_column_letter

    out = Path(out)
    _check_suffix(out, ".xlsx", "an Excel export must end in .xlsx")
    if not tables:
        raise DataError("there are no tables to export", file=out, fix="run the analysis first")
    _check_names(list(tables), file=out)
    used: set[str] = set()
    frames = {name: _table_frame(frame) for name, frame in tables.items()}
    with _replacing(out) as tmp:
        with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
            for name, frame in frames.items():
                sheet = _sheet_name(name, headers, used)
                _labelled(frame, headers).to_excel(writer, sheet_name=sheet, index=False)
                ws = writer.sheets[sheet]
                ws.freeze_panes = "A2"
                for i, column in enumerate(_labelled(frame.head(50), headers).columns, start=1):
                    # Width from the header and the first rows; CJK characters are double width.
                    texts = [str(column), *(str(v) for v in frame.iloc[:50, i - 1])]
                    width = max(sum(2 if ord(ch) > 0x2E80 else 1 for ch in t) for t in texts)
                    ws.column_dimensions[get_column_letter(i)].width = min(max(width + 2, 8), 60)
            fields = _field_labels_table(frames).rename(columns={"layer": "table"})
            fields.to_excel(writer, sheet_name=_sheet_name("字段说明" if headers == "zh"
                                                          else "fields", "key", used),
                            index=False)
            notes = [("note", f"{_NOT_REACHABLE[0]} / {_NOT_REACHABLE[1]}"),
                     *((k, str(v)) for k, v in (about or {}).items())]
            pd.DataFrame(notes, columns=["key", "value"]).to_excel(
                writer, sheet_name=_sheet_name("说明" if headers == "zh" else "about", "key",
                                               used), index=False)
    return out


# --------------------------------------------------------------------------------------------
# One entry point for every format


def export_layers(layers: Mapping[str, gpd.GeoDataFrame], tables: Mapping[str, pd.DataFrame],
                  *, fmt: str, out: str | os.PathLike[str], crs: str = "wgs84",
                  encoding: str = "utf-8", headers: str = "zh", layer: str | None = None,
                  table: str | None = None, about: Mapping[str, str] | None = None) -> Path:
    """Write layers and tables in format ``fmt`` (any of :data:`FORMATS` except ``html``).

    Returns
    -------
    pathlib.Path
        The file written.
    """
    fmt = str(fmt).lower()
    if fmt == "gpkg":
        return write_gpkg(layers, out, tables=tables, crs=crs, about=about)
    if fmt == "shp":
        return write_shapefile_zip(layers, out, tables=tables, crs=crs, encoding=encoding,
                                   about=about)
    if fmt == "geojson":
        return write_geojson(layers, out, crs=crs, layer=layer, about=about)
    if fmt in ("kml", "kmz"):
        return write_kml(layers, out, crs=crs, about=about)
    if fmt == "csv":
        return write_csv(tables, out, table=table, headers=headers, about=about)
    if fmt == "xlsx":
        return write_xlsx(tables, out, headers=headers, about=about)
    if fmt == "html":
        raise DataError("the HTML report needs the analysis", fix="use export_analysis or "
                        "planning.output.report.write_report")
    raise DataError(f"unknown export format '{fmt}'", fix=f"use one of {', '.join(FORMATS)}")


def analysis_layers(analysis: Analysis, *, siting: Any = None,
                    scenario_comparison: Any = None, circles: bool = True,
                    ) -> tuple[dict[str, gpd.GeoDataFrame], dict[str, pd.DataFrame]]:
    """Layers and tables of an analysis (plus siting results and a scenario comparison).

    ``circles=False`` leaves out the service-circle polygons (slow to draw on large networks).
    """
    layers = dict(analysis.layers(circles=circles))
    tables: dict[str, pd.DataFrame] = {
        "indicators": analysis.indicators,
        "community_table": analysis.community_table,
        "category_summary": analysis.category_summary,
    }
    if siting is not None:
        sites = siting.sites
        layers["recommended_sites"] = sites
        if getattr(siting, "circles", None) is not None and len(siting.circles):
            layers["site_circles"] = siting.circles
        site_table = pd.DataFrame(sites.drop(columns=sites.geometry.name))
        if "lon" not in site_table.columns:
            # Planners paste site coordinates into other tools: keep WGS84 lon/lat in the table.
            lonlat = sites.geometry.to_crs(4326)
            site_table["lon_wgs84"] = lonlat.x.round(7).to_numpy()
            site_table["lat_wgs84"] = lonlat.y.round(7).to_numpy()
        tables["recommended_sites"] = site_table
        before_after = getattr(siting, "community_before_after", None)
        if before_after is not None:
            tables["siting_before_after"] = before_after
    if scenario_comparison is not None:
        if hasattr(scenario_comparison, "categories") and hasattr(scenario_comparison,
                                                                  "communities"):
            # planning.siting.scenarios.Comparison: a table per category, and per community on the map.
            tables["scenario_comparison"] = scenario_comparison.categories
            per_community = pd.DataFrame(scenario_comparison.communities)
            tables["scenario_communities"] = per_community
            com = analysis.dataset.communities
            shapes = gpd.GeoDataFrame({"community_id": com["community_id"].astype(str)},
                                      geometry=com.geometry.to_numpy(), crs=com.crs)
            joined = shapes.merge(per_community, left_on="community_id", right_index=True,
                                  how="inner")
            layers["scenario_communities"] = gpd.GeoDataFrame(joined, geometry="geometry",
                                                              crs=com.crs)
        elif isinstance(scenario_comparison, gpd.GeoDataFrame):
            layers["scenario_communities"] = scenario_comparison
        else:
            tables["scenario_comparison"] = scenario_comparison
    return layers, tables


def analysis_about(analysis: Analysis, *, lang: Language = "zh") -> dict[str, str]:
    """Lines describing the data set and settings of an analysis, for README/notes sheets."""
    from dataclasses import fields

    ds = analysis.dataset
    meta = dict(getattr(ds, "meta", {}) or {})
    title = meta.get("title_zh" if lang == "zh" else "title_en") or ds.name
    about = {"dataset": str(title),
             "exported_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
             "categories": ", ".join(analysis.categories)}
    for key, value in ((f.name, getattr(analysis.settings, f.name))
                       for f in fields(analysis.settings)):
        about[f"setting.{key}"] = (json.dumps(dict(value), ensure_ascii=False)
                                   if isinstance(value, Mapping) else str(value))
    for i, line in enumerate(getattr(ds, "attribution", []) or [], start=1):
        about[f"attribution.{i}"] = str(line)
    for i, line in enumerate(getattr(ds, "notes", []) or [], start=1):
        about[f"data_note.{i}"] = str(line)
    return about


def export_analysis(analysis: Analysis, *, fmt: str, out: str | os.PathLike[str],
                    crs: str = "wgs84", encoding: str = "utf-8", siting: Any = None,
                    scenario_comparison: Any = None, headers: str = "zh",
                    layer: str | None = None, table: str | None = None,
                    lang: Language = "zh", pdf: bool = True) -> list[Path]:
    """Export an analysis (and optional siting result / scenario comparison) as ``fmt``.

    Parameters
    ----------
    analysis : planning.access.analysis.Analysis
    fmt : {"gpkg", "shp", "geojson", "kml", "kmz", "csv", "xlsx", "html"}
    out : path
        File to write (for ``html`` a PDF is written beside it when Chromium is installed).
    crs, encoding, headers, layer, table
        See the writer of each format.
    siting : planning.siting.SitingResult, optional
        Adds the ``recommended_sites`` and ``site_circles`` layers and their tables.
    scenario_comparison : planning.siting.scenarios.Comparison, DataFrame or GeoDataFrame, optional
        Adds the ``scenario_comparison`` table (per category) and the ``scenario_communities``
        layer and table (per community).
    lang : {"zh", "en"}
        Language of the report and of the notes.
    pdf : bool
        For ``html``: also print a PDF when a converter is available.

    Returns
    -------
    list of pathlib.Path
        Files written.
    """
    layers, tables = analysis_layers(analysis, siting=siting,
                                     scenario_comparison=scenario_comparison)
    about = analysis_about(analysis, lang=lang)
    if str(fmt).lower() == "html":
        from planning.output import report

        html_path, pdf_path, _ = report.write_analysis_report(
            analysis, out, siting=siting, scenario_comparison=scenario_comparison, crs=crs,
            lang=lang, pdf=pdf)
        return [p for p in (html_path, pdf_path) if p is not None]
    about["crs_choice"] = crs
    return [export_layers(layers, tables, fmt=fmt, out=out, crs=crs, encoding=encoding,
                          headers=headers, layer=layer, table=table, about=about)]



#: The name ARCHITECTURE.md gives this entry point.
export = export_analysis
