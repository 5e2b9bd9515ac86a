"""Failures are attributed to the rule they break; the reproduce line reruns exactly one test, without secrets."""

from __future__ import annotations

import shlex

import pytest
from hypothesis.errors import FlakyFailure

from drs_conformance.contract.checks import NonConformance
from drs_conformance.errors import NoAnswer
from drs_conformance.plugin.attribution import (
    attribute,
    no_answer_message,
    no_answers,
    reproduce_command,
)
from drs_conformance.plugin.options import resolve_options


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        pytest.param(None, None, id="no-failure"),
        pytest.param(AssertionError("received 1"), "OWN", id="plain-assert-is-the-tests-own"),
        pytest.param(NonConformance("NO-5XX", "received 500"), "NO-5XX", id="non-conformance-names-its-rule"),
        pytest.param(
            ExceptionGroup("two", [AssertionError("a"), NonConformance("COUNT-EQUALS-RESULTS", "b")]),
            "COUNT-EQUALS-RESULTS",
            id="group-first-non-conformance-wins",
        ),
    ],
)
def test_attribution(exc: BaseException | None, expected: str | None) -> None:
    attribution = attribute(exc, ("OWN", "OTHER"))
    assert attribution.requirement == expected, f"attributed to {attribution.requirement}, expected {expected}"
    assert (attribution.message == "") is (exc is None)


def test_every_requirement_a_grouped_failure_breaks_is_named_must_first() -> None:
    """hypothesis groups distinct failures: none may be lost, and a MUST counts before a SHOULD."""
    group = ExceptionGroup(
        "three",
        [
            NonConformance("CONTENT-TYPE-415", "received 400 (SHOULD)"),
            NonConformance("RESPONSE-SCHEMA", "schema"),
            NonConformance("SUPPORT-STATUS", "refused"),
            NonConformance("RESPONSE-SCHEMA", "schema again"),
        ],
    )
    attribution = attribute(group, ("SUPPORT-STATUS",))
    assert attribution.requirement == "RESPONSE-SCHEMA", f"first: {attribution.requirement}, expected the first MUST"
    assert attribution.also == ("SUPPORT-STATUS", "CONTENT-TYPE-415"), f"also: {attribution.also}"
    assert "also failed: [SUPPORT-STATUS] refused" in attribution.message, attribution.message


def test_reproduce_command_names_the_target_and_test_but_no_secret() -> None:
    options = resolve_options(
        {
            "base_url": "https://drs.example.com",
            "auth_token": "s3cret-token-value",
            "project_id": "p1",
            "control_api": True,
            "seed": "5",
        },
        {},
    )
    line = reproduce_command(options, "p1", "test_x.py::test_y[a b'c]")
    assert "s3cret-token-value" not in line
    words = shlex.split(line)
    assert words[:2] == ["drs-conformance", "run"] and words[-1] == "test_x.py::test_y[a b'c]"
    for flag, value in (("--seed", "5"), ("--base-url", "https://drs.example.com"), ("--project-id", "p1")):
        assert words[words.index(flag) + 1] == value
    assert "--control-api" in words and words[words.index("--auth-token") + 1] == "$DRS_AUTH_TOKEN"


def _caused(outer: BaseException, inner: BaseException, *, explicit: bool) -> BaseException:
    """`outer` raised while handling `inner` (explicit: `raise outer from inner`)."""
    try:
        try:
            raise inner
        except BaseException as exc:
            if explicit:
                raise outer from exc
            raise outer  # noqa: B904 - the implicit context is what this builds
    except BaseException as raised:
        return raised


@pytest.mark.parametrize(
    ("exc", "found"),
    [
        pytest.param(None, 0, id="no-failure"),
        pytest.param(AssertionError("received 1"), 0, id="a-plain-failure"),
        pytest.param(NonConformance("NO-5XX", "received 502"), 0, id="a-5xx-is-an-answer"),
        pytest.param(NoAnswer("connection reset"), 1, id="no-answer"),
        pytest.param(ExceptionGroup("two", [AssertionError("a"), NoAnswer("timeout")]), 1, id="in-a-group"),
        pytest.param(
            ExceptionGroup("outer", [ExceptionGroup("inner", [NoAnswer("x"), NoAnswer("y")])]), 2, id="nested-groups"
        ),
        pytest.param(FlakyFailure("did not reproduce", [NoAnswer("refused")]), 1, id="hypothesis-flaky"),
        pytest.param(_caused(AssertionError("no results"), NoAnswer("truncated"), explicit=False), 1, id="context"),
        pytest.param(_caused(RuntimeError("wrapped"), NoAnswer("truncated"), explicit=True), 1, id="cause"),
        pytest.param(_caused(AssertionError("x"), ValueError("unrelated"), explicit=False), 0, id="unrelated-context"),
    ],
)
def test_no_answers_are_found_wherever_the_failure_holds_them(exc: BaseException | None, found: int) -> None:
    answers = no_answers(exc)
    assert len(answers) == found, f"found {answers}, expected {found}"
    assert all(isinstance(answer, NoAnswer) for answer in answers)


def test_the_message_of_an_unanswered_test_keeps_what_else_it_raised() -> None:
    group = ExceptionGroup(
        "two",
        [
            NoAnswer("POST /x: timed out after 30 s"),
            NoAnswer("POST /x: reset"),
            AssertionError("received 200, documented 400\nmore"),
        ],
    )
    assert no_answer_message(group, no_answers(group)) == (
        "the target did not answer: POST /x: timed out after 30 s (2 requests got no answer)\n"
        "also raised (not judged): AssertionError: received 200, documented 400"
    )
