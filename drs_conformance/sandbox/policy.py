"""Every defect and variant of a sandbox as data, built once from its config, so handling code reads fields, not names.

A defect's name appears in two places only: its declaration (`defects.py`) and its mapping below (what it
changes). The request pipeline, the rendering of answers, the credentials check and the store each get
the part they need (`RequestPolicy`, `AnswerPolicy`, `AuthPolicy`, `PausePolicy`/`ResumePolicy`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Literal

from drs_conformance.contract.spec import contract
from drs_conformance.sandbox.config import DEFAULT_SEED_STATUS, SandboxConfig
from drs_conformance.sandbox.errors import (
    ApiNotFound,
    DuplicateJobIds,
    Forbidden,
    InvalidBody,
    PayloadTooLarge,
    SandboxError,
    TooManyJobs,
    Unauthorized,
    Unprocessable,
    UnsupportedLanguage,
    UnsupportedMediaType,
)
from drs_conformance.sandbox.state import PausePolicy, ResumePolicy

__all__ = [
    "UNDOCUMENTED_CODE",
    "AnswerPolicy",
    "AuthPolicy",
    "LenientItems",
    "Refusal",
    "RequestPolicy",
    "SandboxPolicy",
    "SchemaEdits",
    "build_policy",
]

# What the defect error-code-undocumented answers (a well-formed DRS code missing from the appendix).
UNDOCUMENTED_CODE = "DRS.M00099"
# The batch limit of the defect batch-limit-50 (the sandbox's own number, half the documented one).
HALVED_BATCH_LIMIT = 50


@dataclass(frozen=True)
class Refusal:
    """An error to raise: its class and, where the class answers more than one thing, its message key."""

    error: type[SandboxError]
    key: str | None = None

    def __call__(self, key: str | None = None, /, **params: Any) -> SandboxError:
        """The error, with `key` (or this refusal's key, or the class's default) and the message's parameters."""
        return self.error(key or self.key, **params)


@dataclass(frozen=True, kw_only=True)
class SchemaEdits:
    """How the pause request's schema differs from the contract's (hashable: validators are cached by it)."""

    job_id_any_string: bool = False
    job_id_hex_only: bool = False
    job_id_length_only: bool = False
    mode_any_string: bool = False
    empty_jobs_allowed: bool = False

    def __call__(self, defs: dict[str, Any]) -> None:
        """Apply the edits to a copy of the contract's `$defs` (a `validators.SchemaEdit`)."""
        if self.job_id_any_string:
            defs["JobId"] = {"type": "string"}
        if self.job_id_hex_only:
            defs["JobId"]["pattern"] = defs["JobId"]["pattern"].replace("[0-9a-z]", "[0-9a-f]")
        if self.job_id_length_only:
            defs["JobId"].pop("pattern")
        if self.mode_any_string:
            defs["PauseMode"] = {"type": "string"}
        if self.empty_jobs_allowed:
            defs["BatchPauseRequest"]["properties"]["jobs"].pop("minItems")


@dataclass(frozen=True, kw_only=True)
class LenientItems:
    """What the pause route tolerates or rewrites in items before the schema sees them (all off: nothing)."""

    crash_on_non_ascii_id: bool = False
    fail_empty_item: bool = False  # an empty object fails its item instead of refusing the request
    fail_null_job_id: bool = False  # an item with job_id null fails its item instead of refusing the request
    trim_job_id: bool = False
    lower_case_mode: bool = False
    default_mode: bool = False  # an item without pause_mode gets the first documented mode

    def __bool__(self) -> bool:
        return any(getattr(self, item.name) for item in fields(self))


@dataclass(frozen=True, kw_only=True)
class RequestPolicy:
    """How the request pipeline reads, checks and applies a request; `None` refusals let the request through."""

    content_type_refusal: Refusal | None  # a Content-Type other than JSON
    body_limit: int
    body_too_large: Refusal
    language_refusal: Refusal | None  # an unknown X-Language (None: fall back to the default language)
    crash_on_non_object: bool  # a JSON body that is not an object answers 500
    extra_field_refusal: Refusal | None  # unknown fields in the body or an item (None: ignored)
    batch_limit: int
    batch_refusal: Refusal | None  # a batch over `batch_limit` (None: served)
    duplicate_refusal: Refusal | None  # one job twice in a batch (None: one result per occurrence)
    lenient: LenientItems
    schema: SchemaEdits
    pause_prefix_on_refusal: bool  # a refused pause first pauses the well-formed items before the first bad one
    racy_pause: bool  # check every item, yield to the event loop, then set without the lock
    status_reports_previous: bool  # batch-status reports a paused job's status from before the pause


@dataclass(frozen=True, kw_only=True)
class AnswerPolicy:
    """How answers and refusals are rendered: words, fields, bookkeeping, order, language."""

    honour_language: bool  # X-Language chooses the messages' language
    item_messages_in_default_language: bool
    success_word: str
    success_with_nulls: bool  # successful results carry error_code and error_msg as null
    failed_word: str  # the status of a failed pause item
    failure_details: bool  # failed pause items carry error_code and error_msg
    unknown_succeeds: bool  # a well-formed id of no job answers success
    foreign_distinct: bool  # a job of another project fails with its own code and message (not as unknown)
    repeat_success: bool  # a job named again after a success answers success again
    fail_all_on_failure: bool  # one failing item fails every item of the batch
    drop_failed: bool  # failed items are left out of results
    upper_case_ids: bool
    count: Literal["results", "successes", "string"]
    reverse_results: bool
    shuffle_results: bool
    status_pages: bool  # batch-status answers one page of results (page_req)
    extras: bool  # every body and every result carries a harmless extra field (request_id)
    lookup_status: tuple[tuple[str, str | None], ...]  # what a failed batch-status look-up says of its status
    error_code: str | None  # replaces the code of request-level 400s (None: each error's own)
    text_errors: bool  # request-level 400s are text/plain
    nested_errors: bool  # request-level 400 bodies nest the error under "error"
    method_not_allowed: bool  # other methods on an API path get 405 (else 404)


@dataclass(frozen=True, kw_only=True)
class AuthPolicy:
    """How credentials are checked and refused."""

    invalid_credentials: Refusal
    wrong_project: Refusal
    check_project: bool
    accept_any_token: bool
    accept_missing: bool
    check_date: bool
    check_signature: bool


@dataclass(frozen=True, kw_only=True)
class SandboxPolicy:
    """Everything the defect and the variants of one sandbox change, by the part of the sandbox it changes."""

    request: RequestPolicy
    answers: AnswerPolicy
    auth: AuthPolicy
    pause: PausePolicy
    resume: ResumePolicy
    gateway: bool  # behind an API gateway (drs_conformance/sandbox/gateway.py)
    chunked: bool  # body-framing=chunked: answers sent as chunks without Content-Length (framing.py)
    effect_lag: float  # effects=delayed: seconds a pause or resume takes to show in reads (0: at once)


def build_policy(config: SandboxConfig) -> SandboxPolicy:
    """The policy of a sandbox running `config`'s defect and variants."""
    return SandboxPolicy(
        request=_request_policy(config),
        answers=_answer_policy(config),
        auth=_auth_policy(config),
        pause=_pause_policy(config),
        resume=_resume_policy(config),
        gateway=config.variants.chosen("gateway", "apig"),
        chunked=config.variants.chosen("body-framing", "chunked"),
        effect_lag=config.effect_lag if config.variants.chosen("effects", "delayed") else 0.0,
    )


def _request_policy(config: SandboxConfig) -> RequestPolicy:
    defect, variants = config.defect.active, config.variants.chosen
    c = contract()
    content_type: Refusal | None = Refusal(UnsupportedMediaType)
    if defect("content-type-unchecked"):
        content_type = None
    elif defect("content-type-400"):
        content_type = Refusal(InvalidBody, "content_type")
    language: Refusal | None = None
    if defect("unknown-language-422"):
        language = Refusal(Unprocessable, "language.unknown")
    elif variants("unknown-language", "refuse"):
        language = Refusal(UnsupportedLanguage)
    extra_field: Refusal | None = None
    if defect("extra-fields-422"):
        extra_field = Refusal(Unprocessable, "body.extra_field")
    elif variants("extra-fields", "refuse"):
        extra_field = Refusal(InvalidBody, "body.extra_field")
    batch_limit = c.batch_limit
    batch: Refusal | None = None
    if defect("batch-limit-50"):
        batch_limit, batch = HALVED_BATCH_LIMIT, Refusal(TooManyJobs)
    elif defect("large-batch-422"):
        batch = Refusal(Unprocessable, "body.too_many_jobs")
    elif variants("large-batch", "refuse"):
        batch = Refusal(TooManyJobs)
    duplicate: Refusal | None = None
    if defect("duplicates-code-wrong"):
        duplicate = Refusal(InvalidBody, "body.duplicates")
    elif variants("duplicates", "refuse") and not defect("duplicates-double-success"):
        duplicate = Refusal(DuplicateJobIds)
    return RequestPolicy(
        content_type_refusal=content_type,
        body_limit=config.body_limit,
        body_too_large=Refusal(Unprocessable, "body.too_large")
        if defect("large-body-422")
        else Refusal(PayloadTooLarge),
        language_refusal=language,
        crash_on_non_object=defect("crash-on-non-object"),
        extra_field_refusal=extra_field,
        batch_limit=batch_limit,
        batch_refusal=batch,
        duplicate_refusal=duplicate,
        lenient=LenientItems(
            crash_on_non_ascii_id=defect("crash-on-unicode"),
            fail_empty_item=defect("empty-object-per-item"),
            fail_null_job_id=defect("null-job-id-per-item"),
            trim_job_id=defect("job-id-trimmed"),
            lower_case_mode=defect("mode-case-insensitive"),
            default_mode=defect("mode-default-when-missing"),
        ),
        schema=SchemaEdits(
            job_id_any_string=defect("job-id-unchecked"),
            job_id_hex_only=defect("job-id-hex-only"),
            job_id_length_only=defect("job-id-length-only"),
            mode_any_string=defect("mode-unchecked"),
            empty_jobs_allowed=defect("empty-jobs-accepted"),
        ),
        pause_prefix_on_refusal=defect("refusal-not-atomic"),
        racy_pause=defect("race-double-pause"),
        status_reports_previous=defect("status-stale"),
    )


def _answer_policy(config: SandboxConfig) -> AnswerPolicy:
    defect, variants = config.defect.active, config.variants.chosen
    c = contract()
    count: Literal["results", "successes", "string"] = "results"
    if defect("count-wrong"):
        count = "successes"
    elif defect("count-as-string"):
        count = "string"
    lookup_status: tuple[tuple[str, str | None], ...] = ()
    if variants("failed-lookup-status", "empty"):
        lookup_status = (("status", ""),)
    elif variants("failed-lookup-status", "null"):
        lookup_status = (("status", None),)
    return AnswerPolicy(
        honour_language=not defect("language-ignored"),
        item_messages_in_default_language=defect("language-mixed"),
        success_word=c.success_word.capitalize() if defect("success-word-capitalised") else c.success_word,
        success_with_nulls=defect("null-optional-fields"),
        failed_word="error" if defect("failed-status-word") else c.failed_word,
        failure_details=not defect("failures-without-codes"),
        unknown_succeeds=defect("unknown-job-succeeds"),
        foreign_distinct=defect("existence-leak"),
        repeat_success=defect("duplicates-double-success"),
        fail_all_on_failure=defect("one-failure-fails-all"),
        drop_failed=defect("drop-failed-results"),
        upper_case_ids=defect("ids-rewritten"),
        count=count,
        reverse_results=variants("result-order", "reversed"),
        shuffle_results=variants("result-order", "shuffled"),
        status_pages=variants("status-paging", "pages"),
        extras=variants("response-extras", "present"),
        lookup_status=lookup_status,
        error_code=UNDOCUMENTED_CODE if defect("error-code-undocumented") else None,
        text_errors=defect("text-errors"),
        nested_errors=defect("error-body-nested"),
        method_not_allowed=not defect("methods-404"),
    )


def _auth_policy(config: SandboxConfig) -> AuthPolicy:
    defect, variants = config.defect.active, config.variants.chosen
    wrong_project = Refusal(Forbidden, "auth.project")
    if defect("auth-project-status-404"):
        wrong_project = Refusal(ApiNotFound, "auth.project")
    elif variants("project-mismatch-status", "401"):
        wrong_project = Refusal(Unauthorized, "auth.project")
    return AuthPolicy(
        invalid_credentials=Refusal(InvalidBody) if defect("auth-status-400") else Refusal(Unauthorized),
        wrong_project=wrong_project,
        check_project=not defect("auth-project-unchecked"),
        accept_any_token=defect("auth-any-token"),
        accept_missing=defect("auth-missing-accepted"),
        check_date=not defect("aksk-stale-date-accepted"),
        check_signature=not defect("aksk-signature-unchecked"),
    )


def _pause_policy(config: SandboxConfig) -> PausePolicy:
    defect = config.defect.active
    c = contract()
    statuses = set(c.pausable_statuses)
    types = set(c.pausable_types)
    if defect("any-state-pausable"):
        statuses = set(c.statuses) - {c.paused_status}  # a re-pause is repause-succeeds
    elif defect("full-transfer-complete-refused"):
        assert "FULL_TRANSFER_COMPLETE" in statuses, "the contract no longer lists FULL_TRANSFER_COMPLETE"
        statuses.discard("FULL_TRANSFER_COMPLETE")
    elif defect("dr-jobs-pausable"):
        types = set(c.job_types)
    return PausePolicy(
        statuses=frozenset(statuses),
        types=frozenset(types),
        paused_status=c.paused_status,
        update_status=not defect("status-not-updated"),
        record_mode=not defect("mode-not-recorded"),
        change_on_state_failure=defect("failure-changes-state"),
        reach_foreign=defect("cross-project-pause"),
        all_or_nothing=defect("one-failure-fails-all"),
        repause_unrecorded=defect("repause-succeeds"),
        copy_table=defect("lost-update"),
    )


def _resume_policy(config: SandboxConfig) -> ResumePolicy:
    c = contract()
    return ResumePolicy(
        paused_status=c.paused_status,
        failed_statuses=frozenset(s for s in c.statuses if s.endswith("_FAILED")),
        fallback_status=DEFAULT_SEED_STATUS,
        apply=not config.defect.active("retry-noop"),
    )
