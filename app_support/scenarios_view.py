"""Save the latest siting result as a named scenario, bring and take scenario files, compare two.

Scenarios belong to the session that made them: they are kept in the session's own folder
(:func:`app_support.state.session_folder`), one sub-folder per data set, so no other session
lists, reads or overwrites them. Each one can be downloaded as its GeoPackage and uploaded again
(in this session or a later one); :mod:`planning.siting.scenarios` writes and reads the files.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import streamlit as st

from app_support import messages, state
from app_support.i18n import category_label, t, translate_columns
from app_support.views import readable_before_after
from geo._errors import DataError
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
    _upload(folder, dataset, lang)
    saved = sorted(folder.glob("*.gpkg"))
    if not saved:
        st.caption(t("site.no_scenarios", lang))
        return
    cols = st.columns(min(len(saved), 4))
    for i, path in enumerate(saved):
        cols[i % len(cols)].download_button(t("exp.download", lang, name=path.name), data=path.read_bytes(),
                                            file_name=path.name, mime=GPKG_MIME, key=f"w_scenario_dl_{path.stem}")
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
        by_category = comparison.categories.reset_index()
        first_col = by_category.columns[0]
        by_category[first_col] = by_category[first_col].map(lambda k: category_label(str(k), lang))
        st.dataframe(translate_columns(by_category, lang), hide_index=True, width="stretch")
        st.dataframe(translate_columns(readable_before_after(comparison.communities.reset_index(), lang=lang), lang),
                     hide_index=True, width="stretch")
        # Kept for the export page (planning.output.export adds it as a "scenario_comparison" table).
        st.session_state["scenario_comparison"] = comparison.communities


def default_name(result: Any, lang: str) -> str:
    """A scenario's first name in words: "社区客厅5处（最大覆盖）", "Community living room 5 sites
    (Maximal covering)" — never the codes, which would head the comparison's columns."""
    model = str(t(f"site.model.{result.model}", lang)).split("（")[0].split(" (")[0]
    if lang == "en":
        return f"{category_label(result.category, lang)} {len(result.sites)} sites ({model})"
    return f"{category_label(result.category, lang)}{len(result.sites)}处（{model}）"


def _upload(folder: Path, dataset: Any, lang: str) -> None:
    """A scenario file the user brings: checked, then kept under its own name in ``folder``."""
    upload = st.file_uploader(t("site.scenario_upload", lang), type=["gpkg"], key="w_scenario_upload")
    if upload is None or st.session_state.get("scenario_upload_done") == upload.file_id:
        return
    st.session_state["scenario_upload_done"] = upload.file_id
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".upload")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(upload.getvalue())
        checked = Path(tmp).with_suffix(".gpkg")  # load_scenario reads GeoPackages by their ending
        os.replace(tmp, checked)
        tmp = str(checked)
        scenario = scenarios.load_scenario(checked)
        _check_dataset(scenario, dataset, upload.name)
        os.replace(checked, folder / f"{_safe(scenario.name)}.gpkg")
    except DataError as exc:
        st.error(messages.error_message(exc, lang, file=upload.name))
        return
    finally:
        Path(tmp).unlink(missing_ok=True)
    st.success(t("site.scenario_uploaded", lang, name=scenario.name))


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
