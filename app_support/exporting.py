"""Files for the export page: :mod:`planning.output.export` writes them, the page offers them for download."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from app_support.i18n import t
from planning import choices
from planning.output.fgdb import fgdb_file_name
from planning.output.files import csv_bytes

# The app offers every export format but KMZ (KML opens in Google Earth as it is).
FORMATS: tuple[str, ...] = tuple(f for f in choices.FORMATS if f != "kmz")
CRS_CHOICES: tuple[str, ...] = choices.OUTPUT_CRS
ENCODINGS: tuple[str, ...] = choices.ENCODINGS
# File suffix of each format: several layers or tables go into one zip.
SUFFIX = {"gpkg": ".gpkg", "fgdb": ".gdb.zip", "shp": ".zip", "geojson": ".zip", "kml": ".kml", "csv": ".zip", "xlsx": ".xlsx",
          "html": ".html"}
MIME = {".gpkg": "application/geopackage+sqlite3", ".zip": "application/zip",
        ".kml": "application/vnd.google-earth.kml+xml", ".xlsx":
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".html": "text/html",
        ".pdf": "application/pdf", ".csv": "text/csv"}
_FORMAT_NAMES = {"gpkg": "GeoPackage (.gpkg)", "fgdb": "File Geodatabase (.gdb.zip, ArcGIS)", "shp": "Shapefile (.zip)", "geojson": "GeoJSON (.zip)",
                 "kml": "KML (Google Earth)", "csv": "CSV (.zip)", "xlsx": "Excel (.xlsx)", "html": "HTML"}
_CRS_NAMES = {"wgs84": ("WGS84 经纬度（EPSG:4326）", "WGS84 lon/lat (EPSG:4326)"),
              "cgcs2000": ("CGCS2000 经纬度（EPSG:4490）", "CGCS2000 lon/lat (EPSG:4490)"),
              "cgcs2000-gk": ("CGCS2000 高斯-克吕格 3 度带（米）", "CGCS2000 Gauss-Krüger 3° zone (m)"),
              "gcj02": ("GCJ-02（高德/腾讯）", "GCJ-02 (Amap/Tencent)")}


def format_name(fmt: str) -> str:
    return _FORMAT_NAMES.get(fmt, fmt)


def crs_name(key: str, lang: str) -> str:
    pair = _CRS_NAMES.get(key)
    return key if pair is None else pair[1] if lang == "en" else pair[0]


def export_files(analysis: Any, *, fmt: str, crs: str = "wgs84", encoding: str = "utf-8",
                 siting: Any = None, scenario_comparison: pd.DataFrame | None = None,
                 lang: str = "zh", areas: bool = False) -> list[tuple[str, bytes, str]]:
    """(file name, bytes, MIME type) of every file :func:`planning.output.export.export_analysis` writes.

    ``areas``: include every category's travel-time rings and responsibility areas (slow on a
    city's network, so only when asked for).
    """
    from planning.output.export import export_analysis

    stem = f"{analysis.dataset.name}_service_circles"
    with tempfile.TemporaryDirectory(prefix="service-circles-export-") as work:
        out = Path(work) / f"{stem}{SUFFIX[fmt]}"
        if fmt == "fgdb":  # ArcGIS users keep many: the name says the data set and coordinates
            out = Path(work) / fgdb_file_name(analysis.dataset.name, crs,
                                              {"communities": analysis.dataset.communities})
        written = export_analysis(analysis, fmt=fmt, out=out, crs=crs, encoding=encoding, siting=siting,
                                  scenario_comparison=scenario_comparison, headers=lang,
                                  lang="en" if lang == "en" else "zh", pdf=False, rings=areas,
                                  responsibility=areas)
        return [(p.name, p.read_bytes(), MIME.get(p.suffix.lower(), "application/octet-stream"))
                for p in written]


def prepare_with_progress(analysis: Any, *, areas: bool, report: Callable[[str], None], lang: str) -> None:
    """Compute what an export of ``analysis`` needs, category by category, saying how far it got.

    Each step is kept on the analysis, so the export itself then only writes.
    """
    categories = list(analysis.categories)
    total = len(categories)
    for i, category in enumerate(categories):
        report(t("exp.step.supply", lang, done=i, total=total))
        analysis.supply_per_1000(category)
    for i, category in enumerate(categories):
        report(t("exp.step.circles", lang, done=i, total=total))
        analysis.circles_for([category])
    if areas:
        for i, category in enumerate(categories):
            report(t("exp.step.areas", lang, done=i, total=total))
            analysis.rings_for([category])
            analysis.responsibility_for([category])
    report(t("exp.step.write", lang))


def table_csvs(analysis: Any, *, siting: Any = None, lang: str = "zh") -> dict[str, bytes]:
    """The tables shown in the app as CSV (UTF-8 with BOM for Excel), headers in ``lang``."""
    from app_support import views

    tables: dict[str, pd.DataFrame] = {
        "indicators": views.indicator_table(analysis, lang=lang),
        "community_table": views.community_table(analysis, lang=lang),
        "category_summary": _category_summary(analysis, lang),
    }
    if siting is not None:
        tables["recommended_sites"] = views.readable_sites(
            pd.DataFrame(siting.sites.drop(columns=siting.sites.geometry.name)), lang=lang)
        tables["before_after"] = views.readable_before_after(siting.community_before_after.reset_index(), lang=lang)
    out = {}
    for name, frame in tables.items():
        file_name = f"{t(f'layer.{name}', lang)}.csv".replace("/", "_")
        # UTF-8 with BOM for Excel, names that look like formulas kept as text.
        out[file_name] = csv_bytes(views.translate_table(analysis, frame, lang))
    return out


def _category_summary(analysis: Any, lang: str) -> pd.DataFrame:
    from app_support.i18n import category_label

    frame = analysis.category_summary.reset_index()
    first = frame.columns[0]
    frame[first] = frame[first].map(lambda k: category_label(str(k), lang))
    return frame.rename(columns={first: "category"})
