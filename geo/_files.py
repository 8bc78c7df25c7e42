"""Opening what a planner hands over: regular files only, and zip archives unpacked safely.

A FIFO, socket or device named ``dataset.toml`` or ``facilities.csv`` would make a reader wait
forever; an archive may be corrupt (bad CRC, broken deflate stream), encrypted, a zip bomb or
hold paths that leave its folder. Each case becomes a :class:`~geo._errors.DataError` that names
the file and the fix, before anything is read or written.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath, PureWindowsPath

from geo._errors import DataError
from geo.settings import LIMITS, InputLimits

#: File endings read as vector layers (besides ``.zip``).
VECTOR_SUFFIXES: tuple[str, ...] = (".gpkg", ".geojson", ".json", ".shp", ".csv", ".xlsx",
                                    ".xlsm", ".kml", ".fgb")
#: File endings extracted from archives: layers, their companion files, road files, metadata.
ARCHIVE_SUFFIXES: tuple[str, ...] = VECTOR_SUFFIXES + (
    ".zip", ".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".shp.xml", ".qmd", ".pbf",
    ".osm", ".osm.bz2", ".osm.gz", ".graphml", ".toml", ".md", ".txt", ".gpkg-wal", ".gpkg-shm")
# What zipfile and zlib raise for a damaged or unsupported member.
_ZIP_READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError,
                    ValueError)


def require_regular_file(path: Path, *, shown: str | None = None) -> None:
    """Raise unless ``path`` is a regular file (not a FIFO, socket, device or folder)."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise DataError(f"cannot be opened ({exc.strerror or exc})", file=shown or path.name,
                        fix="Check the path and the file's permissions") from None
    if not stat.S_ISREG(mode):
        kind, kind_zh = (("a folder", "文件夹") if stat.S_ISDIR(mode) else
                         ("a pipe (FIFO)", "管道（FIFO）") if stat.S_ISFIFO(mode) else
                         ("a socket", "套接字") if stat.S_ISSOCK(mode) else
                         ("a device or other special file", "设备或其他特殊文件"))
        raise DataError(key="file.not_regular", file=shown or path.name,
                        values={"kind": kind, "kind_zh": kind_zh})


def read_regular_bytes(path: Path, *, max_bytes: int, shown: str | None = None) -> bytes:
    """The bytes of a small regular file, refused when special or larger than ``max_bytes``.

    Opened without blocking and checked on the open descriptor, so a FIFO put in place of the
    file between a check and the read cannot make the reader wait.
    """
    name = shown or path.name
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise DataError(f"cannot be opened ({exc.strerror or exc})", file=name,
                        fix="Check the path and the file's permissions") from None
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fh.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise DataError(key="file.not_regular", file=name,
                            values={"kind": "not a regular file (a pipe, socket or device)",
                                    "kind_zh": "管道、套接字或设备"},
                            problem="is not a regular file (a pipe, socket or device); it was "
                            "not read")
        if info.st_size > max_bytes:
            raise DataError(f"is {info.st_size:,} bytes, more than the {max_bytes:,} allowed",
                            file=name, fix="Keep only the settings in it")
        return fh.read(max_bytes + 1)[:max_bytes]


# ---------------------------------------------------------------------------------------- zips
def _member_name(info: zipfile.ZipInfo) -> str:
    # Zips made on Chinese Windows store GBK names without the UTF-8 flag; zipfile then decodes
    # them as cp437. Undo that so 社区.shp keeps its name.
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gb18030")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def _safe_member_path(name: str, archive: Path) -> PurePosixPath | None:
    """Relative path of a member, ``None`` for directories; refuse anything escaping the folder."""
    unified = name.replace("\\", "/")
    if unified.endswith("/"):
        return None
    posix = PurePosixPath(unified)
    if (posix.is_absolute() or PureWindowsPath(name).drive or ".." in posix.parts
            or any(":" in part for part in posix.parts)):
        raise DataError(
            f"the archive holds a file with an unsafe path '{name}' (outside its folder); "
            "it was not opened",
            file=archive.name,
            fix="Make the zip again from the data folder itself",
        )
    return posix


def _damaged(archive: Path, member: str, exc: BaseException) -> DataError:
    if isinstance(exc, RuntimeError) and "encrypt" in str(exc).lower():
        return DataError(key="zip.encrypted", file=archive.name, values={"member": member})
    if isinstance(exc, NotImplementedError):
        return DataError(f"'{member}' is packed with a compression method that cannot be read "
                         f"({exc})", file=archive.name,
                         fix="Zip the files again with ordinary (deflate) compression")
    detail = " ".join(str(exc).split()) or type(exc).__name__
    return DataError(key="zip.damaged", file=archive.name,
                     values={"member": member, "detail": detail})


def _bomb(archive: Path, unpacked: int, packed: int, limits: InputLimits) -> DataError | None:
    if unpacked > limits.bomb_floor_bytes and packed > 0 \
            and unpacked / packed > limits.max_expansion_ratio:
        return DataError(key="zip.bomb", file=archive.name,
                         values={"ratio": unpacked / packed, "packed": size_text(packed),
                                 "unpacked": size_text(unpacked)})
    return None


def extract_zip(archive: str | Path, target: str | Path, *, max_bytes: int | None = None,
                limits: InputLimits = LIMITS) -> Path:
    """Extract a zip safely into ``target`` and return ``target``.

    Members with absolute paths, ``..`` parts, drive letters or symbolic links are refused
    (:class:`DataError`) before anything is written; only data files
    (:data:`ARCHIVE_SUFFIXES`) are extracted. An archive with more than
    ``limits.max_archive_files`` members, one that unpacks to more than
    ``limits.max_unpacked_bytes`` (or ``max_bytes``) whatever its headers claim, one that expands
    more than ``limits.max_expansion_ratio``-fold, and a damaged or encrypted one are refused.
    """
    archive = Path(archive)
    target = Path(target)
    budget = limits.max_unpacked_bytes if max_bytes is None else max_bytes
    require_regular_file(archive)
    packed_total = archive.stat().st_size
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError, *_ZIP_READ_ERRORS) as exc:
        raise DataError(key="zip.unreadable", file=archive.name,
                        values={"detail": str(exc)}) from None
    with zf:
        infos = zf.infolist()
        if len(infos) > limits.max_archive_files:
            raise DataError(key="zip.too_many", file=archive.name,
                            values={"n": len(infos), "limit": limits.max_archive_files})
        plan: list[tuple[zipfile.ZipInfo, PurePosixPath]] = []
        for info in infos:
            if stat.S_ISLNK(info.external_attr >> 16):
                raise DataError(f"the archive holds a symbolic link '{info.filename}'; "
                                "it was not opened", file=archive.name,
                                fix="Zip the files themselves, not links to them")
            rel = _safe_member_path(_member_name(info), archive)
            # Only data files come out (whitelist); anything else in an upload is ignored.
            if rel is not None and rel.name.lower().endswith(ARCHIVE_SUFFIXES):
                plan.append((info, rel))
        declared = sum(info.file_size for info, _ in plan)
        if declared > budget:
            raise _too_big(archive, budget)
        refused = _bomb(archive, declared, packed_total, limits)
        if refused is not None:
            raise refused
        written = 0
        for info, rel in plan:
            if info.compress_size and info.file_size > limits.bomb_floor_bytes \
                    and info.file_size / info.compress_size > limits.max_expansion_ratio:
                raise DataError(f"'{rel}' expands {info.file_size / info.compress_size:,.0f}-fold; "
                                "refused as a possible zip bomb", file=archive.name)
            out = target.joinpath(*rel.parts)
            out.parent.mkdir(parents=True, exist_ok=True)
            try:
                with zf.open(info) as src, open(out, "wb") as dst:
                    while chunk := src.read(1 << 20):
                        written += len(chunk)
                        if written > budget:
                            raise _too_big(archive, budget)
                        dst.write(chunk)
            except _ZIP_READ_ERRORS as exc:
                raise _damaged(archive, str(rel), exc) from None
            refused = _bomb(archive, written, packed_total, limits)
            if refused is not None:  # headers may understate what comes out
                raise refused
    return target


def size_text(n_bytes: float) -> str:
    """``"512 KiB"``, ``"400 MiB"``, ``"2.0 GiB"``."""
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n_bytes >= scale:
            return f"{n_bytes / scale:,.1f} {unit}" if unit == "GiB" else \
                f"{n_bytes / scale:,.0f} {unit}"
    return f"{n_bytes:,.0f} bytes"


def _too_big(archive: Path, budget: int) -> DataError:
    return DataError(key="zip.too_big", file=archive.name, values={"limit": size_text(budget)})


@contextmanager
def extracted(archive: str | Path, *, limits: InputLimits = LIMITS) -> Iterator[Path]:
    """Context manager: a zip extracted safely into a temporary folder, removed afterwards."""
    tmp = Path(tempfile.mkdtemp(prefix="Service-circles-"))
    try:
        yield extract_zip(archive, tmp, limits=limits)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def descend_single_folder(folder: Path) -> Path:
    """A zipped folder extracts as one sub-folder; use it (skipping ``__MACOSX`` clutter)."""
    entries = [p for p in folder.iterdir() if p.name not in ("__MACOSX",)
               and not p.name.startswith(".")]
    if len(entries) == 1 and entries[0].is_dir():
        return descend_single_folder(entries[0])
    return folder
