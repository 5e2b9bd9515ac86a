"""Wrong pause modes: case variants, padding, other words, empty, non-strings, missing."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from hypothesis import strategies as st

from drs_conformance.contract.requirement_ids import Req
from drs_conformance.contract.spec import contract

from .faults import Fault, encode, json_type
from .job_ids import job_ids
from .modes import pause_modes
from .registry import REGISTRY, FaultKind

__all__ = ["wrong_pause_modes"]

KINDS = REGISTRY.kind_set("wrong_pause_modes", scope="item")

# Words a client might send instead of a mode: the operation's own vocabulary and near misses.
_OTHER_WORDS = (
    "stop", "pause", "paused", "replay", "log", "both", "none", "full", "incre", "source",
    "targets", "tar", "al", "alll", "target_all", "target,all", "0", "1", "true", "null",
)  # fmt: skip
_PADDING = (" ", "\t", "\n", "\u00a0")


def _allowed() -> str:
    modes = contract().pause_modes
    return " or ".join(repr(mode) for mode in modes)


def _fault(kind: FaultKind, value: Any, job_id: str, reason: str, base: str | None, *, missing: bool = False) -> Fault:
    item: dict[str, Any] = {"job_id": job_id} if missing else {"job_id": job_id, "pause_mode": value}
    return kind.fault(
        reason=reason,
        value=item if missing else value,
        body=encode({"jobs": [item]}),
        path=("jobs", 0) if missing else ("jobs", 0, "pause_mode"),
        index=0,
        job_ids=(job_id,),
        base=base,
    )


@KINDS.kind(
    "mode/case-variant",
    Req.PAUSE_MODE_VALUES,
    "refuse-400",
    "a mode with at least one letter in upper case (`Target`, `ALL`)",
)
def _case_variant(kind: FaultKind) -> st.SearchStrategy[Fault]:
    @st.composite
    def draw(draw: st.DrawFn) -> Fault:
        base = draw(pause_modes())
        first = draw(st.integers(0, len(base) - 1))
        others = draw(st.lists(st.booleans(), min_size=len(base), max_size=len(base)))
        value = "".join(c.upper() if i == first or others[i] else c for i, c in enumerate(base))
        reason = f"pause_mode is {value!r}; only exactly {_allowed()} (lower case) is allowed."
        return _fault(kind, value, draw(job_ids()), reason, base)

    return draw()


@KINDS.kind("mode/padded", Req.PAUSE_MODE_VALUES, "refuse-400", "a mode with whitespace before, after or around it")
def _padded(kind: FaultKind) -> st.SearchStrategy[Fault]:
    def make(base: str, job_id: str, before: str, after: str) -> Fault:
        value = before + base + after
        reason = f"pause_mode is {value!r}, {base!r} with whitespace around it; only exactly {_allowed()} is allowed."
        return _fault(kind, value, job_id, reason, base)

    pads = st.sampled_from(_PADDING)
    around = st.one_of(st.tuples(st.just(""), pads), st.tuples(pads, st.just("")), st.tuples(pads, pads))
    return st.builds(lambda base, job_id, pad: make(base, job_id, *pad), pause_modes(), job_ids(), around)


@KINDS.kind(
    "mode/other-word", Req.PAUSE_MODE_VALUES, "refuse-400", "another word (`stop`, `targets`, `target,all`, ...)"
)
def _other_word(kind: FaultKind) -> st.SearchStrategy[Fault]:
    modes = contract().pause_modes
    words = [word for word in _OTHER_WORDS if word.strip().lower() not in modes]
    drawn = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=10).filter(lambda w: w not in modes)

    def make(value: str, job_id: str) -> Fault:
        reason = f"pause_mode is {value!r}; only {_allowed()} is allowed."
        return _fault(kind, value, job_id, reason, None)

    return st.builds(make, st.one_of(st.sampled_from(words), drawn), job_ids())


@KINDS.kind("mode/empty", Req.PAUSE_MODE_VALUES, "refuse-400", "the empty string")
def _empty(kind: FaultKind) -> st.SearchStrategy[Fault]:
    def make(job_id: str) -> Fault:
        return _fault(kind, "", job_id, f"pause_mode is the empty string; only {_allowed()} is allowed.", None)

    return st.builds(make, job_ids())


@KINDS.kind("mode/null", Req.ITEM_SHAPE, "refuse-400", "`null`")
def _null(kind: FaultKind) -> st.SearchStrategy[Fault]:
    def make(job_id: str) -> Fault:
        return _fault(kind, None, job_id, f"pause_mode is null; it must be the string {_allowed()}.", None)

    return st.builds(make, job_ids())


@KINDS.kind(
    "mode/not-a-string", Req.ITEM_SHAPE, "refuse-400", 'a number, a boolean, an array or an object (e.g. `["target"]`)'
)
def _not_a_string(kind: FaultKind) -> st.SearchStrategy[Fault]:
    def make(value: Any, job_id: str, base: str | None) -> Fault:
        reason = f"pause_mode is a JSON {json_type(value)} ({value!r}); it must be a string."
        return _fault(kind, value, job_id, reason, base)

    scalars = st.one_of(st.integers(-1, 2), st.floats(allow_nan=False, allow_infinity=False), st.booleans())
    wrapped = st.one_of(
        pause_modes().map(lambda mode: ([mode], mode)), pause_modes().map(lambda mode: ({"mode": mode}, mode))
    )
    return st.builds(
        lambda pair, job_id: make(pair[0], job_id, pair[1]),
        st.one_of(scalars.map(lambda value: (value, None)), wrapped),
        job_ids(),
    )


@KINDS.kind(
    "mode/missing",
    Req.ITEM_SHAPE,
    "refuse-400",
    "an item with a well-formed job_id and no pause_mode (the value is the item)",
)
def _missing(kind: FaultKind) -> st.SearchStrategy[Fault]:
    def make(job_id: str) -> Fault:
        reason = f"the item has no pause_mode; it is mandatory ({_allowed()})."
        return _fault(kind, None, job_id, reason, None, missing=True)

    return st.builds(make, job_ids())


def wrong_pause_modes(*, kinds: Collection[str] | None = None) -> st.SearchStrategy[Fault]:
    """Faults whose `value` is a wrong pause_mode, sent in the one item of a batch with a well-formed id.

    String kinds break PAUSE-MODE-VALUES; null, non-strings and a missing mode break ITEM-SHAPE. All
    must be refused with 400. `kinds=` narrows the choice (see `fault_kinds()`).
    """
    return KINDS.strategy_for(kinds)
