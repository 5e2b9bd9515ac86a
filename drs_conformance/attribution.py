"""Which requirement a failed test broke, and the command that reruns exactly that test."""

from __future__ import annotations

import shlex

from drs_conformance.checks import NonConformance
from drs_conformance.options import KitOptions

__all__ = ["attribute", "reproduce_command"]


def _leaves(exc: BaseException) -> list[BaseException]:
    """The exceptions inside (nested) exception groups, in order; hypothesis groups distinct failures."""
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for inner in exc.exceptions for leaf in _leaves(inner)]
    return [exc]


def attribute(exc: BaseException | None, requirements: tuple[str, ...]) -> tuple[str | None, str]:
    """The requirement a failure belongs to and its message: the first NonConformance, else the test's own."""
    if exc is None:
        return None, ""
    leaves = _leaves(exc)
    for leaf in leaves:
        if isinstance(leaf, NonConformance):
            return leaf.requirement, str(leaf)
    first = leaves[0]
    return (requirements[0] if requirements else None), str(first) or type(first).__name__


def reproduce_command(options: KitOptions, project_id: str | None, nodeid: str) -> str:
    """`drs-conformance run ...` that reruns exactly this test with the same seed and target (no secrets)."""
    flags = ["--seed", str(options.seed)]
    if options.base_url:
        flags += ["--base-url", options.base_url, "--project-id", project_id or options.project_id or ""]
        if options.control_api:
            flags.append("--control-api")
        if options.inventory:
            flags += ["--inventory", str(options.inventory)]
    if options.sandbox_defect:
        flags += ["--sandbox-defect", options.sandbox_defect]
    for variant in options.sandbox_variants:
        flags += ["--sandbox-variant", variant]
    credentials = ""
    if options.base_url:  # the secrets stay in the environment: DRS_AUTH_TOKEN or DRS_AK / DRS_SK
        credentials = ' --auth-token "$DRS_AUTH_TOKEN"' if options.auth_token else ' --ak "$DRS_AK" --sk "$DRS_SK"'
    return f"drs-conformance run {shlex.join(flags)}{credentials} -- {shlex.quote(nodeid)}"
