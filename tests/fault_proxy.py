"""A fault-injecting loopback HTTP/1.1 proxy: resets, stalls, throttles and latency, deterministic, for tests and benchmarks.

    with FaultProxy("http://127.0.0.1:8080", [reset(path="batch-pause", probability=0.03)], seed=1) as proxy:
        httpx.post(proxy.url + "/v3/p/jobs/batch-pause-task", json={...})
        proxy.faults["reset"]

Rules are tried in order for each request. `delay` rules add up (latency is not a fault); the first other
rule that fires decides what happens (`passthrough` stops the search); a request no rule decides is
forwarded as it is. A rule fires on the requests its method and path regexes match (`re.search`), and
among those only on the `nth` ones (1-based) or with a `probability` drawn from the proxy's seeded
random.Random, at most `limit` times. Both sides are parsed by h11; the client side keeps connections
alive, the upstream side opens one connection per request (so a forwarded request is sent exactly once).

In the kit's tests: the `fault_proxy` fixture of the root conftest. From a script under benchmarks/:
`sys.path.insert(0, str(Path(__file__).resolve().parents[1]))`, then `from tests.fault_proxy import ...`.
"""

from __future__ import annotations

import contextlib
import random
import re
import select
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Self
from urllib.parse import urlsplit

import h11

__all__ = [
    "ACTIONS",
    "FaultProxy",
    "ProxyEvent",
    "Rule",
    "UpstreamAnswer",
    "close_after",
    "delay",
    "passthrough",
    "reset",
    "respond",
    "rewrite",
    "stall",
    "truncate",
]

ACTIONS = ("pass", "delay", "reset", "respond", "truncate", "stall", "close", "rewrite")
# Headers that describe one connection, not the message: never forwarded as they came.
_HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
        b"content-length",
    }
)
_MAX_BODY = 16 * 1024 * 1024
_READ_SIZE = 65536


@dataclass(frozen=True)
class UpstreamAnswer:
    """A response as the proxy holds it before sending it on (what a `rewrite` function receives)."""

    status: int
    reason: bytes
    headers: list[tuple[bytes, bytes]]
    body: bytes


@dataclass(frozen=True, kw_only=True)
class Rule:
    """One rule: which requests (method/path regexes, then nth or probability, at most limit) and what to do."""

    action: str
    method: str = ".*"
    path: str = ".*"
    nth: frozenset[int] | None = None  # 1-based counts among the requests this rule's regexes match
    probability: float = 1.0
    limit: int | None = None
    forwarded: bool = False  # reset, stall: after the upstream received the request (and answered)
    partway: bool = False  # reset: cut a message midway, the request after its headers or the answer after its own
    up_s: float = 0.0  # delay: before the request goes upstream
    down_s: float = 0.0  # delay: before the response goes back to the client
    status: int = 503  # respond
    headers: tuple[tuple[str, str], ...] = ()  # respond
    body: bytes = b""  # respond
    keep_bytes: int | None = None  # truncate: body bytes sent before closing (None: half of the body)
    stall_s: float = 5.0  # stall: the longest the answer is held (the client usually gives up first)
    transform: Callable[[dict[str, str], UpstreamAnswer], bytes] | None = None  # rewrite

    def __post_init__(self) -> None:
        assert self.action in ACTIONS, f"action={self.action!r}; known actions: {', '.join(ACTIONS)}"
        assert 0.0 <= self.probability <= 1.0, f"probability={self.probability} is not within [0, 1]"
        assert self.nth is None or all(n >= 1 for n in self.nth), f"nth={sorted(self.nth or ())} counts from 1"
        assert self.limit is None or self.limit >= 0, f"limit={self.limit} < 0"
        assert self.up_s >= 0 and self.down_s >= 0 and self.stall_s >= 0, "delays cannot be negative"
        assert self.action != "rewrite" or self.transform is not None, "a rewrite rule needs transform="
        assert not self.partway or self.action == "reset", "partway= is a reset's"
        re.compile(self.method)
        re.compile(self.path)


def _rule(action: str, *, nth: Collection[int] | None = None, **options: Any) -> Rule:
    return Rule(action=action, nth=frozenset(nth) if nth is not None else None, **options)


def passthrough(**when: Any) -> Rule:
    """Forward the matching requests untouched (and shield them from the rules after this one)."""
    return _rule("pass", **when)


def delay(up_s: float = 0.0, down_s: float = 0.0, **when: Any) -> Rule:
    """Add latency per direction: delay(0.025, 0.025) is 50 ms more round trip."""
    return _rule("delay", up_s=up_s, down_s=down_s, **when)


def reset(*, forwarded: bool = False, partway: bool = False, **when: Any) -> Rule:
    """Reset the client's connection (RST): before forwarding, or after the upstream answered (answer lost).

    `partway` cuts a message in its direction: before forwarding, while the request comes in (after its headers,
    its body unread: never forwarded); forwarded, while the answer goes back (after its headers and half its body).
    """
    return _rule("reset", forwarded=forwarded, partway=partway, **when)


def respond(status: int, *, headers: Iterable[tuple[str, str]] = (), body: bytes | str = b"", **when: Any) -> Rule:
    """Answer with this status, headers and body without forwarding (a gateway's 429, 502 or 503)."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    return _rule("respond", status=status, headers=tuple(headers), body=data, **when)


def truncate(*, keep_bytes: int | None = None, **when: Any) -> Rule:
    """Forward, then send the headers and only part of the body, and close the connection."""
    return _rule("truncate", keep_bytes=keep_bytes, **when)


def stall(seconds: float = 5.0, *, forwarded: bool = False, **when: Any) -> Rule:
    """Hold the answer until the client gives up (or `seconds` pass), then close without answering."""
    return _rule("stall", stall_s=seconds, forwarded=forwarded, **when)


def close_after(**when: Any) -> Rule:
    """Forward and answer, then close the kept-alive connection without announcing it."""
    return _rule("close", **when)


def rewrite(transform: Callable[[dict[str, str], UpstreamAnswer], bytes], **when: Any) -> Rule:
    """Forward, then replace the response body by transform(request headers, answer)."""
    return _rule("rewrite", transform=transform, **when)


@dataclass(frozen=True)
class ProxyEvent:
    """What the proxy did with one request."""

    seq: int
    method: str
    path: str
    action: str


@dataclass
class _Decision:
    action: str = "pass"
    rule: Rule | None = None
    up_s: float = 0.0
    down_s: float = 0.0


@dataclass
class _RuleState:
    rule: Rule
    method: re.Pattern[str]
    path: re.Pattern[str]
    seen: int = 0
    fired: int = 0


class _Closed(Exception):
    """The client side of a connection is gone (or must be closed now)."""


class FaultProxy:
    """A loopback proxy in front of `upstream`, in background threads, injecting the faults its rules name."""

    def __init__(
        self,
        upstream: str,
        rules: Sequence[Rule] = (),
        *,
        seed: int = 0,
        max_connections: int = 64,
        io_timeout: float = 30.0,
    ) -> None:
        parts = urlsplit(upstream)
        assert parts.scheme == "http" and parts.hostname, f"upstream {upstream!r} is not an http:// URL"
        self.upstream = (parts.hostname, parts.port or 80)
        self._states = [_RuleState(rule, re.compile(rule.method), re.compile(rule.path)) for rule in rules]
        self._random = random.Random(seed)
        self._io_timeout = io_timeout
        self._slots = threading.BoundedSemaphore(max_connections)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._sockets: set[socket.socket] = set()
        self._threads: set[threading.Thread] = set()
        self._listener: socket.socket | None = None
        self._acceptor: threading.Thread | None = None
        self.url = ""
        # What it did: requests per "METHOD /path", faults per action, every decision in order.
        self.requests: Counter[str] = Counter()
        self.faults: Counter[str] = Counter()
        self.events: list[ProxyEvent] = []
        self.connections = 0
        self.errors: list[BaseException] = []  # bugs of the proxy itself (the fixture fails on them)

    # -- life cycle ---------------------------------------------------------------------------

    def start(self) -> Self:
        listener = socket.create_server(("127.0.0.1", 0))
        listener.settimeout(0.1)  # the accept loop looks at the stop flag this often
        self._listener = listener
        self.url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        self._acceptor = threading.Thread(target=self._accept_loop, name="fault-proxy-accept", daemon=True)
        self._acceptor.start()
        return self

    def stop(self) -> None:
        """Close the listener and every connection, and wait for every thread (at most a few seconds)."""
        self._stopping.set()
        if self._acceptor is not None:
            self._acceptor.join(timeout=5)
        if self._listener is not None:
            self._listener.close()
        with self._lock:
            sockets, threads = list(self._sockets), list(self._threads)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for thread in threads:
            thread.join(timeout=5)
        alive = [t.name for t in threads if t.is_alive()]
        assert not alive, f"fault proxy threads still running after stop(): {alive}"

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def stats(self) -> dict[str, Any]:
        """Counters as plain data (for a benchmark's printout)."""
        with self._lock:
            return {"requests": dict(self.requests), "faults": dict(self.faults), "connections": self.connections}

    # -- threads ------------------------------------------------------------------------------

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if not self._slots.acquire(blocking=False):
                client.close()  # bounded: over max_connections, the connection is refused
                continue
            thread = threading.Thread(target=self._serve, args=(client,), name="fault-proxy-conn", daemon=True)
            with self._lock:
                self.connections += 1
                self._threads.add(thread)
                self._sockets.add(client)
            thread.start()

    def _serve(self, client: socket.socket) -> None:
        client.settimeout(self._io_timeout)
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=_MAX_BODY)
        try:
            while not self._stopping.is_set():
                request = self._read_head(client, conn)
                method = request.method.decode("ascii")
                path = request.target.decode("ascii", errors="replace").split("?", 1)[0]
                decision = self._decide(method, path)
                rule = decision.rule
                if decision.action == "reset" and rule is not None and rule.partway and not rule.forwarded:
                    self._reset(client)  # while the request comes in: its body is never read
                body = self._read_body(client, conn)
                self._handle(client, conn, request, body, decision)
                if conn.our_state is not h11.DONE or conn.their_state is not h11.DONE:
                    return
                conn.start_next_cycle()
        except (_Closed, OSError, h11.ProtocolError):
            pass
        except Exception as exc:  # a bug of the proxy: kept for the fixture to report, never a thread warning
            self.errors.append(exc)
        finally:
            with self._lock:
                self._sockets.discard(client)
                self._threads.discard(threading.current_thread())
            client.close()
            self._slots.release()

    # -- one request --------------------------------------------------------------------------

    @staticmethod
    def _read_head(client: socket.socket, conn: h11.Connection) -> h11.Request:
        """The next request's line and headers (its body is read by `_read_body`)."""
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                conn.receive_data(client.recv(_READ_SIZE))
            elif isinstance(event, h11.Request):
                return event
            elif isinstance(event, h11.ConnectionClosed):
                raise _Closed()
            else:
                raise h11.RemoteProtocolError(f"expected a request, received {type(event).__name__}")

    @staticmethod
    def _read_body(client: socket.socket, conn: h11.Connection) -> bytes:
        body = bytearray()
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                conn.receive_data(client.recv(_READ_SIZE))
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                return bytes(body)
            elif isinstance(event, h11.ConnectionClosed):
                raise _Closed()

    def _decide(self, method: str, path: str) -> _Decision:
        decision = _Decision()
        decided = False
        with self._lock:
            seq = sum(self.requests.values()) + 1
            self.requests[f"{method} {path}"] += 1
            for state in self._states:
                if not (state.method.search(method) and state.path.search(path)):
                    continue
                state.seen += 1
                rule = state.rule
                if decided or (rule.nth is not None and state.seen not in rule.nth):
                    continue
                if rule.limit is not None and state.fired >= rule.limit:
                    continue
                if rule.probability < 1.0 and self._random.random() >= rule.probability:
                    continue
                state.fired += 1
                if rule.action == "delay":
                    decision.up_s += rule.up_s
                    decision.down_s += rule.down_s
                    self.faults["delay"] += 1
                    continue
                decision.action, decision.rule, decided = rule.action, rule, True
                if rule.action != "pass":
                    self.faults[rule.action] += 1
            self.events.append(ProxyEvent(seq, method, path, decision.action))
        return decision

    def _handle(
        self, client: socket.socket, conn: h11.Connection, request: h11.Request, body: bytes, decision: _Decision
    ) -> None:
        method = request.method.decode("ascii")
        rule, action = decision.rule, decision.action
        self._sleep(decision.up_s)
        if action == "reset" and rule is not None and not rule.forwarded:
            self._reset(client)
        if action == "respond" and rule is not None:
            headers = [(n.encode("latin-1"), v.encode("latin-1")) for n, v in rule.headers]
            answer = UpstreamAnswer(rule.status, b"", headers, rule.body)
        elif action == "stall" and rule is not None and not rule.forwarded:
            self._stall(client, rule.stall_s)
        else:
            answer = self._forward(request, body)
        if action == "reset" and rule is not None and rule.partway:
            self._answer_partway(client, conn, method, answer)
        if action == "reset":
            self._reset(client)
        if action == "stall" and rule is not None:
            self._stall(client, rule.stall_s)
        if action == "rewrite" and rule is not None and rule.transform is not None:
            request_headers = {n.decode("latin-1").lower(): v.decode("latin-1") for n, v in request.headers}
            answer = UpstreamAnswer(
                answer.status, answer.reason, answer.headers, rule.transform(request_headers, answer)
            )
        self._sleep(decision.down_s)
        self._answer(
            client,
            conn,
            method,
            answer,
            rule.keep_bytes if rule and action == "truncate" else None,
            truncated=action == "truncate",
        )
        if action in ("truncate", "close"):
            raise _Closed()

    def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._stopping.wait(seconds)

    @staticmethod
    def _reset(client: socket.socket) -> None:
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        raise _Closed()  # _serve closes the socket: with linger 0 that is an RST

    @staticmethod
    def _answer_partway(client: socket.socket, conn: h11.Connection, method: str, answer: UpstreamAnswer) -> None:
        """The answer's status line and headers and half its body (at least its first byte), then an RST."""
        headers = [(n, v) for n, v in answer.headers if n.lower() not in _HOP_BY_HOP]
        headers.append((b"content-length", str(len(answer.body)).encode()))
        out = conn.send(h11.Response(status_code=answer.status, reason=answer.reason, headers=headers)) or b""
        keep = max(len(answer.body) // 2, 1) if answer.body and method != "HEAD" else 0
        client.sendall(out + (conn.send(h11.Data(data=answer.body[:keep])) if keep else b""))
        time.sleep(0.01)  # the client reads the headers before the RST, so it sees its answer cut short

    def _stall(self, client: socket.socket, seconds: float) -> None:
        """Say nothing until the client closes its side, `seconds` pass, or the proxy stops; then close."""
        deadline = time.monotonic() + seconds
        while not self._stopping.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            readable, _, _ = select.select([client], [], [], min(remaining, 0.1))
            if readable and not client.recv(_READ_SIZE):
                break  # the client gave up
        raise _Closed()

    def _forward(self, request: h11.Request, body: bytes) -> UpstreamAnswer:
        """Send the request upstream on a connection of its own; a failure upstream is a gateway's 502."""
        headers = [(n, v) for n, v in request.headers if n.lower() not in _HOP_BY_HOP]
        headers += [(b"content-length", str(len(body)).encode()), (b"connection", b"close")]
        upstream = h11.Connection(h11.CLIENT, max_incomplete_event_size=_MAX_BODY)
        try:
            with socket.create_connection(self.upstream, timeout=self._io_timeout) as sock:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                sock.sendall(upstream.send(h11.Request(method=request.method, target=request.target, headers=headers)))
                # The upstream may answer early (a 413) and close: its answer is still to be read.
                with contextlib.suppress(OSError):
                    sock.sendall(upstream.send(h11.Data(data=body)) + upstream.send(h11.EndOfMessage()))
                response: h11.Response | None = None
                data = bytearray()
                while True:
                    event = upstream.next_event()
                    if event is h11.NEED_DATA:
                        upstream.receive_data(sock.recv(_READ_SIZE))
                    elif isinstance(event, h11.Response):
                        response = event
                    elif isinstance(event, h11.Data):
                        data += event.data
                    elif isinstance(event, (h11.EndOfMessage, h11.ConnectionClosed)):
                        break
                assert response is not None, "the upstream closed without answering"
                return UpstreamAnswer(response.status_code, response.reason, list(response.headers), bytes(data))
        except (OSError, h11.ProtocolError, AssertionError) as exc:
            with self._lock:
                self.faults["upstream-error"] += 1
            return UpstreamAnswer(
                502,
                b"Bad Gateway",
                [(b"content-type", b"text/plain")],
                f"fault proxy: upstream {type(exc).__name__}".encode(),
            )

    @staticmethod
    def _answer(
        client: socket.socket,
        conn: h11.Connection,
        method: str,
        answer: UpstreamAnswer,
        keep_bytes: int | None,
        *,
        truncated: bool,
    ) -> None:
        headers = [(n, v) for n, v in answer.headers if n.lower() not in _HOP_BY_HOP]
        bodiless = method == "HEAD" or answer.status in (204, 304) or answer.status < 200
        if not bodiless:
            headers.append((b"content-length", str(len(answer.body)).encode()))
        out = conn.send(h11.Response(status_code=answer.status, reason=answer.reason, headers=headers)) or b""
        if truncated:
            keep = len(answer.body) // 2 if keep_bytes is None else min(keep_bytes, max(len(answer.body) - 1, 0))
            client.sendall(out + (conn.send(h11.Data(data=answer.body[:keep])) if keep else b""))
            return
        if answer.body and not bodiless:
            out += conn.send(h11.Data(data=answer.body)) or b""
        client.sendall(out + (conn.send(h11.EndOfMessage()) or b""))
