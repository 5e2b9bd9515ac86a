"""The kit's HTTP client to a target: sends, throttles, retries where safe, records and checks."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Mapping

import httpx

from drs_conformance.checks import check_response, checked_requirements
from drs_conformance.credentials import Credentials
from drs_conformance.errors import TargetUnreachable
from drs_conformance.exchange import Exchange, RecordedRequest, RecordedResponse
from drs_conformance.redaction import Redactor
from drs_conformance.spec import PAUSE_PATH, RETRY_PATH, STATUS_PATH

__all__ = ["Reply", "ExchangeLog", "RateLimiter", "DrsClient", "TargetTimeout", "DEFAULT", "http_transport"]

_MAX_RETRY_AFTER_S = 30.0
_RETRY_STATUSES = frozenset({429, 503})


class _Default:
    """Marker for "use the client's own credentials"."""

    def __repr__(self) -> str:
        return "DEFAULT"


DEFAULT: Any = _Default()


class TargetTimeout(AssertionError):
    """The target did not answer in time; the test fails with a message saying so."""


@dataclass(frozen=True)
class Reply:
    """A response as the test sees it (raw), with its redacted record for reports."""

    status: int
    headers: httpx.Headers
    content: bytes
    exchange: Exchange

    def json(self) -> Any:
        return json.loads(self.content)

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")


class ExchangeLog:
    """The last few exchanges of the current test, newest last (what a failure report shows)."""

    def __init__(self, maxlen: int = 6) -> None:
        self._items: deque[Exchange] = deque(maxlen=maxlen)
        self._lock = threading.Lock()
        self.total = 0
        # Requirements the common response checks judged on this test's traffic.
        self.checked: set[str] = set()

    def add(self, exchange: Exchange) -> None:
        with self._lock:
            self._items.append(exchange)
            self.total += 1

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.total = 0
            self.checked.clear()

    def __iter__(self) -> Iterator[Exchange]:
        with self._lock:
            return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)


class RateLimiter:
    """At most `rate` requests per second from this process (None: unlimited)."""

    def __init__(self, rate: float | None) -> None:
        self._interval = 1.0 / rate if rate else 0.0
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        if not self._interval:
            return
        with self._lock:
            now = time.monotonic()
            delay = self._next - now
            self._next = max(now, self._next) + self._interval
        if delay > 0:
            time.sleep(delay)


def http_transport() -> httpx.HTTPTransport:
    """A transport with TCP_NODELAY: httpx writes headers and body apart, which Nagle delays ~40 ms."""
    return httpx.HTTPTransport(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])


def _retry_after_seconds(headers: httpx.Headers) -> float | None:
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return min(max(float(value), 0.0), _MAX_RETRY_AFTER_S)
    except ValueError:
        return 1.0  # an HTTP date: wait a little rather than parse clocks


@dataclass
class DrsClient:
    """Talks to one target as one project; every call is recorded (redacted) and checked."""

    base_url: str
    project_id: str
    credentials: Credentials
    redactor: Redactor
    log: ExchangeLog = field(default_factory=ExchangeLog)
    timeout: float = 30.0
    rate_limiter: RateLimiter = field(default_factory=lambda: RateLimiter(None))
    max_retries: int = 3
    transport: httpx.BaseTransport | None = None
    _http: httpx.Client = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=self.timeout,
            transport=self.transport or http_transport(),
            follow_redirects=False,
            headers={"User-Agent": "drs-conformance"},
        )
        for secret in self.credentials.secrets:
            self.redactor.add(secret)

    def close(self) -> None:
        self._http.close()

    def with_log(self, log: ExchangeLog) -> DrsClient:
        """The same client (connection pool shared) recording into another log."""
        clone = object.__new__(DrsClient)
        clone.__dict__.update(self.__dict__)
        clone.log = log
        return clone

    # -- documented operations -------------------------------------------------------------

    def pause(self, body: Any = None, **options: Any) -> Reply:
        """POST batch-pause-task with a JSON body (or raw `content=`)."""
        return self.call(PAUSE_PATH, body, **options)

    def pause_jobs(self, jobs: Iterable[tuple[str, str]], **options: Any) -> Reply:
        """Pause (job_id, pause_mode) pairs."""
        return self.pause({"jobs": [{"job_id": j, "pause_mode": m} for j, m in jobs]}, **options)

    def batch_status(self, job_ids: Iterable[str], **options: Any) -> Reply:
        return self.call(STATUS_PATH, {"jobs": list(job_ids)}, idempotent=True, **options)

    def retry(self, job_ids: Iterable[str], **options: Any) -> Reply:
        return self.call(RETRY_PATH, {"jobs": [{"job_id": j} for j in job_ids]}, **options)

    def call(
        self,
        operation_path: str,
        body: Any = None,
        *,
        content: bytes | None = None,
        content_type: str | None = "application/json",
        project_id: str | None = None,
        language: str | None = None,
        headers: Mapping[str, str] | None = None,
        credentials: Credentials = DEFAULT,
        method: str = "POST",
        idempotent: bool = False,
        validate: bool = True,
        label: str = "",
    ) -> Reply:
        """Send one request to a documented operation and run the checks every response must pass."""
        path = operation_path.replace("{project_id}", project_id if project_id is not None else self.project_id)
        if content is None and body is not None:
            content = json.dumps(body, ensure_ascii=False).encode("utf-8")
        request_headers: dict[str, str] = {}
        if content_type is not None:
            request_headers["Content-Type"] = content_type
        if language is not None:
            request_headers["X-Language"] = language
        request_headers.update(headers or {})
        reply = self.send(
            method,
            path,
            content=content,
            headers=request_headers,
            credentials=self.credentials if credentials is DEFAULT else credentials,
            project_id=project_id or self.project_id,
            idempotent=idempotent,
            label=label,
        )
        if validate:
            self.log.checked.update(checked_requirements(reply.status))
            check_response(reply, operation_path)
        return reply

    # -- transport ---------------------------------------------------------------------------

    def send(
        self,
        method: str,
        path: str,
        *,
        content: bytes | None,
        headers: Mapping[str, str],
        credentials: Credentials,
        project_id: str,
        idempotent: bool = False,
        label: str = "",
    ) -> Reply:
        """Send with throttling; honour 429/503 Retry-After; retry transport errors only if idempotent."""
        if credentials is not self.credentials:  # the client's own were registered when it was made
            for secret in credentials.secrets:
                self.redactor.add(secret)
        attempt = 0
        while True:
            attempt += 1
            request = self._http.build_request(method, path, content=content, headers=dict(headers))
            credentials.apply(request, project_id)
            self.rate_limiter.wait()
            started = time.perf_counter()
            try:
                response = self._http.send(request)
            except httpx.TimeoutException:
                self._record(request, None, f"no answer within {self.timeout:g} s", label, started)
                if idempotent and attempt <= self.max_retries:
                    continue
                raise TargetTimeout(
                    f"{method} {self.base_url}{path}: the target did not answer within {self.timeout:g} s "
                    "(raise --request-timeout if it is slow)"
                ) from None
            except httpx.TransportError as exc:
                self._record(request, None, f"{type(exc).__name__}: {exc}", label, started)
                if idempotent and attempt <= self.max_retries:
                    time.sleep(0.2 * attempt)
                    continue
                raise TargetUnreachable(
                    f"{method} {self.base_url}{path}: {type(exc).__name__}: {self.redactor.text(str(exc))}"
                ) from None
            exchange = self._record(request, response, None, label, started)
            wait = _retry_after_seconds(response.headers)
            if response.status_code in _RETRY_STATUSES and wait is not None and attempt <= self.max_retries:
                time.sleep(wait)
                continue
            return Reply(response.status_code, response.headers, response.content, exchange)

    def _record(
        self,
        request: httpx.Request,
        response: httpx.Response | None,
        error: str | None,
        label: str,
        started: float,
    ) -> Exchange:
        redact = self.redactor
        body = request.content
        recorded_request = RecordedRequest(
            method=request.method,
            url=redact.text(str(request.url)),
            headers=redact.headers(request.headers.items()),
            body=redact.text(Exchange.clip(body.decode("utf-8", errors="replace"))) if body else None,
            body_size=len(body),
        )
        recorded_response = None
        if response is not None:
            recorded_response = RecordedResponse(
                status=response.status_code,
                headers=redact.headers(response.headers.items()),
                body=redact.text(Exchange.clip(response.content.decode("utf-8", errors="replace"))),
                elapsed_ms=round((time.perf_counter() - started) * 1000, 2),
            )
        exchange = Exchange(
            request=recorded_request,
            response=recorded_response,
            error=redact.text(error) if error else None,
            label=label,
        )
        self.log.add(exchange)
        return exchange
