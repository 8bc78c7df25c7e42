#!/usr/bin/env python3
"""Set up and run the project: ``python3 run.py app``, ``python3 run.py test`` or ``python3 run.py lock``.

Creates ``.venv`` next to this file on first use and installs the project into it with the
tested versions of every dependency, pinned in ``requirements.lock``; it installs again whenever
``pyproject.toml`` or ``requirements.lock`` changes. Then it starts the app or the test suite.
Extra arguments are passed on (``python3 run.py test -m "not benchmark"``).

``python3 run.py lock`` writes ``requirements.lock`` from the versions installed in ``.venv``
(after the tests passed with them): see "Dependency versions" in the README.
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
LOCK = "requirements.lock"
#: The project's own distribution name (never pinned in the lock: it is installed from here).
PROJECT = "service-circles"


def install_stamp(root: Path) -> str:
    """Hash of what the environment is installed from: ``pyproject.toml`` and the lock file."""
    digest = hashlib.sha256()
    for name in ("pyproject.toml", LOCK):
        path = root / name
        digest.update(name.encode() + b"\0" + (path.read_bytes() if path.exists() else b"(none)") + b"\0")
    return digest.hexdigest()


def install_command(python: Path, root: Path) -> list[str]:
    """The pip command that installs the project with the pinned versions.

    One resolve of the lock's exact versions together with the project (editable, with its
    test extras), so pip fails loudly when ``pyproject.toml`` asks for something the lock
    contradicts, and adds only what a dependency new since the last lock needs.
    """
    command = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    if (root / LOCK).exists():
        command += ["-r", str(root / LOCK)]
    return command + ["-e", f"{root}[test]"]


def lock_text(freeze: str, *, python_version: str) -> str:
    """``requirements.lock`` from the output of ``pip freeze --exclude-editable``."""
    pins, elsewhere = [], []
    for line in freeze.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", "-e ")):
            continue
        name = line.split("==")[0].split(" @ ")[0].strip()
        if name.lower().replace("_", "-") == PROJECT:
            continue  # the project itself is installed from this folder, not from the lock
        (elsewhere if " @ " in line else pins).append(line)
    if elsewhere:
        raise ValueError("installed from a file or URL, which a fresh install cannot reach: "
                         + "; ".join(elsewhere) + ". Install them from the package index, then lock again")
    pins.sort(key=str.lower)
    header = (f"# Tested versions of every dependency (Python {python_version}); run.py installs from this file.\n"
              "# Written by `python3 run.py lock` from .venv after the tests passed; see README, "
              "\"Dependency versions\".\n")
    return header + "".join(f"{pin}\n" for pin in pins)


def _ensure_environment() -> None:
    if sys.version_info < (3, 11):
        sys.exit(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}.")
    wanted = install_stamp(ROOT)
    if STAMP.exists() and STAMP.read_text() == wanted and PYTHON.exists():
        return
    if not PYTHON.exists():
        print(f"Creating the virtual environment in {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print(f"Installing the project and the tested versions of its dependencies ({LOCK}) ...", flush=True)
    subprocess.run(install_command(PYTHON, ROOT), check=True)
    STAMP.write_text(wanted)


def _write_lock() -> int:
    if not PYTHON.exists():
        sys.exit(f"No environment in {VENV} yet: run `python3 run.py test` first.")
    freeze = subprocess.run([str(PYTHON), "-m", "pip", "freeze", "--exclude-editable", "--disable-pip-version-check"],
                            check=True, capture_output=True, text=True).stdout
    version = subprocess.run([str(PYTHON), "-c", "import platform; print(platform.python_version())"],
                             check=True, capture_output=True, text=True).stdout.strip()
    try:
        text = lock_text(freeze, python_version=version)
    except ValueError as exc:
        sys.exit(f"error: {exc}.")
    (ROOT / LOCK).write_text(text, encoding="utf-8")
    STAMP.write_text(install_stamp(ROOT))  # what is installed is what the lock now says
    print(f"Wrote {ROOT / LOCK}")
    return 0


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"app", "test", "lock"}:
        print(__doc__)
        return 2
    if argv[0] == "lock":
        return _write_lock()
    _ensure_environment()
    command, rest = argv[0], argv[1:]
    if command == "app":
        args = [str(PYTHON), "-m", "streamlit", "run", str(ROOT / "streamlit_app.py"), *rest]
    else:
        args = [str(PYTHON), "-m", "pytest", *rest]
    return subprocess.run(args, cwd=ROOT).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
