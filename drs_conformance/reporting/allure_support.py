"""Allure helpers: requirement labels and exchange attachments inside a running test, the run's environment.

Outside an allure-pytest run (no `--alluredir`) the in-test calls are no-ops, as allure's own API is.

Requirement links point at the requirement's row of conformance.html. `allure generate
reports/allure-results -o reports/allure-report` puts the Allure report beside conformance.html, so the
default link is relative to it (`../conformance.html#req-ID`); a published report directory is named with
--report-url.
"""

from __future__ import annotations

import inspect
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import allure

from drs_conformance.contract.catalogue import Catalogue, Requirement
from drs_conformance.contract.catalogue import catalogue as shipped_catalogue
from drs_conformance.contract.exchange import Exchange
from drs_conformance.reporting.curl import curl_line
from drs_conformance.reporting.html_page import pretty_body
from drs_conformance.reporting.outcomes import TestOutcome
from drs_conformance.reporting.run_report import anchor
from drs_conformance.reporting.verdicts import attributed_requirement
from drs_conformance.transport.redaction import Redactor

__all__ = [
    "DEFAULT_LINK_BASE",
    "ENVIRONMENT_FILE",
    "attach_exchanges",
    "environment_properties",
    "label_requirement",
    "label_test",
    "operation_name",
    "requirement_link",
    "title_test",
    "write_environment",
]

# conformance.html as seen from reports/allure-report/index.html (the README's `allure generate` command).
DEFAULT_LINK_BASE = "../conformance.html"
ENVIRONMENT_FILE = "environment.properties"
EPIC = "DRS batch-pause-task"


def requirement_link(requirement_id: str, link_base: str | None = None) -> str:
    """`../conformance.html#req-BODY-SHAPE`, or the anchor in the page under a published base URL.

    `link_base` is a page (`https://ci.example.com/7/conformance.html`) or the report directory that
    holds it (`https://ci.example.com/7/reports/`).
    """
    base = link_base or DEFAULT_LINK_BASE
    page = base if base.endswith(".html") else base.rstrip("/") + "/conformance.html"
    return f"{page}#{anchor(requirement_id)}"


def label_requirement(
    requirement: Requirement | str, *, link_base: str | None = None, catalogue: Catalogue | None = None
) -> None:
    """Label the running test with the one requirement it counts for: its own, or the one its failure broke.

    One of each: requirement label, level tag, epic, feature (the level), story (the requirement), the
    quote as description, a link to the requirement's row; so Allure's behaviours agree with conformance.json.
    """
    if isinstance(requirement, str):
        requirement = (shipped_catalogue() if catalogue is None else catalogue)[requirement]
    allure.dynamic.label("requirement", requirement.id)
    allure.dynamic.tag(requirement.level)
    allure.dynamic.epic(EPIC)
    allure.dynamic.feature(requirement.level)
    allure.dynamic.story(f"{requirement.id}: {requirement.title}")
    allure.dynamic.description(f"{requirement.title}\n\n> {requirement.quote}\n\nSource: {requirement.source}")
    allure.dynamic.link(requirement_link(requirement.id, link_base), name=f"{requirement.id} ({requirement.level})")


def title_test(item: Any) -> None:
    """Name the running test in Allure as a person reads it: its docstring's first line (the function name
    when it has none); a parameter case that allure-pytest does not record (schemathesis') becomes a parameter."""
    function = getattr(item, "function", None)
    doc = inspect.getdoc(function) if function is not None else None
    first = next((line.strip() for line in (doc or "").splitlines() if line.strip()), "")
    if first:
        allure.dynamic.title(first)
    name = getattr(item, "name", "")
    if "[" in name and getattr(item, "callspec", None) is None:
        allure.dynamic.parameter("case", name[name.index("[") + 1 :].removesuffix("]"))


_JOB_ID = re.compile(r"/[0-9a-z]{8}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{12}(?=/|$)", re.IGNORECASE)


def operation_name(exchange: Exchange) -> str:
    """What a request was for: 'batch-pause-task' (POST), 'GET batch-pause-task', 'control API PUT /_sandbox/jobs/{id}'."""
    request = exchange.request
    path = urlsplit(request.url).path.rstrip("/")
    method = request.method.upper()
    if "/_sandbox" in path:
        return f"control API {method} {_JOB_ID.sub('/{id}', path[path.index('/_sandbox') :])}"
    last = path.rsplit("/", 1)[-1]
    if last.startswith("batch-"):
        return last if method == "POST" else f"{method} {last}"
    return f"{method} {path or '/'}"


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


def label_test(item: Any, outcome: TestOutcome, *, link_base: str | None = None) -> None:
    """Title the running test and label it with the requirement conformance.json counts it for (call it once).

    A failure counts for the requirement it is attributed to (a NO-5XX raised in a BODY-SHAPE test is
    NO-5XX's); any other result for the test's own first requirement. allure-pytest's test result is still
    open while pytest makes the test's report, and its description (set at set-up) is replaced by the
    requirement's sentence.
    """
    title_test(item)  # the docstring's first line, as the HTML report reads
    failing = outcome.outcome in ("failed", "error", "xfailed")
    requirement = attributed_requirement(outcome) if failing else outcome.requirements[0]
    if requirement is not None and requirement in shipped_catalogue():
        label_requirement(requirement, link_base=link_base)


def attach_exchanges(exchanges: Iterable[Exchange], redactor: Redactor | None = None) -> None:
    """Attach each exchange's request, response and curl line to the running test, redacted, named by operation:
    'batch-pause-task request', 'batch-pause-task response (400)', 'batch-pause-task curl' (numbered when several)."""
    redactor = redactor or Redactor()
    exchanges = list(exchanges)
    for index, exchange in enumerate(exchanges, 1):
        number = f"{index}. " if len(exchanges) > 1 else ""
        label = f" [{exchange.label}]" if exchange.label else ""
        operation = operation_name(exchange)
        status = f"({exchange.response.status})" if exchange.response is not None else "(no answer)"
        attachments = (
            (f"{number}{operation} request{label}", _request_text(exchange, redactor)),
            (f"{number}{operation} response {status}{label}", _response_text(exchange, redactor)),
            (f"{number}{operation} curl{label}", curl_line(exchange, redactor)),
        )
        for name, text in attachments:
            allure.attach(redactor.text(text), name=redactor.text(name), attachment_type=allure.attachment_type.TEXT)


def _escaped(text: str, *, key: bool = False) -> str:
    """A Java properties key or value (what Allure reads): backslashes, line breaks, and = : in keys escaped."""
    text = text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
    return text.replace("=", "\\=").replace(":", "\\:") if key else text


def environment_properties(report: Mapping[str, Any]) -> dict[str, str]:
    """What Allure's Environment panel shows: the target, the kit, the seed, the verdict and the coverage."""
    run, summary = report["run"], report["summary"]
    target = run["target"]
    return {
        "target": target["base_url"],
        "target.mode": target["mode"],
        "project": target["project_id"],
        "kit.version": run["kit_version"],
        "spec.version": run["spec_version"],
        "seed": str(run["seed"]),
        "hypothesis.profile": str(run["hypothesis_profile"]),
        "strict": "yes" if run["strict"] else "no",
        "verdict": summary["verdict"],
        "coverage": summary["coverage"]["text"],
        "exit.code": str(summary["exit_code"]),
        "tests": f"{summary['tests']['run']}"
        + (f" of {summary['tests']['collected']}" if summary["tests"]["collected"] is not None else "")
        + f" run, {summary['tests']['unanswered']} unanswered",
    }


def write_environment(results_dir: str | Path, report: Mapping[str, Any], redactor: Redactor | None = None) -> Path:
    """Write environment.properties into allure-results (Allure shows it as the run's Environment)."""
    redactor = redactor or Redactor()
    path = Path(results_dir) / ENVIRONMENT_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        f"{_escaped(key, key=True)}={_escaped(redactor.text(value))}"
        for key, value in environment_properties(report).items()
    ]
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text("\n".join(lines) + "\n", encoding="utf-8")
    temporary.replace(path)
    return path
