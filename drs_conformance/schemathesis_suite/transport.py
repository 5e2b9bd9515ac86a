"""The bridge between a schemathesis case and the kit's client, so every request is recorded, redacted and signed."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import httpx
import requests

from drs_conformance.contract.spec import PAUSE_PATH, RETRY_PATH, contract
from drs_conformance.live.target import Target
from drs_conformance.schemathesis_suite.requests import Wire
from drs_conformance.transport.client import DrsClient, Reply
from drs_conformance.transport.credentials import Credentials, NoCredentials

if TYPE_CHECKING:
    import schemathesis

__all__ = ["CREDENTIALS_MARKER", "NO_RESEND", "KitCredentials", "as_httpx", "security_header", "send", "to_wire"]

# Where schemathesis puts a token, the kit puts this marker, and sends the case with its own credentials.
CREDENTIALS_MARKER = "drs-conformance-applies-its-credentials"
# Any re-send a schemathesis check attempts on its own would bypass the kit's client: aim it nowhere.
NO_RESEND = {"base_url": "http://127.0.0.1:9"}
# Headers schemathesis adds for its own bookkeeping (and requests' defaults): the kit's client sends its own.
_NOT_FORWARDED = frozenset({"content-length", "user-agent", "x-schemathesis-testcaseid"})
_TRANSPORT_DEFAULTS = {name.lower(): value for name, value in requests.utils.default_headers().items()}
_ALLOWED_KWARGS = frozenset({"method", "url", "headers", "params", "cookies", "json", "data", "files"})


def security_header(scheme: str) -> str:
    """The header a security scheme of the document names (`token`, `aksk`), as the contract spells it."""
    return str(contract().document["components"]["securitySchemes"][scheme]["name"])


class KitCredentials:
    """The `token` scheme, supplied: schemathesis knows credentials are set, the kit sends the real ones."""

    # schemathesis applies it to every generated case; none omits the token on purpose, because security
    # schemes are not generated as parameters (`with-security-parameters: false`): missing and invalid
    # credentials are probed by the contract suite through the kit's client instead.

    def get(self, case: schemathesis.Case, context: Any) -> str:
        """The marker, never a secret: the kit's client applies the target's credentials when sending."""
        return CREDENTIALS_MARKER

    def set(self, case: schemathesis.Case, data: str, context: Any) -> None:
        """Where schemathesis would put the token, so that `to_wire` can tell a case that carries one."""
        case.headers[security_header("token")] = data


def to_wire(case: schemathesis.Case, target: Target, stand_in: str | None) -> Wire:
    """The case serialised exactly as schemathesis would send it, for the target, without credentials."""
    case.path_parameters = {**case.path_parameters, "project_id": target.project_id}
    kwargs = case.as_transport_kwargs(base_url=target.base_url)
    unknown = set(kwargs) - _ALLOWED_KWARGS
    assert not unknown, f"schemathesis serialised the case with {unknown}: the contract suite cannot send that"
    prepared = requests.Request(
        method=kwargs["method"],
        url=kwargs["url"],
        headers=kwargs.get("headers"),
        params=kwargs.get("params"),
        cookies=kwargs.get("cookies"),
        json=kwargs.get("json"),
        data=kwargs.get("data"),
        files=kwargs.get("files"),
    ).prepare()
    raw = prepared.body  # requests gives str or bytes for the json= and data= schemathesis serialises
    assert raw is None or isinstance(raw, str | bytes), f"schemathesis serialised a streamed body ({type(raw)})"
    body = raw.encode("utf-8") if isinstance(raw, str) else raw
    if stand_in is not None and body and case.path in (PAUSE_PATH, RETRY_PATH):
        body = body.replace(contract().example_job_id.encode(), stand_in.encode())
    headers = {
        name: value if isinstance(value, str) else value.decode("latin-1")
        for name, value in prepared.headers.items()
        if name.lower() not in _NOT_FORWARDED and _TRANSPORT_DEFAULTS.get(name.lower()) != value
    }
    token_header = security_header("token")
    with_credentials = headers.get(token_header) == CREDENTIALS_MARKER
    if with_credentials:
        del headers[token_header]
    url = str(prepared.url)
    assert url.startswith(target.base_url), f"{url} is not under the target's base URL {target.base_url}"
    return Wire(str(prepared.method), url[len(target.base_url) :], headers, body or None, with_credentials)


def send(
    api: DrsClient,
    target: Target,
    wire: Wire,
    label: str,
    *,
    credentials: Credentials | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    """Send through the kit's client: the target's credentials if the case carried the marker, else none."""
    if credentials is None:
        credentials = target.credentials if wire.with_credentials else NoCredentials()
    return api.send(
        wire.method,
        wire.path,
        content=wire.body,
        headers={**wire.headers, **(headers or {})},
        credentials=credentials,
        project_id=target.project_id,
        label=label,
    )


# How the body travelled (compressed, chunked, its length on the wire): `Reply.content` is already decoded,
# so a response rebuilt from it must not say so (httpx would decode it a second time: "incorrect header check").
_WIRE_ENCODING_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})


def as_httpx(target: Target, wire: Wire, reply: Reply) -> httpx.Response:
    """The answer in the form `Case.validate_response` takes (the request as sent, minus credentials).

    The body is the decoded one the kit judged; headers that describe its wire encoding are left out
    (httpx sets Content-Length for the decoded body), every other header is kept.
    """
    request = httpx.Request(wire.method, target.base_url + wire.path, headers=wire.headers, content=wire.body)
    headers = [
        (name, value) for name, value in reply.headers.multi_items() if name.lower() not in _WIRE_ENCODING_HEADERS
    ]
    response = httpx.Response(reply.status, headers=headers, content=reply.content, request=request)
    elapsed = reply.exchange.response.elapsed_ms if reply.exchange.response is not None else 0.0
    response.elapsed = dt.timedelta(milliseconds=elapsed)
    return response
