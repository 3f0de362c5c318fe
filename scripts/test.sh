#!/usr/bin/env bash
# Install Encaisse with its test tools and run every test (the README's test command): once on
# SQLite, once on PostgreSQL where a server is configured.
# Chromium (Debian's package) is installed when missing and we may use apt: the browser test
# drives it with playwright; without it that test skips and says why.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check -e ".[dev]"
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) \
        || echo "warning: could not install chromium; the browser test will skip" >&2
fi
# The code as it is written: formatted by ruff format (its version pinned in pyproject.toml, so
# that every machine formats alike) and clean of ruff's lint rules.
python3 -m ruff format --check --quiet . || { echo "run: ruff format ." >&2; exit 1; }
python3 -m ruff check --quiet .
# The whole suite on the embedded SQLite database, then again on PostgreSQL when a server is
# named (ENCAISSE_TEST_PG_URL; .ci/run sets it to the local one). Tests are laid out by layer
# (tests/unit, tests/integration, tests/e2e); `-m "not slow"` leaves out the minutes-long ones.
python3 -m pytest "$@"
if [ -n "${ENCAISSE_TEST_PG_URL:-}" ]; then
    echo "=== the same suite on PostgreSQL (${ENCAISSE_TEST_PG_URL%%@*}@…) ==="
    ENCAISSE_TEST_BACKEND=postgresql python3 -m pytest "$@"
else
    echo "PostgreSQL run skipped: set ENCAISSE_TEST_PG_URL to a server to run it"
fi
