"""What a request is by the contract as written: the rules it breaks and the allowed choices it makes."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import httpx
import jsonschema

from drs_conformance.contract.paths import readable_path
from drs_conformance.contract.requirement_ids import Req
from drs_conformance.contract.spec import STATUS_PATH, contract
from drs_conformance.contract.strict_json import loads_strict
from drs_conformance.contract.validators import contract_validator
from drs_conformance.schemathesis_suite.operations import (
    JSON_MEDIA_TYPE,
    body_schema_name,
    inferred_fields,
    role,
)

__all__ = ["RULE_ORDER", "Sent", "Wire", "classify_request", "rule_of"]

# Order in which broken rules name a refusal that did not happen: the first one found is reported.
RULE_ORDER = (
    Req.BODY_SHAPE,
    Req.ITEM_SHAPE,
    Req.JOB_ID_RULE,
    Req.PAUSE_MODE_VALUES,
    Req.CONTENT_TYPE_REFUSED,
    Req.AUTH_REQUIRED,
)


@dataclass(frozen=True)
class Wire:
    """One request as it goes out (the kit's credentials are applied by its client when sending)."""

    method: str
    path: str  # relative to the target's base URL, query string included
    headers: dict[str, str]
    body: bytes | None
    with_credentials: bool


@dataclass(frozen=True)
class Sent:
    """What a request is, by the contract: the rules it breaks and the allowed choices it makes."""

    operation: str
    role: str
    broken: tuple[tuple[str, str], ...] = ()  # (requirement, why): the request must be refused
    choices: tuple[tuple[str, str], ...] = ()  # (requirement, what): the contract allows several answers
    job_ids: tuple[str, ...] | None = None  # the requested ids of a body that breaks no rule
    # Over 100 jobs or over 1 MiB, whatever else is wrong with it: a 413 is an allowed refusal (rule 8).
    oversized: bool = False
    # Fields whose content the kit infers (batch-status' page_req): a refusal of the request is not judged.
    inferred: tuple[str, ...] = ()

    @property
    def either(self) -> bool:
        """Well formed, but answered as the target chooses (an Either rule decides, not schemathesis)."""
        return bool(self.choices) and not self.broken

    def first_broken(self) -> str | None:
        """The rule a served request broke, one per request, in `RULE_ORDER` (body before headers)."""
        names = [requirement for requirement, _ in self.broken]
        return next((name for name in RULE_ORDER if name in names), names[0] if names else None)

    def summary(self, limit: int = 3) -> str:
        """What the request is, in a line: the rules it breaks, its allowed choices, its inferred parts."""
        parts = [f"{requirement}: {why}" for requirement, why in self.broken]
        parts += [f"{requirement} (allowed choice): {what}" for requirement, what in self.choices]
        parts += [f"{name} (its content is the kit's inference)" for name in self.inferred]
        more = f" (+{len(parts) - limit} more)" if len(parts) > limit else ""
        return "; ".join(parts[:limit]) + more if parts else "a well-formed request"


def rule_of(error: jsonschema.ValidationError) -> str:
    """The catalogue rule a schema violation of a request body breaks (contract notes rule 1)."""
    path = list(error.absolute_path)
    if len(path) < 2:  # the body itself, or `jobs`
        return Req.BODY_SHAPE
    if error.validator in ("pattern", "minLength", "maxLength") and path[-1] in ("job_id", path[1]):
        return Req.JOB_ID_RULE  # a job_id, or (batch-status) an id in `jobs`
    if len(path) == 2 or error.validator == "type":  # the item itself, or a field that is not a string
        return Req.ITEM_SHAPE
    if path[2] == "pause_mode":
        return Req.PAUSE_MODE_VALUES
    return Req.ITEM_SHAPE


_NOT_JSON = object()


def _parse(body: bytes | None) -> Any:
    """The body as strict JSON (no NaN, no Infinity), or `_NOT_JSON`: what a conforming target must read."""
    if not body:
        return _NOT_JSON
    try:
        return loads_strict(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return _NOT_JSON


def _requested_ids(operation: str, document: dict[str, Any]) -> tuple[str, ...]:
    """The ids a valid body asks for: batch-status lists ids, the others list items with a `job_id`."""
    if operation == STATUS_PATH:
        return tuple(document["jobs"])
    return tuple(item["job_id"] for item in document["jobs"])


def classify_request(operation: str, wire: Wire) -> Sent:
    """Which contract rules the request breaks, and which allowed choices it makes."""
    broken: list[tuple[str, str]] = []
    choices: list[tuple[str, str]] = []
    headers = httpx.Headers(wire.headers)
    media_type = (headers.get("content-type") or "").split(";", 1)[0].strip().lower()
    if media_type != JSON_MEDIA_TYPE:
        broken.append((Req.CONTENT_TYPE_REFUSED, f"Content-Type {headers.get('content-type')!r}"))
    if not wire.with_credentials:
        broken.append((Req.AUTH_REQUIRED, "no credentials"))
    language = headers.get("x-language")
    if language is not None and language not in contract().languages:
        choices.append((Req.LANGUAGE_UNKNOWN, f"X-Language {language!r}"))
    size, body_limit, batch_limit = len(wire.body or b""), contract().body_limit, contract().batch_limit
    if size > body_limit:
        choices.append((Req.BODY_OVER_1MIB, f"a body of {size} bytes"))
    document = _parse(wire.body)
    job_ids = None
    listed = document.get("jobs") if isinstance(document, dict) else None
    inferred = tuple(sorted(inferred_fields(operation) & set(document))) if isinstance(document, dict) else ()
    oversized = size > body_limit or (isinstance(listed, list) and len(listed) > batch_limit)
    if document is _NOT_JSON:
        broken.append((Req.BODY_SHAPE, "the body is not JSON" if wire.body else "no body"))
    else:
        name = body_schema_name(contract().document, operation)
        errors = sorted(contract_validator(name).iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))
        for error in errors:
            broken.append(
                (rule_of(error), f"{readable_path(error.absolute_path, whole='the body')}: {error.message[:160]}")
            )
        closed = contract_validator(name, closed=True).iter_errors(document)
        extras = [
            f"{readable_path(e.absolute_path, whole='the body')}: {e.message[:99]}"
            for e in closed
            if e.validator == "additionalProperties"
        ]
        if extras:
            choices.append((Req.EXTRA_FIELDS, "; ".join(extras[:3])))
        if not errors:
            job_ids = _requested_ids(operation, document)
            times = Counter(job_ids)
            repeated = sorted(job_id for job_id, count in times.items() if count > 1)
            if repeated:
                choices.append((Req.DUPLICATE_IDS, f"job id {repeated[0]} named {times[repeated[0]]} times"))
            if len(job_ids) > batch_limit:
                choices.append((Req.BATCH_OVER_100, f"{len(job_ids)} jobs in one batch"))
    return Sent(operation, role(operation), tuple(broken), tuple(choices), job_ids, oversized, inferred)
