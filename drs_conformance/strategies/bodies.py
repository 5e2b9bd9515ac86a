"""Raw request bodies: bytes that are not JSON, a wrong content type, bodies over 1 MiB."""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

from hypothesis import strategies as st

from drs_conformance.contract.requirement_ids import Req
from drs_conformance.contract.spec import contract, contract_constant

from .batches import batches
from .faults import Fault, encode
from .registry import REGISTRY, FaultKind

__all__ = ["BODY_LIMIT", "not_json_bodies", "oversized_bodies", "wrong_content_types"]


BODY_LIMIT: int  # the contract's body limit, read on first use (__getattr__)


def __getattr__(name: str) -> int:
    """BODY_LIMIT: the body size a server must accept (BODY-OVER-1MIB: larger ones are served or refused, 400/413).

    Read from the contract (`x-drs-limits`) on first use, so that importing the strategies reads nothing.
    """
    return contract_constant(__name__, name, BODY_LIMIT="body_limit")


NOT_JSON_KINDS = REGISTRY.kind_set("not_json_bodies", scope="request")
CONTENT_TYPE_KINDS = REGISTRY.kind_set("wrong_content_types", scope="request")
OVERSIZED_KINDS = REGISTRY.kind_set("oversized_bodies", scope="request")

# Media types that are plainly not JSON (no `+json` suffix, no `text/json`: those are debatable).
_WRONG_CONTENT_TYPES = (
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=drs",
    "application/xml",
    "text/xml",
    "application/octet-stream",
    "text/html",
    "application/yaml",
)
# Whitespace that pads an oversized body: the JSON value stays the same valid batch.
_EXCESS = (1, 1_024, 65_536)


def _ids(batch: dict[str, Any]) -> tuple[str, ...]:
    return tuple(item["job_id"] for item in batch["jobs"])


def _python_repr(batch: dict[str, Any]) -> tuple[bytes, str]:
    return repr(batch).encode(), "the batch written as a Python literal (single quotes)"


def _trailing_comma(batch: dict[str, Any]) -> tuple[bytes, str]:
    text = json.dumps(batch)
    return (text[:-1] + ",}").encode(), "a valid batch with a trailing comma"


def _comment(batch: dict[str, Any]) -> tuple[bytes, str]:
    return b"// pause these jobs\n" + encode(batch), "a valid batch after a // comment"


def _form(batch: dict[str, Any]) -> tuple[bytes, str]:
    item = batch["jobs"][0]
    return f"job_id={item['job_id']}&pause_mode={item['pause_mode']}".encode(), "form-encoded fields"


def _xml(batch: dict[str, Any]) -> tuple[bytes, str]:
    items = "".join(
        f"<job><job_id>{item['job_id']}</job_id><pause_mode>{item['pause_mode']}</pause_mode></job>"
        for item in batch["jobs"]
    )
    return f"<jobs>{items}</jobs>".encode(), "XML"


def _invalid_utf8(batch: dict[str, Any]) -> tuple[bytes, str]:
    raw = encode(batch)
    at = raw.index(b'"job_id"') + len(b'"job_id": "')
    return raw[:at] + b"\xff" + raw[at + 1 :], "a valid batch with the byte 0xFF (not UTF-8) in its first job_id"


def _nan(batch: dict[str, Any]) -> tuple[bytes, str]:
    return b'{"jobs": NaN}', "NaN, which JSON does not have (Python's json module accepts it)"


def _two_documents(batch: dict[str, Any]) -> tuple[bytes, str]:
    return encode(batch) + encode(batch), "two JSON documents one after the other"


_FAMILIES = (_python_repr, _trailing_comma, _comment, _form, _xml, _invalid_utf8, _nan, _two_documents)


@NOT_JSON_KINDS.kind(
    "body/not-json",
    Req.BODY_SHAPE,
    "refuse-400",
    "bytes that are not JSON: a cut-off batch, single quotes, a trailing comma, XML, form fields, bad UTF-8, NaN, ...",
)
def _not_json(kind: FaultKind) -> st.SearchStrategy[Fault]:
    def make(raw: bytes, what: str, batch: dict[str, Any]) -> Fault:
        return kind.fault(
            reason=f"the body is not JSON ({what}); it must be a JSON object with a jobs array.",
            value=raw,
            body=raw,
            job_ids=_ids(batch),
        )

    def family(batch: dict[str, Any], choice: Any) -> Fault:
        raw, what = choice(batch)
        return make(raw, what, batch)

    @st.composite
    def cut(draw: st.DrawFn) -> Fault:
        batch = draw(batches(max_size=3))
        raw = encode(batch)
        length = draw(st.integers(1, len(raw) - 1))
        return make(raw[:length], f"a valid batch cut off after {length} of {len(raw)} bytes", batch)

    return st.one_of(cut(), st.builds(family, batches(max_size=3), st.sampled_from(_FAMILIES)))


@NOT_JSON_KINDS.kind(
    "body/empty", Req.BODY_SHAPE, "refuse-400", "no bytes at all (with Content-Type: application/json)"
)
def _empty(kind: FaultKind) -> st.SearchStrategy[Fault]:
    return st.just(
        kind.fault(
            reason="the body is empty (0 bytes); it must be a JSON object with a jobs array.",
            value=b"",
            body=b"",
        )
    )


def not_json_bodies(*, kinds: Collection[str] | None = None) -> st.SearchStrategy[Fault]:
    """Faults whose body is not JSON, sent as application/json (BODY-SHAPE): refuse with 400."""
    return NOT_JSON_KINDS.strategy_for(kinds)


@CONTENT_TYPE_KINDS.kind(
    "content-type/wrong",
    Req.CONTENT_TYPE_REFUSED,
    "refuse-4xx",
    "the media type (`text/plain`, `application/xml`, ...; the body is a valid batch)",
)
def _wrong_content_type(kind: FaultKind) -> st.SearchStrategy[Fault]:
    def make(batch: dict[str, Any], content_type: str) -> Fault:
        return kind.fault(
            reason=(
                f"the Content-Type is {content_type!r}; it must be application/json (the body itself is a valid batch)."
            ),
            value=content_type,
            body=encode(batch),
            content_type=content_type,
            job_ids=_ids(batch),
        )

    return st.builds(make, batches(max_size=3), st.sampled_from(_WRONG_CONTENT_TYPES))


def wrong_content_types(*, kinds: Collection[str] | None = None) -> st.SearchStrategy[Fault]:
    """A valid batch sent with a Content-Type other than application/json (CONTENT-TYPE-REFUSED): a 4xx, SHOULD 415."""
    return CONTENT_TYPE_KINDS.strategy_for(kinds)


@OVERSIZED_KINDS.kind(
    "body/over-1mib",
    Req.BODY_OVER_1MIB,
    "either-large",
    "the body size in bytes (a valid batch padded with whitespace past 1 MiB)",
)
def _over_1mib(kind: FaultKind) -> st.SearchStrategy[Fault]:
    def make(batch: dict[str, Any], excess: int) -> Fault:
        raw = encode(batch)
        size = contract().body_limit + excess
        padded = raw[:1] + b" " * (size - len(raw)) + raw[1:]
        reason = (
            f"the body is {size:,} bytes, {excess:,} over 1 MiB (a valid batch padded with whitespace); "
            f"a server may serve it or refuse it with 400 or 413."
        )
        return kind.fault(reason=reason, value=size, body=padded, job_ids=_ids(batch))

    return st.builds(make, batches(max_size=3), st.sampled_from(_EXCESS))


def oversized_bodies(*, kinds: Collection[str] | None = None) -> st.SearchStrategy[Fault]:
    """A valid batch padded with whitespace past 1 MiB (BODY-OVER-1MIB): served, or refused with 400/413."""
    return OVERSIZED_KINDS.strategy_for(kinds)
