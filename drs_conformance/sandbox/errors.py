"""One exception class per error the sandbox puts on the wire (HTTP status + error code).

Request-level 400 codes are documented DRS codes (the contract's `x-drs-documented-codes`; a test
checks it). Errors of the platform in front of DRS (gateway, IAM: 401, 403, 404, 405, 413, 415) use
gateway-style `APIG.*` codes; errors of the control API use `SANDBOX.*` codes. Item-level codes
(`DRS.M00304`, `DRS.M05003`) are not exceptions: an item failure is part of a 200 answer.

    SandboxError
    ├── BadRequest (400)
    │   ├── InvalidBody        DRS.M00300   structure of the body
    │   ├── InvalidJson        DRS.M00201   not UTF-8 / not JSON / nested too deeply
    │   ├── InvalidJobId       DRS.M00200   job_id breaks the UUID rule
    │   ├── InvalidPauseMode   DRS.M00305   pause_mode not target/all
    │   ├── DuplicateJobIds    DRS.M00301   one job twice in one batch (variant duplicates=refuse)
    │   └── UnsupportedLanguage DRS.M00007  unknown X-Language (variant unknown-language=refuse)
    ├── Unauthorized (401)     APIG.0301
    ├── Forbidden (403)        APIG.0302
    ├── ApiNotFound (404)      APIG.0101
    ├── MethodNotAllowed (405) APIG.0101
    ├── PayloadTooLarge (413)  APIG.0201
    ├── TooManyJobs (413)      DRS.M00273   more than 100 jobs (variant large-batch=refuse)
    ├── UnsupportedMediaType (415) APIG.0201
    ├── Unprocessable (422)    DRS.M00300   only raised by the *-422 defects
    ├── ControlBadRequest (400), ControlNotFound (404)  SANDBOX.*
    └── SandboxCrash (500)     only raised by the NO-5XX defects
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "ALL_ERRORS",
    "ITEM_INVALID_CODE",
    "ITEM_NOT_FOUND_CODE",
    "ITEM_STATE_CODE",
    "ApiNotFound",
    "BadRequest",
    "ControlBadRequest",
    "ControlNotFound",
    "DuplicateJobIds",
    "Forbidden",
    "InvalidBody",
    "InvalidJobId",
    "InvalidJson",
    "InvalidPauseMode",
    "MethodNotAllowed",
    "PayloadTooLarge",
    "SandboxCrash",
    "SandboxError",
    "TooManyJobs",
    "Unauthorized",
    "Unprocessable",
    "UnsupportedLanguage",
    "UnsupportedMediaType",
]

# Item-level codes (contract notes rule 15).
ITEM_STATE_CODE = "DRS.M00304"
ITEM_NOT_FOUND_CODE = "DRS.M05003"
ITEM_INVALID_CODE = "DRS.M00300"


class SandboxError(Exception):
    """An error answer: HTTP status, error code and a message key (see messages.py) with its parameters."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "SANDBOX.0500"
    default_key: ClassVar[str] = "internal"

    def __init__(self, key: str | None = None, /, *, headers: dict[str, str] | None = None, **params: Any) -> None:
        self.key = key or self.default_key
        self.params = params
        self.headers = headers or {}
        super().__init__(f"{self.status} {self.code} {self.key} {params}")


class BadRequest(SandboxError):
    status = 400
    code = "DRS.M00300"
    default_key = "body.invalid"


class InvalidBody(BadRequest):
    code = "DRS.M00300"


class InvalidJson(BadRequest):
    code = "DRS.M00201"
    default_key = "body.not_json"


class InvalidJobId(BadRequest):
    code = "DRS.M00200"
    default_key = "item.job_id_rule"


class InvalidPauseMode(BadRequest):
    code = "DRS.M00305"
    default_key = "item.pause_mode"


class DuplicateJobIds(BadRequest):
    code = "DRS.M00301"
    default_key = "body.duplicates"


class UnsupportedLanguage(BadRequest):
    code = "DRS.M00007"
    default_key = "language.unknown"


class Unauthorized(SandboxError):
    status = 401
    code = "APIG.0301"
    default_key = "auth.missing"


class Forbidden(SandboxError):
    status = 403
    code = "APIG.0302"
    default_key = "auth.project"


class ApiNotFound(SandboxError):
    status = 404
    code = "APIG.0101"
    default_key = "route.not_found"


class MethodNotAllowed(SandboxError):
    status = 405
    code = "APIG.0101"
    default_key = "route.method"


class PayloadTooLarge(SandboxError):
    status = 413
    code = "APIG.0201"
    default_key = "body.too_large"


class TooManyJobs(SandboxError):
    status = 413
    code = "DRS.M00273"
    default_key = "body.too_many_jobs"


class UnsupportedMediaType(SandboxError):
    status = 415
    code = "APIG.0201"
    default_key = "content_type"


class Unprocessable(SandboxError):
    """A 422, which the contract never allows here (defects large-batch-422, large-body-422, ...)."""

    status = 422
    code = "DRS.M00300"
    default_key = "body.invalid"


class ControlBadRequest(SandboxError):
    status = 400
    code = "SANDBOX.0400"
    default_key = "control.body"


class ControlNotFound(SandboxError):
    status = 404
    code = "SANDBOX.0404"
    default_key = "control.job_not_found"


class SandboxCrash(SandboxError):
    """A deliberate 500 (defects crash-on-non-object, crash-on-unicode)."""

    status = 500
    code = "SANDBOX.0500"
    default_key = "internal"


ALL_ERRORS: tuple[type[SandboxError], ...] = (
    InvalidBody,
    InvalidJson,
    InvalidJobId,
    InvalidPauseMode,
    DuplicateJobIds,
    UnsupportedLanguage,
    Unauthorized,
    Forbidden,
    ApiNotFound,
    MethodNotAllowed,
    PayloadTooLarge,
    TooManyJobs,
    UnsupportedMediaType,
    Unprocessable,
    ControlBadRequest,
    ControlNotFound,
    SandboxCrash,
)
