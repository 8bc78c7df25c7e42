"""What each uploaded layer needs, read from the importer itself, and template files to fill in.

The lists shown on the upload page are the importer's own (:mod:`geo._validate`: required and
optional columns, the Chinese column names it accepts, the words it accepts for kind and status;
:mod:`geo.taxonomy`: the categories with their labels and whatever synonyms it lists;
:mod:`geo.readers`: the coordinate columns of tables), so the help never drifts from what is read.
Templates are CSV (UTF-8 with BOM, which Excel opens) and XLSX files with the layer's columns (the
Chinese names in the Chinese UI) and two example rows that load as they are.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from app_support.i18n import t
from geo import _validate, readers, taxonomy
from geo.schema import ID_COLUMNS

#: Layers a planner can bring as a table or a GIS file (roads come as OSM files or line layers).
TABLE_LAYERS: tuple[str, ...] = ("communities", "facilities", "population", "candidates")
GEOMETRY: dict[str, str] = {"communities": "polygon", "facilities": "point", "population": "point_or_polygon",
                            "candidates": "point"}
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Example rows of the templates (near Ma'anshan, WGS84); values by contract column.
_RING = "POLYGON (({x0} 31.70, {x1} 31.70, {x1} 31.71, {x0} 31.71, {x0} 31.70))"
_EXAMPLES: dict[str, list[dict[str, Any]]] = {
    "communities": [
        {"community_id": "C001", "name": "花山社区", "kind": "urban", "households": 400, "population": 1000,
         "street": "花山街道", "district": "花山区", "wkt": _RING.format(x0="118.500", x1="118.510")},
        {"community_id": "C002", "name": "采石村", "kind": "rural", "households": 200, "population": 500,
         "street": "采石镇", "district": "雨山区", "wkt": _RING.format(x0="118.510", x1="118.520")},
    ],
    "facilities": [
        {"facility_id": "F001", "category": "health", "name": "花山卫生服务站", "floor_area_m2": 300,
         "capacity": "", "status": "existing", "lon": 118.503, "lat": 31.703},
        {"facility_id": "F002", "category": "community_living_room", "name": "采石社区客厅", "floor_area_m2": 450,
         "capacity": 80, "status": "planned", "lon": 118.515, "lat": 31.706},
    ],
    "population": [
        {"population": 600, "elderly": 130, "children": 40, "lon": 118.504, "lat": 31.704},
        {"population": 400, "elderly": 95, "children": 25, "lon": 118.514, "lat": 31.707},
    ],
    "candidates": [
        {"candidate_id": "K001", "name": "闲置办公楼", "floor_area_m2": 400, "source": "idle_building", "cost": "",
         "lon": 118.512, "lat": 31.705},
        {"candidate_id": "K002", "name": "培训中心", "floor_area_m2": 900, "source": "idle_building", "cost": 120,
         "lon": 118.506, "lat": 31.708},
    ],
}


def required_columns(layer: str) -> tuple[str, ...]:
    return tuple(_validate.REQUIRED.get(layer, ()))


def optional_columns(layer: str) -> tuple[str, ...]:
    return tuple(_validate.OPTIONAL.get(layer, ()))


def column_aliases(column: str) -> tuple[str, ...]:
    """The other names the importer reads as ``column`` (Chinese headers first)."""
    aliases = tuple(_validate.COLUMN_ALIASES.get(column, ()))
    return tuple(sorted(aliases, key=lambda a: not _has_cjk(a)))


def lonlat_columns() -> tuple[tuple[str, str], ...]:
    return tuple(readers.LONLAT_COLUMNS)


def category_words() -> dict[str, list[str]]:
    """Category key → every word the importer reads as it (key, labels, listed synonyms)."""
    words: dict[str, list[str]] = {}
    for key, category in taxonomy.CATEGORIES.items():
        words[key] = [key, category.zh, category.en]
        for attr in ("synonyms", "aliases"):
            words[key] += [str(w) for w in getattr(category, attr, ()) or ()]
    for module in (taxonomy, _validate):
        for name in ("CATEGORY_SYNONYMS", "CATEGORY_ALIASES"):
            table = getattr(module, name, None)
            if isinstance(table, Mapping):
                for a, b in table.items():
                    if a in words:  # key → words
                        words[a] += [b] if isinstance(b, str) else [str(w) for w in b]
                    elif isinstance(b, str) and b in words:  # word → key
                        words[b].append(str(a))
    return {key: list(dict.fromkeys(w for w in found if w)) for key, found in words.items()}


def value_words(column: str) -> dict[str, list[str]]:
    """``kind`` / ``status``: contract value → the words the importer reads as it."""
    table = getattr(_validate, f"{column.upper()}_WORDS", None) or getattr(_validate, f"_{column.upper()}_WORDS", {})
    out: dict[str, list[str]] = {}
    for word, value in dict(table).items():
        out.setdefault(str(value), [str(value)])
        if word != value:
            out[str(value)].append(str(word))
    return out


def requirements(layer: str, lang: str) -> pd.DataFrame:
    """One row per column of ``layer``: name, required or optional, Chinese names, what to write."""
    rows = []
    for column in (*required_columns(layer), *optional_columns(layer)):
        rows.append({
            t("contract.column", lang): column,
            t("contract.needed", lang): t("contract.required" if column in required_columns(layer)
                                          else "contract.optional", lang),
            t("contract.aliases", lang): "、".join(column_aliases(column)) or "—",
            t("contract.meaning", lang): _meaning(layer, column, lang),
        })
    if layer != "communities":
        pairs = "、".join("/".join(p) for p in lonlat_columns())
        rows.append({t("contract.column", lang): "经度/纬度" if lang == "zh" else "lon/lat",
                     t("contract.needed", lang): t("contract.tables_only", lang),
                     t("contract.aliases", lang): pairs, t("contract.meaning", lang): t("contract.lonlat", lang)})
    rows.append({t("contract.column", lang): "geometry",
                 t("contract.needed", lang): t("contract.required" if layer == "communities"
                                               else "contract.tables_only", lang),
                 t("contract.aliases", lang): "、".join(readers.WKT_COLUMNS),
                 t("contract.meaning", lang): t(f"contract.geometry.{GEOMETRY[layer]}", lang)})
    return pd.DataFrame(rows)


def _meaning(layer: str, column: str, lang: str) -> str:
    text = t(f"contract.{column}", lang)
    if column in ("kind", "status"):
        return text + " " + "；".join(f"{value}: " + "、".join(words[1:]) for value, words in
                                     value_words(column).items())
    return text


def category_table(lang: str) -> pd.DataFrame:
    """The values of the facilities' category column: key, labels and the other words read as it."""
    rows = []
    for key, words in category_words().items():
        rows.append({t("contract.category_key", lang): key, t("contract.category_zh", lang): words[1],
                     t("contract.category_en", lang): words[2],
                     t("contract.category_other", lang): "、".join(words[3:]) or "—"})
    return pd.DataFrame(rows)


def header(column: str, lang: str) -> str:
    """The template's header of ``column``: its first Chinese alias in the Chinese UI."""
    if lang == "zh":
        chinese = [a for a in column_aliases(column) if _has_cjk(a)]
        if chinese:
            return chinese[0]
    return column


def template_frame(layer: str, lang: str) -> pd.DataFrame:
    """The template table of ``layer``: every contract column and two example rows."""
    columns = [*required_columns(layer), *optional_columns(layer)]
    # The layer's own id first, as planners list it, whether it is required or made when absent.
    own_id = ID_COLUMNS.get(layer, ("",))[0]
    if own_id in columns:
        columns.remove(own_id)
        columns.insert(0, own_id)
    words = {"kind": _first_word(value_words("kind"), lang), "status": _first_word(value_words("status"), lang)}
    categories = {key: (w[1] if lang == "zh" else key) for key, w in category_words().items()}
    lon, lat = next(((a, b) for a, b in lonlat_columns() if _has_cjk(a) == (lang == "zh")), lonlat_columns()[0])
    rows = []
    for example in _EXAMPLES[layer]:
        row: dict[str, Any] = {}
        for column in columns:
            value = example.get(column, "")
            if column in words:
                value = words[column].get(value, value)
            elif column == "category":
                value = categories.get(value, value)
            row[header(column, lang)] = value
        if layer == "communities":
            row[readers.WKT_COLUMNS[0]] = example["wkt"]
        else:
            row[lon], row[lat] = example["lon"], example["lat"]
        rows.append(row)
    return pd.DataFrame(rows)


def _first_word(table: Mapping[str, list[str]], lang: str) -> dict[str, str]:
    """Contract value → the word a template writes for it (a Chinese one in the Chinese UI)."""
    out = {}
    for value, words in table.items():
        chinese = [w for w in words if _has_cjk(w)]
        out[value] = chinese[0] if lang == "zh" and chinese else value
    return out


def template_files(layer: str, lang: str) -> dict[str, tuple[bytes, str]]:
    """``{file name: (bytes, MIME type)}``: the CSV and the XLSX template of ``layer``."""
    frame = template_frame(layer, lang)
    csv = frame.to_csv(index=False).encode("utf-8-sig")
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        frame.to_excel(writer, sheet_name=layer, index=False)
    return {f"{layer}.csv": (csv, "text/csv"), f"{layer}.xlsx": (buffer.getvalue(), XLSX_MIME)}


def _has_cjk(text: str | Iterable[str]) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in str(text))
