"""KML and KMZ for Google Earth and 奥维 maps: a folder per layer, features coloured by category.

Examples
--------
>>> import geopandas as gpd
>>> from shapely.geometry import Point
>>> sites = gpd.GeoDataFrame({"name": ["和平社区客厅"]}, geometry=[Point(668000, 3500000)],
...                          crs=32650)
>>> write_kml({"recommended_sites": sites}, "/tmp/sites.kmz").name
'sites.kmz'
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo._errors import DataError
from geo.taxonomy import CATEGORIES
from planning.output.files import plain, replacing
from planning.output.layers import OutputCRS, to_output_crs
from planning.output.styles import coverage_colour, rgb
from planning.texts import LAYER_TITLES, column_label


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
        frame = plain(gdf)
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
    with replacing(out) as tmp:
        if out.suffix.lower() == ".kmz":
            with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
                zf.writestr("doc.kml", document)  # the name Google Earth looks for
        else:
            tmp.write_bytes(document)
    return out
