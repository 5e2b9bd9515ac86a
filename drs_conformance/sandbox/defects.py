"""The defect gallery: deliberate bugs, one at a time, each breaking one requirement of the catalogue.

A defect is switched on with `--defect NAME` (or `SandboxConfig(defect=NAME)`) and mapped, once, to
what it changes in the sandbox's policy (`policy.py`); the handling code reads policy fields and is
never copied. `drs-conformance selftest` runs the suites against each defect and expects the suite of
the defect's requirement to fail.

Composite requirements also observe some defects, by construction: DOC-EXAMPLE (the whole
documented round trip) sees every defect that changes a successful pause of one job
(`ids-rewritten`, `success-word-capitalised`, `job-id-hex-only`); RESPONSE-SCHEMA sees those that
change a body's shape (`error-body-nested`, `count-as-string`, `text-errors`); a 5xx or a non-JSON
body is also a schema violation. The descriptions say so where it applies.
"""

from __future__ import annotations

from dataclasses import dataclass

from drs_conformance.errors import UsageError

__all__ = ["ActiveDefect", "Defect", "get_defect", "list_defects"]


@dataclass(frozen=True)
class Defect:
    """A deliberate bug: its name, the catalogue requirement it breaks, and what it does."""

    name: str
    requirement: str
    description: str


_GALLERY: tuple[Defect, ...] = (
    # job ids
    Defect(
        "job-id-unchecked",
        "JOB-ID-RULE",
        "job_id is not checked against the UUID rule; a malformed id fails its item as not found instead of a 400",
    ),
    Defect(
        "job-id-hex-only",
        "JOB-ID-WELL-FORMED",
        "job_id is checked as a hexadecimal UUID, so the document's own example id (…9jb502) is refused with 400 (DOC-EXAMPLE sees it too)",
    ),
    Defect(
        "job-id-length-only",
        "JOB-ID-RULE",
        "job_id is only checked for 36 characters; any 36-character string is accepted",
    ),
    Defect(
        "job-id-trimmed",
        "JOB-ID-RULE",
        "job_id is stripped of surrounding white space before it is checked, so a padded id is accepted",
    ),
    # pause mode
    Defect("mode-unchecked", "PAUSE-MODE-VALUES", "pause_mode accepts any string"),
    Defect(
        "mode-case-insensitive",
        "PAUSE-MODE-VALUES",
        "pause_mode is compared case-insensitively (TARGET, All are accepted)",
    ),
    Defect(
        "mode-default-when-missing",
        "ITEM-SHAPE",
        "an item without pause_mode is paused with mode target instead of refusing the request",
    ),
    # shapes
    Defect("empty-jobs-accepted", "BODY-SHAPE", "an empty jobs array is answered 200 with no results instead of 400"),
    Defect(
        "empty-object-per-item",
        "ITEM-SHAPE",
        "an empty object in jobs fails its item (200) instead of refusing the request",
    ),
    Defect(
        "null-job-id-per-item",
        "ITEM-SHAPE",
        "an item with job_id null fails its item (200) instead of refusing the request",
    ),
    Defect(
        "error-body-nested",
        "ERROR-BODY",
        '400 bodies nest the error: {"error": {"error_code", "error_msg"}} (RESPONSE-SCHEMA sees it too)',
    ),
    Defect(
        "error-code-undocumented",
        "ERROR-CODE-DOCUMENTED",
        "400 bodies carry DRS.M00099, a code the error-code appendix does not list (duplicates keep DRS.M00301)",
    ),
    # job states
    Defect(
        "any-state-pausable", "NON-PAUSABLE-STATE-FAILS", "a migration or sync job in any status but PAUSING is paused"
    ),
    Defect(
        "repause-succeeds",
        "NON-PAUSABLE-STATE-FAILS",
        "a PAUSING job without a recorded pause (e.g. created PAUSING) is paused again with success: the check looks at the recorded pause mode, not at the status",
    ),
    Defect(
        "dr-jobs-pausable", "DR-JOB-FAILS", "cloudDataGuard (disaster recovery) jobs in a pausable status are paused"
    ),
    Defect(
        "full-transfer-complete-refused",
        "PAUSABLE-SUCCEEDS",
        "a job in FULL_TRANSFER_COMPLETE fails its item although the document lists the status as pausable",
    ),
    Defect(
        "status-not-updated",
        "PAUSABLE-SUCCEEDS",
        "a paused job answers success but keeps its old status (the store still knows it is paused, so a second pause fails)",
    ),
    Defect(
        "mode-not-recorded",
        "PAUSE-MODE-RECORDED",
        "a paused job does not record its pause mode (pause_mode stays null)",
    ),
    Defect(
        "failure-changes-state",
        "NON-PAUSABLE-STATE-FAILS",
        "an item failing for its status still moves the job to PAUSING (and records the mode)",
    ),
    # bookkeeping of the answer
    Defect(
        "count-wrong", "COUNT-EQUALS-RESULTS", "count is the number of successful results, not the number of results"
    ),
    Defect(
        "drop-failed-results", "ONE-RESULT-PER-ITEM", "failed items are left out of results (count follows results)"
    ),
    Defect(
        "ids-rewritten",
        "ONE-RESULT-PER-ITEM",
        "each result's id is the requested job_id upper-cased (DOC-EXAMPLE sees it too)",
    ),
    Defect("failures-without-codes", "FAILED-ERROR-DETAILS", "failed results carry neither error_code nor error_msg"),
    Defect("failed-status-word", "FAILED-STATUS-WORD", "failed results have status 'error' instead of 'failed'"),
    Defect("count-as-string", "RESPONSE-SCHEMA", 'count is a string ("1") instead of an integer'),
    Defect(
        "null-optional-fields",
        "INFERRED-CONSTRAINTS",
        "successful results carry error_code and error_msg as null instead of leaving them out (the documents say only that they are optional: the kit's inference, a SHOULD)",
    ),
    # atomicity, tenants
    Defect(
        "refusal-not-atomic",
        "REFUSAL-ATOMIC",
        "the well-formed items before the first bad one are paused, then the request is refused with 400",
    ),
    Defect(
        "cross-project-pause",
        "FOREIGN-JOB-FAILS",
        "a job of another project is paused, although its item fails exactly like an unknown id",
    ),
    Defect(
        "existence-leak",
        "FOREIGN-INDISTINGUISHABLE",
        "a job of another project fails with DRS.M00304 'The task belongs to another project.' instead of the not-found answer",
    ),
    Defect(
        "unknown-job-succeeds",
        "UNKNOWN-JOB-FAILS",
        "a well-formed id of no job answers success (FOREIGN-INDISTINGUISHABLE sees it too: foreign jobs still fail)",
    ),
    # credentials
    Defect(
        "auth-missing-accepted",
        "AUTH-REQUIRED",
        "a request without X-Auth-Token or Authorization is served (invalid credentials are still refused)",
    ),
    Defect(
        "auth-any-token",
        "AUTH-REQUIRED",
        "any non-empty unknown X-Auth-Token is accepted (known tokens stay bound to their project)",
    ),
    Defect(
        "aksk-signature-unchecked",
        "AUTH-REQUIRED",
        "the AK/SK signature is not verified (the access key and X-Sdk-Date still are)",
    ),
    Defect("aksk-stale-date-accepted", "AUTH-REQUIRED", "X-Sdk-Date is not checked against the 15-minute window"),
    Defect(
        "auth-project-unchecked",
        "AUTH-PROJECT-SCOPE",
        "credentials of one project are accepted on the path of any project",
    ),
    Defect("auth-status-400", "AUTH-STATUS-401", "missing or invalid credentials get 400 (DRS.M00300) instead of 401"),
    Defect(
        "auth-project-status-404",
        "AUTH-PROJECT-STATUS",
        "credentials used on another project's path get 404 instead of 403",
    ),
    # content type
    Defect(
        "content-type-unchecked", "CONTENT-TYPE-REFUSED", "any Content-Type is accepted and the body parsed as JSON"
    ),
    Defect(
        "content-type-400",
        "CONTENT-TYPE-415",
        "a Content-Type other than application/json gets 400 (DRS.M00300) instead of 415",
    ),
    # sizes
    Defect("batch-limit-50", "BATCH-100", "batches of more than 50 jobs are refused with 413"),
    Defect("large-batch-422", "BATCH-OVER-100", "batches of more than 100 jobs are refused with 422"),
    Defect("large-body-422", "BODY-OVER-1MIB", "bodies over 1 MiB are refused with 422"),
    # languages
    Defect("language-ignored", "LANGUAGE-MESSAGES", "X-Language is ignored: every message is English"),
    Defect(
        "language-mixed",
        "LANGUAGE-MESSAGES",
        "with zh-cn, request-level messages are Chinese but item messages stay English",
    ),
    Defect("unknown-language-422", "LANGUAGE-UNKNOWN", "an unknown X-Language is refused with 422"),
    # robustness
    Defect("crash-on-non-object", "NO-5XX", "a JSON body that is not an object gets 500"),
    Defect("crash-on-unicode", "NO-5XX", "a job_id with non-ASCII characters gets 500"),
    Defect("text-errors", "JSON-RESPONSES", "400 bodies are text/plain (ERROR-BODY and RESPONSE-SCHEMA see it too)"),
    # duplicates, extra fields, independence, concurrency
    Defect("duplicates-double-success", "DUPLICATE-IDS", "every occurrence of a job named twice answers success"),
    Defect(
        "duplicates-code-wrong",
        "DUPLICATE-CODE",
        "a batch naming a job twice is refused with 400 DRS.M00300 instead of DRS.M00301",
    ),
    Defect("extra-fields-422", "EXTRA-FIELDS", "unknown extra fields are refused with 422"),
    Defect(
        "one-failure-fails-all",
        "ITEMS-INDEPENDENT",
        "one failing item fails every item of the batch and nothing is paused",
    ),
    Defect(
        "race-double-pause",
        "CONCURRENT-SINGLE-SUCCESS",
        "the pause checks the status, yields to the event loop, then sets it without the lock: concurrent pauses all succeed",
    ),
    Defect(
        "lost-update",
        "PAUSABLE-SUCCEEDS",
        "a pause copies the whole job table, pauses on the copy and writes it back: of concurrent batches over "
        "different jobs, each answered success, only the last one's pauses remain",
    ),
    # supporting operations, methods, documented example
    Defect(
        "status-stale",
        "SUPPORT-STATUS",
        "batch-status reports a paused job's status from before the pause (PAUSABLE-SUCCEEDS, observed through batch-status, sees it too)",
    ),
    Defect("retry-noop", "SUPPORT-RESUME", "batch-retry-task answers success but leaves the job PAUSING"),
    Defect("methods-404", "HTTP-METHODS", "other methods on the API paths get 404 instead of 405 with Allow"),
    Defect(
        "success-word-capitalised",
        "DOC-EXAMPLE",
        "a successful item has status 'Success' instead of the documented 'success' (PAUSABLE-SUCCEEDS sees it too)",
    ),
)

_BY_NAME: dict[str, Defect] = {defect.name: defect for defect in _GALLERY}


def list_defects() -> tuple[Defect, ...]:
    """Every defect of the gallery, in gallery order."""
    return _GALLERY


def get_defect(name: str) -> Defect:
    """The defect called `name`, or a UsageError naming the valid choices."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise UsageError(
            f"unknown defect {name!r}; run `drs-conformance sandbox --list-defects` to see the {len(_GALLERY)} defects"
        ) from None


class ActiveDefect:
    """The defect a sandbox runs with (or none); `policy.build_policy` asks `active(name)` for each defect."""

    __slots__ = ("defect",)

    def __init__(self, name: str | None = None) -> None:
        self.defect: Defect | None = None if name is None else get_defect(name)

    @property
    def name(self) -> str | None:
        return None if self.defect is None else self.defect.name

    def active(self, name: str) -> bool:
        """Whether defect `name` is on; an unknown name is a bug of the sandbox, not of the user."""
        if name not in _BY_NAME:
            raise KeyError(f"the sandbox consulted an unknown defect {name!r}")
        return self.defect is not None and self.defect.name == name

    def __bool__(self) -> bool:
        return self.defect is not None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ActiveDefect) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)

    def __repr__(self) -> str:
        return f"ActiveDefect({self.name!r})"
