"""Bad input to the kit: one clear line saying what is wrong and how to fix it, a distinct exit code."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from drs_conformance.errors import ExitCode

PROJECT = "054ba152d480d55b2f5dc0069e7ddef0"
SECRET = "not-a-real-token-7f3a9c"


def _one_line(run) -> str:  # type: ignore[no-untyped-def]
    """The run's single error line (and proof there is nothing else: no traceback, no usage dump)."""
    assert "Traceback" not in run.output, f"a traceback reached the user:\n{run.output}"
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one error line, got {len(lines)}:\n{run.stderr}"
    assert lines[0].startswith("drs-conformance: error: "), lines[0]
    return lines[0]


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


USAGE_CASES = [
    pytest.param(
        ["run", "--bogus"], "unrecognized arguments: --bogus (see: drs-conformance run --help)", id="unknown-flag"
    ),
    pytest.param(
        ["run", "--sandbox-defects", "count-wrong"], "did you mean '--sandbox-defect'?", id="unknown-flag-near-miss"
    ),
    pytest.param(["sandbox", "--prot", "1"], "(see: drs-conformance sandbox --help)", id="unknown-sandbox-flag"),
    pytest.param(["frobnicate"], "invalid choice", id="unknown-command"),
    pytest.param(
        ["run", "--seed", "abc"], "--seed: 'abc' is not a whole number; give e.g. --seed 0", id="seed-not-a-number"
    ),
    pytest.param(
        ["run", "--request-timeout", "soon"], "--request-timeout: 'soon' is not a number", id="timeout-not-a-number"
    ),
    pytest.param(
        [
            "run",
            "--rate-limit",
            "-3",
            "--base-url",
            "http://127.0.0.1:9",
            "--auth-token",
            SECRET,
            "--project-id",
            PROJECT,
        ],
        "--rate-limit",
        id="negative-rate",
    ),
    pytest.param(
        ["run", "--base-url", "ftp://example.com", "--auth-token", SECRET, "--project-id", PROJECT],
        "not an http(s) URL",
        id="bad-url",
    ),
    pytest.param(
        ["run", "--base-url", "http://127.0.0.1:9", "--project-id", PROJECT], "needs credentials", id="no-credentials"
    ),
    pytest.param(
        ["run", "--base-url", "http://127.0.0.1:9", "--ak", "AK"], "--ak and --sk go together", id="ak-without-sk"
    ),
    pytest.param(["run", "--auth-token", SECRET], "needs --base-url", id="token-without-url"),
    pytest.param(
        [
            "run",
            "--base-url",
            "http://127.0.0.1:9",
            "--auth-token",
            SECRET,
            "--project-id",
            PROJECT,
            "--control-api",
            "--inventory",
            "x.yaml",
        ],
        "choose one",
        id="control-and-inventory",
    ),
    pytest.param(["run", "--sandbox-defect", "no-such-defect"], "unknown defect", id="unknown-defect"),
    pytest.param(
        ["run", "--sandbox-defect", "count-wrnog"],
        "unknown defect 'count-wrnog'; did you mean 'count-wrong'?",
        id="defect-near-miss",
    ),
    pytest.param(["run", "--sandbox-variant", "no-such=thing"], "unknown variant", id="unknown-variant"),
    pytest.param(
        ["run", "--sandbox-variant", "duplicate=refuse"], "did you mean 'duplicates'?", id="variant-near-miss"
    ),
    pytest.param(
        ["run", "--sandbox-variant", "duplicates=maybe"],
        "variant duplicates has no option 'maybe' (choose one of per-item, refuse)",
        id="variant-option",
    ),
    pytest.param(
        ["run", "--sandbox-variant", "duplicates=refuse", "--sandbox-variant", "duplicates=per-item"],
        "given twice",
        id="variant-twice",
    ),
    pytest.param(["run", "--sandbox-variant", "duplicates"], "NAME=OPTION", id="variant-without-option"),
    pytest.param(
        ["run", "--requirement", "COUNT-EQUAL-RESULTS"],
        "did you mean 'COUNT-EQUALS-RESULTS'?",
        id="requirement-near-miss",
    ),
    pytest.param(
        ["run", "--config", "missing.yaml"],
        "cannot read config file missing.yaml: No such file or directory; check --config",
        id="missing-config",
    ),
    pytest.param(["run", "--known-deviations", "missing.yaml"], "missing.yaml", id="missing-deviations"),
    pytest.param(["run", "--", "-k", "no_test_has_this_name"], "no test was selected", id="nothing-selected"),
    pytest.param(["report", "compare", "old.json", "new.json"], "old.json", id="compare-missing-files"),
    pytest.param(["sandbox", "--defect", "no-such-defect"], "unknown defect", id="sandbox-unknown-defect"),
    pytest.param(["sandbox", "--token", "no-equals-sign"], "TOKEN=PROJECT", id="sandbox-bad-token"),
    pytest.param(["selftest", "--defect", "no-such-defect"], "unknown defect", id="selftest-unknown-defect"),
]


@pytest.mark.parametrize(("args", "says"), USAGE_CASES)
def test_usage_errors_are_one_line_with_exit_2(kit: Callable, args: list[str], says: str) -> None:
    run = kit(*args)
    assert run.code == ExitCode.USAGE, f"exit {run.code}, documented {int(ExitCode.USAGE)}:\n{run.output}"
    line = _one_line(run)
    assert says in line, f"{line!r} does not say {says!r}"
    assert SECRET not in run.output, "the token was printed"


def test_bad_config_file_names_the_setting(kit: Callable, tmp_path: Path) -> None:
    config = _write(tmp_path / "conf.yaml", "target:\n  base_url: http://127.0.0.1:9\n  colour: blue\n")
    run = kit("run", "--config", str(config))
    assert run.code == ExitCode.USAGE
    assert "target.colour" in _one_line(run)


def test_config_yaml_error_says_line_and_column(kit: Callable, tmp_path: Path) -> None:
    config = _write(tmp_path / "conf.yaml", "target:\n  base_url: http://127.0.0.1:9\n run:\n  seed: 1\n")
    run = kit("run", "--config", str(config))
    assert run.code == ExitCode.USAGE
    assert f"{config}: not valid YAML: line 3, column 2: " in _one_line(run)


def test_missing_config_from_the_environment_names_the_variable(kit: Callable) -> None:
    run = kit("run", env={"DRS_CONFORMANCE_CONFIG": "nowhere.yaml"})
    assert run.code == ExitCode.USAGE
    line = _one_line(run)
    assert "check the environment variable DRS_CONFORMANCE_CONFIG" in line and "--config" not in line


def test_bare_command_prints_help_and_exits_0(kit: Callable) -> None:
    run = kit()
    assert run.code == 0, run.output
    assert run.stdout.startswith("usage: drs-conformance") and "requirements" in run.stdout and not run.stderr
    assert "examples:" in run.stdout


@pytest.mark.parametrize(
    "command", [["run"], ["requirements"], ["restore"], ["sandbox"], ["selftest"], ["report"], ["report", "compare"]]
)
def test_every_command_help_has_an_example(kit: Callable, command: list[str]) -> None:
    run = kit(*command, "--help")
    assert run.code == 0, run.output
    examples = run.stdout.split("examples:\n", 1)
    assert len(examples) == 2, f"no examples in {' '.join(command)} --help"
    assert examples[1].lstrip().startswith(f"drs-conformance {command[0]}")


INVENTORIES = [
    pytest.param("project_id: p\njobs: [\n", "not valid YAML: line 3, column 1: ", id="yaml-syntax"),
    pytest.param(
        "project_id: p\njobs:\n  - id: 8d0e8e36-a618-490d-8a46-8c61ac9jb502\n    type: batch\n",
        "jobs[0].type",
        id="unknown-type",
    ),
    pytest.param("project_id: p\njobs:\n  - id: NOT-AN-ID\n    type: sync\n", "jobs[0].id", id="bad-id"),
    pytest.param("jobs: []\n", "project_id", id="no-project"),
    pytest.param("[1, 2]\n", "(top level)", id="not-a-mapping"),
]


@pytest.mark.parametrize(("text", "says"), INVENTORIES)
def test_malformed_inventory_is_one_line_with_exit_2(kit: Callable, tmp_path: Path, text: str, says: str) -> None:
    inventory = _write(tmp_path / "inventory.yaml", text)
    run = kit("run", "--base-url", "http://127.0.0.1:9", "--auth-token", SECRET, "--inventory", str(inventory))
    assert run.code == ExitCode.USAGE, run.output
    assert says in _one_line(run)


def test_unreachable_target_is_exit_3(kit: Callable, closed_url: str) -> None:
    url = closed_url
    run = kit("run", "--base-url", url, "--auth-token", SECRET, "--project-id", PROJECT, "--request-timeout", "5")
    assert run.code == ExitCode.TARGET, run.output
    line = _one_line(run)
    assert "cannot reach" in line and url in line and "--base-url" in line
    assert SECRET not in run.output


def test_refused_token_is_exit_3(kit: Callable, sandbox_process: Callable) -> None:
    sandbox = sandbox_process()
    run = kit("run", "--base-url", sandbox.url, "--auth-token", SECRET, "--project-id", PROJECT)
    assert run.code == ExitCode.TARGET, run.output
    line = _one_line(run)
    assert "refused the credentials" in line and "--auth-token" in line
    assert SECRET not in run.output


def test_control_api_missing_is_exit_3(kit: Callable, sandbox_process: Callable) -> None:
    sandbox = sandbox_process("--no-control-api")
    run = kit(
        "run", "--base-url", sandbox.url, "--auth-token", "sandbox-token", "--project-id", PROJECT, "--control-api"
    )
    assert run.code == ExitCode.TARGET, run.output
    assert "control API" in _one_line(run)


def test_port_in_use_is_one_line(kit: Callable, sandbox_process: Callable) -> None:
    sandbox = sandbox_process()
    port = sandbox.url.rsplit(":", 1)[1]
    run = kit("sandbox", "--port", port)
    assert run.code == ExitCode.USAGE, run.output
    assert "already in use" in _one_line(run)


def _snapshot(directory: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(directory)): path.read_bytes() for path in sorted(directory.rglob("*")) if path.is_file()
    }


REFUSED_BEFORE_PYTEST = [
    pytest.param(["--sandbox-defect", "no-such-defect"], id="unknown-defect"),
    pytest.param(["--sandbox-variant", "duplicates=maybe"], id="unknown-variant-option"),
    pytest.param(["--requirement", "NO-SUCH-REQUIREMENT"], id="unknown-requirement"),
    pytest.param(["--seed", "abc"], id="seed"),
    pytest.param(["--known-deviations", "deviations.yaml"], id="deviations-file"),
    pytest.param(["--config", "config.yaml"], id="config-file"),
]


@pytest.mark.parametrize("bad", REFUSED_BEFORE_PYTEST)
def test_a_refused_run_leaves_the_previous_reports_untouched(kit: Callable, tmp_path: Path, bad: list[str]) -> None:
    """Checked before pytest starts: no junit.xml rewritten, no allure-results emptied, no conformance.* removed."""
    _write(tmp_path / "deviations.yaml", "deviations:\n  - requirement: NO-5XX\n   reason: x\n")
    _write(tmp_path / "config.yaml", "run:\n  seed: [\n")
    first = kit("run", "--report-dir", "out", "--", "-k", "documented_example")
    assert first.code == 0, first.output[-2000:]
    before = _snapshot(tmp_path / "out")
    assert {"junit.xml", "conformance.json", "conformance.md", "conformance.html"} <= set(before)
    assert any(name.startswith("allure-results/") for name in before)

    run = kit("run", "--report-dir", "out", *bad)
    assert run.code == ExitCode.USAGE, run.output
    _one_line(run)
    assert "test session starts" not in run.output, "pytest started before the input was checked"
    assert _snapshot(tmp_path / "out") == before, "a refused run changed the previous reports"
