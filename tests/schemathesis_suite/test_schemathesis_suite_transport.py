"""The bridge to the kit's client: an answer compressed on the wire reaches schemathesis as the body the kit judged."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
import schemathesis
from schemathesis import checks as schemathesis_checks

from drs_conformance.contract.exchange import Exchange, RecordedRequest
from drs_conformance.contract.spec import STATUS_PATH, load_document
from drs_conformance.sandbox import DEFAULT_PROJECT, DEFAULT_TOKEN, SandboxConfig, start_in_thread
from drs_conformance.schemathesis_suite import Wire, as_httpx, generation_document, send
from drs_conformance.transport.client import DrsClient, Reply
from drs_conformance.transport.credentials import TokenCredentials
from drs_conformance.transport.redaction import Redactor

UNKNOWN = "d0d0d0d0-c0de-4kit-9bad-00000nojob00"
# As the contract suite validates: ignored_auth would probe on its own (the suite probes through the kit),
# and any re-send schemathesis attempts is aimed nowhere.
VALIDATION = {
    "excluded_checks": [schemathesis_checks.ignored_auth],
    "transport_kwargs": {"base_url": "http://127.0.0.1:9"},
}
STATUS_BODY = {
    "results": [{"id": UNKNOWN, "status": "", "error_code": "DRS.M05003", "error_message": "no"}],
    "count": 1,
}


def status_wire(project_id: str = DEFAULT_PROJECT, accept: str = "gzip") -> Wire:
    body = json.dumps({"jobs": [UNKNOWN]}).encode()
    headers = {"Content-Type": "application/json", "Accept-Encoding": accept}
    return Wire("POST", STATUS_PATH.format(project_id=project_id), headers, body, with_credentials=True)


def answered(status: int, body: Any, request: httpx.Request) -> httpx.Response:
    """A hand-made answer as schemathesis takes it (it reads `elapsed`)."""
    response = httpx.Response(status, json=body, request=request)
    response.elapsed = dt.timedelta(0)
    return response


def operation() -> Any:
    """batch-status as the contract suite's schemathesis sees it (response schemas as documented)."""
    schema = schemathesis.openapi.from_dict(generation_document(load_document(), languages=True))
    return schema[STATUS_PATH]["POST"]


def test_a_decoded_body_is_not_decoded_again() -> None:
    """What the client read was gzip on the wire: the rebuilt response has the body, not the encoding."""
    decoded = json.dumps(STATUS_BODY).encode()
    headers = httpx.Headers(
        {
            "content-type": "application/json",
            "content-encoding": "gzip",
            "x-request-id": "r1",
            "content-length": str(len(gzip.compress(decoded))),
            "transfer-encoding": "chunked",
        }
    )
    request = RecordedRequest("POST", "http://target.invalid" + STATUS_PATH, [])
    reply = Reply(200, headers, decoded, Exchange(request))

    response = as_httpx(SimpleNamespace(base_url="http://target.invalid"), status_wire(), reply)  # type: ignore[arg-type]

    assert response.content == decoded and response.json() == STATUS_BODY
    assert "content-encoding" not in response.headers and "transfer-encoding" not in response.headers
    assert response.headers["content-length"] == str(len(decoded)), "the length is the decoded body's"
    assert response.headers["x-request-id"] == "r1", "a header that says nothing of the encoding was dropped"


@pytest.fixture(scope="module")
def gateway() -> Iterator[SimpleNamespace]:
    """A sandbox behind the gateway variant, and the kit's client on it."""
    with start_in_thread(SandboxConfig(variants={"gateway": "apig", "failed-lookup-status": "empty"})) as sandbox:
        client = DrsClient(
            base_url=sandbox.url,
            project_id=DEFAULT_PROJECT,
            credentials=TokenCredentials(DEFAULT_TOKEN),
            redactor=Redactor(),
        )
        yield SimpleNamespace(
            base_url=sandbox.url, project_id=DEFAULT_PROJECT, credentials=client.credentials, client=client
        )
        client.close()


@pytest.mark.parametrize("accept", ["gzip", "deflate"])
def test_a_compressed_answer_passes_schemathesis_as_documented(gateway: SimpleNamespace, accept: str) -> None:
    """Through the kit's client and the bridge, schemathesis validates the decoded body, and a failed look-up
    whose status is "" is documented (what the issue measured as a false RESPONSE-SCHEMA failure)."""
    wire = status_wire(accept=accept)
    for _ in range(3):  # the gateway throttles now and then; the client waits and sends again
        reply = send(gateway.client, gateway, wire, "test")  # type: ignore[arg-type]
        assert reply.status == 200, f"received {reply.status} {reply.text}"
        assert reply.headers["content-encoding"] == accept, f"the gateway did not compress: {reply.headers}"
        assert reply.json()["results"][0]["status"] == "", "the sandbox no longer answers a failed look-up with ''"
        response = as_httpx(gateway, wire, reply)  # type: ignore[arg-type]
        case = operation().Case(
            body=json.loads(wire.body),
            path_parameters={"project_id": gateway.project_id},
            media_type="application/json",
        )
        case.validate_response(response, **VALIDATION)


def test_schemathesis_still_judges_what_is_documented() -> None:
    """The documented view keeps the job statuses: a found job with a status of no documented value fails."""
    body = {"results": [{"id": UNKNOWN, "status": "PAUSED"}], "count": 1}
    request = httpx.Request("POST", "http://target.invalid" + STATUS_PATH.format(project_id="p"))
    response = answered(200, body, request)
    case = operation().Case(
        body={"jobs": [UNKNOWN]}, path_parameters={"project_id": "p"}, media_type="application/json"
    )
    with pytest.raises(BaseExceptionGroup) as caught:
        case.validate_response(response, **VALIDATION)
    names = [type(failure).__name__ for failure in caught.value.exceptions]
    assert names == ["JsonSchemaError"], f"failures: {names}"


def test_schemathesis_accepts_null_optional_fields_and_any_platform_error() -> None:
    """Inferred constraints (x-drs-inferred) are no part of what schemathesis validates."""
    request = httpx.Request("POST", "http://target.invalid" + STATUS_PATH.format(project_id="p"))
    case = operation().Case(
        body={"jobs": [UNKNOWN]}, path_parameters={"project_id": "p"}, media_type="application/json"
    )
    found = {"results": [{"id": UNKNOWN, "status": "PAUSING", "error_code": None, "error_message": None}], "count": 1}
    for status, body in ((200, found), (401, ["not an object"]), (429, {"error_code": 308})):
        case.validate_response(answered(status, body, request), **VALIDATION)
