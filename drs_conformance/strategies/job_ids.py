"""Well-formed job ids over the UUID rule's whole alphabet, the document's shape and examples included."""

from __future__ import annotations

from collections.abc import Collection

from hypothesis import strategies as st

from drs_conformance.contract.spec import contract

from ._checks import check_choices
from ._rule import id_rule

__all__ = ["JOB_ID_SHAPES", "job_ids"]

#: "any": every character of the rule's alphabet in every group (shrinks to all zeros);
#: "documented": hexadecimal groups and a last group with non-hex letters, as the reference's ids
#: (`...8c61ac9jb502`, `...jb101`, `...jb21`, `...jb20r`); "example": the document's own ids.
JOB_ID_SHAPES: tuple[str, ...] = ("any", "documented", "example")

# The non-hexadecimal run the reference's ids end with (contract notes, "Job ids"), followed by
# 3 digits (jb502, jb101), 2 digits (jb21) or 2 digits and a letter (jb20r).
_DOCUMENTED_MARK = "jb"


def _fixed(alphabet: str, size: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=alphabet, min_size=size, max_size=size)


def _characters() -> st.SearchStrategy[str]:
    """The 32 characters every id is made from: one draw, so an id costs little and shrinks to zeros."""
    rule = id_rule()
    return _fixed(rule.alphabet, rule.characters)


def _tails() -> st.SearchStrategy[tuple[str, str]]:
    """What follows the hex run of a documented last group: "jb" and 3 digits, 2 digits, or 2 digits and a letter."""
    rule = id_rule()
    mark = _DOCUMENTED_MARK
    return st.one_of(
        _fixed(rule.digits, 3).map(lambda digits: mark + digits),
        _fixed(rule.digits, 2).map(lambda digits: mark + digits),
        st.builds(
            lambda digits, letter: mark + digits + letter, _fixed(rule.digits, 2), st.sampled_from(rule.non_hex_letters)
        ),
    ).map(lambda tail: ("documented", tail))


def _as_documented(characters: str, shape: tuple[str, str]) -> str:
    """Hexadecimal groups and a last group ending in the tail (`...8c61ac9jb502`)."""
    rule = id_rule()
    hexed = "".join(rule.hex_alphabet[rule.alphabet.index(c) % len(rule.hex_alphabet)] for c in characters)
    tail = shape[1]
    return rule.join(hexed[: rule.characters - len(tail)] + tail)


def _examples() -> tuple[str, ...]:
    found = [contract().example_job_id, *contract().schema("JobId").get("examples", ())]
    return tuple(dict.fromkeys(str(example) for example in found))


def _compose(characters: str, shape: tuple[str, str]) -> str:
    if shape[0] == "example":
        return shape[1]
    if shape[0] == "documented":
        return _as_documented(characters, shape)
    return id_rule().join(characters)


def job_ids(*, shapes: Collection[str] = JOB_ID_SHAPES) -> st.SearchStrategy[str]:
    """Well-formed job ids (the contract's UUID rule), of the given shapes (see `JOB_ID_SHAPES`).

    The default mixes all shapes: half the ids are uniform over `[0-9a-z]` in every group, a quarter
    have the document's shape (hex groups, a last group such as `8c61ac9jb502`), a quarter are the
    document's own example ids. The minimal id is `00000000-0000-0000-0000-000000000000`.
    """
    chosen = check_choices("shapes", shapes, JOB_ID_SHAPES, owner="job_ids() makes")
    branches = {
        "any": st.just(("any", "")),
        "documented": _tails(),
        "example": st.sampled_from(_examples()).map(lambda example: ("example", example)),
    }
    if chosen == frozenset(JOB_ID_SHAPES):
        shape = st.one_of(branches["any"], st.one_of(branches["documented"], branches["example"]))
    else:
        shape = st.one_of([branches[name] for name in JOB_ID_SHAPES if name in chosen])
    if chosen == {"example"}:
        return shape.map(lambda pair: pair[1])
    # The characters come first, whatever the shape: so the simplest id of every shape is made of zeros.
    return st.builds(_compose, _characters(), shape)
