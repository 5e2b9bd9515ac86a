"""schemathesis' failures are named by catalogue requirements, read from what was sent."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import schemathesis.openapi.checks  # noqa: F401  (defines the OpenAPI failure classes)
from schemathesis.core.failures import Failure

from drs_conformance.contract.catalogue import catalogue
from drs_conformance.contract.checks import NonConformance
from drs_conformance.contract.exchange import Exchange, RecordedRequest
from drs_conformance.contract.spec import PAUSE_PATH, RETRY_PATH, STATUS_PATH
from drs_conformance.schemathesis_suite.failures import FAILURE_REQUIREMENTS, named_failure, requirement_of
from drs_conformance.schemathesis_suite.requests import Sent
from drs_conformance.transport.client import Reply

VALID_ID = "8d0e8e36-a618-490d-8a46-8c61ac9jb502"  # the document's own id: its last group is not hex
HEX_ID = "8d0e8e36-a618-490d-8a46-8c61ac9eb502"

# What was sent, in the shapes the table's functions tell apart.
SITUATIONS = {
    "valid pause": Sent(PAUSE_PATH, "under-test", job_ids=(VALID_ID,)),
    "valid pause, hex ids": Sent(PAUSE_PATH, "under-test", job_ids=(HEX_ID,)),
    "pause with a bad id": Sent(PAUSE_PATH, "under-test", broken=(("JOB-ID-RULE", "jobs[0].job_id"),)),
    "pause without credentials": Sent(PAUSE_PATH, "under-test", broken=(("AUTH-REQUIRED", "no credentials"),)),
    "pause naming a job twice": Sent(
        PAUSE_PATH, "under-test", choices=(("DUPLICATE-IDS", "twice"),), job_ids=(VALID_ID, VALID_ID)
    ),
    "oversized pause with a bad item": Sent(
        PAUSE_PATH, "under-test", broken=(("ITEM-SHAPE", "jobs[3]"),), oversized=True
    ),
    "valid status": Sent(STATUS_PATH, "supporting", job_ids=(VALID_ID,)),
    "status with paging": Sent(STATUS_PATH, "supporting", job_ids=(VALID_ID,), inferred=("page_req",)),
    "status with a bad body": Sent(STATUS_PATH, "supporting", broken=(("BODY-SHAPE", "no body"),)),
    "retry without credentials": Sent(RETRY_PATH, "supporting", broken=(("AUTH-REQUIRED", "no credentials"),)),
}
STATUSES = (200, 400, 401, 413, 422, 500)


def reply(status: int, body: bytes = b"{}", content_type: str = "application/json") -> Reply:
    """An answer as the kit's client returns it, without a network."""
    request = RecordedRequest("POST", "http://target.invalid/v3/p/jobs/batch-pause-task", [])
    return Reply(status, httpx.Headers({"content-type": content_type}), body, Exchange(request))


def failure_classes() -> dict[str, type[Failure]]:
    """Every failure class this schemathesis defines, by name."""

    def walk(cls: type[Failure]) -> Iterator[type[Failure]]:
        for sub in cls.__subclasses__():
            yield sub
            yield from walk(sub)

    return {cls.__name__: cls for cls in walk(Failure)}


def failure(name: str, message: str = "explained") -> Failure:
    """An instance of the schemathesis failure class `name` (its own constructor arguments vary by class)."""
    instance = failure_classes()[name].__new__(failure_classes()[name])
    Failure.__init__(instance, operation="POST /v3/{project_id}/jobs/batch-pause-task", message=message)
    return instance


def test_every_class_the_table_names_is_a_schemathesis_failure() -> None:
    unknown = sorted(set(FAILURE_REQUIREMENTS) - set(failure_classes()))
    assert not unknown, f"the table names classes this schemathesis does not define (renamed?): {unknown}"


@pytest.mark.parametrize("name", [pytest.param(name, id=name) for name in sorted(failure_classes())])
def test_every_schemathesis_failure_maps_to_a_catalogue_id(name: str) -> None:
    for situation, sent in SITUATIONS.items():
        for status in STATUSES:
            requirement = requirement_of(failure(name), sent, reply(status))
            assert requirement is None or requirement in catalogue(), (
                f"{name} for a {situation} answered {status}: {requirement!r} is no catalogue id"
            )


@pytest.mark.parametrize(
    ("name", "situation", "status", "expected"),
    [
        pytest.param("ServerError", "valid pause", 500, "NO-5XX", id="server-error"),
        pytest.param("MalformedJson", "valid pause", 200, "JSON-RESPONSES", id="malformed-json"),
        pytest.param("IgnoredAuth", "valid status", 200, "AUTH-REQUIRED", id="ignored-auth"),
        pytest.param("AllowHeaderMismatch", "valid pause", 405, "HTTP-METHODS", id="allow-header"),
        pytest.param("JsonSchemaError", "pause with a bad id", 400, "ERROR-BODY", id="schema-of-400"),
        pytest.param("JsonSchemaError", "valid pause", 200, "RESPONSE-SCHEMA", id="schema-of-200"),
        pytest.param("AcceptedNegativeData", "pause with a bad id", 200, "JOB-ID-RULE", id="accepted-bad-id"),
        pytest.param("AcceptedNegativeData", "pause naming a job twice", 200, None, id="accepted-duplicates"),
        pytest.param(
            "AcceptedNegativeData", "oversized pause with a bad item", 413, None, id="too-large-refused-as-such"
        ),
        pytest.param(
            "AcceptedNegativeData",
            "oversized pause with a bad item",
            200,
            "ITEM-SHAPE",
            id="too-large-and-malformed-served",
        ),
        pytest.param("AcceptedNegativeData", "pause with a bad id", 413, "JOB-ID-RULE", id="413-within-limits"),
        pytest.param("AcceptedNegativeData", "status with a bad body", 200, None, id="accepted-by-supporting"),
        pytest.param(
            "AcceptedNegativeData", "retry without credentials", 200, "AUTH-REQUIRED", id="accepted-without-credentials"
        ),
        pytest.param("RejectedPositiveData", "valid pause", 400, "JOB-ID-WELL-FORMED", id="refused-document-id"),
        pytest.param("RejectedPositiveData", "valid pause, hex ids", 400, "BATCH-100", id="refused-hex-id"),
        pytest.param("RejectedPositiveData", "valid pause", 413, "BATCH-100", id="refused-as-too-large"),
        pytest.param("RejectedPositiveData", "valid status", 400, "SUPPORT-STATUS", id="refused-status"),
        pytest.param("RejectedPositiveData", "pause with a bad id", 400, None, id="refused-invalid"),
        pytest.param("RejectedPositiveData", "status with paging", 400, None, id="refused-inferred-paging"),
        pytest.param("UndefinedStatusCode", "status with paging", 422, None, id="status-of-inferred-paging"),
        pytest.param("UndefinedStatusCode", "valid status", 429, "RESPONSE-SCHEMA", id="status-of-valid-status"),
        pytest.param("UndefinedStatusCode", "pause naming a job twice", 422, "DUPLICATE-IDS", id="status-of-choice"),
        pytest.param("UndefinedStatusCode", "pause with a bad id", 422, "JOB-ID-RULE", id="status-of-bad-id"),
        pytest.param(
            "UndefinedStatusCode", "status with a bad body", 422, "RESPONSE-SCHEMA", id="status-of-supporting"
        ),
        pytest.param("ResponseTimeExceeded", "valid pause", 200, "RESPONSE-SCHEMA", id="unmapped"),
    ],
)
def test_a_failure_is_named_by_the_rule_of_what_was_sent(
    name: str, situation: str, status: int, expected: str | None
) -> None:
    requirement = requirement_of(failure(name), SITUATIONS[situation], reply(status))
    assert requirement == expected, (
        f"{name} for a {situation} answered {status}: {requirement!r}, expected {expected!r}"
    )


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        pytest.param("application/problem+json", None, id="another-json-type"),
        pytest.param("application/json; charset=utf-8", None, id="charset"),
        pytest.param("text/plain", "JSON-RESPONSES", id="text"),
    ],
)
def test_an_unlisted_content_type_fails_only_when_it_is_not_json(content_type: str, expected: str | None) -> None:
    answer = reply(401, b"{}", content_type)
    assert requirement_of(failure("UndefinedContentType"), SITUATIONS["valid pause"], answer) == expected


def test_a_subclass_is_named_as_its_mapped_parent() -> None:
    parent = failure_classes()["ServerError"]
    child = type("VendorServerError", (parent,), {})
    instance = child.__new__(child)
    Failure.__init__(instance, operation="POST /x", message="crashed")
    requirement = requirement_of(instance, SITUATIONS["valid pause"], reply(500))
    assert requirement == "NO-5XX", f"a subclass of ServerError was named {requirement!r}"


def test_several_failures_of_one_answer_are_named_by_the_first_in_table_order() -> None:
    group = BaseExceptionGroup("two", [failure("JsonSchemaError", "not the schema"), failure("ServerError", "boom")])
    named = named_failure(group, SITUATIONS["valid pause"], reply(500, b'{"error_code": "X"}'))
    assert isinstance(named, NonConformance), f"no NonConformance for a 5xx: {named!r}"
    assert named.requirement == "NO-5XX", f"named {named.requirement}, expected NO-5XX (first in table order)"
    assert "schemathesis: boom" in named.detail, f"the first failure's explanation is missing: {named.detail!r}"
    assert "also: " in named.detail, f"the other failure is not mentioned: {named.detail!r}"


def test_failures_the_contract_excuses_name_nothing() -> None:
    group = BaseExceptionGroup("one", [failure("AcceptedNegativeData")])
    named = named_failure(group, SITUATIONS["pause naming a job twice"], reply(200))
    assert named is None, f"a served allowed choice was named a failure: {named!r}"


def test_a_long_explanation_is_clipped() -> None:
    group = BaseExceptionGroup("one", [failure("ServerError", "x" * 5000)])
    named = named_failure(group, SITUATIONS["valid pause"], reply(500))
    assert named is not None and len(named.detail) < 1500, f"not clipped: {len(named.detail) if named else None}"
    assert named.detail.endswith(" [...]"), f"a clipped explanation should say so: {named.detail[-20:]!r}"
