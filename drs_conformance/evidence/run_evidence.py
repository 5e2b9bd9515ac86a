"""What a run writes beside its reports so that it can be bundled as evidence: every exchange of every test
(redacted), and the catalogue, the document and the known deviations it judged by.

The files go to `REPORT_DIR/evidence/`: `exchanges/<process>.jsonl` (one line per exchange: the test's node id and
the exchange), `requirements.yaml`, `drs-batch-pause-task.yaml` and `known-deviations.yaml` (when given).
`drs-conformance report bundle` packs them with the reports; `run --bundle` does it at the end of the run.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import IO

from drs_conformance.contract.exchange import Exchange
from drs_conformance.contract.spec import SPEC_FILENAME, spec_path
from drs_conformance.plugin.options import KitOptions
from drs_conformance.transport.client import ExchangeLog
from drs_conformance.transport.redaction import Redactor

__all__ = [
    "CATALOGUE_FILE",
    "DEVIATIONS_FILE",
    "EVIDENCE_DIR",
    "EXCHANGES_DIR",
    "SPEC_FILE",
    "ExchangeSink",
    "RecordingLog",
    "kit_file",
    "start_evidence",
]

EVIDENCE_DIR = "evidence"
EXCHANGES_DIR = "exchanges"  # under EVIDENCE_DIR
CATALOGUE_FILE = "requirements.yaml"
SPEC_FILE = SPEC_FILENAME
DEVIATIONS_FILE = "known-deviations.yaml"


def kit_file(name: str) -> bytes:
    """The bytes of the catalogue or the document this kit ships (what a bundle's copies are checked against)."""
    if name == CATALOGUE_FILE:
        return (resources.files("drs_conformance.contract") / CATALOGUE_FILE).read_bytes()
    if name == SPEC_FILE:
        return spec_path().read_bytes()
    raise ValueError(f"{name!r} is not a file the kit ships")


def start_evidence(options: KitOptions) -> Path:
    """At the start of a run (its controller): the previous run's evidence removed, the run's inputs copied."""
    evidence = options.report_dir / EVIDENCE_DIR
    shutil.rmtree(evidence, ignore_errors=True)
    (evidence / EXCHANGES_DIR).mkdir(parents=True, exist_ok=True)
    for name in (CATALOGUE_FILE, SPEC_FILE):
        (evidence / name).write_bytes(kit_file(name))
    if options.known_deviations is not None:
        shutil.copyfile(options.known_deviations, evidence / DEVIATIONS_FILE)
    return evidence


class ExchangeSink:
    """One process's exchanges, appended as JSON lines (redacted by value once more) as its tests make them."""

    def __init__(self, *, report_dir: Path, redactor: Callable[[], Redactor]) -> None:
        process = os.environ.get("PYTEST_XDIST_WORKER", "main")
        self.path = report_dir / EVIDENCE_DIR / EXCHANGES_DIR / f"{process}.jsonl"
        self._redactor = redactor  # the target's, once it is open (it knows the signatures the run sent)
        self._file: IO[str] | None = None
        self._lock = threading.Lock()
        self.written = 0

    def write(self, test: str, exchange: Exchange) -> None:
        # ASCII only: a body may hold U+2028 or \x1c, which splitlines() would take for the end of a line.
        line = json.dumps({"test": test, "exchange": exchange.to_dict()})
        line = self._redactor().text(line)
        with self._lock:
            if self._file is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._file = self.path.open("a", encoding="utf-8")
            self._file.write(line + "\n")
            self._file.flush()
            self.written += 1

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


class RecordingLog(ExchangeLog):
    """A test's exchange log that also hands every exchange to the run's sink (the log keeps only the last few)."""

    def __init__(self, *, test: str, sink: ExchangeSink) -> None:
        super().__init__()
        self._test = test
        self._sink = sink

    def add(self, exchange: Exchange) -> None:
        super().add(exchange)
        self._sink.write(self._test, exchange)
