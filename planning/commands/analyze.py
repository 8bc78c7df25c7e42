"""``python -m planning analyze``: coverage, indicators and service circles of a data set.

Examples
--------
``python -m planning analyze --json`` prints one JSON object for the bundled data set;
``python -m planning analyze --data my_city/ --targets maanshan_14th_fyp --out results/`` writes
``results/analysis.gpkg`` (demand points, communities with indicator columns, circle polygons)
and ``results/indicators.csv`` (UTF-8 with BOM, so Excel shows the Chinese names).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from geo._errors import DataError
from planning.choices import DEFAULT_DATA
from planning.commands import _common
from planning.commands._groups import add_group_arguments, group_settings
from planning.distributed.cli import add_partition_arguments, analyze_from_args

if TYPE_CHECKING:
    from planning.access.analysis import Analysis

__all__ = ["DEFAULT_DATA", "add_arguments", "run", "write_outputs"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    _common.add_data_options(parser)
    parser.add_argument("--categories", default=None,
                        help="comma-separated category keys (default: every category in the data)")
    parser.add_argument("--out", type=Path, default=None,
                        help="folder for analysis.gpkg and indicators.csv")
    _common.add_json_option(parser)
    parser.add_argument("--targets", default=None,
                        help="targets name (maanshan_14th_fyp, national_baseline) or .toml path")
    _common.add_rings_argument(parser)
    parser.add_argument("--surfaces", action="store_true",
                        help="with --out: also write each category's travel-time surface as "
                        "surfaces/<category>.tif")
    add_partition_arguments(parser)
    add_group_arguments(parser)


def run(args: argparse.Namespace) -> int:
    _common.check_data_options(args)
    wanted = None
    if args.categories is not None:
        wanted = [key.strip() for key in args.categories.split(",") if key.strip()]
        if not wanted:
            raise DataError(f"--categories {args.categories!r} names no category",
                            fix="Give comma-separated keys such as health,elderly_care, or leave "
                            "--categories out for every category in the data")
    _common.check_data_path(args.data)
    _common.check_out_folder(args.out)
    # The engine is imported once the cheap checks have passed: a typo fails at once.
    from planning.settings import Settings

    dataset = _common.load(args)
    settings = Settings(profile=args.profile, **_common.rings_settings(args.rings), **group_settings(args))
    result = analyze_from_args(args, dataset, settings, categories=args.categories, targets=args.targets)
    if args.out is not None:
        write_outputs(result, Path(args.out))
        if args.surfaces:
            from planning.output.rasters import write_surfaces

            write_surfaces(result, Path(args.out) / "surfaces")
    found = _common.problems(dataset, categories=wanted or ())
    _common.print_problems(found)
    if args.json:
        _common.print_json(result.to_json(groups=True), found)
    else:
        _print_summary(result, args.out)
    return 0


def write_outputs(result: Analysis, out: Path) -> tuple[Path, Path]:
    """Write ``analysis.gpkg`` and ``indicators.csv`` into ``out`` without destroying old files."""
    from planning.output.files import write_csv, write_geopackage

    out.mkdir(parents=True, exist_ok=True)
    layers = result.layers()
    gpkg = write_geopackage(out / "analysis.gpkg",
                            {name: layers[name] for name in ("demand", "communities", "circles", "rings",
                                                             "responsibility_areas", "uncovered")})
    table = result.indicators.copy()
    table["communities_missing"] = table["communities_missing"].map(
        lambda ids: "; ".join(map(str, ids)) if isinstance(ids, list) else "")
    table["pass"] = table["pass"].map(lambda v: "" if v is None else ("pass" if v else "fail"))
    csv = write_csv(out / "indicators.csv", table)
    return gpkg, csv


def _print_summary(r: Analysis, out: Path | None) -> None:
    import pandas as pd

    print(f"Data set: {r.dataset.name}  population {r.total_population:,.0f}  "
          f"demand points {len(r.demand_minutes):,}")
    outside = r.coverage.outside_points
    if outside:
        print(f"{outside:,} demand points lie outside every community (urban circle applied).")
    summary = r.category_summary
    print("\ncategory                    facilities  covered population  coverage %  target group  group %")
    for cat, row in summary.iterrows():
        group_pct = "—" if pd.isna(row["group_coverage_pct"]) else f"{row['group_coverage_pct']:.1f}"
        print(f"{cat:<28}{int(row['facilities']):>10}  {row['covered_population']:>18,.0f}  "
              f"{row['coverage_pct']:>9.1f}  {row['target_group']:<12}  {group_pct:>7}")
    for note in r.group_notes:
        print(f"note: {note}")
    print("\nindicator                                   value     target   result")
    for row in r.indicators.to_dict("records"):
        verdict = "no data" if row["pass"] is None and pd.isna(row["value"]) else (
            "report" if row["pass"] is None else ("pass" if row["pass"] else "FAIL"))
        value = "—" if pd.isna(row["value"]) else f"{row['value']:.1f}"
        target = "—" if pd.isna(row["target"]) else f"{row['target']:g}"
        print(f"{row['name']:<42}{value:>8}  {target:>8}   {verdict}")
    if out is not None:
        print(f"\nWrote {out / 'analysis.gpkg'} and {out / 'indicators.csv'}")
