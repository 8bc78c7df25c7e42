"""Map: coverage of one category (or the complete circle), facilities, circles, residents outside."""

from __future__ import annotations

import time

import streamlit as st
from streamlit_folium import st_folium

from app_support import page, state, views, warmup
from app_support.i18n import t
from app_support.mapping import BASEMAPS, build_map_parts

lang, dataset, analysis = page.open_page("page.map")

options = views.category_options(analysis)
saved = st.session_state.get("map_category", "community_living_room")
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

started = time.perf_counter()
static = state.current_static_layers(basemap)
layers = views.map_layers(dataset, analysis, category, lang=lang, uncovered_as=uncovered_as,
                          roads=static["roads"], facilities=static["facilities"],
                          labels=state.data_labels(dataset), circles=state.current_circles(category, basemap),
                          basemap=basemap)
parts = build_map_parts(layers, lang=lang, basemap=basemap, tianditu_key=key)
left, right = st.columns([3, 1])
with left:
    # Only the groups that depend on the category and settings are sent again on a change.
    clicked = st_folium(parts.map, key="main_map", height=620, use_container_width=True,
                        feature_group_to_add=parts.groups, layer_control=parts.control,
                        returned_objects=["last_active_drawing"])
st.session_state["map_build_seconds"] = time.perf_counter() - started
with right:
    feature = (clicked or {}).get("last_active_drawing") or {}
    community_id = (feature.get("properties") or {}).get("community_id")
    details = views.community_details(analysis, str(community_id), lang=lang) if community_id else None
    if details is None:
        st.info(t("map.click_hint", lang))
    else:
        st.dataframe(details, width="stretch", height=520)
st.caption(t("map.redraw", lang, seconds=st.session_state["map_build_seconds"]))
if dataset.attribution:
    st.caption(t("map.attribution", lang) + ("：" if lang == "zh" else ": ") + " · ".join(map(str, dataset.attribution)))
warmup.warm_circles(list(analysis.categories), basemap)
