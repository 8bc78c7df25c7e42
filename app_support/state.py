"""Session choices and cached loaders shared by every page.

Uploads live in :mod:`app_support.uploads`, the background drawing of circles in
:mod:`app_support.warmup` and the opening every page shares in :mod:`app_support.page`.

Expensive objects are cached by plain, hashable keys: the data set (and its road network) with
``st.cache_resource`` keyed by its source, each analysis keyed by (source, settings, targets),
each siting run keyed by its options as well. Moving a slider therefore recomputes only what
depends on it; the data set and network are built once per session of the server.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import time
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import streamlit as st

from app_support import cache_info, jobs, layer_store, uploads
from app_support.i18n import LANGUAGE_NAMES, LANGUAGES, t
from planning.choices import DATA_DIR, DEFAULT_DATASET, DEFAULT_TARGETS

ROOT = Path(__file__).resolve().parent.parent
TARGETS_DIR = ROOT / "planning" / "targets"
SYNTHETIC_SOURCE = "synthetic"
SYNTHETIC_NODES = 4000
#: Sizes the home page offers for the synthetic data set (road nodes).
SYNTHETIC_MIN_NODES, SYNTHETIC_MAX_NODES = 1_000, 2_000_000
#: One folder per browser session (uploads, saved scenarios), named by an unguessable token.
SESSION_ROOT = Path(tempfile.gettempdir()) / "service-circles-sessions"
#: Session folders untouched this long are removed when a new session starts.
SESSION_MAX_AGE_S = 7 * 24 * 3600
#: Settings fields the home page edits; every other field keeps its default.
SETTING_FIELDS: tuple[str, ...] = (
    "urban_circle_minutes", "rural_circle_minutes", "urban_mode", "rural_mode", "walk_speed_m_per_min",
    "elderly_walk_speed_m_per_min", "profile", "ebike_speed_km_per_h",
    "target_groups", "elderly_group_speed", "census_code", "census_whole_county",  # who each service is for
)


# ---------------------------------------------------------------------- session choices
def lang() -> str:
    """Current language (``"zh"`` unless the user switched)."""
    value = st.session_state.get("lang", "zh")
    return value if value in LANGUAGES else "zh"


def language_switch() -> str:
    """Sidebar language choice, kept in ``st.session_state["lang"]`` across pages."""
    current = lang()
    choice = st.sidebar.radio(t("app.language", current), LANGUAGES, index=LANGUAGES.index(current),
                              format_func=lambda code: LANGUAGE_NAMES[code], horizontal=True, key="lang_choice")
    st.session_state["lang"] = choice
    return choice


def widget_key(name: str) -> str:
    """Key of a widget whose options are shown in words: one widget per language.

    Streamlit keeps a keyed widget's option labels when only their wording changes, so the
    language is part of the key; the chosen value itself lives in its own session key.
    """
    return f"{name}_{lang()}"


def session_folder(kind: str) -> Path:
    """This session's own folder for ``kind`` (``"uploads"``, ``"scenarios"``), made on first use.

    The folder name is a random token kept in the session state, so no other session can list,
    read or overwrite what this one saved; the folders are readable by the server's user only.
    """
    token = st.session_state.get("_session_token")
    if not token:
        token = secrets.token_urlsafe(24)
        st.session_state["_session_token"] = token
        # Dropped by Streamlit with the session's state: the session's files go with it.
        ending = _SessionEnd()
        weakref.finalize(ending, end_session, token)
        st.session_state["_session_end"] = ending
        _remove_stale_sessions()
    folder = SESSION_ROOT / token / kind
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    for part in (SESSION_ROOT, SESSION_ROOT / token):
        os.chmod(part, 0o700)
    return folder


class _SessionEnd:
    """Kept in a session's state only: when Streamlit drops the session, it is collected."""


def end_session(token: str) -> None:
    """Remove what the session with ``token`` left: its folder (uploads, scenarios) and the map
    files of its uploaded data (:func:`app_support.layer_store.remove_session_files`)."""
    shutil.rmtree(SESSION_ROOT / token, ignore_errors=True)
    layer_store.remove_session_files(token)


def _remove_stale_sessions() -> None:
    """Delete session folders nobody has written to for :data:`SESSION_MAX_AGE_S`."""
    if not SESSION_ROOT.is_dir():
        return
    oldest = time.time() - SESSION_MAX_AGE_S
    for folder in SESSION_ROOT.iterdir():
        try:
            newest = max((p.stat().st_mtime for p in folder.rglob("*")), default=folder.stat().st_mtime)
        except OSError:  # removed meanwhile by another session's clean-up
            continue
        if newest < oldest:
            shutil.rmtree(folder, ignore_errors=True)


def bundled_datasets() -> dict[str, Path]:
    """Data-set folders under ``data/`` (the default first)."""
    if not DATA_DIR.is_dir():
        return {}
    found = {p.name: p for p in sorted(DATA_DIR.iterdir()) if p.is_dir() and not p.name.startswith((".", "_"))
             and any(q.is_file() for q in p.iterdir())}
    if DEFAULT_DATASET in found:
        found = {DEFAULT_DATASET: found[DEFAULT_DATASET], **found}
    return found


def default_source() -> str:
    """``bundled:xian`` when present, else the first bundled folder, else synthetic data."""
    bundled = bundled_datasets()
    return f"bundled:{next(iter(bundled))}" if bundled else SYNTHETIC_SOURCE


def source() -> str:
    """The chosen data source key (``bundled:<name>``, ``upload:<dir>`` or ``synthetic``)."""
    value = st.session_state.get("source")
    if not value:
        value = default_source()
        st.session_state["source"] = value
    return str(value)


def synthetic_size(source_key: str) -> int:
    """Road nodes of a synthetic source key (``synthetic`` is the default size)."""
    kind, _, size = source_key.partition(":")
    if kind != SYNTHETIC_SOURCE or not size.isdigit():
        return SYNTHETIC_NODES
    return int(size)


def synthetic_source(n_nodes: int) -> str:
    """Source key of the synthetic data set with about ``n_nodes`` road nodes."""
    return SYNTHETIC_SOURCE if int(n_nodes) == SYNTHETIC_NODES else f"{SYNTHETIC_SOURCE}:{int(n_nodes)}"


def coords() -> str | None:
    """Coordinate system the user set for lon/lat layers (``None``: as the data set says)."""
    value = st.session_state.get("coords")
    return str(value) if value else None


def settings_items() -> tuple[tuple[str, Any], ...]:
    """The user's circle settings as a sorted, hashable tuple (a cache key)."""
    stored: Mapping[str, Any] = st.session_state.get("settings", {})
    return tuple(sorted((k, v) for k, v in stored.items() if k in SETTING_FIELDS))


def make_settings(items: tuple[tuple[str, Any], ...] = ()) -> Any:
    """A :class:`planning.settings.Settings` from ``items`` (defaults for the rest)."""
    from planning.settings import Settings

    return Settings(**dict(items))


def default_settings() -> dict[str, Any]:
    """Default values of the editable settings fields."""
    defaults = make_settings()
    return {name: getattr(defaults, name) for name in SETTING_FIELDS}


def current_settings() -> Any:
    return make_settings(settings_items())


def update_settings(**changes: Any) -> None:
    stored = dict(st.session_state.get("settings", {}))
    stored.update(changes)
    st.session_state["settings"] = stored


def available_targets() -> list[str]:
    """Names of the targets files in ``planning/targets``."""
    if not TARGETS_DIR.is_dir():
        return []
    return sorted(p.stem for p in TARGETS_DIR.glob("*.toml"))


def targets() -> str | None:
    """Chosen targets name; defaults to the data set's ``targets`` key, then the first file."""
    value = st.session_state.get("targets")
    if value:
        return str(value)
    return None


@st.cache_resource(max_entries=16, show_spinner=False)
def targets_file(name: str) -> Any:
    """The :class:`planning.access.indicators.Targets` called ``name`` (read once)."""
    from planning.access.indicators import load_targets

    return load_targets(name)


def targets_title(name: str, language: str) -> str:
    """The title of the plan a targets file comes from (its file name when it has none)."""
    try:
        return str(targets_file(name).title(language))
    except ValueError:  # a file that does not read is listed under its name
        return name


def resolved_targets(meta: Mapping[str, Any]) -> str | None:
    chosen = targets()
    if chosen:
        return chosen
    names = available_targets()
    wanted = meta.get("targets")
    if wanted and (wanted in names or not names):
        return str(wanted)
    # A data set that names no plan is judged against the national baseline, as on the command
    # line, never silently against one city's plan (the first file by name).
    if DEFAULT_TARGETS in names:
        return DEFAULT_TARGETS
    return names[0] if names else None


# ---------------------------------------------------------------------- cached loaders
@st.cache_resource(max_entries=4, show_spinner=False)
def load_source(source_key: str, coords_system: str | None = None) -> Any:
    """The :class:`geo.dataset.Dataset` of a source key, built once and shared."""
    if source_key == SYNTHETIC_SOURCE or source_key.startswith(f"{SYNTHETIC_SOURCE}:"):
        from geo.synthetic import synthetic_dataset

        size = source_key.partition(":")[2]
        dataset = synthetic_dataset(int(size) if size else SYNTHETIC_NODES, seed=0)
        cache_info.computed("datasets", (source_key, coords_system), network=dataset.roads)
        return dataset
    from geo.dataset_loader import load_dataset

    kind, _, rest = source_key.partition(":")
    path = DATA_DIR / rest if kind == "bundled" else Path(rest)
    dataset = load_dataset(path, coords=coords_system)
    if kind == "upload":
        dataset = uploads.named(dataset, path)  # the uploaded file's name, not the folder's hash
    cache_info.computed("datasets", (source_key, coords_system), network=dataset.roads)
    return dataset


@st.cache_resource(max_entries=8, show_spinner=False)
def analysis_for(source_key: str, coords_system: str | None, items: tuple[tuple[str, Any], ...],
                 targets_name: str | None) -> Any:
    """:func:`planning.access.analysis.analyze` of a source with the given settings and targets."""
    from geo.taxonomy import CATEGORIES
    from planning.access.analysis import analyze

    dataset = load_source(source_key, coords_system)
    present = set(dataset.facilities["category"].astype(str)) if len(dataset.facilities) else set()
    # Community living rooms are the first thing plans ask for: always shown, even at 0 %.
    kwargs: dict[str, Any] = {"categories": [k for k in CATEGORIES if k in present or k == "community_living_room"]}
    if targets_name:
        kwargs["targets"] = targets_name
    result = analyze(dataset, make_settings(items), **kwargs)
    cache_info.computed("analyses", (source_key, coords_system, items, targets_name))
    return result


@st.cache_resource(max_entries=16, show_spinner=False)
def siting_for(source_key: str, coords_system: str | None, items: tuple[tuple[str, Any], ...],
               targets_name: str | None, options: tuple[tuple[str, Any], ...], _progress: Any = None,
               _stop: Any = None) -> Any:
    """:func:`planning.siting.recommend_sites` for one set of options (cached); ``_progress`` and
    ``_stop`` (not part of the cache key) follow and stop the solver.

    An option ``scenario`` (the session's edits, :func:`app_support.whatif.fingerprint`) sites on
    top of that what-if scenario: its planned facilities count as built, closed ones as gone.
    """
    from planning.siting import recommend_sites

    dataset = load_source(source_key, coords_system)
    result = analysis_for(source_key, coords_system, items, targets_name)
    chosen = dict(options)
    scenario = chosen.pop("scenario", None)
    if scenario:
        import json

        from planning.siting.edits import edit_table
        from planning.siting.whatif import analysis_with_edits

        result = analysis_with_edits(result, edit_table(json.loads(scenario), crs=4326))
        dataset = result.dataset
    sites = recommend_sites(dataset, result, **chosen, progress=_progress, stop=_stop)
    cache_info.computed("siting", (source_key, coords_system, items, targets_name, options))
    return sites


@st.cache_resource(max_entries=96, show_spinner=False)
def circles_for(source_key: str, coords_system: str | None, items: tuple[tuple[str, Any], ...],
                targets_name: str | None, category: str, basemap: str = "none", part: str = "all") -> Any:
    """The drawn layers of one category (:func:`app_support.views.drawn_layers`): its service
    circle (``part="circle"``), the layers the map starts with hidden (``"extras"``: straight-
    line buffer, travel-time surface, rings, responsibility areas) or all of them."""
    from app_support.views import drawn_layers

    result = analysis_for(source_key, coords_system, items, targets_name)
    layers = drawn_layers(result, category, basemap, scope=layer_scope(source_key), part=part)
    cache_info.computed("circles", (source_key, coords_system, items, targets_name, category, basemap, part))
    return layers


def layer_scope(source_key: str | None = None) -> str:
    """Folder of a source's map files: shared, or the session's own for uploaded data
    (:func:`app_support.layer_store.scope_for`)."""
    return layer_store.scope_for(source() if source_key is None else source_key, session_root=SESSION_ROOT)


def own_layer_scope() -> str:
    """This session's own folder of map files, whatever the data set: the layers of its what-if
    plans, which no other session may fetch (removed with the session's files)."""
    # The session's folder is named by its secret token (made on first use).
    return layer_store.session_scope(session_folder("scenarios").parent.name)


def analysis_key() -> tuple[Any, ...]:
    """The cache key of :func:`analysis_for` for the current session's choices."""
    dataset = current_dataset()
    return (source(), coords(), settings_items(), resolved_targets(dataset.meta))


def drawn_key(category: str, basemap: str = "none", part: str = "all") -> tuple[Any, ...]:
    """The cache key of :func:`circles_for` for the current session's choices."""
    return (*analysis_key(), category, "amap" if basemap == "amap" else "none", part)


def current_circles(category: str, basemap: str = "none", *, part: str = "all",
                    wait_s: float | None = None) -> Any:
    """The drawn layers of ``category`` for the current choices (see :func:`circles_for`).

    With ``wait_s`` they are drawn in the background (:mod:`app_support.jobs`): ``None`` when
    not ready within that time.
    """
    key = drawn_key(category, basemap, part)
    if wait_s is None:
        return circles_for(*key)
    _, value = jobs.result(("drawn", *key), lambda: circles_for(*key), wait_s=wait_s)
    return value


def circles_ready(category: str, basemap: str = "none", *, part: str = "all") -> bool:
    """Whether the background drawing of :func:`current_circles` has finished."""
    return jobs.done(("drawn", *drawn_key(category, basemap, part)))


@st.cache_resource(max_entries=8, show_spinner=False)
def static_layers_for(source_key: str, coords_system: str | None, basemap: str = "none") -> dict[str, Any]:
    """The layers that do not depend on settings: roads (tiles drawn in the background) and
    facilities (GeoJSON per category), as files the map fetches."""
    from app_support.drawn import published
    from app_support.mapping import facilities_json, layer_json, road_lines
    from app_support.tiles import road_tiles

    dataset = load_source(source_key, coords_system)
    scope = layer_scope(source_key)
    # The coarsest levels as soon as a page's job (the map shows them), the rest after; vector
    # roads only where no tiles can be written.
    roads: Any = road_tiles(dataset.roads, shift=basemap, scope=scope, pause=jobs.pause_for_pages,
                            background=lambda draw, first: jobs.submit(
                                ("tiles", source_key, coords_system, basemap, first), draw,
                                priority=jobs.PAGE if first else jobs.TILES))
    if roads is None:
        lines = road_lines(dataset.roads.edges_frame())
        roads = published(layer_json(lines, ["group"], basemap=basemap, decimals=5), scope=scope)
    return {"roads": roads,
            "facilities": {key: published(text, scope=scope)
                           for key, text in facilities_json(dataset.facilities, basemap=basemap).items()}}


def current_static_layers(basemap: str = "none") -> dict[str, Any]:
    static = static_layers_for(source(), coords(), "amap" if basemap == "amap" else "none")
    if hasattr(static["roads"], "resume"):
        static["roads"].resume()  # levels whose drawing stopped when the user left the data set
    return static


def current_dataset() -> Any:
    return load_source(source(), coords())


def current_analysis() -> Any:
    dataset = current_dataset()
    return analysis_for(source(), coords(), settings_items(), resolved_targets(dataset.meta))


def load_with_progress() -> tuple[Any, Any]:
    """The current data set and analysis, with a status box while either is computed."""
    language = lang()
    with st.status(t("home.loading", language), expanded=False) as box:
        dataset = current_dataset()
        box.update(label=t("msg.computing", language))
        result = current_analysis()
        box.update(label=f"{t('home.loaded', language)}: {dataset_title(dataset)}", state="complete")
    return dataset, result


def dataset_title(dataset: Any) -> str:
    meta = getattr(dataset, "meta", {}) or {}
    key = "title_en" if lang() == "en" else "title_zh"
    title = str(meta.get(key) or meta.get("title_zh") or meta.get("title_en") or dataset.name)
    if meta.get("name") == SYNTHETIC_SOURCE and meta.get("n_nodes_requested"):
        # Synthetic data sets of several sizes are told apart by their size.
        title += t("home.synthetic_size", lang(), n=f"{int(meta['n_nodes_requested']):,}")
    return title


def dataset_notes(dataset: Any) -> list[str]:
    """The data set's notes in the current language (notes written in both are filtered)."""
    notes = [str(n) for n in getattr(dataset, "notes", []) or []]
    wanted_cjk = lang() == "zh"
    chosen = [n for n in notes if _has_cjk(n) == wanted_cjk]
    return chosen or notes


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def bundled_title(name: str) -> str:
    """Title of a bundled data set from its ``dataset.toml`` (its folder name when absent)."""
    import tomllib

    path = DATA_DIR / name / "dataset.toml"
    try:
        meta = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return name
    title = meta.get("title_en" if lang() == "en" else "title_zh") or meta.get("title_zh")
    return f"{title} ({name})" if title else name


def data_labels(dataset: Any) -> list[str]:
    """"estimated" / "approximate" / "demo" labels of a data set in the current language."""
    meta = getattr(dataset, "meta", {}) or {}
    language = lang()
    labels = []
    demo = meta.get(f"demo_label_{language}") or meta.get("demo_label_zh") or meta.get("demo_label_en")
    if demo:
        labels.append(str(demo))
    if meta.get("population_estimated"):
        labels.append(t("label.estimated", language))
    if meta.get("communities_approximate"):
        labels.append(t("label.approximate", language))
    return labels
