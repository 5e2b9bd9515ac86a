"""The one place the kit's requests leave it: a lost connection becomes NoAnswer, or a bounded retry where safe.

Every client of a target is opened here (`open_client`) and every request it sends goes through `send_once`:
a transport failure (refused, reset, cut short, timed out) is never raised as httpx's own exception, so it
can never escape a test as a broken rule. `send_repeatable` sends requests that change nothing when sent
twice (the control API's PUT, GET, DELETE and bulk forms) again, a bounded number of times; a request that
is not repeatable is sent again only when it surely never left (DrsClient.send decides, through
`may_send_again`). A kit test (tests/transport/test_kit_transport_rule.py) keeps every other module from sending
or catching httpx's failures itself.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from drs_conformance.errors import NoAnswer

__all__ = [
    "TRANSPORT_BACKOFF_S",
    "Unanswered",
    "basic_auth",
    "http_transport",
    "may_send_again",
    "no_answer",
    "open_client",
    "send_once",
    "send_repeatable",
    "what_happened",
]

TRANSPORT_BACKOFF_S = 0.2  # after a transport failure: 0.2 s, 0.4 s, 0.6 s
REPEATABLE_RETRIES = 3  # a repeatable request is sent at most this many times more
# Raised before a byte of the request was written: safe to send again, whatever the operation.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def http_transport() -> httpx.HTTPTransport:
    """A transport with TCP_NODELAY: httpx writes headers and body apart, which Nagle delays ~40 ms."""
    return httpx.HTTPTransport(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])


def open_client(
    *,
    base_url: str,
    timeout: float,
    transport: httpx.BaseTransport | None = None,
    auth: httpx.Auth | None = None,
    headers: Mapping[str, str] | None = None,
) -> httpx.Client:
    """A client of one target: no redirects followed; the transport given (proxy variables are not read then)."""
    return httpx.Client(
        base_url=base_url,
        auth=auth,
        timeout=timeout,
        transport=transport or http_transport(),
        follow_redirects=False,
        headers=dict(headers or {}),
    )


def basic_auth(user: str, password: str) -> httpx.Auth:
    """HTTP Basic for the user-info of a base URL (http://user:password@host)."""
    return httpx.BasicAuth(user, password)


class _Progress:
    """httpcore's trace of one request: whether its headers were ever completely written."""

    def __init__(self) -> None:
        self.traced = False
        self.headers_written = False

    def __call__(self, event: str, info: Mapping[str, Any]) -> None:
        self.traced = True
        if event == "http11.send_request_headers.complete":
            self.headers_written = True

    def maybe_sent(self, error: httpx.TransportError) -> bool:
        """False only when the request surely never reached the target (no connection, or headers unwritten)."""
        if isinstance(error, _NOT_SENT):
            return False
        return self.headers_written or not self.traced  # no trace (a mock transport): assume it was sent


def what_happened(error: httpx.TransportError, timeout: float) -> str:
    """The transport failure in words a user reads (the option to raise for a timeout)."""
    detail = str(error) or type(error).__name__
    if isinstance(error, httpx.ConnectTimeout):
        return f"no connection within {timeout:g} s (raise --request-timeout if the target is slow)"
    if isinstance(error, httpx.TimeoutException):
        return f"the target did not answer within {timeout:g} s (raise --request-timeout if it is slow)"
    if isinstance(error, httpx.ConnectError):
        return f"cannot connect ({detail})"
    if isinstance(error, httpx.RemoteProtocolError):
        if "without sending a response" in detail:
            return "the target closed the connection without answering"
        if "incomplete" in detail.lower() or "peer closed" in detail:
            return f"the answer was cut short ({detail})"
        return f"the answer broke HTTP/1.1 ({detail})"
    if isinstance(error, httpx.ReadError):
        return f"the connection was reset while waiting for the answer ({detail})"
    if isinstance(error, httpx.WriteError):
        return f"the connection broke while sending ({detail})"
    return f"{type(error).__name__}: {detail}"


@dataclass(frozen=True, kw_only=True)
class Unanswered:
    """One attempt that got no answer: what happened, in words, and whether the request may have reached the target."""

    what: str
    maybe_sent: bool


def send_once(http: httpx.Client, request: httpx.Request, *, timeout: float) -> httpx.Response | Unanswered:
    """Send once; a transport failure is returned as Unanswered, never raised."""
    progress = _Progress()
    request.extensions["trace"] = progress
    try:
        return http.send(request)
    except httpx.TransportError as exc:
        return Unanswered(what=what_happened(exc, timeout), maybe_sent=progress.maybe_sent(exc))


def may_send_again(failure: Unanswered, *, repeatable: bool) -> bool:
    """Whether a request that got no answer may be sent again: when sending it twice changes nothing, or when it
    surely never left (a pause or a resume that may have reached the service is never sent twice)."""
    return repeatable or not failure.maybe_sent


def no_answer(
    method: str,
    path: str,
    failure: Unanswered,
    attempts: int,
    *,
    repeatable: bool,
    redact: Callable[[str], str] = str,
) -> NoAnswer:
    """The NoAnswer of a request that got none after `attempts` attempts (a test ending on it is `unanswered`)."""
    tries = f"{attempts} attempt{'s' if attempts > 1 else ''}"
    kept = "" if may_send_again(failure, repeatable=repeatable) else " (not sent again: it may have reached the target)"
    return NoAnswer(redact(f"{method} {path}: {failure.what}; no answer after {tries}{kept}"))


def send_repeatable(
    http: httpx.Client,
    method: str,
    path: str,
    *,
    timeout: float,
    before_each: Callable[[httpx.Request], None] = lambda request: None,
    retries: int = REPEATABLE_RETRIES,
    **options: Any,
) -> httpx.Response:
    """Send a request that changes nothing when sent twice; after a transport failure, again (at most `retries`
    times more, backing off); NoAnswer when no attempt got an answer. `before_each` runs before every attempt
    (throttling, counting)."""
    attempts = 0
    while True:
        attempts += 1
        request = http.build_request(method, path, **options)
        before_each(request)
        result = send_once(http, request, timeout=timeout)
        if isinstance(result, httpx.Response):
            return result
        if attempts > retries:
            raise no_answer(method, path, result, attempts, repeatable=True)
        time.sleep(TRANSPORT_BACKOFF_S * attempts)
