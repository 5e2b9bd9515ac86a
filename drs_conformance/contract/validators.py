"""One builder of JSON Schema validators over the contract's schemas, so every part of the kit validates alike."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

import jsonschema

from drs_conformance.contract.spec import contract

__all__ = ["SchemaEdit", "build_validator", "contract_validator", "inline_refs"]

# Changes a copy of the contract's `$defs` before a validator is built (the sandbox's schema defects).
SchemaEdit = Callable[[dict[str, Any]], None]


@functools.cache
def contract_validator(
    name: str, *, documented: bool = False, closed: bool = False, inline: bool = False
) -> jsonschema.Draft202012Validator:
    """The Draft 2020-12 validator of the contract's schema `name`, built once per view.

    - `documented=True`: the documented view, which leaves out what the kit infers (`x-drs-inferred`):
      what a MUST is judged against. The default is the full view, the kit's inferences included (SHOULD).
    - `closed=True`: every object that lists its properties allows no others, so that extra fields show as
      errors of their own.
    - `inline=True`: every local `$ref` replaced by its target (same verdicts, much faster on bodies
      validated many times, as the sandbox does).
    """
    return build_validator(name, documented=documented, closed=closed, inline=inline)


def build_validator(
    name: str,
    *,
    documented: bool = False,
    closed: bool = False,
    inline: bool = False,
    edit: SchemaEdit | None = None,
) -> jsonschema.Draft202012Validator:
    """As `contract_validator`, but not cached: `edit` first changes a copy of the schema's `$defs`."""
    resolved = contract().resolved_schema(name, documented=documented)  # a fresh copy: ours to change
    if edit is not None:
        edit(resolved["$defs"])
    if closed:
        _close(resolved)
    schema = inline_refs(resolved) if inline else resolved
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def inline_refs(resolved: Mapping[str, Any]) -> dict[str, Any]:
    """A resolved schema (`contract().resolved_schema`) with every local `$ref` replaced by its target."""
    schema = _inline({"$ref": resolved["$ref"]}, resolved["$defs"])
    schema["$schema"] = resolved["$schema"]
    return schema


def _inline(node: Any, defs: Mapping[str, Any], depth: int = 0) -> Any:
    """`node` with its local `$ref`s replaced (the contract has no recursive schemas)."""
    if depth > 32:
        raise ValueError("the contract's schemas nest too deeply to inline (a recursive $ref?)")
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            target = _inline(defs[ref.rsplit("/", 1)[1]], defs, depth + 1)
            siblings = {k: _inline(v, defs, depth + 1) for k, v in node.items() if k != "$ref"}
            return {**target, **siblings}
        return {
            k: _inline(v, defs, depth + 1) for k, v in node.items() if k not in ("$defs", "description", "examples")
        }
    if isinstance(node, list):
        return [_inline(v, defs, depth + 1) for v in node]
    return node


def _close(node: Any) -> None:
    """Forbid unknown properties everywhere, so that extra fields show as errors of their own."""
    if isinstance(node, dict):
        if isinstance(node.get("properties"), dict):
            node.setdefault("additionalProperties", False)
        for child in node.values():
            _close(child)
    elif isinstance(node, list):
        for child in node:
            _close(child)
