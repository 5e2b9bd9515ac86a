"""The package root offers a curated set of names (`__all__`), each the object of the module that owns it."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import drs_conformance


@pytest.mark.parametrize("name", drs_conformance.__all__)
def test_every_public_name_is_the_owners_object(name: str) -> None:
    value = getattr(drs_conformance, name)
    owner = drs_conformance.PUBLIC_OWNERS.get(name)
    if owner is not None:
        expected = getattr(importlib.import_module(owner), name)
        assert value is expected, f"drs_conformance.{name}: received {value!r}, the owner {owner} holds {expected!r}"
    assert value is not None, f"drs_conformance.{name} is None"


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        _ = drs_conformance.nothing_here  # type: ignore[attr-defined]


def test_importing_the_package_loads_no_layer() -> None:
    """`import drs_conformance` (which every submodule's import runs first) reads no document and starts nothing."""
    code = "import sys, drs_conformance; print(sorted(m for m in sys.modules if m.startswith('drs_conformance.')))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "[]", f"received {loaded}, expected no submodule loaded by importing the package"
