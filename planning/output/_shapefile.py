"""Shapefile details: 10-byte field names, 254-byte text values, GBK/UTF-8 encodings.

dBASE files keep field names to 10 bytes and text values to 254 bytes, in one code page for the
whole file. These helpers shorten names through an explicit, collision-free mapping (written
beside the layer so nothing is lost) and check every value before GDAL would truncate or mangle it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from geo._errors import DataError
from planning.texts import column_labels

FIELD_NAME_BYTES = 10
TEXT_VALUE_BYTES = 254

#: Python codec and the code page GDAL writes into the ``.cpg`` file.
ENCODINGS: dict[str, tuple[str, str]] = {"utf-8": ("utf-8", "UTF-8"), "gbk": ("gbk", "GBK")}

# Whole-name abbreviations for the usual result columns; readable in an attribute table.
_WHOLE: dict[str, str] = {
    "community_id": "comm_id",
    "facility_id": "fac_id",
    "candidate_id": "cand_id",
    "circle_minutes": "circ_min",
    "complete_circle_pct": "full_circ",
    "floor_area_per_100_households": "fa_100hh",
    "floor_area_m2": "floor_m2",
    "missed_targets": "missed",
    "newly_covered": "new_cov",
    "cumulative_covered": "cum_cov",
    "cumulative_pct": "cum_pct",
    "covered_population": "cov_pop",
    "uncovered_population": "uncov_pop",
    "communities_missing": "comm_miss",
    "coverage_pct": "cov_pct",
    "category_zh": "cat_zh",
    "category_en": "cat_en",
}
# Short codes of category keys: "coverage_pct_community_living_room" -> "cov_clr".
_CATEGORY_CODES: dict[str, str] = {
    "community_service_center": "csc", "community_living_room": "clr", "elderly_care": "eld",
    "meal_aid": "meal", "health": "hlth", "childcare": "chld", "culture": "cult",
    "sports": "sprt", "social_work_station": "sws", "volunteer_station": "vol",
    "convenience_retail": "rtl", "express": "expr", "emergency_shelter": "shel",
    "police": "pol", "legal_service": "legal", "government_service": "gov",
}
_WORDS: dict[str, str] = {
    "coverage": "cov", "pct": "", "percent": "", "minutes": "min", "covered": "cv",
    "population": "pop", "households": "hh", "community": "comm", "communities": "comm",
    "facility": "fac", "facilities": "fac", "candidate": "cand", "cumulative": "cum",
    "category": "cat", "district": "dist", "distance": "dist", "before": "bef",
    "after": "aft", "number": "n", "count": "n", "area": "area", "floor": "fl",
    "capacity": "cap", "scenario": "scen", "difference": "diff", "target": "tgt",
}


def _byte_prefix(text: str, limit: int, codec: str) -> str:
    """Longest prefix of ``text`` whose encoding fits in ``limit`` bytes (never half a character)."""
    out = []
    used = 0
    for ch in text:
        size = len(ch.encode(codec, errors="replace"))
        if used + size > limit:
            break
        out.append(ch)
        used += size
    return "".join(out)


def _abbreviate(column: str) -> str:
    if column in _WHOLE:
        return _WHOLE[column]
    text = column
    # Longest keys first so that "community_service_center" wins over "community".
    for key in sorted(_CATEGORY_CODES, key=len, reverse=True):
        text = re.sub(rf"(?<![A-Za-z0-9]){key}(?![A-Za-z0-9])", _CATEGORY_CODES[key], text)
    tokens = [_WORDS.get(t, t) for t in text.split("_")]
    tokens = [t for t in tokens if t]
    joined = "_".join(tokens)
    return joined if len(joined) <= FIELD_NAME_BYTES else "".join(tokens)


def short_field_names(columns: Sequence[str], *, encoding: str = "utf-8") -> dict[str, str]:
    """Unique dBASE field names of at most 10 bytes for ``columns``, in column order.

    Names that already fit are kept; longer ones are abbreviated (category keys to short codes,
    common words to short forms), cut to 10 bytes, and made unique, ignoring case as dBASE does,
    with a numeric suffix (``coverage_1``, ``coverage_2``…).

    Examples
    --------
    >>> short_field_names(["coverage_pct_elderly_care", "minutes_health", "name"])
    {'coverage_pct_elderly_care': 'cov_eld', 'minutes_health': 'min_hlth', 'name': 'name'}
    """
    codec = ENCODINGS.get(encoding.lower(), (encoding, encoding))[0]
    result: dict[str, str] = {}
    used: set[str] = set()
    for column in columns:
        column = str(column)
        if len(column.encode(codec, errors="replace")) <= FIELD_NAME_BYTES:
            base = column
        else:
            base = _byte_prefix(_abbreviate(column), FIELD_NAME_BYTES, codec) or "field"
        name = base
        n = 0
        while name.lower() in used:
            n += 1
            suffix = f"_{n}"
            name = _byte_prefix(base, FIELD_NAME_BYTES - len(suffix), codec) + suffix
        used.add(name.lower())
        result[column] = name
    return result


def field_map_table(mapping: dict[str, str], *, notes: dict[str, str] | None = None) -> pd.DataFrame:
    """The ``<layer>_fields.csv`` table: short name, full name, zh label, en label, note."""
    notes = notes or {}
    rows = []
    for full, short in mapping.items():
        zh, en = column_labels(full)
        rows.append({"short_name": short, "full_name": full, "label_zh": zh, "label_en": en,
                     "note": notes.get(full, "")})
    return pd.DataFrame(rows, columns=["short_name", "full_name", "label_zh", "label_en", "note"])


def check_encodable(frame: pd.DataFrame, *, codec: str, layer: str, file: Path) -> None:
    """Raise :class:`DataError` when a text value or column name cannot be written in ``codec``."""
    for column in frame.columns:
        if column == getattr(frame, "_geometry_column_name", None):
            continue
        values = frame[column]
        if not (pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)):
            continue
        for value in values.dropna().unique():
            try:
                str(value).encode(codec)
            except UnicodeEncodeError as exc:
                bad = str(value)[exc.start:exc.end]
                raise DataError(
                    f"the text '{value}' has the character '{bad}', which {codec.upper()} "
                    "cannot store",
                    file=file, layer=layer, column=str(column),
                    fix="export with --encoding utf-8, or change that value",
                ) from None


def cut_long_text(frame: pd.DataFrame, *, codec: str) -> tuple[pd.DataFrame, dict[str, str]]:
    """Shorten text values longer than 254 bytes; return the frame and a note per column cut."""
    out = frame.copy()
    notes: dict[str, str] = {}
    for column in frame.columns:
        values = frame[column]
        if isinstance(values.dtype, gpd.array.GeometryDtype):
            continue
        if not (pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)):
            continue
        mask = values.map(lambda v: isinstance(v, str)
                          and len(v.encode(codec)) > TEXT_VALUE_BYTES).fillna(False).astype(bool)
        count = int(mask.sum())
        if count:
            cut = values[mask].map(
                lambda v: _byte_prefix(v, TEXT_VALUE_BYTES - len("…".encode(codec)), codec) + "…")
            column_values = values.astype(object).copy()
            column_values[mask] = cut
            out[column] = column_values
            notes[str(column)] = (
                f"{count} value(s) longer than the 254-byte dBASE limit were shortened (ending "
                "with …); the full text is in the GeoPackage, GeoJSON or CSV export / "
                f"{count} 个值超过 dBASE 254 字节上限，已截断（以…结尾），完整内容见 GeoPackage、"
                "GeoJSON 或 CSV 导出")
    return out, notes


def write_shapefile(gdf: gpd.GeoDataFrame, path: Path, *, encoding: str,
                    geometry_type: str | None = None) -> None:
    """Write one layer as a Shapefile (``.shp .shx .dbf .prj .cpg``) with already short names."""
    codepage = ENCODINGS[encoding][1]
    pyogrio.write_dataframe(gdf, path, driver="ESRI Shapefile", encoding=codepage,
                            geometry_type=geometry_type)
    # GDAL writes the .cpg only for some encodings; every reader we target honours it.
    cpg = path.with_suffix(".cpg")
    if not cpg.exists():
        cpg.write_text(codepage, encoding="ascii")


def shapefile_members(path: Path) -> Iterable[Path]:
    """The files of one Shapefile that exist on disk, in the usual order."""
    for suffix in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
        member = path.with_suffix(suffix)
        if member.exists():
            yield member

