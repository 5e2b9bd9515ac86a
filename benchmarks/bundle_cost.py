"""What the evidence costs: the exchanges a run writes, and the time to bundle and verify it.

Prints figures only. Given a finished run's report directory (default: a fresh embedded run in a temporary
directory), it prints the size of `evidence/` (exchanges: lines and bytes), the time to record them again through the run's sink,
the bundle's size, and the best of
`--repeat` timings of `write_bundle` (unsigned and signed with a new Ed25519 key) and of `verify_bundle`.

Usage: python benchmarks/bundle_cost.py [--report-dir DIR] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from drs_conformance.contract.exchange import Exchange
from drs_conformance.evidence.bundle import write_bundle
from drs_conformance.evidence.run_evidence import ExchangeSink
from drs_conformance.evidence.verify import verify_bundle
from drs_conformance.transport.redaction import Redactor


def _best(repeat: int, action: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report-dir", type=Path, help="a finished run's report directory (default: run one)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="drs-bundle-bench-") as tmp:
        folder = Path(tmp)
        report_dir = args.report_dir
        if report_dir is None:
            report_dir = folder / "reports"
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "drs_conformance", "run", "--report-dir", str(report_dir)],
                check=True,
                capture_output=True,
            )
            print(f"embedded run: {time.perf_counter() - started:.1f} s")
        exchanges = sorted((report_dir / "evidence" / "exchanges").glob("*.jsonl"))
        lines = sum(len(path.read_bytes().splitlines()) for path in exchanges)
        size = sum(path.stat().st_size for path in exchanges)
        print(f"exchanges: {lines} lines, {size / 1e6:.2f} MB in {len(exchanges)} files")
        recorded = [
            (item["test"], Exchange.from_dict(item["exchange"]))
            for path in exchanges
            for item in map(json.loads, path.read_text(encoding="utf-8").splitlines())
        ]
        redactor = Redactor(["token-" + "a1b2c3d4" * 5, "sk-" + "e5f6a7b8" * 5])
        sink = ExchangeSink(report_dir=folder / "sink", redactor=lambda: redactor)

        def record() -> None:
            for test, exchange in recorded:
                sink.write(test, exchange)

        recording = _best(args.repeat, record)
        sink.close()
        print(f"recording them (ExchangeSink, two secrets to redact): {recording * 1000:.0f} ms for the run's {lines}")
        key = folder / "key.pem"
        key.write_bytes(
            Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        out = folder / "evidence.zip"
        unsigned = _best(args.repeat, lambda: write_bundle(report_dir, out))
        signed = _best(args.repeat, lambda: write_bundle(report_dir, out, sign_key=key))
        print(
            f"bundle: {out.stat().st_size / 1e6:.2f} MB; write {unsigned * 1000:.0f} ms, signed {signed * 1000:.0f} ms"
        )
        verify = _best(args.repeat, lambda: verify_bundle(out))
        print(f"verify: {verify * 1000:.0f} ms (best of {args.repeat})")


if __name__ == "__main__":
    main()
