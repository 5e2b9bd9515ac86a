"""A request is judged against the contract as written: the rules it breaks, the allowed choices it makes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from drs_conformance.contract.spec import PAUSE_PATH, RETRY_PATH, STATUS_PATH, contract
from drs_conformance.schemathesis_suite.requests import RULE_ORDER, Sent, Wire, classify_request

JOB = "8d0e8e36-a618-490d-8a46-8c61ac9jb502"  # the document's own id (its last group is not hex)
OTHER = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
JSON_HEADERS = {"Content-Type": "application/json"}


def wire(
    body: Any = None, *, raw: bytes | None = None, headers: dict[str, str] | None = None, credentials: bool = True
) -> Wire:
    """A POST as the suite sends it: `body` as JSON (or `raw` bytes as they are), JSON headers by default."""
    content = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    return Wire(
        "POST", "/v3/p/jobs/batch-pause-task", JSON_HEADERS if headers is None else headers, content, credentials
    )


def pause(*items: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A pause body of these items (and extra top-level fields)."""
    return {"jobs": list(items), **extra}


def item(job_id: Any = JOB, mode: str = "target", **extra: Any) -> dict[str, Any]:
    """One pause item."""
    return {"job_id": job_id, "pause_mode": mode, **extra}


def rules(sent: Sent) -> tuple[list[str], list[str]]:
    """The names of the broken rules and of the allowed choices (each once: one rule may be broken twice)."""
    return sorted({name for name, _ in sent.broken}), sorted({name for name, _ in sent.choices})


@pytest.mark.parametrize(
    ("operation", "request_wire", "broken", "choices"),
    [
        pytest.param(PAUSE_PATH, wire(pause(item(), item(OTHER, "all"))), [], [], id="valid-pause"),
        pytest.param(STATUS_PATH, wire({"jobs": [JOB]}), [], [], id="valid-status"),
        pytest.param(RETRY_PATH, wire({"jobs": [{"job_id": JOB}]}), [], [], id="valid-retry"),
        # Allowed choices: well formed, answered as the target chooses.
        pytest.param(PAUSE_PATH, wire(pause(item(), item())), [], ["DUPLICATE-IDS"], id="duplicates"),
        pytest.param(PAUSE_PATH, wire(pause(item(), note="x")), [], ["EXTRA-FIELDS"], id="extra-top-level-field"),
        pytest.param(PAUSE_PATH, wire(pause(item(colour="red"))), [], ["EXTRA-FIELDS"], id="extra-item-field"),
        pytest.param(
            PAUSE_PATH,
            wire(pause(*(item(f"{n:08x}-0000-0000-0000-000000000000") for n in range(101)))),
            [],
            ["BATCH-OVER-100"],
            id="101-items",
        ),
        pytest.param(
            PAUSE_PATH,
            wire(raw=json.dumps(pause(item())).encode() + b" " * contract().body_limit),
            [],
            ["BODY-OVER-1MIB"],
            id="body-over-1mib",
        ),
        pytest.param(
            PAUSE_PATH,
            wire(pause(item()), headers={**JSON_HEADERS, "X-Language": "fr-fr"}),
            [],
            ["LANGUAGE-UNKNOWN"],
            id="unknown-language",
        ),
        pytest.param(
            PAUSE_PATH,
            wire(pause(item()), headers={**JSON_HEADERS, "X-Language": "zh-cn"}),
            [],
            [],
            id="documented-language",
        ),
        # Broken rules: the request must be refused.
        pytest.param(PAUSE_PATH, wire(raw=b"{jobs"), ["BODY-SHAPE"], [], id="not-json"),
        pytest.param(PAUSE_PATH, wire(), ["BODY-SHAPE"], [], id="no-body"),
        pytest.param(PAUSE_PATH, wire(raw=b'{"jobs": NaN}'), ["BODY-SHAPE"], [], id="nan-is-not-json"),
        pytest.param(PAUSE_PATH, wire({"jobs": []}), ["BODY-SHAPE"], [], id="empty-batch"),
        pytest.param(PAUSE_PATH, wire({}), ["BODY-SHAPE"], [], id="no-jobs"),
        pytest.param(PAUSE_PATH, wire(pause({})), ["ITEM-SHAPE"], [], id="empty-item"),
        pytest.param(PAUSE_PATH, wire(pause(item(job_id=7))), ["ITEM-SHAPE"], [], id="id-not-a-string"),
        pytest.param(PAUSE_PATH, wire(pause(item(JOB.upper()))), ["JOB-ID-RULE"], [], id="upper-case-id"),
        pytest.param(PAUSE_PATH, wire(pause(item(JOB + "\n"))), ["JOB-ID-RULE"], [], id="id-with-newline"),
        pytest.param(STATUS_PATH, wire({"jobs": ["urn:uuid:" + JOB]}), ["JOB-ID-RULE"], [], id="status-bad-id"),
        pytest.param(PAUSE_PATH, wire(pause(item(mode="none"))), ["PAUSE-MODE-VALUES"], [], id="unknown-mode"),
        pytest.param(
            PAUSE_PATH,
            wire(pause(item()), headers={"Content-Type": "text/plain"}),
            ["CONTENT-TYPE-REFUSED"],
            [],
            id="text-content-type",
        ),
        pytest.param(
            PAUSE_PATH,
            wire(pause(item()), headers={"Content-Type": "application/json; charset=utf-8"}),
            [],
            [],
            id="json-with-charset",
        ),
        pytest.param(PAUSE_PATH, wire(pause(item()), credentials=False), ["AUTH-REQUIRED"], [], id="no-credentials"),
    ],
)
def test_a_request_is_judged_by_the_contract_as_written(
    operation: str, request_wire: Wire, broken: list[str], choices: list[str]
) -> None:
    sent = classify_request(operation, request_wire)
    assert rules(sent) == (broken, choices), f"judged {sent.summary()}; expected broken {broken}, choices {choices}"


def test_a_valid_request_keeps_its_ids_and_is_no_choice() -> None:
    sent = classify_request(PAUSE_PATH, wire(pause(item(), item(OTHER))))
    assert sent.job_ids == (JOB, OTHER), f"requested ids not kept in order: {sent.job_ids}"
    assert not sent.either, "a plain valid request was taken for an allowed choice"
    assert sent.summary() == "a well-formed request", f"summary: {sent.summary()!r}"
    assert sent.role == "under-test", f"batch-pause-task has role {sent.role!r}"


def test_a_choice_in_a_broken_request_is_no_choice() -> None:
    sent = classify_request(PAUSE_PATH, wire(pause(item(mode="none"), note="x")))
    assert sent.broken and sent.choices, f"expected a broken rule and a choice: {sent.summary()}"
    assert not sent.either, "a request that breaks a rule is judged by that rule, not by its Either rule"
    assert sent.job_ids is None, f"ids of a broken body were kept: {sent.job_ids}"


def test_the_first_broken_rule_follows_the_rule_order() -> None:
    sent = classify_request(
        PAUSE_PATH, wire(pause(item(mode="none")), headers={"Content-Type": "text/plain"}, credentials=False)
    )
    names = [name for name, _ in sent.broken]
    assert names == ["CONTENT-TYPE-REFUSED", "AUTH-REQUIRED", "PAUSE-MODE-VALUES"], f"broken, in order found: {names}"
    assert RULE_ORDER.index("PAUSE-MODE-VALUES") < RULE_ORDER.index("CONTENT-TYPE-REFUSED"), "rule order changed"
    assert sent.first_broken() == "PAUSE-MODE-VALUES", (
        f"first broken {sent.first_broken()!r} of {names}, expected the body's rule before the headers'"
    )


def test_a_supporting_operation_is_judged_as_supporting() -> None:
    sent = classify_request(STATUS_PATH, wire({"jobs": [JOB]}))
    assert sent.role == "supporting", f"batch-status has role {sent.role!r}"
    assert sent.job_ids == (JOB,), f"batch-status ids: {sent.job_ids}"


@pytest.mark.parametrize(
    ("request_wire", "oversized"),
    [
        pytest.param(wire(pause(*([item()] * 100))), False, id="100-items"),
        pytest.param(wire(pause(*([item()] * 100), {})), True, id="101-items-one-empty"),
        pytest.param(
            wire(raw=json.dumps(pause(item(mode="none"))).encode() + b" " * contract().body_limit),
            True,
            id="bad-mode-over-1mib",
        ),
        pytest.param(wire({"jobs": "x" * 200}), False, id="jobs-not-a-list"),
    ],
)
def test_an_oversized_request_is_known_as_such_whatever_else_it_breaks(request_wire: Wire, oversized: bool) -> None:
    sent = classify_request(PAUSE_PATH, request_wire)
    assert sent.oversized is oversized, (
        f"oversized={sent.oversized} for {sent.summary()}; documented: over 100 jobs or 1 MiB may get 413"
    )


@pytest.mark.parametrize(
    ("body", "inferred"),
    [
        pytest.param({"jobs": [JOB], "page_req": {"cur_page": 1, "per_page": 5}}, ("page_req",), id="with-paging"),
        pytest.param(
            {"jobs": [JOB], "page_req": {"cur_page": -1}}, ("page_req",), id="with-paging-the-kit-finds-wrong"
        ),
        pytest.param({"jobs": [JOB]}, (), id="without-paging"),
    ],
)
def test_batch_status_paging_is_marked_as_the_kits_inference(body: dict[str, Any], inferred: tuple[str, ...]) -> None:
    """page_req's content is inferred (x-drs-inferred): a refusal of it is not judged, whatever the kit reads."""
    sent = classify_request(STATUS_PATH, wire(body))
    assert sent.inferred == inferred, f"inferred parts: {sent.inferred}"
    if inferred:
        assert "page_req (its content is the kit's inference)" in sent.summary(), sent.summary()


def test_a_pause_has_no_inferred_part() -> None:
    assert classify_request(PAUSE_PATH, wire(pause(item(), page_req={"cur_page": 1}))).inferred == ()
