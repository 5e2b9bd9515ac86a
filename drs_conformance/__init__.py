"""drs-conformance: contract and conformance test kit for DRS batch-pause-task."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from drs_conformance import strategies
    from drs_conformance.contract.catalogue import catalogue
    from drs_conformance.contract.checks import NonConformance
    from drs_conformance.contract.judge import results_by_id
    from drs_conformance.contract.requirement_ids import Req
    from drs_conformance.errors import ExitCode, KitError

__all__ = [
    "ExitCode",
    "KitError",
    "NonConformance",
    "Req",
    "__version__",
    "catalogue",
    "results_by_id",
    "strategies",
]

__version__ = "0.1.0"

# What a vendor may import from the package itself, and the module that holds it (read on first use, so that
# importing the package, as every submodule's import does, loads none of them). The contract's `contract()`
# is not among them: `drs_conformance.contract` is the subpackage.
PUBLIC_OWNERS = {
    "ExitCode": "drs_conformance.errors",
    "KitError": "drs_conformance.errors",
    "NonConformance": "drs_conformance.contract.checks",
    "Req": "drs_conformance.contract.requirement_ids",
    "catalogue": "drs_conformance.contract.catalogue",
    "results_by_id": "drs_conformance.contract.judge",
}


def __getattr__(name: str) -> Any:
    if name == "strategies":
        return importlib.import_module("drs_conformance.strategies")
    if name in PUBLIC_OWNERS:
        return getattr(importlib.import_module(PUBLIC_OWNERS[name]), name)
    raise AttributeError(f"module 'drs_conformance' has no attribute {name!r}")
