"""The JSON Schema of conformance.json, shipped with the package, and validation against it."""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

import jsonschema

from drs_conformance.contract.paths import readable_path

__all__ = ["SCHEMA_FILENAME", "report_errors", "report_schema", "validate_report"]

SCHEMA_FILENAME = "conformance.schema.json"


@functools.cache
def _schema_text() -> str:
    return (resources.files("drs_conformance.reporting") / SCHEMA_FILENAME).read_text(encoding="utf-8")


def report_schema() -> dict[str, Any]:
    """The schema as a fresh dict."""
    return json.loads(_schema_text())


@functools.cache
def _validator() -> jsonschema.Draft202012Validator:
    schema = report_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def report_errors(document: Any) -> list[str]:
    """Every way the document breaks the schema, as `path: message` lines (empty when valid)."""
    return [
        f"{readable_path(error.absolute_path, whole='(top level)')}: {error.message}"
        for error in _validator().iter_errors(document)
    ]


def validate_report(document: Any) -> None:
    """Raise jsonschema.ValidationError (the most relevant one) when the document breaks the schema."""
    error = jsonschema.exceptions.best_match(_validator().iter_errors(document))
    if error is not None:
        raise error
