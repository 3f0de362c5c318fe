"""Where the product's own files are, installed from a wheel or run from a clone.

A wheel ships ``pages/`` as ``dashboard/pages`` and ``.streamlit/config.toml`` as
``dashboard/streamlit/config.toml`` (``pyproject.toml`` maps them); a clone or an editable
install keeps them at the top of the repository. Nothing is read from the working folder.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]  # the dashboard package


def _first(*candidates: Path) -> Path:
    return next((p for p in candidates if p.exists()), candidates[-1])


def app_entry() -> Path:
    """The Streamlit entrypoint."""
    return PACKAGE / "app" / "main.py"


def server_entry() -> Path:
    """What ``streamlit run`` serves: the entrypoint behind Encaisse's guards (an ``st.App``)."""
    return PACKAGE / "app" / "server.py"


def page_icon() -> Path:
    """The browser tab's icon: a file of the package, so that nothing loads from the internet."""
    return PACKAGE / "app" / "static" / "favicon.png"


def pages_dir() -> Path:
    """The folder of the Streamlit pages."""
    return _first(PACKAGE / "pages", PACKAGE.parent / "pages")


def streamlit_config() -> Path:
    """The production settings that ship with Encaisse."""
    return _first(
        PACKAGE / "streamlit" / "config.toml", PACKAGE.parent / ".streamlit" / "config.toml"
    )


def streamlit_flags() -> list[str]:
    """The shipped settings as ``streamlit run`` options, which outrank any config file found
    in the working folder: wherever it is started, the server runs with them."""
    config = tomllib.loads(streamlit_config().read_text(encoding="utf-8"))
    flags = []
    for section, options in config.items():
        for name, value in options.items():
            text = str(value).lower() if isinstance(value, bool) else str(value)
            flags.append(f"--{section}.{name}={text}")
    return flags
