"""JSON as the contract reads it: NaN and Infinity are Python's extensions, not JSON, and are refused."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["loads_strict"]


def loads_strict(text: str) -> Any:
    """`json.loads` without NaN, Infinity and -Infinity (a ValueError, as for any text that is not JSON)."""
    return json.loads(text, parse_constant=_refuse_constant)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
