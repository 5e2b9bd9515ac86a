"""The kill matrix's fault row: a target with the basic control API behind connection resets charges no requirement.

The row's run aims at the fault proxy of the kit's tests (tests/fault_proxy.py, found next to the package in
a checkout; an installed kit has no such row) in front of a sandbox serving only the four basic control-API
endpoints, resetting a share of every request, the control API's too. Its run must end with no requirement
failed and exit 3 (some tests unanswered): a lost connection is the target's availability, never a broken rule.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

__all__ = ["BASE_URL", "FAULT_PROXY", "FaultSetup", "available", "behind_faults", "with_base_url"]

FAULT_PROXY = Path(__file__).resolve().parents[2] / "tests" / "fault_proxy.py"
BASE_URL = "{fault-proxy-url}"  # in a row's command line: the proxy's URL, known once it listens
_MODULE = "drs_conformance_fault_proxy"


@dataclass(frozen=True, kw_only=True)
class FaultSetup:
    """The faults of one row: the share of requests reset, the proxy's seed, and whether after forwarding."""

    rate: float
    seed: int
    forwarded: bool = False


def available() -> bool:
    """Whether the fault proxy is here (a checkout of the kit, not an installed wheel)."""
    return FAULT_PROXY.is_file()


def _fault_proxy() -> ModuleType:
    """tests/fault_proxy.py, loaded by its path (a `tests` package elsewhere on sys.path cannot stand in for it)."""
    loaded = sys.modules.get(_MODULE)
    if loaded is not None:
        return loaded
    spec = importlib.util.spec_from_file_location(_MODULE, FAULT_PROXY)
    assert spec is not None and spec.loader is not None, f"cannot load {FAULT_PROXY}"
    module = importlib.util.module_from_spec(spec)
    sys.modules[_MODULE] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


@contextmanager
def behind_faults(setup: FaultSetup) -> Iterator[str]:
    """A sandbox (basic control API, demo credentials) behind the resetting proxy, for the block; the proxy's URL."""
    from drs_conformance.sandbox import SandboxConfig, start_in_thread

    proxy_module = _fault_proxy()
    config = SandboxConfig(control_extensions=())
    rules = [proxy_module.reset(probability=setup.rate, forwarded=setup.forwarded)]
    with start_in_thread(config) as sandbox, proxy_module.FaultProxy(sandbox.url, rules, seed=setup.seed) as proxy:
        yield proxy.url
        assert not proxy.errors, f"the fault proxy itself failed: {proxy.errors[0]!r}"


def with_base_url(argv: Sequence[str], url: str) -> list[str]:
    """The command line with the proxy's URL where BASE_URL stands."""
    return [url if arg == BASE_URL else arg for arg in argv]
