"""Shared fixtures: small data sets built in code, so every answer can be worked out by hand."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

VENV_PYTHON = Path(__file__).resolve().parents[1] / ".venv" / "bin" / "python"


@pytest.fixture
def python_exe() -> str:
    """The project's Python, for running ``python -m geo`` / ``python -m planning``."""
    return str(VENV_PYTHON) if VENV_PYTHON.exists() else sys.executable


@pytest.fixture
def toy_dataset_dir(tmp_path: Path) -> Path:
    """A folder data set near Ma'anshan: 4 communities, a 200 m road grid, facilities, people.

    See :mod:`tests.geo._toy` for the layout.
    """
    from tests.geo._toy import write_toy_dataset

    return write_toy_dataset(tmp_path / "toy")


@pytest.fixture(autouse=True)
def _keep_main_module() -> object:
    """Streamlit's AppTest leaves the last page script installed as ``__main__``; worker processes
    started later (Dask's nanny spawns them) would run that page again. Put the real one back."""
    main = sys.modules.get("__main__")
    yield
    if main is not None and sys.modules.get("__main__") is not main:
        sys.modules["__main__"] = main
