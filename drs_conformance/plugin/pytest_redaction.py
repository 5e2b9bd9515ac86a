"""pytest's own reports redacted by value before the terminal, JUnit or Allure read them.

pytest prints each frame's arguments in a long traceback, the exception's message in the short
summary, and captured output in JUnit's system-out: any of them can carry a token or a signature
(a target echoing the Authorization header, a test asserting on a raw body). This plugin rewrites
every string of a test report, of the exception behind it and of an internal error, with every
secret this process registered (`redaction.redact_known`), fragments cut by saferepr's "..." included.
"""

from __future__ import annotations

import contextlib
from collections.abc import Generator
from typing import Any

import pytest

from drs_conformance.transport.redaction import redact_known

__all__ = ["redact_exception", "redact_test_report"]

_MAX_DEPTH = 12


def _redacted(value: Any, depth: int = 0) -> Any:
    """The value with every string in it redacted; pytest's repr objects are rewritten in place."""
    if isinstance(value, str):
        return redact_known(value, traceback=True)
    if depth > _MAX_DEPTH:
        return value
    if isinstance(value, tuple):
        return tuple(_redacted(item, depth + 1) for item in value)
    if isinstance(value, list):
        return [_redacted(item, depth + 1) for item in value]
    if type(value).__module__.startswith("_pytest.") and hasattr(value, "__dict__"):
        for name, item in vars(value).items():
            object.__setattr__(value, name, _redacted(item, depth + 1))
    return value


def redact_exception(error: BaseException, depth: int = 0) -> None:
    """Rewrite the exception's message, attributes and notes (what `exconly()` shows, Allure's message)."""
    if depth > _MAX_DEPTH:
        return
    with contextlib.suppress(AttributeError, TypeError):  # an exception type that forbids it
        error.args = tuple(redact_known(a) if isinstance(a, str) else a for a in error.args)
    for name, item in list(vars(error).items()):
        if isinstance(item, str):
            setattr(error, name, redact_known(item))
        elif name == "__notes__" and isinstance(item, list):
            setattr(error, name, [redact_known(n) if isinstance(n, str) else n for n in item])
    for inner in (*getattr(error, "exceptions", ()), error.__cause__, error.__context__):
        if isinstance(inner, BaseException) and inner is not error:
            redact_exception(inner, depth + 1)


def redact_test_report(report: pytest.TestReport | pytest.CollectReport) -> None:
    """Rewrite the report's traceback, captured sections and xfail reason."""
    report.longrepr = _redacted(report.longrepr)
    report.sections = [(title, redact_known(text, traceback=True)) for title, text in report.sections]
    if isinstance(getattr(report, "wasxfail", None), str):
        report.wasxfail = redact_known(report.wasxfail)  # type: ignore[union-attr]


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Innermost: the report is clean before any other plugin (Allure, JUnit, the kit's own) reads it."""
    report: pytest.TestReport = yield
    if call.excinfo is not None:
        redact_exception(call.excinfo.value)
        _replace_unredactable(call)
    redact_test_report(report)
    return report


def _replace_unredactable(call: pytest.CallInfo[None]) -> None:
    """An exception group keeps its message outside `args`: hand on a redacted copy of it instead."""
    assert call.excinfo is not None
    error = call.excinfo.value
    text = str(error)
    clean = redact_known(text)
    if clean == text or not isinstance(error, BaseExceptionGroup):
        return
    inner = list(error.exceptions)
    try:
        copy: BaseExceptionGroup[Any] = type(error)(clean, inner)
    except Exception:  # a group type with another constructor: the standard group says the same
        copy = BaseExceptionGroup(clean, inner)
    copy.__cause__, copy.__context__ = error.__cause__, error.__context__
    if hasattr(error, "__notes__"):
        copy.__notes__ = list(error.__notes__)
    if error.__traceback__ is None:  # pragma: no cover - a raised exception has one
        return
    copy = copy.with_traceback(error.__traceback__)
    call.excinfo = pytest.ExceptionInfo.from_exc_info((type(copy), copy, error.__traceback__))


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    report: pytest.CollectReport = yield
    redact_test_report(report)
    return report


@pytest.hookimpl(tryfirst=True)
def pytest_internalerror(excrepr: Any, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
    """An INTERNALERROR traceback is printed from `excrepr`: rewrite it before the terminal does."""
    _redacted(excrepr)
