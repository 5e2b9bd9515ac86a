"""The request schemas as a sandbox validates them, so that every schema violation becomes the documented wire error.

Validators come from the kit's one builder (`drs_conformance.contract.validators`), references inlined (much
faster), one set per schema edit (a defect that is a different schema), built once per process.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import jsonschema

from drs_conformance.contract.paths import readable_path
from drs_conformance.contract.spec import contract
from drs_conformance.contract.validators import build_validator, contract_validator
from drs_conformance.sandbox.errors import (
    InvalidBody,
    InvalidJobId,
    InvalidJson,
    InvalidPauseMode,
    SandboxError,
)
from drs_conformance.sandbox.policy import SchemaEdits

__all__ = ["RequestValidators", "classify", "request_validators", "validate"]


@dataclass(frozen=True)
class RequestValidators:
    """The validators of the three operations' request bodies."""

    pause: jsonschema.Draft202012Validator
    status: jsonschema.Draft202012Validator
    retry: jsonschema.Draft202012Validator


@functools.cache
def request_validators(edits: SchemaEdits) -> RequestValidators:
    """The validators of a sandbox whose pause schema differs from the contract's by `edits`, built once."""
    return RequestValidators(
        pause=build_validator("BatchPauseRequest", inline=True, edit=edits),
        status=contract_validator("BatchStatusRequest", inline=True),
        retry=contract_validator("BatchRetryRequest", inline=True),
    )


def validate(validator: jsonschema.Draft202012Validator, document: Any) -> None:
    """Raise the wire error for the first schema violation of `document`, if any."""
    try:
        error = next(validator.iter_errors(document), None)
    except RecursionError:
        raise InvalidJson("body.too_deep") from None
    if error is not None:
        raise classify(error)


def classify(error: jsonschema.ValidationError) -> SandboxError:
    """The wire error for the first schema violation of a request body."""
    path = list(error.absolute_path)
    where = readable_path(path)
    keyword = error.validator
    value: Any = error.validator_value
    if not path:
        if keyword == "type":
            return InvalidBody("body.not_object")
        if keyword == "required":
            return InvalidBody("body.jobs_missing")
    elif path == ["jobs"]:
        if keyword == "type":
            return InvalidBody("body.jobs_not_array")
        if keyword == "minItems":
            return InvalidBody("body.jobs_empty")
    elif path[0] == "jobs" and len(path) in (2, 3):
        field = path[2] if len(path) == 3 else None
        if keyword == "type":
            if value == "object":
                return InvalidBody("item.not_object", where=where)
            if value == "boolean":
                return InvalidBody("item.field_boolean", where=where)
            if value == "string":
                return InvalidBody("item.field_string", where=where)
        if keyword == "required" and isinstance(error.instance, dict):
            if not error.instance:
                return InvalidBody("item.empty", where=where)
            missing = next((name for name in value if name not in error.instance), str(value))
            return InvalidBody("item.field_missing", where=where, field=missing)
        if field in (None, "job_id") and keyword in ("pattern", "minLength", "maxLength"):
            return InvalidJobId(where=where)
        if field == "pause_mode" and keyword == "enum":
            return InvalidPauseMode(where=where, allowed=", ".join(contract().pause_modes))
    return InvalidBody("body.invalid", where=where)
