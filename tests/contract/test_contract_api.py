"""The face of drs_conformance.contract: the names the contract suite imports, and no import-time work."""

from __future__ import annotations

import subprocess
import sys

import drs_conformance.contract as contract_package

EXPORTED = {
    "KitCredentials", "NO_RESEND", "Sent", "UNDER_TEST", "WRONG_JOB_IDS",
    "WRONG_JOB_IDS_DICTIONARY", "Wire", "as_httpx", "generation_document", "judge_request", "named_failure",
    "role", "security_header", "send", "to_wire",
}  # fmt: skip


def test_exported_names_stay_as_intended() -> None:
    exported = set(contract_package.__all__)
    assert exported == EXPORTED, f"added: {sorted(exported - EXPORTED)}, removed: {sorted(EXPORTED - exported)}"
    assert len(contract_package.__all__) == len(exported), "a name is exported twice"
    missing = [name for name in contract_package.__all__ if not hasattr(contract_package, name)]
    assert not missing, f"exported but not defined: {missing}"


def test_importing_the_package_loads_neither_schemathesis_nor_the_contract() -> None:
    code = (
        "import sys, drs_conformance.contract, drs_conformance.spec as spec; "
        "print('schemathesis' in sys.modules, spec.load_document.cache_info().currsize)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "0"], (
        f"import side effects (schemathesis loaded, contract read): {result.stdout!r} {result.stderr!r}"
    )
