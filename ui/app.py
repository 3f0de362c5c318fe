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

# (file, English title, icon); the title is translated at each run
REPORTING = [("overview", "Overview", "dashboard"), ("collections", "Collections", "payments"),
             ("satisfaction", "Satisfaction", "sentiment_satisfied"),
             ("reasons", "Late-payment reasons", "help"),
             ("segments", "Segments & customers", "groups"), ("customer", "Customer", "person")]
MANAGE = [("data", "Data", "upload_file")]
FIRST_RUN = [("welcome", "Welcome", "waving_hand"), ("data", "Data", "upload_file")]


def pages(entries: list[tuple[str, str, str]], lang: str, with_default: bool = True) -> list:
    """Pages of one navigation section; the first is the app's home when ``with_default``."""
    return [st.Page(PAGES / f"{name}.py", title=t(title, lang), icon=f":material/{icon}:",
                    url_path=name, default=with_default and i == 0)
            for i, (name, title, icon) in enumerate(entries)]


lang = state.language()
if cache.is_empty():
    st.session_state["_view"] = state.View(lang, *state.default_view())
    navigation = {t("Reporting", lang): pages(FIRST_RUN, lang)}
else:
    st.session_state["_view"] = state.sidebar(lang)
    navigation = {t("Reporting", lang): pages(REPORTING, lang),
                  t("Manage", lang): pages(MANAGE, lang, with_default=False)}
st.navigation(navigation).run()
