"""Fixtures of the app tests: the toy data set of :mod:`tests.geo._toy` as an app data source."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def toy_source(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Source key (``upload:<folder>``) of the toy data set: 4 communities on a 200 m grid."""
    from tests.geo._toy import write_toy_dataset

    folder = write_toy_dataset(tmp_path_factory.mktemp("app") / "toy")
    return f"upload:{folder}"


@pytest.fixture(scope="session")
def toy_dataset_and_analysis(toy_source: str):
    from geo.dataset_loader import load_dataset
    from planning.access.analysis import analyze

    dataset = load_dataset(Path(toy_source.partition(":")[2]))
    return dataset, analyze(dataset)
