"""The login gate: nothing but a sign-in form until someone signs in, once a user exists.

Password sign-in checks ``dashboard.auth.accounts`` (Argon2 hashes, throttled failures).
Single sign-on through Streamlit's OIDC login (``st.login``) is offered when
``.streamlit/secrets.toml`` has an ``[auth]`` section; the e-mail the identity provider
returns must be an Encaisse user name, which gives the role. Sessions end after their idle
time or absolute lifetime, or at sign-out.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from urllib.parse import urlparse

import streamlit as st
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from dashboard.app import cache
from dashboard.auth import accounts
from dashboard.presentation.i18n import t

SESSION = "_auth"

# Streamlit session id → (database, the session's sign-in record or None for an open install),
# written by the gate at each run: the upload endpoint (dashboard.app.server) reads it to
# refuse a file from a connection that has not signed in, before reading any of its body.
_SESSIONS: dict[str, tuple[object, dict | None]] = {}
_SESSIONS_LOCK = threading.Lock()


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


def _start_session(account: accounts.Account, via: str) -> None:
    now = _now()
    st.session_state[SESSION] = {
        "name": account.name,
        "via": via,
        "signed_in_at": now,
        "last_seen": now,
    }


def _end(session: dict | None) -> None:
    """Mark a session ended: a download button it rendered serves nothing any more."""
    if session is not None:
        session["ended"] = True


def sign_out(engine, name: str, via: str) -> None:
    _end(st.session_state.pop(SESSION, None))
    accounts.record_sign_out(engine, name, via)
    if via == "sso":
        st.logout()
    st.rerun()


def _register(engine, session: dict | None) -> None:
    """Remember which sign-in this browser session holds (None: an open install), and forget
    the sessions Streamlit has closed."""
    ctx = get_script_run_ctx()
    if ctx is None:  # not run by a Streamlit server
        return
    runtime = Runtime.instance() if Runtime.exists() else None
    with _SESSIONS_LOCK:
        _SESSIONS[ctx.session_id] = (engine, session)
        if runtime is not None:
            for sid in [s for s in _SESSIONS if not runtime.is_active_session(s)]:
                del _SESSIONS[sid]


def may_upload(session_id: str) -> bool:
    """Whether the browser session ``session_id`` may send a file now: it has run the gate
    and is signed in with the right to upload (or nobody has an account yet)."""
    with _SESSIONS_LOCK:
        known = _SESSIONS.get(session_id)
    if known is None:  # never through the gate: nothing is accepted before sign-in
        return False
    engine, session = known
    return download_allowed(engine, session, "upload")


def gate(lang: str) -> accounts.Account:
    """The signed-in account (everyone is admin while no user exists); otherwise render the
    sign-in form and stop the run."""
    engine = cache.engine()
    if not accounts.has_users(engine):
        _register(engine, None)
        return accounts.OPEN_ACCESS
    session = st.session_state.get(SESSION)
    if session and accounts.session_expired(session["signed_in_at"], session["last_seen"]):
        _end(st.session_state.pop(SESSION, None))
        st.session_state["_auth_notice"] = "Your session has expired. Please sign in again."
        session = None
    if session is None:
        email = _sso_user()
        if email:
            account = accounts.get_account(engine, email)
            if account is None:
                st.error(
                    t(
                        "{email} has no access to Encaisse. Ask an administrator to add "
                        "this address as a user.",
                        lang,
                        email=email,
                    )
                )
                if st.button(t("Sign out", lang), key="sso_out"):
                    st.logout()
                st.stop()
            _start_session(account, "sso")
            session = st.session_state[SESSION]
    if session is not None:
        account = accounts.get_account(engine, session["name"])  # removed or re-roled: at once
        if account is not None:
            session["last_seen"] = _now()
            _register(engine, session)
            side = st.sidebar
            side.caption(
                t(
                    "Signed in as {name} ({role})",
                    lang,
                    name=account.name,
                    role=t(account.role, lang),
                )
            )
            if side.button(t("Sign out", lang), key="sign_out", icon=":material/logout:"):
                sign_out(engine, account.name, session["via"])
            return account
        st.session_state.pop(SESSION, None)
    _register(engine, {"ended": True})  # signed out, expired or removed: no upload
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


def client_address() -> str:
    """Who is signing in, for the throttle: the connection's address; behind the reverse proxy
    (the server listens on this machine only) the address the proxy forwards, last in
    X-Forwarded-For (what a client writes there itself comes before it)."""
    ip = st.context.ip_address
    if isinstance(ip, str) and ip:
        return ip[:45]
    forwarded = st.context.headers.get("X-Forwarded-For")
    if not isinstance(forwarded, str):  # no header (or no server: the tests)
        return "local"
    return forwarded.split(",")[-1].strip()[:45] or "local"


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
            account = accounts.authenticate(engine, name, password, client=client_address())
        except accounts.AuthError as exc:
            st.error(t(exc.template, lang, **exc.values))
        else:
            _start_session(account, "password")
            st.rerun()
    if sso_configured():
        st.divider()
        if st.button(
            t("Sign in with single sign-on", lang), key="sso_login", icon=":material/key:"
        ):
            st.login()


def download_allowed(engine, session: dict | None, permission: str) -> bool:
    """Whether a download may be served now, for the session that rendered its button: still
    signed in (not signed out, not idle or past its lifetime), its user still there and still
    holding ``permission``. Always, while nobody has an account (an open install)."""
    if not accounts.has_users(engine):
        return True
    if session is None or session.get("ended"):
        return False
    if accounts.session_expired(session["signed_in_at"], session["last_seen"]):
        return False
    account = accounts.get_account(engine, session["name"])
    return account is not None and account.can(permission)


def guarded(build: Callable[[], bytes], permission: str = "exports") -> Callable[[], bytes]:
    """A download's data, built when its button is clicked only if ``download_allowed`` then.

    Streamlit serves the click outside any run of the page, so the check cannot wait for the
    next run's gate: it holds the session's own record (which the gate updates at every run and
    marks ended at sign-out or expiry) and reads the user afresh from the database.
    """
    engine = cache.engine()
    session = st.session_state.get(SESSION)

    def build_if_allowed() -> bytes:
        if not download_allowed(engine, session, permission):
            raise PermissionError("the session has ended or lost the right to export")
        return build()

    return build_if_allowed
