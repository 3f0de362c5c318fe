#!/usr/bin/env bash
# Install Encaisse with its test tools and run every test (the README's test command).
# Chromium (Debian's package) is installed when missing and we may use apt: the browser test
# drives it with playwright; without it that test skips and says why.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check -e ".[dev]"
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) \
        || echo "warning: could not install chromium; the browser test will skip" >&2
fi
exec python3 -m pytest "$@"
