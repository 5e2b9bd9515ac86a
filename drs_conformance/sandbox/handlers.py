"""Request handling: read, parse and validate requests, call the store, render answers.

Order of checks on the three API operations (every refusal happens before the store is touched):
credentials (401/403) -> Content-Type (415) -> bounded body read (413) -> [AK/SK signature (401)] ->
X-Language (400) -> JSON (400) -> schema (400) -> extra fields / batch size / duplicates -> items.
An AK/SK signature covers the body, so with AK/SK the body is read before the Content-Type check.

Defects act at named points below (`self._defect("name")`), never through copies of a handler.
"""

from __future__ import annotations

import asyncio
import functools
import json
import random
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import jsonschema
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from drs_conformance.sandbox.auth import Authenticator, Principal, raw_path_of
from drs_conformance.sandbox.config import CONTROL_BULK_LIMIT, DEFAULT_SEED_STATUS, SandboxConfig
from drs_conformance.sandbox.defects import ActiveDefect
from drs_conformance.sandbox.errors import (
    ITEM_INVALID_CODE,
    ITEM_NOT_FOUND_CODE,
    ITEM_STATE_CODE,
    ApiNotFound,
    BadRequest,
    ControlBadRequest,
    ControlNotFound,
    DuplicateJobIds,
    InvalidBody,
    InvalidJobId,
    InvalidJson,
    InvalidPauseMode,
    MethodNotAllowed,
    PayloadTooLarge,
    SandboxCrash,
    SandboxError,
    TooManyJobs,
    UnsupportedLanguage,
    UnsupportedMediaType,
    Unprocessable,
)
from drs_conformance.sandbox.messages import message
from drs_conformance.sandbox.state import JobStore, Outcome, PausePolicy, Result, ResumePolicy
from drs_conformance.sandbox.variants import BATCH_SERVED
from drs_conformance.paths import readable_path
from drs_conformance.spec import contract, load_document

__all__ = ["Handlers", "json_response", "FAILED_STATUS", "UNDOCUMENTED_CODE"]

JSON_MEDIA_TYPE = "application/json"
# Contract notes rule 15: a failed item's status SHOULD be "failed".
FAILED_STATUS = "failed"
# What the defect error-code-undocumented answers (a well-formed DRS code missing from the appendix).
UNDOCUMENTED_CODE = "DRS.M00099"
# Defects that make the pause route tolerate or rewrite some items before the schema sees them.
_LENIENT_DEFECTS = (
    "job-id-trimmed",
    "mode-case-insensitive",
    "mode-default-when-missing",
    "empty-object-per-item",
    "null-job-id-per-item",
    "crash-on-unicode",
)


def json_response(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    """A JSON answer (UTF-8; ASCII escapes if a string cannot be encoded, e.g. a lone surrogate)."""
    try:
        data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except UnicodeEncodeError:
        data = json.dumps(body, separators=(",", ":")).encode("ascii")
    return Response(data, status_code=status, headers=dict(headers or {}), media_type=JSON_MEDIA_TYPE)


# -- schemas ---------------------------------------------------------------------------------------


def _inline(node: Any, defs: Mapping[str, Any], depth: int = 0) -> Any:
    """The schema with every local `$ref` replaced by its target (the contract has no recursive schemas)."""
    if depth > 32:
        raise ValueError("the contract's schemas nest too deeply to inline (a recursive $ref?)")
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            target = _inline(defs[ref.rsplit("/", 1)[1]], defs, depth + 1)
            siblings = {k: _inline(v, defs, depth + 1) for k, v in node.items() if k != "$ref"}
            return {**target, **siblings}
        return {
            k: _inline(v, defs, depth + 1)
            for k, v in node.items()
            if k not in ("$defs", "description", "examples")
        }
    if isinstance(node, list):
        return [_inline(v, defs, depth + 1) for v in node]
    return node


def build_validator(name: str, mutate: Callable[[dict[str, Any]], None] | None = None) -> jsonschema.Draft202012Validator:
    """A Draft 2020-12 validator for the contract's schema `name`, references inlined once (much faster)."""
    resolved = contract().resolved_schema(name)  # a fresh copy: `mutate` may change its $defs
    defs = resolved["$defs"]
    if mutate is not None:
        mutate(defs)
    schema = _inline({"$ref": resolved["$ref"]}, defs)
    schema["$schema"] = resolved["$schema"]
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@functools.lru_cache(maxsize=None)
def _validators(defect: str | None) -> tuple[jsonschema.Draft202012Validator, ...]:
    """The (pause, status, retry) validators of a sandbox running `defect`, built once per defect."""
    return (
        build_validator("BatchPauseRequest", functools.partial(_pause_schema_defects, defect)),
        build_validator("BatchStatusRequest"),
        build_validator("BatchRetryRequest"),
    )


def _pause_schema_defects(defect_name: str | None, defs: dict[str, Any]) -> None:
    """Defects that are a different schema for the pause request (applied to a copy, once)."""
    defect = ActiveDefect(defect_name)
    if defect.active("job-id-unchecked"):
        defs["JobId"] = {"type": "string"}
    elif defect.active("job-id-hex-only"):
        defs["JobId"]["pattern"] = defs["JobId"]["pattern"].replace("[0-9a-z]", "[0-9a-f]")
    elif defect.active("job-id-length-only"):
        defs["JobId"].pop("pattern")
    elif defect.active("mode-unchecked"):
        defs["PauseMode"] = {"type": "string"}
    elif defect.active("empty-jobs-accepted"):
        defs["BatchPauseRequest"]["properties"]["jobs"].pop("minItems")


def _page(results: list[dict[str, Any]], paging: Mapping[str, Any]) -> list[dict[str, Any]]:
    """status-paging=pages: one page of the results (per_page 0 = all; a page past the last is empty)."""
    per_page = paging.get("per_page", contract().status_page_size)
    if per_page == 0:
        return results
    start = (max(paging.get("cur_page", 1), 1) - 1) * per_page
    return results[start:start + per_page]


@functools.lru_cache(maxsize=None)
def _openapi_bytes() -> bytes:
    return json.dumps(load_document(), ensure_ascii=False).encode("utf-8")


def classify(error: jsonschema.ValidationError) -> SandboxError:
    """The wire error for the first schema violation of a request body."""
    path = list(error.absolute_path)
    where = readable_path(path)
    keyword = error.validator
    value = error.validator_value
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


# -- the items of one pause request ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Item:
    job_id: str  # what the store looks up
    mode: str
    echo: Any  # what the result's id shows (the job_id as requested)
    invalid_where: str | None = None  # only for items a defect lets through as per-item failures


class Handlers:
    """The endpoints of one sandbox: the three DRS operations, the OpenAPI document and the control API."""

    def __init__(self, config: SandboxConfig, store: JobStore) -> None:
        c = contract()
        self.config = config
        self.store = store
        self.auth = Authenticator(config)
        self._languages = c.languages
        self._default_language = c.default_language
        self._success_word = str(c.example_response["results"][0]["status"])
        self._pause_modes = c.pause_modes
        self._pause_validator, self._status_validator, self._retry_validator = _validators(config.defect.name)
        self._fields = {
            "pause": (set(c.schema("BatchPauseRequest")["properties"]), set(c.schema("PauseInfo")["properties"])),
            "status": (set(c.schema("BatchStatusRequest")["properties"]), None),
            "retry": (set(c.schema("BatchRetryRequest")["properties"]), set(c.schema("RetryInfo")["properties"])),
        }
        self._lenient = any(self._defect(name) for name in _LENIENT_DEFECTS)
        self.pause_policy = self._build_pause_policy()
        self.resume_policy = ResumePolicy(
            paused_status=c.paused_status,
            failed_statuses=frozenset(s for s in c.statuses if s.endswith("_FAILED")),
            fallback_status=DEFAULT_SEED_STATUS,
            apply=not self._defect("retry-noop"),
        )
        self._openapi = _openapi_bytes()
        self._shuffler = random.Random(0x5EED)

    # -- configuration ---------------------------------------------------------------------------

    def _defect(self, name: str) -> bool:
        return self.config.defect.active(name)

    def _build_pause_policy(self) -> PausePolicy:
        c = contract()
        statuses = set(c.pausable_statuses)
        types = set(c.pausable_types)
        if self._defect("any-state-pausable"):
            statuses = set(c.statuses) - {c.paused_status}  # a re-pause is repause-succeeds
        elif self._defect("full-transfer-complete-refused"):
            assert "FULL_TRANSFER_COMPLETE" in statuses, "the contract no longer lists FULL_TRANSFER_COMPLETE"
            statuses.discard("FULL_TRANSFER_COMPLETE")
        elif self._defect("dr-jobs-pausable"):
            types = set(c.job_types)
        return PausePolicy(
            statuses=frozenset(statuses),
            types=frozenset(types),
            paused_status=c.paused_status,
            update_status=not self._defect("status-not-updated"),
            record_mode=not self._defect("mode-not-recorded"),
            change_on_state_failure=self._defect("failure-changes-state"),
            reach_foreign=self._defect("cross-project-pause"),
            all_or_nothing=self._defect("one-failure-fails-all"),
            repause_unrecorded=self._defect("repause-succeeds"),
        )

    # -- shared steps ----------------------------------------------------------------------------

    def message_language(self, request: Request) -> str:
        """The language of the answer's messages: X-Language when known, else the default."""
        value = request.headers.get("x-language")
        if value in self._languages and not self._defect("language-ignored"):
            return value
        return self._default_language

    def _item_language(self, request: Request) -> str:
        if self._defect("language-mixed"):
            return self._default_language
        return self.message_language(request)

    def _check_content_type(self, request: Request) -> None:
        value = request.headers.get("content-type")
        if value is not None and value.split(";", 1)[0].strip().lower() == JSON_MEDIA_TYPE:
            return
        if self._defect("content-type-unchecked"):
            return
        if self._defect("content-type-400"):
            raise InvalidBody("content_type")
        raise UnsupportedMediaType()

    def _check_language(self, request: Request) -> None:
        value = request.headers.get("x-language")
        if value is None or value in self._languages:
            return
        allowed = ", ".join(self._languages)
        if self._defect("unknown-language-422"):
            raise Unprocessable("language.unknown", allowed=allowed)
        if self.config.variants.chosen("unknown-language", "refuse"):
            raise UnsupportedLanguage(allowed=allowed)

    async def _read_body(self, request: Request) -> bytes:
        """The body, read up to the limit (413 beyond it, without reading the rest), within the timeout."""
        limit = self.config.body_limit
        too_large: SandboxError = (
            Unprocessable("body.too_large", limit=limit)
            if self._defect("large-body-422")
            else PayloadTooLarge(limit=limit)
        )
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise too_large

        async def read() -> bytes:
            chunks: list[bytes] = []
            size = 0
            while True:
                received = await request.receive()
                if received["type"] != "http.request":
                    raise InvalidBody("body.incomplete")
                chunk = received.get("body", b"")
                size += len(chunk)
                if size > limit:
                    raise too_large
                chunks.append(chunk)
                if not received.get("more_body", False):
                    return b"".join(chunks)

        try:
            return await asyncio.wait_for(read(), timeout=self.config.body_timeout)
        except asyncio.TimeoutError:
            raise InvalidBody("body.incomplete") from None

    @staticmethod
    def _parse_json(raw: bytes) -> Any:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidJson("body.not_utf8") from None
        try:
            return json.loads(text, parse_constant=_refuse_constant)
        except RecursionError:
            raise InvalidJson("body.too_deep") from None
        except ValueError:  # JSONDecodeError, NaN/Infinity, integers longer than Python converts
            raise InvalidJson("body.not_json") from None

    async def _accept(self, request: Request) -> tuple[str, Any]:
        """Every request-level check up to a parsed JSON document; returns (project_id, document)."""
        project_id = request.path_params["project_id"]
        principal: Principal = self.auth.identify(request.headers, project_id)
        body: bytes | None = None
        if principal.needs_signature_check:
            body = await self._read_body(request)
            self.auth.verify_signature(
                principal,
                method=request.method,
                raw_path=raw_path_of(request.scope),
                query_string=request.scope.get("query_string", b"").decode("latin-1"),
                raw_headers=request.scope["headers"],
                body=body,
            )
        self._check_content_type(request)
        if body is None:
            body = await self._read_body(request)
        self._check_language(request)
        document = self._parse_json(body)
        if self._defect("crash-on-non-object") and not isinstance(document, dict):
            raise SandboxCrash()
        return project_id, document

    def _validate(self, validator: jsonschema.Draft202012Validator, document: Any) -> None:
        try:
            error = next(validator.iter_errors(document), None)
        except RecursionError:
            raise InvalidJson("body.too_deep") from None
        if error is not None:
            raise classify(error)

    def _check_extra_fields(self, kind: str, document: dict[str, Any]) -> None:
        refuse = self.config.variants.chosen("extra-fields", "refuse")
        if not (refuse or self._defect("extra-fields-422")):
            return
        top, item_fields = self._fields[kind]
        where = next((key for key in document if key not in top), None)
        if where is None and item_fields is not None:
            for index, item in enumerate(document["jobs"]):
                extra = next((key for key in item if key not in item_fields), None)
                if extra is not None:
                    where = f"jobs[{index}].{extra}"
                    break
        if where is not None:
            if self._defect("extra-fields-422"):
                raise Unprocessable("body.extra_field", where=where)
            raise InvalidBody("body.extra_field", where=where)

    def _order(self, results: list[dict[str, Any]]) -> list[dict[str, Any]]:
        variants = self.config.variants
        if variants.chosen("result-order", "reversed"):
            return results[::-1]
        if variants.chosen("result-order", "shuffled"):
            shuffled = list(results)
            self._shuffler.shuffle(shuffled)
            return shuffled
        return results

    def _extras(self, body: dict[str, Any]) -> dict[str, Any]:
        """response-extras=present: harmless extra fields on the body and on every result."""
        if self.config.variants.chosen("response-extras", "present"):
            request_id = uuid.uuid4().hex
            body["request_id"] = request_id
            for result in body.get("results", ()):
                result["request_id"] = request_id
        return body

    # -- POST /v3/{project_id}/jobs/batch-pause-task -----------------------------------------------

    async def pause(self, request: Request) -> Response:
        project_id, document = await self._accept(request)
        try:
            items = self._pause_items(document)
        except SandboxError:
            if self._defect("refusal-not-atomic"):
                self._apply_valid_prefix(project_id, document)
            raise
        valid = [(item.job_id, item.mode) for item in items if item.invalid_where is None]
        if self._defect("race-double-pause"):
            outcomes = await self._racy_pause(project_id, valid)
        else:
            outcomes = self.store.pause_many(project_id, valid, self.pause_policy)
        return json_response(self._pause_answer(request, items, outcomes))

    def _pause_items(self, document: Any) -> list[_Item]:
        """Validate a pause request and return its items; raise the refusal otherwise."""
        echoes: list[Any] | None = None
        invalid: set[int] = set()
        if self._lenient:
            document, echoes, invalid = self._lenient_pass(document)
        self._validate(self._pause_validator, document)
        self._check_extra_fields("pause", document)
        jobs = document["jobs"]
        self._check_batch_size(len(jobs))
        items = [
            _Item("", "", "", f"jobs[{index}]")
            if index in invalid
            else _Item(job["job_id"], job["pause_mode"], job["job_id"] if echoes is None else echoes[index])
            for index, job in enumerate(jobs)
        ]
        self._check_duplicates(items)
        return items

    def _lenient_pass(self, document: Any) -> tuple[Any, list[Any], set[int]]:
        """The defects that rewrite or tolerate items before validation: the rewritten document, ids as sent, failed items."""
        if not isinstance(document, dict) or not isinstance(document.get("jobs"), list):
            return document, [], set()
        standin = {"job_id": contract().example_job_id, "pause_mode": self._pause_modes[0]}
        jobs: list[Any] = []
        echoes: list[Any] = []
        invalid: set[int] = set()
        for index, job in enumerate(document["jobs"]):
            echoes.append(job.get("job_id") if isinstance(job, dict) else None)
            if not isinstance(job, dict):
                jobs.append(job)
                continue
            job = dict(job)
            job_id = job.get("job_id")
            if self._defect("crash-on-unicode") and isinstance(job_id, str) and not job_id.isascii():
                raise SandboxCrash()
            if self._defect("empty-object-per-item") and not job:
                invalid.add(index)
                job = dict(standin)
            elif self._defect("null-job-id-per-item") and "job_id" in job and job_id is None:
                invalid.add(index)
                job = dict(standin)
            elif self._defect("job-id-trimmed") and isinstance(job_id, str):
                job["job_id"] = job_id.strip()
            elif self._defect("mode-case-insensitive") and isinstance(job.get("pause_mode"), str):
                job["pause_mode"] = job["pause_mode"].lower()
            elif self._defect("mode-default-when-missing") and job and "pause_mode" not in job:
                job["pause_mode"] = self._pause_modes[0]
            jobs.append(job)
        return {**document, "jobs": jobs}, echoes, invalid

    def _check_batch_size(self, size: int) -> None:
        if self._defect("batch-limit-50") and size > 50:
            raise TooManyJobs(limit=50)
        if size <= BATCH_SERVED:
            return
        if self._defect("large-batch-422"):
            raise Unprocessable("body.too_many_jobs", limit=BATCH_SERVED)
        if self.config.variants.chosen("large-batch", "refuse"):
            raise TooManyJobs(limit=BATCH_SERVED)

    def _check_duplicates(self, items: Sequence[_Item]) -> None:
        seen: set[str] = set()
        duplicate: str | None = None
        for item in items:
            if item.invalid_where is not None:
                continue
            if item.job_id in seen:
                duplicate = item.job_id
                break
            seen.add(item.job_id)
        if duplicate is None:
            return
        if self._defect("duplicates-code-wrong"):
            raise InvalidBody("body.duplicates", job_id=duplicate)
        if self.config.variants.chosen("duplicates", "refuse") and not self._defect("duplicates-double-success"):
            raise DuplicateJobIds(job_id=duplicate)

    def _apply_valid_prefix(self, project_id: str, document: Any) -> None:
        """Defect refusal-not-atomic: pause the well-formed items before the first bad one."""
        if not isinstance(document, dict) or not isinstance(document.get("jobs"), list):
            return
        regex = contract().job_id_regex
        for job in document["jobs"]:
            if not (
                isinstance(job, dict)
                and isinstance(job.get("job_id"), str)
                and regex.match(job["job_id"])
                and job.get("pause_mode") in self._pause_modes
            ):
                break
            self.store.pause(project_id, job["job_id"], job["pause_mode"], self.pause_policy)

    async def _racy_pause(self, project_id: str, items: Sequence[tuple[str, str]]) -> list[Result]:
        """Defect race-double-pause: check every item, yield to the event loop once, then set without the lock."""
        results = [self.store.check_pause(project_id, job_id, self.pause_policy) for job_id, _ in items]
        await asyncio.sleep(0.01)
        for (job_id, mode), result in zip(items, results):
            if result[0] is Outcome.PAUSED:
                self.store.apply_pause(job_id, mode, self.pause_policy)
        return results

    def _pause_answer(self, request: Request, items: Sequence[_Item], outcomes: Sequence[Result]) -> dict[str, Any]:
        language = self._item_language(request)
        succeeded: set[str] = set()
        planned_success_failed = any(o is not Outcome.PAUSED for o, _ in outcomes) and self._defect("one-failure-fails-all")
        results: list[dict[str, Any]] = []
        pending = iter(outcomes)
        for item in items:
            if item.invalid_where is not None:
                results.append(self._failure(item.echo, ITEM_INVALID_CODE, language, "result.invalid_item", where=item.invalid_where))
                continue
            outcome, detail = next(pending)
            if outcome is Outcome.PAUSED and planned_success_failed:
                results.append(self._failure(item.echo, ITEM_STATE_CODE, language, "result.batch_failed"))
            elif outcome is Outcome.PAUSED:
                succeeded.add(item.job_id)
                results.append(self._success(item.echo))
            elif outcome is Outcome.NOT_FOUND:
                if self._defect("unknown-job-succeeds"):
                    results.append(self._success(item.echo))
                else:
                    results.append(self._failure(item.echo, ITEM_NOT_FOUND_CODE, language, "result.not_found"))
            elif outcome is Outcome.FOREIGN:
                if self._defect("existence-leak"):
                    results.append(self._failure(item.echo, ITEM_STATE_CODE, language, "result.foreign"))
                else:  # indistinguishable from an unknown id: same code, same message
                    results.append(self._failure(item.echo, ITEM_NOT_FOUND_CODE, language, "result.not_found"))
            elif outcome is Outcome.NOT_PAUSABLE_STATE:
                if self._defect("duplicates-double-success") and item.job_id in succeeded:
                    results.append(self._success(item.echo))
                else:
                    results.append(self._failure(item.echo, ITEM_STATE_CODE, language, "result.state", status=detail))
            else:  # NOT_PAUSABLE_TYPE
                results.append(self._failure(item.echo, ITEM_STATE_CODE, language, "result.type", type=detail))
        return self._batch_body(results)

    def _success(self, echo: Any) -> dict[str, Any]:
        word = self._success_word.capitalize() if self._defect("success-word-capitalised") else self._success_word
        if self._defect("null-optional-fields"):
            return {"id": echo, "status": word, "error_code": None, "error_msg": None}
        return {"id": echo, "status": word}

    def _failure(self, echo: Any, code: str, language: str, key: str, **params: Any) -> dict[str, Any]:
        status = "error" if self._defect("failed-status-word") else FAILED_STATUS
        if self._defect("failures-without-codes"):
            return {"id": echo, "status": status}
        return {"id": echo, "status": status, "error_code": code, "error_msg": message(key, language, **params)}

    def _batch_body(self, results: list[dict[str, Any]]) -> dict[str, Any]:
        """The bookkeeping of a pause or retry answer (results, count), where those defects act."""
        if self._defect("drop-failed-results"):
            results = [result for result in results if result["status"] == self._success_word]
        if self._defect("ids-rewritten"):
            for result in results:
                if isinstance(result["id"], str):
                    result["id"] = result["id"].upper()
        results = self._order(results)
        count: Any = len(results)
        if self._defect("count-wrong"):
            count = sum(1 for result in results if result["status"] == self._success_word)
        elif self._defect("count-as-string"):
            count = str(count)
        return self._extras({"results": results, "count": count})

    # -- POST /v3/{project_id}/jobs/batch-status ----------------------------------------------------

    async def status(self, request: Request) -> Response:
        project_id, document = await self._accept(request)
        self._validate(self._status_validator, document)
        self._check_extra_fields("status", document)
        job_ids: list[str] = document["jobs"]
        statuses = self.store.statuses(project_id, job_ids, report_previous=self._defect("status-stale"))
        language = self.message_language(request)
        results: list[dict[str, Any]] = []
        for job_id, status in zip(job_ids, statuses):
            if status is None:
                results.append({"id": job_id, **self._lookup_status(), "error_code": ITEM_NOT_FOUND_CODE,
                                "error_message": message("result.not_found", language)})
            else:
                results.append({"id": job_id, "status": status})
        results = self._order(results)
        count = len(results)
        if self.config.variants.chosen("status-paging", "pages"):
            results = _page(results, document.get("page_req") or {})
        return json_response(self._extras({"results": results, "count": count}))

    def _lookup_status(self) -> dict[str, Any]:
        """failed-lookup-status: what a failed look-up says of its status (left out, "" or null)."""
        variants = self.config.variants
        if variants.chosen("failed-lookup-status", "empty"):
            return {"status": ""}
        if variants.chosen("failed-lookup-status", "null"):
            return {"status": None}
        return {}

    # -- POST /v3/{project_id}/jobs/batch-retry-task ------------------------------------------------

    async def retry(self, request: Request) -> Response:
        project_id, document = await self._accept(request)
        self._validate(self._retry_validator, document)
        self._check_extra_fields("retry", document)
        job_ids = [job["job_id"] for job in document["jobs"]]
        outcomes = self.store.resume_many(project_id, job_ids, self.resume_policy)
        language = self.message_language(request)
        results: list[dict[str, Any]] = []
        for job_id, (outcome, detail) in zip(job_ids, outcomes):
            if outcome.succeeded:
                results.append({"id": job_id, "status": self._success_word})
            elif outcome in (Outcome.NOT_FOUND, Outcome.FOREIGN):
                results.append({"id": job_id, "status": FAILED_STATUS, "error_code": ITEM_NOT_FOUND_CODE, "error_msg": message("result.not_found", language)})
            else:
                results.append({"id": job_id, "status": FAILED_STATUS, "error_code": ITEM_STATE_CODE, "error_msg": message("result.retry_state", language, status=detail)})
        return json_response(self._extras({"results": self._order(results), "count": len(results)}))

    # -- GET /openapi.json ---------------------------------------------------------------------------

    async def openapi(self, request: Request) -> Response:
        return Response(self._openapi, media_type=JSON_MEDIA_TYPE)

    # -- control API ---------------------------------------------------------------------------------

    async def health(self, request: Request) -> Response:
        extensions = list(self.config.control_extensions)
        return json_response({"status": "ok", "jobs": len(self.store), "extensions": extensions})

    async def reset(self, request: Request) -> Response:
        self.store.reset()
        return Response(status_code=204)

    @staticmethod
    def _checked_job_id(job_id: Any) -> str:
        """A job id held to the contract's rule as the API holds it: the whole id, and its length."""
        schema = contract().schema("JobId")
        fits = isinstance(job_id, str) and schema.get("minLength", 0) <= len(job_id) <= schema.get(
            "maxLength", len(job_id))
        if not (fits and contract().job_id_regex.fullmatch(job_id)):
            raise ControlBadRequest("control.job_id", job_id=job_id)
        return job_id

    def _control_job_id(self, request: Request) -> str:
        """The path's job id (see `_checked_job_id`)."""
        return self._checked_job_id(request.path_params["job_id"])

    async def _control_document(self, request: Request, fields: str) -> Any:
        try:
            return self._parse_json(await self._read_body(request))
        except BadRequest:
            raise ControlBadRequest("control.body", fields=fields) from None

    @staticmethod
    def _job_record(document: Any, keys: tuple[str, ...], where: str | None = None) -> tuple[str, str, str]:
        """(project_id, status, type) of a control-API job record (the body, or the entry `where` of a bulk
        body), or a ControlBadRequest naming the field."""
        c = contract()
        if not isinstance(document, dict) or not set(keys) <= set(document):
            if where is None:
                raise ControlBadRequest("control.body", fields=", ".join(keys))
            raise ControlBadRequest("control.entry", where=where, fields=", ".join(keys))
        prefix = "" if where is None else f"{where}."
        extra = next((key for key in document if key not in keys), None)
        if extra is not None:
            raise ControlBadRequest("control.extra_field", field=prefix + extra)
        project_id, status, type_ = document["project_id"], document["status"], document["type"]
        if not isinstance(project_id, str) or not project_id or "/" in project_id:
            raise ControlBadRequest("control.project_id", field=f"{prefix}project_id")
        if status not in c.statuses:
            raise ControlBadRequest("control.status", field=f"{prefix}status", allowed=", ".join(c.statuses))
        if type_ not in c.job_types:
            raise ControlBadRequest("control.type", field=f"{prefix}type", allowed=", ".join(c.job_types))
        return project_id, status, type_

    async def _bulk_list(self, request: Request, field: str) -> list[Any]:
        """The body's `field`: a list of 1 to CONTROL_BULK_LIMIT entries (bulk forms of the control API)."""
        document = await self._control_document(request, field)
        entries = document.get(field) if isinstance(document, dict) else None
        if not isinstance(entries, list) or not 1 <= len(entries) <= CONTROL_BULK_LIMIT or set(document) != {field}:
            raise ControlBadRequest("control.bulk_body", field=field, limit=CONTROL_BULK_LIMIT)
        return entries

    async def get_job(self, request: Request) -> Response:
        job_id = self._control_job_id(request)
        job = self.store.get(job_id)
        if job is None:
            raise ControlNotFound(job_id=job_id)
        return json_response(job.as_dict())

    async def delete_job(self, request: Request) -> Response:
        job_id = self._control_job_id(request)
        if not self.store.delete(job_id):
            raise ControlNotFound(job_id=job_id)
        return Response(status_code=204)

    async def put_job(self, request: Request) -> Response:
        job_id = self._control_job_id(request)
        keys = ("project_id", "status", "type")
        document = await self._control_document(request, ", ".join(keys))
        project_id, status, type_ = self._job_record(document, keys)
        job = self.store.put(job_id, project_id=project_id, status=status, type=type_)
        return json_response(job.as_dict())

    # -- control API, bulk forms (optional additions of the contract notes; listed under extensions) ---------

    async def put_jobs(self, request: Request) -> Response:
        """PUT /_sandbox/jobs: create or replace every job of the list, or none (the whole list is checked first)."""
        keys = ("id", "project_id", "status", "type")
        records = []
        for index, entry in enumerate(await self._bulk_list(request, "jobs")):
            project_id, status, type_ = self._job_record(entry, keys, f"jobs[{index}]")
            records.append((self._checked_job_id(entry["id"]), project_id, status, type_))
        jobs = self.store.put_all(records)
        return json_response({"jobs": [job.as_dict() for job in jobs], "count": len(jobs)})

    async def query_jobs(self, request: Request) -> Response:
        """POST /_sandbox/jobs/query: the jobs of the list that exist, whatever their project (others left out)."""
        ids = [self._checked_job_id(job_id) for job_id in await self._bulk_list(request, "ids")]
        jobs = [job.as_dict() for job in self.store.get_many(ids) if job is not None]
        return json_response({"jobs": jobs, "count": len(jobs)})

    async def delete_jobs(self, request: Request) -> Response:
        """POST /_sandbox/jobs/delete: remove the jobs of the list; says which were there and which were not."""
        ids = [self._checked_job_id(job_id) for job_id in await self._bulk_list(request, "ids")]
        removed = self.store.delete_many(ids)
        return json_response({"deleted": [job_id for job_id, gone in zip(ids, removed) if gone],
                              "not_found": [job_id for job_id, gone in zip(ids, removed) if not gone]})

    # -- errors --------------------------------------------------------------------------------------

    def render_error(self, request: Request, exc: SandboxError) -> Response:
        """The wire form of a refusal, in the request's language; the ERROR-* defects act here."""
        language = self.message_language(request)
        text = message(exc.key, language, **exc.params)
        code = exc.code
        api_400 = exc.status == 400 and not isinstance(exc, ControlBadRequest)
        if api_400 and self._defect("error-code-undocumented") and not isinstance(exc, DuplicateJobIds):
            code = UNDOCUMENTED_CODE
        if api_400 and self._defect("text-errors"):
            return PlainTextResponse(f"{code}: {text}", status_code=400, headers=exc.headers)
        body: dict[str, Any] = {"error_code": code, "error_msg": text}
        if api_400 and self._defect("error-body-nested"):
            body = {"error": body}
        if not isinstance(exc, (ControlBadRequest, ControlNotFound)):
            body = self._extras(body)
        return json_response(body, status=exc.status, headers=exc.headers)

    def render_http_exception(self, request: Request, exc: HTTPException) -> Response:
        """Starlette's own 404 (no route) and 405 (route, other method) as JSON errors."""
        if exc.status_code == 405 and not self._defect("methods-404"):
            allowed = (exc.headers or {}).get("Allow", "")
            error: SandboxError = MethodNotAllowed(method=request.method, allowed=allowed, headers={"Allow": allowed})
        else:
            error = ApiNotFound()
        return self.render_error(request, error)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
