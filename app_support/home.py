"""Home page: choose a data set, see what was loaded, choose targets and circle settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from app_support import contract, messages, state, uploads, warmup
from app_support.i18n import category_label, t, translate_columns
from geo._errors import DataError
from planning import choices
from planning.choices import TARGET_GROUPS

#: "" = as the data set says.
COORD_SYSTEMS: tuple[str, ...] = ("", *choices.COORD_SYSTEMS)
_COORD_NAMES = {"wgs84": "WGS84", "cgcs2000": "CGCS2000 (EPSG:4490)", "gcj02": "GCJ-02 (高德/腾讯)",
                "bd09": "BD-09 (百度)"}
UPLOAD_LAYERS: tuple[str, ...] = ("communities", "facilities", "population", "candidates", "roads")
#: Layer files: every accepted type but the data set description.
LAYER_TYPES: list[str] = [k for k in uploads.UPLOAD_TYPES if k != "toml"]
#: Session keys that belong to one data set: dropped when another one is loaded.
DATASET_KEYS: tuple[str, ...] = ("targets", "latest_siting", "scenario_comparison", "export_files")


def render() -> None:
    """Draw the home page."""
    lang = state.lang()
    st.title(t("app.title", lang))
    st.caption(t("app.subtitle", lang))
    _choose_source(lang)
    try:
        dataset = _load_current(lang)
    except (DataError, ValueError, FileNotFoundError) as exc:
        st.error(messages.error_message(exc, lang))
        return
    # The map's first needs (analysis, surface, road tiles) start now, in the background.
    warmup.prefetch()
    _show_dataset(dataset, lang)
    _settings_form(dataset, lang)
    st.info(t("home.next", lang))


def _choose_source(lang: str) -> None:
    st.subheader(t("home.dataset", lang))
    bundled = state.bundled_datasets()
    kinds = (["bundled"] if bundled else []) + ["upload", "synthetic"]
    current = state.source()
    current_kind = current.partition(":")[0]
    kind = st.radio(t("home.source", lang), kinds, horizontal=True,
                    index=kinds.index(current_kind) if current_kind in kinds else 0,
                    format_func=lambda k: t(f"home.source.{k}", lang), key=state.widget_key("w_source_kind"))
    cols = st.columns(2)
    coords = cols[1].selectbox(t("home.coords", lang), COORD_SYSTEMS,
                               index=COORD_SYSTEMS.index(state.coords() or ""),
                               format_func=lambda c: _COORD_NAMES.get(c, t("home.coords.auto", lang)),
                               key=state.widget_key("w_coords")) or None
    if kind == "bundled":
        names = list(bundled)
        chosen = current.partition(":")[2] if current_kind == "bundled" else names[0]
        name = cols[0].selectbox(t("home.dataset", lang), names,
                                 index=names.index(chosen) if chosen in names else 0,
                                 format_func=state.bundled_title, key=state.widget_key("w_bundled"))
        _switch_source(f"bundled:{name}", coords, lang)
    elif kind == "synthetic":
        _switch_source(_synthetic_choice(cols[0], current, lang), coords, lang)
    else:
        wanted = _upload_form(lang, coords)
        # Only a new upload or another coordinate system is a new choice: a failed upload's
        # message stays until then.
        if wanted or coords != state.coords():
            _switch_source(wanted or current, coords, lang)
    _show_failed(lang)


def _synthetic_choice(column: Any, current: str, lang: str) -> str:
    """The synthetic data set's size (road nodes, about as many residents' points) as a source key.

    A whole city or county has 10^5–10^6 road nodes: the size lets a user try the tool at that
    scale before loading their own data.
    """
    size = state.synthetic_size(current)
    nodes = column.number_input(t("home.synthetic_nodes", lang), min_value=state.SYNTHETIC_MIN_NODES,
                                max_value=state.SYNTHETIC_MAX_NODES, value=size, step=1000,
                                help=t("home.synthetic_nodes.help", lang), key="w_synthetic_nodes")
    return state.synthetic_source(int(nodes))


def _switch_source(value: str, coords: str | None, lang: str) -> None:
    """Make ``value`` (read with ``coords``) the session's data set, if it loads.

    A data set that fails to load leaves the one loaded before in place (with the error shown
    above it) until another one loads; the same failing choice is not tried again on every rerun.
    """
    if value == state.source() and coords == state.coords():
        st.session_state.pop("failed_source", None)
        return
    failed = st.session_state.get("failed_source")
    if failed is not None and failed[0] == (value, coords):
        return
    try:
        with st.status(t("home.loading", lang), expanded=False) as box:
            state.load_source(value, coords)
            box.update(state="complete")
    except (DataError, ValueError, FileNotFoundError) as exc:
        st.session_state["failed_source"] = ((value, coords), exc)
        return
    st.session_state.pop("failed_source", None)
    if st.session_state.get("source") != value:
        # A new data set brings its own default targets and invalidates earlier siting runs.
        for key in DATASET_KEYS:
            st.session_state.pop(key, None)
    st.session_state["source"] = value
    st.session_state["coords"] = coords


def _show_failed(lang: str) -> None:
    failed = st.session_state.get("failed_source")
    if failed is None:
        return
    _, exc = failed
    try:
        kept = state.dataset_title(state.current_dataset())
    except (DataError, ValueError, FileNotFoundError):
        kept = None
    st.error(t("home.load_failed", lang, message=messages.error_text(exc, lang)))
    if kept:
        st.warning(t("home.load_failed.kept", lang, name=kept))


def _upload_form(lang: str, coords: str | None) -> str | None:
    """The upload form, with what each layer needs; the new source key once files are saved."""
    st.caption(t("home.upload.help", lang))
    _layer_help(lang)
    with st.form("upload_form"):
        whole = st.file_uploader(t("home.upload.all", lang), type=["gpkg", "zip"], key="w_up_all")
        files: dict[str, Any] = {}
        cols = st.columns(len(UPLOAD_LAYERS))
        for col, layer in zip(cols, UPLOAD_LAYERS, strict=True):
            files[layer] = col.file_uploader(t("home.upload.layer", lang, layer=t(f"layer.{layer}", lang)),
                                             type=LAYER_TYPES, key=f"w_up_{layer}")
        files[uploads.TOML_SLOT] = st.file_uploader(t("home.upload.toml", lang), type=["toml"], key="w_up_toml")
        download = st.checkbox(t("home.upload.download_roads", lang), key="w_up_download")
        submitted = st.form_submit_button(t("home.upload.load", lang))
    if not submitted:
        return None
    if whole is None and not any(files.values()):
        st.warning(t("home.upload.none", lang))
        return None
    root = state.session_folder("uploads")
    try:
        if whole is not None:
            folder = uploads.save_uploads({"dataset": whole}, root=root)
            return f"upload:{next(folder.glob('dataset.*'))}"
        folder = uploads.save_uploads(files, root=root)
        if download and files.get("roads") is None:
            _download_roads(folder, coords, lang)
        return f"upload:{folder}"
    except DataError as exc:
        st.error(messages.error_message(exc, lang))
    return None


def _layer_help(lang: str) -> None:
    """What each layer needs (columns, accepted values, Chinese names) and its template files."""
    with st.expander(t("home.upload.contract", lang)):
        tabs = st.tabs([t(f"layer.{layer}", lang) for layer in (*contract.TABLE_LAYERS, "roads")])
        for tab, layer in zip(tabs, contract.TABLE_LAYERS, strict=False):
            with tab:
                st.caption(t(f"contract.layer.{layer}", lang))
                # Static help: a plain table (the data set's own tables are the interactive ones).
                st.table(contract.requirements(layer, lang).set_index(t("contract.column", lang)))
                if layer == "facilities":
                    st.markdown(f"**{t('contract.categories', lang)}**")
                    st.table(contract.category_table(lang).set_index(t("contract.category_key", lang)))
                cols = st.columns(2)
                for i, (name, (data, mime)) in enumerate(contract.template_files(layer, lang).items()):
                    cols[i].download_button(t("home.upload.template", lang, name=name), data=data, file_name=name,
                                            mime=mime, key=f"w_template_{name}_{lang}")
        with tabs[-1]:
            st.caption(t("contract.layer.roads", lang))


def _download_roads(folder: Path, coords: str | None, lang: str) -> None:
    """Download OSM roads for the extent of the uploaded communities into ``roads.gpkg``."""
    import shapely

    from geo.coords import metric_crs_for, to_wgs84
    from geo.readers import read_vector
    from geo.roads import download_roads

    communities_file = next(iter(sorted(folder.glob("communities.*"))), None)
    if communities_file is None:
        raise DataError("no communities layer to take the road download's extent from",
                        fix="Upload the communities layer too")
    communities = read_vector(communities_file, coords=coords)
    wgs = to_wgs84(communities, coords) if communities.crs is None else communities.to_crs(4326)
    area = shapely.convex_hull(shapely.union_all(wgs.geometry.to_numpy()))
    # 0.005° ≈ 500 m of margin so that roads just outside the communities connect them.
    area = shapely.buffer(area, 0.005)
    with st.spinner(t("home.upload.download_roads", lang)):
        network = download_roads(area, crs=metric_crs_for(area))
    lines = network.edges_frame()
    tmp = folder / "roads.part.gpkg"
    lines.to_file(tmp, layer="roads", driver="GPKG")
    tmp.replace(folder / "roads.gpkg")


def _load_current(lang: str) -> Any:
    with st.status(t("home.loading", lang), expanded=False) as box:
        dataset = state.current_dataset()
        box.update(label=f"{t('home.loaded', lang)}: {state.dataset_title(dataset)}", state="complete")
    return dataset


def _show_dataset(dataset: Any, lang: str) -> None:
    st.markdown(f"**{state.dataset_title(dataset)}**")
    for label in state.data_labels(dataset):
        st.warning(label)
    counts = pd.DataFrame(
        {
            "layer": [t(f"layer.{name}", lang) for name in ("communities", "facilities", "population",
                                                            "candidates", "roads")],
            "features": [len(dataset.communities), len(dataset.facilities), len(dataset.population),
                         len(dataset.candidates), dataset.roads.n_edges],
        }
    )
    cols = st.columns([1, 2])
    cols[0].dataframe(translate_columns(counts, lang), hide_index=True, width="stretch")
    with cols[1]:
        if dataset.attribution:
            st.caption(t("map.attribution", lang) + ("：" if lang == "zh" else ": ") + " · ".join(map(str, dataset.attribution)))
        for note in state.dataset_notes(dataset):
            st.caption(note)
        st.caption(t("home.crs", lang, name=dataset.crs.name))
    st.subheader(t("home.report", lang))
    problems = dataset.report.problems
    if not problems:
        st.success(t("home.report.ok", lang))
    else:
        st.dataframe(messages.problems_frame(problems, lang), hide_index=True, width="stretch")


def _settings_form(dataset: Any, lang: str) -> None:
    from planning.settings import MODES, PROFILES

    st.subheader(t("home.settings", lang))
    current = {**state.default_settings(), **dict(state.settings_items())}
    names = state.available_targets()
    chosen_targets = state.resolved_targets(dataset.meta)
    with st.form("settings_form"):
        c1, c2, c3 = st.columns(3)
        values: dict[str, Any] = {}
        values["urban_circle_minutes"] = c1.slider(t("set.urban_circle_minutes", lang), 5, 60,
                                                   int(current["urban_circle_minutes"]), step=1)
        values["rural_circle_minutes"] = c1.slider(t("set.rural_circle_minutes", lang), 10, 90,
                                                   int(current["rural_circle_minutes"]), step=5)
        values["urban_mode"] = c2.selectbox(t("set.urban_mode", lang), MODES,
                                            index=MODES.index(current["urban_mode"]),
                                            format_func=lambda m: t(f"mode.{m}", lang))
        values["rural_mode"] = c2.selectbox(t("set.rural_mode", lang), MODES,
                                            index=MODES.index(current["rural_mode"]),
                                            format_func=lambda m: t(f"mode.{m}", lang))
        values["profile"] = c2.radio(t("set.profile", lang), PROFILES, index=PROFILES.index(current["profile"]),
                                     format_func=lambda p: t(f"profile.{p}", lang), horizontal=True)
        values["walk_speed_m_per_min"] = c3.number_input(t("set.walk_speed_m_per_min", lang), 20.0, 150.0,
                                                         float(current["walk_speed_m_per_min"]), step=5.0)
        values["elderly_walk_speed_m_per_min"] = c3.number_input(
            t("set.elderly_walk_speed_m_per_min", lang), 20.0, 150.0,
            float(current["elderly_walk_speed_m_per_min"]), step=5.0)
        values["ebike_speed_km_per_h"] = c3.number_input(t("set.ebike_speed_km_per_h", lang), 5.0, 40.0,
                                                         float(current["ebike_speed_km_per_h"]), step=1.0)
        values.update(_group_settings(dataset, lang, current))
        target = None
        if names:
            target = st.selectbox(t("home.targets", lang), names,
                                  index=names.index(chosen_targets) if chosen_targets in names else 0,
                                  format_func=lambda n: state.targets_title(n, lang))
        if chosen_targets in names:
            # Plainly when the data set is judged against another city's plan.
            targets = state.targets_file(chosen_targets)
            (st.warning if targets.for_another_city(dataset) else st.caption)(
                targets.notice(dataset, lang))
        apply, reset = st.columns(2)
        applied = apply.form_submit_button(t("home.apply", lang), type="primary")
        reset_clicked = reset.form_submit_button(t("home.reset", lang))
    if applied:
        values["urban_circle_minutes"] = float(values["urban_circle_minutes"])
        values["rural_circle_minutes"] = float(values["rural_circle_minutes"])
        try:
            state.make_settings(tuple(values.items()))  # validates before storing
        except ValueError as exc:
            st.error(messages.error_message(exc, lang))
            return
        st.session_state["settings"] = values
        if target:
            st.session_state["targets"] = target
        st.rerun()
    if reset_clicked:
        st.session_state["settings"] = {}
        st.session_state.pop("targets", None)
        st.rerun()


def _group_settings(dataset: Any, lang: str, current: dict[str, Any]) -> dict[str, Any]:
    """Who each service is for: the census county (a searchable list), the whole-county scale,
    the elderly speed and each category's target group (planning.access.groups)."""
    from geo.taxonomy import CATEGORIES
    from planning.census import county_choices

    st.markdown(f"**{t('set.groups', lang)}**")
    labels = dict(county_choices())
    options = ["", *labels]
    chosen = current.get("census_code") or ""
    c1, c2 = st.columns([2, 1])
    code = c1.selectbox(t("set.census_code", lang), options, index=options.index(chosen) if chosen in labels else 0,
                        format_func=lambda c: labels.get(c, t("set.census_none", lang)))
    whole = c2.checkbox(t("set.census_whole_county", lang), value=bool(current.get("census_whole_county")))
    speed = c2.checkbox(t("set.elderly_group_speed", lang), value=bool(current.get("elderly_group_speed", True)))
    table = dict(current.get("target_groups") or {})
    present = set(dataset.facilities["category"].astype(str)) if len(dataset.facilities) else set()
    shown = [k for k in CATEGORIES if k in present or table.get(k, "all") != "all"]
    cols = st.columns(3)
    for i, key in enumerate(shown):
        group = cols[i % 3].selectbox(t("set.target_group", lang, category=category_label(key, lang)), TARGET_GROUPS,
                                      index=TARGET_GROUPS.index(table.get(key, "all")),
                                      format_func=lambda g: t(f"group.{g}", lang), key=f"w_group_{key}")
        table[key] = group
    # Pairs, not a dict: the settings are a cache key and must hash.
    return {"census_code": code or None, "census_whole_county": whole, "elderly_group_speed": speed,
            "target_groups": tuple(sorted((k, g) for k, g in table.items() if g != "all"))}
