"""The kit's HTTP client to a target: sends, throttles, retries where safe, records and checks."""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from drs_conformance.contract.checks import check_response, checked_requirements
from drs_conformance.contract.exchange import Exchange, RecordedRequest, RecordedResponse
from drs_conformance.contract.reply import (
    Reply,  # re-exported: tests and suites take it from the client
)
from drs_conformance.contract.settle import EFFECTS
from drs_conformance.contract.spec import PAUSE_PATH, RETRY_PATH, STATUS_PATH
from drs_conformance.transport.credentials import Credentials
from drs_conformance.transport.redaction import Redactor, basic_credential, split_user_info
from drs_conformance.transport.send import (
    TRANSPORT_BACKOFF_S,
    basic_auth,
    http_transport,  # re-exported: the kit's transport with TCP_NODELAY
    may_send_again,
    no_answer,
    open_client,
    send_once,
)

__all__ = [
    "DEFAULT",
    "OTHER_METHODS",
    "REQUESTS",
    "DrsClient",
    "ExchangeLog",
    "RateLimiter",
    "Reply",
    "RequestCounter",
    "http_transport",
    "operation_of",
]

_MAX_RETRY_AFTER_S = 30.0
_THROTTLE_BACKOFF_S = 0.5  # a 429 without Retry-After: 0.5 s, 1 s, 2 s
_READ_ONLY_SUFFIX = STATUS_PATH.rsplit("/", 1)[-1]  # batch-status


class _Default:
    """Marker for "use the client's own credentials"."""

    def __repr__(self) -> str:
        return "DEFAULT"


DEFAULT: Any = _Default()


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
    """At most `rate` requests per second (None: unlimited) from this process, or, given `shared`, from every
    process that names the same file (the xdist workers of one run): the next free slot is kept in it, under `flock`.

    time.monotonic() is CLOCK_MONOTONIC, one clock for every process of the machine, so the slots compare.
    """

    def __init__(self, rate: float | None, shared: Path | None = None) -> None:
        self._interval = 1.0 / rate if rate else 0.0
        self._shared = shared
        self._next = 0.0
        self._lock = threading.Lock()

    @property
    def shared(self) -> Path | None:
        return self._shared

    def wait(self) -> None:
        if not self._interval:
            return
        with self._lock:
            now = time.monotonic()
            if self._shared is not None:
                slot = self._take_shared_slot(now)
            else:
                slot, self._next = self._next, max(now, self._next) + self._interval
        delay = slot - now
        if delay > 0:
            time.sleep(delay)

    def _take_shared_slot(self, now: float) -> float:
        """The slot this request gets (the file's next free one), and the one after it written back."""
        assert self._shared is not None
        fd = os.open(self._shared, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                slot = float(os.pread(fd, 64, 0).strip() or 0.0)
            except ValueError:
                slot = 0.0
            os.pwrite(fd, f"{max(now, slot) + self._interval:.6f}".ljust(32).encode(), 0)
        finally:
            os.close(fd)  # releases the flock
        return slot


OTHER_METHODS = "other methods"  # the API's paths asked with a method other than POST (the 405 probes)


def operation_of(method: str, path: str) -> str:
    """What a request is, for the run's count of requests: the API operation (batch-status, ...; any method other
    than POST counts as OTHER_METHODS), or the control API's route with ids as `{id}` ("control PUT
    /_sandbox/jobs/{id}")."""
    path = path.split("?", 1)[0].rstrip("/")
    control = path.find("/_sandbox/")
    if control >= 0:  # under the target's base URL, which may have a path of its own
        parts = path[control:].split("/")
        if len(parts) == 4 and parts[2] == "jobs" and parts[3] not in ("query", "delete"):
            parts[3] = "{id}"
        return f"control {method} {'/'.join(parts)}"
    return path.rsplit("/", 1)[-1] if method == "POST" else OTHER_METHODS


class RequestCounter:
    """Requests this process sent to the target, by operation (`operation_of`), every attempt counted: the run's
    load on the target. xdist workers hand theirs to the controller, which adds them up."""

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._changing = 0  # API requests that may change a job, since the process started; never reset

    def add(self, operation: str, count: int = 1) -> None:
        with self._lock:
            self._counts[operation] += count
            if not operation.startswith("control ") and operation != _READ_ONLY_SUFFIX:
                self._changing += count

    @property
    def changing_requests(self) -> int:
        """How many API requests that may change a job (all but batch-status) this process has sent so far: a job's
        state read before the next one is still its state."""
        return self._changing

    def merge(self, counts: Mapping[str, int]) -> None:
        with self._lock:
            self._counts.update(counts)

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()


REQUESTS = RequestCounter()  # this process's count (a run resets it when it starts)


def _retry_after_seconds(headers: httpx.Headers) -> float | None:
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return min(max(float(value), 0.0), _MAX_RETRY_AFTER_S)
    except ValueError:
        return 1.0  # an HTTP date: wait a little rather than parse clocks


def _throttled_wait(response: httpx.Response, attempt: int) -> float | None:
    """How long to wait before sending again (None: do not): 429 always, 503 only with Retry-After."""
    wait = _retry_after_seconds(response.headers)
    if response.status_code == 429:
        return wait if wait is not None else _THROTTLE_BACKOFF_S * 2 ** (attempt - 1)
    if response.status_code == 503:
        return wait
    return None


def _is_read_only(method: str, path: str) -> bool:
    """batch-status only reads (and GET/HEAD read): sending it twice changes nothing."""
    return method in ("GET", "HEAD") or path.rstrip("/").endswith(_READ_ONLY_SUFFIX)


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
        # User-info (http://user:password@host) is sent as HTTP Basic, and never shown.
        self.base_url, user_info = split_user_info(self.base_url.rstrip("/"))
        if user_info is not None:
            for secret in (*user_info, basic_credential(*user_info)):
                self.redactor.add(secret)
        self._http = open_client(
            base_url=self.base_url,
            auth=basic_auth(*user_info) if user_info else None,
            timeout=self.timeout,
            transport=self.transport,
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
        EFFECTS.note(operation_path, content, reply.status, reply.content)  # awaited by reads (settle.py)
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
        """Send with throttling and the safe retries; raise NoAnswer when the target gives no usable answer.

        Sent again: a 429 (the gateway kept it from the service), a 503 with Retry-After, any request whose
        connection failed before it was sent, and batch-status (read-only) after any transport failure.
        Never sent twice: a pause or a resume that may have reached the service.
        """
        if credentials is not self.credentials:  # the client's own were registered when it was made
            for secret in credentials.secrets:
                self.redactor.add(secret)
        read_only = idempotent or _is_read_only(method, path)
        attempt = 0
        while True:
            attempt += 1
            request = self._http.build_request(method, path, content=content, headers=dict(headers))
            credentials.apply(request, project_id)
            self.redactor.add_authorization(request.headers.get("authorization"))
            self.rate_limiter.wait()
            REQUESTS.add(operation_of(method, request.url.path))
            started = time.perf_counter()
            response = send_once(self._http, request, timeout=self.timeout)
            if not isinstance(response, httpx.Response):
                self._record(request, None, response.what, label, started)
                if attempt <= self.max_retries and may_send_again(response, repeatable=read_only):
                    time.sleep(TRANSPORT_BACKOFF_S * attempt)
                    continue
                raise no_answer(method, path, response, attempt, repeatable=read_only, redact=self.redactor.text)
            exchange = self._record(request, response, None, label, started)
            wait = _throttled_wait(response, attempt)
            if wait is not None and attempt <= self.max_retries:
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
