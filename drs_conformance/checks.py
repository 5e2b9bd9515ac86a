"""Checks every response of the documented API must pass, whatever the test is about."""

from __future__ import annotations

import functools
import json
from typing import TYPE_CHECKING, Any

import jsonschema

from drs_conformance.paths import readable_path
from drs_conformance.spec import PAUSE_PATH, RETRY_PATH, STATUS_PATH, contract

if TYPE_CHECKING:
    from drs_conformance.client import Reply

__all__ = [
    "NonConformance",
    "check_response",
    "checked_requirements",
    "is_json_content_type",
    "response_schema_name",
]


class NonConformance(AssertionError):
    """A failed check that names the requirement it breaks (not necessarily the test's own)."""

    def __init__(self, requirement: str, message: str) -> None:
        super().__init__(f"[{requirement}] {message}")
        self.requirement = requirement
        self.detail = message


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


@functools.cache
def _validator(schema_name: str) -> jsonschema.protocols.Validator:
    return jsonschema.Draft202012Validator(contract().resolved_schema(schema_name))


def _first_error(schema_name: str, body: Any) -> str | None:
    error = jsonschema.exceptions.best_match(_validator(schema_name).iter_errors(body))
    if error is None:
        return None
    return f"{readable_path(error.absolute_path)}: {error.message}"


def checked_requirements(status: int) -> tuple[str, ...]:
    """The requirements check_response judges for a response of this status."""
    if status >= 500 or not (status == 200 or 400 <= status < 500):
        return ("NO-5XX",)
    return ("NO-5XX", "JSON-RESPONSES", "ERROR-BODY" if status == 400 else "RESPONSE-SCHEMA")


def check_response(reply: Reply, operation_path: str) -> None:
    """Raise NonConformance for a 5xx, a non-JSON 200/4xx, or a body that breaks its documented schema."""
    status = reply.status
    if status >= 500:
        raise NonConformance(
            "NO-5XX", f"received {status}, documented 200 or a 4xx: no request of any shape may get a 5xx"
        )
    if not (status == 200 or 400 <= status < 500):
        return
    content_type = reply.headers.get("content-type")
    if not is_json_content_type(content_type):
        raise NonConformance(
            "JSON-RESPONSES",
            f"received {status} with Content-Type {content_type!r}, documented a JSON content type (application/json)",
        )
    try:
        body = json.loads(reply.content)
    except ValueError as exc:
        raise NonConformance(
            "JSON-RESPONSES", f"received a {status} body that is not JSON ({exc}), documented a JSON body"
        ) from None
    schema_name = response_schema_name(operation_path, status)
    if schema_name is None:
        return
    problem = _first_error(schema_name, body)
    if problem is None:
        return
    requirement = "ERROR-BODY" if status == 400 else "RESPONSE-SCHEMA"
    raise NonConformance(
        requirement, f"received a {status} body where {problem}; documented schema {schema_name}"
    )
