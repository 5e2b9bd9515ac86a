"""schemathesis' failures named by the catalogue requirement they break, read from what was actually sent."""

from __future__ import annotations

from collections.abc import Callable

from drs_conformance.contract.checks import NonConformance, is_json_content_type
from drs_conformance.contract.judge import describe
from drs_conformance.contract.requirement_ids import Req
from drs_conformance.contract.spec import STATUS_PATH
from drs_conformance.schemathesis_suite.operations import UNDER_TEST
from drs_conformance.schemathesis_suite.requests import Sent
from drs_conformance.transport.client import Reply

__all__ = ["FAILURE_REQUIREMENTS", "named_failure", "requirement_of"]


def _by_status(sent: Sent, reply: Reply) -> str:
    """A body off its schema: a 400's is the error body's rule, any other status's the response schema's."""
    return Req.ERROR_BODY if reply.status == 400 else Req.RESPONSE_SCHEMA


def _content_type(sent: Sent, reply: Reply) -> str | None:
    """A content type the document does not list: JSON-RESPONSES, unless it is a JSON type all the same.

    The contract asks for "a JSON content type" (rule 10): `application/problem+json` is one, though the
    document lists `application/json` only, so it breaks nothing (as `checks.is_json_content_type` reads it).
    """
    return None if is_json_content_type(reply.headers.get("content-type")) else Req.JSON_RESPONSES


def _status_of_what_was_sent(sent: Sent, reply: Reply) -> str | None:
    """An undocumented status: the rule of the request's peculiarity (its choice, or the rule it breaks)."""
    # The refusal rules are those of batch-pause-task: a supporting operation's undocumented answer to a
    # malformed request is just that (RESPONSE-SCHEMA), unless credentials were missing.
    if sent.either:
        return sent.choices[0][0]
    if sent.inferred and 400 <= reply.status < 500 and not sent.broken:
        return None  # refused for a part whose content only the kit infers (page_req): not judged
    return _invalid_request_served(sent, reply) or Req.RESPONSE_SCHEMA


def _invalid_request_served(sent: Sent, reply: Reply) -> str | None:
    """Invalid data served: the rule that refuses it; None when the contract finds the request valid."""
    # schemathesis' view of "invalid" is the adjusted copy's (e.g. an extra field or a repeated id).
    rule = sent.first_broken()
    if sent.role != UNDER_TEST and rule != Req.AUTH_REQUIRED:
        return None
    if reply.status == 413 and sent.oversized:
        return None  # refused as too large: allowed for over 100 jobs or 1 MiB, whatever else is wrong
    return rule


def _valid_request_refused(sent: Sent, reply: Reply) -> str | None:
    """A well-formed request was refused: the rule that says it must be served (None if it breaks one)."""
    if sent.broken or sent.inferred:
        return None  # it breaks a rule, or it carries a part whose content only the kit infers (page_req)
    if sent.role != UNDER_TEST:
        return Req.SUPPORT_STATUS if sent.operation == STATUS_PATH else Req.SUPPORT_RESUME
    if reply.status == 413:  # refused as too large: a batch of up to 100 jobs MUST be served
        return Req.BATCH_100
    documented_shape = any(set(job_id) - set("0123456789abcdef-") for job_id in sent.job_ids or ())
    return Req.JOB_ID_WELL_FORMED if documented_shape or not sent.job_ids else Req.BATCH_100


# Every schemathesis failure, by class name, and the requirement it breaks (first match wins when one
# answer fails several checks, so the order is: crash, not JSON, the request's rule, methods, schema).
# The functions read what was sent: `_invalid_request_served` names the first rule the request breaks
# (BODY-SHAPE, ITEM-SHAPE, JOB-ID-RULE, PAUSE-MODE-VALUES, CONTENT-TYPE-REFUSED, AUTH-REQUIRED; none if the
# contract finds it valid), `_valid_request_refused` names JOB-ID-WELL-FORMED (an id with a non-hex letter)
# or BATCH-100 (refused as too large, or hex ids only), and SUPPORT-STATUS / SUPPORT-RESUME for the
# supporting operations, `_status_of_what_was_sent` the request's allowed choice or broken rule, else
# RESPONSE-SCHEMA. A request with a part only the kit infers (`Sent.inferred`: page_req) refused is no
# failure. Response schemas are the documented ones (`generation_document` leaves out `x-drs-inferred`),
# so a JsonSchemaError is always a documented constraint broken. A class missing here (a newer
# schemathesis) counts against RESPONSE-SCHEMA.
FAILURE_REQUIREMENTS: dict[str, str | Callable[[Sent, Reply], str | None]] = {
    "ServerError": Req.NO_5XX,  # 5xx: no request of any shape may get one
    "ContentTypeServerError": Req.NO_5XX,
    "MalformedJson": Req.JSON_RESPONSES,  # every 200 and 4xx body is JSON with a JSON content type
    "ContentDeserializationError": Req.JSON_RESPONSES,
    "MissingContentType": Req.JSON_RESPONSES,
    "UndefinedContentType": _content_type,  # not listed: a failure only if it is no JSON type at all
    "MalformedMediaType": Req.JSON_RESPONSES,
    "AcceptedNegativeData": _invalid_request_served,  # invalid data served: the rule that refuses it
    "RejectedPositiveData": _valid_request_refused,  # valid data refused: the rule that serves it
    "MissingHeaderNotRejected": _invalid_request_served,
    "IgnoredAuth": Req.AUTH_REQUIRED,  # missing or invalid credentials accepted
    "UnsupportedMethodResponse": Req.HTTP_METHODS,  # 405 with Allow for a method the path does not serve
    "AllowHeaderMismatch": Req.HTTP_METHODS,
    "UndefinedStatusCode": _status_of_what_was_sent,  # e.g. 422 for a bad body: its rule wanted a 400
    "JsonSchemaError": _by_status,  # 400 -> ERROR-BODY, other statuses -> RESPONSE-SCHEMA
    "MissingHeaders": Req.RESPONSE_SCHEMA,
    "DiscriminatorMismatch": Req.RESPONSE_SCHEMA,
}

_UNMAPPED = Req.RESPONSE_SCHEMA  # a failure class this table does not know yet (a newer schemathesis)
_MAX_DETAIL = 700  # schemathesis' own explanation, clipped (it may quote whole schemas)


def requirement_of(failure: BaseException, sent: Sent, reply: Reply) -> str | None:
    """The requirement a failure breaks; None when, read against the contract, it breaks none."""
    for cls in type(failure).__mro__:
        rule = FAILURE_REQUIREMENTS.get(cls.__name__)
        if rule is not None:
            return rule if isinstance(rule, str) else rule(sent, reply)
    return _UNMAPPED


def named_failure(group: BaseExceptionGroup, sent: Sent, reply: Reply) -> NonConformance | None:
    """The schemathesis failures of one answer as one NonConformance, named by the first in table order."""
    order = list(FAILURE_REQUIREMENTS)

    def rank(failure: BaseException) -> int:
        names = [cls.__name__ for cls in type(failure).__mro__]
        return min((order.index(name) for name in names if name in order), default=len(order))

    judged = [(f, requirement_of(f, sent, reply)) for f in sorted(group.exceptions, key=rank)]
    charged = [(failure, requirement) for failure, requirement in judged if requirement is not None]
    if not charged:
        return None
    failures = [failure for failure, _ in charged]
    first, requirement = charged[0]
    title = getattr(first, "title", type(first).__name__)
    detail = getattr(first, "message", str(first)).strip()
    if len(detail) > _MAX_DETAIL:
        detail = detail[:_MAX_DETAIL] + " [...]"
    others = ", ".join(dict.fromkeys(getattr(f, "title", type(f).__name__) for f in failures[1:]))
    message = (
        f"{title} (schemathesis {type(first).__name__}) for {sent.summary()}\n"
        f"received {describe(reply, 200)}\n"
        f"schemathesis: {detail}" + (f"\nalso: {others}" if others else "")
    )
    return NonConformance(requirement, message)
