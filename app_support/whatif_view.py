"""What the map page shows of the what-if scenario: edit modes, clicks, the edit table, files.

Modes: browse (click a community for its row), add (each click on the map places a planned
facility of the chosen category, name, floor area and capacity), move (pick a planned facility,
click its new place), close (click a facility's marker, or pick it, then close or remove it).
A click is taken once: the last one handled is remembered, and a change of mode forgets the
click the map still reports. Every change goes through :mod:`app_support.whatif` (checked, with
undo), and the page is drawn again with the updated analysis.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from app_support import messages, scenarios_view, state, whatif
from app_support.i18n import category_label, t, translate_columns
from app_support.views import COMPLETE, coverage_column, table_view
from geo._errors import DataError
from geo.taxonomy import CATEGORIES
from planning.texts import value_label

MODES: tuple[str, ...] = ("browse", "add", "move", "close")
_SEEN = "_whatif_seen"
_SELECTED = "whatif_selected"


def mode_selector(lang: str) -> str:
    """The edit mode (a row of choices above the map)."""
    saved = st.session_state.get("whatif_mode", "browse")
    mode = st.radio(t("whatif.mode", lang), MODES, horizontal=True, index=MODES.index(saved) if saved in MODES else 0,
                    format_func=lambda k: t(f"whatif.mode.{k}", lang), key=state.widget_key("w_whatif_mode"))
    st.session_state["whatif_mode"] = mode
    return mode


#: What the map reports back. The same in every mode: streamlit-folium keeps the list it was
#: mounted with. A click on a community reports ``last_object_clicked`` (its popup keeps the map
#: from seeing the click), a click elsewhere ``last_clicked``; a marker or community clicked
#: reports its feature as ``last_active_drawing``.
RETURNED: tuple[str, ...] = ("last_active_drawing", "last_clicked", "last_object_clicked")


def returned_objects(mode: str) -> list[str]:
    """The values the map reports back (see :data:`RETURNED`)."""
    return list(RETURNED)


def _used(mode: str) -> tuple[str, ...]:
    """The values a click is read from in ``mode``: a place to add or move to, or a feature."""
    return ("last_clicked", "last_object_clicked") if mode in ("add", "move") else ("last_active_drawing",)


def _to_wgs84(lon: float, lat: float, basemap: str) -> tuple[float, float]:
    if basemap != "amap":
        return float(lon), float(lat)
    import numpy as np

    from geo.coords import gcj02_to_wgs84

    x, y = gcj02_to_wgs84(np.array([lon]), np.array([lat]))
    return float(x[0]), float(y[0])


MAP_KEY = "main_map"


def on_map_change() -> None:
    """The map's ``on_change``: a click is acted on before the page runs, so the page is drawn
    once, with the edit made (no second run)."""
    mode = st.session_state.get("whatif_mode", "browse")
    basemap = st.session_state.get("basemap", "none")
    handle_click(st.session_state.get(MAP_KEY), mode, basemap=basemap, lang=state.lang())


def handle_click(clicked: dict[str, Any] | None, mode: str, *, basemap: str, lang: str) -> bool:
    """Act on a new click of the map in ``mode``; ``True`` when the scenario changed."""
    values = {k: (clicked or {}).get(k) for k in RETURNED}
    texts = {k: json.dumps(v, sort_keys=True, ensure_ascii=False, default=str) for k, v in values.items()}
    seen = st.session_state.get(_SEEN)
    st.session_state[_SEEN] = (mode, texts)
    if seen is None or seen[0] != mode:
        return False  # the clicks the map still reports from before this mode
    fresh = [k for k in _used(mode) if values[k] and texts[k] != seen[1].get(k)]
    if not fresh:
        return False
    event = values[fresh[0]]
    try:
        if mode == "add":
            lon, lat = _to_wgs84(event["lng"], event["lat"], basemap)
            key = state.widget_key("w_whatif_category")
            category = st.session_state.get(key) or st.session_state.get("whatif_category") or "community_living_room"
            whatif.add(category, lon, lat, name=str(st.session_state.get("w_whatif_name", "")),
                       floor_area_m2=_number("w_whatif_area"), capacity=_number("w_whatif_capacity"))
            return True
        if mode == "move":
            target = st.session_state.get("w_whatif_move")
            if not target:
                st.warning(t("whatif.move.pick", lang))
                return False
            lon, lat = _to_wgs84(event["lng"], event["lat"], basemap)
            whatif.move(str(target), lon, lat)
            return True
        props = (event or {}).get("properties") or {}
        if props.get("facility_id"):
            # Into the picker itself: a keyed widget keeps its own value over ``index``.
            st.session_state[_SELECTED] = st.session_state["w_whatif_close_pick"] = str(props["facility_id"])
    except DataError as exc:
        # Shown by the page (a callback runs before it): the click is refused, nothing changes.
        st.session_state["_whatif_error"] = messages.error_message(exc, lang)
    return False


def remember(clicked: dict[str, Any] | None, mode: str) -> None:
    """Note what the map reports in this run, so that only a later click counts as new."""
    values = {k: (clicked or {}).get(k) for k in RETURNED}
    st.session_state[_SEEN] = (mode, {k: json.dumps(v, sort_keys=True, ensure_ascii=False, default=str)
                                      for k, v in values.items()})


def show_refusal() -> None:
    """The message of a click the scenario refused (e.g. far from every road), once."""
    message = st.session_state.pop("_whatif_error", None)
    if message:
        st.error(message)


def _number(key: str) -> float | None:
    value = st.session_state.get(key)
    return float(value) if value else None


def side_panel(mode: str, base_dataset: Any, category: str, lang: str) -> bool:
    """The controls of ``mode`` (beside the map); ``True`` when the scenario changed."""
    if mode == "add":
        return _add_panel(category, lang)
    if mode == "move":
        planned = [r for r in whatif.rows() if r["edit"] == "add"]
        if not planned:
            st.info(t("whatif.move.none", lang))
            return False
        ids = [r["facility_id"] for r in planned]
        names = {r["facility_id"]: f"{r.get('name') or r['facility_id']}（{category_label(r['category'], lang)}）"
                 for r in planned}
        st.selectbox(t("whatif.move.which", lang), ids, format_func=lambda i: names[i], key="w_whatif_move")
        st.caption(t("whatif.move.hint", lang))
        return False
    if mode == "close":
        return _close_panel(base_dataset, lang)
    return False


def _add_panel(category: str, lang: str) -> bool:
    keys = list(CATEGORIES)
    default = st.session_state.get("whatif_category") or (category if category in CATEGORIES else
                                                           "community_living_room")
    chosen = st.selectbox(t("whatif.add.category", lang), keys, index=keys.index(default) if default in keys else 0,
                          format_func=lambda k: category_label(k, lang), key=state.widget_key("w_whatif_category"))
    st.session_state["whatif_category"] = chosen
    st.text_input(t("whatif.add.name", lang), key="w_whatif_name", placeholder=t("whatif.add.name_hint", lang))
    st.number_input(t("whatif.add.area", lang), min_value=0.0, value=0.0, step=50.0, key="w_whatif_area")
    st.number_input(t("whatif.add.capacity", lang), min_value=0.0, value=0.0, step=10.0, key="w_whatif_capacity")
    st.caption(t("whatif.add.hint", lang))
    with st.expander(t("whatif.add.by_lonlat", lang)):
        lon = st.number_input(t("whatif.lon", lang), value=None, format="%.6f", key="w_whatif_lon")
        lat = st.number_input(t("whatif.lat", lang), value=None, format="%.6f", key="w_whatif_lat")
        if st.button(t("whatif.add.button", lang), key="w_whatif_add") and lon is not None and lat is not None:
            try:
                whatif.add(chosen, lon, lat, name=str(st.session_state.get("w_whatif_name", "")),
                           floor_area_m2=_number("w_whatif_area"), capacity=_number("w_whatif_capacity"))
            except DataError as exc:
                st.error(messages.error_message(exc, lang))
                return False
            return True
    return False


def _close_panel(base_dataset: Any, lang: str) -> bool:
    fac = base_dataset.facilities
    edited = {r["facility_id"]: r["edit"] for r in whatif.rows()}
    planned = [r for r in whatif.rows() if r["edit"] == "add"]
    labels = {str(i): f"{n}（{category_label(str(c), lang)}）"
              for i, n, c in zip(fac["facility_id"], fac["name"].fillna(fac["facility_id"]), fac["category"])}
    labels.update({r["facility_id"]: f"{r.get('name') or r['facility_id']}（{t('map.planned', lang)}）"
                   for r in planned})
    ids = [r["facility_id"] for r in planned] + [str(i) for i in fac["facility_id"]]
    selected = st.session_state.get(_SELECTED)
    st.caption(t("whatif.close.hint", lang))
    choice = st.selectbox(t("whatif.close.which", lang), ids, index=ids.index(selected) if selected in ids else None,
                          format_func=lambda i: labels.get(i, i), key="w_whatif_close_pick",
                          placeholder=t("whatif.close.placeholder", lang))
    if choice is None:
        return False
    st.session_state[_SELECTED] = choice
    state_now = edited.get(choice)
    if state_now in ("close", "remove"):
        st.info(t(f"map.edit.{state_now}", lang))
        if st.button(t("whatif.reopen", lang), key="w_whatif_reopen"):
            whatif.drop(choice)
            return True
        return False
    if state_now == "add":
        if st.button(t("whatif.delete_planned", lang), key="w_whatif_delete_planned"):
            whatif.drop(choice)
            return True
        return False
    c1, c2 = st.columns(2)
    if c1.button(t("whatif.close", lang), key="w_whatif_close"):
        whatif.close(choice)
        return True
    if c2.button(t("whatif.remove", lang), key="w_whatif_remove"):
        whatif.close(choice, remove=True)
        return True
    return False


# ------------------------------------------------------------------------------ figures
def summary(base: Any, analysis: Any, category: str, lang: str) -> None:
    """Coverage of the shown category and the indicators met, with the change the edits make."""
    column = coverage_column(category)
    if category == COMPLETE:
        now = float(analysis.coverage.complete_summary()["coverage_pct"])
        before = float(base.coverage.complete_summary()["coverage_pct"])
    else:
        now = float(analysis.category_summary.loc[category, "coverage_pct"]) if category in analysis.categories \
            else 0.0
        before = float(base.category_summary.loc[category, "coverage_pct"]) if category in base.categories else 0.0
    met = int((analysis.indicators["pass"] == True).sum())  # noqa: E712 - pass holds True/False/None
    met_before = int((base.indicators["pass"] == True).sum())  # noqa: E712
    judged = int(analysis.indicators["pass"].notna().sum())
    c1, c2, c3 = st.columns(3)
    # The change the scenario makes (percentage points; targets newly met or missed), when any.
    c1.metric(t("whatif.metric.coverage", lang, category=_category_name(category, lang)), f"{now:.1f} %",
              delta=f"{now - before:+.1f}" if whatif.rows() and round(now - before, 1) != 0 else None, help=column)
    c2.metric(t("whatif.metric.indicators", lang), f"{met} / {judged}",
              delta=f"{met - met_before:+d}" if met != met_before else None)
    counts = pd.Series([r["edit"] for r in whatif.rows()], dtype=object).value_counts()
    c3.metric(t("whatif.metric.edits", lang), t("whatif.metric.edits_value", lang, add=int(counts.get("add", 0)),
                                                 closed=int(counts.get("close", 0) + counts.get("remove", 0))))


def _category_name(category: str, lang: str) -> str:
    return t("map.complete", lang) if category == COMPLETE else category_label(category, lang)


def edit_table(lang: str) -> bool:
    """The edits in a table, with undo and clear; ``True`` when the scenario changed."""
    values = whatif.rows()
    st.subheader(t("whatif.table", lang))
    if not values:
        st.caption(t("whatif.table.empty", lang))
    else:
        frame = pd.DataFrame(values)
        frame["edit"] = frame["edit"].map(lambda e: t(f"map.edit.{e}", lang))
        frame["category"] = frame["category"].map(lambda c: category_label(str(c), lang) if c else "")
        if "source" in frame.columns:  # accepted sites: 自动生成, 公共建筑 … not the codes
            frame["source"] = frame["source"].map(lambda v: value_label("source", v, lang))
        frame = frame.rename(columns={"x": "lon", "y": "lat"})
        shown = frame[[c for c in ("edit", "facility_id", "category", "name", "floor_area_m2", "capacity", "source",
                                   "lon", "lat") if c in frame.columns]]
        # Unknown floor areas and capacities as empty cells, never "None".
        st.dataframe(table_view(translate_columns(shown, lang), lang), hide_index=True, width="stretch")
    c1, c2 = st.columns(2)
    if c1.button(t("whatif.undo", lang), key="w_whatif_undo", disabled=whatif.history_size() == 0):
        return whatif.undo()
    if c2.button(t("whatif.clear", lang), key="w_whatif_clear", disabled=not values):
        whatif.clear()
        return True
    return False


def files(base: Any, analysis: Any, lang: str) -> bool:
    """Save, download, upload and reload scenarios; ``True`` when the scenario changed."""
    from planning.siting.edits import write_edits

    changed = False
    with st.expander(t("whatif.files", lang), expanded=False):
        c1, c2 = st.columns([3, 1])
        scenario_name = c1.text_input(t("site.scenario_name", lang), value=whatif.name() or t("whatif.default_name",
                                                                                              lang),
                                      key="w_whatif_scenario_name")
        if c2.button(t("site.save", lang), key="w_whatif_save", disabled=not whatif.rows()):
            try:
                scenarios_view.save_current(base, analysis, whatif.edits(), name=scenario_name)
                whatif.set_name(scenario_name)
                st.success(t("site.saved", lang, name=scenario_name))
            except DataError as exc:
                st.error(messages.error_message(exc, lang))
        if whatif.rows():
            with tempfile.TemporaryDirectory(prefix="service-circles-edits-") as work:
                path = write_edits(whatif.edits(), Path(work) / "edits.geojson")
                data = path.read_bytes()
            st.download_button(t("whatif.download", lang), data=data, file_name=f"{scenarios_view.safe(scenario_name)}"
                               ".geojson", mime="application/geo+json", key="w_whatif_download")
        upload = st.file_uploader(t("whatif.upload", lang), type=["geojson", "json", "gpkg"], key="w_whatif_upload")
        if upload is not None and st.session_state.get("_whatif_upload_done") != upload.file_id:
            st.session_state["_whatif_upload_done"] = upload.file_id
            try:
                scenario = scenarios_view.read_upload(upload)
                whatif.load(scenario.edits, scenario_name=scenario.name)
                st.success(t("site.scenario_uploaded", lang, name=scenario.name))
                changed = True
            except DataError as exc:
                st.error(messages.error_message(exc, lang, file=upload.name))
        saved = scenarios_view.saved_scenarios(base.dataset)
        if saved:
            c1, c2 = st.columns([3, 1])
            pick = c1.selectbox(t("whatif.saved", lang), [p.stem for p in saved], key="w_whatif_saved_pick")
            if c2.button(t("whatif.load", lang), key="w_whatif_load"):
                try:
                    scenario = scenarios_view.load_saved(base.dataset, pick)
                    whatif.load(scenario.edits, scenario_name=scenario.name)
                    st.success(t("site.scenario_uploaded", lang, name=scenario.name))
                    changed = True
                except DataError as exc:
                    st.error(messages.error_message(exc, lang))
    return changed


def edited(base: Any, analysis: Any, category: str) -> bool:
    """Whether the scenario changes the facilities of ``category`` (so that its circle is the
    scenario's, not the shared one of the data set as loaded)."""
    return analysis is not base and (category not in base.categories
                                     or category in whatif.edited_categories(base.dataset))


def scenario_layers(analysis: Any, category: str, basemap: str) -> Any:
    """The drawn layers of an edited category, from the scenario's own analysis (kept with it,
    so each scenario is drawn once), in the session's own folder: never served to another session."""
    from app_support.views import drawn_layers

    return drawn_layers(analysis, category, basemap, scope=state.own_layer_scope())
