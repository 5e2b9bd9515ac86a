"""The wire form of the sandbox's answers and refusals, so that every body is built in one place, as the policy says."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from drs_conformance.contract.spec import contract
from drs_conformance.sandbox.errors import (
    ITEM_INVALID_CODE,
    ITEM_NOT_FOUND_CODE,
    ITEM_STATE_CODE,
    ApiNotFound,
    ControlBadRequest,
    ControlNotFound,
    DuplicateJobIds,
    MethodNotAllowed,
    SandboxError,
)
from drs_conformance.sandbox.messages import message
from drs_conformance.sandbox.pipeline import JSON_MEDIA_TYPE, PauseItem
from drs_conformance.sandbox.policy import AnswerPolicy
from drs_conformance.sandbox.state import JobOutcome, Result

__all__ = ["Renderer", "json_response"]


def json_response(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    """A JSON answer (UTF-8; ASCII escapes if a string cannot be encoded, e.g. a lone surrogate)."""
    try:
        data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except UnicodeEncodeError:
        data = json.dumps(body, separators=(",", ":")).encode("ascii")
    return Response(data, status_code=status, headers=dict(headers or {}), media_type=JSON_MEDIA_TYPE)


def _page(results: list[dict[str, Any]], paging: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One page of the results, as the platform pages (per_page 0 = all; a page past the last is empty)."""
    per_page = paging.get("per_page", contract().status_page_size)
    if per_page == 0:
        return results
    start = (max(paging.get("cur_page", 1), 1) - 1) * per_page
    return results[start : start + per_page]


class Renderer:
    """Builds the bodies of one sandbox's answers and refusals, in the request's language."""

    def __init__(self, policy: AnswerPolicy) -> None:
        c = contract()
        self.policy = policy
        self._languages = c.languages
        self._default_language = c.default_language
        self._success_word = c.success_word  # of retry results, and what bookkeeping counts as a success
        self._failed_word = c.failed_word  # of retry results
        self._shuffler = random.Random(0x5EED)

    # -- languages -------------------------------------------------------------------------------

    def message_language(self, request: Request) -> str:
        """The language of the answer's messages: X-Language when known, else the default."""
        value = request.headers.get("x-language")
        if value in self._languages and self.policy.honour_language:
            return value
        return self._default_language

    def _item_language(self, request: Request) -> str:
        if self.policy.item_messages_in_default_language:
            return self._default_language
        return self.message_language(request)

    # -- POST batch-pause-task -------------------------------------------------------------------

    def pause_answer(self, request: Request, items: Sequence[PauseItem], outcomes: Sequence[Result]) -> Response:
        """The 200 answer of a pause: one result per item, in the order the policy says."""
        policy = self.policy
        language = self._item_language(request)
        succeeded: set[str] = set()
        planned_success_failed = policy.fail_all_on_failure and any(o is not JobOutcome.PAUSED for o, _ in outcomes)
        results: list[dict[str, Any]] = []
        pending = iter(outcomes)
        for item in items:
            if item.invalid_where is not None:
                results.append(
                    self._failure(
                        item.echo, ITEM_INVALID_CODE, language, "result.invalid_item", where=item.invalid_where
                    )
                )
                continue
            outcome, detail = next(pending)
            if outcome is JobOutcome.PAUSED and planned_success_failed:
                results.append(self._failure(item.echo, ITEM_STATE_CODE, language, "result.batch_failed"))
            elif outcome is JobOutcome.PAUSED:
                succeeded.add(item.job_id)
                results.append(self._success(item.echo))
            elif outcome is JobOutcome.NOT_FOUND:
                if policy.unknown_succeeds:
                    results.append(self._success(item.echo))
                else:
                    results.append(self._failure(item.echo, ITEM_NOT_FOUND_CODE, language, "result.not_found"))
            elif outcome is JobOutcome.FOREIGN:
                if policy.foreign_distinct:
                    results.append(self._failure(item.echo, ITEM_STATE_CODE, language, "result.foreign"))
                else:  # indistinguishable from an unknown id: same code, same message
                    results.append(self._failure(item.echo, ITEM_NOT_FOUND_CODE, language, "result.not_found"))
            elif outcome is JobOutcome.NOT_PAUSABLE_STATE:
                if policy.repeat_success and item.job_id in succeeded:
                    results.append(self._success(item.echo))
                else:
                    results.append(self._failure(item.echo, ITEM_STATE_CODE, language, "result.state", status=detail))
            else:  # NOT_PAUSABLE_TYPE
                results.append(self._failure(item.echo, ITEM_STATE_CODE, language, "result.type", type=detail))
        return json_response(self._batch_body(results))

    def _success(self, echo: Any) -> dict[str, Any]:
        if self.policy.success_with_nulls:
            return {"id": echo, "status": self.policy.success_word, "error_code": None, "error_msg": None}
        return {"id": echo, "status": self.policy.success_word}

    def _failure(self, echo: Any, code: str, language: str, key: str, **params: Any) -> dict[str, Any]:
        status = self.policy.failed_word
        if not self.policy.failure_details:
            return {"id": echo, "status": status}
        return {"id": echo, "status": status, "error_code": code, "error_msg": message(key, language, **params)}

    def _batch_body(self, results: list[dict[str, Any]]) -> dict[str, Any]:
        """The bookkeeping of a pause answer (results, count)."""
        policy = self.policy
        if policy.drop_failed:
            results = [result for result in results if result["status"] == self._success_word]
        if policy.upper_case_ids:
            for result in results:
                if isinstance(result["id"], str):
                    result["id"] = result["id"].upper()
        results = self._order(results)
        count: Any = len(results)
        if policy.count == "successes":
            count = sum(1 for result in results if result["status"] == self._success_word)
        elif policy.count == "string":
            count = str(count)
        return self._extras({"results": results, "count": count})

    # -- POST batch-status -----------------------------------------------------------------------

    def status_answer(
        self, request: Request, job_ids: Sequence[str], statuses: Sequence[str | None], paging: Mapping[str, Any]
    ) -> Response:
        """The 200 answer of batch-status: a status per id, or a failed look-up (count: the ids asked)."""
        language = self.message_language(request)
        lookup_status = dict(self.policy.lookup_status)
        results: list[dict[str, Any]] = []
        for job_id, status in zip(job_ids, statuses, strict=False):
            if status is None:
                results.append(
                    {
                        "id": job_id,
                        **lookup_status,
                        "error_code": ITEM_NOT_FOUND_CODE,
                        "error_message": message("result.not_found", language),
                    }
                )
            else:
                results.append({"id": job_id, "status": status})
        results = self._order(results)
        count = len(results)
        if self.policy.status_pages:
            results = _page(results, paging)
        return json_response(self._extras({"results": results, "count": count}))

    # -- POST batch-retry-task -------------------------------------------------------------------

    def retry_answer(self, request: Request, job_ids: Sequence[str], outcomes: Sequence[Result]) -> Response:
        """The 200 answer of batch-retry-task: one result per id."""
        language = self.message_language(request)
        failed = self._failed_word
        results: list[dict[str, Any]] = []
        for job_id, (outcome, detail) in zip(job_ids, outcomes, strict=False):
            if outcome.succeeded:
                results.append({"id": job_id, "status": self._success_word})
            elif outcome in (JobOutcome.NOT_FOUND, JobOutcome.FOREIGN):
                results.append(
                    {
                        "id": job_id,
                        "status": failed,
                        "error_code": ITEM_NOT_FOUND_CODE,
                        "error_msg": message("result.not_found", language),
                    }
                )
            else:
                results.append(
                    {
                        "id": job_id,
                        "status": failed,
                        "error_code": ITEM_STATE_CODE,
                        "error_msg": message("result.retry_state", language, status=detail),
                    }
                )
        return json_response(self._extras({"results": self._order(results), "count": len(results)}))

    # -- shared bookkeeping ----------------------------------------------------------------------

    def _order(self, results: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if self.policy.reverse_results:
            return results[::-1]
        if self.policy.shuffle_results:
            shuffled = list(results)
            self._shuffler.shuffle(shuffled)
            return shuffled
        return results

    def _extras(self, body: dict[str, Any]) -> dict[str, Any]:
        """Harmless extra fields on the body and on every result, when the policy adds them."""
        if self.policy.extras:
            request_id = uuid.uuid4().hex
            body["request_id"] = request_id
            for result in body.get("results", ()):
                result["request_id"] = request_id
        return body

    # -- refusals --------------------------------------------------------------------------------

    def error(self, request: Request, exc: SandboxError) -> Response:
        """The wire form of a refusal, in the request's language (the policy may change request-level 400s)."""
        policy = self.policy
        language = self.message_language(request)
        text = message(exc.key, language, **exc.params)
        code = exc.code
        api_400 = exc.status == 400 and not isinstance(exc, ControlBadRequest)
        if api_400 and policy.error_code is not None and not isinstance(exc, DuplicateJobIds):
            code = policy.error_code
        if api_400 and policy.text_errors:
            return PlainTextResponse(f"{code}: {text}", status_code=400, headers=exc.headers)
        body: dict[str, Any] = {"error_code": code, "error_msg": text}
        if api_400 and policy.nested_errors:
            body = {"error": body}
        if not isinstance(exc, (ControlBadRequest, ControlNotFound)):
            body = self._extras(body)
        return json_response(body, status=exc.status, headers=exc.headers)

    def http_exception(self, request: Request, exc: HTTPException) -> Response:
        """Starlette's own 404 (no route) and 405 (route, other method) as JSON errors."""
        if exc.status_code == 405 and self.policy.method_not_allowed:
            allowed = (exc.headers or {}).get("Allow", "")
            error: SandboxError = MethodNotAllowed(method=request.method, allowed=allowed, headers={"Allow": allowed})
        else:
            error = ApiNotFound()
        return self.error(request, error)
