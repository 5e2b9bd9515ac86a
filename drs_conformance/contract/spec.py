"""The contract, read once from the OpenAPI document: every list the kit needs comes from here."""

from __future__ import annotations

import copy
import functools
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "INFERRED",
    "PAUSE_PATH",
    "RETRY_PATH",
    "SPEC_FILENAME",
    "STATUS_PATH",
    "Contract",
    "contract",
    "contract_constant",
    "documented_view",
    "inferred_constraints",
    "load_document",
    "spec_path",
]

SPEC_FILENAME = "drs-batch-pause-task.yaml"
PAUSE_PATH = "/v3/{project_id}/jobs/batch-pause-task"
STATUS_PATH = "/v3/{project_id}/jobs/batch-status"
RETRY_PATH = "/v3/{project_id}/jobs/batch-retry-task"
# Marks a subschema whose constraints are the kit's inference, not a sentence of the documents.
INFERRED = "x-drs-inferred"


def spec_path() -> Path:
    """Where the OpenAPI document lies on disk (repository checkout or installed package)."""
    return Path(str(resources.files("drs_conformance.openapi") / SPEC_FILENAME))


@functools.cache
def load_document() -> dict[str, Any]:
    """The OpenAPI document as a dict, parsed once per process."""
    with spec_path().open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@dataclass(frozen=True)
class Contract:
    """The facts of the contract that code and tests share, all taken from the document."""

    document: dict[str, Any]

    @property
    def version(self) -> str:
        return str(self.document["info"]["version"])

    def schema(self, name: str) -> dict[str, Any]:
        """A component schema, by name."""
        return self.document["components"]["schemas"][name]

    def operation(self, path: str, method: str = "post") -> dict[str, Any]:
        return self.document["paths"][path][method]

    @property
    def statuses(self) -> tuple[str, ...]:
        """All job statuses, in the document's order."""
        return tuple(self.schema("JobStatus")["enum"])

    @property
    def job_types(self) -> tuple[str, ...]:
        return tuple(self.schema("JobType")["enum"])

    @property
    def pause_modes(self) -> tuple[str, ...]:
        return tuple(self.schema("PauseMode")["enum"])

    @property
    def _pausable(self) -> dict[str, Any]:
        return self.operation(PAUSE_PATH)["x-drs-pausable"]

    @property
    def pausable_statuses(self) -> tuple[str, ...]:
        return tuple(self._pausable["statuses"])

    @property
    def pausable_types(self) -> tuple[str, ...]:
        return tuple(self._pausable["job_types"])

    @property
    def paused_status(self) -> str:
        return str(self._pausable["paused_status"])

    def pausable_status(self, name: str) -> str:
        """`name`, checked to be a pausable status: code picks a status by name, never by its place in the list."""
        if name not in self.pausable_statuses:
            raise KeyError(f"{name!r} is not a pausable status of the contract: {', '.join(self.pausable_statuses)}")
        return name

    def pausable_type(self, name: str) -> str:
        """`name`, checked to be a pausable job type (by name, as `pausable_status`)."""
        if name not in self.pausable_types:
            raise KeyError(f"{name!r} is not a pausable job type of the contract: {', '.join(self.pausable_types)}")
        return name

    @property
    def non_pausable_statuses(self) -> tuple[str, ...]:
        return tuple(s for s in self.statuses if s not in self.pausable_statuses)

    @property
    def non_pausable_types(self) -> tuple[str, ...]:
        return tuple(t for t in self.job_types if t not in self.pausable_types)

    @property
    def _limits(self) -> dict[str, Any]:
        return dict(self.operation(PAUSE_PATH)["x-drs-limits"])

    @property
    def batch_limit(self) -> int:
        """The most jobs a batch may hold and still MUST be served (contract notes rule 8)."""
        return int(self._limits["batch_served"])

    @property
    def body_limit(self) -> int:
        """The body size in bytes over which a target may refuse a request (contract notes rule 8)."""
        return int(self._limits["body_bytes"])

    @property
    def success_word(self) -> str:
        """A result item's status when its job was paused (the document's example response)."""
        return str(self.operation(PAUSE_PATH)["x-drs-result-words"]["success"])

    @property
    def failed_word(self) -> str:
        """A result item's status when its job was not paused (SHOULD, contract notes rule 15)."""
        return str(self.operation(PAUSE_PATH)["x-drs-result-words"]["failed"])

    @property
    def status_page_size(self) -> int:
        """The results of one batch-status page when the request gives no page_req (per_page's default)."""
        return int(self.schema("BatchStatusRequest")["properties"]["page_req"]["properties"]["per_page"]["default"])

    @property
    def job_id_pattern(self) -> str:
        return str(self.schema("JobId")["pattern"])

    @functools.cached_property
    def job_id_regex(self) -> re.Pattern[str]:
        return re.compile(self.job_id_pattern)

    @property
    def example_job_id(self) -> str:
        """The job id of the document's own example request."""
        body = self.operation(PAUSE_PATH)["requestBody"]["content"]["application/json"]
        return str(body["examples"]["documented"]["value"]["jobs"][0]["job_id"])

    @property
    def example_project_id(self) -> str:
        return str(self.document["components"]["parameters"]["ProjectId"]["example"])

    @property
    def example_request(self) -> dict[str, Any]:
        body = self.operation(PAUSE_PATH)["requestBody"]["content"]["application/json"]
        return body["examples"]["documented"]["value"]

    @property
    def example_response(self) -> dict[str, Any]:
        ok = self.operation(PAUSE_PATH)["responses"]["200"]["content"]["application/json"]
        return ok["examples"]["documented"]["value"]

    @property
    def documented_error_codes(self) -> tuple[str, ...]:
        field = self.schema("ErrorResponse")["properties"]["error_code"]
        return tuple(field["x-drs-documented-codes"])

    @functools.cached_property
    def error_code_regex(self) -> re.Pattern[str]:
        field = self.schema("ErrorResponse")["properties"]["error_code"]
        return re.compile(field["x-drs-code-pattern"])

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.document["components"]["parameters"]["XLanguage"]["schema"]["enum"])

    @property
    def default_language(self) -> str:
        return str(self.document["components"]["parameters"]["XLanguage"]["schema"]["default"])

    @property
    def signing(self) -> dict[str, Any]:
        return self.document["components"]["securitySchemes"]["aksk"]["x-drs-signing"]

    def resolved_schema(self, name: str, *, documented: bool = False) -> dict[str, Any]:
        """A component schema as a standalone JSON Schema (2020-12) with its references bundled (a fresh copy).

        `documented=True` leaves out what the kit infers (`documented_view`): what a MUST is judged against.
        """
        defs = documented_view(self._defs) if documented else copy.deepcopy(self._defs)
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$defs": defs,
            "$ref": f"#/$defs/{name}",
        }

    @functools.cached_property
    def _defs(self) -> dict[str, Any]:
        return _component_defs(self.document)


def documented_view(node: Any) -> Any:
    """A copy in which every subschema marked `x-drs-inferred` is the empty schema: only what the documents state."""
    if isinstance(node, dict):
        if INFERRED in node:
            return {}
        return {key: documented_view(value) for key, value in node.items()}
    if isinstance(node, list):
        return [documented_view(value) for value in node]
    return node


def inferred_constraints(document: dict[str, Any]) -> list[tuple[str, str]]:
    """Every subschema the kit infers, as (JSON pointer in the document, why), in document order."""
    found: list[tuple[str, str]] = []

    def walk(node: Any, pointer: str) -> None:
        if isinstance(node, dict):
            if INFERRED in node:
                found.append((pointer, str(node[INFERRED])))
            for key, value in node.items():
                walk(value, f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{pointer}/{index}")

    walk(document, "#")
    return found


def _component_defs(document: dict[str, Any]) -> dict[str, Any]:
    """Component schemas with `#/components/schemas/X` references rewritten to `#/$defs/X`."""
    text = yaml.safe_dump(document["components"]["schemas"])
    return yaml.safe_load(text.replace("#/components/schemas/", "#/$defs/"))


@functools.cache
def contract() -> Contract:
    """The process-wide contract, loaded on first use (never at import time)."""
    return Contract(load_document())


def contract_constant(module: str, name: str, **properties: str) -> Any:
    """For a module's `__getattr__`: its constant `name`, read from the contract property `properties[name]`.

    Read on first use, so that importing a module that offers a limit or a word as a constant reads nothing.
    """
    if name in properties:
        return getattr(contract(), properties[name])
    raise AttributeError(f"module {module!r} has no attribute {name!r}")
