"""Which requirement a failed test broke, and the command that reruns exactly that test."""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from drs_conformance.contract.catalogue import catalogue
from drs_conformance.contract.checks import NonConformance
from drs_conformance.errors import NoAnswer
from drs_conformance.plugin.options import KitOptions

__all__ = ["Attribution", "attribute", "no_answer_message", "no_answers", "reproduce_command"]


def _leaves(exc: BaseException) -> list[BaseException]:
    """The exceptions inside (nested) exception groups, in order; hypothesis groups distinct failures."""
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for inner in exc.exceptions for leaf in _leaves(inner)]
    return [exc]


def no_answers(exc: BaseException | None) -> tuple[NoAnswer, ...]:
    """Every NoAnswer a failure is, holds or was caused by: the target's availability, not a broken rule.

    Looks through exception groups (hypothesis groups distinct failures; its FlakyFailure is one) and through
    `__cause__` / `__context__` chains (an assertion raised while handling a request that got no answer).
    """
    found: list[NoAnswer] = []
    seen: set[int] = set()
    pending = [exc] if exc is not None else []
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, NoAnswer):
            found.append(current)
        if isinstance(current, BaseExceptionGroup):
            pending.extend(reversed(current.exceptions))
        pending.extend(link for link in (current.__context__, current.__cause__) if link is not None)
    return tuple(found)


def no_answer_message(exc: BaseException, found: tuple[NoAnswer, ...]) -> str:
    """The error line of an unanswered test, and every other failure it raised (shown, not judged)."""
    count = f" ({len(found)} requests got no answer)" if len(found) > 1 else ""
    lines = [f"the target did not answer: {found[0]}{count}"]
    for leaf in _leaves(exc):
        if not no_answers(leaf):
            first = (str(leaf).strip().splitlines() or [""])[0]
            lines.append(f"also raised (not judged): {type(leaf).__name__}: {first}")
    return "\n".join(lines)


@dataclass(frozen=True)
class Attribution:
    """What a failed test broke: the requirement it counts against first, and every other one it broke."""

    requirement: str | None
    message: str
    also: tuple[str, ...] = ()


def attribute(exc: BaseException | None, requirements: tuple[str, ...]) -> Attribution:
    """The requirements a failure breaks (hypothesis may group several); MUST and EITHER before SHOULD."""
    if exc is None:
        return Attribution(None, "")
    leaves = _leaves(exc)
    named = [leaf for leaf in leaves if isinstance(leaf, NonConformance)]
    if not named:
        first = leaves[0]
        return Attribution(requirements[0] if requirements else None, str(first) or type(first).__name__)
    known = catalogue()
    named.sort(key=lambda leaf: leaf.requirement in known and not known[leaf.requirement].fails_run)
    first_of: dict[str, NonConformance] = {}  # each requirement's first failure, MUST and EITHER first
    for leaf in named:
        first_of.setdefault(leaf.requirement, leaf)
    first, *others = first_of.values()
    message = str(first) + "".join(f"\nalso failed: {str(leaf).splitlines()[0]}" for leaf in others)
    return Attribution(first.requirement, message, tuple(leaf.requirement for leaf in others))


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
