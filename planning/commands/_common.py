"""Options and checks that ``analyze``, ``site`` and ``export`` share.

Constants and argparse only at import time (the engine is imported inside the functions that
need it), so that ``python -m planning ... --help`` stays fast. The choice lists themselves live
in :mod:`planning.choices`.

Every check raises :class:`geo._errors.DataError`, which the dispatcher prints as one line and
exit code 2; the loaded data set's validation report is printed to standard error and added to
``--json`` output under ``problems``, so nothing the importer dropped or guessed goes unsaid.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from geo._errors import DataError
from planning.choices import COORD_SYSTEMS, DEFAULT_DATA, LANGUAGES, PROFILES

if TYPE_CHECKING:
    from geo.dataset import Dataset

DATA_HELP = "data-set folder, GeoPackage or zip (default: the bundled data/xian)"
SCENARIO_HELP = ("a scenario made before the analysis: a GeoJSON or GeoPackage of edits to the facilities "
                 "(facility_id, category, name, floor_area_m2, capacity, edit = add / remove / close), "
                 "as drawn in the app or saved by 'site --save-scenario'")


# ---------------------------------------------------------------------------- options
def add_data_options(parser: argparse.ArgumentParser) -> None:
    """``--data``, ``--coords`` and ``--profile``: which data set, read how, walked by whom."""
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help=DATA_HELP)
    parser.add_argument("--coords", default=None, metavar="SYSTEM",
                        help=f"coordinate system of lon/lat input layers: {', '.join(COORD_SYSTEMS)} "
                        "(gcj02: Amap, bd09: Baidu; default: dataset.toml or wgs84)")
    parser.add_argument("--profile", default="standard", metavar="PROFILE",
                        help=f"walking profile: {' or '.join(PROFILES)} (elderly: 60 m/min)")
    parser.add_argument("--scenario", type=Path, default=None, metavar="FILE", help=SCENARIO_HELP)


def add_lang_option(parser: argparse.ArgumentParser, *, what: str) -> None:
    """``--lang``: the language of ``what`` (headers, report …)."""
    parser.add_argument("--lang", default="zh", metavar="LANG",
                        help=f"language of {what}: {' or '.join(LANGUAGES)} (default zh)")


def add_json_option(parser: argparse.ArgumentParser) -> None:
    """``--json``: one JSON object on standard output, nothing else."""
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object (problems found in the data under 'problems')")


# ---------------------------------------------------------------------------- checks
def check_choice(value: object, choices: Sequence[str], option: str) -> str:
    """``value`` in lower case when it is one of ``choices``, else a one-line refusal."""
    text = str(value).strip().lower()
    if text not in choices:
        raise DataError(f"{option} '{value}' is not known", fix=f"use one of {', '.join(choices)}")
    return text


def check_data_options(args: argparse.Namespace) -> None:
    """Normalise ``--coords`` and ``--profile`` in place; refuse unknown values."""
    if args.coords is not None:
        args.coords = check_choice(args.coords, COORD_SYSTEMS, "--coords")
    args.profile = check_choice(args.profile, PROFILES, "--profile")


def check_category(key: str, option: str) -> str:
    """``key`` when it is a facility category of the taxonomy, else a one-line refusal."""
    from geo.taxonomy import CATEGORIES  # a dict of labels, cheap; kept out of --help

    if key not in CATEGORIES:
        raise DataError(f"{option} value is not a facility category: unknown category {key!r}",
                        fix=f"use one of {', '.join(CATEGORIES)}")
    return key


def check_data_path(data: Path) -> Path:
    """The data set path when it exists (checked before the slow load)."""
    data = Path(data)
    if not data.exists():
        raise DataError("the data set does not exist", file=data,
                        fix="give --data a data-set folder, GeoPackage or zip")
    return data


def check_out_folder(out: Path | None) -> None:
    """``--out`` must name a folder (made when missing), never an existing file."""
    if out is not None and Path(out).exists() and not Path(out).is_dir():
        raise DataError("--out names a file, but it must be a folder", file=out,
                        fix="Give --out a folder (it is created when missing)")


def check_scenario_path(args: argparse.Namespace) -> None:
    """``--scenario`` must name an edit file that exists (checked before the slow load)."""
    path = getattr(args, "scenario", None)
    if path is None:
        return
    from planning.siting.edits import SUFFIXES  # a tuple of suffixes, cheap

    if not Path(path).exists():
        raise DataError("scenario file not found", file=path,
                        fix="give --scenario a .geojson or .gpkg file of edits")
    if Path(path).suffix.lower() not in SUFFIXES:
        raise DataError(f"a scenario file is GeoJSON or GeoPackage, not '{Path(path).suffix or Path(path).name}'",
                        file=path, fix="save the edits as .geojson or .gpkg")


# ---------------------------------------------------------------------------- the data set
def load(args: argparse.Namespace) -> Dataset:
    """Load ``--data`` as ``--coords`` says (after :func:`check_data_options`), with the edits
    of ``--scenario`` made (kept in ``args.scenario_edits`` for :func:`mark_scenario`)."""
    from geo.dataset_loader import load_dataset

    check_scenario_path(args)
    dataset = load_dataset(check_data_path(args.data), coords=args.coords)
    args.scenario_edits = None
    if getattr(args, "scenario", None) is None:
        return dataset
    from planning.siting.edits import apply_edits, check_edits
    from planning.siting.scenarios import load_scenario, scenario_edits

    edits = scenario_edits(load_scenario(args.scenario))
    check_edits(dataset, edits, file=args.scenario)
    args.scenario_edits = edits
    return apply_edits(dataset, edits)


def mark_scenario(analysis: Any, args: argparse.Namespace) -> None:
    """Record on ``analysis`` the ``--scenario`` edits it was made with (exports add them)."""
    analysis.scenario_edits = getattr(args, "scenario_edits", None)


def scenario_summary(args: argparse.Namespace) -> dict[str, Any] | None:
    """``{"file", "added", "removed", "closed"}`` of ``--scenario`` for ``--json`` (``None`` without)."""
    edits = getattr(args, "scenario_edits", None)
    if edits is None:
        return None
    kinds = edits["edit"].astype(str).value_counts()
    return {"file": str(args.scenario), "added": int(kinds.get("add", 0)),
            "removed": int(kinds.get("remove", 0)), "closed": int(kinds.get("close", 0))}


def print_scenario(args: argparse.Namespace, *, stream: TextIO | None = None) -> None:
    """One line on standard error saying which scenario the figures include."""
    found = scenario_summary(args)
    if found is not None:
        print(f"scenario: {found['file']}: {found['added']} planned facilities added, {found['removed']} "
              f"removed, {found['closed']} closed", file=sys.stderr if stream is None else stream)


def problems(dataset: Dataset, *, categories: Iterable[str] = (),
             optional: Iterable[str] = ()) -> list[dict[str, Any]]:
    """The validation report as plain records, plus a word on asked-for categories with no facility.

    ``categories`` were asked for by the user: a category without a single facility (none in
    the data, or all dropped by validation) is a warning, as its coverage is 0 %. ``optional``
    categories may well have none yet (a siting run for the first 社区客厅): an info line.
    """
    out = [{"severity": p.severity, "layer": p.layer, "file": p.file, "column": p.column,
            "count": p.count, "message": p.message} for p in dataset.report.problems]
    fac = dataset.facilities
    present = set(fac["category"].astype(str)) if len(fac) else set()
    for severity, keys in (("warning", categories), ("info", optional)):
        for key in dict.fromkeys(keys):
            if key not in present:
                message = (f"no facility of category '{key}' in the data set: its coverage is 0 %"
                           if severity == "warning" else
                           f"no existing facility of category '{key}': every resident counts as "
                           "outside its circle")
                out.append({"severity": severity, "layer": "facilities", "file": None,
                            "column": "category", "count": 0, "message": message})
    return out


def print_problems(found: Sequence[dict[str, Any]], *, stream: TextIO | None = None) -> None:
    """One line per problem on standard error: severity, layer (and file, column), message."""
    stream = sys.stderr if stream is None else stream
    for p in found:
        where = ", ".join(str(v) for v in (p.get("file"), p["layer"], p.get("column")) if v)
        message = " ".join(str(p["message"]).split())  # one line, whatever the message holds
        print(f"{p['severity']}: {where}: {message}", file=stream)


def print_json(doc: dict[str, Any], found: Sequence[dict[str, Any]]) -> None:
    """The command's JSON object with ``problems`` added, as one line on standard output."""
    print(json.dumps({**doc, "problems": list(found)}, ensure_ascii=False, allow_nan=False))


def add_rings_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rings", nargs="+", default=None, metavar="MINUTES",
                        help="travel-time rings: ascending minutes for urban communities, then "
                        "optionally for rural ones, e.g. --rings 5,10,15 10,20,30 (the default)")


def rings_settings(values: list[str] | None) -> dict[str, Any]:
    """Settings fields of ``--rings URBAN [RURAL]`` (nothing when the option is not given)."""
    if not values:
        return {}
    if len(values) > 2:
        raise DataError(f"--rings takes one or two lists of minutes, got {len(values)}",
                        fix="Give the urban rings and optionally the rural ones, e.g. --rings 5,10,15 10,20,30")
    out: dict[str, Any] = {}
    for field, text in zip(("urban_ring_minutes", "rural_ring_minutes"), values):
        try:
            rings = tuple(float(v) for v in text.split(",") if v.strip())
        except ValueError:
            rings = ()
        if not rings or any(r <= 0 for r in rings) or list(rings) != sorted(set(rings)):
            raise DataError(f"--rings '{text}' is not a list of ascending minutes",
                            fix="Give comma-separated minutes from short to long, e.g. 5,10,15")
        out[field] = rings
    return out
