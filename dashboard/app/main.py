"""Encaisse dashboard entrypoint: page config, login gate, sidebar filters, navigation.

It lives in dashboard/app/, not beside pages/: Streamlit runs a first request in its legacy
pages-folder mode when a pages/ folder sits next to the entrypoint, which would skip this
routing.
"""

import streamlit as st

from dashboard.app import cache, login, shell, state
from dashboard.core import resources
from dashboard.presentation.i18n import t

PAGES = resources.pages_dir()

# the icon is a file of the package: a material icon would be fetched from a font server
st.set_page_config(page_title="Encaisse", page_icon=str(resources.page_icon()), layout="wide")

# (file, English title, icon, permission); the title is translated at each run
REPORTING = [
    ("overview", "Overview", "dashboard", "reporting"),
    ("collections", "Collections", "payments", "reporting"),
    ("satisfaction", "Satisfaction", "sentiment_satisfied", "reporting"),
    ("reasons", "Late-payment reasons", "help", "reporting"),
    ("segments", "Segments & customers", "groups", "reporting"),
    ("aged_balance", "Aged balance", "table_view", "customers"),
    ("worklist", "Worklist", "checklist", "customers"),
    ("customer", "Customer", "person", "customers"),
]
MANAGE = [
    ("data", "Data", "upload_file", "upload"),
    ("admin", "Administration", "admin_panel_settings", "admin"),
]
FIRST_RUN = [
    ("welcome", "Welcome", "waving_hand", "reporting"),
    ("data", "Data", "upload_file", "upload"),
    ("admin", "Administration", "admin_panel_settings", "admin"),
]


def pages(
    entries: list[tuple[str, str, str, str]], lang: str, account, with_default: bool = True
) -> dict[str, st.Page]:
    """The pages of one navigation section that the account may open, by name; the first is
    the app's home when ``with_default`` (its address is then "/", and "/name" opens it too).
    A page left out is absent from the menu and its URL refused."""
    allowed = [e for e in entries if account.can(e[3])]
    return {
        name: st.Page(
            PAGES / f"{name}.py",
            title=t(title, lang),
            icon=f":material/{icon}:",
            url_path=name,
            default=with_default and i == 0,
        )
        for i, (name, title, icon, _) in enumerate(allowed)
    }


lang = state.language()
shell.localise(lang)
account = login.gate(lang)
if cache.is_empty():
    st.session_state["_view"] = state.View(lang, *state.default_view(), account=account)
    navigation = {t("Reporting", lang): pages(FIRST_RUN, lang, account)}
else:
    st.session_state["_view"] = state.sidebar(lang, account)
    navigation = {
        t("Reporting", lang): pages(REPORTING, lang, account),
        t("Manage", lang): pages(MANAGE, lang, account, with_default=False),
    }
pg = st.navigation({k: list(v.values()) for k, v in navigation.items() if v})
wanted = login.wanted_page()
if wanted:  # the address opened before signing in: go there, or say it is not allowed
    found = next((s[wanted] for s in navigation.values() if wanted in s), None)
    if found is None:
        st.error(t("You do not have access to this page.", lang))
    elif found.url_path != pg.url_path:
        state.switch_to(found)
pg.run()
