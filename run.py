#!/usr/bin/env python3
"""Set up and run the project: ``python3 run.py app`` or ``python3 run.py test``.

Creates ``.venv`` next to this file on first use (and again whenever ``pyproject.toml``
changes), installs the project into it, then starts the app or the test suite.
Extra arguments are passed on (``python3 run.py test -m "not benchmark"``).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".installed"


def _ensure_environment() -> None:
    if sys.version_info < (3, 11):
        sys.exit(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}.")
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted and PYTHON.exists():
        return
    if not PYTHON.exists():
        print(f"Creating the virtual environment in {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("Installing the project and its dependencies (first run only) ...", flush=True)
    subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[test]"], check=True)
    STAMP.write_text(wanted)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"app", "test"}:
        print(__doc__)
        return 2
    _ensure_environment()
    command, rest = argv[0], argv[1:]
    if command == "app":
        args = [str(PYTHON), "-m", "streamlit", "run", str(ROOT / "streamlit_app.py"), *rest]
    else:
        args = [str(PYTHON), "-m", "pytest", *rest]
    return subprocess.run(args, cwd=ROOT).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
