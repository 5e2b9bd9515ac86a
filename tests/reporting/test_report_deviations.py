"""Known deviations: the file format, matching, expiry, and one-line errors for bad files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from drs_conformance.errors import ConfigError, ExitCode
from drs_conformance.reporting import Deviation, load_deviations

TODAY = dt.date(2026, 1, 15)
NODE = "suites/test_headers.py::test_content_type_415[text/plain]"


def _write(tmp_path: Path, text: str, name: str = "known-deviations.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_mapping_form_is_read_with_dates_and_optional_fields(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
deviations:
  - requirement: CONTENT-TYPE-415
    test: test_content_type_415
    reason: "  gateway answers 400; ticket DRS-1234  "
    expires: 2026-06-30
  - requirement: AUTH-STATUS-401
    reason: answers 403
""",
    )
    deviations = load_deviations(path)
    assert len(deviations) == 2
    first, second = deviations
    assert first == Deviation(
        requirement="CONTENT-TYPE-415",
        test="test_content_type_415",
        reason="gateway answers 400; ticket DRS-1234",
        expires=dt.date(2026, 6, 30),
        where=f"{path}, entry 1",
    )
    assert second.test is None and second.expires is None
    assert deviations.source == str(path)


def test_list_form_and_empty_file(tmp_path: Path) -> None:
    assert len(load_deviations(_write(tmp_path, "- {requirement: NO-5XX, reason: known}\n"))) == 1
    assert len(load_deviations(_write(tmp_path, "", "empty.yaml"))) == 0
    assert len(load_deviations(_write(tmp_path, "deviations: []\n", "none.yaml"))) == 0


@pytest.mark.parametrize(
    ("test", "nodeid", "covered"),
    [
        pytest.param(None, NODE, True, id="no-test-covers-every-test-of-the-requirement"),
        pytest.param(NODE, NODE, True, id="exact-nodeid"),
        pytest.param("suites/test_headers.py::test_content_type_415", NODE, True, id="nodeid-without-parameters"),
        pytest.param("test_content_type_415", NODE, True, id="trailing-name"),
        pytest.param("test_headers.py::test_content_type_415", NODE, False, id="partial-path-is-not-a-trailing-name"),
        pytest.param("test_content_type", NODE, False, id="no-plain-substring"),
        pytest.param("content_type_415", NODE, False, id="no-partial-name"),
        pytest.param("*::test_content_type_*", NODE, True, id="glob"),
        pytest.param("*[text/plain]", NODE, True, id="glob-brackets-are-literal"),
        pytest.param("*[text/html]", NODE, False, id="glob-other-parameter"),
        pytest.param("suites/*.py::test_content_type_41?*", NODE, True, id="glob-question-mark"),
        pytest.param("other/*", NODE, False, id="glob-no-match"),
    ],
)
def test_which_tests_a_deviation_covers(test: str | None, nodeid: str, covered: bool) -> None:
    deviation = Deviation(requirement="CONTENT-TYPE-415", test=test, reason="r")
    assert deviation.covers(nodeid, ["CONTENT-TYPE-415"]) is covered


def test_a_deviation_covers_only_its_requirement() -> None:
    deviation = Deviation(requirement="CONTENT-TYPE-415", reason="r")
    assert not deviation.covers(NODE, ["CONTENT-TYPE-REFUSED"])
    assert deviation.covers(NODE, ["CONTENT-TYPE-REFUSED", "CONTENT-TYPE-415"])


def test_match_prefers_the_deviation_naming_the_test_and_ignores_expired_ones(tmp_path: Path) -> None:
    deviations = load_deviations(
        _write(
            tmp_path,
            """
- {requirement: CONTENT-TYPE-415, reason: whole requirement}
- {requirement: CONTENT-TYPE-415, test: test_content_type_415, reason: this test}
- {requirement: NO-5XX, reason: expired, expires: 2026-01-14}
- {requirement: HTTP-METHODS, reason: last day, expires: 2026-01-15}
""",
        )
    )
    assert deviations.match(NODE, ["CONTENT-TYPE-415"], TODAY).reason == "this test"
    assert deviations.match("suites/x.py::test_other", ["CONTENT-TYPE-415"], TODAY).reason == "whole requirement"
    assert deviations.match(NODE, ["NO-5XX"], TODAY) is None
    assert deviations.match(NODE, ["HTTP-METHODS"], TODAY).reason == "last day"  # in force through its date
    assert deviations.match(NODE, ["HTTP-METHODS"], TODAY + dt.timedelta(days=1)) is None
    assert [d.requirement for d in deviations.expired(TODAY)] == ["NO-5XX"]
    assert [d.requirement for d in deviations.active(TODAY)] == ["CONTENT-TYPE-415", "CONTENT-TYPE-415", "HTTP-METHODS"]
    (expired,) = deviations.expired(TODAY)
    assert expired.expiry_note() == "deviation NO-5XX expired on 2026-01-14: counted as a failure again"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "- {requirement: NOT-A-REQ, reason: x}\n",
            "{path}: entry 1 (requirement NOT-A-REQ): unknown requirement id 'NOT-A-REQ' "
            "(the ids: drs-conformance requirements)",
            id="unknown-requirement",
        ),
        pytest.param(
            "- {requirement: CONTENT-TYPE-451, reason: x}\n",
            "{path}: entry 1 (requirement CONTENT-TYPE-451): unknown requirement id 'CONTENT-TYPE-451'; "
            "did you mean 'CONTENT-TYPE-415'? (the ids: drs-conformance requirements)",
            id="near-miss-requirement",
        ),
        pytest.param(
            "- {requirement: NO-5XX, reason: x}\n- {requirement: NO-5XX}\n",
            "{path}: entry 2 (requirement NO-5XX): missing 'reason'",
            id="missing-reason",
        ),
        pytest.param(
            "- {requirement: NO-5XX, reason: '   '}\n",
            "{path}: entry 1 (requirement NO-5XX): reason must not be empty",
            id="blank-reason",
        ),
        pytest.param("- {reason: x}\n", "{path}: entry 1: missing 'requirement'", id="missing-requirement"),
        pytest.param(
            "- {requirement: NO-5XX, reason: x, expires: 2026-13-01}\n",
            "{path}: entry 1 (requirement NO-5XX): expires '2026-13-01' is not a valid date: month must be in 1..12",
            id="impossible-date",
        ),
        pytest.param(
            "- {requirement: NO-5XX, reason: x, expires: 30.06.2026}\n",
            "{path}: entry 1 (requirement NO-5XX): expires '30.06.2026' is not a date of the form YYYY-MM-DD",
            id="malformed-date",
        ),
        pytest.param(
            "- {requirement: NO-5XX, reason: x, ticket: 1}\n",
            "{path}: entry 1 (requirement NO-5XX): Additional properties are not allowed ('ticket' was unexpected) "
            "(allowed: requirement, test, reason, expires)",
            id="unknown-key",
        ),
        pytest.param(
            "- just a string\n", "{path}: entry 1: 'just a string' is not of type 'object'", id="entry-not-a-mapping"
        ),
        pytest.param(
            "devs: []\n",
            "{path}: expected a list of deviations or a mapping with the key 'deviations' "
            "(each {{requirement, test?, reason, expires?}})",
            id="wrong-top-level-key",
        ),
        pytest.param(
            "- [unclosed\n",
            "{path}: not valid YAML: line 2, column 1: expected ',' or ']', but got '<stream end>'",
            id="not-yaml",
        ),
        pytest.param(
            "deviations:\n  - requirement: NO-5XX\n   reason: x\n",
            "{path}: not valid YAML: line 3, column 4: expected <block end>, but found '<block mapping start>'",
            id="yaml-indentation",
        ),
    ],
)
def test_bad_files_give_one_line_naming_file_and_entry(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_deviations(path)
    assert str(caught.value) == message.format(path=path)
    assert "\n" not in str(caught.value)
    assert caught.value.exit_code == ExitCode.USAGE


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(
        ConfigError,
        match=r"cannot read known deviations .*nope.yaml: No such file or directory; check --known-deviations",
    ):
        load_deviations(tmp_path / "nope.yaml")


def test_the_example_file_loads() -> None:
    path = Path(__file__).resolve().parents[2] / "examples" / "known-deviations.yaml"
    deviations = load_deviations(path)
    assert [d.requirement for d in deviations] == ["CONTENT-TYPE-415", "ERROR-CODE-DOCUMENTED"]
    nodeid = "test_conformance_requests.py::test_refusal_code_is_documented"  # the suite test of that requirement
    assert deviations.match(nodeid, ["ERROR-CODE-DOCUMENTED"], TODAY), "the example's test names no suite test"


def test_the_example_file_is_not_about_to_expire() -> None:
    """A sample that has expired teaches the wrong thing (its deviation counts as a failure again): move its date
    forward in examples/known-deviations.yaml before it comes within 90 days."""
    import datetime as dt

    path = Path(__file__).resolve().parents[2] / "examples" / "known-deviations.yaml"
    soon = dt.date.today() + dt.timedelta(days=90)
    dated = [d for d in load_deviations(path) if d.expires is not None]
    assert dated, "the sample shows no expires date"
    late = [f"{d.describe()} expires {d.expires}" for d in dated if d.expires <= soon]
    assert not late, f"{path}: {', '.join(late)}, within 90 days of today: move the date forward"
