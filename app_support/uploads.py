"""Files a planner uploads: checked, then saved under the layer name they picked.

Files are written into a fresh folder named by their content hash, inside the session's own
folder, never under a name or a path taken from the upload, and each through a temporary file
first.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geo._errors import DataError
from planning.output.files import write_bytes, write_text

if TYPE_CHECKING:
    from geo.dataset import Dataset

UPLOAD_ROOT = Path(tempfile.gettempdir()) / "service-circles-uploads"
UPLOAD_TYPES: tuple[str, ...] = ("gpkg", "zip", "geojson", "json", "csv", "xlsx", "osm", "pbf", "graphml", "toml")
MAX_UPLOAD_BYTES = 500 * 1024 * 1024
#: The upload slot of ``dataset.toml`` (name, attribution, coordinate systems of the layers).
TOML_SLOT = "dataset_toml"


def save_uploads(files: Mapping[str, Any], *, root: Path | None = None) -> Path:
    """Write uploaded files (layer name → UploadedFile) into a fresh folder named by their hash.

    Parameters
    ----------
    files : mapping of str to UploadedFile
        ``"dataset"`` for a whole data set, :data:`TOML_SLOT` for its ``dataset.toml``, else a
        layer name of :data:`geo.dataset.LAYERS`; ``None`` values are skipped.
    root : pathlib.Path, optional
        Where the folder goes: the app gives the session's own folder
        (:func:`app_support.state.session_folder`); default :data:`UPLOAD_ROOT`.

    Returns
    -------
    pathlib.Path
        The folder under ``root``; the same files give the same folder.
    """
    digest = hashlib.sha256()
    payloads: dict[str, tuple[str, bytes]] = {}
    for layer, upload in files.items():
        if upload is None:
            continue
        name = str(upload.name)
        suffix = ".osm.pbf" if name.lower().endswith(".osm.pbf") else Path(name).suffix.lower()
        if suffix.lstrip(".").split(".")[-1] not in UPLOAD_TYPES:
            raise DataError(f"file type '{suffix}' is not accepted", file=name,
                            fix=f"Upload one of: {', '.join(UPLOAD_TYPES)}")
        data = upload.getvalue()
        if len(data) > MAX_UPLOAD_BYTES:
            raise DataError("file is larger than 500 MB", file=name, fix="Clip it to the study area")
        if (suffix == ".toml") != (layer == TOML_SLOT):
            # A description file saved as a layer (or a layer as the description) would be read wrongly.
            raise DataError("a .toml file describes the data set and is not a layer" if suffix == ".toml"
                            else "the data set description must be a .toml file", file=name,
                            fix="Upload dataset.toml in its own box and each layer in the box of its layer")
        digest.update(layer.encode() + suffix.encode() + hashlib.sha256(data).digest())
        payloads[layer] = (suffix, data)
    shown = _shown_name(files)
    digest.update(shown.encode("utf-8"))
    folder = (UPLOAD_ROOT if root is None else root) / digest.hexdigest()[:16]
    folder.mkdir(parents=True, exist_ok=True)
    # The data set is titled and exported under the uploaded file's name, not the hash: kept
    # beside the folder (as text only, never as a path).
    write_text(_name_file(folder), shown)
    for layer, (suffix, data) in payloads.items():
        write_bytes(folder / ("dataset" + suffix if layer in ("dataset", TOML_SLOT) else layer + suffix), data)
    return folder


def _shown_name(files: Mapping[str, Any]) -> str:
    """The name a planner knows the upload by: the whole data set's file, else the communities'
    (else the first file's), without folders and endings."""
    for slot in ("dataset", "communities", *files):
        upload = files.get(slot)
        if upload is not None and slot != TOML_SLOT:
            name = Path(str(upload.name).replace("\\", "/")).name
            return name.split(".")[0].strip() or "dataset"
    return "dataset"


def _name_file(folder: Path) -> Path:
    return folder.parent / f"{folder.name}.name"


def uploaded_name(path: str | os.PathLike[str]) -> str | None:
    """The uploaded file's name for the data set at ``path`` (its folder or a file in it)."""
    path = Path(path)
    folder = path if path.is_dir() else path.parent
    try:
        return _name_file(folder).read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def safe_name(text: str) -> str:
    """``text`` usable in file names: letters (any script), digits, "-" and "_".

    >>> safe_name("雨山区 社区(2024).gpkg")
    '雨山区_社区_2024_.gpkg'
    """
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in text.strip())[:60] or "dataset"


def named(dataset: Dataset, path: str | os.PathLike[str]) -> Dataset:
    """``dataset`` named and titled after the uploaded file, unless its dataset.toml names it.

    A data set without a name of its own is called after its folder (a content hash) or its file
    (``dataset.gpkg``); the planner knows it by the file they uploaded.
    """
    shown = uploaded_name(path)
    path = Path(path)
    folder = path if path.is_dir() else path.parent
    if not shown or dataset.name not in (folder.name, path.stem):
        return dataset
    meta = dict(dataset.meta or {})
    meta.setdefault("title_zh", shown)
    meta.setdefault("title_en", shown)
    return dataclasses.replace(dataset, name=safe_name(shown), meta=meta)
