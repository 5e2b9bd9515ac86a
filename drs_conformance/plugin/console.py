"""What a suite run prints while it runs: progress, and pytest's per-failure output left to the grouped summary.

pytest prints a dot per test and, at the end, a traceback per failure. A defect that breaks one rule in
60 tests then fills thousands of lines with the same story. Here, at the default verbosity:
- progress is a live line on a terminal (percentage, tests done, failures so far, the requirement of the
  test running now), or, when the output is not a terminal (CI logs), one plain line per test file
  as its last test ends;
- failures the kit judged (an assertion of the suites, a NonConformance, a test without an answer) leave
  pytest's FAILURES section and short summary: the drs-conformance section shows them grouped, with an
  example each (`reporting/terminal.py`). Any other exception is the kit's own error and keeps pytest's
  long traceback.
`-v`, or `--tb=...` given after `--`, gives pytest's usual output instead. Colour follows pytest's terminal
writer (NO_COLOR, PY_COLORS, --color).
"""

from __future__ import annotations

import shutil
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

import pytest

from drs_conformance.errors import NoAnswer

__all__ = ["GROUPED_ATTR", "Console", "is_judged_failure"]

GROUPED_ATTR = "drs_grouped"  # set on a test report whose failure the drs-conformance summary shows grouped
_OUTCOME_ATTR = "drs_outcome"  # the TestOutcome the plugin attaches to a suite test's report
_HIDDEN_STATS = ("failed", "error", "xfailed")
_OUTCOMES = ("passed", "failed", "error", "skipped", "xfailed", "xpassed", "unanswered")


def _leaves(exc: BaseException) -> Iterator[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            yield from _leaves(inner)
    else:
        yield exc


def is_judged_failure(exc: BaseException | None) -> bool:
    """A failure the kit judged (assertions, NonConformance) or a request without an answer: not a bug of the kit."""
    if exc is None:
        return False
    return all(isinstance(leaf, (AssertionError, NoAnswer)) for leaf in _leaves(exc))


def _file_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


class Console:
    """Progress while tests run, and pytest's failure output trimmed to what the grouped summary does not say."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.terminal: Any = config.pluginmanager.get_plugin("terminalreporter")
        self.compact = self.terminal is not None and config.get_verbosity() == 0
        self.trim_failures = (
            self.terminal is not None and config.get_verbosity() <= 0 and config.option.tbstyle == "auto"
        )
        self.live = self.compact and bool(getattr(self.terminal, "isatty", False))
        self.hidden = 0  # failures left out of pytest's own sections (the summary groups them)
        self.total = 0
        self.done: set[str] = set()
        self.per_file: Counter[str] = Counter()
        self.finished_in_file: Counter[str] = Counter()
        self.results: dict[str, Counter[str]] = defaultdict(Counter)  # file -> outcome -> count
        self.failed_on: dict[str, Counter[str]] = defaultdict(Counter)  # file -> requirement failed -> count
        self.requirements: dict[str, list[str]] = {}  # nodeid -> its requirements (collected in this process)
        self.seen: dict[str, set[str]] = defaultdict(set)  # file -> requirements its finished tests checked
        self.failures = 0
        self.current = ""
        self.last_requirements: list[str] = []  # of the last test that ended (xdist: the controller collects none)
        if self.compact and self.terminal is not None:
            self.terminal.showfspath = False  # the file names come with the progress lines

    # -- what will run -------------------------------------------------------------------------

    def _planned(self, nodeids: Iterable[str]) -> None:
        self.per_file = Counter(_file_of(nodeid) for nodeid in nodeids)
        self.total = sum(self.per_file.values())

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        from drs_conformance.plugin.selection import requirements_of

        self.requirements = {item.nodeid: list(requirements_of(item)) for item in session.items}
        if not self.total:
            self._planned(item.nodeid for item in session.items)

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        if not self.total:
            self._planned(ids)

    # -- while it runs -------------------------------------------------------------------------

    @pytest.hookimpl(wrapper=True)
    def pytest_report_teststatus(self, report: Any, config: pytest.Config) -> Iterator[None]:
        """No dot per test: the progress lines say it (the category still counts in pytest's summary)."""
        result = yield
        if self.compact and result and getattr(report, _OUTCOME_ATTR, None) is not None:
            category, _letter, _word = result
            return category, "", ""
        return result

    def pytest_runtest_logstart(self, nodeid: str, location: Any) -> None:
        self.current = nodeid
        if self.live:
            self._draw()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        data = getattr(report, _OUTCOME_ATTR, None)
        if data is None:
            return
        name = _file_of(report.nodeid)
        self.last_requirements = list(data.get("requirements", ()))
        self.seen[name].update(self.last_requirements)
        outcome = data["outcome"]
        if outcome in ("failed", "error"):
            self.failures += 1
            self.failed_on[name][str(data.get("failed_requirement"))] += 1
        self.results[name][outcome] += 1

    def pytest_runtest_logfinish(self, nodeid: str, location: Any) -> None:
        if nodeid in self.done:
            return
        self.done.add(nodeid)
        name = _file_of(nodeid)
        self.finished_in_file[name] += 1
        if not self.compact:
            return
        if self.live:
            self._draw()
        elif self.finished_in_file[name] >= self.per_file.get(name, 0):
            self.terminal.write_line(self._file_line(name))

    def _percent(self) -> str:
        return f"[{100 * len(self.done) // self.total if self.total else 100:>3}%]"

    def _file_line(self, name: str) -> str:
        """'[ 45%] test_conformance_items.py: 38 passed, 2 failed (on COUNT-EQUALS-RESULTS); checks A, B +9'."""
        results, failed_on = self.results[name], self.failed_on[name]
        on = f" (on {', '.join(sorted(failed_on))})" if failed_on else ""
        parts = [
            f"{results[outcome]} {outcome}{on if outcome == 'failed' else ''}"
            for outcome in _OUTCOMES
            if results[outcome]
        ]
        checked = sorted(self.seen[name])
        more = f" +{len(checked) - 3}" if len(checked) > 3 else ""
        checks = f"; checks {', '.join(checked[:3])}{more}" if checked else ""
        return f"{self._percent()} {name}: {', '.join(parts) or 'no result'}{checks}"

    def _draw(self) -> None:
        """The live line: percentage, tests done, failures so far, the requirement and test running now."""
        width = shutil.get_terminal_size().columns - 1
        requirements = self.requirements.get(self.current) or self.last_requirements
        what = f" · {requirements[0]} · {self.current}" if requirements else f" · {self.current}"
        failed = f" · {self.failures} failed" if self.failures else ""
        if self.total and len(self.done) >= self.total:
            what = " done"  # the last line left on the screen
        line = f"{self._percent()} {len(self.done)}/{self.total} tests{failed}{what}"
        if len(line) > width:
            line = line[: width - 1] + "…"
        self.terminal.rewrite(line, erase=True, bold=True, red=bool(self.failures))
        self.terminal.currentfspath = -2  # pytest's mark of an open line: its next write_line starts a new one

    # -- at the end ----------------------------------------------------------------------------

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_terminal_summary(self, terminalreporter: Any) -> Iterator[None]:
        """pytest's FAILURES section and short summary without the failures the drs-conformance section groups."""
        kept: dict[str, list[Any]] = {}
        if self.trim_failures:
            for key in _HIDDEN_STATS:
                reports = terminalreporter.stats.get(key, [])
                grouped = [r for r in reports if getattr(r, GROUPED_ATTR, False)]
                if grouped:
                    kept[key] = reports
                    terminalreporter.stats[key] = [r for r in reports if not getattr(r, GROUPED_ATTR, False)]
                    self.hidden += len(grouped)
        try:
            return (yield)
        finally:
            terminalreporter.stats.update(kept)  # the counts of pytest's last line stay whole
