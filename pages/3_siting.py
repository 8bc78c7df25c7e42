"""Siting: recommend new facilities of one category, ranked, with their effect; save and compare."""

from __future__ import annotations

import streamlit as st
from streamlit_folium import st_folium

from app_support import jobs, messages, page, scenarios_view, state, views, whatif
from app_support.i18n import category_label, t, translate_columns
from app_support.mapping import build_map
from app_support.solve_progress import SolveProgress
from geo._errors import DataError
from geo.taxonomy import CATEGORIES
from planning.choices import MODELS
from planning.siting._prefer import DEFAULT_MARGIN_PCT
from planning.siting.edits import edits_from_sites
from planning.texts import note_text, solver_text

# "both" first: the default choice.
CANDIDATES = ("both", "given", "generated")

lang, dataset, analysis = page.open_page("page.siting")

categories = list(CATEGORIES)
default_category = "community_living_room" if "community_living_room" in categories else categories[0]
with st.form("siting_form"):
    c1, c2, c3 = st.columns(3)
    category = c1.selectbox(t("site.category", lang), categories, index=categories.index(default_category),
                            format_func=lambda k: category_label(k, lang), key=state.widget_key("w_site_category"))
    model = c1.radio(t("site.model", lang), MODELS, format_func=lambda k: t(f"site.model.{k}", lang),
                     key=state.widget_key("w_site_model"))
    new_sites = c2.number_input(t("site.new_sites", lang), min_value=1, max_value=200, value=5, step=1,
                                key=state.widget_key("w_site_n"))
    target_pct = c2.slider(t("site.target_pct", lang), 50, 100, 100, key=state.widget_key("w_site_target"))
    source_choice = c3.radio(t("site.candidates", lang), CANDIDATES,
                             format_func=lambda k: t(f"site.candidates.{k}", lang),
                             key=state.widget_key("w_site_candidates"))
    min_area = c3.number_input(t("site.min_floor_area", lang), min_value=0.0, value=0.0, step=50.0,
                               key=state.widget_key("w_site_area"))
    time_limit = c3.slider(t("site.time_limit", lang), 0, 300, 30, step=5, key=state.widget_key("w_site_time"))
    run = st.form_submit_button(t("site.run", lang), type="primary")
st.caption(t("site.prefer", lang, margin=DEFAULT_MARGIN_PCT))
if whatif.rows():
    st.caption(t("site.on_scenario", lang))

if run:
    options = (
        ("candidates", source_choice),
        ("category", category),
        ("min_floor_area_m2", float(min_area) if min_area > 0 else None),
        ("model", model),
        ("new_sites", None if model == "lscp" else int(new_sites)),
        ("target_pct", float(target_pct) if model == "lscp" else None),
        ("time_limit_s", float(time_limit)),
    )
    if whatif.rows():  # sited on top of the session's scenario (its planned facilities count)
        options += (("scenario", whatif.fingerprint()),)
    key = (state.source(), state.coords(), state.settings_items(), state.resolved_targets(dataset.meta), options)
    with st.status(t("site.running", lang), expanded=True) as box:
        box.write(t("site.step.matrix", lang))
        watch = SolveProgress(lang=lang, model=model, time_limit_s=float(time_limit))
        try:
            state.siting_for(*key, _progress=watch, _stop=watch.stop)
        except (DataError, ValueError) as exc:
            box.update(label=messages.error_message(exc, lang), state="error")
            st.error(messages.error_message(exc, lang))
            st.stop()
        box.update(label=t("site.step.done", lang), state="complete", expanded=False)
    st.session_state["latest_siting"] = key
    watch.replay()  # a click while solving stopped it: answer that click now the result is kept

latest = st.session_state.get("latest_siting")
if not latest or latest[0] != state.source():
    st.info(t("site.none_yet", lang))
    scenarios_view.render(dataset, analysis, None, lang=lang)
    st.stop()

result = state.siting_for(*latest)
st.subheader(t("site.result", lang))
st.success(t("msg.sites_found", lang, n=len(result.sites)))
st.markdown(
    t("site.solver_words", lang, solver=solver_text(result.solver, result.gap_pct, lang))
    + " · " + t("site.covered", lang, before=f"{result.covered_before:,}", after=f"{result.covered_after:,}")
)
for note in getattr(result, "notes", []) or []:
    st.caption(note_text(note, lang))

sites = views.readable_sites(result.sites, lang=lang)
static = state.current_static_layers()
# Communities coloured as they would be with the sites built (a what-if of the sites alone);
# the same light layers as the map page: tiles, images and clustered facilities for a city.
after = whatif.with_sites(analysis, result)
analysed = result.category in analysis.categories and analysis is state.current_analysis()
drawn = state.current_circles(result.category, wait_s=2.0) if analysed else None
pending = analysed and drawn is None
if pending:
    key = ("drawn", *state.drawn_key(result.category))
    jobs.wait_then_rerun(lambda: jobs.done(key), [("map.pending", t("layer.circles", lang))], lang=lang)
layers = views.map_layers(after.dataset, after, result.category, lang=lang, roads=static["roads"],
                          facilities=static["facilities"],
                          labels=state.data_labels(dataset), sites=sites,
                          site_circles=getattr(result, "circles", None),
                          layers=drawn, pending=pending, scope=state.own_layer_scope())
st.caption(t("site.map_after", lang))
st_folium(build_map(layers, lang=lang), key="siting_map", height=560, use_container_width=True,
          returned_objects=[])
columns = [c for c in ("rank", "candidate_id", "name", "source", "floor_area_m2", "community_id", "newly_covered",
                       "cumulative_covered", "cumulative_pct") if c in result.sites.columns]
st.dataframe(views.table_view(translate_columns(sites[columns], lang), lang), hide_index=True, width="stretch")
if len(result.sites):
    c1, c2 = st.columns([1, 3])
    accept_n = int(c1.number_input(t("site.accept.n", lang), min_value=1, max_value=len(result.sites),
                                   value=min(3, len(result.sites)), step=1, key="w_site_accept_n"))
    c2.write("")
    if c2.button(t("site.accept", lang, n=accept_n), key="w_site_accept", type="primary"):
        try:
            added = whatif.accept(edits_from_sites(result, ranks=list(range(1, accept_n + 1))))
        except DataError as exc:
            st.error(messages.error_message(exc, lang))
        else:
            st.success(t("site.accepted", lang, n=added))
with st.expander(t("layer.before_after", lang)):
    st.dataframe(translate_columns(views.readable_before_after(result.community_before_after.reset_index(),
                                                               lang=lang), lang),
                 hide_index=True, width="stretch")

scenarios_view.render(dataset, analysis, result, lang=lang)
