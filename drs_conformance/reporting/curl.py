"""A copy-pasteable curl command for a recorded request, with no credential in it."""

from __future__ import annotations

import shlex

from drs_conformance.contract.exchange import Exchange
from drs_conformance.transport.redaction import SECRET_HEADERS, Redactor

__all__ = ["AUTH_TOKEN_VARIABLE", "BODY_FILE", "MAX_INLINE_BODY", "curl_line"]

AUTH_TOKEN_VARIABLE = "DRS_AUTH_TOKEN"
# Bodies larger than this (or clipped in the recording) are referred to as a file, not inlined.
MAX_INLINE_BODY = 8 * 1024
BODY_FILE = "request-body.json"
# Headers curl sets by itself, or that would make the output unreadable (compressed).
_LEFT_TO_CURL = frozenset({"content-length", "host", "connection", "transfer-encoding", "accept-encoding"})
_SIGNATURE_HEADERS = frozenset({"authorization", "x-sdk-date"})
_CONTINUATION = " \\\n  "


def _one_line(text: str) -> str:
    """Text safe inside a shell comment: no line break can end the comment."""
    return " ".join(text.splitlines())


def curl_line(exchange: Exchange, redactor: Redactor | None = None, *, max_body: int = MAX_INLINE_BODY) -> str:
    """The request as a shell command (comment lines first, if any), every string redacted.

    `X-Auth-Token` becomes `"X-Auth-Token: $DRS_AUTH_TOKEN"`; an AK/SK-signed request loses its
    `Authorization` and `X-Sdk-Date` headers and gets a comment saying it must be signed again; a body
    over `max_body` bytes, clipped in the recording, or holding a NUL is referred to as
    `--data-binary @request-body.json` with a comment instead of being inlined.
    """
    redactor = redactor or Redactor()
    request = exchange.request
    comments: list[str] = []
    method = request.method.upper()
    first = ["curl -sS -i"]
    if method != "GET" or request.body is not None:
        first.append(f"-X {shlex.quote(redactor.text(method))}")
    first.append(shlex.quote(redactor.text(request.url)))
    options = [" ".join(first)]

    names = {name.lower() for name, _ in request.headers}
    if names & _SIGNATURE_HEADERS:
        comments.append(
            "# AK/SK-signed request: sign it again before sending (SDK-HMAC-SHA256, e.g. with "
            "huaweicloudsdkcore's Signer); its Authorization and X-Sdk-Date headers are left out"
        )
    for name, value in request.headers:
        lower = name.lower()
        if lower in _LEFT_TO_CURL or lower in _SIGNATURE_HEADERS:
            continue
        if lower == "x-auth-token":
            options.append(f'-H "X-Auth-Token: ${AUTH_TOKEN_VARIABLE}"')
        elif lower in SECRET_HEADERS:
            comments.append(f"# the {_one_line(redactor.text(name))} header is left out: it carries a credential")
        else:
            options.append("-H " + shlex.quote(f"{redactor.text(name)}: {redactor.header(name, value)}"))

    if request.body is not None:
        encoded = request.body.encode("utf-8", "surrogatepass")
        size = max(request.body_size, len(encoded))
        clipped = request.body_size > len(encoded)
        if clipped or len(encoded) > max_body or "\x00" in request.body:
            why = "clipped in the recording" if clipped else f"over {max_body} bytes or not printable"
            comments.append(
                f"# the request body ({size} bytes) is not inlined ({why}): put it in {BODY_FILE} next to this command"
            )
            options.append(f"--data-binary @{BODY_FILE}")
        else:
            options.append("--data-binary " + shlex.quote(redactor.text(request.body)))
    return redactor.text("\n".join([*comments, _CONTINUATION.join(options)]))
