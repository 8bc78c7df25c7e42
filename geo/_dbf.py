"""The encoding of a Shapefile's attribute table (.dbf), checked against its .cpg file.

Chinese desktop GIS writes GBK text; a .cpg file, when there is one, says which encoding the text
is in, but it is often wrong (copied from a template, or written by a tool that always says
UTF-8 or ISO-8859-1). GDAL trusts the .cpg: a wrong UTF-8 stops the reading with a bare
``'utf-8' codec can't decode``, a wrong Latin-1 turns every name into mojibake without complaint.
So the text fields' bytes are decoded here first:

- bytes that are valid UTF-8 are UTF-8 (other encodings of Chinese or accented text are almost
  never valid UTF-8);
- bytes that form GB2312 pairs of Chinese characters are GBK even when a .cpg says Latin-1;
- text that is neither what the .cpg says nor either of these is refused, naming the files.
"""

from __future__ import annotations

import codecs
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from geo._errors import DataError

_SAMPLE_BYTES = 8 * 1024**2  # enough records to judge the encoding of any real table
_CODE_PAGES = {"65001": "utf-8", "936": "gbk", "54936": "gb18030", "1252": "cp1252",
               "437": "cp437", "28591": "latin-1", "950": "big5", "932": "shift_jis",
               "1251": "cp1251", "1250": "cp1250"}
_GB_FAMILY = frozenset({"gbk", "gb2312", "gb18030", "cp936", "hz"})
_UTF8 = frozenset({"utf-8", "utf-8-sig"})


@dataclass(frozen=True)
class EncodingFinding:
    """What to read a .dbf with, and what to say about it."""

    encoding: str | None  # None: let GDAL decide (follow the .cpg, or ISO-8859-1)
    key: str | None = None  # geo.texts key of the note, if any
    declared: str | None = None  # what the .cpg says
    actual: str | None = None  # what the text is


def _text_field_bytes(dbf: Path) -> bytes | None:
    """The bytes of every character field of the first records, ``None`` if not a DBF."""
    with dbf.open("rb") as fh:
        data = fh.read(_SAMPLE_BYTES)
    if len(data) < 33:
        return None
    header_len = int.from_bytes(data[8:10], "little")
    record_len = int.from_bytes(data[10:12], "little")
    if header_len < 33 or record_len < 1:
        return None
    fields: list[tuple[int, int]] = []
    offset = 1  # the deletion flag comes first in every record
    for start in range(32, min(header_len, len(data)) - 31, 32):
        if data[start] == 0x0D:
            break
        kind, length = chr(data[start + 11]), data[start + 16]
        if kind == "C":
            fields.append((offset, length))
        offset += length
    if not fields:
        return b""
    parts = []
    for record in range(header_len, len(data) - record_len + 1, record_len):
        row = data[record:record + record_len]
        parts.extend(row[a:a + n].rstrip(b" \x00") for a, n in fields)
    return b"\n".join(parts)


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def _gb2312_chinese(data: bytes) -> bool:
    """True when every non-ASCII byte is part of a GB2312 pair that decodes to a Chinese letter.

    Accented Latin-1 text (``Müller``: a byte above 0xA0 followed by ASCII) never passes.
    """
    i, chars = 0, 0
    while i < len(data):
        byte = data[i]
        if byte < 0x80:
            i += 1
            continue
        if byte < 0xA1 or i + 1 >= len(data) or not 0xA1 <= data[i + 1] <= 0xFE:
            return False
        char = data[i:i + 2].decode("gb18030", errors="replace")
        if not ("\u4e00" <= char <= "\u9fff" or unicodedata.category(char)[0] in "PS"
                or "\uff00" <= char <= "\uffef"):
            return False
        chars += 1
        i += 2
    return chars > 0


def _declared(cpg: Path) -> str | None:
    """The codec a .cpg names (normalised by Python's codec registry), ``None`` if unknown."""
    with cpg.open("rb") as fh:
        raw = fh.read(256).decode("ascii", errors="ignore").strip().lower()
    raw = raw.removeprefix("ansi").strip()
    raw = _CODE_PAGES.get(raw, raw)
    if not raw or not raw.isprintable():
        return None
    try:
        return codecs.lookup(raw).name
    except (LookupError, ValueError):
        return None


def check_encoding(shp: Path, dbf: Path | None, cpg: Path | None) -> EncodingFinding:
    """How to read the attribute text of ``shp`` (see the module notes).

    Raises
    ------
    geo._errors.DataError
        The text is neither in the encoding the .cpg names nor UTF-8 nor GBK.
    """
    if dbf is None:
        return EncodingFinding(None)
    try:
        text = _text_field_bytes(dbf)
    except OSError:
        return EncodingFinding(None)
    if not text or text.isascii():
        return EncodingFinding(None)
    utf8 = _decodes(text, "utf-8")
    if cpg is None:
        # Without a .cpg GDAL assumes ISO-8859-1, which turns Chinese into mojibake.
        return EncodingFinding("UTF-8") if utf8 else \
            EncodingFinding("GB18030", "encoding.gbk_guessed", actual="GBK")
    declared = _declared(cpg)
    gbk = _decodes(text, "gb18030")
    shown = declared.upper() if declared else "an unknown encoding"

    def repaired(actual: str) -> EncodingFinding:
        return EncodingFinding("UTF-8" if actual == "UTF-8" else "GB18030", "encoding.cpg_wrong",
                               declared=shown, actual=actual)

    if declared in _UTF8:
        if utf8:
            return EncodingFinding(None)
        if gbk:
            return repaired("GBK")
    elif declared in _GB_FAMILY:
        if utf8 and not _gb2312_chinese(text):
            return repaired("UTF-8")
        if gbk:
            return EncodingFinding("GB18030")
    else:
        if utf8:
            return EncodingFinding(None) if declared == "ascii" and text.isascii() \
                else repaired("UTF-8")
        if _gb2312_chinese(text):
            return repaired("GBK")
        if declared is not None and _decodes(text, declared):
            if gbk:
                return EncodingFinding(None, "encoding.cpg_doubt", declared=shown, actual="GBK")
            return EncodingFinding(None)
        if gbk:
            return repaired("GBK")
    raise DataError(key="encoding.undecodable", file=shp.name, values={
        "cpg": cpg.name, "dbf": dbf.name, "declared": shown,
        "also": "" if declared in _UTF8 else ", UTF-8", "also_zh": "" if declared in _UTF8
        else "、UTF-8"})
