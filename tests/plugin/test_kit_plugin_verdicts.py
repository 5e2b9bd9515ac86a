"""The plugin on small stand-in suites (child pytest runs): unanswered tests, Allure labels, stops by signal.

Each stand-in suite is a test file with requirement markers, run by pytest with `-p drs_conformance.plugin.hooks`
in a child process; what it wrote (conformance.json, junit.xml, allure-results) is read back.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from drs_conformance.contract.catalogue import catalogue
from drs_conformance.errors import ExitCode
from drs_conformance.reporting import validate_report


def _run_suite(tmp_path: Path, source: str, *args: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    """Run one stand-in suite file under the plugin; return the process and its report directory."""
    suite = tmp_path / "test_standin.py"
    suite.write_text(textwrap.dedent(source), encoding="utf-8")
    reports = tmp_path / "reports"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DRS_", "HYPOTHESIS"))}
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "drs_conformance.plugin.hooks",
            "-p",
            "allure_pytest.plugin",
            "-p",
            "no:cacheprovider",
            "--report-dir",
            str(reports),
            f"--junitxml={reports / 'junit.xml'}",
            f"--alluredir={reports / 'allure-results'}",
            "--rootdir",
            str(tmp_path),
            *args,
            str(suite),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return done, reports


def _report(reports: Path) -> dict[str, Any]:
    report = json.loads((reports / "conformance.json").read_text(encoding="utf-8"))
    validate_report(report)
    return report


def _junit_properties(reports: Path) -> dict[str, str]:
    root = ET.parse(reports / "junit.xml").getroot()
    return {p.get("name"): p.get("value") for p in root.iter("property")}  # type: ignore[misc]


def _allure_results(reports: Path) -> dict[str, dict[str, Any]]:
    results = [json.loads(p.read_text()) for p in (reports / "allure-results").glob("*-result.json")]
    return {result["name"]: result for result in results}


def _labels(result: dict[str, Any], name: str) -> list[str]:
    return [label["value"] for label in result["labels"] if label["name"] == name]


UNANSWERED_SUITE = '''
    import httpx
    import pytest
    from hypothesis.errors import FlakyFailure

    from drs_conformance.contract.checks import NonConformance
    from drs_conformance.errors import NoAnswer

    def _send(transport):
        """A stand-in for the kit's client: a transport failure is a request with no answer."""
        with httpx.Client(transport=transport) as client:
            try:
                return client.post("http://127.0.0.1:9/v3/p/jobs/batch-pause-task", json={"jobs": []})
            except httpx.TransportError as exc:
                raise NoAnswer(f"POST /v3/p/jobs/batch-pause-task: {type(exc).__name__}: {exc}") from exc

    def _reset(request):
        raise httpx.ReadError("connection reset by peer", request=request)

    @pytest.mark.requirement("BODY-SHAPE")
    def test_reset_through_a_transport():
        _send(httpx.MockTransport(_reset))

    @pytest.mark.requirement("JOB-ID-RULE")
    def test_no_answer_in_a_group_beside_an_assertion():
        raise ExceptionGroup("two", [NoAnswer("timed out after 30 s"), AssertionError("received 200, documented 400")])

    @pytest.mark.requirement("ITEM-SHAPE")
    def test_assertion_raised_while_handling_no_answer():
        try:
            raise NoAnswer("response body truncated at 12 of 40 bytes")
        except NoAnswer:
            raise AssertionError("no results to judge")

    @pytest.mark.requirement("PAUSE-MODE-VALUES")
    def test_flaky_because_of_the_transport():
        raise FlakyFailure("did not reproduce", [NoAnswer("connection refused"), NoAnswer("connection refused")])

    @pytest.mark.requirement("UNKNOWN-JOB-FAILS")
    def test_answered():
        pass

    @pytest.mark.requirement("DOC-EXAMPLE")
    def test_five_hundred_is_an_answer():
        raise NonConformance("NO-5XX", "received 500, documented 200 or a 4xx")
'''


def test_a_test_without_an_answer_is_unanswered_and_charged_to_no_requirement(tmp_path: Path) -> None:
    done, reports = _run_suite(tmp_path, UNANSWERED_SUITE, "-k", "not five_hundred")
    assert done.returncode == ExitCode.TARGET, done.stdout[-3000:] + done.stderr[-2000:]
    report = _report(reports)
    summary = report["summary"]
    assert summary["exit_code"] == 3 and summary["verdict"] == "incomplete"
    unanswered = {entry["nodeid"].rsplit("::", 1)[-1]: entry for entry in summary["unanswered"]}
    assert set(unanswered) == {
        "test_reset_through_a_transport",
        "test_no_answer_in_a_group_beside_an_assertion",
        "test_assertion_raised_while_handling_no_answer",
        "test_flaky_because_of_the_transport",
    }
    assert unanswered["test_reset_through_a_transport"]["message"] == (
        "the target did not answer: POST /v3/p/jobs/batch-pause-task: ReadError: connection reset by peer"
    )
    assert unanswered["test_flaky_because_of_the_transport"]["requests"] == 2
    assert (
        "also raised (not judged): AssertionError: received 200, documented 400"
        in (unanswered["test_no_answer_in_a_group_beside_an_assertion"]["message"])
    )
    by_id = {r["id"]: r for r in report["requirements"]}
    for rid in ("BODY-SHAPE", "JOB-ID-RULE", "ITEM-SHAPE", "PAUSE-MODE-VALUES"):
        assert by_id[rid]["failures"] == [], f"{rid}: a missing answer is not a failure of it"
        assert by_id[rid]["not_judged"][0]["category"] == "unanswered", by_id[rid]["not_judged"]
    assert by_id["UNKNOWN-JOB-FAILS"]["verdict"] == "pass"
    assert summary["counts"]["total"]["fail"] == 0
    assert "the target did not answer 5 requests" in " ".join(summary["reasons"])
    assert "UNANSWERED (4 tests, 5 requests without an answer; no requirement charged):" in done.stdout
    assert _junit_properties(reports)["exit_code"] == "3"
    allure = _allure_results(reports)
    assert allure["test_reset_through_a_transport"]["status"] == "broken", "Allure: broken, not failed"


def test_a_5xx_is_an_answer_and_fails_no_5xx(tmp_path: Path) -> None:
    done, reports = _run_suite(tmp_path, UNANSWERED_SUITE)
    assert done.returncode == ExitCode.NON_CONFORMANT, done.stdout[-3000:]
    report = _report(reports)
    by_id = {r["id"]: r for r in report["requirements"]}
    assert by_id["NO-5XX"]["verdict"] == "fail"
    assert report["summary"]["tests"]["unanswered"] == 4 and report["summary"]["exit_code"] == 1


LABELS_SUITE = """
    import pytest

    from drs_conformance.contract.checks import NonConformance

    @pytest.mark.requirement("BODY-SHAPE")
    @pytest.mark.requirement("ITEM-SHAPE")
    def test_body_shape_breaks_no_5xx():
        raise NonConformance("NO-5XX", "received 500, documented 400")

    @pytest.mark.requirement("COUNT-EQUALS-RESULTS")
    def test_count_breaks_its_own_rule():
        assert False, "received count 2, documented 1 (COUNT-EQUALS-RESULTS)"

    @pytest.mark.requirement("DOC-EXAMPLE")
    @pytest.mark.requirement("CONTENT-TYPE-415")  # the closest marker is the test's own requirement
    def test_should_passes():
        pass

    @pytest.mark.requirement("BATCH-100")
    def test_skipped():
        pytest.skip("needs jobs it may pause: give --inventory FILE or --control-api")
"""


def test_allure_labels_agree_with_conformance_json(tmp_path: Path) -> None:
    """One level label per test; a failure is labelled with the requirement conformance.json charges it to."""
    done, reports = _run_suite(tmp_path, LABELS_SUITE, "--report-url", "https://ci.example.test/7/reports/")
    assert done.returncode == ExitCode.NON_CONFORMANT, done.stdout[-3000:]
    report = _report(reports)
    charged = {f["nodeid"].rsplit("::", 1)[-1]: r["id"] for r in report["requirements"] for f in r["failures"]}
    assert charged == {
        "test_body_shape_breaks_no_5xx": "NO-5XX",
        "test_count_breaks_its_own_rule": "COUNT-EQUALS-RESULTS",
    }
    expected = {**charged, "test_should_passes": "CONTENT-TYPE-415", "test_skipped": "BATCH-100"}
    allure = _allure_results(reports)
    assert set(allure) == set(expected)
    for name, requirement in expected.items():
        result = allure[name]
        level = catalogue()[requirement].level
        assert _labels(result, "requirement") == [requirement], f"{name}: {_labels(result, 'requirement')}"
        assert _labels(result, "feature") == [level], f"{name}: one level label, received {_labels(result, 'feature')}"
        assert _labels(result, "story") == [f"{requirement}: {catalogue()[requirement].title}"]
        assert [link["url"] for link in result["links"]] == [
            f"https://ci.example.test/7/reports/conformance.html#req-{requirement}"
        ]
        assert catalogue()[requirement].quote in result["description"]
    assert allure["test_body_shape_breaks_no_5xx"]["status"] == "failed"
    environment = (reports / "allure-results" / "environment.properties").read_text(encoding="utf-8").splitlines()
    assert "verdict=non-conformant" in environment and "exit.code=1" in environment
    assert any(line.startswith("coverage=") and "of 28 MUST judged" in line for line in environment), environment
    assert _junit_properties(reports) == {
        "verdict": "non-conformant",
        "exit_code": "1",
        "coverage": report["summary"]["coverage"]["text"],
    }


STOPPED_SUITE = """
    import os
    import signal
    import time

    import pytest

    STOPS = [signal.{signal}] * {count}

    @pytest.fixture(scope="session")
    def restores():
        yield
        # Teardown after the stop (where the kit puts jobs back): further signals arrive meanwhile.
        print("teardown: restoring", flush=True)
        for signum in STOPS[1:]:
            os.kill(os.getpid(), signum)
            time.sleep(0.05)
        print("teardown: restored", flush=True)

    @pytest.mark.requirement("DOC-EXAMPLE")
    def test_first(restores):
        pass

    @pytest.mark.requirement("BODY-SHAPE")
    def test_stopped_here(restores):
        os.kill(os.getpid(), STOPS[0])
        time.sleep(5)

    @pytest.mark.requirement("ITEM-SHAPE")
    def test_never_reached():
        pass
"""


@pytest.mark.parametrize(
    ("signal_name", "count", "code", "restored"),
    [
        pytest.param("SIGINT", 1, 130, True, id="one-ctrl-c"),
        pytest.param("SIGINT", 2, 130, True, id="double-ctrl-c-waits-for-the-restore"),
        pytest.param("SIGINT", 3, 130, False, id="third-ctrl-c-abandons-the-restore-but-not-the-reports"),
        pytest.param("SIGTERM", 1, 143, True, id="sigterm"),
    ],
)
def test_a_stopped_run_is_reported_interrupted(
    tmp_path: Path, signal_name: str, count: int, code: int, restored: bool
) -> None:
    done, reports = _run_suite(tmp_path, STOPPED_SUITE.format(signal=signal_name, count=count))
    output = done.stdout + done.stderr
    assert done.returncode == code, output[-3000:]
    assert "Traceback" not in done.stderr and "SystemError" not in output, output[-3000:]
    assert ("teardown: restored" in output) is restored, output[-3000:]
    report = _report(reports)
    summary = report["summary"]
    assert (summary["verdict"], summary["exit_code"]) == ("interrupted", code)
    assert summary["interruption"] == {"signal": signal_name, "tests_run": 1, "tests_collected": 3}
    by_id = {r["id"]: r for r in report["requirements"]}
    assert by_id["DOC-EXAMPLE"]["verdict"] == "pass"
    assert by_id["ITEM-SHAPE"]["not_judged"] == [
        {
            "category": "interrupted",
            "reason": f"not run: the run was stopped ({signal_name}) before 1 selected test ran",
        }
    ]
    assert _junit_properties(reports)["verdict"] == "interrupted"
    assert f"INTERRUPTED: stopped by {signal_name} after 1 of 3 tests ran" in done.stdout
