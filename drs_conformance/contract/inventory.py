"""The inventory file: which jobs of a live target the run may pause, and which belong to others."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema_rs
import yaml

from drs_conformance.contract.paths import readable_path
from drs_conformance.contract.spec import contract
from drs_conformance.errors import InventoryError
from drs_conformance.hints import yaml_problem

__all__ = ["FOREIGN_PROJECT_DEFAULT", "Inventory", "InventoryJob", "load_inventory", "parse_inventory"]

# The project a foreign job is seeded into when the inventory does not say (sandbox only).
FOREIGN_PROJECT_DEFAULT = "f0e1d2c3b4a5968778695a4b3c2d1e0f"


@dataclass(frozen=True)
class InventoryJob:
    """A job named by the inventory; status is used only to seed a sandbox."""

    id: str
    type: str | None = None
    status: str | None = None
    project_id: str | None = None


@dataclass(frozen=True)
class Inventory:
    """The jobs a run may touch (`jobs`) and the jobs its credentials must not reach (`foreign_jobs`)."""

    project_id: str
    jobs: tuple[InventoryJob, ...]
    foreign_jobs: tuple[InventoryJob, ...] = ()
    source: str = "<inventory>"


def _inventory_schema() -> dict[str, Any]:
    """The inventory format as JSON Schema, reusing the contract's JobId, JobType and JobStatus."""
    defs = contract().resolved_schema("JobId")["$defs"]
    foreign_job = {
        "type": "object",
        "required": ["id"],
        "additionalProperties": False,
        "properties": {
            "id": {"$ref": "#/$defs/JobId"},
            "type": {"$ref": "#/$defs/JobType"},
            "status": {"$ref": "#/$defs/JobStatus"},
            "project_id": {"type": "string", "minLength": 1},
        },
    }
    # A job the run may pause must say its type: batch-status does not tell it, and DR jobs behave apart.
    job = {**foreign_job, "required": ["id", "type"]}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$defs": {**defs, "InventoryJob": job, "ForeignJob": foreign_job},
        "type": "object",
        "required": ["project_id", "jobs"],
        "additionalProperties": False,
        "properties": {
            "project_id": {"type": "string", "minLength": 1},
            "jobs": {"type": "array", "items": {"$ref": "#/$defs/InventoryJob"}},
            "foreign_jobs": {"type": "array", "items": {"$ref": "#/$defs/ForeignJob"}},
        },
    }


@functools.cache
def _validators() -> tuple[Any, jsonschema.Draft202012Validator]:
    """A fast validator (jsonschema-rs) for the common valid case and jsonschema to word an error."""
    schema = _inventory_schema()
    return jsonschema_rs.validator_for(schema), jsonschema.Draft202012Validator(schema)


def parse_inventory(data: Any, *, source: str = "<inventory>") -> Inventory:
    """Validate parsed inventory data and turn it into an Inventory, or raise one clear InventoryError."""
    fast, explaining = _validators()
    # A million-job inventory (a big sandbox seed) validates in well under a second this way.
    error = None if fast.is_valid(data) else jsonschema.exceptions.best_match(explaining.iter_errors(data))
    if error is not None:
        raise InventoryError(
            f"{source}: {readable_path(error.absolute_path, whole='(top level)')}: {error.message} "
            "(see the inventory format in the README, section 'Inventory')"
        )
    jobs = tuple(InventoryJob(**job) for job in data["jobs"])
    foreign = tuple(InventoryJob(**job) for job in data.get("foreign_jobs", ()))
    seen: set[str] = set()
    for job in (*jobs, *foreign):
        if job.id in seen:
            raise InventoryError(f"{source}: job {job.id} is listed twice; list each job once")
        seen.add(job.id)
    return Inventory(project_id=data["project_id"], jobs=jobs, foreign_jobs=foreign, source=source)


def load_inventory(path: str | Path) -> Inventory:
    """Read an inventory file (YAML, or JSON by its .json suffix)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InventoryError(f"cannot read inventory {path}: {exc.strerror or exc}; check --inventory") from None
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise InventoryError(f"{path}: not valid JSON: line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except yaml.YAMLError as exc:
        raise InventoryError(f"{path}: not valid YAML: {yaml_problem(exc)}") from None
    return parse_inventory(data, source=str(path))
