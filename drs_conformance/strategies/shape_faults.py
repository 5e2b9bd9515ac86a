"""Faults of the JSON shape: bad items, bad bodies, extra fields, duplicated ids, batches over 100."""

from __future__ import annotations

import string
from collections.abc import Collection
from typing import Any

from hypothesis import strategies as st

from drs_conformance.contract.requirement_ids import Req
from drs_conformance.contract.spec import contract

from ._checks import check_sizes
from ._rule import id_rule
from .batches import batches, pause_infos
from .faults import Fault, encode, json_type
from .job_ids import job_ids
from .modes import pause_modes
from .registry import REGISTRY, FaultKind

__all__ = ["duplicate_id_batches", "extra_fields", "malformed_bodies", "malformed_items", "oversized_batches"]

ITEM_KINDS = REGISTRY.kind_set("malformed_items", scope="item")
BODY_KINDS = REGISTRY.kind_set("malformed_bodies", scope="request")
EXTRA_KINDS = REGISTRY.kind_set("extra_fields", scope="request")
DUPLICATE_KINDS = REGISTRY.kind_set("duplicate_id_batches", scope="request")
OVERSIZED_KINDS = REGISTRY.kind_set("oversized_batches", scope="request")


def _ids(document: Any) -> tuple[str, ...]:
    """The well-formed job ids named anywhere in a JSON value, in order, once each."""
    rule = id_rule()
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str) and rule.matches(value):
            found.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(document)
    return tuple(dict.fromkeys(found))


# --- items -------------------------------------------------------------------------------------


def _item_fault(kind: FaultKind, item: Any, reason: str) -> Fault:
    return kind.fault(
        reason=reason,
        value=item,
        body=encode({"jobs": [item]}),
        path=("jobs", 0),
        index=0,
        job_ids=_ids(item),
    )


@ITEM_KINDS.kind("item/empty-object", Req.ITEM_SHAPE, "refuse-400", "`{}`")
def _empty_item(kind: FaultKind) -> st.SearchStrategy[Fault]:
    return st.just(_item_fault(kind, {}, "the item is an empty object; the value cannot contain empty objects."))


@ITEM_KINDS.kind(
    "item/not-an-object", Req.ITEM_SHAPE, "refuse-400", "`null`, a bare job id, a number, a boolean or `[job_id, mode]`"
)
def _item_not_an_object(kind: FaultKind) -> st.SearchStrategy[Fault]:
    def make(item: Any) -> Fault:
        reason = f"the item is a JSON {json_type(item)} ({item!r}); it must be an object with job_id and pause_mode."
        return _item_fault(kind, item, reason)

    items = st.one_of(
        st.none(),
        job_ids(),
        st.integers(),
        st.booleans(),
        st.builds(lambda job_id, mode: [job_id, mode], job_ids(), pause_modes()),
    )
    return items.map(make)


@ITEM_KINDS.kind("item/missing-job-id", Req.ITEM_SHAPE, "refuse-400", "an item with a valid pause_mode and no job_id")
def _missing_job_id(kind: FaultKind) -> st.SearchStrategy[Fault]:
    def make(mode: str) -> Fault:
        return _item_fault(kind, {"pause_mode": mode}, "the item has no job_id; it is mandatory.")

    return st.builds(make, pause_modes())


def malformed_items(*, kinds: Collection[str] | None = None) -> st.SearchStrategy[Fault]:
    """Faults whose `value` is a malformed item (ITEM-SHAPE), sent as the only item of a batch; refuse with 400."""
    return ITEM_KINDS.strategy_for(kinds)


# --- bodies --------------------------------------------------------------------------------------


def _body_fault(kind: FaultKind, document: Any, reason: str, path: tuple[str | int, ...]) -> Fault:
    return kind.fault(reason=reason, value=document, body=encode(document), path=path, job_ids=_ids(document))


_MISNAMED_JOBS = ("job", "Jobs", "JOBS", "items", "tasks", "job_ids", "jobs ")


@BODY_KINDS.kind("body/empty-object", Req.BODY_SHAPE, "refuse-400", "`{}`")
def _empty_body(kind: FaultKind) -> st.SearchStrategy[Fault]:
    return st.just(_body_fault(kind, {}, "the body is an empty object; jobs is mandatory.", ()))


@BODY_KINDS.kind(
    "body/no-jobs", Req.BODY_SHAPE, "refuse-400", "valid items under another name (`job`, `Jobs`, `items`, ...)"
)
def _no_jobs(kind: FaultKind) -> st.SearchStrategy[Fault]:
    def make(name: str, batch: dict[str, Any]) -> Fault:
        document = {name: batch["jobs"]}
        reason = f"the body has no jobs member (the items are under {name!r}); jobs is mandatory."
        return _body_fault(kind, document, reason, ())

    return st.builds(make, st.sampled_from(_MISNAMED_JOBS), batches(max_size=3))


@BODY_KINDS.kind(
    "body/jobs-not-an-array",
    Req.BODY_SHAPE,
    "refuse-400",
    "jobs as one item object, a job id, comma-joined ids, `null`, a number or a boolean",
)
def _jobs_not_an_array(kind: FaultKind) -> st.SearchStrategy[Fault]:
    def make(jobs: Any) -> Fault:
        reason = f"jobs is a JSON {json_type(jobs)} ({jobs!r}); it must be an array of items."
        return _body_fault(kind, {"jobs": jobs}, reason, ("jobs",))

    values = st.one_of(
        pause_infos(),
        job_ids(),
        st.lists(job_ids(), min_size=2, max_size=3, unique=True).map(",".join),
        st.none(),
        st.integers(),
        st.booleans(),
    )
    return values.map(make)


@BODY_KINDS.kind("body/jobs-empty", Req.BODY_SHAPE, "refuse-400", '`{"jobs": []}`')
def _jobs_empty(kind: FaultKind) -> st.SearchStrategy[Fault]:
    return st.just(_body_fault(kind, {"jobs": []}, "jobs is an empty array; it needs at least one item.", ("jobs",)))


@BODY_KINDS.kind(
    "body/not-an-object",
    Req.BODY_SHAPE,
    "refuse-400",
    "a bare array of valid items, a job id, a number, `null` or a boolean",
)
def _body_not_an_object(kind: FaultKind) -> st.SearchStrategy[Fault]:
    def make(document: Any) -> Fault:
        reason = f"the body is a JSON {json_type(document)}; it must be an object with a jobs array."
        return _body_fault(kind, document, reason, ())

    documents = st.one_of(
        batches(max_size=3).map(lambda batch: batch["jobs"]),
        job_ids(),
        st.integers(),
        st.none(),
        st.booleans(),
    )
    return documents.map(make)


def malformed_bodies(*, kinds: Collection[str] | None = None) -> st.SearchStrategy[Fault]:
    """Faults whose `value` is a JSON body of the wrong shape (BODY-SHAPE); refuse with 400.

    Bodies that are not JSON at all are `not_json_bodies()`.
    """
    return BODY_KINDS.strategy_for(kinds)


# --- extra fields --------------------------------------------------------------------------------

# Plausible names: fields of the sibling operations (is_sync_re_edit, page_req), of the job, and others.
_EXTRA_NAMES = ("is_sync_re_edit", "page_req", "project_id", "force", "status", "type", "comment", "x_extra")


def _extra_names(known: Collection[str]) -> st.SearchStrategy[str]:
    drawn = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12)
    return st.one_of(
        st.sampled_from([n for n in _EXTRA_NAMES if n not in known]), drawn.filter(lambda n: n not in known)
    )


def _extra_values() -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.booleans(), st.none(), st.integers(), st.text(alphabet=string.ascii_letters + string.digits, max_size=8)
    )
    return st.one_of(
        scalars, st.lists(st.integers(), max_size=2), st.dictionaries(st.sampled_from("ab"), st.integers(), max_size=1)
    )


@EXTRA_KINDS.kind(
    "extra/top-level", Req.EXTRA_FIELDS, "either-extra-fields", "`{name: value}` added beside jobs in a valid batch"
)
def _extra_top_level(kind: FaultKind) -> st.SearchStrategy[Fault]:
    known = set(contract().schema("BatchPauseRequest")["properties"])

    def make(batch: dict[str, Any], name: str, value: Any) -> Fault:
        document = {**batch, name: value}
        reason = (
            f"the body has the unknown field {name!r} beside jobs; "
            "a server may ignore it or refuse the request with 400."
        )
        return kind.fault(
            reason=reason,
            value={name: value},
            body=encode(document),
            path=(name,),
            job_ids=_ids(batch),
        )

    return st.builds(make, batches(max_size=3), _extra_names(known), _extra_values())


@EXTRA_KINDS.kind(
    "extra/in-item", Req.EXTRA_FIELDS, "either-extra-fields", "`{name: value}` added to a valid item", scope="item"
)
def _extra_in_item(kind: FaultKind) -> st.SearchStrategy[Fault]:
    known = set(contract().schema("PauseInfo")["properties"])

    def make(item: dict[str, Any], name: str, value: Any) -> Fault:
        reason = f"the item has the unknown field {name!r}; a server may ignore it or refuse the request with 400."
        return kind.fault(
            reason=reason,
            value={name: value},
            body=encode({"jobs": [{**item, name: value}]}),
            path=("jobs", 0, name),
            index=0,
            job_ids=(item["job_id"],),
        )

    return st.builds(make, pause_infos(), _extra_names(known), _extra_values())


def extra_fields(*, kinds: Collection[str] | None = None) -> st.SearchStrategy[Fault]:
    """Faults that add one unknown field to a valid batch (EXTRA-FIELDS): ignored, or refused with 400."""
    return EXTRA_KINDS.strategy_for(kinds)


# --- duplicated ids -------------------------------------------------------------------------------


def duplicate_id_batches(*, min_size: int = 2, max_size: int | None = None) -> st.SearchStrategy[Fault]:
    """Valid batches of min_size..max_size (default: the batch limit, 100) items in which exactly one job id
    appears twice (DUPLICATE-IDS)."""
    limit = contract().batch_limit
    max_size = limit if max_size is None else max_size
    check_sizes(
        min_size,
        max_size,
        lowest=2,
        highest=limit,
        why=f"a duplicate needs two items, and over {limit} is another fault",
    )
    return DUPLICATE_KINDS.strategy_for(None, min_size=min_size, max_size=max_size)


@DUPLICATE_KINDS.kind(
    "batch/duplicate-id",
    Req.DUPLICATE_IDS,
    "either-duplicates",
    "the duplicated job id (the body is a valid batch naming it twice)",
)
def _duplicate_id(kind: FaultKind, *, min_size: int = 2, max_size: int | None = None) -> st.SearchStrategy[Fault]:
    max_size = contract().batch_limit if max_size is None else max_size

    @st.composite
    def draw(draw: st.DrawFn) -> Fault:
        items = draw(batches(min_size=min_size - 1, max_size=max_size - 1))["jobs"]
        source = draw(st.integers(0, len(items) - 1))
        point = draw(st.integers(0, len(items)))
        copy = {"job_id": items[source]["job_id"], "pause_mode": draw(pause_modes())}
        jobs = [*items[:point], copy, *items[point:]]
        positions = [i for i, item in enumerate(jobs) if item["job_id"] == copy["job_id"]]
        first, second = positions
        job_id = copy["job_id"]
        modes = f"{jobs[first]['pause_mode']!r} and {jobs[second]['pause_mode']!r}"
        reason = (
            f"job_id {job_id!r} appears twice, at jobs[{first}] and jobs[{second}] (modes {modes}); a server may "
            f"refuse the batch with 400 or answer each occurrence with at most one success."
        )
        return kind.fault(
            reason=reason,
            value=job_id,
            body=encode({"jobs": jobs}),
            path=("jobs", second, "job_id"),
            index=second,
            job_ids=tuple(item["job_id"] for item in items),
        )

    return draw()


# --- batches over 100 ---------------------------------------------------------------------------


def _numbered(seed: str, count: int) -> list[str]:
    """`count` distinct well-formed ids: the seed id with its last characters replaced by a counter."""
    rule = id_rule()
    base, width = len(rule.alphabet), 1
    while base**width < count:
        width += 1
    ids = []
    for number in range(count):
        digits = []
        rest = number
        for _ in range(width):
            rest, digit = divmod(rest, base)
            digits.append(rule.alphabet[digit])
        ids.append(seed[: len(seed) - width] + "".join(reversed(digits)))
    return ids


def _over_limit(min_size: int | None, max_size: int | None) -> tuple[int, int]:
    """The default sizes of a batch over the limit: 1 to 50 items more than the batch limit."""
    limit = contract().batch_limit
    return (limit + 1 if min_size is None else min_size, limit + 50 if max_size is None else max_size)


def oversized_batches(*, min_size: int | None = None, max_size: int | None = None) -> st.SearchStrategy[Fault]:
    """Batches of more than 100 well-formed, unique items (BATCH-OVER-100): served, or refused with 400/413.

    The sizes default to 101..150 (the batch limit plus 1 and plus 50). The ids are one drawn id numbered in
    its last characters, so sizes of thousands stay cheap.
    """
    limit = contract().batch_limit
    min_size, max_size = _over_limit(min_size, max_size)
    check_sizes(
        min_size,
        max_size,
        lowest=limit + 1,
        highest=len(id_rule().alphabet) ** id_rule().group_sizes[-1],
        why=f"up to {limit} items is a valid batch (batches())",
    )
    return OVERSIZED_KINDS.strategy_for(None, min_size=min_size, max_size=max_size)


@OVERSIZED_KINDS.kind(
    "batch/over-100",
    Req.BATCH_OVER_100,
    "either-large",
    "the item count (the body is a valid batch of 101 or more unique items)",
)
def _over_100(kind: FaultKind, *, min_size: int | None = None, max_size: int | None = None) -> st.SearchStrategy[Fault]:
    modes, limit = contract().pause_modes, contract().batch_limit
    min_size, max_size = _over_limit(min_size, max_size)

    def make(count: int, seed: str, offset: int) -> Fault:
        ids = _numbered(seed, count)
        jobs = [{"job_id": job_id, "pause_mode": modes[(i + offset) % len(modes)]} for i, job_id in enumerate(ids)]
        reason = (
            f"the batch has {count} items; a server must serve up to {limit}, and may serve more "
            f"or refuse them with 400 or 413."
        )
        return kind.fault(
            reason=reason,
            value=count,
            body=encode({"jobs": jobs}),
            path=("jobs",),
            job_ids=tuple(ids),
        )

    return st.builds(make, st.integers(min_size, max_size), job_ids(), st.integers(0, len(modes) - 1))
