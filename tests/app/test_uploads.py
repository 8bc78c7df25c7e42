"""Uploaded files are saved under the layer the user picked, never under a name from the upload."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from app_support import uploads
from geo._errors import DataError


@dataclass
class _Upload:
    name: str
    data: bytes

    def getvalue(self) -> bytes:
        return self.data


def test_uploads_saved_by_layer_and_loadable(toy_source: str, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from geo.dataset_loader import load_dataset

    monkeypatch.setattr(uploads, "UPLOAD_ROOT", tmp_path)
    folder = Path(toy_source.partition(":")[2])
    files = {layer: _Upload(f"../../{layer}-from-user.GEOJSON", (folder / f"{layer}.geojson").read_bytes())
             for layer in ("communities", "facilities", "population", "candidates", "roads")}
    saved = uploads.save_uploads(files)
    assert saved.parent == tmp_path
    assert sorted(p.name for p in saved.iterdir()) == ["candidates.geojson", "communities.geojson",
                                                       "facilities.geojson", "population.geojson",
                                                       "roads.geojson"]
    # The same files give the same folder (content hash), so the cached data set is reused.
    assert uploads.save_uploads(files) == saved
    dataset = load_dataset(saved)
    assert len(dataset.communities) == 4 and len(dataset.population) == 9


def test_unaccepted_type_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(uploads, "UPLOAD_ROOT", tmp_path)
    with pytest.raises(DataError, match="evil.exe.*not accepted"):
        uploads.save_uploads({"communities": _Upload("evil.exe", b"MZ")})
    assert list(tmp_path.iterdir()) == []


def test_a_toml_is_only_taken_as_the_data_set_description(tmp_path: Path) -> None:
    from planning.problem_texts import error_text

    with pytest.raises(DataError, match="is not a layer") as refused:
        uploads.save_uploads({"facilities": _Upload("dataset.toml", b'name = "x"')}, root=tmp_path)
    assert error_text(refused.value, "zh") == ("dataset.toml：.toml 文件是数据集说明，不是图层。"
                                               "请在 dataset.toml 一栏上传数据集说明，各图层上传到各自的栏中。")
    with pytest.raises(DataError, match="must be a .toml file"):
        uploads.save_uploads({uploads.TOML_SLOT: _Upload("communities.geojson", b"{}")}, root=tmp_path)
    assert list(tmp_path.iterdir()) == []
    folder = uploads.save_uploads({uploads.TOML_SLOT: _Upload("mine.TOML", b'name = "x"')}, root=tmp_path)
    assert folder.parent == tmp_path and [p.name for p in folder.iterdir()] == ["dataset.toml"]
