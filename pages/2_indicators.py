"""Indicators: targets met or missed, the per-community table and charts."""

from __future__ import annotations

import altair as alt
import streamlit as st

from app_support import page, state, views
from app_support.i18n import column_label, t, translate_columns

lang, dataset, analysis = page.open_page("page.indicators")
for label in state.data_labels(dataset):
    st.warning(label)

st.subheader(t("ind.table", lang))
notice, other_city = views.targets_notice(analysis, dataset, lang)
if notice:
    (st.warning if other_city else st.caption)(notice)
table = views.indicator_table(analysis, lang=lang)
fail_text, pass_text = t("ind.fail", lang), t("ind.pass", lang)


def _highlight(value: object) -> str:
    if value == fail_text:
        return "background-color: #f8d7da; color: #842029; font-weight: bold"
    if value == pass_text:
        return "background-color: #d1e7dd; color: #0f5132"
    return ""


# Values without data are empty cells, not "None"; the rest as a planner writes them.
shown = translate_columns(views.table_view(table, lang), lang)
pass_header = column_label("pass", lang)
styled = shown.style.map(_highlight, subset=[pass_header]) if pass_header in shown.columns else shown.style
st.dataframe(styled, hide_index=True, width="stretch")

st.subheader(t("ind.community", lang))
st.dataframe(views.table_view(views.translate_table(analysis, views.community_table(analysis, lang=lang), lang),
                              lang), hide_index=True, width="stretch")

st.subheader(t("ind.charts", lang))
options = views.category_options(analysis)
saved = st.session_state.get("map_category") or views.first_category(analysis)
category = st.selectbox(t("map.category", lang), options, index=options.index(saved) if saved in options else 0,
                        format_func=lambda k: views.category_name(k, lang), key=state.widget_key("w_ind_category"))
chosen = views.essential_in(analysis) if category == views.COMPLETE else [category]

st.markdown(f"**{t('ind.time_distribution', lang)}**")
dist = views.time_distribution(dataset, analysis, chosen, lang=lang)
chart = (
    alt.Chart(dist)
    .mark_bar()
    .encode(
        x=alt.X("bin:N", sort=alt.SortField("order"), title=column_label("minutes", lang)),
        y=alt.Y("share:Q", title=column_label("share", lang)),
        color=alt.Color("category:N", title=column_label("category", lang)),
        xOffset="category:N",
        tooltip=["category", "bin", alt.Tooltip("share:Q", format=".1f")],
    )
)
st.altair_chart(chart, width="stretch")

st.markdown(f"**{t('ind.coverage_by_community', lang)}**")
column = views.coverage_column(category)
per_community = analysis.community_table.reset_index()
if column in per_community.columns:
    data = per_community[["name", column]].rename(columns={column: "pct"}).sort_values("pct")
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y("name:N", sort="x", title=column_label("name", lang)),
            x=alt.X("pct:Q", title=column_label(column, lang), scale=alt.Scale(domain=[0, 100])),
            color=alt.condition(alt.datum.pct >= 100, alt.value("#1a9641"), alt.value("#d7191c")),
            tooltip=["name", alt.Tooltip("pct:Q", format=".1f")],
        )
        .properties(height=max(200, 16 * len(data)))
    )
    st.altair_chart(bars, width="stretch")

st.markdown(f"**{t('ind.before_after', lang)}**")
latest = st.session_state.get("latest_siting")
result = state.siting_for(*latest) if latest and latest[0] == state.source() else None
if result is None:
    st.info(t("ind.no_siting", lang))
else:
    frame = views.readable_before_after(result.community_before_after.reset_index(), lang=lang)
    value_cols = [c for c in ("pct_before", "pct_after") if c in frame.columns]
    long = frame.melt(id_vars=[c for c in ("name",) if c in frame.columns] or [frame.columns[0]],
                      value_vars=value_cols, var_name="when", value_name="pct")
    long["when"] = long["when"].map(lambda c: column_label(c, lang))
    y_field = "name" if "name" in frame.columns else frame.columns[0]
    st.altair_chart(
        alt.Chart(long).mark_bar().encode(
            y=alt.Y(f"{y_field}:N", title=column_label("name", lang)),
            x=alt.X("pct:Q", title=column_label("coverage_pct", lang)),
            color=alt.Color("when:N", title=""),
            yOffset="when:N",
        ).properties(height=max(200, 22 * len(frame))),
        width="stretch",
    )
    st.dataframe(translate_columns(frame, lang), hide_index=True, width="stretch")
