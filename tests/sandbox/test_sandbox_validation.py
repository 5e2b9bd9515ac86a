"""Validators: the kit's one builder (views of the contract's schemas) and the sandbox's cached sets per schema edit."""

from __future__ import annotations

from typing import Any

import pytest

from drs_conformance.contract.spec import contract
from drs_conformance.contract.validators import build_validator, contract_validator, inline_refs
from drs_conformance.sandbox.errors import (
    InvalidBody,
    InvalidJobId,
    InvalidPauseMode,
    SandboxError,
)
from drs_conformance.sandbox.policy import SchemaEdits
from drs_conformance.sandbox.validation import classify, request_validators, validate

C = contract()
EXAMPLE = C.example_request
EXAMPLE_ID = C.example_job_id


def errors(validator: Any, document: Any) -> list[tuple[str, str]]:
    return sorted((str(list(e.absolute_path)), e.message) for e in validator.iter_errors(document))


@pytest.mark.parametrize(
    "document",
    [
        pytest.param(EXAMPLE, id="example"),
        pytest.param({"jobs": []}, id="empty-jobs"),
        pytest.param({"jobs": [{"job_id": "x", "pause_mode": "ALL"}]}, id="bad-item"),
        pytest.param({"jobs": [{}, 3, {"job_id": EXAMPLE_ID}]}, id="mixed"),
        pytest.param([], id="not-an-object"),
    ],
)
def test_inlined_validator_finds_the_same_errors(document: Any) -> None:
    plain = contract_validator("BatchPauseRequest")
    inlined = contract_validator("BatchPauseRequest", inline=True)
    assert errors(inlined, document) == errors(plain, document), "inlining references changed a verdict"


def test_inlined_schema_has_no_references() -> None:
    schema = inline_refs(C.resolved_schema("BatchPauseRequest"))
    assert "$ref" not in repr(schema) and "$defs" not in schema, "received a schema that still refers"


def test_validators_are_built_once_per_view() -> None:
    assert contract_validator("ErrorResponse") is contract_validator("ErrorResponse")
    assert contract_validator("ErrorResponse", documented=True) is not contract_validator("ErrorResponse")


def test_documented_view_leaves_out_what_the_kit_infers() -> None:
    body = {"error_code": "", "error_msg": ""}  # empty: allowed by the documents, not by the kit's reading
    assert contract_validator("ErrorResponse", documented=True).is_valid(body), "the documented view must accept it"
    assert not contract_validator("ErrorResponse").is_valid(body), "the full view must refuse it (SHOULD)"


def test_closed_view_refuses_extra_fields() -> None:
    document = {**EXAMPLE, "extra": 1}
    assert contract_validator("BatchPauseRequest").is_valid(document), "the contract allows extra fields"
    assert not contract_validator("BatchPauseRequest", closed=True).is_valid(document), "closed must refuse them"


def test_edit_changes_a_copy_only() -> None:
    edited = build_validator("BatchPauseRequest", edit=SchemaEdits(job_id_hex_only=True))
    assert not edited.is_valid(EXAMPLE), "the example id (…9jb502) is not hexadecimal"
    assert contract_validator("BatchPauseRequest").is_valid(EXAMPLE), "an edit must not reach the shared schema"


def test_sandbox_validators_are_cached_per_edit() -> None:
    clean = request_validators(SchemaEdits())
    assert request_validators(SchemaEdits()) is clean
    assert request_validators(SchemaEdits(mode_any_string=True)) is not clean
    assert request_validators(SchemaEdits(mode_any_string=True)).pause.is_valid(
        {"jobs": [{"job_id": EXAMPLE_ID, "pause_mode": "TARGET"}]}
    ), "mode_any_string must accept any pause_mode"


@pytest.mark.parametrize(
    ("document", "error", "key"),
    [
        pytest.param([], InvalidBody, "body.not_object", id="not-object"),
        pytest.param({"jobs": []}, InvalidBody, "body.jobs_empty", id="jobs-empty"),
        pytest.param({"jobs": [{"job_id": "x", "pause_mode": "all"}]}, InvalidJobId, "item.job_id_rule", id="job-id"),
        pytest.param(
            {"jobs": [{"job_id": EXAMPLE_ID, "pause_mode": "ALL"}]},
            InvalidPauseMode,
            "item.pause_mode",
            id="pause-mode",
        ),
        pytest.param({"jobs": [{}]}, InvalidBody, "item.empty", id="empty-item"),
    ],
)
def test_first_violation_becomes_its_wire_error(document: Any, error: type[SandboxError], key: str) -> None:
    with pytest.raises(error) as raised:
        validate(request_validators(SchemaEdits()).pause, document)
    assert raised.value.key == key, f"received {raised.value.key}, documented {key}"
    first = next(contract_validator("BatchPauseRequest", inline=True).iter_errors(document))
    assert type(classify(first)) is error
