"""``run.py``: a fresh install uses the pinned versions, and reinstalls when the pins change."""

from __future__ import annotations

import importlib.util
import re
import tomllib
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def run() -> ModuleType:
    spec = importlib.util.spec_from_file_location("run_script", ROOT / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_install_uses_the_lock_with_the_project(run: ModuleType, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "requirements.lock").write_text("numpy==2.4.6\n")
    python = tmp_path / ".venv" / "bin" / "python"
    assert run.install_command(python, tmp_path) == [
        str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        "-r", str(tmp_path / "requirements.lock"), "-e", f"{tmp_path}[test]"]
    # Without a lock (a fork that removed it) the project still installs, unpinned.
    (tmp_path / "requirements.lock").unlink()
    assert run.install_command(python, tmp_path) == [
        str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-e", f"{tmp_path}[test]"]


def test_stamp_changes_with_the_lock_and_with_pyproject(run: ModuleType, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "requirements.lock").write_text("numpy==2.4.6\n")
    first = run.install_stamp(tmp_path)
    assert run.install_stamp(tmp_path) == first
    (tmp_path / "requirements.lock").write_text("numpy==2.4.7\n")
    second = run.install_stamp(tmp_path)
    assert second != first
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\nversion = '2'\n")
    assert run.install_stamp(tmp_path) not in (first, second)
    # Text moved from one file to the other is a change too.
    (tmp_path / "pyproject.toml").write_text("ab")
    (tmp_path / "requirements.lock").write_text("c")
    moved = run.install_stamp(tmp_path)
    (tmp_path / "pyproject.toml").write_text("a")
    (tmp_path / "requirements.lock").write_text("bc")
    assert run.install_stamp(tmp_path) != moved


def test_lock_text_pins_everything_but_the_project(run: ModuleType) -> None:
    freeze = ("Shapely==2.2.0\nnumpy==2.4.6\nservice_circles==0.1.0\n"
              "-e git+https://example.org/x.git@abc#egg=other\nhighspy==1.16.0\n")
    lines = run.lock_text(freeze, python_version="3.11.7").splitlines()
    assert lines[0].startswith("# Tested versions of every dependency (Python 3.11.7)")
    assert [line for line in lines if not line.startswith("#")] == ["highspy==1.16.0", "numpy==2.4.6",
                                                                     "Shapely==2.2.0"]
    with pytest.raises(ValueError, match=r"installed from a file or URL.*mylib @ file:///tmp/mylib"):
        run.lock_text("numpy==2.4.6\nmylib @ file:///tmp/mylib\n", python_version="3.11.7")


def _name(text: str) -> str:
    return re.sub(r"[-_.]+", "-", text).lower()


def test_the_committed_lock_pins_what_pyproject_asks_for() -> None:
    # Every dependency of the project and of its test extras has an exact pin, within its range.
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = [*project["dependencies"], *project["optional-dependencies"]["test"]]
    pins = {}
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, sep, version = line.partition("==")
            assert sep, f"not an exact pin: {line}"
            pins[_name(name)] = version
    assert _name("service-circles") not in pins
    for requirement in wanted:
        name, lower = re.fullmatch(r"([A-Za-z0-9_.-]+)\s*(?:>=\s*([0-9.]+))?.*", requirement).groups()
        assert _name(name) in pins, f"{requirement} has no pin in requirements.lock"
        if lower:
            pinned = tuple(int(p) for p in re.findall(r"\d+", pins[_name(name)])[:3])
            assert pinned >= tuple(int(p) for p in lower.split(".")), (requirement, pins[_name(name)])
