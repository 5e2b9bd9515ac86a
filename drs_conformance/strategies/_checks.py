"""Up-front validation of strategy options, with errors that name the argument."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

__all__ = ["check_choices", "check_integer", "check_sizes", "check_strategy"]


_NOUNS = {"kinds": "kind", "shapes": "shape", "statuses": "status", "types": "type", "expects": "expect"}


def check_strategy(name: str, value: Any) -> None:
    """Fail unless value is a hypothesis strategy."""
    if not isinstance(value, SearchStrategy):
        raise InvalidArgument(
            f"{name}={value!r} must be a hypothesis strategy (SearchStrategy), not {type(value).__name__}"
        )


def check_integer(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgument(f"{name}={value!r} must be an integer, not {type(value).__name__}")


def check_sizes(min_size: Any, max_size: Any, *, lowest: int, highest: int | None, why: str = "") -> None:
    """Check min_size <= max_size within [lowest, highest]; `why` explains the bounds."""
    check_integer("min_size", min_size)
    check_integer("max_size", max_size)
    hint = f": {why}" if why else ""
    if min_size < lowest:
        raise InvalidArgument(f"Cannot have min_size={min_size} < {lowest}{hint}")
    if highest is not None and max_size > highest:
        raise InvalidArgument(f"Cannot have max_size={max_size} > {highest}{hint}")
    if max_size < min_size:
        raise InvalidArgument(f"Cannot have max_size={max_size} < min_size={min_size}")


def check_choices(name: str, value: Any, allowed: Collection[str], *, owner: str) -> frozenset[str]:
    """Check that value is a non-empty collection of names taken from `allowed`."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Collection):
        raise InvalidArgument(f"{name}={value!r} must be a collection of names, not {type(value).__name__}")
    chosen = frozenset(value)
    if not chosen:
        raise InvalidArgument(f"{name}={value!r} selects nothing; {owner}: {', '.join(allowed)}")
    unknown = sorted(str(v) for v in chosen - frozenset(allowed))
    if unknown:
        raise InvalidArgument(
            f"Unknown {_NOUNS.get(name, name)} {unknown[0]!r} in {name}={sorted(map(str, chosen))!r}; "
            f"{owner}: {', '.join(allowed)}"
        )
    return chosen
