"""The kit's own errors: each one is a single line for the user and a distinct exit code."""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "ExitCode",
    "InventoryError",
    "KitError",
    "NoAnswer",
    "TargetRefused",
    "TargetUnreachable",
    "UsageError",
]

import enum


class ExitCode(enum.IntEnum):
    """Exit codes of `drs-conformance` (documented in the README)."""

    CONFORMANT = 0
    NON_CONFORMANT = 1
    USAGE = 2  # a wrong flag, option, config or inventory file
    TARGET = 3  # the target cannot be reached or refuses the given credentials
    INTERNAL = 4  # a bug in the kit itself
    INCOMPLETE = 5  # no failure, but not every MUST/EITHER requirement was judged (with --require-complete)
    INTERRUPTED = 130  # stopped by SIGINT (Ctrl-C): 128 + 2
    TERMINATED = 143  # stopped by SIGTERM (timeout, docker stop, CI cancellation): 128 + 15


class KitError(Exception):
    """An error of the kit's input or environment, reported as one line with an exit code."""

    exit_code: ExitCode = ExitCode.INTERNAL

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(KitError):
    """A wrong flag or option value."""

    exit_code = ExitCode.USAGE


class ConfigError(UsageError):
    """A configuration file that cannot be read or says something impossible."""


class InventoryError(UsageError):
    """An inventory file that cannot be read or does not follow the inventory format."""


class TargetUnreachable(KitError):
    """The target's base URL does not answer."""

    exit_code = ExitCode.TARGET


class TargetRefused(KitError):
    """The target answers but refuses the given credentials or the control API."""

    exit_code = ExitCode.TARGET


class NoAnswer(TargetUnreachable):
    """One request got no usable answer (refused or reset connection, truncated body, timeout).

    That is the target's availability, not a broken business rule: a test that ends on it is charged to
    no requirement (its outcome is "unanswered").
    """
