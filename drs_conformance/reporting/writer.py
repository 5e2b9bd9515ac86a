"""Writes conformance.json, conformance.md and conformance.html, with a last redaction pass over each."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from drs_conformance.contract.exchange import Exchange
from drs_conformance.errors import ConfigError
from drs_conformance.reporting.curl import curl_line
from drs_conformance.reporting.html_page import render_html
from drs_conformance.reporting.markdown import render_markdown
from drs_conformance.reporting.run_report import redact_data
from drs_conformance.transport.redaction import Redactor

__all__ = ["REPORT_FILES", "write_reports"]

# Key in the returned mapping -> file name in the report directory.
REPORT_FILES = {"json": "conformance.json", "md": "conformance.md", "html": "conformance.html"}


def _write(path: Path, text: str) -> None:
    """Write through a temporary file, so a reader never sees half a report."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)


def _with_fresh_curl_lines(report: dict[str, Any], redactor: Redactor) -> dict[str, Any]:
    """Curl lines made again from the redacted exchanges: a secret shell-quoted inside an old curl line
    (`it'"'"'s`) would not be found by value any more."""
    for requirement in report.get("requirements", ()):
        for failure in requirement.get("failures", ()):
            for exchange in failure.get("exchanges", ()):
                exchange["curl"] = curl_line(Exchange.from_dict(exchange), redactor)
            if failure.get("exchanges"):
                failure["curl"] = failure["exchanges"][-1]["curl"]
    return report


def write_reports(report: dict[str, Any], report_dir: str | Path, redactor: Redactor | None = None) -> dict[str, Path]:
    """Write the three reports into `report_dir` (created if missing); return their paths by key."""
    redactor = redactor or Redactor()
    report_dir = Path(report_dir)
    # Every string redacted before it is rendered anywhere (redact_data copies, so `report` is left as it is).
    clean = _with_fresh_curl_lines(redact_data(report, redactor), redactor)
    texts = {
        "json": json.dumps(clean, indent=2, ensure_ascii=False) + "\n",
        "md": render_markdown(clean),
        "html": render_html(clean),
    }
    paths: dict[str, Path] = {}
    try:
        report_dir.mkdir(parents=True, exist_ok=True)
        for key, text in texts.items():
            path = report_dir / REPORT_FILES[key]
            _write(path, redactor.text(text))  # and once more, by value, over the text as written
            paths[key] = path
    except OSError as exc:
        raise ConfigError(
            f"cannot write reports into {report_dir}: {exc.strerror or exc}; check --report-dir"
        ) from None
    return paths
