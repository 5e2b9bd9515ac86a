"""What each suite test costs, measured: the seconds it took in a run of each hypothesis profile, shipped with the
kit (`shard_costs.json`) so that `--shard` splits the same way on every machine.

Measured again after suites change: `python -m drs_conformance.plugin.shard_costs PROFILE reports/conformance.json`
(a run of the embedded sandbox with `-- --hypothesis-profile PROFILE`). A test the table does not know costs what
its `long_running` marker says, in requests, at the table's seconds per request, or else the table's median.
"""

from __future__ import annotations

import functools
import json
import statistics
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["COSTS_FILE", "cost_key", "measured_costs", "test_cost", "write_costs"]

COSTS_FILE = Path(__file__).with_name("shard_costs.json")
_FALLBACK_PROFILE = "quick"


def cost_key(nodeid: str) -> str:
    """A node id without its directories: `test_x.py::test_y[a]` whether run as `drs-conformance run` or
    `pytest suites/`."""
    path, sep, rest = nodeid.partition("::")
    return path.rsplit("/", 1)[-1] + sep + rest


@functools.cache
def measured_costs() -> dict[str, dict[str, float]]:
    """Profile -> test (cost_key) -> seconds, as shipped."""
    data = json.loads(COSTS_FILE.read_text(encoding="utf-8"))
    return {profile: dict(tests) for profile, tests in data["profiles"].items()}


def test_cost(nodeid: str, *, profile: str, long_running_requests: int | None, short_requests: int) -> int:
    """The cost of one test in milliseconds (at least 1): measured, or estimated from its marker."""
    costs = measured_costs()
    table = costs.get(profile) or costs[_FALLBACK_PROFILE]
    seconds = table.get(cost_key(nodeid))
    if seconds is None:
        median = statistics.median(table.values())
        per_request = median / short_requests
        seconds = median if long_running_requests is None else long_running_requests * per_request
    return max(1, round(seconds * 1000))


test_cost.__test__ = False  # type: ignore[attr-defined]  # a kit function, not a pytest test


def write_costs(profile: str, report: Mapping[str, Any], path: Path = COSTS_FILE) -> int:
    """Replace the profile's table with the durations of a run's conformance.json; the number of tests."""
    tests = {
        cost_key(test["nodeid"]): round(float(test["duration_s"]), 3)
        for requirement in report["requirements"]
        for test in requirement["tests"]
    }
    data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {"profiles": {}}
    data["profiles"][profile] = dict(sorted(tests.items()))
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return len(tests)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2:
        print("usage: python -m drs_conformance.plugin.shard_costs PROFILE CONFORMANCE.json", file=sys.stderr)
        return 2
    profile, report = args
    count = write_costs(profile, json.loads(Path(report).read_text(encoding="utf-8")))
    print(f"{COSTS_FILE}: {count} tests measured for profile {profile}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
