"""`Reply`: a response as a test sees it, shared by the client that makes it and the checks that judge it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx

from drs_conformance.contract.exchange import Exchange

__all__ = ["Reply"]


@dataclass(frozen=True)
class Reply:
    """A response as the test sees it (raw), with its redacted record for reports."""

    status: int
    headers: httpx.Headers = field(repr=False)  # raw: a target may echo credentials; the exchange is redacted
    content: bytes = field(repr=False)
    exchange: Exchange

    def json(self) -> Any:
        return json.loads(self.content)

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")
