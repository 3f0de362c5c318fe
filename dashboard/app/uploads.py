"""Uploaded files on disk: private to the server's user, and never kept longer than needed.

The importer reads a file from disk, so an upload is copied to a folder of its browser session
under the temporary folder: folders 0700, files 0600 (a ledger is confidential). The copy is
removed when the import is refused, cancelled or committed, and a session's folder goes once the
session has ended (swept at the next upload, by any session).
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import tempfile
from pathlib import Path

from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx


def root() -> Path:
    """This server user's upload folder (0700), created on first use."""
    folder = Path(tempfile.gettempdir()) / f"encaisse-uploads-{getpass.getuser()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    os.chmod(folder, 0o700)  # whatever the umask made of it
    return folder


def private_copy(file_id: str, name: str, data: bytes) -> Path:
    """The upload's copy on disk (written once per upload), readable by the server only."""
    ctx = get_script_run_ctx()
    session = ctx.session_id if ctx else "no-session"
    folder = root()
    for level in (session, file_id):  # each level 0700 (parents=True would not make them so)
        folder = folder / level
        folder.mkdir(mode=0o700, exist_ok=True)
        os.chmod(folder, 0o700)
    path = folder / Path(name).name
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
    return path


def discard(path: Path) -> None:
    """Remove an upload's copy (its folder too)."""
    shutil.rmtree(path.parent, ignore_errors=True)


def sweep() -> list[str]:
    """Remove the folders of sessions that have ended; returns their names."""
    if not Runtime.exists():
        return []
    runtime = Runtime.instance()
    gone = []
    with contextlib.suppress(FileNotFoundError):
        for folder in root().iterdir():
            if folder.is_dir() and not runtime.is_active_session(folder.name):
                shutil.rmtree(folder, ignore_errors=True)
                gone.append(folder.name)
    return gone
