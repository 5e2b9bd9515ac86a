"""A plain schemathesis run of the contract against the sandbox finds nothing (all checks, both modes, every phase).

The sandbox's defaults were chosen for this: an unknown X-Language is refused (schemathesis counts a fallback
as "invalid data accepted"), duplicates are answered per item, extra fields are ignored. The token is given
by an auth provider, so schemathesis treats it as explicit and probes the missing and invalid cases itself.
"""

from __future__ import annotations

import schemathesis
from schemathesis import GenerationMode

from drs_conformance.sandbox import DEFAULT_PROJECT, DEFAULT_TOKEN, SandboxConfig, create_app
from drs_conformance.sandbox.routes import OPENAPI_PATH

# Loaded at module level (schemathesis.pytest.from_fixture breaks under pytest 9.2.0).
APP = create_app(SandboxConfig())
schema = schemathesis.openapi.from_asgi(OPENAPI_PATH, APP)
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], max_examples=60, database="none"
)
schema.config.phases.update(phases=["examples", "coverage", "fuzzing"])
schema.config.update(
    parameters={"project_id": DEFAULT_PROJECT}
)  # the token's project: otherwise nearly every case is a 403
schema.config.seed = 20240601


@schema.auth()
class SandboxToken:
    """The demo token, set as the `token` security scheme's header."""

    def get(self, case: schemathesis.Case, ctx: object) -> str:
        return DEFAULT_TOKEN

    def set(self, case: schemathesis.Case, data: str, ctx: object) -> None:
        case.headers = {**(case.headers or {}), "X-Auth-Token": data}


@schema.parametrize()
def test_plain_schemathesis_run_finds_nothing(case: schemathesis.Case) -> None:
    case.call_and_validate()
