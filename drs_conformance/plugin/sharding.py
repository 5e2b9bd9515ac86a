"""`--shard K/N`: a deterministic, cost-balanced 1/N of the suites' tests, and the partition fingerprint a shard
writes beside its reports (`partition.json`) so that `report merge` can tell its shards apart from any other run's.

The split depends only on the collected node ids and their costs (the seconds each took in a measured run of the
hypothesis profile, shipped in `shard_costs.json`; for a test it does not know, its `long_running` marker's
request count or `SHORT_TEST_REQUESTS`): the same kit version, seed and options collect the same ids on every
machine, so every shard computes the same split without talking to the others.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from drs_conformance import __version__
from drs_conformance.contract.spec import spec_path

if TYPE_CHECKING:  # options parses --shard with this module: no pytest at import time
    import pytest

    from drs_conformance.plugin.selection import Plan

__all__ = [
    "PARTITION_FILE",
    "PARTITION_FORMAT",
    "SHARES_JOB",
    "SHORT_TEST_REQUESTS",
    "Shard",
    "ShardPlan",
    "assign_shards",
    "fingerprint_of",
    "parse_shard",
    "spec_sha256",
    "split_items",
    "write_partition",
]

PARTITION_FILE = "partition.json"
PARTITION_FORMAT = "drs-conformance-partition"
PARTITION_FORMAT_VERSION = 1
# A short test's requests, for tests shard_costs.json does not know: a default embedded run sent 2,565 requests,
# of which the ten long_running tests declare 1,270; the other 176 tests sent the rest, about 7 each.
SHORT_TEST_REQUESTS = 7
_LONG_RUNNING = "long_running"  # xdist_handoff.LONG_RUNNING (not imported: xdist_handoff imports the options)
# The marker of tests that use one fixed job every run shares (the document's example id): one shard runs them
# all, since the lock that keeps two of them apart is a file lock, which does not cross machines.
SHARES_JOB = "shares_job"


@dataclass(frozen=True, kw_only=True)
class Shard:
    """Shard `index` (1-based) of `count`."""

    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def to_dict(self) -> dict[str, int]:
        return {"index": self.index, "count": self.count}


def parse_shard(text: str) -> Shard:
    """'2/4' as Shard(index=2, count=4); ValueError saying what is wrong otherwise."""
    index, sep, count = str(text).strip().partition("/")
    if not sep or not index.strip().isdigit() or not count.strip().isdigit():
        raise ValueError(f"{text!r} is not K/N; give e.g. --shard 1/4 (shard 1 of 4, 1-based)")
    shard = Shard(index=int(index), count=int(count))
    if shard.count < 1 or not 1 <= shard.index <= shard.count:
        raise ValueError(
            f"{text!r}: K must be between 1 and N (N at least 1); give e.g. --shard 1/{max(2, shard.count)}"
        )
    return shard


def _cost(item: pytest.Item, profile: str) -> int:
    """A test's cost in milliseconds: as measured for the profile (shard_costs.json), else from its marker."""
    from drs_conformance.plugin.shard_costs import test_cost

    marker = item.get_closest_marker(_LONG_RUNNING)
    requests = None if marker is None else int(marker.kwargs.get("requests", SHORT_TEST_REQUESTS))
    return test_cost(item.nodeid, profile=profile, long_running_requests=requests, short_requests=SHORT_TEST_REQUESTS)


def assign_shards(costs: Mapping[str, int], count: int, groups: Mapping[str, str] | None = None) -> dict[str, int]:
    """Node id -> shard index (1-based): longest first, each to the least loaded shard (ties: the lowest index).

    The long tests are placed first, so they land on different shards while there are shards free; the order
    is by cost, then node id, so the result depends on nothing but the ids and their costs. Node ids of one
    group (`groups`: node id -> group name) are placed together, as one test of their summed cost.
    """
    groups = groups or {}
    members: dict[str, list[str]] = {}
    for nodeid in costs:
        members.setdefault(groups.get(nodeid, f"test {nodeid}"), []).append(nodeid)
    weight = {key: sum(costs[nodeid] for nodeid in ids) for key, ids in members.items()}
    loads = [0] * count
    assigned: dict[str, int] = {}
    for key in sorted(weight, key=lambda key: (-weight[key], key)):
        lightest = min(range(count), key=lambda shard: (loads[shard], shard))
        loads[lightest] += weight[key]
        assigned.update(dict.fromkeys(members[key], lightest + 1))
    return assigned


def _digest(nodeids: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(sorted(nodeids)).encode("utf-8")).hexdigest()


@dataclass(frozen=True, kw_only=True)
class ShardPlan:
    """What one shard ran of the whole: its node ids, the whole's size and digest, its part of the plan."""

    shard: Shard
    nodeids: tuple[str, ...]
    total: int  # tests the whole run collected (after --requirement, -k, -m)
    tests_sha256: str  # of every collected node id, sorted: the same on every shard of one run
    plan: Plan  # this shard's selected tests, and what -k / -m / --requirement deselected (the other shards not)

    def to_dict(self) -> dict[str, Any]:
        return {
            "shard": self.shard.to_dict(),
            "nodeids": list(self.nodeids),
            "total": self.total,
            "tests_sha256": self.tests_sha256,
            "plan": self.plan.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ShardPlan:
        from drs_conformance.plugin.selection import Plan

        return cls(
            shard=Shard(**data["shard"]),
            nodeids=tuple(data["nodeids"]),
            total=int(data["total"]),
            tests_sha256=str(data["tests_sha256"]),
            plan=Plan.from_dict(data["plan"]),
        )

    @property
    def partial_reason(self) -> str | None:
        """Why this shard's own report is incomplete (None for --shard 1/1, the whole run)."""
        if self.shard.count == 1:
            return None
        return (
            f"this is shard {self.shard} (--shard): it ran {len(self.nodeids)} of the run's {self.total} tests; "
            f"merge the report directories of all {self.shard.count} shards with drs-conformance report merge"
        )


def split_items(
    items: Sequence[pytest.Item], shard: Shard, *, profile: str
) -> tuple[list[pytest.Item], list[pytest.Item], str]:
    """This shard's items, the other shards' items (in collection order), and the digest of all of them."""
    groups = {
        item.nodeid: f"shares job {marker.args[0]}"
        for item in items
        if (marker := item.get_closest_marker(SHARES_JOB)) is not None and marker.args
    }
    assigned = assign_shards({item.nodeid: _cost(item, profile) for item in items}, shard.count, groups)
    kept = [item for item in items if assigned[item.nodeid] == shard.index]
    dropped = [item for item in items if assigned[item.nodeid] != shard.index]
    return kept, dropped, _digest(item.nodeid for item in items)


def spec_sha256() -> str:
    """The SHA-256 of the OpenAPI document the kit judges by."""
    return hashlib.sha256(spec_path().read_bytes()).hexdigest()


def fingerprint_of(record: Mapping[str, Any]) -> dict[str, Any]:
    """The parts of a partition record every shard of one run shares (shard index, node ids and results aside)."""
    return {
        "kit_version": record.get("kit_version"),
        "spec_sha256": record.get("spec_sha256"),
        "seed": record.get("seed"),
        "options": record.get("options"),
        "target": record.get("target"),
        "shard_count": (record.get("shard") or {}).get("count"),
        "tests": record.get("tests"),
    }


def partition_record(
    *,
    shard_plan: ShardPlan,
    seed: int,
    options: Mapping[str, Any],
    target: Mapping[str, Any],
    outcomes: Sequence[Mapping[str, Any]],
    stopped_by: str | None,
    stopped_early: str | None,
) -> dict[str, Any]:
    """partition.json: the fingerprint, the shard's node ids and plan, and its test outcomes (already redacted)."""
    record: dict[str, Any] = {
        "format": PARTITION_FORMAT,
        "format_version": PARTITION_FORMAT_VERSION,
        "kit_version": __version__,
        "spec_sha256": spec_sha256(),
        "seed": str(seed),
        "options": dict(options),
        "target": dict(target),
        "shard": shard_plan.shard.to_dict(),
        "tests": {"count": shard_plan.total, "sha256": shard_plan.tests_sha256},
        "nodeids": list(shard_plan.nodeids),
        "plan": shard_plan.plan.to_dict(),
        "stopped_by": stopped_by,
        "stopped_early": stopped_early,
        "outcomes": list(outcomes),
    }
    record["fingerprint"] = hashlib.sha256(
        json.dumps(fingerprint_of(record), sort_keys=True).encode("utf-8")
    ).hexdigest()
    return record


def write_partition(report_dir: Path, record: Mapping[str, Any]) -> Path:
    """Write partition.json through a temporary file (a reader never sees half of it)."""
    path = Path(report_dir) / PARTITION_FILE
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    temporary.replace(path)
    return path
