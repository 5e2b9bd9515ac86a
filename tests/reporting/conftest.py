"""Shared data for the reporting tests: outcomes of every kind, exchanges carrying planted secrets."""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace
from typing import Any

import pytest

from drs_conformance.contract.exchange import Exchange, RecordedRequest, RecordedResponse
from drs_conformance.reporting import RunInfo, build_report, parse_deviations
from drs_conformance.reporting.outcomes import TestOutcome as Outcome
from drs_conformance.transport.redaction import Redactor

BASE_URL = "http://127.0.0.1:8765"
PROJECT = "0123456789abcdef0123456789abcdef"
PAUSE_URL = f"{BASE_URL}/v3/{PROJECT}/jobs/batch-pause-task"
JOB_ID = "8d0e8e36-a618-490d-8a46-8c61ac9jb502"
TODAY = dt.date(2026, 1, 15)

# Every secret holds a core ("Zz" + letters + digits) that survives any escaping: tests look for it.
SECRETS = {
    "token": "MIIZzTOKEN0001-+/=abc",
    "ak": "AKZzACCESS0002",
    "sk": "skZzSECRETKEY0003+/",
    "signature": "9f86d081ZzSIG0004e5b",
    "configured": "it's&<ZzCONF0005>\"x",
}
SECRET_CORES = ("ZzTOKEN0001", "ZzACCESS0002", "ZzSECRETKEY0003", "ZzSIG0004", "ZzCONF0005")
HOSTILE = '<script>window.__pwned = 1; console.error("pwned")</script><img src=x onerror="window.__pwned=2">'


def outcome(nodeid: str, requirement: str, result: str = "passed", **kwargs: Any) -> Outcome:
    """A TestOutcome with one requirement; `failed_requirement` defaults to it for failures."""
    if result in ("failed", "error", "xfailed") and "failed_requirement" not in kwargs:
        kwargs["failed_requirement"] = requirement
    return Outcome(nodeid=nodeid, requirements=(requirement,), outcome=result, **kwargs)  # type: ignore[arg-type]


def token_exchange(body: str | None = None, status: int = 200, response_body: str = "{}") -> Exchange:
    """A token-authenticated pause request with the token (and more) left unredacted on purpose."""
    token = SECRETS["token"]
    request_body = body if body is not None else json.dumps({"jobs": [{"job_id": JOB_ID, "pause_mode": "target"}]})
    return Exchange(
        request=RecordedRequest(
            method="POST",
            url=f"{PAUSE_URL}?trace={SECRETS['configured']}",
            headers=[
                ("Content-Type", "application/json"),
                ("X-Auth-Token", token),
                ("X-Trace", f"token={token}"),
                ("Content-Length", str(len(request_body))),
            ],
            body=request_body,
            body_size=len(request_body.encode()),
        ),
        response=RecordedResponse(
            status=status,
            headers=[("Content-Type", "application/json"), ("X-Echo", SECRETS["configured"])],
            body=response_body,
            elapsed_ms=12.5,
        ),
        label="pause",
    )


def signed_exchange() -> Exchange:
    """An AK/SK-signed request: Authorization carries AK and signature, the body echoes the SK."""
    authorization = (
        f"SDK-HMAC-SHA256 Access={SECRETS['ak']}, SignedHeaders=content-type;host;x-sdk-date, "
        f"Signature={SECRETS['signature']}"
    )
    body = json.dumps({"jobs": [{"job_id": JOB_ID, "pause_mode": "all"}], "note": SECRETS["sk"]})
    return Exchange(
        request=RecordedRequest(
            method="POST",
            url=PAUSE_URL,
            headers=[
                ("Content-Type", "application/json"),
                ("X-Sdk-Date", "20260115T101010Z"),
                ("Authorization", authorization),
            ],
            body=body,
            body_size=len(body),
        ),
        response=RecordedResponse(
            status=200,
            headers=[("Content-Type", "application/json")],
            body=json.dumps({"results": [{"id": JOB_ID, "status": "success"}], "count": 2, "echo": authorization}),
        ),
    )


@pytest.fixture
def redactor() -> Redactor:
    return Redactor(SECRETS.values())


def mixed_outcomes() -> list[Outcome]:
    """Outcomes on the shipped catalogue giving every verdict, with secrets and hostile bodies planted."""
    token = SECRETS["token"]
    return [
        outcome("suites/test_doc.py::test_documented_example", "DOC-EXAMPLE"),
        outcome(
            "suites/test_body.py::test_not_json[array]",
            "BODY-SHAPE",
            "failed",
            failed_requirement="NO-5XX",
            message=f"Received: 500 / Documented: 400\nbody: {HOSTILE}",
            exchanges=(token_exchange(body="[]", status=500, response_body=HOSTILE),),
            reproduce=f"drs-conformance run --auth-token {token} -k test_not_json",
        ),
        outcome(
            "suites/test_ids.py::test_job_id_rule[upper]",
            "JOB-ID-RULE",
            "failed",
            message=f"Received: 200 / Documented: 400 (token {token}, sk {SECRETS['sk']})",
            exchanges=(token_exchange(), token_exchange(body='{"jobs": [{"job_id": "X"}]}')),
        ),
        outcome(
            "suites/test_headers.py::test_content_type_415",
            "CONTENT-TYPE-415",
            "failed",
            message="Received: 400 / Documented: 415 | <b>not bold</b> *not italic*",
            exchanges=(token_exchange(status=400),),
        ),
        outcome(
            "suites/test_errors.py::test_documented_code",
            "ERROR-CODE-DOCUMENTED",
            "xfailed",
            message="error_code DRS.X999 is not documented",
            deviation="gateway code; ticket DRS-1",
            exchanges=(token_exchange(status=400),),
        ),
        outcome(
            "suites/test_auth.py::test_status_401",
            "AUTH-STATUS-401",
            "xpassed",
            deviation="answered 403 until release 7",
        ),
        outcome(
            "suites/test_auth.py::test_signed_request",
            "AUTH-REQUIRED",
            "failed",
            message=f"signature {SECRETS['signature']} was accepted for AK {SECRETS['ak']}",
            exchanges=(signed_exchange(),),
        ),
        outcome(
            "suites/test_batches.py::test_batch_100",
            "BATCH-100",
            "skipped",
            message="the inventory names 12 jobs; 100 are needed",
        ),
    ]


def passing_outcomes(*failing: str) -> list[Outcome]:
    """One passing test per requirement of the shipped catalogue (a complete run), but a failing one for `failing`."""
    from drs_conformance.contract.catalogue import catalogue

    return [
        outcome(
            f"suites/test_all.py::test_{r.id.lower().replace('-', '_')}",
            r.id,
            "failed" if r.id in failing else "passed",
            message="Received: 1 / Documented: 2",
        )
        for r in catalogue()
    ]


def unanswered(nodeid: str, requirement: str, requests: int = 1) -> Outcome:
    """A test that ended because the target gave no answer."""
    return Outcome(
        nodeid=nodeid,
        requirements=(requirement,),
        outcome="unanswered",
        unanswered_requests=requests,
        message="the target did not answer: POST /v3/p/jobs/batch-pause-task: connection reset",
        reproduce=f"drs-conformance run -- {nodeid}",
    )


def mixed_deviations():
    return parse_deviations(
        [
            {
                "requirement": "ERROR-CODE-DOCUMENTED",
                "test": "test_documented_code",
                "reason": "gateway code; ticket DRS-1",
            },
            {"requirement": "AUTH-STATUS-401", "reason": "answered 403 until release 7", "expires": "2026-12-31"},
            {
                "requirement": "JOB-ID-RULE",
                "reason": f"old validator ({SECRETS['configured']})",
                "expires": "2025-12-31",
            },
        ],
        source="known-deviations.yaml",
    )


def run_info(**overrides: Any) -> RunInfo:
    values: dict[str, Any] = {
        "base_url": BASE_URL,
        "mode": "control-api",
        "project_id": PROJECT,
        "started_at": dt.datetime(2026, 1, 15, 10, 0, 0, tzinfo=dt.UTC),
        "finished_at": dt.datetime(2026, 1, 15, 10, 0, 42, 500000, tzinfo=dt.UTC),
        "seed": 1234567,
        "hypothesis_profile": "ci",
        "options": {
            "auth_token": SECRETS["token"],
            "sk": SECRETS["sk"],
            "ak": SECRETS["ak"],
            "extra_headers": [f"X-Debug: {SECRETS['configured']}"],
            "inventory": "ci/inventory.yaml",
        },
        "deviations_file": "known-deviations.yaml",
    }
    return RunInfo(**{**values, **overrides})


@pytest.fixture
def mixed_report() -> dict[str, Any]:
    """A report with every verdict; built WITHOUT the redactor so the writer's passes are what is tested."""
    return build_report(run_info(), mixed_outcomes(), deviations=mixed_deviations(), today=TODAY)


@pytest.fixture
def samples() -> SimpleNamespace:
    """The helpers and constants above, for test modules (conftest is not imported by name)."""
    return SimpleNamespace(
        BASE_URL=BASE_URL,
        PROJECT=PROJECT,
        PAUSE_URL=PAUSE_URL,
        JOB_ID=JOB_ID,
        TODAY=TODAY,
        SECRETS=SECRETS,
        SECRET_CORES=SECRET_CORES,
        HOSTILE=HOSTILE,
        outcome=outcome,
        token_exchange=token_exchange,
        signed_exchange=signed_exchange,
        mixed_outcomes=mixed_outcomes,
        passing_outcomes=passing_outcomes,
        unanswered=unanswered,
        mixed_deviations=mixed_deviations,
        run_info=run_info,
    )
