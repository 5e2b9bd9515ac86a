"""The kit's control-API client on a vendor's sandbox: DELETE used when served, found by health or a probe."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from drs_conformance.target import ControlApi

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
