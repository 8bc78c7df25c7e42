"""Community service circles: the map app (``streamlit run streamlit_app.py``).

This file is the entry point: it sets up the page, the language switch and the navigation, and
draws the home page (choose a data set, see what was loaded, choose targets and circle settings).
The other pages live in ``pages/``; shared logic lives in ``app_support/``.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app_support import home, page
from app_support.i18n import t
from app_support.state import language_switch

ICON = Path(__file__).resolve().parent / "static" / "icon.png"

# A local icon: the material-symbol icons of the pages would make the browser fetch the favicon
# from the internet, which government intranets cannot reach.
st.set_page_config(page_title="社区便民服务圈 · Service circles", page_icon=str(ICON), layout="wide")
language = language_switch()
page.widget_words(language)
pages = [
    st.Page(home.render, title=t("page.home", language), icon=":material/folder_open:", url_path="home",
            default=True),
    st.Page("pages/1_map.py", title=t("page.map", language), icon=":material/map:", url_path="map"),
    st.Page("pages/2_indicators.py", title=t("page.indicators", language), icon=":material/bar_chart:",
            url_path="indicators"),
    st.Page("pages/3_siting.py", title=t("page.siting", language), icon=":material/add_location_alt:",
            url_path="siting"),
    st.Page("pages/4_export.py", title=t("page.export", language), icon=":material/download:",
            url_path="export"),
]
navigation = st.navigation(pages)
navigation.run()
