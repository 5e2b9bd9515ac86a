"""Invalid values: every fault fails for exactly its stated reason and no other; one-fault batches; shrinking."""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import Phase, find, settings
from jsonschema import Draft202012Validator

from drs_conformance.contract.spec import contract
from drs_conformance.strategies import (
    BATCH_LIMIT,
    BODY_LIMIT,
    Fault,
    JobSpec,
    duplicate_id_batches,
    fault_kinds,
    item_faults,
    malformed_job_ids,
    non_pausable_job_specs,
    one_fault_batches,
    oversized_batches,
    request_faults,
)

NO_DATABASE = settings(database=None, derandomize=True, phases=(Phase.generate, Phase.shrink))
KINDS = {kind.kind: kind for kind in fault_kinds()}
REQUEST_KINDS = [kind for kind in KINDS.values() if kind.expect != "item-fails"]
ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
FULL_WIDTH = {chr(ord("0") + 0xFF10 - ord("0") + d): str(d) for d in range(10)}

# What jsonschema may say about a fault of each rule, and nothing else.
KEYWORDS = {
    "JOB-ID-RULE": {"pattern", "minLength", "maxLength"},
    "PAUSE-MODE-VALUES": {"enum"},
    "ITEM-SHAPE": {"type", "required", "enum"},  # a pause_mode that is not a string is not in the enum either
    "BODY-SHAPE": {"type", "required", "minItems"},
}


def is_id(value: Any) -> bool:
    return isinstance(value, str) and contract().job_id_regex.fullmatch(value) is not None


def strict_json(raw: bytes) -> Any:
    def refuse(constant: str) -> Any:
        raise ValueError(f"{constant} is not JSON")

    return json.loads(raw, parse_constant=refuse)


def one_removed(value: str, base: str, accept: Callable[[str], bool]) -> bool:
    """value is base with exactly one character added, and that character passes accept."""
    return len(value) == len(base) + 1 and any(
        value[:i] + value[i + 1 :] == base and accept(value[i]) for i in range(len(value))
    )


def one_replaced(value: str, base: str) -> list[int]:
    return [i for i, (a, b) in enumerate(zip(value, base, strict=True)) if a != b] if len(value) == len(base) else []


def groups(value: str) -> list[int]:
    return [len(group) for group in value.split("-")]


# Each job-id kind, checked from its base: the value is the base with exactly the stated change.
JOB_ID_CHECKS: dict[str, Callable[[str, str | None], bool]] = {
    "job-id/one-short": lambda v, b: one_removed(b, v, lambda c: c in ALPHABET),
    "job-id/one-long": lambda v, b: one_removed(v, b, lambda c: c in ALPHABET),
    "job-id/wrong-grouping": lambda v, b: (
        v.replace("-", "") == b.replace("-", "") and v.count("-") == 4 and len(v) == 36
        and sum(abs(x - y) for x, y in zip(groups(v), groups(b), strict=True)) == 2
    ),
    "job-id/missing-hyphen": lambda v, b: one_removed(b, v, lambda c: c == "-"),
    "job-id/no-hyphens": lambda v, b: v == b.replace("-", ""),
    "job-id/extra-hyphen": lambda v, b: one_removed(v, b, lambda c: c == "-"),
    "job-id/outside-alphabet": lambda v, b: (
        len(diff := one_replaced(v, b)) == 1 and v[diff[0]] not in ALPHABET + "-"
        and not v[diff[0]].isspace() and unicodedata.category(v[diff[0]]) not in ("Cc", "Cf", "Lu")
    ),
    "job-id/leading-whitespace": lambda v, b: v.endswith(b) and len(v) > len(b) and v[: -len(b)].isspace(),
    "job-id/trailing-whitespace": lambda v, b: v.startswith(b) and len(v) > len(b) and v[len(b) :].isspace(),
    "job-id/inner-whitespace": lambda v, b: (
        one_removed(v, b, str.isspace) and not v[0].isspace() and not v[-1].isspace()
    ),
    "job-id/braces": lambda v, b: v == "{" + b + "}",
    "job-id/urn-prefix": lambda v, b: v == "urn:uuid:" + b,
    "job-id/full-width-digit": lambda v, b: (
        len(diff := one_replaced(v, b)) == 1 and FULL_WIDTH.get(v[diff[0]]) == b[diff[0]]
        and unicodedata.normalize("NFKC", v) == b
    ),
    "job-id/cyrillic-look-alike": lambda v, b: (
        len(diff := one_replaced(v, b)) == 1 and unicodedata.name(v[diff[0]]).startswith("CYRILLIC SMALL LETTER")
        and b[diff[0]] in ALPHABET and b[diff[0]].isalpha()
    ),
    "job-id/zero-width": lambda v, b: one_removed(v, b, lambda c: unicodedata.category(c) == "Cf"),
    "job-id/control-character": lambda v, b: one_removed(
        v, b, lambda c: unicodedata.category(c) == "Cc" and c not in "\t\n\r\x00"
    ),
    "job-id/nul": lambda v, b: one_removed(v, b, lambda c: c == "\x00"),
    "job-id/empty": lambda v, b: v == "" and b is None,
    "job-id/very-long": lambda v, b: v.startswith(b) and len(v) >= 64 and set(v) <= set(ALPHABET + "-"),
    "job-id/sql-injection": lambda v, b: v.startswith(b) and ("'" in v[36:] or '"' in v[36:]),
    "job-id/script-injection": lambda v, b: v.startswith(b) and ("<" in v[36:] or "javascript:" in v[36:]),
    "job-id/path-traversal": lambda v, b: v.startswith(b) and (".." in v[36:] or "%2f" in v[36:]),
    "job-id/crlf-injection": lambda v, b: v.startswith(b) and ("\r\n" in v[36:] or "%0d%0a" in v[36:]),
}  # fmt: skip


def _mode_check(kind: str, value: Any, base: Any, item: dict[str, Any]) -> bool:
    modes = contract().pause_modes
    return {
        "mode/case-variant": lambda: value != base and value.lower() == base and base in modes,
        "mode/padded": lambda: value != base and value.strip() == base and base in modes,
        "mode/other-word": lambda: isinstance(value, str) and value.strip() and value.strip().lower() not in modes,
        "mode/empty": lambda: value == "",
        "mode/null": lambda: value is None and "pause_mode" in item,
        "mode/not-a-string": lambda: not isinstance(value, str) and value is not None,
        "mode/missing": lambda: "pause_mode" not in item and is_id(item.get("job_id")),
    }[kind]()


def _at(document: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        document = document[step]
    return document


def check_state_fault(fault: Fault) -> None:
    c = contract()
    spec = fault.value
    assert isinstance(spec, JobSpec) and fault.body is None, fault
    status_ok, type_ok = spec.status in c.pausable_statuses, spec.type in c.pausable_types
    assert spec.status in c.statuses and spec.type in c.job_types, spec
    if fault.kind == "state/not-pausable":
        assert not status_ok and type_ok, f"{spec} should break the state rule only"
    else:
        assert status_ok and not type_ok, f"{spec} should break the type rule only"
    assert spec.status in fault.reason and spec.type in fault.reason, fault.reason


def check_fault(fault: Fault, validator: Draft202012Validator, *, batch: bool = False) -> None:
    """The fault is what its kind declares and fails for its stated reason only."""
    declared = KINDS[fault.kind]
    assert (fault.requirement, fault.expect) == (declared.requirement, declared.expect), fault
    assert fault.reason.endswith(".") and len(fault.reason) > 20, f"unreadable reason {fault.reason!r}"
    assert all(is_id(job_id) for job_id in fault.job_ids), f"job_ids names a malformed id: {fault.job_ids}"
    if fault.expect == "item-fails":
        check_state_fault(fault)
        return
    assert isinstance(fault.body, bytes), fault
    kind, value, base = fault.kind, fault.value, fault.base

    if fault.path is None:
        check_raw_fault(fault, validator)
        return
    document = strict_json(fault.body)
    if fault.index is not None:
        assert fault.path[:2] == ("jobs", fault.index), f"path {fault.path} is not in item {fault.index}"
    errors = list(validator.iter_errors(document))
    if fault.expect == "refuse-400":
        where = {tuple(error.absolute_path) for error in errors}
        keywords = {error.validator for error in errors}
        assert where == {fault.path}, f"{kind}: jsonschema complains at {where}, not only at {fault.path}: {fault}"
        assert keywords <= KEYWORDS[fault.requirement], f"{kind}: jsonschema says {keywords}: {fault}"
        if fault.requirement == "ITEM-SHAPE":
            assert keywords & {"type", "required"}, f"{kind}: jsonschema does not see a shape fault: {keywords}"
    else:
        assert not errors, f"{kind} should be a valid batch but for {fault.requirement}: {[e.message for e in errors]}"

    if fault.requirement == "JOB-ID-RULE" or kind in ("job-id/null", "job-id/not-a-string"):
        assert _at(document, fault.path) == value, f"the body does not carry the value at {fault.path}"
        if fault.requirement == "JOB-ID-RULE":
            assert isinstance(value, str) and not is_id(value), f"{value!r} is not a malformed id"
            assert not any(c.isupper() for c in value), f"{value!r} has upper case, which the contract leaves open"
            assert base is None or (is_id(base) and base in fault.job_ids), f"base {base!r}"
            assert JOB_ID_CHECKS[kind](value, base), f"{value!r} is not {kind} of {base!r}"
        else:
            assert value is None if kind == "job-id/null" else not isinstance(value, str) and value is not None
    elif kind.startswith("mode/"):
        item = document["jobs"][fault.index]
        if kind != "mode/missing":
            assert item["pause_mode"] == value, "the body does not carry the value"
            assert is_id(item["job_id"]) and item["job_id"] in fault.job_ids
        assert _mode_check(kind, value, base, item), f"{value!r} is not {kind} of {base!r}"
    elif kind.startswith("item/"):
        item = _at(document, fault.path)
        assert item == value
        assert {
            "item/empty-object": lambda: item == {},
            "item/not-an-object": lambda: not isinstance(item, dict),
            "item/missing-job-id": lambda: set(item) == {"pause_mode"} and item["pause_mode"] in contract().pause_modes,
        }[kind](), f"{item!r} is not {kind}"
    elif kind.startswith("body/"):
        assert document == value or batch
        assert {
            "body/empty-object": lambda: document == {},
            "body/no-jobs": lambda: isinstance(document, dict) and "jobs" not in document and len(document) == 1,
            "body/jobs-not-an-array": lambda: set(document) == {"jobs"} and not isinstance(document["jobs"], list),
            "body/jobs-empty": lambda: document == {"jobs": []},
            "body/not-an-object": lambda: not isinstance(document, dict),
        }[kind](), f"{document!r} is not {kind}"
    elif kind.startswith("extra/"):
        name = fault.path[-1]
        holder = _at(document, fault.path[:-1])
        known = contract().schema("PauseInfo" if kind == "extra/in-item" else "BatchPauseRequest")["properties"]
        assert name not in known and {name: holder[name]} == value, f"{name!r} is not an extra field"
        unknown = set(document) - {"jobs"} | {k for item in document["jobs"] for k in item} - {"job_id", "pause_mode"}
        assert unknown == {name}, f"{kind} adds more than one field: {unknown}"
    elif kind == "batch/duplicate-id":
        ids = Counter(item["job_id"] for item in document["jobs"])
        assert [job_id for job_id, count in ids.items() if count > 1] == [value] and ids[value] == 2, ids
        assert document["jobs"][fault.index]["job_id"] == value
        assert [item["job_id"] for item in document["jobs"]].index(value) < fault.index
        assert len(document["jobs"]) <= BATCH_LIMIT
    elif kind == "batch/over-100":
        ids = [item["job_id"] for item in document["jobs"]]
        assert len(ids) == value > BATCH_LIMIT and len(set(ids)) == len(ids), f"{len(ids)} items, {value=}"
        assert set(fault.job_ids) == set(ids)
    else:
        raise AssertionError(f"no check for {kind}")


def check_raw_fault(fault: Fault, validator: Draft202012Validator) -> None:
    kind = fault.kind
    if kind == "body/not-json":
        with pytest.raises(ValueError):  # noqa: PT011 - any of JSON's refusals (bad UTF-8, syntax, NaN) will do
            strict_json(fault.body)
        assert fault.value == fault.body and fault.content_type == "application/json"
    elif kind == "body/empty":
        assert fault.body == b"" and fault.content_type == "application/json"
    elif kind == "content-type/wrong":
        media = fault.content_type.split(";")[0].strip()
        assert fault.value == fault.content_type and "json" not in media, fault.content_type
        assert validator.is_valid(strict_json(fault.body)), "the body of a content-type fault must be valid"
    elif kind == "body/over-1mib":
        document = strict_json(fault.body)
        assert len(fault.body) == fault.value > BODY_LIMIT, f"{len(fault.body)} bytes, {fault.value=}"
        assert validator.is_valid(document), "the padded body must be a valid batch"
        assert len(json.dumps(document).encode()) < BODY_LIMIT, "the size must come from the padding only"
    else:
        raise AssertionError(f"no check for {kind}")


@pytest.mark.parametrize("kind", [pytest.param(kind.kind, id=kind.kind) for kind in KINDS.values()])
def test_every_fault_fails_for_its_stated_reason_only(kind: str, collect: Any, request_validator: Any) -> None:
    strategy = (
        non_pausable_job_specs(kinds=[kind]) if KINDS[kind].expect == "item-fails" else request_faults(kinds=[kind])
    )
    faults = collect(strategy, 25)
    assert {fault.kind for fault in faults} == {kind}
    for fault in faults:
        check_fault(fault, request_validator)


@pytest.mark.parametrize(
    "faults",
    [
        pytest.param(None, id="default-refuse-400"),
        pytest.param(item_faults(), id="every-item-fault"),
        pytest.param(item_faults(kinds={"mode/missing", "job-id/cyrillic-look-alike"}), id="chosen-kinds"),
    ],
)
def test_one_fault_batches_hide_one_fault_among_valid_items(faults: Any, collect: Any, request_validator: Any) -> None:
    positions = Counter()
    for fault in collect(one_fault_batches(faults=faults), 120):
        check_fault(fault, request_validator, batch=True)
        jobs = fault.json()["jobs"]
        assert 2 <= len(jobs) <= BATCH_LIMIT and 0 <= fault.index < len(jobs), fault
        others = [item for i, item in enumerate(jobs) if i != fault.index]
        assert request_validator.is_valid({"jobs": others}), "an item other than the faulty one is invalid"
        other_ids = [item["job_id"] for item in others]
        assert len(set(other_ids)) == len(other_ids), "the valid items repeat an id"
        assert set(other_ids) <= set(fault.job_ids), "job_ids leaves out a well-formed item"
        assert fault.reason.startswith(f"jobs[{fault.index}] of {len(jobs)} items: "), fault.reason
        if faults is None:
            assert fault.expect == "refuse-400", fault
        positions["first" if fault.index == 0 else "last" if fault.index == len(jobs) - 1 else "inner"] += 1
    assert len(positions) == 3, f"the fault never sits at some position: {dict(positions)}"


def test_one_fault_batches_respect_their_sizes(collect: Any) -> None:
    for fault in collect(one_fault_batches(min_size=98, max_size=99), 5):
        assert len(fault.json()["jobs"]) in (99, 100)


def test_every_item_fault_kind_can_be_mixed_into_a_batch(collect: Any, request_validator: Any) -> None:
    for kind in [name for name, declared in KINDS.items() if declared.scope == "item"]:
        for fault in collect(one_fault_batches(faults=item_faults(kinds=[kind]), max_size=4), 3):
            check_fault(fault, request_validator, batch=True)


def test_non_pausable_specs_cover_every_status_and_type(collect: Any) -> None:
    c = contract()
    faults = collect(non_pausable_job_specs(), 400)
    statuses = {f.value.status for f in faults if f.kind == "state/not-pausable"}
    types = {f.value.type for f in faults if f.kind == "type/not-pausable"}
    assert statuses == set(c.non_pausable_statuses), f"never drawn: {set(c.non_pausable_statuses) - statuses}"
    assert c.paused_status in statuses
    assert types == set(c.non_pausable_types)
    requirements = {f.kind: f.requirement for f in faults}
    assert requirements == {"state/not-pausable": "NON-PAUSABLE-STATE-FAILS", "type/not-pausable": "DR-JOB-FAILS"}


def test_oversized_and_duplicate_batches_take_sizes(collect: Any, request_validator: Any) -> None:
    for fault in collect(oversized_batches(min_size=1000, max_size=1200), 3):
        check_fault(fault, request_validator)
        assert 1000 <= fault.value <= 1200
    for fault in collect(duplicate_id_batches(min_size=100), 3):
        check_fault(fault, request_validator)
        assert len(fault.json()["jobs"]) == 100


def test_a_fault_prints_short_and_its_json_fails_without_json() -> None:
    big = find(request_faults(kinds={"body/over-1mib"}), lambda f: True, settings=NO_DATABASE)
    assert len(repr(big)) < 600 and "1,048,577 bytes" in repr(big), repr(big)
    raw = find(request_faults(kinds={"body/not-json"}), lambda f: True, settings=NO_DATABASE)
    with pytest.raises(ValueError):  # noqa: PT011 - any of JSON's refusals (bad UTF-8, syntax) will do
        raw.json()
    state = find(non_pausable_job_specs(), lambda f: True, settings=NO_DATABASE)
    with pytest.raises(ValueError, match="has no request body"):
        state.json()
    assert len({big, raw, state, big}) == 3, "faults are hashable, whatever their value"


# --- shrinking --------------------------------------------------------------------------------------

ZERO = "00000000-0000-0000-0000-000000000000"
NEEDS = "the UUID rule needs 36 characters in groups of 8-4-4-4-12 over [0-9a-z]."
SHRUNK = [
    pytest.param(
        lambda: malformed_job_ids(kinds={"job-id/one-short"}),
        lambda f: True,
        ZERO[1:],
        "job_id is 35 characters: character 1 ('0', group 1) was removed; " + NEEDS,
        id="one-short",
    ),
    pytest.param(
        malformed_job_ids,
        lambda f: f.kind == "job-id/cyrillic-look-alike",
        "\u0430" + ZERO[1:],
        "character 1 of job_id is the Cyrillic 'а' (U+0430), which looks like the Latin 'a'; " + NEEDS,
        id="cyrillic",
    ),
    pytest.param(
        malformed_job_ids,
        lambda f: f.kind == "job-id/full-width-digit",
        "\uff10" + ZERO[1:],
        "character 1 of job_id is the full-width digit '０' (U+FF10) instead of '0'; " + NEEDS,
        id="full-width",
    ),
    pytest.param(
        malformed_job_ids,
        lambda f: f.kind == "job-id/nul",
        ZERO + "\x00",
        "job_id has a NUL character (U+0000) at the end; " + NEEDS,
        id="nul",
    ),
    pytest.param(
        lambda: request_faults(kinds={"mode/case-variant"}),
        lambda f: True,
        "Target",
        "pause_mode is 'Target'; only exactly 'target' or 'all' (lower case) is allowed.",
        id="case-variant",
    ),
    pytest.param(
        duplicate_id_batches,
        lambda f: True,
        ZERO,
        f"job_id '{ZERO}' appears twice, at jobs[0] and jobs[1] (modes 'target' and 'target'); "
        "a server may refuse the batch with 400 or answer each occurrence with at most one success.",
        id="duplicate",
    ),
    pytest.param(
        oversized_batches,
        lambda f: True,
        101,
        "the batch has 101 items; a server must serve up to 100, and may serve more or refuse them with 400 or 413.",
        id="over-100",
    ),
]


@pytest.mark.parametrize(("strategy", "condition", "value", "reason"), SHRUNK)
def test_shrunk_faults_are_minimal_and_readable(strategy: Any, condition: Any, value: Any, reason: str) -> None:
    fault = find(strategy(), condition, settings=NO_DATABASE)
    assert (fault.value, fault.reason) == (value, reason), repr(fault)


def test_the_minimal_one_fault_batch_has_two_items_and_reads_well() -> None:
    fault = find(one_fault_batches(), lambda f: f.kind == "job-id/one-short", settings=NO_DATABASE)
    faulty, valid = fault.json()["jobs"]
    assert faulty == {"job_id": ZERO[1:], "pause_mode": "target"}, repr(fault)
    # The valid item may not reuse the id the fault was made from (ZERO), so it is the next simplest.
    assert is_id(valid["job_id"]) and valid["job_id"] != ZERO and valid["pause_mode"] == "target", valid
    assert fault.reason.startswith("jobs[0] of 2 items: job_id is 35 characters") and fault.reason.endswith(
        "The other 1 item is well formed."
    ), fault.reason
    assert (fault.index, fault.path, fault.job_ids) == (0, ("jobs", 0, "job_id"), (valid["job_id"], ZERO))


# --- seeds ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "strategy",
    [
        pytest.param(request_faults, id="request-faults"),
        pytest.param(one_fault_batches, id="one-fault-batches"),
        pytest.param(non_pausable_job_specs, id="non-pausable"),
    ],
)
def test_the_same_seed_gives_the_same_faults(strategy: Any, collect: Any) -> None:
    first = collect(strategy(), 25, random_seed=424242)
    assert first == collect(strategy(), 25, random_seed=424242), "one seed gave two different sequences"
    assert first != collect(strategy(), 25, random_seed=1), "the seed makes no difference"
