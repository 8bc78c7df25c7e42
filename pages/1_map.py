"""Map: coverage of one category (or the complete circle), facilities, circles, residents outside;
and the what-if scenario: planned facilities added by clicking, moved, closed, with undo."""

from __future__ import annotations

import time

import streamlit as st
from streamlit_folium import st_folium

from app_support import drawn, jobs, page, scenario_map, state, views, warmup, whatif, whatif_view
from app_support.i18n import t
from app_support.mapping import BASEMAPS, build_map_parts
from app_support.tiles import TileSet

#: How long the page waits for a category's drawn layers before showing the map without them.
WAIT_FOR_LAYERS_S = 2.0
MAP_HEIGHT = 680

lang, dataset, analysis = page.open_page("page.map")

options = views.category_options(analysis)
saved = st.session_state.get("map_category") or views.first_category(analysis)
rural = "rural" in set(analysis.coverage.kind.astype(str))
c1, c2, c3, c4, c5 = st.columns([3, 2, 2, 2, 2])
category = c1.selectbox(t("map.category", lang), options, index=options.index(saved) if saved in options else 0,
                        format_func=lambda k: views.category_name(k, lang), key=state.widget_key("w_map_category"))
st.session_state["map_category"] = category
if (group_text := views.group_caption(analysis, category, lang)) is not None:
    st.caption(group_text)
minutes = c2.slider(t("map.circle_time", lang), 5, 60, int(round(analysis.settings.urban_circle_minutes)),
                    key=state.widget_key("w_map_minutes"))
rural_minutes = c3.slider(t("map.rural_circle_time", lang), 10, 90, int(round(analysis.settings.rural_circle_minutes)),
                          step=5, key=state.widget_key("w_map_rural_minutes"), disabled=not rural,
                          help=None if rural else t("map.rural_circle_time.none", lang))
uncovered_as = c4.radio(t("map.uncovered_as", lang), ("heat", "points"), horizontal=True,
                        index=("heat", "points").index(st.session_state.get("uncovered_as", "heat")),
                        format_func=lambda k: t(f"map.uncovered.{k}", lang),
                        key=state.widget_key("w_map_uncovered"))
st.session_state["uncovered_as"] = uncovered_as
basemap = c5.selectbox(t("map.basemap", lang), BASEMAPS, format_func=lambda k: t(f"map.basemap.{k}", lang),
                       index=BASEMAPS.index(st.session_state.get("basemap", "none")),
                       key=state.widget_key("w_map_basemap"))
st.session_state["basemap"] = basemap
changed = {}
if float(minutes) != float(analysis.settings.urban_circle_minutes):
    changed["urban_circle_minutes"] = float(minutes)
if rural and float(rural_minutes) != float(analysis.settings.rural_circle_minutes):
    changed["rural_circle_minutes"] = float(rural_minutes)
if changed:
    state.update_settings(**changed)
    st.rerun()

key = None
if basemap == "tianditu":
    key = st.text_input(t("map.tianditu_key", lang), value=st.session_state.get("tianditu_key", ""),
                        type="password", key="w_tianditu_key").strip() or None
    st.session_state["tianditu_key"] = key or ""
    if not key:
        st.info(t("map.tianditu_key.missing", lang))
elif basemap == "amap":
    st.caption(t("map.amap_shift", lang))

base = state.current_analysis()  # the data set as loaded: what the scenario is measured against
mode = whatif_view.mode_selector(lang)
whatif_view.summary(base, analysis, category, lang)

started = time.perf_counter()
static = state.current_static_layers(basemap)
edits = whatif.edits() if whatif.rows() else None
planned, closed = scenario_map.scenario_frames(base.dataset, edits) if edits is not None else (None, None)
# A city's layers are drawn in the background: the map shows what it has and says what is coming.
# A category the scenario edits is drawn from the scenario's own analysis, at once.
analysed = category in analysis.categories
scenario = analysed and whatif_view.edited(base, analysis, category)
if scenario:
    circle = extras = drawn_now = whatif_view.scenario_layers(analysis, category, basemap)
else:
    circle = state.current_circles(category, basemap, part="circle", wait_s=WAIT_FOR_LAYERS_S) if analysed else None
    # The optional layers once the circle is in: until then the circle has the cores to itself.
    extras = state.current_circles(category, basemap, part="extras", wait_s=0.3) if analysed and circle else None
    drawn_now = drawn.combined(circle, extras)
tiles = static["roads"] if isinstance(static["roads"], TileSet) else None
layers = views.map_layers(dataset, analysis, category, lang=lang, uncovered_as=uncovered_as,
                          roads=static["roads"], facilities=static["facilities"],
                          labels=state.data_labels(dataset), layers=drawn_now, pending=drawn_now is None,
                          basemap=basemap, scope=state.own_layer_scope() if scenario else state.layer_scope())
layers.extra_legend = {**layers.extra_legend, **scenario_map.scenario_legend(planned, closed, lang=lang)}
parts = build_map_parts(layers, lang=lang, basemap=basemap, tianditu_key=key, height=MAP_HEIGHT)
groups = parts.groups + scenario_map.scenario_groups(planned, closed, lang=lang, basemap=basemap)
coming = [t("layer.circles", lang)] if analysed and circle is None else []
coming += [t("map.base.roads", lang)] if tiles is not None and not tiles.shown else []
texts = [("map.pending", "、".join(coming) if lang == "zh" else ", ".join(coming))] if coming else []
texts += [("map.pending.optional", t("map.pending.what", lang))] if analysed and extras is None else []
if texts:
    parts_asked = ("circle", "extras") if circle else ("circle",)
    keys = [("drawn", *state.drawn_key(category, basemap, part)) for part in parts_asked] if analysed else []
    jobs.wait_then_rerun(lambda: all(jobs.done(k) for k in keys) and (tiles is None or bool(tiles.shown)),
                         texts, lang=lang)


def show_map() -> dict | None:
    # Only the groups that depend on the category and settings are sent again on a change.
    # A click is handled by on_change before the next run, which then draws the edited map.
    return st_folium(parts.map, key=whatif_view.MAP_KEY, height=MAP_HEIGHT, use_container_width=True,
                     feature_group_to_add=groups, layer_control=parts.control,
                     returned_objects=whatif_view.returned_objects(mode), on_change=whatif_view.on_map_change)


if mode == "browse":
    # The map has the whole width; a clicked community's row below it, its long names uncut.
    clicked = show_map()
else:
    # Editing: the form for the click beside the map.
    left, right = st.columns([3, 1])
    with left:
        clicked = show_map()
st.session_state["map_build_seconds"] = time.perf_counter() - started
whatif_view.remember(clicked, mode)
whatif_view.show_refusal()
if mode == "browse":
    feature = (clicked or {}).get("last_active_drawing") or {}
    community_id = (feature.get("properties") or {}).get("community_id")
    details = views.community_details(analysis, str(community_id), lang=lang,
                                      supply=views.supply_shown(analysis, category)) if community_id else None
    if details is None:
        st.info(t("map.click_hint", lang))
    else:
        st.table(details)
else:
    with right:
        if whatif_view.side_panel(mode, base.dataset, category, lang):
            st.rerun()
st.caption(t("map.redraw", lang, seconds=st.session_state["map_build_seconds"]))
if whatif_view.edit_table(lang) or whatif_view.files(base, analysis, lang):
    st.rerun()
if dataset.attribution:
    st.caption(t("map.attribution", lang) + ("：" if lang == "zh" else ": ") + " · ".join(map(str, dataset.attribution)))
warmup.warm_circles(list(analysis.categories), basemap)
