"""Chunked response bodies (variant `body-framing=chunked`): every answer streamed in pieces, without Content-Length.

The contract notes list chunked bodies among what a gateway or a server may do to a conformant
service's answers (HTTP/1.1 `Transfer-Encoding: chunked`); the kit must read them as it reads any
other. The middleware drops `Content-Length` and hands the server the body in `PIECE_BYTES` pieces, so
uvicorn frames it as chunks. Deterministic; the control API is framed the same way.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["PIECE_BYTES", "Chunked"]

PIECE_BYTES = 64  # small: a one-result answer comes in several chunks


class Chunked:
    """ASGI middleware: response bodies sent as several chunks, with no Content-Length."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def chunked_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if "content-length" in headers:
                    del headers["content-length"]
                await send(message)
                return
            if message["type"] != "http.response.body":
                await send(message)
                return
            body: bytes = message.get("body", b"")
            more = bool(message.get("more_body", False))
            pieces = [body[start : start + PIECE_BYTES] for start in range(0, len(body), PIECE_BYTES)] or [b""]
            for index, piece in enumerate(pieces):
                last = index == len(pieces) - 1
                await send({"type": "http.response.body", "body": piece, "more_body": more or not last})

        await self.app(scope, receive, chunked_send)
