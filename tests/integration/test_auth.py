"""Users, roles, sign-in throttling, session expiry and the audit trail (no UI)."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import pytest
from sqlalchemy import select

from dashboard.auth import accounts
from dashboard.storage import store
from dashboard.storage.models import LoginThrottle, User
from data_loaders.importer import import_file
from tests.conftest import FIXTURES

T0 = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)


def cli(db: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "ENCAISSE_DB_URL": db}
    return subprocess.run(
        [sys.executable, "-m", "dashboard.cli.main", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_passwords_are_stored_as_argon2_hashes(engine):
    accounts.add_user(engine, "alice", "correct horse", "manager", by="test")
    with engine.connect() as conn:
        digest = conn.execute(select(User.password_hash)).scalar_one()
    assert digest.startswith("$argon2id$") and "correct horse" not in digest
    assert accounts.authenticate(engine, "alice", "correct horse", T0) == accounts.Account(
        "alice", "manager"
    )


def test_wrong_name_and_wrong_password_get_the_same_message(engine):
    accounts.add_user(engine, "alice", "correct horse", "viewer", by="test")
    with pytest.raises(accounts.AuthError) as wrong_password:
        accounts.authenticate(engine, "alice", "wrong horse", T0)
    with pytest.raises(accounts.AuthError) as unknown:
        accounts.authenticate(engine, "mallory", "correct horse", T0)
    assert str(wrong_password.value) == str(unknown.value) == accounts.GENERIC_FAILURE


def test_repeated_failures_are_slowed_down(engine):
    accounts.add_user(engine, "alice", "correct horse", "viewer", by="test")
    now = T0
    for _ in range(accounts.FREE_ATTEMPTS):
        with pytest.raises(accounts.AuthError, match="Wrong user name"):
            accounts.authenticate(engine, "alice", "guess", now)
    # Now even the right password is refused, unchecked, until the wait has passed
    with pytest.raises(accounts.AuthError, match="Too many failed attempts"):
        accounts.authenticate(engine, "alice", "correct horse", now + dt.timedelta(seconds=1))
    wait = accounts.wait_seconds(accounts.FREE_ATTEMPTS)
    assert wait >= 2
    later = now + dt.timedelta(seconds=wait + 1)
    assert accounts.authenticate(engine, "alice", "correct horse", later).name == "alice"
    # success resets the count: the next failure is free again
    with pytest.raises(accounts.AuthError, match="Wrong user name"):
        accounts.authenticate(engine, "alice", "guess", later)
    # unknown names are throttled the same way (no hint that a name does not exist)
    for _ in range(accounts.FREE_ATTEMPTS):
        with pytest.raises(accounts.AuthError):
            accounts.authenticate(engine, "ghost", "guess", now)
    with pytest.raises(accounts.AuthError, match="Too many failed attempts"):
        accounts.authenticate(engine, "ghost", "guess", now)


def test_waits_double_up_to_a_cap():
    waits = [accounts.wait_seconds(n) for n in range(12)]
    assert waits[: accounts.FREE_ATTEMPTS] == [0] * accounts.FREE_ATTEMPTS
    assert waits[accounts.FREE_ATTEMPTS : accounts.FREE_ATTEMPTS + 3] == [2, 4, 8]
    assert accounts.wait_seconds(100) == accounts.MAX_WAIT_SECONDS


def test_sessions_expire_when_idle_or_too_old(monkeypatch):
    monkeypatch.setenv("ENCAISSE_SESSION_IDLE_MINUTES", "30")
    monkeypatch.setenv("ENCAISSE_SESSION_MAX_HOURS", "12")
    assert not accounts.session_expired(T0, T0, T0 + dt.timedelta(minutes=29))
    assert accounts.session_expired(T0, T0, T0 + dt.timedelta(minutes=31))
    busy = T0 + dt.timedelta(hours=12, minutes=1)
    assert accounts.session_expired(T0, busy - dt.timedelta(minutes=1), busy)


def test_roles_grant_what_the_issue_says():
    can = {role: accounts.PERMISSIONS[role] for role in accounts.ROLES}
    assert can["viewer"] == {"reporting"}
    assert can["manager"] == {"reporting", "customers", "exports"}
    assert can["uploader"] == {"reporting", "upload"}
    assert can["admin"] >= {"reporting", "customers", "exports", "upload", "admin"}
    assert not accounts.Account("x", "viewer").can("upload")
    with pytest.raises(accounts.AuthError, match="unknown role"):
        accounts.check_role("root")


def test_short_passwords_and_duplicate_names_are_refused(engine):
    with pytest.raises(accounts.AuthError, match="at least"):
        accounts.add_user(engine, "bob", "short", "viewer", by="test")
    accounts.add_user(engine, "bob", "long enough", "viewer", by="test")
    with pytest.raises(accounts.AuthError, match="exists already"):
        accounts.add_user(engine, "bob", "long enough", "admin", by="test")


def test_users_command_line(db_url):
    assert "encaisse init" in cli(db_url, "users", "list").stderr  # reads: creates nothing
    assert cli(db_url, "init").returncode == 0
    assert cli(db_url, "users", "list").stdout.startswith("No users")
    added = cli(db_url, "users", "add", "carol", "--role", "uploader", stdin="s3cret-pass\n")
    assert added.returncode == 0, added.stderr
    listed = json.loads(cli(db_url, "users", "list", "--json").stdout)
    assert [(u["name"], u["role"]) for u in listed] == [("carol", "uploader")]
    engine = store.open_store(db_url)
    assert accounts.authenticate(engine, "carol", "s3cret-pass").role == "uploader"
    assert cli(db_url, "users", "passwd", "carol", stdin="an0ther-pass\n").returncode == 0
    with pytest.raises(accounts.AuthError):
        accounts.authenticate(engine, "carol", "s3cret-pass")
    assert accounts.authenticate(engine, "carol", "an0ther-pass").name == "carol"
    bad = cli(db_url, "users", "add", "dave", "--role", "viewer", stdin="short\n")
    assert bad.returncode == 1 and "at least" in bad.stderr
    assert cli(db_url, "users", "remove", "carol").returncode == 0
    assert accounts.get_account(engine, "carol") is None
    assert cli(db_url, "users", "remove", "carol").returncode == 1
    actions = [e["action"] for e in json.loads(cli(db_url, "audit", "--json").stdout)]
    assert actions == ["user_remove", "login", "login_failed", "user_passwd", "login", "user_add"]
    engine.dispose()


def test_imports_undos_and_settings_record_who(engine):
    report = import_file(engine, "invoices", FIXTURES / "factures_fr_cp1252.csv", user="erin")
    store.set_setting(engine, "target.dso", "45", user="frank")
    store.set_reason_owner(engine, "forgotten", "Sales", user="grace")
    store.delete_batch(engine, report.batch_id, user="heidi")
    log = store.audit_log(engine)
    got = [(e["actor"], e["action"]) for e in reversed(log)]
    assert got == [
        ("erin", "import"),
        ("frank", "setting"),
        ("grace", "taxonomy"),
        ("heidi", "batch_delete"),
    ]
    assert f"batch {report.batch_id}" in log[0]["detail"]
    assert store.list_batches(engine) == []  # the batch is gone, its undo is on record


def test_the_last_administrator_stays(engine):
    accounts.add_user(engine, "ada", "admin-pass!", "admin", by="test")
    accounts.add_user(engine, "vic", "viewer-pass", "viewer", by="test")
    with pytest.raises(accounts.AuthError, match="last administrator"):
        accounts.remove_user(engine, "ada", by="ada")
    with pytest.raises(accounts.AuthError, match="last administrator"):
        accounts.set_role(engine, "ada", "viewer", by="ada")
    accounts.set_role(engine, "vic", "admin", by="ada")
    accounts.set_role(engine, "ada", "viewer", by="vic")  # another admin exists now
    assert accounts.get_account(engine, "ada").role == "viewer"


def test_hostile_sign_in_names_are_refused_like_any_other(engine):
    accounts.add_user(engine, "ada", "admin-pass!", "admin", by="test")
    for typed in ("x" * 5000, "ada\x00", "' OR 1=1 --", "<script>"):
        with pytest.raises(accounts.AuthError, match="Wrong user name"):
            accounts.authenticate(engine, typed, "admin-pass", T0)
    with pytest.raises(accounts.AuthError, match="printable"):
        accounts.add_user(engine, "bad\nname", "long enough", "viewer", by="test")


def attempts_in_parallel(engine, names: list[str], password: str, client: str | None):
    """Each name tried three times in a thread of its own, all at once; the errors."""
    import threading

    errors: list[Exception] = []
    start = threading.Barrier(len(names))

    def run(name: str) -> None:
        start.wait()
        for _ in range(3):
            try:
                accounts.authenticate(engine, name, password, client=client)
            except Exception as exc:  # noqa: BLE001 - every outcome is collected
                errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def audit_actions(engine, actor: str) -> list[str]:
    from dashboard.storage.models import AuditEvent

    with engine.connect() as conn:
        return list(
            conn.execute(select(AuditEvent.action).where(AuditEvent.actor == actor)).scalars()
        )


def test_parallel_wrong_passwords_are_all_counted_and_audited(engine):
    accounts.add_user(engine, "alice", "correct horse", "viewer", by="test")
    errors = attempts_in_parallel(engine, ["alice"] * 10, "guess", client="10.0.0.9")
    assert len(errors) == 30 and all(isinstance(e, accounts.AuthError) for e in errors)
    checked = [e for e in errors if str(e) == accounts.GENERIC_FAILURE]
    assert len(checked) == accounts.FREE_ATTEMPTS  # the rest waited, unchecked
    actions = audit_actions(engine, "alice")
    assert len(actions) == 30  # one row per attempt, none lost
    assert actions.count("login_failed") == accounts.FREE_ATTEMPTS
    assert actions.count("login_throttled") == 30 - accounts.FREE_ATTEMPTS
    with engine.connect() as conn:
        counted = conn.execute(select(LoginThrottle.failures)).scalars().all()
    assert max(counted) == accounts.FREE_ATTEMPTS


def test_a_client_guessing_many_names_is_slowed_down_and_others_are_not(engine):
    accounts.add_user(engine, "alice", "correct horse", "viewer", by="test")
    now = T0
    for i in range(accounts.CLIENT_FREE_ATTEMPTS):
        with pytest.raises(accounts.AuthError, match="Wrong user name"):
            accounts.authenticate(engine, f"user{i}", "guess", now, client="10.0.0.66")
    with pytest.raises(accounts.AuthError, match="Too many failed attempts"):
        accounts.authenticate(engine, "alice", "correct horse", now, client="10.0.0.66")
    # alice, from her own machine, is not locked out by that client's guesses ...
    assert accounts.authenticate(engine, "alice", "correct horse", now, client="10.0.0.7")
    # ... nor by failures on her name from elsewhere
    for _ in range(accounts.FREE_ATTEMPTS + 2):
        with pytest.raises(accounts.AuthError):
            accounts.authenticate(engine, "alice", "guess", now, client="10.0.0.66")
    assert accounts.authenticate(engine, "alice", "correct horse", now, client="10.0.0.7")
    # signing in right, however often, never counts against a client
    for _ in range(accounts.CLIENT_FREE_ATTEMPTS + 2):
        assert accounts.authenticate(engine, "alice", "correct horse", now, client="10.0.0.8")
    # and a counter is forgotten an hour after its last failure
    later = now + accounts.FORGET_AFTER + dt.timedelta(seconds=1)
    assert accounts.authenticate(engine, "alice", "correct horse", later, client="10.0.0.66")


def test_password_checks_at_once_are_bounded(engine, monkeypatch):
    import threading
    import time

    running, peak, lock = [0], [0], threading.Lock()
    real = accounts._hasher

    class Counting:
        def verify(self, digest, password):
            with lock:
                running[0] += 1
                peak[0] = max(peak[0], running[0])
            try:
                time.sleep(0.05)
                return real.verify(digest, password)
            finally:
                with lock:
                    running[0] -= 1

    monkeypatch.setattr(accounts, "_hasher", Counting())
    errors = attempts_in_parallel(engine, [f"n{i}" for i in range(12)], "guess", client=None)
    assert errors and peak[0] <= accounts.PARALLEL_CHECKS


def test_a_crowd_of_right_passwords_from_one_address_all_sign_in(engine, monkeypatch):
    """Twenty-five colleagues behind one office proxy signing in at once: nobody is taken for
    a guesser (counted in advance, their attempts had passed the client's limit of 10; timed
    before their turn, a late one found an earlier one's count "in its future")."""
    import threading
    import time

    names = [f"colleague{i:02d}" for i in range(25)]
    for name in names:
        accounts.add_user(engine, name, "right password", "viewer", by="test")
    real = accounts._hasher

    class Slow:  # a check as long as on a busy server
        def verify(self, digest, password):
            time.sleep(0.03)
            return real.verify(digest, password)

    monkeypatch.setattr(accounts, "_hasher", Slow())
    start, signed_in, refused = threading.Barrier(len(names)), [], []

    def run(name: str) -> None:
        start.wait()
        time.sleep(int(name[-2:]) * 0.002)  # one after another, a few ms apart
        try:
            signed_in.append(accounts.authenticate(engine, name, "right password", client="p"))
        except accounts.AuthError as exc:
            refused.append(str(exc))

    threads = [threading.Thread(target=run, args=(n,)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert refused == [] and len(signed_in) == 25
    assert audit_actions(engine, names[0]) == ["login"]


def test_an_attempt_timed_before_another_one_counted_is_not_throttled(engine):
    """Attempts queue for their turn: one timed before another that was counted first must not
    read that count's time as "in its future" and wait (it refused right passwords)."""
    for name in ("ann", "bob"):
        accounts.add_user(engine, name, "right password", "viewer", by="test")
    later = T0 + dt.timedelta(seconds=1)
    assert accounts.authenticate(engine, "ann", "right password", later, client="office")
    assert accounts.authenticate(engine, "bob", "right password", T0, client="office")
