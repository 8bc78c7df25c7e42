"""``python -m planning export``: planning overlays for GIS, Google Earth and Excel, or the report.

Examples
--------
``python -m planning export --format gpkg --out yushan.gpkg`` writes every result layer of the
bundled data set into one GeoPackage (WGS84);
``python -m planning export --format fgdb --crs cgcs2000 --out xian_cgcs2000.gdb.zip`` writes
them into a File Geodatabase for ArcGIS, with Chinese field aliases;
``python -m planning export --data my_city/ --format shp --crs cgcs2000-gk --encoding gbk
--out overlays.zip`` writes GBK Shapefiles in the CGCS2000 Gauss-Krüger zone of the data;
``python -m planning export --format html --site-category community_living_room --new-sites 5
--out report.html`` writes the planning report with five recommended community living rooms
(and ``report.pdf`` when Chromium is installed).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from geo._errors import DataError
from planning.choices import DEFAULT_DATA, ENCODINGS, FORMATS, HEADERS, LANGUAGES, PAPERS, PROFILES
from planning.choices import OUTPUT_CRS as CRS_CHOICES


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA,
                        help="data-set folder, GeoPackage or zip (default: the bundled data/xian)")
    parser.add_argument("--format", dest="fmt", required=True, metavar="FORMAT",
                        help=f"one of {', '.join(FORMATS)}")
    parser.add_argument("--out", type=Path, required=True,
                        help="file to write (.gpkg; .gdb.zip for fgdb; .zip for shp; .zip or "
                        ".geojson; .kml/.kmz; .csv or .zip; .xlsx; .html)")
    parser.add_argument("--crs", default="wgs84", metavar="CRS",
                        help=f"output coordinates: {', '.join(CRS_CHOICES)} (default wgs84)")
    parser.add_argument("--encoding", default="utf-8", metavar="ENCODING",
                        help="Shapefile text encoding: utf-8 or gbk (default utf-8)")
    parser.add_argument("--category", nargs="+", action="extend", default=None, metavar="KEY",
                        help="categories to analyse (default: every category in the data)")
    parser.add_argument("--coords", default=None, metavar="SYSTEM",
                        help="coordinate system of lon/lat input layers: wgs84, cgcs2000, gcj02, "
                        "bd09 (default: dataset.toml or wgs84)")
    parser.add_argument("--targets", default=None,
                        help="targets name (e.g. maanshan_14th_fyp) or .toml path")
    parser.add_argument("--profile", default="standard", metavar="PROFILE",
                        help="walking profile: standard or elderly (60 m/min)")
    parser.add_argument("--lang", default="zh", metavar="LANG",
                        help="language of headers and the report: zh or en (default zh)")
    parser.add_argument("--headers", default=None, metavar="HEADERS",
                        help="CSV/XLSX column headers: zh, en or key (default: --lang)")
    parser.add_argument("--layer", default=None,
                        help="layer for a single .geojson file (e.g. communities)")
    parser.add_argument("--table", default=None,
                        help="table for a single .csv file (indicators, community_table, "
                        "category_summary…)")
    parser.add_argument("--site-category", default=None, metavar="KEY",
                        help="also recommend sites for this category and export them")
    parser.add_argument("--new-sites", type=int, default=None, metavar="N",
                        help="number of new sites to recommend (with --site-category)")
    parser.add_argument("--no-pdf", action="store_true",
                        help="with --format html: do not print a PDF")
    parser.add_argument("--paper", default="A4", metavar="SIZE",
                        help=f"with --format html: paper it prints on, {' or '.join(PAPERS)} "
                        "(default A4)")


def _check_choice(value: str, choices: tuple[str, ...], option: str) -> str:
    value = str(value).lower()
    if value not in choices:
        raise DataError(f"{option} '{value}' is not known", fix=f"use one of {', '.join(choices)}")
    return value


def run(args: argparse.Namespace) -> int:
    from geo.dataset_loader import load_dataset
    from geo.taxonomy import CATEGORIES
    from planning.access.analysis import analyze
    from planning.output import export, report
    from planning.settings import Settings

    fmt = _check_choice(args.fmt, FORMATS, "--format")
    crs = _check_choice(args.crs, CRS_CHOICES, "--crs")
    encoding = _check_choice(args.encoding.replace("_", "-"), ENCODINGS, "--encoding")
    lang = _check_choice(args.lang, LANGUAGES, "--lang")
    headers = _check_choice(args.headers or lang, HEADERS, "--headers")
    profile = _check_choice(args.profile, PROFILES, "--profile")
    paper = str(args.paper).upper()
    if paper not in PAPERS:
        raise DataError(f"--paper '{args.paper}' is not known", fix=f"use one of {', '.join(PAPERS)}")
    for key in args.category or []:
        if key not in CATEGORIES:
            raise DataError(f"--category '{key}' is not a facility category",
                            fix=f"use one of {', '.join(CATEGORIES)}")
    if args.site_category is not None and args.site_category not in CATEGORIES:
        raise DataError(f"--site-category '{args.site_category}' is not a facility category",
                        fix=f"use one of {', '.join(CATEGORIES)}")
    if args.new_sites is not None and args.site_category is None:
        raise DataError("--new-sites needs --site-category",
                        fix="give --site-category KEY, e.g. community_living_room")
    if args.new_sites is not None and args.new_sites < 1:
        raise DataError("--new-sites must be at least 1")
    out = Path(args.out)
    try:  # a new folder for the output is made, as a planner naming out/plan.gpkg expects
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"cannot create the output folder ({exc.strerror or exc})", file=out.parent,
                        fix="choose another path") from exc
    data = Path(args.data)
    if not data.exists():
        raise DataError("the data set does not exist", file=data,
                        fix="give --data a data-set folder, GeoPackage or zip")

    dataset = load_dataset(data, coords=args.coords)
    categories = list(args.category) if args.category else None
    if categories and args.site_category and args.site_category not in categories:
        categories.append(args.site_category)
    analysis = analyze(dataset, Settings(profile=profile), categories=categories,
                       targets=args.targets)
    siting = None
    if args.site_category is not None:
        from planning.siting import recommend_sites

        siting = recommend_sites(dataset, analysis, category=args.site_category,
                                 new_sites=args.new_sites)

    if fmt == "html":
        _, _, message = report.write_analysis_report(analysis, out, siting=siting, crs=crs,
                                                     lang=lang, pdf=not args.no_pdf, paper=paper)
        print(message)
        return 0
    if fmt == "kml" and out.suffix.lower() == ".kmz":
        fmt = "kmz"
    written = export.export_analysis(analysis, fmt=fmt, out=out, crs=crs, encoding=encoding,
                                     siting=siting, headers=headers, layer=args.layer,
                                     table=args.table, lang=lang)  # type: ignore[arg-type]
    for path in written:
        print(f"wrote {path}")
    return 0
