"""``python -m planning site``: recommend sites for new facilities of one category.

Examples
--------
``python -m planning site --category community_living_room --new-sites 5`` ranks the five sites
that bring the most residents into a 社区客厅 circle; ``--target-pct 100`` asks instead for the
fewest sites that cover everyone (set covering); ``--model pmedian`` minimises total travel time.
``--out DIR`` writes ``sites.gpkg`` (sites and their circles), ``sites.csv`` and
``communities_before_after.csv`` (UTF-8 with BOM); ``--scenario NAME`` also saves the sites as a
scenario GeoPackage ``DIR/NAME.gpkg``.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING

from geo._errors import DataError
from planning.choices import CANDIDATE_CHOICES, COORD_SYSTEMS, DEFAULT_DATA, MODELS, PROFILES
from planning.commands._groups import add_group_arguments, group_settings
from planning.siting import DEFAULT_PERSONS_PER_M2
from planning.siting.candidates import DEFAULT_GENERATED

if TYPE_CHECKING:
    from planning.siting import SitingResult



def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA,
                        help="data-set folder, GeoPackage or zip (default: the bundled data/xian)")
    parser.add_argument("--category", required=True, help="facility category key, e.g. community_living_room")
    how = parser.add_mutually_exclusive_group(required=True)
    how.add_argument("--new-sites", type=int, default=None, help="number of new sites (mclp, pmedian)")
    how.add_argument("--target-pct", type=float, default=None,
                     help="coverage share to reach with the fewest sites (lscp)")
    parser.add_argument("--model", choices=MODELS, default=None,
                        help="mclp (most residents covered), lscp (fewest sites for a target), "
                             "pmedian (least total travel time); default mclp, or lscp with --target-pct")
    parser.add_argument("--candidates", choices=CANDIDATE_CHOICES, default="both",
                        help="given candidates (idle buildings …), generated ones, or both (default)")
    parser.add_argument("--generated", type=int, default=DEFAULT_GENERATED,
                        help=f"number of generated candidates (default {DEFAULT_GENERATED})")
    parser.add_argument("--min-floor-area", type=float, default=None, metavar="M2",
                        help="leave out given candidates smaller than this floor area")
    parser.add_argument("--capacity", action="store_true",
                        help="each site serves at most its capacity (floor area × persons per m²)")
    parser.add_argument("--persons-per-m2", type=float, default=DEFAULT_PERSONS_PER_M2,
                        help=f"residents served per m² of floor area (default {DEFAULT_PERSONS_PER_M2:g})")
    parser.add_argument("--time-limit", type=float, default=60.0, metavar="S",
                        help="seconds for the exact solver (0: greedy only; default 60)")
    parser.add_argument("--out", type=Path, default=None, help="folder for sites.gpkg and the CSV tables")
    parser.add_argument("--scenario", default=None, help="also save the sites as scenario NAME (needs --out)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--coords", default=None, choices=COORD_SYSTEMS,
                        help="coordinate system of lon/lat layers (default: dataset.toml or wgs84)")
    parser.add_argument("--profile", default="standard", choices=PROFILES,
                        help="walking profile (elderly: 60 m/min)")
    add_group_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from geo.dataset_loader import load_dataset
    from geo.taxonomy import CATEGORIES
    from planning.access.analysis import analyze
    from planning.settings import Settings
    from planning.siting import recommend_sites

    # Cheap checks first, before the data set is loaded.
    if args.category not in CATEGORIES:
        raise DataError(f"unknown category {args.category!r}", fix=f"use one of {', '.join(CATEGORIES)}")
    model = args.model or ("lscp" if args.target_pct is not None else "mclp")
    if model in ("mclp", "pmedian") and args.new_sites is None:
        raise DataError(f"the {model} model needs --new-sites P", fix="give --new-sites 1 or more")
    if model == "lscp" and args.new_sites is not None:
        raise DataError("the lscp model finds the number of sites itself", fix="give --target-pct instead")
    if args.new_sites is not None and args.new_sites < 1:
        raise DataError(f"--new-sites must be 1 or more, got {args.new_sites}", fix="give --new-sites 1 or more")
    if not (args.persons_per_m2 > 0 and math.isfinite(args.persons_per_m2)):
        raise DataError(f"--persons-per-m2 must be a positive number, got {args.persons_per_m2:g}",
                        fix=f"give --persons-per-m2 such as {DEFAULT_PERSONS_PER_M2:g}")
    if args.generated < 0:
        raise DataError(f"--generated must be 0 or more, got {args.generated}",
                        fix=f"give --generated such as {DEFAULT_GENERATED}, or --candidates given")
    if args.scenario and args.out is None:
        raise DataError("--scenario needs --out", fix="give --out DIR for the scenario GeoPackage")
    data = Path(args.data)
    if not data.exists():
        raise DataError("the data set does not exist", file=data,
                        fix="give --data a data-set folder, GeoPackage or zip")

    if args.out is not None and Path(args.out).exists() and not Path(args.out).is_dir():
        raise DataError("--out names a file, but it must be a folder", file=args.out,
                        fix="Give --out a folder (it is created when missing)")

    dataset = load_dataset(data, coords=args.coords)
    settings = Settings(profile=args.profile, **group_settings(args))
    analysis = analyze(dataset, settings)
    result = recommend_sites(
        dataset, analysis, category=args.category, model=model, new_sites=args.new_sites,
        target_pct=args.target_pct, candidates=args.candidates, min_floor_area_m2=args.min_floor_area,
        time_limit_s=args.time_limit, capacity=args.capacity, persons_per_m2=args.persons_per_m2,
        n_generated=args.generated,
    )
    written = []
    if args.out is not None:
        written = result.write(Path(args.out))
        if args.scenario:
            from planning.siting.scenarios import save_scenario

            written.append(save_scenario(Path(args.out) / f"{args.scenario}.gpkg", analysis, result,
                                         name=args.scenario))
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False, allow_nan=False))
    else:
        _print_summary(result, written)
    return 0


def _print_summary(r: SitingResult, written: list[Path]) -> None:
    verdict = {"exact": "optimal (proved by HiGHS)",
               "greedy": f"greedy, within {r.gap_pct:.2f} % of the optimum",
               "incumbent": f"best found in the time limit, within {r.gap_pct:.2f} % of the optimum"}
    print(f"Category {r.category}, model {r.model}: {len(r.sites)} new site(s), "
          f"{verdict.get(r.solver, r.solver)}")
    pct_before = 100.0 * r.covered_before / r.total_population if r.total_population else 0.0
    pct_after = 100.0 * r.covered_after / r.total_population if r.total_population else 0.0
    print(f"Residents inside the circle: {r.covered_before:,} ({pct_before:.1f} %) → "
          f"{r.covered_after:,} ({pct_after:.1f} %) of {r.total_population:,}")
    if r.total_minutes_before is not None:
        print(f"Total travel time: {r.total_minutes_before:,.0f} → {r.total_minutes_after or 0:,.0f} person-minutes")
    width = max([len("candidate")] + [len(str(c)) for c in r.sites["candidate_id"]])
    print(f"\nrank  {'candidate':<{width}}  newly covered  cumulative %  lon         lat         name")
    for s in r.sites.itertuples(index=False):
        print(f"{s.rank:>4}  {s.candidate_id:<{width}}  {s.newly_covered:>13,.0f}  {s.cumulative_pct:>12.1f}  "
              f"{s.lon:<10.6f}  {s.lat:<10.6f}  {s.name}")
    for note in r.notes:
        print(f"note: {note}")
    if written:
        print("\nWrote " + ", ".join(str(p) for p in written))
