"""Valid pause modes, read from the contract."""

from __future__ import annotations

from hypothesis import strategies as st

from drs_conformance.contract.spec import contract

__all__ = ["pause_modes"]


def pause_modes() -> st.SearchStrategy[str]:
    """The contract's pause modes (`target`, `all`), shrinking to the first one."""
    return st.sampled_from(contract().pause_modes)
