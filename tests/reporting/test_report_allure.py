"""Allure helpers: labels, tag, description, link and redacted attachments, as allure-pytest writes them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import allure_commons
import pytest

from drs_conformance.contract.catalogue import catalogue
from drs_conformance.reporting import attach_exchanges, label_requirement, requirement_link
from drs_conformance.transport.redaction import Redactor


class _Recorder:
    """Receives what allure's API reports during a test."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    @allure_commons.hookimpl
    def add_label(self, label_type: str, labels: tuple[str, ...]) -> None:
        self.calls.append(("label", {"type": label_type, "values": labels}))

    @allure_commons.hookimpl
    def add_description(self, test_description: str) -> None:
        self.calls.append(("description", {"text": test_description}))

    @allure_commons.hookimpl
    def add_link(self, url: str, link_type: str, name: str | None) -> None:
        self.calls.append(("link", {"url": url, "type": link_type, "name": name}))

    @allure_commons.hookimpl
    def attach_data(self, body: str, name: str, attachment_type: Any, extension: Any) -> None:
        self.calls.append(("attach", {"body": body, "name": name}))


@pytest.fixture
def recorder():
    recorder = _Recorder()
    allure_commons.plugin_manager.register(recorder)
    try:
        yield recorder
    finally:
        allure_commons.plugin_manager.unregister(recorder)


def test_label_requirement(recorder: _Recorder) -> None:
    requirement = catalogue()["CONTENT-TYPE-415"]
    label_requirement("CONTENT-TYPE-415", link_base="https://ci.example.test/run/7/conformance.html")
    labels = [(c["type"], c["values"]) for kind, c in recorder.calls if kind == "label"]
    assert ("requirement", ("CONTENT-TYPE-415",)) in labels
    assert ("tag", ("SHOULD",)) in labels
    assert ("story", (f"CONTENT-TYPE-415: {requirement.title}",)) in labels
    (description,) = [c["text"] for kind, c in recorder.calls if kind == "description"]
    assert requirement.quote in description
    (link,) = [c for kind, c in recorder.calls if kind == "link"]
    assert link == {
        "url": "https://ci.example.test/run/7/conformance.html#req-CONTENT-TYPE-415",
        "type": "link",
        "name": "CONTENT-TYPE-415 (SHOULD)",
    }
    assert requirement_link("NO-5XX") == "../conformance.html#req-NO-5XX", "beside allure-report/ by default"
    assert requirement_link("NO-5XX", "https://ci.example.test/run/7/reports/") == (
        "https://ci.example.test/run/7/reports/conformance.html#req-NO-5XX"
    ), "a published report directory"
    assert requirement_link("NO-5XX", "https://ci.example.test/run/7/reports") == (
        "https://ci.example.test/run/7/reports/conformance.html#req-NO-5XX"
    )
    features = [
        values
        for kind, c in recorder.calls
        if kind == "label"
        for t, values in [(c["type"], c["values"])]
        if t == "feature"
    ]
    assert features == [("SHOULD",)], f"one level label per test, received {features}"


def test_attach_exchanges_are_redacted(recorder: _Recorder, samples: SimpleNamespace, redactor: Redactor) -> None:
    attach_exchanges(
        [samples.token_exchange(status=500, response_body=samples.HOSTILE), samples.signed_exchange()], redactor
    )
    attachments = [c for kind, c in recorder.calls if kind == "attach"]
    assert [a["name"] for a in attachments] == [
        "1. batch-pause-task request [pause]",
        "1. batch-pause-task response (500) [pause]",
        "1. batch-pause-task curl [pause]",
        "2. batch-pause-task request",
        "2. batch-pause-task response (200)",
        "2. batch-pause-task curl",
    ]
    text = json.dumps(attachments, ensure_ascii=False)
    assert not any(core in text for core in samples.SECRET_CORES)
    assert attachments[0]["body"].splitlines()[2] == "X-Auth-Token: [REDACTED]"
    assert attachments[1]["body"].startswith("500 (12 ms)")
    assert '-H "X-Auth-Token: $DRS_AUTH_TOKEN"' in attachments[2]["body"]
    assert attachments[5]["body"].startswith("# AK/SK-signed request")


def test_outside_an_allure_run_the_helpers_do_nothing(samples: SimpleNamespace) -> None:
    label_requirement("NO-5XX")
    attach_exchanges([samples.token_exchange()])


def test_allure_pytest_writes_labels_links_description_and_attachments(tmp_path: Path) -> None:
    test_file = tmp_path / "test_sample.py"
    test_file.write_text(
        textwrap.dedent(
            """
            from drs_conformance.contract.exchange import Exchange, RecordedRequest, RecordedResponse
            from drs_conformance.transport.redaction import Redactor
            import pytest

            from drs_conformance.reporting import attach_exchanges, label_requirement, title_test

            @pytest.mark.parametrize("mode", [pytest.param("all", id="all")])
            def test_sample(request, mode):
                '''A 500 is never the answer.

                More words that are not the title.
                '''
                title_test(request.node)
                label_requirement("NO-5XX")
                exchange = Exchange(
                    request=RecordedRequest("POST", "http://127.0.0.1:1/v3/p/jobs/batch-pause-task",
                                            [("X-Auth-Token", "tokZzPLANT99")], "{}", 2),
                    response=RecordedResponse(500, [], "echo tokZzPLANT99"),
                )
                attach_exchanges([exchange], Redactor(["tokZzPLANT99"]))
            """
        ),
        encoding="utf-8",
    )
    results = tmp_path / "allure-results"
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "allure_pytest.plugin",
            "-p",
            "no:cacheprovider",
            f"--alluredir={results}",
            str(test_file),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    (result_file,) = results.glob("*-result.json")
    result = json.loads(result_file.read_text())
    assert {"name": "requirement", "value": "NO-5XX"} in result["labels"]
    assert {"name": "tag", "value": "MUST"} in result["labels"]
    assert result["links"] == [{"type": "link", "url": "../conformance.html#req-NO-5XX", "name": "NO-5XX (MUST)"}]
    assert catalogue()["NO-5XX"].quote in result["description"]
    assert result["name"] == "A 500 is never the answer."
    assert result["parameters"] == [{"name": "mode", "value": "'all'"}]
    assert [a["name"] for a in result["attachments"]] == [
        "batch-pause-task request",
        "batch-pause-task response (500)",
        "batch-pause-task curl",
    ]
    for path in results.iterdir():
        assert "ZzPLANT99" not in path.read_text(errors="replace"), path.name


def test_environment_properties_name_the_run_and_its_verdict(
    tmp_path: Path, samples: SimpleNamespace, redactor: Redactor
) -> None:
    from drs_conformance.reporting import build_report, write_environment

    info = samples.run_info(base_url=f"http://127.0.0.1:1/{samples.SECRETS['token']}=x:y\nz")
    report = build_report(info, samples.passing_outcomes(), today=samples.TODAY)
    path = write_environment(tmp_path / "allure-results", report, redactor)
    assert path == tmp_path / "allure-results" / "environment.properties"
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines == [
        "target=http://127.0.0.1:1/[REDACTED]=x:y\\nz",
        "target.mode=control-api",
        f"project={samples.PROJECT}",
        "kit.version=0.1.0",
        "spec.version=1.0.0",
        "seed=1234567",
        "hypothesis.profile=ci",
        "strict=no",
        "verdict=conformant",
        "coverage=28 of 28 MUST judged, 5 of 5 EITHER judged, 10 of 10 SHOULD judged",
        "exit.code=0",
        f"tests={len(catalogue())} run, 0 unanswered",
    ]


@pytest.mark.parametrize(
    ("method", "url", "name"),
    [
        pytest.param("POST", "http://h/v3/p/jobs/batch-pause-task", "batch-pause-task", id="pause"),
        pytest.param("POST", "http://h/base/v3/p/jobs/batch-status?x=1", "batch-status", id="status-under-a-prefix"),
        pytest.param("GET", "http://h/v3/p/jobs/batch-pause-task", "GET batch-pause-task", id="method-probe"),
        pytest.param(
            "PUT",
            "http://h/_sandbox/jobs/8d0e8e36-a618-490d-8a46-8c61ac9jb502",
            "control API PUT /_sandbox/jobs/{id}",
            id="control-api",
        ),
        pytest.param("GET", "http://h/openapi.json", "GET /openapi.json", id="other"),
    ],
)
def test_attachments_are_named_by_operation(method: str, url: str, name: str) -> None:
    from drs_conformance.contract.exchange import Exchange, RecordedRequest
    from drs_conformance.reporting import operation_name

    assert operation_name(Exchange(request=RecordedRequest(method, url, []))) == name
