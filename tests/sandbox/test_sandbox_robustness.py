"""Any input, any size, any header: a clear JSON 4xx (or 200), never a 5xx, never a hang."""

from __future__ import annotations

import json
import random

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sandbox_helpers import Api

from drs_conformance.contract.spec import PAUSE_PATH, RETRY_PATH, STATUS_PATH, contract
from drs_conformance.sandbox import DEFAULT_PROJECT, DEFAULT_TOKEN, RunningSandbox

PATHS = [p.format(project_id=DEFAULT_PROJECT) for p in (PAUSE_PATH, STATUS_PATH, RETRY_PATH)]
HEADERS = {"X-Auth-Token": DEFAULT_TOKEN, "Content-Type": "application/json"}
ID = contract().example_job_id


def assert_clear(response: httpx.Response) -> None:
    assert response.status_code < 500, f"received {response.status_code}, documented no 5xx: {response.text[:200]}"
    if response.status_code != 204 and response.request.method != "HEAD":
        assert response.headers.get("content-type", "").startswith("application/json"), (
            f"received Content-Type {response.headers.get('content-type')!r} with {response.status_code}, documented JSON"
        )
        json.loads(response.content)


_rng = random.Random(20240601)
HOSTILE_BODIES = [
    pytest.param(bytes(_rng.getrandbits(8) for _ in range(512)), id="random-bytes"),
    pytest.param(b"\xef\xbb\xbf" + json.dumps({"jobs": [{"job_id": ID, "pause_mode": "all"}]}).encode(), id="utf8-bom"),
    pytest.param(json.dumps({"jobs": [{"job_id": ID, "pause_mode": "all"}]}).encode("utf-16"), id="utf-16"),
    pytest.param(b'{"jobs": [{"job_id": "\\ud800", "pause_mode": "all"}]}', id="lone-surrogate"),
    pytest.param(b'{"jobs": [{"job_id": "\\u0000", "pause_mode": "\\u0000"}]}', id="nul"),
    pytest.param(b'{"jobs": 1e999}', id="huge-float"),
    pytest.param(b'{"jobs": ' + b"9" * 5000 + b"}", id="huge-integer"),
    pytest.param(b'{"jobs": [' + b"{" * 50000, id="unclosed-nesting"),
    pytest.param(b'{"jobs": [{"job_id": ' + b"[" * 900 + b"]" * 900 + b', "pause_mode": "all"}]}', id="nested-job-id"),
    pytest.param(b'{"jobs": [{"job_id": "' + b"a" * 500_000 + b'", "pause_mode": "all"}]}', id="long-job-id"),
    pytest.param(json.dumps({"jobs": [{}] * 20000}).encode(), id="many-empty-items"),
    pytest.param(json.dumps({f"k{i}": i for i in range(20000)}).encode(), id="many-keys"),
    pytest.param(
        json.dumps({"jobs": [{"job_id": ID, "pause_mode": "all"}], "page_req": {"cur_page": "x"}}).encode(),
        id="page-req-wrong",
    ),
    pytest.param(b"\x00" * 100, id="nul-bytes"),
    pytest.param(
        b'{"jobs": [{"job_id": "' + ID.encode() + b'", "pause_mode": "all", "job_id": 1}]}', id="duplicate-keys"
    ),
]


@pytest.mark.anyio
@pytest.mark.parametrize("path", PATHS, ids=["pause", "status", "retry"])
@pytest.mark.parametrize("content", HOSTILE_BODIES)
async def test_hostile_bodies_get_a_clear_answer(api: Api, path: str, content: bytes) -> None:
    response = await api.client.post(path, content=content, headers=HEADERS)
    assert_clear(response)


@pytest.mark.anyio
@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"Content-Type": "application/json; charset=\u00ff".encode("latin-1")}, id="latin1-param"),
        pytest.param({"Content-Type": ";;;"}, id="content-type-junk"),
        pytest.param({"X-Language": "\u4e2d\u6587".encode("utf-8")}, id="language-utf8"),
        pytest.param({"X-Auth-Token": b"\xff\xfe"}, id="token-bytes"),
        pytest.param(
            {
                "Authorization": "SDK-HMAC-SHA256 Access=\u00e9, SignedHeaders=host;x-sdk-date, Signature=ab".encode(
                    "utf-8"
                )
            },
            id="authorization-utf8",
        ),
        pytest.param(
            {
                "X-Auth-Token": DEFAULT_TOKEN,
                "Authorization": "SDK-HMAC-SHA256 Access=SANDBOXACCESSKEY0001, SignedHeaders=host;x-sdk-date, Signature=ab",
                "X-Sdk-Date": "garbage",
            },
            id="aksk-bad-date",
        ),
        pytest.param({"Content-Length": "0"}, id="zero-length"),
    ],
)
async def test_hostile_headers_get_a_clear_answer(api: Api, headers: dict[str, str | bytes]) -> None:
    merged = {**HEADERS, **headers}
    content = b"" if headers.get("Content-Length") == "0" else json.dumps(contract().example_request).encode()
    response = await api.client.post(PATHS[0], content=content, headers=merged)
    assert_clear(response)


@pytest.mark.anyio
@pytest.mark.parametrize("project", ["\u4efb\u52a1", "%2F", "a" * 5000, "%00", "..", "p%20q"])
async def test_hostile_project_ids_get_a_clear_answer(api: Api, project: str) -> None:
    response = await api.client.post(
        f"/v3/{project}/jobs/batch-pause-task", json=contract().example_request, headers=HEADERS
    )
    assert_clear(response)
    assert response.status_code in (403, 404), f"received {response.status_code} for project {project[:20]!r}"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=30,
)
job_like = st.fixed_dictionaries(
    {},
    optional={
        "job_id": st.one_of(
            st.just(ID),
            st.text(alphabet="0123456789abcdefghijklmnopqrstuvwxyz-", min_size=30, max_size=40),
            json_values,
        ),
        "pause_mode": st.one_of(st.sampled_from(["target", "all", "TARGET", " all", ""]), json_values),
    },
)
bodies = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"jobs": st.lists(st.one_of(job_like, json_values), max_size=8)},
        optional={"page_req": json_values, "x": json_values},
    ),
)


@settings(
    max_examples=200,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    path=st.sampled_from(PATHS),
    body=bodies,
    language=st.one_of(st.none(), st.sampled_from(["en-us", "zh-cn", "fr", ""])),
)
def test_generated_bodies_over_http_never_get_a_5xx(
    live_sandbox: RunningSandbox, path: str, body: object, language: str | None
) -> None:
    headers = dict(HEADERS)
    if language is not None:
        headers["X-Language"] = language
    with httpx.Client(base_url=live_sandbox.url, timeout=10, trust_env=False) as client:
        assert_clear(client.post(path, content=json.dumps(body).encode(), headers=headers))
