"""What a sandbox runs with: credentials, seed, defect, variants, limits; and the defaults a newcomer gets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from drs_conformance.contract.control_extensions import (
    BULK_DELETE_EXTENSION,
    BULK_PUT_EXTENSION,
    BULK_QUERY_EXTENSION,
    CONTROL_BULK_LIMIT,
    CONTROL_EXTENSIONS,
    DELETE_JOB_EXTENSION,
)
from drs_conformance.contract.inventory import Inventory
from drs_conformance.contract.spec import contract
from drs_conformance.errors import UsageError
from drs_conformance.sandbox.defects import ActiveDefect
from drs_conformance.sandbox.variants import BODY_LIMIT_SERVED, VariantChoices

__all__ = [
    "BULK_DELETE_EXTENSION",
    "BULK_PUT_EXTENSION",
    "BULK_QUERY_EXTENSION",
    "CONTROL_BULK_LIMIT",
    "CONTROL_EXTENSIONS",
    "DEFAULT_AK",
    "DEFAULT_PROJECT",
    "DEFAULT_SEED_STATUS",
    "DEFAULT_SEED_TYPE",
    "DEFAULT_SK",
    "DEFAULT_TOKEN",
    "DELETE_JOB_EXTENSION",
    "AccessKey",
    "SandboxConfig",
]

DEFAULT_TOKEN = "sandbox-token"
DEFAULT_PROJECT = contract().example_project_id
DEFAULT_AK = "SANDBOXACCESSKEY0001"
DEFAULT_SK = "sandbox-secret-key-0001"
# A seeded job without status/type, and the document's example job, are a running sync job.
DEFAULT_SEED_STATUS = "INCRE_TRANSFER_STARTED"
DEFAULT_SEED_TYPE = "sync"
# The contract notes' optional control-API additions the sandbox serves, as GET /_sandbox/health lists them, are
# named in drs_conformance/contract/control_extensions.py (for the kit's client too) and exported from here.


@dataclass(frozen=True)
class AccessKey:
    """An AK/SK pair and the project its signatures are valid for."""

    ak: str
    sk: str
    project_id: str

    def __repr__(self) -> str:  # never show the secret
        return f"AccessKey(ak={self.ak!r}, sk='***', project_id={self.project_id!r})"


def _default_tokens() -> dict[str, str]:
    return {DEFAULT_TOKEN: DEFAULT_PROJECT}


def _default_access_keys() -> tuple[AccessKey, ...]:
    return (AccessKey(DEFAULT_AK, DEFAULT_SK, DEFAULT_PROJECT),)


@dataclass(frozen=True, kw_only=True)
class SandboxConfig:
    """Everything a sandbox runs with. `defect` and `variants` accept plain names and are normalised.

    - `tokens`: X-Auth-Token -> project id it is valid for.
    - `access_keys`: AK/SK pairs, each bound to a project.
    - `seed`: an Inventory, or the path of an inventory file (loaded by `create_app`, then dropped);
      None = the document's example job in DEFAULT_PROJECT.
    - `defect`: at most one defect name (see `list_defects()`); `variants`: name -> option.
    - `max_body_bytes`: overrides the body limit the `large-body` variant implies.
    - `body_timeout`: seconds to wait for a declared body before refusing it.
    - `effect_lag`: seconds a pause or resume takes to show under the variant effects=delayed.
    - `control_extensions`: the optional control-API additions served (and listed by /_sandbox/health);
      `()` serves the four basic endpoints only, as a vendor's sandbox may.
    """

    tokens: Mapping[str, str] = field(default_factory=_default_tokens)
    access_keys: tuple[AccessKey, ...] = field(default_factory=_default_access_keys)
    seed: Inventory | Path | str | None = None
    defect: ActiveDefect = field(default_factory=ActiveDefect)
    variants: VariantChoices = field(default_factory=VariantChoices)
    control_api: bool = True
    control_extensions: tuple[str, ...] = CONTROL_EXTENSIONS
    max_body_bytes: int | None = None
    body_timeout: float = 30.0
    effect_lag: float = 0.3

    def __post_init__(self) -> None:
        if not isinstance(self.defect, ActiveDefect):
            object.__setattr__(self, "defect", ActiveDefect(self.defect))
        if not isinstance(self.variants, VariantChoices):
            object.__setattr__(self, "variants", VariantChoices(self.variants))
        object.__setattr__(self, "tokens", dict(self.tokens))
        object.__setattr__(self, "access_keys", tuple(self.access_keys))
        for token, project in self.tokens.items():
            if not token or not project:
                raise UsageError("a token and its project must both be non-empty: use --token TOKEN=PROJECT")
        seen: set[str] = set()
        for key in self.access_keys:
            if not (key.ak and key.sk and key.project_id):
                raise UsageError("an access key needs AK, SK and project: use --ak AK --sk SK --ak-project PROJECT")
            if key.ak in seen:
                raise UsageError(f"access key {key.ak} is given twice; give each AK once")
            seen.add(key.ak)
        object.__setattr__(self, "control_extensions", tuple(self.control_extensions))
        unknown = sorted(set(self.control_extensions) - set(CONTROL_EXTENSIONS))
        if unknown:
            raise UsageError(f"unknown control-API extension {unknown[0]!r}; known: {', '.join(CONTROL_EXTENSIONS)}")
        if not 0 < self.effect_lag < 3600:
            raise UsageError(f"the effect lag must be between 0 and 3600 seconds, got {self.effect_lag:g}")
        if self.max_body_bytes is not None and self.max_body_bytes < 1:
            raise UsageError(f"max_body_bytes must be positive, got {self.max_body_bytes}")

    @property
    def body_limit(self) -> int:
        """The largest body served, in bytes."""
        if self.max_body_bytes is not None:
            return self.max_body_bytes
        return BODY_LIMIT_SERVED if self.variants.chosen("large-body", "serve") else contract().body_limit

    @property
    def uses_default_credentials(self) -> bool:
        """Whether the built-in demo token is the sandbox's only token (then examples may show it)."""
        return list(self.tokens) == [DEFAULT_TOKEN]

    @property
    def home_project(self) -> str:
        """The project a newcomer's first request goes to: the seed's, else the first token's."""
        if isinstance(self.seed, Inventory):
            return self.seed.project_id
        if self.tokens:
            return next(iter(self.tokens.values()))
        if self.access_keys:
            return self.access_keys[0].project_id
        return DEFAULT_PROJECT

    def access_key(self, ak: str) -> AccessKey | None:
        for key in self.access_keys:
            if key.ak == ak:
                return key
        return None
