"""Malformed job ids: each kind breaks the UUID rule in exactly one way, made from a well-formed id.

Every string fault is a well-formed id (`Fault.base`) with one change, so it fails the contract's
pattern for its stated reason only. Upper case is never generated: the contract does not decide it.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from hypothesis import strategies as st

from drs_conformance.contract.requirement_ids import Req

from ._rule import id_rule
from .faults import Fault, encode, json_type
from .job_ids import job_ids
from .modes import pause_modes
from .registry import REGISTRY, FaultKind

__all__ = ["malformed_job_ids"]

KINDS = REGISTRY.kind_set("malformed_job_ids", scope="item")

# Characters outside [0-9a-z] that are neither upper case, whitespace, control nor the separator:
# ASCII punctuation and lower-case letters a lenient matcher may fold onto the alphabet
# (`ſ` matches `s` and `ı` matches `i` under re.IGNORECASE; `é`, `ß`, `ø` under accent folding).
_OUTSIDE = "_.~!*+=:;,/\\@#$%&?'\"`^|<>()[]{}" + "éßøñüıſ"
_WHITESPACE = (" ", "\t", "\n", "\r", "\u00a0", "\u3000")
_ZERO_WIDTH = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff")
_CONTROLS = tuple(chr(code) for code in [*range(0x01, 0x20), 0x7F, *range(0x80, 0xA0)] if chr(code) not in "\t\n\r")
# Latin letters and their Cyrillic look-alikes (lower case on both sides).
_CYRILLIC_TWINS = {
    "a": "\u0430", "c": "\u0441", "e": "\u0435", "h": "\u04bb", "i": "\u0456", "j": "\u0458",
    "o": "\u043e", "p": "\u0440", "s": "\u0455", "x": "\u0445", "y": "\u0443",
}  # fmt: skip
_FULL_WIDTH_OFFSET = 0xFF10 - ord("0")
_VERY_LONG = (64, 1_024, 16_384)
# Lower case throughout, so no payload is an upper-case question in disguise.
_PAYLOADS = {
    "sql": ("' or '1'='1", "'; drop table jobs; --", '" or 1=1 --', "' union select null, null --"),
    "script": ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "javascript:alert(1)"),
    "path": ("/../../../etc/passwd", "/..%2f..%2f..%2fetc%2fpasswd", "\\..\\..\\windows\\win.ini"),
    "crlf": ("\r\nx-injected: 1", "\r\n\r\n<html>", "%0d%0ax-injected:%201"),
}


def _needs() -> str:
    return f"the UUID rule needs {id_rule().describe()}"


def _fault(kind: FaultKind, value: Any, mode: str, reason: str, base: str | None) -> Fault:
    return kind.fault(
        reason=reason,
        value=value,
        body=encode({"jobs": [{"job_id": value, "pause_mode": mode}]}),
        path=("jobs", 0, "job_id"),
        index=0,
        job_ids=(base,) if base is not None else (),
        base=base,
    )


def _insertion_points(lowest: int = 0, highest: int | None = None) -> st.SearchStrategy[int]:
    return st.integers(lowest, id_rule().length if highest is None else highest)


def _describe_point(point: int) -> str:
    rule = id_rule()
    if point == 0:
        return "at the start"
    if point == rule.length:
        return "at the end"
    return f"after character {point}"


def _with_character(base: str, position: int, character: str) -> str:
    return base[:position] + character + base[position + 1 :]


@KINDS.kind(
    "job-id/one-short", Req.JOB_ID_RULE, "refuse-400", "a well-formed id with one character removed (35 characters)"
)
def _one_short(kind: FaultKind) -> st.SearchStrategy[Fault]:
    rule = id_rule()

    def make(base: str, mode: str, position: int) -> Fault:
        value = base[:position] + base[position + 1 :]
        reason = (
            f"job_id is {len(value)} characters: character {position + 1} ({base[position]!r}, group "
            f"{rule.group_of(position)}) was removed; {_needs()}."
        )
        return _fault(kind, value, mode, reason, base)

    return st.builds(make, job_ids(), pause_modes(), st.sampled_from(rule.character_positions()))


@KINDS.kind(
    "job-id/one-long",
    Req.JOB_ID_RULE,
    "refuse-400",
    "a well-formed id with one character of [0-9a-z] added (37 characters)",
)
def _one_long(kind: FaultKind) -> st.SearchStrategy[Fault]:
    rule = id_rule()

    def make(base: str, mode: str, point: int, character: str) -> Fault:
        value = base[:point] + character + base[point:]
        group = rule.group_of(point if point < rule.length and base[point] != rule.separator else point - 1)
        reason = f"job_id is {len(value)} characters: {character!r} was added to group {group}; {_needs()}."
        return _fault(kind, value, mode, reason, base)

    return st.builds(make, job_ids(), pause_modes(), _insertion_points(), st.sampled_from(rule.alphabet))


@KINDS.kind(
    "job-id/wrong-grouping",
    Req.JOB_ID_RULE,
    "refuse-400",
    "the 32 characters with one hyphen moved by one place (e.g. 9-3-4-4-12)",
)
def _wrong_grouping(kind: FaultKind) -> st.SearchStrategy[Fault]:
    rule = id_rule()
    separators = len(rule.group_sizes) - 1

    def make(base: str, mode: str, hyphen: int, shift: int) -> Fault:
        sizes = list(rule.group_sizes)
        sizes[hyphen] += shift
        sizes[hyphen + 1] -= shift
        characters = base.replace(rule.separator, "")
        groups, at = [], 0
        for size in sizes:
            groups.append(characters[at : at + size])
            at += size
        value = rule.separator.join(groups)
        grouping = "-".join(map(str, sizes))
        reason = f"job_id is grouped {grouping} (hyphen {hyphen + 1} moved by one place); {_needs()}."
        return _fault(kind, value, mode, reason, base)

    return st.builds(make, job_ids(), pause_modes(), st.integers(0, separators - 1), st.sampled_from((1, -1)))


@KINDS.kind(
    "job-id/missing-hyphen",
    Req.JOB_ID_RULE,
    "refuse-400",
    "a well-formed id with one of its hyphens removed (35 characters)",
)
def _missing_hyphen(kind: FaultKind) -> st.SearchStrategy[Fault]:
    rule = id_rule()

    def make(base: str, mode: str, hyphen: int) -> Fault:
        at = rule.separator_positions[hyphen]
        value = base[:at] + base[at + len(rule.separator) :]
        reason = (
            f"job_id is {len(value)} characters: hyphen {hyphen + 1} of {len(rule.separator_positions)} is "
            f"missing, joining groups {hyphen + 1} and {hyphen + 2}; {_needs()}."
        )
        return _fault(kind, value, mode, reason, base)

    return st.builds(make, job_ids(), pause_modes(), st.integers(0, len(rule.separator_positions) - 1))


@KINDS.kind(
    "job-id/no-hyphens", Req.JOB_ID_RULE, "refuse-400", "the 32 characters of a well-formed id without any hyphen"
)
def _no_hyphens(kind: FaultKind) -> st.SearchStrategy[Fault]:
    rule = id_rule()

    def make(base: str, mode: str) -> Fault:
        value = base.replace(rule.separator, "")
        reason = f"job_id has no hyphens ({len(value)} characters in one group); {_needs()}."
        return _fault(kind, value, mode, reason, base)

    return st.builds(make, job_ids(), pause_modes())


@KINDS.kind(
    "job-id/extra-hyphen", Req.JOB_ID_RULE, "refuse-400", "a well-formed id with one more hyphen (37 characters)"
)
def _extra_hyphen(kind: FaultKind) -> st.SearchStrategy[Fault]:
    rule = id_rule()

    def make(base: str, mode: str, point: int) -> Fault:
        value = base[:point] + rule.separator + base[point:]
        reason = f"job_id is {len(value)} characters: an extra hyphen {_describe_point(point)}; {_needs()}."
        return _fault(kind, value, mode, reason, base)

    return st.builds(make, job_ids(), pause_modes(), _insertion_points())


@KINDS.kind(
    "job-id/outside-alphabet",
    Req.JOB_ID_RULE,
    "refuse-400",
    "one character replaced by punctuation or a lower-case non-ASCII letter (`_`, `é`, `ſ`)",
)
def _outside_alphabet(kind: FaultKind) -> st.SearchStrategy[Fault]:
    rule = id_rule()

    def make(base: str, mode: str, position: int, character: str) -> Fault:
        value = _with_character(base, position, character)
        reason = (
            f"character {position + 1} of job_id is {character!r} (U+{ord(character):04X}), outside "
            f"[{rule.character_class}]; {_needs()}."
        )
        return _fault(kind, value, mode, reason, base)

    return st.builds(
        make, job_ids(), pause_modes(), st.sampled_from(rule.character_positions()), st.sampled_from(_OUTSIDE)
    )


def _whitespace_name(text: str) -> str:
    return " and ".join(f"U+{ord(c):04X}" for c in text)


@KINDS.kind(
    "job-id/leading-whitespace",
    Req.JOB_ID_RULE,
    "refuse-400",
    "a well-formed id after one or two whitespace characters",
)
def _leading_whitespace(kind: FaultKind) -> st.SearchStrategy[Fault]:
    def make(base: str, mode: str, space: str) -> Fault:
        reason = (
            f"job_id starts with whitespace ({_whitespace_name(space)}) before a well-formed id; "
            f"{_needs()} and nothing else."
        )
        return _fault(kind, space + base, mode, reason, base)

    return st.builds(make, job_ids(), pause_modes(), _spaces())


@KINDS.kind(
    "job-id/trailing-whitespace",
    Req.JOB_ID_RULE,
    "refuse-400",
    "a well-formed id followed by one or two whitespace characters (`\\n` included)",
)
def _trailing_whitespace(kind: FaultKind) -> st.SearchStrategy[Fault]:
    def make(base: str, mode: str, space: str) -> Fault:
        reason = (
            f"job_id ends with whitespace ({_whitespace_name(space)}) after a well-formed id; "
            f"{_needs()} and nothing else."
        )
        return _fault(kind, base + space, mode, reason, base)

    return st.builds(make, job_ids(), pause_modes(), _spaces())


def _spaces() -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(_WHITESPACE), min_size=1, max_size=2).map("".join)


@KINDS.kind(
    "job-id/inner-whitespace",
    Req.JOB_ID_RULE,
    "refuse-400",
    "a well-formed id with one whitespace character inserted inside it",
)
def _inner_whitespace(kind: FaultKind) -> st.SearchStrategy[Fault]:
    rule = id_rule()

    def make(base: str, mode: str, point: int, space: str) -> Fault:
        value = base[:point] + space + base[point:]
        reason = f"job_id has whitespace ({_whitespace_name(space)}) {_describe_point(point)}; {_needs()}."
        return _fault(kind, value, mode, reason, base)

    return st.builds(
        make, job_ids(), pause_modes(), _insertion_points(1, rule.length - 1), st.sampled_from(_WHITESPACE)
    )


@KINDS.kind(
    "job-id/braces", Req.JOB_ID_RULE, "refuse-400", "a well-formed id in braces, as Windows writes GUIDs (`{...}`)"
)
def _braces(kind: FaultKind) -> st.SearchStrategy[Fault]:
    def make(base: str, mode: str) -> Fault:
        reason = f"job_id is a well-formed id wrapped in braces; {_needs()} and no braces."
        return _fault(kind, "{" + base + "}", mode, reason, base)

    return st.builds(make, job_ids(), pause_modes())


@KINDS.kind("job-id/urn-prefix", Req.JOB_ID_RULE, "refuse-400", "a well-formed id with the `urn:uuid:` prefix")
def _urn_prefix(kind: FaultKind) -> st.SearchStrategy[Fault]:
    def make(base: str, mode: str) -> Fault:
        reason = f"job_id carries the prefix 'urn:uuid:' before a well-formed id; {_needs()} and no prefix."
        return _fault(kind, "urn:uuid:" + base, mode, reason, base)

    return st.builds(make, job_ids(), pause_modes())


@KINDS.kind(
    "job-id/full-width-digit",
    Req.JOB_ID_RULE,
    "refuse-400",
    "one digit replaced by its full-width twin (`０`-`９`, which `\\d` matches)",
)
def _full_width_digit(kind: FaultKind) -> st.SearchStrategy[Fault]:
    rule = id_rule()

    def make(drawn: str, mode: str, position: int, digit: str) -> Fault:
        base = _with_character(drawn, position, digit)
        twin = chr(ord(digit) + _FULL_WIDTH_OFFSET)
        value = _with_character(base, position, twin)
        reason = (
            f"character {position + 1} of job_id is the full-width digit {twin!r} (U+{ord(twin):04X}) "
            f"instead of {digit!r}; {_needs()}."
        )
        return _fault(kind, value, mode, reason, base)

    return st.builds(
        make, job_ids(), pause_modes(), st.sampled_from(rule.character_positions()), st.sampled_from(rule.digits)
    )


@KINDS.kind(
    "job-id/cyrillic-look-alike",
    Req.JOB_ID_RULE,
    "refuse-400",
    "one Latin letter replaced by its Cyrillic look-alike (`а` for `a`)",
)
def _cyrillic_look_alike(kind: FaultKind) -> st.SearchStrategy[Fault]:
    rule = id_rule()
    letters = [letter for letter in _CYRILLIC_TWINS if letter in rule.alphabet]

    def make(drawn: str, mode: str, position: int, letter: str) -> Fault:
        base = _with_character(drawn, position, letter)
        twin = _CYRILLIC_TWINS[letter]
        value = _with_character(base, position, twin)
        reason = (
            f"character {position + 1} of job_id is the Cyrillic {twin!r} (U+{ord(twin):04X}), which looks "
            f"like the Latin {letter!r}; {_needs()}."
        )
        return _fault(kind, value, mode, reason, base)

    return st.builds(
        make, job_ids(), pause_modes(), st.sampled_from(rule.character_positions()), st.sampled_from(letters)
    )


@KINDS.kind(
    "job-id/zero-width",
    Req.JOB_ID_RULE,
    "refuse-400",
    "a well-formed id with one invisible zero-width character inserted (U+200B, U+FEFF, ...)",
)
def _zero_width(kind: FaultKind) -> st.SearchStrategy[Fault]:
    def make(base: str, mode: str, point: int, character: str) -> Fault:
        value = base[:point] + character + base[point:]
        reason = f"job_id has the invisible character U+{ord(character):04X} {_describe_point(point)}; {_needs()}."
        return _fault(kind, value, mode, reason, base)

    return st.builds(make, job_ids(), pause_modes(), _insertion_points(), st.sampled_from(_ZERO_WIDTH))


@KINDS.kind(
    "job-id/control-character",
    Req.JOB_ID_RULE,
    "refuse-400",
    "a well-formed id with one C0/C1 control character inserted (not tab, LF, CR or NUL)",
)
def _control_character(kind: FaultKind) -> st.SearchStrategy[Fault]:
    def make(base: str, mode: str, point: int, character: str) -> Fault:
        value = base[:point] + character + base[point:]
        reason = f"job_id has the control character U+{ord(character):04X} {_describe_point(point)}; {_needs()}."
        return _fault(kind, value, mode, reason, base)

    return st.builds(make, job_ids(), pause_modes(), _insertion_points(), st.sampled_from(_CONTROLS))


@KINDS.kind(
    "job-id/nul",
    Req.JOB_ID_RULE,
    "refuse-400",
    "a well-formed id with a NUL character inserted (at the end, a C string still reads the id)",
)
def _nul(kind: FaultKind) -> st.SearchStrategy[Fault]:
    rule = id_rule()

    def make(base: str, mode: str, point: int) -> Fault:
        value = base[:point] + "\x00" + base[point:]
        reason = f"job_id has a NUL character (U+0000) {_describe_point(point)}; {_needs()}."
        return _fault(kind, value, mode, reason, base)

    return st.builds(make, job_ids(), pause_modes(), st.integers(1, rule.length).map(lambda p: rule.length - p + 1))


@KINDS.kind("job-id/empty", Req.JOB_ID_RULE, "refuse-400", "the empty string")
def _empty(kind: FaultKind) -> st.SearchStrategy[Fault]:
    def make(mode: str) -> Fault:
        return _fault(kind, "", mode, f"job_id is the empty string; {_needs()}.", None)

    return st.builds(make, pause_modes())


@KINDS.kind(
    "job-id/very-long", Req.JOB_ID_RULE, "refuse-400", "a well-formed id continued to 64, 1,024 or 16,384 characters"
)
def _very_long(kind: FaultKind) -> st.SearchStrategy[Fault]:
    def make(base: str, mode: str, length: int) -> Fault:
        value = (base * (length // len(base) + 1))[:length]
        reason = f"job_id is {length:,} characters (a well-formed id, continued); {_needs()}."
        return _fault(kind, value, mode, reason, base)

    return st.builds(make, job_ids(), pause_modes(), st.sampled_from(_VERY_LONG))


def _injection(kind: FaultKind, family: str, what: str) -> st.SearchStrategy[Fault]:
    def make(base: str, mode: str, payload: str) -> Fault:
        reason = f"job_id is a well-formed id followed by {what} ({payload!r}); {_needs()} and nothing else."
        return _fault(kind, base + payload, mode, reason, base)

    return st.builds(make, job_ids(), pause_modes(), st.sampled_from(_PAYLOADS[family]))


@KINDS.kind(
    "job-id/sql-injection", Req.JOB_ID_RULE, "refuse-400", "a well-formed id followed by an SQL injection payload"
)
def _sql_injection(kind: FaultKind) -> st.SearchStrategy[Fault]:
    return _injection(kind, "sql", "an SQL injection payload")


@KINDS.kind(
    "job-id/script-injection",
    Req.JOB_ID_RULE,
    "refuse-400",
    "a well-formed id followed by an HTML/script injection payload",
)
def _script_injection(kind: FaultKind) -> st.SearchStrategy[Fault]:
    return _injection(kind, "script", "a script injection payload")


@KINDS.kind(
    "job-id/path-traversal",
    Req.JOB_ID_RULE,
    "refuse-400",
    "a well-formed id followed by a path traversal (`/../../etc/passwd`, encoded too)",
)
def _path_traversal(kind: FaultKind) -> st.SearchStrategy[Fault]:
    return _injection(kind, "path", "a path traversal")


@KINDS.kind(
    "job-id/crlf-injection",
    Req.JOB_ID_RULE,
    "refuse-400",
    "a well-formed id followed by CR LF and a header line (raw or percent-encoded)",
)
def _crlf_injection(kind: FaultKind) -> st.SearchStrategy[Fault]:
    return _injection(kind, "crlf", "a CRLF injection")


@KINDS.kind("job-id/null", Req.ITEM_SHAPE, "refuse-400", "`null`")
def _null(kind: FaultKind) -> st.SearchStrategy[Fault]:
    def make(mode: str) -> Fault:
        return _fault(kind, None, mode, "job_id is null; it must be a string.", None)

    return st.builds(make, pause_modes())


@KINDS.kind(
    "job-id/not-a-string",
    Req.ITEM_SHAPE,
    "refuse-400",
    'a number, a boolean, an array or an object (e.g. `[id]`, `{"id": id}`)',
)
def _not_a_string(kind: FaultKind) -> st.SearchStrategy[Fault]:
    def make(value: Any, mode: str, base: str | None) -> Fault:
        reason = f"job_id is a JSON {json_type(value)} ({value!r}); it must be a string."
        return _fault(kind, value, mode, reason, base)

    numbers = st.one_of(st.integers(), st.floats(allow_nan=False, allow_infinity=False))
    wrapped = st.one_of(job_ids().map(lambda base: ([base], base)), job_ids().map(lambda base: ({"id": base}, base)))
    scalars = st.one_of(numbers, st.booleans()).map(lambda value: (value, None))
    return st.builds(lambda pair, mode: make(pair[0], mode, pair[1]), st.one_of(scalars, wrapped), pause_modes())


def malformed_job_ids(*, kinds: Collection[str] | None = None) -> st.SearchStrategy[Fault]:
    """Faults whose `value` is a malformed job_id, sent as the one item of a batch with a valid mode.

    String kinds break JOB-ID-RULE; `job-id/null` and `job-id/not-a-string` break ITEM-SHAPE. All
    must be refused with 400. `kinds=` narrows the choice (see `fault_kinds()`).
    """
    return KINDS.strategy_for(kinds)
