"""All checks on the layers of the data contract, in one place.

Each ``validate_*`` function takes a layer already in the metric CRS, returns it with the
columns and types of the contract (see :class:`geo.dataset.Dataset`) and records what it
repaired, dropped or guessed in the :class:`~geo.dataset.ValidationReport`. Input that cannot be
used raises :class:`~geo._errors.DataError` naming the file, the column and the fix. Nothing is
dropped without a line in the report.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from geo._errors import DataError
from geo.coords import from_wgs84, to_wgs84
from geo.dataset import ValidationReport
from geo.network import RoadNetwork
from geo.taxonomy import CATEGORIES, kind_from_name

#: Alternative column names accepted for each contract column (used only when it is absent).
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "community_id": ("社区编码", "社区代码", "社区编号", "村编码", "社区id", "村(社区)编码"),
    "facility_id": ("设施编号", "设施编码", "设施id"),
    "candidate_id": ("候选编号", "备选编号", "候选点编号"),
    "name": ("名称", "社区名称", "村名", "社区名", "设施名称", "村(社区)名称", "name_zh"),
    "kind": ("城乡类型", "城乡属性", "城乡"),
    "households": ("户数", "常住户数", "户籍户数"),
    "population": ("人口", "常住人口", "人口数", "人数", "pop"),
    "street": ("街道", "乡镇", "街道乡镇", "所属街道", "所属乡镇"),
    "district": ("区县", "县区", "所属区县"),
    "category": ("类别", "设施类别", "设施类型"),
    "floor_area_m2": ("建筑面积", "面积", "floor_area", "用房面积"),
    "capacity": ("容量", "床位数", "规模"),
    "status": ("状态", "建设状态"),
    "source": ("来源",),
    "cost": ("成本", "费用", "造价", "投资"),
}

REQUIRED: dict[str, tuple[str, ...]] = {
    "communities": ("community_id", "name"),
    "facilities": ("facility_id", "category"),
    "population": ("population",),
    "candidates": ("candidate_id",),
}
OPTIONAL: dict[str, tuple[str, ...]] = {
    "communities": ("kind", "households", "population", "street", "district"),
    "facilities": ("name", "floor_area_m2", "capacity", "status"),
    "population": (),
    "candidates": ("name", "floor_area_m2", "source", "cost"),
}
_NUMERIC = {"households", "population", "floor_area_m2", "capacity", "cost"}

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
               "居委会": "urban", "rural": "rural", "农村": "rural", "乡村": "rural", "村": "rural"}
_STATUS_WORDS = {"existing": "existing", "现状": "existing", "已建": "existing",
                 "现有": "existing", "建成": "existing", "planned": "planned", "规划": "planned",
                 "拟建": "planned", "在建": "planned", "新建": "planned"}

#: Median distance from points to the nearest road node above which a datum offset is likely.
DATUM_WARNING_M = 250.0
#: In dense street grids: warn when another system brings the points this much closer.
DATUM_CLOSER_RATIO = 0.7
_DATUM_SAMPLE = 20_000
_DATUM_MIN_POINTS = 50  # fewer points say too little about a systematic shift
_DATUM_MIN_GAIN_M = 5.0
_SYSTEM_NAMES = {"wgs84": "WGS84 (GPS, OpenStreetMap)", "gcj02": "GCJ-02 (Amap/高德, Tencent)",
                 "bd09": "BD-09 (Baidu/百度)"}


# --------------------------------------------------------------------------------- internals
def _is_table(file: str | None) -> bool:
    return bool(file) and str(file).lower().endswith((".csv", ".txt", ".xlsx", ".xlsm"))


def row_names(index: Iterable[object], *, file: str | None, limit: int = 5) -> str:
    """How a planner finds rows again: file lines for tables, 1-based features otherwise."""
    items = list(index)
    shown = items[:limit]
    plural = "s" if len(items) > 1 else ""
    if _is_table(file):
        text = f"line{plural} " + ", ".join(str(int(i) + 2) for i in shown)  # type: ignore
    else:
        text = f"feature{plural} " + ", ".join(
            str(int(i) + 1) if isinstance(i, (int, np.integer)) else str(i) for i in shown)
    return text + (f" and {len(items) - limit} more" if len(items) > limit else "")


def apply_aliases(gdf: gpd.GeoDataFrame, layer: str, *, report: ValidationReport,
                  file: str | None) -> gpd.GeoDataFrame:
    """Rename common Chinese column names to the contract's names (only when missing)."""
    wanted = REQUIRED.get(layer, ()) + OPTIONAL.get(layer, ())
    lower = {str(c).strip().lower(): c for c in gdf.columns if c != gdf.geometry.name}
    renames: dict[object, str] = {}
    for column in wanted:
        if column in gdf.columns:
            continue
        if column in lower:  # different case or surrounding spaces
            renames[lower[column]] = column
            continue
        if len(column) > 10 and column[:10] in lower:  # Shapefile names stop at 10 characters
            renames[lower[column[:10]]] = column
            continue
        for alias in COLUMN_ALIASES.get(column, ()):
            if alias.lower() in lower and lower[alias.lower()] not in renames:
                renames[lower[alias.lower()]] = column
                break
    if renames:
        report.add("info", layer, "columns read as " + ", ".join(
            f"'{old}' → {new}" for old, new in renames.items()), file=file)
        gdf = gdf.rename(columns=renames)
    return gdf


def require_columns(gdf: gpd.GeoDataFrame, layer: str, *, file: str | None) -> None:
    """Raise when a required column is missing, listing the columns that are there."""
    missing = [c for c in REQUIRED.get(layer, ()) if c not in gdf.columns]
    if missing:
        present = [str(c) for c in gdf.columns if c != gdf.geometry.name]
        raise DataError(
            f"required column(s) {', '.join(missing)} missing (the layer has: "
            f"{', '.join(present[:15]) or 'no columns'})",
            file=file, layer=layer, column=missing[0],
            fix=f"Add or rename the column(s) to {', '.join(missing)}",
        )


def _ids(gdf: gpd.GeoDataFrame, column: str, layer: str, *, file: str | None) -> pd.Series:
    values = gdf[column]
    if pd.api.types.is_numeric_dtype(values):
        numbers = values.astype("float64")
        if numbers.notna().all() and np.all(np.mod(numbers, 1) == 0):
            values = numbers.astype("int64").astype(str)
        text = values.astype("string")
    else:
        text = values.astype("string").str.strip()
    missing = text.isna() | (text == "")
    if missing.any():
        raise DataError(f"{int(missing.sum())} row(s) have no {column} "
                        f"({row_names(gdf.index[missing.to_numpy()], file=file)})",
                        file=file, layer=layer, column=column,
                        fix=f"Give every row a unique {column}")
    duplicated = text[text.duplicated(keep=False)]
    if len(duplicated):
        some = list(dict.fromkeys(duplicated.tolist()))
        raise DataError(
            f"{len(some)} {column} value(s) are used more than once (e.g. "
            + ", ".join(repr(v) for v in some[:5]) + ")",
            file=file, layer=layer, column=column, fix=f"Make every {column} unique")
    return text.astype(str)


def _numbers(gdf: gpd.GeoDataFrame, column: str, layer: str, *, file: str | None,
             negative_ok: bool = False) -> pd.Series:
    raw = gdf[column]
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        values = raw.astype("float64")
    else:
        text = raw.astype("string").str.strip().str.replace(",", "", regex=False)
        values = pd.to_numeric(text, errors="coerce").astype("float64")
        bad = values.isna() & text.notna() & (text != "")
        if bad.any():
            examples = ", ".join(repr(v) for v in raw[bad].head(3).tolist())
            raise DataError(
                f"{int(bad.sum())} value(s) are not numbers "
                f"({row_names(gdf.index[bad.to_numpy()], file=file)}: {examples})",
                file=file, layer=layer, column=column,
                fix="Write plain numbers (no units or text), leave unknown values empty")
    if not negative_ok:
        negative = values < 0
        if negative.any():
            raise DataError(
                f"{int(negative.sum())} negative value(s) "
                f"({row_names(gdf.index[negative.to_numpy()], file=file)})",
                file=file, layer=layer, column=column, fix="Use counts of zero or more")
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
        report.add("warning", layer, f"{int(empty.sum())} feature(s) without geometry were left "
                   f"out ({row_names(gdf.index[empty], file=file)})", file=file,
                   count=int(empty.sum()))
        gdf = gdf.loc[~empty]
        geoms = geoms[~empty]
    if shapely.has_z(geoms).any():  # heights from CAD/survey exports play no part here
        geoms = shapely.force_2d(geoms)
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():
        geoms = geoms.copy()
        geoms[invalid] = shapely.make_valid(geoms[invalid])
        report.add("warning", layer, f"{int(invalid.sum())} invalid geometr"
                   f"{'y was' if invalid.sum() == 1 else 'ies were'} repaired "
                   f"({row_names(gdf.index[invalid], file=file)})", file=file,
                   count=int(invalid.sum()))
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
                report.add("warning", layer, f"{int(areas.sum())} polygon(s) were replaced by "
                           "their centroid (the layer should hold points)", file=file,
                           count=int(areas.sum()))
            else:
                geoms[areas] = shapely.point_on_surface(geoms[areas])
                report.add("info", layer, f"{int(areas.sum())} grid cell(s) or areas were "
                           "replaced by a point inside each", file=file, count=int(areas.sum()))
        if multi.any():
            geoms[multi] = shapely.centroid(geoms[multi])
            report.add("warning", layer, f"{int(multi.sum())} multi-point feature(s) were "
                       "replaced by the centre of their points", file=file,
                       count=int(multi.sum()))
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
    require_columns(gdf, layer, file=file)
    gdf = clean_geometries(gdf, layer, expected="polygon", report=report, file=file)
    if len(gdf) == 0:
        raise DataError("the layer has no communities", file=file, layer=layer,
                        fix="Add the community/village boundary polygons")
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
        raise DataError(f"unknown kind value(s) {sorted(set(given[unknown]))[:5]} "
                        f"({row_names(gdf.index[unknown.to_numpy()], file=file)})", file=file,
                        layer=layer, column="kind",
                        fix="Use 'urban' (城市社区) or 'rural' (农村社区/村), or leave it empty")
    names = out["name"].astype(str).str.strip()
    inferred = kind_from_name(names)
    need = given.isna()
    unclear = need & (inferred == "")
    if need.any():
        kind = given.where(~need, inferred.replace("", "urban"))
        report.add("info", layer, f"kind inferred from the name for {int(need.sum())} "
                   "communities (…村 → rural, …社区 → urban)", file=file, column="kind",
                   count=int(need.sum()))
        if unclear.any():
            report.add("info", layer, f"{int(unclear.sum())} community name(s) end neither in "
                       "村 nor 社区 and were taken as urban (e.g. "
                       + ", ".join(names[unclear].head(3)) + "); add a kind column to say "
                       "otherwise", file=file, column="kind", count=int(unclear.sum()))
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
            raise DataError(f"unknown status value(s) {sorted(set(status[unknown]))[:5]} "
                            f"({row_names(out.index[unknown.to_numpy()], file=file)})",
                            file=file, layer=layer, column="status",
                            fix="Use 'existing' (现状) or 'planned' (规划), or leave it empty "
                            "for existing")
        out["status"] = status.fillna("existing").astype(str)
        columns = ["facility_id", "category", "name", "floor_area_m2", "capacity", "status"]
        if len(out) == 0:
            report.add("warning", layer, "the layer has no facilities: nobody is covered",
                       file=file)
    else:
        out["source"] = _text(gdf, "source").fillna("given")
        columns = ["candidate_id", "name", "floor_area_m2", "source", "cost"]
    return _finish(out, columns)


def _category_lookup() -> dict[str, str]:
    lookup: dict[str, str] = {}
    for key, category in CATEGORIES.items():
        lookup[key] = key
        lookup[category.zh.lower()] = key
        lookup[category.en.lower()] = key
    return lookup


def _check_categories(out: gpd.GeoDataFrame, *, report: ValidationReport,
                      file: str | None) -> gpd.GeoDataFrame:
    layer = "facilities"
    lookup = _category_lookup()
    raw = out["category"]
    keys = pd.Series([lookup.get(v.lower().replace(" ", "_"), lookup.get(v.lower()))
                      if isinstance(v, str) else None for v in raw], index=raw.index,
                     dtype="string")
    unknown = keys.isna()
    valid_list = ", ".join(CATEGORIES)
    if unknown.any():
        counts = raw[unknown].fillna("(empty)").value_counts()
        listed = ", ".join(f"'{value}' ({n})" for value, n in counts.head(8).items())
        if unknown.all():
            raise DataError(f"no row has a known category (found {listed})", file=file,
                            layer=layer, column="category", fix=f"Use these keys: {valid_list}")
        report.add("warning", layer, f"{int(unknown.sum())} facilities with unknown categories "
                   f"were left out: {listed}. Valid categories: {valid_list}", file=file,
                   column="category", count=int(unknown.sum()))
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
        report.add("warning", layer, f"{int(blank.sum())} point(s) without a population value "
                   f"were left out ({row_names(gdf.index[blank.to_numpy()], file=file)})",
                   file=file, column="population", count=int(blank.sum()))
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
            report.add("info", layer, f"community_id of {int(differ.sum())} point(s) was set "
                       "from the community polygon that contains each point "
                       f"({row_names(out.index[differ.to_numpy()], file=file)})", file=file,
                       column="community_id", count=int(differ.sum()))
    outside = out["community_id"].isna()
    if outside.any():
        report.add("warning", layer, f"{int(outside.sum())} population point(s) "
                   f"({out.loc[outside, 'population'].sum():,.0f} people) lie outside every "
                   "community: they count in the totals but in no community's row", file=file,
                   column="community_id", count=int(outside.sum()))
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
        report.add("warning", "population", f"{len(unknown)} communities have no population "
                   "and count as empty (e.g. " + ", ".join(unknown.head(3).astype(str)) + ")",
                   column="population", count=len(unknown))
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


# ------------------------------------------------------------------------------------- datum
def _median_distance_m(x: np.ndarray, y: np.ndarray, roads: RoadNetwork) -> float:
    _, dist = roads.snap(x, y)
    return float(np.median(dist))


def road_lines_tree(roads: RoadNetwork) -> shapely.STRtree:
    """Spatial index of the road edges as straight lines (built once per network and reused)."""
    start = np.column_stack([roads.node_x[roads.edge_u], roads.node_y[roads.edge_u]])
    end = np.column_stack([roads.node_x[roads.edge_v], roads.node_y[roads.edge_v]])
    return shapely.STRtree(shapely.linestrings(np.stack([start, end], axis=1)))


def _median_to_lines_m(geoms: np.ndarray, tree: shapely.STRtree) -> float:
    _, distance = tree.query_nearest(geoms, return_distance=True, all_matches=False)
    return float(np.median(distance))


def _in_other_systems(sample: gpd.GeoDataFrame, system: str) -> dict[str, np.ndarray]:
    """The sample's points as they would be if the file's numbers were in another system."""
    current = "wgs84" if system == "cgcs2000" else system
    raw = from_wgs84(sample.to_crs(4326), current)  # the numbers as they were in the file
    here = sample.geometry.to_numpy()
    others = {}
    for alternative in ("wgs84", "gcj02", "bd09"):
        if alternative != current:
            moved = to_wgs84(raw, alternative).to_crs(sample.crs).geometry.to_numpy()
            # outside China the systems agree: nothing to compare
            if float(np.max(shapely.distance(moved, here))) > 1.0:
                others[alternative] = moved
    return others


def check_datum(points: gpd.GeoDataFrame, roads: RoadNetwork, *, layer: str,
                file: str | None, system: str = "wgs84", lonlat: bool = True,
                report: ValidationReport, threshold_m: float = DATUM_WARNING_M,
                compare_lines: bool = True, tree: shapely.STRtree | None = None) -> float:
    """Warn when a point layer lies off the roads in a way that means a datum mix-up.

    Amap/Baidu coordinates read as WGS84 lie 300–700 m off OpenStreetMap roads inside China.
    The warning comes when the median distance from the points to the nearest road node is
    over ``threshold_m``, or, in dense street grids where any point is near some road, when
    reading the file's numbers as GCJ-02, BD-09 or WGS84 brings them clearly closer
    (median below :data:`DATUM_CLOSER_RATIO` of the present one). It says which system fits
    and how to tell the tool. The second test suits points that sit on streets (facilities,
    candidates), not homes inside blocks (``compare_lines=False``). ``tree`` (from
    :func:`road_lines_tree`) saves rebuilding the road-line index for every layer.

    Returns
    -------
    float
        Median distance in metres from the points to their nearest road node.
    """
    if len(points) == 0 or roads.n_nodes == 0:
        return float("nan")
    step = max(1, len(points) // _DATUM_SAMPLE)
    sample = points.iloc[::step]
    x, y = shapely.get_x(sample.geometry.to_numpy()), shapely.get_y(sample.geometry.to_numpy())
    median = _median_distance_m(x, y, roads)
    far = median > threshold_m
    others = _in_other_systems(sample, system) if lonlat else {}
    best: tuple[float, str] | None = None  # (median metres, system) of the best other reading
    fits = clearly_closer = False
    median_lines = float("nan")
    if others and far:
        best = min((_median_distance_m(shapely.get_x(g), shapely.get_y(g), roads), name)
                   for name, g in others.items())
        fits = best[0] <= threshold_m and best[0] < 0.5 * median
    elif others and compare_lines and len(sample) >= _DATUM_MIN_POINTS:
        # In a dense street grid every point is near some node: compare distances to the
        # road lines themselves, which a systematic shift of a few hundred metres changes.
        tree = tree if tree is not None else road_lines_tree(roads)
        here = _median_to_lines_m(sample.geometry.to_numpy(), tree)
        best = min((_median_to_lines_m(g, tree), name) for name, g in others.items())
        clearly_closer = best[0] < DATUM_CLOSER_RATIO * here and here - best[0] >= \
            _DATUM_MIN_GAIN_M
        median_lines = here
    if not far and not clearly_closer:
        return median
    if far:
        message = (f"the points lie a median {median:,.0f} m from the nearest road (more than "
                   f"{threshold_m:.0f} m): the layer and the roads may use different "
                   "coordinate systems")
    else:
        message = (f"the points lie a median {median_lines:,.1f} m from the nearest road line, "
                   "clearly more than they would in another coordinate system")
    fix = ""
    if best is not None and (fits or clearly_closer):
        message += (f". Read as {_SYSTEM_NAMES[best[1]]} they would lie "
                    f"{best[0]:,.{0 if far else 1}f} m from the roads")
        fix = (f"if the file comes from {_SYSTEM_NAMES[best[1]]}, say so: "
               f"coords = \"{best[1]}\" in dataset.toml, or the --coords {best[1]} option")
    elif not lonlat:
        fix = "check the layer's projection (.prj file)"
    report.add("warning", layer, message + (f". Fix: {fix}" if fix else ""), file=file,
               count=len(points))
    return median
