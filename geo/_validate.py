"""All checks on the layers of the data contract, in one place.

Each ``validate_*`` function takes a layer already in the metric CRS, returns it with the
columns and types of the contract (see :class:`geo.dataset.Dataset`) and records what it
repaired, dropped or guessed in the :class:`~geo.dataset.ValidationReport`. Input that cannot be
used raises :class:`~geo._errors.DataError` naming the file, the column and the fix. Nothing is
dropped without a line in the report.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from geo._datum import DATUM_CLOSER_RATIO, DATUM_WARNING_M, check_datum, road_lines_tree
from geo._errors import DataError
from geo.dataset import ValidationReport
from geo.schema import COLUMN_ALIASES, ID_COLUMNS, LAYER_COLUMNS, accepted_names, aliases_for, normalise_name
from geo.settings import LIMITS, InputLimits
from geo.taxonomy import category_key, kind_from_name
from geo.texts import row_refs, rows_text

__all__ = ["COLUMN_ALIASES", "DATUM_CLOSER_RATIO", "DATUM_WARNING_M", "OPTIONAL", "REQUIRED",
           "SheetRows", "apply_aliases", "assign_community", "check_datum", "clean_geometries",
           "empty_candidates", "parse_numbers", "population_from_communities", "require_columns",
           "road_lines_tree", "row_names", "row_refs_of", "validate_candidates",
           "validate_communities", "validate_facilities", "validate_population"]

REQUIRED: dict[str, tuple[str, ...]] = {k: v[0] for k, v in LAYER_COLUMNS.items()}
OPTIONAL: dict[str, tuple[str, ...]] = {k: v[1] for k, v in LAYER_COLUMNS.items()}

# ---- Target groups (residents aged 60+ and children aged 0-6, planning.access.groups) --------
#: Optional count columns of the population layer, with the Chinese names they also go by.
GROUP_COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "elderly": ("60岁以上人口", "60岁及以上人口", "60岁以上老年人口", "60岁以上", "老年人口", "老年人数"),
    "children": ("0-6岁人口", "0～6岁人口", "0-6岁儿童", "0-6岁儿童人口", "0-6岁", "学龄前儿童"),
}
COLUMN_ALIASES.update(GROUP_COLUMN_ALIASES)
OPTIONAL["population"] = (*OPTIONAL["population"], *GROUP_COLUMN_ALIASES)
# ---------------------------------------------------------------------------------------------

_KIND_WORDS = {"urban": "urban", "城市": "urban", "城镇": "urban", "社区": "urban",
               "居委会": "urban", "城市社区": "urban", "城镇社区": "urban", "rural": "rural",
               "农村": "rural", "乡村": "rural", "村": "rural", "农村社区": "rural",
               "村委会": "rural", "行政村": "rural"}
_STATUS_WORDS = {"existing": "existing", "现状": "existing", "已建": "existing",
                 "现有": "existing", "建成": "existing", "已建成": "existing", "保留": "existing",
                 "planned": "planned", "规划": "planned", "拟建": "planned", "在建": "planned",
                 "新建": "planned", "规划新建": "planned", "计划": "planned"}
# 1,234 and 12,345.6 use thousands separators; 12,5 or 1.234,5 are decimal commas.
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")


# --------------------------------------------------------------------------------- internals
@dataclass(frozen=True, eq=False)
class SheetRows:
    """Which sheet and line each row of a layer read from several sheets of a workbook came from.

    Set as the name of the layer's index (which survives filtering), so that messages name
    "line 5 of sheet '二街道'" instead of a position in the combined table.
    """

    sheets: tuple[tuple[str, int], ...]  # (sheet name, number of rows) in reading order
    rows: tuple[tuple[int, ...], ...]  # 0-based row of each row in its sheet

    def locate(self, position: int) -> tuple[str, int]:
        """(sheet, file line) of the combined table's row ``position``."""
        for (sheet, count), rows in zip(self.sheets, self.rows, strict=True):
            if position < count:
                return sheet, rows[position] + 2
            position -= count
        return self.sheets[-1][0], position + 2


def _is_table(file: str | None) -> bool:
    return bool(file) and str(file).lower().endswith((".csv", ".txt", ".xlsx", ".xlsm"))


def row_refs_of(index: Iterable[object], *, file: str | None) -> dict[str, Any]:
    """Language-free reference to rows (:func:`geo.texts.row_refs`) of a layer read from ``file``."""
    sheets = getattr(index, "name", None)
    return row_refs(index, table=_is_table(file),
                    sheets=sheets if isinstance(sheets, SheetRows) else None)


def row_names(index: Iterable[object], *, file: str | None, limit: int = 5) -> str:
    """How a planner finds rows again: file lines for tables, 1-based features otherwise."""
    sheets = getattr(index, "name", None)
    ref = row_refs(index, table=_is_table(file), limit=limit,
                   sheets=sheets if isinstance(sheets, SheetRows) else None)
    return rows_text(ref, "en")


def apply_aliases(gdf: gpd.GeoDataFrame, layer: str, *, report: ValidationReport,
                  file: str | None) -> gpd.GeoDataFrame:
    """Rename common Chinese column names to the contract's names (only when missing).

    Headers are compared by :func:`geo.schema.normalise_name` (case, spaces, a unit in
    brackets); the aliases are :data:`geo.schema.COLUMN_ALIASES`.
    """
    wanted = REQUIRED.get(layer, ()) + OPTIONAL.get(layer, ())
    lower: dict[str, object] = {}
    for c in gdf.columns:
        if c != gdf.geometry.name:
            lower.setdefault(normalise_name(c), c)
    renames: dict[object, str] = {}
    for column in wanted:
        if column in gdf.columns:
            continue
        for alias in (column, *aliases_for(layer, column)):
            found = lower.get(normalise_name(alias))
            if found is None and alias == column and len(column) > 10:
                found = lower.get(column[:10])  # Shapefile names stop at 10 characters
            if found is not None and found not in renames and found not in wanted:
                renames[found] = column
                break
    if renames:
        report.add("info", layer, key="columns.renamed", file=file,
                   values={"renames": [[str(old), new] for old, new in renames.items()]})
        gdf = gdf.rename(columns=renames)
    return gdf


def _accepted_text(columns: Iterable[str]) -> str:
    return "; ".join(f"{c}: " + "/".join(accepted_names(c)[:8]) for c in columns)


def require_columns(gdf: gpd.GeoDataFrame, layer: str, *, file: str | None) -> None:
    """Raise when a required column is missing, listing the columns that are there.

    An empty layer (an empty FeatureCollection has no columns at all) is said to be empty.
    """
    missing = [c for c in REQUIRED.get(layer, ()) if c not in gdf.columns]
    if not missing:
        return
    if len(gdf) == 0:
        raise DataError(key="layer.no_features", file=file, layer=layer,
                        values={"layer": layer})
    present = [str(c) for c in gdf.columns if c != gdf.geometry.name]
    raise DataError(key="columns.missing", file=file, layer=layer, column=missing[0],
                    values={"missing": missing, "present": present[:15] or ["no columns"],
                            "accepted": _accepted_text(missing)})


def _generate_ids(gdf: gpd.GeoDataFrame, layer: str, *, report: ValidationReport,
                  file: str | None) -> gpd.GeoDataFrame:
    """Give a layer without an id column ids in row order (C1, C2 … / F1 … / S1 …), with a note."""
    column, prefix = ID_COLUMNS[layer]
    if column in gdf.columns or len(gdf) == 0:
        return gdf
    ids = [f"{prefix}{i + 1}" for i in range(len(gdf))]
    report.add("info", layer, key="ids.generated", file=file, column=column, count=len(ids),
               values={"column": column, "first": ids[0], "last": ids[-1]})
    return gdf.assign(**{column: ids})


def _ids(gdf: gpd.GeoDataFrame, column: str, layer: str, *, file: str | None) -> pd.Series:
    values = gdf[column]
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        numbers = values.astype("float64")
        if numbers.notna().all() and np.isfinite(numbers).all() \
                and np.all(np.mod(numbers, 1) == 0) and np.all(np.abs(numbers) < 2**53):
            values = numbers.astype("int64").astype(str)
        text = values.astype("string")
    else:
        text = values.astype("string").str.strip()
    missing = text.isna() | (text == "")
    if missing.any():
        raise DataError(key="ids.missing", file=file, layer=layer, column=column,
                        values={"n": int(missing.sum()), "column": column,
                                "rows": row_refs_of(gdf.index[missing.to_numpy()], file=file)})
    duplicated = text[text.duplicated(keep=False)]
    if len(duplicated):
        some = list(dict.fromkeys(duplicated.tolist()))
        raise DataError(key="ids.duplicated", file=file, layer=layer, column=column,
                        values={"n": len(some), "column": column, "examples": some[:5]})
    return text.astype(str)


def parse_numbers(raw: pd.Series, *, column: str, layer: str | None, file: str | None,
                  thousands: bool = True, limit: float | None = None,
                  fix: str | None = None) -> pd.Series:
    """Numbers of a column as float64 (NaN where empty), refusing what cannot be meant.

    Text is read after NFKC (full-width digits). ``1,234`` and ``12,345.6`` carry thousands
    separators (when ``thousands``); ``12,5`` and ``1.234,5`` carry decimal commas and are
    refused, as are words, infinite values and values above ``limit``. Every refusal names the
    file, the column and the rows.
    """
    def refuse(key: str, mask: np.ndarray, **values: Any) -> DataError:
        examples = [str(v) for v in raw[mask].head(3).tolist()]
        fix_key = "numbers.decimal_comma.fix" if key == "numbers.decimal_comma" else "numbers.fix"
        return DataError(key=key, file=file, layer=layer, column=column, fix=fix,
                         values={"n": int(mask.sum()), "examples": examples, "fix_key": fix_key,
                                 "rows": row_refs_of(raw.index[mask], file=file), **values})

    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        values = raw.astype("float64")
    else:
        text = raw.astype("string").str.strip().str.normalize("NFKC")
        comma = text.str.contains(",", regex=False).fillna(False).to_numpy(dtype=bool)
        if comma.any():
            grouped = text.str.fullmatch(_THOUSANDS.pattern).fillna(False).to_numpy(dtype=bool)
            decimal = comma & ~grouped if thousands else comma
            if decimal.any():
                raise refuse("numbers.decimal_comma", decimal)
            text = text.str.replace(",", "", regex=False)
        values = pd.to_numeric(text, errors="coerce").astype("float64")
        bad = (values.isna() & text.notna() & (text != "")).to_numpy(dtype=bool)
        if bad.any():
            raise refuse("numbers.not_numbers", bad)
    infinite = np.isinf(values.to_numpy())
    if infinite.any():
        raise refuse("numbers.not_finite", infinite)
    if limit is not None:
        large = (values.abs() > limit).fillna(False).to_numpy(dtype=bool)
        if large.any():
            raise refuse("numbers.too_large", large, limit=limit)
    return values


def _limit(column: str, limits: InputLimits) -> float | None:
    if column in ("population", "households"):
        return limits.max_people_per_feature
    if column in ("floor_area_m2", "capacity"):
        return limits.max_floor_area_m2
    return None


def _numbers(gdf: gpd.GeoDataFrame, column: str, layer: str, *, file: str | None,
             negative_ok: bool = False, limits: InputLimits = LIMITS) -> pd.Series:
    values = parse_numbers(gdf[column], column=column, layer=layer, file=file,
                           limit=_limit(column, limits))
    if not negative_ok:
        negative = values < 0
        if negative.any():
            raise DataError(key="numbers.negative", file=file, layer=layer, column=column,
                            values={"n": int(negative.sum()),
                                    "rows": row_refs_of(gdf.index[negative.to_numpy()],
                                                        file=file)})
    return values


def _text(gdf: gpd.GeoDataFrame, column: str) -> pd.Series:
    if column not in gdf.columns:
        return pd.Series(pd.NA, index=gdf.index, dtype="string")
    return gdf[column].astype("string").str.strip().replace("", pd.NA)


def clean_geometries(gdf: gpd.GeoDataFrame, layer: str, *, expected: str,
                     report: ValidationReport, file: str | None) -> gpd.GeoDataFrame:
    """Drop empty geometries, repair invalid ones and bring them to the layer's kind.

    ``expected`` is ``"polygon"`` (communities), ``"point"`` (facilities, candidates: polygons
    become centroids with a warning) or ``"point_or_polygon"`` (population: grid cells become
    representative points).
    """
    geoms = gdf.geometry.to_numpy().copy()  # edited in place below
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if empty.any():
        report.add("warning", layer, key="geometry.empty", file=file, count=int(empty.sum()),
                   values={"n": int(empty.sum()), "rows": row_refs_of(gdf.index[empty],
                                                                      file=file)})
        gdf = gdf.loc[~empty]
        geoms = geoms[~empty]
    coords, owner = shapely.get_coordinates(geoms, return_index=True)
    not_finite = np.unique(owner[~np.isfinite(coords).all(axis=1)])
    if len(not_finite):  # GEOS cannot repair or measure these: name them instead
        raise DataError(key="geometry.not_finite", file=file, layer=layer,
                        values={"n": len(not_finite),
                                "rows": row_refs_of(gdf.index[not_finite], file=file)})
    if shapely.has_z(geoms).any():  # heights from CAD/survey exports play no part here
        geoms = shapely.force_2d(geoms)
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():
        geoms = geoms.copy()
        geoms[invalid] = shapely.make_valid(geoms[invalid])
        report.add("warning", layer, key="geometry.repaired", file=file,
                   count=int(invalid.sum()),
                   values={"n": int(invalid.sum()), "rows": row_refs_of(gdf.index[invalid],
                                                                        file=file)})
    dims = shapely.get_dimensions(geoms)
    if expected == "polygon":
        if (dims == 2).any():
            # make_valid may leave stray lines or points beside the polygon: keep the area.
            collections = shapely.get_type_id(geoms) == 7
            for i in np.flatnonzero(collections & (dims == 2)):
                parts = shapely.get_parts(geoms[i])
                geoms[i] = shapely.union_all(parts[shapely.get_dimensions(parts) == 2])
        wrong = dims < 2
        if wrong.any():
            kind = "points" if (dims[wrong] == 0).all() else "lines or points"
            raise DataError(f"{int(wrong.sum())} feature(s) are {kind}, but {layer} must be "
                            f"polygons (boundaries) ({row_names(gdf.index[wrong], file=file)})",
                            file=file, layer=layer,
                            fix="Use the boundary polygons of the communities/villages")
    else:
        lines = dims == 1
        if lines.any():
            raise DataError(f"{int(lines.sum())} feature(s) are lines; {layer} must be points"
                            f"{' or polygons' if expected == 'point_or_polygon' else ''} "
                            f"({row_names(gdf.index[lines], file=file)})", file=file,
                            layer=layer, fix="Check that the right file was given for this layer")
        areas = dims == 2
        multi = (dims == 0) & (shapely.get_num_geometries(geoms) > 1)
        if areas.any():
            if expected == "point":
                geoms[areas] = shapely.centroid(geoms[areas])
                report.add("warning", layer, key="geometry.centroid", file=file, count=int(areas.sum()),
                           values={"n": int(areas.sum())})
            else:
                geoms[areas] = shapely.point_on_surface(geoms[areas])
                report.add("info", layer, key="geometry.point_inside", file=file, count=int(areas.sum()),
                           values={"n": int(areas.sum())})
        if multi.any():
            geoms[multi] = shapely.centroid(geoms[multi])
            report.add("warning", layer, key="geometry.multipoint", file=file,
                       count=int(multi.sum()), values={"n": int(multi.sum())})
        single = (dims == 0) & ~multi & (shapely.get_type_id(geoms) == 4)
        if single.any():
            geoms[single] = shapely.get_geometry(geoms[single], 0)
    out = gdf.copy()
    out.geometry = gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs)
    return out


def _finish(gdf: gpd.GeoDataFrame, columns: list[str]) -> gpd.GeoDataFrame:
    extra = [c for c in gdf.columns if c not in columns and c != gdf.geometry.name]
    out = gdf[columns + extra + [gdf.geometry.name]]
    if out.geometry.name != "geometry":
        out = out.rename_geometry("geometry")
    if isinstance(out.index.name, SheetRows):  # only messages needed it; exports must not see it
        out = out.copy()
        out.index.name = None
    return out


def _normalise(values: pd.Series, words: Mapping[str, str]) -> pd.Series:
    mapped = [words.get(v.lower(), v.lower()) if isinstance(v, str) else None for v in values]
    return pd.Series(mapped, index=values.index, dtype="string")


# ----------------------------------------------------------------------------------- layers
def validate_communities(gdf: gpd.GeoDataFrame, *, report: ValidationReport,
                         file: str | None = None) -> gpd.GeoDataFrame:
    """Communities (社区/村): polygons with id, name, kind, households, population, street."""
    layer = "communities"
    gdf = apply_aliases(gdf, layer, report=report, file=file)
    if "community_id" not in gdf.columns or len(gdf) == 0:  # an id can stand for the name
        require_columns(gdf, layer, file=file)
    gdf = clean_geometries(gdf, layer, expected="polygon", report=report, file=file)
    if len(gdf) == 0:
        raise DataError(key="communities.none", file=file, layer=layer)
    gdf = _generate_ids(gdf, layer, report=report, file=file)
    out = gdf.copy()
    out["community_id"] = _ids(gdf, "community_id", layer, file=file)
    out["name"] = _text(gdf, "name").fillna(out["community_id"]).astype(str)
    out["kind"] = _community_kind(out, gdf, report=report, file=file)
    for column in ("households", "population"):
        out[column] = (_numbers(gdf, column, layer, file=file) if column in gdf.columns
                       else pd.Series(np.nan, index=gdf.index, dtype="float64"))
    for column in ("street", "district"):
        out[column] = _text(gdf, column)
    return _finish(out, ["community_id", "name", "kind", "households", "population", "street",
                         "district"])


def _community_kind(out: gpd.GeoDataFrame, gdf: gpd.GeoDataFrame, *,
                    report: ValidationReport, file: str | None) -> pd.Series:
    layer = "communities"
    given = _normalise(_text(gdf, "kind"), _KIND_WORDS)
    unknown = given.notna() & ~given.isin(["urban", "rural"])
    if unknown.any():
        raise DataError(key="kind.unknown", file=file, layer=layer, column="kind",
                        values={"examples": sorted(set(given[unknown]))[:5],
                                "rows": row_refs_of(gdf.index[unknown.to_numpy()], file=file)})
    names = out["name"].astype(str).str.strip()
    inferred = kind_from_name(names)
    need = given.isna()
    unclear = need & (inferred == "")
    if need.any():
        kind = given.where(~need, inferred.replace("", "urban"))
        report.add("info", layer, key="kind.inferred", file=file, column="kind",
                   count=int(need.sum()), values={"n": int(need.sum())})
        if unclear.any():
            report.add("info", layer, key="kind.unclear", file=file, column="kind",
                       count=int(unclear.sum()),
                       values={"n": int(unclear.sum()), "names": names[unclear].head(3).tolist()})
        return kind.astype(str)
    return given.astype(str)


def validate_facilities(gdf: gpd.GeoDataFrame, *, report: ValidationReport,
                        file: str | None = None) -> gpd.GeoDataFrame:
    """Facilities: points with id, category (taxonomy key), name, floor area, capacity, status."""
    return _validate_points(gdf, "facilities", report=report, file=file)


def validate_candidates(gdf: gpd.GeoDataFrame, *, report: ValidationReport,
                        file: str | None = None) -> gpd.GeoDataFrame:
    """Candidate sites: points with id, name, floor area, source, cost."""
    return _validate_points(gdf, "candidates", report=report, file=file)


def _validate_points(gdf: gpd.GeoDataFrame, layer: str, *, report: ValidationReport,
                     file: str | None) -> gpd.GeoDataFrame:
    gdf = apply_aliases(gdf, layer, report=report, file=file)
    require_columns(gdf, layer, file=file)
    gdf = clean_geometries(gdf, layer, expected="point", report=report, file=file)
    id_column = "facility_id" if layer == "facilities" else "candidate_id"
    gdf = _generate_ids(gdf, layer, report=report, file=file)
    out = gdf.copy()
    out[id_column] = _ids(gdf, id_column, layer, file=file) if len(gdf) else \
        pd.Series(index=gdf.index, dtype=str)
    out["name"] = _text(gdf, "name")
    for column in ("floor_area_m2", "capacity", "cost"):
        if column in OPTIONAL[layer]:
            out[column] = (_numbers(gdf, column, layer, file=file) if column in gdf.columns
                           else pd.Series(np.nan, index=gdf.index, dtype="float64"))
    if layer == "facilities":
        out["category"] = _text(gdf, "category")
        out = _check_categories(out, report=report, file=file)
        status = _normalise(_text(out, "status"), _STATUS_WORDS)
        unknown = status.notna() & ~status.isin(["existing", "planned"])
        if unknown.any():
            raise DataError(key="status.unknown", file=file, layer=layer, column="status",
                            values={"examples": sorted(set(status[unknown]))[:5],
                                    "rows": row_refs_of(out.index[unknown.to_numpy()],
                                                        file=file)})
        out["status"] = status.fillna("existing").astype(str)
        columns = ["facility_id", "category", "name", "floor_area_m2", "capacity", "status"]
        if len(out) == 0:
            report.add("warning", layer, key="facilities.empty", file=file)
    else:
        out["source"] = _text(gdf, "source").fillna("given")
        columns = ["candidate_id", "name", "floor_area_m2", "source", "cost"]
    return _finish(out, columns)


def _check_categories(out: gpd.GeoDataFrame, *, report: ValidationReport,
                      file: str | None) -> gpd.GeoDataFrame:
    """Category keys from keys, labels and synonyms (:func:`geo.taxonomy.category_key`)."""
    layer = "facilities"
    raw = out["category"]
    keys = pd.Series([category_key(v) for v in raw], index=raw.index, dtype="string")
    unknown = keys.isna()
    if unknown.any():
        counts = raw[unknown].fillna("(empty)").value_counts()
        found = [[str(value), int(n)] for value, n in counts.head(8).items()]
        n = int(unknown.sum())
        if unknown.all():
            raise DataError(key="category.none_known", file=file, layer=layer,
                            column="category", values={"found": found})
        report.add("warning", layer, key="category.unknown", file=file, column="category",
                   count=n, values={"n": n, "found": found})
        out = out.loc[~unknown.to_numpy()]
        keys = keys[~unknown]
    out = out.copy()
    out["category"] = keys.astype(str)
    return out


def validate_population(gdf: gpd.GeoDataFrame, communities: gpd.GeoDataFrame, *,
                        report: ValidationReport, file: str | None = None) -> gpd.GeoDataFrame:
    """Population points (grid cells → a point inside), each tagged with its community_id."""
    layer = "population"
    gdf = apply_aliases(gdf, layer, report=report, file=file)
    require_columns(gdf, layer, file=file)
    gdf = clean_geometries(gdf, layer, expected="point_or_polygon", report=report, file=file)
    population = _numbers(gdf, "population", layer, file=file)
    blank = population.isna()
    if blank.any():
        report.add("warning", layer, key="population.blank", file=file, column="population",
                   count=int(blank.sum()),
                   values={"n": int(blank.sum()),
                           "rows": row_refs_of(gdf.index[blank.to_numpy()], file=file)})
    out = gdf.loc[~blank.to_numpy()].copy()
    out["population"] = population[~blank]
    validate_group_counts(out, file=file)  # target groups: see GROUP_COLUMN_ALIASES
    if not float(out["population"].sum()) > 0:
        # Nobody to cover: every share of residents would be 0 / 0.
        what = "is empty or 0" if blank.any() else "is 0"
        raise DataError(f"the layer holds no residents (every population value {what})",
                        file=file, layer=layer, column="population",
                        fix="Give the number of residents of each point or grid cell")
    given = _text(out, "community_id") if "community_id" in out.columns else None
    out = out.drop(columns=["community_id"], errors="ignore")
    out["community_id"] = assign_community(out, communities)
    if given is not None:
        differ = given.fillna("").astype(str) != out["community_id"].fillna("").astype(str)
        if differ.any():
            report.add("info", layer, key="population.community_set", file=file,
                       column="community_id", count=int(differ.sum()),
                       values={"n": int(differ.sum()),
                               "rows": row_refs_of(out.index[differ.to_numpy()], file=file)})
    outside = out["community_id"].isna()
    if outside.any():
        report.add("warning", layer, key="population.outside", file=file,
                   column="community_id", count=int(outside.sum()),
                   values={"n": int(outside.sum()),
                           "people": float(out.loc[outside, "population"].sum())})
    return _finish(out, ["population", "community_id"])


def validate_group_counts(out: gpd.GeoDataFrame, *, file: str | None) -> None:
    """Make the ``elderly``/``children`` columns numbers between 0 and each point's population."""
    for column in GROUP_COLUMN_ALIASES:
        if column not in out.columns:
            continue
        values = _numbers(out, column, "population", file=file)
        blank = values.isna()
        if blank.all():  # an empty column (a template left blank) counts nobody: as if absent
            out.drop(columns=[column], inplace=True)
            continue
        if blank.any():
            raise DataError(f"{int(blank.sum())} point(s) have no {column} count "
                            f"({row_names(out.index[blank.to_numpy()], file=file)})", file=file,
                            layer="population", column=column,
                            fix="Give every point its count (0 where there are none), or remove the column")
        over = values > out["population"] + 1e-6
        if over.any():
            raise DataError(f"{int(over.sum())} point(s) count more {column} than residents "
                            f"({row_names(out.index[over.to_numpy()], file=file)})", file=file,
                            layer="population", column=column,
                            fix="Correct the counts: a group cannot exceed its point's population")
        out[column] = values


def assign_community(points: gpd.GeoDataFrame, communities: gpd.GeoDataFrame) -> pd.Series:
    """community_id of the polygon holding each point (first one on a shared border), else NA."""
    joined = gpd.sjoin(points[[points.geometry.name]],
                       communities[["community_id", communities.geometry.name]],
                       how="left", predicate="intersects")
    joined = joined[~joined.index.duplicated(keep="first")]
    return joined["community_id"].reindex(points.index).astype("string")


def population_from_communities(communities: gpd.GeoDataFrame, *, report: ValidationReport,
                                spacing_m: float = 100.0) -> gpd.GeoDataFrame:
    """Spread each community's population evenly over the centres of a grid inside it.

    Grid points lie on one ``spacing_m`` grid for the whole study area; communities too small to
    hold a grid point get their representative point.
    """
    pop = communities["population"]
    known = pop.notna() & (pop > 0)
    if not known.any():
        raise DataError("there is no population layer and the communities have no population "
                        "column", layer="population",
                        fix="Add a population layer (points or grid cells with a population "
                        "column) or a population column to the communities")
    unknown = communities.loc[pop.isna(), "name"]
    if len(unknown):
        report.add("warning", "population", key="population.community_unknown",
                   column="population", count=len(unknown),
                   values={"n": len(unknown), "names": unknown.head(3).astype(str).tolist()})
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    ids: list[np.ndarray] = []
    values: list[np.ndarray] = []
    for cid, geom, people in zip(communities.loc[known, "community_id"],
                                 communities.loc[known].geometry, pop[known], strict=True):
        minx, miny, maxx, maxy = geom.bounds
        gx = np.arange(np.floor(minx / spacing_m), np.ceil(maxx / spacing_m)) * spacing_m \
            + spacing_m / 2
        gy = np.arange(np.floor(miny / spacing_m), np.ceil(maxy / spacing_m)) * spacing_m \
            + spacing_m / 2
        grid_x, grid_y = np.meshgrid(gx, gy)
        mx, my = grid_x.ravel(), grid_y.ravel()
        inside = shapely.contains_xy(geom, mx, my)
        if inside.any():
            px, py = mx[inside], my[inside]
        else:
            point = geom.representative_point()
            px, py = np.array([point.x]), np.array([point.y])
        xs.append(px)
        ys.append(py)
        ids.append(np.full(len(px), cid, dtype=object))
        values.append(np.full(len(px), float(people) / len(px)))
    frame = gpd.GeoDataFrame(
        {"population": np.concatenate(values),
         "community_id": pd.array(np.concatenate(ids), dtype="string")},
        geometry=shapely.points(np.concatenate(xs), np.concatenate(ys)), crs=communities.crs)
    return frame


def empty_candidates(crs: CRS | str | int) -> gpd.GeoDataFrame:
    """The candidates layer when a data set has none: no rows, the contract's columns."""
    return gpd.GeoDataFrame(
        {"candidate_id": pd.Series(dtype=str), "name": pd.Series(dtype="string"),
         "floor_area_m2": pd.Series(dtype="float64"), "source": pd.Series(dtype=str),
         "cost": pd.Series(dtype="float64")},
        geometry=gpd.GeoSeries([], crs=crs), crs=crs)
