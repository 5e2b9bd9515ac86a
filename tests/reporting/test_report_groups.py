"""Failures grouped by requirement and message shape; conformance.json keeps every failure, each naming its group."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from drs_conformance.reporting import build_report, groups_of, message_shape, tests_line, validate_report


@pytest.mark.parametrize(
    ("message", "shape"),
    [
        pytest.param(
            "[COUNT-EQUALS-RESULTS] received count 0 with 1 results, documented count == len(results)",
            "[COUNT-EQUALS-RESULTS] received count N with N results, documented count == len(results)",
            id="numbers",
        ),
        pytest.param(
            "received 2 result(s) with id 'kutjw012-18wb-gsdi-1co1-rk6yzv90qeh5' for 1 requested item(s)",
            "received N result(s) with id '…' for N requested item(s)",
            id="quoted-id",
        ),
        pytest.param(
            "job 8d0e8e36-a618-490d-8a46-8c61ac9jb502 of project 054ba152d480d55b2f5dc0069e7ddef0 was paused",
            "job <id> of project <id> was paused",
            id="bare-ids",
        ),
        pytest.param(
            'received error_code "DRS.M00301", documented DRS.M00202 at 2.5 s',
            "received error_code '…', documented DRS.M00202 at N s",
            id="codes-keep-their-digits",
        ),
        pytest.param("\n\n  first line 3\nsecond line 4", "first line N", id="first-line-only"),
        pytest.param(None, "", id="no-message"),
    ],
)
def test_message_shape(message: str | None, shape: str) -> None:
    assert message_shape(message) == shape


def test_the_shape_tells_different_failures_apart() -> None:
    assert message_shape("received count 0 with 1 results") != message_shape("received 2 result(s) for 1 item")
    assert message_shape("[NO-5XX] received 500") != message_shape("[ERROR-BODY] received 500")


def _outcomes(samples: SimpleNamespace) -> list:
    same = [
        samples.outcome(
            f"suites/t.py::test_x[{i}]",
            "COUNT-EQUALS-RESULTS",
            "failed",
            message=f"[COUNT-EQUALS-RESULTS] received count {i} with {i + 1} results",
            exchanges=(samples.token_exchange(),) if i else (),
        )
        for i in range(5)
    ]
    other = samples.outcome("suites/t.py::test_y", "COUNT-EQUALS-RESULTS", "failed", message="count missing")
    return [*same, other, *same[:0]]


def test_every_failure_is_kept_and_names_its_group(samples: SimpleNamespace) -> None:
    report = build_report(samples.run_info(), _outcomes(samples), today=samples.TODAY)
    validate_report(report)
    entry = next(r for r in report["requirements"] if r["id"] == "COUNT-EQUALS-RESULTS")
    assert len(entry["failures"]) == 6
    assert [f["group"] for f in entry["failures"]] == ["COUNT-EQUALS-RESULTS/1"] * 5 + ["COUNT-EQUALS-RESULTS/2"]
    assert entry["groups"] == [
        {
            "id": "COUNT-EQUALS-RESULTS/1",
            "shape": "[COUNT-EQUALS-RESULTS] received count N with N results",
            "verdict": "fail",
            "count": 5,
            "example": "suites/t.py::test_x[1]",
        },  # the first with a recorded exchange
        {
            "id": "COUNT-EQUALS-RESULTS/2",
            "shape": "count missing",
            "verdict": "fail",
            "count": 1,
            "example": "suites/t.py::test_y",
        },
    ]
    groups = groups_of(entry)
    assert [(g.count, g.example, g.members) for g in groups] == [(5, 1, (0, 1, 2, 3, 4)), (1, 5, (5,))]


def test_groups_of_an_older_report_are_computed(samples: SimpleNamespace) -> None:
    report = build_report(samples.run_info(), _outcomes(samples), today=samples.TODAY)
    entry = next(r for r in report["requirements"] if r["id"] == "COUNT-EQUALS-RESULTS")
    for failure in entry["failures"]:
        del failure["group"]
    del entry["groups"]
    assert [(g.id, g.count) for g in groups_of(entry)] == [("COUNT-EQUALS-RESULTS/1", 5), ("COUNT-EQUALS-RESULTS/2", 1)]


def test_a_group_keeps_fail_and_expected_fail_apart(samples: SimpleNamespace) -> None:
    outcomes = [
        samples.outcome("t::a", "NO-5XX", "failed", message="received 500"),
        samples.outcome("t::b", "NO-5XX", "xfailed", message="received 503", deviation="gateway"),
    ]
    report = build_report(samples.run_info(), outcomes, today=samples.TODAY)
    entry = next(r for r in report["requirements"] if r["id"] == "NO-5XX")
    assert sorted(g["verdict"] for g in entry["groups"]) == ["expected-fail", "fail"]


@pytest.mark.parametrize(
    ("outcomes", "line"),
    [
        pytest.param([("a", "passed", None)], "1 of 1 test passed", id="one-pass"),
        pytest.param(
            [("a", "passed", None), ("b", "failed", "COUNT-EQUALS-RESULTS"), ("c", "failed", "COUNT-EQUALS-RESULTS")],
            "1 of 3 tests passed; 2 failed on COUNT-EQUALS-RESULTS",
            id="failed-elsewhere",
        ),
        pytest.param(
            [
                ("a", "passed", None),
                ("b", "failed", "NO-5XX"),
                ("c", "failed", "COUNT-EQUALS-RESULTS"),
                ("d", "skipped", None),
            ],
            "1 of 4 tests passed; 2 failed on other requirements (1 on NO-5XX, 1 on COUNT-EQUALS-RESULTS); 1 skipped",
            id="failed-on-two",
        ),
        pytest.param(
            [("a", "failed", "ONE-RESULT-PER-ITEM"), ("b", "passed", None)],
            "1 of 2 tests passed; 1 failed",
            id="failed-here",
        ),
    ],
)
def test_a_row_says_what_its_tests_did(samples: SimpleNamespace, outcomes: list, line: str) -> None:
    made = [
        samples.outcome(
            f"t::{name}", "ONE-RESULT-PER-ITEM", result, **({"failed_requirement": on, "message": "m"} if on else {})
        )
        for name, result, on in outcomes
    ]
    report = build_report(samples.run_info(), made, today=samples.TODAY)
    entry = next(r for r in report["requirements"] if r["id"] == "ONE-RESULT-PER-ITEM")
    assert tests_line(entry) == line
