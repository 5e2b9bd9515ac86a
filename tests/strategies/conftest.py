"""Fixtures for the tests of drs_conformance.strategies: the contract's validators and a draw collector."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from drs_conformance.contract.spec import contract


@pytest.fixture(scope="session")
def request_validator() -> Draft202012Validator:
    """The contract's BatchPauseRequest schema, as a validator."""
    return Draft202012Validator(contract().resolved_schema("BatchPauseRequest"))


@pytest.fixture(scope="session")
def job_id_validator() -> Draft202012Validator:
    return Draft202012Validator(contract().resolved_schema("JobId"))


Collect = Callable[..., list[Any]]


@pytest.fixture(scope="session")
def collect() -> Collect:
    """Draw `count` values of a strategy, deterministically (a fixed seed, no example database)."""

    def run(strategy: st.SearchStrategy[Any], count: int = 50, *, random_seed: int | None = None) -> list[Any]:
        drawn: list[Any] = []

        @settings(
            max_examples=count,
            database=None,
            deadline=None,
            derandomize=random_seed is None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )
        @given(strategy)
        def draw(value: Any) -> None:
            drawn.append(value)

        if random_seed is not None:
            draw = seed(random_seed)(draw)
        draw()
        return drawn

    return run
