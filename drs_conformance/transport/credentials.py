"""Credentials for a target: an IAM token or an AK/SK pair, applied to outgoing requests.

No credentials class shows its secret in its repr: pytest prints the arguments of every frame of a
long traceback, and a repr is what it prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from drs_conformance.transport.signing import sign_request_headers

__all__ = ["AkSkCredentials", "Credentials", "NoCredentials", "TokenCredentials"]


class Credentials:
    """How a request proves who sends it; `secrets` are the values redaction must hide."""

    secrets: tuple[str, ...] = ()
    kind: str = "none"

    def apply(self, request: httpx.Request, project_id: str) -> None:
        """Add the credential headers to a request that is about to be sent."""

    def describe(self) -> str:
        """A redacted description for reports ("token", "AK/SK (AK ABCD...)")."""
        return self.kind

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """hypothesis (and IPython) print a dataclass's fields, not its repr: print the repr, without the secret."""
        printer.text(repr(self))


@dataclass(frozen=True)
class NoCredentials(Credentials):
    """Send nothing: for tests of the missing-credentials rule."""

    kind: str = "none"


@dataclass(frozen=True)
class TokenCredentials(Credentials):
    """An IAM token sent as X-Auth-Token."""

    token: str = field(repr=False)
    kind: str = "token"

    @property
    def secrets(self) -> tuple[str, ...]:  # type: ignore[override]
        return (self.token,)

    def apply(self, request: httpx.Request, project_id: str) -> None:
        request.headers["X-Auth-Token"] = self.token


@dataclass(frozen=True)
class AkSkCredentials(Credentials):
    """An access key and secret key, signing each request as the official SDK does."""

    ak: str = field(repr=False)
    sk: str = field(repr=False)
    kind: str = "aksk"
    # Sign with a clock this many seconds off (tests of the signing-date window).
    skew_seconds: float = 0.0

    @property
    def secrets(self) -> tuple[str, ...]:  # type: ignore[override]
        return (self.ak, self.sk)

    def apply(self, request: httpx.Request, project_id: str) -> None:
        request.headers.setdefault("X-Project-Id", project_id)
        request.headers.update(
            sign_request_headers(
                method=request.method,
                url=str(request.url),
                headers=dict(request.headers),
                body=request.content,
                ak=self.ak,
                sk=self.sk,
                now=datetime.now(UTC) + timedelta(seconds=self.skew_seconds) if self.skew_seconds else None,
            )
        )

    def describe(self) -> str:
        return "AK/SK"
