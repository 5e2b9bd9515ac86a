"""An API gateway in front of the sandbox (variant `gateway=apig`): what a real one adds, none of it non-conformance.

The contract notes ("What the documents do not state") list what a gateway does to a conformant
service's traffic, and the kit must take all of it in its stride:

- compression: gzip or deflate, whichever the client accepts (both in turn when it accepts both),
  through Starlette's GZip responder and a deflate one built on the same base;
- throttling: every `THROTTLE_EVERY`-th request to the API (`/v3/...`) is answered 429 with
  `Retry-After: 0` and Huawei APIG's body (APIG.0308) before it reaches the service;
- kept-alive connections closed by the server: every `CLOSE_EVERY`-th response says `Connection: close`
  (uvicorn then closes the connection, and the client must open another);
- extra headers: every response carries `X-Request-Id` (and the gateway's own `X-Apig-Latency`).

Deterministic (counters, no clock, no randomness), so a run against it is reproducible. The control
API (`/_sandbox/...`) is compressed and closed like the rest but never throttled: it is a test hook,
not an operation of the documented API.
"""

from __future__ import annotations

import itertools
import json
import uuid
import zlib
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.gzip import GZipResponder, IdentityResponder
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["APIG_THROTTLED", "CLOSE_EVERY", "ENCODINGS", "THROTTLE_EVERY", "DeflateResponder", "Gateway"]

THROTTLE_EVERY = 29  # rare, and never twice in a row for one client's retry
CLOSE_EVERY = 5
API_PREFIX = "/v3/"
ENCODINGS = ("gzip", "deflate")  # the gateway's preference order among those the client accepts
APIG_THROTTLED = {
    "error_code": "APIG.0308",
    "error_msg": "The throttling threshold has been reached: policy user over ratelimit, limit:100, time:1 minute",
}


class DeflateResponder(IdentityResponder):
    """`Content-Encoding: deflate` (zlib-wrapped, RFC 9110 8.4.1.2) on Starlette's compressing responder."""

    content_encoding = "deflate"

    def __init__(self, app: ASGIApp, minimum_size: int) -> None:
        super().__init__(app, minimum_size)
        self._compressor = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS)

    async def apply_compression(self, body: bytes, *, more_body: bool) -> bytes:
        if more_body:
            return self._compressor.compress(body) + self._compressor.flush(zlib.Z_SYNC_FLUSH)
        return self._compressor.compress(body) + self._compressor.flush()


def accepted_encodings(scope: Scope) -> list[str]:
    """The gateway's encodings the request's Accept-Encoding allows (a `q=0` refuses one), in preference order."""
    accepted: set[str] = set()
    for part in Headers(scope=scope).get("accept-encoding", "").split(","):
        coding, _, parameters = part.strip().lower().partition(";")
        quality = parameters.strip().removeprefix("q=")
        if coding and not (parameters and quality.replace(".", "").strip("0") == ""):
            accepted.add(coding.strip())
    return [encoding for encoding in ENCODINGS if encoding in accepted or "*" in accepted]


class Gateway:
    """ASGI middleware: compression, throttling with Retry-After, connections closed, request-id headers."""

    def __init__(self, app: ASGIApp, *, throttle_every: int = THROTTLE_EVERY, close_every: int = CLOSE_EVERY) -> None:
        self.app = app
        self.throttle_every = throttle_every
        self.close_every = close_every
        self._api_requests = itertools.count(1)
        self._responses = itertools.count(1)
        self._encodings = itertools.count()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex
        app = self.app
        if scope["path"].startswith(API_PREFIX) and next(self._api_requests) % self.throttle_every == 0:
            app = Response(
                json.dumps({**APIG_THROTTLED, "request_id": request_id}),
                status_code=429,
                headers={"Retry-After": "0"},
                media_type="application/json",
            )
        await self._encoder(scope, app)(scope, receive, self._stamped(send, request_id))

    def _encoder(self, scope: Scope, app: ASGIApp) -> ASGIApp:
        """The responder that compresses the answer as the client allows (an empty body stays as it is)."""
        encodings = accepted_encodings(scope)
        if not encodings:
            return app
        encoding = encodings[next(self._encodings) % len(encodings)]
        if encoding == "gzip":
            return GZipResponder(app, minimum_size=1)
        return DeflateResponder(app, minimum_size=1)

    def _stamped(self, send: Send, request_id: str) -> Callable[[Message], Awaitable[None]]:
        """`send` with the gateway's headers on the response, and `Connection: close` every so often."""
        close = next(self._responses) % self.close_every == 0

        async def stamped(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Request-Id"] = request_id
                headers["X-Apig-Latency"] = "0"
                if close:
                    headers["Connection"] = "close"
            await send(message)

        return stamped
