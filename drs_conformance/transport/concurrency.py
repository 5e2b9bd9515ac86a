"""How many pytest-xdist workers `drs-conformance run` uses when the user does not say: as many as the target's
round-trip time pays for.

A run against a remote target spends its time waiting for answers, not computing, so workers beyond the
machine's cores still pay off. Each costs a process start (about 2.5 s of CPU: imports, and schemathesis building
its coverage cases at collection), and the longest test (the state machine: some 360 requests in sequence) is a
floor no worker count lowers: from 20 ms of round trip on, six workers end the other tests by the time it ends.
Measured with `benchmarks/remote_latency.py` (README, "Performance"); a loopback target is fastest in one process.
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Sequence

__all__ = [
    "DEFAULT_MAX_WORKERS",
    "LOOPBACK_RTT_S",
    "WORKER_PER_RTT_S",
    "choose_workers",
    "user_chose_workers",
    "worker_args",
]

LOOPBACK_RTT_S = 0.004  # below this a request costs the kit more CPU than waiting for it: one process
WORKER_PER_RTT_S = 0.003  # one worker per this much round-trip time (5 ms: 2, 10 ms: 4, from 18 ms: the most)
DEFAULT_MAX_WORKERS = 6  # measured at 20, 50 and 100 ms on 2 cores: 8 workers start slower and end no sooner
# pytest arguments by which the user decides about workers (`-n 4`, `-n4`, `--numprocesses=auto`, `-p no:xdist`).
_WORKER_FLAGS = ("-n", "--numprocesses", "--dist", "-d", "--tx", "no:xdist", "--pdb", "--trace")


def user_chose_workers(pytest_args: Sequence[str]) -> bool:
    """Whether the pytest arguments after `--` already decide about xdist (then the kit adds nothing)."""
    for arg in pytest_args:
        name = arg.split("=", 1)[0]
        if name in _WORKER_FLAGS or (arg.startswith("-n") and not arg.startswith("--")) or arg == "-pno:xdist":
            return True
    return False


def choose_workers(rtt_s: float | None, *, cap: int | None = None, rate_limit: float | None = None) -> int:
    """Workers for a target that answers in `rtt_s` (None: not measured, e.g. the embedded sandbox: 1).

    `cap` is --max-workers; with --rate-limit, more workers than the rate keeps busy do not help.
    """
    if rtt_s is None or rtt_s < LOOPBACK_RTT_S:
        workers = 1
    else:
        workers = min(math.ceil(rtt_s / WORKER_PER_RTT_S), DEFAULT_MAX_WORKERS)
    if rate_limit:
        workers = min(workers, math.ceil(rate_limit * (rtt_s or 0.0)) + 1)
    if cap is not None:
        workers = min(workers, cap)
    return max(1, workers)


def worker_args(workers: int) -> list[str]:
    """The pytest arguments for that many workers (none for one, or without pytest-xdist installed).

    `--dist load --maxschedchunk 1` hands every worker two tests at first, then one at a time as it finishes them:
    the plugin collects each long test (marker `long_running`) first in such a pair, so that they start at once, on
    different workers.
    """
    if workers <= 1 or importlib.util.find_spec("xdist") is None:
        return []
    return ["-n", str(workers), "--dist", "load", "--maxschedchunk", "1"]
