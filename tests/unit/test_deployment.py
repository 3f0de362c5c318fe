"""The production settings that ship with Encaisse, and that no secret ships with it."""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

from data_loaders.read import Limits

ROOT = Path(__file__).resolve().parents[2]


def test_streamlit_config_is_safe_for_production():
    cfg = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    server, client = cfg["server"], cfg["client"]
    assert server["enableXsrfProtection"] is True and server["enableCORS"] is True
    assert client["showErrorDetails"] == "none" and client["toolbarMode"] == "viewer"
    # the tables' and charts' own CSV download writes formulas raw and ignores roles
    assert client["disableDataExport"] is True
    assert server["address"] == "127.0.0.1"  # reached through the reverse proxy
    assert cfg["global"]["developmentMode"] is False
    assert server["maxUploadSize"] == Limits().file_mb  # the importer checks the same size


def test_secrets_stay_out_of_the_repository():
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    assert ".streamlit/secrets.toml" in ignored
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert ".streamlit/secrets.toml" not in tracked
    example = tomllib.loads((ROOT / ".streamlit" / "secrets.toml.example").read_text())
    assert {
        "redirect_uri",
        "cookie_secret",
        "client_id",
        "client_secret",
        "server_metadata_url",
    } <= set(example["auth"])


def test_reverse_proxy_example_carries_websockets_and_the_upload_limit():
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    assert "proxy_pass http://127.0.0.1:8501" in conf
    assert "proxy_set_header Upgrade $http_upgrade" in conf
    assert f"client_max_body_size {Limits().file_mb}m" in conf
    assert "Strict-Transport-Security" in conf
