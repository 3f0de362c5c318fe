"""Users, roles, sign-in throttling, session expiry and the audit trail (no UI)."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import pytest
from sqlalchemy import select

from dashboard import auth, store
from dashboard.models import User
from data_loaders.importer import import_file
from tests.conftest import FIXTURES

T0 = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)


def cli(db: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "ENCAISSE_DB_URL": db}
    return subprocess.run([sys.executable, "-m", "dashboard.cli", *args], input=stdin,
                          capture_output=True, text=True, env=env, timeout=120)


def test_passwords_are_stored_as_argon2_hashes(engine):
    auth.add_user(engine, "alice", "correct horse", "manager", by="test")
    with engine.connect() as conn:
        digest = conn.execute(select(User.password_hash)).scalar_one()
    assert digest.startswith("$argon2id$") and "correct horse" not in digest
    assert auth.authenticate(engine, "alice", "correct horse", T0) == auth.Account("alice",
                                                                                  "manager")


def test_wrong_name_and_wrong_password_get_the_same_message(engine):
    auth.add_user(engine, "alice", "correct horse", "viewer", by="test")
    with pytest.raises(auth.AuthError) as wrong_password:
        auth.authenticate(engine, "alice", "wrong horse", T0)
    with pytest.raises(auth.AuthError) as unknown:
        auth.authenticate(engine, "mallory", "correct horse", T0)
    assert str(wrong_password.value) == str(unknown.value) == auth.GENERIC_FAILURE


def test_repeated_failures_are_slowed_down(engine):
    auth.add_user(engine, "alice", "correct horse", "viewer", by="test")
    now = T0
    for _ in range(auth.FREE_ATTEMPTS):
        with pytest.raises(auth.AuthError, match="Wrong user name"):
            auth.authenticate(engine, "alice", "guess", now)
    # Now even the right password is refused, unchecked, until the wait has passed
    with pytest.raises(auth.AuthError, match="Too many failed attempts"):
        auth.authenticate(engine, "alice", "correct horse", now + dt.timedelta(seconds=1))
    wait = auth.wait_seconds(auth.FREE_ATTEMPTS)
    assert wait >= 2
    later = now + dt.timedelta(seconds=wait + 1)
    assert auth.authenticate(engine, "alice", "correct horse", later).name == "alice"
    # success resets the count: the next failure is free again
    with pytest.raises(auth.AuthError, match="Wrong user name"):
        auth.authenticate(engine, "alice", "guess", later)
    # unknown names are throttled the same way (no hint that a name does not exist)
    for _ in range(auth.FREE_ATTEMPTS):
        with pytest.raises(auth.AuthError):
            auth.authenticate(engine, "ghost", "guess", now)
    with pytest.raises(auth.AuthError, match="Too many failed attempts"):
        auth.authenticate(engine, "ghost", "guess", now)


def test_waits_double_up_to_a_cap():
    waits = [auth.wait_seconds(n) for n in range(12)]
    assert waits[:auth.FREE_ATTEMPTS] == [0] * auth.FREE_ATTEMPTS
    assert waits[auth.FREE_ATTEMPTS:auth.FREE_ATTEMPTS + 3] == [2, 4, 8]
    assert auth.wait_seconds(100) == auth.MAX_WAIT_SECONDS


def test_sessions_expire_when_idle_or_too_old(monkeypatch):
    monkeypatch.setenv("ENCAISSE_SESSION_IDLE_MINUTES", "30")
    monkeypatch.setenv("ENCAISSE_SESSION_MAX_HOURS", "12")
    assert not auth.session_expired(T0, T0, T0 + dt.timedelta(minutes=29))
    assert auth.session_expired(T0, T0, T0 + dt.timedelta(minutes=31))
    busy = T0 + dt.timedelta(hours=12, minutes=1)
    assert auth.session_expired(T0, busy - dt.timedelta(minutes=1), busy)


def test_roles_grant_what_the_issue_says():
    can = {role: auth.PERMISSIONS[role] for role in auth.ROLES}
    assert can["viewer"] == {"reporting"}
    assert can["manager"] == {"reporting", "customers", "exports"}
    assert can["uploader"] == {"reporting", "upload"}
    assert can["admin"] >= {"reporting", "customers", "exports", "upload", "admin"}
    assert not auth.Account("x", "viewer").can("upload")
    with pytest.raises(auth.AuthError, match="unknown role"):
        auth.check_role("root")


def test_short_passwords_and_duplicate_names_are_refused(engine):
    with pytest.raises(auth.AuthError, match="at least"):
        auth.add_user(engine, "bob", "short", "viewer", by="test")
    auth.add_user(engine, "bob", "long enough", "viewer", by="test")
    with pytest.raises(auth.AuthError, match="exists already"):
        auth.add_user(engine, "bob", "long enough", "admin", by="test")


def test_users_command_line(db_url):
    assert cli(db_url, "users", "list").stdout.startswith("No users")
    added = cli(db_url, "users", "add", "carol", "--role", "uploader", stdin="s3cret-pass\n")
    assert added.returncode == 0, added.stderr
    listed = json.loads(cli(db_url, "users", "list", "--json").stdout)
    assert [(u["name"], u["role"]) for u in listed] == [("carol", "uploader")]
    engine = store.open_store(db_url)
    assert auth.authenticate(engine, "carol", "s3cret-pass").role == "uploader"
    assert cli(db_url, "users", "passwd", "carol", stdin="an0ther-pass\n").returncode == 0
    with pytest.raises(auth.AuthError):
        auth.authenticate(engine, "carol", "s3cret-pass")
    assert auth.authenticate(engine, "carol", "an0ther-pass").name == "carol"
    bad = cli(db_url, "users", "add", "dave", "--role", "viewer", stdin="short\n")
    assert bad.returncode == 1 and "at least" in bad.stderr
    assert cli(db_url, "users", "remove", "carol").returncode == 0
    assert auth.get_account(engine, "carol") is None
    assert cli(db_url, "users", "remove", "carol").returncode == 1
    actions = [e["action"] for e in json.loads(cli(db_url, "audit", "--json").stdout)]
    assert actions == ["user_remove", "login", "login_failed", "user_passwd", "login",
                       "user_add"]
    engine.dispose()


def test_imports_undos_and_settings_record_who(engine):
    report = import_file(engine, "invoices", FIXTURES / "factures_fr_cp1252.csv", user="erin")
    store.set_setting(engine, "target.dso", "45", user="frank")
    store.set_reason_owner(engine, "forgotten", "Sales", user="grace")
    store.delete_batch(engine, report.batch_id, user="heidi")
    log = store.audit_log(engine)
    got = [(e["actor"], e["action"]) for e in reversed(log)]
    assert got == [("erin", "import"), ("frank", "setting"), ("grace", "taxonomy"),
                   ("heidi", "batch_delete")]
    assert f"batch {report.batch_id}" in log[0]["detail"]
    assert store.list_batches(engine) == []  # the batch is gone, its undo is on record


def test_the_last_administrator_stays(engine):
    auth.add_user(engine, "ada", "admin-pass!", "admin", by="test")
    auth.add_user(engine, "vic", "viewer-pass", "viewer", by="test")
    with pytest.raises(auth.AuthError, match="last administrator"):
        auth.remove_user(engine, "ada", by="ada")
    with pytest.raises(auth.AuthError, match="last administrator"):
        auth.set_role(engine, "ada", "viewer", by="ada")
    auth.set_role(engine, "vic", "admin", by="ada")
    auth.set_role(engine, "ada", "viewer", by="vic")  # another admin exists now
    assert auth.get_account(engine, "ada").role == "viewer"


def test_hostile_sign_in_names_are_refused_like_any_other(engine):
    auth.add_user(engine, "ada", "admin-pass!", "admin", by="test")
    for typed in ("x" * 5000, "ada\x00", "' OR 1=1 --", "<script>"):
        with pytest.raises(auth.AuthError, match="Wrong user name"):
            auth.authenticate(engine, typed, "admin-pass", T0)
    with pytest.raises(auth.AuthError, match="printable"):
        auth.add_user(engine, "bad\nname", "long enough", "viewer", by="test")
