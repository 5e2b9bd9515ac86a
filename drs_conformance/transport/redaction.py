"""Redaction by value and by header name, so no secret reaches a report, a log, a traceback or a curl line."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable
from urllib.parse import quote, unquote, urlsplit, urlunsplit

__all__ = [
    "REDACTED",
    "SECRET_HEADERS",
    "Redactor",
    "basic_credential",
    "display_url",
    "redact_known",
    "split_user_info",
]

REDACTED = "[REDACTED]"
# Headers whose whole value is a credential, whatever it is.
SECRET_HEADERS = frozenset({"x-auth-token", "authorization", "x-subject-token", "cookie", "set-cookie"})
_MIN_SECRET_LENGTH = 4  # shorter values would redact ordinary text
# SDK-HMAC-SHA256 signatures are 64 hex digits; any hex run that long is looked up among the run's.
_HEX_RUN = re.compile(r"[0-9a-fA-F]{64,}")
_SIGNATURE_FIELD = re.compile(r"(Signature=)([0-9a-fA-F]{16,})")
# saferepr (pytest's frame arguments) cuts a long repr in its middle with "...": a secret may be cut too.
_ELLIPSIS = "..."
_MIN_FRAGMENT = 6
_MAX_FRAGMENT = 240  # saferepr keeps at most this much of a repr


class Redactor:
    """Replaces every configured secret (and its URL- and JSON-escaped forms) and every signature in any text."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self._needles: list[str] = []
        self._secrets: list[str] = []
        self._signatures: set[str] = set()
        for secret in secrets:
            self.add(secret)

    def __repr__(self) -> str:
        return f"Redactor({len(self._secrets)} secrets, {len(self._signatures)} signatures)"

    def add(self, secret: str | None) -> None:
        """Register one more secret value; short or empty values are ignored."""
        if not secret or len(secret) < _MIN_SECRET_LENGTH:
            return
        if self is not _PROCESS:
            _PROCESS.add(secret)
        if secret in self._secrets:
            return
        self._secrets.append(secret)
        forms = {secret, quote(secret, safe=""), json.dumps(secret)[1:-1]}
        for form in forms:
            if form not in self._needles:
                self._needles.append(form)
        self._needles.sort(key=len, reverse=True)  # longest first: a secret may contain another

    def add_authorization(self, value: str | None) -> None:
        """Register the value of an Authorization header the kit sent: its signature, or its credential."""
        if not value:
            return
        signature = _SIGNATURE_FIELD.search(value)
        if signature is not None:
            if self is not _PROCESS:
                _PROCESS.add_authorization(value)
            self._signatures.add(signature.group(2).lower())
            return
        scheme, _, credential = value.partition(" ")
        self.add(value)
        self.add(credential.strip() if credential else scheme)

    @property
    def active(self) -> bool:
        return bool(self._needles or self._signatures)

    def text(self, value: str) -> str:
        """The text with every secret and every signature replaced by REDACTED."""
        for needle in self._needles:
            if needle in value:
                value = value.replace(needle, REDACTED)
        if "Signature=" in value:
            value = _SIGNATURE_FIELD.sub(lambda m: m.group(1) + REDACTED, value)
        if self._signatures:
            value = _HEX_RUN.sub(self._hide_signatures, value)
        return value

    def traceback(self, value: str) -> str:
        """Like text(), and also the pieces of a secret that a repr cut short with "..." left on either side."""
        value = self.text(value)
        if _ELLIPSIS not in value or not (self._secrets or self._signatures):
            return value
        pieces = value.split(_ELLIPSIS)
        for index in range(len(pieces)):
            if index < len(pieces) - 1:
                pieces[index] = self._cut_secret_end(pieces[index])
            if index > 0:
                pieces[index] = self._cut_secret_start(pieces[index])
        return _ELLIPSIS.join(pieces)

    def header(self, name: str, value: str) -> str:
        """A header value, wholly redacted when the header carries credentials."""
        if name.lower() in SECRET_HEADERS:
            return REDACTED
        return self.text(value)

    def headers(self, headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        return [(name, self.header(name, value)) for name, value in headers]

    # -- helpers ------------------------------------------------------------------------------

    def _hide_signatures(self, match: re.Match[str]) -> str:
        run = match.group(0)
        lowered, out, kept, index = run.lower(), [], 0, 0
        while index + 64 <= len(run):
            if lowered[index : index + 64] in self._signatures:
                out += [run[kept:index], REDACTED]
                index = kept = index + 64
            else:
                index += 1
        return "".join(out) + run[kept:]

    def _cut_secret_end(self, piece: str) -> str:
        """`piece` ends where a repr was cut: drop a trailing start of a secret or a signature."""
        for secret in self._secrets:
            for length in range(min(len(secret), len(piece), _MAX_FRAGMENT), _MIN_FRAGMENT - 1, -1):
                if piece.endswith(secret[:length]):
                    return piece[: len(piece) - length] + REDACTED
        hex_tail = re.search(r"[0-9a-fA-F]+$", piece)
        if hex_tail and len(hex_tail.group(0)) >= _MIN_FRAGMENT:
            tail = hex_tail.group(0).lower()
            if any(signature.startswith(tail[-64:]) for signature in self._signatures):
                return piece[: hex_tail.start()] + REDACTED
        return piece

    def _cut_secret_start(self, piece: str) -> str:
        """`piece` starts where a repr resumed: drop a leading end of a secret or a signature."""
        for secret in self._secrets:
            for length in range(min(len(secret), len(piece), _MAX_FRAGMENT), _MIN_FRAGMENT - 1, -1):
                if piece.startswith(secret[-length:]):
                    return REDACTED + piece[length:]
        hex_head = re.match(r"[0-9a-fA-F]+", piece)
        if hex_head and len(hex_head.group(0)) >= _MIN_FRAGMENT:
            head = hex_head.group(0).lower()
            if any(signature.endswith(head[:64]) for signature in self._signatures):
                return REDACTED + piece[hex_head.end() :]
        return piece


# Every secret any Redactor of this process was given: for text that leaves the process where the
# run's own Redactor is not at hand (the exit line, a DRS_DEBUG traceback, pytest's reports).
_PROCESS = Redactor()


def redact_known(text: str, *, traceback: bool = False) -> str:
    """The text with every secret this process has seen replaced (traceback=True: repr fragments too)."""
    return _PROCESS.traceback(text) if traceback else _PROCESS.text(text)


def split_user_info(url: str) -> tuple[str, tuple[str, str] | None]:
    """The URL without its user-info, and the (user, password) it carried (None if none)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, None
    user_info, _, host = parts.netloc.rpartition("@")
    user, _, password = user_info.partition(":")
    return urlunsplit(parts._replace(netloc=host)), (unquote(user), unquote(password))


def display_url(url: str) -> str:
    """The URL as reports and messages show it: never with user-info."""
    return split_user_info(url)[0]


def basic_credential(user: str, password: str) -> str:
    """The credential an HTTP Basic Authorization header carries for user-info (redacted by value too)."""
    return base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
