"""Hypothesis strategies that know the DRS batch-pause-task contract: valid values and labelled faults.

Valid: `job_ids`, `pause_modes`, `pause_infos`, `batches`, `batches_over`, `job_specs`,
`pausable_job_specs`. Invalid: strategies of `Fault` (requirement, kind, reason, expected outcome,
the value and a body ready to send). See strategies/README.md for a vendor's example and every kind.

Each fault kind is declared once, in the module that builds it (`registry.py` says how); this module
imports those modules and fixes the order of their strategies.
"""

from __future__ import annotations

from drs_conformance.contract.spec import contract_constant

from .batches import batches, batches_over, pause_infos
from .bodies import not_json_bodies, oversized_bodies, wrong_content_types
from .faults import EXPECTS, Expect, Fault
from .job_id_faults import malformed_job_ids
from .job_ids import JOB_ID_SHAPES, job_ids
from .jobs import JobSpec, job_specs, non_pausable_job_specs, pausable_job_specs
from .mode_faults import wrong_pause_modes
from .modes import pause_modes
from .one_fault import item_faults, one_fault_batches, request_faults
from .registry import REGISTRY, FaultKind, fault_kinds, fault_kinds_table
from .schemathesis_formats import JOB_ID_FORMAT, register_job_id_format, with_job_id_format
from .shape_faults import duplicate_id_batches, extra_fields, malformed_bodies, malformed_items, oversized_batches

# Every fault strategy, each imported above from the module that declares its kinds, in the order
# `fault_kinds()` lists the kinds (the README table) and `item_faults()`/`request_faults()` draw them.
# A new fault module: import its strategy above, add it here and to __all__ (strategies/README.md).
REGISTRY.arrange(
    malformed_job_ids,
    wrong_pause_modes,
    malformed_items,
    extra_fields,
    malformed_bodies,
    not_json_bodies,
    duplicate_id_batches,
    oversized_batches,
    oversized_bodies,
    wrong_content_types,
    non_pausable_job_specs,
)

BATCH_LIMIT: int  # the contract's limits, read on first use (__getattr__)
BODY_LIMIT: int


def __getattr__(name: str) -> int:
    """BATCH_LIMIT and BODY_LIMIT (`x-drs-limits`), read from the contract on first use: importing reads nothing."""
    return contract_constant(__name__, name, BATCH_LIMIT="batch_limit", BODY_LIMIT="body_limit")


__all__ = [
    "BATCH_LIMIT",
    "BODY_LIMIT",
    "EXPECTS",
    # schemathesis
    "JOB_ID_FORMAT",
    # valid values
    "JOB_ID_SHAPES",
    # faults
    "Expect",
    "Fault",
    "FaultKind",
    "JobSpec",
    "batches",
    "batches_over",
    "duplicate_id_batches",
    "extra_fields",
    "fault_kinds",
    "fault_kinds_table",
    "item_faults",
    "job_ids",
    "job_specs",
    "malformed_bodies",
    "malformed_items",
    "malformed_job_ids",
    "non_pausable_job_specs",
    "not_json_bodies",
    "one_fault_batches",
    "oversized_batches",
    "oversized_bodies",
    "pausable_job_specs",
    "pause_infos",
    "pause_modes",
    "register_job_id_format",
    "request_faults",
    "with_job_id_format",
    "wrong_content_types",
    "wrong_pause_modes",
]
