"""Jobs bound to a status and a type: pausable ones, and the disallowed states and types as faults."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from hypothesis import strategies as st

from drs_conformance.contract.requirement_ids import Req
from drs_conformance.contract.spec import contract

from ._checks import check_choices
from .faults import Fault
from .registry import REGISTRY, FaultKind

__all__ = ["JobSpec", "job_specs", "non_pausable_job_specs", "pausable_job_specs"]


@dataclass(frozen=True)
class JobSpec:
    """A job to seed: its status and its type (the contract's JobStatus and JobType)."""

    status: str
    type: str

    @property
    def pausable(self) -> bool:
        """Whether the contract lets a job of this status and type be paused."""
        c = contract()
        return self.status in c.pausable_statuses and self.type in c.pausable_types


def job_specs(
    *, statuses: Collection[str] | None = None, types: Collection[str] | None = None
) -> st.SearchStrategy[JobSpec]:
    """Jobs of the given statuses and types (default: all of the contract's), shrinking to the first of each."""
    c = contract()
    chosen_statuses = (
        c.statuses if statuses is None else check_choices("statuses", statuses, c.statuses, owner="the contract has")
    )
    chosen_types = (
        c.job_types if types is None else check_choices("types", types, c.job_types, owner="the contract has")
    )
    return st.builds(
        JobSpec,
        st.sampled_from([s for s in c.statuses if s in chosen_statuses]),
        st.sampled_from([t for t in c.job_types if t in chosen_types]),
    )


def pausable_job_specs() -> st.SearchStrategy[JobSpec]:
    """Jobs the contract lets be paused: a pausable type in a pausable status."""
    c = contract()
    return job_specs(statuses=c.pausable_statuses, types=c.pausable_types)


KINDS = REGISTRY.kind_set("non_pausable_job_specs", scope="job")


def _listing(values: Collection[str]) -> str:
    values = list(values)
    return ", ".join(values[:-1]) + f" or {values[-1]}" if len(values) > 1 else values[0]


@KINDS.kind(
    "state/not-pausable",
    Req.NON_PAUSABLE_STATE_FAILS,
    "item-fails",
    "a `JobSpec` of a pausable type in a status that is not pausable (PAUSING included)",
)
def _state_not_pausable(kind: FaultKind) -> st.SearchStrategy[Fault]:
    c = contract()

    def make(spec: JobSpec) -> Fault:
        already = " (it is already paused)" if spec.status == c.paused_status else ""
        return kind.fault(
            reason=(
                f"a {spec.type} job in status {spec.status}{already} cannot be paused: "
                f"only jobs in {_listing(c.pausable_statuses)} can."
            ),
            value=spec,
        )

    return job_specs(statuses=c.non_pausable_statuses, types=c.pausable_types).map(make)


@KINDS.kind(
    "type/not-pausable",
    Req.DR_JOB_FAILS,
    "item-fails",
    "a `JobSpec` of a type that cannot be paused (cloudDataGuard) in a pausable status",
)
def _type_not_pausable(kind: FaultKind) -> st.SearchStrategy[Fault]:
    c = contract()

    def make(spec: JobSpec) -> Fault:
        return kind.fault(
            reason=(
                f"a {spec.type} job cannot be paused, even in status {spec.status}: "
                f"only {_listing(c.pausable_types)} jobs can."
            ),
            value=spec,
        )

    return job_specs(statuses=c.pausable_statuses, types=c.non_pausable_types).map(make)


def non_pausable_job_specs(*, kinds: Collection[str] | None = None) -> st.SearchStrategy[Fault]:
    """Jobs that must fail their item, as faults whose `value` is the `JobSpec` to seed.

    `state/not-pausable`: every status outside the pausable ones (PAUSING included) with a pausable
    type; `type/not-pausable`: every type outside the pausable ones with a pausable status. Each breaks
    exactly one rule. Use `.map(lambda fault: fault.value)` for the bare specs.
    """
    return KINDS.strategy_for(kinds)
