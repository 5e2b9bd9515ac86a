"""schemathesis draws DRS-shaped job ids, and still draws malformed ones in negative mode."""

from __future__ import annotations

import string
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, find, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi import unregister_string_format
from schemathesis.specs.openapi.formats import STRING_FORMATS

from drs_conformance.contract.spec import PAUSE_PATH, contract, load_document, spec_path
from drs_conformance.strategies import JOB_ID_FORMAT, register_job_id_format, with_job_id_format

HEX = set(string.hexdigits.lower()) | {"-"}


@pytest.fixture
def registered() -> Iterator[str]:
    """The drs-job-id format registered for one test, and removed after it if it was not there before."""
    was_there = JOB_ID_FORMAT in STRING_FORMATS
    yield register_job_id_format()
    if not was_there:
        unregister_string_format(JOB_ID_FORMAT)


def drawn_job_ids(schema: Any, mode: GenerationMode, count: int = 40) -> list[Any]:
    """The job_id values of the bodies schemathesis draws for the pause operation."""
    operation = schema[PAUSE_PATH]["POST"]
    found: list[Any] = []

    @settings(
        max_examples=count, database=None, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
    )
    @given(operation.as_strategy(generation_mode=mode))
    def draw(case: Any) -> None:
        body = case.body
        if isinstance(body, dict) and isinstance(body.get("jobs"), list):
            found.extend(item["job_id"] for item in body["jobs"] if isinstance(item, dict) and "job_id" in item)

    draw()
    return found


def first_job_id(schema: Any, mode: GenerationMode, condition: Any, limit: int = 300) -> Any:
    """The first job_id (in a fixed order of draws) that meets condition; fails after `limit` cases."""
    operation = schema[PAUSE_PATH]["POST"]

    def job_ids_of(case: Any) -> list[Any]:
        body = case.body
        if not (isinstance(body, dict) and isinstance(body.get("jobs"), list)):
            return []
        return [item["job_id"] for item in body["jobs"] if isinstance(item, dict) and "job_id" in item]

    case = find(
        operation.as_strategy(generation_mode=mode),
        lambda case: any(condition(value) for value in job_ids_of(case)),
        settings=settings(max_examples=limit, database=None, derandomize=True, phases=(Phase.generate,)),
    )
    return next(value for value in job_ids_of(case) if condition(value))


def is_id(value: Any) -> bool:
    return isinstance(value, str) and contract().job_id_regex.fullmatch(value) is not None


def test_schemathesis_on_the_contract_draws_ids_with_non_hex_letters_and_breaks_them(registered: str) -> None:
    schema = schemathesis.openapi.from_path(str(spec_path()))
    positive = drawn_job_ids(schema, GenerationMode.POSITIVE)
    assert positive and all(is_id(value) for value in positive), [v for v in positive if not is_id(v)][:5]
    non_hex = [value for value in positive if set(value) - HEX]
    assert len(non_hex) >= len(positive) // 4, f"only {len(non_hex)} of {len(positive)} ids carry non-hex letters"
    malformed = first_job_id(schema, GenerationMode.NEGATIVE, lambda v: isinstance(v, str) and not is_id(v))
    assert not is_id(malformed), malformed


def test_with_the_format_schemathesis_draws_our_ids_and_still_breaks_them(registered: str) -> None:
    schema = schemathesis.openapi.from_dict(with_job_id_format(load_document()))
    positive = drawn_job_ids(schema, GenerationMode.POSITIVE)
    assert positive and all(is_id(value) for value in positive), [v for v in positive if not is_id(v)][:5]
    documented = [v for v in positive if set(v[:23]) <= HEX and "jb" in v[24:]]
    assert documented, "job_ids() is not used: no id of the documented shape"
    example = contract().example_job_id
    assert first_job_id(schema, GenerationMode.POSITIVE, lambda v: v == example) == example
    malformed = first_job_id(schema, GenerationMode.NEGATIVE, lambda v: isinstance(v, str) and not is_id(v))
    assert not is_id(malformed), malformed


def test_registration_is_idempotent(registered: str) -> None:
    entry = STRING_FORMATS[JOB_ID_FORMAT]
    assert register_job_id_format() == JOB_ID_FORMAT
    assert STRING_FORMATS[JOB_ID_FORMAT] is entry, "a second call registered again"


def test_with_job_id_format_copies_and_keeps_the_pattern() -> None:
    document = load_document()
    changed = with_job_id_format(document)
    job_id = changed["components"]["schemas"]["JobId"]
    assert job_id["format"] == JOB_ID_FORMAT and job_id["pattern"] == contract().job_id_pattern
    assert "format" not in document["components"]["schemas"]["JobId"], "the loaded document was changed in place"
    without = with_job_id_format(document)
    del without["components"]["schemas"]["JobId"]["pattern"]
    with pytest.raises(ValueError, match="has no pattern"):
        with_job_id_format(without)
    with pytest.raises(ValueError, match="schema_name='TaskId'"):
        with_job_id_format(document, schema_name="TaskId")
