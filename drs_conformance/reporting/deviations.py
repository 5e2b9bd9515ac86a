"""Known deviations: a YAML file of failures a target is known to have, turned into expected failures.

Format (a list, or a mapping with the key `deviations`)::

    deviations:
      - requirement: CONTENT-TYPE-415     # an id of the catalogue (required)
        test: test_content_type_refused   # which tests it covers (optional, see below)
        reason: gateway answers 400; ticket DRS-1234   # why (required, non-empty)
        expires: 2026-06-30               # YYYY-MM-DD (optional); in force through that day

Which tests `test` covers (`Deviation.covers`), checked against a test's pytest node id:
- absent: every test that carries the requirement;
- with `*` or `?`: a glob over the whole node id (`*` matches anything, `/` and `::` included;
  brackets are literal, so parameter ids can be written as they are);
- otherwise: the node id itself, the node id without its parameter part (`path::test` covers every
  `path::test[...]`), or its trailing part after a `::` (`test_x` or `TestClass::test_x` names a test
  wherever the suites are installed, since node ids start at the pytest root directory).

A deviation whose `expires` date has passed no longer applies (`match` ignores it): its failures count
again, and `Deviations.expired` lists it so the report can say so.

`apply_deviations` is the policy: what a test's outcome becomes under the deviations (the plugin calls it on every
suite test, the report then judges each requirement).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from drs_conformance.contract.catalogue import Catalogue
from drs_conformance.contract.catalogue import catalogue as shipped_catalogue
from drs_conformance.errors import ConfigError
from drs_conformance.hints import did_you_mean, yaml_problem
from drs_conformance.reporting.outcomes import TestOutcome

__all__ = [
    "DEVIATIONS_SCHEMA",
    "Deviation",
    "Deviations",
    "apply_deviations",
    "expected_failure_reason",
    "load_deviations",
    "parse_deviations",
]

_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_ENTRY: dict[str, Any] = {
    "type": "object",
    "required": ["requirement", "reason"],
    "additionalProperties": False,
    "properties": {
        "requirement": {"type": "string", "minLength": 1},
        "test": {"type": "string", "minLength": 1},
        "reason": {"type": "string", "minLength": 1, "pattern": r"\S"},
        "expires": {"type": "string", "pattern": _DATE},
    },
}
DEVIATIONS_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$defs": {"Deviation": _ENTRY},
    "oneOf": [
        {"type": "array", "items": {"$ref": "#/$defs/Deviation"}},
        {
            "type": "object",
            "required": ["deviations"],
            "additionalProperties": False,
            "properties": {"deviations": {"type": "array", "items": {"$ref": "#/$defs/Deviation"}}},
        },
    ],
}


class _NoDatesLoader(yaml.SafeLoader):
    """SafeLoader that keeps `2026-06-30` a string, so a bad date is reported like any other error."""


_NoDatesLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _glob(pattern: str) -> re.Pattern[str]:
    """`*` and `?` as wildcards, everything else (brackets included) literal."""
    return re.compile(re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".") + r"\Z", re.DOTALL)


@dataclass(frozen=True, kw_only=True)
class Deviation:
    """One declared deviation: the requirement, optionally which tests, why, and until when."""

    requirement: str
    reason: str
    test: str | None = None
    expires: dt.date | None = None
    # Where it was declared, for messages: "known-deviations.yaml, entry 3".
    where: str = ""

    def covers(self, nodeid: str, requirement_ids: Iterable[str]) -> bool:
        """Whether this deviation applies to the test (ignoring expiry)."""
        if self.requirement not in tuple(requirement_ids):
            return False
        if self.test is None:
            return True
        if "*" in self.test or "?" in self.test:
            return _glob(self.test).match(nodeid) is not None
        bare = nodeid.split("[", 1)[0]
        return self.test in (nodeid, bare) or any(name.endswith("::" + self.test) for name in (nodeid, bare))

    def is_expired(self, today: dt.date) -> bool:
        """Expired the day after its `expires` date."""
        return self.expires is not None and today > self.expires

    def describe(self) -> str:
        """A short name for messages: `CONTENT-TYPE-415 (test_x)`."""
        return self.requirement + (f" ({self.test})" if self.test else "")

    def expiry_note(self) -> str:
        return f"deviation {self.describe()} expired on {self.expires}: counted as a failure again"

    def to_dict(self) -> dict[str, Any]:
        return {
            "requirement": self.requirement,
            "test": self.test,
            "reason": self.reason,
            "expires": self.expires.isoformat() if self.expires else None,
        }


@dataclass(frozen=True)
class Deviations:
    """The deviations of one file, in file order."""

    entries: tuple[Deviation, ...] = ()
    source: str | None = None

    def __iter__(self) -> Iterator[Deviation]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def active(self, today: dt.date | None = None) -> tuple[Deviation, ...]:
        today = today or dt.date.today()
        return tuple(d for d in self.entries if not d.is_expired(today))

    def expired(self, today: dt.date | None = None) -> tuple[Deviation, ...]:
        today = today or dt.date.today()
        return tuple(d for d in self.entries if d.is_expired(today))

    def match(self, nodeid: str, requirement_ids: Iterable[str], today: dt.date | None = None) -> Deviation | None:
        """The active deviation covering this test: one naming the test wins over a requirement-wide one."""
        requirement_ids = tuple(requirement_ids)
        candidates = [d for d in self.active(today) if d.covers(nodeid, requirement_ids)]
        return next((d for d in candidates if d.test is not None), candidates[0] if candidates else None)


def apply_deviations(
    outcome: TestOutcome, deviations: Deviations, requirement_ids: Iterable[str], today: dt.date | None = None
) -> TestOutcome:
    """A test's outcome under the known deviations: by the requirement a failure is attributed to, whichever test it
    is in.

    A failure whose every broken requirement a deviation covers becomes an expected failure (`xfailed`); a failure
    that also broke an undeclared requirement stays failed and counts against that one first (`also_covered` keeps
    the declared ones). A passing test of a deviated requirement `xpassed` (the report then judges whether the
    deviation is fixed: only if no covered failure remains).
    """
    today = today or dt.date.today()
    if outcome.outcome in ("failed", "error") and outcome.failed_requirement:
        broken = (outcome.failed_requirement, *outcome.also_failed)
        covering = {rid: deviations.match(outcome.nodeid, (rid,), today) for rid in broken}
        uncovered = [rid for rid, deviation in covering.items() if deviation is None]
        if uncovered:  # a failure no deviation declares keeps the test failed, and counts first
            covered = tuple(rid for rid in broken if rid not in uncovered)
            return replace(
                outcome, failed_requirement=uncovered[0], also_failed=tuple(uncovered[1:]), also_covered=covered
            )
        deviation = covering[outcome.failed_requirement]
        assert deviation is not None, f"no deviation covers {outcome.failed_requirement} though none is uncovered"
        return replace(outcome, outcome="xfailed", deviation=deviation.reason)
    if outcome.outcome == "passed":
        deviation = deviations.match(outcome.nodeid, requirement_ids, today)
        if deviation is not None:
            return replace(
                outcome, outcome="xpassed", failed_requirement=deviation.requirement, deviation=deviation.reason
            )
    return outcome


def expected_failure_reason(outcome: TestOutcome) -> str:
    """What pytest shows for a failure a deviation covers (its xfail reason)."""
    return f"known deviation ({outcome.failed_requirement}): {outcome.deviation}"


def _entry_name(source: str, index: int, entry: Any) -> str:
    requirement = entry.get("requirement") if isinstance(entry, dict) else None
    return f"{source}: entry {index + 1}" + (f" (requirement {requirement})" if requirement else "")


def _schema_message(error: jsonschema.ValidationError) -> str:
    if error.validator == "required":
        required: Any = error.validator_value  # the schema's list of required keys
        instance: Any = error.instance
        missing = next(iter(set(required) - set(instance)), "?")
        return f"missing '{missing}'"
    if error.validator == "additionalProperties":
        allowed = ", ".join(_ENTRY["properties"])
        return f"{error.message} (allowed: {allowed})"
    if error.validator == "pattern" and error.validator_value == _DATE:
        return f"expires {error.instance!r} is not a date of the form YYYY-MM-DD"
    if error.validator in ("minLength", "pattern"):
        return f"{'.'.join(map(str, error.path)) or 'value'} must not be empty"
    return error.message


def parse_deviations(data: Any, *, source: str = "<deviations>", catalogue: Catalogue | None = None) -> Deviations:
    """Validate parsed data and turn it into Deviations, or raise one one-line ConfigError."""
    known = shipped_catalogue() if catalogue is None else catalogue
    if data is None:
        return Deviations((), source)
    items = data.get("deviations") if isinstance(data, dict) else data
    if isinstance(items, list):  # validate entry by entry, so the message names the entry
        validator = jsonschema.Draft202012Validator(_ENTRY)
        for index, entry in enumerate(items):
            error = jsonschema.exceptions.best_match(validator.iter_errors(entry))
            if error is not None:
                raise ConfigError(f"{_entry_name(source, index, entry)}: {_schema_message(error)}")
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(DEVIATIONS_SCHEMA).iter_errors(data))
    if error is not None:
        raise ConfigError(
            f"{source}: expected a list of deviations or a mapping with the key 'deviations' "
            "(each {requirement, test?, reason, expires?})"
        )
    assert isinstance(items, list), "DEVIATIONS_SCHEMA admits a list of entries only"
    entries: list[Deviation] = []
    for index, entry in enumerate(items):
        name = _entry_name(source, index, entry)
        if entry["requirement"] not in known:
            raise ConfigError(
                f"{name}: unknown requirement id {entry['requirement']!r}{did_you_mean(entry['requirement'], known.ids)} "
                "(the ids: drs-conformance requirements)"
            )
        expires = None
        if "expires" in entry:
            try:
                expires = dt.date.fromisoformat(entry["expires"])
            except ValueError as exc:
                raise ConfigError(f"{name}: expires {entry['expires']!r} is not a valid date: {exc}") from None
        entries.append(
            Deviation(
                requirement=entry["requirement"],
                test=entry.get("test"),
                reason=entry["reason"].strip(),
                expires=expires,
                where=f"{source}, entry {index + 1}",
            )
        )
    return Deviations(tuple(entries), source)


def load_deviations(path: str | Path, *, catalogue: Catalogue | None = None) -> Deviations:
    """Read a known-deviations file (YAML; JSON is YAML too)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConfigError(f"cannot read known deviations {path}: {detail}; check --known-deviations") from None
    try:
        data = yaml.load(text, Loader=_NoDatesLoader)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {yaml_problem(exc)}") from None
    return parse_deviations(data, source=str(path), catalogue=catalogue)
