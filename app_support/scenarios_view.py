"""Save the latest siting result as a named scenario and compare two saved scenarios."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import streamlit as st

from app_support.i18n import category_label, t, translate_columns
from app_support.views import readable_before_after

SCENARIO_DIR = Path(tempfile.gettempdir()) / "service-circles-scenarios"


def _scenarios_module() -> Any | None:
    try:
        from planning.siting import scenarios
    except ImportError:
        return None
    return scenarios


def scenario_folder(dataset: Any) -> Path:
    """Where this data set's scenarios are kept (one folder per data set)."""
    folder = SCENARIO_DIR / str(getattr(dataset, "name", "dataset"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def render(dataset: Any, analysis: Any, result: Any | None, *, lang: str) -> None:
    """Save / compare controls (shown under the siting result)."""
    module = _scenarios_module()
    st.subheader(t("site.compare", lang))
    if module is None:
        st.caption(t("msg.not_available", lang, name="planning.siting.scenarios"))
        return
    folder = scenario_folder(dataset)
    if result is not None:
        cols = st.columns([3, 1])
        name = cols[0].text_input(t("site.scenario_name", lang), value=f"{result.category}_{result.model}_"
                                  f"{len(result.sites)}", key="w_scenario_name")
        if cols[1].button(t("site.save", lang), key="w_scenario_save"):
            path = module.save_scenario(folder / f"{_safe(name)}.gpkg", analysis, result, name=name)
            st.success(t("site.saved", lang, path=str(path)))
    saved = sorted(folder.glob("*.gpkg"))
    if len(saved) < 2:
        st.caption(t("site.no_scenarios", lang) if not saved else saved[0].stem)
        return
    names = [p.stem for p in saved]
    picked = st.multiselect(t("site.compare.pick", lang), names, default=names[-2:], max_selections=2,
                            key="w_scenario_pick")
    if len(picked) == 2:
        first, second = (module.load_scenario(folder / f"{n}.gpkg") for n in picked)
        comparison = module.compare_scenarios(first, second)
        by_category = comparison.categories.reset_index()
        first_col = by_category.columns[0]
        by_category[first_col] = by_category[first_col].map(lambda k: category_label(str(k), lang))
        st.dataframe(translate_columns(by_category, lang), hide_index=True, width="stretch")
        st.dataframe(translate_columns(readable_before_after(comparison.communities.reset_index(), lang=lang), lang),
                     hide_index=True, width="stretch")
        # Kept for the export page (planning.output.export adds it as a "scenario_comparison" table).
        st.session_state["scenario_comparison"] = comparison.communities


def _safe(name: str) -> str:
    keep = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name.strip())
    return keep[:60] or "scenario"
