"""`drs-conformance sandbox` options: bad input is one UsageError line; seeds, lists and credentials."""

from __future__ import annotations

import argparse
import io
import json
import socket
from pathlib import Path

import pytest

from drs_conformance.cli.sandbox import add_arguments, config_from_args, limits_from_args, run
from drs_conformance.contract.control_extensions import CONTROL_EXTENSIONS
from drs_conformance.contract.inventory import FOREIGN_PROJECT_DEFAULT
from drs_conformance.errors import ExitCode, UsageError
from drs_conformance.sandbox import DEFAULT_AK, DEFAULT_PROJECT, DEFAULT_TOKEN, create_app, list_defects, list_variants
from drs_conformance.sandbox.server import ServerLimits

JOB = "8d0e8e36-a618-490d-8a46-8c61ac9jb511"
FOREIGN = "8d0e8e36-a618-490d-8a46-8c61ac9jb512"


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="drs-conformance sandbox")
    add_arguments(parser)
    return parser.parse_args(list(argv))


def usage_error(*argv: str) -> str:
    with pytest.raises(UsageError) as caught:
        run(parse(*argv), out=io.StringIO())
    text = str(caught.value)
    assert "\n" not in text and text, f"received a usage error of {text.count(chr(10)) + 1} lines: {text!r}"
    assert caught.value.exit_code == ExitCode.USAGE
    return text


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        pytest.param(["--defect", "nope"], "unknown defect 'nope'", id="unknown-defect"),
        pytest.param(
            ["--token", "no-equals-sign"],
            "--token 'no-equals-sign' is malformed; write --token TOKEN=PROJECT",
            id="token-malformed",
        ),
        pytest.param(["--token", "=project"], "is malformed", id="token-empty"),
        pytest.param(["--token", "a=p", "--token", "a=q"], "--token a is given twice", id="token-twice"),
        pytest.param(["--variant", "duplicates"], "--variant 'duplicates' is malformed", id="variant-malformed"),
        pytest.param(["--variant", "nope=x"], "unknown variant 'nope'", id="variant-unknown"),
        pytest.param(
            ["--variant", "duplicates=twice"], "variant duplicates has no option 'twice'", id="variant-option"
        ),
        pytest.param(
            ["--variant", "duplicates=refuse", "--variant", "duplicates=per-item"], "given twice", id="variant-twice"
        ),
        pytest.param(
            ["--seed", "/nonexistent/inventory.yaml"],
            "--seed /nonexistent/inventory.yaml: no such file",
            id="seed-missing",
        ),
        pytest.param(["--ak", "AK"], "--ak and --sk go together", id="ak-without-sk"),
        pytest.param(["--ak-project", "p"], "--ak-project needs --ak and --sk", id="ak-project-alone"),
        pytest.param(["--host", "0.0.0.0"], "not a loopback address", id="remote-host"),
        pytest.param(["--host", "example.com"], "is not an IP address", id="host-name"),
        pytest.param(["--port", "70000"], "out of range", id="port-range"),
        pytest.param(["--header-timeout", "0"], "--header-timeout must be positive", id="header-timeout-zero"),
        pytest.param(["--limit-concurrency", "-1"], "--limit-concurrency must be positive", id="limit-negative"),
    ],
)
def test_bad_input_is_one_usage_error_line(argv: list[str], says: str) -> None:
    text = usage_error(*argv)
    assert says in text, f"received {text!r}, expected it to say {says!r}"


def test_unreadable_seed_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "inventory.yaml"
    bad.write_text("project_id: p\njobs: [{id: not-an-id, type: sync}]\n", encoding="utf-8")
    assert "inventory.yaml" in usage_error("--seed", str(bad))
    garbage = tmp_path / "inventory.json"
    garbage.write_text("{", encoding="utf-8")
    assert "not valid JSON" in usage_error("--seed", str(garbage))


def test_port_in_use_is_a_usage_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        assert "already in use" in usage_error("--port", str(port))


def test_list_defects_and_variants() -> None:
    out = io.StringIO()
    assert run(parse("--list-defects"), out=out) == 0
    lines = out.getvalue().splitlines()
    assert len(lines) == len(list_defects()) and lines[0].split()[0] == list_defects()[0].name
    out = io.StringIO()
    assert run(parse("--list-variants"), out=out) == 0
    assert len(out.getvalue().splitlines()) == len(list_variants()) and "duplicates={per-item|refuse}" in out.getvalue()


def test_defaults_are_the_demo_credentials_on_loopback() -> None:
    config = config_from_args(parse())
    assert config.tokens == {DEFAULT_TOKEN: DEFAULT_PROJECT} and config.access_keys[0].ak == DEFAULT_AK
    assert config.control_api and not config.defect and config.seed is None
    assert config.control_extensions == CONTROL_EXTENSIONS, "every optional addition is served by default"


def test_basic_control_api_serves_no_optional_addition() -> None:
    config = config_from_args(parse("--basic-control-api"))
    assert config.control_api and config.control_extensions == ()


def test_options_become_the_config() -> None:
    config = config_from_args(
        parse(
            "--token",
            "t1=p1",
            "--token",
            "t2=p2",
            "--ak",
            "AK",
            "--sk",
            "SK",
            "--ak-project",
            "p1",
            "--defect",
            "count-wrong",
            "--variant",
            "duplicates=refuse",
            "--no-control-api",
            "--host",
            "::1",
        )
    )
    assert config.tokens == {"t1": "p1", "t2": "p2"}
    assert [(k.ak, k.sk, k.project_id) for k in config.access_keys] == [("AK", "SK", "p1")]
    assert config.defect.name == "count-wrong" and config.variants["duplicates"] == "refuse" and not config.control_api
    assert not config.uses_default_credentials


def test_remote_host_needs_allow_remote() -> None:
    config_from_args(parse("--host", "0.0.0.0", "--allow-remote"))


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_seed_file_places_jobs_in_their_projects(tmp_path: Path, suffix: str) -> None:
    data = {
        "project_id": "aaaa0000bbbb1111cccc2222dddd3333",
        "jobs": [{"id": JOB, "type": "migration"}],
        "foreign_jobs": [{"id": FOREIGN, "status": "CREATING"}],
    }
    path = tmp_path / f"inventory{suffix}"
    path.write_text(json.dumps(data), encoding="utf-8")  # JSON is YAML too
    config = config_from_args(parse("--seed", str(path)))
    assert config.tokens == {DEFAULT_TOKEN: data["project_id"]}, "the demo token should serve the seeded project"
    store = create_app(config).state.store
    assert len(store) == 2
    job, foreign = store.get(JOB), store.get(FOREIGN)
    assert (job.project_id, job.status, job.type) == (data["project_id"], "INCRE_TRANSFER_STARTED", "migration")
    assert (foreign.project_id, foreign.status, foreign.type) == (FOREIGN_PROJECT_DEFAULT, "CREATING", "sync")


def test_limit_options_become_the_server_limits() -> None:
    limits = limits_from_args(
        parse(
            "--header-timeout",
            "2.5",
            "--keep-alive-timeout",
            "1",
            "--limit-concurrency",
            "8",
            "--max-header-bytes",
            "65536",
        )
    )
    assert limits == ServerLimits(
        header_timeout=2.5, keep_alive_timeout=1.0, limit_concurrency=8, max_header_bytes=65536
    )
    assert limits_from_args(parse()) == ServerLimits(), "the defaults of the options are not ServerLimits' own"
