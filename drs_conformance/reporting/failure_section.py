"""The section pytest shows under a failed or unanswered suite test: which requirement broke, what the document
says, how to reproduce it, and the last request and response."""

from __future__ import annotations

from drs_conformance.contract.catalogue import catalogue
from drs_conformance.reporting.curl import curl_line
from drs_conformance.reporting.outcomes import TestOutcome
from drs_conformance.transport.redaction import Redactor

__all__ = ["failure_section"]


def failure_section(outcome: TestOutcome, redactor: Redactor | None) -> str:
    """Say which requirement broke, what the document says, and how to reproduce it."""
    requirement = catalogue()[outcome.failed_requirement] if outcome.failed_requirement else None
    lines = []
    if outcome.outcome == "unanswered":
        lines.append(
            "unanswered: the target gave no answer; this test judges no requirement (not a failure of "
            f"{', '.join(outcome.requirements)})"
        )
    if requirement is not None:
        lines.append(f"requirement: {requirement.id} ({requirement.level}) {requirement.title}")
        lines.append(f"document:    {requirement.quote}")
    if outcome.reproduce:
        lines.append(f"reproduce:   {outcome.reproduce}")
    if outcome.exchanges:
        last = outcome.exchanges[-1]
        lines.append(f"last request: {curl_line(last, redactor)}")
        if last.response is not None:
            lines.append(f"last response: {last.response.status} {last.response.body[:500]}")
    return "\n".join(lines)
