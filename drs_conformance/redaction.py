"""Redaction by value and by header name, so no secret reaches a report, a log or a curl line."""

from __future__ import annotations

import json
from typing import Iterable
from urllib.parse import quote

__all__ = ["REDACTED", "SECRET_HEADERS", "Redactor"]

REDACTED = "[REDACTED]"
# Headers whose whole value is a credential, whatever it is.
SECRET_HEADERS = frozenset({"x-auth-token", "authorization", "x-subject-token", "cookie", "set-cookie"})
_MIN_SECRET_LENGTH = 4  # shorter values would redact ordinary text


class Redactor:
    """Replaces every configured secret (and its URL- and JSON-escaped forms) in any text."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self._needles: list[str] = []
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None) -> None:
        """Register one more secret value; short or empty values are ignored."""
        if not secret or len(secret) < _MIN_SECRET_LENGTH:
            return
        forms = {secret, quote(secret, safe=""), json.dumps(secret)[1:-1]}
        for form in forms:
            if form not in self._needles:
                self._needles.append(form)
        self._needles.sort(key=len, reverse=True)  # longest first: a secret may contain another

    @property
    def active(self) -> bool:
        return bool(self._needles)

    def text(self, value: str) -> str:
        """The text with every secret replaced by REDACTED."""
        for needle in self._needles:
            if needle in value:
                value = value.replace(needle, REDACTED)
        return value

    def header(self, name: str, value: str) -> str:
        """A header value, wholly redacted when the header carries credentials."""
        if name.lower() in SECRET_HEADERS:
            return REDACTED
        return self.text(value)

    def headers(self, headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        return [(name, self.header(name, value)) for name, value in headers]
