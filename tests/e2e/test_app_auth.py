"""The login gate and the roles, through AppTest: what each role sees, and what it may not."""

from __future__ import annotations

import datetime as dt
import tempfile
import uuid
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.auth import accounts
from dashboard.demo.data import load_demo
from dashboard.metrics import Filters, Period
from dashboard.storage import store
from tests.conftest import new_database
from tests.e2e.test_app import END, fresh_app

ROOT = Path(__file__).resolve().parents[2]
PASSWORDS = {
    "vic": "viewer-pass",
    "max": "manager-pass",
    "ula": "uploader-pass",
    "ada": "admin-pass!",
}
ROLES = {"vic": "viewer", "max": "manager", "ula": "uploader", "ada": "admin"}
# Pages each role must find in the navigation, and the ones it must not
REPORTING = ["overview", "collections", "satisfaction", "reasons", "segments"]
ALLOWED = {
    "viewer": REPORTING,
    "manager": [*REPORTING, "customer"],
    "uploader": [*REPORTING, "data"],
    "admin": [*REPORTING, "customer", "data", "admin"],
}
ALL = [*REPORTING, "customer", "data", "admin"]


@pytest.fixture(scope="module")
def users_url(tmp_path_factory):
    url, drop = new_database(tmp_path_factory.mktemp("auth"))
    engine = store.open_store(url)
    load_demo(engine, seed=5, customers=30, months=12, end=END)
    for name, role in ROLES.items():
        accounts.add_user(engine, name, PASSWORDS[name], role, by="test")
    engine.dispose()
    yield url
    drop()


def sign_in(at: AppTest, name: str, password: str | None = None) -> AppTest:
    at.text_input(key="login_name").input(name)
    at.text_input(key="login_password").input(password or PASSWORDS[name])
    at.button(key="FormSubmitter:login-Sign in").click().run()
    assert not at.exception, at.exception
    return at


def signed_in(url: str, monkeypatch, name: str) -> AppTest:
    at = fresh_app(url, monkeypatch)
    at.run()
    return sign_in(at, name)


def test_nothing_but_a_login_form_until_signed_in(users_url, monkeypatch):
    at = fresh_app(users_url, monkeypatch, segment=["Retail"])
    at.run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Sign in to Encaisse"]
    assert not at.metric and not at.multiselect and not at.dataframe
    assert [b.key for b in at.button] == ["FormSubmitter:login-Sign in"]
    for page in ("overview", "data", "admin"):  # a page asked for still shows the form
        at.switch_page(str(ROOT / "pages" / f"{page}.py")).run()
        assert [t.value for t in at.title] == ["Sign in to Encaisse"], page
        assert not at.metric and not at.get("file_uploader")


def test_a_wrong_password_gets_a_generic_message(users_url, monkeypatch):
    at = fresh_app(users_url, monkeypatch)
    at.run()
    sign_in(at, "vic", "not-the-password")
    assert [e.value for e in at.error] == [accounts.GENERIC_FAILURE]
    assert at.title[0].value == "Sign in to Encaisse"
    sign_in(at, "nobody", "whatever-pass")
    assert [e.value for e in at.error] == [accounts.GENERIC_FAILURE]
    sign_in(at, "vic")
    assert at.title[0].value == "Overview" and at.metric


@pytest.mark.parametrize("name", list(ROLES))
def test_the_home_page_typed_as_an_address_opens_without_a_refusal(users_url, monkeypatch, name):
    at = fresh_app(users_url, monkeypatch)
    at.session_state["_wanted"] = "overview"  # the browser opened /overview before sign-in
    at.run()
    sign_in(at, name)
    assert at.title[0].value == "Overview"
    assert not at.error, [e.value for e in at.error]


def test_a_page_typed_as_an_address_is_refused_to_a_role_without_it(users_url, monkeypatch):
    at = fresh_app(users_url, monkeypatch)
    at.session_state["_wanted"] = "admin"
    at.run()
    sign_in(at, "vic")
    assert [e.value for e in at.error] == ["You do not have access to this page."]
    assert at.title[0].value == "Overview"


@pytest.mark.parametrize("name", list(ROLES))
def test_each_role_sees_only_its_pages(users_url, monkeypatch, name):
    at = signed_in(users_url, monkeypatch, name)
    role = ROLES[name]
    assert at.title[0].value == "Overview"
    for page in ALL:
        path = str(ROOT / "pages" / f"{page}.py")
        if page in ALLOWED[role]:
            at.switch_page(path).run()
            assert not at.exception, (page, at.exception)
            assert not at.error, (page, [e.value for e in at.error])
        else:  # absent from the navigation: it cannot be opened at all
            with pytest.raises(ValueError, match="Could not find a navigation page"):
                at.switch_page(path)


def test_exports_and_customer_lists_need_the_manager_role(users_url, monkeypatch):
    viewer = signed_in(users_url, monkeypatch, "vic")
    assert not viewer.get("download_button")  # no KPI pack, no table downloads
    viewer.switch_page(str(ROOT / "pages" / "segments.py")).run()
    assert "Customers" not in [s.value for s in viewer.subheader]
    assert not viewer.get("download_button")
    manager = signed_in(users_url, monkeypatch, "max")
    labels = [d.proto.label for d in manager.get("download_button")]
    assert "Download the KPI pack (Excel)" in labels and "Excel" in labels
    manager.switch_page(str(ROOT / "pages" / "segments.py")).run()
    assert "Customers" in [s.value for s in manager.subheader]


def customer_texts(url: str) -> set[str]:
    """Every customer id and name, and every survey comment, in the store."""
    engine = store.open_store(url)
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT customer_id, name FROM customers").all()
        comments = conn.exec_driver_sql(
            "SELECT comment FROM surveys WHERE comment IS NOT NULL AND comment <> ''"
        ).scalars()
        found = {v for row in rows for v in row if v} | set(comments)
    engine.dispose()
    return {t for t in found if len(t) >= 4}  # long enough not to match a number or a word


def shown_texts(at: AppTest) -> str:
    """The text of every table and chart specification on the page, and every Markdown text."""
    parts = [df.value.to_csv() for df in at.dataframe]
    parts += [str(c.proto) for c in at.get("arrow_vega_lite_chart")]
    parts += [e.value for kind in ("markdown", "caption") for e in at.get(kind)]
    return "\n".join(parts)


def test_a_viewer_sees_aggregates_only(users_url, monkeypatch):
    secret = customer_texts(users_url)
    assert secret
    viewer = signed_in(users_url, monkeypatch, "vic")
    for page in REPORTING:
        viewer.switch_page(str(ROOT / "pages" / f"{page}.py")).run()
        assert not viewer.exception, (page, viewer.exception)
        text = shown_texts(viewer)
        leaked = sorted(t for t in secret if t in text)
        assert not leaked, (page, leaked[:5])
    manager = signed_in(users_url, monkeypatch, "max")
    manager.switch_page(str(ROOT / "pages" / "satisfaction.py")).run()
    assert any(t in shown_texts(manager) for t in secret)  # the detail is there for managers


def test_only_an_admin_edits_the_taxonomy(users_url, monkeypatch):
    for name, editable in (("max", False), ("ada", True)):
        at = signed_in(users_url, monkeypatch, name)
        at.switch_page(str(ROOT / "pages" / "reasons.py")).run()
        assert (
            bool(
                at.button(key="save_owners")
                if editable
                else [b for b in at.button if b.key == "save_owners"]
            )
            is editable
        )


def test_a_page_refuses_an_account_without_its_permission(users_url, monkeypatch):
    """Typed URLs of absent pages never run them; each page still checks for itself."""
    from dashboard.app.state import View

    monkeypatch.setenv("ENCAISSE_DB_URL", users_url)
    at = AppTest.from_file(str(ROOT / "pages" / "data.py"), default_timeout=60)
    at.session_state["_view"] = View(
        "en",
        Period(END - dt.timedelta(days=89), END),
        Filters(),
        account=accounts.Account("vic", "viewer"),
    )
    at.run()
    assert [e.value for e in at.error] == ["You do not have access to this page."]
    assert not at.title and not at.get("file_uploader")


def test_sign_out_and_session_expiry(users_url, monkeypatch):
    at = signed_in(users_url, monkeypatch, "vic")
    at.button(key="sign_out").click().run()
    assert at.title[0].value == "Sign in to Encaisse"
    assert store.audit_log(store.open_store(users_url), 1)[0]["action"] == "logout"
    sign_in(at, "vic")
    assert at.title[0].value == "Overview"
    idle, _ = accounts.session_limits()
    at.session_state["_auth"]["last_seen"] -= idle + dt.timedelta(minutes=1)
    at.run()
    assert at.title[0].value == "Sign in to Encaisse"
    assert "expired" in at.info[0].value


def test_a_removed_user_is_signed_out_at_once(users_url, monkeypatch):
    engine = store.open_store(users_url)
    accounts.add_user(engine, "tmp", "temporary-pass", "viewer", by="test")
    at = fresh_app(users_url, monkeypatch)
    at.run()
    sign_in(at, "tmp", "temporary-pass")
    assert at.title[0].value == "Overview"
    accounts.remove_user(engine, "tmp", by="test")
    at.run()
    assert at.title[0].value == "Sign in to Encaisse"


def test_uploads_and_admin_changes_record_the_signed_in_user(users_url, monkeypatch):
    at = signed_in(users_url, monkeypatch, "ula")
    at.switch_page(str(ROOT / "pages" / "data.py")).run()
    data = b"customer_id,response_date,survey_type,score\nC1001,2025-06-01,csat,5\n"
    name = f"csat_{uuid.uuid4().hex[:8]}.csv"
    at.get("file_uploader")[0].upload(name, data, "text/csv").run()
    at.button(key="commit_upload").click().run()
    assert not at.exception, at.exception
    engine = store.open_store(users_url)
    assert store.list_batches(engine)[0]["imported_by"] == "ula"
    at.run()  # the uploaded copy is gone once committed (confidential data)
    assert not list((Path(tempfile.gettempdir()) / "encaisse_uploads").rglob(name))
    admin = signed_in(users_url, monkeypatch, "ada")
    admin.switch_page(str(ROOT / "pages" / "admin.py")).run()
    assert not admin.exception, admin.exception
    admin.text_input(key="new_user_name").input("zoe")
    admin.selectbox(key="new_user_role").select("manager")
    admin.text_input(key="new_user_password").input("zoe-password")
    admin.button(key="FormSubmitter:add_user-Add").click().run()
    assert not admin.exception, admin.exception
    assert accounts.get_account(engine, "zoe") == accounts.Account("zoe", "manager")
    events = {(e["actor"], e["action"]) for e in store.audit_log(engine)}
    assert {("ula", "import"), ("ada", "user_add")} <= events


def test_single_sign_on_is_offered_when_configured(users_url, monkeypatch):
    at = fresh_app(users_url, monkeypatch)
    at.secrets["auth"] = {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "x" * 32,
        "client_id": "encaisse",
        "client_secret": "secret",
        "server_metadata_url": "https://id.example.com/.well-known/openid-configuration",
    }
    at.run()
    assert at.button(key="sso_login").label == "Sign in with single sign-on"
    plain = fresh_app(users_url, monkeypatch)
    plain.run()
    assert [b for b in plain.button if b.key == "sso_login"] == []


def test_an_sso_identity_gets_the_role_of_its_user(users_url, monkeypatch):
    """The identity provider's e-mail is looked up among the users; unknown ones get no page."""
    from dashboard.app import login

    engine = store.open_store(users_url)
    accounts.add_user(engine, "max@example.com", "unused-password", "manager", by="test")
    monkeypatch.setattr(login, "_sso_user", lambda: "max@example.com")
    at = fresh_app(users_url, monkeypatch)
    at.run()
    assert at.title[0].value == "Overview"
    at.switch_page(str(ROOT / "pages" / "customer.py")).run()
    assert not at.exception
    monkeypatch.setattr(login, "_sso_user", lambda: "stranger@example.com")
    other = fresh_app(users_url, monkeypatch)
    other.run()
    assert "has no access" in other.error[0].value and not other.metric


@pytest.fixture
def deferred_downloads(monkeypatch) -> dict[str, object]:
    """The data callables behind the download buttons rendered, by button key: what
    Streamlit calls when a button is clicked (outside any run of the page)."""
    from streamlit.runtime.media_file_manager import MediaFileManager

    found: dict[str, object] = {}
    real = MediaFileManager.add_deferred

    def spy(self, data, mimetype, coordinates, file_name=None, element_id=""):
        found[element_id] = data
        return real(self, data, mimetype, coordinates, file_name=file_name, element_id=element_id)

    monkeypatch.setattr(MediaFileManager, "add_deferred", spy)
    return found


def kpi_pack_download(found: dict[str, object]):
    return next(fn for key, fn in found.items() if "kpi_pack" in key)


def test_a_download_is_served_only_to_a_live_session(users_url, monkeypatch, deferred_downloads):
    engine = store.open_store(users_url)
    accounts.add_user(engine, "tmp", "temporary-pass", "manager", by="test")
    at = fresh_app(users_url, monkeypatch)
    at.run()
    sign_in(at, "tmp", "temporary-pass")
    build = kpi_pack_download(deferred_downloads)
    assert build()[:2] == b"PK"  # an Excel file while the session lives
    accounts.set_role(engine, "tmp", "viewer", by="test")  # no longer allowed to export
    with pytest.raises(PermissionError):
        build()
    accounts.set_role(engine, "tmp", "manager", by="test")
    assert build()[:2] == b"PK"
    accounts.remove_user(engine, "tmp", by="test")  # removed: nothing more
    with pytest.raises(PermissionError):
        build()


def test_a_download_is_refused_after_sign_out_or_expiry(users_url, monkeypatch, deferred_downloads):
    at = signed_in(users_url, monkeypatch, "max")
    build = kpi_pack_download(deferred_downloads)
    assert build()[:2] == b"PK"
    monkeypatch.setenv("ENCAISSE_SESSION_IDLE_MINUTES", "0")  # idle for longer than allowed
    with pytest.raises(PermissionError):
        build()
    monkeypatch.delenv("ENCAISSE_SESSION_IDLE_MINUTES")
    assert build()[:2] == b"PK"
    at.button(key="sign_out").click().run()
    with pytest.raises(PermissionError):
        build()
    tables = [fn for key, fn in deferred_downloads.items() if "csv_" in key or "xlsx_" in key]
    assert tables and all(_refused(fn) for fn in tables)  # every table download too


def _refused(build) -> bool:
    try:
        build()
    except PermissionError:
        return True
    return False


def test_the_open_issues_show_the_oldest_and_download_them_all(
    users_url, monkeypatch, deferred_downloads
):
    """The Late-payment reasons page lists the oldest open issues only (a list for a screen,
    not every open record sent to the browser) and says how many there are; a manager's CSV
    of the list holds every one of them, built when clicked."""
    import csv
    import io

    from dashboard.metrics import analytics

    monkeypatch.setattr(analytics, "OPEN_DISPUTES_SHOWN", 3)
    at = signed_in(users_url, monkeypatch, "max")
    at.switch_page(str(ROOT / "pages" / "reasons.py")).run()
    assert not at.exception, at.exception
    said = [c.value for c in at.main.caption if "oldest of" in c.value]
    assert len(said) == 1 and said[0].startswith("The 3 oldest of "), said
    total = int(said[0].removeprefix("The 3 oldest of ").split(" ")[0].replace(",", ""))
    assert total > 3
    shown = [df.value for df in at.dataframe if "Days open" in df.value.columns]
    assert len(shown) == 1 and len(shown[0]) == 3
    build = next(fn for key, fn in deferred_downloads.items() if "csv_open_issues_all" in key)
    rows = list(csv.DictReader(io.StringIO(build().decode("utf-8-sig"))))
    assert len(rows) == total
    days = [int(r["Days open"]) for r in rows]
    assert days == sorted(days, reverse=True) and days[:3] == shown[0]["Days open"].tolist()
