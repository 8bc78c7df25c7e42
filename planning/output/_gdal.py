"""Field aliases ("alternative names") through GDAL's C API, for the File Geodatabase export.

pyogrio writes the layers but has no way to set a field's alias, which ArcGIS shows as the
column header. GDAL does (``OGR_Fld_SetAlternativeName`` + ``OGR_L_AlterFieldDefn`` with
``ALTER_ALTERNATIVE_NAME_FLAG``, GDAL ≥ 3.7, written by the OpenFileGDB driver), so this module
calls the GDAL library pyogrio itself has loaded, through :mod:`ctypes`: no second GDAL and no
GDAL Python bindings are needed. :func:`field_aliases` reads them back the same way.
"""

from __future__ import annotations

import ctypes
import glob
import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import pyogrio

#: ``GDAL_OF_UPDATE | GDAL_OF_VECTOR`` and ``GDAL_OF_VECTOR`` (gdal.h).
_OF_UPDATE_VECTOR = 0x01 | 0x04
_OF_VECTOR = 0x04
#: ``ALTER_ALTERNATIVE_NAME_FLAG`` (ogr_core.h, GDAL ≥ 3.7).
_ALTER_ALTERNATIVE_NAME = 0x80
_MIN_VERSION = (3, 7)


def _candidate_paths() -> list[str]:
    """Files that may be the libgdal pyogrio uses: its wheel's own copy first, then every
    libgdal mapped into this process (rasterio, for one, brings another GDAL)."""
    here = Path(pyogrio.__file__).resolve().parent
    found: list[str] = []
    for pattern in ("../pyogrio.libs/libgdal*", ".dylibs/libgdal*", "../pyogrio.libs/gdal*.dll"):
        found += sorted(glob.glob(str(here / pattern)))
    maps = Path("/proc/self/maps")
    if maps.exists():
        for line in maps.read_text().splitlines():
            fields = line.split(maxsplit=5)
            if len(fields) == 6 and "libgdal" in Path(fields[5]).name and Path(fields[5]).exists():
                found.append(fields[5])
    return list(dict.fromkeys(found))


def _version(lib: ctypes.CDLL) -> str:
    lib.GDALVersionInfo.restype = ctypes.c_char_p
    lib.GDALVersionInfo.argtypes = [ctypes.c_char_p]
    return (lib.GDALVersionInfo(b"RELEASE_NAME") or b"").decode("ascii", "replace")


def _pyogrio_gdal() -> ctypes.CDLL | None:
    """The libgdal of pyogrio's own GDAL version: the one whose drivers pyogrio registered."""
    for path in _candidate_paths():
        try:
            lib = ctypes.CDLL(path)
            if _version(lib) == pyogrio.__gdal_version_string__:
                return lib
        except (OSError, AttributeError):
            continue
    return None


@lru_cache(maxsize=1)
def gdal_library() -> ctypes.CDLL | None:
    """GDAL's C library as pyogrio loaded it (``None`` when it cannot be found or is too old)."""
    if tuple(pyogrio.__gdal_version__[:2]) < _MIN_VERSION:
        return None
    lib = _pyogrio_gdal()
    if lib is None:
        return None
    p, s, i = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int
    for name, restype, argtypes in (
        ("GDALOpenEx", p, [s, ctypes.c_uint, p, p, p]),
        ("GDALClose", i, [p]),
        ("GDALDatasetGetLayerByName", p, [p, s]),
        ("GDALDatasetGetLayerCount", i, [p]),
        ("GDALDatasetGetLayer", p, [p, i]),
        ("OGR_L_GetName", s, [p]),
        ("OGR_L_GetLayerDefn", p, [p]),
        ("OGR_L_AlterFieldDefn", i, [p, i, p, i]),
        ("OGR_FD_GetFieldCount", i, [p]),
        ("OGR_FD_GetFieldIndex", i, [p, s]),
        ("OGR_FD_GetFieldDefn", p, [p, i]),
        ("OGR_Fld_Create", p, [s, i]),
        ("OGR_Fld_Destroy", None, [p]),
        ("OGR_Fld_GetType", i, [p]),
        ("OGR_Fld_GetSubType", i, [p]),
        ("OGR_Fld_SetSubType", None, [p, i]),
        ("OGR_Fld_GetNameRef", s, [p]),
        ("OGR_Fld_SetAlternativeName", None, [p, s]),
        ("OGR_Fld_GetAlternativeNameRef", s, [p]),
        ("CPLGetLastErrorMsg", s, []),
    ):
        try:
            function = getattr(lib, name)
        except AttributeError:
            return None
        function.restype = restype
        function.argtypes = argtypes
    return lib


def set_field_aliases(path: str | os.PathLike[str],
                      aliases: Mapping[str, Mapping[str, str]]) -> int:
    """Give fields of the dataset ``path`` their aliases: layer → field → alias.

    Returns
    -------
    int
        Number of fields that got their alias (0 when GDAL cannot set aliases).
    """
    lib = gdal_library()
    if lib is None:
        return 0
    ds = lib.GDALOpenEx(os.fsencode(path), _OF_UPDATE_VECTOR, None, None, None)
    if not ds:
        return 0
    done = 0
    try:
        for layer_name, fields in aliases.items():
            layer = lib.GDALDatasetGetLayerByName(ds, layer_name.encode("utf-8"))
            if not layer:
                continue
            defn = lib.OGR_L_GetLayerDefn(layer)
            for field, alias in fields.items():
                index = lib.OGR_FD_GetFieldIndex(defn, field.encode("utf-8"))
                if index < 0 or not alias:
                    continue
                old = lib.OGR_FD_GetFieldDefn(defn, index)
                new = lib.OGR_Fld_Create(field.encode("utf-8"), lib.OGR_Fld_GetType(old))
                lib.OGR_Fld_SetSubType(new, lib.OGR_Fld_GetSubType(old))
                lib.OGR_Fld_SetAlternativeName(new, alias.encode("utf-8"))
                try:
                    if lib.OGR_L_AlterFieldDefn(layer, index, new, _ALTER_ALTERNATIVE_NAME) == 0:
                        done += 1
                finally:
                    lib.OGR_Fld_Destroy(new)
    finally:
        lib.GDALClose(ds)
    return done


def field_aliases(path: str | os.PathLike[str]) -> dict[str, dict[str, str]]:
    """The aliases GDAL reads from the dataset ``path``: layer → field → alias (may be empty).

    Raises
    ------
    RuntimeError
        When GDAL's library cannot be used or the dataset cannot be opened.
    """
    lib = gdal_library()
    if lib is None:
        raise RuntimeError("GDAL's C library (≥ 3.7) is not available through pyogrio")
    ds = lib.GDALOpenEx(os.fsencode(path), _OF_VECTOR, None, None, None)
    if not ds:
        message = (lib.CPLGetLastErrorMsg() or b"").decode("utf-8", "replace")
        raise RuntimeError(f"GDAL cannot open {path}: {message}")
    out: dict[str, dict[str, str]] = {}
    try:
        for i in range(lib.GDALDatasetGetLayerCount(ds)):
            layer = lib.GDALDatasetGetLayer(ds, i)
            defn = lib.OGR_L_GetLayerDefn(layer)
            fields: dict[str, str] = {}
            for j in range(lib.OGR_FD_GetFieldCount(defn)):
                field = lib.OGR_FD_GetFieldDefn(defn, j)
                alias = lib.OGR_Fld_GetAlternativeNameRef(field) or b""
                fields[lib.OGR_Fld_GetNameRef(field).decode("utf-8")] = alias.decode("utf-8")
            out[lib.OGR_L_GetName(layer).decode("utf-8")] = fields
    finally:
        lib.GDALClose(ds)
    return out
