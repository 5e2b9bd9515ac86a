"""The allowed choices ("Either" rules of the contract) the sandbox can take, in one registry.

Each variant is one place where the document leaves a choice, or says nothing at all (the contract
notes' "What the documents do not state": a gateway in front, what a failed look-up carries);
`--variant NAME=OPTION` picks an option, and the suites must accept every option. The defaults are the options a plain schemathesis
run accepts. (A failed item's status word has no variant: the contract says it SHOULD be `failed`.)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from drs_conformance.contract.spec import contract
from drs_conformance.errors import UsageError
from drs_conformance.hints import did_you_mean

__all__ = ["BODY_LIMIT_SERVED", "Variant", "VariantChoices", "get_variant", "list_variants"]

# The sandbox's own choice: the body limit under large-body=serve (the documented limit is contract().body_limit).
BODY_LIMIT_SERVED = 16 * 1024 * 1024


@dataclass(frozen=True)
class Variant:
    """One choice the document leaves open: its options (the first is the default) and the rule it is, if any."""

    name: str
    options: tuple[str, ...]
    requirement: str | None  # None: no rule decides it, the documents are silent (contract notes)
    description: str

    @property
    def default(self) -> str:
        return self.options[0]


_REGISTRY: tuple[Variant, ...] = (
    Variant(
        "duplicates",
        ("per-item", "refuse"),
        "DUPLICATE-IDS",
        "a job named twice in one batch: per-item = each occurrence gets its own result, at most one success; refuse = 400 DRS.M00301",
    ),
    Variant(
        "extra-fields",
        ("ignore", "refuse"),
        "EXTRA-FIELDS",
        "unknown fields in the body or an item: ignore them, or refuse the request with 400",
    ),
    Variant(
        "unknown-language",
        ("refuse", "fallback"),
        "LANGUAGE-UNKNOWN",
        "an X-Language other than en-us/zh-cn: refuse with 400 DRS.M00007, or fall back to en-us",
    ),
    Variant(
        "large-batch",
        ("serve", "refuse"),
        "BATCH-OVER-100",
        f"more than {contract().batch_limit} jobs in one batch: serve, or refuse with 413 DRS.M00273",
    ),
    Variant(
        "large-body",
        ("refuse", "serve"),
        "BODY-OVER-1MIB",
        f"a body over {contract().body_limit} bytes: refuse with 413, or serve (the limit becomes {BODY_LIMIT_SERVED} bytes)",
    ),
    Variant(
        "result-order",
        ("request", "reversed", "shuffled"),
        "ONE-RESULT-PER-ITEM",
        "order of results: as requested, reversed, or shuffled (the document does not fix it)",
    ),
    Variant(
        "project-mismatch-status",
        ("403", "401"),
        "AUTH-PROJECT-STATUS",
        "credentials of one project on another project's path: 403 or 401",
    ),
    Variant(
        "response-extras",
        ("none", "present"),
        "RESPONSE-SCHEMA",
        "present = every body and every result carries extra harmless fields (request_id)",
    ),
    Variant(
        "status-paging",
        ("all", "pages"),
        "SUPPORT-STATUS",
        "batch-status results: all of them (page_req ignored), or one page as the platform pages: "
        "page_req.per_page results (its documented default when absent; 0 = all) of page page_req.cur_page "
        "(default 1), with count the number of ids asked",
    ),
    Variant(
        "failed-lookup-status",
        ("absent", "empty", "null"),
        "SUPPORT-STATUS",
        "a batch-status result for an unknown id or a job of another project carries error_code and "
        'error_message, and its status is left out, "" or null (the documents do not say which)',
    ),
    Variant(
        "effects",
        ("immediate", "delayed"),
        None,
        "delayed = a pause answered success shows as PAUSING (batch-status, control API) only LAG seconds later, "
        "and a resumed job reads PAUSING for LAG seconds; the job is taken at once (a second pause inside the "
        "window fails its item); LAG: --effect-lag (the documents promise no read-after-write)",
    ),
    Variant(
        "body-framing",
        ("length", "chunked"),
        None,
        "chunked = every answer sent with Transfer-Encoding: chunked in 64-byte pieces, no Content-Length "
        "(drs_conformance/sandbox/framing.py)",
    ),
    Variant(
        "gateway",
        ("none", "apig"),
        None,
        "apig = behind an API gateway: gzip or deflate as the client accepts, every 29th API request "
        "throttled with 429 + Retry-After: 0 (APIG.0308), every 5th connection closed (Connection: close), "
        "X-Request-Id headers (drs_conformance/sandbox/gateway.py)",
    ),
)

_BY_NAME: dict[str, Variant] = {variant.name: variant for variant in _REGISTRY}


def list_variants() -> tuple[Variant, ...]:
    """Every variant, in registry order."""
    return _REGISTRY


def get_variant(name: str) -> Variant:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise UsageError(
            f"unknown variant {name!r}; choose one of {', '.join(_BY_NAME)} (see --list-variants)"
        ) from None


class VariantChoices(Mapping[str, str]):
    """The option chosen for every variant (defaults filled in); read-only."""

    __slots__ = ("_chosen",)

    def __init__(self, chosen: Mapping[str, str] | None = None) -> None:
        picked = dict(chosen or {})
        for name, option in picked.items():
            variant = get_variant(name)
            if option not in variant.options:
                raise UsageError(f"variant {name} has no option {option!r}; choose one of {', '.join(variant.options)}")
        self._chosen = {v.name: picked.get(v.name, v.default) for v in _REGISTRY}

    def __getitem__(self, name: str) -> str:
        return self._chosen[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._chosen)

    def __len__(self) -> int:
        return len(self._chosen)

    def chosen(self, name: str, option: str) -> bool:
        """Whether variant `name` runs with `option`; a name or option not registered is a sandbox bug."""
        variant = _BY_NAME[name]
        if option not in variant.options:
            raise KeyError(f"the sandbox consulted an unknown option {option!r} of variant {name!r}")
        return self._chosen[name] == option

    @property
    def non_default(self) -> dict[str, str]:
        return {name: option for name, option in self._chosen.items() if option != _BY_NAME[name].default}

    def __repr__(self) -> str:
        return f"VariantChoices({self.non_default!r})"


def parse_variant_choices(texts: Iterable[str], *, flag: str) -> VariantChoices:
    """`flag NAME=OPTION` values (`--variant`, `--sandbox-variant`) as the sandbox's choices, or a one-line UsageError."""
    chosen: dict[str, str] = {}
    for text in texts:
        name, sep, option = (part.strip() for part in text.partition("="))
        if not sep or not name or not option:
            raise UsageError(
                f"{flag} {text!r} is malformed: write NAME=OPTION, e.g. duplicates=refuse "
                "(see: drs-conformance sandbox --list-variants)"
            )
        if name not in _BY_NAME:
            raise UsageError(
                f"{flag}: unknown variant {name!r}{did_you_mean(name, _BY_NAME)} "
                "(see: drs-conformance sandbox --list-variants)"
            )
        if name in chosen:
            raise UsageError(f"{flag} {name} is given twice; give each variant once")
        choices = _BY_NAME[name].options
        if option not in choices:
            raise UsageError(
                f"{flag}: variant {name} has no option {option!r}"
                f"{did_you_mean(option, choices)} (choose one of {', '.join(choices)})"
            )
        chosen[name] = option
    return VariantChoices(chosen)
