"""Remembered mappings (``--profile NAME``): the ``--map``, ``--set`` and ``--terms`` used for a
file, saved under a name and keyed by the file's kind and headers, so that the next file with
the same headers imports without flags (the report says which profile it used)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from sqlalchemy import Engine

from dashboard.storage.store import get_setting, set_setting, settings_with_prefix
from data_loaders.kinds import normalize_header

PREFIX = "import_profile."


@dataclass
class Profile:
    name: str
    kind: str
    headers: str  # the signature: the file's headers, normalised, in order
    mapping: list[tuple[str, str]] = field(default_factory=list)
    fixed: dict[str, str] = field(default_factory=dict)
    terms_days: int | None = None

    @property
    def empty(self) -> bool:
        return not (self.mapping or self.fixed or self.terms_days is not None)


def signature(headers: list[str]) -> str:
    return "|".join(normalize_header(h) for h in headers if h and h.strip())


def _from_json(name: str, text: str) -> Profile | None:
    try:
        raw = json.loads(text)
        return Profile(
            name,
            raw["kind"],
            raw["headers"],
            [tuple(p) for p in raw.get("mapping", [])],
            dict(raw.get("fixed", {})),
            raw.get("terms_days"),
        )
    except (ValueError, KeyError, TypeError):
        return None  # a damaged profile is ignored, never fatal


def load_profile(engine: Engine, name: str) -> Profile | None:
    text = get_setting(engine, PREFIX + name)
    return None if text is None else _from_json(name, text)


def profile_for(engine: Engine, kind: str, headers: list[str]) -> Profile | None:
    """The remembered profile of this kind whose headers are this file's (the newest name
    first when several match)."""
    sig = signature(headers)
    found = [
        p
        for key, text in settings_with_prefix(engine, PREFIX).items()
        if (p := _from_json(key.removeprefix(PREFIX), text)) is not None
        and p.kind == kind
        and p.headers == sig
    ]
    return sorted(found, key=lambda p: p.name)[0] if found else None


def save_profile(engine: Engine, profile: Profile, user: str = "system") -> None:
    body = {
        "kind": profile.kind,
        "headers": profile.headers,
        "mapping": [list(p) for p in profile.mapping],
        "fixed": profile.fixed,
        "terms_days": profile.terms_days,
    }
    set_setting(engine, PREFIX + profile.name, json.dumps(body, ensure_ascii=False), user)


def list_profiles(engine: Engine) -> list[Profile]:
    out = [
        _from_json(key.removeprefix(PREFIX), text)
        for key, text in settings_with_prefix(engine, PREFIX).items()
    ]
    return [p for p in out if p is not None]
