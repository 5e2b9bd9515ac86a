"""The contract as OpenAPI: valid, faithful to the document, and the only statement of its lists."""

from __future__ import annotations

import re
from pathlib import Path

import jsonschema
import pytest
from openapi_spec_validator import validate

from drs_conformance.contract.spec import PAUSE_PATH, RETRY_PATH, STATUS_PATH, contract, load_document, spec_path

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


@pytest.mark.parametrize(
    "job_id",
    [
        pytest.param("8d0e8e36-a618-490d-8a46-8c61ac9jb502", id="seed-example"),
        pytest.param("140b5236-88ad-43c8-811c-1268453jb101", id="notes-jb101"),
        pytest.param("00000000-0000-0000-0000-000000000000", id="zeros"),
    ],
)
def test_well_formed_ids_validate(job_id: str) -> None:
    jsonschema.validate(job_id, SPEC.resolved_schema("JobId"))


@pytest.mark.parametrize(
    "job_id",
    [
        pytest.param("8d0e8e36-a618-490d-8a46-8c61ac9jb50", id="35-chars"),
        pytest.param("8d0e8e36a618-490d-8a46-8c61ac9jb5021", id="wrong-grouping"),
        pytest.param("8d0e8e36-a618-490d-8a46-8c61ac9jb50_", id="underscore"),
        pytest.param("8d0e8e36-a618-490d-8a46-8c61ac9jb502\n", id="trailing-newline"),
    ],
)
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
    for folder in ("drs_conformance",):  # the strategies and suites included
        for path in (REPO / folder).rglob("*.py"):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if len(names.intersection(re.findall(r"[A-Z][A-Z_]{4,}", line))) >= 3:
                    copies.append(f"{path.relative_to(REPO)}:{number}")
    assert not copies, f"status lists copied outside {spec_path().name}: {copies}"


@pytest.mark.parametrize("name", [pytest.param(s, id=s) for s in SPEC.pausable_statuses])
def test_a_pausable_status_is_picked_by_name(name: str) -> None:
    assert SPEC.pausable_status(name) == name, f"pausable_status({name!r}) gave another status"


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(SPEC.paused_status, id="paused"),
        pytest.param("CREATING", id="not-pausable"),
        pytest.param("INCRE_TRANSFER_STARTEDX", id="unknown"),
    ],
)
def test_a_status_that_is_not_pausable_is_refused_by_name(name: str) -> None:
    with pytest.raises(KeyError, match=re.escape(repr(name))):
        SPEC.pausable_status(name)


def test_a_pausable_type_is_picked_by_name() -> None:
    assert [SPEC.pausable_type(t) for t in SPEC.pausable_types] == list(SPEC.pausable_types)
    with pytest.raises(KeyError, match="cloudDataGuard"):
        SPEC.pausable_type("cloudDataGuard")


def test_limits_and_words_come_from_the_document() -> None:
    """The values the kit's code and messages were written with, now read from `x-drs-limits` and `x-drs-result-words`."""
    assert (SPEC.batch_limit, SPEC.body_limit, SPEC.status_page_size) == (100, 1024 * 1024, 5)
    assert (SPEC.success_word, SPEC.failed_word) == ("success", "failed")


def test_module_constants_read_the_contract() -> None:
    """The constants modules offer for the limits and words are the contract's, read on first use."""
    from drs_conformance import strategies
    from drs_conformance.contract import judge, model

    offered = {
        "strategies.BATCH_LIMIT": (strategies.BATCH_LIMIT, SPEC.batch_limit),
        "strategies.BODY_LIMIT": (strategies.BODY_LIMIT, SPEC.body_limit),
        "model.SUCCESS": (model.SUCCESS, SPEC.success_word),
        "judge.SUCCESS": (judge.SUCCESS, SPEC.success_word),
        "judge.FAILED": (judge.FAILED, SPEC.failed_word),
    }
    differ = {name: pair for name, pair in offered.items() if pair[0] != pair[1]}
    assert not differ, f"constants that are not the contract's (received, documented): {differ}"
    assert not hasattr(strategies, "BATCH_LIMITS"), "an unknown name must raise AttributeError"


def test_no_status_or_type_picked_by_its_place_in_a_list() -> None:
    """Code names the status or type it means (`pausable_status(name)`): a reordered YAML list changes no test."""
    by_place = re.compile(r"(statuses|_types|pause_modes)\[-?\d+\]")
    found = []
    for folder in ("drs_conformance", "tests/contract"):
        for path in (REPO / folder).rglob("*.py"):
            if "sandbox" in path.parts:  # the sandbox's own pause-mode defaults: its lane's to name
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if by_place.search(line):
                    found.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert not found, f"picked by list position: {found}"


def test_no_second_copy_of_the_limits() -> None:
    """The batch and body limits are stated once, in the document (`x-drs-limits`), outside the sandbox's own copy."""
    copies = []
    folders = ("drs_conformance/strategies", "drs_conformance/suites", "drs_conformance/schemathesis_suite")
    paths = [p for folder in folders for p in (REPO / folder).rglob("*.py")]
    paths += [
        REPO / "drs_conformance" / name
        for name in ("contract/model.py", "live/target.py", "contract/judge.py", "live/jobs.py", "live/putback.py")
    ]
    for path in paths:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"1024 \* 1024|\b(BATCH|BODY)_LIMIT\s*=\s*\d|\bONE_MIB\b", line):
                copies.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert not copies, f"limits stated outside {spec_path().name}: {copies}"
