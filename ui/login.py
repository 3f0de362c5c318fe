"""The login gate: nothing but a sign-in form until someone signs in, once a user exists.

Password sign-in checks ``dashboard.auth`` (Argon2 hashes, throttled failures). Single sign-on
through Streamlit's OIDC login (``st.login``) is offered when ``.streamlit/secrets.toml`` has an
``[auth]`` section; the e-mail the identity provider returns must be an Encaisse user name,
which gives the role. Sessions end after their idle time or absolute lifetime, or at sign-out.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlparse

import streamlit as st

from dashboard import auth
from dashboard.i18n import t
from ui import cache

SESSION = "_auth"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def sso_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets.toml at all: Streamlit raises rather than answer False
        return False


def _sso_user() -> str | None:
    if not sso_configured():
        return None
    try:
        if st.user.is_logged_in:
            return st.user.get("email") or st.user.get("preferred_username")
    except Exception:  # an [auth] section Streamlit cannot use: password sign-in still works
        return None
    return None


def _start_session(account: auth.Account, via: str) -> None:
    now = _now()
    st.session_state[SESSION] = {"name": account.name, "via": via, "signed_in_at": now,
                                 "last_seen": now}


def sign_out(engine, name: str, via: str) -> None:
    st.session_state.pop(SESSION, None)
    auth.record_sign_out(engine, name, via)
    if via == "sso":
        st.logout()
    st.rerun()


def gate(lang: str) -> auth.Account:
    """The signed-in account (everyone is admin while no user exists); otherwise render the
    sign-in form and stop the run."""
    engine = cache.engine()
    if not auth.has_users(engine):
        return auth.OPEN_ACCESS
    session = st.session_state.get(SESSION)
    if session and auth.session_expired(session["signed_in_at"], session["last_seen"]):
        st.session_state.pop(SESSION, None)
        st.session_state["_auth_notice"] = "Your session has expired. Please sign in again."
        session = None
    if session is None:
        email = _sso_user()
        if email:
            account = auth.get_account(engine, email)
            if account is None:
                st.error(t("{email} has no access to Encaisse. Ask an administrator to add "
                           "this address as a user.", lang, email=email))
                if st.button(t("Sign out", lang), key="sso_out"):
                    st.logout()
                st.stop()
            _start_session(account, "sso")
            session = st.session_state[SESSION]
    if session is not None:
        account = auth.get_account(engine, session["name"])  # removed or re-roled: at once
        if account is not None:
            session["last_seen"] = _now()
            side = st.sidebar
            side.caption(t("Signed in as {name} ({role})", lang, name=account.name,
                           role=t(account.role, lang)))
            if side.button(t("Sign out", lang), key="sign_out", icon=":material/logout:"):
                sign_out(engine, account.name, session["via"])
            return account
        st.session_state.pop(SESSION, None)
    # the address asked for is opened after sign-in (the form itself has no pages)
    st.session_state.setdefault("_wanted", _requested_page())
    login_form(engine, lang)
    st.stop()


def _requested_page() -> str:
    """The page named in the address the browser opened (``/data`` → ``data``)."""
    url = st.context.url or ""
    path = urlparse(url).path.rstrip("/")
    return path.rsplit("/", 1)[-1] if path else ""


def wanted_page() -> str | None:
    """After sign-in: the page whose address was opened before it (once), else None."""
    if SESSION not in st.session_state:
        return None
    return st.session_state.pop("_wanted", None) or None


def login_form(engine, lang: str) -> None:
    st.title(t("Sign in to Encaisse", lang))
    notice = st.session_state.pop("_auth_notice", None)
    if notice:
        st.info(t(notice, lang))
    with st.form("login", border=True, enter_to_submit=True):
        name = st.text_input(t("User name", lang), key="login_name")
        password = st.text_input(t("Password", lang), type="password", key="login_password")
        submitted = st.form_submit_button(t("Sign in", lang), type="primary")
    if submitted:
        try:
            account = auth.authenticate(engine, name, password)
        except auth.AuthError as exc:
            st.error(t(exc.template, lang, **exc.values))
        else:
            _start_session(account, "password")
            st.rerun()
    if sso_configured():
        st.divider()
        if st.button(t("Sign in with single sign-on", lang), key="sso_login",
                     icon=":material/key:"):
            st.login()
