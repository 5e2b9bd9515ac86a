"""Reporting: verdicts, known deviations, conformance.json/.md/.html, curl lines, allure helpers, compare.

The plugin calls `test_verdict` per test and, at the end of the session, `requirement_verdicts` and
`overall_verdict` (via `build_report`, given the run's `RunScope`), `junit_properties`, `write_reports`,
`write_environment` and `styled_summary_lines`; the CLI calls `run_compare`. Failures are grouped by
requirement and message shape (`failure_groups`) in every rendering.
"""

from __future__ import annotations

from drs_conformance.reporting.allure_support import (
    DEFAULT_LINK_BASE,
    attach_exchanges,
    environment_properties,
    label_requirement,
    label_test,
    operation_name,
    requirement_link,
    title_test,
    write_environment,
)
from drs_conformance.reporting.compare import Change, Comparison, compare_reports, load_report, run_compare
from drs_conformance.reporting.curl import AUTH_TOKEN_VARIABLE, MAX_INLINE_BODY, curl_line
from drs_conformance.reporting.deviations import (
    Deviation,
    Deviations,
    apply_deviations,
    expected_failure_reason,
    load_deviations,
    parse_deviations,
)
from drs_conformance.reporting.failure_section import failure_section
from drs_conformance.reporting.groups import FailureGroup, groups_of, message_shape, tests_line
from drs_conformance.reporting.html_page import render_html
from drs_conformance.reporting.junit import junit_properties
from drs_conformance.reporting.markdown import render_markdown
from drs_conformance.reporting.run_report import (
    REPORT_FORMAT_VERSION,
    TARGET_MODES,
    RunInfo,
    TargetMode,
    anchor,
    build_report,
    redact_data,
    redacted_options,
)
from drs_conformance.reporting.schema import report_errors, report_schema, validate_report
from drs_conformance.reporting.terminal import styled_summary_lines, summary_lines
from drs_conformance.reporting.verdicts import (
    JUDGED,
    NOT_JUDGED,
    RUN_VERDICTS,
    VERDICTS,
    Coverage,
    Gap,
    JudgedTest,
    Overall,
    RequirementVerdict,
    RunScope,
    RunVerdict,
    Verdict,
    attributed_requirement,
    coverage,
    overall_verdict,
    requirement_verdicts,
    test_verdict,
)
from drs_conformance.reporting.writer import REPORT_FILES, write_reports

__all__ = [
    # rendering and writing
    "AUTH_TOKEN_VARIABLE",
    # allure
    "DEFAULT_LINK_BASE",
    "JUDGED",
    "MAX_INLINE_BODY",
    "NOT_JUDGED",
    "REPORT_FILES",
    # the report document
    "REPORT_FORMAT_VERSION",
    "RUN_VERDICTS",
    "TARGET_MODES",
    "VERDICTS",
    # compare
    "Change",
    "Comparison",
    "Coverage",
    # known deviations
    "Deviation",
    "Deviations",
    # failures of one shape, and what a requirement's tests did
    "FailureGroup",
    "Gap",
    "JudgedTest",
    "Overall",
    "RequirementVerdict",
    "RunInfo",
    "RunScope",
    "RunVerdict",
    "TargetMode",
    # verdicts
    "Verdict",
    "anchor",
    "apply_deviations",
    "attach_exchanges",
    "attributed_requirement",
    "build_report",
    "compare_reports",
    "coverage",
    "curl_line",
    "environment_properties",
    "expected_failure_reason",
    "failure_section",
    "groups_of",
    "junit_properties",
    "label_requirement",
    "label_test",
    "load_deviations",
    "load_report",
    "message_shape",
    "operation_name",
    "overall_verdict",
    "parse_deviations",
    "redact_data",
    "redacted_options",
    "render_html",
    "render_markdown",
    "report_errors",
    "report_schema",
    "requirement_link",
    "requirement_verdicts",
    "run_compare",
    "styled_summary_lines",
    "summary_lines",
    "test_verdict",
    "tests_line",
    "title_test",
    "validate_report",
    "write_environment",
    "write_reports",
]
