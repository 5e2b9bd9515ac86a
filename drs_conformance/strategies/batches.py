"""Valid request bodies: pause items, batches of 1 to 100 unique ids with mixed modes, batches over seeded jobs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from drs_conformance.contract.spec import contract, contract_constant

from ._checks import check_sizes, check_strategy
from ._rule import id_rule
from .job_ids import job_ids as _job_ids
from .modes import pause_modes

__all__ = ["BATCH_LIMIT", "batches", "batches_over", "pause_infos"]


BATCH_LIMIT: int  # the contract's batch limit, read on first use (__getattr__)


def __getattr__(name: str) -> int:
    """BATCH_LIMIT: the largest batch a server must serve (BATCH-100; larger ones are BATCH-OVER-100).

    Read from the contract (`x-drs-limits`) on first use, so that importing the strategies reads nothing.
    """
    return contract_constant(__name__, name, BATCH_LIMIT="batch_limit")


def _item(job_id: str, mode: str) -> dict[str, Any]:
    return {"job_id": job_id, "pause_mode": mode}


def _body(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"jobs": items}


def _options(job_ids: Any, modes: Any) -> tuple[st.SearchStrategy[str], st.SearchStrategy[str]]:
    if job_ids is not None:
        check_strategy("job_ids", job_ids)
    if modes is not None:
        check_strategy("modes", modes)
    return (_job_ids() if job_ids is None else job_ids), (pause_modes() if modes is None else modes)


def pause_infos(
    *, job_ids: st.SearchStrategy[str] | None = None, modes: st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[dict[str, Any]]:
    """One well-formed item `{"job_id": ..., "pause_mode": ...}` (the contract's PauseInfo)."""
    ids, modes = _options(job_ids, modes)
    return st.builds(_item, ids, modes)


def batches(
    *,
    min_size: int = 1,
    max_size: int | None = None,
    job_ids: st.SearchStrategy[str] | None = None,
    modes: st.SearchStrategy[str] | None = None,
) -> st.SearchStrategy[dict[str, Any]]:
    """Valid request bodies `{"jobs": [...]}`: min_size..max_size items, unique ids, a mode drawn per item.

    `max_size` defaults to the batch limit (100). The minimal batch is one item,
    `00000000-0000-0000-0000-000000000000` with mode `target`.
    """
    limit = contract().batch_limit
    max_size = limit if max_size is None else max_size
    check_sizes(
        min_size,
        max_size,
        lowest=1,
        highest=limit,
        why=f"a valid batch has 1 to {limit} items (for others see malformed_bodies() and oversized_batches())",
    )
    ids, modes = _options(job_ids, modes)
    items = st.lists(
        st.builds(_item, ids, modes), min_size=min_size, max_size=max_size, unique_by=lambda item: item["job_id"]
    )
    return items.map(_body)


def batches_over(
    jobs: Sequence[str],
    *,
    min_size: int = 1,
    max_size: int | None = None,
    modes: st.SearchStrategy[str] | None = None,
) -> st.SearchStrategy[dict[str, Any]]:
    """Valid request bodies naming a subset of the given (seeded) job ids, in any order, modes mixed."""
    if isinstance(jobs, (str, bytes)) or not isinstance(jobs, Sequence):
        raise InvalidArgument(f"jobs={jobs!r} must be a sequence of job ids, not {type(jobs).__name__}")
    if not jobs:
        raise InvalidArgument("jobs=[] is empty: batches_over() needs at least one seeded job id")
    rule = id_rule()
    for position, job_id in enumerate(jobs):
        if not rule.matches(job_id):
            raise InvalidArgument(f"jobs[{position}]={job_id!r} is not a well-formed job id ({rule.describe()})")
    if len(set(jobs)) != len(jobs):
        twice = next(job_id for job_id in jobs if list(jobs).count(job_id) > 1)
        raise InvalidArgument(f"jobs names {twice!r} more than once; give each seeded job once")
    limit = contract().batch_limit
    highest = min(len(jobs), limit)
    max_size = highest if max_size is None else max_size
    check_sizes(
        min_size,
        max_size,
        lowest=1,
        highest=highest,
        why=f"there are {len(jobs)} jobs, and a valid batch has at most {limit}",
    )
    _, modes = _options(None, modes)
    pairs = st.lists(
        st.tuples(st.sampled_from(tuple(jobs)), modes),
        min_size=min_size,
        max_size=max_size,
        unique_by=lambda pair: pair[0],
    )
    return pairs.map(lambda pairs: _body([_item(job_id, mode) for job_id, mode in pairs]))
