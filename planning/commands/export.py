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
(and ``report.pdf`` when Chromium is installed);
``python -m planning export --format gpkg --out plan.gpkg --surfaces`` also writes each
category's travel-time surface as ``plan_surfaces/<category>.tif`` in the chosen ``--crs``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from geo._errors import DataError
from planning.choices import ENCODINGS, FORMATS, HEADERS, LANGUAGES, PAPERS
from planning.choices import OUTPUT_CRS as CRS_CHOICES
from planning.commands import _common
from planning.commands._groups import add_group_arguments, group_settings
from planning.distributed.cli import add_partition_arguments, analyze_from_args


def add_arguments(parser: argparse.ArgumentParser) -> None:
    _common.add_data_options(parser)
    parser.add_argument("--format", dest="fmt", required=True, metavar="FORMAT",
                        help=f"one of {', '.join(FORMATS)}")
    parser.add_argument("--out", type=Path, required=True,
                        help="file to write (.gpkg; .gdb.zip for fgdb; .zip for shp; .zip or "
                        ".geojson; .kml/.kmz; .csv or .zip; .xlsx; .html)")
    parser.add_argument("--crs", default="wgs84", metavar="CRS",
                        help=f"output coordinates: {', '.join(CRS_CHOICES)} (default wgs84)")
    parser.add_argument("--encoding", default="utf-8", metavar="ENCODING",
                        help=f"Shapefile text encoding: {' or '.join(ENCODINGS)} (default utf-8)")
    parser.add_argument("--category", nargs="+", action="extend", default=None, metavar="KEY",
                        help="categories to analyse (default: every category in the data)")
    parser.add_argument("--targets", default=None,
                        help="targets name (e.g. maanshan_14th_fyp) or .toml path")
    _common.add_lang_option(parser, what="headers and the report")
    parser.add_argument("--headers", default=None, metavar="HEADERS",
                        help=f"CSV/XLSX column headers: {', '.join(HEADERS)} (default: --lang)")
    parser.add_argument("--layer", default=None,
                        help="layer for a single .geojson file (e.g. communities)")
    parser.add_argument("--table", default=None,
                        help="table for a single .csv file (indicators, community_table, "
                        "category_summary…)")
    parser.add_argument("--site-category", default=None, metavar="KEY",
                        help="also recommend sites for this category and export them")
    parser.add_argument("--new-sites", type=int, default=None, metavar="N",
                        help="number of new sites to recommend (with --site-category)")
    parser.add_argument("--surfaces", action="store_true",
                        help="also write each category's travel-time surface as GeoTIFF into "
                        "<out name>_surfaces/ beside the output")
    _common.add_rings_argument(parser)
    parser.add_argument("--no-pdf", action="store_true",
                        help="with --format html: do not print a PDF")
    add_partition_arguments(parser)
    add_group_arguments(parser)
    parser.add_argument("--paper", default="A4", metavar="SIZE",
                        help=f"with --format html: paper it prints on, {' or '.join(PAPERS)} "
                        "(default A4)")


def run(args: argparse.Namespace) -> int:
    fmt = _common.check_choice(args.fmt, FORMATS, "--format")
    crs = _common.check_choice(args.crs, CRS_CHOICES, "--crs")
    encoding = _common.check_choice(args.encoding.replace("_", "-"), ENCODINGS, "--encoding")
    lang = _common.check_choice(args.lang, LANGUAGES, "--lang")
    headers = _common.check_choice(args.headers or lang, HEADERS, "--headers")
    paper = _common.check_choice(args.paper, tuple(p.lower() for p in PAPERS), "--paper").upper()
    _common.check_data_options(args)
    for key in args.category or []:
        _common.check_category(key, "--category")
    if args.site_category is not None:
        _common.check_category(args.site_category, "--site-category")
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
    _common.check_data_path(args.data)

    # The engine is imported once the cheap checks have passed: a typo fails at once.
    from planning.output import export, report
    from planning.settings import Settings

    dataset = _common.load(args)
    categories = list(args.category) if args.category else None
    if categories and args.site_category and args.site_category not in categories:
        categories.append(args.site_category)
    settings = Settings(profile=args.profile, **_common.rings_settings(args.rings), **group_settings(args))
    analysis = analyze_from_args(args, dataset, settings, categories=categories,
                                 targets=args.targets)
    siting = None
    if args.site_category is not None:
        from planning.siting import recommend_sites

        siting = recommend_sites(dataset, analysis, category=args.site_category,
                                 new_sites=args.new_sites)

    if fmt == "html":
        _, _, message = report.write_analysis_report(analysis, out, siting=siting, crs=crs,
                                                     lang=lang, pdf=not args.no_pdf, paper=paper)
        written = []
    else:
        if fmt == "kml" and out.suffix.lower() == ".kmz":
            fmt = "kmz"
        written = export.export_analysis(analysis, fmt=fmt, out=out, crs=crs, encoding=encoding,
                                         siting=siting, headers=headers, layer=args.layer,
                                         table=args.table, lang=lang)  # type: ignore[arg-type]
    if args.surfaces:
        from planning.output.rasters import write_surfaces

        written += write_surfaces(analysis, out.with_name(f"{out.stem}_surfaces"), crs=crs)
    _common.print_problems(_common.problems(
        dataset, categories=args.category or (), optional=[args.site_category] if args.site_category else ()))
    if fmt == "html":
        print(message)
    for path in written:
        print(f"wrote {path}")
    return 0
