"""Messages in both languages, wire errors with documented codes, and the public face of the package."""

from __future__ import annotations

import string

import pytest
from sandbox_helpers import CJK

import drs_conformance.sandbox as sandbox
from drs_conformance.contract.spec import contract
from drs_conformance.sandbox import errors
from drs_conformance.sandbox.messages import MESSAGES, message


def test_tables_cover_the_contract_languages() -> None:
    assert tuple(MESSAGES) == contract().languages, f"received {tuple(MESSAGES)}, documented {contract().languages}"


def test_both_tables_have_the_same_keys() -> None:
    en, zh = MESSAGES["en-us"], MESSAGES["zh-cn"]
    assert set(en) == set(zh), f"only in en-us: {sorted(set(en) - set(zh))}; only in zh-cn: {sorted(set(zh) - set(en))}"


@pytest.mark.parametrize("key", sorted(MESSAGES["en-us"]))
def test_each_message_exists_in_both_languages(key: str) -> None:
    en, zh = MESSAGES["en-us"][key], MESSAGES["zh-cn"][key]
    assert CJK.search(zh), f"zh-cn message {key!r} has no Chinese characters: {zh!r}"
    assert not CJK.search(en), f"en-us message {key!r} has Chinese characters: {en!r}"
    fields = lambda text: {name for _, name, _, _ in string.Formatter().parse(text) if name}  # noqa: E731
    assert fields(en) == fields(zh), f"message {key!r}: placeholders differ between en-us and zh-cn"


def test_every_error_key_has_a_message() -> None:
    for error in errors.ALL_ERRORS:
        assert error.default_key in MESSAGES["en-us"], (
            f"{error.__name__}.default_key {error.default_key!r} has no message"
        )


def test_request_level_400_codes_are_documented() -> None:
    documented = set(contract().documented_error_codes)
    for error in errors.ALL_ERRORS:
        if issubclass(error, errors.BadRequest):
            assert error.code in documented, f"{error.__name__} answers {error.code}, not a documented code"
            assert contract().error_code_regex.match(error.code)


def test_one_class_per_status_and_code() -> None:
    pairs = [(e.status, e.code, e.default_key) for e in errors.ALL_ERRORS]
    assert len(pairs) == len(set(pairs)), "two error classes put the same error on the wire"


def test_unknown_language_falls_back_to_english() -> None:
    assert message("result.not_found", "fr-fr") == MESSAGES["en-us"]["result.not_found"]


def test_public_names_stay_as_intended() -> None:
    assert sorted(sandbox.__all__) == sorted(
        [
            "AccessKey",
            "CONTROL_PREFIX",
            "DEFAULT_AK",
            "DEFAULT_PROJECT",
            "DEFAULT_SK",
            "DEFAULT_TOKEN",
            "Defect",
            "Job",
            "JobStore",
            "OPENAPI_PATH",
            "RunningSandbox",
            "SandboxConfig",
            "Seeded",
            "Variant",
            "create_app",
            "example_curl",
            "list_defects",
            "list_variants",
            "serve",
            "start_in_thread",
        ]
    )
    for name in sandbox.__all__:
        assert hasattr(sandbox, name), f"drs_conformance.sandbox.__all__ names {name}, which is missing"


def test_defaults() -> None:
    assert sandbox.DEFAULT_TOKEN == "sandbox-token"
    assert contract().example_project_id == sandbox.DEFAULT_PROJECT
    config = sandbox.SandboxConfig()
    assert config.tokens == {sandbox.DEFAULT_TOKEN: sandbox.DEFAULT_PROJECT}
    assert [(k.ak, k.sk, k.project_id) for k in config.access_keys] == [
        (sandbox.DEFAULT_AK, sandbox.DEFAULT_SK, sandbox.DEFAULT_PROJECT)
    ]
    assert config.control_api is True and config.body_limit == 1024 * 1024 and not config.defect
    assert sandbox.DEFAULT_SK not in repr(config), "the secret key shows in the config's repr"
