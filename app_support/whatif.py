"""The session's what-if scenario: its edits, their undo history and the analysis they give.

A scenario belongs to the session that draws it (DESIGN.md: scenarios belong to the user who made
them): its edits live in ``st.session_state`` as plain rows (longitude/latitude), one list per
data set, with the lists before each change kept for undo. :func:`current` turns them into the
edited data set and analysis every page shows; the analysis is updated from the previous one of
the session, so one more planned facility recomputes only its own category
(:func:`planning.siting.whatif.analysis_with_edits`).

Saved scenarios are files in the session's own folder (:mod:`app_support.scenarios_view`).
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import Any

import streamlit as st

from app_support import state
from geo._errors import DataError

KEY = "whatif"
_ANALYSES = "_whatif_analyses"
#: Analyses kept per session (the current one and a few for undo).
_KEEP = 6
#: How many changes can be undone.
HISTORY = 50
_ROW_KEYS = ("edit", "facility_id", "category", "name", "floor_area_m2", "capacity", "source", "candidate_id",
             "x", "y")


def _store() -> dict[str, Any]:
    """This session's scenario of the current data set (a new, empty one for another data set)."""
    source = state.source()
    store = st.session_state.get(KEY)
    if not isinstance(store, dict) or store.get("source") != source:
        store = {"source": source, "rows": [], "history": [], "name": ""}
        st.session_state[KEY] = store
    return store


def rows() -> list[dict[str, Any]]:
    """The edits as plain rows (``x``/``y`` longitude/latitude for additions)."""
    return [dict(r) for r in _store()["rows"]]


def history_size() -> int:
    return len(_store()["history"])


def name() -> str:
    return str(_store().get("name") or "")


def set_name(value: str) -> None:
    _store()["name"] = str(value).strip()


def fingerprint(values: Iterable[Mapping[str, Any]] | None = None) -> str:
    """The edits as canonical JSON text (a cache key, and what siting options carry)."""
    items = rows() if values is None else [dict(r) for r in values]
    return json.dumps([{k: _plain(r.get(k)) for k in _ROW_KEYS} for r in items], ensure_ascii=False,
                      sort_keys=True)


def _plain(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and value != value:  # NaN
        return None
    if hasattr(value, "item"):
        value = value.item()
    return value


def edits(values: Iterable[Mapping[str, Any]] | None = None) -> Any:
    """The edits as an edit table (:mod:`planning.siting.edits`)."""
    from planning.siting.edits import edit_table

    return edit_table([dict(r) for r in (rows() if values is None else values)], crs=4326)


def rows_of(table: Any) -> list[dict[str, Any]]:
    """Plain rows of an edit table (longitude/latitude)."""
    table = table.to_crs(4326) if table.crs is not None else table
    out = []
    for record, geom in zip(table.drop(columns=table.geometry.name).to_dict("records"), table.geometry):
        row = {k: _plain(record.get(k)) for k in _ROW_KEYS if k not in ("x", "y")}
        has_point = geom is not None and not geom.is_empty
        row["x"], row["y"] = (float(geom.x), float(geom.y)) if has_point else (None, None)
        out.append(row)
    return out


def set_rows(new_rows: list[dict[str, Any]]) -> None:
    """Replace the edits, keeping the previous ones for :func:`undo` (checked first)."""
    dataset = state.current_dataset()
    from planning.siting.edits import check_edits

    check_edits(dataset, edits(new_rows))  # refused edits change nothing
    store = _store()
    store["history"] = (store["history"] + [store["rows"]])[-HISTORY:]
    store["rows"] = [{k: _plain(r.get(k)) for k in _ROW_KEYS} for r in new_rows]


def undo() -> bool:
    """Go back one change; ``False`` when there is nothing to undo."""
    store = _store()
    if not store["history"]:
        return False
    store["rows"] = store["history"].pop()
    return True


def clear() -> None:
    if rows():
        set_rows([])


def new_id(prefix: str = "P") -> str:
    """A facility id no facility of the data set or of the scenario has (P1, P2 …)."""
    dataset = state.current_dataset()
    taken = set(dataset.facilities["facility_id"].astype(str)) if len(dataset.facilities) else set()
    taken |= {str(r["facility_id"]) for r in rows()}
    n = 1
    while f"{prefix}{n}" in taken:
        n += 1
    return f"{prefix}{n}"


def add(category: str, lon: float, lat: float, *, name: str = "", floor_area_m2: float | None = None,
        capacity: float | None = None) -> str:
    """Add a planned facility at ``lon``/``lat``; returns its id."""
    fid = new_id()
    row = {"edit": "add", "facility_id": fid, "category": category, "name": name.strip() or fid,
           "floor_area_m2": floor_area_m2 or None, "capacity": capacity or None, "x": float(lon), "y": float(lat)}
    set_rows(rows() + [row])
    return fid


def move(facility_id: str, lon: float, lat: float) -> None:
    """Move a planned facility of the scenario."""
    new = rows()
    for row in new:
        if row["facility_id"] == facility_id and row["edit"] == "add":
            row["x"], row["y"] = float(lon), float(lat)
            set_rows(new)
            return
    raise DataError(f"no planned facility {facility_id!r} in the scenario", fix="choose a planned facility")


def drop(facility_id: str) -> None:
    """Take a facility's edit back (a planned facility disappears, a closed one is open again)."""
    new = [r for r in rows() if r["facility_id"] != facility_id]
    if len(new) != len(rows()):
        set_rows(new)


def close(facility_id: str, *, remove: bool = False) -> None:
    """Mark an existing facility as closed (or remove it from the data)."""
    planned = {r["facility_id"] for r in rows() if r["edit"] == "add"}
    if facility_id in planned:
        drop(facility_id)
        return
    new = [r for r in rows() if r["facility_id"] != facility_id]
    new.append({"edit": "remove" if remove else "close", "facility_id": str(facility_id)})
    set_rows(new)


def accept(table: Any) -> int:
    """Add the rows of an edit table (accepted sites); an id already edited takes the new row."""
    incoming = rows_of(table)
    ids = {r["facility_id"] for r in incoming}
    set_rows([r for r in rows() if r["facility_id"] not in ids] + incoming)
    return len(incoming)


def load(table: Any, *, scenario_name: str = "") -> None:
    """Make an edit table (an uploaded or saved scenario) the session's scenario."""
    set_rows(rows_of(table))
    if scenario_name:
        set_name(scenario_name)


# ------------------------------------------------------------------------------ the analysis
def current(dataset: Any, analysis: Any) -> tuple[Any, Any]:
    """The data set and analysis with the session's edits made (as they are without edits)."""
    values = rows()
    if not values:
        return dataset, analysis
    edited = analysis_for(analysis, values)
    return edited.dataset, edited


def analysis_for(base: Any, values: list[dict[str, Any]]) -> Any:
    """The analysis of ``base`` with ``values`` made, updated from the session's latest one."""
    from planning.siting.whatif import analysis_with_edits

    cache: OrderedDict[tuple[int, str], Any] = st.session_state.setdefault(_ANALYSES, OrderedDict())
    key = (id(base), fingerprint(values))
    if key in cache:
        cache.move_to_end(key)
        return cache[key]
    previous = next((a for (base_id, _), a in reversed(cache.items()) if base_id == id(base)), None)
    result = analysis_with_edits(base, edits(values), previous=previous)
    cache[key] = result
    while len(cache) > _KEEP:
        cache.popitem(last=False)
    return result


def edited_categories(base_dataset: Any, values: list[dict[str, Any]] | None = None) -> list[str]:
    """Categories whose facilities the session's scenario changes."""
    from planning.siting.edits import edited_categories as of

    return of(base_dataset, edits(rows() if values is None else values))


def with_sites(analysis: Any, result: Any) -> Any:
    """``analysis`` with every site of a siting result built (the siting page's colouring).

    Kept in the session for the latest result only.
    """
    from planning.access.update import reanalysed
    from planning.siting.edits import apply_edits, edited_categories, edits_from_sites

    key = (id(analysis), id(result))
    kept = st.session_state.get("_whatif_sites")
    if kept is not None and kept[0] == key:
        return kept[1]
    if len(result.sites) == 0:
        return analysis
    # On top of ``analysis``: only the sites are new, whatever edits it already holds.
    sites = edits_from_sites(result)
    try:
        after = reanalysed(analysis, apply_edits(analysis.dataset, sites), edited_categories(analysis.dataset, sites))
    except DataError:  # the sites are in the scenario already
        after = analysis
    st.session_state["_whatif_sites"] = (key, after)
    return after
