"""Contract: every documented operation through schemathesis, each failure named by the rule it breaks.

schemathesis draws the requests from the OpenAPI document (phases examples, coverage and fuzzing; valid
and invalid data); the kit sends them through its own client (recorded, redacted, signed for AK/SK
targets); every schemathesis check, and the kit's common response checks, judge the answers. A failure
is named by the catalogue requirement it breaks (`FAILURE_REQUIREMENTS`, `drs_conformance.schemathesis_suite.failures`),
decided from what was actually sent, read against the contract as written (`classify_request`), never
against the adjusted copy schemathesis generates from.

- Generation: the document is adjusted where it leaves a choice (`generation_document`); ids are
  DRS-shaped (`with_job_id_format`), and negative fuzzing also draws the malformed ids that slip past
  known validator mistakes (`WRONG_JOB_IDS`). Fuzzing draws as many cases as the run's hypothesis
  profile says (quick, thorough), from the run's `--seed`.
- Only the documented options reach the target: its base URL, its project id (`project_id` is pinned)
  and the kit's credentials. A case carries a marker where schemathesis would put a token (`KitCredentials`);
  the kit's client applies its own credentials instead (token or AK/SK). schemathesis' own probing of
  credentials is replaced by `_probe_credentials`, which goes through the kit's client too.
- An allowed choice of the contract (a job named twice, unknown fields, more than 100 jobs, a body over
  1 MiB, an unknown X-Language) is judged by its Either rule (`_judge_choices`), never by schemathesis'
  data checks.
- On live targets (no control API) the document's example id is never sent to pause or resume: their
  examples phase is skipped, and the id is replaced wherever else it appears (`stand_in`).
- Out of reach here: rules that need job state (which jobs pause, what they read afterwards, tenants,
  atomicity, concurrency) are the domain suites'.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import hypothesis
import pytest
import schemathesis
from schemathesis import GenerationMode
from schemathesis import checks as schemathesis_checks
from schemathesis.generation.meta import CoverageScenario, TestPhase

from drs_conformance.contract.catalogue import catalogue
from drs_conformance.contract.checks import NonConformance, check_response, checked_requirements
from drs_conformance.contract.judge import describe, is_success, results_by_id
from drs_conformance.contract.requirement_ids import Req
from drs_conformance.contract.spec import PAUSE_PATH, RETRY_PATH, STATUS_PATH, contract, load_document
from drs_conformance.live.target import Target, new_job_id
from drs_conformance.plugin.hooks import run_seed
from drs_conformance.schemathesis_suite import (
    NO_RESEND,
    UNDER_TEST,
    WRONG_JOB_IDS,
    WRONG_JOB_IDS_DICTIONARY,
    KitCredentials,
    Sent,
    Wire,
    as_httpx,
    classify_request,
    generation_document,
    named_failure,
    role,
    security_header,
    send,
    to_wire,
)
from drs_conformance.strategies import register_job_id_format
from drs_conformance.transport.client import DrsClient, Reply
from drs_conformance.transport.credentials import NoCredentials

DOCUMENT = load_document()
INVALID_CREDENTIAL = "drs-conformance-invalid-credential"
# project_id is pinned at load time (so schemathesis never fuzzes it); each case gets the target's.
PROJECT_PLACEHOLDER = "project-id-of-the-target"
TOKEN_HEADER = security_header("token")
SIGNATURE_HEADER = security_header("aksk")

# -- what schemathesis generates from ----------------------------------------------------------------


def _load(path: str, *, modes: tuple[str, ...], phases: tuple[str, ...]) -> schemathesis.BaseSchema:
    """The adjusted document as schemathesis sees it, for the operation at `path` (one test per operation)."""
    document = generation_document(DOCUMENT, languages="positive" in modes)
    config = schemathesis.Config.from_dict(
        {
            # schemathesis seeds each test itself (randomly unless told), overriding hypothesis's seed.
            "seed": run_seed(),
            # The run's hypothesis profile decides how many cases fuzzing draws (quick 20, thorough 300).
            "generation": {
                "max-examples": (hypothesis.settings.default or hypothesis.settings()).max_examples,
                "database": "none",  # a database makes runs slower and breaks --seed reproducibility
                "with-security-parameters": False,  # the kit supplies credentials (see KitCredentials)
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
                "body.jobs[*].job_id": {"dictionary": WRONG_JOB_IDS_DICTIONARY, "probability": 0.5},
            },
            "dictionaries": {WRONG_JOB_IDS_DICTIONARY: {"values": list(WRONG_JOB_IDS)}},
        }
    )
    schema = schemathesis.openapi.from_dict(document, config=config)
    schema.config.generation.update(modes=[GenerationMode(mode) for mode in modes])
    schema.auth()(KitCredentials)
    return schema.include(path=path)


# Every documented operation (one per path), for the tests' docstrings.
_OPERATIONS = {path: operation for path, item in DOCUMENT["paths"].items() for operation in item.values()}
_ALL_PHASES = ("examples", "coverage", "fuzzing")
register_job_id_format()

# -- what a case is ---------------------------------------------------------------------------------


def _scenario(case: schemathesis.Case) -> CoverageScenario | None:
    """The coverage scenario that made the case, if any: some scenarios are judged apart."""
    data = case.meta.phase.data if case.meta is not None else None
    return getattr(data, "scenario", None)


_CONTENT_TYPE_PROBES = frozenset(
    {
        CoverageScenario.UNSUPPORTED_CONTENT_TYPE,
        CoverageScenario.MALFORMED_CONTENT_TYPE,
    }
)
_EXPLICIT_PHASES = frozenset({TestPhase.EXAMPLES, TestPhase.COVERAGE})


def _label(case: schemathesis.Case) -> str:
    """How the exchange is labelled in reports: the phase and mode that drew the case."""
    meta = case.meta
    if meta is None:
        return "contract"
    return f"contract: {meta.phase.name.value} {meta.generation.mode.value}"


# -- judging ----------------------------------------------------------------------------------------


def _judge_with_schemathesis(case: schemathesis.Case, sent: Sent, reply: Reply, response: httpx.Response) -> None:
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
        case.validate_response(response, excluded_checks=excluded, transport_kwargs=dict(NO_RESEND))
    except BaseExceptionGroup as group:
        failure = named_failure(group, sent, reply)
        if failure is not None:
            raise failure from None


def _judge_common(api: DrsClient, sent: Sent, reply: Reply) -> None:
    """The checks every answer of the documented API must pass (the kit's own, as in every suite)."""
    api.log.checked.update(checked_requirements(reply.status))
    check_response(reply, sent.operation)


def _judge_refusals(sent: Sent, reply: Reply) -> None:
    """A request without credentials, or (pause) with another Content-Type, gets a 4xx."""
    for requirement, why in sent.broken:
        pause_only = requirement == Req.CONTENT_TYPE_REFUSED
        applies = requirement == Req.AUTH_REQUIRED or (pause_only and sent.role == UNDER_TEST)
        if applies and not 400 <= reply.status < 500:
            raise NonConformance(requirement, f"received {describe(reply)} for a request with {why}, documented a 4xx")


def _judge_choices(sent: Sent, reply: Reply) -> None:
    """An allowed choice: any of the documented answers, nothing else."""
    names = {requirement for requirement, _ in sent.choices}
    refusals = {400} | ({413} if sent.oversized else set())
    if reply.status in refusals:
        return
    if reply.status == 413 and sent.role == UNDER_TEST:  # refused as too large, yet within the limits
        raise NonConformance(
            Req.BATCH_100,
            f"received {describe(reply)} for {len(sent.job_ids or ())} jobs in a "
            f"well-formed batch, documented: batches of up to {contract().batch_limit} jobs are served",
        )
    if reply.status != 200:
        requirement, what = sent.choices[0]
        options = "; or ".join(catalogue()[requirement].options)
        raise NonConformance(requirement, f"received {describe(reply)} for {what}, documented: {options}")
    if Req.DUPLICATE_IDS in names and sent.role == UNDER_TEST:
        grouped = results_by_id(reply, sent.job_ids or ())
        for job_id, times in Counter(sent.job_ids).items():
            successes = sum(is_success(result) for result in grouped.get(job_id, ()))
            if times > 1 and successes > 1:
                raise NonConformance(
                    Req.DUPLICATE_IDS,
                    f"received {successes} successes for job {job_id} named "
                    f"{times} times in one batch, documented at most one",
                )


def _judge_bookkeeping(sent: Sent, reply: Reply) -> None:
    """A served pause: one result per requested item, its id unchanged, count == len(results)."""
    if sent.role == UNDER_TEST and reply.status == 200 and sent.job_ids is not None:
        results_by_id(reply, sent.job_ids)


def _probe_credentials(api: DrsClient, target: Target, sent: Sent, wire: Wire) -> None:
    """The request just served, again without valid credentials: each must get a 4xx (AUTH-REQUIRED)."""
    probes = {
        "no credentials": {},
        f"an invalid {TOKEN_HEADER}": {TOKEN_HEADER: INVALID_CREDENTIAL},
        f"an invalid {SIGNATURE_HEADER}": {
            SIGNATURE_HEADER: f"SDK-HMAC-SHA256 Access={INVALID_CREDENTIAL}, SignedHeaders=host, Signature=00"
        },
    }

    def probe(what: str) -> Reply:
        return send(
            api, target, wire, f"contract: probe with {what}", credentials=NoCredentials(), headers=probes[what]
        )

    with ThreadPoolExecutor(max_workers=len(probes)) as pool:  # independent requests: one round trip for all
        replies = dict(zip(probes, pool.map(probe, probes), strict=False))
    for what, reply in replies.items():  # judged in a fixed order, whatever order the answers came in
        if not 400 <= reply.status < 500:
            raise NonConformance(
                Req.AUTH_REQUIRED,
                f"received {describe(reply)} for a request with {what} (the same "
                "request with the kit's credentials was served), documented a 4xx",
            )
        _judge_common(api, sent, reply)


def _exchange(case: schemathesis.Case, target: Target, api: DrsClient, stand_in: str | None) -> None:
    """Send one generated case through the kit and judge the answer."""
    meta = case.meta
    if (
        stand_in is not None
        and meta is not None
        and meta.phase.name == TestPhase.EXAMPLES
        and case.path in (PAUSE_PATH, RETRY_PATH)
    ):
        return  # external target: the document's example id could name a job of its own
    wire = to_wire(case, target, stand_in)
    sent = classify_request(case.path, wire)
    reply = send(api, target, wire, _label(case))
    with _for_request(wire, sent):
        _judge_with_schemathesis(case, sent, reply, as_httpx(target, wire, reply))
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
def _for_request(wire: Wire, sent: Sent) -> Iterator[None]:
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
    """External targets: a fresh id sent instead of the document's example id, which could name a job there that
    no test borrowed (a vendor's sandbox with a control API holds it too); the embedded sandbox: None (sent as is)."""
    return new_job_id(target.run_prefix) if target.shares_jobs else None


def _is_method_probe(case: schemathesis.Case) -> bool:
    """An undocumented method: the methods tests send those (HTTP-METHODS is a SHOULD: apart, it hides no MUST)."""
    return _scenario(case) == CoverageScenario.UNSPECIFIED_HTTP_METHOD


@pytest.mark.long_running(requests=60)
@pytest.mark.requirement(
    Req.RESPONSE_SCHEMA,
    Req.NO_5XX,
    Req.JSON_RESPONSES,
    Req.JOB_ID_WELL_FORMED,
    Req.AUTH_REQUIRED,
    Req.ONE_RESULT_PER_ITEM,
    Req.COUNT_EQUALS_RESULTS,
)
@_load(PAUSE_PATH, modes=("positive",), phases=_ALL_PHASES).parametrize()
def test_valid_pause_requests_are_served_as_documented(
    case: schemathesis.Case, target: Target, api: DrsClient, stand_in: str | None
) -> None:
    """Valid pause requests (the document's examples, coverage, fuzzing) are served and answered as documented."""
    _exchange(case, target, api, stand_in)


@pytest.mark.long_running(requests=80)
@pytest.mark.requirement(
    Req.RESPONSE_SCHEMA,
    Req.NO_5XX,
    Req.JSON_RESPONSES,
    Req.ERROR_BODY,
    Req.BODY_SHAPE,
    Req.ITEM_SHAPE,
    Req.JOB_ID_RULE,
    Req.PAUSE_MODE_VALUES,
    Req.CONTENT_TYPE_REFUSED,
    Req.EXTRA_FIELDS,
    Req.DUPLICATE_IDS,
)
@_load(PAUSE_PATH, modes=("negative",), phases=("coverage", "fuzzing")).parametrize()
def test_invalid_pause_requests_are_refused_as_documented(
    case: schemathesis.Case, target: Target, api: DrsClient, stand_in: str | None
) -> None:
    """Invalid pause requests (coverage, fuzzing) are refused with a documented JSON error; choices as allowed."""
    if not _is_method_probe(case):
        _exchange(case, target, api, stand_in)


def _supporting_test(path: str, *, requests: int) -> Callable[..., None]:
    """Valid and invalid requests to a supporting operation: answered as documented, never a 5xx."""

    @pytest.mark.long_running(requests=requests)
    @pytest.mark.requirement(Req.RESPONSE_SCHEMA, Req.NO_5XX, Req.JSON_RESPONSES, Req.ERROR_BODY, Req.AUTH_REQUIRED)
    @_load(path, modes=("positive", "negative"), phases=_ALL_PHASES).parametrize()
    def test(case: schemathesis.Case, target: Target, api: DrsClient, stand_in: str | None) -> None:
        if not _is_method_probe(case):
            _exchange(case, target, api, stand_in)

    test.__doc__ = f"{_OPERATIONS[path]['operationId']}: {_supporting_test.__doc__}"
    return test


test_batch_status_answers_as_documented = _supporting_test(STATUS_PATH, requests=320)
test_batch_retry_task_answers_as_documented = _supporting_test(RETRY_PATH, requests=100)


def _methods_test(path: str) -> Callable[..., None]:
    """Methods the path does not serve SHOULD get 405 with an Allow header naming the documented ones."""

    @pytest.mark.requirement(Req.RESPONSE_SCHEMA, Req.HTTP_METHODS, Req.NO_5XX)
    @_load(path, modes=("negative",), phases=("coverage",)).parametrize()
    def test(case: schemathesis.Case, target: Target, api: DrsClient, stand_in: str | None) -> None:
        if not _is_method_probe(case):
            return  # every other case is sent by the tests above
        wire = to_wire(case, target, stand_in)  # a server that takes PUT for POST must not pause a real job
        sent = Sent(case.path, role(case.path))
        reply = send(api, target, wire, _label(case))
        with _for_request(wire, sent):
            _judge_with_schemathesis(case, sent, reply, as_httpx(target, wire, reply))
            if reply.status == 404:
                # schemathesis excuses a 404 when it cannot tell that the path parameters were pinned
                # (here: when the target's project is the document's example project); the kit pins
                # them, so the path exists.
                raise NonConformance(
                    Req.HTTP_METHODS,
                    f"received {describe(reply)}, documented 405 Method Not Allowed with an Allow header",
                )

    test.__doc__ = f"{_OPERATIONS[path]['operationId']}: {_methods_test.__doc__}"
    return test


test_undocumented_methods_on_batch_pause_task_get_405 = _methods_test(PAUSE_PATH)
test_undocumented_methods_on_batch_status_get_405 = _methods_test(STATUS_PATH)
test_undocumented_methods_on_batch_retry_task_get_405 = _methods_test(RETRY_PATH)
