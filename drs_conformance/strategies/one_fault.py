"""All request faults at once, and one-fault batches: a valid batch with one faulty item mixed in."""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from drs_conformance.contract.spec import contract

from ._checks import check_choices, check_sizes, check_strategy
from .batches import batches
from .faults import EXPECTS, Expect, Fault, encode
from .job_ids import job_ids as _job_ids
from .registry import REGISTRY, Scope

__all__ = ["item_faults", "one_fault_batches", "request_faults"]


def _combined(scopes: Collection[Scope], kinds: Any, expects: Any, name: str) -> st.SearchStrategy[Fault]:
    """One strategy over the registered kinds of the given scopes, in the registry's order."""
    declared = [kind for kind in REGISTRY.kinds() if kind.scope in scopes]
    available = [kind.kind for kind in declared]
    chosen = frozenset(available) if kinds is None else check_choices("kinds", kinds, available, owner=f"{name} makes")
    if expects is not None:
        wanted = check_choices("expects", expects, EXPECTS, owner="an expect is one of")
        chosen = frozenset(kind.kind for kind in declared if kind.kind in chosen and kind.expect in wanted)
        if not chosen:
            raise InvalidArgument(f"No kind of {name} has expects={sorted(wanted)!r} among kinds={kinds!r}")
    strategies = []
    for kind_set in REGISTRY.kind_sets():
        mine = [kind_name for kind_name in kind_set.names if kind_name in chosen]
        if mine:
            strategies.append(kind_set.strategy_for(mine))
    return st.one_of(strategies)


def item_faults(
    *, kinds: Collection[str] | None = None, expects: Collection[Expect] | None = None
) -> st.SearchStrategy[Fault]:
    """Every fault that sits in one item (job id, pause mode, item shape, an extra field in the item).

    Each is drawn as a one-item batch (`index == 0`); `one_fault_batches()` mixes them into valid ones.
    """
    return _combined({"item"}, kinds, expects, "item_faults()")


def request_faults(
    *, kinds: Collection[str] | None = None, expects: Collection[Expect] | None = None
) -> st.SearchStrategy[Fault]:
    """Every fault of a request, ready to send (`body`, `content_type`); narrow with kinds= or expects=."""
    return _combined({"item", "request"}, kinds, expects, "request_faults()")


def _one_item(fault: Fault) -> Any:
    """The faulty item of a one-item fault, or an InvalidArgument naming the faults= option."""
    if fault.body is None or fault.index != 0 or fault.path is None or fault.path[:2] != ("jobs", 0):
        raise InvalidArgument(
            f"faults= drew {fault.kind}, which is not a fault of one item; use item_faults() or a subset of it"
        )
    document = json.loads(fault.body)
    jobs = document.get("jobs") if isinstance(document, dict) else None
    if not isinstance(jobs, list) or len(jobs) != 1 or set(document) != {"jobs"}:
        raise InvalidArgument(f"faults= drew {fault.kind}, whose body is not a one-item batch: {fault.body[:200]!r}")
    return jobs[0]


def one_fault_batches(
    *,
    faults: st.SearchStrategy[Fault] | None = None,
    min_size: int = 1,
    max_size: int | None = None,
    job_ids: st.SearchStrategy[str] | None = None,
    modes: st.SearchStrategy[str] | None = None,
) -> st.SearchStrategy[Fault]:
    """A valid batch of min_size..max_size items with one faulty item mixed in at a random position.

    `faults` draws the faulty item (default: `item_faults(expects=["refuse-400"])`, the faults that
    must get the whole batch refused). The result is a `Fault` of the same kind and requirement whose
    `index` is the faulty item's position, `path` points into that item, and `job_ids` names every
    well-formed id of the batch: after a refusal none of those jobs may have changed.
    """
    limit = contract().batch_limit
    max_size = limit - 1 if max_size is None else max_size
    check_sizes(
        min_size,
        max_size,
        lowest=1,
        highest=limit - 1,
        why=f"with the faulty item the batch has at most {limit} items (more is BATCH-OVER-100)",
    )
    if faults is None:
        faults = item_faults(expects=["refuse-400"])
    check_strategy("faults", faults)
    if job_ids is not None:
        check_strategy("job_ids", job_ids)
    ids = _job_ids() if job_ids is None else job_ids

    @st.composite
    def draw(draw: st.DrawFn) -> Fault:
        fault = draw(faults)
        item = _one_item(fault)
        taken = set(fault.job_ids)
        valid = draw(
            batches(min_size=min_size, max_size=max_size, job_ids=ids.filter(lambda i: i not in taken), modes=modes)
        )["jobs"]
        index = draw(st.integers(0, len(valid)))
        jobs = [*valid[:index], item, *valid[index:]]
        others = len(valid)
        reason = (
            f"jobs[{index}] of {len(jobs)} items: {fault.reason} The other {others} "
            f"item{'s are' if others != 1 else ' is'} well formed."
        )
        return Fault(
            requirement=fault.requirement,
            kind=fault.kind,
            reason=reason,
            expect=fault.expect,
            value=fault.value,
            body=encode({"jobs": jobs}),
            content_type=fault.content_type,
            path=("jobs", index, *fault.path[2:]),  # type: ignore[index]
            index=index,
            job_ids=(*(v["job_id"] for v in valid), *fault.job_ids),
            base=fault.base,
        )

    return draw()
