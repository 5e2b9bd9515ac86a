"""Redaction by value: secrets planted in exchanges, messages, options and deviations reach no written file."""

from __future__ import annotations

import copy
import html
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import unquote

from drs_conformance.redaction import REDACTED, Redactor
from drs_conformance.reporting import REPORT_FILES, summary_lines, validate_report, write_reports


def _decoded_forms(text: str) -> list[str]:
    """The text as written, and as a reader would decode it (HTML entities, JSON and URL escapes)."""
    forms = [text, html.unescape(text), unquote(text)]
    try:
        forms.append(json.dumps(json.loads(text), ensure_ascii=False))
    except ValueError:
        pass
    return forms


def test_no_secret_in_any_written_file(tmp_path: Path, mixed_report: dict[str, Any], redactor: Redactor, samples: SimpleNamespace) -> None:
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


def test_write_reports_leaves_its_input_unchanged(tmp_path: Path, mixed_report: dict[str, Any], redactor: Redactor) -> None:
    before = copy.deepcopy(mixed_report)
    write_reports(mixed_report, tmp_path, redactor)
    assert mixed_report == before


def test_terminal_lines_are_redacted(mixed_report: dict[str, Any], redactor: Redactor, samples: SimpleNamespace) -> None:
    text = "\n".join(summary_lines(mixed_report, redactor=redactor))
    assert not any(core in text for core in samples.SECRET_CORES)
    assert REDACTED in text
