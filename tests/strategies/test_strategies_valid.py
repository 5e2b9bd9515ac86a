"""Valid values: every one validates against the contract's schemas and the id rule; shrinking; seeds."""

from __future__ import annotations

import string
from collections import Counter
from typing import Any

import pytest
from hypothesis import Phase, find, settings
from jsonschema import Draft202012Validator

from drs_conformance.contract.spec import contract
from drs_conformance.strategies import (
    BATCH_LIMIT,
    JobSpec,
    batches,
    batches_over,
    job_ids,
    job_specs,
    pausable_job_specs,
    pause_infos,
    pause_modes,
)

ZERO_ID = "00000000-0000-0000-0000-000000000000"
# No explain phase: it only annotates failures, and costs seconds on unique lists.
NO_DATABASE = settings(database=None, derandomize=True, phases=(Phase.generate, Phase.shrink))


def _is_valid_id(value: str, validator: Draft202012Validator) -> bool:
    return contract().job_id_regex.fullmatch(value) is not None and validator.is_valid(value)


def test_job_ids_are_valid_for_the_regex_and_the_schema(collect: Any, job_id_validator: Draft202012Validator) -> None:
    for value in collect(job_ids(), 300):
        assert _is_valid_id(value, job_id_validator), f"{value!r} breaks the contract's job-id rule"
        assert value == value.lower(), f"{value!r} has upper case, which the contract leaves undecided"


def test_job_ids_cover_the_whole_alphabet_in_every_group(collect: Any) -> None:
    alphabet = set(string.digits + string.ascii_lowercase)
    seen: list[set[str]] = [set() for _ in range(5)]
    for value in collect(job_ids(shapes={"any"}), 400):
        for number, group in enumerate(value.split("-")):
            seen[number] |= set(group)
    for number, characters in enumerate(seen, start=1):
        assert characters == alphabet, f"group {number} never had {''.join(sorted(alphabet - characters))}"


def test_job_ids_mix_the_documented_shape_the_examples_and_non_hex_letters(collect: Any) -> None:
    values = collect(job_ids(), 300)
    hex_digits = set(string.hexdigits.lower())
    documented = [v for v in values if set(v[:23]) <= hex_digits | {"-"} and "jb" in v[24:]]
    non_hex = [v for v in values if set(v.replace("-", "")) - hex_digits]
    shares = {
        "the document's example": values.count(contract().example_job_id),
        "the documented shape": len(documented),
        "non-hex letters": len(non_hex),
        "ids uniform over [0-9a-z]": len(values) - len(documented),
    }
    for what, count in shares.items():
        assert count >= len(values) // 10, f"only {count} of {len(values)} ids are {what}: {shares}"


@pytest.mark.parametrize(
    ("shapes", "check"),
    [
        pytest.param({"any"}, lambda v: True, id="any"),
        pytest.param(
            {"documented"}, lambda v: set(v[:23]) <= set("0123456789abcdef-") and "jb" in v[24:], id="documented"
        ),
        pytest.param({"example"}, lambda v: v == contract().example_job_id, id="example"),
    ],
)
def test_job_ids_of_one_shape(
    shapes: set[str], check: Any, collect: Any, job_id_validator: Draft202012Validator
) -> None:
    for value in collect(job_ids(shapes=shapes), 60):
        assert _is_valid_id(value, job_id_validator), value
        assert check(value), f"{value!r} is not of shape {shapes}"


def test_documented_ids_end_like_the_references_ids(collect: Any) -> None:
    tails = Counter()
    for value in collect(job_ids(shapes={"documented"}), 200):
        tail = value[value.index("jb") :]
        tails["jb + 3 digits (jb502)" if tail[2:].isdigit() and len(tail) == 5 else
              "jb + 2 digits (jb21)" if tail[2:].isdigit() else "jb + 2 digits + letter (jb20r)"] += 1  # fmt: skip
    assert len(tails) == 3, f"a documented tail never appears: {dict(tails)}"


def test_pause_modes_are_the_contracts(collect: Any) -> None:
    assert set(collect(pause_modes(), 40)) == set(contract().pause_modes)


def test_pause_infos_validate_as_items(collect: Any) -> None:
    validator = Draft202012Validator(contract().resolved_schema("PauseInfo"))
    for item in collect(pause_infos(), 60):
        assert validator.is_valid(item), f"{item!r} is not a valid PauseInfo"


def test_batches_validate_with_unique_ids_and_mixed_modes(
    collect: Any, request_validator: Draft202012Validator
) -> None:
    sizes, mixed = Counter(), 0
    for batch in collect(batches(), 200):
        errors = [e.message for e in request_validator.iter_errors(batch)]
        assert not errors, f"{batch!r} breaks the schema: {errors}"
        ids = [item["job_id"] for item in batch["jobs"]]
        assert len(ids) == len(set(ids)), f"duplicated ids in {ids}"
        assert 1 <= len(ids) <= BATCH_LIMIT
        sizes[len(ids)] += 1
        mixed += len({item["pause_mode"] for item in batch["jobs"]}) > 1
    assert mixed > 20, f"only {mixed} batches mixed both modes"
    assert max(sizes) > 10, f"batches never grew: {sorted(sizes)}"


def test_batches_of_exactly_100_items(collect: Any, request_validator: Draft202012Validator) -> None:
    for batch in collect(batches(min_size=BATCH_LIMIT), 5):
        assert len(batch["jobs"]) == BATCH_LIMIT
        assert len({item["job_id"] for item in batch["jobs"]}) == BATCH_LIMIT
        assert request_validator.is_valid(batch)


def test_batches_take_custom_id_and_mode_strategies(collect: Any) -> None:
    modes = pause_modes().filter(lambda m: m == "all")
    for batch in collect(batches(job_ids=job_ids(shapes={"documented"}), modes=modes, max_size=5), 30):
        assert all(item["pause_mode"] == "all" and "jb" in item["job_id"] for item in batch["jobs"]), batch


def test_batches_over_seeded_jobs_draw_subsets(collect: Any, request_validator: Draft202012Validator) -> None:
    seeded = [contract().example_job_id, ZERO_ID, "00000000-0000-0000-0000-00000000000z"]
    seen: set[str] = set()
    for batch in collect(batches_over(seeded), 60):
        ids = [item["job_id"] for item in batch["jobs"]]
        assert request_validator.is_valid(batch), batch
        assert set(ids) <= set(seeded) and len(ids) == len(set(ids)), ids
        seen |= set(ids)
    assert seen == set(seeded), f"never drew {set(seeded) - seen}"


def test_job_specs_bind_a_status_and_a_type(collect: Any) -> None:
    c = contract()
    specs = collect(job_specs(), 300)
    assert {s.status for s in specs} == set(c.statuses), "a status is never drawn"
    assert {s.type for s in specs} == set(c.job_types), "a type is never drawn"
    narrowed = collect(job_specs(statuses={"PAUSING"}, types={"sync"}), 5)
    assert set(narrowed) == {JobSpec("PAUSING", "sync")}


def test_pausable_job_specs_are_exactly_the_pausable_ones(collect: Any) -> None:
    c = contract()
    specs = collect(pausable_job_specs(), 200)
    assert all(spec.pausable for spec in specs)
    assert {s.status for s in specs} == set(c.pausable_statuses)
    assert {s.type for s in specs} == set(c.pausable_types)


# --- shrinking --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("strategy", "condition", "minimal"),
    [
        pytest.param(job_ids, lambda v: True, ZERO_ID, id="job-id"),
        pytest.param(
            lambda: job_ids(shapes={"documented"}),
            lambda v: True,
            "00000000-0000-0000-0000-0000000jb000",
            id="documented-id",
        ),
        pytest.param(job_ids, lambda v: "z" in v, "00000000-0000-0000-0000-00000000000z", id="job-id-with-z"),
        pytest.param(pause_modes, lambda v: True, "target", id="mode"),
        pytest.param(batches, lambda v: True, {"jobs": [{"job_id": ZERO_ID, "pause_mode": "target"}]}, id="batch"),
        pytest.param(
            batches,
            lambda v: len(v["jobs"]) >= 2,
            {
                "jobs": [
                    {"job_id": ZERO_ID, "pause_mode": "target"},
                    {"job_id": "00000000-0000-0000-0000-000000000001", "pause_mode": "target"},
                ]
            },
            id="batch-of-two",
        ),
        pytest.param(
            lambda: batches_over([contract().example_job_id, ZERO_ID]),
            lambda v: True,
            {"jobs": [{"job_id": contract().example_job_id, "pause_mode": "target"}]},
            id="batch-over-seeded",
        ),
        pytest.param(
            job_specs, lambda v: True, JobSpec(contract().statuses[0], contract().job_types[0]), id="job-spec"
        ),
    ],
)
def test_shrunk_valid_values_are_minimal_and_readable(strategy: Any, condition: Any, minimal: Any) -> None:
    assert find(strategy(), condition, settings=NO_DATABASE) == minimal


# --- seeds ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "strategy",
    [
        pytest.param(job_ids, id="job-ids"),
        pytest.param(batches, id="batches"),
        pytest.param(job_specs, id="job-specs"),
        pytest.param(lambda: batches_over([contract().example_job_id, ZERO_ID]), id="batches-over"),
    ],
)
def test_the_same_seed_gives_the_same_values(strategy: Any, collect: Any) -> None:
    first = collect(strategy(), 30, random_seed=20240607)
    assert first == collect(strategy(), 30, random_seed=20240607), "one seed gave two different sequences"
    assert first == [] or first != collect(strategy(), 30, random_seed=7), "the seed makes no difference"
    assert collect(strategy(), 30) == collect(strategy(), 30), "derandomize gave two different sequences"
