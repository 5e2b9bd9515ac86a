"""The `Fault` type: one invalid value, the rule it breaks, why, and what the server must do about it.

Every invalid strategy of this package draws `Fault`s. This module and `registry.py` are the core
the fault modules build on: they import neither those modules nor their names. Each fault kind is
declared once, next to the code that builds it, through `registry.REGISTRY`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal, get_args

__all__ = ["EXPECTS", "Expect", "Fault", "encode", "json_type"]

Expect = Literal[
    "refuse-400",
    "refuse-4xx",
    "either-duplicates",
    "either-extra-fields",
    "either-large",
    "item-fails",
]

#: What each expectation asks of the server (the contract notes' rule numbers in brackets).
EXPECTS: dict[Expect, str] = {
    "refuse-400": (
        "the whole request is refused with 400 and a top-level error_code/error_msg; no job changes (rules 1, 2)"
    ),
    "refuse-4xx": "the request is refused with a 4xx (SHOULD 415); no job changes (rules 2, 7)",
    "either-duplicates": (
        "refused with 400 (SHOULD DRS.M00301), or one result per occurrence with at most one success (rule 4)"
    ),
    "either-extra-fields": (
        "the extra field is ignored (served as without it), or the request is refused with 400 (rule 5)"
    ),
    "either-large": "served as a normal batch, or refused with 400 or 413 (rule 8)",
    "item-fails": "200; the item's result is not success and the job is left unchanged (rules 13, 15)",
}
assert set(EXPECTS) == set(get_args(Expect))

_REPR_LIMIT = 120


def encode(document: Any) -> bytes:
    """A JSON value as request-body bytes (UTF-8, as a JSON client sends it)."""
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def json_type(value: Any) -> str:
    """The JSON type name of a Python value ("null", "boolean", "number", "string", "array", "object")."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    return "object"


def _short(value: Any) -> str:
    text = repr(value)
    if len(text) <= _REPR_LIMIT:
        return text
    size = f"{len(value):,} bytes" if isinstance(value, bytes) else f"{len(text):,} characters of repr"
    return f"{text[:_REPR_LIMIT]}... ({size})"


@dataclass(frozen=True, repr=False)
class Fault:
    """One invalid value, labelled with the requirement it breaks, a reason and the expected outcome.

    - `requirement`: the catalogue id of the rule broken (`JOB-ID-RULE`, `BODY-SHAPE`, ...).
    - `kind`: a short stable slug (`job-id/one-short`, `mode/case-variant`, ...), see `fault_kinds()`.
    - `reason`: why the value is wrong, as a sentence a person can read.
    - `expect`: what the server must do (see `EXPECTS`), so a suite judges without re-deriving it.
    - `value`: the faulty part on its own: the bad job_id or pause_mode, the bad item, the extra field
      as `{name: value}`, the duplicated id, the content type, the item count or body size of a large
      request, the whole body of a body-level fault (bytes when it is not JSON), or the `JobSpec` of a
      state fault.
    - `body`: the whole request body to send as is (bytes), with `content_type`; None for state
      faults (seed a job with `value` and pause it instead).
    - `path`: where the fault sits in the JSON body (`("jobs", 3, "job_id")`), `()` for the whole
      document, None when the fault is not in the JSON value (not JSON, content type, body size).
    - `index`: the position of the faulty item in `jobs`, None for faults of the whole body.
    - `job_ids`: the well-formed job ids the body names: seed them as pausable jobs before sending and
      check after a refusal that none changed. For a job-id fault it holds the id the fault was made
      from, since a server that trims or normalises ids would pause that job.
    - `base`: the well-formed value the fault was made from (job-id and pause-mode faults), else None.
    """

    requirement: str
    kind: str
    reason: str
    expect: Expect
    value: Any
    body: bytes | None = None
    content_type: str = "application/json"
    path: tuple[str | int, ...] | None = None
    index: int | None = None
    job_ids: tuple[str, ...] = ()
    base: Any = None

    def json(self) -> Any:
        """The body as a JSON value (raises ValueError when the body is not JSON or there is none)."""
        if self.body is None:
            raise ValueError(f"{self.kind} has no request body")
        return json.loads(self.body)

    def __repr__(self) -> str:
        parts = [f"kind={self.kind!r}", f"reason={self.reason!r}", f"value={_short(self.value)}"]
        if self.index is not None:
            parts.append(f"index={self.index}")
        if self.body is not None:
            parts.append(f"body={_short(self.body)}")
            if self.content_type != "application/json":
                parts.append(f"content_type={self.content_type!r}")
        return f"Fault({', '.join(parts)})"

    def __hash__(self) -> int:
        # The generated hash would fail on a dict or list value; these fields identify a fault.
        return hash((self.kind, self.reason, self.body, self.content_type, self.index))

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Hypothesis prints falsifying examples with this (a 1 MiB body would otherwise be printed whole)."""
        printer.text(repr(self))
