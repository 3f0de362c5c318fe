"""Users, roles and sign-in: Argon2 password hashes, throttled failures, session expiry.

No Streamlit here: the app's login gate (``dashboard/app/login.py``) and the ``encaisse users``
command both call these functions, and the tests call them directly.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from dataclasses import dataclass
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete, select, update

from dashboard.storage.models import LoginThrottle, User
from dashboard.storage.store import audit, begin_write

ROLES = ("viewer", "manager", "uploader", "admin")
# What each role may do. Pages and page sections ask for one of these permissions.
PERMISSIONS: dict[str, frozenset[str]] = {
    "viewer": frozenset({"reporting"}),
    "manager": frozenset({"reporting", "customers", "exports"}),
    "uploader": frozenset({"reporting", "upload"}),
    "admin": frozenset({"reporting", "customers", "exports", "upload", "admin"}),
}
MIN_PASSWORD_LENGTH = 8
FREE_ATTEMPTS = 3  # failures before each further attempt has to wait
MAX_WAIT_SECONDS = 300
CLIENT_FREE_ATTEMPTS = 10  # failures from one client, whatever the names, before it waits
FORGET_AFTER = dt.timedelta(hours=1)  # a counter starts afresh after an hour without failure
PARALLEL_CHECKS = 2  # passwords checked at once: each Argon2 check holds 64 MiB
_checking = threading.BoundedSemaphore(PARALLEL_CHECKS)
GENERIC_FAILURE = "Wrong user name or password."
_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified against when the name is unknown, so that a wrong name costs as long as a wrong
    password and timing does not tell which names exist. Hashed on first use, not at import:
    every command would pay for it otherwise."""
    return _hasher.hash("not a password of anyone")


class AuthError(Exception):
    """A refusal whose message can be shown as it is; ``template`` and ``values`` let the
    interface translate it."""

    def __init__(self, template: str, **values):
        super().__init__(template.format(**values) if values else template)
        self.template, self.values = template, values


@dataclass(frozen=True)
class Account:
    name: str
    role: str

    def can(self, permission: str) -> bool:
        return permission in PERMISSIONS.get(self.role, frozenset())


# Where nobody has an account yet, Encaisse runs open, as it did before users existed.
OPEN_ACCESS = Account("local", "admin")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(t: dt.datetime) -> dt.datetime:
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)  # SQLite gives naive datetimes back


def check_role(role: str) -> str:
    if role not in ROLES:
        raise AuthError(f"unknown role {role!r}; use one of: {', '.join(ROLES)}")
    return role


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AuthError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    return password


def has_users(engine: Engine) -> bool:
    with engine.connect() as conn:
        return conn.execute(select(User.id).limit(1)).first() is not None


def list_users(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        rows = (
            conn.execute(
                select(User.name, User.role, User.created_at, User.created_by).order_by(User.name)
            )
            .mappings()
            .all()
        )
    return [dict(r) | {"created_at": _aware(r["created_at"]).isoformat()} for r in rows]


def get_account(engine: Engine, name: str) -> Account | None:
    """The account as it is now (a removed user or a changed role takes effect at once)."""
    with engine.connect() as conn:
        row = conn.execute(select(User.name, User.role).where(User.name == name)).first()
    return Account(row.name, row.role) if row else None


def add_user(engine: Engine, name: str, password: str, role: str, by: str) -> None:
    name = name.strip()
    if not name or len(name) > 200 or not name.isprintable():
        raise AuthError("a user name has 1 to 200 printable characters")
    check_role(role)
    digest = _hasher.hash(check_password(password))
    with engine.connect() as conn, begin_write(conn):
        if conn.execute(select(User.id).where(User.name == name)).first():
            raise AuthError(f"user {name!r} exists already")
        conn.execute(
            User.__table__.insert().values(
                name=name, password_hash=digest, role=role, created_at=_now(), created_by=by
            )
        )
        audit(conn, by, "user_add", f"{name} ({role})")


def _keep_an_admin(conn, name: str) -> None:
    """Refuse to remove or demote the last administrator while other users remain: nobody
    could manage users from the app any more (the command line still can)."""
    admins = conn.execute(select(User.name).where(User.role == "admin")).scalars().all()
    others = conn.execute(select(User.id).where(User.name != name).limit(1)).first()
    if admins == [name] and others is not None:
        raise AuthError(f"{name} is the last administrator: make another user admin first")


def remove_user(engine: Engine, name: str, by: str) -> None:
    with engine.connect() as conn, begin_write(conn):
        _keep_an_admin(conn, name)
        if not conn.execute(delete(User).where(User.name == name)).rowcount:
            raise AuthError(f"no user {name!r}")
        audit(conn, by, "user_remove", name)


def set_password(engine: Engine, name: str, password: str, by: str) -> None:
    digest = _hasher.hash(check_password(password))
    with engine.connect() as conn, begin_write(conn):
        res = conn.execute(update(User).where(User.name == name).values(password_hash=digest))
        if not res.rowcount:
            raise AuthError(f"no user {name!r}")
        conn.execute(delete(LoginThrottle).where(LoginThrottle.name == name))
        audit(conn, by, "user_passwd", name)


def set_role(engine: Engine, name: str, role: str, by: str) -> None:
    check_role(role)
    with engine.connect() as conn, begin_write(conn):
        if role != "admin":
            _keep_an_admin(conn, name)
        if not conn.execute(update(User).where(User.name == name).values(role=role)).rowcount:
            raise AuthError(f"no user {name!r}")
        audit(conn, by, "user_role", f"{name} ({role})")


def wait_seconds(failures: int, free: int = FREE_ATTEMPTS) -> int:
    """How long an attempt must wait after ``failures`` consecutive failures: nothing for the
    first ``free`` ones, then doubling up to five minutes."""
    if failures < free:
        return 0
    return min(2 ** (failures - free + 1), MAX_WAIT_SECONDS)


def throttle_keys(name: str, client: str | None) -> list[tuple[str, int]]:
    """The counters an attempt is held against, with the failures each allows free: the name
    as typed from this client (an attacker elsewhere never locks its user out), and the client
    whatever the names (one machine spraying many names is slowed down all the same)."""
    if client is None:  # the command line, the tests: the name alone
        return [(name, FREE_ATTEMPTS)]
    return [
        (f"{name[:150]}\x1f{client[:45]}", FREE_ATTEMPTS),
        (f"client\x1f{client[:45]}", CLIENT_FREE_ATTEMPTS),
    ]


def authenticate(
    engine: Engine,
    name: str,
    password: str,
    now: dt.datetime | None = None,
    client: str | None = None,
) -> Account:
    """The account for a correct name and password; ``AuthError`` otherwise.

    Every wrong name or password gets the same message. After ``FREE_ATTEMPTS`` failures in a
    row for a name from a client (``CLIENT_FREE_ATTEMPTS`` for a client, whatever the names),
    attempts are refused unchecked until the wait has passed, known name or not.

    Each attempt is counted as a failure, under the write lock, before its password is checked
    (and forgiven if it proves right), so parallel attempts queue on the counter: none slips
    past it, and every attempt leaves exactly one audit row. At most ``PARALLEL_CHECKS``
    attempts are between their count and their verdict at once (each Argon2 check holds
    64 MiB): so a crowd of right passwords from one address (an office behind one proxy)
    never has more than that many counted in advance, and is never taken for a guesser.
    """
    # whatever was typed is only ever a lookup key: bounded, and storable on every database
    name = name.replace("\x00", "").strip()[:200]
    keys = throttle_keys(name, client)
    with _checking:
        now = now or _now()  # read after the queue: others' failures are not in its future
        failures, ready_at = _count_attempt(engine, name, client, keys, now)
        if now < ready_at:
            raise AuthError(
                "Too many failed attempts. Try again in {seconds} s.",
                seconds=int((ready_at - now).total_seconds()) + 1,
            )
        with engine.connect() as conn:
            row = conn.execute(
                select(User.name, User.role, User.password_hash).where(User.name == name)
            ).first()
        try:
            _hasher.verify(row.password_hash if row else _dummy_hash(), password)
            ok = row is not None
        except (VerificationError, InvalidHashError):
            ok = False
        with engine.connect() as conn, begin_write(conn):
            if ok:  # forgiven: this name from this client starts afresh, and the client's
                # own count takes back this attempt (its earlier failures stand)
                conn.execute(delete(LoginThrottle).where(LoginThrottle.name == keys[0][0]))
                for key, _ in keys[1:]:
                    conn.execute(
                        update(LoginThrottle)
                        .where(LoginThrottle.name == key, LoginThrottle.failures > 0)
                        .values(failures=LoginThrottle.failures - 1)
                    )
                audit(conn, name, "login", client or "")
            else:
                audit(
                    conn,
                    name,
                    "login_failed",
                    f"failure {failures + 1} in a row from {client or 'here'}",
                )
    if not ok:
        raise AuthError(GENERIC_FAILURE)
    return Account(row.name, row.role)


def _count_attempt(
    engine: Engine, name: str, client: str | None, keys: list[tuple[str, int]], now: dt.datetime
) -> tuple[int, dt.datetime]:
    """Count an attempt as a failure on each throttle key, unless one of them says wait
    (then audit it as throttled). Returns the name's failures before it, and when attempts
    may be checked again (``now`` or earlier: at once)."""
    with engine.connect() as conn, begin_write(conn):
        rows = {
            k: conn.execute(select(LoginThrottle).where(LoginThrottle.name == k)).first()
            for k, _ in keys
        }
        failures = {k: _recent_failures(rows[k], now) for k, _ in keys}
        ready_at = max(
            (
                _aware(rows[k].last_failure_at) + dt.timedelta(seconds=wait_seconds(failures[k], f))
                for k, f in keys
                if rows[k] is not None and wait_seconds(failures[k], f) > 0
            ),
            default=now,
        )
        if now < ready_at:
            audit(conn, name, "login_throttled", f"from {client or 'here'}")
        else:
            for key, _ in keys:
                values = {"failures": failures[key] + 1, "last_failure_at": now}
                if rows[key] is None:
                    conn.execute(LoginThrottle.__table__.insert().values(name=key, **values))
                else:
                    conn.execute(
                        update(LoginThrottle).where(LoginThrottle.name == key).values(**values)
                    )
    return failures[keys[0][0]], ready_at


def _recent_failures(row, now: dt.datetime) -> int:
    """A counter's failures, forgotten once its last failure is older than ``FORGET_AFTER``."""
    if row is None or now - _aware(row.last_failure_at) > FORGET_AFTER:
        return 0
    return row.failures


def record_sign_out(engine: Engine, name: str, via: str) -> None:
    with engine.connect() as conn, begin_write(conn):
        audit(conn, name, "logout", via)


def session_limits() -> tuple[dt.timedelta, dt.timedelta]:
    """(idle, absolute) lifetime of a signed-in session, from the environment."""
    idle = float(os.environ.get("ENCAISSE_SESSION_IDLE_MINUTES", "30"))
    absolute = float(os.environ.get("ENCAISSE_SESSION_MAX_HOURS", "12"))
    return dt.timedelta(minutes=idle), dt.timedelta(hours=absolute)


def session_expired(
    signed_in_at: dt.datetime, last_seen: dt.datetime, now: dt.datetime | None = None
) -> bool:
    """A session ends after its idle time without a click, or its absolute lifetime."""
    now = now or _now()
    idle, absolute = session_limits()
    return now - last_seen > idle or now - signed_in_at > absolute
