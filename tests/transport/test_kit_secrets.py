"""No secret leaves a run: not under transport faults, not echoed by the target, not through a traceback's frames."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from drs_conformance.cli import program as cli
from drs_conformance.errors import ExitCode
from drs_conformance.sandbox import DEFAULT_AK, DEFAULT_PROJECT, DEFAULT_SK
from drs_conformance.transport.redaction import Redactor
from tests.fault_proxy import FaultProxy, UpstreamAnswer, passthrough, reset, rewrite

TOKEN = "e2e-token-" + "7c1f9a2b" * 5
SECRET = "url-pass-9f8e7d6c5b"
USER = "robot-user-4a3b"
_HEX64 = re.compile(rb"[0-9a-f]{64}")


def _written(report_dir: Path) -> list[Path]:
    files = sorted(p for p in report_dir.rglob("*") if p.is_file())
    assert files, f"nothing was written under {report_dir}"
    return files


def _files_with(report_dir: Path, secret: str) -> list[str]:
    return [p.name for p in _written(report_dir) if secret.encode() in p.read_bytes()]


def test_a_run_through_resets_leaves_the_token_nowhere(
    kit: Callable, sandbox_process: Callable, fault_proxy: Callable[..., FaultProxy], tmp_path: Path
) -> None:
    """3 % of the API's requests reset (seeded): tracebacks of NoAnswer print frames; none carries the token."""
    sandbox = sandbox_process("--token", f"{TOKEN}={DEFAULT_PROJECT}")
    proxy = fault_proxy(sandbox.url, [passthrough(path="^/_sandbox/"), reset(probability=0.03)], seed=3)
    reports = tmp_path / "reports"
    run = kit(
        "run",
        "--base-url",
        proxy.url,
        "--project-id",
        DEFAULT_PROJECT,
        "--auth-token",
        TOKEN,
        "--control-api",
        "--report-dir",
        str(reports),
    )
    assert proxy.faults["reset"] >= 10, f"received {proxy.faults['reset']} resets: the run was not faulty enough"
    assert (reports / "junit.xml").is_file() and any((reports / "allure-results").iterdir()), run.output
    assert "no answer after" in (reports / "conformance.json").read_text(encoding="utf-8"), (
        "no test ended on a transport failure: the resets did not reach a report"
    )
    assert TOKEN not in run.output, "the token reached the terminal"
    leaked = _files_with(reports, TOKEN)
    assert not leaked, f"the token reached {len(leaked)} report files, e.g. {leaked[:3]}"


def _echo_authorization(seen: set[bytes]) -> Callable[[dict[str, str], UpstreamAnswer], bytes]:
    """A target that puts the request's Authorization header into each of its error bodies."""

    def transform(headers: dict[str, str], answer: UpstreamAnswer) -> bytes:
        authorization = headers.get("authorization", "")
        seen.update(_HEX64.findall(authorization.encode()))
        if answer.status < 400 or not authorization:
            return answer.body
        try:
            body = json.loads(answer.body)
        except ValueError:
            return answer.body + f" Authorization: {authorization}".encode()
        if not isinstance(body, dict):
            return answer.body
        body["error_msg"] = f"{body.get('error_msg', '')} (received Authorization: {authorization})"
        return json.dumps(body).encode()

    return transform


def test_signatures_echoed_by_the_target_reach_no_report(
    kit: Callable, sandbox_process: Callable, fault_proxy: Callable[..., FaultProxy], tmp_path: Path
) -> None:
    """Every signature the kit computed is redacted by value, wherever the target puts it."""
    sandbox = sandbox_process()
    signatures: set[bytes] = set()
    proxy = fault_proxy(sandbox.url, [rewrite(_echo_authorization(signatures))])
    reports = tmp_path / "reports"
    run = kit(
        "run",
        "--base-url",
        proxy.url,
        "--project-id",
        DEFAULT_PROJECT,
        "--ak",
        DEFAULT_AK,
        "--sk",
        DEFAULT_SK,
        "--control-api",
        "--report-dir",
        str(reports),
    )
    assert len(signatures) >= 50, f"received {len(signatures)} signatures: the run did not sign its requests"
    echoed = [p.name for p in _written(reports) if b"received Authorization:" in p.read_bytes()]
    assert echoed, "no echoed error body reached a report: the test would prove nothing"
    leaked = {p.name for p in _written(reports) if signatures & set(_HEX64.findall(p.read_bytes()))}
    assert not leaked, f"signatures reached {len(leaked)} files, e.g. {sorted(leaked)[:3]}"
    assert not signatures & set(_HEX64.findall(run.output.encode())), "a signature reached the terminal"
    assert DEFAULT_SK not in run.output and _files_with(reports, DEFAULT_SK) == []


FRAME_TEST = """
from drs_conformance.transport.client import DrsClient
from drs_conformance.transport.credentials import TokenCredentials
from drs_conformance.transport.redaction import Redactor

TOKEN = "{token}"


def send_with(token, headers, client):
    client.pause_jobs([("j1", "target")], headers=headers)


def test_transport_error_with_the_token_in_its_frames():
    client = DrsClient(base_url="{url}", project_id="p1", credentials=TokenCredentials(TOKEN),
                       redactor=Redactor(), max_retries=0)
    print("captured output", TOKEN)
    send_with(TOKEN, {{"X-Trace": "a" * 300 + TOKEN + "b" * 300}}, client)
"""


def _pytest_child(tmp_path: Path, *plugins: str) -> tuple[str, Path]:
    """Run FRAME_TEST in a child pytest (long tracebacks, JUnit with output, Allure); return its output and reports."""
    out = tmp_path / ("with" if plugins else "without")
    out.mkdir()
    args = [
        sys.executable,
        "-m",
        "pytest",
        "test_frames.py",
        "--tb=long",
        "-rA",
        "-p",
        "no:cacheprovider",
        "--junitxml",
        str(out / "junit.xml"),
        "-o",
        "junit_logging=all",
        "--alluredir",
        str(out / "allure"),
    ]
    for plugin in plugins:
        args += ["-p", plugin]
    done = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1, f"the child test must fail on NoAnswer:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr, out


def test_a_token_in_the_frames_of_a_transport_error_reaches_no_report(tmp_path: Path, closed_url: str) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    (tmp_path / "test_frames.py").write_text(FRAME_TEST.format(token=TOKEN, url=closed_url), encoding="utf-8")

    output, reports = _pytest_child(tmp_path)  # the control: without the kit's report hook the token shows
    assert TOKEN in output and _files_with(reports, TOKEN), "the control run must show the token in its frames"

    output, reports = _pytest_child(tmp_path, "drs_conformance.plugin.pytest_redaction")
    assert "NoAnswer" in output and "[REDACTED]" in output, output
    assert TOKEN not in output, "the token reached the terminal"
    assert TOKEN[:12] not in output and TOKEN[-12:] not in output, "a piece of the token reached the terminal"
    assert _files_with(reports, TOKEN) == [] and _files_with(reports, TOKEN[-12:]) == []


def test_user_info_of_the_base_url_is_never_printed(kit: Callable, closed_url: str) -> None:
    """`--base-url http://user:SECRET@host`: the exit-3 line names the host only."""
    host = closed_url.removeprefix("http://")
    run = kit(
        "run",
        "--base-url",
        f"http://{USER}:{SECRET}@{host}",
        "--auth-token",
        TOKEN,
        "--project-id",
        DEFAULT_PROJECT,
        "--request-timeout",
        "5",
    )
    assert run.code == ExitCode.TARGET, run.output
    assert f"cannot reach {closed_url}" in run.stderr, run.stderr
    for secret in (SECRET, USER, TOKEN):
        assert secret not in run.output, f"{secret} was printed: {run.output}"


def test_user_info_in_a_bad_url_is_never_printed(kit: Callable) -> None:
    run = kit(
        "run",
        "--base-url",
        f"ftp://{USER}:{SECRET}@example.com",
        "--auth-token",
        TOKEN,
        "--project-id",
        DEFAULT_PROJECT,
    )
    assert run.code == ExitCode.USAGE and "not an http(s) URL" in run.stderr, run.output
    assert SECRET not in run.output and USER not in run.output, run.output


def test_debug_tracebacks_are_redacted(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """DRS_DEBUG=1 prints a kit bug's traceback: by value redacted like every other output."""
    Redactor([TOKEN])  # the run registers its secrets when it opens the target

    def broken(args: object) -> int:
        raise RuntimeError(f"boom with {TOKEN}")

    monkeypatch.setitem(cli.COMMANDS, "report", broken)
    monkeypatch.setenv("DRS_DEBUG", "1")
    code = cli.main(["report", "compare", "a.json", "b.json"])
    error = capsys.readouterr().err
    assert code == ExitCode.INTERNAL and "Traceback" in error and "RuntimeError: boom with [REDACTED]" in error, error
    assert TOKEN not in error
    monkeypatch.delenv("DRS_DEBUG")
    assert cli.main(["report", "compare", "a.json", "b.json"]) == ExitCode.INTERNAL
    assert TOKEN not in capsys.readouterr().err
