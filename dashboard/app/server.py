"""The server `encaisse serve` runs: Streamlit's own, with one guard in front of it.

Streamlit accepts a file on ``PUT /_stcore/upload_file/<session>/<file>`` from any open
browser session and keeps it in memory, signed in or not. The guard answers 403 to a session
that has not signed in with the right to upload, before reading a byte of the body.
"""

from __future__ import annotations

import anyio
import streamlit as st
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from dashboard.core import resources

UPLOAD_PATH = "/_stcore/upload_file/"


def upload_session(scope: Scope) -> str | None:
    """The browser session a file upload is sent for, or None when the request is not one."""
    if scope["type"] != "http" or scope["method"] != "PUT":
        return None
    path: str = scope["path"]
    at = path.find(UPLOAD_PATH)
    if at < 0:
        return None
    return path[at + len(UPLOAD_PATH) :].split("/", 1)[0]


class UploadsNeedSignIn:
    """ASGI middleware: file uploads only from a signed-in session allowed to upload."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        session_id = upload_session(scope)
        if session_id is not None:
            # imported here, once the runtime runs: its cached functions need it
            from dashboard.app import login

            # the check reads the user from the database: off the event loop
            allowed = await anyio.to_thread.run_sync(login.may_upload, session_id)
            if not allowed:
                refused = PlainTextResponse("Sign in with the right to upload first.", 403)
                await refused(scope, receive, send)
                return
        await self.app(scope, receive, send)


app = st.App(str(resources.app_entry()), middleware=[Middleware(UploadsNeedSignIn)])
