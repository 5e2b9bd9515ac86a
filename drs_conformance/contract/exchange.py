"""One HTTP request and its response, recorded (already redacted) for reports and curl lines."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["MAX_BODY_CHARS", "Exchange", "RecordedRequest", "RecordedResponse"]

MAX_BODY_CHARS = 20_000  # a report shows at most this much of any body


def _clip(text: str) -> str:
    if len(text) <= MAX_BODY_CHARS:
        return text
    return text[:MAX_BODY_CHARS] + f"... [{len(text) - MAX_BODY_CHARS} more characters not shown]"


@dataclass(frozen=True)
class RecordedRequest:
    """What was sent: method, full URL, headers in order, body as text (clipped)."""

    method: str
    url: str
    headers: list[tuple[str, str]]
    body: str | None = None
    body_size: int = 0

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


@dataclass(frozen=True)
class RecordedResponse:
    """What came back: status, headers, body as text (clipped), time taken."""

    status: int
    headers: list[tuple[str, str]]
    body: str
    elapsed_ms: float = 0.0

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def json(self) -> Any:
        """The body parsed as JSON (raises ValueError when it is not JSON)."""
        return json.loads(self.body)


@dataclass(frozen=True)
class Exchange:
    """A request and what it got: a response, or a transport error (timeout, refused connection)."""

    request: RecordedRequest
    response: RecordedResponse | None = None
    error: str | None = None
    label: str = field(default="")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (headers as [name, value] pairs)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Exchange:
        response = data.get("response")
        return cls(
            request=RecordedRequest(**{**data["request"], "headers": [tuple(h) for h in data["request"]["headers"]]}),
            response=None
            if response is None
            else RecordedResponse(**{**response, "headers": [tuple(h) for h in response["headers"]]}),
            error=data.get("error"),
            label=data.get("label", ""),
        )

    @staticmethod
    def clip(text: str) -> str:
        return _clip(text)
