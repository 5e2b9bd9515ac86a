"""--require-complete is one option of the table: flag, environment variable, config file key."""

from __future__ import annotations

from pathlib import Path

import pytest

from drs_conformance.errors import UsageError
from drs_conformance.plugin.options import resolve_options


@pytest.mark.parametrize(
    ("given", "environ", "config", "expected"),
    [
        pytest.param({}, {}, None, False, id="default-off"),
        pytest.param({"require_complete": True}, {}, None, True, id="flag"),
        pytest.param({}, {"DRS_REQUIRE_COMPLETE": "yes"}, None, True, id="environment"),
        pytest.param(
            {}, {"DRS_REQUIRE_COMPLETE": "0"}, "run:\n  require_complete: true\n", False, id="environment-over-file"
        ),
        pytest.param({}, {}, "run:\n  require_complete: true\n", True, id="config-file"),
    ],
)
def test_require_complete_resolves_like_every_option(
    tmp_path: Path, given: dict, environ: dict, config: str | None, expected: bool
) -> None:
    if config is not None:
        path = tmp_path / "kit.yaml"
        path.write_text(config, encoding="utf-8")
        given = {**given, "config": str(path)}
    assert resolve_options(given, environ).require_complete is expected


def test_a_bad_value_is_one_line_naming_the_source() -> None:
    with pytest.raises(UsageError) as raised:
        resolve_options({}, {"DRS_REQUIRE_COMPLETE": "perhaps"})
    assert str(raised.value) == (
        "--require-complete (from environment variable DRS_REQUIRE_COMPLETE): 'perhaps' is not a yes/no value "
        "(give yes or no, true or false, 1 or 0)"
    )


def test_report_url_resolves_from_the_environment() -> None:
    options = resolve_options({}, {"DRS_REPORT_URL": "https://ci.example.test/7/reports/"})
    assert options.report_url == "https://ci.example.test/7/reports/"
    assert options.public()["report_url"] == "https://ci.example.test/7/reports/"
