"""The run's verdict as JUnit testsuite properties: CI test reporters show them beside the tests."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["junit_properties"]


def junit_properties(report: Mapping[str, Any]) -> list[tuple[str, str]]:
    """verdict, coverage, exit_code (and the tests the target did not answer, and the stop, when there are any)."""
    summary = report["summary"]
    properties = [
        ("verdict", summary["verdict"]),
        ("coverage", summary["coverage"]["text"]),
        ("exit_code", str(summary["exit_code"])),
    ]
    if summary["unanswered"]:
        properties.append(("unanswered", str(len(summary["unanswered"]))))
    if summary["interruption"]:
        stop = summary["interruption"]
        of = f" of {stop['tests_collected']}" if stop["tests_collected"] is not None else ""
        properties.append(("interrupted", f"{stop['signal']} after {stop['tests_run']}{of} tests"))
    return properties
