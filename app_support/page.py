"""The opening every page shares: deep links routed, the title, the data set and its analysis."""

from __future__ import annotations

from typing import Any

import streamlit as st

from app_support import messages, state, whatif
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


def widget_words(lang: str) -> None:
    """Streamlit's own words on the file uploader ("Upload", "500MB per file") in Chinese.

    Streamlit does not translate them; a style lays ours over them (their text is hidden, ours
    drawn in its place), so a Chinese page carries no English button.
    """
    if lang == "en":
        return
    limit = st.get_option("server.maxUploadSize")
    st.html(_UPLOADER_ZH.replace("{limit}", str(limit)))


_UPLOADER_ZH = """<style>
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p {font-size: 0}
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p::after {
  content: "选择文件"; font-size: 0.875rem}
[data-testid="stFileUploaderDropzoneInstructions"] span {font-size: 0}
[data-testid="stFileUploaderDropzoneInstructions"] span::after {
  content: "可拖放到此处，每个文件不超过 {limit} MB"; font-size: 0.875rem}
</style>"""


def open_page(title_key: str) -> tuple[str, Any, Any]:
    """Route, title and load: ``(lang, dataset, analysis)``; stops the page with the error shown.

    With a what-if scenario in the session (:mod:`app_support.whatif`), the data set and analysis
    are those with its edits made, so every page shows the plan.

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
        dataset, analysis = whatif.current(dataset, analysis)
    except (DataError, ValueError, FileNotFoundError) as exc:
        st.error(messages.error_message(exc, lang))
        st.stop()
    if whatif.rows():
        st.caption(t("whatif.banner", lang, n=len(whatif.rows()), name=whatif.name() or t("whatif.default_name", lang)))
    return lang, dataset, analysis
