"""The sandbox's policy: every defect and every variant option is a change of data, built once from the config."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest

from drs_conformance.contract.spec import contract
from drs_conformance.sandbox import SandboxConfig, list_defects, list_variants
from drs_conformance.sandbox.defects import ActiveDefect
from drs_conformance.sandbox.errors import (
    InvalidBody,
    PayloadTooLarge,
    TooManyJobs,
    Unauthorized,
    Unprocessable,
    UnsupportedLanguage,
    UnsupportedMediaType,
)
from drs_conformance.sandbox.policy import (
    Refusal,
    SandboxPolicy,
    SchemaEdits,
    build_policy,
)
from drs_conformance.sandbox.variants import VariantChoices

C = contract()
SANDBOX_DIR = Path(__file__).resolve().parents[2] / "drs_conformance" / "sandbox"
CLEAN = build_policy(SandboxConfig())


def policy_of(defect: str | None = None, **variants: str) -> SandboxPolicy:
    return build_policy(SandboxConfig(defect=ActiveDefect(defect), variants=VariantChoices(variants)))


def test_clean_policy_is_the_documented_behaviour() -> None:
    request, answers, auth = CLEAN.request, CLEAN.answers, CLEAN.auth
    assert request.batch_limit == C.batch_limit and request.body_limit == C.body_limit, "limits not the contract's"
    assert request.content_type_refusal == Refusal(UnsupportedMediaType), f"received {request.content_type_refusal}"
    assert request.language_refusal == Refusal(UnsupportedLanguage), "default unknown-language option is refuse"
    assert request.batch_refusal is None and request.duplicate_refusal is None and request.extra_field_refusal is None
    assert not request.lenient and request.schema == SchemaEdits(), "a clean sandbox tolerates nothing"
    assert (answers.success_word, answers.failed_word) == (C.success_word, C.failed_word)
    assert answers.error_code is None and answers.method_not_allowed and answers.honour_language
    assert auth.invalid_credentials == Refusal(Unauthorized) and auth.check_signature and auth.check_date
    assert CLEAN.pause.statuses == frozenset(C.pausable_statuses) and CLEAN.pause.types == frozenset(C.pausable_types)
    assert CLEAN.resume.apply and not CLEAN.gateway


def test_policy_is_built_alike_from_alike_configs() -> None:
    assert build_policy(SandboxConfig(defect=ActiveDefect("ids-rewritten"))) == policy_of("ids-rewritten")
    assert build_policy(SandboxConfig()) == CLEAN


@pytest.mark.parametrize("name", [pytest.param(d.name, id=d.name) for d in list_defects()])
def test_every_defect_is_a_change_of_policy(name: str) -> None:
    assert policy_of(name) != CLEAN, f"defect {name} leaves the policy as a clean sandbox's: it would change nothing"


@pytest.mark.parametrize(
    ("name", "option"),
    [pytest.param(v.name, o, id=f"{v.name}={o}") for v in list_variants() for o in v.options[1:]],
)
def test_every_variant_option_is_a_change_of_policy(name: str, option: str) -> None:
    assert policy_of(**{name: option}) != CLEAN, f"variant {name}={option} leaves the policy unchanged"


@pytest.mark.parametrize(
    ("defect", "variants", "part", "field", "value"),
    [
        pytest.param(
            "content-type-unchecked", {}, "request", "content_type_refusal", None, id="content-type-unchecked"
        ),
        pytest.param(
            "content-type-400",
            {},
            "request",
            "content_type_refusal",
            Refusal(InvalidBody, "content_type"),
            id="content-type-400",
        ),
        pytest.param(
            "large-body-422",
            {},
            "request",
            "body_too_large",
            Refusal(Unprocessable, "body.too_large"),
            id="large-body-422",
        ),
        pytest.param(None, {}, "request", "body_too_large", Refusal(PayloadTooLarge), id="clean-body-413"),
        pytest.param("batch-limit-50", {}, "request", "batch_limit", 50, id="batch-limit-50"),
        pytest.param(
            None, {"large-batch": "refuse"}, "request", "batch_refusal", Refusal(TooManyJobs), id="large-batch=refuse"
        ),
        pytest.param(
            "large-batch-422",
            {"large-batch": "refuse"},
            "request",
            "batch_refusal",
            Refusal(Unprocessable, "body.too_many_jobs"),
            id="large-batch-422-wins-over-refuse",
        ),
        pytest.param(
            "duplicates-double-success",
            {"duplicates": "refuse"},
            "request",
            "duplicate_refusal",
            None,
            id="duplicates-double-success-serves-duplicates",
        ),
        pytest.param(
            "job-id-hex-only", {}, "request", "schema", SchemaEdits(job_id_hex_only=True), id="job-id-hex-only"
        ),
        pytest.param(
            "success-word-capitalised",
            {},
            "answers",
            "success_word",
            C.success_word.capitalize(),
            id="success-word-capitalised",
        ),
        pytest.param("failed-status-word", {}, "answers", "failed_word", "error", id="failed-status-word"),
        pytest.param("count-as-string", {}, "answers", "count", "string", id="count-as-string"),
        pytest.param(
            None,
            {"failed-lookup-status": "null"},
            "answers",
            "lookup_status",
            (("status", None),),
            id="failed-lookup-status=null",
        ),
        pytest.param("auth-status-400", {}, "auth", "invalid_credentials", Refusal(InvalidBody), id="auth-status-400"),
        pytest.param(
            None,
            {"project-mismatch-status": "401"},
            "auth",
            "wrong_project",
            Refusal(Unauthorized, "auth.project"),
            id="project-mismatch-status=401",
        ),
        pytest.param("dr-jobs-pausable", {}, "pause", "types", frozenset(C.job_types), id="dr-jobs-pausable"),
        pytest.param("retry-noop", {}, "resume", "apply", False, id="retry-noop"),
    ],
)
def test_defect_or_variant_maps_to_its_policy_field(
    defect: str | None, variants: dict[str, str], part: str, field: str, value: Any
) -> None:
    received = getattr(getattr(policy_of(defect, **variants), part), field)
    assert received == value, (
        f"{defect or 'clean'} {variants or ''}: received {part}.{field} = {received!r}, expected {value!r}"
    )


def test_one_failure_fails_all_changes_the_store_and_the_answer() -> None:
    policy = policy_of("one-failure-fails-all")
    assert policy.pause.all_or_nothing and policy.answers.fail_all_on_failure, "one defect, two parts of the sandbox"


def test_refusal_builds_its_error_with_key_and_parameters() -> None:
    error = Refusal(Unprocessable, "body.too_large")(limit=5)
    assert isinstance(error, Unprocessable) and error.key == "body.too_large" and error.params == {"limit": 5}
    assert Refusal(InvalidBody)("auth.token").key == "auth.token", "a key given at the call names the message"
    assert Refusal(UnsupportedMediaType)().key == UnsupportedMediaType.default_key


def code_strings(path: Path) -> set[str]:
    """The string constants of a module's code (its docstrings left out: examples may name a defect)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    }


def test_defect_names_appear_only_in_the_gallery_and_the_policy() -> None:
    """Handling code reads policy fields: a defect's name is declared once and mapped once."""
    names = {d.name for d in list_defects()}
    found = {
        path.name: sorted(names & code_strings(path))
        for path in SANDBOX_DIR.glob("*.py")
        if path.name not in ("defects.py", "policy.py")
    }
    spread = {module: hits for module, hits in found.items() if hits}
    assert not spread, f"received defect names outside defects.py and policy.py: {spread}"


def test_only_the_policy_consults_defects_and_variants() -> None:
    consulting = sorted(
        path.name
        for path in SANDBOX_DIR.glob("*.py")
        if re.search(r"\.defect\.active\(|\.variants\.chosen\(", path.read_text(encoding="utf-8"))
    )
    assert consulting == ["config.py", "policy.py"], f"received {consulting}: read a policy field instead"
