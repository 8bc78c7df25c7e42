"""What-if edits to the facilities: planned ones added, existing ones removed or closed.

An edit table has one row per edited facility, in the columns of the facilities layer plus
``edit``:

========================  =========================================================================
``facility_id``           id of the new facility (made up when an addition has none), or of the
                          existing facility that is removed or closed
``category``              taxonomy key (or its Chinese/English name) of an addition
``name``, ``floor_area_m2``, ``capacity``  of an addition (optional)
``status``                ``planned`` for additions (``removed`` / ``closed`` for the others)
``edit``                  ``add``, ``remove`` or ``close``
geometry                  the point of an addition; a removal or closure needs none
========================  =========================================================================

The same table is drawn on the map, written as a GeoJSON or GeoPackage file
(:func:`write_edits`, :func:`read_edits`) and applied to a data set (:func:`apply_edits`): the
additions become facilities with status ``planned``; removed and closed facilities serve nobody,
so both leave the analysed facilities (the edit table keeps which was which). Headers and
values may be written in Chinese as the importer accepts them (设施编号, 类别, 名称, 建筑面积,
容量, 操作 = 新增 / 删除 / 关闭 …).

Every edit refers to the data set as loaded: a facility id appears once, an addition's id is
new, a removal's id is in the data (:func:`check_edits`).

Examples
--------
>>> edits = read_edits("plan.geojson")                         # doctest: +SKIP
>>> planned = apply_edits(dataset, edits)                      # doctest: +SKIP
>>> edited_categories(dataset, edits)                          # doctest: +SKIP
['community_living_room']
"""

from __future__ import annotations

import dataclasses
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from geo._errors import DataError
from geo._validate import apply_aliases
from geo.dataset import Dataset, ValidationReport
from geo.taxonomy import CATEGORIES
from planning.output.files import write_geopackage, write_with

EDIT_KINDS: tuple[str, ...] = ("add", "remove", "close")
#: Columns of an edit table, in file order (``source`` and ``candidate_id`` tell where an
#: accepted siting result came from).
COLUMNS: tuple[str, ...] = ("facility_id", "category", "name", "floor_area_m2", "capacity", "status", "edit",
                            "source", "candidate_id")
STATUS_OF: dict[str, str] = {"add": "planned", "remove": "removed", "close": "closed"}
EDITS_LAYER = "edits"
SUFFIXES: tuple[str, ...] = (".geojson", ".json", ".gpkg")
#: Additions farther than this from every road node are refused as misplaced (swapped or
#: shifted coordinates): the analysis would silently move them to the nearest road.
MAX_ROAD_DISTANCE_M = 5_000.0

_EDIT_HEADERS = ("操作", "编辑", "编辑类型", "变更", "变更类型", "调整", "调整方式", "方案操作", "action",
                 "change", "edit_type")
_EDIT_WORDS = {
    "add": "add", "added": "add", "new": "add", "新增": "add", "增加": "add", "添加": "add", "新建": "add",
    "拟建": "add", "规划": "add", "规划新增": "add",
    "remove": "remove", "removed": "remove", "delete": "remove", "删除": "remove", "移除": "remove",
    "拆除": "remove", "去掉": "remove", "取消": "remove",
    "close": "close", "closed": "close", "关闭": "close", "停用": "close", "关停": "close", "撤销": "close",
    "撤并": "close", "闭店": "close",
}


def _norm(value: object) -> str:
    """A header or value as compared: NFKC (full-width → half-width), lower case, no spaces."""
    return "".join(unicodedata.normalize("NFKC", str(value)).strip().lower().split())


def _category_lookup() -> dict[str, str]:
    table: dict[str, str] = {}
    for key, cat in CATEGORIES.items():
        for word in (key, cat.zh, cat.en):
            table[_norm(word)] = key
        for part in cat.zh.split("/"):  # 托育/幼儿园: either word names it
            table.setdefault(_norm(part), key)
    return table


_CATEGORY = _category_lookup()


def category_key(value: object) -> str | None:
    """The taxonomy key of a category written as its key or its Chinese or English name.

    >>> category_key("社区客厅"), category_key("Community health station"), category_key("图书")
    ('community_living_room', 'health', None)
    """
    if value is None or (isinstance(value, float) and np.isnan(value)) or not str(value).strip():
        return None
    return _CATEGORY.get(_norm(value))


def empty_edits() -> gpd.GeoDataFrame:
    """An edit table without rows (longitude/latitude)."""
    frame = pd.DataFrame({c: pd.Series(dtype=float if c in ("floor_area_m2", "capacity") else object)
                          for c in COLUMNS})
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=4326), crs=4326)


def edit_table(rows: Iterable[dict[str, Any]], *, crs: Any = 4326) -> gpd.GeoDataFrame:
    """An edit table from row dicts with ``x``/``y`` (in ``crs``) for additions.

    Each row: ``edit`` and ``facility_id``, and for an addition ``category``, ``x``, ``y`` and
    optionally ``name``, ``floor_area_m2``, ``capacity``, ``source``, ``candidate_id``.
    """
    rows = list(rows)
    if not rows:
        return empty_edits()
    data: dict[str, list[Any]] = {c: [] for c in COLUMNS}
    geoms = []
    for row in rows:
        edit = str(row.get("edit", "add"))
        for column in COLUMNS:
            data[column].append(row.get(column))
        data["edit"][-1] = edit
        data["status"][-1] = STATUS_OF.get(edit, row.get("status"))
        has_xy = row.get("x") is not None and row.get("y") is not None
        geoms.append(shapely.Point(float(row["x"]), float(row["y"])) if has_xy else None)
    frame = pd.DataFrame(data)
    for column in ("floor_area_m2", "capacity"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    out = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=crs), crs=crs)
    return normalised(out.to_crs(4326), file=None)


# -------------------------------------------------------------------------------- reading
def read_edits(path: str | Path, *, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read an edit file (GeoJSON, or a GeoPackage with an ``edits`` layer or only one layer).

    Returns the :func:`normalised` table in longitude/latitude (EPSG:4326).

    Raises
    ------
    geo._errors.DataError
        Missing or unreadable file, no coordinate system, unknown edit or category, an addition
        without a point, a removal without an id, duplicate ids, negative areas …
    """
    path = Path(path)
    if not path.exists():
        raise DataError("scenario file not found", file=path, fix="check the path")
    if path.suffix.lower() not in SUFFIXES:
        raise DataError(f"a scenario file is GeoJSON or GeoPackage, not '{path.suffix or path.name}'",
                        file=path, fix="save the edits as .geojson or .gpkg")
    try:
        names = [str(n) for n, _ in pyogrio.list_layers(path)]
    except Exception as exc:  # pyogrio raises its own DataSourceError types
        raise DataError(f"cannot be read ({exc})", file=path, fix="save the edits again as GeoJSON or GeoPackage") \
            from None
    if layer is None:
        layer = EDITS_LAYER if EDITS_LAYER in names else (names[0] if len(names) == 1 else None)
        if layer is None:
            raise DataError(f"the file has several layers ({', '.join(names)}) and none is named 'edits'",
                            file=path, fix="name the layer of edits 'edits' or keep it alone in the file")
    elif layer not in names:
        raise DataError(f"no layer '{layer}' in the file (it has {', '.join(names)})", file=path,
                        fix="choose one of its layers")
    frame = pyogrio.read_dataframe(path, layer=layer)
    if not isinstance(frame, gpd.GeoDataFrame):  # a table without geometry: removals only
        frame = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([None] * len(frame), crs=4326), crs=4326)
    if frame.crs is None:
        if frame.geometry.notna().any():
            raise DataError("the edits have no coordinate system", file=path, layer=layer,
                            fix="save the layer with its CRS (longitude/latitude WGS84 is usual)")
        frame = frame.set_crs(4326)
    return normalised(frame.to_crs(4326), file=str(path), layer=layer)


def _rows(mask: np.ndarray, limit: int = 5) -> str:
    idx = np.flatnonzero(mask) + 1
    text = ", ".join(str(i) for i in idx[:limit])
    return f"feature{'s' if len(idx) > 1 else ''} {text}" + (f" and {len(idx) - limit} more" if len(idx) > limit
                                                              else "")


def normalised(frame: gpd.GeoDataFrame, *, file: str | None, layer: str | None = None) -> gpd.GeoDataFrame:
    """An edit table in the columns of :data:`COLUMNS`, checked row by row (see :func:`read_edits`)."""
    frame = frame.reset_index(drop=True)
    frame = apply_aliases(frame, "facilities", report=ValidationReport(), file=file)
    if "edit" not in frame.columns:
        found = {_norm(c): c for c in frame.columns if c != frame.geometry.name}
        header = next((found[_norm(h)] for h in _EDIT_HEADERS if _norm(h) in found), None)
        frame = frame.rename(columns={header: "edit"}) if header is not None else frame.assign(edit="add")
    where = {"file": file, "layer": layer}
    raw_edit = frame["edit"].astype(object).where(frame["edit"].notna(), "add")
    edit = raw_edit.map(lambda v: _EDIT_WORDS.get(_norm(v)) if _norm(v) else "add")
    if edit.isna().any():
        bad = sorted({str(v) for v in raw_edit[edit.isna()]})[:5]
        raise DataError(f"unknown edit {', '.join(map(repr, bad))} ({_rows(edit.isna().to_numpy())})", column="edit",
                        fix="write add (新增), remove (删除) or close (关闭)", **where)
    edit = edit.astype(str).to_numpy()
    adds = edit == "add"
    ids = frame["facility_id"] if "facility_id" in frame.columns else pd.Series([None] * len(frame))
    ids = ids.astype(object).where(ids.notna(), None).map(lambda v: None if v is None or not str(v).strip()
                                                           else str(v).strip())
    no_id = ids.isna().to_numpy()
    if (no_id & ~adds).any():
        raise DataError(f"a removal or closure needs the facility_id of the facility ({_rows(no_id & ~adds)})",
                        column="facility_id", fix="give the id of the existing facility", **where)
    ids = ids.to_numpy(dtype=object)
    taken = {str(i) for i in ids if i is not None}
    number = 0
    for i in np.flatnonzero(no_id):
        number += 1
        while f"planned-{number}" in taken:
            number += 1
        ids[i] = f"planned-{number}"
        taken.add(ids[i])
    dup = pd.Series(ids).duplicated(keep=False).to_numpy()
    if dup.any():
        shown = ", ".join(sorted({str(i) for i in ids[dup]})[:5])
        raise DataError(f"duplicate facility_id {shown} ({_rows(dup)})", column="facility_id",
                        fix="edit each facility once, with its own id", **where)
    raw_cat = frame["category"] if "category" in frame.columns else pd.Series([None] * len(frame))
    category = raw_cat.map(category_key).to_numpy(dtype=object)
    unknown = adds & pd.isna(category)
    if unknown.any():
        bad = sorted({str(v) for v in raw_cat[unknown] if v is not None and str(v).strip()})[:5]
        problem = (f"unknown categor{'y' if len(bad) == 1 else 'ies'} {', '.join(map(repr, bad))}" if bad
                   else "an addition needs a category")
        raise DataError(f"{problem} ({_rows(unknown)})", column="category",
                        fix=f"use a key or Chinese name of the taxonomy: {', '.join(CATEGORIES)}", **where)
    geoms = np.asarray(frame.geometry.array, dtype=object)
    missing = np.array([g is None or shapely.is_empty(g) for g in geoms], dtype=bool)
    if (adds & missing).any():
        raise DataError(f"an addition without a point ({_rows(adds & missing)})",
                        fix="draw the new facility on the map or give its point", **where)
    points = np.array([None if m else _point(g) for g, m in zip(geoms, missing)], dtype=object)
    if adds.any():
        xy = np.array([(p.x, p.y) if p is not None else (0.0, 0.0) for p in points], dtype=float)
        bad = adds & ~(np.isfinite(xy).all(axis=1) & (np.abs(xy[:, 0]) <= 180) & (np.abs(xy[:, 1]) <= 90))
        if bad.any():
            raise DataError(f"points outside the longitude/latitude range ({_rows(bad)})",
                            fix="give longitude first, then latitude (WGS84 degrees)", **where)
    numbers = {}
    for column in ("floor_area_m2", "capacity"):
        values = frame[column] if column in frame.columns else pd.Series(np.nan, index=frame.index)
        parsed = pd.to_numeric(values, errors="coerce").astype(float)
        bad = (values.notna() & values.astype(str).str.strip().ne("") & parsed.isna()).to_numpy()
        if bad.any() or (parsed < 0).any():
            rows = bad | (parsed < 0).to_numpy()
            raise DataError(f"{column} must be a number ≥ 0 ({_rows(rows)})", column=column,
                            fix="give the floor area in m² and the capacity in places, or leave them empty",
                            **where)
        numbers[column] = parsed.to_numpy(dtype=float)
    names = frame["name"] if "name" in frame.columns else pd.Series([None] * len(frame))
    names = names.astype(object).where(names.notna() & names.astype(str).str.strip().ne(""), None).to_numpy()
    names = np.where(adds & pd.isna(names), ids, names)
    extra = {c: (frame[c].astype(object).where(frame[c].notna(), None).to_numpy() if c in frame.columns
                 else np.full(len(frame), None, dtype=object)) for c in ("source", "candidate_id")}
    index = pd.RangeIndex(len(frame))

    def text(values: np.ndarray) -> pd.Series:
        # Object columns keep None for "not given" (a str column would turn it into NaN).
        return pd.Series([None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in values],
                         index=index, dtype=object)

    out = gpd.GeoDataFrame({
        "facility_id": text(ids),
        "category": text(np.where(adds, category, None)),
        "name": text(np.where(adds, names, None)),
        "floor_area_m2": np.where(adds, numbers["floor_area_m2"], np.nan),
        "capacity": np.where(adds, numbers["capacity"], np.nan),
        "status": text(np.array([STATUS_OF[e] for e in edit], dtype=object)),
        "edit": text(edit.astype(object)),
        **{c: text(v) for c, v in extra.items()},
    }, geometry=gpd.GeoSeries(np.where(adds, points, None), crs=frame.crs, index=index), crs=frame.crs,
        index=index)
    return out


def _point(geom: Any) -> shapely.Geometry:
    """A facility's point: a point as it is, the one point of a multipoint, a point inside others."""
    if geom.geom_type == "Point":
        return geom
    if geom.geom_type == "MultiPoint" and len(geom.geoms) == 1:
        return geom.geoms[0]
    return geom.representative_point()


# -------------------------------------------------------------------------------- writing
def write_edits(edits: gpd.GeoDataFrame, path: str | Path) -> Path:
    """Write an edit table as GeoJSON (``.geojson``/``.json``) or GeoPackage (layer ``edits``).

    Coordinates are longitude/latitude (WGS84). The file replaces ``path`` only once complete.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise DataError(f"edits are saved as GeoJSON or GeoPackage, not '{path.suffix or path.name}'",
                        file=path, fix="use a file name ending in .geojson or .gpkg")
    table = _file_table(edits)
    if suffix == ".gpkg":
        return write_geopackage(path, {EDITS_LAYER: table})
    return write_with(path, lambda tmp: pyogrio.write_dataframe(
        table, tmp, driver="GeoJSON", layer=EDITS_LAYER, geometry_type="Point"))


def _file_table(edits: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    table = edits.to_crs(4326) if edits.crs is not None else edits.set_crs(4326)
    keep = [c for c in COLUMNS if c in table.columns]
    out = gpd.GeoDataFrame(pd.DataFrame(table[keep]).astype(object).where(pd.DataFrame(table[keep]).notna(), None),
                           geometry=table.geometry.to_numpy(), crs=4326)
    for column in ("floor_area_m2", "capacity"):
        if column in out.columns:
            out[column] = pd.to_numeric(out[column], errors="coerce").astype(float)
    return out


# -------------------------------------------------------------------------------- applying
def check_edits(dataset: Dataset, edits: gpd.GeoDataFrame, *, file: str | Path | None = None,
                max_road_m: float | None = MAX_ROAD_DISTANCE_M) -> None:
    """Refuse edits that do not fit the data set: unknown ids to remove, ids already taken, and
    (unless ``max_road_m`` is ``None``) additions farther than ``max_road_m`` from every road.
    """
    fac = dataset.facilities
    known = set(fac["facility_id"].astype(str)) if len(fac) else set()
    ids = edits["facility_id"].astype(str).to_numpy()
    adds = edits["edit"].astype(str).to_numpy() == "add"
    where = {"file": str(file) if file is not None else None, "column": "facility_id"}
    unknown = ~adds & ~np.isin(ids, list(known))
    if unknown.any():
        shown = ", ".join(ids[unknown][:5])
        raise DataError(f"unknown facility id(s) to remove or close: {shown} (not in the data set's facilities)",
                        fix="check the id against the facilities layer, or use edit = add for a new facility",
                        **where)
    taken = adds & np.isin(ids, list(known))
    if taken.any():
        shown = ", ".join(ids[taken][:5])
        raise DataError(f"facility id(s) {shown} of additions already exist in the data set",
                        fix="give each planned facility a new id", **where)
    if adds.any() and max_road_m is not None:
        pts = edits.geometry[adds].to_crs(dataset.crs)
        _, dist = dataset.roads.snap(pts.x.to_numpy(dtype=float), pts.y.to_numpy(dtype=float))
        far = dist > max_road_m
        if far.any():
            shown = ", ".join(ids[adds][far][:5])
            raise DataError(f"planned facilit{'y' if far.sum() == 1 else 'ies'} {shown} lie more than "
                            f"{max_road_m / 1000:g} km from every road of the data set",
                            file=where["file"],
                            fix="check the coordinates (longitude first, WGS84) and the data set")


def apply_edits(dataset: Dataset, edits: gpd.GeoDataFrame | None) -> Dataset:
    """The data set with the edits made: planned facilities added, removed and closed ones left out.

    Kept facilities keep their rows and index; additions follow with new index values, in the
    order of the edits.
    """
    if edits is None or len(edits) == 0:
        return dataset
    check_edits(dataset, edits, max_road_m=None)
    fac = dataset.facilities
    kind = edits["edit"].astype(str).to_numpy()
    gone = set(edits.loc[kind != "add", "facility_id"].astype(str))
    kept = fac[~fac["facility_id"].astype(str).isin(gone)] if len(fac) else fac
    adds = edits[kind == "add"]
    if len(adds) == 0:
        return dataclasses.replace(dataset, facilities=kept)
    start = int(fac.index.max()) + 1 if len(fac) and pd.api.types.is_integer_dtype(fac.index) else len(fac)
    points = adds.geometry.to_crs(dataset.crs)
    new = gpd.GeoDataFrame({
        "facility_id": adds["facility_id"].astype(str).to_numpy(),
        "category": adds["category"].astype(str).to_numpy(),
        "name": adds["name"].to_numpy(dtype=object),
        "floor_area_m2": adds["floor_area_m2"].to_numpy(dtype=float),
        "capacity": adds["capacity"].to_numpy(dtype=float),
        "status": "planned",
    }, geometry=points.to_numpy(), crs=dataset.crs, index=pd.RangeIndex(start, start + len(adds)))
    geometry = fac.geometry.name if len(fac.columns) else "geometry"
    new = new.rename_geometry(geometry) if geometry != "geometry" else new
    columns = list(kept.columns) + [c for c in new.columns if c not in kept.columns]
    parts = [p for p in (kept, new) if len(p)]
    merged = pd.concat(parts) if len(parts) > 1 else parts[0]
    return dataclasses.replace(dataset, facilities=gpd.GeoDataFrame(merged[columns], geometry=geometry,
                                                                    crs=dataset.crs))


def edited_categories(dataset: Dataset, edits: gpd.GeoDataFrame | None) -> list[str]:
    """Categories whose facilities the edits change, in taxonomy order."""
    if edits is None or len(edits) == 0:
        return []
    kind = edits["edit"].astype(str).to_numpy()
    cats = set(edits.loc[kind == "add", "category"].astype(str))
    fac = dataset.facilities
    if len(fac) and (kind != "add").any():
        gone = set(edits.loc[kind != "add", "facility_id"].astype(str))
        cats |= set(fac.loc[fac["facility_id"].astype(str).isin(gone), "category"].astype(str))
    return [c for c in CATEGORIES if c in cats]


def changed_categories(dataset: Dataset, before: gpd.GeoDataFrame | None,
                       after: gpd.GeoDataFrame | None) -> list[str]:
    """Categories whose facilities differ between two edit tables of the same data set."""
    def rows(edits: gpd.GeoDataFrame | None) -> pd.DataFrame:
        if edits is None or len(edits) == 0:
            return pd.DataFrame(columns=["facility_id", "key"])
        pts = edits.geometry.to_crs(4326)
        xy = [None if g is None or g.is_empty else (round(g.x, 9), round(g.y, 9)) for g in pts]
        key = [(e, c, x, _num(a), _num(k)) for e, c, x, a, k in
               zip(edits["edit"], edits["category"], xy, edits["floor_area_m2"], edits["capacity"])]
        return pd.DataFrame({"facility_id": edits["facility_id"].astype(str).to_numpy(), "key": key})

    a, b = rows(before), rows(after)
    both = a.merge(b, on="facility_id", how="outer", suffixes=("_a", "_b"))
    differ = both[[x != y for x, y in zip(both["key_a"], both["key_b"])]]
    frames = [e for e in (before, after) if e is not None and len(e)]
    if not len(differ) or not frames:
        return []
    table = pd.concat(frames)
    return edited_categories(dataset, table[table["facility_id"].astype(str).isin(set(differ["facility_id"]))]
                             .drop_duplicates("facility_id", keep="last"))


def _num(value: Any) -> float | None:
    f = float(value) if value is not None else np.nan
    return None if np.isnan(f) else f


# -------------------------------------------------------------------------------- siting results
def edits_from_sites(result: Any, ranks: Sequence[int] | None = None) -> gpd.GeoDataFrame:
    """Recommended sites (of a :class:`planning.siting.SitingResult`) as additions.

    Parameters
    ----------
    result : planning.siting.SitingResult
    ranks : sequence of int, optional
        Ranks to accept (``[1, 2, 3]``); default every site.

    Each site becomes a planned facility of the result's category with id
    ``<category>:<candidate_id>``, its name, floor area and (with capacities) capacity; its
    ``source`` and ``candidate_id`` are kept.
    """
    sites = result.sites
    if ranks is not None:
        wanted = [int(r) for r in ranks]
        unknown = sorted(set(wanted) - set(sites["rank"].astype(int)))
        if unknown:
            raise DataError(f"no site of rank {', '.join(map(str, unknown))} in the result "
                            f"({len(sites)} site(s))", fix=f"accept ranks 1 to {len(sites)}")
        sites = sites[sites["rank"].astype(int).isin(wanted)]
    sites = sites.sort_values("rank")
    pts = sites.geometry.to_crs(4326)
    capacity = sites["capacity"] if "capacity" in sites.columns else pd.Series(np.nan, index=sites.index)
    return edit_table(
        ({"edit": "add", "facility_id": f"{result.category}:{cid}", "category": result.category,
          "name": name if isinstance(name, str) and name else str(cid), "floor_area_m2": area, "capacity": cap,
          "source": source, "candidate_id": str(cid), "x": p.x, "y": p.y}
         for cid, name, area, cap, source, p in zip(sites["candidate_id"], sites["name"], sites["floor_area_m2"],
                                                    capacity, sites["source"], pts)),
        crs=4326)


def combined(first: gpd.GeoDataFrame | None, second: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """Two edit tables as one; an id edited in both keeps the edit of ``second``."""
    parts = [e.to_crs(4326) for e in (first, second) if e is not None and len(e)]
    if not parts:
        return empty_edits()
    table = pd.concat(parts, ignore_index=True).drop_duplicates("facility_id", keep="last")
    return gpd.GeoDataFrame(table.reset_index(drop=True), geometry="geometry", crs=4326)
