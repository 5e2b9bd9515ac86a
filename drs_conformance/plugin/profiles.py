"""Hypothesis profiles of the suites, chosen with hypothesis's own --hypothesis-profile (quick by default)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, Phase, settings

__all__ = ["DEFAULT_PROFILE", "PROFILES", "register_profiles"]

DEFAULT_PROFILE = "quick"

_COMMON: dict[str, Any] = {
    # No explain phase: it replays a failing example against the target ~200 times only to annotate it.
    "phases": [phase for phase in Phase if phase is not Phase.explain],
    "deadline": None,
    "database": None,
    "print_blob": True,
    "suppress_health_check": [
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
}
PROFILES: dict[str, dict[str, Any]] = {
    "quick": dict(max_examples=20, stateful_step_count=12, **_COMMON),  # every push
    "thorough": dict(max_examples=300, stateful_step_count=40, **_COMMON),  # nightly
}
# The kill matrix asks only whether a defect is caught: the quick profile without shrinking.
PROFILES["kill"] = {
    **PROFILES["quick"],
    "phases": [phase for phase in Phase if phase not in (Phase.explain, Phase.shrink)],
}


def register_profiles() -> None:
    """Register every profile with hypothesis (idempotent: registering again replaces them)."""
    for name, values in PROFILES.items():
        settings.register_profile(name, **values)
