"""The kit's control-API client on a vendor's sandbox: DELETE used when served, found by health or a probe; the bulk
forms used when declared, one request per job otherwise."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import httpx
import pytest

from drs_conformance.live.target import ControlApi

JOB = "k0000000-1111-2222-3333-444444444444"


@pytest.fixture
def control() -> Iterator[Callable[..., tuple[ControlApi, list[str]]]]:
    """A ControlApi on a fake sandbox: `health` is its health body, `delete` the DELETE status it answers."""
    opened: list[ControlApi] = []

    def make(*, health: dict[str, object], delete: int) -> tuple[ControlApi, list[str]]:
        seen: list[str] = []

        def handler(request: httpx.Request) -> httpx.Response:
            seen.append(f"{request.method} {request.url.path}")
            if request.method == "GET" and request.url.path == "/_sandbox/health":
                return httpx.Response(200, json=health)
            return httpx.Response(delete, json={"error_code": "SANDBOX.0404"} if delete == 404 else None)

        api = ControlApi("http://vendor.invalid", 5.0, transport=httpx.MockTransport(handler))
        opened.append(api)
        return api, seen

    yield make
    for api in opened:
        api.close()


def test_a_sandbox_with_the_basic_four_endpoints_is_probed_once(control: Callable) -> None:
    api, seen = control(health={"status": "ok"}, delete=405)
    assert api.health() and api.can_delete is None, "a health without extensions declared DELETE"
    assert api.delete_job(JOB) is False and api.delete_job(JOB) is False
    assert seen.count(f"DELETE /_sandbox/jobs/{JOB}") == 1, f"DELETE was asked again after a 405: {seen}"


def test_a_404_to_the_first_delete_means_no_such_route(control: Callable) -> None:
    """The job was made by the run a moment ago: a 404 there says the route is missing, not the job."""
    api, _ = control(health={"status": "ok"}, delete=404)
    assert api.delete_job(JOB) is False and api.can_delete is False


def test_a_declared_delete_takes_404_as_already_gone(control: Callable) -> None:
    api, _ = control(health={"status": "ok", "extensions": ["delete-job"]}, delete=404)
    assert api.health() and api.can_delete is True
    assert api.delete_job(JOB) is True


def test_a_served_delete_is_used(control: Callable) -> None:
    api, seen = control(health={"status": "ok"}, delete=204)
    assert api.delete_job(JOB) is True and api.delete_job(JOB) is True and api.can_delete is True
    assert seen.count(f"DELETE /_sandbox/jobs/{JOB}") == 2


def test_an_unexpected_answer_is_not_taken_for_a_missing_route(control: Callable) -> None:
    api, _ = control(health={"status": "ok"}, delete=500)
    with pytest.raises(AssertionError, match="answered 500"):
        api.delete_job(JOB)


# -- bulk forms: used when declared, one by one otherwise ---------------------------------------------------


class FakeSandbox:
    """A sandbox's control API in memory: the four basic endpoints, DELETE, and the bulk forms it is told to serve
    (`served`), of which it declares `declared` in its health (a gateway may declare what it does not pass on)."""

    def __init__(self, *, declared: tuple[str, ...], served: tuple[str, ...] | None = None) -> None:
        self.jobs: dict[str, dict[str, object]] = {}
        self.declared = declared
        self.served = declared if served is None else served
        self.seen: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path, method = request.url.path, request.method
        self.seen.append(f"{method} {path}")
        body = json.loads(request.content) if request.content else None
        if path == "/_sandbox/health":
            return httpx.Response(200, json={"status": "ok", "jobs": len(self.jobs), "extensions": list(self.declared)})
        bulk = {
            ("PUT", "/_sandbox/jobs"): "bulk-put",
            ("POST", "/_sandbox/jobs/query"): "bulk-query",
            ("POST", "/_sandbox/jobs/delete"): "bulk-delete",
        }.get((method, path))
        if bulk is not None:
            if bulk not in self.served:
                return httpx.Response(404 if method == "PUT" else 405, json={"error_code": "SANDBOX.0404"})
            if bulk == "bulk-put":
                for job in body["jobs"]:
                    self.jobs[job["id"]] = {**job, "pause_mode": None}
                return httpx.Response(200, json={"jobs": [self.jobs[job["id"]] for job in reversed(body["jobs"])]})
            if bulk == "bulk-query":
                return httpx.Response(200, json={"jobs": [self.jobs[i] for i in body["ids"] if i in self.jobs]})
            gone = [i for i in body["ids"] if self.jobs.pop(i, None) is not None]
            return httpx.Response(200, json={"deleted": gone, "not_found": [i for i in body["ids"] if i not in gone]})
        job_id = path.rsplit("/", 1)[-1]
        if method == "PUT":
            self.jobs[job_id] = {"id": job_id, **body, "pause_mode": None}
            return httpx.Response(200, json=self.jobs[job_id])
        if method == "GET":
            return httpx.Response(200, json=self.jobs[job_id]) if job_id in self.jobs else httpx.Response(404, json={})
        return httpx.Response(204 if self.jobs.pop(job_id, None) is not None else 404)

    def count(self, prefix: str) -> int:
        return sum(1 for line in self.seen if line.startswith(prefix))


BULK = ("delete-job", "bulk-put", "bulk-query", "bulk-delete")
IDS = [f"k{n:07d}-1111-2222-3333-444444444444" for n in range(250)]


def _records(ids: list[str]) -> list[dict[str, str]]:
    return [{"id": job_id, "project_id": "p1", "status": "CREATING", "type": "sync"} for job_id in ids]


@pytest.fixture
def on() -> Iterator[Callable[[FakeSandbox], ControlApi]]:
    opened: list[ControlApi] = []

    def make(sandbox: FakeSandbox) -> ControlApi:
        api = ControlApi("http://vendor.invalid", 5.0, transport=httpx.MockTransport(sandbox))
        opened.append(api)
        assert api.health()
        return api

    yield make
    for api in opened:
        api.close()


def test_declared_bulk_forms_take_a_hundred_jobs_a_request(on: Callable) -> None:
    sandbox = FakeSandbox(declared=BULK)
    api = on(sandbox)
    stored = api.put_jobs(_records(IDS))
    assert list(stored) == IDS and all(stored[i]["id"] == i for i in IDS), "records not matched by id"
    found = api.get_jobs([*IDS, "k9999999-1111-2222-3333-444444444444"])
    assert found["k9999999-1111-2222-3333-444444444444"] is None and all(found[i] is not None for i in IDS)
    assert api.delete_jobs(IDS) == len(IDS) and not sandbox.jobs
    assert [
        sandbox.count(p) for p in ("PUT /_sandbox/jobs", "POST /_sandbox/jobs/query", "POST /_sandbox/jobs/delete")
    ] == [3, 3, 3], sandbox.seen
    assert sandbox.count("GET /_sandbox/jobs/") == 0 and sandbox.count("DELETE") == 0, "a job was asked for alone"


def test_a_sandbox_with_the_basic_four_endpoints_gets_one_request_per_job(on: Callable) -> None:
    sandbox = FakeSandbox(declared=())
    api = on(sandbox)
    api.put_jobs(_records(IDS[:3]))
    assert api.get_jobs(IDS[:3]) == {i: {**r, "pause_mode": None} for i, r in zip(IDS, _records(IDS[:3]), strict=False)}
    assert api.delete_jobs(IDS[:3]) == 3 and not sandbox.jobs  # DELETE found by probing
    assert sandbox.count("PUT /_sandbox/jobs/") == 3 and sandbox.count("GET /_sandbox/jobs/") == 3
    assert not any(line.endswith(("/_sandbox/jobs", "/query", "/delete")) for line in sandbox.seen), (
        f"a bulk form was asked of a sandbox that does not declare it: {sandbox.seen}"
    )


def test_a_declared_bulk_form_that_is_not_there_is_asked_once(on: Callable) -> None:
    """A gateway in front of the sandbox may 404 routes the sandbox declares: one by one from then on."""
    sandbox = FakeSandbox(declared=BULK, served=("delete-job",))
    api = on(sandbox)
    for _ in range(2):
        api.put_jobs(_records(IDS[:2]))
        assert set(api.get_jobs(IDS[:2])) == set(IDS[:2])
    assert api.delete_jobs(IDS[:2]) == 2 and not sandbox.jobs
    for bulk in ("PUT /_sandbox/jobs", "POST /_sandbox/jobs/query", "POST /_sandbox/jobs/delete"):
        assert sandbox.seen.count(bulk) == 1, f"{bulk} asked again after it was not there: {sandbox.seen}"
    assert sandbox.count("PUT /_sandbox/jobs/") == 4 and sandbox.count("GET /_sandbox/jobs/") == 4


def test_a_bulk_answer_without_a_record_is_not_taken_for_success(on: Callable) -> None:
    class Forgetful(FakeSandbox):
        def __call__(self, request: httpx.Request) -> httpx.Response:
            response = super().__call__(request)
            if request.method == "PUT" and request.url.path == "/_sandbox/jobs":
                return httpx.Response(200, json={"jobs": response.json()["jobs"][1:]})
            return response

    api = on(Forgetful(declared=BULK))
    with pytest.raises(AssertionError, match="did not return the record of"):
        api.put_jobs(_records(IDS[:2]))
