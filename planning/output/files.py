"""Every file the tool saves goes through one atomic writer.

:func:`replacing` hands out a temporary path in the target folder; once the block that writes it
has finished, the file is flushed to disk, given the usual permissions of a new file (the umask's,
not ``mkstemp``'s owner-only 0600) and moved over the target with :func:`os.replace`. When the
block fails, the temporary file (and any SQLite side file of a GeoPackage) is removed and the
previous file stays as it was. The helpers on top write text, bytes, CSV for Excel (UTF-8 with
BOM, no live formulas) and GeoPackages; :func:`plain` is the one rule for the columns a file
format can store.

Examples
--------
>>> from planning.output.files import write_text
>>> write_text("/tmp/note.txt", "服务圈").read_text(encoding="utf-8")
'服务圈'
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import re
import secrets
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from geo._errors import DataError

#: Side files SQLite may leave beside a GeoPackage being written.
_SIDE_FILES = ("-journal", "-wal", "-shm")
#: Geometry type of a layer that happens to be empty (files need one), by layer name.
EMPTY_GEOMETRY = {"communities": "MultiPolygon", "circles": "MultiPolygon", "rings": "MultiPolygon",
                  "responsibility_areas": "MultiPolygon",
                  "site_circles": "MultiPolygon", "scenario_communities": "MultiPolygon"}
#: First characters that make a spreadsheet read a cell as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


# --------------------------------------------------------------------------------------------
# The writer


def usual_mode() -> int:
    """Permissions a new file gets from the umask (``0o666 & ~umask``).

    Read from ``/proc`` where it can be: setting the umask to read it back would briefly change
    it for every thread of the app.
    """
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return 0o666 & ~int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def replacing(out: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``out``; once the block has written it, it replaces ``out``.

    The path does not exist yet (GDAL drivers want to create their files themselves). On
    success the file is synced to disk, gets :func:`usual_mode` and is moved over ``out``; if
    the block raises, the temporary file is removed and ``out`` is left as it was.

    Raises
    ------
    DataError
        When ``out`` is a folder, its folder does not exist, or the block wrote nothing.
    """
    out = Path(out)
    if out.is_dir():
        raise DataError("the output path is a folder", file=out, fix="give a file name")
    if not out.parent.is_dir():
        raise DataError("the output folder does not exist", file=out,
                        fix="create the folder first or choose another path")
    # The suffix stays last: GDAL picks drivers and zip readers trust the ending.
    tmp = out.parent / f".{out.stem}.{secrets.token_hex(6)}.tmp{out.suffix}"
    try:
        yield tmp
        if not tmp.exists():
            raise DataError("nothing was written", file=out, fix="try the export again")
        _fsync(tmp)
        os.chmod(tmp, usual_mode())
        os.replace(tmp, out)
        with contextlib.suppress(OSError):  # the folder entry too; not possible on every system
            _fsync(out.parent)
    finally:
        for leftover in (tmp, *(Path(f"{tmp}{side}") for side in _SIDE_FILES)):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()


def write_with(out: str | os.PathLike[str], write: Callable[[Path], object]) -> Path:
    """Let ``write(path)`` write the file, then replace ``out`` with it (see :func:`replacing`)."""
    with replacing(out) as tmp:
        write(tmp)
    return Path(out)


def write_bytes(out: str | os.PathLike[str], data: bytes) -> Path:
    """Replace ``out`` with ``data``."""
    return write_with(out, lambda tmp: tmp.write_bytes(data))


def write_text(out: str | os.PathLike[str], text: str, *, encoding: str = "utf-8") -> Path:
    """Replace ``out`` with ``text``."""
    return write_bytes(out, text.encode(encoding))


# --------------------------------------------------------------------------------------------
# Tables for spreadsheets


def formula_safe(value: Any) -> Any:
    """A cell text that a spreadsheet would run as a formula, with a ``'`` in front.

    Texts starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return are escaped,
    except plain numbers such as ``-3.5``; every other value is returned as it is.

    >>> formula_safe("=HYPERLINK(1)"), formula_safe("-3.5"), formula_safe(-3.5)
    ("'=HYPERLINK(1)", '-3.5', -3.5)
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER_RE.match(value):
        return f"'{value}"
    return value


def is_formula_like(value: Any) -> bool:
    """Whether :func:`formula_safe` would escape ``value``."""
    return formula_safe(value) is not value


def spreadsheet_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its text cells and headers made :func:`formula_safe` (a copy)."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values):
            out[column] = values.map(formula_safe, na_action="ignore")
    out.columns = [formula_safe(str(c)) for c in out.columns]
    return out


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """CSV of ``frame`` (no index) in UTF-8 with BOM, so Excel on Chinese Windows shows the
    headers right, and without live formulas."""
    # Excel's own line ends; they also make the writer quote a text holding a line break.
    return spreadsheet_frame(frame).to_csv(index=False, quoting=csv.QUOTE_MINIMAL,
                                           lineterminator="\r\n").encode("utf-8-sig")


def write_csv(out: str | os.PathLike[str], frame: pd.DataFrame) -> Path:
    """Replace ``out`` with :func:`csv_bytes` of ``frame``."""
    return write_bytes(out, csv_bytes(frame))


# --------------------------------------------------------------------------------------------
# GeoPackage


def _cell_text(value: Any) -> Any:
    if isinstance(value, (list, tuple, set, frozenset, np.ndarray)):
        return "; ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    return value


def table_frame(table: pd.DataFrame) -> pd.DataFrame:
    """A table with its (named) index as the first column, :func:`plain`."""
    frame = pd.DataFrame(table)
    if frame.index.name is not None or not isinstance(frame.index, pd.RangeIndex):
        name = frame.index.name or "id"
        frame = frame.reset_index(names=name if name not in frame.columns else f"{name}_index")
    return plain(frame)


def plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns every file format can store: no lists, no categoricals, no infinities.

    Lists become "; "-joined text, mappings JSON, missing values null; an infinite travel time
    means "not reachable" and becomes null too.
    """
    out = frame.copy()
    geometry = out.geometry.name if isinstance(out, gpd.GeoDataFrame) else None
    for column in out.columns:
        if column == geometry:
            continue
        values = out[column]
        if isinstance(values.dtype, pd.CategoricalDtype):
            values = values.astype(object)
        if pd.api.types.is_float_dtype(values):
            values = values.where(np.isfinite(values.to_numpy(dtype=float, na_value=np.nan)))
        elif pd.api.types.is_object_dtype(values):
            # Kept as objects: Series.map would turn notes (planning.texts.Note) into plain str.
            values = pd.Series([_cell_text(v) for v in values], index=values.index, dtype=object)
        out[column] = values
    return out


def polygonal(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Polygon layers whose overlays left geometry collections: keep their polygon parts.

    Intersections and unions of service circles can return a collection of polygons plus
    zero-area lines or points where two boundaries touch; file formats need one kind per layer.
    """
    kinds = gdf.geometry.geom_type
    collections = kinds == "GeometryCollection"
    if not collections.any() or not kinds[~collections].dropna().isin(
            ["Polygon", "MultiPolygon"]).all():
        return gdf
    out = gdf.copy()
    fixed = []
    for geom in gdf.geometry[collections]:
        parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
        fixed.append(shapely.MultiPolygon([q for p in parts for q in getattr(p, "geoms", [p])]))
    out.loc[collections, out.geometry.name] = gpd.GeoSeries(fixed, index=out.index[collections],
                                                            crs=out.crs)
    return out


def geometry_type(gdf: gpd.GeoDataFrame, name: str, *, file: Path) -> str:
    """The one geometry type a file layer of ``gdf`` gets (multi when any feature is multi)."""
    kinds = set(gdf.geometry.dropna().geom_type.unique()) - {None}
    if not kinds:
        return EMPTY_GEOMETRY.get(name, "Point")
    families = {k.replace("Multi", "") for k in kinds}
    if len(families) > 1:
        raise DataError(f"the layer mixes {', '.join(sorted(kinds))} geometries", file=file,
                        layer=name, fix="split it into one layer per geometry kind")
    family = families.pop()
    return f"Multi{family}" if any(k.startswith("Multi") for k in kinds) else family


def write_geopackage(out: str | os.PathLike[str], layers: Mapping[str, pd.DataFrame], *,
                     options: Mapping[str, Mapping[str, str]] | None = None,
                     metadata: Mapping[str, Mapping[str, str]] | None = None) -> Path:
    """Write layers (GeoDataFrames) and tables (DataFrames) into one GeoPackage, replacing ``out``.

    Columns are cleaned by :func:`plain`; a layer's geometry type is :func:`geometry_type` of
    its polygon parts (:func:`polygonal`). The index is not written: give a meaningful index
    as a column.

    Parameters
    ----------
    out : path
        The ``.gpkg`` file.
    layers : mapping of str to DataFrame
        Name → rows, in the order they are written.
    options, metadata : mapping of str to mapping, optional
        GDAL layer creation options (``DESCRIPTION``, ``FID``…) and layer metadata, by name.
    """
    out = Path(out)
    options, metadata = options or {}, metadata or {}
    with replacing(out) as tmp:
        for name, frame in layers.items():
            extra: dict[str, Any] = {}
            if isinstance(frame, gpd.GeoDataFrame):
                frame = polygonal(frame)
                extra = {"geometry_type": geometry_type(frame, name, file=out),
                         "promote_to_multi": None}
            pyogrio.write_dataframe(plain(frame), tmp, layer=name, driver="GPKG",
                                    layer_options=dict(options.get(name, {})) or None,
                                    layer_metadata=dict(metadata.get(name, {})) or None, **extra)
    return out
