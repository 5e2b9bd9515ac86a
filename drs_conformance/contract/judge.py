"""How the suites read an answer: results matched by id, bookkeeping checked, refusals recognised."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from drs_conformance.contract.checks import NonConformance
from drs_conformance.contract.reply import Reply
from drs_conformance.contract.spec import contract, contract_constant

__all__ = [
    "FAILED",
    "SUCCESS",
    "describe",
    "expect_4xx",
    "expect_ok",
    "expect_refused",
    "is_success",
    "results_by_id",
    "single_result",
]

SUCCESS: str  # the contract's result words, read on first use (__getattr__)
FAILED: str


def __getattr__(name: str) -> str:
    """SUCCESS and FAILED, the result words (`x-drs-result-words`), read from the contract on first use."""
    return contract_constant(__name__, name, SUCCESS="success_word", FAILED="failed_word")


def describe(reply: Reply, limit: int = 300) -> str:
    """`status body` in one short line, for failure messages."""
    text = reply.text.replace("\n", " ")
    return f"{reply.status} {text[:limit]}{'...' if len(text) > limit else ''}"


def expect_ok(reply: Reply, requirement: str, why: str) -> None:
    """The request had to be served (200)."""
    if reply.status != 200:
        raise NonConformance(requirement, f"received {describe(reply)}, documented 200: {why}")


def expect_refused(reply: Reply, requirement: str, why: str) -> None:
    """The whole request had to be refused with 400."""
    if reply.status != 400:
        raise NonConformance(requirement, f"received {describe(reply)}, documented 400: {why}")


def expect_4xx(reply: Reply, requirement: str, why: str) -> None:
    """The request had to be refused with some 4xx."""
    if not 400 <= reply.status < 500:
        raise NonConformance(requirement, f"received {describe(reply)}, documented a 4xx: {why}")


def results_by_id(reply: Reply, requested: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """The 200 body's results grouped by id, after checking count and one result per requested item.

    Order is not specified by the document, so results are matched by id, never by position.
    A job named twice in the request may get two results (one per occurrence).
    """
    body = reply.json()
    results = body.get("results")
    assert isinstance(results, list), "checked by RESPONSE-SCHEMA before"
    count = body.get("count")
    if count != len(results):
        raise NonConformance(
            "COUNT-EQUALS-RESULTS",
            f"received count {count!r} with {len(results)} results, documented count == len(results)",
        )
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for result in results:
        grouped[result.get("id")].append(result)
    wanted: dict[str, int] = defaultdict(int)
    for job_id in requested:
        wanted[job_id] += 1
    for job_id, times in wanted.items():
        got = len(grouped.get(job_id, ()))
        if got != times:
            raise NonConformance(
                "ONE-RESULT-PER-ITEM",
                f"received {got} result(s) with id {job_id!r} for {times} requested item(s); documented exactly "
                f"one result per item with the requested job_id unchanged (result ids: {_ids(results)})",
            )
    unexpected = sorted({str(i) for i in grouped if i not in wanted})
    if unexpected:
        raise NonConformance(
            "ONE-RESULT-PER-ITEM",
            f"received results for ids nobody asked for: {', '.join(unexpected[:5])}; documented each result's id "
            "is a requested job_id unchanged",
        )
    return dict(grouped)


def single_result(reply: Reply, job_id: str) -> dict[str, Any]:
    """The one result of a one-job request."""
    return results_by_id(reply, [job_id])[job_id][0]


def is_success(result: dict[str, Any]) -> bool:
    return result.get("status") == contract().success_word


def _ids(results: Iterable[dict[str, Any]], limit: int = 5) -> str:
    ids = [repr(r.get("id")) for r in results]
    return ", ".join(ids[:limit]) + (" ..." if len(ids) > limit else "")
