"""Allure helpers the plugin calls inside a running test: requirement labels and exchange attachments.

Outside an allure-pytest run (no `--alluredir`) every call is a no-op, as allure's own API is.
"""

from __future__ import annotations

from collections.abc import Iterable

import allure

from drs_conformance.catalogue import Catalogue, Requirement, catalogue as shipped_catalogue
from drs_conformance.exchange import Exchange
from drs_conformance.redaction import Redactor
from drs_conformance.reporting.curl import curl_line
from drs_conformance.reporting.html_page import pretty_body
from drs_conformance.reporting.run_report import anchor

__all__ = ["DEFAULT_LINK_BASE", "requirement_link", "label_requirement", "attach_exchanges"]

# Links point at the requirement's row of the HTML report; a CI can pass its published URL instead.
DEFAULT_LINK_BASE = "conformance.html"
EPIC = "DRS batch-pause-task"


def requirement_link(requirement_id: str, link_base: str | None = None) -> str:
    """`conformance.html#req-BODY-SHAPE`, or the same anchor under another base URL."""
    return f"{link_base or DEFAULT_LINK_BASE}#{anchor(requirement_id)}"


def label_requirement(
    requirement: Requirement | str, *, link_base: str | None = None, catalogue: Catalogue | None = None
) -> None:
    """Label the running test with its requirement: label, level tag, behaviour, the quote, a link."""
    if isinstance(requirement, str):
        requirement = (shipped_catalogue() if catalogue is None else catalogue)[requirement]
    allure.dynamic.label("requirement", requirement.id)
    allure.dynamic.tag(requirement.level)
    allure.dynamic.epic(EPIC)
    allure.dynamic.feature(requirement.level)
    allure.dynamic.story(f"{requirement.id}: {requirement.title}")
    allure.dynamic.description(f"{requirement.title}\n\n> {requirement.quote}\n\nSource: {requirement.source}")
    allure.dynamic.link(
        requirement_link(requirement.id, link_base), name=f"{requirement.id} ({requirement.level})"
    )


def _request_text(exchange: Exchange, redactor: Redactor) -> str:
    request = exchange.request
    headers = "\n".join(f"{name}: {value}" for name, value in redactor.headers(request.headers))
    text = f"{request.method} {request.url}\n{headers}"
    return text + ("\n\n" + pretty_body(request.body) if request.body is not None else "")


def _response_text(exchange: Exchange, redactor: Redactor) -> str:
    if exchange.response is None:
        return f"no response: {exchange.error or 'unknown transport error'}"
    response = exchange.response
    headers = "\n".join(f"{name}: {value}" for name, value in redactor.headers(response.headers))
    return f"{response.status} ({response.elapsed_ms:.0f} ms)\n{headers}\n\n{pretty_body(response.body)}"


def attach_exchanges(exchanges: Iterable[Exchange], redactor: Redactor | None = None) -> None:
    """Attach each exchange's request, response and curl line to the running test, redacted."""
    redactor = redactor or Redactor()
    for index, exchange in enumerate(exchanges, 1):
        label = f" ({exchange.label})" if exchange.label else ""
        request = exchange.request
        attachments = (
            (f"request {index}{label}: {request.method} {request.url}", _request_text(exchange, redactor)),
            (f"response {index}{label}", _response_text(exchange, redactor)),
            (f"curl {index}{label}", curl_line(exchange, redactor)),
        )
        for name, text in attachments:
            allure.attach(
                redactor.text(text), name=redactor.text(name), attachment_type=allure.attachment_type.TEXT
            )
