"""The request pipeline of the three operations, so that every refusal happens, in one order, before the store is touched.

Order of checks (every refusal raises a `SandboxError`): credentials (401/403) -> Content-Type (415) ->
bounded body read (413) -> [AK/SK signature (401)] -> X-Language (400) -> JSON (400) -> schema (400) ->
extra fields / batch size / duplicates -> items. An AK/SK signature covers the body, so with AK/SK the
body is read before the Content-Type check. A pause that passes every check is applied to the store here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from drs_conformance.contract.spec import contract
from drs_conformance.contract.strict_json import loads_strict
from drs_conformance.sandbox.auth import Authenticator, Principal, raw_path_of
from drs_conformance.sandbox.config import SandboxConfig
from drs_conformance.sandbox.errors import (
    InvalidBody,
    InvalidJson,
    SandboxCrash,
    SandboxError,
)
from drs_conformance.sandbox.policy import SandboxPolicy
from drs_conformance.sandbox.state import JobOutcome, JobStore, Result
from drs_conformance.sandbox.validation import request_validators, validate

__all__ = ["JSON_MEDIA_TYPE", "PauseItem", "RequestPipeline", "parse_json"]

# race-double-pause: long enough that pauses sent together on a busy machine (50 threads, CI beside) still
# overlap; 10 ms was missed now and then. Only the defect's pauses wait.
RACE_WINDOW_S = 0.1

JSON_MEDIA_TYPE = "application/json"


@dataclass(frozen=True, slots=True)
class PauseItem:
    """One item of a pause request, as the store and the answer see it."""

    job_id: str  # what the store looks up
    mode: str
    echo: Any  # what the result's id shows (the job_id as requested)
    invalid_where: str | None = None  # only for items a defect lets through as per-item failures


def parse_json(raw: bytes) -> Any:
    """The body as strict JSON, or the InvalidJson refusal that says why not."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidJson("body.not_utf8") from None
    try:
        return loads_strict(text)
    except RecursionError:
        raise InvalidJson("body.too_deep") from None
    except ValueError:  # JSONDecodeError, NaN/Infinity, integers longer than Python converts
        raise InvalidJson("body.not_json") from None


class RequestPipeline:
    """Reads, checks and applies requests of the three operations as the sandbox's policy says."""

    def __init__(self, config: SandboxConfig, store: JobStore, policy: SandboxPolicy) -> None:
        c = contract()
        self.store = store
        self.policy = policy.request
        self.pause_policy = policy.pause
        self.auth = Authenticator(config, policy.auth)
        self._body_timeout = config.body_timeout
        self._languages = c.languages
        self._pause_modes = c.pause_modes
        self._validators = request_validators(self.policy.schema)
        self._fields = {
            "pause": (set(c.schema("BatchPauseRequest")["properties"]), set(c.schema("PauseInfo")["properties"])),
            "status": (set(c.schema("BatchStatusRequest")["properties"]), None),
            "retry": (set(c.schema("BatchRetryRequest")["properties"]), set(c.schema("RetryInfo")["properties"])),
        }

    # -- the three operations --------------------------------------------------------------------

    async def pause(self, request: Request) -> tuple[list[PauseItem], list[Result]]:
        """A pause request checked and applied: its items and the outcomes of the valid ones, in order."""
        project_id, document = await self.accept(request)
        try:
            items = self._pause_items(document)
        except SandboxError:
            if self.policy.pause_prefix_on_refusal:
                self._apply_valid_prefix(project_id, document)
            raise
        valid = [(item.job_id, item.mode) for item in items if item.invalid_where is None]
        if self.policy.racy_pause:
            return items, await self._racy_pause(project_id, valid)
        if self.pause_policy.copy_table:
            return items, await self._copying_pause(project_id, valid)
        return items, self.store.pause_many(project_id, valid, self.pause_policy)

    async def status(self, request: Request) -> tuple[str, dict[str, Any]]:
        """A batch-status request checked: (project_id, document)."""
        project_id, document = await self.accept(request)
        validate(self._validators.status, document)
        self._check_extra_fields("status", document)
        return project_id, document

    async def retry(self, request: Request) -> tuple[str, list[str]]:
        """A batch-retry-task request checked: (project_id, the job ids in order)."""
        project_id, document = await self.accept(request)
        validate(self._validators.retry, document)
        self._check_extra_fields("retry", document)
        return project_id, [job["job_id"] for job in document["jobs"]]

    # -- request-level checks --------------------------------------------------------------------

    async def accept(self, request: Request) -> tuple[str, Any]:
        """Every request-level check up to a parsed JSON document; returns (project_id, document)."""
        project_id = request.path_params["project_id"]
        principal: Principal = self.auth.identify(request.headers, project_id)
        body: bytes | None = None
        if principal.needs_signature_check:
            body = await self.read_body(request)
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
            body = await self.read_body(request)
        self._check_language(request)
        document = parse_json(body)
        if self.policy.crash_on_non_object and not isinstance(document, dict):
            raise SandboxCrash()
        return project_id, document

    async def read_body(self, request: Request) -> bytes:
        """The body, read up to the limit (413 beyond it, without reading the rest), within the timeout."""
        limit = self.policy.body_limit
        too_large = self.policy.body_too_large(limit=limit)
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
            return await asyncio.wait_for(read(), timeout=self._body_timeout)
        except TimeoutError:
            raise InvalidBody("body.incomplete") from None

    def _check_content_type(self, request: Request) -> None:
        value = request.headers.get("content-type")
        if value is not None and value.split(";", 1)[0].strip().lower() == JSON_MEDIA_TYPE:
            return
        if self.policy.content_type_refusal is not None:
            raise self.policy.content_type_refusal()

    def _check_language(self, request: Request) -> None:
        value = request.headers.get("x-language")
        if value is None or value in self._languages:
            return
        if self.policy.language_refusal is not None:
            raise self.policy.language_refusal(allowed=", ".join(self._languages))

    def _check_extra_fields(self, kind: str, document: dict[str, Any]) -> None:
        refusal = self.policy.extra_field_refusal
        if refusal is None:
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
            raise refusal(where=where)

    # -- the items of one pause request ----------------------------------------------------------

    def _pause_items(self, document: Any) -> list[PauseItem]:
        """Validate a pause request and return its items; raise the refusal otherwise."""
        echoes: list[Any] | None = None
        invalid: set[int] = set()
        if self.policy.lenient:
            document, echoes, invalid = self._lenient_pass(document)
        validate(self._validators.pause, document)
        self._check_extra_fields("pause", document)
        jobs = document["jobs"]
        self._check_batch_size(len(jobs))
        items = [
            PauseItem("", "", "", f"jobs[{index}]")
            if index in invalid
            else PauseItem(job["job_id"], job["pause_mode"], job["job_id"] if echoes is None else echoes[index])
            for index, job in enumerate(jobs)
        ]
        self._check_duplicates(items)
        return items

    def _lenient_pass(self, document: Any) -> tuple[Any, list[Any], set[int]]:
        """The rewrites and tolerances before validation: the rewritten document, ids as sent, failed items."""
        if not isinstance(document, dict) or not isinstance(document.get("jobs"), list):
            return document, [], set()
        lenient = self.policy.lenient
        standin = {"job_id": contract().example_job_id, "pause_mode": self._pause_modes[0]}
        jobs: list[Any] = []
        echoes: list[Any] = []
        invalid: set[int] = set()
        for index, sent in enumerate(document["jobs"]):
            echoes.append(sent.get("job_id") if isinstance(sent, dict) else None)
            if not isinstance(sent, dict):
                jobs.append(sent)
                continue
            job = dict(sent)
            job_id = job.get("job_id")
            if lenient.crash_on_non_ascii_id and isinstance(job_id, str) and not job_id.isascii():
                raise SandboxCrash()
            if (lenient.fail_empty_item and not job) or (
                lenient.fail_null_job_id and "job_id" in job and job_id is None
            ):  # the item fails on its own (200) instead of refusing the request
                invalid.add(index)
                job = dict(standin)
            elif lenient.trim_job_id and isinstance(job_id, str):
                job["job_id"] = job_id.strip()
            elif lenient.lower_case_mode and isinstance(job.get("pause_mode"), str):
                job["pause_mode"] = job["pause_mode"].lower()
            elif lenient.default_mode and job and "pause_mode" not in job:
                job["pause_mode"] = self._pause_modes[0]
            jobs.append(job)
        return {**document, "jobs": jobs}, echoes, invalid

    def _check_batch_size(self, size: int) -> None:
        limit = self.policy.batch_limit
        if size > limit and self.policy.batch_refusal is not None:
            raise self.policy.batch_refusal(limit=limit)

    def _check_duplicates(self, items: Sequence[PauseItem]) -> None:
        refusal = self.policy.duplicate_refusal
        if refusal is None:
            return
        seen: set[str] = set()
        for item in items:
            if item.invalid_where is not None:
                continue
            if item.job_id in seen:
                raise refusal(job_id=item.job_id)
            seen.add(item.job_id)

    # -- applying a pause ------------------------------------------------------------------------

    def _apply_valid_prefix(self, project_id: str, document: Any) -> None:
        """A refused pause that first pauses the well-formed items before the first bad one."""
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

    async def _copying_pause(self, project_id: str, items: Sequence[tuple[str, str]]) -> list[Result]:
        """A pause as a read-copy-write of the whole table: concurrent pauses of other jobs meanwhile are lost."""
        table = self.store.copy_table()
        results = self.store.pause_in_copy(table, project_id, items, self.pause_policy)
        await asyncio.sleep(RACE_WINDOW_S)
        self.store.write_table(table)
        return results

    async def _racy_pause(self, project_id: str, items: Sequence[tuple[str, str]]) -> list[Result]:
        """A pause that checks every item, yields to the event loop for RACE_WINDOW_S, then sets without the lock."""
        results = [self.store.check_pause(project_id, job_id, self.pause_policy) for job_id, _ in items]
        await asyncio.sleep(RACE_WINDOW_S)
        for (job_id, mode), result in zip(items, results, strict=False):
            if result[0] is JobOutcome.PAUSED:
                self.store.apply_pause(job_id, mode, self.pause_policy)
        return results
