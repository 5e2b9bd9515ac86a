"""The machinery of the contract suite (`suites/test_contract.py`): generation, judging, failures, transport."""

from __future__ import annotations

from drs_conformance.schemathesis_suite.failures import named_failure
from drs_conformance.schemathesis_suite.generation import (
    WRONG_JOB_IDS,
    WRONG_JOB_IDS_DICTIONARY,
    generation_document,
)
from drs_conformance.schemathesis_suite.operations import UNDER_TEST, role
from drs_conformance.schemathesis_suite.requests import Sent, Wire, classify_request
from drs_conformance.schemathesis_suite.transport import (
    NO_RESEND,
    KitCredentials,
    as_httpx,
    security_header,
    send,
    to_wire,
)

__all__ = [
    "NO_RESEND",
    "UNDER_TEST",
    "WRONG_JOB_IDS",
    "WRONG_JOB_IDS_DICTIONARY",
    "KitCredentials",
    "Sent",
    "Wire",
    "as_httpx",
    "classify_request",
    "generation_document",
    "named_failure",
    "role",
    "security_header",
    "send",
    "to_wire",
]
