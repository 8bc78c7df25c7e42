"""Options shared by several commands."""

from __future__ import annotations

import argparse
from typing import Any

from geo._errors import DataError


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
