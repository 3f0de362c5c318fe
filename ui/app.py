"""Encaisse dashboard entrypoint: page config, sidebar filters, navigation. Nothing else.

It lives in ui/, not beside pages/: Streamlit runs a first request in its legacy pages-folder
mode when a pages/ folder sits next to the entrypoint, which would skip this routing.
"""

from pathlib import Path

import streamlit as st

from dashboard.i18n import t
from ui import cache, state

PAGES = Path(__file__).resolve().parent.parent / "pages"

st.set_page_config(page_title="Encaisse", page_icon=":material/euro:", layout="wide")
# Login gate: none yet (see the Trust issue); every page below is open.

lang = state.language()
if cache.is_empty():
    pages = {
        t("Reporting", lang): [
            st.Page(
                PAGES / "welcome.py",
                title=t("Welcome", lang),
                icon=":material/waving_hand:",
                url_path="welcome",
                default=True,
            ),
            st.Page(
                PAGES / "data.py",
                title=t("Data", lang),
                icon=":material/upload_file:",
                url_path="data",
            ),
        ]
    }
    st.session_state["_view"] = state.View(lang, *state.default_view())
else:
    st.session_state["_view"] = state.sidebar(lang)
    pages = {
        t("Reporting", lang): [
            st.Page(
                PAGES / "overview.py",
                title=t("Overview", lang),
                icon=":material/dashboard:",
                url_path="overview",
                default=True,
            ),
            st.Page(
                PAGES / "collections.py",
                title=t("Collections", lang),
                icon=":material/payments:",
                url_path="collections",
            ),
            st.Page(
                PAGES / "satisfaction.py",
                title=t("Satisfaction", lang),
                icon=":material/sentiment_satisfied:",
                url_path="satisfaction",
            ),
            st.Page(
                PAGES / "reasons.py",
                title=t("Late-payment reasons", lang),
                icon=":material/help:",
                url_path="reasons",
            ),
            st.Page(
                PAGES / "segments.py",
                title=t("Segments & customers", lang),
                icon=":material/groups:",
                url_path="segments",
            ),
            st.Page(
                PAGES / "customer.py",
                title=t("Customer", lang),
                icon=":material/person:",
                url_path="customer",
            ),
        ],
        t("Manage", lang): [
            st.Page(
                PAGES / "data.py",
                title=t("Data", lang),
                icon=":material/upload_file:",
                url_path="data",
            ),
        ],
    }
st.navigation(pages).run()
