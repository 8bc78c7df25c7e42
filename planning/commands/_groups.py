"""The target-group and census options shared by ``analyze``, ``site`` and ``export``."""

from __future__ import annotations

import argparse
from typing import Any

from geo._errors import DataError
from planning.choices import TARGET_GROUPS


def add_group_arguments(parser: argparse.ArgumentParser) -> None:
    """``--census``, ``--whole-county``, ``--group`` and ``--no-elderly-speed``."""
    parser.add_argument("--census", default=None, metavar="CODE",
                        help="6-digit county code of the 2020 census (e.g. 340521 当涂县): its shares give the "
                             "residents aged 60+ and 0-6 where the population layer has no elderly/children "
                             "column, its household size the missing households (default: census_code in "
                             "dataset.toml)")
    parser.add_argument("--whole-county", action="store_true",
                        help="the study area is the whole county: scale the population to its census total")
    parser.add_argument("--group", action="append", default=[], metavar="CATEGORY=GROUP",
                        help=f"target group of a category ({', '.join(TARGET_GROUPS)}); repeatable; default "
                             "planning/target_groups.toml (elderly care, meal aid: elderly; childcare: children)")
    parser.add_argument("--no-elderly-speed", action="store_true",
                        help="the elderly walk at the normal speed to their categories (default: elderly speed)")


def group_settings(args: argparse.Namespace) -> dict[str, Any]:
    """Settings fields from the options (validated: a bad option is a one-line error)."""
    from geo.taxonomy import CATEGORIES
    from planning.settings import default_target_groups

    table = dict(default_target_groups())
    for item in getattr(args, "group", []) or []:
        category, sep, group = str(item).partition("=")
        category, group = category.strip(), group.strip()
        if not sep or category not in CATEGORIES or group not in TARGET_GROUPS:
            raise DataError(f"--group {item!r} is not CATEGORY=GROUP",
                            fix=f"Write e.g. --group childcare=all; groups: {', '.join(TARGET_GROUPS)}")
        table[category] = group
    code = getattr(args, "census", None)
    if code is not None and not (len(str(code).strip()) == 6 and str(code).strip().isdigit()):
        raise DataError(f"--census {code!r} is not a 6-digit county code", fix="Give e.g. --census 340521")
    return {"target_groups": table, "census_code": code, "census_whole_county": bool(args.whole_county),
            "elderly_group_speed": not getattr(args, "no_elderly_speed", False)}
