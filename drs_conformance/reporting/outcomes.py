"""What one suite test did and how it ended: the plugin makes these, the reports read them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from drs_conformance.contract.exchange import Exchange

__all__ = ["Outcome", "TestOutcome"]

# xfailed / xpassed happen only to tests covered by a declared known deviation; unanswered: the test
# ended because the target gave no answer (errors.NoAnswer), which judges no requirement.
Outcome = Literal["passed", "failed", "skipped", "error", "xfailed", "xpassed", "unanswered"]


@dataclass(frozen=True)
class TestOutcome:
    """One test's result, with the requirement it checks and the traffic that shows why."""

    __test__ = False  # not a pytest test class, despite its name

    nodeid: str
    requirements: tuple[str, ...]
    outcome: Outcome
    # The requirement a failure is attributed to (the test's own, or the one a NonConformance named).
    failed_requirement: str | None = None
    # Every other requirement the same failure broke (hypothesis reports distinct failures together).
    also_failed: tuple[str, ...] = ()
    # Requirements the failure broke that a known deviation declares (expected there, yet not passed).
    also_covered: tuple[str, ...] = ()
    # Assertion message, skip reason or error line; already redacted.
    message: str = ""
    # The last exchanges of the test (the failing one last); already redacted.
    exchanges: tuple[Exchange, ...] = ()
    duration_s: float = 0.0
    # How to run exactly this test again (command line), when it failed.
    reproduce: str | None = None
    # The reason of the known deviation that covers this test, if one does.
    deviation: str | None = None
    # Requests that got no answer (errors.NoAnswer) in an "unanswered" test; 0 for every other outcome.
    unanswered_requests: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "nodeid": self.nodeid,
            "requirements": list(self.requirements),
            "outcome": self.outcome,
            "failed_requirement": self.failed_requirement,
            "also_failed": list(self.also_failed),
            "also_covered": list(self.also_covered),
            "message": self.message,
            "exchanges": [exchange.to_dict() for exchange in self.exchanges],
            "duration_s": self.duration_s,
            "reproduce": self.reproduce,
            "deviation": self.deviation,
            "unanswered_requests": self.unanswered_requests,
            "extra": self.extra,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TestOutcome:
        return cls(
            nodeid=data["nodeid"],
            requirements=tuple(data["requirements"]),
            outcome=data["outcome"],
            failed_requirement=data.get("failed_requirement"),
            also_failed=tuple(data.get("also_failed", ())),
            also_covered=tuple(data.get("also_covered", ())),
            message=data.get("message", ""),
            exchanges=tuple(Exchange.from_dict(e) for e in data.get("exchanges", ())),
            duration_s=data.get("duration_s", 0.0),
            reproduce=data.get("reproduce"),
            deviation=data.get("deviation"),
            unanswered_requests=data.get("unanswered_requests", 0),
            extra=data.get("extra", {}),
        )
