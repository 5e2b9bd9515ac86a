"""curl lines: copy-pasteable (bash parses them back to the recorded request) and free of credentials."""

from __future__ import annotations

import json
import shutil
import subprocess
from types import SimpleNamespace

import pytest

from drs_conformance.contract.exchange import Exchange, RecordedRequest
from drs_conformance.reporting import curl_line
from drs_conformance.transport.redaction import Redactor

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="bash is needed to run the curl lines")


def _run_in_bash(line: str, token: str = "the-token") -> list[str]:
    """The arguments bash hands to `curl` when the line is pasted (curl replaced by a printer)."""
    script = 'curl() { for a in "$@"; do printf "%s\\0" "$a"; done; }\n' + line
    result = subprocess.run(
        ["bash", "-c", script], capture_output=True, env={"DRS_AUTH_TOKEN": token, "PATH": "/usr/bin:/bin"}, check=True
    )
    return result.stdout.decode().split("\0")[:-1]


def test_token_request_round_trips_through_bash(samples: SimpleNamespace, redactor: Redactor) -> None:
    exchange = samples.token_exchange(body=json.dumps({"jobs": [{"job_id": "a'b\"c$d`e", "pause_mode": "all"}]}))
    line = curl_line(exchange, redactor)
    args = _run_in_bash(line)
    assert args[:5] == ["-sS", "-i", "-X", "POST", f"{samples.PAUSE_URL}?trace=[REDACTED]"]
    headers = [args[i + 1] for i, a in enumerate(args) if a == "-H"]
    assert headers == ["Content-Type: application/json", "X-Auth-Token: the-token", "X-Trace: token=[REDACTED]"]
    assert args[-2:] == ["--data-binary", exchange.request.body]
    assert "$DRS_AUTH_TOKEN" in line
    for core in samples.SECRET_CORES:
        assert core not in line


def test_signed_request_drops_the_signature_and_says_it_must_be_signed_again(
    samples: SimpleNamespace, redactor: Redactor
) -> None:
    line = curl_line(samples.signed_exchange(), redactor)
    first, *rest = line.splitlines()
    assert first.startswith("# AK/SK-signed request: sign it again before sending")
    assert "Authorization" not in "\n".join(rest) and "X-Sdk-Date" not in "\n".join(rest)
    assert "SDK-HMAC-SHA256 Access" not in line
    for core in samples.SECRET_CORES:
        assert core not in line
    args = _run_in_bash(line)
    assert "Content-Type: application/json" in args


def test_credential_headers_other_than_the_token_are_left_out_with_a_comment() -> None:
    exchange = Exchange(
        request=RecordedRequest(method="GET", url="http://t/x", headers=[("Cookie", "s=1"), ("Accept", "*/*")])
    )
    line = curl_line(exchange)
    assert line.splitlines()[0] == "# the Cookie header is left out: it carries a credential"
    assert _run_in_bash(line) == ["-sS", "-i", "http://t/x", "-H", "Accept: */*"]


def test_hostile_header_and_url_stay_single_arguments() -> None:
    name, value, url = "X-A\necho pwned; #", "$(echo pwned)`echo pwned`'\"", "http://t/?q=';echo pwned;'"
    exchange = Exchange(request=RecordedRequest(method="GET", url=url, headers=[(name, value)]))
    assert _run_in_bash(curl_line(exchange)) == ["-sS", "-i", url, "-H", f"{name}: {value}"]


@pytest.mark.parametrize(
    ("body", "body_size", "why"),
    [
        pytest.param("x" * 9000, 9000, "over 8192 bytes or not printable", id="large"),
        pytest.param(
            "x" * 100 + "... [5 more characters not shown]", 105 + 2000, "clipped in the recording", id="clipped"
        ),
        pytest.param('{"a": "\x00"}', 10, "over 8192 bytes or not printable", id="nul"),
    ],
)
def test_bodies_that_cannot_be_inlined_are_referred_to_as_a_file(body: str, body_size: int, why: str) -> None:
    exchange = Exchange(
        request=RecordedRequest(method="POST", url="http://t/", headers=[], body=body, body_size=body_size)
    )
    line = curl_line(exchange)
    assert line.splitlines()[0].startswith("# the request body (")
    assert f"is not inlined ({why}): put it in request-body.json next to this command" in line
    assert line.endswith("--data-binary @request-body.json")


def test_small_bodies_are_inlined_and_empty_bodies_kept() -> None:
    exchange = Exchange(request=RecordedRequest(method="POST", url="http://t/", headers=[], body="", body_size=0))
    assert _run_in_bash(curl_line(exchange)) == ["-sS", "-i", "-X", "POST", "http://t/", "--data-binary", ""]


def test_automatic_headers_are_left_to_curl(samples: SimpleNamespace) -> None:
    exchange = Exchange(
        request=RecordedRequest(
            method="POST",
            url="http://t/",
            headers=[
                ("Host", "t"),
                ("Content-Length", "2"),
                ("Accept-Encoding", "gzip"),
                ("Connection", "close"),
                ("X-Language", "zh-cn"),
            ],
            body="{}",
            body_size=2,
        )
    )
    args = _run_in_bash(curl_line(exchange))
    assert [args[i + 1] for i, a in enumerate(args) if a == "-H"] == ["X-Language: zh-cn"]
