"""conformance.md: short, link-free, escaped, with the requirements that need attention."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

from drs_conformance.contract.catalogue import catalogue
from drs_conformance.reporting import build_report, render_markdown
from drs_conformance.reporting.markdown import MAX_ROWS


def _unescaped_pipes(line: str) -> int:
    return len(re.findall(r"(?<!\\)\|", line))


def test_summary_of_the_mixed_run(mixed_report: dict[str, Any]) -> None:
    text = render_markdown(mixed_report)
    lines = text.splitlines()
    assert lines[0] == "## DRS batch-pause-task conformance: ❌ NON-CONFORMANT"
    assert lines[2].startswith(
        "Target `http://127.0.0.1:8765` (control-api), project `0123456789abcdef0123456789abcdef`; kit 0.1.0, spec 1.0.0, seed `1234567`, not strict; 42.5 s, 8 tests."
    )
    assert lines[4] == "Coverage: 4 of 28 MUST judged, 0 of 5 EITHER judged, 3 of 10 SHOULD judged."
    assert "| level | fail | warn | fixed | expected-fail | skip | not-tested | pass |" in lines
    assert "| MUST | 3 | 0 | 0 | 0 | 2 | 22 | 1 |" in lines
    attention = [
        line for line in lines if line.startswith("| `")
    ]  # the attention table (not judged rows start "| MUST")
    assert [re.match(r"\| `([A-Z0-9-]+)`", line).group(1) for line in attention] == [
        "JOB-ID-RULE",
        "AUTH-REQUIRED",
        "NO-5XX",
        "CONTENT-TYPE-415",
        "AUTH-STATUS-401",
    ]
    assert (
        "| `NO-5XX` | MUST | **fail** | `suites/test_body.py::test_not_json[array]` | Received: 500 / Documented: 400 |"
        in lines
    )
    assert attention[-1].endswith("| known deviation passed: remove it from the deviations file |")
    assert "Known deviations still failing (expected-fail): `ERROR-CODE-DOCUMENTED`." in lines
    assert "⚠️ deviation JOB-ID-RULE expired on 2025-12-31: counted as a failure again." in lines
    assert (
        "Non-conformant because: JOB-ID-RULE (MUST) failed; AUTH-REQUIRED (MUST) failed; NO-5XX (MUST) failed." in lines
    )
    assert "| MUST/EITHER | skipped | the inventory names 12 jobs; 100 are needed | `BATCH-100` |" in lines
    assert (
        "| SHOULD | not-selected | no test selected in this run | `DUPLICATE-CODE`, `AUTH-PROJECT-STATUS`, "
        "`INFERRED-CONSTRAINTS`, `FAILED-STATUS-WORD`, `FAILED-ERROR-DETAILS`, `LANGUAGE-MESSAGES`, `HTTP-METHODS` |"
        in lines
    )
    assert "Exit code 1." in lines


def test_link_free_escaped_and_tables_well_formed(mixed_report: dict[str, Any]) -> None:
    text = render_markdown(mixed_report)
    assert "](" not in text and "<a " not in text and "<script" not in text
    warn = next(line for line in text.splitlines() if "CONTENT-TYPE-415" in line)
    assert "Received: 400 / Documented: 415 \\| &lt;b&gt;not bold&lt;/b&gt; \\*not italic\\*" in warn
    for block in re.findall(r"((?:^\|.*\n)+)", text, flags=re.MULTILINE):
        counts = {_unescaped_pipes(line) for line in block.splitlines()}
        assert len(counts) == 1, block


def test_short_even_with_many_failures(samples: SimpleNamespace) -> None:
    from drs_conformance.contract.catalogue import catalogue

    outcomes = [
        samples.outcome(f"suites/t.py::test_{i}", r.id, "failed", message="x" * 500) for i, r in enumerate(catalogue())
    ]
    text = render_markdown(build_report(samples.run_info(), outcomes, today=samples.TODAY))
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    assert len(rows) == min(len(catalogue()), MAX_ROWS)
    assert all(len(row) < 400 for row in rows)
    assert len(text) < 65_536


def test_a_conformant_run_has_no_attention_table(samples: SimpleNamespace) -> None:
    text = render_markdown(build_report(samples.run_info(strict=True), samples.passing_outcomes(), today=samples.TODAY))
    assert text.startswith("## DRS batch-pause-task conformance: ✅ CONFORMANT\n")
    assert ", strict;" in text
    assert "Coverage: 28 of 28 MUST judged, 5 of 5 EITHER judged, 10 of 10 SHOULD judged." in text
    assert "Requirements needing attention" not in text and "not judged" not in text


def test_an_incomplete_run_is_never_marked_conformant(samples: SimpleNamespace) -> None:
    outcomes = [samples.outcome("t::a", "DOC-EXAMPLE")]
    text = render_markdown(build_report(samples.run_info(require_complete=True), outcomes, today=samples.TODAY))
    assert text.startswith("## DRS batch-pause-task conformance: ⚠️ INCOMPLETE\n")
    assert "CONFORMANT" not in text.replace("NON-CONFORMANT", "")
    assert (
        "### Requirements not judged" in text and "Incomplete because: 32 MUST/EITHER requirements not judged" in text
    )
    assert "Exit code 5." in text


def test_unanswered_tests_and_an_interruption(samples: SimpleNamespace) -> None:
    import signal

    from drs_conformance.reporting import RunScope

    outcomes = [*samples.passing_outcomes(), samples.unanswered("suites/t.py::test_x[a|b]", "BODY-SHAPE", 3)]
    report = build_report(
        samples.run_info(), outcomes, today=samples.TODAY, scope=RunScope(stopped_by=signal.SIGINT, collected=200)
    )
    text = render_markdown(report)
    lines = text.splitlines()
    assert lines[0] == "## DRS batch-pause-task conformance: ⏹️ INTERRUPTED"
    assert f"{len(catalogue()) + 1} of 200 tests run." in lines[2]
    assert "### The target did not answer (1 test, 3 requests; no requirement charged)" in lines
    assert (
        "| `suites/t.py::test_x[a\\|b]` | 3 | the target did not answer: POST /v3/p/jobs/batch-pause-task: connection reset |"
        in lines
    )
    assert any(
        line.startswith(f"Interrupted: stopped by SIGINT after {len(catalogue()) + 1} of 200 tests ran")
        for line in lines
    )
    assert "Exit code 130." in lines
