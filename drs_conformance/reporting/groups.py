"""Failures that say the same thing, grouped: one requirement, one message shape.

A defect usually breaks one rule the same way in many tests (a wrong `count` fails 60 of them). The
reports show each group once, with one example, and count the rest. The shape of a message is its
first line with job ids, other long ids, numbers and quoted values replaced, so "received count 0 with
1 results" and "received count 2 with 4 results" are one shape. conformance.json keeps every failure,
each with the id of its group.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["FailureGroup", "group_entries", "group_failures", "groups_of", "message_shape", "tests_line"]

# Replaced in this order: quoted values first (they may hold ids and numbers), then ids, then numbers.
_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
_JOB_ID = re.compile(r"\b[0-9a-z]{8}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{12}\b", re.IGNORECASE)
_LONG_ID = re.compile(r"\b(?=[0-9a-z_-]*[0-9])[0-9a-z_-]{16,}\b", re.IGNORECASE)  # project ids, run prefixes
_NUMBER = re.compile(r"(?<![\w.])[-+]?\d+(?:\.\d+)?(?![\w.])")


def message_shape(message: str | None) -> str:
    """The first non-empty line of a failure message with ids, numbers and quoted values replaced."""
    line = next((line.strip() for line in (message or "").splitlines() if line.strip()), "")
    line = _QUOTED.sub("'…'", line)
    line = _JOB_ID.sub("<id>", line)
    line = _LONG_ID.sub("<id>", line)
    return _NUMBER.sub("N", line)


@dataclass(frozen=True)
class FailureGroup:
    """Failures of one requirement whose messages have one shape (and one verdict)."""

    id: str  # "COUNT-EQUALS-RESULTS/1": the requirement and the group's rank (largest first)
    requirement: str
    shape: str
    verdict: str
    members: tuple[int, ...]  # indexes into the requirement's failures, in run order
    example: int  # the failure shown: the first with a recorded exchange, else the first

    @property
    def count(self) -> int:
        return len(self.members)


def group_failures(requirement_id: str, failures: Sequence[Mapping[str, Any]]) -> list[FailureGroup]:
    """The groups of a requirement's failures (conformance.json entries): largest first, then by first failure."""
    members: dict[tuple[str, str], list[int]] = {}
    for index, failure in enumerate(failures):
        members.setdefault((str(failure.get("verdict", "fail")), message_shape(failure.get("message"))), []).append(
            index
        )
    ranked = sorted(members.items(), key=lambda item: (-len(item[1]), item[1][0]))
    groups = []
    for rank, ((verdict, shape), indexes) in enumerate(ranked, 1):
        example = next((i for i in indexes if failures[i].get("exchanges")), indexes[0])
        groups.append(
            FailureGroup(
                id=f"{requirement_id}/{rank}",
                requirement=requirement_id,
                shape=shape,
                verdict=verdict,
                members=tuple(indexes),
                example=example,
            )
        )
    return groups


def group_entries(requirement_id: str, failures: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mark each failure entry with its group's id (in place) and return the groups as conformance.json holds them."""
    groups = group_failures(requirement_id, failures)
    for group in groups:
        for index in group.members:
            failures[index]["group"] = group.id
    return [
        {
            "id": group.id,
            "shape": group.shape,
            "verdict": group.verdict,
            "count": group.count,
            "example": failures[group.example]["nodeid"],
        }
        for group in groups
    ]


def groups_of(requirement: Mapping[str, Any]) -> list[FailureGroup]:
    """A requirement entry's groups: as its report recorded them, or computed (reports of older kits)."""
    failures = requirement.get("failures", [])
    recorded = requirement.get("groups")
    if not recorded or any("group" not in failure for failure in failures):
        return group_failures(requirement["id"], failures)
    groups = []
    for entry in recorded:
        indexes = tuple(i for i, failure in enumerate(failures) if failure["group"] == entry["id"])
        if not indexes:
            continue
        example = next((i for i in indexes if failures[i]["nodeid"] == entry["example"]), indexes[0])
        groups.append(
            FailureGroup(
                id=entry["id"],
                requirement=requirement["id"],
                shape=entry["shape"],
                verdict=entry["verdict"],
                members=indexes,
                example=example,
            )
        )
    return groups


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def tests_line(requirement: Mapping[str, Any]) -> str:
    """What a requirement's tests did, honestly: '1 of 6 tests passed; 5 failed on COUNT-EQUALS-RESULTS'."""
    tests = requirement.get("tests", [])
    if not tests:
        return "no test ran"
    rid = requirement["id"]
    passed = sum(1 for test in tests if test["verdict"] in ("pass", "fixed"))
    here = elsewhere = 0
    on: Counter[str] = Counter()
    other: Counter[str] = Counter()
    for test in tests:
        verdict = test["verdict"]
        if test["outcome"] in ("failed", "error") and verdict in ("fail", "warn"):
            failed_on = test.get("failed_requirement")
            if failed_on == rid or rid in test.get("also_failed", ()):
                here += 1
            else:
                elsewhere += 1
                on[str(failed_on)] += 1
        elif verdict == "expected-fail":
            other["expected to fail (known deviation)"] += 1
        elif verdict == "skip":
            other["skipped"] += 1
        elif verdict == "unanswered":
            other["got no answer"] += 1
    parts = [f"{passed} of {_plural(len(tests), 'test')} passed"]
    if here:
        parts.append(f"{here} failed")
    if elsewhere:
        named = ", ".join(f"{count} on {name}" if len(on) > 1 else name for name, count in on.most_common(3))
        more = f" and {len(on) - 3} more" if len(on) > 3 else ""
        parts.append(
            f"{elsewhere} failed on {named}{more}"
            if len(on) == 1
            else f"{elsewhere} failed on other requirements ({named}{more})"
        )
    parts += [f"{count} {what}" for what, count in other.items()]
    return "; ".join(parts)


tests_line.__test__ = False  # type: ignore[attr-defined]  # a kit function, not a pytest test
