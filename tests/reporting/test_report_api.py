"""The public face of drs_conformance.reporting stays as intended."""

from __future__ import annotations

import importlib
import pkgutil
from importlib import resources

import drs_conformance.reporting as reporting

EXPECTED = {
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
    "Deviation",
    "Deviations",
    "apply_deviations",
    "expected_failure_reason",
    "load_deviations",
    "parse_deviations",
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
    "FailureGroup",
    "groups_of",
    "message_shape",
    "tests_line",
    "DEFAULT_LINK_BASE",
    "requirement_link",
    "label_requirement",
    "label_test",
    "title_test",
    "operation_name",
    "attach_exchanges",
    "environment_properties",
    "write_environment",
    "Change",
    "Comparison",
    "compare_reports",
    "load_report",
    "run_compare",
}


def test_exported_names() -> None:
    assert set(reporting.__all__) == EXPECTED
    assert len(reporting.__all__) == len(EXPECTED)
    for name in reporting.__all__:
        assert getattr(reporting, name) is not None


def test_every_module_declares_all() -> None:
    for module_info in pkgutil.iter_modules(reporting.__path__):
        module = importlib.import_module(f"drs_conformance.reporting.{module_info.name}")
        assert isinstance(module.__all__, list), module_info.name
        for name in module.__all__:
            assert hasattr(module, name), f"{module_info.name}.{name}"


def test_package_data_is_found() -> None:
    files = resources.files("drs_conformance.reporting")
    assert (files / "conformance.schema.json").is_file()
    assert (files / "page.html").is_file()


def test_the_sample_ci_workflow() -> None:
    from pathlib import Path

    import yaml

    path = Path(__file__).resolve().parents[2] / "examples" / "github-actions-staging.yml"
    workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
    job = workflow["jobs"]["conformance"]
    assert job["env"]["DRS_AUTH_TOKEN"] == "${{ secrets.DRS_AUTH_TOKEN }}"
    assert job["env"]["DRS_BASE_URL"] == "${{ vars.DRS_BASE_URL }}"
    scripts = "\n".join(step.get("run", "") for step in job["steps"])
    assert "secrets." not in scripts  # secrets reach the scripts only through the environment
    assert "drs-conformance run" in scripts and "--report-dir reports" in scripts
    assert 'cat reports/conformance.md >> "$GITHUB_STEP_SUMMARY"' in scripts
    assert "drs-conformance report compare ci/conformance-baseline.json reports/conformance.json" in scripts
    uses = [step.get("uses", "") for step in job["steps"]]
    assert any(u.startswith("actions/upload-artifact@") for u in uses)
    assert any("publish-unit-test-result-action" in u for u in uses)
