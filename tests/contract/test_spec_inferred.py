"""What the documents state and what the kit infers stay apart: a MUST never judges an inference."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from drs_conformance.contract.catalogue import catalogue
from drs_conformance.contract.checks import (
    INFERRED_CONSTRAINTS,
    NonConformance,
    check_inferred,
    check_response,
)
from drs_conformance.contract.exchange import Exchange, RecordedRequest
from drs_conformance.contract.spec import (
    INFERRED,
    PAUSE_PATH,
    RETRY_PATH,
    STATUS_PATH,
    documented_view,
    inferred_constraints,
    load_document,
)
from drs_conformance.transport.client import Reply

REPO = Path(__file__).resolve().parents[2]
AUDIT = REPO / "docs" / "undocumented-corners.md"
JOB = "8d0e8e36-a618-490d-8a46-8c61ac9jb502"
NOT_FOUND = {"error_code": "DRS.M05003", "error_message": "The task does not exist."}


def reply(status: int, body: Any, content_type: str = "application/json") -> Reply:
    """An answer as the kit's client returns it, without a network."""
    request = RecordedRequest("POST", "http://target.invalid/v3/p/jobs/batch-status", [])
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Reply(status, httpx.Headers({"content-type": content_type}), content, Exchange(request))


def failure_of(check: Any, answer: Reply, operation: str) -> str | None:
    """The requirement the check names for the answer, or None when it holds."""
    try:
        check(answer, operation)
    except NonConformance as failure:
        return failure.requirement
    return None


# -- the document -------------------------------------------------------------------------------------


def test_every_inference_says_why_and_is_in_the_audit() -> None:
    inferred = inferred_constraints(load_document())
    assert inferred, "the contract marks no inference; the audit expects several"
    audit = AUDIT.read_text(encoding="utf-8")
    for pointer, why in inferred:
        assert len(why) > 20, f"{pointer}: x-drs-inferred must say why ({why!r})"
        assert f"`{pointer}`" in audit, f"{pointer} is inferred but not listed in {AUDIT.relative_to(REPO)}"


def test_documented_view_drops_exactly_the_inferences() -> None:
    document = load_document()
    view = documented_view(document)
    assert not inferred_constraints(view), "the documented view still holds an x-drs-inferred subschema"
    assert INFERRED in json.dumps(document), "documented_view changed the document it was given"
    schemas = view["components"]["schemas"]
    assert schemas["BatchStatusRequest"]["properties"]["page_req"] == {}
    assert schemas["OptionalString"]["type"] == ["string", "null"] and schemas["OptionalString"]["allOf"] == [{}]
    assert schemas["JobStatus"] == document["components"]["schemas"]["JobStatus"], "a documented schema changed"


def test_the_inference_requirement_is_a_should_that_says_so() -> None:
    requirement = catalogue()[INFERRED_CONSTRAINTS]
    assert requirement.level == "SHOULD" and not requirement.fails_run
    assert "inference" in requirement.quote and "inference" in requirement.source


# -- batch-status: failed look-ups -------------------------------------------------------------------


@pytest.mark.parametrize(
    "result",
    [
        pytest.param({"id": JOB, **NOT_FOUND}, id="status-absent"),
        pytest.param({"id": JOB, "status": "", **NOT_FOUND}, id="status-empty"),
        pytest.param({"id": JOB, "status": None, **NOT_FOUND}, id="status-null"),
        pytest.param({"id": JOB, "status": "NOT_FOUND", **NOT_FOUND}, id="status-a-word-of-its-own"),
        pytest.param({"id": JOB, "status": "", "error_code": "DRS.M05003"}, id="error-code-only"),
        pytest.param({"id": JOB, "status": None}, id="status-null-without-error-fields"),
        pytest.param({"id": JOB}, id="id-only"),
        pytest.param(
            {"id": JOB, "status": "PAUSING", "error_code": None, "error_message": None}, id="found-null-fields"
        ),
    ],
)
def test_failed_look_ups_and_found_jobs_pass_the_documented_schema(result: dict[str, Any]) -> None:
    answer = reply(200, {"results": [result], "count": 1})
    assert failure_of(check_response, answer, STATUS_PATH) is None, "a documented choice failed a MUST"


def test_a_found_job_with_a_status_of_no_documented_value_fails() -> None:
    answer = reply(200, {"results": [{"id": JOB, "status": "PAUSED"}], "count": 1})
    with pytest.raises(NonConformance, match=r"results\[0\]\.status: 'PAUSED' is not one of") as caught:
        check_response(answer, STATUS_PATH)
    assert caught.value.requirement == "RESPONSE-SCHEMA"


# -- MUST against the documents, SHOULD against the inferences ----------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "operation"),
    [
        pytest.param(
            200,
            {"results": [{"id": JOB, "status": "success", "error_code": None, "error_msg": None}], "count": 1},
            PAUSE_PATH,
            id="pause-null-optional-fields",
        ),
        pytest.param(
            200,
            {"results": [{"id": JOB, "status": "failed", "error_code": None, "error_msg": None}], "count": 1},
            RETRY_PATH,
            id="retry-null-optional-fields",
        ),
        pytest.param(
            200,
            {"results": [{"id": JOB, "error_code": None, "error_message": None}], "count": 1},
            STATUS_PATH,
            id="status-null-error-fields",
        ),
        pytest.param(400, {"error_code": "", "error_msg": ""}, PAUSE_PATH, id="400-empty-fields"),
        pytest.param(401, ["unauthorized"], PAUSE_PATH, id="401-array"),
        pytest.param(403, {"error_code": 403, "error_msg": "forbidden"}, PAUSE_PATH, id="403-numeric-code"),
        pytest.param(429, "throttled", STATUS_PATH, id="429-string"),
    ],
)
def test_an_inference_broken_is_a_should_never_a_must(status: int, body: Any, operation: str) -> None:
    answer = reply(status, body)
    assert failure_of(check_response, answer, operation) is None, "an inference failed a MUST"
    with pytest.raises(NonConformance, match="not stated by the documents, the kit infers") as caught:
        check_inferred(answer, operation)
    assert caught.value.requirement == INFERRED_CONSTRAINTS
    assert "x-drs-inferred" not in str(caught.value), "the message names the reason, not the marker"


@pytest.mark.parametrize(
    ("status", "body", "requirement"),
    [
        pytest.param(200, {"results": [{"id": JOB, "status": 1}], "count": 1}, "RESPONSE-SCHEMA", id="status-number"),
        pytest.param(200, {"results": [{"id": JOB}], "count": 1}, "RESPONSE-SCHEMA", id="pause-status-missing"),
        pytest.param(
            200,
            {"results": [{"id": JOB, "status": "success", "error_code": 7}], "count": 1},
            "RESPONSE-SCHEMA",
            id="error-code-number",
        ),
        pytest.param(400, {"error_code": "DRS.M00300"}, "ERROR-BODY", id="400-no-error-msg"),
        pytest.param(400, {"error": {"error_code": "DRS.M00300", "error_msg": "x"}}, "ERROR-BODY", id="400-nested"),
    ],
)
def test_what_the_documents_state_stays_a_must(status: int, body: Any, requirement: str) -> None:
    assert failure_of(check_response, reply(status, body), PAUSE_PATH) == requirement


def test_a_conforming_answer_meets_the_inferences_too() -> None:
    ok = {
        "results": [
            {"id": JOB, "status": "success"},
            {"id": JOB.replace("jb", "kb"), "status": "failed", "error_code": "DRS.M05003", "error_msg": "not found"},
        ],
        "count": 2,
        "request_id": "extra fields are fine",
    }
    for answer, operation in (
        (reply(200, ok), PAUSE_PATH),
        (reply(400, {"error_code": "DRS.M00300", "error_msg": "bad"}), PAUSE_PATH),
        (reply(401, {"error_code": "APIG.0301", "error_msg": "no token"}), PAUSE_PATH),
        (reply(401, {"error": {"code": 401, "message": "IAM nests"}}), PAUSE_PATH),
    ):
        check_response(answer, operation)
        check_inferred(answer, operation)


def test_inferences_are_judged_after_the_documents() -> None:
    """check_inferred sees JSON-ness too (it is JSON-RESPONSES, a MUST), never another MUST."""
    assert failure_of(check_inferred, reply(400, b"oops", "text/plain"), PAUSE_PATH) == "JSON-RESPONSES"
    assert failure_of(check_inferred, reply(503, b"down", "text/plain"), PAUSE_PATH) is None
