"""A cap on request body size: larger bodies are refused with a 413 problem before they are read in full."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from feedchat.problems import problem

MAX_BODY_BYTES = 64 * 1024
"""The default cap: ten times the largest body the contract allows, with room for JSON escaping."""


def _too_large(limit: int) -> str:
    return f"The request body is larger than {limit} bytes."


class BodySizeLimit:
    """ASGI middleware: a ``Content-Length`` over ``limit`` is refused at once; a body streamed without one is
    counted while it is read and refused when it passes ``limit``."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            status, detail = (413, _too_large(self.limit)) if declared.isdigit() else (400, "Bad Content-Length.")
            await problem(Request(scope), status, detail)(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise HTTPException(413, _too_large(self.limit))
            return message

        await self.app(scope, counted, send)
