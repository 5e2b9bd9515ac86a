"""Make schemathesis generate DRS-shaped job ids, without losing its negative generation.

What schemathesis 4.32.5 does here (checked against its source and by the tests of this package):

- The contract states the id rule as `pattern` (+ `minLength`/`maxLength` 36) on `JobId`, no
  `format`. From that alone schemathesis already draws ids over the whole `[0-9a-z]` alphabet (most
  carry non-hex letters) and, in negative mode, breaks the pattern, the lengths and the type. Nothing
  needs registering for that; `tests/strategies/test_strategies_schemathesis.py` proves both.
- What it does not do is draw *our* ids: the document's example, the reference's `...9jb502`-like
  shape, ids that shrink to all zeros. For that, this module registers `job_ids()` under the custom
  format name `drs-job-id` (`register_job_id_format()`), and `with_job_id_format(document)` returns
  a copy of an OpenAPI document whose `JobId` says `format: drs-job-id` *beside* its pattern and
  lengths. Negative generation then still has the pattern and lengths to break (the notes' pitfall,
  "a custom format name gets positive values only", applies to a schema whose only constraint is the
  format: there schemathesis can only negate the format itself, by drawing arbitrary strings, which
  is far weaker). `with_job_id_format` therefore refuses a `JobId` without a pattern.
- Rejected: overriding the `uuid` format that schemathesis knows. It is global (every `format: uuid`
  field of the process would get DRS ids), and schemathesis' negative value channel breaks a uuid by
  replacing its first character with `g` (`violate_uuid` in `specs/openapi/negative/value_channel.py`):
  for DRS that yields a *well-formed* id (`gaaaaaaa-...`) sent as "negative" data, the very hex-only
  mistake the contract warns about.

Nothing runs at import: call `register_job_id_format()` (idempotent) where you load the schema.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from .job_ids import job_ids

__all__ = ["JOB_ID_FORMAT", "register_job_id_format", "with_job_id_format"]

#: The custom format name under which schemathesis draws from `job_ids()`.
JOB_ID_FORMAT = "drs-job-id"


def register_job_id_format() -> str:
    """Register `job_ids()` with schemathesis as the string format `drs-job-id`; idempotent.

    Leaves an existing registration of that name alone. Returns the format name.
    """
    import schemathesis
    from schemathesis.specs.openapi.formats import STRING_FORMATS

    if JOB_ID_FORMAT not in STRING_FORMATS:
        schemathesis.openapi.format(JOB_ID_FORMAT, job_ids())
    return JOB_ID_FORMAT


def with_job_id_format(document: Mapping[str, Any], *, schema_name: str = "JobId") -> dict[str, Any]:
    """A deep copy of an OpenAPI document whose `schema_name` component also says `format: drs-job-id`.

    Load it with `schemathesis.openapi.from_dict(...)` after `register_job_id_format()`. The component
    must keep a `pattern`, so negative generation has a rule to break.
    """
    result = copy.deepcopy(dict(document))
    try:
        schema = result["components"]["schemas"][schema_name]
    except (KeyError, TypeError):
        raise ValueError(f"schema_name={schema_name!r}: the document has no components.schemas.{schema_name}") from None
    if "pattern" not in schema:
        raise ValueError(
            f"components.schemas.{schema_name} has no pattern: with the format alone, schemathesis' negative"
            " generation could only draw arbitrary strings for it; keep the pattern beside the format"
        )
    schema["format"] = JOB_ID_FORMAT
    return result
