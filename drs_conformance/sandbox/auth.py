"""Credentials: X-Auth-Token tokens bound to projects, and AK/SK signatures verified with the official SDK's Signer."""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, quote

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer

from drs_conformance.contract.spec import contract
from drs_conformance.sandbox.config import AccessKey, SandboxConfig
from drs_conformance.sandbox.errors import SandboxError
from drs_conformance.sandbox.policy import AuthPolicy

__all__ = ["Authenticator", "Principal", "parse_authorization", "raw_path_of", "sign_request_headers"]

_AUTH_RE = re.compile(
    r"^(?P<algorithm>[A-Z0-9-]+)\s+Access=(?P<ak>[^,\s]+),\s*SignedHeaders=(?P<signed>[^,\s]+),\s*Signature=(?P<signature>[0-9a-fA-F]+)\s*$"
)


@dataclass(frozen=True)
class Principal:
    """Who is calling: the project the credentials are valid for, and an AK/SK signature still to verify."""

    project_id: str
    access_key: AccessKey | None = None  # set for AK/SK: the signature is checked once the body is read
    signed_headers: tuple[str, ...] = ()
    signature: str = ""

    @property
    def needs_signature_check(self) -> bool:
        return self.access_key is not None


def parse_authorization(value: str) -> tuple[str, str, tuple[str, ...], str] | None:
    """(algorithm, AK, signed header names, signature) of an SDK-HMAC-SHA256 Authorization value."""
    match = _AUTH_RE.match(value)
    if match is None:
        return None
    signed = tuple(match["signed"].split(";"))
    return match["algorithm"], match["ak"], signed, match["signature"].lower()


def sign_request_headers(
    *,
    key: AccessKey,
    method: str,
    raw_path: str,
    query_pairs: Sequence[tuple[str, str]],
    headers: dict[str, str],
    body: bytes,
) -> str:
    """The signature the official SDK computes for this request (headers: the signed ones, lower-case names)."""
    request = SdkRequest(
        method=method,
        schema="http",
        host=headers.get("host", ""),
        resource_path=raw_path,
        query_params=list(query_pairs),
        header_params=dict(headers),
        body=body,
    )
    Signer(BasicCredentials(key.ak, key.sk)).sign(request)
    parsed = parse_authorization(request.header_params["Authorization"])
    assert parsed is not None, "the SDK signer produced an Authorization header the sandbox cannot parse"
    return parsed[3]


class Authenticator:
    """Checks credentials against the config; every refusal raises before anything changes."""

    def __init__(self, config: SandboxConfig, policy: AuthPolicy) -> None:
        self._config = config
        self._policy = policy
        signing = contract().signing
        self._algorithm = str(signing["algorithm"])
        self._date_header = str(signing["date_header"]).lower()
        self._date_format = str(signing["date_format"])
        self._max_skew = float(signing["max_skew_seconds"])

    # -- refusals, as the policy says (the AUTH-* defects and the project-mismatch-status variant) --------

    def _invalid(self, key: str, **params: object) -> SandboxError:
        return self._policy.invalid_credentials(key, **params)

    def _wrong_project(self, project_id: str) -> SandboxError:
        return self._policy.wrong_project(project_id=project_id)

    # -- the checks ------------------------------------------------------------------------------

    def identify(self, headers: Mapping[str, str], path_project: str) -> Principal:
        """Who the headers say is calling, checked against the path's project (the signature comes later)."""
        principal = self._credentials(headers, path_project)
        if principal.project_id != path_project and self._policy.check_project:
            raise self._wrong_project(path_project)
        return principal

    def _credentials(self, headers: Mapping[str, str], path_project: str) -> Principal:
        """Every credential presented must be valid: a valid token does not excuse a bad Authorization."""
        token = headers.get("x-auth-token")
        authorization = headers.get("authorization")
        by_token: Principal | None = None
        if token is not None:  # present, even empty, counts as presented
            project = self._config.tokens.get(token)
            if project is not None:
                by_token = Principal(project)
            elif self._policy.accept_any_token:
                by_token = Principal(path_project)
            else:
                raise self._invalid("auth.token")
        if authorization is not None:
            by_signature = self._aksk(authorization, headers)
            if by_token is not None and by_token.project_id != by_signature.project_id:
                raise self._wrong_project(path_project)
            return by_signature
        if by_token is not None:
            return by_token
        if self._policy.accept_missing:
            return Principal(path_project)
        raise self._invalid("auth.missing")

    def _aksk(self, authorization: str, headers: Mapping[str, str]) -> Principal:
        parsed = parse_authorization(authorization)
        if parsed is None or parsed[0] != self._algorithm:
            raise self._invalid("auth.aksk_malformed")
        _, ak, signed, signature = parsed
        if "host" not in signed or self._date_header not in signed or any(name != name.lower() for name in signed):
            raise self._invalid("auth.aksk_malformed")
        key = self._config.access_key(ak)
        if key is None:
            raise self._invalid("auth.aksk_access_key")
        if self._policy.check_date:
            self._check_date(headers.get(self._date_header, ""))
        return Principal(key.project_id, key, signed, signature)

    def _check_date(self, value: str) -> None:
        minutes = int(self._max_skew // 60)
        try:
            when = datetime.strptime(value, self._date_format).replace(tzinfo=UTC)
        except ValueError:
            raise self._invalid("auth.aksk_date", minutes=minutes) from None
        if abs((datetime.now(UTC) - when).total_seconds()) > self._max_skew:
            raise self._invalid("auth.aksk_date", minutes=minutes)

    def verify_signature(
        self,
        principal: Principal,
        *,
        method: str,
        raw_path: str,
        query_string: str,
        raw_headers: Sequence[tuple[bytes, bytes]],
        body: bytes,
    ) -> None:
        """Recompute an AK/SK signature over the received request exactly as the SDK signs; refuse a mismatch."""
        if principal.access_key is None or not self._policy.check_signature:
            return
        wanted = set(principal.signed_headers)
        signed: dict[str, str] = {}
        for name, value in raw_headers:
            text_name = name.decode("latin-1").lower()
            if text_name in wanted and text_name not in signed:
                try:
                    signed[text_name] = value.decode("utf-8")
                except UnicodeDecodeError:
                    signed[text_name] = value.decode("latin-1")
        if set(signed) != wanted:
            raise self._invalid("auth.aksk_signature")
        try:
            expected = sign_request_headers(
                key=principal.access_key,
                method=method,
                raw_path=raw_path,
                query_pairs=parse_qsl(query_string, keep_blank_values=True),
                headers=signed,
                body=body,
            )
        except (ValueError, TypeError, UnicodeError):  # e.g. an unparseable X-Sdk-Date let through by a defect
            raise self._invalid("auth.aksk_signature") from None
        if not hmac.compare_digest(expected.encode("ascii"), principal.signature.encode("ascii")):
            raise self._invalid("auth.aksk_signature")


def raw_path_of(scope: Mapping[str, Any]) -> str:
    """The request path as sent (percent-encoding kept), as the signer canonicalises it."""
    raw = scope.get("raw_path")
    if raw:
        return raw.decode("latin-1")
    return quote(scope["path"])
