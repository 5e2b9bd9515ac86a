"""The documented operations as the contract suite reads them: their role, their request body, the limits."""

from __future__ import annotations

from typing import Any

from drs_conformance.contract.spec import INFERRED, contract

__all__ = ["JSON_MEDIA_TYPE", "UNDER_TEST", "body_schema_name", "inferred_fields", "role"]

JSON_MEDIA_TYPE = "application/json"
UNDER_TEST = "under-test"  # x-drs-role of the operation under test; the others are "supporting"


def body_schema_name(document: dict[str, Any], path: str) -> str:
    """The component schema of an operation's JSON body, by name, so that any copy of the document reads alike."""
    ref = document["paths"][path]["post"]["requestBody"]["content"][JSON_MEDIA_TYPE]["schema"]["$ref"]
    return str(ref.rsplit("/", 1)[1])


def role(path: str) -> str:
    """The operation's `x-drs-role`: the refusal rules bind the operation under test only."""
    return str(contract().operation(path)["x-drs-role"])


def inferred_fields(path: str) -> frozenset[str]:
    """Top-level body fields whose content the kit infers (`x-drs-inferred`): a refusal of them is not judged."""
    document = contract().document
    fields = document["components"]["schemas"][body_schema_name(document, path)]["properties"]
    return frozenset(name for name, schema in fields.items() if INFERRED in schema)
