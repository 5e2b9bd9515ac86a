"""The `Fault` type: one invalid value, the rule it breaks, why, and what the server must do about it.

Every invalid strategy of this package draws `Fault`s. Each fault kind is declared once, next to the
code that builds it, with its requirement id (from `drs_conformance/requirements.yaml`) and its
expected outcome; `fault_kinds()` lists them all (the README's table is generated from it).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from hypothesis import strategies as st

from ._checks import check_choices

__all__ = [
    "Expect",
    "EXPECTS",
    "Fault",
    "FaultKind",
    "fault_kinds",
    "fault_kinds_table",
]

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


@dataclass(frozen=True)
class FaultKind:
    """The declaration of one fault kind: which rule it breaks and what the server must do."""

    kind: str
    requirement: str
    expect: Expect
    summary: str
    strategy: str


@dataclass
class KindSet:
    """The fault kinds one public strategy makes, each with the function that builds its strategy."""

    strategy: str
    _kinds: dict[str, FaultKind] = field(default_factory=dict)
    _builders: dict[str, Callable[[], st.SearchStrategy[Fault]]] = field(default_factory=dict)

    def kind(
        self, kind: str, requirement: str, expect: Expect, summary: str
    ) -> Callable[[Callable[[], st.SearchStrategy[Fault]]], Callable[[], st.SearchStrategy[Fault]]]:
        """Declare a kind; the decorated function returns the strategy of its faults."""
        assert kind not in self._kinds, f"fault kind {kind} declared twice"
        assert expect in EXPECTS, expect

        def register(builder: Callable[[], st.SearchStrategy[Fault]]) -> Callable[[], st.SearchStrategy[Fault]]:
            self._kinds[kind] = FaultKind(kind, requirement, expect, summary, self.strategy)
            self._builders[kind] = builder
            return builder

        return register

    def __iter__(self) -> Iterator[FaultKind]:
        return iter(self._kinds.values())

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._kinds)

    def select(self, kinds: Collection[str] | None) -> frozenset[str]:
        """Validate a `kinds=` option (None means all)."""
        if kinds is None:
            return frozenset(self._kinds)
        return check_choices("kinds", kinds, self.names, owner=f"{self.strategy}() makes")

    def strategy_for(self, kinds: Collection[str] | None) -> st.SearchStrategy[Fault]:
        """One strategy over the chosen kinds, in declaration order (so shrinking goes to the first)."""
        chosen = self.select(kinds)
        return st.one_of([self._builders[name]() for name in self.names if name in chosen])

    def fault(self, kind: str, **fields: Any) -> Fault:
        """A `Fault` of a declared kind; requirement and expectation come from the declaration."""
        declared = self._kinds[kind]
        return Fault(requirement=declared.requirement, kind=kind, expect=declared.expect, **fields)


def _kind_sets() -> tuple[KindSet, ...]:
    # Imported here: those modules import this one.
    from . import bodies, jobs, job_id_faults, mode_faults, shape_faults

    return (
        job_id_faults.KINDS,
        mode_faults.KINDS,
        shape_faults.ITEM_KINDS,
        shape_faults.BODY_KINDS,
        bodies.NOT_JSON_KINDS,
        shape_faults.EXTRA_KINDS,
        shape_faults.DUPLICATE_KINDS,
        shape_faults.OVERSIZED_KINDS,
        bodies.OVERSIZED_KINDS,
        bodies.CONTENT_TYPE_KINDS,
        jobs.KINDS,
    )


def fault_kinds(*, expects: Collection[Expect] | None = None) -> tuple[FaultKind, ...]:
    """Every fault kind the package makes, in a stable order (optionally only those with given expects)."""
    chosen = (
        frozenset(EXPECTS)
        if expects is None
        else check_choices("expects", expects, EXPECTS, owner="an expect is one of")
    )
    return tuple(kind for kinds in _kind_sets() for kind in kinds if kind.expect in chosen)


def fault_kinds_table() -> str:
    """The fault kinds as a Markdown table (the one in strategies/README.md)."""
    lines = [
        "| kind | requirement | expect | strategy | the value |",
        "|---|---|---|---|---|",
    ]
    for kind in fault_kinds():
        lines.append(f"| `{kind.kind}` | {kind.requirement} | `{kind.expect}` | `{kind.strategy}()` | {kind.summary} |")
    return "\n".join(lines)
