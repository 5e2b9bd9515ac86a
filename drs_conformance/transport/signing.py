"""AK/SK request signing with the official huaweicloudsdkcore Signer (SDK-HMAC-SHA256)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer

__all__ = ["DATE_FORMAT", "sign_request_headers"]

DATE_FORMAT = "%Y%m%dT%H%M%SZ"
# Headers the kit signs, as the SDK does (it signs what it sets itself).
_SIGNED = ("content-type", "x-language", "x-project-id")


def sign_request_headers(
    *,
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    ak: str,
    sk: str,
    now: datetime | None = None,
) -> dict[str, str]:
    """The headers to add to a request so that it is signed like the official SDK signs it."""
    parts = urlsplit(url)
    date = (now or datetime.now(UTC)).strftime(DATE_FORMAT)
    header_params = {name: value for name, value in headers.items() if name.lower() in _SIGNED}
    header_params["X-Sdk-Date"] = date
    header_params["Host"] = parts.netloc
    request = SdkRequest(
        method=method.upper(),
        schema=parts.scheme,
        host=parts.netloc,
        resource_path=parts.path or "/",
        query_params=parse_qsl(parts.query, keep_blank_values=True),
        header_params=header_params,
        body=body or "",
    )
    signed = Signer(BasicCredentials(ak, sk)).sign(request)
    return {
        "X-Sdk-Date": date,
        "Authorization": signed.header_params["Authorization"],
    }
