"""What schemathesis generates from: the contract adjusted where it leaves a choice (judging reads it as written)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from drs_conformance.contract.spec import PAUSE_PATH, STATUS_PATH, contract, documented_view
from drs_conformance.schemathesis_suite.operations import body_schema_name
from drs_conformance.strategies import with_job_id_format

__all__ = [
    "WRONG_JOB_IDS",
    "WRONG_JOB_IDS_DICTIONARY",
    "generation_document",
    "request_schemas",
    "response_schema_names",
]

# A well-formed id of no job (its last group says so), from which every wrong id below is made. Each one
# breaks the UUID rule in one way that a known validator mistake lets through (kinds job-id/* of
# strategies/README.md), and the non-ASCII ones also probe for crashes. schemathesis draws them only
# in negative mode (a value that matches the schema never goes there), for `jobs[*].job_id`.
_NO_JOB = "d0d0d0d0-c0de-4kit-9bad-00000nojob00"
WRONG_JOB_IDS = (
    _NO_JOB.replace("c", "\u0441", 1),  # Cyrillic look-alike of a Latin letter
    _NO_JOB.replace("0", "\uff10", 1),  # full-width digit: `\d` matches it
    _NO_JOB.replace("k", "\u017f", 1),  # long s: `[a-z]` matches it under re.IGNORECASE
    _NO_JOB[:8] + "\u200b" + _NO_JOB[8:],  # zero-width space inside
    " " + _NO_JOB,  # padded: passes a validator that strips first
    _NO_JOB + "\n",  # Python's `$` matches before a final newline
    _NO_JOB + "\x00",  # a C string still reads the id
    "{" + _NO_JOB + "}",  # braces, as Windows writes GUIDs
    "urn:uuid:" + _NO_JOB,
)
WRONG_JOB_IDS_DICTIONARY = "drs-wrong-job-ids"  # the name schemathesis' config gives `WRONG_JOB_IDS`
_LANGUAGE_PARAMETER = "#/components/parameters/XLanguage"


def request_schemas(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every object schema a request body of the document is made of (components and inline), to close them."""
    schemas = document["components"]["schemas"]
    seen: set[int] = set()

    def walk(node: Any) -> Iterator[dict[str, Any]]:
        if not isinstance(node, dict) or id(node) in seen:
            return
        seen.add(id(node))
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            yield from walk(schemas[ref.rsplit("/", 1)[1]])
        if isinstance(node.get("properties"), dict):
            yield node
            for child in node["properties"].values():
                yield from walk(child)
        yield from walk(node.get("items"))

    for path_item in document["paths"].values():
        for operation in path_item.values():
            for media in operation.get("requestBody", {}).get("content", {}).values():
                yield from walk(media.get("schema"))


def response_schema_names(document: dict[str, Any]) -> set[str]:
    """The component schemas any response of the document is made of (by reference, transitively)."""
    schemas = document["components"]["schemas"]
    names: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
                name = ref.rsplit("/", 1)[1]
                if name not in names:
                    names.add(name)
                    walk(schemas[name])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document["components"].get("responses", {}))
    for path_item in document["paths"].values():
        for operation in path_item.values():
            walk(operation.get("responses", {}))
    return names


def generation_document(document: dict[str, Any], *, languages: bool) -> dict[str, Any]:
    """A copy whose valid cases stay clear of the contract's Either rules, so a choice never reads as a failure."""
    adjusted = with_job_id_format(document)  # a deep copy whose ids are DRS-shaped (format drs-job-id)
    # 0. Responses are judged as documented: schemathesis validates every answer against the schemas of
    #    the document it generates from, so the constraints the kit only infers (`x-drs-inferred`: null
    #    for an optional field, a platform error's shape) leave the response schemas here. They are
    #    judged apart, at SHOULD level (INFERRED-CONSTRAINTS). Request schemas keep them: valid cases
    #    are drawn as the kit reads the contract, and a refusal of an inferred part is not judged.
    schemas = adjusted["components"]["schemas"]
    for name in response_schema_names(adjusted):
        schemas[name] = documented_view(schemas[name])
    # 1. Request objects are closed (`additionalProperties: false`). Unknown fields may be ignored or
    #    refused (EXTRA-FIELDS); as the document stands, schemathesis puts random extra fields into most
    #    valid bodies, so a target that refuses them would refuse nearly every valid case, a false
    #    "valid data rejected". Closed, the extras are drawn apart, as negative data of their own, and
    #    judged by their Either rule (the contract suite's `_judge_choices`).
    for schema in request_schemas(adjusted):
        schema.setdefault("additionalProperties", False)
    # 2. `jobs` arrays get `uniqueItems: true`. A job named twice may be refused or answered per
    #    occurrence (DUPLICATE-IDS): the repeats are drawn apart, as negative data judged by that rule,
    #    instead of inside valid cases (where shrinking makes them common: every id shrinks to zeros).
    bodies = {path: adjusted["components"]["schemas"][body_schema_name(adjusted, path)] for path in adjusted["paths"]}
    for body in bodies.values():
        body["properties"]["jobs"]["uniqueItems"] = True
    # 3. The pause batch gets `maxItems: 100`: valid cases stay within the 100 jobs that MUST be served
    #    (BATCH-100; the coverage phase sends 99 and 100), and more is drawn as negative data (more than
    #    100 is a choice, BATCH-OVER-100, judged by its Either rule when the items are otherwise valid).
    bodies[PAUSE_PATH]["properties"]["jobs"]["maxItems"] = contract().batch_limit
    # 4. batch-status pages stay on page 1. A later page exists only when the ids fill it, and the
    #    platform refuses a page past the last (and, by its online reference, page 0): schemathesis
    #    would draw such pages as valid data, and a target that refuses them would be wrongly judged.
    #    The page size is drawn from a list of integers: JSON Schema counts 0.0 as an integer, and
    #    schemathesis sends it so, but a server that parses the field as an integer may refuse "0.0".
    paging = bodies[STATUS_PATH]["properties"]["page_req"]["properties"]
    paging["cur_page"] = {"type": "integer", "const": 1}
    paging["per_page"] = {"type": "integer", "enum": list(range(paging["per_page"]["maximum"] + 1))}
    # 5. Without `languages`, the X-Language parameter is left out. An unknown language may fall back
    #    to en-us or be refused (LANGUAGE-UNKNOWN), so it is no invalid data; yet for invalid requests
    #    schemathesis varies the header as invalid too (its coverage phase puts a wrong language into
    #    every negative case), and a target that refuses unknown languages would then refuse every
    #    invalid body for its language alone, hiding whether the body rules hold. The domain suite
    #    tests LANGUAGE-UNKNOWN; valid cases keep the enum, so they send the documented languages only.
    if not languages:
        for path_item in adjusted["paths"].values():
            for operation in path_item.values():
                parameters = operation.get("parameters", [])
                operation["parameters"] = [p for p in parameters if p.get("$ref") != _LANGUAGE_PARAMETER]
    return adjusted
