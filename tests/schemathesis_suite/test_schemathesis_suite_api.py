"""The face of drs_conformance.schemathesis_suite: the names the contract suite imports, and no import-time work."""

from __future__ import annotations

import subprocess
import sys

import drs_conformance.schemathesis_suite as suite_package

EXPORTED = {
    "KitCredentials", "NO_RESEND", "Sent", "UNDER_TEST", "WRONG_JOB_IDS",
    "WRONG_JOB_IDS_DICTIONARY", "Wire", "as_httpx", "generation_document", "classify_request", "named_failure",
    "role", "security_header", "send", "to_wire",
}  # fmt: skip


def test_exported_names_stay_as_intended() -> None:
    exported = set(suite_package.__all__)
    assert exported == EXPORTED, f"added: {sorted(exported - EXPORTED)}, removed: {sorted(EXPORTED - exported)}"
    assert len(suite_package.__all__) == len(exported), "a name is exported twice"
    missing = [name for name in suite_package.__all__ if not hasattr(suite_package, name)]
    assert not missing, f"exported but not defined: {missing}"


def test_importing_the_package_loads_neither_schemathesis_nor_the_contract() -> None:
    code = (
        "import sys, drs_conformance.schemathesis_suite, drs_conformance.contract.spec as spec; "
        "print('schemathesis' in sys.modules, spec.load_document.cache_info().currsize)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "0"], (
        f"import side effects (schemathesis loaded, contract read): {result.stdout!r} {result.stderr!r}"
    )
