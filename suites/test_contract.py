"""Contract: every documented operation through schemathesis, each failure named by the rule it breaks.

schemathesis draws the requests from the OpenAPI document (phases examples, coverage and fuzzing; valid
and invalid data); the kit sends them through its own client (recorded, redacted, signed for AK/SK
targets); every schemathesis check, and the kit's common response checks, judge the answers. A failure
is named by the catalogue requirement it breaks (`FAILURE_REQUIREMENTS`), decided from what was actually
sent, read against the contract as written (`_judge_request`), never against the adjusted copy
schemathesis generates from.

- Generation: the document is adjusted where it leaves a choice (`_generation_document`); ids are
  DRS-shaped (`with_job_id_format`), and negative fuzzing also draws the malformed ids that slip past
  known validator mistakes (`WRONG_JOB_IDS`). Fuzzing draws as many cases as the run's hypothesis
  profile says (quick, thorough), from the run's `--seed`.
- Only the documented options reach the target: its base URL, its project id (`project_id` is pinned)
  and the kit's credentials. A case carries `CREDENTIALS_MARKER` where schemathesis would put a token;
  the kit's client applies its own credentials instead (token or AK/SK). schemathesis' own probing of
  credentials is replaced by `_probe_credentials`, which goes through the kit's client too.
- An allowed choice of the contract (a job named twice, unknown fields, more than 100 jobs, a body over
  1 MiB, an unknown X-Language) is judged by its Either rule (`_judge_choices`), never by schemathesis'
  data checks.
- On live targets (no control API) the document's example id is never sent to pause or retry: their
  examples phase is skipped, and the id is replaced wherever else it appears (`stand_in`).
- Out of reach here: rules that need job state (which jobs pause, what they read afterwards, tenants,
  atomicity, concurrency) are the domain suites'.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import functools
import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import hypothesis
import jsonschema
import pytest
import requests
import schemathesis
from schemathesis import GenerationMode
from schemathesis import checks as schemathesis_checks
from schemathesis.generation.meta import CoverageScenario, TestPhase

from drs_conformance.catalogue import catalogue
from drs_conformance.checks import NonConformance, check_response, checked_requirements
from drs_conformance.client import DrsClient, Reply
from drs_conformance.credentials import Credentials, NoCredentials
from drs_conformance.judge import describe, is_success, results_by_id
from drs_conformance.plugin import run_seed
from drs_conformance.spec import PAUSE_PATH, RETRY_PATH, STATUS_PATH, contract, load_document
from drs_conformance.strategies import register_job_id_format, with_job_id_format
from drs_conformance.target import Target, new_job_id

SPEC = contract()
DOCUMENT = load_document()
JSON_MEDIA_TYPE = "application/json"
UNDER_TEST = "under-test"  # x-drs-role of the operation under test; the others are "supporting"
# Contract notes rule 8: up to 100 jobs MUST be served; more, or a body over 1 MiB, is an allowed choice.
BATCH_LIMIT = 100
ONE_MIB = 1024 * 1024
# Where schemathesis puts a token, the kit puts this marker, and sends the case with its own credentials.
CREDENTIALS_MARKER = "drs-conformance-applies-its-credentials"
INVALID_CREDENTIAL = "drs-conformance-invalid-credential"
# project_id is pinned at load time (so schemathesis never fuzzes it); each case gets the target's.
PROJECT_PLACEHOLDER = "project-id-of-the-target"
TOKEN_HEADER = DOCUMENT["components"]["securitySchemes"]["token"]["name"]
SIGNATURE_HEADER = DOCUMENT["components"]["securitySchemes"]["aksk"]["name"]
# Headers schemathesis adds for its own bookkeeping (and requests' defaults): the kit's client sends its own.
_NOT_FORWARDED = frozenset({"content-length", "user-agent", "x-schemathesis-testcaseid"})
_TRANSPORT_DEFAULTS = {name.lower(): value for name, value in requests.utils.default_headers().items()}
# Any re-send a schemathesis check attempts on its own would bypass the kit's client: aim it nowhere.
_NO_RESEND = {"base_url": "http://127.0.0.1:9"}

# -- what schemathesis generates from ----------------------------------------------------------------

# A well-formed id of no job (its last group says so), from which every wrong id below is made. Each one
# breaks the UUID rule in one way that a known validator mistake lets through (kinds job-id/* of
# strategies/README.md), and the non-ASCII ones also probe for crashes. schemathesis draws them only
# in negative mode (a value that matches the schema never goes there), for `jobs[*].job_id`.
_NO_JOB = "d0d0d0d0-c0de-4kit-9bad-00000nojob00"
WRONG_JOB_IDS = (
    _NO_JOB.replace("c", "\u0441", 1),  # Cyrillic look-alike of a Latin letter
    _NO_JOB.replace("0", "\uff10", 1),  # full-width digit: `\d` matches it
    _NO_JOB.replace("k", "\u017f", 1),  # long s: `[a-z]` matches it under re.IGNORECASE
    _NO_JOB[:8] + "\u200b" + _NO_JOB[8:],  # zero-width space inside
    " " + _NO_JOB,  # padded: passes a validator that strips first
    _NO_JOB + "\n",  # Python's `$` matches before a final newline
    _NO_JOB + "\x00",  # a C string still reads the id
    "{" + _NO_JOB + "}",  # braces, as Windows writes GUIDs
    "urn:uuid:" + _NO_JOB,
)


def _request_schemas(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every object schema a request body of the document is made of (components and inline)."""
    schemas = document["components"]["schemas"]
    seen: set[int] = set()

    def walk(node: Any) -> Iterator[dict[str, Any]]:
        if not isinstance(node, dict) or id(node) in seen:
            return
        seen.add(id(node))
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            yield from walk(schemas[ref.rsplit("/", 1)[1]])
        if isinstance(node.get("properties"), dict):
            yield node
            for child in node["properties"].values():
                yield from walk(child)
        yield from walk(node.get("items"))

    for path_item in document["paths"].values():
        for operation in path_item.values():
            for media in operation.get("requestBody", {}).get("content", {}).values():
                yield from walk(media.get("schema"))


def _body_schema(document: dict[str, Any], path: str) -> dict[str, Any]:
    """The component schema of an operation's JSON request body."""
    ref = document["paths"][path]["post"]["requestBody"]["content"][JSON_MEDIA_TYPE]["schema"]["$ref"]
    return document["components"]["schemas"][ref.rsplit("/", 1)[1]]


def _generation_document(document: dict[str, Any], *, languages: bool) -> dict[str, Any]:
    """The copy of the document schemathesis generates from, adjusted where the contract leaves a choice.

    1. Request objects are closed (`additionalProperties: false`). Unknown fields may be ignored or
       refused (EXTRA-FIELDS); as the document stands, schemathesis puts random extra fields into most
       valid bodies, so a target that refuses them would refuse nearly every valid case, a false
       "valid data rejected". Closed, the extras are drawn apart, as negative data of their own, and
       judged by their Either rule (`_judge_choices`).
    2. `jobs` arrays get `uniqueItems: true`. A job named twice may be refused or answered per
       occurrence (DUPLICATE-IDS): the repeats are drawn apart, as negative data judged by that rule,
       instead of inside valid cases (where shrinking makes them common: every id shrinks to zeros).
    3. The pause batch gets `maxItems: 100`: valid cases stay within the 100 jobs that MUST be served
       (BATCH-100; the coverage phase sends 99 and 100), and more is drawn as negative data (more than
       100 is a choice, BATCH-OVER-100, judged by its Either rule when the items are otherwise valid).
    4. Without `languages`, the X-Language parameter is left out. An unknown language may fall back
       to en-us or be refused (LANGUAGE-UNKNOWN), so it is no invalid data; yet for invalid requests
       schemathesis varies the header as invalid too (its coverage phase puts a wrong language into
       every negative case), and a target that refuses unknown languages would then refuse every
       invalid body for its language alone, hiding whether the body rules hold. The domain suite
       tests LANGUAGE-UNKNOWN; valid cases keep the enum, so they send the documented languages only.
    The judging reads the unadjusted contract (`_judge_request`); these only steer generation.
    """
    adjusted = with_job_id_format(document)
    for schema in _request_schemas(adjusted):
        schema.setdefault("additionalProperties", False)
    bodies = {path: _body_schema(adjusted, path) for path in adjusted["paths"]}
    for body in bodies.values():
        body["properties"]["jobs"]["uniqueItems"] = True
    bodies[PAUSE_PATH]["properties"]["jobs"]["maxItems"] = BATCH_LIMIT
    if not languages:
        language = "#/components/parameters/XLanguage"
        for path_item in adjusted["paths"].values():
            for operation in path_item.values():
                operation["parameters"] = [p for p in operation.get("parameters", []) if p.get("$ref") != language]
    return adjusted


def _load(path: str, *, modes: tuple[str, ...], phases: tuple[str, ...]) -> schemathesis.BaseSchema:
    """The adjusted document as schemathesis sees it, for the operation at `path` (one test per operation)."""
    document = _generation_document(DOCUMENT, languages="positive" in modes)
    config = schemathesis.Config.from_dict({
        # schemathesis seeds each test itself (randomly unless told), overriding hypothesis's seed.
        "seed": run_seed(),
        # The run's hypothesis profile decides how many cases fuzzing draws (quick 20, thorough 300).
        "generation": {
            "max-examples": hypothesis.settings.default.max_examples,
            "database": "none",  # a database makes runs slower and breaks --seed reproducibility
            "with-security-parameters": False,  # the kit supplies credentials (see _KitCredentials)
            "unique-inputs": True,
        },
        "phases": {
            "examples": {"enabled": "examples" in phases},
            "coverage": {"enabled": "coverage" in phases},
            "fuzzing": {
                "enabled": "fuzzing" in phases,
                # Cases depend on the seed only, never on what the target answered before.
                "error-feedback": {"enabled": False},
                "extra-data-sources": {"responses": False},
            },
            "stateful": {"enabled": False},
        },
        "suppress-health-check": ["all"],  # as the kit's profiles; the fixtures are reset by hand
        "parameters": {
            "project_id": PROJECT_PLACEHOLDER,
            "body.jobs[*].job_id": {"dictionary": "drs-wrong-job-ids", "probability": 0.5},
        },
        "dictionaries": {"drs-wrong-job-ids": {"values": list(WRONG_JOB_IDS)}},
    })
    schema = schemathesis.openapi.from_dict(document, config=config)
    schema.config.generation.update(modes=[GenerationMode(mode) for mode in modes])
    schema.auth()(_KitCredentials)
    return schema.include(path=path)


class _KitCredentials:
    """The `token` scheme, supplied: schemathesis knows credentials are set, the kit sends the real ones.

    schemathesis applies it to every generated case; none omits the token on purpose, because security
    schemes are not generated as parameters (`with-security-parameters: false`): missing and invalid
    credentials are probed by `_probe_credentials` instead.
    """

    def get(self, case: schemathesis.Case, context: Any) -> str:
        return CREDENTIALS_MARKER

    def set(self, case: schemathesis.Case, data: str, context: Any) -> None:
        case.headers[TOKEN_HEADER] = data


# Every documented operation (one per path), its role, and the component schema of its body.
_OPERATIONS = {path: operation for path, item in DOCUMENT["paths"].items() for operation in item.values()}
_ROLES = {path: operation["x-drs-role"] for path, operation in _OPERATIONS.items()}
_BODY_SCHEMAS = {
    path: operation["requestBody"]["content"][JSON_MEDIA_TYPE]["schema"]["$ref"].rsplit("/", 1)[1]
    for path, operation in _OPERATIONS.items()
}
_ALL_PHASES = ("examples", "coverage", "fuzzing")
register_job_id_format()

# -- what was sent, judged against the contract as written ---------------------------------------------

# Order in which broken rules name a refusal that did not happen: the first one found is reported.
_RULE_ORDER = (
    "BODY-SHAPE", "ITEM-SHAPE", "JOB-ID-RULE", "PAUSE-MODE-VALUES", "CONTENT-TYPE-REFUSED", "AUTH-REQUIRED",
)


@functools.cache
def _validator(schema_name: str, *, closed: bool = False) -> jsonschema.Draft202012Validator:
    """The contract's schema; closed, every object that lists its properties allows no others."""
    schema = SPEC.resolved_schema(schema_name)
    if closed:
        schema = copy.deepcopy(schema)
        _close(schema)
    return jsonschema.Draft202012Validator(schema)


def _close(node: Any) -> None:
    if isinstance(node, dict):
        if isinstance(node.get("properties"), dict):
            node.setdefault("additionalProperties", False)
        for child in node.values():
            _close(child)
    elif isinstance(node, list):
        for child in node:
            _close(child)


def _where(path: Any) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "the body"


def _rule_of(error: jsonschema.ValidationError) -> str:
    """The catalogue rule a schema violation of a request body breaks (contract notes rule 1)."""
    path = list(error.absolute_path)
    if len(path) < 2:  # the body itself, or `jobs`
        return "BODY-SHAPE"
    if error.validator in ("pattern", "minLength", "maxLength") and path[-1] in ("job_id", path[1]):
        return "JOB-ID-RULE"  # a job_id, or (batch-status) an id in `jobs`
    if len(path) == 2 or error.validator == "type":  # the item itself, or a field that is not a string
        return "ITEM-SHAPE"
    if path[2] == "pause_mode":
        return "PAUSE-MODE-VALUES"
    return "ITEM-SHAPE"


@dataclass(frozen=True)
class _Wire:
    """One request as it goes out (the kit's credentials are applied by its client when sending)."""

    method: str
    path: str  # relative to the target's base URL, query string included
    headers: dict[str, str]
    body: bytes | None
    with_credentials: bool


@dataclass(frozen=True)
class _Sent:
    """What a request is, by the contract: the rules it breaks and the allowed choices it makes."""

    operation: str
    role: str
    broken: tuple[tuple[str, str], ...] = ()  # (requirement, why): the request must be refused
    choices: tuple[tuple[str, str], ...] = ()  # (requirement, what): the contract allows several answers
    job_ids: tuple[str, ...] | None = None  # the requested ids of a body that breaks no rule

    @property
    def either(self) -> bool:
        """Well formed, but answered as the target chooses (an Either rule decides, not schemathesis)."""
        return bool(self.choices) and not self.broken

    def first_broken(self) -> str | None:
        names = [requirement for requirement, _ in self.broken]
        return next((name for name in _RULE_ORDER if name in names), names[0] if names else None)

    def summary(self, limit: int = 3) -> str:
        """What the request is, in a line: the rules it breaks, then its allowed choices."""
        parts = [f"{requirement}: {why}" for requirement, why in self.broken]
        parts += [f"{requirement} (allowed choice): {what}" for requirement, what in self.choices]
        more = f" (+{len(parts) - limit} more)" if len(parts) > limit else ""
        return "; ".join(parts[:limit]) + more if parts else "a well-formed request"


_NOT_JSON = object()


def _parse(body: bytes | None) -> Any:
    if not body:
        return _NOT_JSON
    try:
        return json.loads(body.decode("utf-8"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return _NOT_JSON


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _requested_ids(operation: str, document: dict[str, Any]) -> tuple[str, ...]:
    if operation == STATUS_PATH:
        return tuple(document["jobs"])
    return tuple(item["job_id"] for item in document["jobs"])


def _judge_request(operation: str, wire: _Wire) -> _Sent:
    """Which contract rules the request breaks, and which allowed choices it makes."""
    broken: list[tuple[str, str]] = []
    choices: list[tuple[str, str]] = []
    headers = httpx.Headers(wire.headers)
    media_type = (headers.get("content-type") or "").split(";", 1)[0].strip().lower()
    if media_type != JSON_MEDIA_TYPE:
        broken.append(("CONTENT-TYPE-REFUSED", f"Content-Type {headers.get('content-type')!r}"))
    if not wire.with_credentials:
        broken.append(("AUTH-REQUIRED", "no credentials"))
    language = headers.get("x-language")
    if language is not None and language not in SPEC.languages:
        choices.append(("LANGUAGE-UNKNOWN", f"X-Language {language!r}"))
    if wire.body is not None and len(wire.body) > ONE_MIB:
        choices.append(("BODY-OVER-1MIB", f"a body of {len(wire.body)} bytes"))
    document = _parse(wire.body)
    job_ids = None
    if document is _NOT_JSON:
        broken.append(("BODY-SHAPE", "the body is not JSON" if wire.body else "no body"))
    else:
        name = _BODY_SCHEMAS[operation]
        errors = sorted(_validator(name).iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))
        for error in errors:
            broken.append((_rule_of(error), f"{_where(error.absolute_path)}: {error.message[:160]}"))
        closed = _validator(name, closed=True).iter_errors(document)
        extras = [f"{_where(e.absolute_path)}: {e.message[:99]}" for e in closed
                  if e.validator == "additionalProperties"]
        if extras:
            choices.append(("EXTRA-FIELDS", "; ".join(extras[:3])))
        if not errors:
            job_ids = _requested_ids(operation, document)
            times = Counter(job_ids)
            repeated = sorted(job_id for job_id, count in times.items() if count > 1)
            if repeated:
                choices.append(("DUPLICATE-IDS", f"job id {repeated[0]} named {times[repeated[0]]} times"))
            if len(job_ids) > BATCH_LIMIT:
                choices.append(("BATCH-OVER-100", f"{len(job_ids)} jobs in one batch"))
    return _Sent(operation, _ROLES[operation], tuple(broken), tuple(choices), job_ids)


# -- failures named by requirement ---------------------------------------------------------------------


def _by_status(sent: _Sent, reply: Reply) -> str:
    return "ERROR-BODY" if reply.status == 400 else "RESPONSE-SCHEMA"


def _status_of_what_was_sent(sent: _Sent, reply: Reply) -> str:
    """An undocumented status: the rule of the request's peculiarity (its choice, or the rule it breaks).

    The refusal rules are those of batch-pause-task: a supporting operation's undocumented answer to a
    malformed request is just that (RESPONSE-SCHEMA), unless credentials were missing.
    """
    if sent.either:
        return sent.choices[0][0]
    return _invalid_request_served(sent, reply) or "RESPONSE-SCHEMA"


def _invalid_request_served(sent: _Sent, reply: Reply) -> str | None:
    """Invalid data served: the rule that refuses it; None when the contract finds the request valid
    (schemathesis' view of "invalid" is the adjusted copy's, e.g. an extra field or a repeated id)."""
    rule = sent.first_broken()
    if sent.role != UNDER_TEST and rule != "AUTH-REQUIRED":
        return None
    return rule


def _valid_request_refused(sent: _Sent, reply: Reply) -> str | None:
    """A well-formed request was refused: the rule that says it must be served (None if it breaks one)."""
    if sent.broken:
        return None
    if sent.role != UNDER_TEST:
        return "SUPPORT-STATUS" if sent.operation == STATUS_PATH else "SUPPORT-RESUME"
    if reply.status == 413:  # refused as too large: a batch of up to 100 jobs MUST be served
        return "BATCH-100"
    documented_shape = any(set(job_id) - set("0123456789abcdef-") for job_id in sent.job_ids or ())
    return "JOB-ID-WELL-FORMED" if documented_shape or not sent.job_ids else "BATCH-100"


# Every schemathesis failure, by class name, and the requirement it breaks (first match wins when one
# answer fails several checks, so the order is: crash, not JSON, the request's rule, methods, schema).
# The functions read what was sent: `_invalid_request_served` names the first rule the request breaks
# (BODY-SHAPE, ITEM-SHAPE, JOB-ID-RULE, PAUSE-MODE-VALUES, CONTENT-TYPE-REFUSED, AUTH-REQUIRED; none if the
# contract finds it valid), `_valid_request_refused` names JOB-ID-WELL-FORMED (an id with a non-hex letter)
# or BATCH-100 (refused as too large, or hex ids only), and SUPPORT-STATUS / SUPPORT-RESUME for the
# supporting operations, `_status_of_what_was_sent` the request's allowed choice or broken rule, else
# RESPONSE-SCHEMA. A class missing here (a newer schemathesis) counts against RESPONSE-SCHEMA.
FAILURE_REQUIREMENTS: dict[str, str | Callable[[_Sent, Reply], str | None]] = {
    "ServerError": "NO-5XX",  # 5xx: no request of any shape may get one
    "ContentTypeServerError": "NO-5XX",
    "MalformedJson": "JSON-RESPONSES",  # every 200 and 4xx body is JSON with a JSON content type
    "ContentDeserializationError": "JSON-RESPONSES",
    "MissingContentType": "JSON-RESPONSES",
    "UndefinedContentType": "JSON-RESPONSES",
    "MalformedMediaType": "JSON-RESPONSES",
    "AcceptedNegativeData": _invalid_request_served,  # invalid data served: the rule that refuses it
    "RejectedPositiveData": _valid_request_refused,  # valid data refused: the rule that serves it
    "MissingHeaderNotRejected": _invalid_request_served,
    "IgnoredAuth": "AUTH-REQUIRED",  # missing or invalid credentials accepted
    "UnsupportedMethodResponse": "HTTP-METHODS",  # 405 with Allow for a method the path does not serve
    "AllowHeaderMismatch": "HTTP-METHODS",
    "UndefinedStatusCode": _status_of_what_was_sent,  # e.g. 422 for a bad body: its rule wanted a 400
    "JsonSchemaError": _by_status,  # 400 -> ERROR-BODY, other statuses -> RESPONSE-SCHEMA
    "MissingHeaders": "RESPONSE-SCHEMA",
    "DiscriminatorMismatch": "RESPONSE-SCHEMA",
}


_UNMAPPED = "RESPONSE-SCHEMA"  # a failure class this table does not know yet (a newer schemathesis)
_MAX_DETAIL = 700  # schemathesis' own explanation, clipped (it may quote whole schemas)


def _requirement_of(failure: BaseException, sent: _Sent, reply: Reply) -> str | None:
    """The requirement a failure breaks; None when, read against the contract, it breaks none."""
    for cls in type(failure).__mro__:
        rule = FAILURE_REQUIREMENTS.get(cls.__name__)
        if rule is not None:
            return rule if isinstance(rule, str) else rule(sent, reply)
    return _UNMAPPED


def _named(group: BaseExceptionGroup, sent: _Sent, reply: Reply) -> NonConformance | None:
    """The schemathesis failures of one answer as one NonConformance, named by the first in table order."""
    order = list(FAILURE_REQUIREMENTS)

    def rank(failure: BaseException) -> int:
        names = [cls.__name__ for cls in type(failure).__mro__]
        return min((order.index(name) for name in names if name in order), default=len(order))

    named = [(f, _requirement_of(f, sent, reply)) for f in sorted(group.exceptions, key=rank)]
    failures = [failure for failure, requirement in named if requirement is not None]
    if not failures:
        return None
    first = failures[0]
    requirement = next(requirement for failure, requirement in named if failure is first)
    title = getattr(first, "title", type(first).__name__)
    detail = getattr(first, "message", str(first)).strip()
    if len(detail) > _MAX_DETAIL:
        detail = detail[:_MAX_DETAIL] + " [...]"
    others = ", ".join(dict.fromkeys(getattr(f, "title", type(f).__name__) for f in failures[1:]))
    message = (
        f"{title} (schemathesis {type(first).__name__}) for {sent.summary()}\n"
        f"received {describe(reply, 200)}\n"
        f"schemathesis: {detail}" + (f"\nalso: {others}" if others else "")
    )
    return NonConformance(requirement, message)


# -- sending ----------------------------------------------------------------------------------------


def _wire(case: schemathesis.Case, target: Target, stand_in: str | None) -> _Wire:
    """The case serialised exactly as schemathesis would send it, for the target, without credentials."""
    case.path_parameters = {**case.path_parameters, "project_id": target.project_id}
    kwargs = case.as_transport_kwargs(base_url=target.base_url)
    unknown = set(kwargs) - {"method", "url", "headers", "params", "cookies", "json", "data", "files"}
    assert not unknown, f"schemathesis serialised the case with {unknown}: the contract suite cannot send that"
    prepared = requests.Request(
        method=kwargs["method"], url=kwargs["url"], headers=kwargs.get("headers"), params=kwargs.get("params"),
        cookies=kwargs.get("cookies"), json=kwargs.get("json"), data=kwargs.get("data"), files=kwargs.get("files"),
    ).prepare()
    body = prepared.body.encode("utf-8") if isinstance(prepared.body, str) else prepared.body
    if stand_in is not None and body and case.path in (PAUSE_PATH, RETRY_PATH):
        body = body.replace(SPEC.example_job_id.encode(), stand_in.encode())
    headers = {
        name: value for name, value in prepared.headers.items()
        if name.lower() not in _NOT_FORWARDED and _TRANSPORT_DEFAULTS.get(name.lower()) != value
    }
    with_credentials = headers.get(TOKEN_HEADER) == CREDENTIALS_MARKER
    if with_credentials:
        del headers[TOKEN_HEADER]
    url = str(prepared.url)
    assert url.startswith(target.base_url), f"{url} is not under the target's base URL {target.base_url}"
    return _Wire(str(prepared.method), url[len(target.base_url):], headers, body or None, with_credentials)


def _send(api: DrsClient, target: Target, wire: _Wire, label: str, *,
          credentials: Credentials | None = None, headers: dict[str, str] | None = None) -> Reply:
    if credentials is None:
        credentials = target.credentials if wire.with_credentials else NoCredentials()
    return api.send(wire.method, wire.path, content=wire.body, headers={**wire.headers, **(headers or {})},
                    credentials=credentials, project_id=target.project_id, label=label)


def _as_httpx(target: Target, wire: _Wire, reply: Reply) -> httpx.Response:
    """The answer in the form `Case.validate_response` takes (the request as sent, minus credentials)."""
    request = httpx.Request(wire.method, target.base_url + wire.path, headers=wire.headers, content=wire.body)
    response = httpx.Response(reply.status, headers=reply.headers, content=reply.content, request=request)
    elapsed = reply.exchange.response.elapsed_ms if reply.exchange.response is not None else 0.0
    response.elapsed = dt.timedelta(milliseconds=elapsed)
    return response


def _scenario(case: schemathesis.Case) -> CoverageScenario | None:
    data = case.meta.phase.data if case.meta is not None else None
    return getattr(data, "scenario", None)


_CONTENT_TYPE_PROBES = frozenset({
    CoverageScenario.UNSUPPORTED_CONTENT_TYPE, CoverageScenario.MALFORMED_CONTENT_TYPE,
})
_EXPLICIT_PHASES = frozenset({TestPhase.EXAMPLES, TestPhase.COVERAGE})


def _label(case: schemathesis.Case) -> str:
    meta = case.meta
    if meta is None:
        return "contract"
    return f"contract: {meta.phase.name.value} {meta.generation.mode.value}"


# -- judging ----------------------------------------------------------------------------------------


def _judge_with_schemathesis(case: schemathesis.Case, sent: _Sent, reply: Reply, response: httpx.Response) -> None:
    """Every schemathesis check, except those the contract or the kit decides instead (each said why)."""
    excluded = [
        # Its probes would go out through schemathesis' own transport, and it wants 401/403 where the
        # contract asks a 4xx: _probe_credentials does the same through the kit's client.
        schemathesis_checks.ignored_auth,
    ]
    if _scenario(case) in _CONTENT_TYPE_PROBES:
        # On a 5xx it re-sends a control request itself; NO-5XX is judged by check_response instead.
        excluded.append(schemathesis_checks.not_a_server_error)
    if sent.either:
        # Well formed, answered as the target chooses: its Either rule judges it (_judge_choices).
        excluded += [schemathesis_checks.positive_data_acceptance, schemathesis_checks.negative_data_rejection]
    elif sent.role != UNDER_TEST:
        # The contract's refusal rules are those of batch-pause-task; a supporting operation that serves
        # a malformed observation request breaks none of them (a refused valid one breaks SUPPORT-*).
        excluded.append(schemathesis_checks.negative_data_rejection)
    try:
        case.validate_response(response, excluded_checks=excluded, transport_kwargs=dict(_NO_RESEND))
    except BaseExceptionGroup as group:
        failure = _named(group, sent, reply)
        if failure is not None:
            raise failure from None


def _judge_common(api: DrsClient, sent: _Sent, reply: Reply) -> None:
    """The checks every answer of the documented API must pass (the kit's own, as in every suite)."""
    api.log.checked.update(checked_requirements(reply.status))
    check_response(reply, sent.operation)


def _judge_refusals(sent: _Sent, reply: Reply) -> None:
    """A request without credentials, or (pause) with another Content-Type, gets a 4xx."""
    for requirement, why in sent.broken:
        pause_only = requirement == "CONTENT-TYPE-REFUSED"
        applies = requirement == "AUTH-REQUIRED" or (pause_only and sent.role == UNDER_TEST)
        if applies and not 400 <= reply.status < 500:
            raise NonConformance(requirement, f"received {describe(reply)} for a request with {why}, "
                                 "documented a 4xx")


def _judge_choices(sent: _Sent, reply: Reply) -> None:
    """An allowed choice: any of the documented answers, nothing else."""
    names = {requirement for requirement, _ in sent.choices}
    refusals = {400} | ({413} if names & {"BATCH-OVER-100", "BODY-OVER-1MIB"} else set())
    if reply.status in refusals:
        return
    if reply.status == 413 and sent.role == UNDER_TEST:  # refused as too large, yet within the limits
        raise NonConformance("BATCH-100", f"received {describe(reply)} for {len(sent.job_ids or ())} jobs in a "
                             "well-formed batch, documented: batches of up to 100 jobs are served")
    if reply.status != 200:
        requirement, what = sent.choices[0]
        options = "; or ".join(catalogue()[requirement].options)
        raise NonConformance(requirement, f"received {describe(reply)} for {what}, documented: {options}")
    if "DUPLICATE-IDS" in names and sent.role == UNDER_TEST:
        grouped = results_by_id(reply, sent.job_ids or ())
        for job_id, times in Counter(sent.job_ids).items():
            successes = sum(is_success(result) for result in grouped.get(job_id, ()))
            if times > 1 and successes > 1:
                raise NonConformance("DUPLICATE-IDS", f"received {successes} successes for job {job_id} named "
                                     f"{times} times in one batch, documented at most one")


def _judge_bookkeeping(sent: _Sent, reply: Reply) -> None:
    """A served pause: one result per requested item, its id unchanged, count == len(results)."""
    if sent.role == UNDER_TEST and reply.status == 200 and sent.job_ids is not None:
        results_by_id(reply, sent.job_ids)


def _probe_credentials(api: DrsClient, target: Target, sent: _Sent, wire: _Wire) -> None:
    """The request just served, again without valid credentials: each must get a 4xx (AUTH-REQUIRED)."""
    probes = {
        "no credentials": {},
        f"an invalid {TOKEN_HEADER}": {TOKEN_HEADER: INVALID_CREDENTIAL},
        f"an invalid {SIGNATURE_HEADER}": {SIGNATURE_HEADER: f"SDK-HMAC-SHA256 Access={INVALID_CREDENTIAL}, "
                                                             "SignedHeaders=host, Signature=00"},
    }
    for what, headers in probes.items():
        reply = _send(api, target, wire, f"contract: probe with {what}", credentials=NoCredentials(),
                      headers=headers)
        if not 400 <= reply.status < 500:
            raise NonConformance("AUTH-REQUIRED", f"received {describe(reply)} for a request with {what} (the same "
                                 "request with the kit's credentials was served), documented a 4xx")
        _judge_common(api, sent, reply)


def _exchange(case: schemathesis.Case, target: Target, api: DrsClient, stand_in: str | None) -> None:
    """Send one generated case through the kit and judge the answer."""
    meta = case.meta
    if stand_in is not None and meta is not None and meta.phase.name == TestPhase.EXAMPLES \
            and case.path in (PAUSE_PATH, RETRY_PATH):
        return  # live target: the document's example id could name a real job
    wire = _wire(case, target, stand_in)
    sent = _judge_request(case.path, wire)
    reply = _send(api, target, wire, _label(case))
    with _for_request(wire, sent):
        _judge_with_schemathesis(case, sent, reply, _as_httpx(target, wire, reply))
        _judge_common(api, sent, reply)
        _judge_refusals(sent, reply)
        if sent.either:
            _judge_choices(sent, reply)
        if not sent.broken:
            _judge_bookkeeping(sent, reply)
        explicit = meta is not None and meta.phase.name in _EXPLICIT_PHASES
        if wire.with_credentials and 200 <= reply.status < 300 and explicit:
            _probe_credentials(api, target, sent, wire)


@contextlib.contextmanager
def _for_request(wire: _Wire, sent: _Sent) -> Iterator[None]:
    """Every failure names the request it is about first (method and operation)."""
    try:
        yield
    except NonConformance as failure:
        raise NonConformance(failure.requirement, f"{wire.method} {sent.operation}: {failure.detail}") from None


# -- tests ------------------------------------------------------------------------------------------
# One test per operation and kind of request, so that every test has its own node id (pytest 9.2 drops
# the operation from the node ids of a schemathesis test that covers several operations).


@pytest.fixture(scope="module")
def stand_in(target: Target) -> str | None:
    """Live targets: a fresh id sent instead of the document's example id; sandboxes: None (sent as is)."""
    return new_job_id(target.run_prefix) if target.control is None else None


def _is_method_probe(case: schemathesis.Case) -> bool:
    """An undocumented method: the methods tests send those (HTTP-METHODS is a SHOULD: apart, it hides no MUST)."""
    return _scenario(case) == CoverageScenario.UNSPECIFIED_HTTP_METHOD


@pytest.mark.requirement("RESPONSE-SCHEMA", "NO-5XX", "JSON-RESPONSES", "JOB-ID-WELL-FORMED", "AUTH-REQUIRED",
                         "ONE-RESULT-PER-ITEM", "COUNT-EQUALS-RESULTS")
@_load(PAUSE_PATH, modes=("positive",), phases=_ALL_PHASES).parametrize()
def test_valid_pause_requests_are_served_as_documented(
    case: schemathesis.Case, target: Target, api: DrsClient, stand_in: str | None
) -> None:
    """Valid pause requests (the document's examples, coverage, fuzzing) are served and answered as documented."""
    _exchange(case, target, api, stand_in)


@pytest.mark.requirement("RESPONSE-SCHEMA", "NO-5XX", "JSON-RESPONSES", "ERROR-BODY", "BODY-SHAPE", "ITEM-SHAPE",
                         "JOB-ID-RULE", "PAUSE-MODE-VALUES", "CONTENT-TYPE-REFUSED", "EXTRA-FIELDS", "DUPLICATE-IDS")
@_load(PAUSE_PATH, modes=("negative",), phases=("coverage", "fuzzing")).parametrize()
def test_invalid_pause_requests_are_refused_as_documented(
    case: schemathesis.Case, target: Target, api: DrsClient, stand_in: str | None
) -> None:
    """Invalid pause requests (coverage, fuzzing) are refused with a documented JSON error; choices as allowed."""
    if not _is_method_probe(case):
        _exchange(case, target, api, stand_in)


def _supporting_test(path: str) -> Callable[..., None]:
    """Valid and invalid requests to a supporting operation: answered as documented, never a 5xx."""

    @pytest.mark.requirement("RESPONSE-SCHEMA", "NO-5XX", "JSON-RESPONSES", "ERROR-BODY", "AUTH-REQUIRED")
    @_load(path, modes=("positive", "negative"), phases=_ALL_PHASES).parametrize()
    def test(case: schemathesis.Case, target: Target, api: DrsClient, stand_in: str | None) -> None:
        if not _is_method_probe(case):
            _exchange(case, target, api, stand_in)

    test.__doc__ = f"{_OPERATIONS[path]['operationId']}: {_supporting_test.__doc__}"
    return test


test_batch_status_answers_as_documented = _supporting_test(STATUS_PATH)
test_batch_retry_task_answers_as_documented = _supporting_test(RETRY_PATH)


def _methods_test(path: str) -> Callable[..., None]:
    """Methods the path does not serve SHOULD get 405 with an Allow header naming the documented ones."""

    @pytest.mark.requirement("RESPONSE-SCHEMA", "HTTP-METHODS", "NO-5XX")
    @_load(path, modes=("negative",), phases=("coverage",)).parametrize()
    def test(case: schemathesis.Case, target: Target, api: DrsClient, stand_in: str | None) -> None:
        if not _is_method_probe(case):
            return  # every other case is sent by the tests above
        wire = _wire(case, target, stand_in)  # a server that takes PUT for POST must not pause a real job
        sent = _Sent(case.path, _ROLES[case.path])
        reply = _send(api, target, wire, _label(case))
        with _for_request(wire, sent):
            _judge_with_schemathesis(case, sent, reply, _as_httpx(target, wire, reply))
            if reply.status == 404:
                # schemathesis excuses a 404 when it cannot tell that the path parameters were pinned
                # (here: when the target's project is the document's example project); the kit pins
                # them, so the path exists.
                raise NonConformance("HTTP-METHODS", f"received {describe(reply)}, documented 405 Method "
                                     "Not Allowed with an Allow header")

    test.__doc__ = f"{_OPERATIONS[path]['operationId']}: {_methods_test.__doc__}"
    return test


test_undocumented_methods_on_batch_pause_task_get_405 = _methods_test(PAUSE_PATH)
test_undocumented_methods_on_batch_status_get_405 = _methods_test(STATUS_PATH)
test_undocumented_methods_on_batch_retry_task_get_405 = _methods_test(RETRY_PATH)
