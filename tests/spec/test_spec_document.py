"""The contract as OpenAPI: valid, faithful to the document, and the only statement of its lists."""

from __future__ import annotations

import re
from pathlib import Path

import jsonschema
import pytest
from openapi_spec_validator import validate

from drs_conformance.spec import PAUSE_PATH, RETRY_PATH, STATUS_PATH, contract, load_document, spec_path

REPO = Path(__file__).resolve().parents[2]
SPEC = contract()


def test_document_is_valid_openapi_3_1() -> None:
    validate(load_document())  # raises with the first problem
    assert load_document()["openapi"].startswith("3.1"), "the contract is OpenAPI 3.1"


def test_documented_example_id_follows_the_job_id_rule() -> None:
    """The seed's own example id is well formed; a hex-only rule would reject it."""
    example = SPEC.example_job_id
    assert example == "8d0e8e36-a618-490d-8a46-8c61ac9jb502", "the example id is the document's"
    assert SPEC.job_id_regex.fullmatch(example), f"{example} breaks the contract's pattern {SPEC.job_id_pattern}"
    hex_only = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
    assert not hex_only.fullmatch(example), "the example's last group is not hexadecimal"


@pytest.mark.parametrize("job_id", [
    pytest.param("8d0e8e36-a618-490d-8a46-8c61ac9jb502", id="seed-example"),
    pytest.param("140b5236-88ad-43c8-811c-1268453jb101", id="notes-jb101"),
    pytest.param("00000000-0000-0000-0000-000000000000", id="zeros"),
])
def test_well_formed_ids_validate(job_id: str) -> None:
    jsonschema.validate(job_id, SPEC.resolved_schema("JobId"))


@pytest.mark.parametrize("job_id", [
    pytest.param("8d0e8e36-a618-490d-8a46-8c61ac9jb50", id="35-chars"),
    pytest.param("8d0e8e36a618-490d-8a46-8c61ac9jb5021", id="wrong-grouping"),
    pytest.param("8d0e8e36-a618-490d-8a46-8c61ac9jb50_", id="underscore"),
    pytest.param("8d0e8e36-a618-490d-8a46-8c61ac9jb502\n", id="trailing-newline"),
])
def test_malformed_ids_do_not_validate(job_id: str) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(job_id, SPEC.resolved_schema("JobId"))


def test_documented_example_request_and_response_follow_their_schemas() -> None:
    jsonschema.validate(SPEC.example_request, SPEC.resolved_schema("BatchPauseRequest"))
    jsonschema.validate(SPEC.example_response, SPEC.resolved_schema("BatchPauseResponse"))


def test_lists_of_the_contract() -> None:
    assert len(SPEC.statuses) == 29 and len(set(SPEC.statuses)) == 29, "29 distinct job statuses"
    assert set(SPEC.pausable_statuses) <= set(SPEC.statuses) and len(SPEC.pausable_statuses) == 5
    assert SPEC.paused_status in SPEC.statuses and SPEC.paused_status not in SPEC.pausable_statuses
    assert SPEC.job_types == ("migration", "sync", "cloudDataGuard")
    assert SPEC.pausable_types == ("migration", "sync")
    assert SPEC.pause_modes == ("target", "all")
    assert SPEC.languages == ("en-us", "zh-cn") and SPEC.default_language == "en-us"
    for code in SPEC.documented_error_codes:
        assert SPEC.error_code_regex.match(code), f"{code} breaks the DRS code pattern"


def test_operations_and_roles() -> None:
    document = load_document()
    roles = {path: document["paths"][path]["post"]["x-drs-role"] for path in (PAUSE_PATH, STATUS_PATH, RETRY_PATH)}
    assert roles == {PAUSE_PATH: "under-test", STATUS_PATH: "supporting", RETRY_PATH: "supporting"}
    schemes = document["components"]["securitySchemes"]
    assert schemes["token"]["name"] == "X-Auth-Token" and schemes["aksk"]["name"] == "Authorization"
    pause = document["paths"][PAUSE_PATH]["post"]
    assert set(pause["responses"]) == {"200", "400", "401", "403", "413", "415", "429"}
    assert pause["requestBody"]["required"] and "application/json" in pause["requestBody"]["content"]


def test_no_second_copy_of_the_status_lists() -> None:
    """The statuses are listed once, in the document: no source line names three or more of them."""
    names = set(SPEC.statuses)
    copies = []
    for folder in ("drs_conformance", "strategies", "suites"):
        for path in (REPO / folder).rglob("*.py"):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if len(names.intersection(re.findall(r"[A-Z][A-Z_]{4,}", line))) >= 3:
                    copies.append(f"{path.relative_to(REPO)}:{number}")
    assert not copies, f"status lists copied outside {spec_path().name}: {copies}"
