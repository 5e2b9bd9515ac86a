"""Checks every response of the documented API must pass, whatever the test is about."""

from __future__ import annotations

import json
from typing import Any

import jsonschema

from drs_conformance.contract.paths import readable_path
from drs_conformance.contract.reply import Reply
from drs_conformance.contract.spec import INFERRED, PAUSE_PATH, RETRY_PATH, STATUS_PATH
from drs_conformance.contract.validators import contract_validator

__all__ = [
    "INFERRED_CONSTRAINTS",
    "NonConformance",
    "check_inferred",
    "check_response",
    "checked_requirements",
    "is_json_content_type",
    "response_schema_name",
]


class NonConformance(AssertionError):
    """A failed check that names the requirement it breaks (not necessarily the test's own)."""

    def __init__(self, requirement: str, message: str) -> None:
        super().__init__(f"[{requirement}] {message}")
        self.requirement = str(requirement)  # a Req member or its id: plain str crosses processes (xdist)
        self.detail = message


# The SHOULD requirement that judges the constraints the kit infers (x-drs-inferred in the document).
INFERRED_CONSTRAINTS = "INFERRED-CONSTRAINTS"

# The schema each documented operation's 200 body must match.
_OK_SCHEMAS = {
    PAUSE_PATH: "BatchPauseResponse",
    RETRY_PATH: "BatchPauseResponse",
    STATUS_PATH: "BatchStatusResponse",
}


def is_json_content_type(value: str | None) -> bool:
    """application/json or any +json type, parameters allowed."""
    if not value:
        return False
    media = value.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def response_schema_name(operation_path: str, status: int) -> str | None:
    """The component schema a response of this status must match, or None if undocumented."""
    if status == 200:
        return _OK_SCHEMAS.get(operation_path)
    if status == 400:
        return "ErrorResponse"
    if 400 <= status < 500:
        return "PlatformError"
    return None


def _first_error(schema_name: str, body: Any, *, documented: bool = True) -> jsonschema.ValidationError | None:
    return jsonschema.exceptions.best_match(contract_validator(schema_name, documented=documented).iter_errors(body))


def _where(error: jsonschema.ValidationError) -> str:
    return f"{readable_path(error.absolute_path)}: {error.message}"


def _has_documented_body(status: int) -> bool:
    """A 200 or a 4xx: its body must be JSON and match a documented schema (any other status: NO-5XX alone)."""
    return status == 200 or 400 <= status < 500


def _schema_requirement(status: int) -> str:
    """The requirement a documented body of this status breaks when it does not match its schema."""
    return "ERROR-BODY" if status == 400 else "RESPONSE-SCHEMA"


def checked_requirements(status: int) -> tuple[str, ...]:
    """The requirements check_response judges for a response of this status."""
    if not _has_documented_body(status):
        return ("NO-5XX",)
    return ("NO-5XX", "JSON-RESPONSES", _schema_requirement(status))


def _json_body(reply: Reply) -> Any:
    """The body of a 200 or 4xx, which must be JSON with a JSON content type (JSON-RESPONSES)."""
    status = reply.status
    content_type = reply.headers.get("content-type")
    if not is_json_content_type(content_type):
        raise NonConformance(
            "JSON-RESPONSES",
            f"received {status} with Content-Type {content_type!r}, documented a JSON content type (application/json)",
        )
    try:
        return json.loads(reply.content)
    except ValueError as exc:
        raise NonConformance(
            "JSON-RESPONSES", f"received a {status} body that is not JSON ({exc}), documented a JSON body"
        ) from None


def check_response(reply: Reply, operation_path: str) -> None:
    """Raise NonConformance for a 5xx, a non-JSON 200/4xx, or a body that breaks its documented schema.

    Only what the documents state is judged here: constraints the kit infers (`x-drs-inferred`) are
    left to `check_inferred`, a SHOULD.
    """
    status = reply.status
    if status >= 500:
        raise NonConformance(
            "NO-5XX", f"received {status}, documented 200 or a 4xx: no request of any shape may get a 5xx"
        )
    if not _has_documented_body(status):
        return
    body = _json_body(reply)
    schema_name = response_schema_name(operation_path, status)
    if schema_name is None:
        return
    error = _first_error(schema_name, body)
    if error is None:
        return
    raise NonConformance(
        _schema_requirement(status), f"received a {status} body where {_where(error)}; documented schema {schema_name}"
    )


def check_inferred(reply: Reply, operation_path: str) -> None:
    """Raise NonConformance (INFERRED-CONSTRAINTS, a SHOULD) for a body that breaks what the kit infers.

    Call it on an answer that passed `check_response`: what is left to break is an `x-drs-inferred`
    constraint, whose reason the message quotes, saying it is the kit's inference.
    """
    if not _has_documented_body(reply.status):
        return
    schema_name = response_schema_name(operation_path, reply.status)
    if schema_name is None:
        return
    error = _first_error(schema_name, _json_body(reply), documented=False)
    if error is None:
        return
    why = error.schema.get(INFERRED) if isinstance(error.schema, dict) else None
    raise NonConformance(
        INFERRED_CONSTRAINTS,
        f"received a {reply.status} body where {_where(error)}; not stated by the documents, the kit infers "
        f"(schema {schema_name}): {why or 'see x-drs-inferred in the contract'}",
    )
