"""The public face of drs_conformance.strategies: exported names, option errors, README table."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import find, settings
from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

import drs_conformance.strategies as strategies
from drs_conformance.contract.catalogue import catalogue

README = Path(strategies.__file__).with_name("README.md")
EXAMPLE_ID = "8d0e8e36-a618-490d-8a46-8c61ac9jb502"

EXPORTED = {
    "JOB_ID_SHAPES", "job_ids", "pause_modes", "pause_infos", "BATCH_LIMIT", "batches", "batches_over",
    "JobSpec", "job_specs", "pausable_job_specs",
    "Expect", "EXPECTS", "Fault", "FaultKind", "fault_kinds", "fault_kinds_table",
    "malformed_job_ids", "wrong_pause_modes", "malformed_items", "malformed_bodies", "not_json_bodies",
    "extra_fields", "duplicate_id_batches", "oversized_batches", "BODY_LIMIT", "oversized_bodies",
    "wrong_content_types", "non_pausable_job_specs", "item_faults", "request_faults", "one_fault_batches",
    "JOB_ID_FORMAT", "register_job_id_format", "with_job_id_format",
}  # fmt: skip

STRATEGIES = [
    "job_ids", "pause_modes", "pause_infos", "batches", "job_specs", "pausable_job_specs",
    "malformed_job_ids", "wrong_pause_modes", "malformed_items", "malformed_bodies", "not_json_bodies",
    "extra_fields", "duplicate_id_batches", "oversized_batches", "oversized_bodies", "wrong_content_types",
    "non_pausable_job_specs", "item_faults", "request_faults", "one_fault_batches",
]  # fmt: skip


def test_exported_names_stay_as_intended() -> None:
    assert set(strategies.__all__) == EXPORTED, (
        f"added: {sorted(set(strategies.__all__) - EXPORTED)}, removed: {sorted(EXPORTED - set(strategies.__all__))}"
    )
    assert len(strategies.__all__) == len(set(strategies.__all__)), "a name is exported twice"
    missing = [name for name in strategies.__all__ if not hasattr(strategies, name)]
    assert not missing, f"exported but not defined: {missing}"


@pytest.mark.parametrize("name", [pytest.param(name, id=name) for name in STRATEGIES])
def test_every_strategy_function_returns_a_strategy_and_takes_keywords_only(name: str) -> None:
    import inspect

    function = getattr(strategies, name)
    assert isinstance(function(), SearchStrategy), f"{name}() did not return a SearchStrategy"
    positional = [
        p.name
        for p in inspect.signature(function).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    assert positional == [], f"{name} takes {positional} positionally; options are keyword-only"
    assert function.__doc__, f"{name} has no docstring"


def test_importing_the_package_loads_neither_schemathesis_nor_the_contract() -> None:
    code = (
        "import sys, drs_conformance.strategies, drs_conformance.contract.spec as spec; "
        "print('schemathesis' in sys.modules, spec.contract.cache_info().currsize)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "0"], (
        f"import side effects (schemathesis loaded, contract read): {result.stdout!r} {result.stderr!r}"
    )


def _expect_error(call: Callable[[], Any]) -> str:
    with pytest.raises(InvalidArgument) as raised:
        call()
    return str(raised.value)


OPTION_ERRORS = [
    pytest.param(lambda: strategies.batches(min_size=0), "Cannot have min_size=0 < 1", id="batches-min-0"),
    pytest.param(lambda: strategies.batches(max_size=101), "Cannot have max_size=101 > 100", id="batches-max-101"),
    pytest.param(
        lambda: strategies.batches(min_size=5, max_size=3),
        "Cannot have max_size=3 < min_size=5",
        id="batches-max-lt-min",
    ),
    pytest.param(lambda: strategies.batches(min_size=1.5), "min_size=1.5 must be an integer", id="batches-min-float"),
    pytest.param(
        lambda: strategies.batches(job_ids=["x"]),
        "job_ids=['x'] must be a hypothesis strategy",
        id="batches-job-ids-list",
    ),
    pytest.param(
        lambda: strategies.batches(modes="target"),
        "modes='target' must be a hypothesis strategy",
        id="batches-modes-str",
    ),
    pytest.param(
        lambda: strategies.pause_infos(modes=["all"]),
        "modes=['all'] must be a hypothesis strategy",
        id="pause-infos-modes",
    ),
    pytest.param(lambda: strategies.batches_over([]), "jobs=[] is empty", id="over-empty"),
    pytest.param(lambda: strategies.batches_over("abc"), "jobs='abc' must be a sequence", id="over-string"),
    pytest.param(
        lambda: strategies.batches_over(["bad"]), "jobs[0]='bad' is not a well-formed job id", id="over-bad-id"
    ),
    pytest.param(lambda: strategies.batches_over([EXAMPLE_ID, EXAMPLE_ID]), "more than once", id="over-duplicate"),
    pytest.param(
        lambda: strategies.batches_over([EXAMPLE_ID], max_size=2), "Cannot have max_size=2 > 1", id="over-max"
    ),
    pytest.param(lambda: strategies.job_ids(shapes={"hex"}), "Unknown shape 'hex' in shapes=['hex']", id="ids-shape"),
    pytest.param(lambda: strategies.job_ids(shapes="any"), "shapes='any' must be a collection", id="ids-shape-str"),
    pytest.param(lambda: strategies.job_ids(shapes=[]), "shapes=[] selects nothing", id="ids-shape-empty"),
    pytest.param(lambda: strategies.job_specs(statuses={"RUNNING"}), "Unknown status 'RUNNING'", id="specs-status"),
    pytest.param(lambda: strategies.job_specs(types={"dr"}), "Unknown type 'dr'", id="specs-type"),
    pytest.param(
        lambda: strategies.malformed_job_ids(kinds={"job-id/upper-case"}),
        "Unknown kind 'job-id/upper-case'",
        id="kind-upper",
    ),
    pytest.param(lambda: strategies.item_faults(kinds={"body/empty"}), "Unknown kind 'body/empty'", id="item-kind"),
    pytest.param(lambda: strategies.request_faults(expects={"refuse-500"}), "Unknown expect 'refuse-500'", id="expect"),
    pytest.param(
        lambda: strategies.request_faults(kinds={"body/empty"}, expects={"either-large"}),
        "No kind of request_faults() has",
        id="kinds-expects",
    ),
    pytest.param(
        lambda: strategies.one_fault_batches(max_size=100), "Cannot have max_size=100 > 99", id="one-fault-max"
    ),
    pytest.param(
        lambda: strategies.one_fault_batches(faults=[1]),
        "faults=[1] must be a hypothesis strategy",
        id="one-fault-faults",
    ),
    pytest.param(
        lambda: strategies.oversized_batches(min_size=100), "Cannot have min_size=100 < 101", id="oversized-min"
    ),
    pytest.param(
        lambda: strategies.duplicate_id_batches(min_size=1), "Cannot have min_size=1 < 2", id="duplicates-min"
    ),
    pytest.param(
        lambda: strategies.duplicate_id_batches(max_size=101), "Cannot have max_size=101 > 100", id="duplicates-max"
    ),
]


@pytest.mark.parametrize(("call", "message"), OPTION_ERRORS)
def test_options_are_checked_up_front_with_an_error_naming_the_argument(call: Callable[[], Any], message: str) -> None:
    error = _expect_error(call)
    assert message in error, f"expected {message!r} in the error, got {error!r}"


def test_a_faults_option_that_draws_a_whole_body_fault_is_refused_when_drawn() -> None:
    strategy = strategies.one_fault_batches(faults=strategies.malformed_bodies(kinds={"body/jobs-empty"}))
    error = _expect_error(lambda: find(strategy, lambda _: True, settings=settings(database=None)))
    assert "faults= drew body/jobs-empty, which is not a fault of one item" in error, error


def test_every_fault_kind_names_a_catalogue_requirement_and_a_known_expectation() -> None:
    kinds = strategies.fault_kinds()
    names = [kind.kind for kind in kinds]
    assert len(names) == len(set(names)), "a kind is declared twice"
    for kind in kinds:
        assert kind.requirement in catalogue(), f"{kind.kind}: {kind.requirement} is not in requirements.yaml"
        assert kind.expect in strategies.EXPECTS, f"{kind.kind}: unknown expect {kind.expect}"
        assert re.fullmatch(r"[a-z0-9-]+/[a-z0-9-]+", kind.kind), f"{kind.kind} is not a short slug"
        assert hasattr(strategies, kind.strategy), f"{kind.kind} names the strategy {kind.strategy}, not exported"
    used = {kind.requirement for kind in kinds}
    wanted = {
        "JOB-ID-RULE", "PAUSE-MODE-VALUES", "ITEM-SHAPE", "BODY-SHAPE", "CONTENT-TYPE-REFUSED", "DUPLICATE-IDS",
        "EXTRA-FIELDS", "BATCH-OVER-100", "BODY-OVER-1MIB", "NON-PAUSABLE-STATE-FAILS", "DR-JOB-FAILS",
    }  # fmt: skip
    assert used == wanted, f"requirements without a fault: {wanted - used}; unexpected: {used - wanted}"
    assert {kind.expect for kind in kinds} == set(strategies.EXPECTS), "an expectation has no fault kind"


def test_the_expectation_of_each_kind_follows_its_requirement() -> None:
    either = {
        "DUPLICATE-IDS": "either-duplicates",
        "EXTRA-FIELDS": "either-extra-fields",
        "BATCH-OVER-100": "either-large",
        "BODY-OVER-1MIB": "either-large",
    }
    for kind in strategies.fault_kinds():
        level = catalogue()[kind.requirement].level
        if kind.requirement in either:
            assert kind.expect == either[kind.requirement], kind
            assert level == "EITHER", f"{kind.kind}: {kind.requirement} is {level}, not EITHER"
        else:
            assert level == "MUST", f"{kind.kind}: {kind.requirement} is {level}; a fault breaks a MUST"
            wanted = {
                "CONTENT-TYPE-REFUSED": "refuse-4xx",
                "NON-PAUSABLE-STATE-FAILS": "item-fails",
                "DR-JOB-FAILS": "item-fails",
            }
            assert kind.expect == wanted.get(kind.requirement, "refuse-400"), kind


def test_the_readme_lists_every_fault_kind_as_the_code_declares_it() -> None:
    text = README.read_text(encoding="utf-8")
    match = re.search(r"<!-- fault-kinds:start -->\n(.*?)\n<!-- fault-kinds:end -->", text, re.S)
    assert match, "strategies/README.md has no <!-- fault-kinds:start/end --> block"
    assert match.group(1) == strategies.fault_kinds_table(), (
        "the README's fault table is stale; regenerate it with\n"
        "  python -c 'from drs_conformance.strategies import fault_kinds_table; print(fault_kinds_table())'"
    )
    for expect in strategies.EXPECTS:
        assert f"`{expect}`" in text, f"the README does not explain expect {expect}"
