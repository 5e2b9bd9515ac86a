"""Where in a JSON document a problem sits, written as a reader writes it (`jobs[2].job_id`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["readable_path"]


def readable_path(parts: Iterable[Any], *, whole: str = "(body)") -> str:
    """`jobs[2].job_id` for the parts ("jobs", 2, "job_id"); `whole` when there are none."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or whole
