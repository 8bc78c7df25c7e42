"""Map: coverage of one category (or the complete circle), facilities, circles, residents outside;
and the what-if scenario: planned facilities added by clicking, moved, closed, with undo."""

from __future__ import annotations

import time

import streamlit as st
from streamlit_folium import st_folium

from app_support import page, scenario_map, state, views, warmup, whatif, whatif_view
from app_support.i18n import t
from app_support.mapping import BASEMAPS, build_map_parts

lang, dataset, analysis = page.open_page("page.map")

options = views.category_options(analysis)
saved = st.session_state.get("map_category") or views.first_view_category(analysis)
c1, c2, c3, c4 = st.columns([3, 3, 2, 2])
category = c1.selectbox(t("map.category", lang), options, index=options.index(saved) if saved in options else 0,
                        format_func=lambda k: views.category_name(k, lang), key=state.widget_key("w_map_category"))
st.session_state["map_category"] = category
if (group_text := views.group_caption(analysis, category, lang)) is not None:
    st.caption(group_text)
minutes = c2.slider(t("map.circle_time", lang), 5, 60, int(round(analysis.settings.urban_circle_minutes)),
                    key=state.widget_key("w_map_minutes"))
uncovered_as = c3.radio(t("map.uncovered_as", lang), ("heat", "points"), horizontal=True,
                        index=("heat", "points").index(st.session_state.get("uncovered_as", "heat")),
                        format_func=lambda k: t(f"map.uncovered.{k}", lang),
                        key=state.widget_key("w_map_uncovered"))
st.session_state["uncovered_as"] = uncovered_as
basemap = c4.selectbox(t("map.basemap", lang), BASEMAPS, format_func=lambda k: t(f"map.basemap.{k}", lang),
                       index=BASEMAPS.index(st.session_state.get("basemap", "none")),
                       key=state.widget_key("w_map_basemap"))
st.session_state["basemap"] = basemap
if float(minutes) != float(analysis.settings.urban_circle_minutes):
    state.update_settings(urban_circle_minutes=float(minutes))
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
layers = views.map_layers(dataset, analysis, category, lang=lang, uncovered_as=uncovered_as,
                          roads=static["roads"], facilities=static["facilities"],
                          labels=state.data_labels(dataset), circles=whatif_view.circles(base, analysis, category,
                                                                                          basemap),
                          basemap=basemap)
layers.extra_legend = {**layers.extra_legend, **scenario_map.scenario_legend(planned, closed, lang=lang)}
parts = build_map_parts(layers, lang=lang, basemap=basemap, tianditu_key=key)
groups = parts.groups + scenario_map.scenario_groups(planned, closed, lang=lang, basemap=basemap)
left, right = st.columns([3, 1])
with left:
    # Only the groups that depend on the category and settings are sent again on a change.
    # A click is handled by on_change before the next run, which then draws the edited map.
    clicked = st_folium(parts.map, key=whatif_view.MAP_KEY, height=620, use_container_width=True,
                        feature_group_to_add=groups, layer_control=parts.control,
                        returned_objects=whatif_view.returned_objects(mode), on_change=whatif_view.on_map_change)
st.session_state["map_build_seconds"] = time.perf_counter() - started
whatif_view.remember(clicked, mode)
whatif_view.show_refusal()
with right:
    if mode == "browse":
        feature = (clicked or {}).get("last_active_drawing") or {}
        community_id = (feature.get("properties") or {}).get("community_id")
        details = views.community_details(analysis, str(community_id), lang=lang) if community_id else None
        if details is None:
            st.info(t("map.click_hint", lang))
        else:
            st.dataframe(details, width="stretch", height=520)
    elif whatif_view.side_panel(mode, base.dataset, category, lang):
        st.rerun()
st.caption(t("map.redraw", lang, seconds=st.session_state["map_build_seconds"]))
if whatif_view.edit_table(lang) or whatif_view.files(base, analysis, lang):
    st.rerun()
if dataset.attribution:
    st.caption(t("map.attribution", lang) + ("：" if lang == "zh" else ": ") + " · ".join(map(str, dataset.attribution)))
warmup.warm_circles(list(analysis.categories), basemap)
