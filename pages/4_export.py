"""Export: every result layer and table as GeoPackage, Shapefile, GeoJSON, KML, CSV, Excel or HTML."""

from __future__ import annotations

import time

import streamlit as st

from app_support import exporting, jobs, messages, page, state
from app_support.i18n import t
from geo._errors import DataError

lang, dataset, analysis = page.open_page("page.export")

latest = st.session_state.get("latest_siting")
siting = state.siting_for(*latest) if latest and latest[0] == state.source() else None

st.subheader(t("exp.layers", lang))
c1, c2, c3 = st.columns(3)
fmt = c1.selectbox(t("exp.format", lang), exporting.FORMATS, format_func=exporting.format_name, key="w_exp_fmt")
crs = c2.selectbox(t("exp.crs", lang), exporting.CRS_CHOICES, format_func=lambda c: exporting.crs_name(c, lang),
                   key=state.widget_key("w_exp_crs"))
encoding = c3.selectbox(t("exp.encoding", lang), exporting.ENCODINGS, key="w_exp_encoding",
                        disabled=fmt != "shp")
include_sites = st.checkbox(t("exp.include_sites", lang), value=siting is not None, disabled=siting is None,
                            key="w_exp_sites")
include_areas = st.checkbox(t("exp.include_areas", lang), value=False, help=t("exp.include_areas.help", lang),
                            key="w_exp_areas")
if st.button(t("exp.prepare", lang), key="w_exp_prepare", type="primary"):
    started = time.perf_counter()
    progress = [t("exp.prepare", lang)]
    comparison = st.session_state.get("scenario_comparison")

    def prepare() -> list[tuple[str, bytes, str]]:
        exporting.prepare_with_progress(analysis, areas=include_areas, lang=lang, report=progress.append)
        return exporting.export_files(analysis, fmt=fmt, crs=crs, encoding=encoding,
                                      siting=siting if include_sites else None,
                                      scenario_comparison=comparison, lang=lang, areas=include_areas)

    with st.status(t("exp.prepare", lang), expanded=False) as box:
        # As a page's job: the background warm-up waits until the file is written.
        job = jobs.submit(("export", id(analysis), fmt, crs, encoding, include_sites, include_areas, lang,
                           time.time()), prepare)
        while not job.done():
            box.update(label=progress[-1])
            time.sleep(0.3)
        try:
            files = job.result()
            box.update(label=t("exp.step.done", lang, seconds=time.perf_counter() - started), state="complete")
        except (DataError, ValueError) as exc:
            box.update(label=messages.error_message(exc, lang), state="error")
            st.error(messages.error_message(exc, lang))
            files = []
    st.session_state["export_files"] = files
for name, data, mime in st.session_state.get("export_files", []):
    st.download_button(t("exp.download", lang, name=name), data=data, file_name=name, mime=mime,
                       key=f"w_dl_{name}")

st.subheader(t("exp.tables", lang))
cols = st.columns(3)
for i, (name, data) in enumerate(exporting.table_csvs(analysis, siting=siting, lang=lang).items()):
    cols[i % 3].download_button(t("exp.download", lang, name=name), data=data, file_name=name,
                                mime="text/csv", key=f"w_csv_{name}")
