"""Command line: ``python -m planning analyze|site|export ...``.

Each sub-command lives in ``planning/commands/<name>.py`` with ``add_arguments(parser)`` and
``run(args) -> int``. Bad input exits with code 2 and one line naming the problem.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path

from geo._errors import DataError

COMMANDS = {
    "analyze": "Coverage, service circles and indicators for a data set",
    "site": "Recommend sites for new facilities of one category",
    "export": "Write planning overlays and reports for GIS, Excel and Google Earth",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m planning", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    modules = {}
    for name, help_text in COMMANDS.items():
        module = importlib.import_module(f"planning.commands.{name}")
        modules[name] = module
        module.add_arguments(sub.add_parser(name, help=help_text, description=help_text))
    args = parser.parse_args(argv)
    try:
        return int(modules[args.command].run(args))
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a folder that cannot be written, a full disk, a file in the way …
        print(f"error: {_os_message(exc)}", file=sys.stderr)
        return 2


def _os_message(exc: OSError) -> str:
    """One line naming the path and the reason of a failed read or write."""
    path = Path(exc.filename) if exc.filename else None
    if path is not None and path.name.startswith("."):
        path = path.parent  # a temporary file written beside the output: name its folder
    reason = str(exc.strerror or exc).rstrip(".")
    where = f"{path}: " if path is not None else ""
    return (f"{where}{reason[:1].lower() + reason[1:]}. Check the path and its permissions; "
            "for --out choose a folder you can write to.")


def _exit(code: int) -> None:
    """Exit with ``code``, without waiting for solver runs the time limit left behind.

    Such a run stops at HiGHS's next check of its clock, which on a city-size model can be many
    seconds away; once the results are written and printed there is nothing to wait for.
    """
    highs = sys.modules.get("planning.siting._highs")  # loaded only when a model was solved
    if highs is not None and highs.solver_runs_left():
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    _exit(main())
