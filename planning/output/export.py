"""Planning overlays for desktop GIS, Google Earth and Excel: GeoPackage, File Geodatabase,
Shapefile, GeoJSON, KML/KMZ, CSV and XLSX.

The writers take plain layers (``dict[str, GeoDataFrame]`` in any CRS) and tables
(``dict[str, DataFrame]``), so they work on any result; :func:`export_analysis` feeds them an
:class:`planning.access.analysis.Analysis` (and optionally siting results and a scenario comparison)
through :mod:`planning.output.layers`, and the ``html`` format to :mod:`planning.output.report`.
Every file says which coordinate system it uses, and every save goes through
:mod:`planning.output.files` (a temporary file in the target folder, then replacing the old
one), so a failed export never destroys it. KML/KMZ is written by :mod:`planning.output.kml`,
the File Geodatabase by :mod:`planning.output.fgdb`.

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

import datetime as dt
import os
import re
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from geo._errors import DataError
from planning.choices import ENCODINGS, FORMATS, OUTPUT_CRS
from planning.output import _shapefile, report
from planning.output.fgdb import write_fgdb
from planning.output.files import (
    csv_bytes,
    geometry_type,
    is_formula_like,
    plain,
    replacing,
    table_frame,
    write_geopackage,
)
from planning.output.kml import kml_document, write_kml
from planning.output.layers import (
    OutputCRS,
    analysis_about,
    analysis_labels,
    analysis_layers,
    output_crs,
    to_output_crs,
)
from planning.output.readable import readable
from planning.output.styles import first_view, layer_qml
from planning.texts import EXPORT_TEXT, LAYER_TITLES, TABLE_TITLES, Language, both, column_label, column_labels

if TYPE_CHECKING:
    from planning.access.analysis import Analysis

#: Names other modules and the tests use from here (some live in planning.output.layers/kml).
__all__ = ["OUTPUT_CRS", "OutputCRS", "analysis_about", "analysis_layers", "export",
           "export_analysis", "export_layers", "kml_document", "layer_styles", "output_crs",
           "to_output_crs", "write_csv", "write_geojson", "write_gpkg", "write_kml",
           "write_shapefile_zip", "write_xlsx"]

_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,62}$")
#: Headers that depend on the data (column → (zh, en)), e.g. from :func:`analysis_labels`.
Labels = Mapping[str, tuple[str, str]]


# --------------------------------------------------------------------------------------------
# Shared helpers


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


def _table_frame(table: pd.DataFrame) -> pd.DataFrame:
    """A table with its (named) index as the first column."""
    return table_frame(table)


def _description(name: str, info: OutputCRS, *, kind: str = "layer") -> str:
    titles = LAYER_TITLES if kind == "layer" else TABLE_TITLES
    zh, en = titles.get(name, (name, name))
    return f"{zh} / {en}. {info.note}"


def _readme(info: OutputCRS | None, *, about: Mapping[str, str] | None, encoding: str | None,
            extra: list[str], cpg: bool = False) -> str:
    lines = [both(EXPORT_TEXT, "about"), ""]
    if info is not None:
        lines += [info.note_zh, info.note_en, ""]
    if encoding is not None:
        where = f"（{both(EXPORT_TEXT, 'encoding_in_cpg')}）" if cpg else ""
        lines += [f"{both(EXPORT_TEXT, 'encoding')}: {encoding.upper()}{where}", ""]
    lines += [both(EXPORT_TEXT, "not_reachable"), ""]
    lines += extra
    if about:
        lines += [""] + [f"{k}: {v}" for k, v in about.items()]
    return "\r\n".join(lines) + "\r\n"


def _label(column: str, lang: str, labels: Labels | None) -> str:
    pair = (labels or {}).get(str(column))
    if pair is not None:
        return pair[0] if lang == "zh" else pair[1]
    return column_label(column, lang)  # type: ignore[arg-type]


def _labelled(frame: pd.DataFrame, headers: str, labels: Labels | None = None) -> pd.DataFrame:
    """Table with headers in ``headers`` ("zh", "en" or "key"), yes/no and engine notes in words.

    ``labels`` gives the headers of columns whose label depends on the data.
    """
    if headers == "key":
        return frame
    if headers not in ("zh", "en"):
        raise DataError(f"unknown header language '{headers}'", fix="use zh, en or key")
    # Codes in words, counts whole, shares to one decimal; indicator keys by their names.
    names = {k: pair[0] if headers == "zh" else pair[1] for k, pair in (labels or {}).items()}
    out = readable(frame, headers, indicators=names, ratios=False)
    labels = [_label(c, headers, labels) for c in out.columns]
    # Two columns with one label (e.g. unknown names) keep their key to stay distinct.
    counts = pd.Series(labels).value_counts()
    out.columns = [f"{lab} ({c})" if counts[lab] > 1 else lab
                   for lab, c in zip(labels, frame.columns)]
    return out


def _field_labels_table(layers: Mapping[str, pd.DataFrame],
                        labels: Labels | None = None) -> pd.DataFrame:
    rows = []
    for layer, frame in layers.items():
        geometry = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
        for column in frame.columns:
            if column == geometry:
                continue
            zh, en = (labels or {}).get(str(column)) or column_labels(column)
            rows.append({"layer": layer, "field": str(column), "label_zh": zh, "label_en": en})
    return pd.DataFrame(rows, columns=["layer", "field", "label_zh", "label_en"])


# --------------------------------------------------------------------------------------------
# GeoPackage


def layer_styles(layers: Mapping[str, gpd.GeoDataFrame]) -> pd.DataFrame:
    """Rows of a GeoPackage ``layer_styles`` table (the QGIS convention): a style for every
    layer, so that the first view in QGIS is readable (see :func:`planning.output.styles.layer_qml`)."""
    rows = []
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    communities = layers.get("communities")
    view = first_view(communities) if communities is not None else (None, None)
    titles = {"coverage": "style_coverage", "categories": "style_categories",
              "circle": "style_circle", "single": "style_single"}
    for name, gdf in layers.items():
        family = geometry_type(gdf, name, file=Path(name)).removeprefix("Multi")
        kind = {"Point": "marker", "Polygon": "fill"}.get(family, "line")
        styled = layer_qml(name, gdf, kind=kind, view=view)
        if styled is None:
            continue
        qml, shows = styled
        rows.append({"f_table_catalog": "", "f_table_schema": "", "f_table_name": name,
                     "f_geometry_column": "geom", "styleName": name, "styleQML": qml,
                     "styleSLD": "", "useAsDefault": True,
                     "description": both(EXPORT_TEXT, titles[shows]),
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
               styles: bool = True, about: Mapping[str, str] | None = None,
               labels: Labels | None = None) -> Path:
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
    labels : mapping of str to (str, str), optional
        ``field_labels`` of columns whose label depends on the data.

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
                 ("note", both(EXPORT_TEXT, "not_reachable")),
                 *((k, str(v)) for k, v in (about or {}).items())]
    frames: dict[str, pd.DataFrame] = dict(converted)
    options: dict[str, dict[str, str]] = {
        name: {"DESCRIPTION": _description(name, info)} for name in converted}
    metadata = {name: {"crs_note": info.note, "crs_key": info.key} for name in converted}
    for name, table in tables.items():
        frames[name] = _table_frame(table)
        options[name] = {"DESCRIPTION": _description(name, info, kind="table")}
    frames["export_info"] = pd.DataFrame(info_rows, columns=["key", "value"])
    frames["field_labels"] = _field_labels_table({**converted, **tables}, labels)
    if styles:
        style_rows = layer_styles(converted)
        if len(style_rows):
            # QGIS looks the styles up by these column names, with "id" as the key.
            frames["layer_styles"] = style_rows
            options["layer_styles"] = {"FID": "id"}
    return write_geopackage(out, frames, options=options, metadata=metadata)


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
    with tempfile.TemporaryDirectory(prefix="shp-export-") as work, replacing(out) as tmp:
        folder = Path(work)
        members: list[tuple[Path, str]] = []
        for name, gdf in converted.items():
            frame = plain(gdf)
            kind = geometry_type(frame, name, file=out)
            mapping = _shapefile.short_field_names(
                [c for c in frame.columns if c != frame.geometry.name], encoding=encoding)
            _shapefile.check_encodable(frame, codec=codec, layer=name, file=out)
            frame, notes = _shapefile.cut_long_text(frame, codec=codec)
            for column, note in notes.items():
                extra.append(f"{name}.{column}: {note}")
            frame = frame.rename(columns=mapping)
            path = folder / f"{name}.shp"
            _shapefile.write_shapefile(frame, path, encoding=encoding,
                                       geometry_type=kind)
            fields_csv = folder / f"{name}_fields.csv"
            fields_csv.write_bytes(csv_bytes(_shapefile.field_map_table(mapping, notes=notes)))
            members += [(p, p.name) for p in _shapefile.shapefile_members(path)]
            members.append((fields_csv, fields_csv.name))
        for name, table in tables.items():
            path = folder / f"{name}.csv"
            path.write_bytes(csv_bytes(_table_frame(table)))
            members.append((path, path.name))
        readme = _readme(info, about=about, encoding=encoding, cpg=True, extra=[
            both(EXPORT_TEXT, "short_fields"), *extra])
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("README.txt", readme.encode("utf-8-sig"))
            for path, arcname in members:
                zf.write(path, arcname)
    return out


# --------------------------------------------------------------------------------------------
# GeoJSON


def _geojson_file(gdf: gpd.GeoDataFrame, path: Path, name: str, info: OutputCRS) -> None:
    precision = 7 if info.is_geographic else 2  # ≈1 cm either way
    pyogrio.write_dataframe(plain(gdf), path, driver="GeoJSON", layer=name,
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
                replacing(out) as tmp:
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
    with replacing(out) as tmp:
        _geojson_file(converted[layer], tmp, layer, info)
    return out


# --------------------------------------------------------------------------------------------
# CSV / XLSX


def write_csv(tables: Mapping[str, pd.DataFrame], out: str | os.PathLike[str], *,
              table: str | None = None, headers: str = "zh",
              about: Mapping[str, str] | None = None, labels: Labels | None = None) -> Path:
    """Write tables as CSV in UTF-8 with BOM (Chinese headers open correctly in Excel).

    Texts that Excel would run as a formula (``=…``, ``+…``, ``-…``, ``@…``) get a ``'`` in
    front, so a name from the data is shown, never run.

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
    labels : mapping of str to (str, str), optional
        Headers of columns whose label depends on the data.
    """
    out = Path(out)
    if not tables:
        raise DataError("there are no tables to export", file=out,
                        fix="run the analysis first")
    _check_names(list(tables), file=out)
    if out.suffix.lower() == ".zip":
        with replacing(out) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("README.txt", _readme(None, about=about, encoding="utf-8",
                                              extra=[]).encode("utf-8-sig"))
            for name, frame in tables.items():
                zf.writestr(f"{name}.csv",
                            csv_bytes(_labelled(_table_frame(frame), headers, labels)))
        return out
    if out.suffix.lower() != ".csv":
        raise DataError("a CSV export must end in .csv (one table) or .zip (every table)",
                        file=out, fix="change the file name")
    table = table or next(iter(tables))
    if table not in tables:
        raise DataError(f"there is no table '{table}'", file=out,
                        fix=f"choose one of {', '.join(tables)}")
    with replacing(out) as tmp:
        tmp.write_bytes(csv_bytes(_labelled(_table_frame(tables[table]), headers, labels)))
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


def _sheet(writer: pd.ExcelWriter, frame: pd.DataFrame, sheet: str) -> Any:
    """Write ``frame`` as a sheet whose texts stay texts, even those that look like formulas."""
    frame.to_excel(writer, sheet_name=sheet, index=False)
    ws = writer.sheets[sheet]
    for j, column in enumerate(frame.columns, start=1):
        if is_formula_like(str(column)):
            _as_text(ws.cell(row=1, column=j))
        values = frame.iloc[:, j - 1]
        if pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values):
            for i in np.flatnonzero(values.map(is_formula_like).to_numpy(dtype=bool)):
                _as_text(ws.cell(row=int(i) + 2, column=j))
    return ws


def _as_text(cell: Any) -> None:
    # A string cell with Excel's quote prefix: shown as written, not run even when edited.
    cell.data_type = "s"
    cell.quotePrefix = True


def write_xlsx(tables: Mapping[str, pd.DataFrame], out: str | os.PathLike[str], *,
               headers: str = "zh", about: Mapping[str, str] | None = None,
               labels: Labels | None = None) -> Path:
    """Write tables into one Excel workbook: a sheet per table, plus field labels and notes.

    Every text cell stays a text: names such as ``=HYPERLINK(…)`` are stored as strings with
    Excel's quote prefix, never as formulas.

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
    labels : mapping of str to (str, str), optional
        Headers of columns whose label depends on the data.
    """
    from openpyxl.utils import get_column_letter

    out = Path(out)
    _check_suffix(out, ".xlsx", "an Excel export must end in .xlsx")
    if not tables:
        raise DataError("there are no tables to export", file=out, fix="run the analysis first")
    _check_names(list(tables), file=out)
    used: set[str] = set()
    frames = {name: _table_frame(frame) for name, frame in tables.items()}
    with replacing(out) as tmp:
        with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
            for name, frame in frames.items():
                ws = _sheet(writer, _labelled(frame, headers, labels),
                            _sheet_name(name, headers, used))
                ws.freeze_panes = "A2"
                for i, column in enumerate(_labelled(frame.head(50), headers, labels).columns,
                                           start=1):
                    # Width from the header and the first rows; CJK characters are double width.
                    texts = [str(column), *(str(v) for v in frame.iloc[:50, i - 1])]
                    width = max(sum(2 if ord(ch) > 0x2E80 else 1 for ch in t) for t in texts)
                    ws.column_dimensions[get_column_letter(i)].width = min(max(width + 2, 8), 60)
            fields = _field_labels_table(frames, labels).rename(columns={"layer": "table"})
            _sheet(writer, fields, _sheet_name("字段说明" if headers == "zh" else "fields", "key",
                                               used))
            notes = [("note", both(EXPORT_TEXT, "not_reachable")),
                     *((k, str(v)) for k, v in (about or {}).items())]
            _sheet(writer, pd.DataFrame(notes, columns=["key", "value"]),
                   _sheet_name("说明" if headers == "zh" else "about", "key", used))
    return out


# --------------------------------------------------------------------------------------------
# One entry point for every format


def export_layers(layers: Mapping[str, gpd.GeoDataFrame], tables: Mapping[str, pd.DataFrame],
                  *, fmt: str, out: str | os.PathLike[str], crs: str = "wgs84",
                  encoding: str = "utf-8", headers: str = "zh", layer: str | None = None,
                  table: str | None = None, about: Mapping[str, str] | None = None,
                  labels: Labels | None = None) -> Path:
    """Write layers and tables in format ``fmt`` (any of :data:`FORMATS` except ``html``).

    ``labels`` gives the headers of columns whose label depends on the data (see
    :func:`planning.output.layers.analysis_labels`).

    Returns
    -------
    pathlib.Path
        The file written.
    """
    fmt = str(fmt).lower()
    if fmt == "gpkg":
        return write_gpkg(layers, out, tables=tables, crs=crs, about=about, labels=labels)
    if fmt == "fgdb":
        # Aliases and values in the header language; "key" keeps the codes (aliases in Chinese).
        return write_fgdb(layers, out, tables=tables, crs=crs, lang=headers if headers in (
            "zh", "en") else "zh", codes=headers == "key", about=about, labels=labels)
    if fmt == "shp":
        return write_shapefile_zip(layers, out, tables=tables, crs=crs, encoding=encoding,
                                   about=about)
    if fmt == "geojson":
        return write_geojson(layers, out, crs=crs, layer=layer, about=about)
    if fmt in ("kml", "kmz"):
        return write_kml(layers, out, crs=crs, about=about)
    if fmt == "csv":
        return write_csv(tables, out, table=table, headers=headers, about=about, labels=labels)
    if fmt == "xlsx":
        return write_xlsx(tables, out, headers=headers, about=about, labels=labels)
    if fmt == "html":
        raise DataError("the HTML report needs the analysis", fix="use export_analysis or "
                        "planning.output.report.write_report")
    raise DataError(f"unknown export format '{fmt}'", fix=f"use one of {', '.join(FORMATS)}")


def export_analysis(analysis: Analysis, *, fmt: str, out: str | os.PathLike[str],
                    crs: str = "wgs84", encoding: str = "utf-8", siting: Any = None,
                    scenario_comparison: Any = None, headers: str = "zh",
                    layer: str | None = None, table: str | None = None,
                    lang: Language = "zh", pdf: bool = True, rings: bool = True,
                    responsibility: bool = True) -> list[Path]:
    """Export an analysis (and optional siting result / scenario comparison) as ``fmt``.

    Parameters
    ----------
    analysis : planning.access.analysis.Analysis
    fmt : {"gpkg", "fgdb", "shp", "geojson", "kml", "kmz", "csv", "xlsx", "html"}
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
    rings, responsibility : bool
        Include the travel-time rings and the responsibility areas of every category (on a
        city's network each takes a minute or more; the app asks for them only when wanted).

    Returns
    -------
    list of pathlib.Path
        Files written.
    """
    if str(fmt).lower() == "html":
        html_path, pdf_path, _ = report.write_analysis_report(
            analysis, out, siting=siting, scenario_comparison=scenario_comparison, crs=crs,
            lang=lang, pdf=pdf)
        return [p for p in (html_path, pdf_path) if p is not None]
    layers, tables = analysis_layers(analysis, siting=siting,
                                     scenario_comparison=scenario_comparison, rings=rings,
                                     responsibility=responsibility)
    about = analysis_about(analysis, lang=lang)
    about["crs_choice"] = crs
    return [export_layers(layers, tables, fmt=fmt, out=out, crs=crs, encoding=encoding,
                          headers=headers, layer=layer, table=table, about=about,
                          labels=analysis_labels(analysis))]


#: The name ARCHITECTURE.md gives this entry point.
export = export_analysis
