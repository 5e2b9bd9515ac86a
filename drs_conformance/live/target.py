"""The target of a run: where it is, how to reach it, and what it lets the suites do."""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from drs_conformance.contract.control_extensions import (
    BULK_DELETE_EXTENSION,
    BULK_PUT_EXTENSION,
    BULK_QUERY_EXTENSION,
    DELETE_JOB_EXTENSION,
)
from drs_conformance.contract.inventory import FOREIGN_PROJECT_DEFAULT, Inventory, load_inventory
from drs_conformance.errors import NoAnswer, TargetRefused, TargetUnreachable, UsageError
from drs_conformance.live.journal import RunJournal
from drs_conformance.plugin.options import KitOptions
from drs_conformance.transport.client import REQUESTS, DrsClient, ExchangeLog, RateLimiter, operation_of
from drs_conformance.transport.credentials import AkSkCredentials, Credentials, TokenCredentials
from drs_conformance.transport.redaction import Redactor
from drs_conformance.transport.send import open_client, send_repeatable

__all__ = ["ControlApi", "Target", "new_job_id", "open_target", "round_trip_time"]

_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


_RANDOM = random.Random()  # seeded from the OS once; ids need to be unique, not unguessable


def _random_chars(length: int) -> str:
    return "".join(_RANDOM.choices(_ALPHABET, k=length))


def new_job_id(prefix: str = "") -> str:
    """A fresh well-formed job id (8-4-4-4-12 over [0-9a-z]) starting with `prefix` (at most 8 chars)."""
    head = (prefix + _random_chars(8))[:8]
    return f"{head}-{_random_chars(4)}-{_random_chars(4)}-{_random_chars(4)}-{_random_chars(12)}"


_BULK_CHUNK = 100  # jobs per bulk control-API request (the kit's sandbox takes up to CONTROL_BULK_LIMIT)
_NOT_SERVED = (404, 405, 501)  # a route a sandbox does not serve


def _chunks(items: Sequence[Any], size: int = _BULK_CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class ControlApi:
    """The sandbox control API of the contract notes (test hook; never on production).

    The optional additions a sandbox declares under `extensions` in GET /_sandbox/health are used when present
    (DELETE of one job; bulk PUT, query and delete of many jobs in one request); without them, or when a declared
    one answers 404, 405 or 501, the kit works with the four basic endpoints, one job per request.
    """

    def __init__(
        self,
        base_url: str,
        timeout: float,
        transport: httpx.BaseTransport | None = None,
        rate_limiter: RateLimiter | None = None,
    ) -> None:
        self._http = open_client(base_url=base_url.rstrip("/"), timeout=timeout, transport=transport)
        self._timeout = timeout
        self._limiter = rate_limiter or RateLimiter(None)
        # DELETE /_sandbox/jobs/{id} is an optional addition of the contract notes: None = not known yet.
        self.can_delete: bool | None = None
        self.extensions: frozenset[str] = frozenset()  # as /_sandbox/health declares them
        self._not_served: set[str] = set()  # declared, but answered as a route that is not there

    def _send(self, method: str, path: str, **options: Any) -> httpx.Response:
        """One request: throttled with the run's other requests (--rate-limit), counted by route.

        Every control-API request changes nothing when sent twice (a PUT or DELETE of a record, a read, a reset):
        after a lost connection it is sent again, a bounded number of times, then raises NoAnswer."""

        def before_each(request: httpx.Request) -> None:
            self._limiter.wait()
            REQUESTS.add(operation_of(method, path))

        return send_repeatable(self._http, method, path, timeout=self._timeout, before_each=before_each, **options)

    def health(self) -> bool:
        """Whether the control API answers; learns from the answer which optional additions it declares.

        NoAnswer when no attempt got an answer: the target is unreachable, which is not "no control API"."""
        response = self._send("GET", "/_sandbox/health")
        if response.status_code != 200:
            return False
        try:
            declared = response.json().get("extensions")
        except (ValueError, AttributeError):
            declared = None
        if isinstance(declared, list):
            self.extensions = frozenset(name for name in declared if isinstance(name, str))
        if DELETE_JOB_EXTENSION in self.extensions:
            self.can_delete = True
        return True

    def reset(self) -> None:
        response = self._send("POST", "/_sandbox/reset")
        assert response.status_code in (200, 204), f"control API reset answered {response.status_code}"

    # -- one job ------------------------------------------------------------------------------------------

    def put_job(self, job_id: str, *, project_id: str, status: str, type: str) -> dict[str, Any]:
        response = self._send(
            "PUT", f"/_sandbox/jobs/{job_id}", json={"project_id": project_id, "status": status, "type": type}
        )
        assert response.status_code == 200, (
            f"control API PUT /_sandbox/jobs/{job_id} answered {response.status_code}: {response.text[:200]}"
        )
        return response.json()

    def get_job(self, job_id: str) -> dict[str, Any] | None:
        response = self._send("GET", f"/_sandbox/jobs/{job_id}")
        if response.status_code == 404:
            return None
        assert response.status_code == 200, (
            f"control API GET /_sandbox/jobs/{job_id} answered {response.status_code}: {response.text[:200]}"
        )
        return response.json()

    def delete_job(self, job_id: str) -> bool:
        """Remove a job the run created (True: gone); False when the target has no DELETE (then never asked again).

        Without a declaration in /_sandbox/health, the first DELETE probes: 2xx means it is served; 404, 405 or
        501 for a job the run has just made means the route is not there (a vendor sandbox with the basic four).
        """
        if self.can_delete is False:
            return False
        response = self._send("DELETE", f"/_sandbox/jobs/{job_id}")
        if response.status_code in (200, 204) or (response.status_code == 404 and self.can_delete):
            self.can_delete = True
            return True
        if response.status_code in _NOT_SERVED:
            self.can_delete = False
            return False
        raise AssertionError(
            f"control API DELETE /_sandbox/jobs/{job_id} answered {response.status_code}: {response.text[:200]}"
        )

    # -- many jobs: one request per chunk where the bulk forms are served, else one per job ----------------------

    def _bulk(self, extension: str, method: str, path: str, body: Mapping[str, Any]) -> Any | None:
        """The JSON answer of a bulk request, or None when the sandbox does not serve that bulk form (asked once)."""
        if extension not in self.extensions or extension in self._not_served:
            return None
        response = self._send(method, path, json=body)
        if response.status_code in _NOT_SERVED:
            self._not_served.add(extension)  # declared, yet not there (a gateway in front?): one by one from now
            return None
        assert response.status_code == 200, (
            f"control API {method} {path} answered {response.status_code}: {response.text[:200]}"
        )
        return response.json()

    def put_jobs(self, jobs: Sequence[Mapping[str, str]]) -> dict[str, dict[str, Any]]:
        """Create or replace jobs ({"id", "project_id", "status", "type"} each); their records as stored, by id."""
        stored: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(list(jobs)):
            answer = self._bulk(BULK_PUT_EXTENSION, "PUT", "/_sandbox/jobs", {"jobs": list(chunk)})
            if answer is None:
                for job in chunk:
                    stored[job["id"]] = self.put_job(
                        job["id"], project_id=job["project_id"], status=job["status"], type=job["type"]
                    )
                continue
            records = {record.get("id"): record for record in answer.get("jobs", []) if isinstance(record, dict)}
            missing = [job["id"] for job in chunk if job["id"] not in records]
            assert not missing, f"control API PUT /_sandbox/jobs did not return the record of {missing[0]}"
            stored.update({job["id"]: records[job["id"]] for job in chunk})
        return stored

    def get_jobs(self, job_ids: Iterable[str]) -> dict[str, dict[str, Any] | None]:
        """Each job's record (None: no such job), by id."""
        found: dict[str, dict[str, Any] | None] = {}
        for chunk in _chunks(list(dict.fromkeys(job_ids))):
            answer = self._bulk(BULK_QUERY_EXTENSION, "POST", "/_sandbox/jobs/query", {"ids": list(chunk)})
            if answer is None:
                found.update({job_id: self.get_job(job_id) for job_id in chunk})
                continue
            records = {record.get("id"): record for record in answer.get("jobs", []) if isinstance(record, dict)}
            found.update({job_id: records.get(job_id) for job_id in chunk})
        return found

    def delete_jobs(self, job_ids: Iterable[str]) -> int:
        """Remove jobs the run created; how many of them are gone (all of them unless the target has no DELETE)."""
        ids = list(dict.fromkeys(job_ids))
        gone = 0
        for chunk in _chunks(ids):
            if self._bulk(BULK_DELETE_EXTENSION, "POST", "/_sandbox/jobs/delete", {"ids": list(chunk)}) is not None:
                gone += len(chunk)  # deleted now, or not there (deleted already)
                continue
            for job_id in chunk:
                if not self.delete_job(job_id):
                    return gone
                gone += 1
        return gone

    def close(self) -> None:
        self._http.close()


@dataclass
class Target:
    """Everything the suites know about the target of this run."""

    options: KitOptions
    mode: str
    base_url: str
    project_id: str
    credentials: Credentials
    redactor: Redactor
    client: DrsClient
    control: ControlApi | None = None
    inventory: Inventory | None = None
    # AK/SK credentials for the signing tests, when the kit has them (embedded, or --ak/--sk).
    aksk: AkSkCredentials | None = None
    foreign_project_id: str = FOREIGN_PROJECT_DEFAULT
    run_prefix: str = field(default_factory=lambda: "k" + _random_chars(3))
    sandbox: Any = None  # the embedded sandbox (RunningSandbox), if any
    # The journal and job locks of this run (inventory and external control-API runs), set by the plugin.
    journal: RunJournal | None = None
    # Inventory jobs found PAUSING at the start and not in the journal: someone else's; never leased or resumed.
    paused_by_others: frozenset[str] = frozenset()
    # Jobs this process could not put back (id -> why); they stay open in the journal.
    left_paused: dict[str, str] = field(default_factory=dict)
    # Jobs the run created through a control API without DELETE (left on the target, run-prefixed).
    undeleted: int = 0
    # Jobs the run created and its tests are done with: deleted a chunk at a time (and at close), not one by one.
    _discarded: list[str] = field(default_factory=list, repr=False)

    @property
    def can_create_jobs(self) -> bool:
        return self.control is not None

    @property
    def shares_jobs(self) -> bool:
        """Whether the target has jobs the run did not make (any external target; the embedded one is the run's own)."""
        return self.sandbox is None

    def client_for(self, log: ExchangeLog) -> DrsClient:
        """A client recording into one test's log (connections shared)."""
        return self.client.with_log(log)

    def discard(self, job_ids: Iterable[str]) -> None:
        """Jobs the run created (external control API) that its tests are done with: removed with the next chunk."""
        self._discarded.extend(job_ids)
        if len(self._discarded) >= _BULK_CHUNK:
            self.delete_discarded()

    def delete_discarded(self) -> None:
        """Remove the discarded jobs now; what cannot be removed is counted (run-prefixed, it harms no one)."""
        ids, self._discarded = self._discarded, []
        if not ids or self.control is None:
            return
        try:
            gone = self.control.delete_jobs(ids)
        except (NoAnswer, AssertionError):  # the control API is the kit's tool, not under test
            gone = 0
        self.undeleted += len(ids) - gone

    def close(self) -> None:
        try:
            self.delete_discarded()
        finally:
            self.client.close()
            if self.control is not None:
                self.control.close()
            if self.sandbox is not None:
                self.sandbox.stop()


def _embedded(options: KitOptions, redactor: Redactor) -> Target:
    """Start the embedded sandbox (with the defect or variants asked for) and aim at it."""
    from drs_conformance.sandbox import (
        DEFAULT_AK,
        DEFAULT_PROJECT,
        DEFAULT_SK,
        DEFAULT_TOKEN,
        SandboxConfig,
        start_in_thread,
    )
    from drs_conformance.sandbox.defects import ActiveDefect
    from drs_conformance.sandbox.variants import parse_variant_choices

    config = SandboxConfig(
        defect=ActiveDefect(options.sandbox_defect),
        variants=parse_variant_choices(options.sandbox_variants, flag="--sandbox-variant"),
        effect_lag=options.sandbox_effect_lag,
    )
    sandbox = start_in_thread(config)
    credentials = TokenCredentials(DEFAULT_TOKEN)
    client = DrsClient(
        base_url=sandbox.url,
        project_id=DEFAULT_PROJECT,
        credentials=credentials,
        redactor=redactor,
        timeout=options.timeout,
    )
    control = ControlApi(sandbox.url, options.timeout)
    control.health()  # its optional additions (the bulk forms)
    control.reset()
    return Target(
        options=options,
        mode="embedded",
        base_url=sandbox.url,
        project_id=DEFAULT_PROJECT,
        credentials=credentials,
        redactor=redactor,
        client=client,
        control=control,
        aksk=AkSkCredentials(DEFAULT_AK, DEFAULT_SK),
        sandbox=sandbox,
    )


def _external(options: KitOptions, redactor: Redactor) -> Target:
    """Aim at an external endpoint with the given credentials, control API or inventory."""
    assert options.base_url is not None and options.request_url is not None
    inventory = load_inventory(options.inventory) if options.inventory else None
    project_id = options.project_id or (inventory.project_id if inventory else None)
    assert project_id, "options were checked: a project id is known"
    if inventory is not None and options.project_id and inventory.project_id != options.project_id:
        raise UsageError(
            f"{inventory.source} names project {inventory.project_id} but --project-id is {options.project_id}; "
            "make them agree"
        )
    credentials: Credentials
    aksk = None
    if options.auth_token:
        credentials = TokenCredentials(options.auth_token)
    else:
        assert options.ak and options.sk
        credentials = aksk = AkSkCredentials(options.ak, options.sk)
    limiter = RateLimiter(options.rate_limit, options.rate_limit_file)  # shared with the run's other processes
    client = DrsClient(
        base_url=options.request_url,
        project_id=project_id,
        credentials=credentials,
        redactor=redactor,
        timeout=options.timeout,
        rate_limiter=limiter,
    )
    control = None
    if options.control_api:
        control = ControlApi(options.request_url, options.timeout, rate_limiter=limiter)
        try:
            served = control.health()
        except NoAnswer as exc:
            raise TargetUnreachable(
                f"cannot reach the control API of {client.base_url}: {exc}; check --base-url and that the target is up"
            ) from None
        if not served:
            raise TargetRefused(
                f"{options.base_url} does not serve the sandbox control API (GET /_sandbox/health is not 200); "
                "drop --control-api, or give --inventory for a live target"
            )
    foreign_project = FOREIGN_PROJECT_DEFAULT
    if inventory is not None:
        projects = {job.project_id for job in inventory.foreign_jobs if job.project_id}
        foreign_project = next(iter(sorted(projects)), FOREIGN_PROJECT_DEFAULT)
    return Target(
        options=options,
        mode=options.mode,
        base_url=client.base_url,  # without user-info: what reports and messages show
        project_id=project_id,
        credentials=credentials,
        redactor=redactor,
        client=client,
        control=control,
        inventory=inventory,
        aksk=aksk,
        foreign_project_id=foreign_project,
    )


def preflight(target: Target) -> None:
    """Check once that the target answers and accepts the credentials; raise a one-line KitError if not."""
    probe = new_job_id(target.run_prefix)
    try:
        # The probe job does not exist: sending it again changes nothing, so a transport failure is retried.
        reply = target.client.pause_jobs([(probe, "target")], validate=False, idempotent=True, label="preflight")
    except NoAnswer as exc:  # refused, reset, cut short or timed out (the message names the option to raise)
        raise TargetUnreachable(
            f"cannot reach {target.base_url}: {exc}; check --base-url and that the target is up"
        ) from None
    if reply.status in (401, 403):
        raise TargetRefused(
            f"{target.base_url} refused the credentials for project {target.project_id} "
            f"(HTTP {reply.status}); check --auth-token (or --ak/--sk) and --project-id"
        )
    if reply.status == 404 and not reply.content.strip().startswith(b"{"):
        raise TargetUnreachable(
            f"{target.base_url} has no batch-pause-task operation (HTTP 404 on "
            f"/v3/{target.project_id}/jobs/batch-pause-task); check --base-url (it must not include /v3)"
        )


def round_trip_time(target: Target, samples: int = 3) -> float:
    """How long the target takes to answer, seen from here: the fastest of a few batch-status requests of an id no
    job has (they only read; the connection is open by then, so no handshake is counted)."""
    probe = new_job_id(target.run_prefix)
    fastest = float("inf")
    for _ in range(samples):
        try:
            reply = target.client.batch_status([probe], validate=False, label="preflight: round trip")
        except NoAnswer as exc:
            raise TargetUnreachable(
                f"cannot reach {target.base_url}: {exc}; check --base-url and that the target is up"
            ) from None
        assert reply.exchange.response is not None
        fastest = min(fastest, reply.exchange.response.elapsed_ms / 1000)
    target.client.log.clear()
    return fastest


def open_target(options: KitOptions, *, check: bool = True) -> Target:
    """Build the target of a run from its options (starting the embedded sandbox if no URL is given).

    `check=False` skips the preflight (which sends one pause of an unknown id): `restore` sends no pause.
    """
    redactor = Redactor(options.secrets)
    target = _embedded(options, redactor) if options.embedded else _external(options, redactor)
    if not check:
        return target
    try:
        preflight(target)
    except BaseException:
        target.close()
        raise
    target.client.log.clear()
    return target
