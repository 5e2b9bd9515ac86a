"""Redaction by value: secrets planted in exchanges, messages, options and deviations reach no written file."""

from __future__ import annotations

import contextlib
import copy
import html
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import unquote

import pytest

from drs_conformance.plugin.options import KitOptions, resolve_options
from drs_conformance.reporting import (
    REPORT_FILES,
    summary_lines,
    validate_report,
    write_reports,
)
from drs_conformance.transport.redaction import (
    REDACTED,
    Redactor,
    display_url,
    redact_known,
    split_user_info,
)


def _decoded_forms(text: str) -> list[str]:
    """The text as written, and as a reader would decode it (HTML entities, JSON and URL escapes)."""
    forms = [text, html.unescape(text), unquote(text)]
    with contextlib.suppress(ValueError):
        forms.append(json.dumps(json.loads(text), ensure_ascii=False))
    return forms


def test_no_secret_in_any_written_file(
    tmp_path: Path, mixed_report: dict[str, Any], redactor: Redactor, samples: SimpleNamespace
) -> None:
    # The fixture report was built without a redactor: the secrets are in it, raw.
    raw = json.dumps(mixed_report, ensure_ascii=False)
    assert all(core in raw for core in samples.SECRET_CORES)

    paths = write_reports(mixed_report, tmp_path / "reports", redactor)

    assert {key: path.name for key, path in paths.items()} == REPORT_FILES
    written = sorted(p for p in (tmp_path / "reports").rglob("*") if p.is_file())
    assert written == sorted(paths.values())  # nothing else, no temporary file left behind
    for path in written:
        text = path.read_text(encoding="utf-8")
        for form in _decoded_forms(text):
            for core in samples.SECRET_CORES:
                assert core not in form, f"{core} found in {path.name}"
        assert REDACTED in html.unescape(text) or path.suffix == ".md"


def test_curl_lines_in_the_written_json_are_clean_and_made_from_redacted_exchanges(
    tmp_path: Path, mixed_report: dict[str, Any], redactor: Redactor, samples: SimpleNamespace
) -> None:
    paths = write_reports(mixed_report, tmp_path, redactor)
    document = json.loads(paths["json"].read_text(encoding="utf-8"))
    validate_report(document)
    curls = [e["curl"] for r in document["requirements"] for f in r["failures"] for e in f["exchanges"]]
    assert len(curls) == 6
    for curl in curls:
        assert "$DRS_AUTH_TOKEN" in curl or "AK/SK-signed request" in curl
        assert not any(core in curl for core in samples.SECRET_CORES)
    assert document["run"]["options"]["auth_token"] == REDACTED


def test_write_reports_leaves_its_input_unchanged(
    tmp_path: Path, mixed_report: dict[str, Any], redactor: Redactor
) -> None:
    before = copy.deepcopy(mixed_report)
    write_reports(mixed_report, tmp_path, redactor)
    assert mixed_report == before


def test_terminal_lines_are_redacted(
    mixed_report: dict[str, Any], redactor: Redactor, samples: SimpleNamespace
) -> None:
    text = "\n".join(summary_lines(mixed_report, redactor=redactor))
    assert not any(core in text for core in samples.SECRET_CORES)
    assert REDACTED in text


# -- the Redactor itself: signatures, traceback fragments, URL user-info ---------------------------

SIGNATURE = "3f1c9a0b7e6d5c4b3a29180716f5e4d3c2b1a0f9e8d7c6b5a4938271605f4e3d"
AUTHORIZATION = (
    f"SDK-HMAC-SHA256 Access=AKLIVE0000000001, SignedHeaders=content-type;host;x-sdk-date, Signature={SIGNATURE}"
)


def test_a_registered_signature_is_redacted_wherever_it_appears() -> None:
    redactor = Redactor()
    redactor.add_authorization(AUTHORIZATION)
    for text in (
        f"echo {SIGNATURE} end",
        f'"sig":"{SIGNATURE.upper()}"',
        f"prefix{SIGNATURE}suffix",
        f"abc{SIGNATURE}{SIGNATURE}",
    ):
        assert SIGNATURE not in redactor.text(text).lower(), text
    assert redactor.text("a1" * 32) == "a1" * 32, "a hex run that is no signature of the run stays"


def test_a_signature_field_is_redacted_even_unregistered() -> None:
    assert Redactor().text(f"Authorization: {AUTHORIZATION}").endswith(f"Signature={REDACTED}")


def test_a_non_signature_authorization_is_a_secret_by_value() -> None:
    redactor = Redactor()
    redactor.add_authorization("Basic cm9ib3Q6cGFzc3dvcmQ=")
    assert redactor.text("sent cm9ib3Q6cGFzc3dvcmQ= here") == f"sent {REDACTED} here"


def _ellipsized(text: str, maxsize: int = 240) -> str:
    """What pytest's saferepr does to a long repr: keep both ends, cut the middle with '...'."""
    head = (maxsize - 3) // 2
    return text[:head] + "..." + text[len(text) - (maxsize - 3 - head) :]


def test_pieces_of_a_secret_cut_by_a_repr_are_redacted_in_tracebacks() -> None:
    token = "MIIE-" + "x7Y2" * 100 + "-END"  # IAM tokens are long: a frame's repr cuts them
    redactor = Redactor([token])
    for shown in (
        _ellipsized(f"headers = {{'X-Auth-Token': '{token}'}}"),
        _ellipsized(f"{'a' * 200} {token}"),
        _ellipsized(f"{token} {'b' * 300}"),
    ):
        assert token[:12] in shown or token[-12:] in shown, "the example must cut the token"
        cleaned = redactor.traceback(shown)
        assert token[:8] not in cleaned and token[-8:] not in cleaned, cleaned
    redactor.add_authorization(AUTHORIZATION)
    cut = redactor.traceback(f"sig='{SIGNATURE[:40]}...{SIGNATURE[-30:]}'")
    assert SIGNATURE[:10] not in cut and SIGNATURE[-10:] not in cut, cut


def test_every_secret_is_known_to_the_process() -> None:
    Redactor(["process-wide-secret-1234"])
    assert redact_known("x process-wide-secret-1234 y") == f"x {REDACTED} y"


@pytest.mark.parametrize(
    ("url", "shown", "user_info"),
    [
        pytest.param("http://u:p%40ss@h.example:8080/base", "http://h.example:8080/base", ("u", "p@ss"), id="both"),
        pytest.param("https://TOKEN123@h.example", "https://h.example", ("TOKEN123", ""), id="user-only"),
        pytest.param("http://h.example", "http://h.example", None, id="none"),
    ],
)
def test_user_info_is_split_from_the_url(url: str, shown: str, user_info: tuple[str, str] | None) -> None:
    assert split_user_info(url) == (shown, user_info)
    assert display_url(url) == shown


def test_options_keep_user_info_out_of_the_base_url_and_secret() -> None:
    options = resolve_options(
        {"base_url": "http://robot:s3cret-pass@127.0.0.1:9", "auth_token": "tok-123456", "project_id": "p"}, environ={}
    )
    assert options.base_url == "http://127.0.0.1:9"
    assert options.request_url == "http://robot:s3cret-pass@127.0.0.1:9"
    assert {"robot", "s3cret-pass", "tok-123456"} <= set(options.secrets)
    shown = repr(options) + json.dumps(options.public())
    assert not any(secret in shown for secret in options.secrets), shown
    assert KitOptions.from_dict(options.to_dict()).request_url == options.request_url, "xdist workers get it too"
