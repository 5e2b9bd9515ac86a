"""The official SDK (huaweicloudsdkdrs `DrsClient`) as a client of a target: built offline, traffic recorded.

    client, traffic = sdk_client(base_url, ak=AK, sk=SK, project_id=P, redactor=redactor, log=log)
    call = pause(client, traffic, [(job_id, "target")])
    call.response          # BatchStopJobsResponse, or None when the SDK raised
    call.error             # ClientRequestException / ServerResponseException, or None
    call.reply             # the raw answer as the kit records it (redacted Exchange inside)

What the SDK does that matters here (huaweicloudsdkdrs/huaweicloudsdkcore 3.1.x):

- The operation is `DrsClient.batch_stop_jobs(BatchStopJobsRequest(body=BatchPauseJobReq(jobs=[PauseInfo])))`,
  answered by `BatchStopJobsResponse(results=[PauseJobResp], count)`; the method is marked deprecated
  (a DeprecationWarning per call) and has no replacement.
- `with_endpoints([url])` without `with_region` and a project id in `BasicCredentials` means no IAM or
  region look-up: the only host contacted is `url` (http is kept as given). `retry_times=0`.
- requests (under the SDK) honours proxy variables and ~/.netrc; the session is set not to, as the
  kit's own httpx client ignores them too, so loopback never goes through a proxy.
- A 4xx raises `ClientRequestException` (a 5xx `ServerResponseException`) with `status_code`,
  `error_code`, `error_msg`: taken from top-level `error_code`/`error_msg` (or `errorCode`/`errorMsg`,
  or `code`/`message`), else searched in nested objects; a body without them gives
  `error_code = str(status_code)` and `error_msg =` the raw text. A refused connection raises
  `ConnectionException`; a read timeout escapes as requests' own `ReadTimeout` (not wrapped).
- A 200 is parsed leniently: unknown fields are dropped, a primitive is coerced (`int("1")` for count),
  a body that is not JSON gives an empty model, a value `int()` refuses raises ValueError.
- A 429 (an API gateway's throttling) raises `ClientRequestException` too; `pause` sends the request
  again, as the kit's own client does, through the SDK's own retry (`SyncInvoker.with_retry`), waiting
  as Retry-After says: a throttled request never reached the service (contract notes).
"""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import requests
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exceptions import (
    ConnectionException,
    RequestTimeoutException,
    ServiceResponseException,
)
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkcore.http.http_handler import HttpHandler
from huaweicloudsdkcore.retry.backoff_strategy import BackoffStrategy
from huaweicloudsdkdrs.v3 import BatchPauseJobReq, BatchStopJobsRequest, BatchStopJobsResponse, DrsClient, PauseInfo

from drs_conformance.contract.exchange import Exchange, RecordedRequest, RecordedResponse
from drs_conformance.contract.settle import EFFECTS
from drs_conformance.errors import NoAnswer
from drs_conformance.transport.client import REQUESTS, ExchangeLog, Reply, operation_of
from drs_conformance.transport.redaction import Redactor
from drs_conformance.transport.send import Unanswered, no_answer

__all__ = [
    "SDK_OPERATION",
    "SdkCall",
    "SdkTraffic",
    "close_client",
    "error_fields",
    "model_differences",
    "pause",
    "sdk_client",
]

# What the SDK calls batch-pause-task (method of DrsClient, request and response models).
SDK_OPERATION = "batch_stop_jobs"
_DEPRECATION = rf"Method '{SDK_OPERATION}(_invoker)?' of DrsClient is deprecated"
# Throttled answers (429 with Retry-After) are sent again, as the kit's client does: this often, this long at most.
_THROTTLED_RETRIES = 3
_MAX_RETRY_AFTER_S = 30.0
# What the SDK (and requests under it, unwrapped for a read timeout) raises when the connection fails or times out.
_TRANSPORT_FAILURES = (ConnectionException, RequestTimeoutException, requests.exceptions.RequestException)


class SdkTraffic:
    """Records what the SDK sends and receives (through its HttpHandler hooks) as redacted kit exchanges."""

    def __init__(self, redactor: Redactor, log: ExchangeLog | None = None, *, label: str = "sdk") -> None:
        self.redactor = redactor
        self.log = log if log is not None else ExchangeLog()
        self.label = label
        self.last: Reply | None = None
        self._started = 0.0

    def handler(self) -> HttpHandler:
        """The hooks to give `DrsClient.new_builder().with_http_handler(...)`."""
        return HttpHandler().add_request_handler(self._on_request).add_response_handler(self._on_response)

    def _on_request(self, **kwargs: Any) -> None:
        self.last = None
        self._started = time.perf_counter()
        request = kwargs.get("request")  # the SDK's HttpRequest, about to be sent: counted with the kit's own
        REQUESTS.add(
            operation_of(
                str(getattr(request, "method", "POST")), urlsplit(str(getattr(request, "url", "") or "")).path or "sdk"
            )
        )

    def _on_response(self, **kwargs: Any) -> None:
        response = kwargs["response"]  # a requests.Response; its .request is what went on the wire
        sent = response.request
        body = sent.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        redact = self.redactor
        redact.add_authorization(sent.headers.get("Authorization"))  # the SDK's signature: redacted by value too
        request = RecordedRequest(
            method=str(sent.method),
            url=redact.text(str(sent.url)),
            headers=redact.headers((str(k), str(v)) for k, v in sent.headers.items()),  # Authorization by name
            body=redact.text(Exchange.clip(body.decode("utf-8", errors="replace"))) if body else None,
            body_size=len(body),
        )
        content = response.content or b""
        recorded = RecordedResponse(
            status=response.status_code,
            headers=redact.headers((str(k), str(v)) for k, v in response.headers.items()),
            body=redact.text(Exchange.clip(content.decode("utf-8", errors="replace"))),
            elapsed_ms=round((time.perf_counter() - self._started) * 1000, 2),
        )
        exchange = Exchange(request=request, response=recorded, label=self.label)
        self.log.add(exchange)
        self.last = Reply(response.status_code, httpx.Headers(list(response.headers.items())), content, exchange)
        EFFECTS.note(urlsplit(str(sent.url)).path, body, response.status_code, content)  # awaited by reads


def sdk_client(
    base_url: str,
    *,
    ak: str,
    sk: str,
    project_id: str,
    redactor: Redactor,
    log: ExchangeLog | None = None,
    timeout: float = 30.0,
) -> tuple[DrsClient, SdkTraffic]:
    """A DrsClient on exactly `base_url` (no IAM, no region, no retries, no proxy) and its traffic recorder."""
    for secret in (ak, sk):
        redactor.add(secret)
    config = HttpConfig.get_default_config()
    config.timeout = (min(timeout, 10.0), timeout)
    config.retry_times = 0
    traffic = SdkTraffic(redactor, log)
    client = (
        DrsClient.new_builder()
        .with_http_config(config)
        .with_credentials(BasicCredentials(ak, sk, project_id))  # project id given: no IAM project look-up
        .with_endpoints([base_url.rstrip("/")])  # no with_region: no region endpoints, no IAM
        .with_http_handler(traffic.handler())
        .build()
    )
    session = getattr(client.get_http_client(), "_session", None)
    if session is None:  # pragma: no cover - guards an SDK change
        raise RuntimeError("huaweicloudsdkcore's HttpClient has no _session: cannot stop it from using proxies")
    session.trust_env = False
    return client, traffic


def close_client(client: DrsClient) -> None:
    """Close the client's HTTP session and the thread pool it signs requests in."""
    client.close()
    client.get_http_client().executor.shutdown(wait=False)


@dataclass(frozen=True)
class SdkCall:
    """One SDK call: the parsed response or the service exception, the raw answer, and any other failure."""

    response: BatchStopJobsResponse | None
    error: ServiceResponseException | None
    reply: Reply | None  # None when nothing came back (transport error)
    crash: str | None = None  # the SDK raised something else: transport error, or a body it could not parse
    # The connection failed or timed out: the target's availability (a test ending on it is unanswered). The pause
    # may have reached the service, so it is never sent again.
    no_answer: NoAnswer | None = None

    @property
    def sent(self) -> str:
        """The request body as sent (redacted), for failure messages."""
        if self.reply is None or self.reply.exchange.request.body is None:
            return "(not recorded)"
        return self.reply.exchange.request.body

    @property
    def received(self) -> str:
        """`status body` of the answer (redacted, clipped), for failure messages."""
        if self.reply is None:
            return f"nothing ({self.crash})"
        text = self.reply.exchange.response.body.replace("\n", " ") if self.reply.exchange.response else ""
        return f"{self.reply.status} {text[:400]}{'...' if len(text) > 400 else ''}"


class _RetryAfter(BackoffStrategy):
    """The SDK's retry waits as the throttled answer's Retry-After says (seconds; an HTTP date: 1 s), capped."""

    def __init__(self, traffic: SdkTraffic) -> None:
        self._traffic = traffic

    def calculate_retry_delay_millis(self, retries: int) -> int:
        last = self._traffic.last
        value = last.headers.get("retry-after") if last is not None else None
        try:
            seconds = float(value) if value is not None else 0.0
        except ValueError:
            seconds = 1.0
        return int(min(max(seconds, 0.0), _MAX_RETRY_AFTER_S) * 1000)


def _throttled(traffic: SdkTraffic) -> Callable[[Any, Exception | None], bool]:
    """The SDK's retry condition: the last answer was a 429 that says when to come back."""

    def condition(response: Any, error: Exception | None) -> bool:
        last = traffic.last
        return last is not None and last.status == 429 and "retry-after" in last.headers

    return condition


def pause(
    client: DrsClient,
    traffic: SdkTraffic,
    items: Iterable[tuple[str | None, str | None]],
    *,
    language: str | None = None,
) -> SdkCall:
    """Call batch_stop_jobs with (job_id, pause_mode) items; None leaves a field out of the item."""
    jobs = [PauseInfo(job_id=job_id, pause_mode=mode) for job_id, mode in items]
    request = BatchStopJobsRequest(x_language=language, body=BatchPauseJobReq(jobs=jobs))
    traffic.last = None
    response = error = crash = None
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_DEPRECATION, category=DeprecationWarning)
        try:
            invoker = client.batch_stop_jobs_invoker(request)
            response = invoker.with_retry(_throttled(traffic), _THROTTLED_RETRIES, _RetryAfter(traffic)).invoke()
        except ServiceResponseException as exc:
            error = exc
        except _TRANSPORT_FAILURES as exc:
            crash = f"{type(exc).__name__}: {traffic.redactor.text(str(exc))[:300]}"
            lost = no_answer(
                "POST",
                f"batch-pause-task ({SDK_OPERATION} of the SDK)",
                Unanswered(what=crash, maybe_sent=True),
                1,
                repeatable=False,
                redact=traffic.redactor.text,
            )
            return SdkCall(response=None, error=None, reply=None, crash=crash, no_answer=lost)
        except Exception as exc:
            crash = f"{type(exc).__name__}: {traffic.redactor.text(str(exc))[:300]}"
    return SdkCall(response=response, error=error, reply=traffic.last, crash=crash)


def _same(raw: Any, parsed: Any) -> bool:
    """Equal and of the same JSON type (a coerced "1" -> 1 is a difference)."""
    if isinstance(raw, bool) or isinstance(parsed, bool):
        return raw is parsed
    return type(raw) is type(parsed) and raw == parsed


def _model_fields(model: Any, raw: Any, where: str) -> list[str]:
    """Differences between one SDK model and the raw JSON object it was parsed from."""
    if not isinstance(raw, dict):
        return [f"{where} is {json.dumps(raw)[:80]}, not an object the SDK can read"]
    found = []
    for attr, key in type(model).attribute_map.items():
        value = getattr(model, attr)
        if attr == "results":
            continue
        if key not in raw:
            if value is not None:
                found.append(f"{where}.{key} is absent but the SDK reads {value!r}")
        elif not _same(raw[key], value):
            found.append(f"{where}.{key} is {json.dumps(raw[key])} but the SDK reads {value!r}")
    return found


def model_differences(response: BatchStopJobsResponse, body: bytes) -> list[str]:
    """What the SDK's model of a 200 lost or changed compared with the body it was parsed from (empty: none)."""
    try:
        raw = json.loads(body)
    except ValueError:
        return ["the body is not JSON: the SDK gives an empty response model"]
    found = _model_fields(response, raw, "body")
    if not isinstance(raw, dict):
        return found
    raw_results = raw.get("results")
    parsed: Sequence[Any] = response.results or []
    if not isinstance(raw_results, list):
        return [*found, f"body.results is {json.dumps(raw_results)[:80]}, not the array the SDK reads"]
    if len(parsed) != len(raw_results):
        found.append(f"body.results has {len(raw_results)} item(s) but the SDK reads {len(parsed)}")
    for index, (item, model) in enumerate(zip(raw_results, parsed, strict=False)):
        found.extend(_model_fields(model, item, f"results[{index}]"))
    return found


def error_fields(body: bytes) -> tuple[Any, Any]:
    """(error_code, error_msg) at the top level of a JSON error body, (None, None) if absent or not JSON."""
    try:
        raw = json.loads(body)
    except ValueError:
        return None, None
    if not isinstance(raw, dict):
        return None, None
    return raw.get("error_code"), raw.get("error_msg")
