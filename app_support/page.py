"""The opening every page shares: deep links routed, the title, the data set and its analysis."""

from __future__ import annotations

from typing import Any

import streamlit as st

from app_support import messages, state
from app_support.i18n import t
from geo._errors import DataError


def ensure_navigation() -> None:
    """Send a page opened by a deep link (``/map``) through the entry point's ``st.navigation``.

    Streamlit runs a ``pages/`` file directly, without the entry point, until ``st.navigation``
    has been called once in the server process; that first run would miss the language switch
    and the translated page list, so it is rerun through the entry point.
    """
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a later Streamlit without the flag routes through st.navigation anyway
        return
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def open_page(title_key: str) -> tuple[str, Any, Any]:
    """Route, title and load: ``(lang, dataset, analysis)``; stops the page with the error shown.

    Parameters
    ----------
    title_key : str
        Key of the page title in :data:`app_support.i18n.TEXT` (``"page.map"`` …).
    """
    ensure_navigation()
    lang = state.lang()
    st.title(t(title_key, lang))
    try:
        dataset, analysis = state.load_with_progress()
    except (DataError, ValueError, FileNotFoundError) as exc:
        st.error(messages.error_message(exc, lang))
        st.stop()
    return lang, dataset, analysis
