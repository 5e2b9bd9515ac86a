"""conformance.html in a real headless browser (Debian's chromium): renders, filters, no console error.

Skipped, with the reason, only when chromium or its driver is absent; .ci/run installs both
(`apt-get install -y chromium chromium-driver`). The network is not needed: the page is a file.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from drs_conformance.contract.catalogue import catalogue
from drs_conformance.reporting import write_reports
from drs_conformance.transport.redaction import Redactor

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1600",
)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if missing:
        pytest.skip(f"{' and '.join(missing)} not installed: apt-get install -y chromium chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def _visible_ids(driver: webdriver.Chrome) -> list[str]:
    rows = driver.find_elements(By.CSS_SELECTOR, "#requirements tr.req")
    return [row.get_attribute("id")[4:] for row in rows if row.is_displayed()]


def _click(driver: webdriver.Chrome, group: str, value: str) -> None:
    driver.find_element(By.CSS_SELECTOR, f'button[data-filter="{group}"][data-value="{value}"]').click()


def test_report_renders_filters_and_logs_no_error(
    browser: webdriver.Chrome, tmp_path: Path, mixed_report: dict[str, Any], redactor: Redactor
) -> None:
    report_dir = tmp_path / "reports"
    paths = write_reports(mixed_report, report_dir, redactor)
    by_verdict: dict[str, list[str]] = {}
    for requirement in mixed_report["requirements"]:
        by_verdict.setdefault(requirement["verdict"], []).append(requirement["id"])
    everything = list(catalogue().ids)

    browser.get(paths["html"].as_uri())
    assert browser.find_element(By.ID, "verdict").text == "NON-CONFORMANT"
    assert browser.find_element(By.ID, "banner").is_displayed()
    assert sorted(_visible_ids(browser)) == sorted(everything)
    assert browser.find_element(By.ID, "shown").text == f"{len(everything)} of {len(everything)} requirements shown"

    failed_first = [*by_verdict["fail"], *(rid for rid in everything if rid not in by_verdict["fail"])]
    assert _visible_ids(browser)[:3] == failed_first[:3]
    _click(browser, "verdict", "fail")
    assert _visible_ids(browser) == by_verdict["fail"] == ["JOB-ID-RULE", "AUTH-REQUIRED", "NO-5XX"]
    assert browser.find_element(By.ID, "shown").text == f"3 of {len(everything)} requirements shown"
    _click(browser, "level", "SHOULD")
    assert _visible_ids(browser) == []
    _click(browser, "verdict", "")
    assert sorted(_visible_ids(browser)) == sorted(r.id for r in catalogue() if r.level == "SHOULD")
    _click(browser, "level", "")
    assert sorted(_visible_ids(browser)) == sorted(everything)

    # A failed row is open: the quote, request, response (a hostile body, shown as text) and curl line show.
    row = browser.find_element(By.ID, "req-NO-5XX")
    details = row.find_element(By.TAG_NAME, "details")
    assert details.get_attribute("open") is not None
    assert catalogue()["NO-5XX"].quote in details.text
    assert (
        '<script>window.__pwned = 1; console.error("pwned")</script>'
        in row.find_element(By.CSS_SELECTOR, "pre.response").text
    )
    assert "X-Auth-Token: $DRS_AUTH_TOKEN" in row.find_element(By.CSS_SELECTOR, "pre.curl").text
    assert browser.execute_script("return window.__pwned === undefined") is True

    browser.execute_script("window.scrollTo(0, 0)")
    browser.save_screenshot(str(report_dir / "conformance.png"))
    assert (report_dir / "conformance.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # Opening a requirement's link (as allure's links do) expands its row.
    browser.get(paths["html"].as_uri() + "#req-CONTENT-TYPE-415")
    assert browser.find_element(By.CSS_SELECTOR, "#req-CONTENT-TYPE-415 details").get_attribute("open") is not None

    errors = [entry for entry in browser.get_log("browser") if entry["level"] in ("SEVERE", "WARNING")]
    assert errors == []


def _grouped_report(samples: Any) -> dict[str, Any]:
    """One defect as the sandbox's count-wrong shows it: 60 tests failing COUNT-EQUALS-RESULTS one way, 2 another."""
    from drs_conformance.reporting import build_report

    outcomes = [
        samples.outcome(
            f"suites/test_items.py::test_state[{i}]",
            "COUNT-EQUALS-RESULTS",
            "failed",
            message=f"[COUNT-EQUALS-RESULTS] received count 0 with {i + 1} results, documented count == len(results)",
            exchanges=(samples.token_exchange(),),
            reproduce=f"drs-conformance run --sandbox-defect count-wrong -- 'test_state[{i}]'",
        )
        for i in range(60)
    ]
    outcomes += [
        samples.outcome(
            f"suites/test_contract.py::test_valid[{i}]",
            "COUNT-EQUALS-RESULTS",
            "failed",
            message="[COUNT-EQUALS-RESULTS] POST /v3/{project_id}/jobs/batch-pause-task: received "
            f"count {i} with 1 results",
            exchanges=(samples.token_exchange(),),
        )
        for i in range(2)
    ]
    outcomes += [
        samples.outcome(f"suites/t.py::test_{r.id.lower()}", r.id)
        for r in catalogue()
        if r.id != "COUNT-EQUALS-RESULTS"
    ]
    info = samples.run_info(options={"sandbox_defect": "count-wrong"})
    return build_report(info, outcomes, today=samples.TODAY)


def test_grouped_failures_in_a_screenshot(
    browser: webdriver.Chrome, tmp_path: Path, samples: Any, redactor: Redactor
) -> None:
    """The first screen of a failing report: the verdict, the injected defect, then the failed requirement with
    one example of each kind of failure, the other tests behind their count."""
    paths = write_reports(_grouped_report(samples), tmp_path / "reports", redactor)
    browser.get(paths["html"].as_uri())
    viewport = browser.execute_script("return window.innerHeight")
    banner = browser.find_element(By.ID, "banner")
    assert browser.execute_script("return getComputedStyle(arguments[0]).backgroundColor", banner) == "rgb(207, 34, 46)"
    assert "injected defect count-wrong" in browser.find_element(By.ID, "injected").text

    first_row = browser.find_elements(By.CSS_SELECTOR, "#requirements tr.req")[0]
    assert first_row.get_attribute("id") == "req-COUNT-EQUALS-RESULTS"
    groups = first_row.find_elements(By.CSS_SELECTOR, "div.failure-group")
    assert [g.get_attribute("id") for g in groups] == ["req-COUNT-EQUALS-RESULTS-1", "req-COUNT-EQUALS-RESULTS-2"]
    assert all(g.find_element(By.CSS_SELECTOR, "pre.request").is_displayed() for g in groups)
    assert len(first_row.find_elements(By.CSS_SELECTOR, "div.failure")) == 2, "one example per kind, not per test"
    more = groups[0].find_element(By.CSS_SELECTOR, "details.more")
    assert more.find_element(By.TAG_NAME, "summary").text == "and 59 more tests like it"
    hidden = more.find_elements(By.CSS_SELECTOR, "li")
    assert len(hidden) == 59 and not any(item.is_displayed() for item in hidden)
    assert first_row.find_element(By.CSS_SELECTOR, "td.tests").text == "0 of 62 tests passed; 62 failed"

    # The first example's request starts on the first screen; the page holds the defect in a few screens.
    request_top = browser.execute_script(
        "return arguments[0].getBoundingClientRect().top", groups[0].find_element(By.CSS_SELECTOR, "pre.request")
    )
    assert request_top < viewport, f"the first request starts at {request_top} px, below the first screen"
    height = browser.execute_script("return document.documentElement.scrollHeight")
    assert height < 6 * viewport, f"the page is {height} px tall ({height / viewport:.1f} screens)"
    assert browser.execute_script("return document.documentElement.scrollWidth") <= browser.execute_script(
        "return window.innerWidth"
    ), "the page scrolls sideways"

    browser.save_screenshot(str(tmp_path / "grouped.png"))
    png = (tmp_path / "grouped.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, tall = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, tall) == (browser.execute_script("return window.innerWidth"), viewport)  # the first screen

    more.find_element(By.TAG_NAME, "summary").click()
    assert all(item.is_displayed() for item in hidden)
    errors = [entry for entry in browser.get_log("browser") if entry["level"] in ("SEVERE", "WARNING")]
    assert errors == []


def test_the_console_check_would_see_an_error(browser: webdriver.Chrome, tmp_path: Path) -> None:
    """The no-error assertion above is not vacuous: a page that logs an error is seen."""
    page = tmp_path / "broken.html"
    page.write_text("<!DOCTYPE html><title>x</title><script>console.error('seen')</script>", encoding="utf-8")
    browser.get(page.as_uri())
    assert any("seen" in entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE")


def test_chromium_is_present_in_ci() -> None:
    """On CI the browser test must run, not skip: fail loudly if .ci/run did not install chromium."""
    import os

    if os.environ.get("CI") != "true":
        pytest.skip("only checked on CI (CI=true)")
    assert CHROMIUM.exists() and CHROMEDRIVER.exists() and shutil.which("chromium"), (
        "chromium is missing on CI: .ci/run must run apt-get install -y chromium chromium-driver"
    )
