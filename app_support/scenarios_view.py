"""Save the latest siting result or the map's scenario as a named scenario, bring and take
scenario files, make one the map's scenario again, compare two (sorted by what changed).

Scenarios belong to the session that made them: they are kept in the session's own folder
(:func:`app_support.state.session_folder`), one sub-folder per data set, so no other session
lists, reads or overwrites them. Each one can be downloaded as its GeoPackage and uploaded again
(in this session or a later one), as can a bare file of edits (GeoJSON); :mod:`planning.siting.scenarios`
writes and reads the files.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import streamlit as st

from app_support import messages, state, whatif
from app_support.i18n import category_label, column_label, t
from app_support.views import readable_before_after
from geo._errors import DataError
from geo.taxonomy import CATEGORIES
from planning.siting import scenarios

GPKG_MIME = "application/geopackage+sqlite3"


def scenario_folder(dataset: Any) -> Path:
    """Where this session keeps the scenarios of ``dataset`` (made on first use)."""
    folder = state.session_folder("scenarios") / _safe(str(getattr(dataset, "name", "dataset")))
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def render(dataset: Any, analysis: Any, result: Any | None, *, lang: str) -> None:
    """Save / upload / download / compare controls (shown under the siting result)."""
    st.subheader(t("site.compare", lang))
    folder = scenario_folder(dataset)
    if result is not None:
        cols = st.columns([3, 1])
        name = cols[0].text_input(t("site.scenario_name", lang), value=default_name(result, lang),
                                  key="w_scenario_name")
        if cols[1].button(t("site.save", lang), key="w_scenario_save"):
            try:
                scenarios.save_scenario(folder / f"{_safe(name)}.gpkg", analysis, result, name=name)
            except DataError as exc:
                st.error(messages.error_message(exc, lang))
            else:
                st.success(t("site.saved", lang, name=name))
    _upload(folder, dataset, analysis, lang)
    saved = sorted(folder.glob("*.gpkg"))
    if not saved:
        st.caption(t("site.no_scenarios", lang))
        return
    cols = st.columns(min(len(saved), 4))
    for i, path in enumerate(saved):
        cols[i % len(cols)].download_button(t("exp.download", lang, name=path.name), data=path.read_bytes(),
                                            file_name=path.name, mime=GPKG_MIME, key=f"w_scenario_dl_{path.stem}")
    c1, c2 = st.columns([3, 1])
    pick = c1.selectbox(t("whatif.saved", lang), [p.stem for p in saved], key="w_scenario_current_pick")
    if c2.button(t("whatif.load", lang), key="w_scenario_make_current"):
        try:
            scenario = load_saved(dataset, pick)
            whatif.load(scenario.edits, scenario_name=scenario.name)
        except DataError as exc:
            st.error(messages.error_message(exc, lang))
        else:
            st.success(t("whatif.loaded", lang, name=scenario.name))
    if len(saved) < 2:
        return
    names = [p.stem for p in saved]
    picked = st.multiselect(t("site.compare.pick", lang), names, default=names[-2:], max_selections=2,
                            key="w_scenario_pick")
    if len(picked) == 2:
        try:
            first, second = (scenarios.load_scenario(folder / f"{n}.gpkg") for n in picked)
            comparison = scenarios.compare_scenarios(first, second)
        except DataError as exc:
            st.error(messages.error_message(exc, lang))
            return
        st.caption(t("whatif.compare.sorted", lang))
        for table in comparison_tables(comparison, lang):
            st.dataframe(table, hide_index=True, width="stretch")
        # Kept for the export page (planning.output.export adds it as a "scenario_comparison" table).
        st.session_state["scenario_comparison"] = comparison.communities


def default_name(result: Any, lang: str) -> str:
    """A scenario's first name in words: "社区客厅5处（最大覆盖）", "Community living room 5 sites
    (Maximal covering)" — never the codes, which would head the comparison's columns."""
    model = str(t(f"site.model.{result.model}", lang)).split("（")[0].split(" (")[0]
    if lang == "en":
        return f"{category_label(result.category, lang)} {len(result.sites)} sites ({model})"
    return f"{category_label(result.category, lang)}{len(result.sites)}处（{model}）"


def _upload(folder: Path, dataset: Any, analysis: Any, lang: str) -> None:
    """A scenario file the user brings: checked, then kept under its own name in ``folder``
    (a bare edit file gets what its edits change computed first)."""
    upload = st.file_uploader(t("site.scenario_upload", lang), type=["gpkg", "geojson", "json"],
                              key="w_scenario_upload")
    if upload is None or st.session_state.get("scenario_upload_done") == upload.file_id:
        return
    st.session_state["scenario_upload_done"] = upload.file_id
    try:
        scenario = read_upload(upload)
        _check_dataset(scenario, dataset, upload.name)
        if scenario.categories.empty:
            base = state.current_analysis()
            scenario = scenarios.scenario_from_edits(scenario.edits, name=scenario.name, analysis=base)
        scenarios.write_scenario(scenario, folder / f"{_safe(scenario.name)}.gpkg")
    except DataError as exc:
        st.error(messages.error_message(exc, lang, file=upload.name))
        return
    st.success(t("site.scenario_uploaded", lang, name=scenario.name))


def read_upload(upload: Any) -> scenarios.Scenario:
    """An uploaded scenario or edit file, read through a private temporary file of this session."""
    name = str(getattr(upload, "name", "scenario.gpkg"))
    suffix = Path(name).suffix.lower()
    if suffix not in (".gpkg", ".geojson", ".json"):
        raise DataError("a scenario file is a GeoPackage or GeoJSON", file=name,
                        fix="choose a .gpkg saved by this tool or a .geojson of edits")
    folder = state.session_folder("uploads")
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".upload")
    checked = Path(tmp).with_name(f"{_safe(Path(name).stem)}{suffix}")  # read by its ending, named as uploaded
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(upload.getvalue())
        os.replace(tmp, checked)
        scenario = scenarios.load_scenario(checked)
        from planning.siting.edits import check_edits

        check_edits(state.current_dataset(), scenarios.scenario_edits(scenario), file=name)
        return scenario
    finally:
        Path(tmp).unlink(missing_ok=True)
        checked.unlink(missing_ok=True)


def saved_scenarios(dataset: Any) -> list[Path]:
    """The scenario files this session keeps for ``dataset``."""
    return sorted(scenario_folder(dataset).glob("*.gpkg"))


def load_saved(dataset: Any, stem: str) -> scenarios.Scenario:
    """A scenario this session saved (by its file name without ``.gpkg``)."""
    path = scenario_folder(dataset) / f"{_safe(stem)}.gpkg"
    return scenarios.load_scenario(path)


def save_current(base: Any, analysis: Any, edits: Any, *, name: str) -> Path:
    """Save the map's scenario (``analysis`` is ``base`` with ``edits`` made) as ``name``."""
    scenario = scenarios.scenario_from_edits(edits, name=name, analysis=base, after=analysis)
    return scenarios.write_scenario(scenario, scenario_folder(base.dataset) / f"{_safe(scenario.name)}.gpkg")


def comparison_tables(comparison: scenarios.Comparison, lang: str) -> list[Any]:
    """The comparison per category, per community and of the indicators, headed in ``lang``
    (scenario names kept, categories named), rows sorted by what changed."""
    a, b = comparison.a, comparison.b
    suffix = {f"_{a}_pct": a, f"_{b}_pct": b, "_baseline_pct": t("whatif.compare.before", lang)}

    def header(column: str) -> str:
        for name in (a, b):
            if column == f"{name}_pct":
                return f"{name} {column_label('coverage_pct', lang)}"
            if column == f"{name}_new_sites":
                return f"{name} {t('whatif.compare.new', lang)}"
            if column == f"{name}_value":
                return f"{name} {column_label('value', lang)}"
            if column == f"{name}_pass":
                return f"{name} {column_label('pass', lang)}"
        for end, who in suffix.items():
            if column.endswith(end) and column[: -len(end)] in CATEGORIES:
                return f"{category_label(column[: -len(end)], lang)}·{who}(%)"
        return column_label(column, lang)

    def shown(frame: Any) -> Any:
        out = frame.copy()
        out.columns = [header(str(c)) for c in frame.columns]
        return out

    by_category = comparison.categories.reset_index()
    by_category["category"] = by_category["category"].map(lambda k: category_label(str(k), lang))
    tables = [shown(by_category), shown(readable_before_after(comparison.communities.reset_index(), lang=lang))]
    if not comparison.indicators.empty:
        ind = comparison.indicators.reset_index(drop=True).drop(columns=["name_en" if lang == "zh" else "name_zh"])
        for column in [c for c in ind.columns if str(c).endswith("_pass")]:
            ind[column] = ind[column].map(lambda v: t("ind.na", lang) if v is None else
                                          t("ind.pass", lang) if v else t("ind.fail", lang))
        tables.append(shown(ind))
    return tables


def safe(name: str) -> str:
    """A file name made of the scenario's name (letters, digits, - and _ kept)."""
    return _safe(name)


def _check_dataset(scenario: Any, dataset: Any, file: str) -> None:
    """Refuse a scenario of another data set: none of its communities are in this one."""
    communities = getattr(scenario, "communities", None)
    if communities is None or not len(communities):
        return
    ids = set(dataset.communities["community_id"].astype(str))
    if not ids & set(map(str, communities.index)):
        raise DataError("the scenario belongs to another data set (none of its communities are in this one)",
                        file=file, fix="Load the data set the scenario was made for")


def _safe(name: str) -> str:
    keep = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name.strip())
    return keep[:60] or "scenario"
