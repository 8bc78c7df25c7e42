"""Command line: ``python -m planning analyze|site|export ...``.

Each sub-command lives in ``planning/commands/<name>.py`` with ``add_arguments(parser)`` and
``run(args) -> int``. Bad input exits with code 2 and one line naming the problem.
"""

from __future__ import annotations

import argparse
import importlib
import sys

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
    except (ValueError, FileNotFoundError, PermissionError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
