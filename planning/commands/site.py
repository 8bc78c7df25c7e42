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
import math
from pathlib import Path
from typing import TYPE_CHECKING

from geo._errors import DataError
from planning.choices import CANDIDATE_CHOICES, DEFAULT_GENERATED, DEFAULT_PERSONS_PER_M2, DEFAULT_TIME_LIMIT_S, MODELS
from planning.commands import _common
from planning.commands._groups import add_group_arguments, group_settings

if TYPE_CHECKING:
    from planning.siting import SitingResult


def add_arguments(parser: argparse.ArgumentParser) -> None:
    _common.add_data_options(parser)
    parser.add_argument("--category", required=True, help="facility category key, e.g. community_living_room")
    how = parser.add_mutually_exclusive_group(required=True)
    how.add_argument("--new-sites", type=int, default=None, help="number of new sites (mclp, pmedian)")
    how.add_argument("--target-pct", type=float, default=None,
                     help="coverage share to reach with the fewest sites (lscp)")
    parser.add_argument("--model", default=None, metavar="MODEL",
                        help="mclp (most residents covered), lscp (fewest sites for a target), "
                             "pmedian (least total travel time); default mclp, or lscp with --target-pct")
    parser.add_argument("--candidates", default="both", metavar="SOURCE",
                        help="given candidates (idle buildings …), generated ones, or both (default)")
    parser.add_argument("--generated", type=int, default=DEFAULT_GENERATED,
                        help=f"number of generated candidates (default {DEFAULT_GENERATED})")
    parser.add_argument("--min-floor-area", type=float, default=None, metavar="M2",
                        help="leave out given candidates smaller than this floor area")
    parser.add_argument("--capacity", action="store_true",
                        help="each site serves at most its capacity (floor area × persons per m²)")
    parser.add_argument("--persons-per-m2", type=float, default=DEFAULT_PERSONS_PER_M2,
                        help=f"residents served per m² of floor area (default {DEFAULT_PERSONS_PER_M2:g})")
    parser.add_argument("--time-limit", type=float, default=DEFAULT_TIME_LIMIT_S, metavar="S",
                        help="seconds for the siting run: candidates, travel times and solver "
                        f"(0: greedy only; default {DEFAULT_TIME_LIMIT_S:g})")
    parser.add_argument("--out", type=Path, default=None, help="folder for sites.gpkg and the CSV tables")
    parser.add_argument("--scenario", default=None, help="also save the sites as scenario NAME (needs --out)")
    _common.add_json_option(parser)
    add_group_arguments(parser)


def run(args: argparse.Namespace) -> int:
    # Cheap checks first, before the data set is loaded.
    _common.check_data_options(args)
    category = _common.check_category(args.category, "--category")
    model = _common.check_choice(args.model, MODELS, "--model") if args.model is not None else (
        "lscp" if args.target_pct is not None else "mclp")
    candidates = _common.check_choice(args.candidates, CANDIDATE_CHOICES, "--candidates")
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
    if not (args.time_limit >= 0 and math.isfinite(args.time_limit)):
        raise DataError(f"--time-limit must be 0 or more seconds, got {args.time_limit:g}",
                        fix=f"give --time-limit such as {DEFAULT_TIME_LIMIT_S:g}, or 0 for greedy only")
    if args.scenario and args.out is None:
        raise DataError("--scenario needs --out", fix="give --out DIR for the scenario GeoPackage")
    _common.check_data_path(args.data)
    _common.check_out_folder(args.out)

    # The engine is imported once the cheap checks have passed: a typo fails at once.
    from planning.access.analysis import analyze
    from planning.settings import Settings
    from planning.siting import recommend_sites

    dataset = _common.load(args)
    settings = Settings(profile=args.profile, **group_settings(args))
    analysis = analyze(dataset, settings)
    result = recommend_sites(
        dataset, analysis, category=category, model=model, new_sites=args.new_sites,
        target_pct=args.target_pct, candidates=candidates, min_floor_area_m2=args.min_floor_area,
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
    found = _common.problems(dataset, optional=[category])
    _common.print_problems(found)
    if args.json:
        _common.print_json(result.to_json(), found)
    else:
        _print_summary(result, written)
    return 0


def _print_summary(r: SitingResult, written: list[Path]) -> None:
    print(f"Category {r.category}, model {r.model}: {len(r.sites)} new site(s), {verdict(r)}")
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


def verdict(r: SitingResult) -> str:
    """How sure the answer is, in words: proved optimal, or how far off at most and why."""
    sol = r.solution
    seconds = f"{r.seconds:.1f} s"
    if r.solver == "exact":
        return f"optimal (proved: {sol.proof}; {seconds})" if sol.proof else f"optimal ({seconds})"
    kind = "greedy solution" if r.solver == "greedy" else "best solution found"
    if not math.isfinite(r.gap_pct):
        gap = "no bound on the optimum yet"
    elif r.gap_pct < 0.01:
        gap = "within 0.01 % of the optimum"
    else:
        gap = f"within {r.gap_pct:.2f} % of the optimum"
    if r.time_limit_s <= 0:
        return f"{kind} only (--time-limit 0), {gap}"
    if sol.time_limit_reached:
        return f"{kind}, not proved optimal: the time limit of {r.time_limit_s:g} s ran out ({seconds}); {gap}"
    return f"{kind}, not proved optimal (HiGHS: {sol.milp_status}); {gap}"
