"""The pytest-xdist hand-off: what the controller gives each worker (options) and gets back (the plan, the
request count), and the order workers collect tests in (long-running ones first, each beside a short one)."""

from __future__ import annotations

from typing import Any

import pytest

from drs_conformance.contract.settle import EFFECTS
from drs_conformance.plugin.options import KitOptions
from drs_conformance.plugin.selection import Plan
from drs_conformance.plugin.sharding import ShardPlan
from drs_conformance.transport.client import REQUESTS

__all__ = [
    "LONG_RUNNING",
    "hand_over_options",
    "hand_over_plan",
    "hand_over_requests",
    "hand_over_shard_plan",
    "is_worker",
    "long_ones_apart",
    "options_from_controller",
    "shard_plan_of",
    "take_over_worker_output",
]

LONG_RUNNING = "long_running"  # the marker of tests that send many requests one after another
_OPTIONS = "drs_conformance_options"  # workerinput: the controller's resolved options
_PLAN = "drs_conformance_plan"  # workeroutput: what the worker's collection selected
_REQUESTS = "drs_conformance_requests"  # workeroutput: the worker's requests by operation
_SETTLE = "drs_conformance_settle"  # workeroutput: the worker's settle figures (settle.SettleStats.to_dict)
_SHARD = "drs_conformance_shard"  # workeroutput: --shard: what the worker's collection kept of the whole


def is_worker(config: pytest.Config) -> bool:
    """True in an xdist worker (which has `workerinput`)."""
    return hasattr(config, "workerinput")


def hand_over_options(node: Any, options: KitOptions) -> None:
    """Controller (pytest_configure_node): the worker runs with exactly these options."""
    node.workerinput[_OPTIONS] = options.to_dict()


def options_from_controller(config: pytest.Config) -> KitOptions | None:
    """Worker: the options the controller handed over (None outside a worker)."""
    data = getattr(config, "workerinput", {}).get(_OPTIONS)
    return None if data is None else KitOptions.from_dict(data)


def hand_over_plan(config: pytest.Config, plan: Plan) -> None:
    """Worker, after collection: what it selected (every worker collects the same)."""
    config.workeroutput[_PLAN] = plan.to_dict()  # type: ignore[attr-defined]


def hand_over_shard_plan(config: pytest.Config, shard_plan: ShardPlan) -> None:
    """Worker, after collection (--shard): the shard's node ids and the whole run's digest."""
    config.workeroutput[_SHARD] = shard_plan.to_dict()  # type: ignore[attr-defined]


def shard_plan_of(node: Any) -> ShardPlan | None:
    """Controller (pytest_testnodedown): the shard plan a worker handed over, if any."""
    data = (getattr(node, "workeroutput", None) or {}).get(_SHARD)
    return None if data is None else ShardPlan.from_dict(data)


def hand_over_requests(config: pytest.Config) -> None:
    """Worker, after its session's teardown (its last deletions): its request count."""
    workeroutput = getattr(config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput[_REQUESTS] = REQUESTS.snapshot()
        workeroutput[_SETTLE] = EFFECTS.stats().to_dict()


def take_over_worker_output(node: Any, plan: Plan | None) -> Plan | None:
    """Controller (pytest_testnodedown): the worker's requests added to the run's; the plan, if none yet."""
    output = getattr(node, "workeroutput", None) or {}
    if plan is None and _PLAN in output:
        plan = Plan.from_dict(output[_PLAN])
    REQUESTS.merge(output.get(_REQUESTS) or {})  # the run's load is the sum of its processes'
    EFFECTS.merge(output.get(_SETTLE) or {})  # and the slowest settle the slowest of theirs
    return plan


def long_ones_apart(items: list[pytest.Item]) -> list[pytest.Item]:
    """The tests marked long_running first (most requests first), each followed by one other test: xdist's load
    scheduling (with --maxschedchunk 1, as `drs-conformance run` starts it) hands every worker two tests at first,
    so each long test starts at once, on a worker of its own, and the others fill the workers around them."""

    def requests(item: pytest.Item) -> int:
        marker = item.get_closest_marker(LONG_RUNNING)
        return -1 if marker is None else int(marker.kwargs.get("requests", 0))

    long = sorted((item for item in items if requests(item) >= 0), key=requests, reverse=True)
    short = [item for item in items if requests(item) < 0]
    paired = [item for pair in zip(long, short, strict=False) for item in pair]
    return paired + long[len(short) :] + short[len(long) :]
