"""The enum of requirement ids and the catalogue name the same requirements, in the same order."""

from __future__ import annotations

from drs_conformance.contract.catalogue import catalogue
from drs_conformance.contract.requirement_ids import Req


def test_the_enum_holds_every_catalogue_id_in_order() -> None:
    """A requirement added to (or removed from) requirements.yaml needs its member here, and the reverse."""
    received = tuple(member.value for member in Req)
    documented = catalogue().ids
    assert received == documented, (
        f"received Req members {sorted(set(received) ^ set(documented)) or 'in another order'}; "
        f"documented in requirements.yaml: {len(documented)} ids"
    )


def test_each_member_name_spells_its_id() -> None:
    """Req.BATCH_100 is "BATCH-100": the name can be read as the id it holds."""
    misspelt = [member.name for member in Req if member.name != member.value.replace("-", "_")]
    assert not misspelt, f"received member names {misspelt}, documented: the id with '-' written '_'"
