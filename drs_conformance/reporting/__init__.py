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
    # verdicts
    "Verdict",
    "VERDICTS",
    "JUDGED",
    "RunVerdict",
    "RUN_VERDICTS",
    "NOT_JUDGED",
    "Gap",
    "RunScope",
    "Coverage",
    "JudgedTest",
    "RequirementVerdict",
    "Overall",
    "attributed_requirement",
    "test_verdict",
    "requirement_verdicts",
    "coverage",
    "overall_verdict",
    # known deviations
    "Deviation",
    "Deviations",
    "apply_deviations",
    "expected_failure_reason",
    "load_deviations",
    "parse_deviations",
    # failures of one shape, and what a requirement's tests did
    "FailureGroup",
    "groups_of",
    "message_shape",
    "tests_line",
    # the report document
    "REPORT_FORMAT_VERSION",
    "TARGET_MODES",
    "TargetMode",
    "RunInfo",
    "anchor",
    "build_report",
    "redact_data",
    "redacted_options",
    "report_schema",
    "report_errors",
    "validate_report",
    # rendering and writing
    "AUTH_TOKEN_VARIABLE",
    "MAX_INLINE_BODY",
    "curl_line",
    "failure_section",
    "render_markdown",
    "render_html",
    "REPORT_FILES",
    "write_reports",
    "summary_lines",
    "styled_summary_lines",
    "junit_properties",
    # allure
    "DEFAULT_LINK_BASE",
    "requirement_link",
    "label_requirement",
    "label_test",
    "title_test",
    "operation_name",
    "attach_exchanges",
    "environment_properties",
    "write_environment",
    # compare
    "Change",
    "Comparison",
    "compare_reports",
    "load_report",
    "run_compare",
]
