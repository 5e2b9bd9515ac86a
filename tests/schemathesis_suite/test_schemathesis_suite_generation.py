"""The document schemathesis generates from: closed request objects, the contract's enums kept, no unknown language."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from drs_conformance.contract.spec import (
    INFERRED,
    PAUSE_PATH,
    contract,
    documented_view,
    inferred_constraints,
    load_document,
)
from drs_conformance.schemathesis_suite.generation import (
    WRONG_JOB_IDS,
    generation_document,
    request_schemas,
    response_schema_names,
)
from drs_conformance.strategies import JOB_ID_FORMAT

LANGUAGE = "#/components/parameters/XLanguage"


@pytest.fixture(scope="module")
def adjusted() -> dict[str, Any]:
    """The copy valid cases are drawn from (with the X-Language parameter)."""
    return generation_document(load_document(), languages=True)


def schemas(document: dict[str, Any]) -> dict[str, Any]:
    """The component schemas of a document."""
    return document["components"]["schemas"]


def test_the_contract_itself_is_left_as_written() -> None:
    before = copy.deepcopy(load_document())
    generation_document(load_document(), languages=False)
    assert load_document() == before, "generation_document changed the contract it was given (no deep copy?)"


def test_every_request_object_is_closed(adjusted: dict[str, Any]) -> None:
    found = list(request_schemas(adjusted))
    open_ones = [sorted(schema["properties"]) for schema in found if schema.get("additionalProperties") is not False]
    assert not open_ones, f"request objects still open to unknown fields: {open_ones}"
    names = {name for name, schema in schemas(adjusted).items() if any(schema is s for s in found)}
    assert {"BatchPauseRequest", "PauseInfo", "BatchStatusRequest", "BatchRetryRequest"} <= names, (
        f"request objects found: {sorted(names)}"
    )


def test_response_objects_stay_open(adjusted: dict[str, Any]) -> None:
    closed = [
        name for name in ("BatchPauseResponse", "PauseJobResp") if "additionalProperties" in schemas(adjusted)[name]
    ]
    assert not closed, f"responses were closed too, so extra response fields would read as failures: {closed}"


@pytest.mark.parametrize(
    ("schema", "keyword"),
    [
        pytest.param("PauseMode", "enum", id="pause-modes"),
        pytest.param("JobId", "pattern", id="job-id-pattern"),
        pytest.param("JobId", "minLength", id="job-id-length"),
    ],
)
def test_valid_requests_keep_the_contract_rules(adjusted: dict[str, Any], schema: str, keyword: str) -> None:
    kept, written = schemas(adjusted)[schema].get(keyword), contract().schema(schema).get(keyword)
    assert kept == written is not None, f"{schema}.{keyword}: generation has {kept!r}, the contract {written!r}"


def test_ids_are_drawn_in_the_drs_job_id_format(adjusted: dict[str, Any]) -> None:
    assert schemas(adjusted)["JobId"].get("format") == JOB_ID_FORMAT, "JobId lost its drs-job-id format"


def test_languages_keep_their_enum_for_valid_requests(adjusted: dict[str, Any]) -> None:
    for path, item in adjusted["paths"].items():
        refs = [parameter.get("$ref") for parameter in item["post"].get("parameters", [])]
        assert LANGUAGE in refs, f"{path}: X-Language dropped from valid requests"
    enum = adjusted["components"]["parameters"]["XLanguage"]["schema"]["enum"]
    assert tuple(enum) == contract().languages, f"X-Language enum {enum} is not the contract's {contract().languages}"


def test_invalid_requests_are_drawn_without_the_language_header() -> None:
    document = generation_document(load_document(), languages=False)
    for path, item in document["paths"].items():
        refs = [parameter.get("$ref") for parameter in item["post"].get("parameters", [])]
        assert LANGUAGE not in refs, f"{path}: X-Language still varied in invalid requests"
        assert refs, f"{path}: every parameter was dropped with X-Language"


def test_repeats_and_large_batches_are_drawn_apart(adjusted: dict[str, Any]) -> None:
    for name in ("BatchPauseRequest", "BatchStatusRequest", "BatchRetryRequest"):
        jobs = schemas(adjusted)[name]["properties"]["jobs"]
        assert jobs.get("uniqueItems") is True, f"{name}.jobs may repeat an id in valid cases"
    pause_jobs = schemas(adjusted)["BatchPauseRequest"]["properties"]["jobs"]
    assert pause_jobs.get("maxItems") == 100, f"valid pause batches may exceed 100 jobs: {pause_jobs.get('maxItems')}"
    assert PAUSE_PATH in adjusted["paths"], "the operation under test is gone"


def test_status_pages_are_drawn_on_page_one_with_integral_sizes(adjusted: dict[str, Any]) -> None:
    """Pages past the last (or 0) may be refused, and so may 5.0 for an integer: neither is drawn as valid."""
    paging = schemas(adjusted)["BatchStatusRequest"]["properties"]["page_req"]["properties"]
    assert paging["cur_page"].get("const") == 1, f"valid pages: {paging['cur_page']}"
    sizes = paging["per_page"].get("enum")
    assert sizes == list(range(101)) and all(type(size) is int for size in sizes), f"valid sizes: {paging['per_page']}"
    written = schemas(load_document())["BatchStatusRequest"]["properties"]["page_req"]["properties"]["per_page"]
    assert (written.get("minimum"), written.get("maximum")) == (0, 100), f"the contract's page size: {written}"


@pytest.mark.parametrize("job_id", [pytest.param(job_id, id=ascii(job_id)) for job_id in WRONG_JOB_IDS])
def test_every_wrong_id_breaks_the_job_id_rule(job_id: str) -> None:
    errors = list(Draft202012Validator(contract().resolved_schema("JobId")).iter_errors(job_id))
    assert errors, f"{job_id!r} is a well-formed id by the contract: it would be drawn as invalid yet be valid"


def test_responses_are_validated_as_documented_requests_drawn_as_the_kit_reads_them(adjusted: dict[str, Any]) -> None:
    """schemathesis validates answers against these schemas: no x-drs-inferred there; requests keep theirs."""
    names = response_schema_names(adjusted)
    assert {
        "BatchPauseResponse",
        "PauseJobResp",
        "QueryJobStatusResp",
        "ErrorResponse",
        "PlatformError",
        "OptionalString",
    } <= names, f"response schemas found: {sorted(names)}"
    for name in names:
        assert not inferred_constraints(schemas(adjusted)[name]), f"{name} keeps an inferred constraint"
        assert schemas(adjusted)[name] == documented_view(schemas(load_document())[name]), f"{name} changed"
    page_req = schemas(adjusted)["BatchStatusRequest"]["properties"]["page_req"]
    assert INFERRED in page_req and page_req["type"] == "object", "page_req is no longer drawn as an object"
